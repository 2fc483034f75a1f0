//! Time windows: the `--since`/`--until` forms people type, and the binary
//! search that finds where a window starts in sorted log text without
//! reading what comes before it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Datelike, Local, NaiveDate, TimeZone, Utc};

use super::timestamps::{self, LocalZone, Parser};

/// A point in time as written on the command line or in `maint.toml`,
/// resolved against the time of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSpec {
    /// `24h`, `90m`, `7d`: that long before now.
    Ago(Duration),
    Now,
    /// Local midnight today.
    Today,
    /// Local midnight yesterday.
    Yesterday,
    /// `2026-11-20`: local midnight of that day.
    Date(NaiveDate),
    /// `2026-11-20T06:00:00Z`, `2026-11-20 06:00`, with or without zone.
    At(timestamps::IsoTime),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a time: write 24h (ago), 2026-11-20, 2026-11-20T06:00:00Z, today, yesterday or now"
)]
pub struct TimeSpecError {
    text: String,
}

impl FromStr for TimeSpec {
    type Err = TimeSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = || TimeSpecError {
            text: text.to_owned(),
        };
        let trimmed = text.trim();
        match trimmed {
            "now" => return Ok(TimeSpec::Now),
            "today" => return Ok(TimeSpec::Today),
            "yesterday" => return Ok(TimeSpec::Yesterday),
            _ => {}
        }
        if trimmed.starts_with(|c: char| c.is_ascii_digit())
            && trimmed.ends_with(|c: char| c.is_ascii_alphabetic())
            && !trimmed.contains('-')
        {
            return trimmed
                .parse::<crate::units::Span>()
                .map(|span| TimeSpec::Ago(span.0))
                .map_err(|_| fail());
        }
        if trimmed.len() == 10
            && let Ok(date) = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        {
            return Ok(TimeSpec::Date(date));
        }
        // Minutes without seconds are common when typing; fill in `:00`.
        let padded;
        let bytes = if trimmed.len() == 16 {
            padded = format!("{trimmed}:00");
            padded.as_bytes()
        } else {
            trimmed.as_bytes()
        };
        match timestamps::iso(bytes) {
            Some((time, len)) if len == bytes.len() => Ok(TimeSpec::At(time)),
            _ => Err(fail()),
        }
    }
}

impl<'de> serde::Deserialize<'de> for TimeSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl TimeSpec {
    /// Unix ms of this time, for a run at `now`.
    pub fn resolve(&self, now: DateTime<Utc>) -> i64 {
        let midnight = |date: NaiveDate| {
            let naive = date.and_hms_opt(0, 0, 0).expect("midnight exists");
            Local.from_local_datetime(&naive).earliest().map_or_else(
                || naive.and_utc().timestamp_millis(),
                |t| t.timestamp_millis(),
            )
        };
        let today = now.with_timezone(&Local).date_naive();
        match self {
            TimeSpec::Ago(span) => now.timestamp_millis() - span.as_millis() as i64,
            TimeSpec::Now => now.timestamp_millis(),
            TimeSpec::Today => midnight(today),
            TimeSpec::Yesterday => midnight(today.pred_opt().unwrap_or(today)),
            TimeSpec::Date(date) => midnight(*date),
            TimeSpec::At(time) => time.resolve(&LocalZone::default()),
        }
    }
}

/// A resolved window, `since <= t < until`, in Unix ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl Window {
    pub fn is_bounded(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    pub fn contains(&self, ms: i64) -> bool {
        self.since.is_none_or(|since| ms >= since) && self.until.is_none_or(|until| ms < until)
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |ms: i64| {
            DateTime::from_timestamp_millis(ms)
                .map(|t| {
                    t.with_timezone(&Local)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string()
                })
                .unwrap_or_default()
        };
        match (self.since, self.until) {
            (None, None) => f.write_str("all lines"),
            (Some(since), None) => write!(f, "since {}", show(since)),
            (None, Some(until)) => write!(f, "until {}", show(until)),
            (Some(since), Some(until)) => write!(f, "{} to {}", show(since), show(until)),
        }
    }
}

/// The year of a time, in local time (syslog lines carry none).
pub fn local_year(ms: i64) -> i32 {
    DateTime::from_timestamp_millis(ms).map_or(1970, |t| t.with_timezone(&Local).year())
}

