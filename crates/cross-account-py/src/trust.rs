//! The trusting side: trust and permission policy documents, the local evaluator and the lint.
//!
//! Wrappers over `cross_account::trust` only: `Decision`, `LintWarning` and `LintReport` hold
//! the core's values, and their `str()` is the core's `Display`. `cross_account/trust.py`
//! re-exports these under their documented names.

use cross_account::trust::{
    check, lint_report, lint_with, s3_read_only_permissions, AssumeRoleRequest, Decision, LintCode,
    LintOptions, LintReport as CoreLintReport, LintWarning as CoreLintWarning, PermissionPolicy,
    TrustPolicy, DEFAULT_ROLE_NAME,
};
use cross_account::Error;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyType};

use crate::errors::to_py_err;
use crate::keywords::{opt_bool, opt_list, opt_str, Keywords};

/// The constructor arguments of a `Decision`: kind, reason, statement, sid (for pickling).
type DecisionArgs = (&'static str, Option<String>, Option<usize>, Option<String>);

/// The constructor arguments of a `LintWarning`: code, message, statement.
type WarningArgs = (&'static str, String, Option<usize>);

/// What a trust policy decides for one AssumeRole request.
///
/// ``kind`` is ``"allowed"``, ``"denied"`` or ``"unknown"`` (the policy uses an operator or a
/// key the local evaluator does not know: it never allows by silence); ``reason`` says why it
/// is denied or unknown (``None`` when allowed); ``statement`` is the statement concerned
/// (``Statement[i]`` counted from 0); ``sid`` the ``Sid`` of the statement that allows.
/// ``str()`` is the line ``cross-account trust-policy check`` prints.
#[pyclass(frozen, eq, hash, module = "cross_account.trust", name = "Decision")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyDecision(Decision);

#[pymethods]
impl PyDecision {
    #[new]
    #[pyo3(signature = (kind, reason = None, statement = None, sid = None))]
    fn new(
        kind: &str,
        reason: Option<String>,
        statement: Option<usize>,
        sid: Option<String>,
    ) -> PyResult<Self> {
        let decision =
            match (kind, reason, statement) {
                ("allowed", None, Some(statement)) => Decision::allowed(statement, sid),
                ("allowed", _, _) => {
                    return Err(PyValueError::new_err(
                        "an allowed Decision has a statement and no reason",
                    ))
                }
                ("denied", Some(reason), statement) if sid.is_none() => {
                    Decision::denied(reason, statement)
                }
                ("unknown", Some(reason), None) if sid.is_none() => Decision::unknown(reason),
                ("denied" | "unknown", _, _) => return Err(PyValueError::new_err(
                    "a denied or unknown Decision has a reason and no sid (unknown: no statement)",
                )),
                (other, _, _) => {
                    return Err(PyValueError::new_err(format!(
                        "kind must be 'allowed', 'denied' or 'unknown', not {other:?}"
                    )))
                }
            };
        Ok(PyDecision(decision))
    }

    /// ``"allowed"``, ``"denied"`` or ``"unknown"``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind()
    }

    /// Why it is denied or unknown; ``None`` when allowed.
    #[getter]
    fn reason(&self) -> Option<&str> {
        self.0.reason()
    }

    /// The statement concerned (``Statement[i]``, counted from 0), if any.
    #[getter]
    fn statement(&self) -> Option<usize> {
        self.0.statement()
    }

    /// The ``Sid`` of the statement that allows, if it has one.
    #[getter]
    fn sid(&self) -> Option<&str> {
        self.0.sid()
    }

    /// Whether the request is allowed.
    #[getter]
    fn allowed(&self) -> bool {
        self.0.is_allowed()
    }

    /// Whether the request is denied.
    #[getter]
    fn denied(&self) -> bool {
        self.0.is_denied()
    }

    /// Whether the local evaluator cannot decide.
    #[getter]
    fn unknown(&self) -> bool {
        self.0.is_unknown()
    }

    /// The decision as one JSON object, as ``trust-policy check --format json`` prints it.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        let opt = |v: Option<&str>| v.map_or("None".to_string(), |s| format!("{s:?}"));
        format!(
            "Decision(kind='{}', reason={}, statement={}, sid={})",
            self.0.kind(),
            opt(self.0.reason()),
            self.0
                .statement()
                .map_or("None".to_string(), |i| i.to_string()),
            opt(self.0.sid())
        )
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, DecisionArgs)> {
        let d = &slf.get().0;
        Ok((
            slf.get_type(),
            (
                d.kind(),
                d.reason().map(str::to_string),
                d.statement(),
                d.sid().map(str::to_string),
            ),
        ))
    }
}

