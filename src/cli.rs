//! The command line. Doc comments here are the `--help` text, the man pages
//! and the completions; the names are the ones scripts rely on (DESIGN.md).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{HttpUrl, PostgresUrl, RedisUrl};
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
    max_term_width = 100,
    after_long_help = crate::help::after_help("")
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
    #[command(after_long_help = crate::help::after_help("health"))]
    Health(HealthArgs),
    #[command(after_long_help = crate::help::after_help("diagnose"))]
    Diagnose(DiagnoseArgs),
    #[command(after_long_help = crate::help::after_help("completions"))]
    Completions(CompletionsArgs),
}

impl Command {
    /// The name used in reports and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Health(_) => "health",
            Command::Diagnose(_) => "diagnose",
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
#[derive(Debug, Default, Args)]
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

/// Troubleshoot this server in one run: what is wrong, why it matters, what to run next.
///
/// Gathers the host's facts, every `maint health` check, the busiest
/// processes, the largest folders, out-of-memory kills, failed systemd units
/// and what the configuration adds (Redis, PostgreSQL), each under its own
/// time limit, and lists findings worst first, each with the command to run
/// next. Works with no configuration at all.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// How far back to look for out-of-memory kills and errors [default: 24h]
    #[arg(long, value_name = "DUR")]
    pub since: Option<Span>,

    /// Also write a support bundle (the report, the effective config, recent
    /// log excerpts and a manifest, secrets redacted) to FILE.tar.gz
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub bundle: Option<PathBuf>,

    /// In the bundle, replace host names and IP addresses with stable pseudonyms
    #[arg(long, requires = "bundle")]
    pub redact_hosts: bool,

    /// Finish by this time whatever is still being gathered [default: 5s]
    #[arg(long, value_name = "DUR")]
    pub deadline: Option<Span>,
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
