//! From the common flags to core sessions: external ID sources, policy file, MFA prompt, chaining.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use cross_account::secrecy::{ExposeSecret, SecretString};
use cross_account::{CrossAccountSession, CrossAccountSessionBuilder};

use crate::cli::SessionArgs;
use crate::error::{CliError, Hop};

pub const EXTERNAL_ID_ENV: &str = "CROSS_ACCOUNT_EXTERNAL_ID";
/// The MFA code, when neither --mfa-token nor --mfa-token-file is given.
pub const MFA_TOKEN_ENV: &str = "CROSS_ACCOUNT_MFA_TOKEN";
/// More than any MFA code; a bounded read keeps a runaway paste out of memory.
const MAX_MFA_INPUT: u64 = 256;

/// Most an external ID or policy file may hold; both are small by definition.
const MAX_INPUT_FILE: u64 = 64 * 1024;

/// The flags with every indirection (files, environment) resolved. Nothing secret in here but
/// the MFA code, which is never printed nor hashed.
#[derive(Clone)]
pub struct Resolved {
    pub args: SessionArgs,
    pub external_id: Option<String>,
    /// Where the external ID came from, for messages ("--external-id", a file, the environment).
    pub external_id_source: &'static str,
    pub policy: Option<String>,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("role_arn", &self.args.role_arn)
            .field("external_id_source", &self.external_id_source)
            .finish_non_exhaustive()
    }
}

/// Reads the external ID and policy files and the environment fallback.
pub fn resolve(args: &SessionArgs) -> Result<Resolved, CliError> {
    let (external_id, external_id_source) = match (&args.external_id, &args.external_id_file) {
        (Some(id), _) => (Some(id.clone()), "--external-id"),
        (None, Some(path)) => {
            let text = read_small_file(path, "--external-id-file")?;
            let id = text.trim().to_string();
            if id.is_empty() {
                return Err(CliError::usage(format!(
                    "--external-id-file {} is empty; it must hold the external ID the trusting account agreed with you",
                    path.display()
                )));
            }
            (Some(id), "--external-id-file")
        }
        (None, None) => match std::env::var(EXTERNAL_ID_ENV) {
            Ok(id) if !id.trim().is_empty() => (Some(id.trim().to_string()), EXTERNAL_ID_ENV),
            Ok(_) => (None, "nowhere"),
            Err(std::env::VarError::NotPresent) => (None, "nowhere"),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(CliError::usage(format!(
                    "{EXTERNAL_ID_ENV} is not valid UTF-8; an external ID is ASCII letters, digits and _+=,.@:/-"
                )))
            }
        },
    };
    let policy = match &args.policy_file {
        Some(path) => Some(read_small_file(path, "--policy-file")?),
        None => None,
    };
    Ok(Resolved {
        args: args.clone(),
        external_id,
        external_id_source,
        policy,
    })
}

fn read_small_file(path: &Path, flag: &str) -> Result<String, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::usage(format!("{flag} {}: cannot open it: {e}", path.display())))?;
    let mut text = String::new();
    file.take(MAX_INPUT_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            CliError::usage(format!(
                "{flag} {}: cannot read it as UTF-8 text: {e}",
                path.display()
            ))
        })?;
    if text.len() as u64 > MAX_INPUT_FILE {
        return Err(CliError::usage(format!(
            "{flag} {} is larger than {} KiB",
            path.display(),
            MAX_INPUT_FILE / 1024
        )));
    }
    Ok(text)
}

/// The session that assumes the role (the second hop when chaining), ready for `credentials()`.
/// `auto_refresh` is for long-running commands (`serve`); one-shot commands fetch once.
pub fn build(resolved: &Resolved, auto_refresh: bool) -> Result<CrossAccountSession, CliError> {
    let (first, chained) = build_hops(resolved, auto_refresh)?;
    Ok(chained.unwrap_or(first))
}

/// Both hops, for `doctor`, which checks them one by one.
pub fn build_hops(
    resolved: &Resolved,
    auto_refresh: bool,
) -> Result<(CrossAccountSession, Option<CrossAccountSession>), CliError> {
    let a = &resolved.args;
    let chaining = a.chain_role_arn.is_some();
    let mut first = CrossAccountSession::builder()
        .role_arn(a.role_arn.clone())
        .auto_refresh(auto_refresh)
        .tags(a.tag.clone())
        .transitive_tag_keys(a.transitive_tag_key.clone());
    if let Some(id) = &resolved.external_id {
        first = first.external_id(id.clone());
    }
    if let Some(identity) = &a.source_identity {
        first = first.source_identity(identity.clone());
    }
    if let Some(serial) = &a.mfa_serial {
        first = first.mfa(serial.clone(), mfa_source(serial.clone(), mfa_code(a)?));
    }
    if let Some(profile) = &a.profile {
        first = first.profile(profile.clone());
    }
    first = endpoint(first, a);
    if !chaining {
        first = final_hop(first, resolved);
    } else if let Some(name) = &a.session_name {
        first = first.session_name(name.clone());
    }
    let first = first.build().map_err(|err| CliError::Core {
        err,
        hop: Hop::First,
    })?;
    let Some(chain_arn) = &a.chain_role_arn else {
        return Ok((first, None));
    };
    let mut second = CrossAccountSession::builder()
        .role_arn(chain_arn.clone())
        .auto_refresh(auto_refresh)
        .source_session(first.clone());
    if let Some(id) = &a.chain_external_id {
        second = second.external_id(id.clone());
    }
    second = final_hop(endpoint(second, a), resolved);
    let second = second.build().map_err(|err| CliError::Core {
        err,
        hop: Hop::Chained,
    })?;
    Ok((first, Some(second)))
}

