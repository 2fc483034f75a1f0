//! Verdicts of `maint logs analyze`: lines in the window, each category
//! against its alert levels (a count in the window, or the busiest bucket
//! of a rate), lines whose time is unknown, and files that could not be
//! read. The scan's numbers come in as plain values.

use crate::levels::Alert;
use crate::logscan::access::AccessStats;
use crate::logscan::{self, FileReport, Outcome};
use crate::report::{Check, Status, Unit};
use crate::units::human_bytes;

/// How findings name what was read: the window as the user gave it, the
/// histogram's bucket, and the files a `grep` hint should read.
pub struct Wording {
    /// ` since …` / ` between … and …`, or empty without a window.
    pub window: String,
    /// `hour`, `minute`, `15m`: the display histogram's bucket.
    pub bucket: String,
    /// The last few files read, shell-quoted, for hints.
    pub grep_files: String,
    /// Every path as given, shell-quoted, for hints.
    pub paths: String,
}

/// What was read in the window.
pub struct Lines {
    pub count: u64,
    pub files_read: usize,
    pub files: usize,
    pub bytes_read: u64,
    /// Files whose times go back.
    pub disordered: Vec<String>,
}

/// The window itself: how many lines, and "none" as a result of its own
/// (`no_lines` says how bad that is).
pub fn lines(lines: &Lines, no_lines: Status, wording: &Wording) -> Check {
    let mut message = format!(
        "{} lines{} in {} of {} files ({} read)",
        lines.count,
        wording.window,
        lines.files_read,
        lines.files,
        human_bytes(lines.bytes_read)
    );
    // Never silent about it: a window's shortcuts assume time order.
    if !lines.disordered.is_empty() {
        message.push_str(&format!(
            "; times go back in {} (a clock step, a DST change or newest first): read whole, every line judged by its own time",
            lines.disordered.join(", ")
        ));
    }
    if lines.count == 0 {
        Check::new("lines", no_lines, format!("no lines in the window: {message}"))
            .with_value(0.0, Unit::Count)
            .with_hint(format!(
                "ls -l --time-style=full-iso {}; is the application logging there? widen --since or check --explain",
                wording.grep_files
            ))
    } else {
        Check::new("lines", Status::Ok, message).with_value(lines.count as f64, Unit::Count)
    }
}

/// How a category judged by level was judged: its lines are those of
/// `level` in the `by_level` files (of `files`) whose lines have a level field.
pub struct ByLevel {
    pub level: &'static str,
    pub by_level: usize,
    pub files: usize,
}

/// One category: its lines in the window, judged by its alert without a
/// period when there is one. `peak` is the busiest display bucket.
pub fn category(
    name: &str,
    pattern: &str,
    by_level: Option<&ByLevel>,
    count: u64,
    peak: Option<(i64, u64)>,
    alert: Option<&Alert>,
    wording: &Wording,
) -> Check {
    let mut message = match by_level {
        Some(judged) if judged.by_level > 0 => {
            let how = if judged.by_level == judged.files {
                "by the level field".to_owned()
            } else {
                format!(
                    "by the level field in {} of {} files, /{pattern}/ in the others",
                    judged.by_level, judged.files
                )
            };
            format!(
                "{count} lines at level {} ({how}){}",
                judged.level, wording.window
            )
        }
        _ => format!("{count} lines match /{pattern}/{}", wording.window),
    };
    if let Some((start, peak)) = peak {
        message.push_str(&format!(
            ", peak {peak} in the {} from {}",
            wording.bucket,
            logscan::show_time(start)
        ));
    }
    let check = match alert {
        Some(alert) => {
            let threshold = alert.threshold();
            Check::new(
                name,
                threshold.judge(count as f64),
                limits_text(&message, alert),
            )
            .with_value(count as f64, Unit::Count)
            .with_threshold(threshold)
        }
        None => Check::new(name, Status::Ok, message).with_value(count as f64, Unit::Count),
    };
    let mut check = check.with_hint(format!(
        "LC_ALL=C zgrep -hE {} {} | tail -n 20",
        crate::shell::word(pattern),
        wording.grep_files
    ));
    check.why = why_it_matters(name);
    check
}

