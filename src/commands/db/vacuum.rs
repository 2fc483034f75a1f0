//! `maint db vacuum`: plan from one catalog query, then VACUUM (ANALYZE)
//! each chosen table on its own, over `--jobs` sessions, reporting per table
//! what it found and what changed.
//!
//! Every statement runs alone (never in a transaction block, as VACUUM
//! requires) with lock_timeout and statement_timeout set at connection
//! start, so a table costs one round trip plus two small measurements.
//! SKIP_LOCKED makes a locked table a WARNING notice instead of a wait; the
//! notices are read so such a table is reported skipped, not done.

use std::time::{Duration, Instant};

use super::{millis, open, query_error, require_primary, resolve_table};
use crate::checks::postgres::runner::{self, Step};
use crate::checks::postgres::vacuum::{Mode, TableOutcome, vacuum_one, verb};
use crate::checks::postgres::vacuum_plan::{Settings, plan};
use crate::checks::postgres::vacuum_report::{dry_run_report, held_back, run_report};
use crate::cli::DbVacuumArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::probe::pgstats;
use crate::report::{Check, Status};
use crate::units::human_duration;

pub fn execute(args: &DbVacuumArgs, context: &Context) -> Outcome {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let settings = Settings::resolve(args, context.config).map_err(Failed::Setup)?;
    let target = &settings.target;
    let (mut client, server) = open(target, context.notes()).map_err(Failed::Setup)?;
    require_primary(&mut client, &server, target, "VACUUM").map_err(Failed::Setup)?;
    let mut named = Vec::new();
    for name in &settings.tables {
        named.push(resolve_table(&mut client, target, "--table", name).map_err(Failed::Setup)?);
    }
    let mut excluded = Vec::new();
    for name in &settings.exclude {
        excluded
            .push(resolve_table(&mut client, target, "--exclude", name).map_err(Failed::Setup)?);
    }
    for schema in &settings.schemas {
        let found = client
            .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[schema])
            .map_err(|err| Failed::Setup(query_error(&err, target, "looking up --schema")))?;
        if found.is_none() {
            return Err(Failed::Setup(
                anyhow::anyhow!(
                    "--schema {schema:?}: no such schema in database {:?}",
                    server.database
                )
                .context(Hint::new(format!("psql '{}' -c '\\dn'", target.display))),
            ));
        }
    }
    let plan_clock = Instant::now();
    let (planned, considered) = plan(&mut client, &server, &settings, &named, &excluded)
        .map_err(|err| Failed::Setup(query_error(&err, target, "reading table statistics")))?;
    context.note(|| {
        format!(
            "plan: {} of {considered} tables in {}",
            planned.len(),
            human_duration(plan_clock.elapsed())
        )
    });

    let mut report = crate::checks::report("db vacuum", started_at);
    if settings.dry_run {
        dry_run_report(&mut report, &planned, considered, &server, &settings);
        report.duration = clock.elapsed();
        return Ok(report);
    }
    if planned.is_empty() {
        report.checks.push(Check::new(
            "vacuum",
            Status::Ok,
            format!(
                "no table needs a {} ({considered} tables checked in {})",
                verb(settings.mode),
                server.database
            ),
        ));
        report.duration = clock.elapsed();
        return Ok(report);
    }
    drop(client);

    crate::interrupt::install()
        .map_err(|err| Failed::Setup(anyhow::Error::new(err).context("cannot catch Ctrl-C")))?;
    let deadline = settings.max_duration.map(|limit| (clock + limit, limit));
    let jobs = settings.jobs.min(planned.len());
    let mut session_settings = vec![("lock_timeout", millis(settings.lock_timeout))];
    // The server ends our statements by itself too, should maint die: the
    // deadline's remainder or the per-table limit, whichever is shorter.
    let remaining = settings
        .max_duration
        .map(|limit| limit.saturating_sub(clock.elapsed()) + Duration::from_secs(1));
    match settings
        .statement_timeout
        .into_iter()
        .chain(remaining)
        .min()
    {
        Some(limit) => session_settings.push(("statement_timeout", millis(limit))),
        None => session_settings.push(("statement_timeout", "0".to_owned())),
    }
    let mut sessions = Vec::with_capacity(jobs);
    for _ in 0..jobs {
        let session = target
            .session(&session_settings)
            .map_err(|err| Failed::Setup(super::connect_error(err)))?;
        sessions.push(session);
    }
    let mode = settings.mode;
    let notes = context.notes();
    let finished = runner::run(
        sessions,
        planned.clone(),
        deadline,
        move |session, item, signal| {
            let result = vacuum_one(session, item.candidate.table.oid, &item.sql, signal);
            notes.note(|| {
                format!(
                    "{}: {} in {}",
                    item.candidate.table.qualified,
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
    if finished.stop.is_none() && server.version_num >= 160_000 && mode != Mode::AnalyzeOnly {
        // The per-table statements skipped this (SKIP_DATABASE_STATS).
        if let Ok((mut client, _)) = target.connect() {
            let _ = client.batch_execute("VACUUM (ONLY_DATABASE_STATS)");
        }
    }
    // Dead tuples a snapshot can still see stay: when a table kept most of
    // its own, find out who holds cleanup back, once for the whole run.
    let holder = if finished
        .results
        .iter()
        .any(|(_, result)| held_back(result).is_some())
    {
        target.connect().ok().and_then(|(mut client, _)| {
            pgstats::cleanup_holders(&mut client)
                .ok()
                .and_then(|holders| holders.into_iter().next())
        })
    } else {
        None
    };
    run_report(
        &mut report,
        &planned,
        finished,
        &settings,
        &server,
        holder.as_ref(),
    );
    report.duration = clock.elapsed();
    Ok(report)
}
