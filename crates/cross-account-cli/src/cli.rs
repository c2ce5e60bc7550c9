//! The command line grammar (clap derive). Behaviour lives in `cmd/`; this file only parses.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  2  usage error or invalid input (a bad flag, an invalid ARN, external ID, duration, ...)
  3  access denied by STS (trust policy principal, external ID, sts:AssumeRole permission)
  4  STS unavailable or throttled (network, 5xx, timeouts, rate limits): try again later
  1  anything else (no source credentials, expired source credentials, I/O, ...)
`verify` exits 0 safe, 3 right external ID refused, 5 unsafe, 4 STS unavailable (see its --help).
`trust-policy check` exits 0 allowed, 3 denied, 1 unknown; `trust-policy lint` 0 clean, 1 warnings
(see their --help).
`exec` and `serve -- CMD` exit with the child's code instead once the child runs
(128+N when it is killed by signal N; 127 when CMD is not found, 126 when it cannot run).";

/// Assume an AWS IAM role in another account with an External ID, and hand the temporary
/// credentials to the AWS CLI, SDKs, scripts and other processes.
#[derive(Debug, Parser)]
#[command(
    name = "cross-account",
    version,
    propagate_version = true,
    after_help = EXIT_CODES,
    after_long_help = EXIT_CODES,
)]
pub struct Cli {
    /// More logging on stderr: -v info, -vv debug, -vvv trace (also the AWS SDK's).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Assume the role once and print the credentials (JSON, `aws sts assume-role` JSON, shell statements, ...).
    #[command(after_help = concat!(
        "Examples:\n",
        "  cross-account assume --role-arn arn:aws:iam::111122223333:role/Partner \\\n",
        "      --external-id ExternalId123\n",
        "  cross-account assume --role-arn ... --format sts | jq -r .Credentials.AccessKeyId\n",
        "  cross-account assume --role-arn ... --format env-no-export > partner.env\n",
        "  cross-account assume --role-arn ... --format windows-cmd > partner.cmd\n",
        "  eval \"$(cross-account assume --role-arn arn:aws:iam::111122223333:role/Partner \\\n",
        "      --external-id-file ~/.partner-id --format env)\"\n",
        "  cross-account assume --role-arn ... --format env --shell fish | source\n",
        "  cross-account assume --role-arn ... --format env --shell powershell | Invoke-Expression\n\n",
        "The credentials go to stdout only; messages go to stderr."
    ))]
    Assume(AssumeArgs),

    /// The `credential_process` for ~/.aws/config: cached on disk, one STS call across parallel runs.
    #[command(after_help = concat!(
        "Example (~/.aws/config; `cross-account config-snippet` prints it):\n",
        "  [profile partner]\n",
        "  credential_process = cross-account credential-process --role-arn ARN --external-id ID\n\n",
        "Prints only the JSON the AWS CLI and SDKs expect on stdout. The credentials are cached in\n",
        "$XDG_CACHE_HOME/cross-account (else ~/.cache/cross-account), a 0700 directory of 0600 files\n",
        "named by a SHA-256 of the parameters, and reused until --window (15 minutes; at most a third\n",
        "of the lifetime) before they expire. An advisory lock makes parallel invocations share one\n",
        "STS call. A cache directory that others could change is not used (with a warning).\n\n",
        "AWS_PROFILE is not a source here: an SDK running credential_process passes on the profile it\n",
        "is resolving, which is this command; name a source with --profile. A run started by itself\n",
        "(through a source profile whose credential_process is this same command) exits 2\n",
        "(CROSS_ACCOUNT_CREDENTIAL_PROCESS marks the runs above it)."
    ))]
    CredentialProcess(CredentialProcessArgs),

    /// Print the ~/.aws/config `[profile NAME]` block that runs `credential-process` with these options.
    #[command(after_help = concat!(
        "Example:\n",
        "  cross-account config-snippet --profile-name partner \\\n",
        "      --role-arn arn:aws:iam::111122223333:role/Partner \\\n",
        "      --external-id ExternalId123 --region eu-west-1 >> ~/.aws/config\n",
        "  aws s3 ls s3://partner-bucket --profile partner"
    ))]
    ConfigSnippet(ConfigSnippetArgs),

    /// Run a command (default: $SHELL) with the role's credentials in its environment.
    #[command(after_help = concat!(
        "Examples:\n",
        "  cross-account exec --role-arn arn:aws:iam::111122223333:role/Partner \\\n",
        "      --external-id ExternalId123 -- aws s3 ls s3://partner-bucket\n",
        "  cross-account exec --role-arn ... --external-id ExternalId123    # a shell; `exit` ends it\n\n",
        "Sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION\n",
        "(and AWS_REGION, AWS_DEFAULT_REGION with --region), and CROSS_ACCOUNT_SESSION=<role ARN>.\n",
        "Without CMD it starts $SHELL (else /bin/sh). Inside such a session (CROSS_ACCOUNT_SESSION set)\n",
        "exec refuses with exit 2, since the outer role's keys would silently become the source\n",
        "credentials; to nest on purpose, `unset CROSS_ACCOUNT_SESSION` first (as with aws-vault).\n",
        "SIGINT, SIGTERM and SIGHUP are forwarded to the child; the exit code is the child's. The\n",
        "credentials are not refreshed while the child runs: for long jobs use `serve -- CMD`."
    ))]
    Exec(ExecArgs),

    /// Serve the container credentials endpoint (127.0.0.1 only, token required), optionally for a child command.
    #[command(after_help = concat!(
        "Examples:\n",
        "  cross-account serve --role-arn arn:aws:iam::111122223333:role/Partner \\\n",
        "      --external-id ExternalId123 -- python3 long_job.py\n",
        "  cross-account serve --role-arn ... --port 9911 --token-file /run/user/1000/aws-token\n\n",
        "With `-- CMD`, the child gets AWS_CONTAINER_CREDENTIALS_FULL_URI and\n",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN (and not the source AWS_ACCESS_KEY_ID/AWS_PROFILE; its\n",
        "AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE are /dev/null, the region is in AWS_REGION),\n",
        "so any AWS SDK in it reads credentials that refresh in the background; serve exits with its\n",
        "code. If serve dies, the child gets SIGTERM (Linux), and the port stays taken while any of\n",
        "its descendants lives.\n",
        "Without CMD, serve prints AWS_CONTAINER_CREDENTIALS_FULL_URI=... on stdout, and the token\n",
        "either into the 0600 --token-file (printing AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=...) or once\n",
        "on stdout as AWS_CONTAINER_AUTHORIZATION_TOKEN=...; it runs until SIGINT, SIGTERM or SIGHUP.\n",
        "Requests need the token in the Authorization header (else 401) and one loopback Host header\n",
        "(else 400 or 403, against DNS rebinding). It listens on 127.0.0.1 and [::1], holds at most\n",
        "128 connections and closes those that send no request head within 2 s."
    ))]
    Serve(ServeArgs),

    /// Check the setup: who the source credentials are, whether the role can be assumed, and why not.
    #[command(after_help = concat!(
        "Example:\n",
        "  cross-account doctor --role-arn arn:aws:iam::111122223333:role/Partner \\\n",
        "      --external-id ExternalId123\n\n",
        "Calls GetCallerIdentity with the source credentials, shows the region and STS endpoint it\n",
        "resolved, compares the local clock with the STS Date header, tries the AssumeRole, and for a\n",
        "refusal lists what to check. Prints no secret. --format json prints one JSON object instead\n",
        "(\"checks\": [{\"status\": \"ok\"|\"warn\"|\"note\"|\"fail\", \"check\", \"message\"}], ...)."
    ))]
    Doctor(DoctorArgs),

    /// Sign in to the AWS Management Console as the role (federation sign-in URL).
    #[command(after_help = concat!(
        "Examples:\n",
        "  cross-account console --role-arn arn:aws:iam::111122223333:role/Partner \\\n",
        "      --external-id ExternalId123\n",
        "  cross-account console --role-arn ... --print --destination https://console.aws.amazon.com/s3/\n\n",
        "Assumes the role, trades the credentials for a sign-in token at the AWS federation endpoint\n",
        "(getSigninToken, sent in a POST body), and opens the login URL with $BROWSER, else xdg-open\n",
        "(open on macOS). --print prints the URL on stdout instead. The URL holds a sign-in token\n",
        "(valid for 15 minutes, usable by whoever has it), not the keys."
    ))]
    Console(ConsoleArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell).
    #[command(after_help = concat!(
        "Examples:\n",
        "  source <(cross-account completions bash)\n",
        "  cross-account completions zsh > \"${fpath[1]}/_cross-account\"\n",
        "  cross-account completions fish > ~/.config/fish/completions/cross-account.fish\n",
        "  cross-account completions powershell | Out-String | Invoke-Expression"
    ))]
    Completions(CompletionsArgs),

    /// Print the manual page (roff) of cross-account or of one of its subcommands.
    #[command(after_help = concat!(
        "Examples:\n",
        "  cross-account man | man -l -\n",
        "  cross-account man assume > cross-account-assume.1\n",
        "  cross-account man > /usr/local/share/man/man1/cross-account.1"
    ))]
    Man(ManArgs),
    /// List the role profiles of ~/.aws/config (AWS_CONFIG_FILE): name, role ARN, external ID set or not, source.
    #[command(after_help = concat!(
        "Example:\n",
        "  cross-account profiles\n",
        "  cross-account assume --profile partner\n\n",
        "Reads the files the AWS CLI reads (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else\n",
        "~/.aws/config and ~/.aws/credentials). Prints no secret; the external ID is shown as set or -."
    ))]
    Profiles,

    /// Check a customer's role: reachable with the external ID, refused without it or with a wrong one.
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),

    // The trusting side's subcommands: they assume nothing, so they take no `SessionArgs`.
    /// Generate external IDs (the trusted side gives one per customer to the trusting account).
    #[command(
        subcommand,
        after_help = "Example:\n  cross-account external-id generate --count 3"
    )]
    ExternalId(ExternalIdCommand),

    /// The trusting side: write a role's trust policy (JSON or CloudFormation), check and lint it.
    #[command(
        subcommand,
        after_help = concat!(
            "Examples:\n",
            "  cross-account trust-policy new --trusted-account 111122223333 \\\n",
            "      --external-id 7M3Q9XKZ2R8TB4WN6PDC > trust.json\n",
            "  cross-account trust-policy check --policy trust.json \\\n",
            "      --principal arn:aws:iam::111122223333:user/alice --external-id 7M3Q9XKZ2R8TB4WN6PDC\n",
            "  cross-account trust-policy lint trust.json"
        )
    )]
    TrustPolicy(TrustPolicyCommand),
}

