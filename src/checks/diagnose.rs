//! What `maint diagnose` is made of: the plan (settings of the check
//! collectors it composes, resolved before anything runs), the sections
//! gathered at once under one deadline, and the findings worst first. The
//! collectors of each section are in `diagnose/sections.rs`; what makes a
//! finding is judged in `judge::diagnose`.
//!
//! Each collector gathers one section under its own time limit and byte
//! cap; one that fails or hangs marks its section incomplete, and the rest
//! still arrive by the deadline.

mod sections;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::Notes;
use crate::cli::{DiagnoseArgs, HealthArgs};
use crate::config::Loaded;
use crate::parallel::{self, Job};
use crate::probe::redis;
use crate::report::{Cell, Check, Column, Report, Section, Status, Threshold};
use crate::units::compact_duration;

const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
const DEFAULT_SINCE: Duration = Duration::from_secs(24 * 3600);
/// Rows a section may hold: a report is read by a person.
const MAX_ROWS: usize = 50;
/// Bytes of one log excerpt in a bundle: the recent end of the file.
const EXCERPT_BYTES: u64 = 256 * 1024;
/// System logs read with zero configuration, when present and readable.
const SYSTEM_LOGS: &[&str] = &["/var/log/syslog", "/var/log/messages", "/var/log/kern.log"];

/// What the collectors need, validated; moved into their threads.
pub struct Plan {
    pub since: Duration,
    pub deadline: Duration,
    pub timeout: Duration,
    folders: Vec<PathBuf>,
    health: crate::checks::health::Settings,
    redis: Option<RedisPlan>,
    /// `maint redis report` with a small sample, when `[redis]` is configured.
    redis_review: Option<crate::checks::redis::Settings>,
    /// `maint db report`, when `[postgres]` is configured.
    postgres: Option<crate::checks::postgres::report::Settings>,
    /// `maint certs check` of the `[certs]` targets, or why it cannot run.
    certs: Option<Result<crate::checks::certs::Settings, String>>,
    /// `maint logs analyze` of `[logs] paths`, else of the system logs readable here.
    logs: Option<Result<crate::checks::logs::Settings, String>>,
    /// The newest backup in `[backup] dest`, and the levels for its age.
    backup: Option<BackupPlan>,
}

/// Where the Redis section comes from: Redis is asked once, by the health
/// checks when they probe it, else by the section itself.
enum RedisPlan {
    FromHealth { url: String },
    Own { url: String },
}

struct BackupPlan {
    dest: PathBuf,
    name: Option<String>,
    age: Threshold,
    /// How an `s3://` destination is reached ([backup.s3]).
    s3: crate::storage::remote::Settings,
}

/// Keys `diagnose` samples for big keys: a glance, not a survey.
const REDIS_SAMPLE: usize = 1000;

/// As the README says: a last backup older than 26 h is a warning; three missed nights are critical.
const BACKUP_AGE: (Duration, Duration) = (
    Duration::from_secs(26 * 3600),
    Duration::from_secs(72 * 3600),
);

