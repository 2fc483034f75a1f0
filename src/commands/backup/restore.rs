//! `maint backup restore`: an archive into a folder, verified while it is
//! extracted into a private staging folder beside the target, every entry
//! checked by maint itself (the `tar` crate's `unpack` skips or follows
//! dangerous entries), then swapped into place in one rename. The current
//! contents are archived first; a database goes through a scratch database.

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow};
use chrono::Utc;
use rustix::fs::{AtFlags, CWD, RenameFlags, Timestamps};

use super::create::{self, DbPlan, Plan};
use super::{Checked, Follow, check_read, notes_check, notes_section, progress_bar};
use crate::cli::BackupRestoreArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::report::{Cell, Check, Column, Kind, Report, Section, Status, Unit};
use crate::storage::archive::{self, Entry, EntryKind, ReadError};
use crate::storage::database::{self, DbError};
use crate::storage::manifest::{self, Manifest};
use crate::units::{human_bytes, human_duration};

/// Whether a symlink at archive path `entry` pointing to `link` leaves the
/// folder `root` (an absolute path) it is restored under.
pub(super) fn link_escapes(entry: &str, link: &str, root: &str) -> bool {
    let mut stack: Vec<&str> = entry
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    stack.pop();
    let relative = if link.starts_with('/') {
        let root_path = Path::new(root);
        match Path::new(link).strip_prefix(root_path) {
            Ok(rest) => {
                stack.clear();
                rest.to_string_lossy().into_owned()
            }
            Err(_) => return true,
        }
    } else {
        link.to_owned()
    };
    for component in relative.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if stack.pop().is_none() {
                    return true;
                }
            }
            name => stack.push(name),
        }
    }
    false
}

/// Why an entry must not be extracted, if it must not.
fn refusal(entry: &Entry<'_>) -> Option<String> {
    let raw = &entry.raw_path;
    if raw.starts_with('/') {
        return Some(format!("entry {raw}: absolute path"));
    }
    if entry.path.split('/').any(|c| c == "..") {
        return Some(format!("entry {raw}: `..` in the path"));
    }
    match &entry.kind {
        EntryKind::CharDevice | EntryKind::BlockDevice => {
            Some(format!("entry {raw}: a device file"))
        }
        EntryKind::Other(byte) => Some(format!(
            "entry {raw}: unsupported tar entry type {:?}",
            char::from(*byte)
        )),
        _ => None,
    }
}

/// Metadata applied once everything is written (a read-only folder must
/// not block its own contents; a folder's mtime changes as files land).
struct Finish {
    path: String,
    mode: u32,
    mtime: i64,
    owner: (u32, u32),
    dir: bool,
    link: bool,
}

/// The extraction: staging, what was seen, what is left to do at the end.
pub(super) struct Extract {
    pub staging: PathBuf,
    /// The folder the tree will live in (symlinks must stay inside it).
    pub target: String,
    /// Also accept absolute links inside this folder (a drill restores a
    /// backup of ROOT somewhere else).
    pub also_inside: Option<String>,
    /// Write nothing: validate only (`--dry-run`).
    pub dry_run: bool,
    /// Where the database dump goes, when one is wanted.
    pub dump_to: Option<PathBuf>,
    seen: HashSet<String>,
    files: HashSet<String>,
    symlinks: HashSet<String>,
    links: Vec<(String, String)>,
    finish: Vec<Finish>,
    pub notes: Vec<(String, String)>,
    pub bytes: u64,
    buffer: Vec<u8>,
}

impl Extract {
    pub(super) fn new(staging: PathBuf, target: String, dry_run: bool) -> Extract {
        Extract {
            staging,
            target,
            also_inside: None,
            dry_run,
            dump_to: None,
            seen: HashSet::new(),
            files: HashSet::new(),
            symlinks: HashSet::new(),
            links: Vec::new(),
            finish: Vec::new(),
            notes: Vec::new(),
            bytes: 0,
            buffer: vec![0; 256 * 1024],
        }
    }

    fn refuse(&self, why: String) -> ReadError {
        ReadError::Refused(why)
    }

