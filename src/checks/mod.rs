//! What a check command's report is made of, shared by the command and by
//! `diagnose`: settings resolved from `maint.toml` and flags (failing before
//! anything runs), the probes run under their deadlines, the data judged
//! into checks, the report assembled. Commands call these; these never call
//! commands (ARCHITECTURE.md).

pub mod certs;
pub mod diagnose;
pub mod health;
pub mod history;
pub mod logs;
pub mod postgres;
pub mod redis;

use chrono::{DateTime, Utc};

use crate::report::Report;

/// A new report for the command of that name, a check or an action as
/// `cli::COMMANDS` declares it.
pub fn report(name: &'static str, started_at: DateTime<Utc>) -> Report {
    Report::new(name, crate::cli::kind(name), started_at)
}

/// Says what a command is doing on stderr under `-v`.
#[derive(Clone, Copy, Debug)]
pub struct Notes {
    verbose: bool,
}

impl Notes {
    pub fn new(verbose: bool) -> Notes {
        Notes { verbose }
    }

    pub fn note(&self, text: impl FnOnce() -> String) {
        if self.verbose {
            eprintln!("maint: {}", crate::redact::secrets(&text()));
        }
    }
}
