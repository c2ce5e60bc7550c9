//! Test support: a clock that follows tokio's paused time, and an in-process STS double that
//! speaks the real wire format, so the SDK and the `sts` adapter run unchanged above it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig as SdkRetryConfig;

pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/DemoRole";
pub const SENTINEL_SECRET: &str = "SENTINEL-SECRET-7d1f0c2e9b";
pub const SENTINEL_TOKEN: &str = "SENTINEL-TOKEN-4a8b6c1d3e";

/// Wall-clock time that advances exactly as tokio's (possibly paused) clock does.
#[derive(Debug, Clone)]
pub struct PausedTime {
    start_wall: SystemTime,
    start: tokio::time::Instant,
}

impl PausedTime {
    pub fn new() -> Self {
        PausedTime {
            start_wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            start: tokio::time::Instant::now(),
        }
    }
}

impl TimeSource for PausedTime {
    fn now(&self) -> SystemTime {
        self.start_wall + (tokio::time::Instant::now() - self.start)
    }
}

/// What the double answers to one call.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Credentials valid for this long (from the double's clock), after an optional delay.
    Ok { lifetime: Duration, delay: Duration },
    /// Credentials whose expiration is already past (clock skew).
    Expired,
    /// An STS error document with this HTTP status and code.
    Error {
        status: u16,
        code: &'static str,
        message: &'static str,
    },
    /// moto's style: nested `<Errors><Error>`, so the SDK sees no code.
    Bare403,
    /// A status with an empty body.
    Status(u16),
    /// HTTP 200 with a body that is not XML.
    Malformed,
    /// HTTP 200 with an empty body.
    Empty200,
    /// Connection refused / reset.
    ConnectionError,
    /// The TCP connection is refused before anything is sent (nothing listens on the port).
    Refused,
    /// HTTP 200 and the first part of a real answer, up to and including the secret access key,
    /// then the body stream fails: the connection was reset mid-body.
    ResetMidBody,
    /// Never answers (the client's timeout must fire).
    Hang,
}

impl Reply {
    pub fn ok(lifetime_secs: u64) -> Reply {
        Reply::Ok {
            lifetime: Duration::from_secs(lifetime_secs),
            delay: Duration::ZERO,
        }
    }
    pub fn throttle() -> Reply {
        Reply::Error {
            status: 400,
            code: "Throttling",
            message: "Rate exceeded",
        }
    }
    pub fn access_denied() -> Reply {
        Reply::Error {
            status: 403,
            code: "AccessDenied",
            message: "User: arn:aws:iam::111111111111:user/partner is not authorized to perform: sts:AssumeRole",
        }
    }
}

/// The form fields of one request, as the double parsed them.
pub type Form = HashMap<String, Vec<String>>;

type Script = dyn Fn(&Form, u64) -> Reply + Send + Sync;

/// The in-process STS. Counts calls and records every form field it was sent.
#[derive(Clone)]
pub struct StsDouble {
    inner: Arc<DoubleInner>,
}

struct DoubleInner {
    calls: AtomicU64,
    script: Mutex<Arc<Script>>,
    requests: Mutex<Vec<HashMap<String, Vec<String>>>>,
    /// Whether `requests` keeps every call (off for soak tests, whose heap must stay flat).
    recording: AtomicBool,
    time: SharedTimeSource,
}

impl std::fmt::Debug for StsDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StsDouble")
    }
}

impl StsDouble {
    pub fn new(
        time: impl TimeSource + 'static,
        script: impl Fn(u64) -> Reply + Send + Sync + 'static,
    ) -> Self {
        StsDouble {
            inner: Arc::new(DoubleInner {
                calls: AtomicU64::new(0),
                script: Mutex::new(Arc::new(move |_: &Form, n| script(n))),
                requests: Mutex::new(Vec::new()),
                recording: AtomicBool::new(true),
                time: SharedTimeSource::new(time),
            }),
        }
    }

    /// Always issues credentials of this lifetime.
    pub fn issuing(time: impl TimeSource + 'static, lifetime_secs: u64) -> Self {
        Self::new(time, move |_| Reply::ok(lifetime_secs))
    }

    /// Replaces the script; the call counter keeps counting.
    pub fn set_script(&self, script: impl Fn(u64) -> Reply + Send + Sync + 'static) {
        *self.inner.script.lock().unwrap() = Arc::new(move |_: &Form, n| script(n));
    }

    /// Replaces the script with one that also sees the request's form fields (role ARN,
    /// external ID, ...), for roles whose trust policy the double plays.
    pub fn set_form_script(&self, script: impl Fn(&Form, u64) -> Reply + Send + Sync + 'static) {
        *self.inner.script.lock().unwrap() = Arc::new(script);
    }

    pub fn calls(&self) -> u64 {
        self.inner.calls.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<HashMap<String, Vec<String>>> {
        self.inner.requests.lock().unwrap().clone()
    }

    /// Stops (or resumes) keeping each request's form fields; the call counter keeps counting.
    pub fn set_recording(&self, on: bool) {
        self.inner.recording.store(on, Ordering::SeqCst);
    }

    /// An `SdkConfig` whose HTTP client is this double: static source credentials, us-east-1,
    /// SDK retries off (the session's own backoff is what is under test), paused-clock time.
    pub fn sdk_config(&self) -> SdkConfig {
        let connector = SharedHttpConnector::new(self.clone());
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDSOURCE",
                "source-secret-not-a-sentinel",
                None,
                None,
                "test",
            )))
            .http_client(http_client_fn(move |_, _| connector.clone()))
            .retry_config(SdkRetryConfig::disabled())
            .time_source(self.inner.time.clone())
            .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
            .build()
    }
}

