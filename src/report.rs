//! The report every command returns and every renderer reads: a list of
//! checks (or action items), each with a status, and optional tables
//! (sections). Its JSON form is the versioned contract scripts rely on.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

/// Bumped when a field changes meaning or disappears; new fields do not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// The verdict of one check, and of a whole report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl Status {
    /// How bad a status is when several are combined: an unreachable target
    /// (UNKNOWN) must not hide a critical one, and a warning outranks "could not tell".
    pub fn severity(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Unknown => 1,
            Status::Warning => 2,
            Status::Critical => 3,
        }
    }

    pub fn worst(self, other: Status) -> Status {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// The worst of many; no statuses at all is OK.
    pub fn worst_of(statuses: impl IntoIterator<Item = Status>) -> Status {
        statuses.into_iter().fold(Status::Ok, Status::worst)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// The number Nagios plugins and the Prometheus status gauge use.
    pub fn number(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }
}

/// What an observed value measures; renderers use it to format the value and
/// to name Prometheus gauges in base units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Percent,
    Bytes,
    Seconds,
    Days,
    Count,
    PerCore,
}

impl Unit {
    /// The name JSON gives it, which the history store keeps.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Percent => "percent",
            Unit::Bytes => "bytes",
            Unit::Seconds => "seconds",
            Unit::Days => "days",
            Unit::Count => "count",
            Unit::PerCore => "per_core",
        }
    }

    pub fn from_name(name: &str) -> Option<Unit> {
        [
            Unit::Percent,
            Unit::Bytes,
            Unit::Seconds,
            Unit::Days,
            Unit::Count,
            Unit::PerCore,
        ]
        .into_iter()
        .find(|unit| unit.as_str() == name)
    }
}

/// Which side of a threshold is bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Bad when the value reaches the threshold or goes over it (disk use).
    Above,
    /// Bad when the value falls below the threshold (days left on a
    /// certificate: "fewer than 30 days" is critical, 30 is not).
    Below,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Threshold {
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub direction: Direction,
}

impl Threshold {
    pub fn above(warning: f64, critical: f64) -> Self {
        Threshold {
            warning: Some(warning),
            critical: Some(critical),
            direction: Direction::Above,
        }
    }

    pub fn below(warning: f64, critical: f64) -> Self {
        Threshold {
            warning: Some(warning),
            critical: Some(critical),
            direction: Direction::Below,
        }
    }

    pub fn judge(&self, value: f64) -> Status {
        let crosses = |limit: Option<f64>| match (limit, self.direction) {
            (Some(limit), Direction::Above) => value >= limit,
            (Some(limit), Direction::Below) => value < limit,
            (None, _) => false,
        };
        if crosses(self.critical) {
            Status::Critical
        } else if crosses(self.warning) {
            Status::Warning
        } else {
            Status::Ok
        }
    }
}

/// One line of a report: a check's verdict, or one item an action worked on.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub value: Option<f64>,
    pub unit: Option<Unit>,
    pub threshold: Option<Threshold>,
    pub message: String,
    /// The command an operator would run next.
    pub hint: Option<String>,
    pub elapsed: Option<Duration>,
    /// Why a problem here matters, said by the judge that knows the check,
    /// for a reader who does not (`diagnose` adds it to its findings).
    /// Not part of the JSON contract.
    pub why: Option<&'static str>,
}

impl Check {
    pub fn new(name: impl Into<String>, status: Status, message: impl Into<String>) -> Self {
        Check {
            name: name.into(),
            status,
            value: None,
            unit: None,
            threshold: None,
            message: message.into(),
            hint: None,
            elapsed: None,
            why: None,
        }
    }

    /// A measured value judged against its threshold: the status follows from both.
    pub fn measured(
        name: impl Into<String>,
        value: f64,
        unit: Unit,
        threshold: Threshold,
        message: impl Into<String>,
    ) -> Self {
        Check::new(name, threshold.judge(value), message)
            .with_value(value, unit)
            .with_threshold(threshold)
    }

    pub fn with_value(mut self, value: f64, unit: Unit) -> Self {
        self.value = Some(value);
        self.unit = Some(unit);
        self
    }

