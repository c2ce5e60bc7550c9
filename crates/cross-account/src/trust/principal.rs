//! IAM principals: the ARN of the caller of `AssumeRole`, the principals a trust policy names,
//! and how one matches the other.

pub(crate) use crate::arn::is_account_id;
use crate::arn::{split_arn, RoleArn, PARTITIONS};
use crate::validate::is_iam_name_char;

use super::glob::has_wildcard;

/// What kind of identity a caller ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallerKind {
    Root,
    User,
    Role { name: String },
    AssumedRole { role_name: String },
}

/// A parsed caller ARN: `arn:P:iam::A:root`, `arn:P:iam::A:user/PATH/NAME`,
/// `arn:P:iam::A:role/PATH/NAME` or `arn:P:sts::A:assumed-role/ROLE/SESSION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) arn: String,
    pub(crate) partition: String,
    pub(crate) account: String,
    pub(crate) kind: CallerKind,
}

const CALLER_SHAPE: &str = "arn:PARTITION:iam::ACCOUNT:user/NAME, arn:PARTITION:iam::ACCOUNT:role/NAME, arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION or arn:PARTITION:iam::ACCOUNT:root";

/// The last `/`-separated segment of an IAM resource (`role/a/b/Name` gives `Name`).
fn last_segment(resource: &str) -> &str {
    resource.rsplit('/').next().unwrap_or(resource)
}

impl Caller {
    /// Parses the ARN of whoever calls `AssumeRole`.
    pub(crate) fn parse(arn: &str) -> Result<Caller, String> {
        let bad = |why: &str| {
            format!("principal {arn:?} is not a caller ARN ({why}); expected {CALLER_SHAPE}")
        };
        let parts = split_arn(arn).ok_or_else(|| bad("not an ARN"))?;
        if !PARTITIONS.contains(&parts.partition) {
            return Err(bad("unknown partition"));
        }
        if !parts.region.is_empty() {
            return Err(bad("IAM and STS principal ARNs have no region"));
        }
        if !is_account_id(parts.account) {
            return Err(bad("the account ID must be 12 digits"));
        }
        if has_wildcard(parts.resource) {
            return Err(bad("a caller ARN has no wildcards"));
        }
        let named = |prefix: &str| -> Option<String> {
            let rest = parts.resource.strip_prefix(prefix)?;
            let name = last_segment(rest);
            (!name.is_empty()).then(|| name.to_string())
        };
        let kind = match parts.service {
            "iam" if parts.resource == "root" => CallerKind::Root,
            "iam" if named("user/").is_some() => CallerKind::User,
            "iam" => match named("role/") {
                Some(name) => CallerKind::Role { name },
                None => return Err(bad("unknown IAM resource")),
            },
            "sts" => {
                let rest = parts
                    .resource
                    .strip_prefix("assumed-role/")
                    .ok_or_else(|| {
                        bad("only assumed-role sessions can call AssumeRole from STS credentials")
                    })?;
                match rest.split_once('/') {
                    Some((role, session))
                        if !role.is_empty() && !session.is_empty() && !session.contains('/') =>
                    {
                        CallerKind::AssumedRole {
                            role_name: role.to_string(),
                        }
                    }
                    _ => {
                        return Err(bad(
                            "an assumed-role ARN is assumed-role/ROLE_NAME/SESSION_NAME",
                        ))
                    }
                }
            }
            _ => return Err(bad("the service must be iam or sts")),
        };
        Ok(Caller {
            arn: arn.to_string(),
            partition: parts.partition.to_string(),
            account: parts.account.to_string(),
            kind,
        })
    }

    /// The value of `aws:PrincipalArn`: for a role session, the ARN of its role, path
    /// included. A session ARN does not carry the role's path, so without `role_arn` the value
    /// cannot be known and the error says why.
    pub(crate) fn principal_arn_key(&self, role_arn: Option<&str>) -> Result<String, String> {
        match (&self.kind, role_arn) {
            (CallerKind::AssumedRole { .. }, Some(role_arn)) => Ok(role_arn.to_string()),
            (CallerKind::AssumedRole { role_name }, None) => Err(format!(
                "aws:PrincipalArn of the session {} is the ARN of role {role_name} with its path, which a session ARN does not carry; give the role's full ARN (principal_role_arn, --principal-role-arn)",
                self.arn
            )),
            _ => Ok(self.arn.clone()),
        }
    }

