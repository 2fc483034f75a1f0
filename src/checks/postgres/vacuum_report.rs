//! The report of `maint db vacuum`: the plan of a dry run, or per table
//! what it found and what changed, with the command to run next for each
//! table that was skipped, failed or held back.

use std::time::Duration;

use super::holder_text;
use super::runner::{self, Stop};
use super::vacuum::{Measure, Mode, TableOutcome, TableResult, verb};
use super::vacuum_plan::{Planned, Settings};
use crate::judge::dbreport::cleanup::holder_hint;
use crate::judge::vacuum::{Candidate, Reason};
use crate::probe::pgstats::{Holder, Server};
use crate::report::{Cell, Check, Column, Metric, Report, Section, Status, Unit};
use crate::units::human_duration;

/// (dead tuples before, after) when VACUUM ran but removed at most half of
/// them: they are still visible to some snapshot.
pub fn held_back(result: &TableResult) -> Option<(i64, i64)> {
    match (&result.outcome, result.before, result.after) {
        (TableOutcome::Done, Some(before), Some(after))
            if before.dead_tuples > 0
                && after.dead_tuples > 0
                && after.dead_tuples * 2 >= before.dead_tuples =>
        {
            Some((before.dead_tuples, after.dead_tuples))
        }
        _ => None,
    }
}

