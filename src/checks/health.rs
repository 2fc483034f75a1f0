//! `maint health`: local resources and the configured services, all checked
//! at once under one deadline, judged against thresholds, one verdict.
//!
//! Settings are resolved first (flags over `maint.toml` over built-in
//! defaults) into a plan of probes; nothing is probed until the whole plan
//! is valid. Each probe yields one or more named checks; `--only`/`--skip`
//! select by those names.
//!
//! Deadlines: each probe bounds its own exchange within its timeout (see
//! the probe modules: a service that never answers is a failed connection,
//! CRITICAL, said by the probe itself); the runner abandons a probe at its
//! timeout plus [`GRACE`] (UNKNOWN) and the run at `--deadline`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cli::HealthArgs;
use crate::config::{self, Loaded};
use crate::error::Hint;
use crate::levels;
use crate::parallel::{self, Job, Outcome};
use crate::probe::cgroup::Cgroup;
use crate::probe::mounts::Mount;
use crate::probe::system::Scope;
use crate::probe::{disk, http, postgres, process, redis, system, tcp};
use crate::report::{Cell, Check, Column, Report, Section, Status, Threshold, Unit};
use crate::units::{Span, compact_duration, human_bytes, human_duration, trim_number};

const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
const CPU_SAMPLE: Duration = Duration::from_millis(200);
/// Probes with their own network timeout get this long past it before the
/// runner gives up on them, so they can report the precise failure themselves.
const GRACE: Duration = Duration::from_millis(500);

/// Threshold keys, shared by `maint.toml` and `--threshold`, with their
/// built-in levels (the README: 80 % warning, 90 % critical).
const LEVEL_KEYS: &[(&str, f64, f64)] = &[
    ("cpu", 80.0, 90.0),
    ("memory", 80.0, 90.0),
    ("swap", 80.0, 90.0),
    // Five-minute load per core: above 1.5 work is queueing noticeably.
    ("load", 1.5, 3.0),
    ("disk", 80.0, 90.0),
    ("inodes", 80.0, 90.0),
    ("postgres.connections", 80.0, 90.0),
    // A transaction open this long holds back vacuum on every table.
    ("postgres.oldest_transaction", 3600.0, 6.0 * 3600.0),
    ("redis.memory", 80.0, 90.0),
    ("redis.clients", 80.0, 90.0),
];

fn is_duration_key(key: &str) -> bool {
    key == "postgres.oldest_transaction"
}

/// Everything `maint health` will do, validated.
pub struct Settings {
    pub deadline: Duration,
    pub list: bool,
    pub probes: Vec<Probe>,
}

/// One unit of concurrent work, yielding the checks in `names`.
pub struct Probe {
    pub kind: &'static str,
    pub target: String,
    pub timeout: Duration,
    /// The checks this probe yields that were selected.
    pub names: Vec<String>,
    spec: Spec,
}

enum Spec {
    Cpu(Threshold),
    Load(Threshold),
    Memory {
        memory: Threshold,
        swap: Threshold,
    },
    Filesystem {
        mount: Mount,
        space: Threshold,
        inodes: Threshold,
        readonly_ok: bool,
        /// This binary, to run statvfs in a child process; see [`disk::usage_isolated`].
        helper: Option<PathBuf>,
        timeout: Duration,
    },
    /// A `[health] mounts` entry with nothing mounted there.
    NotMounted(PathBuf),
    Process {
        name: String,
        matcher: ProcessMatcher,
        min: usize,
        max: Option<usize>,
    },
    Http {
        name: String,
        spec: HttpSpec,
    },
    Tcp {
        name: String,
        address: String,
        timeout: Duration,
    },
    Postgres {
        target: postgres::Target,
        /// The whole exchange: connect, TLS, login and the queries.
        limit: Duration,
        connections: Threshold,
        oldest: Threshold,
    },
    Redis {
        url: String,
        timeout: Duration,
        memory: Threshold,
        clients: Threshold,
    },
}

struct HttpSpec {
    url: String,
    /// Accepted status codes; empty means any 2xx or 3xx.
    expect: Vec<u16>,
    contains: Option<String>,
    /// How much of the body `contains` searches.
    max_body: u64,
    latency: Option<Threshold>,
    timeout: Duration,
}

enum ProcessMatcher {
    Name(String),
    Pattern(regex::Regex),
}

