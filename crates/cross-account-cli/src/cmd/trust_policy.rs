//! `trust-policy new | check | lint`: the trusting side's documents, checked before the role ARN
//! is handed over. Everything is local: no AWS call, no credentials.

use std::io::Read;
use std::path::Path;

use cross_account::trust::{
    check as check_policy, lint, lint_report, s3_read_only_permissions, AssumeRoleRequest,
    Decision, LintOptions, PermissionPolicy, Severity, TrustPolicy, DEFAULT_ROLE_NAME,
};
use cross_account::Error;

use crate::cli::{
    CheckFormat, LintFormat, PolicyFormat, PolicyPart, TrustPolicyCheckArgs, TrustPolicyCommand,
    TrustPolicyLintArgs, TrustPolicyNewArgs,
};
use crate::error::{CliError, EXIT_ACCESS_DENIED, EXIT_OK, EXIT_OTHER, EXIT_USAGE};

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

    let permissions = s3_read_only_permissions(
        args.s3_read_bucket.as_deref(),
        args.s3_read_prefix.as_deref(),
        &args.partition,
    )
    .map_err(invalid)?;

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
    let mut request = AssumeRoleRequest::new(args.principal.as_str())
        .mfa(args.mfa)
        .long_term_credentials(args.long_term_credentials);
    if let Some(id) = &args.external_id {
        request = request.external_id(id.as_str());
    }
    if let Some(role_arn) = &args.principal_role_arn {
        request = request.principal_role_arn(role_arn.as_str());
    }
    let decision = check_policy(&policy, &request).map_err(|err| match err {
        Error::InvalidParameter {
            field: "policy",
            reason,
            ..
        } => CliError::usage(format!("{}: {reason}", shown(&args.policy))),
        other => invalid(other),
    })?;
    let line = match args.format {
        CheckFormat::Text => decision.to_string(),
        CheckFormat::Json => decision.to_json(),
    };
    super::print_stdout(&format!("{line}\n"))?;
    Ok(match decision {
        Decision::Allowed { .. } => EXIT_OK,
        Decision::Denied { .. } => EXIT_ACCESS_DENIED,
        _ => EXIT_UNKNOWN,
    })
}

// --- lint --------------------------------------------------------------------------------

fn lint_file(args: TrustPolicyLintArgs) -> Result<i32, CliError> {
    let text = read_policy(&args.file)?;
    let mut options = LintOptions::builder();
    for account in &args.own_account {
        options = options.own_account(account.as_str());
    }
    for org in &args.org {
        options = options.org(org.as_str());
    }
    let options = options.build().map_err(invalid)?;
    let report = lint_report(&text, &options).map_err(|err| match err {
        Error::InvalidParameter { reason, .. } => {
            CliError::usage(format!("{}: {reason}", shown(&args.file)))
        }
        other => CliError::from(other),
    })?;
    let code = if report.has_errors() {
        EXIT_USAGE
    } else if report.has_warnings() {
        EXIT_WARNINGS
    } else {
        EXIT_OK
    };
    match args.format {
        LintFormat::Json => super::print_stdout(&(report.to_json() + "\n"))?,
        LintFormat::Sarif => {
            super::print_stdout(&(report.to_sarif(&artifact_uri(&args.file)) + "\n"))?
        }
        LintFormat::Text => {
            // What IAM rejects is invalid input: said on stderr, as for any exit 2.
            let mut errors = Vec::new();
            let mut lines = String::new();
            for (severity, line) in report.text_lines() {
                if severity == Severity::Error {
                    errors.push(format!("{}: {line}", shown(&args.file)));
                } else {
                    lines.push_str(&line);
                    lines.push('\n');
                }
            }
            if !lines.is_empty() {
                super::print_stdout(&lines)?;
            }
            if !errors.is_empty() {
                return Err(CliError::usage(errors.join("; ")));
            }
            if report.documents.is_empty() {
                crate::stdio::stderr_line(&format!(
                    "cross-account: {}: no trust policy found (no AWS::IAM::Role, no aws_iam_role)",
                    shown(&args.file)
                ));
            } else if code == EXIT_OK {
                crate::stdio::stderr_line(&format!(
                    "cross-account: {}: no warnings",
                    shown(&args.file)
                ));
            }
        }
    }
    Ok(code)
}

/// The file as SARIF names it: the path as given, with `/` separators (`stdin` for `-`).
fn artifact_uri(path: &Path) -> String {
    shown(path).replace('\\', "/")
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
        "principal_arn" => "--principal",
        "principal_role_arn" => "--principal-role-arn",
        "own_account" => "--own-account",
        "org" => "--org",
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
            "principal_arn",
            "principal_role_arn",
            "own_account",
            "org",
        ] {
            assert!(flag_for(field).starts_with("--"), "{field}");
        }
    }
}
