//! Which tables need a VACUUM (or an ANALYZE), why, and in which order:
//! pure functions over the catalog data `probe::pgstats` reads, shared by
//! `maint db vacuum` (what it will do), `maint db report` (what it would
//! do) and `maint diagnose`.

use std::cmp::Ordering;

use crate::probe::pgstats::{Server, Table};

/// What makes a table worth a VACUUM; defaults are in [`Criteria::default`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Criteria {
    /// Dead tuples over all tuples, 0..=1, together with `min_dead_tuples`.
    pub dead_ratio: f64,
    pub min_dead_tuples: i64,
    /// Transaction-id age from which a table is selected; None: the server's
    /// vacuum_freeze_table_age (from there a VACUUM freezes the whole table).
    pub xid_age: Option<i64>,
    /// Select tables whose statistics are stale (autovacuum would analyze them).
    pub stale_statistics: bool,
    /// Select tables past their own autovacuum thresholds.
    pub autovacuum_overdue: bool,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            dead_ratio: 0.10,
            min_dead_tuples: 1000,
            xid_age: None,
            stale_statistics: true,
            autovacuum_overdue: true,
        }
    }
}

/// Why a table was selected.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// Close to a forced anti-wraparound vacuum.
    Wraparound {
        xid_age: i64,
        mxid_age: i64,
    },
    DeadTuples {
        dead: i64,
        ratio: f64,
    },
    /// More dead (or inserted) tuples than its own autovacuum settings allow.
    AutovacuumOverdue {
        dead: i64,
        threshold: f64,
        disabled: bool,
    },
    StaleStatistics {
        modified: i64,
        never_analyzed: bool,
    },
    Named,
}

impl Reason {
    pub fn describe(&self) -> String {
        match self {
            Reason::Wraparound { xid_age, mxid_age } => {
                format!("xid age {xid_age}, multixact age {mxid_age}")
            }
            Reason::DeadTuples { dead, ratio } => {
                format!("{dead} dead tuples ({:.0} %)", ratio * 100.0)
            }
            Reason::AutovacuumOverdue {
                dead,
                threshold,
                disabled,
            } => {
                let why = if *disabled {
                    "autovacuum disabled"
                } else {
                    "autovacuum overdue"
                };
                format!("{why}: {dead} dead > threshold {threshold:.0}")
            }
            Reason::StaleStatistics {
                modified,
                never_analyzed,
            } => {
                if *never_analyzed {
                    format!("never analyzed, {modified} rows changed")
                } else {
                    format!("stale statistics: {modified} rows changed since ANALYZE")
                }
            }
            Reason::Named => "named".to_owned(),
        }
    }
}

/// A table chosen for a VACUUM, with why and how urgently.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub table: Table,
    pub reasons: Vec<Reason>,
    /// Estimated bytes of dead tuples.
    pub dead_bytes: f64,
    pub wraparound: bool,
}

/// Why `table` needs a VACUUM (or ANALYZE), by `criteria`; empty if it does not.
pub fn reasons(table: &Table, server: &Server, criteria: &Criteria) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let xid_limit = criteria.xid_age.unwrap_or(server.vacuum_freeze_table_age);
    let mxid_limit = criteria
        .xid_age
        .unwrap_or(server.vacuum_multixact_freeze_table_age);
    if table.xid_age >= xid_limit || table.mxid_age >= mxid_limit {
        reasons.push(Reason::Wraparound {
            xid_age: table.xid_age,
            mxid_age: table.mxid_age,
        });
    }
    if table.dead_tuples >= criteria.min_dead_tuples && table.dead_ratio() >= criteria.dead_ratio {
        reasons.push(Reason::DeadTuples {
            dead: table.dead_tuples,
            ratio: table.dead_ratio(),
        });
    }
    if criteria.autovacuum_overdue {
        let threshold = table.autovacuum_threshold();
        let inserts_due = table.settings.insert_threshold >= 0.0
            && table.inserted_since_vacuum as f64
                > table.settings.insert_threshold
                    + table.settings.insert_scale_factor * table.rows();
        if table.dead_tuples as f64 > threshold || inserts_due {
            reasons.push(Reason::AutovacuumOverdue {
                dead: table.dead_tuples,
                threshold,
                disabled: !table.settings.enabled,
            });
        }
    }
    if criteria.stale_statistics {
        let never = table.last_analyzed().is_none();
        if table.modified_since_analyze as f64 > table.analyze_threshold() {
            reasons.push(Reason::StaleStatistics {
                modified: table.modified_since_analyze,
                never_analyzed: never,
            });
        }
    }
    reasons
}

