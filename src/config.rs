//! `maint.toml`: where it is found, what it may contain, and the errors that
//! name the file, line and key when it is wrong.
//!
//! Every section is optional and every key has a built-in default, so no
//! file at all is a valid configuration. Unknown keys are errors, not
//! silently ignored: a typo in a threshold must not turn a check off.
//! Values are validated while they are parsed (URLs, durations, regexes), so
//! the error points at the line; rules across keys are checked when settings
//! are resolved, still before anything runs.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::units::Span;

mod routines;

pub use routines::{
    Commands, DEFAULT_TRIGGERS, LogFormat, NotifyConfig, NotifyTables, RoutineConfig,
    RoutineSection, Step, hooks,
};

/// The places searched, in order, when neither `--config` nor `$MAINT_CONFIG` names a file.
pub fn search_path() -> Vec<PathBuf> {
    let mut places = vec![PathBuf::from("maint.toml")];
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")));
    if let Some(base) = xdg {
        places.push(base.join("maint").join("maint.toml"));
    }
    places.push(PathBuf::from("/etc/maint/maint.toml"));
    places
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {}, line {line}{}: {message}", path.display(), key_suffix(key.as_ref()))]
    Invalid {
        path: PathBuf,
        line: usize,
        key: Option<String>,
        message: String,
    },
}

fn key_suffix(key: Option<&String>) -> String {
    key.map(|key| format!(", key `{key}`")).unwrap_or_default()
}

impl ConfigError {
    pub fn hint(&self) -> String {
        match self {
            ConfigError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                "create the file, or pass --config FILE naming one that exists".to_owned()
            }
            ConfigError::Read { .. } => {
                "check that the file is a readable UTF-8 text file".to_owned()
            }
            ConfigError::Invalid { .. } => {
                "fix that line; examples/maint.toml lists every key with its meaning".to_owned()
            }
        }
    }
}

/// A configuration and where it came from.
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: Config,
    /// None when no file was found and the built-in defaults apply.
    pub path: Option<PathBuf>,
    text: String,
}

