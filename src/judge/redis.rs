//! Verdicts on a Redis server from what it answered to PING, INFO and
//! CONFIG GET: `maint health` checks, and the findings `maint diagnose`
//! adds (evictions).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::round1;

pub mod report;
use crate::probe::redis::{Failure, RedisError, ServerInfo, cli_args};
use crate::probe::system::percent;
use crate::report::{Check, Status, Threshold, Unit};
use crate::shell;
use crate::units::{human_bytes, human_duration};

const DOWN: &str = "the application loses its cache or queue and slows down or fails";
const AT_MAXCLIENTS: &str = "at maxclients new connections are refused";

/// The server's state (up, memory, clients, rejected connections,
/// persistence) from what it answered, `shown` being its redacted URL.
pub fn health(
    shown: &str,
    answer: &Result<ServerInfo, RedisError>,
    memory: Threshold,
    clients: Threshold,
    now: DateTime<Utc>,
) -> Vec<Check> {
    let cli = format!("redis-cli {}", cli_args(shown));
    let names = [
        "redis:memory",
        "redis:clients",
        "redis:rejected",
        "redis:persistence",
    ];
    let info = match answer {
        Ok(info) => info,
        Err(err) => {
            let hint = err.hint();
            let (first, why) = match &err.failure {
                // Up and answering: maint's user lacks a permission, so it cannot tell.
                Failure::NoPermission { pinged: true, .. } => (
                    Check::new(
                        "redis",
                        Status::Ok,
                        format!("Redis at {shown} answered PING, but {}", err.message),
                    ),
                    err.message.clone(),
                ),
                Failure::NoPermission { pinged: false, .. } => (
                    Check::new("redis", Status::Unknown, err.to_string()).with_hint(&hint),
                    err.message.clone(),
                ),
                Failure::Dns => (
                    Check::new("redis", Status::Unknown, err.to_string()).with_hint(&hint),
                    "Redis did not answer".to_owned(),
                ),
                _ => (
                    Check::new("redis", Status::Critical, err.to_string()).with_hint(&hint),
                    "Redis did not answer".to_owned(),
                ),
            };
            let mut checks = vec![first.because(DOWN)];
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
            let dir = shell::word(dir);
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
    .with_value(info.latency.as_secs_f64(), Unit::Seconds)
    .because(DOWN)];
    let memory_check = if info.maxmemory == 0 {
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
        let percent = percent(info.used_memory, info.maxmemory);
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
    };
    checks.push(
        memory_check.because("at maxmemory Redis evicts keys or, with noeviction, refuses writes"),
    );
    let clients_check = match info.maxclients {
        Some(max) if max > 0 => Check::measured(
            "redis:clients",
            round1(percent(info.connected_clients, max)),
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
    };
    checks.push(clients_check.because(AT_MAXCLIENTS));
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
        .with_hint(format!("{cli} config get maxclients; {cli} info clients"))
        .because(AT_MAXCLIENTS),
    );
    let save_age = now.timestamp() - info.rdb_last_save_time;
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
    checks.push(
        Check::new("redis:persistence", status, message)
            .with_hint(persistence_hint)
            .because("Redis may refuse writes, and a restart would lose what was not saved"),
    );
    checks
}

/// Keys Redis threw out to stay under maxmemory, a finding of `diagnose`
/// (health has no levels for them: any eviction means the cache is too small).
pub fn evictions(shown: &str, info: &ServerInfo) -> Option<Check> {
    if info.evicted_keys == 0 {
        return None;
    }
    let cli = format!("redis-cli {}", cli_args(shown));
    Some(
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
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOWN: &str = "redis://:***@cache.example.com:6379";

    fn info() -> ServerInfo {
        ServerInfo {
            version: "7.2.4".into(),
            role: "master".into(),
            used_memory: 50 << 20,
            maxmemory: 100 << 20,
            maxmemory_policy: "noeviction".into(),
            connected_clients: 10,
            maxclients: Some(100),
            rdb_last_bgsave_status: "ok".into(),
            rdb_last_save_time: 1_700_000_000,
            aof_last_write_status: "ok".into(),
            dir: Some("/var/lib/redis".into()),
            ..ServerInfo::default()
        }
    }

    fn judged(answer: &Result<ServerInfo, RedisError>) -> Vec<Check> {
        let now = DateTime::from_timestamp(1_700_000_060, 0).unwrap();
        let levels = Threshold::above(80.0, 90.0);
        health(SHOWN, answer, levels, levels, now)
    }

    #[test]
    fn a_healthy_server_is_ok_throughout() {
        let checks = judged(&Ok(info()));
        let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "redis",
                "redis:memory",
                "redis:clients",
                "redis:rejected",
                "redis:persistence"
            ]
        );
        assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:?}");
        assert_eq!(checks[4].message, "last save 1m 00s ago, 0 changes since");
    }

    #[test]
    fn memory_near_the_limit_with_noeviction_says_writes_fail() {
        let full = ServerInfo {
            used_memory: 95 << 20,
            ..info()
        };
        let checks = judged(&Ok(full));
        assert_eq!(checks[1].status, Status::Critical);
        assert!(
            checks[1]
                .message
                .ends_with("; with noeviction, writes fail at the limit")
        );
        let unlimited = ServerInfo {
            maxmemory: 0,
            ..info()
        };
        assert_eq!(judged(&Ok(unlimited))[1].status, Status::Ok);
    }

    #[test]
    fn a_failed_save_is_critical_and_points_at_its_folder() {
        let failed = ServerInfo {
            rdb_last_bgsave_status: "err".into(),
            refused_ping: Some("MISCONF".into()),
            ..info()
        };
        let checks = judged(&Ok(failed));
        assert_eq!(checks[0].status, Status::Critical);
        assert_eq!(checks[4].status, Status::Critical);
        assert!(checks[4].message.contains(" into /var/lib/redis "));
        assert!(
            checks[4]
                .hint
                .as_deref()
                .unwrap()
                .starts_with("df -h /var/lib/redis;")
        );
    }

    #[test]
    fn no_answer_leaves_the_figures_unknown_and_no_permission_is_not_down() {
        let error = |failure| RedisError {
            failure,
            target: "cache.example.com:6379".into(),
            message: "connection refused".into(),
        };
        let checks = judged(&Err(error(Failure::Refused)));
        assert_eq!(checks[0].status, Status::Critical);
        assert!(checks[1..].iter().all(|c| c.status == Status::Unknown));
        assert!(checks[1].message.ends_with("Redis did not answer"));
        let checks = judged(&Err(error(Failure::NoPermission {
            command: "INFO".into(),
            pinged: true,
        })));
        assert_eq!(checks[0].status, Status::Ok);
    }

    #[test]
    fn evictions_are_a_finding() {
        assert!(evictions(SHOWN, &info()).is_none());
        let evicting = ServerInfo {
            evicted_keys: 12,
            ..info()
        };
        let finding = evictions(SHOWN, &evicting).unwrap();
        assert_eq!(finding.status, Status::Warning);
        assert_eq!(finding.value, Some(12.0));
    }
}
