//! Filesystem work done in a child process of this binary, so that a call
//! stuck in the kernel cannot hold maint itself.
//!
//! A `statvfs`, `stat` or `read` on a dead NFS or FUSE mount sleeps
//! uninterruptibly. A thread stuck like that keeps its whole process, and
//! the pipe it writes its report to, alive: `$(maint health)` hangs with the
//! report already written. A child stuck like that is simply abandoned. The
//! child is this same binary, started as `maint __<helper> ARGS`, which
//! `maint::parse_args` dispatches to the helper's module (`run::helper`)
//! before clap sees it: this module only starts and watches helpers.
//!
//! Deadlines (issue 17): every filesystem access of a check that may reach
//! a network or FUSE mount (health's statvfs, diagnose's folder walk, the
//! log scanner's discovery of files, the certificate files and folders
//! `certs check` reads) goes through [`run`], which gives up at
//! its limit and kills the child (the kill lands when the kernel lets go).
//! An abandoned child is recorded per mount in the runtime folder
//! ([`runtime_dir`]); while it lives, later runs start no other helper on
//! that mount and report at once that it is still stuck. So a hung mount
//! holds at most one stuck helper however often cron runs maint (plus one
//! per run that was already under way when the mount hung), and the record
//! lapses by itself when the helper finally dies.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::units::human_duration;

#[derive(Debug, thiserror::Error)]
pub enum IsolatedError {
    #[error("no answer within {}: a hung mount?", human_duration(*.0))]
    Hung(Duration),
    /// An earlier helper on the same mount never came back: no other is started.
    #[error(
        "no answer: a helper started {} ago (pid {pid}) is still stuck on {}",
        human_duration(*.since),
        .mount.display()
    )]
    Stuck {
        pid: u32,
        since: Duration,
        mount: PathBuf,
    },
    #[error("the helper process failed: {0}")]
    Failed(String),
}

impl IsolatedError {
    /// Whether the filesystem did not answer (as opposed to the helper failing).
    pub fn is_hung(&self) -> bool {
        matches!(self, IsolatedError::Hung(_) | IsolatedError::Stuck { .. })
    }
}

/// How long a helper may take.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    /// From start to end.
    Total(Duration),
    /// Between two pieces of output: a long walk that keeps reporting
    /// progress goes on, one stuck on a single `stat` does not.
    Quiet(Duration),
}

impl Limit {
    fn duration(self) -> Duration {
        match self {
            Limit::Total(limit) | Limit::Quiet(limit) => limit,
        }
    }
}

/// This binary, for starting helpers; None when it cannot be found.
pub fn helper_binary() -> Option<PathBuf> {
    std::env::current_exe().ok()
}

/// Runs `helper __name path extra...` and returns its standard output, or
/// gives up on it at `limit`. `path` names what the helper touches: its
/// mount is the one a stuck helper is recorded against.
pub fn run(
    helper: &Path,
    name: &str,
    path: &Path,
    extra: &[OsString],
    limit: Limit,
) -> Result<Vec<u8>, IsolatedError> {
    let record = StuckRecord::for_path(path);
    if let Some(record) = &record
        && let Some(stuck) = record.alive()
    {
        return Err(stuck);
    }
    let spawned_at = std::time::SystemTime::now();
    let mut child = Command::new(helper)
        .arg(format!("__{name}"))
        .arg(path)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| {
            IsolatedError::Failed(format!("cannot start {}: {err}", helper.display()))
        })?;
    match collect(&mut child, limit) {
        Ok(output) => Ok(output),
        Err(err) => {
            // The kill lands when the kernel lets go; nobody waits for it.
            let _ = child.kill();
            if err.is_hung()
                && let Some(record) = &record
            {
                record.write(child.id(), spawned_at);
            }
            Err(err)
        }
    }
}

/// Reads the child's output as it comes (so a long listing never fills the
/// pipe and stalls it) until it ends or `limit` passes.
fn collect(child: &mut Child, limit: Limit) -> Result<Vec<u8>, IsolatedError> {
    let Some(mut stdout) = child.stdout.take() else {
        return Err(IsolatedError::Failed("no pipe to the helper".into()));
    };
    let (sender, receiver) = mpsc::channel::<std::io::Result<Vec<u8>>>();
    std::thread::Builder::new()
        .name("maint-helper-pipe".into())
        .spawn(move || {
            let mut block = vec![0u8; 64 << 10];
            loop {
                match stdout.read(&mut block) {
                    Ok(0) => return,
                    Ok(n) => {
                        if sender.send(Ok(block[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(err) => {
                        let _ = sender.send(Err(err));
                        return;
                    }
                }
            }
        })
        .map_err(|err| IsolatedError::Failed(format!("cannot start a thread: {err}")))?;
    let started = Instant::now();
    let mut deadline = started + limit.duration();
    let mut output = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(Ok(block)) => {
                output.extend_from_slice(&block);
                if let Limit::Quiet(quiet) = limit {
                    deadline = Instant::now() + quiet;
                }
            }
            Ok(Err(err)) => return Err(IsolatedError::Failed(err.to_string())),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(IsolatedError::Hung(limit.duration()));
            }
        }
    }
    // Its output ended: it is exiting. Reap it, but never wait on a child
    // that closed its pipe and then got stuck after all.
    let mut pause = Duration::from_micros(200);
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => break,
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
        }
    }
    Ok(output)
}

