//! Predictions from a check's history: a robust line through the recent
//! points (`stats::theil_sen`, which says why Theil–Sen), extrapolated to
//! when a filesystem is full or a size has doubled, judged in days left.

use crate::report::{Check, Status, Threshold, Unit};
use crate::stats::{self, DAY, Fit, Point};
use crate::units::trim_number;

/// What every prediction needs besides its series.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// Fewer points than this make no prediction: a line through three
    /// samples says more about the noise than the trend.
    pub min_points: usize,
    pub full_in: Threshold,
    pub doubles_in: Threshold,
    /// Unix seconds the prediction is made at.
    pub now: i64,
}

/// How good the line is, for the message: points, span and R².
fn quality(fit: &Fit) -> String {
    let days = fit.span as f64 / DAY;
    let span = if days >= 1.0 {
        format!("{} days", trim_number(days, 1))
    } else {
        format!("{} hours", trim_number(days * 24.0, 1))
    };
    format!(
        "Theil–Sen fit over {span}: {} points, R² {}",
        fit.points,
        trim_number(fit.r2, 2)
    )
}

fn fit(points: &[Point], rules: &Rules) -> Option<Fit> {
    if points.len() < rules.min_points {
        return None;
    }
    stats::theil_sen(points).filter(|fit| fit.span > 0)
}

/// `predict:disk:/`: days until the percentage in `points` reaches 100.
pub fn full_in(name: &str, points: &[Point], rules: &Rules) -> Option<Check> {
    let fit = fit(points, rules)?;
    let now = fit.at(rules.now);
    let per_day = fit.per_day();
    let check_name = format!("predict:{name}");
    let rate = format!(
        "{}{} %/day",
        if per_day >= 0.0 { "+" } else { "" },
        trim_number(per_day, 2)
    );
    // Less than a hundredth of a percent a day is a year per 3.65 %: flat.
    if per_day < 0.01 {
        return Some(
            Check::new(
                check_name,
                Status::Ok,
                format!("{name} is not filling ({rate}; {})", quality(&fit)),
            )
            .with_threshold(rules.full_in),
        );
    }
    let days = ((100.0 - now) / per_day).max(0.0);
    Some(
        Check::measured(
            check_name,
            days,
            Unit::Days,
            rules.full_in,
            format!(
                "{name} full in {} at {rate} ({})",
                days_text(days),
                quality(&fit)
            ),
        )
        .with_hint(format!(
            "maint trend '{name}' --plot; maint diagnose (the largest folders)"
        ))
        .because("a full filesystem stops writes: databases, logs and uploads fail at once"),
    )
}

/// `predict:backup create/archive`: how fast a size grows, and the days
/// until it doubles at that rate.
pub fn growth(name: &str, what: &str, points: &[Point], rules: &Rules) -> Option<Check> {
    let fit = fit(points, rules)?;
    let now = fit.at(rules.now);
    if now <= 0.0 {
        return None;
    }
    let per_day = fit.per_day();
    let weekly = per_day * 7.0 / now * 100.0;
    let check_name = format!("predict:{name}");
    if per_day <= 0.0 {
        return Some(
            Check::new(
                check_name,
                Status::Ok,
                format!(
                    "{what} is not growing ({} % a week; {})",
                    trim_number(weekly, 1),
                    quality(&fit)
                ),
            )
            .with_threshold(rules.doubles_in),
        );
    }
    let days = now / per_day;
    Some(
        Check::measured(
            check_name,
            days,
            Unit::Days,
            rules.doubles_in,
            format!(
                "{what} grows {} % a week: doubles in {} ({})",
                trim_number(weekly, 1),
                days_text(days),
                quality(&fit)
            ),
        )
        .with_hint(format!("maint trend '{name}' --since 90d --plot"))
        .because("a size that doubles outgrows its disk and its backup window"),
    )
}

fn days_text(days: f64) -> String {
    if days < 1.0 {
        format!("{} hours", trim_number(days * 24.0, 0))
    } else if (days - 1.0).abs() < 0.05 {
        "1 day".to_owned()
    } else {
        format!("{} days", trim_number(days, 0))
    }
}

/// How bad a trend looks without levels, for ordering a review worst
/// first: the line's change per day relative to the series' mean.
pub fn relative_slope(points: &[Point], fit: Option<&Fit>) -> f64 {
    let Some(fit) = fit else {
        return 0.0;
    };
    let mean = points.iter().map(|p| p.v).sum::<f64>() / points.len().max(1) as f64;
    if mean.abs() > f64::EPSILON {
        fit.per_day() / mean.abs()
    } else {
        fit.per_day()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn rules() -> Rules {
        Rules {
            min_points: 12,
            full_in: Threshold::below(14.0, 3.0),
            doubles_in: Threshold::below(30.0, 7.0),
            now: NOW,
        }
    }

    /// Hourly samples over the last week, growing `per_day` from `start`.
    fn week(start: f64, per_day: f64) -> Vec<Point> {
        (0..=168)
            .map(|h| {
                let t = NOW - (168 - h) * 3600;
                Point::new(t, start + per_day * h as f64 / 24.0)
            })
            .collect()
    }

    #[test]
    fn a_filling_disk_is_full_on_the_day_the_line_says() {
        // 70 % now, +2 %/day: full in 15 days; at +3 %/day in 10.
        let check = full_in("disk:/", &week(56.0, 2.0), &rules()).unwrap();
        assert_eq!(check.name, "predict:disk:/");
        assert!((check.value.unwrap() - 15.0).abs() < 0.01, "{check:?}");
        assert_eq!(check.status, Status::Ok);
        let check = full_in("disk:/", &week(49.0, 3.0), &rules()).unwrap();
        assert!((check.value.unwrap() - 10.0).abs() < 0.01);
        assert_eq!(check.status, Status::Warning);
        assert!(
            check
                .message
                .starts_with("disk:/ full in 10 days at +3 %/day"),
            "{}",
            check.message
        );
        assert!(
            check.message.contains("fit over 7 days: 169 points, R² 1"),
            "{}",
            check.message
        );
        let check = full_in("disk:/", &week(80.0, 2.5), &rules()).unwrap();
        assert_eq!(check.status, Status::Critical);
    }

    #[test]
    fn a_flat_or_short_history_predicts_nothing_alarming() {
        let check = full_in("disk:/", &week(40.0, 0.0), &rules()).unwrap();
        assert_eq!((check.status, check.value), (Status::Ok, None));
        assert!(check.message.contains("not filling"));
        assert_eq!(full_in("disk:/", &week(40.0, 1.0)[..11], &rules()), None);
    }

    #[test]
    fn sizes_grow_by_the_week_and_double() {
        let daily: Vec<Point> = (0..30)
            .map(|d| Point::new(NOW - (29 - d) * 86_400, 1e9 + 1e7 * d as f64))
            .collect();
        let check = growth("backup create/archive", "backup size", &daily, &rules()).unwrap();
        // 1.29 GB now, +10 MB/day: 5.4 % a week, doubles in 129 days.
        assert!((check.value.unwrap() - 129.0).abs() < 0.5, "{check:?}");
        assert!(
            check
                .message
                .starts_with("backup size grows 5.4 % a week: doubles in 129 days")
        );
    }
}
