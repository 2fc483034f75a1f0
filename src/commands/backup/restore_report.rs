//! What a restore keeps before it changes anything (the pre-restore
//! archive) and how it reports what it read and, in a dry run, would change.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::anyhow;
use chrono::Utc;

use super::{Checked, DbPlan, notes_section};
use crate::commands::{Context, Failed};
use crate::error::Hint;
use crate::report::{Cell, Check, Column, Report, Section, Status};
use crate::storage::catalog;
use crate::storage::manifest::Manifest;
use crate::storage::pack::{self, Request, Source};
use crate::storage::unpack::Action;
use crate::storage::unpack::Unpack;

pub(super) struct Settings {
    pub archive: PathBuf,
    /// The folder holding the archive: its lock is held, the pre-restore
    /// archive goes there, and no restore replaces or removes it.
    pub dest: PathBuf,
    pub target: PathBuf,
    /// The target holds something: overwriting any of it needs --force.
    pub occupied: bool,
    pub database: Option<DbPlan>,
    /// The archives to read and what to take from each: the links of an
    /// incremental's chain, or one archive narrowed by `--path`. Empty:
    /// the whole archive alone.
    pub links: Vec<crate::storage::chain::Link>,
}

/// One restore's reading of the archive: where it writes, what it found.
pub(super) struct Pass<'a> {
    pub unpack: Unpack<'a>,
    pub checked: Checked,
}

/// "1 path", "3 paths".
pub(super) fn paths(count: usize) -> String {
    if count == 1 {
        "1 path".to_owned()
    } else {
        format!("{count} paths")
    }
}

pub(super) fn verify_check(archive: &Path, checked: &Checked) -> Check {
    if checked.unverified {
        Check::new(
            "verify",
            Status::Warning,
            format!(
                "{}: unverified, no manifest (made by plain tar?); the gzip CRC is good",
                archive.display()
            ),
        )
        .with_hint(
            "nothing proves the files are what was backed up: compare them with another copy",
        )
    } else {
        Check::new(
            "verify",
            Status::Ok,
            format!(
                "{}: {} entries match the manifest; gzip CRC good",
                archive.display(),
                checked.outcome.entries.len()
            ),
        )
    }
}

/// The pre-restore archive: exactly what the restore will overwrite or
/// remove, read back and verified by [`pack`], beside the archive restored.
pub(super) fn keep_first(
    settings: &Settings,
    pass: &Pass<'_>,
    manifest: Option<&Manifest>,
    context: &Context,
) -> Result<Option<PathBuf>, Failed> {
    let paths = pass.unpack.to_keep();
    if paths.is_empty() {
        return Ok(None);
    }
    let name = manifest.map_or_else(|| "restore".to_owned(), |m| m.name.clone());
    let archive = pack::free_name(&settings.dest, &name, catalog::PRE_RESTORE_KIND);
    let sources = paths
        .iter()
        .map(|p| Source::Tree(settings.target.join(std::ffi::OsStr::from_bytes(p))))
        .collect();
    let request = Request::new(&settings.dest, archive, &settings.target, sources);
    context.note(|| {
        format!(
            "keeping the {} paths about to be overwritten or removed in {}",
            paths.len(),
            settings.dest.display()
        )
    });
    let packed = pack::pack(&request, &pack::Counters::default()).map_err(|err| {
        let hint = if err.is_destination() {
            format!(
                "df -h {}; free space there and restore again",
                settings.dest.display()
            )
        } else {
            "check what the message names; nothing was changed".to_owned()
        };
        Failed::Running(
            anyhow::Error::new(err)
                .context("cannot keep what the restore would overwrite; nothing was changed")
                .context(Hint::new(hint)),
        )
    })?;
    // Whatever it could not keep, the restore must not overwrite: it stops
    // here, the pre-restore archive stays for the operator to look at.
    // (A socket holds nothing to keep: its program makes it again.)
    let lost: Vec<String> = packed
        .notes
        .iter()
        .filter(|(_, note)| {
            (note.starts_with("skipped") && !note.contains("socket")) || note.starts_with("cannot")
        })
        .map(|(path, note)| format!("{path}: {note}"))
        .collect();
    if let Some(first) = lost.first() {
        return Err(Failed::Running(
            anyhow!(
                "cannot keep everything the restore would overwrite ({first}{}); nothing was changed",
                if lost.len() > 1 {
                    format!(", and {} more", lost.len() - 1)
                } else {
                    String::new()
                }
            )
            .context(Hint::new(format!(
                "move that path out of the way and restore again; what could be kept is in {}",
                packed.archive.display()
            ))),
        ));
    }
    Ok(Some(packed.archive))
}

pub(super) fn dry_run_report(
    settings: &Settings,
    pass: &Pass<'_>,
    started: chrono::DateTime<Utc>,
    clock: Instant,
) -> Report {
    let mut counts: HashMap<Action, usize> = HashMap::new();
    let mut rows = Vec::new();
    for change in pass.unpack.changes() {
        *counts.entry(change.action).or_default() += 1;
        rows.push(vec![
            Cell::Text(change.action.label().to_owned()),
            Cell::Text(change.shown()),
        ]);
    }
    let count = |action| counts.get(&action).copied().unwrap_or(0);
    let mut report = crate::checks::report("backup restore", started);
    report
        .checks
        .push(verify_check(&settings.archive, &pass.checked));
    let mut message = format!(
        "dry run, nothing changed: {} to add, {} to replace, {} to update, {} to remove in {}",
        count(Action::Add),
        count(Action::Replace),
        count(Action::Update),
        count(Action::Remove),
        settings.target.display()
    );
    let overwritten = count(Action::Replace) + count(Action::Update) + count(Action::Remove);
    if overwritten > 0 {
        message.push_str(&format!(
            "; the {} overwritten or removed would be archived first (a real restore needs --force)",
            paths(overwritten)
        ));
    }
    report
        .checks
        .push(Check::new("restore", Status::Ok, message));
    report.sections.push(Section {
        name: "changes".to_owned(),
        title: "What a restore would change".to_owned(),
        columns: vec![Column::new("action", "ACTION"), Column::new("path", "PATH")],
        rows,
    });
    if !pass.unpack.notes().is_empty() {
        report.sections.push(notes_section(
            "left",
            "Left as they would be",
            pass.unpack.notes(),
        ));
    }
    report.duration = clock.elapsed();
    report
}
