//! Reading a trust policy document into statements, with IAM's grammar checks.
//!
//! Anything IAM would refuse to store as a role trust policy is an error here: the evaluator
//! answers `Unknown` for it and the lint reports it, rather than guessing what was meant.

use serde_json::{Map, Value};

/// The versions of the policy language IAM knows.
pub(crate) const VERSIONS: &[&str] = &["2012-10-17", "2008-10-17"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Document {
    pub(crate) version: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// The `Principal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principals {
    /// `"Principal": "*"`.
    Everyone,
    /// `"Principal": {"AWS": [...], "Service": ...}`: only the AWS entries can match a caller
    /// of `AssumeRole` with IAM credentials.
    Aws(Vec<String>),
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Actions {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

/// One `"Operator": {"key": values}` entry of a `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConditionEntry {
    pub(crate) operator: String,
    pub(crate) key: String,
    pub(crate) values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    pub(crate) index: usize,
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principals: Principals,
    /// `Principal.Service` entries (`ec2.amazonaws.com`, ...).
    pub(crate) services: Vec<String>,
    /// `Principal.Federated` entries: OIDC or SAML provider ARNs, or provider names such as
    /// `cognito-identity.amazonaws.com`.
    pub(crate) federated: Vec<String>,
    pub(crate) actions: Actions,
    pub(crate) conditions: Vec<ConditionEntry>,
}

impl Statement {
    /// `Statement[0]` or `Statement[0] (Sid "Trust")`, for messages.
    pub(crate) fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => format!("Statement[{}] (Sid {sid:?})", self.index),
            _ => format!("Statement[{}]", self.index),
        }
    }
}

const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Parses and checks a trust policy. The error says what is wrong, and where.
pub(crate) fn parse(policy_json: &str) -> Result<Document, String> {
    let value: Value = serde_json::from_str(policy_json)
        .map_err(|e| format!("the policy is not valid JSON: {e}"))?;
    let Value::Object(top) = value else {
        return Err("the policy must be a JSON object with a Statement".into());
    };
    for key in top.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            return Err(format!(
                "unknown top-level element {key:?}; a policy has Version, Id and Statement"
            ));
        }
    }
    let version = match top.get("Version") {
        None => None,
        Some(Value::String(v)) if VERSIONS.contains(&v.as_str()) => Some(v.clone()),
        Some(other) => {
            return Err(format!(
                "Version must be \"2012-10-17\" (or the old \"2008-10-17\"), but it is {other}"
            ))
        }
    };
    let raw_statements = match top.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(item @ Value::Object(_)) => vec![item],
        Some(_) => return Err("Statement must be an object or a list of objects".into()),
        None => return Err("the policy has no Statement".into()),
    };
    let statements = raw_statements
        .into_iter()
        .enumerate()
        .map(|(index, raw)| parse_statement(index, raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Document {
        version,
        statements,
    })
}

