//! Verdicts of `maint redis report`: the health checks' five, then memory
//! fragmentation, evictions, hit ratio, AOF, replication, the slow log,
//! LATENCY and MEMORY DOCTOR, the config review (maxmemory, eviction policy
//! and persistence for what the server is used as) and, when Redis runs on
//! this host, the kernel settings Redis itself warns about at start.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::judge::round1;
use crate::probe::redis::report::{Facts, HostSettings, Replication, Sample, Settings};
use crate::probe::redis::{RedisError, ServerInfo, cli_args};
use crate::report::{Check, Direction, Status, Threshold, Unit};
use crate::units::{human_bytes, human_duration};

/// The checks after the health checks', in the order they come.
pub const NAMES: &[&str] = &[
    "redis:fragmentation",
    "redis:evictions",
    "redis:hit_ratio",
    "redis:aof",
    "redis:replication",
    "redis:slowlog",
    "redis:latency_doctor",
    "redis:memory_doctor",
    "redis:config:maxmemory",
    "redis:config:eviction_policy",
    "redis:config:persistence",
];

/// Below this RSS the fragmentation ratio is the allocator's fixed overhead, not fragmentation.
const FRAGMENTATION_FLOOR: u64 = 64 << 20;
/// Fewer lookups than this since start say nothing about the hit ratio.
const LOOKUPS_FLOOR: u64 = 1000;
/// Slow log entries older than this are history, not a finding.
const SLOWLOG_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Share of keys with a TTL above which a server in `auto` is taken for a cache.
const CACHE_EXPIRING_SHARE: f64 = 0.5;

const MEMORY: &str = "at maxmemory Redis evicts keys or, with noeviction, refuses writes";
const SLOW: &str = "Redis runs one command at a time: a slow command stalls every client";
const LOST: &str = "data not saved or not replicated is lost when this server goes";

/// What the application uses the server for, which decides the config review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// Decided from the data: nothing persisted, or most keys expiring, is a cache.
    Auto,
    Cache,
    Store,
}

/// The levels of every measured check.
#[derive(Clone, Copy, Debug)]
pub struct Levels {
    pub memory: Threshold,
    pub clients: Threshold,
    pub fragmentation: Threshold,
    pub hit_ratio: Threshold,
    pub replication_lag: Threshold,
    pub slowlog: Threshold,
    pub big_key: Threshold,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            memory: Threshold::above(80.0, 90.0),
            clients: Threshold::above(80.0, 90.0),
            fragmentation: Threshold::above(1.5, 2.0),
            // A cache that misses half the time barely helps; no level is critical by default.
            hit_ratio: Threshold {
                warning: Some(50.0),
                critical: None,
                direction: Direction::Below,
            },
            replication_lag: Threshold::above(30.0, 120.0),
            slowlog: Threshold::above(0.1, 1.0),
            big_key: Threshold::above(f64::from(10u32 << 20), f64::from(100u32 << 20)),
        }
    }
}

/// Every check of the report from what the server answered, `shown` being
/// its redacted URL; `host` when Redis runs on this host.
pub fn report(
    shown: &str,
    answer: &Result<Facts, RedisError>,
    host: Option<&HostSettings>,
    levels: &Levels,
    usage: Usage,
    now: DateTime<Utc>,
) -> Vec<Check> {
    let health_answer = answer
        .as_ref()
        .map(|facts| facts.info.clone())
        .map_err(Clone::clone);
    let mut checks = super::health(shown, &health_answer, levels.memory, levels.clients, now);
    let facts = match answer {
        Ok(facts) => facts,
        Err(err) => {
            let why = if checks[0].status == Status::Critical {
                "Redis did not answer".to_owned()
            } else {
                err.message.clone()
            };
            checks.extend(NAMES.iter().map(|name| {
                Check::new(*name, Status::Unknown, format!("not measured: {why}"))
                    .with_hint(err.hint())
            }));
            return checks;
        }
    };
    let cli = format!("redis-cli {}", cli_args(shown));
    if let Some(lost) = &facts.lost {
        checks[0] = Check::new(
            "redis",
            Status::Critical,
            format!(
                "Redis at {shown} stopped answering during the report ({}); what it answered before is shown",
                lost.message
            ),
        )
        .with_hint(lost.hint())
        .because("the application loses its cache or queue and slows down or fails");
    }
    let (cache, why_cache) = usage_of(usage, facts);
    checks.push(fragmentation(
        &facts.info,
        facts,
        levels.fragmentation,
        &cli,
    ));
    checks.push(evictions(shown, facts, cache));
    checks.push(hit_ratio(facts, levels.hit_ratio, &cli));
    checks.push(aof(facts, &cli));
    checks.push(replication(
        &facts.details.replication,
        levels.replication_lag,
        &cli,
    ));
    checks.push(slowlog(facts, levels.slowlog, now, &cli));
    checks.push(latency_doctor(&facts.latency_doctor, &cli));
    checks.push(memory_doctor(&facts.memory_doctor, &cli));
    checks.extend(config_review(facts, cache, &why_cache, &cli));
    if let Some(host) = host {
        checks.extend(host_review(host, facts));
    }
    if let Some(sample) = &facts.sample {
        checks.push(big_keys(sample, facts, levels.big_key, &cli));
    }
    checks
}

