//! Real clients as judges, against moto with IAM auth on (run under `scripts/with-local-sts`):
//! the AWS CLI through `credential_process`, boto3 and the Rust S3 client through `serve`,
//! and 16 parallel cold `credential-process` runs sharing one STS call.
//!
//! Without CROSS_ACCOUNT_TEST_SCENARIO these tests print "skipped: ..." and pass, except under
//! CI=true, where they fail: CI must never go green by skipping.

mod common;

use std::collections::HashSet;
use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

const SCENARIO_ENV: &str = "CROSS_ACCOUNT_TEST_SCENARIO";

struct Scenario {
    endpoint_url: String,
    region: String,
    partner_key: String,
    partner_secret: String,
    role_arn: String,
    external_id: String,
    bucket: String,
    key: String,
    body: String,
}

fn scenario(test: &str) -> Option<Scenario> {
    let path = match std::env::var(SCENARIO_ENV) {
        Ok(p) => p,
        Err(_) => {
            if std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true")) {
                panic!("{test}: {SCENARIO_ENV} is not set; under CI these tests must run inside scripts/with-local-sts");
            }
            eprintln!("skipped: {test}: {SCENARIO_ENV} is not set (run `scripts/with-local-sts cargo test -p cross-account-cli`)");
            return None;
        }
    };
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{SCENARIO_ENV}={path}: {e}"));
    let v: serde_json::Value = serde_json::from_str(&text).expect("scenario JSON");
    let s = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("scenario lacks {k}"))
            .to_string()
    };
    Some(Scenario {
        endpoint_url: s("endpoint_url"),
        region: s("region"),
        partner_key: s("partner_access_key_id"),
        partner_secret: s("partner_secret_access_key"),
        role_arn: s("role_arn"),
        external_id: s("external_id"),
        bucket: s("bucket"),
        key: s("key"),
        body: s("body"),
    })
}

/// The binary's environment for moto: the partner's keys, moto as every endpoint.
fn cli_for(sc: &Scenario) -> Cli {
    let mut cli = Cli::new(None);
    cli.set("AWS_ENDPOINT_URL", sc.endpoint_url.clone())
        .set("AWS_REGION", sc.region.clone())
        .set("AWS_DEFAULT_REGION", sc.region.clone())
        .set("AWS_ACCESS_KEY_ID", sc.partner_key.clone())
        .set("AWS_SECRET_ACCESS_KEY", sc.partner_secret.clone());
    if let Ok(path) = std::env::var(SCENARIO_ENV) {
        cli.set(SCENARIO_ENV, path);
    }
    cli
}

fn role(sc: &Scenario) -> Vec<&str> {
    vec!["--role-arn", &sc.role_arn, "--external-id", &sc.external_id]
}

fn args<'a>(sub: &'a str, sc: &'a Scenario, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![sub];
    v.extend(role(sc));
    v.extend_from_slice(extra);
    v
}

#[test]
fn aws_cli_reads_through_credential_process_and_its_write_is_denied() {
    let Some(sc) = scenario("aws_cli_reads_through_credential_process_and_its_write_is_denied")
    else {
        return;
    };
    let mut cli = cli_for(&sc);
    // The partner's own keys live in a profile; the AWS CLI process has none in its environment.
    let home = cli.home.path().to_path_buf();
    std::fs::write(
        home.join("aws-credentials"),
        format!(
            "[partner-source]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            sc.partner_key, sc.partner_secret
        ),
    )
    .unwrap();
    let snippet = cli.run(&args(
        "config-snippet",
        &sc,
        &[
            "--profile-name",
            "partner",
            "--profile",
            "partner-source",
            "--region",
            &sc.region,
        ],
    ));
    snippet.expect(0);
    std::fs::write(home.join("aws-config"), &snippet.stdout).unwrap();
    cli.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");

    let aws = |aws_args: &[&str], stdin: &str| {
        let mut cmd = Command::new("aws");
        cmd.args(aws_args)
            .args(["--profile", "partner"])
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &cli.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("run the AWS CLI");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap())
    };
    let object = format!("s3://{}/{}", sc.bucket, sc.key);
    let read = aws(&["s3", "cp", &object, "-"], "");
    assert_eq!(read.code, 0, "{read:#?}");
    assert_eq!(read.stdout, sc.body);
    // Read again: the cache answers (same entry, no new STS call needed).
    let again = aws(&["s3", "cp", &object, "-"], "");
    assert_eq!(again.stdout, sc.body, "{again:#?}");
    let entries: Vec<_> = std::fs::read_dir(cli.cache_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .collect();
    assert_eq!(entries.len(), 1);

    let target = format!("s3://{}/written-by-partner.txt", sc.bucket);
    let write = aws(&["s3", "cp", "-", &target], "must not land\n");
    assert_ne!(write.code, 0, "the write must be denied: {write:#?}");
    assert!(write.stderr.contains("AccessDenied"), "{write:#?}");
}

