//! The vendor-side onboarding check: the customer's role lets the vendor in with the agreed
//! external ID, and only with it (the confused-deputy defence), in the account the ARN names.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::budget::Verdict;
use super::events::Counters;
use super::lane::Lane;
use super::tenant::verdict_of;
use super::PoolInner;
use crate::credentials::TemporaryCredentials;
use crate::error::{Error, ErrorKind};
use crate::options::SessionOptions;
use crate::params::ExternalId;
use crate::sts::AssumeRoleInput;

/// Throttled attempts per check before it is reported inconclusive.
const THROTTLED_ATTEMPTS: u32 = 8;

/// The future an [`ActionProbe`] returns: `Err` carries what the service said.
pub type ProbeFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// One action the vendor needs in the customer's account, tried with the assumed credentials
/// (for example an `s3:ListBucket` through the vendor's own `aws-sdk-s3` client).
pub trait ActionProbe: Send + Sync {
    /// The action's name in the report, e.g. `s3:ListBucket`.
    fn name(&self) -> &str;
    /// Calls the action.
    fn probe<'a>(&'a self, credentials: &'a TemporaryCredentials) -> ProbeFuture<'a>;
}

/// What one check looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyCheckKind {
    /// AssumeRole with the agreed external ID succeeds.
    AssumeWithExternalId,
    /// AssumeRole without an external ID is refused.
    RefusesWithoutExternalId,
    /// AssumeRole with a wrong external ID is refused.
    RefusesWrongExternalId,
    /// The assumed role's account is the account in the role ARN.
    AccountMatches,
    /// An action the vendor needs, by name.
    Action(String),
}

impl VerifyCheckKind {
    /// A stable snake_case name, for JSON and exit reports.
    pub fn as_str(&self) -> &str {
        match self {
            VerifyCheckKind::AssumeWithExternalId => "assume_with_external_id",
            VerifyCheckKind::RefusesWithoutExternalId => "refuses_without_external_id",
            VerifyCheckKind::RefusesWrongExternalId => "refuses_wrong_external_id",
            VerifyCheckKind::AccountMatches => "account_matches",
            VerifyCheckKind::Action(name) => name,
        }
    }
}

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyOutcome {
    /// As it should be.
    Passed,
    /// Not as it should be: see the hint.
    Failed,
    /// STS could not answer (throttling, outage): run the check again.
    Inconclusive,
    /// Not run, because an earlier check failed.
    Skipped,
}

impl VerifyOutcome {
    /// `passed`, `failed`, `inconclusive` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyOutcome::Passed => "passed",
            VerifyOutcome::Failed => "failed",
            VerifyOutcome::Inconclusive => "inconclusive",
            VerifyOutcome::Skipped => "skipped",
        }
    }
}

/// One check of a [`VerifyReport`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifyCheck {
    /// What was checked.
    pub kind: VerifyCheckKind,
    /// How it came out.
    pub outcome: VerifyOutcome,
    /// What was seen.
    pub detail: String,
    /// What to change, when the check did not pass.
    pub hint: Option<String>,
    /// The STS error behind the outcome, if any.
    pub error: Option<Error>,
}

/// The overall answer of [`VerifyReport::verdict`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyVerdict {
    /// Reachable with the agreed external ID, refused without it or with a wrong one, in the
    /// right account (and every probed action allowed).
    Safe,
    /// The role refuses the agreed external ID (the customer's trust policy or the ID is wrong).
    RightIdRefused,
    /// The role can be assumed without the agreed external ID, or lives in another account:
    /// the confused-deputy risk.
    Unsafe,
    /// The role is safe but a probed action is not allowed.
    MissingPermissions,
    /// A check could not be run (STS throttling or unavailable).
    Incomplete,
}

impl VerifyVerdict {
    /// `safe`, `right_id_refused`, `unsafe`, `missing_permissions` or `incomplete`.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyVerdict::Safe => "safe",
            VerifyVerdict::RightIdRefused => "right_id_refused",
            VerifyVerdict::Unsafe => "unsafe",
            VerifyVerdict::MissingPermissions => "missing_permissions",
            VerifyVerdict::Incomplete => "incomplete",
        }
    }
}

/// The onboarding check's result: each check with its outcome and hint.
///
/// # Examples
///
/// ```no_run
/// use cross_account::{CrossAccountPool, SessionOptions, VerifyVerdict};
///
/// # async fn demo(pool: CrossAccountPool) -> Result<(), cross_account::Error> {
/// let customer = SessionOptions {
///     external_id: Some("customer-7-external-id".into()),
///     ..SessionOptions::new("arn:aws:iam::123456789012:role/VendorReadOnly")
/// };
/// let report = pool.verify(&customer).await?;
/// if report.verdict() != VerifyVerdict::Safe {
///     for check in report.failures() {
///         eprintln!("{}: {}", check.kind.as_str(), check.hint.as_deref().unwrap_or(""));
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifyReport {
    /// The role that was checked.
    pub role_arn: String,
    /// Every check, in the order run.
    pub checks: Vec<VerifyCheck>,
}

