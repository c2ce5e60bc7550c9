//! The local evaluator: would this trust policy let this caller assume the role?

use std::fmt;

use super::condition::{self, Context, Outcome};
use super::document::{self, Actions, Effect, Principals, Statement};
use super::glob;
use super::principal::{Caller, CallerKind};

/// The action a trust policy is evaluated for.
const ASSUME_ROLE: &str = "sts:AssumeRole";

/// An `sts:AssumeRole` call as the trusting account's trust policy sees it.
///
/// Built with [`AssumeRoleRequest::new`] and chainable setters; the fields are public to read.
///
/// # Examples
///
/// ```
/// use cross_account::trust::AssumeRoleRequest;
///
/// let request = AssumeRoleRequest::new("arn:aws:iam::111122223333:user/alice")
///     .external_id("ExternalId123")
///     .mfa(true);
/// assert_eq!(request.external_id.as_deref(), Some("ExternalId123"));
/// assert!(request.mfa_present);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    /// The ARN of the caller: `arn:aws:iam::ACCOUNT:user/NAME`, `arn:aws:iam::ACCOUNT:role/NAME`,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` or `arn:aws:iam::ACCOUNT:root`.
    pub principal_arn: String,
    /// The `ExternalId` the caller sends, if any (`sts:ExternalId`).
    pub external_id: Option<String>,
    /// Whether the caller authenticated with MFA (`aws:MultiFactorAuthPresent`).
    pub mfa_present: bool,
    /// Whether the caller signs with long-term access keys (an IAM user's). Without MFA, such
    /// a request has no `aws:MultiFactorAuthPresent` key at all, instead of `false`; that makes
    /// a difference for `Bool` versus `BoolIfExists`. Default: `false` (temporary credentials).
    pub long_term_credentials: bool,
    /// For a role session caller: the full ARN of its role, path included, which is the value
    /// of `aws:PrincipalArn`. A session ARN omits the path, so without it a condition on
    /// `aws:PrincipalArn` is [`Decision::Unknown`] for a session.
    pub principal_role_arn: Option<String>,
}

impl AssumeRoleRequest {
    /// A request from `principal_arn`, with no external ID and no MFA.
    ///
    /// The ARN is checked when the request is evaluated: a malformed one gives
    /// [`Decision::Unknown`].
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::AssumeRoleRequest;
    /// let request = AssumeRoleRequest::new("arn:aws:sts::111122223333:assumed-role/Sync/nightly");
    /// assert_eq!(request.external_id, None);
    /// assert!(!request.mfa_present);
    /// ```
    pub fn new(principal_arn: impl Into<String>) -> Self {
        AssumeRoleRequest {
            principal_arn: principal_arn.into(),
            external_id: None,
            mfa_present: false,
            long_term_credentials: false,
            principal_role_arn: None,
        }
    }

    /// For a role session caller (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`), the ARN of
    /// its role with the path: `aws:PrincipalArn` is then known.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::{evaluate, AssumeRoleRequest};
    /// let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    ///   "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
    ///   "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/ops/Sync"}}}]}"#;
    /// let session = AssumeRoleRequest::new("arn:aws:sts::111122223333:assumed-role/Sync/nightly");
    /// assert!(evaluate(policy, &session).is_unknown());
    /// let with_path = session.principal_role_arn("arn:aws:iam::111122223333:role/ops/Sync");
    /// assert!(evaluate(policy, &with_path).is_allowed());
    /// ```
    pub fn principal_role_arn(mut self, role_arn: impl Into<String>) -> Self {
        self.principal_role_arn = Some(role_arn.into());
        self
    }

    /// Sends an external ID with the request.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::AssumeRoleRequest;
    /// let request = AssumeRoleRequest::new("arn:aws:iam::111122223333:user/alice").external_id("x1");
    /// assert_eq!(request.external_id.as_deref(), Some("x1"));
    /// ```
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Says whether the caller authenticated with MFA.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::AssumeRoleRequest;
    /// assert!(AssumeRoleRequest::new("arn:aws:iam::111122223333:user/alice").mfa(true).mfa_present);
    /// ```
    pub fn mfa(mut self, present: bool) -> Self {
        self.mfa_present = present;
        self
    }

    /// Says whether the caller signs with long-term access keys (see the field's documentation).
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::{evaluate, AssumeRoleRequest};
    /// let policy = r#"{"Version": "2012-10-17", "Statement": [
    ///   {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"},
    ///   {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
    ///    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}"#;
    /// let user = AssumeRoleRequest::new("arn:aws:iam::111122223333:user/alice");
    /// // Temporary credentials without MFA: the key is "false", the Deny applies.
    /// assert!(evaluate(policy, &user.clone()).is_denied());
    /// // Long-term keys without MFA: the key is absent, and Bool on an absent key is false.
    /// assert!(evaluate(policy, &user.long_term_credentials(true)).is_allowed());
    /// ```
    pub fn long_term_credentials(mut self, long_term: bool) -> Self {
        self.long_term_credentials = long_term;
        self
    }

    fn context(&self, caller: &Caller) -> Context {
        let mfa_present = if self.mfa_present {
            Some("true".to_string())
        } else if self.long_term_credentials {
            None
        } else {
            Some("false".to_string())
        };
        Context {
            external_id: self.external_id.clone(),
            mfa_present,
            principal_arn: caller.principal_arn_key(self.principal_role_arn.as_deref()),
            principal_account: caller.account.clone(),
        }
    }
}

