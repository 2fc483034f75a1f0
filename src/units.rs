//! The units operators type and read: durations such as `500ms`, `15m`, `7d`
//! on the way in, and `12 ms`, `3h 05m`, `1.2 GiB` on the way out.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A duration as written in flags and `maint.toml`: one or more
/// `<number><unit>` parts, units `ms`, `s`, `m`, `h`, `d`, `w` (`1h30m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(pub Duration);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {text:?}: {reason} (write it like 500ms, 2s, 15m, 24h or 7d)")]
pub struct SpanError {
    text: String,
    reason: &'static str,
}

impl FromStr for Span {
    type Err = SpanError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |reason| SpanError {
            text: text.to_owned(),
            reason,
        };
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(fail("it is empty"));
        }
        let mut total = 0f64;
        while !rest.is_empty() {
            let number_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            if number_len == 0 {
                return Err(fail("expected a number"));
            }
            let number: f64 = rest[..number_len]
                .parse()
                .map_err(|_| fail("the number does not parse"))?;
            rest = &rest[number_len..];
            let unit_len = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            let seconds_per_unit = match &rest[..unit_len] {
                "ms" => 0.001,
                "s" | "sec" => 1.0,
                "m" | "min" => 60.0,
                "h" => 3600.0,
                "d" => 86_400.0,
                "w" => 604_800.0,
                "" => return Err(fail("a unit is missing")),
                _ => return Err(fail("unknown unit")),
            };
            total += number * seconds_per_unit;
            rest = rest[unit_len..].trim_start();
        }
        if !total.is_finite() || total > 100.0 * 365.0 * 86_400.0 {
            return Err(fail("it is too long"));
        }
        Ok(Span(Duration::from_secs_f64(total)))
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&compact_duration(self.0))
    }
}

impl From<Span> for Duration {
    fn from(span: Span) -> Self {
        span.0
    }
}

/// A size as written in `maint.toml`: a number and a unit, `B`, `KiB`,
/// `MiB`, `GiB`, `TiB`, or PostgreSQL's `kB`, `MB`, `GB`, `TB` (which it
/// counts in 1024s too, as postgresql.conf does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid size {text:?}: {reason} (write it like 512MiB or 10GiB)")]
pub struct ByteSizeError {
    text: String,
    reason: &'static str,
}

impl FromStr for ByteSize {
    type Err = ByteSizeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |reason| ByteSizeError {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        if number.is_empty() {
            return Err(fail("expected a number"));
        }
        let number: f64 = number
            .parse()
            .map_err(|_| fail("the number does not parse"))?;
        let scale: f64 = match unit.trim() {
            "B" => 1.0,
            "KiB" | "kB" => 1024.0,
            "MiB" | "MB" => 1024.0 * 1024.0,
            "GiB" | "GB" => 1024.0 * 1024.0 * 1024.0,
            "TiB" | "TB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            "" => return Err(fail("a unit is missing")),
            _ => return Err(fail("unknown unit")),
        };
        let bytes = number * scale;
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err(fail("it is too large"));
        }
        Ok(ByteSize(bytes.round() as u64))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `Span`'s own notation, for showing a configured duration back (`1h30m`, `2s`, `500ms`).
pub fn compact_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_owned();
    }
    if millis % 1000 != 0 {
        return format!("{millis}ms");
    }
    let mut seconds = duration.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if seconds >= size {
            out.push_str(&format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    out
}

/// A duration for people: `850 µs`, `12 ms`, `1.4 s`, `5m 03s`, `3h 05m`, `2d 04h`.
pub fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 0.001 {
        format!("{} µs", duration.as_micros())
    } else if seconds < 1.0 {
        format!("{} ms", duration.as_millis())
    } else if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        let whole = duration.as_secs();
        let (days, hours, minutes, secs) = (
            whole / 86_400,
            whole % 86_400 / 3600,
            whole % 3600 / 60,
            whole % 60,
        );
        if days > 0 {
            format!("{days}d {hours:02}h")
        } else if hours > 0 {
            format!("{hours}h {minutes:02}m")
        } else {
            format!("{minutes}m {secs:02}s")
        }
    }
}

/// A moment as reports write it in text: to the second, in UTC, and saying so.
pub fn utc_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A moment to the minute, where seconds are noise (certificate dates).
pub fn utc_minute(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The day of a moment, in UTC.
pub fn utc_day(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d").to_string()
}

/// Sizes in binary units as `df -h` prints them: `512 B`, `1.5 KiB`, `38.2 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A number without a trailing `.0`, at most `decimals` after the point.
pub fn trim_number(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str) -> Duration {
        text.parse::<Span>().unwrap().0
    }

    #[test]
    fn parses_the_units_of_the_design() {
        assert_eq!(span("500ms"), Duration::from_millis(500));
        assert_eq!(span("2s"), Duration::from_secs(2));
        assert_eq!(span("15m"), Duration::from_secs(900));
        assert_eq!(span("24h"), Duration::from_secs(86_400));
        assert_eq!(span("7d"), Duration::from_secs(604_800));
        assert_eq!(span("1h30m"), Duration::from_secs(5400));
        assert_eq!(span("1.5s"), Duration::from_millis(1500));
    }

    #[test]
    fn rejects_what_is_ambiguous() {
        for bad in ["", "10", "ms", "5 parsecs", "1..2s", "-1s"] {
            let err = bad.parse::<Span>().unwrap_err().to_string();
            assert!(err.contains("invalid duration"), "{bad}: {err}");
        }
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        let size = |text: &str| text.parse::<ByteSize>().map(|s| s.0);
        assert_eq!(size("512MiB"), Ok(512 << 20));
        assert_eq!(size("1GB"), Ok(1 << 30));
        assert_eq!(size("1.5 KiB"), Ok(1536));
        assert_eq!(size("100B"), Ok(100));
        for bad in ["", "10", "GiB", "5 parsecs", "-1GiB"] {
            let err = size(bad).unwrap_err().to_string();
            assert!(err.contains("invalid size"), "{bad}: {err}");
        }
    }

    #[test]
    fn shows_durations_back_in_their_own_notation() {
        assert_eq!(compact_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(compact_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(Span(Duration::from_secs(10)).to_string(), "10s");
    }

    #[test]
    fn human_forms() {
        assert_eq!(human_duration(Duration::from_millis(12)), "12 ms");
        assert_eq!(human_duration(Duration::from_millis(1450)), "1.4 s");
        assert_eq!(human_duration(Duration::from_secs(303)), "5m 03s");
        assert_eq!(
            human_duration(Duration::from_secs(3 * 3600 + 300)),
            "3h 05m"
        );
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(300 * 1024 * 1024 * 1024), "300 GiB");
        assert_eq!(trim_number(80.0, 2), "80");
        assert_eq!(trim_number(12.345, 1), "12.3");
    }
}
