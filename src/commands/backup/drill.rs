//! `maint backup drill`: the guides' disaster-recovery test in one command.
//! The latest backup is restored into a scratch folder (and its dump into a
//! scratch database), compared with its manifest and with the live data,
//! timed, and cleaned up.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::anyhow;
use chrono::Utc;

use super::{
    Follow, Scratch, check_read, db_plan, destination_backups, private_temp, progress_bar,
    record_read, take_lock, unpack_failed,
};
use crate::cli::BackupDrillArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::report::{Cell, Check, Column, Section, Status, Unit};
use crate::storage::archive::{self, EntryKind, ReadError};
use crate::storage::manifest::{self, Manifest};
use crate::storage::unpack::{Options, Unpack, UnpackError};
use crate::storage::{catalog, chain, database, pack};
use crate::units::human_duration;

pub(super) fn execute(args: &BackupDrillArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let (dest, backups) = destination_backups(args.dest.as_ref(), context)?;
    let Some(mut latest) = catalog::latest(&backups, Utc::now()).cloned() else {
        return Err(Failed::setup(
            anyhow!("no backups in {} to drill with", dest.shown())
                .context(Hint::new("maint backup create makes one")),
        ));
    };
    // A remote or encrypted backup is drilled from a checked local copy,
    // fetched as a restore would fetch it.
    let fetched = super::fetch::if_needed(&latest.path, args.identity.as_ref(), context)?;
    let dest = match (&dest, &fetched) {
        (_, Some(fetched)) => {
            latest.path.clone_from(&fetched.archive);
            latest.manifest = fs::read(catalog::manifest_path(&fetched.archive))
                .ok()
                .and_then(|bytes| Manifest::from_bytes(&bytes).ok());
            fetched.keep_in.clone()
        }
        (super::Dest::Local(dir), None) => dir.clone(),
        (super::Dest::Remote(_), None) => unreachable!("a remote backup is always fetched"),
    };
    let url = args
        .db
        .as_ref()
        .or(context.config.config.backup.db.as_ref())
        .map(|u| u.0.clone());
    let db = match &url {
        Some(url) => Some(db_plan(url, context).map_err(Failed::Setup)?),
        None => None,
    };
    let _lock = take_lock(&dest, "maint backup drill")?;
    let _ = crate::interrupt::install();
    let scratch_dir = dest.join(format!(
        "{}drill-{}",
        catalog::TEMP_PREFIX,
        std::process::id()
    ));
    let _scratch = Scratch(scratch_dir.clone());
    // The restored root takes the archive root's mode (often 0755): inside
    // a folder of our own that stays 0700, the copy of the tree is never
    // open to other users while the drill runs.
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&scratch_dir)
        .map_err(|err| {
            Failed::Setup(anyhow::anyhow!(
                "cannot create the drill's scratch folder {}: {err}",
                scratch_dir.display()
            ))
        })?;
    let restored_dir = scratch_dir.join("tree");
    let mut extract = Vec::new();
    let mut dump_scratch = None;
    if db.is_some() {
        let (guard, file) = private_temp(&dest, "drill-dump")?;
        dump_scratch = Some(guard);
        extract.push((manifest::DUMP_PATH, file));
    }

    let mut report = crate::checks::report("backup drill", started);
    let restore_clock = Instant::now();
    let options = Options {
        dry_run: false,
        owners: rustix::process::geteuid().is_root(),
        protect: Vec::new(),
        manifest: latest.manifest.as_ref(),
        extract,
        cancel: &crate::interrupt::requested,
    };
    // An incremental is drilled with its chain, as a restore reads it.
    let folder = crate::storage::atomic::parent_dir(&latest.path).to_path_buf();
    let links = match latest.manifest.as_ref().filter(|m| m.parent.is_some()) {
        Some(last) => chain::plan(&super::file_name(&latest.path), last, None, &|name| {
            fs::read(catalog::manifest_path(&folder.join(name)))
                .ok()
                .and_then(|bytes| Manifest::from_bytes(&bytes).ok())
        })
        .map_err(|err| {
            Failed::Running(anyhow!("cannot drill with {}: {err}", latest.path.display()).context(
                Hint::new("maint backup verify --latest names what is missing; make a full backup: maint backup create --full"),
            ))
        })?,
        None => Vec::new(),
    };
    let reads: Vec<(PathBuf, Option<HashSet<Vec<u8>>>)> = if links.is_empty() {
        vec![(latest.path.clone(), None)]
    } else {
        links
            .into_iter()
            .map(|link| (folder.join(&link.file), Some(link.take)))
            .collect()
    };
    let restored = (|| {
        let mut unpack =
            Unpack::open(&restored_dir, options).map_err(|err| (latest.path.clone(), err))?;
        let mut outcomes = Vec::new();
        for (path, take) in &reads {
            let size = fs::metadata(path).map_or(0, |m| m.len());
            let counters = unpack.counters();
            let follow = Follow::start(
                progress_bar(context, size, "drill"),
                &counters.archive_bytes,
            );
            if let Some(take) = take {
                unpack.select(take.clone());
            }
            let outcome = unpack.read(path);
            drop(follow);
            let outcome = outcome.map_err(|err| (path.clone(), err))?;
            outcomes.push((path.clone(), take.as_ref(), outcome));
        }
        Ok::<_, (PathBuf, UnpackError)>((unpack, outcomes))
    })();
    let checked = match restored {
        Ok((unpack, outcomes)) => {
            let mut seen = Vec::new();
            let mut last = None;
            for (path, take, outcome) in outcomes {
                let checked = check_read(&path, outcome);
                record_read(&path, checked.verdict(), "maint backup drill", context);
                if let Some(problem) = checked.problems.first() {
                    report.checks.push(
                        Check::new(
                            "drill:restore",
                            Status::Critical,
                            format!("{}: damaged {problem}", path.display()),
                        )
                        .with_hint("restore an older backup in the drill: maint backup verify --dest DIR shows which are good"),
                    );
                    report.duration = clock.elapsed();
                    return Ok(report);
                }
                // What this link gave the restored tree.
                seen.extend(
                    checked
                        .outcome
                        .entries
                        .iter()
                        .filter(|entry| take.is_none_or(|take| take.contains(&entry.path_bytes)))
                        .cloned(),
                );
                last = Some(checked);
            }
            let mut checked = last.expect("at least the archive itself was read");
            checked.outcome.entries = seen;
            unpack
                .commit()
                .map_err(|err| unpack_failed(&latest.path, err))?;
            checked
        }
        Err((path, err)) => {
            if let UnpackError::Read(damage @ ReadError::Damaged { .. }) = &err {
                record_read(
                    &path,
                    Err(damage.to_string()),
                    "maint backup drill",
                    context,
                );
            }
            let (Failed::Setup(err) | Failed::Running(err)) = unpack_failed(&path, err);
            report.checks.push(
                Check::new("drill:restore", Status::Critical, crate::error::describe(&err).trim_start_matches("maint: error: ").to_owned())
                    .with_hint("restore an older backup in the drill: maint backup verify --dest DIR shows which are good"),
            );
            report.duration = clock.elapsed();
            return Ok(report);
        }
    };
    if let Some(problem) = checked.problems.first() {
        report.checks.push(
            Check::new(
                "drill:restore",
                Status::Critical,
                format!("{}: damaged {problem}", latest.path.display()),
            )
            .with_hint("restore an older backup in the drill: maint backup verify --dest DIR shows which are good"),
        );
        report.duration = clock.elapsed();
        return Ok(report);
    }
    let Some(manifest) = checked.outcome.manifest.clone() else {
        report.checks.push(
            Check::new(
                "drill:restore",
                Status::Warning,
                format!(
                    "{}: restored, but unverified: no manifest",
                    latest.path.display()
                ),
            )
            .with_hint("make backups with maint backup create"),
        );
        report.duration = clock.elapsed();
        return Ok(report);
    };
    let files = manifest.file_count();
    report.checks.push(
        Check::new(
            "drill:restore",
            Status::Ok,
            format!(
                "{} restored into a scratch folder in {}: {files} files match the manifest",
                latest.file_name(),
                human_duration(restore_clock.elapsed())
            ),
        )
        .with_value(restore_clock.elapsed().as_secs_f64(), Unit::Seconds),
    );

    let differences = live_differences(&manifest, &checked.outcome.entries);
    report.checks.push(
        Check::new(
            "drill:live_files",
            Status::Ok,
            if differences.is_empty() {
                format!("the live files under {} are the same as in the backup", manifest.root)
            } else {
                format!(
                    "{} paths under {} differ from the backup made {} (changed since; see the differences table)",
                    differences.len(),
                    manifest.root,
                    manifest.created_at.format("%Y-%m-%d %H:%M UTC")
                )
            },
        )
        .with_value(differences.len() as f64, Unit::Count),
    );

    if let (Some(db), Some(recorded), Some(dump)) = (&db, &manifest.database, &dump_scratch) {
        let dump_path = &dump.0;
        let db_clock = Instant::now();
        let scratch = database::derived_name(
            &recorded.name,
            &format!("_maint_drill_{}", Utc::now().format("%Y%m%d%H%M%S")),
        );
        let result = database::restore_scratch(
            &db.target,
            &db.pg_restore,
            dump_path,
            &scratch,
            recorded.properties.as_ref(),
        )
        .and_then(|notes| Ok((database::count_in(&db.target, &scratch)?, notes)));
        let _ = database::drop_database(&db.target, &scratch);
        match result {
            Ok((restored, notes)) => {
                let problems = database::compare_counts(&recorded.tables, &restored);
                let rows: i64 = restored.iter().map(|t| t.rows).sum();
                report.checks.push(if problems.is_empty() {
                    let mut message = format!(
                        "dump restored into a scratch database in {}: {} tables, {rows} rows match the manifest",
                        human_duration(db_clock.elapsed()),
                        restored.len()
                    );
                    let status = if notes.is_empty() {
                        Status::Ok
                    } else {
                        message.push_str(&format!("; {}", notes.join("; ")));
                        Status::Warning
                    };
                    Check::new("drill:database", status, message)
                        .with_value(db_clock.elapsed().as_secs_f64(), Unit::Seconds)
                } else {
                    Check::new("drill:database", Status::Critical, format!("the restored dump does not match the manifest: {}", problems.join("; ")))
                        .with_hint("the dump cannot be trusted: make a new backup and drill again")
                });
                let live = database::count_in(&db.target, &recorded.name)
                    .map(|live| database::compare_counts(&recorded.tables, &live));
                report.checks.push(match live {
                    Ok(diff) => Check::new(
                        "drill:live_database",
                        Status::Ok,
                        if diff.is_empty() {
                            format!("the live database {} has the same row counts as the backup", recorded.name)
                        } else {
                            format!("the live database differs from the backup (changed since): {}", diff.join("; "))
                        },
                    )
                    .with_value(diff.len() as f64, Unit::Count),
                    Err(err) => Check::new("drill:live_database", Status::Unknown, format!("cannot count the live rows: {err}"))
                        .with_hint("check --db or [backup] db"),
                });
            }
            Err(err) => report.checks.push(
                Check::new("drill:database", Status::Critical, format!("the dump did not restore: {err}"))
                    .with_hint("check the PostgreSQL client tools and the user's CREATEDB right; the backup's dump may be unusable"),
            ),
        }
    } else if let Some(recorded) = &manifest.database {
        // A drill that skips the database must not read as a passed one.
        report.checks.push(
            Check::new(
                "drill:database",
                Status::Warning,
                format!(
                    "NOT TESTED: the backup holds a dump of database {}, but no server was given to restore it into",
                    recorded.name
                ),
            )
            .with_hint("maint backup drill --db postgres://USER@HOST/DB (or set db in [backup]): the dump goes into a scratch database there"),
        );
    }
    report.checks.push(
        Check::new(
            "drill",
            Status::Ok,
            format!(
                "the drill took {}; the scratch folder and database are removed",
                human_duration(clock.elapsed())
            ),
        )
        .with_value(clock.elapsed().as_secs_f64(), Unit::Seconds),
    );
    report.sections.push(Section {
        name: "differences".to_owned(),
        title: "Differences between the backup and the live files".to_owned(),
        columns: vec![
            Column::new("path", "PATH"),
            Column::new("difference", "DIFFERENCE"),
        ],
        rows: differences
            .into_iter()
            .map(|(p, d)| vec![Cell::Text(p), Cell::Text(d)])
            .collect(),
    });
    report.duration = clock.elapsed();
    Ok(report)
}

