//! systemd as `maint health` sees it: failed units (`systemd`), each unit
//! `[health] units` says must be active (`systemd:UNIT`), and the timers
//! (`systemd:timers`) whose service's last run failed or that have not run
//! for longer than their schedule allows.

use chrono::{DateTime, Utc};

use crate::probe::systemd::{Overview, SystemdError, Timer};
use crate::report::{Check, Status, Unit};
use crate::units::{compact_duration, human_duration};

const WHY_UNIT: &str = "a unit that must run is down: what it serves is not being served";
const WHY_TIMER: &str = "a scheduled job that fails or stops running (backups, renewals, \
     rotations) fails silently until what it protects is needed";

/// The checks, from what systemd said (None: systemd does not run here).
pub fn health(
    overview: Option<&Result<Overview, SystemdError>>,
    required: &[String],
    now: DateTime<Utc>,
) -> Vec<Check> {
    let overview = match overview {
        None => return not_running(required),
        Some(Err(err)) => {
            return std::iter::once("systemd".to_owned())
                .chain(required.iter().map(|unit| format!("systemd:{unit}")))
                .chain(std::iter::once("systemd:timers".to_owned()))
                .map(|name| {
                    Check::new(name, Status::Unknown, format!("not available: {err}"))
                        .with_hint("systemctl --failed")
                })
                .collect();
        }
        Some(Ok(overview)) => overview,
    };
    let mut checks = vec![failed(overview)];
    for name in required {
        checks.push(required_unit(name, overview));
    }
    checks.push(timers(&overview.timers, now));
    checks
}

/// Where systemd is not the init system nothing can have failed under it,
/// but whether a named unit runs cannot be told.
fn not_running(required: &[String]) -> Vec<Check> {
    let reason =
        "systemd is not running here (no /run/systemd/system: a container or another init)";
    let mut checks = vec![Check::new(
        "systemd",
        Status::Ok,
        format!("not available: {reason}; no units to check"),
    )];
    for unit in required {
        checks.push(
            Check::new(
                format!("systemd:{unit}"),
                Status::Unknown,
                format!("not available: {reason}, so whether {unit} is active cannot be told"),
            )
            .with_hint("remove it from [health] units on hosts without systemd"),
        );
    }
    checks.push(Check::new(
        "systemd:timers",
        Status::Ok,
        format!("not available: {reason}; no timers to check"),
    ));
    checks
}

fn failed(overview: &Overview) -> Check {
    let count = overview.failed.len();
    let check = if count == 0 {
        Check::new("systemd", Status::Ok, "no failed units")
    } else {
        let names: Vec<&str> = overview.failed.iter().map(|u| u.name.as_str()).collect();
        Check::new(
            "systemd",
            Status::Warning,
            format!("{count} failed: {}", names.join(", ")),
        )
        .with_hint(format!(
            "systemctl status {0}; journalctl -u {0} -n 50 --no-pager",
            names[0]
        ))
        .because(WHY_UNIT)
    };
    #[allow(clippy::cast_precision_loss)]
    check.with_value(count as f64, Unit::Count)
}

fn required_unit(name: &str, overview: &Overview) -> Check {
    let check_name = format!("systemd:{name}");
    let hint = format!("systemctl status {name}; journalctl -u {name} -n 50 --no-pager");
    let Some(state) = overview.required.iter().find(|s| s.id == name) else {
        return Check::new(
            check_name,
            Status::Unknown,
            "systemctl show said nothing of it",
        )
        .with_hint(hint);
    };
    if state.load_state != "loaded" {
        return Check::new(
            check_name,
            Status::Critical,
            format!("{name} is {} (it must be active)", state.load_state),
        )
        .with_hint(format!("systemctl list-unit-files '{name}'"))
        .because(WHY_UNIT);
    }
    let shown = format!("{} ({})", state.active_state, state.sub_state);
    let status = match state.active_state.as_str() {
        "active" => Status::Ok,
        // On its way up or reloading: not down, not yet up.
        "activating" | "reloading" => Status::Warning,
        _ => Status::Critical,
    };
    let mut message = format!("{name} is {shown}");
    if status == Status::Critical && state.result != "success" && !state.result.is_empty() {
        message.push_str(&format!(
            "; its last run ended with {}",
            exit_detail(&state.result, state.exec_main_status)
        ));
    }
    let check = Check::new(check_name, status, message);
    if status == Status::Ok {
        check
    } else {
        check.with_hint(hint).because(WHY_UNIT)
    }
}

fn exit_detail(result: &str, status: Option<i32>) -> String {
    match status {
        Some(code) if result == "exit-code" => format!("exit-code (status {code})"),
        _ => result.to_owned(),
    }
}

/// The longest a schedule leaves between two runs, when it can be told
/// from the timer's triggers: the largest of its monotonic spans and the
/// calendar expressions' periods.
fn period(timer: &Timer) -> Option<u64> {
    timer
        .monotonic
        .iter()
        .copied()
        .chain(
            timer
                .calendar
                .iter()
                .filter_map(|spec| calendar_period(spec)),
        )
        .max()
}