/// Whether an ANALYZE alone does what the table needs: every reason it was
/// chosen for is stale statistics (no dead tuples, xid age or autovacuum
/// backlog that only a VACUUM clears). A table named on the command line
/// gets what was asked for.
pub fn analyze_alone(reasons: &[Reason]) -> bool {
    !reasons.is_empty()
        && reasons
            .iter()
            .all(|reason| matches!(reason, Reason::StaleStatistics { .. }))
}

/// The tables to vacuum, most urgent first: wraparound danger (by how close
/// it is), then estimated dead bytes, then size.
pub fn candidates(tables: Vec<Table>, server: &Server, criteria: &Criteria) -> Vec<Candidate> {
    let mut chosen: Vec<Candidate> = tables
        .into_iter()
        .filter_map(|table| {
            let reasons = reasons(&table, server, criteria);
            (!reasons.is_empty()).then(|| candidate(table, reasons, server))
        })
        .collect();
    sort_by_priority(&mut chosen, server.block_size);
    chosen
}

pub fn candidate(table: Table, reasons: Vec<Reason>, server: &Server) -> Candidate {
    let wraparound = reasons
        .iter()
        .any(|r| matches!(r, Reason::Wraparound { .. }));
    Candidate {
        dead_bytes: table.dead_bytes(server.block_size),
        wraparound,
        table,
        reasons,
    }
}

pub fn sort_by_priority(candidates: &mut [Candidate], block_size: i64) {
    candidates.sort_by(|a, b| {
        b.wraparound
            .cmp(&a.wraparound)
            .then_with(|| {
                if a.wraparound && b.wraparound {
                    b.table
                        .wraparound_ratio()
                        .partial_cmp(&a.table.wraparound_ratio())
                        .unwrap_or(Ordering::Equal)
                } else {
                    Ordering::Equal
                }
            })
            .then_with(|| {
                b.dead_bytes
                    .partial_cmp(&a.dead_bytes)
                    .unwrap_or(Ordering::Equal)
            })
            .then_with(|| {
                b.table
                    .total_bytes(block_size)
                    .cmp(&a.table.total_bytes(block_size))
            })
            .then_with(|| a.table.qualified.cmp(&b.table.qualified))
    });
}

/// Which tables a run may choose from.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Tables named one by one (`--table`): chosen whatever their state.
    pub named: Vec<u32>,
    pub excluded: Vec<u32>,
    /// Only tables in these schemas, when any are given (and none named).
    pub schemas: Vec<String>,
}

