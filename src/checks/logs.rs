//! `maint logs analyze`: one pass over log files (plain, gzip, rotated sets)
//! through the log scanner, judged against per-category alert levels.
//!
//! Settings are resolved first (flags over `maint.toml` over defaults:
//! categories, window, thresholds, state file), so a bad regex or time
//! fails before any file is opened; the scan result then becomes checks
//! (one per category, per rate, the window, undated lines, unreadable
//! files) and sections (top templates, peaks, histogram, files).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};

use crate::cli::LogsAnalyzeArgs;
use crate::config::{Loaded, NoLines};
use crate::error::Hint;
use crate::judge::logs as judge;
use crate::levels::Alert;
use crate::logscan::access::AccessStats;
use crate::logscan::categories::{Category, Matcher};
use crate::logscan::journal::Journal;
use crate::logscan::state::State;
use crate::logscan::{self, FileReport, Outcome as FileOutcome, Scan, Window};
use crate::report::{Cell, Column, Metric, Report, Section, Status};
use crate::units::compact_duration;

const DEFAULT_TOP: usize = 5;
const DEFAULT_BUCKET: Duration = Duration::from_secs(3600);
/// As the README says: more than 100 errors in 24 h is an alert.
const DEFAULT_ALERT: &str = "errors>100";

/// Everything `maint logs analyze` will do, validated.
pub struct Settings {
    pub paths: Vec<PathBuf>,
    pub matcher: Matcher,
    pub window: Window,
    /// The systemd journal, read besides the paths.
    pub journal: Option<Journal>,
    pub bucket: Duration,
    pub top: usize,
    pub alerts: Vec<Alert>,
    pub state: Option<PathBuf>,
    pub reset_state: bool,
    pub explain: bool,
    pub no_lines: Status,
}