/// One finding of ``lint``: ``code`` (``confused-deputy``, ``oidc-sub-missing``, ...),
/// ``message`` (what is wrong, where, and what to do instead), ``statement`` (counted from 0,
/// if any) and ``severity`` (``"error"``: IAM rejects the policy, ``"warning"``, ``"note"``).
/// ``str()`` is the line ``cross-account trust-policy lint`` prints.
#[pyclass(frozen, eq, hash, module = "cross_account.trust", name = "LintWarning")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyLintWarning(CoreLintWarning);

#[pymethods]
impl PyLintWarning {
    #[new]
    #[pyo3(signature = (code, message, statement = None))]
    fn new(code: &str, message: String, statement: Option<usize>) -> PyResult<Self> {
        let code = LintCode::from_name(code)
            .ok_or_else(|| PyValueError::new_err(format!("{code:?} is not a lint code")))?;
        Ok(PyLintWarning(CoreLintWarning::new(
            code, message, statement,
        )))
    }

    /// What kind of problem it is, e.g. ``"confused-deputy"``.
    #[getter]
    fn code(&self) -> &'static str {
        self.0.code.as_str()
    }

    /// What is wrong, where, and what to do instead.
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }

    /// The statement concerned (``Statement[i]``, counted from 0), if any.
    #[getter]
    fn statement(&self) -> Option<usize> {
        self.0.statement
    }

    /// ``"error"`` (IAM rejects the policy), ``"warning"`` or ``"note"``.
    #[getter]
    fn severity(&self) -> &'static str {
        self.0.severity.as_str()
    }

    /// The rule's help text: what it checks and how to fix it.
    #[getter]
    fn help(&self) -> &'static str {
        self.0.code.help()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "LintWarning(code='{}', message={:?}, statement={})",
            self.0.code,
            self.0.message,
            self.0
                .statement
                .map_or("None".to_string(), |i| i.to_string())
        )
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, WarningArgs)> {
        let w = &slf.get().0;
        Ok((
            slf.get_type(),
            (w.code.as_str(), w.message.clone(), w.statement),
        ))
    }
}

/// The lint of every trust policy in one file (``lint_report``): a bare policy, each
/// ``AWS::IAM::Role`` of a CloudFormation template or each ``aws_iam_role`` of a Terraform
/// plan. ``str()`` is ``trust-policy lint``'s text output.
#[pyclass(frozen, module = "cross_account.trust", name = "LintReport")]
pub struct PyLintReport(CoreLintReport);

#[pymethods]
impl PyLintReport {
    /// ``[(name, [LintWarning, ...]), ...]``: the logical ID or Terraform address (``None``
    /// for a bare policy) and its findings, in file order.
    #[getter]
    fn documents(&self) -> Vec<(Option<String>, Vec<PyLintWarning>)> {
        self.0
            .documents
            .iter()
            .map(|d| {
                (
                    d.document.name.clone(),
                    d.warnings.iter().cloned().map(PyLintWarning).collect(),
                )
            })
            .collect()
    }

    /// Whether IAM would reject a policy (a finding of severity ``"error"``).
    #[getter]
    fn has_errors(&self) -> bool {
        self.0.has_errors()
    }

    /// Whether there is a finding of severity ``"warning"``.
    #[getter]
    fn has_warnings(&self) -> bool {
        self.0.has_warnings()
    }

    /// The report as JSON, as ``trust-policy lint --format json`` prints it.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// The report as SARIF 2.1.0, as ``trust-policy lint --format sarif`` prints it; ``uri``
    /// names the file in each result's location.
    fn to_sarif(&self, uri: &str) -> String {
        self.0.to_sarif(uri)
    }

    fn __str__(&self) -> String {
        self.0.to_text()
    }

    fn __repr__(&self) -> String {
        format!(
            "<LintReport: {} document(s), errors={}, warnings={}>",
            self.0.documents.len(),
            self.0.has_errors(),
            self.0.has_warnings()
        )
    }
}

/// The keywords of a trust policy, taken by the JSON and the CloudFormation form.
const TRUST: &[&str] = &[
    "trusted_accounts",
    "trusted_principals",
    "external_ids",
    "require_mfa",
    "allow_source_identity",
    "allow_tag_session",
    "partition",
];

/// What only the CloudFormation form adds: the bucket (and prefix) the role may read.
const TEMPLATE: &[&str] = &["s3_read_bucket", "s3_read_prefix"];

