//! The in-process STS: an HTTP connector that speaks the real wire format, so the SDK and the
//! session's STS adapter run unchanged above it, scripted call by call.

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
use aws_smithy_types::retry::RetryConfig;

pub use crate::wire::Form;
use crate::wire::{assume_role_xml, error_xml, parse_form, signing_key, Issued};
use crate::{SENTINEL_SECRET, SENTINEL_TOKEN};

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
    /// Credentials valid for `lifetime_secs`, at once.
    pub fn ok(lifetime_secs: u64) -> Reply {
        Reply::Ok {
            lifetime: Duration::from_secs(lifetime_secs),
            delay: Duration::ZERO,
        }
    }

    /// Credentials valid for `lifetime_secs`, after `delay`.
    pub fn ok_after(lifetime_secs: u64, delay: Duration) -> Reply {
        Reply::Ok {
            lifetime: Duration::from_secs(lifetime_secs),
            delay,
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

type Script = dyn Fn(&Form, u64) -> Reply + Send + Sync;

/// The in-process STS. Counts calls and records every form field it was sent.
#[derive(Clone)]
pub struct StsDouble {
    inner: Arc<DoubleInner>,
}

struct DoubleInner {
    calls: AtomicU64,
    script: Mutex<Arc<Script>>,
    requests: Mutex<Vec<Form>>,
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
    /// Answers call `n` (from 0) with `script(n)`; expirations are read from `time`.
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

    /// Always issues credentials of this lifetime, each after `delay`.
    pub fn issuing_after(
        time: impl TimeSource + 'static,
        lifetime_secs: u64,
        delay: Duration,
    ) -> Self {
        Self::new(time, move |_| Reply::ok_after(lifetime_secs, delay))
    }

    /// Replaces the script; the call counter keeps counting.
    pub fn set_script(&self, script: impl Fn(u64) -> Reply + Send + Sync + 'static) {
        *self.inner.script.lock().unwrap() = Arc::new(move |_: &Form, n| script(n));
    }

    /// Replaces the script with one that answers every call with `reply`.
    pub fn always(&self, reply: Reply) {
        self.set_script(move |_| reply.clone());
    }

    /// Replaces the script with one that also sees the request's form fields (role ARN,
    /// external ID, ...), for roles whose trust policy the double plays.
    pub fn set_form_script(&self, script: impl Fn(&Form, u64) -> Reply + Send + Sync + 'static) {
        *self.inner.script.lock().unwrap() = Arc::new(script);
    }

    pub fn calls(&self) -> u64 {
        self.inner.calls.load(Ordering::SeqCst)
    }

    /// The form fields of every recorded request, plus `_signed_by`: the signing access key.
    pub fn requests(&self) -> Vec<Form> {
        self.inner.requests.lock().unwrap().clone()
    }

    /// Stops (or resumes) keeping each request's form fields; the call counter keeps counting.
    pub fn set_recording(&self, on: bool) {
        self.inner.recording.store(on, Ordering::SeqCst);
    }

    /// An `SdkConfig` whose HTTP client is this double: static source credentials, us-east-1,
    /// SDK retries off (the session's own backoff is what is under test), the double's time.
    pub fn sdk_config(&self) -> SdkConfig {
        let connector = SharedHttpConnector::new(self.clone());
        static_source_config("AKIDSOURCE", "source-secret-not-a-sentinel")
            .into_builder()
            .http_client(http_client_fn(move |_, _| connector.clone()))
            .retry_config(RetryConfig::disabled())
            .time_source(self.inner.time.clone())
            .build()
    }
}

/// us-east-1, the latest behaviour version, tokio sleeps and these static source credentials:
/// what every test config starts from.
pub(crate) fn static_source_config(access_key_id: &str, secret: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            access_key_id,
            secret,
            None,
            None,
            "test",
        )))
        .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
        .build()
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
        if let Some(key) = request.headers().get("authorization").and_then(signing_key) {
            form.insert("_signed_by".into(), vec![key.to_string()]);
        }
        let caller_identity = crate::wire::field(&form, "Action") == Some("GetCallerIdentity");
        let n = self.inner.calls.fetch_add(1, Ordering::SeqCst);
        let script = self.inner.script.lock().unwrap().clone();
        let reply = script(&form, n);
        if self.inner.recording.load(Ordering::SeqCst) {
            self.inner.requests.lock().unwrap().push(form);
        }
        let time = self.inner.time.clone();
        HttpConnectorFuture::new(async move {
            if caller_identity {
                return Ok(caller_identity_answer(time.now()));
            }
            answer(reply, n, &time).await
        })
    }
}

