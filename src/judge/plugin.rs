//! A monitoring-plugins command's verdict: its exit code is the status
//! (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, anything else UNKNOWN), its first
//! line the message, its first performance value the check's value.

use crate::probe::plugin::{PluginError, PluginOutput};
use crate::report::{Check, Status, Unit};

pub fn command(name: &str, shown: &str, outcome: &Result<PluginOutput, PluginError>) -> Check {
    let check_name = format!("command:{name}");
    let output = match outcome {
        Ok(output) => output,
        Err(err) => {
            return Check::new(check_name, Status::Unknown, format!("{shown}: {err}"))
                .with_hint(format!("{shown}; echo $?"));
        }
    };
    let status = match output.code {
        Some(0) => Status::Ok,
        Some(1) => Status::Warning,
        Some(2) => Status::Critical,
        _ => Status::Unknown,
    };
    let mut message = if output.text.is_empty() {
        "(printed nothing)".to_owned()
    } else {
        output.text.clone()
    };
    match output.code {
        Some(code) if !(0..=3).contains(&code) => {
            message.push_str(&format!(" (exit {code}: not a plugin status)"));
        }
        None => message.push_str(" (ended by a signal)"),
        _ => {}
    }
    let mut check = Check::new(check_name, status, message).with_hint(shown.to_owned());
    if let Some(perf) = output.perfdata.first() {
        let (value, unit) = match perf.unit.as_str() {
            "%" => (perf.value, Unit::Percent),
            "s" => (perf.value, Unit::Seconds),
            "ms" => (perf.value / 1e3, Unit::Seconds),
            "us" => (perf.value / 1e6, Unit::Seconds),
            "B" => (perf.value, Unit::Bytes),
            "KB" => (perf.value * 1024.0, Unit::Bytes),
            "MB" => (perf.value * 1024.0 * 1024.0, Unit::Bytes),
            "GB" => (perf.value * 1024.0 * 1024.0 * 1024.0, Unit::Bytes),
            "TB" => (perf.value * 1024.0_f64.powi(4), Unit::Bytes),
            _ => (perf.value, Unit::Count),
        };
        check = check.with_value(value, unit);
    }
    check.elapsed = Some(output.elapsed);
    check
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::probe::plugin::Perf;

    fn output(code: Option<i32>, text: &str) -> PluginOutput {
        PluginOutput {
            code,
            text: text.into(),
            perfdata: vec![Perf {
                label: "time".into(),
                value: 250.0,
                unit: "ms".into(),
            }],
            elapsed: Duration::from_millis(3),
        }
    }

    #[test]
    fn exit_codes_are_statuses() {
        let check = command(
            "web",
            "check_http -H x",
            &Ok(output(Some(1), "HTTP WARNING: slow")),
        );
        assert_eq!(check.name, "command:web");
        assert_eq!(check.status, Status::Warning);
        assert_eq!(check.message, "HTTP WARNING: slow");
        assert_eq!(check.value, Some(0.25));
        assert_eq!(check.unit, Some(Unit::Seconds));
        assert_eq!(
            command("x", "x", &Ok(output(Some(2), ""))).message,
            "(printed nothing)"
        );
        let odd = command("x", "x", &Ok(output(Some(127), "sh: not found")));
        assert_eq!(odd.status, Status::Unknown);
        assert!(odd.message.ends_with("(exit 127: not a plugin status)"));
        let hung = command(
            "x",
            "sleep 60",
            &Err(PluginError::Timeout(Duration::from_secs(2))),
        );
        assert_eq!(hung.status, Status::Unknown);
        assert_eq!(hung.message, "sleep 60: no answer within 2.0 s (killed)");
    }
}
