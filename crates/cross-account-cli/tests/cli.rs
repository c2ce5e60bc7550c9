//! The command line against a loopback STS double: every subcommand, every error path and exit
//! code, the cache, signals, the endpoint, and no secret on stderr.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{Duration, Instant, SystemTime};

use common::*;

// --- help and usage -------------------------------------------------------------------

#[test]
fn every_subcommand_has_help_with_an_example() {
    let cli = Cli::new(None);
    let top = cli.run(&["--help"]);
    top.expect(0);
    for text in ["Exit codes:", "3  access denied", "4  STS unavailable"] {
        top.stdout_has(text);
    }
    for sub in subcommands() {
        let run = cli.run(&[&sub, "--help"]);
        run.expect(0);
        run.stdout_has("Example").stdout_has("cross-account ");
    }
    let assuming = assuming_subcommands();
    assert!(assuming.len() >= 6, "{assuming:?}");
    for sub in &assuming {
        let run = cli.run(&[sub, "--help"]);
        for flag in [
            "--role-arn",
            "--external-id-file",
            "--session-name",
            "--duration",
            "--policy-file",
            "--policy-arn",
            "--tag",
            "--transitive-tag-key",
            "--source-identity",
            "--mfa-serial",
            "--mfa-token",
            "--chain-role-arn",
            "--chain-external-id",
            "--region",
            "--endpoint-url",
            "--profile",
        ] {
            run.stdout_has(flag);
        }
    }
    let version = cli.run(&["--version"]);
    version.expect(0).stdout_has("cross-account ");
}

#[test]
fn usage_errors_exit_2() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    let dir = TempDir::new("usage");
    let empty = dir.path().join("empty-id");
    std::fs::write(&empty, "  \n").unwrap();
    let missing = dir.path().join("missing").display().to_string();
    let empty = empty.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["assume"], "--role-arn"),
        (vec!["frobnicate"], "unrecognized subcommand"),
        (
            vec!["assume", "--role-arn", "arn:aws:iam::12:role/R"],
            "--role-arn",
        ),
        (with("assume", &["--duration", "60"]), "invalid --duration"),
        (with("assume", &["--duration", "1d"]), "unknown unit"),
        (with("assume", &["--tag", "novalue"]), "KEY=VALUE"),
        (
            with("assume", &["--region", "Not A Region"]),
            "invalid --region",
        ),
        (
            with("assume", &["--endpoint-url", "ftp://x"]),
            "invalid --endpoint-url",
        ),
        (with("assume", &["--format", "yaml"]), "invalid value"),
        (
            vec![
                "assume",
                "--role-arn",
                ROLE_ARN,
                "--external-id",
                "x",
                "--external-id-file",
                &empty,
            ],
            "cannot be used with",
        ),
        (
            vec![
                "assume",
                "--role-arn",
                ROLE_ARN,
                "--external-id-file",
                &empty,
            ],
            "is empty",
        ),
        (
            vec![
                "assume",
                "--role-arn",
                ROLE_ARN,
                "--external-id-file",
                &missing,
            ],
            "cannot open",
        ),
        (
            with("assume", &["--policy-file", &missing]),
            "--policy-file",
        ),
        (with("assume", &["--mfa-token", "123456"]), "--mfa-serial"),
        (
            with("assume", &["--chain-external-id", "Abc123"]),
            "--chain-role-arn",
        ),
        (
            with("assume", &["--chain-role-arn", "arn:aws:iam::1:role/X"]),
            "invalid --chain-role-arn",
        ),
        // `exec` without CMD starts $SHELL now (tests/features.rs); without the marker unset,
        // a nested one is refused before any STS call.
        (
            vec![
                "config-snippet",
                "--role-arn",
                ROLE_ARN,
                "--profile-name",
                "a b",
            ],
            "--profile-name",
        ),
    ];
    for (args, needle) in cases {
        let run = cli.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        run.stderr_has(needle);
        assert!(!run.stderr.contains(SENTINEL), "{run:#?}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:#?}");
    }
    // An external ID from the environment is validated like the flag.
    cli.set("CROSS_ACCOUNT_EXTERNAL_ID", "has space");
    cli.run(&["assume", "--role-arn", ROLE_ARN])
        .expect(2)
        .stderr_has("invalid --external-id");
    assert!(sts.calls().is_empty(), "invalid input must not reach STS");
}