/// What a trust policy decides for an [`AssumeRoleRequest`].
///
/// # Examples
///
/// ```
/// use cross_account::trust::{evaluate, AssumeRoleRequest, Decision};
///
/// let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
///   "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole",
///   "Condition": {"StringEquals": {"sts:ExternalId": "ExternalId123"}}}]}"#;
/// let request = AssumeRoleRequest::new("arn:aws:iam::111122223333:user/alice").external_id("abc");
/// match evaluate(policy, &request) {
///     Decision::Denied { reason, .. } => {
///         assert!(reason.contains("sts:ExternalId is 'abc' but the policy requires 'ExternalId123'"))
///     }
///     other => panic!("unexpected {other}"),
/// }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Decision {
    /// A statement allows the request and no Deny applies.
    #[non_exhaustive]
    Allowed {
        /// The index of the first statement that allows it (`Statement[i]`, counted from 0).
        statement: usize,
        /// That statement's `Sid`, if it has one.
        sid: Option<String>,
    },
    /// The request is refused: an explicit Deny applies, or no Allow does.
    #[non_exhaustive]
    Denied {
        /// Which statement denied, or why none allowed, naming the closest statement and the
        /// failing condition.
        reason: String,
        /// The statement the reason is about: the Deny that applied or the closest Allow.
        statement: Option<usize>,
    },
    /// The evaluator cannot tell: the policy is not valid, or a statement that matters uses an
    /// operator, a condition key or a form it does not evaluate. Never reported as allowed.
    #[non_exhaustive]
    Unknown {
        /// What could not be evaluated, and where.
        reason: String,
    },
}

impl Decision {
    /// Whether the request is allowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::{evaluate, AssumeRoleRequest};
    /// let policy = r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}}"#;
    /// assert!(evaluate(policy, &AssumeRoleRequest::new("arn:aws:iam::111122223333:user/a")).is_allowed());
    /// ```
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }

    /// Whether the request is denied.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::{evaluate, AssumeRoleRequest};
    /// let policy = r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}}"#;
    /// assert!(evaluate(policy, &AssumeRoleRequest::new("arn:aws:iam::444455556666:user/a")).is_denied());
    /// ```
    pub fn is_denied(&self) -> bool {
        matches!(self, Decision::Denied { .. })
    }

    /// Whether the evaluator could not decide.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::{evaluate, AssumeRoleRequest};
    /// assert!(evaluate("not json", &AssumeRoleRequest::new("arn:aws:iam::111122223333:user/a")).is_unknown());
    /// ```
    pub fn is_unknown(&self) -> bool {
        matches!(self, Decision::Unknown { .. })
    }

    /// The reason of a denial or of an unknown decision; `None` when allowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::{evaluate, AssumeRoleRequest};
    /// let policy = r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}}"#;
    /// let decision = evaluate(policy, &AssumeRoleRequest::new("arn:aws:iam::444455556666:user/a"));
    /// assert_eq!(
    ///     decision.reason(),
    ///     Some("principal arn:aws:iam::444455556666:user/a is not trusted (the policy trusts 111122223333)")
    /// );
    /// ```
    pub fn reason(&self) -> Option<&str> {
        match self {
            Decision::Allowed { .. } => None,
            Decision::Denied { reason, .. } | Decision::Unknown { reason } => Some(reason),
        }
    }

    /// `"allowed"`, `"denied"` or `"unknown"`: a stable name for exit codes and bindings.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::{evaluate, AssumeRoleRequest};
    /// assert_eq!(evaluate("{}", &AssumeRoleRequest::new("arn:aws:iam::111122223333:user/a")).kind(), "unknown");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Decision::Allowed { .. } => "allowed",
            Decision::Denied { .. } => "denied",
            Decision::Unknown { .. } => "unknown",
        }
    }

    /// The decision as one JSON object: `{"decision": "allowed" | "denied" | "unknown",
    /// "reason": ..., "statement": ..., "sid": ...}`, with `null` for what does not apply.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::{evaluate, AssumeRoleRequest};
    /// let policy = r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}}"#;
    /// let json = evaluate(policy, &AssumeRoleRequest::new("arn:aws:iam::111122223333:user/a")).to_json();
    /// assert_eq!(json, r#"{"decision":"allowed","reason":null,"statement":0,"sid":null}"#);
    /// ```
    pub fn to_json(&self) -> String {
        let (statement, sid) = match self {
            Decision::Allowed { statement, sid } => (Some(*statement), sid.clone()),
            Decision::Denied { statement, .. } => (*statement, None),
            Decision::Unknown { .. } => (None, None),
        };
        // Written by hand so the key order is the documented one whatever serde_json's
        // features elsewhere in the build.
        format!(
            r#"{{"decision":{},"reason":{},"statement":{},"sid":{}}}"#,
            serde_json::Value::from(self.kind()),
            serde_json::Value::from(self.reason()),
            serde_json::Value::from(statement),
            serde_json::Value::from(sid),
        )
    }

    /// An allowed decision by `statement` (with its `Sid`), as [`evaluate`] gives it; for
    /// bindings that rebuild a decision from its parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use cross_account::trust::Decision;
    /// assert_eq!(Decision::allowed(1, Some("S".into())).to_string(), "allowed by Statement[1] (Sid \"S\")");
    /// assert_eq!(Decision::denied("no", None).to_string(), "denied: no");
    /// assert_eq!(Decision::unknown("why").to_string(), "unknown: why");
    /// ```
    pub fn allowed(statement: usize, sid: Option<String>) -> Decision {
        Decision::Allowed { statement, sid }
    }

    /// A denied decision with its reason and the statement it is about.
    pub fn denied(reason: impl Into<String>, statement: Option<usize>) -> Decision {
        Decision::Denied {
            reason: reason.into(),
            statement,
        }
    }

    /// An undecidable decision with its reason.
    pub fn unknown(reason: impl Into<String>) -> Decision {
        Decision::Unknown {
            reason: reason.into(),
        }
    }

    /// The statement concerned: the Allow that allows, the Deny that applied or the closest
    /// Allow; `None` when there is none.
    pub fn statement(&self) -> Option<usize> {
        match self {
            Decision::Allowed { statement, .. } => Some(*statement),
            Decision::Denied { statement, .. } => *statement,
            Decision::Unknown { .. } => None,
        }
    }

    /// The `Sid` of the statement that allows, if it has one.
    pub fn sid(&self) -> Option<&str> {
        match self {
            Decision::Allowed { sid, .. } => sid.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allowed {
                statement,
                sid: Some(sid),
            } if !sid.is_empty() => write!(f, "allowed by Statement[{statement}] (Sid {sid:?})"),
            Decision::Allowed { statement, .. } => write!(f, "allowed by Statement[{statement}]"),
            Decision::Denied { reason, .. } => write!(f, "denied: {reason}"),
            Decision::Unknown { reason } => write!(f, "unknown: {reason}"),
        }
    }
}

