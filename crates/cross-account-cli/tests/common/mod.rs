//! Test support: run the built binary in a clean environment, and a loopback STS double that
//! speaks the real wire format (so the SDK and the core run unchanged above it), records every
//! call and can deny, throttle, fail, delay and skew its clock.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_smithy_types::date_time::{DateTime, Format};

pub const BIN: &str = env!("CARGO_BIN_EXE_cross-account");
pub const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/PartnerRole";
pub const CHAIN_ROLE_ARN: &str = "arn:aws:iam::444455556666:role/SecondHop";
pub const EXTERNAL_ID: &str = "ExternalId123";
pub const SOURCE_KEY_ID: &str = "AKIASOURCEKEY0000001";
/// Every secret the tests hand out or receive starts with this, so one search finds any leak.
pub const SENTINEL: &str = "SENTINEL";
pub const SOURCE_SECRET: &str = "SENTINEL-SOURCE-SECRET-a1b2c3";

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ca-cli-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary with an environment that contains nothing of the developer's: source keys for
/// the double, a private HOME and cache, no config files, no instance metadata.
pub struct Cli {
    pub home: TempDir,
    pub env: Vec<(String, String)>,
}

impl Cli {
    pub fn new(sts: Option<&FakeSts>) -> Cli {
        let home = TempDir::new("home");
        let h = home.path();
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".into(), h.display().to_string()),
            (
                "XDG_CACHE_HOME".into(),
                h.join("cache").display().to_string(),
            ),
            (
                "AWS_CONFIG_FILE".into(),
                h.join("aws-config").display().to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                h.join("aws-credentials").display().to_string(),
            ),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID".into(), SOURCE_KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SOURCE_SECRET.into()),
            ("NO_PROXY".into(), "127.0.0.1,localhost".into()),
        ];
        if let Some(sts) = sts {
            env.push(("AWS_ENDPOINT_URL_STS".into(), sts.url.clone()));
        }
        // Python tools (the AWS CLI, boto3) may be pyenv shims, which need their settings.
        env.extend(std::env::vars().filter(|(k, _)| k.starts_with("PYENV")));
        Cli { home, env }
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.into(), value.into()));
        self
    }

    pub fn unset(&mut self, name: &str) -> &mut Self {
        self.env.retain(|(n, _)| n != name);
        self
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.home.path().join("cache").join("cross-account")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).env_clear().stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("run cross-account");
        Run::from(out)
    }

    /// Runs with `stdin` written to its standard input (a shell's script, a code).
    pub fn run_with_stdin(&self, args: &[&str], stdin: impl AsRef<[u8]>) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cross-account");
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(stdin.as_ref())
            .expect("write stdin");
        Run::from(child.wait_with_output().expect("wait for cross-account"))
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cross-account")
    }
}

/// What one run printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// The exit code, and that stderr has no secret (and, on failure, is one paragraph).
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        assert!(
            !self.stderr.contains(SENTINEL),
            "a secret reached stderr: {self:#?}"
        );
        if code != 0 {
            let lines: Vec<&str> = self
                .stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .collect();
            assert!(
                lines.len() <= 1 || self.stderr.contains("Usage:"),
                "not one paragraph: {self:#?}"
            );
        }
        self
    }

    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}: {self:#?}"
        );
        self
    }

    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}: {self:#?}"
        );
        self
    }
}

/// What the double does with AssumeRole.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Credentials valid for `lifetime` seconds, answered after `delay`.
    Ok { lifetime: u64, delay: Duration },
    /// 403 AccessDenied, as real STS says it.
    Denied,
    /// 400 Throttling (the SDK retries, then gives up).
    Throttled,
    /// 500 with an empty body.
    ServerError,
}

/// One request the double received.
#[derive(Clone, Debug)]
pub struct Call {
    pub action: String,
    pub params: HashMap<String, String>,
    /// The access key id from the SigV4 Authorization header.
    pub signed_by: String,
}

struct Shared {
    mode: Mode,
    /// Added to the Date header of every response (a skewed server clock).
    clock_offset_secs: i64,
    calls: Vec<Call>,
    issued: u64,
}

pub struct FakeSts {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

impl FakeSts {
    pub fn start(mode: Mode) -> FakeSts {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake STS");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shared = Arc::new(Mutex::new(Shared {
            mode,
            clock_offset_secs: 0,
            calls: Vec::new(),
            issued: 0,
        }));
        let s = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &s);
                });
            }
        });
        FakeSts { url, shared }
    }

    pub fn ok() -> FakeSts {
        FakeSts::start(Mode::Ok {
            lifetime: 3600,
            delay: Duration::ZERO,
        })
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.lock().unwrap().mode = mode;
    }

    pub fn set_clock_offset(&self, secs: i64) {
        self.shared.lock().unwrap().clock_offset_secs = secs;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().unwrap().calls.clone()
    }

    pub fn assume_calls(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.action == "AssumeRole")
            .collect()
    }
}

