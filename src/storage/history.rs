//! The history store: every check-type run's observed values, statuses and
//! times in one SQLite file, the base of `maint trend` and of predictions.
//!
//! Safe under cron: WAL mode (readers never block the writer, a killed
//! writer leaves the last committed state), a busy timeout (two runs at
//! once wait for each other briefly instead of failing), and every run's
//! records in one transaction. Small and fast at any age: raw points are
//! kept for `raw` (default 14 days); older ones are rolled up into hourly
//! minimum, mean and maximum, and everything older than `keep` (default 400
//! days) is deleted. The roll-up runs inside a run's transaction once an
//! hour has passed the raw window, so each run does at most an hour's worth.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::report::{Status, Unit};
use crate::stats::Point;

const HOUR: i64 = 3600;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create the folder of the history {}: {source}", path.display())]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// How long points are kept, raw and in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub raw: Duration,
    pub keep: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw: Duration::from_secs(14 * 86_400),
            keep: Duration::from_secs(400 * 86_400),
        }
    }
}

impl Retention {
    /// The first second still kept raw at `now`: on an hour, so rolled-up hours are whole.
    fn raw_cutoff(&self, now: i64) -> i64 {
        (now - self.raw.as_secs() as i64).div_euclid(HOUR) * HOUR
    }

    fn keep_cutoff(&self, now: i64) -> i64 {
        now - self.keep.as_secs() as i64
    }
}

/// One check as a run saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub name: String,
    pub unit: Option<Unit>,
    pub status: Option<Status>,
    pub value: Option<f64>,
}

/// A series as `maint trend` reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub unit: Option<Unit>,
    /// The status of its latest observation.
    pub status: Option<Status>,
    /// Hourly means before the raw window, then the raw points, in time order.
    pub points: Vec<Point>,
    /// The lowest and highest values seen, hourly extremes included.
    pub low: f64,
    pub high: f64,
}

