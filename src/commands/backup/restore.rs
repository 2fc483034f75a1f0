//! `maint backup restore`: an archive merged into a folder as GNU tar,
//! restic and borg merge it (issue 11), through [`crate::storage::unpack`]:
//! every entry checked and written under a temporary name beside where it
//! goes, the whole archive verified, what will be overwritten (or, with
//! `--delete`, removed) kept first in a verified pre-restore archive, and
//! only then everything renamed into place. A database goes through a
//! scratch database.

use std::fs::{self, File};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow};
use chrono::Utc;

use super::fetch::Fetched;
use super::restore_db::{db_failed, keep_redis, redis_out, scratch_database};
use super::restore_report::{Pass, Settings, dry_run_report, keep_first, paths, verify_check};
use super::{
    Checked, Follow, check_read, db_plan, notes_check, notes_section, private_temp, progress_bar,
    record_read, take_lock, unpack_failed,
};
use crate::cli::BackupRestoreArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::report::{Check, Status, Unit};
use crate::storage::archive::ReadError;
use crate::storage::atomic::parent_dir;
use crate::storage::catalog;
use crate::storage::database::{self};
use crate::storage::manifest::{self, Manifest};
use crate::storage::pack::{self};
use crate::storage::unpack::{Action, Options, Unpack, UnpackError};
use crate::units::{human_bytes, human_duration};

fn resolve(
    args: &BackupRestoreArgs,
    fetched: Option<&Fetched>,
    context: &Context,
) -> Result<Settings> {
    let given = fetched.map_or(args.archive.as_path(), |f| f.archive.as_path());
    let archive = match fs::metadata(given) {
        Ok(m) if m.is_file() => fs::canonicalize(given)
            .with_context(|| format!("cannot read archive {}", args.archive.display()))?,
        Ok(_) => {
            return Err(anyhow!("archive {} is not a file", args.archive.display())).context(
                Hint::new("name a .tar.gz file; maint backup list shows them"),
            );
        }
        Err(err) => {
            return Err(err)
                .with_context(|| format!("cannot read archive {}", args.archive.display()))
                .context(Hint::new("maint backup list shows the archives"));
        }
    };
    // clap asks for it unless --table, which restore_table handles.
    let given_target = args.target.clone().unwrap_or_default();
    let file_name = given_target
        .file_name()
        .ok_or_else(|| anyhow!("restore target {} names no folder", given_target.display()))
        .context(Hint::new(
            "name the folder to restore into, e.g. --target /srv/app",
        ))?;
    let parent = parent_dir(&given_target);
    let parent = fs::canonicalize(parent)
        .with_context(|| format!("the folder {} does not exist", parent.display()))
        .context(Hint::new(format!("mkdir -p {}", parent.display())))?;
    let target = parent.join(file_name);
    let occupied = match fs::symlink_metadata(&target) {
        Ok(m) if m.file_type().is_symlink() => {
            let to = fs::read_link(&target).unwrap_or_default();
            return Err(anyhow!(
                "restore target {} is a symlink (to {})",
                target.display(),
                to.display()
            ))
            .context(Hint::new(format!(
                "give --target the folder itself: {}",
                fs::canonicalize(&target).unwrap_or(to).display()
            )));
        }
        Ok(m) if m.is_dir() => fs::read_dir(&target)
            .with_context(|| format!("cannot read restore target {}", target.display()))?
            .next()
            .is_some(),
        Ok(_) => {
            return Err(anyhow!(
                "restore target {} is a file, not a folder",
                target.display()
            ))
            .context(Hint::new("give --target a folder (it may not exist yet)"));
        }
        Err(_) => false,
    };
    let database = match &args.db {
        Some(url) => Some(db_plan(&url.0, context)?),
        None => None,
    };
    Ok(Settings {
        links: Vec::new(),
        // A fetched copy's folder goes away: what the restore keeps does not.
        dest: fetched.map_or_else(|| parent_dir(&archive).to_path_buf(), |f| f.keep_in.clone()),
        archive,
        target,
        occupied,
        database,
    })
}

