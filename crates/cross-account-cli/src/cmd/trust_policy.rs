//! `trust-policy new | check | lint`: the trusting side's documents, checked before the role ARN
//! is handed over. Everything is local: no AWS call, no credentials.

use std::io::Read;
use std::path::Path;

use cross_account::trust::{
    evaluate, lint, AssumeRoleRequest, Decision, LintCode, LintWarning, PermissionPolicy,
    TrustPolicy,
};
use cross_account::{Error, ExternalId};

use crate::cli::{
    PolicyFormat, PolicyPart, TrustPolicyCheckArgs, TrustPolicyCommand, TrustPolicyLintArgs,
    TrustPolicyNewArgs,
};
use crate::error::{CliError, EXIT_ACCESS_DENIED, EXIT_OK, EXIT_OTHER};

/// The role name of `--format cloudformation` without `--role-name`, as in the scenario.
const DEFAULT_ROLE_NAME: &str = "DemoRole";

/// `trust-policy lint` found warnings.
const EXIT_WARNINGS: i32 = EXIT_OTHER;
/// `trust-policy check`: the evaluator cannot decide.
const EXIT_UNKNOWN: i32 = EXIT_OTHER;

pub fn run(command: TrustPolicyCommand) -> Result<i32, CliError> {
    match command {
        TrustPolicyCommand::New(args) => new(args),
        TrustPolicyCommand::Check(args) => check(args),
        TrustPolicyCommand::Lint(args) => lint_file(args),
    }
}

// --- new ---------------------------------------------------------------------------------

fn new(args: TrustPolicyNewArgs) -> Result<i32, CliError> {
    match args.format {
        PolicyFormat::Json if args.role_name.is_some() => {
            return Err(CliError::usage(
                "--role-name applies to --format cloudformation only (a JSON policy document names no role)",
            ))
        }
        PolicyFormat::Cloudformation if args.print == PolicyPart::Permission => {
            return Err(CliError::usage(
                "--print applies to --format json only (the CloudFormation template holds every document)",
            ))
        }
        PolicyFormat::Json
            if args.print == PolicyPart::Permission && args.s3_read_bucket.is_none() =>
        {
            return Err(CliError::usage(
                "--print permission needs --s3-read-bucket BUCKET (the permission policy to print)",
            ))
        }
        _ => {}
    }

    let mut builder = TrustPolicy::builder()
        .partition(args.partition.as_str())
        .require_mfa(args.require_mfa)
        .allow_source_identity(args.allow_source_identity)
        .allow_tag_session(args.allow_tag_session);
    for account in &args.trusted_account {
        builder = builder.trusted_account(account.as_str());
    }
    for arn in &args.trusted_principal {
        builder = builder.trusted_principal(arn.as_str());
    }
    for id in &args.external_id {
        builder = builder.external_id(id.as_str());
    }
    let trust = builder.build().map_err(invalid)?;

    let permissions = match &args.s3_read_bucket {
        Some(bucket) => {
            vec![
                PermissionPolicy::s3_read_only(bucket, args.s3_read_prefix.as_deref())
                    .and_then(|p| p.with_partition(&args.partition))
                    .map_err(invalid)?,
            ]
        }
        None => Vec::new(),
    };

    let trust_json = trust.to_json();
    let text = match (args.format, args.print) {
        (PolicyFormat::Json, PolicyPart::Trust) => trust_json.clone(),
        (PolicyFormat::Json, PolicyPart::Permission) => permissions
            .first()
            .map(PermissionPolicy::to_json)
            .unwrap_or_default(),
        (PolicyFormat::Cloudformation, _) => trust
            .to_cloudformation(
                args.role_name.as_deref().unwrap_or(DEFAULT_ROLE_NAME),
                &permissions,
            )
            .map_err(invalid)?,
    };

    // The documents are valid, but may still be weak (a short external ID): say so, on stderr.
    for warning in lint(&trust_json) {
        crate::stdio::stderr_line(&format!("cross-account: warning: {warning}"));
    }
    if args.format == PolicyFormat::Json
        && args.print == PolicyPart::Trust
        && args.s3_read_bucket.is_some()
    {
        crate::stdio::stderr_line("cross-account: note: this is the trust policy; --print permission prints the S3 read-only permission policy");
    }
    let mut text = text;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    super::print_stdout(&text)?;
    Ok(EXIT_OK)
}

// --- check -------------------------------------------------------------------------------

