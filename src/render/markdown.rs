//! GitHub-flavoured Markdown, for pasting a report into a ticket.

use super::{cell_text, format_limit, format_value};
use crate::report::{Check, Report};
use crate::units::human_duration;

pub(super) fn render(report: &Report) -> String {
    let mut out = if report.listing {
        format!("## maint {}\n\n", report.command)
    } else {
        format!(
            "## maint {}: {}\n\n",
            report.command,
            report.status().as_str()
        )
    };
    out.push_str(&format!(
        "Host `{}`, started {}, took {}.\n",
        crate::probe::system::hostname(),
        crate::units::utc_time(report.started_at),
        human_duration(report.duration)
    ));
    if !report.checks.is_empty() {
        out.push_str("\n| Status | Check | Value | Limit | Message |\n|---|---|--:|--:|---|\n");
        for check in &report.checks {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} | {} |\n",
                check.status.as_str(),
                escape(&check.name),
                check
                    .value
                    .map(|v| format_value(v, check.unit))
                    .unwrap_or_default(),
                check
                    .threshold
                    .map(|t| format_limit(&t, check.unit))
                    .unwrap_or_default(),
                escape(&check.message)
            ));
        }
        let hinted: Vec<&Check> = report.checks.iter().filter(|c| c.hint.is_some()).collect();
        if !hinted.is_empty() {
            out.push_str("\n**Next steps**\n\n");
            for check in hinted {
                out.push_str(&format!(
                    "- `{}`: `{}`\n",
                    escape(&check.name),
                    check.hint.as_deref().unwrap_or_default()
                ));
            }
        }
    }
    // A section without a title is data for JSON only, as in tables.
    for section in report.sections.iter().filter(|s| !s.title.is_empty()) {
        out.push_str(&format!(
            "\n### {}\n\n",
            section.title.trim_end_matches(':')
        ));
        if section.rows.is_empty() {
            out.push_str("(nothing)\n");
            continue;
        }
        let titles: Vec<String> = section.columns.iter().map(|c| escape(&c.title)).collect();
        out.push_str(&format!("| {} |\n", titles.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(section.columns.len())));
        for row in &section.rows {
            let cells: Vec<String> = row.iter().map(|cell| escape(&cell_text(cell))).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    out
}

/// Pipes end a cell and newlines a row.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Cell, Column, Kind, Section, Status};

    #[test]
    fn tables_and_next_steps() {
        let mut report = Report::new("diagnose", Kind::Check, chrono::Utc::now());
        report.checks.push(
            Check::new("redis", Status::Critical, "down | refused").with_hint("redis-cli ping"),
        );
        report.sections.push(Section {
            name: "host".into(),
            title: "Host:".into(),
            columns: vec![Column::new("key", "Key"), Column::new("value", "Value")],
            rows: vec![vec![Cell::Text("kernel".into()), Cell::Text("6.1".into())]],
        });
        let text = render(&report);
        assert!(text.starts_with("## maint diagnose: CRITICAL\n"));
        assert!(
            text.contains("| CRITICAL | `redis` |  |  | down \\| refused |\n"),
            "{text}"
        );
        assert!(text.contains("- `redis`: `redis-cli ping`\n"));
        assert!(
            text.contains("### Host\n\n| Key | Value |\n|---|---|\n| kernel | 6.1 |\n"),
            "{text}"
        );
    }
}
