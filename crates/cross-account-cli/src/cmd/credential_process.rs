//! `credential-process`: what ~/.aws/config runs. Prints only the JSON on stdout; reuses the
//! on-disk cache; parallel cold invocations share one STS call through the entry's lock.

use std::time::SystemTime;

use cross_account::TemporaryCredentials;

use crate::cache::Cache;
use crate::cli::CredentialProcessArgs;
use crate::failure::{CliError, EXIT_OK};
use crate::output;
use crate::session::{self, Resolved};

pub async fn run(args: CredentialProcessArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    // Validates every flag first, so a bad one fails the same way with or without the cache.
    let session = session::build(&resolved, false)?;
    let creds = if args.no_cache {
        session.credentials().await?
    } else {
        cached(&resolved, &session).await?
    };
    super::print_stdout(&(output::credential_process_json(&creds) + "\n"))?;
    Ok(EXIT_OK)
}

async fn cached(
    resolved: &Resolved,
    session: &cross_account::CrossAccountSession,
) -> Result<TemporaryCredentials, CliError> {
    let cache = Cache::open(resolved)?;
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
            eprintln!("cross-account: warning: {e}");
        }
    }
    Ok(creds)
}
