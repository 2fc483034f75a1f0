//! Wrong verdicts under faults (issue 17): a monitoring tool must never say
//! OK when something is wrong, nor "did not answer" when the server answered
//! with the real reason. Each test builds the fault for real: a process
//! whose name the kernel truncates, a mount that is not there, a standby made
//! with pg_basebackup, an open transaction, a lock, a Redis that cannot
//! save, an ACL user without INFO.

use std::time::Duration;

use crate::support::command::wait_for;
use crate::support::maint;
use crate::support::redis::Redis;

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

/// INFO persistence of a test server, as text.
fn persistence(server: &Redis) -> String {
    match server.command(&["INFO", "persistence"]) {
        Ok(redis::Value::BulkString(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(redis::Value::VerbatimString { text, .. }) => text,
        other => panic!("INFO persistence: {other:?}"),
    }
}

#[test]
fn redis_stuck_on_a_failed_save_says_so_and_where() {
    // `dir` is a protected setting since Redis 7; the save points make a
    // failed save refuse writes (stop-writes-on-bgsave-error), PING with them.
    let server = Redis::start(&[("enable-protected-configs", "yes")]);
    let folder = tempfile::tempdir().unwrap();
    let gone = folder.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    server
        .command(&["CONFIG", "SET", "dir", &gone.display().to_string()])
        .unwrap();
    server
        .command(&["CONFIG", "SET", "save", "3600 1"])
        .unwrap();
    // Removed under it: no permission can help, not even root's.
    std::fs::remove_dir(&gone).unwrap();
    server.command(&["BGSAVE"]).unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || {
            let text = persistence(&server);
            text.contains("rdb_bgsave_in_progress:0") && text.contains("rdb_last_bgsave_status:err")
        }),
        "the save never failed: {}",
        persistence(&server)
    );
    assert!(
        server
            .command(&["SET", "k", "v"])
            .unwrap_err()
            .contains("MISCONF")
    );

    let out = maint()
        .args(["--format", "json", "health", "--only", "redis"])
        .args(["--redis", server.url()])
        .run();
    out.code(2);
    let redis = out.check("redis");
    assert_eq!(redis["status"], "CRITICAL");
    let message = redis["message"].as_str().unwrap();
    assert!(
        message.ends_with(
            "answers but refuses writes (and PING): MISCONF, its last background save failed \
             and stop-writes-on-bgsave-error is on"
        ),
        "{message}"
    );
    let persistence = out.check("redis:persistence");
    assert_eq!(persistence["status"], "CRITICAL");
    let message = persistence["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "the last background save into a folder that no longer exists failed (rdb_last_bgsave_status:err"
        ) && message.ends_with("writes are refused until a save succeeds (MISCONF)"),
        "{message}"
    );
    let cli = format!("redis-cli -h 127.0.0.1 -p {}", server.port);
    assert_eq!(
        persistence["hint"],
        format!(
            "{cli} config set dir FOLDER (one that exists, writable by redis, with room: its folder was removed); then {cli} bgsave"
        )
    );
    // Measured, not "did not answer".
    assert_eq!(out.check("redis:memory")["status"], "OK");
}

#[test]
fn a_redis_user_without_info_is_told_which_permission_to_grant() {
    let server = Redis::start(&[]);
    server
        .command(&[
            "ACL",
            "SETUSER",
            "monitor",
            "on",
            ">monitor-secret-2718",
            "~*",
            "+@all",
            "-info",
        ])
        .unwrap();
    let url = format!(
        "redis://monitor:monitor-secret-2718@127.0.0.1:{}",
        server.port
    );
    let out = maint()
        .args([
            "--format", "json", "health", "--only", "redis", "--redis", &url,
        ])
        .run();
    out.code(3).nowhere("monitor-secret-2718");
    let redis = out.check("redis");
    assert_eq!(redis["status"], "OK");
    assert_eq!(
        redis["message"],
        format!(
            "Redis at redis://monitor:***@127.0.0.1:{} answered PING, but user \"monitor\" may not run INFO (ACL: NOPERM)",
            server.port
        )
    );
    let memory = out.check("redis:memory");
    assert_eq!(memory["status"], "UNKNOWN");
    assert_eq!(
        memory["message"],
        "not measured: user \"monitor\" may not run INFO (ACL: NOPERM)"
    );
    assert_eq!(
        memory["hint"],
        format!(
            "as an admin user: redis-cli -h 127.0.0.1 -p {} ACL SETUSER monitor +info (or give [redis] url a user that may run it)",
            server.port
        )
    );
}
