//! `exec [--] [CMD ARGS...]`: the child (by default the user's shell) gets the role's
//! credentials in its environment, and a marker that stops a second `exec` inside it.

use std::ffi::OsString;

use crate::cli::ExecArgs;
use crate::error::CliError;
use crate::output;
use crate::session;

use super::child::{self, ChildEnv};

/// Set in the child to the assumed role's ARN (as aws-vault sets AWS_VAULT).
pub const SESSION_MARKER_ENV: &str = "CROSS_ACCOUNT_SESSION";

pub async fn run(args: ExecArgs) -> Result<i32, CliError> {
    refuse_nesting()?;
    let resolved = session::resolve(&args.session)?;
    let session = crate::mfa_session::build(&resolved, false).await?;
    let command = if args.command.is_empty() {
        vec![default_shell()]
    } else {
        args.command
    };
    let creds = session.credentials().await?;
    let mut set = output::env_vars(&creds, args.session.region.as_deref());
    set.push((SESSION_MARKER_ENV, session.role_arn().to_string()));
    let env = ChildEnv {
        set,
        // A leftover legacy token must not mix with the role's keys (environment keys already
        // take precedence over any profile in every SDK's default chain).
        remove: vec!["AWS_SECURITY_TOKEN"],
        // The credentials are in its environment: it may well outlive this process.
        tie: None,
    };
    child::run(&command, env).await
}

/// Inside a session the environment holds the outer role's keys, which the default chain
/// would silently take as the source credentials of this one: a role chain nobody asked for.
fn refuse_nesting() -> Result<(), CliError> {
    match std::env::var_os(SESSION_MARKER_ENV) {
        Some(outer) if !outer.is_empty() => Err(CliError::usage(format!(
            "this shell is already inside a cross-account session for {} ({SESSION_MARKER_ENV} is set), whose credentials would become the source of this one; exit that session first, or run `unset {SESSION_MARKER_ENV}` to nest on purpose",
            outer.to_string_lossy()
        ))),
        _ => Ok(()),
    }
}

/// `$SHELL`, as a login session sets it, else the POSIX shell.
fn default_shell() -> OsString {
    std::env::var_os("SHELL")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| OsString::from("/bin/sh"))
}
