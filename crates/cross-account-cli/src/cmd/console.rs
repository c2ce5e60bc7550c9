//! `console`: the AWS federation sign-in flow. The role's temporary credentials are traded for
//! a sign-in token at the federation endpoint (`Action=getSigninToken`), and the login URL
//! (`Action=login`) carries only that token, never the keys.

use std::time::Duration;

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::body::SdkBody;
use cross_account::secrecy::{ExposeSecret, SecretString};
use cross_account::TemporaryCredentials;
use http_body_util::BodyExt;
use serde_json::json;

use crate::cli::ConsoleArgs;
use crate::error::{CliError, EXIT_OK};
use crate::session;

/// The whole getSigninToken exchange, connection included.
const FEDERATION_TIMEOUT: Duration = Duration::from_secs(20);
/// A sign-in token is about 1 KiB; anything far larger is not an answer to getSigninToken.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The `Issuer` of the login URL: who sent the user to the console.
const ISSUER: &str = "cross-account";

pub async fn run(args: ConsoleArgs) -> Result<i32, CliError> {
    let resolved = session::resolve(&args.session)?;
    let session = crate::mfa_session::build(&resolved, false).await?;
    // Every local check before the AssumeRole call.
    let partition = session.role_arn().partition().to_string();
    let federation = match &args.federation_endpoint {
        Some(url) => federation_endpoint(url)?,
        None => default_federation_endpoint(&partition)?.to_string(),
    };
    let destination = match &args.destination {
        Some(url) => destination(url)?,
        None => default_destination(&partition, args.session.region.as_deref())?,
    };
    let creds = session.credentials().await?;
    let token = signin_token(&federation, &creds).await?;
    let url = login_url(&federation, &destination, &token);
    if args.print {
        super::print_stdout(&format!("{}\n", url.expose_secret()))?;
    } else {
        open_browser(&url)?;
        crate::stdio::note(&format!(
            "opened the console sign-in for {} in the browser (the link works for 15 minutes)",
            session.role_arn()
        ));
    }
    Ok(EXIT_OK)
}

/// `--federation-endpoint`: https, or http on a loopback host (a local stand-in); no query.
fn federation_endpoint(url: &str) -> Result<String, CliError> {
    let bad = |why: &str| {
        CliError::usage(format!(
            "--federation-endpoint {url:?} {why}; use https://HOST/PATH (http only for 127.0.0.1, [::1] or localhost)"
        ))
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("is not a URL"))?;
    if url.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("has a query, fragment, space or control character"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.contains('@') {
        return Err(bad("has user information"));
    }
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    let host_name = if host.starts_with('[') {
        host.split_once(']')
            .map_or(host, |(h, _)| h)
            .trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or(host)
    };
    match scheme {
        "https" => Ok(url.to_string()),
        "http" if matches!(host_name, "127.0.0.1" | "::1" | "localhost") => Ok(url.to_string()),
        "http" => Err(bad(
            "sends the credentials unencrypted to a host that is not loopback",
        )),
        _ => Err(bad("is neither https nor http")),
    }
}

/// `--destination`: the console page to land on.
fn destination(url: &str) -> Result<String, CliError> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2048
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(url.to_string())
    } else {
        Err(CliError::usage(format!(
            "--destination {url:?} is not a URL; use a console page such as https://console.aws.amazon.com/s3/ (no spaces, at most 2048 characters)"
        )))
    }
}

fn default_federation_endpoint(partition: &str) -> Result<&'static str, CliError> {
    match partition {
        "aws" => Ok("https://signin.aws.amazon.com/federation"),
        "aws-cn" => Ok("https://signin.amazonaws.cn/federation"),
        "aws-us-gov" => Ok("https://signin.amazonaws-us-gov.com/federation"),
        other => Err(CliError::usage(format!(
            "partition {other} has no known console sign-in endpoint; pass --federation-endpoint and --destination"
        ))),
    }
}

fn default_destination(partition: &str, region: Option<&str>) -> Result<String, CliError> {
    let console = match partition {
        "aws" => "console.aws.amazon.com",
        "aws-cn" => "console.amazonaws.cn",
        "aws-us-gov" => "console.amazonaws-us-gov.com",
        other => {
            return Err(CliError::usage(format!(
            "partition {other} has no known console; pass --destination and --federation-endpoint"
        )))
        }
    };
    Ok(match region {
        // Region codes were validated by the core when the session was built.
        Some(region) if partition == "aws" => {
            format!("https://{region}.{console}/console/home?region={region}")
        }
        Some(region) => format!("https://{console}/console/home?region={region}"),
        None => format!("https://{console}/"),
    })
}

