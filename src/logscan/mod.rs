//! The log scanner: one pass over plain and gzip log files (rotated sets
//! read oldest to newest) that counts lines per category in a time window,
//! buckets them in time and groups them into message templates.
//!
//! The API is small: build a [`Spec`] (paths, a [`Matcher`], a [`Window`],
//! histogram widths) and call [`scan`]. `maint logs analyze` and
//! `maint diagnose` both use it; neither needs to know how files are read.
//!
//! How the work stays proportional to the window: a file last written
//! before the window starts is not opened past its metadata; in a plain
//! file the window's start is found by binary search on timestamps; a large
//! plain file is split at dated lines and the parts are scanned at once
//! (two halves; sixteen parts when every line is judged by its own time,
//! as the window's lines may then lie anywhere); a gzip file is
//! decompressed on one thread and scanned on another.
//! Memory is bounded by the buffers (a few MiB per scanner) and the
//! template table (capped), whatever the size of the input.

pub mod access;
pub mod categories;
pub mod header;
pub mod input;
pub mod journal;
mod scan;
pub mod state;
pub mod templates;
pub mod timestamps;
pub mod window;

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;

pub use categories::{Category, Matcher};
pub use scan::{Histogram, Tally};
pub use window::{TimeSpec, Window};

use input::{Content, Identity, LogFile};
use state::{FileState, State};
use timestamps::Parser;

/// Finding the files of one path (and touching each) may go this long
/// without progress before its filesystem is taken to be hung.
///
/// Deadlines (issue 17): file discovery, the first `stat` and the first read
/// of every file happen in a helper process per path under this limit
/// (see [`crate::probe::isolated`]); the scan proper then reads in this
/// process only files that have just answered. A mount that dies between
/// the two would still hold the scan: that window is the scan's own length.
pub const DISCOVERY_QUIET: std::time::Duration = std::time::Duration::from_secs(5);
/// Plain files larger than this are scanned in parts at once.
const SPLIT: u64 = 32 << 20;
/// Bytes of a file's start used to tell its content and timestamp format.
const HEAD: usize = 64 << 10;
/// The binary search for the window's start stops within this many bytes;
/// the scan then cuts exactly inside its first buffer.
const SEARCH_RESOLUTION: u64 = 1 << 20;

/// What to scan and how.
pub struct Spec<'a> {
    pub paths: Vec<PathBuf>,
    pub matcher: Matcher,
    pub window: Window,
    /// Histogram bucket widths in ms; the first is the one reported,
    /// others serve rate thresholds (`errors>50/1h`).
    pub widths: Vec<i64>,
    /// Scanners to run at once (2 is plenty: beyond that the disk or the
    /// memory bus is the limit).
    pub threads: usize,
    /// Incremental run: what the previous run read (None on the first run).
    /// A partial last line is then left for the next run.
    pub previous: Option<&'a State>,
    pub incremental: bool,
    /// Unix ms at which this run started (recorded in the new state).
    pub started_at: i64,
    /// Called with each file just after it is opened (tests rotate files here).
    pub after_open: Option<&'a (dyn Fn(&Path) + Sync)>,
    /// This binary, to find files in helper processes that a hung mount
    /// cannot hold (see [`input::resolve_isolated`]); None: in this process.
    pub helper: Option<PathBuf>,
    /// The systemd journal, read after the files.
    pub journal: Option<journal::Journal>,
}

impl<'a> Spec<'a> {
    /// A one-off scan with hourly buckets on up to two cores: what
    /// `maint diagnose` needs ("recent errors in the configured logs").
    pub fn new(paths: Vec<PathBuf>, matcher: Matcher, window: Window) -> Spec<'a> {
        Spec {
            paths,
            matcher,
            window,
            widths: vec![3_600_000],
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
            previous: None,
            incremental: false,
            started_at: chrono::Utc::now().timestamp_millis(),
            after_open: None,
            helper: crate::probe::isolated::helper_binary(),
            journal: None,
        }
    }
}

impl Scan {
    /// The `n` templates with the most lines of category `index`, most first.
    pub fn top(&self, index: usize, n: usize) -> Vec<&templates::Template> {
        let mut ranked: Vec<&templates::Template> = self
            .tally
            .templates
            .live()
            .filter(|t| t.counts[index] > 0)
            .collect();
        ranked.sort_by_key(|t| std::cmp::Reverse(t.counts[index]));
        ranked.truncate(n);
        ranked
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Read,
    /// Not read, on purpose (older than the window, unchanged since the last run).
    Skipped(String),
    /// Not text maint can read (binary, or compressed with something else than gzip).
    NotText(String),
    /// Read in part: what was read is counted (a truncated gzip, a file cut during the scan).
    Partial(String),
    /// Could not be read at all.
    Failed(String),
    /// Did not answer: on a hung mount.
    Hung(String),
}

/// One file in a scan, for `--explain` and for reporting problems.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    /// Named on the command line or in config (not found in a folder).
    pub named: bool,
    pub content: Option<Content>,
    pub format: Option<String>,
    /// Bytes read: `start..end` of the file (of the decompressed data for gzip).
    pub read: Option<(u64, u64)>,
    pub lines: u64,
    pub outcome: Outcome,
    pub notes: Vec<String>,
    /// Its times go back (a clock step, a DST change, newest first): read
    /// whole and every line judged by its own time.
    pub disordered: bool,
    /// Its lines have a level field, which judges errors and warnings.
    pub levels: bool,
    /// An access log: its requests are counted by status.
    pub access: bool,
}

