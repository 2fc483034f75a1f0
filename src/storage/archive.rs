//! The archive format: a plain `.tar.gz` (GNU tar headers, one gzip member)
//! named `<name>-<UTC timestamp>-<kind>.tar.gz`, written entry by entry with
//! exactly the size its header records, and read back with every entry
//! hashed and every gzip byte checked.
//!
//! Reading decompresses on its own thread (inflate is the slow part) while
//! the caller's thread parses tar, hashes and writes; it reads the gzip
//! stream to its very end, because a tar reader stops at the end-of-archive
//! blocks and would never see a damaged CRC or a truncated trailer.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};

use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};

use super::manifest::{self, Manifest};
use super::pgzip::hex;
use super::ustar;

pub const SUFFIX: &str = ".tar.gz";
/// Added to the name of an archive encrypted with age (`.tar.gz.age`).
pub const AGE_SUFFIX: &str = ".age";
const TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const CHUNK: usize = 256 * 1024;

/// What an archive's file name says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveName {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub kind: String,
    /// Encrypted with age: `.tar.gz.age`, which `age -d | tar xz` opens.
    pub encrypted: bool,
}

impl ArchiveName {
    pub fn file_name(&self) -> String {
        let age = if self.encrypted { AGE_SUFFIX } else { "" };
        format!("{}{SUFFIX}{age}", self.stem())
    }

    /// The file name without `.tar.gz` (or `.tar.gz.age`): sidecars are named after it.
    pub fn stem(&self) -> String {
        format!(
            "{}-{}-{}",
            self.name,
            self.created_at.format(TIME_FORMAT),
            self.kind
        )
    }

    /// Reads `<name>-<YYYYMMDDTHHMMSSZ>-<kind>.tar.gz[.age]`; None for any other file.
    pub fn parse(file_name: &str) -> Option<ArchiveName> {
        let (file_name, encrypted) = match file_name.strip_suffix(AGE_SUFFIX) {
            Some(plain) => (plain, true),
            None => (file_name, false),
        };
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
                encrypted,
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

/// Extended attributes by name (`user.*`, `security.capability`,
/// `system.posix_acl_access` ...), their values byte for byte.
pub type Xattrs = BTreeMap<String, Vec<u8>>;

/// One entry as it is read: its header fields, and its content to read.
///
/// What PAX records add (exact byte paths, nanoseconds, times before 1970,
/// owner names, `SCHILY.xattr.*`, GNU sparse maps) is filled in as GNU tar
/// reads it, so an archive made by `tar --format=posix --xattrs -S` reads
/// the same way as one maint made.
pub struct Entry<'a> {
    /// Relative path, `./` and trailing `/` removed; `raw_path` is as written.
    /// Both are lossy for names that are not UTF-8: `path_bytes` is exact.
    pub path: String,
    pub raw_path: String,
    pub kind: EntryKind,
    /// The file's size; for a sparse file its full size, holes included.
    pub size: u64,
    pub mode: u32,
    /// Seconds since the epoch, negative before 1970 (rounded down, so
    /// `mtime + mtime_ns / 1e9` is the time, as `stat` gives it).
    pub mtime: i64,
    pub uid: u32,
    pub gid: u32,
    /// The path as `path`, byte for byte (names need not be UTF-8).
    pub path_bytes: Vec<u8>,
    /// A symlink's or hard link's target byte for byte (`kind` holds it lossily).
    pub link_bytes: Option<Vec<u8>>,
    pub mtime_ns: u32,
    /// Owner and group names, when the archive records them.
    pub user: Option<String>,
    pub group: Option<String>,
    pub xattrs: Xattrs,
    /// For a sparse file, its data as (offset, length) runs; the rest are
    /// holes. [`Entry::copy_to`] gives the full content (holes as zeros);
    /// [`Entry::copy_to_file`] leaves the holes unwritten.
    pub sparse: Option<Vec<(u64, u64)>>,
    /// (major, minor) of a character or block device.
    pub device: Option<(u32, u32)>,
    content: &'a mut dyn Read,
    sha: Sha256,
    read: u64,
    hash: bool,
}

impl Entry<'_> {
    /// Copies the content to `out` while hashing it.
    pub fn copy_to(&mut self, out: &mut impl Write, buffer: &mut [u8]) -> io::Result<()> {
        loop {
            let n = self.next_chunk(buffer)?;
            if n == 0 {
                return Ok(());
            }
            out.write_all(&buffer[..n])?;
        }
    }

