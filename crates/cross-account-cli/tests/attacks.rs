//! What another local user (or a broken pipeline) did to the command line, one test per attack.
//! Each was written against the code it broke and failed there; SECURITY.md names them.
//!
//! Every loop here is bounded in count and in time.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::*;

// --- serve: the child outlives a killed serve --------------------------------------------------

/// The pids whose parent is `parent`, from /proc.
fn children_of(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Some((_, ppid)) = stat(pid) {
            if ppid == parent {
                out.push(pid);
            }
        }
    }
    out
}

/// State letter and parent pid of `pid`, if it exists.
fn stat(pid: u32) -> Option<(char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) STATE PPID ...; comm may hold spaces and parentheses.
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills what a test left running even when an assertion failed first.
struct KillOnDrop(Vec<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in &self.0 {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
    }
}

#[test]
fn a_serve_killed_with_sigkill_takes_its_child_along() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let mut serve = cli.spawn(&with("serve", &["--", "sleep", "60"]));
    let serve_pid = serve.id();
    let mut guard = KillOnDrop(vec![serve_pid]);
    let mut child = 0;
    wait_until("serve starts its child", Duration::from_secs(20), || {
        child = children_of(serve_pid).first().copied().unwrap_or(0);
        child != 0
    });
    guard.0.push(child);
    kill(serve_pid, "KILL");
    serve.wait().unwrap();
    wait_until(
        "the child dies with its serve",
        Duration::from_secs(5),
        || !alive(child),
    );
}

#[test]
fn after_serve_dies_no_one_else_can_take_its_port_while_a_descendant_lives() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let dir = TempDir::new("port-held");
    let uri_file = dir.path().join("uri");
    let pid_file = dir.path().join("grandchild");
    // The grandchild outlives the child, as a daemonized helper would.
    let script = format!(
        "sleep 60 & echo $! > {pids}; echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" > {uri}; wait",
        pids = pid_file.display(),
        uri = uri_file.display()
    );
    let mut serve = cli.spawn(&with("serve", &["--", "sh", "-c", &script]));
    let mut guard = KillOnDrop(vec![serve.id()]);
    wait_until("the child writes its URI", Duration::from_secs(20), || {
        std::fs::read_to_string(&uri_file).is_ok_and(|t| t.ends_with("/creds\n"))
            && std::fs::read_to_string(&pid_file).is_ok_and(|t| t.ends_with('\n'))
    });
    let grandchild: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    guard.0.push(grandchild);
    let uri = std::fs::read_to_string(&uri_file).unwrap();
    let port: u16 = uri
        .trim()
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/creds")
        .parse()
        .unwrap();
    kill(serve.id(), "KILL");
    serve.wait().unwrap();
    assert!(alive(grandchild), "the grandchild is the case under test");
    // The attacker's bind: the port must still be taken, on both loopback addresses.
    for addr in ["127.0.0.1", "::1"] {
        match TcpListener::bind((addr, port)) {
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse, "{addr}: {e}"),
            Ok(_) => panic!("another process could bind {addr} port {port} after serve died"),
        }
    }
}

// --- serve: connections -----------------------------------------------------------------------

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// This test process opens 1500 sockets: lift its own soft limit (the hard one is the bound).
fn raise_own_fd_limit() {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    rustix::process::setrlimit(
        rustix::process::Resource::Nofile,
        rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    )
    .expect("raise RLIMIT_NOFILE");
}