fn parse_statement(index: usize, raw: &Value) -> Result<Statement, String> {
    let at = format!("Statement[{index}]");
    let Value::Object(map) = raw else {
        return Err(format!("{at} must be an object"));
    };
    if let Some(key) = map.keys().find(|k| !STATEMENT_KEYS.contains(&k.as_str())) {
        return Err(format!("{at} has unknown element {key:?}"));
    }
    let sid = match map.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(format!("{at}: Sid must be a string")),
    };
    let effect = match map.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            return Err(format!(
                "{at}: Effect must be \"Allow\" or \"Deny\" (case-sensitive), but it is {other}"
            ))
        }
        None => return Err(format!("{at} has no Effect")),
    };
    if map.contains_key("NotPrincipal") {
        return Err(format!(
            "{at} uses NotPrincipal, which IAM does not allow in a role trust policy"
        ));
    }
    if let Some(key) = ["Resource", "NotResource"]
        .iter()
        .find(|k| map.contains_key(**k))
    {
        return Err(format!(
            "{at} has a {key} element; a role trust policy has none (IAM: \"Has prohibited field {key}\")"
        ));
    }
    let mut services = Vec::new();
    let mut federated = Vec::new();
    let principals = match map.get("Principal") {
        Some(Value::String(s)) if s == "*" => Principals::Everyone,
        Some(Value::Object(p)) => parse_principal_map(&at, p, &mut services, &mut federated)?,
        Some(other) => {
            return Err(format!(
                "{at}: Principal must be \"*\" or an object such as {{\"AWS\": \"arn:aws:iam::123456789012:root\"}}, but it is {other}"
            ))
        }
        None => return Err(format!("{at} has no Principal; a role trust policy names who may assume the role")),
    };
    let actions = match (map.get("Action"), map.get("NotAction")) {
        (Some(a), None) => Actions::Action(string_list(&format!("{at}.Action"), a)?),
        (None, Some(a)) => Actions::NotAction(string_list(&format!("{at}.NotAction"), a)?),
        (Some(_), Some(_)) => return Err(format!("{at} has both Action and NotAction")),
        (None, None) => return Err(format!("{at} has neither Action nor NotAction")),
    };
    let conditions = match map.get("Condition") {
        None => Vec::new(),
        Some(Value::Object(c)) => parse_conditions(&at, c)?,
        Some(_) => return Err(format!("{at}: Condition must be an object")),
    };
    Ok(Statement {
        index,
        sid,
        effect,
        principals,
        services,
        federated,
        actions,
        conditions,
    })
}

fn parse_principal_map(
    at: &str,
    map: &Map<String, Value>,
    services: &mut Vec<String>,
    federated: &mut Vec<String>,
) -> Result<Principals, String> {
    if map.is_empty() {
        return Err(format!("{at}: Principal is empty"));
    }
    let mut aws = Vec::new();
    for (kind, value) in map {
        let list = string_list(&format!("{at}.Principal.{kind}"), value)?;
        match kind.as_str() {
            "AWS" => aws.extend(list),
            "Service" => services.extend(list),
            "Federated" => federated.extend(list),
            "CanonicalUser" => {}
            other => {
                return Err(format!(
                    "{at}: unknown principal type {other:?}; IAM knows AWS, Service, Federated and CanonicalUser"
                ))
            }
        }
    }
    Ok(Principals::Aws(aws))
}

/// A string or a non-empty list of strings.
fn string_list(at: &str, value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("{at} must hold strings, but has {other}")),
            })
            .collect(),
        Value::Array(_) => Err(format!("{at} is an empty list")),
        other => Err(format!(
            "{at} must be a string or a list of strings, but it is {other}"
        )),
    }
}

