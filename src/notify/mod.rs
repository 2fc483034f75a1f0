//! The message that reaches a person: a report's outcome, told to webhooks
//! (Slack-compatible or the report's JSON), job-ping URLs (healthchecks.io's
//! convention) and mailboxes (SMTP or the local sendmail).
//!
//! Delivery is bounded: each target has one time limit that covers every
//! attempt, a bounded number of retries (only for what may pass on a second
//! try: no answer, a refused connection, 429 and 5xx), and all targets are
//! served at once, so a receiver that never answers delays maint by at most
//! its timeout. Every text sent is built from the redacted report
//! (`redact::report`, the redaction the support bundle uses), so a message
//! never carries a secret. A failed delivery is returned, never raised: it
//! must not change the exit code of the work it tells about.

mod http;
mod mail;
mod smtp;
pub mod state;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::report::{Cell, Column, Report, Section, Status};

pub use smtp::{SmtpSettings, SmtpTls};

/// A target's time limit when the config sets none, retries included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Further attempts after a first one that may pass on a second try.
pub const DEFAULT_RETRIES: u32 = 2;

/// What a run was, for the people told about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Exit 2 or 3: failed, or could not tell.
    Failure,
    /// Exit 1.
    Warning,
    /// Exit 0 after a run that was not.
    Recovery,
    /// Exit 0, as before.
    Success,
    /// `maint notify test`.
    Test,
}

impl Event {
    /// The event of a run that exited with `code`, the previous run of the
    /// same command having exited with `previous`.
    pub fn of(code: u8, previous: Option<u8>) -> Event {
        match code {
            0 if previous.is_some_and(|p| p != 0) => Event::Recovery,
            0 => Event::Success,
            1 => Event::Warning,
            _ => Event::Failure,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Event::Failure => "failure",
            Event::Warning => "warning",
            Event::Recovery => "recovery",
            Event::Success => "success",
            Event::Test => "test",
        }
    }
}

/// The `on` list of a target: which events it is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    Failure,
    Warning,
    Recovery,
    Always,
}

/// What a webhook is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// `{"text": "..."}`: Slack, Mattermost, Rocket.Chat, Teams workflows.
    #[default]
    Slack,
    /// The report's JSON, with `event` and `previous_status` added.
    Json,
}

/// How a target is reached.
#[derive(Clone, Debug)]
pub enum Via {
    Webhook {
        url: String,
        format: WebhookFormat,
        headers: Vec<(String, String)>,
    },
    /// healthchecks.io's convention: `URL/start` before, `URL` on success,
    /// `URL/fail` on failure, the summary as the body.
    Ping { url: String },
    Email {
        to: Vec<String>,
        from: String,
        transport: Transport,
    },
}

#[derive(Clone, Debug)]
pub enum Transport {
    Smtp(SmtpSettings),
    /// The local `sendmail` (or a compatible program) at this path.
    Sendmail(PathBuf),
}

#[derive(Clone, Debug)]
pub struct Target {
    pub via: Via,
    pub on: Vec<Trigger>,
    /// For every attempt together.
    pub timeout: Duration,
    pub retries: u32,
}

impl Target {
    /// Whether this target is told about `event`. Pings are told every
    /// finish: a missing ping is their alarm.
    pub fn wants(&self, event: Event) -> bool {
        if matches!(self.via, Via::Ping { .. }) || event == Event::Test {
            return true;
        }
        self.on.iter().any(|trigger| {
            matches!(
                (trigger, event),
                (Trigger::Always, _)
                    | (Trigger::Failure, Event::Failure)
                    | (Trigger::Warning, Event::Warning)
                    | (Trigger::Recovery, Event::Recovery)
            )
        })
    }

    /// The target as shown in reports and errors: its kind and where it
    /// goes, without the path or query of a URL (a Slack webhook's path
    /// is its secret).
    pub fn describe(&self) -> String {
        match &self.via {
            Via::Webhook { url, .. } => format!("webhook {}", origin(url)),
            Via::Ping { url } => format!("ping {}", origin(url)),
            Via::Email { to, .. } => format!("email {}", to.join(", ")),
        }
    }
}

/// `scheme://host[:port]/…` of a URL.
fn origin(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => {
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}/…",
                parsed.scheme(),
                parsed.host_str().unwrap_or("?")
            )
        }
        Err(_) => "(invalid URL)".to_owned(),
    }
}

/// What is told about one run, every text redacted.
#[derive(Clone, Debug)]
pub struct Message {
    pub command: String,
    pub host: String,
    pub status: Status,
    pub code: u8,
    pub event: Event,
    pub previous: Option<u8>,
    pub subject: String,
    /// A few lines: the verdict, then the worst findings with their hints.
    pub text: String,
    /// The report's JSON with `event` and `previous_status` added.
    pub json: String,
}

