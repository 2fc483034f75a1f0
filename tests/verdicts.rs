//! Wrong verdicts under faults (issue 17): a monitoring tool must never say
//! OK when something is wrong, nor "did not answer" when the server answered
//! with the real reason. Each test builds the fault for real: a process
//! whose name the kernel truncates, a mount that is not there, a standby made
//! with pg_basebackup, an open transaction, a lock, a Redis that cannot
//! save, an ACL user without INFO.

use crate::support::maint;

/// A copy of `sleep` under a name longer than the kernel's 15 bytes, running
/// until dropped.
struct LongNamed {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl LongNamed {
    fn start(name: &str) -> LongNamed {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join(name);
        std::fs::copy("/bin/sleep", &program).unwrap();
        let child = std::process::Command::new(&program)
            .arg("300")
            .spawn()
            .unwrap();
        LongNamed { child, _dir: dir }
    }
}

impl Drop for LongNamed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_long_process_name_matches_only_itself_not_its_first_15_bytes() {
    let admin = LongNamed::start("gunicorn-worker-admin");
    let out = maint()
        .config(
            "[[health.process]]\nname = \"gunicorn-worker-api\"\n\n\
             [[health.process]]\nname = \"gunicorn-worker-admin\"\n\n\
             [[health.process]]\nname = \"gunicorn-worker\"\n",
        )
        .args(["--format", "json", "health", "--only", "process"])
        .run();
    drop(admin);
    out.code(2);
    let api = out.check("process:gunicorn-worker-api");
    assert_eq!(api["status"], "CRITICAL");
    assert_eq!(api["message"], "not running; expected at least 1");
    // pgrep too must read the whole command line to see such a name.
    assert_eq!(
        api["hint"],
        "systemctl status gunicorn-worker-api; pgrep -af gunicorn-worker-api"
    );
    let running = out.check("process:gunicorn-worker-admin");
    assert_eq!(running["status"], "OK");
    assert_eq!(running["value"], 1.0);
    // The 15 bytes the kernel kept are not the process's name either.
    assert_eq!(out.check("process:gunicorn-worker")["status"], "CRITICAL");
}

#[test]
fn a_named_mount_with_nothing_mounted_is_critical() {
    let command = maint();
    let folder = command.path("data");
    std::fs::create_dir(&folder).unwrap();
    let point = folder.display().to_string();
    let out = command
        .config(&format!("[health]\nmounts = [\"{point}\"]\n"))
        .args([
            "--format",
            "json",
            "health",
            "--only",
            &format!("*:{point}"),
        ])
        .run();
    out.code(2);
    let disk = out.check(&format!("disk:{point}"));
    assert_eq!(disk["status"], "CRITICAL");
    assert_eq!(
        disk["message"],
        format!(
            "not mounted: [health] mounts names {point}, but nothing is mounted there \
             (what is written to it lands on the filesystem below)"
        )
    );
    assert_eq!(
        disk["hint"],
        format!("findmnt --fstab {point}; mount {point}")
    );
    assert_eq!(out.check(&format!("inodes:{point}"))["status"], "UNKNOWN");
    // `--list` shows the check too, so nothing about it is silent.
    let out = maint()
        .config(&format!("[health]\nmounts = [\"{point}\"]\n"))
        .args(["health", "--list"])
        .run();
    out.code(0).stdout_has(&format!("disk:{point}"));
}
