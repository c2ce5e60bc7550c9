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
use cross_account_test_support::{scenario, Scenario};

const SCENARIO_ENV: &str = "CROSS_ACCOUNT_TEST_SCENARIO";

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
    let Some(sc) = scenario() else {
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
    let Some(sc) = scenario() else {
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
    let Some(sc) = scenario() else {
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
    let Some(sc) = scenario() else {
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
    let Some(sc) = scenario() else {
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
    let Some(sc) = scenario() else {
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
    let sc = Scenario::required(); // run by rust_s3_client_reads_through_serve
    assert!(std::env::var("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_ok());
    assert!(std::env::var("AWS_ACCESS_KEY_ID").is_err());
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let s3 = aws_sdk_s3::Client::from_conf(Scenario::s3_config(&config).build());
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
    let Some(sc) = scenario() else {
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
    let Some(sc) = scenario() else {
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

// --- assume formats, exec, doctor and console, judged by real clients --------------------

/// The AWS CLI with the test's environment plus `extra` (later entries win).
fn aws_cli(cli: &Cli, aws_args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new("aws");
    cmd.args(aws_args).env_clear().stdin(Stdio::null());
    for (k, v) in &cli.env {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    Run::from(cmd.output().expect("run the AWS CLI"))
}

/// Python 3 (with boto3 and botocore) running `script`; the scenario file is its argv[1].
fn python(cli: &Cli, script: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).args(args).env_clear();
    for (k, v) in &cli.env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().expect("run python3"))
}

#[test]
fn assume_format_sts_is_what_aws_sts_assume_role_prints() {
    let Some(sc) = scenario() else {
        return;
    };
    let cli = cli_for(&sc);
    let ours = cli.run(&args(
        "assume",
        &sc,
        &["--format", "sts", "--session-name", "ours"],
    ));
    ours.expect(0);
    let theirs = aws_cli(
        &cli,
        &[
            "sts",
            "assume-role",
            "--role-arn",
            &sc.role_arn,
            "--external-id",
            &sc.external_id,
            "--role-session-name",
            "theirs",
            "--output",
            "json",
        ],
        &[],
    );
    assert_eq!(theirs.code, 0, "{theirs:#?}");
    // Python's json keeps key order: same keys, same order, same value types, same
    // timestamp style, and the jq-style path scripts use.
    let judge = r#"
import json, re, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
# STS adds these two only when they apply (a session policy or tags; a source identity);
# moto always sends PackedPolicySize.
for optional in ("PackedPolicySize", "SourceIdentity"):
    theirs.pop(optional, None)
def shape(v):
    if isinstance(v, dict):
        return [(k, shape(x)) for k, x in v.items()]
    return type(v).__name__
assert shape(ours) == shape(theirs), (shape(ours), shape(theirs))
# AWS CLI v2 prints +00:00 (its default cli_timestamp_format, iso8601); v1 passes on what
# the server sent. Ours is v2's; both parse as the same kind of timestamp.
from datetime import datetime
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", ours["Credentials"]["Expiration"])
for doc in (ours, theirs):
    stamp = datetime.fromisoformat(doc["Credentials"]["Expiration"])
    assert stamp.utcoffset().total_seconds() == 0, stamp
assert ours["AssumedRoleUser"]["Arn"].endswith(":assumed-role/DemoRole/ours")
assert ours["AssumedRoleUser"]["AssumedRoleId"].endswith(":ours")
print(ours["Credentials"]["AccessKeyId"])
"#;
    let run = python(&cli, judge, &[&ours.stdout, &theirs.stdout]);
    assert_eq!(run.code, 0, "{run:#?}");
    let key = run.stdout.trim().to_string();
    assert!(key.starts_with("ASIA"), "{run:#?}");

    // The credentials in that shape work, and are the assumed role's.
    let v = ours.json();
    let c = &v["Credentials"];
    let me = aws_cli(
        &cli,
        &[
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", c["AccessKeyId"].as_str().unwrap()),
            (
                "AWS_SECRET_ACCESS_KEY",
                c["SecretAccessKey"].as_str().unwrap(),
            ),
            ("AWS_SESSION_TOKEN", c["SessionToken"].as_str().unwrap()),
        ],
    );
    assert_eq!(me.code, 0, "{me:#?}");
    assert_eq!(me.stdout.trim(), v["AssumedRoleUser"]["Arn"]);
}

#[test]
fn env_no_export_and_windows_cmd_lines_give_the_aws_cli_the_role() {
    let Some(sc) = scenario() else {
        return;
    };
    let cli = cli_for(&sc);
    let object = format!("s3://{}/{}", sc.bucket, sc.key);
    for (format, end) in [("env-no-export", "\n"), ("windows-cmd", "\r\n")] {
        let run = cli.run(&args("assume", &sc, &["--format", format]));
        run.expect(0);
        // What docker --env-file and cmd.exe's `set "NAME=value"` assign, literally.
        let vars: Vec<(String, String)> = run
            .stdout
            .split(end)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let l = match format {
                    "windows-cmd" => l
                        .strip_prefix("set \"")
                        .and_then(|l| l.strip_suffix('"'))
                        .unwrap_or_else(|| panic!("not a set \"NAME=value\" line: {l:?}")),
                    _ => l,
                };
                let (k, v) = l.split_once('=').expect("NAME=value");
                (k.to_string(), v.to_string())
            })
            .collect();
        let extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let read = aws_cli(&cli, &["s3", "cp", &object, "-"], &extra);
        assert_eq!(read.code, 0, "{format}: {read:#?}");
        assert_eq!(read.stdout, sc.body, "{format}");
    }
}

#[test]
fn botocore_reads_account_id_from_credential_process_and_the_snippet_splits_alike_everywhere() {
    let Some(sc) = scenario() else {
        return;
    };
    let mut cli = cli_for(&sc);
    let home = cli.home.path().to_path_buf();
    // A path with spaces: single quotes would reach cmd.exe and the Windows splitter literally.
    let dir = home.join("partner policies");
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("read only.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    )
    .unwrap();
    std::fs::write(
        home.join("aws-credentials"),
        format!(
            "[partner-source]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            sc.partner_key, sc.partner_secret
        ),
    )
    .unwrap();
    let policy = policy.display().to_string();
    let snippet = cli.run(&args(
        "config-snippet",
        &sc,
        &[
            "--profile-name",
            "partner",
            "--profile",
            "partner-source",
            "--policy-file",
            &policy,
        ],
    ));
    snippet.expect(0);
    assert!(!snippet.stdout.contains('\''), "{}", snippet.stdout);
    std::fs::write(home.join("aws-config"), &snippet.stdout).unwrap();
    cli.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    let judge = r#"
import configparser, json, os, shlex, sys
import boto3
from botocore.compat import _windows_shell_split
config = configparser.RawConfigParser()
config.read(os.environ["AWS_CONFIG_FILE"])
line = config.get("profile partner", "credential_process")
posix, windows = shlex.split(line), _windows_shell_split(line)
assert posix == windows, (posix, windows)
assert sys.argv[1] in posix, posix
session = boto3.session.Session(profile_name="partner")
frozen = session.get_credentials().get_frozen_credentials()
print(json.dumps({"account_id": frozen.account_id}))
sc = json.load(open(os.environ["CROSS_ACCOUNT_TEST_SCENARIO"]))
s3 = session.client("s3", endpoint_url=sc["endpoint_url"])
body = s3.get_object(Bucket=sc["bucket"], Key=sc["key"])["Body"].read().decode()
assert body == sc["body"], body
"#;
    let run = python(&cli, judge, &[&policy]);
    assert_eq!(run.code, 0, "{run:#?}");
    let account = sc.role_arn.split(':').nth(4).unwrap();
    assert_eq!(run.json()["account_id"], account, "{run:#?}");
}

#[test]
fn exec_without_a_command_is_a_shell_with_the_role_and_refuses_to_nest() {
    let Some(sc) = scenario() else {
        return;
    };
    let mut cli = cli_for(&sc);
    cli.set("SHELL", "/bin/sh");
    let script = format!(
        "aws sts get-caller-identity --query Arn --output text\necho \"marker=$CROSS_ACCOUNT_SESSION\"\n{BIN} exec --role-arn {} --external-id {} -- true\necho \"nested=$?\"\n",
        sc.role_arn, sc.external_id
    );
    let run = cli.run_with_stdin(&args("exec", &sc, &[]), script.as_bytes());
    run.expect(0)
        .stdout_has(":assumed-role/DemoRole/")
        .stdout_has(&format!("marker={}", sc.role_arn))
        .stdout_has("nested=2")
        .stderr_has("already inside a cross-account session");
}

#[test]
fn doctor_shows_the_region_and_sts_endpoint_it_resolved() {
    let Some(sc) = scenario() else {
        return;
    };
    let cli = cli_for(&sc);
    let text = cli.run(&args("doctor", &sc, &[]));
    text.expect(0)
        .stdout_has(&format!(
            "region:        {} (from the environment",
            sc.region
        ))
        .stdout_has(&format!("STS endpoint:  {}/", sc.endpoint_url));
    let json = cli.run(&args(
        "doctor",
        &sc,
        &["--format", "json", "--region", "eu-west-1"],
    ));
    let v = json.expect(0).json();
    assert_eq!(v["region"], "eu-west-1");
    assert_eq!(v["sts_endpoint"], format!("{}/", sc.endpoint_url));
    assert_eq!(v["passed"], true);
    assert_eq!(v["exit_code"], 0);
    let checks: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["source_credentials", "clock", "assume_role"]);
    assert!(v["source_identity"]["arn"]
        .as_str()
        .unwrap()
        .ends_with(":user/partner-user"));
    assert!(!json.stdout.contains("SecretAccessKey"));

    let wrong = cli.run(&[
        "doctor",
        "--format",
        "json",
        "--role-arn",
        &sc.role_arn,
        "--external-id",
        "NotTheAgreedId",
    ]);
    let v = wrong.expect(3).json();
    assert_eq!(v["passed"], false);
    assert_eq!(v["exit_code"], 3);
    let last = v["checks"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["check"], "assume_role");
    assert_eq!(last["status"], "fail");
    assert!(last["hints"].as_array().unwrap().len() >= 3, "{last}");
}

/// A loopback stand-in for the federation endpoint: it checks each getSigninToken request
/// the way the real one needs it (POST form, Action, a Session JSON of exactly sessionId,
/// sessionKey, sessionToken) and answers a SigninToken; it keeps the sessions it got.
struct FederationStandIn {
    url: String,
    sessions: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    refusals: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl FederationStandIn {
    fn start() -> FederationStandIn {
        use std::io::{BufRead, BufReader, Read};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/federation", listener.local_addr().unwrap());
        let sessions = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let refusals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (s, r) = (sessions.clone(), refusals.clone());
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                stream
                    .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                    .unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                    }
                }
                let header = |name: &str| {
                    headers
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                let len: usize = header("content-length").parse().unwrap_or(0);
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let form = parse_form(&String::from_utf8_lossy(&body));
                let param = |name: &str| form.get(name).cloned();
                let verdict = (|| {
                    if !request_line.starts_with("POST /federation ") {
                        return Err(format!("not POST /federation: {request_line:?}"));
                    }
                    if header("content-type") != "application/x-www-form-urlencoded" {
                        return Err(format!("content-type {:?}", header("content-type")));
                    }
                    if param("Action").as_deref() != Some("getSigninToken") {
                        return Err(format!("Action {:?}", param("Action")));
                    }
                    let session: serde_json::Value =
                        serde_json::from_str(&param("Session").ok_or("no Session")?)
                            .map_err(|e| format!("Session is not JSON: {e}"))?;
                    let keys: Vec<&String> = session
                        .as_object()
                        .ok_or("Session is not an object")?
                        .keys()
                        .collect();
                    if keys != ["sessionId", "sessionKey", "sessionToken"] {
                        return Err(format!("Session keys {keys:?}"));
                    }
                    if keys
                        .iter()
                        .any(|k| session[k.as_str()].as_str().is_none_or(str::is_empty))
                    {
                        return Err("an empty Session value".into());
                    }
                    Ok(session)
                })();
                let (status, answer) = match verdict {
                    Ok(session) => {
                        let mut all = s.lock().unwrap();
                        all.push(session);
                        (
                            "200 OK",
                            format!("{{\"SigninToken\":\"SIGNIN-TOKEN-{}\"}}", all.len()),
                        )
                    }
                    Err(why) => {
                        r.lock().unwrap().push(why);
                        ("400 Bad Request", "{}".to_string())
                    }
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        FederationStandIn {
            url,
            sessions,
            refusals,
        }
    }
}

#[test]
fn console_trades_the_role_credentials_for_a_signin_url() {
    let Some(sc) = scenario() else {
        return;
    };
    let mut cli = cli_for(&sc);
    let fed = FederationStandIn::start();
    let run = cli.run(&args(
        "console",
        &sc,
        &[
            // With the HTTP client's and the SDK's trace logs, none of which may hold a secret.
            "-vvv",
            "--print",
            "--federation-endpoint",
            &fed.url,
            "--region",
            "eu-west-1",
        ],
    ));
    run.expect(0);
    assert!(
        fed.refusals.lock().unwrap().is_empty(),
        "{:?}",
        fed.refusals
    );
    let url = run.stdout.trim();
    assert_eq!(
        url,
        format!(
            "{}?Action=login&Issuer=cross-account&Destination=https%3A%2F%2Feu-west-1.console.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Deu-west-1&SigninToken=SIGNIN-TOKEN-1",
            fed.url
        )
    );
    // The session the stand-in got is the assumed role's, as the AWS CLI on moto confirms,
    // and none of it is in the URL or on stderr.
    let session = fed.sessions.lock().unwrap()[0].clone();
    let (id, key, token) = (
        session["sessionId"].as_str().unwrap(),
        session["sessionKey"].as_str().unwrap(),
        session["sessionToken"].as_str().unwrap(),
    );
    for secret in [key, token, "SIGNIN-TOKEN-1"] {
        assert!(
            !run.stderr.contains(secret),
            "{secret} on stderr: {}",
            run.stderr
        );
    }
    for secret in [key, token] {
        assert!(!url.contains(secret));
    }
    assert!(!run.stderr.is_empty(), "-vvv logged nothing");
    let me = aws_cli(
        &cli,
        &[
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", id),
            ("AWS_SECRET_ACCESS_KEY", key),
            ("AWS_SESSION_TOKEN", token),
        ],
    );
    assert_eq!(me.code, 0, "{me:#?}");
    assert!(
        me.stdout.trim().contains(":assumed-role/DemoRole/"),
        "{me:#?}"
    );

    // Without --print the URL goes to $BROWSER as an argument, not to stdout.
    let dir = TempDir::new("browser");
    let opened = dir.path().join("opened");
    let browser = dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(
        &browser,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    cli.set("BROWSER", browser.display().to_string());
    let run = cli.run(&args("console", &sc, &["--federation-endpoint", &fed.url]));
    run.expect(0).stderr_has("opened the console sign-in");
    assert!(run.stdout.is_empty(), "{run:#?}");
    let url = std::fs::read_to_string(&opened).unwrap();
    assert!(
        url.ends_with(
            "&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=SIGNIN-TOKEN-2"
        ),
        "{url}"
    );

    // A refusal from the endpoint is an error that names it, and shows no secret.
    let denied = cli.run(&args(
        "console",
        &sc,
        &[
            "--print",
            "--federation-endpoint",
            &fed.url.replace("/federation", "/elsewhere"),
        ],
    ));
    denied
        .expect(1)
        .stderr_has("did not give a sign-in token: HTTP 400");
}
