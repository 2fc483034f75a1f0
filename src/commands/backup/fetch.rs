//! An archive that cannot be restored where it lies (in a bucket, or
//! encrypted) is first brought into a private local folder as a plain
//! `.tar.gz` with its sidecars: the stored bytes checked against their
//! `.sha256` sidecar on the way, the manifest copy decrypted. The restore
//! then reads that copy exactly as it reads a local archive.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};

use super::{Dest, Scratch, open_remote, work_folder};
use crate::commands::{Context, Failed};
use crate::error::Hint;
use crate::storage::archive::{AGE_SUFFIX, ReadError};
use crate::storage::manifest::Manifest;
use crate::storage::remote::Location;
use crate::storage::{catalog, crypt};

/// A fetched archive: the plain copy, and the folder kept for what the
/// restore leaves (its pre-restore archive).
pub(super) struct Fetched {
    pub archive: PathBuf,
    pub keep_in: PathBuf,
    _scratch: Scratch,
}

/// Fetches `archive` when it is remote or encrypted; None when it can be read in place.
pub(super) fn if_needed(
    archive: &Path,
    identity: Option<&PathBuf>,
    context: &Context,
) -> Result<Option<Fetched>, Failed> {
    let text = archive.to_string_lossy().into_owned();
    let remote = Location::is_remote(&text);
    let encrypted = text.ends_with(AGE_SUFFIX);
    if !remote && !encrypted {
        return Ok(None);
    }
    let identities = super::identities(identity).map_err(Failed::Setup)?;
    if encrypted && identities.is_none() {
        return Err(Failed::setup(
            anyhow!("archive {text} is encrypted").context(Hint::new(
                "give --identity FILE: the age identity or SSH private key it was encrypted to",
            )),
        ));
    }
    let (folder, file) = text.rsplit_once('/').unwrap_or((".", &text));
    let dest = if remote {
        Dest::Remote(open_remote(folder, context).map_err(Failed::Setup)?)
    } else {
        Dest::Local(PathBuf::from(folder))
    };
    let keep_in = work_folder().map_err(Failed::Setup)?;
    let dir = keep_in.join(format!(
        "{}restore-{}",
        catalog::TEMP_PREFIX,
        std::process::id()
    ));
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .map_err(Failed::Setup)?;
    let scratch = Scratch(dir.clone());
    let plain_path = fetch_one(&dest, file, &dir, identities.as_ref(), context)?;
    // An incremental needs its chain beside it: each parent in turn.
    let mut manifest = manifest_copy(&plain_path);
    while let Some(parent) = manifest.and_then(|m| m.parent) {
        if dir.join(&parent).exists() {
            break;
        }
        let link = fetch_one(&dest, &parent, &dir, identities.as_ref(), context)?;
        manifest = manifest_copy(&link);
    }
    Ok(Some(Fetched {
        archive: plain_path,
        keep_in,
        _scratch: scratch,
    }))
}

fn manifest_copy(archive: &Path) -> Option<Manifest> {
    Manifest::from_bytes(&fs::read(catalog::manifest_path(archive)).ok()?).ok()
}

/// Brings `file` of `dest` into `dir` as a plain `.tar.gz` with its sidecars.
fn fetch_one(
    dest: &Dest,
    file: &str,
    dir: &Path,
    identities: Option<&crypt::Identities>,
    context: &Context,
) -> Result<PathBuf, Failed> {
    let text = dest.shown_file(file).display().to_string();
    let sidecars = dest.read_sidecars(file, identities);
    let mut opened = dest
        .open_archive(file, identities)
        .map_err(|err| match err {
            ReadError::Open { .. } => {
                Failed::Setup(anyhow::Error::new(err).context(Hint::new(format!(
                    "maint backup list --dest {} shows the archives; check --identity",
                    dest.shown()
                ))))
            }
            other => damaged(&text, &other.to_string()),
        })?;
    let plain_name = file.strip_suffix(AGE_SUFFIX).unwrap_or(file).to_owned();
    let plain_path = dir.join(&plain_name);
    let out = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&plain_path)
        .with_context(|| format!("cannot write {}", plain_path.display()))
        .map_err(Failed::Running)?;
    let plain_digest = crypt::Digest256::default();
    let mut writer = crypt::HashingWriter {
        inner: std::io::BufWriter::with_capacity(1 << 20, out),
        digest: plain_digest.clone(),
    };
    context.note(|| format!("fetching {text} into {}", dir.display()));
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = match std::io::Read::read(&mut opened.reader, &mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            // Damage, a wrong key or the network: the source is to blame.
            Err(err) => return Err(damaged(&text, &err.to_string())),
        };
        writer
            .write_all(&buffer[..n])
            .with_context(|| format!("cannot write {}; nothing was changed", plain_path.display()))
            .context(Hint::new(format!("df -h {}", dir.display())))
            .map_err(Failed::Running)?;
    }
    writer
        .inner
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("cannot write {}", plain_path.display()))
        .map_err(Failed::Running)?;
    let (stored, _) = opened.stored.result();
    if sidecars
        .sha256
        .as_ref()
        .is_some_and(|recorded| *recorded != stored)
    {
        return Err(damaged(
            &text,
            "its SHA-256 differs from its .sha256 sidecar",
        ));
    }
    let (plain_sha, _) = plain_digest.result();
    let sidecar = catalog::sidecar_text(&plain_name, &plain_sha);
    fs::write(catalog::sha256_path(&plain_path), sidecar)
        .and_then(|()| match &sidecars.manifest {
            Some(copy) => fs::write(catalog::manifest_path(&plain_path), copy),
            None => Ok(()),
        })
        .with_context(|| format!("cannot write into {}", dir.display()))
        .map_err(Failed::Running)?;
    Ok(plain_path)
}

fn damaged(archive: &str, detail: &str) -> Failed {
    Failed::Running(
        anyhow!("cannot restore {archive}: damaged: {detail}; nothing was changed").context(
            Hint::new(format!(
                "maint backup verify {archive} --identity FILE; restore an older backup"
            )),
        ),
    )
}
