//! Shared by the end-to-end suites: the scenario the local STS harness set up, and a writer
//! that captures `tracing` output.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};

pub struct Scenario {
    pub role_arn: String,
    pub external_id: String,
    pub bucket: String,
    pub key: String,
    pub body: String,
}

/// The scenario from the harness. Missing under CI is a failure, not a skip.
pub fn scenario() -> Option<Scenario> {
    let Ok(path) = std::env::var("CROSS_ACCOUNT_TEST_SCENARIO") else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CROSS_ACCOUNT_TEST_SCENARIO is not set: the local STS must run under CI (use scripts/with-local-sts)");
        }
        eprintln!(
            "skipped: CROSS_ACCOUNT_TEST_SCENARIO is not set; run through scripts/with-local-sts"
        );
        return None;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k} missing in {path}"))
            .to_string()
    };
    Some(Scenario {
        role_arn: s("role_arn"),
        external_id: s("external_id"),
        bucket: s("bucket"),
        key: s("key"),
        body: s("body"),
    })
}

#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);
impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
