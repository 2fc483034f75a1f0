//! `maint backup create`: sources (and a database dump) into one verified
//! `.tar.gz`, written under a temporary name, synced, read back and checked,
//! then renamed into place with its sidecars.

use std::fs::{self};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow};
use chrono::Utc;

use super::create_parts::{
    Made, Plan, Temporaries, archive_check, chain_check, database_check, dump_database,
    redis_snapshot,
};
use super::shared::{check_writable, pack_failed};
use super::{
    Dest, Follow, db_plan, file_name, notes_check, notes_section, progress_bar, take_dest_lock,
};
use crate::cli::BackupCreateArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::report::{Check, Metric, Status, Unit};
use crate::storage::catalog;
use crate::storage::catalog::LastCreate;
use crate::storage::chain;
use crate::storage::crypt::Recipients;
use crate::storage::manifest::Manifest;
use crate::storage::pack::{self, Counters, Previous, Request, Source, common_root};
use crate::storage::pgzip;
use crate::storage::remote::catalog as remote_catalog;
use crate::units::human_bytes;

pub(super) fn execute(args: &BackupCreateArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let plan = resolve(args, context).map_err(Failed::Setup)?;
    let _ = crate::interrupt::install();
    let dest = match &plan.remote {
        Some(remote) => Dest::Remote(Arc::clone(remote)),
        None => Dest::Local(plan.dest.clone()),
    };
    let (_lock, mut recovered) = take_dest_lock(&dest, "maint backup create")?;
    let cleaned = dest.recover(&plan.name).map_err(anyhow::Error::new);
    recovered.extend(cleaned.map_err(Failed::Running)?);
    let state = std::cell::RefCell::new(LastCreate {
        status: "running".to_owned(),
        pid: std::process::id(),
        started_at: started,
        finished_at: None,
        archive: None,
        error: None,
        upload_id: None,
    });
    let save = |state: &LastCreate| -> Result<()> {
        dest.save_state(&plan.name, state)
            .map_err(anyhow::Error::new)
            .context(Hint::new(format!("df -h {0}; ls -ld {0}", dest.shown())))
    };
    save(&state.borrow()).map_err(Failed::Running)?;
    // A remote upload's id is recorded before its first part is sent, so a
    // run killed mid-upload has it aborted by the next one.
    let mut upload_started = |archive: &str, upload_id: &str| {
        let mut current = state.borrow_mut();
        current.archive = Some(archive.to_owned());
        current.upload_id = Some(upload_id.to_owned());
        if let Err(err) = save(&current) {
            context.note(|| format!("cannot record the upload: {err:#}"));
        }
    };
    let result = make(&plan, context, &mut upload_started);
    let mut state = state.into_inner();
    state.finished_at = Some(Utc::now());
    match &result {
        Ok(made) => {
            "ok".clone_into(&mut state.status);
            state.archive = Some(file_name(&made.archive));
            state.upload_id = None;
        }
        Err(Failed::Setup(err) | Failed::Running(err)) => {
            "failed".clone_into(&mut state.status);
            // Beside encrypted backups nothing may name what they hold.
            state.error = Some(if plan.recipients.is_some() {
                "failed; the reason was in that run's output (not kept beside encrypted backups)"
                    .to_owned()
            } else {
                crate::error::describe(err)
                    .trim_start_matches("maint: error: ")
                    .to_owned()
            });
        }
    }
    // Best effort: a full disk may refuse even this; "running" with no
    // holder reads as failed too.
    let _ = save(&state);
    let made = result?;
    let copies = super::copies::copy_all(&dest, &file_name(&made.archive), &plan.copies);

    let mut report = crate::checks::report("backup create", started);
    report.checks.push(archive_check(&made));
    report.checks.extend(chain_check(&made));
    report.checks.extend(copies);
    if let Some(redis) = &made.manifest.redis {
        report.checks.push(
            Check::new(
                "redis",
                Status::Ok,
                format!(
                    "Redis {}: snapshot of {} ({}), {}",
                    redis.server_version,
                    redis.saved_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    human_bytes(redis.bytes),
                    redis.how
                ),
            )
            .with_value(redis.bytes as f64, Unit::Bytes),
        );
    }
    if let Some(dumped) = &made.database {
        report.checks.push(database_check(dumped, &made.manifest));
    }
    if let Some(check) = notes_check(
        "files",
        &made.notes,
        "see the `warnings` table (maint -v or --format json); exclude paths that change or cannot be read",
    ) {
        report.checks.push(check);
        report.sections.push(notes_section(
            "warnings",
            "Skipped or changed while read",
            &made.notes,
        ));
    }
    if let Some(note) = &made.globals_note {
        report.checks.push(
            Check::new("database:globals", Status::Warning, note.clone()).with_hint(
                "run the backup as a PostgreSQL superuser (or one allowed to read pg_authid) to keep roles with their passwords",
            ),
        );
    }
    if !made.unmatched_excludes.is_empty() {
        let quoted: Vec<String> = made
            .unmatched_excludes
            .iter()
            .map(|p| format!("{p:?}"))
            .collect();
        report.checks.push(
            Check::new(
                "excludes",
                Status::Warning,
                format!(
                    "exclude pattern {} matched nothing below {}",
                    quoted.join(", "),
                    plan.root.display()
                ),
            )
            .with_value(quoted.len() as f64, Unit::Count)
            .with_hint(
                "check the pattern: a name (cache), a path below the root (data/cache, ./cache), or an absolute path under it",
            ),
        );
    }
    if !recovered.is_empty() {
        report.checks.push(Check::new(
            "cleanup",
            Status::Ok,
            // Each item says what left it (a run that died, a stale lock).
            recovered.join("; "),
        ));
    }
    let labels = [("name", plan.name.as_str())];
    report.metrics.push(Metric::new(
        "maint_backup_archive_bytes",
        "Size of the archive the last backup create wrote",
        &labels,
        made.summary.compressed_bytes as f64,
    ));
    report.metrics.push(Metric::new(
        "maint_backup_files",
        "Files in the archive the last backup create wrote",
        &labels,
        made.manifest.file_count() as f64,
    ));
    report.metrics.push(Metric::new(
        "maint_backup_last_success_timestamp_seconds",
        "When the last successful backup create finished",
        &labels,
        Utc::now().timestamp() as f64,
    ));
    report.duration = clock.elapsed();
    Ok(report)
}