// --- exit codes for STS failures, and no secrets on stderr -----------------------------

#[test]
fn access_denied_exits_3_with_the_hint() {
    let sts = FakeSts::start(Mode::Denied);
    let cli = Cli::new(Some(&sts));
    for sub in ["assume", "credential-process"] {
        let run = cli.run(&with(sub, &[]));
        run.expect(3)
            .stderr_has("access denied assuming")
            .stderr_has(ROLE_ARN)
            .stderr_has("trust policy")
            .stderr_has("13 characters");
        assert!(run.stdout.is_empty());
    }
    // A denial is not cached: nothing was written.
    let entries: Vec<_> = std::fs::read_dir(cli.cache_dir())
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        entries
            .iter()
            .all(|n| !n.to_string_lossy().ends_with(".json")),
        "{entries:?}"
    );
}

#[test]
fn throttling_and_server_errors_exit_4() {
    let sts = FakeSts::start(Mode::Throttled);
    let cli = Cli::new(Some(&sts));
    cli.run(&with("assume", &[]))
        .expect(4)
        .stderr_has("throttled");
    sts.set_mode(Mode::ServerError);
    cli.run(&with("assume", &[]))
        .expect(4)
        .stderr_has("unavailable");
}

#[test]
fn unreachable_sts_exits_4() {
    let mut cli = Cli::new(None);
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    cli.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1");
    cli.run(&with("credential-process", &[]))
        .expect(4)
        .stderr_has("could not reach STS");
}

#[test]
fn missing_source_credentials_exit_1() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    cli.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    cli.run(&with("assume", &[]))
        .expect(1)
        .stderr_has("no source credentials")
        .stderr_has("--profile");
}

#[test]
fn bad_mfa_code_is_never_echoed() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let code = "SENTINEL9";
    let dir = TempDir::new("bad-mfa");
    let file = dir.path().join("code");
    std::fs::write(&file, code).unwrap();
    let run = cli.run(&with(
        "assume",
        &[
            "--mfa-serial",
            "arn:aws:iam::999988887777:mfa/partner",
            "--mfa-token-file",
            &file.display().to_string(),
        ],
    ));
    run.expect(2)
        .stderr_has("--mfa-token")
        .stderr_has("6 digits");
    assert!(!run.stderr.contains(code));
}

#[test]
fn verbose_logging_shows_no_secret() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let run = cli.run(&with("assume", &["-vvv"]));
    run.expect(0);
    assert!(
        run.stderr.contains("assumed role"),
        "expected logs: {}",
        run.stderr
    );
    assert!(!run.stderr.contains(SENTINEL));
    assert!(run.stdout.contains(&secret(1)));
}

// --- assume -------------------------------------------------------------------------

#[test]
fn assume_formats() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let run = cli.run(&with("assume", &[]));
    run.expect(0);
    let v = run.json();
    assert_eq!(v["AccessKeyId"], key_id(1));
    assert_eq!(v["SecretAccessKey"], secret(1));
    assert_eq!(v["SessionToken"], token(1));
    assert_eq!(v["AccountId"], "111122223333");
    assert!(v["AssumedRoleArn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:sts::111122223333:assumed-role/PartnerRole/"));
    let exp = v["Expiration"].as_str().unwrap();
    assert!(exp.ends_with('Z') && exp.len() == 20, "{exp}");
    assert!(!run.stderr.contains(SENTINEL));

    let run = cli.run(&with("assume", &["--format", "credential-process"]));
    let v = run.expect(0).json();
    assert_eq!(v["Version"], 1);
    assert_eq!(v["AccessKeyId"], key_id(2));

    // Shell output, evaluated by a real shell.
    let run = cli.run(&with(
        "assume",
        &["--format", "env", "--region", "eu-west-1"],
    ));
    run.expect(0)
        .stdout_has("export AWS_SESSION_TOKEN=")
        .stdout_has("export AWS_REGION=eu-west-1");
    let script = format!(
        "{}\nprintf '%s|%s|%s|%s' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\"",
        run.stdout
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!("{}|{}|{}|", key_id(3), secret(3), token(3))),
        "{text}"
    );

    cli.run(&with("assume", &["--format", "env", "--shell", "fish"]))
        .expect(0)
        .stdout_has(&format!("set -gx AWS_SECRET_ACCESS_KEY '{}';", secret(4)));
    cli.run(&with(
        "assume",
        &["--format", "env", "--shell", "powershell"],
    ))
    .expect(0)
    .stdout_has(&format!("$Env:AWS_SESSION_TOKEN = '{}'", token(5)));
}