impl Settings {
    pub fn resolve(args: &HealthArgs, loaded: &Loaded) -> Result<Settings> {
        let health = &loaded.config.health;
        let overrides = parse_overrides(&args.threshold)?;
        let levels = |key: &str| -> Result<Threshold> {
            let (_, warn, crit) = LEVEL_KEYS
                .iter()
                .find(|(k, ..)| *k == key)
                .copied()
                .expect("every key used here is in LEVEL_KEYS");
            let mut threshold = configured_levels(loaded, key, Threshold::above(warn, crit))?;
            if let Some((warn, crit)) = overrides
                .iter()
                .find(|(k, ..)| k == key)
                .map(|(_, w, c)| (*w, *c))
            {
                // A warning level alone raises the critical one with it.
                let crit = crit.unwrap_or_else(|| threshold.critical.unwrap_or(warn).max(warn));
                threshold =
                    levels::overlay(threshold, Some(warn), Some(crit)).map_err(|message| {
                        anyhow::anyhow!("--threshold {key}: {message}")
                            .context(Hint::new("give the warning level first: KEY=WARN,CRIT"))
                    })?;
            }
            Ok(threshold)
        };

        let default_timeout = args
            .timeout
            .or(health.timeout)
            .map_or(DEFAULT_TIMEOUT, Duration::from);
        let deadline = args
            .deadline
            .or(health.deadline)
            .map_or(DEFAULT_DEADLINE, Duration::from);

        let mut probes = vec![
            Probe::new(
                "cpu",
                "host",
                default_timeout,
                vec!["cpu".into()],
                Spec::Cpu(levels("cpu")?),
            ),
            Probe::new(
                "load",
                "host",
                default_timeout,
                vec!["load".into()],
                Spec::Load(levels("load")?),
            ),
            Probe::new(
                "memory",
                "host",
                default_timeout,
                vec!["memory".into(), "swap".into()],
                Spec::Memory {
                    memory: levels("memory")?,
                    swap: levels("swap")?,
                },
            ),
        ];

        let space = levels("disk")?;
        let inodes = levels("inodes")?;
        let (filesystems, not_mounted) = disk::filesystems(&health.mounts, &health.exclude_mounts)
            .context("cannot read the mount table /proc/self/mountinfo")?;
        let helper = crate::probe::isolated::helper_binary();
        for mount in filesystems {
            let point = mount.mount_point.display().to_string();
            probes.push(Probe::new(
                "filesystem",
                &format!("{point} ({} {})", mount.fs_type, mount.source),
                default_timeout + GRACE,
                vec![format!("disk:{point}"), format!("inodes:{point}")],
                Spec::Filesystem {
                    readonly_ok: health.readonly_ok.contains(&mount.mount_point),
                    mount,
                    space,
                    inodes,
                    helper: helper.clone(),
                    timeout: default_timeout,
                },
            ));
        }

        for point in not_mounted {
            let shown = point.display().to_string();
            probes.push(Probe::new(
                "filesystem",
                &format!("{shown} (not mounted)"),
                default_timeout,
                vec![format!("disk:{shown}"), format!("inodes:{shown}")],
                Spec::NotMounted(point),
            ));
        }

        for (index, entry) in health.process.iter().enumerate() {
            let key = format!("health.process[{index}]");
            let (label, matcher) = match (&entry.name, &entry.pattern) {
                (Some(name), None) => (name.clone(), ProcessMatcher::Name(name.clone())),
                (None, Some(pattern)) => (
                    pattern.get_ref().0.as_str().to_owned(),
                    ProcessMatcher::Pattern(pattern.get_ref().0.clone()),
                ),
                _ => bail!(config_error(
                    loaded,
                    &key,
                    "give exactly one of `name` or `pattern`"
                )),
            };
            if entry.max.is_some_and(|max| max < entry.min) {
                bail!(config_error(loaded, &key, "`max` is below `min`"));
            }
            probes.push(Probe::new(
                "process",
                &label,
                default_timeout,
                vec![format!("process:{label}")],
                Spec::Process {
                    name: label.clone(),
                    matcher,
                    min: entry.min,
                    max: entry.max,
                },
            ));
        }

        let mut used_names: Vec<String> = Vec::new();
        let mut add_endpoint = |name: Option<&str>, spec: HttpSpec| {
            let name = unique(
                &name.map_or_else(|| endpoint_label(&spec.url), str::to_owned),
                &mut used_names,
            );
            probes.push(Probe::new(
                "http",
                &crate::redact::url(&spec.url),
                spec.timeout + GRACE,
                vec![format!("http:{name}")],
                Spec::Http { name, spec },
            ));
        };
        for (index, entry) in health.http.iter().enumerate() {
            let latency = match &entry.latency {
                Some(spanned) => Some(span_levels(
                    loaded,
                    &format!("health.http[{index}].latency"),
                    spanned,
                )?),
                None => None,
            };
            let spec = HttpSpec {
                url: entry.url.0.clone(),
                expect: entry
                    .expect_status
                    .as_ref()
                    .map(config::StatusCodes::to_vec)
                    .unwrap_or_default(),
                contains: entry.contains.clone(),
                max_body: entry.max_body.map_or(http::DEFAULT_MAX_BODY, |size| size.0),
                latency,
                timeout: entry.timeout.map_or(default_timeout, Duration::from),
            };
            add_endpoint(entry.name.as_deref(), spec);
        }
        for url in &args.http {
            let spec = HttpSpec {
                url: url.0.clone(),
                expect: Vec::new(),
                contains: None,
                max_body: http::DEFAULT_MAX_BODY,
                latency: None,
                timeout: default_timeout,
            };
            add_endpoint(None, spec);
        }

        let mut used_tcp_names: Vec<String> = Vec::new();
        for entry in &health.tcp {
            let name = unique(
                entry.name.as_deref().unwrap_or(&entry.address.0),
                &mut used_tcp_names,
            );
            let timeout = entry.timeout.map_or(default_timeout, Duration::from);
            probes.push(Probe::new(
                "tcp",
                &entry.address.0,
                timeout + GRACE,
                vec![format!("tcp:{name}")],
                Spec::Tcp {
                    name,
                    address: entry.address.0.clone(),
                    timeout,
                },
            ));
        }

        let postgres_config = loaded.config.postgres.as_ref();
        if args.postgres.is_some() || postgres_config.is_some() {
            let url = args
                .postgres
                .as_ref()
                .or(postgres_config.and_then(|c| c.url.as_ref()))
                .map(|u| u.0.as_str());
            let connect_timeout = postgres_config
                .and_then(|c| c.connect_timeout)
                .map_or(default_timeout, Duration::from);
            let target = postgres::Target::resolve(url, connect_timeout)
                .map_err(anyhow::Error::msg)
                .context(Hint::new("fix [postgres] url or --postgres"))?;
            let oldest = levels("postgres.oldest_transaction")?;
            let shown = target.display.clone();
            // `--timeout` bounds the check as a whole; without it the check
            // gets at least the connection's own connect timeout.
            let limit = match args.timeout {
                Some(timeout) => Duration::from(timeout),
                None => default_timeout.max(target.connect_limit()),
            };
            probes.push(Probe::new(
                "postgres",
                &shown,
                limit + GRACE,
                vec![
                    "postgres".into(),
                    "postgres:connections".into(),
                    "postgres:oldest_transaction".into(),
                ],
                Spec::Postgres {
                    target,
                    limit,
                    connections: levels("postgres.connections")?,
                    oldest,
                },
            ));
        }

        let redis_config = loaded.config.redis.as_ref();
        if args.redis.is_some() || redis_config.is_some() {
            let url = args
                .redis
                .as_ref()
                .or(redis_config.and_then(|c| c.url.as_ref()))
                .map_or_else(redis::default_url, |u| u.0.clone());
            // The flag wins over the file, as everywhere.
            let timeout = match args.timeout {
                Some(timeout) => Duration::from(timeout),
                None => redis_config
                    .and_then(|c| c.timeout)
                    .map_or(default_timeout, Duration::from),
            };
            probes.push(Probe::new(
                "redis",
                &crate::redact::url(&url),
                timeout + GRACE,
                vec![
                    "redis".into(),
                    "redis:memory".into(),
                    "redis:clients".into(),
                    "redis:rejected".into(),
                    "redis:persistence".into(),
                ],
                Spec::Redis {
                    url,
                    timeout,
                    memory: levels("redis.memory")?,
                    clients: levels("redis.clients")?,
                },
            ));
        }

        select(&mut probes, &args.only, &args.skip, &health.skip)?;
        Ok(Settings {
            deadline,
            list: args.list,
            probes,
        })
    }
}