/// Finds the first dated line with a time at or after `target` in sorted
/// text, by binary search over byte offsets. `probe(pos, limit)` returns the
/// first dated line starting in `[pos, limit)` as (start, time). The search
/// narrows to `resolution` bytes and returns a line start at or before the
/// answer (exact when `resolution` is 0 and `linear` is given).
pub fn search(
    range: std::ops::Range<u64>,
    target: i64,
    resolution: u64,
    mut probe: impl FnMut(u64, u64) -> Option<(u64, i64)>,
) -> Search {
    let mut lo = range.start;
    let mut hi = range.end;
    // What to answer if no dated line at or after `target` is found before `hi`.
    let mut beyond = range.end;
    while hi - lo > resolution.max(1) {
        let mid = lo + (hi - lo) / 2;
        match probe(mid, hi) {
            Some((start, time)) if time < target => lo = start + 1,
            Some((start, _)) => {
                hi = start;
                beyond = start;
            }
            None => hi = mid,
        }
    }
    Search { lo, hi, beyond }
}

/// Where a [`search`] ended: the answer is the first dated line at or
/// after the target starting in `[lo, hi)`, else `beyond`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Search {
    pub lo: u64,
    pub hi: u64,
    pub beyond: u64,
}

/// The first dated line starting in `text[from..limit]`, as (start, time).
pub fn next_dated(text: &[u8], from: usize, limit: usize, parser: &Parser) -> Option<(usize, i64)> {
    let mut start = line_start_at_or_after(text, from);
    while start < limit {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        if let Some(stamp) = parser.parse(&text[start..end]) {
            return Some((start, stamp.ms));
        }
        start = end + 1;
    }
    None
}

/// The first line start at or after `pos` (a position just after a newline, or 0).
pub fn line_start_at_or_after(text: &[u8], pos: usize) -> usize {
    if pos == 0 || pos >= text.len() {
        return pos.min(text.len());
    }
    if text[pos - 1] == b'\n' {
        return pos;
    }
    memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1)
}

/// The offset in `text` of the first dated line at or after `target`, or
/// `text.len()` when every dated line is before it. Lines are taken to be
/// in time order, as loggers write them.
pub fn first_at_or_after(text: &[u8], parser: &Parser, target: i64) -> usize {
    let found = search(0..text.len() as u64, target, 4096, |pos, limit| {
        next_dated(text, pos as usize, limit as usize, parser).map(|(s, t)| (s as u64, t))
    });
    let mut pos = found.lo as usize;
    while let Some((start, time)) = next_dated(text, pos, found.hi as usize, parser) {
        if time >= target {
            return start;
        }
        pos = start + 1;
    }
    found.beyond as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logscan::timestamps::{Format, IsoStyle};

    #[test]
    fn forms_people_type() {
        assert_eq!(
            "24h".parse::<TimeSpec>(),
            Ok(TimeSpec::Ago(Duration::from_secs(86_400)))
        );
        assert_eq!("yesterday".parse::<TimeSpec>(), Ok(TimeSpec::Yesterday));
        assert!(matches!(
            "2026-11-20".parse::<TimeSpec>(),
            Ok(TimeSpec::Date(_))
        ));
        let at = "2026-11-20T06:00:00Z".parse::<TimeSpec>().unwrap();
        let now = Utc::now();
        assert_eq!(
            at.resolve(now),
            DateTime::parse_from_rfc3339("2026-11-20T06:00:00Z")
                .unwrap()
                .timestamp_millis()
        );
        assert!(matches!(
            "2026-11-20 06:00".parse::<TimeSpec>(),
            Ok(TimeSpec::At(_))
        ));
        let hour_ago = "1h".parse::<TimeSpec>().unwrap().resolve(now);
        assert_eq!(now.timestamp_millis() - hour_ago, 3_600_000);
        for bad in [
            "last week",
            "24",
            "2026-11-32",
            "2026-11-20T06:00:00Zjunk",
            "",
        ] {
            assert!(bad.parse::<TimeSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn binary_search_finds_the_first_line_in_the_window() {
        let mut text = String::new();
        for minute in 0..600 {
            text.push_str(&format!(
                "2026-11-20T{:02}:{:02}:00Z line {minute}\n  continuation\n",
                minute / 60,
                minute % 60
            ));
        }
        let parser = Parser::new(Format::Iso(IsoStyle::Rfc3339), 0);
        let at = |hh: u32, mm: u32| {
            DateTime::parse_from_rfc3339(&format!("2026-11-20T{hh:02}:{mm:02}:00Z"))
                .unwrap()
                .timestamp_millis()
        };
        let pos = first_at_or_after(text.as_bytes(), &parser, at(3, 7));
        assert!(text[pos..].starts_with("2026-11-20T03:07:00Z line 187\n"));
        assert_eq!(first_at_or_after(text.as_bytes(), &parser, at(0, 0)), 0);
        assert_eq!(
            first_at_or_after(text.as_bytes(), &parser, at(23, 0)),
            text.len()
        );
        let between = at(3, 7) + 30_000;
        let pos = first_at_or_after(text.as_bytes(), &parser, between);
        assert!(text[pos..].starts_with("2026-11-20T03:08:00Z"));
    }
}