impl Loaded {
    /// Finds the file as the README says and reads it. A file named by
    /// `--config` or `$MAINT_CONFIG` must exist; the usual places may all be absent.
    pub fn discover(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
        let named = explicit.map(Path::to_path_buf).or_else(|| {
            std::env::var_os("MAINT_CONFIG")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        if let Some(path) = named {
            return Loaded::read(&path);
        }
        for candidate in search_path() {
            // A file that exists but cannot be read is an error, not a reason to move on.
            if std::fs::symlink_metadata(&candidate).is_ok() {
                return Loaded::read(&candidate);
            }
        }
        Ok(Loaded::default())
    }

    pub fn read(path: &Path) -> Result<Loaded, ConfigError> {
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::Read {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
        })?;
        Loaded::parse(path, text)
    }

    pub fn parse(path: &Path, text: String) -> Result<Loaded, ConfigError> {
        let invalid = |err: toml::de::Error, key: Option<String>| ConfigError::Invalid {
            path: path.to_owned(),
            line: line_of(&text, err.span().map_or(0, |span| span.start)),
            key,
            message: err.message().to_owned(),
        };
        let deserializer = toml::Deserializer::parse(&text).map_err(|err| invalid(err, None))?;
        let config: Config = serde_path_to_error::deserialize(deserializer).map_err(|err| {
            // Spanned values add a private segment to the path; readers never wrote it.
            let key = err
                .path()
                .to_string()
                .split('.')
                .filter(|segment| !segment.starts_with("$__serde_spanned"))
                .collect::<Vec<_>>()
                .join(".");
            let key = (key != "." && !key.is_empty()).then_some(key);
            invalid(err.into_inner(), key)
        })?;
        Ok(Loaded {
            config,
            path: Some(path.to_owned()),
            text,
        })
    }

    /// The file as read (empty when none was found).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// An error about a value found valid alone but wrong with the rest
    /// (a warning threshold above the critical one), pointing at its line.
    /// The levels of the `maint.toml` table at `key`, when there is one,
    /// over `base`, checked for order; a wrong table is named with its line.
    pub fn levels<T: crate::levels::Level>(
        &self,
        key: &str,
        table: Option<&Spanned<LevelsConfig<T>>>,
        base: crate::report::Threshold,
    ) -> Result<crate::report::Threshold, ConfigError> {
        let Some(spanned) = table else {
            return Ok(base);
        };
        let configured = spanned.get_ref();
        crate::levels::overlay(base, configured.warn, configured.crit)
            .map_err(|message| self.invalid(key, spanned, message))
    }

    pub fn invalid<T>(
        &self,
        key: &str,
        value: &Spanned<T>,
        message: impl fmt::Display,
    ) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone().unwrap_or_default(),
            line: line_of(&self.text, value.span().start),
            key: Some(key.to_owned()),
            message: message.to_string(),
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub health: HealthConfig,
    /// Present (even empty) means "this host runs PostgreSQL": health checks it.
    pub postgres: Option<PostgresConfig>,
    /// Present (even empty) means "this host runs Redis": health checks it.
    pub redis: Option<RedisConfig>,
    pub diagnose: DiagnoseConfig,
    pub certs: CertsConfig,
    pub logs: LogsConfig,
    pub backup: BackupConfig,
    /// `[routine]` and `[routine.NAME]`: what `maint run NAME` runs.
    pub routine: RoutineSection,
    /// `[[notify]]`: who is told how a routine (or a command) went.
    pub notify: NotifyTables,
    /// `[history]`: the local store of every check run, and the predictions made from it.
    pub history: HistoryConfig,
}

/// `[history]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// The SQLite file (default /var/lib/maint/history.db for root,
    /// $XDG_STATE_HOME/maint/history.db otherwise; $MAINT_HISTORY_PATH
    /// replaces the default).
    pub path: Option<PathBuf>,
    /// How long anything is kept.
    pub keep: Option<Spanned<Span>>,
    /// How long every point is kept as it was seen; older ones become hourly min/mean/max.
    pub raw: Option<Spanned<Span>>,
    /// How far back the predictions fit their line.
    pub window: Option<Spanned<Span>>,
    /// Fewer points than this in the window make no prediction.
    pub min_points: Option<Spanned<usize>>,
    /// Days until a filesystem is full (space or inodes).
    pub full_in: Levels,
    /// Days until a database or a backup doubles in size.
    pub doubles_in: Levels,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiagnoseConfig {
    /// Whatever is still being gathered at the deadline is reported incomplete.
    pub deadline: Option<Span>,
    /// Each collector's own time limit.
    pub timeout: Option<Span>,
    /// Folders whose largest subfolders the report shows (default: the
    /// [backup] sources, the folders of the [logs] paths, and /var/log).
    pub paths: Vec<PathBuf>,
    /// Age of the newest backup in [backup] dest (the README: warning after 26 h).
    pub backup_age: SpanLevels,
}

/// A warning and a critical level; either may be left to its default.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelsConfig<T> {
    pub warn: Option<T>,
    pub crit: Option<T>,
}

