//! `maint db prune`: the maintenance guides' retention `DELETE ... WHERE
//! timestamp < NOW() - INTERVAL '30 days'`, done safely: one cutoff fixed
//! at the start, batches of `--batch` rows each in its own short
//! transaction under a lock timeout, a dry-run count, a warning when the
//! column has no index (each batch would scan the table), and an optional
//! VACUUM afterwards. Stopping (Ctrl-C, --max-duration, an error) goes
//! through the same cancel path as `db vacuum`; batches already committed
//! stay deleted, which is what a retention job wants.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::{NamedTable, millis, open, query_error, require_primary, resolve_table, target};
use crate::checks::postgres::prune::{Progress, column_info, delete_batches};
use crate::checks::postgres::runner::{self, Step, Stop};
use crate::checks::postgres::vacuum::{self, Mode, TableOutcome};
use crate::cli::DbPruneArgs;
use crate::commands::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::probe::pgstats;
use crate::probe::postgres::Target;
use crate::report::{Cell, Check, Column, Metric, Section, Status, Unit};
use crate::units::{compact_duration, human_duration};

const DEFAULT_BATCH: u32 = 5000;
const MAX_BATCH: u32 = 1_000_000;

pub struct Settings {
    pub target: Target,
    pub table: String,
    pub column: String,
    pub older_than: Duration,
    pub batch: u32,
    pub dry_run: bool,
    pub vacuum: bool,
    pub lock_timeout: Duration,
    pub max_duration: Option<Duration>,
    /// ` --url ...` for hints, when the user named the server with it.
    pub again: String,
}

impl Settings {
    pub fn resolve(args: &DbPruneArgs, loaded: &crate::config::Loaded) -> Result<Settings> {
        let postgres = loaded.config.postgres.as_ref();
        let batch = match (args.batch, postgres.and_then(|p| p.prune.batch.as_ref())) {
            (Some(batch), _) => {
                if batch == 0 || batch > MAX_BATCH {
                    return Err(anyhow::anyhow!("--batch {batch}: must be 1 to {MAX_BATCH}")
                        .context(Hint::new(
                            "--batch 5000 is a good size: short locks, few round trips",
                        )));
                }
                batch
            }
            (None, Some(spanned)) => {
                let batch = *spanned.get_ref();
                if batch == 0 || batch > MAX_BATCH {
                    return Err(loaded
                        .invalid(
                            "postgres.prune.batch",
                            spanned,
                            format!("must be 1 to {MAX_BATCH}"),
                        )
                        .into());
                }
                batch
            }
            (None, None) => DEFAULT_BATCH,
        };
        if args.older_than.0.is_zero() {
            return Err(anyhow::anyhow!(
                "--older-than {}: must be more than zero (it would delete every row)",
                args.older_than
            )
            .context(Hint::new("--older-than 30d keeps the last 30 days")));
        }
        Ok(Settings {
            target: target(args.url.as_ref(), loaded)?,
            table: args.table.clone(),
            column: args.column.clone(),
            older_than: args.older_than.0,
            batch,
            dry_run: args.dry_run,
            vacuum: args.vacuum,
            lock_timeout: args
                .lock_timeout
                .or(postgres.and_then(|p| p.lock_timeout))
                .map_or(super::DEFAULT_LOCK_TIMEOUT, Duration::from),
            max_duration: args.max_duration.map(Duration::from),
            again: crate::shell::again("--url", args.url.as_ref().map(|u| u.0.as_str())),
        })
    }
}