impl Settings {
    pub fn resolve(
        args: &LogsAnalyzeArgs,
        loaded: &Loaded,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Settings> {
        let config = &loaded.config.logs;
        let journal =
            (args.journal || !args.unit.is_empty() || args.journal_dir.is_some()).then(|| {
                Journal {
                    units: args.unit.clone(),
                    directory: args.journal_dir.clone(),
                }
            });
        // `--journal` alone reads the journal alone, not [logs] paths too.
        let paths = if !args.paths.is_empty() {
            args.paths.clone()
        } else if journal.is_some() {
            Vec::new()
        } else {
            config.paths.clone()
        };
        if paths.is_empty() && journal.is_none() {
            return Err(anyhow!("no log files to read").context(Hint::new(
                "name files, folders or globs: maint logs analyze /var/log/app/*.log, or set [logs] paths in maint.toml",
            )));
        }

        let mut categories = Category::defaults();
        let mut add =
            |category: Category| match categories.iter_mut().find(|c| c.name == category.name) {
                Some(existing) => *existing = category,
                None => categories.push(category),
            };
        for (name, pattern) in &config.patterns {
            let category = Category::new(name, &pattern.0)
                .map_err(|err| {
                    anyhow!(
                        "config {}, key `logs.patterns.{name}`: {err}",
                        config_path(loaded)
                    )
                })
                .context(Hint::new("category names use letters, digits, `_` and `-`"))?;
            add(category);
        }
        for value in &args.pattern {
            let (name, pattern) = value
                .split_once('=')
                .ok_or_else(|| anyhow!("--pattern {value:?} has no `=`"))
                .context(Hint::new(
                    "write --pattern NAME=REGEX, e.g. --pattern 'timeouts=timed out|Timeout'",
                ))?;
            let category = Category::new(name.trim(), pattern)
                .map_err(|err| anyhow!("--pattern {name}: {err}"))
                .context(Hint::new(
                    "fix the regular expression (LC_ALL=C grep -E syntax; quote it for the shell)",
                ))?;
            add(category);
        }
        let matcher = Matcher::new(categories).context("cannot combine the categories")?;

        let since = args
            .since
            .as_ref()
            .or(config.since.as_ref())
            .map(|t| t.resolve(now));
        let until = args.until.as_ref().map(|t| t.resolve(now));
        if let (Some(since), Some(until)) = (since, until)
            && since >= until
        {
            return Err(anyhow!(
                "--since {} is not before --until {}",
                logscan::show_time(since),
                logscan::show_time(until)
            )
            .context(Hint::new("give a window that starts before it ends")));
        }

        let bucket = args
            .bucket
            .or(config.bucket)
            .map_or(DEFAULT_BUCKET, Duration::from);
        if bucket < Duration::from_secs(1) {
            return Err(anyhow!(
                "--bucket {} is shorter than a second",
                compact_duration(bucket)
            )
            .context(Hint::new("use a width such as 15m or 1h")));
        }

        let mut alerts: Vec<Alert> = vec![DEFAULT_ALERT.parse().expect("the default alert parses")];
        let set = |alert: Alert, alerts: &mut Vec<Alert>| match alerts
            .iter_mut()
            .find(|a| a.key() == alert.key())
        {
            Some(existing) => *existing = alert,
            None => alerts.push(alert),
        };
        for alert in &config.thresholds {
            let value = alert.get_ref().clone();
            if value.category != judge::NEW_TEMPLATES
                && !matcher
                    .categories()
                    .iter()
                    .any(|c| c.name == value.category)
            {
                return Err(anyhow::Error::new(loaded.invalid(
                    "logs.thresholds",
                    alert,
                    format!(
                        "no category {:?}; categories: {}",
                        value.category,
                        names(&matcher)
                    ),
                )));
            }
            set(value, &mut alerts);
        }
        for text in &args.threshold {
            let alert: Alert = text
                .parse()
                .map_err(|err: String| anyhow!("--threshold: {err}"))
                .context(Hint::new(
                    "write CATEGORY>WARN[,CRIT][/PERIOD], e.g. errors>100 or errors>50,200/1h",
                ))?;
            if alert.category != judge::NEW_TEMPLATES
                && !matcher
                    .categories()
                    .iter()
                    .any(|c| c.name == alert.category)
            {
                return Err(
                    anyhow!("--threshold {text:?}: no category {:?}", alert.category).context(
                        Hint::new(format!(
                            "categories: {}; add one with --pattern NAME=REGEX",
                            names(&matcher)
                        )),
                    ),
                );
            }
            set(alert, &mut alerts);
        }
        if !matcher.categories().iter().any(|c| c.name == "errors") {
            alerts.retain(|a| a.category != "errors");
        }

        let state = args.state.clone().or_else(|| config.state.clone());
        if let Some(path) = &state {
            crate::storage::atomic::check_writable(path)
                .with_context(|| format!("cannot write state file {}", path.display()))
                .context(Hint::new(
                    "name a file in a folder that exists and maint may write to",
                ))?;
        }
        if let Some(alert) = alerts.iter().find(|a| a.category == judge::NEW_TEMPLATES) {
            if alert.per.is_some() {
                return Err(anyhow!(
                    "threshold new_templates>... takes no period: it counts the kinds of message new since the last run"
                )
                .context(Hint::new("write new_templates>0")));
            }
            if state.is_none() {
                return Err(anyhow!(
                    "threshold new_templates needs a state file to know what earlier runs saw"
                )
                .context(Hint::new(
                    "pass --state FILE, or set [logs] state in maint.toml",
                )));
            }
        }
        if args.reset_state && state.is_none() {
            return Err(
                anyhow!("--reset-state without a state file").context(Hint::new(
                    "pass --state FILE, or set [logs] state in maint.toml",
                )),
            );
        }
        let no_lines = match config.no_lines.unwrap_or(NoLines::Unknown) {
            NoLines::Ok => Status::Ok,
            NoLines::Warning => Status::Warning,
            NoLines::Critical => Status::Critical,
            NoLines::Unknown => Status::Unknown,
        };
        Ok(Settings {
            paths,
            journal,
            matcher,
            window: Window { since, until },
            bucket,
            top: args.top.or(config.top).unwrap_or(DEFAULT_TOP),
            alerts,
            state,
            reset_state: args.reset_state,
            explain: args.explain,
            no_lines,
        })
    }

    /// Histogram widths: the bucket shown, then each rate period.
    fn widths(&self) -> Vec<i64> {
        let mut widths = vec![self.bucket.as_millis() as i64];
        for alert in &self.alerts {
            if let Some(per) = alert.per {
                let width = per.0.as_millis() as i64;
                if !widths.contains(&width) {
                    widths.push(width);
                }
            }
        }
        widths
    }
}

fn names(matcher: &Matcher) -> String {
    matcher
        .categories()
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn config_path(loaded: &Loaded) -> String {
    loaded
        .path
        .as_ref()
        .map_or_else(|| "maint.toml".to_owned(), |p| p.display().to_string())
}

/// `maint logs analyze`: resolve, load the state, scan, save the state, report.
/// A one-off analysis without state: what `maint diagnose` reports of the
/// logs, and the files it read (for the support bundle's excerpts).
pub fn run_once(settings: &Settings) -> (Report, Vec<PathBuf>) {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let scan = logscan::scan(&settings.spec(None, started_at));
    let mut report = build_report(settings, &scan, started_at, None);
    report.duration = started.elapsed();
    let read = scan
        .files
        .iter()
        .filter(|file| file.lines > 0)
        .map(|file| file.path.clone())
        .collect();
    (report, read)
}

impl Settings {
    pub fn spec<'a>(
        &'a self,
        previous: Option<&'a State>,
        started_at: chrono::DateTime<chrono::Utc>,
    ) -> logscan::Spec<'a> {
        logscan::Spec {
            paths: self.paths.clone(),
            matcher: self.matcher.clone(),
            window: self.window,
            widths: self.widths(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
            previous,
            incremental: self.state.is_some(),
            started_at: started_at.timestamp_millis(),
            after_open: None,
            helper: crate::probe::isolated::helper_binary(),
            journal: self.journal.clone(),
        }
    }
}

/// An access log's requests: per status, the paths with the most 5xx and
/// 4xx answers, and (JSON only) requests per bucket.
fn access_sections(report: &mut Report, stats: &AccessStats, top: usize) {
    let share = |n: u64| crate::judge::round1(n as f64 * 100.0 / stats.requests as f64);
    report.sections.push(Section {
        name: "http_statuses".into(),
        title: "Requests per status:".into(),
        columns: vec![
            Column::new("status", "STATUS"),
            Column::new("count", "REQUESTS"),
            Column::new("percent", "%"),
        ],
        rows: stats
            .statuses
            .iter()
            .map(|(status, n)| {
                vec![
                    Cell::Integer(i64::from(*status)),
                    Cell::Integer(*n as i64),
                    Cell::Number(share(*n)),
                ]
            })
            .collect(),
    });
    let mut rows = Vec::new();
    for class in [5, 4] {
        for (path, n) in stats.top_paths(class, top) {
            rows.push(vec![
                Cell::Text(format!("{class}xx")),
                Cell::Text(String::from_utf8_lossy(path).into_owned()),
                Cell::Integer(n as i64),
            ]);
        }
    }
    if !rows.is_empty() {
        report.sections.push(Section {
            name: "http_error_paths".into(),
            title: format!("Paths with the most 5xx and 4xx answers ({top} each):"),
            columns: vec![
                Column::new("class", "CLASS"),
                Column::new("path", "PATH"),
                Column::new("count", "REQUESTS"),
            ],
            rows,
        });
    }
    let mut buckets: Vec<(&i64, &u64)> = stats.per_bucket.iter().collect();
    buckets.sort();
    report.sections.push(Section {
        name: "requests_per_bucket".into(),
        // No title: too long for a terminal; JSON carries it.
        title: String::new(),
        columns: vec![
            Column::new("bucket_start", "BUCKET STARTING"),
            Column::new("requests", "REQUESTS"),
        ],
        rows: buckets
            .into_iter()
            .map(|(bucket, n)| {
                vec![
                    chrono::DateTime::from_timestamp_millis(bucket * stats.width)
                        .map_or(Cell::Empty, Cell::Time),
                    Cell::Integer(*n as i64),
                ]
            })
            .collect(),
    });
    for class in 1..=5u16 {
        report.metrics.push(Metric::new(
            "maint_logs_http_requests",
            "Requests in the window of the access logs read, per status class.",
            &[("class", &format!("{class}xx"))],
            stats.class(class) as f64,
        ));
    }
}

/// The templates no earlier run saw, each with its lines and an example.
fn new_templates_section(scan: &Scan, new: &[String], categories: &[Category]) -> Section {
    let new: std::collections::HashSet<&str> = new.iter().map(String::as_str).collect();
    let mut found: Vec<&logscan::templates::Template> = scan
        .tally
        .templates
        .live()
        .filter(|t| new.contains(t.text().as_str()))
        .collect();
    found.sort_by_key(|t| {
        (
            t.first_seen,
            std::cmp::Reverse(t.counts.iter().sum::<u64>()),
        )
    });
    let rows = found
        .iter()
        .map(|t| {
            let category = t
                .counts
                .iter()
                .position(|&c| c > 0)
                .and_then(|i| categories.get(i))
                .map(|c| c.name.clone())
                .unwrap_or_default();
            vec![
                Cell::Text(category),
                Cell::Integer(t.counts.iter().copied().max().unwrap_or(0) as i64),
                Cell::Text(t.text()),
                t.first_seen
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map_or(Cell::Empty, Cell::Time),
                Cell::Text(String::from_utf8_lossy(&t.example).into_owned()),
            ]
        })
        .collect();
    Section {
        name: "new_templates".into(),
        title: "Kinds of message not seen by an earlier run:".into(),
        columns: vec![
            Column::new("category", "CATEGORY"),
            Column::new("count", "COUNT"),
            Column::new("template", "TEMPLATE"),
            Column::new("first_seen", "FIRST SEEN"),
            Column::new("example", "EXAMPLE"),
        ],
        rows,
    }
}

/// The window in words, with a leading space (empty for all lines).
fn window_text(settings: &Settings) -> String {
    match (settings.state.is_some(), settings.window.is_bounded()) {
        (true, true) => format!(" new since the last run, {}", settings.window),
        (true, false) => " new since the last run".to_owned(),
        (false, true) => format!(" {}", settings.window),
        (false, false) => String::new(),
    }
}

fn bucket_name(width: i64) -> String {
    match width {
        3_600_000 => "hour".to_owned(),
        86_400_000 => "day".to_owned(),
        60_000 => "minute".to_owned(),
        _ => compact_duration(Duration::from_millis(width as u64)),
    }
}

/// `learned`: with a state, the templates no earlier run saw (None on a
/// first run) and how many are remembered.
pub fn build_report(
    settings: &Settings,
    scan: &Scan,
    started_at: chrono::DateTime<chrono::Utc>,
    learned: Option<(Option<&[String]>, usize)>,
) -> Report {
    let mut report = crate::checks::report("logs analyze", started_at);
    let tally = &scan.tally;
    let categories = settings.matcher.categories();
    let read: Vec<&FileReport> = scan
        .files
        .iter()
        .filter(|f| matches!(f.outcome, FileOutcome::Read | FileOutcome::Partial(_)))
        .collect();
    let grep_files: Vec<String> = read
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|f| crate::shell::word(&f.path.display().to_string()))
        .collect();
    let grep_files = if grep_files.is_empty() {
        settings
            .paths
            .iter()
            .map(|p| crate::shell::word(&p.display().to_string()))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        grep_files.join(" ")
    };
    let display = &tally.histograms[0];
    let bucket = bucket_name(display.width);

