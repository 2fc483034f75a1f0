//! Timestamps in log lines: which format a file uses (detected from its
//! first lines, then locked for the rest of the file) and the time of one
//! line, as Unix milliseconds.
//!
//! Parsers are hand-written byte matchers rather than regexes or chrono's
//! format strings: they run on every line that is counted and at every step
//! of the binary searches, so each costs a few dozen nanoseconds.

use std::cell::Cell;
use std::ops::Range;

use chrono::{Local, NaiveDateTime, Offset, TimeZone};

mod shapes;

/// How many lines of a file's head are tried when detecting its format.
const DETECT_LINES: usize = 200;

/// The timestamp formats maint recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// ISO 8601 / RFC 3339 at the start of the line (optionally in `[...]`):
    /// `T` or space, `,` or `.` fractions, `Z` or `±hh[:]mm`, or local time.
    Iso(IsoStyle),
    /// syslog's `Nov 22 12:00:01`: no year, taken from the file's mtime.
    Syslog,
    /// Apache/nginx access logs: `[22/Nov/2026:12:00:01 +0000]`.
    CommonLog,
    /// Apache error logs: `[Sun Dec 04 04:47:44 2005]` (or with microseconds).
    ApacheError,
    /// JSON lines with a `time`, `timestamp`, `ts` or `@timestamp` field,
    /// an RFC 3339 string or Unix epoch (seconds, ms, µs or ns).
    Json,
    /// nginx's error log: `2026/11/28 03:04:05`, local time.
    Slashed,
    /// log4j `yy/MM/dd HH:mm:ss` (Spark): `17/06/09 20:10:40`, local time.
    ShortSlashed,
    /// log4j `yyMMdd HHmmss` (HDFS): `081109 203615`, local time.
    Compact,
    /// BGL's `2005-06-03-15.42.50.675872`, local time.
    Dotted,
    /// HealthApp's `20171223-22:15:29:606`, local time.
    Joined,
    /// Unix seconds, `1117838570` (ten digits, from 2000 on).
    Epoch,
    /// Android logcat's `03-17 16:13:38.811`: no year, as syslog.
    MonthDay,
    /// Proxifier's `[10.30 16:49:06]`: no year, as syslog.
    DottedMonthDay,
    /// glog's `I1128 03:04:05.123456`: no year, as syslog.
    Glog,
    /// `28 Nov 2026 03:04:05.123` (Redis, after its `pid:role`), local time.
    DayMonthYear,
}

/// Which flavour of ISO 8601 a file uses; only the name differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsoStyle {
    Rfc3339,
    Iso8601,
    /// Python logging's `%(asctime)s`: `2026-11-20 13:01:02,123`, local time.
    Python,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Iso(IsoStyle::Rfc3339) => "rfc3339",
            Format::Iso(IsoStyle::Iso8601) => "iso8601",
            Format::Iso(IsoStyle::Python) => "python-logging",
            Format::Syslog => "syslog",
            Format::CommonLog => "common-log",
            Format::ApacheError => "apache-error",
            Format::Json => "json",
            Format::Slashed => "yyyy/mm/dd",
            Format::ShortSlashed => "yy/mm/dd",
            Format::Compact => "yymmdd hhmmss",
            Format::Dotted => "yyyy-mm-dd-hh.mm.ss",
            Format::Joined => "yyyymmdd-hh:mm:ss",
            Format::Epoch => "unix-seconds",
            Format::MonthDay => "mm-dd (logcat)",
            Format::DottedMonthDay => "[mm.dd]",
            Format::Glog => "glog",
            Format::DayMonthYear => "dd mon yyyy",
        }
    }
}

/// A parsed timestamp: when, and where in the line it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub ms: i64,
    /// Bytes of the line that hold the timestamp (empty when it is inside a JSON object).
    pub span: Range<usize>,
}

/// Converts local wall-clock times to UTC, caching the offset per hour
/// (time-zone lookups cost far more than the parse itself).
#[derive(Debug, Clone, Default)]
pub struct LocalZone {
    cache: Cell<Option<(i64, i64)>>,
}

impl LocalZone {
    /// Unix ms of a wall-clock time given as "Unix ms if it were UTC".
    pub fn to_utc(&self, naive_ms: i64) -> i64 {
        let hour = naive_ms.div_euclid(3_600_000);
        let offset_ms = match self.cache.get() {
            Some((cached_hour, offset)) if cached_hour == hour => offset,
            _ => {
                let offset = local_offset_ms(naive_ms);
                self.cache.set(Some((hour, offset)));
                offset
            }
        };
        naive_ms - offset_ms
    }
}