/// Whether the server is a cache, and why the report thinks so.
fn usage_of(usage: Usage, facts: &Facts) -> (bool, String) {
    match usage {
        Usage::Cache => (true, "used as a cache ([redis] used_as)".to_owned()),
        Usage::Store => (false, "used as a data store ([redis] used_as)".to_owned()),
        Usage::Auto => {
            let keys: u64 = facts.details.keyspace.iter().map(|s| s.keys).sum();
            let expiring: u64 = facts.details.keyspace.iter().map(|s| s.expires).sum();
            let persists = facts.settings.as_ref().map_or(facts.info.aof_enabled, |s| {
                !s.save.trim().is_empty() || s.appendonly
            });
            if !persists {
                (true, "taken for a cache as it persists nothing".to_owned())
            } else if keys > 0 && expiring as f64 / keys as f64 >= CACHE_EXPIRING_SHARE {
                (
                    true,
                    format!("taken for a cache as {expiring} of {keys} keys expire"),
                )
            } else {
                (
                    false,
                    "taken for a data store as it persists and most keys do not expire".to_owned(),
                )
            }
        }
    }
}

fn fragmentation(info: &ServerInfo, facts: &Facts, levels: Threshold, cli: &str) -> Check {
    let details = &facts.details;
    let Some(ratio) = details.fragmentation else {
        return Check::new(
            "redis:fragmentation",
            Status::Ok,
            "no mem_fragmentation_ratio in INFO",
        );
    };
    let shown = format!(
        "RSS {} for {} used (ratio {ratio:.2}, peak {})",
        human_bytes(details.used_memory_rss),
        human_bytes(info.used_memory),
        human_bytes(details.used_memory_peak)
    );
    let check = if details.used_memory_rss < FRAGMENTATION_FLOOR {
        Check::new(
            "redis:fragmentation",
            Status::Ok,
            format!(
                "{shown}; not judged under {} of RSS, where the allocator's own overhead dominates",
                human_bytes(FRAGMENTATION_FLOOR)
            ),
        )
        .with_value(round2(ratio), Unit::Count)
    } else if ratio < 1.0 {
        Check::new(
            "redis:fragmentation",
            Status::Warning,
            format!("{shown}: RSS below used memory means part of Redis is swapped out"),
        )
        .with_value(round2(ratio), Unit::Count)
        .with_hint("grep VmSwap /proc/$(pidof redis-server)/status; free -h")
    } else {
        Check::measured(
            "redis:fragmentation",
            round2(ratio),
            Unit::Count,
            levels,
            format!("{shown}: memory the allocator holds but Redis does not use"),
        )
        .with_hint(format!(
            "{cli} memory doctor; {cli} config set activedefrag yes (or {cli} memory purge)"
        ))
    };
    check.because("memory held and not used is memory the host and the cache lack")
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn evictions(shown: &str, facts: &Facts, cache: bool) -> Check {
    let evicted = facts.info.evicted_keys;
    let check = match super::evictions(shown, &facts.info) {
        Some(finding) if !cache => finding,
        Some(_) => Check::new(
            "redis:evictions",
            Status::Ok,
            format!(
                "{evicted} keys evicted since start under {}: a cache at its limit evicts by design (too many, with a falling hit ratio, means it is too small)",
                facts.info.maxmemory_policy
            ),
        )
        .with_value(evicted as f64, Unit::Count),
        None => Check::new("redis:evictions", Status::Ok, "no keys evicted since start")
            .with_value(0.0, Unit::Count),
    };
    check.because(MEMORY)
}

fn hit_ratio(facts: &Facts, levels: Threshold, cli: &str) -> Check {
    let (hits, misses) = (facts.details.keyspace_hits, facts.details.keyspace_misses);
    let lookups = hits + misses;
    if lookups < LOOKUPS_FLOOR {
        return Check::new(
            "redis:hit_ratio",
            Status::Ok,
            format!("{lookups} key lookups since start: too few to judge the hit ratio"),
        );
    }
    let ratio = round1(hits as f64 * 100.0 / lookups as f64);
    Check::measured(
        "redis:hit_ratio",
        ratio,
        Unit::Percent,
        levels,
        format!(
            "{ratio} % of {lookups} key lookups since start found their key ({misses} misses)"
        ),
    )
    .with_hint(format!(
        "{cli} info stats | grep keyspace_; {cli} info memory (too small a maxmemory, or TTLs too short?)"
    ))
    .because("every miss goes to the database instead")
}

fn aof(facts: &Facts, cli: &str) -> Check {
    let details = &facts.details;
    if !facts.info.aof_enabled {
        return Check::new("redis:aof", Status::Ok, "AOF off");
    }
    let check = if details.aof_last_bgrewrite_status != "ok"
        && !details.aof_last_bgrewrite_status.is_empty()
    {
        Check::new(
            "redis:aof",
            Status::Warning,
            format!(
                "the last AOF rewrite failed (aof_last_bgrewrite_status:{}): the file grows until a rewrite succeeds{}",
                details.aof_last_bgrewrite_status,
                if details.aof_rewrite_in_progress { "; one is running now" } else { "" }
            ),
        )
        .with_hint(format!(
            "df -h $({cli} config get dir | tail -1); the reason is in the Redis log; then {cli} bgrewriteaof"
        ))
    } else {
        Check::new(
            "redis:aof",
            Status::Ok,
            format!(
                "AOF on, last rewrite ok{}",
                if details.aof_rewrite_in_progress {
                    ", a rewrite is running"
                } else {
                    ""
                }
            ),
        )
    };
    check.because(LOST)
}

fn replication(replication: &Replication, levels: Threshold, cli: &str) -> Check {
    let check = match replication {
        Replication::Primary { replicas } if replicas.is_empty() => Check::new(
            "redis:replication",
            Status::Ok,
            "a primary with no replicas",
        ),
        Replication::Primary { replicas } => {
            let worst_lag = replicas.iter().filter_map(|r| r.lag).max().unwrap_or(0);
            let listed: Vec<String> = replicas
                .iter()
                .map(|r| {
                    format!(
                        "{} {}{}, {} behind",
                        r.address,
                        r.state,
                        r.lag
                            .map_or(String::new(), |lag| format!(", last ack {lag} s ago")),
                        human_bytes(r.behind)
                    )
                })
                .collect();
            let mut check = Check::measured(
                "redis:replication",
                worst_lag as f64,
                Unit::Seconds,
                levels,
                format!(
                    "a primary with {} replica{}: {}",
                    replicas.len(),
                    if replicas.len() == 1 { "" } else { "s" },
                    listed.join("; ")
                ),
            );
            if replicas.iter().any(|r| r.state != "online") {
                check = check.at_least(Status::Warning);
                check
                    .message
                    .push_str(" (a replica not online is still syncing or failing to)");
            }
            check.with_hint(format!("{cli} info replication"))
        }
        Replication::Replica {
            primary,
            link_up: false,
            down_since,
            ..
        } => Check::new(
            "redis:replication",
            Status::Critical,
            format!(
                "a replica of {primary} whose link is down{}: it serves stale data",
                down_since.map_or(String::new(), |s| format!(
                    " for {}",
                    human_duration(Duration::from_secs(s))
                ))
            ),
        )
        .with_hint(format!(
            "{cli} info replication; redis-cli -h {} ping (the reason is in both Redis logs)",
            primary
                .rsplit_once(':')
                .map_or(primary.as_str(), |(host, _)| host)
        )),
        Replication::Replica {
            primary,
            syncing: true,
            ..
        } => Check::new(
            "redis:replication",
            Status::Warning,
            format!("a replica of {primary}, still syncing its first copy"),
        )
        .with_hint(format!("{cli} info replication")),
        Replication::Replica {
            primary, last_io, ..
        } => {
            let last = last_io.unwrap_or(0);
            Check::measured(
                "redis:replication",
                last as f64,
                Unit::Seconds,
                levels,
                format!("a replica of {primary}, link up, last heard from it {last} s ago (it pings every 10 s)"),
            )
            .with_hint(format!("{cli} info replication"))
        }
    };
    check.because(LOST)
}

fn slowlog(facts: &Facts, levels: Threshold, now: DateTime<Utc>, cli: &str) -> Check {
    let entries = match &facts.slowlog {
        Ok(entries) => entries,
        Err(err) => return part_error("redis:slowlog", err),
    };
    let recent = entries
        .iter()
        .filter(|e| (now - e.at).to_std().unwrap_or_default() <= SLOWLOG_WINDOW);
    let Some(worst) = recent.max_by_key(|e| e.duration) else {
        return Check::new(
            "redis:slowlog",
            Status::Ok,
            format!(
                "no slow command in the last 24 h ({} older entries in the slow log)",
                entries.len()
            ),
        )
        .with_value(0.0, Unit::Seconds)
        .with_threshold(levels);
    };
    let mut hint = format!("{cli} slowlog get 10");
    if worst.command.starts_with("KEYS") {
        hint.push_str("; KEYS walks every key while all else waits: use SCAN");
    }
    Check::measured(
        "redis:slowlog",
        worst.duration.as_secs_f64(),
        Unit::Seconds,
        levels,
        format!(
            "worst in the last 24 h: {} took {} at {} (from {}); {} entries in the slow log",
            worst.command,
            human_duration(worst.duration),
            worst.at.format("%Y-%m-%d %H:%M:%S UTC"),
            worst.client,
            entries.len()
        ),
    )
    .with_hint(hint)
    .because(SLOW)
}

/// A part of the report the server would not give (a command not allowed,
/// renamed away, or the server gone): maint cannot tell.
fn part_error(name: &str, err: &RedisError) -> Check {
    Check::new(name, Status::Unknown, format!("not read: {}", err.message)).with_hint(err.hint())
}

fn latency_doctor(answer: &Result<String, RedisError>, cli: &str) -> Check {
    let text = match answer {
        Ok(text) => text,
        Err(err) => return part_error("redis:latency_doctor", err),
    };
    let check = if text.contains("monitoring is disabled") {
        Check::new(
            "redis:latency_doctor",
            Status::Ok,
            "latency monitoring is off (latency-monitor-threshold 0), so LATENCY DOCTOR has nothing to say; turn it on with CONFIG SET latency-monitor-threshold 100",
        )
    } else if text.contains("observed latency spikes") {
        let events: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|line| line.starts_with(|c: char| c.is_ascii_digit()))
            .collect();
        Check::new(
            "redis:latency_doctor",
            Status::Warning,
            format!("LATENCY DOCTOR saw latency spikes: {}", events.join(" ")),
        )
        .with_hint(format!("{cli} latency doctor; {cli} latency latest"))
    } else {
        Check::new(
            "redis:latency_doctor",
            Status::Ok,
            "LATENCY DOCTOR: no latency spike observed",
        )
    };
    check.because(SLOW)
}

