//! `maint logs analyze`: log files counted by category in a time window,
//! with `--state` to read only what is new since the last run
//! (`checks::logs` builds the report, `logscan` reads).

use std::time::Instant;

use anyhow::Context as _;

use crate::checks::logs::{Settings, build_report};
use crate::cli::LogsAnalyzeArgs;
use crate::error::Hint;
use crate::logscan::{self, state::State};
use crate::units::human_bytes;

pub fn execute(args: &LogsAnalyzeArgs, context: &super::Context) -> super::Outcome {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let settings = Settings::resolve(args, context.config, started_at)
        .map_err(crate::commands::Failed::Setup)?;
    let previous = match (&settings.state, settings.reset_state) {
        (Some(path), false) => State::load(path)
            .map_err(|err| {
                let hint = match err {
                    logscan::state::StateError::Corrupt { .. } => format!(
                        "pass --reset-state to start over (the next run reads everything in the window again), or remove {}",
                        path.display()
                    ),
                    logscan::state::StateError::Read { .. } => "check the file's permissions".to_owned(),
                };
                anyhow::Error::new(err).context(Hint::new(hint))
            })
            .map_err(crate::commands::Failed::Setup)?,
        _ => None,
    };
    context.note(|| {
        format!(
            "logs: {} categories, window: {}, {}",
            settings.matcher.categories().len(),
            settings.window,
            match &previous {
                Some(state) => format!(
                    "resuming from state written {}",
                    logscan::show_time(state.started_at)
                ),
                None => "reading from the start".to_owned(),
            }
        )
    });
    let mut scan = logscan::scan(&settings.spec(previous.as_ref(), started_at));
    context.note(|| {
        format!(
            "logs: read {} in {:?}",
            human_bytes(scan.bytes_read),
            started.elapsed()
        )
    });
    let mut learned = None;
    if let Some(path) = &settings.state {
        let seen: Vec<String> = scan
            .tally
            .templates
            .live()
            .map(logscan::templates::Template::text)
            .collect();
        let new = scan
            .state
            .learn(previous.as_ref(), seen.iter().map(String::as_str))
            .map(|new| new.into_iter().map(str::to_owned).collect::<Vec<_>>());
        let known = scan.state.templates.as_ref().map_or(0, Vec::len);
        learned = Some((new, known));
        scan.state
            .save(path)
            .with_context(|| format!("cannot write state file {}", path.display()))
            .map_err(crate::commands::Failed::Running)?;
    }
    let mut report = build_report(
        &settings,
        &scan,
        started_at,
        learned
            .as_ref()
            .map(|(new, known)| (new.as_deref(), *known)),
    );
    report.duration = started.elapsed();
    Ok(report)
}