    /// [`Entry::copy_to`] into a new, empty file: a sparse entry's holes are
    /// skipped over rather than written, so the file is sparse again, and
    /// the file gets its full length.
    pub fn copy_to_file(&mut self, file: &mut File, buffer: &mut [u8]) -> io::Result<()> {
        if self.sparse.is_none() {
            return self.copy_to(file, buffer);
        }
        let mut at = 0u64;
        loop {
            let n = self.next_chunk(buffer)?;
            if n == 0 {
                return file.set_len(at);
            }
            if buffer[..n].iter().any(|&b| b != 0) {
                file.seek(SeekFrom::Start(at))?;
                file.write_all(&buffer[..n])?;
            }
            at += n as u64;
        }
    }

    /// The next piece of content, hashed and counted; 0 at the end.
    fn next_chunk(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.content.read(buffer) {
                Ok(n) => {
                    if self.hash {
                        self.sha.update(&buffer[..n]);
                    }
                    self.read += n as u64;
                    return Ok(n);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
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
    /// The fields below are [`Entry`]'s, kept.
    pub path_bytes: Vec<u8>,
    pub link_bytes: Option<Vec<u8>>,
    pub mtime_ns: u32,
    pub uid: u32,
    pub gid: u32,
    pub user: Option<String>,
    pub group: Option<String>,
    pub xattrs: Xattrs,
    pub sparse: Option<Vec<(u64, u64)>>,
    pub device: Option<(u32, u32)>,
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
    let mut reader = ustar::Reader::new(stream);
    let mut previous: Option<String> = None;
    loop {
        let header = match reader.next_header() {
            Ok(Some(header)) => header,
            Ok(None) => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::InvalidData => {
                return Err(ReadError::Damaged {
                    at: place(None, previous.as_deref()),
                    detail: format!("a tar header is invalid ({err})"),
                });
            }
            Err(err) => return Err(ReadError::Io(err)),
        };
        let mut path_bytes = header.path.clone();
        let raw_path = String::from_utf8_lossy(&path_bytes).into_owned();
        let link_text = || String::from_utf8_lossy(&header.link).into_owned();
        let kind = match header.kind {
            ustar::kind::FILE
            | ustar::kind::OLD_FILE
            | ustar::kind::CONTIGUOUS
            | ustar::kind::GNU_SPARSE => EntryKind::File,
            ustar::kind::DIR => EntryKind::Dir,
            ustar::kind::SYMLINK => EntryKind::Symlink(link_text()),
            ustar::kind::HARD_LINK => EntryKind::HardLink(link_text()),
            ustar::kind::FIFO => EntryKind::Fifo,
            ustar::kind::CHAR => EntryKind::CharDevice,
            ustar::kind::BLOCK => EntryKind::BlockDevice,
            other => EntryKind::Other(other),
        };
        let is_link = matches!(kind, EntryKind::Symlink(_) | EntryKind::HardLink(_));
        normalise_bytes(&mut path_bytes);
        let path = String::from_utf8_lossy(&path_bytes).into_owned();
        let damaged = |err: io::Error| ReadError::Damaged {
            at: place(Some(&path), None),
            detail: err.to_string(),
        };
        let mut expanded;
        let (size, sparse, content): (u64, Option<SparseMap>, &mut dyn Read) = match &header.sparse
        {
            Some(sparse) => {
                let map = if sparse.map_in_data {
                    ustar::read_sparse_map(&mut reader, sparse.real_size)
                        .map_err(damaged)?
                        .0
                } else {
                    sparse.map.clone()
                };
                expanded = Expand::new(&mut reader, map.clone(), sparse.real_size);
                (sparse.real_size, Some(map), &mut expanded)
            }
            None => (header.size, None, &mut reader),
        };
        let mut entry = Entry {
            path: path.clone(),
            raw_path,
            kind,
            size,
            mode: header.mode,
            mtime: header.mtime.0,
            uid: header.uid as u32,
            gid: header.gid as u32,
            path_bytes,
            link_bytes: is_link.then(|| header.link.clone()),
            mtime_ns: header.mtime.1,
            user: header.user.clone(),
            group: header.group.clone(),
            xattrs: header.xattrs.clone(),
            sparse,
            device: matches!(header.kind, ustar::kind::CHAR | ustar::kind::BLOCK)
                .then_some(header.device),
            content,
            sha: Sha256::new(),
            read: 0,
            hash: hash_content,
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
            path_bytes: entry.path_bytes,
            link_bytes: entry.link_bytes,
            mtime_ns: entry.mtime_ns,
            uid: entry.uid,
            gid: entry.gid,
            user: entry.user,
            group: entry.group,
            xattrs: entry.xattrs,
            sparse: entry.sparse,
            device: entry.device,
        });
        previous = Some(path);
    }
}

/// A sparse entry's stored runs, read back as the whole file (holes as zeros).
struct Expand<'r> {
    inner: &'r mut dyn Read,
    map: Vec<(u64, u64)>,
    size: u64,
    at: u64,
    run: usize,
}

impl<'r> Expand<'r> {
    fn new(inner: &'r mut dyn Read, map: Vec<(u64, u64)>, size: u64) -> Expand<'r> {
        Expand {
            inner,
            map,
            size,
            at: 0,
            run: 0,
        }
    }
}

impl Read for Expand<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(&(offset, length)) = self.map.get(self.run) {
            if self.at < offset + length {
                break;
            }
            self.run += 1;
        }
        if self.at >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let (hole_end, in_run) = match self.map.get(self.run) {
            Some(&(offset, length)) if self.at >= offset => (offset + length, true),
            Some(&(offset, _)) => (offset, false),
            None => (self.size, false),
        };
        let want = buf.len().min((hole_end - self.at) as usize);
        let n = if in_run {
            let n = self.inner.read(&mut buf[..want])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the sparse file's data ends early",
                ));
            }
            n
        } else {
            buf[..want].fill(0);
            want
        };
        self.at += n as u64;
        Ok(n)
    }
}