pub type Levels = Option<Spanned<LevelsConfig<f64>>>;
pub type SpanLevels = Option<Spanned<LevelsConfig<Span>>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthConfig {
    /// Whatever is still running at the deadline is reported UNKNOWN.
    pub deadline: Option<Span>,
    /// Each check's own time limit, unless the check sets one.
    pub timeout: Option<Span>,
    pub cpu: Levels,
    pub memory: Levels,
    pub swap: Levels,
    /// Five-minute load average per core.
    pub load: Levels,
    pub disk: Levels,
    pub inodes: Levels,
    /// The clock's offset from its time servers, either way (`500ms`, `5s`).
    pub clock_offset: SpanLevels,
    /// Mount points to check even when their filesystem type is normally left out.
    pub mounts: Vec<PathBuf>,
    pub exclude_mounts: Vec<PathBuf>,
    /// Mount points that are read-only on purpose.
    pub readonly_ok: Vec<PathBuf>,
    /// Check names (or patterns) never to run, as with --skip.
    pub skip: Vec<String>,
    pub process: Vec<ProcessConfig>,
    pub http: Vec<HttpConfig>,
    pub tcp: Vec<TcpConfig>,
    /// Nagios/monitoring-plugins commands run as checks (`command:NAME`).
    pub command: Vec<CommandConfig>,
    /// systemd units that must be active (`systemd:UNIT`), e.g. "nginx.service".
    pub units: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessConfig {
    /// Exact process name, as `ps -o comm` shows it (or the executable's file name).
    pub name: Option<String>,
    /// Regular expression matched against the whole command line.
    pub pattern: Option<Spanned<Pattern>>,
    /// Fewer running than this is critical.
    #[serde(default = "one")]
    pub min: usize,
    /// More running than this is a warning.
    pub max: Option<usize>,
}

fn one() -> usize {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub name: Option<String>,
    pub url: HttpUrl,
    /// Accepted status codes; any 2xx or 3xx when absent.
    pub expect_status: Option<StatusCodes>,
    /// Text the body must contain.
    pub contains: Option<String>,
    /// How much of the body `contains` searches (default 64 MiB).
    pub max_body: Option<crate::units::ByteSize>,
    /// Response-time levels.
    pub latency: SpanLevels,
    pub timeout: Option<Span>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StatusCodes {
    One(u16),
    Many(Vec<u16>),
}

impl StatusCodes {
    pub fn to_vec(&self) -> Vec<u16> {
        match self {
            StatusCodes::One(code) => vec![*code],
            StatusCodes::Many(codes) => codes.clone(),
        }
    }
}

/// `[[health.command]]`: a monitoring plugin; exit 0-3 is its status, its
/// first line the message, its performance data the values.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    pub name: String,
    /// The program and its arguments, run without a shell.
    pub command: Spanned<Vec<String>>,
    pub timeout: Option<Span>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpConfig {
    pub name: Option<String>,
    pub address: Address,
    pub timeout: Option<Span>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresConfig {
    /// `postgres://user@host:port/db` or `host=... dbname=...`; PG* variables
    /// and ~/.pgpass fill in what it leaves out.
    pub url: Option<PostgresUrl>,
    pub connect_timeout: Option<Span>,
    /// `maint db report`: how long its read-only statistics queries may take
    /// together (the server's statement_timeout, and maint's own limit).
    pub query_timeout: Option<Span>,
    /// Connections in use, percent of max_connections.
    pub connections: Levels,
    /// Age of the oldest open transaction.
    pub oldest_transaction: SpanLevels,
    /// `maint db vacuum` and `db prune`: how long a statement waits for its lock.
    pub lock_timeout: Option<Span>,
    /// `maint db vacuum`: the longest one table's statement may run.
    pub statement_timeout: Option<Span>,
    pub vacuum: VacuumConfig,
    pub report: DbReportConfig,
    pub prune: PruneConfig,
}

/// `[postgres.vacuum]`: how `maint db vacuum` chooses tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VacuumConfig {
    /// Dead tuples over all tuples, percent, from which a table is chosen.
    pub dead_ratio: Option<Spanned<f64>>,
    /// ...together with at least this many dead tuples.
    pub min_dead_tuples: Option<Spanned<i64>>,
    /// Transaction-id age from which a table is chosen (default: vacuum_freeze_table_age).
    pub xid_age: Option<Spanned<i64>>,
    /// Choose tables whose statistics are stale (more changed rows than autovacuum's analyze threshold).
    pub stale_statistics: Option<bool>,
    /// Choose tables past their own autovacuum thresholds.
    pub autovacuum_overdue: Option<bool>,
    pub jobs: Option<Spanned<usize>>,
    pub max_duration: Option<Span>,
    /// Only these schemas.
    pub schema: Vec<String>,
    /// Tables never vacuumed.
    pub exclude: Vec<String>,
}

/// `[postgres.report]`: the thresholds of `maint db report`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DbReportConfig {
    /// Tables listed.
    pub top: Option<usize>,
    /// Worst dead-tuple share of a table with at least 1000 dead tuples, percent.
    pub dead_tuples: Levels,
    /// Worst transaction-id age, percent of autovacuum_freeze_max_age.
    pub wraparound: Levels,
    /// Worst estimated bloat of a table of at least 8 MiB, percent of its heap.
    pub bloat: Levels,
    /// Mean time of the slowest statement in pg_stat_statements.
    pub slow_query: SpanLevels,
    /// WAL kept on the primary's disk by an inactive replication slot.
    pub slot_wal: Option<Spanned<LevelsConfig<crate::units::ByteSize>>>,
    /// How long the longest-waiting session has waited for a lock.
    pub blocked: SpanLevels,
    /// Percent of its range the fullest sequence has used (or its column's type's).
    pub sequences: Levels,
    /// replay_lag of the standby furthest behind.
    pub replication_lag: SpanLevels,
    /// Worst estimated free space of a B-tree index of 1 MiB or more, percent.
    pub index_bloat: Levels,
}

/// `[postgres.prune]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PruneConfig {
    /// Rows deleted per batch.
    pub batch: Option<Spanned<u32>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    pub url: Option<RedisUrl>,
    pub timeout: Option<Span>,
    /// used_memory, percent of maxmemory.
    pub memory: Levels,
    /// connected_clients, percent of maxclients.
    pub clients: Levels,
    /// What the application uses it for (`maint redis report`'s config review).
    pub used_as: Option<RedisUse>,
    /// Keys `maint redis report` samples for big keys (0: none).
    pub sample: Option<usize>,
    /// Keys sampled per second, at most.
    pub sample_rate: Option<u32>,
    /// mem_fragmentation_ratio (RSS over used memory).
    pub fragmentation: Levels,
    /// Keyspace hits, percent of lookups (lower is worse).
    pub hit_ratio: Levels,
    /// Seconds a replica is behind (or since its primary was last heard).
    pub replication_lag: SpanLevels,
    /// The slowest command of the last 24 h in the slow log.
    pub slowlog: SpanLevels,
    /// MEMORY USAGE of the biggest key sampled.
    pub big_key: Option<Spanned<LevelsConfig<crate::units::ByteSize>>>,
}

