//! Output formats: the places where secrets are exposed, all of them written to stdout (or a
//! child's environment, or the 0600 cache) and nowhere else.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::{DateTime, Format};
use cross_account::secrecy::ExposeSecret;
use cross_account::TemporaryCredentials;
use serde_json::json;

use crate::cli::Shell;

/// RFC 3339 in UTC, whole seconds: `2030-01-01T00:00:00Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    DateTime::from_secs(secs as i64)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Parses what [`rfc3339`] wrote (and any RFC 3339 UTC timestamp).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    DateTime::from_str(text, Format::DateTime)
        .ok()
        .and_then(|d| SystemTime::try_from(d).ok())
}

/// The JSON `credential_process` must print (AWS CLI, SDKs): `Version` 1, and `AccountId`
/// (the role's account, from the assumed-role ARN), which botocore and the SDKs read for
/// account-based endpoints.
pub fn credential_process_json(c: &TemporaryCredentials) -> String {
    let mut out = json!({
        "Version": 1,
        "AccessKeyId": c.access_key_id(),
        "SecretAccessKey": c.secret_access_key().expose_secret(),
        "SessionToken": c.session_token().expose_secret(),
        "Expiration": rfc3339(c.expiration()),
    });
    if let Some(account) = c.account_id() {
        out["AccountId"] = account.into();
    }
    out.to_string()
}

/// `assume --format sts`: what `aws sts assume-role` prints, in its key order, indentation and
/// timestamp style (`+00:00`), so scripts written against it (`jq .Credentials.AccessKeyId`)
/// work unchanged.
pub fn sts_json(c: &TemporaryCredentials) -> String {
    // Written by hand: serde_json's map sorts keys, and the AWS CLI's order is part of the shape.
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let expiration = rfc3339(c.expiration());
    let expiration = expiration
        .strip_suffix('Z')
        .map(|t| format!("{t}+00:00"))
        .unwrap_or(expiration);
    format!(
        "{{\n    \"Credentials\": {{\n        \"AccessKeyId\": {},\n        \"SecretAccessKey\": {},\n        \"SessionToken\": {},\n        \"Expiration\": {}\n    }},\n    \"AssumedRoleUser\": {{\n        \"AssumedRoleId\": {},\n        \"Arn\": {}\n    }}\n}}",
        q(c.access_key_id()),
        q(c.secret_access_key().expose_secret()),
        q(c.session_token().expose_secret()),
        q(&expiration),
        q(c.assumed_role_id().unwrap_or_default()),
        q(c.assumed_role_arn()),
    )
}

/// `assume --format json`.
pub fn json(c: &TemporaryCredentials) -> String {
    let out = json!({
        "AccessKeyId": c.access_key_id(),
        "SecretAccessKey": c.secret_access_key().expose_secret(),
        "SessionToken": c.session_token().expose_secret(),
        "Expiration": rfc3339(c.expiration()),
        "AssumedRoleArn": c.assumed_role_arn(),
        "AccountId": c.account_id(),
    });
    serde_json::to_string_pretty(&out).unwrap_or_else(|_| out.to_string())
}

/// The environment variables AWS SDKs and the AWS CLI read, in order.
pub fn env_vars(c: &TemporaryCredentials, region: Option<&str>) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", c.access_key_id().to_string()),
        (
            "AWS_SECRET_ACCESS_KEY",
            c.secret_access_key().expose_secret().to_string(),
        ),
        (
            "AWS_SESSION_TOKEN",
            c.session_token().expose_secret().to_string(),
        ),
        ("AWS_CREDENTIAL_EXPIRATION", rfc3339(c.expiration())),
    ];
    if let Some(region) = region {
        vars.push(("AWS_REGION", region.to_string()));
        vars.push(("AWS_DEFAULT_REGION", region.to_string()));
    }
    vars
}

