//! `maint backup create | list | verify | prune | restore | drill`: the
//! subcommands and what they share (the destination folder, progress bars,
//! checking a read archive against its manifest and sidecars).

mod copies;
mod create;
mod create_parts;
mod drill;
mod fetch;
mod find;
mod list;
mod prune;
mod restore;
mod restore_chain;
mod restore_db;
mod restore_report;
mod restore_table;
mod shared;
mod verify;

use shared::{DbPlan, db_plan, work_folder};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result};

use super::{Context, Outcome};
use crate::cli::BackupCommand;
use crate::error::Hint;
use crate::report::{Cell, Check, Column, Section, Status};
use crate::storage::archive::{self, ReadOutcome};
use crate::storage::destination::{Destination as Dest, Held, Sidecars};
use crate::storage::lock::{Lock, LockError};
use crate::storage::remote::lock::{RemoteLock, RemoteLockError};
use crate::storage::remote::{Location, Remote};
use crate::storage::unpack::UnpackError;
use crate::storage::{catalog, crypt, manifest};

pub fn execute(command: &BackupCommand, context: &Context) -> Outcome {
    match command {
        BackupCommand::Create(args) => with_hooks(context, || create::execute(args, context)),
        BackupCommand::List(args) => list::execute(args, context),
        BackupCommand::Verify(args) => verify::execute(args, context),
        BackupCommand::Find(args) => find::execute(args, context),
        BackupCommand::Prune(args) => prune::execute(args, context),
        BackupCommand::Restore(args) if !args.table.is_empty() => {
            restore_table::execute(args, context)
        }
        BackupCommand::Restore(args) => restore::execute(args, context),
        BackupCommand::Drill(args) => drill::execute(args, context),
    }
}

