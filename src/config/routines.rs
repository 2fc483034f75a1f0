//! `[routine]`, `[routine.NAME]` and `[[notify]]` in maint.toml: the
//! schedules `maint run NAME` runs, their maintenance log and hooks, and
//! the people told how a run went.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::{ConfigError, HttpUrl, Loaded, SmtpUrl};
use crate::notify::{Target, Transport, Trigger, Via, WebhookFormat};
pub use crate::routine::log::LogFormat;
use crate::units::Span;

/// `[routine]`: what every routine shares, and `[routine.NAME]` tables.
#[derive(Debug, Default)]
pub struct RoutineSection {
    /// The maintenance log every run appends one entry to.
    pub log: Option<PathBuf>,
    pub log_format: LogFormat,
    /// The lock that keeps routines from overlapping [default: routine.lock
    /// in maint's state folder].
    pub lock: Option<PathBuf>,
    pub routines: BTreeMap<String, RoutineConfig>,
}

impl<'de> Deserialize<'de> for RoutineSection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Section;
        impl<'de> Visitor<'de> for Section {
            type Value = RoutineSection;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of routines, with `log`, `log_format` and `lock`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RoutineSection, A::Error> {
                let mut section = RoutineSection::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "log" => section.log = Some(map.next_value()?),
                        "log_format" => section.log_format = map.next_value()?,
                        "lock" => section.lock = Some(map.next_value()?),
                        name if valid_name(name) => {
                            let routine = map.next_value()?;
                            section.routines.insert(key, routine);
                        }
                        _ => {
                            return Err(de::Error::custom(format!(
                                "routine name {key:?} may hold only letters, digits, '_' and '-'"
                            )));
                        }
                    }
                }
                Ok(section)
            }
        }
        deserializer.deserialize_map(Section)
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `[routine.NAME]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutineConfig {
    /// maint command lines, run in order (`"backup create --kind daily"`),
    /// or tables `{ run = "...", timeout = "1h", continue_on_error = false }`.
    pub steps: Vec<Step>,
    /// The whole routine's budget; what is still running then is stopped.
    pub timeout: Option<Span>,
    /// Each step's budget unless the step sets its own.
    pub step_timeout: Option<Span>,
    /// Whether a failed step lets the next ones run [default: true].
    pub continue_on_error: Option<bool>,
    pub before: Commands,
    pub after: Commands,
    pub on_failure: Commands,
    pub hook_timeout: Option<Span>,
}

/// One step of a routine.
#[derive(Debug, Clone, Default)]
pub struct Step {
    pub run: String,
    pub timeout: Option<Span>,
    pub continue_on_error: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepTable {
    run: String,
    timeout: Option<Span>,
    continue_on_error: Option<bool>,
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StepVisitor;
        impl<'de> Visitor<'de> for StepVisitor {
            type Value = Step;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a maint command line, or a table with `run`")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Step, E> {
                Ok(Step {
                    run: text.to_owned(),
                    ..Step::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Step, A::Error> {
                let table = StepTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Step {
                    run: table.run,
                    timeout: table.timeout,
                    continue_on_error: table.continue_on_error,
                })
            }
        }
        deserializer.deserialize_any(StepVisitor)
    }
}

/// One string or a list of them: shell commands run in order, or mail addresses.
#[derive(Debug, Clone, Default)]
pub struct Commands(pub Vec<String>);

impl<'de> Deserialize<'de> for Commands {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        match OneOrMany::deserialize(deserializer) {
            Ok(OneOrMany::One(one)) => Ok(Commands(vec![one])),
            Ok(OneOrMany::Many(many)) => Ok(Commands(many)),
            Err(_) => Err(de::Error::custom("expected a string or a list of strings")),
        }
    }
}

/// The hooks of a routine or of `[backup]`.
pub fn hooks(
    before: &Commands,
    after: &Commands,
    on_failure: &Commands,
    timeout: Option<Span>,
) -> crate::hooks::Hooks {
    crate::hooks::Hooks {
        before: before.0.clone(),
        after: after.0.clone(),
        on_failure: on_failure.0.clone(),
        timeout: timeout.map(Duration::from),
    }
}

impl RoutineConfig {
    pub fn hooks(&self) -> crate::hooks::Hooks {
        hooks(
            &self.before,
            &self.after,
            &self.on_failure,
            self.hook_timeout,
        )
    }
}

/// `[[notify]]`: one target, told about routines (and the commands named in
/// `commands`, or any command run with `--notify`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// POST here: Slack-compatible text, or the report's JSON (`format`).
    pub webhook: Option<HttpUrl>,
    /// A healthchecks.io-style ping URL (`/start`, success, `/fail`).
    pub ping: Option<HttpUrl>,
    /// Mail to this address (or these addresses).
    pub email: Option<Commands>,
    /// `slack` (the default) or `json`, for a webhook.
    pub format: Option<WebhookFormat>,
    /// More request headers for a webhook (`Authorization = "Bearer ..."`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Events told: failure, warning, recovery, always [default: failure, recovery].
    pub on: Option<Vec<Trigger>>,
    /// Commands told about besides routines (`"backup create"`, `"*"` for
    /// all) [default: `run`, every routine].
    pub commands: Option<Vec<String>>,
    /// For all attempts of one delivery [default: 20s].
    pub timeout: Option<Span>,
    /// Further attempts after one that may pass on a second try [default: 2].
    pub retries: Option<u32>,
    /// Mail through this server: `smtp://user:password@host:587` (STARTTLS)
    /// or `smtps://...`; without it, through the local sendmail.
    pub smtp: Option<SmtpUrl>,
    /// The sendmail program [default: /usr/sbin/sendmail].
    pub sendmail: Option<PathBuf>,
    /// The sender address [default: maint@HOSTNAME].
    pub from: Option<String>,
    /// Roots to trust for the SMTP server instead of the system's.
    pub ca_file: Option<PathBuf>,
}