    /// Checks one entry and, unless a dry run, writes it into staging.
    pub(super) fn visit(&mut self, entry: &mut Entry<'_>) -> Result<(), ReadError> {
        if crate::interrupt::requested() {
            return Err(self.refuse("interrupted by a signal".to_owned()));
        }
        if let Some(why) = refusal(entry) {
            return Err(self.refuse(why));
        }
        let path = entry.path.clone();
        if manifest::is_meta(&path) {
            if path == manifest::DUMP_PATH
                && let Some(out) = self.dump_to.clone()
                && !self.dry_run
            {
                let mut file = fs::File::create(&out).map_err(ReadError::Io)?;
                entry
                    .copy_to(&mut file, &mut self.buffer)
                    .map_err(ReadError::Io)?;
            }
            return Ok(());
        }
        if !self.seen.insert(path.clone()) {
            return Err(self.refuse(format!("entry {path}: appears twice")));
        }
        if let Some(through) = ancestors(&path).find(|a| self.symlinks.contains(*a)) {
            return Err(self.refuse(format!("entry {path}: lies behind the symlink {through}")));
        }
        let owner = (entry.uid, entry.gid);
        match entry.kind.clone() {
            EntryKind::Dir => {
                if path != "." && !self.dry_run {
                    fs::create_dir_all(self.staging.join(&path)).map_err(ReadError::Io)?;
                }
                self.finish.push(Finish {
                    path,
                    mode: entry.mode,
                    mtime: entry.mtime,
                    owner,
                    dir: true,
                    link: false,
                });
            }
            EntryKind::File => {
                self.files.insert(path.clone());
                self.bytes += entry.size;
                if !self.dry_run {
                    self.write_file(entry, &path).map_err(ReadError::Io)?;
                }
                self.finish.push(Finish {
                    path,
                    mode: entry.mode,
                    mtime: entry.mtime,
                    owner,
                    dir: false,
                    link: false,
                });
            }
            EntryKind::HardLink(to) => {
                let to = archive::normalise(&to);
                if !self.files.contains(&to) {
                    return Err(self.refuse(format!(
                        "entry {path}: hard link to {to}, which is not a file earlier in the archive"
                    )));
                }
                if !self.dry_run {
                    self.make_parent(&path).map_err(ReadError::Io)?;
                    fs::hard_link(self.staging.join(&to), self.staging.join(&path))
                        .map_err(ReadError::Io)?;
                }
                self.files.insert(path);
            }
            EntryKind::Symlink(to) => {
                let escapes = link_escapes(&path, &to, &self.target)
                    && self
                        .also_inside
                        .as_deref()
                        .is_none_or(|root| link_escapes(&path, &to, root));
                if escapes {
                    return Err(self.refuse(format!(
                        "entry {path}: symlink to {to} points outside the target {}",
                        self.target
                    )));
                }
                self.symlinks.insert(path.clone());
                self.links.push((path.clone(), to));
                self.finish.push(Finish {
                    path,
                    mode: 0o777,
                    mtime: entry.mtime,
                    owner,
                    dir: false,
                    link: true,
                });
            }
            EntryKind::Fifo => {
                self.notes.push((path, "skipped: a fifo".to_owned()));
            }
            EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Other(_) => {
                unreachable!("refused above")
            }
        }
        Ok(())
    }

    fn make_parent(&self, path: &str) -> io::Result<()> {
        match Path::new(path).parent() {
            Some(parent) if !parent.as_os_str().is_empty() => {
                fs::create_dir_all(self.staging.join(parent))
            }
            _ => Ok(()),
        }
    }

    fn write_file(&mut self, entry: &mut Entry<'_>, path: &str) -> io::Result<()> {
        self.make_parent(path)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(self.staging.join(path))?;
        entry.copy_to(&mut file, &mut self.buffer)?;
        Ok(())
    }

    /// Symlinks, owners, modes and times, once every entry is in; times
    /// to the nanosecond when the manifest has them.
    pub(super) fn complete(&mut self, manifest: Option<&Manifest>) -> io::Result<()> {
        if self.dry_run {
            return Ok(());
        }
        for (path, to) in &self.links {
            self.make_parent(path)?;
            std::os::unix::fs::symlink(to, self.staging.join(path))?;
        }
        let precise: HashMap<&str, (i64, u32)> = manifest
            .map(|m| {
                m.entries
                    .iter()
                    .map(|e| (e.path.as_str(), (e.mtime, e.mtime_ns)))
                    .collect()
            })
            .unwrap_or_default();
        let as_root = rustix::process::geteuid().is_root();
        // Deepest first, folders after what they hold.
        self.finish.sort_by(|a, b| {
            (a.dir, std::cmp::Reverse(a.path.matches('/').count()))
                .cmp(&(b.dir, std::cmp::Reverse(b.path.matches('/').count())))
        });
        for item in &self.finish {
            let full = if item.path == "." {
                self.staging.clone()
            } else {
                self.staging.join(&item.path)
            };
            if as_root {
                std::os::unix::fs::lchown(&full, Some(item.owner.0), Some(item.owner.1))?;
            }
            if !item.link {
                fs::set_permissions(&full, fs::Permissions::from_mode(item.mode & 0o7777))?;
            }
            let (seconds, nanos) = precise
                .get(item.path.as_str())
                .copied()
                .unwrap_or((item.mtime, 0));
            let time = rustix::fs::Timespec {
                tv_sec: seconds,
                tv_nsec: nanos.into(),
            };
            rustix::fs::utimensat(
                CWD,
                &full,
                &Timestamps {
                    last_access: time,
                    last_modification: time,
                },
                AtFlags::SYMLINK_NOFOLLOW,
            )?;
        }
        Ok(())
    }
}

