//! `maint run ROUTINE`: resolves `[routine.NAME]` (every step parsed as the
//! command line it is, before anything runs), takes the one routine lock,
//! runs the plan (`routine::Plan`) and appends the entry to the maintenance
//! log. Telling people how it went is `run.rs`'s, as for every command.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use clap::Parser;

use super::{Context, Failed, Outcome};
use crate::cli::{Cli, Command, RunArgs};
use crate::config::{RoutineConfig, RoutineSection};
use crate::error::Hint;
use crate::report::{Check, Status};
use crate::routine::{self, Plan, Step};
use crate::storage::lock::{Lock, LockError};

pub fn execute(args: &RunArgs, context: &Context) -> Outcome {
    let started_at = chrono::Utc::now();
    let section = &context.config.config.routine;
    let plan = resolve(args, section, context).map_err(Failed::Setup)?;
    if args.dry_run {
        return Ok(plan.dry_run(started_at));
    }
    let lock_path = lock_path(section).map_err(Failed::Setup)?;
    if let Some(log) = &section.log {
        crate::storage::atomic::check_writable(log)
            .with_context(|| format!("cannot write the maintenance log {}", log.display()))
            .context(Hint::new(
                "create its folder, or change [routine] log in maint.toml",
            ))
            .map_err(Failed::Setup)?;
    }
    let _lock = Lock::acquire(&lock_path, &format!("maint run {}", args.name)).map_err(|err| {
        let hint = match &err {
            LockError::Held { .. } => {
                "wait for that routine to finish: routines never overlap (see `maint run --help`)"
            }
            LockError::Io { .. } => {
                "check the permissions of the lock's folder, or set [routine] lock"
            }
        };
        Failed::Setup(anyhow::Error::new(err).context(Hint::new(hint)))
    })?;
    // SIGTERM from systemd or Ctrl-C stops the running step, and the
    // routine still reports, runs its hooks and writes its log entry.
    crate::interrupt::install().map_err(Failed::setup)?;
    let mut report = plan.run(started_at, &|text| context.note(|| text));
    if let Some(log) = &section.log {
        let entry = routine::log::entry(&report, section.log_format);
        if let Err(err) = routine::log::append(log, &entry) {
            report.checks.push(
                Check::new(
                    "maintenance log",
                    Status::Warning,
                    format!("cannot append to {}: {err}", log.display()),
                )
                .with_hint(format!(
                    "ls -l {}",
                    crate::shell::word(&log.display().to_string())
                )),
            );
        }
    }
    Ok(report)
}

/// The routine's plan, every step checked as maint would parse it.
fn resolve(args: &RunArgs, section: &RoutineSection, context: &Context) -> anyhow::Result<Plan> {
    let Some(routine) = section.routines.get(&args.name) else {
        let known: Vec<&str> = section.routines.keys().map(String::as_str).collect();
        let hint = if known.is_empty() {
            "add a [routine.NAME] table with `steps` to maint.toml (examples/maint.toml shows one)"
                .to_owned()
        } else {
            format!("the routines of maint.toml: {}", known.join(", "))
        };
        return Err(
            anyhow!("no routine {:?} in [routine] of maint.toml", args.name)
                .context(Hint::new(hint)),
        );
    };
    if routine.steps.is_empty() {
        return Err(
            anyhow!("routine {:?} has no steps", args.name).context(Hint::new(format!(
                "list them: [routine.{}] steps = [\"health\", ...]",
                args.name
            ))),
        );
    }
    let steps = routine
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            resolve_step(routine, step).map_err(|message| {
                anyhow!(
                    "routine {:?}, step {} ({:?}): {message}",
                    args.name,
                    i + 1,
                    step.run
                )
                .context(Hint::new(
                    "fix the step in maint.toml; it is a maint command line without `maint`, as in `maint STEP --help`",
                ))
            })
        })
        .collect::<anyhow::Result<Vec<Step>>>()?;
    let exe = std::env::current_exe().context("cannot find maint's own binary to run the steps")?;
    Ok(Plan {
        name: args.name.clone(),
        steps,
        timeout: routine
            .timeout
            .map_or(routine::DEFAULT_TIMEOUT, Duration::from),
        hooks: routine.hooks(),
        exe,
        config: context.config.path.clone(),
    })
}

fn resolve_step(routine: &RoutineConfig, step: &crate::config::Step) -> Result<Step, String> {
    let args = routine::split(&step.run)?;
    let cli = Cli::try_parse_from(std::iter::once("maint".to_owned()).chain(args.iter().cloned()))
        .map_err(|err| {
            err.render()
                .to_string()
                .lines()
                .next()
                .unwrap_or("invalid command line")
                .trim_start_matches("error: ")
                .to_owned()
        })?;
    if let Command::Run(_) | Command::Notify(_) | Command::Completions(_) = cli.command {
        return Err(format!(
            "`{}` cannot be a step of a routine",
            cli.command.name()
        ));
    }
    if cli.global.config.is_some() || cli.global.format.is_some() || cli.global.output.is_some() {
        return Err(
            "--config, --format and --output are the routine's own: a step may not set them".into(),
        );
    }
    Ok(Step {
        line: step.run.clone(),
        args,
        budget: step.timeout.or(routine.step_timeout).map(Duration::from),
        continue_on_error: step
            .continue_on_error
            .or(routine.continue_on_error)
            .unwrap_or(true),
    })
}

/// `[routine] lock`, else `routine.lock` in maint's state folder.
fn lock_path(section: &RoutineSection) -> anyhow::Result<PathBuf> {
    match &section.lock {
        Some(path) => Ok(path.clone()),
        None => crate::notify::state::dir()
            .map(|dir| dir.join("routine.lock"))
            .ok_or_else(|| {
                anyhow!("no state folder for the routine lock").context(Hint::new(
                    "set [routine] lock = PATH in maint.toml, or XDG_STATE_HOME",
                ))
            }),
    }
}