pub fn execute(args: &DbPruneArgs, context: &Context) -> Outcome {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let settings = Settings::resolve(args, context.config).map_err(Failed::Setup)?;
    let target = &settings.target;
    let (mut client, server) = open(target, context.notes()).map_err(Failed::Setup)?;
    require_primary(&mut client, &server, target, "DELETE").map_err(Failed::Setup)?;
    let table =
        resolve_table(&mut client, target, "--table", &settings.table).map_err(Failed::Setup)?;
    let column =
        column_info(&mut client, target, &table, &settings.column).map_err(Failed::Setup)?;
    let allowed = client
        .query_one(
            "SELECT has_table_privilege($1::oid, 'SELECT') AND has_table_privilege($1::oid, 'DELETE')",
            &[&table.oid],
        )
        .map_err(|err| Failed::Setup(query_error(&err, target, "checking privileges")))?;
    if !allowed.get::<_, bool>(0) {
        return Err(Failed::Setup(
            anyhow::anyhow!(
                "role {:?} may not SELECT and DELETE from {}: insufficient privileges",
                server.user,
                table.qualified
            )
            .context(Hint::new(format!(
                "as its owner: GRANT SELECT, DELETE ON {} TO {}; or connect as the owner",
                table.qualified, server.user
            ))),
        ));
    }
    // One cutoff for the whole run, so batches agree on what "old" means.
    let cutoff_row = client
        .query_one(
            "SELECT (now() - make_interval(secs => $1))::text",
            &[&settings.older_than.as_secs_f64()],
        )
        .map_err(|err| Failed::Setup(query_error(&err, target, "computing the cutoff")))?;
    let cutoff: String = cutoff_row.get(0);
    let condition = format!("{} < $1::text::timestamptz", column.quoted);
    let batch_sql = format!(
        "DELETE FROM {t} WHERE ctid = ANY (ARRAY (SELECT ctid FROM {t} WHERE {condition} LIMIT {n}))",
        t = table.qualified,
        n = settings.batch
    );
    let shown_sql = batch_sql.replace("$1::text::timestamptz", &format!("'{cutoff}'"));
    let count_sql = format!("SELECT count(*) FROM {} WHERE {condition}", table.qualified);

    let mut report = crate::checks::report("db prune", started_at);
    let name = format!("prune:{}", table.qualified);
    let index_warning = (!column.indexed).then(|| {
        Check::new(
            format!("{name}:index"),
            Status::Warning,
            format!(
                "no index starts with {}: every batch scans the whole table",
                column.quoted
            ),
        )
        .with_hint(format!(
            "CREATE INDEX CONCURRENTLY ON {} ({})",
            table.qualified, column.quoted
        ))
    });
    let describe = format!(
        "{} older than {} ({} < '{cutoff}', {})",
        table.qualified,
        compact_duration(settings.older_than),
        column.quoted,
        column.type_name
    );

    if settings.dry_run {
        let count: i64 = client
            .query_one(&count_sql, &[&cutoff])
            .map_err(|err| Failed::Setup(query_error(&err, target, "counting old rows")))?
            .get(0);
        let batches = (count as u64).div_ceil(u64::from(settings.batch));
        report.checks.push(
            Check::new(
                name,
                Status::Ok,
                format!(
                    "dry run: {count} rows of {describe} would be deleted in {batches} batches of at most {}; nothing was changed",
                    settings.batch
                ),
            )
            .with_value(count as f64, Unit::Count),
        );
        report.checks.extend(index_warning);
        report.sections.push(Section {
            name: "plan".to_owned(),
            title: "Plan".to_owned(),
            columns: vec![
                Column::new("rows", "ROWS"),
                Column::new("batches", "BATCHES"),
                Column::new("sql", "SQL (each batch, its own transaction)"),
                Column::new("lock", "LOCK"),
            ],
            rows: vec![vec![
                Cell::Integer(count),
                Cell::Integer(batches as i64),
                Cell::Text(shown_sql),
                Cell::Text(
                    "ROW EXCLUSIVE, and the deleted rows (reads and writes go on)".to_owned(),
                ),
            ]],
        });
        report.duration = clock.elapsed();
        return Ok(report);
    }
    drop(client);

    crate::interrupt::install()
        .map_err(|err| Failed::Setup(anyhow::Error::new(err).context("cannot catch Ctrl-C")))?;
    let session = target
        .session(&[
            ("lock_timeout", millis(settings.lock_timeout)),
            ("statement_timeout", "0".to_owned()),
        ])
        .map_err(|err| Failed::Setup(super::connect_error(err)))?;
    let deadline = settings.max_duration.map(|limit| (clock + limit, limit));
    // What committed so far, readable even when the worker is abandoned.
    let tally = Arc::new(Mutex::new(Progress::default()));
    let (oid, notes) = (table.oid, context.notes());
    let finished = runner::run(
        vec![session],
        vec![tally],
        deadline,
        move |session, tally, signal| {
            delete_batches(session, &batch_sql, &cutoff, oid, signal, notes, tally)
        },
    );
    let progress = match finished.abandoned.into_iter().next() {
        Some((_, tally)) => {
            let tally = tally.lock().unwrap_or_else(PoisonError::into_inner);
            Progress {
                error: Some(runner::ABANDONED.to_owned()),
                ..tally.clone()
            }
        }
        None => finished
            .results
            .into_iter()
            .next()
            .map(|(_, p)| p)
            .unwrap_or_default(),
    };

    let mut check = Check::new(
        name.clone(),
        Status::Ok,
        format!(
            "deleted {} rows of {describe} in {} batches",
            progress.deleted, progress.batches
        ),
    )
    .with_value(progress.deleted as f64, Unit::Count);
    let failure = progress
        .error
        .clone()
        .or_else(|| finished.stop.as_ref().map(Stop::describe));
    if let Some(why) = &failure {
        let status = match finished.stop {
            Some(Stop::Deadline(_)) => Status::Warning,
            _ => Status::Critical,
        };
        check.message = format!(
            "stopped: {why}; {} (committed batches stay deleted, the rest is left for the next run)",
            check.message
        );
        let again = format!(
            "maint db prune{} --table {} --column {} --older-than {}",
            settings.again,
            crate::shell::word(&table.qualified),
            crate::shell::word(&settings.column),
            compact_duration(settings.older_than)
        );
        check = check.at_least(status).with_hint(match &progress.blocker {
            Some(holder) => format!(
                "see what pid {pid} is doing, then end it or wait: psql '{}' -c 'SELECT pg_terminate_backend({pid})'; then {again}",
                target.display,
                pid = holder.pid
            ),
            None => again,
        });
    }
    report.checks.push(check);
    report.checks.extend(index_warning);

    if settings.vacuum && failure.is_none() {
        report
            .checks
            .push(vacuum_after(target, &table, &server, &settings));
    }
    report.metrics.push(Metric::new(
        "maint_db_prune_deleted_rows",
        "Rows deleted by the last prune run",
        &[("database", &server.database), ("table", &table.qualified)],
        progress.deleted as f64,
    ));
    report.duration = clock.elapsed();
    Ok(report)
}

