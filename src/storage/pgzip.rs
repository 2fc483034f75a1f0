//! Parallel gzip, as pigz does it: the input is cut into fixed blocks, each
//! block is deflated on its own thread with the previous 32 KiB as its
//! dictionary and ends on a byte boundary (a sync flush), so the blocks
//! concatenate into ONE deflate stream inside ONE gzip member; the CRC-32 of
//! the whole is combined from the blocks' CRCs. Any gzip reader (`gzip -t`,
//! GNU tar) sees an ordinary file, and the size stays within a fraction of
//! a percent of single-threaded `gzip -6`.
//!
//! Blocks that would not shrink (media, already-compressed data) are stored
//! instead of deflated: deflate at level 6 spends most of its time failing
//! to find matches in such data and then stores it anyway.

use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use flate2::{Compress, Compression, FlushCompress, Status};
use sha2::{Digest, Sha256};

/// Uncompressed bytes per block. Larger blocks lose less at block
/// boundaries; 1 MiB keeps the size within 0.05 % of one stream.
pub const BLOCK_SIZE: usize = 1 << 20;
const DICTIONARY: usize = 32 * 1024;

/// What the finished stream was: for the `.sha256` sidecar and the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
    /// SHA-256 of the compressed bytes, as `sha256sum` prints it.
    pub sha256: String,
    pub crc32: u32,
}

struct Job {
    index: u64,
    dictionary: Vec<u8>,
    data: Vec<u8>,
    last: bool,
}

struct Done {
    index: u64,
    last: bool,
    compressed: io::Result<Vec<u8>>,
    crc: u32,
    len: u64,
}

/// Bounds how many blocks are in flight, so memory stays flat however
/// fast the producer is.
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    fn take(&self) {
        let mut free = self
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *free == 0 {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *free -= 1;
    }

    fn give(&self) {
        *self
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        self.freed.notify_one();
    }
}

/// A gzip writer that compresses on `threads` threads.
pub struct ParallelGzip<W: Write + Send + 'static> {
    block: Vec<u8>,
    dictionary: Vec<u8>,
    index: u64,
    jobs: Option<SyncSender<Job>>,
    slots: Arc<Slots>,
    failed: Arc<Mutex<Option<io::Error>>>,
    workers: Vec<JoinHandle<()>>,
    writer: Option<JoinHandle<io::Result<(W, Summary)>>>,
}

impl<W: Write + Send + 'static> ParallelGzip<W> {
    pub fn new(out: W, level: u32, threads: usize) -> ParallelGzip<W> {
        let threads = threads.max(1);
        let (jobs, job_queue) = mpsc::sync_channel::<Job>(threads);
        let job_queue = Arc::new(Mutex::new(job_queue));
        let (done, done_queue) = mpsc::channel::<Done>();
        let slots = Arc::new(Slots {
            free: Mutex::new(threads * 2 + 2),
            freed: Condvar::new(),
        });
        let failed = Arc::new(Mutex::new(None));
        let workers = (0..threads)
            .map(|_| {
                let queue = Arc::clone(&job_queue);
                let done = done.clone();
                std::thread::spawn(move || compress_worker(&queue, &done, level))
            })
            .collect();
        drop(done);
        let writer = {
            let slots = Arc::clone(&slots);
            let failed = Arc::clone(&failed);
            std::thread::spawn(move || write_in_order(out, &done_queue, &slots, &failed))
        };
        ParallelGzip {
            block: Vec::with_capacity(BLOCK_SIZE),
            dictionary: Vec::new(),
            index: 0,
            jobs: Some(jobs),
            slots,
            failed,
            workers,
            writer: Some(writer),
        }
    }

    fn check_failed(&self) -> io::Result<()> {
        match &*self
            .failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            Some(err) => Err(io::Error::new(err.kind(), err.to_string())),
            None => Ok(()),
        }
    }

    fn dispatch(&mut self, last: bool) -> io::Result<()> {
        self.check_failed()?;
        let data = std::mem::replace(&mut self.block, Vec::with_capacity(BLOCK_SIZE));
        let dictionary = std::mem::take(&mut self.dictionary);
        if !last {
            self.dictionary = data[data.len().saturating_sub(DICTIONARY)..].to_vec();
        }
        self.slots.take();
        let job = Job {
            index: self.index,
            dictionary,
            data,
            last,
        };
        self.index += 1;
        self.jobs
            .as_ref()
            .expect("jobs open until finish")
            .send(job)
            .map_err(|_| io::Error::other("the compression threads stopped"))
    }

    /// Compresses what is left, writes the trailer, and hands back the
    /// output (not yet synced) with what was written.
    pub fn finish(mut self) -> io::Result<(W, Summary)> {
        self.dispatch(true)?;
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        match self.writer.take().expect("finish runs once").join() {
            Ok(result) => result,
            Err(_) => Err(io::Error::other("the gzip writer thread panicked")),
        }
    }
}

