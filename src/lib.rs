//! `maint`: the routine maintenance of a server running an application with
//! PostgreSQL and Redis, as one tool for operators, cron and CI.
//!
//! The binary only glues this library together: [`parse_args`] reads the
//! command line, [`run`] loads the configuration, resolves the command's
//! settings (failing before anything runs), runs the command, which returns
//! a [`report::Report`], and hands it to [`render`]. Exit codes come from
//! [`exit`] and nowhere else. `ARCHITECTURE.md` maps the modules and what
//! each may import.

pub mod checks;
pub mod child;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod exit;
pub mod generate;
pub mod help;
pub mod hooks;
pub mod interrupt;
pub mod judge;
pub mod levels;
pub mod logscan;
pub mod notify;
pub mod parallel;
pub mod probe;
pub mod redact;
pub mod render;
pub mod report;
pub mod routine;
mod run;
pub mod shell;
pub mod stats;
pub mod storage;
pub mod units;

pub use run::{Failure, LONG_VERSION, parse_args, run};
