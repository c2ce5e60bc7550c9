//! The tokio runtimes tests and benches build by hand (outside `#[tokio::test]`), with every
//! driver on.

use tokio::runtime::{Builder, Runtime};

/// A current-thread runtime.
pub fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

/// A multi-thread runtime with `n` worker threads (2 is an async service on this machine).
pub fn workers(n: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(n)
        .enable_all()
        .build()
        .expect("a multi-thread runtime")
}
