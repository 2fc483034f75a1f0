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

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};

mod exclude;
mod walk;
mod writer;

use super::archive::{self, ArchiveName, ReadError};
use super::catalog::{self, Verification};
use super::crypt;
use super::manifest::{self, Manifest};
use super::pgzip::{self, ParallelGzip};
use super::ustar;
use exclude::Excludes;
use walk::Walker;
use writer::TarWriter;

pub use walk::accounts;

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
    /// `pg_dumpall --globals-only` output, stored as [`manifest::GLOBALS_PATH`].
    pub globals: Option<PathBuf>,
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
    /// A Redis snapshot to store as [`manifest::REDIS_PATH`].
    pub redis: Option<(PathBuf, manifest::RedisData)>,
    /// Public keys to encrypt to (the archive is then `.tar.gz.age`).
    pub recipients: Option<Arc<crypt::Recipients>>,
    /// gzip level, 1 to 9.
    pub level: u32,
    /// Compression threads.
    pub threads: usize,
    /// For an incremental: the backup it builds on. Files unchanged since
    /// are listed in the manifest, not stored.
    pub previous: Option<Arc<Previous>>,
}

/// The backup an incremental builds on: its archive's file name and what
/// its manifest lists.
#[derive(Debug)]
pub struct Previous {
    pub archive: String,
    entries: std::collections::HashMap<Vec<u8>, manifest::Entry>,
}

impl Previous {
    pub fn new(archive: String, manifest: &Manifest) -> Previous {
        Previous {
            archive,
            entries: manifest
                .entries
                .iter()
                .map(|e| (e.path_bytes(), e.clone()))
                .collect(),
        }
    }

    /// The entry the previous backup lists at `path`, if any.
    pub(crate) fn get(&self, path: &[u8]) -> Option<&manifest::Entry> {
        self.entries.get(path)
    }

    /// Paths it lists that `now` does not, sorted: what was deleted since.
    fn deleted(&self, now: &[manifest::Entry]) -> Vec<String> {
        let present: std::collections::HashSet<Vec<u8>> =
            now.iter().map(manifest::Entry::path_bytes).collect();
        let mut gone: Vec<String> = self
            .entries
            .iter()
            .filter(|(path, _)| !present.contains(*path))
            .map(|(_, e)| e.path.clone())
            .collect();
        gone.sort();
        gone
    }
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
            redis: None,
            recipients: None,
            level: 6,
            threads: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            previous: None,
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
    /// Exclude patterns that matched nothing (most likely a typo), as given.
    pub unmatched_excludes: Vec<String>,
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
    free_name_where(name, kind, |file| {
        let path = dest.join(file);
        path.exists() || catalog::temp_path(&path).exists()
    })
}