impl Probe {
    fn new(
        kind: &'static str,
        target: &str,
        timeout: Duration,
        names: Vec<String>,
        spec: Spec,
    ) -> Probe {
        Probe {
            kind,
            target: target.to_owned(),
            timeout,
            names,
            spec,
        }
    }
}

/// A check name for an endpoint: host, port and path, without scheme or credentials.
fn endpoint_label(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or_default();
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            let path = parsed.path().trim_end_matches('/');
            format!("{host}{port}{path}")
        }
        Err(_) => url.to_owned(),
    }
}

fn unique(name: &str, used: &mut Vec<String>) -> String {
    let mut candidate = name.to_owned();
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{name}#{n}");
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

/// `KEY=WARN[,CRIT]` from `--threshold`, durations allowed where the key measures time.
fn parse_overrides(values: &[String]) -> Result<Vec<(String, f64, Option<f64>)>> {
    let known = || {
        LEVEL_KEYS
            .iter()
            .map(|(k, ..)| *k)
            .collect::<Vec<_>>()
            .join(", ")
    };
    values
        .iter()
        .map(|value| {
            let usage = || Hint::new(format!("write KEY=WARN[,CRIT] with KEY one of {}", known()));
            let (key, levels) = value
                .split_once('=')
                .with_context(usage)
                .with_context(|| format!("--threshold {value:?} has no `=`"))?;
            if !LEVEL_KEYS.iter().any(|(k, ..)| *k == key) {
                return Err(anyhow::anyhow!("--threshold: unknown key {key:?}").context(usage()));
            }
            let number = |text: &str| -> Result<f64> {
                if is_duration_key(key) {
                    Ok(text.parse::<Span>()?.0.as_secs_f64())
                } else {
                    text.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite() && *n >= 0.0)
                        .with_context(|| format!("--threshold {key}: {text:?} is not a number"))
                }
            };
            let (warn, crit) = match levels.split_once(',') {
                Some((warn, crit)) => (number(warn)?, Some(number(crit)?)),
                None => (number(levels)?, None),
            };
            Ok((key.to_owned(), warn, crit))
        })
        .collect()
}

/// The `maint.toml` levels for a threshold key over `base`, whichever
/// section holds them.
fn configured_levels(loaded: &Loaded, key: &str, base: Threshold) -> Result<Threshold> {
    let config = &loaded.config;
    let health = &config.health;
    let config_key = if key.contains('.') {
        key.to_owned()
    } else {
        format!("health.{key}")
    };
    let table = match key {
        "cpu" => health.cpu.as_ref(),
        "memory" => health.memory.as_ref(),
        "swap" => health.swap.as_ref(),
        "load" => health.load.as_ref(),
        "disk" => health.disk.as_ref(),
        "inodes" => health.inodes.as_ref(),
        "postgres.connections" => config
            .postgres
            .as_ref()
            .and_then(|p| p.connections.as_ref()),
        "redis.memory" => config.redis.as_ref().and_then(|r| r.memory.as_ref()),
        "redis.clients" => config.redis.as_ref().and_then(|r| r.clients.as_ref()),
        "postgres.oldest_transaction" => {
            let table = config
                .postgres
                .as_ref()
                .and_then(|p| p.oldest_transaction.as_ref());
            return Ok(loaded.levels(&config_key, table, base)?);
        }
        _ => None,
    };
    Ok(loaded.levels(&config_key, table, base)?)
}

/// Latency levels of an endpoint: both optional, in seconds.
fn span_levels(
    loaded: &Loaded,
    key: &str,
    spanned: &toml::Spanned<config::LevelsConfig<Span>>,
) -> Result<Threshold> {
    let none = Threshold {
        warning: None,
        critical: None,
        direction: crate::report::Direction::Above,
    };
    Ok(loaded.levels(key, Some(spanned), none)?)
}

fn config_error(loaded: &Loaded, key: &str, message: &str) -> anyhow::Error {
    let path = loaded
        .path
        .as_ref()
        .map_or_else(|| "maint.toml".to_owned(), |p| p.display().to_string());
    anyhow::anyhow!("config {path}, key `{key}`: {message}")
}

/// Whether a `--only`/`--skip` pattern names a check: its exact name, its
/// kind (`disk` for `disk:/var`), or a glob with `*` and `?`.
fn selects(pattern: &str, name: &str) -> bool {
    name == pattern
        || name
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with(':'))
        || (pattern.contains(['*', '?']) && glob(pattern.as_bytes(), name.as_bytes()))
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