impl HttpConnector for StsDouble {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).to_string())
            .unwrap_or_default();
        let mut form = parse_form(&body);
        // Which access key signed the call: lets chaining tests see whose credentials were used.
        if let Some(auth) = request.headers().get("authorization") {
            if let Some(key) = auth
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split('/').next())
            {
                form.insert("_signed_by".into(), vec![key.to_string()]);
            }
        }
        let action = form
            .get("Action")
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default();
        let n = self.inner.calls.fetch_add(1, Ordering::SeqCst);
        let script = self.inner.script.lock().unwrap().clone();
        let reply = script(&form, n);
        if self.inner.recording.load(Ordering::SeqCst) {
            self.inner.requests.lock().unwrap().push(form);
        }
        let time = self.inner.time.clone();
        HttpConnectorFuture::new(async move {
            if action == "GetCallerIdentity" {
                let mut resp = xml(200, CALLER_IDENTITY.to_string());
                // A server clock 10 minutes ahead of ours.
                let ahead = aws_smithy_types::DateTime::from(time.now() + Duration::from_secs(600))
                    .fmt(aws_smithy_types::date_time::Format::HttpDate)
                    .unwrap();
                resp.headers_mut().insert("date", ahead);
                return Ok(resp);
            }
            match reply {
                Reply::Ok { lifetime, delay } => {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let expiry = time.now() + lifetime;
                    Ok(xml(200, assume_role_xml(n, expiry)))
                }
                Reply::Expired => {
                    let expiry = time.now() - Duration::from_secs(60);
                    Ok(xml(200, assume_role_xml(n, expiry)))
                }
                Reply::Error { status, code, message } => Ok(xml(
                    status,
                    format!(
                        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>req-{n}</RequestId></ErrorResponse>"
                    ),
                )),
                Reply::Bare403 => Ok(xml(
                    403,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User is not authorized</Message></Error></Errors></ErrorResponse>".to_string(),
                )),
                Reply::Status(status) => Ok(xml(status, String::new())),
                Reply::Malformed => Ok(xml(200, "<AssumeRoleResponse><AssumeRoleResult><Credentials>".to_string())),
                Reply::Empty200 => Ok(xml(200, String::new())),
                Reply::ConnectionError => Err(ConnectorError::io(Box::new(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset by peer",
                )))),
                Reply::Refused => Err(ConnectorError::io(Box::new(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "connection refused",
                )))),
                Reply::ResetMidBody => {
                    let whole = assume_role_xml(n, time.now() + Duration::from_secs(3600));
                    let cut = whole.find("<SessionToken>").unwrap_or(whole.len() / 2);
                    Ok(reset_after(200, whole[..cut].to_string()))
                }
                Reply::Hang => {
                    std::future::pending::<()>().await;
                    unreachable!()
                }
            }
        })
    }
}

const CALLER_IDENTITY: &str = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/partner</Arn><UserId>AIDAPARTNER</UserId><Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>";

fn xml(status: u16, body: String) -> Response<SdkBody> {
    let request_id = body
        .split("<RequestId>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .map(str::to_string);
    // Streamed like a real connection's body, which the SDK's own trace log cannot print.
    let streamed = SdkBody::from_body_1_x(http_body_util::Full::new(bytes::Bytes::from(body)));
    let mut resp = Response::new(StatusCode::try_from(status).unwrap(), streamed);
    resp.headers_mut().insert("content-type", "text/xml");
    if let Some(id) = request_id {
        resp.headers_mut().insert("x-amzn-requestid", id);
    }
    resp
}

/// A response whose body yields `sent`, then fails as a reset connection does.
fn reset_after(status: u16, sent: String) -> Response<SdkBody> {
    use http_body_util::BodyExt;
    type BoxError = Box<dyn std::error::Error + Send + Sync>;
    let body = http_body_util::Full::new(bytes::Bytes::from(sent))
        .map_err(|never: std::convert::Infallible| -> BoxError { match never {} })
        .with_trailers(async {
            let reset: BoxError = Box::new(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            ));
            Some(Err(reset))
        });
    let mut resp = Response::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from_body_1_x(body),
    );
    resp.headers_mut().insert("content-type", "text/xml");
    resp
}

fn assume_role_xml(n: u64, expiry: SystemTime) -> String {
    let secs = expiry
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let when = aws_smithy_types::DateTime::from_secs(secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIADOUBLE{n:08}</AccessKeyId><SecretAccessKey>{SENTINEL_SECRET}-{n}</SecretAccessKey><SessionToken>{SENTINEL_TOKEN}-{n}</SessionToken><Expiration>{when}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/DemoRole/test</Arn><AssumedRoleId>AROADOUBLE:test</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>req-{n}</RequestId></ResponseMetadata></AssumeRoleResponse>"
    )
}

fn parse_form(body: &str) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(decode(k)).or_default().push(decode(v));
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// A session over the double with the paused clock.
pub fn session_builder(
    double: &StsDouble,
    time: &PausedTime,
) -> cross_account::CrossAccountSessionBuilder {
    let builder = cross_account::CrossAccountSession::builder()
        .role_arn(ROLE_ARN)
        .external_id("ExternalId123")
        .session_name("test-session")
        .sdk_config(&double.sdk_config())
        .time_source(time.clone())
        .sleep_impl(TokioSleep::new());
    // A paused clock belongs to the test's runtime, so the STS calls must run there too.
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => builder.runtime_handle(handle),
        Err(_) => builder,
    }
}
