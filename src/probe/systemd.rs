//! systemd, where it runs: failed units, the state of units that must be
//! active, and every timer with the result of its service's last run.
//!
//! Everything is read from `systemctl` (`list-units`, `show`), run with
//! `TZ=UTC` so the timestamps `show` prints carry no local zone name that
//! could be read two ways.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chrono::{DateTime, NaiveDateTime, Utc};

/// Where systemd, as PID 1, says it runs (what `sd_booted(3)` checks).
pub const RUNTIME_DIR: &str = "/run/systemd/system";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedUnit {
    pub name: String,
    pub description: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SystemdError {
    #[error("cannot run systemctl: {0}")]
    Spawn(std::io::Error),
    #[error("systemctl {command} failed: {message}")]
    Failed { command: String, message: String },
}

/// A unit as `systemctl show` tells it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitState {
    pub id: String,
    /// `loaded`, `not-found`, `masked`, ...
    pub load_state: String,
    /// `active`, `inactive`, `failed`, `activating`, ...
    pub active_state: String,
    pub sub_state: String,
    /// How its last run ended: `success`, `exit-code`, `signal`, `timeout`, ...
    pub result: String,
    /// The exit status of its main process's last run, when it had one.
    pub exec_main_status: Option<i32>,
    pub description: String,
}

/// A timer and the service it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timer {
    pub id: String,
    pub active_state: String,
    /// The unit it triggers (`Unit=`).
    pub unit: String,
    pub last_trigger: Option<DateTime<Utc>>,
    pub next_elapse: Option<DateTime<Utc>>,
    /// Since when it has been active (how long a timer that never ran has waited).
    pub active_since: Option<DateTime<Utc>>,
    /// `OnCalendar=` expressions, normalised by systemd (`*-*-* 00:00:00`).
    pub calendar: Vec<String>,
    /// `OnUnitActiveSec=` and kin, in seconds.
    pub monotonic: Vec<u64>,
    /// The triggered service, when `show` knew it.
    pub service: Option<UnitState>,
}

/// What `maint health` reads from systemd.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overview {
    pub failed: Vec<FailedUnit>,
    /// The units `[health] units` names, in that order.
    pub required: Vec<UnitState>,
    pub timers: Vec<Timer>,
}

/// Whether systemd is the init system here (containers and other inits are not).
pub fn running() -> bool {
    Path::new(RUNTIME_DIR).is_dir()
}

/// None when systemd is not the init system here (containers, other inits).
pub fn failed_units() -> Option<Result<Vec<FailedUnit>, SystemdError>> {
    if !running() {
        return None;
    }
    Some(list_units(&["--state=failed"]).map(|text| parse_list(&text)))
}

/// Failed units, the `required` units' states and every timer, or None
/// where systemd does not run.
pub fn overview(required: &[String]) -> Option<Result<Overview, SystemdError>> {
    if !running() {
        return None;
    }
    Some(read_overview(required))
}

fn read_overview(required: &[String]) -> Result<Overview, SystemdError> {
    let failed = parse_list(&list_units(&["--state=failed"])?);
    let required = if required.is_empty() {
        Vec::new()
    } else {
        let mut names = vec!["show".to_owned(), format!("--property={UNIT_PROPERTIES}")];
        names.push("--".to_owned());
        names.extend(required.iter().cloned());
        parse_show(&systemctl(&names)?)
            .iter()
            .map(unit_state)
            .collect()
    };
    let timer_names: Vec<String> = parse_list(&list_units(&["--type=timer", "--all"])?)
        .into_iter()
        .map(|unit| unit.name)
        .collect();
    let timers = if timer_names.is_empty() {
        Vec::new()
    } else {
        let mut args = vec!["show".to_owned(), format!("--property={TIMER_PROPERTIES}")];
        args.push("--".to_owned());
        args.extend(timer_names);
        let mut timers: Vec<Timer> = parse_show(&systemctl(&args)?).iter().map(timer).collect();
        let services: Vec<String> = timers
            .iter()
            .map(|t| t.unit.clone())
            .filter(|u| !u.is_empty())
            .collect();
        if !services.is_empty() {
            let mut args = vec!["show".to_owned(), format!("--property={UNIT_PROPERTIES}")];
            args.push("--".to_owned());
            args.extend(services);
            let states: Vec<UnitState> = parse_show(&systemctl(&args)?)
                .iter()
                .map(unit_state)
                .collect();
            for timer in &mut timers {
                timer.service = states.iter().find(|s| s.id == timer.unit).cloned();
            }
        }
        timers
    };
    Ok(Overview {
        failed,
        required,
        timers,
    })
}

