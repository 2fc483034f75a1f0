//! Paths beneath a folder, reached without ever following a symlink and
//! removed without ever leaving the filesystem they are on: what makes a
//! restore safe against links and mounts planted in its way (issue 11).
//!
//! Every path is relative to an open folder. Folders are opened with
//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`; where the kernel lacks
//! it (before 5.6, or a seccomp filter says no) each component is opened
//! in turn with `O_NOFOLLOW | O_DIRECTORY`, which refuses the same links.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{
    AtFlags, Dir, FileType, Mode, OFlags, ResolveFlags, Statx, StatxAttributes, StatxFlags,
};

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Whether `openat2` answered once with ENOSYS (or a filter's EPERM).
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// The components of a relative path, `.` and empty ones dropped.
pub fn components(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
}

/// Opens the folder at `path` below `root` (the root itself for an empty
/// path). A symlink anywhere on the way fails with ELOOP, a file with
/// ENOTDIR, `..` climbing out with EXDEV.
pub fn open_dir(root: BorrowedFd<'_>, path: &[u8]) -> io::Result<OwnedFd> {
    if components(path).next().is_none() {
        return Ok(rustix::fs::openat(root, c".", DIR_FLAGS, Mode::empty())?);
    }
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        match rustix::fs::openat2(
            root,
            path,
            DIR_FLAGS,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
        ) {
            Ok(fd) => return Ok(fd),
            // Interrupted by a concurrent rename: the walk below settles it.
            Err(rustix::io::Errno::AGAIN) => {}
            Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) => {
                NO_OPENAT2.store(true, Ordering::Relaxed);
            }
            Err(err) => return Err(err.into()),
        }
    }
    walk(root, path)
}

/// The fallback: one component at a time, none of them followed.
fn walk(root: BorrowedFd<'_>, path: &[u8]) -> io::Result<OwnedFd> {
    let mut current = rustix::fs::openat(root, c".", DIR_FLAGS, Mode::empty())?;
    for component in components(path) {
        if component == b".." {
            return Err(rustix::io::Errno::XDEV.into());
        }
        current = rustix::fs::openat(&current, component, DIR_FLAGS, Mode::empty())?;
    }
    Ok(current)
}

/// What is at `name` in `dir`, the link itself if it is one.
pub fn lstat(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Statx> {
    Ok(rustix::fs::statx(
        dir,
        name,
        AtFlags::SYMLINK_NOFOLLOW | AtFlags::NO_AUTOMOUNT,
        StatxFlags::BASIC_STATS | StatxFlags::MNT_ID,
    )?)
}

/// The same for an open file or folder.
pub fn fstatx(fd: BorrowedFd<'_>) -> io::Result<Statx> {
    Ok(rustix::fs::statx(
        fd,
        c"",
        AtFlags::EMPTY_PATH | AtFlags::NO_AUTOMOUNT,
        StatxFlags::BASIC_STATS | StatxFlags::MNT_ID,
    )?)
}

pub fn file_type(stat: &Statx) -> FileType {
    FileType::from_raw_mode(u32::from(stat.stx_mode))
}

/// Whether `child` (a folder found in the folder `parent`) is where another
/// filesystem is mounted: the kernel says so (5.8+), or its mount or
/// device differs from its parent's (bind mounts included).
pub fn is_mount(parent: &Statx, child: &Statx) -> bool {
    let said = child
        .stx_attributes_mask
        .contains(StatxAttributes::MOUNT_ROOT)
        && child.stx_attributes.contains(StatxAttributes::MOUNT_ROOT);
    let mount_differs = child.stx_mask & StatxFlags::MNT_ID.bits() != 0
        && parent.stx_mask & StatxFlags::MNT_ID.bits() != 0
        && child.stx_mnt_id != parent.stx_mnt_id;
    let device_differs =
        (child.stx_dev_major, child.stx_dev_minor) != (parent.stx_dev_major, parent.stx_dev_minor);
    said || mount_differs || device_differs
}

/// Why a tree could not be removed.
#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    /// A filesystem is mounted at `path` (relative to where the removal
    /// started): it is never entered, so the tree above it stays.
    #[error("{path} is a mount point")]
    Mount { path: String },
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

/// Opens a folder found in `dir`, never a link, for listing and removing.
fn open_child_dir(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty())?)
}