    pub fn with_threshold(mut self, threshold: Threshold) -> Self {
        self.threshold = Some(threshold);
        self
    }

    /// Sets the hint shown when the check is not OK; an OK check keeps none.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        if self.status != Status::Ok {
            self.hint = Some(hint.into());
        }
        self
    }

    /// Says why a problem with what this check measures matters.
    pub fn because(mut self, why: &'static str) -> Self {
        self.why = Some(why);
        self
    }

    /// Raises the status to at least `status` (never lowers it).
    pub fn at_least(mut self, status: Status) -> Self {
        self.status = self.status.worst(status);
        self
    }
}

/// Whether a command observes (its exit code says what it saw) or acts (its
/// exit code says whether the work was done). See the README, "Exit codes".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Check,
    Action,
}

/// A table that belongs to a report beyond its checks (templates, listings).
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Key in JSON.
    pub name: String,
    /// Heading in a table; an empty title keeps the section out of tables
    /// (data for JSON only, such as a long histogram).
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub key: String,
    pub title: String,
}

impl Column {
    pub fn new(key: &str, title: &str) -> Self {
        Column {
            key: key.to_owned(),
            title: title.to_owned(),
        }
    }
}

/// A typed table cell: JSON keeps the number, a table shows it for people.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Integer(i64),
    Number(f64),
    Bytes(u64),
    Duration(Duration),
    Time(DateTime<Utc>),
    Empty,
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Text(text) => serializer.serialize_str(text),
            Cell::Integer(value) => serializer.serialize_i64(*value),
            Cell::Number(value) => serializer.serialize_f64(*value),
            Cell::Bytes(value) => serializer.serialize_u64(*value),
            Cell::Duration(value) => serializer.serialize_f64(value.as_secs_f64()),
            Cell::Time(value) => {
                serializer.serialize_str(&value.to_rfc3339_opts(SecondsFormat::Millis, true))
            }
            Cell::Empty => serializer.serialize_none(),
        }
    }
}

/// A command-specific Prometheus gauge, beyond every check's status and
/// value (`maint_cert_not_after_timestamp_seconds{target="..."}`). Only the
/// Prometheus renderer shows these; the same facts are in checks or sections.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// Full name, `maint_` prefix and base unit included.
    pub name: String,
    pub help: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Metric {
    pub fn new(name: &str, help: &str, labels: &[(&str, &str)], value: f64) -> Self {
        Metric {
            name: name.to_owned(),
            help: help.to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            value,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Report {
    pub command: String,
    pub kind: Kind,
    pub started_at: DateTime<Utc>,
    pub duration: Duration,
    pub checks: Vec<Check>,
    pub sections: Vec<Section>,
    pub metrics: Vec<Metric>,
    /// A plan or inventory (`health --list`) rather than a verdict: tables
    /// show no status line for it.
    pub listing: bool,
    /// Series over time (`maint trend`): the HTML page draws each as a
    /// chart, a table only when [`Report::plot`] asks. Not part of the JSON.
    pub charts: Vec<Chart>,
    /// Draw the charts in text formats too (`maint trend --plot`).
    pub plot: bool,
}

/// One series to draw: a check's values over time.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub name: String,
    pub unit: Option<Unit>,
    /// The latest status recorded for it, which colours the chart.
    pub status: Option<Status>,
    /// What the chart shows, in words (the summary and the slope).
    pub caption: String,
    /// In time order, at most a few hundred (a screen is that wide).
    pub points: Vec<crate::stats::Point>,
}

impl Report {
    pub fn new(command: impl Into<String>, kind: Kind, started_at: DateTime<Utc>) -> Self {
        Report {
            command: command.into(),
            kind,
            started_at,
            duration: Duration::ZERO,
            checks: Vec::new(),
            sections: Vec::new(),
            metrics: Vec::new(),
            listing: false,
            charts: Vec::new(),
            plot: false,
        }
    }

    pub fn status(&self) -> Status {
        Status::worst_of(self.checks.iter().map(|check| check.status))
    }

    /// How many checks have each status, in the order OK, WARNING, CRITICAL, UNKNOWN.
    pub fn counts(&self) -> [(Status, usize); 4] {
        [
            Status::Ok,
            Status::Warning,
            Status::Critical,
            Status::Unknown,
        ]
        .map(|status| {
            let count = self.checks.iter().filter(|c| c.status == status).count();
            (status, count)
        })
    }
}

fn seconds(duration: Duration) -> f64 {
    // Milliseconds are all a reader of the JSON can use; more digits only add noise.
    (duration.as_secs_f64() * 1000.0).round() / 1000.0
}

impl Serialize for Check {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Check", 9)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("status", &self.status)?;
        out.serialize_field("value", &self.value)?;
        out.serialize_field("unit", &self.unit)?;
        out.serialize_field("threshold", &self.threshold)?;
        out.serialize_field("message", &self.message)?;
        out.serialize_field("hint", &self.hint)?;
        out.serialize_field("duration_seconds", &self.elapsed.map(seconds))?;
        out.end()
    }
}

struct SectionRows<'a>(&'a Section);

