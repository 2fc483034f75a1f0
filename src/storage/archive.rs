//! The archive format: a plain `.tar.gz` (GNU tar headers, one gzip member)
//! named `<name>-<UTC timestamp>-<kind>.tar.gz`, written entry by entry with
//! exactly the size its header records, and read back with every entry
//! hashed and every gzip byte checked.
//!
//! Reading decompresses on its own thread (inflate is the slow part) while
//! the caller's thread parses tar, hashes and writes; it reads the gzip
//! stream to its very end, because a tar reader stops at the end-of-archive
//! blocks and would never see a damaged CRC or a truncated trailer.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};

use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};

use super::manifest::{self, Manifest};
use super::pgzip::hex;

pub const SUFFIX: &str = ".tar.gz";
const TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const CHUNK: usize = 256 * 1024;

/// What an archive's file name says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveName {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub kind: String,
}

impl ArchiveName {
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}{SUFFIX}",
            self.name,
            self.created_at.format(TIME_FORMAT),
            self.kind
        )
    }

    /// The file name without `.tar.gz`: sidecars are named after it.
    pub fn stem(&self) -> String {
        self.file_name().trim_end_matches(SUFFIX).to_owned()
    }

    /// Reads `<name>-<YYYYMMDDTHHMMSSZ>-<kind>.tar.gz`; None for any other file.
    pub fn parse(file_name: &str) -> Option<ArchiveName> {
        let stem = file_name.strip_suffix(SUFFIX)?;
        // The timestamp has a fixed shape, so names and kinds may hold dashes.
        let bytes = stem.as_bytes();
        (0..bytes.len().saturating_sub(17)).rev().find_map(|at| {
            let stamp = stem.get(at + 1..at + 17)?;
            if bytes[at] != b'-' || bytes.get(at + 17) != Some(&b'-') {
                return None;
            }
            let time = NaiveDateTime::parse_from_str(stamp, TIME_FORMAT).ok()?;
            let name = &stem[..at];
            let kind = &stem[at + 18..];
            (valid_label(name) && valid_label(kind)).then(|| ArchiveName {
                name: name.to_owned(),
                created_at: time.and_utc(),
                kind: kind.to_owned(),
            })
        })
    }
}

/// Names and kinds: letters, digits, `.`, `_`, `-`; not starting with a dot.
pub fn valid_label(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('.')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The kind of an entry as tar records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink(String),
    /// A hard link to an earlier entry of the archive.
    HardLink(String),
    Fifo,
    CharDevice,
    BlockDevice,
    Other(u8),
}

/// One entry as it is read: its header fields, and its content to read.
pub struct Entry<'a> {
    /// Relative path, `./` and trailing `/` removed; `raw_path` is as written.
    pub path: String,
    pub raw_path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub mtime: i64,
    pub uid: u32,
    pub gid: u32,
    content: &'a mut dyn Read,
    sha: Sha256,
    read: u64,
    hash: bool,
}

impl Entry<'_> {
    /// Copies the content to `out` while hashing it.
    pub fn copy_to(&mut self, out: &mut impl Write, buffer: &mut [u8]) -> io::Result<()> {
        loop {
            let n = match self.content.read(buffer) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if self.hash {
                self.sha.update(&buffer[..n]);
            }
            self.read += n as u64;
            out.write_all(&buffer[..n])?;
        }
    }

    fn read_all(&mut self, limit: u64) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        (&mut self.content).take(limit).read_to_end(&mut bytes)?;
        self.sha.update(&bytes);
        self.read += bytes.len() as u64;
        Ok(bytes)
    }
}

/// An entry after it was read: what verification compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub mtime: i64,
    pub sha256: Option<String>,
}

/// Everything one pass over an archive found.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    pub entries: Vec<Seen>,
    pub manifest: Option<Manifest>,
    pub manifest_bytes: Option<Vec<u8>>,
    /// SHA-256 of the archive file itself, for the `.sha256` sidecar.
    pub archive_sha256: String,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Open { path: String, source: io::Error },
    /// The gzip stream or the tar structure is broken; `at` names the entry.
    #[error("damaged {at}: {detail}")]
    Damaged { at: String, detail: String },
    /// The visitor refused an entry (a restore's safety checks).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Io(io::Error),
}

