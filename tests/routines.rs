//! `maint run ROUTINE` (issue 19): steps in order under their budgets and
//! one lock, one report, the exit code of the worst step, the maintenance
//! log, and the hooks around the steps and around `backup create`.

use std::time::Duration;

use crate::support::command::{free_port, wait_for};
use crate::support::site::Site;
use crate::support::tls::silent_port;

/// A step that fails: a certificate endpoint nobody listens on (CRITICAL).
fn refused() -> String {
    format!("certs check 127.0.0.1:{} --timeout 5s", free_port())
}

/// A step that hangs until its budget: an endpoint that never answers.
fn hung() -> String {
    format!("certs check 127.0.0.1:{} --timeout 10m", silent_port())
}

fn site(routine: &str) -> Site {
    let site = Site::new(&format!(
        "[routine]\nlog = \"maintenance.md\"\nlock = \"routine.lock\"\n\n[routine.daily]\n{routine}\n"
    ));
    site.write("ok.log", "hello\n");
    site
}

fn statuses(json: &serde_json::Value) -> Vec<(String, String)> {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_failed_step_does_not_skip_the_next_and_the_worst_decides() {
    let bad = refused();
    let site = site(&format!(
        "steps = [\"logs analyze ok.log\", \"{bad}\", \"logs analyze ok.log\"]"
    ));
    let out = site.run(&["--format", "json", "run", "daily"]);
    out.code(2);
    let json = out.json();
    assert_eq!(json["command"], "run daily");
    assert_eq!(
        statuses(&json),
        [
            ("step 1: logs analyze ok.log".to_owned(), "OK".to_owned()),
            (format!("step 2: {bad}"), "CRITICAL".to_owned()),
            ("step 3: logs analyze ok.log".to_owned(), "OK".to_owned()),
        ]
    );
    // A section per step, and the issues with their hints.
    assert!(json["sections"]["step1"].as_array().unwrap().len() > 1);
    let issues = json["sections"]["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0]["status"], "CRITICAL");
    assert!(issues[0]["hint"].as_str().unwrap().starts_with("nc -vz"));
}

#[test]
fn a_step_that_must_succeed_stops_the_routine() {
    let bad = refused();
    let site = site(&format!(
        "steps = [{{ run = \"{bad}\", continue_on_error = false }}, \"logs analyze ok.log\"]"
    ));
    let out = site.run(&["--format", "json", "run", "daily"]);
    out.code(2);
    let last = out.check("step 2: logs analyze ok.log");
    assert_eq!(last["status"], "UNKNOWN");
    assert_eq!(last["message"], "skipped: step 1 failed");
}

#[test]
fn a_hung_step_is_stopped_at_its_budget_and_the_routine_goes_on() {
    let site = site(&format!(
        "steps = [{{ run = \"{}\", timeout = \"1s\" }}, \"logs analyze ok.log\"]",
        hung()
    ));
    let out = site.run(&["--format", "json", "run", "daily"]);
    out.code(2);
    assert!(out.elapsed < Duration::from_secs(60), "{:?}", out.elapsed);
    let json = out.json();
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(checks[0]["status"], "CRITICAL");
    assert_eq!(checks[0]["message"], "stopped at its budget of 1s");
    assert_eq!(checks[1]["status"], "OK");
}

#[test]
fn overlapping_runs_are_refused_naming_the_one_running() {
    let site = site(&format!(
        "steps = [{{ run = \"{}\", timeout = \"60s\" }}]",
        hung()
    ));
    let mut first = site
        .command(&["-q", "run", "daily"])
        .spawn()
        .expect("start the first routine");
    assert!(
        wait_for(Duration::from_secs(20), || site
            .read("routine.lock")
            .contains("maint run daily")),
        "the first run never took the lock"
    );
    let second = site.run(&["run", "daily"]);
    second
        .code(3)
        .one_error_line("routine.lock is held by maint run daily (pid ");
    first.kill().unwrap();
    first.wait().unwrap();
}

#[test]
fn a_run_killed_midway_leaves_the_log_well_formed() {
    let site = Site::new(&format!(
        "[routine]\nlog = \"maintenance.jsonl\"\nlog_format = \"jsonl\"\nlock = \"routine.lock\"\n\n\
         [routine.quick]\nsteps = [\"logs analyze ok.log\"]\n\n\
         [routine.slow]\nsteps = [{{ run = \"{}\", timeout = \"60s\" }}]\n",
        hung()
    ));
    site.write("ok.log", "hello\n");
    site.run(&["-q", "run", "quick"]).code(0);
    let mut slow = site.command(&["-q", "run", "slow"]).spawn().unwrap();
    assert!(wait_for(Duration::from_secs(20), || site
        .read("routine.lock")
        .contains("maint run slow")));
    std::thread::sleep(Duration::from_millis(300));
    slow.kill().unwrap();
    slow.wait().unwrap();
    // The kernel released the lock with the process: the next run goes.
    site.run(&["-q", "run", "quick"]).code(0);
    let log = site.read("maintenance.jsonl");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    for line in lines {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(entry["command"], "run quick");
        assert_eq!(entry["status"], "OK");
    }
}

#[test]
fn the_log_follows_the_guides_template() {
    let bad = refused();
    let site = site(&format!("steps = [\"logs analyze ok.log\", \"{bad}\"]"));
    site.run(&["-q", "run", "daily"]).code(2);
    site.run(&["-q", "run", "daily"]).code(2);
    let log = site.read("maintenance.md");
    assert_eq!(
        log.matches("## maint run daily: CRITICAL\n").count(),
        2,
        "{log}"
    );
    let entry = log.split("## maint run daily").nth(1).unwrap();
    // Date, routine and duration; what each step did with its status; the
    // issues with their hints; the next actions.
    assert!(entry.contains("Host `"), "{entry}");
    assert!(entry.contains(", started 20"), "{entry}");
    assert!(entry.contains(", took "), "{entry}");
    assert!(
        entry.contains("| OK | `step 1: logs analyze ok.log` |"),
        "{entry}"
    );
    assert!(
        entry.contains(&format!("| CRITICAL | `step 2: {bad}` |")),
        "{entry}"
    );
    assert!(entry.contains("### Issues found"), "{entry}");
    assert!(entry.contains("**Next steps**"), "{entry}");
    assert!(entry.contains("`nc -vz -w 5 127.0.0.1 "), "{entry}");
    // Per-step detail stays in the report, out of the log.
    assert!(!entry.contains("### Step 1"), "{entry}");
}

#[test]
fn after_or_on_failure_runs_once_before_succeeded() {
    let bad = refused();
    let site = site(&format!(
        "steps = [\"{bad}\"]\nbefore = \"echo prepared; echo ready > before.txt\"\n\
         after = \"touch after.txt\"\non_failure = \"echo $MAINT_STATUS > failure.txt\"\n"
    ));
    let out = site.run(&["--format", "json", "run", "daily"]);
    out.code(2);
    assert_eq!(site.read("before.txt"), "ready\n");
    assert_eq!(site.read("failure.txt"), "failed\n");
    assert!(!site.path("after.txt").exists());
    let hooks = out.json()["sections"]["hooks"].clone();
    assert_eq!(hooks[0]["when"], "before");
    assert_eq!(hooks[0]["output"], "prepared");
    assert_eq!(hooks[1]["when"], "on_failure");

    // A before hook that fails: no step runs, on_failure does, after does not.
    let site = site_with_failing_before();
    let out = site.run(&["--format", "json", "run", "daily"]);
    out.code(2);
    let json = out.json();
    assert_eq!(
        json["checks"][0]["message"],
        "skipped: a before hook failed"
    );
    let hook = out.check("hook before: echo no database; exit 7");
    assert_eq!(hook["status"], "CRITICAL");
    assert_eq!(hook["message"], "exit 7: no database");
    assert!(site.path("failure.txt").exists());
    assert!(!site.path("after.txt").exists());
}

fn site_with_failing_before() -> Site {
    site(
        "steps = [\"logs analyze ok.log\"]\nbefore = \"echo no database; exit 7\"\n\
         after = \"touch after.txt\"\non_failure = \"touch failure.txt\"\n",
    )
}

#[test]
fn a_dry_run_shows_the_plan_and_runs_nothing() {
    let site = site(
        "steps = [\"logs analyze ok.log\", { run = \"backup prune\", timeout = \"10m\", continue_on_error = false }]\n\
         before = \"touch ran.txt\"\n",
    );
    let out = site.run(&["run", "daily", "--dry-run"]);
    out.code(0)
        .stdout_has("maint logs analyze ok.log")
        .stdout_has("budget 10m, stop on error")
        .stdout_has("touch ran.txt");
    assert!(!site.path("ran.txt").exists());
    assert!(!site.path("maintenance.md").exists());
}

#[test]
fn a_wrong_step_or_routine_is_refused_before_anything_runs() {
    let site = site("steps = [\"health\", \"backup craete\"]\nbefore = \"touch ran.txt\"\n");
    site.run(&["run", "daily"])
        .code(3)
        .one_error_line("routine \"daily\", step 2 (\"backup craete\"): unrecognized subcommand");
    site.run(&["run", "weekly"])
        .code(3)
        .one_error_line("no routine \"weekly\"")
        .stderr_has("the routines of maint.toml: daily");
    let site2 = crate::routines::site("steps = [\"run daily\"]");
    site2
        .run(&["run", "daily"])
        .code(3)
        .one_error_line("`run` cannot be a step of a routine");
    assert!(!site.path("ran.txt").exists());
}

#[test]
fn backup_hooks_wrap_backup_create() {
    let site = Site::new(
        "[backup]\nsources = [\"data\"]\ndest = \"backups\"\nname = \"web\"\n\
         before = \"echo $MAINT_COMMAND > before.txt\"\nafter = \"touch after.txt\"\non_failure = \"touch failure.txt\"\n",
    );
    std::fs::create_dir_all(site.path("data")).unwrap();
    std::fs::create_dir_all(site.path("backups")).unwrap();
    site.write("data/file.txt", "payload\n");
    let out = site.run(&["--format", "json", "backup", "create"]);
    out.code(0);
    assert_eq!(site.read("before.txt"), "backup create\n");
    assert!(site.path("after.txt").exists());
    assert!(!site.path("failure.txt").exists());
    assert_eq!(out.json()["sections"]["hooks"][1]["when"], "after");

    let site = Site::new(
        "[backup]\nsources = [\"data\"]\ndest = \"backups\"\nname = \"web\"\n\
         before = \"exit 1\"\nafter = \"touch after.txt\"\non_failure = \"touch failure.txt\"\n",
    );
    std::fs::create_dir_all(site.path("data")).unwrap();
    std::fs::create_dir_all(site.path("backups")).unwrap();
    site.run(&["backup", "create"])
        .code(2)
        .one_error_line("no backup was made: hook before: exit 1 (exit 1) failed");
    assert!(site.path("failure.txt").exists());
    assert!(!site.path("after.txt").exists());
    let archives = std::fs::read_dir(site.path("backups")).unwrap().count();
    assert_eq!(archives, 0);
}

#[test]
fn the_example_routines_are_valid() {
    // Every step of the annotated config parses as the command line it is.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/maint.toml");
    for routine in ["daily", "weekly", "monthly"] {
        crate::support::maint()
            .args(["--config", example, "run", routine, "--dry-run"])
            .run()
            .code(0)
            .stdout_has(&format!("Routine {routine} (budget "));
    }
}

#[test]
fn a_stopped_routine_stops_its_step_and_still_reports_hooks_and_logs() {
    let site = site(&format!(
        "steps = [{{ run = \"{}\", timeout = \"60s\" }}, \"logs analyze ok.log\"]\n\
         on_failure = \"sleep 1; touch failure.txt\"\n",
        hung()
    ));
    let child = site
        .command(&["--format", "json", "run", "daily"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_for(Duration::from_secs(20), || site
        .read("routine.lock")
        .contains("maint run daily")));
    std::thread::sleep(Duration::from_millis(300));
    // What systemd sends to stop a unit.
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["checks"][0]["message"],
        "stopped: maint was asked to stop"
    );
    assert_eq!(
        json["checks"][1]["message"],
        "skipped: maint was asked to stop"
    );
    // The on_failure hook ran to its end although maint was asked to stop.
    assert!(site.path("failure.txt").exists());
    assert!(
        site.read("maintenance.md")
            .contains("## maint run daily: CRITICAL")
    );
}