impl Plan {
    /// The plan from flags and `maint.toml`; fails before anything runs.
    pub fn resolve(args: &DiagnoseArgs, loaded: &Loaded, notes: Notes) -> anyhow::Result<Plan> {
        let config = &loaded.config.diagnose;
        let deadline = args
            .deadline
            .or(config.deadline)
            .map_or(DEFAULT_DEADLINE, Duration::from);
        let timeout = config
            .timeout
            .map_or(DEFAULT_TIMEOUT, Duration::from)
            .min(deadline);
        // Health runs inside its collector, so it must finish inside the collector's limit.
        let health_args = HealthArgs {
            deadline: Some(crate::units::Span(
                timeout.saturating_sub(Duration::from_millis(300)),
            )),
            ..HealthArgs::default()
        };
        let health = crate::checks::health::Settings::resolve(&health_args, loaded)?;
        let redis = loaded.config.redis.as_ref().map(|redis_config| {
            let url = redis_config
                .url
                .as_ref()
                .map_or_else(redis::default_url, |url| url.0.clone());
            if health.probes.iter().any(|probe| probe.kind == "redis") {
                RedisPlan::FromHealth { url }
            } else {
                RedisPlan::Own { url }
            }
        });
        let redis_review = loaded
            .config
            .redis
            .is_some()
            .then(|| {
                crate::checks::redis::Settings::resolve(
                    &crate::cli::RedisReportArgs::default(),
                    loaded,
                )
            })
            .transpose()?
            .map(|settings| {
                settings.bounded(
                    timeout.saturating_sub(Duration::from_millis(300)),
                    REDIS_SAMPLE,
                )
            });
        let postgres = loaded
            .config
            .postgres
            .is_some()
            .then(|| {
                crate::checks::postgres::report::Settings::resolve(
                    &crate::cli::DbReportArgs::default(),
                    loaded,
                    notes,
                )
            })
            .transpose()?;
        let certs_config = &loaded.config.certs;
        let certs =
            (!certs_config.targets.is_empty() || !certs_config.target.is_empty()).then(|| {
                let args = crate::cli::CertsCheckArgs {
                    timeout: Some(crate::units::Span(
                        timeout.saturating_sub(Duration::from_millis(300)),
                    )),
                    ..crate::cli::CertsCheckArgs::default()
                };
                // A certificate file that went missing is a finding here, not a reason to stop.
                crate::checks::certs::Settings::resolve(&args, loaded, notes)
                    .map_err(|err| crate::error::describe(&err))
            });
        let log_paths: Vec<PathBuf> = if loaded.config.logs.paths.is_empty() {
            SYSTEM_LOGS
                .iter()
                .map(PathBuf::from)
                .filter(|path| std::fs::File::open(path).is_ok())
                .collect()
        } else {
            loaded.config.logs.paths.clone()
        };
        let since = args.since.map_or(DEFAULT_SINCE, Duration::from);
        let logs = (!log_paths.is_empty()).then(|| {
            let args = crate::cli::LogsAnalyzeArgs {
                paths: log_paths,
                since: Some(crate::logscan::TimeSpec::Ago(since)),
                top: Some(3),
                ..crate::cli::LogsAnalyzeArgs::default()
            };
            crate::checks::logs::Settings::resolve(&args, loaded, Utc::now())
                .map_err(|err| crate::error::describe(&err))
        });
        let folders = if config.paths.is_empty() {
            // The data and log folders the config names, then the system's logs.
            let mut folders: Vec<PathBuf> = loaded
                .config
                .backup
                .sources
                .iter()
                .cloned()
                .chain(loaded.config.logs.paths.iter().map(|path| {
                    if path.is_dir() {
                        path.clone()
                    } else {
                        crate::storage::atomic::parent_dir(path).to_path_buf()
                    }
                }))
                .filter(|path| path.is_dir())
                .collect();
            folders.push(PathBuf::from("/var/log"));
            folders.dedup();
            folders
        } else {
            config.paths.clone()
        };
        let backup = match &loaded.config.backup.dest {
            Some(dest) => {
                let age = loaded.levels(
                    "diagnose.backup_age",
                    config.backup_age.as_ref(),
                    Threshold::above(BACKUP_AGE.0.as_secs_f64(), BACKUP_AGE.1.as_secs_f64()),
                )?;
                Some(BackupPlan {
                    dest: dest.clone(),
                    name: loaded.config.backup.name.as_ref().map(|n| n.0.clone()),
                    age,
                    s3: loaded.config.backup.s3.settings(),
                })
            }
            None => None,
        };
        Ok(Plan {
            since,
            deadline,
            timeout,
            folders,
            health,
            redis,
            redis_review,
            postgres,
            certs,
            logs,
            backup,
        })
    }
}