/// Where the reader was when something broke, for naming the damaged entry.
fn place(current: Option<&str>, previous: Option<&str>) -> String {
    match (current, previous) {
        (Some(path), _) => format!("entry {path}"),
        (None, Some(path)) => format!("archive after entry {path}"),
        (None, None) => "archive at its start".to_owned(),
    }
}

fn describe_stream_error(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::UnexpectedEof => {
            "the archive is truncated: the gzip stream ends early".to_owned()
        }
        _ => format!("the gzip stream is corrupt: {err}"),
    }
}

/// Reads the whole archive at `path`: every entry goes to `visit` (which may
/// copy its content out), then is hashed to its end; the gzip stream is read
/// to its trailer. `progress` counts compressed bytes read.
pub fn read(
    path: &Path,
    progress: Option<Arc<AtomicU64>>,
    visit: impl FnMut(&mut Entry<'_>) -> Result<(), ReadError>,
) -> Result<ReadOutcome, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Open {
        path: path.display().to_string(),
        source,
    })?;
    read_from(file, progress, true, visit)
}

/// [`read`] from any source. Without `hash_content` the entries' SHA-256s
/// are left out (the structure, sizes, gzip CRC and the archive's own
/// SHA-256 are still checked): for reading back what was just written,
/// whose content hashes are known.
pub fn read_from<R: Read + Send + 'static>(
    source: R,
    progress: Option<Arc<AtomicU64>>,
    hash_content: bool,
    mut visit: impl FnMut(&mut Entry<'_>) -> Result<(), ReadError>,
) -> Result<ReadOutcome, ReadError> {
    let (chunks, queue) = mpsc::sync_channel(4);
    let inflater = std::thread::spawn(move || inflate(source, &chunks, progress));
    let mut stream = ChannelReader {
        queue,
        chunk: Vec::new(),
        at: 0,
        failed: None,
        total: 0,
    };
    let mut outcome = ReadOutcome::default();
    let result = read_entries(&mut stream, &mut outcome, hash_content, &mut visit);
    // Whatever happened, read the gzip stream to its end: its trailer (CRC
    // and length) is checked there, and only then is a damaged stream known.
    let trailing = drain(&mut stream);
    drop(stream.queue);
    let (archive_sha256, compressed) = inflater
        .join()
        .map_err(|_| ReadError::Io(io::Error::other("the inflate thread panicked")))?;
    outcome.archive_sha256 = archive_sha256;
    outcome.compressed_bytes = compressed;
    outcome.uncompressed_bytes = stream.total;
    let last = outcome.entries.last().map(|e| e.path.clone());
    match result {
        Err(ReadError::Io(err)) => {
            let detail = stream
                .failed
                .as_ref()
                .map_or_else(|| err.to_string(), describe_stream_error);
            Err(ReadError::Damaged {
                at: place(None, last.as_deref()),
                detail,
            })
        }
        Err(ReadError::Damaged { at, detail }) => {
            let detail = stream.failed.as_ref().map_or(detail, describe_stream_error);
            Err(ReadError::Damaged { at, detail })
        }
        Err(other) => Err(other),
        Ok(()) => match (trailing, &stream.failed) {
            // The CRC fails only at the end; the manifest can still say which
            // entry the damage is in.
            (_, Some(err)) => {
                let named = outcome
                    .manifest
                    .as_ref()
                    .and_then(|m| compare(m, &outcome.entries).into_iter().next());
                let (at, detail) = match named.as_deref().and_then(|p| p.split_once(": ")) {
                    Some((at, what)) => (
                        at.to_owned(),
                        format!("{what} (and {})", describe_stream_error(err)),
                    ),
                    None => (place(None, last.as_deref()), describe_stream_error(err)),
                };
                Err(ReadError::Damaged { at, detail })
            }
            (Err(detail), None) => Err(ReadError::Damaged {
                at: place(None, last.as_deref()),
                detail,
            }),
            (Ok(()), None) => Ok(outcome),
        },
    }
}

