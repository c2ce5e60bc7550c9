//! The refresh driver: one small thread per process, with its own single-threaded tokio
//! runtime, on which every session's STS calls and background refreshes run unless the
//! session was given a runtime of its own.
//!
//! Why a thread of our own rather than the runtime of whoever reads first: that runtime may
//! be dropped (a runtime per request, `#[tokio::test]`, Lambda-style handlers) or sit idle (a
//! `current_thread` runtime that is not being polled), and either would silently stop the
//! prefetch and strand the STS client's pooled connections, whose dispatch tasks live on the
//! runtime that opened them. The driver is always polled, so refreshes happen on time whatever
//! the callers' runtimes do, and a program with no runtime at all still gets them.
//!
//! The thread is started on first use and never joined: it holds no state that needs a
//! shutdown, and a process exits without waiting for it. A child process made by `fork()`
//! inherits the memory but not the thread; the process id check starts a new driver there.

use std::future::Future;
use std::sync::Mutex;

use tokio::runtime::Handle;

struct Driver {
    pid: u32,
    handle: Handle,
}

static DRIVER: Mutex<Option<Driver>> = Mutex::new(None);

/// The driver's runtime handle, starting the driver thread if this process has none.
pub(crate) fn handle() -> std::io::Result<Handle> {
    let pid = std::process::id();
    let mut slot = DRIVER.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(driver) = slot.as_ref().filter(|d| d.pid == pid) {
        return Ok(driver.handle.clone());
    }
    let handle = start()?;
    if let Some(stale) = slot.replace(Driver {
        pid,
        handle: handle.clone(),
    }) {
        // The parent's runtime: its threads do not exist here, and dropping it could close
        // descriptors (an epoll instance) that the parent still shares.
        std::mem::forget(stale);
    }
    Ok(handle)
}

fn start() -> std::io::Result<Handle> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("cross-account-refresh")
        .build()?;
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("cross-account-refresh".into())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))?;
    Ok(handle)
}

/// Spawns `future` on `runtime` if given, else on the driver.
pub(crate) fn spawn<F>(runtime: Option<&Handle>, future: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    match runtime {
        Some(handle) => {
            handle.spawn(future);
        }
        None => {
            handle()?.spawn(future);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_tasks_without_any_caller_runtime() {
        let (tx, rx) = std::sync::mpsc::channel();
        spawn(None, async move {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            let _ = tx.send(std::thread::current().name().map(str::to_string));
        })
        .unwrap();
        let name = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        assert_eq!(name.as_deref(), Some("cross-account-refresh"));
    }

    #[test]
    fn one_driver_per_process() {
        let ids: Vec<_> = (0..2)
            .map(|_| {
                let (tx, rx) = std::sync::mpsc::channel();
                spawn(None, async move {
                    let _ = tx.send(std::thread::current().id());
                })
                .unwrap();
                rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap()
            })
            .collect();
        assert_eq!(ids[0], ids[1]);
    }
}
