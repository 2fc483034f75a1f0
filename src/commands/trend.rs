//! `maint trend`: the history of the checks (`storage::history`) as
//! numbers, sparklines, charts and a review page; `--import` first adds a
//! metrics.jsonl to it.

use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;

use super::{Context, Failed, Outcome};
use crate::checks::health::selects;
use crate::checks::history::Settings;
use crate::cli::TrendArgs;
use crate::error::Hint;
use crate::render::chart::sparkline;
use crate::report::{Cell, Chart, Check, Column, Section, Status};
use crate::stats::{self, Point};
use crate::storage::history::{Store, parse_metrics_line};
use crate::units::{compact_duration, trim_number};

const DEFAULT_SINCE: Duration = Duration::from_secs(30 * 86_400);
const READ_WAIT: Duration = Duration::from_secs(2);
/// Columns of the sparkline in the table.
const SPARK: usize = 20;
/// Points a chart keeps: wider than any screen or page chart.
const CHART_POINTS: usize = 400;

pub fn execute(args: &TrendArgs, context: &Context) -> Outcome {
    let started = std::time::Instant::now();
    let started_at = Utc::now();
    let settings = Settings::resolve(context.config).map_err(Failed::Setup)?;
    let path = settings.path.clone().ok_or_else(|| {
        Failed::setup(
            anyhow::anyhow!("no place for the history: neither HOME nor [history] path is set")
                .context(Hint::new("set [history] path in maint.toml")),
        )
    })?;
    let since = args.since.map_or(DEFAULT_SINCE, Duration::from);
    // The whole file is read and checked before anything is written.
    let imported = args
        .import
        .as_deref()
        .map(read_metrics)
        .transpose()
        .map_err(Failed::Setup)?;

    let mut report = crate::checks::report("trend", started_at);
    report.plot = args.plot;
    if let Some(lines) = imported {
        let source = args.import.as_deref().expect("imported from a file");
        let file = source.display();
        let mut store = Store::open(&path, READ_WAIT).map_err(|err| {
            Failed::setup(anyhow::Error::new(err).context(Hint::new("check [history] path")))
        })?;
        let mut names = std::collections::BTreeSet::new();
        let points = metric_points(source)
            .map_err(Failed::running)?
            .inspect(|(name, _)| {
                if !names.contains(name) {
                    names.insert(name.clone());
                }
            });
        let kept = store
            .import(points, started_at.timestamp(), settings.retention)
            .map_err(Failed::running)?;
        let names = names.len();
        report.checks.push(Check::new(
            "import",
            Status::Ok,
            format!(
                "{file}: {lines} lines, {kept} points of {names} series added to {}",
                path.display()
            ),
        ));
    } else {
        report.listing = true;
    }

    let from = started_at.timestamp() - since.as_secs() as i64;
    let rows = match Store::open_read_only(&path, READ_WAIT) {
        Ok(Some(store)) => read(&store, &args.checks, from).map_err(Failed::running)?,
        Ok(None) => Vec::new(),
        Err(err) => return Err(Failed::running(err)),
    };
    if rows.is_empty() && !args.checks.is_empty() {
        return Err(Failed::setup(
            anyhow::anyhow!(
                "no history of {} in the last {} in {}",
                args.checks.join(", "),
                compact_duration(since),
                path.display()
            )
            .context(Hint::new("`maint trend` with no names lists what there is")),
        ));
    }
    let title = if rows.is_empty() {
        format!(
            "No history yet in {} (every check run adds to it):",
            path.display()
        )
    } else {
        format!(
            "Trends over the last {}, worst first:",
            compact_duration(since)
        )
    };
    report.sections.push(Section {
        name: "trends".into(),
        title,
        columns: vec![
            Column::new("check", "CHECK"),
            Column::new("status", "STATUS"),
            Column::new("unit", "UNIT"),
            Column::new("points", "POINTS"),
            Column::new("last", "LAST"),
            Column::new("min", "MIN"),
            Column::new("mean", "MEAN"),
            Column::new("p95", "P95"),
            Column::new("max", "MAX"),
            Column::new("slope_per_day", "SLOPE/DAY"),
            Column::new("sparkline", "TREND"),
        ],
        rows: rows.iter().map(|row| row.cells.clone()).collect(),
    });
    report.charts = rows.into_iter().map(|row| row.chart).collect();
    report.duration = started.elapsed();
    Ok(report)
}

