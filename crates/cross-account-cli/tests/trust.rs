//! The trusting side's subcommands: `external-id generate` and `trust-policy new | check | lint`,
//! every output, exit code and error path. No AWS call is involved (the end-to-end agreement
//! with moto's IAM is in tests/e2e/test_trust_documents.py).

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::{json, Value};

const PARTNER: &str = "111122223333";
const ID: &str = "7M3Q9XKZ2R8TB4WN6PDC";
const USER: &str = "arn:aws:iam::111122223333:user/alice";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Sync/nightly";
const STRANGER: &str = "arn:aws:iam::444455556666:user/mallory";

fn cli() -> Cli {
    Cli::new(None)
}

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write file");
    path
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// Exit 2 with `needle` on stderr and nothing on stdout; our own errors are one paragraph
/// (clap's usage errors have their own layout).
fn expect_usage(run: &Run, needle: &str) {
    assert_eq!(run.code, 2, "{run:#?}");
    run.stderr_has(needle);
    assert!(
        run.stdout.is_empty(),
        "printed something on failure: {run:#?}"
    );
    if run.stderr.starts_with("cross-account: error: ") {
        run.expect(2);
    }
}

fn new(cli: &Cli, extra: &[&str]) -> Run {
    let mut args = vec!["trust-policy", "new"];
    args.extend_from_slice(extra);
    cli.run(&args)
}

/// The JSON document that follows `key` in a template written by the core: a flow mapping
/// from `{` to its matching `}` (no brace appears inside a string of these documents).
fn embedded(yaml: &str, key: &str) -> Value {
    let start = yaml
        .find(key)
        .unwrap_or_else(|| panic!("no {key} in {yaml}"))
        + key.len();
    let rest = &yaml[start..];
    let open = rest.find('{').expect("a flow mapping");
    let mut depth = 0;
    for (i, c) in rest[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return serde_json::from_str(&rest[open..=open + i]).expect("embedded JSON");
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces after {key}")
}

// --- help --------------------------------------------------------------------------------

#[test]
fn every_trust_subcommand_has_help_with_an_example() {
    let cli = cli();
    for sub in [
        vec!["external-id", "--help"],
        vec!["external-id", "generate", "--help"],
        vec!["trust-policy", "--help"],
        vec!["trust-policy", "new", "--help"],
        vec!["trust-policy", "check", "--help"],
        vec!["trust-policy", "lint", "--help"],
    ] {
        let run = cli.run(&sub);
        run.expect(0)
            .stdout_has("Example")
            .stdout_has("cross-account ");
    }
    let new = cli.run(&["trust-policy", "new", "--help"]);
    for text in [
        "--trusted-account",
        "--trusted-principal",
        "--external-id",
        "--require-mfa",
        "--allow-source-identity",
        "--allow-tag-session",
        "--partition",
        "--format",
        "cloudformation",
        "--print",
        "--role-name",
        "DemoRole",
        "--s3-read-bucket",
        "--s3-read-prefix",
        "--print permission",
    ] {
        new.stdout_has(text);
    }
    let check = cli.run(&["trust-policy", "check", "--help"]);
    for text in [
        "0  allowed",
        "3  denied",
        "1  unknown",
        "2  usage error",
        "--mfa",
    ] {
        check.stdout_has(text);
    }
    let lint = cli.run(&["trust-policy", "lint", "--help"]);
    for text in ["0  no warnings", "1  warnings found", "2  usage error"] {
        lint.stdout_has(text);
    }
    cli.run(&["--help"])
        .expect(0)
        .stdout_has("external-id")
        .stdout_has("trust-policy")
        .stdout_has("`trust-policy check` exits 0 allowed, 3 denied, 1 unknown");
}

// --- external-id generate ----------------------------------------------------------------

#[test]
fn external_id_generate_prints_fresh_valid_ids() {
    let cli = cli();
    let one = cli.run(&["external-id", "generate"]);
    one.expect(0);
    let lines: Vec<&str> = one.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{one:?}");
    assert_eq!(lines[0].len(), 32);
    assert!(lines[0]
        .bytes()
        .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)));
    assert!(one.stderr.is_empty(), "{one:?}");

    let many = cli.run(&["external-id", "generate", "--count", "50"]);
    many.expect(0);
    let ids: HashSet<&str> = many.stdout.lines().collect();
    assert_eq!(ids.len(), 50, "IDs repeat: {many:?}");
    assert!(!ids.contains(lines[0]));
    // Each one is accepted where an external ID goes.
    let first = ids.iter().next().unwrap();
    new(
        &cli,
        &["--trusted-account", PARTNER, "--external-id", first],
    )
    .expect(0);

    assert_eq!(
        cli.run(&["external-id", "generate", "--count", "1000"])
            .stdout
            .lines()
            .count(),
        1000
    );
}

