//! The HTTP side of `serve`: accepting connections, parsing requests and answering them.
//!
//! Every request must carry the random 256-bit token in `Authorization` (compared in constant
//! time; 401 otherwise) and exactly one loopback `Host`, or for an absolute-form target a
//! loopback authority, which then is the host (RFC 9112 3.2.2; 400 or 403 otherwise, so a web
//! page that rebinds a DNS name to 127.0.0.1 cannot read credentials). Requests have no body
//! and small heads, which must arrive within 2 s. At most 128 connections are held; a new one
//! beyond that closes the oldest, so idle connections cannot lock a client out.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
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
use tokio::sync::oneshot;

use crate::error::core_exit_code;
use crate::output::rfc3339;

/// The path of the endpoint.
pub const PATH: &str = "/creds";
/// Request heads larger than this are refused (431) by hyper; the minimum it allows.
const MAX_HEAD_BYTES: usize = 8 * 1024;
const MAX_HEADERS: usize = 64;
/// A request head must be complete this long after the connection opened (or the previous
/// answer was sent); SDKs send theirs at once.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections held at once; one more closes the oldest.
const MAX_CONNECTIONS: usize = 128;

pub struct State {
    pub session: CrossAccountSession,
    pub token: SecretString,
}

/// The connections being served, oldest first, each with the means to close it.
#[derive(Default)]
struct Connections {
    next_id: u64,
    open: VecDeque<(u64, oneshot::Sender<()>)>,
}

impl Connections {
    /// Registers a new connection, closing the oldest when at the cap.
    fn admit(&mut self) -> (u64, oneshot::Receiver<()>) {
        if self.open.len() >= MAX_CONNECTIONS {
            if let Some((_, close)) = self.open.pop_front() {
                let _ = close.send(());
            }
        }
        let (tx, rx) = oneshot::channel();
        let id = self.next_id;
        self.next_id += 1;
        self.open.push_back((id, tx));
        (id, rx)
    }

    fn release(&mut self, id: u64) {
        if let Some(i) = self.open.iter().position(|(c, _)| *c == id) {
            self.open.remove(i);
        }
    }
}

/// Serves `v4` (and `v6`) in the background for the rest of the process.
pub fn spawn(v4: TcpListener, v6: Option<TcpListener>, state: Arc<State>) {
    let connections = Arc::new(Mutex::new(Connections::default()));
    for listener in std::iter::once(v4).chain(v6) {
        tokio::spawn(accept_loop(listener, state.clone(), connections.clone()));
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    connections: Arc<Mutex<Connections>>,
) {
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
        let Ok(mut open) = connections.lock() else {
            return;
        };
        let (id, closed) = open.admit();
        drop(open);
        let state = state.clone();
        let connections = connections.clone();
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
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                result = connection => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                _ = closed => tracing::debug!("closed the oldest connection to admit a new one"),
            }
            if let Ok(mut open) = connections.lock() {
                open.release(id);
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
    if let Some(refusal) = host_refusal(req) {
        return refusal;
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
            let status = if core_exit_code(&err) == crate::error::EXIT_UNAVAILABLE {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            tracing::warn!(error = %err, "no credentials to serve");
            error(status, err.kind().as_str(), &err.to_string())
        }
    }
}

/// The answer to a request whose host is not acceptable, `None` if it is: exactly one Host
/// header, and the effective host loopback, which is the target's authority when the target is
/// in absolute form (RFC 9112 3.2.2), else the Host header.
fn host_refusal(req: &Request<Incoming>) -> Option<Response<Full<Bytes>>> {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "a request needs exactly one Host header",
        ));
    };
    let effective = match req.uri().authority() {
        Some(_) if req.uri().scheme_str() != Some("http") => {
            return Some(error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "an absolute-form target must be http://",
            ))
        }
        Some(authority) => Some(authority.as_str()),
        None => host.to_str().ok(),
    };
    if effective.is_some_and(is_loopback_host) {
        None
    } else {
        Some(error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the Host header (or the authority of an absolute-form target) must be 127.0.0.1, localhost or [::1]",
        ))
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
    }
}
