//! Validated AssumeRole inputs. Each type can only hold a value STS would accept, so a session
//! that builds never fails at STS for a malformed parameter.

mod duration;
mod external_id;
mod mfa;
mod policy;
mod session_name;
mod source_identity;
mod tags;

pub use duration::SessionDuration;
pub use external_id::ExternalId;
pub(crate) use mfa::{blocking_token, validate_serial};
pub use mfa::{MfaDevice, MfaToken, MfaTokenError, MfaTokenFuture, ProvideMfaToken};
pub use policy::{PolicyArns, SessionPolicy};
pub use session_name::SessionName;
pub use source_identity::SourceIdentity;
pub use tags::SessionTags;

/// `FromStr`, `TryFrom<String>`, `Display`, `AsRef<str>` and `as_str` for a validated string
/// newtype whose `new` does the checking.
macro_rules! string_newtype {
    ($ty:ident) => {
        impl std::str::FromStr for $ty {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self, crate::Error> {
                $ty::new(s)
            }
        }
        impl TryFrom<String> for $ty {
            type Error = crate::Error;
            fn try_from(s: String) -> Result<Self, crate::Error> {
                $ty::new(s)
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl $ty {
            /// The validated value as text.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let v: cross_account::", stringify!($ty), " = ", crate::params::example_literal!($ty), ".parse()?;")]
            #[doc = concat!("assert_eq!(v.as_str(), ", crate::params::example_literal!($ty), ");")]
            /// # Ok::<(), cross_account::Error>(())
            /// ```
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use string_newtype;

macro_rules! example_literal {
    (ExternalId) => {
        "\"ExternalId123\""
    };
    (SessionName) => {
        "\"nightly-sync\""
    };
    (SourceIdentity) => {
        "\"alice@example.com\""
    };
    (SessionPolicy) => {
        "r#\"{\"Version\":\"2012-10-17\"}\"#"
    };
}
pub(crate) use example_literal;
