//! `lint_report`: the lint over every trust policy of a file, as text, JSON or SARIF 2.1.0.

use serde_json::{json, Value};

use crate::error::Error;

use super::finding::{LintCode, LintOptions, LintWarning, Severity};
use super::lint::lint_with;
use super::source::{trust_documents, SourceKind, TrustDocument, TEMPLATE_ACCOUNT};

/// The findings for one trust policy of a file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentReport {
    /// Where the policy is: its name, line and kind of file.
    pub document: TrustDocument,
    /// What the lint found, in order.
    pub warnings: Vec<LintWarning>,
}

/// The lint of every trust policy in one file (see [`lint_report`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintReport {
    /// One entry per trust policy found, in file order.
    pub documents: Vec<DocumentReport>,
    /// The context the lint was given.
    pub options: LintOptions,
}

/// Lints every trust policy in `text`: a bare policy, each `AWS::IAM::Role` of a
/// CloudFormation template (YAML or JSON) or each `aws_iam_role` of a Terraform plan
/// (`terraform show -json`). A template's own account (`AWS::AccountId`) counts as one of
/// `options`' own accounts.
///
/// Fails only when a YAML template cannot be read (field `template`); everything else is a
/// finding.
///
/// # Examples
///
/// ```
/// use cross_account::trust::{lint_report, LintCode, LintOptions};
/// let template = "Resources:\n  Open:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {AWS: '111122223333'}\n            Action: sts:AssumeRole\n";
/// let report = lint_report(template, &LintOptions::default())?;
/// assert_eq!(report.documents[0].warnings[0].code, LintCode::ConfusedDeputy);
/// assert!(report.has_warnings() && !report.has_errors());
/// assert!(report.to_text().starts_with("Open: confused-deputy: Statement[0] lets 111122223333"));
/// let sarif: serde_json::Value = serde_json::from_str(&report.to_sarif("template.yaml")).unwrap();
/// assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "confused-deputy");
/// assert_eq!(sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
/// # Ok::<(), cross_account::Error>(())
/// ```
pub fn lint_report(text: &str, options: &LintOptions) -> Result<LintReport, Error> {
    let own = options.own_accounts().first().map(String::as_str);
    let documents = trust_documents(text, own)?
        .into_iter()
        .map(|document| {
            let warnings = match (&document.policy, document.kind) {
                (Ok(policy), _) => lint_with(policy, options),
                (Err(reason), SourceKind::CloudFormation) => vec![LintWarning::new(
                    LintCode::InvalidPolicy,
                    format!("not a valid trust policy: {reason}"),
                    None,
                )],
                (Err(_), _) => Vec::new(),
            };
            DocumentReport { document, warnings }
        })
        .collect();
    Ok(LintReport {
        documents,
        options: options.clone(),
    })
}

impl LintReport {
    fn all(&self) -> impl Iterator<Item = (&DocumentReport, &LintWarning)> {
        self.documents
            .iter()
            .flat_map(|d| d.warnings.iter().map(move |w| (d, w)))
    }

    /// Whether IAM would reject a policy ([`Severity::Error`]).
    pub fn has_errors(&self) -> bool {
        self.all().any(|(_, w)| w.severity == Severity::Error)
    }

    /// Whether there is a [`Severity::Warning`].
    pub fn has_warnings(&self) -> bool {
        self.all().any(|(_, w)| w.severity == Severity::Warning)
    }

    /// One `[NAME: ]CODE: MESSAGE` line per finding (the name for templates and plans), then
    /// a `[NAME: ]note: ...` line for each policy that could not be linted or has unresolved
    /// references.
    pub fn to_text(&self) -> String {
        self.text_lines()
            .into_iter()
            .map(|(_, line)| line + "\n")
            .collect()
    }

    /// The lines of [`to_text`](LintReport::to_text), each with its severity (notes about a
    /// document are [`Severity::Note`]), so a front end can send errors elsewhere.
    pub fn text_lines(&self) -> Vec<(Severity, String)> {
        let mut out = Vec::new();
        for d in &self.documents {
            let prefix = d
                .document
                .name
                .as_deref()
                .map(|n| format!("{n}: "))
                .unwrap_or_default();
            for w in &d.warnings {
                out.push((w.severity, format!("{prefix}{w}")));
            }
            for note in notes(&d.document) {
                out.push((Severity::Note, format!("{prefix}note: {note}")));
            }
        }
        out
    }

