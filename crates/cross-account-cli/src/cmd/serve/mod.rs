//! `serve`: the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`) on
//! 127.0.0.1, backed by a session that refreshes in the background. This file is the process
//! side: the listeners, the token (printed or in its file), the child, signals. The HTTP side
//! is `endpoint`.

mod endpoint;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;

use cross_account::secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

use crate::cli::ServeArgs;
use crate::error::{CliError, EXIT_OK};
use crate::session;

use super::child::{self, ChildEnv};

pub use endpoint::{constant_time_eq, is_loopback_host, PATH};

/// Tries at finding a port free on both 127.0.0.1 and [::1] when any port will do.
const BIND_ATTEMPTS: usize = 16;

pub async fn run(args: ServeArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    if resolved.args.mfa_session.is_some() {
        return Err(CliError::usage("serve does not take --mfa-session: its refreshes would outlive the MFA session; use --mfa-serial alone (serve asks for a code when it assumes the role)"));
    }
    let session = session::build(&resolved, true)?;
    // Fail now, with the right exit code, rather than on the first request.
    let first = session.credentials().await?;
    tracing::info!(
        access_key_id = first.access_key_id(),
        "assumed role; refreshing in the background"
    );
    if let Some(limit) = crate::sys::raise_fd_limit() {
        tracing::debug!(limit, "open file limit");
    }

    let listeners = bind(args.port).await?;
    let port = listeners.port;
    let uri = format!("http://127.0.0.1:{port}{PATH}");
    let token = SecretString::from(random_token()?);
    let held: Vec<i32> = listeners.all().map(|l| l.as_raw_fd()).collect();
    let state = Arc::new(endpoint::State {
        session: session.clone(),
        token,
    });
    let token = state.token.clone();
    endpoint::spawn(listeners.v4, listeners.v6, state);
    let role = session.role_arn().to_string();

    if !args.command.is_empty() {
        crate::stdio::stderr_line(&format!(
            "cross-account: serving credentials for {role} on {uri} to {}",
            args.command[0].to_string_lossy()
        ));
        let region = child_region(&args).await;
        return child::run(&args.command, child_env(region, uri, &token, held)).await;
    }

    let mut stdout = format!("AWS_CONTAINER_CREDENTIALS_FULL_URI={uri}\n");
    let token_file = match &args.token_file {
        Some(path) => {
            let path = std::path::absolute(path)
                .map_err(|e| CliError::usage(format!("--token-file {}: {e}", path.display())))?;
            // No newline: SDKs reject a token with CR or LF.
            crate::private_file::write_atomic_path(&path, token.expose_secret().as_bytes())
                .map_err(|e| {
                    CliError::other(format!(
                        "cannot write the token file {}: {e}",
                        path.display()
                    ))
                })?;
            stdout.push_str(&format!(
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE={}\n",
                path.display()
            ));
            Some(path)
        }
        None => {
            stdout.push_str(&format!(
                "AWS_CONTAINER_AUTHORIZATION_TOKEN={}\n",
                token.expose_secret()
            ));
            None
        }
    };
    // Listening before anything is printed, so a caller that reads the URI and then stops
    // this process never finds the signal unhandled.
    let listen =
        |kind| signal(kind).map_err(|e| CliError::other(format!("cannot listen for signals: {e}")));
    let signals = listen(SignalKind::interrupt()).and_then(|int| {
        Ok((
            int,
            listen(SignalKind::terminate())?,
            listen(SignalKind::hangup())?,
        ))
    });
    let (mut int, mut term, mut hup) = match signals {
        Ok(s) => s,
        Err(e) => {
            remove_token_file(token_file.as_deref());
            return Err(e);
        }
    };
    if let Err(e) = super::print_stdout(&stdout) {
        remove_token_file(token_file.as_deref());
        return Err(e);
    }
    crate::stdio::stderr_line(&format!("cross-account: serving credentials for {role} on {uri} (loopback only); stop with Ctrl-C, SIGTERM or SIGHUP"));
    tokio::select! {
        _ = int.recv() => {},
        _ = term.recv() => {},
        _ = hup.recv() => {},
    }
    remove_token_file(token_file.as_deref());
    Ok(EXIT_OK)
}

