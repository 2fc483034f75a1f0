//! What PostgreSQL's catalogs and statistics say about vacuuming: every
//! table's size, dead tuples, vacuum and analyze times and transaction-id
//! age in ONE catalog query (no per-table round trips, no relation locks,
//! so 10,000 tables cost milliseconds and a table locked by a migration
//! cannot stall it), what holds back cleanup, unused and invalid indexes,
//! and slow statements. Which tables need a VACUUM, and in which order, is
//! judged from this data in `judge::vacuum`.
//!
//! `maint db report`, `maint db vacuum` and `maint diagnose` share this.

use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::Client;

/// Server-wide settings the selection rules need, read in one query.
#[derive(Clone, Debug)]
pub struct Server {
    pub version_num: i32,
    pub version: String,
    pub database: String,
    pub user: String,
    pub superuser: bool,
    pub in_recovery: bool,
    pub block_size: i64,
    pub autovacuum: bool,
    pub defaults: AutovacuumSettings,
    pub vacuum_freeze_table_age: i64,
    pub vacuum_multixact_freeze_table_age: i64,
    /// When this database's statistics were last reset; None if never.
    pub stats_reset: Option<DateTime<Utc>>,
    /// age(datfrozenxid) of this database.
    pub database_xid_age: i64,
    /// pg_database_size of this database: its files on disk, indexes and TOAST included.
    pub database_bytes: i64,
}

/// The autovacuum thresholds that apply to a table: the server's, or the
/// table's own storage parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AutovacuumSettings {
    pub enabled: bool,
    pub vacuum_threshold: f64,
    pub vacuum_scale_factor: f64,
    /// Negative: insert-triggered vacuums are off (PostgreSQL 13+ only).
    pub insert_threshold: f64,
    pub insert_scale_factor: f64,
    pub analyze_threshold: f64,
    pub analyze_scale_factor: f64,
    pub freeze_max_age: f64,
    pub multixact_freeze_max_age: f64,
}

pub fn server(client: &mut Client) -> Result<Server, postgres::Error> {
    let row = client.query_one(
        "SELECT current_setting('server_version_num')::int4,
                current_setting('server_version'),
                current_database()::text,
                current_user::text,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                pg_is_in_recovery(),
                current_setting('block_size')::int8,
                current_setting('autovacuum')::bool,
                current_setting('autovacuum_vacuum_threshold')::float8,
                current_setting('autovacuum_vacuum_scale_factor')::float8,
                coalesce(current_setting('autovacuum_vacuum_insert_threshold', true), '-1')::float8,
                coalesce(current_setting('autovacuum_vacuum_insert_scale_factor', true), '0')::float8,
                current_setting('autovacuum_analyze_threshold')::float8,
                current_setting('autovacuum_analyze_scale_factor')::float8,
                current_setting('autovacuum_freeze_max_age')::float8,
                current_setting('autovacuum_multixact_freeze_max_age')::float8,
                current_setting('vacuum_freeze_table_age')::int8,
                current_setting('vacuum_multixact_freeze_table_age')::int8,
                (SELECT extract(epoch FROM stats_reset)::float8 FROM pg_stat_database
                  WHERE datname = current_database()),
                (SELECT age(datfrozenxid)::int8 FROM pg_database WHERE datname = current_database()),
                pg_database_size(current_database())",
        &[],
    )?;
    let autovacuum: bool = row.get(7);
    let defaults = AutovacuumSettings {
        enabled: autovacuum,
        vacuum_threshold: row.get(8),
        vacuum_scale_factor: row.get(9),
        insert_threshold: row.get(10),
        insert_scale_factor: row.get(11),
        analyze_threshold: row.get(12),
        analyze_scale_factor: row.get(13),
        freeze_max_age: row.get(14),
        multixact_freeze_max_age: row.get(15),
    };
    let freeze_max = defaults.freeze_max_age as i64;
    let mxid_freeze_max = defaults.multixact_freeze_max_age as i64;
    Ok(Server {
        version_num: row.get(0),
        version: row.get(1),
        database: row.get(2),
        user: row.get(3),
        superuser: row.get::<_, Option<bool>>(4).unwrap_or(false),
        in_recovery: row.get(5),
        block_size: row.get(6),
        autovacuum,
        defaults,
        // PostgreSQL caps these at 95 % of the autovacuum limits.
        vacuum_freeze_table_age: row.get::<_, i64>(16).min(freeze_max * 95 / 100),
        vacuum_multixact_freeze_table_age: row.get::<_, i64>(17).min(mxid_freeze_max * 95 / 100),
        stats_reset: row.get::<_, Option<f64>>(18).and_then(epoch_time),
        database_xid_age: row.get::<_, Option<i64>>(19).unwrap_or(0),
        database_bytes: row.get(20),
    })
}

