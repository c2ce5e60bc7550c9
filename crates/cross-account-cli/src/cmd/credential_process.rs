//! `credential-process`: what ~/.aws/config runs. Prints only the JSON on stdout; reuses the
//! on-disk cache; parallel cold invocations share one STS call through the entry's lock.

use std::time::SystemTime;

use cross_account::{CrossAccountSession, TemporaryCredentials};
use sha2::{Digest, Sha256};

use crate::cache::Cache;
use crate::cli::CredentialProcessArgs;
use crate::error::{CliError, EXIT_OK};
use crate::mfa_session;
use crate::output;
use crate::session::{self, Resolved};

/// Set by every `credential-process` run for the processes it starts: the fingerprints of the
/// runs above it, so a run that would call itself again is stopped.
pub const RECURSION_ENV: &str = "CROSS_ACCOUNT_CREDENTIAL_PROCESS";

const CALLING_ITSELF: &str = "credential-process is calling itself";

/// Nested runs with different options (a source profile whose credential_process is another
/// cross-account role) are allowed to this depth.
const MAX_NESTED: usize = 3;

/// The recursion guard, run before any thread exists (it edits this process's environment).
///
/// - A run whose own arguments are already in [`RECURSION_ENV`] was started, through some
///   profile's `credential_process`, by the same run: refused (exit 2) instead of forking on.
/// - Without `--profile`, `AWS_PROFILE` is left out of the source chain: an SDK that runs
///   `credential_process` passes on the `AWS_PROFILE` that names the profile being resolved,
///   which is this very command.
pub fn guard(args: &CredentialProcessArgs) -> Result<(), CliError> {
    let me = fingerprint(std::env::args_os().skip(1));
    let mut chain: Vec<String> = std::env::var(RECURSION_ENV)
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if chain.contains(&me) {
        return Err(CliError::usage(format!(
            "{CALLING_ITSELF}: its source credentials come from a profile whose credential_process runs this same command ({RECURSION_ENV} is set by the outer run); give it a source that does not lead back to it (--profile NAME of a profile with keys, or environment keys)"
        )));
    }
    if chain.len() >= MAX_NESTED {
        return Err(CliError::usage(format!(
            "credential-process is nested {} deep through credential_process profiles ({RECURSION_ENV}); at most {MAX_NESTED} are allowed",
            chain.len() + 1
        )));
    }
    chain.push(me);
    std::env::set_var(RECURSION_ENV, chain.join(","));
    if args.session.profile.is_none() {
        std::env::remove_var("AWS_PROFILE");
        std::env::remove_var("AWS_DEFAULT_PROFILE");
    }
    Ok(())
}

/// A short hash of the arguments (they may hold an MFA code, so never the arguments).
fn fingerprint(args: impl Iterator<Item = std::ffi::OsString>) -> String {
    let mut hasher = Sha256::new();
    for arg in args {
        hasher.update(arg.as_encoded_bytes());
        hasher.update([0u8]);
    }
    hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn run(args: CredentialProcessArgs) -> Result<i32, CliError> {
    run_inner(args).await.map_err(|err| match err {
        // The run this one started refused to call itself: that is a configuration error
        // here too (exit 2), not a source that may come back.
        CliError::Core { err, .. } if err.message().contains(CALLING_ITSELF) => {
            CliError::usage(err.to_string())
        }
        other => other,
    })
}

async fn run_inner(args: CredentialProcessArgs) -> Result<i32, CliError> {
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
