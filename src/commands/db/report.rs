//! `maint db report`: what vacuuming needs to know about a database, read
//! only, judged against thresholds: dead tuples, wraparound, bloat, what
//! holds back cleanup, unused and invalid indexes, slow statements.

use std::time::{Duration, Instant};

use anyhow::Result;

use super::{connect_error, open, query_error, target};
use crate::cli::DbReportArgs;
use crate::commands::health::ConfiguredLevels;
use crate::commands::{Context, Failed, Outcome};
use crate::config::{Levels, Loaded, SpanLevels};
use crate::probe::pgstats::{
    self, Criteria, Holder, HolderKind, IndexInfo, Reliability, Server, Statements, Table,
};
use crate::probe::postgres::Target;
use crate::report::{Cell, Check, Column, Kind, Metric, Report, Section, Status, Threshold, Unit};
use crate::units::{human_bytes, human_duration};

const DEFAULT_TOP: usize = 20;
/// Dead-tuple shares of tables with fewer dead tuples than this are noise.
const DEAD_TUPLES_FLOOR: i64 = 1000;
/// Bloat estimates of small tables are noise.
const BLOAT_FLOOR_BYTES: u64 = 8 << 20;
/// A prepared transaction older than this is probably forgotten.
const PREPARED_WARN: Duration = Duration::from_secs(300);

struct Thresholds {
    dead_tuples: Threshold,
    wraparound: Threshold,
    bloat: Threshold,
    slow_query: Threshold,
    oldest_transaction: Threshold,
}

fn levels(
    loaded: &Loaded,
    key: &str,
    configured: &Levels,
    default: Threshold,
) -> Result<Threshold> {
    match configured {
        Some(spanned) => ConfiguredLevels::Number(spanned).apply(default, loaded, key),
        None => Ok(default),
    }
}

fn span_levels(
    loaded: &Loaded,
    key: &str,
    configured: &SpanLevels,
    default: Threshold,
) -> Result<Threshold> {
    match configured {
        Some(spanned) => ConfiguredLevels::Span(spanned).apply(default, loaded, key),
        None => Ok(default),
    }
}

impl Thresholds {
    fn resolve(loaded: &Loaded) -> Result<Thresholds> {
        let postgres = loaded.config.postgres.as_ref();
        let report = postgres.map(|p| &p.report);
        let none: Levels = None;
        let none_span: SpanLevels = None;
        Ok(Thresholds {
            dead_tuples: levels(
                loaded,
                "postgres.report.dead_tuples",
                report.map_or(&none, |r| &r.dead_tuples),
                Threshold::above(20.0, 50.0),
            )?,
            wraparound: levels(
                loaded,
                "postgres.report.wraparound",
                report.map_or(&none, |r| &r.wraparound),
                Threshold::above(75.0, 95.0),
            )?,
            bloat: levels(
                loaded,
                "postgres.report.bloat",
                report.map_or(&none, |r| &r.bloat),
                Threshold::above(50.0, 80.0),
            )?,
            slow_query: span_levels(
                loaded,
                "postgres.report.slow_query",
                report.map_or(&none_span, |r| &r.slow_query),
                Threshold::above(1.0, 10.0),
            )?,
            oldest_transaction: span_levels(
                loaded,
                "postgres.oldest_transaction",
                postgres.map_or(&none_span, |p| &p.oldest_transaction),
                Threshold::above(3600.0, 6.0 * 3600.0),
            )?,
        })
    }
}

/// Everything the report reads, in a handful of queries.
pub struct Facts {
    pub server: Server,
    pub tables: Vec<Table>,
    pub holders: Vec<Holder>,
    pub unused: Vec<IndexInfo>,
    pub invalid: Vec<IndexInfo>,
    pub statements: Statements,
}

/// Reads what the report needs, all of it within the connect limit plus
/// `query_timeout`: the server ends our statements at `query_timeout`
/// (statement_timeout), and maint stops waiting at the limit whatever the
/// server does (a server that stops answering mid-report).
pub fn gather(target: &Target, query_timeout: Duration) -> Result<Facts> {
    let limit = target.connect_limit() + query_timeout;
    let bounded = target.with_statement_timeout(query_timeout);
    crate::parallel::within(limit, move || gather_now(&bounded)).unwrap_or_else(|| {
        Err(connect_error(
            target.no_answer(limit, "to the statistics queries"),
        ))
    })
}

