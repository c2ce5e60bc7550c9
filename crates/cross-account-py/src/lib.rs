//! `cross_account._native`: Python bindings of the `cross-account` core.
//!
//! Wrappers and error mapping only; every behaviour lives in the core crate. The pure-Python
//! package `cross_account` re-exports these classes and adds the boto3 glue.

#![forbid(unsafe_code)]

use pyo3::prelude::*;

mod arn;
mod credentials;
mod errors;
mod keywords;
mod logging;
mod mfa;
mod pool;
mod runtime;
mod session;
mod spec;
mod trust;
mod wait;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<session::CrossAccountSession>()?;
    m.add_class::<pool::Pool>()?;
    m.add_class::<credentials::Credentials>()?;
    m.add_class::<credentials::Secret>()?;
    m.add_class::<arn::RoleArn>()?;
    m.add_class::<spec::SessionSpec>()?;
    m.add_function(wrap_pyfunction!(arn::generate_external_id, m)?)?;
    m.add_function(wrap_pyfunction!(logging::_flush_logs, m)?)?;
    m.add_function(wrap_pyfunction!(trust::trust_policy_json, m)?)?;
    m.add_function(wrap_pyfunction!(trust::trust_policy_cloudformation, m)?)?;
    m.add_function(wrap_pyfunction!(trust::s3_read_only_policy_json, m)?)?;
    m.add_function(wrap_pyfunction!(trust::trust_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(trust::trust_lint, m)?)?;
    m.add_function(wrap_pyfunction!(trust::trust_lint_report, m)?)?;
    m.add_class::<trust::PyDecision>()?;
    m.add_class::<trust::PyLintWarning>()?;
    m.add_class::<trust::PyLintReport>()?;
    m.add("DEFAULT_ROLE_NAME", cross_account::trust::DEFAULT_ROLE_NAME)?;
    let after_fork = wrap_pyfunction!(runtime::_after_fork_in_child, m)?;
    m.add_function(after_fork.clone())?;
    // A forked child must not use the parent's runtime, whose threads it does not have.
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("after_in_child", after_fork)?;
    if let Ok(register) = py.import("os")?.getattr("register_at_fork") {
        register.call((), Some(&kwargs))?;
    }
    // Runtime threads must not attach to Python while it finalizes.
    let shutdown = wrap_pyfunction!(runtime::_shutdown, m)?;
    m.add_function(shutdown.clone())?;
    let atexit = py.import("atexit")?;
    atexit.call_method1("register", (shutdown,))?;
    // Registered after, so it runs before: the last log records go out while Python can take them.
    let flush_logs = wrap_pyfunction!(logging::_flush_at_exit, m)?;
    m.add_function(flush_logs.clone())?;
    atexit.call_method1("register", (flush_logs,))?;
    Ok(())
}
