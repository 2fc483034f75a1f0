//! A Nagios/monitoring-plugins command, run as a health check: its exit
//! code, its first line and its performance data, under a time limit after
//! which it is killed with everything it started.

use std::process::Command;
use std::time::Duration;

/// What a plugin said.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginOutput {
    /// None when it was ended by a signal.
    pub code: Option<i32>,
    /// The text of its first line, before any `|`.
    pub text: String,
    pub perfdata: Vec<Perf>,
    pub elapsed: Duration,
}

/// One `'label'=value[UOM];warn;crit;min;max` of the performance data.
#[derive(Clone, Debug, PartialEq)]
pub struct Perf {
    pub label: String,
    pub value: f64,
    pub unit: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("no answer within {} (killed)", crate::units::human_duration(*.0))]
    Timeout(Duration),
}

/// Runs `argv` (no shell) with stdin closed, in a process group of its own
/// that is stopped whole at `timeout` (see [`crate::child`]).
pub fn run(argv: &[String], timeout: Duration) -> Result<PluginOutput, PluginError> {
    let (program, args) = argv.split_first().expect("a command has a program");
    let done = crate::child::run(
        Command::new(program).args(args),
        None,
        timeout,
        crate::child::OnInterrupt::Stop,
    )
    .map_err(|source| PluginError::Spawn {
        program: program.clone(),
        source,
    })?;
    if done.timed_out {
        return Err(PluginError::Timeout(timeout));
    }
    // Plugins print a line or a few: only the first is read.
    let (text, perfdata) = parse(&String::from_utf8_lossy(&done.stdout));
    Ok(PluginOutput {
        code: done.code,
        text,
        perfdata,
        elapsed: done.elapsed,
    })
}

/// The first line's text and the performance data after its `|`.
fn parse(output: &str) -> (String, Vec<Perf>) {
    let first = output.lines().next().unwrap_or_default();
    let (text, perf) = first.split_once('|').unwrap_or((first, ""));
    (text.trim().to_owned(), perfdata(perf))
}

fn perfdata(text: &str) -> Vec<Perf> {
    let mut items = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        // A quoted label may hold spaces and `=`.
        let (label, after) = if let Some(quoted) = rest.strip_prefix('\'') {
            let Some(end) = quoted.find("'=") else { break };
            (quoted[..end].to_owned(), &quoted[end + 2..])
        } else {
            let Some((label, after)) = rest.split_once('=') else {
                break;
            };
            (label.to_owned(), after)
        };
        let (item, next) = after.split_once(' ').unwrap_or((after, ""));
        rest = next.trim_start();
        let value = item.split(';').next().unwrap_or_default();
        let digits = value
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .unwrap_or(value.len());
        if let Ok(number) = value[..digits].parse() {
            items.push(Perf {
                label,
                value: number,
                unit: value[digits..].to_owned(),
            });
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_and_performance_data() {
        let (text, perf) = parse(
            "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968 'my disk'=12.5%;80;90\nlong text\n",
        );
        assert_eq!(text, "DISK OK - free space: / 3326 MB (56%);");
        assert_eq!(perf.len(), 2);
        assert_eq!(
            perf[0],
            Perf {
                label: "/".into(),
                value: 2643.0,
                unit: "MB".into()
            }
        );
        assert_eq!(perf[1].label, "my disk");
        assert_eq!(perf[1].unit, "%");
        assert_eq!(parse(""), (String::new(), Vec::new()));
    }
}