#[test]
fn sixteen_parallel_cold_credential_process_runs_share_one_sts_call() {
    let Some(sc) = scenario("sixteen_parallel_cold_credential_process_runs_share_one_sts_call")
    else {
        return;
    };
    let cli = cli_for(&sc);
    // moto issues a new access key per AssumeRole, so equal keys mean one call.
    let a = cli.run(&args("credential-process", &sc, &["--no-cache"]));
    let b = cli.run(&args("credential-process", &sc, &["--no-cache"]));
    assert_ne!(
        a.expect(0).json()["AccessKeyId"],
        b.expect(0).json()["AccessKeyId"]
    );

    let cmd = args("credential-process", &sc, &[]);
    let children: Vec<_> = (0..16).map(|_| cli.spawn(&cmd)).collect();
    let keys: HashSet<String> = children
        .into_iter()
        .map(|c| {
            let run = Run::from(c.wait_with_output().unwrap());
            run.expect(0).json()["AccessKeyId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let warm = cli.run(&cmd);
    assert!(keys.contains(warm.expect(0).json()["AccessKeyId"].as_str().unwrap()));
}

#[test]
fn wrong_external_id_is_denied_and_doctor_explains() {
    let Some(sc) = scenario("wrong_external_id_is_denied_and_doctor_explains") else {
        return;
    };
    let cli = cli_for(&sc);
    let wrong = [
        "--role-arn",
        sc.role_arn.as_str(),
        "--external-id",
        "NotTheAgreedId",
    ];
    let mut assume = vec!["assume"];
    assume.extend(wrong);
    cli.run(&assume)
        .expect(3)
        .stderr_has("access denied assuming");
    let mut doctor = vec!["doctor"];
    doctor.extend(wrong);
    cli.run(&doctor)
        .expect(3)
        .stdout_has("What to check:")
        .stdout_has("partner-user");
    cli.run(&args("doctor", &sc, &[]))
        .expect(0)
        .stdout_has("All checks passed.")
        .stdout_has("the local clock agrees with STS");
}

#[test]
fn exec_hands_the_role_to_the_aws_cli() {
    let Some(sc) = scenario("exec_hands_the_role_to_the_aws_cli") else {
        return;
    };
    let cli = cli_for(&sc);
    let object = format!("s3://{}/{}", sc.bucket, sc.key);
    let run = cli.run(&args("exec", &sc, &["--", "aws", "s3", "cp", &object, "-"]));
    run.expect(0);
    assert_eq!(run.stdout, sc.body);
}

#[test]
fn boto3_reads_through_serve() {
    let Some(sc) = scenario("boto3_reads_through_serve") else {
        return;
    };
    let cli = cli_for(&sc);
    let script = r#"
import json, os, sys
import boto3
from botocore.exceptions import ClientError
sc = json.load(open(os.environ["CROSS_ACCOUNT_TEST_SCENARIO"]))
assert "AWS_ACCESS_KEY_ID" not in os.environ
session = boto3.session.Session()
creds = session.get_credentials()
assert creds.method == "container-role", creds.method
s3 = session.client("s3", endpoint_url=sc["endpoint_url"])
body = s3.get_object(Bucket=sc["bucket"], Key=sc["key"])["Body"].read().decode()
try:
    s3.put_object(Bucket=sc["bucket"], Key="boto3-write.txt", Body=b"no")
    sys.exit("the write was allowed")
except ClientError as e:
    assert e.response["Error"]["Code"] == "AccessDenied", e.response
sys.stdout.write(body)
sys.exit(11)
"#;
    let run = cli.run(&args("serve", &sc, &["--", "python3", "-c", script]));
    run.expect(11);
    assert_eq!(run.stdout, sc.body);
}

#[test]
fn rust_s3_client_reads_through_serve() {
    let Some(sc) = scenario("rust_s3_client_reads_through_serve") else {
        return;
    };
    let cli = cli_for(&sc);
    // The child is this very test binary, running the judge below with the endpoint in its
    // environment, so the SDK's default chain finds it as any program would.
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    let run = cli.run(&args(
        "serve",
        &sc,
        &[
            "--",
            exe,
            "--exact",
            "rust_s3_judge_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ],
    ));
    run.expect(0);
    assert!(run.stdout.contains("1 passed"), "{run:#?}");
    assert!(run.stdout.contains("JUDGE-READ-OK"), "{run:#?}");
}

#[tokio::test]
#[ignore = "the child process of rust_s3_client_reads_through_serve"]
async fn rust_s3_judge_child() {
    let sc = scenario("rust_s3_judge_child").expect("run by rust_s3_client_reads_through_serve");
    assert!(std::env::var("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_ok());
    assert!(std::env::var("AWS_ACCESS_KEY_ID").is_err());
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let object = s3
        .get_object()
        .bucket(&sc.bucket)
        .key(&sc.key)
        .send()
        .await
        .expect("GetObject with the served credentials");
    let body = object.body.collect().await.expect("body").into_bytes();
    assert_eq!(String::from_utf8_lossy(&body), sc.body);
    let put = s3
        .put_object()
        .bucket(&sc.bucket)
        .key("rust-write.txt")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"no"))
        .send()
        .await;
    assert!(put.is_err(), "the write must be denied");
    println!("JUDGE-READ-OK");
}

#[test]
fn the_serve_child_is_the_role_even_with_keys_in_the_default_profile() {
    let Some(sc) = scenario("the_serve_child_is_the_role_even_with_keys_in_the_default_profile")
    else {
        return;
    };
    let cli = cli_for(&sc);
    // The partner's own keys in [default] of both files, where every SDK looks before the
    // container endpoint.
    let home = cli.home.path().to_path_buf();
    let keys = format!(
        "aws_access_key_id = {}\naws_secret_access_key = {}\n",
        sc.partner_key, sc.partner_secret
    );
    std::fs::write(home.join("aws-credentials"), format!("[default]\n{keys}")).unwrap();
    std::fs::write(
        home.join("aws-config"),
        format!("[default]\nregion = {}\n{keys}", sc.region),
    )
    .unwrap();
    let run = cli.run(&args(
        "serve",
        &sc,
        &[
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--output",
            "json",
        ],
    ));
    run.expect(0);
    let arn = run.json()["Arn"].as_str().unwrap_or_default().to_string();
    let role_name = sc.role_arn.rsplit('/').next().unwrap();
    assert!(
        arn.contains(":assumed-role/") && arn.contains(role_name),
        "the child called as {arn}, not as the assumed role"
    );
}

#[test]
fn boto3_with_900_s_sessions_makes_one_sts_call_for_20_calls() {
    let Some(sc) = scenario("boto3_with_900_s_sessions_makes_one_sts_call_for_20_calls") else {
        return;
    };
    let mut cli = cli_for(&sc);
    let home = cli.home.path().to_path_buf();
    let runs = home.join("runs");
    std::fs::write(
        home.join("aws-credentials"),
        format!(
            "[partner-source]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            sc.partner_key, sc.partner_secret
        ),
    )
    .unwrap();
    std::fs::write(
        home.join("aws-config"),
        format!(
            "[profile partner]\nregion = {region}\ncredential_process = sh -c 'echo run >> {runs}; exec \"$0\" \"$@\"' {BIN} credential-process --role-arn {role} --external-id {id} --duration 900 --profile partner-source --region {region}\n",
            region = sc.region,
            runs = runs.display(),
            role = sc.role_arn,
            id = sc.external_id,
        ),
    )
    .unwrap();
    cli.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    let script = r#"
import boto3
session = boto3.session.Session(profile_name="partner")
sts = session.client("sts")
keys = set()
for _ in range(20):
    sts.get_caller_identity()
    keys.add(session.get_credentials().get_frozen_credentials().access_key)
print(len(keys))
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script]).env_clear();
    for (k, v) in &cli.env {
        cmd.env(k, v);
    }
    let run = Run::from(cmd.output().expect("run python3"));
    run.expect(0);
    let process_runs = std::fs::read_to_string(&runs).unwrap().lines().count();
    // botocore runs credential_process again on every call while less than its 15-minute
    // advisory window is left, which is always the case for a 900 s session: the cache is what
    // keeps that from being an STS call each time.
    eprintln!("boto3, 20 calls, 900 s sessions: {process_runs} credential-process runs");
    assert_eq!(
        run.stdout.trim(),
        "1",
        "distinct credentials (STS calls): {run:#?}"
    );
}