fn endpoint(mut b: CrossAccountSessionBuilder, a: &SessionArgs) -> CrossAccountSessionBuilder {
    if let Some(region) = &a.region {
        b = b.region(region.clone());
    }
    if let Some(url) = &a.endpoint_url {
        b = b.endpoint_url(url.clone());
    }
    b
}

/// What shapes the credentials handed out: name, lifetime, session policy.
fn final_hop(mut b: CrossAccountSessionBuilder, resolved: &Resolved) -> CrossAccountSessionBuilder {
    let a = &resolved.args;
    if let Some(name) = &a.session_name {
        b = b.session_name(name.clone());
    }
    if let Some(d) = a.duration {
        b = b.duration(d);
    }
    if let Some(policy) = &resolved.policy {
        b = b.policy(policy.clone());
    }
    if !a.policy_arn.is_empty() {
        b = b.policy_arns(a.policy_arn.clone());
    }
    b
}

/// The MFA code given in advance, if any: `--mfa-token` (with a warning: every local user can
/// read a process's arguments), `--mfa-token-file PATH` (`-` for stdin), or the environment.
/// `None`: ask on the terminal when STS needs it. Errors never contain the code.
fn mfa_code(a: &SessionArgs) -> Result<Option<SecretString>, CliError> {
    if let Some(code) = &a.mfa_token {
        crate::stdio::warn(&format!(
            "--mfa-token puts the MFA code on the command line, where every local user can read it (/proc/PID/cmdline, ps); pass it on stdin with --mfa-token-file -, in a file with --mfa-token-file PATH, or in {MFA_TOKEN_ENV}"
        ));
        return Ok(Some(SecretString::from(code.clone())));
    }
    if let Some(path) = &a.mfa_token_file {
        let (text, shown) = if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .lock()
                .take(MAX_MFA_INPUT)
                .read_line(&mut text)
                .map_err(|e| {
                    CliError::usage(format!("--mfa-token-file -: cannot read stdin: {e}"))
                })?;
            (text, "- (stdin)".to_string())
        } else {
            (
                read_small_file(path, "--mfa-token-file")?,
                path.display().to_string(),
            )
        };
        let code = text.trim();
        if code.is_empty() {
            return Err(CliError::usage(format!(
                "--mfa-token-file {shown} is empty; it must hold the current code of the MFA device"
            )));
        }
        return Ok(Some(SecretString::from(code.to_string())));
    }
    match std::env::var(MFA_TOKEN_ENV) {
        Ok(code) if !code.trim().is_empty() => {
            Ok(Some(SecretString::from(code.trim().to_string())))
        }
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(CliError::usage(format!(
            "{MFA_TOKEN_ENV} is not valid UTF-8; an MFA code is 6 digits"
        ))),
    }
}

/// The MFA code: the one given in advance (usable once, as codes are), then the terminal.
fn mfa_source(
    serial: String,
    given: Option<SecretString>,
) -> impl Fn() -> Result<String, String> + Send + Sync + 'static {
    let given = Arc::new(Mutex::new(given));
    move || {
        let in_advance = given.lock().map(|mut g| g.take()).unwrap_or(None);
        match in_advance {
            Some(code) => Ok(code.expose_secret().to_string()),
            None => prompt_tty(&serial),
        }
    }
}

fn prompt_tty(serial: &str) -> Result<String, String> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| {
            format!("no MFA code was given (or it was already used) and there is no terminal to ask for the code on (/dev/tty: {e}); pass it with --mfa-token-file PATH (- for stdin) or {MFA_TOKEN_ENV}")
        })?;
    let mut out = &tty;
    write!(out, "MFA code for {serial}: ")
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write the MFA prompt to /dev/tty: {e}"))?;
    // A code is 6 digits; a bounded read keeps a runaway paste out of memory.
    let mut line = String::new();
    BufReader::new((&tty).take(256))
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the MFA code from /dev/tty: {e}"))?;
    Ok(line.trim().to_string())
}
