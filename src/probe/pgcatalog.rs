//! What `maint db report` reads beyond the vacuum statistics (`pgstats`):
//! sessions blocked on locks and who blocks them, sequences and how much of
//! their range is used, the WAL archiver, how far each standby is behind,
//! and an estimate of each B-tree index's bloat. Each is one catalog query
//! that takes no relation lock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::Client;

use super::pgname::qualified;
use super::pgstats::epoch_time;

/// Characters of a query kept: enough to recognise it.
const QUERY_CHARS: i32 = 300;
/// Indexes smaller than this are not estimated: their bloat costs nothing.
pub const INDEX_FLOOR_PAGES: i64 = 128;

/// A session waiting for a lock, and one session it waits for.
#[derive(Clone, Debug, PartialEq)]
pub struct Blocked {
    pub pid: i32,
    pub user: String,
    /// How long it has waited: since the lock wait began (PostgreSQL 14+),
    /// else since its statement began.
    pub waiting: Duration,
    pub query: String,
    pub blocker_pid: i32,
    pub blocker_user: String,
    /// `idle in transaction`, `active`, ...
    pub blocker_state: String,
    pub blocker_query: String,
    /// Age of the blocker's transaction.
    pub blocker_transaction: Option<Duration>,
}

/// Sessions blocked on a lock (`pg_blocking_pids`), longest waiting first.
pub fn blocked_sessions(
    client: &mut Client,
    version_num: i32,
) -> Result<Vec<Blocked>, postgres::Error> {
    let since = if version_num >= 140_000 {
        "coalesce((SELECT min(l.waitstart) FROM pg_locks l WHERE l.pid = w.pid AND NOT l.granted), w.query_start)"
    } else {
        "w.query_start"
    };
    let sql = format!(
        "SELECT w.pid, coalesce(w.usename::text, ''),
                coalesce(extract(epoch FROM now() - {since}), 0)::float8,
                left(coalesce(w.query, ''), {QUERY_CHARS}),
                b.pid, coalesce(b.usename::text, ''), coalesce(b.state, ''),
                left(coalesce(b.query, ''), {QUERY_CHARS}),
                extract(epoch FROM now() - b.xact_start)::float8
           FROM pg_stat_activity w
          CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid)
           JOIN pg_stat_activity b ON b.pid = blocker.pid
          WHERE w.wait_event_type = 'Lock'
          ORDER BY 3 DESC, 1, 5
          LIMIT 50"
    );
    Ok(client
        .query(&sql, &[])?
        .into_iter()
        .map(|row| Blocked {
            pid: row.get(0),
            user: row.get(1),
            waiting: seconds(row.get(2)),
            query: row.get(3),
            blocker_pid: row.get(4),
            blocker_user: row.get(5),
            blocker_state: row.get(6),
            blocker_query: row.get(7),
            blocker_transaction: row.get::<_, Option<f64>>(8).map(seconds),
        })
        .collect())
}

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value.max(0.0)).unwrap_or_default()
}

/// A sequence that has been used, with the range of the column it feeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequence {
    pub qualified: String,
    /// The sequence's own type: `smallint`, `integer`, `bigint`.
    pub data_type: String,
    pub last_value: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub increment: i64,
    pub cycle: bool,
    /// `table.column` it is owned by (serial, identity), and that column's type.
    pub column: Option<String>,
    pub column_type: Option<String>,
}

/// Sequences with a value (`pg_sequences`, PostgreSQL 10+; one the user may
/// not read has none), with the column each feeds.
pub fn sequences(client: &mut Client) -> Result<Vec<Sequence>, postgres::Error> {
    let rows = client.query(
        "SELECT s.schemaname::text, s.sequencename::text, s.data_type::text,
                s.last_value, s.min_value, s.max_value, s.increment_by, s.cycle,
                owner.col, owner.kind
           FROM pg_sequences s
           JOIN pg_namespace n ON n.nspname = s.schemaname
           JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
           LEFT JOIN LATERAL (
                SELECT quote_ident(tc.relname) || '.' || quote_ident(a.attname) AS col,
                       format_type(a.atttypid, NULL) AS kind
                  FROM pg_depend d
                  JOIN pg_class tc ON tc.oid = d.refobjid
                  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                 LIMIT 1) owner ON true
          WHERE s.last_value IS NOT NULL
          ORDER BY 1, 2",
        &[],
    )?;
    Ok(rows
        .into_iter()
        .map(|row| Sequence {
            qualified: qualified(row.get(0), row.get(1)),
            data_type: row.get(2),
            last_value: row.get(3),
            min_value: row.get(4),
            max_value: row.get(5),
            increment: row.get(6),
            cycle: row.get(7),
            column: row.get(8),
            column_type: row.get(9),
        })
        .collect())
}

