//! Streaming an archive into an object with a multipart upload: parts are
//! cut from the stream and sent by a few threads while the stream goes on,
//! so no local space is needed and memory stays bounded (the part being
//! filled, one waiting, one per thread). Each part carries its MD5 for the
//! server to check. Nothing is visible under the object's name until
//! [`Pending::complete`]; an upload dropped before that is aborted.

use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusty_s3::actions::{CompleteMultipartUpload, CreateMultipartUpload, S3Action};

use super::{Head, Remote, RemoteError, SIGNED_FOR, content_md5};

/// The first parts' size; later ones grow so that 10,000 parts (S3's limit)
/// hold about a terabyte.
pub const PART_SIZE: usize = 16 << 20;
const THREADS: usize = 3;
const TRIES: u32 = 4;

/// Size of part `number` (1-based): doubles every 2,000 parts.
fn part_size(number: u16) -> usize {
    PART_SIZE << ((usize::from(number).saturating_sub(1) / 2000).min(6))
}

#[derive(Default)]
struct Shared {
    etags: Vec<(u16, String)>,
    failed: Option<RemoteError>,
}

/// A `Write` into a new multipart upload of one object.
pub struct MultipartWriter {
    remote: Arc<Remote>,
    name: String,
    upload_id: String,
    buffer: Vec<u8>,
    next_part: u16,
    sender: Option<SyncSender<(u16, Vec<u8>)>>,
    workers: Vec<JoinHandle<()>>,
    shared: Arc<Mutex<Shared>>,
    bytes: u64,
    /// Set once handed over to a [`Pending`], which then owns the abort.
    handed_over: bool,
}

impl MultipartWriter {
    /// Starts an upload of `name` under the remote's prefix.
    pub fn start(remote: &Arc<Remote>, name: &str) -> Result<MultipartWriter, RemoteError> {
        let key = remote.key(name);
        let what = format!("starting the upload of {}", remote.shown_object(name));
        let url = CreateMultipartUpload::new(&remote.bucket, Some(&remote.credentials), &key)
            .sign(SIGNED_FOR);
        let response = remote.send(&what, remote.agent.post(url.as_str()).send_empty())?;
        let response = remote.expect_ok(&what, response, name)?;
        let body = response
            .into_body()
            .read_to_string()
            .map_err(|err| RemoteError::Protocol {
                what: what.clone(),
                detail: super::sanitize(&err.to_string()),
            })?;
        let parsed =
            CreateMultipartUpload::parse_response(&body).map_err(|err| RemoteError::Protocol {
                what: what.clone(),
                detail: format!("unreadable answer: {err}"),
            })?;
        let upload_id = parsed.upload_id().to_owned();
        let (sender, receiver) = sync_channel::<(u16, Vec<u8>)>(1);
        let receiver = Arc::new(Mutex::new(receiver));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let workers = (0..THREADS)
            .map(|_| {
                let remote = Arc::clone(remote);
                let receiver = Arc::clone(&receiver);
                let shared = Arc::clone(&shared);
                let name = name.to_owned();
                let upload_id = upload_id.clone();
                std::thread::spawn(move || {
                    upload_parts(&remote, &name, &upload_id, &receiver, &shared);
                })
            })
            .collect();
        Ok(MultipartWriter {
            remote: Arc::clone(remote),
            name: name.to_owned(),
            upload_id,
            buffer: Vec::with_capacity(part_size(1)),
            next_part: 1,
            sender: Some(sender),
            workers,
            shared,
            bytes: 0,
            handed_over: false,
        })
    }

    /// The upload's id, recorded so that a run killed mid-upload can be cleaned up.
    pub fn upload_id(&self) -> &str {
        &self.upload_id
    }

    fn failure(&self) -> Option<io::Error> {
        let shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        shared
            .failed
            .as_ref()
            .map(|err| io::Error::other(err.to_string()))
    }

