//! Verdicts on the host: CPU, load, memory and swap, filesystems (space,
//! inodes, read-only, not mounted) and the processes that should run.

use std::path::Path;

use super::{probe_error, round1};
use crate::probe::disk::{Usage, UsageError};
use crate::probe::mounts::Mount;
use crate::probe::process::ProcessInfo;
use crate::probe::system::{self, CpuUsage, Load, Memory, Scope, Swap, SystemError};
use crate::report::{Check, Status, Threshold, Unit};
use crate::units::{human_bytes, human_duration, trim_number};

// Why a problem matters, for the reader of `diagnose` who did not ask for
// this check by name.
const BUSY: &str = "work queues up and every request slows down";
const MEMORY: &str = "when memory runs out the kernel's OOM killer ends processes";
const SWAP: &str = "a machine that swaps hard becomes slow for everything on it";
const DISK: &str = "when it fills, writes fail: databases stop and logs are lost";
const INODES: &str = "when inodes run out no file can be created, even with space left";
const PROCESS: &str = "the service it provides is down or degraded";

/// Which processes a `[[health.process]]` entry counts.
pub enum ProcessMatcher {
    Name(String),
    Pattern(regex::Regex),
}

/// The CPU's busy share over a sample, against `threshold` (percent).
pub fn cpu(usage: Result<CpuUsage, SystemError>, threshold: Threshold) -> Check {
    let check = match usage {
        Ok(cpu) => {
            let scope = match cpu.scope {
                Scope::Host => format!("host, {} cores", trim_number(cpu.cores, 2)),
                Scope::Cgroup => {
                    format!("of the cgroup's {}-core quota", trim_number(cpu.cores, 2))
                }
            };
            Check::measured(
                "cpu",
                round1(cpu.percent),
                Unit::Percent,
                threshold,
                format!(
                    "{} % busy over {} ({scope})",
                    trim_number(cpu.percent, 1),
                    human_duration(cpu.sampled)
                ),
            )
            .with_hint("ps -eo pid,user,%cpu,etime,cmd --sort=-%cpu | head -15")
        }
        Err(err) => probe_error("cpu", &err),
    };
    check.because(BUSY)
}

/// The five-minute load per core, against `threshold`.
pub fn load(load: Result<Load, SystemError>, threshold: Threshold) -> Check {
    let check = match load {
        Ok(load) => {
            let per_core = (load.five / load.cores as f64 * 100.0).round() / 100.0;
            Check::measured(
                "load",
                per_core,
                Unit::PerCore,
                threshold,
                format!(
                    "{per_core} per core over 5 min (load {:.2} {:.2} {:.2}, {} cores)",
                    load.one, load.five, load.fifteen, load.cores,
                ),
            )
            .with_hint("vmstat 1 5; ps -eo pid,stat,%cpu,cmd --sort=-%cpu | head -15")
        }
        Err(err) => probe_error("load", &err),
    };
    check.because(BUSY)
}

/// Memory and swap in use, each against its levels.
pub fn memory(
    figures: Result<(Memory, Swap), SystemError>,
    memory_levels: Threshold,
    swap_levels: Threshold,
) -> Vec<Check> {
    let (memory, swap) = match figures {
        Ok(figures) => figures,
        Err(err) => return vec![probe_error("memory", &err), probe_error("swap", &err)],
    };
    let memory_check = Check::measured(
        "memory",
        round1(memory.percent()),
        Unit::Percent,
        memory_levels,
        format!(
            "{} used of {} ({})",
            human_bytes(memory.used),
            human_bytes(memory.total),
            memory.scope
        ),
    )
    .with_hint("ps -eo pid,user,rss,cmd --sort=-rss | head -15");
    let swap_check = if swap.total == 0 {
        Check::new("swap", Status::Ok, "no swap configured")
    } else {
        let percent = system::percent(swap.used, swap.total);
        Check::measured(
            "swap",
            round1(percent),
            Unit::Percent,
            swap_levels,
            format!("{} used of {}", human_bytes(swap.used), human_bytes(swap.total)),
        )
        .with_hint("vmstat 1 5; grep -E '^(Name|VmSwap)' /proc/[0-9]*/status | paste - - | sort -k4 -n | tail")
    };
    vec![memory_check.because(MEMORY), swap_check.because(SWAP)]
}

