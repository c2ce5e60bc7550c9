//! Tenants for the pool: each its own account, role and external ID.

use cross_account::SessionOptions;

/// Tenant `i` of a suite: role `Tenant{i}` in account `account_base + i`, external ID
/// `external-id-{i:05}`, session name `session_name`. Each suite takes its own `account_base`
/// so no two suites' tenants share a role.
pub fn tenant(account_base: u64, session_name: &str, i: usize) -> SessionOptions {
    SessionOptions {
        external_id: Some(format!("external-id-{i:05}")),
        session_name: Some(session_name.into()),
        ..SessionOptions::new(format!(
            "arn:aws:iam::{:012}:role/Tenant{i}",
            account_base + i as u64
        ))
    }
}