fn select(
    probes: &mut Vec<Probe>,
    only: &[String],
    skip: &[String],
    config_skip: &[String],
) -> Result<()> {
    for pattern in only {
        if !probes
            .iter()
            .flat_map(|p| &p.names)
            .any(|name| selects(pattern, name))
        {
            return Err(
                anyhow::anyhow!("no check matches --only {pattern:?}").context(Hint::new(
                    "`maint health --list` shows the checks and their names",
                )),
            );
        }
    }
    for probe in probes.iter_mut() {
        probe.names.retain(|name| {
            (only.is_empty() || only.iter().any(|p| selects(p, name)))
                && !skip.iter().chain(config_skip).any(|p| selects(p, name))
        });
    }
    probes.retain(|probe| !probe.names.is_empty());
    Ok(())
}

/// `maint health`: resolve, then list the plan or run it.
/// Lists the plan without running it.
pub fn list(settings: &Settings) -> Report {
    let mut report = crate::checks::report("health", chrono::Utc::now());
    report.listing = true;
    let rows = settings
        .probes
        .iter()
        .flat_map(|probe| {
            probe.names.iter().map(|name| {
                vec![
                    Cell::Text(name.clone()),
                    Cell::Text(probe.kind.to_owned()),
                    Cell::Text(probe.target.clone()),
                    Cell::Duration(probe.timeout),
                ]
            })
        })
        .collect();
    report.sections.push(Section {
        name: "checks".into(),
        title: format!(
            "Checks that would run (deadline {}):",
            compact_duration(settings.deadline)
        ),
        columns: vec![
            Column::new("name", "NAME"),
            Column::new("kind", "KIND"),
            Column::new("target", "TARGET"),
            Column::new("timeout_seconds", "TIMEOUT"),
        ],
        rows,
    });
    report
}

/// Runs every probe at once and gathers their checks in plan order.
pub fn run(settings: Settings) -> Report {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let deadline = started + settings.deadline;
    let cgroup = Cgroup::detect();

    let mut plans = Vec::with_capacity(settings.probes.len());
    let mut jobs = Vec::with_capacity(settings.probes.len());
    for probe in settings.probes {
        let Probe {
            kind,
            target,
            timeout,
            names,
            spec,
        } = probe;
        let cgroup = cgroup.clone();
        jobs.push(Job::new(timeout, move || spec.run(&cgroup)));
        plans.push((kind, target, names));
    }
    let outcomes = parallel::run_all(jobs, usize::MAX, deadline);

    let mut report = crate::checks::report("health", started_at);
    for ((kind, target, names), outcome) in plans.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Done { value, elapsed } => {
                for mut check in value {
                    if names.contains(&check.name) {
                        check.elapsed = Some(elapsed);
                        report.checks.push(check);
                    }
                }
            }
            other => {
                let (message, hint) = unfinished(kind, &target, settings.deadline, &other);
                for name in names {
                    report.checks.push(
                        Check::new(name, Status::Unknown, message.clone()).with_hint(hint.clone()),
                    );
                }
            }
        }
    }
    report.duration = started.elapsed();
    report
}

/// Why a probe has no result, and what to look at.
fn unfinished(
    kind: &str,
    target: &str,
    deadline: Duration,
    outcome: &Outcome<Vec<Check>>,
) -> (String, String) {
    let hint = match kind {
        "filesystem" => {
            let point = target.split(" (").next().unwrap_or(target);
            format!("a hung network mount? mount | grep ' {point} '; umount -l {point}")
        }
        "http" | "tcp" => {
            format!("check name resolution and routing: getent hosts; ping; curl -v {target}")
        }
        _ => format!("maint health --only {kind} -v"),
    };
    let message = match outcome {
        Outcome::TimedOut { limit } => format!("no result within {}", human_duration(*limit)),
        Outcome::PastDeadline { .. } => {
            format!("still running at the {} deadline", human_duration(deadline))
        }
        Outcome::Panicked { message } => format!("the probe failed: {message}"),
        Outcome::Done { .. } => unreachable!("done probes have results"),
    };
    let message = if kind == "filesystem" {
        format!("statvfs gave {message}")
    } else {
        message
    };
    (message, hint)
}

impl Spec {
    fn run(self, cgroup: &Cgroup) -> Vec<Check> {
        match self {
            Spec::Cpu(threshold) => vec![cpu_check(cgroup, threshold)],
            Spec::Load(threshold) => vec![load_check(threshold)],
            Spec::Memory { memory, swap } => memory_checks(cgroup, memory, swap),
            Spec::Filesystem {
                mount,
                space,
                inodes,
                readonly_ok,
                helper,
                timeout,
            } => {
                let usage = match &helper {
                    Some(helper) => disk::usage_isolated(helper, &mount.mount_point, timeout),
                    None => disk::usage(&mount.mount_point).map_err(disk::UsageError::from),
                };
                filesystem_checks(&mount, usage, space, inodes, readonly_ok)
            }
            Spec::NotMounted(point) => not_mounted_checks(&point),
            Spec::Process {
                name,
                matcher,
                min,
                max,
            } => vec![process_check(&name, &matcher, min, max)],
            Spec::Http { name, spec } => vec![http_check(&name, &spec)],
            Spec::Tcp {
                name,
                address,
                timeout,
            } => vec![tcp_check(&name, &address, timeout)],
            Spec::Postgres {
                target,
                limit,
                connections,
                oldest,
            } => postgres_checks(&target, limit, connections, oldest),
            Spec::Redis {
                url,
                timeout,
                memory,
                clients,
            } => redis_checks(&url, timeout, memory, clients),
        }
    }
}

fn cpu_check(cgroup: &Cgroup, threshold: Threshold) -> Check {
    match system::cpu_usage(CPU_SAMPLE, cgroup) {
        Ok(cpu) => {
            let scope = match cpu.scope {
                Scope::Host => format!("host, {} cores", trim_number(cpu.cores, 2)),
                Scope::Cgroup => {
                    format!("of the cgroup's {}-core quota", trim_number(cpu.cores, 2))
                }
            };
            Check::measured(
                "cpu",
                round1(cpu.percent),
                Unit::Percent,
                threshold,
                format!(
                    "{} % busy over {} ({scope})",
                    trim_number(cpu.percent, 1),
                    human_duration(cpu.sampled)
                ),
            )
            .with_hint("ps -eo pid,user,%cpu,etime,cmd --sort=-%cpu | head -15")
        }
        Err(err) => probe_error("cpu", &err),
    }
}