/// Space and inodes of one filesystem; read-only counts as a warning
/// unless the configuration says it is meant to be.
pub fn filesystem(
    mount: &Mount,
    usage: Result<Usage, UsageError>,
    space: Threshold,
    inodes: Threshold,
    readonly_ok: bool,
) -> Vec<Check> {
    let point = mount.mount_point.display().to_string();
    let disk_name = format!("disk:{point}");
    let inodes_name = format!("inodes:{point}");
    let usage = match usage {
        Ok(usage) => usage,
        Err(err) => {
            let message = err.to_string();
            let hint = match err {
                UsageError::Isolated(err) if err.is_hung() => {
                    format!("mount | grep ' {point} '; for a dead network mount: umount -l {point}")
                }
                _ => format!("mount | grep ' {point} '"),
            };
            return vec![
                Check::new(disk_name, Status::Unknown, &message).with_hint(&hint),
                Check::new(inodes_name, Status::Unknown, &message).with_hint(&hint),
            ];
        }
    };
    let mut disk_check = Check::measured(
        disk_name,
        round1(usage.used_percent),
        Unit::Percent,
        space,
        format!(
            "{} % used, {} free of {} ({} {})",
            trim_number(usage.used_percent, 1),
            human_bytes(usage.available_bytes),
            human_bytes(usage.size_bytes),
            mount.fs_type,
            mount.source
        ),
    );
    let mut disk_hint = format!("du -xh --max-depth=2 {point} 2>/dev/null | sort -rh | head -20");
    if mount.read_only && !readonly_ok {
        disk_check = disk_check.at_least(Status::Warning);
        disk_check.message.push_str("; mounted read-only");
        disk_hint = format!(
            "dmesg | grep -iE 'remount|error' | tail; if read-only on purpose, add {point:?} to [health] readonly_ok"
        );
    }
    let disk_check = disk_check.with_hint(disk_hint);
    let inodes_check = match usage.inodes_percent {
        Some(percent) => Check::measured(
            inodes_name,
            round1(percent),
            Unit::Percent,
            inodes,
            format!(
                "{} % of inodes used ({} of {})",
                trim_number(percent, 1),
                usage.inodes_used,
                usage.inodes_total
            ),
        )
        .with_hint(format!(
            "du --inodes -x --max-depth=2 {point} 2>/dev/null | sort -rn | head -20"
        )),
        None => Check::new(
            inodes_name,
            Status::Ok,
            format!("{} does not count inodes", mount.fs_type),
        ),
    };
    vec![disk_check.because(DISK), inodes_check.because(INODES)]
}

/// What is written to a folder that should be a mount lands on the
/// filesystem below it, unnoticed until that one fills or the data is missed.
pub fn not_mounted(point: &Path) -> Vec<Check> {
    let shown = point.display().to_string();
    let word = crate::shell::word(&shown);
    let hint = format!("findmnt --fstab {word}; mount {word}");
    vec![
        Check::new(
            format!("disk:{shown}"),
            Status::Critical,
            format!(
                "not mounted: [health] mounts names {shown}, but nothing is mounted there (what is written to it lands on the filesystem below)"
            ),
        )
        .with_hint(&hint)
        .because(DISK),
        Check::new(
            format!("inodes:{shown}"),
            Status::Unknown,
            format!("not measured: {shown} is not mounted"),
        )
        .with_hint(&hint),
    ]
}

