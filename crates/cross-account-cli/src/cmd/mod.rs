//! One file per subcommand. Each returns the process exit code or a `CliError`.

pub mod assume;
pub mod child;
pub mod config_snippet;
pub mod credential_process;
pub mod doctor;
pub mod exec;
pub mod external_id;
pub mod serve;
pub mod trust_policy;

use std::io::Write;

use crate::failure::CliError;

/// Writes to stdout and flushes; a closed pipe is an error like any other.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::other(format!("cannot write to stdout: {e}")))
}
