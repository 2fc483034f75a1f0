//! `maint backup restore ARCHIVE --table T --db URL`: single tables back
//! from a backup's dump, for the dropped table that should not cost a whole
//! restore. The archive is read and checked in full (the dump extracted on
//! the way, no file restored), the dump restored into a scratch database
//! and its row counts checked, then the tables copied into the live
//! database in one transaction (see [`crate::storage::database::tables`]),
//! and the scratch database dropped.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::anyhow;
use chrono::Utc;

use super::restore_db::{db_failed, scratch_database};
use super::{Scratch, check_read, db_plan, private_temp, record_read, take_lock, unpack_failed};
use crate::cli::BackupRestoreArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::report::{Check, Status, Unit};
use crate::storage::atomic::parent_dir;
use crate::storage::catalog;
use crate::storage::database::{self, tables};
use crate::storage::manifest::{self, Manifest, Table};
use crate::storage::unpack::{Options, Unpack};

pub(super) fn execute(args: &BackupRestoreArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let url = args.db.as_ref().expect("clap requires --db with --table");
    let db = db_plan(&url.0, context).map_err(Failed::Setup)?;
    let psql = db.psql.clone().ok_or_else(|| {
        Failed::setup(
            anyhow!("psql was not found; a table restore loads through it").context(Hint::new(
                "apt-get install postgresql-client, or set pg_bin in [backup]",
            )),
        )
    })?;
    let fetched = super::fetch::if_needed(&args.archive, args.identity.as_ref(), context)?;
    let archive = fetched
        .as_ref()
        .map_or_else(|| args.archive.clone(), |f| f.archive.clone());
    let archive = fs::canonicalize(&archive).map_err(|err| {
        Failed::setup(
            anyhow!("cannot read archive {}: {err}", args.archive.display())
                .context(Hint::new("maint backup list shows the archives")),
        )
    })?;
    let dest: PathBuf = fetched
        .as_ref()
        .map_or_else(|| parent_dir(&archive).to_path_buf(), |f| f.keep_in.clone());
    let recorded = fs::read(catalog::manifest_path(&archive))
        .ok()
        .and_then(|bytes| Manifest::from_bytes(&bytes).ok())
        .and_then(|m| m.database)
        .ok_or_else(|| {
            Failed::setup(
                anyhow!(
                    "archive {} holds no database dump (or its manifest copy cannot be read)",
                    args.archive.display()
                )
                .context(Hint::new(
                    "pick a backup made with --db: maint backup list shows the DATABASE column",
                )),
            )
        })?;
    let chosen = choose(&args.table, &recorded.tables)?;
    let present =
        tables::existing(&db.target, &chosen).map_err(|e| db_failed(e, &db.target.display))?;
    let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
    let aside = format!("maint_before_restore_{stamp}");
    if !present.is_empty() && !args.force {
        return Err(Failed::setup(
            anyhow!("{} already has {}", db.target.display, present.join(", ")).context(Hint::new(format!(
                "add --force to move it aside into schema {aside} (kept, not dropped) and restore the backup's"
            ))),
        ));
    }
    let _lock = take_lock(&dest, "maint backup restore")?;
    let _ = crate::interrupt::install();

    // The archive read whole and checked; only the dump and globals taken.
    let mut scratch = Vec::new();
    let mut extract = Vec::new();
    for (what, entry) in [
        ("dump", manifest::DUMP_PATH),
        ("globals", manifest::GLOBALS_PATH),
    ] {
        let (guard, file) = private_temp(&dest, &format!("restore-{what}"))?;
        scratch.push(guard);
        extract.push((entry, file));
    }
    let unused = Scratch(dest.join(format!(
        "{}table-{}",
        catalog::TEMP_PREFIX,
        std::process::id()
    )));
    let options = Options {
        dry_run: false,
        owners: false,
        protect: vec![archive.clone(), dest.clone()],
        manifest: None,
        extract,
        cancel: &crate::interrupt::requested,
    };
    let mut unpack =
        Unpack::open(&unused.0, options).map_err(|err| unpack_failed(&archive, err))?;
    unpack.select(HashSet::from([
        manifest::DUMP_PATH.as_bytes().to_vec(),
        manifest::GLOBALS_PATH.as_bytes().to_vec(),
    ]));
    let outcome = unpack
        .read(&archive)
        .map_err(|err| unpack_failed(&archive, err))?;
    drop(unpack);
    let checked = check_read(&archive, outcome);
    record_read(&archive, checked.verdict(), "maint backup restore", context);
    if let Some(problem) = checked.problems.first() {
        return Err(Failed::Running(
            anyhow!(
                "cannot restore from {}: damaged {problem}; nothing was changed",
                archive.display()
            )
            .context(Hint::new(format!(
                "maint backup verify {}; restore an older backup",
                archive.display()
            ))),
        ));
    }

    let restored = scratch_database(&db, &recorded, &scratch, context)?;
    context.note(|| {
        format!(
            "copying {} into {}",
            args.table.join(", "),
            db.target.display
        )
    });
    let copied = tables::restore(
        &db.target,
        &restored.scratch,
        &db.pg_dump,
        &psql,
        &chosen,
        &aside,
    );
    let _ = database::drop_database(&db.target, &restored.scratch);
    let copied = copied.map_err(|e| db_failed(e, &db.target.display))?;

    let mut report = crate::checks::report("backup restore", started);
    report.checks.push(
        Check::new(
            "verify",
            Status::Ok,
            format!("{}: every entry matches the manifest; the dump and row counts check out in a scratch database", archive.display()),
        ),
    );
    for table in copied {
        let mut message = format!("{} rows restored into {}", table.rows, db.target.display);
        if let Some(kept) = &table.kept_as {
            message.push_str(&format!("; the table it replaced is kept as {kept}"));
        }
        let status = if table.notes.is_empty() {
            Status::Ok
        } else {
            message.push_str(&format!("; {}", table.notes.join("; ")));
            Status::Warning
        };
        let mut check = Check::new(format!("table:{}", table.table), status, message)
            .with_value(table.rows as f64, Unit::Count);
        if status == Status::Warning {
            check = check.with_hint("restore the related tables too (--table, repeatable), or add the keys by hand in psql");
        }
        report.checks.push(check);
    }
    report.duration = clock.elapsed();
    Ok(report)
}

/// The tables asked for (`SCHEMA.TABLE`, or `TABLE` in public), as the
/// backup records them.
fn choose(asked: &[String], recorded: &[Table]) -> Result<Vec<Table>, Failed> {
    let mut chosen = Vec::new();
    for name in asked {
        let (schema, table) = name.split_once('.').unwrap_or(("public", name));
        let Some(found) = recorded
            .iter()
            .find(|t| t.schema == schema && t.name == table)
        else {
            let known: Vec<String> = recorded.iter().take(8).map(Table::qualified).collect();
            return Err(Failed::setup(
                anyhow!("the backup's dump has no table {schema}.{table}").context(Hint::new(
                    format!("tables in it include: {}", known.join(", ")),
                )),
            ));
        };
        if !chosen.contains(found) {
            chosen.push(found.clone());
        }
    }
    Ok(chosen)
}
