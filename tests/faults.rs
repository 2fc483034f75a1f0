//! Faults a monitoring tool meets and must survive on time (issue 17):
//! ports that accept and never answer, servers that stop answering in
//! mid-session, a hung mount. Every run here is bounded from outside
//! (`timeout -s KILL`), so a regression fails instead of hanging the suite,
//! and the bounds asserted are generous: behaviour, not benchmarks.

use crate::support::command::{Maint, Output};
use crate::support::faults::stalling_proxy;
use crate::support::maint;
use crate::support::postgres::{self, PASSWORD};
use crate::support::tls::silent_port;

/// Runs maint killed after a minute at the latest: a hang fails the test.
fn run_bounded(command: Maint) -> Output {
    command.run_via(&["timeout", "-s", "KILL", "60"])
}

/// The run ended within `limit` plus a generous margin.
fn ended_within(out: &Output, limit: f64) {
    assert!(
        out.elapsed.as_secs_f64() < limit + 5.0,
        "{} took {:?}, the limit is {limit} s\nstderr: {}",
        out.command,
        out.elapsed,
        out.stderr
    );
}

/// Asserts that a check's text field contains (starts with, ends with) `text`.
fn text_contains(check: &serde_json::Value, field: &str, text: &str) {
    let value = check[field].as_str().unwrap_or_default();
    assert!(value.contains(text), "{field} lacks {text:?}: {check}");
}

fn text_starts_with(check: &serde_json::Value, field: &str, text: &str) {
    let value = check[field].as_str().unwrap_or_default();
    assert!(
        value.starts_with(text),
        "{field} does not start with {text:?}: {check}"
    );
}

fn text_ends_with(check: &serde_json::Value, field: &str, text: &str) {
    let value = check[field].as_str().unwrap_or_default();
    assert!(
        value.ends_with(text),
        "{field} does not end with {text:?}: {check}"
    );
}

fn silent_postgres_url() -> String {
    format!("postgres://app@127.0.0.1:{}/app", silent_port())
}

/// The test server's URL with its host and port replaced by a proxy's.
fn through(proxy: u16) -> String {
    let mut url = url::Url::parse(postgres::shared().url()).unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy)).unwrap();
    url.to_string()
}

fn upstream() -> String {
    let url = url::Url::parse(postgres::shared().url()).unwrap();
    format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(5432)
    )
}

// Case 1: rust-postgres' connect_timeout bounds the TCP connect only; a port
// that accepts and never answers held db commands forever.

#[test]
fn db_commands_give_up_on_a_silent_port_at_pgconnect_timeout() {
    let url = silent_postgres_url();
    let commands: [&[&str]; 4] = [
        &["db", "report"],
        &["db", "vacuum"],
        &["db", "vacuum", "--dry-run"],
        &[
            "db",
            "prune",
            "--table",
            "metrics",
            "--column",
            "at",
            "--older-than",
            "30d",
        ],
    ];
    for args in commands {
        let out = run_bounded(
            maint()
                .env("PGCONNECT_TIMEOUT", "2")
                .args(args)
                .args(["--url", &url]),
        );
        out.code(3)
            .stdout_is("")
            .one_error_line("no answer to the connection, TLS and login within 2.0 s")
            .stderr_has("hint: pg_isready -h 127.0.0.1 -p ");
        ended_within(&out, 2.0);
    }
}

#[test]
fn connect_timeout_in_the_url_and_the_documented_default_bound_the_login() {
    let url = format!("{}?connect_timeout=1", silent_postgres_url());
    let out = run_bounded(maint().args(["db", "report", "--url", &url]));
    out.code(3)
        .one_error_line("no answer to the connection, TLS and login within 1.0 s");
    ended_within(&out, 1.0);

    // No setting anywhere: the README's 5 s.
    let out = run_bounded(maint().args(["db", "report", "--url", &silent_postgres_url()]));
    out.code(3)
        .one_error_line("no answer to the connection, TLS and login within 5.0 s");
    ended_within(&out, 5.0);

    // [postgres] connect_timeout in maint.toml.
    let out = run_bounded(
        maint()
            .config(&format!(
                "[postgres]\nurl = \"{}\"\nconnect_timeout = \"1s\"\n",
                silent_postgres_url()
            ))
            .args(["db", "vacuum"]),
    );
    out.code(3)
        .one_error_line("no answer to the connection, TLS and login within 1.0 s");
    ended_within(&out, 1.0);
}

