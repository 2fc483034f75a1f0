//! The history as the commands use it: where the store is and how long it
//! keeps what (from `[history]`, resolved before anything runs), recording a
//! check run's report at the edge (`run.rs`, so no command knows of it),
//! and the predictions `health` (and through it `diagnose`) makes from it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::config::Loaded;
use crate::report::{Check, Report, Threshold};
use crate::storage::history::{HistoryError, Observation, Retention, Store};

/// The environment variable that replaces the default store path (tests
/// and benchmarks point it at a folder of their own); `[history] path` wins over it.
pub const PATH_ENV: &str = "MAINT_HISTORY_PATH";

/// The commands whose checks are recorded: those that observe, and the
/// sizes `backup create` makes. Routines are not (their steps record
/// themselves), nor is `trend`, which reads.
const RECORDED: &[&str] = &[
    "health",
    "diagnose",
    "certs check",
    "db report",
    "redis report",
    "logs analyze",
    "backup list",
    "backup verify",
    "backup drill",
    "backup create",
];

/// A run waits this long for another run's write before it gives up
/// (and warns): cron runs overlap for milliseconds, not seconds.
const WRITE_WAIT: Duration = Duration::from_millis(1500);
/// Predictions read under this bound, so a locked store never slows `health`.
const READ_WAIT: Duration = Duration::from_millis(200);

/// Sizes made daily are fitted over at least this long.
const BACKUP_WINDOW: Duration = Duration::from_secs(30 * 86_400);
const DEFAULT_WINDOW: Duration = Duration::from_secs(7 * 86_400);
const DEFAULT_MIN_POINTS: usize = 12;
/// Days: warning below 14, critical below 3 (issue 16).
const FULL_IN: (f64, f64) = (14.0, 3.0);
const DOUBLES_IN: (f64, f64) = (30.0, 7.0);

/// `[history]`, resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    /// None when there is nowhere to keep it (no HOME, not root).
    pub path: Option<PathBuf>,
    pub retention: Retention,
    pub window: Duration,
    pub min_points: usize,
    pub full_in: Threshold,
    pub doubles_in: Threshold,
}

impl Settings {
    pub fn resolve(loaded: &Loaded) -> Result<Settings> {
        let config = &loaded.config.history;
        let span =
            |key: &str, value: &Option<toml::Spanned<crate::units::Span>>, default| match value {
                Some(spanned) if spanned.get_ref().0.is_zero() => {
                    Err(loaded.invalid(&format!("history.{key}"), spanned, "must be more than 0"))
                }
                Some(spanned) => Ok(spanned.get_ref().0),
                None => Ok(default),
            };
        let defaults = Retention::default();
        let retention = Retention {
            raw: span("raw", &config.raw, defaults.raw)?,
            keep: span("keep", &config.keep, defaults.keep)?,
        };
        let window = span("window", &config.window, DEFAULT_WINDOW)?;
        let min_points = match &config.min_points {
            Some(spanned) if *spanned.get_ref() < 3 => {
                return Err(loaded
                    .invalid(
                        "history.min_points",
                        spanned,
                        "a line needs at least 3 points",
                    )
                    .into());
            }
            Some(spanned) => *spanned.get_ref(),
            None => DEFAULT_MIN_POINTS,
        };
        Ok(Settings {
            path: config.path.clone().or_else(default_path),
            retention,
            window,
            min_points,
            full_in: loaded.levels(
                "history.full_in",
                config.full_in.as_ref(),
                Threshold::below(FULL_IN.0, FULL_IN.1),
            )?,
            doubles_in: loaded.levels(
                "history.doubles_in",
                config.doubles_in.as_ref(),
                Threshold::below(DOUBLES_IN.0, DOUBLES_IN.1),
            )?,
        })
    }
}

/// $MAINT_HISTORY_PATH, else /var/lib/maint for root and the XDG state
/// folder for everyone else.
pub fn default_path() -> Option<PathBuf> {
    let env = |key: &str| {
        std::env::var_os(key)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(path) = env(PATH_ENV) {
        return Some(path);
    }
    if rustix::process::geteuid().is_root() {
        return Some(PathBuf::from("/var/lib/maint/history.db"));
    }
    env("XDG_STATE_HOME")
        .or_else(|| env("HOME").map(|home| home.join(".local/state")))
        .map(|state| state.join("maint/history.db"))
}

pub fn is_recorded(command: &str) -> bool {
    RECORDED.contains(&command)
}

/// The name a check is kept under: as it is for `health`, whose names
/// are the ones people know (`disk:/`), and after its command for the
/// others (`backup create/archive`), whose names only mean something there.
pub fn series_name(command: &str, check: &str) -> String {
    if command == "health" {
        check.to_owned()
    } else {
        format!("{command}/{check}")
    }
}

/// Records a check run's checks.
pub fn record(report: &Report, settings: &Settings) -> Result<(), HistoryError> {
    let Some(path) = &settings.path else {
        return Ok(());
    };
    // A plan (`health --list`) observed nothing.
    if report.listing || report.checks.is_empty() {
        return Ok(());
    }
    let observations: Vec<Observation> = report
        .checks
        .iter()
        .map(|check| Observation {
            name: series_name(&report.command, &check.name),
            unit: check.unit,
            status: Some(check.status),
            value: check.value.filter(|v| v.is_finite()),
        })
        .collect();
    let mut store = Store::open(path, WRITE_WAIT)?;
    store.record(
        report.started_at.timestamp(),
        &observations,
        settings.retention,
    )
}

/// The predictions for what `report` measured, from the history and the
/// values in `report` itself (not recorded yet). Nothing when there is no
/// store or it cannot be read: a prediction is extra, never a failure.
pub fn predictions(report: &Report, settings: &Settings, notes: super::Notes) -> Vec<Check> {
    let Some(path) = &settings.path else {
        return Vec::new();
    };
    let store = match Store::open_read_only(path, READ_WAIT) {
        Ok(Some(store)) => store,
        Ok(None) => return Vec::new(),
        Err(err) => {
            notes.note(|| format!("no predictions: {err}"));
            return Vec::new();
        }
    };
    let now = report.started_at.timestamp();
    let since = now - settings.window.as_secs() as i64;
    let rules = crate::judge::trend::Rules {
        min_points: settings.min_points,
        full_in: settings.full_in,
        doubles_in: settings.doubles_in,
        now,
    };
    let mut checks = Vec::new();
    let read = |name: &str, since: i64| match store.series(name, since) {
        Ok(series) => series.map(|s| s.points).unwrap_or_default(),
        Err(err) => {
            notes.note(|| format!("no prediction for {name}: {err}"));
            Vec::new()
        }
    };
    for check in &report.checks {
        let kind = check.name.split(':').next().unwrap_or_default();
        if !matches!(kind, "disk" | "inodes") {
            continue;
        }
        let Some(value) = check.value else { continue };
        let mut points = read(&check.name, since);
        points.retain(|p| p.t < now);
        points.push(crate::stats::Point::new(now, value));
        checks.extend(crate::judge::trend::full_in(&check.name, &points, &rules));
    }
    for (name, what) in [
        ("backup create/archive", "backup size"),
        ("backup create/database", "database dump"),
        ("db report/db:size", "database size"),
    ] {
        // Backups and reports come daily: a week would be too few points for a line.
        let points = read(name, since.min(now - BACKUP_WINDOW.as_secs() as i64));
        checks.extend(crate::judge::trend::growth(name, what, &points, &rules));
    }
    checks
}