/// `backup create` between the `[backup]` hooks: a failed `before` skips the
/// backup (exit 2); a failed `after` or `on_failure` is a CRITICAL check.
fn with_hooks(context: &Context, work: impl FnOnce() -> Outcome) -> Outcome {
    let backup = &context.config.config.backup;
    let hooks = crate::config::hooks(
        &backup.before,
        &backup.after,
        &backup.on_failure,
        backup.hook_timeout,
    );
    if hooks.is_empty() {
        return work();
    }
    let env = [("MAINT_COMMAND", "backup create".to_owned())];
    let done = |outcome: &Outcome| {
        outcome
            .as_ref()
            .is_ok_and(|report| crate::exit::ExitCode::for_report(report).code() < 2)
    };
    let (outcome, runs) = hooks.around(&env, work, done);
    let Some(outcome) = outcome else {
        let failed = crate::hooks::failures(&runs);
        let first = failed
            .first()
            .map_or_else(String::new, |c| format!("{} ({})", c.name, c.message));
        return Err(super::Failed::running(
            anyhow::anyhow!("no backup was made: {first} failed").context(Hint::new(
                "fix the [backup] before hook of maint.toml, or run it by hand",
            )),
        ));
    };
    outcome.map(|mut report| {
        report.checks.extend(crate::hooks::failures(&runs));
        report.sections.extend(crate::hooks::section(&runs));
        report
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

/// The backups in `dest`, with the hint that fits when it cannot be listed.
fn scan(dest: &Dest) -> Result<Vec<catalog::Backup>> {
    dest.scan().map_err(anyhow::Error::new).context(match dest {
        Dest::Local(dir) => Hint::new(format!("ls -ld {}", dir.display())),
        Dest::Remote(remote) => remote_hint(remote),
    })
}

/// What to check when a remote fails, without ever showing a secret.
fn remote_hint(remote: &Remote) -> Hint {
    Hint::new(format!(
        "check the endpoint, the bucket and the credentials for {} (AWS_ACCESS_KEY_ID, ~/.aws/credentials, [backup.s3])",
        remote.shown()
    ))
}

/// An `s3://` location, resolved with `[backup.s3]` and the AWS settings.
fn open_remote(text: &str, context: &Context) -> Result<Arc<Remote>> {
    let location = Location::parse(text)
        .map_err(anyhow::Error::new)
        .context(Hint::new(
            "give s3://BUCKET/PREFIX (endpoint, region and path style in [backup.s3] or as ?endpoint=…&region=…)",
        ))?;
    let settings = context.config.config.backup.s3.settings();
    let remote = Remote::open(&location, &settings)
        .map_err(anyhow::Error::new)
        .context(Hint::new(
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials ([backup.s3] profile)",
        ))?;
    let remote = Arc::new(remote);
    remote
        .check()
        .map_err(anyhow::Error::new)
        .context(remote_hint(&remote))?;
    Ok(remote)
}

/// The destination: the flag, else `[backup] dest`; a folder must exist,
/// a bucket must answer.
fn destination(flag: Option<&PathBuf>, context: &Context) -> Result<Dest> {
    let dest = flag
        .or(context.config.config.backup.dest.as_ref())
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no backup folder given"))
        .context(Hint::new(
            "pass --dest DIR or set dest in [backup] of maint.toml",
        ))?;
    open_destination(dest, context)
}

/// A folder (it must exist) or an `s3://` location (it must answer).
fn open_destination(dest: PathBuf, context: &Context) -> Result<Dest> {
    if let Some(text) = dest.to_str()
        && Location::is_remote(text)
    {
        return open_remote(text, context).map(Dest::Remote);
    }
    match std::fs::metadata(&dest) {
        Ok(metadata) if metadata.is_dir() => Ok(Dest::Local(dest)),
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
) -> Result<(Dest, Vec<catalog::Backup>), super::Failed> {
    let dest = destination(flag, context).map_err(super::Failed::Setup)?;
    let backups = scan(&dest).map_err(super::Failed::Setup)?;
    Ok((dest, backups))
}

/// The lock of a destination, with the stale locks it removed on the way in.
fn take_dest_lock(dest: &Dest, what: &str) -> Result<(Held, Vec<String>), super::Failed> {
    match dest {
        Dest::Local(dir) => take_lock(dir, what).map(|lock| (Held::Local(lock), Vec::new())),
        Dest::Remote(remote) => match RemoteLock::acquire(remote, what) {
            Ok(mut lock) => {
                let removed = std::mem::take(&mut lock.removed);
                Ok((Held::Remote(lock), removed))
            }
            Err(err) => {
                let hint = match &err {
                    RemoteLockError::Held { .. } => Hint::new(
                        "wait for that run to finish (two runs must not write one destination at once)",
                    ),
                    RemoteLockError::Remote(_) => remote_hint(remote),
                };
                Err(super::Failed::Setup(anyhow::Error::new(err).context(hint)))
            }
        },
    }
}

/// The private key for encrypted archives, read before anything starts.
fn identities(flag: Option<&PathBuf>) -> Result<Option<crypt::Identities>> {
    flag.map(|path| {
        crypt::Identities::load(path)
            .map_err(anyhow::Error::new)
            .context(Hint::new(
                "give --identity the age identity file (age-keygen) or the SSH private key the backups were encrypted to",
            ))
    })
    .transpose()
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
    let sidecars = Sidecars {
        sha256: catalog::read_sidecar_sha256(path),
        manifest: std::fs::read(catalog::manifest_path(path)).ok(),
    };
    let stored = outcome.archive_sha256.clone();
    check_against(path, outcome, &sidecars, &stored)
}

/// Compares one read of an archive with its manifest and its sidecars;
/// `stored` is the SHA-256 of the bytes as stored.
fn check_against(path: &Path, outcome: ReadOutcome, sidecars: &Sidecars, stored: &str) -> Checked {
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
    if let Some(recorded) = &sidecars.sha256
        && recorded != stored
    {
        problems.push(format!(
            "file {}: SHA-256 differs from {}",
            file_name(path),
            file_name(&catalog::sha256_path(path))
        ));
    }
    if let (Some(copy), Some(inside)) = (&sidecars.manifest, &outcome.manifest_bytes)
        && copy != inside
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