fn read_entries(
    stream: &mut ChannelReader,
    outcome: &mut ReadOutcome,
    hash_content: bool,
    visit: &mut impl FnMut(&mut Entry<'_>) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    let mut archive = tar::Archive::new(stream);
    let entries = archive.entries().map_err(ReadError::Io)?;
    let mut previous: Option<String> = None;
    for item in entries {
        let mut tar_entry = item.map_err(|err| ReadError::Damaged {
            at: place(None, previous.as_deref()),
            detail: format!("a tar header is invalid ({err})"),
        })?;
        let header = tar_entry.header().clone();
        let raw_path = String::from_utf8_lossy(&tar_entry.path_bytes()).into_owned();
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink(link_of(&tar_entry)),
            tar::EntryType::Link => EntryKind::HardLink(link_of(&tar_entry)),
            tar::EntryType::Fifo => EntryKind::Fifo,
            tar::EntryType::Char => EntryKind::CharDevice,
            tar::EntryType::Block => EntryKind::BlockDevice,
            other => EntryKind::Other(other.as_byte()),
        };
        let path = normalise(&raw_path);
        let size = tar_entry.size();
        let mut entry = Entry {
            path: path.clone(),
            raw_path,
            kind,
            size,
            mode: header.mode().unwrap_or(0o644),
            mtime: header.mtime().unwrap_or(0) as i64,
            uid: header.uid().unwrap_or(0) as u32,
            gid: header.gid().unwrap_or(0) as u32,
            content: &mut tar_entry,
            sha: Sha256::new(),
            read: 0,
            hash: hash_content,
        };
        let damaged = |err: io::Error| ReadError::Damaged {
            at: place(Some(&path), None),
            detail: err.to_string(),
        };
        if path == manifest::MANIFEST_PATH && entry.kind == EntryKind::File {
            let bytes = entry.read_all(256 << 20).map_err(damaged)?;
            outcome.manifest = Manifest::from_bytes(&bytes).ok();
            outcome.manifest_bytes = Some(bytes);
        } else {
            visit(&mut entry).map_err(|err| match err {
                ReadError::Io(err) => damaged(err),
                other => other,
            })?;
        }
        io::copy(
            &mut entry.content,
            &mut HashSink(entry.hash.then_some(&mut entry.sha), &mut entry.read),
        )
        .map_err(damaged)?;
        if entry.read != size {
            return Err(ReadError::Damaged {
                at: place(Some(&path), None),
                detail: "the archive is truncated: the gzip stream ends early".to_owned(),
            });
        }
        let sha256 =
            (entry.kind == EntryKind::File && entry.hash).then(|| hex(&entry.sha.finalize()));
        outcome.entries.push(Seen {
            path: path.clone(),
            kind: entry.kind,
            size,
            mode: entry.mode,
            mtime: entry.mtime,
            sha256,
        });
        previous = Some(path);
    }
    Ok(())
}

fn link_of<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    entry
        .link_name_bytes()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// `./a/b/` -> `a/b`. Absolute paths and `..` stay visible for the caller to refuse.
pub fn normalise(raw: &str) -> String {
    let mut path = raw;
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    let path = path.trim_end_matches('/');
    if path.is_empty() || path == "." {
        ".".to_owned()
    } else {
        path.to_owned()
    }
}

struct HashSink<'a>(Option<&'a mut Sha256>, &'a mut u64);

impl Write for HashSink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(sha) = &mut self.0 {
            sha.update(buf);
        }
        *self.1 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// After the tar end-of-archive blocks only zeros may follow (GNU tar pads
/// to its record size); anything else was appended behind tar's back.
fn drain(stream: &mut ChannelReader) -> Result<(), String> {
    let mut buffer = vec![0u8; CHUNK];
    let mut clean = true;
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => clean &= buffer[..n].iter().all(|&b| b == 0),
            Err(_) => break,
        }
    }
    if clean {
        Ok(())
    } else {
        Err("data follows the end of the tar archive".to_owned())
    }
}

