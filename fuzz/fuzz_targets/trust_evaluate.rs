//! The trust-policy evaluator and linter on arbitrary JSON text: never panic, are
//! deterministic, and give exactly one decision.
//!
//! Input: one flags byte (MFA present, long-term credentials, which caller, which external ID),
//! then the policy text.
#![no_main]

use cross_account::trust::{evaluate, lint, AssumeRoleRequest};
use libfuzzer_sys::fuzz_target;

const CALLERS: [&str; 4] = [
    "arn:aws:iam::111122223333:root",
    "arn:aws:sts::111122223333:assumed-role/Sync/nightly",
    "arn:aws:iam::111122223333:user/path/alice",
    "arn:aws-cn:iam::444455556666:role/Other",
];
const EXTERNAL_IDS: [Option<&str>; 4] = [None, Some("ExternalId123"), Some("x"), Some("")];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(policy) = std::str::from_utf8(rest) else {
        return;
    };
    let mut request = AssumeRoleRequest::new(CALLERS[usize::from(flags & 3)])
        .mfa(flags & 0x10 != 0)
        .long_term_credentials(flags & 0x20 != 0);
    if let Some(id) = EXTERNAL_IDS[usize::from((flags >> 2) & 3)] {
        request = request.external_id(id);
    }
    let decision = evaluate(policy, &request);
    let verdicts = [
        decision.is_allowed(),
        decision.is_denied(),
        decision.is_unknown(),
    ];
    assert_eq!(verdicts.iter().filter(|v| **v).count(), 1, "{decision:?}");
    assert_eq!(decision.reason().is_none(), decision.is_allowed());
    let _ = (decision.to_string(), decision.kind());
    assert_eq!(evaluate(policy, &request), decision, "deterministic");
    for warning in lint(policy) {
        let _ = format!("{warning:?}");
    }
});
