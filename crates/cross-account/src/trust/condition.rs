//! Condition operators and keys, evaluated against one `AssumeRole` request.
//!
//! Semantics follow the IAM reference ("Condition operators", "IfExists", "Null", "set
//! operators"): several values for one key are ORed (for negated operators: NORed); a key that
//! is absent from the request fails every operator except a negated one, which holds, an
//! `...IfExists` one, which holds, and `Null`, which tests exactly that. For the single-valued
//! keys of an AssumeRole request, `ForAnyValue:` fails on an absent key and `ForAllValues:` holds.

use super::document::ConditionEntry;
use super::glob;

/// The condition keys this evaluator knows, as IAM spells them.
pub(crate) const SUPPORTED_KEYS: &[&str] = &[
    "sts:ExternalId",
    "aws:MultiFactorAuthPresent",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
];

/// The comparison an operator makes, without its qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    ArnEquals,
    ArnNotEquals,
    ArnLike,
    ArnNotLike,
    Bool,
    Null,
}

/// The operators this evaluator evaluates, by their IAM names.
const EVALUATED_OPERATORS: &[(&str, Base)] = &[
    ("StringEquals", Base::StringEquals),
    ("StringNotEquals", Base::StringNotEquals),
    ("StringEqualsIgnoreCase", Base::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Base::StringNotEqualsIgnoreCase),
    ("StringLike", Base::StringLike),
    ("StringNotLike", Base::StringNotLike),
    ("ArnEquals", Base::ArnEquals),
    ("ArnNotEquals", Base::ArnNotEquals),
    ("ArnLike", Base::ArnLike),
    ("ArnNotLike", Base::ArnNotLike),
    ("Bool", Base::Bool),
    ("Null", Base::Null),
];

impl Base {
    fn from_name(name: &str) -> Option<Base> {
        EVALUATED_OPERATORS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, base)| *base)
    }

    /// Whether the operator is the negation of a matching one (`StringNotEquals`, ...).
    pub(crate) fn negated(self) -> bool {
        matches!(
            self,
            Base::StringNotEquals
                | Base::StringNotEqualsIgnoreCase
                | Base::StringNotLike
                | Base::ArnNotEquals
                | Base::ArnNotLike
        )
    }

    /// The matching operator a negated one negates (itself when it is not negated).
    pub(crate) fn positive(self) -> Base {
        match self {
            Base::StringNotEquals => Base::StringEquals,
            Base::StringNotEqualsIgnoreCase => Base::StringEqualsIgnoreCase,
            Base::StringNotLike => Base::StringLike,
            Base::ArnNotEquals => Base::ArnEquals,
            Base::ArnNotLike => Base::ArnLike,
            other => other,
        }
    }
}

/// `ForAnyValue:` or `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// A parsed condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    pub(crate) set: Option<SetQualifier>,
    pub(crate) base: Base,
    pub(crate) if_exists: bool,
}

/// IAM operators this evaluator recognises but does not evaluate (no AssumeRole key it knows
/// takes them).
const UNSUPPORTED_IAM_OPERATORS: &[&str] = &[
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
];

/// Checks an operator name against IAM's grammar (not against what this evaluator supports):
/// `Err` says why IAM would reject the policy.
pub(crate) fn check_grammar(name: &str) -> Result<(), String> {
    let rest = name
        .strip_prefix("ForAnyValue:")
        .or_else(|| name.strip_prefix("ForAllValues:"));
    let qualified = rest.is_some();
    let rest = rest.unwrap_or(name);
    let (if_exists, base) = match rest.strip_suffix("IfExists") {
        Some(base) => (true, base),
        None => (false, rest),
    };
    if base == "Null" && (if_exists || qualified) {
        return Err(format!(
            "{name:?} is not a condition operator: Null takes neither IfExists nor ForAnyValue/ForAllValues"
        ));
    }
    if Base::from_name(base).is_some() || UNSUPPORTED_IAM_OPERATORS.contains(&base) {
        return Ok(());
    }
    let hint = EVALUATED_OPERATORS
        .iter()
        .map(|(known, _)| known)
        .chain(UNSUPPORTED_IAM_OPERATORS)
        .find(|known| known.eq_ignore_ascii_case(base))
        .map(|known| format!(" (operators are case-sensitive: did you mean {known:?}?)"))
        .unwrap_or_default();
    Err(format!(
        "{name:?} is not an IAM condition operator{hint}; IAM rejects the policy"
    ))
}

