//! The findings of `maint diagnose`: what is wrong, why it matters and
//! what to run next, from the checks of the collectors it composes and
//! from what only it looks at (out-of-memory kills, failed units, backups
//! dated in the future).

use std::path::PathBuf;

use crate::probe::kernel::OomKill;
use crate::probe::systemd::FailedUnit;
use crate::report::{Check, Status, Unit};
use crate::units::utc_time;

/// "what is wrong. Why it matters." as two sentences.
pub fn with_reason(message: &str, why: Option<&str>) -> String {
    let Some(why) = why else {
        return message.to_owned();
    };
    let mut why = why.to_owned();
    if let Some(first) = why.get(..1) {
        why.replace_range(..1, &first.to_uppercase());
    }
    let stop = if message.ends_with(['.', '?', '!']) {
        ""
    } else {
        "."
    };
    format!("{message}{stop} {why}.")
}

/// A check that is not OK as a finding: with why it matters, unless maint
/// could not tell (then there is nothing to explain yet).
pub fn finding(mut check: Check) -> Check {
    if check.status != Status::Unknown {
        check.message = with_reason(&check.message, check.why);
    }
    check
}

/// The findings among `checks`: those not OK, each with why it matters.
pub fn findings(checks: impl IntoIterator<Item = Check>) -> Vec<Check> {
    checks
        .into_iter()
        .filter(|check| check.status != Status::Ok)
        .map(finding)
        .collect()
}

/// The findings among a health run's checks. "redis:memory: not measured"
/// adds nothing when "redis" itself is a finding, so a check that could
/// not be measured because its parent failed is left out. Health's
/// `systemd` check (failed units) is left to the services section, which
/// makes one finding per failed unit.
pub fn health_findings(checks: Vec<Check>) -> Vec<Check> {
    let failed_parents: Vec<String> = checks
        .iter()
        .filter(|check| check.status != Status::Ok && !check.name.contains(':'))
        .map(|check| check.name.clone())
        .collect();
    findings(checks.into_iter().filter(|check| {
        let parent = check.name.split(':').next().unwrap_or_default();
        check.name != "systemd"
            && !(check.status == Status::Unknown
                && check.name.contains(':')
                && failed_parents.iter().any(|p| p == parent))
    }))
}

/// One finding per process the kernel killed for want of memory: five
/// kills of one worker are one problem.
pub fn oom_kills(kills: &[OomKill]) -> Vec<Check> {
    let mut by_process: Vec<(&str, Vec<&OomKill>)> = Vec::new();
    for kill in kills {
        match by_process
            .iter_mut()
            .find(|(name, _)| *name == kill.process)
        {
            Some((_, list)) => list.push(kill),
            None => by_process.push((&kill.process, vec![kill])),
        }
    }
    by_process
        .into_iter()
        .map(|(name, list)| {
            let last = list.last().expect("groups are never empty");
            let scope = if last.cgroup { "its cgroup's memory limit" } else { "the host's memory" };
            Check::new(
                format!("oom:{name}"),
                Status::Warning,
                format!(
                    "the kernel killed {name} {} for want of {scope}, last at {} (pid {}): its work was lost and it may be restarting in a loop",
                    times(list.len()),
                    utc_time(last.at),
                    last.pid
                ),
            )
            .with_value(list.len() as f64, Unit::Count)
            .with_hint("journalctl -k --since -24h | grep -i 'killed process'; maint health --only memory")
        })
        .collect()
}

fn times(n: usize) -> String {
    if n == 1 {
        "once".to_owned()
    } else {
        format!("{n} times")
    }
}

/// A failed systemd unit: what it runs is down.
pub fn failed_units(units: &[FailedUnit]) -> Vec<Check> {
    units
        .iter()
        .map(|unit| {
            Check::new(
                format!("unit:{}", unit.name),
                Status::Warning,
                format!(
                    "systemd unit {} has failed: what it runs is down, or its last run failed",
                    unit.name
                ),
            )
            .with_hint(format!(
                "systemctl status {0}; journalctl -u {0} -n 50 --no-pager",
                unit.name
            ))
        })
        .collect()
}

/// Backups dated in the future are never taken for the latest: say so.
pub fn future_dated(paths: &[PathBuf]) -> Option<Check> {
    if paths.is_empty() {
        return None;
    }
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    Some(
        Check::new(
            "backup:future_dated",
            Status::Warning,
            format!(
                "{} dated in the future (the clock was wrong when made), never taken for the latest: {}",
                if names.len() == 1 { "a backup is" } else { "backups are" },
                names.join(", ")
            ),
        )
        .with_value(names.len() as f64, Unit::Count)
        .with_hint("timedatectl; chronyc tracking; then maint backup list"),
    )
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn kill(process: &str, pid: u32, at: i64) -> OomKill {
        OomKill {
            at: DateTime::<Utc>::from_timestamp(at, 0).unwrap(),
            pid,
            process: process.into(),
            cgroup: false,
            line: String::new(),
        }
    }

    #[test]
    fn reasons_make_a_second_sentence() {
        assert_eq!(
            with_reason("disk / is 95 % full", Some("when it fills, writes fail")),
            "disk / is 95 % full. When it fills, writes fail."
        );
        assert_eq!(
            with_reason("is it running?", Some("clients wait")),
            "is it running? Clients wait."
        );
        assert_eq!(with_reason("as is", None), "as is");
    }

    #[test]
    fn findings_explain_what_is_wrong_but_not_what_is_unknown() {
        let checks = vec![
            Check::new("cpu", Status::Ok, "fine").because("busy"),
            Check::new("disk:/", Status::Critical, "full").because("writes fail"),
            Check::new("load", Status::Unknown, "no figure").because("busy"),
        ];
        let found = findings(checks);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].message, "full. Writes fail.");
        assert_eq!(found[1].message, "no figure");
    }

    #[test]
    fn a_failed_parent_hides_its_unmeasured_children() {
        let checks = vec![
            Check::new("redis", Status::Critical, "refused"),
            Check::new("redis:memory", Status::Unknown, "not measured"),
            Check::new("disk:/", Status::Unknown, "statvfs hung"),
        ];
        let names: Vec<String> = health_findings(checks)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["redis", "disk:/"]);
    }

    #[test]
    fn oom_kills_are_one_finding_per_process() {
        let found = oom_kills(&[
            kill("worker", 10, 100),
            kill("nginx", 11, 200),
            kill("worker", 12, 300),
        ]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name, "oom:worker");
        assert_eq!(found[0].value, Some(2.0));
        assert!(found[0].message.contains("worker 2 times"));
        assert!(
            found[0]
                .message
                .contains("last at 1970-01-01 00:05:00 UTC (pid 12)")
        );
        assert!(found[1].message.contains("nginx once"));
    }

    #[test]
    fn failed_units_and_future_backups_are_warnings() {
        let unit = FailedUnit {
            name: "app.service".into(),
            description: "the app".into(),
        };
        let found = failed_units(&[unit]);
        assert_eq!(found[0].name, "unit:app.service");
        assert_eq!(found[0].status, Status::Warning);
        assert!(future_dated(&[]).is_none());
        let future = future_dated(&[PathBuf::from("/b/app-2099.tar.gz")]).unwrap();
        assert!(
            future
                .message
                .starts_with("a backup is dated in the future")
        );
        assert!(future.message.ends_with(": app-2099.tar.gz"));
    }
}
