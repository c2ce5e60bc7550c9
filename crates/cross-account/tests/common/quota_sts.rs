//! A fake STS on 127.0.0.1 that enforces a token-bucket quota the way STS does: calls over
//! the rate get HTTP 400 with STS's `Throttling` / `Rate exceeded` error document. It counts
//! calls, throttles, credentials issued per role (duplicates) and TCP connections, and can
//! play an outage (HTTP 503 for everybody). HTTP/1.1 with keep-alive, real sockets, real time:
//! the figures the pool is judged by (connections, duplicates) only exist on a real socket.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Counts {
    calls: AtomicU64,
    throttled: AtomicU64,
    unavailable: AtomicU64,
    connections: AtomicU64,
    open: AtomicU64,
    max_open: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

struct Inner {
    rate: f64,
    burst: f64,
    lifetime: Duration,
    latency: Duration,
    bucket: Mutex<Bucket>,
    counts: Counts,
    issued: Mutex<HashMap<String, u32>>,
    outage: AtomicBool,
    /// Outage calls per whole second since the start, for "probes per second".
    outage_calls: Mutex<HashMap<u64, u32>>,
    started: Instant,
}

/// The fake; dropping it does not stop the listener task (it ends with its runtime).
#[derive(Clone)]
pub struct QuotaSts {
    inner: Arc<Inner>,
    pub url: String,
}

fn bump_max(max: &AtomicU64, now: u64) {
    max.fetch_max(now, Ordering::SeqCst);
}

impl QuotaSts {
    /// Starts on an ephemeral loopback port, on the current runtime.
    pub async fn start(rate: f64, burst: u32, lifetime: Duration, latency: Duration) -> QuotaSts {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Inner {
            rate,
            burst: f64::from(burst),
            lifetime,
            latency,
            bucket: Mutex::new(Bucket {
                tokens: f64::from(burst),
                last: Instant::now(),
            }),
            counts: Counts::default(),
            issued: Mutex::new(HashMap::new()),
            outage: AtomicBool::new(false),
            outage_calls: Mutex::new(HashMap::new()),
            started: Instant::now(),
        });
        let serving = inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let inner = serving.clone();
                tokio::spawn(async move { serve(inner, stream).await });
            }
        });
        QuotaSts {
            inner,
            url: format!("http://{addr}"),
        }
    }

    /// The counts as one JSON object (what `GET /_stats` answers).
    pub fn stats_json(&self) -> String {
        stats_json(&self.inner)
    }

    pub fn set_outage(&self, on: bool) {
        self.inner.outage.store(on, Ordering::SeqCst);
    }

    pub fn calls(&self) -> u64 {
        self.inner.counts.calls.load(Ordering::SeqCst)
    }
    pub fn throttled(&self) -> u64 {
        self.inner.counts.throttled.load(Ordering::SeqCst)
    }
    pub fn unavailable(&self) -> u64 {
        self.inner.counts.unavailable.load(Ordering::SeqCst)
    }
    /// TCP connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.inner.counts.connections.load(Ordering::SeqCst)
    }
    /// The most connections open at once.
    pub fn max_open(&self) -> u64 {
        self.inner.counts.max_open.load(Ordering::SeqCst)
    }
    /// The most requests being answered at once.
    pub fn max_in_flight(&self) -> u64 {
        self.inner.counts.max_in_flight.load(Ordering::SeqCst)
    }
    /// Roles that were issued credentials.
    pub fn issued_roles(&self) -> usize {
        self.inner.issued.lock().unwrap().len()
    }
    /// Credentials issued beyond the first, per role, summed.
    pub fn duplicates(&self) -> u64 {
        self.inner
            .issued
            .lock()
            .unwrap()
            .values()
            .map(|n| u64::from(n.saturating_sub(1)))
            .sum()
    }
    /// The most outage answers given in one second.
    pub fn peak_outage_calls_per_second(&self) -> u32 {
        self.inner
            .outage_calls
            .lock()
            .unwrap()
            .values()
            .copied()
            .max()
            .unwrap_or(0)
    }
}

async fn serve(inner: Arc<Inner>, mut stream: TcpStream) {
    let c = &inner.counts;
    c.connections.fetch_add(1, Ordering::SeqCst);
    let open = c.open.fetch_add(1, Ordering::SeqCst) + 1;
    bump_max(&c.max_open, open);
    let mut buf = Vec::with_capacity(4096);
    'conn: loop {
        // Read one request: headers, then Content-Length bytes of body.
        let (head_end, length) = loop {
            if let Some(pos) = find(&buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..pos]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (pos + 4, length);
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break 'conn,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break 'conn,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
        let request_line = String::from_utf8_lossy(&buf[..head_end])
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        buf.drain(..head_end + length);
        let (status, xml) = if let Some(reply) = control(&inner, &request_line) {
            ("200 OK", reply)
        } else {
            let flying = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            bump_max(&c.max_in_flight, flying);
            let answer = answer(&inner, &body).await;
            c.in_flight.fetch_sub(1, Ordering::SeqCst);
            answer
        };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nx-amzn-requestid: quota-{}\r\n\r\n{xml}",
            xml.len(),
            c.calls.load(Ordering::SeqCst)
        );
        if stream.write_all(response.as_bytes()).await.is_err() {
            break;
        }
    }
    c.open.fetch_sub(1, Ordering::SeqCst);
}