/// A name for a new archive that `taken` says is free (plain or encrypted:
/// the two must not share a time either).
pub fn free_name_where(name: &str, kind: &str, taken: impl Fn(&str) -> bool) -> ArchiveName {
    loop {
        let archive = ArchiveName {
            name: name.to_owned(),
            created_at: Utc::now().trunc_subsecs(0),
            kind: kind.to_owned(),
            encrypted: false,
        };
        let sealed = ArchiveName {
            encrypted: true,
            ..archive.clone()
        };
        if !taken(&archive.file_name()) && !taken(&sealed.file_name()) {
            return archive;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The host name as an archive name may hold it (the default name).
pub fn host_label() -> String {
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
            Ok(m) if m.is_dir() && descend => fs::read_dir(path).map_or(0, |entries| {
                entries.flatten().map(|e| walk(&e.path(), true)).sum()
            }),
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
    if request.recipients.is_some() {
        // Encrypted: the plaintext is checked on its way to the cipher (no
        // key to read the file back with lives here), then the file's
        // SHA-256 is compared with what was written.
        let sink = EarlyWriteback::new(file).map_err(write_error)?;
        let streamed = pack_stream(request, counters, sink, &temp_path)?;
        streamed.sink.finish().map_err(write_error)?;
        let on_disk = archive::sha256_file(&temp_path).map_err(write_error)?;
        if on_disk != streamed.stored_sha256 {
            return Err(PackError::Verify(
                "the archive on disk differs from what was written".to_owned(),
            ));
        }
        let manifest_copy =
            sealed_manifest(request, &streamed.manifest_bytes).map_err(write_error)?;
        commit(
            &final_path,
            &temp_path,
            &streamed.stored_sha256,
            &manifest_copy,
        )
        .map_err(write_error)?;
        temporary.0 = None;
        return Ok(Packed {
            archive: final_path,
            manifest: streamed.manifest,
            summary: streamed.summary,
            notes: streamed.notes,
            unmatched_excludes: streamed.unmatched_excludes,
            elapsed: clock.elapsed(),
        });
    }
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
    let written = write_tar(request, counters, output, &temp_path)?;
    written.out.inner.finish().map_err(write_error)?;
    published.0.close();
    check_read_back(
        &written.manifest,
        &written.manifest_bytes,
        verifier,
        &written.summary.sha256,
    )?;
    commit(
        &final_path,
        &temp_path,
        &written.summary.sha256,
        &written.manifest_bytes,
    )
    .map_err(write_error)?;
    temporary.0 = None;
    Ok(Packed {
        archive: final_path,
        manifest: written.manifest,
        summary: written.summary,
        notes: written.notes,
        unmatched_excludes: written.unmatched_excludes,
        elapsed: clock.elapsed(),
    })
}

/// The manifest's copy for beside the archive: encrypted when the archive is.
pub fn sealed_manifest(request: &Request, manifest_bytes: &[u8]) -> io::Result<Vec<u8>> {
    match &request.recipients {
        None => Ok(manifest_bytes.to_vec()),
        Some(recipients) => {
            let mut writer = recipients.encrypt(Vec::new())?;
            writer.write_all(manifest_bytes)?;
            writer.finish()
        }
    }
}

/// What [`write_tar`] made: the output back, and what went into it.
struct Written<W> {
    out: W,
    summary: pgzip::Summary,
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    notes: Vec<(String, String)>,
    unmatched_excludes: Vec<String>,
}

/// An archive streamed into a sink of the caller's (an object store's
/// upload, or a file when encrypting), checked on its way out.
pub struct Streamed<S> {
    pub sink: S,
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    /// Of the plaintext `.tar.gz`.
    pub summary: pgzip::Summary,
    /// SHA-256 and size of the bytes as stored (the ciphertext when encrypted).
    pub stored_sha256: String,
    pub stored_bytes: u64,
    pub notes: Vec<(String, String)>,
    pub unmatched_excludes: Vec<String>,
}

/// Writes the archive into `sink` (encrypted when the request has
/// recipients) while a second thread reads the `.tar.gz` stream back as
/// it goes out and checks it against the manifest. The sink is returned
/// unfinished (for an upload to complete, or a file to sync); `shown`
/// names it in errors.
pub fn pack_stream<S: Write + Send + 'static>(
    request: &Request,
    counters: &Counters,
    sink: S,
    shown: &Path,
) -> Result<Streamed<S>> {
    let write_error = |source: io::Error| PackError::Write {
        path: shown.to_path_buf(),
        source,
    };
    let digest = crypt::Digest256::default();
    let hashing = crypt::HashingWriter {
        inner: sink,
        digest: digest.clone(),
    };
    let stored = match &request.recipients {
        Some(recipients) => Stored::Age(recipients.encrypt(hashing).map_err(write_error)?),
        None => Stored::Plain(hashing),
    };
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<u8>>(16);
    let verifier = std::thread::spawn(move || {
        let reader = ChunkReader {
            chunks: receiver,
            chunk: Vec::new(),
            at: 0,
        };
        archive::read_from(reader, None, false, |_| Ok(()))
    });
    let tee = Tee {
        inner: stored,
        copies: Some(sender),
    };
    let mut written = write_tar(request, counters, tee, shown)?;
    drop(written.out.copies.take());
    check_read_back(
        &written.manifest,
        &written.manifest_bytes,
        verifier,
        &written.summary.sha256,
    )?;
    let Written {
        out,
        summary,
        manifest,
        manifest_bytes,
        notes,
        unmatched_excludes,
    } = written;
    let sink = out.inner.finish().map_err(write_error)?;
    let (stored_sha256, stored_bytes) = digest.result();
    Ok(Streamed {
        sink,
        manifest,
        manifest_bytes,
        summary,
        stored_sha256,
        stored_bytes,
        notes,
        unmatched_excludes,
    })
}

/// The read-back thread's view of the archive against what was written.
fn check_read_back(
    manifest: &Manifest,
    manifest_bytes: &[u8],
    verifier: std::thread::JoinHandle<Result<archive::ReadOutcome, ReadError>>,
    sha256: &str,
) -> Result<()> {
    let outcome = verifier
        .join()
        .map_err(|_| PackError::Verify("the read-back thread panicked".to_owned()))?
        .map_err(PackError::ReadBack)?;
    let mut problems = archive::compare(manifest, &outcome.entries);
    if outcome.archive_sha256 != sha256 {
        problems.push("the archive on disk differs from what was written".to_owned());
    }
    if outcome.manifest_bytes.as_deref() != Some(manifest_bytes) {
        problems.push("the manifest read back differs from the one written".to_owned());
    }
    match problems.into_iter().next() {
        Some(problem) => Err(PackError::Verify(problem)),
        None => Ok(()),
    }
}

/// Walks the sources into `out` as tar + gzip, the manifest last.
fn write_tar<W: Write + Send + 'static>(
    request: &Request,
    counters: &Counters,
    out: W,
    shown: &Path,
) -> Result<Written<W>> {
    let write_error = |source: io::Error| PackError::Write {
        path: shown.to_path_buf(),
        source,
    };
    let gzip = ParallelGzip::new(out, request.level, request.threads);
    let excludes = Excludes::new(&request.excludes, &request.root)
        .map_err(|(pattern, detail)| PackError::Pattern { pattern, detail })?;
    raise_open_files_limit();
    let mut walker = Walker::start(
        TarWriter::new(gzip),
        shown.to_path_buf(),
        &request.root,
        excludes,
        counters.clone(),
        request.previous.clone(),
    )?;
    for path in &request.skip {
        if let Ok(metadata) = fs::metadata(path) {
            walker.skip.insert((metadata.dev(), metadata.ino()));
        }
    }
    if let Some(dump) = &request.dump {
        walker.add_own_file(manifest::DUMP_PATH, &dump.file)?;
        if let Some(globals) = &dump.globals {
            walker.add_own_file(manifest::GLOBALS_PATH, globals)?;
        }
    }
    if let Some((file, _)) = &request.redis {
        walker.add_own_file(manifest::REDIS_PATH, file)?;
    }
    for source in &request.sources {
        match source {
            Source::Tree(path) => walker.add_source(path, true)?,
            Source::Entry(path) => walker.add_source(path, false)?,
        }
    }
    let mut entries = std::mem::take(&mut walker.entries);
    for (index, digest) in walker.hasher.finish() {
        entries[index].sha256 = Some(digest);
    }
    let previous = request.previous.as_deref();
    let deleted = previous.map(|p| p.deleted(&entries)).unwrap_or_default();
    let manifest = Manifest {
        format_version: if previous.is_some() {
            manifest::FORMAT_VERSION
        } else {
            manifest::FULL_FORMAT_VERSION
        },
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
        redis: request.redis.as_ref().map(|(_, data)| data.clone()),
        warnings: walker
            .notes
            .iter()
            .map(|(p, n)| format!("{p}: {n}"))
            .collect(),
        parent: previous.map(|p| p.archive.clone()),
        deleted,
    };
    let manifest_bytes = manifest.to_bytes();
    let notes = std::mem::take(&mut walker.notes);
    let unmatched_excludes = walker.excludes.unmatched();
    let (out, summary) = write_manifest(walker.tar, &manifest_bytes).map_err(write_error)?;
    Ok(Written {
        out,
        summary,
        manifest,
        manifest_bytes,
        notes,
        unmatched_excludes,
    })
}

/// The bytes as stored: plain, or through age.
enum Stored<S: Write> {
    Plain(crypt::HashingWriter<S>),
    Age(age::stream::StreamWriter<crypt::HashingWriter<S>>),
}

impl<S: Write> Stored<S> {
    fn finish(self) -> io::Result<S> {
        match self {
            Stored::Plain(hashing) => Ok(hashing.inner),
            Stored::Age(age) => age.finish().map(|hashing| hashing.inner),
        }
    }
}

impl<S: Write> Write for Stored<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stored::Plain(w) => w.write(buf),
            Stored::Age(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stored::Plain(w) => w.flush(),
            Stored::Age(w) => w.flush(),
        }
    }
}

