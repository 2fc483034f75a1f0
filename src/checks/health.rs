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

use super::Notes;
use crate::cli::HealthArgs;
use crate::config::{self, Loaded};
use crate::error::Hint;
use crate::judge::postgres::Exchange;
use crate::judge::system::ProcessMatcher;
use crate::parallel::{self, Job, Outcome};
use crate::probe::cgroup::Cgroup;
use crate::probe::mounts::Mount;
use crate::probe::{disk, http, postgres, process, redis, system, tcp};
use crate::report::{Cell, Check, Column, Report, Section, Status, Threshold};
use crate::units::{Span, compact_duration};
use crate::{judge, levels};

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
    // Half a second apart, logs of two hosts already tell events out of
    // order; at five, Kerberos-style token checks start to fail.
    ("clock_offset", 0.5, 5.0),
];

fn is_duration_key(key: &str) -> bool {
    key == "postgres.oldest_transaction" || key == "clock_offset"
}

/// Everything `maint health` will do, validated.
pub struct Settings {
    pub deadline: Duration,
    pub list: bool,
    pub probes: Vec<Probe>,
    /// Where the predictions read the history (`[history]`).
    pub history: super::history::Settings,
    /// `--only` and `--skip` (with `[health] skip`), which select predictions too.
    only: Vec<String>,
    skip: Vec<String>,
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
    Command {
        name: String,
        argv: Vec<String>,
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
    Systemd {
        required: Vec<String>,
    },
    Clock {
        offset: Threshold,
        timeout: Duration,
    },
    Reboot {
        run_dir: PathBuf,
        timeout: Duration,
    },
}

struct HttpSpec {
    url: String,
    expect: judge::network::Expect,
    /// How much of the body `expect.contains` searches.
    max_body: u64,
    timeout: Duration,
    /// Names answered before the system's resolver.
    hosts: http::Hosts,
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

        let hosts = http::Hosts::planted().context("cannot read MAINT_TEST_HOSTS")?;
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
                expect: judge::network::Expect {
                    status: entry
                        .expect_status
                        .as_ref()
                        .map(config::StatusCodes::to_vec)
                        .unwrap_or_default(),
                    contains: entry.contains.clone(),
                    latency,
                },
                max_body: entry.max_body.map_or(http::DEFAULT_MAX_BODY, |size| size.0),
                timeout: entry.timeout.map_or(default_timeout, Duration::from),
                hosts: hosts.clone(),
            };
            add_endpoint(entry.name.as_deref(), spec);
        }
        for url in &args.http {
            let spec = HttpSpec {
                url: url.0.clone(),
                expect: judge::network::Expect::default(),
                max_body: http::DEFAULT_MAX_BODY,
                timeout: default_timeout,
                hosts: hosts.clone(),
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

        for (index, entry) in health.command.iter().enumerate() {
            if entry.command.get_ref().is_empty() {
                bail!(loaded.invalid(
                    &format!("health.command[{index}].command"),
                    &entry.command,
                    "give the program and its arguments, e.g. [\"/usr/lib/nagios/plugins/check_load\", \"-w\", \"5\", \"-c\", \"10\"]"
                ));
            }
            let timeout = entry.timeout.map_or(default_timeout, Duration::from);
            probes.push(Probe::new(
                "command",
                &crate::shell::words(entry.command.get_ref()),
                timeout + GRACE,
                vec![format!("command:{}", entry.name)],
                Spec::Command {
                    name: entry.name.clone(),
                    argv: entry.command.get_ref().clone(),
                    timeout,
                },
            ));
        }

        for (index, unit) in health.units.iter().enumerate() {
            if unit.trim().is_empty() || unit.starts_with('-') {
                bail!(config_error(
                    loaded,
                    &format!("health.units[{index}]"),
                    "give a unit name, e.g. \"nginx.service\""
                ));
            }
        }
        probes.push(Probe::new(
            "systemd",
            "systemctl",
            default_timeout,
            std::iter::once("systemd".to_owned())
                .chain(health.units.iter().map(|unit| format!("systemd:{unit}")))
                .chain(std::iter::once("systemd:timers".to_owned()))
                .collect(),
            Spec::Systemd {
                required: health.units.clone(),
            },
        ));

        probes.push(Probe::new(
            "clock",
            "adjtimex, timedatectl, chronyc",
            default_timeout + GRACE,
            vec!["clock".into()],
            Spec::Clock {
                offset: levels("clock_offset")?,
                timeout: default_timeout,
            },
        ));
        // Tests plant the flag file in a folder of their own; nothing else sets this.
        let run_dir = std::env::var_os("MAINT_TEST_RUN_DIR").map_or_else(
            || PathBuf::from(crate::probe::reboot::RUN_DIR),
            PathBuf::from,
        );
        probes.push(Probe::new(
            "reboot",
            &run_dir.join("reboot-required").display().to_string(),
            default_timeout + GRACE,
            vec!["reboot".into()],
            Spec::Reboot {
                run_dir,
                timeout: default_timeout,
            },
        ));

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
            history: super::history::Settings::resolve(loaded)?,
            only: args.only.clone(),
            skip: args.skip.iter().chain(&health.skip).cloned().collect(),
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
        "clock_offset" => {
            return Ok(loaded.levels(&config_key, health.clock_offset.as_ref(), base)?);
        }
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
pub fn selects(pattern: &str, name: &str) -> bool {
    name == pattern
        || name
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with(':'))
        || (pattern.contains(['*', '?']) && glob_matches(pattern, name))
}

/// Only `*` and `?` are wildcards in a check pattern: brackets are taken
/// as they are, since check names may hold them.
fn glob_matches(pattern: &str, name: &str) -> bool {
    let mut literal_brackets = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '[' => literal_brackets.push_str("[[]"),
            ']' => literal_brackets.push_str("[]]"),
            c => literal_brackets.push(c),
        }
    }
    glob::Pattern::new(&literal_brackets).is_ok_and(|p| p.matches(name))
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
    gather(settings).report
}

