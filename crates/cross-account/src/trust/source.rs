//! The trust policies in a file: a bare policy document, a CloudFormation template (JSON or
//! YAML; every `AWS::IAM::Role`), or a Terraform plan (`terraform show -json`; every
//! `aws_iam_role`).

use std::collections::HashMap;

use serde_json::Value;

use crate::error::Error;

use super::yaml;

/// The account ID that stands for a template's own account (`AWS::AccountId`) when no
/// `--own-account` is given. Principals in it are the template's own.
pub const TEMPLATE_ACCOUNT: &str = "000000000000";

/// What kind of file a [`TrustDocument`] was found in.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// The file is one policy document.
    Policy,
    /// An `AWS::IAM::Role`'s `AssumeRolePolicyDocument` in a CloudFormation template.
    CloudFormation,
    /// An `aws_iam_role`'s `assume_role_policy` in a Terraform plan.
    TerraformPlan,
}

/// One trust policy found in a file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustDocument {
    /// The CloudFormation logical ID or the Terraform address; `None` for a bare policy.
    pub name: Option<String>,
    /// The 1-based line where the resource starts, when known.
    pub line: Option<usize>,
    /// What kind of file it came from.
    pub kind: SourceKind,
    /// The policy as JSON text, with CloudFormation intrinsic functions resolved where they
    /// can be; `Err` says why there is none (a value only known after `terraform apply`).
    pub policy: Result<String, String>,
    /// References that could not be resolved (`${Param}` of a parameter without a default, ...).
    pub unresolved: Vec<String>,
}

/// The trust policies in `text`. `own_account` is what `AWS::AccountId` resolves to (else
/// [`TEMPLATE_ACCOUNT`]).
///
/// A file that is neither a template nor a plan is one bare policy, whatever it holds (the lint
/// then says what is wrong with it). A YAML file that names `Resources` but cannot be read is
/// an error (field `template`).
///
/// # Examples
///
/// ```
/// use cross_account::trust::{trust_documents, SourceKind};
/// let template = "Resources:\n  Partner:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal: {AWS: !Sub 'arn:${AWS::Partition}:iam::111122223333:root'}\n            Action: sts:AssumeRole\n";
/// let docs = trust_documents(template, None)?;
/// assert_eq!(docs[0].name.as_deref(), Some("Partner"));
/// assert_eq!(docs[0].kind, SourceKind::CloudFormation);
/// assert_eq!(docs[0].line, Some(2));
/// assert!(docs[0].policy.as_ref().unwrap().contains("arn:aws:iam::111122223333:root"));
/// # Ok::<(), cross_account::Error>(())
/// ```
pub fn trust_documents(text: &str, own_account: Option<&str>) -> Result<Vec<TrustDocument>, Error> {
    let own = own_account.unwrap_or(TEMPLATE_ACCOUNT);
    let bare = || {
        vec![TrustDocument {
            name: None,
            line: None,
            kind: SourceKind::Policy,
            policy: Ok(text.to_string()),
            unresolved: Vec::new(),
        }]
    };
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        if value.get("Resources").is_some_and(Value::is_object) {
            let lines = json_resource_lines(text, &value);
            return Ok(cloudformation(&value, &lines, own));
        }
        if value.get("planned_values").is_some() || value.get("terraform_version").is_some() {
            return Ok(terraform(&value));
        }
        return Ok(bare());
    }
    if !text.lines().any(|l| l.starts_with("Resources:")) {
        return Ok(bare());
    }
    let loaded = yaml::load(text).map_err(|reason| {
        Error::invalid(
            "template",
            format!("the CloudFormation template cannot be read: {reason}"),
        )
    })?;
    if !loaded.value.get("Resources").is_some_and(Value::is_object) {
        return Err(Error::invalid(
            "template",
            "the template's Resources is not a mapping of logical IDs to resources",
        ));
    }
    Ok(cloudformation(&loaded.value, &loaded.resource_lines, own))
}

/// Lines of `"LogicalId": {` at the second level of a JSON template (serde_json keeps none).
fn json_resource_lines(text: &str, value: &Value) -> Vec<(String, usize)> {
    let Some(Value::Object(resources)) = value.get("Resources") else {
        return Vec::new();
    };
    let start = text.find("\"Resources\"").unwrap_or(0);
    resources
        .keys()
        .filter_map(|id| {
            let needle = format!("\"{id}\"");
            let at = start + text[start..].find(&needle)?;
            Some((id.clone(), text[..at].matches('\n').count() + 1))
        })
        .collect()
}

