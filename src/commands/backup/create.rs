//! `maint backup create`: sources (and a database dump) into one verified
//! `.tar.gz`, written under a temporary name, synced, read back and checked,
//! then renamed into place with its sidecars.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use chrono::{SubsecRound, Utc};

use super::{Follow, check_read, file_name, notes_check, notes_section, progress_bar};
use crate::cli::BackupCreateArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::probe::postgres::Target;
use crate::report::{Check, Kind, Metric, Report, Status, Unit};
use crate::storage::archive::{ArchiveName, Following, Progress, Publishing, TarWriter};
use crate::storage::catalog::{self, LastCreate, Verification};
use crate::storage::database::{self, DbError, Dumped};
use crate::storage::lock::Lock;
use crate::storage::manifest::{self, Entry, EntryType, Manifest};
use crate::storage::pgzip::{self, ParallelGzip};
use crate::units::{human_bytes, human_duration};

/// Everything one archive is made from, validated.
pub(super) struct Plan {
    pub dest: PathBuf,
    pub name: String,
    pub kind: String,
    /// Entries are stored relative to this folder.
    pub root: PathBuf,
    pub sources: Vec<PathBuf>,
    pub excludes: Vec<String>,
    pub database: Option<DbPlan>,
    pub threads: usize,
    pub level: u32,
}

pub(super) struct DbPlan {
    pub target: Target,
    pub pg_dump: PathBuf,
    pub pg_restore: PathBuf,
}

/// A finished, verified archive under its final name.
pub(super) struct Made {
    pub archive: PathBuf,
    pub manifest: Manifest,
    pub summary: pgzip::Summary,
    /// Paths skipped or changed while they were read.
    pub notes: Vec<(String, String)>,
    pub database: Option<Dumped>,
    pub elapsed: Duration,
}

pub fn execute(args: &BackupCreateArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let plan = resolve(args, context).map_err(Failed::Setup)?;
    let _ = crate::interrupt::install();
    let _lock = take_lock(&plan.dest, "maint backup create")?;
    let recovered = catalog::recover(&plan.dest)
        .with_context(|| format!("cannot clean up {}", plan.dest.display()))
        .map_err(Failed::Running)?;
    let mut state = LastCreate {
        status: "running".to_owned(),
        pid: std::process::id(),
        started_at: started,
        finished_at: None,
        archive: None,
        error: None,
    };
    catalog::write_last_create(&plan.dest, &plan.name, &state)
        .with_context(|| format!("cannot write to backup folder {}", plan.dest.display()))
        .context(Hint::new(format!(
            "df -h {}; ls -ld {}",
            plan.dest.display(),
            plan.dest.display()
        )))
        .map_err(Failed::Running)?;
    let result = make(&plan, context);
    state.finished_at = Some(Utc::now());
    match &result {
        Ok(made) => {
            state.status = "ok".to_owned();
            state.archive = Some(file_name(&made.archive));
        }
        Err(Failed::Setup(err) | Failed::Running(err)) => {
            state.status = "failed".to_owned();
            state.error = Some(
                crate::error::describe(err)
                    .trim_start_matches("maint: error: ")
                    .to_owned(),
            );
        }
    }
    // Best effort: a full disk may refuse even this; "running" with no
    // holder reads as failed too.
    let _ = catalog::write_last_create(&plan.dest, &plan.name, &state);
    let made = result?;

    let mut report = Report::new("backup create", Kind::Action, started);
    report.checks.push(archive_check(&made));
    if let Some(dumped) = &made.database {
        report.checks.push(database_check(dumped, &made.manifest));
    }
    if let Some(check) = notes_check(
        "files",
        &made.notes,
        "see the `warnings` table (maint -v or --format json); exclude paths that change or cannot be read",
    ) {
        report.checks.push(check);
        report.sections.push(notes_section(
            "warnings",
            "Skipped or changed while read",
            &made.notes,
        ));
    }
    if !recovered.is_empty() {
        report.checks.push(Check::new(
            "cleanup",
            Status::Ok,
            format!("{} (a run that died left them)", recovered.join("; ")),
        ));
    }
    let labels = [("name", plan.name.as_str())];
    report.metrics.push(Metric::new(
        "maint_backup_archive_bytes",
        "Size of the archive the last backup create wrote",
        &labels,
        made.summary.compressed_bytes as f64,
    ));
    report.metrics.push(Metric::new(
        "maint_backup_files",
        "Files in the archive the last backup create wrote",
        &labels,
        made.manifest.file_count() as f64,
    ));
    report.metrics.push(Metric::new(
        "maint_backup_last_success_timestamp_seconds",
        "When the last successful backup create finished",
        &labels,
        Utc::now().timestamp() as f64,
    ));
    report.duration = clock.elapsed();
    Ok(report)
}

