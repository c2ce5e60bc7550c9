//! A bounded load test of `serve`: 50,000 requests from 64 concurrent keep-alive clients, across
//! forced credential refreshes, with zero errors; prints p50, p99 and the maximum latency (run
//! with `--nocapture` to see them).
//!
//! Forcing refreshes from outside: the loopback STS double issues credentials that live 31 s,
//! so with the 30 s mandatory margin each generation is usable for about one second and the
//! endpoint's session refreshes about once a second during the run. No test hook in the binary.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const CLIENTS: usize = 64;
const REQUESTS: usize = 50_000;

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: Vec<String>,
    keys: std::collections::BTreeSet<String>,
}

/// One keep-alive connection sending `n` requests one after the other.
async fn client(port: u16, token: String, n: usize) -> Tally {
    let mut tally = Tally::default();
    let request =
        format!("GET /creds HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\n\r\n");
    let mut conn: Option<BufReader<TcpStream>> = None;
    for _ in 0..n {
        let started = Instant::now();
        if conn.is_none() {
            match TcpStream::connect(("127.0.0.1", port)).await {
                Ok(s) => conn = Some(BufReader::new(s)),
                Err(e) => {
                    tally.errors.push(format!("connect: {e}"));
                    continue;
                }
            }
        }
        let stream = conn.as_mut().unwrap();
        match exchange(stream, &request).await {
            Ok((200, body)) => {
                tally.latencies.push(started.elapsed());
                match access_key_id(&body) {
                    Some(key) => {
                        if !tally.keys.contains(key) {
                            tally.keys.insert(key.to_string());
                        }
                    }
                    None => tally.errors.push(format!("no AccessKeyId in {body}")),
                }
            }
            Ok((status, body)) => {
                tally.errors.push(format!("HTTP {status}: {body}"));
                conn = None;
            }
            Err(e) => {
                tally.errors.push(format!("I/O: {e}"));
                conn = None;
            }
        }
    }
    tally
}

async fn exchange(
    stream: &mut BufReader<TcpStream>,
    request: &str,
) -> std::io::Result<(u16, String)> {
    stream.get_mut().write_all(request.as_bytes()).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut length = None;
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::other("closed inside the head"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let length = length.ok_or_else(|| std::io::Error::other("no Content-Length"))?;
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn access_key_id(body: &str) -> Option<&str> {
    let rest = body.split("\"AccessKeyId\":\"").nth(1)?;
    rest.split('"').next()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[test]
fn fifty_thousand_requests_from_64_clients_across_refreshes() {
    let sts = FakeSts::start(Mode::Ok {
        lifetime: 31,
        delay: Duration::ZERO,
    });
    let cli = Cli::new(Some(&sts));
    let served = Served::start(&cli, &[]);
    let (port, token) = (served.port, served.token.clone());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let calls_before = sts.assume_calls().len();
    let started = Instant::now();
    let tallies: Vec<Tally> = rt.block_on(async {
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let n = REQUESTS / CLIENTS + usize::from(i < REQUESTS % CLIENTS);
                tokio::spawn(client(port, token.clone(), n))
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    let elapsed = started.elapsed();
    let refreshes = sts.assume_calls().len() - calls_before;

    served.stop();

    let mut latencies: Vec<Duration> = tallies
        .iter()
        .flat_map(|t| t.latencies.iter().copied())
        .collect();
    let errors: Vec<&String> = tallies.iter().flat_map(|t| t.errors.iter()).collect();
    let keys: std::collections::BTreeSet<&String> =
        tallies.iter().flat_map(|t| t.keys.iter()).collect();
    latencies.sort();
    let (p50, p99, max) = (
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        *latencies.last().unwrap(),
    );
    eprintln!(
        "serve load: {} requests from {CLIENTS} keep-alive clients in {:.2} s ({:.0} req/s), {} errors; \
         p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; {refreshes} refreshes, {} credential generations served",
        latencies.len() + errors.len(),
        elapsed.as_secs_f64(),
        REQUESTS as f64 / elapsed.as_secs_f64(),
        errors.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
        keys.len(),
    );
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(latencies.len(), REQUESTS);
    assert!(
        refreshes >= 1 && keys.len() >= 2,
        "the run spanned a refresh: {refreshes} refreshes, {} generations",
        keys.len()
    );
}