/// What a standby knows of its replication: where it streams from and how
/// far replay has come. Statistics such as dead tuples are each server's own,
/// so a standby's say nothing of its primary's.
#[derive(Clone, Debug, Default)]
pub struct Standby {
    /// Host (or socket folder) and port of the primary it streams from
    /// (pg_stat_wal_receiver; hidden from roles without pg_read_all_stats).
    pub primary_host: Option<String>,
    pub primary_port: Option<i32>,
    /// The WAL receiver's state (`streaming`, `catchup`, ...); None when no
    /// receiver runs (restoring from an archive, or cut off).
    pub receiver: Option<String>,
    /// WAL received but not yet replayed.
    pub replay_behind_bytes: Option<i64>,
    /// Commit time (on the primary) of the last transaction replayed.
    pub last_replay: Option<DateTime<Utc>>,
}

pub fn standby(client: &mut Client) -> Result<Standby, postgres::Error> {
    let row = client.query_one(
        "SELECT (SELECT status FROM pg_stat_wal_receiver),
                (SELECT sender_host FROM pg_stat_wal_receiver),
                (SELECT sender_port FROM pg_stat_wal_receiver),
                pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::int8,
                extract(epoch FROM pg_last_xact_replay_timestamp())::float8",
        &[],
    )?;
    Ok(Standby {
        receiver: row.get(0),
        primary_host: row.get(1),
        primary_port: row.get(2),
        replay_behind_bytes: row.get(3),
        last_replay: row.get::<_, Option<f64>>(4).and_then(epoch_time),
    })
}

impl Standby {
    /// Where the primary is, for people: `db1:5432`, `[::1]:5432`, or a socket folder.
    pub fn primary(&self) -> Option<String> {
        let host = self.primary_host.as_deref()?;
        let port = self.primary_port.unwrap_or(5432);
        Some(if host.starts_with('/') {
            format!("{host} (port {port})")
        } else if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        })
    }

    /// A URL of the primary for `user` and `database`, without any password
    /// (PGPASSWORD or ~/.pgpass supply it, as for the standby).
    pub fn primary_url(&self, user: &str, database: &str) -> Option<String> {
        let host = self.primary_host.as_deref()?;
        let port = self.primary_port.unwrap_or(5432);
        Some(if host.starts_with('/') {
            format!("postgres://{user}@/{database}?host={host}&port={port}")
        } else if host.contains(':') {
            format!("postgres://{user}@[{host}]:{port}/{database}")
        } else {
            format!("postgres://{user}@{host}:{port}/{database}")
        })
    }
}

/// A replication slot on a primary, and the WAL it keeps on disk.
#[derive(Clone, Debug)]
pub struct Slot {
    pub name: String,
    /// `physical` or `logical`.
    pub kind: String,
    pub active: bool,
    pub database: Option<String>,
    /// WAL from the slot's restart point to now: what the server may not remove.
    pub retained_bytes: Option<i64>,
    /// PostgreSQL 13+: `reserved`, `extended`, `unreserved` or `lost`.
    pub wal_status: Option<String>,
}

/// Every replication slot, the most WAL kept first (a primary only: a
/// standby's `pg_current_wal_lsn()` fails in recovery).
pub fn slots(client: &mut Client, server: &Server) -> Result<Vec<Slot>, postgres::Error> {
    let wal_status = if server.version_num >= 130_000 {
        "wal_status"
    } else {
        "NULL::text"
    };
    let sql = format!(
        "SELECT slot_name::text, slot_type, active, database::text,
                pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8, {wal_status}
           FROM pg_replication_slots
          ORDER BY 5 DESC NULLS LAST, 1"
    );
    Ok(client
        .query(&sql, &[])?
        .into_iter()
        .map(|row| Slot {
            name: row.get(0),
            kind: row.get(1),
            active: row.get(2),
            database: row.get(3),
            retained_bytes: row.get(4),
            wal_status: row.get(5),
        })
        .collect())
}

/// Standbys streaming from this server now (pg_stat_replication).
pub fn replicas(client: &mut Client) -> Result<i64, postgres::Error> {
    Ok(client
        .query_one("SELECT count(*) FROM pg_stat_replication", &[])?
        .get(0))
}

pub(super) fn epoch_time(seconds: f64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis((seconds * 1000.0).round() as i64)
}