fn check(args: TrustPolicyCheckArgs) -> Result<i32, CliError> {
    let policy = read_policy(&args.policy)?;
    reject_invalid_policy(&policy, &args.policy)?;
    reject_invalid_principal(&args.principal)?;

    let mut request = AssumeRoleRequest::new(args.principal.as_str())
        .mfa(args.mfa)
        .long_term_credentials(args.long_term_credentials);
    if let Some(id) = &args.external_id {
        // STS refuses a malformed ExternalId before any policy is read.
        let id = ExternalId::new(id.as_str()).map_err(invalid)?;
        request = request.external_id(id.as_str());
    }

    let decision = evaluate(&policy, &request);
    super::print_stdout(&format!("{decision}\n"))?;
    Ok(match decision {
        Decision::Allowed { .. } => EXIT_OK,
        Decision::Denied { .. } => EXIT_ACCESS_DENIED,
        _ => EXIT_UNKNOWN,
    })
}

/// A policy IAM would not accept is invalid input (exit 2), not an undecidable one (exit 1).
fn reject_invalid_policy(policy: &str, path: &Path) -> Result<(), CliError> {
    match lint(policy)
        .into_iter()
        .find(|w| w.code == LintCode::InvalidPolicy)
    {
        Some(w) => Err(CliError::usage(format!("{}: {}", shown(path), w.message))),
        None => Ok(()),
    }
}

/// The core reports a malformed caller ARN as an `Unknown` decision; the command line reports
/// it as invalid input. A policy that allows everyone tells the two apart: it can only be
/// undecidable because of the caller ARN.
fn reject_invalid_principal(principal: &str) -> Result<(), CliError> {
    const ANYONE: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}"#;
    match evaluate(ANYONE, &AssumeRoleRequest::new(principal)) {
        Decision::Unknown { reason, .. } => {
            Err(CliError::usage(format!("invalid --principal: {reason}")))
        }
        _ => Ok(()),
    }
}

// --- lint --------------------------------------------------------------------------------

fn lint_file(args: TrustPolicyLintArgs) -> Result<i32, CliError> {
    let policy = read_policy(&args.file)?;
    let warnings: Vec<LintWarning> = lint(&policy);
    if let Some(w) = warnings.iter().find(|w| w.code == LintCode::InvalidPolicy) {
        return Err(CliError::usage(format!(
            "{}: {}: {}",
            shown(&args.file),
            w.code,
            w.message
        )));
    }
    if warnings.is_empty() {
        crate::stdio::stderr_line(&format!(
            "cross-account: {}: no warnings",
            shown(&args.file)
        ));
        return Ok(EXIT_OK);
    }
    let out: String = warnings.iter().map(|w| format!("{w}\n")).collect();
    super::print_stdout(&out)?;
    Ok(EXIT_WARNINGS)
}

// --- shared ------------------------------------------------------------------------------

/// The policy text of FILE, or of stdin for `-`. Unreadable input is a usage error (exit 2).
fn read_policy(path: &Path) -> Result<String, CliError> {
    let bytes = if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::usage(format!("cannot read the policy from stdin: {e}")))?;
        buf
    } else {
        std::fs::read(path).map_err(|e| {
            CliError::usage(format!("cannot read the policy {}: {e}", path.display()))
        })?
    };
    String::from_utf8(bytes)
        .map_err(|_| CliError::usage(format!("{} is not UTF-8 text", shown(path))))
}

fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".into()
    } else {
        path.display().to_string()
    }
}

/// A core validation error, with the builder field turned into the flag the user typed.
fn invalid(err: Error) -> CliError {
    match err {
        Error::InvalidParameter { field, reason, .. } => {
            CliError::usage(format!("invalid {}: {reason}", flag_for(field)))
        }
        other => CliError::from(other),
    }
}

fn flag_for(field: &str) -> &'static str {
    match field {
        "trusted_account" => "--trusted-account",
        "trusted_principal" => "--trusted-principal",
        "external_id" => "--external-id",
        "partition" => "--partition",
        "role_name" => "--role-name",
        "bucket" => "--s3-read-bucket",
        "prefix" => "--s3-read-prefix",
        _ => "parameter",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_field_of_new_has_a_flag() {
        for field in [
            "trusted_account",
            "trusted_principal",
            "external_id",
            "partition",
            "role_name",
            "bucket",
            "prefix",
        ] {
            assert!(flag_for(field).starts_with("--"), "{field}");
        }
    }

    #[test]
    fn malformed_principals_are_told_apart_from_undecidable_policies() {
        assert!(reject_invalid_principal("arn:aws:iam::111122223333:user/alice").is_ok());
        assert!(
            reject_invalid_principal("arn:aws:sts::111122223333:assumed-role/Sync/nightly").is_ok()
        );
        for bad in ["", "alice", "111122223333", "arn:aws:iam::12:user/a"] {
            let err = reject_invalid_principal(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(
                err.to_string().starts_with("invalid --principal: "),
                "{err}"
            );
        }
    }
}
