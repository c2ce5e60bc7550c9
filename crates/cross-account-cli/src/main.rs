//! `cross-account`: the command line over the `cross_account` core.
//!
//! Secrets go to stdout (or a child's environment, or the 0600 cache) only; stderr gets one
//! paragraph per error, never a secret. Exit codes: see `cli::EXIT_CODES`.
#![deny(unsafe_code)]

mod cache;
mod cli;
mod cmd;
mod failure;
mod output;
mod session;
mod sys;

use clap::Parser;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::{Cli, Command};
use crate::failure::{CliError, EXIT_OTHER};

fn main() {
    // clap prints its own usage errors and exits 2 (0 for --help and --version).
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let code = match run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", err.paragraph());
            err.exit_code()
        }
    };
    // Not returning through main: a blocked helper thread (a cache lock wait that timed out)
    // must not hold the process open. Everything that matters is flushed already.
    std::process::exit(code);
}

fn run(command: Command) -> Result<i32, CliError> {
    // The commands that call no AWS service need no async runtime.
    let command = match command {
        Command::ConfigSnippet(args) => return cmd::config_snippet::run(args),
        Command::ExternalId(args) => return cmd::external_id::run(args),
        Command::TrustPolicy(args) => return cmd::trust_policy::run(args),
        other => other,
    };
    let serve = matches!(command, Command::Serve(_));
    let runtime = if serve {
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
    runtime.block_on(async move {
        match command {
            Command::Assume(args) => cmd::assume::run(args).await,
            Command::CredentialProcess(args) => cmd::credential_process::run(args).await,
            Command::Exec(args) => cmd::exec::run(args).await,
            Command::Serve(args) => cmd::serve::run(args).await,
            Command::Doctor(args) => cmd::doctor::run(args).await,
            Command::ConfigSnippet(_) | Command::ExternalId(_) | Command::TrustPolicy(_) => {
                Ok(EXIT_OTHER)
            }
        }
    })
}

/// Logs on stderr: none by default (errors are reported once, by `main`), then more with
/// each `-v`: this program and the core first, the AWS SDK from -vvv on.
fn init_tracing(verbose: u8) {
    let (ours, sdk) = match verbose {
        0 => return,
        1 => (LevelFilter::INFO, LevelFilter::WARN),
        2 => (LevelFilter::DEBUG, LevelFilter::INFO),
        _ => (LevelFilter::TRACE, LevelFilter::TRACE),
    };
    let filter = Targets::new()
        .with_target("cross_account", ours)
        .with_default(sdk);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(true);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .try_init();
}
