//! Named profiles from the shared AWS config and credentials files (`~/.aws/config`,
//! `~/.aws/credentials`), read with aws-config's own loader and parser, resolved into
//! [`SessionOptions`] the way the AWS CLI and boto3 read them.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use aws_config::profile::{Profile, ProfileSet};
use aws_credential_types::provider::{
    self, error::CredentialsError, ProvideCredentials, SharedCredentialsProvider,
};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_runtime::env_config::property::PropertiesKey;
use aws_smithy_async::time::SharedTimeSource;
use aws_types::os_shim_internal::{Env, Fs};

use crate::error::Error;
use crate::options::{CredentialSource, SessionOptions};
use crate::params::SessionDuration;

/// The two shared files: either where the SDKs look (`AWS_CONFIG_FILE` /
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and `~/.aws/credentials`), or two
/// explicit paths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SharedConfigFiles {
    explicit: Option<(PathBuf, PathBuf)>,
}

impl SharedConfigFiles {
    /// The files every AWS SDK reads (the default).
    pub fn from_env() -> Self {
        SharedConfigFiles { explicit: None }
    }

    /// These two files instead of the usual ones. A missing file is an error when loading.
    pub fn new(config: impl Into<PathBuf>, credentials: impl Into<PathBuf>) -> Self {
        SharedConfigFiles {
            explicit: Some((config.into(), credentials.into())),
        }
    }

    /// The config file, as it is named in messages.
    pub fn config_path(&self) -> String {
        match &self.explicit {
            Some((c, _)) => c.display().to_string(),
            None => std::env::var("AWS_CONFIG_FILE").unwrap_or_else(|_| "~/.aws/config".into()),
        }
    }

    /// The credentials file, as it is named in messages.
    pub fn credentials_path(&self) -> String {
        match &self.explicit {
            Some((_, c)) => c.display().to_string(),
            None => std::env::var("AWS_SHARED_CREDENTIALS_FILE")
                .unwrap_or_else(|_| "~/.aws/credentials".into()),
        }
    }

    /// The file set in aws-config's terms (for its loaders and providers).
    pub(crate) fn env_config_files(&self) -> EnvConfigFiles {
        match &self.explicit {
            Some((config, credentials)) => EnvConfigFiles::builder()
                .with_file(EnvConfigFileKind::Config, config)
                .with_file(EnvConfigFileKind::Credentials, credentials)
                .build(),
            None => EnvConfigFiles::default(),
        }
    }

    fn only(&self, kind: EnvConfigFileKind) -> EnvConfigFiles {
        let builder = EnvConfigFiles::builder();
        match (&self.explicit, kind) {
            (Some((config, _)), EnvConfigFileKind::Config) => builder.with_file(kind, config),
            (Some((_, credentials)), _) => builder.with_file(kind, credentials),
            (None, EnvConfigFileKind::Config) => builder.include_default_config_file(true),
            (None, _) => builder.include_default_credentials_file(true),
        }
        .build()
    }
}

/// A role profile as listed by [`SharedConfig::role_profiles`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoleProfile {
    /// The profile name (`[profile NAME]`, or `default`).
    pub name: String,
    /// Its `role_arn`.
    pub role_arn: String,
    /// Its `external_id` (not a secret).
    pub external_id: Option<String>,
    /// Where its source credentials come from: `source_profile NAME`,
    /// `credential_source NAME`, or `none` when the profile names neither.
    pub source: String,
}