impl<W: Write + Send + 'static> Write for ParallelGzip<W> {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let written = buf.len();
        while !buf.is_empty() {
            let room = BLOCK_SIZE - self.block.len();
            let take = room.min(buf.len());
            self.block.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
            if self.block.len() == BLOCK_SIZE {
                self.dispatch(false)?;
            }
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.check_failed()
    }
}

impl<W: Write + Send + 'static> Drop for ParallelGzip<W> {
    fn drop(&mut self) {
        // Dropped without finish (an error upstream): let the threads end.
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

fn compress_worker(queue: &Mutex<Receiver<Job>>, done: &Sender<Done>, level: u32) {
    let mut deflate = Compress::new(Compression::new(level), false);
    let mut store = Compress::new(Compression::none(), false);
    let mut probe = Compress::new(Compression::fast(), false);
    loop {
        let job = {
            let queue = queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            queue.recv()
        };
        let Ok(job) = job else { return };
        let mut crc = crc32fast::Hasher::new();
        crc.update(&job.data);
        let compressed = if incompressible(&mut probe, &job.data) {
            compress_block(&mut store, &[], &job.data, job.last)
        } else {
            compress_block(&mut deflate, &job.dictionary, &job.data, job.last)
        };
        let message = Done {
            index: job.index,
            last: job.last,
            compressed,
            crc: crc.finalize(),
            len: job.data.len() as u64,
        };
        if done.send(message).is_err() {
            return;
        }
    }
}

/// Whether deflate would not shrink this block: four samples spread over
/// it all stay above 98 % of their size at the fastest level. A block that
/// is partly compressible keeps at least one sample below and is deflated.
fn incompressible(probe: &mut Compress, data: &[u8]) -> bool {
    const SAMPLE: usize = 4096;
    if data.len() < SAMPLE * 8 {
        return false;
    }
    let mut out = Vec::with_capacity(SAMPLE * 2);
    (0..4).all(|i| {
        let start = (data.len() - SAMPLE) * i / 3;
        probe.reset();
        out.clear();
        let _ = probe.compress_vec(
            &data[start..start + SAMPLE],
            &mut out,
            FlushCompress::Finish,
        );
        out.len() * 100 >= SAMPLE * 98
    })
}

/// One block as raw deflate: ends byte-aligned (sync flush) unless it is the
/// last, which ends the stream.
fn compress_block(
    compress: &mut Compress,
    dictionary: &[u8],
    mut input: &[u8],
    last: bool,
) -> io::Result<Vec<u8>> {
    compress.reset();
    if !dictionary.is_empty() {
        compress
            .set_dictionary(dictionary)
            .map_err(io::Error::other)?;
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(input.len() / 2 + 1024);
    loop {
        if out.capacity() - out.len() < 16 * 1024 {
            out.reserve(out.capacity().max(64 * 1024));
        }
        let before = compress.total_in();
        let status = compress
            .compress_vec(input, &mut out, flush)
            .map_err(io::Error::other)?;
        input = &input[(compress.total_in() - before) as usize..];
        let room_left = out.len() < out.capacity();
        let complete = if last {
            status == Status::StreamEnd
        } else {
            input.is_empty() && room_left
        };
        if complete {
            return Ok(out);
        }
    }
}

/// Writes the gzip header, the blocks in order as they finish, and the trailer.
fn write_in_order<W: Write>(
    mut out: W,
    done: &Receiver<Done>,
    slots: &Slots,
    failed: &Mutex<Option<io::Error>>,
) -> io::Result<(W, Summary)> {
    let mut sha = Sha256::new();
    let mut compressed_bytes = 0u64;
    let mut crc = crc32fast::Hasher::new();
    let mut total = 0u64;
    let mut pending = std::collections::BTreeMap::new();
    let mut next = 0u64;
    let mut error: Option<io::Error> = None;
    let mut finished = false;
    // gzip header: no name, no time (so equal inputs give equal archives), Unix.
    let header = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    let mut emit = |bytes: &[u8], error: &mut Option<io::Error>| {
        if error.is_none() {
            match out.write_all(bytes) {
                Ok(()) => {
                    sha.update(bytes);
                    compressed_bytes += bytes.len() as u64;
                }
                Err(err) => {
                    *failed
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some(io::Error::new(err.kind(), err.to_string()));
                    *error = Some(err);
                }
            }
        }
    };
    emit(&header, &mut error);
    for message in done {
        pending.insert(message.index, message);
        while let Some(block) = pending.remove(&next) {
            next += 1;
            match block.compressed {
                Ok(bytes) => emit(&bytes, &mut error),
                Err(err) => {
                    *failed
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some(io::Error::new(err.kind(), err.to_string()));
                    error.get_or_insert(err);
                }
            }
            crc.combine(&crc32fast::Hasher::new_with_initial_len(
                block.crc, block.len,
            ));
            total += block.len;
            finished |= block.last;
            slots.give();
        }
    }
    let crc32 = crc.finalize();
    let mut trailer = [0u8; 8];
    trailer[..4].copy_from_slice(&crc32.to_le_bytes());
    trailer[4..].copy_from_slice(&(total as u32).to_le_bytes());
    emit(&trailer, &mut error);
    if let Some(err) = error {
        return Err(err);
    }
    if !finished {
        return Err(io::Error::other("the gzip stream was not finished"));
    }
    out.flush()?;
    let summary = Summary {
        compressed_bytes,
        uncompressed_bytes: total,
        sha256: hex(&sha.finalize()),
        crc32,
    };
    Ok((out, summary))
}

/// Lower-case hexadecimal, as `sha256sum` prints digests.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, b| {
            let _ = write!(text, "{b:02x}");
            text
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn roundtrip(data: &[u8], threads: usize) -> Vec<u8> {
        let mut gz = ParallelGzip::new(Vec::new(), 6, threads);
        gz.write_all(data).unwrap();
        let (out, summary) = gz.finish().unwrap();
        assert_eq!(summary.uncompressed_bytes, data.len() as u64);
        assert_eq!(summary.compressed_bytes, out.len() as u64);
        assert_eq!(summary.sha256, hex(&Sha256::digest(&out)));
        out
    }

    fn inflate(gz: &[u8]) -> Vec<u8> {
        let mut decoder = flate2::read::GzDecoder::new(gz);
        let mut back = Vec::new();
        decoder.read_to_end(&mut back).unwrap();
        back
    }

    #[test]
    fn one_member_that_decodes_to_the_input() {
        // Text that compresses, noise that does not, and several blocks of each.
        let mut data = Vec::new();
        let mut state = 12345u64;
        for i in 0..(3 * BLOCK_SIZE + 777) {
            if (i / BLOCK_SIZE) % 2 == 0 {
                data.push(b"the quick brown fox "[i % 20]);
            } else {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                data.push((state >> 33) as u8);
            }
        }
        for threads in [1, 3] {
            let out = roundtrip(&data, threads);
            assert_eq!(inflate(&out), data);
            // A single member: a plain (not multi-member) decoder read it all.
            assert_eq!(out[..3], [0x1f, 0x8b, 8]);
        }
    }

    #[test]
    fn empty_input_is_a_valid_gzip_file() {
        let out = roundtrip(b"", 2);
        assert_eq!(inflate(&out), b"");
    }

    #[test]
    fn a_failing_output_reports_the_error() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(28))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut gz = ParallelGzip::new(Full, 6, 2);
        let data = vec![7u8; 5 * BLOCK_SIZE];
        let written = gz.write_all(&data);
        let finished = gz.finish();
        assert!(written.is_err() || finished.is_err());
    }
}