/// How many findings a message lists before "and N more".
const FINDINGS_SHOWN: usize = 10;

impl Message {
    /// The message about `report`, which ended with exit `code`.
    pub fn new(report: &Report, code: u8, event: Event, previous: Option<u8>) -> Message {
        let clean = crate::redact::report(report);
        let host = crate::probe::system::hostname();
        let status = clean.status();
        let command = format!("maint {}", clean.command);
        let word = match event {
            Event::Test => "TEST".to_owned(),
            _ => status.as_str().to_owned(),
        };
        let subject = format!("[maint] {host}: {} {word}", clean.command);
        let mut text = format!(
            "{command} on {host}: {word} (exit {code}) in {}",
            crate::units::compact_duration(clean.duration)
        );
        match (event, previous) {
            (Event::Recovery, Some(previous)) => {
                text.push_str(&format!(", recovered (the run before exited {previous})"));
            }
            (Event::Test, _) => text.push_str(", a test message from `maint notify test`"),
            _ => {}
        }
        text.push('\n');
        let mut findings: Vec<_> = clean
            .checks
            .iter()
            .filter(|check| check.status != Status::Ok)
            .collect();
        findings.sort_by_key(|check| std::cmp::Reverse(check.status.severity()));
        for check in findings.iter().take(FINDINGS_SHOWN) {
            text.push_str(&format!(
                "- {} {}: {}",
                check.status.as_str(),
                check.name,
                check.message
            ));
            if let Some(hint) = &check.hint {
                text.push_str(&format!(" (next: {hint})"));
            }
            text.push('\n');
        }
        if findings.len() > FINDINGS_SHOWN {
            text.push_str(&format!("- and {} more\n", findings.len() - FINDINGS_SHOWN));
        }
        let rendered = crate::render::render(
            &clean,
            crate::render::Format::Json,
            &crate::render::Style::default(),
        );
        let json = match serde_json::from_str::<serde_json::Value>(&rendered) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.insert("event".into(), event.as_str().into());
                map.insert("exit_code".into(), code.into());
                map.insert("previous_exit_code".into(), previous.into());
                serde_json::Value::Object(map).to_string()
            }
            _ => rendered,
        };
        Message {
            command,
            host,
            status,
            code,
            event,
            previous,
            subject,
            text: crate::redact::secrets_in_text(&text),
            json,
        }
    }
}

/// How one delivery went.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub target: String,
    /// What was sent: `failure`, `start`, ...
    pub what: String,
    pub attempts: u32,
    /// None when delivered.
    pub error: Option<String>,
}

/// Why one attempt failed, and whether another may pass.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    pub retry: bool,
}

impl SendError {
    fn new(message: impl Into<String>, retry: bool) -> SendError {
        SendError {
            message: crate::redact::secrets_in_text(&message.into()),
            retry,
        }
    }
}

