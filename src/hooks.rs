//! Commands an operator runs around maint's work (`before`, `after`,
//! `on_failure`), with borgmatic's semantics: when every `before` command
//! succeeded, exactly one of `after` (the work succeeded) or `on_failure`
//! (it failed) runs, whatever happened in between; a failed `before` skips
//! the work and runs `on_failure`, never `after`. Each runs as `sh -c`
//! under a time limit, and what it printed goes into the report.

use std::process::Command;
use std::time::Duration;

use crate::report::{Cell, Column, Section, Status};

/// The time limit of one hook when the config sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// How much of a hook's output the report keeps (its end).
const KEPT_OUTPUT: usize = 2000;

#[derive(Debug, Clone, Default)]
pub struct Hooks {
    pub before: Vec<String>,
    pub after: Vec<String>,
    pub on_failure: Vec<String>,
    pub timeout: Option<Duration>,
}

/// One hook that ran.
#[derive(Debug, Clone)]
pub struct HookRun {
    pub when: &'static str,
    pub command: String,
    pub status: Status,
    /// "exit 0", "exit 1", "timed out after 5m", "cannot start: ..."
    pub outcome: String,
    pub elapsed: Duration,
    /// The end of what it printed (standard output, then standard error).
    pub output: String,
}

impl Hooks {
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.after.is_empty() && self.on_failure.is_empty()
    }

    /// Runs the `before` commands in order, stopping at the first that fails;
    /// true when all succeeded (and the work may start).
    pub fn before(&self, env: &[(&str, String)], runs: &mut Vec<HookRun>) -> bool {
        for command in &self.before {
            let run = self.one("before", command, env);
            let ok = run.status == Status::Ok;
            runs.push(run);
            if !ok {
                return false;
            }
        }
        true
    }

    /// Runs `after` when the work succeeded, `on_failure` when it did not
    /// (or `before` failed); every command of the list runs.
    pub fn finish(&self, succeeded: bool, env: &[(&str, String)], runs: &mut Vec<HookRun>) {
        let (when, commands) = if succeeded {
            ("after", &self.after)
        } else {
            ("on_failure", &self.on_failure)
        };
        for command in commands {
            runs.push(self.one(when, command, env));
        }
    }

    /// Runs `work` between the hooks: None when a `before` hook failed and
    /// `work` did not run. `succeeded` says whether its result counts as a
    /// success (which decides `after` or `on_failure`); `MAINT_STATUS` tells
    /// the hook which.
    pub fn around<T>(
        &self,
        env: &[(&str, String)],
        work: impl FnOnce() -> T,
        succeeded: impl Fn(&T) -> bool,
    ) -> (Option<T>, Vec<HookRun>) {
        let mut runs = Vec::new();
        let mut env = env.to_vec();
        if !self.before(&env, &mut runs) {
            env.push(("MAINT_STATUS", "failed".to_owned()));
            self.finish(false, &env, &mut runs);
            return (None, runs);
        }
        let result = work();
        let ok = succeeded(&result);
        env.push((
            "MAINT_STATUS",
            if ok { "succeeded" } else { "failed" }.to_owned(),
        ));
        self.finish(ok, &env, &mut runs);
        (Some(result), runs)
    }

    fn one(&self, when: &'static str, command: &str, env: &[(&str, String)]) -> HookRun {
        let limit = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let mut shell = Command::new("sh");
        shell.args(["-c", command]);
        for (key, value) in env {
            shell.env(key, value);
        }
        shell.env("MAINT_HOOK", when);
        let (status, outcome, elapsed, output) =
            match crate::child::run(&mut shell, None, limit, crate::child::OnInterrupt::Finish) {
                Ok(done) => {
                    let mut output = String::from_utf8_lossy(&done.stdout).into_owned();
                    output.push_str(&String::from_utf8_lossy(&done.stderr));
                    let (status, outcome) = if done.timed_out {
                        (
                            Status::Critical,
                            format!("timed out after {}", crate::units::compact_duration(limit)),
                        )
                    } else if done.interrupted {
                        (Status::Critical, "interrupted".to_owned())
                    } else if let Some(code) = done.code {
                        let status = if code == 0 {
                            Status::Ok
                        } else {
                            Status::Critical
                        };
                        (status, format!("exit {code}"))
                    } else {
                        (
                            Status::Critical,
                            format!("killed by signal {}", done.signal.unwrap_or(0)),
                        )
                    };
                    (status, outcome, done.elapsed, tail(output.trim_end()))
                }
                Err(err) => (
                    Status::Critical,
                    format!("cannot start sh: {err}"),
                    Duration::ZERO,
                    String::new(),
                ),
            };
        HookRun {
            when,
            command: command.to_owned(),
            status,
            outcome,
            elapsed,
            output,
        }
    }
}

