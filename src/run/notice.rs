//! Telling people how a run went, around any command: the `[[notify]]`
//! targets that cover it (every routine; the commands a target lists; any
//! command with `--notify`), pinged at the start, told at the end with the
//! event the exit code and the previous run's make, the exit code recorded
//! for next time. Deliveries never change the exit code: how they went is a
//! section of the report and, when one failed, a line on stderr.

use std::path::PathBuf;

use crate::cli::{Cli, Command};
use crate::config::{ConfigError, Loaded};
use crate::exit::ExitCode;
use crate::notify::{Delivery, Event, Message, Target};
use crate::report::{Check, Report, Status};

pub(super) struct Notice {
    targets: Vec<Target>,
    /// The command as its history knows it: `run daily`, `backup create`.
    key: String,
    /// Where the last exit codes are kept; None without a state folder.
    state: Option<PathBuf>,
    started: Vec<Delivery>,
}

impl Notice {
    /// The notice of this run, when any target covers it.
    pub(super) fn new(loaded: &Loaded, cli: &Cli) -> Result<Option<Notice>, ConfigError> {
        let key = match &cli.command {
            Command::Run(args) if args.dry_run => return Ok(None),
            Command::Run(args) => format!("run {}", args.name),
            Command::Notify(_) | Command::Completions(_) => return Ok(None),
            other => other.name().to_owned(),
        };
        let targets = loaded.notify_targets(&key, cli.global.notify)?;
        // A routine's step is told about as part of its routine.
        let quiet = cli.global.no_notify || std::env::var_os(crate::routine::PARENT_ENV).is_some();
        if targets.is_empty() || quiet {
            return Ok(None);
        }
        let state = crate::notify::state::dir().map(|dir| crate::notify::state::path_in(&dir));
        Ok(Some(Notice {
            started: crate::notify::start(&targets, &key),
            targets,
            key,
            state,
        }))
    }

    /// Tells the targets about `report`, records its code, and returns how
    /// every delivery went (the start pings first).
    pub(super) fn finish(self, report: &Report, code: ExitCode) -> Vec<Delivery> {
        let code = code.code();
        let previous = self
            .state
            .as_deref()
            .and_then(|file| crate::notify::state::previous(file, &self.key));
        let message = Message::new(report, code, Event::of(code, previous), previous);
        let mut deliveries = self.started;
        deliveries.extend(crate::notify::deliver(&self.targets, &message));
        if let Some(file) = &self.state
            && let Err(err) = crate::notify::state::record(file, &self.key, code)
        {
            eprintln!(
                "maint: warning: cannot record this run in {}: {err} (a recovery will not be told)",
                file.display()
            );
        }
        deliveries
    }

    /// [`Notice::finish`] for a run that ended in an error, without a report.
    pub(super) fn finish_error(self, failure: &super::Failure, cli: &Cli) -> Vec<Delivery> {
        let mut report = Report::new(
            self.key.clone(),
            crate::cli::kind(cli.command.name()),
            chrono::Utc::now(),
        );
        let status = if failure.code == ExitCode::Unknown {
            Status::Unknown
        } else {
            Status::Critical
        };
        let line = crate::error::describe(&failure.error);
        report.checks.push(Check::new(
            "error",
            status,
            line.trim_start_matches("maint: error: "),
        ));
        self.finish(&report, failure.code)
    }
}

/// One stderr line per delivery that failed.
pub(super) fn warn(deliveries: &[Delivery]) {
    for delivery in deliveries {
        if let Some(error) = &delivery.error {
            eprintln!(
                "{}",
                crate::redact::secrets(&format!(
                    "maint: warning: the {} notification to {} was not delivered after {} attempt(s): {error}",
                    delivery.what, delivery.target, delivery.attempts
                ))
            );
        }
    }
}