fn load_check(threshold: Threshold) -> Check {
    match system::load() {
        Ok(load) => {
            let per_core = (load.five / load.cores as f64 * 100.0).round() / 100.0;
            Check::measured(
                "load",
                per_core,
                Unit::PerCore,
                threshold,
                format!(
                    "{per_core} per core over 5 min (load {:.2} {:.2} {:.2}, {} cores)",
                    load.one, load.five, load.fifteen, load.cores,
                ),
            )
            .with_hint("vmstat 1 5; ps -eo pid,stat,%cpu,cmd --sort=-%cpu | head -15")
        }
        Err(err) => probe_error("load", &err),
    }
}

fn memory_checks(cgroup: &Cgroup, memory_levels: Threshold, swap_levels: Threshold) -> Vec<Check> {
    let (memory, swap) = match system::memory(cgroup) {
        Ok(figures) => figures,
        Err(err) => return vec![probe_error("memory", &err), probe_error("swap", &err)],
    };
    let memory_check = Check::measured(
        "memory",
        round1(memory.percent()),
        Unit::Percent,
        memory_levels,
        format!(
            "{} used of {} ({})",
            human_bytes(memory.used),
            human_bytes(memory.total),
            memory.scope
        ),
    )
    .with_hint("ps -eo pid,user,rss,cmd --sort=-rss | head -15");
    let swap_check = if swap.total == 0 {
        Check::new("swap", Status::Ok, "no swap configured")
    } else {
        let percent = system::percent(swap.used, swap.total);
        Check::measured(
            "swap",
            round1(percent),
            Unit::Percent,
            swap_levels,
            format!("{} used of {}", human_bytes(swap.used), human_bytes(swap.total)),
        )
        .with_hint("vmstat 1 5; grep -E '^(Name|VmSwap)' /proc/[0-9]*/status | paste - - | sort -k4 -n | tail")
    };
    vec![memory_check, swap_check]
}

fn filesystem_checks(
    mount: &Mount,
    usage: Result<disk::Usage, disk::UsageError>,
    space: Threshold,
    inodes: Threshold,
    readonly_ok: bool,
) -> Vec<Check> {
    let point = mount.mount_point.display().to_string();
    let disk_name = format!("disk:{point}");
    let inodes_name = format!("inodes:{point}");
    let usage = match usage {
        Ok(usage) => usage,
        Err(err) => {
            let message = err.to_string();
            let hint = match err {
                disk::UsageError::Isolated(err) if err.is_hung() => {
                    format!("mount | grep ' {point} '; for a dead network mount: umount -l {point}")
                }
                _ => format!("mount | grep ' {point} '"),
            };
            return vec![
                Check::new(disk_name, Status::Unknown, &message).with_hint(&hint),
                Check::new(inodes_name, Status::Unknown, &message).with_hint(&hint),
            ];
        }
    };
    let mut disk_check = Check::measured(
        disk_name,
        round1(usage.used_percent),
        Unit::Percent,
        space,
        format!(
            "{} % used, {} free of {} ({} {})",
            trim_number(usage.used_percent, 1),
            human_bytes(usage.available_bytes),
            human_bytes(usage.size_bytes),
            mount.fs_type,
            mount.source
        ),
    );
    let mut disk_hint = format!("du -xh --max-depth=2 {point} 2>/dev/null | sort -rh | head -20");
    if mount.read_only && !readonly_ok {
        disk_check = disk_check.at_least(Status::Warning);
        disk_check.message.push_str("; mounted read-only");
        disk_hint = format!(
            "dmesg | grep -iE 'remount|error' | tail; if read-only on purpose, add {point:?} to [health] readonly_ok"
        );
    }
    let disk_check = disk_check.with_hint(disk_hint);
    let inodes_check = match usage.inodes_percent {
        Some(percent) => Check::measured(
            inodes_name,
            round1(percent),
            Unit::Percent,
            inodes,
            format!(
                "{} % of inodes used ({} of {})",
                trim_number(percent, 1),
                usage.inodes_used,
                usage.inodes_total
            ),
        )
        .with_hint(format!(
            "du --inodes -x --max-depth=2 {point} 2>/dev/null | sort -rn | head -20"
        )),
        None => Check::new(
            inodes_name,
            Status::Ok,
            format!("{} does not count inodes", mount.fs_type),
        ),
    };
    vec![disk_check, inodes_check]
}

/// What is written to a folder that should be a mount lands on the
/// filesystem below it, unnoticed until that one fills or the data is missed.
fn not_mounted_checks(point: &std::path::Path) -> Vec<Check> {
    let shown = point.display().to_string();
    let word = crate::shell::word(&shown);
    let hint = format!("findmnt --fstab {word}; mount {word}");
    vec![
        Check::new(
            format!("disk:{shown}"),
            Status::Critical,
            format!(
                "not mounted: [health] mounts names {shown}, but nothing is mounted there (what is written to it lands on the filesystem below)"
            ),
        )
        .with_hint(&hint),
        Check::new(
            format!("inodes:{shown}"),
            Status::Unknown,
            format!("not measured: {shown} is not mounted"),
        )
        .with_hint(&hint),
    ]
}

