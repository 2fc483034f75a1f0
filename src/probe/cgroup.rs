//! The memory and CPU limits of the cgroup this process runs in (v2, or v1
//! as older hosts and hybrid setups have it). Inside a container the host's
//! figures mislead: 2 GiB used of the host's 64 GiB looks fine until the
//! container's 2 GiB limit calls the OOM killer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::mounts::{self, Mount};

/// Limits at or above this are "no limit" (v1 writes a page-aligned i64::MAX).
const UNLIMITED: u64 = 1 << 62;

#[derive(Clone, Debug, Default)]
pub struct Cgroup {
    memory: Option<Controller>,
    cpu: Option<Controller>,
    cpu_usage: Option<Controller>,
}

#[derive(Clone, Debug)]
struct Controller {
    dir: PathBuf,
    /// The top of the mounted hierarchy: limits are looked for up to here.
    top: PathBuf,
    v2: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryLimit {
    pub limit: u64,
    /// The working set, as the kubelet and `docker stats` count it: usage
    /// minus inactive file cache, which the kernel reclaims before it OOMs.
    pub used: u64,
}

impl Cgroup {
    /// Finds this process's cgroup folders; any that cannot be found are simply absent.
    pub fn detect() -> Cgroup {
        let (Ok(membership), Ok(mounts)) =
            (std::fs::read_to_string("/proc/self/cgroup"), mounts::read())
        else {
            return Cgroup::default();
        };
        Cgroup::from_tables(&membership, &mounts)
    }

