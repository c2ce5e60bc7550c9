//! - [`TrustPolicy`](crate::trust::TrustPolicy) writes the role's trust policy (who may assume
//!   it, with which external IDs, whether MFA is required) as JSON or as a CloudFormation
//!   template.
//! - [`PermissionPolicy`](crate::trust::PermissionPolicy) writes what the role may do, e.g. read
//!   one S3 bucket.
//! - [`check`](crate::trust::check) checks locally, before the role ARN is handed over,
//!   whether a given caller with a given external ID would be let in, and if not, why; invalid
//!   input (a policy IAM rejects, a malformed caller ARN or external ID) is an error.
//!   [`evaluate`](crate::trust::evaluate) is the same evaluation, answering `Unknown` instead.
//! - [`lint`](crate::trust::lint) flags the confused deputy problem (decided by the evaluator:
//!   is a trusted principal let in without the agreed external ID?), federated trusts without
//!   `sub`/`aud` conditions, services without a source condition, what IAM's grammar rejects,
//!   and hygiene issues; [`lint_with`](crate::trust::lint_with) takes the trusting side's own
//!   accounts and organisations.
//! - [`lint_report`](crate::trust::lint_report) lints every trust policy of a file (a policy, a
//!   CloudFormation template in YAML or JSON, a Terraform plan) and writes text, JSON or SARIF.
//!
//! The module is the `trust` cargo feature (on by default); it brings the YAML parser
//! `saphyr-parser` for CloudFormation templates.
//!
//! # Examples
//!
//! ```
//! use cross_account::trust::{evaluate, lint, AssumeRoleRequest, PermissionPolicy, TrustPolicy};
//! use cross_account::ExternalId;
//!
//! // The trusted side generates an external ID and sends it with its account ID.
//! let external_id = ExternalId::generate()?;
//! let policy = TrustPolicy::builder()
//!     .trusted_account("111122223333")
//!     .external_id(external_id.as_str())
//!     .build()?;
//! let template = policy.to_cloudformation(
//!     "PartnerReadReports",
//!     &[PermissionPolicy::s3_read_only("partner-reports", Some("exports/"))?],
//! )?;
//! assert!(template.contains("AWS::IAM::Role"));
//!
//! // Before handing over the role ARN: is the partner let in, and nobody else?
//! let json = policy.to_json();
//! let partner = AssumeRoleRequest::new("arn:aws:sts::111122223333:assumed-role/Sync/nightly");
//! assert!(evaluate(&json, &partner.clone().external_id(external_id.as_str())).is_allowed());
//! assert!(evaluate(&json, &partner).is_denied());
//! assert!(lint(&json).is_empty());
//! # Ok::<(), cross_account::Error>(())
//! ```

mod check;
mod cloudformation;
mod condition;
mod deputy;
mod document;
mod evaluate;
mod federated;
mod finding;
mod glob;
mod grammar;
mod json;
mod lint;
mod permissions;
mod policy;
mod principal;
mod report;
mod source;
mod yaml;

pub use check::check;
pub use cloudformation::DEFAULT_ROLE_NAME;
pub use evaluate::{evaluate, AssumeRoleRequest, Decision};
pub use finding::{
    LintCode, LintOptions, LintOptionsBuilder, LintWarning, Severity, MIN_EXTERNAL_ID_LEN,
};
pub use lint::{lint, lint_with};
pub use permissions::{s3_read_only_permissions, PermissionPolicy};
pub use policy::{TrustPolicy, TrustPolicyBuilder};
pub use report::{lint_report, DocumentReport, LintReport};
pub use source::{trust_documents, SourceKind, TrustDocument, TEMPLATE_ACCOUNT};
