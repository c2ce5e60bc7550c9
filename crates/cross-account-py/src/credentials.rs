//! `Secret` and `Credentials`: the core's credentials as Python objects, secrets sealed.

use std::time::{SystemTime, UNIX_EPOCH};

use cross_account::secrecy::{ExposeSecret, SecretString};
use cross_account::TemporaryCredentials;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDateTime, PyDict, PyTzInfo};

const REDACTED: &str = "**********";

fn refuse(what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{what} objects hold secrets and cannot be pickled or copied; call expose_secret() \
         (or Credentials.to_env()) where you hand the value over"
    ))
}

/// A secret string (secret access key, session token) whose `repr`, `str` and `format`
/// are redacted. Pickling and copying are refused; `expose_secret()` returns the value.
#[pyclass(frozen, module = "cross_account._native", name = "Secret")]
pub struct Secret(SecretString);

impl Secret {
    pub(crate) fn from_secret(secret: &SecretString) -> Self {
        Secret(secret.clone())
    }
}

#[pymethods]
impl Secret {
    /// Wraps a value so it is not shown by accident.
    #[new]
    fn new(value: String) -> Self {
        Secret(SecretString::from(value))
    }

    /// The secret value. Call it only where the value is handed over.
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    fn __repr__(&self) -> String {
        format!("Secret('{REDACTED}')")
    }

    fn __str__(&self) -> &'static str {
        REDACTED
    }

    fn __format__<'py>(&self, py: Python<'py>, spec: &str) -> PyResult<Bound<'py, PyAny>> {
        // The redacted text, formatted as asked (width, alignment), never the value.
        py.import("builtins")?
            .getattr("format")?
            .call1((REDACTED, spec))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Secret>() {
            Ok(o) => constant_time_eq(
                self.0.expose_secret().as_bytes(),
                o.get().0.expose_secret().as_bytes(),
            ),
            Err(_) => false,
        }
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(refuse("Secret"))
    }

    fn __reduce_ex__(&self, _protocol: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(refuse("Secret"))
    }

    fn __getstate__(&self) -> PyResult<()> {
        Err(refuse("Secret"))
    }

    fn __copy__(&self) -> PyResult<()> {
        Err(refuse("Secret"))
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(refuse("Secret"))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Temporary credentials of the assumed role. `repr`/`str` show only the access key id and
/// the expiration; the secret parts are `Secret`s.
#[pyclass(frozen, module = "cross_account._native", name = "Credentials")]
pub struct Credentials {
    inner: TemporaryCredentials,
    expiration: PyOnceLock<Py<PyDateTime>>,
}

impl Credentials {
    pub(crate) fn new(inner: TemporaryCredentials) -> Self {
        Credentials {
            inner,
            expiration: PyOnceLock::new(),
        }
    }
}

/// A tz-aware UTC `datetime` for a `SystemTime`.
pub(crate) fn utc_datetime<'py>(
    py: Python<'py>,
    t: SystemTime,
) -> PyResult<Bound<'py, PyDateTime>> {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    };
    let utc = PyTzInfo::utc(py)?;
    PyDateTime::from_timestamp(py, secs, Some(&utc))
}

fn iso8601(t: SystemTime, py: Python<'_>) -> PyResult<String> {
    utc_datetime(py, t)?
        .call_method1("strftime", ("%Y-%m-%dT%H:%M:%SZ",))?
        .extract()
}

#[pymethods]
impl Credentials {
    /// The access key id (`ASIA...`); not a secret.
    #[getter]
    fn access_key_id(&self) -> &str {
        self.inner.access_key_id()
    }

    /// The secret access key, as a `Secret`.
    #[getter]
    fn secret_access_key(&self) -> Secret {
        Secret::from_secret(self.inner.secret_access_key())
    }

    /// The session token, as a `Secret`.
    #[getter]
    fn session_token(&self) -> Secret {
        Secret::from_secret(self.inner.session_token())
    }

    /// When the credentials stop working: a timezone-aware UTC `datetime`.
    #[getter]
    fn expiration<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        self.expiration
            .get_or_try_init(py, || {
                utc_datetime(py, self.inner.expiration()).map(Bound::unbind)
            })
            .map(|d| d.bind(py).clone())
    }

    /// The assumed-role ARN, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    #[getter]
    fn assumed_role_arn(&self) -> &str {
        self.inner.assumed_role_arn()
    }

    /// The account the role belongs to, if the assumed-role ARN names one.
    #[getter]
    fn account_id(&self) -> Option<&str> {
        self.inner.account_id()
    }

    /// The environment variables a subprocess (AWS CLI, SDKs) reads: the explicit hand-over of
    /// the secrets. `AWS_CREDENTIAL_EXPIRATION` is ISO 8601 UTC.
    fn to_env<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let env = PyDict::new(py);
        env.set_item("AWS_ACCESS_KEY_ID", self.inner.access_key_id())?;
        env.set_item(
            "AWS_SECRET_ACCESS_KEY",
            self.inner.secret_access_key().expose_secret(),
        )?;
        env.set_item(
            "AWS_SESSION_TOKEN",
            self.inner.session_token().expose_secret(),
        )?;
        env.set_item(
            "AWS_CREDENTIAL_EXPIRATION",
            iso8601(self.inner.expiration(), py)?,
        )?;
        Ok(env)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Credentials(access_key_id='{}', expiration='{}')",
            self.inner.access_key_id(),
            iso8601(self.inner.expiration(), py)?
        ))
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        self.__repr__(py)
    }

    fn __format__(&self, py: Python<'_>, spec: &str) -> PyResult<String> {
        let text = self.__repr__(py)?;
        py.import("builtins")?
            .getattr("format")?
            .call1((text, spec))?
            .extract()
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(refuse("Credentials"))
    }

    fn __reduce_ex__(&self, _protocol: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(refuse("Credentials"))
    }

    fn __getstate__(&self) -> PyResult<()> {
        Err(refuse("Credentials"))
    }

    /// Credentials are immutable: a copy is the same object.
    fn __copy__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __deepcopy__(slf: Py<Self>, _memo: &Bound<'_, PyAny>) -> Py<Self> {
        slf
    }
}
