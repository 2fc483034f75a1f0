//! `maint diagnose`: the one command to run when something is wrong. Each
//! collector gathers one section (host, health, processes, folders, kernel,
//! services, ...) under its own time limit and byte cap; what it finds wrong
//! becomes a finding with a reason and the command to run next, worst first.
//! A collector that fails or hangs marks its section incomplete; the rest
//! still arrive by the deadline. `--bundle` packs the report, the effective
//! config and recent log excerpts, redacted, for a support ticket.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::{Context, Failed, Outcome};
use crate::cli::{DiagnoseArgs, HealthArgs};
use crate::error::Hint;
use crate::parallel::{self, Job, Outcome as JobOutcome};
use crate::probe::isolated::{self, IsolatedError};
use crate::probe::{cgroup::Cgroup, disk, kernel, process, redis, system, systemd};
use crate::render::{self, Format, Style};
use crate::report::{Cell, Check, Column, Report, Section, Status, Threshold, Unit};
use crate::storage::bundle::Bundle;
use crate::units::{compact_duration, human_bytes, human_duration};

const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
const DEFAULT_SINCE: Duration = Duration::from_secs(24 * 3600);
/// Rows a section may hold: a report is read by a person.
const MAX_ROWS: usize = 50;
/// Bytes of one log excerpt in a bundle: the recent end of the file.
const EXCERPT_BYTES: u64 = 256 * 1024;
/// System logs read with zero configuration, when present and readable.
const SYSTEM_LOGS: &[&str] = &["/var/log/syslog", "/var/log/messages", "/var/log/kern.log"];

pub struct Settings {
    plan: RunPlan,
    bundle: Option<PathBuf>,
    redact_hosts: bool,
    /// Host names to hide with --redact-hosts: this machine's and the config's.
    host_names: Vec<String>,
    config_text: String,
    config_path: Option<PathBuf>,
}

/// What the collectors need; moved into their threads.
struct RunPlan {
    since: Duration,
    deadline: Duration,
    timeout: Duration,
    folders: Vec<PathBuf>,
    health: crate::checks::health::Settings,
    redis_url: Option<String>,
    /// `maint db report`, when `[postgres]` is configured.
    postgres: Option<crate::checks::postgres::report::Settings>,
    /// `maint certs check` of the `[certs]` targets, or why it cannot run.
    certs: Option<Result<crate::checks::certs::Settings, String>>,
    /// `maint logs analyze` of `[logs] paths`, else of the system logs readable here.
    logs: Option<Result<crate::checks::logs::Settings, String>>,
    /// The newest backup in `[backup] dest`, and the levels for its age.
    backup: Option<BackupPlan>,
}

struct BackupPlan {
    dest: PathBuf,
    name: Option<String>,
    age: Threshold,
}

/// As the README says: a last backup older than 26 h is a warning; three missed nights are critical.
const BACKUP_AGE: (Duration, Duration) = (
    Duration::from_secs(26 * 3600),
    Duration::from_secs(72 * 3600),
);

impl Settings {
    pub fn resolve(args: &DiagnoseArgs, context: &Context) -> anyhow::Result<Settings> {
        let loaded = context.config;
        let config = &loaded.config.diagnose;
        let deadline = args
            .deadline
            .or(config.deadline)
            .map_or(DEFAULT_DEADLINE, Duration::from);
        let timeout = config
            .timeout
            .map_or(DEFAULT_TIMEOUT, Duration::from)
            .min(deadline);
        if let Some(bundle) = &args.bundle {
            crate::storage::atomic::check_writable(bundle)
                .with_context(|| format!("cannot write --bundle {}", bundle.display()))
                .context(Hint::new("name a file in a folder that exists"))?;
        }
        // Health runs inside its collector, so it must finish inside the collector's limit.
        let health_args = HealthArgs {
            deadline: Some(crate::units::Span(
                timeout.saturating_sub(Duration::from_millis(300)),
            )),
            ..HealthArgs::default()
        };
        let health = crate::checks::health::Settings::resolve(&health_args, loaded)?;
        let redis_url = loaded.config.redis.as_ref().map(|redis_config| {
            redis_config
                .url
                .as_ref()
                .map_or_else(redis::default_url, |url| url.0.clone())
        });
        let postgres = loaded
            .config
            .postgres
            .is_some()
            .then(|| {
                crate::checks::postgres::report::Settings::resolve(
                    &crate::cli::DbReportArgs::default(),
                    loaded,
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
                crate::checks::certs::Settings::resolve(&args, context.config, context.notes())
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
                })
            }
            None => None,
        };
        let mut host_names = vec![system::hostname()];
        host_names.extend(url_hosts(&loaded.config));
        Ok(Settings {
            plan: RunPlan {
                since,
                deadline,
                timeout,
                folders,
                health,
                redis_url,
                postgres,
                certs,
                logs,
                backup,
            },
            bundle: args.bundle.clone(),
            redact_hosts: args.redact_hosts,
            host_names,
            config_text: loaded.text().to_owned(),
            config_path: loaded.path.clone(),
        })
    }
}

