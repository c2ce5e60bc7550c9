//! STS's wire format as both doubles write and read it: the AssumeRole answer, the error
//! document, form bodies, and the access key a SigV4 `authorization` header names.

use std::collections::HashMap;
use std::time::SystemTime;

/// The form fields of one request body.
pub type Form = HashMap<String, Vec<String>>;

/// The credentials and names of one AssumeRole answer.
#[derive(Debug, Clone, Copy)]
pub struct Issued<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: &'a str,
    pub expiration: SystemTime,
    pub assumed_role_arn: &'a str,
    pub assumed_role_id: &'a str,
    pub request_id: &'a str,
}

/// The body of a successful AssumeRole answer.
pub fn assume_role_xml(issued: &Issued<'_>) -> String {
    let Issued {
        access_key_id,
        secret_access_key,
        session_token,
        expiration,
        assumed_role_arn,
        assumed_role_id,
        request_id,
    } = issued;
    let when = iso8601(*expiration);
    format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>{access_key_id}</AccessKeyId><SecretAccessKey>{secret_access_key}</SecretAccessKey><SessionToken>{session_token}</SessionToken><Expiration>{when}</Expiration></Credentials><AssumedRoleUser><Arn>{assumed_role_arn}</Arn><AssumedRoleId>{assumed_role_id}</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></AssumeRoleResponse>"
    )
}

/// STS's error document (`<ErrorResponse><Error>`), which the SDK reads the code from.
pub fn error_xml(code: &str, message: &str, request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
}

/// A time as STS writes `Expiration`, to the second.
fn iso8601(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("an expiry after 1970")
        .as_secs() as i64;
    aws_smithy_types::DateTime::from_secs(secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .expect("a time STS can write")
}

/// The fields of a `application/x-www-form-urlencoded` body.
pub fn parse_form(body: &str) -> Form {
    let mut out = Form::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(decode(k)).or_default().push(decode(v));
    }
    out
}

/// The first value of a form field.
pub fn field<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
    form.get(name).and_then(|v| v.first()).map(String::as_str)
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII escape");
                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8 form value")
}

/// The access key ID a SigV4 `authorization` header was signed with.
pub fn signing_key(authorization: &str) -> Option<&str> {
    authorization
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').next())
}
