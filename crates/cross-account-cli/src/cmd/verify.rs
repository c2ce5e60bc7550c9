//! `verify`: the vendor-side onboarding check of a customer's role (the core's
//! `CrossAccountPool::verify`), printed as text or JSON, with its verdict as the exit code.

use cross_account::{CrossAccountPool, SessionOptions, VerifyOutcome, VerifyReport, VerifyVerdict};

use crate::cli::{ReportFormat, VerifyArgs};
use crate::error::{CliError, EXIT_ACCESS_DENIED, EXIT_OK, EXIT_OTHER, EXIT_UNAVAILABLE};

/// The role can be assumed without the agreed external ID (or with a wrong one), or answers
/// for another account: the confused-deputy risk.
pub const EXIT_UNSAFE: i32 = 5;

pub async fn run(args: VerifyArgs) -> Result<i32, CliError> {
    let VerifyArgs {
        role_arn,
        external_id,
        session_name,
        region,
        endpoint_url,
        profile,
        format,
    } = args;
    let options = SessionOptions {
        external_id: Some(external_id),
        session_name,
        region,
        endpoint_url,
        profile,
        ..SessionOptions::new(role_arn)
    };
    // One check, one tenant: the pool's default budget is far above what it spends.
    let pool = CrossAccountPool::builder().build()?;
    let report = pool.verify(&options).await?;
    let text = match format {
        ReportFormat::Json => format!("{:#}\n", report.to_json()),
        ReportFormat::Text => render_text(&report),
    };
    super::print_stdout(&text)?;
    Ok(exit_code(report.verdict()))
}

pub fn exit_code(verdict: VerifyVerdict) -> i32 {
    match verdict {
        VerifyVerdict::Safe => EXIT_OK,
        VerifyVerdict::RightIdRefused => EXIT_ACCESS_DENIED,
        VerifyVerdict::Unsafe => EXIT_UNSAFE,
        VerifyVerdict::Incomplete => EXIT_UNAVAILABLE,
        _ => EXIT_OTHER,
    }
}

fn render_text(report: &VerifyReport) -> String {
    let mut out = format!("role: {}\n", report.role_arn);
    for check in &report.checks {
        let mark = match check.outcome {
            VerifyOutcome::Passed => "ok  ",
            VerifyOutcome::Failed => "FAIL",
            VerifyOutcome::Inconclusive => "??  ",
            _ => "-   ",
        };
        out.push_str(&format!(
            "{mark} {}: {}\n",
            check.kind.as_str(),
            check.detail
        ));
        if let Some(hint) = check
            .hint
            .as_deref()
            .filter(|_| check.outcome != VerifyOutcome::Passed)
        {
            out.push_str(&format!("     {hint}\n"));
        }
    }
    out.push_str(&format!("verdict: {}\n", report.verdict().as_str()));
    out
}
