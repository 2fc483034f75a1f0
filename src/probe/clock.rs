//! Clock synchronisation: whether the kernel's clock is disciplined by a
//! time source, and how far off the daemon doing it measures it.
//!
//! The kernel's own flag (`STA_UNSYNC` in `adjtimex(2)`) is the source
//! preferred: it needs no daemon and reads the same in a container. The
//! crate forbids `unsafe`, so it is read through a helper that prints it:
//! `adjtimex --print` (Debian's `adjtimex`), else `timedatectl show`
//! (`NTPSynchronized` is timedated reading that same flag). The offset comes
//! from the daemon that measures it: `chronyc -c tracking`, or
//! `timedatectl timesync-status` for systemd-timesyncd.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::child::{self, OnInterrupt};

/// `STA_UNSYNC` in `timex.status`: no source disciplines the clock.
const STA_UNSYNC: u64 = 0x0040;

/// Where the synchronisation state was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The kernel's status word, read by `adjtimex --print`.
    Kernel,
    /// systemd's timedated (`timedatectl show`), which reads the kernel's flag.
    Timedated,
    /// chrony's own view (`chronyc tracking`, its leap status).
    Chrony,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::Kernel => "kernel (adjtimex)",
            Source::Timedated => "timedatectl",
            Source::Chrony => "chronyc tracking",
        }
    }
}

/// The offset a daemon measured, and which daemon.
#[derive(Clone, Debug, PartialEq)]
pub struct Offset {
    /// System time minus the reference's, in seconds.
    pub seconds: f64,
    /// `chrony` or `systemd-timesyncd`.
    pub daemon: &'static str,
    /// The server it follows, where it says.
    pub server: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClockState {
    pub synchronized: bool,
    pub source: Source,
    /// The kernel's estimated error, in seconds, where the kernel was read.
    pub estimated_error: Option<f64>,
    pub offset: Option<Offset>,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "no source of the clock's synchronisation state answered ({})",
    .tried.join("; ")
)]
pub struct ClockError {
    /// Each source tried, and why it said nothing.
    pub tried: Vec<String>,
}

/// Reads the clock's state from whichever sources answer, all under `timeout`.
pub fn state(timeout: Duration) -> Result<ClockState, ClockError> {
    let deadline = Instant::now() + timeout;
    let mut tried = Vec::new();
    let mut attempt =
        |argv: &[&str]| match output(argv, deadline.saturating_duration_since(Instant::now())) {
            Ok(text) => Some(text),
            Err(why) => {
                tried.push(format!("{}: {why}", argv.join(" ")));
                None
            }
        };
    let kernel = attempt(&["adjtimex", "--print"]).and_then(|text| parse_adjtimex(&text));
    let timedated = if kernel.is_none() {
        attempt(&["timedatectl", "show"]).and_then(|text| parse_timedatectl_show(&text))
    } else {
        None
    };
    let chrony = attempt(&["chronyc", "-c", "tracking"]).and_then(|text| parse_chrony(&text));
    let timesyncd = if chrony.is_none() {
        attempt(&["timedatectl", "timesync-status"]).and_then(|text| parse_timesync_status(&text))
    } else {
        None
    };

    let offset = chrony.as_ref().and_then(|c| c.offset.clone()).or(timesyncd);
    let (synchronized, source, estimated_error) = match (kernel, timedated, &chrony) {
        (Some(kernel), ..) => (kernel.synchronized, Source::Kernel, Some(kernel.esterror)),
        (None, Some(synced), _) => (synced, Source::Timedated, None),
        (None, None, Some(chrony)) => (chrony.synchronized, Source::Chrony, None),
        (None, None, None) => return Err(ClockError { tried }),
    };
    Ok(ClockState {
        synchronized,
        source,
        estimated_error,
        offset,
    })
}

/// A helper's standard output, or why there is none.
fn output(argv: &[&str], timeout: Duration) -> Result<String, String> {
    let mut command = Command::new(argv[0]);
    command.args(&argv[1..]).env("LC_ALL", "C");
    let finished = child::run(&mut command, None, timeout, OnInterrupt::Stop).map_err(|err| {
        if err.kind() == std::io::ErrorKind::NotFound {
            "not installed".to_owned()
        } else {
            err.to_string()
        }
    })?;
    if finished.timed_out {
        return Err(format!("no answer in {timeout:?}"));
    }
    if !finished.success() {
        return Err(finished
            .last_error_line()
            .or_else(|| {
                String::from_utf8_lossy(&finished.stdout)
                    .lines()
                    .next()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| format!("exit code {:?}", finished.code)));
    }
    Ok(String::from_utf8_lossy(&finished.stdout).into_owned())
}

#[derive(Debug, PartialEq)]
struct Kernel {
    synchronized: bool,
    /// Seconds.
    esterror: f64,
}

/// `adjtimex --print`: `status:` is the `timex.status` word, `esterror:` in µs.
fn parse_adjtimex(text: &str) -> Option<Kernel> {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_owned())
        })
    };
    let status: u64 = field("status")?.parse().ok()?;
    let esterror: f64 = field("esterror")?.parse().ok()?;
    Some(Kernel {
        synchronized: status & STA_UNSYNC == 0,
        esterror: esterror / 1e6,
    })
}

/// `timedatectl show`: `NTPSynchronized=yes|no`.
fn parse_timedatectl_show(text: &str) -> Option<bool> {
    text.lines()
        .find_map(|line| line.strip_prefix("NTPSynchronized="))
        .map(|value| value.trim() == "yes")
}

#[derive(Debug, PartialEq)]
struct Chrony {
    synchronized: bool,
    offset: Option<Offset>,
}