pub(super) fn take_lock(dest: &Path, what: &str) -> Result<Lock, Failed> {
    Lock::acquire(&catalog::lock_path(dest), what).map_err(|err| {
        let hint = match &err {
            crate::storage::lock::LockError::Held { .. } => {
                "wait for that run to finish (two runs must not write one backup folder at once)"
            }
            crate::storage::lock::LockError::Io { .. } => "check the backup folder's permissions",
        };
        Failed::Setup(anyhow::Error::new(err).context(Hint::new(hint)))
    })
}

fn archive_check(made: &Made) -> Check {
    let summary = &made.summary;
    let ratio = if summary.compressed_bytes > 0 {
        summary.uncompressed_bytes as f64 / summary.compressed_bytes as f64
    } else {
        1.0
    };
    Check::new(
        "archive",
        Status::Ok,
        format!(
            "{}: {} files, {} -> {} ({ratio:.1}x) in {}, read back and verified",
            made.archive.display(),
            made.manifest.file_count(),
            human_bytes(made.manifest.content_bytes()),
            human_bytes(summary.compressed_bytes),
            human_duration(made.elapsed),
        ),
    )
    .with_value(summary.compressed_bytes as f64, Unit::Bytes)
}

fn database_check(dumped: &Dumped, manifest: &Manifest) -> Check {
    let rows: i64 = dumped.tables.iter().map(|t| t.rows).sum();
    let dump_size = manifest
        .entries
        .iter()
        .find(|e| e.path == manifest::DUMP_PATH)
        .map_or(0, |e| e.size);
    Check::new(
        "database",
        Status::Ok,
        format!(
            "{} (PostgreSQL {}): {} tables, {rows} rows, dump {} read back in full by pg_restore",
            dumped.database,
            dumped.server_version,
            dumped.tables.len(),
            human_bytes(dump_size)
        ),
    )
    .with_value(dump_size as f64, Unit::Bytes)
}

fn resolve(args: &BackupCreateArgs, context: &Context) -> Result<Plan> {
    let config = &context.config.config.backup;
    let dest = super::destination(args.dest.as_ref(), context)?;
    // Canonical, so a destination inside a source is recognised and left out.
    let dest = fs::canonicalize(&dest).unwrap_or(dest);
    check_writable(&dest)?;
    let given = if args.source.is_empty() {
        config.sources.clone()
    } else {
        args.source.clone()
    };
    if given.is_empty() {
        return Err(anyhow!("nothing to back up")).context(Hint::new(
            "pass --source PATH (repeatable) or set sources in [backup] of maint.toml",
        ));
    }
    let mut sources = Vec::new();
    for source in &given {
        let canonical = fs::canonicalize(source)
            .with_context(|| format!("source {} cannot be read", source.display()))
            .context(Hint::new(format!(
                "ls -ld {}; fix --source or [backup] sources",
                source.display()
            )))?;
        if !sources.contains(&canonical) {
            sources.push(canonical);
        }
    }
    let root = common_root(&sources);
    let name = match args.name.as_ref().or(config.name.as_ref()) {
        Some(name) => name.0.clone(),
        None => host_label(),
    };
    let url = args
        .db
        .as_ref()
        .or(config.db.as_ref())
        .map(|u| u.0.as_str());
    let database = match url {
        Some(url) => Some(db_plan(url, context)?),
        None => None,
    };
    let threads = config
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZero::get));
    Ok(Plan {
        dest,
        name,
        kind: args.kind.as_str().to_owned(),
        root,
        sources,
        excludes: if args.exclude.is_empty() {
            config.exclude.clone()
        } else {
            args.exclude.clone()
        },
        database,
        threads: threads.max(1),
        level: config.level.map_or(6, |l| l.0),
    })
}

pub(super) fn db_plan(url: &str, context: &Context) -> Result<DbPlan> {
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
        target,
    })
}

/// The destination must take a new file now, not after minutes of work.
fn check_writable(dest: &Path) -> Result<()> {
    let probe = dest.join(format!(
        "{}probe-{}",
        catalog::TEMP_PREFIX,
        std::process::id()
    ));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&probe)
        .with_context(|| format!("backup folder {} is not writable", dest.display()))
        .context(Hint::new(format!("ls -ld {0}; df -h {0}", dest.display())))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

