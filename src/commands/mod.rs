//! One module per subcommand. Each resolves its settings from flags and
//! config (failing before any side effect), does its work through the probes
//! and storage modules, and returns a [`Report`]; none prints.

pub mod backup;
pub mod certs;
pub mod db;
pub mod diagnose;
pub mod health;
pub mod logs;
pub mod notify;
pub mod redis;
pub mod routine;
pub mod trend;

use std::io::IsTerminal;

use crate::checks::Notes;
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
        Notes::new(self.verbose)
    }
}

/// Why a command ended without a report: the exit code depends on whether
/// anything had started (the README: 3 for "not started").
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
