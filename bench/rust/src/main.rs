//! The Rust side of `bench/run`: `CrossAccountSession` next to what a Rust user would use
//! instead, aws-config's `AssumeRoleProvider` behind the SDK's own identity cache
//! (`IdentityCache::lazy()`), in one process, on the same `SdkConfig`.
//!
//! ```text
//! cross-account-bench rows [--repeats N] [--quick]      rows 1-5 over an in-process STS double
//! cross-account-bench moto-calls ours|sdk|direct --endpoint-url URL [--reads N]
//!                                                         row 2 against a real (loopback) STS
//! cross-account-bench rss ours|sdk                        row 10: RSS holding one session
//! ```
//!
//! Prints JSON on stdout (progress on stderr). `moto-calls` and `rss` read the scenario of
//! `scripts/with-local-sts` (`CROSS_ACCOUNT_TEST_SCENARIO`) and the partner's keys from the
//! environment.

mod args;
mod rows;
mod sdk;

use std::process::ExitCode;
use std::time::Duration;

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use cross_account::CrossAccountSession;
use cross_account_test_support::Scenario;
use serde_json::{json, Value};

use crate::sdk::SdkCache;

const USAGE: &str = "usage: cross-account-bench rows [--repeats N] [--quick]
       cross-account-bench moto-calls ours|sdk|direct --endpoint-url URL [--reads N]
       cross-account-bench rss ours|sdk";

fn main() -> ExitCode {
    let args = args::Args::from_env();
    let out = match args.word(0) {
        Some("rows") => {
            let plan = if args.has("--quick") {
                rows::Plan::quick()
            } else {
                rows::Plan::full(args.number("--repeats", 5))
            };
            json!({
                "repeats": plan.repeats,
                "hot_read_ns": rows::hot_read(&plan),
                "sts_calls": rows::sts_calls(&plan),
                "reads_per_second": rows::throughput(&plan),
                "cold_start": rows::cold_start(&plan),
                "during_refresh": rows::during_refresh(&plan),
            })
        }
        Some("moto-calls") => {
            let (Some(which), Some(endpoint)) = (args.word(1), args.flag("--endpoint-url")) else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            let reads = args.number("--reads", 100);
            rows::two_workers().block_on(moto_calls(which, &endpoint, reads))
        }
        Some("rss") => {
            let Some(which) = args.word(1) else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(rss(which))
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
    ExitCode::SUCCESS
}

/// The SDK's default config (source credentials from the environment) for this endpoint.
async fn default_config(scenario: &Scenario, endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(scenario.region.clone()))
        .endpoint_url(endpoint)
        .load()
        .await
}

async fn anchor_provider(scenario: &Scenario, config: &SdkConfig) -> AssumeRoleProvider {
    AssumeRoleProvider::builder(&scenario.role_arn)
        .external_id(&scenario.external_id)
        .session_name("bench-sdk")
        .session_length(Duration::from_secs(900))
        .configure(config)
        .build()
        .await
}

/// `reads` reads of one side against the given (counting) endpoint.
async fn moto_calls(which: &str, endpoint: &str, reads: u32) -> Value {
    let scenario = Scenario::required();
    let config = default_config(&scenario, endpoint).await;
    let own_count = match which {
        "ours" => {
            let session = CrossAccountSession::builder()
                .role_arn(&scenario.role_arn)
                .external_id(&scenario.external_id)
                .session_name("bench-ours")
                .duration(Duration::from_secs(900))
                .sdk_config(&config)
                .build()
                .unwrap();
            for _ in 0..reads {
                session.credentials().await.unwrap();
            }
            Some(session.status().sts_calls)
        }
        "sdk" => {
            let sdk = SdkCache::new(&config, anchor_provider(&scenario, &config).await).await;
            for _ in 0..reads {
                sdk.read().await.unwrap();
            }
            None
        }
        "direct" => {
            let provider = anchor_provider(&scenario, &config).await;
            for _ in 0..reads {
                provider.provide_credentials().await.unwrap();
            }
            None
        }
        other => panic!("moto-calls: unknown side {other}"),
    };
    json!({ "side": which, "reads": reads, "own_count": own_count })
}

/// Resident memory of this process after it assumed the role once against the local STS and
/// holds the session (ours, as users build it) or the provider behind the SDK cache.
async fn rss(which: &str) -> Value {
    let scenario = Scenario::required();
    let endpoint = &scenario.endpoint_url;
    let held: Box<dyn std::any::Any> = match which {
        "ours" => {
            let session = CrossAccountSession::builder()
                .role_arn(&scenario.role_arn)
                .external_id(&scenario.external_id)
                .region(&scenario.region)
                .endpoint_url(endpoint)
                .build()
                .unwrap();
            session.credentials().await.unwrap();
            Box::new(session)
        }
        "sdk" => {
            let config = default_config(&scenario, endpoint).await;
            let sdk = SdkCache::new(&config, anchor_provider(&scenario, &config).await).await;
            sdk.read().await.unwrap();
            Box::new(sdk)
        }
        other => panic!("rss: unknown side {other}"),
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let out = json!({ "side": which, "rss_kib": kib("VmRSS:"), "hwm_kib": kib("VmHWM:") });
    drop(held);
    out
}
