//! From the common flags to core sessions: external ID sources, policy file, MFA prompt, chaining.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use cross_account::secrecy::{ExposeSecret, SecretString};
use cross_account::{CrossAccountSession, SessionOptions, SharedConfig};

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
    /// With --mfa-session: the source credentials are the MFA session's (see `mfa_session`);
    /// the first hop is then sent without an MFA code, and its profile is already read.
    pub mfa_source: Option<aws_config::SdkConfig>,
    /// What `--profile` resolved to, as the AWS CLI reads it: a role profile's options (with
    /// `--role-arn` replacing its role), or `--role-arn` with the profile as its source. The
    /// other flags override its values in [`options`].
    pub profile_options: Option<SessionOptions>,
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
    let profile_options = match &args.profile {
        Some(name) => Some(
            SharedConfig::load()
                .and_then(|config| config.options_for(name, args.role_arn.as_deref()))
                .map_err(|err| CliError::Core {
                    err,
                    hop: Hop::First,
                })?,
        ),
        None => None,
    };
    let (external_id, external_id_source) = match (&profile_options, external_id) {
        (Some(o), None) if o.external_id.is_some() => (o.external_id.clone(), "the profile"),
        (_, id) => (id, external_id_source),
    };
    Ok(Resolved {
        args: args.clone(),
        external_id,
        external_id_source,
        policy,
        mfa_source: None,
        profile_options,
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

/// The flags as the core's options: the one place where each flag meets its option. Built as
/// one struct literal, so a new option does not compile until it has a flag here.
pub fn options(resolved: &Resolved) -> SessionOptions {
    let SessionArgs {
        role_arn,
        external_id: _,      // resolved below, with the file and environment fallbacks
        external_id_file: _, // idem
        session_name,
        duration,
        policy_file: _, // resolved into `resolved.policy`
        policy_arn,
        tag,
        transitive_tag_key,
        source_identity,
        mfa_serial,
        mfa_token: _, // a secret: asked for by the token provider, never part of the options
        mfa_token_file: _, // idem
        mfa_session: _, // how the code is spent (GetSessionToken first): see `mfa_session`
        chain_role_arn,
        chain_external_id,
        region,
        endpoint_url,
        profile,
    } = &resolved.args;
    // The first hop: who the caller is (tags, source identity, MFA, profile). With --profile,
    // the profile's options, each flag that is given overriding its value.
    let from_profile = resolved.profile_options.clone().unwrap_or_default();
    let first = SessionOptions {
        role_arn: match &resolved.profile_options {
            Some(o) => o.role_arn.clone(),
            None => role_arn.clone().unwrap_or_default(),
        },
        external_id: resolved.external_id.clone(),
        session_name: session_name.clone().or(from_profile.session_name),
        duration: from_profile.duration,
        policy: None,
        policy_arns: Vec::new(),
        tags: tag.clone(),
        transitive_tag_keys: transitive_tag_key.clone(),
        source_identity: source_identity.clone(),
        mfa_serial: mfa_serial.clone().or(from_profile.mfa_serial),
        region: region.clone().or(from_profile.region),
        endpoint_url: endpoint_url.clone().or(from_profile.endpoint_url),
        // `profile` names the source only without a resolved profile (which carries its own).
        profile: match &resolved.profile_options {
            Some(o) => o.profile.clone(),
            None => profile.clone(),
        },
        credential_source: from_profile.credential_source,
        source_role: from_profile
            .source_role
            .map(|hop| Box::new(with_endpoint(*hop, region, endpoint_url))),
    };
    // What shapes the credentials handed out (name, lifetime, session policy) goes on the last.
    let last = |o: SessionOptions| SessionOptions {
        session_name: session_name.clone().or(o.session_name.clone()),
        duration: duration.or(o.duration),
        policy: resolved.policy.clone(),
        policy_arns: policy_arn.clone(),
        ..o
    };
    match chain_role_arn {
        None => last(first),
        Some(chain_arn) => last(SessionOptions {
            role_arn: chain_arn.clone(),
            external_id: chain_external_id.clone(),
            region: region.clone(),
            endpoint_url: endpoint_url.clone(),
            source_role: Some(Box::new(first)),
            ..SessionOptions::default()
        }),
    }
}

/// `--region` / `--endpoint-url` reach every hop of a profile's chain, not only the outer one.
fn with_endpoint(
    mut hop: SessionOptions,
    region: &Option<String>,
    endpoint_url: &Option<String>,
) -> SessionOptions {
    if region.is_some() {
        hop.region.clone_from(region);
    }
    if endpoint_url.is_some() {
        hop.endpoint_url.clone_from(endpoint_url);
    }
    hop.source_role = hop
        .source_role
        .map(|inner| Box::new(with_endpoint(*inner, region, endpoint_url)));
    hop
}

/// The first MFA device named along the options' chain, outermost first.
fn chain_mfa_serial(options: &SessionOptions) -> Option<String> {
    let mut hop = Some(options);
    while let Some(o) = hop {
        if let Some(serial) = &o.mfa_serial {
            return Some(serial.clone());
        }
        hop = o.source_role.as_deref();
    }
    None
}

/// Both hops, for `doctor`, which checks them one by one.
pub fn build_hops(
    resolved: &Resolved,
    auto_refresh: bool,
) -> Result<(CrossAccountSession, Option<CrossAccountSession>), CliError> {
    let options = options(resolved);
    // --mfa-serial, or a profile's mfa_serial on any hop: one source of codes for all.
    let serial = chain_mfa_serial(&options);
    let code = match (&serial, &resolved.mfa_source) {
        (Some(_), None) => mfa_code(&resolved.args)?,
        (None, _) if resolved.args.mfa_token.is_some() || resolved.args.mfa_token_file.is_some() => {
            return Err(CliError::usage(
                "--mfa-token and --mfa-token-file need --mfa-serial, or a --profile with mfa_serial",
            ))
        }
        _ => None,
    };
    let builder = |o: SessionOptions| {
        let mut b = CrossAccountSession::builder()
            .options(o)
            .auto_refresh(auto_refresh);
        if let (Some(serial), None) = (&serial, &resolved.mfa_source) {
            b = b.mfa_token_callback(mfa_source(serial.clone(), code.clone()));
        }
        b
    };
    // The hop that the source credentials sign: with an MFA session, signed by it.
    let source_hop = |o: SessionOptions| match &resolved.mfa_source {
        None => builder(o),
        Some(config) => builder(SessionOptions {
            mfa_serial: None,
            profile: None,
            credential_source: None,
            ..o
        })
        .sdk_config(config),
    };
    let Some(first_options) = options.source_role.clone() else {
        let only = source_hop(options).build().map_err(|err| CliError::Core {
            err,
            hop: Hop::First,
        })?;
        return Ok((only, None));
    };
    let first = source_hop(*first_options)
        .build()
        .map_err(|err| CliError::Core {
            err,
            hop: Hop::First,
        })?;
    let second = builder(SessionOptions {
        source_role: None,
        ..options
    })
    .source_session(first.clone())
    .build()
    .map_err(|err| CliError::Core {
        err,
        hop: Hop::Chained,
    })?;
    Ok((first, Some(second)))
}

/// The MFA code given in advance, if any: `--mfa-token` (with a warning: every local user can
/// read a process's arguments), `--mfa-token-file PATH` (`-` for stdin), or the environment.
/// `None`: ask on the terminal when STS needs it. Errors never contain the code.
pub fn mfa_code(a: &SessionArgs) -> Result<Option<SecretString>, CliError> {
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
pub fn mfa_source(
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
