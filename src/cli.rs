//! The command line. Doc comments here are the `--help` text, the man pages
//! and the completions; the names are the ones scripts rely on (DESIGN.md).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{HttpUrl, PostgresUrl, RedisUrl};
use crate::logscan::TimeSpec;
use crate::render::Format;
use crate::units::Span;

/// Routine maintenance of a server running an application with PostgreSQL and Redis.
///
/// Every command returns a report, written as a table (the default), JSON,
/// Prometheus text or a Nagios line, and exits 0 (OK), 1 (WARNING),
/// 2 (CRITICAL) or 3 (UNKNOWN, or bad usage or configuration).
#[derive(Debug, Parser)]
#[command(
    name = "maint",
    version,
    long_version = crate::LONG_VERSION,
    propagate_version = true,
    disable_help_subcommand = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml,
    /// $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]
    #[arg(long, global = true, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub config: Option<PathBuf>,

    /// Output format [default: table]
    #[arg(long, global = true, value_name = "FMT")]
    pub format: Option<Format>,

    /// Write the report to FILE atomically instead of standard output
    #[arg(long, global = true, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub output: Option<PathBuf>,

    /// Print nothing but errors (the exit code still tells the result)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more: timings in tables, and what maint is doing on standard error
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to use colour; `auto` means on a terminal and without NO_COLOR
    #[arg(long, global = true, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl std::fmt::Display for ColorWhen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ColorWhen::Auto => "auto",
            ColorWhen::Always => "always",
            ColorWhen::Never => "never",
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Health(HealthArgs),
    #[command(subcommand)]
    Logs(LogsCommand),
    Completions(CompletionsArgs),
}

impl Command {
    /// The name used in reports and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Health(_) => "health",
            Command::Logs(LogsCommand::Analyze(_)) => "logs analyze",
            Command::Completions(_) => "completions",
        }
    }
}

/// Check local resources and the configured services, and give one verdict.
///
/// With no configuration it checks CPU, load, memory, swap and every real
/// filesystem (space, inodes, read-only). `maint.toml` adds processes,
/// HTTP endpoints, TCP ports, PostgreSQL and Redis. All checks run at once,
/// each with its own time limit; whatever is still running at the deadline
/// is reported UNKNOWN, and the report still arrives on time.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// List the checks that would run, and run none
    #[arg(long)]
    pub list: bool,

    /// Run only checks with this name (`disk:/`), kind (`disk`) or glob (`http:*`); repeatable
    #[arg(long, value_name = "NAME")]
    pub only: Vec<String>,

    /// Do not run checks with this name, kind or glob; repeatable
    #[arg(long, value_name = "NAME")]
    pub skip: Vec<String>,

    /// Finish by this time whatever is still running [default: 10s]
    #[arg(long, value_name = "DUR")]
    pub deadline: Option<Span>,

    /// Time limit of each check that does not set its own [default: 5s]
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<Span>,

    /// Check the PostgreSQL server at URL (PG* variables and ~/.pgpass fill in the rest)
    #[arg(long, value_name = "URL")]
    pub postgres: Option<PostgresUrl>,

    /// Check the Redis server at URL (redis://[:password@]host[:port])
    #[arg(long, value_name = "URL")]
    pub redis: Option<RedisUrl>,

    /// Check that URL answers with 2xx or 3xx; repeatable
    #[arg(long, value_name = "URL")]
    pub http: Vec<HttpUrl>,

    /// Override a threshold: KEY=WARN[,CRIT], KEY one of cpu, memory, swap,
    /// load, disk, inodes, postgres.connections, postgres.oldest_transaction,
    /// redis.memory, redis.clients (e.g. disk=85,95)
    #[arg(long, value_name = "KEY=WARN[,CRIT]")]
    pub threshold: Vec<String>,
}

/// Read log files: categories, time windows, message templates, alerts.
#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    Analyze(LogsAnalyzeArgs),
}

/// Count categories of lines (errors, warnings, ...) in log files in one
/// pass, in a time window, with their top message templates and peak hour.
///
/// Reads plain and gzip files (told apart by content, not name); a file
/// brings its rotated siblings (FILE.1, FILE.2.gz, FILE-20261120), read
/// oldest first. Counts equal `LC_ALL=C grep -cE PATTERN` over the same
/// lines. Default categories: errors (ERROR|CRITICAL|FATAL), warnings
/// (WARNING|WARN), security (Unauthorized|Authentication failed), failures
/// (Evolution failed|Rollback initiated), constraints (Memory
/// exceeded|Speed exceeded). Exits 1 or 2 when a threshold is crossed
/// (errors>100 by default), 3 when a file cannot be read or the window holds
/// no line.
#[derive(Debug, Args)]
pub struct LogsAnalyzeArgs {
    /// Files, folders and globs to read [default: [logs] paths in maint.toml]
    #[arg(value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    /// Only lines from this time on: 24h (ago), 2026-11-20, 2026-11-20T06:00:00Z, today, yesterday
    #[arg(long, value_name = "T")]
    pub since: Option<TimeSpec>,

    /// Only lines before this time (same forms as --since)
    #[arg(long, value_name = "T")]
    pub until: Option<TimeSpec>,

    /// Another category, or a new regex for a default one (LC_ALL=C grep -E syntax); repeatable
    #[arg(long, value_name = "NAME=REGEX")]
    pub pattern: Vec<String>,

    /// Alert level: CATEGORY>WARN[,CRIT] lines in the window, or per period
    /// with /DUR (errors>50/1h: more than 50 in any hour); repeatable
    /// [default: errors>100]
    #[arg(long, value_name = "EXPR")]
    pub threshold: Vec<String>,

    /// Message templates shown per category [default: 5]
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Histogram bucket width [default: 1h]
    #[arg(long, value_name = "DUR")]
    pub bucket: Option<Span>,

    /// Remember what was read in FILE and read only new lines next time (for cron)
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub state: Option<PathBuf>,

    /// Start over when the --state file is corrupt or from another version
    #[arg(long)]
    pub reset_state: bool,

    /// Show per file the detected format, the bytes read and why files were skipped
    #[arg(long)]
    pub explain: bool,
}

/// Print a shell completion script to standard output.
///
/// For example: `maint completions bash > /etc/bash_completion.d/maint`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