/// `Action=getSigninToken` with the session JSON, in a POST body so that the keys never sit in
/// a URL (proxy and server logs keep URLs).
async fn signin_token(
    federation: &str,
    creds: &TemporaryCredentials,
) -> Result<SecretString, CliError> {
    let session_json = SecretString::from(
        json!({
            "sessionId": creds.access_key_id(),
            "sessionKey": creds.secret_access_key().expose_secret(),
            "sessionToken": creds.session_token().expose_secret(),
        })
        .to_string(),
    );
    let body = SecretString::from(format!(
        "Action=getSigninToken&Session={}",
        form_encode(session_json.expose_secret())
    ));
    let failed = |why: String| {
        CliError::other(format!(
            "the federation endpoint {federation} did not give a sign-in token: {why}"
        ))
    };
    let mut request = Request::new(SdkBody::from(body.expose_secret().to_string()));
    request
        .set_method("POST")
        .map_err(|e| failed(e.to_string()))?;
    request
        .set_uri(federation)
        .map_err(|e| failed(format!("not a usable URL ({e})")))?;
    let headers = request.headers_mut();
    headers.insert("content-type", "application/x-www-form-urlencoded");
    headers.insert("accept", "application/json");
    let connector = Connector::builder()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build();
    let exchange = async {
        let response = connector
            .call(request)
            .await
            .map_err(|e| failed(format!("the request failed ({e})")))?;
        let status = response.status().as_u16();
        let bytes = http_body_util::Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| failed(format!("reading the answer failed ({e})")))?
            .to_bytes();
        Ok::<_, CliError>((status, bytes))
    };
    let (status, bytes) = tokio::time::timeout(FEDERATION_TIMEOUT, exchange)
        .await
        .map_err(|_| {
            failed(format!(
                "no answer within {} s",
                FEDERATION_TIMEOUT.as_secs()
            ))
        })??;
    if status != 200 {
        // The body is not shown: an error page says nothing the status does not.
        return Err(failed(format!(
            "HTTP {status} (the role's credentials were refused; a chained role's session cannot exceed 1 hour)"
        )));
    }
    let answer: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| failed(format!("the answer is not JSON ({e})")))?;
    let token = answer
        .get("SigninToken")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| failed("the answer has no usable \"SigninToken\"".into()))?;
    Ok(SecretString::from(token.to_string()))
}

/// The `Action=login` URL. It opens a console session for whoever has it, for 15 minutes.
fn login_url(federation: &str, destination: &str, token: &SecretString) -> SecretString {
    SecretString::from(format!(
        "{federation}?Action=login&Issuer={}&Destination={}&SigninToken={}",
        form_encode(ISSUER),
        form_encode(destination),
        form_encode(token.expose_secret())
    ))
}

/// Percent-encoding of everything but the RFC 3986 unreserved characters, which is valid
/// both in a query string and in an `application/x-www-form-urlencoded` body.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `$BROWSER` (the first of a `:`-separated list; `%s` stands for the URL), else the desktop's
/// opener. The URL is an argument, never passed through a shell.
fn open_browser(url: &SecretString) -> Result<(), CliError> {
    let url = url.expose_secret();
    let from_env = std::env::var("BROWSER").ok().and_then(|b| {
        b.split(':')
            .map(str::trim)
            .find(|b| !b.is_empty())
            .map(str::to_string)
    });
    let (program, mut args): (String, Vec<String>) = match &from_env {
        Some(browser) => {
            let mut words = browser.split_whitespace().map(str::to_string);
            let program = words.next().unwrap_or_default();
            (program, words.collect())
        }
        None if cfg!(target_os = "macos") => ("open".into(), Vec::new()),
        None => ("xdg-open".into(), Vec::new()),
    };
    if args.iter().any(|a| a.contains("%s")) {
        args = args.iter().map(|a| a.replace("%s", url)).collect();
    } else {
        args.push(url.to_string());
    }
    let status = std::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .status()
        .map_err(|e| {
            CliError::other(format!(
                "cannot start {program:?} to open the sign-in URL ({e}); set BROWSER, or use --print"
            ))
        })?;
    if !status.success() {
        return Err(CliError::other(format!(
            "{program:?} could not open the sign-in URL ({status}); set BROWSER, or use --print"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert!(federation_endpoint("https://signin.aws.amazon.com/federation").is_ok());
        assert!(federation_endpoint("http://127.0.0.1:8080/federation").is_ok());
        assert!(federation_endpoint("http://[::1]:8080/federation").is_ok());
        assert!(federation_endpoint("http://localhost/federation").is_ok());
        for bad in [
            "http://signin.example/federation",
            "http://127.0.0.1.evil.example/f",
            "http://user@127.0.0.1/f",
            "ftp://127.0.0.1/f",
            "https://signin.aws.amazon.com/federation?x=1",
            "signin.aws.amazon.com",
            "https:///federation",
        ] {
            let err = federation_endpoint(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(err.to_string().contains("--federation-endpoint"), "{err}");
        }
        assert!(destination("https://console.aws.amazon.com/s3/").is_ok());
        assert!(destination("console.aws.amazon.com").is_err());
        assert!(destination("https://console.aws.amazon.com/ x").is_err());
    }

    #[test]
    fn defaults_by_partition() {
        assert_eq!(
            default_destination("aws", Some("eu-west-1")).unwrap(),
            "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
        );
        assert_eq!(
            default_destination("aws-cn", None).unwrap(),
            "https://console.amazonaws.cn/"
        );
        assert!(default_federation_endpoint("aws-us-gov")
            .unwrap()
            .contains("amazonaws-us-gov.com"));
        assert!(default_federation_endpoint("aws-iso").is_err());
    }

    #[test]
    fn encoding_and_url() {
        assert_eq!(form_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        let url = login_url(
            "https://signin.aws.amazon.com/federation",
            "https://console.aws.amazon.com/",
            &SecretString::from("tok+en/=".to_string()),
        );
        assert_eq!(
            url.expose_secret(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=cross-account&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=tok%2Ben%2F%3D"
        );
    }
}
