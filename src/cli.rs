//! The command line. Doc comments here are the `--help` text, the man pages
//! and the completions; the names are the ones scripts rely on (the README).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{BackupName, HttpUrl, PostgresUrl, RedisUrl, RedisUse, Revocation};
use crate::logscan::TimeSpec;
use crate::render::Format;
use crate::report::Kind;
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

    /// Tell every [[notify]] target how this run went, whatever its `commands`
    /// (routines, and the commands a target lists, are told without it)
    #[arg(long, global = true, conflicts_with = "no_notify")]
    pub notify: bool,

    /// Tell no [[notify]] target about this run
    #[arg(long, global = true)]
    pub no_notify: bool,

    /// Record nothing of this run in the history ([history] path)
    #[arg(long, global = true)]
    pub no_history: bool,
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
    #[command(after_long_help = crate::help::after_help("certs"))]
    Certs(CertsArgs),
    #[command(subcommand, after_long_help = crate::help::after_help("db"))]
    Db(DbCommand),
    #[command(subcommand, after_long_help = crate::help::after_help("redis"))]
    Redis(RedisCommand),
    #[command(subcommand, after_long_help = crate::help::after_help("logs"))]
    Logs(LogsCommand),
    #[command(subcommand, after_long_help = crate::help::after_help("backup"))]
    Backup(BackupCommand),
    #[command(after_long_help = crate::help::after_help("run"))]
    Run(RunArgs),
    #[command(subcommand, after_long_help = crate::help::after_help("notify"))]
    Notify(NotifyCommand),
    #[command(after_long_help = crate::help::after_help("trend"))]
    Trend(TrendArgs),
    #[command(after_long_help = crate::help::after_help("completions"))]
    Completions(CompletionsArgs),
}

/// Every command maint runs, by the name its report carries, and whether it
/// observes (a check) or changes things (an action), which decides its exit
/// codes and its help's exit-status table. Declared here and nowhere else.
pub const COMMANDS: &[(&str, Kind)] = &[
    ("health", Kind::Check),
    ("diagnose", Kind::Check),
    ("certs check", Kind::Check),
    ("db report", Kind::Check),
    ("db vacuum", Kind::Action),
    ("db prune", Kind::Action),
    ("db reindex", Kind::Action),
    ("redis report", Kind::Check),
    ("logs analyze", Kind::Check),
    ("backup create", Kind::Action),
    ("backup list", Kind::Check),
    ("backup verify", Kind::Check),
    ("backup prune", Kind::Action),
    ("backup find", Kind::Check),
    ("backup restore", Kind::Action),
    ("backup drill", Kind::Check),
    // A routine's code is its worst step's, each by its own kind.
    ("run", Kind::Check),
    ("notify test", Kind::Action),
    // Shows or imports history: its code says whether that was done.
    ("trend", Kind::Action),
    ("completions", Kind::Action),
];

/// Whether the command of that name is a check or an action; a group of
/// commands (`db`, `backup`) observes.
pub fn kind(name: &str) -> Kind {
    COMMANDS
        .iter()
        .find(|(known, _)| *known == name)
        .map_or(Kind::Check, |(_, kind)| *kind)
}