/// The child's environment: the endpoint, and nothing an SDK's default chain would prefer
/// over it. Every SDK reads the shared credentials and config files' `[default]` before the
/// container endpoint, so both point at /dev/null; the region, which the child would have read
/// from the config, is passed in the environment instead.
fn child_env(
    region: Option<String>,
    uri: String,
    token: &SecretString,
    held: Vec<i32>,
) -> ChildEnv {
    let mut set = vec![
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            token.expose_secret().to_string(),
        ),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_string()),
        ("AWS_CONFIG_FILE", "/dev/null".to_string()),
    ];
    if let Some(region) = region.filter(|r| !r.is_empty()) {
        set.push(("AWS_REGION", region.clone()));
        set.push(("AWS_DEFAULT_REGION", region));
    }
    ChildEnv {
        set,
        remove: vec![
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ROLE_ARN",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        ],
        tie: Some(held),
    }
}

/// The region the child would have found: --region, else the environment and the profile as
/// the SDKs resolve it (the child no longer sees the config file).
async fn child_region(args: &ServeArgs) -> Option<String> {
    if let Some(region) = &args.session.region {
        return Some(region.clone());
    }
    let mut chain = aws_config::default_provider::region::DefaultRegionChain::builder();
    if let Some(profile) = &args.session.profile {
        chain = chain.profile_name(profile);
    }
    chain.build().region().await.map(|r| r.to_string())
}

struct Listeners {
    v4: TcpListener,
    v6: Option<TcpListener>,
    port: u16,
}

impl Listeners {
    fn all(&self) -> impl Iterator<Item = &TcpListener> {
        std::iter::once(&self.v4).chain(self.v6.as_ref())
    }
}

/// 127.0.0.1:PORT, and [::1] on the same port, so no other local user can serve "localhost" on
/// it over IPv6. With port 0, ports are tried until one is free on both. A host without IPv6
/// gets the IPv4 listener only.
async fn bind(port: u16) -> Result<Listeners, CliError> {
    let in_use = |addr: &str, e: std::io::Error| {
        CliError::other(format!(
            "cannot listen on {addr}:{port}: {e}; pick another --port (0 for any free one)"
        ))
    };
    for _ in 0..BIND_ATTEMPTS {
        let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|e| in_use("127.0.0.1", e))?;
        let bound = v4
            .local_addr()
            .map_err(|e| CliError::other(format!("cannot read the listening address: {e}")))?
            .port();
        match TcpListener::bind((Ipv6Addr::LOCALHOST, bound)).await {
            Ok(v6) => {
                return Ok(Listeners {
                    v4,
                    v6: Some(v6),
                    port: bound,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                if port != 0 {
                    return Err(in_use("[::1]", e));
                }
                tracing::debug!(port = bound, "taken on [::1]; trying another port");
            }
            Err(e) => {
                tracing::debug!(error = %e, "no IPv6 loopback; serving on 127.0.0.1 only");
                return Ok(Listeners {
                    v4,
                    v6: None,
                    port: bound,
                });
            }
        }
    }
    Err(CliError::other(format!(
        "found no port free on both 127.0.0.1 and [::1] in {BIND_ATTEMPTS} tries"
    )))
}

fn remove_token_file(path: Option<&Path>) {
    if let Some(path) = path {
        if let Err(e) = std::fs::remove_file(path) {
            tracing::debug!(path = %path.display(), error = %e, "could not remove the token file");
        }
    }
}

/// 256 bits from the operating system, as 64 lowercase hex digits.
fn random_token() -> Result<String, CliError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        CliError::other(format!(
            "the operating system random number generator failed: {e}"
        ))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_in_hex() {
        let tok = random_token().unwrap();
        assert_eq!(tok.len(), 64);
        assert!(tok.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(tok, random_token().unwrap());
    }
}