/// What a Redis server is for: a cache may lose keys, a store may not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RedisUse {
    /// Decide from the data: nothing persisted, or most keys expiring, is a cache
    Auto,
    /// It may lose keys: it needs maxmemory and an eviction policy
    Cache,
    /// It keeps data: it needs persistence and must not evict
    Store,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CertsConfig {
    /// Files, folders and endpoints `maint certs check` checks when given no TARGET.
    pub targets: Vec<Spanned<CertTarget>>,
    /// Days left before expiry (the README: warn 60, crit 30).
    pub days_left: Levels,
    /// Percent of the whole lifetime left, for short-lived certificates.
    pub lifetime_left: Levels,
    /// One deadline per endpoint: DNS, connect, STARTTLS and handshake.
    pub timeout: Option<Span>,
    /// Endpoints probed at once.
    pub jobs: Option<Spanned<usize>>,
    /// Roots to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// How revocation is checked: `crl` (the default), `ocsp` or `off`.
    pub revocation: Option<Revocation>,
    /// Per-target settings; each is also a target.
    pub target: Vec<CertTargetConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertTargetConfig {
    pub target: Spanned<CertTarget>,
    /// Connect here instead (`host:port` or `host`); the target's name is still the one verified.
    pub connect: Option<String>,
    /// The SNI name to send, when not the target's host.
    pub sni: Option<String>,
    /// `smtp`, `postgres` or `none`; by default from the scheme or port.
    pub starttls: Option<StarttlsName>,
    pub days_left: Levels,
    pub lifetime_left: Levels,
    pub timeout: Option<Span>,
    /// The private key that must match the certificate.
    pub key: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
}

/// How `certs check` asks whether a certificate was revoked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Revocation {
    /// The CRLs the certificates name (their CRL distribution points)
    #[default]
    Crl,
    /// OCSP where a certificate names a responder, its CRL otherwise
    Ocsp,
    /// No revocation check
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StarttlsName {
    None,
    Smtp,
    Postgres,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogsConfig {
    /// Files, folders and globs read when the command line names none.
    pub paths: Vec<PathBuf>,
    /// The window's start when `--since` is not given (all lines when absent).
    pub since: Option<crate::logscan::TimeSpec>,
    /// Templates shown per category.
    pub top: Option<usize>,
    /// Histogram bucket width.
    pub bucket: Option<Span>,
    /// State file for incremental runs, as `--state`.
    pub state: Option<PathBuf>,
    /// Alert levels, as `--threshold` (`errors>100`, `errors>50,200/1h`).
    pub thresholds: Vec<Spanned<crate::levels::Alert>>,
    /// More categories: name = regular expression.
    pub patterns: std::collections::BTreeMap<String, LogPattern>,
    /// The status when the window holds no line at all.
    pub no_lines: Option<NoLines>,
}

/// What "no line in the window" means for the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoLines {
    Ok,
    Warning,
    Critical,
    Unknown,
}

/// A category's regular expression, compiled as the scanner will use it
/// (bytes, Unicode off, like `LC_ALL=C grep -E`) when the config is read.
#[derive(Debug, Clone)]
pub struct LogPattern(pub String);

impl<'de> Deserialize<'de> for LogPattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::logscan::categories::compile(&text)
            .map(|_| LogPattern(text))
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Folders and files to back up (`--source` replaces the list).
    pub sources: Vec<PathBuf>,
    /// Globs left out: without `/` they match any file or folder name, with
    /// `/` the path below the backup's root; `**` crosses folders.
    pub exclude: Vec<String>,
    /// The folder archives are written to and read from.
    pub dest: Option<PathBuf>,
    /// The first part of archive names [default: the host name].
    pub name: Option<BackupName>,
    /// A PostgreSQL database to dump into every backup; PG* variables and
    /// ~/.pgpass fill in what the URL leaves out.
    pub db: Option<PostgresUrl>,
    /// The folder holding pg_dump, pg_restore (default: PATH, then the newest
    /// /usr/lib/postgresql/N/bin).
    pub pg_bin: Option<PathBuf>,
    /// Compression threads [default: one per core].
    pub threads: Option<usize>,
    /// gzip level 1-9 [default: 6, as `gzip` and `tar czf`].
    pub level: Option<GzipLevel>,
    pub keep_last: Option<usize>,
    pub keep_daily: Option<usize>,
    pub keep_weekly: Option<usize>,
    pub keep_monthly: Option<usize>,
    /// A Redis server whose RDB snapshot goes into every backup.
    pub redis: Option<RedisUrl>,
    /// age public keys (age1…) or SSH public keys: archives become
    /// `.tar.gz.age`, opened with the matching identity (`--identity`).
    pub recipients: Vec<String>,
    /// Where `s3://` destinations are and how they are reached.
    pub s3: S3Config,
    /// Other destinations each new backup is copied to (3-2-1), each with
    /// its own retention for `maint backup prune --dest` there.
    pub copy: Vec<CopyConfig>,
    /// Make incrementals: only what changed since the latest backup of the
    /// same name, except on the days of `full_on`.
    pub incremental: Option<bool>,
    /// Days (UTC) that get a full backup when `incremental` is set:
    /// weekday names (`"sun"`) or days of the month (`"1"`).
    pub full_on: Vec<FullDay>,
    /// Shell commands run before `maint backup create` (a failure skips the backup).
    pub before: Commands,
    /// Run after a backup that succeeded, once `before` succeeded.
    pub after: Commands,
    /// Run after a backup that failed, once `before` ran.
    pub on_failure: Commands,
    /// Each hook's time limit [default: 5m].
    pub hook_timeout: Option<Span>,
}

