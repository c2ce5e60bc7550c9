//! `CrossAccountSession`: the core session behind a Python class.
//!
//! The class keeps the core's `SessionOptions` (built from the keywords) so that a forked child
//! can rebuild the core session on its own runtime (see `runtime.rs`) and so that `spec()` can
//! ship them to another process; every method is a call into the core.

use std::ffi::CString;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cross_account::{
    CrossAccountSession as Core, SessionOptions, SharedConfig, SharedConfigFiles,
    TemporaryCredentials,
};
use pyo3::exceptions::PyUserWarning;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use tokio::sync::watch;

use crate::arn::RoleArn;
use crate::credentials::{utc_datetime, Credentials};
use crate::errors::{self, to_py_err};
use crate::keywords::{self, opt_bool, opt_timeout, type_error, Keywords};
use crate::mfa::PyMfaToken;
use crate::runtime;
use crate::spec::SessionSpec;
use crate::wait;

/// The keywords only a session takes, beside `keywords::ROLE`.
const SESSION_ONLY: &[&str] = &[
    "mfa_serial",
    "mfa_token_provider",
    "auto_refresh",
    "source_session",
    "credential_source",
];

/// What a session is built from: the core's options plus what only exists in this process.
pub(crate) struct Config {
    pub(crate) options: SessionOptions,
    mfa: Option<Arc<Py<PyAny>>>,
    auto_refresh: bool,
    /// Role chaining through a live session (sharing its cache), rather than `source_role`.
    source_session: Option<Py<CrossAccountSession>>,
    /// `from_profile()`'s shared config files, when not the default ones.
    profile_files: Option<SharedConfigFiles>,
}

impl Config {
    fn build(&self, py: Python<'_>) -> PyResult<Core> {
        let mut b = Core::builder()
            .options(self.options.clone())
            .auto_refresh(self.auto_refresh)
            .runtime_handle(runtime::handle()?);
        if let Some(provider) = &self.mfa {
            b = b.mfa_token_provider(PyMfaToken::new(provider.clone()));
        }
        if let Some(source) = &self.source_session {
            b = b.source_session(source.get().core(py)?);
        }
        if let Some(files) = &self.profile_files {
            b = b.profile_files(files.clone());
        }
        b.build().map_err(|e| to_py_err(py, e))
    }

    /// The options with the live first hop of a chain folded in as `source_role`.
    fn spec_options(&self) -> SessionOptions {
        let mut options = self.options.clone();
        if let Some(source) = &self.source_session {
            options.source_role = Some(Box::new(source.get().config.spec_options()));
        }
        options
    }
}

/// The core session and the fork generation it was built in.
struct Slot {
    generation: u64,
    core: Option<Core>,
    /// Raised by `close()`: wakes every reader waiting on this session.
    closed: Arc<watch::Sender<bool>>,
}

