//! `maint backup create | list | verify | prune | restore | drill`: the
//! subcommands and what they share (the destination folder, progress bars,
//! checking a read archive against its manifest and sidecars).

mod create;
mod drill;
mod list;
mod prune;
mod restore;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result};

use super::{Context, Outcome};
use crate::cli::BackupCommand;
use crate::error::Hint;
use crate::probe::postgres::Target;
use crate::report::{Cell, Check, Column, Section, Status};
use crate::storage::archive::{self, ReadOutcome};
use crate::storage::lock::{Lock, LockError};
use crate::storage::unpack::UnpackError;
use crate::storage::{catalog, database, manifest};

pub fn execute(command: &BackupCommand, context: &Context) -> Outcome {
    match command {
        BackupCommand::Create(args) => create::execute(args, context),
        BackupCommand::List(args) => list::execute(args, context),
        BackupCommand::Verify(args) => verify::execute(args, context),
        BackupCommand::Prune(args) => prune::execute(args, context),
        BackupCommand::Restore(args) => restore::execute(args, context),
        BackupCommand::Drill(args) => drill::execute(args, context),
    }
}

/// The database side of a backup or restore: the server and its client tools.
struct DbPlan {
    target: Target,
    pg_dump: PathBuf,
    pg_restore: PathBuf,
    /// For roles and tablespaces; without it they are not saved (a warning).
    pg_dumpall: Option<PathBuf>,
    /// For putting roles and tablespaces back; without it a restore says so.
    psql: Option<PathBuf>,
}

/// The database named by `url` and the client tools to reach it with, found
/// before anything is written.
fn db_plan(url: &str, context: &Context) -> Result<DbPlan> {
    let target = Target::resolve(Some(url), Duration::from_secs(10))
        .map_err(anyhow::Error::msg)
        .context(Hint::new("fix --db or [backup] db"))?;
    let pg_bin = context.config.config.backup.pg_bin.as_deref();
    let tool = |name: &str| {
        database::find_tool(pg_bin, name).map_err(anyhow::Error::new).context(Hint::new(
            "install the PostgreSQL client tools (apt-get install postgresql-client) or set pg_bin in [backup]",
        ))
    };
    Ok(DbPlan {
        pg_dump: tool("pg_dump")?,
        pg_restore: tool("pg_restore")?,
        pg_dumpall: database::find_tool(pg_bin, "pg_dumpall").ok(),
        psql: database::find_tool(pg_bin, "psql").ok(),
        target,
    })
}

/// The lock of a backup folder: one run that writes it at a time.
fn take_lock(dest: &Path, what: &str) -> Result<Lock, super::Failed> {
    Lock::acquire(&catalog::lock_path(dest), what).map_err(|err| {
        let hint = match &err {
            LockError::Held { .. } => {
                "wait for that run to finish (two runs must not write one backup folder at once)"
            }
            LockError::Io { .. } => "check the backup folder's permissions",
        };
        super::Failed::Setup(anyhow::Error::new(err).context(Hint::new(hint)))
    })
}

/// Removes a scratch file or folder however the run ends, never following
/// a link and never entering a mount.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let (Some(parent), Some(name)) = (self.0.parent(), self.0.file_name()) else {
            return;
        };
        if let Ok(dir) = std::fs::File::open(parent) {
            use std::os::unix::ffi::OsStrExt;
            let _ = crate::storage::beneath::remove_tree(
                std::os::fd::AsFd::as_fd(&dir),
                name.as_bytes(),
                "",
            );
        }
    }
}

/// A new private file (0600) in the backup folder, named as the catalog
/// names work in progress (a run that dies leaves nothing that looks like
/// a backup, and the next create removes it).
fn private_temp(dest: &Path, what: &str) -> Result<(Scratch, std::fs::File), super::Failed> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dest.join(format!(
        "{}{what}-{}",
        catalog::TEMP_PREFIX,
        std::process::id()
    ));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot create {}", path.display()))
        .context(Hint::new(format!("ls -ld {0}; df -h {0}", dest.display())))
        .map_err(super::Failed::Setup)?;
    Ok((Scratch(path), file))
}