/// What one collector brings back.
#[derive(Default)]
struct Collected {
    rows: Vec<Vec<Cell>>,
    findings: Vec<Check>,
    /// Files for the support bundle: (name, text), redacted when packed.
    attachments: Vec<(String, String)>,
    /// Why the section has less than it could (not readable here, not running).
    note: Option<String>,
    /// What Redis answered to the health checks, for the Redis section.
    redis: Option<crate::checks::health::RedisAnswer>,
}

/// One section of the report and how it is gathered.
struct Collector {
    name: &'static str,
    title: &'static str,
    columns: Vec<Column>,
    work: Work,
}

enum Work {
    /// Gathered on a thread of its own, under the collector's time limit.
    Run(Box<dyn FnOnce() -> Collected + Send>),
    /// Made from what Redis answered to the health checks.
    RedisFromHealth { url: String },
}

/// The columns of [`status_rows`]: another command's checks, one a row.
fn status_columns() -> Vec<Column> {
    vec![
        Column::new("status", "STATUS"),
        Column::new("check", "CHECK"),
        Column::new("message", "MESSAGE"),
    ]
}

fn key_value_columns() -> Vec<Column> {
    vec![Column::new("key", "WHAT"), Column::new("value", "VALUE")]
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// Gathers every section at once, then the findings worst first; with the
/// files for a support bundle.
pub fn run(plan: Plan) -> (Report, Vec<(String, String)>) {
    let started_at = Utc::now();
    let started = Instant::now();
    let window_start = started_at - plan.since;
    let mut collectors = vec![
        Collector {
            name: "host",
            title: "Host",
            columns: key_value_columns(),
            work: Work::Run(Box::new(sections::collect_host)),
        },
        Collector {
            name: "health",
            title: "Health checks",
            columns: status_columns(),
            work: Work::Run(Box::new(move || sections::collect_health(plan.health))),
        },
        Collector {
            name: "processes",
            title: "Top processes by CPU and memory",
            columns: vec![
                Column::new("rank_by", "BY"),
                Column::new("pid", "PID"),
                Column::new("name", "NAME"),
                Column::new("cpu_percent", "CPU %"),
                Column::new("memory_bytes", "MEMORY"),
            ],
            work: Work::Run(Box::new(sections::collect_processes)),
        },
        Collector {
            name: "folders",
            title: "Largest folders",
            columns: vec![Column::new("path", "PATH"), Column::new("bytes", "SIZE")],
            work: Work::Run(Box::new({
                let folders = plan.folders;
                let timeout = plan.timeout;
                move || sections::collect_folders(&folders, timeout)
            })),
        },
        Collector {
            name: "kernel",
            title: "Out-of-memory kills",
            columns: vec![
                Column::new("time", "TIME"),
                Column::new("pid", "PID"),
                Column::new("process", "PROCESS"),
                Column::new("scope", "SCOPE"),
            ],
            work: Work::Run(Box::new(move || sections::collect_oom_kills(window_start))),
        },
        Collector {
            name: "services",
            title: "Failed systemd units",
            columns: vec![
                Column::new("unit", "UNIT"),
                Column::new("description", "DESCRIPTION"),
            ],
            work: Work::Run(Box::new(sections::collect_failed_units)),
        },
        Collector {
            name: "logs",
            title: "Recent log messages (maint logs analyze)",
            columns: vec![
                Column::new("category", "CATEGORY"),
                Column::new("count", "COUNT"),
                Column::new("template", "TEMPLATE"),
            ],
            work: Work::Run(Box::new(move || sections::collect_logs(plan.logs))),
        },
    ];
    if let Some(settings) = plan.postgres {
        collectors.push(Collector {
            name: "postgres",
            title: "PostgreSQL (maint db report)",
            columns: status_columns(),
            work: Work::Run(Box::new(move || sections::collect_postgres(&settings))),
        });
    }
    if let Some(settings) = plan.certs {
        collectors.push(Collector {
            name: "certificates",
            title: "Certificates (maint certs check)",
            columns: vec![
                Column::new("target", "TARGET"),
                Column::new("status", "STATUS"),
                Column::new("days_left", "DAYS LEFT"),
                Column::new("message", "MESSAGE"),
            ],
            work: Work::Run(Box::new(move || sections::collect_certificates(settings))),
        });
    }
    if let Some(backup) = plan.backup {
        collectors.push(Collector {
            name: "backup",
            title: "Latest backup",
            columns: key_value_columns(),
            work: Work::Run(Box::new(move || sections::collect_backup(&backup))),
        });
    }
    if let Some(redis) = plan.redis {
        let timeout = plan.timeout;
        collectors.push(Collector {
            name: "redis",
            title: "Redis",
            columns: key_value_columns(),
            work: match redis {
                RedisPlan::FromHealth { url } => Work::RedisFromHealth { url },
                RedisPlan::Own { url } => Work::Run(Box::new(move || {
                    sections::redis_section(&url, Some(&redis::server_info(&url, timeout)))
                })),
            },
        });
    }

    if let Some(settings) = plan.redis_review {
        collectors.push(Collector {
            name: "redis_review",
            title: "Redis review (maint redis report)",
            columns: status_columns(),
            work: Work::Run(Box::new(move || sections::collect_redis_review(&settings))),
        });
    }

    let mut jobs = Vec::with_capacity(collectors.len());
    let mut shells = Vec::with_capacity(collectors.len());
    for collector in collectors {
        let derived = match collector.work {
            Work::Run(work) => {
                jobs.push(Job::new(plan.timeout, work));
                None
            }
            Work::RedisFromHealth { url } => Some(url),
        };
        shells.push((collector.name, collector.title, collector.columns, derived));
    }
    let mut outcomes = parallel::run_all(jobs, usize::MAX, started + plan.deadline).into_iter();

    let mut report = crate::checks::report("diagnose", started_at);
    let mut findings = Vec::new();
    let mut attachments = Vec::new();
    let mut health_redis = None;
    for (name, title, columns, derived) in shells {
        let (mut collected, incomplete) = if let Some(url) = derived {
            (sections::redis_section(&url, health_redis.as_ref()), None)
        } else {
            let outcome = outcomes.next().expect("one outcome a job");
            let incomplete = outcome.shortfall(plan.deadline, "collector");
            match outcome {
                parallel::Outcome::Done { value, .. } => (value, incomplete),
                _ => (Collected::default(), incomplete),
            }
        };
        health_redis = health_redis.or(collected.redis.take());
        if let Some(why) = &incomplete {
            findings.push(
                Check::new(
                    format!("diagnose:{name}"),
                    Status::Unknown,
                    format!("the {title} section is incomplete: {why}, so what it would show is not known"),
                )
                .with_hint(format!("maint -v diagnose --deadline {}", compact_duration(plan.deadline * 2))),
            );
        }
        let note = incomplete
            .map(|why| format!("incomplete: {why}"))
            .or(collected.note);
        let mut rows = collected.rows;
        rows.truncate(MAX_ROWS);
        report.sections.push(Section {
            name: name.to_owned(),
            title: match note {
                Some(note) => format!("{title} ({note}):"),
                None => format!("{title}:"),
            },
            columns,
            rows,
        });
        findings.extend(collected.findings);
        attachments.extend(collected.attachments);
    }
    // Worst first; the sort is stable, so each collector's order survives within a status.
    findings.sort_by_key(|finding| std::cmp::Reverse(finding.status.severity()));
    report.checks = findings;
    report.duration = started.elapsed();
    (report, attachments)
}

/// The last `max` bytes of a file, from a line start where one is near.
fn tail(path: &Path, max: u64) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    file.seek(SeekFrom::Start(size.saturating_sub(max)))?;
    let mut bytes = Vec::with_capacity(max.min(size) as usize);
    file.take(max).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Ok(match (size > max, text.find('\n')) {
        (true, Some(newline)) => text[newline + 1..].to_owned(),
        _ => text,
    })
}

fn cap_tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_owned()
}
