//! Verdicts `maint db report` makes on what `probe::pgcatalog` reads:
//! sessions blocked on locks, sequences near the end of their range, a
//! failing WAL archiver, standbys falling behind, and bloated B-tree indexes
//! (with how far each estimate can be trusted).

pub mod cleanup;
pub mod tables;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::probe::pgcatalog::{Archiver, Blocked, IndexSize, Sequence, Streaming};
use crate::probe::pgstats::Reliability;
use crate::report::{Check, Status, Threshold, Unit};
use crate::units::{human_bytes, human_duration};

const BLOCKED: &str =
    "a session waiting on a lock holds up its caller, and every session queued behind it";
const SEQUENCE: &str = "at the end of its range every INSERT that needs a new value fails";
const ARCHIVER: &str = "WAL that cannot be archived stays in pg_wal until the disk fills, and point-in-time recovery has a hole";
const LAG: &str =
    "a standby behind its primary serves stale reads and loses what it lacks on failover";
const INDEX_BLOAT: &str = "a bloated index wastes disk and cache and makes every scan of it slower";

/// B-tree page overhead: the page header (24 bytes) and the B-tree special space (16).
const PAGE_OVERHEAD: f64 = 40.0;
/// An index tuple's header (8 bytes) and its line pointer (4).
const TUPLE_OVERHEAD: f64 = 12.0;

/// The levels of the checks here; defaults in [`Levels::default`].
#[derive(Clone, Copy, Debug)]
pub struct Levels {
    /// Seconds the longest-waiting session has waited.
    pub blocked: Threshold,
    /// Percent of its range the fullest sequence has used.
    pub sequences: Threshold,
    /// Seconds the worst standby is behind (replay_lag).
    pub replication_lag: Threshold,
    /// Percent of the worst index that is estimated free space.
    pub index_bloat: Threshold,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            blocked: Threshold::above(30.0, 300.0),
            sequences: Threshold::above(75.0, 90.0),
            replication_lag: Threshold::above(60.0, 600.0),
            index_bloat: Threshold::above(50.0, 80.0),
        }
    }
}

/// The longest wait for a lock, with who holds it up.
pub fn blocked(sessions: &[Blocked], levels: Threshold) -> Check {
    let Some(worst) = sessions.iter().max_by_key(|s| s.waiting) else {
        return Check::new("db:blocked", Status::Ok, "no session waits for a lock")
            .with_value(0.0, Unit::Seconds)
            .with_threshold(levels)
            .because(BLOCKED);
    };
    let waiting: Vec<i32> = {
        let mut pids: Vec<i32> = sessions.iter().map(|s| s.pid).collect();
        pids.dedup();
        pids
    };
    let held = worst.blocker_transaction.map_or(String::new(), |age| {
        format!(", its transaction open {}", human_duration(age))
    });
    let hint = if worst.blocker_state.starts_with("idle in transaction") {
        format!(
            "SELECT pg_terminate_backend({}); (idle in transaction: nothing is running, the lock is only held; ask its owner first, then set idle_in_transaction_session_timeout)",
            worst.blocker_pid
        )
    } else {
        format!(
            "SELECT pg_cancel_backend({}); (cancels its statement; pg_terminate_backend ends the session)",
            worst.blocker_pid
        )
    };
    Check::measured(
        "db:blocked",
        worst.waiting.as_secs_f64().round(),
        Unit::Seconds,
        levels,
        format!(
            "{} session{} wait{} for a lock; longest: pid {} ({}) for {} on {:?}, blocked by pid {} ({}, {}{held}) {} {:?}",
            waiting.len(),
            if waiting.len() == 1 { "" } else { "s" },
            if waiting.len() == 1 { "s" } else { "" },
            worst.pid,
            worst.user,
            human_duration(worst.waiting),
            one_line(&worst.query),
            worst.blocker_pid,
            worst.blocker_user,
            worst.blocker_state,
            if worst.blocker_state.starts_with("idle") {
                "whose last statement was"
            } else {
                "running"
            },
            one_line(&worst.blocker_query)
        ),
    )
    .with_hint(hint)
    .because(BLOCKED)
}

