//! Running a child command: environment, signal forwarding, exit code pass-through.

use std::ffi::OsString;
use std::os::fd::RawFd;
use std::os::unix::process::ExitStatusExt;

use tokio::signal::unix::{signal, SignalKind};

use crate::error::CliError;
use crate::sys::Signal;

/// The environment changes for the child: variables to set and variables to remove.
#[derive(Default)]
pub struct ChildEnv {
    pub set: Vec<(&'static str, String)>,
    pub remove: Vec<&'static str>,
    /// Tie the child to this process (see `sys::tie_child_to_this_process`), handing it these
    /// descriptors; `None` for a child that may outlive this process.
    pub tie: Option<Vec<RawFd>>,
}

/// Runs `command` to completion with SIGINT, SIGTERM and SIGHUP forwarded, and returns the
/// code to exit with: the child's, or 128+N if signal N killed it (127 if not found, 126 if it
/// cannot be run, as shells do).
pub async fn run(command: &[OsString], env: ChildEnv) -> Result<i32, CliError> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| CliError::usage("no command given; put it after --"))?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args);
    for name in env.remove {
        cmd.env_remove(name);
    }
    for (name, value) in env.set {
        cmd.env(name, value);
    }
    if let Some(keep) = env.tie {
        crate::sys::tie_child_to_this_process(&mut cmd, keep);
    }
    // Registered before the spawn, so a signal arriving right after it is not lost (nor fatal).
    let listen = |kind: SignalKind| {
        signal(kind).map_err(|e| CliError::other(format!("cannot listen for signals: {e}")))
    };
    let mut sigint = listen(SignalKind::interrupt())?;
    let mut sigterm = listen(SignalKind::terminate())?;
    let mut sighup = listen(SignalKind::hangup())?;
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let shown = program.to_string_lossy();
            let (code, why) = match e.kind() {
                std::io::ErrorKind::NotFound => (127, "not found"),
                std::io::ErrorKind::PermissionDenied => (126, "not executable"),
                _ => (126, "cannot be started"),
            };
            crate::stdio::stderr_line(&crate::error::one_paragraph(&format!(
                "cross-account: error: command {shown:?} {why}: {e}"
            )));
            return Ok(code);
        }
    };
    let pid = child.id();
    let forward = |sig: Signal| {
        if let Some(pid) = pid {
            if let Err(e) = crate::sys::send_signal(pid, sig) {
                tracing::debug!(pid, sig = ?sig, error = %e, "could not forward the signal");
            }
        }
    };
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            _ = sigint.recv() => forward(Signal::INT),
            _ = sigterm.recv() => forward(Signal::TERM),
            _ = sighup.recv() => forward(Signal::HUP),
        }
    };
    let status =
        status.map_err(|e| CliError::other(format!("waiting for the command failed: {e}")))?;
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    })
}
