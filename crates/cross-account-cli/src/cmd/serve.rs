//! `serve`: the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`) on
//! 127.0.0.1, backed by a session that refreshes in the background.
//!
//! Every request must carry the random 256-bit token in `Authorization` (compared in constant
//! time; 401 otherwise) and a loopback `Host` (403 otherwise, so a web page that rebinds a DNS
//! name to 127.0.0.1 cannot read credentials). Requests have no body and small headers.

use std::convert::Infallible;
use std::net::Ipv4Addr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cross_account::secrecy::{ExposeSecret, SecretString};
use cross_account::CrossAccountSession;
use http_body_util::Full;
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

use crate::cli::ServeArgs;
use crate::failure::{core_exit_code, CliError, EXIT_OK};
use crate::output::rfc3339;
use crate::session;

use super::child::{self, ChildEnv};

/// The path of the endpoint.
pub const PATH: &str = "/creds";
/// Request heads larger than this are refused (431) by hyper; the minimum it allows.
const MAX_HEAD_BYTES: usize = 8 * 1024;
const MAX_HEADERS: usize = 64;
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

struct State {
    session: CrossAccountSession,
    token: SecretString,
}

pub async fn run(args: ServeArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    let session = session::build(&resolved, true)?;
    // Fail now, with the right exit code, rather than on the first request.
    let first = session.credentials().await?;
    tracing::info!(
        access_key_id = first.access_key_id(),
        "assumed role; refreshing in the background"
    );

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .await
        .map_err(|e| {
            CliError::other(format!(
                "cannot listen on 127.0.0.1:{}: {e}; pick another --port (0 for any free one)",
                args.port
            ))
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| CliError::other(format!("cannot read the listening address: {e}")))?
        .port();
    let uri = format!("http://127.0.0.1:{port}{PATH}");
    let token = SecretString::from(random_token()?);
    let state = Arc::new(State {
        session: session.clone(),
        token,
    });
    tokio::spawn(accept_loop(listener, state.clone()));
    let role = session.role_arn().to_string();

    if !args.command.is_empty() {
        eprintln!(
            "cross-account: serving credentials for {role} on {uri} to {}",
            args.command[0].to_string_lossy()
        );
        let mut set = vec![
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                state.token.expose_secret().to_string(),
            ),
        ];
        if let Some(region) = &args.session.region {
            set.push(("AWS_REGION", region.clone()));
            set.push(("AWS_DEFAULT_REGION", region.clone()));
        }
        let env = ChildEnv {
            set,
            // Everything an SDK's default chain would prefer over the container endpoint.
            remove: vec![
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "AWS_SECURITY_TOKEN",
                "AWS_CREDENTIAL_EXPIRATION",
                "AWS_PROFILE",
                "AWS_DEFAULT_PROFILE",
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_ROLE_ARN",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            ],
        };
        return child::run(&args.command, env).await;
    }

    let mut stdout = format!("AWS_CONTAINER_CREDENTIALS_FULL_URI={uri}\n");
    let token_file = match &args.token_file {
        Some(path) => {
            let path = std::path::absolute(path)
                .map_err(|e| CliError::usage(format!("--token-file {}: {e}", path.display())))?;
            write_private(&path, state.token.expose_secret())?;
            stdout.push_str(&format!(
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE={}\n",
                path.display()
            ));
            Some(path)
        }
        None => {
            stdout.push_str(&format!(
                "AWS_CONTAINER_AUTHORIZATION_TOKEN={}\n",
                state.token.expose_secret()
            ));
            None
        }
    };
    // Listening before anything is printed, so a caller that reads the URI and then stops
    // this process never finds the signal unhandled.
    let listen =
        |kind| signal(kind).map_err(|e| CliError::other(format!("cannot listen for signals: {e}")));
    let signals = listen(SignalKind::interrupt()).and_then(|int| {
        Ok((
            int,
            listen(SignalKind::terminate())?,
            listen(SignalKind::hangup())?,
        ))
    });
    let (mut int, mut term, mut hup) = match signals {
        Ok(s) => s,
        Err(e) => {
            remove_token_file(token_file.as_deref());
            return Err(e);
        }
    };
    if let Err(e) = super::print_stdout(&stdout) {
        remove_token_file(token_file.as_deref());
        return Err(e);
    }
    eprintln!("cross-account: serving credentials for {role} on {uri} (127.0.0.1 only); stop with Ctrl-C, SIGTERM or SIGHUP");
    tokio::select! {
        _ = int.recv() => {},
        _ = term.recv() => {},
        _ = hup.recv() => {},
    }
    remove_token_file(token_file.as_deref());
    Ok(EXIT_OK)
}

fn remove_token_file(path: Option<&Path>) {
    if let Some(path) = path {
        if let Err(e) = std::fs::remove_file(path) {
            tracing::debug!(path = %path.display(), error = %e, "could not remove the token file");
        }
    }
}

/// 256 bits from the operating system, as 64 lowercase hex digits.
fn random_token() -> Result<String, CliError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        CliError::other(format!(
            "the operating system random number generator failed: {e}"
        ))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `content` (no newline: SDKs reject a token with CR or LF) to a 0600 file by atomic
/// replace, so no reader ever sees a partial token.
fn write_private(path: &Path, content: &str) -> Result<(), CliError> {
    let err = |e: std::io::Error| {
        CliError::other(format!(
            "cannot write the token file {}: {e}",
            path.display()
        ))
    };
    let mut temp = PathBuf::from(path);
    temp.set_file_name(format!(
        ".{}.tmp.{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&temp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(err)?;
    use std::io::Write;
    let written = file
        .write_all(content.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(err(e));
    }
    Ok(())
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if !peer.ip().is_loopback() {
            continue;
        }
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(respond(&req, &state).await) }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(MAX_HEAD_BYTES)
                .max_headers(MAX_HEADERS);
            if let Err(e) = builder
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

async fn respond(req: &Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    let response = check(req, state).await;
    tracing::debug!(
        method = %req.method(),
        path = req.uri().path(),
        status = response.status().as_u16(),
        "request"
    );
    response
}

async fn check(req: &Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    let host_ok = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(is_loopback_host);
    if !host_ok {
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the Host header must be 127.0.0.1, localhost or [::1]",
        );
    }
    if !req.body().is_end_stream() {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            "requests to the credentials endpoint have no body",
        );
    }
    let mut auth = req.headers().get_all(header::AUTHORIZATION).iter();
    let authorized = match (auth.next(), auth.next()) {
        (Some(value), None) => token_matches(value, state.token.expose_secret()),
        _ => false,
    };
    if !authorized {
        return error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "missing or wrong token in the Authorization header",
        );
    }
    if req.method() != Method::GET {
        let mut resp = error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "only GET is served",
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return resp;
    }
    if req.uri().path() != PATH {
        return error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the credentials are at /creds",
        );
    }
    match state.session.credentials().await {
        Ok(c) => {
            let account = c
                .account_id()
                .map(str::to_string)
                .unwrap_or_else(|| state.session.role_arn().account_id().to_string());
            let body = json!({
                "AccessKeyId": c.access_key_id(),
                "SecretAccessKey": c.secret_access_key().expose_secret(),
                "Token": c.session_token().expose_secret(),
                "Expiration": rfc3339(c.expiration()),
                "AccountId": account,
            });
            json_response(StatusCode::OK, body.to_string())
        }
        Err(err) => {
            let status = if core_exit_code(&err) == crate::failure::EXIT_UNAVAILABLE {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            tracing::warn!(error = %err, "no credentials to serve");
            error(status, err.kind().as_str(), &err.to_string())
        }
    }
}