/// Passes the `.tar.gz` stream on and gives the read-back thread a copy.
struct Tee<W> {
    inner: W,
    copies: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(copies) = &self.copies
            && copies.send(buf[..n].to_vec()).is_err()
        {
            // The reader stopped (it found damage): its error is reported.
            self.copies = None;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads what a [`Tee`] copied, to the end.
struct ChunkReader {
    chunks: std::sync::mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.chunks.recv() {
                Ok(chunk) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The manifest as the archive's last entry, the end blocks, the gzip trailer.
fn write_manifest<W: Write + Send + 'static>(
    mut tar: TarWriter<ParallelGzip<W>>,
    bytes: &[u8],
) -> io::Result<(W, pgzip::Summary)> {
    let header = ustar::Header {
        kind: ustar::kind::FILE,
        path: manifest::MANIFEST_PATH.as_bytes().to_vec(),
        size: bytes.len() as u64,
        mode: 0o600,
        mtime: (Utc::now().timestamp(), 0),
        ..ustar::Header::default()
    };
    tar.header(&header)?;
    tar.content(&mut &bytes[..], bytes.len() as u64)
        .map_err(|err| match err {
            writer::CopyError::Read(err) | writer::CopyError::Write(err) => err,
        })?;
    tar.finish()?.finish()
}

/// A deep tree holds one descriptor per level while it is walked: allow as
/// many as the hard limit does.
fn raise_open_files_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            },
        );
    }
}

