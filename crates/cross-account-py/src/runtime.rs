//! The one tokio runtime of the process, and what happens to it across `fork()`.
//!
//! - Created lazily on the first call that needs it (a cached read never does), multi-threaded
//!   with a small worker count, and never dropped: at interpreter exit its threads simply end
//!   with the process, so exit cannot hang on a shutdown.
//! - A forked child inherits the runtime's memory but not its threads. `os.register_at_fork`
//!   bumps a generation counter in the child (and a pid check catches forks made outside
//!   Python); the child then builds a fresh runtime, and sessions rebuild their core session on
//!   it. Everything bound to the parent's runtime is leaked in the child, never dropped: dropping
//!   it could deregister the parent's sockets from the epoll instance both processes share.
//! - Interpreter exit: runtime threads must not attach to Python once finalization starts
//!   (CPython ends such threads with `pthread_exit`, unwinding through Rust frames). An `atexit`
//!   hook raises a flag and waits for attachments in progress; later ones are skipped, and
//!   daemon threads waiting in `credentials()` stay parked until the process ends.
//! - [`PyRuntime`] plugs the runtime into `pyo3-async-runtimes`, whose own tokio runtime is a
//!   process-wide `OnceLock` that a forked child could not replace.
//!
//! Why the binding keeps this runtime rather than relying on the core's refresh driver thread:
//! it is handed to every core session with `.runtime_handle(...)`, so one runtime per process
//! runs the STS calls, the background refreshes, the readers' waits (`credentials()` with its
//! timeout and close signal) and the asyncio bridge. The bridge needs a multi-threaded runtime
//! of its own anyway (`spawn_blocking` hands results to asyncio), the fork generation that
//! marks it stale is the same one that makes sessions rebuild, and the exit gate above covers
//! every thread that may attach to Python. With the driver, a process would run two runtimes
//! and two fork checks (the driver's pid check and this generation) that could disagree.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3_async_runtimes::generic::{ContextExt, Runtime as GenericRuntime};
use pyo3_async_runtimes::TaskLocals;
use tokio::runtime::{Handle, Runtime};

/// Worker threads: the work is waiting on STS, not computing.
const WORKER_THREADS: usize = 2;
/// Threads that hand asyncio results back (each holds the GIL briefly).
const MAX_BLOCKING_THREADS: usize = 4;

/// Bumped in a forked child, so anything built in the parent is known to be stale.
static GENERATION: AtomicU64 = AtomicU64::new(0);

struct Current {
    pid: u32,
    generation: u64,
    handle: Handle,
}

static RUNTIME: Mutex<Option<Current>> = Mutex::new(None);

/// The fork generation: changes in a child process after `fork()`.
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Registered with `os.register_at_fork(after_in_child=...)`.
#[pyfunction]
pub(crate) fn _after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);
/// Runtime threads between "may I attach?" and having detached again.
static ATTACHING: AtomicUsize = AtomicUsize::new(0);
/// The thread that ran the exit hook (it may still call in from later `atexit` handlers).
static EXIT_THREAD: OnceLock<ThreadId> = OnceLock::new();
/// How long the exit hook waits for runtime threads that are attached.
const EXIT_GRACE: Duration = Duration::from_secs(2);

struct Attaching;

impl Attaching {
    fn enter() -> Option<Attaching> {
        ATTACHING.fetch_add(1, Ordering::SeqCst);
        let guard = Attaching;
        (!SHUTTING_DOWN.load(Ordering::SeqCst)).then_some(guard)
    }
}