#[test]
fn every_option_reaches_sts() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let dir = TempDir::new("opts");
    let policy = dir.path().join("policy.json");
    let policy_text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    std::fs::write(&policy, policy_text).unwrap();
    let policy = policy.display().to_string();
    cli.run(&with(
        "assume",
        &[
            "--session-name",
            "nightly-report",
            "--duration",
            "15m",
            "--policy-file",
            &policy,
            "--policy-arn",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "--tag",
            "team=data",
            "--tag",
            "env=prod=1",
            "--transitive-tag-key",
            "team",
            "--source-identity",
            "alice",
            "--mfa-serial",
            "arn:aws:iam::999988887777:mfa/partner",
            "--mfa-token",
            "123456",
        ],
    ))
    .expect(0);
    let calls = sts.assume_calls();
    assert_eq!(calls.len(), 1);
    let p = &calls[0].params;
    let get = |k: &str| p.get(k).map(String::as_str);
    assert_eq!(get("RoleArn"), Some(ROLE_ARN));
    assert_eq!(get("ExternalId"), Some(EXTERNAL_ID));
    assert_eq!(get("RoleSessionName"), Some("nightly-report"));
    assert_eq!(get("DurationSeconds"), Some("900"));
    assert_eq!(get("Policy"), Some(policy_text));
    assert_eq!(
        get("PolicyArns.member.1.arn"),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    assert_eq!(get("Tags.member.1.Key"), Some("team"));
    assert_eq!(get("Tags.member.2.Value"), Some("prod=1"));
    assert_eq!(get("TransitiveTagKeys.member.1"), Some("team"));
    assert_eq!(get("SourceIdentity"), Some("alice"));
    assert_eq!(
        get("SerialNumber"),
        Some("arn:aws:iam::999988887777:mfa/partner")
    );
    assert_eq!(get("TokenCode"), Some("123456"));
    assert_eq!(calls[0].signed_by, SOURCE_KEY_ID);
}

#[test]
fn external_id_sources() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    let dir = TempDir::new("extid");
    let file = dir.path().join("id");
    std::fs::write(&file, "FromFile-42\n").unwrap();
    let file = file.display().to_string();
    cli.set("CROSS_ACCOUNT_EXTERNAL_ID", "FromEnv-7");
    cli.run(&["assume", "--role-arn", ROLE_ARN]).expect(0);
    cli.run(&[
        "assume",
        "--role-arn",
        ROLE_ARN,
        "--external-id-file",
        &file,
    ])
    .expect(0);
    cli.run(&[
        "assume",
        "--role-arn",
        ROLE_ARN,
        "--external-id",
        "FromFlag-1",
    ])
    .expect(0);
    cli.unset("CROSS_ACCOUNT_EXTERNAL_ID");
    cli.run(&["assume", "--role-arn", ROLE_ARN]).expect(0);
    let ids: Vec<Option<String>> = sts
        .assume_calls()
        .iter()
        .map(|c| c.params.get("ExternalId").cloned())
        .collect();
    assert_eq!(
        ids,
        [
            Some("FromEnv-7".to_string()),
            Some("FromFile-42".to_string()),
            Some("FromFlag-1".to_string()),
            None
        ]
    );
}

