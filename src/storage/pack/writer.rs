//! Tar entries into the compressed stream, and the hashing of their content
//! on a thread of its own.

use std::io::{self, Read, Write};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use crate::storage::pgzip::hex;
use crate::storage::ustar;

const CHUNK: usize = 256 * 1024;

/// Writes tar entries: a header, then exactly the bytes it announces.
pub(super) struct TarWriter<W: Write> {
    out: W,
    buffer: Vec<u8>,
}

/// How a source's bytes went in.
#[derive(Debug, Default)]
pub(super) struct Filled {
    /// The source ended early: zeros fill the rest.
    pub short: bool,
    /// Reading failed at this offset (zeros from there on), and why.
    pub read_error: Option<(u64, io::Error)>,
}

impl<W: Write> TarWriter<W> {
    pub(super) fn new(out: W) -> TarWriter<W> {
        TarWriter {
            out,
            buffer: vec![0; CHUNK],
        }
    }

    /// The header blocks of one entry (PAX records first when needed).
    pub(super) fn header(&mut self, header: &ustar::Header) -> io::Result<()> {
        self.out.write_all(&header.encode())
    }

    /// Bytes as they are (a sparse map).
    pub(super) fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)
    }

    /// Exactly `len` bytes from `source`, whatever it does meanwhile: a
    /// source that grows is cut there (the caller notices); one that
    /// shrinks or fails to read is filled with zeros, which `Filled` says.
    /// Errors are the output's only.
    pub(super) fn copy(
        &mut self,
        source: &mut impl Read,
        len: u64,
        seen: &mut dyn FnMut(&[u8]),
    ) -> io::Result<Filled> {
        let mut left = len;
        let mut filled = Filled::default();
        let mut zeros = false;
        while left > 0 {
            let want = left.min(self.buffer.len() as u64) as usize;
            let got = if zeros {
                self.buffer[..want].fill(0);
                want
            } else {
                match source.read(&mut self.buffer[..want]) {
                    Ok(0) => {
                        filled.short = true;
                        zeros = true;
                        continue;
                    }
                    Ok(n) => n,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => {
                        filled.read_error = Some((len - left, err));
                        zeros = true;
                        continue;
                    }
                }
            };
            seen(&self.buffer[..got]);
            self.out.write_all(&self.buffer[..got])?;
            left -= got as u64;
        }
        Ok(filled)
    }

    /// Zeros after `size` bytes of data, to the end of its block.
    pub(super) fn pad(&mut self, size: u64) -> io::Result<()> {
        self.out
            .write_all(&[0u8; ustar::BLOCK][..ustar::padding(size)])
    }

    /// One whole entry's content from a source that must not fail (maint's
    /// own files): its SHA-256, or why it could not be read.
    pub(super) fn content(
        &mut self,
        source: &mut impl Read,
        size: u64,
    ) -> Result<String, CopyError> {
        let mut sha = Sha256::new();
        let filled = self
            .copy(source, size, &mut |chunk| sha.update(chunk))
            .map_err(CopyError::Write)?;
        self.pad(size).map_err(CopyError::Write)?;
        match filled {
            Filled {
                read_error: Some((_, err)),
                ..
            } => Err(CopyError::Read(err)),
            Filled { short: true, .. } => Err(CopyError::Read(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "it shrank while it was read",
            ))),
            _ => Ok(hex(&sha.finalize())),
        }
    }

    /// Ends the archive with two zero blocks and hands back the output.
    pub(super) fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; 2 * ustar::BLOCK])?;
        Ok(self.out)
    }
}

/// Where copying a file's content into the archive failed.
#[derive(Debug)]
pub(super) enum CopyError {
    /// Reading the source.
    Read(io::Error),
    /// Writing the archive.
    Write(io::Error),
}

pub(super) enum HashJob {
    Chunk(usize, Vec<u8>),
    /// A sparse file's hole: that many zeros.
    Zeros(usize, u64),
    End(usize),
}

/// SHA-256 of each file's content on a thread of its own, off the path of
/// the thread that reads the files. Jobs carry the entry's index.
pub(super) struct Hasher {
    jobs: Option<SyncSender<HashJob>>,
    thread: Option<JoinHandle<Vec<(usize, String)>>>,
}

impl Hasher {
    pub(super) fn start() -> Hasher {
        let (jobs, queue) = sync_channel::<HashJob>(64);
        let thread = std::thread::spawn(move || {
            let mut digests = Vec::new();
            let mut current: Option<(usize, Sha256)> = None;
            let zeros = vec![0u8; 64 * 1024];
            for job in queue {
                let index = match &job {
                    HashJob::Chunk(index, _) | HashJob::Zeros(index, _) | HashJob::End(index) => {
                        *index
                    }
                };
                if current.as_ref().is_none_or(|(i, _)| *i != index) {
                    current = Some((index, Sha256::new()));
                }
                let Some((_, sha)) = &mut current else {
                    continue;
                };
                match job {
                    HashJob::Chunk(_, data) => sha.update(&data),
                    HashJob::Zeros(_, mut count) => {
                        while count > 0 {
                            let n = count.min(zeros.len() as u64) as usize;
                            sha.update(&zeros[..n]);
                            count -= n as u64;
                        }
                    }
                    HashJob::End(_) => {
                        if let Some((_, sha)) = current.take() {
                            digests.push((index, hex(&sha.finalize())));
                        }
                    }
                }
            }
            digests
        });
        Hasher {
            jobs: Some(jobs),
            thread: Some(thread),
        }
    }

    pub(super) fn send(&self, job: HashJob) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(job);
        }
    }

    /// Every digest, by entry index.
    pub(super) fn finish(&mut self) -> Vec<(usize, String)> {
        drop(self.jobs.take());
        self.thread
            .take()
            .and_then(|thread| thread.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
