//! The features people switch from aws-vault and granted for, against the loopback STS double
//! (the same features judged by real clients on moto are in local_sts.rs): completions that
//! bash loads and completes with, man pages that render, the extra `assume` formats, `exec`
//! into a shell and its refusal to nest, and `console`'s checks before any network call.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

// --- completions and man --------------------------------------------------------------

#[test]
fn bash_loads_the_completion_script_and_completes_subcommands_and_values() {
    let cli = Cli::new(None);
    let script = cli.run(&["completions", "bash"]);
    script.expect(0);
    let dir = TempDir::new("completions");
    let file = dir.path().join("cross-account.bash");
    std::fs::write(&file, &script.stdout).unwrap();
    // Sourced by a real bash (errexit: a syntax error fails the run), then asked, as the
    // readline hook would ask, for the words after `cross-account ass` and `--format `.
    let probe = format!(
        r#"set -e
source {file}
complete -p cross-account
COMP_WORDS=(cross-account ass); COMP_CWORD=1; COMP_LINE="cross-account ass"; COMP_POINT=${{#COMP_LINE}}
_cross__account cross-account ass cross-account
echo "sub: ${{COMPREPLY[*]}}"
COMP_WORDS=(cross-account assume --format ""); COMP_CWORD=3; COMP_LINE="cross-account assume --format "; COMP_POINT=${{#COMP_LINE}}
_cross__account cross-account "" --format
echo "format: ${{COMPREPLY[*]}}"
"#,
        file = file.display()
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .expect("run bash");
    let run = Run::from(out);
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(
        run.stdout.contains("-F _cross__account cross-account"),
        "{run:#?}"
    );
    let sub = run.stdout.lines().find(|l| l.starts_with("sub: ")).unwrap();
    assert_eq!(sub, "sub: assume", "{run:#?}");
    let formats = run
        .stdout
        .lines()
        .find(|l| l.starts_with("format: "))
        .unwrap();
    for value in [
        "json",
        "sts",
        "env-no-export",
        "windows-cmd",
        "credential-process",
    ] {
        assert!(
            formats.split_whitespace().any(|w| w == value),
            "{value}: {formats}"
        );
    }
}

#[test]
fn completion_scripts_for_the_other_shells_name_every_subcommand() {
    let cli = Cli::new(None);
    for (shell, checker) in [
        ("zsh", Some(("zsh", "-n"))),
        ("fish", Some(("fish", "--no-execute"))),
        ("powershell", None),
    ] {
        let run = cli.run(&["completions", shell]);
        run.expect(0);
        for sub in ["assume", "credential-process", "console", "doctor", "exec"] {
            run.stdout_has(sub);
        }
        // A syntax check where that shell is installed (bash, the one required, is above).
        if let Some((program, flag)) = checker {
            if let Ok(mut child) = Command::new(program)
                .arg(flag)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
            {
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(run.stdout.as_bytes())
                    .unwrap();
                let out = child.wait_with_output().unwrap();
                assert!(out.status.success(), "{program} {flag}: {out:?}");
            }
        }
    }
    let tcsh = cli.run(&["completions", "tcsh"]);
    assert_eq!(tcsh.code, 2, "{tcsh:#?}");
    assert!(tcsh.stderr.contains("invalid value 'tcsh'"), "{tcsh:#?}");
}

#[test]
fn man_pages_render_with_man() {
    let cli = Cli::new(None);
    let top = cli.run(&["man"]);
    top.expect(0);
    assert!(top.stdout.contains(".TH cross-account 1"), "{}", top.stdout);
    let assume = cli.run(&["man", "assume"]);
    assume.expect(0);
    assert!(assume.stdout.contains(".TH cross-account-assume 1"));
    let dir = TempDir::new("man");
    for (name, roff) in [("top", &top.stdout), ("assume", &assume.stdout)] {
        let page = dir.path().join(format!("{name}.1"));
        std::fs::write(&page, roff).unwrap();
        // With stdout not a terminal, man-db formats to plain text and uses no pager.
        let out = Command::new("man")
            .arg("-l")
            .arg(&page)
            .env("MANWIDTH", "100")
            .env("MANPAGER", "cat")
            .output()
            .expect("run man -l (the man-db package)");
        let text = String::from_utf8_lossy(&out.stdout).replace(['\u{2010}', '\u{2011}'], "-");
        assert!(out.status.success(), "man -l {name}: {out:?}");
        assert!(
            out.stderr.is_empty(),
            "man -l {name} complained: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("NAME"), "{text}");
        if name == "top" {
            assert!(text.contains("SUBCOMMANDS"), "{text}");
            assert!(text.contains("cross-account-console(1)"), "{text}");
        } else {
            assert!(text.contains("--external-id"), "{text}");
            assert!(text.contains("env-no-export"), "{text}");
        }
    }
    cli.run(&["man", "nope"])
        .expect(2)
        .stderr_has("\"nope\" is not a subcommand");
}

// --- assume formats ---------------------------------------------------------------------

#[test]
fn assume_sts_env_no_export_and_windows_cmd() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let run = cli.run(&with(
        "assume",
        &["--format", "sts", "--session-name", "fmt"],
    ));
    run.expect(0);
    let v = run.json();
    assert_eq!(v["Credentials"]["AccessKeyId"], key_id(1));
    assert_eq!(v["Credentials"]["SecretAccessKey"], secret(1));
    assert_eq!(v["Credentials"]["SessionToken"], token(1));
    assert!(v["Credentials"]["Expiration"]
        .as_str()
        .unwrap()
        .ends_with("+00:00"));
    assert_eq!(v["AssumedRoleUser"]["AssumedRoleId"], "AROAFAKE:fmt");
    assert_eq!(
        v["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::111122223333:assumed-role/PartnerRole/fmt"
    );

    let run = cli.run(&with(
        "assume",
        &["--format", "env-no-export", "--region", "eu-west-1"],
    ));
    run.expect(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], format!("AWS_ACCESS_KEY_ID={}", key_id(2)));
    assert_eq!(lines[1], format!("AWS_SECRET_ACCESS_KEY={}", secret(2)));
    assert!(lines.contains(&"AWS_REGION=eu-west-1"), "{lines:?}");
    assert!(!run.stdout.contains("export"));
    // `set -a; . FILE` exports them, as the format promises.
    let dir = TempDir::new("envfile");
    let file = dir.path().join("partner.env");
    std::fs::write(&file, &run.stdout).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "set -a; . '{}'; sh -c 'echo \"$AWS_SECRET_ACCESS_KEY|$AWS_REGION\"'",
            file.display()
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{}|eu-west-1", secret(2))
    );

    let run = cli.run(&with("assume", &["--format", "windows-cmd"]));
    run.expect(0);
    assert!(run.stdout.ends_with("\r\n"));
    let lines: Vec<&str> = run.stdout.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], format!("set \"AWS_ACCESS_KEY_ID={}\"", key_id(3)));
    assert_eq!(lines[2], format!("set \"AWS_SESSION_TOKEN={}\"", token(3)));
    assert!(lines[3].starts_with("set \"AWS_CREDENTIAL_EXPIRATION="));
    assert!(lines
        .iter()
        .all(|l| l.starts_with("set \"") && l.ends_with('"')));
}

#[test]
fn credential_process_output_has_the_role_account() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let cold = cli.run(&with("credential-process", &[]));
    assert_eq!(cold.expect(0).json()["AccountId"], "111122223333");
    // From the cache, too.
    let warm = cli.run(&with("credential-process", &[]));
    assert_eq!(warm.expect(0).json()["AccountId"], "111122223333");
    assert_eq!(sts.assume_calls().len(), 1);
}

// --- exec -------------------------------------------------------------------------------

#[test]
fn exec_without_a_command_starts_the_shell_and_a_nested_exec_is_refused() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    cli.set("SHELL", "/bin/sh");
    let script = format!(
        "echo \"key=$AWS_ACCESS_KEY_ID\"\necho \"marker=$CROSS_ACCOUNT_SESSION\"\n{BIN} exec --role-arn {ROLE_ARN} --external-id {EXTERNAL_ID} -- true\necho \"nested=$?\"\nexit 5\n"
    );
    let run = cli.run_with_stdin(&with("exec", &[]), script.as_bytes());
    assert_eq!(run.code, 5, "the shell's exit code: {run:#?}");
    assert!(!run.stderr.contains(SENTINEL), "{run:#?}");
    run.stdout_has(&format!("key={}", key_id(1)))
        .stdout_has(&format!("marker={ROLE_ARN}"))
        .stdout_has("nested=2");
    run.stderr_has(
        "already inside a cross-account session for arn:aws:iam::111122223333:role/PartnerRole",
    )
    .stderr_has("unset CROSS_ACCOUNT_SESSION");
    // The nested exec was refused before it called STS.
    assert_eq!(sts.assume_calls().len(), 1);

    // Unsetting the marker is the way to nest on purpose.
    let nested = format!(
        "unset CROSS_ACCOUNT_SESSION; {BIN} exec --role-arn {ROLE_ARN} --external-id {EXTERNAL_ID} -- sh -c 'echo \"inner=$AWS_ACCESS_KEY_ID\"'"
    );
    let run = cli.run(&with("exec", &["--", "sh", "-c", &nested]));
    run.expect(0).stdout_has(&format!("inner={}", key_id(3)));
    // The inner call was signed with the outer role's keys: the nesting the marker warns of.
    assert_eq!(sts.assume_calls()[2].signed_by, key_id(2));
}