/// The trust policy these keywords describe.
fn trust_policy(py: Python<'_>, kw: &Keywords<'_>) -> PyResult<TrustPolicy> {
    let external_ids = opt_list("external_ids", kw.get("external_ids")?)?;
    let mut builder = TrustPolicy::builder()
        .partition(partition(kw)?)
        .require_mfa(opt_bool("require_mfa", kw.get("require_mfa")?, false)?)
        .allow_source_identity(opt_bool(
            "allow_source_identity",
            kw.get("allow_source_identity")?,
            false,
        )?)
        .allow_tag_session(opt_bool(
            "allow_tag_session",
            kw.get("allow_tag_session")?,
            false,
        )?);
    for account in opt_list("trusted_accounts", kw.get("trusted_accounts")?)? {
        builder = builder.trusted_account(account);
    }
    for arn in opt_list("trusted_principals", kw.get("trusted_principals")?)? {
        builder = builder.trusted_principal(arn);
    }
    for id in external_ids {
        builder = builder.external_id(id);
    }
    builder
        .build()
        .map_err(|e| to_py_err(py, rename(e, builder_keyword)))
}

/// `partition`, default `aws`.
fn partition(kw: &Keywords<'_>) -> PyResult<String> {
    Ok(opt_str("partition", kw.get("partition")?)?.unwrap_or_else(|| "aws".to_string()))
}

/// The trust policy (IAM policy document, pretty JSON) that lets the trusted principals assume
/// the role with one of the external IDs.
#[pyfunction]
#[pyo3(
    signature = (**keywords),
    text_signature = "(*, trusted_accounts=None, trusted_principals=None, external_ids=None, \
        require_mfa=False, allow_source_identity=False, allow_tag_session=False, partition='aws')"
)]
pub fn trust_policy_json(py: Python<'_>, keywords: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
    let kw = Keywords::new("trust_policy", keywords, &[TRUST])?;
    Ok(trust_policy(py, &kw)?.to_json())
}

