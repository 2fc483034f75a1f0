//! Access logs in the Common and Combined Log Formats, as nginx and Apache
//! write them: `IP - user [time] "GET /path HTTP/1.1" 200 512 "referer" "agent"`,
//! perhaps followed by a response time. Every request in the window is
//! counted by status, the paths of 4xx and 5xx answers are ranked, requests
//! are bucketed in time, and response times are summed up as percentiles.

use std::collections::BTreeMap;

use super::templates::FastMap;

/// At most this many distinct paths are ranked per status class, so a
/// scan of URLs full of ids stays within its memory budget; requests to
/// paths past it are counted apart.
const MAX_PATHS: usize = 10_000;

/// One request line's parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request<'a> {
    pub status: u16,
    /// The path without its query string.
    pub path: &'a [u8],
    /// The response time the line logs, in milliseconds.
    pub latency_ms: Option<f64>,
}

/// Reads a request from a Common/Combined Log Format line: the quoted
/// request after the `[time]`, then the status and size.
///
/// A response time is the first number after the size or after the last
/// quoted field: with a decimal point it is in seconds (nginx's
/// `$request_time`, `rt=0.123` too), without one in microseconds (Apache's
/// `%D`).
pub fn parse(line: &[u8]) -> Option<Request<'_>> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let open = memchr::memmem::find(line, b"] \"")? + 3;
    let close = closing_quote(line, open)?;
    let request = &line[open..close];
    let mut parts = request.split(|&b| b == b' ').filter(|p| !p.is_empty());
    let method = parts.next()?;
    if !method.iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let target = parts.next().unwrap_or(b"-");
    let path = target.split(|&b| b == b'?').next().unwrap_or(target);
    let mut rest = line[close + 1..]
        .split(|&b| b == b' ')
        .filter(|p| !p.is_empty());
    let status = rest.next()?;
    if status.len() != 3 || !status.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let status = std::str::from_utf8(status).ok()?.parse().ok()?;
    let size = rest.next()?;
    if size != b"-" && !size.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // What follows the size: quoted fields (referer, agent), then perhaps a time.
    let after_status = close + 1 + memchr::memmem::find(&line[close + 1..], size)? + size.len();
    let latency_ms = unquoted_fields(line, after_status).find_map(response_time);
    Some(Request {
        status,
        path,
        latency_ms,
    })
}

/// The end of a quoted field that starts at `from`, past `\"` escapes.
fn closing_quote(line: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let quote = at + memchr::memchr(b'"', &line[at..])?;
        if quote > from && line[quote - 1] == b'\\' {
            at = quote + 1;
            continue;
        }
        return Some(quote);
    }
}

/// The space-separated fields of `line` from `from` on, without the
/// quoted ones (a user agent holds spaces and numbers).
fn unquoted_fields(line: &[u8], from: usize) -> impl Iterator<Item = &[u8]> {
    let mut at = from;
    std::iter::from_fn(move || {
        loop {
            while line.get(at) == Some(&b' ') {
                at += 1;
            }
            if at >= line.len() {
                return None;
            }
            if line[at] == b'"' {
                at = closing_quote(line, at + 1).map_or(line.len(), |q| q + 1);
                continue;
            }
            let start = at;
            at += memchr::memchr(b' ', &line[at..]).unwrap_or(line.len() - at);
            return Some(&line[start..at]);
        }
    })
}

/// A response time field in milliseconds: `0.123` and `rt=0.123` are
/// seconds, `123456` microseconds.
fn response_time(field: &[u8]) -> Option<f64> {
    let value = match memchr::memchr(b'=', field) {
        Some(eq) => {
            let key = &field[..eq];
            if !matches!(
                key,
                b"rt" | b"request_time" | b"upstream_response_time" | b"urt"
            ) {
                return None;
            }
            &field[eq + 1..]
        }
        None => field,
    };
    let value = value.strip_prefix(b"\"").unwrap_or(value);
    let value = value.strip_suffix(b"\"").unwrap_or(value);
    if value.is_empty() || !value.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return None;
    }
    let number: f64 = std::str::from_utf8(value).ok()?.parse().ok()?;
    Some(if value.contains(&b'.') {
        number * 1000.0
    } else {
        number / 1000.0
    })
}