#[test]
fn role_chaining_signs_the_second_hop_with_the_first_hops_keys() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let run = cli.run(&with(
        "assume",
        &[
            "--chain-role-arn",
            CHAIN_ROLE_ARN,
            "--chain-external-id",
            "Second-Id",
            "--duration",
            "2h",
        ],
    ));
    let v = run.expect(0).json();
    let calls = sts.assume_calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls[0].params["RoleArn"], ROLE_ARN);
    assert_eq!(calls[0].params["ExternalId"], EXTERNAL_ID);
    assert_eq!(calls[0].signed_by, SOURCE_KEY_ID);
    assert_eq!(calls[1].params["RoleArn"], CHAIN_ROLE_ARN);
    assert_eq!(calls[1].params["ExternalId"], "Second-Id");
    // Chained sessions are clamped to an hour.
    assert_eq!(calls[1].params["DurationSeconds"], "3600");
    assert_eq!(calls[1].signed_by, key_id(1));
    assert_eq!(v["AccessKeyId"], key_id(2));
    assert_eq!(v["AccountId"], "444455556666");
}

// --- credential-process and its cache ---------------------------------------------------

fn cache_files(cli: &Cli) -> Vec<(String, u32)> {
    let mut files: Vec<(String, u32)> = std::fs::read_dir(cli.cache_dir())
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().mode() & 0o777,
            )
        })
        .collect();
    files.sort();
    files
}

fn entry_path(cli: &Cli) -> std::path::PathBuf {
    let files = cache_files(cli);
    let json: Vec<_> = files.iter().filter(|(n, _)| n.ends_with(".json")).collect();
    assert_eq!(json.len(), 1, "{files:?}");
    cli.cache_dir().join(&json[0].0)
}

#[test]
fn credential_process_caches_in_a_private_directory() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let first = cli.run(&with("credential-process", &[]));
    let v = first.expect(0).json();
    assert_eq!(v["Version"], 1);
    assert_eq!(v["AccessKeyId"], key_id(1));
    assert_eq!(v["SecretAccessKey"], secret(1));
    assert_eq!(v["SessionToken"], token(1));
    assert!(first.stderr.is_empty(), "{first:#?}");
    assert_eq!(first.stdout.lines().count(), 1);

    let dir_mode = std::fs::metadata(cli.cache_dir()).unwrap().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    let files = cache_files(&cli);
    assert_eq!(files.len(), 2, "{files:?}"); // the entry and its lock
    for (name, mode) in &files {
        assert_eq!(*mode, 0o600, "{name}");
        let stem = name.trim_end_matches(".json").trim_end_matches(".lock");
        assert_eq!(stem.len(), 64, "{name}");
        assert!(stem.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
        assert!(!name.contains(SENTINEL) && !name.contains(EXTERNAL_ID));
    }

    // Warm: same credentials, no STS call.
    for _ in 0..3 {
        let again = cli.run(&with("credential-process", &[]));
        assert_eq!(again.expect(0).json(), v);
    }
    assert_eq!(sts.assume_calls().len(), 1);

    // Other parameters, another entry.
    cli.run(&with("credential-process", &["--session-name", "other"]))
        .expect(0);
    assert_eq!(sts.assume_calls().len(), 2);
    // --no-cache always calls STS.
    let nc = cli.run(&with("credential-process", &["--no-cache"]));
    assert_eq!(nc.expect(0).json()["AccessKeyId"], key_id(3));

    // The same tags and policy ARNs in another order ask for the same credentials: one entry.
    let (a, b) = ("arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B");
    let ordered = [
        "--tag",
        "team=data",
        "--tag",
        "env=prod",
        "--policy-arn",
        a,
        "--policy-arn",
        b,
    ];
    let reordered = [
        "--policy-arn",
        b,
        "--tag",
        "env=prod",
        "--policy-arn",
        a,
        "--tag",
        "team=data",
    ];
    let first = cli
        .run(&with("credential-process", &ordered))
        .expect(0)
        .json();
    let again = cli
        .run(&with("credential-process", &reordered))
        .expect(0)
        .json();
    assert_eq!(first, again);
    assert_eq!(sts.assume_calls().len(), 4);
}

