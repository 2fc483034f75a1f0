//! `maint backup find`: which backups hold a path, and its versions, from
//! the manifest copies beside the archives (no archive is read). A path
//! whose content is the same in several backups is one version; each row
//! names the archive whose tar holds that content (an incremental lists
//! unchanged files that an earlier link stores).

use std::time::Instant;

use anyhow::anyhow;
use chrono::{DateTime, Utc};

use super::destination_backups;
use crate::cli::BackupFindArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::report::{Cell, Check, Column, Section, Status, Unit};
use crate::storage::manifest::{self, EntryType};
use crate::storage::pack;

pub(super) fn execute(args: &BackupFindArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    pack::check_excludes(&args.patterns).map_err(|err| {
        Failed::Setup(anyhow::Error::new(err).context(Hint::new(
            "fix the pattern: *, ? and [..] match within a name, ** across folders",
        )))
    })?;
    let (dest, backups) = destination_backups(args.dest.as_ref(), context)?;
    if backups.is_empty() {
        return Err(Failed::setup(
            anyhow!("no backups in {}", dest.shown())
                .context(Hint::new("maint backup create makes one")),
        ));
    }
    let mut rows = Vec::new();
    let mut paths = std::collections::BTreeSet::new();
    let mut versions = std::collections::BTreeSet::new();
    let mut unreadable = 0usize;
    for backup in &backups {
        let Some(manifest) = &backup.manifest else {
            unreadable += 1;
            continue;
        };
        let file = backup.file_name();
        for entry in &manifest.entries {
            let name = entry.path.rsplit('/').next().unwrap_or_default();
            if manifest::is_meta(&entry.path)
                || entry.path == "."
                || !pack::excluded(&args.patterns, &entry.path, name)
            {
                continue;
            }
            paths.insert(entry.path.clone());
            versions.insert((entry.path.clone(), entry.sha256.clone(), entry.link.clone()));
            let modified = DateTime::from_timestamp(entry.mtime, entry.mtime_ns)
                .map_or(Cell::Empty, Cell::Time);
            rows.push(vec![
                Cell::Text(entry.path.clone()),
                Cell::Text(file.clone()),
                Cell::Text(kind(entry.kind).to_owned()),
                Cell::Bytes(entry.size),
                modified,
                Cell::Text(entry.sha256.as_deref().map_or_else(
                    || entry.link.clone().unwrap_or_default(),
                    |s| s[..12.min(s.len())].to_owned(),
                )),
                Cell::Text(entry.stored_in.clone().unwrap_or_else(|| file.clone())),
            ]);
        }
    }
    let mut report = crate::checks::report("backup find", started);
    let patterns = args.patterns.join(" ");
    let mut check = if rows.is_empty() {
        Check::new(
            "found",
            Status::Warning,
            format!(
                "no backup in {} holds a path matching {patterns}",
                dest.shown()
            ),
        )
        .with_hint(
            "a pattern with / matches from the backup's root (maint backup list shows the backups)",
        )
    } else {
        Check::new(
            "found",
            Status::Ok,
            format!(
                "{} paths matching {patterns}, {} versions, in {} of {} backups",
                paths.len(),
                versions.len(),
                rows.iter()
                    .filter_map(|r| match &r[1] {
                        Cell::Text(file) => Some(file.as_str()),
                        _ => None,
                    })
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                backups.len()
            ),
        )
    };
    check = check.with_value(rows.len() as f64, Unit::Count);
    report.checks.push(check);
    if unreadable > 0 {
        report.checks.push(
            Check::new(
                "unsearched",
                Status::Warning,
                format!("{unreadable} backups have no readable manifest copy (encrypted, or damaged) and were not searched"),
            )
            .with_hint("maint backup list shows their state"),
        );
    }
    report.sections.push(Section {
        name: "found".to_owned(),
        title: format!("In {}:", dest.shown()),
        columns: vec![
            Column::new("path", "PATH"),
            Column::new("archive", "BACKUP"),
            Column::new("type", "TYPE"),
            Column::new("size", "SIZE"),
            Column::new("modified", "MODIFIED (UTC)"),
            Column::new("content", "SHA-256 / TARGET"),
            Column::new("held_by", "HELD BY"),
        ],
        rows,
    });
    report.duration = clock.elapsed();
    Ok(report)
}

fn kind(kind: EntryType) -> &'static str {
    match kind {
        EntryType::File => "file",
        EntryType::Dir => "folder",
        EntryType::Symlink => "symlink",
        EntryType::HardLink => "hard link",
        EntryType::Fifo => "fifo",
        EntryType::CharDevice => "char device",
        EntryType::BlockDevice => "block device",
    }
}
