//! How Python waits for work on the runtime: blocking with the GIL released (Ctrl-C still
//! answered), or as an asyncio awaitable that never runs on the event loop. One copy for the
//! session and the pool.

use std::future::Future;
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;

use crate::runtime::{self, LoopHandle, PyRuntime};

/// How often a blocking wait wakes up to let Python handle signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs `work` on the runtime and waits for it with the GIL released; `task` names it in the
/// error raised when the runtime goes away first.
pub(crate) fn block_on<T: Send + 'static>(
    py: Python<'_>,
    task: &str,
    work: impl Future<Output = T> + Send + 'static,
) -> PyResult<T> {
    let handle = runtime::handle()?;
    let (tx, mut rx) = sync_channel(1);
    handle.spawn(async move {
        let _ = tx.send(work.await);
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
            Ok(v) => return Ok(v),
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(format!(
                    "the {task} task ended without an answer (the runtime is shutting down)"
                )))
            }
        }
    }
}

/// An asyncio future of the running loop that already holds `value` (a cache hit).
pub(crate) fn ready<'py, T: IntoPyObject<'py>>(
    py: Python<'py>,
    value: T,
) -> PyResult<Bound<'py, PyAny>> {
    let fut = pyo3_async_runtimes::get_running_loop(py)?.call_method0("create_future")?;
    fut.call_method1("set_result", (value,))?;
    Ok(fut)
}

/// `work` on the runtime as an awaitable of the running asyncio loop (its context copied).
pub(crate) fn awaitable<'py, T>(
    py: Python<'py>,
    work: impl Future<Output = PyResult<T>> + Send + 'static,
) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    runtime::handle()?;
    let event_loop = pyo3_async_runtimes::get_running_loop(py)?;
    let locals = TaskLocals::new(Bound::new(py, LoopHandle::new(event_loop))?.into_any())
        .copy_context(py)?;
    pyo3_async_runtimes::generic::future_into_py_with_locals::<PyRuntime, _, _>(py, locals, work)
}
