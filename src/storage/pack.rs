//! The archive writer: walks the sources, writes one `.tar.gz` under a
//! temporary name in the destination, reads it back from the disk while it
//! is written, checks it against its manifest, and only then renames it into
//! place with its sidecars. `create` makes backups with it; `restore` keeps
//! what it is about to overwrite with it (an explicit list of paths).
//!
//! The API is [`Request`] (what goes in, built with [`Request::new`]),
//! [`pack`] (does it, counting progress in [`Counters`]) and [`Packed`]
//! (the verified archive). Nothing here prints or knows about the command
//! line: errors are [`PackError`], what was skipped is a list of notes.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};
use sha2::{Digest, Sha256};

use super::archive::{self, ArchiveName, ReadError};
use super::catalog::{self, Verification};
use super::manifest::{self, Entry, EntryType, Manifest};
use super::pgzip::{self, ParallelGzip, hex};

const CHUNK: usize = 256 * 1024;

/// What to put in an archive: whole trees, or single entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The path and, for a folder, everything below it (what `create` archives).
    Tree(PathBuf),
    /// The path alone: a folder goes in without its contents (for keeping
    /// exactly the entries a restore will overwrite).
    Entry(PathBuf),
}

impl Source {
    pub fn path(&self) -> &Path {
        match self {
            Source::Tree(path) | Source::Entry(path) => path,
        }
    }
}

/// A database dump to store as [`manifest::DUMP_PATH`], with what the
/// manifest records about it.
#[derive(Clone, Debug)]
pub struct Dump {
    pub file: PathBuf,
    pub database: manifest::Database,
}

/// One archive to make. Build it with [`Request::new`], then set what differs
/// from the defaults.
#[derive(Clone, Debug)]
pub struct Request {
    /// The folder the archive goes into.
    pub dest: PathBuf,
    /// Its name (see [`free_name`]); the manifest's name, kind and time come from it.
    pub archive: ArchiveName,
    /// Entries are stored relative to this folder; every source lies under it.
    pub root: PathBuf,
    /// Absolute paths under `root`.
    pub sources: Vec<Source>,
    /// Glob patterns left out (see [`excluded`]).
    pub excludes: Vec<String>,
    /// Absolute paths never archived: the destination, when inside a source.
    pub skip: Vec<PathBuf>,
    pub dump: Option<Dump>,
    /// gzip level, 1 to 9.
    pub level: u32,
    /// Compression threads.
    pub threads: usize,
}

impl Request {
    /// An archive of `sources` under `root`, written into `dest` as
    /// `archive`: no excludes, the destination skipped, gzip -6 on every core.
    pub fn new(dest: &Path, archive: ArchiveName, root: &Path, sources: Vec<Source>) -> Request {
        Request {
            dest: dest.to_path_buf(),
            archive,
            root: root.to_path_buf(),
            sources,
            excludes: Vec::new(),
            skip: vec![dest.to_path_buf()],
            dump: None,
            level: 6,
            threads: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        }
    }
}

/// Progress, for a bar: bytes of file content and files archived so far.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub bytes: Arc<AtomicU64>,
    pub files: Arc<AtomicU64>,
}

/// A finished archive under its final name, read back and verified, with its sidecars.
#[derive(Clone, Debug)]
pub struct Packed {
    pub archive: PathBuf,
    pub manifest: Manifest,
    pub summary: pgzip::Summary,
    /// (path, what happened): skipped, changed while read, vanished.
    pub notes: Vec<(String, String)>,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The destination refused the archive (full, read-only, gone).
    #[error("cannot write the archive {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    /// A source could not be read, in a way that stops the whole archive.
    #[error("cannot read {}: {source}", path.display())]
    Source { path: PathBuf, source: io::Error },
    /// An exclude pattern is not a valid glob.
    #[error("exclude pattern {pattern:?} is not valid: {detail}")]
    Pattern { pattern: String, detail: String },
    #[error("interrupted; nothing was kept")]
    Interrupted,
    /// Reading the archive back failed: the disk returned something else.
    #[error("the archive just written does not read back: {0}")]
    ReadBack(ReadError),
    /// The archive read back differs from what was written.
    #[error("the archive just written failed verification: {0}")]
    Verify(String),
}