fn host_label() -> String {
    let host: String = crate::probe::system::hostname()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let host = host.trim_start_matches(['-', '.']).to_owned();
    if host.is_empty() {
        "backup".to_owned()
    } else {
        host
    }
}

/// The deepest folder holding every source (a lone folder is its own root).
pub(super) fn common_root(sources: &[PathBuf]) -> PathBuf {
    let folder_of = |path: &PathBuf| {
        if path.is_dir() {
            path.clone()
        } else {
            path.parent()
                .map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
        }
    };
    let mut root = folder_of(&sources[0]);
    for source in &sources[1..] {
        while !source.starts_with(&root) {
            if !root.pop() {
                return PathBuf::from("/");
            }
        }
        if source == &root && !source.is_dir() {
            root = folder_of(source);
        }
    }
    root
}

/// Starts writing the archive to disk while it is still being made (an
/// `fdatasync` on a thread of its own every 32 MiB), so the final fsync has
/// little left to do instead of the whole file at once.
struct EarlyWriteback {
    file: File,
    since: u64,
    kick: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EarlyWriteback {
    const EVERY: u64 = 32 << 20;

    fn new(file: File) -> io::Result<EarlyWriteback> {
        let clone = file.try_clone()?;
        let (kick, kicks) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::spawn(move || {
            for () in kicks {
                let _ = clone.sync_data();
            }
        });
        Ok(EarlyWriteback {
            file,
            since: 0,
            kick: Some(kick),
            thread: Some(thread),
        })
    }

    /// Everything on disk: the caller may rename the file now.
    fn finish(mut self) -> io::Result<()> {
        self.stop();
        self.file.sync_all()
    }

    fn stop(&mut self) {
        drop(self.kick.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl io::Write for EarlyWriteback {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.since += n as u64;
        if self.since >= Self::EVERY {
            self.since = 0;
            // Never waits: a sync still running covers these bytes soon enough.
            if let Some(kick) = &self.kick {
                let _ = kick.try_send(());
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for EarlyWriteback {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Lets the read-back thread finish however the writing ends.
#[derive(Default)]
struct Published(Arc<Progress>);

impl Drop for Published {
    fn drop(&mut self) {
        self.0.close();
    }
}

enum HashJob {
    Chunk(usize, Vec<u8>),
    End(usize),
}

/// SHA-256 of each file's content on a thread of its own, off the path of
/// the thread that reads the files.
struct Hasher {
    jobs: Option<std::sync::mpsc::SyncSender<HashJob>>,
    thread: Option<std::thread::JoinHandle<Vec<(usize, String)>>>,
}

impl Hasher {
    fn start() -> Hasher {
        let (jobs, queue) = std::sync::mpsc::sync_channel::<HashJob>(64);
        let thread = std::thread::spawn(move || {
            use sha2::Digest;
            let mut digests = Vec::new();
            let mut current: Option<(usize, sha2::Sha256)> = None;
            for job in queue {
                match job {
                    HashJob::Chunk(index, data) => {
                        if current.as_ref().is_none_or(|(i, _)| *i != index) {
                            current = Some((index, sha2::Sha256::new()));
                        }
                        if let Some((_, sha)) = &mut current {
                            sha.update(&data);
                        }
                    }
                    HashJob::End(index) => {
                        let sha = match current.take() {
                            Some((i, sha)) if i == index => sha,
                            _ => sha2::Sha256::new(),
                        };
                        digests.push((index, pgzip::hex(&sha.finalize())));
                    }
                }
            }
            digests
        });
        Hasher {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    fn send(&self, job: HashJob) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(job);
        }
    }

    fn finish(&mut self) -> Vec<(usize, String)> {
        drop(self.jobs.take());
        self.thread
            .take()
            .and_then(|thread| thread.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Deletes temporaries unless the work they belong to was committed.
struct Temporaries(Vec<PathBuf>);

impl Drop for Temporaries {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = fs::remove_file(path);
        }
    }
}

fn running(err: impl Into<anyhow::Error>) -> Failed {
    Failed::Running(err.into())
}

fn db_failed(err: DbError) -> Failed {
    let hint = match &err {
        DbError::Connect(pg) => pg.hint(),
        DbError::TooOld { .. } => "install the client tools of the server's version (apt-get install postgresql-client-NN) and point pg_bin in [backup] at them".to_owned(),
        DbError::Missing { .. } => "apt-get install postgresql-client, or set pg_bin in [backup]".to_owned(),
        _ => "check the database and the PostgreSQL client tools; maint -v shows each step".to_owned(),
    };
    let setup = matches!(err, DbError::TooOld { .. } | DbError::Missing { .. });
    let error = anyhow::Error::new(err).context(Hint::new(hint));
    if setup {
        Failed::Setup(error)
    } else {
        Failed::Running(error)
    }
}

/// Makes one archive per the plan; the caller holds the destination's lock.
pub(super) fn make(plan: &Plan, context: &Context) -> Result<Made, Failed> {
    let clock = Instant::now();
    let name = archive_name(plan);
    let final_path = plan.dest.join(name.file_name());
    let temp_path = catalog::temp_path(&final_path);
    let mut temporaries = Temporaries(vec![temp_path.clone()]);

    let mut dumped = None;
    let mut dump_file = None;
    if let Some(db) = &plan.database {
        let (mut client, server_version, tool_version) =
            database::check_versions(&db.target, &db.pg_dump).map_err(db_failed)?;
        context.note(|| {
            format!(
                "dumping {} with {}",
                db.target.display,
                db.pg_dump.display()
            )
        });
        let dump_path = plan
            .dest
            .join(format!("{}{}.dump", catalog::TEMP_PREFIX, name.stem()));
        temporaries.0.push(dump_path.clone());
        let result = database::dump(
            &db.target,
            &mut client,
            &db.pg_dump,
            (server_version, tool_version),
            &dump_path,
        )
        .and_then(|d| database::validate_dump(&db.pg_restore, &dump_path, &d.tables).map(|()| d))
        .map_err(db_failed)?;
        context.note(|| "the dump reads back in full with pg_restore".to_owned());
        dumped = Some(result);
        dump_file = Some(dump_path);
    }

    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp_path)
        .with_context(|| format!("cannot create {}", temp_path.display()))
        .map_err(running)?;
    let write_failed = |err: io::Error| {
        Failed::Running(
            anyhow::Error::new(err)
                .context(format!("cannot write the archive {}", temp_path.display()))
                .context(Hint::new(format!(
                    "df -h {}; free space there or run maint backup prune",
                    plan.dest.display()
                ))),
        )
    };
    // The archive is read back from the file while it is written (its
    // gzip stream, CRC, tar structure and SHA-256), so checking costs
    // little extra time; the file is compared with what was written below.
    let published = Arc::new(Published::default());
    let reader = File::open(&temp_path)
        .with_context(|| format!("cannot read back {}", temp_path.display()))
        .map_err(running)?;
    let verifier = {
        let following = Following {
            file: reader,
            progress: Arc::clone(&published.0),
            at: 0,
        };
        std::thread::spawn(move || {
            crate::storage::archive::read_from(following, None, false, |_| Ok(()))
        })
    };
    let counter = Arc::new(AtomicU64::new(0));
    let total = if context.progress {
        planned_bytes(plan)
    } else {
        0
    };
    let files_done = Arc::new(AtomicU64::new(0));
    let follow = Follow::with_files(
        progress_bar(context, total, "backup"),
        &counter,
        Some(Arc::clone(&files_done)),
    );
    let output = Publishing {
        inner: EarlyWriteback::new(file).map_err(write_failed)?,
        progress: Arc::clone(&published.0),
    };
    let gzip = ParallelGzip::new(output, plan.level, plan.threads);
    let mut walker = Walker {
        tar: TarWriter::new(gzip),
        root: plan.root.clone(),
        excludes: &plan.excludes,
        skip: [plan.dest.clone()].into_iter().collect(),
        entries: Vec::new(),
        notes: Vec::new(),
        seen: HashSet::new(),
        counter: Arc::clone(&counter),
        files_done,
        hasher: Hasher::start(),
    };
    walker.add_root().map_err(write_failed)?;
    if let Some(path) = &dump_file {
        walker.add_dump(path).map_err(write_failed)?;
    }
    for source in &plan.sources {
        walker.add_source(source).map_err(|err| {
            if crate::interrupt::requested() {
                Failed::Running(anyhow!("interrupted; nothing was kept"))
            } else {
                write_failed(err)
            }
        })?;
    }
    let mut entries = std::mem::take(&mut walker.entries);
    for (index, digest) in walker.hasher.finish() {
        entries[index].sha256 = Some(digest);
    }
    let manifest = Manifest {
        format_version: manifest::FORMAT_VERSION,
        maint_version: env!("CARGO_PKG_VERSION").to_owned(),
        name: plan.name.clone(),
        kind: plan.kind.clone(),
        host: crate::probe::system::hostname(),
        created_at: name.created_at,
        root: plan.root.display().to_string(),
        sources: plan
            .sources
            .iter()
            .map(|s| s.display().to_string())
            .collect(),
        excludes: plan.excludes.clone(),
        entries,
        database: dumped.as_ref().map(|d| manifest::Database {
            name: d.database.clone(),
            server_version: d.server_version.clone(),
            pg_dump_version: d.pg_dump_version.clone(),
            dump: manifest::DUMP_PATH.to_owned(),
            tables: d.tables.clone(),
        }),
        warnings: walker
            .notes
            .iter()
            .map(|(p, n)| format!("{p}: {n}"))
            .collect(),
    };
    let manifest_bytes = manifest.to_bytes();
    let notes = std::mem::take(&mut walker.notes);
    let (output, summary) = (|| {
        walker.tar.header(
            manifest::MANIFEST_PATH,
            tar::EntryType::Regular,
            manifest_bytes.len() as u64,
            0o600,
            Utc::now().timestamp(),
            (0, 0),
            None,
        )?;
        walker
            .tar
            .content(&mut &manifest_bytes[..], manifest_bytes.len() as u64)?;
        walker.tar.finish()?.finish()
    })()
    .map_err(write_failed)?;
    output.inner.finish().map_err(write_failed)?;
    drop(follow);
    if let Some(path) = dump_file {
        let _ = fs::remove_file(path);
    }

    context.note(|| format!("checking what was read back from {}", temp_path.display()));
    published.0.close();
    let outcome = verifier
        .join()
        .map_err(|_| running(anyhow!("the read-back thread panicked")))?
        .map_err(|err| {
            running(anyhow!(err).context("the archive just written does not read back"))
        })?;
    let checked = check_read(&temp_path, outcome);
    let mut problems = checked.problems;
    if checked.outcome.archive_sha256 != summary.sha256 {
        problems.push("the archive on disk differs from what was written".to_owned());
    }
    if checked.outcome.manifest_bytes.as_deref() != Some(&manifest_bytes[..]) {
        problems.push("the manifest read back differs from the one written".to_owned());
    }
    if let Some(problem) = problems.first() {
        return Err(running(anyhow!(
            "the archive just written failed verification: {problem}"
        )));
    }

    commit(&final_path, &temp_path, &summary, &manifest_bytes).map_err(write_failed)?;
    temporaries.0.clear();
    Ok(Made {
        archive: final_path,
        manifest,
        summary,
        notes,
        database: dumped,
        elapsed: clock.elapsed(),
    })
}

/// A name not yet taken: two backups in one second wait for the next second.
fn archive_name(plan: &Plan) -> ArchiveName {
    loop {
        let name = ArchiveName {
            name: plan.name.clone(),
            created_at: Utc::now().trunc_subsecs(0),
            kind: plan.kind.clone(),
        };
        let taken = plan.dest.join(name.file_name()).exists()
            || catalog::temp_path(&plan.dest.join(name.file_name())).exists();
        if !taken {
            return name;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Sidecars under temporary names, then the archive's rename (the commit
/// point), then the sidecars' renames, then the folder synced. A crash
/// between the renames is finished by the next run (catalog::recover).
fn commit(
    final_path: &Path,
    temp_path: &Path,
    summary: &pgzip::Summary,
    manifest_bytes: &[u8],
) -> io::Result<()> {
    let verification = Verification {
        verified_at: Utc::now(),
        ok: true,
        detail: "read back in full after it was written".to_owned(),
    };
    let mut verification_bytes =
        serde_json::to_vec_pretty(&verification).map_err(io::Error::other)?;
    verification_bytes.push(b'\n');
    let sidecars = [
        (
            catalog::sha256_path(final_path),
            catalog::sidecar_text(&file_name(final_path), &summary.sha256).into_bytes(),
        ),
        (catalog::manifest_path(final_path), manifest_bytes.to_vec()),
        (catalog::verify_path(final_path), verification_bytes),
    ];
    for (path, bytes) in &sidecars {
        let temp = catalog::temp_path(path);
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        io::Write::write_all(&mut file, bytes)?;
        file.sync_all()?;
    }
    fs::rename(temp_path, final_path)?;
    for (path, _) in &sidecars {
        fs::rename(catalog::temp_path(path), path)?;
    }
    File::open(crate::storage::atomic::parent_dir(final_path))?.sync_all()
}

/// The bytes the sources hold, for the progress bar's ETA.
fn planned_bytes(plan: &Plan) -> u64 {
    fn walk(path: &Path) -> u64 {
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => fs::read_dir(path)
                .map(|entries| entries.flatten().map(|e| walk(&e.path())).sum())
                .unwrap_or(0),
            Ok(m) if m.is_file() => m.len(),
            _ => 0,
        }
    }
    plan.sources.iter().map(|s| walk(s)).sum()
}

/// Walks the sources and writes their entries.
struct Walker<'a, W: io::Write> {
    tar: TarWriter<W>,
    root: PathBuf,
    excludes: &'a [String],
    /// Never archived: the destination itself, when it is inside a source.
    skip: HashSet<PathBuf>,
    entries: Vec<Entry>,
    notes: Vec<(String, String)>,
    seen: HashSet<String>,
    counter: Arc<AtomicU64>,
    files_done: Arc<AtomicU64>,
    hasher: Hasher,
}

fn mtime_of(metadata: &fs::Metadata) -> (i64, u32) {
    (
        metadata.mtime(),
        metadata.mtime_nsec().clamp(0, 999_999_999) as u32,
    )
}

fn vanished(err: &io::Error) -> bool {
    matches!(err.kind(), io::ErrorKind::NotFound) || err.raw_os_error() == Some(20)
}

impl<W: io::Write> Walker<'_, W> {
    fn note(&mut self, path: &str, note: impl Into<String>) {
        self.notes.push((path.to_owned(), note.into()));
    }

    /// The root folder itself, as `.`: its mode and time go to the restored folder.
    fn add_root(&mut self) -> io::Result<()> {
        let root = self.root.clone();
        let metadata = fs::metadata(&root)?;
        self.dir_entry(".", &metadata)
    }

    fn add_dump(&mut self, path: &Path) -> io::Result<()> {
        let mut file = File::open(path)?;
        let size = file.metadata()?.len();
        let now = Utc::now().timestamp();
        self.tar.header(
            manifest::DUMP_PATH,
            tar::EntryType::Regular,
            size,
            0o600,
            now,
            (0, 0),
            None,
        )?;
        let copied = self.tar.content(&mut file, size)?;
        self.entries.push(Entry {
            path: manifest::DUMP_PATH.to_owned(),
            kind: EntryType::File,
            size,
            mode: 0o600,
            mtime: now,
            mtime_ns: 0,
            uid: 0,
            gid: 0,
            sha256: Some(copied.sha256),
            link: None,
        });
        Ok(())
    }

    fn add_source(&mut self, source: &Path) -> io::Result<()> {
        let relative = source
            .strip_prefix(&self.root)
            .unwrap_or(source)
            .to_path_buf();
        // The folders between the root and the source, so they restore with their modes.
        let mut between = PathBuf::new();
        let components: Vec<Component> = relative.components().collect();
        for component in components.iter().take(components.len().saturating_sub(1)) {
            between.push(component);
            let rel = between.to_string_lossy().into_owned();
            if !self.seen.contains(&rel) {
                match fs::metadata(self.root.join(&between)) {
                    Ok(metadata) => self.dir_entry(&rel, &metadata)?,
                    Err(err) if vanished(&err) => {
                        self.note(&rel, "source vanished while the backup ran");
                        return Ok(());
                    }
                    Err(err) => return Err(err),
                }
            }
        }
        if relative.as_os_str().is_empty() {
            let root = self.root.clone();
            return self.add_children(&root, "");
        }
        let rel = relative.to_string_lossy().into_owned();
        match fs::symlink_metadata(source) {
            Ok(_) => self.add_path(source, &rel),
            Err(err) if vanished(&err) => {
                self.note(&rel, "source vanished while the backup ran");
                Ok(())
            }
            Err(err) => Err(err),
        }
    }

    fn add_children(&mut self, dir: &Path, rel: &str) -> io::Result<()> {
        let mut children: Vec<_> = match fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| (e.file_name(), e.file_type().ok()))
                .collect(),
            Err(err) if vanished(&err) => {
                self.note(rel, "vanished while the backup ran");
                return Ok(());
            }
            Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
                self.note(rel, "cannot list: permission denied");
                return Ok(());
            }
            Err(err) => return Err(err),
        };
        children.sort_by(|a, b| a.0.cmp(&b.0));
        for (child, file_type) in children {
            if crate::interrupt::requested() {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
            }
            let Some(child_name) = child.to_str() else {
                let shown = child.to_string_lossy().into_owned();
                let path = join(rel, &shown);
                self.note(&path, "skipped: the name is not UTF-8");
                continue;
            };
            let path = join(rel, child_name);
            if excluded(self.excludes, &path, child_name) {
                continue;
            }
            let absolute = dir.join(child_name);
            if self.skip.contains(&absolute) {
                continue;
            }
            // The listing's type spares a stat for plain files; open checks again.
            if file_type.is_some_and(|t| t.is_file()) {
                if self.seen.insert(path.clone()) {
                    self.add_file(&absolute, &path)?;
                }
            } else {
                self.add_path(&absolute, &path)?;
            }
        }
        Ok(())
    }

    fn add_path(&mut self, absolute: &Path, rel: &str) -> io::Result<()> {
        if !self.seen.insert(rel.to_owned()) {
            return Ok(());
        }
        let metadata = match fs::symlink_metadata(absolute) {
            Ok(metadata) => metadata,
            Err(err) if vanished(&err) => {
                self.note(rel, "vanished while the backup ran");
                return Ok(());
            }
            Err(err) => return Err(err),
        };
        let file_type = metadata.file_type();
        if file_type.is_dir() {
            self.dir_entry(rel, &metadata)?;
            self.add_children(absolute, rel)
        } else if file_type.is_file() {
            self.add_file(absolute, rel)
        } else if file_type.is_symlink() {
            self.add_symlink(absolute, rel, &metadata)
        } else {
            use std::os::unix::fs::FileTypeExt;
            let what = if file_type.is_socket() {
                "socket"
            } else if file_type.is_fifo() {
                "fifo"
            } else {
                "device file"
            };
            self.note(rel, format!("skipped: a {what} holds no data to back up"));
            Ok(())
        }
    }

    fn dir_entry(&mut self, rel: &str, metadata: &fs::Metadata) -> io::Result<()> {
        self.seen.insert(rel.to_owned());
        let (mtime, mtime_ns) = mtime_of(metadata);
        let mode = metadata.mode() & 0o7777;
        self.tar.header(
            rel,
            tar::EntryType::Directory,
            0,
            mode,
            mtime,
            (metadata.uid(), metadata.gid()),
            None,
        )?;
        self.entries.push(Entry {
            path: rel.to_owned(),
            kind: EntryType::Dir,
            size: 0,
            mode,
            mtime,
            mtime_ns,
            uid: metadata.uid(),
            gid: metadata.gid(),
            sha256: None,
            link: None,
        });
        Ok(())
    }

    fn add_symlink(
        &mut self,
        absolute: &Path,
        rel: &str,
        metadata: &fs::Metadata,
    ) -> io::Result<()> {
        let target = match fs::read_link(absolute) {
            Ok(target) => target,
            Err(err) if vanished(&err) => {
                self.note(rel, "vanished while the backup ran");
                return Ok(());
            }
            Err(err) => return Err(err),
        };
        let Some(target) = target.to_str().map(str::to_owned) else {
            self.note(rel, "skipped: the link target is not UTF-8");
            return Ok(());
        };
        if super::restore::link_escapes(rel, &target, &self.root.to_string_lossy()) {
            self.note(
                rel,
                format!("symlink to {target} points outside the backup; restore will refuse it"),
            );
        }
        let (mtime, mtime_ns) = mtime_of(metadata);
        self.tar.header(
            rel,
            tar::EntryType::Symlink,
            0,
            0o777,
            mtime,
            (metadata.uid(), metadata.gid()),
            Some(&target),
        )?;
        self.entries.push(Entry {
            path: rel.to_owned(),
            kind: EntryType::Symlink,
            size: 0,
            mode: 0o777,
            mtime,
            mtime_ns,
            uid: metadata.uid(),
            gid: metadata.gid(),
            sha256: None,
            link: Some(target),
        });
        Ok(())
    }

    fn add_file(&mut self, absolute: &Path, rel: &str) -> io::Result<()> {
        let mut file = match open_for_backup(absolute) {
            Ok(file) => file,
            // ELOOP: a symlink took the file's place since the folder was listed.
            Err(err) if err.raw_os_error() == Some(40) => {
                let metadata = fs::symlink_metadata(absolute)?;
                return self.add_symlink(absolute, rel, &metadata);
            }
            Err(err) if vanished(&err) => {
                self.note(rel, "vanished while the backup ran");
                return Ok(());
            }
            Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
                self.note(rel, "cannot read: permission denied");
                return Ok(());
            }
            Err(err) => return Err(err),
        };
        // The size and times of the file that is open, not of the name.
        let before = file.metadata()?;
        if !before.is_file() {
            self.note(rel, "skipped: replaced by something that is not a file");
            return Ok(());
        }
        let size = before.len();
        let (mtime, mtime_ns) = mtime_of(&before);
        let mode = before.mode() & 0o7777;
        self.tar.header(
            rel,
            tar::EntryType::Regular,
            size,
            mode,
            mtime,
            (before.uid(), before.gid()),
            None,
        )?;
        let index = self.entries.len();
        let hasher = &self.hasher;
        let shrank = self
            .tar
            .content_with(&mut file, size, &mut |chunk| {
                hasher.send(HashJob::Chunk(index, chunk.to_vec()));
            })
            .map_err(|err| {
                if err.kind() == io::ErrorKind::NotFound {
                    io::Error::other(format!("{rel} vanished while it was read"))
                } else {
                    err
                }
            })?;
        self.hasher.send(HashJob::End(index));
        self.counter.fetch_add(size, Ordering::Relaxed);
        self.files_done.fetch_add(1, Ordering::Relaxed);
        // Files whose size says nothing (/proc, /sys) are tried for more.
        let grew = size == 0 && matches!(file.read(&mut [0u8; 1]), Ok(n) if n > 0);
        let after = file.metadata()?;
        if shrank {
            self.note(
                rel,
                format!("shrank while read: stored as {size} bytes, the missing end as zeros"),
            );
        } else if grew || after.len() != size || mtime_of(&after) != (mtime, mtime_ns) {
            self.note(
                rel,
                format!("changed while read: stored the {size} bytes it had when opened"),
            );
        }
        self.entries.push(Entry {
            path: rel.to_owned(),
            kind: EntryType::File,
            size,
            mode,
            mtime,
            mtime_ns,
            uid: before.uid(),
            gid: before.gid(),
            sha256: None,
            link: None,
        });
        Ok(())
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

/// Opens without following a symlink swapped in, and without touching atime when allowed.
fn open_for_backup(path: &Path) -> io::Result<File> {
    let nofollow = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
    let noatime = rustix::fs::OFlags::NOATIME.bits() as i32;
    match OpenOptions::new()
        .read(true)
        .custom_flags(nofollow | noatime)
        .open(path)
    {
        Err(err) if err.kind() == io::ErrorKind::PermissionDenied => OpenOptions::new()
            .read(true)
            .custom_flags(nofollow)
            .open(path),
        other => other,
    }
}

/// Excludes: a pattern without `/` matches any file or folder name; with
/// `/` it matches the path below the root. `*` and `?` stay within one name,
/// `**` crosses folders. An excluded folder is left out whole.
pub(super) fn excluded(patterns: &[String], path: &str, name: &str) -> bool {
    patterns.iter().any(|pattern| {
        if pattern.contains('/') {
            glob(pattern.trim_start_matches('/').as_bytes(), path.as_bytes())
        } else {
            glob(pattern.as_bytes(), name.as_bytes())
        }
    })
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => {
            let rest = rest.strip_prefix(b"/").unwrap_or(rest);
            (0..=text.len())
                .filter(|&i| i == 0 || text[i - 1] == b'/' || rest.is_empty())
                .any(|i| glob(rest, &text[i..]))
        }
        [b'*', rest @ ..] => {
            for i in 0..=text.len() {
                if glob(rest, &text[i..]) {
                    return true;
                }
                if i < text.len() && text[i] == b'/' {
                    break;
                }
            }
            false
        }
        [b'?', rest @ ..] => text.first().is_some_and(|&c| c != b'/') && glob(rest, &text[1..]),
        [c, rest @ ..] => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_match_names_or_paths() {
        let patterns = vec![
            "*.tmp".to_owned(),
            "cache".to_owned(),
            "data/**/*.log".to_owned(),
        ];
        assert!(excluded(&patterns, "a/b/x.tmp", "x.tmp"));
        assert!(excluded(&patterns, "var/cache", "cache"));
        assert!(excluded(&patterns, "data/logs/app.log", "app.log"));
        assert!(excluded(&patterns, "data/app.log", "app.log"));
        assert!(!excluded(&patterns, "other/app.log", "app.log"));
        assert!(!excluded(&patterns, "a/cached", "cached"));
        assert!(glob(b"a/*", b"a/b") && !glob(b"a/*", b"a/b/c"));
    }

    #[test]
    fn the_root_is_the_deepest_common_folder() {
        let dir = std::env::temp_dir().join(format!("maint-root-{}", std::process::id()));
        fs::create_dir_all(dir.join("a/b")).unwrap();
        fs::create_dir_all(dir.join("c")).unwrap();
        fs::write(dir.join("a/f"), "x").unwrap();
        assert_eq!(common_root(&[dir.join("a/b")]), dir.join("a/b"));
        assert_eq!(common_root(&[dir.join("a/f")]), dir.join("a"));
        assert_eq!(common_root(&[dir.join("a/b"), dir.join("c")]), dir);
        assert_eq!(
            common_root(&[dir.join("a"), dir.join("a/b")]),
            dir.join("a")
        );
        fs::remove_dir_all(dir).unwrap();
    }
}