/// `a/b/c` -> `a`, `a/b`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(at, _)| &path[..at])
}

struct Settings {
    archive: PathBuf,
    target: PathBuf,
    parent: PathBuf,
    exists: bool,
    non_empty: bool,
    database: Option<DbPlan>,
}

fn resolve(args: &BackupRestoreArgs, context: &Context) -> Result<Settings> {
    match fs::metadata(&args.archive) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            return Err(anyhow!("archive {} is not a file", args.archive.display())).context(
                Hint::new("name a .tar.gz file; maint backup list shows them"),
            );
        }
        Err(err) => {
            return Err(err)
                .with_context(|| format!("cannot read archive {}", args.archive.display()))
                .context(Hint::new("maint backup list shows the archives"));
        }
    }
    let file_name = args
        .target
        .file_name()
        .ok_or_else(|| anyhow!("restore target {} names no folder", args.target.display()))
        .context(Hint::new(
            "name the folder to restore into, e.g. --target /srv/app",
        ))?;
    let parent = crate::storage::atomic::parent_dir(&args.target);
    let parent = fs::canonicalize(parent)
        .with_context(|| format!("the folder {} does not exist", parent.display()))
        .context(Hint::new(format!("mkdir -p {}", parent.display())))?;
    let target = parent.join(file_name);
    let (exists, non_empty) = match fs::symlink_metadata(&target) {
        Ok(m) if m.is_dir() => (
            true,
            fs::read_dir(&target)
                .with_context(|| format!("cannot read restore target {}", target.display()))?
                .next()
                .is_some(),
        ),
        Ok(_) => {
            return Err(anyhow!(
                "restore target {} is a file, not a folder",
                target.display()
            ))
            .context(Hint::new("give --target a folder (it may not exist yet)"));
        }
        Err(_) => (false, false),
    };
    if non_empty && !args.force && !args.dry_run {
        return Err(anyhow!("restore target {} is not empty", target.display())).context(
            Hint::new(
                "add --force to replace it (its contents are archived first), or --dry-run to see what would change",
            ),
        );
    }
    let database = match &args.db {
        Some(url) => Some(create::db_plan(&url.0, context)?),
        None => None,
    };
    Ok(Settings {
        archive: args.archive.clone(),
        target,
        parent,
        exists,
        non_empty,
        database,
    })
}

/// Removes the staging folder unless it was swapped into place.
struct Staging(Option<PathBuf>);

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            make_writable(&path);
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Folders restored read-only must become writable before they can be removed.
fn make_writable(path: &Path) {
    if let Ok(entries) = fs::read_dir(path) {
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o700));
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                make_writable(&entry.path());
            }
        }
    } else {
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o700));
    }
}

fn staging_path(parent: &Path, target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent.join(format!(".maint-restore-{name}-{}", std::process::id()))
}

