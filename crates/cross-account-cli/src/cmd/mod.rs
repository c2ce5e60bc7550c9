//! One file per subcommand. Each returns the process exit code or a `CliError`.

pub mod assume;
pub mod child;
pub mod completions;
pub mod config_snippet;
pub mod console;
pub mod credential_process;
pub mod doctor;
pub mod exec;
pub mod external_id;
pub mod man;
pub mod profiles;
pub mod serve;
pub mod trust_policy;
pub mod verify;

use std::future::Future;
use std::task::{Context, Poll, Waker};

use crate::cli::Command;
use crate::error::CliError;

impl Command {
    /// Whether the command calls AWS, and so needs the async runtime. The others run without one.
    pub fn needs_runtime(&self) -> bool {
        match self {
            Command::Assume(_)
            | Command::CredentialProcess(_)
            | Command::Exec(_)
            | Command::Serve(_)
            | Command::Doctor(_)
            | Command::Console(_)
            | Command::Verify(_) => true,
            Command::ConfigSnippet(_)
            | Command::Profiles
            | Command::ExternalId(_)
            | Command::TrustPolicy(_)
            | Command::Completions(_)
            | Command::Man(_) => false,
        }
    }
}

/// Runs `command`: on a runtime if it needs one (`serve`, which answers while it refreshes, on
/// two worker threads; the rest on this thread), else directly.
pub fn run(command: Command) -> Result<i32, CliError> {
    if let Command::CredentialProcess(args) = &command {
        // Before any thread exists: the guard edits this process's environment.
        credential_process::guard(args)?;
    }
    if !command.needs_runtime() {
        return run_without_runtime(dispatch(command));
    }
    let runtime = if matches!(command, Command::Serve(_)) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .map_err(|e| CliError::other(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(dispatch(command))
}

async fn dispatch(command: Command) -> Result<i32, CliError> {
    match command {
        Command::Assume(args) => assume::run(args).await,
        Command::CredentialProcess(args) => credential_process::run(args).await,
        Command::Exec(args) => exec::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Doctor(args) => doctor::run(args).await,
        Command::Console(args) => console::run(args).await,
        Command::Verify(args) => verify::run(args).await,
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::ConfigSnippet(args) => config_snippet::run(args),
        Command::Profiles => profiles::run(),
        Command::ExternalId(args) => external_id::run(args),
        Command::TrustPolicy(args) => trust_policy::run(args),
    }
}

/// Drives the future of a command that needs no runtime: it never waits, so one poll ends it.
fn run_without_runtime(
    command: impl Future<Output = Result<i32, CliError>>,
) -> Result<i32, CliError> {
    let mut command = std::pin::pin!(command);
    match command
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => result,
        Poll::Pending => Err(CliError::other(
            "internal error: a command that needs no runtime waited for one; please report this",
        )),
    }
}

/// Writes to stdout and flushes; a closed stdout or pipe is an error like any other.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    crate::stdio::print_stdout(text)
}