#[test]
fn an_idle_connection_flood_neither_exhausts_serve_nor_locks_out_the_client() {
    raise_own_fd_limit();
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    // serve starts with the common soft limit of 1024 descriptors.
    let mut args = vec!["-c", "ulimit -S -n 1024 && exec \"$0\" \"$@\"", BIN];
    args.extend(with("serve", &["--port", "0"]));
    let mut sh = Command::new("sh");
    sh.args(&args).env_clear().stdin(Stdio::null());
    for (k, v) in &cli.env {
        sh.env(k, v);
    }
    let mut child = sh
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = KillOnDrop(vec![child.id()]);
    let lines = read_lines(&mut child, 2);
    let port: u16 = lines[0]
        .trim_start_matches("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:")
        .trim_end_matches("/creds")
        .parse()
        .unwrap();
    let token = lines[1]
        .trim_start_matches("AWS_CONTAINER_AUTHORIZATION_TOKEN=")
        .to_string();

    // 1500 idle connections, opened within 10 s, held open.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut idle = Vec::new();
    while idle.len() < 1500 && Instant::now() < deadline {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => idle.push(s),
            Err(e) => panic!("connection {} of the flood: {e}", idle.len()),
        }
    }
    assert_eq!(idle.len(), 1500);
    std::thread::sleep(Duration::from_millis(300));
    let fds = open_fds(child.id());
    // A client with the token, while the flood is still held open: answered within the 2 s a
    // botocore container-provider attempt waits.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    write!(
        s,
        "GET /creds HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    let read = s.read_to_string(&mut resp);
    assert!(
        resp.starts_with("HTTP/1.1 200"),
        "no answer under the flood ({read:?}): {resp:?}"
    );
    eprintln!("idle flood: 1500 connections held, serve holds {fds} descriptors");
    assert!(
        fds < 200,
        "serve holds {fds} descriptors under a flood of 1500 idle connections"
    );
    drop(idle);
}

#[test]
fn a_connection_that_sends_nothing_is_closed_after_about_two_seconds() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let served = Served::start(&cli, &[]);
    let mut s = TcpStream::connect(("127.0.0.1", served.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 64];
    // EOF (the server closed it), not the 5 s read timeout.
    let n = s.read(&mut buf).expect("closed by the server before 5 s");
    assert_eq!(n, 0);
    served.stop();
}

// --- serve: Host ------------------------------------------------------------------------------

#[test]
fn duplicate_host_headers_and_foreign_absolute_targets_are_refused() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let served = Served::start(&cli, &[]);
    let (port, token) = (served.port, served.token.clone());
    let cases: Vec<(&str, String, u16)> = vec![
        (
            "a second, foreign Host",
            format!("GET /creds HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"),
            400,
        ),
        (
            "the same Host twice",
            format!("GET /creds HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"),
            400,
        ),
        (
            "absolute-form with a foreign authority",
            format!("GET http://evil.example/creds HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"),
            403,
        ),
        (
            "absolute-form with a foreign authority and port",
            format!("GET http://evil.example:{port}/creds HTTP/1.1\r\nHost: localhost\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"),
            403,
        ),
        (
            "absolute-form with the loopback authority",
            format!("GET http://127.0.0.1:{port}/creds HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"),
            200,
        ),
    ];
    for (what, request, want) in &cases {
        let (status, _, body) = served.raw(request.as_bytes());
        assert_eq!(status, *want, "{what}: {body}");
        if *want != 200 {
            assert!(!body.contains(SENTINEL), "{what}: {body}");
        }
    }
    // serve also holds the port on [::1], and answers there.
    let mut v6 = TcpStream::connect(("::1", port)).expect("serve listens on [::1]");
    v6.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        v6,
        "GET /creds HTTP/1.1\r\nHost: [::1]:{port}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    let _ = v6.read_to_string(&mut resp);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    served.stop();
}

// --- the credential-process cache -------------------------------------------------------------

fn json_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if meta.is_dir() {
            out.extend(json_files_under(&p));
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    out
}