impl Slot {
    fn new(core: Core) -> Self {
        Slot {
            generation: runtime::generation(),
            core: Some(core),
            closed: Arc::new(watch::channel(false).0),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.generation != runtime::generation() {
            // Built before a fork: its tasks, sockets, timers and waiters belong to the
            // parent's runtime, whose threads do not exist here.
            std::mem::forget(self.core.take());
            std::mem::forget(self.closed.clone());
        } else {
            self.closed.send_replace(true);
        }
    }
}

/// What a reader needs: the core session and the close signal.
struct Reader {
    core: Core,
    closed: watch::Receiver<bool>,
}

/// Why a read ended without credentials.
enum ReadError {
    Core(cross_account::Error),
    Closed,
    Timeout(Duration),
}

impl ReadError {
    fn into_py(self, py: Python<'_>, role_arn: &str) -> PyErr {
        match self {
            ReadError::Core(e) => to_py_err(py, e),
            ReadError::Closed => errors::closed(py, role_arn),
            ReadError::Timeout(after) => errors::timeout(py, role_arn, after),
        }
    }
}

/// The read itself, on the runtime: the core's (detached) fetch, cut short by `close()` or
/// the timeout. Cutting it short never cancels the STS call; the next read gets its outcome.
async fn read(
    reader: Reader,
    timeout: Option<Duration>,
) -> Result<TemporaryCredentials, ReadError> {
    let Reader { core, mut closed } = reader;
    let closing = async move {
        // An error means the sender is gone, which only a closed or dropped session does.
        let _ = closed.wait_for(|c| *c).await;
    };
    let deadline = async move {
        match timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        result = core.credentials() => result.map_err(ReadError::Core),
        () = closing => Err(ReadError::Closed),
        () = deadline => Err(ReadError::Timeout(timeout.unwrap_or_default())),
    }
}

/// An assumed role in another account whose temporary credentials stay fresh.
///
/// ```python
/// session = CrossAccountSession("arn:aws:iam::123456789012:role/DemoRole", "ExternalId123")
/// s3 = session.boto3_session().client("s3")
/// creds = session.credentials()  # Credentials; secrets are Secret objects
/// ```
///
/// The constructor validates every argument (`InvalidParameterError`, whose `field` names the
/// keyword) and does no I/O beyond reading the shared config for `profile`. Source
/// credentials come from the usual AWS chain (environment, SSO, instance role), from
/// `profile` as boto3's `profile_name` (that profile's credentials even with keys in the
/// environment; a role profile's session, this role then being chained; unknown: an error
/// now), or from `source_session` (role chaining). `from_profile()` takes the role itself
/// from a profile. One AssumeRole call is made per credential lifetime however many threads
/// or tasks read; a background task refreshes before expiry. Usable from threads, asyncio and forked children; `close()` (or a
/// `with` block) ends it. `spec()` gives a picklable description for worker processes.
///
/// Arguments:
///     role_arn: the role to assume, `arn:PARTITION:iam::ACCOUNT_ID:role/NAME`.
///     external_id: the External ID the role's trust policy requires (`sts:ExternalId`).
///
/// Keyword arguments:
///     session_name: the role session name shown in CloudTrail (default
///         `cross-account-<unix millis>`).
///     duration_seconds: the session lifetime asked for, 900 to 43200 seconds (default 3600;
///         clamped to 3600 with a warning when chaining roles).
///     region: the region whose STS endpoint is called (default: environment or profile).
///     endpoint_url: a custom STS endpoint (a VPC endpoint, a local emulator).
///     profile: the named profile the source credentials come from, as boto3's
///         `profile_name` (a role profile's session: this role is then chained).
///     policy: an inline session policy (JSON) that narrows what the session may do.
///     policy_arns: managed policy ARNs used as session policies (at most 10).
///     tags: session tags, a mapping of str to str (at most 50).
///     transitive_tag_keys: tag keys that pass on through role chaining.
///     source_identity: the source identity recorded in CloudTrail.
///     mfa_serial: the MFA device (serial number or ARN) the trust policy requires.
///     mfa_token_provider: a callable returning the current 6-digit MFA code; called at
///         every AssumeRole call, background refreshes included. Its exception becomes the
///         `__cause__` of the `InvalidParameterError` raised.
///     auto_refresh: refresh in the background before expiry (default True).
///     source_session: another `CrossAccountSession` whose credentials assume this role
///         (role chaining; its cache is shared).
///     credential_source: the source credentials come from exactly this place, as a role
///         profile's `credential_source`: `"Environment"`, `"Ec2InstanceMetadata"` or
///         `"EcsContainer"` (not with `profile`).
#[pyclass(
    frozen,
    weakref,
    module = "cross_account._native",
    name = "CrossAccountSession"
)]
pub struct CrossAccountSession {
    config: Config,
    /// `None` once closed.
    slot: Mutex<Option<Slot>>,
}