/// The shared AWS config and credentials files, parsed by aws-config, and resolved into
/// [`SessionOptions`] as the AWS CLI and boto3 read them.
///
/// A role profile (`role_arn`) becomes the role to assume; every `source_profile` hop that is
/// itself a role becomes a [`SessionOptions::source_role`] (so the role-chaining clamp
/// applies to every chained hop); the last hop's credentials become the innermost options'
/// `profile`, or its `credential_source` their `credential_source`. Every problem (an unknown
/// profile, a cycle, a missing source, a malformed value) is found here, before any network
/// call, and named with the file, the profile and the key.
///
/// # Examples
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("ca-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # let (config, credentials) = (dir.join("config"), dir.join("credentials"));
/// std::fs::write(&config, "[profile partner]\nrole_arn = arn:aws:iam::111122223333:role/DemoRole\nexternal_id = ExternalId123\nsource_profile = default\nduration_seconds = 1800\n")?;
/// std::fs::write(&credentials, "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = example\n")?;
///
/// let files = cross_account::SharedConfigFiles::new(&config, &credentials);
/// let options = cross_account::SharedConfig::load_files(files)?.session_options("partner")?;
/// assert_eq!(options.role_arn, "arn:aws:iam::111122223333:role/DemoRole");
/// assert_eq!(options.external_id.as_deref(), Some("ExternalId123"));
/// assert_eq!(options.profile.as_deref(), Some("default"));
/// assert_eq!(options.duration, Some(std::time::Duration::from_secs(1800)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SharedConfig {
    files: SharedConfigFiles,
    merged: ProfileSet,
    config_only: ProfileSet,
    credentials_only: ProfileSet,
}

impl fmt::Debug for SharedConfig {
    // Profiles hold secret keys: only the files and the profile names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.merged.profiles().collect();
        names.sort_unstable();
        f.debug_struct("SharedConfig")
            .field("config", &self.files.config_path())
            .field("credentials", &self.files.credentials_path())
            .field("profiles", &names)
            .finish()
    }
}

/// The longest `source_profile` chain followed (the AWS CLI has no limit; a cycle is caught
/// separately, this only bounds the work on a hostile file).
const MAX_HOPS: usize = 32;

impl SharedConfig {
    /// Reads the files every AWS SDK reads (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
    /// else `~/.aws/config` and `~/.aws/credentials`; a missing file counts as empty).
    pub fn load() -> Result<Self, Error> {
        Self::load_files(SharedConfigFiles::from_env())
    }

    /// Reads the given files. Explicit paths must exist.
    pub fn load_files(files: SharedConfigFiles) -> Result<Self, Error> {
        if let Some((config, credentials)) = &files.explicit {
            for path in [config, credentials] {
                if let Err(e) = std::fs::metadata(path) {
                    return Err(Error::invalid(
                        "profile_files",
                        format!("{} cannot be read: {e}", path.display()),
                    ));
                }
            }
        }
        Ok(SharedConfig {
            merged: load_set(&files.env_config_files())?,
            config_only: load_set(&files.only(EnvConfigFileKind::Config))?,
            credentials_only: load_set(&files.only(EnvConfigFileKind::Credentials))?,
            files,
        })
    }

    /// The files these profiles came from.
    pub fn files(&self) -> &SharedConfigFiles {
        &self.files
    }

    /// Whether a profile of this name exists in either file.
    pub fn contains(&self, name: &str) -> bool {
        self.merged.get_profile(name).is_some()
    }

    /// Whether `name` is a role profile (has a `role_arn`, and is not a web-identity profile,
    /// whose role is its own credentials).
    pub fn is_role_profile(&self, name: &str) -> bool {
        self.merged.get_profile(name).is_some_and(is_role)
    }

    /// Every role profile, by name.
    pub fn role_profiles(&self) -> Vec<RoleProfile> {
        let mut names: Vec<&str> = self.merged.profiles().collect();
        names.sort_unstable();
        names
            .into_iter()
            .filter_map(|name| self.merged.get_profile(name))
            .filter(|p| is_role(p))
            .map(|p| RoleProfile {
                name: p.name().to_string(),
                role_arn: p.get("role_arn").unwrap_or_default().to_string(),
                external_id: p.get("external_id").map(str::to_string),
                source: match (p.get("source_profile"), p.get("credential_source")) {
                    (Some(s), _) => format!("source_profile {s}"),
                    (None, Some(c)) => format!("credential_source {c}"),
                    (None, None) => "none".to_string(),
                },
            })
            .collect()
    }

