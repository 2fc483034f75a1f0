//! What to read: files, globs and folders resolved into rotated sets
//! (`app.log.3.gz`, `app.log.2.gz`, `app.log.1`, `app.log`: oldest first),
//! and what a file holds, told from its first bytes rather than its name.

use std::collections::HashSet;
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::units::human_duration;

/// A file to read, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    pub path: PathBuf,
    /// Named on the command line or in config, rather than found in a folder or by a glob.
    pub named: bool,
    /// An older member of a rotated set (not the file being written).
    pub rotated: bool,
}

/// A path that named nothing readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub path: PathBuf,
    pub reason: String,
    /// It did not answer: its filesystem looks hung.
    pub hung: bool,
}

/// Resolves paths (files, folders, globs) into files in reading order: each
/// rotated set oldest to newest, sets in the order given. A named file
/// brings its rotated siblings (`F.1`, `F.2.gz`, `F-20261120`, ...).
pub fn resolve(paths: &[PathBuf]) -> (Vec<LogFile>, Vec<Unresolved>) {
    let mut merged = Merged::default();
    for path in paths {
        merged.add(resolve_one(path, &mut || {}));
    }
    (merged.files, merged.unresolved)
}

/// The files one path names, each with the canonical path that tells
/// duplicates apart; `progress` is called as entries are looked at.
type Resolved = (Vec<(LogFile, PathBuf)>, Vec<Unresolved>);

/// Files of several paths, each file once, in the order the paths gave them.
#[derive(Default)]
struct Merged {
    files: Vec<LogFile>,
    unresolved: Vec<Unresolved>,
    seen: HashSet<PathBuf>,
}

impl Merged {
    fn add(&mut self, (files, unresolved): Resolved) {
        for (file, key) in files {
            if self.seen.insert(key) {
                self.files.push(file);
            }
        }
        self.unresolved.extend(unresolved);
    }
}

fn resolve_one(path: &Path, progress: &mut dyn FnMut()) -> Resolved {
    let mut files = Vec::new();
    let mut unresolved = Vec::new();
    let text = path.to_string_lossy();
    let mut found: Vec<(PathBuf, bool)> = Vec::new();
    if text.contains(['*', '?', '[']) && std::fs::symlink_metadata(path).is_err() {
        match glob::glob(&text) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    progress();
                    if entry.is_dir() {
                        found.extend(walk(&entry, progress).into_iter().map(|p| (p, false)));
                    } else {
                        found.push((entry, false));
                    }
                }
                if found.is_empty() {
                    unresolved.push(Unresolved {
                        path: path.to_path_buf(),
                        reason: "no file matches this pattern".into(),
                        hung: false,
                    });
                }
            }
            Err(err) => unresolved.push(Unresolved {
                path: path.to_path_buf(),
                reason: format!("not a valid pattern: {err}"),
                hung: false,
            }),
        }
    } else {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                found.extend(walk(path, progress).into_iter().map(|p| (p, false)));
            }
            // Named files are opened (and their errors reported) later.
            Ok(_) => {
                found.extend(siblings(path, progress).into_iter().map(|p| (p, false)));
                found.push((path.to_path_buf(), true));
            }
            Err(err) => unresolved.push(Unresolved {
                path: path.to_path_buf(),
                reason: crate::logscan::io_reason(&err),
                hung: false,
            }),
        }
    }
    for set in group(found) {
        let newest = set.len().saturating_sub(1);
        for (index, (path, named)) in set.into_iter().enumerate() {
            progress();
            let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            files.push((
                LogFile {
                    path,
                    named,
                    rotated: index < newest,
                },
                key,
            ));
        }
    }
    (files, unresolved)
}

