//! `maint logs analyze`: counts equal to `LC_ALL=C grep -cE` on every
//! timestamp format, windows, rotated and gzip files, templates, alerts,
//! incremental runs, and every bad input of issue 3.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Local, Utc};

use crate::support::maint;

const CATEGORIES: &[(&str, &str)] = &[
    ("errors", "ERROR|CRITICAL|FATAL"),
    ("warnings", "WARNING|WARN"),
    (
        "security",
        "Unauthorized|Authentication failed|Failed password|Invalid user|authentication failure|incorrect password attempt|NOT in sudoers|\" 401 |\" 403 ",
    ),
    // The example config's categories, and more that exercise anchors,
    // classes and bytes.
    ("failures", "Evolution failed|Rollback initiated"),
    ("constraints", "Memory exceeded|Speed exceeded"),
    ("anchored", "^  (File|at) "),
    ("digits", "attempt [0-9]+\\)$"),
    ("dotty", "us.r b.b"),
];

fn grep_count(pattern: &str, file: &Path) -> u64 {
    let out = Command::new("grep")
        .args(["-cE", pattern])
        .arg(file)
        .env("LC_ALL", "C")
        .output()
        .expect("grep runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| {
            panic!(
                "grep said {:?} {:?}",
                out.stdout,
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// Every category as a pattern of its own: errors and warnings given as
/// patterns are matched as written, as grep does, where the defaults are
/// judged by a level field.
fn extra_patterns() -> Vec<String> {
    CATEGORIES
        .iter()
        .flat_map(|(name, pattern)| ["--pattern".to_owned(), format!("{name}={pattern}")])
        .collect()
}

/// Bodies with every category, continuation lines, and invalid UTF-8.
fn body(i: usize) -> Vec<u8> {
    let text = match i % 13 {
        0 => format!(
            "ERROR [api] failed to connect to redis at 127.0.0.1:6379: Connection refused (attempt {})",
            i % 9
        ),
        1 => "WARNING [db] slow query took 812 ms".to_owned(),
        2 => format!(
            "INFO [auth] Authentication failed for user bob from 203.0.113.{}",
            i % 250
        ),
        3 => "CRITICAL [evolution] Rollback initiated for generation 7".to_owned(),
        4 => "WARN [worker] Memory exceeded soft limit; Speed exceeded too".to_owned(),
        5 => "INFO [api] Unauthorized access to /admin by user bab".to_owned(),
        6 => "FATAL [x] Evolution failed for agent 3: constraint violation".to_owned(),
        7 => "DEBUG [cache] hit ratio=0.93 \u{e9}t\u{e9}".to_owned(),
        _ => format!("INFO [api] request completed status=200 user rob duration_ms={i}"),
    };
    let mut bytes = text.into_bytes();
    if i % 17 == 0 {
        bytes.extend_from_slice(b" \xff\xfe invalid ERROR bytes");
    }
    bytes
}

/// A log in one format: `stamp(t)` writes a timestamp; some records carry
/// a stack trace of continuation lines.
fn write_log(
    path: &Path,
    records: usize,
    start: DateTime<Utc>,
    step: Duration,
    stamp: &StampFn,
) -> Vec<(DateTime<Utc>, Vec<u8>)> {
    let mut lines = Vec::new();
    for i in 0..records {
        let time = start + step * i as u32;
        lines.push((time, stamp(time, &body(i))));
        if i % 11 == 0 {
            lines.push((time, b"Traceback (most recent call last):".to_vec()));
            lines.push((
                time,
                b"  File \"app.py\", line 3, in handler: ERROR inside".to_vec(),
            ));
            lines.push((time, format!("KeyError: 'x' (attempt {i})").into_bytes()));
        }
    }
    let mut file = std::fs::File::create(path).unwrap();
    for (_, line) in &lines {
        file.write_all(line).unwrap();
        file.write_all(b"\n").unwrap();
    }
    lines
}

fn local(time: DateTime<Utc>) -> chrono::NaiveDateTime {
    time.with_timezone(&Local).naive_local()
}

type StampFn = dyn Fn(DateTime<Utc>, &[u8]) -> Vec<u8>;
type Stamp = Box<StampFn>;

fn formats() -> Vec<(&'static str, Stamp)> {
    fn join(prefix: String, body: &[u8]) -> Vec<u8> {
        let mut line = prefix.into_bytes();
        line.extend_from_slice(body);
        line
    }
    vec![
        (
            "rfc3339",
            Box::new(|t: DateTime<Utc>, b: &[u8]| {
                join(format!("{} ", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")), b)
            }),
        ),
        (
            "iso8601",
            Box::new(|t: DateTime<Utc>, b: &[u8]| {
                join(format!("{} ", local(t).format("%Y-%m-%d %H:%M:%S%.6f")), b)
            }),
        ),
        (
            "python-logging",
            Box::new(|t: DateTime<Utc>, b: &[u8]| {
                join(format!("{} ", local(t).format("%Y-%m-%d %H:%M:%S,%3f")), b)
            }),
        ),
        (
            "syslog",
            Box::new(|t: DateTime<Utc>, b: &[u8]| {
                join(
                    format!("{} web-1 app[42]: ", local(t).format("%b %e %H:%M:%S")),
                    b,
                )
            }),
        ),
        (
            "common-log",
            Box::new(|t: DateTime<Utc>, b: &[u8]| {
                join(
                    format!(
                        "10.0.0.1 - - [{}] \"GET / HTTP/1.1\" 200 5 ",
                        t.format("%d/%b/%Y:%H:%M:%S +0000")
                    ),
                    b,
                )
            }),
        ),
        (
            "apache-error",
            Box::new(|t: DateTime<Utc>, b: &[u8]| {
                join(
                    format!("[{}] [error] ", local(t).format("%a %b %d %H:%M:%S%.6f %Y")),
                    b,
                )
            }),
        ),
        (
            "json",
            Box::new(|t: DateTime<Utc>, b: &[u8]| {
                let mut line = format!(
                    "{{\"time\":\"{}\",\"msg\":\"",
                    t.format("%Y-%m-%dT%H:%M:%S%.3f+00:00")
                )
                .into_bytes();
                line.extend_from_slice(b);
                line.extend_from_slice(b"\"}");
                line
            }),
        ),
        (
            "json",
            Box::new(|t: DateTime<Utc>, b: &[u8]| {
                let mut line = format!(
                    "{{\"ts\": {}.{:03}, \"msg\": \"",
                    t.timestamp(),
                    t.timestamp_subsec_millis()
                )
                .into_bytes();
                line.extend_from_slice(b);
                line.extend_from_slice(b"\"}");
                line
            }),
        ),
    ]
}

fn counts(out: &crate::support::command::Output) -> Vec<u64> {
    CATEGORIES
        .iter()
        .map(|(name, _)| out.check(name)["value"].as_f64().unwrap() as u64)
        .collect()
}

fn grep_counts(file: &Path) -> Vec<u64> {
    CATEGORIES
        .iter()
        .map(|(_, p)| grep_count(p, file))
        .collect()
}

#[test]
fn counts_equal_grep_on_every_timestamp_format_whole_and_windowed() {
    let start = Utc::now() - chrono::Duration::hours(30);
    for (name, stamp) in formats() {
        let command = maint();
        let path = command.path("app.log");
        let lines = write_log(&path, 2_000, start, Duration::from_secs(50), &*stamp);
        let whole = command
            .json()
            .args(["logs", "analyze", "app.log", "--explain"])
            .args(extra_patterns())
            .run();
        assert_eq!(counts(&whole), grep_counts(&path), "{name}: whole file");
        let files = &whole.json()["sections"]["files"];
        assert_eq!(files[0]["format"], name, "{name}: detected format");

        // A window: the lines of records from 10 h to 4 h ago, continuation lines with their record.
        let since = Utc::now() - chrono::Duration::hours(10);
        let until = Utc::now() - chrono::Duration::hours(4);
        let inside: Vec<&Vec<u8>> = lines
            .iter()
            .filter(|(t, _)| *t >= since && *t < until)
            .map(|(_, l)| l)
            .collect();
        let expected = whole.dir.path().join("window.log");
        let mut file = std::fs::File::create(&expected).unwrap();
        for line in &inside {
            file.write_all(line).unwrap();
            file.write_all(b"\n").unwrap();
        }
        drop(file);
        let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let windowed = maint();
        std::fs::copy(&path, windowed.path("app.log")).unwrap();
        let windowed = windowed
            .json()
            .args([
                "logs",
                "analyze",
                "app.log",
                "--since",
                &fmt(since),
                "--until",
                &fmt(until),
            ])
            .args(extra_patterns())
            .run();
        assert_eq!(counts(&windowed), grep_counts(&expected), "{name}: window");
        assert_eq!(
            windowed.check("lines")["value"].as_f64().unwrap() as usize,
            inside.len(),
            "{name}: lines in the window"
        );
    }
}

#[test]
fn the_window_start_is_found_by_binary_search_in_a_large_file() {
    let command = maint();
    let path = command.path("big.log");
    let start = Utc::now() - chrono::Duration::hours(72);
    // About 9 MB over three days.
    let lines = write_log(
        &path,
        60_000,
        start,
        Duration::from_secs(4),
        &*formats().remove(0).1,
    );
    let since = Utc::now() - chrono::Duration::hours(24);
    let expected = command.path("window.log");
    let mut file = std::fs::File::create(&expected).unwrap();
    for (_, line) in lines.iter().filter(|(t, _)| *t >= since) {
        file.write_all(line).unwrap();
        file.write_all(b"\n").unwrap();
    }
    drop(file);
    let out = command
        .json()
        .args(["logs", "analyze", "big.log", "--since", "24h", "--explain"])
        .args(extra_patterns())
        .run();
    assert_eq!(counts(&out), grep_counts(&expected));
    let file = &out.json()["sections"]["files"][0];
    let size = std::fs::metadata(&path).unwrap().len() as f64;
    let from = file["read_from"].as_f64().unwrap();
    assert!(
        from > size * 0.5,
        "read from byte {from} of {size}: no binary search?"
    );
    assert!(
        file["why"]
            .as_str()
            .unwrap()
            .contains("binary search skipped"),
        "{file}"
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn set_mtime(path: &Path, ago: Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - ago).unwrap();
}

#[test]
fn rotated_sets_read_oldest_first_with_multi_member_gzip_by_content() {
    let command = maint();
    let dir = command.dir().to_path_buf();
    let now = Utc::now();
    let record = |hours_ago: i64, text: &str| {
        format!(
            "{} {text}\n",
            (now - chrono::Duration::hours(hours_ago)).format("%Y-%m-%dT%H:%M:%SZ")
        )
    };
    // Oldest: two gzip members, named without .gz (content decides).
    let mut old = gzip(record(50, "ERROR oldest a").as_bytes());
    old.extend(gzip(record(49, "ERROR oldest b").as_bytes()));
    std::fs::write(dir.join("app.log.3"), old).unwrap();
    std::fs::write(
        dir.join("app.log.2.gz"),
        gzip(record(30, "ERROR two days").as_bytes()),
    )
    .unwrap();
    std::fs::write(
        dir.join("app.log.1"),
        record(20, "ERROR yesterday") + &record(13, "WARN late"),
    )
    .unwrap();
    std::fs::write(dir.join("app.log"), record(2, "ERROR today")).unwrap();
    set_mtime(&dir.join("app.log.3"), Duration::from_secs(49 * 3600));
    set_mtime(&dir.join("app.log.2.gz"), Duration::from_secs(30 * 3600));
    set_mtime(&dir.join("app.log.1"), Duration::from_secs(13 * 3600));

    let out = command
        .json()
        .args(["logs", "analyze", "app.log", "--explain"])
        .run();
    out.code(0);
    assert_eq!(out.check("errors")["value"], 5.0);
    let files = out.json()["sections"]["files"].clone();
    let order: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["app.log.3", "app.log.2.gz", "app.log.1", "app.log"]);
    assert_eq!(files[0]["content"], "gzip");
    assert_eq!(files[0]["lines"], 2, "both gzip members are read");

    // A day's window: the rotated files last written before it are not opened.
    let out = maint()
        .json()
        .args(["logs", "analyze"])
        .arg(dir.join("app.log"))
        .args(["--since", "24h", "--explain"])
        .run();
    assert_eq!(out.check("errors")["value"], 2.0);
    let files = out.json()["sections"]["files"].clone();
    assert_eq!(files[0]["result"], "skipped");
    assert!(
        files[0]["why"]
            .as_str()
            .unwrap()
            .contains("before the window starts"),
        "{files}"
    );
    assert_eq!(files[1]["result"], "skipped");
    assert_eq!(files[2]["result"], "read");
}

#[test]
fn gzip_counts_equal_zcat_grep() {
    let command = maint();
    let plain = command.path("plain.log");
    write_log(
        &plain,
        5_000,
        Utc::now() - chrono::Duration::hours(5),
        Duration::from_secs(3),
        &*formats().remove(2).1,
    );
    let data = std::fs::read(&plain).unwrap();
    let (a, b) = data.split_at(data.len() / 3);
    let mut two_members = gzip(a);
    two_members.extend(gzip(b));
    std::fs::write(command.path("app.log.1.gz"), two_members).unwrap();
    let out = command
        .json()
        .args(["logs", "analyze", "app.log.1.gz"])
        .args(extra_patterns())
        .run();
    assert_eq!(counts(&out), grep_counts(&plain));
}

#[test]
fn templates_histogram_and_peak() {
    let command = maint();
    let now = Utc::now();
    let mut text = String::new();
    // Each group starts 5 minutes into a 15-minute bucket, so its lines
    // (seconds apart) share one bucket whatever the time of the run.
    let bucket_start = |hours: i64| {
        let t = (now - chrono::Duration::hours(hours)).timestamp();
        DateTime::from_timestamp(t - t.rem_euclid(900) + 300, 0).unwrap()
    };
    for i in 0..30 {
        let hour = if i < 20 { 3 } else { 1 };
        let time = bucket_start(hour) + chrono::Duration::seconds(i);
        text.push_str(&format!(
            "{} ERROR [api] failed to connect to redis at 10.0.0.{}:6379 (attempt {})\n",
            time.format("%Y-%m-%dT%H:%M:%SZ"),
            i % 7,
            i
        ));
    }
    text.push_str(&format!(
        "{} ERROR disk full on /var/lib/app/data\n",
        now.format("%Y-%m-%dT%H:%M:%SZ")
    ));
    let out = command
        .file("app.log", &text)
        .json()
        .args([
            "logs", "analyze", "app.log", "--top", "1", "--bucket", "15m",
        ])
        .run();
    let json = out.json();
    let templates = json["sections"]["templates"].as_array().unwrap();
    assert_eq!(templates.len(), 1, "--top 1: {templates:?}");
    // The header is not part of the template: it is shown beside it.
    assert_eq!(
        templates[0]["template"],
        "failed to connect to redis at <IP> (attempt <NUM>)"
    );
    assert_eq!(templates[0]["level"], "ERROR");
    assert_eq!(templates[0]["component"], "api");
    assert_eq!(templates[0]["count"], 30);
    assert!(
        templates[0]["example"]
            .as_str()
            .unwrap()
            .contains("10.0.0.0:6379")
    );
    assert!(
        templates[0]["first_seen"].as_str().unwrap() < templates[0]["last_seen"].as_str().unwrap()
    );
    let peaks = json["sections"]["peaks"].as_array().unwrap();
    assert_eq!(peaks[0]["category"], "errors");
    assert_eq!(peaks[0]["count"], 20);
    let histogram = json["sections"]["histogram"].as_array().unwrap();
    let total: i64 = histogram
        .iter()
        .map(|row| row["errors"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 31);
    // Buckets are 15 minutes wide.
    let starts: Vec<i64> = histogram
        .iter()
        .map(|row| {
            DateTime::parse_from_rfc3339(row["bucket_start"].as_str().unwrap())
                .unwrap()
                .timestamp()
        })
        .collect();
    assert!(starts.iter().all(|s| s % 900 == 0), "{starts:?}");
    // The table names the peak, and keeps the long histogram out.
    let table = maint()
        .file("app.log", &text)
        .args(["logs", "analyze", "app.log"])
        .run();
    table
        .stdout_has("Peak hour per category:")
        .stdout_has("Top message templates");
    assert!(!table.stdout.contains("BUCKET"), "{}", table.stdout);
}

fn errors_now(count: usize) -> String {
    let stamp = Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ");
    (0..count)
        .map(|i| format!("{stamp} ERROR number {i}\n"))
        .collect()
}

#[test]
fn thresholds_map_to_exit_codes() {
    // DESIGN.md: more than 100 errors is an alert.
    maint()
        .file("a.log", &errors_now(100))
        .args(["logs", "analyze", "a.log"])
        .run()
        .code(0);
    let out = maint()
        .file("a.log", &errors_now(101))
        .json()
        .args(["logs", "analyze", "a.log"])
        .run();
    out.code(1);
    let errors = out.check("errors");
    assert_eq!(errors["status"], "WARNING");
    assert!(
        errors["hint"]
            .as_str()
            .unwrap()
            .starts_with("LC_ALL=C zgrep -hE 'ERROR|CRITICAL|FATAL' "),
        "{errors}"
    );
    maint()
        .file("a.log", &errors_now(11))
        .args(["logs", "analyze", "a.log", "--threshold", "errors>5,10"])
        .run()
        .code(2);
    // Rates: the busiest hour.
    let out = maint()
        .file("a.log", &errors_now(4))
        .json()
        .args([
            "logs",
            "analyze",
            "a.log",
            "--threshold",
            "errors>2,3/1h",
            "--threshold",
            "warnings>0",
        ])
        .run();
    out.code(2);
    assert_eq!(out.check("errors/1h")["value"], 4.0);
    assert_eq!(out.check("errors/1h")["status"], "CRITICAL");
    assert_eq!(out.check("warnings")["status"], "OK");
    // Unknown categories are refused before anything is read.
    maint()
        .file("a.log", "x\n")
        .args(["logs", "analyze", "a.log", "--threshold", "errorz>1"])
        .run()
        .code(3)
        .one_error_line("--threshold \"errorz>1\": no category \"errorz\"");
}

#[test]
fn no_lines_in_the_window_is_its_own_result() {
    let old = (Utc::now() - chrono::Duration::days(3)).format("%Y-%m-%dT%H:%M:%SZ");
    let out = maint()
        .file("a.log", &format!("{old} ERROR long ago\n"))
        .json()
        .args(["logs", "analyze", "a.log", "--since", "24h"])
        .run();
    out.code(3);
    let lines = out.check("lines");
    assert_eq!(lines["status"], "UNKNOWN");
    assert!(
        lines["message"]
            .as_str()
            .unwrap()
            .starts_with("no lines in the window"),
        "{lines}"
    );
    // An empty file is the same result, not an error.
    let out = maint()
        .file("empty.log", "")
        .json()
        .args(["logs", "analyze", "empty.log"])
        .run();
    out.code(3);
    assert_eq!(out.check("lines")["value"], 0.0);
    assert_eq!(out.check("errors")["value"], 0.0);
}

#[test]
fn undated_lines_are_counted_and_reported() {
    let out = maint()
        .file("plain.log", "ERROR no time here\nWARN nor here\nfine\n")
        .json()
        .args(["logs", "analyze", "plain.log", "--since", "1h"])
        .run();
    out.code(1);
    let undated = out.check("undated");
    assert_eq!(undated["value"], 3.0);
    assert!(
        undated["message"]
            .as_str()
            .unwrap()
            .contains("1 errors, 1 warnings"),
        "{undated}"
    );
    assert_eq!(
        out.check("errors")["value"],
        0.0,
        "not in the window's counts"
    );
    // Without a window they count like any line.
    let out = maint()
        .file("plain.log", "ERROR no time here\n")
        .json()
        .args(["logs", "analyze", "plain.log"])
        .run();
    out.code(0);
    assert_eq!(out.check("errors")["value"], 1.0);
}

#[test]
fn a_missing_or_unreadable_file_is_reported_and_the_rest_analysed() {
    let out = maint()
        .file("good.log", &errors_now(3))
        .json()
        .args(["logs", "analyze", "good.log", "missing.log"])
        .run();
    out.code(3);
    assert_eq!(out.check("errors")["value"], 3.0);
    let missing = out.check("file:missing.log");
    assert_eq!(missing["status"], "UNKNOWN");
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("No such file"),
        "{missing}"
    );

    // Unreadable: permission denied, or for root (who may read anything) a file whose reads fail.
    let command = maint().file("good.log", &errors_now(3));
    let unreadable = if rustix::process::geteuid().is_root() {
        PathBuf::from("/proc/self/mem")
    } else {
        let path = command.path("secret.log");
        std::fs::write(&path, "ERROR\n").unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o000))
            .unwrap();
        path
    };
    let out = command
        .json()
        .args(["logs", "analyze", "good.log"])
        .arg(&unreadable)
        .run();
    out.code(3);
    assert_eq!(out.check("errors")["value"], 3.0);
    assert_eq!(
        out.check(&format!("file:{}", unreadable.display()))["status"],
        "UNKNOWN"
    );
}

#[test]
fn a_binary_file_is_not_analysed() {
    let command = maint().file("good.log", &errors_now(1));
    std::fs::write(
        command.path("core.bin"),
        b"\x7fELF\x02\x01\x01\0\0\0ERROR\0\0\x03",
    )
    .unwrap();
    let out = command
        .json()
        .args(["logs", "analyze", "good.log", "core.bin"])
        .run();
    out.code(3);
    let check = out.check("file:core.bin");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("binary content"),
        "{check}"
    );
    assert_eq!(out.check("errors")["value"], 1.0);
}

#[test]
fn a_truncated_gzip_counts_what_was_read() {
    let command = maint();
    let mut text = String::new();
    let stamp = Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    for i in 0..200_000 {
        text.push_str(&format!(
            "{stamp} ERROR event {i} with some padding to make it longer\n"
        ));
    }
    let compressed = gzip(text.as_bytes());
    std::fs::write(
        command.path("app.log.1.gz"),
        &compressed[..compressed.len() / 2],
    )
    .unwrap();
    let out = command
        .json()
        .args(["logs", "analyze", "app.log.1.gz"])
        .run();
    out.code(1);
    let check = out.check("file:app.log.1.gz");
    assert_eq!(check["status"], "WARNING");
    let message = check["message"].as_str().unwrap();
    assert!(message.contains("gzip data ends early"), "{message}");
    assert!(
        message.contains(&format!("of {} compressed bytes", compressed.len() / 2)),
        "{message}"
    );
    let errors = out.check("errors")["value"].as_f64().unwrap();
    assert!(errors > 50_000.0 && errors < 200_000.0, "{errors}");
}

#[test]
fn a_100_mb_line_is_one_line_and_memory_stays_bounded() {
    let command = maint();
    let path = command.path("huge.log");
    let mut file = std::fs::File::create(&path).unwrap();
    let stamp = Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    writeln!(file, "{stamp} INFO before").unwrap();
    write!(file, "{stamp} INFO start ").unwrap();
    let block = vec![b'x'; 1 << 20];
    for i in 0..100 {
        if i == 60 {
            file.write_all(b" Authentication failed ").unwrap();
        }
        file.write_all(&block).unwrap();
    }
    writeln!(file, " end").unwrap();
    writeln!(file, "{stamp} ERROR after").unwrap();
    drop(file);
    // GNU time reports the peak memory (.ci/run installs it).
    let out = command
        .json()
        .args(["logs", "analyze", "huge.log"])
        .run_via(&["/usr/bin/time", "-f", "maxrss_kb=%M"]);
    assert_eq!(out.check("lines")["value"], 3.0);
    assert_eq!(
        out.check("security")["value"].as_f64().unwrap() as u64,
        grep_count("Authentication failed", &path)
    );
    assert_eq!(out.check("errors")["value"], 1.0);
    let rss: u64 = out
        .stderr
        .trim()
        .rsplit("maxrss_kb=")
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(rss < 64 * 1024, "peak memory {rss} KiB");
}

#[test]
fn bad_patterns_and_times_exit_3_naming_them() {
    maint()
        .file("a.log", "x\n")
        .args(["logs", "analyze", "a.log", "--pattern", "broken=(unclosed"])
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("--pattern broken: invalid regular expression \"(unclosed\"");
    maint()
        .file("a.log", "x\n")
        .args(["logs", "analyze", "a.log", "--pattern", "no-equals-sign"])
        .run()
        .code(3)
        .one_error_line("--pattern \"no-equals-sign\" has no `=`");
    maint()
        .file("a.log", "x\n")
        .args(["logs", "analyze", "a.log", "--since", "last tuesday"])
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("\"last tuesday\" is not a time");
    maint()
        .file("a.log", "x\n")
        .args(["logs", "analyze", "a.log", "--since", "1h", "--until", "2h"])
        .run()
        .code(3)
        .one_error_line("is not before --until");
    maint()
        .args(["logs", "analyze"])
        .run()
        .code(3)
        .one_error_line("no log files to read");
}

#[test]
fn config_adds_paths_patterns_and_thresholds() {
    let out = maint()
        .config("[logs]\npaths = [\"logs\"]\nthresholds = [\"timeouts>1\"]\nno_lines = \"ok\"\n\n[logs.patterns]\ntimeouts = \"timed out\"\n")
        .file("logs/app.log", "a timed out\nb timed out\nERROR c\n")
        .json().args(["logs", "analyze"])
        .run();
    out.code(1);
    assert_eq!(out.check("timeouts")["value"], 2.0);
    assert_eq!(out.check("timeouts")["status"], "WARNING");
    assert_eq!(out.check("errors")["value"], 1.0);
    maint()
        .config("[logs.patterns]\ntimeouts = \"(timed out\"\n")
        .args(["logs", "analyze", "x.log"])
        .run()
        .code(3)
        .one_error_line("line 2, key `logs.patterns.timeouts`: invalid regular expression");
}

#[test]
fn prometheus_output_passes_promtool() {
    let out = maint()
        .file("a.log", &errors_now(3))
        .args(["--format", "prometheus", "logs", "analyze", "a.log"])
        .run();
    out.code(0)
        .stdout_has("maint_check_value{command=\"logs analyze\",check=\"errors\"} 3")
        .stdout_has("maint_logs_matched_lines{command=\"logs analyze\",category=\"errors\"} 3");
    crate::output::promtool_check(&out.stdout);
}

fn analyze_with_state(dir: &Path, extra: &[&str]) -> crate::support::command::Output {
    let mut command = maint();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let _ = entry;
    }
    command = command
        .json()
        .args(["logs", "analyze"])
        .arg(dir.join("app.log"))
        .arg("--state")
        .arg(dir.join("logs.state"));
    command.args(extra).run()
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

#[test]
fn incremental_runs_read_only_new_lines_across_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let errors = |out: &crate::support::command::Output| {
        out.check("errors")["value"].as_f64().unwrap() as u64
    };
    append(&log, &errors_now(3));
    assert_eq!(errors(&analyze_with_state(dir.path(), &[])), 3);
    // Nothing new.
    let out = analyze_with_state(dir.path(), &[]);
    assert_eq!(errors(&out), 0);
    out.code(3);
    // Appended lines, and a partial line still being written is left for later.
    append(&log, &errors_now(2));
    append(&log, "2026-11-24T00:00:00Z ERROR half a li");
    assert_eq!(errors(&analyze_with_state(dir.path(), &[])), 2);
    append(&log, "ne\n");
    assert_eq!(errors(&analyze_with_state(dir.path(), &[])), 1);

    // Rotation by rename: new lines in the old file and in the new one.
    append(&log, &errors_now(4));
    std::fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    append(&log, &errors_now(5));
    assert_eq!(errors(&analyze_with_state(dir.path(), &[])), 9);

    // Rotation with compression: app.log.1 becomes app.log.1.gz (a new inode, same text).
    let rotated = dir.path().join("app.log.1");
    append(&rotated, &errors_now(6));
    let text = std::fs::read(&rotated).unwrap();
    std::fs::write(dir.path().join("app.log.1.gz"), gzip(&text)).unwrap();
    std::fs::remove_file(&rotated).unwrap();
    assert_eq!(errors(&analyze_with_state(dir.path(), &[])), 6);

    // copytruncate: the copy holds what was written before, the file starts over.
    append(&log, &errors_now(7));
    std::fs::copy(&log, dir.path().join("app.log.0")).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&log, &errors_now(8));
    assert_eq!(errors(&analyze_with_state(dir.path(), &[])), 15);
    assert_eq!(errors(&analyze_with_state(dir.path(), &[])), 0);
}