impl Command {
    /// The command's name in [`COMMANDS`].
    pub fn name(&self) -> &'static str {
        match self {
            Command::Health(_) => "health",
            Command::Diagnose(_) => "diagnose",
            Command::Certs(_) => "certs check",
            Command::Db(DbCommand::Report(_)) => "db report",
            Command::Db(DbCommand::Vacuum(_)) => "db vacuum",
            Command::Db(DbCommand::Prune(_)) => "db prune",
            Command::Db(DbCommand::Reindex(_)) => "db reindex",
            Command::Redis(RedisCommand::Report(_)) => "redis report",
            Command::Logs(LogsCommand::Analyze(_)) => "logs analyze",
            Command::Backup(BackupCommand::Create(_)) => "backup create",
            Command::Backup(BackupCommand::List(_)) => "backup list",
            Command::Backup(BackupCommand::Verify(_)) => "backup verify",
            Command::Backup(BackupCommand::Prune(_)) => "backup prune",
            Command::Backup(BackupCommand::Find(_)) => "backup find",
            Command::Backup(BackupCommand::Restore(_)) => "backup restore",
            Command::Backup(BackupCommand::Drill(_)) => "backup drill",
            Command::Run(_) => "run",
            Command::Notify(NotifyCommand::Test(_)) => "notify test",
            Command::Trend(_) => "trend",
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
    #[command(after_long_help = crate::help::after_help("certs check"))]
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
/// self_signed, weak_key, weak_signature, key_mismatch, addresses_differ
/// (the addresses of a name fail or serve different certificates), revoked,
/// revocation_stale (a CRL or OCSP answer past its next update),
/// revocation_unknown (no answer, or none that verifies), revocation (OK:
/// how it was checked); and for endpoints that could not be read: dns,
/// refused, timeout, closed, starttls, tls_version, handshake. The worst
/// target decides the exit code.
///
/// Revocation: the leaf, and each intermediate that names a CRL or
/// responder, is looked up in its issuer's CRL (or OCSP, with --revocation
/// ocsp), fetched over HTTP within another --timeout and verified against
/// the issuer's key. Answers are cached until their next update (at most
/// a day) in $MAINT_CACHE_DIR, else /var/cache/maint for root, else
/// $XDG_CACHE_HOME/maint or ~/.cache/maint. A certificate file is checked
/// when its issuer is in the file or among the roots (--ca-file); if not,
/// the check says so, as UNKNOWN only when --revocation or `[certs]
/// revocation` asked for it.
#[derive(Debug, Default, Args)]
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

    /// Deadline of each endpoint, covering DNS, connect, STARTTLS and handshake;
    /// a target's revocation fetches get as long again [default: 10s]
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<Span>,

    /// Endpoints probed at once; one still waiting after 0.25 s lets the next
    /// start and waits on alone until its deadline [default: 256]
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

    /// How to check revocation: a revoked certificate is CRITICAL, a CRL or
    /// responder that cannot be read UNKNOWN [default: crl]
    #[arg(long, value_name = "MODE")]
    pub revocation: Option<Revocation>,
}

fn percent(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| (0.0..=100.0).contains(n))
        .ok_or_else(|| format!("{text:?} is not a percentage from 0 to 100"))
}

/// PostgreSQL maintenance: report, vacuum what needs it, prune old rows.
///
/// The server comes from --url, else `[postgres] url` in maint.toml, else
/// the PG* variables and ~/.pgpass, as with psql.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    #[command(after_long_help = crate::help::after_help("db report"))]
    Report(DbReportArgs),
    #[command(after_long_help = crate::help::after_help("db vacuum"))]
    Vacuum(DbVacuumArgs),
    #[command(after_long_help = crate::help::after_help("db prune"))]
    Prune(DbPruneArgs),
    #[command(after_long_help = crate::help::after_help("db reindex"))]
    Reindex(DbReindexArgs),
}

/// Report sizes, dead tuples, vacuum ages, wraparound, bloat, unused and
/// invalid indexes, what holds back cleanup, and slow statements (read-only).
///
/// Sizes are the planner's page counts as of each table's last VACUUM or
/// ANALYZE: reading them takes no lock, so a report never waits behind a
/// migration. Slow statements come from pg_stat_statements when installed.
#[derive(Debug, Default, Args)]
pub struct DbReportArgs {
    /// The database to report on (postgres://user@host:port/db; TLS when the server offers it, sslmode=require to insist)
    #[arg(long, value_name = "URL")]
    pub url: Option<PostgresUrl>,

    /// How many tables (largest and most in need of vacuum) to list [default: 20]
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
}