/// Data runs of a sparse file: (offset, length).
pub type SparseMap = Vec<(u64, u64)>;

/// [`normalise`] on bytes, in place.
fn normalise_bytes(path: &mut Vec<u8>) {
    let mut start = 0;
    while path[start..].starts_with(b"./") {
        start += 2;
    }
    path.drain(..start);
    while path.last() == Some(&b'/') {
        path.pop();
    }
    if path.is_empty() || path == b"." {
        *path = b".".to_vec();
    }
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
        inner: file,
        sha: Sha256::new(),
        count: 0,
        progress,
    };
    let mut decoder = Members::new(Lookahead::new(hashing));
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
    let mut hashing = decoder.into_inner().inner;
    let _ = io::copy(&mut hashing, &mut io::sink());
    (hex(&hashing.sha.finalize()), hashing.count)
}

/// A gzip file as `gzip -t` reads it: one member after another, and zeros
/// after the last one accepted (tape and some storage pad files with them);
/// anything else after a member is damage.
struct Members<R: BufRead> {
    decoder: Option<flate2::bufread::GzDecoder<R>>,
    source: Option<R>,
}

impl<R: BufRead> Members<R> {
    fn new(source: R) -> Members<R> {
        Members {
            decoder: Some(flate2::bufread::GzDecoder::new(source)),
            source: None,
        }
    }

    fn into_inner(self) -> R {
        match (self.decoder, self.source) {
            (Some(decoder), _) => decoder.into_inner(),
            (None, Some(source)) => source,
            (None, None) => unreachable!("one of them always holds the source"),
        }
    }

    /// After a member: another one, the end, or zeros to the end.
    fn next_member(&mut self) -> io::Result<bool> {
        let Some(decoder) = self.decoder.take() else {
            return Ok(false);
        };
        let mut source = decoder.into_inner();
        loop {
            let peek = source.fill_buf()?;
            if peek.is_empty() {
                self.source = Some(source);
                return Ok(false);
            }
            if peek.starts_with(&[0x1f, 0x8b]) {
                self.decoder = Some(flate2::bufread::GzDecoder::new(source));
                return Ok(true);
            }
            if peek.iter().all(|&b| b == 0) {
                let n = peek.len();
                source.consume(n);
                continue;
            }
            self.source = Some(source);
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "data that is not gzip follows the compressed stream",
            ));
        }
    }
}

