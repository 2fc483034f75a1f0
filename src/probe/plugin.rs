//! A Nagios/monitoring-plugins command, run as a health check: its exit
//! code, its first line and its performance data, under a time limit after
//! which it is killed with everything it started.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bytes of output read: plugins print a line or a few.
const MAX_OUTPUT: u64 = 64 * 1024;

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
/// that is killed whole at `timeout`.
pub fn run(argv: &[String], timeout: Duration) -> Result<PluginOutput, PluginError> {
    let started = Instant::now();
    let (program, args) = argv.split_first().expect("a command has a program");
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|source| PluginError::Spawn {
            program: program.clone(),
            source,
        })?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    // Read as it comes, so a chatty plugin never blocks on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut bytes);
        bytes
    });
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if started.elapsed() >= timeout {
            if let Some(group) = i32::try_from(child.id())
                .ok()
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            }
            let _ = child.wait();
            return Err(PluginError::Timeout(timeout));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let bytes = reader.join().unwrap_or_default();
    let (text, perfdata) = parse(&String::from_utf8_lossy(&bytes));
    Ok(PluginOutput {
        code: status.code(),
        text,
        perfdata,
        elapsed: started.elapsed(),
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
