//! `db report`'s verdicts on the server: its role (and a standby's
//! replay), what holds back cleanup (transactions, replication slots,
//! prepared transactions), unused and invalid indexes, and the slowest
//! statements. `display` is the server as hints name it (no password).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::tables::ago;
use crate::probe::pgname::qualified;
use crate::probe::pgstats::{Holder, HolderKind, IndexInfo, Slot, Standby, Statements};
use crate::report::{Check, Status, Threshold, Unit};
use crate::units::{human_bytes, human_duration};

/// A prepared transaction older than this is probably forgotten.
const PREPARED_WARN: Duration = Duration::from_secs(300);

const OLDEST_TRANSACTION: &str =
    "what it holds back cannot be vacuumed anywhere, so bloat grows until it ends";
const INVALID_INDEXES: &str = "an invalid index is maintained on every write and used by no read";
const UNUSED_INDEXES: &str = "an unused index costs every write and disk space for nothing";

/// What to run about a holder: end it, drop it, or finish it.
pub fn holder_hint(holder: &Holder, display: &str) -> String {
    let name = holder.name.replace('\'', "''");
    match holder.kind {
        HolderKind::Transaction => format!(
            "psql '{}' -c 'SELECT pg_terminate_backend({})' (after checking what it is)",
            display, holder.name
        ),
        HolderKind::ReplicationSlot => format!(
            "psql '{display}' -c \"SELECT pg_drop_replication_slot('{name}')\" if its consumer is gone"
        ),
        HolderKind::PreparedTransaction => format!(
            "psql '{display}' -c \"ROLLBACK PREPARED '{name}'\" (or COMMIT PREPARED) once its coordinator is known to be gone"
        ),
        HolderKind::StandbyFeedback => "on the standby: SELECT pid, now() - xact_start, query FROM pg_stat_activity ORDER BY 2 DESC NULLS LAST (its oldest query holds cleanup back here; hot_standby_feedback = off trades that for query cancellations there)".to_owned(),
    }
}

/// Primary or standby, and on a standby how far replay has come.
pub fn role(standby: Option<&Standby>, replicas: i64, display: &str) -> Check {
    let Some(standby) = standby else {
        return Check::new(
            "db:role",
            Status::Ok,
            format!(
                "primary (read-write), {} standby{} streaming from it",
                replicas,
                if replicas == 1 { "" } else { "s" }
            ),
        );
    };
    let of = standby.primary().map_or_else(
        || "its primary".to_owned(),
        |p| format!("the primary at {p}"),
    );
    let behind = standby.replay_behind_bytes.unwrap_or(0).max(0) as u64;
    let replay = match standby.last_replay {
        Some(time) => format!(
            "last replayed commit {} ({})",
            ago(Some(time)),
            crate::units::utc_time(time)
        ),
        None => "nothing replayed since it started".to_owned(),
    };
    // Caught up with what it received: no lag, however old the last commit.
    let lag = if behind == 0 {
        0.0
    } else {
        standby.last_replay.map_or(0.0, |time| {
            (Utc::now() - time)
                .to_std()
                .unwrap_or_default()
                .as_secs_f64()
                .round()
        })
    };
    let common = "dead-tuple and vacuum statistics here are this standby's own and do not reflect the primary";
    match standby.receiver.as_deref() {
        Some(state) => Check::new(
            "db:role",
            Status::Ok,
            format!(
                "standby (read-only, in recovery) of {of}: WAL receiver {state}, replay {} behind what it received, {replay}; {common}",
                human_bytes(behind)
            ),
        )
        .with_value(lag, Unit::Seconds),
        None => Check::new(
            "db:role",
            Status::Warning,
            format!(
                "standby (read-only, in recovery) receiving no WAL from its primary (no WAL receiver: cut off, or restoring from an archive), {replay}; {common}"
            ),
        )
        .with_value(lag, Unit::Seconds)
        .with_hint(format!(
            "psql '{display}' -c 'SELECT * FROM pg_stat_wal_receiver'; check primary_conninfo and the server log"
        )),
    }
}

/// The database's size on disk: never a problem by itself, but recorded in
/// the history, where its growth becomes a prediction (`predict:db:size`).
pub fn size(database: &str, bytes: i64) -> Check {
    let bytes = bytes.max(0) as u64;
    Check::new(
        "db:size",
        Status::Ok,
        format!("{database}: {} on disk", human_bytes(bytes)),
    )
    .with_value(bytes as f64, Unit::Bytes)
}

