//! The manifest of a backup: what the archive must contain, byte for byte.
//! It is the last entry of the archive (`.maint-backup/manifest.json`) and
//! is also kept beside it (`NAME.manifest.json`) so listing is fast.
//!
//! For an extractor, each [`Entry`] holds everything needed to put the path
//! back exactly and to compare it afterwards (the tar headers carry the same
//! in PAX records, for GNU tar): the exact bytes of names and link targets
//! that are not UTF-8 ([`Entry::path_bytes`], [`Entry::link_bytes`]), mode,
//! owner ids and names, nanosecond mtimes (negative before 1970), extended
//! attributes (ACLs are `system.posix_acl_access`/`_default`, file
//! capabilities `security.capability`), hard links, sparse maps, devices and
//! fifos. Restoring in this order keeps each of them: create the node and
//! its content (a sparse file's holes left unwritten); `lchown` (it clears
//! set-id bits and capabilities); the extended attributes (`lsetxattr`);
//! the mode (not for symlinks); the times last (`utimensat`, without
//! following symlinks), folders after their contents. A hard link is a link
//! to the earlier entry its `link` names, never a copy.
//!
//! With a database (see [`Database`]) the archive also holds the dump of
//! the database itself ([`DUMP_PATH`], `pg_dump --format=custom --create`)
//! and, when they could be read, the cluster's roles and tablespaces
//! ([`GLOBALS_PATH`], `pg_dumpall --globals-only`, plain SQL for `psql`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning; readers refuse newer versions.
/// 2: entry types for hard links, fifos and devices; exact bytes of names,
/// owner names, extended attributes, sparse maps, the globals dump.
/// 3: incremental archives ([`Manifest::parent`], [`Entry::stored_in`]);
/// written only by incrementals, so a full backup stays readable by a
/// maint that knows 2, and an older maint refuses an incremental rather
/// than restore part of it.
pub const FORMAT_VERSION: u32 = 3;
/// What a full backup is written as.
pub const FULL_FORMAT_VERSION: u32 = 2;
/// The folder inside every archive that holds maint's own files.
pub const META_DIR: &str = ".maint-backup";
pub const MANIFEST_PATH: &str = ".maint-backup/manifest.json";
pub const DUMP_PATH: &str = ".maint-backup/database.dump";
/// Roles and tablespaces (`pg_dumpall --globals-only`), beside the dump.
pub const GLOBALS_PATH: &str = ".maint-backup/globals.sql";
/// A Redis RDB snapshot (`--redis`).
pub const REDIS_PATH: &str = ".maint-backup/redis.rdb";

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisData>,
    /// What was skipped or changed while the backup was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// An incremental's parent: the file name of the previous archive of
    /// its chain, in the same destination. Entries whose content did not
    /// change are listed with [`Entry::stored_in`] naming the archive of
    /// the chain that holds them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Paths of the parent that are gone, as GNU tar's incremental lists
    /// them: a restore of this archive does not bring them back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryType {
    File,
    Dir,
    Symlink,
    /// A hard link to the earlier entry `link` names (size 0, no hash).
    #[serde(rename = "hardlink")]
    HardLink,
    Fifo,
    /// A character device, `device` its (major, minor).
    #[serde(rename = "char")]
    CharDevice,
    /// A block device, `device` its (major, minor).
    #[serde(rename = "block")]
    BlockDevice,
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
    /// A symlink's target as stored, or the earlier path a hard link names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The exact bytes of `path` (base64) when the name is not UTF-8;
    /// `path` then shows it with the bad bytes as U+FFFD. See [`Entry::path_bytes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_base64: Option<String>,
    /// The same for `link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_base64: Option<String>,
    /// Owner and group names beside the ids, as tar records them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Extended attributes: name to base64 value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub xattrs: BTreeMap<String, String>,
    /// A sparse file's data as [offset, length] runs; the rest of its
    /// `size` bytes are holes (zeros). `sha256` is of the whole content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse: Option<Vec<[u64; 2]>>,
    /// A device's [major, minor].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<[u32; 2]>,
    /// The status-change time and inode number the file had when it was
    /// read: with size, mtime, mode and owner they tell the next
    /// incremental whether it changed (0: not recorded).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub ctime: i64,
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub ctime_ns: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub inode: u64,
    /// In an incremental: the file name of the archive of the chain whose
    /// tar holds this entry's content, when it is not this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_in: Option<String>,
}

impl Entry {
    /// An entry with only the fields every kind has; the rest empty.
    pub fn new(path: &str, kind: EntryType, mode: u32, mtime: (i64, u32)) -> Entry {
        Entry {
            path: path.to_owned(),
            kind,
            size: 0,
            mode,
            mtime: mtime.0,
            mtime_ns: mtime.1,
            uid: 0,
            gid: 0,
            sha256: None,
            link: None,
            path_base64: None,
            link_base64: None,
            user: None,
            group: None,
            xattrs: BTreeMap::new(),
            sparse: None,
            device: None,
            ctime: 0,
            ctime_ns: 0,
            inode: 0,
            stored_in: None,
        }
    }

    /// The path byte for byte.
    pub fn path_bytes(&self) -> Vec<u8> {
        decode_or(self.path_base64.as_deref(), &self.path)
    }

