//! The library half of `maint db reindex`: which indexes to rebuild (the
//! invalid ones, and B-tree indexes whose estimated bloat passes a level,
//! as `db report` judges them), the leftovers of an interrupted REINDEX
//! CONCURRENTLY to drop (`*_ccnew`, `*_ccold`), the space check, one
//! statement at a time, and the cleanup of what a failed rebuild leaves.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use postgres::Client;

use super::runner::Signal;
use super::vacuum::{TableOutcome, classify};
use super::{DEFAULT_LOCK_TIMEOUT, query_error, target};
use crate::cli::DbReindexArgs;
use crate::config::Loaded;
use crate::error::Hint;
use crate::judge::dbreport;
use crate::probe::pgcatalog;
use crate::probe::pgstats::{self, Reliability, Server};
use crate::probe::postgres::{Session, Target};
use crate::report::{Cell, Check, Column, Report, Section, Status, Unit};
use crate::units::human_bytes;

const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(3600);

/// What `db reindex` will do, validated before it connects.
pub struct Settings {
    pub target: Target,
    pub dry_run: bool,
    pub indexes: Vec<String>,
    /// Estimated bloat, percent, from which an index is rebuilt.
    pub min_bloat: f64,
    pub lock_timeout: Duration,
    pub statement_timeout: Duration,
}

impl Settings {
    pub fn resolve(args: &DbReindexArgs, loaded: &Loaded) -> Result<Settings> {
        let levels = super::report_catalog::levels(loaded)?;
        Ok(Settings {
            target: target(args.url.as_ref(), loaded)?,
            dry_run: args.dry_run,
            indexes: args.index.clone(),
            min_bloat: args
                .min_bloat
                .or(levels.index_bloat.warning)
                .unwrap_or(50.0),
            lock_timeout: args
                .lock_timeout
                .map_or(DEFAULT_LOCK_TIMEOUT, Duration::from),
            statement_timeout: args
                .statement_timeout
                .map_or(DEFAULT_STATEMENT_TIMEOUT, Duration::from),
        })
    }
}

/// What is done to an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Reindex,
    /// A leftover of an interrupted REINDEX CONCURRENTLY.
    DropLeftover,
}

/// One index of the plan.
#[derive(Clone, Debug)]
pub struct Item {
    pub index: String,
    pub table: String,
    pub action: Action,
    pub why: String,
    pub bytes: u64,
    pub sql: String,
}

/// An index the plan leaves alone, and what to do instead.
#[derive(Clone, Debug)]
pub struct Left {
    pub index: String,
    pub table: String,
    /// Why it was chosen (invalid, bloated, named).
    pub chosen: String,
    pub why: String,
    /// The statement an operator would run instead, in a maintenance window.
    pub instead: String,
}

/// What `db reindex` will rebuild or drop, and what it leaves alone.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub items: Vec<Item>,
    pub left: Vec<Left>,
}

/// Refuses servers without REINDEX CONCURRENTLY (before 12).
pub fn require_concurrently(server: &Server) -> Result<()> {
    if server.version_num < 120_000 {
        return Err(anyhow::anyhow!(
            "PostgreSQL {} has no REINDEX CONCURRENTLY (it came in 12): maint rebuilds indexes only without blocking writes",
            server.version
        )
        .context(Hint::new(
            "upgrade, or in a maintenance window: REINDEX INDEX name (blocks writes to its table)",
        )));
    }
    Ok(())
}

/// A leftover of an interrupted REINDEX CONCURRENTLY, by its name: the
/// new copy (`_ccnew`, `_ccnew1`...) or the old one (`_ccold`...), which
/// PostgreSQL's documentation says to drop.
fn is_leftover(name: &str) -> bool {
    ["_ccnew", "_ccold"].iter().any(|suffix| {
        name.rfind(suffix).is_some_and(|at| {
            name[at + suffix.len()..]
                .chars()
                .all(|c| c.is_ascii_digit())
        })
    })
}

/// The plan: leftovers dropped first, then invalid indexes, then the most
/// bloated; or, with `--index`, the named ones whatever their state. The
/// indexes of exclusion constraints are left out: PostgreSQL refuses to
/// rebuild them concurrently ("concurrent index creation for exclusion
/// constraints is not supported"), and a plain REINDEX blocks writes.
pub fn plan(client: &mut Client, server: &Server, settings: &Settings) -> Result<Plan> {
    let chosen = choose(client, server, settings)?;
    let target = &settings.target;
    let rows = client
        .query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), k.conname::text
               FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.contype = 'x'
              WHERE i.indisexclusion",
            &[],
        )
        .map_err(|err| query_error(&err, target, "reading exclusion constraints"))?;
    let exclusion: Vec<(String, Option<String>)> =
        rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    let mut plan = Plan::default();
    for item in chosen {
        let constraint = exclusion
            .iter()
            .find(|(index, _)| *index == item.index && item.action == Action::Reindex);
        match constraint {
            Some((_, name)) => plan.left.push(Left {
                why: format!(
                    "backs the exclusion constraint {}: REINDEX CONCURRENTLY cannot rebuild it (PostgreSQL refuses)",
                    name.as_deref().unwrap_or("(unnamed)")
                ),
                instead: format!("REINDEX INDEX {}", item.index),
                chosen: item.why,
                index: item.index,
                table: item.table,
            }),
            None => plan.items.push(item),
        }
    }
    Ok(plan)
}