/// The triggers a target has when its config names none.
pub const DEFAULT_TRIGGERS: &[Trigger] = &[Trigger::Failure, Trigger::Recovery];

impl NotifyConfig {
    /// Whether this target is told about runs of `command` (`run daily`,
    /// `backup create`): routines always, others when listed.
    pub fn covers(&self, command: &str) -> bool {
        let default = ["run".to_owned()];
        let listed = self.commands.as_deref().unwrap_or(&default);
        listed.iter().any(|entry| {
            entry == "*"
                || command == entry
                || command
                    .strip_prefix(entry.as_str())
                    .is_some_and(|rest| rest.starts_with(' '))
        })
    }

    /// The delivery target this table describes.
    pub fn target(&self) -> Result<Target, String> {
        let kinds = [
            self.webhook.is_some(),
            self.ping.is_some(),
            self.email.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err("a [[notify]] target needs exactly one of webhook, ping or email".into());
        }
        if self.format.is_some() && self.webhook.is_none() {
            return Err("`format` applies to a webhook only".into());
        }
        if !self.headers.is_empty() && self.webhook.is_none() {
            return Err("`headers` apply to a webhook only".into());
        }
        let mail_keys = self.smtp.is_some()
            || self.sendmail.is_some()
            || self.from.is_some()
            || self.ca_file.is_some();
        if mail_keys && self.email.is_none() {
            return Err("`smtp`, `sendmail`, `from` and `ca_file` apply to email only".into());
        }
        if self.smtp.is_some() && self.sendmail.is_some() {
            return Err("give `smtp` or `sendmail`, not both".into());
        }
        let via = if let Some(url) = &self.webhook {
            Via::Webhook {
                url: url.0.clone(),
                format: self.format.unwrap_or_default(),
                headers: self
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            }
        } else if let Some(url) = &self.ping {
            Via::Ping { url: url.0.clone() }
        } else {
            let to = self.email.clone().unwrap_or_default().0;
            if to.is_empty()
                || to
                    .iter()
                    .any(|a| !a.contains('@') || a.contains(['<', '>', '\r', '\n']))
            {
                return Err("`email` needs addresses like ops@example.com".into());
            }
            let transport = match &self.smtp {
                Some(url) => {
                    let mut settings = crate::notify::SmtpSettings::parse(&url.0)?;
                    settings.ca_file.clone_from(&self.ca_file);
                    Transport::Smtp(settings)
                }
                None => Transport::Sendmail(
                    self.sendmail
                        .clone()
                        .unwrap_or_else(|| PathBuf::from("/usr/sbin/sendmail")),
                ),
            };
            let from = self
                .from
                .clone()
                .unwrap_or_else(|| format!("maint@{}", crate::probe::system::hostname()));
            if !from.contains('@') || from.contains(['<', '>', '\r', '\n']) {
                return Err("`from` needs an address like maint@example.com".into());
            }
            Via::Email {
                to,
                from,
                transport,
            }
        };
        Ok(Target {
            via,
            on: self.on.clone().unwrap_or_else(|| DEFAULT_TRIGGERS.to_vec()),
            timeout: self
                .timeout
                .map_or(crate::notify::DEFAULT_TIMEOUT, Duration::from),
            retries: self
                .retries
                .unwrap_or(crate::notify::DEFAULT_RETRIES)
                .min(10),
        })
    }
}