impl FileReport {
    fn new(file: &LogFile) -> FileReport {
        FileReport {
            path: file.path.clone(),
            named: file.named,
            content: None,
            format: None,
            read: None,
            lines: 0,
            outcome: Outcome::Read,
            notes: Vec::new(),
            disordered: false,
            levels: false,
            access: false,
        }
    }
}

/// The result of a scan.
#[derive(Debug)]
pub struct Scan {
    pub tally: Tally,
    pub files: Vec<FileReport>,
    /// What to remember for the next incremental run.
    pub state: State,
    pub bytes_read: u64,
    /// State entries a file of this run went on from, and that file.
    claimed: HashMap<FileKey, PathBuf>,
}

/// An I/O error as a short reason, without Rust's `(os error N)` suffix.
pub fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Scans every file the paths name.
pub fn scan(spec: &Spec) -> Scan {
    let categories = spec.matcher.categories().len();
    let mut out = Scan {
        tally: Tally::new(categories, &spec.widths),
        files: Vec::new(),
        state: State::new(spec.started_at),
        bytes_read: 0,
        claimed: HashMap::new(),
    };
    let (files, unresolved) = match &spec.helper {
        Some(helper) => input::resolve_isolated(&spec.paths, helper, DISCOVERY_QUIET),
        None => input::resolve(&spec.paths),
    };
    for missing in unresolved {
        out.files.push(FileReport {
            path: missing.path,
            named: true,
            content: None,
            format: None,
            read: None,
            lines: 0,
            outcome: if missing.hung {
                Outcome::Hung(missing.reason)
            } else {
                Outcome::Failed(missing.reason)
            },
            notes: Vec::new(),
            disordered: false,
            levels: false,
            access: false,
        });
    }
    let mut queue: std::collections::VecDeque<(LogFile, bool)> =
        files.into_iter().map(|f| (f, true)).collect();
    while let Some((file, may_follow)) = queue.pop_front() {
        let (report, rotated) = scan_file(spec, &file, &mut out);
        out.files.push(report);
        // Rotated while it was read: the old file was read to its end, and
        // the new one, written since, is read too.
        if rotated && may_follow && std::fs::metadata(&file.path).is_ok() {
            queue.push_front((
                LogFile {
                    rotated: false,
                    ..file
                },
                false,
            ));
        }
    }
    if let Some(journal) = &spec.journal {
        scan_journal(spec, journal, &mut out);
    }
    out
}