/// One table (or materialized view) as the catalogs and statistics see it.
#[derive(Clone, Debug)]
pub struct Table {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    /// `schema.name`, each part quoted only when it must be: safe to paste into SQL.
    pub qualified: String,
    pub materialized: bool,
    pub heap_pages: i64,
    /// The planner's row estimate; negative when never vacuumed or analyzed.
    pub reltuples: f64,
    pub toast_pages: i64,
    pub index_pages: i64,
    pub index_count: i64,
    pub live_tuples: i64,
    pub dead_tuples: i64,
    pub modified_since_analyze: i64,
    pub inserted_since_vacuum: i64,
    pub last_vacuum: Option<DateTime<Utc>>,
    pub last_autovacuum: Option<DateTime<Utc>>,
    pub last_analyze: Option<DateTime<Utc>>,
    pub last_autoanalyze: Option<DateTime<Utc>>,
    pub xid_age: i64,
    pub mxid_age: i64,
    pub settings: AutovacuumSettings,
    /// The current role may VACUUM it (owner, member of the owner, or superuser).
    pub owned: bool,
    /// Sum of the columns' average widths from pg_stats, when every column has statistics.
    pub row_width: Option<f64>,
    pub fillfactor: f64,
}

/// Every table of the current database in one query: catalogs and
/// statistics functions only, no relation locks (so no waiting behind an
/// ACCESS EXCLUSIVE lock), sizes from `relpages` as of the last
/// VACUUM/ANALYZE. `with_widths` adds the per-column widths from pg_stats
/// that the bloat estimate needs (slower; the report wants it, the vacuum
/// plan does not).
pub fn tables(
    client: &mut Client,
    server: &Server,
    with_widths: bool,
) -> Result<Vec<Table>, postgres::Error> {
    let ins_since_vacuum = if server.version_num >= 130_000 {
        "pg_stat_get_ins_since_vacuum(c.oid)"
    } else {
        "0::int8"
    };
    // A table's row width is the sum of its columns' average widths, when
    // ANALYZE measured every column. Read per table from the pg_stats view,
    // this was 0.6 s of `db report` on 10,000 tables (the view checks each
    // column's privilege); it is read in one aggregate, from pg_statistic
    // itself where maint may (a superuser; dropping a column drops its
    // statistics, so what is there is the live columns'), and the columns
    // are counted only for tables that may have dropped ones.
    let (widths, widths_join) = if with_widths {
        let join = if server.superuser {
            "LEFT JOIN (SELECT starelid, count(*) AS columns, sum(stawidth)::float8 AS width
                          FROM pg_statistic WHERE NOT stainherit GROUP BY starelid) w
                   ON w.starelid = c.oid"
        } else {
            "LEFT JOIN (SELECT schemaname, tablename, count(avg_width) AS columns,
                               sum(avg_width)::float8 AS width
                          FROM pg_stats WHERE NOT inherited GROUP BY schemaname, tablename) w
                   ON w.schemaname = n.nspname AND w.tablename = c.relname"
        };
        (
            "CASE WHEN w.columns = c.relnatts THEN w.width
                  WHEN w.columns < c.relnatts
                   AND w.columns = (SELECT count(*) FROM pg_attribute a
                                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
                  THEN w.width END",
            join,
        )
    } else {
        ("NULL::float8", "")
    };
    let sql = format!(
        "SELECT c.oid, n.nspname::text, c.relname::text,
                c.relkind = 'm',
                c.relpages::int8, c.reltuples::float8,
                coalesce(t.relpages, 0)::int8,
                coalesce(ix.pages, 0)::int8, coalesce(ix.count, 0)::int8,
                pg_stat_get_live_tuples(c.oid), pg_stat_get_dead_tuples(c.oid),
                pg_stat_get_mod_since_analyze(c.oid), {ins_since_vacuum},
                extract(epoch FROM pg_stat_get_last_vacuum_time(c.oid))::float8,
                extract(epoch FROM pg_stat_get_last_autovacuum_time(c.oid))::float8,
                extract(epoch FROM pg_stat_get_last_analyze_time(c.oid))::float8,
                extract(epoch FROM pg_stat_get_last_autoanalyze_time(c.oid))::float8,
                greatest(age(c.relfrozenxid), age(t.relfrozenxid))::int8,
                greatest(mxid_age(c.relminmxid), mxid_age(t.relminmxid))::int8,
                coalesce(c.reloptions, '{{}}')::text[],
                pg_has_role(c.relowner, 'USAGE'),
                {widths}
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
           LEFT JOIN (SELECT i.indrelid, sum(ic.relpages) AS pages, count(*) AS count
                        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                       GROUP BY i.indrelid) ix ON ix.indrelid = c.oid
           {widths_join}
          WHERE c.relkind IN ('r', 'm')
            AND c.relpersistence <> 't'
            AND n.nspname <> 'information_schema'
            AND n.nspname NOT LIKE 'pg\\_toast%'
            AND n.nspname NOT LIKE 'pg\\_temp%'"
    );
    let rows = client.query(&sql, &[])?;
    let mut tables = Vec::with_capacity(rows.len());
    for row in rows {
        let options: Vec<String> = row.get(19);
        let (settings, fillfactor) = table_settings(&server.defaults, &options);
        let time = |index: usize| row.get::<_, Option<f64>>(index).and_then(epoch_time);
        let schema: String = row.get(1);
        let name: String = row.get(2);
        tables.push(Table {
            oid: row.get(0),
            qualified: super::pgname::qualified(&schema, &name),
            schema,
            name,
            materialized: row.get(3),
            heap_pages: row.get(4),
            reltuples: row.get(5),
            toast_pages: row.get(6),
            index_pages: row.get(7),
            index_count: row.get(8),
            live_tuples: row.get(9),
            dead_tuples: row.get(10),
            modified_since_analyze: row.get(11),
            inserted_since_vacuum: row.get(12),
            last_vacuum: time(13),
            last_autovacuum: time(14),
            last_analyze: time(15),
            last_autoanalyze: time(16),
            xid_age: row.get::<_, Option<i64>>(17).unwrap_or(0),
            mxid_age: row.get::<_, Option<i64>>(18).unwrap_or(0),
            settings,
            owned: server.superuser || row.get::<_, bool>(20),
            row_width: row.get(21),
            fillfactor,
        });
    }
    Ok(tables)
}