    /// Checks that `role_arn` is the ARN of the role this caller is a session of.
    pub(crate) fn check_role_arn(&self, role_arn: &str) -> Result<(), String> {
        let CallerKind::AssumedRole { role_name } = &self.kind else {
            return Err(format!(
                "a role ARN is given for {}, which is not a role session (arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION); it only applies to sessions",
                self.arn
            ));
        };
        let role = RoleArn::new(role_arn).map_err(|e| match e {
            crate::Error::InvalidParameter { reason, .. } => reason,
            other => other.to_string(),
        })?;
        if role.partition() != self.partition
            || role.account_id() != self.account
            || role.role_name() != role_name
        {
            return Err(format!(
                "{role_arn} is not the role of the session {} (expected arn:{}:iam::{}:role/PATH/{role_name})",
                self.arn, self.partition, self.account
            ));
        }
        Ok(())
    }

    /// Whether one entry of a trust policy's `Principal.AWS` covers this caller. `Err` when the
    /// entry is something IAM would not accept, so nothing can be said.
    pub(crate) fn matched_by(&self, entry: &str) -> Result<bool, String> {
        if entry == "*" {
            return Ok(true);
        }
        if is_account_id(entry) {
            return Ok(entry == self.account);
        }
        if !entry.starts_with("arn:") {
            // A unique ID (AIDA..., AROA...) stands for a deleted principal: it matches nobody.
            return Ok(false);
        }
        if has_wildcard(entry) {
            return Err(format!(
                "principal {entry:?} has a wildcard; IAM allows \"*\" alone but no wildcards inside principal ARNs, so it would reject this policy"
            ));
        }
        let Some(parts) = split_arn(entry) else {
            return Ok(false);
        };
        let same_account = parts.partition == self.partition && parts.account == self.account;
        Ok(match (parts.service, parts.resource) {
            ("iam", "root") => same_account,
            ("iam", r) if r.starts_with("role/") => match &self.kind {
                CallerKind::Role { .. } => entry == self.arn,
                // A role principal covers the role's sessions; their ARNs omit the path.
                CallerKind::AssumedRole { role_name } => {
                    same_account && last_segment(r) == role_name
                }
                _ => false,
            },
            _ => entry == self.arn,
        })
    }
}

/// The account of an ARN or a bare account ID, if it has one of 12 digits.
pub(crate) fn account_of(entry: &str) -> Option<&str> {
    if is_account_id(entry) {
        return Some(entry);
    }
    split_arn(entry)
        .map(|parts| parts.account)
        .filter(|a| is_account_id(a))
}

/// Callers that a `Principal.AWS` entry lets in, for the confused-deputy probe: the ARN of each
/// and, for a role session, its role's ARN. `extra_accounts` are the accounts a `"*"` entry is
/// narrowed to by conditions (plus a stranger's account).
pub(crate) fn probe_callers(
    entry: &str,
    extra_accounts: &[String],
) -> Vec<(String, Option<String>)> {
    let of_account = |partition: &str, account: &str| {
        vec![
            (
                format!("arn:{partition}:sts::{account}:assumed-role/cross-account-probe/probe"),
                None,
            ),
            (
                format!("arn:{partition}:iam::{account}:user/cross-account-probe"),
                None,
            ),
        ]
    };
    if entry == "*" {
        return extra_accounts
            .iter()
            .map(String::as_str)
            .chain(["999988887777"])
            .flat_map(|a| of_account("aws", a))
            .collect();
    }
    if is_account_id(entry) {
        return of_account("aws", entry);
    }
    let Some(parts) = split_arn(entry) else {
        return Vec::new();
    };
    if !is_account_id(parts.account) || has_wildcard(entry) {
        return Vec::new();
    }
    match (parts.service, parts.resource) {
        ("iam", "root") => of_account(parts.partition, parts.account),
        ("iam", r) if r.starts_with("role/") => vec![(
            format!(
                "arn:{}:sts::{}:assumed-role/{}/probe",
                parts.partition,
                parts.account,
                last_segment(r)
            ),
            Some(entry.to_string()),
        )],
        ("iam", r) if r.starts_with("user/") => vec![(entry.to_string(), None)],
        ("sts", r) if r.starts_with("assumed-role/") => vec![(entry.to_string(), None)],
        _ => Vec::new(),
    }
}

