//! A YAML document (CloudFormation's dialect) as a `serde_json::Value`, with the line of each
//! resource.
//!
//! Built on `saphyr-parser`'s events, without recursion: nesting is capped at
//! [`MAX_DEPTH`], and aliases are refused (CloudFormation does not support them, and expanding
//! them is how a small file becomes a huge one). Short-form intrinsic functions become their
//! long form: `!Sub x` is `{"Fn::Sub": x}`, `!Ref x` is `{"Ref": x}`, `!GetAtt A.B` is
//! `{"Fn::GetAtt": ["A", "B"]}`.

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};

/// The deepest nesting of collections accepted.
pub(crate) const MAX_DEPTH: usize = 64;

/// A parsed document and the 1-based line of each key of the top-level `Resources` mapping.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) value: Value,
    pub(crate) resource_lines: Vec<(String, usize)>,
}

enum Frame {
    Seq(Vec<Value>, Option<String>),
    Map(Map<String, Value>, Option<String>, Option<String>),
}

pub(crate) fn load(text: &str) -> Result<Loaded, String> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    let mut resource_lines = Vec::new();
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| format!("not valid YAML: {e}"))?;
        let line = span.start.line();
        let value = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err("the YAML has several documents; a template is one".into());
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(format!(
                    "line {line}: YAML aliases are not supported (CloudFormation rejects them)"
                ))
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                return Err(format!(
                    "line {line}: nested deeper than {MAX_DEPTH} levels"
                ));
            }
            Event::SequenceStart(_, tag) => {
                stack.push(Frame::Seq(Vec::new(), intrinsic(tag.as_deref())));
                continue;
            }
            Event::MappingStart(_, tag) => {
                stack.push(Frame::Map(Map::new(), None, intrinsic(tag.as_deref())));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, tag)) => wrap(Value::Array(items), tag),
                _ => return Err("unbalanced YAML sequence".into()),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(map, _, tag)) => wrap(Value::Object(map), tag),
                _ => return Err("unbalanced YAML mapping".into()),
            },
            Event::Scalar(text, style, _, tag) => {
                let tag = tag.as_deref();
                let function = intrinsic(tag);
                let scalar = scalar(&text, style, tag);
                match function.as_deref() {
                    Some("Fn::GetAtt") => match text.split_once('.') {
                        Some((resource, attribute)) => wrap(
                            Value::Array(vec![resource.into(), attribute.into()]),
                            function,
                        ),
                        None => wrap(scalar, function),
                    },
                    _ => wrap(scalar, function),
                }
            }
            _ => continue,
        };
        // Place the finished value in its parent.
        let in_resources = stack_is_resources(&stack_keys_snapshot(&stack));
        match stack.last_mut() {
            None => root = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, pending, _)) => match pending.take() {
                None => {
                    let key = match value {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    if in_resources {
                        resource_lines.push((key.clone(), line));
                    }
                    *pending = Some(key);
                }
                Some(key) => {
                    map.insert(key, value);
                }
            },
        }
    }
    Ok(Loaded {
        value: root.unwrap_or(Value::Null),
        resource_lines,
    })
}

/// The keys leading to the innermost open mapping: `["Resources"]` inside `Resources`.
fn stack_keys_snapshot(stack: &[Frame]) -> Vec<Option<&str>> {
    stack
        .iter()
        .map(|f| match f {
            Frame::Map(_, pending, _) => pending.as_deref(),
            Frame::Seq(..) => None,
        })
        .collect()
}

fn stack_is_resources(keys: &[Option<&str>]) -> bool {
    matches!(keys, [Some("Resources"), None])
}

/// The long-form name of a CloudFormation short-form tag (`!Sub` is `Fn::Sub`).
fn intrinsic(tag: Option<&Tag>) -> Option<String> {
    let tag = tag?;
    if tag.handle != "!" {
        return None;
    }
    Some(match tag.suffix.as_str() {
        "Ref" => "Ref".to_string(),
        "Condition" => "Condition".to_string(),
        other => format!("Fn::{other}"),
    })
}

fn wrap(value: Value, function: Option<String>) -> Value {
    match function {
        Some(name) => Value::Object(Map::from_iter([(name, value)])),
        None => value,
    }
}

/// A scalar as YAML's core schema reads it: plain `true`, `null`, numbers; the rest strings.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if style != ScalarStyle::Plain || tag.is_some_and(|t| t.handle == "!!" && t.suffix == "str") {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let numeric = text
        .trim_start_matches(['-', '+'])
        .bytes()
        .all(|b| b.is_ascii_digit())
        && text.bytes().any(|b| b.is_ascii_digit());
    // Leading zeros (account IDs such as 012345678901) stay strings, as CloudFormation keeps them.
    if numeric && !(text.len() > 1 && text.starts_with('0')) {
        if let Ok(n) = text.parse::<i64>() {
            return Value::Number(Number::from(n));
        }
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cloudformation_yaml() {
        let text = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: 2012-10-17\n        Statement:\n          - Effect: Allow\n            Principal:\n              AWS: !Sub arn:${AWS::Partition}:iam::111122223333:root\n            Action: sts:AssumeRole\n            Condition:\n              Bool: {aws:MultiFactorAuthPresent: true}\n  Other:\n    Type: AWS::S3::Bucket\nOutputs:\n  Arn:\n    Value: !GetAtt Role.Arn\n";
        let loaded = load(text).unwrap();
        let doc = &loaded.value["Resources"]["Role"]["Properties"]["AssumeRolePolicyDocument"];
        assert_eq!(doc["Version"], "2012-10-17");
        assert_eq!(
            doc["Statement"][0]["Principal"]["AWS"]["Fn::Sub"],
            "arn:${AWS::Partition}:iam::111122223333:root"
        );
        assert_eq!(
            doc["Statement"][0]["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
            true
        );
        assert_eq!(
            loaded.value["Outputs"]["Arn"]["Value"]["Fn::GetAtt"],
            serde_json::json!(["Role", "Arn"])
        );
        assert_eq!(
            loaded.resource_lines,
            [("Role".to_string(), 3), ("Other".to_string(), 15)]
        );
    }

    #[test]
    fn scalars() {
        let v = load("a: 012345678901\nb: 123\nc: '123'\nd: ~\ne: x y\n")
            .unwrap()
            .value;
        assert_eq!(v["a"], "012345678901");
        assert_eq!(v["b"], 123);
        assert_eq!(v["c"], "123");
        assert_eq!(v["d"], Value::Null);
        assert_eq!(v["e"], "x y");
    }

    #[test]
    fn refuses_aliases_depth_and_bad_yaml() {
        assert!(load("a: &x [1]\nb: *x\n").unwrap_err().contains("aliases"));
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(load(&deep).unwrap_err().contains("deeper"));
        assert!(load("a: [1, 2").unwrap_err().starts_with("not valid YAML"));
        assert!(load("a: 1\n---\nb: 2\n")
            .unwrap_err()
            .contains("several documents"));
    }
}
