//! The `cross-account` command line, as a library so the binary, the fuzz targets and the
//! benchmarks share one build of it. Not a stable API: the command line is the interface.
//!
//! Secrets go to stdout (or a child's environment, or the 0600 cache) only; stderr gets one
//! paragraph per error, never a secret. Exit codes: see `cli::EXIT_CODES`.
#![deny(unsafe_code)]
// stderr may be a closed pipe: `eprintln!` would panic there, `stdio` does not.
#![deny(clippy::print_stderr, clippy::print_stdout)]

pub mod cache;
pub mod cli;
pub mod cmd;
pub mod error;
pub mod mfa_session;
pub mod output;
pub mod private_file;
pub mod session;
pub mod stdio;
mod sys;

use clap::Parser;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Parses the command line, runs the command and returns the exit code.
pub fn main() -> i32 {
    // clap prints its own usage errors and exits 2 (0 for --help and --version).
    let cli = cli::Cli::parse();
    init_tracing(cli.verbose);
    match cmd::run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            stdio::stderr_line(&err.paragraph());
            err.exit_code()
        }
    }
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