#[test]
fn exec_falls_back_to_bin_sh_without_shell() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    cli.unset("SHELL");
    let run = cli.run_with_stdin(&with("exec", &[]), b"echo \"in=$AWS_ACCESS_KEY_ID\"\n");
    run.expect(0).stdout_has(&format!("in={}", key_id(1)));
}

// --- console ------------------------------------------------------------------------------

#[test]
fn console_refuses_bad_endpoints_before_any_call() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    for (flag, value, needle) in [
        (
            "--federation-endpoint",
            "http://signin.example/federation",
            "unencrypted",
        ),
        (
            "--federation-endpoint",
            "https://signin.aws.amazon.com/federation?x=1",
            "query",
        ),
        ("--destination", "console.aws.amazon.com", "is not a URL"),
    ] {
        cli.run(&with("console", &["--print", flag, value]))
            .expect(2)
            .stderr_has(flag)
            .stderr_has(needle);
    }
    assert!(sts.calls().is_empty(), "{:?}", sts.calls());
}

// --- MFA sessions -------------------------------------------------------------------------

const MFA_SERIAL: &str = "arn:aws:iam::999988887777:mfa/partner";

/// A run with the MFA code in CROSS_ACCOUNT_MFA_TOKEN (--mfa-token would add a warning that
/// it is visible to other users).
fn run_with_code(cli: &Cli, code: &str, args: &[&str]) -> Run {
    let mut cmd = cli.command(args);
    cmd.env("CROSS_ACCOUNT_MFA_TOKEN", code);
    Run::from(cmd.output().expect("run cross-account"))
}

