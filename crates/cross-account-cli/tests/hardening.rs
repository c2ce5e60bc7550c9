//! Security hardening of the command line, beyond the per-command tests in `cli.rs`:
//! - no secret on stdout of the commands that print none, nor on stdout or stderr of any failure,
//!   even at `-vvv` (TRACE logs of the SDK over a real HTTP connection);
//! - the `serve` endpoint: CR/LF in the token, oversized and malformed requests, and its error
//!   responses when STS fails;
//! - the `credential-process` cache: directories others can read, foreign and torn entries.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{Duration, Instant};

use common::*;

/// An external ID long enough for `trust-policy lint` to accept.
const LONG_EXTERNAL_ID: &str = "7M3Q9XKZ2R8TB4WN6PDC";

/// The source credentials' session token: a secret the caller hands in (SigV4 puts it in a
/// header of every STS call).
const SOURCE_TOKEN: &str = "SENTINEL-SOURCE-TOKEN-d4e5f6";

fn cli_with_source_token(sts: Option<&FakeSts>) -> Cli {
    let mut cli = Cli::new(sts);
    cli.set("AWS_SESSION_TOKEN", SOURCE_TOKEN);
    cli
}

fn assert_no_secret(what: &str, text: &str) {
    // SENTINEL prefixes every secret the double issues and the source secret key and token.
    assert!(!text.contains(SENTINEL), "{what} shows a secret: {text}");
}

// --- secrets on stdout and stderr ---------------------------------------------------------------

#[test]
fn commands_that_print_no_secret_print_none() {
    let sts = FakeSts::ok();
    let cli = cli_with_source_token(Some(&sts));
    let dir = TempDir::new("nosecret");
    let policy = dir.path().join("trust.json");
    // The trust policy the trust-policy commands below read.
    let new = cli.run(&[
        "trust-policy",
        "new",
        "--trusted-account",
        "999988887777",
        "--external-id",
        LONG_EXTERNAL_ID,
    ]);
    std::fs::write(&policy, &new.stdout).unwrap();
    let mut runs: Vec<(String, Run)> = vec![("trust-policy new".into(), new)];
    let mut run = |args: Vec<&str>| {
        let r = cli.run(&args);
        runs.push((args.join(" "), r));
    };
    run(vec!["--help"]);
    run(vec!["--version"]);
    let subcommands = subcommands();
    for sub in &subcommands {
        run(vec![sub, "--help"]);
    }
    run(with("config-snippet", &["--profile-name", "partner"]));
    run(with("doctor", &["-vvv"]));
    run(vec!["external-id", "generate", "--count", "3"]);
    let policy = policy.display().to_string();
    run(vec!["trust-policy", "lint", &policy]);
    run(vec![
        "trust-policy",
        "check",
        "--policy",
        &policy,
        "--principal",
        "arn:aws:iam::999988887777:user/partner",
        "--external-id",
        LONG_EXTERNAL_ID,
    ]);
    for (args, r) in &runs {
        assert_eq!(r.code, 0, "{args}: {r:#?}");
        assert_no_secret(&format!("stdout of {args}"), &r.stdout);
        assert_no_secret(&format!("stderr of {args}"), &r.stderr);
    }
    // doctor really assumed the role, so the double really handed out a secret.
    assert!(!sts.assume_calls().is_empty());
}