#[test]
fn credential_process_runs_without_a_shared_cache_directory() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    std::fs::create_dir_all(cli.cache_dir()).unwrap();
    std::fs::set_permissions(cli.cache_dir(), std::fs::Permissions::from_mode(0o750)).unwrap();
    let run = cli.run(&with("credential-process", &[]));
    run.expect(0)
        .stderr_has("accessible by group or others")
        .stderr_has("chmod 700")
        .stderr_has("running without the cache");
    assert_eq!(run.json()["AccessKeyId"], key_id(1));
    // Nothing was written into it.
    assert_eq!(std::fs::read_dir(cli.cache_dir()).unwrap().count(), 0);
    // --no-cache says nothing about it.
    let quiet = cli.run(&with("credential-process", &["--no-cache"]));
    assert!(quiet.expect(0).stderr.is_empty(), "{quiet:#?}");
}

#[test]
fn credential_process_replaces_a_corrupt_or_stale_entry() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    cli.run(&with("credential-process", &[])).expect(0);
    let entry = entry_path(&cli);

    std::fs::write(&entry, "{\"Format\": garbage").unwrap();
    let run = cli.run(&with("credential-process", &[]));
    assert_eq!(run.expect(0).json()["AccessKeyId"], key_id(2));
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    assert_eq!(stored["AccessKeyId"], key_id(2));
    assert_eq!(std::fs::metadata(&entry).unwrap().mode() & 0o777, 0o600);

    // Inside the refresh window (4 minutes left of an hour): fetched again.
    make_stale(&entry);
    let run = cli.run(&with("credential-process", &[]));
    assert_eq!(run.expect(0).json()["AccessKeyId"], key_id(3));
    assert_eq!(sts.assume_calls().len(), 3);
}

/// Rewrites an entry as if fetched 56 minutes ago for an hour.
fn make_stale(entry: &std::path::Path) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(entry).unwrap()).unwrap();
    let now = SystemTime::now();
    let fmt = |t: SystemTime| {
        aws_smithy_types::DateTime::from(t)
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap()
    };
    v["FetchedAt"] = fmt(now - Duration::from_secs(56 * 60)).into();
    v["Expiration"] = fmt(now + Duration::from_secs(4 * 60)).into();
    std::fs::write(entry, v.to_string()).unwrap();
}

#[test]
fn sixteen_parallel_cold_invocations_make_one_sts_call() {
    let sts = FakeSts::start(Mode::Ok {
        lifetime: 3600,
        delay: Duration::from_millis(400),
    });
    let cli = Cli::new(Some(&sts));
    let args = with("credential-process", &[]);
    let children: Vec<_> = (0..16).map(|_| cli.spawn(&args)).collect();
    let outputs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect();
    for run in &outputs {
        assert_eq!(run.expect(0).json()["AccessKeyId"], key_id(1), "{run:#?}");
    }
    assert_eq!(sts.assume_calls().len(), 1, "{:#?}", sts.assume_calls());
}

