//! CPU, memory, swap and load, container-aware: where a cgroup sets a limit,
//! figures are judged against the limit and say so.

use std::fmt;
use std::time::{Duration, Instant};

use sysinfo::{CpuRefreshKind, RefreshKind, System};

use super::cgroup::Cgroup;

#[derive(Debug, thiserror::Error)]
#[error("cannot read {what}: {reason}")]
pub struct SystemError {
    what: &'static str,
    reason: String,
}

impl SystemError {
    pub(crate) fn new(what: &'static str, reason: impl fmt::Display) -> Self {
        SystemError {
            what,
            reason: reason.to_string(),
        }
    }
}

/// Whose figure a number is: the whole machine's, or this process's cgroup's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Host,
    Cgroup,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Host => "host",
            Scope::Cgroup => "cgroup limit",
        })
    }
}

pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

#[derive(Clone, Copy, Debug)]
pub struct CpuUsage {
    pub percent: f64,
    /// Cores the percentage is of: the host's, or the cgroup's quota.
    pub cores: f64,
    pub scope: Scope,
    pub sampled: Duration,
}

/// Busy time over `sample` (two readings, since usage is a difference).
pub fn cpu_usage(sample: Duration, cgroup: &Cgroup) -> Result<CpuUsage, SystemError> {
    let mut system = System::new_with_specifics(
        RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing().with_usage()),
    )
    .map_err(|err| SystemError::new("CPU usage", err))?;
    let quota = cgroup.cpu_quota();
    let cgroup_start = quota.and_then(|_| cgroup.cpu_time());
    let started = Instant::now();
    // sysinfo needs at least MINIMUM_CPU_UPDATE_INTERVAL between readings.
    std::thread::sleep(sample.max(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL));
    system.refresh_cpu_usage();
    let sampled = started.elapsed();
    let host_cores = system.cpus().len().max(1) as f64;

    if let (Some(quota), Some(start), Some(end)) = (quota, cgroup_start, cgroup.cpu_time()) {
        let busy = end.saturating_sub(start).as_secs_f64();
        return Ok(CpuUsage {
            percent: busy / (sampled.as_secs_f64() * quota) * 100.0,
            cores: quota,
            scope: Scope::Cgroup,
            sampled,
        });
    }
    Ok(CpuUsage {
        percent: f64::from(system.global_cpu_usage()),
        cores: host_cores,
        scope: Scope::Host,
        sampled,
    })
}

#[derive(Clone, Copy, Debug)]
pub struct Memory {
    pub used: u64,
    pub total: u64,
    pub scope: Scope,
}

impl Memory {
    pub fn percent(&self) -> f64 {
        percent(self.used, self.total)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Swap {
    pub used: u64,
    pub total: u64,
}

/// Memory in use (total minus available, as `free` counts it), or the
/// cgroup's working set against its limit when that limit is the tighter one.
pub fn memory(cgroup: &Cgroup) -> Result<(Memory, Swap), SystemError> {
    let mut system = System::new().map_err(|err| SystemError::new("memory", err))?;
    system.refresh_memory();
    let total = system.total_memory();
    if total == 0 {
        return Err(SystemError::new("memory", "the kernel reports no memory"));
    }
    let host = Memory {
        used: total.saturating_sub(system.available_memory()),
        total,
        scope: Scope::Host,
    };
    let memory = match cgroup.memory() {
        Some(limit) if limit.limit < total => Memory {
            used: limit.used,
            total: limit.limit,
            scope: Scope::Cgroup,
        },
        _ => host,
    };
    let swap = Swap {
        used: system.used_swap(),
        total: system.total_swap(),
    };
    Ok((memory, swap))
}

#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub one: f64,
    pub five: f64,
    pub fifteen: f64,
    /// The host's CPUs: load averages count the whole machine's run queue.
    pub cores: usize,
}

pub fn load() -> Result<Load, SystemError> {
    let average = System::load_average().map_err(|err| SystemError::new("load average", err))?;
    let cores = std::fs::read_to_string("/proc/stat")
        .map(|text| {
            text.lines()
                .filter(|l| {
                    l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit)
                })
                .count()
        })
        .ok()
        .filter(|n| *n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1);
    Ok(Load {
        one: average.one,
        five: average.five,
        fifteen: average.fifteen,
        cores,
    })
}

/// What a support engineer asks first about a machine.
#[derive(Clone, Debug)]
pub struct HostInfo {
    pub hostname: String,
    pub os: String,
    pub kernel: String,
    pub uptime: Duration,
    pub cpus: usize,
    pub memory_total: u64,
    /// "docker", "podman", "kubernetes", "lxc", "systemd-nspawn", when one is recognised.
    pub container: Option<String>,
}

pub fn host_info() -> HostInfo {
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                line.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_owned())
            })
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let uname = rustix::system::uname();
    let uptime = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(Duration::ZERO, Duration::from_secs_f64);
    let memory_total = System::new().map_or(0, |mut system| {
        system.refresh_memory();
        system.total_memory()
    });
    HostInfo {
        hostname: uname.nodename().to_string_lossy().into_owned(),
        os,
        kernel: uname.release().to_string_lossy().into_owned(),
        uptime,
        cpus: load().map_or(1, |l| l.cores),
        memory_total,
        container: container_kind(),
    }
}

/// The container runtime this process runs under, from the marks each leaves.
fn container_kind() -> Option<String> {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return Some("kubernetes".to_owned());
    }
    if std::path::Path::new("/.dockerenv").exists() {
        return Some("docker".to_owned());
    }
    if std::path::Path::new("/run/.containerenv").exists() {
        return Some("podman".to_owned());
    }
    // PID 1's environment names the runtime for lxc and systemd-nspawn.
    let environ = std::fs::read("/proc/1/environ").unwrap_or_default();
    environ
        .split(|b| *b == 0)
        .find_map(|entry| entry.strip_prefix(b"container="))
        .map(|value| String::from_utf8_lossy(value).into_owned())
}

pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_has_cpu_memory_and_load() {
        let cgroup = Cgroup::detect();
        let cpu = cpu_usage(Duration::from_millis(200), &cgroup).unwrap();
        assert!((0.0..=100.5).contains(&cpu.percent), "{cpu:?}");
        assert!(cpu.sampled >= Duration::from_millis(200));
        let (memory, _swap) = memory(&cgroup).unwrap();
        assert!(memory.used <= memory.total);
        let load = load().unwrap();
        assert!(load.cores >= 1);
        assert!(!hostname().is_empty());
    }
}