#[test]
fn no_failure_shows_a_secret_even_at_trace_level() {
    // One double per mode, and every run at once: the SDK's own retries back off in real time.
    let modes = [Mode::Denied, Mode::Throttled, Mode::ServerError];
    let doubles: Vec<FakeSts> = modes.iter().map(|m| FakeSts::start(m.clone())).collect();
    let clis: Vec<Cli> = doubles
        .iter()
        .map(|d| cli_with_source_token(Some(d)))
        .collect();
    let commands = [
        with("assume", &["-vvv"]),
        with("credential-process", &["-vvv"]),
        with("exec", &["-vvv", "--", "true"]),
        with("serve", &["-vvv", "--", "true"]),
        with("doctor", &["-vvv"]),
    ];
    let runs: Vec<(String, Run)> = std::thread::scope(|scope| {
        let handles: Vec<_> = modes
            .iter()
            .zip(&clis)
            .flat_map(|(mode, cli)| {
                commands.iter().map(move |args| {
                    scope.spawn(move || (format!("{args:?} under {mode:?}"), cli.run(args)))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (what, r) in &runs {
        assert!((1..=4).contains(&r.code), "{what} should fail: {r:#?}");
        assert!(
            r.stderr.contains("TRACE"),
            "{what}: TRACE logs were on: {r:#?}"
        );
        assert_no_secret(&format!("stderr of {what}"), &r.stderr);
        assert_no_secret(&format!("stdout of {what}"), &r.stdout);
    }
    assert_eq!(runs.len(), 15);
    let sts = &doubles[0];
    let cli = &clis[0];
    // Local failures: no source credentials, an unreachable STS, a refused cache directory.
    let mut local = cli_with_source_token(Some(sts));
    local
        .unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    let r = local.run(&with("assume", &["-vvv"]));
    assert_eq!(r.code, 1, "{r:#?}");
    assert_no_secret("stderr without source credentials", &r.stderr);
    let mut unreachable = cli_with_source_token(None);
    unreachable.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1");
    let r = unreachable.run(&with("credential-process", &["-vvv"]));
    assert_eq!(r.code, 4, "{r:#?}");
    assert_no_secret("stderr with STS unreachable", &r.stderr);
    sts.set_mode(Mode::Ok {
        lifetime: 3600,
        delay: Duration::ZERO,
    });
    std::fs::create_dir_all(cli.cache_dir()).unwrap();
    std::fs::set_permissions(cli.cache_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = cli.run(&with("credential-process", &["-vvv"]));
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(r.stderr.contains("running without the cache"), "{r:#?}");
    assert_no_secret("stderr with a shared cache directory", &r.stderr);
}

// --- serve ----------------------------------------------------------------------------------------

#[test]
fn serve_refuses_cr_lf_in_the_token_and_oversized_or_malformed_requests() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let served = Served::start(&cli, &[]);
    let (port, token) = (served.port, served.token.clone());
    assert_eq!(served.get(&token).0, 200);
    let head = |extra: &str| {
        format!("GET /creds HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Connection: close\r\n\r\n")
    };
    let many_headers: String = (0..80).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases: Vec<(&str, Vec<u8>, &[u16])> = vec![
        // The token with CR or LF in it, every way HTTP/1.1 can carry one.
        (
            "token then obs-fold (CRLF + space)",
            head(&format!("Authorization: {token}\r\n x\r\n")).into_bytes(),
            &[400, 401],
        ),
        (
            "token with a bare CR",
            head(&format!("Authorization: {token}\rx\r\n")).into_bytes(),
            &[400, 401],
        ),
        (
            "token with a bare LF",
            head(&format!("Authorization: {}\n{}\r\n", &token[..32], &token[32..])).into_bytes(),
            &[400, 401],
        ),
        (
            "token split over two Authorization headers",
            head(&format!(
                "Authorization: {}\r\nAuthorization: {}\r\n",
                &token[..32],
                &token[32..]
            ))
            .into_bytes(),
            &[401],
        ),
        (
            "percent-encoded CR LF after the token",
            head(&format!("Authorization: {token}%0d%0a\r\n")).into_bytes(),
            &[401],
        ),
        // Oversized.
        (
            "80 headers",
            head(&format!("Authorization: {token}\r\n{many_headers}")).into_bytes(),
            &[431],
        ),
        (
            "a 16 KiB request line",
            format!(
                "GET /creds?{} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n",
                "a".repeat(16 * 1024)
            )
            .into_bytes(),
            // 0: the connection was cut before the answer could be read (the unread rest of the
            // request makes the server's close a reset).
            &[0, 400, 414, 431],
        ),
        (
            "a chunked body",
            head(&format!(
                "Authorization: {token}\r\nTransfer-Encoding: chunked\r\n"
            ))
            .replace("\r\n\r\n", "\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
            .into_bytes(),
            &[413],
        ),
        (
            // Only the head is sent: the answer must come before any of the body is read.
            "a declared 1 MiB body",
            head(&format!(
                "Authorization: {token}\r\nContent-Length: 1048576\r\n"
            ))
            .into_bytes(),
            &[413],
        ),
        // Malformed.
        ("not HTTP", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(), &[0, 400]),
        (
            "no Host header",
            format!("GET /creds HTTP/1.1\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n")
                .into_bytes(),
            &[400, 403],
        ),
        (
            "HTTP/1.0 with a loopback Host but no token",
            b"GET /creds HTTP/1.0\r\nHost: localhost\r\n\r\n".to_vec(),
            &[401],
        ),
        // Well-formed, but not what the endpoint serves.
        (
            "another path",
            format!("GET /other HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n")
                .into_bytes(),
            &[404],
        ),
        (
            "POST",
            format!("POST /creds HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .into_bytes(),
            &[405],
        ),
    ];
    for (what, request, allowed) in &cases {
        let (status, head, body) = served.raw(request);
        eprintln!("{what}: {status}");
        if status != 0 && !body.is_empty() {
            // hyper's own refusals (400, 431) have no body; the endpoint's answers are JSON.
            assert!(head.contains("cache-control: no-store"), "{what}: {head}");
        }
        assert!(
            allowed.contains(&status),
            "{what}: status {status}, expected one of {allowed:?}; body {body}"
        );
        assert!(
            !body.contains(SENTINEL) && !body.contains(&token),
            "{what}: {body}"
        );
    }
    // A request the server cut short did not take it down.
    let (status, head, _) = served.get(&token);
    assert_eq!(status, 200);
    assert!(head.contains("cache-control: no-store"), "{head}");
    let stderr = served.stop();
    assert!(
        !stderr.contains(SENTINEL) && !stderr.contains(&token),
        "{stderr}"
    );
}

#[test]
fn serve_error_responses_hold_no_secret_and_it_recovers() {
    // Credentials that are usable for about a second, so each request soon needs a refresh.
    let sts = FakeSts::start(Mode::Ok {
        lifetime: 31,
        delay: Duration::ZERO,
    });
    let cli = cli_with_source_token(Some(&sts));
    let served = Served::start(&cli, &[]);
    let token = served.token.clone();
    let (status, _, body) = served.get(&token);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("SENTINEL-SECRET-"),
        "the endpoint does serve secrets: {body}"
    );

    let mut seen = Vec::new();
    for (mode, want) in [(Mode::Denied, 500), (Mode::ServerError, 503)] {
        sts.set_mode(mode.clone());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, head, body) = served.get(&token);
            if status != 200 {
                assert!(head.contains("cache-control: no-store"), "{head}");
                assert!(
                    !body.contains(SENTINEL) && !body.contains(&token),
                    "{mode:?}: {body}"
                );
            }
            if status == want {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert!(v["Code"].is_string() && v["Message"].is_string(), "{body}");
                seen.push((status, v["Code"].as_str().unwrap().to_string()));
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{mode:?}: never got {want}, last {status} {body}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert_eq!(
        seen,
        [
            (500, "access_denied".to_string()),
            (503, "unavailable".to_string())
        ]
    );
    // STS back: served again after the backoff.
    sts.set_mode(Mode::Ok {
        lifetime: 3600,
        delay: Duration::ZERO,
    });
    let deadline = Instant::now() + Duration::from_secs(70);
    loop {
        let (status, _, body) = served.get(&token);
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never recovered: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let stderr = served.stop();
    assert!(
        !stderr.contains(SENTINEL) && !stderr.contains(&token),
        "{stderr}"
    );
}

// --- the credential-process cache ----------------------------------------------------------------

fn entry(cli: &Cli) -> std::path::PathBuf {
    let entries: Vec<_> = std::fs::read_dir(cli.cache_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

#[test]
fn a_cache_directory_others_can_enter_is_not_used() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    for mode in [0o777, 0o755, 0o705, 0o701, 0o710] {
        std::fs::create_dir_all(cli.cache_dir()).unwrap();
        std::fs::set_permissions(cli.cache_dir(), std::fs::Permissions::from_mode(mode)).unwrap();
        cli.run(&with("credential-process", &[]))
            .expect(0)
            .stderr_has("refusing to use the cache directory")
            .stderr_has(&format!("mode {mode:04o}"))
            .stderr_has("chmod 700")
            .stderr_has("running without the cache");
        assert_eq!(std::fs::read_dir(cli.cache_dir()).unwrap().count(), 0);
    }
    assert_eq!(sts.assume_calls().len(), 5, "each run called STS itself");
    std::fs::set_permissions(cli.cache_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    cli.run(&with("credential-process", &[])).expect(0);
    cli.run(&with("credential-process", &[])).expect(0);
    assert_eq!(
        sts.assume_calls().len(),
        6,
        "the private directory is used again"
    );
}

#[test]
fn foreign_torn_or_tampered_entries_are_ignored_and_replaced() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let args = with("credential-process", &[]);
    cli.run(&args).expect(0);
    let path = entry(&cli);
    let good = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&good).unwrap();
    let tampered = |field: &str, value: serde_json::Value| {
        let mut t = v.clone();
        t[field] = value;
        t.to_string()
    };
    let cases: Vec<(&str, String, u32)> = vec![
        ("readable by others", good.clone(), 0o644),
        ("readable by the group", good.clone(), 0o640),
        ("torn in half", good[..good.len() / 2].to_string(), 0o600),
        ("empty", String::new(), 0o600),
        (
            "not UTF-8",
            String::from_utf8_lossy(&[0xff, 0xfe, 0x00]).into_owned(),
            0o600,
        ),
        (
            "another format version",
            tampered("Format", "cross-account-credential-process-cache-v0".into()),
            0o600,
        ),
        (
            "another entry's key",
            tampered("Key", "0".repeat(64).into()),
            0o600,
        ),
        ("no key", tampered("Key", serde_json::Value::Null), 0o600),
        (
            "an empty secret key",
            tampered("SecretAccessKey", "".into()),
            0o600,
        ),
        (
            "no session token",
            tampered("SessionToken", serde_json::Value::Null),
            0o600,
        ),
        (
            "an unparsable expiry",
            tampered("Expiration", "tomorrow".into()),
            0o600,
        ),
        (
            "fetched in the future",
            tampered("FetchedAt", "2999-01-01T00:00:00Z".into()),
            0o600,
        ),
        (
            "already expired",
            tampered("Expiration", "2001-01-01T00:00:00Z".into()),
            0o600,
        ),
        (
            "larger than 64 KiB",
            format!("{good}{}", " ".repeat(70 * 1024)),
            0o600,
        ),
    ];
    let mut expected_calls = 1;
    for (what, content, mode) in cases {
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let run = cli.run(&args);
        expected_calls += 1;
        let out = run.expect(0).json();
        assert_eq!(
            out["AccessKeyId"],
            key_id(expected_calls),
            "{what}: the entry must not be trusted"
        );
        // Replaced by a whole, private entry with the new credentials.
        let stored: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{what}: entry not replaced: {e}"));
        assert_eq!(stored["AccessKeyId"], key_id(expected_calls), "{what}");
        assert_eq!(
            std::fs::metadata(&path).unwrap().mode() & 0o777,
            0o600,
            "{what}"
        );
        assert_eq!(sts.assume_calls().len() as u64, expected_calls, "{what}");
    }
    // The replaced entry is used again.
    cli.run(&args).expect(0);
    assert_eq!(sts.assume_calls().len() as u64, expected_calls);
}
