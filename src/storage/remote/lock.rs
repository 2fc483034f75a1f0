//! The lock of a remote destination, shared by every host that writes to it.
//!
//! An object store has no `flock`, so the lock is an object per holder
//! (`.maint-lock-HOST-PID-NANOS`, naming what holds it), as restic does:
//! write yours, list the others, and the oldest holder wins; the younger
//! one deletes its own and is turned away with the holder's name. A holder
//! rewrites its object every minute; one not rewritten for
//! [`STALE_AFTER`], or left on this host by a process that no longer
//! exists, is stale: it is removed and the removal is reported.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Remote, RemoteError};

pub const PREFIX: &str = ".maint-lock-";
/// A lock not refreshed for this long belongs to a holder that died.
pub const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(15);
const REFRESH_EVERY: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Holder {
    what: String,
    host: String,
    pid: u32,
    since: DateTime<Utc>,
    refreshed_at: DateTime<Utc>,
}

impl Holder {
    fn describe(&self) -> String {
        format!(
            "{} (pid {} on {}, since {})",
            self.what,
            self.pid,
            self.host,
            self.since.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }

    /// Why it is stale, or None when it may still be working.
    fn stale(&self, now: DateTime<Utc>) -> Option<String> {
        if self.host == crate::probe::system::hostname()
            && !std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
        {
            return Some("its process no longer exists".to_owned());
        }
        (now - self.refreshed_at > STALE_AFTER).then(|| {
            format!(
                "not refreshed since {}",
                self.refreshed_at.format("%Y-%m-%d %H:%M:%S UTC")
            )
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteLockError {
    #[error("{at} is held by {holder}")]
    Held { at: String, holder: String },
    #[error(transparent)]
    Remote(#[from] RemoteError),
}

/// A held remote lock; dropping it deletes the lock object.
pub struct RemoteLock {
    remote: Arc<Remote>,
    name: String,
    stop: Arc<(Mutex<bool>, Condvar)>,
    refresher: Option<std::thread::JoinHandle<()>>,
    /// Stale locks removed on the way in, one line each.
    pub removed: Vec<String>,
}

impl RemoteLock {
    pub fn acquire(remote: &Arc<Remote>, what: &str) -> Result<RemoteLock, RemoteLockError> {
        let now = Utc::now();
        let mut removed = Vec::new();
        let at = format!("the lock of {}", remote.shown());
        for (name, holder) in others(remote, "")? {
            match holder
                .as_ref()
                .and_then(|h| h.stale(now).map(|why| (h, why)))
            {
                Some((h, why)) => {
                    remote.delete(&name)?;
                    removed.push(format!(
                        "removed the stale lock of {} ({why})",
                        h.describe()
                    ));
                }
                None => {
                    return Err(RemoteLockError::Held {
                        at,
                        holder: holder.map_or_else(
                            || format!("an unreadable lock object {name}"),
                            |h| h.describe(),
                        ),
                    });
                }
            }
        }
        let host = crate::probe::system::hostname();
        let me = Holder {
            what: what.to_owned(),
            host: host.clone(),
            pid: std::process::id(),
            since: now,
            refreshed_at: now,
        };
        let safe_host: String = host
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let name = format!(
            "{PREFIX}{safe_host}-{}-{}",
            me.pid,
            now.timestamp_nanos_opt().unwrap_or_default()
        );
        write(remote, &name, &me)?;
        // Someone else may have written theirs at the same moment: the
        // older one (by time, then name) keeps the lock.
        let found = others(remote, &name).inspect_err(|_| {
            let _ = remote.delete(&name);
        })?;
        for (other, holder) in found {
            let Some(holder) = holder else { continue };
            if holder.stale(now).is_none()
                && (holder.since, other.as_str()) < (me.since, name.as_str())
            {
                remote.delete(&name)?;
                return Err(RemoteLockError::Held {
                    at,
                    holder: holder.describe(),
                });
            }
        }
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let refresher = {
            let remote = Arc::clone(remote);
            let stop = Arc::clone(&stop);
            let name = name.clone();
            let mut me = me;
            std::thread::spawn(move || {
                let (lock, signal) = &*stop;
                let mut stopped = lock
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                while !*stopped {
                    let (guard, timeout) = signal
                        .wait_timeout(stopped, REFRESH_EVERY)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    stopped = guard;
                    if timeout.timed_out() && !*stopped {
                        me.refreshed_at = Utc::now();
                        let _ = write(&remote, &name, &me);
                    }
                }
            })
        };
        Ok(RemoteLock {
            remote: Arc::clone(remote),
            name,
            stop,
            refresher: Some(refresher),
            removed,
        })
    }

    /// Who holds the lock right now (not stale), as it named itself.
    pub fn holder(remote: &Remote) -> Result<Option<String>, RemoteError> {
        let now = Utc::now();
        Ok(others(remote, "")?.into_iter().find_map(|(_, holder)| {
            holder
                .filter(|h| h.stale(now).is_none())
                .map(|h| h.describe())
        }))
    }
}

impl Drop for RemoteLock {
    fn drop(&mut self) {
        let (lock, signal) = &*self.stop;
        *lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        signal.notify_all();
        if let Some(thread) = self.refresher.take() {
            let _ = thread.join();
        }
        let _ = self.remote.delete(&self.name);
    }
}

fn write(remote: &Remote, name: &str, holder: &Holder) -> Result<(), RemoteError> {
    let bytes = serde_json::to_vec_pretty(holder).unwrap_or_default();
    remote.put_small(name, &bytes)
}

/// The lock objects other than `mine`, with their holders (None: unreadable).
fn others(remote: &Remote, mine: &str) -> Result<Vec<(String, Option<Holder>)>, RemoteError> {
    let mut found = Vec::new();
    for listed in remote.list(PREFIX)? {
        if listed.name == mine {
            continue;
        }
        let holder = remote
            .get_small(&listed.name)?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        found.push((listed.name, holder));
    }
    Ok(found)
}