/// A day that gets a full backup: a weekday or a day of the month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FullDay {
    Weekday(chrono::Weekday),
    OfMonth(u32),
}

impl FullDay {
    /// Whether `day` is this day.
    pub fn is(self, day: chrono::NaiveDate) -> bool {
        use chrono::Datelike as _;
        match self {
            FullDay::Weekday(weekday) => day.weekday() == weekday,
            FullDay::OfMonth(n) => day.day() == n,
        }
    }
}

impl std::str::FromStr for FullDay {
    type Err = String;

    fn from_str(text: &str) -> Result<FullDay, String> {
        if let Ok(n) = text.parse::<u32>() {
            return if (1..=31).contains(&n) {
                Ok(FullDay::OfMonth(n))
            } else {
                Err(format!("{n} is not a day of the month (1 to 31)"))
            };
        }
        text.parse::<chrono::Weekday>()
            .map(FullDay::Weekday)
            .map_err(|_| {
                format!(
                    "{text:?} is neither a weekday (mon, sunday) nor a day of the month (1 to 31)"
                )
            })
    }
}

impl<'de> Deserialize<'de> for FullDay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<FullDay, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl S3Config {
    /// What the S3 client needs of these settings.
    pub fn settings(&self) -> crate::storage::remote::Settings {
        crate::storage::remote::Settings {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            path_style: self.path_style,
            profile: self.profile.clone(),
            timeout: self.timeout.map(|t| t.0),
        }
    }
}