/// The end of `text`, at most [`KEPT_OUTPUT`] bytes, cut at a character.
fn tail(text: &str) -> String {
    if text.len() <= KEPT_OUTPUT {
        return text.to_owned();
    }
    let mut start = text.len() - KEPT_OUTPUT;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

/// A check for each hook that failed: the work around it may have been
/// done, but what the operator asked to happen with it did not.
pub fn failures(runs: &[HookRun]) -> Vec<crate::report::Check> {
    runs.iter()
        .filter(|run| run.status != Status::Ok)
        .map(|run| {
            let last = run
                .output
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            crate::report::Check::new(
                format!("hook {}: {}", run.when, run.command),
                run.status,
                format!("{}: {last}", run.outcome)
                    .trim_end_matches(": ")
                    .to_owned(),
            )
            .with_hint(format!("run it by hand: {}", run.command))
        })
        .collect()
}

/// The hooks that ran, as a report section (empty when none ran).
pub fn section(runs: &[HookRun]) -> Option<Section> {
    if runs.is_empty() {
        return None;
    }
    Some(Section {
        name: "hooks".to_owned(),
        title: "Hooks".to_owned(),
        columns: vec![
            Column::new("when", "When"),
            Column::new("command", "Command"),
            Column::new("status", "Status"),
            Column::new("outcome", "Outcome"),
            Column::new("duration_seconds", "Took"),
            Column::new("output", "Output"),
        ],
        rows: runs
            .iter()
            .map(|run| {
                vec![
                    Cell::Text(run.when.to_owned()),
                    Cell::Text(run.command.clone()),
                    Cell::Text(run.status.as_str().to_owned()),
                    Cell::Text(run.outcome.clone()),
                    Cell::Duration(run.elapsed),
                    Cell::Text(run.output.clone()),
                ]
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hooks(before: &[&str]) -> Hooks {
        Hooks {
            before: before.iter().map(|s| (*s).to_owned()).collect(),
            after: vec!["echo after".into()],
            on_failure: vec!["echo failed $MAINT_STATUS".into()],
            timeout: Some(Duration::from_secs(10)),
        }
    }

    #[test]
    fn a_failed_before_runs_on_failure_and_not_after() {
        let hooks = hooks(&["echo one", "exit 4", "echo never"]);
        let mut runs = Vec::new();
        assert!(!hooks.before(&[], &mut runs));
        hooks.finish(false, &[("MAINT_STATUS", "CRITICAL".into())], &mut runs);
        let seen: Vec<_> = runs.iter().map(|r| (r.when, r.outcome.as_str())).collect();
        assert_eq!(
            seen,
            [
                ("before", "exit 0"),
                ("before", "exit 4"),
                ("on_failure", "exit 0")
            ]
        );
        assert_eq!(runs[2].output, "failed CRITICAL");
    }

    #[test]
    fn after_runs_when_the_work_succeeded() {
        let hooks = hooks(&["true"]);
        let mut runs = Vec::new();
        assert!(hooks.before(&[], &mut runs));
        hooks.finish(true, &[], &mut runs);
        assert_eq!(runs.last().unwrap().output, "after");
        assert!(section(&runs).is_some());
    }
}
