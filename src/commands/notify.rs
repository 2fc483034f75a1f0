//! `maint notify test`: one test message to every `[[notify]]` target,
//! whatever its `on` and `commands`, and a check per target saying whether
//! it arrived.

use anyhow::anyhow;

use super::{Context, Failed, Outcome};
use crate::error::Hint;
use crate::notify::{Event, Message};
use crate::report::{Check, Kind, Report, Status};

pub fn execute(context: &Context) -> Outcome {
    let started_at = chrono::Utc::now();
    let loaded = context.config;
    let targets = loaded.notify_targets("notify test", true).map_err(|err| {
        let hint = err.hint();
        Failed::Setup(anyhow::Error::new(err).context(Hint::new(hint)))
    })?;
    if targets.is_empty() {
        return Err(Failed::Setup(
            anyhow!("no [[notify]] target in maint.toml").context(Hint::new(
                "add one: [[notify]] webhook = \"https://...\" (examples/maint.toml shows each kind)",
            )),
        ));
    }
    let mut test = Report::new("notify test", Kind::Check, started_at);
    test.checks.push(Check::new(
        "test",
        Status::Ok,
        "a test message: this target is reached",
    ));
    let message = Message::new(&test, 0, Event::Test, None);
    let mut report = Report::new("notify test", Kind::Action, started_at);
    for delivery in crate::notify::deliver(&targets, &message) {
        let attempts = match delivery.attempts {
            1 => "1 attempt".to_owned(),
            n => format!("{n} attempts"),
        };
        report.checks.push(match &delivery.error {
            None => Check::new(
                delivery.target,
                Status::Ok,
                format!("delivered ({attempts})"),
            ),
            Some(error) => Check::new(
                delivery.target,
                Status::Critical,
                format!("not delivered after {attempts}: {error}"),
            )
            .with_hint(
                "check the target's URL, address and credentials in [[notify]] of maint.toml",
            ),
        });
    }
    report.duration = (chrono::Utc::now() - started_at)
        .to_std()
        .unwrap_or_default();
    Ok(report)
}
