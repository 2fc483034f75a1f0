//! `maint backup verify`: read whole archives and check them against their
//! manifests and sidecars; a flipped byte anywhere is CRITICAL and named.

use std::time::Instant;

use anyhow::anyhow;
use chrono::Utc;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::{Dest, Follow, destination_backups, progress_bar};
use crate::cli::BackupVerifyArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::report::{Check, Status, Unit};
use crate::storage::archive;
use crate::storage::archive::ReadError;
use crate::storage::catalog;
use crate::storage::chain;
use crate::storage::manifest::Manifest;
use crate::storage::remote::catalog as remote_catalog;
use crate::storage::remote::{Location, Remote};
use crate::units::human_bytes;

pub(super) fn execute(args: &BackupVerifyArgs, context: &Context) -> Outcome {
    let started = Utc::now();
    let clock = Instant::now();
    let identities = super::identities(args.identity.as_ref()).map_err(Failed::Setup)?;
    // (where, file name in it)
    let (dest, files): (Dest, Vec<String>) = if let Some(archive) = &args.archive {
        if let Some(text) = archive.to_str()
            && Location::is_remote(text)
        {
            let (folder, file) = text.rsplit_once('/').unwrap_or((text, ""));
            let remote = super::open_remote(folder, context).map_err(Failed::Setup)?;
            (Dest::Remote(remote), vec![file.to_owned()])
        } else {
            if !archive.is_file() {
                return Err(Failed::setup(
                    anyhow!(
                        "archive {} does not exist or is not a file",
                        archive.display()
                    )
                    .context(Hint::new("maint backup list shows the archives")),
                ));
            }
            let folder = crate::storage::atomic::parent_dir(archive).to_path_buf();
            (Dest::Local(folder), vec![super::file_name(archive)])
        }
    } else {
        let (dest, backups) = destination_backups(args.dest.as_ref(), context)?;
        if backups.is_empty() {
            return Err(Failed::setup(
                anyhow!("no backups in {}", dest.shown())
                    .context(Hint::new("maint backup create makes one")),
            ));
        }
        let files = if args.latest {
            // Never a pre-restore archive nor one dated in the future.
            let latest = catalog::latest(&backups, Utc::now()).ok_or_else(|| {
                Failed::setup(
                    anyhow!(
                        "no backup in {} can be called the latest (only pre-restore archives or backups dated in the future)",
                        dest.shown()
                    )
                    .context(Hint::new("maint backup list shows them; maint backup create makes one")),
                )
            })?;
            vec![latest.file_name()]
        } else {
            backups.iter().map(catalog::Backup::file_name).collect()
        };
        (dest, files)
    };
    let (files, chains) = with_links(&dest, files, identities.as_ref());
    let mut report = crate::checks::report("backup verify", started);
    if args.quick {
        let Dest::Remote(remote) = &dest else {
            return Err(Failed::setup(
                anyhow!(
                    "--quick checks archives on an object store; {} is a local folder",
                    dest.shown()
                )
                .context(Hint::new(
                    "drop --quick: a local verify reads the whole file",
                )),
            ));
        };
        for file in &files {
            report.checks.push(quick(remote, file));
        }
        report.duration = clock.elapsed();
        return Ok(report);
    }
    for file in &files {
        let one = Instant::now();
        let shown = dest.shown_file(file);
        let name = format!("verify:{file}");
        let sidecars = dest.read_sidecars(file, identities.as_ref());
        let ours = sidecars.sha256.is_some();
        let (check, verification) = match read_one(&dest, file, &shown, &sidecars, identities.as_ref(), context) {
            Ok(Read::Sealed { stored, bytes }) => match &sidecars.sha256 {
                Some(recorded) if *recorded != stored => (
                    damaged(&name, &shown, &format!("file {file}: SHA-256 differs from its .sha256 sidecar")),
                    Some(false),
                ),
                Some(_) => (
                    Check::new(
                        &name,
                        Status::Ok,
                        "encrypted: the stored bytes match the .sha256 sidecar; give --identity to check every entry".to_owned(),
                    )
                    .with_value(bytes as f64, Unit::Bytes),
                    None,
                ),
                None => (
                    Check::new(&name, Status::Warning, "encrypted, and no .sha256 sidecar to check the stored bytes against".to_owned())
                        .with_hint("give --identity to read it in full"),
                    None,
                ),
            },
            Ok(Read::Full(checked)) if !checked.problems.is_empty() => {
                let problem = &checked.problems[0];
                let more = checked.problems.len() - 1;
                let extra = if more > 0 { format!(" (and {more} more)") } else { String::new() };
                (
                    damaged(&name, &shown, &format!("damaged {problem}{extra}")),
                    Some(false),
                )
            }
            Ok(Read::Full(checked)) if checked.unverified => (
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
            Ok(Read::Full(checked)) => {
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
                    .with_hint(match &dest {
                        Dest::Local(_) => format!("ls -l {}", shown.display()),
                        Dest::Remote(remote) => super::remote_hint(remote).to_string(),
                    }),
                None,
            ),
            Err(err) => (damaged(&name, &shown, &err.to_string()), Some(false)),
        };
        if let Some(ok) = verification {
            let damage = (!ok).then_some(check.message.as_str());
            if let Err(err) = dest.record_read(file, "maint backup verify", damage) {
                context.note(|| {
                    format!(
                        "cannot record the verification of {}: {err}",
                        shown.display()
                    )
                });
            }
        }
        let mut check = check;
        check.elapsed = Some(one.elapsed());
        report.checks.push(check);
    }
    for (file, links) in chains {
        report
            .checks
            .push(chain_check(&file, links, &report.checks));
    }
    report.duration = clock.elapsed();
    Ok(report)
}

/// The archives to verify: those asked for, and before each incremental
/// the links of its chain not already among them. With each incremental,
/// its chain's file names (oldest first) or why it cannot be followed.
fn with_links(
    dest: &Dest,
    files: Vec<String>,
    identities: Option<&crate::storage::crypt::Identities>,
) -> (Vec<String>, Vec<(String, Chain)>) {
    let manifest_of = |file: &str| {
        dest.read_sidecars(file, identities)
            .manifest
            .and_then(|bytes| Manifest::from_bytes(&bytes).ok())
    };
    let mut all: Vec<String> = Vec::new();
    let mut chains = Vec::new();
    for file in files {
        if let Some(manifest) = manifest_of(&file).filter(|m| m.parent.is_some()) {
            let links = chain::plan(&file, &manifest, None, &manifest_of)
                .map(|links| links.into_iter().map(|l| l.file).collect::<Vec<_>>())
                .map_err(|err| err.to_string());
            for link in links.iter().flatten() {
                if !all.contains(link) && *link != file {
                    all.push(link.clone());
                }
            }
            chains.push((file.clone(), links));
        }
        if !all.contains(&file) {
            all.push(file);
        }
    }
    (all, chains)
}

/// An incremental's chain, oldest first, or why it cannot be followed.
type Chain = Result<Vec<String>, String>;

/// An incremental's chain: whole, and every link read and found good here.
fn chain_check(file: &str, links: Chain, checks: &[Check]) -> Check {
    let name = format!("chain:{file}");
    let hint = "restore the newest backup whose chain is whole (maint backup list); make a full one: maint backup create --full";
    let links = match links {
        Ok(links) => links,
        Err(why) => return Check::new(&name, Status::Critical, why).with_hint(hint),
    };
    for link in &links {
        let verdict = checks.iter().find(|c| c.name == format!("verify:{link}"));
        match verdict {
            Some(check) if check.status == Status::Ok => {}
            Some(check) => {
                return Check::new(
                    &name,
                    Status::Critical,
                    format!("link {link} of the chain is not good: {}", check.message),
                )
                .with_hint(hint);
            }
            None => {
                return Check::new(&name, Status::Unknown, format!("link {link} was not read"))
                    .with_hint(hint);
            }
        }
    }
    Check::new(
        &name,
        Status::Ok,
        format!(
            "a chain of {} archives, all present and good: {}",
            links.len(),
            links.join(" -> ")
        ),
    )
    .with_value(links.len() as f64, Unit::Count)
}

/// What one read gave: the whole archive checked, or (encrypted, no key)
/// only the stored bytes hashed.
enum Read {
    Full(Box<super::Checked>),
    Sealed { stored: String, bytes: u64 },
}

fn read_one(
    dest: &Dest,
    file: &str,
    shown: &Path,
    sidecars: &crate::storage::destination::Sidecars,
    identities: Option<&crate::storage::crypt::Identities>,
    context: &Context,
) -> Result<Read, ReadError> {
    let opened = dest.open_archive(file, identities)?;
    let size = match dest {
        Dest::Local(_) => std::fs::metadata(shown).map_or(0, |m| m.len()),
        Dest::Remote(_) => 0,
    };
    let counter = Arc::new(AtomicU64::new(0));
    let _follow = Follow::start(progress_bar(context, size, "verify"), &counter);
    if !opened.plaintext {
        let mut reader = opened.reader;
        std::io::copy(&mut reader, &mut std::io::sink()).map_err(|err| ReadError::Damaged {
            at: "archive".to_owned(),
            detail: err.to_string(),
        })?;
        let (stored, bytes) = opened.stored.result();
        return Ok(Read::Sealed { stored, bytes });
    }
    let outcome = archive::read_from(opened.reader, Some(Arc::clone(&counter)), true, |_| Ok(()))?;
    let (stored, _) = opened.stored.result();
    let checked = super::check_against(shown, outcome, sidecars, &stored);
    Ok(Read::Full(Box::new(checked)))
}

/// One archive's `--quick` check: its size and ETag against the record.
fn quick(remote: &Remote, file: &str) -> Check {
    let name = format!("verify:{file}");
    let shown = PathBuf::from(remote.shown_object(file));
    match remote_catalog::quick_check(remote, file) {
        Ok(Ok(size)) => Check::new(
            &name,
            Status::Ok,
            "size and the server's checksum are as written (quick: the content was not read)"
                .to_owned(),
        )
        .with_value(size as f64, Unit::Bytes),
        Ok(Err(why)) if why.starts_with("no record") => Check::new(&name, Status::Unknown, why)
            .with_hint(format!(
                "maint backup verify {} reads it in full",
                shown.display()
            )),
        Ok(Err(why)) => damaged(&name, &shown, &why),
        Err(err) => Check::new(&name, Status::Unknown, err.to_string())
            .with_hint(super::remote_hint(remote).to_string()),
    }
}

fn damaged(name: &str, archive: &Path, detail: &str) -> Check {
    Check::new(name, Status::Critical, detail.to_owned()).with_hint(format!(
        "do not rely on {}: restore an older backup (maint backup list) and make a new one",
        archive.display()
    ))
}
