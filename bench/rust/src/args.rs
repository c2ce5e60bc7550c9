//! The command line of both bench binaries: positional words and `--name value` flags.

/// The arguments after the program name.
pub struct Args(Vec<String>);

impl Args {
    pub fn from_env() -> Args {
        Args(std::env::args().skip(1).collect())
    }

    /// The `i`-th word (0 is the subcommand).
    pub fn word(&self, i: usize) -> Option<&str> {
        self.0.get(i).map(String::as_str)
    }

    /// Whether `--name` is given.
    #[allow(dead_code)] // only `cross-account-bench` takes a switch (`--quick`)
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|a| a == name)
    }

    /// The value after `--name`.
    pub fn flag(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .cloned()
    }

    /// The number after `--name`, or `default`; a value that is not a number ends the program.
    pub fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        self.flag(name).map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number, not {v:?}"))
        })
    }
}
