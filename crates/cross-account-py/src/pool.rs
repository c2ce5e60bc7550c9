//! `Pool`: the core's `CrossAccountPool` behind a Python class, for a vendor's many customer
//! accounts.
//!
//! Like the session class it keeps its constructor's arguments, so a forked child rebuilds
//! the core pool on its own runtime; every method is a call into the core.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cross_account::{CrossAccountPool as Core, SessionOptions, TemporaryCredentials};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::credentials::Credentials;
use crate::errors::{self, to_py_err};
use crate::keywords::{self, Keywords};
use crate::runtime;
use crate::wait;

struct Params {
    rate_limit: f64,
    burst: u32,
    max_in_flight: u32,
    max_sessions: usize,
    idle_timeout: Option<f64>,
    region: Option<String>,
    endpoint_url: Option<String>,
    profile: Option<String>,
}

impl Params {
    fn build(&self, py: Python<'_>) -> PyResult<Core> {
        let mut b = Core::builder()
            .sts_rate_limit(self.rate_limit, self.burst)
            .max_in_flight(self.max_in_flight)
            .max_sessions(self.max_sessions)
            .runtime_handle(runtime::handle()?);
        // The range rule (at least 1 second) is the core's; only what no Duration can hold
        // (negative, NaN, infinite) is refused here.
        b = match self.idle_timeout.map(Duration::try_from_secs_f64) {
            None => b.no_idle_timeout(),
            Some(Ok(idle)) => b.idle_timeout(idle),
            Some(Err(_)) => {
                return Err(errors::invalid(
                    py,
                    "idle_timeout",
                    format!(
                        "must be a finite number of seconds, at least 1 (or None for never), but it is {}",
                        self.idle_timeout.unwrap_or_default()
                    ),
                ))
            }
        };
        if let Some(r) = &self.region {
            b = b.region(r.as_str());
        }
        if let Some(u) = &self.endpoint_url {
            b = b.endpoint_url(u.as_str());
        }
        b.build().map_err(|e| to_py_err(py, e))
    }
}

/// Many tenant roles within one STS budget (`CrossAccountPool` in the core).
#[pyclass(frozen, module = "cross_account._native", name = "Pool")]
pub struct Pool {
    params: Params,
    slot: Mutex<(u64, Option<Core>)>,
}