impl CrossAccountSession {
    fn from_config(py: Python<'_>, config: Config) -> PyResult<Self> {
        let core = config.build(py)?;
        if let Some(asked) = config.options.duration {
            let granted = core.duration().as_secs();
            if asked.as_secs() > u64::from(granted) {
                // The core logs the clamp (`cross_account.clamp`); Python code gets a warning.
                let message = format!(
                    "role chaining limits sessions to {granted} s; {} asked for {} s and gets {granted} s",
                    config.options.role_arn,
                    asked.as_secs()
                );
                let message = CString::new(message).unwrap_or_default();
                PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 2)?;
            }
        }
        Ok(CrossAccountSession {
            config,
            slot: Mutex::new(Some(Slot::new(core))),
        })
    }

    fn role_arn_str(&self) -> &str {
        &self.config.options.role_arn
    }

    /// The core session for this process, rebuilt after a fork.
    ///
    /// No Python code runs while the slot lock is held (building may import or raise), so a
    /// fork from another thread can never copy the lock in its held state.
    pub(crate) fn core(&self, py: Python<'_>) -> PyResult<Core> {
        self.reader(py).map(|r| r.core)
    }

    fn reader(&self, py: Python<'_>) -> PyResult<Reader> {
        let generation = runtime::generation();
        let current = self.lock().as_ref().map(|slot| {
            (slot.generation == generation).then(|| {
                slot.core
                    .clone()
                    .map(|core| (core, slot.closed.subscribe()))
            })
        });
        match current {
            None => return Err(errors::closed(py, self.role_arn_str())),
            Some(Some(Some((core, closed)))) => return Ok(Reader { core, closed }),
            Some(_) => {}
        }
        let fresh = self.config.build(py)?;
        let mut guard = self.lock();
        let Some(slot) = guard.as_mut() else {
            drop(guard);
            return Err(errors::closed(py, self.role_arn_str()));
        };
        if slot.generation != generation {
            // Built before the fork: leaked, never dropped (see `Slot`).
            std::mem::forget(std::mem::replace(slot, Slot::new(fresh)));
        }
        // Otherwise another thread rebuilt it first, and `fresh` (of this process) just drops.
        match &slot.core {
            Some(core) => Ok(Reader {
                core: core.clone(),
                closed: slot.closed.subscribe(),
            }),
            None => {
                drop(guard);
                Err(errors::closed(py, self.role_arn_str()))
            }
        }
    }

    /// The fast path: fresh cached credentials, no runtime, no waiting. `None` when a fetch is
    /// needed (or the core session must first be rebuilt after a fork).
    fn cached(&self, py: Python<'_>) -> PyResult<Option<TemporaryCredentials>> {
        let cached = match self.lock().as_ref() {
            None => None,
            Some(slot) if slot.generation == runtime::generation() => {
                Some(slot.core.as_ref().and_then(Core::cached_credentials))
            }
            Some(_) => Some(None),
        };
        cached.ok_or_else(|| errors::closed(py, self.role_arn_str()))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Slot>> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Builds a session from plain options (a `SessionSpec` shipped from another process).
    pub(crate) fn from_options(
        py: Python<'_>,
        options: SessionOptions,
        mfa_token_provider: Option<Bound<'_, PyAny>>,
        auto_refresh: bool,
    ) -> PyResult<Self> {
        let mfa = mfa_provider(py, options.mfa_serial.is_some(), mfa_token_provider)?;
        Self::from_config(
            py,
            Config {
                options,
                mfa,
                auto_refresh,
                source_session: None,
                profile_files: None,
            },
        )
    }
}