#[test]
fn external_id_generate_usage_errors_exit_2() {
    let cli = cli();
    for (args, needle) in [
        (vec!["external-id", "generate", "--count", "0"], "1..=1000"),
        (
            vec!["external-id", "generate", "--count", "1001"],
            "1..=1000",
        ),
        (
            vec!["external-id", "generate", "--count", "many"],
            "invalid value",
        ),
        (vec!["external-id"], "Usage"),
        (vec!["external-id", "rotate"], "unrecognized subcommand"),
    ] {
        let run = cli.run(&args);
        expect_usage(&run, needle);
    }
}

// --- trust-policy new --------------------------------------------------------------------

#[test]
fn new_prints_the_trust_policy_json() {
    let cli = cli();
    let run = new(&cli, &["--trusted-account", PARTNER, "--external-id", ID]);
    run.expect(0);
    assert!(
        run.stderr.is_empty(),
        "a clean policy warns of nothing: {run:?}"
    );
    assert_eq!(
        run.json(),
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": ID}}
            }]
        })
    );
    assert!(run.stdout.ends_with("}\n"));
}

#[test]
fn new_takes_every_option() {
    let cli = cli();
    let run = new(
        &cli,
        &[
            "--trusted-account",
            PARTNER,
            "--trusted-principal",
            "arn:aws-cn:iam::444455556666:role/path/Sync",
            "--trusted-account",
            PARTNER,
            "--external-id",
            ID,
            "--external-id",
            "SECOND0EXTERNAL0ID00",
            "--require-mfa",
            "--allow-source-identity",
            "--allow-tag-session",
            "--partition",
            "aws-cn",
        ],
    );
    run.expect(0);
    assert_eq!(
        run.json(),
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": [
                    "arn:aws-cn:iam::111122223333:root",
                    "arn:aws-cn:iam::444455556666:role/path/Sync"
                ]},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {"sts:ExternalId": [ID, "SECOND0EXTERNAL0ID00"]},
                    "Bool": {"aws:MultiFactorAuthPresent": "true"}
                }
            }]
        })
    );
}

#[test]
fn new_prints_the_permission_policy_on_request() {
    let cli = cli();
    let base = ["--trusted-account", PARTNER, "--external-id", ID];
    let trust = new(
        &cli,
        &[&base[..], &["--s3-read-bucket", "partner-reports"]].concat(),
    );
    trust
        .expect(0)
        .stderr_has("--print permission prints the S3 read-only permission policy");
    assert_eq!(trust.json()["Statement"][0]["Action"], "sts:AssumeRole");

    let whole = new(
        &cli,
        &[
            &base[..],
            &[
                "--s3-read-bucket",
                "partner-reports",
                "--print",
                "permission",
            ],
        ]
        .concat(),
    );
    whole.expect(0);
    assert!(whole.stderr.is_empty(), "{whole:?}");
    let doc = whole.json();
    assert_eq!(doc["Version"], "2012-10-17");
    assert_eq!(doc["Statement"][0]["Action"], "s3:GetObject");
    assert_eq!(
        doc["Statement"][0]["Resource"],
        "arn:aws:s3:::partner-reports/*"
    );
    assert_eq!(doc["Statement"][1]["Action"], "s3:ListBucket");
    assert_eq!(
        doc["Statement"][1]["Resource"],
        "arn:aws:s3:::partner-reports"
    );
    assert!(doc["Statement"][1].get("Condition").is_none());

    let prefixed = new(
        &cli,
        &[
            &base[..],
            &[
                "--s3-read-bucket",
                "partner-reports",
                "--s3-read-prefix",
                "exports/",
                "--print",
                "permission",
                "--partition",
                "aws-us-gov",
            ],
        ]
        .concat(),
    );
    prefixed.expect(0);
    let doc = prefixed.json();
    assert_eq!(
        doc["Statement"][0]["Resource"],
        "arn:aws-us-gov:s3:::partner-reports/exports/*"
    );
    assert_eq!(
        doc["Statement"][1]["Condition"],
        json!({"StringLike": {"s3:prefix": ["exports/*"]}})
    );
}