/// [`resolve`], each path looked at by a helper process (see
/// [`crate::probe::isolated`]): a folder or file on a hung mount becomes an
/// unresolved path that says so after `quiet` without progress, and the
/// other paths are resolved meanwhile. The helper also opens and reads the
/// start of every file it finds, so the scan that follows does not meet a
/// mount that answers `stat` but not `read`.
pub fn resolve_isolated(
    paths: &[PathBuf],
    helper: &Path,
    quiet: Duration,
) -> (Vec<LogFile>, Vec<Unresolved>) {
    use crate::probe::isolated::{self, IsolatedError, Limit};
    let results: Vec<Resolved> = std::thread::scope(|scope| {
        let jobs: Vec<_> = paths
            .iter()
            .map(|path| {
                scope.spawn(move || {
                    match isolated::run(helper, "logfiles", path, &[], Limit::Quiet(quiet)) {
                        Ok(output) => parse_files(&output)
                            .unwrap_or_else(|| resolve_one(path, &mut || {})),
                        Err(err) if err.is_hung() => {
                            let reason = match err {
                                IsolatedError::Hung(limit) => format!(
                                    "no answer within {} while listing or reading it: a hung mount?",
                                    human_duration(limit)
                                ),
                                other => other.to_string(),
                            };
                            (
                                Vec::new(),
                                vec![Unresolved {
                                    path: path.clone(),
                                    reason,
                                    hung: true,
                                }],
                            )
                        }
                        // No helper to run: as before, in this process.
                        Err(_) => resolve_one(path, &mut || {}),
                    }
                })
            })
            .collect();
        jobs.into_iter()
            .map(|job| job.join().expect("a resolver thread does not panic"))
            .collect()
    });
    let mut merged = Merged::default();
    for resolved in results {
        merged.add(resolved);
    }
    (merged.files, merged.unresolved)
}

/// The `maint __logfiles PATH` helper: records on stdout, each a tag byte
/// and NUL-terminated fields (paths are bytes, whatever they hold): `.` is
/// progress, `F` + named + rotated flags + path + key a file, `U` + path +
/// reason a path that named nothing readable.
pub fn files_helper(path: &Path) -> (String, bool) {
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    let mut last = std::time::Instant::now();
    let mut progress = || {
        if last.elapsed() >= PROGRESS_EVERY {
            let mut out = std::io::stdout();
            let _ = out.write_all(b".");
            let _ = out.flush();
            last = std::time::Instant::now();
        }
    };
    let (files, unresolved) = resolve_one(path, &mut progress);
    let mut buffer = [0u8; 1];
    for (file, _) in &files {
        progress();
        // Touch the data too: a mount can answer stat and hang on read.
        if let Ok(mut handle) = File::open(&file.path) {
            let _ = std::io::Read::read(&mut handle, &mut buffer);
        }
    }
    let mut out = Vec::new();
    for (file, key) in &files {
        out.push(b'F');
        out.push(if file.named { b'n' } else { b'-' });
        out.push(if file.rotated { b'r' } else { b'-' });
        out.extend_from_slice(file.path.as_os_str().as_bytes());
        out.push(0);
        out.extend_from_slice(key.as_os_str().as_bytes());
        out.push(0);
    }
    for missing in &unresolved {
        out.push(b'U');
        out.extend_from_slice(missing.path.as_os_str().as_bytes());
        out.push(0);
        out.extend_from_slice(missing.reason.as_bytes());
        out.push(0);
    }
    let mut stdout = std::io::stdout();
    let ok = stdout.write_all(&out).and_then(|()| stdout.flush()).is_ok();
    (String::new(), ok)
}

/// How often the helper says it is still making progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Reads [`files_helper`]'s records; None when they are not well formed.
fn parse_files(mut output: &[u8]) -> Option<Resolved> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    fn field<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
        let end = memchr::memchr(0, rest)?;
        let value = &rest[..end];
        *rest = &rest[end + 1..];
        Some(value)
    }
    let path = |bytes: &[u8]| PathBuf::from(OsStr::from_bytes(bytes));
    let mut files = Vec::new();
    let mut unresolved = Vec::new();
    while let Some((&tag, rest)) = output.split_first() {
        output = rest;
        match tag {
            b'.' => {}
            b'F' => {
                let (&[named, rotated], rest) = output.split_first_chunk::<2>()?;
                output = rest;
                let file = path(field(&mut output)?);
                let key = path(field(&mut output)?);
                files.push((
                    LogFile {
                        path: file,
                        named: named == b'n',
                        rotated: rotated == b'r',
                    },
                    key,
                ));
            }
            b'U' => {
                let missing = path(field(&mut output)?);
                let reason = String::from_utf8_lossy(field(&mut output)?).into_owned();
                unresolved.push(Unresolved {
                    path: missing,
                    reason,
                    hung: false,
                });
            }
            _ => return None,
        }
    }
    Some((files, unresolved))
}

