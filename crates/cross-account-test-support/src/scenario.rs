//! The scenario `scripts/with-local-sts` seeded in moto (tests/support/local_sts.py writes it and
//! names the file in `CROSS_ACCOUNT_TEST_SCENARIO`).

use std::path::{Path, PathBuf};

const VARIABLE: &str = "CROSS_ACCOUNT_TEST_SCENARIO";

/// The role, the partner's external ID, the object the role may read, and where moto listens.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub role_arn: String,
    pub external_id: String,
    pub bucket: String,
    pub key: String,
    pub body: String,
    pub region: String,
    pub endpoint_url: String,
    /// The partner's long-term keys (moto's), for suites that hand them to a child process.
    pub partner_key: String,
    pub partner_secret: String,
    path: PathBuf,
}

impl Scenario {
    /// Reads the scenario file at `path`.
    pub fn load(path: &Path) -> Scenario {
        let shown = path.display();
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {shown}: {e}"));
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{shown} is not JSON: {e}"));
        let s = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("{k} missing in {shown}"))
                .to_string()
        };
        Scenario {
            role_arn: s("role_arn"),
            external_id: s("external_id"),
            bucket: s("bucket"),
            key: s("key"),
            body: s("body"),
            region: s("region"),
            endpoint_url: s("endpoint_url"),
            partner_key: s("partner_access_key_id"),
            partner_secret: s("partner_secret_access_key"),
            path: path.to_path_buf(),
        }
    }

    /// The scenario of the harness this process runs under; panics outside it.
    pub fn required() -> Scenario {
        let path = std::env::var_os(VARIABLE)
            .unwrap_or_else(|| panic!("{VARIABLE} is not set: run under scripts/with-local-sts"));
        Scenario::load(Path::new(&path))
    }

    /// A session of the scenario's role with the partner's external ID; source credentials and
    /// endpoint come from the environment the harness exports, as a user's would.
    pub fn session(&self) -> cross_account::CrossAccountSessionBuilder {
        cross_account::CrossAccountSession::builder()
            .role_arn(&self.role_arn)
            .external_id(&self.external_id)
    }

    /// An S3 client config for the scenario's bucket: moto serves buckets by path, not by
    /// virtual host.
    #[cfg(feature = "s3")]
    pub fn s3_config(config: &aws_config::SdkConfig) -> aws_sdk_s3::config::Builder {
        aws_sdk_s3::config::Builder::from(config).force_path_style(true)
    }

    /// The harness's state directory (where `local_sts.py` keeps moto's files).
    pub fn state_dir(&self) -> &Path {
        self.path
            .parent()
            .expect("the scenario file is in the state dir")
    }
}

/// The scenario from the harness, or `None` (the test skips) outside it. Missing under
/// CI=true is a failure, not a skip.
pub fn scenario() -> Option<Scenario> {
    if std::env::var_os(VARIABLE).is_some() {
        return Some(Scenario::required());
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{VARIABLE} is not set: the local STS must run under CI (use scripts/with-local-sts)"
        );
    }
    eprintln!("skipped: {VARIABLE} is not set; run through scripts/with-local-sts");
    None
}