impl Serialize for SectionRows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut rows = serializer.serialize_seq(Some(self.0.rows.len()))?;
        for row in &self.0.rows {
            rows.serialize_element(&Row(&self.0.columns, row))?;
        }
        rows.end()
    }
}

struct Row<'a>(&'a [Column], &'a [Cell]);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (column, cell) in self.0.iter().zip(self.1) {
            map.serialize_entry(&column.key, cell)?;
        }
        map.end()
    }
}

struct Sections<'a>(&'a [Section]);

impl Serialize for Sections<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for section in self.0 {
            map.serialize_entry(&section.name, &SectionRows(section))?;
        }
        map.end()
    }
}

struct Summary([(Status, usize); 4]);

impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        for (status, count) in self.0 {
            map.serialize_entry(&status.as_str().to_ascii_lowercase(), &count)?;
        }
        map.end()
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Report", 11)?;
        out.serialize_field("schema_version", &SCHEMA_VERSION)?;
        out.serialize_field("maint_version", env!("CARGO_PKG_VERSION"))?;
        out.serialize_field("command", &self.command)?;
        out.serialize_field("kind", &self.kind)?;
        out.serialize_field("host", &crate::probe::system::hostname())?;
        out.serialize_field(
            "started_at",
            &self.started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        )?;
        out.serialize_field("duration_seconds", &seconds(self.duration))?;
        out.serialize_field("status", &self.status())?;
        out.serialize_field("summary", &Summary(self.counts()))?;
        out.serialize_field("checks", &self.checks)?;
        out.serialize_field("sections", &Sections(&self.sections))?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_of_orders_critical_warning_unknown_ok() {
        use Status::*;
        assert_eq!(Status::worst_of([]), Ok);
        assert_eq!(Status::worst_of([Ok, Unknown]), Unknown);
        assert_eq!(Status::worst_of([Unknown, Warning, Ok]), Warning);
        assert_eq!(Status::worst_of([Warning, Critical, Unknown]), Critical);
        assert_eq!(Status::worst_of([Critical, Unknown]), Critical);
    }

    #[test]
    fn thresholds_judge_as_the_design_words_them() {
        let disk = Threshold::above(80.0, 90.0);
        assert_eq!(disk.judge(79.9), Status::Ok);
        assert_eq!(disk.judge(80.0), Status::Warning);
        assert_eq!(disk.judge(90.0), Status::Critical);
        let days_left = Threshold::below(60.0, 30.0);
        assert_eq!(days_left.judge(61.0), Status::Ok);
        assert_eq!(days_left.judge(60.0), Status::Ok);
        assert_eq!(days_left.judge(45.0), Status::Warning);
        assert_eq!(days_left.judge(30.0), Status::Warning);
        assert_eq!(days_left.judge(29.0), Status::Critical);
    }

    #[test]
    fn ok_checks_carry_no_hint() {
        let ok = Check::new("cpu", Status::Ok, "fine").with_hint("top");
        assert_eq!(ok.hint, None);
        let bad = Check::new("cpu", Status::Warning, "busy").with_hint("top");
        assert_eq!(bad.hint.as_deref(), Some("top"));
    }
}