    fn send_part(&mut self) -> io::Result<()> {
        if let Some(err) = self.failure() {
            return Err(err);
        }
        if self.next_part > 10_000 {
            return Err(io::Error::other(
                "the archive needs more than 10,000 parts, S3's limit",
            ));
        }
        let next = Vec::with_capacity(part_size(self.next_part + 1));
        let part = std::mem::replace(&mut self.buffer, next);
        let sender = self.sender.as_ref().expect("sending before finish");
        sender.send((self.next_part, part)).map_err(|_| {
            self.failure()
                .unwrap_or_else(|| io::Error::other("the upload stopped"))
        })?;
        self.next_part += 1;
        Ok(())
    }

    /// Sends the last part and waits for every part: the upload is then
    /// ready to be completed (or aborted), but not yet visible.
    pub fn finish(mut self) -> Result<Pending, RemoteError> {
        let what = format!("uploading {}", self.remote.shown_object(&self.name));
        // An empty stream is one empty part: S3 needs at least one.
        if !self.buffer.is_empty() || self.next_part == 1 {
            self.send_part().map_err(|err| RemoteError::Protocol {
                what: what.clone(),
                detail: err.to_string(),
            })?;
        }
        drop(self.sender.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(err) = shared.failed.take() {
            return Err(err);
        }
        let mut etags = std::mem::take(&mut shared.etags);
        drop(shared);
        etags.sort();
        if etags.len() != usize::from(self.next_part - 1) {
            return Err(RemoteError::Protocol {
                what,
                detail: "a part is missing from the upload".to_owned(),
            });
        }
        self.handed_over = true;
        Ok(Pending {
            remote: Arc::clone(&self.remote),
            name: self.name.clone(),
            upload_id: self.upload_id.clone(),
            etags: etags.into_iter().map(|(_, etag)| etag).collect(),
            size: self.bytes,
            done: false,
        })
    }
}

impl Write for MultipartWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = part_size(self.next_part) - self.buffer.len();
        let n = buf.len().min(room);
        self.buffer.extend_from_slice(&buf[..n]);
        self.bytes += n as u64;
        if self.buffer.len() == part_size(self.next_part) {
            self.send_part()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for MultipartWriter {
    fn drop(&mut self) {
        drop(self.sender.take());
        // Tell the workers to stop early: the upload is abandoned.
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failed
            .get_or_insert(RemoteError::Protocol {
                what: "upload".to_owned(),
                detail: "abandoned".to_owned(),
            });
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        if !self.handed_over {
            let _ = self.remote.abort_upload(&self.name, &self.upload_id);
        }
    }
}

fn upload_parts(
    remote: &Remote,
    name: &str,
    upload_id: &str,
    receiver: &Mutex<Receiver<(u16, Vec<u8>)>>,
    shared: &Mutex<Shared>,
) {
    loop {
        let next = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok((number, part)) = next else {
            return;
        };
        if shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failed
            .is_some()
        {
            continue;
        }
        let mut tries = 0;
        let result = loop {
            tries += 1;
            match remote.upload_part(name, upload_id, number, &part) {
                Err(err) if err.is_transient() && tries < TRIES => {
                    std::thread::sleep(Duration::from_secs(1 << (tries - 1)));
                }
                other => break other,
            }
        };
        let mut shared = shared.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(etag) => shared.etags.push((number, etag)),
            Err(err) => {
                shared.failed.get_or_insert(err);
            }
        }
    }
}

/// An upload whose parts are all on the server, waiting to be made visible.
pub struct Pending {
    remote: Arc<Remote>,
    name: String,
    upload_id: String,
    etags: Vec<String>,
    pub size: u64,
    done: bool,
}

impl Pending {
    /// Makes the object visible under its name (the commit point).
    pub fn complete(mut self) -> Result<Head, RemoteError> {
        let key = self.remote.key(&self.name);
        let what = format!(
            "finishing the upload of {}",
            self.remote.shown_object(&self.name)
        );
        let action = CompleteMultipartUpload::new(
            &self.remote.bucket,
            Some(&self.remote.credentials),
            &key,
            &self.upload_id,
            self.etags.iter().map(String::as_str),
        );
        let url = action.sign(SIGNED_FOR);
        let body = action.body();
        let response = self.remote.send(
            &what,
            self.remote.agent.post(url.as_str()).send(body.as_bytes()),
        )?;
        let response = self.remote.expect_ok(&what, response, &self.name)?;
        // S3 may answer 200 and still fail, with an error in the body.
        let text = response.into_body().read_to_string().unwrap_or_default();
        if text.contains("<Error>") {
            return Err(RemoteError::Server {
                what,
                status: 200,
                code: super::xml_field(&text, "Code").unwrap_or_default(),
                message: super::sanitize(&super::xml_field(&text, "Message").unwrap_or_default()),
            });
        }
        self.done = true;
        let head = self
            .remote
            .head(&self.name)?
            .ok_or_else(|| RemoteError::Protocol {
                what,
                detail: "the object is not there after the upload finished".to_owned(),
            })?;
        if head.size != self.size {
            return Err(RemoteError::Protocol {
                what: format!("uploading {}", self.remote.shown_object(&self.name)),
                detail: format!(
                    "the server holds {} bytes where {} were sent",
                    head.size, self.size
                ),
            });
        }
        Ok(head)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.remote.abort_upload(&self.name, &self.upload_id);
        }
    }
}

