//! The cache directory on disk: found once, through directories no one else can change, and
//! held open; every entry and lock is opened relative to that descriptor.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::private_file::OPEN_EXISTING;

/// Symlinks followed on the way (like the kernel's own limit), so a loop ends.
const MAX_SYMLINKS: usize = 40;

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// The cache directory, open.
pub struct Dir {
    pub fd: OwnedFd,
    pub path: PathBuf,
}

/// Opens `base/leaf`, creating what is missing (0700, whatever the umask).
///
/// Walks from `/` one name at a time, each opened with `O_NOFOLLOW` relative to the directory
/// before it, and checked with `fstat` on the open descriptor:
/// - every directory passed through must belong to root or to this user and must not be
///   writable by group or others unless it is sticky (like /tmp), because whoever can write to
///   it can swap what is inside for a symlink of their own;
/// - a symlink is followed only when found in such a directory (its target is walked the same
///   way); `leaf` itself must not be one;
/// - `leaf` must be a directory of this user's that group and others cannot enter.
///
/// Whatever happens to the path afterwards, the returned descriptor stays the checked one.
pub fn open_private(base: &Path, leaf: &str, euid: u32) -> Result<Dir, String> {
    let path = base.join(leaf);
    if !base.is_absolute() {
        return Err(format!("the cache path {} is not absolute", path.display()));
    }
    let mut todo: Vec<OsString> = Vec::new();
    push_components(&mut todo, base)?;
    todo.push(leaf.into());
    todo.reverse();
    let mut current = open_root()?;
    let mut shown = PathBuf::from("/");
    check_passable(&stat(&current, &shown)?, &shown, euid)?;
    let mut symlinks = 0;
    while let Some(name) = todo.pop() {
        let is_leaf = todo.is_empty();
        let next_shown = shown.join(&name);
        let (fd, created) = match open_or_create(&current, &name) {
            Ok(opened) => opened,
            Err(Errno::LOOP) | Err(Errno::NOTDIR) if !is_leaf => {
                let target = match rustix::fs::readlinkat(&current, name.as_os_str(), Vec::new()) {
                    Ok(t) => PathBuf::from(OsStr::from_bytes(t.as_bytes())),
                    Err(_) => return Err(format!("{} is not a directory", next_shown.display())),
                };
                symlinks += 1;
                if symlinks > MAX_SYMLINKS {
                    return Err(format!(
                        "too many symlinks on the way to {}",
                        path.display()
                    ));
                }
                // The target's names come next, then the rest of the path.
                let mut inner = Vec::new();
                push_components(&mut inner, &target)?;
                todo.extend(inner.into_iter().rev());
                if target.is_absolute() {
                    current = open_root()?;
                    shown = PathBuf::from("/");
                }
                continue;
            }
            Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
                return Err(format!(
                    "the cache directory {} is a symlink or not a directory; remove it",
                    next_shown.display()
                ))
            }
            Err(e) => {
                return Err(format!(
                    "cannot open or create {}: {}",
                    next_shown.display(),
                    std::io::Error::from(e)
                ))
            }
        };
        if created {
            // mkdir's mode is narrowed by the umask, never widened; make it exactly 0700.
            rustix::fs::fchmod(&fd, Mode::RWXU).map_err(|e| {
                format!(
                    "cannot chmod {}: {}",
                    next_shown.display(),
                    std::io::Error::from(e)
                )
            })?;
        }
        let st = stat(&fd, &next_shown)?;
        if is_leaf {
            check_private(&st, &next_shown, euid)?;
        } else {
            check_passable(&st, &next_shown, euid)?;
        }
        current = fd;
        shown = next_shown;
    }
    Ok(Dir { fd: current, path })
}

fn open_root() -> Result<OwnedFd, String> {
    rustix::fs::open("/", DIR_FLAGS, Mode::empty())
        .map_err(|e| format!("cannot open /: {}", std::io::Error::from(e)))
}