/// Replication slots keep WAL until their consumer reads it: an inactive
/// one keeps it forever, and the primary's disk fills.
pub fn slots(slots: &[Slot], levels: Threshold, display: &str) -> Check {
    let inactive: Vec<&Slot> = slots.iter().filter(|s| !s.active).collect();
    let lost: Vec<&Slot> = slots
        .iter()
        .filter(|s| s.wal_status.as_deref() == Some("lost"))
        .collect();
    let describe = |slot: &Slot| {
        format!(
            "{} slot {:?}{} keeps {} of WAL{}",
            slot.kind,
            slot.name,
            slot.database
                .as_ref()
                .map_or_else(String::new, |db| format!(" (database {db})")),
            human_bytes(slot.retained_bytes.unwrap_or(0).max(0) as u64),
            slot.wal_status
                .as_ref()
                .map_or_else(String::new, |status| format!(", wal_status {status}"))
        )
    };
    let drop_hint = |slot: &Slot| {
        format!(
            "if its consumer is gone for good: psql '{}' -c \"SELECT pg_drop_replication_slot('{}')\"",
            display,
            slot.name.replace('\'', "''")
        )
    };
    let check = match inactive.first() {
        None => Check::measured(
            "db:slot_wal",
            0.0,
            Unit::Bytes,
            levels,
            if slots.is_empty() {
                "no replication slot".to_owned()
            } else {
                format!(
                    "{} replication slot{}, all active",
                    slots.len(),
                    if slots.len() == 1 { "" } else { "s" }
                )
            },
        ),
        Some(worst) => {
            let more = inactive.len() - 1;
            Check::measured(
                "db:slot_wal",
                worst.retained_bytes.unwrap_or(0).max(0) as f64,
                Unit::Bytes,
                levels,
                format!(
                    "inactive {}: nothing reads it, so the WAL grows until it is dropped or its consumer returns{}",
                    describe(worst),
                    if more > 0 {
                        format!(" ({more} more inactive)")
                    } else {
                        String::new()
                    }
                ),
            )
            .with_hint(drop_hint(worst))
        }
    };
    match lost.first() {
        Some(slot) if check.status == Status::Ok => Check::new(
            "db:slot_wal",
            Status::Warning,
            format!(
                "{}: the WAL its consumer needs is gone, it can never catch up",
                describe(slot)
            ),
        )
        .with_hint(drop_hint(slot)),
        _ => check,
    }
}

/// What holds back cleanup: the oldest transaction, a replication slot's
/// xmin, a prepared transaction.
pub fn holders(holders: &[Holder], levels: Threshold, display: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    let find = |kind| holders.iter().find(|h| h.kind == kind);
    checks.push(
        match find(HolderKind::Transaction) {
            Some(h) => {
                let open = h.open_for.unwrap_or_default();
                Check::measured(
                    "db:oldest_transaction",
                    open.as_secs_f64().round(),
                    Unit::Seconds,
                    levels,
                    format!(
                        "pid {} open {} holds back cleanup by {} transactions ({})",
                        h.name,
                        human_duration(open),
                        h.xmin_age,
                        h.detail
                    ),
                )
                .with_hint(holder_hint(h, display))
            }
            None => Check::measured(
                "db:oldest_transaction",
                0.0,
                Unit::Seconds,
                levels,
                "no open transaction holds back cleanup",
            ),
        }
        .because(OLDEST_TRANSACTION),
    );
    if let Some(h) = find(HolderKind::ReplicationSlot) {
        let inactive = h.detail.contains("inactive");
        checks.push(
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
            .with_hint(holder_hint(h, display)),
        );
    }
    if let Some(h) = find(HolderKind::PreparedTransaction) {
        let open = h.open_for.unwrap_or_default();
        checks.push(
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
            .with_hint(holder_hint(h, display)),
        );
    }
    checks
}

/// Indexes never scanned since the statistics began, and invalid ones.
pub fn indexes(
    unused: &[IndexInfo],
    invalid: &[IndexInfo],
    stats_reset: Option<DateTime<Utc>>,
) -> [Check; 2] {
    let since = stats_reset.map_or_else(|| "statistics began".to_owned(), |t| t.to_rfc3339());
    let unused_bytes: u64 = unused.iter().map(|i| i.bytes).sum();
    let unused_check = match unused.first() {
        Some(biggest) => Check::new(
            "db:unused_indexes",
            Status::Warning,
            format!(
                "{} indexes ({}) never scanned since {since}, largest {} on {}; primary-key, unique and constraint indexes left out",
                unused.len(),
                human_bytes(unused_bytes),
                biggest.qualified,
                qualified(&biggest.schema, &biggest.table)
            ),
        )
        .with_value(unused.len() as f64, Unit::Count)
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
    }
    .because(UNUSED_INDEXES);
    let invalid_check = match invalid.first() {
        Some(first) => Check::new(
            "db:invalid_indexes",
            Status::Warning,
            format!(
                "{} invalid indexes (written to, never used), e.g. {} on {}: left by a failed CREATE INDEX CONCURRENTLY or an interrupted REINDEX CONCURRENTLY",
                invalid.len(),
                first.qualified,
                qualified(&first.schema, &first.table)
            ),
        )
        .with_value(invalid.len() as f64, Unit::Count)
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
    }
    .because(INVALID_INDEXES);
    [unused_check, invalid_check]
}