/// The options of every subcommand that assumes the role.
#[derive(Debug, Clone, Args)]
pub struct SessionArgs {
    /// The role to assume, arn:aws:iam::ACCOUNT_ID:role/NAME. Optional with a --profile
    /// that has a role_arn (then it replaces the profile's role).
    #[arg(long, value_name = "ARN", help_heading = "Role")]
    pub role_arn: Option<String>,

    /// The external ID the role's trust policy requires (sts:ExternalId). Also read from
    /// the environment variable CROSS_ACCOUNT_EXTERNAL_ID when neither flag is given.
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "external_id_file",
        help_heading = "Role"
    )]
    pub external_id: Option<String>,

    /// A file holding the external ID (surrounding whitespace is ignored).
    #[arg(long, value_name = "PATH", help_heading = "Role")]
    pub external_id_file: Option<PathBuf>,

    /// The role session name (default: cross-account- and the Unix time in milliseconds).
    #[arg(long, value_name = "NAME", help_heading = "Role")]
    pub session_name: Option<String>,

    /// Session lifetime: seconds, or with a unit: 900s, 15m, 1h (900 s to 12 h; default 1 h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Role")]
    pub duration: Option<Duration>,

    /// A file with an inline session policy (JSON) that narrows the role's permissions.
    #[arg(long, value_name = "PATH", help_heading = "Session policy and tags")]
    pub policy_file: Option<PathBuf>,

    /// A managed policy ARN that narrows the role's permissions (repeatable).
    #[arg(long, value_name = "ARN", help_heading = "Session policy and tags")]
    pub policy_arn: Vec<String>,

    /// A session tag KEY=VALUE (repeatable).
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_tag, help_heading = "Session policy and tags")]
    pub tag: Vec<(String, String)>,

    /// A session tag key that passes on through role chaining (repeatable).
    #[arg(long, value_name = "KEY", help_heading = "Session policy and tags")]
    pub transitive_tag_key: Vec<String>,

    /// The source identity recorded in CloudTrail (kept through role chaining).
    #[arg(long, value_name = "NAME", help_heading = "Session policy and tags")]
    pub source_identity: Option<String>,

    /// The MFA device (serial number or ARN) the trust policy requires.
    #[arg(long, value_name = "SERIAL", help_heading = "MFA")]
    pub mfa_serial: Option<String>,

    /// The current 6-digit MFA code. Visible to every local user in /proc/PID/cmdline: prefer
    /// --mfa-token-file or CROSS_ACCOUNT_MFA_TOKEN. Without any, the code is asked for on the
    /// terminal (/dev/tty). For --mfa-serial or a --profile's mfa_serial.
    #[arg(
        long,
        value_name = "CODE",
        conflicts_with = "mfa_token_file",
        help_heading = "MFA"
    )]
    pub mfa_token: Option<String>,

    /// A file holding the current MFA code; `-` reads it from stdin. Also read from the
    /// environment variable CROSS_ACCOUNT_MFA_TOKEN when neither flag is given.
    #[arg(long, value_name = "PATH", help_heading = "MFA")]
    pub mfa_token_file: Option<PathBuf>,

    /// Trade the MFA code for an MFA session (GetSessionToken) and sign AssumeRole with it, so
    /// one code serves every role with this --mfa-serial until it expires: 1 h, or DURATION
    /// (15m to 36h). Cached like the role's credentials (0600, in the cache directory).
    #[arg(
        long,
        value_name = "DURATION",
        requires = "mfa_serial",
        num_args = 0..=1,
        default_missing_value = "1h",
        value_parser = parse_duration,
        help_heading = "MFA"
    )]
    pub mfa_session: Option<Duration>,

    /// A second hop: assume this role with the first role's credentials (role chaining, at most 1 h).
    /// --duration and the session policy apply to this hop; tags, --source-identity and MFA to the first.
    #[arg(long, value_name = "ARN", help_heading = "Role chaining")]
    pub chain_role_arn: Option<String>,

    /// The external ID of the second hop's trust policy.
    #[arg(
        long,
        value_name = "ID",
        requires = "chain_role_arn",
        help_heading = "Role chaining"
    )]
    pub chain_external_id: Option<String>,

    /// The region whose STS endpoint is called (default: AWS_REGION or the profile's).
    #[arg(
        long,
        value_name = "REGION",
        help_heading = "Source credentials and endpoint"
    )]
    pub region: Option<String>,

    /// A custom STS endpoint URL (a VPC endpoint, a local emulator). AWS_ENDPOINT_URL_STS also works.
    #[arg(
        long,
        value_name = "URL",
        help_heading = "Source credentials and endpoint"
    )]
    pub endpoint_url: Option<String>,

    /// A profile of ~/.aws/config, as the AWS CLI reads it: a role profile (role_arn,
    /// external_id, source_profile, credential_source, duration_seconds, mfa_serial, ...) is the
    /// role to assume, and the flags above override its values; a profile with credentials only
    /// is the source for --role-arn. Its credentials are used even when the environment holds
    /// keys. Without it: the SDK's default chain (credential-process leaves AWS_PROFILE out of
    /// it, as that names the profile it serves).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Source credentials and endpoint"
    )]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AssumedRoleArn", "AccountId"}
    Json,
    /// What `aws sts assume-role` prints: {"Credentials": {...}, "AssumedRoleUser": {...}}
    Sts,
    /// Shell statements that set AWS_ACCESS_KEY_ID, ... (see --shell).
    Env,
    /// NAME=value lines without `export`: docker --env-file, systemd EnvironmentFile, .env files.
    EnvNoExport,
    /// cmd.exe statements: set "NAME=value" (CRLF line ends; for a .cmd file or pasting).
    WindowsCmd,
    /// The credential_process JSON ({"Version": 1, ...}), without the cache.
    CredentialProcess,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// POSIX sh, bash, zsh: export NAME='value'
    Sh,
    /// fish: set -gx NAME 'value'
    Fish,
    /// PowerShell: $Env:NAME = 'value'
    Powershell,
}

