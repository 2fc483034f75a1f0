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

use anyhow::Result;
use postgres::Client;

use super::{NamedTable, millis, open, query_error, require_primary, resolve_table, target};
use crate::checks::postgres::runner::{self, Step, Stop};
use crate::checks::postgres::vacuum::{
    Measure, Mode, TableOutcome, TableResult, statement, vacuum_one, verb,
};
use crate::cli::DbVacuumArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::config::Loaded;
use crate::error::Hint;
use crate::judge::vacuum::{self as judge, Candidate, Criteria, Reason};
use crate::probe::pgstats::{self, Holder, Server};
use crate::probe::postgres::Target;
use crate::report::{Cell, Check, Column, Metric, Report, Section, Status, Unit};
use crate::units::human_duration;

const MAX_JOBS: usize = 64;

/// Everything `maint db vacuum` will do, validated before connecting.
pub struct Settings {
    pub target: Target,
    pub mode: Mode,
    pub dry_run: bool,
    pub tables: Vec<String>,
    pub schemas: Vec<String>,
    pub exclude: Vec<String>,
    pub jobs: usize,
    pub lock_timeout: Duration,
    pub statement_timeout: Option<Duration>,
    pub max_duration: Option<Duration>,
    pub criteria: Criteria,
    /// ` --url ...` for hints, when the user named the server with it.
    pub again: String,
}

impl Settings {
    pub fn resolve(args: &DbVacuumArgs, loaded: &Loaded) -> Result<Settings> {
        let postgres = loaded.config.postgres.as_ref();
        let vacuum = postgres.map(|p| &p.vacuum);
        let mode = match (args.full, args.analyze_only) {
            (true, _) => Mode::Full,
            (false, true) => Mode::AnalyzeOnly,
            (false, false) => Mode::Vacuum,
        };
        if mode == Mode::Full && (args.table.is_empty() || !args.schema.is_empty()) {
            return Err(anyhow::anyhow!(
                "--full needs --table: VACUUM FULL rewrites a table under an ACCESS EXCLUSIVE lock \
                 (no reads or writes until it is done), so it runs only on tables named one by one"
            )
            .context(Hint::new(
                "maint db vacuum --full --yes --table SCHEMA.TABLE (or drop --full: plain VACUUM takes no such lock)",
            )));
        }
        let jobs = match (args.jobs, vacuum.and_then(|v| v.jobs.as_ref())) {
            (Some(jobs), _) => jobs,
            (None, Some(spanned)) => {
                let jobs = *spanned.get_ref();
                if jobs == 0 || jobs > MAX_JOBS {
                    return Err(loaded
                        .invalid(
                            "postgres.vacuum.jobs",
                            spanned,
                            format!("must be 1 to {MAX_JOBS}"),
                        )
                        .into());
                }
                jobs
            }
            (None, None) => 1,
        };
        if jobs == 0 || jobs > MAX_JOBS {
            return Err(anyhow::anyhow!("--jobs {jobs}: must be 1 to {MAX_JOBS}")
                .context(Hint::new("--jobs 2 runs two tables at a time")));
        }
        let mut criteria = Criteria::default();
        if let Some(spanned) = vacuum.and_then(|v| v.dead_ratio.as_ref()) {
            criteria.dead_ratio = percent(*spanned.get_ref())
                .map_err(|m| loaded.invalid("postgres.vacuum.dead_ratio", spanned, m))?;
        }
        if let Some(ratio) = args.dead_ratio {
            criteria.dead_ratio = percent(ratio).map_err(|m| {
                anyhow::anyhow!("--dead-ratio {ratio}: {m}").context(Hint::new(
                    "--dead-ratio 20 chooses tables with 20 % dead tuples",
                ))
            })?;
        }
        if let Some(spanned) = vacuum.and_then(|v| v.min_dead_tuples.as_ref()) {
            criteria.min_dead_tuples = (*spanned.get_ref()).max(0);
        }
        if let Some(count) = args.min_dead_tuples {
            criteria.min_dead_tuples = count.max(0);
        }
        if let Some(spanned) = vacuum.and_then(|v| v.xid_age.as_ref()) {
            criteria.xid_age = Some((*spanned.get_ref()).max(0));
        }
        if let Some(on) = vacuum.and_then(|v| v.stale_statistics) {
            criteria.stale_statistics = on;
        }
        if let Some(on) = vacuum.and_then(|v| v.autovacuum_overdue) {
            criteria.autovacuum_overdue = on;
        }
        if mode == Mode::AnalyzeOnly {
            // ANALYZE fixes statistics only: dead tuples and xid age are VACUUM's business.
            criteria = Criteria {
                dead_ratio: f64::INFINITY,
                min_dead_tuples: i64::MAX,
                xid_age: Some(i64::MAX),
                stale_statistics: true,
                autovacuum_overdue: false,
            };
        }
        let mut schemas = args.schema.clone();
        let mut exclude = args.exclude.clone();
        if let Some(vacuum) = vacuum {
            if schemas.is_empty() {
                schemas = vacuum.schema.clone();
            }
            exclude.extend(vacuum.exclude.iter().cloned());
        }
        Ok(Settings {
            target: target(args.url.as_ref(), loaded)?,
            mode,
            dry_run: args.dry_run,
            tables: args.table.clone(),
            schemas,
            exclude,
            jobs,
            lock_timeout: args
                .lock_timeout
                .or(postgres.and_then(|p| p.lock_timeout))
                .map_or(super::DEFAULT_LOCK_TIMEOUT, Duration::from),
            statement_timeout: args
                .statement_timeout
                .or(postgres.and_then(|p| p.statement_timeout))
                .map(Duration::from),
            max_duration: args
                .max_duration
                .or(vacuum.and_then(|v| v.max_duration))
                .map(Duration::from),
            criteria,
            again: crate::shell::again("--url", args.url.as_ref().map(|u| u.0.as_str())),
        })
    }
}

