//! `credential-process`: what ~/.aws/config runs. Prints only the JSON on stdout; reuses the
//! on-disk cache; parallel cold invocations share one STS call through the entry's lock.

use std::time::SystemTime;

use cross_account::TemporaryCredentials;

use crate::cache::Cache;
use crate::cli::CredentialProcessArgs;
use crate::error::{CliError, EXIT_OK};
use crate::output;
use crate::session;

pub async fn run(args: CredentialProcessArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    // Validates every flag first, so a bad one fails the same way with or without the cache.
    let session = session::build(&resolved, false)?;
    let creds = if args.no_cache {
        session.credentials().await?
    } else {
        match Cache::open(&resolved, args.window) {
            Ok(cache) => cached(&cache, &session).await?,
            Err(why) => {
                // The credentials do not depend on the cache; only the next run's shortcut does.
                crate::stdio::warn(&format!("{why}; running without the cache"));
                session.credentials().await?
            }
        }
    };
    super::print_stdout(&(output::credential_process_json(&creds) + "\n"))?;
    Ok(EXIT_OK)
}

async fn cached(
    cache: &Cache,
    session: &cross_account::CrossAccountSession,
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
