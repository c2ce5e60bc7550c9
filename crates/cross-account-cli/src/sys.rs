//! Process-level system calls: who we are, signals, descriptor limits, and the hook that ties a
//! child's life to this process. `spawn_tied` holds the crate's only `unsafe`.
#![allow(unsafe_code)]

use std::os::fd::{BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

pub use rustix::process::Signal;

/// The effective user id of this process.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Sends `signal` to the process `pid` (a child this process spawned and has not reaped yet,
/// so the pid cannot have been reused).
pub fn send_signal(pid: u32, signal: Signal) -> std::io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "pid out of range"))?;
    rustix::process::kill_process(pid, signal).map_err(std::io::Error::from)
}

/// Raises the soft limit on open descriptors to the hard limit (a server holding many
/// connections must not run out at the common soft default of 1024). Returns the new limit.
pub fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current == limit.maximum {
        return limit.current;
    }
    match setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    ) {
        Ok(()) => limit.maximum,
        Err(e) => {
            tracing::debug!(error = %e, "could not raise RLIMIT_NOFILE");
            limit.current
        }
    }
}

/// Arranges for the child that `cmd` spawns to be tied to this process:
/// - on Linux it gets SIGTERM when this process dies, however it dies (kill -9, OOM, panic):
///   `PR_SET_PDEATHSIG`, then a re-check that the parent is still this process, since the
///   parent may have died between the fork and the prctl;
/// - it inherits `keep` (the listening sockets): while it or any of its descendants lives, the
///   port stays taken, so no other local user can bind it and collect their token.
///
/// The death signal follows the *thread* that forks; the caller spawns from the thread that
/// lives as long as the process (the runtime's `block_on` thread).
pub fn tie_child_to_this_process(cmd: &mut tokio::process::Command, keep: Vec<RawFd>) {
    let parent = rustix::process::getpid();
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // calls are allowed: prctl, getppid and fcntl are plain system calls, nothing allocates
    // (the `keep` vector was allocated before the fork), and no lock is taken. The `keep`
    // descriptors are the caller's open listeners, which outlive the spawn.
    unsafe {
        cmd.pre_exec(move || {
            #[cfg(target_os = "linux")]
            {
                rustix::process::set_parent_process_death_signal(Some(Signal::TERM))?;
                if rustix::process::getppid() != Some(parent) {
                    return Err(std::io::Error::from(rustix::io::Errno::SRCH));
                }
            }
            #[cfg(not(target_os = "linux"))]
            let _ = parent;
            for &fd in &keep {
                let fd = BorrowedFd::borrow_raw(fd);
                rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::empty())?;
            }
            Ok(())
        });
    }
}

/// Whether descriptor 1 was closed when the process started (`>&-`). Rust's start-up code then
/// opens /dev/null on it, so by `main` writes there succeed and go nowhere.
pub fn stdout_was_closed() -> bool {
    STDOUT_CLOSED_AT_START.load(Ordering::Relaxed)
}

static STDOUT_CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

/// Runs before Rust's start-up code (an ELF constructor, as std itself uses for `args`).
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static RECORD_STDOUT_AT_START: extern "C" fn() = record_stdout_at_start;

#[cfg(target_os = "linux")]
extern "C" fn record_stdout_at_start() {
    // SAFETY: fcntl(F_GETFD) takes a plain number and only reads the descriptor table; a
    // closed number fails with EBADF.
    let rc = unsafe { libc::fcntl(1, libc::F_GETFD) };
    if rc == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF) {
        STDOUT_CLOSED_AT_START.store(true, Ordering::Relaxed);
    }
}