    let wording = judge::Wording {
        window: window_text(settings),
        bucket: bucket.clone(),
        grep_files,
        paths: settings
            .paths
            .iter()
            .map(|p| crate::shell::word(&p.display().to_string()))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let lines = judge::Lines {
        count: tally.lines,
        files_read: read.len(),
        files: scan.files.len(),
        bytes_read: scan.bytes_read,
        disordered: scan
            .files
            .iter()
            .filter(|f| f.disordered)
            .map(|f| f.path.display().to_string())
            .collect(),
    };
    report
        .checks
        .push(judge::lines(&lines, settings.no_lines, &wording));
    for (index, category) in categories.iter().enumerate() {
        let alert = settings
            .alerts
            .iter()
            .find(|a| a.category == category.name && a.per.is_none());
        let by_level = category.level.map(|level| judge::ByLevel {
            level: level.name(),
            by_level: scan.files.iter().filter(|f| f.levels).count(),
            files: scan.files.iter().filter(|f| f.content.is_some()).count(),
        });
        report.checks.push(judge::category(
            &category.name,
            &category.pattern,
            by_level.as_ref(),
            tally.counts[index],
            display.peak(index),
            alert,
            &wording,
        ));
    }
    for alert in &settings.alerts {
        let Some(per) = alert.per else { continue };
        let Some(index) = categories.iter().position(|c| c.name == alert.category) else {
            continue;
        };
        let width = per.0.as_millis() as i64;
        let histogram = tally
            .histograms
            .iter()
            .find(|h| h.width == width)
            .expect("every rate period has a histogram");
        report
            .checks
            .extend(judge::rate(alert, histogram.peak(index), &wording));
    }
    let undated_matches: Vec<(&str, u64)> = categories
        .iter()
        .map(|c| c.name.as_str())
        .zip(tally.undated_counts.iter().copied())
        .collect();
    report.checks.extend(judge::undated(
        tally.undated_lines,
        &undated_matches,
        settings.window.is_bounded(),
        &wording,
    ));
    report
        .checks
        .extend(scan.files.iter().filter_map(judge::file));
    if let Some(stats) = tally.access.as_ref().filter(|s| s.requests > 0) {
        report.checks.push(judge::requests(stats, &wording));
        access_sections(&mut report, stats, settings.top);
    }
    if let Some((new, known)) = learned {
        let alert = settings
            .alerts
            .iter()
            .find(|a| a.category == judge::NEW_TEMPLATES);
        report.checks.push(judge::new_templates(new, known, alert));
        if let Some(new) = new.filter(|n| !n.is_empty()) {
            report
                .sections
                .push(new_templates_section(scan, new, categories));
        }
    }

    // Top templates per category.
    let optional_text = |text: Option<&[u8]>| {
        text.map_or(Cell::Empty, |t| {
            Cell::Text(String::from_utf8_lossy(t).into_owned())
        })
    };
    let mut rows = Vec::new();
    for (index, category) in categories.iter().enumerate() {
        for template in scan.top(index, settings.top) {
            let time = |ms: Option<i64>| {
                ms.and_then(chrono::DateTime::from_timestamp_millis)
                    .map_or(Cell::Empty, Cell::Time)
            };
            rows.push(vec![
                Cell::Text(category.name.clone()),
                Cell::Integer(template.counts[index] as i64),
                Cell::Text(template.text()),
                optional_text(template.level.as_deref()),
                optional_text(template.component.as_deref()),
                time(template.first_seen),
                time(template.last_seen),
                Cell::Text(String::from_utf8_lossy(&template.example).into_owned()),
            ]);
        }
    }
    if settings.top > 0 && !rows.is_empty() {
        report.sections.push(Section {
            name: "templates".into(),
            title: format!("Top message templates ({} per category):", settings.top),
            columns: vec![
                Column::new("category", "CATEGORY"),
                Column::new("count", "COUNT"),
                Column::new("template", "TEMPLATE"),
                Column::new("level", "LEVEL"),
                Column::new("component", "COMPONENT"),
                Column::new("first_seen", "FIRST SEEN"),
                Column::new("last_seen", "LAST SEEN"),
                Column::new("example", "EXAMPLE"),
            ],
            rows,
        });
    }

    // The peak bucket of each category, and the whole histogram (JSON only).
    let peaks: Vec<Vec<Cell>> = categories
        .iter()
        .enumerate()
        .filter_map(|(index, category)| {
            let (start, count) = display.peak(index)?;
            Some(vec![
                Cell::Text(category.name.clone()),
                chrono::DateTime::from_timestamp_millis(start).map_or(Cell::Empty, Cell::Time),
                Cell::Integer(count as i64),
                Cell::Integer(tally.counts[index] as i64),
            ])
        })
        .collect();
    if !peaks.is_empty() {
        report.sections.push(Section {
            name: "peaks".into(),
            title: format!("Peak {bucket} per category:"),
            columns: vec![
                Column::new("category", "CATEGORY"),
                Column::new(
                    "bucket_start",
                    &format!("{} STARTING", bucket.to_uppercase()),
                ),
                Column::new("count", "IN IT"),
                Column::new("total", "IN WINDOW"),
            ],
            rows: peaks,
        });
        let mut columns = vec![Column::new("bucket_start", "BUCKET")];
        columns.extend(
            categories
                .iter()
                .map(|c| Column::new(&c.name, &c.name.to_uppercase())),
        );
        let rows = display
            .sorted()
            .into_iter()
            .map(|(start, counts)| {
                let mut row = vec![
                    chrono::DateTime::from_timestamp_millis(start).map_or(Cell::Empty, Cell::Time),
                ];
                row.extend(counts.iter().map(|n| Cell::Integer(*n as i64)));
                row
            })
            .collect();
        report.sections.push(Section {
            name: "histogram".into(),
            // No title: too long for a terminal; JSON carries it.
            title: String::new(),
            columns,
            rows,
        });
    }

    if settings.explain {
        report.sections.push(files_section(scan));
    }

    for (index, category) in categories.iter().enumerate() {
        report.metrics.push(Metric::new(
            "maint_logs_matched_lines",
            "Lines in the window that match each category.",
            &[("category", &category.name)],
            tally.counts[index] as f64,
        ));
    }
    for (index, category) in categories.iter().enumerate() {
        let peak = display.peak(index).map_or(0, |(_, n)| n);
        report.metrics.push(Metric::new(
            "maint_logs_peak_bucket_lines",
            "Lines of each category in the busiest histogram bucket of the window.",
            &[
                ("category", &category.name),
                ("bucket_seconds", &(display.width / 1000).to_string()),
            ],
            peak as f64,
        ));
    }
    report.metrics.push(Metric::new(
        "maint_logs_window_lines",
        "Lines in the window, all categories or none.",
        &[],
        tally.lines as f64,
    ));
    report.metrics.push(Metric::new(
        "maint_logs_undated_lines",
        "Lines whose time could not be told.",
        &[],
        tally.undated_lines as f64,
    ));
    report.metrics.push(Metric::new(
        "maint_logs_read_bytes",
        "Bytes read (decompressed for gzip) in this run.",
        &[],
        scan.bytes_read as f64,
    ));
    report
}

fn files_section(scan: &Scan) -> Section {
    let rows = scan
        .files
        .iter()
        .map(|file| {
            let (result, reason) = match &file.outcome {
                FileOutcome::Read => ("read", String::new()),
                FileOutcome::Skipped(reason) => ("skipped", reason.clone()),
                FileOutcome::NotText(reason) => ("not text", reason.clone()),
                FileOutcome::Partial(reason) => ("partial", reason.clone()),
                FileOutcome::Failed(reason) => ("failed", reason.clone()),
                FileOutcome::Hung(reason) => ("no answer", reason.clone()),
            };
            let mut notes = vec![reason];
            notes.extend(file.notes.iter().cloned());
            notes.retain(|n| !n.is_empty());
            vec![
                Cell::Text(file.path.display().to_string()),
                Cell::Text(file.content.map_or("", |c| c.name()).to_owned()),
                Cell::Text(
                    file.format
                        .as_deref()
                        .unwrap_or(if file.content.is_some() { "none" } else { "" })
                        .to_owned(),
                ),
                Cell::Text(
                    match (file.content.is_some(), file.levels) {
                        (false, _) => "",
                        (true, true) => "level",
                        (true, false) => "words",
                    }
                    .to_owned(),
                ),
                file.read
                    .map_or(Cell::Empty, |(start, _)| Cell::Integer(start as i64)),
                file.read
                    .map_or(Cell::Empty, |(_, end)| Cell::Integer(end as i64)),
                Cell::Integer(file.lines as i64),
                Cell::Text(result.to_owned()),
                Cell::Text(notes.join("; ")),
            ]
        })
        .collect();
    Section {
        name: "files".into(),
        title: "Files, in reading order:".into(),
        columns: vec![
            Column::new("path", "FILE"),
            Column::new("content", "CONTENT"),
            Column::new("format", "TIMESTAMPS"),
            Column::new("errors_by", "ERRORS BY"),
            Column::new("read_from", "FROM BYTE"),
            Column::new("read_to", "TO BYTE"),
            Column::new("lines", "LINES"),
            Column::new("result", "RESULT"),
            Column::new("why", "WHY"),
        ],
        rows,
    }
}