/// `--vacuum`: the same statement and notice handling as `db vacuum`.
fn vacuum_after(
    target: &Target,
    table: &NamedTable,
    server: &pgstats::Server,
    settings: &Settings,
) -> Check {
    let name = format!("vacuum:{}", table.qualified);
    let session = match target.session(&[("lock_timeout", millis(settings.lock_timeout))]) {
        Ok(session) => session,
        Err(err) => {
            return Check::new(name, Status::Critical, err.to_string()).with_hint(err.hint());
        }
    };
    let (sql, _) = vacuum::statement(Mode::Vacuum, &table.qualified, server);
    let oid = table.oid;
    let finished = runner::run(vec![session], vec![()], None, move |session, (), signal| {
        Step::Done(vacuum::vacuum_one(session, oid, &sql, signal))
    });
    let Some((_, result)) = finished.results.into_iter().next() else {
        return Check::new(name, Status::Warning, "VACUUM not run: interrupted");
    };
    let figures = match (result.before, result.after) {
        (Some(b), Some(a)) => format!(": dead tuples {} -> {}", b.dead_tuples, a.dead_tuples),
        _ => String::new(),
    };
    match result.outcome {
        TableOutcome::Done => Check::new(
            name,
            Status::Ok,
            format!(
                "VACUUM (ANALYZE) in {}{figures}",
                human_duration(result.elapsed)
            ),
        ),
        TableOutcome::Skipped(why) => {
            Check::new(name, Status::Warning, format!("VACUUM skipped: {why}")).with_hint(format!(
                "maint db vacuum{} --table {}",
                settings.again,
                crate::shell::word(&table.qualified)
            ))
        }
        other => Check::new(
            name,
            Status::Warning,
            format!("VACUUM did not finish: {other:?}"),
        )
        .with_hint(format!(
            "maint db vacuum{} --table {}",
            settings.again,
            crate::shell::word(&table.qualified)
        )),
    }
}
