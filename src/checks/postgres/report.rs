//! `maint db report`: what vacuuming needs to know about a database, read
//! only, judged against thresholds: dead tuples, wraparound, bloat, what
//! holds back cleanup, unused and invalid indexes, slow statements.

use std::time::{Duration, Instant};

use anyhow::Result;

use super::{connect_error, open, query_error, target};
use crate::checks::Notes;
use crate::cli::DbReportArgs;
use crate::config::Loaded;
use crate::judge::dbreport::cleanup;
use crate::judge::dbreport::tables as table_verdicts;
use crate::judge::vacuum::{self, Criteria};
use crate::probe::pgname::qualified;
use crate::probe::pgstats::{self, Holder, IndexInfo, Server, Slot, Standby, Statements, Table};
use crate::probe::postgres::Target;
use crate::report::{Cell, Column, Metric, Report, Section, Threshold};

const DEFAULT_TOP: usize = 20;
/// WAL kept by an inactive slot: 1 GiB is max_wal_size's default, 10 GiB a
/// disk filling up.
const SLOT_WAL: Threshold = Threshold {
    warning: Some((1u64 << 30) as f64),
    critical: Some((10u64 << 30) as f64),
    direction: crate::report::Direction::Above,
};

// Why each finding matters, for the reader of `diagnose`.

struct Thresholds {
    dead_tuples: Threshold,
    wraparound: Threshold,
    bloat: Threshold,
    slow_query: Threshold,
    oldest_transaction: Threshold,
    slot_wal: Threshold,
    catalog: crate::judge::dbreport::Levels,
}

impl Thresholds {
    fn resolve(loaded: &Loaded) -> Result<Thresholds> {
        let postgres = loaded.config.postgres.as_ref();
        let report = postgres.map(|p| &p.report);
        Ok(Thresholds {
            dead_tuples: loaded.levels(
                "postgres.report.dead_tuples",
                report.and_then(|r| r.dead_tuples.as_ref()),
                Threshold::above(20.0, 50.0),
            )?,
            wraparound: loaded.levels(
                "postgres.report.wraparound",
                report.and_then(|r| r.wraparound.as_ref()),
                Threshold::above(75.0, 95.0),
            )?,
            bloat: loaded.levels(
                "postgres.report.bloat",
                report.and_then(|r| r.bloat.as_ref()),
                Threshold::above(50.0, 80.0),
            )?,
            slow_query: loaded.levels(
                "postgres.report.slow_query",
                report.and_then(|r| r.slow_query.as_ref()),
                Threshold::above(1.0, 10.0),
            )?,
            oldest_transaction: loaded.levels(
                "postgres.oldest_transaction",
                postgres.and_then(|p| p.oldest_transaction.as_ref()),
                Threshold::above(3600.0, 6.0 * 3600.0),
            )?,
            slot_wal: loaded.levels(
                "postgres.report.slot_wal",
                report.and_then(|r| r.slot_wal.as_ref()),
                SLOT_WAL,
            )?,
            catalog: super::report_catalog::levels(loaded)?,
        })
    }
}

/// Everything the report reads, in a handful of queries.
pub struct Facts {
    pub server: Server,
    /// On a standby: where it replays from and how far it has come.
    pub standby: Option<Standby>,
    /// On a primary: its replication slots and the standbys streaming now.
    pub slots: Vec<Slot>,
    pub replicas: i64,
    pub tables: Vec<Table>,
    pub holders: Vec<Holder>,
    pub unused: Vec<IndexInfo>,
    pub invalid: Vec<IndexInfo>,
    pub statements: Statements,
    /// Locks, sequences, the archiver, standbys' lag, index sizes.
    pub catalog: super::report_catalog::Catalog,
}

/// Reads what the report needs, all of it within the connect limit plus
/// `query_timeout`: the server ends our statements at `query_timeout`
/// (statement_timeout), and maint stops waiting at the limit whatever the
/// server does (a server that stops answering mid-report).
pub fn gather(target: &Target, query_timeout: Duration, notes: Notes) -> Result<Facts> {
    let limit = target.connect_limit() + query_timeout;
    let bounded = target.with_statement_timeout(query_timeout);
    crate::parallel::within(limit, move || gather_now(&bounded, notes)).unwrap_or_else(|| {
        Err(connect_error(
            target.no_answer(limit, "to the statistics queries"),
        ))
    })
}

