//! # cross-account
//!
//! Assume an AWS IAM role in another account with an External ID (`sts:AssumeRole`) and keep
//! the temporary credentials fresh for as long as the program runs.
//!
//! - Inputs are validated when the session is built, before any network call, and a bad value
//!   names the setter it came from.
//! - Secrets live in [`secrecy::SecretString`]; `Debug`, errors and logs never show them.
//! - Reads of fresh credentials take no lock and never wait for STS; one AssumeRole call is made
//!   per credential lifetime, however many tasks read; a background task refreshes before expiry
//!   and keeps serving valid credentials while STS is failing.
//! - [`CrossAccountSession`] implements the SDK's `ProvideCredentials`, so it plugs into any
//!   `aws-sdk-*` client.
//!
//! ## Quick start
//!
//! ```no_run
//! use cross_account::CrossAccountSession;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let session = CrossAccountSession::builder()
//!     .role_arn("arn:aws:iam::123456789012:role/DemoRole")
//!     .external_id("ExternalId123")
//!     .build()?;
//!
//! // The session is the clients' only credentials cache (see `configure_loader`).
//! let config = session
//!     .configure_loader(aws_config::defaults(aws_config::BehaviorVersion::latest()))
//!     .load()
//!     .await;
//! // let s3 = aws_sdk_s3::Client::new(&config);
//! # let _ = config;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod arn;
mod clock;
mod credentials;
mod driver;
mod error;
mod jitter;
mod mfa_session;
mod options;
mod params;
mod pool;
mod profile;
mod refresh;
mod session;
mod sts;
/// The trusting side: the account that owns the resources and creates the role.
#[cfg(feature = "trust")]
pub mod trust;
mod validate;

pub use arn::RoleArn;
pub use credentials::TemporaryCredentials;
pub use error::{Error, ErrorKind, ErrorSource, Result};
pub use mfa_session::{MfaSession, MfaSessionBuilder};
pub use options::{CredentialSource, SessionOptions};
pub use params::{
    ExternalId, MfaDevice, MfaToken, MfaTokenError, MfaTokenFuture, PolicyArns, ProvideMfaToken,
    SessionDuration, SessionName, SessionPolicy, SessionTags, SourceIdentity,
};
pub use pool::{
    ActionProbe, CrossAccountPool, CrossAccountPoolBuilder, EvictReason, PoolEvent, PoolProvider,
    PoolStats, ProbeFuture, VerifyCheck, VerifyCheckKind, VerifyOutcome, VerifyReport,
    VerifyVerdict,
};
pub use profile::{RoleProfile, SharedConfig, SharedConfigFiles};
pub use refresh::{Backoff, SessionStatus, DEFAULT_MANDATORY_MARGIN, DEFAULT_MAX_REFRESH_WINDOW};
pub use session::{CrossAccountSession, CrossAccountSessionBuilder};
pub use sts::CallerIdentity;

/// Re-exported so callers can name the secret type without depending on `secrecy` themselves.
pub use secrecy;
