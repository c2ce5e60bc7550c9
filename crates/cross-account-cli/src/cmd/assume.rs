//! `assume`: one AssumeRole, printed as JSON, shell statements or credential_process JSON.

use crate::cli::{AssumeArgs, Format};
use crate::error::{CliError, EXIT_OK};
use crate::output;
use crate::session;

pub async fn run(args: AssumeArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    let session = session::build(&resolved, false)?;
    let creds = session.credentials().await?;
    let text = match args.format {
        Format::Json => output::json(&creds) + "\n",
        Format::CredentialProcess => output::credential_process_json(&creds) + "\n",
        Format::Env => output::env_script(
            &output::env_vars(&creds, args.session.region.as_deref()),
            args.shell,
        ),
    };
    super::print_stdout(&text)?;
    tracing::info!(
        access_key_id = creds.access_key_id(),
        assumed_role_arn = creds.assumed_role_arn(),
        "assumed role"
    );
    Ok(EXIT_OK)
}