impl<R: BufRead> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = &mut self.decoder else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            if !self.next_member()? {
                return Ok(0);
            }
        }
    }
}

/// A buffered reader that always shows at least two bytes when two remain,
/// so a gzip magic number is never split between two buffers.
struct Lookahead<R> {
    inner: R,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl<R: Read> Lookahead<R> {
    fn new(inner: R) -> Lookahead<R> {
        Lookahead {
            inner,
            buffer: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
        }
    }
}

impl<R: Read> Read for Lookahead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Lookahead<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.end - self.start < 2 && !self.eof {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            while self.end < 2 && !self.eof {
                match self.inner.read(&mut self.buffer[self.end..]) {
                    Ok(0) => self.eof = true,
                    Ok(n) => self.end += n,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(&self.buffer[self.start..self.end])
    }

    fn consume(&mut self, amount: usize) {
        self.start = (self.start + amount).min(self.end);
    }
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
    sha256_of(File::open(path)?)
}

/// The SHA-256 of what a reader gives, to its end.
pub fn sha256_of(mut reader: impl Read) -> io::Result<String> {
    let mut sha = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    loop {
        match reader.read(&mut buffer) {
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
    let expected = manifest.by_path_bytes();
    let mut found = std::collections::BTreeSet::new();
    for entry in seen {
        if entry.path == manifest::MANIFEST_PATH {
            continue;
        }
        let path = &entry.path;
        if !found.insert(entry.path_bytes.as_slice()) {
            problems.push(format!("entry {path}: appears twice"));
            continue;
        }
        let Some(want) = expected.get(&entry.path_bytes) else {
            problems.push(format!("entry {path}: not in the manifest"));
            continue;
        };
        let kind_matches = matches!(
            (&entry.kind, want.kind),
            (EntryKind::File, EntryType::File)
                | (EntryKind::Dir, EntryType::Dir)
                | (EntryKind::Symlink(_), EntryType::Symlink)
                | (EntryKind::HardLink(_), EntryType::HardLink)
                | (EntryKind::Fifo, EntryType::Fifo)
                | (EntryKind::CharDevice, EntryType::CharDevice)
                | (EntryKind::BlockDevice, EntryType::BlockDevice)
        );
        let links = matches!(entry.kind, EntryKind::Symlink(_) | EntryKind::HardLink(_));
        if !kind_matches {
            problems.push(format!("entry {path}: type differs from the manifest"));
        } else if entry.size != want.size {
            problems.push(format!(
                "entry {path}: {} bytes, the manifest says {}",
                entry.size, want.size
            ));
        } else if entry.sha256.is_some() && entry.sha256 != want.sha256 {
            problems.push(format!("entry {path}: SHA-256 differs from the manifest"));
        } else if links && entry.link_bytes != want.link_bytes() {
            problems.push(format!(
                "entry {path}: link target differs from the manifest"
            ));
        } else if entry.xattrs != want.xattr_values() {
            problems.push(format!(
                "entry {path}: extended attributes differ from the manifest"
            ));
        }
    }
    // An incremental lists what an earlier archive of its chain holds.
    for (bytes, entry) in expected.iter().filter(|(_, e)| e.stored_in.is_none()) {
        if !found.contains(bytes.as_slice()) {
            problems.push(format!(
                "entry {}: in the manifest but not in the archive",
                entry.path
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
            encrypted: false,
        };
        assert_eq!(
            name.file_name(),
            "web-1-20261124T020304Z-pre-restore.tar.gz"
        );
        assert_eq!(ArchiveName::parse(&name.file_name()), Some(name.clone()));
        let sealed = ArchiveName {
            encrypted: true,
            ..name
        };
        assert_eq!(
            sealed.file_name(),
            "web-1-20261124T020304Z-pre-restore.tar.gz.age"
        );
        assert_eq!(ArchiveName::parse(&sealed.file_name()), Some(sealed));
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

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("maint-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn gnu_tar(args: &[&str], dir: &Path) {
        let status = std::process::Command::new("tar")
            .args(args)
            .current_dir(dir)
            .env("LC_ALL", "C")
            .status()
            .unwrap();
        assert!(status.success(), "tar {args:?}");
    }

    #[test]
    fn zeros_after_the_gzip_stream_pass_as_gzip_t_passes_them() {
        let dir = scratch("gzpad");
        std::fs::create_dir(dir.join("t")).unwrap();
        std::fs::write(dir.join("t/a"), "hello").unwrap();
        gnu_tar(&["czf", "a.tar.gz", "t"], &dir);
        let path = dir.join("a.tar.gz");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[0u8; 3000]);
        std::fs::write(&path, &bytes).unwrap();
        let gzip = std::process::Command::new("gzip")
            .arg("-t")
            .arg(&path)
            .status()
            .unwrap();
        assert!(gzip.success(), "gzip -t accepts the padding");
        let outcome = read(&path, None, |_| Ok(())).unwrap();
        assert_eq!(outcome.entries.len(), 2);
        // Two members in a row read as one stream, as gzip reads them.
        let one = std::fs::read(dir.join("a.tar.gz")).unwrap();
        let member = &one[..one.len() - 3000];
        let mut two = member.to_vec();
        let tail = std::process::Command::new("gzip")
            .arg("-c")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        two.extend_from_slice(&tail.stdout);
        std::fs::write(&path, &two).unwrap();
        assert!(read(&path, None, |_| Ok(())).is_ok());
        // Anything else after the stream is damage.
        let mut garbage = member.to_vec();
        garbage.extend_from_slice(b"\0\0appended");
        std::fs::write(&path, &garbage).unwrap();
        let err = read(&path, None, |_| Ok(())).unwrap_err().to_string();
        assert!(err.contains("not gzip follows"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn pax_records_of_gnu_tar_are_read_exactly() {
        use std::os::unix::ffi::OsStrExt;
        let dir = scratch("paxread");
        let tree = dir.join("t");
        std::fs::create_dir(&tree).unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"caf\xe9\nline");
        std::fs::write(tree.join(odd), "odd").unwrap();
        std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(b"/tmp/\xff"), tree.join("l"))
            .unwrap();
        let sparse = tree.join("sparse");
        let file = File::create(&sparse).unwrap();
        file.set_len(8 << 20).unwrap();
        let mut file = file;
        file.seek(SeekFrom::Start(3 << 20)).unwrap();
        file.write_all(b"middle").unwrap();
        drop(file);
        rustix::fs::setxattr(
            &sparse,
            "user.note",
            b"v\0\xff",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
        let old = File::create(tree.join("old")).unwrap();
        old.set_modified(std::time::UNIX_EPOCH - std::time::Duration::new(100, 250_000_000))
            .unwrap();
        drop(old);
        gnu_tar(
            &["--format=posix", "--xattrs", "-S", "-czf", "a.tar.gz", "t"],
            &dir,
        );
        let mut contents = BTreeMap::new();
        let outcome = read(&dir.join("a.tar.gz"), None, |entry| {
            let mut out = Vec::new();
            entry.copy_to(&mut out, &mut [0u8; 4096]).unwrap();
            contents.insert(entry.path_bytes.clone(), out);
            Ok(())
        })
        .unwrap();
        let by_path = |path: &[u8]| {
            outcome
                .entries
                .iter()
                .find(|e| e.path_bytes == path)
                .unwrap_or_else(|| panic!("{:?}", outcome.entries))
        };
        assert_eq!(by_path(b"t/caf\xe9\nline").size, 3);
        assert_eq!(contents[&b"t/caf\xe9\nline"[..]], b"odd");
        assert_eq!(
            by_path(b"t/l").link_bytes.as_deref(),
            Some(&b"/tmp/\xff"[..])
        );
        let sparse_seen = by_path(b"t/sparse");
        assert_eq!(sparse_seen.size, 8 << 20);
        assert!(sparse_seen.sparse.is_some(), "{sparse_seen:?}");
        assert_eq!(sparse_seen.xattrs["user.note"], b"v\0\xff");
        assert_eq!(
            sparse_seen.sha256.as_deref(),
            Some(sha256_file(&sparse).unwrap().as_str())
        );
        assert_eq!(contents[&b"t/sparse"[..]], std::fs::read(&sparse).unwrap());
        let old = by_path(b"t/old");
        assert_eq!((old.mtime, old.mtime_ns), (-101, 750_000_000));
        assert_eq!(old.user.as_deref(), Some("root"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