/// A health run's report, and what Redis answered when it was asked.
pub struct Gathered {
    pub report: Report,
    pub redis: Option<RedisAnswer>,
}

/// [`run`], keeping what Redis answered.
pub fn gather(settings: Settings) -> Gathered {
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
    let mut redis = None;
    for ((kind, target, names), outcome) in plans.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Done { value, elapsed } => {
                redis = redis.or(value.redis);
                for mut check in value.checks {
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
    let mut predictions =
        super::history::predictions(&report, &settings.history, Notes::new(false));
    // A filesystem's prediction comes with its check; the others are
    // selected by their own names.
    predictions.retain(|check| {
        let from_selected = report
            .checks
            .iter()
            .any(|c| check.name.strip_prefix("predict:") == Some(c.name.as_str()));
        (from_selected
            || settings.only.iter().any(|p| selects(p, &check.name))
            || settings.only.is_empty())
            && !settings.skip.iter().any(|p| selects(p, &check.name))
    });
    report.checks.extend(predictions);
    report.duration = started.elapsed();
    Gathered { report, redis }
}

/// Why a probe has no result, and what to look at.
fn unfinished(
    kind: &str,
    target: &str,
    deadline: Duration,
    outcome: &Outcome<Probed>,
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
    let message = outcome
        .shortfall(deadline, "probe")
        .expect("done probes have results");
    let message = if kind == "filesystem" {
        format!("statvfs gave {message}")
    } else {
        message
    };
    (message, hint)
}

/// What one probe brought back: its checks and, from Redis, the answer
/// itself, which `diagnose` shows without asking the server again.
struct Probed {
    checks: Vec<Check>,
    redis: Option<RedisAnswer>,
}

/// What a Redis server answered to PING, INFO and CONFIG GET, or why not.
pub type RedisAnswer = Result<redis::ServerInfo, redis::RedisError>;

impl From<Vec<Check>> for Probed {
    fn from(checks: Vec<Check>) -> Probed {
        Probed {
            checks,
            redis: None,
        }
    }
}

impl Spec {
    /// Probes, then judges what the probe read.
    fn run(self, cgroup: &Cgroup) -> Probed {
        match self {
            Spec::Cpu(threshold) => vec![judge::system::cpu(
                system::cpu_usage(CPU_SAMPLE, cgroup),
                threshold,
            )]
            .into(),
            Spec::Load(threshold) => vec![judge::system::load(system::load(), threshold)].into(),
            Spec::Memory { memory, swap } => {
                judge::system::memory(system::memory(cgroup), memory, swap).into()
            }
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
                judge::system::filesystem(&mount, usage, space, inodes, readonly_ok).into()
            }
            Spec::NotMounted(point) => judge::system::not_mounted(&point).into(),
            Spec::Process {
                name,
                matcher,
                min,
                max,
            } => vec![judge::system::processes(
                &name,
                &matcher,
                min,
                max,
                process::list(),
            )]
            .into(),
            Spec::Http { name, spec } => {
                let search = spec
                    .expect
                    .contains
                    .as_deref()
                    .map(|text| (text.as_bytes(), spec.max_body));
                let answers = http::get_each(&spec.url, spec.timeout, search, &spec.hosts);
                vec![judge::network::http_each(
                    &name,
                    &spec.url,
                    &spec.expect,
                    answers,
                )]
                .into()
            }
            Spec::Tcp {
                name,
                address,
                timeout,
            } => vec![judge::network::tcp(
                &name,
                &address,
                tcp::connect(&address, timeout),
            )]
            .into(),
            Spec::Command {
                name,
                argv,
                timeout,
            } => vec![judge::plugin::command(
                &name,
                &crate::shell::words(&argv),
                &crate::probe::plugin::run(&argv, timeout),
            )]
            .into(),
            Spec::Postgres {
                target,
                limit,
                connections,
                oldest,
            } => judge::postgres::health(
                &target,
                postgres_exchange(&target, limit),
                connections,
                oldest,
            )
            .into(),
            Spec::Systemd { required } => judge::systemd::health(
                crate::probe::systemd::overview(&required).as_ref(),
                &required,
                chrono::Utc::now(),
            )
            .into(),
            Spec::Clock { offset, timeout } => vec![judge::host::clock(
                crate::probe::clock::state(timeout).as_ref(),
                offset,
            )]
            .into(),
            Spec::Reboot { run_dir, timeout } => vec![judge::host::reboot(
                crate::probe::reboot::pending(&run_dir, timeout).as_ref(),
            )]
            .into(),
            Spec::Redis {
                url,
                timeout,
                memory,
                clients,
            } => {
                let answer = redis::server_info(&url, timeout);
                let shown = crate::redact::url(&url);
                Probed {
                    checks: judge::redis::health(
                        &shown,
                        &answer,
                        memory,
                        clients,
                        chrono::Utc::now(),
                    ),
                    redis: Some(answer),
                }
            }
        }
    }
}

/// Connects and runs the health queries, all under `limit`.
fn postgres_exchange(target: &postgres::Target, limit: Duration) -> Exchange {
    // The server ends our queries at `limit` (statement_timeout), and maint
    // stops waiting at it whatever the server does, so a port that accepts
    // and never answers is a failed connection (CRITICAL), not a probe that
    // ran out of time (UNKNOWN).
    let bounded = target.with_statement_timeout(limit);
    parallel::within(limit, move || {
        let mut connected = match bounded.connect_with_transport() {
            Ok(connected) => connected,
            Err(err) => return Exchange::Connect(err),
        };
        match postgres::server_health(&mut connected.client) {
            Ok(health) => Exchange::Answered(health, connected.took, connected.transport),
            Err(err) => Exchange::Query(err),
        }
    })
    .unwrap_or_else(|| {
        Exchange::Connect(target.no_answer(limit, "to the connection, login and health queries"))
    })
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
        assert!(selects("process:[w]*", "process:[w]orker"));
        assert!(!selects("process:[w]*", "process:worker"));
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
