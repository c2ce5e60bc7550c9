//! `assume`: one AssumeRole, printed in one of the `--format`s (JSON shapes, shell statements).

use crate::cli::{AssumeArgs, Format};
use crate::error::{CliError, EXIT_OK};
use crate::output;
use crate::session;

pub async fn run(args: AssumeArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    let session = crate::mfa_session::build(&resolved, false).await?;
    let creds = session.credentials().await?;
    let vars = || output::env_vars(&creds, args.session.region.as_deref());
    let text = match args.format {
        Format::Json => output::json(&creds) + "\n",
        Format::Sts => output::sts_json(&creds) + "\n",
        Format::CredentialProcess => output::credential_process_json(&creds) + "\n",
        Format::Env => output::env_script(&vars(), args.shell),
        Format::EnvNoExport => output::env_no_export(&vars()),
        Format::WindowsCmd => output::windows_cmd(&vars()).map_err(CliError::other)?,
    };
    super::print_stdout(&text)?;
    tracing::info!(
        access_key_id = creds.access_key_id(),
        assumed_role_arn = creds.assumed_role_arn(),
        "assumed role"
    );
    Ok(EXIT_OK)
}