#[test]
fn a_killed_writer_leaves_no_torn_entry() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    let args = with("credential-process", &[]);
    cli.run(&args).expect(0);
    let entry = entry_path(&cli);
    make_stale(&entry);
    let before = std::fs::read_to_string(&entry).unwrap();

    // The next writer stalls between writing its temporary file and renaming it; kill it there.
    cli.set("CROSS_ACCOUNT_TEST_STALL_BEFORE_RENAME_MS", "10000");
    let mut writer = cli.spawn(&args);
    let temp = entry.with_extension("json.tmp");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !temp.exists() {
        assert!(
            Instant::now() < deadline,
            "the writer never wrote its temp file"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    writer.kill().unwrap();
    writer.wait().unwrap();
    // The entry is the old one, whole; the half-done update is only in the temp file.
    assert_eq!(std::fs::read_to_string(&entry).unwrap(), before);

    // The lock died with the writer; the next invocation replaces the entry and the leftover.
    cli.unset("CROSS_ACCOUNT_TEST_STALL_BEFORE_RENAME_MS");
    let run = cli.run(&args);
    assert_eq!(run.expect(0).json()["AccessKeyId"], key_id(3));
    assert!(!temp.exists());
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    assert_eq!(stored["AccessKeyId"], key_id(3));
}

// --- config-snippet ---------------------------------------------------------------------

#[test]
fn config_snippet_is_a_working_profile() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    let dir = TempDir::new("snippet");
    let policy = dir.path().join("my policy.json");
    std::fs::write(&policy, r#"{"Version":"2012-10-17","Statement":[]}"#).unwrap();
    let policy = policy.display().to_string();
    cli.set("CROSS_ACCOUNT_EXTERNAL_ID", "FromEnv-7");
    let run = cli.run(&[
        "config-snippet",
        "--profile-name",
        "partner",
        "--role-arn",
        ROLE_ARN,
        "--region",
        "eu-west-1",
        "--tag",
        "note=two words",
        "--policy-file",
        &policy,
    ]);
    run.expect(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "[profile partner]");
    assert_eq!(lines[2], "region = eu-west-1");
    let cmdline = lines[1]
        .strip_prefix("credential_process = ")
        .expect("credential_process line");
    assert!(cmdline.contains("--external-id FromEnv-7"), "{cmdline}");
    assert!(cmdline.contains("\"note=two words\""), "{cmdline}");
    assert!(cmdline.starts_with('/'), "{cmdline}");
    assert!(!sts.calls().iter().any(|c| c.action == "AssumeRole"));

    // The line runs as the SDKs run it (sh -c) and gives credentials.
    cli.unset("CROSS_ACCOUNT_EXTERNAL_ID");
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", cmdline]).env_clear();
    for (k, v) in &cli.env {
        sh.env(k, v);
    }
    let out = Run::from(sh.output().unwrap());
    assert_eq!(out.expect(0).json()["Version"], 1);
    let call = &sts.assume_calls()[0];
    assert_eq!(call.params["ExternalId"], "FromEnv-7");
    assert_eq!(call.params["Tags.member.1.Value"], "two words");
}

// --- exec ---------------------------------------------------------------------------------

#[test]
fn exec_sets_the_environment_and_passes_the_exit_code() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let run = cli.run(&with(
        "exec",
        &[
            "--region",
            "eu-west-1",
            "--",
            "sh",
            "-c",
            "echo \"$AWS_ACCESS_KEY_ID|$AWS_SECRET_ACCESS_KEY|$AWS_SESSION_TOKEN|$AWS_REGION\"; test -n \"$AWS_CREDENTIAL_EXPIRATION\" || exit 99; exit 7",
        ],
    ));
    run.expect(7);
    assert_eq!(
        run.stdout.trim(),
        format!("{}|{}|{}|eu-west-1", key_id(1), secret(1), token(1))
    );
    // Without `--` too, and a command that is not there.
    cli.run(&with("exec", &["true"])).expect(0);
    let missing = cli.run(&with("exec", &["--", "/nonexistent/program"]));
    missing.expect(127).stderr_has("not found");
}

#[test]
fn exec_forwards_sigterm_and_sigint() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    for (signal, code) in [("TERM", 42), ("INT", 43)] {
        let script =
            format!("trap 'exit {code}' {signal}; echo ready; while :; do sleep 0.05; done");
        let mut child = cli.spawn(&with("exec", &["--", "sh", "-c", &script]));
        let lines = read_lines(&mut child, 1);
        assert_eq!(lines, ["ready"]);
        kill(child.id(), signal);
        let status = wait_with_timeout(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(code), "{signal}");
    }
    // A child killed by a signal: 128 + N.
    let run = cli.run(&with("exec", &["--", "sh", "-c", "kill -KILL $$"]));
    assert_eq!(run.code, 128 + 9);
}

// --- serve ----------------------------------------------------------------------------------

fn get(port: u16, host: &str, auth: Option<&str>, extra: &str) -> (u16, String) {
    let auth = auth
        .map(|t| format!("Authorization: {t}\r\n"))
        .unwrap_or_default();
    http(
        port,
        &format!("GET /creds HTTP/1.1\r\nHost: {host}\r\n{auth}{extra}Connection: close\r\n\r\n"),
    )
}