/// A series as [`Store::names`] lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Named {
    pub id: i64,
    pub name: String,
    pub unit: Option<Unit>,
    /// The status of its latest observation.
    pub status: Option<Status>,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    unit TEXT,
    status INTEGER
);
CREATE TABLE IF NOT EXISTS points (
    series INTEGER NOT NULL,
    t INTEGER NOT NULL,
    value REAL,
    status INTEGER,
    PRIMARY KEY (series, t)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hourly (
    series INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    min REAL NOT NULL,
    mean REAL NOT NULL,
    max REAL NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (series, hour)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

fn status_number(status: Option<Status>) -> Option<u8> {
    status.map(Status::number)
}

fn status_from(number: Option<u8>) -> Option<Status> {
    number.and_then(|n| {
        [
            Status::Ok,
            Status::Warning,
            Status::Critical,
            Status::Unknown,
        ]
        .into_iter()
        .find(|s| s.number() == n)
    })
}

impl Store {
    /// Opens the store for writing, creating it (and its folder) when absent.
    pub fn open(path: &Path, busy: Duration) -> Result<Store, HistoryError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| HistoryError::Folder {
                path: path.to_owned(),
                source,
            })?;
        }
        let store = Store::connect(path, OpenFlags::default(), busy)?;
        store
            .sql(|conn| {
                // Freed pages go back to the file system as the roll-ups delete
                // points, so the file stays the size of what it holds; this
                // only takes effect on a new, empty file.
                conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
                let mode: String =
                    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
                if !mode.eq_ignore_ascii_case("wal") {
                    return Err(rusqlite::Error::InvalidParameterName(format!(
                        "journal mode stays {mode}"
                    )));
                }
                // WAL with NORMAL survives a killed process; only a power cut
                // may lose the last transactions, never corrupt the file.
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                // The WAL file shrinks back to this after a big import.
                conn.pragma_update(None, "journal_size_limit", 4 * 1024 * 1024)?;
                conn.execute_batch(SCHEMA)
            })
            .map(|()| store)
    }

    /// Opens an existing store to read; None when there is none yet.
    pub fn open_read_only(path: &Path, busy: Duration) -> Result<Option<Store>, HistoryError> {
        if !path.exists() {
            return Ok(None);
        }
        Store::connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY, busy).map(Some)
    }

    fn connect(path: &Path, flags: OpenFlags, busy: Duration) -> Result<Store, HistoryError> {
        let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|source| HistoryError::Sqlite {
                path: path.to_owned(),
                source,
            })?;
        let store = Store {
            conn,
            path: path.to_owned(),
        };
        store.sql(|conn| conn.busy_timeout(busy))?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql<T>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, HistoryError> {
        work(&self.conn).map_err(|source| HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

    /// Records one run's observations at `t` (Unix seconds), and rolls up
    /// and expires what has aged, all in one transaction.
    pub fn record(
        &mut self,
        t: i64,
        observations: &[Observation],
        retention: Retention,
    ) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let mut run = || -> rusqlite::Result<()> {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut point = tx.prepare_cached(
                    "INSERT OR REPLACE INTO points (series, t, value, status) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for observation in observations {
                    let id = series_id(&tx, &observation.name, observation.unit)?;
                    let status = status_number(observation.status);
                    tx.execute(
                        "UPDATE series SET status = ?2 WHERE id = ?1",
                        params![id, status],
                    )?;
                    point.execute(params![id, t, observation.value, status])?;
                }
            }
            compact(&tx, t, retention)?;
            tx.commit()
        };
        run().map_err(|source| HistoryError::Sqlite { path, source })
    }

    /// Adds points from elsewhere (`maint trend --import`): those inside the
    /// raw window as they are, older ones straight into their hours, those
    /// past `keep` not at all. Returns how many points were kept.
    pub fn import(
        &mut self,
        points: impl IntoIterator<Item = (String, Point)>,
        now: i64,
        retention: Retention,
    ) -> Result<usize, HistoryError> {
        let path = self.path.clone();
        let raw_cutoff = retention.raw_cutoff(now);
        let keep_cutoff = retention.keep_cutoff(now);
        let run = || -> rusqlite::Result<usize> {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut ids: BTreeMap<String, i64> = BTreeMap::new();
            let mut hours: BTreeMap<(i64, i64), Hour> = BTreeMap::new();
            let mut kept = 0;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR REPLACE INTO points (series, t, value, status) VALUES (?1, ?2, ?3, NULL)",
                )?;
                for (name, point) in points {
                    if point.t < keep_cutoff || !point.v.is_finite() {
                        continue;
                    }
                    let id = if let Some(id) = ids.get(&name) {
                        *id
                    } else {
                        let id = series_id(&tx, &name, None)?;
                        ids.insert(name, id);
                        id
                    };
                    kept += 1;
                    if point.t >= raw_cutoff {
                        insert.execute(params![id, point.t, point.v])?;
                    } else {
                        hours
                            .entry((id, point.t.div_euclid(HOUR)))
                            .or_insert_with(Hour::empty)
                            .add(point.v);
                    }
                }
            }
            merge_hours(&tx, hours)?;
            tx.commit()?;
            Ok(kept)
        };
        run().map_err(|source| HistoryError::Sqlite { path, source })
    }

    /// The names of the series, with their units and latest statuses.
    pub fn names(&self) -> Result<Vec<Named>, HistoryError> {
        self.sql(|conn| {
            let mut statement =
                conn.prepare("SELECT id, name, unit, status FROM series ORDER BY name")?;
            let rows = statement.query_map([], |row| {
                let unit: Option<String> = row.get(2)?;
                Ok(Named {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    unit: unit.as_deref().and_then(Unit::from_name),
                    status: status_from(row.get(3)?),
                })
            })?;
            rows.collect()
        })
    }

    /// The series called `name` from `since` (Unix seconds) on; None when
    /// it has no value in that time.
    pub fn series(&self, name: &str, since: i64) -> Result<Option<Series>, HistoryError> {
        let Some(named) = self.names()?.into_iter().find(|named| named.name == name) else {
            return Ok(None);
        };
        self.read(named, since)
    }

    /// Reads one series by its id from [`Store::names`].
    pub fn read(&self, named: Named, since: i64) -> Result<Option<Series>, HistoryError> {
        let Named {
            id,
            name,
            unit,
            status,
        } = named;
        let mut points = Vec::new();
        let mut low = f64::INFINITY;
        let mut high = f64::NEG_INFINITY;
        self.sql(|conn| {
            let mut hourly = conn.prepare_cached(
                "SELECT hour, min, mean, max FROM hourly WHERE series = ?1 AND hour >= ?2 ORDER BY hour",
            )?;
            let mut rows = hourly.query(params![id, since.div_euclid(HOUR)])?;
            while let Some(row) = rows.next()? {
                let hour: i64 = row.get(0)?;
                let min: f64 = row.get(1)?;
                let max: f64 = row.get(3)?;
                points.push(Point::new(hour * HOUR + HOUR / 2, row.get(2)?));
                low = low.min(min);
                high = high.max(max);
            }
            let mut raw = conn.prepare_cached(
                "SELECT t, value FROM points WHERE series = ?1 AND t >= ?2 AND value IS NOT NULL ORDER BY t",
            )?;
            let mut rows = raw.query(params![id, since])?;
            while let Some(row) = rows.next()? {
                let value: f64 = row.get(1)?;
                points.push(Point::new(row.get(0)?, value));
                low = low.min(value);
                high = high.max(value);
            }
            Ok(())
        })?;
        Ok((!points.is_empty()).then_some(Series {
            name,
            unit,
            status,
            points,
            low,
            high,
        }))
    }

    /// Whether the file is sound (`PRAGMA quick_check`).
    pub fn check(&self) -> Result<(), HistoryError> {
        let answer: String =
            self.sql(|conn| conn.query_row("PRAGMA quick_check", [], |row| row.get(0)))?;
        if answer == "ok" {
            Ok(())
        } else {
            Err(HistoryError::Sqlite {
                path: self.path.clone(),
                source: rusqlite::Error::InvalidParameterName(answer),
            })
        }
    }
}