/// `pg_stat_archiver` and whether archiving is on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Archiver {
    /// `archive_mode`: `off`, `on`, `always`.
    pub mode: String,
    pub archived: i64,
    pub last_archived: Option<DateTime<Utc>>,
    pub last_archived_wal: Option<String>,
    pub failed: i64,
    pub last_failed: Option<DateTime<Utc>>,
    pub last_failed_wal: Option<String>,
}

pub fn archiver(client: &mut Client) -> Result<Archiver, postgres::Error> {
    let row = client.query_one(
        "SELECT current_setting('archive_mode'), archived_count,
                extract(epoch FROM last_archived_time)::float8, last_archived_wal,
                failed_count, extract(epoch FROM last_failed_time)::float8, last_failed_wal
           FROM pg_stat_archiver",
        &[],
    )?;
    let time = |i: usize| row.get::<_, Option<f64>>(i).and_then(epoch_time);
    Ok(Archiver {
        mode: row.get(0),
        archived: row.get(1),
        last_archived: time(2),
        last_archived_wal: row.get(3),
        failed: row.get(4),
        last_failed: time(5),
        last_failed_wal: row.get(6),
    })
}

/// A standby streaming from this primary, as `pg_stat_replication` sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Streaming {
    /// `application_name` (the standby's `cluster_name` or walreceiver).
    pub name: String,
    pub client: String,
    pub state: String,
    /// Time to replay what the primary wrote (`replay_lag`); None when it
    /// has caught up and nothing new came (PostgreSQL clears it then).
    pub replay_lag: Option<Duration>,
    /// WAL written here and not yet replayed there.
    pub behind_bytes: Option<i64>,
}

pub fn streaming(client: &mut Client) -> Result<Vec<Streaming>, postgres::Error> {
    Ok(client
        .query(
            "SELECT coalesce(application_name, ''), coalesce(client_addr::text, 'local'),
                    coalesce(state, ''), extract(epoch FROM replay_lag)::float8,
                    pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::int8
               FROM pg_stat_replication
              ORDER BY 1, 2",
            &[],
        )?
        .into_iter()
        .map(|row| Streaming {
            name: row.get(0),
            client: row.get(1),
            state: row.get(2),
            replay_lag: row.get::<_, Option<f64>>(3).map(seconds),
            behind_bytes: row.get(4),
        })
        .collect())
}

/// A B-tree index of [`INDEX_FLOOR_PAGES`] pages or more, with what its
/// size would be if packed as a fresh build packs it.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexSize {
    pub qualified: String,
    pub table: String,
    pub pages: i64,
    pub tuples: f64,
    /// Average width of its key columns from `pg_stats`; None when a key
    /// column has no statistics (never analyzed, or an expression).
    pub key_width: Option<f64>,
    pub fillfactor: f64,
    pub expression: bool,
    pub partial: bool,
    pub valid: bool,
}

/// B-tree indexes of user tables of [`INDEX_FLOOR_PAGES`] pages or more.
pub fn index_sizes(client: &mut Client) -> Result<Vec<IndexSize>, postgres::Error> {
    let sql = format!(
        "SELECT n.nspname::text, c.relname::text, tn.nspname::text, t.relname::text,
                c.relpages::int8, c.reltuples::float8,
                (SELECT CASE WHEN count(*) FILTER (WHERE s.avg_width IS NULL) > 0 THEN NULL
                             ELSE sum(s.avg_width * (1 - s.null_frac))::float8 END
                   FROM unnest(i.indkey::int2[]) AS k(attnum)
                   LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   LEFT JOIN pg_stats s ON s.schemaname = tn.nspname AND s.tablename = t.relname
                                       AND s.attname = a.attname
                  WHERE k.attnum <> 0),
                coalesce((SELECT substring(o FROM 'fillfactor=([0-9]+)')::float8
                            FROM unnest(c.reloptions) AS o WHERE o LIKE 'fillfactor=%'), 90),
                i.indexprs IS NOT NULL, i.indpred IS NOT NULL, i.indisvalid
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
           JOIN pg_am am ON am.oid = c.relam AND am.amname = 'btree'
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_class t ON t.oid = i.indrelid
           JOIN pg_namespace tn ON tn.oid = t.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_toast%'
            AND c.relpages >= {INDEX_FLOOR_PAGES}
          ORDER BY c.relpages DESC"
    );
    let rows = client.query(&sql, &[])?;
    Ok(rows
        .into_iter()
        .map(|row| IndexSize {
            qualified: qualified(row.get(0), row.get(1)),
            table: qualified(row.get(2), row.get(3)),
            pages: row.get(4),
            tuples: row.get(5),
            key_width: row.get(6),
            fillfactor: row.get(7),
            expression: row.get(8),
            partial: row.get(9),
            valid: row.get(10),
        })
        .collect())
}
