//! Which filesystems are worth checking, and how full they are, computed the
//! way `df` computes it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::isolated::{self, IsolatedError, Limit};

use super::mounts::{self, Mount};

/// Filesystem types that hold no data of their own (or are always full by
/// design, like a CD image); left out unless a mount point is named.
pub const PSEUDO_FILESYSTEMS: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fuse.gvfsd-fuse",
    "fuse.lxcfs",
    "fuse.portal",
    "fusectl",
    "hugetlbfs",
    "iso9660",
    "mqueue",
    "nfsd",
    "nsfs",
    "overlay",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "squashfs",
    "sysfs",
    "tmpfs",
    "tracefs",
];

pub fn is_pseudo(fs_type: &str) -> bool {
    PSEUDO_FILESYSTEMS.contains(&fs_type)
}

/// The mounts to check: every real filesystem once, plus any named in
/// `include` whatever its type, minus `exclude`; and the paths of `include`
/// where nothing is mounted (a data disk that failed to mount at boot must
/// not vanish from the checks). Reads no filesystem, so it cannot hang on a
/// dead network mount; only [`usage`] can.
pub fn filesystems(
    include: &[PathBuf],
    exclude: &[PathBuf],
) -> std::io::Result<(Vec<Mount>, Vec<PathBuf>)> {
    let all = mounts::read()?;
    let missing = not_mounted(&all, include, exclude);
    Ok((select(all, include, exclude), missing))
}

fn not_mounted(all: &[Mount], include: &[PathBuf], exclude: &[PathBuf]) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = include
        .iter()
        .filter(|path| !exclude.contains(path) && !all.iter().any(|m| &m.mount_point == *path))
        .cloned()
        .collect();
    missing.dedup();
    missing
}