/// Where maint keeps what must outlive one run but not a reboot: the
/// records of stuck helpers. `$XDG_RUNTIME_DIR/maint`, else `/run/maint`
/// for root, else `/tmp/maint-UID`; a folder that is not ours (or a
/// symlink) is not used, and without one nothing is recorded.
pub fn runtime_dir() -> Option<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let uid = rustix::process::getuid();
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(base) if base.is_absolute() => base.join("maint"),
        _ if uid.is_root() => PathBuf::from("/run/maint"),
        _ => std::env::temp_dir().join(format!("maint-{}", uid.as_raw())),
    };
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    (meta.is_dir() && meta.uid() == uid.as_raw()).then_some(dir)
}

/// The record of a helper abandoned on one mount: `stuck-KEY` in the
/// runtime folder, holding `PID START_TICKS STARTED_UNIX_MS MOUNT`.
struct StuckRecord {
    file: PathBuf,
    mount: PathBuf,
}

impl StuckRecord {
    /// The record for the mount holding `path`, told from the mount table
    /// and the path's text alone (looking at the path could hang).
    fn for_path(path: &Path) -> Option<StuckRecord> {
        use sha2::Digest;
        use std::os::unix::ffi::OsStrExt;
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().ok()?.join(path)
        };
        let mount = super::mounts::read()
            .ok()?
            .into_iter()
            .filter(|m| absolute.starts_with(&m.mount_point))
            .max_by_key(|m| m.mount_point.as_os_str().len())?;
        // The device number changes when a dead mount is replaced by a
        // fresh one at the same place: the old record no longer applies.
        let mut hasher = sha2::Sha256::new();
        hasher.update(mount.mount_point.as_os_str().as_bytes());
        hasher.update(b"\0");
        hasher.update(mount.device.as_bytes());
        let key = data_encoding::HEXLOWER.encode(&hasher.finalize()[..8]);
        Some(StuckRecord {
            file: runtime_dir()?.join(format!("stuck-{key}")),
            mount: mount.mount_point,
        })
    }

    /// The recorded helper, when it is still alive; a record whose helper
    /// has died is removed.
    fn alive(&self) -> Option<IsolatedError> {
        let text = std::fs::read_to_string(&self.file).ok()?;
        let mut words = text.split_whitespace();
        let pid: u32 = words.next()?.parse().ok()?;
        let ticks: u64 = words.next()?.parse().ok()?;
        let at: u64 = words.next()?.parse().ok()?;
        if start_ticks(pid) == Some(ticks) {
            return Some(IsolatedError::Stuck {
                pid,
                since: Duration::from_millis(
                    unix_ms(std::time::SystemTime::now()).saturating_sub(at),
                ),
                mount: self.mount.clone(),
            });
        }
        let _ = std::fs::remove_file(&self.file);
        None
    }

    fn write(&self, pid: u32, started: std::time::SystemTime) {
        let Some(ticks) = start_ticks(pid) else {
            return;
        };
        let text = format!(
            "{pid} {ticks} {} {}\n",
            unix_ms(started),
            self.mount.display()
        );
        let temporary = self
            .file
            .with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&temporary, text).is_ok() {
            let _ = std::fs::rename(&temporary, &self.file);
        }
    }
}

fn unix_ms(time: std::time::SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// When a live (not zombie) process started, in clock ticks since boot:
/// with the pid, it names the process even after the pid is reused.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields follow its last `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    if fields.first() == Some(&"Z") || fields.first() == Some(&"X") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_is_named_by_its_start_time() {
        let me = std::process::id();
        let ticks = start_ticks(me).unwrap();
        assert_eq!(start_ticks(me), Some(ticks));
        assert_eq!(start_ticks(u32::MAX), None);
    }

    #[test]
    fn a_record_of_a_dead_helper_lapses() {
        let dir = tempfile::tempdir().unwrap();
        let record = StuckRecord {
            file: dir.path().join("stuck-x"),
            mount: PathBuf::from("/mnt/nfs"),
        };
        assert!(record.alive().is_none());
        // This process stands in for a helper that is still stuck.
        record.write(std::process::id(), std::time::SystemTime::now());
        let stuck = record.alive().unwrap();
        assert!(stuck.is_hung());
        assert!(
            stuck.to_string().contains("still stuck on /mnt/nfs"),
            "{stuck}"
        );
        // A record naming a process that has gone is removed.
        let ticks = start_ticks(std::process::id()).unwrap();
        std::fs::write(&record.file, format!("{} {} 0 /mnt/nfs\n", u32::MAX, ticks)).unwrap();
        assert!(record.alive().is_none());
        assert!(!record.file.exists());
    }
}