/// The name of the check, and of the alert, on kinds of message not seen
/// by an earlier run (`--state` only).
pub const NEW_TEMPLATES: &str = "new_templates";

/// Kinds of message no earlier run saw: `new` is None on a run with no
/// earlier one to compare with, when `known` templates are remembered.
pub fn new_templates(new: Option<&[String]>, known: usize, alert: Option<&Alert>) -> Check {
    let Some(new) = new else {
        return Check::new(
            NEW_TEMPLATES,
            Status::Ok,
            format!(
                "first run with this state: {known} kind{} of message remembered; the next run reports those it has not seen",
                if known == 1 { "" } else { "s" }
            ),
        )
        .with_value(0.0, Unit::Count);
    };
    let mut message = format!(
        "{} kind{} of message not seen by an earlier run",
        new.len(),
        if new.len() == 1 { "" } else { "s" }
    );
    if let Some(first) = new.first() {
        message.push_str(&format!(": {first}"));
        if new.len() > 1 {
            message.push_str(&format!(" and {} more", new.len() - 1));
        }
    }
    let count = new.len() as f64;
    let check = match alert {
        Some(alert) => {
            let threshold = alert.threshold();
            Check::new(
                NEW_TEMPLATES,
                threshold.judge(count),
                limits_text(&message, alert),
            )
            .with_threshold(threshold)
        }
        None => Check::new(NEW_TEMPLATES, Status::Ok, message),
    }
    .with_value(count, Unit::Count);
    if new.is_empty() {
        check
    } else {
        check.with_hint("the new_templates section lists them with an example line each")
    }
}

/// The requests of the access logs read: by status class (and the 401,
/// 403 and 500 the guides grep for), and response times when logged.
pub fn requests(stats: &AccessStats, wording: &Wording) -> Check {
    let class = |c: u16| stats.class(c);
    let named = |statuses: &[u16]| {
        let parts: Vec<String> = statuses
            .iter()
            .map(|s| format!("{s}: {}", stats.status(*s)))
            .collect();
        parts.join(", ")
    };
    let mut message = format!(
        "{} requests{}: 2xx {}, 3xx {}, 4xx {} ({}), 5xx {} ({})",
        stats.requests,
        wording.window,
        class(2),
        class(3),
        class(4),
        named(&[401, 403, 404]),
        class(5),
        named(&[500, 502, 503]),
    );
    let other = stats.requests - (1..=5).map(class).sum::<u64>();
    if other > 0 {
        message.push_str(&format!(", other {other}"));
    }
    let latencies = &stats.latencies;
    if let (Some(p50), Some(p95), Some(p99)) = (
        latencies.quantile(0.5),
        latencies.quantile(0.95),
        latencies.quantile(0.99),
    ) {
        message.push_str(&format!(
            "; response time p50 {}, p95 {}, p99 {} ({} requests timed)",
            milliseconds(p50),
            milliseconds(p95),
            milliseconds(p99),
            latencies.count
        ));
    }
    let check =
        Check::new("requests", Status::Ok, message).with_value(stats.requests as f64, Unit::Count);
    if class(5) > 0 {
        check.with_hint(format!(
            "LC_ALL=C zgrep -hE '\\\" 5[0-9][0-9] ' {} | tail -n 20",
            wording.grep_files
        ))
    } else {
        check
    }
}

