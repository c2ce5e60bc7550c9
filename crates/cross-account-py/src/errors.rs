//! Core errors to Python exceptions: one class per `Error` kind, all under `CrossAccountError`.
//!
//! The classes live in `cross_account/_errors.py` (pure Python, so `InvalidParameterError` can
//! also be a `ValueError`); this file only picks the class and the attributes.

use std::time::Duration;

use cross_account::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

use crate::mfa::CallbackError;

static ERRORS_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ERRORS_MODULE
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(PyModule::import(py, "cross_account._errors")?.unbind())
        })
        .map(|m| m.bind(py))
}

/// The Python keyword that corresponds to a core builder setter, where the names differ.
pub(crate) fn python_field(field: &str) -> &str {
    match field {
        "duration" => "duration_seconds",
        "mfa" => "mfa_serial",
        "mfa_token" => "mfa_token_provider",
        other => other,
    }
}

/// The Python exception class name for a core error kind.
fn class_name(err: &Error) -> &'static str {
    match err.kind() {
        ErrorKind::InvalidParameter => "InvalidParameterError",
        ErrorKind::AccessDenied => "AccessDeniedError",
        ErrorKind::RegionDisabled => "RegionDisabledError",
        ErrorKind::MalformedPolicy => "MalformedPolicyError",
        ErrorKind::PackedPolicyTooLarge => "PackedPolicyTooLargeError",
        ErrorKind::ExpiredSourceCredentials => "ExpiredSourceCredentialsError",
        ErrorKind::SourceUnavailable => "SourceUnavailableError",
        ErrorKind::Throttled => "ThrottledError",
        ErrorKind::Unavailable => "StsUnavailableError",
        ErrorKind::NoSourceCredentials => "NoSourceCredentialsError",
        ErrorKind::CredentialsExpired => "CredentialsExpiredError",
        _ => "UnclassifiedError",
    }
}

/// Builds the exception instance for a core error.
pub(crate) fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    match build(py, &err) {
        Ok(exc) => exc,
        Err(import_failure) => import_failure,
    }
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let cls = errors_module(py)?.getattr(class_name(err))?;
    let kw = PyDict::new(py);
    kw.set_item("kind", err.kind().as_str())?;
    kw.set_item("retryable", err.is_retryable())?;
    kw.set_item("role_arn", err.role_arn())?;
    kw.set_item("code", err.code())?;
    kw.set_item("request_id", err.request_id())?;
    let message = match err.field() {
        Some(field) => {
            let field = python_field(field);
            kw.set_item("field", field)?;
            format!("invalid {field}: {}", err.message())
        }
        None => {
            kw.set_item("sts_message", err.message())?;
            err.to_string()
        }
    };
    if let Some(hint) = err.hint() {
        kw.set_item("hint", hint)?;
    }
    if let Error::RegionDisabled { region, .. } = err {
        kw.set_item("region", &**region)?;
    }
    let exc = cls.call((message,), Some(&kw))?;
    if let Some(cause) = python_cause(py, err) {
        exc.setattr("__cause__", cause)?;
    }
    Ok(PyErr::from_value(exc))
}

/// The Python exception somewhere in the error's source chain (an MFA callback's).
fn python_cause<'py>(py: Python<'py>, err: &Error) -> Option<Bound<'py, PyAny>> {
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(callback) = s.downcast_ref::<CallbackError>() {
            return Some(callback.exception(py));
        }
        source = s.source();
    }
    None
}

/// A read that gave up after its `timeout`: `CredentialsTimeoutError` (also a `TimeoutError`).
pub(crate) fn timeout(py: Python<'_>, role_arn: &str, after: Duration) -> PyErr {
    let result = (|| -> PyResult<PyErr> {
        let cls = errors_module(py)?.getattr("CredentialsTimeoutError")?;
        let kw = PyDict::new(py);
        kw.set_item("kind", "timeout")?;
        kw.set_item("retryable", true)?;
        kw.set_item("role_arn", role_arn)?;
        let message = format!(
            "no credentials for {role_arn} within the {:.3} s timeout; the AssumeRole call goes on and its outcome serves the next read",
            after.as_secs_f64()
        );
        Ok(PyErr::from_value(cls.call((message,), Some(&kw))?))
    })();
    result.unwrap_or_else(|e| e)
}

/// A binding-level error (a closed session): the base class with its own kind.
pub(crate) fn closed(py: Python<'_>, role_arn: &str) -> PyErr {
    let result = (|| -> PyResult<PyErr> {
        let cls = errors_module(py)?.getattr("SessionClosedError")?;
        let kw = PyDict::new(py);
        kw.set_item("kind", "closed")?;
        kw.set_item("retryable", false)?;
        kw.set_item("role_arn", role_arn)?;
        let message =
            format!("the session for {role_arn} is closed; create a new CrossAccountSession");
        Ok(PyErr::from_value(cls.call((message,), Some(&kw))?))
    })();
    result.unwrap_or_else(|e| e)
}

/// A binding-level parameter error (a Python-only keyword), as `InvalidParameterError`.
pub(crate) fn invalid(py: Python<'_>, field: &'static str, reason: impl Into<String>) -> PyErr {
    to_py_err(py, Error::invalid_parameter(field, reason))
}
