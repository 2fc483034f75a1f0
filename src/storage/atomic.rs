//! Atomic file replacement: write a temporary file in the same folder, fsync
//! it, rename it over the target, fsync the folder. A reader (node_exporter's
//! textfile collector, a CI step) sees the old file or the new one, never half.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The folder a path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Checks, before any work is done, that `path` can be written atomically:
/// its folder exists and is a folder, and the path is not itself a folder.
pub fn check_writable(path: &Path) -> io::Result<()> {
    let dir = parent_dir(path);
    let metadata = fs::metadata(dir)?;
    if !metadata.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a folder", dir.display()),
        ));
    }
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            format!("{} is a folder", path.display()),
        ));
    }
    Ok(())
}

fn temporary_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "output".to_owned(), |n| n.to_string_lossy().into_owned());
    // A leading dot and a suffix node_exporter ignores (it reads only *.prom).
    parent_dir(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

/// Replaces `path` with `contents` atomically. The new file keeps the mode of
/// the file it replaces, or gets 0644 (less the umask) when there was none.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mode = fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    write_with_mode(path, contents, mode)
}

/// [`write`] with a mode of the caller's choosing (0600 for anything private).
pub fn write_with_mode(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let temporary = temporary_name(path);
    let result = write_then_rename(&temporary, path, contents, mode);
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

fn write_then_rename(temporary: &Path, path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temporary, path)?;
    File::open(parent_dir(path))?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("maint-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_and_keeps_the_mode() {
        let dir = scratch("replace");
        let target = dir.join("maint.prom");
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
        write(&target, b"new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temporary left");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_folder_fails_before_and_leaves_nothing() {
        let dir = scratch("missing");
        let target = dir.join("nope").join("maint.prom");
        assert!(check_writable(&target).is_err());
        assert!(write(&target, b"x").is_err());
        assert!(check_writable(&dir).is_err(), "a folder is not a file");
        fs::remove_dir_all(dir).unwrap();
    }
}
