//! The pass over one stretch of log text: lines counted, categories
//! matched, the window applied, times bucketed, templates grown.
//!
//! Text arrives in large buffers of complete lines. The window is applied
//! per buffer (a buffer wholly inside it needs no per-line time checks; one
//! that crosses a boundary is cut by binary search), and only the lines a
//! category matches are looked at one by one.

use std::io::Read;

use super::access::{self, AccessStats};
use super::categories::Matcher;
use super::header;
use super::templates::{FastMap, Templates};
use super::timestamps::{LastSecond, Parser};
use super::window::{self, Window};

/// Bytes read per buffer: large enough that per-buffer work vanishes,
/// small enough that two scanners stay far below the memory budget.
pub(super) const BUFFER: usize = 1 << 20;
/// A line longer than the buffer is matched in pieces that overlap by this
/// much, so a match up to this long across a piece boundary is still found.
const OVERLAP: usize = 4096;

/// What the scanner needs to know besides the text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Setup<'a> {
    pub matcher: &'a Matcher,
    pub window: Window,
    /// Histogram bucket widths in ms: the one shown first, then rate periods.
    pub widths: &'a [i64],
    /// The file's lines have a level field: categories judged by level
    /// ([`super::categories::Category::level`]) are judged by it.
    pub levels: bool,
    /// The file is an access log: every request in the window is counted.
    pub access: bool,
}

/// Lines per category per time bucket.
#[derive(Debug, Clone)]
pub struct Histogram {
    pub width: i64,
    pub buckets: FastMap<i64, Vec<u64>>,
    categories: usize,
}

impl Histogram {
    fn new(width: i64, categories: usize) -> Histogram {
        Histogram {
            width,
            buckets: FastMap::default(),
            categories,
        }
    }

    fn add(&mut self, time: i64, mask: u64) {
        let counts = self
            .buckets
            .entry(time.div_euclid(self.width))
            .or_insert_with(|| vec![0; self.categories]);
        let mut bits = mask;
        while bits != 0 {
            counts[bits.trailing_zeros() as usize] += 1;
            bits &= bits - 1;
        }
    }

    fn merge(&mut self, other: Histogram) {
        for (bucket, counts) in other.buckets {
            let mine = self
                .buckets
                .entry(bucket)
                .or_insert_with(|| vec![0; self.categories]);
            for (a, b) in mine.iter_mut().zip(counts) {
                *a += b;
            }
        }
    }

    /// The bucket with the most lines of a category: (start in Unix ms, count).
    pub fn peak(&self, category: usize) -> Option<(i64, u64)> {
        self.buckets
            .iter()
            .map(|(bucket, counts)| (*bucket, counts[category]))
            .filter(|(_, count)| *count > 0)
            .max_by_key(|(bucket, count)| (*count, -bucket))
            .map(|(bucket, count)| (bucket * self.width, count))
    }

    /// Buckets in time order: (start in Unix ms, counts per category).
    pub fn sorted(&self) -> Vec<(i64, &[u64])> {
        let mut rows: Vec<(i64, &[u64])> = self
            .buckets
            .iter()
            .map(|(bucket, counts)| (bucket * self.width, counts.as_slice()))
            .collect();
        rows.sort_by_key(|(start, _)| *start);
        rows
    }
}

/// What a scan found.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Lines in the window (undated lines too, when there is no window).
    pub lines: u64,
    /// Lines in the window per category.
    pub counts: Vec<u64>,
    /// Lines whose time could not be told: no timestamp in a file whose
    /// format is unknown, or before the first dated line of a file.
    pub undated_lines: u64,
    pub undated_counts: Vec<u64>,
    /// The earliest and latest time seen on lines in the window.
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    /// One per width of [`Setup::widths`].
    pub histograms: Vec<Histogram>,
    pub templates: Templates,
    /// The requests of access logs in the window, when any was read.
    pub access: Option<AccessStats>,
}

impl Tally {
    pub fn new(categories: usize, widths: &[i64]) -> Tally {
        Tally {
            lines: 0,
            counts: vec![0; categories],
            undated_lines: 0,
            undated_counts: vec![0; categories],
            first_seen: None,
            last_seen: None,
            histograms: widths
                .iter()
                .map(|w| Histogram::new(*w, categories))
                .collect(),
            templates: Templates::new(categories),
            access: None,
        }
    }

