//! A backup destination folder: which archives it holds, their sidecars,
//! whether each is complete and verified, what the last `create` did, and
//! the leftovers of runs that died.
//!
//! For each archive `STEM.tar.gz` there are, beside it:
//! `STEM.tar.gz.sha256` (for `sha256sum -c`), `STEM.manifest.json` (a copy
//! of the manifest inside) and `STEM.verify.json` (the last verification).
//! Work in progress is named `.maint-tmp-*` and never looks like a backup.
//!
//! The rules that keep the catalog honest:
//! - every whole read of an archive (`verify`, `restore`, `drill`) records
//!   its result with [`record_read`]; a damaged archive stays DAMAGED in
//!   `list` and never counts toward retention until a read finds it good;
//! - a backup whose name is dated in the future (the clock was wrong when it
//!   was made) is suspect ([`Backup::future_dated`]): never the latest or
//!   newest, never counted by retention, warned about by `list` and `diagnose`;
//! - pre-restore archives ([`PRE_RESTORE_KIND`]) are never the latest or
//!   newest either; `prune` keeps the newest of each name and any younger
//!   than [`super::retention::PRE_RESTORE_DAYS`] days;
//! - a `create` that failed or was killed (its state still says `running`
//!   while the lock is not held by that process) stops `prune`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::archive::{AGE_SUFFIX, ArchiveName, SUFFIX};
use super::manifest::Manifest;

pub const LOCK_FILE: &str = ".maint-backup.lock";
pub const TEMP_PREFIX: &str = ".maint-tmp-";
/// The kind of the archive a restore makes of what it is about to overwrite
/// (`NAME-TIME-pre-restore.tar.gz`). Such archives are kept for the
/// operator, never count as a backup's latest or newest, and follow their
/// own retention rule in `prune`.
pub const PRE_RESTORE_KIND: &str = "pre-restore";

pub fn lock_path(dir: &Path) -> PathBuf {
    dir.join(LOCK_FILE)
}

pub fn sha256_path(archive: &Path) -> PathBuf {
    with_suffix(archive, ".sha256", false)
}

/// The manifest's copy beside the archive; encrypted as the archive is.
pub fn manifest_path(archive: &Path) -> PathBuf {
    if is_encrypted(archive) {
        with_suffix(archive, ".manifest.json.age", true)
    } else {
        with_suffix(archive, ".manifest.json", true)
    }
}

/// Named `.tar.gz.age`: encrypted with age.
pub fn is_encrypted(archive: &Path) -> bool {
    archive
        .file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(AGE_SUFFIX))
}

pub fn verify_path(archive: &Path) -> PathBuf {
    with_suffix(archive, ".verify.json", true)
}

/// The temporary name a final file is written under.
pub fn temp_path(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    super::atomic::parent_dir(final_path).join(format!("{TEMP_PREFIX}{name}"))
}

fn with_suffix(archive: &Path, suffix: &str, replace_tar_gz: bool) -> PathBuf {
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = if replace_tar_gz {
        let plain = name.strip_suffix(AGE_SUFFIX).unwrap_or(&name);
        plain.strip_suffix(SUFFIX).unwrap_or(plain).to_owned()
    } else {
        name
    };
    super::atomic::parent_dir(archive).join(format!("{base}{suffix}"))
}

/// The last verification of an archive, by `create` or `verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub verified_at: DateTime<Utc>,
    pub ok: bool,
    pub detail: String,
    /// The stored object's size and ETag as the server gave them when it was
    /// made, for `verify --quick` (a remote archive only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<StoredObject>,
}

/// What an object store said about an archive when it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredObject {
    pub size: u64,
    pub etag: String,
}

/// Whether an archive can be trusted, as far as the folder tells without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    Verified(DateTime<Utc>),
    Damaged(String),
    /// A sidecar is missing or unreadable: not made (or not finished) by maint.
    Incomplete(String),
}

impl Trust {
    pub fn label(&self) -> String {
        match self {
            Trust::Verified(at) => format!("verified {}", at.format("%Y-%m-%d %H:%M")),
            Trust::Damaged(detail) => format!("DAMAGED: {detail}"),
            Trust::Incomplete(why) => format!("incomplete: {why}"),
        }
    }
}