fn series_id(conn: &Connection, name: &str, unit: Option<Unit>) -> rusqlite::Result<i64> {
    let mut find = conn.prepare_cached("SELECT id FROM series WHERE name = ?1")?;
    if let Some(id) = find.query_row([name], |row| row.get(0)).optional()? {
        if let Some(unit) = unit {
            conn.execute(
                "UPDATE series SET unit = ?2 WHERE id = ?1 AND unit IS NOT ?2",
                params![id, unit.as_str()],
            )?;
        }
        return Ok(id);
    }
    conn.execute(
        "INSERT INTO series (name, unit) VALUES (?1, ?2)",
        params![name, unit.map(Unit::as_str)],
    )?;
    Ok(conn.last_insert_rowid())
}

/// An hour's points as they are rolled up.
#[derive(Clone, Copy)]
struct Hour {
    min: f64,
    sum: f64,
    max: f64,
    n: i64,
}

impl Hour {
    fn empty() -> Hour {
        Hour {
            min: f64::INFINITY,
            sum: 0.0,
            max: f64::NEG_INFINITY,
            n: 0,
        }
    }

    fn add(&mut self, value: f64) {
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.sum += value;
        self.n += 1;
    }
}

/// Adds rolled-up hours to those already stored, weighting the means.
fn merge_hours(conn: &Connection, hours: BTreeMap<(i64, i64), Hour>) -> rusqlite::Result<()> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO hourly (series, hour, min, mean, max, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (series, hour) DO UPDATE SET
             min = min(min, excluded.min),
             max = max(max, excluded.max),
             mean = (mean * n + excluded.mean * excluded.n) / (n + excluded.n),
             n = n + excluded.n",
    )?;
    for ((series, hour), h) in hours {
        upsert.execute(params![series, hour, h.min, h.sum / h.n as f64, h.max, h.n])?;
    }
    Ok(())
}

/// Rolls the raw points that left the raw window into hours, and deletes
/// what is older than `keep`; nothing when no hour has left since last time.
fn compact(conn: &Connection, now: i64, retention: Retention) -> rusqlite::Result<()> {
    let cutoff = retention.raw_cutoff(now);
    let done: i64 = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'rolled_up_to'",
            [],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(i64::MIN);
    if done >= cutoff {
        return Ok(());
    }
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM series")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut hours: BTreeMap<(i64, i64), Hour> = BTreeMap::new();
    {
        let mut old = conn.prepare_cached(
            "SELECT t, value FROM points WHERE series = ?1 AND t < ?2 AND value IS NOT NULL",
        )?;
        for id in &ids {
            let mut rows = old.query(params![id, cutoff])?;
            while let Some(row) = rows.next()? {
                let t: i64 = row.get(0)?;
                hours
                    .entry((*id, t.div_euclid(HOUR)))
                    .or_insert_with(Hour::empty)
                    .add(row.get(1)?);
            }
        }
    }
    merge_hours(conn, hours)?;
    let keep = retention.keep_cutoff(now);
    for id in &ids {
        conn.execute(
            "DELETE FROM points WHERE series = ?1 AND t < ?2",
            params![id, cutoff],
        )?;
        conn.execute(
            "DELETE FROM hourly WHERE series = ?1 AND hour < ?2",
            params![id, keep.div_euclid(HOUR)],
        )?;
    }
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('rolled_up_to', ?1)",
        [cutoff],
    )?;
    // Give the freed pages back (auto_vacuum = INCREMENTAL); a no-op when none are free.
    conn.query_row("PRAGMA incremental_vacuum", [], |_| Ok(()))
        .optional()?;
    Ok(())
}

