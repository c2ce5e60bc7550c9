//! The `credential-process` cache reader on arbitrary file contents: never panics, and hands out
//! credentials only from a well-formed entry of this format, stored under this entry's key, that
//! is still reusable.
//!
//! Goes through the CLI library's `Cache::at` / `Cache::read_fresh`, the calls
//! `credential-process` makes. Each input is written to the entry file (0600, in a private
//! temporary cache directory) and read back.
#![no_main]

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use cross_account_cli::cache::{Cache, DEFAULT_WINDOW, FORMAT};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Fixture {
    cache: Cache,
    entry: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("ca-fuzz-cache-{}", std::process::id()));
        let cache = Cache::at(&base, KEY.to_string(), DEFAULT_WINDOW).expect("open the cache directory");
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
        assert_eq!(v["Format"].as_str(), Some(FORMAT));
        assert_eq!(v["Key"].as_str(), Some(KEY));
        assert_eq!(v["AccessKeyId"].as_str(), Some(creds.access_key_id()));
    }
});