    pub fn merge(&mut self, other: Tally) {
        self.lines += other.lines;
        self.undated_lines += other.undated_lines;
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.undated_counts.iter_mut().zip(&other.undated_counts) {
            *a += b;
        }
        for time in [other.first_seen, other.last_seen].into_iter().flatten() {
            self.seen(time);
        }
        for (mine, theirs) in self.histograms.iter_mut().zip(other.histograms) {
            mine.merge(theirs);
        }
        self.templates.merge(other.templates);
        if let Some(theirs) = other.access {
            match &mut self.access {
                Some(mine) => mine.merge(theirs),
                None => self.access = Some(theirs),
            }
        }
    }

    fn seen(&mut self, time: i64) {
        self.first_seen = Some(self.first_seen.map_or(time, |t| t.min(time)));
        self.last_seen = Some(self.last_seen.map_or(time, |t| t.max(time)));
    }

    fn count(&mut self, mask: u64) {
        let mut bits = mask;
        while bits != 0 {
            self.counts[bits.trailing_zeros() as usize] += 1;
            bits &= bits - 1;
        }
    }
}

/// A candidate line's categories: in a file with a level field, those
/// judged by level are the line's level's.
fn with_level(matcher: &Matcher, levels: bool, mask: u64, header: header::Header<'_>) -> u64 {
    if levels {
        mask | matcher.level_mask(header.level)
    } else {
        mask
    }
}

/// Whether a file's lines carry their level in a field of their own, read
/// from its head: at least half of its first lines that start an entry
/// (dated ones, when the file has timestamps) and no fewer than 4. One-letter
/// levels (Android's `E`, `W`) do not count: a line of level `E` cannot be
/// found without reading every line's header, so such files are matched by
/// words.
pub(super) fn levelled(head: &[u8], parser: Option<&Parser>) -> bool {
    const LINES: usize = 200;
    let (mut entries, mut with_level) = (0, 0);
    for line in head.split(|&b| b == b'\n').take(LINES) {
        let span = match parser {
            Some(parser) => match parser.parse(line) {
                Some(stamp) => stamp.span,
                None => continue,
            },
            None => 0..0,
        };
        if line.is_empty() {
            continue;
        }
        entries += 1;
        let (header, _) = header::split(line, span);
        with_level += usize::from(header.level.is_some_and(|level| level.len() > 1));
    }
    with_level >= 4 && with_level * 2 >= entries
}

/// Newlines in `text` (memchr counts with SIMD).
pub(super) fn count_newlines(text: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', text).count() as u64
}

/// Lines in text that holds complete lines, the last perhaps without its newline.
fn count_lines(text: &[u8]) -> u64 {
    count_newlines(text) + u64::from(text.last().is_some_and(|&b| b != b'\n'))
}

/// Scans consecutive text of one file.
pub(super) struct Worker<'a> {
    setup: Setup<'a>,
    /// A clone per worker: each regex clone has its own cache pool, so
    /// threads do not contend for one.
    matcher: Matcher,
    parser: Option<Parser>,
    pub tally: Tally,
    /// Lines read, in the window or not.
    pub lines_read: u64,
    /// The time of the last dated line before the text being fed.
    carry_time: Option<i64>,
    /// Whether a dated line has been seen: lines before the first are undated.
    seen_dated: bool,
    /// The window's start has been passed: no more cutting at `since`.
    since_done: bool,
    /// The window's end has been reached: the rest is ignored.
    pub stopped: bool,
    /// Judge every line by its own time, with no shortcut that takes the
    /// text to be in time order (for files where it is not).
    exact: bool,
    /// The latest time sampled so far, to see time go back.
    latest: Option<i64>,
    /// How time went back in the text, when it did. With a window, the
    /// counts of the shortcuts are then not to be trusted and the text is
    /// scanned again by a worker made [`Worker::exact`].
    pub disorder: Option<String>,
}