/// Choose the tables that need it, VACUUM (ANALYZE) them safely, report what changed.
///
/// Without --table, tables are chosen by dead tuples (ratio and count),
/// transaction-id age, stale statistics, or being past their own autovacuum
/// thresholds; wraparound danger goes first, then estimated dead bytes,
/// then size. Each table gets `VACUUM (ANALYZE, SKIP_LOCKED)` on its own
/// (`ANALYZE` alone when only its statistics are stale), outside any transaction, under lock_timeout and statement_timeout; a
/// table that is locked or not ours is reported skipped. Ctrl-C,
/// --max-duration and errors cancel what runs on the server before maint exits.
#[derive(Debug, Args)]
pub struct DbVacuumArgs {
    /// The database to vacuum (postgres://user@host:port/db; TLS when the server offers it, sslmode=require to insist)
    #[arg(long, value_name = "URL")]
    pub url: Option<PostgresUrl>,

    /// Print the plan (each table, why, the exact SQL and the lock it takes) and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Vacuum this table whatever its statistics say (schema.table; quote as in SQL); repeatable
    #[arg(long, value_name = "T")]
    pub table: Vec<String>,

    /// Choose only among tables of this schema; repeatable
    #[arg(long, value_name = "S")]
    pub schema: Vec<String>,

    /// Never vacuum this table; repeatable
    #[arg(long, value_name = "T")]
    pub exclude: Vec<String>,

    /// Connections working through the plan at once [default: 1]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Only ANALYZE (refresh planner statistics); choose tables by stale statistics
    #[arg(long, conflicts_with = "full")]
    pub analyze_only: bool,

    /// VACUUM FULL: rewrite the named tables (--table) to give space back to the
    /// system. Takes an ACCESS EXCLUSIVE lock: nothing reads or writes the table meanwhile
    #[arg(long, requires = "yes")]
    pub full: bool,

    /// Confirm --full
    #[arg(long)]
    pub yes: bool,

    /// Give up on a table whose lock is not granted within DUR [default: 5s]
    #[arg(long, value_name = "DUR")]
    pub lock_timeout: Option<Span>,

    /// Cancel a table's statement after DUR [default: none]
    #[arg(long, value_name = "DUR")]
    pub statement_timeout: Option<Span>,

    /// Stop (cancelling what runs) after DUR; tables not reached are reported
    #[arg(long, value_name = "DUR")]
    pub max_duration: Option<Span>,

    /// Choose tables with at least this share of dead tuples, in percent [default: 10]
    #[arg(long, value_name = "PCT")]
    pub dead_ratio: Option<f64>,

    /// ...and at least this many dead tuples [default: 1000]
    #[arg(long, value_name = "N")]
    pub min_dead_tuples: Option<i64>,
}

/// Delete rows older than a cutoff in small batches, the safe way to apply retention.
///
/// Each batch deletes at most --batch rows in its own transaction under a
/// lock timeout, so locks are short and replication keeps up. --dry-run
/// counts the rows first and changes nothing. Without an index on the
/// column each batch scans the table: maint warns.
#[derive(Debug, Args)]
pub struct DbPruneArgs {
    /// The database (postgres://user@host:port/db; TLS when the server offers it, sslmode=require to insist)
    #[arg(long, value_name = "URL")]
    pub url: Option<PostgresUrl>,

    /// The table to prune (schema.table; quote as in SQL)
    #[arg(long, value_name = "T")]
    pub table: String,

    /// The timestamp (or date) column that says how old a row is
    #[arg(long, value_name = "C")]
    pub column: String,

    /// Delete rows whose column is older than this (30d, 12h, 2w)
    #[arg(long, value_name = "DUR")]
    pub older_than: Span,

    /// Rows per batch [default: 5000]
    #[arg(long, value_name = "N")]
    pub batch: Option<u32>,

    /// Count the rows that would go, and delete nothing
    #[arg(long)]
    pub dry_run: bool,

    /// VACUUM (ANALYZE) the table afterwards
    #[arg(long)]
    pub vacuum: bool,

    /// Give up on a batch whose lock is not granted within DUR [default: 5s]
    #[arg(long, value_name = "DUR")]
    pub lock_timeout: Option<Span>,