fn gather_now(target: &Target, notes: Notes) -> Result<Facts> {
    let (mut client, server) = open(target, notes)?;
    let fail = |doing: &'static str| move |err: postgres::Error| query_error(&err, target, doing);
    let tables =
        pgstats::tables(&mut client, &server, true).map_err(fail("reading table statistics"))?;
    let holders =
        pgstats::cleanup_holders(&mut client).map_err(fail("reading what holds back cleanup"))?;
    let unused = pgstats::unused_indexes(&mut client, server.block_size)
        .map_err(fail("reading index statistics"))?;
    let invalid = pgstats::invalid_indexes(&mut client, server.block_size)
        .map_err(fail("reading index statistics"))?;
    let statements =
        pgstats::slow_statements(&mut client, 10).map_err(fail("reading pg_stat_statements"))?;
    let catalog = super::report_catalog::gather(&mut client, &server, target)?;
    let (standby, slots, replicas) = if server.in_recovery {
        let standby =
            pgstats::standby(&mut client).map_err(fail("reading the standby's replay state"))?;
        (Some(standby), Vec::new(), 0)
    } else {
        let slots =
            pgstats::slots(&mut client, &server).map_err(fail("reading pg_replication_slots"))?;
        let replicas =
            pgstats::replicas(&mut client).map_err(fail("reading pg_stat_replication"))?;
        (None, slots, replicas)
    };
    Ok(Facts {
        server,
        standby,
        slots,
        replicas,
        tables,
        holders,
        unused,
        invalid,
        statements,
        catalog,
    })
}

/// Everything `maint db report` needs, validated before it connects.
pub struct Settings {
    target: Target,
    query_timeout: Duration,
    thresholds: Thresholds,
    top: usize,
    /// ` --url ...` for hints, when the user named the server with it.
    again: String,
    notes: Notes,
}

impl Settings {
    pub fn resolve(args: &DbReportArgs, loaded: &Loaded, notes: Notes) -> Result<Settings> {
        Ok(Settings {
            target: target(args.url.as_ref(), loaded)?,
            query_timeout: super::query_timeout(loaded),
            thresholds: Thresholds::resolve(loaded)?,
            top: args
                .top
                .or(loaded.config.postgres.as_ref().and_then(|p| p.report.top))
                .unwrap_or(DEFAULT_TOP),
            again: crate::shell::again("--url", args.url.as_ref().map(|u| u.0.as_str())),
            notes,
        })
    }
}

/// Reads the server and judges it; `maint diagnose` calls this too.
pub fn run(settings: &Settings) -> Result<Report> {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let facts = gather(&settings.target, settings.query_timeout, settings.notes)?;
    let mut report = crate::checks::report("db report", started_at);
    build(&mut report, &facts, settings);
    report.duration = clock.elapsed();
    Ok(report)
}

/// A ratio as a percentage, as reports show it.
fn percent(ratio: f64) -> f64 {
    crate::judge::round1(ratio * 100.0)
}

