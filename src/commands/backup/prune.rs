//! `maint backup prune`: delete the backups a retention policy no longer
//! keeps, never after a failed create, never the newest verified backup,
//! never with a policy that keeps nothing, and say why each one stays or goes.
//! A dry run takes the same decisions (and refuses the same way).

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use chrono::Utc;

use super::{destination, take_dest_lock};
use crate::cli::BackupPruneArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::config::CopyConfig;
use crate::error::Hint;
use crate::report::{Cell, Check, Column, Section, Status, Unit};
use crate::storage::catalog::{Backup, Trust};
use crate::storage::retention::{self, Candidate, Policy};
use crate::units::human_bytes;

pub(super) fn execute(args: &BackupPruneArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let config = &context.config.config.backup;
    let defaults = Policy::default();
    // A copy destination has its own retention ([[backup.copy]] keep_*),
    // above [backup]'s.
    let copy = args
        .dest
        .as_ref()
        .and_then(|dest| config.copy.iter().find(|c| &c.dest == dest));
    let keep = |flag: Option<usize>,
                of_copy: fn(&CopyConfig) -> Option<usize>,
                base: Option<usize>,
                default| {
        flag.or_else(|| copy.and_then(of_copy))
            .or(base)
            .unwrap_or(default)
    };
    let policy = Policy {
        last: keep(
            args.keep_last,
            |c| c.keep_last,
            config.keep_last,
            defaults.last,
        ),
        daily: keep(
            args.keep_daily,
            |c| c.keep_daily,
            config.keep_daily,
            defaults.daily,
        ),
        weekly: keep(
            args.keep_weekly,
            |c| c.keep_weekly,
            config.keep_weekly,
            defaults.weekly,
        ),
        monthly: keep(
            args.keep_monthly,
            |c| c.keep_monthly,
            config.keep_monthly,
            defaults.monthly,
        ),
    };
    if policy.keeps_nothing() {
        return Err(Failed::setup(
            anyhow!("a retention policy that keeps nothing would delete every backup").context(
                Hint::new(
                    "set at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly above 0 (borg refuses such a policy too)",
                ),
            ),
        ));
    }
    let dest = destination(args.dest.as_ref(), context).map_err(Failed::Setup)?;
    let _lock = if args.dry_run {
        None
    } else {
        Some(take_dest_lock(&dest, "maint backup prune")?)
    };
    let backups = super::scan(&dest).map_err(Failed::Setup)?;

    let mut groups: BTreeMap<&str, Vec<&Backup>> = BTreeMap::new();
    for backup in &backups {
        groups
            .entry(backup.name.name.as_str())
            .or_default()
            .push(backup);
    }
    for name in groups.keys() {
        let failed = dest
            .failed_create(name)
            .map_err(|err| Failed::Setup(anyhow::Error::new(err)))?;
        if let Some(why) = failed {
            return Err(Failed::setup(
                anyhow!("not pruning {}: {why}", dest.shown()).context(Hint::new(format!(
                    "make a good backup first (maint backup create); prune deletes nothing until one succeeds for {name}"
                ))),
            ));
        }
    }

    let now = Utc::now();
    let mut rows = Vec::new();
    let mut deleted = 0usize;
    let mut freed = 0u64;
    let mut not_counted = Vec::new();
    let mut future = Vec::new();
    for group in groups.values() {
        let decisions = decide(policy, group, now);
        for (backup, (keep, reasons)) in group.iter().zip(decisions) {
            if backup.future_dated(now) {
                future.push(backup.file_name());
            } else if !backup.is_pre_restore() && !matches!(backup.trust, Trust::Verified(_)) {
                not_counted.push(backup.file_name());
            }
            let action = match (keep, args.dry_run) {
                (true, _) => "keep",
                (false, true) => "would delete",
                (false, false) => "delete",
            };
            if !keep && !args.dry_run {
                dest.remove(backup)
                    .with_context(|| format!("cannot delete {}", backup.path.display()))
                    .context(Hint::new(format!("ls -l {}", dest.shown())))
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
    let mut report = crate::checks::report("backup prune", started);
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    let message = format!(
        "{verb} {deleted} of {} backups ({}) in {}; policy: newest {}, daily {}, weekly {}, monthly {}",
        backups.len(),
        human_bytes(freed),
        dest.shown(),
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
            .with_hint(format!("maint backup verify --dest {}", dest.shown())),
        );
    }
    if !future.is_empty() {
        report.checks.push(
            Check::new(
                "prune:future_dated",
                Status::Warning,
                format!(
                    "dated in the future (the clock was wrong when they were made), kept and not counted: {}",
                    future.join(", ")
                ),
            )
            .with_value(future.len() as f64, Unit::Count)
            .with_hint("check the clock (timedatectl; chronyc tracking), then verify these backups and rename or delete them by hand"),
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

/// What happens to each backup of one name (oldest first): (keep, reasons).
/// Pre-restore archives follow their own rule; future-dated, damaged and
/// incomplete ones are kept and not counted; the newest verified backup is
/// kept whatever the policy says.
fn decide(policy: Policy, group: &[&Backup], now: chrono::DateTime<Utc>) -> Vec<(bool, String)> {
    let regular: Vec<usize> = (0..group.len())
        .filter(|&i| !group[i].is_pre_restore())
        .collect();
    let pre_restore: Vec<usize> = (0..group.len())
        .filter(|&i| group[i].is_pre_restore())
        .collect();
    let mut out = vec![(true, String::new()); group.len()];
    let candidates: Vec<Candidate> = regular
        .iter()
        .map(|&i| {
            let backup = group[i];
            Candidate {
                created_at: backup.name.created_at,
                not_counted: if backup.future_dated(now) {
                    Some("dated in the future: the clock was wrong".to_owned())
                } else {
                    match &backup.trust {
                        Trust::Verified(_) => None,
                        Trust::Damaged(_) => Some("damaged".to_owned()),
                        Trust::Incomplete(why) => Some(format!("incomplete: {why}")),
                    }
                },
            }
        })
        .collect();
    let newest_counted = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.not_counted.is_none())
        .max_by_key(|(_, c)| c.created_at)
        .map(|(at, _)| at);
    for (at, decision) in retention::decide(policy, &candidates)
        .into_iter()
        .enumerate()
    {
        let mut keep = decision.keep;
        let mut reasons = decision.reasons.join("; ");
        if !keep && Some(at) == newest_counted {
            keep = true;
            "the newest verified backup: always kept".clone_into(&mut reasons);
        }
        out[regular[at]] = (keep, reasons);
    }
    keep_chains(group, &mut out);
    let times: Vec<_> = pre_restore
        .iter()
        .map(|&i| group[i].name.created_at)
        .collect();
    for (at, decision) in retention::decide_pre_restore(&times, now)
        .into_iter()
        .enumerate()
    {
        out[pre_restore[at]] = (decision.keep, decision.reasons.join("; "));
    }
    out
}

/// Keeps every archive a kept incremental needs: the links of its chain,
/// back to its full backup, whatever the policy said of them.
fn keep_chains(group: &[&Backup], out: &mut [(bool, String)]) {
    let index: BTreeMap<String, usize> = group
        .iter()
        .enumerate()
        .map(|(i, b)| (b.file_name(), i))
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for at in 0..group.len() {
            if !out[at].0 {
                continue;
            }
            let Some(parent) = group[at].manifest.as_ref().and_then(|m| m.parent.as_ref()) else {
                continue;
            };
            if let Some(&link) = index.get(parent)
                && !out[link].0
            {
                out[link] = (
                    true,
                    format!(
                        "a link of the chain of the kept incremental {}: kept",
                        group[at].file_name()
                    ),
                );
                changed = true;
            }
        }
    }
}