fn reasons_text(candidate: &Candidate) -> String {
    candidate
        .reasons
        .iter()
        .map(Reason::describe)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What the plan runs: the run's statement, and how many tables get an
/// ANALYZE alone instead because only their statistics are stale.
fn what_runs(planned: &[Planned], mode: Mode) -> String {
    let alone = planned.iter().filter(|item| item.mode != mode).count();
    if alone == 0 {
        verb(mode).to_owned()
    } else {
        format!(
            "{} ({alone} an ANALYZE alone: only their statistics were stale)",
            verb(mode)
        )
    }
}

/// What a dry run would do, in order.
pub fn dry_run_report(
    report: &mut Report,
    planned: &[Planned],
    considered: usize,
    server: &Server,
    settings: &Settings,
) {
    let block = server.block_size;
    let mut message = format!(
        "dry run: {} of {considered} tables would get a {}; nothing was changed",
        planned.len(),
        what_runs(planned, settings.mode)
    );
    if settings.mode == Mode::Full {
        message.push_str(
            "; VACUUM FULL takes an ACCESS EXCLUSIVE lock: the table can be neither read nor written until it is done",
        );
    }
    report.checks.push(
        Check::new("plan", Status::Ok, message).with_value(planned.len() as f64, Unit::Count),
    );
    report.sections.push(Section {
        name: "plan".to_owned(),
        title: "Plan (in this order)".to_owned(),
        columns: vec![
            Column::new("table", "TABLE"),
            Column::new("reasons", "WHY"),
            Column::new("dead_tuples", "DEAD"),
            Column::new("estimated_bytes", "SIZE (EST.)"),
            Column::new("xid_age", "XID AGE"),
            Column::new("sql", "SQL"),
            Column::new("lock", "LOCK"),
        ],
        rows: planned
            .iter()
            .map(|p| {
                let t = &p.candidate.table;
                vec![
                    Cell::Text(t.qualified.clone()),
                    Cell::Text(reasons_text(&p.candidate)),
                    Cell::Integer(t.dead_tuples),
                    Cell::Bytes(t.total_bytes(block)),
                    Cell::Integer(t.xid_age),
                    Cell::Text(p.sql.clone()),
                    Cell::Text(p.lock.to_owned()),
                ]
            })
            .collect(),
    });
}

/// What each table got, the run's summary and its metrics.
pub fn run_report(
    report: &mut Report,
    planned: &[Planned],
    finished: runner::Finished<Planned, TableResult>,
    settings: &Settings,
    server: &Server,
    holder: Option<&Holder>,
) {
    let again = &settings.again;
    let mut results: Vec<(usize, Option<TableResult>)> = finished
        .results
        .into_iter()
        .map(|(index, result)| (index, Some(result)))
        .collect();
    results.extend(finished.not_started.iter().map(|(index, _)| (*index, None)));
    results.extend(finished.abandoned.iter().map(|(index, _)| {
        let result = TableResult {
            outcome: TableOutcome::Lost(runner::ABANDONED.to_owned()),
            elapsed: Duration::ZERO,
            before: None,
            after: None,
        };
        (*index, Some(result))
    }));
    results.sort_by_key(|(index, _)| *index);

    let stop_text = finished.stop.as_ref().map(Stop::describe);
    let (mut done, mut skipped, mut failed, mut unfinished) = (0usize, 0usize, 0usize, 0usize);
    let mut held = 0usize;
    let (mut dead_before, mut dead_after) = (0i64, 0i64);
    let mut rows = Vec::new();
    let mut item_checks = Vec::new();
    for (index, result) in &results {
        let item = &planned[*index];
        let table = &item.candidate.table.qualified;
        let word = crate::shell::word(table);
        let (status_word, check) = match result {
            None => {
                unfinished += 1;
                let why = stop_text.clone().unwrap_or_default();
                (
                    "not started".to_owned(),
                    Some(Check::new(
                        table.clone(),
                        Status::Warning,
                        format!("not started: {why}"),
                    )),
                )
            }
            Some(result) => {
                let check = match &result.outcome {
                    TableOutcome::Done => {
                        done += 1;
                        // Without a holder to name, the counts may only be late (before PostgreSQL 15).
                        held_back(result).zip(holder).map(|((before, after), holder)| {
                            held += 1;
                            Check::new(
                                table.clone(),
                                Status::Warning,
                                format!(
                                    "VACUUM ran but {after} of {before} dead tuples remain: {} still sees them, and VACUUM removes only rows no snapshot can see",
                                    holder_text(holder)
                                ),
                            )
                            .with_value(after as f64, Unit::Count)
                            .with_hint(format!(
                                "{}; then maint db vacuum{again} --table {word}",
                                holder_hint(holder, &settings.target.display)
                            ))
                        })
                    }
                    TableOutcome::Skipped(why) => {
                        skipped += 1;
                        Some(
                            Check::new(table.clone(), Status::Warning, format!("skipped: {why}"))
                                .with_hint(skip_hint(why, table, settings)),
                        )
                    }
                    TableOutcome::Failed(why) | TableOutcome::Lost(why) => {
                        failed += 1;
                        Some(
                            Check::new(table.clone(), Status::Critical, format!("failed: {why}"))
                                .with_hint(format!(
                                    "psql '{}' -c {}",
                                    settings.target.display,
                                    crate::shell::word(&item.sql)
                                )),
                        )
                    }
                    TableOutcome::TimedOut => {
                        failed += 1;
                        Some(
                            Check::new(
                                table.clone(),
                                Status::Critical,
                                format!(
                                    "cancelled by statement_timeout after {}",
                                    human_duration(result.elapsed)
                                ),
                            )
                            .with_hint(format!(
                                "maint db vacuum{again} --table {word} --statement-timeout 1h"
                            )),
                        )
                    }
                    TableOutcome::Cancelled => {
                        unfinished += 1;
                        Some(Check::new(
                            table.clone(),
                            Status::Warning,
                            format!(
                                "cancelled on the server after {}: {}",
                                human_duration(result.elapsed),
                                stop_text.clone().unwrap_or_default()
                            ),
                        ))
                    }
                };
                if let (TableOutcome::Done, Some(before), Some(after)) =
                    (&result.outcome, result.before, result.after)
                {
                    dead_before += before.dead_tuples;
                    dead_after += after.dead_tuples;
                }
                (result.outcome.word().to_owned(), check)
            }
        };
        item_checks.extend(check);
        let measure_cells = |m: Option<Measure>| match m {
            Some(m) => [Cell::Integer(m.dead_tuples), Cell::Bytes(m.bytes)],
            None => [Cell::Empty, Cell::Empty],
        };
        let before = result.as_ref().and_then(|r| r.before);
        let after = result.as_ref().and_then(|r| r.after);
        let [dead_b, bytes_b] = measure_cells(before);
        let [dead_a, bytes_a] = measure_cells(after);
        rows.push(vec![
            Cell::Text(table.clone()),
            Cell::Text(status_word),
            result
                .as_ref()
                .map_or(Cell::Empty, |r| Cell::Duration(r.elapsed)),
            dead_b,
            dead_a,
            bytes_b,
            bytes_a,
            Cell::Text(reasons_text(&item.candidate)),
        ]);
    }

    let mut summary = format!(
        "{done} of {} tables got a {} ({} dead tuples before, {} after)",
        planned.len(),
        what_runs(planned, settings.mode),
        dead_before,
        dead_after
    );
    if skipped > 0 {
        summary.push_str(&format!(", {skipped} skipped"));
    }
    if failed > 0 {
        summary.push_str(&format!(", {failed} failed"));
    }
    if held > 0 {
        summary.push_str(&format!(", {held} held back by an open snapshot"));
    }
    let mut run = Check::new("vacuum", Status::Ok, summary).with_value(done as f64, Unit::Count);
    if let Some(stop) = &finished.stop {
        let (status, hint) = match stop {
            Stop::Deadline(_) => (
                Status::Warning,
                "run it again (tables still in need are chosen again), or give a longer --max-duration"
                    .to_owned(),
            ),
            Stop::Interrupted => (
                Status::Critical,
                format!("maint db vacuum{again} (tables still in need are chosen again)"),
            ),
            Stop::Failed(_) => (
                Status::Critical,
                format!(
                    "pg_isready -d '{}'; then maint db vacuum{again}",
                    settings.target.display
                ),
            ),
        };
        run.message = format!(
            "stopped: {}; {unfinished} tables not finished, nothing left running on the server; {}",
            stop.describe(),
            run.message
        );
        run = run.at_least(status).with_hint(hint);
    }
    report.checks.push(run);
    report.checks.extend(item_checks);
    report.sections.push(Section {
        name: "tables".to_owned(),
        title: "Tables".to_owned(),
        columns: vec![
            Column::new("table", "TABLE"),
            Column::new("result", "RESULT"),
            Column::new("duration_seconds", "TIME"),
            Column::new("dead_tuples_before", "DEAD BEFORE"),
            Column::new("dead_tuples_after", "DEAD AFTER"),
            Column::new("bytes_before", "SIZE BEFORE"),
            Column::new("bytes_after", "SIZE AFTER"),
            Column::new("reasons", "WHY"),
        ],
        rows,
    });
    for (result, count) in [
        ("done", done),
        ("skipped", skipped),
        ("failed", failed),
        ("unfinished", unfinished),
    ] {
        report.metrics.push(Metric::new(
            "maint_db_vacuum_tables",
            "Tables in the last vacuum run, by result",
            &[("database", &server.database), ("result", result)],
            count as f64,
        ));
    }
    report.metrics.push(Metric::new(
        "maint_db_vacuum_dead_tuples_removed",
        "Dead tuples removed by the last vacuum run (before minus after)",
        &[("database", &server.database)],
        (dead_before - dead_after).max(0) as f64,
    ));
}

fn skip_hint(why: &str, table: &str, settings: &Settings) -> String {
    let again = &settings.again;
    let word = crate::shell::word(table);
    if why.contains("locked") {
        format!(
            "psql '{}' -c \"SELECT pid, mode, granted FROM pg_locks WHERE relation = '{}'::regclass\"",
            settings.target.display,
            table.replace('\'', "''")
        )
    } else if why.contains("not ours") {
        format!(
            "run as the owner of {table} (or a superuser): maint db vacuum --url postgres://OWNER@... --table {word}"
        )
    } else {
        format!("maint db vacuum{again} --table {word} -v")
    }
}
