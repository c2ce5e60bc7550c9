//! `completions SHELL`: a completion script generated from the clap grammar itself, so every
//! subcommand, flag and `--format` value completes exactly as it parses.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionShell, CompletionsArgs};
use crate::error::{CliError, EXIT_OK};

pub fn run(args: CompletionsArgs) -> Result<i32, CliError> {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, &name, &mut script);
    let mut script = String::from_utf8(script)
        .map_err(|e| CliError::other(format!("the completion script is not UTF-8: {e}")))?;
    if shell == Shell::Bash {
        script = fix_bash_state_names(&script, &name);
    }
    super::print_stdout(&script)?;
    Ok(EXIT_OK)
}

/// clap_complete's bash script (4.6.12) spells a subcommand's state `cross__account__subcmd__X`
/// where it computes it but `cross__subcmd__account__subcmd__X` in the `case` arms, so for a
/// binary with a hyphen in its name nothing after the subcommand ever completes
/// (clap-rs/clap#6421). The arms are respelled the way the state is computed; once clap
/// fixes it, there is nothing left to replace.
fn fix_bash_state_names(script: &str, bin_name: &str) -> String {
    let computed = bin_name.replace('-', "__");
    let in_arms = bin_name.replace('-', "__subcmd__");
    if computed == in_arms {
        return script.to_string();
    }
    script.replace(
        &format!("{in_arms}__subcmd__"),
        &format!("{computed}__subcmd__"),
    )
}
