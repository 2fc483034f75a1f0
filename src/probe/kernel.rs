//! The kernel's own log (`/dev/kmsg`, what `dmesg` reads): out-of-memory kills.

use std::io::Read;
use std::time::Duration;

use chrono::{DateTime, Utc};

#[derive(Clone, Debug, PartialEq)]
pub struct OomKill {
    pub at: DateTime<Utc>,
    pub pid: u32,
    pub process: String,
    /// The kernel's line, as `dmesg` shows it.
    pub line: String,
    /// Killed inside a memory cgroup at its limit, not for want of host memory.
    pub cgroup: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the kernel log /dev/kmsg: {0}")]
pub struct KernelLogError(#[from] std::io::Error);

/// OOM kills logged since `since`. Reads the kernel's ring buffer without
/// blocking; records older than the buffer holds are gone, as for `dmesg`.
pub fn oom_kills(since: DateTime<Utc>) -> Result<Vec<OomKill>, KernelLogError> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(
        "/dev/kmsg",
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(std::io::Error::from)?;
    let mut kmsg = std::fs::File::from(fd);
    let boot = boot_time();
    let mut kills = Vec::new();
    let mut record = vec![0u8; 8192];
    // Records above this many bytes in all are not read: the cap of this collector.
    let mut budget: usize = 8 << 20;
    loop {
        let n = match kmsg.read(&mut record) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
            // The reader fell behind the ring buffer: the next read resumes at the oldest kept.
            Err(err) if err.raw_os_error() == Some(rustix::io::Errno::PIPE.raw_os_error()) => {
                continue;
            }
            Err(err) => return Err(err.into()),
        };
        budget = budget.saturating_sub(n);
        if budget == 0 {
            break;
        }
        if let Some(kill) = parse_record(&record[..n], boot)
            && kill.at >= since
        {
            kills.push(kill);
        }
    }
    Ok(kills)
}

fn boot_time() -> DateTime<Utc> {
    let uptime = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    Utc::now() - Duration::from_secs_f64(uptime)
}

/// `6,1234,5678901234,-;Out of memory: Killed process 4321 (java) total-vm:...`
fn parse_record(record: &[u8], boot: DateTime<Utc>) -> Option<OomKill> {
    let text = String::from_utf8_lossy(record);
    let (head, message) = text.split_once(';')?;
    let message = message.lines().next()?.trim();
    let rest = message
        .strip_prefix("Out of memory: Killed process ")
        .map(|rest| (rest, false))
        .or_else(|| {
            message
                .strip_prefix("Memory cgroup out of memory: Killed process ")
                .map(|rest| (rest, true))
        });
    let (rest, cgroup) = rest?;
    let (pid, rest) = rest.split_once(' ')?;
    let process = rest.strip_prefix('(')?.split_once(')')?.0.to_owned();
    let micros: u64 = head.split(',').nth(2)?.parse().ok()?;
    Some(OomKill {
        at: boot + Duration::from_micros(micros),
        pid: pid.parse().ok()?,
        process,
        line: message.to_owned(),
        cgroup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oom_records_are_recognised() {
        let boot = DateTime::parse_from_rfc3339("2026-11-24T00:00:00Z")
            .unwrap()
            .to_utc();
        let kill = parse_record(
            b"3,812,3600000000,-;Out of memory: Killed process 4321 (java) total-vm:9000kB, anon-rss:8000kB\n",
            boot,
        )
        .unwrap();
        assert_eq!(kill.pid, 4321);
        assert_eq!(kill.process, "java");
        assert!(!kill.cgroup);
        assert_eq!(kill.at.to_rfc3339(), "2026-11-24T01:00:00+00:00");
        let cgroup = parse_record(
            b"3,813,7200000000,-;Memory cgroup out of memory: Killed process 99 (node) total-vm:1kB\n",
            boot,
        )
        .unwrap();
        assert!(cgroup.cgroup);
        assert!(parse_record(b"6,1,1,-;eth0: link up\n", boot).is_none());
    }

    #[test]
    fn the_kernel_log_reads_without_blocking() {
        // Root can read it here; elsewhere the error must be the typed one.
        match oom_kills(Utc::now() - Duration::from_secs(3600)) {
            Ok(_) => {}
            Err(err) => assert!(err.to_string().starts_with("cannot read the kernel log")),
        }
    }
}
