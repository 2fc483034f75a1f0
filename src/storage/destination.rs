//! A backup destination, local folder or object store, behind one face:
//! what it holds, its lock, the state of the last create, the cleanup after
//! runs that died, and opening an archive (through age when it is
//! encrypted) with its sidecars. The backup commands work on this and do
//! not care where the bytes are.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::archive::{self, ReadError};
use super::catalog::{self, Backup, LastCreate};
use super::crypt;
use super::lock::Lock;
use super::remote::catalog as remote_catalog;
use super::remote::lock::RemoteLock;
use super::remote::{Remote, RemoteError};

/// Where backups are: a local folder or an object store.
pub enum Destination {
    Local(PathBuf),
    Remote(Arc<Remote>),
}

/// The lock of a destination while it is held.
pub enum Held {
    Local(#[allow(dead_code)] Lock),
    Remote(#[allow(dead_code)] RemoteLock),
}

#[derive(Debug, thiserror::Error)]
pub enum DestError {
    #[error("cannot {what} {at}: {source}")]
    Io {
        what: &'static str,
        at: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Remote(#[from] RemoteError),
}

impl Destination {
    /// The folder, or `s3://BUCKET/PREFIX`: how it is shown.
    pub fn shown(&self) -> String {
        match self {
            Destination::Local(dir) => dir.display().to_string(),
            Destination::Remote(remote) => remote.shown().to_owned(),
        }
    }

    /// How `file` there is shown (a path, or a URL).
    pub fn shown_file(&self, file: &str) -> PathBuf {
        match self {
            Destination::Local(dir) => dir.join(file),
            Destination::Remote(remote) => PathBuf::from(remote.shown_object(file)),
        }
    }

    fn io(&self, what: &'static str) -> impl FnOnce(std::io::Error) -> DestError + '_ {
        move |source| DestError::Io {
            what,
            at: self.shown(),
            source,
        }
    }

    /// The backups there, oldest first.
    pub fn scan(&self) -> Result<Vec<Backup>, DestError> {
        match self {
            Destination::Local(dir) => catalog::scan(dir).map_err(self.io("list")),
            Destination::Remote(remote) => Ok(remote_catalog::scan(remote)?),
        }
    }

    /// Why the last create of `name` did not succeed, if it did not.
    pub fn failed_create(&self, name: &str) -> Result<Option<String>, DestError> {
        match self {
            Destination::Local(dir) => Ok(catalog::failed_create(dir, name)),
            Destination::Remote(remote) => Ok(remote_catalog::failed_create(remote, name)?),
        }
    }

    /// Cleans up after runs that died (holding the lock); one line per thing done.
    pub fn recover(&self, name: &str) -> Result<Vec<String>, DestError> {
        match self {
            Destination::Local(dir) => catalog::recover(dir).map_err(self.io("clean up")),
            Destination::Remote(remote) => Ok(remote_catalog::recover(remote, name)?),
        }
    }

    pub fn save_state(&self, name: &str, state: &LastCreate) -> Result<(), DestError> {
        match self {
            Destination::Local(dir) => {
                catalog::write_last_create(dir, name, state).map_err(self.io("write to"))
            }
            Destination::Remote(remote) => {
                Ok(remote_catalog::write_last_create(remote, name, state)?)
            }
        }
    }

    /// Deletes a backup and its sidecars, the archive first.
    pub fn remove(&self, backup: &Backup) -> Result<(), DestError> {
        match self {
            Destination::Local(_) => remove_local(&backup.path).map_err(self.io("delete from")),
            Destination::Remote(remote) => Ok(remote_catalog::remove(remote, &backup.file_name())?),
        }
    }

    /// Records a whole read of `file` (see `catalog::record_read`); false
    /// for an archive maint did not make.
    pub fn record_read(
        &self,
        file: &str,
        by: &str,
        damage: Option<&str>,
    ) -> Result<bool, DestError> {
        // The record lies beside the archive in plain text: for an
        // encrypted one it must not name the entries inside.
        let damage = damage.map(|problem| {
            if file.ends_with(archive::AGE_SUFFIX) {
                "damaged (the details are in the output of the run that found it)"
            } else {
                problem
            }
        });
        match self {
            Destination::Local(dir) => {
                catalog::record_read(&dir.join(file), by, damage).map_err(self.io("write to"))
            }
            Destination::Remote(remote) => {
                if remote.head(&remote_catalog::sha256_name(file))?.is_none() {
                    return Ok(false);
                }
                remote_catalog::record_read(remote, file, by, damage)?;
                Ok(true)
            }
        }
    }

    /// Opens `file` for one whole read, through age when it is encrypted
    /// and `identities` are given.
    pub fn open_archive(
        &self,
        file: &str,
        identities: Option<&crypt::Identities>,
    ) -> Result<Opened, ReadError> {
        let shown = self.shown_file(file).display().to_string();
        let raw: Box<dyn Read + Send> = match self {
            Destination::Local(dir) => Box::new(std::fs::File::open(dir.join(file)).map_err(
                |source| ReadError::Open {
                    path: shown.clone(),
                    source,
                },
            )?),
            Destination::Remote(remote) => remote.get(file).map_err(|err| ReadError::Open {
                path: shown.clone(),
                source: std::io::Error::other(err.to_string()),
            })?,
        };
        let stored = crypt::Digest256::default();
        let hashing = crypt::HashingReader {
            inner: raw,
            digest: stored.clone(),
        };
        match (file.ends_with(archive::AGE_SUFFIX), identities) {
            (true, Some(keys)) => {
                let reader = keys.decrypt(hashing, &shown).map_err(|err| match err {
                    crypt::CryptError::WrongIdentity(_) => ReadError::Open {
                        path: shown.clone(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::PermissionDenied,
                            err.to_string(),
                        ),
                    },
                    other => ReadError::Damaged {
                        at: "archive at its start".to_owned(),
                        detail: other.to_string(),
                    },
                })?;
                Ok(Opened {
                    reader,
                    stored,
                    plaintext: true,
                })
            }
            (encrypted, _) => Ok(Opened {
                reader: Box::new(hashing),
                stored,
                plaintext: !encrypted,
            }),
        }
    }

    /// The sidecars of `file`; an encrypted manifest copy is decrypted with
    /// the key when there is one, else left out.
    pub fn read_sidecars(&self, file: &str, identities: Option<&crypt::Identities>) -> Sidecars {
        let (sha256, manifest) = match self {
            Destination::Local(dir) => {
                let path = dir.join(file);
                (
                    catalog::read_sidecar_sha256(&path),
                    std::fs::read(catalog::manifest_path(&path)).ok(),
                )
            }
            Destination::Remote(remote) => {
                let sha = remote
                    .get_small(&remote_catalog::sha256_name(file))
                    .ok()
                    .flatten()
                    .and_then(|bytes| {
                        catalog::sidecar_digest(&String::from_utf8_lossy(&bytes), file)
                    });
                let copy = remote
                    .get_small(&remote_catalog::manifest_name(file))
                    .ok()
                    .flatten();
                (sha, copy)
            }
        };
        let manifest = match (file.ends_with(archive::AGE_SUFFIX), manifest, identities) {
            (false, copy, _) => copy,
            (true, Some(sealed), Some(keys)) => keys
                .decrypt(std::io::Cursor::new(sealed), file)
                .ok()
                .and_then(|mut reader| {
                    let mut plain = Vec::new();
                    reader.read_to_end(&mut plain).ok().map(|_| plain)
                }),
            (true, _, _) => None,
        };
        Sidecars { sha256, manifest }
    }
}

/// What lies beside an archive, as read (a manifest copy decrypted when
/// the archive is encrypted and a key was given).
pub struct Sidecars {
    pub sha256: Option<String>,
    pub manifest: Option<Vec<u8>>,
}

/// An archive opened for one whole read: the stored bytes, or the
/// plaintext through age when it is encrypted and a key was given.
pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    /// SHA-256 of the bytes as stored, known once the read is done.
    pub stored: crypt::Digest256,
    /// Whether `reader` gives the `.tar.gz` (not only the ciphertext).
    pub plaintext: bool,
}

/// The archive goes first: without it the sidecars are only leftovers.
fn remove_local(archive: &Path) -> std::io::Result<()> {
    std::fs::remove_file(archive)?;
    for sidecar in [
        catalog::sha256_path(archive),
        catalog::manifest_path(archive),
        catalog::verify_path(archive),
    ] {
        match std::fs::remove_file(&sidecar) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
    }
    std::fs::File::open(super::atomic::parent_dir(archive))?.sync_all()
}

/// A copy of an archive made in another destination, and checked there.
#[derive(Clone, Debug)]
pub struct Copied {
    pub at: PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("cannot read {0}")]
    Read(#[source] ReadError),
    #[error("cannot write the copy {at}: {detail}")]
    Write { at: String, detail: String },
    #[error("the copy {at} does not read back as written: {detail}")]
    Verify { at: String, detail: String },
}

impl Destination {
    /// Copies `file` and its sidecars, as stored (still encrypted), from
    /// `self` into `to`, then reads the copy back whole and compares its
    /// SHA-256 with the source's `.sha256` sidecar. As for a create, the
    /// archive appears under its name only once it is whole (a temporary
    /// name and a rename locally, a multipart upload remotely), after its
    /// sidecars. The caller holds both destinations' locks.
    pub fn copy_to(&self, file: &str, to: &Destination) -> Result<Copied, CopyError> {
        let at = to.shown_file(file);
        let shown = at.display().to_string();
        let write = |detail: String| CopyError::Write {
            at: shown.clone(),
            detail,
        };
        let sidecars = self.read_sidecars_raw(file);
        let Some(expected) = sidecars.sha256.clone() else {
            return Err(CopyError::Read(ReadError::Open {
                path: self.shown_file(file).display().to_string(),
                source: std::io::Error::other("it has no .sha256 sidecar (not made by maint)"),
            }));
        };
        let mut source = self.open_archive(file, None).map_err(CopyError::Read)?;
        let digest = crypt::Digest256::default();
        match to {
            Destination::Local(dir) => {
                let temp = catalog::temp_path(&dir.join(file));
                let result = copy_into_file(&mut source.reader, &temp, &digest);
                if let Err(err) = result {
                    let _ = std::fs::remove_file(&temp);
                    return Err(write(err.to_string()));
                }
                let (sha256, _) = digest.result();
                let (stored, _) = source.stored.result();
                if sha256 != expected || stored != expected {
                    let _ = std::fs::remove_file(&temp);
                    return Err(CopyError::Read(ReadError::Damaged {
                        at: format!("file {file}"),
                        detail: "its SHA-256 differs from its .sha256 sidecar".to_owned(),
                    }));
                }
                write_local_sidecars(dir, file, &sidecars)
                    .and_then(|()| std::fs::rename(&temp, dir.join(file)))
                    .and_then(|()| std::fs::File::open(dir)?.sync_all())
                    .map_err(|err| {
                        let _ = std::fs::remove_file(&temp);
                        write(err.to_string())
                    })?;
            }
            Destination::Remote(remote) => {
                let mut upload = super::remote::upload::MultipartWriter::start(remote, file)
                    .map_err(|err| write(err.to_string()))?;
                let mut hashing = crypt::HashingWriter {
                    inner: &mut upload,
                    digest: digest.clone(),
                };
                std::io::copy(&mut source.reader, &mut hashing)
                    .map_err(|err| write(err.to_string()))?;
                let pending = upload.finish().map_err(|err| write(err.to_string()))?;
                let (sha256, _) = digest.result();
                if sha256 != expected {
                    return Err(CopyError::Read(ReadError::Damaged {
                        at: format!("file {file}"),
                        detail: "its SHA-256 differs from its .sha256 sidecar".to_owned(),
                    }));
                }
                let put = |name: String, bytes: &[u8]| remote.put_small(&name, bytes);
                put(
                    remote_catalog::sha256_name(file),
                    catalog::sidecar_text(file, &expected).as_bytes(),
                )
                .and_then(|()| match &sidecars.manifest {
                    Some(copy) => put(remote_catalog::manifest_name(file), copy),
                    None => Ok(()),
                })
                .map_err(|err| write(err.to_string()))?;
                let head = pending.complete().map_err(|err| write(err.to_string()))?;
                let record = catalog::Verification {
                    verified_at: chrono::Utc::now(),
                    ok: true,
                    detail: "copied, then read back in full".to_owned(),
                    stored: Some(catalog::StoredObject {
                        size: head.size,
                        etag: head.etag,
                    }),
                };
                let mut bytes = serde_json::to_vec_pretty(&record).unwrap_or_default();
                bytes.push(b'\n');
                put(remote_catalog::verify_name(file), &bytes)
                    .map_err(|err| write(err.to_string()))?;
            }
        }
        // The copy read back whole from where it now lies.
        let mut back = to
            .open_archive(file, None)
            .map_err(|err| CopyError::Verify {
                at: shown.clone(),
                detail: err.to_string(),
            })?;
        let bytes = std::io::copy(&mut back.reader, &mut std::io::sink()).map_err(|err| {
            CopyError::Verify {
                at: shown.clone(),
                detail: err.to_string(),
            }
        })?;
        let (again, _) = back.stored.result();
        if again != expected {
            return Err(CopyError::Verify {
                at: shown,
                detail: "its SHA-256 differs from the original's".to_owned(),
            });
        }
        if let Destination::Local(dir) = to {
            let _ = catalog::record_read(&dir.join(file), "maint backup create (copy)", None);
        }
        Ok(Copied {
            at,
            bytes,
            sha256: expected,
        })
    }

    /// The sidecars exactly as stored (an encrypted manifest copy stays encrypted).
    fn read_sidecars_raw(&self, file: &str) -> Sidecars {
        match self {
            Destination::Local(dir) => {
                let path = dir.join(file);
                Sidecars {
                    sha256: catalog::read_sidecar_sha256(&path),
                    manifest: std::fs::read(catalog::manifest_path(&path)).ok(),
                }
            }
            Destination::Remote(remote) => Sidecars {
                sha256: remote
                    .get_small(&remote_catalog::sha256_name(file))
                    .ok()
                    .flatten()
                    .and_then(|b| catalog::sidecar_digest(&String::from_utf8_lossy(&b), file)),
                manifest: remote
                    .get_small(&remote_catalog::manifest_name(file))
                    .ok()
                    .flatten(),
            },
        }
    }
}

fn copy_into_file(
    source: &mut dyn Read,
    temp: &Path,
    digest: &crypt::Digest256,
) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(temp)?;
    let mut writer = crypt::HashingWriter {
        inner: std::io::BufWriter::with_capacity(1 << 20, file),
        digest: digest.clone(),
    };
    std::io::copy(source, &mut writer)?;
    writer.flush()?;
    writer
        .inner
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?
        .sync_all()
}

/// The sidecars of a copied archive, each synced before the archive's rename.
fn write_local_sidecars(dir: &Path, file: &str, sidecars: &Sidecars) -> std::io::Result<()> {
    let path = dir.join(file);
    if let Some(sha) = &sidecars.sha256 {
        super::atomic::write_with_mode(
            &catalog::sha256_path(&path),
            catalog::sidecar_text(file, sha).as_bytes(),
            0o600,
        )?;
    }
    if let Some(copy) = &sidecars.manifest {
        super::atomic::write_with_mode(&catalog::manifest_path(&path), copy, 0o600)?;
    }
    Ok(())
}

/// The backups at a destination as configured (a folder, or an `s3://`
/// URL reached with `settings`), oldest first: for readers such as
/// `diagnose` that look without taking a lock.
pub fn scan_at(dest: &Path, settings: &super::remote::Settings) -> Result<Vec<Backup>, DestError> {
    match dest.to_str() {
        Some(text) if super::remote::Location::is_remote(text) => {
            let location = super::remote::Location::parse(text)?;
            let remote = Remote::open(&location, settings)?;
            Ok(remote_catalog::scan(&remote)?)
        }
        _ => Destination::Local(dest.to_path_buf()).scan(),
    }
}