/// Whether a file is an access log: at least half of its first lines (and
/// 4 or more) are requests.
pub fn detect(head: &[u8]) -> bool {
    let (mut lines, mut requests) = (0, 0);
    for line in head
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .take(200)
    {
        lines += 1;
        requests += usize::from(parse(line).is_some());
    }
    requests >= 4 && requests * 2 >= lines
}

/// Response times in buckets 2^(1/8) wide from 1 µs: a percentile read from
/// them is within 5 % of the true one (the bucket's middle is 4.4 % from
/// either edge), in constant memory.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    buckets: Vec<u64>,
    pub count: u64,
}

const PER_DOUBLING: f64 = 8.0;
const SMALLEST_MS: f64 = 0.001;

impl Latencies {
    fn add(&mut self, ms: f64) {
        let index = if ms <= SMALLEST_MS {
            0
        } else {
            ((ms / SMALLEST_MS).log2() * PER_DOUBLING).ceil() as usize
        };
        if self.buckets.len() <= index {
            self.buckets.resize(index + 1, 0);
        }
        self.buckets[index] += 1;
        self.count += 1;
    }

    fn merge(&mut self, other: &Latencies) {
        if self.buckets.len() < other.buckets.len() {
            self.buckets.resize(other.buckets.len(), 0);
        }
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.count += other.count;
    }

    /// The `q` quantile (0..=1) in milliseconds: the geometric middle of
    /// its bucket.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let middle = (index as f64 - 0.5).max(0.0);
                return Some(SMALLEST_MS * (middle / PER_DOUBLING).exp2());
            }
        }
        None
    }
}

/// What the requests of an access log said, in the window.
#[derive(Debug, Clone, Default)]
pub struct AccessStats {
    pub requests: u64,
    pub statuses: BTreeMap<u16, u64>,
    /// Requests per path, for 4xx and for 5xx answers.
    pub paths_4xx: FastMap<Vec<u8>, u64>,
    pub paths_5xx: FastMap<Vec<u8>, u64>,
    /// Requests whose path was not ranked: past [`MAX_PATHS`] distinct ones.
    pub unranked: u64,
    /// Requests per bucket of the report's width (bucket start / width).
    pub per_bucket: FastMap<i64, u64>,
    pub width: i64,
    pub latencies: Latencies,
}

impl AccessStats {
    pub fn new(width: i64) -> AccessStats {
        AccessStats {
            width,
            ..AccessStats::default()
        }
    }

    pub fn add(&mut self, request: &Request<'_>, time: Option<i64>) {
        self.requests += 1;
        *self.statuses.entry(request.status).or_insert(0) += 1;
        let paths = match request.status / 100 {
            4 => Some(&mut self.paths_4xx),
            5 => Some(&mut self.paths_5xx),
            _ => None,
        };
        if let Some(paths) = paths {
            if let Some(count) = paths.get_mut(request.path) {
                *count += 1;
            } else if paths.len() < MAX_PATHS {
                paths.insert(request.path.to_vec(), 1);
            } else {
                self.unranked += 1;
            }
        }
        if let Some(time) = time
            && self.width > 0
        {
            *self
                .per_bucket
                .entry(time.div_euclid(self.width))
                .or_insert(0) += 1;
        }
        if let Some(ms) = request.latency_ms {
            self.latencies.add(ms);
        }
    }