    /// Stop after DUR (between batches, cancelling a running one); the rest stays for the next run
    #[arg(long, value_name = "DUR")]
    pub max_duration: Option<Span>,
}

/// Redis maintenance: what the weekly `redis-cli info` round checks, in one report.
///
/// The server comes from --url, else `[redis] url` in maint.toml, else
/// REDIS_URL, else redis://127.0.0.1:6379.
#[derive(Debug, Subcommand)]
pub enum RedisCommand {
    #[command(after_long_help = crate::help::after_help("redis report"))]
    Report(RedisReportArgs),
}

/// Report memory, keys, evictions, hit ratio, persistence, replication, the
/// slow log, LATENCY and MEMORY DOCTOR, a config review and big keys (read-only).
///
/// Safe on a busy server: every command it sends is O(1) or small (INFO,
/// SLOWLOG GET, CONFIG GET of single names, the doctors); big keys are found
/// by sampling, SCAN with COUNT 100 and MEMORY USAGE pipelined a batch at a
/// time at a bounded rate, never KEYS. The config review judges maxmemory,
/// the eviction policy and persistence by what the server is used as (a
/// cache may lose keys, a store may not) and, when Redis runs on this host,
/// vm.overcommit_memory and transparent huge pages, as Redis warns at start.
/// Sampling stops at half of --timeout whatever is left.
#[derive(Debug, Default, Args)]
pub struct RedisReportArgs {
    /// The server (redis://[user:password@]host[:port][/db], rediss://, unix://)
    #[arg(long, value_name = "URL")]
    pub url: Option<RedisUrl>,

    /// What the application uses it for [default: [redis] used_as, else auto]
    #[arg(long, value_name = "USE")]
    pub used_as: Option<RedisUse>,

    /// Keys sampled for big keys; 0 samples none [default: 10000]
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,

    /// Keys sampled per second, at most [default: 50000]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub sample_rate: Option<u32>,

    /// Big keys and slow commands listed [default: 10]
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Time limit of the whole report [default: 10s]
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<Span>,
}

/// Rebuild invalid and bloated B-tree indexes with REINDEX INDEX CONCURRENTLY, one at a time.
///
/// Without --index, the indexes rebuilt are the invalid ones and those whose
/// estimated bloat (as `db report` estimates it, reliability good or rough)
/// is --min-bloat or more, most bloated first; leftovers of an interrupted
/// REINDEX CONCURRENTLY (`*_ccnew`, `*_ccold`, invalid) are dropped first.
/// Each statement runs alone under lock_timeout and statement_timeout; reads
/// and writes go on. A rebuild needs the index's size again in free space
/// while it runs: maint checks the largest against the data directory's
/// filesystem when it can see it, and refuses to start without room. A
/// rebuild that fails or is interrupted (Ctrl-C) leaves an invalid
/// `_ccnew` copy, which maint drops. Refused on a standby and before
/// PostgreSQL 12.
#[derive(Debug, Args)]
pub struct DbReindexArgs {
    /// The database (postgres://user@host:port/db; TLS when the server offers it, sslmode=require to insist)
    #[arg(long, value_name = "URL")]
    pub url: Option<PostgresUrl>,

    /// Print the plan (each index, why, its size, the exact SQL) and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Rebuild this index whatever its state (schema.index); repeatable
    #[arg(long, value_name = "I")]
    pub index: Vec<String>,

    /// Rebuild indexes estimated at least PCT % free space [default: [postgres.report] index_bloat warn, 50]
    #[arg(long, value_name = "PCT", value_parser = percent)]
    pub min_bloat: Option<f64>,

    /// Give up on an index whose lock is not granted within DUR [default: 5s]
    #[arg(long, value_name = "DUR")]
    pub lock_timeout: Option<Span>,

    /// Give up on a rebuild still running after DUR [default: 1h]
    #[arg(long, value_name = "DUR")]
    pub statement_timeout: Option<Span>,
}