fn one_line(query: &str) -> String {
    query.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The largest value a column of this type holds, as `format_type` names it.
fn type_limit(name: &str) -> Option<(i64, i64)> {
    match name {
        "smallint" => Some((i64::from(i16::MIN), i64::from(i16::MAX))),
        "integer" => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
        "bigint" => Some((i64::MIN, i64::MAX)),
        _ => None,
    }
}

/// The share of its range a sequence has used, in percent: towards its own
/// max (or min, counting down) or its column's type's, whichever comes
/// first. None for a sequence that cycles (it wraps by design).
pub fn sequence_used(sequence: &Sequence) -> Option<f64> {
    if sequence.cycle {
        return None;
    }
    let column = sequence.column_type.as_deref().and_then(type_limit);
    let (low, high) = match column {
        Some((low, high)) => (low.max(sequence.min_value), high.min(sequence.max_value)),
        None => (sequence.min_value, sequence.max_value),
    };
    let (used, range) = if sequence.increment > 0 {
        let start = low.max(0);
        (
            sequence.last_value.saturating_sub(start) as f64,
            high.saturating_sub(start) as f64,
        )
    } else {
        let start = high.min(0);
        (
            start.saturating_sub(sequence.last_value) as f64,
            start.saturating_sub(low) as f64,
        )
    };
    (range > 0.0).then(|| (used / range * 100.0).clamp(0.0, 100.0))
}

pub fn sequences(sequences: &[Sequence], levels: Threshold) -> Check {
    let fullest = sequences
        .iter()
        .filter_map(|s| Some((s, sequence_used(s)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let Some((sequence, used)) = fullest else {
        return Check::new("db:sequences", Status::Ok, "no sequence in use")
            .with_value(0.0, Unit::Percent)
            .with_threshold(levels)
            .because(SEQUENCE);
    };
    let used = super::round1(used);
    let feeds = match (&sequence.column, &sequence.column_type) {
        (Some(column), Some(kind)) => format!(", feeding {column} ({kind})"),
        _ => String::new(),
    };
    let hint = match (&sequence.column, sequence.column_type.as_deref()) {
        (Some(column), Some(kind)) if kind != "bigint" => {
            let (table, name) = column.rsplit_once('.').unwrap_or((column, column));
            format!(
                "ALTER TABLE {table} ALTER COLUMN {name} TYPE bigint; ALTER SEQUENCE {} AS bigint; (rewrites the table under an ACCESS EXCLUSIVE lock: plan a window)",
                sequence.qualified
            )
        }
        _ => format!(
            "ALTER SEQUENCE {} AS bigint (or MAXVALUE); check what the application does at the end",
            sequence.qualified
        ),
    };
    Check::measured(
        "db:sequences",
        used,
        Unit::Percent,
        levels,
        format!(
            "{} ({}{feeds}) is at {} of its range: {used} % used",
            sequence.qualified, sequence.data_type, sequence.last_value
        ),
    )
    .with_hint(hint)
    .because(SEQUENCE)
}

/// Whether WAL archiving is failing: a failure after the last success.
pub fn archiver(archiver: &Archiver, now: DateTime<Utc>) -> Check {
    let ago = |time: DateTime<Utc>| human_duration((now - time).to_std().unwrap_or_default());
    if archiver.mode == "off" {
        return Check::new(
            "db:archiver",
            Status::Ok,
            "WAL archiving is off (archive_mode = off)",
        );
    }
    let failing = match (archiver.last_failed, archiver.last_archived) {
        (Some(failed), Some(archived)) => failed > archived,
        (Some(_), None) => true,
        _ => false,
    };
    let last_success = archiver.last_archived.map_or_else(
        || "never archived anything".to_owned(),
        |time| {
            format!(
                "last success {} ago ({})",
                ago(time),
                archiver.last_archived_wal.as_deref().unwrap_or("?")
            )
        },
    );
    let check = if failing {
        Check::new(
            "db:archiver",
            Status::Critical,
            format!(
                "archive_command is failing: {} failures, the last {} ago on {}; {last_success}",
                archiver.failed,
                archiver.last_failed.map_or_else(String::new, ago),
                archiver.last_failed_wal.as_deref().unwrap_or("?")
            ),
        )
        .with_hint(
            "SHOW archive_command; run it by hand as the postgres user on the WAL file named; the server log says why it failed; df -h $PGDATA/pg_wal",
        )
    } else {
        Check::new(
            "db:archiver",
            Status::Ok,
            format!(
                "archiving ({}): {} WAL files archived, {last_success}",
                archiver.mode, archiver.archived
            ),
        )
    };
    check
        .with_value(archiver.failed as f64, Unit::Count)
        .because(ARCHIVER)
}

/// How far behind the standbys streaming from this primary are.
pub fn replication_lag(standbys: &[Streaming], levels: Threshold) -> Check {
    if standbys.is_empty() {
        return Check::new(
            "db:replication_lag",
            Status::Ok,
            "no standby streams from this server",
        )
        .because(LAG);
    }
    let lag = |s: &Streaming| s.replay_lag.unwrap_or(Duration::ZERO);
    let worst = standbys.iter().map(lag).max().unwrap_or_default();
    let listed: Vec<String> = standbys
        .iter()
        .map(|s| {
            format!(
                "{} from {} {}, replay lag {}, {} behind",
                if s.name.is_empty() {
                    "(unnamed)"
                } else {
                    &s.name
                },
                s.client,
                s.state,
                human_duration(lag(s)),
                human_bytes(s.behind_bytes.unwrap_or(0).max(0).unsigned_abs())
            )
        })
        .collect();
    let mut check = Check::measured(
        "db:replication_lag",
        worst.as_secs_f64(),
        Unit::Seconds,
        levels,
        format!(
            "{} standby{}: {}",
            standbys.len(),
            if standbys.len() == 1 { "" } else { "s" },
            listed.join("; ")
        ),
    );
    if standbys.iter().any(|s| s.state != "streaming") {
        check = check.at_least(Status::Warning);
        check
            .message
            .push_str(" (a standby not streaming is catching up or starting)");
    }
    check
        .with_hint(
            "SELECT * FROM pg_stat_replication; on the standby: SELECT * FROM pg_stat_wal_receiver",
        )
        .because(LAG)
}

/// An index's estimated bloat and how far the estimate can be trusted.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexBloat {
    pub index: IndexSize,
    pub expected_pages: Option<i64>,
    /// Estimated free space, percent of the index.
    pub percent: Option<f64>,
    pub bytes: Option<u64>,
    /// Its size now.
    pub size: u64,
    pub reliability: Reliability,
    /// Why the estimate is rough or missing.
    pub note: &'static str,
}

/// The size a fresh build would give the index (leaf pages packed to its
/// fillfactor, about 1 % of inner pages, the metapage) against its size:
/// the method of the usual bloat queries (ioguix), with their limits said.
/// An expression index has no column statistics to estimate from; a
/// partial one's key widths are the whole table's; deduplication
/// (PostgreSQL 13+) packs repeated keys tighter than estimated, so there
/// the estimate errs low.
pub fn index_bloat(index: &IndexSize, block_size: i64) -> IndexBloat {
    let size = index.pages.unsigned_abs() * block_size.unsigned_abs();
    let unknown = |note| IndexBloat {
        index: index.clone(),
        expected_pages: None,
        percent: None,
        bytes: None,
        size,
        reliability: Reliability::Unknown,
        note,
    };
    if index.expression {
        return unknown("expression index: no column statistics to estimate from");
    }
    let Some(width) = index.key_width else {
        return unknown("a key column has no statistics (run ANALYZE)");
    };
    let aligned = (width / 8.0).ceil() * 8.0;
    let usable = (block_size as f64 - PAGE_OVERHEAD) * index.fillfactor / 100.0;
    let per_page = (usable / (aligned + TUPLE_OVERHEAD)).floor().max(1.0);
    let leaves = (index.tuples.max(0.0) / per_page).ceil();
    let expected = (leaves * 1.01).ceil() as i64 + 1;
    let free = (index.pages - expected).max(0);
    IndexBloat {
        index: index.clone(),
        expected_pages: Some(expected),
        percent: Some(super::round1(
            free as f64 * 100.0 / index.pages.max(1) as f64,
        )),
        bytes: Some(free.unsigned_abs() * block_size.unsigned_abs()),
        size,
        reliability: if index.partial {
            Reliability::Rough
        } else {
            Reliability::Good
        },
        note: if index.partial {
            "partial index: key widths are the whole table's"
        } else {
            "plain column index; errs low on deduplicated keys (PostgreSQL 13+)"
        },
    }
}

/// The most bloated index whose estimate can be trusted at all.
pub fn index_bloat_check(estimates: &[IndexBloat], levels: Threshold) -> Check {
    let worst = estimates
        .iter()
        .filter(|e| e.reliability != Reliability::Unknown && e.index.valid)
        .filter_map(|e| Some((e, e.percent?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let unknown = estimates
        .iter()
        .filter(|e| e.reliability == Reliability::Unknown)
        .count();
    let not_estimated = if unknown > 0 {
        format!("; {unknown} not estimated (expression indexes or no statistics)")
    } else {
        String::new()
    };
    let Some((worst, percent)) = worst else {
        return Check::new(
            "db:index_bloat",
            Status::Ok,
            format!("no B-tree index of 1 MiB or more with an estimate{not_estimated}"),
        )
        .with_value(0.0, Unit::Percent)
        .with_threshold(levels)
        .because(INDEX_BLOAT);
    };
    Check::measured(
        "db:index_bloat",
        percent,
        Unit::Percent,
        levels,
        format!(
            "{} on {}: about {} of its {} is free space (estimate, reliability {}: {}){not_estimated}",
            worst.index.qualified,
            worst.index.table,
            human_bytes(worst.bytes.unwrap_or(0)),
            human_bytes(worst.size),
            worst.reliability.as_str(),
            worst.note
        ),
    )
    .with_hint(format!(
        "REINDEX INDEX CONCURRENTLY {} (PostgreSQL 12+; needs its size again in free disk while it runs)",
        worst.index.qualified
    ))
    .because(INDEX_BLOAT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked_session(waiting: u64, state: &str) -> Blocked {
        Blocked {
            pid: 200,
            user: "app".into(),
            waiting: Duration::from_secs(waiting),
            query: "UPDATE orders\n   SET paid = true".into(),
            blocker_pid: 100,
            blocker_user: "admin".into(),
            blocker_state: state.into(),
            blocker_query: "LOCK TABLE orders".into(),
            blocker_transaction: Some(Duration::from_secs(600)),
        }
    }

    #[test]
    fn a_long_lock_wait_names_both_sessions() {
        let check = blocked(
            &[blocked_session(45, "idle in transaction")],
            Levels::default().blocked,
        );
        assert_eq!(check.status, Status::Warning);
        assert!(check.message.contains("pid 200 (app) for 45.0 s on \"UPDATE orders SET paid = true\", blocked by pid 100 (admin, idle in transaction, its transaction open 10m 00s)"), "{}", check.message);
        assert!(
            check
                .hint
                .unwrap()
                .starts_with("SELECT pg_terminate_backend(100);")
        );
        let check = blocked(&[blocked_session(400, "active")], Levels::default().blocked);
        assert_eq!(check.status, Status::Critical);
        assert!(
            check
                .hint
                .unwrap()
                .starts_with("SELECT pg_cancel_backend(100);")
        );
        assert_eq!(blocked(&[], Levels::default().blocked).status, Status::Ok);
    }

    fn sequence(last: i64, data_type: &str, column_type: Option<&str>) -> Sequence {
        Sequence {
            qualified: "public.orders_id_seq".into(),
            data_type: data_type.into(),
            last_value: last,
            min_value: 1,
            max_value: match data_type {
                "integer" => i64::from(i32::MAX),
                _ => i64::MAX,
            },
            increment: 1,
            cycle: false,
            column: column_type.map(|_| "orders.id".into()),
            column_type: column_type.map(Into::into),
        }
    }

    #[test]
    fn sequences_count_against_their_column_type() {
        // A bigint sequence feeding an integer column runs out at the integer's end.
        let feeding_int = sequence(2_040_109_466, "bigint", Some("integer"));
        let used = sequence_used(&feeding_int).unwrap();
        assert!((used - 95.0).abs() < 0.01, "{used}");
        let check = sequences(&[feeding_int], Levels::default().sequences);
        assert_eq!(check.status, Status::Critical);
        assert!(
            check
                .hint
                .unwrap()
                .starts_with("ALTER TABLE orders ALTER COLUMN id TYPE bigint;")
        );
        let roomy = sequence(2_040_109_466, "bigint", Some("bigint"));
        assert!(sequence_used(&roomy).unwrap() < 0.01);
        let cycling = Sequence {
            cycle: true,
            ..sequence(5, "integer", None)
        };
        assert_eq!(sequence_used(&cycling), None);
        let down = Sequence {
            increment: -1,
            min_value: i64::from(i32::MIN),
            max_value: -1,
            last_value: -1_073_741_824,
            ..sequence(0, "integer", None)
        };
        assert!((sequence_used(&down).unwrap() - 50.0).abs() < 0.01);
    }

    #[test]
    fn a_failure_after_the_last_success_is_a_failing_archiver() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let at = |ago: i64| Some(now - chrono::Duration::seconds(ago));
        let failing = Archiver {
            mode: "on".into(),
            archived: 10,
            last_archived: at(3600),
            last_archived_wal: Some("00000001000000000000000A".into()),
            failed: 3,
            last_failed: at(5),
            last_failed_wal: Some("00000001000000000000000B".into()),
        };
        let check = archiver(&failing, now);
        assert_eq!(check.status, Status::Critical);
        assert!(check.message.starts_with("archive_command is failing: 3 failures, the last 5.0 s ago on 00000001000000000000000B; last success 1h 00m ago"), "{}", check.message);
        let recovered = Archiver {
            last_archived: at(1),
            ..failing
        };
        assert_eq!(archiver(&recovered, now).status, Status::Ok);
        assert_eq!(
            archiver(
                &Archiver {
                    mode: "off".into(),
                    ..Archiver::default()
                },
                now
            )
            .status,
            Status::Ok
        );
    }

    #[test]
    fn standbys_are_judged_by_replay_lag() {
        let standby = Streaming {
            name: "replica1".into(),
            client: "10.0.0.2".into(),
            state: "streaming".into(),
            replay_lag: Some(Duration::from_secs(90)),
            behind_bytes: Some(1 << 20),
        };
        let check = replication_lag(
            std::slice::from_ref(&standby),
            Levels::default().replication_lag,
        );
        assert_eq!(check.status, Status::Warning);
        assert!(
            check.message.starts_with(
                "1 standby: replica1 from 10.0.0.2 streaming, replay lag 1m 30s, 1.0 MiB behind"
            ),
            "{}",
            check.message
        );
        let catching_up = Streaming {
            state: "catchup".into(),
            replay_lag: None,
            ..standby
        };
        assert_eq!(
            replication_lag(&[catching_up], Levels::default().replication_lag).status,
            Status::Warning
        );
        assert_eq!(
            replication_lag(&[], Levels::default().replication_lag).status,
            Status::Ok
        );
    }

    fn index(pages: i64, tuples: f64) -> IndexSize {
        IndexSize {
            qualified: "public.orders_pkey".into(),
            table: "public.orders".into(),
            pages,
            tuples,
            key_width: Some(4.0),
            fillfactor: 90.0,
            expression: false,
            partial: false,
            valid: true,
        }
    }

    #[test]
    fn index_bloat_is_estimated_where_it_can_be() {
        // 100,000 int4 keys pack into about 275 pages at fillfactor 90.
        let fresh = index_bloat(&index(276, 100_000.0), 8192);
        assert!(fresh.percent.unwrap() < 5.0, "{fresh:?}");
        assert_eq!(fresh.reliability, Reliability::Good);
        let bloated = index_bloat(&index(2760, 100_000.0), 8192);
        assert!(bloated.percent.unwrap() > 85.0, "{bloated:?}");
        let check = index_bloat_check(&[fresh.clone(), bloated], Levels::default().index_bloat);
        assert_eq!(check.status, Status::Critical);
        assert!(
            check
                .hint
                .unwrap()
                .starts_with("REINDEX INDEX CONCURRENTLY public.orders_pkey")
        );
        let expression = index_bloat(
            &IndexSize {
                expression: true,
                ..index(2760, 100.0)
            },
            8192,
        );
        assert_eq!(expression.reliability, Reliability::Unknown);
        let partial = index_bloat(
            &IndexSize {
                partial: true,
                ..index(2760, 100.0)
            },
            8192,
        );
        assert_eq!(partial.reliability, Reliability::Rough);
        let check = index_bloat_check(&[fresh, expression], Levels::default().index_bloat);
        assert_eq!(check.status, Status::Ok);
        assert!(
            check
                .message
                .ends_with("; 1 not estimated (expression indexes or no statistics)"),
            "{}",
            check.message
        );
    }
}