/// `chronyc -c tracking`: one CSV line; the 5th field is the system
/// clock's offset from true time (positive: fast), the last the leap status.
fn parse_chrony(text: &str) -> Option<Chrony> {
    let line = text.lines().find(|line| line.contains(','))?;
    let fields: Vec<&str> = line.split(',').collect();
    if fields.len() < 14 {
        return None;
    }
    let leap = fields[fields.len() - 1].trim();
    let synchronized = leap != "Not synchronised";
    let server = fields[1].trim();
    let offset = fields[4]
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|_| synchronized);
    Some(Chrony {
        synchronized,
        offset: offset.map(|seconds| Offset {
            seconds,
            daemon: "chrony",
            server: (!server.is_empty()).then(|| server.to_owned()),
        }),
    })
}

/// `timedatectl timesync-status`: `Offset: +1.234ms` and `Server: ADDR (NAME)`.
fn parse_timesync_status(text: &str) -> Option<Offset> {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim())
        })
    };
    let seconds = parse_signed_span(field("Offset")?)?;
    Some(Offset {
        seconds,
        daemon: "systemd-timesyncd",
        server: field("Server").map(str::to_owned),
    })
}

/// systemd's spans with a sign: `+1.234ms`, `-56us`, `+2.5s`, `-1min 3.2s`.
fn parse_signed_span(text: &str) -> Option<f64> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'-' => (-1.0, &text[1..]),
        b'+' => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    let mut total = 0.0;
    for part in rest.split_whitespace() {
        let split = part
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(part.len());
        let (number, unit) = part.split_at(split);
        let number: f64 = number.parse().ok()?;
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "" => 1.0,
            "min" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += number * scale;
    }
    Some(sign * total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjtimex_print_gives_the_unsync_flag_and_the_error() {
        // A container with no daemon disciplining the clock.
        let unsynced = "         mode: 0\n       offset: 0\n    frequency: 0\n     maxerror: 16000000\n     esterror: 16000000\n       status: 64\ntime_constant: 2\n    precision: 1\n    tolerance: 32768000\n         tick: 10000\n     raw time:  1795903712s 871417us = 1795903712.871417\n return value = 5\n";
        assert_eq!(
            parse_adjtimex(unsynced),
            Some(Kernel {
                synchronized: false,
                esterror: 16.0
            })
        );
        // chrony running: STA_PLL | STA_NANO, error 1.5 ms.
        let synced = "         mode: 0\n       offset: -12345\n    frequency: -123456\n     maxerror: 2500\n     esterror: 1500\n       status: 8193\n return value = 0\n";
        assert_eq!(
            parse_adjtimex(synced),
            Some(Kernel {
                synchronized: true,
                esterror: 0.0015
            })
        );
        assert_eq!(parse_adjtimex("adjtimex: unknown option"), None);
    }

    #[test]
    fn timedatectl_show_gives_ntp_synchronized() {
        let text = "Timezone=Etc/UTC\nLocalRTC=no\nCanNTP=yes\nNTP=yes\nNTPSynchronized=yes\nTimeUSec=Sat 2026-11-28 22:15:00 UTC\nRTCTimeUSec=Sat 2026-11-28 22:15:00 UTC\n";
        assert_eq!(parse_timedatectl_show(text), Some(true));
        assert_eq!(
            parse_timedatectl_show(&text.replace("NTPSynchronized=yes", "NTPSynchronized=no")),
            Some(false)
        );
        assert_eq!(parse_timedatectl_show("Timezone=UTC\n"), None);
    }

    #[test]
    fn chrony_tracking_gives_the_offset_and_the_leap_status() {
        let synced = "A9FEA97B,169.254.169.123,4,1795903712.123456789,-0.000031234,0.000002345,0.000012345,-12.345,-0.001,0.012,0.000123456,0.000012345,64.2,Normal\n";
        let parsed = parse_chrony(synced).unwrap();
        assert!(parsed.synchronized);
        let offset = parsed.offset.unwrap();
        assert!((offset.seconds + 0.000_031_234).abs() < 1e-12);
        assert_eq!(offset.server.as_deref(), Some("169.254.169.123"));
        let unsynced = "00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,1.000000000,1.000000000,0.0,Not synchronised\n";
        assert_eq!(
            parse_chrony(unsynced),
            Some(Chrony {
                synchronized: false,
                offset: None
            })
        );
        assert_eq!(parse_chrony("506 Cannot talk to daemon\n"), None);
    }

    #[test]
    fn timesync_status_gives_the_offset() {
        let text = "       Server: 185.125.190.56 (ntp.ubuntu.com)\nPoll interval: 34min 8s (min: 32s; max 34min 8s)\n         Leap: normal\n      Version: 4\n      Stratum: 2\n    Reference: 4F1B4417\n    Precision: 1us (-24)\nRoot distance: 1.402ms (max: 5s)\n       Offset: -1.342ms\n        Delay: 25.476ms\n       Jitter: 2.125ms\n Packet count: 12\n    Frequency: +7.123ppm\n";
        let offset = parse_timesync_status(text).unwrap();
        assert!((offset.seconds + 0.001_342).abs() < 1e-12);
        assert_eq!(offset.daemon, "systemd-timesyncd");
        assert_eq!(
            offset.server.as_deref(),
            Some("185.125.190.56 (ntp.ubuntu.com)")
        );
        assert_eq!(parse_signed_span("+2.5s"), Some(2.5));
        assert_eq!(parse_signed_span("-1min 3s"), Some(-63.0));
        assert_eq!(parse_signed_span("+56us"), Some(0.000_056));
        assert_eq!(parse_signed_span("soon"), None);
    }
}