fn memory_doctor(answer: &Result<String, RedisError>, cli: &str) -> Check {
    let text = match answer {
        Ok(text) => text,
        Err(err) => return part_error("redis:memory_doctor", err),
    };
    let issues: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("* "))
        .map(|issue| {
            issue
                .split_once(". ")
                .map_or(issue, |(first, _)| first)
                .to_owned()
        })
        .collect();
    let check = if issues.is_empty() {
        Check::new(
            "redis:memory_doctor",
            Status::Ok,
            if text.contains("empty or is using very little memory") {
                "MEMORY DOCTOR: too little data to judge"
            } else {
                "MEMORY DOCTOR: no memory issue found"
            },
        )
    } else {
        Check::new(
            "redis:memory_doctor",
            Status::Warning,
            format!("MEMORY DOCTOR found: {}", issues.join("; ")),
        )
        .with_hint(format!("{cli} memory doctor; {cli} memory stats"))
    };
    check.because(MEMORY)
}

/// maxmemory, the eviction policy and persistence, for what the server is used as.
fn config_review(facts: &Facts, cache: bool, why: &str, cli: &str) -> Vec<Check> {
    let info = &facts.info;
    let maxmemory = match (cache, info.maxmemory) {
        (true, 0) => Check::new(
            "redis:config:maxmemory",
            Status::Warning,
            format!(
                "no maxmemory, {why}: a cache grows until the host runs out of memory and the OOM killer ends Redis"
            ),
        )
        .with_hint(format!(
            "{cli} config set maxmemory 1gb (about 3/4 of what the host can spare); {cli} config set maxmemory-policy allkeys-lru; {cli} config rewrite (or, if it is no cache, [redis] used_as = \"store\")"
        )),
        (false, 0) => Check::new(
            "redis:config:maxmemory",
            Status::Ok,
            format!("no maxmemory, {why}: only the host's memory bounds it"),
        ),
        (_, max) => Check::new(
            "redis:config:maxmemory",
            Status::Ok,
            format!("maxmemory {} ({why})", human_bytes(max)),
        ),
    };
    let policy = info.maxmemory_policy.as_str();
    let expiring: u64 = facts.details.keyspace.iter().map(|s| s.expires).sum();
    let eviction = if cache && policy == "noeviction" {
        Check::new(
            "redis:config:eviction_policy",
            Status::Warning,
            format!(
                "maxmemory-policy noeviction, {why}: at maxmemory writes fail instead of old keys making room"
            ),
        )
        .with_hint(format!(
            "{cli} config set maxmemory-policy allkeys-lru; {cli} config rewrite (or, if it is no cache, [redis] used_as = \"store\")"
        ))
    } else if cache && policy.starts_with("volatile-") && expiring == 0 {
        Check::new(
            "redis:config:eviction_policy",
            Status::Warning,
            format!(
                "maxmemory-policy {policy} evicts only keys with a TTL, and none has one: at maxmemory it acts as noeviction"
            ),
        )
        .with_hint(format!(
            "{cli} config set maxmemory-policy allkeys-lru; {cli} config rewrite (or give the keys TTLs)"
        ))
    } else if !cache && policy.starts_with("allkeys-") && info.maxmemory > 0 {
        Check::new(
            "redis:config:eviction_policy",
            Status::Warning,
            format!(
                "maxmemory-policy {policy}, {why}: at maxmemory it evicts data the application expects to keep"
            ),
        )
        .with_hint(format!(
            "{cli} config set maxmemory-policy noeviction; {cli} config rewrite (or set used_as = \"cache\")"
        ))
    } else {
        Check::new(
            "redis:config:eviction_policy",
            Status::Ok,
            format!("maxmemory-policy {policy}"),
        )
    };
    let persistence = match &facts.settings {
        Err(err) => part_error("redis:config:persistence", err),
        Ok(Settings {
            save, appendonly, ..
        }) => {
            let snapshots = save.trim();
            match (cache, snapshots.is_empty() && !appendonly) {
                (false, true) => Check::new(
                    "redis:config:persistence",
                    Status::Warning,
                    format!("no RDB snapshots and AOF off, {why}: a restart loses every key"),
                )
                .with_hint(format!(
                    "{cli} config set save \"3600 1 300 100 60 10000\" (or appendonly yes); {cli} config rewrite"
                )),
                (true, true) => Check::new(
                    "redis:config:persistence",
                    Status::Ok,
                    format!("persists nothing, {why}"),
                ),
                (_, false) => Check::new(
                    "redis:config:persistence",
                    Status::Ok,
                    format!(
                        "{}{}",
                        if snapshots.is_empty() {
                            "no RDB snapshots".to_owned()
                        } else {
                            format!("RDB snapshots (save {snapshots})")
                        },
                        if *appendonly { ", AOF on" } else { ", AOF off" }
                    ),
                ),
            }
        }
    };
    vec![
        maxmemory
            .because("a Redis without a limit takes the memory the host and the application need"),
        eviction.because(MEMORY),
        persistence.because(LOST),
    ]
}