/// Each manifest entry against the live file at the backup's root, and live
/// files the backup does not have.
fn live_differences(manifest: &Manifest, restored: &[archive::Seen]) -> Vec<(String, String)> {
    let root = Path::new(&manifest.root);
    let mut differences = Vec::new();
    let mut known = HashSet::new();
    for seen in restored {
        if manifest::is_meta(&seen.path) || seen.path == "." {
            continue;
        }
        known.insert(seen.path.clone());
        let live = root.join(&seen.path);
        let Ok(metadata) = fs::symlink_metadata(&live) else {
            differences.push((seen.path.clone(), "gone from the live tree".to_owned()));
            continue;
        };
        let differs = match &seen.kind {
            EntryKind::File => {
                !metadata.is_file()
                    || metadata.len() != seen.size
                    || seen.sha256.as_deref() != archive::sha256_file(&live).ok().as_deref()
            }
            EntryKind::Dir => !metadata.is_dir(),
            EntryKind::Symlink(to) => {
                fs::read_link(&live).map_or(true, |t| t.as_os_str() != to.as_str())
            }
            _ => false,
        };
        if differs {
            differences.push((seen.path.clone(), "changed since the backup".to_owned()));
        }
    }
    for source in &manifest.sources {
        let mut stack = vec![PathBuf::from(source)];
        while let Some(path) = stack.pop() {
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let rel = rel.to_string_lossy().into_owned();
            if !rel.is_empty() && !known.contains(&rel) {
                if !pack::excluded(
                    &manifest.excludes,
                    &rel,
                    path.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                        .as_ref(),
                ) {
                    differences.push((rel, "new since the backup".to_owned()));
                }
                continue;
            }
            if path.is_dir() && !path.is_symlink() {
                for entry in fs::read_dir(&path).into_iter().flatten().flatten() {
                    stack.push(entry.path());
                }
            }
        }
    }
    differences.sort();
    differences
}