#[test]
fn new_prints_cloudformation_with_the_same_documents() {
    let cli = cli();
    let base = ["--trusted-account", PARTNER, "--external-id", ID];
    let trust_json = new(&cli, &base).json();

    let plain = new(&cli, &[&base[..], &["--format", "cloudformation"]].concat());
    plain.expect(0);
    let yaml = &plain.stdout;
    assert!(
        yaml.starts_with("AWSTemplateFormatVersion: \"2010-09-09\"\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains("  DemoRole:\n    Type: \"AWS::IAM::Role\"\n"),
        "{yaml}"
    );
    assert!(yaml.contains("      RoleName: \"DemoRole\"\n"), "{yaml}");
    assert!(yaml.contains("    Value: !GetAtt DemoRole.Arn\n"), "{yaml}");
    assert!(!yaml.contains("Policies:"), "{yaml}");
    assert_eq!(embedded(yaml, "AssumeRolePolicyDocument:"), trust_json);

    let with_s3 = [
        &base[..],
        &[
            "--s3-read-bucket",
            "partner-reports",
            "--s3-read-prefix",
            "exports/",
        ],
    ]
    .concat();
    let permission_json = new(&cli, &[&with_s3[..], &["--print", "permission"]].concat()).json();
    let full = new(
        &cli,
        &[
            &with_s3[..],
            &[
                "--format",
                "cloudformation",
                "--role-name",
                "Partner.Read-Reports",
            ],
        ]
        .concat(),
    );
    full.expect(0);
    let yaml = &full.stdout;
    assert!(yaml.contains("  PartnerReadReports:\n"), "{yaml}");
    assert!(
        yaml.contains("      RoleName: \"Partner.Read-Reports\"\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains("        - PolicyName: \"s3-read-only-partner-reports\"\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains("    Value: !GetAtt PartnerReadReports.Arn\n"),
        "{yaml}"
    );
    assert_eq!(embedded(yaml, "AssumeRolePolicyDocument:"), trust_json);
    assert_eq!(
        embedded(yaml, "          PolicyDocument: "),
        permission_json
    );
}

#[test]
fn new_warns_about_a_weak_policy_on_stderr_only() {
    let cli = cli();
    let run = new(
        &cli,
        &["--trusted-account", PARTNER, "--external-id", "short-id"],
    );
    run.expect(0)
        .stderr_has("cross-account: warning: short-external-id: ");
    assert_eq!(
        run.json()["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        "short-id"
    );
}

#[test]
fn new_usage_errors_exit_2() {
    let cli = cli();
    let ok = ["--trusted-account", PARTNER, "--external-id", ID];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--trusted-account", PARTNER],
            "invalid --external-id: at least one external ID is required",
        ),
        (vec!["--external-id", ID], "--trusted-account"),
        (
            vec!["--trusted-account", "11112222333", "--external-id", ID],
            "invalid --trusted-account: account ID must be exactly 12 digits",
        ),
        (
            vec![
                "--trusted-principal",
                "arn:aws:iam::111122223333:group/g",
                "--external-id",
                ID,
            ],
            "invalid --trusted-principal: ",
        ),
        (
            vec![
                "--trusted-principal",
                "arn:aws-cn:iam::111122223333:root",
                "--external-id",
                ID,
            ],
            "invalid --trusted-principal: ",
        ),
        (
            vec!["--trusted-account", PARTNER, "--external-id", "a"],
            "invalid --external-id: ",
        ),
        (
            vec!["--trusted-account", PARTNER, "--external-id", "has space"],
            "invalid --external-id: ",
        ),
        (
            [&ok[..], &["--partition", "mars"]].concat(),
            "invalid --partition: ",
        ),
        (
            [&ok[..], &["--s3-read-bucket", "Not_A_Bucket"]].concat(),
            "invalid --s3-read-bucket: ",
        ),
        (
            [
                &ok[..],
                &["--s3-read-bucket", "ok-bucket", "--s3-read-prefix", "a*"],
            ]
            .concat(),
            "invalid --s3-read-prefix: ",
        ),
        (
            [&ok[..], &["--s3-read-prefix", "exports/"]].concat(),
            "--s3-read-bucket",
        ),
        (
            [
                &ok[..],
                &["--format", "cloudformation", "--role-name", "has space"],
            ]
            .concat(),
            "invalid --role-name: ",
        ),
        (
            [&ok[..], &["--role-name", "R"]].concat(),
            "--role-name applies to --format cloudformation only",
        ),
        (
            [
                &ok[..],
                &[
                    "--format",
                    "cloudformation",
                    "--print",
                    "permission",
                    "--s3-read-bucket",
                    "b-bucket",
                ],
            ]
            .concat(),
            "--print applies to --format json only",
        ),
        (
            [&ok[..], &["--print", "permission"]].concat(),
            "--print permission needs --s3-read-bucket",
        ),
        ([&ok[..], &["--format", "yaml"]].concat(), "invalid value"),
        ([&ok[..], &["--print", "both"]].concat(), "invalid value"),
    ];
    for (args, needle) in cases {
        let run = new(&cli, &args);
        expect_usage(&run, needle);
    }
}

