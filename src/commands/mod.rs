//! One module per subcommand. Each resolves its settings from flags and
//! config (failing before any side effect), does its work through the probes
//! and storage modules, and returns a [`Report`]; none prints.

pub mod backup;
pub mod certs;
pub mod db;
pub mod diagnose;
pub mod health;
pub mod logs;

use std::io::IsTerminal;

use crate::config::Loaded;
use crate::report::Report;

/// What every command gets besides its own flags.
pub struct Context<'a> {
    pub config: &'a Loaded,
    /// `-v`: commands may say what they are doing on stderr through [`Context::note`].
    pub verbose: bool,
    /// Progress may be drawn on stderr: it is a terminal and `-q` was not given.
    pub progress: bool,
}

impl Context<'_> {
    pub fn new(config: &Loaded, verbose: bool, quiet: bool) -> Context<'_> {
        Context {
            config,
            verbose,
            progress: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// A line on stderr with `-v`: what maint is doing, never the report itself
    /// (redacted like every output).
    pub fn note(&self, text: impl FnOnce() -> String) {
        self.notes().note(text);
    }

    /// [`Context::note`] without the borrowed config, for work on threads
    /// that may outlive the command.
    pub fn notes(&self) -> Notes {
        Notes {
            verbose: self.verbose,
        }
    }
}

/// Says what a command is doing on stderr under `-v`.
#[derive(Clone, Copy, Debug)]
pub struct Notes {
    verbose: bool,
}

impl Notes {
    pub fn note(&self, text: impl FnOnce() -> String) {
        if self.verbose {
            eprintln!("maint: {}", crate::redact::secrets(&text()));
        }
    }
}

/// Why a command ended without a report: the exit code depends on whether
/// anything had started (DESIGN.md: 3 for "not started").
#[derive(Debug)]
pub enum Failed {
    /// Bad flags, config or environment, found before anything ran or was written.
    Setup(anyhow::Error),
    /// The work had started.
    Running(anyhow::Error),
}

impl Failed {
    pub fn setup(error: impl Into<anyhow::Error>) -> Failed {
        Failed::Setup(error.into())
    }

    pub fn running(error: impl Into<anyhow::Error>) -> Failed {
        Failed::Running(error.into())
    }
}

pub type Outcome = Result<Report, Failed>;

/// Text as one shell word, for hints an operator pastes: quoted only when a
/// shell would read it differently (`'"My Schema"."Tab-le"'`).
pub fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@=%+,".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The flag that names the server the user chose on the command line, for
/// hints: ` --url 'postgres://app:***@db/app'`, so that the command an
/// operator pastes reaches the same server and not the default one. A
/// password in it shows as `***` (to put back, or to leave to PGPASSWORD or
/// ~/.pgpass, which the pasted command reads as maint did). Empty when the
/// server came from maint.toml or the environment: the pasted command reads
/// those too.
pub fn again(flag: &str, given: Option<&str>) -> String {
    given.map_or_else(String::new, |value| {
        format!(" {flag} {}", shell_word(&crate::redact::url(value)))
    })
}

/// A new report for the command of that name, a check or an action as
/// `cli::COMMANDS` declares it.
pub fn report(name: &'static str, started_at: chrono::DateTime<chrono::Utc>) -> Report {
    Report::new(name, crate::cli::kind(name), started_at)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shell_words() {
        assert_eq!(super::shell_word("/var/log/app.log"), "/var/log/app.log");
        assert_eq!(super::shell_word("public.metrics"), "public.metrics");
        assert_eq!(super::shell_word("ERROR|FATAL"), "'ERROR|FATAL'");
        assert_eq!(
            super::shell_word("\"My Schema\".\"Tab-le\""),
            "'\"My Schema\".\"Tab-le\"'"
        );
        assert_eq!(super::shell_word("it's"), r"'it'\''s'");
        assert_eq!(
            super::again("--url", Some("postgres://app:hunter2@db:5433/app")),
            " --url 'postgres://app:***@db:5433/app'"
        );
        assert_eq!(
            super::again("--url", Some("postgres://app@[::1]:5433/app")),
            " --url 'postgres://app@[::1]:5433/app'"
        );
        assert_eq!(super::again("--url", None), "");
        assert_eq!(super::shell_word(""), "''");
    }
}