#[test]
fn a_corrupt_state_file_stops_the_run_until_reset() {
    let dir = tempfile::tempdir().unwrap();
    append(&dir.path().join("app.log"), &errors_now(3));
    std::fs::write(
        dir.path().join("logs.state"),
        "{\"version\": 1, \"files\": [{",
    )
    .unwrap();
    let out = analyze_with_state(dir.path(), &[]);
    out.code(3).stdout_is("");
    out.one_error_line("logs.state is corrupt: ")
        .stderr_has("hint: pass --reset-state to start over");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("logs.state")).unwrap(),
        "{\"version\": 1, \"files\": [{",
        "left as it was"
    );
    let out = analyze_with_state(dir.path(), &["--reset-state"]);
    out.code(0);
    assert_eq!(out.check("errors")["value"], 3.0);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("logs.state")).unwrap()).unwrap();
    assert_eq!(
        state["files"][0]["offset"].as_u64().unwrap(),
        std::fs::metadata(dir.path().join("app.log")).unwrap().len()
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "the state is written atomically");
}

#[test]
fn security_counts_what_real_servers_write_on_a_refusal() {
    let command = maint();
    let text = "\
Dec 10 06:55:48 web sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2
Dec 10 06:55:46 web sshd[24200]: Invalid user webmaster from 173.234.31.186
Dec 10 06:55:46 web sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186
Dec 10 07:01:02 web sudo: alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls
Dec 10 07:01:09 web sudo: mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh
Dec 10 07:02:00 web sshd[24210]: Accepted publickey for deploy from 10.0.0.5 port 50122 ssh2
";
    let access = "\
203.0.113.9 - - [10/Dec/2026:07:03:00 +0000] \"GET /admin HTTP/1.1\" 401 12 \"-\" \"curl/8\"
203.0.113.9 - - [10/Dec/2026:07:03:01 +0000] \"GET /admin HTTP/1.1\" 403 12 \"-\" \"curl/8\"
203.0.113.9 - - [10/Dec/2026:07:03:02 +0000] \"GET / HTTP/1.1\" 200 4012 \"-\" \"curl/8\"
203.0.113.9 - - [10/Dec/2026:07:03:03 +0000] \"GET /401 HTTP/1.1\" 404 12 \"-\" \"curl/8\"
";
    let out = command
        .file("auth.log", text)
        .file("access.log", access)
        .json()
        .args(["logs", "analyze", "auth.log", "access.log"])
        .run();
    assert_eq!(out.check("security")["value"], 7.0, "{}", out.stdout);
    // The example config's categories are not built in.
    assert!(
        out.json()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "failures" && c["name"] != "constraints")
    );
}