impl Drop for Attaching {
    fn drop(&mut self) {
        ATTACHING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `f` (which attaches to Python) on a runtime thread unless the interpreter is exiting.
pub(crate) fn gated<R>(f: impl FnOnce() -> R) -> Option<R> {
    let _guard = Attaching::enter()?;
    Some(f())
}

/// Registered with `atexit`: from now on runtime threads leave Python alone.
#[pyfunction]
pub(crate) fn _shutdown(py: Python<'_>) {
    let _ = EXIT_THREAD.set(std::thread::current().id());
    SHUTTING_DOWN.store(true, Ordering::SeqCst);
    py.detach(|| {
        let deadline = Instant::now() + EXIT_GRACE;
        while ATTACHING.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Called by a thread waiting without the GIL: after the exit hook, any thread other than the
/// exiting one stays here until the process ends, rather than re-attaching to a finalizing
/// interpreter.
pub(crate) fn park_if_exiting() {
    if !SHUTTING_DOWN.load(Ordering::SeqCst) {
        return;
    }
    if EXIT_THREAD.get() == Some(&std::thread::current().id()) {
        return;
    }
    loop {
        std::thread::park();
    }
}

/// The runtime of this process, created on first use (or first use after a fork).
///
/// Callers hold the GIL, and no thread ever releases the GIL while holding the lock, so a fork
/// (which Python performs with the GIL held) never leaves the lock held in the child.
pub(crate) fn handle() -> PyResult<Handle> {
    let pid = std::process::id();
    let mut current = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(cur) = current.as_ref() {
        if cur.pid == pid {
            return Ok(cur.handle.clone());
        }
        // A fork the at-fork hook did not see (made outside Python): mark everything stale.
        if cur.generation == generation() {
            _after_fork_in_child();
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .thread_name("cross-account")
        .enable_all()
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the tokio runtime: {e}")))?;
    // Never dropped: not at exit (nothing to join), not after a fork (the threads are gone).
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    let handle = runtime.handle().clone();
    // The previous value, if any, is the parent's handle: leak it too.
    if let Some(stale) = current.replace(Current {
        pid,
        generation: generation(),
        handle: handle.clone(),
    }) {
        std::mem::forget(stale);
    }
    Ok(handle)
}

/// Inside a runtime task: that runtime; otherwise this process's runtime.
fn spawn_handle() -> Handle {
    Handle::try_current()
        .ok()
        .or_else(|| handle().ok())
        // Only when the OS refuses the runtime's threads; pyo3 turns the panic into a Python
        // PanicException, which is all a caller could do with it too.
        .expect("the tokio runtime could not be started")
}

/// The asyncio loop as `pyo3-async-runtimes` sees it: answers arriving after the loop was closed
/// (an `asyncio.gather` that failed early, a script that exits) are dropped quietly instead of
/// each printing an "Event loop is closed" traceback.
#[pyclass(frozen, module = "cross_account._native", name = "_LoopHandle")]
pub(crate) struct LoopHandle(Py<PyAny>);

impl LoopHandle {
    pub(crate) fn new(event_loop: Bound<'_, PyAny>) -> Self {
        LoopHandle(event_loop.unbind())
    }
}

#[pymethods]
impl LoopHandle {
    fn create_future<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.bind(py).call_method0("create_future")
    }

    #[pyo3(signature = (*args, **kwargs))]
    fn call_soon_threadsafe<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, pyo3::types::PyTuple>,
        kwargs: Option<&Bound<'py, pyo3::types::PyDict>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let event_loop = self.0.bind(py);
        match event_loop.call_method("call_soon_threadsafe", args, kwargs) {
            Ok(handle) => Ok(Some(handle)),
            Err(_) if event_loop.call_method0("is_closed")?.is_truthy()? => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `pyo3-async-runtimes` over this module's runtime.
pub(crate) struct PyRuntime;

tokio::task_local! {
    static TASK_LOCALS: OnceLock<TaskLocals>;
}

impl GenericRuntime for PyRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = tokio::task::JoinHandle<()>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        spawn_handle().spawn(fut)
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        // Each blocking job hands a result to asyncio, attached to Python.
        spawn_handle().spawn_blocking(move || {
            gated(f);
        })
    }
}

impl ContextExt for PyRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceLock::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}
