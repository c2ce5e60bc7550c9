//! `SessionSpec`: the core's `SessionOptions` as a picklable Python value for worker processes.

use cross_account::SessionOptions;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::errors::to_py_err;

/// A picklable description of a session: the core's options (role, external ID, session
/// name, duration, policies, tags, source identity, MFA serial, region, endpoint, profile,
/// the first hop of a role chain). No secret and no credential is ever in it, and no MFA
/// callable: pass `mfa_token_provider=` to `session_for()` in the worker if the spec names an
/// MFA device.
///
/// Get one from `CrossAccountSession.spec()`, send it to a worker (Dask, Ray,
/// multiprocessing), and call `cross_account.session_for(spec)` there. Equal specs ask STS for
/// the same thing, so a spec is hashable and a dict key.
#[pyclass(
    frozen,
    eq,
    hash,
    module = "cross_account._native",
    name = "SessionSpec"
)]
#[derive(PartialEq, Eq, Hash)]
pub struct SessionSpec(SessionOptions);

impl SessionSpec {
    pub(crate) fn new(options: SessionOptions) -> Self {
        SessionSpec(options)
    }

    pub(crate) fn options(&self) -> &SessionOptions {
        &self.0
    }
}

#[pymethods]
impl SessionSpec {
    /// Reads the JSON of `to_json()`; unknown fields are refused (`InvalidParameterError`).
    ///
    /// Arguments:
    ///     text: a JSON object as written by `to_json()`.
    #[classmethod]
    fn from_json(_cls: &Bound<'_, PyType>, py: Python<'_>, text: &str) -> PyResult<Self> {
        SessionOptions::from_json(text)
            .map(SessionSpec)
            .map_err(|e| to_py_err(py, e))
    }

    /// The options as stable JSON (the core's `SessionOptions::to_json`), defaults left out.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// The role the spec assumes.
    #[getter]
    fn role_arn(&self) -> &str {
        &self.0.role_arn
    }

    /// Pickles as its JSON.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_json = slf.get_type().getattr("from_json")?;
        Ok((from_json, (slf.get().0.to_json(),)))
    }

    /// The JSON with the external ID shown as `<set>`, as the session's repr does.
    fn __repr__(&self) -> String {
        let mut shown = self.0.clone();
        hide_external_ids(&mut shown);
        format!("SessionSpec({})", shown.to_json())
    }
}

fn hide_external_ids(options: &mut SessionOptions) {
    if options.external_id.is_some() {
        options.external_id = Some("<set>".to_string());
    }
    if let Some(first) = options.source_role.as_mut() {
        hide_external_ids(first);
    }
}