/// Tells every target that wants `message`, all at once.
pub fn deliver(targets: &[Target], message: &Message) -> Vec<Delivery> {
    let chosen: Vec<&Target> = targets.iter().filter(|t| t.wants(message.event)).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = chosen
            .iter()
            .map(|target| {
                scope.spawn(move || {
                    with_retries(target, message.event.as_str(), |limit| {
                        send(target, message, limit)
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|handle| handle.join().ok())
            .collect()
    })
}

/// Sends `URL/start` to every ping target, before the work begins.
pub fn start(targets: &[Target], command: &str) -> Vec<Delivery> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .filter_map(|target| match &target.via {
                Via::Ping { url } => Some((target, url)),
                _ => None,
            })
            .map(|(target, url)| {
                scope.spawn(move || {
                    with_retries(target, "start", |limit| {
                        http::post(
                            &http::ping_url(url, "start"),
                            "text/plain",
                            &[],
                            format!("maint {command} started").as_bytes(),
                            limit,
                        )
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|handle| handle.join().ok())
            .collect()
    })
}

fn send(target: &Target, message: &Message, limit: Duration) -> Result<(), SendError> {
    match &target.via {
        Via::Webhook {
            url,
            format,
            headers,
        } => {
            let body = match format {
                WebhookFormat::Slack => serde_json::json!({ "text": message.text }).to_string(),
                WebhookFormat::Json => message.json.clone(),
            };
            http::post(url, "application/json", headers, body.as_bytes(), limit)
        }
        Via::Ping { url } => {
            let url = match message.event {
                Event::Failure => http::ping_url(url, "fail"),
                _ => url.clone(),
            };
            http::post(&url, "text/plain", &[], message.text.as_bytes(), limit)
        }
        Via::Email {
            to,
            from,
            transport,
        } => {
            let mail = mail::compose(from, to, &message.subject, &message.text, &message.host);
            match transport {
                Transport::Smtp(settings) => smtp::send(settings, from, to, &mail, limit),
                Transport::Sendmail(program) => mail::sendmail(program, from, to, &mail, limit),
            }
        }
    }
}

/// Runs `attempt` until it succeeds, fails for good, runs out of retries or
/// of the target's time; each attempt gets an equal share of that time.
fn with_retries(
    target: &Target,
    what: &str,
    mut attempt: impl FnMut(Duration) -> Result<(), SendError>,
) -> Delivery {
    let started = Instant::now();
    let attempts_allowed = target.retries + 1;
    let share = target.timeout / attempts_allowed;
    let mut attempts = 0;
    let mut pause = Duration::from_millis(250);
    let error = loop {
        attempts += 1;
        let left = target.timeout.saturating_sub(started.elapsed());
        let limit = share.max(Duration::from_millis(100)).min(left);
        if limit.is_zero() {
            break Some("no time left for another attempt".to_owned());
        }
        match attempt(limit) {
            Ok(()) => break None,
            Err(err) if err.retry && attempts < attempts_allowed => {
                let left = target.timeout.saturating_sub(started.elapsed());
                if left <= pause {
                    break Some(err.message);
                }
                std::thread::sleep(pause);
                pause *= 2;
            }
            Err(err) => break Some(err.message),
        }
    };
    Delivery {
        target: target.describe(),
        what: what.to_owned(),
        attempts,
        error,
    }
}

/// The deliveries as a report section: where, what, attempts, result.
pub fn section(deliveries: &[Delivery]) -> Option<Section> {
    if deliveries.is_empty() {
        return None;
    }
    Some(Section {
        name: "notifications".to_owned(),
        title: "Notifications".to_owned(),
        columns: vec![
            Column::new("target", "Target"),
            Column::new("event", "Event"),
            Column::new("attempts", "Attempts"),
            Column::new("result", "Result"),
        ],
        rows: deliveries
            .iter()
            .map(|d| {
                vec![
                    Cell::Text(d.target.clone()),
                    Cell::Text(d.what.clone()),
                    Cell::Integer(i64::from(d.attempts)),
                    Cell::Text(
                        d.error
                            .as_ref()
                            .map_or_else(|| "delivered".to_owned(), |e| format!("failed: {e}")),
                    ),
                ]
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Check, Kind};

    #[test]
    fn events_follow_the_exit_code_and_the_run_before() {
        assert_eq!(Event::of(0, None), Event::Success);
        assert_eq!(Event::of(0, Some(0)), Event::Success);
        assert_eq!(Event::of(0, Some(2)), Event::Recovery);
        assert_eq!(Event::of(1, Some(0)), Event::Warning);
        assert_eq!(Event::of(2, None), Event::Failure);
        assert_eq!(Event::of(3, Some(3)), Event::Failure);
    }

    #[test]
    fn targets_are_told_what_they_asked_for_and_pings_everything() {
        let webhook = Target {
            via: Via::Webhook {
                url: "https://hooks.example.com/T/B/secret".into(),
                format: WebhookFormat::Slack,
                headers: Vec::new(),
            },
            on: vec![Trigger::Failure, Trigger::Recovery],
            timeout: DEFAULT_TIMEOUT,
            retries: 0,
        };
        assert!(webhook.wants(Event::Failure));
        assert!(webhook.wants(Event::Recovery));
        assert!(!webhook.wants(Event::Warning));
        assert!(!webhook.wants(Event::Success));
        assert!(webhook.wants(Event::Test));
        assert_eq!(webhook.describe(), "webhook https://hooks.example.com/…");
        let ping = Target {
            via: Via::Ping {
                url: "https://hc-ping.com/uuid".into(),
            },
            on: Vec::new(),
            ..webhook
        };
        assert!(ping.wants(Event::Success));
    }

    #[test]
    fn messages_are_redacted_and_list_the_worst_first() {
        let mut report = Report::new("backup create", Kind::Action, chrono::Utc::now());
        report
            .checks
            .push(Check::new("files", Status::Ok, "42 files"));
        report
            .checks
            .push(Check::new("space", Status::Warning, "low"));
        report.checks.push(
            Check::new(
                "database",
                Status::Critical,
                "pg_dump postgres://app:hunter2@db/app failed",
            )
            .with_hint("maint backup create"),
        );
        let message = Message::new(&report, 2, Event::Failure, Some(0));
        assert!(!message.text.contains("hunter2"), "{}", message.text);
        assert!(!message.json.contains("hunter2"), "{}", message.json);
        let database = message.text.find("CRITICAL database").unwrap();
        let space = message.text.find("WARNING space").unwrap();
        assert!(database < space, "{}", message.text);
        assert!(message.subject.ends_with("backup create CRITICAL"));
        assert!(message.json.contains("\"event\":\"failure\""));
    }
}
