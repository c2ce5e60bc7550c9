//! The one writer of private files (cache entries, the serve token file): 0600, whole or not at
//! all, relative to a directory descriptor that was opened and checked once.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

/// Flags for opening a file that must be a regular file of ours: never through a symlink,
/// never blocking on a FIFO, never becoming a controlling terminal.
pub const OPEN_EXISTING: OFlags = OFlags::NOFOLLOW
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY)
    .union(OFlags::CLOEXEC);

/// Writes `content` to `name` in `dir` by atomic replace: a fresh 0600 temporary file `temp`
/// (a leftover of a killed writer is removed first, never reused), written and synced, then
/// `before_rename()`, then renamed over `name`, then the directory synced. Readers see the old
/// file or the new one, never a part. Two writers must not share `temp`: callers hold a lock
/// or use a name of their own.
pub fn write_atomic(
    dir: BorrowedFd<'_>,
    name: &str,
    temp: &str,
    content: &[u8],
    before_rename: impl FnOnce(),
) -> std::io::Result<()> {
    match rustix::fs::unlinkat(dir, temp, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(e) => return Err(e.into()),
    }
    let fd = rustix::fs::openat(
        dir,
        temp,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OPEN_EXISTING,
        Mode::RUSR | Mode::WUSR,
    )?;
    // The umask can only have narrowed the mode; make it exactly 0600.
    let written = rustix::fs::fchmod(&fd, Mode::RUSR | Mode::WUSR)
        .map_err(std::io::Error::from)
        .and_then(|()| {
            let mut file = std::fs::File::from(fd);
            file.write_all(content).and_then(|()| file.sync_all())
        })
        .and_then(|()| {
            before_rename();
            rustix::fs::renameat(dir, temp, dir, name).map_err(std::io::Error::from)
        });
    if let Err(e) = written {
        let _ = rustix::fs::unlinkat(dir, temp, AtFlags::empty());
        return Err(e);
    }
    // The rename is durable once the directory is synced; a failure here loses nothing now.
    let _ = rustix::fs::fsync(dir);
    Ok(())
}

/// `write_atomic` for a path: its directory is opened (not through a final symlink) and the
/// file written in it under a temporary name of this process's.
pub fn write_atomic_path(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, what.to_string());
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| invalid("the path has no file name (or it is not UTF-8)"))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = rustix::fs::open(
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let temp = format!(".{name}.tmp.{}", std::process::id());
    write_atomic(dir.as_fd(), name, &temp, content, || {})
}