/// `assume --format env --shell ...`: statements that set the variables in the calling shell.
pub fn env_script(vars: &[(&str, String)], shell: Shell) -> String {
    let mut out = String::new();
    for (name, value) in vars {
        let line = match shell {
            Shell::Sh => format!("export {name}={}\n", sh_quote(value)),
            Shell::Fish => format!("set -gx {name} {};\n", fish_quote(value)),
            Shell::Powershell => format!("$Env:{name} = {}\n", powershell_quote(value)),
        };
        out.push_str(&line);
    }
    out
}

/// `assume --format env-no-export`: `NAME=value` lines. Credential values (base64, ARNs,
/// timestamps) need no quoting, so the lines are read alike by `docker --env-file` (which
/// keeps quotes literally), systemd's EnvironmentFile, dotenv loaders and `set -a; . FILE`;
/// anything else is single-quoted for POSIX shells.
pub fn env_no_export(vars: &[(&str, String)]) -> String {
    vars.iter()
        .map(|(name, value)| format!("{name}={}\n", sh_quote(value)))
        .collect()
}

/// `assume --format windows-cmd`: `set "NAME=value"` lines with CRLF ends. Inside the quotes
/// of `set "..."` cmd.exe treats `&|<>^` literally; `"`, `%` and `!` (delayed expansion) have
/// no escape that works both typed and in a batch file, so such a value is refused by name
/// (never shown: it may be a secret).
pub fn windows_cmd(vars: &[(&str, String)]) -> Result<String, String> {
    let mut out = String::new();
    for (name, value) in vars {
        if let Some(bad) = value
            .chars()
            .find(|c| matches!(c, '"' | '%' | '!') || c.is_control())
        {
            return Err(format!(
                "{name} contains {}, which cmd.exe cannot take literally in set \"NAME=value\"; use another --format",
                match bad {
                    '"' | '%' | '!' => format!("{bad:?}"),
                    _ => "a control character".to_string(),
                }
            ));
        }
        out.push_str(&format!("set \"{name}={value}\"\r\n"));
    }
    Ok(out)
}

/// POSIX shell quoting, also understood by Python's `shlex.split` (the AWS CLI) and `sh -c`
/// (the Rust SDK's credential_process). Plain words stay unquoted for readability.
pub fn sh_quote(s: &str) -> String {
    if needs_no_quotes(s) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A word that every shell, `shlex.split`, cmd.exe and the Windows argv rules read as itself.
pub fn needs_no_quotes(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'-' | b'.' | b'/' | b':' | b'=' | b'@' | b',' | b'+'
                )
        })
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