/// The hosts named by the URLs in the config, for --redact-hosts.
fn url_hosts(config: &crate::config::Config) -> Vec<String> {
    let mut urls: Vec<String> = config.health.http.iter().map(|h| h.url.0.clone()).collect();
    urls.extend(
        config
            .health
            .tcp
            .iter()
            .map(|t| format!("tcp://{}", t.address.0)),
    );
    if let Some(url) = config.redis.as_ref().and_then(|r| r.url.as_ref()) {
        urls.push(url.0.clone());
    }
    if let Some(url) = config.postgres.as_ref().and_then(|p| p.url.as_ref()) {
        urls.push(url.0.clone());
    }
    urls.iter()
        .filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned))
        .collect()
}

pub fn execute(args: &DiagnoseArgs, context: &Context) -> Outcome {
    let Settings {
        plan,
        bundle,
        redact_hosts,
        host_names,
        config_text,
        config_path,
    } = Settings::resolve(args, context).map_err(Failed::Setup)?;
    context.note(|| {
        format!(
            "diagnose: deadline {}, {} per collector",
            compact_duration(plan.deadline),
            compact_duration(plan.timeout)
        )
    });
    let (report, attachments) = run(plan);
    if let Some(path) = &bundle {
        let hosts = redact_hosts.then(|| crate::redact::HostRedactor::new(host_names));
        let config = match &config_path {
            Some(config_path) => format!("# {}\n{config_text}", config_path.display()),
            None => "# no maint.toml was found: built-in defaults\n".to_owned(),
        };
        write_bundle(&report, &config, attachments, hosts, path).map_err(Failed::Running)?;
        context.note(|| format!("diagnose: bundle written to {}", path.display()));
    }
    Ok(report)
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
}

