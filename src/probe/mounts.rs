//! The mount table of this process, from `/proc/self/mountinfo` (not
//! `/proc/mounts`: only mountinfo has the device numbers that tell bind
//! mounts apart and the mount root that locates a container's cgroup).

use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// `major:minor` of the filesystem; equal for bind mounts of one filesystem.
    pub device: String,
    /// The folder of the filesystem that is mounted here (`/` unless a bind mount).
    pub root: PathBuf,
    pub mount_point: PathBuf,
    pub fs_type: String,
    pub source: String,
    pub read_only: bool,
    /// Per-mount options followed by the filesystem's own, comma separated.
    pub options: String,
}

pub fn read() -> std::io::Result<Vec<Mount>> {
    let text = std::fs::read_to_string("/proc/self/mountinfo")?;
    Ok(parse(&text))
}

/// Parses mountinfo lines: `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`.
pub fn parse(text: &str) -> Vec<Mount> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Mount> {
    let (head, tail) = line.split_once(" - ")?;
    let mut head = head.split(' ');
    let _id = head.next()?;
    let _parent = head.next()?;
    let device = head.next()?.to_owned();
    let root = unescape(head.next()?);
    let mount_point = unescape(head.next()?);
    let mount_options = head.next()?;
    let mut tail = tail.split(' ');
    let fs_type = tail.next()?.to_owned();
    let source = unescape(tail.next()?);
    let super_options = tail.next().unwrap_or("");
    let has_ro = |options: &str| options.split(',').any(|o| o == "ro");
    Some(Mount {
        device,
        root: PathBuf::from(root),
        mount_point: PathBuf::from(mount_point),
        fs_type,
        source,
        read_only: has_ro(mount_options) || has_ro(super_options),
        options: format!("{mount_options},{super_options}"),
    })
}

/// The kernel writes space, tab, newline and backslash in paths as `\040` octal escapes.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let value =
                (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(value);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where `path` (a path inside the filesystem mounted at `mount`) appears in
/// this process's view, or None when the mount does not show it.
pub fn locate(mount: &Mount, path: &Path) -> Option<PathBuf> {
    let relative = path.strip_prefix(&mount.root).ok()?;
    Some(mount.mount_point.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
28 27 0:25 / /mnt/with\\040space ro,nosuid - tmpfs none ro,size=4k
35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
";

    #[test]
    fn parses_fields_and_escapes() {
        let mounts = parse(SAMPLE);
        assert_eq!(mounts.len(), 4);
        assert_eq!(mounts[1].mount_point, Path::new("/"));
        assert_eq!(mounts[1].fs_type, "ext4");
        assert_eq!(mounts[1].device, "254:0");
        assert!(!mounts[1].read_only);
        assert_eq!(mounts[2].mount_point, Path::new("/mnt/with space"));
        assert!(mounts[2].read_only);
        assert!(mounts[3].options.contains("memory"));
    }

    #[test]
    fn locates_paths_below_a_bind_root() {
        let mounts = parse(SAMPLE);
        assert_eq!(
            locate(&mounts[3], Path::new("/docker/abc")),
            Some(PathBuf::from("/sys/fs/cgroup/memory"))
        );
        assert_eq!(locate(&mounts[3], Path::new("/other")), None);
    }
}
