//! A verify report reduced to what the tests compare.

use cross_account::{VerifyCheckKind, VerifyOutcome, VerifyReport};

/// Each check of the report with its outcome, in the order they ran.
pub fn verify_outcomes(report: &VerifyReport) -> Vec<(VerifyCheckKind, VerifyOutcome)> {
    report
        .checks
        .iter()
        .map(|c| (c.kind.clone(), c.outcome))
        .collect()
}