impl<'a> Worker<'a> {
    /// `mid_file`: this text does not start at the start of the file, but
    /// at a dated line (after a binary search, a split, or a previous run).
    pub(super) fn new(setup: Setup<'a>, parser: Option<Parser>, mid_file: bool) -> Worker<'a> {
        let categories = setup.matcher.categories().len();
        Worker {
            setup,
            matcher: setup.matcher.clone(),
            parser,
            tally: Tally::new(categories, setup.widths),
            lines_read: 0,
            carry_time: None,
            seen_dated: mid_file,
            since_done: false,
            stopped: false,
            exact: false,
            latest: None,
            disorder: None,
        }
    }

    /// A worker that judges each line by its own time (see `exact`).
    pub(super) fn exact(mut self) -> Self {
        self.exact = true;
        self
    }

    /// Remembers a time sampled in text order; one before a time already
    /// seen is a step back.
    fn sample(&mut self, time: i64) {
        match self.latest {
            Some(latest) if time < latest => {
                self.disorder.get_or_insert_with(|| went_back(latest, time));
            }
            _ => self.latest = Some(time),
        }
    }

    /// Times sampled through a buffer: its first dated line, one every
    /// 64 KiB and its last. Cheap (a few dozen lines parsed per MiB), and
    /// enough to see a clock step, a DST change or a newest-first file
    /// wherever a window's cuts would go wrong on it.
    fn sample_order(&mut self, text: &[u8], parser: &Parser) {
        const EVERY: usize = 64 << 10;
        let mut at = 0;
        while at < text.len() {
            let limit = (at + EVERY).min(text.len());
            if let Some((_, time)) = window::next_dated(text, at, limit, parser) {
                self.sample(time);
            }
            at = limit;
        }
        if let Some(time) = last_dated(text, parser) {
            self.sample(time);
        }
    }

    /// Takes complete lines (the last may lack its newline at the end of a file).
    pub(super) fn feed(&mut self, text: &[u8]) {
        let lines = count_lines(text);
        self.lines_read += lines;
        if self.stopped || text.is_empty() {
            return;
        }
        let Some(parser) = self.parser.take() else {
            self.undated(text, Some(lines));
            return;
        };
        self.feed_dated(text, lines, &parser);
        self.parser = Some(parser);
    }

    /// `lines`: how many lines `text` holds (counted once, by the caller).
    fn feed_dated(&mut self, text: &[u8], lines: u64, parser: &Parser) {
        let mut start = 0;
        let mut end = text.len();
        if !self.seen_dated {
            if let Some((first, _)) = window::next_dated(text, 0, end, parser) {
                self.undated(&text[..first], None);
                start = first;
                self.seen_dated = true;
            } else {
                self.undated(text, Some(lines));
                return;
            }
        }
        if self.exact {
            self.feed_exact(&text[start..], parser);
            return;
        }
        if self.setup.window.is_bounded() {
            self.sample_order(&text[start..end], parser);
        }
        if !self.since_done {
            if let Some(since) = self.setup.window.since {
                start += window::first_at_or_after(&text[start..], parser, since);
                if start >= end {
                    return;
                }
            }
            self.since_done = true;
        }
        if let Some(until) = self.setup.window.until
            && last_dated(&text[start..end], parser).is_some_and(|t| t >= until)
        {
            end = start + window::first_at_or_after(&text[start..end], parser, until);
            self.stopped = true;
        }
        if start < end {
            let whole = start == 0 && end == text.len();
            let lines = if whole {
                lines
            } else {
                count_lines(&text[start..end])
            };
            self.dated(&text[start..end], lines, parser);
        }
    }

    /// Dated text judged line by line: every line's time (its own, or that
    /// of the dated line it continues) is checked against the window, and
    /// the runs of lines inside it are counted.
    fn feed_exact(&mut self, text: &[u8], parser: &Parser) {
        let window = self.setup.window;
        // The time of the last dated line before `pos`.
        let mut current = self.carry_time;
        // A run of lines in the window: its start and the time before it.
        let mut run: Option<(usize, Option<i64>)> = None;
        let mut last_second = LastSecond::default();
        let mut pos = 0;
        while pos < text.len() {
            let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
            let before = current;
            if let Some(time) = parser.time_of(&text[pos..end], &mut last_second) {
                current = Some(time);
            }
            let inside = current.is_some_and(|time| window.contains(time));
            match (inside, run) {
                (true, None) => run = Some((pos, before)),
                (false, Some((from, carried))) => {
                    self.carry_time = carried;
                    self.dated(&text[from..pos], count_lines(&text[from..pos]), parser);
                    run = None;
                }
                _ => {}
            }
            pos = end;
        }
        if let Some((from, carried)) = run {
            self.carry_time = carried;
            self.dated(&text[from..], count_lines(&text[from..]), parser);
        }
        self.carry_time = current;
    }

    /// Lines in the window with a known format: each counted line gets the
    /// time of its own timestamp, or of the dated line it continues.
    fn dated(&mut self, text: &[u8], lines: u64, parser: &Parser) {
        self.tally.lines += lines;
        if self.setup.access {
            let width = self.setup.widths.first().copied().unwrap_or(0);
            let stats = self
                .tally
                .access
                .get_or_insert_with(|| AccessStats::new(width));
            for line in text.split(|&b| b == b'\n') {
                if let Some(request) = access::parse(line) {
                    stats.add(&request, parser.parse(line).map(|s| s.ms));
                }
            }
        }
        if let Some((_, first)) = window::next_dated(text, 0, text.len(), parser) {
            self.tally.seen(first);
        }
        // The last position whose time is known, and that time (-1: before the text).
        let mut known: (isize, Option<i64>) = (-1, self.carry_time);
        let matcher = &self.matcher;
        let tally = &mut self.tally;
        let window = self.setup.window;
        let disorder = &mut self.disorder;
        let levels = self.setup.levels;
        let each = |start: usize, end: usize, mask: u64| {
            let line = &text[start..end];
            let (time, span) = match parser.parse(line) {
                Some(stamp) => (Some(stamp.ms), stamp.span),
                None => (time_before(text, start, known, parser), 0..0),
            };
            known = (start as isize, time);
            // The text was cut to the window as if in time order: a line
            // outside it says otherwise.
            if let Some(time) = time
                && !window.contains(time)
            {
                disorder.get_or_insert_with(|| {
                    format!(
                        "a line stamped {} lies among the lines of the window",
                        super::show_time(time)
                    )
                });
            }
            let (head_fields, message) = header::split(line, span);
            let mask = with_level(matcher, levels, mask, head_fields);
            if mask == 0 {
                return;
            }
            tally.count(mask);
            if let Some(time) = time {
                for histogram in &mut tally.histograms {
                    histogram.add(time, mask);
                }
            }
            tally.templates.add(message, head_fields, line, mask, time);
        };
        matcher.for_each_line(text, levels, each);
        self.carry_time = time_before(text, text.len(), known, parser);
        if let Some(last) = self.carry_time {
            self.tally.seen(last);
        }
    }

    /// Lines whose time cannot be told: tallied apart, and counted like the
    /// rest only when there is no window they could fall outside of.
    fn undated(&mut self, text: &[u8], lines: Option<u64>) {
        if text.is_empty() {
            return;
        }
        let lines = lines.unwrap_or_else(|| count_lines(text));
        self.tally.undated_lines += lines;
        let in_window = !self.setup.window.is_bounded();
        if in_window {
            self.tally.lines += lines;
        }
        let tally = &mut self.tally;
        let matcher = &self.matcher;
        let levels = self.setup.levels;
        matcher.for_each_line(text, levels, |start, end, mask| {
            let line = &text[start..end];
            let (head_fields, message) = header::split(line, 0..0);
            let mask = with_level(matcher, levels, mask, head_fields);
            if mask == 0 {
                return;
            }
            let mut bits = mask;
            while bits != 0 {
                tally.undated_counts[bits.trailing_zeros() as usize] += 1;
                bits &= bits - 1;
            }
            if in_window {
                tally.count(mask);
                tally.templates.add(message, head_fields, line, mask, None);
            }
        });
    }

    /// One line too long for the buffer, already matched piece by piece:
    /// `head` is its start, `mask` the categories any piece matched.
    pub(super) fn feed_long_line(&mut self, head: &[u8], mask: u64) {
        self.lines_read += 1;
        if self.stopped {
            return;
        }
        let stamp = self.parser.as_ref().and_then(|p| p.parse(head));
        if stamp.is_some() {
            self.seen_dated = true;
        }
        let mask = if self.setup.levels {
            let span = stamp.as_ref().map_or(0..0, |s| s.span.clone());
            let level = header::split(head, span).0.level;
            mask & !self.matcher.by_level_mask() | self.matcher.level_mask(level)
        } else {
            mask
        };
        let time = stamp.as_ref().map(|s| s.ms).or(if self.seen_dated {
            self.carry_time
        } else {
            None
        });
        let Some(time) = time else {
            self.tally.undated_lines += 1;
            let mut bits = mask;
            while bits != 0 {
                self.tally.undated_counts[bits.trailing_zeros() as usize] += 1;
                bits &= bits - 1;
            }
            if !self.setup.window.is_bounded() {
                self.tally.lines += 1;
                self.tally.count(mask);
                if mask != 0 {
                    let (head_fields, message) = header::split(head, 0..0);
                    self.tally
                        .templates
                        .add(message, head_fields, head, mask, None);
                }
            }
            return;
        };
        self.carry_time = Some(time);
        if self.setup.window.until.is_some_and(|until| time >= until) {
            self.stopped = true;
            return;
        }
        if !self.setup.window.contains(time) {
            return;
        }
        self.since_done = true;
        self.tally.lines += 1;
        self.tally.seen(time);
        if mask != 0 {
            self.tally.count(mask);
            for histogram in &mut self.tally.histograms {
                histogram.add(time, mask);
            }
            let span = stamp.map_or(0..0, |s| s.span);
            let (head_fields, message) = header::split(head, span);
            self.tally
                .templates
                .add(message, head_fields, head, mask, Some(time));
        }
    }

    pub(super) fn matcher(&self) -> &Matcher {
        &self.matcher
    }
}

/// How a step back in time is told.
pub(super) fn went_back(later: i64, earlier: i64) -> String {
    format!(
        "time goes back from {} to {}",
        super::show_time(later),
        super::show_time(earlier)
    )
}

/// A line without its timestamp, for templating.
/// The time of the nearest dated line ending before `pos`, looking back no
/// further than `known`: a line start whose time is known (-1: the time
/// before the text).
fn time_before(
    text: &[u8],
    pos: usize,
    known: (isize, Option<i64>),
    parser: &Parser,
) -> Option<i64> {
    dated_before(text, pos, known.0, parser).map_or(known.1, |(_, time)| Some(time))
}

/// The nearest dated line ending before `pos` and starting after `floor`:
/// (its start, its time).
fn dated_before(text: &[u8], pos: usize, floor: isize, parser: &Parser) -> Option<(usize, i64)> {
    let mut cursor = pos;
    while cursor > 0 {
        let line_end = if text[cursor - 1] == b'\n' {
            cursor - 1
        } else {
            cursor
        };
        let line_start = memchr::memrchr(b'\n', &text[..line_end]).map_or(0, |i| i + 1);
        if line_start as isize <= floor {
            return None;
        }
        if let Some(stamp) = parser.parse(&text[line_start..line_end]) {
            return Some((line_start, stamp.ms));
        }
        cursor = line_start;
    }
    None
}

/// The last dated line of `text`: (its start, its time).
pub(super) fn last_dated_line(text: &[u8], parser: &Parser) -> Option<(usize, i64)> {
    dated_before(text, text.len(), -1, parser)
}

/// The time of the last dated line of `text`.
pub(super) fn last_dated(text: &[u8], parser: &Parser) -> Option<i64> {
    last_dated_line(text, parser).map(|(_, time)| time)
}

/// How a stretch of text ended.
#[derive(Debug, Default)]
pub(super) struct Streamed {
    /// Bytes consumed from the source (whole lines; a partial last line
    /// only when it was counted at the end of the file).
    pub consumed: u64,
    /// The last bytes consumed, for the state file's line hash.
    pub tail: Vec<u8>,
    pub error: Option<std::io::Error>,
}

/// Feeds everything `source` yields to `worker` in large buffers. With
/// `keep_partial`, a last line without its newline is left unread (it is
/// still being written; the next incremental run reads it whole).
pub(super) fn stream(worker: &mut Worker, source: &mut dyn Read, keep_partial: bool) -> Streamed {
    let mut buf = vec![0u8; BUFFER];
    let mut filled = 0;
    let mut out = Streamed::default();
    // A line longer than the buffer: the categories its pieces matched, and its start.
    let mut long: Option<(u64, Vec<u8>, u64)> = None;
    loop {
        if worker.stopped {
            break;
        }
        let (n, error) = read_some(source, &mut buf[filled..]);
        let eof = n == 0 || error.is_some();
        if error.is_some() {
            out.error = error;
        }
        filled += n;
        let mut start = 0;
        if let Some((mask, _, _)) = long.as_mut() {
            let piece_end = memchr::memchr(b'\n', &buf[..filled]);
            let piece = &buf[..piece_end.unwrap_or(filled)];
            *mask |= worker.matcher().classify(piece);
            match piece_end {
                Some(end) => {
                    let (mask, head, _) = long.take().expect("in a long line");
                    worker.feed_long_line(&head, mask);
                    start = end + 1;
                    out.consumed += start as u64;
                    remember_tail(&mut out.tail, &buf[..start]);
                }
                None if eof => {
                    let (mask, head, started) = long.take().expect("in a long line");
                    if keep_partial {
                        out.consumed = started;
                    } else {
                        worker.feed_long_line(&head, mask);
                        out.consumed += filled as u64;
                    }
                    break;
                }
                None => {
                    // Keep an overlap so a match across the piece boundary is still found.
                    out.consumed += (filled - OVERLAP) as u64;
                    buf.copy_within(filled - OVERLAP..filled, 0);
                    filled = OVERLAP;
                    continue;
                }
            }
        }
        let complete = memchr::memrchr(b'\n', &buf[start..filled]).map(|i| start + i + 1);
        if let Some(end) = complete {
            worker.feed(&buf[start..end]);
            out.consumed += (end - start) as u64;
            remember_tail(&mut out.tail, &buf[..end]);
            start = end;
        }
        if eof {
            if start < filled && !keep_partial && !worker.stopped {
                worker.feed(&buf[start..filled]);
                out.consumed += (filled - start) as u64;
            }
            break;
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        if filled == buf.len() {
            // No newline in a whole buffer: match this piece and go on reading the line.
            let mask = worker.matcher().classify(&buf[..filled]);
            long = Some((mask, buf[..OVERLAP.min(filled)].to_vec(), out.consumed));
            out.consumed += (filled - OVERLAP) as u64;
            buf.copy_within(filled - OVERLAP..filled, 0);
            filled = OVERLAP;
        }
    }
    out
}

fn remember_tail(tail: &mut Vec<u8>, consumed: &[u8]) {
    let keep = super::state::TAIL + 1;
    if consumed.len() >= keep {
        tail.clear();
        tail.extend_from_slice(&consumed[consumed.len() - keep..]);
    } else {
        tail.extend_from_slice(consumed);
        let excess = tail.len().saturating_sub(keep);
        tail.drain(..excess);
    }
}

/// Reads until `buf` is full or the source ends, so buffers stay large;
/// an error ends the reading but what came before it is kept.
fn read_some(source: &mut dyn Read, buf: &mut [u8]) -> (usize, Option<std::io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return (filled, Some(err)),
        }
    }
    (filled, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logscan::timestamps::{Format, IsoStyle};

    fn matcher() -> Matcher {
        Matcher::defaults()
    }

    #[test]
    fn newline_counting() {
        let text = "a\n".repeat(10_000) + "b";
        assert_eq!(count_newlines(text.as_bytes()), 10_000);
        assert_eq!(count_lines(text.as_bytes()), 10_001);
        assert_eq!(count_lines(b""), 0);
    }

    #[test]
    fn continuation_lines_take_the_time_of_the_line_before() {
        let matcher = matcher();
        let widths = [3_600_000];
        let setup = Setup {
            matcher: &matcher,
            window: Window::default(),
            widths: &widths,
            levels: false,
            access: false,
        };
        let parser = Parser::new(Format::Iso(IsoStyle::Rfc3339), 0);
        let mut worker = Worker::new(setup, Some(parser), false);
        worker.feed(b"  FATAL before any date\n2026-11-20T01:00:00Z ERROR one\n  trace ERROR deep\n2026-11-20T02:30:00Z WARN two\n");
        let tally = &worker.tally;
        assert_eq!(tally.lines, 4);
        assert_eq!(tally.undated_lines, 1);
        assert_eq!(tally.counts[..2], [3, 1]);
        let hours: Vec<(i64, u64)> = tally.histograms[0]
            .sorted()
            .iter()
            .map(|(s, c)| (*s, c[0]))
            .collect();
        let one = chrono::DateTime::parse_from_rfc3339("2026-11-20T01:00:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(hours, vec![(one, 2), (one + 3_600_000, 0)]);
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_one_line() {
        let matcher = matcher();
        let setup = Setup {
            matcher: &matcher,
            window: Window::default(),
            widths: &[],
            levels: false,
            access: false,
        };
        let mut worker = Worker::new(setup, None, false);
        let mut text = b"first ERROR\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', BUFFER * 2 + 100));
        text.extend_from_slice(b" Unauthorized\nlast WARN");
        let streamed = stream(&mut worker, &mut text.as_slice(), false);
        assert_eq!(streamed.consumed, text.len() as u64);
        assert_eq!(worker.lines_read, 3);
        assert_eq!(worker.tally.counts, vec![1, 1, 1]);
    }
}