#[test]
fn errors_and_warnings_come_from_the_level_field_where_there_is_one() {
    // A level field: an ERROR in an INFO line's message is not an error,
    // and `Fatal` and `[error]` are, whatever their case.
    let app = "\
2026-11-28 10:00:00,001 INFO  api.Server: started
2026-11-28 10:00:01,002 INFO  api.Server: retrying after ERROR 503 from upstream
2026-11-28 10:00:02,003 ERROR api.Db: connection refused
2026-11-28 10:00:03,004 WARN  api.Db: slow query
2026-11-28 10:00:04,005 Fatal api.Main: out of memory
2026-11-28 10:00:05,006 INFO  api.Server: a WARNING in a message
";
    let apache = "\
[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties
[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6
[Sun Dec 04 04:47:45 2005] [notice] jk2_init() Found child 6725 in scoreboard slot 10
[Sun Dec 04 04:47:46 2005] [notice] jk2_init() Found child 6726 in scoreboard slot 8
[Sun Dec 04 04:47:47 2005] [warn] config reloaded
";
    // No level field: the words count, wherever they are.
    let plain = "\
job 17 finished with ERROR code 3
job 18 finished
job 19 printed a WARNING about disk space
";
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = [
        ("app.log", app),
        ("apache.log", apache),
        ("plain.log", plain),
    ]
    .iter()
    .map(|(name, text)| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    })
    .collect();
    let out = maint()
        .json()
        .args(["logs", "analyze", "--explain"])
        .args(&paths)
        .run();
    let errors = out.check("errors");
    assert_eq!(errors["value"], 4.0, "{errors}");
    assert!(
        errors["message"].as_str().unwrap().starts_with(
            "4 lines at level error (by the level field in 2 of 3 files, /ERROR|CRITICAL|FATAL/ in the others)"
        ),
        "{errors}"
    );
    assert_eq!(out.check("warnings")["value"], 3.0);
    let files = out.json()["sections"]["files"].as_array().unwrap().clone();
    let by: Vec<&str> = files
        .iter()
        .map(|f| f["errors_by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["level", "level", "words"]);
    // A pattern of one's own for errors is matched as written, everywhere.
    let out = maint()
        .json()
        .args(["logs", "analyze"])
        .args(&paths)
        .args(["--pattern", "errors=ERROR|FATAL"])
        .run();
    assert_eq!(out.check("errors")["value"], 3.0);
}

#[test]
fn with_a_state_a_kind_of_message_never_seen_before_is_new_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let state = dir.path().join("logs.state");
    std::fs::write(
        &log,
        "2026-11-28 10:00:00,001 ERROR [db] connection refused by 10.0.0.5\n\
         2026-11-28 10:00:01,001 ERROR [db] connection refused by 10.0.0.6\n",
    )
    .unwrap();
    let run = || {
        maint()
            .json()
            .args(["logs", "analyze"])
            .arg(&log)
            .arg("--state")
            .arg(&state)
            .args(["--threshold", "new_templates>0"])
            .run()
    };
    // The first run has nothing to compare with: it remembers.
    let first = run();
    first.code(0);
    let check = first.check("new_templates");
    assert_eq!(check["value"], 0.0, "{check}");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .starts_with("first run with this state: 1 kind of message remembered"),
        "{check}"
    );
    // A known kind with other values is not new; a kind never seen is.
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(
        b"2026-11-28 10:05:00,001 ERROR [db] connection refused by 10.0.0.7\n\
          2026-11-28 10:05:01,001 ERROR [cache] evicted 512 keys under memory pressure\n",
    )
    .unwrap();
    let second = run();
    second.code(1);
    let check = second.check("new_templates");
    assert_eq!(check["status"], "WARNING", "{check}");
    assert_eq!(check["value"], 1.0, "{check}");
    let rows = second.json()["sections"]["new_templates"].clone();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["category"], "errors");
    assert_eq!(
        rows[0]["template"],
        "evicted <NUM> keys under memory pressure"
    );
    assert!(
        rows[0]["example"]
            .as_str()
            .unwrap()
            .ends_with("evicted 512 keys under memory pressure")
    );
    // Once seen, it is known.
    file.write_all(
        b"2026-11-28 10:06:00,001 ERROR [cache] evicted 77 keys under memory pressure\n",
    )
    .unwrap();
    let third = run();
    third.code(0);
    assert_eq!(third.check("new_templates")["value"], 0.0);
    // Without a state there is nothing to compare with: refused before reading.
    maint()
        .args(["logs", "analyze"])
        .arg(&log)
        .args(["--threshold", "new_templates>0"])
        .run()
        .code(3)
        .one_error_line("threshold new_templates needs a state file");
}