fn mfa_role<'a>(sub: &'a str, role: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        sub,
        "--role-arn",
        role,
        "--external-id",
        EXTERNAL_ID,
        "--mfa-serial",
        MFA_SERIAL,
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn one_mfa_code_serves_every_role_with_the_same_device() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    // -vvv: the SDK's own trace logs too; `expect` checks that no secret reached stderr.
    let first = run_with_code(
        &cli,
        "123456",
        &mfa_role("assume", ROLE_ARN, &["-vvv", "--mfa-session"]),
    );
    first.expect(0).stderr_has("GetSessionToken");
    assert!(!first.stderr.contains("123456"), "the MFA code was logged");
    let calls = sts.calls();
    let actions: Vec<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["GetSessionToken", "AssumeRole"]);
    let (gst, assume) = (&calls[0], &calls[1]);
    assert_eq!(gst.params["SerialNumber"], MFA_SERIAL);
    assert_eq!(gst.params["TokenCode"], "123456");
    assert_eq!(gst.params["DurationSeconds"], "3600");
    assert_eq!(gst.signed_by, SOURCE_KEY_ID);
    // The MFA session signs AssumeRole, which then carries no code of its own.
    assert_eq!(assume.signed_by, mfa_key_id(1));
    assert!(!assume.params.contains_key("SerialNumber"), "{assume:?}");
    assert!(!assume.params.contains_key("TokenCode"), "{assume:?}");
    assert_eq!(first.json()["AccessKeyId"], key_id(2));

    // Another role with the same device: the cached session signs it; no new code is sent
    // (the one given here would be, if the cache were missed).
    let second = run_with_code(
        &cli,
        "654321",
        &mfa_role("assume", CHAIN_ROLE_ARN, &["--mfa-session"]),
    );
    second.expect(0);
    let calls = sts.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls[2].action, "AssumeRole");
    assert_eq!(calls[2].params["RoleArn"], CHAIN_ROLE_ARN);
    assert_eq!(calls[2].signed_by, mfa_key_id(1));

    // exec and credential-process share it too; the role entry then answers without STS.
    let exec = cli.run(&mfa_role(
        "exec",
        ROLE_ARN,
        &[
            "--mfa-session",
            "--",
            "sh",
            "-c",
            "echo \"$AWS_ACCESS_KEY_ID\"",
        ],
    ));
    exec.expect(0).stdout_has(&key_id(4));
    let cp = mfa_role("credential-process", ROLE_ARN, &["--mfa-session"]);
    let cold = cli.run(&cp);
    assert_eq!(cold.expect(0).json()["AccessKeyId"], key_id(5));
    let warm = cli.run(&cp);
    assert_eq!(warm.expect(0).json()["AccessKeyId"], key_id(5));
    let calls = sts.calls();
    assert_eq!(calls.len(), 5, "{calls:?}");
    assert!(calls[2..]
        .iter()
        .all(|c| c.action == "AssumeRole" && c.signed_by == mfa_key_id(1)));

    // A different device is a different session, and a new code.
    let other = run_with_code(
        &cli,
        "111111",
        &[
            "assume",
            "--role-arn",
            ROLE_ARN,
            "--external-id",
            EXTERNAL_ID,
            "--mfa-serial",
            "arn:aws:iam::999988887777:mfa/other",
            "--mfa-session",
            "15m",
        ],
    );
    other.expect(0);
    let calls = sts.calls();
    assert_eq!(calls[5].action, "GetSessionToken");
    assert_eq!(calls[5].params["DurationSeconds"], "900");
    assert_eq!(calls[6].signed_by, mfa_key_id(6));

    // The sessions sit in the cache as private files, and never appear on stderr.
    let mut private = 0;
    for entry in std::fs::read_dir(cli.cache_dir()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                entry.metadata().unwrap().permissions().mode() & 0o777,
                0o600
            );
            private += 1;
        }
    }
    // Two MFA sessions and one role entry (credential-process).
    assert_eq!(private, 3);
}