/// How many running processes `matcher` finds, against `min` and `max`.
pub fn processes(
    name: &str,
    matcher: &ProcessMatcher,
    min: usize,
    max: Option<usize>,
    processes: Result<Vec<ProcessInfo>, SystemError>,
) -> Check {
    let check_name = format!("process:{name}");
    let processes = match processes {
        Ok(processes) => processes,
        Err(err) => return probe_error(&check_name, &err),
    };
    let pids: Vec<u32> = processes
        .iter()
        .filter(|p| match matcher {
            ProcessMatcher::Name(wanted) => p.is_named(wanted),
            ProcessMatcher::Pattern(pattern) => pattern.is_match(&p.command_line),
        })
        .map(|p| p.pid)
        .collect();
    let count = pids.len();
    let mut shown: Vec<String> = pids.iter().take(5).map(u32::to_string).collect();
    if count > 5 {
        shown.push("…".into());
    }
    let (status, message) = if count < min {
        (
            Status::Critical,
            if count == 0 {
                format!("not running; expected at least {min}")
            } else {
                format!(
                    "{count} running (pid {}); expected at least {min}",
                    shown.join(", ")
                )
            },
        )
    } else if max.is_some_and(|max| count > max) {
        (
            Status::Warning,
            format!(
                "{count} running (pid {}); expected at most {}",
                shown.join(", "),
                max.unwrap_or_default()
            ),
        )
    } else {
        (
            Status::Ok,
            format!("{count} running (pid {})", shown.join(", ")),
        )
    };
    let hint = match matcher {
        // pgrep matches the kernel's 15-byte name unless told to read the command line.
        ProcessMatcher::Name(wanted) if wanted.len() > 15 => format!(
            "systemctl status {word}; pgrep -af {word}",
            word = crate::shell::word(wanted)
        ),
        ProcessMatcher::Name(wanted) => format!(
            "systemctl status {word}; pgrep -a {word}",
            word = crate::shell::word(wanted)
        ),
        ProcessMatcher::Pattern(pattern) => format!("pgrep -af '{}'", pattern.as_str()),
    };
    Check::new(check_name, status, message)
        .with_value(count as f64, Unit::Count)
        .with_hint(hint)
        .because(PROCESS)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn mount(point: &str, read_only: bool) -> Mount {
        Mount {
            device: "8:1".into(),
            root: PathBuf::from("/"),
            mount_point: PathBuf::from(point),
            fs_type: "ext4".into(),
            source: "/dev/sda1".into(),
            read_only,
            options: String::new(),
        }
    }

    fn usage(used_percent: f64, inodes_percent: Option<f64>) -> Usage {
        Usage {
            size_bytes: 100 << 30,
            used_bytes: (used_percent as u64) << 30,
            available_bytes: (100 - used_percent as u64) << 30,
            used_percent,
            inodes_total: 1000,
            inodes_used: 10,
            inodes_percent,
        }
    }

    fn process(pid: u32, name: &str) -> ProcessInfo {
        ProcessInfo {
            pid,
            name: name.into(),
            exe_name: Some(name.into()),
            leading_args: vec![name.into()],
            command_line: format!("/usr/sbin/{name} -f"),
        }
    }

    #[test]
    fn cpu_is_judged_on_the_rounded_percentage() {
        let usage = CpuUsage {
            percent: 85.04,
            cores: 4.0,
            scope: Scope::Host,
            sampled: std::time::Duration::from_millis(200),
        };
        let check = cpu(Ok(usage), Threshold::above(80.0, 90.0));
        assert_eq!(check.status, Status::Warning);
        assert_eq!(check.value, Some(85.0));
        assert_eq!(check.message, "85 % busy over 200 ms (host, 4 cores)");
        assert!(check.hint.is_some());
        let failed = cpu(
            Err(SystemError::new("/proc/stat", "gone")),
            Threshold::above(80.0, 90.0),
        );
        assert_eq!(failed.status, Status::Unknown);
        assert_eq!(failed.hint.as_deref(), Some("maint health --only cpu -v"));
    }

    #[test]
    fn load_is_per_core() {
        let figures = Load {
            one: 8.0,
            five: 6.0,
            fifteen: 4.0,
            cores: 2,
        };
        let check = load(Ok(figures), Threshold::above(1.5, 3.0));
        assert_eq!(check.value, Some(3.0));
        assert_eq!(check.status, Status::Critical);
    }

    #[test]
    fn no_swap_is_fine_and_a_full_one_is_not() {
        let memory_figures = Memory {
            used: 50,
            total: 100,
            scope: Scope::Host,
        };
        let levels = Threshold::above(80.0, 90.0);
        let none = Swap { used: 0, total: 0 };
        let checks = memory(Ok((memory_figures, none)), levels, levels);
        assert_eq!(checks[0].status, Status::Ok);
        assert_eq!(checks[1].message, "no swap configured");
        let full = Swap {
            used: 95,
            total: 100,
        };
        let checks = memory(Ok((memory_figures, full)), levels, levels);
        assert_eq!(checks[1].status, Status::Critical);
        let failed = memory(Err(SystemError::new("meminfo", "gone")), levels, levels);
        assert_eq!(
            failed.iter().map(|c| c.status).collect::<Vec<_>>(),
            [Status::Unknown, Status::Unknown]
        );
    }

    #[test]
    fn a_read_only_filesystem_warns_unless_it_is_meant_to_be() {
        let levels = Threshold::above(80.0, 90.0);
        let checks = filesystem(
            &mount("/srv", true),
            Ok(usage(10.0, Some(1.0))),
            levels,
            levels,
            false,
        );
        assert_eq!(checks[0].name, "disk:/srv");
        assert_eq!(checks[0].status, Status::Warning);
        assert!(checks[0].message.ends_with("; mounted read-only"));
        assert!(checks[0].hint.as_deref().unwrap().contains("readonly_ok"));
        let checks = filesystem(
            &mount("/srv", true),
            Ok(usage(10.0, Some(1.0))),
            levels,
            levels,
            true,
        );
        assert_eq!(checks[0].status, Status::Ok);
    }

    #[test]
    fn filesystems_without_inode_counts_are_ok_and_full_ones_critical() {
        let levels = Threshold::above(80.0, 90.0);
        let checks = filesystem(
            &mount("/", false),
            Ok(usage(95.0, None)),
            levels,
            levels,
            false,
        );
        assert_eq!(checks[0].status, Status::Critical);
        assert_eq!(checks[1].name, "inodes:/");
        assert_eq!(checks[1].status, Status::Ok);
        assert_eq!(checks[1].message, "ext4 does not count inodes");
    }

    #[test]
    fn an_unreadable_filesystem_is_unknown_on_both_checks() {
        let levels = Threshold::above(80.0, 90.0);
        let err = UsageError::Helper("nonsense".into());
        let checks = filesystem(&mount("/mnt/nfs", false), Err(err), levels, levels, false);
        assert!(checks.iter().all(|c| c.status == Status::Unknown));
        assert_eq!(checks[0].hint.as_deref(), Some("mount | grep ' /mnt/nfs '"));
    }

    #[test]
    fn a_missing_mount_is_critical() {
        let checks = not_mounted(Path::new("/data"));
        assert_eq!(checks[0].status, Status::Critical);
        assert_eq!(checks[1].status, Status::Unknown);
        assert_eq!(
            checks[0].hint.as_deref(),
            Some("findmnt --fstab /data; mount /data")
        );
    }

    #[test]
    fn process_counts_hold_to_min_and_max() {
        let nginx = || ProcessMatcher::Name("nginx".into());
        let running = || {
            Ok(vec![
                process(10, "nginx"),
                process(11, "nginx"),
                process(12, "sshd"),
            ])
        };
        let check = processes("nginx", &nginx(), 1, None, running());
        assert_eq!(check.status, Status::Ok);
        assert_eq!(check.message, "2 running (pid 10, 11)");
        assert_eq!(check.value, Some(2.0));
        let check = processes("nginx", &nginx(), 3, None, running());
        assert_eq!(check.status, Status::Critical);
        let check = processes("nginx", &nginx(), 1, Some(1), running());
        assert_eq!(check.status, Status::Warning);
        let pattern = ProcessMatcher::Pattern(regex::Regex::new("sshd -f").unwrap());
        let check = processes("sshd", &pattern, 1, None, running());
        assert_eq!(check.message, "1 running (pid 12)");
        let check = processes(
            "redis",
            &ProcessMatcher::Name("redis".into()),
            1,
            None,
            running(),
        );
        assert_eq!(check.message, "not running; expected at least 1");
        assert_eq!(
            check.hint.as_deref(),
            Some("systemctl status redis; pgrep -a redis")
        );
    }
}
