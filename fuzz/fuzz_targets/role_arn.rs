//! `RoleArn::new` on arbitrary text: never panics; whatever it accepts round-trips and its
//! accessors are consistent slices of the input; whatever it rejects is an `InvalidParameter`
//! naming `role_arn`.
#![no_main]

use cross_account::{Error, RoleArn};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match RoleArn::new(text) {
        Ok(arn) => {
            assert_eq!(arn.as_str(), text);
            assert_eq!(arn.to_string(), text);
            let again: RoleArn = text.parse().expect("an accepted ARN parses again");
            assert_eq!(again, arn);
            let rebuilt = format!(
                "arn:{}:iam::{}:role{}{}",
                arn.partition(),
                arn.account_id(),
                if arn.path().is_empty() {
                    "/"
                } else {
                    arn.path()
                },
                arn.role_name()
            );
            assert_eq!(rebuilt, text, "accessors are slices of the ARN");
            assert_eq!(arn.account_id().len(), 12);
            assert!(!arn.role_name().is_empty() && !arn.role_name().contains('/'));
        }
        Err(Error::InvalidParameter { field, reason }) => {
            assert_eq!(field, "role_arn");
            assert!(!reason.is_empty());
        }
        Err(other) => panic!("unexpected error kind: {other:?}"),
    }
});
