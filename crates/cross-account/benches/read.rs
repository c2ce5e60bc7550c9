//! Reads of fresh, cached credentials: single reader, and 2 / 8 / 64 concurrent threads and tasks.
//! `cargo bench -p cross-account --bench read`

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_async::time::SystemTimeSource;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use cross_account::CrossAccountSession;
use cross_account_test_support::runtimes::workers;
use cross_account_test_support::{StsDouble, EXTERNAL_ID, ROLE_ARN};

/// A session as users build it (system clock, so reads take the coarse-clock path) over the
/// in-process double, holding 12-hour credentials.
fn warm_session(rt: &tokio::runtime::Runtime) -> (CrossAccountSession, StsDouble) {
    rt.block_on(async {
        let double = StsDouble::issuing(SystemTimeSource::new(), 43200);
        let session = CrossAccountSession::builder()
            .role_arn(ROLE_ARN)
            .external_id(EXTERNAL_ID)
            .sdk_config(&double.sdk_config())
            .build()
            .unwrap();
        session.credentials().await.unwrap();
        (session, double)
    })
}

fn single_reader(c: &mut Criterion) {
    let rt = workers(2);
    let (session, double) = warm_session(&rt);
    let mut g = c.benchmark_group("hot_read");
    g.throughput(Throughput::Elements(1));
    g.bench_function("cached_credentials (sync)", |b| {
        b.iter(|| black_box(session.cached_credentials()))
    });
    g.bench_function("credentials().await", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(session.credentials().await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.bench_function("provide_credentials().await (SDK trait)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(session.provide_credentials().await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.finish();
    assert_eq!(
        double.calls(),
        1,
        "every read above was served from the cache"
    );
}

fn concurrent_readers(c: &mut Criterion) {
    let rt = workers(2);
    let (session, double) = warm_session(&rt);
    let mut g = c.benchmark_group("concurrent_read");
    g.measurement_time(Duration::from_secs(3));
    for readers in [2u64, 8, 64] {
        g.throughput(Throughput::Elements(readers));
        // Per element: the time for `readers` reads spread over that many threads.
        g.bench_function(format!("{readers} threads"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for _ in 0..readers {
                        let s = &session;
                        scope.spawn(move || {
                            for _ in 0..iters {
                                black_box(s.cached_credentials());
                            }
                        });
                    }
                });
                start.elapsed()
            })
        });
        g.bench_function(format!("{readers} tasks"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    let mut set = tokio::task::JoinSet::new();
                    for _ in 0..readers {
                        let s = session.clone();
                        set.spawn(async move {
                            for _ in 0..iters {
                                black_box(s.credentials().await.unwrap());
                            }
                        });
                    }
                    while set.join_next().await.is_some() {}
                    start.elapsed()
                })
            })
        });
    }
    g.finish();
    assert_eq!(double.calls(), 1);
}

criterion_group!(benches, single_reader, concurrent_readers);
criterion_main!(benches);
