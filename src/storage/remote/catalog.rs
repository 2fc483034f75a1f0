//! A remote destination's catalogue, kept as the local one is (see
//! `storage::catalog`): the archive `STEM.tar.gz[.age]` with the same
//! sidecars beside it, the state of the last create, the leftovers of runs
//! that died. The archive object is the commit point: its sidecars are
//! written before the upload is completed, so a run killed at any moment
//! leaves either a whole backup or no object under an archive's name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;

use super::upload::MultipartWriter;
use super::{Remote, RemoteError};
use crate::storage::archive::ArchiveName;
use crate::storage::catalog::{self, Backup, LastCreate, Trust, Verification};
use crate::storage::manifest::Manifest;
use crate::storage::pack::{self, Counters, PackError, Request};

/// The object name of one of an archive's sidecars.
fn sidecar(of: fn(&Path) -> PathBuf, archive: &str) -> String {
    of(Path::new(archive))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn sha256_name(archive: &str) -> String {
    sidecar(catalog::sha256_path, archive)
}

pub fn manifest_name(archive: &str) -> String {
    sidecar(catalog::manifest_path, archive)
}

pub fn verify_name(archive: &str) -> String {
    sidecar(catalog::verify_path, archive)
}

fn state_name(name: &str) -> String {
    catalog::state_path(Path::new(""), name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The archives under the prefix, oldest first, with what their sidecars say.
pub fn scan(remote: &Remote) -> Result<Vec<Backup>, RemoteError> {
    let listed = remote.list("")?;
    let present: std::collections::BTreeSet<&str> =
        listed.iter().map(|l| l.name.as_str()).collect();
    let mut backups = Vec::new();
    for object in &listed {
        let Some(name) = ArchiveName::parse(&object.name) else {
            continue;
        };
        let file = object.name.as_str();
        let manifest = if name.encrypted {
            None
        } else {
            remote
                .get_small(&manifest_name(file))?
                .and_then(|bytes| Manifest::from_bytes(&bytes).ok())
        };
        let manifest_present = manifest.is_some() || present.contains(manifest_name(file).as_str());
        let recorded = read_verification(remote, file)?;
        let trust = if !present.contains(sha256_name(file).as_str()) {
            Trust::Incomplete("no .sha256 sidecar".to_owned())
        } else if !manifest_present {
            Trust::Incomplete("no readable manifest copy".to_owned())
        } else {
            match recorded {
                Some(v) if v.ok => Trust::Verified(v.verified_at),
                Some(v) => Trust::Damaged(v.detail),
                None => Trust::Incomplete("never verified".to_owned()),
            }
        };
        backups.push(Backup {
            path: PathBuf::from(remote.shown_object(file)),
            name,
            size: object.size,
            manifest,
            trust,
        });
    }
    backups
        .sort_by(|a, b| (a.name.created_at, &a.name.name).cmp(&(b.name.created_at, &b.name.name)));
    Ok(backups)
}

pub fn read_verification(
    remote: &Remote,
    archive: &str,
) -> Result<Option<Verification>, RemoteError> {
    Ok(remote
        .get_small(&verify_name(archive))?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Records a whole read of `archive`, as `catalog::record_read` does locally.
pub fn record_read(
    remote: &Remote,
    archive: &str,
    by: &str,
    damage: Option<&str>,
) -> Result<(), RemoteError> {
    // What the server said at upload time stays: `verify --quick` needs it.
    let stored = read_verification(remote, archive)?.and_then(|v| v.stored);
    let verification = Verification {
        verified_at: Utc::now(),
        ok: damage.is_none(),
        detail: match damage {
            None => format!("read in full by {by}"),
            Some(problem) => format!("{problem} (found by {by})"),
        },
        stored,
    };
    let mut bytes = serde_json::to_vec_pretty(&verification).unwrap_or_default();
    bytes.push(b'\n');
    remote.put_small(&verify_name(archive), &bytes)
}

pub fn read_last_create(remote: &Remote, name: &str) -> Result<Option<LastCreate>, RemoteError> {
    Ok(remote
        .get_small(&state_name(name))?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

pub fn write_last_create(
    remote: &Remote,
    name: &str,
    state: &LastCreate,
) -> Result<(), RemoteError> {
    let mut bytes = serde_json::to_vec_pretty(state).unwrap_or_default();
    bytes.push(b'\n');
    remote.put_small(&state_name(name), &bytes)
}

/// Why the last create of `name` did not succeed, as `catalog::failed_create`.
pub fn failed_create(remote: &Remote, name: &str) -> Result<Option<String>, RemoteError> {
    let Some(state) = read_last_create(remote, name)? else {
        return Ok(None);
    };
    let host = crate::probe::system::hostname();
    let holds = super::lock::RemoteLock::holder(remote)?
        .is_some_and(|holder| holder.contains(&format!("(pid {} on {host}", state.pid)));
    Ok(state.failure(|| holds))
}

/// Cleans up after runs that died, holding the lock: the upload a killed
/// create left open is aborted, and sidecars without their archive are
/// removed. One line per thing done.
pub fn recover(remote: &Remote, name: &str) -> Result<Vec<String>, RemoteError> {
    let mut done = Vec::new();
    if let Some(state) = read_last_create(remote, name)?
        && state.status != "ok"
        && let (Some(archive), Some(upload_id)) = (&state.archive, &state.upload_id)
        && remote.upload_open(archive, upload_id)?
    {
        remote.abort_upload(archive, upload_id)?;
        done.push(format!(
            "aborted the unfinished upload of {archive} left by a run that died"
        ));
    }
    let listed = remote.list("")?;
    let archives: std::collections::BTreeSet<String> = listed
        .iter()
        .filter(|l| ArchiveName::parse(&l.name).is_some())
        .map(|l| l.name.clone())
        .collect();
    for object in &listed {
        if ArchiveName::parse(&object.name).is_some() {
            continue;
        }
        let owner = archives.iter().any(|archive| {
            [
                sha256_name(archive),
                manifest_name(archive),
                verify_name(archive),
            ]
            .contains(&object.name)
        });
        let is_sidecar = [
            ".sha256",
            ".manifest.json",
            ".manifest.json.age",
            ".verify.json",
        ]
        .iter()
        .any(|s| object.name.ends_with(s));
        if is_sidecar && !owner {
            remote.delete(&object.name)?;
            done.push(format!("removed {} left by a run that died", object.name));
        }
    }
    Ok(done)
}

/// `verify --quick`: the object's size and ETag now against what the server
/// said when it was written: its size when they agree, else why not.
pub fn quick_check(remote: &Remote, archive: &str) -> Result<Result<u64, String>, RemoteError> {
    let Some(head) = remote.head(archive)? else {
        return Ok(Err("the object is gone".to_owned()));
    };
    let Some(stored) = read_verification(remote, archive)?.and_then(|v| v.stored) else {
        return Ok(Err(
            "no record of the size and ETag it was written with".to_owned()
        ));
    };
    if head.size != stored.size {
        return Ok(Err(format!(
            "the object holds {} bytes where {} were written",
            head.size, stored.size
        )));
    }
    if head.etag != stored.etag {
        return Ok(Err(format!(
            "the object's checksum (ETag {}) is not the one it was written with ({})",
            head.etag, stored.etag
        )));
    }
    Ok(Ok(head.size))
}

/// Deletes a backup: the archive first (without it the sidecars are only leftovers).
pub fn remove(remote: &Remote, archive: &str) -> Result<(), RemoteError> {
    remote.delete(archive)?;
    for name in [
        sha256_name(archive),
        manifest_name(archive),
        verify_name(archive),
    ] {
        remote.delete(&name)?;
    }
    Ok(())
}

/// A backup made on a remote.
pub struct PackedRemote {
    pub object: String,
    pub manifest: Manifest,
    pub summary: crate::storage::pgzip::Summary,
    /// Bytes as stored (the ciphertext when encrypted).
    pub stored_bytes: u64,
    pub notes: Vec<(String, String)>,
    pub unmatched_excludes: Vec<String>,
}

/// Streams one archive into the remote as `request` says: tar, gzip,
/// (age,) multipart upload, the stream checked as it goes out; then the
/// sidecars, then the upload completed (the commit point), then the
/// verification record. `started` is told the upload's id before any
/// part is sent, so that a killed run's upload can be aborted later.
pub fn pack_to(
    remote: &Arc<Remote>,
    request: &Request,
    counters: &Counters,
    started: &mut dyn FnMut(&str, &str),
) -> Result<PackedRemote, PackError> {
    let object = request.archive.file_name();
    let shown = PathBuf::from(remote.shown_object(&object));
    let remote_error = |err: RemoteError| PackError::Write {
        path: shown.clone(),
        source: std::io::Error::other(err.to_string()),
    };
    let writer = MultipartWriter::start(remote, &object).map_err(remote_error)?;
    started(&object, writer.upload_id());
    let streamed = pack::pack_stream(request, counters, writer, &shown)?;
    let pending = streamed.sink.finish().map_err(remote_error)?;
    if pending.size != streamed.stored_bytes {
        return Err(PackError::Verify(format!(
            "{} bytes were uploaded where {} were written",
            pending.size, streamed.stored_bytes
        )));
    }
    let manifest_copy =
        pack::sealed_manifest(request, &streamed.manifest_bytes).map_err(|source| {
            PackError::Write {
                path: shown.clone(),
                source,
            }
        })?;
    remote
        .put_small(
            &sha256_name(&object),
            catalog::sidecar_text(&object, &streamed.stored_sha256).as_bytes(),
        )
        .map_err(remote_error)?;
    remote
        .put_small(&manifest_name(&object), &manifest_copy)
        .map_err(remote_error)?;
    let head = pending.complete().map_err(remote_error)?;
    let verification = Verification {
        verified_at: Utc::now(),
        ok: true,
        detail: "checked in full as it was uploaded; every part went with its MD5 for the server to check"
            .to_owned(),
        stored: Some(catalog::StoredObject {
            size: head.size,
            etag: head.etag,
        }),
    };
    let mut bytes = serde_json::to_vec_pretty(&verification).unwrap_or_default();
    bytes.push(b'\n');
    remote
        .put_small(&verify_name(&object), &bytes)
        .map_err(remote_error)?;
    Ok(PackedRemote {
        object,
        manifest: streamed.manifest,
        summary: streamed.summary,
        stored_bytes: streamed.stored_bytes,
        notes: streamed.notes,
        unmatched_excludes: streamed.unmatched_excludes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_objects_are_named_as_the_local_ones() {
        let plain = "web-20261124T020304Z-daily.tar.gz";
        assert_eq!(
            sha256_name(plain),
            "web-20261124T020304Z-daily.tar.gz.sha256"
        );
        assert_eq!(
            manifest_name(plain),
            "web-20261124T020304Z-daily.manifest.json"
        );
        assert_eq!(verify_name(plain), "web-20261124T020304Z-daily.verify.json");
        let sealed = "web-20261124T020304Z-daily.tar.gz.age";
        assert_eq!(
            sha256_name(sealed),
            "web-20261124T020304Z-daily.tar.gz.age.sha256"
        );
        assert_eq!(
            manifest_name(sealed),
            "web-20261124T020304Z-daily.manifest.json.age"
        );
        assert_eq!(
            verify_name(sealed),
            "web-20261124T020304Z-daily.verify.json"
        );
        assert_eq!(state_name("web"), ".maint-last-create-web.json");
    }
}