/// One archive in a destination.
#[derive(Clone, Debug)]
pub struct Backup {
    pub path: PathBuf,
    pub name: ArchiveName,
    pub size: u64,
    pub manifest: Option<Manifest>,
    pub trust: Trust,
}

/// How far in the future a name's time may be before it is suspect: the
/// clocks of hosts sharing a folder differ by a little.
pub const FUTURE_TOLERANCE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

impl Backup {
    pub fn file_name(&self) -> String {
        self.name.file_name()
    }

    /// Dated later than `now` (past the tolerance): made while the clock was wrong.
    pub fn future_dated(&self, now: DateTime<Utc>) -> bool {
        self.name.created_at > now + FUTURE_TOLERANCE
    }

    pub fn is_pre_restore(&self) -> bool {
        self.name.kind == PRE_RESTORE_KIND
    }

    /// A backup that may be called the latest: neither a pre-restore archive
    /// nor dated in the future.
    pub fn may_be_latest(&self, now: DateTime<Utc>) -> bool {
        !self.is_pre_restore() && !self.future_dated(now)
    }
}

/// The newest backup that may be called the latest (see [`Backup::may_be_latest`]).
pub fn latest(backups: &[Backup], now: DateTime<Utc>) -> Option<&Backup> {
    backups.iter().rfind(|b| b.may_be_latest(now))
}

/// The archives in `dir` named as maint names them, oldest first.
pub fn scan(dir: &Path) -> io::Result<Vec<Backup>> {
    let mut backups = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(name) = ArchiveName::parse(&file_name) else {
            continue;
        };
        let metadata = entry.metadata()?;
        if !metadata.is_file() {
            continue;
        }
        backups.push(describe(entry.path(), name, metadata.len()));
    }
    backups
        .sort_by(|a, b| (a.name.created_at, &a.name.name).cmp(&(b.name.created_at, &b.name.name)));
    Ok(backups)
}

fn describe(path: PathBuf, name: ArchiveName, size: u64) -> Backup {
    let manifest = fs::read(manifest_path(&path))
        .ok()
        .and_then(|bytes| Manifest::from_bytes(&bytes).ok());
    let recorded = read_verification(&path);
    // An encrypted manifest cannot be read here (only public keys live on
    // the backup host): its presence is what counts.
    let manifest_present =
        manifest.is_some() || (is_encrypted(&path) && manifest_path(&path).is_file());
    let trust = if !sha256_path(&path).is_file() {
        Trust::Incomplete("no .sha256 sidecar".to_owned())
    } else if !manifest_present {
        Trust::Incomplete("no readable manifest copy".to_owned())
    } else {
        match recorded {
            Some(v) if v.ok => Trust::Verified(v.verified_at),
            Some(v) => Trust::Damaged(v.detail),
            None => Trust::Incomplete("never verified".to_owned()),
        }
    };
    Backup {
        path,
        name,
        size,
        manifest,
        trust,
    }
}

pub fn read_verification(archive: &Path) -> Option<Verification> {
    let bytes = fs::read(verify_path(archive)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub fn write_verification(archive: &Path, verification: &Verification) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(verification).map_err(io::Error::other)?;
    bytes.push(b'\n');
    super::atomic::write_with_mode(&verify_path(archive), &bytes, 0o600)
}

/// Records what a whole read of `archive` found, for `list` and `prune`:
/// call it after every full read (verify, restore, drill), good or bad.
/// `by` names the reader ("maint backup drill"); `damage` is None when
/// every entry matched, else the first problem. Archives maint did not make
/// (no `.sha256` sidecar) are left alone: returns false for them.
pub fn record_read(archive: &Path, by: &str, damage: Option<&str>) -> io::Result<bool> {
    if !sha256_path(archive).is_file() {
        return Ok(false);
    }
    let verification = Verification {
        verified_at: Utc::now(),
        ok: damage.is_none(),
        detail: match damage {
            None => format!("read in full by {by}"),
            Some(problem) => format!("{problem} (found by {by})"),
        },
        stored: None,
    };
    write_verification(archive, &verification).map(|()| true)
}

/// The `.sha256` sidecar's digest, if it names this archive.
pub fn read_sidecar_sha256(archive: &Path) -> Option<String> {
    let text = fs::read_to_string(sha256_path(archive)).ok()?;
    let file_name = archive.file_name()?.to_string_lossy().into_owned();
    sidecar_digest(&text, &file_name)
}

/// The digest a `.sha256` sidecar's text gives for `file_name`.
pub fn sidecar_digest(text: &str, file_name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (digest, name) = line.split_once("  ")?;
        (name.trim_start_matches('*') == file_name).then(|| digest.to_owned())
    })
}