const UNIT_PROPERTIES: &str =
    "Id,LoadState,ActiveState,SubState,Result,ExecMainStatus,ExecMainCode,Description";
const TIMER_PROPERTIES: &str = "Id,ActiveState,Unit,LastTriggerUSec,NextElapseUSecRealtime,\
     ActiveEnterTimestamp,TimersCalendar,TimersMonotonic";

fn list_units(filter: &[&str]) -> Result<String, SystemdError> {
    let mut args: Vec<String> = vec!["list-units".into()];
    args.extend(filter.iter().map(|s| (*s).to_owned()));
    args.extend(["--no-legend", "--plain", "--no-pager"].map(str::to_owned));
    systemctl(&args)
}

fn systemctl(args: &[String]) -> Result<String, SystemdError> {
    let output = Command::new("systemctl")
        .args(args)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .env("SYSTEMD_PAGER", "")
        .output()
        .map_err(SystemdError::Spawn)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(SystemdError::Failed {
            command: args.first().cloned().unwrap_or_default(),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

/// `name load active sub description...` per line; a failed unit may be
/// marked with a leading `●` where --plain is not honoured.
fn parse_list(text: &str) -> Vec<FailedUnit> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace().skip_while(|f| *f == "●");
            let name = fields.next()?.to_owned();
            let description = fields.skip(3).collect::<Vec<_>>().join(" ");
            Some(FailedUnit { name, description })
        })
        .collect()
}