    /// The report as one JSON object: `documents` (name, kind, line, findings with code,
    /// severity, message and statement, notes), the `context` given and a `summary` count.
    pub fn to_json(&self) -> String {
        let documents: Vec<Value> = self
            .documents
            .iter()
            .map(|d| {
                json!({
                    "name": d.document.name,
                    "kind": kind_name(d.document.kind),
                    "line": d.document.line,
                    "findings": d.warnings.iter().map(|w| json!({
                        "code": w.code.as_str(),
                        "severity": w.severity.as_str(),
                        "message": w.message,
                        "statement": w.statement,
                    })).collect::<Vec<_>>(),
                    "notes": notes(&d.document),
                })
            })
            .collect();
        let count = |s: Severity| self.all().filter(|(_, w)| w.severity == s).count();
        json!({
            "documents": documents,
            "context": {
                "own_accounts": self.options.own_accounts(),
                "orgs": self.options.orgs(),
            },
            "summary": {
                "errors": count(Severity::Error),
                "warnings": count(Severity::Warning),
                "notes": count(Severity::Note),
            },
        })
        .to_string()
    }

    /// The report as a SARIF 2.1.0 log for code-scanning dashboards: every rule with its help
    /// text and level, each finding with the file (`uri`), the line of its resource or
    /// statement, and a logical location (`LogicalId/Statement[i]`).
    pub fn to_sarif(&self, uri: &str) -> String {
        let rules: Vec<Value> = LintCode::ALL
            .iter()
            .map(|code| {
                let help = code.help();
                let short = help
                    .split(". ")
                    .next()
                    .unwrap_or(help)
                    .trim_end_matches('.');
                json!({
                    "id": code.as_str(),
                    "name": pascal(code.as_str()),
                    "shortDescription": {"text": format!("{short}.")},
                    "fullDescription": {"text": help},
                    "help": {"text": help},
                    "defaultConfiguration": {"level": code.severity().as_str()},
                })
            })
            .collect();
        let results: Vec<Value> = self
            .all()
            .map(|(d, w)| {
                let index = LintCode::ALL.iter().position(|c| *c == w.code);
                let line = d
                    .document
                    .line
                    .or_else(|| statement_line(&d.document, w.statement))
                    .unwrap_or(1);
                let statement = w.statement.map(|i| format!("Statement[{i}]"));
                let qualified = match (&d.document.name, &statement) {
                    (Some(n), Some(s)) => format!("{n}/{s}"),
                    (Some(n), None) => n.clone(),
                    (None, Some(s)) => s.clone(),
                    (None, None) => "policy".into(),
                };
                json!({
                    "ruleId": w.code.as_str(),
                    "ruleIndex": index,
                    "level": w.severity.as_str(),
                    "message": {"text": w.message},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": {"startLine": line},
                        },
                        "logicalLocations": [{
                            "fullyQualifiedName": qualified,
                            "kind": "resource",
                        }],
                    }],
                })
            })
            .collect();
        let notifications: Vec<Value> = self
            .documents
            .iter()
            .flat_map(|d| {
                let name = d.document.name.clone().unwrap_or_else(|| "policy".into());
                notes(&d.document).into_iter().map(
                    move |n| json!({"level": "note", "message": {"text": format!("{name}: {n}")}}),
                )
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "cross-account",
                    "informationUri": "https://github.com/cross-account/cross-account",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "invocations": [{
                    "executionSuccessful": true,
                    "toolExecutionNotifications": notifications,
                }],
                "results": results,
            }],
        })
        .to_string()
    }
}

fn kind_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Policy => "policy",
        SourceKind::CloudFormation => "cloudformation",
        SourceKind::TerraformPlan => "terraform-plan",
    }
}

/// What the reader should know about a document beyond its findings.
fn notes(document: &TrustDocument) -> Vec<String> {
    let mut out = Vec::new();
    if let (Err(reason), SourceKind::TerraformPlan) = (&document.policy, document.kind) {
        out.push(format!("not linted: {reason}"));
    }
    if !document.unresolved.is_empty() {
        out.push(format!(
            "{} could not be resolved and {} taken as literal text",
            document.unresolved.join(", "),
            if document.unresolved.len() == 1 {
                "is"
            } else {
                "are"
            }
        ));
    }
    if document.kind == SourceKind::CloudFormation
        && document
            .policy
            .as_ref()
            .is_ok_and(|p| p.contains(TEMPLATE_ACCOUNT))
    {
        out.push(format!(
            "AWS::AccountId, the template's own account, is shown as {TEMPLATE_ACCOUNT} (give --own-account to name it)"
        ));
    }
    out
}