fn token_matches(value: &HeaderValue, token: &str) -> bool {
    let presented = value.as_bytes();
    if presented.contains(&b'\r') || presented.contains(&b'\n') {
        return false;
    }
    constant_time_eq(presented, token.as_bytes())
}

/// Compares without an early exit, so the time taken does not tell how many leading bytes
/// matched. The loop runs over the expected token's length (not secret), whatever is presented.
pub fn constant_time_eq(presented: &[u8], expected: &[u8]) -> bool {
    let mut diff: usize = presented.len() ^ expected.len();
    for (i, &e) in expected.iter().enumerate() {
        let p = presented.get(i).copied().unwrap_or(!e);
        diff |= usize::from(p ^ e);
    }
    std::hint::black_box(diff) == 0
}

/// `127.0.0.1`, `localhost` or `[::1]`, each with an optional `:port`.
pub fn is_loopback_host(host: &str) -> bool {
    let (name, rest) = if host.starts_with('[') {
        match host.find(']') {
            Some(i) => host.split_at(i + 1),
            None => return false,
        }
    } else {
        match host.find(':') {
            Some(i) => host.split_at(i),
            None => (host, ""),
        }
    };
    let port_ok = match rest.strip_prefix(':') {
        None => rest.is_empty(),
        Some(port) => {
            !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
        }
    };
    let name_ok = name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost") || name == "[::1]";
    port_ok && name_ok
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    json_response(
        status,
        json!({ "Code": code, "Message": message }).to_string(),
    )
}

fn json_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "localhost",
            "LocalHost:1",
            "[::1]",
            "[::1]:65535",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "127.0.0.1.evil.example",
            "localhost.evil.example:80",
            "127.0.0.2",
            "127.0.0.1:",
            "127.0.0.1:80x",
            "[::1",
            "[::2]:80",
            "localhost:123456",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn token_compare() {
        let t = "a".repeat(64);
        assert!(constant_time_eq(t.as_bytes(), t.as_bytes()));
        assert!(!constant_time_eq(b"", t.as_bytes()));
        assert!(!constant_time_eq(&t.as_bytes()[..63], t.as_bytes()));
        assert!(!constant_time_eq(format!("{t}a").as_bytes(), t.as_bytes()));
        let mut wrong = t.clone().into_bytes();
        wrong[63] = b'b';
        assert!(!constant_time_eq(&wrong, t.as_bytes()));
        let tok = random_token().unwrap();
        assert_eq!(tok.len(), 64);
        assert!(tok.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(tok, random_token().unwrap());
    }
}