/// Checks that `arn` is an IAM root, user or role ARN in `partition`, as a trust policy may name.
/// The error is the reason, without the field name.
pub(crate) fn validate_trusted_arn(arn: &str, partition: &str) -> Result<(), String> {
    let shape = "must be arn:PARTITION:iam::ACCOUNT_ID:root, arn:PARTITION:iam::ACCOUNT_ID:user/NAME or arn:PARTITION:iam::ACCOUNT_ID:role/NAME";
    let parts = split_arn(arn).ok_or_else(|| format!("{shape}, but it is {arn:?}"))?;
    if !PARTITIONS.contains(&parts.partition) {
        return Err(format!(
            "partition {:?} is not one of {}",
            parts.partition,
            PARTITIONS.join(", ")
        ));
    }
    if parts.partition != partition {
        return Err(format!(
            "{arn:?} is in partition {:?} but the policy is for partition {partition:?}; IAM does not trust principals across partitions (set .partition(..) to change the policy's)",
            parts.partition
        ));
    }
    if parts.service != "iam" {
        return Err(format!(
            "service must be \"iam\", but it is {:?} ({shape})",
            parts.service
        ));
    }
    if !parts.region.is_empty() {
        return Err(format!(
            "IAM ARNs have no region, but {arn:?} has {:?}",
            parts.region
        ));
    }
    if !is_account_id(parts.account) {
        return Err(format!(
            "account ID must be exactly 12 digits, but it is {:?}",
            parts.account
        ));
    }
    if has_wildcard(parts.resource) {
        return Err(format!(
            "{arn:?} has a wildcard; IAM does not allow wildcards in principal ARNs"
        ));
    }
    if parts.resource == "root" {
        return Ok(());
    }
    if parts.resource.starts_with("role/") {
        return RoleArn::new(arn).map(|_| ()).map_err(|e| match e {
            crate::Error::InvalidParameter { reason, .. } => reason,
            other => other.to_string(),
        });
    }
    if let Some(rest) = parts.resource.strip_prefix("user/") {
        let name = last_segment(rest);
        let path = &rest[..rest.len() - name.len()];
        let len = name.chars().count();
        if !(1..=64).contains(&len) {
            return Err(format!(
                "user name must be 1 to 64 characters long, but it has {len}"
            ));
        }
        if let Some(c) = name.chars().find(|c| !is_iam_name_char(*c)) {
            return Err(format!(
                "user name has character {c:?}; allowed are ASCII letters, digits and _+=,.@-"
            ));
        }
        if !path.is_empty()
            && (path[..path.len() - 1].split('/').any(str::is_empty)
                || path.chars().any(|c| !('\u{21}'..='\u{7E}').contains(&c)))
        {
            return Err(format!(
                "user path {:?} must be /SEGMENT/.../ of printable ASCII without spaces",
                format!("/{path}")
            ));
        }
        return Ok(());
    }
    Err(format!("{shape}, but the resource is {:?}", parts.resource))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_callers() {
        let c = Caller::parse("arn:aws:sts::111122223333:assumed-role/Partner/sess").unwrap();
        assert_eq!(c.account, "111122223333");
        assert!(c
            .principal_arn_key(None)
            .unwrap_err()
            .contains("with its path"));
        assert_eq!(
            c.principal_arn_key(Some("arn:aws:iam::111122223333:role/ops/Partner")),
            Ok("arn:aws:iam::111122223333:role/ops/Partner".to_string())
        );
        assert!(c
            .check_role_arn("arn:aws:iam::111122223333:role/ops/Partner")
            .is_ok());
        assert!(c
            .check_role_arn("arn:aws:iam::111122223333:role/ops/Other")
            .is_err());
        assert!(c
            .check_role_arn("arn:aws:iam::444455556666:role/Partner")
            .is_err());
        assert!(c.check_role_arn("not-an-arn").is_err());
        let c = Caller::parse("arn:aws-cn:iam::111122223333:role/a/b/R").unwrap();
        assert_eq!(c.kind, CallerKind::Role { name: "R".into() });
        assert_eq!(
            c.principal_arn_key(None),
            Ok("arn:aws-cn:iam::111122223333:role/a/b/R".to_string())
        );
        assert!(c
            .check_role_arn("arn:aws-cn:iam::111122223333:role/R")
            .is_err());
        assert_eq!(
            Caller::parse("arn:aws:iam::111122223333:user/alice")
                .unwrap()
                .kind,
            CallerKind::User
        );
        assert_eq!(
            Caller::parse("arn:aws:iam::111122223333:root")
                .unwrap()
                .kind,
            CallerKind::Root
        );
        for bad in [
            "",
            "alice",
            "arn:aws:iam::1111:user/a",
            "arn:aws:iam:us-east-1:111122223333:user/a",
            "arn:aws:s3::111122223333:user/a",
            "arn:aws:iam::111122223333:group/a",
            "arn:aws:iam::111122223333:user/",
            "arn:aws:sts::111122223333:assumed-role/R",
            "arn:aws:sts::111122223333:federated-user/bob",
            "arn:aws:iam::111122223333:user/*",
            "arn:nope:iam::111122223333:user/a",
        ] {
            assert!(Caller::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching() {
        let session = Caller::parse("arn:aws:sts::111122223333:assumed-role/Partner/s").unwrap();
        let role = Caller::parse("arn:aws:iam::111122223333:role/team/Partner").unwrap();
        let user = Caller::parse("arn:aws:iam::111122223333:user/alice").unwrap();
        for c in [&session, &role, &user] {
            assert_eq!(c.matched_by("*"), Ok(true));
            assert_eq!(c.matched_by("111122223333"), Ok(true));
            assert_eq!(c.matched_by("444455556666"), Ok(false));
            assert_eq!(c.matched_by("arn:aws:iam::111122223333:root"), Ok(true));
            assert_eq!(c.matched_by("arn:aws-cn:iam::111122223333:root"), Ok(false));
            assert_eq!(c.matched_by("AIDAEXAMPLE"), Ok(false));
            assert!(c.matched_by("arn:aws:iam::111122223333:user/*").is_err());
        }
        assert_eq!(
            session.matched_by("arn:aws:iam::111122223333:role/team/Partner"),
            Ok(true)
        );
        assert_eq!(
            session.matched_by("arn:aws:iam::111122223333:role/Other"),
            Ok(false)
        );
        assert_eq!(
            session.matched_by("arn:aws:iam::444455556666:role/Partner"),
            Ok(false)
        );
        assert_eq!(
            role.matched_by("arn:aws:iam::111122223333:role/team/Partner"),
            Ok(true)
        );
        assert_eq!(
            role.matched_by("arn:aws:iam::111122223333:role/Partner"),
            Ok(false)
        );
        assert_eq!(
            user.matched_by("arn:aws:iam::111122223333:user/alice"),
            Ok(true)
        );
        assert_eq!(
            user.matched_by("arn:aws:iam::111122223333:user/bob"),
            Ok(false)
        );
        assert_eq!(
            session.matched_by("arn:aws:sts::111122223333:assumed-role/Partner/s"),
            Ok(true)
        );
    }

    #[test]
    fn trusted_arn_validation() {
        assert!(validate_trusted_arn("arn:aws:iam::111122223333:root", "aws").is_ok());
        assert!(validate_trusted_arn("arn:aws:iam::111122223333:user/a/alice", "aws").is_ok());
        assert!(validate_trusted_arn("arn:aws:iam::111122223333:role/R", "aws").is_ok());
        let e = validate_trusted_arn("arn:aws:iam::111122223333:role/R", "aws-cn").unwrap_err();
        assert!(e.contains("partition"), "{e}");
        for bad in [
            "arn:aws:iam::111122223333:group/g",
            "arn:aws:sts::111122223333:assumed-role/R/s",
            "arn:aws:iam::11112222333:root",
            "arn:aws:iam::111122223333:user/*",
            "arn:aws:iam::111122223333:user/a b",
            "arn:aws:iam::111122223333:user/",
            "arn:aws:iam::111122223333:user//x",
            "arn:aws:iam::111122223333:role/",
            "arn:aws:iam:eu-west-1:111122223333:root",
            "123456789012",
        ] {
            assert!(validate_trusted_arn(bad, "aws").is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}", e in "\\PC{0,80}") {
            if let Ok(c) = Caller::parse(&s) {
                let _ = c.matched_by(&e);
                prop_assert_eq!(c.matched_by(&s), Ok(true));
            }
            let _ = validate_trusted_arn(&s, "aws");
        }
    }
}