/// The slowest statement on average (pg_stat_statements), or why there is none.
pub fn statements(statements: &Statements, levels: Threshold) -> Check {
    let check = match statements {
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
                levels,
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
    check.because("slow statements hold connections and locks longer")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::pgstats::Statement;

    const DISPLAY: &str = "postgres://app@db/app";

    fn slot(name: &str, active: bool, gib: i64, wal_status: Option<&str>) -> Slot {
        Slot {
            name: name.into(),
            kind: "physical".into(),
            active,
            database: None,
            retained_bytes: Some(gib << 30),
            wal_status: wal_status.map(str::to_owned),
        }
    }

    fn index(name: &str, bytes: u64) -> IndexInfo {
        IndexInfo {
            schema: "public".into(),
            table: "items".into(),
            qualified: format!("public.{name}"),
            bytes,
            scans: 0,
            definition: None,
        }
    }

    #[test]
    fn a_standby_without_a_receiver_is_a_warning() {
        let primary = role(None, 2, DISPLAY);
        assert_eq!(
            primary.message,
            "primary (read-write), 2 standbys streaming from it"
        );
        let mut standby = Standby {
            primary_host: Some("10.0.0.1".into()),
            primary_port: Some(5432),
            receiver: Some("streaming".into()),
            replay_behind_bytes: Some(0),
            last_replay: Some(Utc::now()),
        };
        let streaming = role(Some(&standby), 0, DISPLAY);
        assert_eq!((streaming.status, streaming.value), (Status::Ok, Some(0.0)));
        standby.receiver = None;
        let cut_off = role(Some(&standby), 0, DISPLAY);
        assert_eq!(cut_off.status, Status::Warning);
        assert!(cut_off.hint.unwrap().contains("pg_stat_wal_receiver"));
    }

    #[test]
    fn an_inactive_slot_is_judged_by_the_wal_it_keeps_and_a_lost_one_warns() {
        let levels = Threshold::above((1u64 << 30) as f64, (10u64 << 30) as f64);
        assert_eq!(slots(&[], levels, DISPLAY).message, "no replication slot");
        let kept = slots(
            &[slot("a", true, 0, None), slot("gone", false, 2, None)],
            levels,
            DISPLAY,
        );
        assert_eq!(kept.status, Status::Warning);
        assert!(
            kept.hint
                .unwrap()
                .contains("pg_drop_replication_slot('gone')")
        );
        let lost = slots(&[slot("l", true, 0, Some("lost"))], levels, DISPLAY);
        assert_eq!(lost.status, Status::Warning);
        assert!(
            lost.message.contains("can never catch up"),
            "{}",
            lost.message
        );
    }

    #[test]
    fn holders_name_what_to_end() {
        let holders_found = [
            Holder {
                kind: HolderKind::Transaction,
                name: "4242".into(),
                xmin_age: 1000,
                open_for: Some(Duration::from_secs(3600)),
                detail: "idle in transaction".into(),
            },
            Holder {
                kind: HolderKind::PreparedTransaction,
                name: "tx'1".into(),
                xmin_age: 10,
                open_for: Some(Duration::from_secs(600)),
                detail: String::new(),
            },
        ];
        let checks = holders(&holders_found, Threshold::above(600.0, 3600.0), DISPLAY);
        assert_eq!(checks.len(), 2);
        assert_eq!(
            (checks[0].value, checks[0].status),
            (Some(3600.0), Status::Critical)
        );
        assert!(
            checks[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("pg_terminate_backend(4242)")
        );
        assert_eq!(checks[1].status, Status::Warning, "prepared 10 minutes ago");
        assert!(
            checks[1]
                .hint
                .as_deref()
                .unwrap()
                .contains("ROLLBACK PREPARED 'tx''1'")
        );
        let none = holders(&[], Threshold::above(600.0, 3600.0), DISPLAY);
        assert_eq!(none[0].message, "no open transaction holds back cleanup");
    }

    #[test]
    fn unused_and_invalid_indexes_warn_with_the_statement_to_run() {
        let [unused, invalid] = indexes(
            &[index("big", 1 << 20), index("small", 10)],
            &[index("x_ccnew", 1)],
            None,
        );
        assert_eq!((unused.status, unused.value), (Status::Warning, Some(2.0)));
        assert!(
            unused
                .message
                .contains("largest public.big on public.items"),
            "{}",
            unused.message
        );
        assert_eq!(
            invalid.hint.as_deref(),
            Some("DROP INDEX CONCURRENTLY public.x_ccnew")
        );
        let [clean, valid] = indexes(&[], &[], None);
        assert_eq!((clean.status, valid.status), (Status::Ok, Status::Ok));
    }

    #[test]
    fn the_slowest_statement_on_average_is_measured() {
        let levels = Threshold::above(1.0, 5.0);
        assert_eq!(
            statements(&Statements::NotInstalled, levels).status,
            Status::Ok
        );
        let top = Statements::Top(vec![
            Statement {
                query: "SELECT 1".into(),
                calls: 1000,
                total: Duration::from_secs(1),
                mean: Duration::from_millis(1),
                rows: 1000,
            },
            Statement {
                query: "SELECT pg_sleep(2)".into(),
                calls: 3,
                total: Duration::from_secs(6),
                mean: Duration::from_secs(2),
                rows: 3,
            },
        ]);
        let check = statements(&top, levels);
        assert_eq!((check.value, check.status), (Some(2.0), Status::Warning));
        assert!(
            check.message.ends_with("SELECT pg_sleep(2)"),
            "{}",
            check.message
        );
    }
}