fn cloudformation(template: &Value, lines: &[(String, usize)], own: &str) -> Vec<TrustDocument> {
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let resolver = Resolver::new(template, own);
    let mut out = Vec::new();
    for (id, resource) in &resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::IAM::Role") {
            continue;
        }
        let line = lines.iter().find(|(k, _)| k == id).map(|(_, l)| *l);
        let mut unresolved = Vec::new();
        let policy = match resource
            .get("Properties")
            .and_then(|p| p.get("AssumeRolePolicyDocument"))
        {
            None => Err(
                "the role has no AssumeRolePolicyDocument, which CloudFormation requires"
                    .to_string(),
            ),
            Some(Value::String(text)) => Ok(text.clone()),
            Some(doc) => Ok(resolver.resolve(doc, &mut unresolved).to_string()),
        };
        out.push(TrustDocument {
            name: Some(id.clone()),
            line,
            kind: SourceKind::CloudFormation,
            policy,
            unresolved,
        });
    }
    // serde_json's map may be sorted: put the roles back in file order.
    out.sort_by_key(|d| d.line.unwrap_or(usize::MAX));
    out
}

fn terraform(plan: &Value) -> Vec<TrustDocument> {
    let mut out = Vec::new();
    let mut modules: Vec<&Value> = plan
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
        .into_iter()
        .collect();
    while let Some(module) = modules.pop() {
        for resource in module
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if resource.get("type").and_then(Value::as_str) != Some("aws_iam_role")
                || resource.get("mode").and_then(Value::as_str) == Some("data")
            {
                continue;
            }
            let address = resource
                .get("address")
                .and_then(Value::as_str)
                .unwrap_or("aws_iam_role")
                .to_string();
            let policy = match resource.get("values").and_then(|v| v.get("assume_role_policy")) {
                Some(Value::String(text)) => Ok(text.clone()),
                _ => Err("assume_role_policy is not known until apply (computed); lint the plan after the values it depends on exist".to_string()),
            };
            out.push(TrustDocument {
                name: Some(address),
                line: None,
                kind: SourceKind::TerraformPlan,
                policy,
                unresolved: Vec::new(),
            });
        }
        if let Some(children) = module.get("child_modules").and_then(Value::as_array) {
            modules.extend(children.iter().rev());
        }
    }
    out
}

/// Resolves the CloudFormation intrinsic functions a trust policy uses: `Ref` and `Fn::Sub` of
/// pseudo parameters and of parameters with a default, `Fn::GetAtt` of a role's `Arn`,
/// `Fn::Join`. Anything else stays as `${...}` text and is listed as unresolved.
struct Resolver {
    values: HashMap<String, String>,
}

impl Resolver {
    fn new(template: &Value, own: &str) -> Resolver {
        let mut values = HashMap::new();
        values.insert("AWS::Partition".to_string(), "aws".to_string());
        values.insert("AWS::AccountId".to_string(), own.to_string());
        values.insert("AWS::URLSuffix".to_string(), "amazonaws.com".to_string());
        if let Some(Value::Object(params)) = template.get("Parameters") {
            for (name, p) in params {
                let default = match p.get("Default") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                if let Some(d) = default {
                    values.insert(name.clone(), d);
                }
            }
        }
        if let Some(Value::Object(resources)) = template.get("Resources") {
            for (id, r) in resources {
                if r.get("Type").and_then(Value::as_str) == Some("AWS::IAM::Role") {
                    let name = r
                        .get("Properties")
                        .and_then(|p| p.get("RoleName"))
                        .and_then(Value::as_str)
                        .unwrap_or(id);
                    values.insert(
                        format!("{id}.Arn"),
                        format!("arn:aws:iam::{own}:role/{name}"),
                    );
                }
            }
        }
        Resolver { values }
    }

