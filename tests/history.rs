//! The history: what check runs record, `maint trend` over it (table, JSON,
//! import, the HTML page in a real browser), the predictions in `health`
//! and `diagnose` from histories with known slopes, and a store that is
//! shared, killed, corrupt or read-only.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::command::{Maint, Output, wait_for};
use crate::support::maint;

/// A history folder of a test's own, shared by several runs.
struct History {
    dir: tempfile::TempDir,
}

impl History {
    fn new() -> History {
        History {
            dir: tempfile::Builder::new()
                .prefix("maint-history-")
                .tempdir()
                .unwrap(),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("history.db")
    }

    /// `maint` writing into this history.
    fn maint(&self) -> Maint {
        maint().env("MAINT_HISTORY_PATH", self.path())
    }

    /// Imports `lines` (a metrics.jsonl) into the history.
    fn import(&self, lines: &str) {
        let file = self.dir.path().join("metrics.jsonl");
        std::fs::write(&file, lines).unwrap();
        self.maint()
            .args(["trend", "--import"])
            .arg(&file)
            .run()
            .code(0);
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The disk use of `/` as `maint health` sees it now.
fn disk_use() -> f64 {
    maint()
        .json()
        .args(["--no-history", "health", "--only", "disk:/"])
        .run()
        .check("disk:/")["value"]
        .as_f64()
        .unwrap()
}

/// Hourly points of `disk:/` over the last week, growing `per_day` to
/// reach `current` now, each changed by `shape(hour)`.
fn filling(current: f64, per_day: f64, shape: impl Fn(usize) -> f64) -> String {
    let now = now();
    (0..168)
        .map(|h| {
            let hours_ago = 168 - h;
            let value = current - per_day * hours_ago as f64 / 24.0 + shape(h);
            format!(
                "{{\"timestamp\":{},\"disk:/\":{value}}}\n",
                now - hours_ago as i64 * 3600
            )
        })
        .collect()
}

/// The prediction `health` makes for `/` with that history, if any.
fn predicted(history: &History) -> Option<serde_json::Value> {
    let out = history
        .maint()
        .json()
        .args(["health", "--only", "disk:/", "--threshold", "disk=99.9,100"])
        .run();
    out.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "predict:disk:/")
        .cloned()
}

/// The per-day growth that fills `/` in `days` from `current`.
fn growth_for(current: f64, days: f64) -> f64 {
    (100.0 - current) / days
}

#[test]
fn a_steadily_filling_disk_is_predicted_full_on_the_day() {
    let history = History::new();
    let current = disk_use();
    history.import(&filling(current, growth_for(current, 9.0), |_| 0.0));
    let check = predicted(&history).expect("a prediction");
    // Stated tolerance: half a day (the disk itself moves a little meanwhile).
    let days = check["value"].as_f64().unwrap();
    assert!((days - 9.0).abs() < 0.5, "{check}");
    assert_eq!(check["status"], "WARNING");
    assert_eq!(check["unit"], "days");
    let message = check["message"].as_str().unwrap();
    assert!(message.starts_with("disk:/ full in 9 days"), "{message}");
    assert!(
        message.contains("Theil–Sen fit over") && message.contains("R² "),
        "{message}"
    );
}

#[test]
fn a_log_rotation_drop_does_not_move_the_prediction() {
    let history = History::new();
    let current = disk_use();
    // Rotation frees 15 points of the disk for one sample, a day ago.
    let drop = |h: usize| if h == 144 { -15.0 } else { 0.0 };
    history.import(&filling(current, growth_for(current, 9.0), drop));
    let days = predicted(&history).unwrap()["value"].as_f64().unwrap();
    assert!((days - 9.0).abs() < 0.5, "{days}");
}

#[test]
fn noise_around_the_line_keeps_the_prediction_within_a_day() {
    let history = History::new();
    let current = disk_use();
    // ±1 point of deterministic noise.
    let noise = |h: usize| ((h * 7919 % 200) as f64 / 100.0) - 1.0;
    history.import(&filling(current, growth_for(current, 9.0), noise));
    let days = predicted(&history).unwrap()["value"].as_f64().unwrap();
    assert!((days - 9.0).abs() < 1.0, "{days}");
}

#[test]
fn a_disk_filling_within_days_is_critical_in_health_and_diagnose() {
    let history = History::new();
    let current = disk_use();
    history.import(&filling(current, growth_for(current, 2.0), |_| 0.0));
    let check = predicted(&history).unwrap();
    assert_eq!(check["status"], "CRITICAL", "{check}");
    let out = history.maint().json().args(["diagnose"]).run();
    let finding = out.check("predict:disk:/");
    assert_eq!(finding["status"], "CRITICAL", "{finding}");
}

#[test]
fn too_few_points_make_no_prediction_and_levels_are_configurable() {
    let history = History::new();
    let current = disk_use();
    let few: String = filling(current, 5.0, |_| 0.0)
        .lines()
        .rev()
        .take(5)
        .map(|l| format!("{l}\n"))
        .collect();
    history.import(&few);
    assert_eq!(predicted(&history), None);

    let history = History::new();
    history.import(&filling(current, growth_for(current, 9.0), |_| 0.0));
    let out = history
        .maint()
        .json()
        .config("[history]\nfull_in = { warn = 5, crit = 2 }\n")
        .args(["health", "--only", "disk:/", "--threshold", "disk=99.9,100"])
        .run();
    let check = out.check("predict:disk:/");
    assert_eq!(check["status"], "OK", "{check}");
    assert_eq!(check["threshold"]["warning"], 5.0);
}

/// A metrics.jsonl of `days` nightly values of `series`, from `start`
/// growing `per_night`, the last one a day ago.
fn nightly(series: &str, days: i64, start: f64, per_night: f64) -> String {
    let now = now();
    (0..days)
        .map(|d| {
            format!(
                "{{\"ts\":{},\"{series}\":{}}}\n",
                now - (days - d) * 86_400,
                start + per_night * d as f64
            )
        })
        .collect()
}

#[test]
fn a_growing_backup_is_predicted_to_double() {
    let history = History::new();
    // A nightly archive of 1 GB growing 10 MB a night for a month.
    history.import(&nightly("backup create/archive", 30, 1e9, 1e7));
    let out = history.maint().json().args(["health"]).run();
    let check = out.check("predict:backup create/archive");
    // 1.3 GB tomorrow at +10 MB a day: 5.4 % a week, doubles in 130 days.
    let days = check["value"].as_f64().unwrap();
    assert!((days - 130.0).abs() < 2.0, "{check}");
    let message = check["message"].as_str().unwrap();
    assert!(
        message.starts_with("backup size grows 5.4 % a week: doubles in 13"),
        "{message}"
    );
    // Selected by name as every check.
    let skipped = history
        .maint()
        .json()
        .args(["health", "--skip", "predict:*"])
        .run();
    assert!(
        !skipped
            .check_names()
            .iter()
            .any(|n| n.starts_with("predict:"))
    );
}

#[test]
fn a_growing_database_is_predicted_to_double() {
    let history = History::new();
    // What a nightly `db report` records: 2 GB growing 40 MB a night.
    history.import(&nightly("db report/db:size", 20, 2e9, 4e7));
    let out = history.maint().json().args(["health"]).run();
    let check = out.check("predict:db report/db:size");
    // 2.8 GB tomorrow at +40 MB a day: 10 % a week, doubles in 70 days.
    let days = check["value"].as_f64().unwrap();
    assert!((days - 70.0).abs() < 2.0, "{check}");
    let message = check["message"].as_str().unwrap();
    assert!(
        message.starts_with("database size grows 10 % a week: doubles in 7"),
        "{message}"
    );
}

#[test]
fn check_runs_record_and_trend_shows_them() {
    let history = History::new();
    let mut last = None;
    for _ in 0..2 {
        last = Some(
            history
                .maint()
                .json()
                .args(["health", "--only", "disk:/", "--only", "load"])
                .run(),
        );
        std::thread::sleep(Duration::from_millis(1100));
    }
    // The machine's own load decides the statuses: the trend shows the last run's.
    let last = last.unwrap();
    let out = history.maint().json().args(["trend", "disk", "load"]).run();
    out.code(0);
    let rows = out.json()["sections"]["trends"].as_array().unwrap().clone();
    let names: Vec<&str> = rows.iter().map(|r| r["check"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{rows:?}");
    assert!(names.contains(&"disk:/") && names.contains(&"load"));
    for row in &rows {
        assert_eq!(row["points"], 2, "{row}");
        let name = row["check"].as_str().unwrap();
        assert_eq!(row["status"], last.check(name)["status"], "{row}");
        assert!(row["min"].as_f64().unwrap() <= row["max"].as_f64().unwrap());
    }
    let table = history.maint().args(["trend", "disk:/", "--plot"]).run();
    table
        .code(0)
        .stdout_has("Trends over the last 30d, worst first:")
        .stdout_has("SLOPE/DAY")
        .stdout_has("disk:/ — last ");
    history
        .maint()
        .args(["trend", "nothing:*"])
        .run()
        .code(3)
        .one_error_line("no history of nothing:*");
}

#[test]
fn no_history_writes_nothing_and_config_moves_the_store() {
    let history = History::new();
    history
        .maint()
        .args(["--no-history", "health", "--only", "load"])
        .run();
    assert!(!history.path().exists());
    assert!(!history.dir.path().join("history.db-wal").exists());

    let elsewhere = history.dir.path().join("configured/h.db");
    history
        .maint()
        .config(&format!(
            "[history]\npath = {:?}\n",
            elsewhere.display().to_string()
        ))
        .args(["health", "--only", "load"])
        .run();
    assert!(elsewhere.exists());
    assert!(!history.path().exists());

    history
        .maint()
        .config("[history]\nkeep = \"0s\"\n")
        .args(["health", "--only", "load"])
        .run()
        .code(3)
        .one_error_line("history.keep");
}

#[test]
fn import_takes_a_metrics_jsonl_and_refuses_a_bad_line_whole() {
    let history = History::new();
    let now = now();
    let lines: String = (0..48)
        .map(|h| {
            let t = chrono::DateTime::from_timestamp(now - (48 - h) * 3600, 0).unwrap();
            format!(
                "{{\"timestamp\":\"{}\",\"cpu\":{},\"memory\":{{\"used\":{}}},\"host\":\"web1\"}}\n",
                t.to_rfc3339(),
                10 + h,
                50
            )
        })
        .collect();
    let file = history.dir.path().join("metrics.jsonl");
    std::fs::write(&file, &lines).unwrap();
    let out = history
        .maint()
        .json()
        .args(["trend", "--import"])
        .arg(&file)
        .run();
    out.code(0);
    let message = out.check("import")["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("48 lines, 96 points of 2 series"),
        "{message}"
    );
    let rows = out.json()["sections"]["trends"].as_array().unwrap().clone();
    let cpu = rows.iter().find(|r| r["check"] == "cpu").unwrap();
    assert_eq!(cpu["points"], 48);
    assert_eq!(cpu["last"], 57.0);
    // One point an hour: 24 a day.
    assert!(
        (cpu["slope_per_day"].as_f64().unwrap() - 24.0).abs() < 1e-6,
        "{cpu}"
    );
    assert!(rows.iter().any(|r| r["check"] == "memory.used"));

    let bad = history.dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        format!("{{\"timestamp\":{now},\"x\":1}}\n{{\"x\":2}}\n"),
    )
    .unwrap();
    history
        .maint()
        .args(["trend", "--import"])
        .arg(&bad)
        .run()
        .code(3)
        .one_error_line("line 2: no timestamp");
    let out = history.maint().json().args(["trend", "x"]).run();
    out.code(3);
}

/// A store shared by runs at once: every run records or waits, none fails.
#[test]
fn concurrent_writers_leave_a_readable_store() {
    let history = History::new();
    let runs: Vec<_> = (0..6)
        .map(|_| {
            history
                .maint()
                .args(["health", "--only", "load", "--only", "disk:/"])
                .command()
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("history"), "{stderr}");
    }
    let out = history.maint().json().args(["trend", "load"]).run();
    out.code(0);
    assert_eq!(
        out.json()["sections"]["trends"].as_array().unwrap().len(),
        1
    );
}

/// An import killed halfway (SIGKILL, mid-transaction) leaves the store as
/// it was before it: readable, without a point of the import, and the next
/// run records as ever.
#[test]
fn a_killed_writer_leaves_the_store_whole() {
    use std::os::unix::process::ExitStatusExt;

    let history = History::new();
    history.maint().args(["health", "--only", "load"]).run();
    let now = now();
    let count = 600_000;
    let lines: String = (0..count)
        .map(|i| format!("{{\"ts\":{},\"big\":{i}}}\n", now - count + i))
        .collect();
    let file = history.dir.path().join("big.jsonl");
    std::fs::write(&file, lines).unwrap();
    let mut child = history
        .maint()
        .args(["trend", "--import"])
        .arg(&file)
        .command()
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once it writes: the transaction spills into the WAL.
    let wal = history.dir.path().join("history.db-wal");
    assert!(wait_for(Duration::from_secs(60), || {
        std::fs::metadata(&wal).is_ok_and(|m| m.len() > 256 * 1024)
    }));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "the import ended before the kill");
    let out = history.maint().json().args(["trend"]).run();
    out.code(0);
    let rows = out.json()["sections"]["trends"].as_array().unwrap().clone();
    assert!(rows.iter().any(|r| r["check"] == "load"), "{rows:?}");
    assert!(!rows.iter().any(|r| r["check"] == "big"), "{rows:?}");
    history
        .maint()
        .args(["health", "--only", "load"])
        .run()
        .stderr_is("");
}

fn warns_and_keeps_its_code(out: &Output) {
    out.code(0)
        .stderr_has("maint: warning: the history was not recorded:");
}

#[test]
fn a_corrupt_store_warns_and_the_exit_code_stands() {
    let history = History::new();
    std::fs::write(history.path(), "this is not a database\n".repeat(500)).unwrap();
    let out = history
        .maint()
        .args(["health", "--only", "disk:/", "--threshold", "disk=99.9,100"])
        .run();
    warns_and_keeps_its_code(&out);
    out.stdout_has("disk:/");
}

#[test]
fn a_read_only_store_warns_and_the_exit_code_stands() {
    let history = History::new();
    history.maint().args(["health", "--only", "load"]).run();
    assert!(history.path().exists());
    let dir = history.dir.path().display().to_string();
    // Root writes through file modes, so the folder is made read-only by a mount.
    let out = history
        .maint()
        .args(["health", "--only", "disk:/", "--threshold", "disk=99.9,100"])
        .run_in_private_mounts(&format!(
            "mount --bind '{dir}' '{dir}' && mount -o remount,bind,ro '{dir}' && exec \"$@\""
        ));
    warns_and_keeps_its_code(&out);
}

fn chromium() -> &'static str {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find(|name| {
            std::process::Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("chromium is installed (.ci/run installs it)")
}

/// The review page, opened in a real browser: its DOM holds one SVG chart per check.
#[test]
fn the_html_review_opens_in_a_browser_with_its_charts() {
    let history = History::new();
    let current = disk_use();
    history.import(&filling(current, 1.0, |_| 0.0));
    history.import(
        &(0..100)
            .map(|h| format!("{{\"ts\":{},\"queue\":{}}}\n", now() - h * 600, h % 7))
            .collect::<String>(),
    );
    let page = history.dir.path().join("review.html");
    history
        .maint()
        .args(["--format", "html", "--output"])
        .arg(&page)
        .arg("trend")
        .run()
        .code(0)
        .stdout_is("");
    let dom = dump_dom(&page);
    assert_eq!(dom.matches("<svg").count(), 2, "{dom}");
    assert_eq!(dom.matches("<polyline").count(), 2);
    assert!(dom.contains("disk:/") && dom.contains("queue"));
    assert!(!dom.contains("<script"));
    // Worst trends first: the filling disk before the flat queue.
    assert!(dom.find("chart-1").unwrap() < dom.find("chart-2").unwrap());
    let first = &dom[dom.find("id=\"chart-1\"").unwrap()..];
    assert!(first[..200].contains("disk:/"), "{first:.300}");
}

fn dump_dom(page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .env("HOME", profile.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