/// Opens the target and reads the whole archive into it (temporaries
/// only: nothing existing changes), then checks the read; the result is
/// recorded beside the archive.
fn read_pass<'a>(
    settings: &Settings,
    options: Options<'a>,
    context: &Context,
) -> Result<Pass<'a>, Failed> {
    let archive = &settings.archive;
    let mut unpack = Unpack::open(&settings.target, options).map_err(|err| match err {
        UnpackError::Target(why) => Failed::Setup(anyhow!(why).context(Hint::new(
            "give --target a folder or a name for a new one; a symlink is never written through",
        ))),
        other => unpack_failed(archive, other),
    })?;
    let checked = if settings.links.is_empty() {
        let checked = read_one(&mut unpack, archive, context)?;
        if let Some(parent) = checked
            .outcome
            .manifest
            .as_ref()
            .and_then(|m| m.parent.as_ref())
        {
            // Alone it holds only what changed: never restore that as the whole.
            return Err(Failed::Running(
                anyhow!(
                    "cannot restore {}: it is an incremental on {parent}, and without its manifest copy its chain cannot be followed; nothing was changed",
                    archive.display()
                )
                .context(Hint::new(format!(
                    "put its .manifest.json back beside it, or restore the full backup: maint backup list --dest {}",
                    settings.dest.display()
                ))),
            ));
        }
        checked
    } else {
        super::restore_chain::read_links(&mut unpack, settings, &mut |unpack, link| {
            read_one(unpack, link, context)
        })?
    };
    Ok(Pass { unpack, checked })
}

/// Reads one archive into the unpack and checks the read; the result is
/// recorded beside the archive.
fn read_one(unpack: &mut Unpack<'_>, archive: &Path, context: &Context) -> Result<Checked, Failed> {
    let size = fs::metadata(archive).map_or(0, |m| m.len());
    let counters = unpack.counters();
    let follow = Follow::start(
        progress_bar(context, size, "restore"),
        &counters.archive_bytes,
    );
    let read = unpack.read(archive);
    drop(follow);
    let outcome = match read {
        Ok(outcome) => outcome,
        Err(err) => {
            if let UnpackError::Read(damage @ ReadError::Damaged { .. }) = &err {
                record_read(
                    archive,
                    Err(damage.to_string()),
                    "maint backup restore",
                    context,
                );
            }
            return Err(unpack_failed(archive, err));
        }
    };
    let checked = check_read(archive, outcome);
    record_read(archive, checked.verdict(), "maint backup restore", context);
    if let Some(problem) = checked.problems.first() {
        return Err(Failed::Running(
            anyhow!(
                "cannot restore {}: damaged {problem}; nothing was changed",
                archive.display()
            )
            .context(Hint::new(format!(
                "maint backup verify {}; restore an older backup",
                archive.display()
            ))),
        ));
    }
    Ok(checked)
}

/// `--delete`: removals under the archive's own sources (the manifest's,
/// else the folders at the top of the archive), never what it excludes.
fn plan_removals(pass: &mut Pass<'_>, settings: &Settings) -> Result<(), Failed> {
    let manifest = pass.checked.outcome.manifest.as_ref();
    let sources: Vec<Vec<u8>> = match manifest {
        Some(manifest) => manifest
            .sources
            .iter()
            .filter_map(|s| Path::new(s).strip_prefix(&manifest.root).ok())
            .map(|rel| rel.as_os_str().as_bytes().to_vec())
            .collect(),
        None => pass.unpack.top_level(),
    };
    let excludes = manifest.map(|m| m.excludes.clone()).unwrap_or_default();
    let excluded = |path: &[u8], name: &[u8]| {
        pack::excluded(
            &excludes,
            &String::from_utf8_lossy(path),
            &String::from_utf8_lossy(name),
        )
    };
    pass.unpack
        .plan_removals(&sources, &excluded)
        .map_err(|err| unpack_failed(&settings.archive, err))
}

