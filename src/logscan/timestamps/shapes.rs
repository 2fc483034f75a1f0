//! The timestamp shapes beyond ISO 8601, syslog, Apache and JSON that real
//! logs use (issue 15): log4j's compact and slashed forms, nginx's error
//! log, BGL's dotted form, HealthApp's joined form, Unix seconds, Android
//! logcat, Proxifier, glog and Redis. Each matcher reads the start of the
//! text it is given and returns the wall-clock time as "Unix ms if it were
//! UTC" (or, for Unix seconds, the instant) and the bytes it took; year-less
//! shapes return month and day for the caller to give a year.

use super::{clock, days_from_civil, digits, fraction, month_number};

/// A time without a year: month, day, milliseconds of the day.
pub(super) type YearLess = (u32, u32, i64);

fn civil(year: i64, month: i64, day: i64, ms_of_day: i64) -> Option<i64> {
    ((1..=12).contains(&month) && (1..=31).contains(&day))
        .then(|| days_from_civil(year as i32, month as u32, day as u32) * 86_400_000 + ms_of_day)
}

/// Ends where a timestamp may end: the line's end, a space, or punctuation.
fn ends(text: &[u8], at: usize) -> bool {
    text.get(at).is_none_or(|b| !b.is_ascii_alphanumeric())
}

/// `2026/11/28 03:04:05[.fff]` (nginx's error log).
pub(super) fn slashed(text: &[u8]) -> Option<(i64, usize)> {
    if text.get(4) != Some(&b'/') || text.get(7) != Some(&b'/') || text.get(10) != Some(&b' ') {
        return None;
    }
    let secs = clock(text, 11)?;
    let (ms, frac) = fraction(text, 19);
    let naive = civil(
        digits(text, 0, 4)?,
        digits(text, 5, 2)?,
        digits(text, 8, 2)?,
        secs * 1000 + ms,
    )?;
    ends(text, 19 + frac).then_some((naive, 19 + frac))
}

/// `17/06/09 20:10:40` (log4j `yy/MM/dd HH:mm:ss`, Spark).
pub(super) fn short_slashed(text: &[u8]) -> Option<(i64, usize)> {
    if text.get(2) != Some(&b'/') || text.get(5) != Some(&b'/') || text.get(8) != Some(&b' ') {
        return None;
    }
    let secs = clock(text, 9)?;
    let (ms, frac) = fraction(text, 17);
    let naive = civil(
        2000 + digits(text, 0, 2)?,
        digits(text, 3, 2)?,
        digits(text, 6, 2)?,
        secs * 1000 + ms,
    )?;
    ends(text, 17 + frac).then_some((naive, 17 + frac))
}

/// `081109 203615` (log4j `yyMMdd HHmmss`, HDFS).
pub(super) fn compact(text: &[u8]) -> Option<(i64, usize)> {
    if text.get(6) != Some(&b' ') || !ends(text, 13) {
        return None;
    }
    let (h, m, s) = (
        digits(text, 7, 2)?,
        digits(text, 9, 2)?,
        digits(text, 11, 2)?,
    );
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let naive = civil(
        2000 + digits(text, 0, 2)?,
        digits(text, 2, 2)?,
        digits(text, 4, 2)?,
        (h * 3600 + m * 60 + s) * 1000,
    )?;
    Some((naive, 13))
}

/// `2005-06-03-15.42.50.675872` (BGL).
pub(super) fn dotted(text: &[u8]) -> Option<(i64, usize)> {
    if text.get(4) != Some(&b'-')
        || text.get(7) != Some(&b'-')
        || text.get(10) != Some(&b'-')
        || text.get(13) != Some(&b'.')
        || text.get(16) != Some(&b'.')
    {
        return None;
    }
    let (h, m, s) = (
        digits(text, 11, 2)?,
        digits(text, 14, 2)?,
        digits(text, 17, 2)?,
    );
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let (ms, frac) = fraction(text, 19);
    let naive = civil(
        digits(text, 0, 4)?,
        digits(text, 5, 2)?,
        digits(text, 8, 2)?,
        (h * 3600 + m * 60 + s) * 1000 + ms,
    )?;
    ends(text, 19 + frac).then_some((naive, 19 + frac))
}