#[test]
fn access_logs_count_requests_by_status_path_and_time() {
    let now = Utc::now();
    let mut text = String::new();
    // 40 requests a minute apart, the last a minute ago: every 10th a 500
    // on /api/orders, every 7th a 404, the rest 200; times of 10 to 49 ms.
    for i in 0..40u32 {
        let time = now - chrono::Duration::minutes(i64::from(40 - i));
        let (status, path) = match i {
            _ if i % 10 == 0 => (500, "/api/orders?id=9"),
            _ if i % 7 == 0 => (404, "/favicon.ico"),
            _ => (200, "/"),
        };
        text.push_str(&format!(
            "198.51.100.{i} - - [{}] \"GET {path} HTTP/1.1\" {status} 512 \"-\" \"curl/8\" 0.0{}\n",
            time.format("%d/%b/%Y:%H:%M:%S +0000"),
            10 + i
        ));
    }
    let command = maint().file("access.log", &text);
    let out = command
        .json()
        .args(["logs", "analyze", "access.log", "--bucket", "15m"])
        .run();
    let requests = out.check("requests");
    assert_eq!(requests["value"], 40.0, "{requests}");
    let message = requests["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "40 requests: 2xx 31, 3xx 0, 4xx 5 (401: 0, 403: 0, 404: 5), 5xx 4 (500: 4, 502: 0, 503: 0); response time p50 "
        ),
        "{message}"
    );
    assert!(message.ends_with("(40 requests timed)"), "{message}");
    let sections = &out.json()["sections"];
    let paths = sections["http_error_paths"].as_array().unwrap();
    assert_eq!(paths[0]["class"], "5xx");
    assert_eq!(paths[0]["path"], "/api/orders");
    assert_eq!(paths[0]["count"], 4);
    assert_eq!(paths[1]["path"], "/favicon.ico");
    let buckets = sections["requests_per_bucket"].as_array().unwrap();
    let total: i64 = buckets
        .iter()
        .map(|b| b["requests"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 40);
    assert!(buckets.len() >= 3, "{buckets:?}");
    // The window counts only its requests; Prometheus has the classes.
    let window = maint()
        .file("access.log", &text)
        .args(["logs", "analyze", "access.log", "--since", "10m30s"])
        .args(["--format", "prometheus"])
        .run();
    window.stdout_has("maint_logs_http_requests{command=\"logs analyze\",class=\"5xx\"} 1\n");
    window.stdout_has("maint_logs_http_requests{command=\"logs analyze\",class=\"2xx\"} 8\n");
}