/// `[[backup.copy]]`: one more destination for every backup.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyConfig {
    /// A folder or s3://BUCKET/PREFIX.
    pub dest: PathBuf,
    pub keep_last: Option<usize>,
    pub keep_daily: Option<usize>,
    pub keep_weekly: Option<usize>,
    pub keep_monthly: Option<usize>,
}

/// `[backup.s3]`: below what an `s3://` URL's own settings say, above the
/// AWS environment and `~/.aws/config`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Config {
    /// The store's URL, for anything but AWS (`http://127.0.0.1:3900`).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Address buckets by path (default: when an endpoint is given).
    pub path_style: Option<bool>,
    /// A profile of ~/.aws/credentials and ~/.aws/config.
    pub profile: Option<String>,
    /// Given up after this long without an answer [default: 60s].
    pub timeout: Option<Span>,
}

/// A gzip compression level, 1 (fastest) to 9 (smallest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GzipLevel(pub u32);

impl<'de> Deserialize<'de> for GzipLevel {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let level = u32::deserialize(deserializer)?;
        if (1..=9).contains(&level) {
            Ok(GzipLevel(level))
        } else {
            Err(serde::de::Error::custom(format!(
                "gzip level {level} is out of range: give 1 (fastest) to 9 (smallest)"
            )))
        }
    }
}

/// Defines a string newtype that validates itself while the config is
/// parsed, so a bad value is reported with its line.
macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub String);

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                let check: fn(&str) -> Result<(), String> = $check;
                check(text).map(|()| $name(text.to_owned()))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&crate::redact::url(&self.0))
            }
        }
    };
}

validated_string!(
    /// An `http://` or `https://` URL with a host.
    HttpUrl,
    |text| {
        let url = url::Url::parse(text)
            .map_err(|err| format!("invalid URL {:?}: {err}", crate::redact::url(text)))?;
        match url.scheme() {
            "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
            "http" | "https" => Err(format!("URL {:?} has no host", crate::redact::url(text))),
            other => Err(format!(
                "URL {:?} has scheme {other:?}; only http and https are checked",
                crate::redact::url(text)
            )),
        }
    }
);

validated_string!(
    /// `smtp://[user[:password]@]host[:port]` (STARTTLS) or `smtps://...`.
    SmtpUrl,
    |text| crate::notify::SmtpSettings::parse(text).map(drop)
);

validated_string!(
    /// `host:port` or `[v6]:port`.
    Address,
    |text| {
        let (host, port) = text
            .rsplit_once(':')
            .ok_or_else(|| format!("address {text:?} needs a port, as host:port"))?;
        if host.trim_matches(['[', ']']).is_empty() {
            return Err(format!("address {text:?} has no host"));
        }
        match port.parse::<u16>() {
            Ok(p) if p > 0 => Ok(()),
            _ => Err(format!("address {text:?} has an invalid port {port:?}")),
        }
    }
);

validated_string!(
    /// A libpq connection URL or key=value string.
    PostgresUrl,
    |text| crate::probe::postgres::parse_url(text).map(drop)
);