// --- trust-policy check ------------------------------------------------------------------

fn check(cli: &Cli, policy: &Path, principal: &str, extra: &[&str]) -> Run {
    let policy = s(policy);
    let mut args = vec![
        "trust-policy",
        "check",
        "--policy",
        &policy,
        "--principal",
        principal,
    ];
    args.extend_from_slice(extra);
    cli.run(&args)
}

#[test]
fn check_allows_the_partner_with_the_external_id_only() {
    let cli = cli();
    let dir = TempDir::new("check");
    let policy = new(&cli, &["--trusted-account", PARTNER, "--external-id", ID]).stdout;
    let file = write(&dir, "trust.json", &policy);

    for principal in [USER, SESSION] {
        let run = check(&cli, &file, principal, &["--external-id", ID]);
        run.expect(0);
        assert_eq!(run.stdout, "allowed by Statement[0]\n");
        assert!(run.stderr.is_empty(), "{run:?}");
    }
    // STS refuses root user credentials whatever the policy says.
    check(
        &cli,
        &file,
        "arn:aws:iam::111122223333:root",
        &["--external-id", ID],
    )
    .expect(3)
    .stdout_has("Roles may not be assumed by root accounts");

    let wrong = check(&cli, &file, USER, &["--external-id", "abc"]);
    wrong.expect(3);
    assert_eq!(
        wrong.stdout,
        format!("denied: Statement[0] does not apply: sts:ExternalId is 'abc' but the policy requires '{ID}'\n")
    );
    check(&cli, &file, USER, &[])
        .expect(3)
        .stdout_has("denied: Statement[0] does not apply: no external ID was sent");
    check(&cli, &file, STRANGER, &["--external-id", ID])
        .expect(3)
        .stdout_has("denied: principal arn:aws:iam::444455556666:user/mallory is not trusted");
}

#[test]
fn check_mfa_and_long_term_credentials() {
    let cli = cli();
    let dir = TempDir::new("check-mfa");
    let policy = new(
        &cli,
        &[
            "--trusted-account",
            PARTNER,
            "--external-id",
            ID,
            "--require-mfa",
        ],
    )
    .stdout;
    let file = write(&dir, "trust.json", &policy);
    check(&cli, &file, USER, &["--external-id", ID, "--mfa"]).expect(0);
    check(&cli, &file, USER, &["--external-id", ID])
        .expect(3)
        .stdout_has("aws:MultiFactorAuthPresent");

    // From the IAM documentation: deny when MFA is "false"; long-term keys have no such key.
    let deny_without_mfa = write(
        &dir,
        "deny.json",
        r#"{"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
           "Condition": {"StringEquals": {"sts:ExternalId": "7M3Q9XKZ2R8TB4WN6PDC"}}},
          {"Sid": "NoMfaNoEntry", "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
           "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}"#,
    );
    check(&cli, &deny_without_mfa, USER, &["--external-id", ID])
        .expect(3)
        .stdout_has("denied: ")
        .stdout_has("explicitly denies");
    check(
        &cli,
        &deny_without_mfa,
        USER,
        &["--external-id", ID, "--long-term-credentials"],
    )
    .expect(0);
    check(
        &cli,
        &deny_without_mfa,
        USER,
        &["--external-id", ID, "--mfa"],
    )
    .expect(0);
}

