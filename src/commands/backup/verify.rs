//! `maint backup verify`: read whole archives and check them against their
//! manifests and sidecars; a flipped byte anywhere is CRITICAL and named.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use chrono::Utc;

use super::{destination, read_and_check};
use crate::cli::BackupVerifyArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::report::{Check, Status, Unit};
use crate::storage::archive::ReadError;
use crate::storage::catalog;
use crate::units::human_bytes;

pub fn execute(args: &BackupVerifyArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let archives: Vec<PathBuf> = match &args.archive {
        Some(archive) => {
            if !archive.is_file() {
                return Err(Failed::setup(
                    anyhow!(
                        "archive {} does not exist or is not a file",
                        archive.display()
                    )
                    .context(Hint::new("maint backup list shows the archives")),
                ));
            }
            vec![archive.clone()]
        }
        None => {
            let dest = destination(args.dest.as_ref(), context).map_err(Failed::Setup)?;
            let backups = catalog::scan(&dest)
                .with_context(|| format!("cannot list {}", dest.display()))
                .map_err(Failed::Setup)?;
            if backups.is_empty() {
                return Err(Failed::setup(
                    anyhow!("no backups in {}", dest.display())
                        .context(Hint::new("maint backup create makes one")),
                ));
            }
            if args.latest {
                // Never a pre-restore archive nor one dated in the future.
                let latest = catalog::latest(&backups, Utc::now()).ok_or_else(|| {
                    Failed::setup(
                        anyhow!(
                            "no backup in {} can be called the latest (only pre-restore archives or backups dated in the future)",
                            dest.display()
                        )
                        .context(Hint::new("maint backup list shows them; maint backup create makes one")),
                    )
                })?;
                vec![latest.path.clone()]
            } else {
                backups.into_iter().map(|b| b.path).collect()
            }
        }
    };
    let mut report = crate::checks::report("backup verify", started);
    for archive in &archives {
        let one = Instant::now();
        let name = format!("verify:{}", super::file_name(archive));
        let ours = catalog::sha256_path(archive).is_file();
        let (check, verification) = match read_and_check(archive, context) {
            Ok(checked) if !checked.problems.is_empty() => {
                let problem = &checked.problems[0];
                let more = checked.problems.len() - 1;
                let extra = if more > 0 { format!(" (and {more} more)") } else { String::new() };
                (
                    damaged(&name, archive, &format!("damaged {problem}{extra}")),
                    Some(false),
                )
            }
            Ok(checked) if checked.unverified => (
                Check::new(
                    &name,
                    Status::Warning,
                    format!(
                        "unverified: no manifest (made by plain tar?); the gzip stream and CRC are good ({} entries)",
                        checked.outcome.entries.len()
                    ),
                )
                .with_hint("nothing records what the files should be: make backups with maint backup create"),
                None,
            ),
            Ok(checked) => {
                let sidecar = if ours { ", .sha256 sidecar" } else { "" };
                (
                    Check::new(
                        &name,
                        Status::Ok,
                        format!(
                            "{} entries ({}) match the manifest; gzip CRC{sidecar} good",
                            checked.outcome.entries.len(),
                            human_bytes(checked.outcome.uncompressed_bytes)
                        ),
                    )
                    .with_value(checked.outcome.compressed_bytes as f64, Unit::Bytes),
                    Some(true),
                )
            }
            Err(ReadError::Open { path, source }) => (
                Check::new(&name, Status::Unknown, format!("cannot read {path}: {source}"))
                    .with_hint(format!("ls -l {}", archive.display())),
                None,
            ),
            Err(err) => (damaged(&name, archive, &err.to_string()), Some(false)),
        };
        if let Some(ok) = verification {
            let damage = (!ok).then_some(check.message.as_str());
            if let Err(err) = catalog::record_read(archive, "maint backup verify", damage) {
                context.note(|| {
                    format!(
                        "cannot record the verification of {}: {err}",
                        archive.display()
                    )
                });
            }
        }
        let mut check = check;
        check.elapsed = Some(one.elapsed());
        report.checks.push(check);
    }
    report.duration = clock.elapsed();
    Ok(report)
}

fn damaged(name: &str, archive: &std::path::Path, detail: &str) -> Check {
    Check::new(name, Status::Critical, detail.to_owned()).with_hint(format!(
        "do not rely on {}: restore an older backup (maint backup list) and make a new one",
        archive.display()
    ))
}
