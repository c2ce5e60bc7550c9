//! The name of a cache entry: a hash of everything that selects the credentials.

use sha2::{Digest, Sha256};

use crate::session::Resolved;

/// Bumped when the entry format or the key derivation changes.
pub const FORMAT: &str = "cross-account-credential-process-cache-v2";

/// The environment that changes which source credentials, region or endpoint are used, so two
/// different setups never share an entry. Names only non-secret variables.
const KEY_ENV: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
];

/// Hex SHA-256 of the parameters that select the credentials, each written as
/// `name=length:value` so no two different parameter sets serialize alike. Secrets (the MFA
/// code, secret keys, session tokens) are never part of it, so the name reveals nothing.
pub fn key(resolved: &Resolved, env: impl Fn(&str) -> Option<String>) -> String {
    let a = &resolved.args;
    let mut text = String::new();
    let mut put = |name: &str, value: &str| {
        text.push_str(&format!("{name}={}:{value}\n", value.len()));
    };
    put("format", FORMAT);
    put("role_arn", &a.role_arn);
    put("external_id", resolved.external_id.as_deref().unwrap_or(""));
    put("session_name", a.session_name.as_deref().unwrap_or(""));
    put(
        "duration",
        &a.duration
            .map(|d| d.as_secs().to_string())
            .unwrap_or_default(),
    );
    put("policy", resolved.policy.as_deref().unwrap_or(""));
    for arn in &a.policy_arn {
        put("policy_arn", arn);
    }
    for (k, v) in &a.tag {
        put("tag_key", k);
        put("tag_value", v);
    }
    for k in &a.transitive_tag_key {
        put("transitive_tag_key", k);
    }
    put(
        "source_identity",
        a.source_identity.as_deref().unwrap_or(""),
    );
    put("mfa_serial", a.mfa_serial.as_deref().unwrap_or(""));
    put("chain_role_arn", a.chain_role_arn.as_deref().unwrap_or(""));
    put(
        "chain_external_id",
        a.chain_external_id.as_deref().unwrap_or(""),
    );
    put("region", a.region.as_deref().unwrap_or(""));
    put("endpoint_url", a.endpoint_url.as_deref().unwrap_or(""));
    put("profile", a.profile.as_deref().unwrap_or(""));
    for name in KEY_ENV {
        put(name, env(name).as_deref().unwrap_or(""));
    }
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