struct Collector {
    name: &'static str,
    title: &'static str,
    columns: Vec<Column>,
    work: Box<dyn FnOnce() -> Collected + Send>,
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

fn run(plan: RunPlan) -> (Report, Vec<(String, String)>) {
    let started_at = Utc::now();
    let started = Instant::now();
    let window_start = started_at - plan.since;
    let mut collectors = vec![
        Collector {
            name: "host",
            title: "Host",
            columns: key_value_columns(),
            work: Box::new(collect_host),
        },
        Collector {
            name: "health",
            title: "Health checks",
            columns: status_columns(),
            work: Box::new(move || collect_health(plan.health)),
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
            work: Box::new(collect_processes),
        },
        Collector {
            name: "folders",
            title: "Largest folders",
            columns: vec![Column::new("path", "PATH"), Column::new("bytes", "SIZE")],
            work: Box::new({
                let folders = plan.folders;
                let timeout = plan.timeout;
                move || collect_folders(&folders, timeout)
            }),
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
            work: Box::new(move || collect_oom_kills(window_start)),
        },
        Collector {
            name: "services",
            title: "Failed systemd units",
            columns: vec![
                Column::new("unit", "UNIT"),
                Column::new("description", "DESCRIPTION"),
            ],
            work: Box::new(collect_failed_units),
        },
        Collector {
            name: "logs",
            title: "Recent log messages (maint logs analyze)",
            columns: vec![
                Column::new("category", "CATEGORY"),
                Column::new("count", "COUNT"),
                Column::new("template", "TEMPLATE"),
            ],
            work: Box::new(move || collect_logs(plan.logs)),
        },
    ];
    if let Some(settings) = plan.postgres {
        collectors.push(Collector {
            name: "postgres",
            title: "PostgreSQL (maint db report)",
            columns: status_columns(),
            work: Box::new(move || collect_postgres(&settings)),
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
            work: Box::new(move || collect_certificates(settings)),
        });
    }
    if let Some(backup) = plan.backup {
        collectors.push(Collector {
            name: "backup",
            title: "Latest backup",
            columns: key_value_columns(),
            work: Box::new(move || collect_backup(&backup)),
        });
    }
    if let Some(url) = plan.redis_url {
        let timeout = plan.timeout;
        collectors.push(Collector {
            name: "redis",
            title: "Redis",
            columns: key_value_columns(),
            work: Box::new(move || collect_redis(&url, timeout)),
        });
    }

    let mut jobs = Vec::with_capacity(collectors.len());
    let mut shells = Vec::with_capacity(collectors.len());
    for collector in collectors {
        jobs.push(Job::new(plan.timeout, collector.work));
        shells.push((collector.name, collector.title, collector.columns));
    }
    let outcomes = parallel::run_all(jobs, usize::MAX, started + plan.deadline);

    let mut report = crate::checks::report("diagnose", started_at);
    let mut findings = Vec::new();
    let mut attachments = Vec::new();
    for ((name, title, columns), outcome) in shells.into_iter().zip(outcomes) {
        let (collected, incomplete) = match outcome {
            JobOutcome::Done { value, .. } => (value, None),
            JobOutcome::TimedOut { limit } => (
                Collected::default(),
                Some(format!("no result within {}", human_duration(limit))),
            ),
            JobOutcome::PastDeadline { .. } => (
                Collected::default(),
                Some(format!(
                    "still running at the {} deadline",
                    human_duration(plan.deadline)
                )),
            ),
            JobOutcome::Panicked { message } => (
                Collected::default(),
                Some(format!("the collector failed: {message}")),
            ),
        };
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
    findings.sort_by_key(|finding| std::cmp::Reverse(severity(finding.status)));
    report.checks = findings;
    report.duration = started.elapsed();
    (report, attachments)
}

/// Findings are ordered as the exit code ranks statuses: CRITICAL, WARNING, UNKNOWN.
fn severity(status: Status) -> u8 {
    match status {
        Status::Critical => 3,
        Status::Warning => 2,
        Status::Unknown => 1,
        Status::Ok => 0,
    }
}

fn collect_host() -> Collected {
    let host = system::host_info();
    let cgroup = Cgroup::detect();
    let mut rows = vec![
        vec![text("hostname"), text(&host.hostname)],
        vec![text("os"), text(&host.os)],
        vec![text("kernel"), text(&host.kernel)],
        vec![text("uptime"), text(human_duration(host.uptime))],
        vec![text("cpus"), text(host.cpus.to_string())],
        vec![text("memory"), text(human_bytes(host.memory_total))],
        vec![
            text("container"),
            text(host.container.as_deref().unwrap_or("none detected")),
        ],
    ];
    if let Some(limit) = cgroup.memory() {
        rows.push(vec![
            text("cgroup memory limit"),
            text(format!(
                "{} ({} in use)",
                human_bytes(limit.limit),
                human_bytes(limit.used)
            )),
        ]);
    }
    if let Some(quota) = cgroup.cpu_quota() {
        rows.push(vec![
            text("cgroup cpu quota"),
            text(format!("{quota} cores")),
        ]);
    }
    Collected {
        rows,
        ..Collected::default()
    }
}

/// "what is wrong. Why it matters." as two sentences.
fn with_reason(message: &str, why: Option<&str>) -> String {
    let Some(why) = why else {
        return message.to_owned();
    };
    let mut why = why.to_owned();
    if let Some(first) = why.get(..1) {
        why.replace_range(..1, &first.to_uppercase());
    }
    let stop = if message.ends_with(['.', '?', '!']) {
        ""
    } else {
        "."
    };
    format!("{message}{stop} {why}.")
}

/// Why a check's problem matters, by the kind of check.
fn why_it_matters(check: &str) -> Option<&'static str> {
    let kind = check.split(':').next().unwrap_or(check);
    Some(match (kind, check) {
        (_, "db:dead_tuples") => {
            "dead rows make every scan slower and the table larger until VACUUM reclaims them"
        }
        (_, "db:wraparound") => {
            "near the limit PostgreSQL stops accepting writes to protect the data"
        }
        (_, "db:bloat") => "a bloated table wastes disk and slows every scan of it",
        (_, "db:oldest_transaction") => {
            "what it holds back cannot be vacuumed anywhere, so bloat grows until it ends"
        }
        (_, "db:invalid_indexes") => {
            "an invalid index is maintained on every write and used by no read"
        }
        (_, "db:unused_indexes") => "an unused index costs every write and disk space for nothing",
        (_, "db:slow_queries") => "slow statements hold connections and locks longer",
        (_, "logs:errors") => "each one is likely a failed request or job somebody noticed",
        (_, "logs:security") => {
            "repeated refusals can be an attack or a client with stale credentials"
        }
        (_, "logs:failures") => "work was lost or rolled back",
        ("cert", _) => {
            "clients refuse the connection once a certificate expires or cannot be trusted"
        }
        (_, "postgres:connections") => {
            "at the limit new connections are refused and the application fails"
        }
        (_, "postgres:oldest_transaction") => {
            "an open transaction holds back vacuum on every table, so bloat grows until it ends"
        }
        (_, "redis:memory") => "at maxmemory Redis evicts keys or, with noeviction, refuses writes",
        (_, "redis:clients") | (_, "redis:rejected") => "at maxclients new connections are refused",
        (_, "redis:persistence") => {
            "Redis may refuse writes, and a restart would lose what was not saved"
        }
        ("cpu", _) | ("load", _) => "work queues up and every request slows down",
        ("memory", _) => "when memory runs out the kernel's OOM killer ends processes",
        ("swap", _) => "a machine that swaps hard becomes slow for everything on it",
        ("disk", _) => "when it fills, writes fail: databases stop and logs are lost",
        ("inodes", _) => "when inodes run out no file can be created, even with space left",
        ("process", _) => "the service it provides is down or degraded",
        ("http", _) => "users or dependent services get errors",
        ("tcp", _) => "clients cannot connect",
        ("postgres", _) => "the application cannot read or write its data",
        ("redis", _) => "the application loses its cache or queue and slows down or fails",
        // The message already says it (db:autovacuum), or there is nothing general to add.
        _ => return None,
    })
}

fn collect_health(settings: crate::checks::health::Settings) -> Collected {
    let report = crate::checks::health::run(settings);
    let rows = status_rows(&report);
    // "redis:memory: not measured" adds nothing when "redis" itself is a finding.
    let failed_parents: Vec<String> = report
        .checks
        .iter()
        .filter(|check| check.status != Status::Ok && !check.name.contains(':'))
        .map(|check| check.name.clone())
        .collect();
    let findings = report
        .checks
        .into_iter()
        .filter(|check| check.status != Status::Ok)
        .filter(|check| {
            let parent = check.name.split(':').next().unwrap_or_default();
            !(check.status == Status::Unknown
                && check.name.contains(':')
                && failed_parents.iter().any(|p| p == parent))
        })
        .map(|mut check| {
            if check.status != Status::Unknown {
                check.message = with_reason(&check.message, why_it_matters(&check.name));
            }
            check
        })
        .collect();
    Collected {
        rows,
        findings,
        ..Collected::default()
    }
}

/// Non-OK checks of another command's report, each with why it matters.
fn findings_of(report: &Report) -> Vec<Check> {
    report
        .checks
        .iter()
        .filter(|check| check.status != Status::Ok)
        .cloned()
        .map(|mut check| {
            if check.status != Status::Unknown {
                check.message = with_reason(&check.message, why_it_matters(&check.name));
            }
            check
        })
        .collect()
}

fn status_rows(report: &Report) -> Vec<Vec<Cell>> {
    report
        .checks
        .iter()
        .map(|check| {
            vec![
                text(check.status.as_str()),
                text(&check.name),
                text(&check.message),
            ]
        })
        .collect()
}

fn collect_postgres(settings: &crate::checks::postgres::report::Settings) -> Collected {
    match crate::checks::postgres::report::run(settings) {
        Ok(report) => Collected {
            rows: status_rows(&report),
            findings: findings_of(&report),
            ..Collected::default()
        },
        // The health section reports, and explains, a server that cannot be reached.
        Err(err) => Collected {
            note: Some(format!(
                "not available: {}",
                crate::error::describe(&err).trim_start_matches("maint: error: ")
            )),
            ..Collected::default()
        },
    }
}

/// A section that could not be gathered because its settings are wrong
/// (a certificate file that went missing): an UNKNOWN finding saying why.
fn not_run(name: &str, message: &str, hint: &str) -> Collected {
    Collected {
        findings: vec![
            Check::new(name, Status::Unknown, message.replace("maint: error: ", ""))
                .with_hint(hint),
        ],
        note: Some("not gathered: see the findings".to_owned()),
        ..Collected::default()
    }
}

fn collect_certificates(settings: Result<crate::checks::certs::Settings, String>) -> Collected {
    let settings = match settings {
        Ok(settings) => settings,
        Err(message) => {
            return not_run(
                "cert:config",
                &format!("the [certs] targets cannot be checked: {message}"),
                "maint certs check",
            );
        }
    };
    let report = crate::checks::certs::run(settings);
    let rows = report
        .checks
        .iter()
        .map(|check| {
            vec![
                text(&check.name),
                text(check.status.as_str()),
                check
                    .value
                    .map_or(Cell::Empty, |days| Cell::Number(days.floor())),
                text(&check.message),
            ]
        })
        .collect();
    // Named cert:TARGET, and pointing at the maint command that shows it all.
    let mut renamed = report.clone();
    for check in &mut renamed.checks {
        let target = std::mem::take(&mut check.name);
        check.hint = Some(format!("maint certs check {}", crate::shell::word(&target)));
        check.message = format!("{target}: {}", check.message);
        check.name = format!("cert:{target}");
    }
    let findings = findings_of(&renamed);
    Collected {
        rows,
        findings,
        ..Collected::default()
    }
}

fn collect_processes() -> Collected {
    let processes = match process::usage(Duration::from_millis(200)) {
        Ok(processes) => processes,
        Err(err) => {
            return Collected {
                note: Some(err.to_string()),
                ..Collected::default()
            };
        }
    };
    let row = |by: &str, p: &process::ProcessUsage| {
        vec![
            text(by),
            Cell::Integer(i64::from(p.pid)),
            text(&p.name),
            Cell::Number((p.cpu_percent * 10.0).round() / 10.0),
            Cell::Bytes(p.memory_bytes),
        ]
    };
    let mut by_cpu: Vec<&process::ProcessUsage> = processes.iter().collect();
    by_cpu.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
    let mut by_memory: Vec<&process::ProcessUsage> = processes.iter().collect();
    by_memory.sort_by_key(|p| std::cmp::Reverse(p.memory_bytes));
    let rows = by_cpu
        .iter()
        .take(5)
        .map(|p| row("cpu", p))
        .chain(by_memory.iter().take(5).map(|p| row("memory", p)))
        .collect();
    let listing = processes
        .iter()
        .map(|p| {
            format!(
                "{} {} {:.1}% {} {}\n",
                p.pid, p.name, p.cpu_percent, p.memory_bytes, p.command_line
            )
        })
        .collect::<String>();
    Collected {
        rows,
        attachments: vec![(
            "processes.txt".to_owned(),
            cap_tail(&listing, EXCERPT_BYTES as usize),
        )],
        ..Collected::default()
    }
}

/// Sizes up each folder in a child process (a walk into a dead mount would
/// otherwise hold maint itself; see probe::isolated), sharing the collector's time.
fn collect_folders(folders: &[PathBuf], timeout: Duration) -> Collected {
    let mut collected = Collected::default();
    let Some(helper) = isolated::helper_binary() else {
        collected.note = Some("cannot find maint's own binary to walk folders with".to_owned());
        return collected;
    };
    let share = timeout.mul_f64(0.9).div_f64(folders.len().max(1) as f64);
    let mut notes = Vec::new();
    for folder in folders {
        match disk::folder_sizes_isolated(&helper, folder, 500_000, share) {
            Ok(sizes) => {
                if !sizes.complete {
                    notes.push(format!(
                        "{} only partly walked ({} entries)",
                        folder.display(),
                        sizes.entries
                    ));
                }
                collected.rows.push(vec![
                    text(folder.display().to_string()),
                    Cell::Bytes(sizes.total_bytes),
                ]);
                for (child, bytes) in sizes.children.into_iter().take(5) {
                    collected.rows.push(vec![
                        text(format!("  {}", child.display())),
                        Cell::Bytes(bytes),
                    ]);
                }
            }
            Err(disk::FoldersError::Isolated(err)) if err.is_hung() => {
                let point = folder.display();
                let why = match err {
                    IsolatedError::Hung(limit) => {
                        format!("gave no answer within {}", human_duration(limit))
                    }
                    other => format!("gave {other}"),
                };
                collected.findings.push(
                    Check::new(
                        format!("folders:{point}"),
                        Status::Unknown,
                        format!(
                            "walking {point} {why}: its filesystem looks hung, and anything reading it will hang too"
                        ),
                    )
                    .with_hint(format!("mount | grep -F '{point}'; for a dead network mount: umount -l MOUNTPOINT")),
                );
                notes.push(format!("{point}: no answer"));
            }
            Err(err) => notes.push(format!("{}: {err}", folder.display())),
        }
    }
    collected.note = (!notes.is_empty()).then(|| notes.join("; "));
    collected
}

fn collect_oom_kills(since: DateTime<Utc>) -> Collected {
    let kills = match kernel::oom_kills(since) {
        Ok(kills) => kills,
        Err(err) => {
            return Collected {
                note: Some(format!("not available: {err}")),
                ..Collected::default()
            };
        }
    };
    let rows = kills
        .iter()
        .map(|kill| {
            vec![
                Cell::Time(kill.at),
                Cell::Integer(i64::from(kill.pid)),
                text(&kill.process),
                text(if kill.cgroup { "cgroup limit" } else { "host" }),
            ]
        })
        .collect();
    // One finding per process: five kills of one worker are one problem.
    let mut by_process: Vec<(&str, Vec<&kernel::OomKill>)> = Vec::new();
    for kill in &kills {
        match by_process
            .iter_mut()
            .find(|(name, _)| *name == kill.process)
        {
            Some((_, list)) => list.push(kill),
            None => by_process.push((&kill.process, vec![kill])),
        }
    }
    let findings = by_process
        .into_iter()
        .map(|(name, list)| {
            let last = list.last().expect("groups are never empty");
            let scope = if last.cgroup { "its cgroup's memory limit" } else { "the host's memory" };
            Check::new(
                format!("oom:{name}"),
                Status::Warning,
                format!(
                    "the kernel killed {name} {} for want of {scope}, last at {} (pid {}): its work was lost and it may be restarting in a loop",
                    times(list.len()),
                    last.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    last.pid
                ),
            )
            .with_value(list.len() as f64, Unit::Count)
            .with_hint("journalctl -k --since -24h | grep -i 'killed process'; maint health --only memory")
        })
        .collect();
    let attachment = kills
        .iter()
        .map(|k| format!("{} {}\n", k.at.to_rfc3339(), k.line))
        .collect::<String>();
    Collected {
        rows,
        findings,
        attachments: vec![("kernel-oom.txt".to_owned(), attachment)],
        note: None,
    }
}

fn times(n: usize) -> String {
    if n == 1 {
        "once".to_owned()
    } else {
        format!("{n} times")
    }
}

fn collect_failed_units() -> Collected {
    match systemd::failed_units() {
        None => Collected {
            note: Some("systemd is not running here".to_owned()),
            ..Collected::default()
        },
        Some(Err(err)) => Collected {
            note: Some(format!("not available: {err}")),
            ..Collected::default()
        },
        Some(Ok(units)) => Collected {
            rows: units
                .iter()
                .map(|unit| vec![text(&unit.name), text(&unit.description)])
                .collect(),
            findings: units
                .iter()
                .map(|unit| {
                    Check::new(
                        format!("unit:{}", unit.name),
                        Status::Warning,
                        format!("systemd unit {} has failed: what it runs is down, or its last run failed", unit.name),
                    )
                    .with_hint(format!(
                        "systemctl status {0}; journalctl -u {0} -n 50 --no-pager",
                        unit.name
                    ))
                })
                .collect(),
            ..Collected::default()
        },
    }
}

fn collect_logs(settings: Option<Result<crate::checks::logs::Settings, String>>) -> Collected {
    let settings = match settings {
        None => {
            return Collected {
                note: Some("no [logs] paths configured and no system log readable here".to_owned()),
                ..Collected::default()
            };
        }
        Some(Err(message)) => {
            return not_run(
                "logs:config",
                &format!("the logs cannot be analysed: {message}"),
                "maint -v logs analyze --explain",
            );
        }
        Some(Ok(settings)) => settings,
    };
    let (report, read) = crate::checks::logs::run_once(&settings);
    let mut collected = Collected::default();
    // Templates, as logs analyze ranks them: the lines to read first.
    if let Some(section) = report.sections.iter().find(|s| s.name == "templates") {
        let column = |key: &str| section.columns.iter().position(|c| c.key == key);
        if let (Some(category), Some(count), Some(template)) =
            (column("category"), column("count"), column("template"))
        {
            collected.rows = section
                .rows
                .iter()
                .map(|row| {
                    vec![
                        row[category].clone(),
                        row[count].clone(),
                        row[template].clone(),
                    ]
                })
                .collect();
        }
    }
    // "No lines in the window" is the normal state of a quiet system log.
    let mut renamed = report.clone();
    renamed.checks.retain(|check| check.name != "lines");
    for check in &mut renamed.checks {
        check.name = format!("logs:{}", check.name);
    }
    collected.findings = findings_of(&renamed);
    let mut read = read;
    read.truncate(8);
    for path in read {
        if let Ok(excerpt) = tail(&path, EXCERPT_BYTES) {
            collected
                .attachments
                .push((format!("logs{}", path.display()), excerpt));
        }
    }
    collected
}

fn collect_backup(plan: &BackupPlan) -> Collected {
    use crate::storage::catalog::{self, Trust};
    let dest = plan.dest.display().to_string();
    let latest = match catalog::last_backup(&plan.dest, plan.name.as_deref()) {
        Ok(latest) => latest,
        Err(err) => {
            return Collected {
                findings: vec![
                    Check::new(
                        "backup:latest",
                        Status::Critical,
                        format!("cannot read the backup folder {dest}: {err}: whether a backup exists is not known"),
                    )
                    .with_hint(format!("ls -la {}", crate::shell::word(&dest))),
                ],
                ..Collected::default()
            };
        }
    };
    let future = catalog::future_dated(&plan.dest, plan.name.as_deref()).unwrap_or_default();
    let Some(latest) = latest else {
        return Collected {
            rows: vec![vec![text("folder"), text(&dest)], vec![text("latest"), text("none")]],
            findings: future_dated_finding(&future).into_iter().chain([
                Check::new(
                    "backup:latest",
                    Status::Warning,
                    format!("there is no backup in {dest}: nothing to restore from if the disk or the database is lost"),
                )
                .with_hint("maint backup create"),
            ]).collect(),
            ..Collected::default()
        };
    };
    let age = latest.age.to_std().unwrap_or_default();
    let file = latest.path.file_name().map_or_else(
        || latest.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let rows = vec![
        vec![text("folder"), text(&dest)],
        vec![text("latest"), text(&file)],
        vec![text("made"), Cell::Time(latest.created_at)],
        vec![text("age"), text(human_duration(age))],
        vec![text("size"), text(human_bytes(latest.size))],
        vec![text("state"), text(latest.trust.label())],
    ];
    let mut findings = vec![
        Check::measured(
            "backup:age",
            age.as_secs_f64().round(),
            Unit::Seconds,
            plan.age,
            format!(
                "the newest backup, {file}, is {} old: everything written since is at stake if the server is lost",
                human_duration(age)
            ),
        )
        .with_hint("maint backup create; then check its schedule: systemctl list-timers maint-backup.timer, or /etc/cron.d/maint"),
    ];
    match &latest.trust {
        Trust::Verified(_) => {}
        Trust::Damaged(detail) => findings.push(
            Check::new(
                "backup:verified",
                Status::Critical,
                format!(
                    "the newest backup, {file}, is damaged ({detail}): a restore from it would fail"
                ),
            )
            .with_hint("maint backup verify --latest; maint backup create"),
        ),
        Trust::Incomplete(why) => findings.push(
            Check::new(
                "backup:verified",
                Status::Warning,
                format!("the newest backup, {file}, cannot be trusted yet ({why})"),
            )
            .with_hint("maint backup verify --latest"),
        ),
    }
    findings.extend(future_dated_finding(&latest.future_dated));
    findings.retain(|finding| finding.status != Status::Ok);
    Collected {
        rows,
        findings,
        ..Collected::default()
    }
}

/// Backups dated in the future are never taken for the latest: say so.
fn future_dated_finding(paths: &[PathBuf]) -> Option<Check> {
    if paths.is_empty() {
        return None;
    }
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    Some(
        Check::new(
            "backup:future_dated",
            Status::Warning,
            format!(
                "{} dated in the future (the clock was wrong when made), never taken for the latest: {}",
                if names.len() == 1 { "a backup is" } else { "backups are" },
                names.join(", ")
            ),
        )
        .with_value(names.len() as f64, Unit::Count)
        .with_hint("timedatectl; chronyc tracking; then maint backup list"),
    )
}

fn collect_redis(url: &str, timeout: Duration) -> Collected {
    let info = match redis::server_info(url, timeout) {
        Ok(info) => info,
        // `maint health` in the health section reports and explains an unreachable server.
        Err(err) => {
            return Collected {
                note: Some(format!("not available: {}", err.message)),
                ..Collected::default()
            };
        }
    };
    let save_age = Utc::now().timestamp() - info.rdb_last_save_time;
    let rows = vec![
        vec![text("version"), text(&info.version)],
        vec![text("role"), text(&info.role)],
        vec![text("used memory"), text(human_bytes(info.used_memory))],
        vec![
            text("maxmemory"),
            text(if info.maxmemory == 0 {
                "no limit".to_owned()
            } else {
                format!(
                    "{} ({})",
                    human_bytes(info.maxmemory),
                    info.maxmemory_policy
                )
            }),
        ],
        vec![text("evicted keys"), text(info.evicted_keys.to_string())],
        vec![
            text("rejected connections"),
            text(info.rejected_connections.to_string()),
        ],
        vec![
            text("last save"),
            text(format!(
                "{} ago",
                human_duration(Duration::from_secs(save_age.max(0) as u64))
            )),
        ],
    ];
    let mut findings = Vec::new();
    if info.evicted_keys > 0 {
        let cli = format!("redis-cli {}", redis::cli_args(&crate::redact::url(url)));
        findings.push(
            Check::new(
                "redis:evictions",
                Status::Warning,
                format!(
                    "Redis has evicted {} keys since it started: the cache is smaller than what the application keeps in it, so it misses more and the database works harder",
                    info.evicted_keys
                ),
            )
            .with_value(info.evicted_keys as f64, Unit::Count)
            .with_hint(format!("{cli} info memory; raise maxmemory or shorten TTLs")),
        );
    }
    Collected {
        rows,
        findings,
        ..Collected::default()
    }
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

fn write_bundle(
    report: &Report,
    config: &str,
    attachments: Vec<(String, String)>,
    hosts: Option<crate::redact::HostRedactor>,
    path: &Path,
) -> anyhow::Result<()> {
    let style = Style::default();
    // The bundle redacts every file as it packs it.
    let mut bundle = Bundle::new(hosts);
    bundle.add("report.txt", render::render(report, Format::Table, &style));
    bundle.add("report.json", render::render(report, Format::Json, &style));
    bundle.add(
        "report.md",
        render::render(report, Format::Markdown, &style),
    );
    bundle.add("config/maint.toml", config);
    for (name, text) in attachments {
        bundle.add(name, text);
    }
    let prefix = format!(
        "maint-diagnose-{}",
        report.started_at.format("%Y%m%dT%H%M%SZ")
    );
    bundle
        .write(path, &prefix, report.started_at)
        .with_context(|| format!("cannot write the support bundle {}", path.display()))
}
