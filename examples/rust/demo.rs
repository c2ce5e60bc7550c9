//! The scenario, end to end: a partner assumes the trusting account's role with the agreed
//! External ID, reads the shared object, is refused a write, and a wrong External ID is
//! refused with a hint. Run by `scripts/demo`, which starts the local STS and sets it up.

use std::time::SystemTime;

use aws_config::BehaviorVersion;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use cross_account::{CrossAccountSession, Error};

struct Scenario {
    role_arn: String,
    external_id: String,
    bucket: String,
    key: String,
}

fn load_scenario() -> Result<Scenario, String> {
    let path = std::env::var("CROSS_ACCOUNT_TEST_SCENARIO")
        .map_err(|_| "CROSS_ACCOUNT_TEST_SCENARIO is not set; run scripts/demo".to_string())?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let field = |k: &str| {
        v[k].as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{path}: {k} missing"))
    };
    Ok(Scenario {
        role_arn: field("role_arn")?,
        external_id: field("external_id")?,
        bucket: field("bucket")?,
        key: field("key")?,
    })
}

async fn s3_for(session: &CrossAccountSession) -> aws_sdk_s3::Client {
    let config = session
        .configure_loader(aws_config::defaults(BehaviorVersion::latest()))
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sc = load_scenario()?;
    println!("== The trusting account shared a role with us");
    println!("   role ARN     {}", sc.role_arn);
    println!("   external ID  {}", sc.external_id);

    println!("\n== 1. Assume the role with the agreed External ID");
    let session = CrossAccountSession::builder()
        .role_arn(&sc.role_arn)
        .external_id(&sc.external_id)
        .session_name("cross-account-demo")
        .build()?;
    let creds = session.credentials().await?;
    let left = creds
        .expiration()
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    println!("   assumed      {}", creds.assumed_role_arn());
    println!("   access key   {}", creds.access_key_id());
    println!(
        "   secret key   {:?} (redacted; expose_secret() hands it over)",
        creds.secret_access_key()
    );
    println!(
        "   valid for    {} s, refreshed in the background before expiry",
        left.as_secs()
    );

    println!("\n== 2. Read the shared object with the Rust S3 client (allowed)");
    let s3 = s3_for(&session).await;
    let object = s3
        .get_object()
        .bucket(&sc.bucket)
        .key(&sc.key)
        .send()
        .await?;
    let body = object.body.collect().await?.into_bytes();
    println!(
        "   s3://{}/{} -> {:?}",
        sc.bucket,
        sc.key,
        String::from_utf8_lossy(&body)
    );

    println!("\n== 3. Try to write (the role's permission policy says no)");
    match s3
        .put_object()
        .bucket(&sc.bucket)
        .key("reports/from-partner.txt")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"hello"))
        .send()
        .await
    {
        Err(e) if e.code() == Some("AccessDenied") => println!(
            "   denied, as it should be: {}",
            e.code().unwrap_or_default()
        ),
        Err(e) => return Err(format!("unexpected error: {}", DisplayErrorContext(&e)).into()),
        Ok(_) => return Err("the write was allowed; the permission policy is too broad".into()),
    }

    println!("\n== 4. A wrong External ID is refused, with a hint");
    let wrong = CrossAccountSession::builder()
        .role_arn(&sc.role_arn)
        .external_id("NotTheAgreedId")
        .build()?;
    match wrong.credentials().await {
        Err(Error::AccessDenied { hint, .. }) => println!("   AccessDenied\n   hint: {hint}"),
        other => return Err(format!("expected AccessDenied, got {other:?}").into()),
    }

    println!("\n== 5. Bad input never reaches the network");
    match CrossAccountSession::builder()
        .role_arn("arn:aws:iam::12345:role/DemoRole")
        .build()
    {
        Err(e) => println!("   {e}"),
        Ok(_) => return Err("a malformed ARN was accepted".into()),
    }

    let status = session.status();
    let expires_in = status
        .expiration
        .and_then(|e| e.duration_since(SystemTime::now()).ok())
        .unwrap_or_default();
    println!(
        "\n== Session status: {} STS call(s) so far; the credentials expire in {} s",
        status.sts_calls,
        expires_in.as_secs()
    );
    Ok(())
}