fn local_offset_ms(naive_ms: i64) -> i64 {
    let Some(naive) = chrono::DateTime::from_timestamp_millis(naive_ms).map(|t| t.naive_utc())
    else {
        return 0;
    };
    let offset = match Local.offset_from_local_datetime(&naive) {
        chrono::LocalResult::Single(offset) | chrono::LocalResult::Ambiguous(offset, _) => offset,
        // A time skipped by a DST change: the offset just before it is as good as any.
        chrono::LocalResult::None => Local.offset_from_utc_datetime(&naive),
    };
    i64::from(offset.fix().local_minus_utc()) * 1000
}

/// The second of the last line `Parser::time_of` parsed in full, when it
/// was a local ISO time at the start of the line.
#[derive(Debug, Default)]
pub struct LastSecond {
    /// `YYYY-MM-DD HH:MM:SS` as the line wrote it.
    prefix: [u8; 19],
    /// Unix ms of that second's start.
    base_ms: Option<i64>,
}

/// The locked timestamp parser of one file.
#[derive(Debug, Clone)]
pub struct Parser {
    pub format: Format,
    zone: LocalZone,
    /// syslog: the file's mtime, to give lines a year.
    mtime_ms: i64,
    mtime_year: i32,
    /// Fields before the timestamp (a file name, a host, a node id).
    pub skip: usize,
}

impl Parser {
    pub fn new(format: Format, mtime_ms: i64) -> Parser {
        let mtime_year = chrono::DateTime::from_timestamp_millis(mtime_ms)
            .map(|t| t.with_timezone(&Local).naive_local())
            .map_or(1970, |t| chrono::Datelike::year(&t));
        Parser {
            format,
            zone: LocalZone::default(),
            mtime_ms,
            mtime_year,
            skip: 0,
        }
    }

    /// The format's name, saying when the timestamp follows other fields.
    pub fn name(&self) -> String {
        match self.skip {
            0 => self.format.name().to_owned(),
            1 => format!("{} after 1 field", self.format.name()),
            n => format!("{} after {n} fields", self.format.name()),
        }
    }

    /// A time without a year, given the year that makes it the most
    /// recent instant not after the file was last written (a day of slack
    /// for clocks): a December line in a file written in January is from
    /// the year before.
    fn with_year(&self, month: u32, day: u32, ms_of_day: i64) -> i64 {
        let at = |year| {
            self.zone
                .to_utc(days_from_civil(year, month, day) * 86_400_000 + ms_of_day)
        };
        let time = at(self.mtime_year);
        if time > self.mtime_ms + 86_400_000 {
            at(self.mtime_year - 1)
        } else {
            time
        }
    }

    /// The time of a line, or None when it has none in this file's format
    /// (a continuation line, such as a stack trace).
    pub fn parse(&self, line: &[u8]) -> Option<Stamp> {
        if self.skip == 0 {
            return self.parse_at(line);
        }
        let start = after_fields(line, self.skip)?;
        let stamp = self.parse_at(&line[start..])?;
        Some(Stamp {
            ms: stamp.ms,
            span: start + stamp.span.start..start + stamp.span.end,
        })
    }

    /// The time of a line, as `parse` gives it, but from the fraction alone
    /// when the line starts with the same local ISO second as the last one
    /// `last` remembers: judging a window line by line parses every line,
    /// and most lines share their second with the line before.
    pub fn time_of(&self, line: &[u8], last: &mut LastSecond) -> Option<i64> {
        if let Some(base_ms) = last.base_ms
            && line.get(..19) == Some(&last.prefix[..])
        {
            let (ms, used) = iso_fraction(line);
            if !may_have_zone(line, 19 + used) {
                return Some(base_ms + ms);
            }
        }
        let stamp = self.parse(line)?;
        last.base_ms = None;
        if matches!(self.format, Format::Iso(_)) && self.skip == 0 && stamp.span.start == 0 {
            let (ms, used) = iso_fraction(line);
            // Nothing read after the fraction: a local time, whose offset
            // is the same for the whole second (LocalZone caches it per hour).
            if stamp.span.end == 19 + used {
                last.prefix.copy_from_slice(&line[..19]);
                last.base_ms = Some(stamp.ms - ms);
            }
        }
        Some(stamp.ms)
    }