#[derive(Debug, Args)]
pub struct AssumeArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,

    /// The shell syntax for --format env.
    #[arg(long, value_enum, default_value_t = Shell::Sh)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct CredentialProcessArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// Skip the on-disk cache (every run calls STS).
    #[arg(long)]
    pub no_cache: bool,

    /// Fetch anew when less than this is left of the cached credentials (at most a third of
    /// their lifetime): 900s, 15m, 1h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "15m")]
    pub window: Duration,
}

#[derive(Debug, Args)]
pub struct ConfigSnippetArgs {
    /// The profile to define: [profile NAME].
    #[arg(long, value_name = "NAME")]
    pub profile_name: String,

    #[command(flatten)]
    pub session: SessionArgs,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// The command and its arguments (after --); without one, $SHELL (else /bin/sh).
    #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// The TCP port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Write the token to this file (mode 0600, removed on exit) instead of printing it.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// A command to run with the endpoint in its environment (after --).
    #[arg(
        num_args = 0..,
        allow_hyphen_values = true,
        value_name = "CMD",
        last = true
    )]
    pub command: Vec<OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Lines for people, printed as each check finishes.
    Text,
    /// One JSON object at the end, for scripts.
    Json,
}

pub const VERIFY_HELP: &str = "\
Example:
  cross-account verify --role-arn arn:aws:iam::111122223333:role/VendorReadOnly \\
      --external-id 7Q3M0V6K2D9X4B8N1C5R --format json