fn choose(client: &mut Client, server: &Server, settings: &Settings) -> Result<Vec<Item>> {
    let target = &settings.target;
    let fail = |doing: &'static str| move |err: postgres::Error| query_error(&err, target, doing);
    let mut items = Vec::new();
    if !settings.indexes.is_empty() {
        for name in &settings.indexes {
            let row = client
                .query_opt(
                    "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                            t.oid::regclass::text, pg_relation_size(c.oid)
                       FROM pg_class c
                       JOIN pg_namespace n ON n.oid = c.relnamespace
                       JOIN pg_index i ON i.indexrelid = c.oid
                       JOIN pg_class t ON t.oid = i.indrelid
                      WHERE c.oid = to_regclass($1)",
                    &[name],
                )
                .map_err(fail("looking up --index"))?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--index {name:?}: no such index in database {:?}",
                        server.database
                    )
                    .context(Hint::new(format!("psql '{}' -c '\\di'", target.display)))
                })?;
            items.push(reindex(
                row.get(0),
                row.get(1),
                "named".to_owned(),
                row.get(2),
            ));
        }
        return Ok(items);
    }
    let invalid = pgstats::invalid_indexes(client, server.block_size)
        .map_err(fail("reading invalid indexes"))?;
    for index in invalid {
        let table = crate::probe::pgname::qualified(&index.schema, &index.table);
        let name = index.qualified.rsplit('.').next().unwrap_or_default();
        if is_leftover(name) {
            items.push(Item {
                sql: format!("DROP INDEX CONCURRENTLY IF EXISTS {}", index.qualified),
                index: index.qualified,
                table,
                action: Action::DropLeftover,
                why: "left by an interrupted REINDEX CONCURRENTLY".to_owned(),
                bytes: index.bytes,
            });
        } else {
            items.push(reindex(
                index.qualified,
                table,
                "invalid (written to, never used)".to_owned(),
                i64::try_from(index.bytes).unwrap_or(i64::MAX),
            ));
        }
    }
    items.sort_by_key(|item| item.action != Action::DropLeftover);
    let mut bloated: Vec<_> = pgcatalog::index_sizes(client)
        .map_err(fail("reading index sizes"))?
        .iter()
        .filter(|index| index.valid)
        .map(|index| dbreport::index_bloat(index, server.block_size))
        .filter(|e| e.reliability != Reliability::Unknown)
        .filter(|e| e.percent.is_some_and(|p| p >= settings.min_bloat))
        .collect();
    bloated.sort_by(|a, b| {
        b.percent
            .unwrap_or(0.0)
            .total_cmp(&a.percent.unwrap_or(0.0))
    });
    for estimate in bloated {
        items.push(reindex(
            estimate.index.qualified.clone(),
            estimate.index.table.clone(),
            format!(
                "about {} % free space ({} of {}, estimate, reliability {})",
                estimate.percent.unwrap_or(0.0),
                human_bytes(estimate.bytes.unwrap_or(0)),
                human_bytes(estimate.size),
                estimate.reliability.as_str()
            ),
            i64::try_from(estimate.size).unwrap_or(i64::MAX),
        ));
    }
    Ok(items)
}

fn reindex(index: String, table: String, why: String, bytes: i64) -> Item {
    Item {
        sql: format!("REINDEX INDEX CONCURRENTLY {index}"),
        index,
        table,
        action: Action::Reindex,
        why,
        bytes: bytes.max(0).unsigned_abs(),
    }
}

/// Free space where the indexes live, when the data directory is visible
/// from here (maint on the database host, with the right to read the
/// setting); None otherwise.
pub fn free_space(client: &mut Client) -> Option<u64> {
    let row = client
        .query_one("SELECT current_setting('data_directory', true)", &[])
        .ok()?;
    let dir: Option<String> = row.get(0);
    let dir = dir?;
    let path = Path::new(&dir);
    if !path.is_dir() {
        return None;
    }
    let usage = match crate::probe::isolated::helper_binary() {
        Some(helper) => {
            crate::probe::disk::usage_isolated(&helper, path, Duration::from_secs(5)).ok()
        }
        None => crate::probe::disk::usage(path).ok(),
    }?;
    Some(usage.available_bytes)
}

