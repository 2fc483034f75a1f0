//! One VACUUM or ANALYZE statement on one table, as `db vacuum` and
//! `db prune --vacuum` run it: the statement and the lock it takes, dead
//! tuples and size measured before and after, and what the server said
//! (skipped, failed, cancelled, timed out, connection lost) sorted out.

use std::time::{Duration, Instant};

use postgres::Client;
use postgres::error::{DbError, SqlState};

use super::runner::Signal;
use crate::probe::pgstats::Server;
use crate::probe::postgres::Session;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Vacuum,
    AnalyzeOnly,
    Full,
}

/// The statement for a table and the lock it takes.
pub fn statement(mode: Mode, table: &str, server: &Server) -> (String, &'static str) {
    // PostgreSQL 16+: skip the pg_database update per table (as vacuumdb
    // does) and do it once at the end.
    let skip_db_stats = if server.version_num >= 160_000 {
        ", SKIP_DATABASE_STATS"
    } else {
        ""
    };
    match mode {
        Mode::Vacuum => (
            format!("VACUUM (ANALYZE, SKIP_LOCKED{skip_db_stats}) {table}"),
            "SHARE UPDATE EXCLUSIVE (reads and writes go on)",
        ),
        Mode::AnalyzeOnly => (
            format!("ANALYZE (SKIP_LOCKED) {table}"),
            "SHARE UPDATE EXCLUSIVE (reads and writes go on)",
        ),
        Mode::Full => (
            format!("VACUUM (FULL, ANALYZE, SKIP_LOCKED{skip_db_stats}) {table}"),
            "ACCESS EXCLUSIVE (no reads or writes until it is done)",
        ),
    }
}

pub fn verb(mode: Mode) -> &'static str {
    match mode {
        Mode::Vacuum => "VACUUM",
        Mode::AnalyzeOnly => "ANALYZE",
        Mode::Full => "VACUUM FULL",
    }
}

/// Dead tuples and size of a table at one moment.
#[derive(Clone, Copy, Debug)]
pub struct Measure {
    pub dead_tuples: i64,
    pub bytes: u64,
}

/// What happened to one table.
#[derive(Clone, Debug)]
pub enum TableOutcome {
    Done,
    /// The server skipped it (locked, not ours): its notice or error says why.
    Skipped(String),
    Failed(String),
    /// Our statement_timeout (or --statement-timeout) ended it.
    TimedOut,
    /// Cancelled by the stop path (Ctrl-C, --max-duration, an error elsewhere).
    Cancelled,
    /// The connection broke: the run stops.
    Lost(String),
}

impl TableOutcome {
    pub fn word(&self) -> &'static str {
        match self {
            TableOutcome::Done => "done",
            TableOutcome::Skipped(_) => "skipped",
            TableOutcome::Failed(_) | TableOutcome::Lost(_) => "failed",
            TableOutcome::TimedOut => "timed out",
            TableOutcome::Cancelled => "cancelled",
        }
    }
}

#[derive(Clone, Debug)]
pub struct TableResult {
    pub outcome: TableOutcome,
    pub elapsed: Duration,
    pub before: Option<Measure>,
    pub after: Option<Measure>,
}

fn measure(client: &mut Client, oid: u32) -> Result<Option<Measure>, postgres::Error> {
    let row = client.query_one(
        "SELECT pg_stat_get_dead_tuples($1), pg_total_relation_size($1::oid::regclass)",
        &[&oid],
    )?;
    // A table dropped since the plan has no size.
    Ok(row.get::<_, Option<i64>>(1).map(|bytes| Measure {
        dead_tuples: row.get(0),
        bytes: bytes.max(0) as u64,
    }))
}

/// Runs one table's statement alone and reads what the server said about it.
pub fn vacuum_one(session: &mut Session, oid: u32, sql: &str, signal: &Signal) -> TableResult {
    let clock = Instant::now();
    let finish = |outcome, before, after| TableResult {
        outcome,
        elapsed: clock.elapsed(),
        before,
        after,
    };
    let before = match measure(&mut session.client, oid) {
        Ok(Some(before)) => before,
        Ok(None) => {
            return finish(
                TableOutcome::Skipped("dropped since the plan was made".to_owned()),
                None,
                None,
            );
        }
        Err(err) => return finish(classify(&err, signal, "measuring"), None, None),
    };
    if signal.stopping() {
        return finish(TableOutcome::Cancelled, Some(before), None);
    }
    session.take_notices();
    let result = session.client.batch_execute(sql);
    let notices = session.take_notices();
    let outcome = match result {
        Err(err) => classify(&err, signal, verb_of(sql)),
        Ok(()) => notices
            .iter()
            .find_map(skip_notice)
            .map_or(TableOutcome::Done, TableOutcome::Skipped),
    };
    let after = match outcome {
        TableOutcome::Lost(_) | TableOutcome::Cancelled => None,
        _ => measure(&mut session.client, oid).ok().flatten(),
    };
    finish(outcome, Some(before), after)
}

fn verb_of(sql: &str) -> &'static str {
    if sql.starts_with("ANALYZE") {
        "ANALYZE"
    } else {
        "VACUUM"
    }
}

/// A WARNING notice by which the server says it skipped the table.
fn skip_notice(notice: &DbError) -> Option<String> {
    let message = notice.message();
    let code = notice.code();
    if *code == SqlState::LOCK_NOT_AVAILABLE || message.contains("lock not available") {
        Some("locked by another session (SKIP_LOCKED)".to_owned())
    } else if *code == SqlState::INSUFFICIENT_PRIVILEGE
        || message.contains("only table or database owner")
        || message.contains("permission denied")
    {
        Some(format!("not ours to vacuum: {message}"))
    } else if message.starts_with("skipping") {
        Some(message.to_owned())
    } else {
        None
    }
}

pub(super) fn classify(err: &postgres::Error, signal: &Signal, doing: &str) -> TableOutcome {
    let Some(db) = err.as_db_error() else {
        return TableOutcome::Lost(format!("connection lost while {doing}: {err}"));
    };
    let code = db.code();
    if *code == SqlState::QUERY_CANCELED {
        if signal.stopping() {
            TableOutcome::Cancelled
        } else {
            TableOutcome::TimedOut
        }
    } else if *code == SqlState::LOCK_NOT_AVAILABLE {
        TableOutcome::Skipped(format!("locked by another session: {}", db.message()))
    } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
        TableOutcome::Skipped(format!("not ours: {}", db.message()))
    } else if *code == SqlState::UNDEFINED_TABLE {
        TableOutcome::Skipped("dropped since the plan was made".to_owned())
    } else if code.code().starts_with("57P") || code.code().starts_with("08") {
        TableOutcome::Lost(format!("{doing}: {}", db.message()))
    } else {
        TableOutcome::Failed(format!("{doing}: {}", db.message()))
    }
}
