//! The part of `maint db report` beyond vacuuming: sessions blocked on
//! locks, sequences near the end of their range, the WAL archiver, the
//! standbys' lag and index bloat, read by `probe::pgcatalog`, judged by
//! `judge::dbreport`, laid out here.

use anyhow::Result;
use chrono::Utc;
use postgres::Client;

use super::query_error;
use crate::config::Loaded;
use crate::judge::dbreport::{self, IndexBloat, Levels};
use crate::probe::pgcatalog::{self, Archiver, Blocked, IndexSize, Sequence, Streaming};
use crate::probe::pgstats::Server;
use crate::probe::postgres::Target;
use crate::report::{Cell, Check, Column, Report, Section, Status};

/// Rows of each table of this part.
const ROWS: usize = 20;

/// What this part reads, in five queries.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub blocked: Vec<Blocked>,
    pub sequences: Vec<Sequence>,
    pub archiver: Option<Archiver>,
    /// Standbys streaming from this server (a primary's view).
    pub streaming: Vec<Streaming>,
    pub indexes: Vec<IndexSize>,
}

/// `[postgres.report]` levels over the defaults.
pub(super) fn levels(loaded: &Loaded) -> Result<Levels> {
    let report = loaded.config.postgres.as_ref().map(|p| &p.report);
    let base = Levels::default();
    Ok(Levels {
        blocked: loaded.levels(
            "postgres.report.blocked",
            report.and_then(|r| r.blocked.as_ref()),
            base.blocked,
        )?,
        sequences: loaded.levels(
            "postgres.report.sequences",
            report.and_then(|r| r.sequences.as_ref()),
            base.sequences,
        )?,
        replication_lag: loaded.levels(
            "postgres.report.replication_lag",
            report.and_then(|r| r.replication_lag.as_ref()),
            base.replication_lag,
        )?,
        index_bloat: loaded.levels(
            "postgres.report.index_bloat",
            report.and_then(|r| r.index_bloat.as_ref()),
            base.index_bloat,
        )?,
    })
}