impl PackError {
    /// Whether the destination is to blame (full disk, I/O error there), so
    /// a hint about its free space makes sense.
    pub fn is_destination(&self) -> bool {
        matches!(self, PackError::Write { .. })
    }
}

type Result<T, E = PackError> = std::result::Result<T, E>;

/// A name for a new archive in `dest` not yet taken: two backups in one
/// second wait for the next second.
pub fn free_name(dest: &Path, name: &str, kind: &str) -> ArchiveName {
    loop {
        let archive = ArchiveName {
            name: name.to_owned(),
            created_at: Utc::now().trunc_subsecs(0),
            kind: kind.to_owned(),
        };
        let path = dest.join(archive.file_name());
        if !path.exists() && !catalog::temp_path(&path).exists() {
            return archive;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The deepest folder holding every source (a lone folder is its own root).
pub fn common_root(sources: &[PathBuf]) -> PathBuf {
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

/// The bytes the sources hold, for a progress bar's ETA.
pub fn planned_bytes(request: &Request) -> u64 {
    fn walk(path: &Path, descend: bool) -> u64 {
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() && descend => fs::read_dir(path)
                .map(|entries| entries.flatten().map(|e| walk(&e.path(), true)).sum())
                .unwrap_or(0),
            Ok(m) if m.is_file() => m.len(),
            _ => 0,
        }
    }
    request
        .sources
        .iter()
        .map(|s| walk(s.path(), matches!(s, Source::Tree(_))))
        .sum()
}

/// Makes one archive as `request` says: written under a temporary name,
/// synced, read back from the disk and checked against its manifest, then
/// renamed into place with its sidecars. The caller holds the destination's
/// lock. On any error nothing is left under a backup's name.
pub fn pack(request: &Request, counters: &Counters) -> Result<Packed> {
    let clock = Instant::now();
    let final_path = request.dest.join(request.archive.file_name());
    let temp_path = catalog::temp_path(&final_path);
    let write_error = |source: io::Error| PackError::Write {
        path: temp_path.clone(),
        source,
    };
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp_path)
        .map_err(write_error)?;
    let mut temporary = Temporary(Some(temp_path.clone()));
    // The archive is read back from the file while it is written (its
    // gzip stream, CRC, tar structure and SHA-256), so checking costs
    // little extra time; the file is compared with what was written below.
    let published = Published::default();
    let reader = File::open(&temp_path).map_err(write_error)?;
    let verifier = {
        let following = Following {
            file: reader,
            progress: Arc::clone(&published.0),
            at: 0,
        };
        std::thread::spawn(move || archive::read_from(following, None, false, |_| Ok(())))
    };
    let output = Publishing {
        inner: EarlyWriteback::new(file).map_err(write_error)?,
        progress: Arc::clone(&published.0),
    };
    let gzip = ParallelGzip::new(output, request.level, request.threads);
    let mut walker = Walker {
        tar: TarWriter::new(gzip),
        out_path: temp_path.clone(),
        root: request.root.clone(),
        excludes: &request.excludes,
        skip: request.skip.iter().cloned().collect(),
        entries: Vec::new(),
        notes: Vec::new(),
        seen: HashSet::new(),
        counters: counters.clone(),
        hasher: Hasher::start(),
    };
    walker.add_root()?;
    if let Some(dump) = &request.dump {
        walker.add_dump(&dump.file)?;
    }
    for source in &request.sources {
        walker.add_source(source)?;
    }
    let mut entries = std::mem::take(&mut walker.entries);
    for (index, digest) in walker.hasher.finish() {
        entries[index].sha256 = Some(digest);
    }
    let manifest = Manifest {
        format_version: manifest::FORMAT_VERSION,
        maint_version: env!("CARGO_PKG_VERSION").to_owned(),
        name: request.archive.name.clone(),
        kind: request.archive.kind.clone(),
        host: crate::probe::system::hostname(),
        created_at: request.archive.created_at,
        root: request.root.display().to_string(),
        sources: request
            .sources
            .iter()
            .map(|s| s.path().display().to_string())
            .collect(),
        excludes: request.excludes.clone(),
        entries,
        database: request.dump.as_ref().map(|d| d.database.clone()),
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
            .content(&mut &manifest_bytes[..], manifest_bytes.len() as u64)
            .map_err(CopyError::into_io)?;
        walker.tar.finish()?.finish()
    })()
    .map_err(write_error)?;
    output.inner.finish().map_err(write_error)?;

    published.0.close();
    let outcome = verifier
        .join()
        .map_err(|_| PackError::Verify("the read-back thread panicked".to_owned()))?
        .map_err(PackError::ReadBack)?;
    let mut problems = archive::compare(&manifest, &outcome.entries);
    if outcome.archive_sha256 != summary.sha256 {
        problems.push("the archive on disk differs from what was written".to_owned());
    }
    if outcome.manifest_bytes.as_deref() != Some(&manifest_bytes[..]) {
        problems.push("the manifest read back differs from the one written".to_owned());
    }
    if let Some(problem) = problems.into_iter().next() {
        return Err(PackError::Verify(problem));
    }
    commit(&final_path, &temp_path, &summary, &manifest_bytes).map_err(write_error)?;
    temporary.0 = None;
    Ok(Packed {
        archive: final_path,
        manifest,
        summary,
        notes,
        elapsed: clock.elapsed(),
    })
}

/// Deletes the temporary archive unless it was committed.
struct Temporary(Option<PathBuf>);

impl Drop for Temporary {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = fs::remove_file(path);
        }
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
    let file_name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sidecars = [
        (
            catalog::sha256_path(final_path),
            catalog::sidecar_text(&file_name, &summary.sha256).into_bytes(),
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
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(temp_path, final_path)?;
    for (path, _) in &sidecars {
        fs::rename(catalog::temp_path(path), path)?;
    }
    File::open(super::atomic::parent_dir(final_path))?.sync_all()
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

impl Write for EarlyWriteback {
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
            let mut digests = Vec::new();
            let mut current: Option<(usize, Sha256)> = None;
            for job in queue {
                match job {
                    HashJob::Chunk(index, data) => {
                        if current.as_ref().is_none_or(|(i, _)| *i != index) {
                            current = Some((index, Sha256::new()));
                        }
                        if let Some((_, sha)) = &mut current {
                            sha.update(&data);
                        }
                    }
                    HashJob::End(index) => {
                        let sha = match current.take() {
                            Some((i, sha)) if i == index => sha,
                            _ => Sha256::new(),
                        };
                        digests.push((index, hex(&sha.finalize())));
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

/// Walks the sources and writes their entries.
struct Walker<'a, W: Write> {
    tar: TarWriter<W>,
    /// The archive being written, for naming it in errors.
    out_path: PathBuf,
    root: PathBuf,
    excludes: &'a [String],
    /// Never archived: the destination itself, when it is inside a source.
    skip: HashSet<PathBuf>,
    entries: Vec<Entry>,
    notes: Vec<(String, String)>,
    seen: HashSet<String>,
    counters: Counters,
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

impl<W: Write> Walker<'_, W> {
    fn note(&mut self, path: &str, note: impl Into<String>) {
        self.notes.push((path.to_owned(), note.into()));
    }

    fn write_error(&self, source: io::Error) -> PackError {
        PackError::Write {
            path: self.out_path.clone(),
            source,
        }
    }

    fn source_error(path: &Path) -> impl FnOnce(io::Error) -> PackError + '_ {
        move |source| PackError::Source {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The root folder itself, as `.`: its mode and time go to the restored folder.
    fn add_root(&mut self) -> Result<()> {
        let root = self.root.clone();
        let metadata = fs::metadata(&root).map_err(Self::source_error(&root))?;
        self.dir_entry(".", &metadata)
    }

    fn add_dump(&mut self, path: &Path) -> Result<()> {
        let mut file = File::open(path).map_err(Self::source_error(path))?;
        let size = file.metadata().map_err(Self::source_error(path))?.len();
        let now = Utc::now().timestamp();
        self.tar
            .header(
                manifest::DUMP_PATH,
                tar::EntryType::Regular,
                size,
                0o600,
                now,
                (0, 0),
                None,
            )
            .map_err(|e| self.write_error(e))?;
        let copied = self
            .tar
            .content(&mut file, size)
            .map_err(|e| self.copy_error(e, path))?;
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
            ..Entry::new("", EntryType::File, 0, (0, 0))
        });
        Ok(())
    }

    fn copy_error(&self, err: CopyError, path: &Path) -> PackError {
        match err {
            CopyError::Read(source) => PackError::Source {
                path: path.to_path_buf(),
                source,
            },
            CopyError::Write(source) => self.write_error(source),
        }
    }

    fn add_source(&mut self, source: &Source) -> Result<()> {
        let (path, descend) = match source {
            Source::Tree(path) => (path, true),
            Source::Entry(path) => (path, false),
        };
        let relative = path.strip_prefix(&self.root).unwrap_or(path).to_path_buf();
        // The folders between the root and the source, so they restore with their modes.
        let mut between = PathBuf::new();
        let components: Vec<Component> = relative.components().collect();
        for component in components.iter().take(components.len().saturating_sub(1)) {
            between.push(component);
            let rel = between.to_string_lossy().into_owned();
            if !self.seen.contains(&rel) {
                let absolute = self.root.join(&between);
                match fs::metadata(&absolute) {
                    Ok(metadata) => self.dir_entry(&rel, &metadata)?,
                    Err(err) if vanished(&err) => {
                        self.note(&rel, "source vanished while the backup ran");
                        return Ok(());
                    }
                    Err(err) => return Err(Self::source_error(&absolute)(err)),
                }
            }
        }
        if relative.as_os_str().is_empty() {
            if !descend {
                return Ok(());
            }
            let root = self.root.clone();
            return self.add_children(&root, "");
        }
        let rel = relative.to_string_lossy().into_owned();
        match fs::symlink_metadata(path) {
            Ok(_) => self.add_path(path, &rel, descend),
            Err(err) if vanished(&err) => {
                self.note(&rel, "source vanished while the backup ran");
                Ok(())
            }
            Err(err) => Err(Self::source_error(path)(err)),
        }
    }

    fn add_children(&mut self, dir: &Path, rel: &str) -> Result<()> {
        let mut children: Vec<_> = match fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(std::result::Result::ok)
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
            Err(err) => return Err(Self::source_error(dir)(err)),
        };
        children.sort_by(|a, b| a.0.cmp(&b.0));
        for (child, file_type) in children {
            if crate::interrupt::requested() {
                return Err(PackError::Interrupted);
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
                self.add_path(&absolute, &path, true)?;
            }
        }
        Ok(())
    }

    fn add_path(&mut self, absolute: &Path, rel: &str, descend: bool) -> Result<()> {
        if !self.seen.insert(rel.to_owned()) {
            return Ok(());
        }
        let metadata = match fs::symlink_metadata(absolute) {
            Ok(metadata) => metadata,
            Err(err) if vanished(&err) => {
                self.note(rel, "vanished while the backup ran");
                return Ok(());
            }
            Err(err) => return Err(Self::source_error(absolute)(err)),
        };
        let file_type = metadata.file_type();
        if file_type.is_dir() {
            self.dir_entry(rel, &metadata)?;
            if descend {
                self.add_children(absolute, rel)?;
            }
            Ok(())
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

    fn dir_entry(&mut self, rel: &str, metadata: &fs::Metadata) -> Result<()> {
        self.seen.insert(rel.to_owned());
        let (mtime, mtime_ns) = mtime_of(metadata);
        let mode = metadata.mode() & 0o7777;
        self.tar
            .header(
                rel,
                tar::EntryType::Directory,
                0,
                mode,
                mtime,
                (metadata.uid(), metadata.gid()),
                None,
            )
            .map_err(|e| self.write_error(e))?;
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
            ..Entry::new("", EntryType::File, 0, (0, 0))
        });
        Ok(())
    }

    fn add_symlink(&mut self, absolute: &Path, rel: &str, metadata: &fs::Metadata) -> Result<()> {
        let target = match fs::read_link(absolute) {
            Ok(target) => target,
            Err(err) if vanished(&err) => {
                self.note(rel, "vanished while the backup ran");
                return Ok(());
            }
            Err(err) => return Err(Self::source_error(absolute)(err)),
        };
        let Some(target) = target.to_str().map(str::to_owned) else {
            self.note(rel, "skipped: the link target is not UTF-8");
            return Ok(());
        };
        let (mtime, mtime_ns) = mtime_of(metadata);
        self.tar
            .header(
                rel,
                tar::EntryType::Symlink,
                0,
                0o777,
                mtime,
                (metadata.uid(), metadata.gid()),
                Some(&target),
            )
            .map_err(|e| self.write_error(e))?;
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
            ..Entry::new("", EntryType::File, 0, (0, 0))
        });
        Ok(())
    }

    fn add_file(&mut self, absolute: &Path, rel: &str) -> Result<()> {
        let mut file = match open_for_backup(absolute) {
            Ok(file) => file,
            // ELOOP: a symlink took the file's place since the folder was listed.
            Err(err) if err.raw_os_error() == Some(40) => {
                let metadata =
                    fs::symlink_metadata(absolute).map_err(Self::source_error(absolute))?;
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
            Err(err) => return Err(Self::source_error(absolute)(err)),
        };
        // The size and times of the file that is open, not of the name.
        let before = file.metadata().map_err(Self::source_error(absolute))?;
        if !before.is_file() {
            self.note(rel, "skipped: replaced by something that is not a file");
            return Ok(());
        }
        let size = before.len();
        let (mtime, mtime_ns) = mtime_of(&before);
        let mode = before.mode() & 0o7777;
        self.tar
            .header(
                rel,
                tar::EntryType::Regular,
                size,
                mode,
                mtime,
                (before.uid(), before.gid()),
                None,
            )
            .map_err(|e| self.write_error(e))?;
        let index = self.entries.len();
        let hasher = &self.hasher;
        let shrank = self
            .tar
            .content_with(&mut file, size, &mut |chunk| {
                hasher.send(HashJob::Chunk(index, chunk.to_vec()));
            })
            .map_err(|err| self.copy_error(err, absolute))?;
        self.hasher.send(HashJob::End(index));
        self.counters.bytes.fetch_add(size, Ordering::Relaxed);
        self.counters.files.fetch_add(1, Ordering::Relaxed);
        // Files whose size says nothing (/proc, /sys) are tried for more.
        let grew = size == 0 && matches!(file.read(&mut [0u8; 1]), Ok(n) if n > 0);
        let after = file.metadata().map_err(Self::source_error(absolute))?;
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
            ..Entry::new("", EntryType::File, 0, (0, 0))
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
pub fn excluded(patterns: &[String], path: &str, name: &str) -> bool {
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

/// Writes tar entries (GNU format, long names as GNU tar writes them).
pub struct TarWriter<W: Write> {
    out: W,
    buffer: Vec<u8>,
}

/// How a file's content went in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub sha256: String,
    /// The file ended before the size its header records: zeros fill the rest.
    pub shrank: bool,
}

impl<W: Write> TarWriter<W> {
    pub fn new(out: W) -> TarWriter<W> {
        TarWriter {
            out,
            buffer: vec![0; CHUNK],
        }
    }

    /// Writes one header. `path` is relative, without a trailing slash.
    #[allow(clippy::too_many_arguments)]
    pub fn header(
        &mut self,
        path: &str,
        kind: tar::EntryType,
        size: u64,
        mode: u32,
        mtime: i64,
        owner: (u32, u32),
        link: Option<&str>,
    ) -> io::Result<()> {
        let mut name = path.to_owned();
        if kind == tar::EntryType::Directory {
            name.push('/');
        }
        if name.len() > 100 {
            self.long_name(tar::EntryType::GNULongName, &name)?;
        }
        if let Some(link) = link
            && link.len() > 100
        {
            self.long_name(tar::EntryType::GNULongLink, link)?;
        }
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(mode & 0o7777);
        header.set_mtime(mtime.max(0) as u64);
        header.set_uid(owner.0.into());
        header.set_gid(owner.1.into());
        set_field(&mut header.as_old_mut().name, name.as_bytes());
        if let Some(link) = link {
            set_field(&mut header.as_old_mut().linkname, link.as_bytes());
        }
        header.set_cksum();
        self.out.write_all(header.as_bytes())
    }

    fn long_name(&mut self, kind: tar::EntryType, text: &str) -> io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        set_field(&mut header.as_old_mut().name, b"././@LongLink");
        header.set_mode(0o644);
        header.set_size(text.len() as u64 + 1);
        header.set_cksum();
        self.out.write_all(header.as_bytes())?;
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(&[0])?;
        self.pad(text.len() as u64 + 1)
    }

    fn pad(&mut self, size: u64) -> io::Result<()> {
        let rest = (512 - size % 512) % 512;
        self.out.write_all(&[0u8; 512][..rest as usize])
    }

    /// Content for the header just written: exactly `size` bytes, whatever
    /// the source does meanwhile. A file that grows is cut at `size` (the
    /// caller notices and warns); one that shrinks is filled with zeros.
    pub fn content(&mut self, source: &mut impl Read, size: u64) -> Result<Copied, CopyError> {
        let mut sha = Sha256::new();
        let shrank = self.content_with(source, size, &mut |chunk| sha.update(chunk))?;
        Ok(Copied {
            sha256: hex(&sha.finalize()),
            shrank,
        })
    }

    /// [`TarWriter::content`] handing each chunk written to `seen` (to be
    /// hashed elsewhere); returns whether the source shrank.
    pub fn content_with(
        &mut self,
        source: &mut impl Read,
        size: u64,
        seen: &mut dyn FnMut(&[u8]),
    ) -> Result<bool, CopyError> {
        let mut left = size;
        let mut shrank = false;
        while left > 0 {
            let want = left.min(self.buffer.len() as u64) as usize;
            let got = if shrank {
                self.buffer[..want].fill(0);
                want
            } else {
                match source.read(&mut self.buffer[..want]) {
                    Ok(0) => {
                        shrank = true;
                        continue;
                    }
                    Ok(n) => n,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => return Err(CopyError::Read(err)),
                }
            };
            seen(&self.buffer[..got]);
            self.out
                .write_all(&self.buffer[..got])
                .map_err(CopyError::Write)?;
            left -= got as u64;
        }
        self.pad(size).map_err(CopyError::Write)?;
        Ok(shrank)
    }

    /// Ends the archive with two zero blocks and hands back the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; 1024])?;
        Ok(self.out)
    }
}

fn set_field(field: &mut [u8], value: &[u8]) {
    let len = value.len().min(field.len());
    field.fill(0);
    field[..len].copy_from_slice(&value[..len]);
}

/// Where copying a file's content into the archive failed.
#[derive(Debug)]
pub enum CopyError {
    /// Reading the source.
    Read(io::Error),
    /// Writing the archive.
    Write(io::Error),
}

impl CopyError {
    fn into_io(self) -> io::Error {
        match self {
            CopyError::Read(err) | CopyError::Write(err) => err,
        }
    }
}

/// How much of a file being written is there to read, and whether the
/// writer is done: shared by a [`Publishing`] writer and a [`Following`] reader.
#[derive(Default)]
pub struct Progress {
    state: std::sync::Mutex<(u64, bool)>,
    changed: std::sync::Condvar,
}

impl Progress {
    /// The writer is finished (or gave up): readers see the end of the file.
    pub fn close(&self) {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1 = true;
        self.changed.notify_all();
    }
}

/// A writer that tells a [`Following`] reader what it has written.
pub struct Publishing<W> {
    pub inner: W,
    pub progress: Arc<Progress>,
}

impl<W: Write> Write for Publishing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0 += n as u64;
        self.progress.changed.notify_all();
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads a file while it is being written, from the file itself (not from
/// the writer's memory), waiting for bytes until the writer closes.
pub struct Following {
    pub file: File,
    pub progress: Arc<Progress>,
    pub at: u64,
}

impl Read for Following {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = {
            let mut state = self
                .progress
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            while state.0 <= self.at && !state.1 {
                state = self
                    .progress
                    .changed
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            state.0.saturating_sub(self.at)
        };
        if available == 0 {
            return Ok(0);
        }
        let want = buf.len().min(available as usize);
        let n = self.file.read(&mut buf[..want])?;
        self.at += n as u64;
        Ok(n)
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

    #[test]
    fn written_entries_read_back_with_their_hashes() {
        let dir = std::env::temp_dir().join(format!("maint-archive-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.tar.gz");
        let long = format!("{}/file.txt", "d".repeat(120));
        {
            let gz = ParallelGzip::new(File::create(&path).unwrap(), 6, 2);
            let mut tar = TarWriter::new(gz);
            tar.header("d", tar::EntryType::Directory, 0, 0o755, 1, (0, 0), None)
                .unwrap();
            tar.header(&long, tar::EntryType::Regular, 5, 0o600, 2, (0, 0), None)
                .unwrap();
            // The source has 3 bytes more than recorded: exactly 5 go in.
            let copied = tar.content(&mut &b"hello, world"[..5], 5).unwrap();
            assert!(!copied.shrank);
            tar.header("short", tar::EntryType::Regular, 4, 0o644, 3, (0, 0), None)
                .unwrap();
            assert!(tar.content(&mut &b"ab"[..], 4).unwrap().shrank);
            let target = "t".repeat(150);
            tar.header(
                "l",
                tar::EntryType::Symlink,
                0,
                0o777,
                4,
                (0, 0),
                Some(&target),
            )
            .unwrap();
            tar.finish().unwrap().finish().unwrap();
        }
        let mut contents = Vec::new();
        let outcome = archive::read(&path, None, |entry| {
            let mut out = Vec::new();
            entry.copy_to(&mut out, &mut [0u8; 7]).unwrap();
            contents.push((entry.path.clone(), out));
            Ok(())
        })
        .unwrap();
        let paths: Vec<&str> = outcome.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["d", long.as_str(), "short", "l"]);
        assert_eq!(contents[1].1, b"hello");
        assert_eq!(contents[2].1, b"ab\0\0");
        assert_eq!(
            outcome.entries[3].kind,
            archive::EntryKind::Symlink("t".repeat(150))
        );
        // GNU tar agrees.
        let listing = std::process::Command::new("tar")
            .arg("tzf")
            .arg(&path)
            .output()
            .unwrap();
        assert!(listing.status.success());
        assert!(String::from_utf8_lossy(&listing.stdout).contains(&long));
        // Cut the file short: the damage is found and placed.
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 6]).unwrap();
        let err = archive::read(&path, None, |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }
}
