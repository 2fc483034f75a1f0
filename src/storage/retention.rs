//! Which backups a retention policy keeps, as restic's `forget` decides it:
//! newest first, the newest backup of each of the last N calendar days,
//! ISO weeks and months is kept, and so are the newest few whatever their
//! dates. Only backups that count (complete and verified) fill the policy;
//! the others are kept and say why, so a run of bad backups can never push
//! the last good ones out.

use chrono::{DateTime, Datelike, Utc};

/// Pre-restore archives are kept this many days, and the newest of each
/// name always: they hold what a restore overwrote, often the only copy.
pub const PRE_RESTORE_DAYS: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub last: usize,
    pub daily: usize,
    pub weekly: usize,
    pub monthly: usize,
}

impl Default for Policy {
    /// As the README says: daily kept 7 days, weekly 4 weeks, monthly 12 months; and the newest 3.
    fn default() -> Self {
        Policy {
            last: 3,
            daily: 7,
            weekly: 4,
            monthly: 12,
        }
    }
}

impl Policy {
    /// A policy whose counts are all 0 would delete every backup; it is
    /// refused, as borg refuses it.
    pub fn keeps_nothing(&self) -> bool {
        self.last == 0 && self.daily == 0 && self.weekly == 0 && self.monthly == 0
    }
}

/// A backup as the policy sees it.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub created_at: DateTime<Utc>,
    /// None when it counts toward the policy; otherwise why it does not.
    pub not_counted: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub keep: bool,
    /// Every reason it stays, or why it goes.
    pub reasons: Vec<String>,
}

/// Decides for each candidate (same order as given).
pub fn decide(policy: Policy, candidates: &[Candidate]) -> Vec<Decision> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|a, b| candidates[*b].created_at.cmp(&candidates[*a].created_at));
    let mut decisions = vec![
        Decision {
            keep: false,
            reasons: Vec::new()
        };
        candidates.len()
    ];
    let mut last_left = policy.last;
    let mut buckets: [(usize, Option<String>); 3] = [
        (policy.daily, None),
        (policy.weekly, None),
        (policy.monthly, None),
    ];
    for index in order {
        let candidate = &candidates[index];
        let decision = &mut decisions[index];
        if let Some(why) = &candidate.not_counted {
            decision.keep = true;
            decision.reasons.push(format!("not counted ({why}): kept"));
            continue;
        }
        if last_left > 0 {
            last_left -= 1;
            decision
                .reasons
                .push(format!("one of the newest {}", policy.last));
        }
        let time = candidate.created_at;
        let labels = [
            ("day", time.format("%Y-%m-%d").to_string()),
            (
                "week",
                format!("{}-W{:02}", time.iso_week().year(), time.iso_week().week()),
            ),
            ("month", time.format("%Y-%m").to_string()),
        ];
        for ((left, last_bucket), (unit, label)) in buckets.iter_mut().zip(labels) {
            if *left > 0 && last_bucket.as_deref() != Some(label.as_str()) {
                *left -= 1;
                *last_bucket = Some(label.clone());
                decision.reasons.push(format!("newest of {unit} {label}"));
            }
        }
        decision.keep = !decision.reasons.is_empty();
        if !decision.keep {
            decision.reasons.push(format!(
                "older than the policy keeps (last {}, daily {}, weekly {}, monthly {})",
                policy.last, policy.daily, policy.weekly, policy.monthly
            ));
        }
    }
    decisions
}

/// The rule for pre-restore archives (given oldest first): the newest is
/// kept, and every one younger than [`PRE_RESTORE_DAYS`]; older ones go.
pub fn decide_pre_restore(times: &[DateTime<Utc>], now: DateTime<Utc>) -> Vec<Decision> {
    let newest = times.iter().max().copied();
    times
        .iter()
        .map(|time| {
            let age = now - *time;
            if Some(*time) == newest {
                Decision {
                    keep: true,
                    reasons: vec!["the newest pre-restore archive: always kept".to_owned()],
                }
            } else if age < chrono::TimeDelta::days(PRE_RESTORE_DAYS) {
                Decision {
                    keep: true,
                    reasons: vec![format!(
                        "a pre-restore archive younger than {PRE_RESTORE_DAYS} days"
                    )],
                }
            } else {
                Decision {
                    keep: false,
                    reasons: vec![format!(
                        "a pre-restore archive older than {PRE_RESTORE_DAYS} days, and a newer one is kept"
                    )],
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn candidates(times: &[DateTime<Utc>]) -> Vec<Candidate> {
        times
            .iter()
            .map(|t| Candidate {
                created_at: *t,
                not_counted: None,
            })
            .collect()
    }

    #[test]
    fn two_a_day_for_sixty_days() {
        let start = at("2026-01-01T03:00:00Z");
        let times: Vec<_> = (0..120).map(|i| start + Duration::hours(12 * i)).collect();
        let decisions = decide(Policy::default(), &candidates(&times));
        let kept: Vec<_> = times
            .iter()
            .zip(&decisions)
            .filter(|(_, d)| d.keep)
            .map(|(t, _)| *t)
            .collect();
        // 7 days' newest, plus the newest of the 4 weeks and of 3 months
        // (Jan, Feb, Mar), some shared; the newest 3 include one extra same-day backup.
        let newest = *times.last().unwrap();
        assert!(kept.contains(&newest));
        assert!(kept.contains(&(newest - Duration::hours(12))), "newest 3");
        let days: std::collections::BTreeSet<_> = kept.iter().map(DateTime::date_naive).collect();
        assert!(days.len() >= 7);
        assert!(
            kept.contains(&at("2026-01-31T15:00:00Z")),
            "newest of January"
        );
        assert!(kept.len() < 16, "{kept:?}");
        for (time, decision) in times.iter().zip(&decisions) {
            assert!(!decision.reasons.is_empty(), "{time}");
        }
    }

    #[test]
    fn backups_that_do_not_count_never_push_good_ones_out() {
        let start = at("2026-03-01T01:00:00Z");
        let mut list = candidates(
            &(0..10)
                .map(|i| start + Duration::days(i))
                .collect::<Vec<_>>(),
        );
        // The newest five are damaged: the good ones before them still fill the policy.
        for candidate in &mut list[5..] {
            candidate.not_counted = Some("damaged".into());
        }
        let policy = Policy {
            last: 1,
            daily: 3,
            weekly: 0,
            monthly: 0,
        };
        let decisions = decide(policy, &list);
        let keep: Vec<bool> = decisions.iter().map(|d| d.keep).collect();
        assert_eq!(
            keep,
            [false, false, true, true, true, true, true, true, true, true]
        );
        assert_eq!(decisions[9].reasons, ["not counted (damaged): kept"]);
        assert!(decisions[0].reasons[0].starts_with("older than the policy keeps"));
    }

    #[test]
    fn pre_restore_archives_keep_the_newest_and_a_month() {
        let now = at("2026-06-30T00:00:00Z");
        let times = [
            at("2026-01-01T00:00:00Z"),
            at("2026-06-20T00:00:00Z"),
            at("2026-06-29T00:00:00Z"),
        ];
        let keep: Vec<bool> = decide_pre_restore(&times, now)
            .iter()
            .map(|d| d.keep)
            .collect();
        assert_eq!(keep, [false, true, true]);
        let old = decide_pre_restore(&times[..1], now);
        assert!(old[0].keep, "the newest is always kept");
        assert!(
            Policy {
                last: 0,
                daily: 0,
                weekly: 0,
                monthly: 0
            }
            .keeps_nothing()
        );
        assert!(!Policy::default().keeps_nothing());
    }
}