/// Read log files: categories, time windows, message templates, alerts.
#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    #[command(after_long_help = crate::help::after_help("logs analyze"))]
    Analyze(LogsAnalyzeArgs),
}

/// Count categories of lines (errors, warnings, ...) in log files in one
/// pass, in a time window, with their top message templates and peak hour.
///
/// Reads plain and gzip files (told apart by content, not name); a file
/// brings its rotated siblings (FILE.1, FILE.2.gz, FILE-20261120), read
/// oldest first. Counts equal `LC_ALL=C grep -cE PATTERN` over the same
/// lines, except that the default errors and warnings are the lines of that
/// level in files with a level field. Each file's timestamp format is
/// detected from its first lines; the timestamp may follow up to four
/// leading fields (a file name, a host, a node id), and a format without a
/// year takes the one that makes the line the latest instant no more than a
/// day after the file's mtime. Default categories: errors
/// (ERROR|CRITICAL|FATAL), warnings (WARNING|WARN), security (Unauthorized, Authentication failed, sshd's
/// Failed password and Invalid user, PAM's authentication failure, sudo's
/// incorrect password attempts and NOT in sudoers, HTTP 401 and 403 in
/// access logs); add your own with --pattern or [logs.patterns]. Exits 1
/// or 2 when a threshold is crossed
/// (errors>100 by default), 3 when a file cannot be read or the window holds
/// no line.
#[derive(Debug, Default, Args)]
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

    /// Another category, or a new regex for a default one (LC_ALL=C grep -E
    /// syntax; refused where maint would read it otherwise: back-references,
    /// `{,n}`, a leading `*`, and `+?`, `*?`, `??` or `}?`, which grep reads
    /// as an optional repetition); repeatable
    #[arg(long, value_name = "NAME=REGEX")]
    pub pattern: Vec<String>,

    /// Alert level: CATEGORY>WARN[,CRIT] lines in the window, or per period
    /// with /DUR (errors>50/1h: more than 50 in any hour); with --state,
    /// new_templates>N judges the kinds of message no earlier run saw;
    /// repeatable [default: errors>100]
    #[arg(long, value_name = "EXPR")]
    pub threshold: Vec<String>,

    /// Message templates shown per category [default: 5]
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Histogram bucket width [default: 1h]
    #[arg(long, value_name = "DUR")]
    pub bucket: Option<Span>,

    /// Read the systemd journal too (through journalctl), with the same
    /// categories, window and templates; levels come from its priorities
    #[arg(long)]
    pub journal: bool,

    /// Only this unit's journal entries (implies --journal); repeatable
    #[arg(long, value_name = "UNIT")]
    pub unit: Vec<String>,

    /// Read the journal in DIR (journalctl --directory) rather than the
    /// system's (implies --journal)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub journal_dir: Option<PathBuf>,

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

/// Verified, crash-safe .tar.gz backups of files and a PostgreSQL database.
///
/// Archives are plain .tar.gz files that GNU tar reads, named
/// NAME-YYYYMMDDTHHMMSSZ-KIND.tar.gz, each with a manifest inside (every
/// file's SHA-256, size, mode, mtime; the database's row counts) and beside
/// it a `.sha256` that `sha256sum -c` accepts and a copy of the manifest.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    #[command(after_long_help = crate::help::after_help("backup create"))]
    Create(BackupCreateArgs),
    #[command(after_long_help = crate::help::after_help("backup list"))]
    List(BackupListArgs),
    #[command(after_long_help = crate::help::after_help("backup verify"))]
    Verify(BackupVerifyArgs),
    #[command(after_long_help = crate::help::after_help("backup find"))]
    Find(BackupFindArgs),
    #[command(after_long_help = crate::help::after_help("backup prune"))]
    Prune(BackupPruneArgs),
    #[command(after_long_help = crate::help::after_help("backup restore"))]
    Restore(BackupRestoreArgs),
    #[command(after_long_help = crate::help::after_help("backup drill"))]
    Drill(BackupDrillArgs),
}