    fn parse_at(&self, line: &[u8]) -> Option<Stamp> {
        let local = |(naive, len): (i64, usize)| Stamp {
            ms: self.zone.to_utc(naive),
            span: 0..len,
        };
        let year_less = |((month, day, ms), len): (shapes::YearLess, usize)| Stamp {
            ms: self.with_year(month, day, ms),
            span: 0..len,
        };
        match self.format {
            Format::Slashed => shapes::slashed(line).map(local),
            Format::ShortSlashed => shapes::short_slashed(line).map(local),
            Format::Compact => shapes::compact(line).map(local),
            Format::Dotted => shapes::dotted(line).map(local),
            Format::Joined => shapes::joined(line).map(local),
            Format::DayMonthYear => shapes::day_month_year(line).map(local),
            Format::Epoch => shapes::epoch(line).map(|(ms, len)| Stamp { ms, span: 0..len }),
            Format::MonthDay => shapes::month_day(line).map(year_less),
            Format::DottedMonthDay => shapes::dotted_month_day(line).map(year_less),
            Format::Glog => shapes::glog(line).map(year_less),
            Format::Iso(_) => {
                let start = usize::from(line.first() == Some(&b'['));
                let (iso, len) = iso(&line[start..])?;
                Some(Stamp {
                    ms: iso.resolve(&self.zone),
                    span: start..start + len,
                })
            }
            Format::Syslog => {
                let (month, day, secs, ms, len) = syslog(line)?;
                Some(Stamp {
                    ms: self.with_year(month, day, secs * 1000 + ms),
                    span: 0..len,
                })
            }
            Format::CommonLog => {
                let open = memchr::memchr(b'[', &line[..line.len().min(256)])?;
                let (ms, len) = common_log(&line[open + 1..])?;
                Some(Stamp {
                    ms,
                    span: open..open + 1 + len,
                })
            }
            Format::ApacheError => {
                let (naive, len) = apache_error(line)?;
                Some(Stamp {
                    ms: self.zone.to_utc(naive),
                    span: 0..len,
                })
            }
            Format::Json => json(line, &self.zone).map(|ms| Stamp { ms, span: 0..0 }),
        }
    }
}

/// Detects a file's format from the start of its content: the format
/// (and the number of fields before it, up to four) that dates most of the
/// first lines wins; at equal counts, the fewer fields skipped and the
/// earlier format in the list. None when no line has a known timestamp.
pub fn detect(head: &[u8], mtime_ms: i64) -> Option<Parser> {
    const CANDIDATES: [Format; 15] = [
        Format::Iso(IsoStyle::Iso8601),
        Format::Syslog,
        Format::CommonLog,
        Format::ApacheError,
        Format::Json,
        Format::Slashed,
        Format::ShortSlashed,
        Format::Compact,
        Format::Dotted,
        Format::Joined,
        Format::MonthDay,
        Format::DottedMonthDay,
        Format::Glog,
        Format::DayMonthYear,
        Format::Epoch,
    ];
    const SKIPS: usize = 5;
    let parsers: Vec<Parser> = (0..SKIPS)
        .flat_map(|skip| {
            CANDIDATES
                .iter()
                // A JSON object and an access log's `[...]` are found wherever they are.
                .filter(move |f| skip == 0 || !matches!(f, Format::Json | Format::CommonLog))
                .map(move |&format| Parser {
                    skip,
                    ..Parser::new(format, mtime_ms)
                })
        })
        .collect();
    let mut hits = vec![0usize; parsers.len()];
    let mut first_iso: Vec<Option<Vec<u8>>> = vec![None; SKIPS];
    for line in head.split(|&b| b == b'\n').take(DETECT_LINES) {
        for (parser, hit) in parsers.iter().zip(hits.iter_mut()) {
            if let Some(stamp) = parser.parse(line) {
                *hit += 1;
                if parser.format == CANDIDATES[0] && first_iso[parser.skip].is_none() {
                    first_iso[parser.skip] = Some(line[stamp.span].to_vec());
                }
            }
        }
    }
    let (best, &count) = hits
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, usize::MAX - i))?;
    if count == 0 {
        return None;
    }
    let mut parser = parsers[best].clone();
    if let (Format::Iso(_), Some(text)) = (parser.format, &first_iso[parser.skip]) {
        parser.format = Format::Iso(iso_style(text));
    }
    Some(parser)
}

/// Where the text after the first `count` fields (runs of non-blanks
/// separated by spaces or tabs) starts, within the first 256 bytes.
fn after_fields(line: &[u8], count: usize) -> Option<usize> {
    let head = &line[..line.len().min(256)];
    let mut at = 0;
    for _ in 0..count {
        while head.get(at).is_some_and(|b| !matches!(b, b' ' | b'\t')) {
            at += 1;
        }
        if at == 0 || at >= head.len() {
            return None;
        }
        while head.get(at).is_some_and(|b| matches!(b, b' ' | b'\t')) {
            at += 1;
        }
    }
    (at < head.len()).then_some(at)
}