/// What a rebuild came to.
#[derive(Clone, Debug)]
pub struct Rebuilt {
    pub outcome: TableOutcome,
    pub elapsed: Duration,
    pub bytes_after: Option<u64>,
}

/// Runs one item's statement alone (never in a transaction block, as
/// CONCURRENTLY requires) and measures the index afterwards.
pub fn rebuild(session: &mut Session, item: &Item, signal: &Signal) -> Rebuilt {
    let clock = Instant::now();
    let doing = match item.action {
        Action::Reindex => "REINDEX",
        Action::DropLeftover => "DROP INDEX",
    };
    let outcome = match session.client.batch_execute(&item.sql) {
        Ok(()) => TableOutcome::Done,
        Err(err) => classify(&err, signal, doing),
    };
    let bytes_after = match (&outcome, item.action) {
        (TableOutcome::Done, Action::Reindex) => session
            .client
            .query_one(
                "SELECT pg_relation_size(to_regclass($1))::int8",
                &[&item.index],
            )
            .ok()
            .and_then(|row| row.get::<_, Option<i64>>(0))
            .map(|bytes| bytes.max(0).unsigned_abs()),
        _ => None,
    };
    Rebuilt {
        outcome,
        elapsed: clock.elapsed(),
        bytes_after,
    }
}

/// Drops the invalid copies a failed or interrupted rebuild of `index` left
/// (`INDEX_ccnew`, `INDEX_ccnew1`...); the names of those dropped.
pub fn drop_leftovers(client: &mut Client, index: &str, lock_timeout: Duration) -> Vec<String> {
    let (schema, name) = index.rsplit_once('.').unwrap_or(("public", index));
    let Ok(rows) = client.query(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relname::text
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE NOT i.indisvalid AND quote_ident(n.nspname) = $1
            AND starts_with(c.relname::text, $2)",
        &[&schema, &format!("{}_ccnew", name.trim_matches('"'))],
    ) else {
        return Vec::new();
    };
    let _ = client.batch_execute(&format!(
        "SET lock_timeout = '{}'",
        super::millis(lock_timeout)
    ));
    rows.into_iter()
        .filter(|row| is_leftover(row.get::<_, &str>(1)))
        .filter_map(|row| {
            let leftover: String = row.get(0);
            client
                .batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {leftover}"))
                .ok()
                .map(|()| leftover)
        })
        .collect()
}

/// A WARNING for each index left alone, with the statement to run instead.
fn left_checks(report: &mut Report, left: &[Left]) {
    for index in left {
        report.checks.push(
            Check::new(
                format!("reindex:{}", index.index),
                Status::Warning,
                format!("skipped ({}): {}", index.chosen, index.why),
            )
            .with_hint(format!(
                "in a maintenance window, as it blocks writes to {} while it runs: psql -c '{}'",
                index.table, index.instead
            )),
        );
    }
}

/// The plan, as a dry run shows it.
pub fn plan_report(report: &mut Report, plan: &Plan, free: Option<u64>) {
    let items = &plan.items;
    report.checks.push(
        Check::new(
            "plan",
            Status::Ok,
            format!(
                "dry run: {} indexes would be rebuilt or dropped, one at a time; {}; nothing was changed",
                items.len(),
                space_note(items, free)
            ),
        )
        .with_value(items.len() as f64, Unit::Count),
    );
    report.sections.push(Section {
        name: "plan".to_owned(),
        title: "Plan (in this order)".to_owned(),
        columns: vec![
            Column::new("index", "INDEX"),
            Column::new("table", "TABLE"),
            Column::new("reasons", "WHY"),
            Column::new("bytes", "SIZE"),
            Column::new("sql", "SQL"),
        ],
        rows: items
            .iter()
            .map(|item| {
                vec![
                    Cell::Text(item.index.clone()),
                    Cell::Text(item.table.clone()),
                    Cell::Text(item.why.clone()),
                    Cell::Bytes(item.bytes),
                    Cell::Text(item.sql.clone()),
                ]
            })
            .collect(),
    });
    left_checks(report, &plan.left);
}

/// A concurrent rebuild needs the index's size again while it runs: the
/// biggest one, since they run one at a time.
pub fn space_needed(items: &[Item]) -> u64 {
    items
        .iter()
        .filter(|item| item.action == Action::Reindex)
        .map(|item| item.bytes)
        .max()
        .unwrap_or(0)
}

