//! One Nagios/Icinga plugin line: `MAINT HEALTH WARNING - what is wrong | perfdata`.
//! The exit code already matches the plugin convention (0/1/2/3).

use crate::report::{Check, Direction, Report, Status, Unit};
use crate::units::trim_number;

pub(super) fn render(report: &Report) -> String {
    let status = report.status();
    let problems: Vec<String> = report
        .checks
        .iter()
        .filter(|check| check.status != Status::Ok)
        .map(|check| {
            format!(
                "{} {}: {}",
                super::one_line(&check.name),
                check.status.as_str(),
                super::one_line(&check.message)
            )
        })
        .collect();
    let summary = if problems.is_empty() {
        let count = report.checks.len();
        format!("{count} check{} OK", if count == 1 { "" } else { "s" })
    } else {
        problems.join("; ")
    };
    let perfdata: Vec<String> = report.checks.iter().filter_map(perfdata).collect();
    let mut line = format!(
        "MAINT {} {} - {}",
        report.command.to_ascii_uppercase(),
        status.as_str(),
        // A `|` in the text would start the performance data early.
        summary.replace('|', "/")
    );
    if !perfdata.is_empty() {
        line.push_str(" | ");
        line.push_str(&perfdata.join(" "));
    }
    line.push('\n');
    line
}

/// `'label'=value[UOM];warn;crit;min;max` — plugin development guidelines.
/// A range alerts outside `start:end` (`10:` below 10), or inside it with
/// `@`, both ends included: maint's "80 or more is a warning" is `@80:`
/// (plain `80` would alert only above 80), and "fewer than 30 days" `30:`.
fn perfdata(check: &Check) -> Option<String> {
    let value = check.value?;
    let (uom, min, max) = match check.unit {
        Some(Unit::Percent) => ("%", "0", "100"),
        Some(Unit::Seconds) => ("s", "0", ""),
        Some(Unit::Bytes) => ("B", "0", ""),
        _ => ("", "", ""),
    };
    let range = |limit: Option<f64>| match (limit, check.threshold.map(|t| t.direction)) {
        (Some(limit), Some(Direction::Below)) => format!("{}:", trim_number(limit, 3)),
        (Some(limit), _) => format!("@{}:", trim_number(limit, 3)),
        (None, _) => String::new(),
    };
    let (warn, crit) = match check.threshold {
        Some(t) => (range(t.warning), range(t.critical)),
        None => (String::new(), String::new()),
    };
    let label = super::one_line(&check.name).replace('\'', "''");
    Some(format!(
        "'{label}'={}{uom};{warn};{crit};{min};{max}",
        trim_number(value, 3)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Kind, Threshold};

    #[test]
    fn one_line_with_perfdata() {
        let mut report = Report::new("health", Kind::Check, chrono::Utc::now());
        report.checks.push(Check::measured(
            "disk:/",
            93.25,
            Unit::Percent,
            Threshold::above(80.0, 90.0),
            "93.3 % used",
        ));
        report.checks.push(
            Check::new("tcp:db:5432", Status::Critical, "connection refused")
                .with_value(0.002, Unit::Seconds),
        );
        report.checks.push(Check::measured(
            "cert",
            20.0,
            Unit::Days,
            Threshold::below(60.0, 30.0),
            "20 days left",
        ));
        assert_eq!(
            render(&report),
            "MAINT HEALTH CRITICAL - disk:/ CRITICAL: 93.3 % used; tcp:db:5432 CRITICAL: connection refused; \
             cert CRITICAL: 20 days left \
             | 'disk:/'=93.25%;@80:;@90:;0;100 'tcp:db:5432'=0.002s;;;0; 'cert'=20;60:;30:;;\n"
        );
    }

    #[test]
    fn all_ok() {
        let mut report = Report::new("health", Kind::Check, chrono::Utc::now());
        report.checks.push(Check::new("redis", Status::Ok, "PONG"));
        assert_eq!(render(&report), "MAINT HEALTH OK - 1 check OK\n");
    }
}