validated_string!(
    /// `redis://[:password@]host[:port][/db]`, `rediss://` or `unix://`.
    RedisUrl,
    |text| {
        use redis::IntoConnectionInfo;
        text.into_connection_info()
            .map(drop)
            .map_err(|err| format!("invalid Redis URL {:?}: {err}", crate::redact::url(text)))
    }
);

validated_string!(
    /// A certificate file, folder or endpoint; URLs are checked for a known
    /// scheme and a port here, paths when the command runs.
    CertTarget,
    |text| {
        if text.trim().is_empty() {
            return Err("a target is empty".into());
        }
        if text.contains("://") {
            crate::probe::tls::parse_endpoint(text)
                .map(drop)
                .map_err(|err| err.to_string())
        } else {
            Ok(())
        }
    }
);

validated_string!(
    /// A backup name: letters, digits, `.`, `_`, `-`, not starting with a dot.
    BackupName,
    |text| {
        if crate::storage::archive::valid_label(text) {
            Ok(())
        } else {
            Err(format!(
                "backup name {text:?} may hold only letters, digits, '.', '_' and '-', and not start with '.'"
            ))
        }
    }
);

/// A regular expression, compiled when the config is read.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex::Regex);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        regex::Regex::new(&text)
            .map(Pattern)
            .map_err(|err| serde::de::Error::custom(format!("invalid regular expression: {err}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A maint.toml read as if from /etc/maint; its error as text.
    pub(super) fn parse(text: &str) -> Result<Loaded, String> {
        Loaded::parse(Path::new("/etc/maint/maint.toml"), text.to_owned())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn empty_file_is_all_defaults() {
        let loaded = parse("").unwrap();
        assert!(loaded.config.postgres.is_none());
        assert!(loaded.config.health.http.is_empty());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = parse("[health]\ndeadline = \"5s\"\ncolour = \"red\"\n").unwrap_err();
        assert!(
            err.starts_with(
                "config /etc/maint/maint.toml, line 3, key `health.colour`: unknown field `colour`"
            ),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_names_file_line_and_key() {
        let err = parse("[health]\n\n[health.cpu]\nwarn = \"high\"\n").unwrap_err();
        assert!(err.contains("line 4, key `health.cpu.warn`"), "{err}");
    }

    #[test]
    fn invalid_values_are_caught_while_parsing() {
        let err = parse("[[health.http]]\nurl = \"htp://x\"\n").unwrap_err();
        assert!(err.contains("line 2, key `health.http[0].url`"), "{err}");
        assert!(err.contains("scheme \"htp\""), "{err}");
        let err = parse("[health]\ndeadline = \"10\"\n").unwrap_err();
        assert!(
            err.contains("key `health.deadline`: invalid duration"),
            "{err}"
        );
        let err = parse("[[health.tcp]]\naddress = \"db\"\n").unwrap_err();
        assert!(err.contains("needs a port"), "{err}");
    }

    #[test]
    fn malformed_toml_names_the_line() {
        let err = parse("[health\ndeadline = 1\n").unwrap_err();
        assert!(
            err.starts_with("config /etc/maint/maint.toml, line 1: "),
            "{err}"
        );
    }

    #[test]
    fn logs_values_are_checked_while_parsing() {
        let err = parse("[logs.patterns]\ntimeouts = \"(timed out\"\n").unwrap_err();
        assert!(
            err.contains("line 2, key `logs.patterns.timeouts`: invalid regular expression"),
            "{err}"
        );
        let err = parse("[logs]\nsince = \"last week\"\n").unwrap_err();
        assert!(err.contains("line 2, key `logs.since`"), "{err}");
        let err = parse("[logs]\nthresholds = [\"errors>x\"]\n").unwrap_err();
        assert!(err.contains("key `logs.thresholds"), "{err}");
        let loaded =
            parse("[logs]\npaths = [\"/var/log/app\"]\nthresholds = [\"errors>5,10/1h\"]\n")
                .unwrap();
        assert_eq!(loaded.config.logs.thresholds.len(), 1);
    }

    #[test]
    fn secrets_in_bad_urls_stay_hidden() {
        let err = parse("[redis]\nurl = \"http://:hunter2@x\"\n").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