/// Regular files under a folder, in name order.
fn walk(dir: &Path, progress: &mut dyn FnMut()) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|entry| {
            progress();
            entry.file_type().is_file()
        })
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// The rotated copies of `path` in its folder.
fn siblings(path: &Path, progress: &mut dyn FnMut()) -> Vec<PathBuf> {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let dir = crate::storage::atomic::parent_dir(path);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| {
            progress();
            entry.file_type().is_ok_and(|t| t.is_file())
        })
        .filter_map(|entry| {
            let other = entry.file_name().to_string_lossy().into_owned();
            let (base, rotation) = rotation_of(&other);
            (base == name && rotation.is_some()).then(|| path.with_file_name(&other))
        })
        .collect();
    found.sort();
    found
}

/// Where a file sits in its set: None for the file being written, else a
/// key that sorts older rotations first.
type RotationKey = Option<(u8, i64)>;

/// Splits `app.log.2.gz` into `app.log` and its rotation: numbered
/// (`.1`, `.2.gz`: higher is older), dated (`-20261120`, `.2026-11-20`), or
/// just compressed (`.gz`).
pub fn rotation_of(name: &str) -> (&str, RotationKey) {
    let plain = name.strip_suffix(".gz").unwrap_or(name);
    let compressed = plain.len() != name.len();
    if let Some((base, number)) = plain.rsplit_once('.')
        && !base.is_empty()
        && !number.is_empty()
        && number.len() <= 4
        && number.bytes().all(|b| b.is_ascii_digit())
    {
        let n: i64 = number.parse().unwrap_or(0);
        return (base, Some((0, -n)));
    }
    for separator in ['-', '.', '_'] {
        if let Some((base, date)) = plain.rsplit_once(separator) {
            let digits: String = date.chars().filter(char::is_ascii_digit).collect();
            let shaped = date.bytes().all(|b| b.is_ascii_digit() || b == b'-');
            if !base.is_empty() && shaped && (8..=14).contains(&digits.len()) {
                let value: i64 = digits.parse().unwrap_or(0);
                return (base, Some((1, value)));
            }
        }
    }
    if compressed {
        return (plain, Some((2, 0)));
    }
    (name, None)
}

/// Groups files into rotated sets, each ordered oldest to newest; sets keep
/// the order in which their first member came.
fn group(files: Vec<(PathBuf, bool)>) -> Vec<Vec<(PathBuf, bool)>> {
    type Member = (RotationKey, PathBuf, bool);
    let mut sets: Vec<(PathBuf, Vec<Member>)> = Vec::new();
    for (path, named) in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (base, key) = rotation_of(&name);
        let base_path = crate::storage::atomic::parent_dir(&path).join(base);
        match sets.iter_mut().find(|(b, _)| *b == base_path) {
            Some((_, members)) => members.push((key, path, named)),
            None => sets.push((base_path, vec![(key, path, named)])),
        }
    }
    sets.into_iter()
        .map(|(_, mut members)| {
            // The file being written (no rotation) sorts last.
            members.sort_by_key(|(key, path, _)| (key.is_none(), *key, path.clone()));
            members.into_iter().map(|(_, p, n)| (p, n)).collect()
        })
        .collect()
}

/// What a file's first bytes say it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    Text,
    Gzip,
    /// Compressed with something maint does not read.
    Unsupported(&'static str),
    /// The systemd journal, read through journalctl.
    Journal,
}

