//! A real child cgroup of the test process's own, with limits set, for
//! checking that maint judges memory and CPU against a container's limits.
//! Needs root and a writable cgroup hierarchy; `create` says None otherwise.

use std::path::PathBuf;

pub(crate) struct TestCgroup {
    dirs: Vec<PathBuf>,
}

/// The folder of this process's cgroup for a v1 controller, if mounted.
fn v1_dir(controller: &str) -> Option<PathBuf> {
    let membership = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = membership.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        controllers
            .split(',')
            .any(|c| c == controller)
            .then(|| path.to_owned())
    })?;
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount_point = mountinfo.lines().find_map(|line| {
        let (head, tail) = line.split_once(" - ")?;
        let mut tail = tail.split(' ');
        let fs_type = tail.next()?;
        let options = tail.nth(1)?;
        let fields: Vec<&str> = head.split(' ').collect();
        (fs_type == "cgroup"
            && options.split(',').any(|o| o == controller)
            && fields.get(3) == Some(&"/"))
        .then(|| fields[4].to_owned())
    })?;
    Some(PathBuf::from(format!("{mount_point}{path}")))
}

impl TestCgroup {
    /// A new child cgroup under each (v1 controller, file, value), with the
    /// value written. None when this machine does not allow it.
    pub(crate) fn create(settings: &[(&str, &str, &str)]) -> Option<TestCgroup> {
        if !rustix::process::geteuid().is_root() {
            return None;
        }
        let mut cgroup = TestCgroup { dirs: Vec::new() };
        let name = format!("maint-test-{}-{}", std::process::id(), rand_suffix());
        for (controller, file, value) in settings {
            let dir = v1_dir(controller)?.join(&name);
            if !cgroup.dirs.contains(&dir) {
                std::fs::create_dir(&dir).ok()?;
                cgroup.dirs.push(dir.clone());
            }
            if !file.is_empty() {
                std::fs::write(dir.join(file), value).ok()?;
            }
        }
        Some(cgroup)
    }

    /// A `sh -c` script that joins the cgroup and then runs "$@".
    pub(crate) fn join_script(&self) -> String {
        let joins: Vec<String> = self
            .dirs
            .iter()
            .map(|dir| format!("echo $$ > {}/cgroup.procs", dir.display()))
            .collect();
        format!("{} && exec \"$@\"", joins.join(" && "))
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        for dir in &self.dirs {
            // The process that joined has exited; the folder goes once the kernel agrees.
            for _ in 0..50 {
                if std::fs::remove_dir(dir).is_ok() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
}
