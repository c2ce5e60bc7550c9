//! The keywords that describe one role, as Python passes them, turned into the core's
//! `SessionOptions`: one parser for `CrossAccountSession(...)`, every per-tenant method of
//! `Pool` and the trust-policy functions. A new role option is its name in `ROLE` and its
//! field in `Keywords::options` here, one line of `_RoleOptions` in `_native.pyi`, and its
//! name in the constructor's `text_signature` (session.rs), which is what help() shows.
//!
//! Type errors name the keyword and what it takes; value rules (ranges, ARN shapes) are the
//! core's and reach Python as `InvalidParameterError`.

use std::time::Duration;

use cross_account::{CredentialSource, SessionDuration, SessionOptions};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

use crate::errors::{self, to_py_err};

/// The keywords of one role that every face takes (`SessionOptions` less the session-only ones).
pub(crate) const ROLE: &[&str] = &[
    "session_name",
    "duration_seconds",
    "region",
    "endpoint_url",
    "profile",
    "policy",
    "policy_arns",
    "tags",
    "transitive_tag_keys",
    "source_identity",
];

/// The `**keywords` of one call, checked against the names that call takes.
pub(crate) struct Keywords<'py> {
    given: Option<Bound<'py, PyDict>>,
}

impl<'py> Keywords<'py> {
    /// `given`, refused with Python's own `TypeError` wording if it holds a name outside
    /// `takes` (`caller` is the callable's name, as in `Pool.credentials`).
    pub(crate) fn new(
        caller: &str,
        given: Option<&Bound<'py, PyDict>>,
        takes: &[&[&str]],
    ) -> PyResult<Self> {
        if let Some(dict) = given {
            for key in dict.keys() {
                let name: String = key.extract()?;
                if !takes.iter().any(|names| names.contains(&name.as_str())) {
                    return Err(PyTypeError::new_err(format!(
                        "{caller}() got an unexpected keyword argument '{name}'"
                    )));
                }
            }
        }
        Ok(Keywords {
            given: given.cloned(),
        })
    }

    /// The value of keyword `name`, None when not given or given as None.
    pub(crate) fn get(&self, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.given {
            None => Ok(None),
            Some(dict) => Ok(dict.get_item(name)?.filter(|v| !v.is_none())),
        }
    }

    /// The core's options for `role_arn`: every `SessionOptions` field from its keyword.
    pub(crate) fn options(
        &self,
        py: Python<'_>,
        role_arn: String,
        external_id: Option<Bound<'_, PyAny>>,
    ) -> PyResult<SessionOptions> {
        let credential_source = opt_str("credential_source", self.get("credential_source")?)?
            .map(|v| v.parse::<CredentialSource>())
            .transpose()
            .map_err(|e| to_py_err(py, e))?;
        // Exhaustive on purpose: a new core option fails to compile here until it has a
        // keyword (or a stated reason not to).
        Ok(SessionOptions {
            role_arn,
            external_id: opt_str("external_id", external_id)?,
            session_name: opt_str("session_name", self.get("session_name")?)?,
            duration: opt_duration(py, self.get("duration_seconds")?)?,
            policy: opt_str("policy", self.get("policy")?)?,
            policy_arns: opt_list("policy_arns", self.get("policy_arns")?)?,
            tags: opt_tags(self.get("tags")?)?,
            transitive_tag_keys: opt_list("transitive_tag_keys", self.get("transitive_tag_keys")?)?,
            source_identity: opt_str("source_identity", self.get("source_identity")?)?,
            mfa_serial: opt_str("mfa_serial", self.get("mfa_serial")?)?,
            region: opt_str("region", self.get("region")?)?,
            endpoint_url: opt_str("endpoint_url", self.get("endpoint_url")?)?,
            profile: opt_str("profile", self.get("profile")?)?,
            credential_source,
            // The first hop of a chain comes from `source_session` (a live session) or a
            // profile, never from a keyword of its own.
            source_role: None,
        })
    }
}

pub(crate) fn type_error(name: &str, what: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let type_name = got
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_string());
    PyTypeError::new_err(format!("{name} must be {what}, not {type_name}"))
}

pub(crate) fn opt_str(name: &str, v: Option<Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_instance_of::<PyString>() => v.extract().map(Some),
        Some(v) => Err(type_error(name, "a str or None", &v)),
    }
}

pub(crate) fn opt_list(name: &str, v: Option<Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    const WHAT: &str = "a sequence of strings";
    match v {
        None => Ok(Vec::new()),
        Some(v) if v.is_instance_of::<PyString>() => Err(PyTypeError::new_err(format!(
            "{name} must be {WHAT}, not a single string (wrap it in a list)"
        ))),
        Some(v) => v
            .try_iter()
            .map_err(|_| type_error(name, WHAT, &v))?
            .map(|item| {
                let item = item?;
                if item.is_instance_of::<PyString>() {
                    item.extract::<String>()
                } else {
                    Err(type_error(&format!("each item of {name}"), "a str", &item))
                }
            })
            .collect(),
    }
}

/// In the mapping's order; the core's canonical form makes the order irrelevant to the pool.
fn opt_tags(v: Option<Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    const WHAT: &str = "a mapping of str to str, such as {'team': 'data'}";
    let Some(v) = v else {
        return Ok(Vec::new());
    };
    if !v.hasattr("items")? {
        return Err(type_error("tags", WHAT, &v));
    }
    v.call_method0("items")?
        .try_iter()?
        .map(|item| {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            match (key.cast::<PyString>(), value.cast::<PyString>()) {
                (Ok(k), Ok(v)) => Ok((k.to_string(), v.to_string())),
                (Err(_), _) => Err(type_error("each key of tags", "a str", &key)),
                (_, Err(_)) => Err(type_error("each value of tags", "a str", &value)),
            }
        })
        .collect::<PyResult<Vec<_>>>()
}

pub(crate) fn opt_bool(name: &str, v: Option<Bound<'_, PyAny>>, default: bool) -> PyResult<bool> {
    match v {
        None => Ok(default),
        Some(v) if v.is_instance_of::<PyBool>() => v.extract(),
        Some(v) => Err(type_error(name, "True or False", &v)),
    }
}

/// `duration_seconds`: an int (not a bool), any size; the range rule is the core's.
fn opt_duration(py: Python<'_>, v: Option<Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    let Some(v) = v else {
        return Ok(None);
    };
    if v.is_instance_of::<PyBool>() || !v.is_instance_of::<PyInt>() {
        return Err(type_error(
            "duration_seconds",
            "an int number of seconds",
            &v,
        ));
    }
    match v.extract::<u64>() {
        Ok(secs) => Ok(Some(Duration::from_secs(secs))),
        // Negative or beyond u64: the core's parser words the range rule for any whole number.
        Err(_) => match v.str()?.to_string().parse::<SessionDuration>() {
            Ok(d) => Ok(Some(d.as_duration())),
            Err(e) => Err(to_py_err(py, e)),
        },
    }
}

/// `timeout`: seconds (int or float, > 0) or None.
pub(crate) fn opt_timeout(
    py: Python<'_>,
    v: Option<Bound<'_, PyAny>>,
) -> PyResult<Option<Duration>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if v.is_instance_of::<PyBool>()
        || !(v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>())
    {
        return Err(type_error("timeout", "a number of seconds or None", &v));
    }
    let secs: f64 = v.extract()?;
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .map(Some)
        .ok_or_else(|| {
            errors::invalid(
                py,
                "timeout",
                format!("must be a positive, finite number of seconds, but it is {v}"),
            )
        })
}
