//! `config-snippet`: the `[profile NAME]` block whose credential_process is this binary.
//!
//! The `credential_process` line is split by different parsers: botocore's `shlex.split`
//! (POSIX rules) or its Windows splitter (CommandLineToArgvW rules), and the Rust, Go and
//! JavaScript SDKs hand it to `sh -c` or `cmd.exe /C`. Single quotes mean nothing to cmd.exe
//! and the Windows splitter, so values are written bare when they need no quoting anywhere,
//! else in double quotes, which all of them strip; the few characters that stay special
//! inside double quotes in one of them are refused.

use std::path::Path;

use crate::cli::{ConfigSnippetArgs, SessionArgs};
use crate::error::{CliError, EXIT_OK};
use crate::session;

pub fn run(args: ConfigSnippetArgs) -> Result<i32, CliError> {
    let name = args.profile_name.trim();
    if name.is_empty()
        || name != args.profile_name
        || name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '[' | ']' | ';' | '#'))
    {
        return Err(CliError::usage(
            "--profile-name must be a non-empty profile name without whitespace, brackets, ; or #",
        ));
    }
    if args.session.profile.as_deref() == Some(name) {
        return Err(CliError::usage(format!(
            "--profile {name} is the profile being defined: its credential_process would call itself; name the source profile (one with keys) or leave --profile out"
        )));
    }
    let resolved = session::resolve(&args.session)?;
    // Every value is checked now, not at the first `aws` call.
    crate::mfa_session::check(&resolved)?;
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| CliError::other(format!("cannot find the path of this executable: {e}")))?;
    let exe = exe.to_str().ok_or_else(|| {
        CliError::other(format!(
            "the path of this executable ({}) is not UTF-8, which ~/.aws/config cannot hold",
            exe.display()
        ))
    })?;
    let mut words: Vec<String> = vec![
        portable_quote("the path of this executable", exe)?,
        "credential-process".into(),
    ];
    // Every flag, destructured: a new one does not compile until the snippet decides about it.
    let SessionArgs {
        role_arn,
        external_id,
        external_id_file,
        session_name,
        duration,
        policy_file,
        policy_arn,
        tag,
        transitive_tag_key,
        source_identity,
        mfa_serial,
        mfa_token,
        mfa_token_file,
        mfa_session,
        chain_role_arn,
        chain_external_id,
        region,
        endpoint_url,
        profile,
    } = &args.session;
    let mut bad: Option<CliError> = None;
    let mut flag = |name: &str, value: &str| {
        words.push(name.to_string());
        match portable_quote(name, value) {
            Ok(word) => words.push(word),
            Err(e) => {
                bad.get_or_insert(e);
            }
        }
    };
    // credential-process never reads AWS_PROFILE as its source (it names the profile being
    // resolved), so this line cannot call itself whatever AWS_PROFILE is.
    if let Some(arn) = role_arn {
        flag("--role-arn", arn);
    }
    match (external_id_file, &resolved.external_id) {
        (Some(path), _) if external_id.is_none() => flag("--external-id-file", &absolute(path)?),
        // From --external-id or the environment: written out, since the AWS CLI's
        // environment may not have it. An external ID is not a secret.
        (_, Some(id)) if resolved.external_id_source != "the profile" => flag("--external-id", id),
        _ => {}
    }
    if let Some(v) = session_name {
        flag("--session-name", v);
    }
    if let Some(d) = duration {
        flag("--duration", &d.as_secs().to_string());
    }
    if let Some(p) = policy_file {
        flag("--policy-file", &absolute(p)?);
    }
    for v in policy_arn {
        flag("--policy-arn", v);
    }
    for (k, v) in tag {
        flag("--tag", &format!("{k}={v}"));
    }
    for v in transitive_tag_key {
        flag("--transitive-tag-key", v);
    }
    if let Some(v) = source_identity {
        flag("--source-identity", v);
    }
    if let Some(v) = mfa_serial {
        flag("--mfa-serial", v);
    }
    if let Some(d) = mfa_session {
        flag("--mfa-session", &d.as_secs().to_string());
    }
    if let Some(v) = chain_role_arn {
        flag("--chain-role-arn", v);
    }
    if let Some(v) = chain_external_id {
        flag("--chain-external-id", v);
    }
    if let Some(v) = region {
        flag("--region", v);
    }
    if let Some(v) = endpoint_url {
        flag("--endpoint-url", v);
    }
    if let Some(v) = profile {
        flag("--profile", v);
    }
    if let Some(e) = bad {
        return Err(e);
    }
    if mfa_token.is_some() || mfa_token_file.is_some() {
        crate::stdio::stderr_line("cross-account: note: --mfa-token and --mfa-token-file are not written into the profile (a code works once); the AWS CLI will ask on the terminal");
    }
    let line = words.join(" ");
    if line.contains(['\n', '\r']) {
        return Err(CliError::usage(
            "a value contains a line break, which ~/.aws/config cannot hold",
        ));
    }
    let mut out = format!("[profile {name}]\ncredential_process = {line}\n");
    if let Some(region) = region {
        out.push_str(&format!("region = {region}\n"));
    }
    super::print_stdout(&out)?;
    Ok(EXIT_OK)
}

/// One word of the `credential_process` line that POSIX shells, `shlex.split`, cmd.exe and
/// the Windows argv rules all read back as `value`.
fn portable_quote(what: &str, value: &str) -> Result<String, CliError> {
    if crate::output::needs_no_quotes(value) {
        return Ok(value.to_string());
    }
    // Inside double quotes: `$`, backquote and backslash stay special for sh, `%` and `!`
    // for cmd.exe, and `"` itself for all; none has an escape that works in every parser.
    if let Some(c) = value
        .chars()
        .find(|c| matches!(c, '"' | '$' | '`' | '\\' | '%' | '!') || c.is_control())
    {
        let shown = if c.is_control() {
            "a control character".to_string()
        } else {
            format!("{c:?}")
        };
        return Err(CliError::usage(format!(
            "{what} {value:?} contains {shown}, which cannot be quoted in ~/.aws/config so that both POSIX shells and cmd.exe read it back unchanged; values may hold spaces and most punctuation, but not \" $ ` \\ % ! or control characters"
        )));
    }
    Ok(format!("\"{value}\""))
}

fn absolute(path: &Path) -> Result<String, CliError> {
    let abs = std::path::absolute(path)
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    abs.to_str().map(str::to_string).ok_or_else(|| {
        CliError::usage(format!(
            "{} is not UTF-8, which ~/.aws/config cannot hold",
            abs.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_for_sh_and_cmd() {
        assert_eq!(
            portable_quote("--role-arn", "arn:aws:iam::1:role/R").unwrap(),
            "arn:aws:iam::1:role/R"
        );
        assert_eq!(portable_quote("--tag", "team=a b").unwrap(), "\"team=a b\"");
        assert_eq!(
            portable_quote("--tag", "k=it's&<x>|^").unwrap(),
            "\"k=it's&<x>|^\""
        );
        assert_eq!(portable_quote("--session-name", "").unwrap(), "\"\"");
        for bad in ["a\"b", "$HOME", "a`b`", "a\\b", "%PATH%", "a!b", "a\tb"] {
            let err = portable_quote("--tag", bad).unwrap_err();
            assert_eq!(err.exit_code(), 2);
            assert!(err.to_string().starts_with("--tag "), "{err}");
        }
    }
}