/// A table's own `autovacuum_*` storage parameters over the server's.
fn table_settings(defaults: &AutovacuumSettings, options: &[String]) -> (AutovacuumSettings, f64) {
    let mut settings = *defaults;
    let mut fillfactor = 100.0;
    for option in options {
        let Some((key, value)) = option.split_once('=') else {
            continue;
        };
        let number = value.parse::<f64>().ok();
        match (key, number) {
            ("autovacuum_enabled", _) => {
                settings.enabled = defaults.enabled && matches!(value, "true" | "on" | "1" | "yes");
            }
            ("autovacuum_vacuum_threshold", Some(v)) => settings.vacuum_threshold = v,
            ("autovacuum_vacuum_scale_factor", Some(v)) => settings.vacuum_scale_factor = v,
            ("autovacuum_vacuum_insert_threshold", Some(v)) => settings.insert_threshold = v,
            ("autovacuum_vacuum_insert_scale_factor", Some(v)) => settings.insert_scale_factor = v,
            ("autovacuum_analyze_threshold", Some(v)) => settings.analyze_threshold = v,
            ("autovacuum_analyze_scale_factor", Some(v)) => settings.analyze_scale_factor = v,
            // A table may only lower these (PostgreSQL ignores higher values).
            ("autovacuum_freeze_max_age", Some(v)) => {
                settings.freeze_max_age = v.min(defaults.freeze_max_age);
            }
            ("autovacuum_multixact_freeze_max_age", Some(v)) => {
                settings.multixact_freeze_max_age = v.min(defaults.multixact_freeze_max_age);
            }
            ("fillfactor", Some(v)) => fillfactor = v,
            _ => {}
        }
    }
    (settings, fillfactor)
}

impl Table {
    /// Rows as the planner last counted them (0 when never counted).
    pub fn rows(&self) -> f64 {
        self.reltuples.max(0.0)
    }

    pub fn heap_bytes(&self, block_size: i64) -> u64 {
        (self.heap_pages.max(0) * block_size) as u64
    }

    pub fn total_bytes(&self, block_size: i64) -> u64 {
        ((self.heap_pages + self.toast_pages + self.index_pages).max(0) * block_size) as u64
    }

    /// Dead tuples as a share of all tuples, 0..=1.
    pub fn dead_ratio(&self) -> f64 {
        let all = self.live_tuples + self.dead_tuples;
        if all <= 0 {
            0.0
        } else {
            self.dead_tuples as f64 / all as f64
        }
    }