/// Evaluates a role trust policy for one `sts:AssumeRole` request, locally, as IAM would.
///
/// - An explicit `Deny` that applies wins; otherwise an `Allow` that applies allows; otherwise
///   the request is denied. The reason names the Deny, or the closest Allow and what failed.
/// - `Principal`: `"*"`, or `{"AWS": ...}` with a string or a list of `"*"`, account IDs and
///   account root ARNs (any principal of that account), role ARNs (the role and its sessions),
///   user ARNs and assumed-role session ARNs. `Service`/`Federated` principals match no one here.
/// - `Action`/`NotAction` with `*` and `?`, case-insensitively.
/// - Conditions: `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`,
///   `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike`, `ArnEquals`, `ArnNotEquals`,
///   `ArnLike`, `ArnNotLike`, their `IfExists` forms and `ForAnyValue:`/`ForAllValues:`
///   qualifiers, `Bool`, `BoolIfExists` and `Null`, on the keys `sts:ExternalId`,
///   `aws:MultiFactorAuthPresent`, `aws:PrincipalArn` and `aws:PrincipalAccount` (key names
///   case-insensitive). A key absent from the request behaves as in IAM. For a role session,
///   `aws:PrincipalArn` is its role's ARN with the path, which the session ARN does not carry:
///   it is unknown unless [`AssumeRoleRequest::principal_role_arn`] gives it.
/// - A caller that is an account's root user is denied, as STS refuses root user credentials
///   before reading any policy.
///
/// Never allows by silence: invalid JSON, a document IAM would reject (e.g. with `Resource` or
/// `NotPrincipal`), a malformed caller ARN, or an operator, key or policy variable it does not
/// evaluate in a statement that could change the outcome give [`Decision::Unknown`] with the
/// reason. This function reports everything through [`Decision`]; it never returns an error and
/// never panics. [`check`](super::check) is the same evaluation with invalid input reported as
/// errors instead.
///
/// # Examples
///
/// ```
/// use cross_account::trust::{evaluate, AssumeRoleRequest, Decision};
///
/// let policy = r#"{
///   "Version": "2012-10-17",
///   "Statement": [{
///     "Effect": "Allow",
///     "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
///     "Action": "sts:AssumeRole",
///     "Condition": {"StringEquals": {"sts:ExternalId": "ExternalId123"}}
///   }]
/// }"#;
/// let partner = AssumeRoleRequest::new("arn:aws:sts::111122223333:assumed-role/Sync/nightly");
///
/// assert!(evaluate(policy, &partner.clone().external_id("ExternalId123")).is_allowed());
/// let denied = evaluate(policy, &partner);
/// assert_eq!(
///     denied.reason(),
///     Some("Statement[0] does not apply: no external ID was sent but the policy requires 'ExternalId123'")
/// );
/// ```
pub fn evaluate(policy_json: &str, request: &AssumeRoleRequest) -> Decision {
    let doc = match document::parse(policy_json) {
        Ok(doc) => doc,
        Err(reason) => return Decision::unknown(format!("not a valid trust policy: {reason}")),
    };
    match caller_of(request) {
        Ok(caller) => decide(&doc, &caller, request, Mode::Exact),
        Err(reason) => Decision::unknown(reason),
    }
}

/// The request's caller, checked, with its role ARN checked when one is given.
pub(crate) fn caller_of(request: &AssumeRoleRequest) -> Result<Caller, String> {
    let caller = Caller::parse(&request.principal_arn)?;
    if let Some(role_arn) = &request.principal_role_arn {
        caller.check_role_arn(role_arn)?;
    }
    Ok(caller)
}

/// How conditions the evaluator cannot decide are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// As IAM would, and `Unknown` where that cannot be told.
    Exact,
    /// For the confused-deputy probe: the caller is a trusted party acting for someone else, so
    /// it meets every condition about itself (its IP, tags, organisation, ...). Undecidable
    /// conditions hold in an Allow and keep a Deny from applying: the answer is whether a
    /// trusted caller can be let in, not whether a given one is.
    Deputy,
}