/// `20171223-22:15:29:606` (HealthApp: milliseconds after a colon). HealthApp
/// does not pad its fields (`20171223-22:16:0:50`): each holds one or two
/// digits, and the milliseconds after the colon are a count, not a fraction.
pub(super) fn joined(text: &[u8]) -> Option<(i64, usize)> {
    if text.get(8) != Some(&b'-') {
        return None;
    }
    let mut at = 9;
    let hours = unpadded(text, &mut at, 2, 23)?;
    let minutes = after(text, &mut at, b':').and_then(|()| unpadded(text, &mut at, 2, 59))?;
    let seconds = after(text, &mut at, b':').and_then(|()| unpadded(text, &mut at, 2, 60))?;
    let ms = match text.get(at) {
        Some(b':') => {
            at += 1;
            unpadded(text, &mut at, 3, 999)?
        }
        Some(b'.') => {
            at += 1;
            let start = at;
            let value = unpadded(text, &mut at, 3, 999)?;
            value * 10_i64.pow(3 - (at - start) as u32)
        }
        _ => 0,
    };
    let naive = civil(
        digits(text, 0, 4)?,
        digits(text, 4, 2)?,
        digits(text, 6, 2)?,
        (hours * 3600 + minutes * 60 + seconds) * 1000 + ms,
    )?;
    ends(text, at).then_some((naive, at))
}

/// A number of one to `max` digits at `*at`, no more than `most`; moves `at` past it.
fn unpadded(text: &[u8], at: &mut usize, max: usize, most: i64) -> Option<i64> {
    let len = text[(*at).min(text.len())..]
        .iter()
        .take(max + 1)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if len == 0 || len > max {
        return None;
    }
    let value = digits(text, *at, len)?;
    *at += len;
    (value <= most).then_some(value)
}

/// Moves `at` past `byte` when it is there.
fn after(text: &[u8], at: &mut usize, byte: u8) -> Option<()> {
    (text.get(*at) == Some(&byte)).then(|| *at += 1)
}

/// Unix seconds, ten digits (2001 to 2286) and an optional fraction: the instant.
pub(super) fn epoch(text: &[u8]) -> Option<(i64, usize)> {
    let seconds = digits(text, 0, 10)?;
    // From 2000 on: a smaller ten-digit number is more likely a count or an id.
    if seconds < 946_684_800 {
        return None;
    }
    let (ms, frac) = fraction(text, 10);
    ends(text, 10 + frac).then_some((seconds * 1000 + ms, 10 + frac))
}

/// `03-17 16:13:38.811` (Android logcat): no year.
pub(super) fn month_day(text: &[u8]) -> Option<(YearLess, usize)> {
    if text.get(2) != Some(&b'-') || text.get(5) != Some(&b' ') {
        return None;
    }
    let secs = clock(text, 6)?;
    let (ms, frac) = fraction(text, 14);
    let (month, day) = (digits(text, 0, 2)?, digits(text, 3, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !ends(text, 14 + frac) {
        return None;
    }
    Some(((month as u32, day as u32, secs * 1000 + ms), 14 + frac))
}

/// `[10.30 16:49:06]` (Proxifier): no year.
pub(super) fn dotted_month_day(text: &[u8]) -> Option<(YearLess, usize)> {
    if text.first() != Some(&b'[') || text.get(3) != Some(&b'.') || text.get(6) != Some(&b' ') {
        return None;
    }
    let secs = clock(text, 7)?;
    let (ms, frac) = fraction(text, 15);
    if text.get(15 + frac) != Some(&b']') {
        return None;
    }
    let (month, day) = (digits(text, 1, 2)?, digits(text, 4, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(((month as u32, day as u32, secs * 1000 + ms), 16 + frac))
}

/// `I1128 03:04:05.123456` (glog: the level letter, then MMDD): no year.
pub(super) fn glog(text: &[u8]) -> Option<(YearLess, usize)> {
    if !matches!(text.first(), Some(b'I' | b'W' | b'E' | b'F')) || text.get(5) != Some(&b' ') {
        return None;
    }
    let secs = clock(text, 6)?;
    let (ms, frac) = fraction(text, 14);
    let (month, day) = (digits(text, 1, 2)?, digits(text, 3, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !ends(text, 14 + frac) {
        return None;
    }
    Some(((month as u32, day as u32, secs * 1000 + ms), 14 + frac))
}

/// `28 Nov 2026 03:04:05.123` (Redis, after `pid:role `).
pub(super) fn day_month_year(text: &[u8]) -> Option<(i64, usize)> {
    let (day, at) = match text.get(1) {
        Some(b' ') => (digits(text, 0, 1)?, 2),
        _ => (digits(text, 0, 2)?, 3),
    };
    if text.get(at - 1) != Some(&b' ')
        || text.get(at + 3) != Some(&b' ')
        || text.get(at + 8) != Some(&b' ')
    {
        return None;
    }
    let month = month_number(&text[at..])?;
    let year = digits(text, at + 4, 4)?;
    let secs = clock(text, at + 9)?;
    let (ms, frac) = fraction(text, at + 17);
    let len = at + 17 + frac;
    let naive = civil(year, i64::from(month), day, secs * 1000 + ms)?;
    ends(text, len).then_some((naive, len))
}
