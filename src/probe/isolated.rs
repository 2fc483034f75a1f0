//! Filesystem work done in a child process of this binary, so that a call
//! stuck in the kernel cannot hold maint itself.
//!
//! A `statvfs` or `stat` on a dead NFS or FUSE mount sleeps uninterruptibly.
//! A thread stuck like that keeps its whole process, and the pipe it writes
//! its report to, alive: `$(maint health)` hangs with the report already
//! written. A child stuck like that is simply abandoned. The child is this
//! same binary, started as `maint __<helper> ARGS` (see [`helper_main`]),
//! which `maint::parse_args` hands here before clap sees it.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::units::human_duration;

#[derive(Debug, thiserror::Error)]
pub enum IsolatedError {
    #[error("no answer within {}: a hung mount?", human_duration(*.0))]
    Hung(Duration),
    #[error("the helper process failed: {0}")]
    Failed(String),
}

/// This binary, for starting helpers; None when it cannot be found.
pub fn helper_binary() -> Option<PathBuf> {
    std::env::current_exe().ok()
}

/// Runs `helper __name args...`, returning its standard output, or gives up
/// on it after `timeout`.
pub fn run(
    helper: &Path,
    name: &str,
    args: &[OsString],
    timeout: Duration,
) -> Result<String, IsolatedError> {
    let mut child = Command::new(helper)
        .arg(format!("__{name}"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| {
            IsolatedError::Failed(format!("cannot start {}: {err}", helper.display()))
        })?;
    let started = Instant::now();
    let mut pause = Duration::from_micros(500);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() >= timeout => {
                // The kill lands when the kernel lets go; nobody waits for it.
                let _ = child.kill();
                return Err(IsolatedError::Hung(timeout));
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            Err(err) => return Err(IsolatedError::Failed(err.to_string())),
        }
    }
    let mut output = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_string(&mut output)
            .map_err(|err| IsolatedError::Failed(err.to_string()))?;
    }
    Ok(output)
}

/// The child's side: runs the helper named in `args` (`[maint, __name, ...]`)
/// and returns what to print and whether it succeeded; None when `args` name
/// no helper.
pub fn helper_main(args: &[OsString]) -> Option<(String, bool)> {
    let name = args.get(1)?.to_str()?.strip_prefix("__")?;
    let rest = &args[2..];
    match (name, rest) {
        ("statvfs", [path]) => Some(super::disk::statvfs_helper(Path::new(path))),
        ("folders", [path, max_entries, budget_ms]) => {
            let max_entries = max_entries.to_str()?.parse().ok()?;
            let budget = Duration::from_millis(budget_ms.to_str()?.parse().ok()?);
            Some(super::disk::folders_helper(
                Path::new(path),
                max_entries,
                budget,
            ))
        }
        _ => None,
    }
}