pub fn sidecar_text(archive_file_name: &str, sha256: &str) -> String {
    format!("{sha256}  {archive_file_name}\n")
}

/// The outcome of the last `backup create` of a name in a destination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCreate {
    /// `running`, `ok` or `failed`.
    pub status: String,
    pub pid: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub archive: Option<String>,
    pub error: Option<String>,
    /// A remote create's multipart upload, aborted by the next run if this one dies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_id: Option<String>,
}

pub fn state_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".maint-last-create-{name}.json"))
}

pub fn read_last_create(dir: &Path, name: &str) -> Option<LastCreate> {
    let bytes = fs::read(state_path(dir, name)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub fn write_last_create(dir: &Path, name: &str, state: &LastCreate) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(state).map_err(io::Error::other)?;
    bytes.push(b'\n');
    super::atomic::write(&state_path(dir, name), &bytes)
}

/// Why the last create of `name` did not succeed, if it did not: it failed,
/// or its state still says "running" while that create does not hold the
/// lock (it was killed). The lock's holder is named in the lock file, so a
/// `prune` holding the lock itself is never taken for the create.
pub fn failed_create(dir: &Path, name: &str) -> Option<String> {
    let state = read_last_create(dir, name)?;
    let create_holds_lock = || {
        super::lock::Lock::holder(&lock_path(dir)).is_some_and(|holder| {
            // Taken a moment ago and not named yet: it may be that create.
            holder.is_empty() || holder.contains(&format!("(pid {} ", state.pid))
        })
    };
    state.failure(create_holds_lock)
}

impl LastCreate {
    /// Why this create did not succeed, if it did not; `holds_lock` tells
    /// whether it is still running (it holds the destination's lock).
    pub fn failure(&self, holds_lock: impl FnOnce() -> bool) -> Option<String> {
        let started = self.started_at.format("%Y-%m-%d %H:%M:%S UTC");
        match self.status.as_str() {
            "ok" => None,
            "running" if holds_lock() => None,
            "running" => Some(format!(
                "the create started {started} (pid {}) never finished: it was killed",
                self.pid
            )),
            _ => Some(format!(
                "the create at {started} failed: {}",
                self.error.as_deref().unwrap_or("unknown error")
            )),
        }
    }
}

/// Cleans up after runs that died; call it holding the destination's lock.
/// A finished archive whose sidecars were still temporary gets them put in
/// place (the archive's rename is the commit point); everything else
/// temporary is removed. Returns what was done, one line per file.
pub fn recover(dir: &Path) -> io::Result<Vec<String>> {
    let mut done = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        // atomic::write's own temporaries (state and verification records).
        if file_name.starts_with("..maint-") && file_name.ends_with(".tmp") {
            fs::remove_file(entry.path())?;
            done.push(format!("removed {file_name} left by a run that died"));
            continue;
        }
        let Some(final_name) = file_name.strip_prefix(TEMP_PREFIX) else {
            continue;
        };
        let final_path = dir.join(final_name);
        let archive_of_sidecar = [".sha256"]
            .iter()
            .find_map(|s| final_name.strip_suffix(s))
            .map(str::to_owned)
            .or_else(|| {
                [".manifest.json.age", ".manifest.json", ".verify.json"]
                    .iter()
                    .find_map(|s| final_name.strip_suffix(s))
                    .map(|stem| format!("{stem}{SUFFIX}"))
            });
        let finishes_archive = archive_of_sidecar.is_some_and(|archive| {
            let sealed = format!("{archive}{AGE_SUFFIX}");
            (dir.join(&archive).is_file() || dir.join(sealed).is_file()) && !final_path.exists()
        });
        if finishes_archive {
            fs::rename(entry.path(), &final_path)?;
            done.push(format!("completed {final_name} left by a run that died"));
        } else {
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(&path)?;
            } else {
                fs::remove_file(&path)?;
            }
            done.push(format!("removed {file_name} left by a run that died"));
        }
    }
    if !done.is_empty() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(done)
}