fn space_note(items: &[Item], free: Option<u64>) -> String {
    let needed = space_needed(items);
    match free {
        Some(free) => format!(
            "the largest rebuild needs {} free, {} is",
            human_bytes(needed),
            human_bytes(free)
        ),
        None => format!(
            "the largest rebuild needs {} free (not checked: the data directory is not visible from here)",
            human_bytes(needed)
        ),
    }
}

/// What the run did, index by index; `dropped` are the leftovers of failed
/// rebuilds removed afterwards.
pub fn run_report(
    report: &mut Report,
    plan: &Plan,
    results: &[(usize, Rebuilt)],
    stop: Option<&str>,
    dropped: &[String],
) {
    let items = &plan.items;
    let mut rows = Vec::new();
    let (mut done, mut skipped, mut failed) = (0, plan.left.len(), 0);
    for (position, item) in items.iter().enumerate() {
        let result = results
            .iter()
            .find(|(at, _)| *at == position)
            .map(|(_, r)| r);
        let (word, status, detail) = match result.map(|r| &r.outcome) {
            Some(TableOutcome::Done) => {
                done += 1;
                ("done", Status::Ok, String::new())
            }
            Some(TableOutcome::Skipped(why)) => {
                skipped += 1;
                ("skipped", Status::Warning, why.clone())
            }
            Some(
                outcome
                @ (TableOutcome::Failed(_) | TableOutcome::Lost(_) | TableOutcome::TimedOut),
            ) => {
                failed += 1;
                let why = match outcome {
                    TableOutcome::Failed(why) | TableOutcome::Lost(why) => why.clone(),
                    _ => "statement_timeout (--statement-timeout) reached".to_owned(),
                };
                (outcome.word(), Status::Critical, why)
            }
            Some(TableOutcome::Cancelled) => {
                failed += 1;
                (
                    "cancelled",
                    Status::Critical,
                    format!("cancelled on the server: {}", stop.unwrap_or("stopped")),
                )
            }
            None => {
                skipped += 1;
                (
                    "not done",
                    Status::Warning,
                    stop.unwrap_or("not started").to_owned(),
                )
            }
        };
        rows.push(vec![
            Cell::Text(item.index.clone()),
            Cell::Text(word.to_owned()),
            result.map_or(Cell::Empty, |r| Cell::Duration(r.elapsed)),
            Cell::Bytes(item.bytes),
            result
                .and_then(|r| r.bytes_after)
                .map_or(Cell::Empty, Cell::Bytes),
            Cell::Text(if detail.is_empty() {
                item.why.clone()
            } else {
                detail
            }),
        ]);
        if status != Status::Ok {
            report.checks.push(
                Check::new(
                    format!("reindex:{}", item.index),
                    status,
                    format!(
                        "{word}: {}",
                        rows.last().map_or(String::new(), |row| match &row[5] {
                            Cell::Text(text) => text.clone(),
                            _ => String::new(),
                        })
                    ),
                )
                .with_hint(format!(
                    "maint db reindex --index {}",
                    crate::shell::word(&item.index)
                )),
            );
        }
    }
    left_checks(report, &plan.left);
    let mut summary = format!(
        "{done} of {} indexes rebuilt or dropped",
        items.len() + plan.left.len()
    );
    if skipped > 0 {
        summary.push_str(&format!(", {skipped} skipped"));
    }
    if failed > 0 {
        summary.push_str(&format!(", {failed} failed"));
    }
    if !dropped.is_empty() {
        summary.push_str(&format!(
            "; dropped what failed rebuilds left: {}",
            dropped.join(", ")
        ));
    }
    if let Some(stop) = stop {
        summary.push_str(&format!("; stopped: {stop}"));
    }
    // Stopped (Ctrl-C, a lost connection): the run failed, whatever it finished.
    let status = if stop.is_some() {
        Status::Critical
    } else {
        Status::Ok
    };
    report.checks.insert(
        0,
        Check::new("reindex", status, summary).with_value(f64::from(done), Unit::Count),
    );
    report.sections.push(Section {
        name: "indexes".to_owned(),
        title: "Indexes".to_owned(),
        columns: vec![
            Column::new("index", "INDEX"),
            Column::new("result", "RESULT"),
            Column::new("duration_seconds", "TOOK"),
            Column::new("bytes_before", "BEFORE"),
            Column::new("bytes_after", "AFTER"),
            Column::new("reasons", "WHY"),
        ],
        rows,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_known_by_their_suffix() {
        assert!(is_leftover("orders_pkey_ccnew"));
        assert!(is_leftover("orders_pkey_ccnew2"));
        assert!(is_leftover("orders_pkey_ccold"));
        assert!(!is_leftover("orders_pkey"));
        assert!(!is_leftover("orders_ccnew_total"));
    }
}