async fn answer(
    reply: Reply,
    n: u64,
    time: &SharedTimeSource,
) -> Result<Response<SdkBody>, ConnectorError> {
    let request_id = format!("req-{n}");
    match reply {
        Reply::Ok { lifetime, delay } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            Ok(xml(200, issued(n, time.now() + lifetime)))
        }
        Reply::Expired => Ok(xml(200, issued(n, time.now() - Duration::from_secs(60)))),
        Reply::Error {
            status,
            code,
            message,
        } => Ok(xml(status, error_xml(code, message, &request_id))),
        Reply::Bare403 => Ok(xml(
            403,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User is not authorized</Message></Error></Errors></ErrorResponse>".to_string(),
        )),
        Reply::Status(status) => Ok(xml(status, String::new())),
        Reply::Malformed => Ok(xml(
            200,
            "<AssumeRoleResponse><AssumeRoleResult><Credentials>".to_string(),
        )),
        Reply::Empty200 => Ok(xml(200, String::new())),
        Reply::ConnectionError => Err(io_error(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        )),
        Reply::Refused => Err(io_error(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        )),
        Reply::ResetMidBody => {
            let whole = issued(n, time.now() + Duration::from_secs(3600));
            let cut = whole.find("<SessionToken>").unwrap_or(whole.len() / 2);
            Ok(reset_after(200, whole[..cut].to_string()))
        }
        Reply::Hang => std::future::pending().await,
    }
}

fn io_error(kind: std::io::ErrorKind, what: &str) -> ConnectorError {
    ConnectorError::io(Box::new(std::io::Error::new(kind, what.to_string())))
}

/// Call `n`'s credentials: sentinel secrets with the call number, so each call's are distinct.
fn issued(n: u64, expiration: SystemTime) -> String {
    assume_role_xml(&Issued {
        access_key_id: &format!("ASIADOUBLE{n:08}"),
        secret_access_key: &format!("{SENTINEL_SECRET}-{n}"),
        session_token: &format!("{SENTINEL_TOKEN}-{n}"),
        expiration,
        assumed_role_arn: "arn:aws:sts::123456789012:assumed-role/DemoRole/test",
        assumed_role_id: "AROADOUBLE:test",
        request_id: &format!("req-{n}"),
    })
}

const CALLER_IDENTITY: &str = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/partner</Arn><UserId>AIDAPARTNER</UserId><Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>";

/// The partner's identity, from a server whose clock is 10 minutes ahead of ours.
fn caller_identity_answer(now: SystemTime) -> Response<SdkBody> {
    let mut resp = xml(200, CALLER_IDENTITY.to_string());
    let ahead = aws_smithy_types::DateTime::from(now + Duration::from_secs(600))
        .fmt(aws_smithy_types::date_time::Format::HttpDate)
        .expect("an HTTP date");
    resp.headers_mut().insert("date", ahead);
    resp
}

fn xml(status: u16, body: String) -> Response<SdkBody> {
    let request_id = body
        .split("<RequestId>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .map(str::to_string);
    // Streamed like a real connection's body, which the SDK's own trace log cannot print.
    let streamed = SdkBody::from_body_1_x(http_body_util::Full::new(bytes::Bytes::from(body)));
    let mut resp = Response::new(StatusCode::try_from(status).expect("HTTP status"), streamed);
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
        StatusCode::try_from(status).expect("HTTP status"),
        SdkBody::from_body_1_x(body),
    );
    resp.headers_mut().insert("content-type", "text/xml");
    resp
}