/// What `maint diagnose` needs about a destination: the newest backup's
/// age, size and whether it is verified. None when there is no backup that
/// may be called the latest (see [`Backup::may_be_latest`]).
#[derive(Clone, Debug, PartialEq)]
pub struct LastBackup {
    pub path: PathBuf,
    pub created_at: DateTime<Utc>,
    pub age: chrono::Duration,
    pub size: u64,
    pub trust: Trust,
    /// Backups dated in the future, never taken for the latest: warn about them.
    pub future_dated: Vec<PathBuf>,
}

/// Backups in `dir` (of `name`, when given) dated in the future.
pub fn future_dated(dir: &Path, name: Option<&str>) -> io::Result<Vec<PathBuf>> {
    let now = Utc::now();
    Ok(scan(dir)?
        .into_iter()
        .filter(|b| name.is_none_or(|n| b.name.name == n) && b.future_dated(now))
        .map(|b| b.path)
        .collect())
}

/// The newest backup in `dir` (of `name`, when given).
pub fn last_backup(dir: &Path, name: Option<&str>) -> io::Result<Option<LastBackup>> {
    Ok(last_of(scan(dir)?, name))
}

/// The newest of `backups` (of `name`, when given), with those dated in the
/// future beside it: what [`last_backup`] says of a scanned destination.
pub fn last_of(backups: Vec<Backup>, name: Option<&str>) -> Option<LastBackup> {
    let now = Utc::now();
    let backups: Vec<Backup> = backups
        .into_iter()
        .filter(|b| name.is_none_or(|n| b.name.name == n))
        .collect();
    let future_dated = backups
        .iter()
        .filter(|b| b.future_dated(now))
        .map(|b| b.path.clone())
        .collect();
    latest(&backups, now).map(|b| LastBackup {
        age: now - b.name.created_at,
        created_at: b.name.created_at,
        size: b.size,
        path: b.path.clone(),
        trust: b.trust.clone(),
        future_dated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecars_are_named_after_the_archive() {
        let archive = Path::new("/b/web-20261124T020304Z-daily.tar.gz");
        assert_eq!(
            sha256_path(archive),
            Path::new("/b/web-20261124T020304Z-daily.tar.gz.sha256")
        );
        assert_eq!(
            manifest_path(archive),
            Path::new("/b/web-20261124T020304Z-daily.manifest.json")
        );
        assert_eq!(
            temp_path(archive),
            Path::new("/b/.maint-tmp-web-20261124T020304Z-daily.tar.gz")
        );
        assert_eq!(sidecar_text("a.tar.gz", "ff"), "ff  a.tar.gz\n".to_owned());
    }

    #[test]
    fn the_last_backup_says_its_age_size_and_trust() {
        let dir = std::env::temp_dir().join(format!("maint-last-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        assert_eq!(last_backup(&dir, None).unwrap(), None);
        for (stamp, kind) in [
            ("20261120T010000Z", "daily"),
            ("20261122T010000Z", "pre-restore"),
        ] {
            fs::write(dir.join(format!("web-{stamp}-{kind}.tar.gz")), "12345").unwrap();
        }
        let last = last_backup(&dir, Some("web")).unwrap().unwrap();
        assert_eq!(last.created_at.to_rfc3339(), "2026-11-20T01:00:00+00:00");
        assert_eq!(last.size, 5);
        assert_eq!(
            last.trust,
            Trust::Incomplete("no .sha256 sidecar".to_owned())
        );
        assert_eq!(last_backup(&dir, Some("db")).unwrap(), None);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn recovery_finishes_a_committed_archive_and_removes_the_rest() {
        let dir = std::env::temp_dir().join(format!("maint-catalog-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let archive = dir.join("web-20261124T020304Z-daily.tar.gz");
        fs::write(&archive, "x").unwrap();
        fs::write(temp_path(&sha256_path(&archive)), "ff  x\n").unwrap();
        fs::write(
            dir.join(".maint-tmp-web-20261125T020304Z-daily.tar.gz"),
            "half",
        )
        .unwrap();
        let done = recover(&dir).unwrap();
        assert_eq!(done.len(), 2, "{done:?}");
        assert!(sha256_path(&archive).is_file());
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
        fs::remove_dir_all(dir).unwrap();
    }
}