fn resolve(args: &BackupCreateArgs, context: &Context) -> Result<Plan> {
    let config = &context.config.config.backup;
    let (dest, remote) = match super::destination(args.dest.as_ref(), context)? {
        Dest::Local(dest) => {
            // Canonical, so a destination inside a source is recognised and left out.
            let dest = fs::canonicalize(&dest).unwrap_or(dest);
            check_writable(&dest)?;
            (dest, None)
        }
        // Filled in below when a database dump needs local room.
        Dest::Remote(remote) => (PathBuf::new(), Some(remote)),
    };
    let keys = if args.recipient.is_empty() {
        &config.recipients
    } else {
        &args.recipient
    };
    let recipients = if keys.is_empty() {
        None
    } else {
        Some(Arc::new(Recipients::parse(keys).map_err(anyhow::Error::new).context(
            Hint::new("fix --recipient or [backup] recipients: an age1… key from age-keygen -y, or an ssh-ed25519/ssh-rsa public key"),
        )?))
    };
    let given = if args.source.is_empty() {
        config.sources.clone()
    } else {
        args.source.clone()
    };
    if given.is_empty() {
        return Err(anyhow!("nothing to back up")).context(Hint::new(
            "pass --source PATH (repeatable) or set sources in [backup] of maint.toml",
        ));
    }
    let mut sources = Vec::new();
    for source in &given {
        let canonical = fs::canonicalize(source)
            .with_context(|| format!("source {} cannot be read", source.display()))
            .context(Hint::new(format!(
                "ls -ld {}; fix --source or [backup] sources",
                source.display()
            )))?;
        if !sources.contains(&canonical) {
            sources.push(canonical);
        }
    }
    let root = common_root(&sources);
    let name = match args.name.as_ref().or(config.name.as_ref()) {
        Some(name) => name.0.clone(),
        None => pack::host_label(),
    };
    let url = args
        .db
        .as_ref()
        .or(config.db.as_ref())
        .map(|u| u.0.as_str());
    let database = match url {
        Some(url) => Some(db_plan(url, context)?),
        None => None,
    };
    let redis = args
        .redis
        .as_ref()
        .or(config.redis.as_ref())
        .map(|u| u.0.clone());
    let dest = if remote.is_some() && (database.is_some() || redis.is_some()) {
        super::work_folder()?
    } else {
        dest
    };
    let threads = config
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZero::get));
    let excludes = if args.exclude.is_empty() {
        config.exclude.clone()
    } else {
        args.exclude.clone()
    };
    pack::check_excludes(&excludes)
        .map_err(anyhow::Error::new)
        .context(Hint::new(
            "fix --exclude or [backup] exclude: *, ? and [..] match within a name, ** across folders",
        ))?;
    let primary = match &remote {
        Some(remote) => Dest::Remote(Arc::clone(remote)),
        None => Dest::Local(dest.clone()),
    };
    let copies = super::copies::open_all(&args.copy_to, &primary, context)?;
    Ok(Plan {
        dest,
        remote,
        copies,
        recipients,
        name,
        kind: args.kind.as_str().to_owned(),
        root,
        sources,
        excludes,
        database,
        redis,
        threads: threads.max(1),
        level: config.level.map_or(6, |l| l.0),
        incremental: args.incremental
            || (!args.full
                && config.incremental == Some(true)
                && !config
                    .full_on
                    .iter()
                    .any(|day| day.is(Utc::now().date_naive()))),
    })
}