    /// Bytes the dead tuples take, estimated from the average row size.
    pub fn dead_bytes(&self, block_size: i64) -> f64 {
        let rows = self
            .rows()
            .max((self.live_tuples + self.dead_tuples) as f64);
        let per_row = if self.heap_pages > 0 && rows > 0.0 {
            (self.heap_pages * block_size) as f64 / rows
        } else {
            // Never vacuumed or analyzed: no page count yet; a small row.
            64.0
        };
        self.dead_tuples as f64 * per_row
    }

    /// Transaction-id age as a share of the age at which autovacuum forces
    /// an anti-wraparound vacuum (1.0 = forced now), the worse of xid and multixact.
    pub fn wraparound_ratio(&self) -> f64 {
        let xid = self.xid_age as f64 / self.settings.freeze_max_age.max(1.0);
        let mxid = self.mxid_age as f64 / self.settings.multixact_freeze_max_age.max(1.0);
        xid.max(mxid)
    }

    /// Dead tuples above which autovacuum would vacuum this table.
    pub fn autovacuum_threshold(&self) -> f64 {
        self.settings.vacuum_threshold + self.settings.vacuum_scale_factor * self.rows()
    }

    pub fn analyze_threshold(&self) -> f64 {
        self.settings.analyze_threshold + self.settings.analyze_scale_factor * self.rows()
    }

    pub fn last_vacuumed(&self) -> Option<DateTime<Utc>> {
        self.last_vacuum.max(self.last_autovacuum)
    }

    pub fn last_analyzed(&self) -> Option<DateTime<Utc>> {
        self.last_analyze.max(self.last_autoanalyze)
    }

    /// Bloat: pages beyond what the rows need at the table's fill factor,
    /// from the planner's row count and pg_stats widths.
    pub fn bloat(&self, block_size: i64) -> Bloat {
        let Some(width) = self.row_width else {
            return Bloat {
                bytes: None,
                reliability: Reliability::Unknown,
            };
        };
        if self.heap_pages <= 0 || self.reltuples < 0.0 {
            return Bloat {
                bytes: None,
                reliability: Reliability::Unknown,
            };
        }
        // Tuple header (23 bytes, aligned to 24) + line pointer (4) + MAXALIGN padding.
        let tuple = 24.0 + 4.0 + width + 4.0;
        let usable = (block_size as f64 - 24.0) * self.fillfactor / 100.0;
        let per_page = (usable / tuple).floor().max(1.0);
        let expected_pages = (self.reltuples / per_page).ceil();
        let bloat_pages = (self.heap_pages as f64 - expected_pages).max(0.0);
        let changed = self.modified_since_analyze as f64 / self.rows().max(1.0);
        let reliability = if self.last_analyzed().is_none() {
            Reliability::Unknown
        } else if changed > 0.2 || self.dead_tuples > self.live_tuples {
            // The row count and widths describe a table that has moved on.
            Reliability::Rough
        } else {
            Reliability::Good
        };
        Bloat {
            bytes: Some((bloat_pages * block_size as f64) as u64),
            reliability,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bloat {
    pub bytes: Option<u64>,
    pub reliability: Reliability,
}

/// How far an estimate can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reliability {
    /// Statistics are recent and cover every column.
    Good,
    /// Statistics exist but the table changed a lot since.
    Rough,
    /// No statistics: never analyzed, or a column without statistics.
    Unknown,
}

impl Reliability {
    pub fn as_str(self) -> &'static str {
        match self {
            Reliability::Good => "good",
            Reliability::Rough => "rough",
            Reliability::Unknown => "unknown",
        }
    }
}

/// Something that keeps VACUUM from removing dead tuples newer than its xmin.
#[derive(Clone, Debug)]
pub struct Holder {
    pub kind: HolderKind,
    /// pid, slot name or prepared transaction id.
    pub name: String,
    /// How many transactions old its xmin is.
    pub xmin_age: i64,
    /// How long it has been open (transactions and prepared ones).
    pub open_for: Option<Duration>,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolderKind {
    Transaction,
    ReplicationSlot,
    PreparedTransaction,
    /// A standby's queries, through hot_standby_feedback without a slot.
    StandbyFeedback,
}

impl HolderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HolderKind::Transaction => "transaction",
            HolderKind::ReplicationSlot => "replication slot",
            HolderKind::PreparedTransaction => "prepared transaction",
            HolderKind::StandbyFeedback => "hot_standby_feedback",
        }
    }
}