fn build(report: &mut Report, facts: &Facts, settings: &Settings) {
    let Settings {
        target,
        thresholds,
        top,
        again,
        ..
    } = settings;
    let top = *top;
    let server = &facts.server;
    let block = server.block_size;
    let db = &server.database;

    report.checks.push(cleanup::role(
        facts.standby.as_ref(),
        facts.replicas,
        &target.display,
    ));
    report.checks.push(cleanup::size(db, server.database_bytes));
    // Dead tuples, vacuum and analyze times are each server's own
    // statistics: a standby's say nothing of what its primary needs.
    let primary = facts
        .standby
        .as_ref()
        .and_then(|s| s.primary_url(target.user(), target.dbname()))
        .unwrap_or_else(|| format!("postgres://{}@PRIMARY/{}", target.user(), target.dbname()));
    let standby_unknown = |name: &str| table_verdicts::on_standby(name, &primary);

    let tables = &facts.tables;
    // Dead tuples, vacuum and analyze times are each server's own
    // statistics: on a standby only wraparound and bloat are judged.
    report.checks.push(if server.in_recovery {
        standby_unknown("db:dead_tuples")
    } else {
        table_verdicts::dead_tuples(tables, thresholds.dead_tuples, again)
    });
    report.checks.extend(table_verdicts::wraparound(
        tables,
        server,
        thresholds.wraparound,
        again,
    ));
    report.checks.push(table_verdicts::bloat(
        tables,
        block,
        thresholds.bloat,
        again,
    ));
    let chosen = vacuum::candidates(facts.tables.clone(), server, &Criteria::default());
    report.checks.push(if server.in_recovery {
        standby_unknown("db:vacuum_needed")
    } else {
        table_verdicts::vacuum_needed(&chosen, tables.len(), server.autovacuum)
    });
    report.checks.extend(table_verdicts::autovacuum(server));

    report.checks.extend(cleanup::holders(
        &facts.holders,
        thresholds.oldest_transaction,
        &target.display,
    ));
    if !server.in_recovery {
        report.checks.push(cleanup::slots(
            &facts.slots,
            thresholds.slot_wal,
            &target.display,
        ));
        slot_details(report, facts);
    }
    report.checks.extend(cleanup::indexes(
        &facts.unused,
        &facts.invalid,
        server.stats_reset,
    ));
    super::report_catalog::build(report, &facts.catalog, server, &thresholds.catalog);
    report.checks.push(cleanup::statements(
        &facts.statements,
        thresholds.slow_query,
    ));

    // Sections.
    let mut shown: Vec<&Table> = chosen.iter().map(|c| &c.table).collect();
    let mut by_size: Vec<&Table> = facts.tables.iter().collect();
    by_size.sort_by_key(|t| std::cmp::Reverse(t.total_bytes(block)));
    for t in by_size {
        if shown.len() >= top {
            break;
        }
        if !shown.iter().any(|s| s.oid == t.oid) {
            shown.push(t);
        }
    }
    shown.truncate(top);
    report.sections.push(tables_section(&shown, block));
    for t in &shown {
        let labels = [("database", db.as_str()), ("table", t.qualified.as_str())];
        report.metrics.push(Metric::new(
            "maint_db_table_dead_tuples",
            "Dead tuples of a table (pg_stat_user_tables.n_dead_tup)",
            &labels,
            t.dead_tuples as f64,
        ));
        report.metrics.push(Metric::new(
            "maint_db_table_size_bytes",
            "Heap, index and TOAST pages of a table as of its last VACUUM or ANALYZE",
            &labels,
            t.total_bytes(block) as f64,
        ));
        report.metrics.push(Metric::new(
            "maint_db_table_xid_age",
            "Transaction-id age of a table (age(relfrozenxid))",
            &labels,
            t.xid_age as f64,
        ));
    }
    report.sections.push(index_section(
        "unused_indexes",
        &format!(
            "Unused indexes (no scans since {})",
            server
                .stats_reset
                .map_or_else(|| "statistics began".to_owned(), |t| t.to_rfc3339())
        ),
        &facts.unused,
    ));
    report.sections.push(index_section(
        "invalid_indexes",
        "Invalid indexes",
        &facts.invalid,
    ));
    report.sections.push(holders_section(&facts.holders));
    if let Statements::Top(list) = &facts.statements {
        report.sections.push(Section {
            name: "slow_queries".to_owned(),
            title: "Statements with the most total time (pg_stat_statements)".to_owned(),
            columns: vec![
                Column::new("total_seconds", "TOTAL"),
                Column::new("mean_seconds", "MEAN"),
                Column::new("calls", "CALLS"),
                Column::new("rows", "ROWS"),
                Column::new("query", "QUERY"),
            ],
            rows: list
                .iter()
                .map(|s| {
                    vec![
                        Cell::Duration(s.total),
                        Cell::Duration(s.mean),
                        Cell::Integer(s.calls),
                        Cell::Integer(s.rows),
                        Cell::Text(s.query.chars().take(120).collect()),
                    ]
                })
                .collect(),
        });
    }
}

/// Each slot's WAL as a metric, and the slots' table.
fn slot_details(report: &mut Report, facts: &Facts) {
    for slot in &facts.slots {
        report.metrics.push(Metric::new(
            "maint_db_replication_slot_wal_bytes",
            "WAL a replication slot keeps on disk (from its restart_lsn to now)",
            &[
                ("database", facts.server.database.as_str()),
                ("slot", slot.name.as_str()),
                ("active", if slot.active { "true" } else { "false" }),
            ],
            slot.retained_bytes.unwrap_or(0).max(0) as f64,
        ));
    }
    report.sections.push(Section {
        name: "replication_slots".to_owned(),
        title: "Replication slots (most WAL kept first)".to_owned(),
        columns: vec![
            Column::new("slot", "SLOT"),
            Column::new("type", "TYPE"),
            Column::new("active", "ACTIVE"),
            Column::new("database", "DATABASE"),
            Column::new("retained_wal_bytes", "WAL KEPT"),
            Column::new("wal_status", "WAL STATUS"),
        ],
        rows: facts
            .slots
            .iter()
            .map(|slot| {
                vec![
                    Cell::Text(slot.name.clone()),
                    Cell::Text(slot.kind.clone()),
                    Cell::Text(if slot.active { "true" } else { "false" }.to_owned()),
                    slot.database.clone().map_or(Cell::Empty, Cell::Text),
                    slot.retained_bytes
                        .map_or(Cell::Empty, |b| Cell::Bytes(b.max(0) as u64)),
                    slot.wal_status.clone().map_or(Cell::Empty, Cell::Text),
                ]
            })
            .collect(),
    });
}

