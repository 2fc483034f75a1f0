//! The data halves of a restore: for PostgreSQL, roles and tablespaces,
//! then the dump into a scratch database whose row counts are checked
//! before it is swapped in (by `restore`); for Redis, the snapshot kept
//! where the operator can load it.

use std::fs;

use anyhow::{Context as _, anyhow};
use chrono::Utc;

use super::{DbPlan, Scratch, private_temp};
use crate::commands::{Context, Failed};
use crate::error::Hint;
use crate::report::{Check, Status, Unit};
use crate::storage::database::{self, DbError};
use crate::storage::manifest;
use crate::units::human_bytes;

/// A database restored into a scratch database, waiting to be swapped in.
pub(super) struct ScratchDatabase<'d> {
    pub db: &'d DbPlan,
    pub scratch: String,
    pub rollback: String,
    pub tables: Vec<manifest::Table>,
    pub created_roles: Vec<String>,
    /// What the server could not take (a collation, a tablespace ...).
    pub notes: Vec<String>,
}

/// The roles and tablespaces first (the dump's owners and grants need
/// them; only what the server lacks is made), then the dump into a scratch
/// database made as the dumped one was, its row counts checked.
pub(super) fn scratch_database<'d>(
    db: &'d DbPlan,
    recorded: &manifest::Database,
    files: &[Scratch],
    context: &Context,
) -> Result<ScratchDatabase<'d>, Failed> {
    let (dump_path, globals_path) = (&files[0].0, &files[1].0);
    let mut notes = Vec::new();
    let mut created_roles = Vec::new();
    if recorded.globals.is_some() {
        match &db.psql {
            Some(psql) => {
                let sql = fs::read_to_string(globals_path)
                    .with_context(|| format!("cannot read {}", globals_path.display()))
                    .map_err(Failed::Running)?;
                context
                    .note(|| "putting back the roles and tablespaces this server lacks".to_owned());
                let globals = database::restore_globals(&db.target, psql, &sql)
                    .map_err(|e| db_failed(e, &db.target.display))?;
                created_roles = globals.created;
                notes.extend(
                    globals
                        .problems
                        .into_iter()
                        .map(|p| format!("roles and tablespaces: {p}")),
                );
            }
            None => notes.push(
                "psql was not found: the backup's roles and tablespaces were not put back"
                    .to_owned(),
            ),
        }
    }
    let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
    let name = db.target.dbname().to_owned();
    let scratch = database::derived_name(&name, &format!("_maint_restore_{stamp}"));
    let rollback = database::derived_name(&name, &format!("_before_restore_{stamp}"));
    context.note(|| format!("restoring the dump into scratch database {scratch}"));
    let taken = database::restore_scratch(
        &db.target,
        &db.pg_restore,
        dump_path,
        &scratch,
        recorded.properties.as_ref(),
    )
    .map_err(|e| db_failed(e, &db.target.display))?;
    notes.extend(taken);
    let problems = match database::count_in(&db.target, &scratch) {
        Ok(actual) => database::compare_counts(&recorded.tables, &actual),
        Err(err) => vec![err.to_string()],
    };
    if let Some(problem) = problems.first() {
        let _ = database::drop_database(&db.target, &scratch);
        return Err(Failed::Running(
            anyhow!(
                "the restored database does not match the manifest: {problem}; nothing was changed"
            )
            .context(Hint::new(
                "restore an older backup; maint backup verify checks archives",
            )),
        ));
    }
    Ok(ScratchDatabase {
        db,
        scratch,
        rollback,
        tables: recorded.tables.clone(),
        created_roles,
        notes,
    })
}

pub(super) fn db_failed(err: DbError, shown: &str) -> Failed {
    let hint = match &err {
        DbError::Connect(pg) => pg.hint(),
        _ => format!("check the database at {shown}; the live database was not changed"),
    };
    Failed::Running(anyhow::Error::new(err).context(Hint::new(hint)))
}

/// A Redis snapshot the archive holds, on its way out of it: a private
/// temporary file in `keep_in` to extract it into.
pub(super) struct RedisOut {
    _guard: Scratch,
    temp: std::path::PathBuf,
    data: manifest::RedisData,
}

/// Opens the file for the archive's Redis snapshot, when its manifest says it has one.
pub(super) fn redis_out(
    keep_in: &std::path::Path,
    manifest: Option<&manifest::Manifest>,
) -> Result<Option<(RedisOut, fs::File)>, Failed> {
    let Some(data) = manifest.and_then(|m| m.redis.clone()) else {
        return Ok(None);
    };
    let (guard, file) = private_temp(keep_in, "restore-redis")?;
    let temp = guard.0.clone();
    Ok(Some((
        RedisOut {
            _guard: guard,
            temp,
            data,
        },
        file,
    )))
}

/// Keeps the extracted snapshot as `STEM-redis.rdb` beside what the
/// restore keeps, and says how to load it: Redis reads its RDB file only
/// when it starts.
pub(super) fn keep_redis(out: &RedisOut, keep_in: &std::path::Path, stem: &str) -> Check {
    let kept = keep_in.join(format!("{stem}-redis.rdb"));
    match fs::rename(&out.temp, &kept) {
        Ok(()) => Check::new(
            "redis",
            Status::Ok,
            format!(
                "the Redis {} snapshot of {} is in {}",
                out.data.server_version,
                out.data.saved_at.format("%Y-%m-%d %H:%M:%S UTC"),
                kept.display()
            ),
        )
        .with_value(out.data.bytes as f64, Unit::Bytes)
        .with_hint(format!(
            "to load it ({}): stop redis-server, copy it over the file `redis-cli CONFIG GET dir` and `CONFIG GET dbfilename` name (with appendonly off), start redis-server",
            human_bytes(out.data.bytes)
        )),
        Err(err) => Check::new(
            "redis",
            Status::Critical,
            format!("cannot keep the Redis snapshot as {}: {err}", kept.display()),
        )
        .with_hint(format!("ls -ld {}", keep_in.display())),
    }
}