fn serve_one(mut stream: TcpStream, shared: &Mutex<Shared>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut headers = HashMap::new();
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let params = parse_form(&String::from_utf8_lossy(&body));
    let signed_by = headers
        .get("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .unwrap_or_default()
        .to_string();
    let action = params.get("Action").cloned().unwrap_or_default();
    let (mode, offset, n) = {
        let mut s = shared.lock().unwrap();
        s.calls.push(Call {
            action: action.clone(),
            params: params.clone(),
            signed_by,
        });
        if action == "AssumeRole" || action == "GetSessionToken" {
            s.issued += 1;
        }
        (s.mode.clone(), s.clock_offset_secs, s.issued)
    };
    let now = SystemTime::now();
    // How STS answers a call in the failing modes (the match below handles `Ok` first).
    let failure = |denied: &str| match mode {
        Mode::Denied => (403, error_xml("AccessDenied", denied)),
        Mode::Throttled => (400, error_xml("Throttling", "Rate exceeded")),
        Mode::Ok { .. } | Mode::ServerError => (500, String::new()),
    };
    let (status, body) = match (action.as_str(), mode.clone()) {
        ("GetCallerIdentity", _) => (200, caller_identity_xml()),
        // MFA sessions get their own key prefix, so a test can tell who signed what.
        ("GetSessionToken", Mode::Ok { lifetime, .. }) => (
            200,
            session_token_xml(n, now + Duration::from_secs(lifetime)),
        ),
        ("GetSessionToken", _) => {
            failure("MultiFactorAuthentication failed with invalid MFA one time pass code.")
        }
        ("AssumeRole", Mode::Ok { lifetime, delay }) => {
            std::thread::sleep(delay);
            let role = params.get("RoleArn").cloned().unwrap_or_default();
            let session = params.get("RoleSessionName").cloned().unwrap_or_default();
            (
                200,
                assume_role_xml(n, now + Duration::from_secs(lifetime), &role, &session),
            )
        }
        ("AssumeRole", _) => failure("User is not authorized to perform: sts:AssumeRole"),
        _ => (400, error_xml("InvalidAction", "unknown action")),
    };
    let date = if offset >= 0 {
        now + Duration::from_secs(offset as u64)
    } else {
        now - Duration::from_secs(offset.unsigned_abs())
    };
    let date = DateTime::from(date).fmt(Format::HttpDate).unwrap();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        _ => "Internal Server Error",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nDate: {date}\r\nx-amzn-RequestId: fake-request-{n}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

/// An `application/x-www-form-urlencoded` body, the first value of each field.
pub fn parse_form(body: &str) -> HashMap<String, String> {
    cross_account_test_support::wire::parse_form(body)
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.into_iter().next()?)))
        .collect()
}

pub fn key_id(n: u64) -> String {
    format!("ASIAFAKE{n:012}")
}

pub fn secret(n: u64) -> String {
    format!("SENTINEL-SECRET-{n}")
}

pub fn token(n: u64) -> String {
    format!("SENTINEL-TOKEN-{n}")
}

fn assume_role_xml(n: u64, expiration: SystemTime, role: &str, session: &str) -> String {
    let exp = DateTime::from(expiration).fmt(Format::DateTime).unwrap();
    let (account, name) = role
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(":role/"))
        .unwrap_or(("111122223333", "PartnerRole"));
    format!(
        r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>{}</AccessKeyId>
      <SecretAccessKey>{}</SecretAccessKey>
      <SessionToken>{}</SessionToken>
      <Expiration>{exp}</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAFAKE:{session}</AssumedRoleId>
      <Arn>arn:aws:sts::{account}:assumed-role/{name}/{session}</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>fake-request-{n}</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#,
        key_id(n),
        secret(n),
        token(n)
    )
}

pub fn mfa_key_id(n: u64) -> String {
    format!("ASIAMFA{n:013}")
}

fn session_token_xml(n: u64, expiration: SystemTime) -> String {
    let exp = DateTime::from(expiration).fmt(Format::DateTime).unwrap();
    format!(
        r#"<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetSessionTokenResult>
    <Credentials>
      <AccessKeyId>{}</AccessKeyId>
      <SecretAccessKey>SENTINEL-MFA-SECRET-{n}</SecretAccessKey>
      <SessionToken>SENTINEL-MFA-TOKEN-{n}</SessionToken>
      <Expiration>{exp}</Expiration>
    </Credentials>
  </GetSessionTokenResult>
  <ResponseMetadata><RequestId>fake-request-{n}</RequestId></ResponseMetadata>
</GetSessionTokenResponse>"#,
        mfa_key_id(n)
    )
}