fn time_cell(time: Option<chrono::DateTime<chrono::Utc>>) -> Cell {
    time.map_or(Cell::Empty, Cell::Time)
}

fn tables_section(tables: &[&Table], block: i64) -> Section {
    Section {
        name: "tables".to_owned(),
        title: "Tables (sizes as of their last VACUUM/ANALYZE)".to_owned(),
        columns: vec![
            Column::new("table", "TABLE"),
            Column::new("heap_bytes", "HEAP"),
            Column::new("index_bytes", "INDEXES"),
            Column::new("toast_bytes", "TOAST"),
            Column::new("live_tuples", "LIVE"),
            Column::new("dead_tuples", "DEAD"),
            Column::new("dead_percent", "DEAD %"),
            Column::new("last_vacuum", "LAST VACUUM"),
            Column::new("last_autovacuum", "LAST AUTOVACUUM"),
            Column::new("last_analyze", "LAST ANALYZE"),
            Column::new("xid_age", "XID AGE"),
            Column::new("freeze_max_age_percent", "% OF FREEZE MAX"),
            Column::new("bloat_bytes", "BLOAT (EST.)"),
            Column::new("bloat_reliability", "RELIABILITY"),
        ],
        rows: tables
            .iter()
            .map(|t| {
                let bloat = t.bloat(block);
                vec![
                    Cell::Text(t.qualified.clone()),
                    Cell::Bytes(t.heap_bytes(block)),
                    Cell::Bytes((t.index_pages.max(0) * block) as u64),
                    Cell::Bytes((t.toast_pages.max(0) * block) as u64),
                    Cell::Integer(t.live_tuples),
                    Cell::Integer(t.dead_tuples),
                    Cell::Number(percent(t.dead_ratio())),
                    time_cell(t.last_vacuum),
                    time_cell(t.last_autovacuum),
                    time_cell(t.last_analyzed()),
                    Cell::Integer(t.xid_age),
                    Cell::Number(percent(
                        t.xid_age as f64 / t.settings.freeze_max_age.max(1.0),
                    )),
                    bloat.bytes.map_or(Cell::Empty, Cell::Bytes),
                    Cell::Text(bloat.reliability.as_str().to_owned()),
                ]
            })
            .collect(),
    }
}

fn index_section(name: &str, title: &str, indexes: &[IndexInfo]) -> Section {
    Section {
        name: name.to_owned(),
        title: title.to_owned(),
        columns: vec![
            Column::new("index", "INDEX"),
            Column::new("table", "TABLE"),
            Column::new("bytes", "SIZE"),
            Column::new("scans", "SCANS"),
            Column::new("definition", "DEFINITION"),
        ],
        rows: indexes
            .iter()
            .map(|i| {
                vec![
                    Cell::Text(i.qualified.clone()),
                    Cell::Text(qualified(&i.schema, &i.table)),
                    Cell::Bytes(i.bytes),
                    Cell::Integer(i.scans),
                    i.definition.clone().map_or(Cell::Empty, Cell::Text),
                ]
            })
            .collect(),
    }
}

fn holders_section(holders: &[Holder]) -> Section {
    Section {
        name: "cleanup_holders".to_owned(),
        title: "What holds back cleanup (oldest xmin first)".to_owned(),
        columns: vec![
            Column::new("kind", "KIND"),
            Column::new("name", "WHO"),
            Column::new("xmin_age", "XMIN AGE"),
            Column::new("open_seconds", "OPEN FOR"),
            Column::new("detail", "DETAIL"),
        ],
        rows: holders
            .iter()
            .map(|h| {
                vec![
                    Cell::Text(h.kind.as_str().to_owned()),
                    Cell::Text(h.name.clone()),
                    Cell::Integer(h.xmin_age),
                    h.open_for.map_or(Cell::Empty, Cell::Duration),
                    Cell::Text(h.detail.clone()),
                ]
            })
            .collect(),
    }
}