    /// The options of role profile `name`: its role, external ID, session name, duration,
    /// MFA device, region and STS endpoint, with its `source_profile` chain as
    /// `source_role` hops. A profile that only holds credentials is refused (it names no role
    /// to assume; see [`options_for`](Self::options_for)).
    pub fn session_options(&self, name: &str) -> Result<SessionOptions, Error> {
        let profile = self.profile(name)?;
        if !is_role(profile) {
            return Err(self.error(
                name,
                "role_arn",
                "is missing: this profile holds credentials only, so it names no role to assume (give the role's ARN and use the profile as the source)",
            ));
        }
        let mut path = vec![name.to_string()];
        let mut options = self.hop(profile, &mut path)?;
        let region = profile.get("region").map(str::to_string);
        let endpoint = self.sts_endpoint(profile);
        let mut hop = Some(&mut options);
        while let Some(o) = hop {
            if o.region.is_none() {
                o.region.clone_from(&region);
            }
            if o.endpoint_url.is_none() {
                o.endpoint_url.clone_from(&endpoint);
            }
            hop = o.source_role.as_deref_mut();
        }
        Ok(options)
    }

    /// What `--profile NAME` means to the AWS CLI and `profile_name=` to boto3, for a tool
    /// that may also be given a role: a role profile is the role to assume (`role_arn`, when
    /// given, replaces its role and keeps its source chain); a profile with credentials only
    /// is the source for `role_arn`, which is then required.
    pub fn options_for(&self, name: &str, role_arn: Option<&str>) -> Result<SessionOptions, Error> {
        let profile = self.profile(name)?;
        if is_role(profile) {
            let mut options = self.session_options(name)?;
            if let Some(arn) = role_arn {
                options.role_arn = arn.to_string();
            }
            return Ok(options);
        }
        if !has_credentials(profile) {
            return Err(self.no_credentials_error(name, None));
        }
        let Some(arn) = role_arn else {
            return Err(Error::invalid(
                "role_arn",
                format!(
                    "is required: profile {name:?} holds credentials only and names no role (add role_arn to it, or give the role to assume)"
                ),
            ));
        };
        Ok(SessionOptions {
            profile: Some(name.to_string()),
            ..SessionOptions::new(arn)
        })
    }

    /// `options` with profile `name` as their source, as boto3's `Session(profile_name=...)`
    /// gives credentials: a role profile's role session (its chain becomes
    /// `options.source_role`, so `options` is a chained hop), else the profile's own
    /// credentials (`options.profile`).
    pub fn with_source_profile(
        &self,
        mut options: SessionOptions,
        name: &str,
    ) -> Result<SessionOptions, Error> {
        let profile = self.profile(name)?;
        if is_role(profile) {
            options.source_role = Some(Box::new(self.session_options(name)?));
        } else if has_credentials(profile) {
            options.profile = Some(name.to_string());
        } else {
            return Err(self.no_credentials_error(name, None));
        }
        Ok(options)
    }

    fn profile(&self, name: &str) -> Result<&Profile, Error> {
        self.merged.get_profile(name).ok_or_else(|| {
            Error::invalid(
                "profile",
                format!(
                    "{name:?} is not a profile in {} or {} (ProfileNotFound)",
                    self.files.config_path(),
                    self.files.credentials_path()
                ),
            )
        })
    }