/// A CloudFormation template (YAML) with the role, its trust policy, the S3 read-only policy
/// when a bucket is given, and the output `RoleArn`.
#[pyfunction]
#[pyo3(
    signature = (role_name = None, **keywords),
    text_signature = "(role_name=None, *, trusted_accounts=None, trusted_principals=None, \
        external_ids=None, require_mfa=False, allow_source_identity=False, \
        allow_tag_session=False, partition='aws', s3_read_bucket=None, s3_read_prefix=None)"
)]
pub fn trust_policy_cloudformation(
    py: Python<'_>,
    role_name: Option<&str>,
    keywords: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let kw = Keywords::new("cloudformation", keywords, &[TRUST, TEMPLATE])?;
    let trust = trust_policy(py, &kw)?;
    let permissions = s3_read_only_permissions(
        opt_str("s3_read_bucket", kw.get("s3_read_bucket")?)?.as_deref(),
        opt_str("s3_read_prefix", kw.get("s3_read_prefix")?)?.as_deref(),
        &partition(&kw)?,
    )
    .map_err(|e| to_py_err(py, rename(e, template_keyword)))?;
    trust
        .to_cloudformation(role_name.unwrap_or(DEFAULT_ROLE_NAME), &permissions)
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

/// Would this trust policy let this caller assume the role? Locally, as IAM would.
///
/// ``policy_json`` is the trust policy as JSON text or as the parsed document;
/// ``principal_arn`` the caller (``arn:aws:iam::ACCOUNT:user/NAME``, ``...:role/NAME``,
/// ``...:root`` or ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``); ``external_id`` what
/// it sends; ``mfa`` whether it authenticated with MFA; ``long_term_credentials`` that it
/// signs with an IAM user's access keys (without MFA, ``aws:MultiFactorAuthPresent`` is then
/// absent rather than ``"false"``); ``principal_role_arn``, for a role session, its role's
/// full ARN with the path (the value of ``aws:PrincipalArn``, which a session ARN does not
/// carry). Only the trust policy is evaluated: the caller also needs ``sts:AssumeRole`` in its
/// own account's policies.
///
/// Raises ``InvalidParameterError`` when the policy is not one IAM would accept (``field``
/// ``policy_json``), the caller ARN is malformed (``principal_arn``), the role ARN is not the
/// session's role (``principal_role_arn``) or STS would refuse the external ID
/// (``external_id``).
#[pyfunction]
#[pyo3(signature = (policy_json, principal_arn, external_id = None, mfa = false, *, long_term_credentials = false, principal_role_arn = None))]
pub fn trust_evaluate(
    py: Python<'_>,
    policy_json: &Bound<'_, PyAny>,
    principal_arn: &str,
    external_id: Option<String>,
    mfa: bool,
    long_term_credentials: bool,
    principal_role_arn: Option<String>,
) -> PyResult<PyDecision> {
    let text = policy_text(py, policy_json)?;
    let mut request = AssumeRoleRequest::new(principal_arn)
        .mfa(mfa)
        .long_term_credentials(long_term_credentials);
    if let Some(id) = external_id {
        request = request.external_id(id);
    }
    if let Some(role_arn) = principal_role_arn {
        request = request.principal_role_arn(role_arn);
    }
    check(&text, &request)
        .map(PyDecision)
        .map_err(|e| to_py_err(py, rename(e, evaluate_keyword)))
}

/// Confused-deputy, federation, grammar and hygiene findings for a trust policy (JSON text or
/// the parsed document); empty when it is clean.
///
/// The confused-deputy verdict comes from the evaluator: a trusted principal let in with no
/// external ID, or with one other than those agreed. Also flagged: OIDC trusts (GitHub
/// Actions, EKS, others) without ``sub``/``aud`` conditions or with a ``sub`` wildcard, SAML
/// without ``SAML:aud``, principals with an action they cannot call, services without
/// ``aws:SourceAccount``/``aws:SourceArn``, what IAM's grammar rejects (severity ``error``),
/// Principal ``"*"``, weak ``sts:ExternalId`` checks, short IDs and a missing or old
/// ``Version``. ``own_accounts`` and ``orgs`` name the trusting side's own accounts and
/// organisations: their principals get a ``confused-deputy-quieted`` note instead. Text that
/// is not a trust policy gives one ``invalid-policy`` finding.
#[pyfunction]
#[pyo3(signature = (policy_json, *, own_accounts = None, orgs = None))]
pub fn trust_lint(
    py: Python<'_>,
    policy_json: &Bound<'_, PyAny>,
    own_accounts: Option<Bound<'_, PyAny>>,
    orgs: Option<Bound<'_, PyAny>>,
) -> PyResult<Vec<PyLintWarning>> {
    let text = policy_text(py, policy_json)?;
    let options = lint_options(py, own_accounts, orgs)?;
    Ok(lint_with(&text, &options)
        .into_iter()
        .map(PyLintWarning)
        .collect())
}

/// Lints every trust policy in ``text``: a policy, a CloudFormation template (YAML or JSON;
/// every ``AWS::IAM::Role``, named by logical ID) or a Terraform plan (``terraform show
/// -json``; every ``aws_iam_role``, named by address). ``own_accounts`` and ``orgs`` as for
/// ``lint``; a template's own account (``AWS::AccountId``) counts as one of yours.
///
/// Raises ``InvalidParameterError`` (``field`` ``template``) when a YAML template cannot be
/// read.
#[pyfunction]
#[pyo3(signature = (text, *, own_accounts = None, orgs = None))]
pub fn trust_lint_report(
    py: Python<'_>,
    text: &str,
    own_accounts: Option<Bound<'_, PyAny>>,
    orgs: Option<Bound<'_, PyAny>>,
) -> PyResult<PyLintReport> {
    let options = lint_options(py, own_accounts, orgs)?;
    lint_report(text, &options)
        .map(PyLintReport)
        .map_err(|e| to_py_err(py, e))
}

fn lint_options(
    py: Python<'_>,
    own_accounts: Option<Bound<'_, PyAny>>,
    orgs: Option<Bound<'_, PyAny>>,
) -> PyResult<LintOptions> {
    let mut options = LintOptions::builder();
    for account in opt_list("own_accounts", own_accounts)? {
        options = options.own_account(account);
    }
    for org in opt_list("orgs", orgs)? {
        options = options.org(org);
    }
    options
        .build()
        .map_err(|e| to_py_err(py, rename(e, lint_keyword)))
}

/// The policy as JSON text: a `str` as it is, anything else through `json.dumps`.
fn policy_text(py: Python<'_>, policy: &Bound<'_, PyAny>) -> PyResult<String> {
    if policy.is_instance_of::<PyString>() {
        return policy.extract();
    }
    py.import("json")?
        .call_method1("dumps", (policy,))?
        .extract()
}

fn s3_policy(
    bucket: &str,
    prefix: Option<&str>,
    partition: &str,
) -> Result<PermissionPolicy, Error> {
    PermissionPolicy::s3_read_only(bucket, prefix).and_then(|p| p.with_partition(partition))
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

/// The Python keyword of a `trust_evaluate` field.
fn evaluate_keyword(field: &'static str) -> &'static str {
    match field {
        "policy" => "policy_json",
        other => other,
    }
}

/// The Python keyword of a lint option.
fn lint_keyword(field: &'static str) -> &'static str {
    match field {
        "own_account" => "own_accounts",
        "org" => "orgs",
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