/// Makes one archive per the plan; the caller holds the destination's lock.
pub(super) fn make(
    plan: &Plan,
    context: &Context,
    upload_started: &mut dyn FnMut(&str, &str),
) -> Result<Made, Failed> {
    let clock = Instant::now();
    let mut archive = match &plan.remote {
        None => pack::free_name(&plan.dest, &plan.name, &plan.kind),
        // An object store would take a second upload under the same name
        // over the first: the name must be free there. (A store that cannot
        // answer fails the upload soon enough.)
        Some(remote) => pack::free_name_where(&plan.name, &plan.kind, |file| {
            matches!(remote.head(file), Ok(Some(_)))
        }),
    };
    archive.encrypted = plan.recipients.is_some();
    let mut temporaries = Temporaries(Vec::new());

    let mut dumped = None;
    let mut dump = None;
    let mut globals_note = None;
    if let Some(db) = &plan.database {
        let (result, stored, note) = dump_database(plan, db, &archive, &mut temporaries, context)?;
        dumped = Some(result);
        dump = Some(stored);
        globals_note = note;
    }

    let redis = match &plan.redis {
        Some(url) => Some(redis_snapshot(
            plan,
            url,
            &archive,
            &mut temporaries,
            context,
        )?),
        None => None,
    };
    let mut request = Request::new(
        &plan.dest,
        archive,
        &plan.root,
        plan.sources.iter().cloned().map(Source::Tree).collect(),
    );
    request.excludes.clone_from(&plan.excludes);
    request.dump = dump;
    request.redis = redis;
    request.level = plan.level;
    request.threads = plan.threads;
    request.recipients.clone_from(&plan.recipients);
    let mut made_full = None;
    if plan.incremental {
        match previous(plan) {
            Ok(found) => request.previous = Some(Arc::new(found)),
            Err(why) => made_full = Some(why),
        }
    }
    let counters = Counters::default();
    let total = if context.progress {
        pack::planned_bytes(&request)
    } else {
        0
    };
    let follow = Follow::with_files(
        progress_bar(context, total, "backup"),
        &counters.bytes,
        Some(Arc::clone(&counters.files)),
    );
    let packed = match &plan.remote {
        None => pack::pack(&request, &counters).map_err(|err| pack_failed(err, &plan.dest)),
        Some(remote) => remote_catalog::pack_to(remote, &request, &counters, upload_started)
            .map(|made| pack::Packed {
                archive: PathBuf::from(remote.shown_object(&made.object)),
                manifest: made.manifest,
                summary: pgzip::Summary {
                    compressed_bytes: made.stored_bytes,
                    ..made.summary
                },
                notes: made.notes,
                unmatched_excludes: made.unmatched_excludes,
                elapsed: clock.elapsed(),
            })
            .map_err(|err| pack_failed(err, Path::new(remote.shown()))),
    };
    drop(follow);
    drop(temporaries);
    let packed = packed?;
    context.note(|| format!("{} read back and checked", packed.archive.display()));
    Ok(Made {
        made_full,
        archive: packed.archive,
        manifest: packed.manifest,
        summary: packed.summary,
        notes: packed.notes,
        database: dumped,
        globals_note,
        unmatched_excludes: packed.unmatched_excludes,
        elapsed: clock.elapsed(),
    })
}

/// The backup an incremental builds on: the latest of this name that was
/// verified when made and whose manifest can be read; else why there is none.
fn previous(plan: &Plan) -> Result<Previous, String> {
    if plan.recipients.is_some() {
        // Prune and restore read a chain from its manifests, which only the
        // private key opens.
        return Err("encrypted backups are always full".to_owned());
    }
    let dest = match &plan.remote {
        Some(remote) => Dest::Remote(Arc::clone(remote)),
        None => Dest::Local(plan.dest.clone()),
    };
    let backups = dest
        .scan()
        .map_err(|err| format!("the earlier backups cannot be listed ({err})"))?;
    let now = Utc::now();
    let Some(latest) = backups
        .iter()
        .rfind(|b| b.name.name == plan.name && b.may_be_latest(now))
    else {
        return Err(format!("no earlier backup named {} to build on", plan.name));
    };
    let file = latest.file_name();
    if !matches!(latest.trust, catalog::Trust::Verified(_)) {
        return Err(format!(
            "the latest backup, {file}, is {}",
            latest.trust.label()
        ));
    }
    match &latest.manifest {
        Some(manifest) => {
            // Building on a chain with a link gone would make a backup that
            // cannot be restored: start a new chain instead.
            let manifest_of = |name: &str| {
                let present = backups.iter().any(|b| {
                    b.file_name() == name && matches!(b.trust, catalog::Trust::Verified(_))
                });
                dest.read_sidecars(name, None)
                    .manifest
                    .filter(|_| present)
                    .and_then(|bytes| Manifest::from_bytes(&bytes).ok())
            };
            chain::plan(&file, manifest, None, &manifest_of)
                .map_err(|err| format!("the chain of {file} is not whole ({err})"))?;
            Ok(Previous::new(file, manifest))
        }
        // Only public keys live here: an encrypted manifest stays closed.
        None => Err(format!("the manifest of {file} cannot be read here")),
    }
}
