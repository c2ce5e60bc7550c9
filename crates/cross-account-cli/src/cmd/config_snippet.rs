//! `config-snippet`: the `[profile NAME]` block whose credential_process is this binary.

use std::path::Path;

use crate::cli::ConfigSnippetArgs;
use crate::error::{CliError, EXIT_OK};
use crate::output::sh_quote;
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
    let resolved = session::resolve(&args.session)?;
    // Every value is checked now, not at the first `aws` call.
    session::build(&resolved, false)?;
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| CliError::other(format!("cannot find the path of this executable: {e}")))?;
    let exe = exe.to_str().ok_or_else(|| {
        CliError::other(format!(
            "the path of this executable ({}) is not UTF-8, which ~/.aws/config cannot hold",
            exe.display()
        ))
    })?;
    let mut words: Vec<String> = vec![sh_quote(exe), "credential-process".into()];
    let a = &args.session;
    let mut flag = |name: &str, value: &str| {
        words.push(name.to_string());
        words.push(sh_quote(value));
    };
    flag("--role-arn", &a.role_arn);
    match (&a.external_id_file, &resolved.external_id) {
        (Some(path), _) if a.external_id.is_none() => flag("--external-id-file", &absolute(path)?),
        // From --external-id or the environment: written out, since the AWS CLI's
        // environment may not have it. An external ID is not a secret.
        (_, Some(id)) => flag("--external-id", id),
        _ => {}
    }
    if let Some(v) = &a.session_name {
        flag("--session-name", v);
    }
    if let Some(d) = a.duration {
        flag("--duration", &d.as_secs().to_string());
    }
    if let Some(p) = &a.policy_file {
        flag("--policy-file", &absolute(p)?);
    }
    for v in &a.policy_arn {
        flag("--policy-arn", v);
    }
    for (k, v) in &a.tag {
        flag("--tag", &format!("{k}={v}"));
    }
    for v in &a.transitive_tag_key {
        flag("--transitive-tag-key", v);
    }
    if let Some(v) = &a.source_identity {
        flag("--source-identity", v);
    }
    if let Some(v) = &a.mfa_serial {
        flag("--mfa-serial", v);
    }
    if let Some(v) = &a.chain_role_arn {
        flag("--chain-role-arn", v);
    }
    if let Some(v) = &a.chain_external_id {
        flag("--chain-external-id", v);
    }
    if let Some(v) = &a.region {
        flag("--region", v);
    }
    if let Some(v) = &a.endpoint_url {
        flag("--endpoint-url", v);
    }
    if let Some(v) = &a.profile {
        flag("--profile", v);
    }
    if a.mfa_token.is_some() {
        crate::stdio::stderr_line("cross-account: note: --mfa-token is not written into the profile (a code works once); the AWS CLI will ask on the terminal");
    }
    let line = words.join(" ");
    if line.contains(['\n', '\r']) {
        return Err(CliError::usage(
            "a value contains a line break, which ~/.aws/config cannot hold",
        ));
    }
    let mut out = format!("[profile {name}]\ncredential_process = {line}\n");
    if let Some(region) = &a.region {
        out.push_str(&format!("region = {region}\n"));
    }
    super::print_stdout(&out)?;
    Ok(EXIT_OK)
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