impl Remote {
    fn upload_part(
        &self,
        name: &str,
        upload_id: &str,
        number: u16,
        part: &[u8],
    ) -> Result<String, RemoteError> {
        let key = self.key(name);
        let what = format!("uploading part {number} of {}", self.shown_object(name));
        let md5 = content_md5(part);
        let mut action = self
            .bucket
            .upload_part(Some(&self.credentials), &key, number, upload_id);
        action.headers_mut().insert("content-md5", md5.clone());
        let url = action.sign(SIGNED_FOR);
        let response = self.send(
            &what,
            self.agent
                .put(url.as_str())
                .header("content-md5", &md5)
                .send(part),
        )?;
        let response = self.expect_ok(&what, response, name)?;
        response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| RemoteError::Protocol {
                what,
                detail: "the server gave no ETag for the part".to_owned(),
            })
    }

    /// Aborts an upload, so its parts stop taking space; one already gone is fine.
    pub fn abort_upload(&self, name: &str, upload_id: &str) -> Result<(), RemoteError> {
        let key = self.key(name);
        let what = format!("aborting the upload of {}", self.shown_object(name));
        let url = self
            .bucket
            .abort_multipart_upload(Some(&self.credentials), &key, upload_id)
            .sign(SIGNED_FOR);
        let response = self.send(&what, self.agent.delete(url.as_str()).call())?;
        if response.status() == 404 {
            return Ok(());
        }
        self.expect_ok(&what, response, name).map(|_| ())
    }

    /// Whether an upload is still open on the server (not completed or aborted).
    pub fn upload_open(&self, name: &str, upload_id: &str) -> Result<bool, RemoteError> {
        let key = self.key(name);
        let what = format!("checking the upload of {}", self.shown_object(name));
        let url = self
            .bucket
            .list_parts(Some(&self.credentials), &key, upload_id)
            .sign(SIGNED_FOR);
        let response = self.send(&what, self.agent.get(url.as_str()).call())?;
        if response.status() == 404 {
            return Ok(false);
        }
        self.expect_ok(&what, response, name).map(|_| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_so_that_ten_thousand_hold_a_terabyte() {
        assert_eq!(part_size(1), 16 << 20);
        assert_eq!(part_size(2000), 16 << 20);
        assert_eq!(part_size(2001), 32 << 20);
        let total: u64 = (1..=10_000u16).map(|n| part_size(n) as u64).sum();
        assert!(total > 900 << 30, "{total}");
    }
}
