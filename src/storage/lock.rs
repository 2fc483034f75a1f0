//! A lock file that keeps two runs from overlapping and says who holds it.
//!
//! The lock is an `flock` on the file, so the kernel releases it when the
//! holder dies (even by `kill -9`): there is no stale lock to clean up. The
//! file's text names the holder for the one who is turned away.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, flock};

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct Lock {
    file: File,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{} is held by {holder}", path.display())]
    Held { path: PathBuf, holder: String },
    #[error("cannot open the lock file {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl Lock {
    /// Takes the lock at `path` without waiting, recording `what` (the
    /// command) with this process's id, host and start time.
    pub fn acquire(path: &Path, what: &str) -> Result<Lock, LockError> {
        let io_error = |source| LockError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io_error)?;
        if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(LockError::Held {
                path: path.to_owned(),
                holder: if holder.is_empty() {
                    "another process (it has not written its name yet)".to_owned()
                } else {
                    holder.to_owned()
                },
            });
        }
        let text = format!(
            "{what} (pid {} on {}, since {})\n",
            std::process::id(),
            crate::probe::system::hostname(),
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        file.set_len(0).map_err(io_error)?;
        file.rewind().map_err(io_error)?;
        file.write_all(text.as_bytes()).map_err(io_error)?;
        Ok(Lock {
            file,
            path: path.to_owned(),
        })
    }

    /// Who holds the lock at `path` right now, as the holder named itself
    /// (empty when it has not written its name yet); None when nobody does.
    pub fn holder(path: &Path) -> Option<String> {
        if !Lock::is_held(path) {
            return None;
        }
        let text = std::fs::read_to_string(path).unwrap_or_default();
        Some(text.trim().to_owned())
    }

    /// Whether someone holds the lock at `path` right now.
    pub fn is_held(path: &Path) -> bool {
        let Ok(file) = File::open(path) else {
            return false;
        };
        match flock(&file, FlockOperation::NonBlockingLockShared) {
            Ok(()) => {
                let _ = flock(&file, FlockOperation::Unlock);
                false
            }
            Err(_) => true,
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // The holder's name goes with the lock; the file stays for the next run.
        let _ = self.file.set_len(0);
        let _ = flock(&self.file, FlockOperation::Unlock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_told_who_holds_it() {
        let dir = std::env::temp_dir().join(format!("maint-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("test.lock");
        let first = Lock::acquire(&path, "backup create").unwrap();
        assert!(Lock::is_held(&path));
        let err = Lock::acquire(&path, "backup create")
            .unwrap_err()
            .to_string();
        assert!(err.contains("is held by backup create (pid "), "{err}");
        drop(first);
        assert!(!Lock::is_held(&path));
        let again = Lock::acquire(&path, "backup prune").unwrap();
        drop(again);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