fn caller_identity_xml() -> String {
    r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::999988887777:user/partner</Arn>
    <UserId>AIDAFAKEUSER</UserId>
    <Account>999988887777</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>fake-identity</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"#
        .to_string()
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>
  <RequestId>fake-error</RequestId>
</ErrorResponse>"#
    )
}

/// Sends a signal by name to a process, with the system's `kill`.
pub fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Waits for a child with a deadline, killing it if it overstays.
pub fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("process {} did not exit within {timeout:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads lines from a child's stdout until `n` lines have arrived.
pub fn read_lines(child: &mut Child, n: usize) -> Vec<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let mut lines = Vec::new();
    for _ in 0..n {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read line");
        lines.push(line.trim_end().to_string());
    }
    // Keep the pipe open (and drained) for the rest of the child's life.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = reader.read_to_end(&mut sink);
    });
    lines
}

/// One raw HTTP/1.1 request; returns the status code and the body.
pub fn http(port: u16, raw: &str) -> (u16, String) {
    let (status, _, body) = exchange(port, raw.as_bytes(), Duration::from_secs(10));
    (status, body)
}

/// Status, lower-cased head and body of the answer to `request` on a fresh loopback
/// connection, reading until the server closes it or `timeout` passes without a byte.
pub fn exchange(port: u16, request: &[u8], timeout: Duration) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(timeout)).unwrap();
    // The server may answer and close before reading everything of an oversized request.
    let _ = s.write_all(request);
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_ascii_lowercase(), body.to_string())
}

/// Every subcommand's name, read from the command line's own definition, so a new one is
/// covered by the tests that walk them.
pub fn subcommands() -> Vec<String> {
    use clap::CommandFactory;
    cross_account_cli::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|name| name != "help")
        .collect()
}

/// The subcommands that take the whole set of role flags (`SessionArgs`, which alone has
/// `--external-id-file`).
pub fn assuming_subcommands() -> Vec<String> {
    use clap::CommandFactory;
    cross_account_cli::cli::Cli::command()
        .get_subcommands()
        .filter(|c| {
            c.get_arguments()
                .any(|a| a.get_long() == Some("external-id-file"))
        })
        .map(|c| c.get_name().to_string())
        .collect()
}

/// The role flags every assuming subcommand takes, for the double's role.
pub fn role_args() -> Vec<&'static str> {
    vec!["--role-arn", ROLE_ARN, "--external-id", EXTERNAL_ID]
}

/// `sub`, the role flags, then `extra`.
pub fn with<'a>(sub: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![sub];
    v.extend(role_args());
    v.extend_from_slice(extra);
    v
}

/// A running `serve` without a child command: its port and the token it printed.
pub struct Served {
    pub child: Child,
    pub port: u16,
    pub token: String,
}

impl Served {
    /// `serve --port 0` plus `extra`, started and read up to its two stdout lines.
    pub fn start(cli: &Cli, extra: &[&str]) -> Served {
        let mut args = with("serve", &["--port", "0"]);
        args.extend_from_slice(extra);
        let mut child = cli.spawn(&args);
        let lines = read_lines(&mut child, 2);
        let port = lines[0]
            .trim_start_matches("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:")
            .trim_end_matches("/creds")
            .parse()
            .unwrap_or_else(|_| panic!("no URI line: {lines:?}"));
        let token = lines[1]
            .strip_prefix("AWS_CONTAINER_AUTHORIZATION_TOKEN=")
            .unwrap_or_else(|| panic!("no token line: {lines:?}"))
            .to_string();
        Served { child, port, token }
    }

    /// Status, lower-cased head and body of the answer to `request` on a fresh connection.
    pub fn raw(&self, request: &[u8]) -> (u16, String, String) {
        exchange(self.port, request, Duration::from_secs(15))
    }

    /// A well-formed GET of /creds with this Authorization value.
    pub fn get(&self, auth: &str) -> (u16, String, String) {
        self.raw(
            format!(
                "GET /creds HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n",
                self.port
            )
            .as_bytes(),
        )
    }

    /// SIGTERM, a clean exit 0, and what it wrote on stderr.
    pub fn stop(mut self) -> String {
        kill(self.child.id(), "TERM");
        let status = wait_with_timeout(&mut self.child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(0));
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        stderr
    }
}
