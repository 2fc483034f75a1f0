//! The library half of `maint db prune`: what the column to prune by is
//! (a timestamp or date, indexed or not), and the batches of DELETE, each
//! in its own short transaction under a lock timeout, retried when the lock
//! wait gives up and stopped through the runner's cancel path.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use anyhow::Result;
use postgres::error::SqlState;

use super::runner::{Signal, Step};
use super::{NamedTable, query_error};
use crate::checks::Notes;
use crate::error::Hint;
use crate::probe::pgstats;
use crate::probe::postgres::{Session, Target};
use crate::units::human_duration;

/// A batch that waited too long for its lock is tried again this often.
const LOCK_RETRIES: u32 = 3;

/// What prune found about the column before deleting anything.
pub struct ColumnInfo {
    pub quoted: String,
    pub type_name: String,
    pub indexed: bool,
}

pub fn column_info(
    client: &mut postgres::Client,
    target: &Target,
    table: &NamedTable,
    column: &str,
) -> Result<ColumnInfo> {
    // `"CreatedAt"` as in SQL, or the plain name as stored.
    let name = column
        .strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .map_or_else(|| column.to_owned(), |c| c.replace("\"\"", "\""));
    let row = client
        .query_opt(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
                    a.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype),
                    EXISTS (SELECT 1 FROM pg_index i
                             WHERE i.indrelid = a.attrelid AND i.indkey[0] = a.attnum
                               AND i.indisvalid AND i.indpred IS NULL)
               FROM pg_attribute a
              WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
            &[&table.oid, &name],
        )
        .map_err(|err| query_error(&err, target, "looking up --column"))?;
    let Some(row) = row else {
        return Err(anyhow::anyhow!(
            "--column {column:?}: {} has no such column",
            table.qualified
        )
        .context(Hint::new(format!(
            "psql '{}' -c '\\d {}' lists its columns",
            target.display, table.qualified
        ))));
    };
    let type_name: String = row.get(1);
    if !row.get::<_, bool>(2) {
        return Err(anyhow::anyhow!(
            "--column {column:?} of {} is {type_name}, not a timestamp or date",
            table.qualified
        )
        .context(Hint::new(
            "name the column that holds when the row was written",
        )));
    }
    Ok(ColumnInfo {
        quoted: crate::probe::pgname::quote_ident(row.get(0)),
        type_name,
        indexed: row.get(3),
    })
}

#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub deleted: u64,
    pub batches: u64,
    pub error: Option<String>,
    /// Who held the table when a lock wait gave up for the last time.
    pub blocker: Option<pgstats::LockHolder>,
}

/// A failed statement's message; for a lock that was never granted, after
/// how many tries and who holds the table.
fn lock_failure(
    session: &mut Session,
    err: &postgres::Error,
    oid: u32,
    progress: &mut Progress,
) -> String {
    let message = db_message(err);
    if err.code() != Some(&SqlState::LOCK_NOT_AVAILABLE) {
        return message;
    }
    let tries = LOCK_RETRIES + 1;
    match pgstats::lock_holder(&mut session.client, oid) {
        Ok(Some(holder)) => {
            let text = format!(
                "{message} ({tries} tries): the table is locked by {}",
                holder.describe()
            );
            progress.blocker = Some(holder);
            text
        }
        // Released meanwhile, or row locks of a session that has ended.
        _ => format!("{message} ({tries} tries)"),
    }
}

/// Deletes with `sql` (a prepared DELETE of one batch older than `cutoff`)
/// until no row is left, the run stops or a statement fails; `tally`
/// follows the progress for whoever reports it.
pub fn delete_batches(
    session: &mut Session,
    sql: &str,
    cutoff: &str,
    oid: u32,
    signal: &Signal,
    notes: Notes,
    tally: &Mutex<Progress>,
) -> Step<Progress> {
    let mut progress = Progress::default();
    // Preparing takes the table's lock too (parse analysis opens it), so
    // it waits, and is retried, like a batch.
    let mut tries = 0;
    let statement = loop {
        match session.client.prepare(sql) {
            Ok(statement) => break statement,
            Err(err)
                if err.code() == Some(&SqlState::LOCK_NOT_AVAILABLE)
                    && tries < LOCK_RETRIES
                    && !signal.stopping() =>
            {
                tries += 1;
            }
            Err(err) if err.code() == Some(&SqlState::QUERY_CANCELED) && signal.stopping() => {
                return Step::Done(progress);
            }
            Err(err) => {
                if err.as_db_error().is_none() {
                    let message = db_message(&err);
                    return Step::Fatal(progress, format!("connection lost: {message}"));
                }
                let message = lock_failure(session, &err, oid, &mut progress);
                progress.error = Some(format!("preparing the DELETE: {message}"));
                return Step::Done(progress);
            }
        }
    };
    let mut lock_waits = 0;
    let batch_clock = Instant::now();
    while !signal.stopping() {
        match session.client.execute(&statement, &[&cutoff]) {
            Ok(0) => break,
            Ok(rows) => {
                progress.deleted += rows;
                progress.batches += 1;
                lock_waits = 0;
                *tally.lock().unwrap_or_else(PoisonError::into_inner) = progress.clone();
                notes.note(|| {
                    format!(
                        "batch {}: {rows} rows ({} so far, {})",
                        progress.batches,
                        progress.deleted,
                        human_duration(batch_clock.elapsed())
                    )
                });
            }
            Err(err)
                if err.code() == Some(&SqlState::LOCK_NOT_AVAILABLE)
                    && lock_waits < LOCK_RETRIES =>
            {
                lock_waits += 1;
            }
            Err(err) if err.code() == Some(&SqlState::QUERY_CANCELED) && signal.stopping() => break,
            Err(err) => {
                if err.as_db_error().is_none() {
                    let message = db_message(&err);
                    return Step::Fatal(progress, format!("connection lost: {message}"));
                }
                let message = lock_failure(session, &err, oid, &mut progress);
                progress.error = Some(format!("batch {} failed: {message}", progress.batches + 1));
                break;
            }
        }
    }
    Step::Done(progress)
}

fn db_message(err: &postgres::Error) -> String {
    err.as_db_error()
        .map_or_else(|| err.to_string(), |db| db.message().to_owned())
}