/// Reads the journal's entries in the window (after the last run's cursor)
/// as one more source.
fn scan_journal(spec: &Spec, journal: &journal::Journal, out: &mut Scan) {
    let mut report = FileReport::new(&LogFile {
        path: PathBuf::from(journal.name()),
        named: true,
        rotated: false,
    });
    report.content = Some(Content::Journal);
    let previous = spec.previous.and_then(|p| p.journal_cursor.clone());
    out.state.journal_cursor.clone_from(&previous);
    let mut lines = match journal::Lines::start(journal.command(spec.window, previous.as_deref())) {
        Ok(lines) => lines,
        Err(err) => {
            report.outcome = Outcome::Failed(format!("cannot run journalctl: {}", io_reason(&err)));
            out.files.push(report);
            return;
        }
    };
    let mut head = vec![0u8; HEAD];
    let mut filled = 0;
    while filled < head.len() {
        match lines.read(&mut head[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    head.truncate(filled);
    let parser = timestamps::detect(&head, spec.started_at);
    report.format = parser.as_ref().map(Parser::name);
    // Every line has the level of its entry's priority.
    report.levels = true;
    // Entries come in time order, but from several files interleaved:
    // every line is judged by its own time.
    let mut worker = scan::Worker::new(setup(spec, &report), parser, false).exact();
    let streamed = {
        let mut source = Read::chain(std::io::Cursor::new(head), &mut lines);
        scan::stream(&mut worker, &mut source, false)
    };
    let cursor = lines.cursor.take();
    let failure = lines.finish();
    report.lines = worker.lines_read;
    report.read = Some((0, streamed.consumed));
    out.tally.merge(worker.tally);
    out.bytes_read += streamed.consumed;
    if cursor.is_some() {
        out.state.journal_cursor = cursor;
    }
    if let Some(why) = failure.or(streamed.error.map(|e| io_reason(&e))) {
        report.outcome = if report.lines == 0 {
            Outcome::Failed(why)
        } else {
            Outcome::Partial(why)
        };
    }
    out.files.push(report);
}

/// Scans one file into `out`; says whether its path was rotated meanwhile.
fn scan_file(spec: &Spec, file: &LogFile, out: &mut Scan) -> (FileReport, bool) {
    let mut report = FileReport::new(file);
    let handle = match File::open(&file.path) {
        Ok(handle) => handle,
        Err(err) => {
            report.outcome = Outcome::Failed(io_reason(&err));
            return (report, false);
        }
    };
    let identity = match handle.metadata() {
        Ok(meta) if meta.is_file() => Identity::of(&meta),
        Ok(_) => {
            report.outcome = Outcome::NotText("not a regular file".into());
            return (report, false);
        }
        Err(err) => {
            report.outcome = Outcome::Failed(io_reason(&err));
            return (report, false);
        }
    };
    if let Some(hook) = spec.after_open {
        hook(&file.path);
    }
    if let Some(since) = spec.window.since
        && identity.mtime < since
    {
        report.outcome = Outcome::Skipped(format!(
            "last written {}, before the window starts",
            show_time(identity.mtime)
        ));
        return (report, false);
    }
    let head = match input::read_at(&handle, 0, HEAD) {
        Ok(head) => head,
        Err(err) => {
            report.outcome = Outcome::Failed(io_reason(&err));
            return (report, false);
        }
    };
    let content = input::sniff(&head);
    report.content = Some(content);
    match content {
        Content::Unsupported(name) => {
            report.outcome = Outcome::NotText(format!(
                "compressed with {name}, which maint does not read (only gzip)"
            ));
            (report, false)
        }
        Content::Text => {
            scan_plain(spec, file, &handle, identity, &head, &mut report, out);
            (report, rotated_since(&file.path, identity))
        }
        Content::Gzip => {
            scan_gzip(spec, file, &handle, identity, &mut report, out);
            (report, rotated_since(&file.path, identity))
        }
        Content::Journal => unreachable!("a file's content is never sniffed as the journal"),
    }
}

fn rotated_since(path: &Path, opened: Identity) -> bool {
    match std::fs::metadata(path) {
        Ok(meta) => {
            let now = Identity::of(&meta);
            (now.device, now.inode) != (opened.device, opened.inode)
        }
        Err(_) => true,
    }
}

pub fn show_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        },
    )
}

/// How much older than the last run a file must look to be skipped as unchanged.
const MTIME_SLACK_MS: i64 = 1000;

/// Where an incremental run resumes in a file.
enum Resume {
    Start,
    /// Unchanged since the previous run read it.
    Skip(String),
    /// At these offsets, if the last line before them hashes as recorded
    /// (checked already for plain files; gzip candidates are checked while
    /// decompressing), going on from the state entry of this identity.
    From(Vec<(u64, u64, String, FileKey)>),
}

/// A file's (device, inode).
type FileKey = (u64, u64);