/// Staging folders of restores that died (their process is gone).
fn remove_stale_staging(parent: &Path, target: &Path) {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".maint-restore-{name}-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = file_name.strip_prefix(&prefix)
            && pid.parse::<u32>().is_ok()
            && !Path::new("/proc").join(pid).exists()
        {
            make_writable(&entry.path());
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn refused(archive: &Path, err: ReadError) -> Failed {
    match err {
        ReadError::Refused(why) => Failed::Running(
            anyhow!(
                "refused to restore {}: {why}; nothing was changed",
                archive.display()
            )
            .context(Hint::new(format!(
                "the archive is unsafe to extract: inspect it with tar tvzf {}",
                archive.display()
            ))),
        ),
        ReadError::Damaged { .. } => Failed::Running(
            anyhow!(
                "cannot restore {}: {err}; nothing was changed",
                archive.display()
            )
            .context(Hint::new(format!(
                "maint backup verify {}; restore an older backup",
                archive.display()
            ))),
        ),
        other => Failed::Running(
            anyhow!(other)
                .context(format!(
                    "cannot restore {}; nothing was changed",
                    archive.display()
                ))
                .context(Hint::new(
                    "check free space and permissions beside the target",
                )),
        ),
    }
}

pub fn execute(args: &BackupRestoreArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let settings = resolve(args, context).map_err(Failed::Setup)?;
    if args.dry_run {
        return dry_run(&settings, context, started, clock);
    }
    let _ = crate::interrupt::install();
    remove_stale_staging(&settings.parent, &settings.target);
    let staging_dir = staging_path(&settings.parent, &settings.target);
    fs::create_dir(&staging_dir)
        .and_then(|()| fs::set_permissions(&staging_dir, fs::Permissions::from_mode(0o700)))
        .with_context(|| format!("cannot create the staging folder {}", staging_dir.display()))
        .context(Hint::new(format!("ls -ld {}", settings.parent.display())))
        .map_err(Failed::Setup)?;
    let mut staging = Staging(Some(staging_dir.clone()));
    let mut extract = Extract::new(
        staging_dir.clone(),
        settings.target.display().to_string(),
        false,
    );
    let dump_path = staging_dir.join(".maint-restore-database.dump");
    if settings.database.is_some() {
        extract.dump_to = Some(dump_path.clone());
    }
    let checked = extract_archive(&settings.archive, &mut extract, context)?;
    if settings.database.is_some()
        && checked
            .outcome
            .manifest
            .as_ref()
            .and_then(|m| m.database.as_ref())
            .is_none()
    {
        return Err(Failed::Setup(
            anyhow!(
                "archive {} holds no database dump",
                settings.archive.display()
            )
            .context(Hint::new("leave out --db, or pick a backup made with --db")),
        ));
    }
    extract
        .complete(checked.outcome.manifest.as_ref())
        .with_context(|| format!("cannot finish the staged tree in {}", staging_dir.display()))
        .map_err(Failed::Running)?;

    let mut report = Report::new("backup restore", Kind::Action, started);
    report
        .checks
        .push(verify_check(&settings.archive, &checked));

    // The database first into a scratch database: nothing live changes until it matches.
    let mut database_swap = None;
    if let (Some(db), Some(manifest)) = (&settings.database, checked.outcome.manifest.as_ref())
        && let Some(recorded) = &manifest.database
    {
        let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
        let name = db.target.dbname().to_owned();
        let scratch = database::derived_name(&name, &format!("_maint_restore_{stamp}"));
        let rollback = database::derived_name(&name, &format!("_before_restore_{stamp}"));
        context.note(|| format!("restoring the dump into scratch database {scratch}"));
        database::restore_scratch(&db.target, &db.pg_restore, &dump_path, &scratch)
            .map_err(|e| db_failed(e, &db.target.display))?;
        let counts = database::count_in(&db.target, &scratch);
        let problems = match &counts {
            Ok(actual) => database::compare_counts(&recorded.tables, actual),
            Err(err) => vec![err.to_string()],
        };
        if let Some(problem) = problems.first() {
            let _ = database::drop_database(&db.target, &scratch);
            return Err(Failed::Running(
                anyhow!("the restored database does not match the manifest: {problem}; nothing was changed")
                    .context(Hint::new("restore an older backup; maint backup verify checks archives")),
            ));
        }
        database_swap = Some((db, scratch, rollback, recorded.tables.clone()));
    }
    let _ = fs::remove_file(&dump_path);

    // Keep what is there now, as an archive beside the one restored.
    let mut saved = None;
    if settings.non_empty {
        let dest = crate::storage::atomic::parent_dir(&settings.archive).to_path_buf();
        let _lock = create::take_lock(&dest, "maint backup restore (pre-restore archive)")?;
        let name = checked
            .outcome
            .manifest
            .as_ref()
            .map_or_else(|| "restore".to_owned(), |m| m.name.clone());
        let plan = Plan {
            dest,
            name,
            kind: "pre-restore".to_owned(),
            root: settings.target.clone(),
            sources: vec![settings.target.clone()],
            excludes: Vec::new(),
            database: None,
            threads: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            level: 6,
        };
        context.note(|| {
            format!(
                "archiving the current contents of {}",
                settings.target.display()
            )
        });
        let made = create::make(&plan, context).map_err(|failed| match failed {
            Failed::Setup(e) | Failed::Running(e) => Failed::Running(
                e.context("cannot keep the current contents before restoring; nothing was changed"),
            ),
        })?;
        saved = Some(made.archive);
    }

    swap_into_place(&staging_dir, &settings)
        .with_context(|| {
            format!(
                "cannot put the restored tree in place at {}",
                settings.target.display()
            )
        })
        .map_err(Failed::Running)?;
    if settings.exists {
        // The old contents are now in the staging path; the pre-restore archive keeps them.
        staging.0 = Some(staging_dir.clone());
    } else {
        staging.0 = None;
    }

    if let Some((db, scratch, rollback, tables)) = database_swap {
        match database::swap_in(&db.target, &scratch, &rollback, args.force) {
            Ok(replaced) => {
                let rows: i64 = tables.iter().map(|t| t.rows).sum();
                let kept = if replaced {
                    format!("; the previous database is kept as {rollback}")
                } else {
                    String::new()
                };
                report.checks.push(
                    Check::new(
                        "database",
                        Status::Ok,
                        format!(
                            "{} restored: {} tables, {rows} rows, counts match the manifest{kept}",
                            db.target.display,
                            tables.len()
                        ),
                    )
                    .with_value(rows as f64, Unit::Count),
                );
            }
            Err(err) => {
                let _ = database::drop_database(&db.target, &scratch);
                // Put the files back as they were: the restore is all or nothing.
                if settings.exists {
                    let _ = exchange(&staging_dir, &settings.target);
                    staging.0 = Some(staging_dir.clone());
                } else {
                    let _ = fs::rename(&settings.target, &staging_dir);
                    staging.0 = Some(staging_dir.clone());
                }
                return Err(db_failed(err, &db.target.display));
            }
        }
    }
    drop(staging);

    let saved_text = saved.as_ref().map_or_else(String::new, |p| {
        format!("; its previous contents are saved in {}", p.display())
    });
    report.checks.push(
        Check::new(
            "restore",
            Status::Ok,
            format!(
                "{} files ({}) restored into {} in {}{saved_text}",
                extract.files.len(),
                human_bytes(extract.bytes),
                settings.target.display(),
                human_duration(clock.elapsed())
            ),
        )
        .with_value(extract.bytes as f64, Unit::Bytes),
    );
    if let Some(check) = notes_check(
        "skipped",
        &extract.notes,
        "nothing to do: fifos are made by the programs that use them",
    ) {
        report.checks.push(check);
        report
            .sections
            .push(notes_section("skipped", "Skipped", &extract.notes));
    }
    report.duration = clock.elapsed();
    Ok(report)
}

fn db_failed(err: DbError, shown: &str) -> Failed {
    let hint = match &err {
        DbError::Connect(pg) => pg.hint(),
        _ => format!("check the database at {shown}; the live database was not changed"),
    };
    Failed::Running(anyhow::Error::new(err).context(Hint::new(hint)))
}

/// Reads the archive into the extraction, and checks it against its manifest.
pub(super) fn extract_archive(
    archive: &Path,
    extract: &mut Extract,
    context: &Context,
) -> Result<Checked, Failed> {
    let size = fs::metadata(archive).map(|m| m.len()).unwrap_or(0);
    let counter = Arc::new(AtomicU64::new(0));
    let follow = Follow::start(progress_bar(context, size, "restore"), &counter);
    let outcome = archive::read(archive, Some(Arc::clone(&counter)), |entry| {
        extract.visit(entry)
    })
    .map_err(|err| refused(archive, err))?;
    drop(follow);
    let checked = check_read(archive, outcome);
    if let Some(problem) = checked.problems.first() {
        return Err(Failed::Running(
            anyhow!(
                "cannot restore {}: damaged {problem}; nothing was changed",
                archive.display()
            )
            .context(Hint::new(format!(
                "maint backup verify {}; restore an older backup",
                archive.display()
            ))),
        ));
    }
    Ok(checked)
}

fn verify_check(archive: &Path, checked: &Checked) -> Check {
    if checked.unverified {
        Check::new(
            "verify",
            Status::Warning,
            format!(
                "{}: unverified, no manifest (made by plain tar?); the gzip CRC is good",
                archive.display()
            ),
        )
        .with_hint(
            "nothing proves the files are what was backed up: compare them with another copy",
        )
    } else {
        Check::new(
            "verify",
            Status::Ok,
            format!(
                "{}: {} entries match the manifest; gzip CRC good",
                archive.display(),
                checked.outcome.entries.len()
            ),
        )
    }
}

fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    rustix::fs::renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

/// One rename: the staged tree takes the target's place (the old tree
/// takes the staging name, to be deleted).
fn swap_into_place(staging: &Path, settings: &Settings) -> io::Result<()> {
    // The restored data reaches the disk before it takes the target's place:
    // after a power cut the target is the old tree or the whole new one.
    rustix::fs::syncfs(fs::File::open(staging)?)?;
    if settings.exists {
        exchange(staging, &settings.target)?;
    } else {
        fs::rename(staging, &settings.target)?;
    }
    fs::File::open(&settings.parent)?.sync_all()
}

fn dry_run(
    settings: &Settings,
    context: &Context,
    started: chrono::DateTime<Utc>,
    clock: Instant,
) -> Outcome {
    let mut extract = Extract::new(PathBuf::new(), settings.target.display().to_string(), true);
    let checked = extract_archive(&settings.archive, &mut extract, context)?;
    let mut rows = Vec::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut listed = HashSet::new();
    for seen in &checked.outcome.entries {
        if manifest::is_meta(&seen.path) || seen.path == "." {
            continue;
        }
        listed.insert(seen.path.clone());
        let action = change_of(&settings.target.join(&seen.path), seen);
        *counts.entry(action).or_default() += 1;
        if action != "unchanged" {
            rows.push(vec![
                Cell::Text(action.to_owned()),
                Cell::Text(seen.path.clone()),
            ]);
        }
    }
    if settings.exists {
        let mut stack = vec![(settings.target.clone(), String::new())];
        while let Some((dir, rel)) = stack.pop() {
            for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                if !listed.contains(&path) {
                    *counts.entry("remove").or_default() += 1;
                    rows.push(vec![Cell::Text("remove".to_owned()), Cell::Text(path)]);
                } else if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push((entry.path(), path));
                }
            }
        }
    }
    rows.sort_by(|a, b| format!("{:?}", a[1]).cmp(&format!("{:?}", b[1])));
    let count = |what: &str| counts.get(what).copied().unwrap_or(0);
    let mut report = Report::new("backup restore", Kind::Action, started);
    report
        .checks
        .push(verify_check(&settings.archive, &checked));
    let mut message = format!(
        "dry run, nothing changed: {} to add, {} to replace, {} to remove, {} unchanged in {}",
        count("add"),
        count("replace"),
        count("remove"),
        count("unchanged"),
        settings.target.display()
    );
    if settings.non_empty {
        message.push_str("; the target is not empty: a real restore needs --force");
    }
    report
        .checks
        .push(Check::new("restore", Status::Ok, message));
    report.sections.push(Section {
        name: "changes".to_owned(),
        title: "What a restore would change".to_owned(),
        columns: vec![Column::new("action", "ACTION"), Column::new("path", "PATH")],
        rows,
    });
    report.duration = clock.elapsed();
    Ok(report)
}

