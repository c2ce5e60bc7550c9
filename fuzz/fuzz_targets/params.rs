//! Every AssumeRole parameter parser, chosen by the first byte: never panics; an accepted value
//! round-trips; a rejected one is an `InvalidParameter` naming the right field; an MFA code is
//! never echoed in the error.
#![no_main]

use std::time::Duration;

use cross_account::{
    Error, ExternalId, MfaDevice, MfaToken, PolicyArns, SessionDuration, SessionName,
    SessionPolicy, SessionTags, SourceIdentity,
};
use libfuzzer_sys::fuzz_target;

fn expect_field<T>(result: Result<T, Error>, fields: &[&str]) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(Error::InvalidParameter { field, reason }) => {
            assert!(fields.contains(&field), "field {field} not in {fields:?}");
            assert!(!reason.is_empty());
            None
        }
        Err(other) => panic!("unexpected error kind: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let text: &str = &text;
    match which % 8 {
        0 => {
            if let Some(v) = expect_field(ExternalId::new(text), &["external_id"]) {
                assert_eq!(v.as_str(), text);
                assert_eq!(text.parse::<ExternalId>().ok(), Some(v));
            }
        }
        1 => {
            if let Some(v) = expect_field(SessionName::new(text), &["session_name"]) {
                assert_eq!(v.as_str(), text);
            }
        }
        2 => {
            // Both entry points: whole seconds as text, and a Duration from the raw bytes.
            if let Some(v) = expect_field(text.parse::<SessionDuration>(), &["duration"]) {
                assert!((900..=43200).contains(&v.as_secs()));
            }
            let mut raw = [0u8; 12];
            for (dst, src) in raw.iter_mut().zip(rest) {
                *dst = *src;
            }
            let secs = u64::from_le_bytes(raw[..8].try_into().unwrap());
            let nanos = u32::from_le_bytes(raw[8..].try_into().unwrap()) % 1_000_000_000;
            let d = Duration::new(secs, nanos);
            if let Some(v) = expect_field(SessionDuration::new(d), &["duration"]) {
                assert!((900..=43200).contains(&v.as_secs()));
                assert_eq!(
                    SessionDuration::from_secs(u64::from(v.as_secs())).ok(),
                    Some(v)
                );
            }
        }
        3 => {
            if let Some(v) = expect_field(SessionPolicy::new(text), &["policy"]) {
                assert_eq!(v.as_str(), text);
                assert!(serde_json::from_str::<serde_json::Value>(text).is_ok());
            }
        }
        4 => {
            let arns: Vec<&str> = text.split('\n').collect();
            if let Some(v) = expect_field(PolicyArns::new(arns.clone()), &["policy_arns"]) {
                assert_eq!(v.iter().collect::<Vec<_>>(), arns);
            }
        }
        5 => {
            // Lines of KEY=VALUE; a line starting with '>' names a transitive key.
            let mut tags = Vec::new();
            let mut transitive = Vec::new();
            for line in text.split('\n') {
                if let Some(key) = line.strip_prefix('>') {
                    transitive.push(key.to_string());
                } else {
                    let (k, v) = line.split_once('=').unwrap_or((line, ""));
                    tags.push((k.to_string(), v.to_string()));
                }
            }
            if let Some(v) = expect_field(SessionTags::new(tags.clone()), &["tags"]) {
                let back: Vec<(String, String)> = v
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                assert_eq!(back, tags);
                if let Some(t) = expect_field(
                    v.with_transitive_keys(transitive.clone()),
                    &["transitive_tag_keys"],
                ) {
                    assert_eq!(t.transitive_keys().collect::<Vec<_>>(), transitive);
                }
            }
        }
        6 => {
            if let Some(v) = expect_field(SourceIdentity::new(text), &["source_identity"]) {
                assert_eq!(v.as_str(), text);
            }
        }
        _ => {
            // The MFA code (a secret): accepted iff exactly six ASCII digits, never echoed.
            let code = text.to_string();
            match MfaToken::new(code.clone()) {
                Ok(t) => {
                    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
                    assert_eq!(t.as_str(), code);
                    assert!(!format!("{t:?}").contains(&code));
                }
                Err(err) => {
                    let shown = format!("{err} {err:?}");
                    // '#' never occurs in the message, so an input holding one cannot be a
                    // coincidental substring of it.
                    if code.contains('#') {
                        assert!(!shown.contains(&code), "MFA code echoed: {shown}");
                    }
                    assert!(matches!(
                        err,
                        Error::InvalidParameter {
                            field: "mfa_token",
                            ..
                        }
                    ));
                }
            }
            // The same text as a device serial, whose token source hands out the code.
            let device = MfaDevice::new(code.clone(), move || Ok(code.clone()));
            if let Some(d) = expect_field(device, &["mfa"]) {
                let _ = d.token();
                assert!(!format!("{d:?}").contains('#') || d.serial().contains('#'));
            }
        }
    }
});