fn milliseconds(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// A rate alert (`errors>50/1h`): the busiest bucket of its period.
pub fn rate(alert: &Alert, peak: Option<(i64, u64)>, wording: &Wording) -> Option<Check> {
    let per = alert.per?;
    let (peak_start, peak) = peak.unwrap_or((0, 0));
    let mut message = format!("busiest {per}: {peak} lines");
    if peak > 0 {
        message.push_str(&format!(" from {}", logscan::show_time(peak_start)));
    }
    let threshold = alert.threshold();
    Some(
        Check::new(
            format!("{}/{per}", alert.category),
            threshold.judge(peak as f64),
            limits_text(&message, alert),
        )
        .with_value(peak as f64, Unit::Count)
        .with_threshold(threshold)
        .with_hint(format!(
            "maint logs analyze {} --bucket {per} --format json  # the histogram section shows every {per}",
            wording.paths
        )),
    )
}

/// Lines with no time, if any: a warning when a window is set and some of
/// them match a category, as they are then counted apart.
pub fn undated(
    count: u64,
    matched: &[(&str, u64)],
    bounded: bool,
    wording: &Wording,
) -> Option<Check> {
    if count == 0 {
        return None;
    }
    let matched: Vec<String> = matched
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    let mut message = format!(
        "{count} lines have no time (no known timestamp format, or before a file's first dated line)"
    );
    if !matched.is_empty() {
        message.push_str(&format!("; they include {}", matched.join(", ")));
    }
    let status = if bounded && !matched.is_empty() {
        message.push_str("; counted apart, as the window cannot apply to them");
        Status::Warning
    } else {
        if bounded {
            message.push_str("; not in the counts above");
        }
        Status::Ok
    };
    Some(
        Check::new("undated", status, message)
            .with_value(count as f64, Unit::Count)
            .with_hint(format!(
                "maint logs analyze {} --explain  # shows each file's detected timestamp format",
                wording.grep_files
            )),
    )
}

/// A file that was not read, or only partly: maint cannot tell what it
/// holds. Files found in a folder that are not text are left out quietly.
pub fn file(file: &FileReport) -> Option<Check> {
    let name = format!("file:{}", file.path.display());
    let shown = crate::shell::word(&file.path.display().to_string());
    match &file.outcome {
        Outcome::Failed(reason) => Some(
            Check::new(name, Status::Unknown, format!("not read: {reason}"))
                .with_hint(format!("ls -l {shown}")),
        ),
        // `ls` would hang on it too: look at the mount table instead.
        Outcome::Hung(reason) => Some(
            Check::new(name, Status::Unknown, format!("not read: {reason}")).with_hint(format!(
                "findmnt -T {shown} (reads only the mount table); for a dead network mount: umount -l MOUNTPOINT"
            )),
        ),
        Outcome::Partial(reason) => Some(
            Check::new(name, Status::Warning, reason.clone())
                .with_hint(format!("gzip -t {shown}; ls -l {shown}")),
        ),
        Outcome::NotText(reason) if file.named => Some(
            Check::new(name, Status::Unknown, format!("not analysed: {reason}"))
                .with_hint(format!("file {shown}")),
        ),
        _ => None,
    }
}

fn limits_text(message: &str, alert: &Alert) -> String {
    let mut levels = Vec::new();
    if let Some(warn) = alert.warn {
        levels.push(format!("more than {warn} is a warning"));
    }
    if let Some(crit) = alert.crit {
        levels.push(format!("more than {crit} critical"));
    }
    format!("{message} ({})", levels.join(", "))
}

/// Why lines of a category matter, for the categories whose meaning maint
/// knows: the built-in ones and the failures of the example config.
fn why_it_matters(category: &str) -> Option<&'static str> {
    match category {
        "errors" => Some("each one is likely a failed request or job somebody noticed"),
        "security" => Some("repeated refusals can be an attack or a client with stale credentials"),
        "failures" => Some("work was lost or rolled back"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn wording() -> Wording {
        Wording {
            window: " since 2026-11-27 00:00:00".into(),
            bucket: "hour".into(),
            grep_files: "app.log".into(),
            paths: "/var/log/app".into(),
        }
    }

    #[test]
    fn a_category_is_judged_by_its_alert_and_says_its_levels() {
        let alert: Alert = "errors>50,200".parse().unwrap();
        let quiet = category("errors", "ERROR", None, 50, None, Some(&alert), &wording());
        assert_eq!(quiet.status, Status::Ok);
        let busy = category(
            "errors",
            "ERROR",
            None,
            201,
            Some((0, 120)),
            Some(&alert),
            &wording(),
        );
        assert_eq!(busy.status, Status::Critical);
        assert_eq!(
            busy.message,
            "201 lines match /ERROR/ since 2026-11-27 00:00:00, peak 120 in the hour from 1970-01-01 00:00:00 \
             (more than 50 is a warning, more than 200 critical)"
        );
        assert!(busy.why.is_some());
        let unwatched = category("slow", "slow query", None, 10_000, None, None, &wording());
        assert_eq!(unwatched.status, Status::Ok);
        assert!(unwatched.why.is_none());
    }

    #[test]
    fn a_rate_is_the_busiest_bucket_of_its_period() {
        let alert: Alert = "errors>10/1h".parse().unwrap();
        assert_eq!(rate(&alert, None, &wording()).unwrap().status, Status::Ok);
        let check = rate(&alert, Some((3_600_000, 11)), &wording()).unwrap();
        assert_eq!(check.name, "errors/1h");
        assert_eq!(check.status, Status::Warning);
        assert!(
            check
                .message
                .starts_with("busiest 1h: 11 lines from 1970-01-01 01:00:00"),
            "{}",
            check.message
        );
        let plain: Alert = "errors>10".parse().unwrap();
        assert!(rate(&plain, None, &wording()).is_none());
    }

    #[test]
    fn no_lines_is_as_bad_as_configured() {
        let none = Lines {
            count: 0,
            files_read: 1,
            files: 2,
            bytes_read: 0,
            disordered: vec!["b.log".into()],
        };
        let check = lines(&none, Status::Critical, &wording());
        assert_eq!(check.status, Status::Critical);
        assert!(
            check
                .message
                .starts_with("no lines in the window: 0 lines since"),
            "{}",
            check.message
        );
        assert!(
            check.message.contains("times go back in b.log"),
            "{}",
            check.message
        );
        let some = Lines { count: 3, ..none };
        assert_eq!(
            lines(&some, Status::Critical, &wording()).status,
            Status::Ok
        );
    }

    #[test]
    fn undated_lines_warn_only_when_a_window_leaves_matches_out() {
        assert!(undated(0, &[], true, &wording()).is_none());
        let matched = [("errors", 2), ("security", 0)];
        let check = undated(5, &matched, true, &wording()).unwrap();
        assert_eq!(check.status, Status::Warning);
        assert!(
            check.message.contains("they include 2 errors;"),
            "{}",
            check.message
        );
        assert_eq!(
            undated(5, &matched, false, &wording()).unwrap().status,
            Status::Ok
        );
        assert_eq!(
            undated(5, &[("errors", 0)], true, &wording())
                .unwrap()
                .status,
            Status::Ok
        );
    }

    #[test]
    fn files_not_read_are_unknown_and_a_folder_s_binaries_are_skipped() {
        let report = |outcome: Outcome, named: bool| FileReport {
            path: PathBuf::from("/var/log/app.log"),
            named,
            content: None,
            format: None,
            read: None,
            lines: 0,
            outcome,
            notes: Vec::new(),
            disordered: false,
            levels: false,
            access: false,
        };
        let failed = file(&report(Outcome::Failed("permission denied".into()), false)).unwrap();
        assert_eq!(failed.status, Status::Unknown);
        assert_eq!(failed.name, "file:/var/log/app.log");
        let hung = file(&report(Outcome::Hung("no answer in 5s".into()), false)).unwrap();
        assert!(
            hung.hint
                .unwrap()
                .starts_with("findmnt -T /var/log/app.log")
        );
        let partial = file(&report(Outcome::Partial("gzip ends early".into()), false)).unwrap();
        assert_eq!(partial.status, Status::Warning);
        assert!(file(&report(Outcome::NotText("binary".into()), false)).is_none());
        assert!(file(&report(Outcome::NotText("binary".into()), true)).is_some());
        assert!(file(&report(Outcome::Read, true)).is_none());
    }
}