fn select(all: Vec<Mount>, include: &[PathBuf], exclude: &[PathBuf]) -> Vec<Mount> {
    let mut by_device: HashMap<String, Mount> = HashMap::new();
    let mut named: Vec<Mount> = Vec::new();
    for mount in all {
        if exclude.contains(&mount.mount_point) {
            continue;
        }
        if include.contains(&mount.mount_point) {
            named.retain(|m| m.mount_point != mount.mount_point);
            named.push(mount);
            continue;
        }
        if is_pseudo(&mount.fs_type) {
            continue;
        }
        // Bind mounts show one filesystem several times: keep the mount of its
        // root, else the shortest path, so each filesystem is judged once.
        let better = |old: &Mount| {
            let key = |m: &Mount| (m.root != Path::new("/"), m.mount_point.as_os_str().len());
            key(&mount) < key(old)
        };
        match by_device.get(&mount.device) {
            Some(old) if !better(old) => {}
            _ => {
                by_device.insert(mount.device.clone(), mount);
            }
        }
    }
    let mut chosen: Vec<Mount> = by_device
        .into_values()
        .filter(|m| !named.iter().any(|n| n.mount_point == m.mount_point))
        .collect();
    chosen.extend(named);
    chosen.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
    chosen
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Usage {
    pub size_bytes: u64,
    pub used_bytes: u64,
    pub available_bytes: u64,
    /// used / (used + available), as `df` computes Use% (before it rounds up).
    pub used_percent: f64,
    pub inodes_total: u64,
    pub inodes_used: u64,
    /// None when the filesystem does not count inodes (btrfs reports zero).
    pub inodes_percent: Option<f64>,
}

/// Blocks and inodes of the filesystem holding `path` (may block on a dead network mount).
pub fn usage(path: &Path) -> std::io::Result<Usage> {
    let [fragment, blocks, free, available, files, files_free] = raw_statvfs(path)?;
    Ok(compute(
        fragment, blocks, free, available, files, files_free,
    ))
}

fn raw_statvfs(path: &Path) -> std::io::Result<[u64; 6]> {
    let stat = rustix::fs::statvfs(path)?;
    Ok([
        stat.f_frsize.max(1),
        stat.f_blocks,
        stat.f_bfree,
        stat.f_bavail,
        stat.f_files,
        stat.f_ffree,
    ])
}

/// The `maint __statvfs PATH` helper: one line, `ok` and the six figures,
/// or `err`, the errno and the message.
pub fn statvfs_helper(path: &Path) -> (String, bool) {
    match raw_statvfs(path) {
        Ok(figures) => (
            format!("ok {}\n", figures.map(|n| n.to_string()).join(" ")),
            true,
        ),
        Err(err) => (
            format!("err {} {err}\n", err.raw_os_error().unwrap_or(0)),
            false,
        ),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("statvfs failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("statvfs gave {0}")]
    Isolated(#[from] IsolatedError),
    #[error("the statvfs helper said {0:?}")]
    Helper(String),
}

/// [`usage`], run in a child process: see [`super::isolated`].
pub fn usage_isolated(helper: &Path, path: &Path, timeout: Duration) -> Result<Usage, UsageError> {
    let output = isolated::run(helper, "statvfs", path, &[], Limit::Total(timeout))?;
    parse_helper_line(&String::from_utf8_lossy(&output))
}

fn parse_helper_line(line: &str) -> Result<Usage, UsageError> {
    let mut words = line.split_whitespace();
    match words.next() {
        Some("ok") => {
            let numbers: Vec<u64> = words.filter_map(|w| w.parse().ok()).collect();
            let [fragment, blocks, free, available, files, files_free] = numbers[..] else {
                return Err(UsageError::Helper(line.to_owned()));
            };
            Ok(compute(
                fragment, blocks, free, available, files, files_free,
            ))
        }
        Some("err") => {
            let errno = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
            Err(UsageError::Io(std::io::Error::from_raw_os_error(errno)))
        }
        _ => Err(UsageError::Helper(line.to_owned())),
    }
}

fn compute(
    fragment: u64,
    blocks: u64,
    free: u64,
    available: u64,
    files: u64,
    files_free: u64,
) -> Usage {
    let used_blocks = blocks.saturating_sub(free);
    let denominator = used_blocks + available;
    let used_percent = if denominator == 0 {
        0.0
    } else {
        used_blocks as f64 * 100.0 / denominator as f64
    };
    let inodes_used = files.saturating_sub(files_free);
    Usage {
        size_bytes: blocks * fragment,
        used_bytes: used_blocks * fragment,
        available_bytes: available * fragment,
        used_percent,
        inodes_total: files,
        inodes_used,
        inodes_percent: (files > 0).then(|| inodes_used as f64 * 100.0 / files as f64),
    }
}

/// What a bounded walk found under one folder.
#[derive(Clone, Debug)]
pub struct FolderSizes {
    /// The folders (and files) right below the root, biggest first, with the
    /// disk space of everything inside them.
    pub children: Vec<(PathBuf, u64)>,
    pub total_bytes: u64,
    pub entries: usize,
    /// False when the walk stopped at its entry or time budget.
    pub complete: bool,
}

/// Sizes up what is directly below `root`, like `du -x --max-depth=1`, but
/// stops after `max_entries` entries or at `deadline` and says so. Counts
/// allocated blocks, as du does, and stays on the root's filesystem.
pub fn folder_sizes(
    root: &Path,
    max_entries: usize,
    deadline: Instant,
) -> std::io::Result<FolderSizes> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(root)?;
    let mut sizes: HashMap<PathBuf, u64> = HashMap::new();
    let mut entries = 0;
    let mut complete = true;
    for entry in walkdir::WalkDir::new(root)
        .min_depth(1)
        .same_file_system(true)
    {
        let Ok(entry) = entry else { continue };
        entries += 1;
        if entries >= max_entries || (entries % 256 == 0 && Instant::now() >= deadline) {
            complete = false;
            break;
        }
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        let Some(child) = entry
            .path()
            .strip_prefix(root)
            .ok()
            .and_then(|r| r.components().next())
        else {
            continue;
        };
        *sizes.entry(root.join(child)).or_default() += metadata.blocks() * 512;
    }
    let total_bytes = sizes.values().sum();
    let mut children: Vec<(PathBuf, u64)> = sizes.into_iter().collect();
    children.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(FolderSizes {
        children,
        total_bytes,
        entries,
        complete,
    })
}

/// The `maint __folders PATH MAX_ENTRIES BUDGET_MS` helper: a first line
/// `ok TOTAL ENTRIES COMPLETE`, then `SIZE PATH` per child, biggest first.
pub fn folders_helper(path: &Path, max_entries: usize, budget: Duration) -> (String, bool) {
    match folder_sizes(path, max_entries, Instant::now() + budget) {
        Ok(sizes) => {
            let mut out = format!(
                "ok {} {} {}\n",
                sizes.total_bytes, sizes.entries, sizes.complete
            );
            for (child, bytes) in sizes.children.iter().take(50) {
                out.push_str(&format!("{bytes} {}\n", child.display()));
            }
            (out, true)
        }
        Err(err) => (
            format!("err {} {err}\n", err.raw_os_error().unwrap_or(0)),
            false,
        ),
    }
}

/// [`folder_sizes`], run in a child process (see [`super::isolated`]): the
/// walk gets most of `timeout` as its budget, and a child that hangs on a dead
/// mount is abandoned when `timeout` passes.
pub fn folder_sizes_isolated(
    helper: &Path,
    path: &Path,
    max_entries: usize,
    timeout: Duration,
) -> Result<FolderSizes, FoldersError> {
    let budget = timeout.mul_f64(0.8);
    let output = isolated::run(
        helper,
        "folders",
        path,
        &[
            max_entries.to_string().into(),
            budget.as_millis().to_string().into(),
        ],
        Limit::Total(timeout),
    )?;
    let output = String::from_utf8_lossy(&output);
    let mut lines = output.lines();
    let head: Vec<&str> = lines.next().unwrap_or_default().splitn(4, ' ').collect();
    match head.as_slice() {
        ["ok", total, entries, complete] => Ok(FolderSizes {
            total_bytes: total.parse().unwrap_or(0),
            entries: entries.parse().unwrap_or(0),
            complete: *complete == "true",
            children: lines
                .filter_map(|line| {
                    let (bytes, child) = line.split_once(' ')?;
                    Some((PathBuf::from(child), bytes.parse().ok()?))
                })
                .collect(),
        }),
        ["err", errno, ..] => Err(FoldersError::Io(std::io::Error::from_raw_os_error(
            errno.parse().unwrap_or(0),
        ))),
        _ => Err(FoldersError::Helper(output.trim().to_owned())),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FoldersError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the walk gave {0}")]
    Isolated(#[from] IsolatedError),
    #[error("the folder helper said {0:?}")]
    Helper(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(device: &str, root: &str, at: &str, fs_type: &str) -> Mount {
        Mount {
            device: device.to_owned(),
            root: PathBuf::from(root),
            mount_point: PathBuf::from(at),
            fs_type: fs_type.to_owned(),
            source: "/dev/x".to_owned(),
            read_only: false,
            options: String::new(),
        }
    }

    #[test]
    fn real_filesystems_once_pseudo_ones_only_when_named() {
        let all = vec![
            mount("0:21", "/", "/proc", "proc"),
            mount("254:0", "/", "/", "ext4"),
            mount("254:0", "/srv/data", "/data", "ext4"),
            mount("0:23", "/", "/dev/shm", "tmpfs"),
            mount("8:1", "/", "/boot", "ext4"),
        ];
        let chosen = select(all.clone(), &[], &[]);
        let points: Vec<_> = chosen.iter().map(|m| m.mount_point.clone()).collect();
        assert_eq!(points, [PathBuf::from("/"), PathBuf::from("/boot")]);

        let chosen = select(
            all.clone(),
            &[PathBuf::from("/dev/shm")],
            &[PathBuf::from("/boot")],
        );
        let points: Vec<_> = chosen.iter().map(|m| m.mount_point.clone()).collect();
        assert_eq!(points, [PathBuf::from("/"), PathBuf::from("/dev/shm")]);

        // Named but not mounted: reported, not dropped (unless excluded too).
        let named = [
            PathBuf::from("/dev/shm"),
            PathBuf::from("/srv/data/"),
            PathBuf::from("/mnt/gone"),
        ];
        assert_eq!(
            not_mounted(&all, &named, &[PathBuf::from("/mnt/gone")]),
            [PathBuf::from("/srv/data")]
        );
    }

    #[test]
    fn percent_is_used_over_used_plus_available() {
        // 1000 blocks, 100 free of which 50 reserved for root: df says 900/(900+50).
        let usage = compute(4096, 1000, 100, 50, 10, 4);
        assert!((usage.used_percent - 94.736_842).abs() < 1e-5);
        assert_eq!(usage.used_bytes, 900 * 4096);
        assert_eq!(usage.inodes_used, 6);
        assert_eq!(usage.inodes_percent, Some(60.0));
        assert_eq!(compute(4096, 0, 0, 0, 0, 0).inodes_percent, None);
    }

    #[test]
    fn helper_lines_round_trip() {
        let (line, ok) = statvfs_helper(Path::new("/"));
        assert!(ok);
        let usage = parse_helper_line(&line).unwrap();
        assert!(usage.size_bytes > 0);
        let (line, ok) = statvfs_helper(Path::new("/no/such/mount"));
        assert!(!ok);
        let err = parse_helper_line(&line).unwrap_err();
        assert_eq!(
            err.to_string(),
            "statvfs failed: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn folder_sizes_sum_below_each_child_and_stop_at_the_budget() {
        let root = std::env::temp_dir().join(format!("maint-du-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("big/deeper")).unwrap();
        std::fs::create_dir_all(root.join("small")).unwrap();
        std::fs::write(root.join("big/deeper/blob"), vec![1u8; 256 * 1024]).unwrap();
        std::fs::write(root.join("small/note"), b"x").unwrap();
        let far = Instant::now() + Duration::from_secs(60);
        let sizes = folder_sizes(&root, 10_000, far).unwrap();
        assert!(sizes.complete);
        assert_eq!(sizes.children[0].0, root.join("big"));
        assert!(sizes.children[0].1 >= 256 * 1024);
        assert_eq!(sizes.children[1].0, root.join("small"));
        assert!(!folder_sizes(&root, 2, far).unwrap().complete);
        assert!(folder_sizes(&root.join("missing"), 10, far).is_err());
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn the_root_filesystem_is_measured() {
        let usage = usage(Path::new("/")).unwrap();
        assert!(usage.size_bytes > 0);
        assert!((0.0..=100.0).contains(&usage.used_percent));
    }
}