/// The names in an open folder, `.` and `..` left out.
pub fn list(dir: BorrowedFd<'_>) -> io::Result<Vec<(Vec<u8>, FileType)>> {
    let mut names = Vec::new();
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        names.push((name.to_vec(), entry.file_type()));
    }
    Ok(names)
}

fn shown(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Finds a mount point at or below `name` in `dir` without changing
/// anything: a tree that holds one cannot be replaced or removed whole.
pub fn find_mount(dir: BorrowedFd<'_>, name: &[u8]) -> Result<Option<String>, RemoveError> {
    let io_error = |path: String| move |source| RemoveError::Io { path, source };
    let parent = fstatx(dir).map_err(io_error(String::new()))?;
    let stat = match lstat(dir, name) {
        Ok(stat) => stat,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(shown("", name))(err)),
    };
    find_mount_in(dir, name, &parent, &stat, &shown("", name))
}

fn find_mount_in(
    dir: BorrowedFd<'_>,
    name: &[u8],
    parent: &Statx,
    stat: &Statx,
    path: &str,
) -> Result<Option<String>, RemoveError> {
    if file_type(stat) != FileType::Directory {
        return Ok(None);
    }
    if is_mount(parent, stat) {
        return Ok(Some(path.to_owned()));
    }
    let io_error = |source| RemoveError::Io {
        path: path.to_owned(),
        source,
    };
    let child = open_child_dir(dir, name).map_err(io_error)?;
    for (entry, kind) in list(child.as_fd()).map_err(io_error)? {
        if !matches!(kind, FileType::Directory | FileType::Unknown) {
            continue;
        }
        let below = lstat(child.as_fd(), &entry).map_err(io_error)?;
        if let Some(found) =
            find_mount_in(child.as_fd(), &entry, stat, &below, &shown(path, &entry))?
        {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Removes `name` from `dir` and, when it is a folder, everything in it:
/// links are removed, never followed; a mounted filesystem is never
/// entered (the removal stops there with [`RemoveError::Mount`]). `shown`
/// names `name` in errors.
pub fn remove_tree(dir: BorrowedFd<'_>, name: &[u8], shown_as: &str) -> Result<(), RemoveError> {
    let io_error = |path: &str| {
        let path = path.to_owned();
        move |source| RemoveError::Io { path, source }
    };
    let stat = match lstat(dir, name) {
        Ok(stat) => stat,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(io_error(shown_as)(err)),
    };
    if file_type(&stat) != FileType::Directory {
        return match rustix::fs::unlinkat(dir, name, AtFlags::empty()) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(err) => Err(io_error(shown_as)(err.into())),
        };
    }
    let parent = fstatx(dir).map_err(io_error(shown_as))?;
    remove_dir(dir, name, &parent, &stat, shown_as)
}

fn remove_dir(
    dir: BorrowedFd<'_>,
    name: &[u8],
    parent: &Statx,
    stat: &Statx,
    path: &str,
) -> Result<(), RemoveError> {
    if is_mount(parent, stat) {
        return Err(RemoveError::Mount {
            path: path.to_owned(),
        });
    }
    let io_error = |source| RemoveError::Io {
        path: path.to_owned(),
        source,
    };
    let child = open_child_dir(dir, name).map_err(io_error)?;
    // A folder restored read-only must take the removal of what it holds.
    if stat.stx_mode & 0o300 != 0o300 && !rustix::process::geteuid().is_root() {
        rustix::fs::fchmod(&child, Mode::from_raw_mode(0o700)).map_err(|e| io_error(e.into()))?;
    }
    for (entry, kind) in list(child.as_fd()).map_err(io_error)? {
        let entry_path = shown(path, &entry);
        if matches!(kind, FileType::Directory | FileType::Unknown) {
            let below = match lstat(child.as_fd(), &entry) {
                Ok(below) => below,
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(RemoveError::Io {
                        path: entry_path,
                        source,
                    });
                }
            };
            if file_type(&below) == FileType::Directory {
                remove_dir(child.as_fd(), &entry, stat, &below, &entry_path)?;
                continue;
            }
        }
        match rustix::fs::unlinkat(&child, entry.as_slice(), AtFlags::empty()) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => {}
            Err(err) => {
                return Err(RemoveError::Io {
                    path: entry_path,
                    source: err.into(),
                });
            }
        }
    }
    drop(child);
    match rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
        Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
        Err(err) => Err(io_error(err.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn scratch(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("maint-beneath-{name}-"))
            .tempdir()
            .unwrap()
    }

    fn root(dir: &std::path::Path) -> OwnedFd {
        fs::File::open(dir).unwrap().into()
    }

    #[test]
    fn folders_open_beneath_without_following_links() {
        let dir = scratch("open");
        let base = dir.path();
        fs::create_dir_all(base.join("a/b")).unwrap();
        fs::create_dir_all(base.join("outside")).unwrap();
        symlink("../outside", base.join("a/link")).unwrap();
        symlink("b", base.join("a/same")).unwrap();
        let root = root(base);
        assert!(open_dir(root.as_fd(), b"a/b").is_ok());
        assert!(open_dir(root.as_fd(), b"./a//b/").is_ok());
        assert!(open_dir(root.as_fd(), b"").is_ok());
        for path in [&b"a/link"[..], b"a/same", b"a/link/x", b"a/../../etc"] {
            assert!(open_dir(root.as_fd(), path).is_err(), "{path:?}");
            assert!(walk(root.as_fd(), path).is_err(), "walk {path:?}");
        }
        assert!(walk(root.as_fd(), b"a/b").is_ok());
    }

    #[test]
    fn trees_are_removed_without_following_links() {
        let dir = scratch("remove");
        let base = dir.path();
        fs::create_dir_all(base.join("keep")).unwrap();
        fs::write(base.join("keep/precious"), "x").unwrap();
        fs::create_dir_all(base.join("gone/deep/er")).unwrap();
        fs::write(base.join("gone/deep/er/f"), "x").unwrap();
        symlink(base.join("keep"), base.join("gone/link")).unwrap();
        symlink(base.join("keep"), base.join("gone/deep/link")).unwrap();
        let root = root(base);
        remove_tree(root.as_fd(), b"gone", "gone").unwrap();
        assert!(!base.join("gone").exists());
        assert_eq!(fs::read_to_string(base.join("keep/precious")).unwrap(), "x");
        // A link given as the tree itself goes, its target stays.
        symlink(base.join("keep"), base.join("alias")).unwrap();
        remove_tree(root.as_fd(), b"alias", "alias").unwrap();
        assert!(base.join("keep/precious").exists());
        assert_eq!(find_mount(root.as_fd(), b"keep").unwrap(), None);
        remove_tree(root.as_fd(), b"missing", "missing").unwrap();
    }

    #[test]
    fn the_root_filesystem_is_a_mount_seen_from_its_own_folders() {
        let root_dir: OwnedFd = fs::File::open("/").unwrap().into();
        let proc = lstat(root_dir.as_fd(), b"proc").unwrap();
        let root = fstatx(root_dir.as_fd()).unwrap();
        if proc.stx_mode & 0o170000 == 0o040000 && fs::read_dir("/proc/self").is_ok() {
            assert!(is_mount(&root, &proc), "/proc is mounted on /");
            assert_eq!(
                find_mount(root_dir.as_fd(), b"proc").unwrap().as_deref(),
                Some("proc")
            );
        }
    }
}