fn cache_entry(cli: &Cli) -> PathBuf {
    let files = json_files_under(&cli.cache_dir());
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn a_cache_directory_swapped_for_a_symlink_is_not_followed() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    let dir = TempDir::new("symlink-dir");
    let xdg = dir.path().join("xdg");
    let attacker = dir.path().join("attacker");
    std::fs::create_dir(&xdg).unwrap();
    std::fs::set_permissions(&xdg, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::create_dir(&attacker).unwrap();
    std::fs::set_permissions(&attacker, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(&attacker, xdg.join("cross-account")).unwrap();
    cli.set("XDG_CACHE_HOME", xdg.display().to_string());
    let run = cli.run(&with("credential-process", &[]));
    run.expect(0).stderr_has("without the cache");
    assert_eq!(run.json()["AccessKeyId"], key_id(1));
    assert_eq!(json_files_under(&attacker), Vec::<PathBuf>::new());
}

#[test]
fn a_cache_under_a_directory_others_can_write_is_refused_even_while_they_race() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    let dir = TempDir::new("shared-parent");
    // `shared` is writable by everyone without the sticky bit: its other users can rename what
    // is in it. `attacker` is where they want the victim's entries to land.
    let shared = dir.path().join("shared");
    let attacker = dir.path().join("attacker");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::create_dir(&attacker).unwrap();
    std::fs::set_permissions(&attacker, std::fs::Permissions::from_mode(0o700)).unwrap();
    let xdg = shared.join("xdg");
    std::fs::create_dir(&xdg).unwrap();
    std::fs::set_permissions(&xdg, std::fs::Permissions::from_mode(0o700)).unwrap();
    let real = shared.join("xdg.real");
    cli.set("XDG_CACHE_HOME", xdg.display().to_string());

    // The attacker swaps `xdg` for a symlink to its own directory and back, for as long as the
    // victim runs (at most 20 s).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (stop, xdg, real, attacker) =
            (stop.clone(), xdg.clone(), real.clone(), attacker.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut swaps = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
                if std::fs::rename(&xdg, &real).is_ok() {
                    let _ = std::os::unix::fs::symlink(&attacker, &xdg);
                    std::thread::sleep(Duration::from_micros(300));
                    let _ = std::fs::remove_file(&xdg);
                    let _ = std::fs::rename(&real, &xdg);
                    swaps += 1;
                }
                std::thread::sleep(Duration::from_micros(300));
            }
            swaps
        })
    };
    for i in 0..7 {
        let run = cli.run(&with("credential-process", &[]));
        run.expect(0);
        assert!(run.stdout.contains("AccessKeyId"), "run {i}: {run:#?}");
        run.stderr_has("writable by others");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    eprintln!("cache race: {swaps} symlink swaps during 7 runs");
    assert!(swaps > 0, "the race ran");
    assert_eq!(
        json_files_under(&attacker),
        Vec::<PathBuf>::new(),
        "entries landed in the attacker's directory"
    );
    assert_eq!(json_files_under(&shared), Vec::<PathBuf>::new());

    // The same under a sticky directory (like /tmp): others cannot rename what is ours there.
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let run = cli.run(&with("credential-process", &[]));
    run.expect(0);
    assert!(run.stderr.is_empty(), "{run:#?}");
    assert_eq!(json_files_under(&xdg).len(), 1);
}

#[test]
fn a_fifo_in_place_of_the_entry_does_not_hang_credential_process() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    cli.run(&with("credential-process", &[])).expect(0);
    let entry = cache_entry(&cli);
    std::fs::remove_file(&entry).unwrap();
    let status = Command::new("mkfifo").arg(&entry).status().unwrap();
    assert!(status.success());
    let mut child = cli.spawn(&with("credential-process", &[]));
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(0));
    assert!(std::fs::symlink_metadata(&entry).unwrap().is_file());
    assert_eq!(sts.assume_calls().len(), 2);
}

#[test]
fn an_entry_copied_onto_another_name_is_not_served() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let dir = TempDir::new("copied");
    let deny_all = dir.path().join("deny-all.json");
    std::fs::write(
        &deny_all,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    let deny_all = deny_all.display().to_string();
    let unrestricted = cli.run(&with("credential-process", &[])).expect(0).json();
    let before: Vec<PathBuf> = json_files_under(&cli.cache_dir());
    let restricted = cli
        .run(&with("credential-process", &["--policy-file", &deny_all]))
        .expect(0)
        .json();
    assert_ne!(unrestricted["AccessKeyId"], restricted["AccessKeyId"]);
    let restricted_entry = json_files_under(&cli.cache_dir())
        .into_iter()
        .find(|p| !before.contains(p))
        .unwrap();
    // The unrestricted entry, copied over the deny-all one (mode and owner intact).
    std::fs::copy(&before[0], &restricted_entry).unwrap();
    let again = cli
        .run(&with("credential-process", &["--policy-file", &deny_all]))
        .expect(0)
        .json();
    assert_ne!(
        again["AccessKeyId"], unrestricted["AccessKeyId"],
        "the deny-all profile got the unrestricted credentials"
    );
    assert_eq!(sts.assume_calls().len(), 3);
}