/// Where to resume `path`. `claimed` holds the state entries that files
/// read earlier in this run already went on from, with those files: one
/// entry's text is continued by one file only. So after copytruncate, when
/// the copy (read first, being older) holds the text up to the recorded
/// offset, the original is known to have been cut and rewritten even when
/// its new lines repeat the old ones byte for byte; after a rename, the new
/// file cannot pass for the old one however alike they read.
fn plan_resume(
    spec: &Spec,
    path: &Path,
    id: &Identity,
    handle: &File,
    gzip: bool,
    claimed: &HashMap<FileKey, PathBuf>,
) -> (Resume, Option<String>) {
    let Some(previous) = spec.previous else {
        return (Resume::Start, None);
    };
    let verified = |offset: u64, hash: &str| -> bool {
        let from = offset.saturating_sub(state::TAIL as u64 + 1);
        offset <= id.size
            && input::read_at(handle, from, (offset - from) as usize)
                .ok()
                .and_then(|before| state::tail_hash(&before))
                .is_some_and(|h| state::hex(h) == hash)
    };
    if let Some(entry) = previous
        .files
        .iter()
        .find(|f| (f.device, f.inode) == (id.device, id.inode) && f.gzip == gzip)
    {
        let key = (entry.device, entry.inode);
        if let Some(copy) = claimed.get(&key) {
            return (
                Resume::Start,
                Some(format!(
                    "what it held at the last run is in {} now (copytruncate): read from the start",
                    copy.display()
                )),
            );
        }
        if gzip {
            return (
                Resume::From(vec![(
                    entry.offset,
                    0,
                    format!("resumed at byte {}", entry.offset),
                    key,
                )])
                .with_hash(&entry.line_hash),
                None,
            );
        }
        if verified(entry.offset, &entry.line_hash) {
            return (
                Resume::From(vec![(
                    entry.offset,
                    0,
                    format!(
                        "resumed at byte {} where the last run stopped",
                        entry.offset
                    ),
                    key,
                )]),
                None,
            );
        }
        // Same file, other content before the offset: it was truncated
        // (copytruncate) or rewritten; everything in it is new.
        return (Resume::Start, None);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (base, _) = input::rotation_of(&name);
    let dir = crate::storage::atomic::parent_dir(path);
    let same_set: Vec<&FileState> = previous
        .files
        .iter()
        .filter(|f| {
            crate::storage::atomic::parent_dir(&f.path) == dir
                && f.path
                    .file_name()
                    .is_some_and(|n| input::rotation_of(&n.to_string_lossy()).0 == base)
        })
        .collect();
    if same_set.is_empty() {
        return (Resume::Start, None);
    }
    // File times come from the kernel's coarse clock, a tick (up to 10 ms)
    // behind the clock `started_at` was read from: a file created just after
    // a short run can carry an mtime before that run's start. Only a file
    // clearly older than the last run is taken as unchanged.
    if id.mtime + MTIME_SLACK_MS < previous.started_at {
        return (
            Resume::Skip("not written since the last run, which read it".into()),
            None,
        );
    }
    // A copy (copytruncate) or a compressed rotation of a file read last
    // time: it goes on where that file was left, unless another file of
    // this run already does.
    let mut candidates = Vec::new();
    for entry in same_set {
        let key = (entry.device, entry.inode);
        if claimed.contains_key(&key) {
            continue;
        }
        let note = format!(
            "holds what was {} at the last run: resumed at byte {}",
            entry.path.display(),
            entry.offset
        );
        if gzip {
            if let Ok(hash) = u64::from_str_radix(&entry.line_hash, 16) {
                candidates.push((entry.offset, hash, note, key));
            }
        } else if entry.offset > 0 && verified(entry.offset, &entry.line_hash) {
            return (Resume::From(vec![(entry.offset, 0, note, key)]), None);
        }
    }
    if candidates.is_empty() {
        (Resume::Start, None)
    } else {
        (Resume::From(candidates), None)
    }
}

impl Resume {
    fn with_hash(self, hash: &str) -> Resume {
        match self {
            Resume::From(mut candidates) => {
                let hash = u64::from_str_radix(hash, 16).unwrap_or(0);
                for candidate in &mut candidates {
                    candidate.1 = hash;
                }
                Resume::From(candidates)
            }
            other => other,
        }
    }
}

/// The first line start at or after `pos` in a file.
fn file_line_start(handle: &File, pos: u64, limit: u64) -> u64 {
    if pos == 0 {
        return 0;
    }
    let mut at = pos - 1;
    while at < limit {
        let Ok(block) = input::read_at(handle, at, HEAD) else {
            return limit;
        };
        if block.is_empty() {
            return limit;
        }
        if let Some(i) = memchr::memchr(b'\n', &block) {
            return (at + i as u64 + 1).min(limit);
        }
        at += block.len() as u64;
    }
    limit
}

/// The first dated line starting in `[pos, limit)` of a file: (start, time).
/// Looks at most 1 MiB ahead; a longer stretch without a date counts as none.
fn probe_file(handle: &File, parser: &Parser, pos: u64, limit: u64) -> Option<(u64, i64)> {
    let mut at = file_line_start(handle, pos, limit);
    let give_up = at + SEARCH_RESOLUTION;
    while at < limit && at < give_up {
        let block = input::read_at(handle, at, HEAD).ok()?;
        if block.is_empty() {
            return None;
        }
        // Only lines that end inside the block are whole.
        let whole = memchr::memrchr(b'\n', &block).map_or(block.len(), |i| i + 1);
        let starts_before = (limit - at).min(whole as u64) as usize;
        if let Some((start, time)) = window::next_dated(&block[..whole], 0, starts_before, parser) {
            return Some((at + start as u64, time));
        }
        if whole == 0 || whole == block.len() && block.len() < HEAD {
            return None;
        }
        at += whole as u64;
    }
    None
}

struct Range {
    file: File,
    pos: u64,
    end: u64,
}

impl Read for Range {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let want = buf.len().min((self.end - self.pos) as usize);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// The scanner's setup for one file, with what its head said of it.
fn setup<'a>(spec: &'a Spec, file: &FileReport) -> scan::Setup<'a> {
    scan::Setup {
        matcher: &spec.matcher,
        window: spec.window,
        widths: &spec.widths,
        levels: file.levels,
        access: file.access,
    }
}

