//! Prometheus text exposition (format 0.0.4), shaped for node_exporter's
//! textfile collector: one status gauge per check, observed values as gauges
//! in base units, and the time of the run so stale files can be alerted on.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::report::{Report, Unit};

pub(super) fn render(report: &Report) -> String {
    let command = escape(&report.command);
    let mut out = String::new();

    family(
        &mut out,
        "maint_check_status",
        "Status of each check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    );
    for check in &report.checks {
        let _ = writeln!(
            out,
            "maint_check_status{{command=\"{command}\",check=\"{}\"}} {}",
            escape(&check.name),
            check.status.number()
        );
    }

    // Group observed values by gauge so each family is written once, with its HELP.
    let mut values: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for check in &report.checks {
        let (Some(value), Some(unit)) = (check.value, check.unit) else {
            continue;
        };
        let (name, value) = in_base_unit(value, unit);
        values.entry(name).or_default().push(format!(
            "{name}{{command=\"{command}\",check=\"{}\"}} {}",
            escape(&check.name),
            number(value)
        ));
    }
    for (name, lines) in values {
        family(&mut out, name, value_help(name));
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    }

    // Command-specific gauges, one family each, in the order first seen.
    let mut families: Vec<&str> = Vec::new();
    for metric in &report.metrics {
        if !families.contains(&metric.name.as_str()) {
            families.push(&metric.name);
        }
    }
    for name in families {
        let members: Vec<_> = report.metrics.iter().filter(|m| m.name == name).collect();
        family(&mut out, name, &members[0].help);
        for metric in members {
            let mut labels = vec![format!("command=\"{command}\"")];
            labels.extend(
                metric
                    .labels
                    .iter()
                    .map(|(key, value)| format!("{key}=\"{}\"", escape(value))),
            );
            let _ = writeln!(
                out,
                "{name}{{{}}} {}",
                labels.join(","),
                number(metric.value)
            );
        }
    }

    family(
        &mut out,
        "maint_status",
        "Overall status of the run: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    );
    let _ = writeln!(
        out,
        "maint_status{{command=\"{command}\"}} {}",
        report.status().number()
    );
    family(
        &mut out,
        "maint_last_run_timestamp_seconds",
        "Unix time at which the run started.",
    );
    let started = report.started_at.timestamp_millis() as f64 / 1000.0;
    let _ = writeln!(
        out,
        "maint_last_run_timestamp_seconds{{command=\"{command}\"}} {}",
        number(started)
    );
    family(
        &mut out,
        "maint_run_duration_seconds",
        "How long the run took.",
    );
    let _ = writeln!(
        out,
        "maint_run_duration_seconds{{command=\"{command}\"}} {}",
        number(report.duration.as_secs_f64())
    );
    out
}

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// Prometheus wants base units in the metric name: ratios, not percent; seconds, not days.
fn in_base_unit(value: f64, unit: Unit) -> (&'static str, f64) {
    match unit {
        Unit::Percent => ("maint_check_value_ratio", value / 100.0),
        Unit::Bytes => ("maint_check_value_bytes", value),
        Unit::Seconds => ("maint_check_value_seconds", value),
        Unit::Days => ("maint_check_value_seconds", value * 86_400.0),
        Unit::Count | Unit::PerCore => ("maint_check_value", value),
    }
}

fn value_help(name: &str) -> &'static str {
    match name {
        "maint_check_value_ratio" => "Observed value of a check, as a ratio (0.8 is 80 %).",
        "maint_check_value_bytes" => "Observed value of a check, in bytes.",
        "maint_check_value_seconds" => "Observed value of a check, in seconds.",
        _ => "Observed value of a check, without unit (counts, load per core).",
    }
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        // Rust's shortest round-trip form never uses an exponent, which Prometheus accepts.
        format!("{value}")
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(text: &str) -> String {
    text.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Check, Kind, Status, Threshold};
    use chrono::TimeZone;
    use std::time::Duration;

    #[test]
    fn snapshot() {
        let mut report = Report::new(
            "health",
            Kind::Check,
            chrono::Utc
                .with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
                .unwrap(),
        );
        report.duration = Duration::from_millis(250);
        report.checks.push(Check::measured(
            "disk:/",
            85.0,
            Unit::Percent,
            Threshold::above(80.0, 90.0),
            "85 % used",
        ));
        report
            .checks
            .push(Check::new("http:\"odd\"\\name", Status::Critical, "down"));
        report.metrics.push(crate::report::Metric::new(
            "maint_cert_days_left",
            "Days until the certificate expires.",
            &[("target", "a.example:443")],
            12.5,
        ));
        let text = render(&report);
        let expected = r#"# HELP maint_check_status Status of each check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
# TYPE maint_check_status gauge
maint_check_status{command="health",check="disk:/"} 1
maint_check_status{command="health",check="http:\"odd\"\\name"} 2
# HELP maint_check_value_ratio Observed value of a check, as a ratio (0.8 is 80 %).
# TYPE maint_check_value_ratio gauge
maint_check_value_ratio{command="health",check="disk:/"} 0.85
# HELP maint_cert_days_left Days until the certificate expires.
# TYPE maint_cert_days_left gauge
maint_cert_days_left{command="health",target="a.example:443"} 12.5
# HELP maint_status Overall status of the run: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
# TYPE maint_status gauge
maint_status{command="health"} 2
# HELP maint_last_run_timestamp_seconds Unix time at which the run started.
# TYPE maint_last_run_timestamp_seconds gauge
maint_last_run_timestamp_seconds{command="health"} 1795514400
# HELP maint_run_duration_seconds How long the run took.
# TYPE maint_run_duration_seconds gauge
maint_run_duration_seconds{command="health"} 0.25
"#;
        assert_eq!(text, expected);
    }
}