impl VerifyReport {
    /// The overall answer.
    pub fn verdict(&self) -> VerifyVerdict {
        let failed = |kind: &VerifyCheckKind| {
            self.checks
                .iter()
                .any(|c| &c.kind == kind && c.outcome == VerifyOutcome::Failed)
        };
        if failed(&VerifyCheckKind::RefusesWithoutExternalId)
            || failed(&VerifyCheckKind::RefusesWrongExternalId)
            || failed(&VerifyCheckKind::AccountMatches)
        {
            return VerifyVerdict::Unsafe;
        }
        if failed(&VerifyCheckKind::AssumeWithExternalId) {
            return VerifyVerdict::RightIdRefused;
        }
        if self
            .checks
            .iter()
            .any(|c| c.outcome == VerifyOutcome::Inconclusive)
        {
            return VerifyVerdict::Incomplete;
        }
        if self
            .checks
            .iter()
            .any(|c| c.outcome == VerifyOutcome::Failed)
        {
            return VerifyVerdict::MissingPermissions;
        }
        VerifyVerdict::Safe
    }

    /// The checks that did not pass.
    pub fn failures(&self) -> impl Iterator<Item = &VerifyCheck> {
        self.checks.iter().filter(|c| {
            matches!(
                c.outcome,
                VerifyOutcome::Failed | VerifyOutcome::Inconclusive
            )
        })
    }

    /// The report as JSON: `{"role_arn", "verdict", "checks": [{"check", "outcome", "detail",
    /// "hint", "error_kind", "request_id"}]}`. No secret is in it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "role_arn": self.role_arn,
            "verdict": self.verdict().as_str(),
            "checks": self.checks.iter().map(|c| serde_json::json!({
                "check": c.kind.as_str(),
                "outcome": c.outcome.as_str(),
                "detail": c.detail,
                "hint": c.hint,
                "error_kind": c.error.as_ref().map(|e| e.kind().as_str()),
                "request_id": c.error.as_ref().and_then(|e| e.request_id()),
            })).collect::<Vec<_>>(),
        })
    }
}

fn confused_deputy_hint(role_arn: &str, external_id: &str, how: &str) -> String {
    format!(
        "{role_arn} can be assumed {how}: anyone who learns the ARN can get this vendor to act in the customer's account (the confused-deputy problem). The customer must add to the trust policy statement that trusts the vendor: \"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": \"{external_id}\"}}}} (`cross-account trust-policy` prints the whole document)"
    )
}

/// One AssumeRole through the budget, waiting out throttling a bounded number of times.
async fn assume(
    pool: &PoolInner,
    lane: &Lane,
    input: &AssumeRoleInput,
) -> Result<TemporaryCredentials, Error> {
    let mut last = None;
    for _ in 0..THROTTLED_ATTEMPTS {
        let permit = lane.budget.acquire().await?;
        Counters::bump(&pool.counters.sts_calls);
        let result = match lane.assumer(input, &pool.config.client_source).await {
            Ok(assumer) => Box::pin(assumer.assume()).await,
            Err(e) => Err(e),
        };
        let verdict = match &result {
            Ok(_) => Verdict::Success,
            Err(e) => verdict_of(e),
        };
        let throttled = matches!(verdict, Verdict::Throttled);
        if throttled {
            Counters::bump(&pool.counters.throttled);
        }
        let transition = lane.budget.finish(permit, verdict);
        pool.report(&transition);
        match result {
            Err(e) if throttled => last = Some(e),
            other => return other,
        }
    }
    Err(last.unwrap_or_else(|| Error::unavailable(input.role_arn.as_str(), "STS kept throttling")))
}

fn refusal_check(
    kind: VerifyCheckKind,
    result: Result<TemporaryCredentials, Error>,
    role_arn: &str,
    external_id: &str,
    how: &str,
) -> VerifyCheck {
    match result {
        Ok(_) => VerifyCheck {
            kind,
            outcome: VerifyOutcome::Failed,
            detail: format!("STS issued credentials {how}"),
            hint: Some(confused_deputy_hint(role_arn, external_id, how)),
            error: None,
        },
        Err(e) if e.kind() == ErrorKind::AccessDenied => VerifyCheck {
            kind,
            outcome: VerifyOutcome::Passed,
            detail: format!("STS refused AssumeRole {how}"),
            hint: None,
            error: Some(e),
        },
        Err(e) => VerifyCheck {
            kind,
            outcome: VerifyOutcome::Inconclusive,
            detail: format!("STS did not answer the call {how}: {e}"),
            hint: Some("run the check again once STS answers".into()),
            error: Some(e),
        },
    }
}