#[test]
fn serve_checks_token_host_and_size() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let dir = TempDir::new("serve");
    let token_file = dir.path().join("token");
    let tf = token_file.display().to_string();
    let mut child = cli.spawn(&with("serve", &["--port", "0", "--token-file", &tf]));
    let lines = read_lines(&mut child, 2);
    let uri = lines[0]
        .strip_prefix("AWS_CONTAINER_CREDENTIALS_FULL_URI=")
        .expect("URI line")
        .to_string();
    assert_eq!(
        lines[1],
        format!("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE={tf}")
    );
    assert!(
        uri.starts_with("http://127.0.0.1:") && uri.ends_with("/creds"),
        "{uri}"
    );
    let port: u16 = uri
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/creds")
        .parse()
        .unwrap();
    assert_eq!(
        std::fs::metadata(&token_file).unwrap().mode() & 0o777,
        0o600
    );
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    let host = format!("127.0.0.1:{port}");
    let (status, body) = get(port, &host, Some(&token), "");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["AccessKeyId"], key_id(1));
    assert_eq!(v["SecretAccessKey"], secret(1));
    assert_eq!(v["Token"], common::token(1));
    assert_eq!(v["AccountId"], "111122223333");
    assert!(v["Expiration"].as_str().unwrap().ends_with('Z'));

    for ok_host in ["localhost", "[::1]:8080", "127.0.0.1"] {
        assert_eq!(get(port, ok_host, Some(&token), "").0, 200, "{ok_host}");
    }
    let wrong_same_length = "0".repeat(64);
    let cases: Vec<(String, Option<String>, String, u16)> = vec![
        (host.clone(), None, String::new(), 401),
        (host.clone(), Some(wrong_same_length), String::new(), 401),
        (
            host.clone(),
            Some(token[..63].to_string()),
            String::new(),
            401,
        ),
        (host.clone(), Some(format!("{token}0")), String::new(), 401),
        (
            host.clone(),
            Some(format!("Bearer {token}")),
            String::new(),
            401,
        ),
        (
            host.clone(),
            Some(token.clone()),
            format!("Authorization: {token}\r\n"),
            401,
        ),
        (
            "evil.example".into(),
            Some(token.clone()),
            String::new(),
            403,
        ),
        (
            format!("rebind.example:{port}"),
            Some(token.clone()),
            String::new(),
            403,
        ),
        (
            host.clone(),
            Some(token.clone()),
            "Content-Length: 5\r\n".into(),
            413,
        ),
        (
            host.clone(),
            Some(token.clone()),
            format!("X-Padding: {}\r\n", "a".repeat(9000)),
            431,
        ),
    ];
    for (h, auth, extra, want) in cases {
        let (status, body) = get(port, &h, auth.as_deref(), &extra);
        assert_eq!(status, want, "host {h} extra {} body {body}", extra.len());
        assert!(!body.contains(SENTINEL), "{body}");
    }
    let (status, _) = http(
        port,
        &format!("GET /creds HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nX: {}\r\nConnection: close\r\n\r\n", "b".repeat(100)),
    );
    assert_eq!(status, 200);
    let (status, _) = http(
        port,
        &format!("POST /creds HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 405);
    let (status, _) = http(
        port,
        &format!("GET /other HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 404);
    // One AssumeRole served every request.
    assert_eq!(sts.assume_calls().len(), 1);

    kill(child.id(), "TERM");
    let status = wait_with_timeout(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert!(
        !token_file.exists(),
        "the token file must be removed on exit"
    );
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        !stderr.contains(SENTINEL) && !stderr.contains(&token),
        "{stderr}"
    );
}

#[test]
fn serve_prints_the_token_once_without_a_token_file() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let served = Served::start(&cli, &[]);
    assert_eq!(served.token.len(), 64);
    assert_eq!(
        get(served.port, "localhost", Some(&served.token), "").0,
        200
    );
    kill(served.child.id(), "INT");
    let mut child = served.child;
    assert_eq!(
        wait_with_timeout(&mut child, Duration::from_secs(10)).code(),
        Some(0)
    );
}

#[test]
fn serve_runs_a_child_with_the_endpoint_and_passes_its_exit_code() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    cli.set("AWS_PROFILE", "source-profile");
    let dir = TempDir::new("profile");
    std::fs::write(
        dir.path().join("cfg"),
        "[profile source-profile]\nregion = us-east-1\n",
    )
    .unwrap();
    cli.set(
        "AWS_CONFIG_FILE",
        dir.path().join("cfg").display().to_string(),
    );
    let script = r#"
        case "$AWS_CONTAINER_CREDENTIALS_FULL_URI" in http://127.0.0.1:*/creds) ;; *) exit 90;; esac
        test ${#AWS_CONTAINER_AUTHORIZATION_TOKEN} -eq 64 || exit 91
        test -z "$AWS_ACCESS_KEY_ID$AWS_SECRET_ACCESS_KEY$AWS_PROFILE" || exit 92
        exit 9
    "#;
    let run = cli.run(&with("serve", &["--", "sh", "-c", script]));
    run.expect(9);
    assert!(run.stdout.is_empty(), "{run:#?}");
    run.stderr_has("serving credentials");
    // A failing assume never starts the child.
    sts.set_mode(Mode::Denied);
    let run = cli.run(&with("serve", &["--", "sh", "-c", "exit 0"]));
    run.expect(3);
}

// --- doctor -----------------------------------------------------------------------------------

#[test]
fn doctor_reports_success_and_clock_skew() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let run = cli.run(&with("doctor", &[]));
    run.expect(0)
        .stdout_has("source credentials belong to arn:aws:iam::999988887777:user/partner")
        .stdout_has("the local clock agrees with STS")
        .stdout_has(&format!("assumed {ROLE_ARN}"))
        .stdout_has("All checks passed.");
    assert!(!run.stdout.contains(SENTINEL), "{run:#?}");

    sts.set_clock_offset(-600);
    let run = cli.run(&with("doctor", &[]));
    run.expect(0)
        .stdout_has("WARN")
        .stdout_has("ahead of the STS server's");
    sts.set_clock_offset(90);
    cli.run(&with("doctor", &[]))
        .expect(0)
        .stdout_has("behind the STS server's");
    // Within a minute (and the Date header's 1 s resolution): no warning.
    sts.set_clock_offset(30);
    let run = cli.run(&with("doctor", &[]));
    assert!(!run.expect(0).stdout.contains("WARN"), "{run:#?}");
}

#[test]
fn doctor_explains_access_denied() {
    let sts = FakeSts::start(Mode::Denied);
    let cli = Cli::new(Some(&sts));
    let run = cli.run(&with("doctor", &[]));
    run.expect(3)
        .stdout_has("FAIL  access denied")
        .stdout_has("What to check:")
        .stdout_has("\"Principal\": {\"AWS\": \"arn:aws:iam::999988887777:user/partner\"}")
        .stdout_has("you sent 13 characters (from --external-id)")
        .stdout_has("\"sts:AssumeRole\" on arn:aws:iam::111122223333:role/PartnerRole");
    let run = cli.run(&["doctor", "--role-arn", ROLE_ARN]);
    run.expect(3).stdout_has("you sent none");
}

#[test]
fn doctor_explains_missing_source_credentials() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    cli.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    cli.run(&with("doctor", &[]))
        .expect(1)
        .stdout_has("FAIL  GetCallerIdentity")
        .stdout_has("no source credentials");
}

#[test]
fn mfa_without_a_code_or_a_terminal_says_what_to_pass() {
    if std::process::Command::new("setsid")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: setsid (util-linux) is not installed");
        return;
    }
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    // setsid: a new session without a controlling terminal, so /dev/tty cannot be opened.
    let mut cmd = std::process::Command::new("setsid");
    cmd.arg("--wait")
        .arg(BIN)
        .args(with(
            "assume",
            &["--mfa-serial", "arn:aws:iam::999988887777:mfa/partner"],
        ))
        .env_clear()
        .stdin(std::process::Stdio::null());
    for (k, v) in &cli.env {
        cmd.env(k, v);
    }
    let run = Run::from(cmd.output().unwrap());
    run.expect(2)
        .stderr_has("--mfa-token")
        .stderr_has("no terminal");
    assert!(sts.assume_calls().is_empty());
}