fn mfa_provider(
    py: Python<'_>,
    has_serial: bool,
    provider: Option<Bound<'_, PyAny>>,
) -> PyResult<Option<Arc<Py<PyAny>>>> {
    match (has_serial, provider.filter(|p| !p.is_none())) {
        (_, Some(p)) if !p.is_callable() => Err(type_error(
            "mfa_token_provider",
            "a callable returning the current 6-digit code",
            &p,
        )),
        (true, Some(p)) => Ok(Some(Arc::new(p.unbind()))),
        // The core validates a serial without provider (naming mfa_token_provider) itself,
        // after the serial's own rule.
        (true, None) => Ok(None),
        (false, Some(_)) => Err(errors::invalid(
            py,
            "mfa",
            "is required with mfa_token_provider: the MFA device's serial number or ARN",
        )),
        (false, None) => Ok(None),
    }
}

#[pymethods]
impl CrossAccountSession {
    #[new]
    // The keywords are parsed from `**keywords` (keywords.rs); help() and inspect show them.
    #[pyo3(
        signature = (role_arn, external_id = None, **keywords),
        text_signature = "(role_arn, external_id=None, *, session_name=None, \
            duration_seconds=None, region=None, endpoint_url=None, profile=None, policy=None, \
            policy_arns=None, tags=None, transitive_tag_keys=None, source_identity=None, \
            mfa_serial=None, mfa_token_provider=None, auto_refresh=None, source_session=None, \
            credential_source=None)"
    )]
    fn new(
        py: Python<'_>,
        role_arn: Bound<'_, PyAny>,
        external_id: Option<Bound<'_, PyAny>>,
        keywords: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let kw = Keywords::new(
            "CrossAccountSession",
            keywords,
            &[keywords::ROLE, SESSION_ONLY],
        )?;
        let role_arn = match role_arn.cast::<PyString>() {
            Ok(s) => s.to_string(),
            Err(_) => match role_arn.cast::<RoleArn>() {
                Ok(arn) => arn.get().0.as_str().to_string(),
                Err(_) => return Err(type_error("role_arn", "a str or RoleArn", &role_arn)),
            },
        };
        let source_session = match kw.get("source_session")? {
            None => None,
            Some(s) => match s.cast::<CrossAccountSession>() {
                Ok(s) => Some(s.clone().unbind()),
                Err(_) => {
                    return Err(type_error(
                        "source_session",
                        "a CrossAccountSession or None",
                        &s,
                    ))
                }
            },
        };
        let mut options = kw.options(py, role_arn, external_id)?;
        let mfa_token_provider = kw.get("mfa_token_provider")?;
        let mfa = mfa_provider(py, options.mfa_serial.is_some(), mfa_token_provider)?;
        // `profile=` as boto3's `profile_name=`: the profile's credentials are the source; a
        // role profile's chain becomes the first hop. An unknown profile is an error now.
        let options = match options.profile.take() {
            None => options,
            Some(name) => SharedConfig::load()
                .and_then(|c| c.with_source_profile(options, &name))
                .map_err(|e| to_py_err(py, e))?,
        };
        let config = Config {
            options,
            mfa,
            auto_refresh: opt_bool("auto_refresh", kw.get("auto_refresh")?, true)?,
            source_session,
            profile_files: None,
        };
        Self::from_config(py, config)
    }

    /// A session for role profile `profile_name` of the shared AWS config, as the AWS CLI and
    /// boto3 read it (role_arn, external_id, source_profile chain, credential_source,
    /// role_session_name, duration_seconds, mfa_serial, region, endpoint_url). The files are
    /// read now: an unknown profile, a cycle or a missing source raises before any call.
    ///
    /// Arguments:
    ///     profile_name: the role profile (`[profile NAME]` in ~/.aws/config).
    ///
    /// Keyword arguments:
    ///     mfa_token_provider: a callable returning the current 6-digit code, for every hop
    ///         whose profile names an `mfa_serial`.
    ///     auto_refresh: refresh in the background before expiry (default True).
    ///     config_file: the shared config file (default `AWS_CONFIG_FILE`, else ~/.aws/config);
    ///         given together with credentials_file.
    ///     credentials_file: the shared credentials file (default
    ///         `AWS_SHARED_CREDENTIALS_FILE`, else ~/.aws/credentials).
    #[classmethod]
    #[pyo3(signature = (
        profile_name,
        *,
        mfa_token_provider = None,
        auto_refresh = None,
        config_file = None,
        credentials_file = None,
    ))]
    fn from_profile(
        _cls: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        profile_name: String,
        mfa_token_provider: Option<Bound<'_, PyAny>>,
        auto_refresh: Option<Bound<'_, PyAny>>,
        config_file: Option<std::path::PathBuf>,
        credentials_file: Option<std::path::PathBuf>,
    ) -> PyResult<Self> {
        let files = match (config_file, credentials_file) {
            (None, None) => SharedConfigFiles::from_env(),
            (Some(c), Some(k)) => SharedConfigFiles::new(c, k),
            _ => {
                return Err(errors::invalid(
                    py,
                    "profile_files",
                    "config_file and credentials_file go together: give both or neither",
                ))
            }
        };
        let options = SharedConfig::load_files(files.clone())
            .and_then(|c| c.session_options(&profile_name))
            .map_err(|e| to_py_err(py, e))?;
        let mfa = match mfa_token_provider.filter(|p| !p.is_none()) {
            None => None,
            Some(p) if p.is_callable() => Some(Arc::new(p.unbind())),
            Some(p) => {
                return Err(type_error(
                    "mfa_token_provider",
                    "a callable returning the current 6-digit code",
                    &p,
                ))
            }
        };
        Self::from_config(
            py,
            Config {
                options,
                mfa,
                auto_refresh: opt_bool("auto_refresh", auto_refresh, true)?,
                source_session: None,
                profile_files: Some(files),
            },
        )
    }

    /// A session built from a `SessionSpec` (see `spec()`), for a worker process.
    ///
    /// Arguments:
    ///     spec: what `spec()` returned, possibly in another process.
    ///
    /// Keyword arguments:
    ///     mfa_token_provider: the MFA callable, required when the spec names an MFA device
    ///         (a callable cannot travel in a spec).
    ///     auto_refresh: refresh in the background before expiry (default True).
    ///
    /// Most workers want `cross_account.session_for(spec)`, which keeps one session per spec
    /// per process.
    #[classmethod]
    #[pyo3(signature = (spec, *, mfa_token_provider = None, auto_refresh = None))]
    fn from_spec(
        _cls: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        spec: &Bound<'_, PyAny>,
        mfa_token_provider: Option<Bound<'_, PyAny>>,
        auto_refresh: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let spec = spec
            .cast::<SessionSpec>()
            .map_err(|_| type_error("spec", "a SessionSpec", spec))?;
        Self::from_options(
            py,
            spec.get().options().clone(),
            mfa_token_provider,
            opt_bool("auto_refresh", auto_refresh, true)?,
        )
    }

    /// A picklable `SessionSpec` that rebuilds this session in another process.
    ///
    /// It holds the core's options (role, external ID, region, endpoint, profile, tags, the
    /// first hop of a chain, ...) and never a secret or a credential; the MFA callable is
    /// not in it. Give it to `cross_account.session_for(spec)` in the worker.
    fn spec(&self) -> SessionSpec {
        SessionSpec::new(self.config.spec_options())
    }

    /// The current credentials.
    ///
    /// From the cache when fresh (no lock, no waiting), otherwise after the one AssumeRole
    /// call in flight. Blocks with the GIL released; Ctrl-C interrupts the wait.
    ///
    /// Keyword arguments:
    ///     timeout: seconds to wait at most (None: as long as the STS client's own timeouts
    ///         and retries take). On expiry `CredentialsTimeoutError` is raised; the STS call
    ///         goes on and its outcome serves the next read.
    ///
    /// Raises `SessionClosedError` if the session is closed, also while waiting.
    #[pyo3(signature = (*, timeout = None))]
    fn credentials(
        &self,
        py: Python<'_>,
        timeout: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Credentials> {
        let timeout = opt_timeout(py, timeout)?;
        if let Some(creds) = self.cached(py)? {
            return Ok(Credentials::new(creds));
        }
        let reader = self.reader(py)?;
        wait::block_on(py, "credentials", read(reader, timeout))?
            .map(Credentials::new)
            .map_err(|e| e.into_py(py, self.role_arn_str()))
    }

    /// The held credentials if they are fresh, else None; never fetches or waits (for
    /// synchronous hooks of async libraries). Raises `SessionClosedError` when closed.
    fn _cached_credentials(&self, py: Python<'_>) -> PyResult<Option<Credentials>> {
        Ok(self.cached(py)?.map(Credentials::new))
    }

    /// The current credentials, awaitable from asyncio.
    ///
    /// Keyword arguments:
    ///     timeout: seconds to wait at most, as for `credentials()` (`CredentialsTimeoutError`).
    ///
    /// Raises `SessionClosedError` if the session is closed, also while waiting.
    #[pyo3(signature = (*, timeout = None))]
    fn credentials_async<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timeout = opt_timeout(py, timeout)?;
        if let Some(creds) = self.cached(py)? {
            return wait::ready(py, Credentials::new(creds));
        }
        let reader = self.reader(py)?;
        let role_arn = self.role_arn_str().to_string();
        wait::awaitable(py, async move {
            Ok(Outcome {
                result: read(reader, timeout).await,
                role_arn,
            })
        })
    }

    /// A `boto3.Session` whose credentials refresh through this session (needs `boto3`).
    ///
    /// Calls share one botocore data loader and one credentials object per session, so a
    /// second call costs little. Installs the botocore log redaction filter
    /// (`cross_account.redact_botocore_logs()`).
    ///
    /// Arguments:
    ///     region_name: the region of the clients (default: this session's `region`, else
    ///         boto3's usual resolution).
    #[pyo3(signature = (region_name = None))]
    fn boto3_session<'py>(
        slf: &Bound<'py, Self>,
        region_name: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("cross_account._boto3")?
            .call_method1("boto3_session", (slf, region_name))
    }

    /// botocore refreshable credentials that read from this session (needs `botocore`).
    ///
    /// Errors raised while botocore reads them are both `CrossAccountError` and botocore
    /// exceptions (`CredentialRetrievalError`, or `NoCredentialsError`).
    fn botocore_credentials<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("cross_account._boto3")?
            .call_method1("botocore_credentials", (slf,))
    }

    /// An `aiobotocore` `AioSession` whose credentials refresh through `credentials_async()`
    /// (needs `aiobotocore`). Works with `s3fs.S3FileSystem(session=...)`.
    ///
    /// Arguments:
    ///     region_name: the region of the clients (default: this session's `region`).
    #[pyo3(signature = (region_name = None))]
    fn aiobotocore_session<'py>(
        slf: &Bound<'py, Self>,
        region_name: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("cross_account._aio")?
            .call_method1("aiobotocore_session", (slf, region_name))
    }

    /// An `aioboto3.Session` whose credentials refresh through `credentials_async()` (needs
    /// `aioboto3`).
    ///
    /// Arguments:
    ///     region_name: the region of the clients (default: this session's `region`).
    #[pyo3(signature = (region_name = None))]
    fn aioboto3_session<'py>(
        slf: &Bound<'py, Self>,
        region_name: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("cross_account._aio")?
            .call_method1("aioboto3_session", (slf, region_name))
    }

    /// A snapshot of the refresh state, a `cross_account.SessionStatus` dict: role_arn;
    /// expiration, last_refresh, next_refresh (UTC datetimes or None); last_error and
    /// last_error_kind (str or None); consecutive_failures, refresh_count, sts_calls (int);
    /// background_task_running (bool).
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.core(py)?.status();
        let d = PyDict::new(py);
        let time = |t: Option<std::time::SystemTime>| -> PyResult<Option<Bound<'py, PyAny>>> {
            t.map(|t| utc_datetime(py, t).map(Bound::into_any))
                .transpose()
        };
        d.set_item("role_arn", self.role_arn_str())?;
        d.set_item("expiration", time(s.expiration)?)?;
        d.set_item("last_refresh", time(s.last_refresh)?)?;
        d.set_item("next_refresh", time(s.next_refresh)?)?;
        d.set_item("last_error", s.last_error.as_ref().map(ToString::to_string))?;
        d.set_item(
            "last_error_kind",
            s.last_error.as_ref().map(|e| e.kind().as_str()),
        )?;
        d.set_item("consecutive_failures", s.consecutive_failures)?;
        d.set_item("refresh_count", s.refresh_count)?;
        d.set_item("sts_calls", s.sts_calls)?;
        d.set_item("background_task_running", s.background_task_running)?;
        Ok(d)
    }

    /// Marks the held credentials stale, so the next read fetches new ones (one AssumeRole
    /// call however many readers). For callers that got `ExpiredToken` from a service.
    ///
    /// If that fetch fails with a retryable error (STS down, throttled) the held credentials
    /// are still served while they are valid, so an outage does not turn into failed
    /// requests; after a refusal (access denied) they are not.
    fn invalidate(&self, py: Python<'_>) -> PyResult<()> {
        self.core(py)?.invalidate();
        Ok(())
    }

    /// Ends the background refresh and releases the session. Readers waiting in
    /// `credentials()` or `credentials_async()` wake with `SessionClosedError`, and so do
    /// later calls. Idempotent.
    fn close(&self) {
        let slot = self.lock().take();
        drop(slot);
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// The role this session assumes, a `RoleArn` (equal to its str).
    #[getter]
    fn role_arn(&self, py: Python<'_>) -> PyResult<RoleArn> {
        cross_account::RoleArn::new(self.role_arn_str())
            .map(RoleArn)
            .map_err(|e| to_py_err(py, e))
    }

    /// The region given to the constructor, if any.
    #[getter]
    fn region(&self) -> Option<&str> {
        self.config.options.region.as_deref()
    }

    /// The STS endpoint given to the constructor, if any.
    #[getter]
    fn endpoint_url(&self) -> Option<&str> {
        self.config.options.endpoint_url.as_deref()
    }

    /// The role session name sent to STS.
    #[getter]
    fn session_name(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.core(py)?.session_name().as_str().to_string())
    }

    /// The session duration asked for, in seconds (after the role-chaining clamp).
    #[getter]
    fn duration_seconds(&self, py: Python<'_>) -> PyResult<u32> {
        Ok(self.core(py)?.duration().as_secs())
    }

    /// Returns the session itself; leaving the block calls `close()`.
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Calls `close()`; exceptions propagate.
    #[pyo3(signature = (exc_type, exc, tb))]
    fn __exit__(
        &self,
        exc_type: &Bound<'_, PyAny>,
        exc: &Bound<'_, PyAny>,
        tb: &Bound<'_, PyAny>,
    ) -> bool {
        let _ = (exc_type, exc, tb);
        self.close();
        false
    }

    fn __repr__(&self) -> String {
        format!(
            "CrossAccountSession(role_arn='{}', external_id={})",
            self.role_arn_str(),
            if self.config.options.external_id.is_some() {
                "'<set>'"
            } else {
                "None"
            },
        )
    }
}

/// An awaited result: credentials, or the typed exception.
struct Outcome {
    result: Result<TemporaryCredentials, ReadError>,
    role_arn: String,
}

impl<'py> IntoPyObject<'py> for Outcome {
    type Target = Credentials;
    type Output = Bound<'py, Credentials>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        match self.result {
            Ok(creds) => Bound::new(py, Credentials::new(creds)),
            Err(e) => Err(e.into_py(py, &self.role_arn)),
        }
    }
}