/// The account's root user cannot assume roles: STS refuses before any policy is read.
fn root_refusal(caller: &Caller) -> Decision {
    Decision::denied(
        format!(
            "{} is the root user of account {}, and STS refuses AssumeRole with root user credentials (AccessDenied: \"Roles may not be assumed by root accounts\"); call it as an IAM user or role of that account",
            caller.arn, caller.account
        ),
        None,
    )
}

pub(crate) fn decide(
    doc: &document::Document,
    caller: &Caller,
    request: &AssumeRoleRequest,
    mode: Mode,
) -> Decision {
    if caller.kind == CallerKind::Root {
        return root_refusal(caller);
    }
    let ctx = request.context(caller);
    let variables = doc.version.as_deref() == Some("2012-10-17");
    let assessments: Vec<Assessment<'_>> = doc
        .statements
        .iter()
        .map(|s| Assessment::new(s, caller, &ctx, variables, mode))
        .collect();

    let first = |effect: Effect, want_yes: bool| {
        assessments
            .iter()
            .filter(|a| a.statement.effect == effect)
            .find_map(|a| match (a.applies(), want_yes) {
                (Applies::Yes, true) => Some((a, None)),
                (Applies::Maybe(reason), false) => Some((a, Some(reason))),
                _ => None,
            })
    };

    if let Some((deny, _)) = first(Effect::Deny, true) {
        let because = if deny.holds.is_empty() {
            String::new()
        } else {
            format!(": {}", deny.holds.join("; "))
        };
        return Decision::denied(
            format!(
                "{} explicitly denies this request{because}",
                deny.statement.label()
            ),
            Some(deny.statement.index),
        );
    }
    let allow_yes = first(Effect::Allow, true);
    let allow_maybe = first(Effect::Allow, false);
    if let Some((deny, Some(reason))) = first(Effect::Deny, false) {
        if allow_yes.is_some() || allow_maybe.is_some() {
            return Decision::unknown(format!(
                "{}, a Deny, may apply and cannot be evaluated: {reason}",
                deny.statement.label()
            ));
        }
        // Nothing allows the request, so it is denied whether or not that Deny applies.
        return implicit_deny(&assessments, caller);
    }
    if let Some((allow, _)) = allow_yes {
        return Decision::Allowed {
            statement: allow.statement.index,
            sid: allow.statement.sid.clone(),
        };
    }
    if let Some((allow, Some(reason))) = allow_maybe {
        // No Deny may apply here (that case returned above).
        return Decision::unknown(format!(
            "{} may allow this request but cannot be evaluated: {reason}",
            allow.statement.label()
        ));
    }
    implicit_deny(&assessments, caller)
}

enum Applies {
    Yes,
    No,
    Maybe(String),
}

/// One statement's parts, evaluated for the request.
struct Assessment<'a> {
    statement: &'a Statement,
    /// `Ok(true)` when the principal is trusted, `Err` when that cannot be told.
    principal: Result<bool, String>,
    action: bool,
    holds: Vec<String>,
    fails: Vec<String>,
    unknowns: Vec<String>,
}

impl<'a> Assessment<'a> {
    fn new(
        statement: &'a Statement,
        caller: &Caller,
        ctx: &Context,
        variables: bool,
        mode: Mode,
    ) -> Self {
        let principal = match &statement.principals {
            Principals::Everyone => Ok(true),
            Principals::Aws(entries) => {
                let mut undecided = None;
                let mut found = false;
                for entry in entries {
                    match caller.matched_by(entry) {
                        Ok(true) => {
                            found = true;
                            break;
                        }
                        Ok(false) => {}
                        Err(reason) => {
                            undecided.get_or_insert(reason);
                        }
                    }
                }
                match (found, undecided) {
                    (true, _) => Ok(true),
                    (false, Some(reason)) => Err(reason),
                    (false, None) => Ok(false),
                }
            }
        };
        let action = match &statement.actions {
            Actions::Action(patterns) => {
                patterns.iter().any(|p| glob::matches(p, ASSUME_ROLE, true))
            }
            Actions::NotAction(patterns) => {
                !patterns.iter().any(|p| glob::matches(p, ASSUME_ROLE, true))
            }
        };
        let (mut holds, mut fails, mut unknowns) = (Vec::new(), Vec::new(), Vec::new());
        for entry in &statement.conditions {
            match condition::evaluate(entry, ctx, variables) {
                Outcome::Holds(s) => holds.push(s),
                Outcome::Fails(s) => fails.push(s),
                Outcome::Unknown(s) => unknowns.push(s),
            }
        }
        let mut principal = principal;
        if mode == Mode::Deputy {
            principal = Ok(principal.unwrap_or(false));
            if !unknowns.is_empty() {
                match statement.effect {
                    Effect::Allow => holds.append(&mut unknowns),
                    Effect::Deny => fails.append(&mut unknowns),
                }
            }
        }
        Assessment {
            statement,
            principal,
            action,
            holds,
            fails,
            unknowns,
        }
    }

