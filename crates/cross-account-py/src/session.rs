//! `CrossAccountSession`: the core session behind a Python class.
//!
//! The class keeps the constructor's arguments so that a forked child can rebuild the core
//! session on its own runtime (see `runtime.rs`); every method is a call into the core.

use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cross_account::{
    CrossAccountSession as Core, SessionOptions, SharedConfig, SharedConfigFiles,
    TemporaryCredentials,
};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_async_runtimes::TaskLocals;

use crate::arn::RoleArn;
use crate::credentials::{utc_datetime, Credentials};
use crate::errors::{self, to_py_err};
use crate::runtime::{self, LoopHandle, PyRuntime};

const MFA_NOT_CALLABLE: &str =
    "mfa_token_provider must be a callable returning the current 6-digit code";
const MFA_NEEDS_PROVIDER: &str =
    "is required with mfa_serial: a callable returning the current 6-digit code";
const MFA_NEEDS_SERIAL: &str =
    "is required with mfa_token_provider: the MFA device's serial number or ARN";

/// How often a blocking wait wakes up to let Python handle signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The constructor's arguments, kept to rebuild the core session in a forked child.
struct Params {
    role_arn: String,
    external_id: Option<String>,
    session_name: Option<String>,
    duration_seconds: u64,
    region: Option<String>,
    endpoint_url: Option<String>,
    profile: Option<String>,
    policy: Option<String>,
    policy_arns: Vec<String>,
    tags: Vec<(String, String)>,
    transitive_tag_keys: Vec<String>,
    source_identity: Option<String>,
    mfa: Option<(String, Py<PyAny>)>,
    auto_refresh: bool,
    source_session: Option<Py<CrossAccountSession>>,
    /// Profiles: `from_profile`'s resolved options, `profile=`'s role chain, their files.
    profiles: ProfileParams,
}

#[derive(Default)]
struct ProfileParams {
    options: Option<SessionOptions>,
    source_role: Option<SessionOptions>,
    files: SharedConfigFiles,
}

impl ProfileParams {
    /// `profile=` as boto3's `profile_name=`: the profile's credentials are the source (for a
    /// role profile, its role session: this role is then chained). Unknown: an error now.
    fn source(py: Python<'_>, profile: Option<String>) -> PyResult<(Option<String>, Self)> {
        let Some(name) = profile else {
            return Ok((None, ProfileParams::default()));
        };
        let o = SharedConfig::load()
            .and_then(|c| c.with_source_profile(SessionOptions::default(), &name))
            .map_err(|e| to_py_err(py, e))?;
        let params = ProfileParams {
            source_role: o.source_role.map(|b| *b),
            ..ProfileParams::default()
        };
        Ok((o.profile, params))
    }
}

impl Params {
    fn build(&self, py: Python<'_>) -> PyResult<Core> {
        if let Some(options) = &self.profiles.options {
            let mut b = Core::builder().options(options.clone());
            if let Some((_, provider)) = &self.mfa {
                // The code source only: the profile's options name each hop's device.
                let provider = provider.clone_ref(py);
                b = b.mfa_token_callback(move || mfa_code(&provider));
            }
            return b
                .profile_files(self.profiles.files.clone())
                .auto_refresh(self.auto_refresh)
                .build()
                .map_err(|e| to_py_err(py, e));
        }
        let mut b = Core::builder()
            .role_arn(self.role_arn.as_str())
            .duration(Duration::from_secs(self.duration_seconds))
            .policy_arns(self.policy_arns.iter().cloned())
            .tags(self.tags.iter().cloned())
            .transitive_tag_keys(self.transitive_tag_keys.iter().cloned())
            .auto_refresh(self.auto_refresh);
        if let Some(v) = &self.external_id {
            b = b.external_id(v.as_str());
        }
        if let Some(v) = &self.session_name {
            b = b.session_name(v.as_str());
        }
        if let Some(v) = &self.region {
            b = b.region(v.as_str());
        }
        if let Some(v) = &self.endpoint_url {
            b = b.endpoint_url(v.as_str());
        }
        if let Some(v) = &self.profile {
            b = b.profile(v.as_str());
        }
        if let Some(v) = &self.policy {
            b = b.policy(v.as_str());
        }
        if let Some(v) = &self.source_identity {
            b = b.source_identity(v.as_str());
        }
        if let Some((serial, provider)) = &self.mfa {
            let provider = provider.clone_ref(py);
            b = b.mfa(serial.as_str(), move || mfa_code(&provider));
        }
        if let Some(source) = &self.source_session {
            b = b.source_session(source.get().core(py)?);
        }
        if let Some(first) = &self.profiles.source_role {
            b = b.source_role(first.clone());
        }
        b.build().map_err(|e| to_py_err(py, e))
    }
}

