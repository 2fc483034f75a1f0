//! The engine of `maint run NAME`: a routine's steps, each a maint command
//! line run as a child process of this same binary (`maint --format json
//! --no-notify STEP...`), one after the other under their budgets, with the
//! routine's hooks around them, read back into one report.
//!
//! A child per step, rather than calling the commands in-process, because a
//! step must be stoppable at its budget whatever it is doing (a `db vacuum`
//! waiting on the server, a backup on a hung mount): a process group can be
//! stopped, a thread cannot. It also keeps each step exactly as it runs from
//! cron, with its own exit code by the one policy, and keeps commands from
//! importing each other. The child's JSON report is the contract read back.

pub mod log;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::hooks::Hooks;
use crate::report::{Cell, Check, Column, Kind, Report, Section, Status};
use crate::units::compact_duration;

/// A routine's budget when the config sets none: it must be over before the
/// next day's run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(23 * 3600);

/// The environment variable that tells a step who its parent routine is
/// (the step exits with it: see `run.rs`).
pub const PARENT_ENV: &str = "MAINT_ROUTINE_PARENT";

/// One step, resolved.
#[derive(Debug, Clone)]
pub struct Step {
    /// As written in maint.toml.
    pub line: String,
    /// The words after `maint`.
    pub args: Vec<String>,
    /// Its own budget, if it has one (the routine's remaining time bounds it anyway).
    pub budget: Option<Duration>,
    /// Whether the next steps run when this one fails.
    pub continue_on_error: bool,
}

/// A routine, resolved and checked, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub steps: Vec<Step>,
    pub timeout: Duration,
    pub hooks: Hooks,
    /// This binary.
    pub exe: PathBuf,
    /// The config file the steps read (the routine's own).
    pub config: Option<PathBuf>,
}

/// One finding a step reported.
#[derive(Debug, Clone)]
struct Finding {
    name: String,
    status: Status,
    message: String,
    hint: Option<String>,
}

/// How one step went.
#[derive(Debug)]
struct Outcome {
    status: Status,
    message: String,
    hint: Option<String>,
    elapsed: Option<Duration>,
    findings: Vec<Finding>,
    /// Counts as a failure for `continue_on_error` (exit 2 or more, stopped, not started).
    failed: bool,
}

/// Splits a step's command line into words as a POSIX shell would, for the
/// quoting people write in a TOML string: '...', "...", and backslashes.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(done) = word.take() {
                    words.push(done);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("a ' is not closed".into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => w.push(c),
                            None => return Err("a \" is not closed".into()),
                        },
                        Some(c) => w.push(c),
                        None => return Err("a \" is not closed".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err("the line ends with a backslash".into()),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(done) = word {
        words.push(done);
    }
    if words.is_empty() {
        return Err("the step is empty".into());
    }
    Ok(words)
}