/// The oldest transaction, replication slot, prepared transaction and
/// standby (hot_standby_feedback) holding back cleanup, oldest xmin first
/// (at most one of each kind). Transactions in other databases are left
/// out: VACUUM of this database's tables does not wait for them.
pub fn cleanup_holders(client: &mut Client) -> Result<Vec<Holder>, postgres::Error> {
    let rows = client.query(
        "(SELECT 1, pid::text, greatest(age(backend_xmin), age(backend_xid))::int8,
                 extract(epoch FROM clock_timestamp() - xact_start)::float8,
                 concat_ws(', ', 'user ' || usename, nullif(application_name, ''), state,
                           left(regexp_replace(query, '\\s+', ' ', 'g'), 80))
            FROM pg_stat_activity
           WHERE (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)
             AND backend_type <> 'walsender'
             AND datname = current_database()
             AND pid <> pg_backend_pid()
           ORDER BY 3 DESC LIMIT 1)
         UNION ALL
         (SELECT 4, pid::text, age(backend_xmin)::int8, NULL::float8,
                 concat_ws(', ', 'standby ' || nullif(application_name, ''),
                           'from ' || coalesce(host(client_addr), 'the local socket'))
            FROM pg_stat_activity
           WHERE backend_type = 'walsender' AND backend_xmin IS NOT NULL
           ORDER BY 3 DESC LIMIT 1)
         UNION ALL
         (SELECT 2, slot_name::text, greatest(age(xmin), age(catalog_xmin))::int8, NULL::float8,
                 concat_ws(', ', slot_type, CASE WHEN active THEN 'active' ELSE 'inactive' END,
                           'database ' || database)
            FROM pg_replication_slots
           WHERE xmin IS NOT NULL OR catalog_xmin IS NOT NULL
           ORDER BY 3 DESC LIMIT 1)
         UNION ALL
         (SELECT 3, gid, age(transaction)::int8,
                 extract(epoch FROM clock_timestamp() - prepared)::float8,
                 concat_ws(', ', 'owner ' || owner, 'database ' || database)
            FROM pg_prepared_xacts
           WHERE database = current_database()
           ORDER BY age(transaction) DESC LIMIT 1)
         ORDER BY 3 DESC",
        &[],
    )?;
    Ok(rows
        .into_iter()
        .map(|row| Holder {
            kind: match row.get::<_, i32>(0) {
                1 => HolderKind::Transaction,
                2 => HolderKind::ReplicationSlot,
                4 => HolderKind::StandbyFeedback,
                _ => HolderKind::PreparedTransaction,
            },
            name: row.get(1),
            xmin_age: row.get::<_, Option<i64>>(2).unwrap_or(0),
            open_for: row
                .get::<_, Option<f64>>(3)
                .map(|s| Duration::from_secs_f64(s.max(0.0))),
            detail: row.get::<_, Option<String>>(4).unwrap_or_default(),
        })
        .collect())
}

/// A session holding a lock on a table, as another session waiting for it
/// would want to know it.
#[derive(Clone, Debug)]
pub struct LockHolder {
    pub pid: i32,
    pub application: String,
    pub user: String,
    /// `AccessExclusiveLock`, `RowExclusiveLock`, ...
    pub mode: String,
    pub state: String,
    pub transaction_start: Option<DateTime<Utc>>,
    pub query_start: Option<DateTime<Utc>>,
    pub query: String,
}

/// The other session holding the strongest lock on table `oid` (the one
/// most likely to block a writer; a row lock shows as the holder's
/// ROW SHARE or ROW EXCLUSIVE lock on the table), longest held first.
pub fn lock_holder(client: &mut Client, oid: u32) -> Result<Option<LockHolder>, postgres::Error> {
    let row = client.query_opt(
        "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), l.mode,
                coalesce(a.state, ''),
                extract(epoch FROM a.xact_start)::float8, extract(epoch FROM a.query_start)::float8,
                left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 80)
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'relation' AND l.relation = $1 AND l.granted
            AND l.pid <> pg_backend_pid()
          ORDER BY CASE l.mode WHEN 'AccessExclusiveLock' THEN 0 WHEN 'ExclusiveLock' THEN 1
                               WHEN 'ShareRowExclusiveLock' THEN 2 WHEN 'ShareLock' THEN 3
                               WHEN 'ShareUpdateExclusiveLock' THEN 4 ELSE 5 END,
                   a.xact_start NULLS LAST
          LIMIT 1",
        &[&oid],
    )?;
    Ok(row.map(|row| LockHolder {
        pid: row.get(0),
        application: row.get(1),
        user: row.get(2),
        mode: row.get(3),
        state: row.get(4),
        transaction_start: row.get::<_, Option<f64>>(5).and_then(epoch_time),
        query_start: row.get::<_, Option<f64>>(6).and_then(epoch_time),
        query: row.get(7),
    }))
}