    /// One role profile as options; `path` holds the profiles visited so far, for cycles.
    fn hop(&self, profile: &Profile, path: &mut Vec<String>) -> Result<SessionOptions, Error> {
        let name = profile.name();
        let role_arn = profile.get("role_arn").unwrap_or_default();
        let duration = match profile.get("duration_seconds") {
            None => None,
            Some(text) => {
                let secs: u64 = text.trim().parse().map_err(|_| {
                    self.error(
                        name,
                        "duration_seconds",
                        &format!("must be a whole number of seconds, but it is {text:?}"),
                    )
                })?;
                let d = Duration::from_secs(secs);
                SessionDuration::new(d)
                    .map_err(|e| self.error(name, "duration_seconds", e.message()))?;
                Some(d)
            }
        };
        let mut options = SessionOptions {
            external_id: profile.get("external_id").map(str::to_string),
            session_name: profile.get("role_session_name").map(str::to_string),
            duration,
            mfa_serial: profile.get("mfa_serial").map(str::to_string),
            ..SessionOptions::new(role_arn)
        };
        match (profile.get("source_profile"), profile.get("credential_source")) {
            (Some(_), Some(_)) => {
                return Err(self.error(
                    name,
                    "source_profile",
                    "cannot be combined with credential_source: a role has one source; keep one of the two",
                ))
            }
            (None, Some(source)) => {
                let source: CredentialSource = source
                    .parse()
                    .map_err(|e: Error| self.error(name, "credential_source", e.message()))?;
                options.credential_source = Some(source);
            }
            (Some(source), None) => {
                if let Some(at) = path.iter().position(|p| p == source) {
                    let mut cycle = path[at..].to_vec();
                    cycle.push(source.to_string());
                    return Err(self.error(
                        name,
                        "source_profile",
                        &format!("forms a cycle: {}", cycle.join(" -> ")),
                    ));
                }
                if path.len() >= MAX_HOPS {
                    return Err(self.error(
                        name,
                        "source_profile",
                        &format!("starts a chain of more than {MAX_HOPS} profiles"),
                    ));
                }
                let Some(next) = self.merged.get_profile(source) else {
                    return Err(self.error(
                        name,
                        "source_profile",
                        &format!(
                            "names profile {source:?}, which is in neither {} nor {}",
                            self.files.config_path(),
                            self.files.credentials_path()
                        ),
                    ));
                };
                path.push(source.to_string());
                if is_role(next) {
                    options.source_role = Some(Box::new(self.hop(next, path)?));
                } else if has_credentials(next) {
                    options.profile = Some(source.to_string());
                } else {
                    return Err(self.no_credentials_error(source, Some(name)));
                }
            }
            (None, None) => {
                return Err(self.error(
                    name,
                    "source_profile",
                    "is missing: a role profile needs source_profile or credential_source to say which credentials assume the role",
                ))
            }
        }
        Ok(options)
    }

    fn no_credentials_error(&self, name: &str, referenced_by: Option<&str>) -> Error {
        let by = referenced_by
            .map(|r| format!(" (the source_profile of {r:?})"))
            .unwrap_or_default();
        Error::invalid(
            "profile",
            format!(
                "profile {name:?}{by} in {} has neither a source nor credentials: aws_access_key_id is missing, and so are credential_process, sso_session / sso_start_url, web_identity_token_file and role_arn",
                self.file_of(name, None)
            ),
        )
    }

    /// An error about `key` of profile `name`, naming the file the key (or profile) is in.
    fn error(&self, name: &str, key: &str, what: &str) -> Error {
        Error::invalid(
            "profile",
            format!(
                "profile {name:?} in {}: {key} {what}",
                self.file_of(name, Some(key))
            ),
        )
    }

    /// Which file defines `key` of profile `name` (the credentials file wins, as in the merge).
    fn file_of(&self, name: &str, key: Option<&str>) -> String {
        let has = |set: &ProfileSet| {
            set.get_profile(name)
                .is_some_and(|p| key.is_none_or(|k| p.get(k).is_some()))
        };
        if has(&self.credentials_only) {
            self.files.credentials_path()
        } else if has(&self.config_only) {
            self.files.config_path()
        } else {
            format!(
                "{} / {}",
                self.files.config_path(),
                self.files.credentials_path()
            )
        }
    }

    /// The STS endpoint the SDK would use for this profile: `endpoint_url`, or the
    /// `[services NAME]` section's `sts = endpoint_url = ...`, unless the environment sets one
    /// (which wins in the SDK) or configured endpoints are switched off.
    fn sts_endpoint(&self, profile: &Profile) -> Option<String> {
        let env_set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        if env_set("AWS_ENDPOINT_URL_STS") || env_set("AWS_ENDPOINT_URL") {
            return None;
        }
        let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .ok()
            .or_else(|| {
                profile
                    .get("ignore_configured_endpoint_urls")
                    .map(str::to_string)
            })
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if ignored {
            return None;
        }
        let from_services = profile.get("services").and_then(|section| {
            let key = PropertiesKey::builder()
                .section_key("services")
                .section_name(section)
                .property_name("sts")
                .sub_property_name("endpoint_url")
                .build()
                .ok()?;
            self.merged
                .other_sections()
                .get(&key)
                .map(|v| v.to_string())
        });
        from_services.or_else(|| profile.get("endpoint_url").map(str::to_string))
    }
}