/// Asks the Python callback for the MFA code (on a runtime thread, so it attaches first).
fn mfa_code(provider: &Py<PyAny>) -> Result<String, String> {
    runtime::gated(|| {
        Python::attach(|py| {
            provider
                .call0(py)
                .and_then(|code| code.extract::<String>(py))
                .map_err(|e| e.to_string())
        })
    })
    .unwrap_or_else(|| Err("the Python interpreter is exiting".to_string()))
}

/// The core session and the fork generation it was built in.
struct Slot {
    generation: u64,
    core: Option<Core>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Built before a fork: its tasks, sockets and timers belong to the parent's runtime.
        if self.generation != runtime::generation() {
            std::mem::forget(self.core.take());
        }
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
/// from a profile. One AssumeRole
/// call is made per credential lifetime however many threads or tasks read; a background task
/// refreshes before expiry. Usable from threads, asyncio and forked children; `close()` (or a
/// `with` block) ends it.
#[pyclass(frozen, module = "cross_account._native", name = "CrossAccountSession")]
pub struct CrossAccountSession {
    params: Params,
    /// `None` once closed.
    slot: Mutex<Option<Slot>>,
}

impl CrossAccountSession {
    /// The core session for this process, rebuilt after a fork.
    ///
    /// No Python code runs while the slot lock is held (building may import or raise), so a
    /// fork from another thread can never copy the lock in its held state.
    pub(crate) fn core(&self, py: Python<'_>) -> PyResult<Core> {
        let generation = runtime::generation();
        let current = self
            .lock()
            .as_ref()
            .map(|slot| (slot.generation == generation).then(|| slot.core.clone()));
        match current {
            None => return Err(errors::closed(py, &self.params.role_arn)),
            Some(Some(Some(core))) => return Ok(core),
            Some(_) => {}
        }
        let fresh = self.params.build(py)?;
        let mut guard = self.lock();
        let Some(slot) = guard.as_mut() else {
            drop(guard);
            return Err(errors::closed(py, &self.params.role_arn));
        };
        if slot.generation != generation {
            // Built before the fork: leaked, never dropped (see `Slot`).
            std::mem::forget(slot.core.replace(fresh));
            slot.generation = generation;
        }
        // Otherwise another thread rebuilt it first, and `fresh` (of this process) just drops.
        Ok(slot
            .core
            .clone()
            // Cannot fail: a closed slot returned above, and an open one always holds a session.
            .expect("an open slot holds a core session"))
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
        cached.ok_or_else(|| errors::closed(py, &self.params.role_arn))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Slot>> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn opt_list(name: &str, v: Option<Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    match v {
        None => Ok(Vec::new()),
        Some(v) if v.is_instance_of::<pyo3::types::PyString>() => Err(PyTypeError::new_err(
            format!("{name} must be a sequence of strings, not a single string"),
        )),
        Some(v) => v
            .try_iter()?
            .map(|item| item?.extract::<String>())
            .collect(),
    }
}

fn opt_tags(v: Option<Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    match v {
        None => Ok(Vec::new()),
        Some(v) => {
            if !v.hasattr("items")? {
                return Err(PyTypeError::new_err(
                    "tags must be a mapping of str to str, such as {'team': 'data'}",
                ));
            }
            v.call_method0("items")?
                .try_iter()?
                .map(|item| item?.extract::<(String, String)>())
                .collect()
        }
    }
}

#[pymethods]
impl CrossAccountSession {
    /// Validates every argument (raising `InvalidParameterError`) and does no I/O.
    #[new]
    #[pyo3(signature = (
        role_arn,
        external_id = None,
        *,
        session_name = None,
        duration_seconds = 3600,
        region = None,
        endpoint_url = None,
        profile = None,
        policy = None,
        policy_arns = None,
        tags = None,
        transitive_tag_keys = None,
        source_identity = None,
        mfa_serial = None,
        mfa_token_provider = None,
        auto_refresh = true,
        source_session = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        role_arn: String,
        external_id: Option<String>,
        session_name: Option<String>,
        duration_seconds: i64,
        region: Option<String>,
        endpoint_url: Option<String>,
        profile: Option<String>,
        policy: Option<String>,
        policy_arns: Option<Bound<'_, PyAny>>,
        tags: Option<Bound<'_, PyAny>>,
        transitive_tag_keys: Option<Bound<'_, PyAny>>,
        source_identity: Option<String>,
        mfa_serial: Option<String>,
        mfa_token_provider: Option<Bound<'_, PyAny>>,
        auto_refresh: bool,
        source_session: Option<Bound<'_, CrossAccountSession>>,
    ) -> PyResult<Self> {
        let duration_seconds = u64::try_from(duration_seconds).map_err(|_| {
            errors::invalid(
                py,
                "duration",
                format!("must be 900 to 43200 seconds (15 minutes to 12 hours), but it is {duration_seconds} seconds"),
            )
        })?;
        let mfa = match (mfa_serial, mfa_token_provider) {
            (None, None) => None,
            (Some(serial), Some(provider)) if provider.is_callable() => {
                Some((serial, provider.unbind()))
            }
            (Some(_), Some(_)) => return Err(PyTypeError::new_err(MFA_NOT_CALLABLE)),
            (Some(_), None) => return Err(errors::invalid(py, "mfa_token", MFA_NEEDS_PROVIDER)),
            (None, Some(_)) => return Err(errors::invalid(py, "mfa", MFA_NEEDS_SERIAL)),
        };
        let (profile, profiles) = ProfileParams::source(py, profile)?;
        let params = Params {
            role_arn,
            external_id,
            session_name,
            duration_seconds,
            region,
            endpoint_url,
            profile,
            profiles,
            policy,
            policy_arns: opt_list("policy_arns", policy_arns)?,
            tags: opt_tags(tags)?,
            transitive_tag_keys: opt_list("transitive_tag_keys", transitive_tag_keys)?,
            source_identity,
            mfa,
            auto_refresh,
            source_session: source_session.map(Bound::unbind),
        };
        let core = params.build(py)?;
        Ok(CrossAccountSession {
            params,
            slot: Mutex::new(Some(Slot {
                generation: runtime::generation(),
                core: Some(core),
            })),
        })
    }

    /// A session for role profile `profile_name` of the shared AWS config, as the AWS CLI and
    /// boto3 read it (role_arn, external_id, source_profile chain, credential_source,
    /// role_session_name, duration_seconds, mfa_serial, region, endpoint_url). The files are
    /// read now: an unknown profile, a cycle or a missing source raises before any call.
    #[classmethod]
    #[pyo3(signature = (
        profile_name,
        *,
        mfa_token_provider = None,
        auto_refresh = true,
        config_file = None,
        credentials_file = None,
    ))]
    fn from_profile(
        _cls: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        profile_name: String,
        mfa_token_provider: Option<Bound<'_, PyAny>>,
        auto_refresh: bool,
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
        let mfa = match mfa_token_provider {
            None => None,
            Some(p) if p.is_callable() => Some((String::new(), p.unbind())),
            Some(_) => return Err(PyTypeError::new_err(MFA_NOT_CALLABLE)),
        };
        let params = Params {
            role_arn: options.role_arn.clone(),
            external_id: None,
            session_name: None,
            duration_seconds: 0,
            region: options.region.clone(),
            endpoint_url: options.endpoint_url.clone(),
            profile: None,
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            mfa,
            auto_refresh,
            source_session: None,
            profiles: ProfileParams {
                options: Some(options),
                source_role: None,
                files,
            },
        };
        let core = params.build(py)?;
        Ok(CrossAccountSession {
            params,
            slot: Mutex::new(Some(Slot {
                generation: runtime::generation(),
                core: Some(core),
            })),
        })
    }

    /// The current credentials: from the cache when fresh (no lock, no waiting), otherwise
    /// after the one AssumeRole call in flight. Blocks with the GIL released; Ctrl-C interrupts
    /// the wait.
    fn credentials(&self, py: Python<'_>) -> PyResult<Credentials> {
        if let Some(creds) = self.cached(py)? {
            return Ok(Credentials::new(creds));
        }
        let handle = runtime::handle()?;
        let core = self.core(py)?;
        let (tx, mut rx) = sync_channel(1);
        handle.spawn(async move {
            let _ = tx.send(core.credentials().await);
        });
        loop {
            // The receiver moves into the detached closure and back (it is Send, not Sync).
            let (back, received) = py.detach(move || {
                let received = rx.recv_timeout(SIGNAL_POLL);
                if received.is_err() {
                    runtime::park_if_exiting();
                }
                (rx, received)
            });
            rx = back;
            match received {
                Ok(result) => return result.map(Credentials::new).map_err(|e| to_py_err(py, e)),
                Err(RecvTimeoutError::Timeout) => py.check_signals()?,
                Err(RecvTimeoutError::Disconnected) => return Err(PyRuntimeError::new_err(
                    "the credentials task ended without an answer (the runtime is shutting down)",
                )),
            }
        }
    }

    /// The current credentials, awaitable from asyncio.
    fn credentials_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if let Some(creds) = self.cached(py)? {
            let fut = pyo3_async_runtimes::get_running_loop(py)?.call_method0("create_future")?;
            fut.call_method1("set_result", (Credentials::new(creds),))?;
            return Ok(fut);
        }
        runtime::handle()?;
        let core = self.core(py)?;
        let event_loop = pyo3_async_runtimes::get_running_loop(py)?;
        let locals = TaskLocals::new(Bound::new(py, LoopHandle::new(event_loop))?.into_any())
            .copy_context(py)?;
        pyo3_async_runtimes::generic::future_into_py_with_locals::<PyRuntime, _, _>(
            py,
            locals,
            async move { Ok(Outcome(core.credentials().await)) },
        )
    }

    /// A `boto3.Session` whose credentials refresh through this session (needs `boto3`).
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
    fn botocore_credentials<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("cross_account._boto3")?
            .call_method1("botocore_credentials", (slf,))
    }

    /// A snapshot of the refresh state: expiration, last_refresh, next_refresh (UTC datetimes
    /// or None), last_error and last_error_kind (str or None), consecutive_failures,
    /// refresh_count, sts_calls (int), background_task_running (bool).
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.core(py)?.status();
        let d = PyDict::new(py);
        let time = |t: Option<std::time::SystemTime>| -> PyResult<Option<Bound<'py, PyAny>>> {
            t.map(|t| utc_datetime(py, t).map(Bound::into_any))
                .transpose()
        };
        d.set_item("role_arn", self.params.role_arn.as_str())?;
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
    fn invalidate(&self, py: Python<'_>) -> PyResult<()> {
        self.core(py)?.invalidate();
        Ok(())
    }

    /// Ends the background refresh and releases the session; later calls raise
    /// `SessionClosedError`. Idempotent.
    fn close(&self) {
        let slot = self.lock().take();
        drop(slot);
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// The role this session assumes.
    #[getter]
    fn role_arn(&self, py: Python<'_>) -> PyResult<RoleArn> {
        cross_account::RoleArn::new(self.params.role_arn.as_str())
            .map(RoleArn)
            .map_err(|e| to_py_err(py, e))
    }

    /// The region given to the constructor, if any.
    #[getter]
    fn region(&self) -> Option<&str> {
        self.params.region.as_deref()
    }

    /// The STS endpoint given to the constructor, if any.
    #[getter]
    fn endpoint_url(&self) -> Option<&str> {
        self.params.endpoint_url.as_deref()
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

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

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
            self.params.role_arn,
            if self.params.external_id.is_some() {
                "'<set>'"
            } else {
                "None"
            },
        )
    }
}

/// An awaited result: credentials, or the typed exception.
struct Outcome(Result<TemporaryCredentials, cross_account::Error>);

impl<'py> IntoPyObject<'py> for Outcome {
    type Target = Credentials;
    type Output = Bound<'py, Credentials>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        match self.0 {
            Ok(creds) => Bound::new(py, Credentials::new(creds)),
            Err(e) => Err(to_py_err(py, e)),
        }
    }
}