#[test]
fn check_unknown_exits_1() {
    let cli = cli();
    let dir = TempDir::new("check-unknown");
    let file = write(
        &dir,
        "dates.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
          "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}]}"#,
    );
    let run = check(&cli, &file, USER, &[]);
    run.expect(1);
    assert!(run.stdout.starts_with("unknown: "), "{run:?}");
    run.stdout_has("DateGreaterThan");
    // A caller the policy does not trust is denied whatever the condition says.
    check(&cli, &file, STRANGER, &[]).expect(3);
}

#[test]
fn check_reads_the_policy_from_stdin() {
    let cli = cli();
    let policy = new(&cli, &["--trusted-account", PARTNER, "--external-id", ID]).stdout;
    let run = cli.run_with_stdin(
        &[
            "trust-policy",
            "check",
            "--policy",
            "-",
            "--principal",
            SESSION,
            "--external-id",
            ID,
        ],
        &policy,
    );
    run.expect(0).stdout_has("allowed by Statement[0]");
    let run = cli.run_with_stdin(
        &[
            "trust-policy",
            "check",
            "--policy",
            "-",
            "--principal",
            SESSION,
        ],
        &policy,
    );
    run.expect(3);
}

#[test]
fn check_invalid_input_exits_2() {
    let cli = cli();
    let dir = TempDir::new("check-invalid");
    let good = write(
        &dir,
        "trust.json",
        &new(&cli, &["--trusted-account", PARTNER, "--external-id", ID]).stdout,
    );
    let not_json = write(
        &dir,
        "broken.json",
        r#"{"Version": "2012-10-17", "Statement": ["#,
    );
    let not_trust = write(
        &dir,
        "identity.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
    );
    let binary = dir.path().join("binary.json");
    std::fs::write(&binary, b"\xff\xfe\x00").unwrap();
    let missing = dir.path().join("missing.json");

    for (file, principal, extra, needle) in [
        (&missing, USER, vec![], "cannot read the policy"),
        (&binary, USER, vec![], "is not UTF-8"),
        (&not_json, USER, vec![], "not valid JSON"),
        (&not_trust, USER, vec![], "identity.json: "),
        (&good, "alice", vec![], "invalid --principal: "),
        (
            &good,
            "arn:aws:iam::12:user/a",
            vec![],
            "invalid --principal: ",
        ),
        (
            &good,
            USER,
            vec!["--external-id", "a"],
            "invalid --external-id: ",
        ),
    ] {
        let run = check(&cli, file, principal, &extra);
        expect_usage(&run, needle);
    }
    expect_usage(
        &cli.run(&["trust-policy", "check", "--policy", &s(&good)]),
        "--principal",
    );
    expect_usage(
        &cli.run(&["trust-policy", "check", "--principal", USER]),
        "--policy",
    );
}

// --- trust-policy lint -------------------------------------------------------------------

fn lint(cli: &Cli, file: &Path) -> Run {
    cli.run(&["trust-policy", "lint", &s(file)])
}