#[test]
fn a_symlink_in_place_of_the_entry_is_not_followed() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    cli.run(&with("credential-process", &[])).expect(0);
    let entry = cache_entry(&cli);
    let dir = TempDir::new("planted");
    let planted = dir.path().join("planted.json");
    std::fs::copy(&entry, &planted).unwrap();
    std::fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink(&planted, &entry).unwrap();
    let run = cli.run(&with("credential-process", &[]));
    assert_eq!(run.expect(0).json()["AccessKeyId"], key_id(2));
    assert!(std::fs::symlink_metadata(&entry).unwrap().is_file());
}

#[test]
fn missing_cache_parents_are_created_private_under_umask_000() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    cli.unset("XDG_CACHE_HOME");
    let home = cli.home.path().to_path_buf();
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(with("credential-process", &[]))
        .env_clear()
        .stdin(Stdio::null());
    for (k, v) in &cli.env {
        sh.env(k, v);
    }
    Run::from(sh.output().unwrap()).expect(0);
    for (path, want) in [
        (home.join(".cache"), 0o700),
        (home.join(".cache/cross-account"), 0o700),
    ] {
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, want, "{}", path.display());
    }
    for f in std::fs::read_dir(home.join(".cache/cross-account"))
        .unwrap()
        .flatten()
    {
        let mode = f.metadata().unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.path().display());
    }
}

#[test]
fn an_unusable_cache_location_means_running_without_the_cache() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    let dir = TempDir::new("unusable");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    cli.set("XDG_CACHE_HOME", file.display().to_string());
    let run = cli.run(&with("credential-process", &[]));
    run.expect(0).stderr_has("without the cache");
    assert_eq!(run.json()["AccessKeyId"], key_id(1));
    // A cache directory others can enter: the same, with the fix named.
    let mut cli = Cli::new(Some(&sts));
    std::fs::create_dir_all(cli.cache_dir()).unwrap();
    std::fs::set_permissions(cli.cache_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    cli.set(
        "XDG_CACHE_HOME",
        cli.home.path().join("cache").display().to_string(),
    );
    cli.run(&with("credential-process", &[]))
        .expect(0)
        .stderr_has("chmod 700")
        .stderr_has("without the cache");
}

// --- the reuse window -------------------------------------------------------------------------

fn rfc3339(t: SystemTime) -> String {
    aws_smithy_types::DateTime::from(t)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap()
}

/// Rewrites the entry as fetched `age` ago and expiring in `left`.
fn age_entry(entry: &Path, age: Duration, left: Duration) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(entry).unwrap()).unwrap();
    let now = SystemTime::now();
    v["FetchedAt"] = rfc3339(now - age).into();
    v["Expiration"] = rfc3339(now + left).into();
    std::fs::write(entry, v.to_string()).unwrap();
}

#[test]
fn the_reuse_window_defaults_to_15_minutes_and_is_set_by_window() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    cli.run(&with("credential-process", &[])).expect(0);
    let entry = cache_entry(&cli);
    let min = |m: u64| Duration::from_secs(m * 60);
    // 16 minutes left of an hour: reused by default...
    age_entry(&entry, min(44), min(16));
    cli.run(&with("credential-process", &[])).expect(0);
    assert_eq!(sts.assume_calls().len(), 1);
    // ... not with a 20-minute window...
    cli.run(&with("credential-process", &["--window", "20m"]))
        .expect(0);
    assert_eq!(sts.assume_calls().len(), 2);
    // ... and 14 minutes left is inside the default window.
    age_entry(&entry, min(46), min(14));
    cli.run(&with("credential-process", &[])).expect(0);
    assert_eq!(sts.assume_calls().len(), 3);
    // A window longer than the lifetime is clamped to a third of it: still reused.
    cli.run(&with("credential-process", &["--window", "2h"]))
        .expect(0);
    assert_eq!(sts.assume_calls().len(), 3);
    let bad = cli.run(&with("credential-process", &["--window", "soon"]));
    assert_eq!(bad.code, 2, "{bad:#?}");
    bad.stderr_has("--window");
}

// --- MFA code sources -------------------------------------------------------------------------

const MFA_SERIAL: &str = "arn:aws:iam::999988887777:mfa/partner";

fn token_codes(sts: &FakeSts) -> Vec<String> {
    sts.assume_calls()
        .iter()
        .map(|c| c.params.get("TokenCode").cloned().unwrap_or_default())
        .collect()
}