fn powershell_quote(s: &str) -> String {
    // In a single-quoted PowerShell string only the quote itself (and its typographic forms) is special.
    let escaped: String = s
        .chars()
        .flat_map(|c| match c {
            '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => vec![c, c],
            _ => vec![c],
        })
        .collect();
    format!("'{escaped}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> TemporaryCredentials {
        TemporaryCredentials::new(
            "ASIAEXAMPLE",
            "sec'ret/+=".to_string(),
            "tok\\en".to_string(),
            UNIX_EPOCH + Duration::from_secs(1_893_456_000),
            "arn:aws:sts::123456789012:assumed-role/R/s",
        )
    }

    #[test]
    fn timestamps_round_trip() {
        let t = UNIX_EPOCH + Duration::from_secs(1_893_456_000);
        assert_eq!(rfc3339(t), "2030-01-01T00:00:00Z");
        assert_eq!(parse_rfc3339("2030-01-01T00:00:00Z"), Some(t));
        assert_eq!(
            rfc3339(t + Duration::from_millis(999)),
            "2030-01-01T00:00:00Z"
        );
        assert_eq!(parse_rfc3339("not a date"), None);
    }

    #[test]
    fn credential_process_shape() {
        let v: serde_json::Value =
            serde_json::from_str(&credential_process_json(&creds())).unwrap();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["AccessKeyId"], "ASIAEXAMPLE");
        assert_eq!(v["SecretAccessKey"], "sec'ret/+=");
        assert_eq!(v["SessionToken"], "tok\\en");
        assert_eq!(v["Expiration"], "2030-01-01T00:00:00Z");
        let v: serde_json::Value = serde_json::from_str(&json(&creds())).unwrap();
        assert_eq!(v["AccountId"], "123456789012");
    }

    #[test]
    fn credential_process_has_the_role_account_only_when_known() {
        let v: serde_json::Value =
            serde_json::from_str(&credential_process_json(&creds())).unwrap();
        assert_eq!(v["AccountId"], "123456789012");
        let no_arn = TemporaryCredentials::new(
            "ASIAEXAMPLE",
            "s".into(),
            "t".into(),
            UNIX_EPOCH + Duration::from_secs(1_893_456_000),
            "",
        );
        let v: serde_json::Value = serde_json::from_str(&credential_process_json(&no_arn)).unwrap();
        assert!(v.get("AccountId").is_none(), "{v}");
    }

    #[test]
    fn sts_shape_and_order() {
        let c = creds().with_assumed_role_id("AROAEXAMPLE:s");
        let text = sts_json(&c);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Credentials"]["SecretAccessKey"], "sec'ret/+=");
        assert_eq!(v["Credentials"]["SessionToken"], "tok\\en");
        assert_eq!(v["Credentials"]["Expiration"], "2030-01-01T00:00:00+00:00");
        assert_eq!(v["AssumedRoleUser"]["AssumedRoleId"], "AROAEXAMPLE:s");
        let keys = [
            "\"Credentials\"",
            "\"AccessKeyId\"",
            "\"SecretAccessKey\"",
            "\"SessionToken\"",
            "\"Expiration\"",
            "\"AssumedRoleUser\"",
            "\"AssumedRoleId\"",
            "\"Arn\"",
        ];
        let positions: Vec<usize> = keys.iter().map(|k| text.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    #[test]
    fn env_files_and_cmd() {
        let vars = env_vars(&creds(), Some("eu-west-1"));
        let text = env_no_export(&vars);
        assert!(
            text.starts_with("AWS_ACCESS_KEY_ID=ASIAEXAMPLE\n"),
            "{text}"
        );
        assert!(text.contains("AWS_SECRET_ACCESS_KEY='sec'\\''ret/+='\n"));
        assert!(text.contains("AWS_REGION=eu-west-1\n"));
        assert!(!text.contains("export"));
        let plain = [("AWS_SECRET_ACCESS_KEY", "ab+/c=".to_string())];
        assert_eq!(
            windows_cmd(&plain).unwrap(),
            "set \"AWS_SECRET_ACCESS_KEY=ab+/c=\"\r\n"
        );
        for bad in ["a%PATH%", "a\"b", "a!b", "a\nb"] {
            let err = windows_cmd(&[("AWS_SESSION_TOKEN", bad.to_string())]).unwrap_err();
            assert!(err.contains("AWS_SESSION_TOKEN"), "{err}");
            assert!(!err.contains(bad), "the value must not be shown: {err}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("arn:aws:iam::1:role/R"), "arn:aws:iam::1:role/R");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(fish_quote(r"a'b\c"), r"'a\'b\\c'");
        assert_eq!(powershell_quote("a'b"), "'a''b'");
        let script = env_script(&env_vars(&creds(), Some("eu-west-1")), Shell::Sh);
        assert!(script.contains("export AWS_SECRET_ACCESS_KEY='sec'\\''ret/+='\n"));
        assert!(script.contains("export AWS_REGION=eu-west-1\n"));
        let script = env_script(&env_vars(&creds(), None), Shell::Powershell);
        assert!(script.contains("$Env:AWS_SECRET_ACCESS_KEY = 'sec''ret/+='\n"));
        assert!(!script.contains("AWS_REGION"));
    }
}
