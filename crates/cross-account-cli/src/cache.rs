//! The `credential-process` cache: one 0600 JSON file per parameter set in a 0700 directory,
//! replaced atomically, with an advisory lock so parallel invocations share one STS call.
//!
//! The file *content* holds the secrets (that is its purpose, hence 0600 in a 0700 directory);
//! the file *name* is the SHA-256 of non-secret parameters only (role, external ID, session
//! options, region, endpoint, profile, source access key id), so it reveals nothing.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use cross_account::secrecy::ExposeSecret;
use cross_account::TemporaryCredentials;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::failure::CliError;
use crate::output::{parse_rfc3339, rfc3339};
use crate::session::Resolved;

/// Reuse ends this long before expiry at most (the core's default refresh window)...
const MAX_WINDOW: Duration = Duration::from_secs(300);
/// ... and never later than this before expiry (the core's default mandatory margin).
const MARGIN: Duration = Duration::from_secs(30);
/// How long to wait for another invocation's STS call before going it alone.
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);
/// Cache files are tiny; anything bigger is not ours.
const MAX_ENTRY: u64 = 64 * 1024;
/// Bumped when the entry format or the key derivation changes.
const FORMAT: &str = "cross-account-credential-process-cache-v1";
/// Test hook: sleep this many milliseconds between writing the temporary file and renaming it,
/// so a test can kill a writer mid-update. Not a user-facing setting.
const STALL_ENV: &str = "CROSS_ACCOUNT_TEST_STALL_BEFORE_RENAME_MS";

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

pub struct Cache {
    dir: PathBuf,
    key: String,
}

