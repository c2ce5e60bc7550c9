//! Read one S3 object in the partner's account through an assumed role.
//!
//! ```text
//! ROLE_ARN=arn:aws:iam::123456789012:role/DemoRole EXTERNAL_ID=ExternalId123 \
//!   BUCKET=partner-shared-bucket KEY=reports/hello.txt cargo run -p cross-account-examples --bin s3_read
//! ```
//! Source credentials, region and endpoint come from the usual AWS environment and profiles.

use aws_config::BehaviorVersion;
use cross_account::CrossAccountSession;

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = CrossAccountSession::builder()
        .role_arn(var("ROLE_ARN")?)
        .external_id(var("EXTERNAL_ID")?)
        .build()?;

    // The session is the S3 client's credentials provider and only cache: it refreshes in the
    // background, and invalidate() reaches the client.
    let config = session
        .configure_loader(aws_config::defaults(BehaviorVersion::latest()))
        .load()
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let object = s3
        .get_object()
        .bucket(var("BUCKET")?)
        .key(var("KEY")?)
        .send()
        .await?;
    let body = object.body.collect().await?.into_bytes();
    print!("{}", String::from_utf8_lossy(&body));
    Ok(())
}
