//! `db report`'s verdicts on its tables: the worst dead-tuple share, the
//! table nearest transaction-id wraparound, the worst estimated bloat,
//! what `db vacuum` would choose, and autovacuum switched off. `again` is
//! what a hint repeats of the command line (`--url ...`).

use std::time::Duration;

use crate::judge::vacuum::Candidate;
use crate::probe::pgstats::{Reliability, Server, Table};
use crate::report::{Check, Status, Threshold, Unit};
use crate::units::{human_bytes, human_duration};

/// Dead-tuple shares of tables with fewer dead tuples than this are noise.
pub const DEAD_TUPLES_FLOOR: i64 = 1000;
/// Bloat estimates of small tables are noise.
pub const BLOAT_FLOOR_BYTES: u64 = 8 << 20;

// Why each finding matters, for the reader of `diagnose`.
const DEAD_TUPLES: &str =
    "dead rows make every scan slower and the table larger until VACUUM reclaims them";
const WRAPAROUND: &str = "near the limit PostgreSQL stops accepting writes to protect the data";
const BLOAT: &str = "a bloated table wastes disk and slows every scan of it";

/// A ratio as a percentage, as reports show it.
fn percent(ratio: f64) -> f64 {
    crate::judge::round1(ratio * 100.0)
}

/// "3h 02m ago", or "never".
pub fn ago(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
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

fn vacuum_hint(again: &str, extra: &str, table: &Table) -> String {
    format!(
        "maint db vacuum{again}{extra} --table {}",
        crate::shell::word(&table.qualified)
    )
}

/// A finding a standby cannot judge: its statistics are its own, and
/// VACUUM runs on its primary (`primary`, as a URL for the hint).
pub fn on_standby(name: &str, primary: &str) -> Check {
    Check::new(
        name,
        Status::Unknown,
        "not judged on a standby: dead tuples, vacuum and analyze times are each server's own statistics, and a standby's do not reflect its primary's (which is where VACUUM runs)",
    )
    .with_hint(format!(
        "maint db report --url {}",
        crate::shell::word(primary)
    ))
}

/// The table with the largest share of dead tuples (among those with
/// enough of them to matter).
pub fn dead_tuples(tables: &[Table], levels: Threshold, again: &str) -> Check {
    let worst = tables
        .iter()
        .filter(|t| t.dead_tuples >= DEAD_TUPLES_FLOOR)
        .max_by(|a, b| a.dead_ratio().total_cmp(&b.dead_ratio()));
    match worst {
        Some(t) => Check::measured(
            "db:dead_tuples",
            percent(t.dead_ratio()),
            Unit::Percent,
            levels,
            format!(
                "{}: {} % dead ({} dead tuples, last vacuum {})",
                t.qualified,
                percent(t.dead_ratio()),
                t.dead_tuples,
                ago(t.last_vacuumed())
            ),
        )
        .with_hint(vacuum_hint(again, "", t)),
        None => Check::measured(
            "db:dead_tuples",
            0.0,
            Unit::Percent,
            levels,
            format!("no table has {DEAD_TUPLES_FLOOR} dead tuples or more"),
        ),
    }
    .because(DEAD_TUPLES)
}

/// The table nearest wraparound, as a share of its freeze limit; None
/// without tables.
pub fn wraparound(
    tables: &[Table],
    server: &Server,
    levels: Threshold,
    again: &str,
) -> Option<Check> {
    let t = tables
        .iter()
        .max_by(|a, b| a.wraparound_ratio().total_cmp(&b.wraparound_ratio()))?;
    Some(
        Check::measured(
            "db:wraparound",
            percent(t.wraparound_ratio()),
            Unit::Percent,
            levels,
            format!(
                "{}: xid age {} ({} % of autovacuum_freeze_max_age {}), multixact age {}; database {} xid age {}",
                t.qualified,
                t.xid_age,
                percent(t.xid_age as f64 / t.settings.freeze_max_age.max(1.0)),
                t.settings.freeze_max_age,
                t.mxid_age,
                server.database,
                server.database_xid_age
            ),
        )
        .with_hint(vacuum_hint(again, "", t))
        .because(WRAPAROUND),
    )
}

/// The table with the largest estimated share of free space (among those
/// large enough, and with an estimate).
pub fn bloat(tables: &[Table], block: i64, levels: Threshold, again: &str) -> Check {
    let share_of = |t: &Table| match t.bloat(block).bytes {
        Some(bytes) if t.heap_bytes(block) > 0 => bytes as f64 / t.heap_bytes(block) as f64,
        _ => 0.0,
    };
    let worst = tables
        .iter()
        .filter(|t| t.heap_bytes(block) >= BLOAT_FLOOR_BYTES)
        .filter(|t| t.bloat(block).reliability != Reliability::Unknown)
        .max_by(|a, b| share_of(a).total_cmp(&share_of(b)));
    match worst {
        Some(t) => {
            let bloat = t.bloat(block);
            Check::measured(
                "db:bloat",
                percent(share_of(t)),
                Unit::Percent,
                levels,
                format!(
                    "{}: about {} of {} is free space (estimate, reliability {})",
                    t.qualified,
                    human_bytes(bloat.bytes.unwrap_or(0)),
                    human_bytes(t.heap_bytes(block)),
                    bloat.reliability.as_str()
                ),
            )
            .with_hint(format!(
                "{} (ACCESS EXCLUSIVE lock: plan a window)",
                vacuum_hint(again, " --full --yes", t)
            ))
        }
        None => Check::measured(
            "db:bloat",
            0.0,
            Unit::Percent,
            levels,
            format!(
                "no table of {} or more with an estimate",
                human_bytes(BLOAT_FLOOR_BYTES)
            ),
        ),
    }
    .because(BLOAT)
}

/// What `maint db vacuum` would choose, the first few named.
pub fn vacuum_needed(chosen: &[Candidate], tables: usize, autovacuum: bool) -> Check {
    let names: Vec<&str> = chosen
        .iter()
        .take(5)
        .map(|c| c.table.qualified.as_str())
        .collect();
    let more = chosen.len().saturating_sub(names.len());
    let message = if chosen.is_empty() {
        format!(
            "no table needs a VACUUM ({tables} tables, autovacuum {})",
            if autovacuum { "on" } else { "OFF" }
        )
    } else {
        format!(
            "{} of {tables} tables would be chosen by maint db vacuum: {}{}",
            chosen.len(),
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    };
    Check::new("db:vacuum_needed", Status::Ok, message).with_value(chosen.len() as f64, Unit::Count)
}

/// Autovacuum off for the whole server (never judged on a standby, where
/// it does not run yet).
pub fn autovacuum(server: &Server) -> Option<Check> {
    (!server.autovacuum && !server.in_recovery).then(|| {
        Check::new(
            "db:autovacuum",
            Status::Warning,
            "autovacuum is off for the whole server: dead tuples pile up and wraparound comes closer",
        )
        .with_hint("set autovacuum = on in postgresql.conf, then SELECT pg_reload_conf()")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::vacuum::{Criteria, candidates};
    use crate::probe::pgstats::fixtures::{server, table};

    fn levels() -> Threshold {
        Threshold::above(20.0, 50.0)
    }

    #[test]
    fn the_worst_dead_share_is_named_and_small_counts_are_noise() {
        let noise = table("noise", 10, 900, 10);
        let busy = table("busy", 3000, 1000, 100);
        let check = dead_tuples(&[noise.clone(), busy], levels(), " --url X");
        assert_eq!(check.value, Some(25.0));
        assert_eq!(check.status, Status::Warning, "25 % is past 20, below 50");
        assert!(
            check
                .message
                .starts_with("public.busy: 25 % dead (1000 dead tuples, last vacuum never)"),
            "{}",
            check.message
        );
        assert_eq!(
            check.hint.as_deref(),
            Some("maint db vacuum --url X --table public.busy")
        );
        let none = dead_tuples(&[noise], levels(), "");
        assert_eq!((none.status, none.value), (Status::Ok, Some(0.0)));
    }

    #[test]
    fn wraparound_is_the_share_of_the_freeze_limit() {
        let mut old = table("old", 10, 0, 1);
        old.xid_age = 180_000_000;
        let check = wraparound(
            &[table("young", 10, 0, 1), old],
            &server(),
            Threshold::above(50.0, 80.0),
            "",
        )
        .unwrap();
        assert_eq!((check.value, check.status), (Some(90.0), Status::Critical));
        assert!(
            check
                .message
                .starts_with("public.old: xid age 180000000 (90 %"),
            "{}",
            check.message
        );
        assert!(wraparound(&[], &server(), levels(), "").is_none());
    }

    #[test]
    fn bloat_needs_a_large_table_with_an_estimate() {
        let small = table("small", 10, 0, 10);
        assert_eq!(bloat(&[small], 8192, levels(), "").value, Some(0.0));
        // 40-byte rows, 2,000 pages: about 360 rows would fill a page of
        // 8 KiB at fillfactor 100; 10,000 rows need ~30 pages.
        let sparse = table("sparse", 10_000, 0, 2000);
        let check = bloat(&[sparse], 8192, levels(), "");
        assert_eq!(check.status, Status::Critical, "{}", check.message);
        assert!(
            check
                .hint
                .unwrap()
                .contains("--full --yes --table public.sparse")
        );
    }

    #[test]
    fn vacuum_needed_names_the_first_five() {
        let tables: Vec<Table> = (0..7)
            .map(|i| table(&format!("t{i}"), 20_000, 20_000, 200))
            .collect();
        let chosen = candidates(tables, &server(), &Criteria::default());
        let check = vacuum_needed(&chosen, 9, true);
        assert_eq!(check.value, Some(7.0));
        assert!(
            check
                .message
                .starts_with("7 of 9 tables would be chosen by maint db vacuum: "),
            "{}",
            check.message
        );
        assert!(check.message.ends_with(" and 2 more"), "{}", check.message);
        assert!(
            vacuum_needed(&[], 3, false)
                .message
                .contains("autovacuum OFF")
        );
        let mut off = server();
        off.autovacuum = false;
        assert_eq!(autovacuum(&off).unwrap().status, Status::Warning);
        off.in_recovery = true;
        assert!(autovacuum(&off).is_none(), "not judged on a standby");
    }
}