fn options<'a>(
    settings: &Settings,
    manifest: Option<&'a Manifest>,
    dry_run: bool,
    extract: Vec<(&'static str, File)>,
) -> Options<'a> {
    Options {
        dry_run,
        owners: rustix::process::geteuid().is_root(),
        protect: vec![settings.archive.clone(), settings.dest.clone()],
        manifest,
        extract,
        cancel: &crate::interrupt::requested,
    }
}

pub(super) fn execute(args: &BackupRestoreArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let fetched = super::fetch::if_needed(&args.archive, args.identity.as_ref(), context)?;
    let mut settings = resolve(args, fetched.as_ref(), context).map_err(Failed::Setup)?;
    settings.links = super::restore_chain::links(args, &settings.archive)?;
    // Held throughout: no prune removes the archive being read, and the
    // pre-restore archive can be written (a read-only folder fails here).
    let _lock = take_lock(&settings.dest, "maint backup restore")?;
    let _ = crate::interrupt::install();
    // The copy beside the archive gives nanosecond times before the
    // archive's own manifest (its last entry) is read; the two are compared.
    let copy = fs::read(catalog::manifest_path(&settings.archive))
        .ok()
        .and_then(|bytes| Manifest::from_bytes(&bytes).ok());

    // A look that writes nothing: the dry run itself, and before a
    // restore without --force, to refuse it if it would overwrite anything.
    let look = || -> Result<Pass<'_>, Failed> {
        let mut pass = read_pass(
            &settings,
            options(&settings, copy.as_ref(), true, Vec::new()),
            context,
        )?;
        if args.delete {
            plan_removals(&mut pass, &settings)?;
        }
        Ok(pass)
    };
    if args.dry_run {
        return Ok(dry_run_report(&settings, &look()?, started, clock));
    }
    if settings.occupied && !args.force {
        let pass = look()?;
        let kept = pass.unpack.to_keep();
        if !kept.is_empty() {
            let removed = pass
                .unpack
                .changes()
                .iter()
                .filter(|c| c.action == Action::Remove)
                .count();
            return Err(Failed::Setup(
                anyhow!(
                    "restore target {} has {} the archive would overwrite or remove (first: {})",
                    settings.target.display(),
                    paths(kept.len()),
                    String::from_utf8_lossy(&kept[0])
                )
                .context(Hint::new(format!(
                    "add --force to go ahead (they are archived first{}), or --dry-run to list them",
                    if removed > 0 {
                        format!("; {removed} of them removed by --delete")
                    } else {
                        String::new()
                    }
                ))),
            ));
        }
    }

    // The dump and the globals land in private files in the backup folder.
    let mut scratch = Vec::new();
    let mut extract = Vec::new();
    if settings.database.is_some() {
        for (what, entry) in [
            ("dump", manifest::DUMP_PATH),
            ("globals", manifest::GLOBALS_PATH),
        ] {
            let (guard, file) = private_temp(&settings.dest, &format!("restore-{what}"))?;
            scratch.push(guard);
            extract.push((entry, file));
        }
    }
    let redis = redis_out(&settings.dest, copy.as_ref())?.map(|(out, file)| {
        extract.push((manifest::REDIS_PATH, file));
        out
    });
    let mut pass = read_pass(
        &settings,
        options(&settings, copy.as_ref(), false, extract),
        context,
    )?;
    let manifest = pass.checked.outcome.manifest.clone();
    if settings.database.is_some()
        && manifest
            .as_ref()
            .and_then(|m| m.database.as_ref())
            .is_none()
    {
        return Err(Failed::Setup(
            anyhow!(
                "archive {} holds no database dump",
                settings.archive.display()
            )
            .context(Hint::new("leave out --db, or pick a backup made with --db")),
        ));
    }
    if args.delete {
        plan_removals(&mut pass, &settings)?;
    }

    let mut report = crate::checks::report("backup restore", started);
    report
        .checks
        .push(verify_check(&settings.archive, &pass.checked));

    // The database into a scratch database first: nothing live changes until it matches.
    let database_swap = match (
        &settings.database,
        manifest.as_ref().and_then(|m| m.database.as_ref()),
    ) {
        (Some(db), Some(recorded)) => Some(scratch_database(db, recorded, &scratch, context)?),
        _ => None,
    };
    drop(scratch);

    // Keep what will be overwritten or removed, verified, before anything changes.
    let kept = keep_first(&settings, &pass, manifest.as_ref(), context).inspect_err(|_| {
        if let Some(restored) = &database_swap {
            let _ = database::drop_database(&restored.db.target, &restored.scratch);
        }
    })?;

    if let Some(restored) = database_swap {
        let db = restored.db;
        match database::swap_in(
            &db.target,
            &restored.scratch,
            &restored.rollback,
            args.force,
        ) {
            Ok(replaced) => {
                let rows: i64 = restored.tables.iter().map(|t| t.rows).sum();
                let mut message = format!(
                    "{} restored: {} tables, {rows} rows, counts match the manifest",
                    db.target.display,
                    restored.tables.len()
                );
                if replaced {
                    message.push_str(&format!(
                        "; the previous database is kept as {}",
                        restored.rollback
                    ));
                }
                if !restored.created_roles.is_empty() {
                    message.push_str(&format!(
                        "; roles made: {}",
                        restored.created_roles.join(", ")
                    ));
                }
                let status = if restored.notes.is_empty() {
                    Status::Ok
                } else {
                    message.push_str(&format!("; {}", restored.notes.join("; ")));
                    Status::Warning
                };
                let mut check =
                    Check::new("database", status, message).with_value(rows as f64, Unit::Count);
                if status == Status::Warning {
                    check = check.with_hint("what this server could not take is listed: fix it by hand (psql) or restore onto a server that has it");
                }
                report.checks.push(check);
            }
            Err(err) => {
                let _ = database::drop_database(&db.target, &restored.scratch);
                return Err(db_failed(err, &db.target.display));
            }
        }
    }

    let (files, bytes) = pass.unpack.files();
    let done = pass.unpack.commit().map_err(|err| {
        let kept = kept
            .as_ref()
            .filter(|p| p.exists())
            .map_or_else(String::new, |p| {
                format!("; what it was replacing is kept in {}", p.display())
            });
        Failed::Running(
            anyhow!(
                "the restore into {} stopped part way: {err}{kept}",
                settings.target.display()
            )
            .context(Hint::new(format!(
                "df -h {0}; ls -ld {0}; then restore again (what is in place is whole)",
                settings.target.display()
            ))),
        )
    })?;
    let saved_text = kept
        .as_ref()
        .filter(|p| p.exists())
        .map_or_else(String::new, |p| {
            format!("; what it overwrote is kept in {}", p.display())
        });
    let removed = if args.delete {
        format!(", {} removed", done.count(Action::Remove))
    } else {
        String::new()
    };
    report.checks.push(
        Check::new(
            "restore",
            Status::Ok,
            format!(
                "{files} files ({}) restored into {} in {}: {} added, {} replaced, {} updated, {} unchanged{removed}{saved_text}",
                human_bytes(bytes),
                settings.target.display(),
                human_duration(clock.elapsed()),
                done.count(Action::Add),
                done.count(Action::Replace),
                done.count(Action::Update),
                done.count(Action::Unchanged),
            ),
        )
        .with_value(bytes as f64, Unit::Bytes),
    );
    if let Some(out) = redis {
        let stem = super::file_name(&settings.archive);
        let stem = stem.split(".tar.gz").next().unwrap_or_default();
        report.checks.push(keep_redis(&out, &settings.dest, stem));
    }
    if done.cleaned > 0 {
        report.checks.push(Check::new(
            "cleanup",
            Status::Ok,
            format!(
                "removed {} temporaries left in {} by a restore that died",
                done.cleaned,
                settings.target.display()
            ),
        ));
    }
    if let Some(check) = notes_check(
        "left",
        &done.notes,
        "these paths were left as they were: see the `left` table",
    ) {
        report.checks.push(check);
        report
            .sections
            .push(notes_section("left", "Left as they were", &done.notes));
    }
    report.duration = clock.elapsed();
    Ok(report)
}