/// The destination folder: the flag, else `[backup] dest`; it must exist.
fn destination(flag: Option<&PathBuf>, context: &Context) -> Result<PathBuf> {
    let dest = flag
        .or(context.config.config.backup.dest.as_ref())
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no backup folder given"))
        .context(Hint::new(
            "pass --dest DIR or set dest in [backup] of maint.toml",
        ))?;
    match std::fs::metadata(&dest) {
        Ok(metadata) if metadata.is_dir() => Ok(dest),
        Ok(_) => Err(anyhow::anyhow!(
            "backup folder {} is not a folder",
            dest.display()
        ))
        .context(Hint::new("give --dest a folder")),
        Err(err) => Err(err)
            .with_context(|| format!("backup folder {} does not exist", dest.display()))
            .context(Hint::new(format!("mkdir -p {}", dest.display()))),
    }
}

/// The destination and the backups in it, oldest first.
fn destination_backups(
    flag: Option<&PathBuf>,
    context: &Context,
) -> Result<(PathBuf, Vec<catalog::Backup>), super::Failed> {
    let dest = destination(flag, context).map_err(super::Failed::Setup)?;
    let backups = catalog::scan(&dest)
        .with_context(|| format!("cannot list {}", dest.display()))
        .map_err(super::Failed::Setup)?;
    Ok((dest, backups))
}

