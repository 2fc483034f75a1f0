//! `maint redis report`, shared with `diagnose`: settings from flags,
//! `[redis]` and `REDIS_URL`; the server read once (`probe::redis::report`),
//! judged (`judge::redis::report`), and its figures laid out as tables and
//! Prometheus gauges.

use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::Utc;

use crate::cli::RedisReportArgs;
use crate::config::{Loaded, RedisUse};
use crate::judge::redis::report::{Levels, Usage};
use crate::probe::redis::report::{self as probe, Facts, Options};
use crate::probe::redis::{self, RedisError};
use crate::report::{Cell, Column, Metric, Report, Section};
use crate::units::{human_bytes, human_duration};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_SAMPLE: usize = 10_000;
const DEFAULT_RATE: u32 = 50_000;
const DEFAULT_TOP: usize = 10;

/// What one report needs, validated.
#[derive(Clone, Debug)]
pub struct Settings {
    url: String,
    options: Options,
    usage: Usage,
    levels: Levels,
}

impl Settings {
    /// Flags over `[redis]` over `REDIS_URL` and the built-in defaults; fails
    /// on a wrong level before anything is asked of the server.
    pub fn resolve(args: &RedisReportArgs, loaded: &Loaded) -> Result<Settings> {
        let config = loaded.config.redis.as_ref();
        let url = args
            .url
            .as_ref()
            .or(config.and_then(|c| c.url.as_ref()))
            .map_or_else(redis::default_url, |url| url.0.clone());
        let timeout = args
            .timeout
            .or(config.and_then(|c| c.timeout))
            .map_or(DEFAULT_TIMEOUT, Duration::from);
        let base = Levels::default();
        let levels = Levels {
            memory: loaded.levels(
                "redis.memory",
                config.and_then(|c| c.memory.as_ref()),
                base.memory,
            )?,
            clients: loaded.levels(
                "redis.clients",
                config.and_then(|c| c.clients.as_ref()),
                base.clients,
            )?,
            fragmentation: loaded.levels(
                "redis.fragmentation",
                config.and_then(|c| c.fragmentation.as_ref()),
                base.fragmentation,
            )?,
            hit_ratio: loaded.levels(
                "redis.hit_ratio",
                config.and_then(|c| c.hit_ratio.as_ref()),
                base.hit_ratio,
            )?,
            replication_lag: loaded.levels(
                "redis.replication_lag",
                config.and_then(|c| c.replication_lag.as_ref()),
                base.replication_lag,
            )?,
            slowlog: loaded.levels(
                "redis.slowlog",
                config.and_then(|c| c.slowlog.as_ref()),
                base.slowlog,
            )?,
            big_key: loaded.levels(
                "redis.big_key",
                config.and_then(|c| c.big_key.as_ref()),
                base.big_key,
            )?,
        };
        let usage = match args.used_as.or(config.and_then(|c| c.used_as)) {
            None | Some(RedisUse::Auto) => Usage::Auto,
            Some(RedisUse::Cache) => Usage::Cache,
            Some(RedisUse::Store) => Usage::Store,
        };
        Ok(Settings {
            url,
            options: Options {
                timeout,
                sample: args
                    .sample
                    .or(config.and_then(|c| c.sample))
                    .unwrap_or(DEFAULT_SAMPLE),
                rate: args
                    .sample_rate
                    .or(config.and_then(|c| c.sample_rate))
                    .unwrap_or(DEFAULT_RATE)
                    .max(1),
                sample_time: timeout / 2,
                top: args.top.unwrap_or(DEFAULT_TOP),
            },
            usage,
            levels,
        })
    }

    /// The same report, for `diagnose`: within `timeout`, sampling `sample` keys.
    pub fn bounded(mut self, timeout: Duration, sample: usize) -> Settings {
        self.options.timeout = timeout;
        self.options.sample_time = timeout / 2;
        self.options.sample = sample;
        self
    }

    /// The server, its password masked.
    pub fn shown(&self) -> String {
        crate::redact::url(&self.url)
    }
}

