//! `credential-process`: what ~/.aws/config runs. Prints only the JSON on stdout; reuses the
//! on-disk cache; parallel cold invocations share one STS call through the entry's lock.

use std::time::SystemTime;

use cross_account::{CrossAccountSession, TemporaryCredentials};

use crate::cache::Cache;
use crate::cli::CredentialProcessArgs;
use crate::error::{CliError, EXIT_OK};
use crate::mfa_session;
use crate::output;
use crate::session::{self, Resolved};

pub async fn run(args: CredentialProcessArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    // Validates every flag first, so a bad one fails the same way with or without the cache.
    // With --mfa-session the session is built on a miss only, so a warm entry asks no code.
    let session = if resolved.args.mfa_session.is_some() {
        mfa_session::check(&resolved)?;
        None
    } else {
        Some(session::build(&resolved, false)?)
    };
    let creds = if args.no_cache {
        fetching(&resolved, session).await?.credentials().await?
    } else {
        match Cache::open(&resolved, args.window) {
            Ok(cache) => cached(&cache, &resolved, session).await?,
            Err(why) => {
                // The credentials do not depend on the cache; only the next run's shortcut does.
                crate::stdio::warn(&format!("{why}; running without the cache"));
                fetching(&resolved, session).await?.credentials().await?
            }
        }
    };
    super::print_stdout(&(output::credential_process_json(&creds) + "\n"))?;
    Ok(EXIT_OK)
}

/// The session that calls STS: the one built up front, or the one the MFA session signs.
async fn fetching(
    resolved: &Resolved,
    built: Option<CrossAccountSession>,
) -> Result<CrossAccountSession, CliError> {
    match built {
        Some(session) => Ok(session),
        None => mfa_session::build(resolved, false).await,
    }
}

async fn cached(
    cache: &Cache,
    resolved: &Resolved,
    session: Option<CrossAccountSession>,
) -> Result<TemporaryCredentials, CliError> {
    if let Some(creds) = cache.read_fresh(SystemTime::now()) {
        return Ok(creds);
    }
    let lock = cache.lock().await?;
    // Whoever held the lock before may have just fetched.
    if lock.is_some() {
        if let Some(creds) = cache.read_fresh(SystemTime::now()) {
            return Ok(creds);
        }
    }
    let session = fetching(resolved, session).await?;
    let fetched_at = SystemTime::now();
    let creds = session.credentials().await?;
    if let Some(lock) = &lock {
        if let Err(e) = cache.store(lock, &creds, fetched_at) {
            // The credentials are good; only the next invocation loses its shortcut.
            tracing::warn!("{e}");
            crate::stdio::warn(&e.to_string());
        }
    }
    Ok(creds)
}