/// One series' line of the table and its chart.
struct Row {
    cells: Vec<Cell>,
    chart: Chart,
    severity: u8,
    relative: f64,
}

fn read(store: &Store, patterns: &[String], from: i64) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for named in store.names()? {
        if !patterns.is_empty() && !patterns.iter().any(|p| selects(p, &named.name)) {
            continue;
        }
        let unit = named.unit;
        let Some(series) = store.read(named, from)? else {
            continue;
        };
        let Some(summary) = stats::summary(&series.points) else {
            continue;
        };
        // Hours beyond the raw window are means: their extremes are the store's.
        let (min, max) = (series.low, series.high);
        let fit = stats::theil_sen(&series.points);
        let slope = fit.map(|fit| fit.per_day());
        let status_text = series.status.map_or("-", Status::as_str);
        let caption = format!(
            "last {}, min {}, mean {}, p95 {}, max {}{}",
            shown(summary.last, unit),
            shown(min, unit),
            shown(summary.mean, unit),
            shown(summary.p95, unit),
            shown(max, unit),
            slope.map_or_else(String::new, |s| format!(", {} a day", signed(s, unit)))
        );
        rows.push(Row {
            cells: vec![
                Cell::Text(series.name.clone()),
                Cell::Text(status_text.to_owned()),
                Cell::Text(unit.map_or("", crate::report::Unit::as_str).to_owned()),
                Cell::Integer(summary.count as i64),
                Cell::Number(summary.last),
                Cell::Number(min),
                Cell::Number(summary.mean),
                Cell::Number(summary.p95),
                Cell::Number(max),
                slope.map_or(Cell::Empty, Cell::Number),
                Cell::Text(sparkline(&series.points, SPARK)),
            ],
            severity: series.status.map_or(0, Status::severity),
            relative: crate::judge::trend::relative_slope(&series.points, fit.as_ref()),
            chart: Chart {
                name: series.name,
                unit,
                status: series.status,
                caption,
                points: stats::reduce(&series.points, CHART_POINTS),
            },
        });
    }
    // Worst first: the latest status, then the fastest relative growth.
    rows.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.relative.total_cmp(&a.relative))
    });
    Ok(rows)
}

fn shown(value: f64, unit: Option<crate::report::Unit>) -> String {
    crate::render::format_value(value, unit)
}

fn signed(value: f64, unit: Option<crate::report::Unit>) -> String {
    let sign = if value < 0.0 { "-" } else { "+" };
    match unit {
        Some(crate::report::Unit::Percent) => format!("{sign}{} %", trim_number(value.abs(), 2)),
        _ => format!("{sign}{}", shown(value.abs(), unit)),
    }
}

/// Checks every line of a metrics.jsonl and counts them: a bad line is an
/// error naming it, before anything is imported. The points are read in a
/// second pass ([`metric_points`]), so an import holds one line at a time.
fn read_metrics(path: &Path) -> anyhow::Result<usize> {
    let mut lines = 0;
    for (index, line) in metric_lines(path)? {
        let line = line.with_context(|| format!("cannot read --import {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        parse_metrics_line(&line).map_err(|message| {
            anyhow::anyhow!("--import {}, line {}: {message}", path.display(), index + 1).context(
                Hint::new(
                    "each line is one JSON object with a `timestamp` (RFC 3339 or Unix seconds) and numeric fields",
                ),
            )
        })?;
    }
    Ok(lines)
}

fn metric_lines(
    path: &Path,
) -> anyhow::Result<impl Iterator<Item = (usize, std::io::Result<String>)>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read --import {}", path.display()))
        .context(Hint::new("name a metrics.jsonl file that exists"))?;
    Ok(std::io::BufReader::new(file).lines().enumerate())
}

/// The points of a metrics.jsonl [`read_metrics`] checked.
fn metric_points(path: &Path) -> anyhow::Result<impl Iterator<Item = (String, Point)>> {
    Ok(metric_lines(path)?
        .filter_map(|(_, line)| line.ok())
        .filter_map(|line| parse_metrics_line(&line).ok())
        .flat_map(|(t, fields)| {
            fields
                .into_iter()
                .map(move |(name, v)| (name, Point::new(t, v)))
        }))
}