    fn resolve(&self, value: &Value, unresolved: &mut Vec<String>) -> Value {
        match value {
            Value::Object(map) if map.len() == 1 => {
                let Some((key, arg)) = map.iter().next() else {
                    return value.clone();
                };
                match key.as_str() {
                    "Ref" => Value::String(self.lookup(arg.as_str().unwrap_or("?"), unresolved)),
                    "Fn::Sub" => Value::String(self.sub(arg, unresolved)),
                    "Fn::GetAtt" => {
                        let name = match arg {
                            Value::Array(parts) => parts
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join("."),
                            Value::String(s) => s.clone(),
                            _ => "?".into(),
                        };
                        Value::String(self.lookup(&name, unresolved))
                    }
                    "Fn::Join" => match arg {
                        Value::Array(parts) if parts.len() == 2 => {
                            let sep = parts[0].as_str().unwrap_or("");
                            let items: Vec<String> = parts[1]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|p| match self.resolve(p, unresolved) {
                                    Value::String(s) => s,
                                    other => other.to_string(),
                                })
                                .collect();
                            Value::String(items.join(sep))
                        }
                        _ => self.opaque(key, unresolved),
                    },
                    k if k.starts_with("Fn::") => self.opaque(key, unresolved),
                    _ => Value::Object(
                        map.iter()
                            .map(|(k, v)| (k.clone(), self.resolve(v, unresolved)))
                            .collect(),
                    ),
                }
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v, unresolved)))
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.resolve(v, unresolved)).collect())
            }
            other => other.clone(),
        }
    }

    fn opaque(&self, function: &str, unresolved: &mut Vec<String>) -> Value {
        let text = format!("${{{function}}}");
        unresolved.push(text.clone());
        Value::String(text)
    }

    fn lookup(&self, name: &str, unresolved: &mut Vec<String>) -> String {
        match self.values.get(name) {
            Some(v) => v.clone(),
            None => {
                let text = format!("${{{name}}}");
                if !unresolved.contains(&text) {
                    unresolved.push(text.clone());
                }
                text
            }
        }
    }

    fn sub(&self, arg: &Value, unresolved: &mut Vec<String>) -> String {
        let (template, locals) = match arg {
            Value::String(s) => (s.as_str(), None),
            Value::Array(parts) if !parts.is_empty() => (
                parts[0].as_str().unwrap_or(""),
                parts.get(1).and_then(Value::as_object),
            ),
            _ => ("", None),
        };
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(local) = locals.and_then(|l| l.get(name)) {
                match self.resolve(local, unresolved) {
                    Value::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                }
            } else {
                out.push_str(&self.lookup(name, unresolved));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_policies_and_unknown_text() {
        for text in ["{\"Statement\": []}", "not json", "", "[1]"] {
            let docs = trust_documents(text, None).unwrap();
            assert_eq!(docs.len(), 1);
            assert_eq!(docs[0].kind, SourceKind::Policy);
            assert_eq!(docs[0].policy.as_deref(), Ok(text));
        }
    }

    #[test]
    fn cloudformation_json_with_intrinsics() {
        let template = r#"{
  "Parameters": {"Partner": {"Type": "String", "Default": "111122223333"}, "Id": {"Type": "String"}},
  "Resources": {
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "Reader": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "RoleName": "PartnerReader",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"AWS": [{"Fn::Sub": "arn:${AWS::Partition}:iam::${Partner}:root"}, {"Fn::GetAtt": ["Other", "Arn"]}]},
          "Action": "sts:AssumeRole",
          "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "Id"}, "aws:SourceAccount": {"Fn::Join": ["", ["${!x}", {"Ref": "AWS::AccountId"}]]}}}}]}
      }
    },
    "Other": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": "{\"Statement\": []}"}}
  }
}"#;
        let docs = trust_documents(template, Some("444455556666")).unwrap();
        assert_eq!(docs.len(), 2);
        let reader = docs
            .iter()
            .find(|d| d.name.as_deref() == Some("Reader"))
            .unwrap();
        assert_eq!(reader.line, Some(5));
        let policy: Value = serde_json::from_str(reader.policy.as_ref().unwrap()).unwrap();
        let s = &policy["Statement"][0];
        assert_eq!(s["Principal"]["AWS"][0], "arn:aws:iam::111122223333:root");
        assert_eq!(
            s["Principal"]["AWS"][1],
            "arn:aws:iam::444455556666:role/Other"
        );
        assert_eq!(s["Condition"]["StringEquals"]["sts:ExternalId"], "${Id}");
        assert_eq!(
            s["Condition"]["StringEquals"]["aws:SourceAccount"],
            "${!x}444455556666"
        );
        assert_eq!(reader.unresolved, ["${Id}"]);
        let other = docs
            .iter()
            .find(|d| d.name.as_deref() == Some("Other"))
            .unwrap();
        assert_eq!(other.policy.as_deref(), Ok("{\"Statement\": []}"));
    }

    #[test]
    fn terraform_plan() {
        let plan = r#"{"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {"root_module": {
          "resources": [
            {"address": "aws_iam_role.partner", "mode": "managed", "type": "aws_iam_role", "values": {"assume_role_policy": "{\"Statement\": []}"}},
            {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "values": {}}],
          "child_modules": [{"resources": [
            {"address": "module.ci.aws_iam_role.gha", "mode": "managed", "type": "aws_iam_role", "values": {"assume_role_policy": null}}]}]}}}"#;
        let docs = trust_documents(plan, None).unwrap();
        let names: Vec<&str> = docs.iter().filter_map(|d| d.name.as_deref()).collect();
        assert_eq!(
            names,
            ["aws_iam_role.partner", "module.ci.aws_iam_role.gha"]
        );
        assert!(docs[0].policy.is_ok());
        assert!(docs[1]
            .policy
            .as_ref()
            .unwrap_err()
            .contains("not known until apply"));
    }

    #[test]
    fn broken_yaml_templates_are_errors() {
        let err = trust_documents("Resources:\n  A: [\n", None).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    field: "template",
                    ..
                }
            ),
            "{err}"
        );
        let err = trust_documents("Resources:\n  - a\n", None).unwrap_err();
        assert!(err.to_string().contains("not a mapping"), "{err}");
    }
}
