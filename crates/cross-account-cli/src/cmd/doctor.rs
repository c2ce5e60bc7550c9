//! `doctor`: who the source credentials are, whether the clocks agree, whether the role (and
//! the chained role) can be assumed, and for a refusal, what to check. Prints no secret.

use std::io::Write;
use std::time::{Duration, SystemTime};

use cross_account::{CallerIdentity, CrossAccountSession, Error};

use crate::cli::DoctorArgs;
use crate::error::{core_exit_code, one_paragraph, render_core, CliError, Hop, EXIT_OK};
use crate::output::rfc3339;
use crate::session::{self, Resolved};

/// Beyond this the local clock is reported as off. SigV4 itself tolerates 5 minutes, but
/// expiry times computed locally drift by the same amount.
const MAX_SKEW: Duration = Duration::from_secs(60);

pub async fn run(args: DoctorArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    let (first, chained) = session::build_hops(&resolved, false)?;
    let mut out = Report;
    let a = &resolved.args;

    out.line(format!("role:          {}", a.role_arn));
    out.line(format!(
        "external ID:   {}",
        describe_external_id(resolved.external_id.as_deref(), resolved.external_id_source)
    ));
    out.line(format!(
        "region:        {}",
        a.region
            .as_deref()
            .unwrap_or("from the environment or profile")
    ));
    if let Some(url) = &a.endpoint_url {
        out.line(format!("STS endpoint:  {url}"));
    }
    if let Some(profile) = &a.profile {
        out.line(format!("profile:       {profile}"));
    }
    if let Some(chain) = &a.chain_role_arn {
        out.line(format!(
            "then assume:   {chain} (external ID: {})",
            describe_external_id(a.chain_external_id.as_deref(), "--chain-external-id")
        ));
    }
    out.line(String::new());

    // 1. Source identity and clock.
    let caller = match first.caller_identity().await {
        Ok(id) => {
            out.ok(format!(
                "source credentials belong to {} (account {})",
                id.arn, id.account
            ));
            check_clock(&mut out, &id);
            id
        }
        Err(err) => {
            out.fail(format!(
                "GetCallerIdentity with the source credentials failed: {}",
                render_core(&err, Hop::First)
            ));
            out.line("   The source credentials are what signs the AssumeRole call: environment variables (AWS_ACCESS_KEY_ID, ...), --profile / AWS_PROFILE, SSO, or an instance or container role.".into());
            return Ok(core_exit_code(&err));
        }
    };

    // 2. The role.
    if let Err(code) = try_assume(&mut out, &first, &resolved, &caller, Hop::First).await {
        return Ok(code);
    }

    // 3. The chained role, called with the first role's credentials.
    if let Some(second) = &chained {
        let hop_caller = match second.caller_identity().await {
            Ok(id) => id,
            Err(err) => {
                out.fail(format!(
                    "GetCallerIdentity with the first role's credentials failed: {}",
                    render_core(&err, Hop::First)
                ));
                return Ok(core_exit_code(&err));
            }
        };
        if let Err(code) = try_assume(&mut out, second, &resolved, &hop_caller, Hop::Chained).await
        {
            return Ok(code);
        }
    }
    out.line(String::new());
    out.line("All checks passed.".into());
    Ok(EXIT_OK)
}

async fn try_assume(
    out: &mut Report,
    session: &CrossAccountSession,
    resolved: &Resolved,
    caller: &CallerIdentity,
    hop: Hop,
) -> Result<(), i32> {
    match session.credentials().await {
        Ok(c) => {
            let left = c
                .expiration()
                .duration_since(SystemTime::now())
                .unwrap_or_default()
                .as_secs();
            out.ok(format!(
                "assumed {} as {}; the credentials ({}) expire at {} (in {} min)",
                session.role_arn(),
                if c.assumed_role_arn().is_empty() {
                    "?"
                } else {
                    c.assumed_role_arn()
                },
                c.access_key_id(),
                rfc3339(c.expiration()),
                left / 60
            ));
            Ok(())
        }
        Err(err) => {
            if let Error::AccessDenied {
                message,
                request_id,
                ..
            } = &err
            {
                // The checklist below replaces the core's one-line hint.
                out.fail(format!(
                    "access denied assuming {}: {message}{}",
                    session.role_arn(),
                    request_id
                        .as_ref()
                        .map(|id| format!(" (request id {id})"))
                        .unwrap_or_default()
                ));
                access_denied_checklist(out, session, resolved, caller, hop);
            } else {
                out.fail(render_core(&err, hop));
            }
            Err(core_exit_code(&err))
        }
    }
}