fn percent(value: f64) -> Result<f64, String> {
    if (0.0..=100.0).contains(&value) {
        Ok(value / 100.0)
    } else {
        Err(format!("{value} is not a percentage (0 to 100)"))
    }
}

/// One table of the plan: what runs and why.
#[derive(Clone, Debug)]
pub struct Planned {
    pub candidate: Candidate,
    pub sql: String,
    pub lock: &'static str,
}

/// Builds the plan: one catalog query, then selection and ordering in memory.
pub fn plan(
    client: &mut Client,
    server: &Server,
    settings: &Settings,
    named: &[NamedTable],
    excluded: &[NamedTable],
) -> Result<(Vec<Planned>, usize), postgres::Error> {
    let tables = pgstats::tables(client, server, false)?;
    let considered = tables.len();
    let excluded: Vec<u32> = excluded.iter().map(|t| t.oid).collect();
    let mut chosen: Vec<Candidate> = if named.is_empty() {
        let in_scope = |t: &pgstats::Table| {
            !excluded.contains(&t.oid)
                && (settings.schemas.is_empty() || settings.schemas.contains(&t.schema))
        };
        judge::candidates(
            tables.into_iter().filter(in_scope).collect(),
            server,
            &settings.criteria,
        )
    } else {
        let mut chosen = Vec::new();
        for table in tables {
            if named.iter().any(|n| n.oid == table.oid) && !excluded.contains(&table.oid) {
                let mut reasons = vec![Reason::Named];
                reasons.extend(judge::reasons(&table, server, &settings.criteria));
                chosen.push(judge::candidate(table, reasons, server));
            }
        }
        judge::sort_by_priority(&mut chosen, server.block_size);
        chosen
    };
    chosen.dedup_by_key(|c| c.table.oid);
    let planned = chosen
        .into_iter()
        .map(|candidate| {
            let (sql, lock) = statement(settings.mode, &candidate.table.qualified, server);
            Planned {
                candidate,
                sql,
                lock,
            }
        })
        .collect();
    Ok((planned, considered))
}

pub fn execute(args: &DbVacuumArgs, context: &Context) -> Outcome {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let settings = Settings::resolve(args, context.config).map_err(Failed::Setup)?;
    let target = &settings.target;
    let (mut client, server) = open(target).map_err(Failed::Setup)?;
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

/// (dead tuples before, after) when VACUUM ran but removed at most half of
/// them: they are still visible to some snapshot.
fn held_back(result: &TableResult) -> Option<(i64, i64)> {
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

fn dry_run_report(
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
        verb(settings.mode)
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

fn run_report(
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
                                    super::holder_text(holder)
                                ),
                            )
                            .with_value(after as f64, Unit::Count)
                            .with_hint(format!(
                                "{}; then maint db vacuum{again} --table {word}",
                                super::holder_hint(holder, &settings.target)
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
        verb(settings.mode),
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
