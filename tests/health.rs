//! `maint health` on the local machine: the checks that run with no
//! configuration, selection by name, threshold overrides, and the verdict.

use crate::support::maint;

fn status_code(status: &str) -> i32 {
    match status {
        "OK" => 0,
        "WARNING" => 1,
        "CRITICAL" => 2,
        _ => 3,
    }
}

#[test]
fn zero_config_checks_the_local_resources() {
    let out = maint().json().args(["health"]).run();
    let json = out.json();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["command"], "health");
    let names = out.check_names();
    for name in ["cpu", "load", "memory", "swap", "disk:/", "inodes:/"] {
        assert!(
            names.contains(&name.to_owned()),
            "{name} missing from {names:?}"
        );
    }
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("disk:/proc") || n.starts_with("disk:/sys"))
    );
    // The exit code is the verdict.
    out.code(status_code(json["status"].as_str().unwrap()));
    for check in json["checks"].as_array().unwrap() {
        if check["status"] != "OK" {
            assert!(check["hint"].is_string(), "no hint on {check}");
        }
    }
}

#[test]
fn disk_use_is_computed_like_df() {
    let out = maint().json().args(["health", "--only", "disk:/"]).run();
    let ours = out.check("disk:/")["value"].as_f64().unwrap();
    let df = std::process::Command::new("df")
        .args(["--output=pcent", "/"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&df.stdout);
    let theirs: f64 = text
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .trim_end_matches('%')
        .parse()
        .unwrap();
    // df rounds up to a whole percent; the filesystem may move a little in between.
    assert!(
        (ours.ceil() - theirs).abs() <= 1.0,
        "ours {ours}, df {theirs}"
    );
}

#[test]
fn the_table_gives_the_verdict_first() {
    let out = maint().args(["health", "--only", "cpu"]).run();
    assert!(out.stdout.starts_with("maint health: "), "{}", out.stdout);
    out.stdout_has("STATUS").stdout_has(" cpu ");
}

#[test]
fn list_shows_the_plan_and_runs_nothing() {
    let out = maint().args(["health", "--list"]).run();
    out.code(0).stderr_is("");
    assert!(
        out.stdout
            .starts_with("Checks that would run (deadline 10s):"),
        "{}",
        out.stdout
    );
    out.stdout_has(" cpu ").stdout_has(" disk:/ ");
    let out = maint()
        .json()
        .args(["health", "--list", "--skip", "inodes", "--deadline", "3s"])
        .run();
    let rows = out.json()["sections"]["checks"].as_array().unwrap().clone();
    assert!(
        rows.iter()
            .any(|r| r["name"] == "memory" && r["kind"] == "memory")
    );
    assert!(
        !rows
            .iter()
            .any(|r| r["name"].as_str().unwrap().starts_with("inodes:"))
    );
    assert_eq!(out.json()["checks"].as_array().unwrap().len(), 0);
}

#[test]
fn only_and_skip_select_by_name_kind_and_glob() {
    let out = maint().json().args(["health", "--only", "cpu"]).run();
    assert_eq!(out.check_names(), ["cpu"]);
    let out = maint().json().args(["health", "--only", "memory"]).run();
    assert_eq!(out.check_names(), ["memory"]);
    let out = maint().json().args(["health", "--only", "*:/"]).run();
    assert_eq!(out.check_names(), ["disk:/", "inodes:/"]);
    let out = maint()
        .json()
        .args([
            "health", "--skip", "disk", "--skip", "inodes", "--skip", "cpu", "--skip", "systemd",
        ])
        .run();
    assert_eq!(
        out.check_names(),
        ["load", "memory", "swap", "clock", "reboot"]
    );
}

#[test]
fn only_naming_nothing_is_a_usage_error() {
    maint()
        .args(["health", "--only", "dsik"])
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line(
            "no check matches --only \"dsik\"; hint: `maint health --list` shows the checks",
        );
}

#[test]
fn thresholds_are_overridden_on_the_command_line() {
    let out = maint()
        .json()
        .args(["health", "--only", "disk:/", "--threshold", "disk=0,0"])
        .run();
    out.code(2);
    let check = out.check("disk:/");
    assert_eq!(check["status"], "CRITICAL");
    assert!(
        check["hint"]
            .as_str()
            .unwrap()
            .starts_with("du -xh --max-depth=2 /")
    );
    let out = maint()
        .json()
        .args(["health", "--only", "memory", "--threshold", "memory=0.001"])
        .run();
    out.code(1);
    assert_eq!(out.check("memory")["threshold"]["critical"], 90.0);
}

#[test]
fn bad_threshold_overrides_are_usage_errors() {
    maint()
        .args(["health", "--threshold", "disk=95,90"])
        .run()
        .code(3)
        .one_error_line("--threshold disk: the warning level 95 is above the critical level 90");
    maint()
        .args(["health", "--threshold", "dsik=90"])
        .run()
        .code(3)
        .one_error_line(
            "unknown key \"dsik\"; hint: write KEY=WARN[,CRIT] with KEY one of cpu, memory",
        );
    maint()
        .args(["health", "--threshold", "disk=lots"])
        .run()
        .code(3)
        .one_error_line("\"lots\" is not a number");
}

#[test]
fn a_check_past_the_deadline_is_unknown_and_the_report_is_on_time() {
    let hang = crate::support::http::url("/hang");
    let out = maint()
        .config(&format!(
            "[[health.http]]\nname = \"hang\"\nurl = \"{hang}\"\ntimeout = \"30s\"\n"
        ))
        .json()
        .args(["health", "--only", "http:hang", "--deadline", "1s"])
        .run();
    assert!(out.elapsed.as_secs_f64() < 3.0, "took {:?}", out.elapsed);
    out.code(3);
    let check = out.check("http:hang");
    assert_eq!(check["status"], "UNKNOWN");
    assert_eq!(check["message"], "still running at the 1.0 s deadline");
    assert!(check["hint"].is_string());
}

#[test]
fn a_hung_mount_is_unknown_and_the_run_still_ends() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: mounting a FUSE filesystem in a private namespace needs root");
        return;
    }
    let command = maint();
    let mount_point = command.path("hung");
    std::fs::create_dir(&mount_point).unwrap();
    let point = mount_point.display().to_string();
    let out = command
        .json()
        .args(["health", "--only", &format!("*:{point}"), "--timeout", "1s"])
        // Bounded, so that a regression fails instead of hanging the suite.
        .run_with_hung_mount(&point, r#"timeout -s KILL 20 "$@"; code=$?"#);
    assert!(out.elapsed.as_secs_f64() < 10.0, "took {:?}", out.elapsed);
    out.code(3);
    let check = out.check(&format!("disk:{point}"));
    assert_eq!(check["status"], "UNKNOWN");
    assert_eq!(
        check["message"],
        "statvfs gave no answer within 1.0 s: a hung mount?"
    );
    assert_eq!(
        check["hint"],
        format!("mount | grep ' {point} '; for a dead network mount: umount -l {point}")
    );
    assert_eq!(out.check(&format!("inodes:{point}"))["status"], "UNKNOWN");
}

#[test]
fn inside_a_cgroup_memory_and_cpu_are_judged_against_its_limits() {
    let Some(cgroup) = crate::support::cgroup::TestCgroup::create(&[
        ("memory", "memory.limit_in_bytes", "536870912"),
        ("cpu", "cpu.cfs_period_us", "100000"),
        ("cpu", "cpu.cfs_quota_us", "50000"),
        ("cpuacct", "", ""),
    ]) else {
        eprintln!("skipped: needs root and writable cgroup v1 memory, cpu and cpuacct hierarchies");
        return;
    };
    let script = cgroup.join_script();
    let out = maint()
        .json()
        .args(["health", "--only", "memory", "--only", "cpu"])
        .run_via(&["sh", "-c", &script, "sh"]);
    let memory = out.check("memory");
    let message = memory["message"].as_str().unwrap();
    assert!(message.ends_with(" of 512 MiB (cgroup limit)"), "{message}");
    let cpu = out.check("cpu");
    let message = cpu["message"].as_str().unwrap();
    assert!(
        message.ends_with("(of the cgroup's 0.5-core quota)"),
        "{message}"
    );
}