fn process_check(name: &str, matcher: &ProcessMatcher, min: usize, max: Option<usize>) -> Check {
    let check_name = format!("process:{name}");
    let processes = match process::list() {
        Ok(processes) => processes,
        Err(err) => return probe_error(&check_name, &err),
    };
    let pids: Vec<u32> = processes
        .iter()
        .filter(|p| match matcher {
            ProcessMatcher::Name(wanted) => p.is_named(wanted),
            ProcessMatcher::Pattern(pattern) => pattern.is_match(&p.command_line),
        })
        .map(|p| p.pid)
        .collect();
    let count = pids.len();
    let mut shown: Vec<String> = pids.iter().take(5).map(u32::to_string).collect();
    if count > 5 {
        shown.push("…".into());
    }
    let (status, message) = if count < min {
        (
            Status::Critical,
            if count == 0 {
                format!("not running; expected at least {min}")
            } else {
                format!(
                    "{count} running (pid {}); expected at least {min}",
                    shown.join(", ")
                )
            },
        )
    } else if max.is_some_and(|max| count > max) {
        (
            Status::Warning,
            format!(
                "{count} running (pid {}); expected at most {}",
                shown.join(", "),
                max.unwrap_or_default()
            ),
        )
    } else {
        (
            Status::Ok,
            format!("{count} running (pid {})", shown.join(", ")),
        )
    };
    let hint = match matcher {
        // pgrep matches the kernel's 15-byte name unless told to read the command line.
        ProcessMatcher::Name(wanted) if wanted.len() > 15 => format!(
            "systemctl status {word}; pgrep -af {word}",
            word = crate::shell::word(wanted)
        ),
        ProcessMatcher::Name(wanted) => format!(
            "systemctl status {word}; pgrep -a {word}",
            word = crate::shell::word(wanted)
        ),
        ProcessMatcher::Pattern(pattern) => format!("pgrep -af '{}'", pattern.as_str()),
    };
    Check::new(check_name, status, message)
        .with_value(count as f64, Unit::Count)
        .with_hint(hint)
}