    /// The link target byte for byte.
    pub fn link_bytes(&self) -> Option<Vec<u8>> {
        let link = self.link.as_deref()?;
        Some(decode_or(self.link_base64.as_deref(), link))
    }

    /// Sets `path` (and `path_base64` when the bytes are not UTF-8).
    pub fn set_path_bytes(&mut self, bytes: &[u8]) {
        (self.path, self.path_base64) = text_and_base64(bytes);
    }

    /// Sets `link` (and `link_base64` when the bytes are not UTF-8).
    pub fn set_link_bytes(&mut self, bytes: &[u8]) {
        let (text, base64) = text_and_base64(bytes);
        self.link = Some(text);
        self.link_base64 = base64;
    }

    /// Extended attributes with their values decoded.
    pub fn xattr_values(&self) -> BTreeMap<String, Vec<u8>> {
        self.xattrs
            .iter()
            .map(|(name, value)| {
                let bytes = data_encoding::BASE64
                    .decode(value.as_bytes())
                    .unwrap_or_default();
                (name.clone(), bytes)
            })
            .collect()
    }
}

fn decode_or(base64: Option<&str>, text: &str) -> Vec<u8> {
    base64
        .and_then(|b| data_encoding::BASE64.decode(b.as_bytes()).ok())
        .unwrap_or_else(|| text.as_bytes().to_vec())
}

fn text_and_base64(bytes: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), None),
        Err(_) => (
            String::from_utf8_lossy(bytes).into_owned(),
            Some(data_encoding::BASE64.encode(bytes)),
        ),
    }
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

fn is_zero32(value: &u32) -> bool {
    *value == 0
}

fn is_zero_i64(value: &i64) -> bool {
    *value == 0
}

/// A Redis snapshot in the archive, as [`REDIS_PATH`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedisData {
    pub server_version: String,
    /// The server's `LASTSAVE` for this snapshot.
    pub saved_at: DateTime<Utc>,
    pub bytes: u64,
    /// How it was taken (from the server's file, or over replication).
    pub how: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    pub name: String,
    pub server_version: String,
    pub pg_dump_version: String,
    /// The archive entry holding the `pg_dump --format=custom --create`
    /// output: the database's own definition (encoding, collation, ctype,
    /// ACL, `ALTER DATABASE ... SET` settings, comment) and its contents.
    /// To restore onto a fresh server: `psql -f` the globals, then
    /// `pg_restore --create -d postgres DUMP`; into another name:
    /// `createdb -T template0 -E ENC --locale ...`, then `pg_restore -d NAME`
    /// (the settings, ACL and comment come from `pg_restore --create` with
    /// `-l`/`-L` or are re-applied from the dump's DATABASE entries).
    pub dump: String,
    pub tables: Vec<Table>,
    /// The archive entry holding `pg_dump_all --globals-only` (roles with
    /// their attributes and memberships, tablespaces), plain SQL; None when
    /// the user making the backup could not read them (it says why in the
    /// manifest's warnings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub globals: Option<String>,
    /// What the database itself is, as `pg_dump --create` restores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<DatabaseProperties>,
}

/// The database-level properties a plain dump of its contents would lose.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseProperties {
    pub encoding: String,
    pub collate: String,
    pub ctype: String,
    /// `datacl` as PostgreSQL prints it, e.g. `{=Tc/app,app=CTc/app}`; None is the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<String>,
    /// `ALTER DATABASE ... SET` settings, `name=value`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub owner: String,
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
    /// Names that are not UTF-8 show lossily here; [`Manifest::by_path_bytes`] is exact.
    pub fn by_path(&self) -> BTreeMap<&str, &Entry> {
        self.entries.iter().map(|e| (e.path.as_str(), e)).collect()
    }

    /// Entries by their exact path bytes.
    pub fn by_path_bytes(&self) -> BTreeMap<Vec<u8>, &Entry> {
        self.entries.iter().map(|e| (e.path_bytes(), e)).collect()
    }

    /// Regular files and their bytes, the dump excluded.
    pub fn file_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.kind == EntryType::File && !is_meta(&e.path))
            .count()
    }

    /// Bytes of content this archive's own tar holds (an incremental lists
    /// more than it stores).
    pub fn stored_bytes(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.stored_in.is_none())
            .map(|e| e.size)
            .sum()
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
                size: 3,
                sha256: Some("ab".into()),
                ..Entry::new("a.txt", EntryType::File, 0o644, (1, 5))
            }],
            database: None,
            redis: None,
            warnings: vec![],
            parent: None,
            deleted: vec![],
        };
        let bytes = manifest.to_bytes();
        assert_eq!(Manifest::from_bytes(&bytes).unwrap(), manifest);
        let newer = String::from_utf8(bytes).unwrap().replace(
            &format!("\"format_version\":{FORMAT_VERSION}"),
            "\"format_version\":99",
        );
        assert!(matches!(
            Manifest::from_bytes(newer.as_bytes()),
            Err(ManifestError::TooNew(99))
        ));
        assert!(is_meta(MANIFEST_PATH) && !is_meta("data/x"));
    }
}
