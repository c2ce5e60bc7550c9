//! The Python MFA callback as the core's `ProvideMfaToken`, its exception kept as the source.
//!
//! The callback runs on tokio's blocking pool (it may prompt), attached to Python. When it
//! raises, the `PyErr` travels inside the core's error as its `source()`; `errors.rs` finds it
//! there and sets it as the `__cause__` of the Python exception.

use std::fmt;
use std::sync::Arc;

use cross_account::{MfaTokenError, MfaTokenFuture, ProvideMfaToken};
use pyo3::prelude::*;

use crate::runtime;

pub(crate) struct PyMfaToken(Arc<Py<PyAny>>);

impl PyMfaToken {
    pub(crate) fn new(callback: Arc<Py<PyAny>>) -> Self {
        PyMfaToken(callback)
    }
}

/// The callback's exception, with its text taken while attached (Display has no GIL).
pub(crate) struct CallbackError {
    text: String,
    err: PyErr,
}

impl CallbackError {
    /// The original exception object.
    pub(crate) fn exception<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.err.value(py).clone().into_any()
    }
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackError")
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for CallbackError {}

fn call(callback: &Py<PyAny>) -> Result<String, MfaTokenError> {
    let outcome = runtime::gated(|| {
        Python::attach(|py| {
            let result = callback
                .call0(py)
                .and_then(|code| code.extract::<String>(py));
            result.map_err(|err| {
                let text = match err.value(py).str() {
                    Ok(s) => format!("{}: {s}", type_name(py, &err)),
                    Err(_) => type_name(py, &err),
                };
                Box::new(CallbackError { text, err }) as MfaTokenError
            })
        })
    });
    outcome.unwrap_or_else(|| Err("the Python interpreter is exiting".into()))
}

fn type_name(py: Python<'_>, err: &PyErr) -> String {
    err.get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".to_string())
}

impl ProvideMfaToken for PyMfaToken {
    fn mfa_token(&self) -> MfaTokenFuture<'_> {
        let callback = self.0.clone();
        Box::pin(async move {
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => handle
                    .spawn_blocking(move || call(&callback))
                    .await
                    .unwrap_or_else(|join| {
                        Err(format!("the MFA token callback did not finish: {join}").into())
                    }),
                Err(_) => call(&callback),
            }
        })
    }
}