impl Content {
    pub fn name(self) -> &'static str {
        match self {
            Content::Text => "plain",
            Content::Gzip => "gzip",
            Content::Journal => "journal",
            Content::Unsupported(name) => name,
        }
    }
}

pub fn sniff(head: &[u8]) -> Content {
    match head {
        [0x1f, 0x8b, ..] => Content::Gzip,
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Content::Unsupported("xz"),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Content::Unsupported("zstd"),
        [b'B', b'Z', b'h', ..] => Content::Unsupported("bzip2"),
        [0x04, 0x22, 0x4d, 0x18, ..] => Content::Unsupported("lz4"),
        _ => Content::Text,
    }
}

/// Whether text is binary: a NUL byte in its first 8 KiB. Leading NULs are
/// skipped: a file that copytruncate emptied while the program kept
/// writing at its old offset starts with a hole of zeros, then text.
pub fn is_binary(head: &[u8]) -> bool {
    let start = head.iter().position(|&b| b != 0).unwrap_or(head.len());
    let sample = &head[start..head.len().min(start + 8192)];
    memchr::memchr(0, sample).is_some()
}

/// A file's identity and size when it was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub device: u64,
    pub inode: u64,
    pub size: u64,
    /// Unix ms.
    pub mtime: i64,
}

impl Identity {
    pub fn of(meta: &std::fs::Metadata) -> Identity {
        Identity {
            device: meta.dev(),
            inode: meta.ino(),
            size: meta.len(),
            mtime: meta.mtime() * 1000 + meta.mtime_nsec() / 1_000_000,
        }
    }
}

/// Reads up to `len` bytes at `offset` (fewer at the end of the file).
pub fn read_at(file: &File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0; len];
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_suffixes() {
        assert_eq!(rotation_of("app.log"), ("app.log", None));
        assert_eq!(rotation_of("app.log.1"), ("app.log", Some((0, -1))));
        assert_eq!(rotation_of("app.log.12.gz"), ("app.log", Some((0, -12))));
        assert_eq!(
            rotation_of("app.log-20261120"),
            ("app.log", Some((1, 20_261_120)))
        );
        assert_eq!(
            rotation_of("app.log-20261120.gz"),
            ("app.log", Some((1, 20_261_120)))
        );
        assert_eq!(
            rotation_of("app.log.2026-11-20"),
            ("app.log", Some((1, 20_261_120)))
        );
        assert_eq!(rotation_of("app.log.gz"), ("app.log", Some((2, 0))));
    }

    #[test]
    fn sets_are_read_oldest_first_and_the_live_file_last() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "app.log",
            "app.log.1",
            "app.log.2.gz",
            "app.log.10.gz",
            "other.log",
            "app.log-20261120",
        ] {
            std::fs::write(dir.path().join(name), "x\n").unwrap();
        }
        let (files, unresolved) = resolve(&[dir.path().to_path_buf()]);
        assert!(unresolved.is_empty());
        let names: Vec<String> = files
            .iter()
            .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "app.log.10.gz",
                "app.log.2.gz",
                "app.log.1",
                "app.log-20261120",
                "app.log",
                "other.log"
            ]
        );
        assert!(files[0].rotated && !files[4].rotated && !files[5].rotated);

        let (named, _) = resolve(&[dir.path().join("app.log")]);
        assert_eq!(named.len(), 5, "a named file brings its rotated siblings");
        assert!(named[4].named && !named[0].named);

        let (_, unresolved) = resolve(&[dir.path().join("nope.log"), dir.path().join("*.txt")]);
        assert_eq!(unresolved.len(), 2);
        assert!(unresolved[1].reason.contains("no file matches"));
    }

    #[test]
    fn content_is_told_by_magic_bytes() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Content::Gzip);
        assert_eq!(sniff(b"BZh91AY"), Content::Unsupported("bzip2"));
        assert_eq!(sniff(b"2026-11-20 x"), Content::Text);
        assert!(is_binary(b"ELF\0\0\x01"));
        assert!(!is_binary(b"\0\0\0\0text after a copytruncate hole\n"));
    }
}