    pub fn merge(&mut self, other: AccessStats) {
        self.requests += other.requests;
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_insert(0) += n;
        }
        for (mine, theirs) in [
            (&mut self.paths_4xx, other.paths_4xx),
            (&mut self.paths_5xx, other.paths_5xx),
        ] {
            for (path, n) in theirs {
                if let Some(count) = mine.get_mut(&path) {
                    *count += n;
                } else if mine.len() < MAX_PATHS {
                    mine.insert(path, n);
                } else {
                    self.unranked += n;
                }
            }
        }
        self.unranked += other.unranked;
        for (bucket, n) in other.per_bucket {
            *self.per_bucket.entry(bucket).or_insert(0) += n;
        }
        self.latencies.merge(&other.latencies);
    }

    /// Requests whose status is in `class` (4 for 4xx).
    pub fn class(&self, class: u16) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| **status / 100 == class)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn status(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    /// The `n` paths with the most answers of class 4 or 5, most first.
    pub fn top_paths(&self, class: u16, n: usize) -> Vec<(&[u8], u64)> {
        let paths = if class == 5 {
            &self.paths_5xx
        } else {
            &self.paths_4xx
        };
        let mut ranked: Vec<(&[u8], u64)> = paths.iter().map(|(p, n)| (p.as_slice(), *n)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        ranked.truncate(n);
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_common_and_timed_lines() {
        let combined = br#"203.0.113.9 - - [10/Dec/2026:07:03:00 +0000] "GET /admin?x=1 HTTP/1.1" 401 12 "-" "curl/8.0 (x)""#;
        assert_eq!(
            parse(combined),
            Some(Request {
                status: 401,
                path: b"/admin",
                latency_ms: None
            })
        );
        let common =
            br#"10.0.0.1 - bob [10/Dec/2026:07:03:00 +0000] "POST /api/v1/tasks HTTP/1.1" 500 -"#;
        assert_eq!(parse(common).unwrap().status, 500);
        assert_eq!(parse(common).unwrap().path, b"/api/v1/tasks");
        let nginx = br#"10.0.0.1 - - [10/Dec/2026:07:03:00 +0000] "GET / HTTP/1.1" 200 512 "-" "Mozilla \"quoted\"" 0.250"#;
        assert_eq!(parse(nginx).unwrap().latency_ms, Some(250.0));
        let keyed = br#"10.0.0.1 - - [10/Dec/2026:07:03:00 +0000] "GET / HTTP/1.1" 200 512 "-" "ua" rt=1.5 uct="0.001""#;
        assert_eq!(parse(keyed).unwrap().latency_ms, Some(1500.0));
        let apache = br#"10.0.0.1 - - [10/Dec/2026:07:03:00 +0000] "GET / HTTP/1.1" 200 512 "-" "ua" 123456"#;
        assert_eq!(parse(apache).unwrap().latency_ms, Some(123.456));
        // Not requests.
        assert_eq!(parse(b"2026-11-28 10:00:00 ERROR [db] down"), None);
        assert_eq!(
            parse(br#"x [10/Dec/2026:07:03:00 +0000] "not a request" 2000 1"#),
            None
        );
    }

    #[test]
    fn stats_count_rank_and_measure() {
        let mut stats = AccessStats::new(3_600_000);
        for (status, path, ms) in [
            (200, "/", 10.0),
            (500, "/api", 100.0),
            (500, "/api", 200.0),
            (503, "/health", 1000.0),
            (404, "/x", 20.0),
        ] {
            stats.add(
                &Request {
                    status,
                    path: path.as_bytes(),
                    latency_ms: Some(ms),
                },
                Some(0),
            );
        }
        assert_eq!(
            (stats.requests, stats.class(5), stats.status(500)),
            (5, 3, 2)
        );
        assert_eq!(stats.top_paths(5, 1), vec![(&b"/api"[..], 2)]);
        let p50 = stats.latencies.quantile(0.5).unwrap();
        assert!((p50 / 100.0 - 1.0).abs() < 0.1, "{p50}");
        let max = stats.latencies.quantile(1.0).unwrap();
        assert!((max / 1000.0 - 1.0).abs() < 0.1, "{max}");
        let mut other = AccessStats::new(3_600_000);
        other.merge(stats);
        assert_eq!(other.per_bucket[&0], 5);
    }
}