/// Appends entries to a journal file in `dir` with systemd-journal-remote
/// (Debian `systemd-journal-remote`), as journald would have written them:
/// (seconds ago, priority, program, unit, message).
fn journal_append(dir: &Path, entries: &[(i64, u8, &str, &str, &str)]) {
    let now = Utc::now().timestamp();
    let mut export = String::new();
    for (i, (ago, priority, program, unit, message)) in entries.iter().enumerate() {
        export.push_str(&format!(
            "__REALTIME_TIMESTAMP={}000000\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n\
             MESSAGE={message}\nPRIORITY={priority}\nSYSLOG_IDENTIFIER={program}\n_PID=42\n_SYSTEMD_UNIT={unit}\n\n",
            now - ago,
            (now - ago) * 1_000_000 + i as i64
        ));
    }
    let input = dir.join("export.txt");
    std::fs::write(&input, export).unwrap();
    let status = Command::new("/lib/systemd/systemd-journal-remote")
        .arg(format!("--output={}", dir.join("test.journal").display()))
        .arg(&input)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("systemd-journal-remote (Debian package systemd-journal-remote)");
    assert!(status.success());
    std::fs::remove_file(&input).unwrap();
}

#[test]
fn the_journal_is_read_by_unit_window_level_and_cursor() {
    let dir = tempfile::tempdir().unwrap();
    journal_append(
        dir.path(),
        &[
            (
                7200,
                3,
                "app",
                "app.service",
                "old failure before the window",
            ),
            (600, 6, "app", "app.service", "started"),
            (540, 3, "app", "app.service", "db down at 10.0.0.5"),
            (480, 6, "app", "app.service", "retrying after ERROR 503"),
            (
                420,
                4,
                "sshd",
                "ssh.service",
                "Failed password for root from 192.0.2.7 port 22 ssh2",
            ),
            (360, 2, "app", "app.service", "out of memory"),
        ],
    );
    let state = dir.path().join("logs.state");
    let run = |extra: &[&str]| {
        maint()
            .json()
            .args(["logs", "analyze", "--journal-dir"])
            .arg(dir.path())
            .args(["--since", "1h"])
            .args(extra)
            .run()
    };
    let out = run(&[]);
    out.code(0);
    // Errors by priority: err and crit, not an info entry that says ERROR.
    assert_eq!(out.check("lines")["value"], 5.0);
    assert_eq!(out.check("errors")["value"], 2.0);
    assert_eq!(out.check("warnings")["value"], 1.0);
    assert_eq!(out.check("security")["value"], 1.0);
    let templates = out.json()["sections"]["templates"].clone();
    let db = templates
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["template"] == "db down at <IP>")
        .expect("the db template")
        .clone();
    assert_eq!(db["component"], "app");
    assert_eq!(db["level"], "ERROR");
    // One unit.
    let ssh = run(&["--unit", "ssh.service"]);
    assert_eq!(ssh.check("lines")["value"], 1.0);
    assert_eq!(ssh.check("errors")["value"], 0.0);
    // With a state, the next run reads only entries after the cursor.
    let state_args = ["--state", state.to_str().unwrap()];
    assert_eq!(run(&state_args).check("lines")["value"], 5.0);
    journal_append(
        dir.path(),
        &[(30, 3, "app", "app.service", "db down at 10.0.0.6")],
    );
    let next = run(&state_args);
    assert_eq!(next.check("lines")["value"], 1.0);
    assert_eq!(next.check("errors")["value"], 1.0);
    // A folder without a journal is an unreadable source, named.
    let empty = tempfile::tempdir().unwrap();
    let out = maint()
        .json()
        .args(["logs", "analyze", "--journal-dir"])
        .arg(empty.path())
        .run();
    out.code(3);
}