/// Held while this invocation may call STS and write the entry; released on drop (and by the
/// kernel if the process dies).
pub struct Lock(#[allow(dead_code)] File);

impl Cache {
    /// The cache directory, created 0700 if missing and refused if others can get into it.
    pub fn open(resolved: &Resolved) -> Result<Cache, CliError> {
        let dir = cache_dir()?;
        ensure_private_dir(&dir)?;
        Ok(Cache {
            dir,
            key: key(resolved, |name| std::env::var(name).ok()),
        })
    }

    #[cfg(test)]
    fn at(dir: PathBuf, key: String) -> Cache {
        Cache { dir, key }
    }

    pub fn entry_path(&self) -> PathBuf {
        self.dir.join(format!("{}.json", self.key))
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join(format!("{}.lock", self.key))
    }

    fn temp_path(&self) -> PathBuf {
        self.dir.join(format!("{}.json.tmp", self.key))
    }

    /// The cached credentials if they are still to be reused at `now`; `None` for a missing,
    /// stale, foreign or corrupt entry (which the next store replaces).
    pub fn read_fresh(&self, now: SystemTime) -> Option<TemporaryCredentials> {
        let path = self.entry_path();
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e, "cannot open the cache entry; ignoring it");
                }
                return None;
            }
        };
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.uid() != crate::sys::euid() || meta.mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "cache entry is not a private file of this user; ignoring it");
            return None;
        }
        let mut text = String::new();
        if file.take(MAX_ENTRY + 1).read_to_string(&mut text).is_err()
            || text.len() as u64 > MAX_ENTRY
        {
            tracing::warn!(path = %path.display(), "cache entry is unreadable; ignoring it");
            return None;
        }
        let entry = match parse_entry(&text) {
            Some(e) => e,
            None => {
                tracing::warn!(path = %path.display(), "cache entry is corrupt; ignoring it");
                return None;
            }
        };
        if reusable(entry.expiration, entry.fetched_at, now) {
            tracing::debug!(path = %path.display(), "using the cached credentials");
            Some(entry.creds)
        } else {
            tracing::debug!(path = %path.display(), "cached credentials are inside the refresh window");
            None
        }
    }

    /// Takes the advisory lock of this entry, waiting for another invocation's STS call.
    /// `None` if that takes longer than a minute (then this one calls STS without the cache).
    pub async fn lock(&self) -> Result<Option<Lock>, CliError> {
        let path = self.lock_path();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                CliError::other(format!(
                    "cannot open the cache lock file {}: {e}",
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

    /// Writes the entry by atomic replace: a 0600 temporary file, fsync, rename, fsync of the
    /// directory. Call with the lock held (the temporary file name is per entry).
    pub fn store(
        &self,
        _lock: &Lock,
        creds: &TemporaryCredentials,
        fetched_at: SystemTime,
    ) -> Result<(), CliError> {
        let text = json!({
            "Format": FORMAT,
            "AccessKeyId": creds.access_key_id(),
            "SecretAccessKey": creds.secret_access_key().expose_secret(),
            "SessionToken": creds.session_token().expose_secret(),
            "Expiration": rfc3339(creds.expiration()),
            "FetchedAt": rfc3339(fetched_at),
            "AssumedRoleArn": creds.assumed_role_arn(),
        })
        .to_string();
        let temp = self.temp_path();
        let io = |what: &str, e: std::io::Error| {
            CliError::other(format!(
                "cannot {what} the cache entry in {}: {e}",
                self.dir.display()
            ))
        };
        // A writer killed earlier may have left its temporary file; never reuse its mode.
        match fs::remove_file(&temp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("clean up", e)),
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(|e| io("create", e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io("write", e))?;
        drop(file);
        if let Some(ms) = std::env::var(STALL_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            std::thread::sleep(Duration::from_millis(ms));
        }
        fs::rename(&temp, self.entry_path()).map_err(|e| io("replace", e))?;
        // The rename is durable once the directory is synced.
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

struct Entry {
    creds: TemporaryCredentials,
    expiration: SystemTime,
    fetched_at: SystemTime,
}

fn parse_entry(text: &str) -> Option<Entry> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v.get("Format")?.as_str()? != FORMAT {
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

/// Reused until `min(5 min, lifetime / 3)` before expiry, like the core's refresh window, and
/// never with less than the 30 s margin left. An entry from the future (clock set back) is not
/// trusted.
pub fn reusable(expiration: SystemTime, fetched_at: SystemTime, now: SystemTime) -> bool {
    if fetched_at > now + Duration::from_secs(60) {
        return false;
    }
    let lifetime = expiration.duration_since(fetched_at).unwrap_or_default();
    let window = MAX_WINDOW.min(lifetime / 3).max(MARGIN);
    now + window < expiration
}

/// `$XDG_CACHE_HOME/cross-account` if that is an absolute path, else `~/.cache/cross-account`.
pub fn cache_dir() -> Result<PathBuf, CliError> {
    let base = match std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => match std::env::var_os("HOME").map(PathBuf::from) {
            Some(home) if home.is_absolute() => home.join(".cache"),
            _ => {
                return Err(CliError::other(
                    "cannot find a cache directory: neither XDG_CACHE_HOME nor HOME is set to an absolute path; set one, or pass --no-cache",
                ))
            }
        },
    };
    Ok(base.join("cross-account"))
}

fn ensure_private_dir(dir: &Path) -> Result<(), CliError> {
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent).map_err(|e| {
            CliError::other(format!(
                "cannot create the cache directory {}: {e}; pass --no-cache to run without it",
                parent.display()
            ))
        })?;
    }
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(CliError::other(format!(
                "cannot create the cache directory {}: {e}; pass --no-cache to run without it",
                dir.display()
            )))
        }
    }
    let meta = fs::metadata(dir).map_err(|e| {
        CliError::other(format!(
            "cannot inspect the cache directory {}: {e}",
            dir.display()
        ))
    })?;
    if !meta.is_dir() {
        return Err(CliError::other(format!(
            "the cache path {} is not a directory; remove it or pass --no-cache",
            dir.display()
        )));
    }
    if meta.uid() != crate::sys::euid() {
        return Err(CliError::other(format!(
            "refusing to use the cache directory {}: it belongs to uid {}, not to this user (uid {}); remove it or pass --no-cache",
            dir.display(),
            meta.uid(),
            crate::sys::euid()
        )));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CliError::other(format!(
            "refusing to use the cache directory {}: it is accessible by group or others (mode {mode:04o}) and would hold credentials; run `chmod 700 {}`, or pass --no-cache",
            dir.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Hex SHA-256 of what selects the credentials: the core's options (every AssumeRole parameter
/// and source setting, so a new one is in the key without a line here), the output format and
/// the environment that changes the source. Secrets (the MFA code, keys, tokens) are never
/// part of it.
pub fn key(resolved: &Resolved, env: impl Fn(&str) -> Option<String>) -> String {
    let mut text = String::new();
    let mut put = |name: &str, value: &str| {
        text.push_str(&format!("{name}={}:{value}\n", value.len()));
    };
    put("format", FORMAT);
    put("options", &crate::session::options(resolved).to_json());
    for name in KEY_ENV {
        put(name, env(name).as_deref().unwrap_or(""));
    }
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::SessionArgs;

    fn resolved(role: &str, external_id: Option<&str>) -> Resolved {
        let args = SessionArgs {
            role_arn: role.into(),
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
            args,
        }
    }

    const ROLE: &str = "arn:aws:iam::123456789012:role/R";

    #[test]
    fn key_is_hex_stable_and_depends_on_the_parameters() {
        let no_env = |_: &str| None;
        let k = key(&resolved(ROLE, Some("ExternalId123")), no_env);
        assert_eq!(k.len(), 64);
        assert!(k.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(k, key(&resolved(ROLE, Some("ExternalId123")), no_env));
        assert_ne!(k, key(&resolved(ROLE, Some("ExternalId124")), no_env));
        assert_ne!(k, key(&resolved(ROLE, None), no_env));
        let other_source = |n: &str| (n == "AWS_ACCESS_KEY_ID").then(|| "AKIAOTHER".to_string());
        assert_ne!(k, key(&resolved(ROLE, Some("ExternalId123")), other_source));
        // The MFA code is not part of the key: a new code must not miss the cache.
        let mut r = resolved(ROLE, Some("ExternalId123"));
        r.args.mfa_token = Some("654321".into());
        assert_eq!(k, key(&r, no_env));
        assert!(!k.contains("ExternalId123"));
    }

    #[test]
    fn reuse_window() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let hour = t0 + Duration::from_secs(3600);
        assert!(reusable(hour, t0, t0));
        assert!(reusable(hour, t0, t0 + Duration::from_secs(3600 - 301)));
        assert!(!reusable(hour, t0, t0 + Duration::from_secs(3600 - 300)));
        // 15 minutes: a third is 300 s, the same window.
        let quarter = t0 + Duration::from_secs(900);
        assert!(reusable(quarter, t0, t0 + Duration::from_secs(599)));
        assert!(!reusable(quarter, t0, t0 + Duration::from_secs(600)));
        // Short lifetimes still keep the margin.
        let short = t0 + Duration::from_secs(60);
        assert!(reusable(short, t0, t0 + Duration::from_secs(29)));
        assert!(!reusable(short, t0, t0 + Duration::from_secs(30)));
        // From the future: not trusted.
        assert!(!reusable(hour, t0 + Duration::from_secs(120), t0));
        assert!(!reusable(t0, t0, t0 + Duration::from_secs(10)));
    }

    #[test]
    fn store_then_read_and_corruption() {
        let dir = std::env::temp_dir().join(format!("ca-cache-unit-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        ensure_private_dir(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        let cache = Cache::at(dir.clone(), "k".repeat(64));
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
        let meta = fs::metadata(cache.entry_path()).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        let back = cache.read_fresh(now).unwrap();
        assert_eq!(back.access_key_id(), "ASIAUNIT");
        assert_eq!(back.secret_access_key().expose_secret(), "unit-secret");
        assert!(cache.read_fresh(now + Duration::from_secs(3500)).is_none());

        fs::write(cache.entry_path(), "{not json").unwrap();
        assert!(cache.read_fresh(now).is_none());
        cache.store(&lock, &creds, now).unwrap();
        assert!(cache.read_fresh(now).is_some());

        fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let err = ensure_private_dir(&dir).unwrap_err().to_string();
        assert!(err.contains("accessible by group or others"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
