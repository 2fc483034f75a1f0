//! Incremental runs: what a previous run read of each file (device, inode,
//! offset and a hash of the last line read), so the next run reads only
//! what was written since, across rotation by rename (the inode moves to
//! `app.log.1`), rotation with compression (the content moves to
//! `app.log.1.gz`) and copytruncate (the file shrinks; its copy holds the
//! lines written before).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const VERSION: u32 = 1;
/// How much of the last line read is hashed.
pub const TAIL: usize = 256;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub version: u32,
    /// Unix ms at which the run that wrote this state started.
    pub started_at: i64,
    pub files: Vec<FileState>,
    /// The kinds of message runs have seen, to tell a new one. Absent in
    /// states written before templates were remembered: that run's
    /// templates become the known ones and none is new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<Vec<KnownTemplate>>,
    /// The journal cursor of the last entry read (`--journal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_cursor: Option<String>,
}

/// A template a run has seen.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KnownTemplate {
    pub template: String,
    /// Unix ms: the start of the first and of the latest run that saw it.
    pub first_seen: i64,
    pub last_seen: i64,
}

/// At most this many templates are remembered, the most recently seen:
/// a few MiB of state at worst, and a kind of message not seen for that
/// many others is new again.
pub const KNOWN_TEMPLATES: usize = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileState {
    pub path: PathBuf,
    pub device: u64,
    pub inode: u64,
    /// Bytes read (of the decompressed content, for gzip), always at a line end.
    pub offset: u64,
    /// [`tail_hash`] of the bytes before `offset`, in hex.
    pub line_hash: String,
    pub gzip: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state file {} is corrupt: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
}

impl State {
    pub fn new(started_at: i64) -> State {
        State {
            version: VERSION,
            started_at,
            files: Vec::new(),
            templates: None,
            journal_cursor: None,
        }
    }

    /// Remembers `seen` (this run's templates) beside what `previous`
    /// knew, and returns those of `seen` that `previous` did not know.
    /// None when `previous` remembered no templates: a first run has
    /// nothing to compare with.
    pub fn learn<'a>(
        &mut self,
        previous: Option<&State>,
        seen: impl IntoIterator<Item = &'a str>,
    ) -> Option<Vec<&'a str>> {
        let now = self.started_at;
        let known = previous.and_then(|p| p.templates.as_ref());
        let mut remembered: HashMap<&str, KnownTemplate> = known
            .into_iter()
            .flatten()
            .map(|t| (t.template.as_str(), t.clone()))
            .collect();
        let mut new = Vec::new();
        for text in seen {
            if let Some(entry) = remembered.get_mut(text) {
                entry.last_seen = now;
            } else {
                new.push(text);
                remembered.insert(
                    text,
                    KnownTemplate {
                        template: text.to_owned(),
                        first_seen: now,
                        last_seen: now,
                    },
                );
            }
        }
        let mut templates: Vec<KnownTemplate> = remembered.into_values().collect();
        templates.sort_by(|a, b| (b.last_seen, &a.template).cmp(&(a.last_seen, &b.template)));
        templates.truncate(KNOWN_TEMPLATES);
        templates.sort_by(|a, b| a.template.cmp(&b.template));
        self.templates = Some(templates);
        known.map(|_| new)
    }

    /// Reads a state file; a missing one is a first run (None).
    pub fn load(path: &Path) -> Result<Option<State>, StateError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let corrupt = |message: String| StateError::Corrupt {
            path: path.to_owned(),
            message,
        };
        let state: State =
            serde_json::from_slice(&bytes).map_err(|err| corrupt(err.to_string()))?;
        if state.version != VERSION {
            return Err(corrupt(format!(
                "version {} is not the {VERSION} this maint writes",
                state.version
            )));
        }
        if let Some(bad) = state
            .files
            .iter()
            .find(|f| u64::from_str_radix(&f.line_hash, 16).is_err())
        {
            return Err(corrupt(format!(
                "line_hash {:?} is not hexadecimal",
                bad.line_hash
            )));
        }
        Ok(Some(state))
    }

    /// Writes the state atomically: a crash leaves the old state or the new one.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        text.push(b'\n');
        crate::storage::atomic::write(path, &text)
    }
}

/// Hash of the last line of `before`, the bytes just before an offset
/// (at least the last [`TAIL`] + 1). Stable across versions (FNV-1a), as it
/// is stored on disk. None when `before` does not end with a newline.
pub fn tail_hash(before: &[u8]) -> Option<u64> {
    let (&last, rest) = before.split_last()?;
    if last != b'\n' {
        return None;
    }
    let start = memchr::memrchr(b'\n', rest).map_or(0, |i| i + 1);
    let line = &rest[start..];
    let line = &line[line.len().saturating_sub(TAIL)..];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in line {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Some(hash)
}

pub fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs.state");
        assert_eq!(State::load(&path).unwrap(), None);
        let mut state = State::new(5);
        state.files.push(FileState {
            path: "/var/log/app.log".into(),
            device: 1,
            inode: 2,
            offset: 3,
            line_hash: hex(4),
            gzip: false,
        });
        state.save(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), Some(state));
        std::fs::write(&path, "{\"version\": 1, \"files\": [").unwrap();
        let err = State::load(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("state file {} is corrupt: ", path.display())),
            "{err}"
        );
    }

    #[test]
    fn templates_are_new_once_and_the_oldest_are_forgotten() {
        let mut first = State::new(1);
        assert_eq!(first.learn(None, ["a <*>", "b"]), None);
        let mut second = State::new(2);
        assert_eq!(second.learn(Some(&first), ["b", "c"]), Some(vec!["c"]));
        let known = second.templates.as_ref().unwrap();
        let b = known.iter().find(|t| t.template == "b").unwrap();
        assert_eq!((b.first_seen, b.last_seen), (1, 2));
        assert_eq!(known.len(), 3);
        // A state from before templates were remembered: nothing is new.
        let old = State::new(0);
        assert_eq!(State::new(3).learn(Some(&old), ["z"]), None);
        // Full: the least recently seen go first.
        let mut full = State::new(5);
        full.templates = Some(
            (0..KNOWN_TEMPLATES)
                .map(|i| KnownTemplate {
                    template: format!("t{i}"),
                    first_seen: 0,
                    last_seen: i as i64,
                })
                .collect(),
        );
        let mut next = State::new(9);
        next.learn(Some(&full), ["fresh"]);
        let kept = next.templates.unwrap();
        assert_eq!(kept.len(), KNOWN_TEMPLATES);
        assert!(kept.iter().any(|t| t.template == "fresh"));
        assert!(!kept.iter().any(|t| t.template == "t0"));
    }

    #[test]
    fn the_hash_covers_the_last_line_only() {
        assert_eq!(tail_hash(b"a\nb\n"), tail_hash(b"zzz\nb\n"));
        assert_ne!(tail_hash(b"a\nb\n"), tail_hash(b"a\nc\n"));
        assert_eq!(tail_hash(b"a\nb"), None);
        assert!(tail_hash(b"\n").is_some());
    }
}
