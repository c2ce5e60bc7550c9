//! `RoleArn` and `generate_external_id()`.

use cross_account::ExternalId;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString, PyType};

use crate::errors::to_py_err;

/// A validated IAM role ARN, `arn:PARTITION:iam::ACCOUNT_ID:role/PATH/NAME`.
///
/// Equal to another `RoleArn` or to a `str` with the same text, and hashed like that `str`,
/// so it works as a dict key next to plain strings.
#[pyclass(frozen, module = "cross_account._native", name = "RoleArn")]
pub struct RoleArn(pub(crate) cross_account::RoleArn);

#[pymethods]
impl RoleArn {
    /// Parses and validates an ARN; raises `InvalidParameterError` (field `role_arn`).
    #[new]
    fn new(py: Python<'_>, arn: String) -> PyResult<Self> {
        cross_account::RoleArn::new(arn)
            .map(RoleArn)
            .map_err(|e| to_py_err(py, e))
    }

    /// Parses and validates an ARN: the same as the constructor.
    #[classmethod]
    fn parse(_cls: &Bound<'_, PyType>, py: Python<'_>, arn: String) -> PyResult<Self> {
        Self::new(py, arn)
    }

    /// The partition, e.g. `aws` or `aws-cn`.
    #[getter]
    fn partition(&self) -> &str {
        self.0.partition()
    }

    /// The 12-digit account that owns the role.
    #[getter]
    fn account_id(&self) -> &str {
        self.0.account_id()
    }

    /// The role name, the part after the last `/`.
    #[getter]
    fn role_name(&self) -> &str {
        self.0.role_name()
    }

    /// The role path: `/` or `/seg/.../`.
    #[getter]
    fn path(&self) -> &str {
        self.0.path()
    }

    /// Equal to a `RoleArn` or a `str` with the same text.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let same = if let Ok(o) = other.cast::<RoleArn>() {
            o.get().0 == self.0
        } else if let Ok(s) = other.cast::<PyString>() {
            s.to_cow()? == self.0.as_str()
        } else {
            return Ok(py.NotImplemented());
        };
        Ok(PyBool::new(py, same).to_owned().into_any().unbind())
    }

    /// The hash of the ARN's `str`.
    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        PyString::new(py, self.0.as_str()).hash()
    }

    fn __str__(&self) -> &str {
        self.0.as_str()
    }

    fn __repr__(&self) -> String {
        format!("RoleArn('{}')", self.0.as_str())
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, (String,))> {
        Ok((slf.get_type(), (slf.get().0.as_str().to_string(),)))
    }
}

/// A fresh external ID: 160 random bits from the operating system as 32 characters of
/// Crockford base32, valid by the IAM pattern. Give one per customer to the trusting account.
#[pyfunction]
pub fn generate_external_id(py: Python<'_>) -> PyResult<String> {
    ExternalId::generate()
        .map(|id| id.as_str().to_string())
        .map_err(|e| to_py_err(py, e))
}