/// A progress bar on stderr when it is a terminal (never in cron or CI).
fn progress_bar(context: &Context, total: u64, what: &str) -> Option<indicatif::ProgressBar> {
    if !context.progress {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{wide_bar}] {bytes}/{total_bytes} {msg}{binary_bytes_per_sec} ETA {eta}",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    bar.set_prefix(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// Follows a byte counter with a bar until the returned guard is dropped.
struct Follow {
    bar: Option<indicatif::ProgressBar>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Follow {
    fn start(bar: Option<indicatif::ProgressBar>, counter: &Arc<AtomicU64>) -> Follow {
        Follow::with_files(bar, counter, None)
    }

    /// Also shows a count of files done.
    fn with_files(
        bar: Option<indicatif::ProgressBar>,
        counter: &Arc<AtomicU64>,
        files: Option<Arc<AtomicU64>>,
    ) -> Follow {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = bar.clone().map(|bar| {
            let counter = Arc::clone(counter);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    bar.set_position(counter.load(Ordering::Relaxed));
                    if let Some(files) = &files {
                        bar.set_message(format!("{} files ", files.load(Ordering::Relaxed)));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        });
        Follow { bar, stop, thread }
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What a full read of an archive showed about it.
struct Checked {
    outcome: ReadOutcome,
    /// Differences from the manifest and the sidecars, each naming an entry or file.
    problems: Vec<String>,
    /// No manifest inside: made by plain tar, only the gzip CRC was checked.
    unverified: bool,
}

impl Checked {
    /// What the read proved, for the catalog: nothing without a manifest.
    fn verdict(&self) -> Option<Result<(), String>> {
        match self.problems.first() {
            Some(problem) => Some(Err(format!("damaged {problem}"))),
            None if self.unverified => None,
            None => Some(Ok(())),
        }
    }
}

/// Records what a whole read of an archive showed (through the catalog),
/// so `list` and `prune` see damage found by restore and drill too.
fn record_read(
    archive: &Path,
    verdict: impl Into<Option<Result<(), String>>>,
    by: &str,
    context: &Context,
) {
    let Some(verdict) = verdict.into() else {
        return;
    };
    if let Err(err) = catalog::record_read(archive, by, verdict.err().as_deref()) {
        context.note(|| {
            format!(
                "cannot record the verification of {}: {err}",
                archive.display()
            )
        });
    }
}

/// How a restore (or a drill's) that could not go on is told.
fn unpack_failed(archive: &Path, err: UnpackError) -> super::Failed {
    let shown = archive.display();
    let (error, hint) = match err {
        UnpackError::Refused(why) => (
            anyhow::anyhow!("refused to restore {shown}: {why}; nothing was changed"),
            format!("the archive is unsafe to extract: inspect it with tar tvzf {shown}"),
        ),
        UnpackError::Read(err @ archive::ReadError::Damaged { .. }) => (
            anyhow::anyhow!("cannot restore {shown}: {err}; nothing was changed"),
            format!("maint backup verify {shown}; restore an older backup"),
        ),
        UnpackError::Read(err) => (
            anyhow::anyhow!("cannot restore {shown}: {err}; nothing was changed"),
            format!("ls -l {shown}"),
        ),
        UnpackError::Full { ref target, .. } => {
            let hint = format!("df -h {target}; free space there and restore again");
            (anyhow::anyhow!("{err}; nothing was changed"), hint)
        }
        UnpackError::Write { ref target, .. } => {
            let hint = format!("ls -ld {target}; check its permissions and filesystem");
            (anyhow::anyhow!("{err}; nothing was changed"), hint)
        }
        UnpackError::Target(why) => (
            anyhow::anyhow!("{why}; nothing was changed"),
            "give --target a folder or a name for a new one".to_owned(),
        ),
        UnpackError::Conflict(why) => (
            anyhow::anyhow!("{why}; nothing was changed"),
            "move it out of the way (or restore elsewhere with --target) and restore again"
                .to_owned(),
        ),
        UnpackError::Interrupted => (
            anyhow::anyhow!("interrupted; nothing was changed"),
            "run the restore again".to_owned(),
        ),
    };
    super::Failed::Running(error.context(Hint::new(hint)))
}

/// Compares one read of an archive with its manifest and its sidecars.
fn check_read(path: &Path, outcome: ReadOutcome) -> Checked {
    let mut problems = Vec::new();
    let unverified = outcome.manifest.is_none();
    if let Some(manifest) = &outcome.manifest {
        problems.extend(archive::compare(manifest, &outcome.entries));
    } else if outcome.manifest_bytes.is_some() {
        problems.push(format!(
            "entry {}: not a readable manifest",
            manifest::MANIFEST_PATH
        ));
    }
    if let Some(recorded) = catalog::read_sidecar_sha256(path)
        && recorded != outcome.archive_sha256
    {
        problems.push(format!(
            "file {}: SHA-256 differs from {}",
            file_name(path),
            file_name(&catalog::sha256_path(path))
        ));
    }
    if let (Ok(copy), Some(inside)) = (
        std::fs::read(catalog::manifest_path(path)),
        &outcome.manifest_bytes,
    ) && &copy != inside
    {
        problems.push(format!(
            "file {}: differs from the manifest inside the archive",
            file_name(&catalog::manifest_path(path))
        ));
    }
    Checked {
        outcome,
        problems,
        unverified,
    }
}

/// Reads and checks a whole archive, with a progress bar on a terminal.
fn read_and_check(path: &Path, context: &Context) -> Result<Checked, archive::ReadError> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let counter = Arc::new(AtomicU64::new(0));
    let _follow = Follow::start(progress_bar(context, size, "verify"), &counter);
    let outcome = archive::read(path, Some(Arc::clone(&counter)), |_| Ok(()))?;
    Ok(check_read(path, outcome))
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Lines of "what happened to which path" as a report section.
fn notes_section(name: &str, title: &str, notes: &[(String, String)]) -> Section {
    Section {
        name: name.to_owned(),
        title: title.to_owned(),
        columns: vec![Column::new("path", "PATH"), Column::new("note", "NOTE")],
        rows: notes
            .iter()
            .map(|(path, note)| vec![Cell::Text(path.clone()), Cell::Text(note.clone())])
            .collect(),
    }
}

/// One WARNING check summing up per-path notes, the first few named.
fn notes_check(name: &str, notes: &[(String, String)], hint: &str) -> Option<Check> {
    if notes.is_empty() {
        return None;
    }
    let first: Vec<String> = notes
        .iter()
        .take(3)
        .map(|(path, note)| format!("{path}: {note}"))
        .collect();
    let more = if notes.len() > 3 {
        format!(" (and {} more)", notes.len() - 3)
    } else {
        String::new()
    };
    Some(
        Check::new(name, Status::Warning, format!("{}{more}", first.join("; ")))
            .with_value(notes.len() as f64, crate::report::Unit::Count)
            .with_hint(hint),
    )
}
