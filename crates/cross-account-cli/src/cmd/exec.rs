//! `exec [--] CMD ARGS...`: the child gets the role's credentials in its environment.

use crate::cli::ExecArgs;
use crate::error::CliError;
use crate::output;
use crate::session;

use super::child::{self, ChildEnv};

pub async fn run(args: ExecArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    let session = session::build(&resolved, false)?;
    let creds = session.credentials().await?;
    let env = ChildEnv {
        set: output::env_vars(&creds, args.session.region.as_deref()),
        // A leftover legacy token must not mix with the role's keys (environment keys already
        // take precedence over any profile in every SDK's default chain).
        remove: vec!["AWS_SECURITY_TOKEN"],
        // The credentials are in its environment: it may well outlive this process.
        tie: None,
    };
    child::run(&args.command, env).await
}