fn scan_plain(
    spec: &Spec,
    file: &LogFile,
    handle: &File,
    id: Identity,
    head: &[u8],
    report: &mut FileReport,
    out: &mut Scan,
) {
    if input::is_binary(head) {
        report.outcome = Outcome::NotText("binary content (NUL bytes near the start)".into());
        return;
    }
    let text_start = head.iter().position(|&b| b != 0).unwrap_or(head.len());
    let parser = timestamps::detect(&head[text_start..], id.mtime);
    report.format = parser.as_ref().map(Parser::name);
    report.levels = scan::levelled(&head[text_start..], parser.as_ref());
    report.access = parser.is_some() && access::detect(&head[text_start..]);
    let mut begin = 0;
    let (resume, note) = plan_resume(spec, &file.path, &id, handle, false, &out.claimed);
    report.notes.extend(note);
    match resume {
        Resume::Start => {}
        Resume::Skip(reason) => {
            report.outcome = Outcome::Skipped(reason);
            remember(out, file, &id, id.size, handle, false);
            return;
        }
        Resume::From(candidates) => {
            let (offset, _, note, key) = candidates.into_iter().next().expect("one candidate");
            begin = offset;
            report.notes.push(note);
            out.claimed.insert(key, file.path.clone());
        }
    }
    let resumed_at = begin;
    let mut end = id.size;
    // Undated lines before the first dated one, counted apart when the
    // binary search jumps over them.
    let mut head_tally = None;
    // Dated lines met by the searches, by position: in a file in time order
    // their times never go back.
    let mut samples: Vec<(u64, i64)> = Vec::new();
    if let Some(parser) = &parser
        && spec.window.is_bounded()
    {
        samples.extend(probe_file(handle, parser, begin, end));
        samples.extend(last_dated_in_file(handle, parser, begin, end));
        let mut probe = |pos: u64, limit: u64| {
            let found = probe_file(handle, parser, pos, limit);
            samples.extend(found);
            found
        };
        if let Some(since) = spec.window.since {
            let found = window::search(begin..end, since, SEARCH_RESOLUTION, &mut probe);
            let jumped = file_line_start(handle, found.lo, end);
            if jumped > begin {
                // Lines before the first dated one have no time: they are
                // reported as undated even when the search skips past them.
                if begin == 0
                    && let Some((first, _)) = window::next_dated(head, 0, head.len(), parser)
                    && first > 0
                {
                    let mut worker =
                        scan::Worker::new(setup(spec, report), Some(parser.clone()), false);
                    worker.feed(&head[..window::line_start_at_or_after(head, first)]);
                    head_tally = Some(worker.tally);
                }
                report.notes.push(format!(
                    "binary search skipped {} bytes before the window",
                    jumped - begin
                ));
                begin = jumped;
            }
        }
        if let Some(until) = spec.window.until {
            let found = window::search(begin..end, until, SEARCH_RESOLUTION, &mut probe);
            end = found.beyond.min(end);
        }
    }
    if let Some(parser) = &parser
        && spec.window.is_bounded()
    {
        // What the cuts leave unread is taken to lie outside the window
        // because the file is in time order: check that order there too.
        for (from, to) in [(resumed_at, begin), (end, id.size)] {
            let mut at = from;
            while at < to {
                samples.extend(sample_at(handle, parser, at, to));
                at += ORDER_SAMPLE_EVERY;
            }
        }
    }
    samples.sort_unstable();
    let mut disorder = samples
        .windows(2)
        .find(|pair| pair[1].1 < pair[0].1)
        .map(|pair| scan::went_back(pair[0].1, pair[1].1));
    let mut results = Vec::new();
    for exact in [false, true] {
        if exact {
            // Out of time order: the searches' cuts cannot be trusted, so
            // the whole file is read and every line judged by its own time.
            let Some(why) = &disorder else {
                break;
            };
            report
                .notes
                .retain(|n| !n.starts_with("binary search skipped"));
            report.notes.push(format!(
                "{why}: not in time order, so every line was judged by its own time"
            ));
            report.disordered = true;
            (begin, end, head_tally) = (resumed_at, id.size, None);
        } else if disorder.is_some() {
            continue;
        }
        results = scan_ranges(
            setup(spec, report),
            spec,
            handle,
            parser.as_ref(),
            (begin, end),
            exact,
        );
        if !exact {
            disorder = results
                .iter()
                .find_map(|(worker, ..)| worker.disorder.clone());
            if disorder.is_none() {
                break;
            }
        }
    }
    if let Some(tally) = head_tally {
        out.tally.merge(tally);
    }
    let ranges: Vec<u64> = results.iter().map(|(_, _, start)| *start).collect();
    let results: Vec<(scan::Worker, scan::Streamed)> =
        results.into_iter().map(|(w, s, _)| (w, s)).collect();

    let mut reached = begin;
    let mut tail = Vec::new();
    let mut error = None;
    for ((worker, streamed), &start) in results.into_iter().zip(&ranges) {
        report.lines += worker.lines_read;
        out.tally.merge(worker.tally);
        out.bytes_read += streamed.consumed;
        error = error.or(streamed.error);
        // The parts are contiguous: the file was read up to where the first
        // part that stopped short (the window's end, a read error) stopped.
        if reached == start {
            reached = start + streamed.consumed;
            tail = streamed.tail;
        }
    }
    report.read = Some((begin, reached));
    if let Some(err) = error {
        report.outcome =
            Outcome::Partial(format!("read error at byte {reached}: {}", io_reason(&err)));
    } else if let Ok(meta) = std::fs::metadata(&file.path) {
        let now = Identity::of(&meta);
        if (now.device, now.inode) == (id.device, id.inode) && now.size < id.size {
            report.outcome = Outcome::Partial(format!(
                "truncated during the scan (copytruncate?) from {} to {} bytes: lines moved to its copy were not read",
                id.size, now.size
            ));
        }
    }
    if rotated_since(&file.path, id) {
        report
            .notes
            .push("rotated during the scan: read to its end, and the new file too".into());
    }
    let hash = state::tail_hash(&tail).or_else(|| {
        let from = reached.saturating_sub(state::TAIL as u64 + 1);
        input::read_at(handle, from, (reached - from) as usize)
            .ok()
            .and_then(|before| state::tail_hash(&before))
    });
    record(out, file, &id, reached, hash, false);
}