Makes three AssumeRole calls: with the external ID (must succeed), without one and with a wrong
one (both must be refused), and checks the assumed role's account is the ARN's. Prints no secret.

Exit codes:
  0  safe: reachable with the external ID, refused without it and with a wrong one
  3  the role refuses the agreed external ID (trust policy or ID wrong on the customer's side)
  5  unsafe: the role accepts no or a wrong external ID (confused deputy), or another account answers
  4  STS unavailable or throttled: a check could not be run, try again
  2  invalid input";

/// `verify`'s flags: the vendor's onboarding check of one customer's role.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The customer's role, arn:aws:iam::ACCOUNT_ID:role/NAME.
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// The external ID agreed with this customer.
    #[arg(long, value_name = "ID")]
    pub external_id: String,
    /// The role session name (default: `cross-account-<unix millis>`).
    #[arg(long, value_name = "NAME")]
    pub session_name: Option<String>,
    /// The region whose STS endpoint is called.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// A custom STS endpoint URL.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The profile the source credentials come from.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// text (default) or json.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

// end verify

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// Print the sign-in URL on stdout instead of opening a browser.
    #[arg(long, help_heading = "Console")]
    pub print: bool,

    /// The console page to land on (default: the console home, in --region if given).
    #[arg(long, value_name = "URL", help_heading = "Console")]
    pub destination: Option<String>,

    /// The federation endpoint (default: the role partition's, such as signin.aws.amazon.com's
    /// /federation over https); http only for 127.0.0.1, ::1 or localhost.
    #[arg(long, value_name = "URL", help_heading = "Console")]
    pub federation_endpoint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand whose page to print (cross-account-SUBCOMMAND(1)); default: the main page.
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ExternalIdCommand {
    /// Print fresh external IDs, one a line: 32 characters of Crockford base32 (160 random bits).
    #[command(after_help = concat!(
        "Examples:\n",
        "  cross-account external-id generate\n",
        "  cross-account external-id generate --count 3\n\n",
        "Give each customer its own external ID; it is not a secret, but it must not be guessable\n",
        "or shared between customers (the confused deputy problem)."
    ))]
    Generate(ExternalIdGenerateArgs),
}

