//! Where and how reports are written: formats, --output, -q, colour, and a
//! closed pipe.

use std::io::Read;
use std::process::Stdio;

use crate::support::maint;

pub(crate) fn promtool_check(text: &str) {
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is needed (apt-get install prometheus; .ci/run installs it)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics complained:\n{}{}\n--- input:\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn prometheus_output_passes_promtool() {
    let out = maint()
        .config(&format!(
            "[[health.http]]\nname = \"a \\\"quoted\\\" name\"\nurl = \"{}\"\n",
            crate::support::http::url("/ok")
        ))
        .args(["--format", "prometheus", "health"])
        .run();
    assert!(out.code <= 2, "{}", out.stderr);
    out.stdout_has("maint_check_status{command=\"health\",check=\"cpu\"}")
        .stdout_has("maint_check_value_ratio{command=\"health\",check=\"disk:/\"}")
        .stdout_has("maint_last_run_timestamp_seconds{command=\"health\"}");
    promtool_check(&out.stdout);
}

#[test]
fn output_is_written_atomically_and_stdout_stays_empty() {
    let command = maint();
    let target = command.path("maint.prom");
    let out = command
        .args([
            "--format",
            "prometheus",
            "--output",
            "maint.prom",
            "health",
            "--only",
            "cpu",
        ])
        .run();
    out.stdout_is("");
    let text = std::fs::read_to_string(&target).unwrap();
    promtool_check(&text);
    let leftovers: Vec<_> = std::fs::read_dir(out.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn output_into_a_missing_folder_fails_before_running() {
    maint()
        .args(["--output", "no/such/folder/maint.prom", "health"])
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line(
            "cannot write --output no/such/folder/maint.prom: No such file or directory",
        );
}

#[test]
fn nagios_is_one_line_with_perfdata() {
    let out = maint()
        .args([
            "--format",
            "nagios",
            "health",
            "--only",
            "disk:/",
            "--threshold",
            "disk=0,100",
        ])
        .run();
    out.code(1);
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(
        out.stdout
            .starts_with("MAINT HEALTH WARNING - disk:/ WARNING: "),
        "{}",
        out.stdout
    );
    out.stdout_has(" | 'disk:/'=")
        .stdout_has("%;@0:;@100:;0;100");
}

#[test]
fn json_snapshot_with_the_moving_parts_masked() {
    let out = maint()
        .config(&format!(
            "[[health.http]]\nname = \"api\"\nurl = \"{}\"\n",
            crate::support::http::url("/status/503")
        ))
        .json()
        .args(["health", "--only", "http:api"])
        .run();
    out.code(2);
    let masked = mask(&out.stdout);
    let expected = r#"{
  "schema_version": 1,
  "maint_version": "VERSION",
  "command": "health",
  "kind": "check",
  "host": "HOST",
  "started_at": "TIME",
  "duration_seconds": SECONDS,
  "status": "CRITICAL",
  "summary": {
    "ok": 0,
    "warning": 0,
    "critical": 1,
    "unknown": 0
  },
  "checks": [
    {
      "name": "http:api",
      "status": "CRITICAL",
      "value": SECONDS,
      "unit": "seconds",
      "threshold": null,
      "message": "HTTP 503 Service Unavailable; expected 2xx or 3xx",
      "hint": "curl -sS -o /dev/null -w '%{http_code} %{time_total}s\\n' 'URL/status/503'",
      "duration_seconds": SECONDS
    }
  ],
  "sections": {}
}
"#;
    assert_eq!(masked, expected);
}

#[test]
fn table_snapshot_with_the_moving_parts_masked() {
    let port = crate::support::command::free_port();
    let out = maint()
        .config(&format!(
            "[[health.tcp]]\nname = \"db\"\naddress = \"127.0.0.1:{port}\"\n"
        ))
        .args(["health", "--only", "tcp"])
        .run();
    out.code(2);
    let masked = out.stdout.replace(&port.to_string(), "PORT");
    let masked = regex::Regex::new(r"in [0-9.]+ (µs|ms|s)\n")
        .unwrap()
        .replace(&masked, "in N ms\n");
    assert_eq!(
        masked,
        "maint health: CRITICAL (1 critical) in N ms
 STATUS    CHECK   VALUE  LIMIT  MESSAGE
 CRITICAL  tcp:db                127.0.0.1:PORT: connection refused

Next steps:
  tcp:db: nc -vz 127.0.0.1 PORT
"
    );
}

fn mask(text: &str) -> String {
    let text = text.replace(crate::support::http::server(), "URL");
    let rules = [
        (
            r#""maint_version": "[^"]+""#,
            r#""maint_version": "VERSION""#,
        ),
        (r#""host": "[^"]+""#, r#""host": "HOST""#),
        (r#""started_at": "[^"]+""#, r#""started_at": "TIME""#),
        (
            r#"("(?:duration_seconds|value)"): [0-9.e-]+"#,
            "$1: SECONDS",
        ),
    ];
    rules.iter().fold(text, |text, (pattern, replacement)| {
        regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, *replacement)
            .into_owned()
    })
}

#[test]
fn quiet_prints_nothing_but_keeps_the_exit_code() {
    maint()
        .args([
            "-q",
            "health",
            "--only",
            "disk:/",
            "--threshold",
            "disk=0,0",
        ])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_is("");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = maint().args(["health", "--only", "cpu"]).run();
    assert!(!plain.stdout.contains('\x1b'));
    maint()
        .args(["--color", "always", "health", "--only", "cpu"])
        .run()
        .stdout_has("\x1b[");
    // The flag beats NO_COLOR, as the convention asks of explicit choices.
    maint()
        .env("NO_COLOR", "1")
        .args(["--color", "always", "health", "--only", "cpu"])
        .run()
        .stdout_has("\x1b[");
    let never = maint()
        .args(["--color", "never", "health", "--only", "cpu"])
        .run();
    assert!(!never.stdout.contains('\x1b'));
}

#[test]
fn a_closed_pipe_exits_quietly() {
    let command = maint().args(["health", "--only", "cpu", "--only", "load"]);
    let mut child = command
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end before maint writes (it samples the CPU for 200 ms first).
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(stderr, "");
    assert!(matches!(status.code(), Some(0..=3)), "{status:?}");
}

#[test]
fn verbose_adds_timings_to_the_table() {
    maint()
        .args(["-v", "health", "--only", "cpu"])
        .run()
        .stdout_has(" TIME")
        .stderr_has("maint: health: 1 checks, deadline 10s");
}
