//! `doctor`: who the source credentials are, whether the clocks agree, whether the role (and
//! the chained role) can be assumed, and for a refusal, what to check. Prints no secret.

use std::io::Write;
use std::time::{Duration, SystemTime};

use cross_account::{CallerIdentity, CrossAccountSession, Error};

use serde_json::json;

use crate::cli::{DoctorArgs, ReportFormat};
use crate::error::{core_exit_code, one_paragraph, render_core, CliError, Hop, EXIT_OK};
use crate::output::rfc3339;
use crate::session::{self, Resolved};

/// Beyond this the local clock is reported as off. SigV4 itself tolerates 5 minutes, but
/// expiry times computed locally drift by the same amount.
const MAX_SKEW: Duration = Duration::from_secs(60);

pub async fn run(args: DoctorArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    let (first, chained) = crate::mfa_session::build_hops(&resolved, false).await?;
    let mut out = Report::new(args.format);
    let code = diagnose(&mut out, &resolved, &first, chained.as_ref()).await;
    out.finish(code);
    Ok(code)
}

async fn diagnose(
    out: &mut Report,
    resolved: &Resolved,
    first: &CrossAccountSession,
    chained: Option<&CrossAccountSession>,
) -> i32 {
    let a = &resolved.args;
    out.field("role_arn", json!(first.role_arn().as_str()));
    out.line(format!("role:          {}", first.role_arn()));
    out.field(
        "external_id",
        match &resolved.external_id {
            Some(id) => json!({
                "value": id,
                "length": id.chars().count(),
                "source": resolved.external_id_source,
            }),
            None => serde_json::Value::Null,
        },
    );
    out.line(format!(
        "external ID:   {}",
        describe_external_id(resolved.external_id.as_deref(), resolved.external_id_source)
    ));
    if let Some(profile) = &a.profile {
        out.field("profile", json!(profile));
        out.line(format!("profile:       {profile}"));
    }
    if let Some(chain) = &a.chain_role_arn {
        out.field("chain_role_arn", json!(chain));
        out.line(format!(
            "then assume:   {chain} (external ID: {})",
            describe_external_id(a.chain_external_id.as_deref(), "--chain-external-id")
        ));
    }

    // 1. Source identity, the STS endpoint it was reached at, and the clock.
    let caller = match first.caller_identity().await {
        Ok(id) => id,
        Err(err) => {
            // Only what was configured is known when the first call fails.
            out.line(format!(
                "region:        {}",
                a.region
                    .as_deref()
                    .unwrap_or("from the environment or profile (not resolved: the call failed)")
            ));
            if let Some(url) = &a.endpoint_url {
                out.line(format!("STS endpoint:  {url}"));
            }
            out.line(String::new());
            out.fail(
                "source_credentials",
                format!(
                    "GetCallerIdentity with the source credentials failed: {}",
                    render_core(&err, Hop::First)
                ),
            );
            out.hint("The source credentials are what signs the AssumeRole call: environment variables (AWS_ACCESS_KEY_ID, ...), --profile / AWS_PROFILE, SSO, or an instance or container role.".into());
            return core_exit_code(&err);
        }
    };
    out.field("region", json!(caller.region));
    out.field("sts_endpoint", json!(caller.endpoint));
    out.line(format!(
        "region:        {} ({})",
        caller.region,
        if a.region.is_some() {
            "from --region"
        } else {
            "from the environment or profile, else the partition's default"
        }
    ));
    out.line(format!(
        "STS endpoint:  {}",
        caller.endpoint.as_deref().unwrap_or("unknown")
    ));
    out.line(String::new());
    out.field(
        "source_identity",
        json!({"arn": caller.arn, "account": caller.account, "user_id": caller.user_id}),
    );
    out.ok(
        "source_credentials",
        format!(
            "source credentials belong to {} (account {})",
            caller.arn, caller.account
        ),
    );
    check_clock(out, &caller);

    // 2. The role.
    if let Err(code) = try_assume(out, first, resolved, &caller, Hop::First).await {
        return code;
    }

    // 3. The chained role, called with the first role's credentials.
    if let Some(second) = chained {
        let hop_caller = match second.caller_identity().await {
            Ok(id) => id,
            Err(err) => {
                out.fail(
                    "chained_source_credentials",
                    format!(
                        "GetCallerIdentity with the first role's credentials failed: {}",
                        render_core(&err, Hop::First)
                    ),
                );
                return core_exit_code(&err);
            }
        };
        if let Err(code) = try_assume(out, second, resolved, &hop_caller, Hop::Chained).await {
            return code;
        }
    }
    out.line(String::new());
    out.line("All checks passed.".into());
    EXIT_OK
}