#[derive(Debug, Args)]
pub struct ExternalIdGenerateArgs {
    /// How many external IDs to print (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub count: u16,
}

#[derive(Debug, Subcommand)]
pub enum TrustPolicyCommand {
    /// Print a trust policy that lets the trusted account in only with the external ID.
    #[command(after_help = concat!(
        "Examples:\n",
        "  cross-account trust-policy new --trusted-account 111122223333 \\\n",
        "      --external-id 7M3Q9XKZ2R8TB4WN6PDC > trust.json\n",
        "  cross-account trust-policy new --trusted-account 111122223333 \\\n",
        "      --external-id 7M3Q9XKZ2R8TB4WN6PDC --s3-read-bucket partner-reports \\\n",
        "      --print permission > permissions.json\n",
        "  cross-account trust-policy new --trusted-account 111122223333 \\\n",
        "      --external-id 7M3Q9XKZ2R8TB4WN6PDC --format cloudformation \\\n",
        "      --role-name PartnerReadReports --s3-read-bucket partner-reports \\\n",
        "      --s3-read-prefix exports/ > role.yaml\n\n",
        "--format json prints one IAM policy document on stdout: the trust policy (--print trust,\n",
        "the default), or with --print permission the S3 read-only permission policy of\n",
        "--s3-read-bucket, so each can go to its own file (aws iam create-role\n",
        "--assume-role-policy-document, aws iam put-role-policy --policy-document).\n",
        "--format cloudformation prints one YAML template: an AWS::IAM::Role with the trust policy,\n",
        "the S3 read-only policy inline when --s3-read-bucket is given, and the output RoleArn to\n",
        "hand to the trusted account. Lint warnings about the result (e.g. a short external ID)\n",
        "go to stderr.\n\n",
        "Exit codes: 0 printed; 2 invalid input (account ID, ARN, external ID, bucket, ...)."
    ))]
    New(TrustPolicyNewArgs),

    /// Check locally whether a trust policy lets a caller assume the role, and if not, why.
    #[command(after_help = concat!(
        "Examples:\n",
        "  cross-account trust-policy check --policy trust.json \\\n",
        "      --principal arn:aws:iam::111122223333:user/alice --external-id 7M3Q9XKZ2R8TB4WN6PDC\n",
        "  aws iam get-role --role-name PartnerRole --query Role.AssumeRolePolicyDocument \\\n",
        "      | cross-account trust-policy check --policy - \\\n",
        "      --principal arn:aws:sts::111122223333:assumed-role/Sync/nightly\n\n",
        "Prints one line on stdout: `allowed by Statement[N]`, `denied: REASON` (the Deny that\n",
        "applied, the closest Allow and the condition that failed, or STS's refusal of root user\n",
        "credentials) or `unknown: REASON` (an operator or key the local evaluator does not know,\n",
        "or aws:PrincipalArn of a session without --principal-role-arn: it never allows by\n",
        "silence); --format json prints one JSON object instead. Only the trust policy is\n",
        "checked: the caller also needs sts:AssumeRole in its own account's policies.\n\n",
        "Exit codes:\n",
        "  0  allowed\n",
        "  3  denied\n",
        "  1  unknown: the policy cannot be evaluated locally\n",
        "  2  usage error or invalid input (unreadable file, not a trust policy or one IAM rejects,\n",
        "     malformed --principal)"
    ))]
    Check(TrustPolicyCheckArgs),

    /// Warn about the confused deputy problem, federation gaps, IAM grammar errors and hygiene.
    #[command(after_help = concat!(
        "Examples:\n",
        "  cross-account trust-policy lint trust.json\n",
        "  cross-account trust-policy lint template.yaml --own-account 444455556666\n",
        "  terraform show -json plan.out > plan.json && cross-account trust-policy lint plan.json\n",
        "  cross-account trust-policy lint template.yaml --format sarif > trust.sarif\n",
        "  aws iam get-role --role-name PartnerRole --query Role.AssumeRolePolicyDocument \\\n",
        "      | cross-account trust-policy lint -\n\n",
        "Reads a trust policy, every AWS::IAM::Role of a CloudFormation template (YAML or JSON,\n",
        "named by logical ID) or every aws_iam_role of a Terraform plan (named by address). Prints\n",
        "one `[NAME: ]CODE: MESSAGE` line on stdout for each finding (--format json or sarif for\n",
        "machines). Codes: confused-deputy (decided by the evaluator: a trusted principal is let in\n",
        "with no external ID, or with another one), wildcard-principal, external-id-wildcard,\n",
        "external-id-if-exists, external-id-for-all-values, short-external-id, missing-version,\n",
        "old-version, oidc-sub-missing, oidc-sub-wildcard, oidc-aud-missing, saml-aud-missing,\n",
        "principal-action-mismatch, service-without-source, set-operator-on-single-valued-key;\n",
        "errors IAM rejects: invalid-policy, wildcard-in-principal-arn, duplicate-condition-key,\n",
        "unknown-condition-operator; the note confused-deputy-quieted (--own-account, --org).\n\n",
        "Exit codes:\n",
        "  0  no warnings (notes only)\n",
        "  1  warnings found\n",
        "  2  usage error or invalid input (unreadable file, a policy IAM would reject)"
    ))]
    Lint(TrustPolicyLintArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFormat {
    /// An IAM policy document (JSON); see --print.
    Json,
    /// A CloudFormation template (YAML) with the role, its policies and the RoleArn output.
    Cloudformation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyPart {
    /// The role's trust policy (who may assume it).
    Trust,
    /// The S3 read-only permission policy of --s3-read-bucket (what the role may do).
    Permission,
}

#[derive(Debug, Args)]
pub struct TrustPolicyNewArgs {
    /// A trusted account ID (12 digits): any principal of it, arn:PARTITION:iam::ID:root (repeatable).
    #[arg(
        long,
        value_name = "ID",
        required_unless_present = "trusted_principal",
        help_heading = "Who may assume the role"
    )]
    pub trusted_account: Vec<String>,

    /// A trusted role or user ARN, or an account root ARN (repeatable).
    #[arg(long, value_name = "ARN", help_heading = "Who may assume the role")]
    pub trusted_principal: Vec<String>,

    /// An external ID the caller must send (StringEquals sts:ExternalId; repeatable: any of them;
    /// at least one).
    #[arg(long, value_name = "ID", help_heading = "Who may assume the role")]
    pub external_id: Vec<String>,

    /// Require MFA (Bool aws:MultiFactorAuthPresent "true").
    #[arg(long, help_heading = "Who may assume the role")]
    pub require_mfa: bool,

    /// Also allow sts:SetSourceIdentity (the caller may set a source identity).
    #[arg(long, help_heading = "Who may assume the role")]
    pub allow_source_identity: bool,

    /// Also allow sts:TagSession (the caller may pass session tags).
    #[arg(long, help_heading = "Who may assume the role")]
    pub allow_tag_session: bool,

    /// The AWS partition of the ARNs: aws, aws-cn, aws-us-gov, ...
    #[arg(long, value_name = "PARTITION", default_value = "aws")]
    pub partition: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = PolicyFormat::Json, help_heading = "Output")]
    pub format: PolicyFormat,

    /// With --format json: which document to print.
    #[arg(long, value_enum, default_value_t = PolicyPart::Trust, help_heading = "Output")]
    pub print: PolicyPart,

    /// With --format cloudformation: the role's name (default: DemoRole).
    #[arg(long, value_name = "NAME", help_heading = "Output")]
    pub role_name: Option<String>,

    /// Let the role read this S3 bucket (s3:GetObject, s3:ListBucket).
    #[arg(long, value_name = "BUCKET", help_heading = "What the role may do")]
    pub s3_read_bucket: Option<String>,

    /// Only the keys under this prefix of --s3-read-bucket (taken literally: `exports/`).
    #[arg(
        long,
        value_name = "PREFIX",
        requires = "s3_read_bucket",
        help_heading = "What the role may do"
    )]
    pub s3_read_prefix: Option<String>,
}

