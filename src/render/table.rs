//! Tables for people: a verdict line, the checks, what to do next, then any sections.

use comfy_table::{Attribute, Cell as TableCell, CellAlignment, Color, ContentArrangement, Table};

use super::{Style, cell_text, format_limit, format_value, one_line};
use crate::report::{Cell, Check, Report, Section, Status};
use crate::units::human_duration;

pub(super) fn render(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    if !report.listing {
        out.push_str(&verdict_line(report, style));
        out.push('\n');
    }
    if !report.checks.is_empty() {
        push_table(&mut out, &checks_table(&report.checks, style));
        let steps = next_steps(&report.checks);
        if !steps.is_empty() {
            out.push_str("\nNext steps:\n");
            for (names, hint) in steps {
                out.push_str(&format!(
                    "  {}: {}\n",
                    one_line(&names.join(", ")),
                    one_line(hint)
                ));
            }
        }
    }
    // A section without a title is data for JSON only (too long for a terminal).
    for section in report.sections.iter().filter(|s| !s.title.is_empty()) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&section.title);
        out.push('\n');
        if section.rows.is_empty() {
            out.push_str("  (none)\n");
        } else {
            push_table(&mut out, &section_table(section, style));
        }
    }
    if report.plot {
        let width = style
            .width
            .map_or(72, |w| usize::from(w).saturating_sub(16).max(20));
        for chart in &report.charts {
            out.push('\n');
            out.push_str(&super::chart::text(chart, width, 10));
        }
    }
    out
}

/// Each distinct hint once, after the names of the checks it serves, in
/// the order the checks come.
fn next_steps(checks: &[Check]) -> Vec<(Vec<&str>, &str)> {
    let mut steps: Vec<(Vec<&str>, &str)> = Vec::new();
    for check in checks {
        let Some(hint) = check.hint.as_deref() else {
            continue;
        };
        match steps.iter_mut().find(|(_, h)| *h == hint) {
            Some((names, _)) => names.push(&check.name),
            None => steps.push((vec![&check.name], hint)),
        }
    }
    steps
}

/// Adds a table without the padding comfy-table leaves after the last column.
fn push_table(out: &mut String, table: &Table) {
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn verdict_line(report: &Report, style: &Style) -> String {
    let status = report.status();
    let counts: Vec<String> = report
        .counts()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", s.as_str().to_ascii_lowercase()))
        .collect();
    let counts = if counts.is_empty() {
        String::new()
    } else {
        format!(" ({})", counts.join(", "))
    };
    format!(
        "maint {}: {}{counts} in {}",
        report.command,
        paint(status, status.as_str(), style),
        human_duration(report.duration)
    )
}

fn paint(status: Status, text: &str, style: &Style) -> String {
    if !style.color {
        return text.to_owned();
    }
    let code = match status {
        Status::Ok => "32",
        Status::Warning => "33",
        Status::Critical => "1;31",
        Status::Unknown => "35",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn status_color(status: Status) -> Color {
    match status {
        Status::Ok => Color::Green,
        Status::Warning => Color::Yellow,
        Status::Critical => Color::Red,
        Status::Unknown => Color::Magenta,
    }
}

fn new_table(style: &Style, header: Vec<&str>) -> Table {
    let mut table = Table::new();
    table.load_style(comfy_table::presets::NOTHING);
    if style.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    match style.width {
        Some(width) => {
            table.set_width(width);
            table.set_content_arrangement(ContentArrangement::Dynamic);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table.set_header(header.into_iter().map(|title| {
        let cell = TableCell::new(title);
        if style.color {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }));
    table
}

fn checks_table(checks: &[Check], style: &Style) -> Table {
    let mut header = vec!["STATUS", "CHECK", "VALUE", "LIMIT", "MESSAGE"];
    if style.verbose {
        header.push("TIME");
    }
    let mut table = new_table(style, header);
    for check in checks {
        let mut status = TableCell::new(check.status.as_str());
        if style.color {
            status = status.fg(status_color(check.status));
        }
        let value = check
            .value
            .map(|v| format_value(v, check.unit))
            .unwrap_or_default();
        let limit = check
            .threshold
            .map(|t| format_limit(&t, check.unit))
            .unwrap_or_default();
        let mut row = vec![
            status,
            TableCell::new(one_line(&check.name)),
            TableCell::new(value),
            TableCell::new(limit),
            TableCell::new(one_line(&check.message)),
        ];
        if style.verbose {
            row.push(TableCell::new(
                check.elapsed.map(human_duration).unwrap_or_default(),
            ));
        }
        table.add_row(row);
    }
    for index in [2, 3] {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

fn section_table(section: &Section, style: &Style) -> Table {
    let mut table = new_table(
        style,
        section.columns.iter().map(|c| c.title.as_str()).collect(),
    );
    let mut numeric = vec![true; section.columns.len()];
    for row in &section.rows {
        for (index, cell) in row.iter().enumerate() {
            if matches!(cell, Cell::Text(_) | Cell::Time(_)) {
                numeric[index] = false;
            }
        }
        table.add_row(row.iter().map(|cell| TableCell::new(cell_text(cell))));
    }
    for (index, is_numeric) in numeric.into_iter().enumerate() {
        if is_numeric && let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Kind, Threshold, Unit};
    use chrono::TimeZone;
    use std::time::Duration;

    fn sample() -> Report {
        let mut report = Report::new(
            "health",
            Kind::Check,
            chrono::Utc
                .with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
                .unwrap(),
        );
        report.duration = Duration::from_millis(231);
        report.checks.push(Check::measured(
            "cpu",
            12.5,
            Unit::Percent,
            Threshold::above(80.0, 90.0),
            "12.5 % busy over 200 ms (host, 2 cores)",
        ));
        report.checks.push(
            Check::measured(
                "disk:/",
                85.0,
                Unit::Percent,
                Threshold::above(80.0, 90.0),
                "85 % used, 38 GiB free of 252 GiB",
            )
            .with_hint("du -xh --max-depth=2 / | sort -rh | head -20"),
        );
        report
    }

    #[test]
    fn plain_table_snapshot() {
        let text = render(&sample(), &Style::default());
        let expected = "\
maint health: WARNING (1 ok, 1 warning) in 231 ms
 STATUS   CHECK    VALUE    LIMIT  MESSAGE
 OK       cpu     12.5 %  80/90 %  12.5 % busy over 200 ms (host, 2 cores)
 WARNING  disk:/    85 %  80/90 %  85 % used, 38 GiB free of 252 GiB

Next steps:
  disk:/: du -xh --max-depth=2 / | sort -rh | head -20
";
        assert_eq!(text, expected);
    }

    #[test]
    fn color_only_when_asked() {
        let plain = render(&sample(), &Style::default());
        assert!(!plain.contains('\x1b'));
        let colored = render(
            &sample(),
            &Style {
                color: true,
                ..Style::default()
            },
        );
        assert!(colored.contains("\x1b[33mWARNING\x1b[0m"));
    }

    #[test]
    fn fits_a_narrow_terminal_and_keeps_the_status_column() {
        let style = Style {
            width: Some(80),
            ..Style::default()
        };
        let text = render(&sample(), &style);
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{line:?}");
        }
        assert!(text.contains(" WARNING "));
    }
}