/// `systemctl show` of several units: `KEY=VALUE` lines, one blank line
/// between units.
fn parse_show(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut blocks = Vec::new();
    let mut current = BTreeMap::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            current.insert(key.to_owned(), value.to_owned());
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

fn field(block: &BTreeMap<String, String>, key: &str) -> String {
    block.get(key).cloned().unwrap_or_default()
}

fn unit_state(block: &BTreeMap<String, String>) -> UnitState {
    // ExecMainStatus is 0 before any run, and a signal number when
    // ExecMainCode says it was killed (2 = CLD_KILLED, 3 = CLD_DUMPED).
    let killed = matches!(field(block, "ExecMainCode").as_str(), "2" | "3");
    UnitState {
        id: field(block, "Id"),
        load_state: field(block, "LoadState"),
        active_state: field(block, "ActiveState"),
        sub_state: field(block, "SubState"),
        result: field(block, "Result"),
        exec_main_status: field(block, "ExecMainStatus")
            .parse()
            .ok()
            .filter(|_| !killed),
        description: field(block, "Description"),
    }
}

fn timer(block: &BTreeMap<String, String>) -> Timer {
    Timer {
        id: field(block, "Id"),
        active_state: field(block, "ActiveState"),
        unit: field(block, "Unit"),
        last_trigger: timestamp(&field(block, "LastTriggerUSec")),
        next_elapse: timestamp(&field(block, "NextElapseUSecRealtime")),
        active_since: timestamp(&field(block, "ActiveEnterTimestamp")),
        calendar: timer_specs(&field(block, "TimersCalendar"), "OnCalendar"),
        monotonic: ["OnUnitActiveUSec", "OnUnitInactiveUSec", "OnActiveUSec"]
            .iter()
            .flat_map(|key| timer_specs(&field(block, "TimersMonotonic"), key))
            .filter_map(|span| span_seconds(&span))
            .collect(),
        service: None,
    }
}

/// The values of `KEY=` inside `{ KEY=... ; next_elapse=... }` groups,
/// several groups when a timer has several triggers.
fn timer_specs(value: &str, key: &str) -> Vec<String> {
    value
        .split('{')
        .filter_map(|group| {
            let group = group.trim().trim_end_matches('}').trim();
            let (name, rest) = group.split_once('=')?;
            (name.trim() == key).then(|| rest.split(';').next().unwrap_or("").trim().to_owned())
        })
        .collect()
}

/// A systemd time span as `show` prints it: `1d`, `1h 30min`, `15min`, `30s`.
fn span_seconds(text: &str) -> Option<u64> {
    let mut total = 0u64;
    for part in text.split_whitespace() {
        let digits = part.find(|c: char| !c.is_ascii_digit())?;
        let (number, unit) = part.split_at(digits);
        let number: u64 = number.parse().ok()?;
        let scale = match unit {
            "us" => 0,
            "ms" => 0,
            "s" => 1,
            "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            "M" => 2_629_800,
            "y" => 31_557_600,
            _ => return None,
        };
        total += number * scale;
    }
    (total > 0).then_some(total)
}

/// `Sat 2026-11-28 06:00:00 UTC` (as printed under TZ=UTC), `@1700000000`
/// (`--timestamp=unix`), or nothing for `n/a`, empty and zero.
fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(seconds) = text.strip_prefix('@') {
        return DateTime::from_timestamp(seconds.parse().ok()?, 0);
    }
    let mut words = text.split_whitespace();
    let _weekday = words.next()?;
    let date = words.next()?;
    let time = words.next()?;
    if words.next().is_some_and(|zone| zone != "UTC") {
        return None;
    }
    NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_list_units_output() {
        let units = parse_list(
            "nginx.service loaded failed failed A high performance web server\n\
             ● backup.service loaded failed failed Nightly backup\n",
        );
        assert_eq!(units[0].name, "nginx.service");
        assert_eq!(units[0].description, "A high performance web server");
        assert_eq!(units[1].name, "backup.service");
        assert_eq!(units[1].description, "Nightly backup");
    }

    /// `systemctl show --property=... a.timer b.timer` under TZ=UTC, as systemd 252 prints it.
    const TIMERS: &str = "\
Unit=maint-backup.service
TimersMonotonic=
TimersCalendar={ OnCalendar=*-*-* 03:15:00 ; next_elapse=Sun 2026-11-29 03:15:00 UTC }
NextElapseUSecRealtime=Sun 2026-11-29 03:15:00 UTC
LastTriggerUSec=Sat 2026-11-28 03:15:04 UTC
Id=maint-backup.timer
ActiveState=active
ActiveEnterTimestamp=Mon 2026-11-23 09:00:12 UTC

Unit=systemd-tmpfiles-clean.service
TimersMonotonic={ OnBootUSec=15min ; next_elapse=0 } { OnUnitActiveUSec=1d ; next_elapse=0 }
TimersCalendar=
NextElapseUSecRealtime=
LastTriggerUSec=n/a
Id=systemd-tmpfiles-clean.timer
ActiveState=active
ActiveEnterTimestamp=@1795856412
";

    #[test]
    fn parses_timers_from_systemctl_show() {
        let blocks = parse_show(TIMERS);
        assert_eq!(blocks.len(), 2);
        let backup = timer(&blocks[0]);
        assert_eq!(backup.id, "maint-backup.timer");
        assert_eq!(backup.unit, "maint-backup.service");
        assert_eq!(backup.calendar, ["*-*-* 03:15:00"]);
        assert_eq!(
            backup.last_trigger.unwrap().to_rfc3339(),
            "2026-11-28T03:15:04+00:00"
        );
        assert_eq!(
            backup.next_elapse.unwrap().to_rfc3339(),
            "2026-11-29T03:15:00+00:00"
        );
        let tmpfiles = timer(&blocks[1]);
        assert_eq!(tmpfiles.last_trigger, None);
        assert_eq!(tmpfiles.next_elapse, None);
        assert_eq!(tmpfiles.monotonic, [86_400]);
        assert_eq!(tmpfiles.active_since.unwrap().timestamp(), 1_795_856_412);
    }

    #[test]
    fn parses_service_results() {
        let blocks = parse_show(
            "Id=maint-backup.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\n\
             Result=exit-code\nExecMainCode=1\nExecMainStatus=3\nDescription=maint backup\n\n\
             Id=nginx.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n\
             Result=success\nExecMainCode=0\nExecMainStatus=0\nDescription=nginx.service\n\n\
             Id=worker.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\n\
             Result=signal\nExecMainCode=2\nExecMainStatus=9\nDescription=worker\n",
        );
        let states: Vec<UnitState> = blocks.iter().map(unit_state).collect();
        assert_eq!(states[0].result, "exit-code");
        assert_eq!(states[0].exec_main_status, Some(3));
        assert_eq!(states[1].load_state, "not-found");
        assert_eq!(
            states[2].exec_main_status, None,
            "a signal is no exit status"
        );
    }

    #[test]
    fn reads_spans_and_timestamps() {
        assert_eq!(span_seconds("1h 30min"), Some(5400));
        assert_eq!(span_seconds("1w"), Some(604_800));
        assert_eq!(span_seconds("nonsense"), None);
        assert_eq!(timestamp("n/a"), None);
        assert_eq!(timestamp(""), None);
        assert_eq!(timestamp("Sat 2026-11-28 03:15:04 CET"), None);
    }
}
