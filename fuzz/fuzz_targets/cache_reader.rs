//! The `credential-process` cache reader on arbitrary file contents: never panics, and hands out
//! credentials only from a well-formed entry of this format that is still reusable.
//!
//! The reader is in the CLI binary crate, which has no library target; this target compiles the
//! CLI's own source files in with `#[path]` (unchanged, so the fuzzed code is the shipped code)
//! and goes through the public `Cache::open` / `Cache::read_fresh`, the same calls
//! `credential-process` makes. Each input is written to the entry file (0600, in a private
//! temporary cache directory) and read back.
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/cross-account-cli/src/cache.rs"]
mod cache;
#[allow(dead_code)]
#[path = "../../crates/cross-account-cli/src/cli.rs"]
mod cli;
#[allow(dead_code)]
#[path = "../../crates/cross-account-cli/src/failure.rs"]
mod failure;
#[allow(dead_code)]
#[path = "../../crates/cross-account-cli/src/output.rs"]
mod output;
#[allow(dead_code)]
#[path = "../../crates/cross-account-cli/src/session.rs"]
mod session;
#[allow(dead_code)]
#[path = "../../crates/cross-account-cli/src/sys.rs"]
mod sys;

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use clap::Parser;
use libfuzzer_sys::fuzz_target;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    session: cli::SessionArgs,
}

struct Fixture {
    cache: cache::Cache,
    entry: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("ca-fuzz-cache-{}", std::process::id()));
        std::fs::create_dir_all(&base).expect("temp dir");
        // Read once at start-up, before any other thread exists.
        std::env::set_var("XDG_CACHE_HOME", &base);
        let args = Args::parse_from([
            "cross-account",
            "--role-arn",
            "arn:aws:iam::123456789012:role/FuzzRole",
            "--external-id",
            "ExternalId123",
        ]);
        let resolved = session::resolve(&args.session).expect("resolve");
        let cache = cache::Cache::open(&resolved).expect("open the cache directory");
        let entry = cache.entry_path();
        Fixture { cache, entry }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&f.entry)
        .expect("write the entry");
    file.write_all(data).expect("write the entry");
    drop(file);
    // A fixed "now" in 2030: entries are judged against it, not the wall clock.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_456_000);
    if let Some(creds) = f.cache.read_fresh(now) {
        // Reused only with more than the 30 s margin left, from non-empty fields of valid JSON.
        assert!(creds.expiration() > now + Duration::from_secs(30));
        assert!(!creds.access_key_id().is_empty());
        let text = std::str::from_utf8(data).expect("a usable entry is UTF-8 JSON");
        let v: serde_json::Value = serde_json::from_str(text).expect("a usable entry is JSON");
        assert_eq!(
            v["Format"].as_str(),
            Some("cross-account-credential-process-cache-v1")
        );
        assert_eq!(v["AccessKeyId"].as_str(), Some(creds.access_key_id()));
    }
});
