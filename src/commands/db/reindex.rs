//! `maint db reindex`: REINDEX INDEX CONCURRENTLY of the invalid and
//! bloated indexes, one at a time, with the leftovers of failed rebuilds
//! dropped (`checks::postgres::reindex`).

use std::time::Instant;

use super::{millis, open, require_primary};
use crate::checks::postgres::reindex::Action;
use crate::checks::postgres::reindex::{
    Settings, drop_leftovers, free_space, plan, plan_report, rebuild, require_concurrently,
    run_report, space_needed,
};
use crate::checks::postgres::runner::{self, Step};
use crate::checks::postgres::vacuum::TableOutcome;
use crate::cli::DbReindexArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::units::{human_bytes, human_duration};

pub fn execute(args: &DbReindexArgs, context: &Context) -> Outcome {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let settings = Settings::resolve(args, context.config).map_err(Failed::Setup)?;
    let target = &settings.target;
    let (mut client, server) = open(target, context.notes()).map_err(Failed::Setup)?;
    require_primary(&mut client, &server, target, "REINDEX").map_err(Failed::Setup)?;
    require_concurrently(&server).map_err(Failed::Setup)?;
    let plan = plan(&mut client, &server, &settings).map_err(Failed::Setup)?;
    let items = plan.items.clone();
    let free = free_space(&mut client);
    context.note(|| format!("plan: {} indexes", items.len()));
    let mut report = crate::checks::report("db reindex", started_at);
    if settings.dry_run {
        plan_report(&mut report, &plan, free);
        report.duration = clock.elapsed();
        return Ok(report);
    }
    let needed = space_needed(&items);
    if let Some(free) = free.filter(|free| *free < needed) {
        return Err(Failed::Setup(
            anyhow::anyhow!(
                "not enough free space: the largest rebuild needs {} while it runs, the data directory's filesystem has {}",
                human_bytes(needed),
                human_bytes(free)
            )
            .context(Hint::new("free some space, or rebuild smaller indexes first with --index")),
        ));
    }
    drop(client);
    crate::interrupt::install()
        .map_err(|err| Failed::Setup(anyhow::Error::new(err).context("cannot catch Ctrl-C")))?;
    let session = target
        .session(&[
            ("lock_timeout", millis(settings.lock_timeout)),
            ("statement_timeout", millis(settings.statement_timeout)),
        ])
        .map_err(|err| Failed::Setup(super::connect_error(err)))?;
    let notes = context.notes();
    let finished = runner::run(
        vec![session],
        items.clone(),
        None,
        move |session, item, signal| {
            let result = rebuild(session, item, signal);
            notes.note(|| {
                format!(
                    "{}: {} in {}",
                    item.index,
                    result.outcome.word(),
                    human_duration(result.elapsed)
                )
            });
            match result.outcome.clone() {
                TableOutcome::Lost(message) => Step::Fatal(result, message),
                _ => Step::Done(result),
            }
        },
    );
    // A rebuild that did not finish leaves an invalid copy behind.
    let mut dropped = Vec::new();
    let unfinished: Vec<&str> = items
        .iter()
        .enumerate()
        .filter(|(at, item)| {
            item.action == Action::Reindex
                && !finished
                    .results
                    .iter()
                    .any(|(done, r)| done == at && matches!(r.outcome, TableOutcome::Done))
        })
        .map(|(_, item)| item.index.as_str())
        .collect();
    if !unfinished.is_empty() {
        if let Ok((mut client, _)) = target.connect() {
            for index in unfinished {
                dropped.extend(drop_leftovers(&mut client, index, settings.lock_timeout));
            }
        }
    }
    run_report(
        &mut report,
        &plan,
        &finished.results,
        finished.stop.map(|stop| stop.describe()).as_deref(),
        &dropped,
    );
    report.duration = clock.elapsed();
    Ok(report)
}
