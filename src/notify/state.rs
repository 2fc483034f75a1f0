//! What maint must remember between runs to tell a recovery from a success:
//! the exit code of the last run of each command (`run daily`, `backup
//! create`), in a small JSON file in maint's state folder, replaced
//! atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// maint's state folder: `$XDG_STATE_HOME/maint`, else `/var/lib/maint` for
/// root, else `~/.local/state/maint`; created (0700) when missing.
pub fn dir() -> Option<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let dir = match base {
        Some(base) => base.join("maint"),
        None if rustix::process::geteuid().is_root() => PathBuf::from("/var/lib/maint"),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".local/state/maint"),
    };
    let _ = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir);
    dir.is_dir().then_some(dir)
}

/// The file of last exit codes in `dir`.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join("last-runs.json")
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Runs {
    commands: BTreeMap<String, Last>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Last {
    exit_code: u8,
    at: chrono::DateTime<chrono::Utc>,
}

/// The exit code of the last run of `command` recorded in `file`.
pub fn previous(file: &Path, command: &str) -> Option<u8> {
    read(file).commands.get(command).map(|last| last.exit_code)
}

/// Records `code` as the last run of `command`. Two commands that finish
/// at once take turns (an flock on a file beside it), so neither record is
/// lost; the lock goes with the process, killed or not.
pub fn record(file: &Path, command: &str, code: u8) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let guard = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(file.with_extension("lock"))?;
    rustix::fs::flock(&guard, rustix::fs::FlockOperation::LockExclusive)?;
    let mut runs = read(file);
    runs.commands.insert(
        command.to_owned(),
        Last {
            exit_code: code,
            at: chrono::Utc::now(),
        },
    );
    let text = serde_json::to_vec_pretty(&runs).map_err(std::io::Error::other)?;
    crate::storage::atomic::write_with_mode(file, &text, 0o600)
}

/// A missing or unreadable file is no history: the next run starts one.
fn read(file: &Path) -> Runs {
    std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_last_code_of_each_command_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = super::path_in(dir.path());
        assert_eq!(super::previous(&file, "run daily"), None);
        super::record(&file, "run daily", 2).unwrap();
        super::record(&file, "health", 0).unwrap();
        assert_eq!(super::previous(&file, "run daily"), Some(2));
        super::record(&file, "run daily", 0).unwrap();
        assert_eq!(super::previous(&file, "run daily"), Some(0));
        assert_eq!(super::previous(&file, "health"), Some(0));
    }

    #[test]
    fn commands_finishing_at_once_all_keep_their_record() {
        let dir = tempfile::tempdir().unwrap();
        let file = super::path_in(dir.path());
        std::thread::scope(|scope| {
            for n in 0..8u8 {
                let file = &file;
                scope.spawn(move || super::record(file, &format!("command {n}"), n).unwrap());
            }
        });
        for n in 0..8u8 {
            assert_eq!(super::previous(&file, &format!("command {n}")), Some(n));
        }
    }
}