fn http_check(name: &str, spec: &HttpSpec) -> Check {
    let HttpSpec {
        url,
        expect,
        contains,
        max_body,
        latency,
        timeout,
    } = spec;
    let check_name = format!("http:{name}");
    let shown = crate::redact::url(url);
    let curl = format!("curl -sS -o /dev/null -w '%{{http_code}} %{{time_total}}s\\n' '{shown}'");
    let search = contains.as_deref().map(|text| (text.as_bytes(), *max_body));
    let response = match http::get(url, *timeout, search) {
        Ok(response) => response,
        Err(err) => {
            let status = match err {
                http::HttpError::Dns(_) => Status::Unknown,
                _ => Status::Critical,
            };
            // certs check shows the whole chain, names and dates the refusal is about.
            let hint = match (&err, url::Url::parse(url)) {
                (http::HttpError::Tls(_), Ok(parsed)) => format!(
                    "maint certs check {}:{}",
                    parsed.host_str().unwrap_or_default(),
                    parsed.port_or_known_default().unwrap_or(443)
                ),
                _ => curl,
            };
            return Check::new(check_name, status, format!("{shown}: {err}")).with_hint(hint);
        }
    };
    let seconds = response.latency.as_secs_f64();
    let status_ok = if expect.is_empty() {
        (200..400).contains(&response.status)
    } else {
        expect.contains(&response.status)
    };
    let expected = if expect.is_empty() {
        "2xx or 3xx".to_owned()
    } else {
        expect
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let mut check = Check::new(
        check_name,
        Status::Ok,
        format!(
            "HTTP {} {} in {}",
            response.status,
            response.reason,
            human_duration(response.latency)
        ),
    )
    .with_value(seconds, Unit::Seconds);
    if let Some(threshold) = *latency {
        check = check
            .with_threshold(threshold)
            .at_least(threshold.judge(seconds));
    }
    if !status_ok {
        check = check.at_least(Status::Critical);
        check.message = format!(
            "HTTP {} {}; expected {expected}",
            response.status, response.reason
        );
    } else if let (Some(needle), Some(search)) = (contains, &response.search)
        && !search.found
    {
        check = check.at_least(Status::Critical);
        check.message = if search.capped {
            format!(
                "HTTP {} but the first {} of the body do not contain {needle:?}; the rest was not read (max_body)",
                response.status,
                human_bytes(search.read)
            )
        } else {
            format!(
                "HTTP {} but the body does not contain {needle:?}",
                response.status
            )
        };
    }
    check.with_hint(curl)
}

fn tcp_check(name: &str, address: &str, timeout: Duration) -> Check {
    let check_name = format!("tcp:{name}");
    let hint = format!("nc -vz {}", address.replace(':', " "));
    match tcp::connect(address, timeout) {
        Ok(latency) => Check::new(
            check_name,
            Status::Ok,
            format!(
                "{address} accepts connections ({})",
                human_duration(latency)
            ),
        )
        .with_value(latency.as_secs_f64(), Unit::Seconds),
        Err(err) => {
            let status = match err {
                tcp::TcpError::Dns(_) => Status::Unknown,
                _ => Status::Critical,
            };
            Check::new(check_name, status, format!("{address}: {err}")).with_hint(hint)
        }
    }
}

/// Why the PostgreSQL check has no figures.
enum PostgresFailure {
    Connect(postgres::PgError),
    Query(::postgres::Error),
}

fn postgres_checks(
    target: &postgres::Target,
    limit: Duration,
    connections: Threshold,
    oldest: Threshold,
) -> Vec<Check> {
    // Checks that need the connection share its hint: one fix serves all three.
    let not_measured = |why: &str, hint: &str| {
        ["postgres:connections", "postgres:oldest_transaction"].map(|name| {
            Check::new(name, Status::Unknown, format!("not measured: {why}")).with_hint(hint)
        })
    };
    // The whole exchange under `limit`: the server ends our queries at it
    // (statement_timeout), and maint stops waiting at it whatever the
    // server does, so a port that accepts and never answers is a failed
    // connection (CRITICAL), not a probe that ran out of time (UNKNOWN).
    let bounded = target.with_statement_timeout(limit);
    let exchange = parallel::within(limit, move || {
        let (mut client, latency) = bounded.connect().map_err(PostgresFailure::Connect)?;
        let health = postgres::server_health(&mut client).map_err(PostgresFailure::Query)?;
        Ok((health, latency))
    });
    let failure = match exchange {
        Some(Ok(done)) => Ok(done),
        Some(Err(failure)) => Err(failure),
        None => Err(PostgresFailure::Connect(
            target.no_answer(limit, "to the connection, login and health queries"),
        )),
    };
    let (health, latency) = match failure {
        Ok(done) => done,
        Err(PostgresFailure::Connect(err)) => {
            let status = match err.failure {
                postgres::Failure::Dns => Status::Unknown,
                _ => Status::Critical,
            };
            let hint = err.hint();
            let mut checks = vec![Check::new("postgres", status, err.to_string()).with_hint(&hint)];
            checks.extend(not_measured("no connection", &hint));
            return checks;
        }
        Err(PostgresFailure::Query(err)) => {
            let mut checks = vec![
                Check::new(
                    "postgres",
                    Status::Critical,
                    format!(
                        "PostgreSQL at {}: connected, but a query failed: {err}",
                        target.display
                    ),
                )
                .with_hint(format!("psql '{}' -c 'SELECT 1'", target.display)),
            ];
            checks.extend(not_measured(
                "the query failed",
                &format!("psql '{}' -c 'SELECT 1'", target.display),
            ));
            return checks;
        }
    };
    let role = if health.in_recovery {
        "standby"
    } else {
        "primary"
    };
    let psql = format!("psql '{}'", target.display);
    let mut checks = vec![
        Check::new(
            "postgres",
            Status::Ok,
            format!(
                "PostgreSQL {} ({role}) at {} answered SELECT 1; connected in {}",
                health.version,
                target.display,
                human_duration(latency)
            ),
        )
        .with_value(latency.as_secs_f64(), Unit::Seconds),
    ];
    let usable = (health.max_connections - health.reserved_connections).max(1);
    let percent = health.connections as f64 * 100.0 / usable as f64;
    checks.push(
        Check::measured(
            "postgres:connections",
            round1(percent),
            Unit::Percent,
            connections,
            format!(
                "{} of {} connections in use ({} more reserved for superusers)",
                health.connections, usable, health.reserved_connections
            ),
        )
        .with_hint(format!(
            "{psql} -c \"SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3 ORDER BY 4 DESC\""
        )),
    );
    let oldest_check = match health.oldest_transaction {
        Some(transaction) => Check::measured(
            "postgres:oldest_transaction",
            transaction.age.as_secs_f64().round(),
            Unit::Seconds,
            oldest,
            format!(
                "oldest open transaction: {} (pid {}, {})",
                human_duration(transaction.age),
                transaction.pid,
                if transaction.state.is_empty() { "state hidden" } else { &transaction.state }
            ),
        )
        .with_hint(format!(
            "{psql} -c \"SELECT pid, now() - xact_start AS age, state, left(query, 60) FROM pg_stat_activity WHERE pid = {}\"; end it with SELECT pg_terminate_backend({})",
            transaction.pid, transaction.pid
        )),
        None => Check::measured(
            "postgres:oldest_transaction",
            0.0,
            Unit::Seconds,
            oldest,
            "no open transactions",
        ),
    };
    checks.push(oldest_check);
    checks
}

fn redis_checks(url: &str, timeout: Duration, memory: Threshold, clients: Threshold) -> Vec<Check> {
    let shown = crate::redact::url(url);
    let cli = format!("redis-cli {}", redis::cli_args(&shown));
    let names = [
        "redis:memory",
        "redis:clients",
        "redis:rejected",
        "redis:persistence",
    ];
    let info = match redis::server_info(url, timeout) {
        Ok(info) => info,
        Err(err) => {
            let hint = err.hint();
            let (first, why) = match &err.failure {
                // Up and answering: maint's user lacks a permission, so it cannot tell.
                redis::Failure::NoPermission { pinged: true, .. } => (
                    Check::new(
                        "redis",
                        Status::Ok,
                        format!("Redis at {shown} answered PING, but {}", err.message),
                    ),
                    err.message.clone(),
                ),
                redis::Failure::NoPermission { pinged: false, .. } => (
                    Check::new("redis", Status::Unknown, err.to_string()).with_hint(&hint),
                    err.message.clone(),
                ),
                redis::Failure::Dns => (
                    Check::new("redis", Status::Unknown, err.to_string()).with_hint(&hint),
                    "Redis did not answer".to_owned(),
                ),
                _ => (
                    Check::new("redis", Status::Critical, err.to_string()).with_hint(&hint),
                    "Redis did not answer".to_owned(),
                ),
            };
            let mut checks = vec![first];
            checks.extend(names.iter().map(|name| {
                Check::new(*name, Status::Unknown, format!("not measured: {why}")).with_hint(&hint)
            }));
            return checks;
        }
    };
    let save_hint = match &info.dir {
        // Redis answers CONFIG GET dir with getcwd(), empty once the folder is gone.
        Some(dir) if dir.is_empty() => format!(
            "{cli} config set dir FOLDER (one that exists, writable by redis, with room: its folder was removed); then {cli} bgsave"
        ),
        Some(dir) => {
            let dir = crate::shell::word(dir);
            format!(
                "df -h {dir}; ls -ld {dir} (it must exist, be writable by redis and have room; the reason is in the Redis log); then {cli} bgsave"
            )
        }
        None => format!(
            "{cli} config get dir; df -h DIR; ls -ld DIR (it must exist, be writable by redis and have room; the reason is in the Redis log); then {cli} bgsave"
        ),
    };
    let mut checks = vec![match &info.refused_ping {
        None => Check::new(
            "redis",
            Status::Ok,
            format!(
                "Redis {} ({}) at {shown} answered PING in {}",
                info.version,
                info.role,
                human_duration(info.latency)
            ),
        ),
        // Writes fail for the application too: as bad as down.
        Some(_) => Check::new(
            "redis",
            Status::Critical,
            format!(
                "Redis {} ({}) at {shown} answers but refuses writes (and PING): MISCONF, its last background save failed and stop-writes-on-bgsave-error is on",
                info.version, info.role
            ),
        )
        .with_hint(&save_hint),
    }
    .with_value(info.latency.as_secs_f64(), Unit::Seconds)];
    checks.push(if info.maxmemory == 0 {
        Check::new(
            "redis:memory",
            Status::Ok,
            format!(
                "{} used; no maxmemory limit, so only the host's memory bounds it",
                human_bytes(info.used_memory)
            ),
        )
        .with_value(info.used_memory as f64, Unit::Bytes)
    } else {
        let percent = system::percent(info.used_memory, info.maxmemory);
        let mut check = Check::measured(
            "redis:memory",
            round1(percent),
            Unit::Percent,
            memory,
            format!(
                "{} used of maxmemory {} (policy {}, {} keys evicted since start)",
                human_bytes(info.used_memory),
                human_bytes(info.maxmemory),
                info.maxmemory_policy,
                info.evicted_keys
            ),
        );
        if info.maxmemory_policy == "noeviction" && check.status != Status::Ok {
            check
                .message
                .push_str("; with noeviction, writes fail at the limit");
        }
        check.with_hint(format!("{cli} info memory; {cli} --bigkeys"))
    });
    checks.push(match info.maxclients {
        Some(max) if max > 0 => Check::measured(
            "redis:clients",
            round1(system::percent(info.connected_clients, max)),
            Unit::Percent,
            clients,
            format!("{} of {max} clients connected", info.connected_clients),
        )
        .with_hint(format!("{cli} client list | awk '{{print $2}}' | cut -d= -f2 | cut -d: -f1 | sort | uniq -c | sort -rn | head")),
        _ => Check::new(
            "redis:clients",
            Status::Ok,
            format!("{} clients connected (maxclients not readable)", info.connected_clients),
        )
        .with_value(info.connected_clients as f64, Unit::Count),
    });
    checks.push(
        Check::new(
            "redis:rejected",
            if info.rejected_connections > 0 {
                Status::Warning
            } else {
                Status::Ok
            },
            if info.rejected_connections > 0 {
                format!(
                    "{} connections rejected since start: maxclients was reached",
                    info.rejected_connections
                )
            } else {
                "no connections rejected since start".to_owned()
            },
        )
        .with_value(info.rejected_connections as f64, Unit::Count)
        .with_hint(format!("{cli} config get maxclients; {cli} info clients")),
    );
    let save_age = chrono::Utc::now().timestamp() - info.rdb_last_save_time;
    let (status, message) = if info.rdb_last_bgsave_status != "ok"
        && !info.rdb_last_bgsave_status.is_empty()
    {
        (
            Status::Critical,
            format!(
                "the last background save{} failed (rdb_last_bgsave_status:{}, last good save {} ago, {} changes not on disk); {}",
                match info.dir.as_deref() {
                    None => String::new(),
                    Some("") => " into a folder that no longer exists".to_owned(),
                    Some(dir) => format!(" into {dir}"),
                },
                info.rdb_last_bgsave_status,
                human_duration(Duration::from_secs(save_age.max(0) as u64)),
                info.rdb_changes_since_last_save,
                if info.refused_ping.is_some() {
                    "writes are refused until a save succeeds (MISCONF)"
                } else {
                    "a restart now loses those changes"
                }
            ),
        )
    } else if info.aof_enabled && info.aof_last_write_status != "ok" {
        (
            Status::Critical,
            format!(
                "the last AOF write failed (aof_last_write_status:{})",
                info.aof_last_write_status
            ),
        )
    } else {
        (
            Status::Ok,
            format!(
                "last save {} ago, {} changes since{}",
                human_duration(Duration::from_secs(save_age.max(0) as u64)),
                info.rdb_changes_since_last_save,
                if info.aof_enabled { "; AOF on" } else { "" }
            ),
        )
    };
    let persistence_hint = if info.rdb_last_bgsave_status == "err" {
        save_hint
    } else {
        format!("{cli} info persistence; df -h $({cli} config get dir | tail -1)")
    };
    checks.push(Check::new("redis:persistence", status, message).with_hint(persistence_hint));
    checks
}

fn probe_error(name: &str, err: &dyn std::error::Error) -> Check {
    Check::new(name, Status::Unknown, err.to_string())
        .with_hint(format!("maint health --only {name} -v"))
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_select_by_name_kind_and_glob() {
        assert!(selects("cpu", "cpu"));
        assert!(selects("disk", "disk:/var"));
        assert!(!selects("disk", "diskless"));
        assert!(selects("disk:/var", "disk:/var"));
        assert!(!selects("disk:/", "disk:/var"));
        assert!(selects("http:*", "http:api"));
        assert!(selects("*:/", "inodes:/"));
        assert!(!selects("http:?", "http:api"));
    }

    #[test]
    fn threshold_overrides_parse() {
        let parsed = parse_overrides(&[
            "disk=85,95".into(),
            "postgres.oldest_transaction=30m".into(),
        ])
        .unwrap();
        assert_eq!(parsed[0], ("disk".to_owned(), 85.0, Some(95.0)));
        assert_eq!(
            parsed[1],
            ("postgres.oldest_transaction".to_owned(), 1800.0, None)
        );
        assert!(parse_overrides(&["dsik=1".into()]).is_err());
        assert!(parse_overrides(&["disk".into()]).is_err());
        assert!(parse_overrides(&["disk=lots".into()]).is_err());
    }

    #[test]
    fn endpoint_labels_drop_scheme_and_credentials() {
        assert_eq!(
            endpoint_label("https://u:p@api.example.com:8443/healthz/"),
            "api.example.com:8443/healthz"
        );
        let mut used = Vec::new();
        assert_eq!(unique("a", &mut used), "a");
        assert_eq!(unique("a", &mut used), "a#2");
    }
}