#[derive(Debug, Args)]
pub struct TrustPolicyCheckArgs {
    /// The trust policy (JSON) to check; `-` reads it from stdin.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,

    /// The caller: arn:aws:iam::ACCOUNT:user/NAME, ...:role/NAME, ...:root or
    /// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
    #[arg(long, value_name = "ARN")]
    pub principal: String,

    /// For a role session --principal: its role's full ARN, path included (the value of
    /// aws:PrincipalArn, which the session ARN does not carry).
    #[arg(long, value_name = "ARN")]
    pub principal_role_arn: Option<String>,

    /// The external ID the caller sends (default: none).
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    /// The caller authenticated with MFA (aws:MultiFactorAuthPresent is "true").
    #[arg(long)]
    pub mfa: bool,

    /// The caller signs with an IAM user's long-term access keys: without --mfa,
    /// aws:MultiFactorAuthPresent is then absent rather than "false".
    #[arg(long)]
    pub long_term_credentials: bool,

    /// Output format: one line of text, or one JSON object
    /// {"decision", "reason", "statement", "sid"}.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// `allowed by Statement[N]`, `denied: REASON` or `unknown: REASON`.
    Text,
    /// One JSON object.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// One `[NAME: ]CODE: MESSAGE` line per finding.
    Text,
    /// One JSON object: documents, findings, context, summary.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

#[derive(Debug, Args)]
pub struct TrustPolicyLintArgs {
    /// A trust policy (JSON), a CloudFormation template (YAML or JSON) or a Terraform plan
    /// (`terraform show -json`); `-` reads it from stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,

