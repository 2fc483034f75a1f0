//! The manifest of a backup: what the archive must contain, byte for byte.
//! It is the last entry of the archive (`.maint-backup/manifest.json`) and
//! is also kept beside it (`NAME.manifest.json`) so listing is fast.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning; readers refuse newer versions.
pub const FORMAT_VERSION: u32 = 1;
/// The folder inside every archive that holds maint's own files.
pub const META_DIR: &str = ".maint-backup";
pub const MANIFEST_PATH: &str = ".maint-backup/manifest.json";
pub const DUMP_PATH: &str = ".maint-backup/database.dump";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub maint_version: String,
    pub name: String,
    pub kind: String,
    pub host: String,
    pub created_at: DateTime<Utc>,
    /// The folder the entries' paths are relative to: the deepest folder
    /// holding every source. Restoring in place means `--target ROOT`.
    pub root: String,
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<String>,
    pub entries: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<Database>,
    /// What was skipped or changed while the backup was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryType {
    File,
    Dir,
    Symlink,
}

/// One path in the archive. Compact field names: a manifest has one of
/// these per file, and it travels inside every archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: EntryType,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub size: u64,
    pub mode: u32,
    /// Seconds since the epoch; `mtime_ns` adds what tar's whole seconds lose.
    pub mtime: i64,
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub mtime_ns: u32,
    #[serde(default)]
    pub uid: u32,
    #[serde(default)]
    pub gid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

fn is_zero32(value: &u32) -> bool {
    *value == 0
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    pub name: String,
    pub server_version: String,
    pub pg_dump_version: String,
    /// The archive entry holding the `pg_dump --format=custom` output.
    pub dump: String,
    pub tables: Vec<Table>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub rows: i64,
}

impl Table {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("the manifest is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the manifest has format version {0}; this maint reads up to {FORMAT_VERSION}")]
    TooNew(u32),
}

impl Manifest {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).expect("a manifest always serialises");
        bytes.push(b'\n');
        bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = serde_json::from_slice(bytes)?;
        if manifest.format_version > FORMAT_VERSION {
            return Err(ManifestError::TooNew(manifest.format_version));
        }
        Ok(manifest)
    }

    /// Entries by path, for checking an archive against its manifest.
    pub fn by_path(&self) -> BTreeMap<&str, &Entry> {
        self.entries.iter().map(|e| (e.path.as_str(), e)).collect()
    }

    /// Regular files and their bytes, the dump excluded.
    pub fn file_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.kind == EntryType::File && !is_meta(&e.path))
            .count()
    }

    pub fn content_bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }
}

/// Whether an archive path is one of maint's own files rather than backed-up data.
pub fn is_meta(path: &str) -> bool {
    path == META_DIR || path.starts_with(".maint-backup/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_newer_formats() {
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            maint_version: "0.1.0".into(),
            name: "web".into(),
            kind: "daily".into(),
            host: "web-1".into(),
            created_at: Utc::now(),
            root: "/srv/app".into(),
            sources: vec!["/srv/app".into()],
            excludes: vec![],
            entries: vec![Entry {
                path: "a.txt".into(),
                kind: EntryType::File,
                size: 3,
                mode: 0o644,
                mtime: 1,
                mtime_ns: 5,
                uid: 0,
                gid: 0,
                sha256: Some("ab".into()),
                link: None,
            }],
            database: None,
            warnings: vec![],
        };
        let bytes = manifest.to_bytes();
        assert_eq!(Manifest::from_bytes(&bytes).unwrap(), manifest);
        let newer = String::from_utf8(bytes)
            .unwrap()
            .replace("\"format_version\":1", "\"format_version\":99");
        assert!(matches!(
            Manifest::from_bytes(newer.as_bytes()),
            Err(ManifestError::TooNew(99))
        ));
        assert!(is_meta(MANIFEST_PATH) && !is_meta("data/x"));
    }
}