impl Plan {
    /// What would run, in order, and nothing run: the `--dry-run` report.
    pub fn dry_run(&self, started_at: DateTime<Utc>) -> Report {
        let mut report = Report::new(format!("run {}", self.name), Kind::Check, started_at);
        report.listing = true;
        let mut rows = Vec::new();
        for (when, commands) in [("before", &self.hooks.before)] {
            for command in commands {
                rows.push((when.to_owned(), command.clone(), String::new()));
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            let budget = step
                .budget
                .map_or_else(|| "the routine's".to_owned(), compact_duration);
            let mode = if step.continue_on_error {
                "continue on error"
            } else {
                "stop on error"
            };
            rows.push((
                format!("step {}", i + 1),
                format!("maint {}", step.line),
                format!("budget {budget}, {mode}"),
            ));
        }
        for (when, commands) in [
            ("after", &self.hooks.after),
            ("on_failure", &self.hooks.on_failure),
        ] {
            for command in commands {
                rows.push((when.to_owned(), command.clone(), String::new()));
            }
        }
        report.sections.push(Section {
            name: "plan".to_owned(),
            title: format!(
                "Routine {} (budget {}), in order:",
                self.name,
                compact_duration(self.timeout)
            ),
            columns: vec![
                Column::new("when", "When"),
                Column::new("command", "Command"),
                Column::new("limits", "Limits"),
            ],
            rows: rows
                .into_iter()
                .map(|(a, b, c)| vec![Cell::Text(a), Cell::Text(b), Cell::Text(c)])
                .collect(),
        });
        report
    }

    /// Runs the routine: `before` hooks, the steps, then `after` or
    /// `on_failure`; returns the report (a check per step, a section per
    /// step, the issues found, the hooks).
    pub fn run(&self, started_at: DateTime<Utc>, note: &dyn Fn(String)) -> Report {
        let started = Instant::now();
        let deadline = started + self.timeout;
        let env = [("MAINT_ROUTINE", self.name.clone())];
        let steps = || self.steps(deadline, note);
        let failed = |outcomes: &Vec<Outcome>| outcomes.iter().any(|o| o.failed);
        let (outcomes, hook_runs) = self.hooks.around(&env, steps, |o| !failed(o));
        let outcomes = outcomes.unwrap_or_else(|| {
            self.steps
                .iter()
                .map(|_| skipped("a before hook failed"))
                .collect()
        });

        let mut report = Report::new(format!("run {}", self.name), Kind::Check, started_at);
        for (i, (step, outcome)) in self.steps.iter().zip(&outcomes).enumerate() {
            let mut check = Check::new(
                format!("step {}: {}", i + 1, step.line),
                outcome.status,
                outcome.message.clone(),
            );
            check.hint.clone_from(&outcome.hint);
            check.elapsed = outcome.elapsed;
            report.checks.push(check);
        }
        report.checks.extend(crate::hooks::failures(&hook_runs));
        report.sections.push(issues(&self.steps, &outcomes));
        report.sections.extend(crate::hooks::section(&hook_runs));
        for (i, (step, outcome)) in self.steps.iter().zip(&outcomes).enumerate() {
            report.sections.push(step_section(i, step, outcome));
        }
        report.duration = started.elapsed();
        report
    }

    /// The steps in order, each under what is left of the routine's budget.
    fn steps(&self, deadline: Instant, note: &dyn Fn(String)) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        let mut stop: Option<String> = None;
        for (i, step) in self.steps.iter().enumerate() {
            if let Some(reason) = &stop {
                outcomes.push(skipped(reason));
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let reason = format!(
                    "the routine's budget of {} ran out",
                    compact_duration(self.timeout)
                );
                outcomes.push(skipped(&reason));
                stop = Some(reason);
                continue;
            }
            note(format!("step {}: maint {}", i + 1, step.line));
            let budget = step.budget.map_or(left, |own| own.min(left));
            let outcome = self.step(step, budget);
            if outcome.failed && !step.continue_on_error {
                stop = Some(format!("step {} failed", i + 1));
            }
            if crate::interrupt::requested() {
                stop = Some("maint was asked to stop".to_owned());
            }
            outcomes.push(outcome);
        }
        outcomes
    }

    fn step(&self, step: &Step, budget: Duration) -> Outcome {
        let mut command = Command::new(&self.exe);
        if let Some(config) = &self.config {
            command.arg("--config").arg(config);
        }
        command
            .args(["--format", "json", "--no-notify"])
            .args(&step.args)
            .env(PARENT_ENV, std::process::id().to_string());
        let done =
            match crate::child::run(&mut command, None, budget, crate::child::OnInterrupt::Stop) {
                Ok(done) => done,
                Err(err) => {
                    return Outcome {
                        status: Status::Critical,
                        message: format!("cannot start {}: {err}", self.exe.display()),
                        hint: None,
                        elapsed: None,
                        findings: Vec::new(),
                        failed: true,
                    };
                }
            };
        let findings = findings(&done.stdout);
        let worst = findings
            .iter()
            .filter(|f| f.status != Status::Ok)
            .max_by_key(|f| f.status.severity());
        let (status, message) = if done.timed_out {
            (
                Status::Critical,
                format!("stopped at its budget of {}", compact_duration(budget)),
            )
        } else if done.interrupted {
            (
                Status::Critical,
                "stopped: maint was asked to stop".to_owned(),
            )
        } else {
            let status = match done.code {
                Some(0) => Status::Ok,
                Some(1) => Status::Warning,
                Some(3) => Status::Unknown,
                _ => Status::Critical,
            };
            let message = match (worst, findings.is_empty()) {
                (Some(worst), _) => format!(
                    "{} {}: {} ({})",
                    worst.status.as_str(),
                    worst.name,
                    worst.message,
                    counts(&findings)
                ),
                (None, false) => counts(&findings),
                (None, true) => done.last_error_line().map_or_else(
                    || format!("exit {}", done.code.unwrap_or(-1)),
                    |line| line.trim_start_matches("maint: ").to_owned(),
                ),
            };
            (status, message)
        };
        let hint = worst
            .and_then(|w| w.hint.clone())
            .or_else(|| (status != Status::Ok).then(|| format!("maint {}", step.line)));
        Outcome {
            status,
            message,
            hint,
            elapsed: Some(done.elapsed),
            findings,
            failed: done.timed_out || done.interrupted || done.code.is_none_or(|c| c >= 2),
        }
    }
}