    /// Kleene logic: a definite "no" anywhere settles it, even next to an unknown.
    fn applies(&self) -> Applies {
        if !self.action || self.principal == Ok(false) || !self.fails.is_empty() {
            return Applies::No;
        }
        if let Err(reason) = &self.principal {
            return Applies::Maybe(reason.clone());
        }
        match self.unknowns.first() {
            Some(reason) => Applies::Maybe(reason.clone()),
            None => Applies::Yes,
        }
    }
}

/// Why nothing allowed the request, about the closest Allow statement.
fn implicit_deny(assessments: &[Assessment<'_>], caller: &Caller) -> Decision {
    let allows: Vec<&Assessment<'_>> = assessments
        .iter()
        .filter(|a| a.statement.effect == Effect::Allow)
        .collect();
    if allows.is_empty() {
        return Decision::denied(
            "the policy has no Allow statement, so nothing allows this request",
            None,
        );
    }
    // 1. Principal and action match, but conditions fail: report the statement with the
    //    fewest failing conditions.
    if let Some(closest) = allows
        .iter()
        .filter(|a| a.action && a.principal != Ok(false) && !a.fails.is_empty())
        .min_by_key(|a| a.fails.len())
    {
        return Decision::denied(
            format!(
                "{} does not apply: {}",
                closest.statement.label(),
                closest.fails.join("; ")
            ),
            Some(closest.statement.index),
        );
    }
    // 2. The principal is trusted, but not for sts:AssumeRole.
    if let Some(closest) = allows.iter().find(|a| a.principal == Ok(true)) {
        let actions = match &closest.statement.actions {
            Actions::Action(list) => quote_all(list),
            Actions::NotAction(list) => format!("every action except {}", quote_all(list)),
        };
        return Decision::denied(
            format!(
                "{} trusts {} but allows {actions}, not {ASSUME_ROLE}",
                closest.statement.label(),
                caller.arn
            ),
            Some(closest.statement.index),
        );
    }
    // 3. The principal is not trusted.
    let for_action: Vec<&&Assessment<'_>> = allows.iter().filter(|a| a.action).collect();
    let Some(closest) = for_action.first() else {
        return Decision::denied(format!("no Allow statement covers {ASSUME_ROLE}"), None);
    };
    let mut trusted: Vec<&str> = Vec::new();
    for a in &for_action {
        if let Principals::Aws(entries) = &a.statement.principals {
            for entry in entries {
                if !trusted.contains(&entry.as_str()) {
                    trusted.push(entry);
                }
            }
        }
    }
    let trusts = if trusted.is_empty() {
        "the policy trusts no AWS principal, only services or federated identities".to_string()
    } else {
        format!("the policy trusts {}", trusted.join(", "))
    };
    Decision::denied(
        format!("principal {} is not trusted ({trusts})", caller.arn),
        Some(closest.statement.index),
    )
}

fn quote_all(list: &[String]) -> String {
    list.iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PARTNER: &str = "arn:aws:iam::111122223333:root";
    const USER: &str = "arn:aws:iam::111122223333:user/alice";
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Sync/nightly";
    const STRANGER: &str = "arn:aws:iam::444455556666:user/mallory";

    fn policy(statements: &str) -> String {
        format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#)
    }

    fn allow(principal: &str, condition: &str) -> String {
        let condition = if condition.is_empty() {
            String::new()
        } else {
            format!(r#", "Condition": {condition}"#)
        };
        format!(
            r#"{{"Effect": "Allow", "Principal": {principal}, "Action": "sts:AssumeRole"{condition}}}"#
        )
    }

    fn ext_policy() -> String {
        policy(&allow(
            &format!(r#"{{"AWS": "{PARTNER}"}}"#),
            r#"{"StringEquals": {"sts:ExternalId": "ExternalId123"}}"#,
        ))
    }

    fn reason(d: &Decision) -> &str {
        d.reason().unwrap_or("")
    }

    #[test]
    fn external_id_policy() {
        let p = ext_policy();
        let ok = evaluate(
            &p,
            &AssumeRoleRequest::new(USER).external_id("ExternalId123"),
        );
        assert_eq!(
            ok,
            Decision::Allowed {
                statement: 0,
                sid: None
            }
        );
        assert_eq!(ok.to_string(), "allowed by Statement[0]");
        let wrong = evaluate(&p, &AssumeRoleRequest::new(SESSION).external_id("abc"));
        assert_eq!(
            wrong,
            Decision::Denied {
                reason: "Statement[0] does not apply: sts:ExternalId is 'abc' but the policy requires 'ExternalId123'".into(),
                statement: Some(0)
            }
        );
        let none = evaluate(&p, &AssumeRoleRequest::new(SESSION));
        assert!(reason(&none)
            .contains("no external ID was sent but the policy requires 'ExternalId123'"));
        let stranger = evaluate(
            &p,
            &AssumeRoleRequest::new(STRANGER).external_id("ExternalId123"),
        );
        assert_eq!(
            reason(&stranger),
            "principal arn:aws:iam::444455556666:user/mallory is not trusted (the policy trusts arn:aws:iam::111122223333:root)"
        );
        assert!(stranger.to_string().starts_with("denied: principal"));
    }

    #[test]
    fn principals() {
        let req = |arn: &str| AssumeRoleRequest::new(arn);
        for principal in [
            r#""*""#,
            r#"{"AWS": "*"}"#,
            r#"{"AWS": ["444455556666", "111122223333"]}"#,
            r#"{"AWS": "arn:aws:iam::111122223333:root"}"#,
            r#"{"AWS": "arn:aws:iam::111122223333:role/Sync"}"#,
            r#"{"AWS": "arn:aws:sts::111122223333:assumed-role/Sync/nightly"}"#,
            r#"{"AWS": ["arn:aws:iam::111122223333:role/Other", "arn:aws:iam::111122223333:role/Sync"], "Service": "ec2.amazonaws.com"}"#,
        ] {
            let p = policy(&allow(principal, ""));
            assert!(evaluate(&p, &req(SESSION)).is_allowed(), "{principal}");
        }
        for principal in [
            r#"{"AWS": "444455556666"}"#,
            r#"{"AWS": "arn:aws:iam::111122223333:role/Other"}"#,
            r#"{"AWS": "arn:aws:sts::111122223333:assumed-role/Sync/other"}"#,
            r#"{"AWS": "arn:aws:iam::111122223333:user/alice"}"#,
            r#"{"AWS": "arn:aws-cn:iam::111122223333:root"}"#,
            r#"{"Service": "ec2.amazonaws.com"}"#,
        ] {
            let p = policy(&allow(principal, ""));
            assert!(evaluate(&p, &req(SESSION)).is_denied(), "{principal}");
        }
        let p = policy(&allow(r#"{"Service": "ec2.amazonaws.com"}"#, ""));
        assert!(reason(&evaluate(&p, &req(SESSION))).contains("trusts no AWS principal"));
        // A wildcard inside a principal ARN is not valid IAM: unknown, unless another entry decides.
        let p = policy(&allow(r#"{"AWS": "arn:aws:iam::111122223333:user/*"}"#, ""));
        assert!(evaluate(&p, &req(USER)).is_unknown());
        let p = policy(&allow(
            r#"{"AWS": ["arn:aws:iam::111122223333:user/*", "111122223333"]}"#,
            "",
        ));
        assert!(evaluate(&p, &req(USER)).is_allowed());
        // A malformed caller.
        let d = evaluate(&ext_policy(), &req("alice"));
        assert!(
            d.is_unknown() && reason(&d).contains("not a caller ARN"),
            "{d}"
        );
    }

    #[test]
    fn actions() {
        let with_action = |action: &str| {
            policy(&format!(
                r#"{{"Effect": "Allow", "Principal": {{"AWS": "111122223333"}}, {action}}}"#
            ))
        };
        let req = AssumeRoleRequest::new(USER);
        for action in [
            r#""Action": "sts:AssumeRole""#,
            r#""Action": "STS:assumerole""#,
            r#""Action": "sts:*""#,
            r#""Action": "*""#,
            r#""Action": "sts:Assume????""#,
            r#""Action": ["sts:TagSession", "sts:AssumeRole"]"#,
            r#""NotAction": "sts:TagSession""#,
            r#""NotAction": ["iam:*", "sts:AssumeRoleWith*"]"#,
        ] {
            assert!(
                evaluate(&with_action(action), &req).is_allowed(),
                "{action}"
            );
        }
        for action in [
            r#""Action": "sts:AssumeRoleWithSAML""#,
            r#""Action": "sts:AssumeRole?""#,
            r#""Action": "iam:*""#,
            r#""NotAction": "sts:*""#,
            r#""NotAction": "sts:AssumeRole""#,
        ] {
            let d = evaluate(&with_action(action), &req);
            assert!(d.is_denied(), "{action}");
            assert!(reason(&d).contains("not sts:AssumeRole"), "{d}");
        }
        let d = evaluate(&with_action(r#""NotAction": "sts:*""#), &req);
        assert!(reason(&d).contains("every action except 'sts:*'"), "{d}");
    }

    #[test]
    fn deny_wins() {
        let allow_all = allow(r#"{"AWS": "111122223333"}"#, "");
        let deny = r#"{"Sid": "NoMfaNoEntry", "Effect": "Deny", "Principal": "*", "Action": "sts:*",
                      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}"#;
        let p = policy(&format!("{allow_all}, {deny}"));
        let d = evaluate(&p, &AssumeRoleRequest::new(USER));
        assert_eq!(
            d,
            Decision::Denied {
                reason: "Statement[1] (Sid \"NoMfaNoEntry\") explicitly denies this request: BoolIfExists on aws:MultiFactorAuthPresent holds (aws:MultiFactorAuthPresent is 'false')".into(),
                statement: Some(1)
            }
        );
        assert!(evaluate(
            &p,
            &AssumeRoleRequest::new(USER).long_term_credentials(true)
        )
        .is_denied());
        assert!(evaluate(&p, &AssumeRoleRequest::new(USER).mfa(true)).is_allowed());
        // A Deny listed first still loses nothing: order does not matter.
        let p = policy(&format!("{deny}, {allow_all}"));
        assert!(evaluate(&p, &AssumeRoleRequest::new(USER)).is_denied());
        // An unconditional Deny of another principal does not apply.
        let p = policy(&format!(
            r#"{allow_all}, {{"Effect": "Deny", "Principal": {{"AWS": "{STRANGER}"}}, "Action": "sts:AssumeRole"}}"#
        ));
        assert!(evaluate(&p, &AssumeRoleRequest::new(USER)).is_allowed());
        assert!(evaluate(&p, &AssumeRoleRequest::new(STRANGER)).is_denied());
    }

    #[test]
    fn only_denies() {
        let p = policy(
            r#"{"Effect": "Deny", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole"}"#,
        );
        let d = evaluate(&p, &AssumeRoleRequest::new(USER));
        assert_eq!(
            reason(&d),
            "the policy has no Allow statement, so nothing allows this request"
        );
        let d = evaluate(r#"{"Statement": []}"#, &AssumeRoleRequest::new(USER));
        assert!(d.is_denied());
    }

    #[test]
    fn unknown_never_allows() {
        let user = AssumeRoleRequest::new(USER).external_id("ExternalId123");
        // An unknown operator in the only Allow: unknown.
        let p = policy(&allow(
            r#"{"AWS": "111122223333"}"#,
            r#"{"StringEqualz": {"sts:ExternalId": "ExternalId123"}}"#,
        ));
        let d = evaluate(&p, &user);
        assert!(d.is_unknown(), "{d}");
        assert!(reason(&d).contains("StringEqualz"), "{d}");
        assert!(reason(&d).starts_with("Statement[0] may allow"), "{d}");
        // An unsupported key next to a failing condition: the failure decides.
        let p = policy(&allow(
            r#"{"AWS": "111122223333"}"#,
            r#"{"StringEquals": {"sts:ExternalId": "other1", "aws:SourceIp": "10.0.0.1"}}"#,
        ));
        assert!(evaluate(&p, &user).is_denied());
        // An unknown operator in a Deny that may apply, with an Allow that applies: unknown.
        let p = policy(&format!(
            r#"{}, {{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {{"DateGreaterThan": {{"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}}}}"#,
            allow(r#"{"AWS": "111122223333"}"#, "")
        ));
        let d = evaluate(&p, &user);
        assert!(d.is_unknown(), "{d}");
        assert!(reason(&d).contains("a Deny, may apply"), "{d}");
        // The same Deny with no Allow that applies: denied regardless.
        let p = policy(&format!(
            r#"{}, {{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {{"DateGreaterThan": {{"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}}}}"#,
            allow(r#"{"AWS": "444455556666"}"#, "")
        ));
        assert!(evaluate(&p, &user).is_denied());
        // An unknown operator in a statement that does not apply is irrelevant.
        let p = policy(&format!(
            "{}, {}",
            allow(r#"{"AWS": "111122223333"}"#, ""),
            allow(r#"{"AWS": "444455556666"}"#, r#"{"Foo": {"bar": "x"}}"#)
        ));
        assert!(evaluate(&p, &user).is_allowed());
        // An allow that applies for sure beats an allow that may.
        let p = policy(&format!(
            "{}, {}",
            allow(r#"{"AWS": "111122223333"}"#, r#"{"Foo": {"bar": "x"}}"#),
            allow(r#"{"AWS": "111122223333"}"#, "")
        ));
        assert_eq!(
            evaluate(&p, &user),
            Decision::Allowed {
                statement: 1,
                sid: None
            }
        );
        // Invalid documents.
        for bad in ["", "null", "{", r#"{"Statement": [{"Effect": "Allow"}]}"#] {
            let d = evaluate(bad, &user);
            assert!(reason(&d).starts_with("not a valid trust policy: "), "{d}");
        }
    }

    #[test]
    fn closest_statement_is_named() {
        let p = policy(&format!(
            "{}, {}",
            allow(r#"{"AWS": "444455556666"}"#, ""),
            r#"{"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "ExternalId123"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}}}"#
        ));
        let d = evaluate(&p, &AssumeRoleRequest::new(USER).external_id("abc"));
        assert_eq!(
            d,
            Decision::Denied {
                reason: "Statement[1] (Sid \"Partner\") does not apply: aws:MultiFactorAuthPresent is 'false' but the policy requires 'true'; sts:ExternalId is 'abc' but the policy requires 'ExternalId123'".into(),
                statement: Some(1)
            }
        );
        assert!(evaluate(&p, &AssumeRoleRequest::new(STRANGER)).is_allowed());
        let d = evaluate(
            &p,
            &AssumeRoleRequest::new("arn:aws:iam::777788889999:user/eve"),
        );
        assert_eq!(
            d,
            Decision::Denied {
                reason: "principal arn:aws:iam::777788889999:user/eve is not trusted (the policy trusts 444455556666, 111122223333)".into(),
                statement: Some(0)
            }
        );
    }

    #[test]
    fn decision_accessors() {
        let d = evaluate(&ext_policy(), &AssumeRoleRequest::new(USER));
        assert_eq!(d.kind(), "denied");
        assert!(!d.is_allowed() && d.is_denied() && !d.is_unknown());
        let d = Decision::unknown("x");
        assert_eq!(d.to_string(), "unknown: x");
        let d = Decision::Allowed {
            statement: 2,
            sid: Some("S".into()),
        };
        assert_eq!(d.to_string(), "allowed by Statement[2] (Sid \"S\")");
        assert_eq!(d.reason(), None);
    }

    // ---- property tests ----

    fn principal_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(r#""*""#.to_string()),
            Just(r#"{"AWS": "*"}"#.to_string()),
            Just(r#"{"AWS": "111122223333"}"#.to_string()),
            Just(r#"{"AWS": "arn:aws:iam::111122223333:root"}"#.to_string()),
            Just(r#"{"AWS": ["444455556666", "arn:aws:iam::111122223333:role/Sync"]}"#.to_string()),
            Just(r#"{"AWS": "arn:aws:iam::111122223333:user/*"}"#.to_string()),
            Just(r#"{"AWS": "444455556666"}"#.to_string()),
            Just(r#"{"Service": "ec2.amazonaws.com"}"#.to_string()),
        ]
    }

    fn action_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(r#""Action": "sts:AssumeRole""#.to_string()),
            Just(r#""Action": "sts:*""#.to_string()),
            Just(r#""Action": ["sts:TagSession", "sts:assume?ole"]"#.to_string()),
            Just(r#""Action": "sts:AssumeRoleWithSAML""#.to_string()),
            Just(r#""NotAction": "sts:TagSession""#.to_string()),
            Just(r#""NotAction": "sts:*""#.to_string()),
        ]
    }

    fn condition_strategy() -> impl Strategy<Value = String> {
        let op = prop::sample::select(vec![
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
            "StringEqualsIfExists",
            "StringNotLikeIfExists",
            "ForAnyValue:StringEquals",
            "ForAllValues:StringLike",
            "Bool",
            "BoolIfExists",
            "Null",
            "ArnLike",
            "NumericLessThan",
            "Bogus",
        ]);
        let key = prop::sample::select(vec![
            "sts:ExternalId",
            "STS:externalid",
            "aws:MultiFactorAuthPresent",
            "aws:PrincipalArn",
            "aws:PrincipalAccount",
            "aws:SourceIp",
        ]);
        let value = prop::sample::select(vec![
            "ExternalId123",
            "Ext*",
            "abc",
            "true",
            "false",
            "111122223333",
            "arn:aws:iam::*:*",
            "${aws:username}",
        ]);
        prop::collection::vec((op, key, prop::collection::vec(value, 1..3)), 0..3).prop_map(
            |entries| {
                let parts: Vec<String> = entries
                    .iter()
                    .map(|(op, key, values)| {
                        let vals: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                        format!(r#""{op}": {{"{key}": [{}]}}"#, vals.join(", "))
                    })
                    .collect();
                format!("{{{}}}", parts.join(", "))
            },
        )
    }

    fn statement_strategy(effect: &'static str) -> impl Strategy<Value = String> {
        (principal_strategy(), action_strategy(), condition_strategy()).prop_map(
            move |(principal, action, condition)| {
                format!(
                    r#"{{"Effect": "{effect}", "Principal": {principal}, {action}, "Condition": {condition}}}"#
                )
            },
        )
    }

    fn request_strategy() -> impl Strategy<Value = AssumeRoleRequest> {
        (
            prop::sample::select(vec![USER, SESSION, STRANGER, PARTNER]),
            prop::option::of(prop::sample::select(vec!["ExternalId123", "abc", "Ext-9"])),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(arn, ext, mfa, long_term)| {
                let mut r = AssumeRoleRequest::new(arn)
                    .mfa(mfa)
                    .long_term_credentials(long_term);
                if let Some(e) = ext {
                    r = r.external_id(e);
                }
                r
            })
    }

    fn any_statement() -> impl Strategy<Value = String> {
        prop_oneof![statement_strategy("Allow"), statement_strategy("Deny")]
    }

    /// JSON-ish values built from policy vocabulary, to reach deep into the parser.
    fn jsonish() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let words = prop::sample::select(vec![
            "Version",
            "2012-10-17",
            "Statement",
            "Effect",
            "Allow",
            "Deny",
            "Principal",
            "AWS",
            "*",
            "Action",
            "NotAction",
            "sts:AssumeRole",
            "Condition",
            "StringEquals",
            "Null",
            "Bool",
            "sts:ExternalId",
            "111122223333",
            "arn:aws:iam::111122223333:root",
            "true",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| Value::Number(n.into())),
            words.clone().prop_map(|w| Value::String(w.into())),
            "\\PC{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((words.clone(), inner), 0..5).prop_map(|entries| {
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect(),
                    )
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn adding_a_deny_never_allows(
            statements in prop::collection::vec(any_statement(), 0..4),
            deny in statement_strategy("Deny"),
            at in 0usize..5,
            request in request_strategy(),
        ) {
            let before = evaluate(&policy(&statements.join(", ")), &request);
            let mut with_deny = statements.clone();
            with_deny.insert(at.min(statements.len()), deny);
            let after = evaluate(&policy(&with_deny.join(", ")), &request);
            prop_assert!(!after.is_allowed() || before.is_allowed(), "before: {before}\nafter: {after}");
            // A Deny also never turns a denial into anything else.
            prop_assert!(!before.is_denied() || after.is_denied(), "before: {before}\nafter: {after}");
        }

        #[test]
        fn adding_an_allow_never_denies_what_was_allowed(
            statements in prop::collection::vec(any_statement(), 0..4),
            extra in statement_strategy("Allow"),
            request in request_strategy(),
        ) {
            let before = evaluate(&policy(&statements.join(", ")), &request);
            let mut more = statements.clone();
            more.push(extra);
            let after = evaluate(&policy(&more.join(", ")), &request);
            prop_assert!(!before.is_allowed() || after.is_allowed(), "before: {before}\nafter: {after}");
        }

        #[test]
        fn never_panics_on_jsonish_input(doc in jsonish(), request in request_strategy()) {
            let text = doc.to_string();
            let _ = evaluate(&text, &request);
        }

        #[test]
        fn never_panics_on_arbitrary_text(text in "\\PC{0,200}", arn in "\\PC{0,60}") {
            let _ = evaluate(&text, &AssumeRoleRequest::new(arn.clone()));
            let _ = evaluate(&ext_policy(), &AssumeRoleRequest::new(arn));
        }
    }
}