/// `GET /_stats` (JSON counts) and `POST /_outage/on|off`, for a fake in another process.
fn control(inner: &Inner, request_line: &str) -> Option<String> {
    let path = request_line.split_whitespace().nth(1)?;
    match path {
        "/_outage/on" => inner.outage.store(true, Ordering::SeqCst),
        "/_outage/off" => inner.outage.store(false, Ordering::SeqCst),
        "/_stats" => {}
        _ => return None,
    }
    Some(stats_json(inner))
}

fn stats_json(inner: &Inner) -> String {
    let c = &inner.counts;
    let issued = inner.issued.lock().unwrap();
    let duplicates: u64 = issued
        .values()
        .map(|n| u64::from(n.saturating_sub(1)))
        .sum();
    let peak = inner
        .outage_calls
        .lock()
        .unwrap()
        .values()
        .copied()
        .max()
        .unwrap_or(0);
    format!(
        "{{\"calls\":{},\"throttled\":{},\"unavailable\":{},\"connections\":{},\"max_open\":{},\"max_in_flight\":{},\"issued_roles\":{},\"duplicates\":{duplicates},\"peak_outage_calls_per_second\":{peak}}}",
        c.calls.load(Ordering::SeqCst),
        c.throttled.load(Ordering::SeqCst),
        c.unavailable.load(Ordering::SeqCst),
        c.connections.load(Ordering::SeqCst),
        c.max_open.load(Ordering::SeqCst),
        c.max_in_flight.load(Ordering::SeqCst),
        issued.len(),
    )
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.replace("%3A", ":").replace("%2F", "/"))
    })
}

async fn answer(inner: &Inner, body: &str) -> (&'static str, String) {
    let n = inner.counts.calls.fetch_add(1, Ordering::SeqCst);
    // The quota is judged on arrival, as STS does; the latency comes after.
    let (status, xml) = decide(inner, body, n);
    if !inner.latency.is_zero() {
        tokio::time::sleep(inner.latency).await;
    }
    (status, xml)
}

fn decide(inner: &Inner, body: &str, n: u64) -> (&'static str, String) {
    if inner.outage.load(Ordering::SeqCst) {
        inner.counts.unavailable.fetch_add(1, Ordering::SeqCst);
        let second = inner.started.elapsed().as_secs();
        *inner
            .outage_calls
            .lock()
            .unwrap()
            .entry(second)
            .or_default() += 1;
        return (
            "503 Service Unavailable",
            error_xml("ServiceUnavailable", "Service is unavailable", n),
        );
    }
    let allowed = {
        let mut b = inner.bucket.lock().unwrap();
        let now = Instant::now();
        b.tokens =
            (b.tokens + now.duration_since(b.last).as_secs_f64() * inner.rate).min(inner.burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    };
    if !allowed {
        inner.counts.throttled.fetch_add(1, Ordering::SeqCst);
        return (
            "400 Bad Request",
            error_xml("Throttling", "Rate exceeded", n),
        );
    }
    let role = form_value(body, "RoleArn").unwrap_or_default();
    *inner
        .issued
        .lock()
        .unwrap()
        .entry(role.clone())
        .or_default() += 1;
    let expiry = SystemTime::now() + inner.lifetime;
    let secs = expiry
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let when = aws_smithy_types::DateTime::from_secs(secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    let account = role.split(':').nth(4).unwrap_or("000000000000");
    let name = role.rsplit('/').next().unwrap_or("Role");
    (
        "200 OK",
        format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIAQUOTA{n:010}</AccessKeyId><SecretAccessKey>quota-secret-{n}</SecretAccessKey><SessionToken>quota-token-{n}</SessionToken><Expiration>{when}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::{account}:assumed-role/{name}/pool</Arn><AssumedRoleId>AROAQUOTA:pool</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>quota-{n}</RequestId></ResponseMetadata></AssumeRoleResponse>"
        ),
    )
}

fn error_xml(code: &str, message: &str, n: u64) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>quota-{n}</RequestId></ErrorResponse>"
    )
}

/// An `SdkConfig` that calls the fake with static source credentials and the SDK's default
/// HTTP client (so connections are real and countable).
pub fn sdk_config(url: &str) -> aws_config::SdkConfig {
    use aws_credential_types::provider::SharedCredentialsProvider;
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new(
                "AKIDQUOTA",
                "quota-source-secret",
                None,
                None,
                "quota",
            ),
        ))
        .sleep_impl(aws_smithy_async::rt::sleep::SharedAsyncSleep::new(
            aws_smithy_async::rt::sleep::TokioSleep::new(),
        ))
        .time_source(aws_smithy_async::time::SharedTimeSource::new(
            aws_smithy_async::time::SystemTimeSource::new(),
        ))
        .build()
}
