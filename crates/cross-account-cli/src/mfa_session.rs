//! `--mfa-session`: one MFA code buys a GetSessionToken session, cached 0600 like a role's
//! credentials and keyed by the MFA device (not the role), so every role that names the same
//! `--mfa-serial` is assumed with it, without another code, until it expires.

use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, Region};
use cross_account::secrecy::SecretString;
use cross_account::{CrossAccountSession, MfaSession, TemporaryCredentials};

use crate::cache::Cache;
use crate::error::{CliError, Hop};
use crate::session::{self, Resolved};

/// Checks every flag of an `--mfa-session` invocation with no I/O and without reading the MFA
/// code (which is read once, when a GetSessionToken call needs it).
pub fn check(resolved: &Resolved) -> Result<(), CliError> {
    let Some(duration) = resolved.args.mfa_session else {
        session::build_hops(resolved, false)?;
        return Ok(());
    };
    // A stand-in for the MFA session's config: building does no I/O, so it is never used.
    let probe = Resolved {
        mfa_source: Some(aws_config::SdkConfig::builder().build()),
        ..resolved.clone()
    };
    session::build_hops(&probe, false)?;
    mfa_session(resolved, duration, None)?;
    Ok(())
}

/// The role's session(s), as `session::build_hops`, but with `--mfa-session` signed by the
/// (cached or new) MFA session. Every flag is checked before any call or prompt.
pub async fn build_hops(
    resolved: &Resolved,
    auto_refresh: bool,
) -> Result<(CrossAccountSession, Option<CrossAccountSession>), CliError> {
    let Some(duration) = resolved.args.mfa_session else {
        return session::build_hops(resolved, auto_refresh);
    };
    check(resolved)?;
    let creds = session_token(resolved, duration).await?;
    let a = &resolved.args;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(aws_credential_types::Credentials::from(creds));
    if let Some(profile) = &a.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &a.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let with_session = Resolved {
        mfa_source: Some(loader.load().await),
        ..resolved.clone()
    };
    session::build_hops(&with_session, auto_refresh)
}

/// The session the credentials are handed out from (the chained one when chaining).
pub async fn build(
    resolved: &Resolved,
    auto_refresh: bool,
) -> Result<CrossAccountSession, CliError> {
    let (first, chained) = build_hops(resolved, auto_refresh).await?;
    Ok(chained.unwrap_or(first))
}

/// The GetSessionToken call for these flags. `code`: the MFA code given in advance; `None`
/// only checks the flags (the token source then refuses, and is never called).
fn mfa_session(
    resolved: &Resolved,
    duration: Duration,
    code: Option<Option<SecretString>>,
) -> Result<MfaSession, CliError> {
    let a = &resolved.args;
    let serial = a.mfa_serial.clone().ok_or_else(|| {
        CliError::usage("--mfa-session needs --mfa-serial: the MFA device the session is for")
    })?;
    // With a role --profile, its role and the credentials at the end of its chain.
    let mut innermost = session::options(resolved);
    let role_arn = innermost.role_arn.clone();
    while let Some(hop) = innermost.source_role.take() {
        innermost = *hop;
    }
    let mut builder = MfaSession::builder().role_arn(role_arn).duration(duration);
    builder = match code {
        Some(code) => builder.mfa(serial.clone(), session::mfa_source(serial, code)),
        None => builder.mfa(serial, || {
            Err("the flags are only being checked".to_string())
        }),
    };
    if let Some(region) = &a.region {
        builder = builder.region(region.clone());
    }
    if let Some(url) = &a.endpoint_url {
        builder = builder.endpoint_url(url.clone());
    }
    if let Some(profile) = innermost.profile {
        builder = builder.profile(profile);
    }
    builder.build().map_err(|err| CliError::Core {
        err,
        hop: Hop::First,
    })
}

/// The MFA session: from the cache while it is fresh, else one GetSessionToken (reading or
/// asking for the code) stored for the next invocation, under the entry's lock so that
/// parallel invocations ask for one code.
async fn session_token(
    resolved: &Resolved,
    duration: Duration,
) -> Result<TemporaryCredentials, CliError> {
    let a = &resolved.args;
    let serial = a.mfa_serial.clone().unwrap_or_default();
    let new_session = || -> Result<MfaSession, CliError> {
        let code = session::mfa_code(a)?;
        mfa_session(resolved, duration, Some(code))
    };
    let seconds = duration.as_secs().to_string();
    // Reused for its whole life (less the core's margin): the role credentials it signs for
    // outlive it on their own.
    let cache = match Cache::open_for(
        &[
            ("kind", "mfa-session"),
            ("mfa_serial", &serial),
            ("mfa_session_duration", &seconds),
            ("region", a.region.as_deref().unwrap_or("")),
            ("endpoint_url", a.endpoint_url.as_deref().unwrap_or("")),
            ("profile", a.profile.as_deref().unwrap_or("")),
        ],
        cross_account::DEFAULT_MANDATORY_MARGIN,
    ) {
        Ok(cache) => cache,
        Err(e) => {
            // Without the cache each run asks for a code, as without --mfa-session.
            crate::stdio::warn(&format!(
                "{e}; the MFA session is not cached, so the next run asks for a code again"
            ));
            return fetch(&new_session()?).await;
        }
    };
    if let Some(creds) = cache.read_fresh(SystemTime::now()) {
        tracing::debug!(serial = %serial, "using the cached MFA session");
        return Ok(creds);
    }
    let lock = cache.lock().await?;
    if lock.is_some() {
        if let Some(creds) = cache.read_fresh(SystemTime::now()) {
            return Ok(creds);
        }
    }
    let fetched_at = SystemTime::now();
    let creds = fetch(&new_session()?).await?;
    if let Some(lock) = &lock {
        if let Err(e) = cache.store(lock, &creds, fetched_at) {
            tracing::warn!("{e}");
            crate::stdio::warn(&format!("the MFA session was not cached: {e}"));
        }
    }
    Ok(creds)
}

async fn fetch(mfa: &MfaSession) -> Result<TemporaryCredentials, CliError> {
    let creds = mfa
        .get_session_token()
        .await
        .map_err(|err| CliError::Core {
            err,
            hop: Hop::First,
        })?;
    tracing::info!(
        access_key_id = creds.access_key_id(),
        serial = mfa.serial(),
        "got an MFA session"
    );
    Ok(creds)
}