struct HashingReader<R> {
    inner: R,
    sha: Sha256,
    count: u64,
    progress: Option<Arc<AtomicU64>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.count += n as u64;
        if let Some(progress) = &self.progress {
            progress.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// The inflate thread: decompressed chunks to the queue, then the archive
/// file's SHA-256 and size (hashed to the end even when inflate failed).
fn inflate<R: Read>(
    file: R,
    chunks: &SyncSender<io::Result<Vec<u8>>>,
    progress: Option<Arc<AtomicU64>>,
) -> (String, u64) {
    let hashing = HashingReader {
        inner: BufReader::with_capacity(CHUNK, file),
        sha: Sha256::new(),
        count: 0,
        progress,
    };
    let mut decoder = flate2::read::MultiGzDecoder::new(hashing);
    loop {
        let mut chunk = vec![0u8; CHUNK * 4];
        let mut filled = 0;
        let mut failure = None;
        while filled < chunk.len() {
            match decoder.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
        }
        chunk.truncate(filled);
        let end = filled == 0 || failure.is_some();
        if filled > 0 && chunks.send(Ok(chunk)).is_err() {
            break;
        }
        if let Some(err) = failure {
            let _ = chunks.send(Err(err));
            break;
        }
        if end {
            break;
        }
    }
    let mut hashing = decoder.into_inner();
    let _ = io::copy(&mut hashing, &mut io::sink());
    (hex(&hashing.sha.finalize()), hashing.count)
}

struct ChannelReader {
    queue: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    failed: Option<io::Error>,
    total: u64,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            if let Some(err) = &self.failed {
                return Err(io::Error::new(err.kind(), err.to_string()));
            }
            match self.queue.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(err)) => self.failed = Some(err),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        self.total += n as u64;
        Ok(n)
    }
}

/// The SHA-256 of a file's content, as `sha256sum` prints it.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut sha = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok(hex(&sha.finalize())),
            Ok(n) => sha.update(&buffer[..n]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}

/// A difference between an archive and its manifest, naming the entry.
pub fn compare(manifest: &Manifest, seen: &[Seen]) -> Vec<String> {
    use manifest::EntryType;
    let mut problems = Vec::new();
    let expected = manifest.by_path();
    let mut found = std::collections::BTreeSet::new();
    for entry in seen {
        if entry.path == manifest::MANIFEST_PATH {
            continue;
        }
        if !found.insert(entry.path.as_str()) {
            problems.push(format!("entry {}: appears twice", entry.path));
            continue;
        }
        let Some(want) = expected.get(entry.path.as_str()) else {
            problems.push(format!("entry {}: not in the manifest", entry.path));
            continue;
        };
        let kind_matches = matches!(
            (&entry.kind, want.kind),
            (EntryKind::File, EntryType::File)
                | (EntryKind::Dir, EntryType::Dir)
                | (EntryKind::Symlink(_), EntryType::Symlink)
        );
        if !kind_matches {
            problems.push(format!(
                "entry {}: type differs from the manifest",
                entry.path
            ));
        } else if entry.size != want.size {
            problems.push(format!(
                "entry {}: {} bytes, the manifest says {}",
                entry.path, entry.size, want.size
            ));
        } else if entry.sha256.is_some() && entry.sha256 != want.sha256 {
            problems.push(format!(
                "entry {}: SHA-256 differs from the manifest",
                entry.path
            ));
        } else if let EntryKind::Symlink(target) = &entry.kind
            && want.link.as_deref() != Some(target.as_str())
        {
            problems.push(format!(
                "entry {}: link target differs from the manifest",
                entry.path
            ));
        }
    }
    for path in expected.keys() {
        if !found.contains(path) {
            problems.push(format!(
                "entry {path}: in the manifest but not in the archive"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_with_dashes_anywhere() {
        let name = ArchiveName {
            name: "web-1".into(),
            created_at: "2026-11-24T02:03:04Z".parse().unwrap(),
            kind: "pre-restore".into(),
        };
        assert_eq!(
            name.file_name(),
            "web-1-20261124T020304Z-pre-restore.tar.gz"
        );
        assert_eq!(ArchiveName::parse(&name.file_name()), Some(name));
        assert_eq!(ArchiveName::parse("web-20261124T020304Z.tar.gz"), None);
        assert_eq!(ArchiveName::parse("notes.tar.gz"), None);
        assert!(!valid_label(".hidden") && !valid_label("a/b") && valid_label("db_1.x"));
    }

    #[test]
    fn paths_are_normalised_but_dangers_stay_visible() {
        assert_eq!(normalise("./a/b/"), "a/b");
        assert_eq!(normalise("./"), ".");
        assert_eq!(normalise("/etc/passwd"), "/etc/passwd");
        assert_eq!(normalise("../x"), "../x");
    }
}