/// The numeric fields of one line of a metrics.jsonl (`{"timestamp":
/// "2024-05-01T10:00:00Z", "cpu": 12.5, "disk": {"/": 71}}`), named by
/// their path (`disk./`), with the line's time. The time is `timestamp`,
/// `time` or `ts`: RFC 3339 text or Unix seconds.
pub fn parse_metrics_line(line: &str) -> Result<(i64, Vec<(String, f64)>), String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|err| format!("not JSON: {err}"))?;
    let object = value.as_object().ok_or("not a JSON object")?;
    let (key, time) = ["timestamp", "time", "ts"]
        .iter()
        .find_map(|key| object.get(*key).map(|v| (*key, v)))
        .ok_or("no timestamp (a `timestamp`, `time` or `ts` field)")?;
    let t = match time {
        serde_json::Value::Number(n) => n.as_f64().map(|s| s as i64),
        serde_json::Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|time| time.timestamp()),
        _ => None,
    }
    .ok_or_else(|| format!("`{key}` is neither RFC 3339 time nor Unix seconds"))?;
    let mut fields = Vec::new();
    flatten("", &value, key, &mut fields);
    Ok((t, fields))
}

fn flatten(prefix: &str, value: &serde_json::Value, time_key: &str, out: &mut Vec<(String, f64)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                if prefix.is_empty() && key == time_key {
                    continue;
                }
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, inner, time_key, out);
            }
        }
        serde_json::Value::Number(n) => {
            if let Some(v) = n.as_f64() {
                out.push((prefix.to_owned(), v));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(name: &str, value: f64) -> Observation {
        Observation {
            name: name.into(),
            unit: Some(Unit::Percent),
            status: Some(Status::Ok),
            value: Some(value),
        }
    }

    #[test]
    fn records_read_back_and_roll_up_into_hours() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/history.db");
        let mut store = Store::open(&path, Duration::from_secs(1)).unwrap();
        let retention = Retention {
            raw: Duration::from_secs(86_400),
            keep: Duration::from_secs(10 * 86_400),
        };
        let start = 1_700_000_000 - 1_700_000_000 % HOUR;
        // Three days every ten minutes: two days end up in hours.
        for i in 0..(3 * 144) {
            let t = start + i * 600;
            store
                .record(t, &[observation("disk:/", i as f64)], retention)
                .unwrap();
        }
        let now = start + (3 * 144 - 1) * 600;
        let series = store.series("disk:/", 0).unwrap().unwrap();
        assert_eq!(series.unit, Some(Unit::Percent));
        assert_eq!(series.status, Some(Status::Ok));
        assert_eq!((series.low, series.high), (0.0, 431.0));
        let raw_from = retention.raw_cutoff(now);
        let raw = series.points.iter().filter(|p| p.t >= raw_from).count();
        let hours = series.points.len() - raw;
        assert_eq!(raw as i64, (now - raw_from) / 600 + 1);
        assert_eq!(hours as i64, (raw_from - start) / HOUR);
        // An hour's mean is the mean of its six points.
        assert_eq!(series.points[0], Point::new(start + HOUR / 2, 2.5));
        assert!(series.points.windows(2).all(|w| w[0].t < w[1].t));
        assert_eq!(store.series("nothing", 0).unwrap(), None);
        store.check().unwrap();
    }

    #[test]
    fn imports_route_old_points_into_hours_and_drop_expired_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db"), Duration::from_secs(1)).unwrap();
        let now = 1_700_000_000;
        let points = (0..100).map(|i| ("load".to_owned(), Point::new(now - i * 86_400, 1.0)));
        let kept = store.import(points, now, Retention::default()).unwrap();
        assert_eq!(kept, 100);
        let series = store.series("load", 0).unwrap().unwrap();
        assert_eq!(series.points.len(), 100);
        let old = [("load".to_owned(), Point::new(now - 500 * 86_400, 1.0))];
        assert_eq!(store.import(old, now, Retention::default()).unwrap(), 0);
    }

    #[test]
    fn metrics_lines_parse_with_nested_fields() {
        let (t, fields) = parse_metrics_line(
            r#"{"timestamp":"2024-05-01T10:00:00Z","cpu":12.5,"disk":{"/":71,"/var":40.5},"host":"a"}"#,
        )
        .unwrap();
        assert_eq!(t, 1_714_557_600);
        assert_eq!(
            fields,
            [
                ("cpu".to_owned(), 12.5),
                ("disk./".to_owned(), 71.0),
                ("disk./var".to_owned(), 40.5)
            ]
        );
        assert_eq!(
            parse_metrics_line(r#"{"ts":1714557600,"x":1}"#).unwrap().0,
            1_714_557_600
        );
        assert!(
            parse_metrics_line(r#"{"cpu":1}"#)
                .unwrap_err()
                .contains("no timestamp")
        );
        assert!(parse_metrics_line("nope").is_err());
    }
}
