//! The `credential-process` cache: one 0600 JSON entry per parameter set in a 0700 directory,
//! replaced atomically, with an advisory lock so parallel invocations share one STS call.
//!
//! - `dir`: finding and opening the directory safely, reading entries and locks through it;
//! - `key`: the entry's name, a hash of the non-secret parameters;
//! - `policy`: how long an entry is handed out (`--window`).
//!
//! The entry *content* holds the secrets (that is its purpose, hence 0600 in a 0700 directory)
//! and its own key, compared on read, so an entry copied onto another name is not served.

mod dir;
pub mod key;
pub mod policy;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use cross_account::secrecy::ExposeSecret;
use cross_account::TemporaryCredentials;
use serde_json::json;

use crate::error::CliError;
use crate::output::{parse_rfc3339, rfc3339};
use crate::session::Resolved;

pub use key::FORMAT;
pub use policy::{reusable, DEFAULT_WINDOW};

/// How long to wait for another invocation's STS call before going it alone.
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);
/// Cache files are tiny; anything bigger is not ours.
const MAX_ENTRY: u64 = 64 * 1024;
/// Test hook: sleep this many milliseconds between writing the temporary file and renaming it,
/// so a test can kill a writer mid-update. Not a user-facing setting.
const STALL_ENV: &str = "CROSS_ACCOUNT_TEST_STALL_BEFORE_RENAME_MS";

pub struct Cache {
    dir: dir::Dir,
    key: String,
    window: Duration,
    euid: u32,
}

