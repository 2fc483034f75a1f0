//! `maint backup prune`: delete the backups a retention policy no longer
//! keeps, never after a failed create, and say why each one stays or goes.

use std::collections::BTreeMap;
use std::fs;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use chrono::Utc;

use super::destination;
use super::take_lock;
use crate::cli::BackupPruneArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::report::{Cell, Check, Column, Kind, Report, Section, Status, Unit};
use crate::storage::catalog::{self, Backup, Trust};
use crate::storage::retention::{self, Candidate, Policy};
use crate::units::human_bytes;

pub fn execute(args: &BackupPruneArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let config = &context.config.config.backup;
    let defaults = Policy::default();
    let policy = Policy {
        last: args.keep_last.or(config.keep_last).unwrap_or(defaults.last),
        daily: args
            .keep_daily
            .or(config.keep_daily)
            .unwrap_or(defaults.daily),
        weekly: args
            .keep_weekly
            .or(config.keep_weekly)
            .unwrap_or(defaults.weekly),
        monthly: args
            .keep_monthly
            .or(config.keep_monthly)
            .unwrap_or(defaults.monthly),
    };
    let dest = destination(args.dest.as_ref(), context).map_err(Failed::Setup)?;
    let _lock = if args.dry_run {
        None
    } else {
        Some(take_lock(&dest, "maint backup prune")?)
    };
    let backups = catalog::scan(&dest)
        .with_context(|| format!("cannot list {}", dest.display()))
        .map_err(Failed::Setup)?;

    let mut groups: BTreeMap<&str, Vec<&Backup>> = BTreeMap::new();
    for backup in &backups {
        groups
            .entry(backup.name.name.as_str())
            .or_default()
            .push(backup);
    }
    for name in groups.keys() {
        if let Some(why) = catalog::failed_create(&dest, name)
            && !args.dry_run
        {
            return Err(Failed::setup(
                anyhow!("not pruning {}: {why}", dest.display()).context(Hint::new(format!(
                    "make a good backup first (maint backup create); prune deletes nothing until one succeeds for {name}"
                ))),
            ));
        }
    }

    let mut rows = Vec::new();
    let mut deleted = 0usize;
    let mut freed = 0u64;
    let mut not_counted = Vec::new();
    for (name, group) in &groups {
        let candidates: Vec<Candidate> = group
            .iter()
            .map(|b| Candidate {
                created_at: b.name.created_at,
                not_counted: match (&b.trust, b.name.kind.as_str()) {
                    (_, catalog::PRE_RESTORE_KIND) => Some("a pre-restore archive".to_owned()),
                    (Trust::Verified(_), _) => None,
                    (Trust::Damaged(_), _) => Some("damaged".to_owned()),
                    (Trust::Incomplete(why), _) => Some(format!("incomplete: {why}")),
                },
            })
            .collect();
        let failed = catalog::failed_create(&dest, name);
        let decisions = retention::decide(policy, &candidates);
        for ((backup, candidate), decision) in group.iter().zip(&candidates).zip(&decisions) {
            if candidate.not_counted.is_some() && backup.name.kind != catalog::PRE_RESTORE_KIND {
                not_counted.push(backup.file_name());
            }
            let mut keep = decision.keep;
            let mut reasons = decision.reasons.join("; ");
            if !keep && let Some(why) = &failed {
                keep = true;
                reasons = format!("kept: {why}");
            }
            let action = match (keep, args.dry_run) {
                (true, _) => "keep",
                (false, true) => "would delete",
                (false, false) => "delete",
            };
            if !keep && !args.dry_run {
                remove_backup(backup)
                    .with_context(|| format!("cannot delete {}", backup.path.display()))
                    .context(Hint::new(format!("ls -l {}", dest.display())))
                    .map_err(Failed::Running)?;
            }
            if !keep {
                deleted += 1;
                freed += backup.size;
            }
            rows.push(vec![
                Cell::Text(backup.file_name()),
                Cell::Time(backup.name.created_at),
                Cell::Bytes(backup.size),
                Cell::Text(action.to_owned()),
                Cell::Text(reasons),
            ]);
        }
    }
    let mut report = Report::new("backup prune", Kind::Action, started);
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    let message = format!(
        "{verb} {deleted} of {} backups ({}) in {}; policy: newest {}, daily {}, weekly {}, monthly {}",
        backups.len(),
        human_bytes(freed),
        dest.display(),
        policy.last,
        policy.daily,
        policy.weekly,
        policy.monthly
    );
    report
        .checks
        .push(Check::new("prune", Status::Ok, message).with_value(deleted as f64, Unit::Count));
    if !not_counted.is_empty() {
        report.checks.push(
            Check::new(
                "prune:not_counted",
                Status::Warning,
                format!(
                    "kept but not counted (damaged, incomplete or never verified): {}",
                    not_counted.join(", ")
                ),
            )
            .with_value(not_counted.len() as f64, Unit::Count)
            .with_hint(format!("maint backup verify --dest {}", dest.display())),
        );
    }
    report.sections.push(Section {
        name: "archives".to_owned(),
        title: "Each backup, and why it stays or goes".to_owned(),
        columns: vec![
            Column::new("archive", "ARCHIVE"),
            Column::new("created_at", "CREATED (UTC)"),
            Column::new("size", "SIZE"),
            Column::new("action", "ACTION"),
            Column::new("reason", "REASON"),
        ],
        rows,
    });
    report.duration = clock.elapsed();
    Ok(report)
}

/// The archive goes first: without it the sidecars are only leftovers.
fn remove_backup(backup: &Backup) -> std::io::Result<()> {
    fs::remove_file(&backup.path)?;
    for sidecar in [
        catalog::sha256_path(&backup.path),
        catalog::manifest_path(&backup.path),
        catalog::verify_path(&backup.path),
    ] {
        match fs::remove_file(&sidecar) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
    }
    fs::File::open(crate::storage::atomic::parent_dir(&backup.path))?.sync_all()
}