/// Condition keys that hold one value in an AssumeRole request (set operators make no sense
/// on them). Compared case-insensitively. OIDC `...:sub` keys are single-valued as well.
pub(crate) const SINGLE_VALUED_KEYS: &[&str] = &[
    "sts:ExternalId",
    "sts:RoleSessionName",
    "sts:SourceIdentity",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalType",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SecureTransport",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:userid",
    "aws:username",
    "aws:RequestedRegion",
    "saml:sub",
    "SAML:aud",
];

/// Whether `key` is single-valued in an AssumeRole request.
pub(crate) fn is_single_valued(key: &str) -> bool {
    SINGLE_VALUED_KEYS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
        || (key.contains('/') && key.to_ascii_lowercase().ends_with(":sub"))
        || key.eq_ignore_ascii_case("token.actions.githubusercontent.com:sub")
}

impl Operator {
    /// Whether the operator can only hold when the key is present and matches one of the
    /// values: a requirement, unlike negated, `...IfExists`, `ForAllValues:` and `Null` checks.
    pub(crate) fn requires_match(&self) -> bool {
        matches!(
            self.base,
            Base::StringEquals
                | Base::StringEqualsIgnoreCase
                | Base::StringLike
                | Base::ArnEquals
                | Base::ArnLike
        ) && !self.if_exists
            && self.set != Some(SetQualifier::ForAllValues)
    }

    /// Parses an operator name (case-sensitive, as IAM's).
    pub(crate) fn parse(name: &str) -> Result<Operator, String> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, name)
        };
        let (if_exists, base_name) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let Some(base) = Base::from_name(base_name) else {
            if UNSUPPORTED_IAM_OPERATORS.contains(&base_name) {
                return Err(format!(
                    "condition operator {name:?} is not supported by this evaluator"
                ));
            }
            return Err(format!(
                "{name:?} is not an IAM condition operator this evaluator knows (operators are case-sensitive)"
            ));
        };
        if base == Base::Null && (if_exists || set.is_some()) {
            return Err(format!(
                "{name:?} is not a valid operator: Null takes neither IfExists nor ForAnyValue/ForAllValues"
            ));
        }
        if base == Base::Bool && set.is_some() {
            return Err(format!(
                "{name:?} is not supported by this evaluator: set operators apply to multivalued string keys, and AssumeRole's keys are single-valued"
            ));
        }
        Ok(Operator {
            set,
            base,
            if_exists,
        })
    }
}

/// The request context of an `AssumeRole` call, as the condition keys see it.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub(crate) external_id: Option<String>,
    /// `Some("true")`/`Some("false")`, or `None` when the caller signs with long-term keys
    /// and no MFA.
    pub(crate) mfa_present: Option<String>,
    /// `Err` with the reason when it cannot be known (a role session without its role's ARN).
    pub(crate) principal_arn: Result<String, String>,
    pub(crate) principal_account: String,
}

impl Context {
    /// The canonical key name and its value; `Err` for a key this evaluator does not know.
    fn lookup(&self, key: &str) -> Result<(&'static str, Option<&str>), String> {
        let lower = key.to_ascii_lowercase();
        let canonical = SUPPORTED_KEYS
            .iter()
            .find(|k| k.to_ascii_lowercase() == lower)
            .ok_or_else(|| {
                format!(
                    "condition key {key:?} is not supported by this evaluator (it knows {})",
                    SUPPORTED_KEYS.join(", ")
                )
            })?;
        let value = match *canonical {
            "sts:ExternalId" => self.external_id.as_deref(),
            "aws:MultiFactorAuthPresent" => self.mfa_present.as_deref(),
            "aws:PrincipalArn" => Some(self.principal_arn.as_deref().map_err(Clone::clone)?),
            _ => Some(self.principal_account.as_str()),
        };
        Ok((canonical, value))
    }
}