fn iso_style(text: &[u8]) -> IsoStyle {
    let text = text.strip_prefix(b"[").unwrap_or(text);
    let zoned = text.len() > 19
        && matches!(text.last(), Some(b'Z' | b'z' | b'0'..=b'9'))
        && text[19..]
            .iter()
            .any(|b| matches!(b, b'Z' | b'z' | b'+' | b'-'));
    if text.get(10) == Some(&b'T') && zoned {
        IsoStyle::Rfc3339
    } else if text.get(10) == Some(&b' ') && text.get(19) == Some(&b',') && !zoned {
        IsoStyle::Python
    } else {
        IsoStyle::Iso8601
    }
}

/// A calendar time read from text, before its zone is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoTime {
    /// Unix ms as if the wall-clock time were UTC.
    pub naive_ms: i64,
    /// The zone's offset from UTC in ms; None for local time.
    pub offset_ms: Option<i64>,
}

impl IsoTime {
    pub fn resolve(self, zone: &LocalZone) -> i64 {
        match self.offset_ms {
            Some(offset) => self.naive_ms - offset,
            None => zone.to_utc(self.naive_ms),
        }
    }
}

fn digits(text: &[u8], at: usize, count: usize) -> Option<i64> {
    let bytes = text.get(at..at + count)?;
    let mut value = 0i64;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(b - b'0');
    }
    Some(value)
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.,fraction][Z|±hh[:]mm]`, returning the time and
/// how many bytes it took.
pub fn iso(text: &[u8]) -> Option<(IsoTime, usize)> {
    if text.len() < 19
        || text[4] != b'-'
        || text[7] != b'-'
        || !matches!(text[10], b'T' | b't' | b' ')
        || text[13] != b':'
        || text[16] != b':'
    {
        return None;
    }
    let year = digits(text, 0, 4)?;
    let month = digits(text, 5, 2)?;
    let day = digits(text, 8, 2)?;
    let hour = digits(text, 11, 2)?;
    let minute = digits(text, 14, 2)?;
    let second = digits(text, 17, 2)?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let (ms, fraction_len) = iso_fraction(text);
    let mut len = 19 + fraction_len;
    let naive_ms = days_from_civil(year as i32, month as u32, day as u32) * 86_400_000
        + (hour * 3600 + minute * 60 + second) * 1000
        + ms;
    let mut offset_ms = None;
    match text.get(len) {
        Some(b'Z' | b'z') => {
            offset_ms = Some(0);
            len += 1;
        }
        Some(b'+' | b'-') => {
            if let Some((offset, used)) = zone_offset(&text[len..]) {
                offset_ms = Some(offset);
                len += used;
            }
        }
        Some(b' ') if matches!(text.get(len + 1), Some(b'+' | b'-')) => {
            if let Some((offset, used)) = zone_offset(&text[len + 1..]) {
                offset_ms = Some(offset);
                len += 1 + used;
            }
        }
        // PostgreSQL's `%m` with log_timezone UTC: `... 03:04:05.123 UTC`.
        Some(b' ')
            if matches!(text.get(len + 1..len + 4), Some(b"UTC" | b"GMT"))
                && !text.get(len + 4).is_some_and(u8::is_ascii_alphanumeric) =>
        {
            offset_ms = Some(0);
            len += 4;
        }
        _ => {}
    }
    Some((
        IsoTime {
            naive_ms,
            offset_ms,
        },
        len,
    ))
}

/// `+hh:mm`, `+hhmm` or `+hh`.
fn zone_offset(text: &[u8]) -> Option<(i64, usize)> {
    let sign = match text.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = digits(text, 1, 2)?;
    let (minutes, used) = if text.get(3) == Some(&b':') {
        (digits(text, 4, 2)?, 6)
    } else if let Some(minutes) = digits(text, 3, 2) {
        (minutes, 5)
    } else {
        (0, 3)
    };
    // `-12 ` after a time is more likely text than a zone; zones are below 15 h.
    if hours > 14 || minutes > 59 || text.get(used).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some((sign * (hours * 3600 + minutes * 60) * 1000, used))
}

fn month_number(name: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let name = name.get(..3)?;
    MONTHS
        .iter()
        .position(|m| m.as_slice() == name)
        .map(|i| i as u32 + 1)
}

/// `HH:MM:SS` as seconds of the day.
fn clock(text: &[u8], at: usize) -> Option<i64> {
    if text.get(at + 2) != Some(&b':') || text.get(at + 5) != Some(&b':') {
        return None;
    }
    let (h, m, s) = (
        digits(text, at, 2)?,
        digits(text, at + 3, 2)?,
        digits(text, at + 6, 2)?,
    );
    (h <= 23 && m <= 59 && s <= 60).then_some(h * 3600 + m * 60 + s)
}

/// Fractional seconds after a `.`, as ms and the bytes used (0 when absent).
fn fraction(text: &[u8], at: usize) -> (i64, usize) {
    fraction_after(text, at, b".")
}

/// ISO's optional `.123` or `,123` after the seconds (byte 19): ms and the bytes used.
fn iso_fraction(text: &[u8]) -> (i64, usize) {
    fraction_after(text, 19, b".,")
}

/// Fractional seconds after one of `separators` at `at`, as ms (digits
/// past the third add nothing) and the bytes used (0 when absent).
fn fraction_after(text: &[u8], at: usize, separators: &[u8]) -> (i64, usize) {
    if !text.get(at).is_some_and(|b| separators.contains(b))
        || !text.get(at + 1).is_some_and(u8::is_ascii_digit)
    {
        return (0, 0);
    }
    let digits = text[at + 1..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let mut ms = 0;
    let mut scale = 100;
    for &b in &text[at + 1..at + 1 + digits] {
        ms += i64::from(b - b'0') * scale;
        scale /= 10;
    }
    (ms, 1 + digits)
}

/// Whether an ISO time may go on with a zone at `at` (`iso` reads one there
/// when it is well formed; this only says it might).
fn may_have_zone(text: &[u8], at: usize) -> bool {
    match text.get(at) {
        Some(b'Z' | b'z' | b'+' | b'-') => true,
        Some(b' ') => matches!(text.get(at + 1), Some(b'+' | b'-' | b'U' | b'G')),
        _ => false,
    }
}

/// `Mmm dd HH:MM:SS` (day space-padded or not): month, day, seconds of the day, ms, length.
fn syslog(line: &[u8]) -> Option<(u32, u32, i64, i64, usize)> {
    let month = month_number(line)?;
    if line.get(3) != Some(&b' ') {
        return None;
    }
    let (day, at) = match (line.get(4), line.get(5)) {
        (Some(b' '), Some(d)) if d.is_ascii_digit() => (i64::from(d - b'0'), 6),
        (Some(d), Some(b' ')) if d.is_ascii_digit() => (i64::from(d - b'0'), 5),
        _ => (digits(line, 4, 2)?, 6),
    };
    if line.get(at) != Some(&b' ') || !(1..=31).contains(&day) {
        return None;
    }
    let secs = clock(line, at + 1)?;
    let (ms, frac) = fraction(line, at + 9);
    Some((month, day as u32, secs, ms, at + 9 + frac))
}

/// `22/Nov/2026:12:00:01 +0000]`: Unix ms and the length up to and including `]`.
fn common_log(text: &[u8]) -> Option<(i64, usize)> {
    if text.get(2) != Some(&b'/') || text.get(6) != Some(&b'/') || text.get(11) != Some(&b':') {
        return None;
    }
    let day = digits(text, 0, 2)?;
    let month = month_number(&text[3..])?;
    let year = digits(text, 7, 4)?;
    let secs = clock(text, 12)?;
    if text.get(20) != Some(&b' ') {
        return None;
    }
    let (offset, used) = zone_offset(&text[21..])?;
    if text.get(21 + used) != Some(&b']') {
        return None;
    }
    let naive = days_from_civil(year as i32, month, day as u32) * 86_400_000 + secs * 1000;
    Some((naive - offset, 22 + used))
}

/// `[Sun Dec 04 04:47:44(.123456) 2005]`: wall-clock ms and the length.
fn apache_error(line: &[u8]) -> Option<(i64, usize)> {
    if line.first() != Some(&b'[') || line.get(4) != Some(&b' ') || line.get(8) != Some(&b' ') {
        return None;
    }
    if !line[1..4].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let month = month_number(&line[5..])?;
    let day = match (line.get(9), line.get(10)) {
        (Some(b' '), Some(d)) if d.is_ascii_digit() => i64::from(d - b'0'),
        _ => digits(line, 9, 2)?,
    };
    if line.get(11) != Some(&b' ') {
        return None;
    }
    let secs = clock(line, 12)?;
    let (ms, frac) = fraction(line, 20);
    let at = 20 + frac;
    if line.get(at) != Some(&b' ') || line.get(at + 5) != Some(&b']') {
        return None;
    }
    let year = digits(line, at + 1, 4)?;
    let naive = days_from_civil(year as i32, month, day as u32) * 86_400_000 + secs * 1000 + ms;
    Some((naive, at + 6))
}

/// The time field of a JSON object on one line.
fn json(line: &[u8], zone: &LocalZone) -> Option<i64> {
    let start = line.iter().position(|b| !b.is_ascii_whitespace())?;
    if line[start] != b'{' {
        return None;
    }
    for key in [
        &b"\"time\""[..],
        b"\"timestamp\"",
        b"\"ts\"",
        b"\"@timestamp\"",
    ] {
        let mut from = start;
        while let Some(found) = memchr::memmem::find(&line[from..], key) {
            let at = from + found;
            from = at + key.len();
            // A key follows `{` or `,` (spaces aside); anything else is a value.
            let before = line[..at].iter().rev().find(|b| !b.is_ascii_whitespace());
            if !matches!(before, Some(b'{' | b',')) {
                continue;
            }
            let mut i = from;
            while line.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            if line.get(i) != Some(&b':') {
                continue;
            }
            i += 1;
            while line.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            if let Some(value) = json_time(&line[i..], zone) {
                return Some(value);
            }
        }
    }
    None
}

fn json_time(value: &[u8], zone: &LocalZone) -> Option<i64> {
    if value.first() == Some(&b'"') {
        let (time, _) = iso(&value[1..])?;
        return Some(time.resolve(zone));
    }
    let end = value
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b'.'))
        .unwrap_or(value.len());
    let number: f64 = std::str::from_utf8(&value[..end]).ok()?.parse().ok()?;
    // Epoch in seconds, ms, µs or ns, told apart by magnitude (anything
    // after 1973 in ms is above 1e11; in seconds, below until year 5138).
    let ms = if number >= 1e17 {
        number / 1e6
    } else if number >= 1e14 {
        number / 1e3
    } else if number >= 1e11 {
        number
    } else {
        number * 1e3
    };
    (ms.is_finite() && ms > 0.0).then_some(ms as i64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A wall-clock time as chrono sees it, for the rare callers that want one.
pub fn naive_from_ms(naive_ms: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp_millis(naive_ms).map(|t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    fn local(text: &str) -> i64 {
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        Local
            .from_local_datetime(&naive)
            .earliest()
            .unwrap()
            .timestamp_millis()
    }

    fn parse(format: Format, line: &str) -> Option<i64> {
        let mtime = utc("2026-11-24T00:00:00Z");
        Parser::new(format, mtime)
            .parse(line.as_bytes())
            .map(|s| s.ms)
    }

    #[test]
    fn iso_forms() {
        let f = Format::Iso(IsoStyle::Iso8601);
        assert_eq!(
            parse(f, "2026-11-20T06:00:00Z x"),
            Some(utc("2026-11-20T06:00:00Z"))
        );
        assert_eq!(
            parse(f, "2026-11-20T06:00:00.250+01:00 x"),
            Some(utc("2026-11-20T05:00:00.250Z"))
        );
        assert_eq!(
            parse(f, "2026-11-20 06:00:00,123-0130"),
            Some(utc("2026-11-20T07:30:00.123Z"))
        );
        assert_eq!(
            parse(f, "[2026-11-20 06:00:00 +0000] x"),
            Some(utc("2026-11-20T06:00:00Z"))
        );
        assert_eq!(
            parse(f, "2026-11-20 13:01:02,123 ERROR [api] x"),
            Some(local("2026-11-20 13:01:02.123"))
        );
        assert_eq!(parse(f, "  File \"x.py\", line 3"), None);
        assert_eq!(parse(f, "2026-13-20 06:00:00 x"), None);
    }

    #[test]
    fn syslog_takes_the_year_from_the_mtime_and_rolls_over() {
        let f = Format::Syslog;
        assert_eq!(
            parse(f, "Nov 22 12:00:01 host app: x"),
            Some(local("2026-11-22 12:00:01"))
        );
        assert_eq!(
            parse(f, "Nov  2 12:00:01 host app: x"),
            Some(local("2026-11-02 12:00:01"))
        );
        // The file was last written in November 2026: a December line is from 2025.
        assert_eq!(
            parse(f, "Dec 31 23:59:59 host app: x"),
            Some(local("2025-12-31 23:59:59"))
        );
        assert_eq!(parse(f, "Nov 32 12:00:01 x"), None);
    }

    #[test]
    fn access_and_error_logs() {
        assert_eq!(
            parse(
                Format::CommonLog,
                "10.0.0.1 - - [22/Nov/2026:12:00:01 +0200] \"GET / HTTP/1.1\" 200 5"
            ),
            Some(utc("2026-11-22T10:00:01Z"))
        );
        assert_eq!(
            parse(Format::ApacheError, "[Sun Dec 04 04:47:44 2005] [error] x"),
            Some(local("2005-12-04 04:47:44"))
        );
        assert_eq!(
            parse(
                Format::ApacheError,
                "[Sun Dec 04 04:47:44.123456 2005] [core:error] x"
            ),
            Some(local("2005-12-04 04:47:44.123"))
        );
    }

    #[test]
    fn json_fields_as_text_or_epoch() {
        let f = Format::Json;
        assert_eq!(
            parse(
                f,
                r#"{"level":"error","time":"2026-11-22T12:00:01Z","msg":"x"}"#
            ),
            Some(utc("2026-11-22T12:00:01Z"))
        );
        assert_eq!(
            parse(f, r#"{"ts": 1795348801.5, "msg":"x"}"#),
            Some(1_795_348_801_500)
        );
        assert_eq!(
            parse(f, r#"{"timestamp":1795348801000}"#),
            Some(1_795_348_801_000)
        );
        assert_eq!(parse(f, r#"{"msg":"the time is 5","x":1}"#), None);
        assert_eq!(
            parse(f, r#"{"msg":"x", "time" : "2026-11-22 12:00:01+00:00"}"#),
            Some(utc("2026-11-22T12:00:01Z"))
        );
    }

    #[test]
    fn detection_picks_the_format_most_lines_use() {
        let mtime = utc("2026-11-24T00:00:00Z");
        let head = b"2026-11-20 13:01:02,123 ERROR x\nTraceback (most recent call last):\n  File x\n2026-11-20 13:01:03,000 INFO y\n";
        assert_eq!(
            detect(head, mtime).unwrap().format,
            Format::Iso(IsoStyle::Python)
        );
        let head = b"2026-11-20T13:01:02Z x\n";
        assert_eq!(
            detect(head, mtime).unwrap().format,
            Format::Iso(IsoStyle::Rfc3339)
        );
        let head = b"Nov 22 12:00:01 host a\nNov 22 12:00:02 host b\n";
        assert_eq!(detect(head, mtime).unwrap().format, Format::Syslog);
        assert!(detect(b"no time here\nnor here\n", mtime).is_none());
    }

    #[test]
    fn the_shapes_of_public_logs() {
        let cases: [(Format, &str, &str); 12] = [
            (
                Format::Slashed,
                "2026/11/28 03:04:05 [error] 12#0: x",
                "2026-11-28 03:04:05",
            ),
            (
                Format::ShortSlashed,
                "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: x",
                "2017-06-09 20:10:40",
            ),
            (
                Format::Compact,
                "081109 203615 148 INFO dfs.DataNode$PacketResponder: x",
                "2008-11-09 20:36:15",
            ),
            (
                Format::Dotted,
                "2005-06-03-15.42.50.675872 R02-M1-N0",
                "2005-06-03 15:42:50.675",
            ),
            (
                Format::Joined,
                "20171223-22:15:29:606|Step_LSC|30002312|x",
                "2017-12-23 22:15:29.606",
            ),
            (
                Format::DayMonthYear,
                "28 Nov 2026 03:04:05.123 * Ready to accept connections",
                "2026-11-28 03:04:05.123",
            ),
            (
                Format::MonthDay,
                "03-17 16:13:38.811  1702  2395 D WindowManager: x",
                "2026-03-17 16:13:38.811",
            ),
            (
                Format::DottedMonthDay,
                "[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open",
                "2026-10-30 16:49:06",
            ),
            (
                Format::Glog,
                "I1123 03:04:05.123456  1234 main.cc:42] started",
                "2026-11-23 03:04:05.123",
            ),
            (Format::Compact, "081109 2036", ""),
            // HealthApp does not pad: one-digit fields, milliseconds as a count.
            (
                Format::Joined,
                "20171223-22:16:0:50|Step_LSC|30002312|x",
                "2017-12-23 22:16:00.050",
            ),
            (Format::Joined, "20171223-22:61:00:1|x", ""),
        ];
        for (format, line, want) in cases {
            let got = parse(format, line);
            if want.is_empty() {
                assert_eq!(got, None, "{line}");
            } else {
                assert_eq!(got, Some(local(want)), "{line}");
            }
        }
        assert_eq!(
            parse(Format::Epoch, "1117838570 2005.06.03 R02"),
            Some(utc("2005-06-03T22:42:50Z"))
        );
        assert_eq!(parse(Format::Epoch, "0000000042 x"), None, "not a time");
        assert_eq!(
            parse(
                Format::Iso(IsoStyle::Iso8601),
                "2026-11-20 06:00:00.125 UTC [123] LOG: x"
            ),
            Some(utc("2026-11-20T06:00:00.125Z"))
        );
    }

    #[test]
    fn a_year_less_time_is_the_latest_not_after_the_file() {
        // The file was written on 2026-11-24: a December line is from 2025.
        assert_eq!(
            parse(Format::MonthDay, "12-31 23:59:59.000 1 1 I x"),
            Some(local("2025-12-31 23:59:59"))
        );
        assert_eq!(
            parse(Format::Glog, "E1124 08:00:00.000000 1 x.cc:1] y"),
            Some(local("2026-11-24 08:00:00"))
        );
    }

    #[test]
    fn a_line_in_the_same_second_is_dated_as_a_full_parse_dates_it() {
        let lines = [
            "2026-11-20 13:01:02,123 INFO a",
            "2026-11-20 13:01:02,999 WARN b",
            "2026-11-20 13:01:02 INFO no fraction",
            "2026-11-20 13:01:02.5 INFO one digit",
            "2026-11-20 13:01:02.123456 INFO micro",
            "2026-11-20 13:01:02,123Z zoned",
            "2026-11-20 13:01:02,123 +02:00 zoned after a space",
            "2026-11-20 13:01:02.1 UTC postgres",
            "2026-11-20 13:01:02,7 GMTX not a zone",
            "2026-11-20 13:01:02,123-0500 zoned",
            "    continuation line",
            "2026-11-20 13:01:02,400",
            "2026-11-20 13:01:02,",
            "2026-11-20 13:01:02,x",
            "2026-11-20 13:01:03,001 next second",
            "[2026-11-20 13:01:03,002] bracketed",
            "2026-11-20T13:01:03.003Z rfc",
            "2026-11-20T13:01:03.004Z rfc",
            "2026-11-20 13:01:03,005 back to local",
        ];
        let parser = Parser::new(Format::Iso(IsoStyle::Python), utc("2026-11-24T00:00:00Z"));
        let mut last = LastSecond::default();
        for line in lines {
            let full = parser.parse(line.as_bytes()).map(|s| s.ms);
            assert_eq!(parser.time_of(line.as_bytes(), &mut last), full, "{line}");
        }
    }

    #[test]
    fn a_timestamp_after_leading_fields_is_found() {
        let mtime = utc("2026-11-24T00:00:00Z");
        let nova = b"nova-api.log.1 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server x\n\
                     nova-api.log.1 2017-05-16 00:00:00.272 25746 INFO nova.osapi_compute.wsgi.server y\n";
        let parser = detect(nova, mtime).unwrap();
        assert_eq!(
            (parser.format, parser.skip),
            (Format::Iso(IsoStyle::Iso8601), 1)
        );
        assert_eq!(parser.name(), "iso8601 after 1 field");
        let bgl = b"- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02 RAS KERNEL INFO x\n\
                    APPREAD 1117869872 2005.06.04 R04-M1-N4-I:J18-U11 2005-06-04-00.24.32.432192 R04 RAS APP FATAL y\n";
        let parser = detect(bgl, mtime).unwrap();
        assert_eq!((parser.format, parser.skip), (Format::Epoch, 1));
        let redis = b"1234:M 28 Nov 2026 03:04:05.123 * Ready to accept connections tcp\n\
                      1234:M 28 Nov 2026 03:04:06.001 * DB saved on disk\n";
        let parser = detect(redis, mtime).unwrap();
        assert_eq!((parser.format, parser.skip), (Format::DayMonthYear, 1));
        let stamp = parser.parse(&redis[..60]).unwrap();
        assert_eq!(&redis[stamp.span], b"28 Nov 2026 03:04:05.123");
        let hpc = b"134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change\n\
                    2557 node-77 action start 1074119817 1 clusterAddMember (command 1902)\n";
        let parser = detect(hpc, mtime).unwrap();
        assert_eq!((parser.format, parser.skip), (Format::Epoch, 4));
        assert_eq!(parser.name(), "unix-seconds after 4 fields");
        // ISO at the start still wins over the same found later.
        let plain = b"2026-11-20 06:00:00 x 2026-11-20 06:00:00\n";
        assert_eq!(detect(plain, mtime).unwrap().skip, 0);
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(
            days_from_civil(2026, 11, 24) * 86_400_000,
            utc("2026-11-24T00:00:00Z")
        );
    }
}