#[test]
fn lint_clean_policy_exits_0() {
    let cli = cli();
    let dir = TempDir::new("lint-clean");
    let file = write(
        &dir,
        "trust.json",
        &new(&cli, &["--trusted-account", PARTNER, "--external-id", ID]).stdout,
    );
    let run = lint(&cli, &file);
    run.expect(0).stderr_has("no warnings");
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn lint_warnings_exit_1_one_line_each() {
    let cli = cli();
    let dir = TempDir::new("lint-warn");
    let no_id = write(
        &dir,
        "no-id.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}"#,
    );
    let run = lint(&cli, &no_id);
    run.expect(1);
    assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
    assert!(
        run.stdout.starts_with("confused-deputy: Statement[0] "),
        "{run:?}"
    );
    assert!(run.stderr.is_empty(), "{run:?}");

    let everything = write(
        &dir,
        "bad.json",
        r#"{"Statement": [
          {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
          {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
           "Condition": {"StringLikeIfExists": {"sts:ExternalId": "abc*"}}}]}"#,
    );
    let run = lint(&cli, &everything);
    run.expect(1);
    let codes: Vec<&str> = run
        .stdout
        .lines()
        .map(|l| l.split_once(": ").expect("CODE: MESSAGE").0)
        .collect();
    for code in [
        "missing-version",
        "wildcard-principal",
        "confused-deputy",
        "external-id-wildcard",
        "external-id-if-exists",
    ] {
        assert!(codes.contains(&code), "{code} not in {codes:?}");
    }
    // A pattern's length says nothing: the wildcard warning covers it.
    assert!(!codes.contains(&"short-external-id"), "{codes:?}");

    let run = cli.run_with_stdin(
        &["trust-policy", "lint", "-"],
        std::fs::read_to_string(&no_id).unwrap(),
    );
    run.expect(1).stdout_has("confused-deputy: ");
}

#[test]
fn lint_invalid_input_exits_2() {
    let cli = cli();
    let dir = TempDir::new("lint-invalid");
    let broken = write(&dir, "broken.json", "not json");
    lint(&cli, &broken)
        .expect(2)
        .stderr_has("broken.json: invalid-policy: not a valid trust policy");
    lint(&cli, &dir.path().join("missing.json"))
        .expect(2)
        .stderr_has("cannot read the policy");
    cli.run_with_stdin(&["trust-policy", "lint", "-"], "[]")
        .expect(2)
        .stderr_has("stdin: invalid-policy: ");
    expect_usage(&cli.run(&["trust-policy", "lint"]), "FILE");
}

// --- the policy grammar, request context, input formats and outputs ---------------------

#[test]
fn what_iam_rejects_exits_2_in_check_and_lint() {
    let cli = cli();
    let dir = TempDir::new("grammar");
    for (name, policy, code) in [
        (
            "wildcard.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "7M3Q9XKZ2R8TB4WN6PDC"}}}]}"#,
            "wildcard-in-principal-arn",
        ),
        (
            "case.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "7M3Q9XKZ2R8TB4WN6PDC", "STS:EXTERNALID": "ZZ3Q9XKZ2R8TB4WN6PDC"}}}]}"#,
            "duplicate-condition-key",
        ),
        (
            "operator.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole", "Condition": {"StringEqual": {"sts:ExternalId": "7M3Q9XKZ2R8TB4WN6PDC"}}}]}"#,
            "unknown-condition-operator",
        ),
    ] {
        let file = write(&dir, name, policy);
        expect_usage(
            &check(&cli, &file, SESSION, &["--external-id", ID]),
            "IAM would reject this trust policy",
        );
        expect_usage(&lint(&cli, &file), &format!("{name}: {code}: "));
        let sarif = cli.run(&["trust-policy", "lint", &s(&file), "--format", "sarif"]);
        sarif.expect(2);
        let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
        assert_eq!(log["runs"][0]["results"][0]["ruleId"], code);
        assert_eq!(log["runs"][0]["results"][0]["level"], "error");
    }
}

#[test]
fn check_principal_role_arn_and_json_output() {
    let cli = cli();
    let dir = TempDir::new("check-role-arn");
    let file = write(
        &dir,
        "path.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole",
          "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/ops/Sync"}}}]}"#,
    );
    check(&cli, &file, SESSION, &[])
        .expect(1)
        .stdout_has("--principal-role-arn");
    check(
        &cli,
        &file,
        SESSION,
        &[
            "--principal-role-arn",
            "arn:aws:iam::111122223333:role/ops/Sync",
        ],
    )
    .expect(0);
    check(
        &cli,
        &file,
        SESSION,
        &[
            "--principal-role-arn",
            "arn:aws:iam::111122223333:role/Sync",
        ],
    )
    .expect(3);
    expect_usage(
        &check(
            &cli,
            &file,
            SESSION,
            &[
                "--principal-role-arn",
                "arn:aws:iam::111122223333:role/Other",
            ],
        ),
        "invalid --principal-role-arn: ",
    );
    let run = check(&cli, &file, USER, &["--format", "json"]);
    run.expect(3);
    let decision: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(decision["decision"], "denied");
    assert_eq!(decision["statement"], 0);
    assert!(decision["reason"]
        .as_str()
        .unwrap()
        .contains("aws:PrincipalArn"));
    let run = check(
        &cli,
        &file,
        SESSION,
        &[
            "--principal-role-arn",
            "arn:aws:iam::111122223333:role/ops/Sync",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        run.expect(0).stdout,
        "{\"decision\":\"allowed\",\"reason\":null,\"statement\":0,\"sid\":null}\n"
    );
}