/// The tables to vacuum in `scope`, most urgent first. Named tables are
/// chosen whatever their state, with their other reasons after `Named`;
/// otherwise `criteria` choose.
pub fn choose(
    tables: Vec<Table>,
    server: &Server,
    criteria: &Criteria,
    scope: &Scope,
) -> Vec<Candidate> {
    let mut chosen: Vec<Candidate> = if scope.named.is_empty() {
        let in_scope = |t: &Table| {
            !scope.excluded.contains(&t.oid)
                && (scope.schemas.is_empty() || scope.schemas.contains(&t.schema))
        };
        candidates(
            tables.into_iter().filter(in_scope).collect(),
            server,
            criteria,
        )
    } else {
        let mut chosen = Vec::new();
        for table in tables {
            if scope.named.contains(&table.oid) && !scope.excluded.contains(&table.oid) {
                let mut reasons = vec![Reason::Named];
                reasons.extend(self::reasons(&table, server, criteria));
                chosen.push(candidate(table, reasons, server));
            }
        }
        sort_by_priority(&mut chosen, server.block_size);
        chosen
    };
    chosen.dedup_by_key(|c| c.table.oid);
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::pgstats::fixtures::{server, table};

    #[test]
    fn clean_tables_are_left_alone_and_bloated_ones_chosen() {
        let server = server();
        let clean = table("clean", 100_000, 10, 1000);
        assert!(reasons(&clean, &server, &Criteria::default()).is_empty());
        let bloated = table("bloated", 20_000, 20_000, 200);
        let why = reasons(&bloated, &server, &Criteria::default());
        assert!(matches!(why[0], Reason::DeadTuples { dead: 20_000, .. }));
        assert!(
            why.iter()
                .any(|r| matches!(r, Reason::AutovacuumOverdue { .. }))
        );
    }

    #[test]
    fn wraparound_comes_first_then_dead_bytes_then_size() {
        let server = server();
        let mut old = table("old", 10, 0, 1);
        old.xid_age = 160_000_000;
        let small_bloat = table("small", 10_000, 5_000, 50);
        let big_bloat = table("big", 100_000, 50_000, 1000);
        let chosen = candidates(
            vec![small_bloat, old, big_bloat, table("clean", 10, 0, 1)],
            &server,
            &Criteria::default(),
        );
        let order: Vec<&str> = chosen.iter().map(|c| c.table.name.as_str()).collect();
        assert_eq!(order, ["old", "big", "small"]);
    }

    #[test]
    fn stale_statistics_select_for_analyze() {
        let server = server();
        let mut t = table("t", 1000, 0, 10);
        t.modified_since_analyze = 500;
        let why = reasons(&t, &server, &Criteria::default());
        assert!(matches!(
            why.as_slice(),
            [Reason::StaleStatistics { modified: 500, .. }]
        ));
    }

    #[test]
    fn named_tables_are_chosen_whatever_their_state_and_scope_limits_the_rest() {
        let server = server();
        let with_oid = |name: &str, oid: u32, dead: i64| {
            let mut t = table(name, 20_000, dead, 200);
            t.oid = oid;
            t
        };
        let tables = || {
            let mut other = with_oid("other", 3, 20_000);
            other.schema = "audit".into();
            vec![
                with_oid("clean", 1, 0),
                with_oid("bloated", 2, 20_000),
                other,
            ]
        };
        let named = Scope {
            named: vec![1],
            ..Scope::default()
        };
        let chosen = choose(tables(), &server, &Criteria::default(), &named);
        assert_eq!(chosen.len(), 1);
        assert_eq!(chosen[0].reasons, [Reason::Named]);
        let public = Scope {
            schemas: vec!["public".into()],
            ..Scope::default()
        };
        let names: Vec<String> = choose(tables(), &server, &Criteria::default(), &public)
            .into_iter()
            .map(|c| c.table.name)
            .collect();
        assert_eq!(names, ["bloated"]);
        let excluded = Scope {
            excluded: vec![2],
            ..Scope::default()
        };
        let names: Vec<String> = choose(tables(), &server, &Criteria::default(), &excluded)
            .into_iter()
            .map(|c| c.table.name)
            .collect();
        assert_eq!(names, ["other"]);
    }

    #[test]
    fn only_stale_statistics_need_no_more_than_an_analyze() {
        let stale = Reason::StaleStatistics {
            modified: 500,
            never_analyzed: true,
        };
        assert!(analyze_alone(std::slice::from_ref(&stale)));
        let dead = Reason::DeadTuples {
            dead: 5000,
            ratio: 0.5,
        };
        assert!(!analyze_alone(&[stale, dead]));
        assert!(!analyze_alone(&[Reason::Named]));
        assert!(!analyze_alone(&[]));
    }
}
