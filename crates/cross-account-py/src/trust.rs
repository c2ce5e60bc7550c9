//! The trusting side: trust and permission policy documents, the local evaluator and the lint.
//!
//! Wrappers over `cross_account::trust` only; `cross_account/trust.py` is the documented
//! Python API and turns the plain tuples returned here into `Decision` and `LintWarning`.

use cross_account::trust::{
    evaluate, lint, AssumeRoleRequest, Decision, LintCode, PermissionPolicy, TrustPolicy,
};
use cross_account::{Error, ExternalId};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::{invalid, to_py_err};

/// `evaluate`'s answer: kind (`allowed`, `denied`, `unknown`), reason, statement index, Sid.
type DecisionParts = (&'static str, Option<String>, Option<usize>, Option<String>);

/// The trust policy's arguments, shared by the JSON and the CloudFormation form.
struct TrustArgs {
    trusted_accounts: Vec<String>,
    trusted_principals: Vec<String>,
    external_ids: Vec<String>,
    require_mfa: bool,
    allow_source_identity: bool,
    allow_tag_session: bool,
    partition: String,
}

impl TrustArgs {
    #[allow(clippy::too_many_arguments)]
    fn extract(
        py: Python<'_>,
        trusted_accounts: Option<Bound<'_, PyAny>>,
        trusted_principals: Option<Bound<'_, PyAny>>,
        external_ids: Option<Bound<'_, PyAny>>,
        require_mfa: bool,
        allow_source_identity: bool,
        allow_tag_session: bool,
        partition: String,
    ) -> PyResult<TrustArgs> {
        let args = TrustArgs {
            trusted_accounts: strings("trusted_accounts", trusted_accounts)?,
            trusted_principals: strings("trusted_principals", trusted_principals)?,
            external_ids: strings("external_ids", external_ids)?,
            require_mfa,
            allow_source_identity,
            allow_tag_session,
            partition,
        };
        if args.external_ids.is_empty() {
            // The core allows it; this face does not, as the command line requires --external-id.
            return Err(invalid(
                py,
                "external_ids",
                "at least one external ID is required: without sts:ExternalId the role is open to the confused deputy problem (generate one with generate_external_id())",
            ));
        }
        Ok(args)
    }

    fn build(&self, py: Python<'_>) -> PyResult<TrustPolicy> {
        let mut builder = TrustPolicy::builder()
            .partition(self.partition.as_str())
            .require_mfa(self.require_mfa)
            .allow_source_identity(self.allow_source_identity)
            .allow_tag_session(self.allow_tag_session);
        for account in &self.trusted_accounts {
            builder = builder.trusted_account(account.as_str());
        }
        for arn in &self.trusted_principals {
            builder = builder.trusted_principal(arn.as_str());
        }
        for id in &self.external_ids {
            builder = builder.external_id(id.as_str());
        }
        builder
            .build()
            .map_err(|e| to_py_err(py, rename(e, builder_keyword)))
    }
}

/// The trust policy (IAM policy document, pretty JSON) that lets the trusted principals assume
/// the role with one of the external IDs.
#[pyfunction]
#[pyo3(signature = (
    *,
    trusted_accounts = None,
    trusted_principals = None,
    external_ids = None,
    require_mfa = false,
    allow_source_identity = false,
    allow_tag_session = false,
    partition = "aws",
))]
#[allow(clippy::too_many_arguments)]
pub fn trust_policy_json(
    py: Python<'_>,
    trusted_accounts: Option<Bound<'_, PyAny>>,
    trusted_principals: Option<Bound<'_, PyAny>>,
    external_ids: Option<Bound<'_, PyAny>>,
    require_mfa: bool,
    allow_source_identity: bool,
    allow_tag_session: bool,
    partition: &str,
) -> PyResult<String> {
    let args = TrustArgs::extract(
        py,
        trusted_accounts,
        trusted_principals,
        external_ids,
        require_mfa,
        allow_source_identity,
        allow_tag_session,
        partition.to_string(),
    )?;
    Ok(args.build(py)?.to_json())
}

/// A CloudFormation template (YAML) with the role, its trust policy, the S3 read-only policy
/// when a bucket is given, and the output `RoleArn`.
#[pyfunction]
#[pyo3(signature = (
    role_name = "DemoRole",
    *,
    trusted_accounts = None,
    trusted_principals = None,
    external_ids = None,
    require_mfa = false,
    allow_source_identity = false,
    allow_tag_session = false,
    partition = "aws",
    s3_read_bucket = None,
    s3_read_prefix = None,
))]
#[allow(clippy::too_many_arguments)]
pub fn trust_policy_cloudformation(
    py: Python<'_>,
    role_name: &str,
    trusted_accounts: Option<Bound<'_, PyAny>>,
    trusted_principals: Option<Bound<'_, PyAny>>,
    external_ids: Option<Bound<'_, PyAny>>,
    require_mfa: bool,
    allow_source_identity: bool,
    allow_tag_session: bool,
    partition: &str,
    s3_read_bucket: Option<String>,
    s3_read_prefix: Option<String>,
) -> PyResult<String> {
    let args = TrustArgs::extract(
        py,
        trusted_accounts,
        trusted_principals,
        external_ids,
        require_mfa,
        allow_source_identity,
        allow_tag_session,
        partition.to_string(),
    )?;
    let trust = args.build(py)?;
    let permissions = match (s3_read_bucket, s3_read_prefix) {
        (Some(bucket), prefix) => vec![s3_policy(&bucket, prefix.as_deref(), &args.partition)
            .map_err(|e| to_py_err(py, rename(e, template_keyword)))?],
        (None, Some(_)) => {
            return Err(invalid(
                py,
                "s3_read_prefix",
                "s3_read_prefix needs s3_read_bucket (the bucket the prefix is in)",
            ))
        }
        (None, None) => Vec::new(),
    };
    trust
        .to_cloudformation(role_name, &permissions)
        .map_err(|e| to_py_err(py, rename(e, template_keyword)))
}