#[test]
fn lint_reads_the_template_new_writes_and_terraform_plans() {
    let cli = cli();
    let dir = TempDir::new("lint-inputs");
    let template = new(
        &cli,
        &[
            "--trusted-account",
            PARTNER,
            "--external-id",
            ID,
            "--format",
            "cloudformation",
            "--s3-read-bucket",
            "partner-reports",
        ],
    )
    .stdout;
    let yaml = write(&dir, "role.yaml", &template);
    lint(&cli, &yaml).expect(0).stderr_has("no warnings");
    // The same template with the external ID condition removed: named by logical ID.
    let open = write(
        &dir,
        "open.yaml",
        "Resources:\n  Partner:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal:\n              AWS: !Sub 'arn:${AWS::Partition}:iam::111122223333:root'\n            Action: sts:AssumeRole\n          - Effect: Allow\n            Principal: {AWS: !GetAtt Deployer.Arn}\n            Action: sts:AssumeRole\n  Deployer:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}]}\n",
    );
    let run = lint(&cli, &open);
    run.expect(1)
        .stdout_has("Partner: confused-deputy: Statement[0] lets arn:aws:iam::111122223333:root")
        .stdout_has("Partner: confused-deputy-quieted: Statement[1] lets arn:aws:iam::000000000000:role/Deployer")
        .stdout_has("Deployer: service-without-source: ");
    let run = cli.run(&[
        "trust-policy",
        "lint",
        &s(&open),
        "--own-account",
        "444455556666",
        "--format",
        "json",
    ]);
    run.expect(1);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["documents"][0]["name"], "Partner");
    assert_eq!(report["documents"][0]["line"], 2);
    assert_eq!(report["context"]["own_accounts"][0], "444455556666");
    assert!(run
        .stdout
        .contains("arn:aws:iam::444455556666:role/Deployer"));
    let sarif = cli.run(&["trust-policy", "lint", &s(&open), "--format", "sarif"]);
    let log: Value = serde_json::from_str(&sarif.expect(1).stdout).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        s(&open)
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "Partner/Statement[0]"
    );

    let plan = write(
        &dir,
        "plan.json",
        &json!({"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {"root_module": {"resources": [
            {"address": "aws_iam_role.ci", "mode": "managed", "type": "aws_iam_role", "values": {"assume_role_policy":
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"Federated": "arn:aws:iam::444455556666:oidc-provider/token.actions.githubusercontent.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]}).to_string()}}]}}})
        .to_string(),
    );
    lint(&cli, &plan)
        .expect(1)
        .stdout_has("aws_iam_role.ci: oidc-sub-missing: Statement[0] trusts token.actions.githubusercontent.com");
}

#[test]
fn lint_context_quiets_and_says_so() {
    let cli = cli();
    let dir = TempDir::new("lint-context");
    let file = write(
        &dir,
        "org.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
          "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}"#,
    );
    lint(&cli, &file).expect(1).stdout_has("confused-deputy: ");
    let run = cli.run(&["trust-policy", "lint", &s(&file), "--org", "o-a1b2c3d4e5"]);
    run.expect(0)
        .stdout_has("confused-deputy-quieted: ")
        .stdout_has("your organisation (--org)");
    expect_usage(
        &cli.run(&["trust-policy", "lint", &s(&file), "--own-account", "12"]),
        "invalid --own-account: ",
    );
    expect_usage(
        &cli.run(&["trust-policy", "lint", &s(&file), "--org", "acme"]),
        "invalid --org: ",
    );
    let broken = write(&dir, "broken.yaml", "Resources:\n  A: [\n");
    expect_usage(
        &lint(&cli, &broken),
        "broken.yaml: the CloudFormation template cannot be read",
    );
}