/// An upper bound on the time between two elapses of a normalised
/// `OnCalendar=` expression (`[WEEKDAYS] YEAR-MONTH-DAY HOUR:MINUTE:SECOND`):
/// the coarsest field left as a wildcard says how often it repeats.
fn calendar_period(spec: &str) -> Option<u64> {
    const DAY: u64 = 86_400;
    let words: Vec<&str> = spec.split_whitespace().collect();
    let (weekdays, date, time) = match words.as_slice() {
        [date, time] => (None, *date, *time),
        [weekdays, date, time] if !weekdays.contains('-') => (Some(*weekdays), *date, *time),
        // A time zone after the time does not change the period.
        [date, time, _zone] => (None, *date, *time),
        [weekdays, date, time, _zone] => (Some(*weekdays), *date, *time),
        _ => return None,
    };
    let free = |field: &str| field.contains('*') || field.contains('/') || field.contains("..");
    let time: Vec<&str> = time.split(':').collect();
    let date: Vec<&str> = date.split(['-', '~']).collect();
    if time.len() != 3 || date.len() != 3 {
        return None;
    }
    let every_day = if weekdays.is_some() {
        7 * DAY
    } else if free(date[2]) {
        DAY
    } else if free(date[1]) || date[1].contains(',') {
        31 * DAY
    } else {
        366 * DAY
    };
    // Every hour of every day it runs on; a day's hours with gaps repeat daily.
    Some(if every_day == DAY && free(time[0]) {
        3600
    } else {
        every_day
    })
}

/// How late a run may be before it counts as missed: half a period past
/// the period, which covers `RandomizedDelaySec` spread and a host asleep.
fn allowed(period: u64) -> u64 {
    period + period / 2
}