/// The permission policy (pretty JSON) that lets the role read one S3 bucket, or the keys
/// under one prefix of it.
#[pyfunction]
#[pyo3(signature = (bucket, prefix = None, *, partition = "aws"))]
pub fn s3_read_only_policy_json(
    py: Python<'_>,
    bucket: &str,
    prefix: Option<&str>,
    partition: &str,
) -> PyResult<String> {
    s3_policy(bucket, prefix, partition)
        .map(|p| p.to_json())
        .map_err(|e| to_py_err(py, e))
}

/// Evaluates a trust policy for one AssumeRole request: `(kind, reason, statement, sid)`.
///
/// Invalid input raises `InvalidParameterError` instead of giving `unknown`, as the command
/// line exits 2 for it: a policy IAM would not accept (field `policy_json`), a malformed caller
/// ARN (`principal_arn`), an external ID STS would refuse (`external_id`).
#[pyfunction]
#[pyo3(signature = (policy_json, principal_arn, external_id = None, mfa = false, *, long_term_credentials = false))]
pub fn trust_evaluate(
    py: Python<'_>,
    policy_json: &str,
    principal_arn: &str,
    external_id: Option<String>,
    mfa: bool,
    long_term_credentials: bool,
) -> PyResult<DecisionParts> {
    if let Some(w) = lint(policy_json)
        .into_iter()
        .find(|w| w.code == LintCode::InvalidPolicy)
    {
        return Err(invalid(py, "policy_json", w.message));
    }
    // The core reports a malformed caller ARN as an unknown decision; a policy that allows
    // everyone can be undecidable only because of the caller ARN.
    const ANYONE: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}"#;
    if let Decision::Unknown { reason, .. } =
        evaluate(ANYONE, &AssumeRoleRequest::new(principal_arn))
    {
        return Err(invalid(py, "principal_arn", reason));
    }
    let mut request = AssumeRoleRequest::new(principal_arn)
        .mfa(mfa)
        .long_term_credentials(long_term_credentials);
    if let Some(id) = external_id {
        let id = ExternalId::new(id).map_err(|e| to_py_err(py, e))?;
        request = request.external_id(id.as_str());
    }
    let decision = evaluate(policy_json, &request);
    let reason = decision.reason().map(str::to_string);
    Ok(match decision {
        Decision::Allowed { statement, sid, .. } => ("allowed", None, Some(statement), sid),
        Decision::Denied { statement, .. } => ("denied", reason, statement, None),
        other => (other.kind(), reason, None, None),
    })
}

/// Lints a trust policy: `[(code, message, statement), ...]`, empty when clean.
#[pyfunction]
pub fn trust_lint(policy_json: &str) -> Vec<(&'static str, String, Option<usize>)> {
    lint(policy_json)
        .into_iter()
        .map(|w| (w.code.as_str(), w.message, w.statement))
        .collect()
}

fn s3_policy(
    bucket: &str,
    prefix: Option<&str>,
    partition: &str,
) -> Result<PermissionPolicy, Error> {
    PermissionPolicy::s3_read_only(bucket, prefix).and_then(|p| p.with_partition(partition))
}

/// A list of strings from any iterable but a single string (which would iterate characters).
fn strings(name: &str, value: Option<Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    match value {
        None => Ok(Vec::new()),
        Some(v) if v.is_instance_of::<PyString>() => Err(PyTypeError::new_err(format!(
            "{name} must be a sequence of strings, not a single string: use [{:?}]",
            v.extract::<String>().unwrap_or_default()
        ))),
        Some(v) => v
            .try_iter()?
            .map(|item| item?.extract::<String>())
            .collect(),
    }
}

/// The Python keyword of a trust policy builder field.
fn builder_keyword(field: &'static str) -> &'static str {
    match field {
        "trusted_account" => "trusted_accounts",
        "trusted_principal" => "trusted_principals",
        "external_id" => "external_ids",
        other => other,
    }
}

/// The Python keyword of a `trust_policy_cloudformation` field.
fn template_keyword(field: &'static str) -> &'static str {
    match field {
        "bucket" => "s3_read_bucket",
        "prefix" => "s3_read_prefix",
        other => other,
    }
}

/// A core validation error with its field renamed to the Python keyword.
fn rename(err: Error, keyword: fn(&'static str) -> &'static str) -> Error {
    match err {
        Error::InvalidParameter { field, reason, .. } => {
            Error::invalid_parameter(keyword(field), reason)
        }
        other => other,
    }
}