/// The kernel settings Redis warns about in its log at start.
fn host_review(host: &HostSettings, facts: &Facts) -> Vec<Check> {
    let settings = facts.settings.as_ref().ok();
    // Redis forks to save a snapshot, to rewrite its AOF and to sync a replica.
    let forks = settings.is_none_or(|s| !s.save.trim().is_empty() || s.appendonly)
        || matches!(&facts.details.replication, Replication::Primary { replicas } if !replicas.is_empty());
    let overcommit = match host.overcommit_memory {
        None => Check::new(
            "redis:host:overcommit",
            Status::Unknown,
            "cannot read /proc/sys/vm/overcommit_memory",
        ),
        Some(1) => Check::new("redis:host:overcommit", Status::Ok, "vm.overcommit_memory = 1"),
        Some(mode) if !forks => Check::new(
            "redis:host:overcommit",
            Status::Ok,
            format!(
                "vm.overcommit_memory = {mode}, Redis wants 1; it matters when Redis forks (to save or to sync a replica), and this one does neither"
            ),
        ),
        Some(mode) => Check::new(
            "redis:host:overcommit",
            Status::Warning,
            format!(
                "vm.overcommit_memory = {mode}: a background save or a replica sync may fail to fork under memory pressure (Redis warns of it at start)"
            ),
        )
        .with_hint(
            "sysctl vm.overcommit_memory=1; echo 'vm.overcommit_memory = 1' > /etc/sysctl.d/90-redis.conf",
        ),
    };
    let opted_out = settings.and_then(|s| s.disable_thp) == Some(true);
    let thp = match host.transparent_hugepages.as_deref() {
        None => Check::new(
            "redis:host:thp",
            Status::Ok,
            "transparent huge pages: not available on this kernel",
        ),
        Some("always") if opted_out => Check::new(
            "redis:host:thp",
            Status::Ok,
            "transparent huge pages: always, but Redis opts itself out (disable-thp yes)",
        ),
        Some("always") => Check::new(
            "redis:host:thp",
            Status::Warning,
            "transparent huge pages: always, so latency and memory use jump after each fork (Redis warns of it at start)",
        )
        .with_hint(
            "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled (and on boot: transparent_hugepage=madvise on the kernel command line)",
        ),
        Some(mode) => Check::new(
            "redis:host:thp",
            Status::Ok,
            format!("transparent huge pages: {mode}"),
        ),
    };
    vec![overcommit.because(LOST), thp.because(SLOW)]
}