async fn try_assume(
    out: &mut Report,
    session: &CrossAccountSession,
    resolved: &Resolved,
    caller: &CallerIdentity,
    hop: Hop,
) -> Result<(), i32> {
    let check = match hop {
        Hop::First => "assume_role",
        Hop::Chained => "assume_chained_role",
    };
    match session.credentials().await {
        Ok(c) => {
            let left = c
                .expiration()
                .duration_since(SystemTime::now())
                .unwrap_or_default()
                .as_secs();
            out.ok(
                check,
                format!(
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
                ),
            );
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
                out.fail(
                    check,
                    format!(
                        "access denied assuming {}: {message}{}",
                        session.role_arn(),
                        request_id
                            .as_ref()
                            .map(|id| format!(" (request id {id})"))
                            .unwrap_or_default()
                    ),
                );
                access_denied_checklist(out, session, resolved, caller, hop);
            } else {
                out.fail(check, render_core(&err, hop));
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
    let principal = caller.trust_principal();
    let partition = role.partition();
    out.line("   What to check:".into());
    out.hint(format!(
        "1. The trust policy of {role} (in account {}) must allow your principal to call sts:AssumeRole: \"Principal\": {{\"AWS\": \"{principal}\"}} or your account's \"arn:{partition}:iam::{}:root\".",
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
    out.hint(match id {
        Some(id) => format!(
            "2. The external ID: you sent {} characters (from {source}); it must equal the trust policy's \"sts:ExternalId\" condition exactly (case-sensitive, no surrounding whitespace). Ask the trusting account which value they put there.",
            id.chars().count()
        ),
        None => format!(
            "2. The external ID: you sent none. If the trust policy has an \"sts:ExternalId\" condition, pass the agreed value with {flag}."
        ),
    });
    out.hint(format!(
        "3. Your own identity ({}) needs an IAM policy that allows \"sts:AssumeRole\" on {role}, and no permissions boundary or SCP in account {} may deny it.",
        caller.arn, caller.account
    ));
    if resolved.args.mfa_serial.is_none() && hop == Hop::First {
        out.hint(
            "4. If the trust policy requires MFA (aws:MultiFactorAuthPresent), pass --mfa-serial."
                .into(),
        );
    }
}

fn check_clock(out: &mut Report, id: &CallerIdentity) {
    let Some(server) = id.server_time else {
        out.note(
            "clock",
            "STS sent no Date header; the local clock was not checked".into(),
        );
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
        out.warn("clock", format!(
            "the local clock is {} s {} the STS server's (Date header {}): sync it (NTP). SigV4 requests fail beyond 5 minutes of skew, and local expiry checks are off by as much",
            skew.as_secs(),
            if ahead { "ahead of" } else { "behind" },
            rfc3339(server)
        ));
    } else {
        out.ok(
            "clock",
            format!(
                "the local clock agrees with STS (within {} s)",
                skew.as_secs().max(1)
            ),
        );
    }
}

fn describe_external_id(id: Option<&str>, source: &str) -> String {
    match id {
        Some(id) => format!("{id} ({} characters, from {source})", id.chars().count()),
        None => "none (no --external-id, --external-id-file or CROSS_ACCOUNT_EXTERNAL_ID)".into(),
    }
}

/// The report: lines on stdout printed as they come (so a hanging step shows where it
/// hangs), or with `--format json` one object printed at the end.
struct Report {
    format: ReportFormat,
    fields: serde_json::Map<String, serde_json::Value>,
    checks: Vec<serde_json::Value>,
}

impl Report {
    fn new(format: ReportFormat) -> Self {
        Report {
            format,
            fields: serde_json::Map::new(),
            checks: Vec::new(),
        }
    }

    fn print(&self, text: &str) {
        // A closed stdout only loses the report; the exit code still tells the outcome.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }

    /// A text-only line (headings, blank lines).
    fn line(&mut self, text: String) {
        if self.format == ReportFormat::Text {
            self.print(&text);
        }
    }

    /// A top-level value of the JSON report.
    fn field(&mut self, name: &str, value: serde_json::Value) {
        self.fields.insert(name.to_string(), value);
    }

    fn check(&mut self, status: &str, label: &str, check: &str, text: String) {
        let text = one_paragraph(&text);
        match self.format {
            ReportFormat::Text => self.print(&format!("{label}{text}")),
            ReportFormat::Json => self.checks.push(json!({
                "check": check,
                "status": status,
                "message": text,
            })),
        }
    }

    fn ok(&mut self, check: &str, text: String) {
        self.check("ok", "ok    ", check, text);
    }
    fn warn(&mut self, check: &str, text: String) {
        self.check("warn", "WARN  ", check, text);
    }
    fn note(&mut self, check: &str, text: String) {
        self.check("note", "note  ", check, text);
    }
    fn fail(&mut self, check: &str, text: String) {
        self.check("fail", "FAIL  ", check, text);
    }

    /// Advice under the last check: what to look at next.
    fn hint(&mut self, text: String) {
        let text = one_paragraph(&text);
        match self.format {
            ReportFormat::Text => self.print(&format!("   {text}")),
            ReportFormat::Json => {
                if let Some(serde_json::Value::Object(last)) = self.checks.last_mut() {
                    let hints = last.entry("hints").or_insert_with(|| json!([]));
                    if let serde_json::Value::Array(hints) = hints {
                        hints.push(json!(text));
                    }
                }
            }
        }
    }

    fn finish(mut self, exit_code: i32) {
        if self.format == ReportFormat::Json {
            let checks = std::mem::take(&mut self.checks);
            self.field("checks", serde_json::Value::Array(checks));
            self.field("passed", json!(exit_code == EXIT_OK));
            self.field("exit_code", json!(exit_code));
            let report = serde_json::Value::Object(std::mem::take(&mut self.fields));
            self.print(
                &serde_json::to_string_pretty(&report).unwrap_or_else(|_| report.to_string()),
            );
        }
    }
}