/// What one condition entry comes to, with a sentence explaining it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Holds(String),
    Fails(String),
    Unknown(String),
}

/// Evaluates one `"Operator": {"key": values}` entry. `variables` says whether `${...}` in values
/// are policy variables (Version 2012-10-17) rather than literal text.
pub(crate) fn evaluate(entry: &ConditionEntry, ctx: &Context, variables: bool) -> Outcome {
    let op = match Operator::parse(&entry.operator) {
        Ok(op) => op,
        Err(reason) => return Outcome::Unknown(reason),
    };
    let (key, value) = match ctx.lookup(&entry.key) {
        Ok(found) => found,
        Err(reason) => return Outcome::Unknown(reason),
    };
    let name = &entry.operator;
    let values = &entry.values;
    if variables && values.iter().any(|v| v.contains("${")) {
        return Outcome::Unknown(format!(
            "{name} on {key} uses a policy variable (${{...}}), which this evaluator does not substitute"
        ));
    }
    if matches!(op.base, Base::Bool | Base::Null) {
        if let Some(bad) = values
            .iter()
            .find(|v| !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false"))
        {
            return Outcome::Unknown(format!(
                "{name} on {key} has value {bad:?}; it takes \"true\" or \"false\""
            ));
        }
    }
    let subject = subject(key, value);

    if op.base == Base::Null {
        let wants_absent = values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        let wants_present = values.iter().any(|v| v.eq_ignore_ascii_case("false"));
        let holds = if value.is_none() {
            wants_absent
        } else {
            wants_present
        };
        return if holds {
            Outcome::Holds(format!("Null on {key} holds ({subject})"))
        } else if value.is_none() {
            Outcome::Fails(format!(
                "{subject} but the policy's Null condition requires it to be present"
            ))
        } else {
            Outcome::Fails(format!(
                "{subject} but the policy's Null condition requires it to be absent"
            ))
        };
    }

    let Some(v) = value else {
        // The key is absent from the request.
        let holds = if op.if_exists {
            true
        } else {
            match op.set {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => op.base.negated(),
            }
        };
        return if holds {
            Outcome::Holds(format!("{name} on {key} holds ({subject})"))
        } else if op.base.negated() {
            Outcome::Fails(format!(
                "{subject}, and {name} needs at least one value to compare"
            ))
        } else {
            Outcome::Fails(format!(
                "{subject} but the policy requires {}",
                requirement(op.base, values)
            ))
        };
    };

    let positive = op.base.positive();
    let any_match = values.iter().any(|p| match positive {
        Base::StringEquals => p == v,
        Base::StringEqualsIgnoreCase => p.to_lowercase() == v.to_lowercase(),
        Base::StringLike => glob::matches(p, v, false),
        Base::ArnEquals | Base::ArnLike => arn_matches(p, v),
        Base::Bool => p.eq_ignore_ascii_case(v),
        _ => false,
    });
    let holds = any_match != op.base.negated();
    if holds {
        Outcome::Holds(format!("{name} on {key} holds ({subject})"))
    } else if op.base.negated() {
        Outcome::Fails(format!(
            "{subject}, which the policy's {name} excludes ({})",
            quoted_list(values)
        ))
    } else {
        Outcome::Fails(format!(
            "{subject} but the policy requires {}",
            requirement(op.base, values)
        ))
    }
}

/// `ArnEquals`/`ArnLike`: each of the six `:`-separated parts is matched on its own, with
/// wildcards, case-sensitively.
fn arn_matches(pattern: &str, value: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let v: Vec<&str> = value.splitn(6, ':').collect();
    p.len() == 6 && v.len() == 6 && p.iter().zip(&v).all(|(p, v)| glob::matches(p, v, false))
}

fn subject(key: &str, value: Option<&str>) -> String {
    match (key, value) {
        (_, Some(v)) => format!("{key} is '{v}'"),
        ("sts:ExternalId", None) => "no external ID was sent".into(),
        ("aws:MultiFactorAuthPresent", None) => {
            "aws:MultiFactorAuthPresent is not in the request (long-term credentials without MFA)"
                .into()
        }
        (_, None) => format!("{key} is not in the request"),
    }
}

fn quoted_list(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    match quoted.len() {
        0 => "no value".into(),
        1 => quoted.join(""),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

fn requirement(base: Base, values: &[String]) -> String {
    let list = quoted_list(values);
    match base.positive() {
        Base::StringEqualsIgnoreCase => format!("{list} (ignoring case)"),
        Base::StringLike => format!("a match for {list}"),
        Base::ArnEquals | Base::ArnLike => format!("an ARN matching {list}"),
        _ => list,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(external_id: Option<&str>, mfa: Option<&str>) -> Context {
        Context {
            external_id: external_id.map(String::from),
            mfa_present: mfa.map(String::from),
            principal_arn: Ok("arn:aws:iam::111122223333:role/Partner".into()),
            principal_account: "111122223333".into(),
        }
    }

    fn eval_on(c: &Context, op: &str, key: &str, values: &[&str]) -> Outcome {
        let entry = ConditionEntry {
            operator: op.into(),
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        evaluate(&entry, c, true)
    }

    /// true / false / None (unknown) for the entry with external ID `id` in the request.
    fn ext(op: &str, values: &[&str], id: Option<&str>) -> Option<bool> {
        match eval_on(&ctx(id, Some("false")), op, "sts:ExternalId", values) {
            Outcome::Holds(_) => Some(true),
            Outcome::Fails(_) => Some(false),
            Outcome::Unknown(_) => None,
        }
    }

    const T: Option<bool> = Some(true);
    const F: Option<bool> = Some(false);

    #[test]
    fn string_operators_present_key() {
        let x = Some("Ext-123");
        assert_eq!(ext("StringEquals", &["Ext-123"], x), T);
        assert_eq!(ext("StringEquals", &["ext-123"], x), F);
        assert_eq!(ext("StringEquals", &["a", "Ext-123"], x), T);
        assert_eq!(ext("StringNotEquals", &["Ext-123"], x), F);
        assert_eq!(ext("StringNotEquals", &["a", "b"], x), T);
        assert_eq!(ext("StringNotEquals", &["a", "Ext-123"], x), F);
        assert_eq!(ext("StringEqualsIgnoreCase", &["EXT-123"], x), T);
        assert_eq!(ext("StringEqualsIgnoreCase", &["EXT-124"], x), F);
        assert_eq!(ext("StringNotEqualsIgnoreCase", &["ext-123"], x), F);
        assert_eq!(ext("StringNotEqualsIgnoreCase", &["ext-124"], x), T);
        assert_eq!(ext("StringLike", &["Ext-*"], x), T);
        assert_eq!(ext("StringLike", &["Ext-12?"], x), T);
        assert_eq!(ext("StringLike", &["ext-*"], x), F);
        assert_eq!(ext("StringLike", &["Ext-12"], x), F);
        assert_eq!(ext("StringNotLike", &["Ext-*"], x), F);
        assert_eq!(ext("StringNotLike", &["Other*", "x?"], x), T);
        // IfExists on a present key is the plain operator.
        assert_eq!(ext("StringEqualsIfExists", &["Ext-123"], x), T);
        assert_eq!(ext("StringEqualsIfExists", &["nope"], x), F);
        assert_eq!(ext("StringNotEqualsIfExists", &["Ext-123"], x), F);
        assert_eq!(ext("StringLikeIfExists", &["E*"], x), T);
        assert_eq!(ext("StringNotLikeIfExists", &["E*"], x), F);
        // Set qualifiers on a single present value are the plain operator.
        assert_eq!(ext("ForAnyValue:StringEquals", &["Ext-123"], x), T);
        assert_eq!(ext("ForAnyValue:StringEquals", &["n"], x), F);
        assert_eq!(ext("ForAllValues:StringEquals", &["Ext-123"], x), T);
        assert_eq!(ext("ForAllValues:StringEquals", &["n"], x), F);
        assert_eq!(ext("ForAnyValue:StringNotEquals", &["n"], x), T);
        assert_eq!(ext("ForAllValues:StringLike", &["Ext*"], x), T);
        assert_eq!(ext("ForAllValues:StringNotLikeIfExists", &["Ext*"], x), F);
    }

    #[test]
    fn string_operators_missing_key() {
        assert_eq!(ext("StringEquals", &["Ext-123"], None), F);
        assert_eq!(ext("StringEqualsIgnoreCase", &["Ext-123"], None), F);
        assert_eq!(ext("StringLike", &["*"], None), F);
        // Negated operators hold when the key is absent.
        assert_eq!(ext("StringNotEquals", &["Ext-123"], None), T);
        assert_eq!(ext("StringNotEqualsIgnoreCase", &["Ext-123"], None), T);
        assert_eq!(ext("StringNotLike", &["*"], None), T);
        // IfExists holds when the key is absent, negated or not.
        assert_eq!(ext("StringEqualsIfExists", &["Ext-123"], None), T);
        assert_eq!(ext("StringLikeIfExists", &["x"], None), T);
        assert_eq!(ext("StringNotEqualsIfExists", &["Ext-123"], None), T);
        // ForAnyValue on an empty set fails, ForAllValues holds (vacuous truth).
        assert_eq!(ext("ForAnyValue:StringEquals", &["Ext-123"], None), F);
        assert_eq!(ext("ForAnyValue:StringNotEquals", &["Ext-123"], None), F);
        assert_eq!(ext("ForAllValues:StringEquals", &["Ext-123"], None), T);
        assert_eq!(ext("ForAllValues:StringNotLike", &["*"], None), T);
        assert_eq!(ext("ForAnyValue:StringLikeIfExists", &["*"], None), T);
    }

    #[test]
    fn null_and_bool() {
        assert_eq!(ext("Null", &["true"], None), T);
        assert_eq!(ext("Null", &["true"], Some("x1")), F);
        assert_eq!(ext("Null", &["false"], Some("x1")), T);
        assert_eq!(ext("Null", &["false"], None), F);
        assert_eq!(ext("Null", &["TRUE"], None), T);
        assert_eq!(ext("Null", &["maybe"], None), None);
        assert_eq!(ext("NullIfExists", &["true"], None), None);
        assert_eq!(ext("ForAnyValue:Null", &["true"], None), None);

        let mfa = |op: &str, v: &[&str], m: Option<&str>| match eval_on(
            &ctx(None, m),
            op,
            "aws:multifactorauthpresent",
            v,
        ) {
            Outcome::Holds(_) => T,
            Outcome::Fails(_) => F,
            Outcome::Unknown(_) => None,
        };
        assert_eq!(mfa("Bool", &["true"], Some("true")), T);
        assert_eq!(mfa("Bool", &["True"], Some("true")), T);
        assert_eq!(mfa("Bool", &["true"], Some("false")), F);
        assert_eq!(mfa("Bool", &["true"], None), F);
        assert_eq!(mfa("Bool", &["false"], None), F);
        assert_eq!(mfa("BoolIfExists", &["false"], None), T);
        assert_eq!(mfa("BoolIfExists", &["false"], Some("false")), T);
        assert_eq!(mfa("BoolIfExists", &["false"], Some("true")), F);
        assert_eq!(mfa("Bool", &["yes"], Some("true")), None);
        assert_eq!(mfa("ForAllValues:Bool", &["true"], Some("true")), None);
    }

    #[test]
    fn principal_keys_and_arn_operators() {
        let c = ctx(None, None);
        let holds =
            |op: &str, key: &str, v: &[&str]| matches!(eval_on(&c, op, key, v), Outcome::Holds(_));
        assert!(holds(
            "StringEquals",
            "aws:PrincipalAccount",
            &["111122223333"]
        ));
        assert!(!holds(
            "StringEquals",
            "aws:PrincipalAccount",
            &["444455556666"]
        ));
        assert!(holds(
            "StringEquals",
            "AWS:PRINCIPALARN",
            &["arn:aws:iam::111122223333:role/Partner"]
        ));
        assert!(holds(
            "ArnLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:role/Part*"]
        ));
        assert!(holds(
            "ArnEquals",
            "aws:PrincipalArn",
            &["arn:aws:iam::111122223333:role/Partner"]
        ));
        assert!(!holds(
            "ArnLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:user/*"]
        ));
        assert!(!holds("ArnLike", "aws:PrincipalArn", &["not-an-arn"]));
        assert!(holds(
            "ArnNotLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:user/*"]
        ));
        assert!(holds(
            "ArnNotEquals",
            "aws:PrincipalArn",
            &["arn:aws:iam::111122223333:role/Other"]
        ));
    }

    #[test]
    fn unknowns() {
        let c = ctx(Some("x"), None);
        for (op, key) in [
            ("StringEqualz", "sts:ExternalId"),
            ("stringequals", "sts:ExternalId"),
            ("NumericLessThan", "sts:ExternalId"),
            ("DateGreaterThan", "sts:ExternalId"),
            ("StringEquals", "aws:SourceIp"),
            ("StringEquals", "aws:PrincipalTag/team"),
        ] {
            assert!(
                matches!(eval_on(&c, op, key, &["x"]), Outcome::Unknown(_)),
                "{op} {key}"
            );
        }
        match eval_on(&c, "NumericLessThan", "aws:MultiFactorAuthAge", &["3600"]) {
            Outcome::Unknown(r) => assert!(r.contains("not supported"), "{r}"),
            other => panic!("{other:?}"),
        }
        match eval_on(&c, "StringEquals", "sts:ExternalId", &["${aws:username}"]) {
            Outcome::Unknown(r) => assert!(r.contains("policy variable"), "{r}"),
            other => panic!("{other:?}"),
        }
        let entry = ConditionEntry {
            operator: "StringEquals".into(),
            key: "sts:ExternalId".into(),
            values: vec!["${x}".into()],
        };
        // Version 2008-10-17 has no policy variables: the text is literal.
        assert!(matches!(evaluate(&entry, &c, false), Outcome::Fails(_)));
    }

    #[test]
    fn explanations() {
        let reason = |op: &str, values: &[&str], id: Option<&str>| match eval_on(
            &ctx(id, Some("false")),
            op,
            "sts:externalid",
            values,
        ) {
            Outcome::Fails(r) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason("StringEquals", &["ExternalId123"], Some("abc")),
            "sts:ExternalId is 'abc' but the policy requires 'ExternalId123'"
        );
        assert_eq!(
            reason("StringEquals", &["ExternalId123"], None),
            "no external ID was sent but the policy requires 'ExternalId123'"
        );
        assert_eq!(
            reason("StringEquals", &["a1", "b2"], Some("c")),
            "sts:ExternalId is 'c' but the policy requires one of 'a1', 'b2'"
        );
        assert_eq!(
            reason("StringLike", &["a*"], Some("c")),
            "sts:ExternalId is 'c' but the policy requires a match for 'a*'"
        );
        assert_eq!(
            reason("StringEqualsIgnoreCase", &["a"], Some("c")),
            "sts:ExternalId is 'c' but the policy requires 'a' (ignoring case)"
        );
        assert_eq!(
            reason("StringNotEquals", &["c"], Some("c")),
            "sts:ExternalId is 'c', which the policy's StringNotEquals excludes ('c')"
        );
        assert_eq!(
            reason("Null", &["true"], Some("c")),
            "sts:ExternalId is 'c' but the policy's Null condition requires it to be absent"
        );
        assert_eq!(
            reason("ForAnyValue:StringNotEquals", &["c"], None),
            "no external ID was sent, and ForAnyValue:StringNotEquals needs at least one value to compare"
        );
    }
}