    fn from_tables(membership: &str, mounts: &[Mount]) -> Cgroup {
        let mut cgroup = Cgroup::default();
        for line in membership.lines() {
            let mut fields = line.splitn(3, ':');
            let (Some(_), Some(controllers), Some(path)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let path = Path::new(path);
            if controllers.is_empty() {
                // The v2 unified hierarchy holds every controller enabled in it.
                let Some(mount) = mounts.iter().find(|m| m.fs_type == "cgroup2") else {
                    continue;
                };
                let Some(dir) = mounts::locate(mount, path) else {
                    continue;
                };
                let controller = Controller {
                    dir: dir.clone(),
                    top: mount.mount_point.clone(),
                    v2: true,
                };
                if cgroup.memory.is_none() && dir.join("memory.max").exists() {
                    cgroup.memory = Some(controller.clone());
                }
                if cgroup.cpu.is_none() && dir.join("cpu.max").exists() {
                    cgroup.cpu = Some(controller.clone());
                }
                if cgroup.cpu_usage.is_none() && dir.join("cpu.stat").exists() {
                    cgroup.cpu_usage = Some(controller);
                }
                continue;
            }
            for name in controllers.split(',') {
                let slot = match name {
                    "memory" => &mut cgroup.memory,
                    "cpu" => &mut cgroup.cpu,
                    "cpuacct" => &mut cgroup.cpu_usage,
                    _ => continue,
                };
                let mount = mounts.iter().find(|m| {
                    m.fs_type == "cgroup" && m.options.split(',').any(|option| option == name)
                });
                if let Some(mount) = mount
                    && let Some(dir) = mounts::locate(mount, path)
                {
                    // v1 takes precedence: on hybrid hosts the controllers live there.
                    *slot = Some(Controller {
                        dir,
                        top: mount.mount_point.clone(),
                        v2: false,
                    });
                }
            }
        }
        cgroup
    }

    /// The nearest memory limit on the way up from this process's cgroup, with
    /// the usage of the cgroup it is set on.
    pub fn memory(&self) -> Option<MemoryLimit> {
        let controller = self.memory.as_ref()?;
        let (limit_file, usage_file, inactive_key) = if controller.v2 {
            ("memory.max", "memory.current", "inactive_file")
        } else {
            (
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
                "total_inactive_file",
            )
        };
        for dir in controller.dir.ancestors() {
            if !dir.starts_with(&controller.top) {
                break;
            }
            let Some(limit) = read_number(&dir.join(limit_file)) else {
                continue;
            };
            if limit >= UNLIMITED {
                continue;
            }
            let usage = read_number(&dir.join(usage_file))?;
            let inactive = stat_value(&dir.join("memory.stat"), inactive_key).unwrap_or(0);
            return Some(MemoryLimit {
                limit,
                used: usage.saturating_sub(inactive),
            });
        }
        None
    }

    /// The CPU quota in cores (`cpu.max 150000 100000` is 1.5), if one is set.
    pub fn cpu_quota(&self) -> Option<f64> {
        let controller = self.cpu.as_ref()?;
        let (quota, period) = if controller.v2 {
            let text = std::fs::read_to_string(controller.dir.join("cpu.max")).ok()?;
            let mut parts = text.split_whitespace();
            (
                parts.next()?.parse::<f64>().ok()?,
                parts.next()?.parse::<f64>().ok()?,
            )
        } else {
            let quota: f64 = read_text(&controller.dir.join("cpu.cfs_quota_us"))?
                .parse()
                .ok()?;
            let period: f64 = read_text(&controller.dir.join("cpu.cfs_period_us"))?
                .parse()
                .ok()?;
            (quota, period)
        };
        (quota > 0.0 && period > 0.0).then(|| quota / period)
    }

    /// CPU time used by this cgroup since it was created. None at the root of
    /// a hierarchy, where the figure is the whole host's and no quota applies to it.
    pub fn cpu_time(&self) -> Option<Duration> {
        let controller = self.cpu_usage.as_ref()?;
        if controller.dir == controller.top {
            return None;
        }
        if controller.v2 {
            stat_value(&controller.dir.join("cpu.stat"), "usage_usec").map(Duration::from_micros)
        } else {
            read_number(&controller.dir.join("cpuacct.usage")).map(Duration::from_nanos)
        }
    }
}

fn read_text(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|text| text.trim().to_owned())
}

/// A number file; `max` (v2's "no limit") reads as unlimited.
fn read_number(path: &Path) -> Option<u64> {
    let text = read_text(path)?;
    if text == "max" {
        return Some(u64::MAX);
    }
    text.parse().ok()
}

fn stat_value(path: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == key).then(|| value.trim().parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_v2(root: &Path, files: &[(&str, &str)]) -> Cgroup {
        let dir = root.join("app.slice");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let mountinfo = format!("41 31 0:38 / {} rw - cgroup2 cgroup2 rw\n", root.display());
        Cgroup::from_tables("0::/app.slice\n", &mounts::parse(&mountinfo))
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("maint-cgroup-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn v2_limits_are_read_and_the_cache_is_not_counted() {
        let root = scratch("v2");
        let cgroup = fake_v2(
            &root,
            &[
                ("memory.max", "1073741824\n"),
                ("memory.current", "600000000\n"),
                (
                    "memory.stat",
                    "anon 1\ninactive_file 100000000\nactive_file 5\n",
                ),
                ("cpu.max", "150000 100000\n"),
                ("cpu.stat", "usage_usec 2500000\nuser_usec 1\n"),
            ],
        );
        assert_eq!(
            cgroup.memory(),
            Some(MemoryLimit {
                limit: 1 << 30,
                used: 500_000_000
            })
        );
        assert_eq!(cgroup.cpu_quota(), Some(1.5));
        assert_eq!(cgroup.cpu_time(), Some(Duration::from_millis(2500)));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn no_limit_is_none() {
        let root = scratch("max");
        let cgroup = fake_v2(
            &root,
            &[
                ("memory.max", "max\n"),
                ("memory.current", "6\n"),
                ("cpu.max", "max 100000\n"),
            ],
        );
        assert_eq!(cgroup.memory(), None);
        assert_eq!(cgroup.cpu_quota(), None);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn v1_hierarchies_are_found_by_controller() {
        let mountinfo = "\
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
";
        let cgroup = Cgroup::from_tables(
            "4:memory:/box\n2:cpu,cpuacct:/box\n0::/\n",
            &mounts::parse(mountinfo),
        );
        assert_eq!(
            cgroup.memory.unwrap().dir,
            PathBuf::from("/sys/fs/cgroup/memory/box")
        );
        assert_eq!(
            cgroup.cpu_usage.unwrap().dir,
            PathBuf::from("/sys/fs/cgroup/cpu,cpuacct/box")
        );
    }
}