fn access_denied_checklist(
    out: &mut Report,
    session: &CrossAccountSession,
    resolved: &Resolved,
    caller: &CallerIdentity,
    hop: Hop,
) {
    let role = session.role_arn();
    let principal = principal_of(&caller.arn);
    let partition = role.partition();
    out.line("   What to check:".into());
    out.line(format!(
        "   1. The trust policy of {role} (in account {}) must allow your principal to call sts:AssumeRole: \"Principal\": {{\"AWS\": \"{principal}\"}} or your account's \"arn:{partition}:iam::{}:root\".",
        role.account_id(),
        caller.account
    ));
    let (id, source, flag) = match hop {
        Hop::First => (
            resolved.external_id.as_deref(),
            resolved.external_id_source,
            "--external-id",
        ),
        Hop::Chained => (
            resolved.args.chain_external_id.as_deref(),
            "--chain-external-id",
            "--chain-external-id",
        ),
    };
    out.line(match id {
        Some(id) => format!(
            "   2. The external ID: you sent {} characters (from {source}); it must equal the trust policy's \"sts:ExternalId\" condition exactly (case-sensitive, no surrounding whitespace). Ask the trusting account which value they put there.",
            id.chars().count()
        ),
        None => format!(
            "   2. The external ID: you sent none. If the trust policy has an \"sts:ExternalId\" condition, pass the agreed value with {flag}."
        ),
    });
    out.line(format!(
        "   3. Your own identity ({}) needs an IAM policy that allows \"sts:AssumeRole\" on {role}, and no permissions boundary or SCP in account {} may deny it.",
        caller.arn, caller.account
    ));
    if resolved.args.mfa_serial.is_none() && hop == Hop::First {
        out.line("   4. If the trust policy requires MFA (aws:MultiFactorAuthPresent), pass --mfa-serial.".into());
    }
}

/// The principal a trust policy names for a caller: an assumed-role session is named by its role.
fn principal_of(caller_arn: &str) -> String {
    // arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION -> arn:PARTITION:iam::ACCOUNT:role/ROLE
    let parts: Vec<&str> = caller_arn.splitn(6, ':').collect();
    if let [_, partition, "sts", _, account, resource] = parts.as_slice() {
        if let Some(rest) = resource.strip_prefix("assumed-role/") {
            let role = rest.split('/').next().unwrap_or(rest);
            return format!("arn:{partition}:iam::{account}:role/{role}");
        }
    }
    caller_arn.to_string()
}

fn check_clock(out: &mut Report, id: &CallerIdentity) {
    let Some(server) = id.server_time else {
        out.note("STS sent no Date header; the local clock was not checked".into());
        return;
    };
    // The Date header has whole seconds: the server's clock read between `server` and
    // `server + 1 s`, so compare with the middle of that second.
    let server_mid = server + Duration::from_millis(500);
    let (ahead, skew) = match id.local_time.duration_since(server_mid) {
        Ok(d) => (true, d),
        Err(e) => (false, e.duration()),
    };
    if skew > MAX_SKEW {
        out.warn(format!(
            "the local clock is {} s {} the STS server's (Date header {}): sync it (NTP). SigV4 requests fail beyond 5 minutes of skew, and local expiry checks are off by as much",
            skew.as_secs(),
            if ahead { "ahead of" } else { "behind" },
            rfc3339(server)
        ));
    } else {
        out.ok(format!(
            "the local clock agrees with STS (within {} s)",
            skew.as_secs().max(1)
        ));
    }
}

fn describe_external_id(id: Option<&str>, source: &str) -> String {
    match id {
        Some(id) => format!("{id} ({} characters, from {source})", id.chars().count()),
        None => "none (no --external-id, --external-id-file or CROSS_ACCOUNT_EXTERNAL_ID)".into(),
    }
}

/// Lines on stdout, printed as they come so a hanging step shows where it hangs.
struct Report;

impl Report {
    fn line(&mut self, text: String) {
        // A closed stdout only loses the report; the exit code still tells the outcome.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }
    fn ok(&mut self, text: String) {
        self.line(format!("ok    {}", one_paragraph(&text)));
    }
    fn warn(&mut self, text: String) {
        self.line(format!("WARN  {}", one_paragraph(&text)));
    }
    fn note(&mut self, text: String) {
        self.line(format!("note  {}", one_paragraph(&text)));
    }
    fn fail(&mut self, text: String) {
        self.line(format!("FAIL  {}", one_paragraph(&text)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals() {
        assert_eq!(
            principal_of("arn:aws:sts::111122223333:assumed-role/Hop/session-1"),
            "arn:aws:iam::111122223333:role/Hop"
        );
        assert_eq!(
            principal_of("arn:aws:iam::111122223333:user/alice"),
            "arn:aws:iam::111122223333:user/alice"
        );
        assert_eq!(principal_of("garbage"), "garbage");
    }
}