fn timers(timers: &[Timer], now: DateTime<Utc>) -> Check {
    let mut failed = Vec::new();
    let mut late = Vec::new();
    for timer in timers {
        if let Some(service) = &timer.service
            && !service.result.is_empty()
            && service.result != "success"
        {
            failed.push(format!(
                "{} (its last run of {} ended with {})",
                timer.id,
                timer.unit,
                exit_detail(&service.result, service.exec_main_status)
            ));
            continue;
        }
        if timer.active_state != "active" {
            continue;
        }
        let Some(period) = period(timer) else {
            continue;
        };
        let since = timer.last_trigger.or(timer.active_since);
        if let Some(since) = since {
            let age = (now - since).num_seconds().max(0).unsigned_abs();
            if age > allowed(period) {
                let what = if timer.last_trigger.is_some() {
                    "last ran"
                } else {
                    "has never run, active since"
                };
                late.push(format!(
                    "{} ({what} {} ago; its schedule runs it at least every {})",
                    timer.id,
                    human_duration(std::time::Duration::from_secs(age)),
                    compact_duration(std::time::Duration::from_secs(period))
                ));
            }
        }
    }
    let count = timers.len();
    #[allow(clippy::cast_precision_loss)]
    let bad = (failed.len() + late.len()) as f64;
    if failed.is_empty() && late.is_empty() {
        return Check::new(
            "systemd:timers",
            Status::Ok,
            format!("{count} timers, each on schedule and its last run succeeded"),
        )
        .with_value(0.0, Unit::Count);
    }
    let first = failed.first().or(late.first()).expect("one is not empty");
    let first_timer = first.split(' ').next().unwrap_or_default();
    let mut parts = Vec::new();
    if !failed.is_empty() {
        parts.push(format!("last run failed: {}", failed.join(", ")));
    }
    if !late.is_empty() {
        parts.push(format!("late: {}", late.join(", ")));
    }
    let status = if failed.is_empty() {
        Status::Warning
    } else {
        Status::Critical
    };
    Check::new("systemd:timers", status, parts.join("; "))
        .with_value(bad, Unit::Count)
        .with_hint(format!(
            "systemctl list-timers --all; systemctl status {first_timer}; journalctl -u {first_timer} -n 50 --no-pager"
        ))
        .because(WHY_TIMER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::systemd::{FailedUnit, UnitState};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn service(id: &str, result: &str, status: i32) -> UnitState {
        UnitState {
            id: id.into(),
            load_state: "loaded".into(),
            active_state: if result == "success" {
                "inactive"
            } else {
                "failed"
            }
            .into(),
            sub_state: "dead".into(),
            result: result.into(),
            exec_main_status: Some(status),
            description: String::new(),
        }
    }

    fn timer(id: &str, calendar: &str, last: Option<&str>, service: UnitState) -> Timer {
        Timer {
            id: id.into(),
            active_state: "active".into(),
            unit: service.id.clone(),
            last_trigger: last.map(at),
            next_elapse: None,
            active_since: Some(at("2026-11-01T00:00:00Z")),
            calendar: vec![calendar.into()],
            monotonic: vec![],
            service: Some(service),
        }
    }

    #[test]
    fn without_systemd_nothing_failed_but_required_units_are_unknown() {
        let checks = health(None, &["nginx.service".into()], Utc::now());
        assert_eq!(checks[0].status, Status::Ok);
        assert!(
            checks[0]
                .message
                .starts_with("not available: systemd is not running here")
        );
        assert_eq!(checks[1].name, "systemd:nginx.service");
        assert_eq!(checks[1].status, Status::Unknown);
        assert!(
            checks[1]
                .message
                .contains("whether nginx.service is active cannot be told")
        );
        assert_eq!(checks[2].name, "systemd:timers");
    }

    #[test]
    fn required_units_must_be_active() {
        let mut nginx = service("nginx.service", "success", 0);
        nginx.active_state = "active".into();
        nginx.sub_state = "running".into();
        let overview = Overview {
            failed: vec![FailedUnit {
                name: "worker.service".into(),
                description: "worker".into(),
            }],
            required: vec![
                nginx,
                service("worker.service", "exit-code", 1),
                UnitState {
                    id: "gone.service".into(),
                    load_state: "not-found".into(),
                    ..UnitState::default()
                },
            ],
            timers: vec![],
        };
        let required = ["nginx.service", "worker.service", "gone.service"].map(String::from);
        let checks = health(Some(&Ok(overview)), &required, Utc::now());
        let by = |name: &str| checks.iter().find(|c| c.name == name).unwrap();
        assert_eq!(by("systemd").status, Status::Warning);
        assert_eq!(by("systemd").message, "1 failed: worker.service");
        assert_eq!(by("systemd:nginx.service").status, Status::Ok);
        assert_eq!(
            by("systemd:nginx.service").message,
            "nginx.service is active (running)"
        );
        let worker = by("systemd:worker.service");
        assert_eq!(worker.status, Status::Critical);
        assert_eq!(
            worker.message,
            "worker.service is failed (dead); its last run ended with exit-code (status 1)"
        );
        assert_eq!(by("systemd:gone.service").status, Status::Critical);
        assert_eq!(
            by("systemd:gone.service").message,
            "gone.service is not-found (it must be active)"
        );
    }

    #[test]
    fn timers_whose_service_failed_are_critical_and_late_ones_warn() {
        let now = at("2026-11-28T12:00:00Z");
        let ok = timer(
            "logrotate.timer",
            "*-*-* 00:00:00",
            Some("2026-11-28T00:00:00Z"),
            service("logrotate.service", "success", 0),
        );
        let late = timer(
            "maint-backup.timer",
            "*-*-* 03:15:00",
            Some("2026-11-25T03:15:00Z"),
            service("maint-backup.service", "success", 0),
        );
        let failed = timer(
            "certbot.timer",
            "*-*-* 00,12:00:00",
            Some("2026-11-28T00:00:00Z"),
            service("certbot.service", "exit-code", 2),
        );
        let check = timers(std::slice::from_ref(&ok), now);
        assert_eq!(check.status, Status::Ok);
        assert_eq!(
            check.message,
            "1 timers, each on schedule and its last run succeeded"
        );

        let check = timers(&[ok.clone(), late.clone()], now);
        assert_eq!(check.status, Status::Warning);
        assert!(
            check
                .message
                .starts_with("late: maint-backup.timer (last ran 3d 08h ago; its schedule runs it at least every 1d)"),
            "{}",
            check.message
        );

        let check = timers(&[ok, late, failed], now);
        assert_eq!(check.status, Status::Critical);
        assert!(
            check.message.starts_with(
                "last run failed: certbot.timer (its last run of certbot.service ended with exit-code (status 2))"
            ),
            "{}",
            check.message
        );
        assert!(
            check
                .hint
                .unwrap()
                .contains("systemctl status certbot.timer")
        );
    }

    #[test]
    fn a_timer_that_never_ran_is_late_from_when_it_started() {
        let mut never = timer(
            "weekly.timer",
            "Mon *-*-* 00:00:00",
            None,
            service("weekly.service", "success", 0),
        );
        never.active_since = Some(at("2026-11-01T00:00:00Z"));
        let check = timers(&[never], at("2026-11-28T00:00:00Z"));
        assert_eq!(check.status, Status::Warning);
        assert!(
            check.message.contains("has never run, active since"),
            "{}",
            check.message
        );
    }

    #[test]
    fn calendar_periods_are_upper_bounds() {
        assert_eq!(calendar_period("*-*-* 00:00:00"), Some(86_400));
        assert_eq!(calendar_period("*-*-* *:00:00"), Some(3600));
        assert_eq!(calendar_period("*-*-* *:*:00"), Some(3600));
        assert_eq!(calendar_period("*-*-* 03:*:00"), Some(86_400));
        assert_eq!(calendar_period("Mon *-*-* 00:00:00"), Some(7 * 86_400));
        assert_eq!(calendar_period("*-*-01 00:00:00"), Some(31 * 86_400));
        assert_eq!(calendar_period("*-01-01 00:00:00"), Some(366 * 86_400));
        assert_eq!(
            calendar_period("*-*-* 06:00:00 Europe/Berlin"),
            Some(86_400)
        );
        assert_eq!(calendar_period("garbage"), None);
    }
}