/// The normal names of `path`; `..` is refused (it would climb out of a checked directory).
fn push_components(out: &mut Vec<OsString>, path: &Path) -> Result<(), String> {
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n.to_os_string()),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(format!(
                    "the cache path {} goes through `..`; give it without",
                    path.display()
                ))
            }
        }
    }
    Ok(())
}

fn open_or_create(dir: &OwnedFd, name: &OsStr) -> Result<(OwnedFd, bool), Errno> {
    match rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => return Ok((fd, false)),
        Err(Errno::NOENT) => {}
        Err(e) => return Err(e),
    }
    let created = match rustix::fs::mkdirat(dir, name, Mode::RWXU) {
        Ok(()) => true,
        // Another invocation made it first: use it like any other.
        Err(Errno::EXIST) => false,
        Err(e) => return Err(e),
    };
    rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()).map(|fd| (fd, created))
}

fn stat(fd: &OwnedFd, shown: &Path) -> Result<Stat, String> {
    rustix::fs::fstat(fd).map_err(|e| {
        format!(
            "cannot inspect {}: {}",
            shown.display(),
            std::io::Error::from(e)
        )
    })
}

/// A directory the walk may pass through.
fn check_passable(st: &Stat, shown: &Path, euid: u32) -> Result<(), String> {
    if st.st_uid != 0 && st.st_uid != euid {
        return Err(format!(
            "refusing to keep the cache under {}: it belongs to uid {}, neither root nor this user (uid {euid}), who could swap what is in it",
            shown.display(),
            st.st_uid
        ));
    }
    let mode = st.st_mode & 0o7777;
    let sticky = mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !sticky {
        return Err(format!(
            "refusing to keep the cache under {}: it is writable by others (mode {mode:04o}) without the sticky bit, so they could swap what is in it; set XDG_CACHE_HOME to a private directory",
            shown.display()
        ));
    }
    Ok(())
}

/// The cache directory itself.
fn check_private(st: &Stat, shown: &Path, euid: u32) -> Result<(), String> {
    if st.st_uid != euid {
        return Err(format!(
            "refusing to use the cache directory {}: it belongs to uid {}, not to this user (uid {euid}); remove it",
            shown.display(),
            st.st_uid
        ));
    }
    let mode = st.st_mode & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "refusing to use the cache directory {}: it is accessible by group or others (mode {mode:04o}) and would hold credentials; run `chmod 700 {}`",
            shown.display(),
            shown.display()
        ));
    }
    Ok(())
}

/// Why an existing entry file was not read.
pub enum Unreadable {
    Missing,
    Refused(String),
}

