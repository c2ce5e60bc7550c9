//! `cross-account`: the command line over the `cross_account` core; all of it is in the library.

fn main() {
    // Not returning through main: a blocked helper thread (a cache lock wait that timed out)
    // must not hold the process open. Everything that matters is flushed already.
    std::process::exit(cross_account_cli::main());
}