#[test]
fn an_expired_mfa_session_asks_again_and_bad_input_asks_nothing() {
    let sts = FakeSts::start(Mode::Ok {
        lifetime: 20,
        delay: std::time::Duration::ZERO,
    });
    let cli = Cli::new(Some(&sts));
    // The double gives every credential the same short life: the role's are refused (inside
    // the core's 30 s margin), but the MFA session is stored first, with its 20 s.
    run_with_code(
        &cli,
        "123456",
        &mfa_role("assume", ROLE_ARN, &["--mfa-session"]),
    )
    .expect(1);
    sts.set_mode(Mode::Ok {
        lifetime: 3600,
        delay: std::time::Duration::ZERO,
    });
    run_with_code(
        &cli,
        "234567",
        &mfa_role("assume", ROLE_ARN, &["--mfa-session"]),
    )
    .expect(0);
    let gst: Vec<String> = sts
        .calls()
        .iter()
        .filter(|c| c.action == "GetSessionToken")
        .map(|c| c.params["TokenCode"].clone())
        .collect();
    // 20 s of life is inside the reuse margin: the second run needed, and sent, a new code.
    assert_eq!(gst, ["123456", "234567"]);

    let quiet = FakeSts::ok();
    let cli = Cli::new(Some(&quiet));
    run_with_code(
        &cli,
        "123456",
        &mfa_role("assume", ROLE_ARN, &["--mfa-session", "1m"]),
    )
    .expect(2)
    .stderr_has("900 (15 min) to 129600 (36 h)");
    cli.run(&["assume", "--role-arn", ROLE_ARN, "--mfa-session"])
        .expect(2)
        .stderr_has("--mfa-serial");
    cli.run(&mfa_role("serve", ROLE_ARN, &["--mfa-session"]))
        .expect(2)
        .stderr_has("serve does not take --mfa-session");
    assert!(quiet.calls().is_empty(), "{:?}", quiet.calls());

    // A refused code is explained as such, not as a trust policy problem.
    let denied = FakeSts::start(Mode::Denied);
    let cli = Cli::new(Some(&denied));
    run_with_code(
        &cli,
        "999999",
        &mfa_role("assume", ROLE_ARN, &["--mfa-session"]),
    )
    .expect(3)
    .stderr_has("invalid MFA one time pass code")
    .stderr_has(&format!(
        "GetSessionToken with MFA device {MFA_SERIAL} was refused"
    ))
    .stderr_has("each code works once");
    let actions: Vec<String> = denied.calls().into_iter().map(|c| c.action).collect();
    assert_eq!(actions, ["GetSessionToken"]);

    // config-snippet writes it into the profile.
    let snippet = cli.run(&mfa_role(
        "config-snippet",
        ROLE_ARN,
        &["--profile-name", "p", "--mfa-session", "2h"],
    ));
    snippet
        .expect(0)
        .stdout_has(&format!("--mfa-serial {MFA_SERIAL} --mfa-session 7200"));
}