/// Held while this invocation may call STS and write the entry; released on drop (and by the
/// kernel if the process dies).
pub struct Lock(#[allow(dead_code)] std::fs::File);

impl Cache {
    /// The cache directory, created 0700 if missing, refused (with the reason) if others can
    /// get into it or change the way to it. `window`: see `policy::reusable`.
    pub fn open(resolved: &Resolved, window: Duration) -> Result<Cache, String> {
        let base = cache_base()?;
        let euid = crate::sys::euid();
        let dir = dir::open_private(&base, "cross-account", euid)?;
        Ok(Cache {
            dir,
            key: key::key(resolved, |name| std::env::var(name).ok()),
            window,
            euid,
        })
    }

    /// Like `open`, for an entry named by `parts` rather than by a role's options (an MFA
    /// session, see `mfa_session`).
    pub fn open_for(parts: &[(&str, &str)], window: Duration) -> Result<Cache, String> {
        let base = cache_base()?;
        let euid = crate::sys::euid();
        let dir = dir::open_private(&base, "cross-account", euid)?;
        Ok(Cache {
            dir,
            key: key::key_of(parts, |name| std::env::var(name).ok()),
            window,
            euid,
        })
    }

    /// A cache in `dir` (created if missing) under `key`, for tests and the fuzz target.
    pub fn at(base: &std::path::Path, key: String, window: Duration) -> Result<Cache, String> {
        let euid = crate::sys::euid();
        let dir = dir::open_private(base, "cross-account", euid)?;
        Ok(Cache {
            dir,
            key,
            window,
            euid,
        })
    }

    /// The path of the entry, for messages and tests (all I/O goes through the open directory).
    pub fn entry_path(&self) -> PathBuf {
        self.dir.path.join(self.entry_name())
    }

    fn entry_name(&self) -> String {
        format!("{}.json", self.key)
    }

    /// The cached credentials if they are still to be reused at `now`; `None` for a missing,
    /// stale, foreign or corrupt entry (which the next store replaces).
    pub fn read_fresh(&self, now: SystemTime) -> Option<TemporaryCredentials> {
        let path = self.entry_path();
        let bytes = match dir::read_private(&self.dir, &self.entry_name(), MAX_ENTRY, self.euid) {
            Ok(b) => b,
            Err(dir::Unreadable::Missing) => return None,
            Err(dir::Unreadable::Refused(why)) => {
                tracing::warn!(path = %path.display(), "ignoring the cache entry: {why}");
                return None;
            }
        };
        let entry = match std::str::from_utf8(&bytes)
            .ok()
            .and_then(|t| parse_entry(t, &self.key))
        {
            Some(e) => e,
            None => {
                tracing::warn!(path = %path.display(), "cache entry is corrupt or not this entry's; ignoring it");
                return None;
            }
        };
        if reusable(entry.expiration, entry.fetched_at, now, self.window) {
            tracing::debug!(path = %path.display(), "using the cached credentials");
            Some(entry.creds)
        } else {
            tracing::debug!(path = %path.display(), "cached credentials are inside the reuse window");
            None
        }
    }

    /// Takes the advisory lock of this entry, waiting for another invocation's STS call.
    /// `None` if that takes longer than a minute (then this one calls STS without the cache).
    pub async fn lock(&self) -> Result<Option<Lock>, CliError> {
        let name = format!("{}.lock", self.key);
        let path = self.dir.path.join(&name);
        let file = dir::open_lock(&self.dir, &name, self.euid).map_err(|why| {
            CliError::other(format!(
                "cannot use the cache lock file {}: {why}",
                path.display()
            ))
        })?;
        let wait = tokio::task::spawn_blocking(move || file.lock().map(|()| file));
        match tokio::time::timeout(LOCK_TIMEOUT, wait).await {
            Ok(Ok(Ok(file))) => Ok(Some(Lock(file))),
            Ok(Ok(Err(e))) => Err(CliError::other(format!(
                "cannot lock the cache lock file {}: {e}",
                path.display()
            ))),
            Ok(Err(e)) => Err(CliError::other(format!("cache lock task failed: {e}"))),
            Err(_) => {
                tracing::warn!(path = %path.display(), "another cross-account has held the cache lock for a minute; calling STS without the cache");
                Ok(None)
            }
        }
    }

    /// Writes the entry by atomic replace (see `private_file::write_atomic`). Call with the lock
    /// held: the temporary file name is per entry.
    pub fn store(
        &self,
        _lock: &Lock,
        creds: &TemporaryCredentials,
        fetched_at: SystemTime,
    ) -> Result<(), CliError> {
        let text = json!({
            "Format": FORMAT,
            "Key": self.key,
            "AccessKeyId": creds.access_key_id(),
            "SecretAccessKey": creds.secret_access_key().expose_secret(),
            "SessionToken": creds.session_token().expose_secret(),
            "Expiration": rfc3339(creds.expiration()),
            "FetchedAt": rfc3339(fetched_at),
            "AssumedRoleArn": creds.assumed_role_arn(),
        })
        .to_string();
        let stall = std::env::var(STALL_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        crate::private_file::write_atomic(
            std::os::fd::AsFd::as_fd(&self.dir),
            &self.entry_name(),
            &format!("{}.json.tmp", self.key),
            text.as_bytes(),
            || {
                if let Some(ms) = stall {
                    std::thread::sleep(Duration::from_millis(ms));
                }
            },
        )
        .map_err(|e| {
            CliError::other(format!(
                "cannot write the cache entry in {}: {e}",
                self.dir.path.display()
            ))
        })
    }
}

struct Entry {
    creds: TemporaryCredentials,
    expiration: SystemTime,
    fetched_at: SystemTime,
}

/// An entry of this format whose stored key is `key`, with every credential field present.
fn parse_entry(text: &str, key: &str) -> Option<Entry> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v.get("Format")?.as_str()? != FORMAT || v.get("Key")?.as_str()? != key {
        return None;
    }
    let field = |name: &str| {
        v.get(name)
            .and_then(|x| x.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let expiration = parse_rfc3339(&field("Expiration")?)?;
    let fetched_at = parse_rfc3339(&field("FetchedAt")?)?;
    let creds = TemporaryCredentials::new(
        field("AccessKeyId")?,
        field("SecretAccessKey")?,
        field("SessionToken")?,
        expiration,
        field("AssumedRoleArn").unwrap_or_default(),
    );
    Some(Entry {
        creds,
        expiration,
        fetched_at,
    })
}

/// `$XDG_CACHE_HOME` if that is an absolute path, else `~/.cache`.
fn cache_base() -> Result<PathBuf, String> {
    match std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from) {
        Some(p) if p.is_absolute() => Ok(p),
        _ => match std::env::var_os("HOME").map(PathBuf::from) {
            Some(home) if home.is_absolute() => Ok(home.join(".cache")),
            _ => Err(
                "there is no cache directory: neither XDG_CACHE_HOME nor HOME is set to an absolute path"
                    .into(),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::SessionArgs;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn resolved(role: &str, external_id: Option<&str>) -> Resolved {
        let args = SessionArgs {
            role_arn: Some(role.into()),
            external_id: external_id.map(str::to_string),
            external_id_file: None,
            session_name: None,
            duration: None,
            policy_file: None,
            policy_arn: vec![],
            tag: vec![],
            transitive_tag_key: vec![],
            source_identity: None,
            mfa_serial: None,
            mfa_token: Some("123456".into()),
            mfa_token_file: None,
            mfa_session: None,
            chain_role_arn: None,
            chain_external_id: None,
            region: None,
            endpoint_url: None,
            profile: None,
        };
        Resolved {
            external_id: args.external_id.clone(),
            external_id_source: "--external-id",
            policy: None,
            mfa_source: None,
            profile_options: None,
            args,
        }
    }

    const ROLE: &str = "arn:aws:iam::123456789012:role/R";

    #[test]
    fn key_is_hex_stable_and_depends_on_the_parameters() {
        let no_env = |_: &str| None;
        let k = key::key(&resolved(ROLE, Some("ExternalId123")), no_env);
        assert_eq!(k.len(), 64);
        assert!(k.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(k, key::key(&resolved(ROLE, Some("ExternalId123")), no_env));
        assert_ne!(k, key::key(&resolved(ROLE, Some("ExternalId124")), no_env));
        assert_ne!(k, key::key(&resolved(ROLE, None), no_env));
        let other_source = |n: &str| (n == "AWS_ACCESS_KEY_ID").then(|| "AKIAOTHER".to_string());
        assert_ne!(
            k,
            key::key(&resolved(ROLE, Some("ExternalId123")), other_source)
        );
        // The MFA code is not part of the key: a new code must not miss the cache.
        let mut r = resolved(ROLE, Some("ExternalId123"));
        r.args.mfa_token = Some("654321".into());
        assert_eq!(k, key::key(&r, no_env));
        assert!(!k.contains("ExternalId123"));
    }

    #[test]
    fn store_then_read_corruption_and_a_foreign_key() {
        let base = std::env::temp_dir().join(format!("ca-cache-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let cache = Cache::at(&base, "k".repeat(64), DEFAULT_WINDOW).unwrap();
        let dir = base.join("cross-account");
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        let now = SystemTime::now();
        let creds = TemporaryCredentials::new(
            "ASIAUNIT",
            "unit-secret".into(),
            "unit-token".into(),
            now + Duration::from_secs(3600),
            "arn:aws:sts::123456789012:assumed-role/R/s",
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let lock = rt.block_on(cache.lock()).unwrap().unwrap();
        cache.store(&lock, &creds, now).unwrap();
        let meta = std::fs::metadata(cache.entry_path()).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        let back = cache.read_fresh(now).unwrap();
        assert_eq!(back.access_key_id(), "ASIAUNIT");
        assert_eq!(back.secret_access_key().expose_secret(), "unit-secret");
        assert!(cache.read_fresh(now + Duration::from_secs(3500)).is_none());

        // The same file under another key is not that key's entry.
        let other = Cache::at(&base, "j".repeat(64), DEFAULT_WINDOW).unwrap();
        std::fs::copy(cache.entry_path(), other.entry_path()).unwrap();
        assert!(other.read_fresh(now).is_none());

        std::fs::write(cache.entry_path(), "{not json").unwrap();
        assert!(cache.read_fresh(now).is_none());
        cache.store(&lock, &creds, now).unwrap();
        assert!(cache.read_fresh(now).is_some());

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = Cache::at(&base, "k".repeat(64), DEFAULT_WINDOW)
            .err()
            .unwrap();
        assert!(err.contains("accessible by group or others"), "{err}");
        std::fs::remove_dir_all(&base).unwrap();
    }
}
