//! The parts of a create besides the files: the PostgreSQL dump with its
//! roles and tablespaces, the Redis snapshot, and how each is reported.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::shared::db_failed;
use super::{DbPlan, Dest};
use crate::commands::{Context, Failed};
use crate::error::Hint;
use crate::report::{Check, Status, Unit};
use crate::storage::archive::ArchiveName;
use crate::storage::catalog;
use crate::storage::crypt::Recipients;
use crate::storage::database::{self, Dumped};
use crate::storage::manifest::{self, Manifest};
use crate::storage::pack;
use crate::storage::pgzip;
use crate::storage::remote::Remote;
use crate::units::{human_bytes, human_duration};
/// Everything one archive is made from, validated.
pub(super) struct Plan {
    pub dest: PathBuf,
    /// An object store the archive is streamed to; `dest` is then a private
    /// local folder for the database dump only.
    pub remote: Option<Arc<Remote>>,
    pub recipients: Option<Arc<Recipients>>,
    /// Where the archive is copied once made (3-2-1).
    pub copies: Vec<Dest>,
    pub name: String,
    pub kind: String,
    /// Entries are stored relative to this folder.
    pub root: PathBuf,
    pub sources: Vec<PathBuf>,
    pub excludes: Vec<String>,
    pub database: Option<DbPlan>,
    /// A Redis server to snapshot into the archive.
    pub redis: Option<String>,
    pub threads: usize,
    pub level: u32,
    /// Build on the latest backup of this name, when there is one to read.
    pub incremental: bool,
}

/// A finished, verified archive under its final name.
pub(super) struct Made {
    /// Why an incremental was asked for and a full one made.
    pub made_full: Option<String>,
    pub archive: PathBuf,
    pub manifest: Manifest,
    pub summary: pgzip::Summary,
    /// Paths skipped or changed while they were read.
    pub notes: Vec<(String, String)>,
    pub database: Option<Dumped>,
    /// Why the roles and tablespaces are missing or incomplete.
    pub globals_note: Option<String>,
    /// Exclude patterns that matched nothing.
    pub unmatched_excludes: Vec<String>,
    pub elapsed: Duration,
}

/// Deletes temporaries unless the work they belong to was committed.
pub(super) struct Temporaries(pub Vec<PathBuf>);

impl Drop for Temporaries {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = fs::remove_file(path);
        }
    }
}

/// The database dumped (and read back by pg_restore) into temporaries of
/// the plan's folder, with its roles and tablespaces when they can be read.
pub(super) fn dump_database(
    plan: &Plan,
    db: &DbPlan,
    archive: &ArchiveName,
    temporaries: &mut Temporaries,
    context: &Context,
) -> Result<(Dumped, pack::Dump, Option<String>), Failed> {
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
        .join(format!("{}{}.dump", catalog::TEMP_PREFIX, archive.stem()));
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
    let mut globals = None;
    let globals_note = match &db.pg_dumpall {
        Some(pg_dumpall) => {
            let globals_path = plan.dest.join(format!(
                "{}{}.globals.sql",
                catalog::TEMP_PREFIX,
                archive.stem()
            ));
            temporaries.0.push(globals_path.clone());
            match database::dump_globals(&db.target, pg_dumpall, &globals_path) {
                Ok(note) => {
                    globals = Some(globals_path);
                    note
                }
                Err(err) => Some(format!("roles and tablespaces were not saved: {err}")),
            }
        }
        None => Some(
            "roles and tablespaces were not saved: pg_dumpall was not found beside pg_dump"
                .to_owned(),
        ),
    };
    let dump = pack::Dump {
        file: dump_path,
        database: manifest::Database {
            name: result.database.clone(),
            server_version: result.server_version.clone(),
            pg_dump_version: result.pg_dump_version.clone(),
            dump: manifest::DUMP_PATH.to_owned(),
            tables: result.tables.clone(),
            globals: globals.is_some().then(|| manifest::GLOBALS_PATH.to_owned()),
            properties: result.properties.clone(),
        },
        globals,
    };
    Ok((result, dump, globals_note))
}

/// A fresh RDB snapshot of `url` in a temporary file of the plan's folder.
pub(super) fn redis_snapshot(
    plan: &Plan,
    url: &str,
    archive: &ArchiveName,
    temporaries: &mut Temporaries,
    context: &Context,
) -> Result<(PathBuf, manifest::RedisData), Failed> {
    let path = plan.dest.join(format!(
        "{}{}.redis.rdb",
        catalog::TEMP_PREFIX,
        archive.stem()
    ));
    temporaries.0.push(path.clone());
    context.note(|| format!("taking a Redis snapshot of {}", crate::redact::url(url)));
    let taken = crate::storage::rdb::take(url, &path, Duration::from_secs(10), Duration::from_secs(600))
        .map_err(|err| {
            Failed::Running(anyhow::Error::new(err).context(Hint::new(
                "check the server (maint health --redis URL; redis-cli INFO persistence) and that this user may run BGSAVE and SYNC or read its dump file",
            )))
        })?;
    let saved_at = chrono::DateTime::from_timestamp(taken.saved_at, 0).unwrap_or_else(Utc::now);
    Ok((
        path,
        manifest::RedisData {
            server_version: taken.server_version,
            saved_at,
            bytes: taken.bytes,
            how: taken.how,
        },
    ))
}

pub(super) fn archive_check(made: &Made) -> Check {
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
            human_bytes(made.manifest.stored_bytes()),
            human_bytes(summary.compressed_bytes),
            human_duration(made.elapsed),
        ),
    )
    .with_value(summary.compressed_bytes as f64, Unit::Bytes)
}

/// What an incremental stored and what it lists from its chain; or why
/// an incremental asked for became a full backup.
pub(super) fn chain_check(made: &Made) -> Option<Check> {
    let manifest = &made.manifest;
    if let Some(parent) = &manifest.parent {
        let listed = manifest
            .entries
            .iter()
            .filter(|e| e.stored_in.is_some())
            .count();
        let stored = manifest.file_count().saturating_sub(listed);
        return Some(
            Check::new(
                "incremental",
                Status::Ok,
                format!(
                    "on {parent}: {stored} files stored, {listed} unchanged (held by earlier archives of the chain), {} paths gone since",
                    manifest.deleted.len()
                ),
            )
            .with_value(stored as f64, Unit::Count),
        );
    }
    made.made_full
        .as_ref()
        .map(|why| Check::new("incremental", Status::Ok, format!("a full backup: {why}")))
}

pub(super) fn database_check(dumped: &Dumped, manifest: &Manifest) -> Check {
    let rows: i64 = dumped.tables.iter().map(|t| t.rows).sum();
    let dump_size = manifest
        .entries
        .iter()
        .find(|e| e.path == manifest::DUMP_PATH)
        .map_or(0, |e| e.size);
    let properties = dumped.properties.as_ref().map_or_else(String::new, |p| {
        format!(
            "; encoding {}, collation {}, owner {} kept",
            p.encoding, p.collate, p.owner
        )
    });
    let globals = match manifest.database.as_ref().and_then(|d| d.globals.as_ref()) {
        Some(_) => "; roles and tablespaces saved",
        None => "",
    };
    Check::new(
        "database",
        Status::Ok,
        format!(
            "{} (PostgreSQL {}): {} tables, {rows} rows, dump {} read back in full by pg_restore{properties}{globals}",
            dumped.database,
            dumped.server_version,
            dumped.tables.len(),
            human_bytes(dump_size)
        ),
    )
    .with_value(dump_size as f64, Unit::Bytes)
}
