//! The three standard descriptors: made safe at start-up, and written without panicking.
//!
//! `eprintln!` panics when stderr is a closed pipe (exit 101, against the documented codes);
//! everything here reports or ignores the failure instead. A stdout closed by the caller
//! (`>&-`) is not silently swallowed either: the output, usually credentials, would go nowhere.
//! (Rust's start-up code opens /dev/null on a closed 0, 1 or 2, so no file opened later takes
//! their numbers; `sys` records whether 1 was closed before that.)

use std::io::Write;

use crate::error::{one_paragraph, CliError};

/// Writes to stdout and flushes; a closed stdout or a pipe nobody reads is an error.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    if crate::sys::stdout_was_closed() {
        return Err(CliError::other(
            "stdout is closed, so the output would go nowhere; run without >&- or redirect it to a file",
        ));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::other(format!("cannot write to stdout: {e}")))
}

/// One line on stderr; a closed or broken stderr is ignored (there is nowhere left to say so).
pub fn stderr_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.write_all(b"\n");
}

/// `cross-account: warning: MESSAGE`, as one paragraph.
pub fn warn(message: &str) {
    stderr_line(&one_paragraph(&format!(
        "cross-account: warning: {message}"
    )));
}

/// `cross-account: note: MESSAGE`, as one paragraph.
pub fn note(message: &str) {
    stderr_line(&one_paragraph(&format!("cross-account: note: {message}")));
}
