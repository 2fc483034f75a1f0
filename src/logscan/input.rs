//! What to read: files, globs and folders resolved into rotated sets
//! (`app.log.3.gz`, `app.log.2.gz`, `app.log.1`, `app.log`: oldest first),
//! and what a file holds, told from its first bytes rather than its name.

use std::collections::HashSet;
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

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
}

/// Resolves paths (files, folders, globs) into files in reading order: each
/// rotated set oldest to newest, sets in the order given. A named file
/// brings its rotated siblings (`F.1`, `F.2.gz`, `F-20261120`, ...).
pub fn resolve(paths: &[PathBuf]) -> (Vec<LogFile>, Vec<Unresolved>) {
    let mut files = Vec::new();
    let mut unresolved = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        let text = path.to_string_lossy();
        let mut found: Vec<(PathBuf, bool)> = Vec::new();
        if text.contains(['*', '?', '[']) && std::fs::symlink_metadata(path).is_err() {
            match glob::glob(&text) {
                Ok(entries) => {
                    for entry in entries.flatten() {
                        if entry.is_dir() {
                            found.extend(walk(&entry).into_iter().map(|p| (p, false)));
                        } else {
                            found.push((entry, false));
                        }
                    }
                    if found.is_empty() {
                        unresolved.push(Unresolved {
                            path: path.clone(),
                            reason: "no file matches this pattern".into(),
                        });
                    }
                }
                Err(err) => unresolved.push(Unresolved {
                    path: path.clone(),
                    reason: format!("not a valid pattern: {err}"),
                }),
            }
        } else {
            match std::fs::metadata(path) {
                Ok(meta) if meta.is_dir() => {
                    found.extend(walk(path).into_iter().map(|p| (p, false)));
                }
                // Named files are opened (and their errors reported) later.
                Ok(_) => {
                    found.extend(siblings(path).into_iter().map(|p| (p, false)));
                    found.push((path.clone(), true));
                }
                Err(err) => unresolved.push(Unresolved {
                    path: path.clone(),
                    reason: crate::logscan::io_reason(&err),
                }),
            }
        }
        for set in group(found) {
            let newest = set.len().saturating_sub(1);
            for (index, (path, named)) in set.into_iter().enumerate() {
                let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                if seen.insert(key) {
                    files.push(LogFile {
                        path,
                        named,
                        rotated: index < newest,
                    });
                }
            }
        }
    }
    (files, unresolved)
}

/// Regular files under a folder, in name order.
fn walk(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|entry| entry.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// The rotated copies of `path` in its folder.
fn siblings(path: &Path) -> Vec<PathBuf> {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let dir = crate::storage::atomic::parent_dir(path);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
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
}

impl Content {
    pub fn name(self) -> &'static str {
        match self {
            Content::Text => "plain",
            Content::Gzip => "gzip",
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