/// What restoring one entry would do to what is at `path` now.
fn change_of(path: &Path, seen: &archive::Seen) -> &'static str {
    let Ok(metadata) = fs::symlink_metadata(path) else {
        return "add";
    };
    let same = match &seen.kind {
        EntryKind::Dir => metadata.is_dir(),
        EntryKind::Symlink(to) => {
            metadata.file_type().is_symlink()
                && fs::read_link(path).is_ok_and(|t| t.as_os_str() == to.as_str())
        }
        EntryKind::File => {
            metadata.is_file()
                && metadata.len() == seen.size
                && seen.sha256.as_deref() == sha256_of(path).ok().as_deref()
        }
        _ => false,
    };
    if same { "unchanged" } else { "replace" }
}

pub(super) fn sha256_of(path: &Path) -> io::Result<String> {
    archive::sha256_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_that_leave_the_target_are_found() {
        let root = "/srv/app";
        assert!(!link_escapes("a/l", "b", root));
        assert!(!link_escapes("a/l", "../b", root));
        assert!(link_escapes("a/l", "../../b", root));
        assert!(link_escapes("l", "/etc/passwd", root));
        assert!(!link_escapes("l", "/srv/app/data", root));
        assert!(link_escapes("l", "/srv/app/../etc", root));
        assert!(link_escapes("l", "/srv/apple", root));
        assert!(link_escapes("l", "..", root));
    }

    #[test]
    fn ancestors_are_listed_top_down() {
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), ["a", "a/b"]);
        assert_eq!(ancestors("a").count(), 0);
    }
}
