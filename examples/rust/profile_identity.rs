//! Assume the role of a named profile from ~/.aws/config, as `aws --profile NAME` would, and
//! print the assumed-role ARN.
//!
//! ```text
//! cargo run -p cross-account-examples --bin profile_identity -- partner
//! ```
//! A profile with `mfa_serial` reads the code from the MFA_CODE environment variable.

use cross_account::CrossAccountSession;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args()
        .nth(1)
        .ok_or("usage: profile_identity PROFILE")?;
    // Unknown profiles, cycles and missing sources fail here, before any network call.
    let session = CrossAccountSession::from_profile(&name)?
        .mfa_token_callback(|| {
            std::env::var("MFA_CODE").map_err(|_| "set MFA_CODE to the current code".to_string())
        })
        .build()?;
    let creds = session.credentials().await?;
    println!("{}", creds.assumed_role_arn());
    Ok(())
}