fn gather_now(target: &Target) -> Result<Facts> {
    let (mut client, server) = open(target)?;
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
    Ok(Facts {
        server,
        tables,
        holders,
        unused,
        invalid,
        statements,
    })
}

/// Everything `maint db report` needs, validated before it connects.
pub struct Settings {
    target: Target,
    query_timeout: Duration,
    thresholds: Thresholds,
    top: usize,
}

impl Settings {
    pub fn resolve(args: &DbReportArgs, loaded: &Loaded) -> Result<Settings> {
        Ok(Settings {
            target: target(args.url.as_ref(), loaded)?,
            query_timeout: super::query_timeout(loaded),
            thresholds: Thresholds::resolve(loaded)?,
            top: args
                .top
                .or(loaded.config.postgres.as_ref().and_then(|p| p.report.top))
                .unwrap_or(DEFAULT_TOP),
        })
    }
}

pub fn execute(args: &DbReportArgs, context: &Context) -> Outcome {
    let settings = Settings::resolve(args, context.config).map_err(Failed::Setup)?;
    run(&settings).map_err(Failed::Setup)
}

/// Reads the server and judges it; `maint diagnose` calls this too.
pub fn run(settings: &Settings) -> Result<Report> {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let facts = gather(&settings.target, settings.query_timeout)?;
    let mut report = Report::new("db report", Kind::Check, started_at);
    build(
        &mut report,
        &facts,
        &settings.thresholds,
        &settings.target,
        settings.top,
    );
    report.duration = clock.elapsed();
    Ok(report)
}

fn percent(value: f64) -> f64 {
    (value * 1000.0).round() / 10.0
}

