//! `external-id generate`: fresh external IDs for the trusted side to hand out, one a customer.

use cross_account::ExternalId;

use crate::cli::{ExternalIdCommand, ExternalIdGenerateArgs};
use crate::error::{CliError, EXIT_OK};

pub fn run(command: ExternalIdCommand) -> Result<i32, CliError> {
    match command {
        ExternalIdCommand::Generate(args) => generate(args),
    }
}

fn generate(args: ExternalIdGenerateArgs) -> Result<i32, CliError> {
    let mut out = String::new();
    for _ in 0..args.count {
        let id = ExternalId::generate()?;
        out.push_str(id.as_str());
        out.push('\n');
    }
    super::print_stdout(&out)?;
    Ok(EXIT_OK)
}
