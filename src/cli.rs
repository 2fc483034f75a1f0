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
    Certs(CertsArgs),
    #[command(after_long_help = crate::help::after_help("completions"))]
    Completions(CompletionsArgs),
}

impl Command {
    /// The name used in reports and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Health(_) => "health",
            Command::Diagnose(_) => "diagnose",
            Command::Certs(_) => "certs",
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

/// Certificates: files, folders and live TLS endpoints.
#[derive(Debug, Args)]
pub struct CertsArgs {
    #[command(subcommand)]
    pub command: CertsCommand,
}

#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    Check(CertsCheckArgs),
}

/// Check certificates: expiry, names, chains, keys and signatures.
///
/// TARGET is a certificate file (PEM or DER; every certificate of a bundle
/// is judged), a folder (searched through; files holding no certificate
/// are skipped), or an endpoint: `host`, `host:port` (443 by default),
/// `https://host[:port]`, `smtp://host[:port]` (STARTTLS), `smtps://host`,
/// `postgres://host[:port]` (STARTTLS). Without a scheme, ports 25 and 587
/// speak SMTP STARTTLS and 5432 PostgreSQL's. Without TARGET, the targets
/// of `[certs]` in maint.toml are checked.
///
/// Each finding has a stable code: days_left, expired, not_yet_valid,
/// hostname_mismatch, untrusted, chain_incomplete, chain_order, root_sent,
/// self_signed, weak_key, weak_signature, key_mismatch; and for endpoints
/// that could not be read: dns, refused, timeout, closed, starttls,
/// tls_version, handshake. The worst target decides the exit code.
#[derive(Debug, Args)]
pub struct CertsCheckArgs {
    /// Certificate files, folders and endpoints [default: [certs] targets]
    #[arg(value_name = "TARGET", value_hint = clap::ValueHint::AnyPath)]
    pub targets: Vec<String>,

    /// Fewer days left than this is a WARNING [default: 60]
    #[arg(long, value_name = "N")]
    pub warn_days: Option<u32>,

    /// Fewer days left than this is CRITICAL [default: 30]
    #[arg(long, value_name = "N")]
    pub crit_days: Option<u32>,

    /// For short-lived certificates: less than N % of the lifetime left is a
    /// WARNING, when the days left say so too
    #[arg(long, value_name = "N", value_parser = percent)]
    pub warn_percent: Option<f64>,

    /// Less than N % of the lifetime left is CRITICAL, when the days left say so too
    #[arg(long, value_name = "N", value_parser = percent)]
    pub crit_percent: Option<f64>,

    /// Deadline of each endpoint, covering DNS, connect, STARTTLS and handshake [default: 10s]
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<Span>,

    /// Endpoints probed at once; one still waiting after 0.5 s lets the next
    /// start and waits on alone until its deadline [default: 16]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,

    /// Trust the roots in FILE instead of the system's
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub ca_file: Option<PathBuf>,

    /// The private key that must belong to the certificate (one TARGET only)
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub key: Option<PathBuf>,

    /// Send NAME as SNI instead of the endpoint's host (which is still the name verified)
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,

    /// Connect to ADDR (`host` or `host:port`) instead of the endpoint's own
    /// address; the endpoint's name is still sent and verified (one TARGET only)
    #[arg(long, value_name = "ADDR")]
    pub connect: Option<String>,
}

fn percent(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| (0.0..=100.0).contains(n))
        .ok_or_else(|| format!("{text:?} is not a percentage from 0 to 100"))
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