fn big_keys(
    sample: &Result<Sample, RedisError>,
    facts: &Facts,
    levels: Threshold,
    cli: &str,
) -> Check {
    let sample = match sample {
        Ok(sample) => sample,
        Err(err) => return part_error("redis:big_keys", err),
    };
    let total: u64 = facts.details.keyspace.iter().map(|s| s.keys).sum();
    let coverage = if sample.complete {
        format!("all {} keys", sample.scanned)
    } else {
        format!(
            "{} of {total} keys sampled{}",
            sample.scanned,
            if sample.out_of_time {
                " (stopped at the time limit)"
            } else {
                ""
            }
        )
    };
    let Some(biggest) = sample.keys.first() else {
        return Check::new(
            "redis:big_keys",
            Status::Ok,
            format!("no keys ({coverage})"),
        );
    };
    Check::measured(
        "redis:big_keys",
        biggest.bytes as f64,
        Unit::Bytes,
        levels,
        format!(
            "biggest: {} {:?} in db {}, {}{} ({coverage})",
            biggest.kind,
            biggest.key,
            biggest.db,
            human_bytes(biggest.bytes),
            biggest
                .length
                .map_or(String::new(), |n| format!(", {n} elements"))
        ),
    )
    .with_hint(format!(
        "{cli} -n {} --memkeys; split it, or drop it with UNLINK (DEL of a big key blocks Redis)",
        biggest.db
    ))
    .because(SLOW)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::redis::Failure;
    use crate::probe::redis::report::{BigKey, Details, Keyspace, Replica, SlowEntry};

    const SHOWN: &str = "redis://127.0.0.1:6379";

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_060, 0).unwrap()
    }

    fn facts() -> Facts {
        Facts {
            info: ServerInfo {
                version: "7.0.15".into(),
                role: "master".into(),
                used_memory: 1 << 20,
                maxmemory: 0,
                maxmemory_policy: "noeviction".into(),
                maxclients: Some(10_000),
                rdb_last_bgsave_status: "ok".into(),
                rdb_last_save_time: 1_700_000_000,
                aof_last_write_status: "ok".into(),
                ..ServerInfo::default()
            },
            details: Details {
                used_memory_rss: 8 << 20,
                fragmentation: Some(8.0),
                keyspace: vec![Keyspace {
                    db: 0,
                    keys: 100,
                    expires: 0,
                    avg_ttl: Duration::ZERO,
                }],
                ..Details::default()
            },
            settings: Ok(Settings {
                save: "3600 1".into(),
                appendonly: false,
                disable_thp: Some(true),
                latency_monitor_threshold: Some(0),
            }),
            slowlog: Ok(Vec::new()),
            latency_doctor: Ok("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance.".into()),
            memory_doctor: Ok("Hi Sam, I can't find any memory issue in your instance.".into()),
            sample: None,
            lost: None,
        }
    }

    fn judged(facts: Facts, usage: Usage) -> Vec<Check> {
        report(SHOWN, &Ok(facts), None, &Levels::default(), usage, now())
    }

    fn find<'a>(checks: &'a [Check], name: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name} in {checks:?}"))
    }

    #[test]
    fn a_persisting_store_is_ok_throughout() {
        let checks = judged(facts(), Usage::Auto);
        assert_eq!(checks.len(), 5 + NAMES.len());
        assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:#?}");
        assert!(
            find(&checks, "redis:config:maxmemory")
                .message
                .contains("taken for a data store")
        );
    }

    #[test]
    fn a_cache_without_maxmemory_or_with_noeviction_is_a_finding() {
        let mut cache = facts();
        cache.settings.as_mut().unwrap().save = String::new();
        let checks = judged(cache.clone(), Usage::Auto);
        let maxmemory = find(&checks, "redis:config:maxmemory");
        assert_eq!(maxmemory.status, Status::Warning);
        assert!(maxmemory.message.contains("as it persists nothing"));
        assert!(maxmemory.hint.as_deref().unwrap().contains("allkeys-lru"));
        assert_eq!(
            find(&checks, "redis:config:eviction_policy").status,
            Status::Warning
        );
        cache.info.maxmemory = 100 << 20;
        cache.info.maxmemory_policy = "allkeys-lru".into();
        let checks = judged(cache, Usage::Cache);
        assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:#?}");
    }

    #[test]
    fn a_store_that_persists_nothing_or_evicts_is_a_finding() {
        let mut store = facts();
        store.settings.as_mut().unwrap().save = String::new();
        let checks = judged(store.clone(), Usage::Store);
        assert_eq!(
            find(&checks, "redis:config:persistence").status,
            Status::Warning
        );
        store.info.maxmemory = 1 << 30;
        store.info.maxmemory_policy = "allkeys-lru".into();
        let checks = judged(store, Usage::Store);
        assert_eq!(
            find(&checks, "redis:config:eviction_policy").status,
            Status::Warning
        );
    }

    #[test]
    fn volatile_policies_without_ttls_cannot_evict() {
        let mut cache = facts();
        cache.info.maxmemory = 1 << 30;
        cache.info.maxmemory_policy = "volatile-lru".into();
        let checks = judged(cache, Usage::Cache);
        let check = find(&checks, "redis:config:eviction_policy");
        assert_eq!(check.status, Status::Warning);
        assert!(check.message.contains("acts as noeviction"));
    }

    #[test]
    fn fragmentation_is_judged_only_on_a_large_instance() {
        assert_eq!(
            find(&judged(facts(), Usage::Auto), "redis:fragmentation").status,
            Status::Ok
        );
        let mut large = facts();
        large.info.used_memory = 1 << 30;
        large.details.used_memory_rss = 2 << 30;
        large.details.fragmentation = Some(2.0);
        let checks = judged(large.clone(), Usage::Auto);
        assert_eq!(
            find(&checks, "redis:fragmentation").status,
            Status::Critical
        );
        large.details.fragmentation = Some(0.7);
        let checks = judged(large, Usage::Auto);
        let check = find(&checks, "redis:fragmentation");
        assert_eq!(check.status, Status::Warning);
        assert!(check.message.contains("swapped out"));
    }

    #[test]
    fn hit_ratio_needs_enough_lookups() {
        let mut few = facts();
        few.details.keyspace_misses = 900;
        assert_eq!(
            find(&judged(few.clone(), Usage::Auto), "redis:hit_ratio").value,
            None
        );
        few.details.keyspace_hits = 300;
        few.details.keyspace_misses = 900;
        let checks = judged(few, Usage::Auto);
        let check = find(&checks, "redis:hit_ratio");
        assert_eq!(check.status, Status::Warning);
        assert_eq!(check.value, Some(25.0));
    }

    #[test]
    fn replication_states() {
        let mut primary = facts();
        primary.details.replication = Replication::Primary {
            replicas: vec![Replica {
                address: "10.0.0.2:6379".into(),
                state: "wait_bgsave".into(),
                lag: Some(0),
                behind: 0,
            }],
        };
        assert_eq!(
            find(&judged(primary, Usage::Auto), "redis:replication").status,
            Status::Warning
        );
        let mut replica = facts();
        replica.details.replication = Replication::Replica {
            primary: "10.0.0.1:6379".into(),
            link_up: false,
            last_io: None,
            down_since: Some(90),
            syncing: false,
        };
        let checks = judged(replica, Usage::Auto);
        let check = find(&checks, "redis:replication");
        assert_eq!(check.status, Status::Critical);
        assert!(
            check.message.contains("link is down for 1m 30s"),
            "{}",
            check.message
        );
        assert!(
            check
                .hint
                .as_deref()
                .unwrap()
                .contains("redis-cli -h 10.0.0.1 ping")
        );
    }

    #[test]
    fn only_recent_slow_commands_count() {
        let entry = |ago: i64, millis: u64, command: &str| SlowEntry {
            id: 1,
            at: now() - chrono::Duration::seconds(ago),
            duration: Duration::from_millis(millis),
            command: command.into(),
            arguments: 1,
            client: "127.0.0.1:5000".into(),
        };
        let mut slow = facts();
        slow.slowlog = Ok(vec![
            entry(3 * 86_400, 5000, "DEBUG SLEEP"),
            entry(60, 1500, "KEYS *"),
        ]);
        let checks = judged(slow, Usage::Auto);
        let check = find(&checks, "redis:slowlog");
        assert_eq!(check.status, Status::Critical);
        assert!(
            check
                .message
                .starts_with("worst in the last 24 h: KEYS * took 1.5 s"),
            "{}",
            check.message
        );
        assert!(check.hint.as_deref().unwrap().contains("use SCAN"));
    }

    #[test]
    fn doctors_are_read() {
        let mut sick = facts();
        sick.latency_doctor = Ok("Dave, I have observed latency spikes in this Redis instance.\n\n1. command: 5 latency spikes (average 300ms). Worst all time event 500ms.\n\nI have a few advices for you:".into());
        sick.memory_doctor = Ok("Sam, I detected a few issues in this Redis instance memory implants:\n\n * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak.\n\nI'm here to keep you safe".into());
        let checks = judged(sick, Usage::Auto);
        let latency = find(&checks, "redis:latency_doctor");
        assert_eq!(latency.status, Status::Warning);
        assert!(latency.message.contains("1. command: 5 latency spikes"));
        let memory = find(&checks, "redis:memory_doctor");
        assert_eq!(memory.status, Status::Warning);
        assert_eq!(
            memory.message,
            "MEMORY DOCTOR found: Peak memory: In the past this instance used more than 150% the memory that is currently using"
        );
    }

    #[test]
    fn a_part_not_allowed_is_unknown_and_a_server_lost_is_critical() {
        let mut partial = facts();
        let denied = RedisError {
            failure: Failure::NoPermission {
                command: "slowlog".into(),
                pinged: true,
            },
            target: SHOWN.into(),
            message: "user \"app\" may not run SLOWLOG (ACL: NOPERM)".into(),
        };
        partial.slowlog = Err(denied);
        let checks = judged(partial.clone(), Usage::Auto);
        assert_eq!(find(&checks, "redis:slowlog").status, Status::Unknown);
        assert_eq!(checks[0].status, Status::Ok);
        partial.lost = Some(RedisError {
            failure: Failure::Refused,
            target: SHOWN.into(),
            message: "connection refused: is redis-server running?".into(),
        });
        let checks = judged(partial, Usage::Auto);
        assert_eq!(checks[0].status, Status::Critical);
        assert!(
            checks[0]
                .message
                .contains("stopped answering during the report")
        );
    }

    #[test]
    fn host_settings_matter_when_redis_forks() {
        let host = HostSettings {
            overcommit_memory: Some(0),
            transparent_hugepages: Some("always".into()),
        };
        let mut saving = facts();
        saving.settings.as_mut().unwrap().disable_thp = Some(false);
        let checks = report(
            SHOWN,
            &Ok(saving),
            Some(&host),
            &Levels::default(),
            Usage::Auto,
            now(),
        );
        assert_eq!(
            find(&checks, "redis:host:overcommit").status,
            Status::Warning
        );
        assert_eq!(find(&checks, "redis:host:thp").status, Status::Warning);
        let mut quiet = facts();
        quiet.settings.as_mut().unwrap().save = String::new();
        let checks = report(
            SHOWN,
            &Ok(quiet),
            Some(&host),
            &Levels::default(),
            Usage::Auto,
            now(),
        );
        assert_eq!(find(&checks, "redis:host:overcommit").status, Status::Ok);
        assert_eq!(find(&checks, "redis:host:thp").status, Status::Ok);
    }

    #[test]
    fn the_biggest_sampled_key_is_judged() {
        let mut sampled = facts();
        sampled.sample = Some(Ok(Sample {
            scanned: 50,
            keys: vec![BigKey {
                db: 2,
                key: "feed:all".into(),
                kind: "list".into(),
                bytes: 20 << 20,
                length: Some(400_000),
            }],
            complete: false,
            out_of_time: false,
            elapsed: Duration::from_millis(3),
        }));
        let checks = judged(sampled, Usage::Auto);
        let check = find(&checks, "redis:big_keys");
        assert_eq!(check.status, Status::Warning);
        assert_eq!(
            check.message,
            "biggest: list \"feed:all\" in db 2, 20.0 MiB, 400000 elements (50 of 100 keys sampled)"
        );
        assert!(check.hint.as_deref().unwrap().contains("-n 2 --memkeys"));
    }

    #[test]
    fn no_answer_leaves_every_check_unknown() {
        let error = RedisError {
            failure: Failure::Refused,
            target: SHOWN.into(),
            message: "connection refused: is redis-server running?".into(),
        };
        let checks = report(
            SHOWN,
            &Err(error),
            None,
            &Levels::default(),
            Usage::Auto,
            now(),
        );
        assert_eq!(checks[0].status, Status::Critical);
        assert_eq!(checks.len(), 5 + NAMES.len());
        assert!(checks[1..].iter().all(|c| c.status == Status::Unknown));
    }
}
