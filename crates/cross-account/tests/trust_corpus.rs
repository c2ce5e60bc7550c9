//! The trust-policy corpus (`tests/trust-corpus/cases.json`): every policy's lint findings and
//! the decisions for its requests, as IAM's documented logic gives them, checked against the
//! lint and `check`; each policy is also linted as a CloudFormation template, which must give
//! the same findings. `TRUST_CORPUS_WRITE=1` also writes what was found to `after.json`, for
//! `tests/trust-corpus/score.py`.

use cross_account::trust::{check, lint_report, lint_with, AssumeRoleRequest, LintOptions};
use serde_json::{json, Value};

fn corpus() -> (String, Vec<Value>) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/trust-corpus").to_string();
    let text = std::fs::read_to_string(format!("{root}/cases.json")).expect("the corpus file");
    (
        root,
        serde_json::from_str(&text).expect("the corpus is JSON"),
    )
}

fn options(case: &Value) -> LintOptions {
    let mut b = LintOptions::builder();
    for a in case["own_accounts"].as_array().into_iter().flatten() {
        b = b.own_account(a.as_str().unwrap());
    }
    if let Some(org) = case["org"].as_str() {
        b = b.org(org);
    }
    b.build().expect("valid corpus options")
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn corpus_findings_and_decisions_match_iam() {
    let (root, cases) = corpus();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    let mut found = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let policy = case["policy"].to_string();
        let opts = options(case);
        let expected: Vec<String> = case["expect"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let got = sorted(
            lint_with(&policy, &opts)
                .iter()
                .map(|w| w.code.to_string())
                .collect(),
        );
        if got != expected {
            failures.push(format!("{id}: lint {got:?}, expected {expected:?}"));
        }

        // The same policy as a CloudFormation template gives the same findings.
        let template = json!({"Resources": {"Role": {"Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": case["policy"]}}}});
        let report = lint_report(&template.to_string(), &opts).unwrap();
        let in_template = sorted(
            report.documents[0]
                .warnings
                .iter()
                .map(|w| w.code.to_string())
                .collect(),
        );
        if in_template != expected {
            failures.push(format!(
                "{id}: as a template {in_template:?}, expected {expected:?}"
            ));
        }

        let mut decisions = Vec::new();
        for k in case["checks"].as_array().unwrap() {
            let mut request = AssumeRoleRequest::new(k["principal"].as_str().unwrap())
                .mfa(k["mfa"].as_bool().unwrap_or(false));
            if let Some(x) = k["external_id"].as_str() {
                request = request.external_id(x);
            }
            if let Some(r) = k["principal_role_arn"].as_str() {
                request = request.principal_role_arn(r);
            }
            let kind = match check(&policy, &request) {
                Ok(d) => d.kind().to_string(),
                Err(e) => format!("error: {e}"),
            };
            if kind != k["expect"].as_str().unwrap() {
                failures.push(format!("{id}: {k} gave {kind}"));
            }
            decisions.push(kind);
        }
        found.push(json!({"id": id, "lint": got, "checks": decisions}));
    }
    if std::env::var_os("TRUST_CORPUS_WRITE").is_some() {
        std::fs::write(
            format!("{root}/after.json"),
            serde_json::to_string_pretty(&found).unwrap() + "\n",
        )
        .unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
