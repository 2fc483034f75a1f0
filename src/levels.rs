//! The threshold toolkit: every command's warning and critical levels are
//! built-in defaults, then `maint.toml`, then flags, and each step is
//! checked for order the same way (a warning level past the critical one
//! is an error, in the direction the value goes bad). `config::Loaded::levels`
//! applies a `maint.toml` table with its line number; commands apply flags
//! with [`overlay`] and say which flag was wrong.
//!
//! Log alert levels (`errors>100,500/1h`) are here too: they are read from
//! `maint.toml` and from `--threshold` alike.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::logscan::categories;
use crate::report::{Direction, Threshold};
use crate::units::{ByteSize, Span, trim_number};

/// A level as the number a check's value is compared with: seconds for
/// durations, bytes for sizes.
pub trait Level: Copy {
    fn level(self) -> f64;
}

impl Level for f64 {
    fn level(self) -> f64 {
        self
    }
}

impl Level for Span {
    fn level(self) -> f64 {
        self.0.as_secs_f64()
    }
}

impl Level for ByteSize {
    fn level(self) -> f64 {
        self.0 as f64
    }
}

impl Level for u32 {
    fn level(self) -> f64 {
        f64::from(self)
    }
}

/// `warn` and `crit`, where given, over `threshold`; the result checked for order.
pub fn overlay<T: Level>(
    mut threshold: Threshold,
    warn: Option<T>,
    crit: Option<T>,
) -> Result<Threshold, String> {
    threshold.warning = warn.map(Level::level).or(threshold.warning);
    threshold.critical = crit.map(Level::level).or(threshold.critical);
    check_order(&threshold)?;
    Ok(threshold)
}

/// Whether the warning level comes before the critical one as the value
/// goes bad: below it when higher is worse, above it when lower is worse.
pub fn check_order(threshold: &Threshold) -> Result<(), String> {
    let (Some(warn), Some(crit)) = (threshold.warning, threshold.critical) else {
        return Ok(());
    };
    let (out_of_order, word) = match threshold.direction {
        Direction::Above => (warn > crit, "above"),
        Direction::Below => (warn < crit, "below"),
    };
    if out_of_order {
        return Err(format!(
            "the warning level {} is {word} the critical level {}",
            trim_number(warn, 3),
            trim_number(crit, 3)
        ));
    }
    Ok(())
}

/// A log alert level: `CATEGORY>WARN[,CRIT][/PERIOD]`. Without a period it
/// judges the lines in the window; with one, the busiest period in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub category: String,
    pub warn: Option<u64>,
    pub crit: Option<u64>,
    pub per: Option<Span>,
}

impl FromStr for Alert {
    type Err = String;

    fn from_str(text: &str) -> Result<Alert, String> {
        let usage = || {
            format!(
                "threshold {text:?} is not CATEGORY>WARN[,CRIT][/PERIOD] (e.g. errors>100, errors>50,200/1h)"
            )
        };
        let (category, rest) = text.split_once('>').ok_or_else(usage)?;
        let category = category.trim();
        categories::check_name(category).map_err(|_| usage())?;
        let (levels, per) = match rest.split_once('/') {
            Some((levels, per)) => {
                let span: Span = per
                    .trim()
                    .parse()
                    .map_err(|err| format!("threshold {text:?}: {err}"))?;
                if span.0 < Duration::from_secs(1) {
                    return Err(format!(
                        "threshold {text:?}: the period must be at least 1s"
                    ));
                }
                (levels, Some(span))
            }
            None => (rest, None),
        };
        let number = |n: &str| n.trim().parse::<u64>().map_err(|_| usage());
        let (warn, crit) = match levels.split_once(',') {
            Some((warn, crit)) => (number(warn)?, Some(number(crit)?)),
            None => (number(levels)?, None),
        };
        if let Some(crit) = crit
            && warn > crit
        {
            return Err(format!(
                "threshold {text:?}: the warning level {warn} is above the critical level {crit}"
            ));
        }
        Ok(Alert {
            category: category.to_owned(),
            warn: Some(warn),
            crit,
            per,
        })
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}>", self.category)?;
        if let Some(warn) = self.warn {
            write!(f, "{warn}")?;
        }
        if let Some(crit) = self.crit {
            write!(f, ",{crit}")?;
        }
        if let Some(per) = self.per {
            write!(f, "/{per}")?;
        }
        Ok(())
    }
}

impl<'de> serde::Deserialize<'de> for Alert {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Alert {
    pub fn threshold(&self) -> Threshold {
        // "more than N" on counts is "at least N + 1" in the report's terms.
        Threshold {
            warning: self.warn.map(|n| n as f64 + 1.0),
            critical: self.crit.map(|n| n as f64 + 1.0),
            direction: Direction::Above,
        }
    }

    /// What two alerts on the same thing share: category and period.
    pub fn key(&self) -> (String, Option<Span>) {
        (self.category.clone(), self.per)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    #[test]
    fn each_source_overrides_the_one_below_and_order_is_checked() {
        let base = Threshold::above(80.0, 90.0);
        let t = overlay(base, Some(70.0), None).unwrap();
        assert_eq!((t.warning, t.critical), (Some(70.0), Some(90.0)));
        assert!(overlay(base, Some(95.0), None).is_err());
        let days = Threshold::below(30.0, 7.0);
        assert!(overlay(days, Some(5u32), None).is_err());
        let t = overlay(days, Some(60u32), Some(14u32)).unwrap();
        assert_eq!((t.warning, t.critical), (Some(60.0), Some(14.0)));
        let span = overlay(base, Some("1h".parse::<Span>().unwrap()), None);
        assert!(span.is_err(), "3600 s is above 90");
    }

    #[test]
    fn alerts_parse_and_print_back() {
        let alert: Alert = "errors>100".parse().unwrap();
        assert_eq!((alert.warn, alert.crit, alert.per), (Some(100), None, None));
        let alert: Alert = "errors>50,200/1h".parse().unwrap();
        assert_eq!((alert.warn, alert.crit), (Some(50), Some(200)));
        assert_eq!(alert.per, Some("1h".parse().unwrap()));
        assert_eq!(alert.to_string(), "errors>50,200/1h");
        assert_eq!(alert.threshold().judge(50.0), Status::Ok);
        assert_eq!(alert.threshold().judge(51.0), Status::Warning);
        assert_eq!(alert.threshold().judge(201.0), Status::Critical);
        for bad in [
            "errors",
            "errors>",
            "errors>x",
            "errors>5,2",
            "bad name>1",
            "errors>1/0s",
            "errors>1/soon",
        ] {
            assert!(bad.parse::<Alert>().is_err(), "{bad}");
        }
    }
}
