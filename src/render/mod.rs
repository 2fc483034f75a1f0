//! The only place that turns a [`Report`] into text, secrets redacted.
//! Commands never print; `maint::run` hands their report to [`render`] and
//! writes the result.

pub mod chart;
mod html;
mod markdown;
mod nagios;
mod prometheus;
mod table;

use crate::report::{Cell, Direction, Report, Threshold, Unit};
use crate::units::{human_bytes, human_duration, trim_number};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people (the default)
    Table,
    /// The versioned JSON contract, for CI and log pipelines
    Json,
    /// Prometheus text exposition, for node_exporter's textfile collector
    Prometheus,
    /// One Nagios/Icinga plugin status line with performance data
    Nagios,
    /// Markdown tables, for pasting into a ticket
    Markdown,
    /// One self-contained HTML page, with charts where the report has series (`maint trend`)
    Html,
}

/// How a table should look where it is going.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    pub color: bool,
    /// Terminal width to fit; None when the output is not a terminal.
    pub width: Option<u16>,
    pub verbose: bool,
}

/// The report as text in `format`. Every string it shows is redacted first
/// (`redact::report`): this is the one door every report leaves by, to the
/// terminal, `--output` files and support bundles alike.
pub fn render(report: &Report, format: Format, style: &Style) -> String {
    let report = &crate::redact::report(report);
    match format {
        Format::Table => table::render(report, style),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(report)
                .expect("a report always serialises: it holds only strings and numbers");
            text.push('\n');
            text
        }
        Format::Prometheus => prometheus::render(report),
        Format::Nagios => nagios::render(report),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
    }
}

/// A value with its unit, for people: `12.5 %`, `1.2 GiB`, `340 ms`, `45 days`.
pub fn format_value(value: f64, unit: Option<Unit>) -> String {
    match unit {
        Some(Unit::Percent) => format!("{} %", trim_number(value, 1)),
        Some(Unit::Bytes) => human_bytes(value.max(0.0) as u64),
        Some(Unit::Seconds) if value <= 0.0 => "0 s".to_owned(),
        Some(Unit::Seconds) => human_duration(std::time::Duration::from_secs_f64(value)),
        Some(Unit::Days) => format!("{} d", trim_number(value, 1)),
        Some(Unit::PerCore) => trim_number(value, 2),
        Some(Unit::Count) | None => trim_number(value, 2),
    }
}

/// `80/90 %` above, `<60/30 d` below: warning level, then critical.
pub fn format_limit(threshold: &Threshold, unit: Option<Unit>) -> String {
    let level = |limit: Option<f64>| match (limit, unit) {
        // Limits are settings, shown as they are written: "1h", "500ms".
        (Some(limit), Some(Unit::Seconds)) => {
            crate::units::compact_duration(std::time::Duration::from_secs_f64(limit.max(0.0)))
        }
        (Some(limit), _) => format_value(limit, unit),
        (None, _) => "-".to_owned(),
    };
    let warn = level(threshold.warning);
    let crit = level(threshold.critical);
    // Show the unit once: "80/90 %" reads better than "80 %/90 %".
    let text = match (warn.rsplit_once(' '), crit.rsplit_once(' ')) {
        (Some((w, wu)), Some((c, cu))) if wu == cu => format!("{w}/{c} {cu}"),
        _ => format!("{warn}/{crit}"),
    };
    match threshold.direction {
        Direction::Above => text,
        Direction::Below => format!("<{text}"),
    }
}

/// Text for a one-line place (a table cell, a plugin line): control
/// characters, newlines above all, shown as escapes (`\n`, `\t`, `\x1b`),
/// so a file named `a\nOK b` cannot forge a row or a line.
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A section cell for people.
pub fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => one_line(text).into_owned(),
        Cell::Integer(value) => value.to_string(),
        Cell::Number(value) => trim_number(*value, 2),
        Cell::Bytes(value) => human_bytes(*value),
        Cell::Duration(value) => human_duration(*value),
        Cell::Time(value) => value.format("%Y-%m-%d %H:%M:%S").to_string(),
        Cell::Empty => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_become_escapes_on_one_line() {
        assert_eq!(super::one_line("plain"), "plain");
        assert_eq!(
            super::one_line("a\nOK b\t\u{1b}[31m"),
            "a\\nOK b\\t\\x1b[31m"
        );
    }
}
