//! `man [SUBCOMMAND]`: the manual page in roff, generated from the clap grammar (the same text
//! as `--help`), so a packager needs no build step to install it.

use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::error::{CliError, EXIT_OK};

pub fn run(args: ManArgs) -> Result<i32, CliError> {
    let mut top = Cli::command();
    // Propagates `version` and the global flags to the subcommands, as parsing would.
    top.build();
    let page = match &args.subcommand {
        None => top,
        Some(name) => {
            let sub = top.find_subcommand(name).cloned().ok_or_else(|| {
                let known: Vec<&str> = top.get_subcommands().map(|c| c.get_name()).collect();
                CliError::usage(format!(
                    "man: {name:?} is not a subcommand; use one of {}",
                    known.join(", ")
                ))
            })?;
            sub.name(format!("{}-{name}", top.get_name()))
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| CliError::other(format!("cannot render the manual page: {e}")))?;
    let roff = String::from_utf8(roff)
        .map_err(|e| CliError::other(format!("the manual page is not UTF-8: {e}")))?;
    super::print_stdout(&roff)?;
    Ok(EXIT_OK)
}
