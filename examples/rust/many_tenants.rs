//! A vendor with many customer accounts: one `CrossAccountPool` for every tenant role, within
//! one STS budget; the onboarding check of a new customer; the pool's counters.
//!
//! ```text
//! TENANTS_FILE=tenants.json cargo run -p cross-account-examples --bin many_tenants
//! ```
//! `tenants.json` is a list of `{"role_arn": ..., "external_id": ...}`. Source credentials,
//! region and endpoint come from the usual AWS environment and profiles.

use cross_account::{CrossAccountPool, SessionOptions, VerifyVerdict};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::var("TENANTS_FILE").map_err(|_| "set TENANTS_FILE")?;
    let list: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let tenants: Vec<SessionOptions> = list
        .iter()
        .map(|t| SessionOptions {
            external_id: t["external_id"].as_str().map(str::to_string),
            ..SessionOptions::new(t["role_arn"].as_str().unwrap_or_default())
        })
        .collect();

    // One host of a fleet of 4 sharing the account's ~600 calls/s: 100/s each leaves room for
    // the account's other STS callers.
    let pool = CrossAccountPool::builder()
        .sts_rate_limit(100.0, 10)
        .max_in_flight(16)
        .build()?;

    // Onboarding: does the customer's role refuse callers without the external ID?
    let report = pool.verify(&tenants[0]).await?;
    println!("verify {}: {}", report.role_arn, report.verdict().as_str());
    if report.verdict() != VerifyVerdict::Safe {
        for check in report.failures() {
            println!("  {}: {}", check.kind.as_str(), check.detail);
        }
    }

    // Warm every tenant at the budget's pace; one result each.
    let results = pool.prefetch(tenants.clone()).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    println!("warmed {ok} of {} tenants", tenants.len());
    for (tenant, result) in tenants.iter().zip(&results) {
        if let Err(err) = result {
            println!("  {}: {err}", tenant.role_arn);
        }
    }

    // Reads of warm tenants are lock-free and call nobody.
    let creds = pool.credentials(&tenants[tenants.len() - 1]).await?;
    println!("last tenant is {}", creds.assumed_role_arn());
    let stats = pool.stats();
    println!(
        "sts_calls={} throttled={} sessions={} in_flight={}",
        stats.sts_calls, stats.throttled, stats.sessions, stats.in_flight
    );
    if ok != tenants.len() {
        return Err("some tenants could not be warmed".into());
    }
    Ok(())
}