/// Reads the server, judges it, lays out its figures.
pub fn run(settings: &Settings) -> Report {
    let started_at = Utc::now();
    let started = Instant::now();
    let shown = settings.shown();
    let answer = probe::facts(&settings.url, settings.options);
    let host = probe::is_local(&settings.url).then(probe::host_settings);
    let mut report = crate::checks::report("redis report", started_at);
    report.checks = crate::judge::redis::report::report(
        &shown,
        &answer,
        host.as_ref(),
        &settings.levels,
        settings.usage,
        Utc::now(),
    );
    if let Ok(facts) = &answer {
        report.sections = sections(facts, host.is_some(), settings.options.top);
        report.metrics = metrics(facts);
    }
    report.duration = started.elapsed();
    report
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn count(value: u64) -> Cell {
    Cell::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

fn sections(facts: &Facts, local: bool, top: usize) -> Vec<Section> {
    let info = &facts.info;
    let details = &facts.details;
    let save_age = Utc::now().timestamp() - info.rdb_last_save_time;
    let lookups = details.keyspace_hits + details.keyspace_misses;
    let mut server = vec![
        vec![
            text("version"),
            text(format!(
                "{} ({}), up {}",
                info.version,
                info.role,
                human_duration(details.uptime)
            )),
        ],
        vec![
            text("memory"),
            text(format!(
                "{} used, peak {}, RSS {}{}",
                human_bytes(info.used_memory),
                human_bytes(details.used_memory_peak),
                human_bytes(details.used_memory_rss),
                details.fragmentation.map_or(String::new(), |ratio| format!(
                    " (fragmentation {ratio:.2})"
                ))
            )),
        ],
        vec![
            text("maxmemory"),
            text(if info.maxmemory == 0 {
                format!("no limit ({})", info.maxmemory_policy)
            } else {
                format!(
                    "{} ({})",
                    human_bytes(info.maxmemory),
                    info.maxmemory_policy
                )
            }),
        ],
        vec![
            text("clients"),
            text(format!(
                "{} connected, {} blocked, {} rejected since start",
                info.connected_clients, details.blocked_clients, info.rejected_connections
            )),
        ],
        vec![
            text("keys"),
            text(format!(
                "{} expired and {} evicted since start; {} hits, {} misses{}",
                details.expired_keys,
                info.evicted_keys,
                details.keyspace_hits,
                details.keyspace_misses,
                if lookups > 0 {
                    format!(
                        " ({:.1} % hit)",
                        details.keyspace_hits as f64 * 100.0 / lookups as f64
                    )
                } else {
                    String::new()
                }
            )),
        ],
        vec![
            text("last save"),
            text(format!(
                "{} ago, {} ({} changes since){}",
                human_duration(Duration::from_secs(save_age.max(0).unsigned_abs())),
                info.rdb_last_bgsave_status,
                info.rdb_changes_since_last_save,
                if details.bgsave_in_progress {
                    "; a save is running"
                } else {
                    ""
                }
            )),
        ],
        vec![
            text("AOF"),
            text(if info.aof_enabled {
                format!(
                    "on, last write {}, last rewrite {}",
                    info.aof_last_write_status, details.aof_last_bgrewrite_status
                )
            } else {
                "off".to_owned()
            }),
        ],
    ];
    if !local {
        server.push(vec![
            text("host settings"),
            text("not checked: Redis runs on another host (vm.overcommit_memory, transparent huge pages are checked there)"),
        ]);
    }
    if let Some(Ok(sample)) = &facts.sample {
        server.push(vec![
            text("sampled"),
            text(format!(
                "{} keys in {}{}",
                sample.scanned,
                human_duration(sample.elapsed),
                if sample.complete {
                    " (all of them)"
                } else {
                    ""
                }
            )),
        ]);
    }
    let mut sections = vec![
        Section {
            name: "server".into(),
            title: "Server:".into(),
            columns: vec![Column::new("key", "WHAT"), Column::new("value", "VALUE")],
            rows: server,
        },
        Section {
            name: "keyspace".into(),
            title: "Keys per database:".into(),
            columns: vec![
                Column::new("db", "DB"),
                Column::new("keys", "KEYS"),
                Column::new("expires", "EXPIRING"),
                Column::new("avg_ttl_seconds", "AVG TTL"),
            ],
            rows: details
                .keyspace
                .iter()
                .map(|space| {
                    vec![
                        Cell::Integer(i64::from(space.db)),
                        count(space.keys),
                        count(space.expires),
                        if space.avg_ttl.is_zero() {
                            Cell::Empty
                        } else {
                            Cell::Duration(space.avg_ttl)
                        },
                    ]
                })
                .collect(),
        },
    ];
    if let Ok(entries) = &facts.slowlog {
        let mut worst: Vec<_> = entries.iter().collect();
        worst.sort_by_key(|entry| std::cmp::Reverse(entry.duration));
        worst.truncate(top);
        sections.push(Section {
            name: "slowlog".into(),
            title: "Slow log, slowest first:".into(),
            columns: vec![
                Column::new("time", "TIME"),
                Column::new("duration_seconds", "TOOK"),
                Column::new("command", "COMMAND"),
                Column::new("arguments", "ARGS"),
                Column::new("client", "CLIENT"),
            ],
            rows: worst
                .into_iter()
                .map(|entry| {
                    vec![
                        Cell::Time(entry.at),
                        Cell::Duration(entry.duration),
                        text(&entry.command),
                        count(entry.arguments as u64),
                        text(&entry.client),
                    ]
                })
                .collect(),
        });
    }
    if let Some(Ok(sample)) = &facts.sample {
        sections.push(Section {
            name: "big_keys".into(),
            title: "Biggest keys sampled:".into(),
            columns: vec![
                Column::new("db", "DB"),
                Column::new("key", "KEY"),
                Column::new("type", "TYPE"),
                Column::new("bytes", "MEMORY"),
                Column::new("length", "ELEMENTS"),
            ],
            rows: sample
                .keys
                .iter()
                .map(|key| {
                    vec![
                        Cell::Integer(i64::from(key.db)),
                        text(&key.key),
                        text(&key.kind),
                        Cell::Bytes(key.bytes),
                        key.length.map_or(Cell::Empty, count),
                    ]
                })
                .collect(),
        });
    }
    // The doctors' own words, for JSON (the checks say what they found).
    let advice = |name: &str, answer: &Result<String, RedisError>| -> Vec<Vec<Cell>> {
        answer
            .iter()
            .flat_map(|text| text.lines())
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| vec![text(name), text(line)])
            .collect()
    };
    let mut doctors = advice("latency", &facts.latency_doctor);
    doctors.extend(advice("memory", &facts.memory_doctor));
    sections.push(Section {
        name: "doctors".into(),
        title: String::new(),
        columns: vec![Column::new("doctor", "DOCTOR"), Column::new("line", "SAYS")],
        rows: doctors,
    });
    sections
}

/// The figures as gauges, for a node_exporter textfile.
fn metrics(facts: &Facts) -> Vec<Metric> {
    let info = &facts.info;
    let details = &facts.details;
    let mut metrics = vec![
        Metric::new(
            "maint_redis_memory_used_bytes",
            "Memory Redis uses (used_memory).",
            &[],
            info.used_memory as f64,
        ),
        Metric::new(
            "maint_redis_memory_peak_bytes",
            "The most memory Redis has used since start.",
            &[],
            details.used_memory_peak as f64,
        ),
        Metric::new(
            "maint_redis_memory_rss_bytes",
            "Memory the host gives Redis (used_memory_rss).",
            &[],
            details.used_memory_rss as f64,
        ),
        Metric::new(
            "maint_redis_maxmemory_bytes",
            "maxmemory; 0 is no limit.",
            &[],
            info.maxmemory as f64,
        ),
        Metric::new(
            "maint_redis_connected_clients",
            "Clients connected.",
            &[],
            info.connected_clients as f64,
        ),
        Metric::new(
            "maint_redis_blocked_clients",
            "Clients waiting in a blocking command.",
            &[],
            details.blocked_clients as f64,
        ),
        Metric::new(
            "maint_redis_expired_keys_total",
            "Keys expired since start.",
            &[],
            details.expired_keys as f64,
        ),
        Metric::new(
            "maint_redis_evicted_keys_total",
            "Keys evicted since start.",
            &[],
            info.evicted_keys as f64,
        ),
        Metric::new(
            "maint_redis_keyspace_hits_total",
            "Key lookups that found their key since start.",
            &[],
            details.keyspace_hits as f64,
        ),
        Metric::new(
            "maint_redis_keyspace_misses_total",
            "Key lookups that missed since start.",
            &[],
            details.keyspace_misses as f64,
        ),
        Metric::new(
            "maint_redis_last_save_timestamp_seconds",
            "When the last RDB save succeeded.",
            &[],
            info.rdb_last_save_time as f64,
        ),
    ];
    for space in &details.keyspace {
        let db = space.db.to_string();
        metrics.push(Metric::new(
            "maint_redis_keys",
            "Keys per database.",
            &[("db", &db)],
            space.keys as f64,
        ));
    }
    for space in &details.keyspace {
        let db = space.db.to_string();
        metrics.push(Metric::new(
            "maint_redis_expiring_keys",
            "Keys with a TTL per database.",
            &[("db", &db)],
            space.expires as f64,
        ));
    }
    metrics
}