impl LockHolder {
    /// `pid 4321 (application migration, user app, AccessExclusiveLock, idle
    /// in transaction since 12:00:01 UTC, last query started 12:00:01 UTC: LOCK TABLE ...)`.
    pub fn describe(&self) -> String {
        let time =
            |t: Option<DateTime<Utc>>| t.map_or_else(|| "?".to_owned(), crate::units::utc_time);
        let application = if self.application.is_empty() {
            "no application_name".to_owned()
        } else {
            format!("application {}", self.application)
        };
        format!(
            "pid {} ({application}, user {}, {}, {}, transaction open since {}, query started {}: {})",
            self.pid,
            self.user,
            self.mode,
            self.state,
            time(self.transaction_start),
            time(self.query_start),
            self.query
        )
    }
}

/// An index that no query used since the statistics were reset.
#[derive(Clone, Debug)]
pub struct IndexInfo {
    pub schema: String,
    pub table: String,
    /// `schema.index`, quoted where it must be.
    pub qualified: String,
    pub bytes: u64,
    pub scans: i64,
    /// `CREATE INDEX ...`, for the [`DEFINITIONS`] largest of a list.
    pub definition: Option<String>,
}

/// Indexes never scanned, leaving out those that enforce something (primary
/// keys, unique indexes, constraint indexes), largest first.
pub fn unused_indexes(
    client: &mut Client,
    block_size: i64,
) -> Result<Vec<IndexInfo>, postgres::Error> {
    index_query(
        client,
        block_size,
        "pg_stat_get_numscans(i.indexrelid) = 0
         AND i.indisvalid AND NOT i.indisprimary AND NOT i.indisunique AND NOT i.indisexclusion
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
    )
}

/// Indexes left invalid, as by a failed CREATE INDEX CONCURRENTLY or an
/// interrupted REINDEX CONCURRENTLY (`*_ccnew`): written to, never used.
pub fn invalid_indexes(
    client: &mut Client,
    block_size: i64,
) -> Result<Vec<IndexInfo>, postgres::Error> {
    index_query(client, block_size, "NOT i.indisvalid")
}

/// How many indexes of a list (the largest) come with their definition.
pub const DEFINITIONS: usize = 100;

fn index_query(
    client: &mut Client,
    block_size: i64,
    condition: &str,
) -> Result<Vec<IndexInfo>, postgres::Error> {
    // pg_get_indexdef costs some 30 µs an index: on 10,000 unused indexes a
    // third of a second for text nobody reads past the first screens. The
    // largest get theirs; the rest are listed with name and size.
    let sql = format!(
        "SELECT n.nspname::text, t.relname::text, c.relname::text,
                c.relpages::int8, pg_stat_get_numscans(i.indexrelid),
                CASE WHEN row_number() OVER (ORDER BY c.relpages DESC, n.nspname, c.relname)
                          <= {DEFINITIONS}
                     THEN pg_get_indexdef(i.indexrelid) END
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
           JOIN pg_class t ON t.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_toast%'
            AND {condition}
          ORDER BY c.relpages DESC, 1, 3"
    );
    Ok(client
        .query(&sql, &[])?
        .into_iter()
        .map(|row| IndexInfo {
            qualified: super::pgname::qualified(row.get(0), row.get(2)),
            schema: row.get(0),
            table: row.get(1),
            bytes: (row.get::<_, i64>(3).max(0) * block_size) as u64,
            scans: row.get(4),
            definition: row.get(5),
        })
        .collect())
}

/// A statement from pg_stat_statements.
#[derive(Clone, Debug)]
pub struct Statement {
    pub query: String,
    pub calls: i64,
    pub total: Duration,
    pub mean: Duration,
    pub rows: i64,
}

/// Why there are no slow statements to show.
#[derive(Clone, Debug)]
pub enum Statements {
    NotInstalled,
    /// Installed, but the library is not in shared_preload_libraries (or not readable).
    Unavailable(String),
    Top(Vec<Statement>),
}