#[test]
fn botocore_gets_two_roles_through_credential_process_on_one_mfa_code() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    // One code, given once, as aws-vault's `--mfa-token` would be.
    run_with_code(
        &cli,
        "123456",
        &mfa_role("assume", ROLE_ARN, &["--mfa-session"]),
    )
    .expect(0);
    let mut config = String::new();
    for (name, role) in [("first", ROLE_ARN), ("second", CHAIN_ROLE_ARN)] {
        let run = cli.run(&mfa_role(
            "config-snippet",
            role,
            &["--profile-name", name, "--mfa-session"],
        ));
        config.push_str(&run.expect(0).stdout);
    }
    let config_file = cli.home.path().join("aws-config");
    std::fs::write(&config_file, config).unwrap();
    // The profiles get no code and no terminal: only the cached MFA session can sign.
    cli.set("AWS_CONFIG_FILE", config_file.display().to_string());
    let judge = r#"
import json, boto3
out = {}
for name in ("first", "second"):
    frozen = boto3.session.Session(profile_name=name).get_credentials().get_frozen_credentials()
    out[name] = [frozen.access_key, frozen.account_id]
print(json.dumps(out))
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", judge]).env_clear().stdin(Stdio::null());
    for (k, v) in &cli.env {
        cmd.env(k, v);
    }
    let run = Run::from(cmd.output().expect("run python3 with boto3"));
    assert_eq!(run.code, 0, "{run:#?}");
    let v = run.json();
    assert_eq!(v["first"][0], key_id(3), "{v}");
    assert_eq!(v["first"][1], "111122223333");
    assert_eq!(v["second"][0], key_id(4), "{v}");
    assert_eq!(v["second"][1], "444455556666");
    let calls = sts.calls();
    let gst = calls
        .iter()
        .filter(|c| c.action == "GetSessionToken")
        .count();
    assert_eq!(gst, 1, "{calls:?}");
    assert!(calls
        .iter()
        .filter(|c| c.action == "AssumeRole")
        .all(|c| c.signed_by == mfa_key_id(1)));
}
