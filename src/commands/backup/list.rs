//! `maint backup list`: the backups in a destination, newest last, with
//! what their sidecars say (no archive is read: `verify` does that). The
//! "newest" is never a pre-restore archive or one dated in the future.

use std::time::Instant;

use chrono::Utc;

use super::destination_backups;
use crate::cli::BackupListArgs;
use crate::commands::{Context, Outcome};
use crate::report::{Cell, Check, Column, Metric, Section, Status, Unit};
use crate::storage::catalog::{self, Backup, Trust};
use crate::units::{human_bytes, human_duration};

pub(super) fn execute(args: &BackupListArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let (dest, backups) = destination_backups(args.dest.as_ref(), context)?;
    let mut report = crate::checks::report("backup list", started);
    // Where each archive also is, when copies are configured (3-2-1).
    let mut copies: Vec<(String, Vec<String>)> = Vec::new();
    for copy in &context.config.config.backup.copy {
        let listed = super::open_destination(copy.dest.clone(), context)
            .and_then(|target| Ok((target.shown(), super::scan(&target)?)));
        match listed {
            Ok((shown, found)) if shown != dest.shown() => {
                copies.push((shown, found.iter().map(Backup::file_name).collect()));
            }
            Ok(_) => {}
            Err(err) => report.checks.push(
                Check::new("copies", Status::Warning, format!("{err:#}"))
                    .with_hint("check the copy destinations in [[backup.copy]]"),
            ),
        }
    }
    let rows = backups
        .iter()
        .map(|b| {
            let manifest = b.manifest.as_ref();
            let mut row = vec![
                Cell::Text(b.file_name()),
                Cell::Text(b.name.kind.clone()),
                Cell::Time(b.name.created_at),
                Cell::Bytes(b.size),
                manifest.map_or(Cell::Empty, |m| Cell::Integer(m.file_count() as i64)),
                manifest
                    .and_then(|m| m.database.as_ref())
                    .map_or(Cell::Empty, |d| Cell::Text(d.name.clone())),
                Cell::Text(b.trust.label()),
                // An incremental names the archive it builds on.
                manifest.map_or(Cell::Empty, |m| {
                    Cell::Text(m.parent.clone().unwrap_or_else(|| "full".to_owned()))
                }),
            ];
            if !context.config.config.backup.copy.is_empty() {
                let held: Vec<&str> = copies
                    .iter()
                    .filter(|(_, files)| files.contains(&b.file_name()))
                    .map(|(shown, _)| shown.as_str())
                    .collect();
                row.push(Cell::Text(if held.is_empty() {
                    "none".to_owned()
                } else {
                    held.join(", ")
                }));
            }
            row
        })
        .collect();
    let mut columns = vec![
        Column::new("archive", "ARCHIVE"),
        Column::new("kind", "KIND"),
        Column::new("created_at", "CREATED (UTC)"),
        Column::new("size", "SIZE"),
        Column::new("files", "FILES"),
        Column::new("database", "DATABASE"),
        Column::new("state", "STATE"),
        Column::new("based_on", "BASED ON"),
    ];
    if !context.config.config.backup.copy.is_empty() {
        columns.push(Column::new("copies", "COPIES"));
    }
    report.sections.push(Section {
        name: "backups".to_owned(),
        title: format!("Backups in {}", dest.shown()),
        columns,
        rows,
    });
    let total: u64 = backups.iter().map(|b| b.size).sum();
    let now = Utc::now();
    let newest = catalog::latest(&backups, now);
    let check = match newest {
        None if !backups.is_empty() => Check::new(
            "backups",
            Status::Warning,
            format!(
                "{} archives in {}, but none is a backup that can be called the latest (only pre-restore archives or backups dated in the future)",
                backups.len(),
                dest.shown()
            ),
        )
        .with_hint(format!("maint backup create --dest {}", dest.shown())),
        None => Check::new(
            "backups",
            Status::Warning,
            format!("no backups in {}", dest.shown()),
        )
        .with_hint(format!("maint backup create --dest {}", dest.shown())),
        Some(newest) => {
            let age = (now - newest.name.created_at).to_std().unwrap_or_default();
            Check::new(
                "backups",
                Status::Ok,
                format!(
                    "{} backups, {} in all; the newest is {} old ({})",
                    backups.len(),
                    human_bytes(total),
                    human_duration(age),
                    newest.trust.label()
                ),
            )
            .with_value(backups.len() as f64, Unit::Count)
        }
    };
    report.checks.push(check);
    let untrusted: Vec<String> = backups
        .iter()
        .filter(|b| !matches!(b.trust, Trust::Verified(_)))
        .map(|b| format!("{}: {}", b.file_name(), b.trust.label()))
        .collect();
    if !untrusted.is_empty() {
        report.checks.push(
            Check::new("backups:untrusted", Status::Warning, untrusted.join("; "))
                .with_value(untrusted.len() as f64, Unit::Count)
                .with_hint(format!("maint backup verify --dest {}", dest.shown())),
        );
    }
    let future: Vec<String> = backups
        .iter()
        .filter(|b| b.future_dated(now))
        .map(Backup::file_name)
        .collect();
    if !future.is_empty() {
        report.checks.push(
            Check::new(
                "backups:future_dated",
                Status::Warning,
                format!(
                    "dated in the future, so never taken for the newest (the clock was wrong when they were made): {}",
                    future.join(", ")
                ),
            )
            .with_value(future.len() as f64, Unit::Count)
            .with_hint("check the clock (timedatectl; chronyc tracking); then verify these backups and rename or delete them by hand"),
        );
    }
    if let Some(newest) = newest {
        // Per destination, so one staleness alert covers the local folder
        // and every remote copy alike.
        let labels = [("dest", dest.shown())];
        let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        report.metrics.push(Metric::new(
            "maint_backup_newest_timestamp_seconds",
            "When the newest backup in the folder was made",
            &labels,
            newest.name.created_at.timestamp() as f64,
        ));
        report.metrics.push(Metric::new(
            "maint_backup_newest_bytes",
            "Size of the newest backup in the destination, as stored",
            &labels,
            newest.size as f64,
        ));
        report.metrics.push(Metric::new(
            "maint_backup_newest_verified",
            "1 when the newest backup's last full read found it good",
            &labels,
            f64::from(u8::from(matches!(newest.trust, Trust::Verified(_)))),
        ));
    }
    report.duration = clock.elapsed();
    Ok(report)
}