fn is_role(profile: &Profile) -> bool {
    profile.get("role_arn").is_some() && profile.get("web_identity_token_file").is_none()
}

fn has_credentials(profile: &Profile) -> bool {
    [
        "aws_access_key_id",
        "credential_process",
        "sso_session",
        "sso_start_url",
        "web_identity_token_file",
    ]
    .iter()
    .any(|k| profile.get(k).is_some())
}

/// aws-config's loader is `async` but reads with `std::fs` and never waits on anything, so
/// its future completes on the first poll; this keeps the profile API synchronous, like the
/// rest of the builder, and usable with or without a runtime.
fn load_set(files: &EnvConfigFiles) -> Result<ProfileSet, Error> {
    let (fs, env) = (Fs::real(), Env::real());
    let load = aws_config::profile::load(&fs, &env, files, None::<Cow<'static, str>>);
    let mut load = pin!(load);
    match load.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(set)) => Ok(set),
        Poll::Ready(Err(e)) => Err(Error::invalid(
            "profile",
            format!("the shared config files could not be read: {e}"),
        )
        .with_source(Arc::new(e))),
        Poll::Pending => Err(Error::invalid(
            "profile",
            "the shared config files could not be read synchronously (the aws-config loader waited on I/O)",
        )),
    }
}

impl SessionOptions {
    /// The options of role profile `name` in the shared AWS config files
    /// (`AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws`). See [`SharedConfig`].
    pub fn from_profile(name: &str) -> Result<SessionOptions, Error> {
        SharedConfig::load()?.session_options(name)
    }

    /// [`from_profile`](Self::from_profile) with explicit file paths. A session built from
    /// these options must be given the same files
    /// ([`CrossAccountSessionBuilder::profile_files`](crate::CrossAccountSessionBuilder::profile_files)),
    /// which [`CrossAccountSession::from_profile_files`](crate::CrossAccountSession::from_profile_files) does.
    pub fn from_profile_files(
        name: &str,
        config: impl AsRef<Path>,
        credentials: impl AsRef<Path>,
    ) -> Result<SessionOptions, Error> {
        SharedConfig::load_files(SharedConfigFiles::new(
            config.as_ref(),
            credentials.as_ref(),
        ))?
        .session_options(name)
    }
}

/// The source credentials provider for the innermost hop: exactly the named profile's
/// credentials (never the environment's keys, as with the AWS CLI's `--profile`), or exactly
/// the named `credential_source`; `None` leaves the SDK's default chain.
pub(crate) fn source_provider(
    profile: Option<&str>,
    credential_source: Option<CredentialSource>,
    files: &SharedConfigFiles,
    time: SharedTimeSource,
) -> Option<SharedCredentialsProvider> {
    let (inner, what) = match (profile, credential_source) {
        (Some(name), _) => (
            SharedCredentialsProvider::new(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(name)
                    .profile_files(files.env_config_files())
                    .build(),
            ),
            format!("profile {name:?}"),
        ),
        (None, Some(CredentialSource::Environment)) => (
            SharedCredentialsProvider::new(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            ),
            "credential_source Environment".to_string(),
        ),
        (None, Some(CredentialSource::Ec2InstanceMetadata)) => (
            SharedCredentialsProvider::new(
                aws_config::imds::credentials::ImdsCredentialsProvider::builder().build(),
            ),
            "credential_source Ec2InstanceMetadata".to_string(),
        ),
        (None, Some(CredentialSource::EcsContainer)) => (
            SharedCredentialsProvider::new(
                aws_config::ecs::EcsCredentialsProvider::builder().build(),
            ),
            "credential_source EcsContainer".to_string(),
        ),
        (None, None) => return None,
    };
    Some(SharedCredentialsProvider::new(RefuseExpired {
        inner,
        what,
        time,
    }))
}

/// Refuses source credentials that are already expired (a `credential_process` printing an
/// `Expiration` in the past), as botocore does, instead of signing with them.
#[derive(Debug)]
struct RefuseExpired {
    inner: SharedCredentialsProvider,
    what: String,
    time: SharedTimeSource,
}