pub(super) fn gather(client: &mut Client, server: &Server, target: &Target) -> Result<Catalog> {
    let fail = |doing: &'static str| move |err: postgres::Error| query_error(&err, target, doing);
    // pg_sequences and the lag columns of pg_stat_replication came in 10.
    if server.version_num < 100_000 {
        return Ok(Catalog::default());
    }
    Ok(Catalog {
        blocked: pgcatalog::blocked_sessions(client, server.version_num)
            .map_err(fail("reading sessions blocked on locks"))?,
        sequences: pgcatalog::sequences(client).map_err(fail("reading pg_sequences"))?,
        archiver: Some(pgcatalog::archiver(client).map_err(fail("reading pg_stat_archiver"))?),
        // pg_current_wal_lsn() is a primary's: a standby has its own lag in db:role.
        streaming: if server.in_recovery {
            Vec::new()
        } else {
            pgcatalog::streaming(client).map_err(fail("reading pg_stat_replication"))?
        },
        indexes: pgcatalog::index_sizes(client).map_err(fail("reading index sizes"))?,
    })
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

pub(super) fn build(report: &mut Report, catalog: &Catalog, server: &Server, levels: &Levels) {
    report
        .checks
        .push(dbreport::blocked(&catalog.blocked, levels.blocked));
    report
        .checks
        .push(dbreport::sequences(&catalog.sequences, levels.sequences));
    if let Some(archiver) = &catalog.archiver {
        report.checks.push(dbreport::archiver(archiver, Utc::now()));
    }
    report.checks.push(if server.in_recovery {
        Check::new(
            "db:replication_lag",
            Status::Ok,
            "a standby: how far its own replay is behind is in db:role",
        )
    } else {
        dbreport::replication_lag(&catalog.streaming, levels.replication_lag)
    });
    let mut estimates: Vec<IndexBloat> = catalog
        .indexes
        .iter()
        .map(|index| dbreport::index_bloat(index, server.block_size))
        .collect();
    report
        .checks
        .push(dbreport::index_bloat_check(&estimates, levels.index_bloat));

    report.sections.push(Section {
        name: "blocked_sessions".to_owned(),
        title: "Sessions waiting for a lock".to_owned(),
        columns: vec![
            Column::new("pid", "PID"),
            Column::new("user", "USER"),
            Column::new("waiting_seconds", "WAITING"),
            Column::new("query", "QUERY"),
            Column::new("blocker_pid", "BLOCKED BY"),
            Column::new("blocker_state", "ITS STATE"),
            Column::new("blocker_query", "ITS QUERY"),
        ],
        rows: catalog
            .blocked
            .iter()
            .take(ROWS)
            .map(|b| {
                vec![
                    Cell::Integer(i64::from(b.pid)),
                    text(&b.user),
                    Cell::Duration(b.waiting),
                    text(b.query.chars().take(120).collect::<String>()),
                    Cell::Integer(i64::from(b.blocker_pid)),
                    text(&b.blocker_state),
                    text(b.blocker_query.chars().take(120).collect::<String>()),
                ]
            })
            .collect(),
    });
    let mut used: Vec<(&Sequence, f64)> = catalog
        .sequences
        .iter()
        .filter_map(|s| Some((s, dbreport::sequence_used(s)?)))
        .collect();
    used.sort_by(|a, b| b.1.total_cmp(&a.1));
    report.sections.push(Section {
        name: "sequences".to_owned(),
        title: "Sequences, fullest first".to_owned(),
        columns: vec![
            Column::new("sequence", "SEQUENCE"),
            Column::new("type", "TYPE"),
            Column::new("column", "FEEDS"),
            Column::new("last_value", "LAST VALUE"),
            Column::new("used_percent", "USED %"),
        ],
        rows: used
            .iter()
            .take(ROWS)
            .map(|(s, percent)| {
                vec![
                    text(&s.qualified),
                    text(&s.data_type),
                    match (&s.column, &s.column_type) {
                        (Some(column), Some(kind)) => text(format!("{column} ({kind})")),
                        _ => Cell::Empty,
                    },
                    Cell::Integer(s.last_value),
                    Cell::Number(crate::judge::round1(*percent)),
                ]
            })
            .collect(),
    });
    if !catalog.streaming.is_empty() {
        report.sections.push(Section {
            name: "standbys".to_owned(),
            title: "Standbys streaming from this server".to_owned(),
            columns: vec![
                Column::new("name", "NAME"),
                Column::new("client", "CLIENT"),
                Column::new("state", "STATE"),
                Column::new("replay_lag_seconds", "REPLAY LAG"),
                Column::new("behind_bytes", "BEHIND"),
            ],
            rows: catalog
                .streaming
                .iter()
                .map(|s| {
                    vec![
                        text(&s.name),
                        text(&s.client),
                        text(&s.state),
                        s.replay_lag.map_or(Cell::Empty, Cell::Duration),
                        s.behind_bytes
                            .map_or(Cell::Empty, |b| Cell::Bytes(b.max(0).unsigned_abs())),
                    ]
                })
                .collect(),
        });
    }
    // Most bloated first; those not estimated after, so they are seen.
    estimates.sort_by(|a, b| {
        b.percent
            .unwrap_or(-1.0)
            .total_cmp(&a.percent.unwrap_or(-1.0))
    });
    report.sections.push(Section {
        name: "index_bloat".to_owned(),
        title: "B-tree indexes of 1 MiB or more, by estimated bloat".to_owned(),
        columns: vec![
            Column::new("index", "INDEX"),
            Column::new("table", "TABLE"),
            Column::new("bytes", "SIZE"),
            Column::new("bloat_percent", "BLOAT %"),
            Column::new("bloat_bytes", "FREE (EST.)"),
            Column::new("reliability", "RELIABILITY"),
            Column::new("note", "WHY"),
        ],
        rows: estimates
            .iter()
            .take(ROWS)
            .map(|e| {
                vec![
                    text(&e.index.qualified),
                    text(&e.index.table),
                    Cell::Bytes(e.size),
                    e.percent.map_or(Cell::Empty, Cell::Number),
                    e.bytes.map_or(Cell::Empty, Cell::Bytes),
                    text(e.reliability.as_str()),
                    text(e.note),
                ]
            })
            .collect(),
    });
}