/// The line of a bare policy's statement: where its `"Effect"` is.
fn statement_line(document: &TrustDocument, statement: Option<usize>) -> Option<usize> {
    let text = document.policy.as_ref().ok()?;
    let (index, _) = text.match_indices("\"Effect\"").nth(statement?)?;
    Some(text[..index].matches('\n').count() + 1)
}

fn pascal(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"111122223333\"}, \"Action\": \"sts:AssumeRole\"},\n    {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:role/*\"}, \"Action\": \"sts:AssumeRole\"}\n  ]\n}";

    #[test]
    fn sarif_has_rules_levels_and_locations() {
        let report = lint_report(OPEN, &LintOptions::default()).unwrap();
        assert!(report.has_errors());
        let sarif: Value = serde_json::from_str(&report.to_sarif("trust.json")).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        let run = &sarif["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), LintCode::ALL.len());
        for rule in rules {
            assert!(rule["help"]["text"].as_str().unwrap().len() > 40);
            assert!(rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .ends_with('.'));
        }
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "wildcard-in-principal-arn");
        assert_eq!(result["level"], "error");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], "wildcard-in-principal-arn");
        let location = &result["locations"][0];
        assert_eq!(
            location["physicalLocation"]["artifactLocation"]["uri"],
            "trust.json"
        );
        assert_eq!(location["physicalLocation"]["region"]["startLine"], 5);
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            "Statement[1]"
        );
    }

    #[test]
    fn json_and_text_name_the_documents() {
        let template = r#"{"Resources": {"A": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument":
          {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}}, "Action": "sts:AssumeRole"}]}}},
          "B": {"Type": "AWS::IAM::Role", "Properties": {}}}}"#;
        let report = lint_report(template, &LintOptions::default()).unwrap();
        let text = report.to_text();
        assert!(text.contains("A: confused-deputy-quieted: Statement[0] lets arn:aws:iam::000000000000:root assume the role with no external ID; not reported as confused-deputy because it is the template's own account (AWS::AccountId)"), "{text}");
        assert!(
            text.contains(
                "A: note: AWS::AccountId, the template's own account, is shown as 000000000000"
            ),
            "{text}"
        );
        assert!(text.contains("B: invalid-policy: not a valid trust policy: the role has no AssumeRolePolicyDocument"), "{text}");
        let json: Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["documents"][0]["name"], "A");
        assert_eq!(json["documents"][0]["kind"], "cloudformation");
        assert_eq!(json["documents"][0]["findings"][0]["severity"], "note");
        assert_eq!(json["summary"]["errors"], 1);
        assert_eq!(json["summary"]["notes"], 1);
        let own = LintOptions::builder()
            .own_account("444455556666")
            .build()
            .unwrap();
        let report = lint_report(template, &own).unwrap();
        assert!(report.to_text().contains("arn:aws:iam::444455556666:root"));
        let json: Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["context"]["own_accounts"][0], "444455556666");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
            if let Ok(report) = lint_report(&text, &LintOptions::default()) {
                let _ = (report.to_text(), report.to_json(), report.to_sarif("f"));
            }
        }

        #[test]
        fn never_panics_on_template_shaped_text(
            lines in proptest::collection::vec(proptest::sample::select(vec![
                "Resources:", "  R:", "    Type: AWS::IAM::Role", "    Properties:",
                "      AssumeRolePolicyDocument:", "        Statement:", "          - Effect: Allow",
                "            Principal: {AWS: !Sub 'arn:${AWS::Partition}:iam::${Acct}:root'}",
                "            Action: sts:AssumeRole", "  - [", "&a x", "*a", "!GetAtt R.Arn",
                "        Version: 2012-10-17", "            Condition: {StringEquals: {sts:ExternalId: !Ref Id}}",
            ]), 0..24)
        ) {
            let text = lines.join("\n");
            if let Ok(report) = lint_report(&text, &LintOptions::default()) {
                let _ = (report.to_text(), report.to_json(), report.to_sarif("f"));
            }
        }
    }
}
