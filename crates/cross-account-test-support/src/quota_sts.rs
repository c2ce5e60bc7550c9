//! A fake STS on 127.0.0.1 that enforces a token-bucket quota the way STS does: calls over
//! the rate get HTTP 400 with STS's `Throttling` / `Rate exceeded` error document. It counts
//! calls, throttles, credentials issued per role (duplicates) and TCP connections, and can
//! play an outage (HTTP 503 for everybody). HTTP/1.1 with keep-alive, real sockets, real time:
//! the figures the pool is judged by (connections, duplicates) only exist on a real socket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_config::SdkConfig;
use aws_smithy_async::time::{SharedTimeSource, SystemTimeSource};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::sts_double::static_source_config;
use crate::wire::{assume_role_xml, error_xml, field, parse_form, Issued};

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

/// What the fake has seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaStats {
    pub calls: u64,
    pub throttled: u64,
    pub unavailable: u64,
    /// TCP connections accepted.
    pub connections: u64,
    /// The most connections open at once.
    pub max_open: u64,
    /// The most requests being answered at once.
    pub max_in_flight: u64,
    /// Roles that were issued credentials.
    pub issued_roles: usize,
    /// Credentials issued beyond the first, per role, summed.
    pub duplicates: u64,
    /// The most outage answers given in one second.
    pub peak_outage_calls_per_second: u32,
}

impl QuotaStats {
    /// The counts as one JSON object (what `GET /_stats` answers).
    pub fn to_json(self) -> String {
        serde_json::json!({
            "calls": self.calls,
            "throttled": self.throttled,
            "unavailable": self.unavailable,
            "connections": self.connections,
            "max_open": self.max_open,
            "max_in_flight": self.max_in_flight,
            "issued_roles": self.issued_roles,
            "duplicates": self.duplicates,
            "peak_outage_calls_per_second": self.peak_outage_calls_per_second,
        })
        .to_string()
    }
}

/// The fake; dropping it does not stop the listener task (it ends with its runtime).
#[derive(Clone)]
pub struct QuotaSts {
    inner: Arc<Inner>,
    pub url: String,
}

impl QuotaSts {
    /// Starts on an ephemeral loopback port, on the current runtime: `rate` calls a second
    /// with bursts of `burst`, credentials of `lifetime`, each answer after `latency`.
    pub async fn start(rate: f64, burst: u32, lifetime: Duration, latency: Duration) -> QuotaSts {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("a bound address");
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

    pub fn stats(&self) -> QuotaStats {
        stats(&self.inner)
    }

    pub fn set_outage(&self, on: bool) {
        self.inner.outage.store(on, Ordering::SeqCst);
    }

    /// An `SdkConfig` that calls this fake.
    pub fn sdk_config(&self) -> SdkConfig {
        Self::sdk_config_at(&self.url)
    }

    /// An `SdkConfig` that calls the fake at `url` (perhaps in another process) with static
    /// source credentials and the SDK's default HTTP client, so connections are real and
    /// countable.
    pub fn sdk_config_at(url: &str) -> SdkConfig {
        static_source_config("AKIDQUOTA", "quota-source-secret")
            .into_builder()
            .endpoint_url(url)
            .time_source(SharedTimeSource::new(SystemTimeSource::new()))
            .build()
    }
}

fn stats(inner: &Inner) -> QuotaStats {
    let c = &inner.counts;
    let issued = inner.issued.lock().unwrap();
    let load = |n: &AtomicU64| n.load(Ordering::SeqCst);
    QuotaStats {
        calls: load(&c.calls),
        throttled: load(&c.throttled),
        unavailable: load(&c.unavailable),
        connections: load(&c.connections),
        max_open: load(&c.max_open),
        max_in_flight: load(&c.max_in_flight),
        issued_roles: issued.len(),
        duplicates: issued
            .values()
            .map(|n| u64::from(n.saturating_sub(1)))
            .sum(),
        peak_outage_calls_per_second: inner
            .outage_calls
            .lock()
            .unwrap()
            .values()
            .copied()
            .max()
            .unwrap_or(0),
    }
}

/// One more read into `buf`; false when the peer is gone.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

/// The end of the head and the body's length, once the whole head is in `buf`.
fn head(buf: &[u8]) -> Option<(usize, usize)> {
    let pos = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..pos]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    Some((pos + 4, length))
}

async fn serve(inner: Arc<Inner>, mut stream: TcpStream) {
    let c = &inner.counts;
    c.connections.fetch_add(1, Ordering::SeqCst);
    let open = c.open.fetch_add(1, Ordering::SeqCst) + 1;
    c.max_open.fetch_max(open, Ordering::SeqCst);
    let mut buf = Vec::with_capacity(4096);
    'conn: loop {
        // Read one request: headers, then Content-Length bytes of body.
        let (head_end, length) = loop {
            if let Some(found) = head(&buf) {
                break found;
            }
            if !read_more(&mut stream, &mut buf).await {
                break 'conn;
            }
        };
        while buf.len() < head_end + length {
            if !read_more(&mut stream, &mut buf).await {
                break 'conn;
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
            c.max_in_flight.fetch_max(flying, Ordering::SeqCst);
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
    Some(stats(inner).to_json())
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

/// Takes a token from the bucket if there is one.
fn admit(inner: &Inner) -> bool {
    let mut b = inner.bucket.lock().unwrap();
    let now = Instant::now();
    b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * inner.rate).min(inner.burst);
    b.last = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        true
    } else {
        false
    }
}

fn decide(inner: &Inner, body: &str, n: u64) -> (&'static str, String) {
    let request_id = format!("quota-{n}");
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
            error_xml("ServiceUnavailable", "Service is unavailable", &request_id),
        );
    }
    if !admit(inner) {
        inner.counts.throttled.fetch_add(1, Ordering::SeqCst);
        return (
            "400 Bad Request",
            error_xml("Throttling", "Rate exceeded", &request_id),
        );
    }
    let form = parse_form(body);
    let role = field(&form, "RoleArn").unwrap_or_default();
    *inner
        .issued
        .lock()
        .unwrap()
        .entry(role.to_string())
        .or_default() += 1;
    let account = role.split(':').nth(4).unwrap_or("000000000000");
    let name = role.rsplit('/').next().unwrap_or("Role");
    (
        "200 OK",
        assume_role_xml(&Issued {
            access_key_id: &format!("ASIAQUOTA{n:010}"),
            secret_access_key: &format!("quota-secret-{n}"),
            session_token: &format!("quota-token-{n}"),
            expiration: SystemTime::now() + inner.lifetime,
            assumed_role_arn: &format!("arn:aws:sts::{account}:assumed-role/{name}/pool"),
            assumed_role_id: "AROAQUOTA:pool",
            request_id: &request_id,
        }),
    )
}