/// What a backup is for; prune keeps backups by date whatever their kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackupKind {
    Daily,
    Weekly,
    Monthly,
}

impl BackupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupKind::Daily => "daily",
            BackupKind::Weekly => "weekly",
            BackupKind::Monthly => "monthly",
        }
    }
}

/// Back up files and folders (and a PostgreSQL database) into one verified .tar.gz.
///
/// The archive is written under a temporary name in the destination,
/// synced, read back and checked against its manifest, and only then given
/// its final name: a run that dies leaves no file that looks like a backup.
/// A lock file stops overlapping runs. Files that change while being read
/// are stored consistently and reported; sockets and fifos are skipped.
/// Exit 0 done, 1 done with warnings, 2 failed (nothing left behind), 3 not
/// started.
#[derive(Debug, Args)]
pub struct BackupCreateArgs {
    /// Back up PATH (a folder or file); repeatable; replaces [backup] sources
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub source: Vec<PathBuf>,

    /// Leave out what matches GLOB (a name, or a path below the root with `/`); repeatable
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Write the archive into DIR or s3://BUCKET/PREFIX [default: [backup] dest]
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dest: Option<PathBuf>,

    /// Also dump this PostgreSQL database (pg_dump --format=custom, one snapshot)
    #[arg(long, value_name = "URL")]
    pub db: Option<PostgresUrl>,

    /// Kind recorded in the archive name
    #[arg(long, value_name = "KIND", default_value = "daily")]
    pub kind: BackupKind,

    /// First part of the archive name [default: [backup] name, else the host name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<BackupName>,

    /// Encrypt to this age or SSH public key (repeatable) [default: [backup] recipients]
    #[arg(long, value_name = "KEY")]
    pub recipient: Vec<String>,

    /// Also take a fresh RDB snapshot of this Redis server (BGSAVE) into the archive
    #[arg(long, value_name = "URL")]
    pub redis: Option<RedisUrl>,

    /// After the create, copy the archive to this folder or s3:// location
    /// too and verify the copy (repeatable) [default: [[backup.copy]] dest]
    #[arg(long, value_name = "DEST")]
    pub copy_to: Vec<PathBuf>,

    /// Store only what changed since the latest backup of this name (a
    /// plain .tar.gz whose manifest names its parent); a full one when
    /// there is none to build on [default: [backup] incremental]
    #[arg(long, conflicts_with = "full")]
    pub incremental: bool,

    /// Store everything, even where [backup] incremental is set
    #[arg(long)]
    pub full: bool,
}

/// List the backups in the destination: kind, time, size, files, database, verified state.
#[derive(Debug, Args)]
pub struct BackupListArgs {
    /// The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dest: Option<PathBuf>,
}

/// Read a whole archive and check it: gzip CRC, every entry's SHA-256
/// against the manifest, the archive against its .sha256 sidecar.
///
/// Without ARCHIVE or --latest, every backup in the destination is checked.
/// A damaged archive is CRITICAL (exit 2) and the message names the entry.
/// Archives without a manifest (made by plain tar) are only CRC-checked and
/// reported as unverified (WARNING).
#[derive(Debug, Args)]
pub struct BackupVerifyArgs {
    /// The archive to verify
    #[arg(value_name = "ARCHIVE", value_hint = clap::ValueHint::FilePath, conflicts_with = "latest")]
    pub archive: Option<PathBuf>,

    /// Verify the newest backup in the destination
    #[arg(long)]
    pub latest: bool,

    /// The age or SSH private key that opens encrypted archives (without it
    /// only their stored bytes are checked against the .sha256 sidecar)
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub identity: Option<PathBuf>,

    /// On an object store: compare each archive's size and the server's
    /// checksum (ETag) with those it was written with, reading nothing
    #[arg(long, conflicts_with = "identity")]
    pub quick: bool,

    /// The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dest: Option<PathBuf>,
}