#[test]
fn the_mfa_code_comes_from_a_file_stdin_or_the_environment() {
    let sts = FakeSts::ok();
    let mut cli = Cli::new(Some(&sts));
    let dir = TempDir::new("mfa");
    let file = dir.path().join("code");
    std::fs::write(&file, "123456\n").unwrap();
    let file = file.display().to_string();
    let mfa = |extra: &[&'static str]| {
        let mut v = vec!["--mfa-serial", MFA_SERIAL];
        v.extend_from_slice(extra);
        v
    };
    let args = mfa(&[]);
    let mut with_file: Vec<&str> = args.clone();
    with_file.extend(["--mfa-token-file", &file]);
    cli.run(&with("assume", &with_file)).expect(0);

    let mut stdin_args = args.clone();
    stdin_args.extend(["--mfa-token-file", "-"]);
    let mut child = cli
        .command(&with("assume", &stdin_args))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"234567\n").unwrap();
    Run::from(child.wait_with_output().unwrap()).expect(0);

    cli.set("CROSS_ACCOUNT_MFA_TOKEN", "345678");
    let run = cli.run(&with("assume", &args));
    run.expect(0);
    assert!(!run.stderr.contains("345678"), "{run:#?}");
    cli.unset("CROSS_ACCOUNT_MFA_TOKEN");

    let mut flag = args.clone();
    flag.extend(["--mfa-token", "456789"]);
    let run = cli.run(&with("assume", &flag));
    run.expect(0)
        .stderr_has("warning")
        .stderr_has("/proc")
        .stderr_has("--mfa-token-file");
    assert!(!run.stderr.contains("456789"), "{run:#?}");

    assert_eq!(token_codes(&sts), ["123456", "234567", "345678", "456789"]);
    // An empty file is refused before any STS call.
    std::fs::write(&file, "\n").unwrap();
    cli.run(&with("assume", &with_file))
        .expect(2)
        .stderr_has("--mfa-token-file");
    assert_eq!(sts.assume_calls().len(), 4);
}

// --- exit codes -------------------------------------------------------------------------------

/// A pipe whose reading end is already closed: every write to it fails with EPIPE.
fn broken_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

#[test]
fn a_closed_stderr_pipe_is_no_panic() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    let run = |args: Vec<&str>| {
        let out = cli
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(broken_pipe()))
            .output()
            .unwrap();
        out.status.code()
    };
    // An error paragraph, a warning, a child's status line: each would go to the dead pipe.
    assert_eq!(run(vec!["assume", "--role-arn", "not-an-arn"]), Some(2));
    assert_eq!(
        run(with(
            "assume",
            &["--mfa-serial", MFA_SERIAL, "--mfa-token", "123456"]
        )),
        Some(0)
    );
    assert_eq!(run(with("serve", &["--", "sh", "-c", "exit 7"])), Some(7));
    sts.set_mode(Mode::Denied);
    assert_eq!(run(with("assume", &[])), Some(3));
}

#[test]
fn credentials_that_cannot_be_written_are_an_error_exit() {
    let sts = FakeSts::ok();
    let cli = Cli::new(Some(&sts));
    for args in [
        with("assume", &[]),
        with("assume", &["--format", "env"]),
        with("credential-process", &[]),
    ] {
        // stdout closed (`>&-`), and stdout a pipe nobody reads.
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg("exec \"$0\" \"$@\" >&-")
            .arg(BIN)
            .args(&args);
        sh.env_clear().stdin(Stdio::null());
        for (k, v) in &cli.env {
            sh.env(k, v);
        }
        let closed = Run::from(sh.output().unwrap());
        closed.expect(1).stderr_has("stdout");
        let piped = cli
            .command(&args)
            .stdout(Stdio::from(broken_pipe()))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let piped = Run::from(piped);
        piped.expect(1).stderr_has("stdout");
    }
    // Nothing but entries and locks in the cache: a closed stdout did not lend its descriptor
    // number to a cache file that then received the credentials.
    for f in std::fs::read_dir(cli.cache_dir()).unwrap().flatten() {
        let name = f.file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(".json") || name.ends_with(".lock"), "{name}");
    }
}