impl Loaded {
    /// The `[[notify]]` targets told about runs of `command` (all of them
    /// with `every`), checked; a wrong table is named with its line.
    pub fn notify_targets(&self, command: &str, every: bool) -> Result<Vec<Target>, ConfigError> {
        let mut targets = Vec::new();
        for (i, spanned) in self.config.notify.iter().enumerate() {
            let table = spanned.get_ref();
            let target = table
                .target()
                .map_err(|message| self.invalid(&format!("notify[{i}]"), spanned, message))?;
            if every || table.covers(command) {
                targets.push(target);
            }
        }
        Ok(targets)
    }
}

/// So that `Spanned<NotifyConfig>` reads in `Config`.
pub type NotifyTables = Vec<Spanned<NotifyConfig>>;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::tests::parse;

    #[test]
    fn routines_read_steps_as_lines_or_tables() {
        let loaded = parse(
            "[routine]\nlog = \"/var/log/maint.md\"\n\n[routine.daily]\nsteps = [\"health\", { run = \"backup create\", timeout = \"1h\", continue_on_error = false }]\nbefore = \"systemctl stop worker\"\n",
        )
        .unwrap();
        let section = &loaded.config.routine;
        assert_eq!(section.log.as_deref(), Some(Path::new("/var/log/maint.md")));
        let daily = &section.routines["daily"];
        assert_eq!(daily.steps.len(), 2);
        assert_eq!(daily.steps[1].run, "backup create");
        assert_eq!(daily.steps[1].continue_on_error, Some(false));
        assert_eq!(daily.before.0, ["systemctl stop worker"]);
        let err = parse("[routine.daily]\nstesp = []\n").unwrap_err();
        assert!(err.contains("line 2, key `routine.daily.stesp`"), "{err}");
        let err = parse("[routine.daily]\nsteps = [{ run = \"health\", tiemout = \"1s\" }]\n")
            .unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn notify_targets_are_checked_with_their_line() {
        let err = parse("[[notify]]\nwebhook = \"https://x/y\"\nping = \"https://x/z\"\n")
            .unwrap()
            .notify_targets("run daily", false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 1, key `notify[0]`: a [[notify]] target needs exactly one"),
            "{err}"
        );
        let loaded = parse(
            "[[notify]]\nemail = \"ops@example.com\"\nsmtp = \"smtp://u:hunter2@mail.example.com\"\n\n[[notify]]\nwebhook = \"https://x/y\"\ncommands = [\"backup create\"]\non = [\"always\"]\n",
        )
        .unwrap();
        assert_eq!(loaded.notify_targets("run daily", false).unwrap().len(), 1);
        assert_eq!(
            loaded.notify_targets("backup create", false).unwrap().len(),
            1
        );
        assert_eq!(loaded.notify_targets("health", false).unwrap().len(), 0);
        assert_eq!(loaded.notify_targets("health", true).unwrap().len(), 2);
        let err = parse("[[notify]]\nemail = \"ops@example.com\"\nsmtp = \"smtp://u:hunter2@\"\n")
            .unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