fn build(report: &mut Report, facts: &Facts, thresholds: &Thresholds, target: &Target, top: usize) {
    let server = &facts.server;
    let block = server.block_size;
    let db = &server.database;

    // Dead tuples.
    let worst_dead = facts
        .tables
        .iter()
        .filter(|t| t.dead_tuples >= DEAD_TUPLES_FLOOR)
        .max_by(|a, b| a.dead_ratio().total_cmp(&b.dead_ratio()));
    report.checks.push(match worst_dead {
        Some(t) => Check::measured(
            "db:dead_tuples",
            percent(t.dead_ratio()),
            Unit::Percent,
            thresholds.dead_tuples,
            format!(
                "{}: {} % dead ({} dead tuples, last vacuum {})",
                t.qualified,
                percent(t.dead_ratio()),
                t.dead_tuples,
                ago(t.last_vacuumed())
            ),
        )
        .with_hint(format!(
            "maint db vacuum --table {}",
            crate::commands::shell_word(&t.qualified)
        )),
        None => Check::measured(
            "db:dead_tuples",
            0.0,
            Unit::Percent,
            thresholds.dead_tuples,
            format!("no table has {DEAD_TUPLES_FLOOR} dead tuples or more"),
        ),
    });

    // Wraparound.
    let worst_age = facts
        .tables
        .iter()
        .max_by(|a, b| a.wraparound_ratio().total_cmp(&b.wraparound_ratio()));
    if let Some(t) = worst_age {
        report.checks.push(
            Check::measured(
                "db:wraparound",
                percent(t.wraparound_ratio()),
                Unit::Percent,
                thresholds.wraparound,
                format!(
                    "{}: xid age {} ({} % of autovacuum_freeze_max_age {}), multixact age {}; database {db} xid age {}",
                    t.qualified,
                    t.xid_age,
                    percent(t.xid_age as f64 / t.settings.freeze_max_age.max(1.0)),
                    t.settings.freeze_max_age,
                    t.mxid_age,
                    server.database_xid_age
                ),
            )
            .with_hint(format!("maint db vacuum --table '{}'", t.qualified)),
        );
    }

    // Bloat.
    let bloat_of = |t: &Table| {
        let bloat = t.bloat(block);
        let heap = t.heap_bytes(block);
        let share = match bloat.bytes {
            Some(bytes) if heap > 0 => bytes as f64 / heap as f64,
            _ => 0.0,
        };
        (bloat, share)
    };
    let worst_bloat = facts
        .tables
        .iter()
        .filter(|t| t.heap_bytes(block) >= BLOAT_FLOOR_BYTES)
        .filter(|t| t.bloat(block).reliability != Reliability::Unknown)
        .max_by(|a, b| bloat_of(a).1.total_cmp(&bloat_of(b).1));
    report.checks.push(match worst_bloat {
        Some(t) => {
            let (bloat, share) = bloat_of(t);
            Check::measured(
                "db:bloat",
                percent(share),
                Unit::Percent,
                thresholds.bloat,
                format!(
                    "{}: about {} of {} is free space (estimate, reliability {})",
                    t.qualified,
                    human_bytes(bloat.bytes.unwrap_or(0)),
                    human_bytes(t.heap_bytes(block)),
                    bloat.reliability.as_str()
                ),
            )
            .with_hint(format!(
                "maint db vacuum --full --yes --table '{}' (ACCESS EXCLUSIVE lock: plan a window)",
                t.qualified
            ))
        }
        None => Check::measured(
            "db:bloat",
            0.0,
            Unit::Percent,
            thresholds.bloat,
            format!(
                "no table of {} or more with an estimate",
                human_bytes(BLOAT_FLOOR_BYTES)
            ),
        ),
    });

    // What vacuum would choose.
    let chosen = pgstats::candidates(facts.tables.clone(), server, &Criteria::default());
    let names: Vec<&str> = chosen
        .iter()
        .take(5)
        .map(|c| c.table.qualified.as_str())
        .collect();
    let more = chosen.len().saturating_sub(names.len());
    report.checks.push(
        Check::new(
            "db:vacuum_needed",
            Status::Ok,
            if chosen.is_empty() {
                format!(
                    "no table needs a VACUUM ({} tables, autovacuum {})",
                    facts.tables.len(),
                    if server.autovacuum { "on" } else { "OFF" }
                )
            } else {
                format!(
                    "{} of {} tables would be chosen by maint db vacuum: {}{}",
                    chosen.len(),
                    facts.tables.len(),
                    names.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                )
            },
        )
        .with_value(chosen.len() as f64, Unit::Count),
    );
    if !server.autovacuum {
        report.checks.push(
            Check::new(
                "db:autovacuum",
                Status::Warning,
                "autovacuum is off for the whole server: dead tuples pile up and wraparound comes closer",
            )
            .with_hint("set autovacuum = on in postgresql.conf, then SELECT pg_reload_conf()"),
        );
    }

    holder_checks(report, facts, thresholds, target);
    index_checks(report, facts, server);
    statement_check(report, facts, thresholds);

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

fn ago(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match time {
        Some(time) => {
            let elapsed = (chrono::Utc::now() - time).to_std().unwrap_or_default();
            format!(
                "{} ago",
                human_duration(Duration::from_secs(elapsed.as_secs()))
            )
        }
        None => "never".to_owned(),
    }
}

fn holder_checks(report: &mut Report, facts: &Facts, thresholds: &Thresholds, target: &Target) {
    let find = |kind| facts.holders.iter().find(|h| h.kind == kind);
    report.checks.push(match find(HolderKind::Transaction) {
        Some(h) => {
            let open = h.open_for.unwrap_or_default();
            Check::measured(
                "db:oldest_transaction",
                open.as_secs_f64().round(),
                Unit::Seconds,
                thresholds.oldest_transaction,
                format!(
                    "pid {} open {} holds back cleanup by {} transactions ({})",
                    h.name,
                    human_duration(open),
                    h.xmin_age,
                    h.detail
                ),
            )
            .with_hint(format!(
                "psql '{}' -c 'SELECT pg_terminate_backend({})' (after checking what it is)",
                target.display, h.name
            ))
        }
        None => Check::measured(
            "db:oldest_transaction",
            0.0,
            Unit::Seconds,
            thresholds.oldest_transaction,
            "no open transaction holds back cleanup",
        ),
    });
    if let Some(h) = find(HolderKind::ReplicationSlot) {
        let inactive = h.detail.contains("inactive");
        report.checks.push(
            Check::new(
                "db:replication_slot",
                if inactive {
                    Status::Warning
                } else {
                    Status::Ok
                },
                format!(
                    "slot {} holds back cleanup by {} transactions ({})",
                    h.name, h.xmin_age, h.detail
                ),
            )
            .with_value(h.xmin_age as f64, Unit::Count)
            .with_hint(format!(
                "psql '{}' -c \"SELECT pg_drop_replication_slot('{}')\" if its consumer is gone",
                target.display, h.name
            )),
        );
    }
    if let Some(h) = find(HolderKind::PreparedTransaction) {
        let open = h.open_for.unwrap_or_default();
        report.checks.push(
            Check::new(
                "db:prepared_transaction",
                if open >= PREPARED_WARN {
                    Status::Warning
                } else {
                    Status::Ok
                },
                format!(
                    "prepared transaction {:?} open {} holds back cleanup by {} transactions ({})",
                    h.name,
                    human_duration(open),
                    h.xmin_age,
                    h.detail
                ),
            )
            .with_value(open.as_secs_f64().round(), Unit::Seconds)
            .with_hint(format!(
                "psql '{}' -c \"ROLLBACK PREPARED '{}'\" (or COMMIT PREPARED) once its coordinator is known to be gone",
                target.display, h.name
            )),
        );
    }
}

fn index_checks(report: &mut Report, facts: &Facts, server: &Server) {
    let since = server
        .stats_reset
        .map_or_else(|| "statistics began".to_owned(), |t| t.to_rfc3339());
    let unused_bytes: u64 = facts.unused.iter().map(|i| i.bytes).sum();
    report.checks.push(match facts.unused.first() {
        Some(biggest) => Check::new(
            "db:unused_indexes",
            Status::Warning,
            format!(
                "{} indexes ({}) never scanned since {since}, largest {} on {}.{}; primary-key, unique and constraint indexes left out",
                facts.unused.len(),
                human_bytes(unused_bytes),
                biggest.qualified,
                biggest.schema,
                biggest.table
            ),
        )
        .with_value(facts.unused.len() as f64, Unit::Count)
        .with_hint(format!(
            "make sure no replica or monthly job uses it, then DROP INDEX CONCURRENTLY {}",
            biggest.qualified
        )),
        None => Check::new(
            "db:unused_indexes",
            Status::Ok,
            format!("every index was scanned since {since}"),
        )
        .with_value(0.0, Unit::Count),
    });
    report.checks.push(match facts.invalid.first() {
        Some(first) => Check::new(
            "db:invalid_indexes",
            Status::Warning,
            format!(
                "{} invalid indexes (written to, never used), e.g. {} on {}.{}: left by a failed CREATE INDEX CONCURRENTLY or an interrupted REINDEX CONCURRENTLY",
                facts.invalid.len(),
                first.qualified,
                first.schema,
                first.table
            ),
        )
        .with_value(facts.invalid.len() as f64, Unit::Count)
        .with_hint(if first.qualified.contains("_ccnew") {
            format!("DROP INDEX CONCURRENTLY {}", first.qualified)
        } else {
            format!(
                "REINDEX INDEX CONCURRENTLY {} (or DROP INDEX CONCURRENTLY)",
                first.qualified
            )
        }),
        None => Check::new("db:invalid_indexes", Status::Ok, "no invalid index")
            .with_value(0.0, Unit::Count),
    });
}

fn statement_check(report: &mut Report, facts: &Facts, thresholds: &Thresholds) {
    let check = match &facts.statements {
        Statements::NotInstalled => Check::new(
            "db:slow_queries",
            Status::Ok,
            "pg_stat_statements is not installed in this database (CREATE EXTENSION pg_stat_statements shows slow statements here)",
        ),
        Statements::Unavailable(why) => Check::new(
            "db:slow_queries",
            Status::Ok,
            format!("pg_stat_statements is installed but cannot be read: {why}"),
        ),
        Statements::Top(list) => match list.iter().max_by_key(|s| s.mean) {
            Some(slowest) => Check::measured(
                "db:slow_queries",
                slowest.mean.as_secs_f64(),
                Unit::Seconds,
                thresholds.slow_query,
                format!(
                    "slowest on average: {} per call over {} calls: {}",
                    human_duration(slowest.mean),
                    slowest.calls,
                    slowest.query.chars().take(80).collect::<String>()
                ),
            )
            .with_hint("EXPLAIN (ANALYZE, BUFFERS) that statement"),
            None => Check::new(
                "db:slow_queries",
                Status::Ok,
                "pg_stat_statements has no statements for this database yet",
            ),
        },
    };
    report.checks.push(check);
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
                    Cell::Text(format!("{}.{}", i.schema, i.table)),
                    Cell::Bytes(i.bytes),
                    Cell::Integer(i.scans),
                    Cell::Text(i.definition.clone()),
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