/// The `limit` statements of this database with the most total execution
/// time. The columns were renamed in pg_stat_statements 1.8 (PostgreSQL 13):
/// `total_time` became `total_exec_time`.
pub fn slow_statements(client: &mut Client, limit: i64) -> Result<Statements, postgres::Error> {
    let found = client.query_opt(
        "SELECT n.nspname::text, e.extversion
           FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
          WHERE e.extname = 'pg_stat_statements'",
        &[],
    )?;
    let Some(found) = found else {
        return Ok(Statements::NotInstalled);
    };
    let schema = super::pgname::quote_ident(found.get(0));
    let version: String = found.get(1);
    let (major, minor) = version.split_once('.').map_or((0, 0), |(a, b)| {
        (a.parse().unwrap_or(0), b.parse().unwrap_or(0))
    });
    let (total, mean) = if (major, minor) >= (1, 8) {
        ("total_exec_time", "mean_exec_time")
    } else {
        ("total_time", "mean_time")
    };
    let sql = format!(
        "SELECT regexp_replace(query, '\\s+', ' ', 'g'), calls, {total}::float8, {mean}::float8, rows
           FROM {schema}.pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND query IS NOT NULL
          ORDER BY {total} DESC
          LIMIT $1"
    );
    match client.query(&sql, &[&limit]) {
        Ok(rows) => Ok(Statements::Top(
            rows.into_iter()
                .map(|row| Statement {
                    query: row.get(0),
                    calls: row.get(1),
                    total: Duration::from_secs_f64(row.get::<_, f64>(2).max(0.0) / 1000.0),
                    mean: Duration::from_secs_f64(row.get::<_, f64>(3).max(0.0) / 1000.0),
                    rows: row.get(4),
                })
                .collect(),
        )),
        // "must be loaded via shared_preload_libraries", or no privilege.
        Err(err) if err.as_db_error().is_some() => Ok(Statements::Unavailable(
            err.as_db_error()
                .map(|db| db.message().to_owned())
                .unwrap_or_default(),
        )),
        Err(err) => Err(err),
    }
}

/// A server and tables for the unit tests of what judges this data.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub(crate) fn server() -> Server {
        Server {
            version_num: 150_000,
            version: "15".into(),
            database: "app".into(),
            user: "app".into(),
            superuser: false,
            in_recovery: false,
            block_size: 8192,
            autovacuum: true,
            defaults: AutovacuumSettings {
                enabled: true,
                vacuum_threshold: 50.0,
                vacuum_scale_factor: 0.2,
                insert_threshold: 1000.0,
                insert_scale_factor: 0.2,
                analyze_threshold: 50.0,
                analyze_scale_factor: 0.1,
                freeze_max_age: 200_000_000.0,
                multixact_freeze_max_age: 400_000_000.0,
            },
            vacuum_freeze_table_age: 150_000_000,
            vacuum_multixact_freeze_table_age: 150_000_000,
            stats_reset: None,
            database_xid_age: 0,
            database_bytes: 0,
        }
    }

    pub(crate) fn table(name: &str, live: i64, dead: i64, pages: i64) -> Table {
        Table {
            oid: 1,
            schema: "public".into(),
            name: name.into(),
            qualified: format!("public.{name}"),
            materialized: false,
            heap_pages: pages,
            reltuples: live as f64,
            toast_pages: 0,
            index_pages: 0,
            index_count: 0,
            live_tuples: live,
            dead_tuples: dead,
            modified_since_analyze: 0,
            inserted_since_vacuum: 0,
            last_vacuum: None,
            last_autovacuum: None,
            last_analyze: Some(Utc::now()),
            last_autoanalyze: None,
            xid_age: 1000,
            mxid_age: 1,
            settings: server().defaults,
            owned: true,
            row_width: Some(40.0),
            fillfactor: 100.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{server, table};
    use super::*;

    #[test]
    fn table_settings_override_the_server() {
        let defaults = server().defaults;
        let (settings, fillfactor) = table_settings(
            &defaults,
            &[
                "autovacuum_enabled=false".into(),
                "autovacuum_vacuum_threshold=10".into(),
                "autovacuum_freeze_max_age=500000000".into(),
                "fillfactor=70".into(),
            ],
        );
        assert!(!settings.enabled);
        assert_eq!(settings.vacuum_threshold, 10.0);
        // Higher than the server's limit: PostgreSQL ignores it.
        assert_eq!(settings.freeze_max_age, 200_000_000.0);
        assert_eq!(fillfactor, 70.0);
    }

    #[test]
    fn bloat_is_estimated_from_widths() {
        let mut t = table("t", 10_000, 0, 200);
        t.reltuples = 10_000.0;
        // 72-byte tuples: 113 per page, 89 pages needed, 111 spare.
        let bloat = t.bloat(8192);
        assert_eq!(bloat.reliability, Reliability::Good);
        assert_eq!(bloat.bytes, Some(111 * 8192));
        t.row_width = None;
        assert_eq!(t.bloat(8192).reliability, Reliability::Unknown);
    }
}
