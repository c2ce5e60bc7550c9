//! What can go wrong in the command line, its exit code, and the one paragraph shown on stderr.
//!
//! No variant holds a secret: core errors never carry key material, and the CLI's own messages
//! name files and flags, never their secret contents.

use cross_account::{Error, ErrorKind};

pub const EXIT_OK: i32 = 0;
pub const EXIT_OTHER: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_ACCESS_DENIED: i32 = 3;
pub const EXIT_UNAVAILABLE: i32 = 4;

/// Which hop of a role chain a core error belongs to, to name the right flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    First,
    Chained,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Invalid input found by the CLI itself (files, flag combinations).
    #[error("{0}")]
    Usage(String),

    /// A failure from the core, with the hop it came from.
    #[error("{}", render_core(.err, *.hop))]
    Core { err: Error, hop: Hop },

    /// Local trouble: I/O, the cache directory, spawning a child.
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn usage(msg: impl Into<String>) -> Self {
        CliError::Usage(msg.into())
    }

    pub fn other(msg: impl Into<String>) -> Self {
        CliError::Other(msg.into())
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Other(_) => EXIT_OTHER,
            CliError::Core { err, .. } => core_exit_code(err),
        }
    }

    /// The single paragraph printed on stderr.
    pub fn paragraph(&self) -> String {
        one_paragraph(&format!("cross-account: error: {self}"))
    }
}

impl From<Error> for CliError {
    fn from(err: Error) -> Self {
        CliError::Core {
            err,
            hop: Hop::First,
        }
    }
}

pub fn core_exit_code(err: &Error) -> i32 {
    kind_exit_code(err.kind())
}

/// The documented exit code of each kind of core error.
pub fn kind_exit_code(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::InvalidParameter
        | ErrorKind::MalformedPolicy
        | ErrorKind::PackedPolicyTooLarge => EXIT_USAGE,
        ErrorKind::AccessDenied => EXIT_ACCESS_DENIED,
        ErrorKind::Throttled | ErrorKind::Unavailable | ErrorKind::SourceUnavailable => {
            EXIT_UNAVAILABLE
        }
        _ => EXIT_OTHER,
    }
}

/// The core's text, with builder field names turned into the flags a user typed.
pub fn render_core(err: &Error, hop: Hop) -> String {
    match err {
        Error::InvalidParameter { field, reason, .. } => {
            format!("invalid {}: {reason}", flag_for(field, hop))
        }
        Error::NoSourceCredentials { .. } => format!("{err}; or pass --profile NAME"),
        _ => err.to_string(),
    }
}

/// The command-line flag behind a builder field.
pub fn flag_for(field: &str, hop: Hop) -> &'static str {
    match (field, hop) {
        ("role_arn", Hop::First) => "--role-arn",
        ("role_arn", Hop::Chained) => "--chain-role-arn",
        ("external_id", Hop::First) => "--external-id",
        ("external_id", Hop::Chained) => "--chain-external-id",
        ("session_name", _) => "--session-name",
        ("duration", _) => "--duration",
        ("policy", _) => "--policy-file",
        ("policy_arns", _) => "--policy-arn",
        ("tags", _) => "--tag",
        ("transitive_tag_keys", _) => "--transitive-tag-key",
        ("source_identity", _) => "--source-identity",
        ("mfa" | "mfa_serial", _) => "--mfa-serial",
        ("mfa_token", _) => "--mfa-token",
        ("region", _) => "--region",
        ("endpoint_url", _) => "--endpoint-url",
        ("profile" | "credential_source", _) => "--profile",
        ("source_role", _) => "--chain-role-arn",
        _ => "parameter",
    }
}

/// Joins lines and runs of whitespace, so a message is one paragraph however it was built.
pub fn one_paragraph(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_session_option_names_its_flag() {
        // A struct literal, so a new option does not compile here until it is listed.
        let options = cross_account::SessionOptions {
            role_arn: "arn:aws:iam::123456789012:role/R".into(),
            external_id: Some("x".into()),
            session_name: Some("s".into()),
            duration: Some(std::time::Duration::from_secs(900)),
            policy: Some("{}".into()),
            policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            tags: vec![("k".into(), "v".into())],
            transitive_tag_keys: vec!["k".into()],
            source_identity: Some("me".into()),
            mfa_serial: Some("arn:aws:iam::123456789012:mfa/me".into()),
            region: Some("eu-west-1".into()),
            endpoint_url: Some("http://127.0.0.1:1".into()),
            profile: Some("p".into()),
            source_role: Some(Box::new(cross_account::SessionOptions::new(
                "arn:aws:iam::1:role/A",
            ))),
            credential_source: Some(cross_account::CredentialSource::Environment),
        };
        let json: serde_json::Value = serde_json::from_str(&options.to_json()).unwrap();
        let fields = json.as_object().unwrap();
        assert_eq!(fields.len(), 15, "{fields:?}");
        for key in fields.keys() {
            // The JSON names the unit; the builder field (and so the error) does not.
            let field = key.strip_suffix("_seconds").unwrap_or(key);
            assert_ne!(
                flag_for(field, Hop::First),
                "parameter",
                "{field} has no flag"
            );
        }
    }

    #[test]
    fn exit_codes_by_kind() {
        let invalid = Error::invalid_parameter("duration", "too short");
        assert_eq!(CliError::from(invalid.clone()).exit_code(), 2);
        assert_eq!(kind_exit_code(ErrorKind::AccessDenied), 3);
        assert_eq!(kind_exit_code(ErrorKind::Throttled), 4);
        assert_eq!(kind_exit_code(ErrorKind::Unavailable), 4);
        assert_eq!(kind_exit_code(ErrorKind::SourceUnavailable), 4);
        assert_eq!(kind_exit_code(ErrorKind::NoSourceCredentials), 1);
        assert_eq!(kind_exit_code(ErrorKind::ExpiredSourceCredentials), 1);
        assert_eq!(CliError::usage("x").exit_code(), 2);
        assert_eq!(CliError::other("x").exit_code(), 1);

        let chained = CliError::Core {
            err: Error::invalid_parameter("external_id", "bad"),
            hop: Hop::Chained,
        };
        assert_eq!(
            chained.paragraph(),
            "cross-account: error: invalid --chain-external-id: bad"
        );
        assert_eq!(
            CliError::from(invalid).paragraph(),
            "cross-account: error: invalid --duration: too short"
        );
    }

    #[test]
    fn paragraphs_have_no_line_breaks() {
        assert_eq!(one_paragraph("a\n  b\r\n\tc "), "a b c");
    }
}
