//! One self-contained HTML page: the checks, the sections and a chart per
//! series as inline SVG, styles inline, nothing fetched and no scripts, so
//! it opens from a mail attachment or a file share as it was written.

use super::{cell_text, chart, format_limit, format_value};
use crate::report::Report;
use crate::units::human_duration;

pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.OK{color:#1e8449}.WARNING{color:#b9770e}\
.CRITICAL{color:#c0392b;font-weight:bold}.UNKNOWN{color:#7f8c8d}figure{margin:1.5em 0}\
figcaption{font-weight:600}figcaption span{font-weight:normal;color:#555}svg.chart{width:100%;max-width:640px;height:auto}";

pub(super) fn render(report: &Report) -> String {
    let host = crate::probe::system::hostname();
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>maint {} on {}</title><style>{STYLE}</style></head><body>\n",
        escape(&report.command),
        escape(&host)
    );
    out.push_str(&format!(
        "<h1>maint {} on {}</h1>\n<p>Started {}, took {}.",
        escape(&report.command),
        escape(&host),
        crate::units::utc_time(report.started_at),
        human_duration(report.duration)
    ));
    if !report.listing {
        let status = report.status().as_str();
        out.push_str(&format!(" Status: <b class=\"{status}\">{status}</b>."));
    }
    out.push_str("</p>\n");
    if !report.checks.is_empty() {
        out.push_str("<h2>Checks</h2>\n<table><tr><th>Status</th><th>Check</th><th>Value</th><th>Limit</th><th>Message</th></tr>\n");
        for check in &report.checks {
            let status = check.status.as_str();
            out.push_str(&format!(
                "<tr><td class=\"{status}\">{status}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                escape(&check.name),
                check.value.map(|v| escape(&format_value(v, check.unit))).unwrap_or_default(),
                check.threshold.map(|t| escape(&format_limit(&t, check.unit))).unwrap_or_default(),
                escape(&check.message)
            ));
        }
        out.push_str("</table>\n");
    }
    for section in report.sections.iter().filter(|s| !s.title.is_empty()) {
        out.push_str(&format!(
            "<h2>{}</h2>\n",
            escape(section.title.trim_end_matches(':'))
        ));
        if section.rows.is_empty() {
            out.push_str("<p>(none)</p>\n");
            continue;
        }
        out.push_str("<table><tr>");
        for column in &section.columns {
            out.push_str(&format!("<th>{}</th>", escape(&column.title)));
        }
        out.push_str("</tr>\n");
        for row in &section.rows {
            out.push_str("<tr>");
            for cell in row {
                let class = match cell {
                    crate::report::Cell::Text(_) | crate::report::Cell::Empty => "",
                    _ => " class=\"n\"",
                };
                out.push_str(&format!("<td{class}>{}</td>", escape(&cell_text(cell))));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    if !report.charts.is_empty() {
        out.push_str("<h2>Charts</h2>\n");
    }
    for (index, series) in report.charts.iter().enumerate() {
        out.push_str(&format!(
            "<figure id=\"chart-{}\"><figcaption>{} <span>{}</span></figcaption>{}</figure>\n",
            index + 1,
            escape(&series.name),
            escape(&series.caption),
            chart::svg(series, escape)
        ));
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_page_fetches_nothing() {
        let mut report = Report::new("trend", crate::report::Kind::Action, chrono::Utc::now());
        report.checks.push(crate::report::Check::new(
            "x<script>",
            crate::report::Status::Ok,
            "a & b",
        ));
        let page = render(&report);
        assert!(page.contains("x&lt;script&gt;") && page.contains("a &amp; b"));
        assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href="));
    }
}