/// Scans `begin..end` of a plain file, in parts read by `spec.threads`
/// threads at once when it is large: the workers, how their reading ended,
/// and where each started, in file order.
fn scan_ranges<'a>(
    setup: scan::Setup<'a>,
    spec: &'a Spec,
    handle: &File,
    parser: Option<&Parser>,
    (begin, end): (u64, u64),
    exact: bool,
) -> Vec<(scan::Worker<'a>, scan::Streamed, u64)> {
    let mut parts = vec![begin];
    if spec.threads > 1 && end - begin > SPLIT {
        // Halves cost the same when every line is alike; judged line by
        // line (`exact`), the window's lines may all lie in one stretch of
        // an unordered file, so smaller parts keep every thread busy.
        let pieces = if exact {
            spec.threads * 8
        } else {
            spec.threads
        } as u64;
        for piece in 1..pieces {
            let at = begin + (end - begin) * piece / pieces;
            let split = match parser {
                Some(parser) => probe_file(handle, parser, at, end).map(|(start, _)| start),
                None => Some(file_line_start(handle, at, end)),
            };
            if let Some(split) = split.filter(|s| *s > *parts.last().unwrap() && *s < end) {
                parts.push(split);
            }
        }
    }
    parts.push(end);
    let ranges: Vec<(u64, u64)> = parts.windows(2).map(|w| (w[0], w[1])).collect();
    let last = ranges.len() - 1;
    let next = AtomicUsize::new(0);
    let scan_part = |index: usize, parser: Option<Parser>| {
        let (start, stop) = ranges[index];
        let keep_partial = spec.incremental && index == last;
        let mut worker = scan::Worker::new(setup, parser, start > 0);
        if exact {
            worker = worker.exact();
        }
        let streamed = match handle.try_clone() {
            Ok(handle) => {
                let mut range = Range {
                    file: handle,
                    pos: start,
                    end: stop,
                };
                scan::stream(&mut worker, &mut range, keep_partial)
            }
            Err(err) => scan::Streamed {
                error: Some(err),
                ..scan::Streamed::default()
            },
        };
        (worker, streamed, start)
    };
    let mut done: Vec<(usize, _)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..spec.threads.clamp(1, ranges.len()))
            .map(|_| {
                // Each thread its own parser: it caches time-zone offsets.
                let parser = parser.cloned();
                let (next, scan_part, count) = (&next, &scan_part, ranges.len());
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= count {
                            break mine;
                        }
                        mine.push((index, scan_part(index, parser.clone())));
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|thread| thread.join().expect("a scanner thread does not panic"))
            .collect()
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// Time order is checked in the parts of a file a window's cuts skip by
/// sampling one dated line every this many bytes (a 4 KiB read each: a
/// sixty-fourth of the bytes, four lines parsed per MiB). A clock step, a
/// DST change or a newest-first file shows up; a step back shorter than
/// the time this much log covers (a minute or two of a busy log) can still
/// move a few lines across the window's edge unseen.
const ORDER_SAMPLE_EVERY: u64 = 256 << 10;

/// The first dated line starting in the 4 KiB at `pos` (and before `limit`).
fn sample_at(handle: &File, parser: &Parser, pos: u64, limit: u64) -> Option<(u64, i64)> {
    // One byte before `pos` as well: it tells whether `pos` starts a line.
    let from = pos.saturating_sub(1);
    let block = input::read_at(handle, from, (limit - from).min(4097) as usize).ok()?;
    let first = if pos == 0 {
        0
    } else {
        memchr::memchr(b'\n', &block)? + 1
    };
    let (start, time) = window::next_dated(&block, first, block.len(), parser)?;
    // Only a line that ends inside the block was read whole.
    memchr::memchr(b'\n', &block[start..])?;
    Some((from + start as u64, time))
}

/// The last dated line of a file that starts in `[begin, end)`, looked for
/// in its last 64 KiB: (its start, its time).
fn last_dated_in_file(handle: &File, parser: &Parser, begin: u64, end: u64) -> Option<(u64, i64)> {
    let from = end.saturating_sub(HEAD as u64).max(begin);
    let block = input::read_at(handle, from, (end - from) as usize).ok()?;
    let skip = if from > begin {
        window::line_start_at_or_after(&block, 1)
    } else {
        0
    };
    let (start, time) = scan::last_dated_line(&block[skip..], parser)?;
    Some((from + (skip + start) as u64, time))
}

/// Remembers a file read (or skipped) to its end for the next run.
fn remember(out: &mut Scan, file: &LogFile, id: &Identity, offset: u64, handle: &File, gzip: bool) {
    let from = offset.saturating_sub(state::TAIL as u64 + 1);
    let hash = input::read_at(handle, from, (offset - from) as usize)
        .ok()
        .and_then(|before| state::tail_hash(&before));
    record(out, file, id, offset, hash, gzip);
}

fn record(
    out: &mut Scan,
    file: &LogFile,
    id: &Identity,
    offset: u64,
    hash: Option<u64>,
    gzip: bool,
) {
    out.state.files.push(FileState {
        path: file.path.clone(),
        device: id.device,
        inode: id.inode,
        offset,
        line_hash: state::hex(hash.unwrap_or(0)),
        gzip,
    });
}

/// Counts the compressed bytes the decoder has taken, to say how far a truncated file got.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decompressed data arriving from the decoder thread.
struct Feed {
    receiver: mpsc::Receiver<std::io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
}

impl Read for Feed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            match self.receiver.recv() {
                Ok(Ok(block)) => {
                    self.current = block;
                    self.at = 0;
                }
                Ok(Err(err)) => return Err(err),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Decompresses a gzip file (every member, as `gzip -d` does) on a thread of its own.
fn decode(
    handle: &File,
    consumed: &Arc<AtomicU64>,
) -> std::io::Result<(Feed, std::thread::JoinHandle<()>)> {
    let file = handle.try_clone()?;
    let mut reader = {
        use std::io::Seek;
        let mut file = file;
        file.seek(std::io::SeekFrom::Start(0))?;
        flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(
            256 << 10,
            Counting {
                inner: file,
                count: Arc::clone(consumed),
            },
        ))
    };
    let (sender, receiver) = mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
    let thread = std::thread::Builder::new()
        .name("maint-gunzip".into())
        .spawn(move || {
            loop {
                let mut block = vec![0u8; 1 << 20];
                let mut filled = 0;
                let result = loop {
                    match reader.read(&mut block[filled..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            filled += n;
                            if filled == block.len() {
                                break Ok(());
                            }
                        }
                        Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(err) => break Err(err),
                    }
                };
                block.truncate(filled);
                let done = filled == 0 || result.is_err();
                if filled > 0 && sender.send(Ok(block)).is_err() {
                    return;
                }
                if let Err(err) = result {
                    let _ = sender.send(Err(err));
                    return;
                }
                if done {
                    return;
                }
            }
        })?;
    Ok((
        Feed {
            receiver,
            current: Vec::new(),
            at: 0,
        },
        thread,
    ))
}

fn scan_gzip(
    spec: &Spec,
    file: &LogFile,
    handle: &File,
    id: Identity,
    report: &mut FileReport,
    out: &mut Scan,
) {
    let (resume, note) = plan_resume(spec, &file.path, &id, handle, true, &out.claimed);
    report.notes.extend(note);
    let mut candidates = match resume {
        Resume::Start => Vec::new(),
        Resume::Skip(reason) => {
            report.outcome = Outcome::Skipped(reason);
            return;
        }
        Resume::From(candidates) => candidates,
    };
    candidates.push((0, 0, String::new(), (0, 0)));
    // Each candidate once; again, line by line, when its times go back.
    let mut queue: std::collections::VecDeque<(u64, u64, String, FileKey, bool)> = candidates
        .into_iter()
        .map(|(offset, hash, note, key)| (offset, hash, note, key, false))
        .collect();
    while let Some((offset, hash, note, key, exact)) = queue.pop_front() {
        // The last bytes before where the scan starts, for the next run's line hash.
        let mut before = Vec::new();
        let consumed = Arc::new(AtomicU64::new(0));
        let (mut feed, thread) = match decode(handle, &consumed) {
            Ok(started) => started,
            Err(err) => {
                report.outcome = Outcome::Failed(io_reason(&err));
                return;
            }
        };
        // Skip what the last run read, checking that it is the same text.
        if offset > 0 {
            let mut left = offset;
            let mut scratch = vec![0u8; 1 << 20];
            while left > 0 {
                let want = scratch.len().min(left as usize);
                match feed.read(&mut scratch[..want]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        left -= n as u64;
                        let keep = state::TAIL + 1;
                        before.extend_from_slice(&scratch[n.saturating_sub(keep)..n]);
                        let excess = before.len().saturating_sub(keep);
                        before.drain(..excess);
                    }
                }
            }
            if left > 0 || state::tail_hash(&before) != Some(hash) {
                drop(feed);
                let _ = thread.join();
                continue;
            }
            if !report.notes.contains(&note) {
                report.notes.push(note.clone());
            }
            out.claimed.insert(key, file.path.clone());
        }
        // The decompressed head tells whether it is text, and its timestamps.
        let mut head = vec![0u8; HEAD];
        let mut filled = 0;
        let mut head_error = None;
        while filled < head.len() {
            match feed.read(&mut head[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(err) => {
                    head_error = Some(err);
                    break;
                }
            }
        }
        head.truncate(filled);
        if input::is_binary(&head) {
            report.outcome = Outcome::NotText(
                "binary content inside the gzip (NUL bytes near the start)".into(),
            );
            drop(feed);
            let _ = thread.join();
            return;
        }
        let parser = timestamps::detect(&head, id.mtime);
        report.format = parser.as_ref().map(Parser::name);
        report.levels = scan::levelled(&head, parser.as_ref());
        report.access = parser.is_some() && access::detect(&head);
        let mut worker = scan::Worker::new(setup(spec, report), parser, offset > 0);
        if exact {
            worker = worker.exact();
        }
        let streamed = {
            let mut source = Read::chain(
                std::io::Cursor::new(head),
                ErrorAfter {
                    error: head_error,
                    inner: feed,
                },
            );
            scan::stream(&mut worker, &mut source, spec.incremental)
        };
        let _ = thread.join();
        if let Some(why) = worker.disorder.take()
            && !exact
        {
            // Out of time order: decompressed again, every line judged by its own time.
            report.notes.push(format!(
                "{why}: not in time order, so every line was judged by its own time"
            ));
            report.disordered = true;
            queue.push_front((offset, hash, note, key, true));
            continue;
        }
        report.lines = worker.lines_read;
        out.tally.merge(worker.tally);
        out.bytes_read += streamed.consumed;
        let reached = offset + streamed.consumed;
        report.read = Some((offset, reached));
        if let Some(err) = streamed.error {
            report.outcome = Outcome::Partial(format!(
                "gzip data ends early or is corrupt ({}): read {} of {} compressed bytes, {} lines; what was read is counted",
                io_reason(&err),
                consumed.load(Ordering::Relaxed).min(id.size),
                id.size,
                report.lines
            ));
        }
        before.extend_from_slice(&streamed.tail);
        let tail = &before[before.len().saturating_sub(state::TAIL + 1)..];
        record(out, file, &id, reached, state::tail_hash(tail), true);
        return;
    }
}

/// Yields an error that happened while reading the head only after the head itself.
struct ErrorAfter<R> {
    error: Option<std::io::Error>,
    inner: R,
}

impl<R: Read> Read for ErrorAfter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.error.take() {
            Some(err) => Err(err),
            None => self.inner.read(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn spec(paths: Vec<PathBuf>, hook: &(dyn Fn(&Path) + Sync)) -> Spec<'_> {
        Spec {
            paths,
            matcher: Matcher::defaults(),
            window: Window::default(),
            widths: vec![3_600_000],
            threads: 2,
            previous: None,
            incremental: false,
            started_at: 0,
            after_open: Some(hook),
            helper: None,
            journal: None,
        }
    }

    #[test]
    fn a_file_rotated_during_the_scan_is_read_to_its_end_and_the_new_one_too() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        std::fs::write(&log, "2026-11-20T01:00:00Z ERROR a\n2026-11-20T01:00:01Z ERROR b\n2026-11-20T01:00:02Z ERROR c\n").unwrap();
        let done = AtomicBool::new(false);
        let rotate = |path: &Path| {
            if path == log && !done.swap(true, Ordering::SeqCst) {
                std::fs::rename(&log, dir.path().join("app.log.1")).unwrap();
                std::fs::write(
                    &log,
                    "2026-11-20T01:00:03Z ERROR d\n2026-11-20T01:00:04Z WARN e\n",
                )
                .unwrap();
            }
        };
        let scan = scan(&spec(vec![log.clone()], &rotate));
        assert_eq!(scan.tally.counts[..2], [4, 1]);
        assert_eq!(scan.files.len(), 2);
        assert!(
            scan.files[0]
                .notes
                .iter()
                .any(|n| n.contains("rotated during the scan")),
            "{:?}",
            scan.files[0]
        );
        assert_eq!(scan.files[1].outcome, Outcome::Read);
    }

    #[test]
    fn a_file_truncated_during_the_scan_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        std::fs::write(&log, "ERROR a\n".repeat(1000)).unwrap();
        let truncate = |path: &Path| {
            File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_len(0)
                .unwrap();
        };
        let scan = scan(&spec(vec![log], &truncate));
        match &scan.files[0].outcome {
            Outcome::Partial(reason) => {
                assert!(reason.contains("truncated during the scan"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
