//! What a restore reads: the links of an incremental's chain, oldest
//! first, each taking only the entries the last manifest says it holds;
//! and `--path`, which narrows the same plan (see [`crate::storage::chain`]).

use std::fs;
use std::path::Path;

use anyhow::anyhow;

use super::restore_report::Settings;
use super::{Checked, file_name};
use crate::cli::BackupRestoreArgs;
use crate::commands::Failed;
use crate::error::Hint;
use crate::storage::atomic::parent_dir;
use crate::storage::catalog;
use crate::storage::chain::{self, Link};
use crate::storage::manifest::{Entry, Manifest};
use crate::storage::pack;
use crate::storage::unpack::Unpack;

fn manifest_copy(archive: &Path) -> Option<Manifest> {
    let bytes = fs::read(catalog::manifest_path(archive)).ok()?;
    Manifest::from_bytes(&bytes).ok()
}

/// The archives to read for `archive` and what to take from each; empty
/// when it is read whole and alone. A fetched archive's chain was
/// fetched beside it.
pub(super) fn links(args: &BackupRestoreArgs, archive: &Path) -> Result<Vec<Link>, Failed> {
    let shown = args.archive.display();
    let manifest = match manifest_copy(archive) {
        Some(manifest) => manifest,
        None if args.path.is_empty() => return Ok(Vec::new()),
        None => {
            return Err(Failed::Setup(
                anyhow!("cannot choose paths in {shown}: its manifest copy cannot be read")
                    .context(Hint::new(format!(
                        "maint backup verify {shown}; or restore it whole into a scratch folder"
                    ))),
            ));
        }
    };
    if manifest.parent.is_none() && args.path.is_empty() {
        return Ok(Vec::new());
    }
    pack::check_excludes(&args.path).map_err(|err| {
        Failed::Setup(anyhow::Error::new(err).context(Hint::new(
            "fix --path: *, ? and [..] match within a name, ** across folders",
        )))
    })?;
    let wanted = |entry: &Entry| {
        let name = entry.path.rsplit('/').next().unwrap_or_default();
        pack::excluded(&args.path, &entry.path, name)
    };
    let dir = parent_dir(archive);
    let selection: Option<&dyn Fn(&Entry) -> bool> = if args.path.is_empty() {
        None
    } else {
        Some(&wanted)
    };
    chain::plan(
        &file_name(archive),
        &manifest,
        selection,
        &|name| manifest_copy(&dir.join(name)),
    )
    .map_err(|err| {
        let (hint, failed): (String, fn(anyhow::Error) -> Failed) = match err {
            chain::ChainError::NothingSelected { .. } => (
                format!("tar tzf {shown} lists what it holds; a pattern with / matches from the backup's root"),
                Failed::Setup,
            ),
            _ => (
                format!("maint backup verify {shown}; maint backup list --dest {}", dir.display()),
                Failed::Running,
            ),
        };
        failed(anyhow!("cannot restore {shown}: {err}; nothing was changed").context(Hint::new(hint)))
    })
}

/// Reads every link into the unpack with `read_one`, oldest first; the
/// last link's check is the pass's.
pub(super) fn read_links(
    unpack: &mut Unpack<'_>,
    settings: &Settings,
    read_one: &mut dyn FnMut(&mut Unpack<'_>, &Path) -> Result<Checked, Failed>,
) -> Result<Checked, Failed> {
    let dir = parent_dir(&settings.archive);
    let mut last = None;
    for link in &settings.links {
        let path = dir.join(&link.file);
        unpack.select(link.take.clone());
        let checked = read_one(unpack, &path)?;
        if let Some(missing) = unpack.not_found() {
            return Err(Failed::Running(
                anyhow!(
                    "cannot restore {}: {} of its chain lacks {missing}; nothing was changed",
                    settings.archive.display(),
                    link.file
                )
                .context(Hint::new(format!("maint backup verify {}", path.display()))),
            ));
        }
        last = Some(checked);
    }
    last.ok_or_else(|| Failed::Running(anyhow!("nothing to read")))
}