fn skipped(reason: &str) -> Outcome {
    Outcome {
        status: Status::Unknown,
        message: format!("skipped: {reason}"),
        hint: None,
        elapsed: None,
        findings: Vec::new(),
        failed: true,
    }
}

/// "12 checks: 11 OK, 1 WARNING"
fn counts(findings: &[Finding]) -> String {
    let mut parts = Vec::new();
    for status in [
        Status::Ok,
        Status::Warning,
        Status::Critical,
        Status::Unknown,
    ] {
        let n = findings.iter().filter(|f| f.status == status).count();
        if n > 0 {
            parts.push(format!("{n} {}", status.as_str()));
        }
    }
    let noun = if findings.len() == 1 {
        "check"
    } else {
        "checks"
    };
    format!("{} {noun}: {}", findings.len(), parts.join(", "))
}

/// The checks of a step's JSON report.
fn findings(stdout: &[u8]) -> Vec<Finding> {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(stdout) else {
        return Vec::new();
    };
    let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
    json["checks"]
        .as_array()
        .map(|checks| {
            checks
                .iter()
                .map(|check| Finding {
                    name: text(&check["name"]).unwrap_or_default(),
                    status: match check["status"].as_str() {
                        Some("OK") => Status::Ok,
                        Some("WARNING") => Status::Warning,
                        Some("CRITICAL") => Status::Critical,
                        _ => Status::Unknown,
                    },
                    message: text(&check["message"]).unwrap_or_default(),
                    hint: text(&check["hint"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every finding that is not OK, of every step, with its hint.
fn issues(steps: &[Step], outcomes: &[Outcome]) -> Section {
    let mut rows = Vec::new();
    for (step, outcome) in steps.iter().zip(outcomes) {
        for finding in outcome.findings.iter().filter(|f| f.status != Status::Ok) {
            rows.push(vec![
                Cell::Text(step.line.clone()),
                Cell::Text(finding.name.clone()),
                Cell::Text(finding.status.as_str().to_owned()),
                Cell::Text(finding.message.clone()),
                finding.hint.clone().map_or(Cell::Empty, Cell::Text),
            ]);
        }
    }
    Section {
        name: "issues".to_owned(),
        title: "Issues found".to_owned(),
        columns: vec![
            Column::new("step", "Step"),
            Column::new("check", "Check"),
            Column::new("status", "Status"),
            Column::new("message", "Message"),
            Column::new("hint", "Next"),
        ],
        rows,
    }
}

/// Everything one step reported.
fn step_section(index: usize, step: &Step, outcome: &Outcome) -> Section {
    Section {
        name: format!("step{}", index + 1),
        title: format!("Step {}: maint {}", index + 1, step.line),
        columns: vec![
            Column::new("check", "Check"),
            Column::new("status", "Status"),
            Column::new("message", "Message"),
            Column::new("hint", "Next"),
        ],
        rows: outcome
            .findings
            .iter()
            .map(|f| {
                vec![
                    Cell::Text(f.name.clone()),
                    Cell::Text(f.status.as_str().to_owned()),
                    Cell::Text(f.message.clone()),
                    f.hint.clone().map_or(Cell::Empty, Cell::Text),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn step_lines_split_as_a_shell_would() {
        assert_eq!(
            super::split("logs analyze --since 24h").unwrap(),
            ["logs", "analyze", "--since", "24h"]
        );
        assert_eq!(
            super::split(
                r#"logs analyze --pattern 'db=connection (refused|reset)' "/var/log/my app.log""#
            )
            .unwrap(),
            [
                "logs",
                "analyze",
                "--pattern",
                "db=connection (refused|reset)",
                "/var/log/my app.log"
            ]
        );
        assert!(super::split("health 'oops").is_err());
        assert!(super::split("  ").is_err());
    }
}