impl ProvideCredentials for RefuseExpired {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            let creds = self.inner.provide_credentials().await?;
            match creds.expiry() {
                Some(expiry) if expiry <= self.time.now() => {
                    Err(CredentialsError::invalid_configuration(ExpiredSource {
                        what: self.what.clone(),
                        expired_at: expiry,
                    }))
                }
                _ => Ok(creds),
            }
        })
    }
}

#[derive(Debug)]
struct ExpiredSource {
    what: String,
    expired_at: SystemTime,
}

impl fmt::Display for ExpiredSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = aws_smithy_types::DateTime::from(self.expired_at);
        write!(
            f,
            "the source credentials from {} are already expired (Expiration {}); refresh them (for credential_process: the command printed an Expiration in the past)",
            self.what,
            at.fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap_or_else(|_| "in the past".into())
        )
    }
}

impl std::error::Error for ExpiredSource {}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files {
        dir: PathBuf,
    }

    impl Files {
        fn new(tag: &str, config: &str, credentials: &str) -> Files {
            let dir = std::env::temp_dir().join(format!(
                "cross-account-profile-{tag}-{}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("config"), config).unwrap();
            std::fs::write(dir.join("credentials"), credentials).unwrap();
            Files { dir }
        }
        fn load(&self) -> SharedConfig {
            SharedConfig::load_files(SharedConfigFiles::new(
                self.dir.join("config"),
                self.dir.join("credentials"),
            ))
            .unwrap()
        }
    }

    impl Drop for Files {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    const KEYS: &str = "[base]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr3t\n";

    #[test]
    fn a_three_hop_chain_becomes_nested_source_roles_with_the_keys_profile_innermost() {
        let f = Files::new(
            "chain",
            "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = b\nduration_seconds = 7200\nregion = eu-west-1\n\
             [profile b]\nrole_arn = arn:aws:iam::222222222222:role/B\nsource_profile = c\n\
             [profile c]\nrole_arn = arn:aws:iam::333333333333:role/C\nsource_profile = base\nexternal_id = X1\n",
            KEYS,
        );
        let o = f.load().session_options("a").unwrap();
        assert_eq!(o.role_arn, "arn:aws:iam::111111111111:role/A");
        assert_eq!(o.duration, Some(Duration::from_secs(7200)));
        let b = o.source_role.as_deref().unwrap();
        assert_eq!(b.role_arn, "arn:aws:iam::222222222222:role/B");
        let c = b.source_role.as_deref().unwrap();
        assert_eq!(c.role_arn, "arn:aws:iam::333333333333:role/C");
        assert_eq!(c.external_id.as_deref(), Some("X1"));
        assert_eq!(c.profile.as_deref(), Some("base"));
        assert!(c.source_role.is_none() && o.profile.is_none() && b.profile.is_none());
        // The named profile's region applies to every STS call of the chain.
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn every_chained_hop_is_clamped_to_an_hour_when_built() {
        let f = Files::new(
            "clamp",
            "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = b\nduration_seconds = 7200\n\
             [profile b]\nrole_arn = arn:aws:iam::222222222222:role/B\nsource_profile = base\nduration_seconds = 5400\n",
            KEYS,
        );
        let session = crate::CrossAccountSession::from_profile_files(
            "a",
            f.dir.join("config"),
            f.dir.join("credentials"),
        )
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(session.duration().as_secs(), 3600);
        // The first hop is not chained: it keeps its 5400 s.
        assert_eq!(
            session.options().source_role.as_deref().unwrap().duration,
            Some(Duration::from_secs(5400))
        );
    }

    fn fixed(expiry: SystemTime) -> RefuseExpired {
        let creds = aws_credential_types::Credentials::new(
            "ASIAEXAMPLE",
            "s3cr3t",
            Some("t0ken".into()),
            Some(expiry),
            "test",
        );
        RefuseExpired {
            inner: SharedCredentialsProvider::new(creds),
            what: "profile \"old\"".into(),
            time: SharedTimeSource::new(aws_smithy_async::time::StaticTimeSource::new(
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            )),
        }
    }

    #[tokio::test]
    async fn source_credentials_already_expired_are_refused_without_their_secrets() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let err = fixed(now - Duration::from_secs(1))
            .provide_credentials()
            .await
            .unwrap_err();
        let text = format!(
            "{}",
            aws_smithy_types::error::display::DisplayErrorContext(&err)
        );
        assert!(
            text.contains("already expired") && text.contains("\"old\""),
            "{text}"
        );
        assert!(
            !text.contains("s3cr3t") && !text.contains("t0ken"),
            "{text}"
        );
        let fresh = fixed(now + Duration::from_secs(60))
            .provide_credentials()
            .await;
        assert!(fresh.is_ok());
    }

    #[test]
    fn a_cycle_is_named_in_order() {
        let f = Files::new(
            "cycle",
            "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = b\n\
             [profile b]\nrole_arn = arn:aws:iam::222222222222:role/B\nsource_profile = a\n",
            "",
        );
        let err = f.load().session_options("a").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("a -> b -> a"), "{text}");
        assert!(text.contains("config"), "{text}");
    }

    #[test]
    fn a_missing_source_names_file_profile_and_key() {
        let f = Files::new(
            "missing",
            "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = nosuch\n",
            "",
        );
        let text = f.load().session_options("a").unwrap_err().to_string();
        let config = f.dir.join("config").display().to_string();
        assert!(text.contains(&config), "{text}");
        assert!(
            text.contains("\"a\"") && text.contains("source_profile") && text.contains("nosuch"),
            "{text}"
        );
    }

    #[test]
    fn a_source_without_credentials_is_refused_with_its_name() {
        let f = Files::new(
            "empty-source",
            "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = hollow\n[profile hollow]\nregion = us-east-1\n",
            "",
        );
        let text = f.load().session_options("a").unwrap_err().to_string();
        assert!(
            text.contains("\"hollow\"") && text.contains("aws_access_key_id"),
            "{text}"
        );
    }

    #[test]
    fn unknown_profiles_and_bad_values_are_errors() {
        let f = Files::new(
            "bad",
            "[profile d]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = base\nduration_seconds = soon\n\
             [profile e]\nrole_arn = arn:aws:iam::111111111111:role/A\ncredential_source = Laptop\n\
             [profile f]\nrole_arn = arn:aws:iam::111111111111:role/A\n",
            KEYS,
        );
        let cfg = f.load();
        let nosuch = cfg.session_options("nosuch").unwrap_err().to_string();
        assert!(nosuch.contains("ProfileNotFound"), "{nosuch}");
        let d = cfg.session_options("d").unwrap_err().to_string();
        assert!(d.contains("duration_seconds") && d.contains("soon"), "{d}");
        let e = cfg.session_options("e").unwrap_err().to_string();
        assert!(
            e.contains("credential_source") && e.contains("Laptop"),
            "{e}"
        );
        let f_err = cfg.session_options("f").unwrap_err().to_string();
        assert!(
            f_err.contains("source_profile or credential_source"),
            "{f_err}"
        );
        let creds_only = cfg.session_options("base").unwrap_err().to_string();
        assert!(creds_only.contains("role_arn"), "{creds_only}");
        // The secret never appears in an error or in Debug.
        assert!(!format!("{nosuch}{d}{e}{f_err}{creds_only}{cfg:?}").contains("s3cr3t"));
    }

    #[test]
    fn credential_source_and_the_cli_meaning_of_a_profile() {
        let f = Files::new(
            "cli",
            "[default]\nrole_arn = arn:aws:iam::111111111111:role/Default\ncredential_source = Environment\nexternal_id = E\n",
            KEYS,
        );
        let cfg = f.load();
        let d = cfg.options_for("default", None).unwrap();
        assert_eq!(d.credential_source, Some(CredentialSource::Environment));
        assert_eq!(d.profile, None);
        let over = cfg
            .options_for("default", Some("arn:aws:iam::999999999999:role/Other"))
            .unwrap();
        assert_eq!(over.role_arn, "arn:aws:iam::999999999999:role/Other");
        assert_eq!(over.external_id.as_deref(), Some("E"));
        let src = cfg
            .options_for("base", Some("arn:aws:iam::999999999999:role/Other"))
            .unwrap();
        assert_eq!(src.profile.as_deref(), Some("base"));
        assert!(cfg.options_for("base", None).is_err());
        let listed = cfg.role_profiles();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].source, "credential_source Environment");
    }
}
