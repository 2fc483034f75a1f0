//! The command line. Doc comments here are the `--help` text, the man pages
//! and the completions; the names are the ones scripts rely on (DESIGN.md).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{BackupName, HttpUrl, PostgresUrl, RedisUrl};
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
    Backup(BackupCommand),
    Completions(CompletionsArgs),
}

impl Command {
    /// The name used in reports and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Health(_) => "health",
            Command::Backup(backup) => backup.name(),
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

/// Verified, crash-safe .tar.gz backups of files and a PostgreSQL database.
///
/// Archives are plain .tar.gz files that GNU tar reads, named
/// NAME-YYYYMMDDTHHMMSSZ-KIND.tar.gz, each with a manifest inside (every
/// file's SHA-256, size, mode, mtime; the database's row counts) and beside
/// it a `.sha256` that `sha256sum -c` accepts and a copy of the manifest.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    Create(BackupCreateArgs),
    List(BackupListArgs),
    Verify(BackupVerifyArgs),
    Prune(BackupPruneArgs),
    Restore(BackupRestoreArgs),
    Drill(BackupDrillArgs),
}

impl BackupCommand {
    pub fn name(&self) -> &'static str {
        match self {
            BackupCommand::Create(_) => "backup create",
            BackupCommand::List(_) => "backup list",
            BackupCommand::Verify(_) => "backup verify",
            BackupCommand::Prune(_) => "backup prune",
            BackupCommand::Restore(_) => "backup restore",
            BackupCommand::Drill(_) => "backup drill",
        }
    }
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

    /// Write the archive into DIR [default: [backup] dest]
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
}

/// List the backups in the destination: kind, time, size, files, database, verified state.
#[derive(Debug, Args)]
pub struct BackupListArgs {
    /// The backup folder [default: [backup] dest]
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

    /// The backup folder [default: [backup] dest]
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
    /// The backup folder [default: [backup] dest]
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

/// Restore an archive into DIR, verified and staged, keeping the current state first.
///
/// Every entry is checked while it is extracted into a private folder beside
/// DIR: absolute paths, `..`, duplicates, device files, hard links outside the
/// archive and symlinks that leave DIR refuse the whole restore before
/// anything outside that folder is touched. A non-empty DIR needs --force, and
/// its contents are first saved as a pre-restore archive beside ARCHIVE. Then
/// the staged tree is swapped into place.
#[derive(Debug, Args)]
pub struct BackupRestoreArgs {
    /// The archive to restore
    #[arg(value_name = "ARCHIVE", value_hint = clap::ValueHint::FilePath)]
    pub archive: PathBuf,

    /// The folder to restore into (the backup's root, to restore in place)
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub target: PathBuf,

    /// Replace a non-empty DIR (its contents are archived first); with --db,
    /// end other sessions on the database
    #[arg(long)]
    pub force: bool,

    /// Check the archive and list what would change; change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Also restore the dump into this database: into a scratch database
    /// first, row counts compared, then swapped in (the old one is kept)
    #[arg(long, value_name = "URL")]
    pub db: Option<PostgresUrl>,
}

/// Disaster-recovery drill: restore the latest backup into a scratch folder
/// (and a scratch database), compare it with its manifest and with the live
/// data, report the differences and the time it took, and clean up.
#[derive(Debug, Args)]
pub struct BackupDrillArgs {
    /// The backup folder [default: [backup] dest]
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dest: Option<PathBuf>,

    /// The live database to restore the dump next to and compare with [default: [backup] db]
    #[arg(long, value_name = "URL")]
    pub db: Option<PostgresUrl>,
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