#[test]
fn backup_with_a_database_on_a_silent_port_fails_on_time() {
    let command = maint().file("data/a.txt", "keep me\n");
    std::fs::create_dir(command.path("dest")).unwrap();
    let out = run_bounded(command.env("PGCONNECT_TIMEOUT", "2").args([
        "backup",
        "create",
        "--source",
        "data",
        "--dest",
        "dest",
        "--db",
        &silent_postgres_url(),
    ]));
    out.code(2)
        .stderr_has("no answer to the connection, TLS and login within 2.0 s");
    ended_within(&out, 2.0);
    // Its lock and run record stay; no archive or part of one does.
    let left: Vec<_> = std::fs::read_dir(out.dir.path().join("dest"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tar") || name.starts_with(".maint-tmp"))
        .collect();
    assert!(left.is_empty(), "a failed backup left {left:?}");
}

#[test]
fn a_server_that_stops_answering_after_login_cannot_hold_db_report() {
    let proxy = stalling_proxy(&upstream());
    let out = run_bounded(
        maint()
            .config("[postgres]\nquery_timeout = \"2s\"\nconnect_timeout = \"2s\"\n")
            .args(["db", "report", "--url", &through(proxy)]),
    );
    out.code(3)
        .stdout_is("")
        .one_error_line("within 4.0 s")
        .nowhere(PASSWORD);
    ended_within(&out, 4.0);

    // vacuum and prune stop at their first query too.
    let out = run_bounded(maint().env("PGCONNECT_TIMEOUT", "1").args([
        "db",
        "vacuum",
        "--dry-run",
        "--url",
        &through(proxy),
    ]));
    out.code(3)
        .one_error_line("no answer to the connection and the first query");
}

// Case 8: a PostgreSQL or Redis port that never answers is a failed
// connection (CRITICAL), as HTTP's is, and --timeout bounds the check.

#[test]
fn silent_postgres_and_redis_ports_are_critical_within_the_timeout() {
    let redis = format!("redis://127.0.0.1:{}", silent_port());
    let out = run_bounded(maint().json().args([
        "health",
        "--only",
        "postgres",
        "--only",
        "redis",
        "--postgres",
        &silent_postgres_url(),
        "--redis",
        &redis,
        "--timeout",
        "2s",
    ]));
    out.code(2);
    ended_within(&out, 2.0);
    let postgres = out.check("postgres");
    assert_eq!(postgres["status"], "CRITICAL", "{postgres}");
    text_contains(&postgres, "message", "no answer to the connection");
    text_starts_with(&postgres, "hint", "pg_isready -h 127.0.0.1");
    let redis = out.check("redis");
    assert_eq!(redis["status"], "CRITICAL", "{redis}");
    text_ends_with(&redis, "message", "no answer within 2.0 s");
    text_starts_with(&redis, "hint", "redis-cli -h 127.0.0.1");
}

#[test]
fn postgres_that_stops_answering_after_login_is_critical_within_the_timeout() {
    let proxy = stalling_proxy(&upstream());
    let out = run_bounded(maint().json().args([
        "health",
        "--only",
        "postgres",
        "--postgres",
        &through(proxy),
        "--timeout",
        "2s",
    ]));
    out.code(2).nowhere(PASSWORD);
    ended_within(&out, 2.0);
    let check = out.check("postgres");
    assert_eq!(check["status"], "CRITICAL", "{check}");
    text_contains(
        &check,
        "message",
        "no answer to the connection, login and health queries within 2.0 s",
    );
    assert_eq!(
        out.check("postgres:connections")["status"],
        "UNKNOWN",
        "not measured without an answer"
    );
}

// Case 2: a hung mount left one stuck helper per run, never reaped, and
// `logs analyze` on it hung without limit.

fn can_mount_fuse() -> bool {
    let ok = rustix::process::geteuid().is_root() && std::path::Path::new("/dev/fuse").exists();
    if !ok {
        eprintln!("skipped: mounting a FUSE filesystem in a private namespace needs root");
    }
    ok
}

#[test]
fn runs_against_a_hung_mount_leave_at_most_one_stuck_helper() {
    if !can_mount_fuse() {
        return;
    }
    let command = maint();
    let mount_point = command.path("hung");
    std::fs::create_dir(&mount_point).unwrap();
    let point = mount_point.display().to_string();
    let count_file = command.path("stuck-helpers");
    let runtime = command.path("run");
    std::fs::create_dir(&runtime).unwrap();
    // Four runs of `maint health` (only the last one's report is kept) and
    // two of `logs analyze` (in the background: without isolation they
    // would hang in the kernel until the watchdog); then count the helper
    // processes (`maint __NAME ... POINT`) still alive.
    let body = format!(
        r#"for _ in 1 2 3; do timeout -s KILL 20 "$@" >/dev/null; done
        for _ in 1 2; do timeout -s KILL 20 "$1" logs analyze {point} >/dev/null & done
        sleep 6
        timeout -s KILL 20 "$@"; code=$?
        n=0
        for d in /proc/[0-9]*; do
          set -f; set -- $(tr '\0' ' ' < $d/cmdline 2>/dev/null); set +f
          case "$1 $2" in *maint\ __*) case " $* " in *" {point} "*) n=$((n+1));; esac;; esac
        done
        echo $n > {count}"#,
        count = count_file.display()
    );
    let out = command
        .env("XDG_RUNTIME_DIR", &runtime)
        .json()
        .args(["health", "--only", &format!("*:{point}"), "--timeout", "1s"])
        .run_with_hung_mount(&point, &body);
    out.code(3);
    let stuck: usize = std::fs::read_to_string(&count_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(stuck <= 1, "{stuck} helpers stuck on one hung mount");
    let check = out.check(&format!("disk:{point}"));
    assert_eq!(check["status"], "UNKNOWN");
    // The last run did not start another helper: it says the first is stuck.
    text_contains(&check, "message", "is still stuck on");
}

#[test]
fn logs_analyze_reports_a_folder_on_a_hung_mount_and_reads_the_rest() {
    if !can_mount_fuse() {
        return;
    }
    let command = maint().file(
        "app.log",
        "2026-11-20T01:00:00Z ERROR one\n2026-11-20T01:00:01Z ERROR two\n",
    );
    let mount_point = command.path("hung");
    std::fs::create_dir(&mount_point).unwrap();
    let point = mount_point.display().to_string();
    let runtime = command.path("run");
    std::fs::create_dir(&runtime).unwrap();
    let out = command
        .env("XDG_RUNTIME_DIR", &runtime)
        .json()
        .args(["logs", "analyze", &point, "app.log"])
        .run_with_hung_mount(&point, r#"timeout -s KILL 60 "$@"; code=$?"#);
    out.code(3);
    ended_within(&out, 5.0);
    let hung = out.check(&format!("file:{point}"));
    assert_eq!(hung["status"], "UNKNOWN");
    assert_eq!(
        hung["message"],
        "not read: no answer within 5.0 s while listing or reading it: a hung mount?"
    );
    text_starts_with(&hung, "hint", "findmnt -T ");
    assert_eq!(out.check("errors")["value"], 2.0);
}

#[test]
fn a_key_or_ca_file_on_a_hung_mount_is_an_error_not_a_hang() {
    if !can_mount_fuse() {
        return;
    }
    let leaf = crate::support::tls::Pki::new().leaf(&["localhost"], (-10, 90));
    let command = maint().file("leaf.pem", &leaf.pem);
    let mount_point = command.path("hung");
    std::fs::create_dir(&mount_point).unwrap();
    let point = mount_point.display().to_string();
    let runtime = command.path("run");
    std::fs::create_dir(&runtime).unwrap();
    let out = command
        .env("XDG_RUNTIME_DIR", &runtime)
        .args([
            "certs",
            "check",
            "leaf.pem",
            "--key",
            &format!("{point}/stuck"),
        ])
        .run_with_hung_mount(&point, r#"timeout -s KILL 30 "$@"; code=$?"#);
    out.code(3);
    out.stderr_has("--key: cannot read");
    out.stderr_has(&format!("{point}/stuck"));
    ended_within(&out, 8.0);
}

// Case 9: --since/--until cut files as if their times only went forward; a
// clock step, a DST change or a newest-first file was miscounted, silently.

/// `count` lines one second apart from `start` (seconds after 10:00:00),
/// forward or backward, padded so the file is large enough for the
/// binary search to matter.
fn timed_lines(start: i64, count: i64, step: i64) -> (String, Vec<i64>) {
    let mut text = String::new();
    let mut times = Vec::new();
    for n in 0..count {
        let second = start + n * step;
        times.push(second);
        text.push_str(&format!(
            "2026-11-20T{:02}:{:02}:{:02}Z ERROR request {n} failed {}\n",
            10 + second / 3600,
            second / 60 % 60,
            second % 60,
            "x".repeat(120)
        ));
    }
    (text, times)
}

fn at(second: i64) -> String {
    format!(
        "2026-11-20T{:02}:{:02}:{:02}Z",
        10 + second / 3600,
        second / 60 % 60,
        second % 60
    )
}

#[test]
fn windows_count_right_when_time_goes_back() {
    // A clock stepped back ten minutes after an hour, and a newest-first file.
    let (first, mut step_times) = timed_lines(0, 3600, 1);
    let (second, more) = timed_lines(3000, 3600, 1);
    step_times.extend(more);
    let (newest_first, reversed_times) = timed_lines(7199, 7200, -1);
    let command = maint()
        .file("step/app.log", &(first.clone() + &second))
        .file("reversed/app.log", &newest_first);
    let gz = command.path("gz");
    std::fs::create_dir(&gz).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(gz.join("app.log.gz")).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut encoder, (first + &second).as_bytes()).unwrap();
    encoder.finish().unwrap();
    let dir = command.dir().to_path_buf();
    for (file, times) in [
        ("step/app.log", &step_times),
        ("gz/app.log.gz", &step_times),
        ("reversed/app.log", &reversed_times),
    ] {
        for (since, until) in [
            (Some(3300), None),
            (Some(3300), Some(3500)),
            (None, Some(3300)),
            (Some(1200), Some(5400)),
        ] {
            let expected = times
                .iter()
                .filter(|t| since.is_none_or(|s| **t >= s) && until.is_none_or(|u| **t < u))
                .count();
            let mut args = vec![
                "--format".to_owned(),
                "json".to_owned(),
                "logs".to_owned(),
                "analyze".to_owned(),
                dir.join(file).display().to_string(),
                "--threshold".to_owned(),
                "errors>100000".to_owned(),
            ];
            if let Some(since) = since {
                args.extend(["--since".to_owned(), at(since)]);
            }
            if let Some(until) = until {
                args.extend(["--until".to_owned(), at(until)]);
            }
            let out = run_bounded(maint().args(&args));
            let errors = out.check("errors");
            assert_eq!(
                errors["value"], expected as f64,
                "{file} since {since:?} until {until:?}: {}",
                out.stdout
            );
            let lines = out.check("lines");
            assert_eq!(lines["value"], expected as f64, "{lines}");
            text_contains(&lines, "message", "times go back in");
        }
    }
}

#[test]
fn a_large_file_out_of_order_is_judged_line_by_line_in_parts() {
    // Past the size read in parts (32 MiB), in local time with milliseconds:
    // 64 stretches of two hours of lines, written last first, as
    // bench/logs.sh's unordered copy is.
    const LINES: i64 = 270_000;
    let step_ms = 7_200_000 / LINES;
    let line = |n: i64| {
        let ms = n * step_ms;
        let second = ms / 1000;
        format!(
            "2026-11-20 {:02}:{:02}:{:02},{:03} ERROR request {n} failed {}\n",
            10 + second / 3600,
            second / 60 % 60,
            second % 60,
            ms % 1000,
            "x".repeat(90)
        )
    };
    let stretch = LINES / 64;
    let mut text = String::new();
    for part in (0..64).rev() {
        let end = if part == 63 {
            LINES
        } else {
            (part + 1) * stretch
        };
        for n in part * stretch..end {
            text.push_str(&line(n));
        }
    }
    assert!(text.len() > 33 << 20, "{} bytes", text.len());
    let command = maint().file("app.log", &text);
    let path = command.path("app.log").display().to_string();
    for (since, until) in [(1800, 5400), (3333, 3334), (7000, 7200)] {
        let expected = (0..LINES)
            .filter(|n| (since * 1000..until * 1000).contains(&(n * step_ms)))
            .count();
        let local = |second: i64| {
            format!(
                "2026-11-20 {:02}:{:02}:{:02}",
                10 + second / 3600,
                second / 60 % 60,
                second % 60
            )
        };
        let out = run_bounded(maint().args([
            "--format",
            "json",
            "logs",
            "analyze",
            &path,
            "--since",
            &local(since),
            "--until",
            &local(until),
            "--threshold",
            "errors>1000000",
        ]));
        assert_eq!(
            out.check("errors")["value"],
            expected as f64,
            "since {since} until {until}: {}",
            out.stdout
        );
        text_contains(&out.check("lines"), "message", "times go back in");
    }
}

// Case 12: `contains` searched only the first 1 MiB of a body.

#[test]
fn contains_searches_the_whole_body_up_to_max_body_and_says_when_it_stopped() {
    let far = crate::support::http::url("/big/3/status:healthy");
    let config = format!(
        "[[health.http]]\nname = \"far\"\nurl = \"{far}\"\ncontains = \"status:healthy\"\n\
         [[health.http]]\nname = \"capped\"\nurl = \"{far}\"\ncontains = \"status:healthy\"\nmax_body = \"1MiB\"\n"
    );
    let out = run_bounded(
        maint()
            .config(&config)
            .json()
            .args(["health", "--only", "http"]),
    );
    out.code(2);
    assert_eq!(out.check("http:far")["status"], "OK");
    let capped = out.check("http:capped");
    assert_eq!(capped["status"], "CRITICAL");
    assert_eq!(
        capped["message"],
        "HTTP 200 but the first 1.0 MiB of the body do not contain \"status:healthy\"; the rest was not read (max_body)"
    );
}

// Case 13: --state after copytruncate (or a rename) lost lines when the new
// lines repeat the old ones byte for byte: the old position still "matched".

#[test]
fn state_after_rotation_counts_new_lines_that_repeat_old_ones() {
    use std::io::Write;
    let old = "ERROR the same line again\n".repeat(80);
    let new = "ERROR the same line again\n".repeat(180);
    for rotation in ["copytruncate", "copytruncate+gzip", "rename"] {
        let command = maint().file("app.log", &old);
        let dir = command.dir().to_path_buf();
        let log = dir.join("app.log");
        let run = |dir: &std::path::Path| {
            let out = run_bounded(maint().json().args([
                "logs",
                "analyze",
                &dir.join("app.log").display().to_string(),
                "--state",
                &dir.join("logs.state").display().to_string(),
                "--threshold",
                "errors>100000",
            ]));
            out.check("errors")["value"].as_f64().unwrap()
        };
        assert_eq!(run(&dir), 80.0);
        if rotation == "rename" {
            std::fs::rename(&log, dir.join("app.log.1")).unwrap();
            std::fs::write(&log, &new).unwrap();
        } else {
            // logrotate's copytruncate: copy, then cut the file to
            // nothing while the program keeps appending to it.
            if rotation == "copytruncate" {
                std::fs::copy(&log, dir.join("app.log.1")).unwrap();
            } else {
                let mut gz = flate2::write::GzEncoder::new(
                    std::fs::File::create(dir.join("app.log.1.gz")).unwrap(),
                    flate2::Compression::fast(),
                );
                gz.write_all(&std::fs::read(&log).unwrap()).unwrap();
                gz.finish().unwrap();
            }
            let mut file = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
            file.set_len(0).unwrap();
            file.write_all(new.as_bytes()).unwrap();
        }
        assert_eq!(run(&dir), 180.0, "{rotation}: every new line counts once");
        assert_eq!(run(&dir), 0.0, "{rotation}: nothing new");
        drop(command);
    }
}

// Messages and small things: `certs check` time grew with the number of
// silent targets (they waited their timeouts out in turns).

#[test]
fn silent_certificate_endpoints_wait_out_one_timeout_together() {
    let silent: Vec<String> = (0..60)
        .map(|_| format!("127.0.0.1:{}", silent_port()))
        .collect();
    let out = run_bounded(
        maint()
            .json()
            .args(["certs", "check", "--timeout", "2s"])
            .args(&silent),
    );
    out.code(2);
    // In turns of 16 they took 2 s + 3 x 0.5 s; together they take 2 s.
    assert!(
        out.elapsed.as_secs_f64() < 3.0,
        "60 silent endpoints took {:?} with a 2 s timeout",
        out.elapsed
    );
    for target in &silent {
        assert_eq!(out.check(target)["status"], "CRITICAL");
    }
}

#[test]
fn a_certificate_on_a_hung_mount_is_unknown_and_the_others_are_checked() {
    if !can_mount_fuse() {
        return;
    }
    let leaf = crate::support::tls::Pki::self_signed(&["ok.test"], (-10, 200));
    let command = maint().file("ok.pem", &leaf.pem);
    let mount_point = command.path("hung");
    std::fs::create_dir(&mount_point).unwrap();
    let point = mount_point.display().to_string();
    let stuck = format!("{point}/stuck");
    let runtime = command.path("run");
    std::fs::create_dir(&runtime).unwrap();
    let out = command
        .env("XDG_RUNTIME_DIR", &runtime)
        .json()
        .args(["certs", "check", "--timeout", "2s", "ok.pem", &stuck])
        .run_with_hung_mount(&point, r#"timeout -s KILL 60 "$@"; code=$?"#);
    out.code(3);
    ended_within(&out, 2.0);
    assert_eq!(out.check("ok.pem")["status"], "OK");
    let hung = out.check(&stuck);
    assert_eq!(hung["status"], "UNKNOWN", "{hung}");
    text_contains(&hung, "message", "no answer within 2.0 s: a hung mount?");
}