/// Delete backups the retention policy no longer keeps.
///
/// Newest first, the newest backup of each of the last N days, ISO weeks and
/// months is kept, and the newest few whatever their dates (restic's rules,
/// in UTC). Only complete, verified backups count; damaged or incomplete ones
/// are kept and reported. Nothing is deleted after a failed create.
#[derive(Debug, Args)]
pub struct BackupPruneArgs {
    /// The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dest: Option<PathBuf>,

    /// Days whose newest backup is kept [default: 7]
    #[arg(long, value_name = "N")]
    pub keep_daily: Option<usize>,

    /// ISO weeks whose newest backup is kept [default: 4]
    #[arg(long, value_name = "N")]
    pub keep_weekly: Option<usize>,

    /// Months whose newest backup is kept [default: 12]
    #[arg(long, value_name = "N")]
    pub keep_monthly: Option<usize>,

    /// The newest N backups are kept whatever their dates [default: 3]
    #[arg(long, value_name = "N")]
    pub keep_last: Option<usize>,

    /// Show each backup with the reason it stays or goes, and delete nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Restore an archive into DIR: merged in as tar does, verified, keeping first what it overwrites.
///
/// Every entry of the archive is written into DIR (under a temporary name in
/// its own folder, renamed into place once the whole archive has been read
/// and verified); nothing else in DIR is touched unless --delete says so.
/// Nothing is ever written through a symlink: a link in DIR where the archive
/// has a folder is replaced by the folder, and the archive's symlinks are
/// restored exactly as stored. Absolute paths, `..`, duplicates, device files
/// and hard links outside the archive refuse the whole restore. What would be
/// overwritten or removed needs --force and is first saved, verified, as a
/// pre-restore archive beside ARCHIVE.
#[derive(Debug, Args)]
pub struct BackupRestoreArgs {
    /// The archive to restore: a file, or s3://BUCKET/PREFIX/ARCHIVE
    #[arg(value_name = "ARCHIVE", value_hint = clap::ValueHint::FilePath)]
    pub archive: PathBuf,

    /// The folder to restore into (the backup's root, to restore in place)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath, required_unless_present = "table")]
    pub target: Option<PathBuf>,

    /// Overwrite what DIR holds where the archive differs (it is archived
    /// first); with --db, end other sessions on the database
    #[arg(long)]
    pub force: bool,

    /// Also remove what the archive lacks under its own sources (never what
    /// the backup excluded, the backup folder, or anything on another mount)
    #[arg(long)]
    pub delete: bool,

    /// Check the archive and list what would change; change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Also restore the dump into this database: into a scratch database
    /// first, row counts compared, then swapped in (the old one is kept)
    #[arg(long, value_name = "URL")]
    pub db: Option<PostgresUrl>,

    /// The age or SSH private key that opens an encrypted archive
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub identity: Option<PathBuf>,

    /// Restore only what matches GLOB (repeatable; as --exclude of create:
    /// a name, or a path below the root with `/`; a folder brings what it holds)
    #[arg(long, value_name = "GLOB", conflicts_with = "delete")]
    pub path: Vec<String>,

    /// Restore only this table (SCHEMA.TABLE, or TABLE in public;
    /// repeatable) from the dump into the --db database, with its indexes,
    /// constraints and triggers; no file is restored. A table already there
    /// needs --force and is moved aside into a schema of its own
    #[arg(long, value_name = "TABLE", requires = "db", conflicts_with_all = ["target", "path", "delete"])]
    pub table: Vec<String>,
}

/// Which backups hold a file, and its versions: every path matching GLOB
/// in every backup's manifest, with its size, time and content hash, and
/// the archive of a chain whose tar holds it. No archive is read.
#[derive(Debug, Args)]
pub struct BackupFindArgs {
    /// What to look for (repeatable; as --exclude of create: a name, or a
    /// path below the root with `/`; `**` crosses folders)
    #[arg(value_name = "GLOB", required = true)]
    pub patterns: Vec<String>,