/// The content of `name` in `dir`, if it is a regular 0600 file of this user's of at most
/// `max` bytes. Opened without following a symlink and without blocking on a FIFO.
pub fn read_private(dir: &Dir, name: &str, max: u64, euid: u32) -> Result<Vec<u8>, Unreadable> {
    let fd = match rustix::fs::openat(&dir.fd, name, OFlags::RDONLY | OPEN_EXISTING, Mode::empty())
    {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Err(Unreadable::Missing),
        Err(e) => {
            return Err(Unreadable::Refused(format!(
                "cannot open it: {}",
                std::io::Error::from(e)
            )))
        }
    };
    let st = rustix::fs::fstat(&fd).map_err(|e| {
        Unreadable::Refused(format!("cannot inspect it: {}", std::io::Error::from(e)))
    })?;
    check_private_file(&st, euid).map_err(Unreadable::Refused)?;
    if st.st_size as u64 > max {
        return Err(Unreadable::Refused(format!(
            "it is larger than {max} bytes"
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::from(fd)
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Unreadable::Refused(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(Unreadable::Refused(format!(
            "it is larger than {max} bytes"
        )));
    }
    Ok(bytes)
}

/// Opens (creating, 0600) the lock file `name` in `dir`, refusing anything but a regular file of
/// this user's.
pub fn open_lock(dir: &Dir, name: &str, euid: u32) -> Result<std::fs::File, String> {
    let fd = rustix::fs::openat(
        &dir.fd,
        name,
        OFlags::RDWR | OFlags::CREATE | OPEN_EXISTING,
        Mode::RUSR | Mode::WUSR,
    )
    .map_err(|e| format!("cannot open it: {}", std::io::Error::from(e)))?;
    let st = rustix::fs::fstat(&fd)
        .map_err(|e| format!("cannot inspect it: {}", std::io::Error::from(e)))?;
    check_private_file(&st, euid)?;
    Ok(std::fs::File::from(fd))
}

fn check_private_file(st: &Stat, euid: u32) -> Result<(), String> {
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err("it is not a regular file".into());
    }
    if st.st_uid != euid || st.st_mode & 0o077 != 0 {
        return Err(format!(
            "it is not a private file of this user (uid {}, mode {:04o})",
            st.st_uid,
            st.st_mode & 0o7777
        ));
    }
    Ok(())
}

impl AsFd for Dir {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            let p = std::env::temp_dir().join(format!("ca-dir-unit-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir(&p).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700)).unwrap();
            Scratch(p)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn euid() -> u32 {
        crate::sys::euid()
    }

    #[test]
    fn symlinks_in_trusted_directories_are_followed_absolute_or_relative() {
        let s = Scratch::new("follow");
        let real = s.0.join("real");
        std::fs::create_dir(&real).unwrap();
        symlink(&real, s.0.join("absolute")).unwrap();
        symlink("real", s.0.join("relative")).unwrap();
        symlink("absolute", s.0.join("chained")).unwrap();
        for link in ["absolute", "relative", "chained"] {
            let dir = open_private(&s.0.join(link), "cross-account", euid()).unwrap();
            let st = rustix::fs::fstat(&dir.fd).unwrap();
            let want = std::fs::metadata(real.join("cross-account")).unwrap();
            assert_eq!(
                st.st_ino,
                std::os::unix::fs::MetadataExt::ino(&want),
                "{link}"
            );
        }
    }

    #[test]
    fn loops_parent_steps_a_symlinked_leaf_and_files_are_refused() {
        let s = Scratch::new("refuse");
        symlink("loop-b", s.0.join("loop-a")).unwrap();
        symlink("loop-a", s.0.join("loop-b")).unwrap();
        let err = open_private(&s.0.join("loop-a"), "cross-account", euid())
            .err()
            .unwrap();
        assert!(err.contains("too many symlinks"), "{err}");
        let err = open_private(&s.0.join("x/../y"), "cross-account", euid())
            .err()
            .unwrap();
        assert!(err.contains("`..`"), "{err}");
        std::fs::create_dir(s.0.join("target")).unwrap();
        std::fs::create_dir(s.0.join("base")).unwrap();
        symlink(s.0.join("target"), s.0.join("base/cross-account")).unwrap();
        let err = open_private(&s.0.join("base"), "cross-account", euid())
            .err()
            .unwrap();
        assert!(err.contains("is a symlink or not a directory"), "{err}");
        std::fs::write(s.0.join("file"), "").unwrap();
        let err = open_private(&s.0.join("file"), "cross-account", euid())
            .err()
            .unwrap();
        assert!(err.contains("not a directory"), "{err}");
        let err = open_private(Path::new("relative/path"), "cross-account", euid())
            .err()
            .unwrap();
        assert!(err.contains("not absolute"), "{err}");
    }

    #[test]
    fn a_symlink_in_a_directory_others_can_write_is_not_followed() {
        let s = Scratch::new("shared");
        let shared = s.0.join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::create_dir(s.0.join("elsewhere")).unwrap();
        symlink(s.0.join("elsewhere"), shared.join("link")).unwrap();
        let err = open_private(&shared.join("link"), "cross-account", euid())
            .err()
            .unwrap();
        assert!(err.contains("writable by others"), "{err}");
        assert!(!s.0.join("elsewhere/cross-account").exists());
        // Group-writable without the sticky bit is refused alike; sticky is fine.
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o770)).unwrap();
        assert!(open_private(&shared.join("link"), "cross-account", euid()).is_err());
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(open_private(&shared.join("link"), "cross-account", euid()).is_ok());
    }
}