pub(crate) async fn verify(
    pool: &Arc<PoolInner>,
    options: &SessionOptions,
    probes: &[&dyn ActionProbe],
) -> Result<VerifyReport, Error> {
    let Some(agreed) = options.external_id.clone() else {
        return Err(Error::invalid(
            "external_id",
            "is required by verify: the check assumes the role with the agreed external ID, then makes sure none and a wrong one are refused",
        ));
    };
    let (input, lane) = pool.prepare(options)?;
    let role_arn = input.role_arn.to_string();
    let mut checks = Vec::new();

    let with_id = assume(pool, &lane, &input).await;
    let assumed = match with_id {
        Ok(creds) => {
            checks.push(VerifyCheck {
                kind: VerifyCheckKind::AssumeWithExternalId,
                outcome: VerifyOutcome::Passed,
                detail: format!("assumed as {}", creds.assumed_role_arn()),
                hint: None,
                error: None,
            });
            Some(creds)
        }
        Err(e) => {
            let refused = e.kind() == ErrorKind::AccessDenied;
            checks.push(VerifyCheck {
                kind: VerifyCheckKind::AssumeWithExternalId,
                outcome: if refused { VerifyOutcome::Failed } else { VerifyOutcome::Inconclusive },
                detail: e.message().to_string(),
                hint: Some(e.hint().map(str::to_string).unwrap_or_else(|| {
                    if refused {
                        format!("STS refused the agreed external ID ({}); check the customer's trust policy and the ID they were given", e.kind().as_str())
                    } else {
                        "run the check again once STS answers".into()
                    }
                })),
                error: Some(e),
            });
            None
        }
    };

    let without = AssumeRoleInput {
        external_id: None,
        ..input.clone()
    };
    let result = assume(pool, &lane, &without).await;
    checks.push(refusal_check(
        VerifyCheckKind::RefusesWithoutExternalId,
        result,
        &role_arn,
        &agreed,
        "without an external ID",
    ));

    let mut wrong = ExternalId::generate()?;
    while wrong.as_str() == agreed {
        wrong = ExternalId::generate()?;
    }
    let with_wrong = AssumeRoleInput {
        external_id: Some(wrong),
        ..input.clone()
    };
    let result = assume(pool, &lane, &with_wrong).await;
    checks.push(refusal_check(
        VerifyCheckKind::RefusesWrongExternalId,
        result,
        &role_arn,
        &agreed,
        "with a wrong external ID",
    ));

    match &assumed {
        Some(creds) => {
            let expected = input.role_arn.account_id();
            let got = creds.account_id().unwrap_or("");
            let same = got == expected;
            checks.push(VerifyCheck {
                kind: VerifyCheckKind::AccountMatches,
                outcome: if same { VerifyOutcome::Passed } else { VerifyOutcome::Failed },
                detail: format!("the assumed role is in account {got:?}; the ARN names {expected}"),
                hint: (!same).then(|| format!(
                    "STS answered for another account than {expected}: check the role ARN the customer gave and any endpoint or proxy in between"
                )),
                error: None,
            });
            for probe in probes {
                let kind = VerifyCheckKind::Action(probe.name().to_string());
                checks.push(match probe.probe(creds).await {
                    Ok(()) => VerifyCheck {
                        kind,
                        outcome: VerifyOutcome::Passed,
                        detail: "allowed".into(),
                        hint: None,
                        error: None,
                    },
                    Err(message) => VerifyCheck {
                        kind,
                        outcome: VerifyOutcome::Failed,
                        detail: message,
                        hint: Some(format!(
                            "the role's permission policy must allow {}; ask the customer to add it",
                            probe.name()
                        )),
                        error: None,
                    },
                });
            }
        }
        None => {
            checks.push(VerifyCheck {
                kind: VerifyCheckKind::AccountMatches,
                outcome: VerifyOutcome::Skipped,
                detail: "the role could not be assumed with the agreed external ID".into(),
                hint: None,
                error: None,
            });
            for probe in probes {
                checks.push(VerifyCheck {
                    kind: VerifyCheckKind::Action(probe.name().to_string()),
                    outcome: VerifyOutcome::Skipped,
                    detail: "the role could not be assumed with the agreed external ID".into(),
                    hint: None,
                    error: None,
                });
            }
        }
    }
    Ok(VerifyReport { role_arn, checks })
}
