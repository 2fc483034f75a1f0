//! 3-2-1: after a verified create, the archive (as stored, still encrypted
//! when it is) goes to every other destination (`[[backup.copy]]`, or
//! `--copy-to`), and each copy is read back whole there. One check per
//! destination; retention there is `maint backup prune --dest` with that
//! destination's own `keep_*`.

use std::path::PathBuf;

use anyhow::{Result, anyhow};

use super::{Dest, open_destination, take_dest_lock};
use crate::commands::{Context, Failed};
use crate::error::Hint;
use crate::report::{Check, Status, Unit};
use crate::units::human_bytes;

/// The copy destinations, opened (and checked) before anything runs:
/// `--copy-to` replaces `[[backup.copy]]`.
pub(super) fn open_all(flags: &[PathBuf], primary: &Dest, context: &Context) -> Result<Vec<Dest>> {
    let configured: Vec<PathBuf> = context
        .config
        .config
        .backup
        .copy
        .iter()
        .map(|c| c.dest.clone())
        .collect();
    let paths = if flags.is_empty() {
        configured
    } else {
        flags.to_vec()
    };
    let mut opened = Vec::new();
    for path in paths {
        let dest = open_destination(path, context)?;
        if dest.shown() == primary.shown() {
            return Err(anyhow!(
                "copy destination {} is the backup's own destination",
                dest.shown()
            )
            .context(Hint::new(
                "copy to another disk, host or bucket: that is what a copy is for",
            )));
        }
        opened.push(dest);
    }
    Ok(opened)
}

/// Copies `file` from `from` to each destination; a failed copy is
/// CRITICAL for that destination and does not stop the others.
pub(super) fn copy_all(from: &Dest, file: &str, targets: &[Dest]) -> Vec<Check> {
    targets
        .iter()
        .map(|target| {
            let name = format!("copy:{}", target.shown());
            let lock = match take_dest_lock(target, "maint backup create (copy)") {
                Ok(lock) => lock,
                Err(Failed::Setup(err) | Failed::Running(err)) => {
                    return Check::new(&name, Status::Critical, format!("{err:#}"))
                        .with_hint("run maint backup create again when that run is done");
                }
            };
            let copied = from.copy_to(file, target);
            drop(lock);
            match copied {
                Ok(copied) => Check::new(
                    &name,
                    Status::Ok,
                    format!(
                        "{}: {} copied and read back, SHA-256 as the original's",
                        copied.at.display(),
                        human_bytes(copied.bytes)
                    ),
                )
                .with_value(copied.bytes as f64, Unit::Bytes),
                Err(err) => Check::new(&name, Status::Critical, err.to_string()).with_hint(
                    format!(
                        "check {} (space, permissions, credentials), then copy again: maint backup create --copy-to {}",
                        target.shown(),
                        target.shown()
                    ),
                ),
            }
        })
        .collect()
}
