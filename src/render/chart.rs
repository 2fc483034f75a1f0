//! Charts of a series: a sparkline for a table cell, a line chart in text
//! for a terminal, and an SVG line chart for the HTML page.

use std::fmt::Write as _;

use super::format_value;
use crate::report::{Chart, Status};
use crate::stats::{Point, reduce};

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The series as `width` bars of eight heights (`▁▂▄▇█`), low to high.
pub fn sparkline(points: &[Point], width: usize) -> String {
    let reduced = reduce(points, width);
    let (low, high) = bounds(&reduced);
    reduced
        .iter()
        .map(|p| {
            let level = if high > low {
                ((p.v - low) / (high - low) * 7.0).round() as usize
            } else {
                3
            };
            BARS[level.min(7)]
        })
        .collect()
}

fn bounds(points: &[Point]) -> (f64, f64) {
    points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.v), hi.max(p.v))
        })
}

fn date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|time| time.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A line chart in text, `width` columns of plot by `height` rows, the
/// highest and lowest values on the left, the first and last times below.
pub fn text(chart: &Chart, width: usize, height: usize) -> String {
    let points = reduce(&chart.points, width);
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return format!("{}: no points\n", chart.name);
    };
    let (low, high) = bounds(&points);
    let row_of = |v: f64| {
        if high > low {
            ((high - v) / (high - low) * (height - 1) as f64).round() as usize
        } else {
            height / 2
        }
    };
    let mut grid = vec![vec![' '; points.len()]; height];
    let mut previous: Option<usize> = None;
    for (column, point) in points.iter().enumerate() {
        let row = row_of(point.v);
        // Join a jump to the previous column so the line reads as one.
        if let Some(before) = previous {
            let (top, bottom) = (before.min(row), before.max(row));
            for line in grid.iter_mut().take(bottom).skip(top + 1) {
                line[column] = '│';
            }
        }
        grid[row][column] = '•';
        previous = Some(row);
    }
    let top_label = format_value(high, chart.unit);
    let bottom_label = format_value(low, chart.unit);
    let margin = top_label.chars().count().max(bottom_label.chars().count());
    let mut out = format!("{} — {}\n", chart.name, chart.caption);
    for (index, line) in grid.iter().enumerate() {
        let label = match index {
            0 => top_label.as_str(),
            i if i == height - 1 => bottom_label.as_str(),
            _ => "",
        };
        let line: String = line.iter().collect();
        let _ = writeln!(out, "{label:>margin$} ┤{}", line.trim_end());
    }
    let _ = writeln!(out, "{:>margin$} └{}", "", "─".repeat(points.len()));
    let (from, to) = (date(first.t), date(last.t));
    let gap = (points.len() + 1)
        .saturating_sub(from.len() + to.len())
        .max(1);
    let _ = writeln!(out, "{:>margin$}  {from}{}{to}", "", " ".repeat(gap));
    out
}

/// The colour of a status on the page.
pub fn colour(status: Option<Status>) -> &'static str {
    match status {
        Some(Status::Critical) => "#c0392b",
        Some(Status::Warning) => "#d68910",
        Some(Status::Unknown) => "#7f8c8d",
        Some(Status::Ok) | None => "#2471a3",
    }
}

/// An SVG line chart, self-contained (no fonts or scripts fetched).
pub fn svg(chart: &Chart, escape: impl Fn(&str) -> String) -> String {
    const W: f64 = 640.0;
    const H: f64 = 180.0;
    const LEFT: f64 = 70.0;
    const BOTTOM: f64 = 24.0;
    let points = reduce(&chart.points, 320);
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return String::new();
    };
    let (low, high) = bounds(&points);
    let span = (last.t - first.t).max(1) as f64;
    let x = |t: i64| LEFT + (t - first.t) as f64 / span * (W - LEFT - 10.0);
    let y = |v: f64| {
        if high > low {
            10.0 + (high - v) / (high - low) * (H - BOTTOM - 20.0)
        } else {
            (H - BOTTOM) / 2.0
        }
    };
    let line: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.t), y(p.v)))
        .collect();
    let mut out = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        escape(&chart.name)
    );
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#999\"/><line x1=\"{LEFT}\" y1=\"6\" x2=\"{LEFT}\" y2=\"{b}\" stroke=\"#999\"/>",
        b = H - BOTTOM,
        r = W - 10.0
    );
    for (value, anchor) in [(high, y(high)), (low, y(low))] {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
            LEFT - 6.0,
            anchor + 4.0,
            escape(&format_value(value, chart.unit))
        );
    }
    let _ = write!(
        out,
        "<text x=\"{LEFT}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
        H - 6.0,
        date(first.t),
        W - 10.0,
        H - 6.0,
        date(last.t)
    );
    let _ = write!(
        out,
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/></svg>",
        colour(chart.status),
        line.join(" ")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            name: "disk:/".into(),
            unit: Some(crate::report::Unit::Percent),
            status: Some(Status::Warning),
            caption: "rising".into(),
            points: (0..100)
                .map(|i| Point::new(i * 3600, 50.0 + f64::from(i as i32) * 0.3))
                .collect(),
        }
    }

    #[test]
    fn sparklines_rise_with_the_values() {
        let line = sparkline(&chart().points, 8);
        assert_eq!(line, "▁▂▃▄▅▆▇█");
        assert_eq!(
            sparkline(&[Point::new(0, 1.0), Point::new(1, 1.0)], 8),
            "▄▄"
        );
    }

    #[test]
    fn the_text_chart_labels_its_range_and_times() {
        let text = text(&chart(), 40, 6);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "disk:/ — rising");
        // Forty columns of 2.5 points each: the labels are the columns' means.
        assert!(lines[1].starts_with("79.4 % ┤"), "{text}");
        assert!(lines[6].starts_with("50.3 % ┤••••"), "{text}");
        assert!(
            lines[8].contains("1970-01-01 01:00") && lines[8].contains("1970-01-05 02:00"),
            "{text}"
        );
    }

    #[test]
    fn the_svg_has_one_polyline_in_the_status_colour() {
        let svg = svg(&chart(), str::to_owned);
        assert!(svg.starts_with("<svg class=\"chart\""));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("#d68910"));
    }
}