fn parse_conditions(at: &str, block: &Map<String, Value>) -> Result<Vec<ConditionEntry>, String> {
    let mut entries = Vec::new();
    for (operator, keys) in block {
        let Value::Object(keys) = keys else {
            return Err(format!(
                "{at}.Condition.{operator} must be an object of condition keys to values"
            ));
        };
        for (key, values) in keys {
            let where_ = format!("{at}.Condition.{operator}.{key}");
            // IAM takes numbers and booleans as their text.
            let scalar = |v: &Value| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Bool(b) => Ok(b.to_string()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(format!(
                    "{where_} has a value that is not a string: {other}"
                )),
            };
            let values = match values {
                Value::Array(items) => items.iter().map(scalar).collect::<Result<Vec<_>, _>>()?,
                other => vec![scalar(other)?],
            };
            entries.push(ConditionEntry {
                operator: operator.clone(),
                key: key.clone(),
                values,
            });
        }
    }
    // serde_json's map order depends on a feature flag elsewhere in the build: sort, so the
    // order of explanations is the same in every build.
    entries.sort_by(|a, b| (&a.operator, &a.key).cmp(&(&b.operator, &b.key)));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> String {
        parse(json).unwrap_err()
    }

    #[test]
    fn reads_statement_object_or_list() {
        let one = parse(r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}}"#).unwrap();
        assert_eq!(one.version, None);
        assert_eq!(one.statements.len(), 1);
        assert_eq!(
            one.statements[0].principals,
            Principals::Aws(vec!["111122223333".into()])
        );
        let many = parse(r#"{"Version": "2012-10-17", "Id": "x", "Statement": [
            {"Sid": "A", "Effect": "Deny", "Principal": "*", "NotAction": ["sts:TagSession"],
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": false}, "StringEquals": {"k": ["a", 1]}}}]}"#).unwrap();
        let s = &many.statements[0];
        assert_eq!(s.label(), "Statement[0] (Sid \"A\")");
        assert_eq!(s.effect, Effect::Deny);
        assert_eq!(s.principals, Principals::Everyone);
        assert_eq!(s.actions, Actions::NotAction(vec!["sts:TagSession".into()]));
        assert_eq!(s.conditions.len(), 2);
        assert_eq!(s.conditions[0].values, vec!["false"]);
        assert_eq!(s.conditions[1].values, vec!["a", "1"]);
        let svc = parse(r#"{"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#).unwrap();
        assert_eq!(svc.statements[0].principals, Principals::Aws(vec![]));
        assert_eq!(svc.statements[0].services, ["ec2.amazonaws.com"]);
        let fed = parse(r#"{"Statement": [{"Effect": "Allow", "Principal": {"Federated": ["accounts.google.com", "arn:aws:iam::111122223333:saml-provider/P"]}, "Action": "sts:AssumeRoleWithSAML"}]}"#).unwrap();
        assert_eq!(
            fed.statements[0].federated,
            [
                "accounts.google.com",
                "arn:aws:iam::111122223333:saml-provider/P"
            ]
        );
    }

    #[test]
    fn rejects_what_iam_rejects() {
        assert!(err("{").contains("not valid JSON"));
        assert!(err("[]").contains("JSON object"));
        assert!(err("{}").contains("no Statement"));
        assert!(err(r#"{"Statement": 1}"#).contains("object or a list"));
        assert!(err(r#"{"Version": "2020-01-01", "Statement": []}"#).contains("Version"));
        assert!(err(r#"{"Statment": []}"#).contains("unknown top-level"));
        let base = |extra: &str| {
            format!(
                r#"{{"Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "111122223333"}}{extra}}}]}}"#
            )
        };
        assert!(err(&base("")).contains("neither Action nor NotAction"));
        assert!(err(&base(r#", "Action": "a", "NotAction": "b""#)).contains("both"));
        assert!(err(&base(r#", "Action": []"#)).contains("empty list"));
        assert!(
            err(&base(r#", "Action": "a", "Resource": "*""#)).contains("prohibited field Resource")
        );
        assert!(err(&base(
            r#", "Action": "a", "Condition": {"StringEquals": "x"}"#
        ))
        .contains("must be an object"));
        assert!(err(&base(
            r#", "Action": "a", "Condition": {"StringEquals": {"k": {"a": 1}}}"#
        ))
        .contains("not a string"));
        assert!(err(&base(r#", "Action": "a", "Foo": 1"#)).contains("unknown element \"Foo\""));
        assert!(
            err(r#"{"Statement": [{"Effect": "allow", "Principal": "*", "Action": "a"}]}"#)
                .contains("case-sensitive")
        );
        assert!(err(r#"{"Statement": [{"Principal": "*", "Action": "a"}]}"#).contains("no Effect"));
        assert!(err(
            r#"{"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": "1"}, "Action": "a"}]}"#
        )
        .contains("NotPrincipal"));
        assert!(
            err(r#"{"Statement": [{"Effect": "Allow", "Action": "a"}]}"#).contains("no Principal")
        );
        assert!(
            err(r#"{"Statement": [{"Effect": "Allow", "Principal": "me", "Action": "a"}]}"#)
                .contains("Principal must be")
        );
        assert!(err(
            r#"{"Statement": [{"Effect": "Allow", "Principal": {"Foo": "x"}, "Action": "a"}]}"#
        )
        .contains("unknown principal type"));
        assert!(err(r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": 111122223333}, "Action": "a"}]}"#).contains("string"));
    }
}
