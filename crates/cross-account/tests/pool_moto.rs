//! `CrossAccountPool` end to end against moto with IAM auth on (run under
//! `scripts/with-local-sts`): 1000 tenant roles, each trusting the partner with its own
//! external ID, warmed through one pool; a wrong external ID is refused and quarantined; and
//! `verify` reports moto's roles unsafe, since moto does not enforce a missing external ID.
//! Fails rather than skips under CI=true.

use std::path::Path;
use std::process::Command;

use cross_account::{
    CrossAccountPool, ErrorKind, SessionOptions, VerifyCheckKind, VerifyOutcome, VerifyVerdict,
};
use cross_account_test_support::verify_outcomes;

const TENANTS: usize = 1000;

fn tenants() -> Option<Vec<SessionOptions>> {
    let scenario = cross_account_test_support::scenario()?;
    let state_dir = scenario.state_dir();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/support/local_sts.py");
    let out = Command::new("python3")
        .arg(script)
        .args([
            "setup-tenants",
            "--prefix",
            "RustPoolTenant",
            "--count",
            &TENANTS.to_string(),
        ])
        .arg("--state-dir")
        .arg(state_dir)
        .output()
        .expect("run tests/support/local_sts.py");
    assert!(
        out.status.success(),
        "setup-tenants: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    Some(
        list.iter()
            .map(|t| SessionOptions {
                external_id: Some(t["external_id"].as_str().unwrap().to_string()),
                session_name: Some("pool-e2e".into()),
                ..SessionOptions::new(t["role_arn"].as_str().unwrap())
            })
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tenants_through_one_pool() {
    let Some(tenants) = tenants() else { return };
    assert_eq!(tenants.len(), TENANTS);
    // Source credentials and endpoint from the environment (the partner's, moto's).
    let pool = CrossAccountPool::builder()
        .sts_rate_limit(200.0, 20)
        .max_in_flight(16)
        .build()
        .unwrap();
    let results = pool.prefetch(tenants.clone()).await;
    for (t, r) in tenants.iter().zip(&results) {
        let creds = r.as_ref().unwrap_or_else(|e| panic!("{}: {e}", t.role_arn));
        let name = t.role_arn.rsplit('/').next().unwrap();
        assert!(
            creds
                .assumed_role_arn()
                .contains(&format!("assumed-role/{name}/")),
            "{}",
            creds.assumed_role_arn()
        );
    }
    let stats = pool.stats();
    assert_eq!(
        (stats.sts_calls, stats.issued, stats.sessions),
        (TENANTS as u64, TENANTS as u64, TENANTS as u64)
    );
    // Hits cost nothing.
    for t in tenants.iter().take(100) {
        pool.credentials(t).await.unwrap();
    }
    assert_eq!(pool.stats().sts_calls, TENANTS as u64);

    // Another tenant's external ID is refused, then quarantined: no second call.
    let wrong = SessionOptions {
        external_id: tenants[1].external_id.clone(),
        ..tenants[0].clone()
    };
    assert_eq!(
        pool.credentials(&wrong).await.unwrap_err().kind(),
        ErrorKind::AccessDenied
    );
    assert_eq!(
        pool.credentials(&wrong).await.unwrap_err().kind(),
        ErrorKind::AccessDenied
    );
    let stats = pool.stats();
    assert_eq!(
        (stats.sts_calls, stats.quarantined),
        (TENANTS as u64 + 1, 1)
    );

    // moto lets a call without an external ID through: the finding fires.
    let report = pool.verify(&tenants[2]).await.unwrap();
    assert_eq!(report.verdict(), VerifyVerdict::Unsafe, "{report:?}");
    assert_eq!(
        verify_outcomes(&report),
        [
            (VerifyCheckKind::AssumeWithExternalId, VerifyOutcome::Passed),
            (
                VerifyCheckKind::RefusesWithoutExternalId,
                VerifyOutcome::Failed
            ),
            (
                VerifyCheckKind::RefusesWrongExternalId,
                VerifyOutcome::Passed
            ),
            (VerifyCheckKind::AccountMatches, VerifyOutcome::Passed),
        ]
    );
}