impl Pool {
    /// The options of one tenant from a per-tenant method's arguments; the pool's `profile`
    /// is the default source.
    fn tenant(
        &self,
        py: Python<'_>,
        caller: &str,
        role_arn: String,
        external_id: Option<Bound<'_, PyAny>>,
        keywords: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<SessionOptions> {
        let mut options = Keywords::new(caller, keywords, &[keywords::ROLE])?.options(
            py,
            role_arn,
            external_id,
        )?;
        if options.profile.is_none() {
            options.profile.clone_from(&self.params.profile);
        }
        Ok(options)
    }

    fn core(&self, py: Python<'_>) -> PyResult<Core> {
        let generation = runtime::generation();
        let mut slot = self.lock();
        if slot.0 != generation || slot.1.is_none() {
            let fresh = self.params.build(py)?;
            // Built before the fork: its tasks and sockets are the parent's; leaked, not dropped.
            std::mem::forget(slot.1.replace(fresh));
            slot.0 = generation;
        }
        slot.1
            .clone()
            .ok_or_else(|| PyRuntimeError::new_err("the pool could not be built"))
    }

    fn cached(&self, options: &SessionOptions) -> Option<TemporaryCredentials> {
        let slot = self.lock();
        if slot.0 != runtime::generation() {
            return None;
        }
        slot.1.as_ref()?.cached_credentials(options)
    }

    fn lock(&self) -> MutexGuard<'_, (u64, Option<Core>)> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[pymethods]
impl Pool {
    #[new]
    #[pyo3(signature = (
        *,
        rate_limit = 50.0,
        burst = 10,
        max_in_flight = 16,
        max_sessions = 100_000,
        idle_timeout = Some(3600.0),
        region = None,
        endpoint_url = None,
        profile = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        rate_limit: f64,
        burst: u32,
        max_in_flight: u32,
        max_sessions: usize,
        idle_timeout: Option<f64>,
        region: Option<String>,
        endpoint_url: Option<String>,
        profile: Option<String>,
    ) -> PyResult<Self> {
        let params = Params {
            rate_limit,
            burst,
            max_in_flight,
            max_sessions,
            idle_timeout,
            region,
            endpoint_url,
            profile,
        };
        let core = params.build(py)?;
        Ok(Pool {
            params,
            slot: Mutex::new((runtime::generation(), Some(core))),
        })
    }

    /// The tenant's credentials: from the pool's cache when fresh (no lock), else after its one
    /// call in flight, paced by the budget; blocks with the GIL released.
    #[pyo3(signature = (role_arn, external_id = None, **keywords))]
    fn credentials(
        &self,
        py: Python<'_>,
        role_arn: String,
        external_id: Option<Bound<'_, PyAny>>,
        keywords: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Credentials> {
        let options = self.tenant(py, "Pool.credentials", role_arn, external_id, keywords)?;
        if let Some(creds) = self.cached(&options) {
            return Ok(Credentials::new(creds));
        }
        let core = self.core(py)?;
        wait::block_on(py, "pool", async move { core.credentials(&options).await })?
            .map(Credentials::new)
            .map_err(|e| to_py_err(py, e))
    }

    /// Awaitable `credentials()`: the call runs on the pool's runtime, never on the event loop.
    #[pyo3(signature = (role_arn, external_id = None, **keywords))]
    fn credentials_async<'py>(
        &self,
        py: Python<'py>,
        role_arn: String,
        external_id: Option<Bound<'py, PyAny>>,
        keywords: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = self.tenant(
            py,
            "Pool.credentials_async",
            role_arn,
            external_id,
            keywords,
        )?;
        if let Some(creds) = self.cached(&options) {
            return wait::ready(py, Credentials::new(creds));
        }
        let core = self.core(py)?;
        wait::awaitable(
            py,
            async move { Ok(Outcome(core.credentials(&options).await)) },
        )
    }

    /// Warms `(role_arn, external_id)` pairs at the budget's pace: a list, in order, of
    /// `Credentials` or the `CrossAccountError` of that tenant.
    fn prefetch<'py>(
        &self,
        py: Python<'py>,
        tenants: Vec<(String, Option<String>)>,
    ) -> PyResult<Bound<'py, PyList>> {
        let keys: Vec<SessionOptions> = tenants
            .into_iter()
            .map(|(role_arn, external_id)| SessionOptions {
                external_id,
                profile: self.params.profile.clone(),
                ..SessionOptions::new(role_arn)
            })
            .collect();
        let core = self.core(py)?;
        let results = wait::block_on(py, "pool", async move { core.prefetch(keys).await })?;
        let out = PyList::empty(py);
        for r in results {
            match r {
                Ok(creds) => out.append(Bound::new(py, Credentials::new(creds))?)?,
                Err(e) => out.append(to_py_err(py, e).into_value(py))?,
            }
        }
        Ok(out)
    }

    /// The onboarding check of one tenant role: it must accept the right external ID, refuse
    /// none and a wrong one (else a confused-deputy finding), and belong to the ARN's account.
    /// Returns a dict with `verdict` and one entry per check (`passed`, `hint`).
    #[pyo3(signature = (role_arn, external_id = None, **keywords))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        role_arn: String,
        external_id: Option<Bound<'py, PyAny>>,
        keywords: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = self.tenant(py, "Pool.verify", role_arn, external_id, keywords)?;
        let core = self.core(py)?;
        let report = wait::block_on(py, "pool", async move { core.verify(&options).await })?
            .map_err(|e| to_py_err(py, e))?;
        py.import("json")?
            .call_method1("loads", (report.to_json().to_string(),))
    }

    /// Counters and gauges: `sts_calls`, `throttled`, `issued`, `queued`, `in_flight`,
    /// `sessions`, `quarantined`, `evicted`, `outages`, `in_outage`, `rate_per_second`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.core(py)?.stats();
        let d = PyDict::new(py);
        d.set_item("sts_calls", s.sts_calls)?;
        d.set_item("throttled", s.throttled)?;
        d.set_item("issued", s.issued)?;
        d.set_item("queued", s.queued)?;
        d.set_item("in_flight", s.in_flight)?;
        d.set_item("sessions", s.sessions)?;
        d.set_item("quarantined", s.quarantined)?;
        d.set_item("evicted", s.evicted)?;
        d.set_item("outages", s.outages)?;
        d.set_item("in_outage", s.in_outage)?;
        d.set_item("rate_per_second", s.rate_per_second)?;
        Ok(d)
    }

    /// A `boto3.Session` for one tenant whose credentials come from this pool; every such
    /// session shares one botocore loader (service models are parsed once).
    #[pyo3(signature = (role_arn, external_id = None, *, region_name = None, **options))]
    fn boto3_session<'py>(
        slf: &Bound<'py, Self>,
        role_arn: String,
        external_id: Option<String>,
        region_name: Option<String>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = options.map_or_else(
            || PyDict::new(slf.py()),
            |o| o.copy().unwrap_or_else(|_| PyDict::new(slf.py())),
        );
        slf.py().import("cross_account._pool_boto3")?.call_method(
            "boto3_session",
            (slf, role_arn, external_id, region_name),
            Some(&kwargs),
        )
    }

    /// A boto3 client of `service` for one tenant (see `boto3_session`).
    #[pyo3(signature = (service, role_arn, external_id = None, *, region_name = None, **options))]
    fn client<'py>(
        slf: &Bound<'py, Self>,
        service: String,
        role_arn: String,
        external_id: Option<String>,
        region_name: Option<String>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let session = Self::boto3_session(slf, role_arn, external_id, region_name, options)?;
        session.call_method1("client", (service,))
    }

    fn __repr__(&self) -> String {
        format!(
            "Pool(rate_limit={}, burst={}, max_in_flight={}, max_sessions={})",
            self.params.rate_limit,
            self.params.burst,
            self.params.max_in_flight,
            self.params.max_sessions
        )
    }
}

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