    /// An account of your own (12 digits, repeatable): its principals get a note instead of
    /// a confused-deputy warning.
    #[arg(long, value_name = "ID")]
    pub own_account: Vec<String>,

    /// Your AWS Organizations ID (o-...): aws:PrincipalOrgID conditions on it get a note
    /// instead of a confused-deputy warning (repeatable).
    #[arg(long, value_name = "ORG_ID")]
    pub org: Vec<String>,
}

/// `900`, `900s`, `15m`, `1h`: whole seconds; the range is checked by the core.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; use seconds (3600) or 900s, 15m, 1h"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => {
            return Err(format!(
                "{text:?} has an unknown unit; use s, m or h (900s, 15m, 1h)"
            ))
        }
    };
    n.checked_mul(mult)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// `KEY=VALUE` (the value may contain `=`; the key may not be empty).
pub fn parse_tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{text:?} is not a tag; use KEY=VALUE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("900"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("900s"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1d").is_err());
        assert!(parse_duration("-5").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
    }

    #[test]
    fn tags() {
        assert_eq!(parse_tag("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert_eq!(parse_tag("a="), Ok(("a".into(), String::new())));
        assert!(parse_tag("=b").is_err());
        assert!(parse_tag("ab").is_err());
    }

    #[test]
    fn exec_takes_everything_after_the_double_dash() {
        let cli = Cli::try_parse_from([
            "cross-account",
            "exec",
            "--role-arn",
            "arn:aws:iam::123456789012:role/R",
            "--",
            "sh",
            "-c",
            "exit 3",
        ])
        .unwrap();
        let Command::Exec(args) = cli.command else {
            panic!("not exec")
        };
        assert_eq!(args.command, ["sh", "-c", "exit 3"]);
    }
}