/// Whether the exclude patterns are valid, before any work starts.
pub fn check_excludes(patterns: &[String]) -> Result<()> {
    Excludes::new(patterns, Path::new("/"))
        .map(|_| ())
        .map_err(|(pattern, detail)| PackError::Pattern { pattern, detail })
}

/// Whether `path` below a root, whose last name is `name`, is left out by
/// `patterns` (see [`exclude`] for their meaning).
pub fn excluded(patterns: &[String], path: &str, name: &str) -> bool {
    Excludes::new(patterns, Path::new("/")).is_ok_and(|mut excludes| {
        excludes.matches(path, name, false) || excludes.matches(path, name, true)
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
    sha256: &str,
    manifest_copy: &[u8],
) -> io::Result<()> {
    let verification = Verification {
        verified_at: Utc::now(),
        ok: true,
        detail: "read back in full after it was written".to_owned(),
        stored: None,
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
            catalog::sidecar_text(&file_name, sha256).into_bytes(),
        ),
        (catalog::manifest_path(final_path), manifest_copy.to_vec()),
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
    fn an_encrypted_stream_holds_only_ciphertext_and_opens_with_the_key() {
        let dir = std::env::temp_dir().join(format!("maint-sealed-{}", std::process::id()));
        fs::create_dir_all(dir.join("src/sub")).unwrap();
        fs::write(dir.join("src/sub/secret.txt"), "the launch codes").unwrap();
        let identity = age::x25519::Identity::generate();
        let archive = ArchiveName {
            name: "t".into(),
            created_at: Utc::now().trunc_subsecs(0),
            kind: "daily".into(),
            encrypted: true,
        };
        let mut request = Request::new(
            &dir,
            archive,
            &dir.join("src"),
            vec![Source::Tree(dir.join("src"))],
        );
        request.recipients = Some(Arc::new(
            crypt::Recipients::parse(&[identity.to_public().to_string()]).unwrap(),
        ));
        let streamed =
            pack_stream(&request, &Counters::default(), Vec::new(), Path::new("t")).unwrap();
        let sealed = streamed.sink;
        assert_eq!(sealed.len() as u64, streamed.stored_bytes);
        assert!(!sealed.windows(6).any(|w| w == b"launch"));
        use sha2::Digest;
        assert_eq!(
            pgzip::hex(&sha2::Sha256::digest(&sealed)),
            streamed.stored_sha256
        );
        let key = dir.join("key.txt");
        {
            use age::secrecy::ExposeSecret;
            fs::write(&key, format!("{}\n", identity.to_string().expose_secret())).unwrap();
        }
        let plain = crypt::Identities::load(&key)
            .unwrap()
            .decrypt(io::Cursor::new(sealed), "t")
            .unwrap();
        let outcome = archive::read_from(plain, None, true, |_| Ok(())).unwrap();
        assert_eq!(outcome.archive_sha256, streamed.summary.sha256);
        assert!(archive::compare(&streamed.manifest, &outcome.entries).is_empty());
        fs::remove_dir_all(dir).unwrap();
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
    fn written_entries_read_back_exactly_as_gnu_tar_reads_them() {
        let dir = std::env::temp_dir().join(format!("maint-archive-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.tar.gz");
        let long = format!("{}/file.txt", "d".repeat(120));
        let header = |kind, path: &[u8], size| ustar::Header {
            kind,
            path: path.to_vec(),
            size,
            mode: 0o644,
            mtime: (2, 5),
            ..ustar::Header::default()
        };
        {
            let gz = ParallelGzip::new(File::create(&path).unwrap(), 6, 2);
            let mut tar = TarWriter::new(gz);
            tar.header(&header(ustar::kind::DIR, b"d", 0)).unwrap();
            tar.header(&header(ustar::kind::FILE, long.as_bytes(), 5))
                .unwrap();
            // The source has 7 bytes more than recorded: exactly 5 go in.
            tar.content(&mut &b"hello, world"[..], 5).unwrap();
            tar.header(&header(ustar::kind::FILE, b"short", 4)).unwrap();
            let filled = tar.copy(&mut &b"ab"[..], 4, &mut |_| {}).unwrap();
            tar.pad(4).unwrap();
            assert!(filled.short);
            let mut link = header(ustar::kind::SYMLINK, b"l", 0);
            link.link = "t".repeat(150).into_bytes();
            tar.header(&link).unwrap();
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
        assert_eq!(outcome.entries[1].mtime_ns, 5);
        assert_eq!(
            outcome.entries[3].kind,
            archive::EntryKind::Symlink("t".repeat(150))
        );
        // GNU tar agrees.
        let listing = std::process::Command::new("tar")
            .arg("tvzf")
            .arg(&path)
            .output()
            .unwrap();
        assert!(listing.status.success());
        let listing = String::from_utf8_lossy(&listing.stdout);
        assert!(listing.contains(&long), "{listing}");
        assert!(
            listing.contains(&format!("l -> {}", "t".repeat(150))),
            "{listing}"
        );
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