    /// The folder or s3:// location to search [default: [backup] dest]
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dest: Option<PathBuf>,
}

/// Disaster-recovery drill: restore the latest backup into a scratch folder
/// (and a scratch database), compare it with its manifest and with the live
/// data, report the differences and the time it took, and clean up.
#[derive(Debug, Args)]
pub struct BackupDrillArgs {
    /// The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dest: Option<PathBuf>,

    /// The live database to restore the dump next to and compare with [default: [backup] db]
    #[arg(long, value_name = "URL")]
    pub db: Option<PostgresUrl>,

    /// The age or SSH private key that opens encrypted backups
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub identity: Option<PathBuf>,
}

/// Run a maintenance routine from maint.toml: its steps in order, one report, one log entry.
///
/// `[routine.NAME]` lists the steps, maint command lines (`"health"`,
/// `"backup create --kind daily"`). Each runs as its own maint process
/// under its budget (`timeout` of the step, `step_timeout`, and what is left
/// of the routine's `timeout`); one that overruns is stopped and reported
/// CRITICAL. A failed step does not stop the next ones unless it says
/// `continue_on_error = false`. Routines never overlap: a lock turns a
/// second one away, naming the one running. The `before` hooks run first;
/// once they succeeded, `after` or `on_failure` always runs. The run is
/// appended to `[routine] log` and told to the [[notify]] targets. The exit
/// code is the worst step's.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The routine: a `[routine.NAME]` table of maint.toml (daily, weekly, ...)
    #[arg(value_name = "ROUTINE")]
    pub name: String,

    /// Show the steps and hooks that would run, with their budgets, and run nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Notification targets: the [[notify]] tables of maint.toml.
#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    #[command(after_long_help = crate::help::after_help("notify test"))]
    Test(NotifyTestArgs),
}

/// Send a test message to every [[notify]] target and report how each delivery went.
///
/// Every target is sent the message whatever its `on` and `commands`: a
/// webhook its Slack text or JSON, a ping URL a success ping, a mailbox a
/// mail. Exits 0 when all were delivered, 2 when one was not.
#[derive(Debug, Args)]
pub struct NotifyTestArgs {}

/// Show the history of the checks: numbers, charts and a review page.
///
/// Every check run (health, diagnose, certs check, db report, redis report,
/// logs analyze, the backup commands' sizes) is recorded in a local SQLite
/// history ([history] path). For each check this shows the last value, the
/// minimum, mean, 95th percentile and maximum, the slope per day and a
/// sparkline; `--plot` draws a line chart of each, and `--format html
/// --output report.html` writes one self-contained page with a chart per
/// check, worst trends first.
#[derive(Debug, Default, Args)]
pub struct TrendArgs {
    /// Checks to show: a name (`disk:/`), a kind (`disk`) or a glob (`backup create/*`); all when none
    #[arg(value_name = "CHECK|GLOB")]
    pub checks: Vec<String>,

    /// How far back to look [default: 30d]
    #[arg(long, value_name = "DUR")]
    pub since: Option<Span>,

    /// Draw a line chart of each check under the table
    #[arg(long)]
    pub plot: bool,

    /// First add the points of a metrics.jsonl (one JSON object a line: a
    /// `timestamp` and numeric fields) to the history
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub import: Option<PathBuf>,
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

    #[test]
    fn every_command_is_declared_once_as_a_check_or_an_action() {
        fn leaves(command: &clap::Command, path: &str, out: &mut Vec<String>) {
            let subcommands: Vec<_> = command
                .get_subcommands()
                .filter(|sub| sub.get_name() != "help")
                .collect();
            if subcommands.is_empty() {
                out.push(path.trim().to_owned());
            }
            for sub in subcommands {
                leaves(sub, &format!("{path} {}", sub.get_name()), out);
            }
        }
        let mut found = Vec::new();
        for sub in Cli::command().get_subcommands() {
            leaves(sub, sub.get_name(), &mut found);
        }
        found.sort();
        let mut declared: Vec<String> = COMMANDS.iter().map(|(n, _)| (*n).to_owned()).collect();
        declared.sort();
        assert_eq!(found, declared);
    }
}
