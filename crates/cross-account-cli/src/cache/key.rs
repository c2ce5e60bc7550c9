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

/// Hex SHA-256 of what selects the credentials: the core's options in their canonical form (every AssumeRole parameter
/// and source setting, so a new one is in the key without a line here), the entry format and
/// the environment that changes the source. Each part is written as `name=length:value` so no
/// two different sets serialize alike. Secrets (the MFA code, secret keys, session tokens) are
/// never part of it, so the name reveals nothing.
pub fn key(resolved: &Resolved, env: impl Fn(&str) -> Option<String>) -> String {
    // Canonical: `--tag a=1 --tag b=2` and `--tag b=2 --tag a=1` share one entry.
    let options = crate::session::options(resolved).into_canonical().to_json();
    key_of(&[("options", &options)], env)
}

/// The same hash over other named parts: the entry of something that is not a role's
/// credentials (an MFA session, keyed by its device), with the same format and environment.
pub fn key_of(parts: &[(&str, &str)], env: impl Fn(&str) -> Option<String>) -> String {
    let mut text = String::new();
    let mut put = |name: &str, value: &str| {
        text.push_str(&format!("{name}={}:{value}\n", value.len()));
    };
    put("format", FORMAT);
    for (name, value) in parts {
        put(name, value);
    }
    for name in KEY_ENV {
        put(name, env(name).as_deref().unwrap_or(""));
    }
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
