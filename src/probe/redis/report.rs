//! What `maint redis report` reads from a Redis server, read-only and safe
//! on a busy one: INFO, the slow log, LATENCY and MEMORY DOCTOR, a few
//! CONFIG values, and big keys found by sampling (SCAN with a small COUNT,
//! at a bounded rate, and MEMORY USAGE), never `KEYS *`. Each command is
//! O(1) or O(COUNT) on the server, so none blocks it for long.
//!
//! Only PING and INFO must succeed; every other part has its own result, so
//! an ACL user that may not run SLOWLOG or CONFIG still gets the rest, and a
//! server that goes away mid-report leaves what was read before ([`Facts::lost`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{Failure, RedisError, ServerInfo, Session, info_fields, ping_and_info};
use crate::units::human_duration;

/// Keys asked for per SCAN call: each call costs the server O(COUNT).
const SCAN_COUNT: usize = 100;
/// Slow log entries read (the newest).
const SLOWLOG_ENTRIES: usize = 128;
/// Characters of a slow command's key or a big key's name kept.
const NAME_CHARS: usize = 80;

/// How much the report may ask of the server.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The whole exchange, sampling included.
    pub timeout: Duration,
    /// Keys sampled for big keys, at most (0: no sampling).
    pub sample: usize,
    /// Keys sampled per second, at most.
    pub rate: u32,
    /// Sampling stops after this long whatever is left.
    pub sample_time: Duration,
    /// Big keys kept, biggest first.
    pub top: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Details {
    pub uptime: Duration,
    pub used_memory_peak: u64,
    pub used_memory_rss: u64,
    /// `mem_fragmentation_ratio`: RSS over used memory.
    pub fragmentation: Option<f64>,
    pub blocked_clients: u64,
    pub expired_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub bgsave_in_progress: bool,
    pub aof_rewrite_in_progress: bool,
    pub aof_last_bgrewrite_status: String,
    pub replication: Replication,
    pub keyspace: Vec<Keyspace>,
}

/// One `dbN:keys=..,expires=..,avg_ttl=..` line of INFO keyspace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keyspace {
    pub db: u32,
    pub keys: u64,
    pub expires: u64,
    pub avg_ttl: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Replication {
    Primary {
        replicas: Vec<Replica>,
    },
    Replica {
        /// `host:port` of its primary.
        primary: String,
        link_up: bool,
        /// Seconds since the primary last sent anything.
        last_io: Option<u64>,
        /// Seconds the link has been down.
        down_since: Option<u64>,
        syncing: bool,
    },
}

impl Default for Replication {
    fn default() -> Self {
        Replication::Primary {
            replicas: Vec::new(),
        }
    }
}

/// A replica as its primary sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica {
    pub address: String,
    pub state: String,
    /// Seconds since its last acknowledgement.
    pub lag: Option<u64>,
    /// Bytes of the replication stream it has yet to acknowledge.
    pub behind: u64,
}

/// One slow log entry: the command's name and first argument only (the
/// values written may be anybody's data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlowEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub duration: Duration,
    pub command: String,
    pub arguments: usize,
    pub client: String,
}

/// The settings the config review reads that INFO lacks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `save`: empty means no RDB snapshots.
    pub save: String,
    pub appendonly: bool,
    /// `disable-thp` (Redis 6.2.7+): Redis opts itself out of transparent huge pages.
    pub disable_thp: Option<bool>,
    /// `latency-monitor-threshold` in ms; 0 is off (LATENCY DOCTOR then has nothing).
    pub latency_monitor_threshold: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BigKey {
    pub db: u32,
    pub key: String,
    /// `string`, `list`, `hash`, `set`, `zset`, `stream`...
    pub kind: String,
    /// MEMORY USAGE (nested values estimated from 5 samples, Redis's default).
    pub bytes: u64,
    /// Elements (or the length of a string).
    pub length: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    pub scanned: u64,
    /// The biggest keys seen, biggest first.
    pub keys: Vec<BigKey>,
    /// Every key was seen (the keyspace is no bigger than the sample).
    pub complete: bool,
    /// Sampling stopped at its time limit before the sample was full.
    pub out_of_time: bool,
    pub elapsed: Duration,
}

/// Settings of the host Redis warns about at start, read from this host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostSettings {
    /// `vm.overcommit_memory`: Redis wants 1, so a fork for BGSAVE cannot fail.
    pub overcommit_memory: Option<u8>,
    /// The selected mode of `/sys/kernel/mm/transparent_hugepage/enabled`.
    pub transparent_hugepages: Option<String>,
}

/// What the report read. Each part after INFO may have failed on its own.
#[derive(Clone, Debug)]
pub struct Facts {
    pub info: ServerInfo,
    pub details: Details,
    pub settings: Result<Settings, RedisError>,
    pub slowlog: Result<Vec<SlowEntry>, RedisError>,
    pub latency_doctor: Result<String, RedisError>,
    pub memory_doctor: Result<String, RedisError>,
    /// `None` when sampling was not asked for.
    pub sample: Option<Result<Sample, RedisError>>,
    /// The server stopped answering after INFO: the parts after it failed so.
    pub lost: Option<RedisError>,
}

/// Reads everything the report needs within `options.timeout`; fails only
/// when PING or INFO does.
pub fn facts(url: &str, options: Options) -> Result<Facts, RedisError> {
    let owned = url.to_owned();
    crate::parallel::within(options.timeout, move || read(&owned, options)).unwrap_or_else(|| {
        Err(RedisError {
            failure: Failure::Timeout,
            target: crate::redact::url(url),
            message: format!("no answer within {}", human_duration(options.timeout)),
        })
    })
}

fn read(url: &str, options: Options) -> Result<Facts, RedisError> {
    let mut session = Session::open(url, options.timeout)?;
    let (info, text) = ping_and_info(&mut session)?;
    let details = parse_details(&text);
    let settings = settings(&mut session);
    let slowlog = session
        .query::<redis::Value>(redis::cmd("SLOWLOG").arg("GET").arg(SLOWLOG_ENTRIES))
        .map(|answer| slow_entries(&answer));
    let latency_doctor = session.query::<String>(redis::cmd("LATENCY").arg("DOCTOR"));
    let memory_doctor = session.query::<String>(redis::cmd("MEMORY").arg("DOCTOR"));
    let sample = (options.sample > 0).then(|| sample(&mut session, &details.keyspace, options));
    Ok(Facts {
        info,
        details,
        settings,
        slowlog,
        latency_doctor,
        memory_doctor,
        sample,
        lost: session.lost.clone(),
    })
}

fn settings(session: &mut Session) -> Result<Settings, RedisError> {
    let mut pipe = redis::pipe();
    // One name per CONFIG GET: servers before 7.0 take only one.
    for name in [
        "save",
        "appendonly",
        "disable-thp",
        "latency-monitor-threshold",
    ] {
        pipe.cmd("CONFIG").arg("GET").arg(name);
    }
    let answers: Vec<Vec<String>> = session.query(&pipe)?;
    let get = |i: usize| answers.get(i).and_then(|pair| pair.get(1)).cloned();
    Ok(Settings {
        save: get(0).unwrap_or_default(),
        appendonly: get(1).as_deref() == Some("yes"),
        disable_thp: get(2).map(|v| v == "yes"),
        latency_monitor_threshold: get(3).and_then(|v| v.parse().ok()),
    })
}

/// The fields of INFO the health checks do not read.
fn parse_details(text: &str) -> Details {
    let fields = info_fields(text);
    let number = |key: &str| fields.get(key).and_then(|v| v.parse::<u64>().ok());
    let count = |key: &str| number(key).unwrap_or(0);
    let text = |key: &str| fields.get(key).map(|v| (*v).to_owned()).unwrap_or_default();
    let replication = if text("role") == "slave" {
        Replication::Replica {
            primary: format!("{}:{}", text("master_host"), text("master_port")),
            link_up: text("master_link_status") == "up",
            last_io: number("master_last_io_seconds_ago"),
            down_since: number("master_link_down_since_seconds"),
            syncing: count("master_sync_in_progress") == 1,
        }
    } else {
        let offset = count("master_repl_offset");
        let mut replicas: Vec<(usize, Replica)> = fields
            .iter()
            .filter_map(|(key, value)| {
                let n: usize = key.strip_prefix("slave")?.parse().ok()?;
                let parts: HashMap<&str, &str> =
                    value.split(',').filter_map(|p| p.split_once('=')).collect();
                let field = |name: &str| parts.get(name).copied().unwrap_or_default();
                Some((
                    n,
                    Replica {
                        address: format!("{}:{}", field("ip"), field("port")),
                        state: field("state").to_owned(),
                        lag: field("lag").parse().ok(),
                        behind: offset.saturating_sub(field("offset").parse().unwrap_or(0)),
                    },
                ))
            })
            .collect();
        replicas.sort_by_key(|(n, _)| *n);
        Replication::Primary {
            replicas: replicas.into_iter().map(|(_, r)| r).collect(),
        }
    };
    let mut keyspace: Vec<Keyspace> = fields
        .iter()
        .filter_map(|(key, value)| {
            let db = key.strip_prefix("db")?.parse().ok()?;
            let parts: HashMap<&str, u64> = value
                .split(',')
                .filter_map(|p| p.split_once('='))
                .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
                .collect();
            Some(Keyspace {
                db,
                keys: parts.get("keys").copied().unwrap_or(0),
                expires: parts.get("expires").copied().unwrap_or(0),
                avg_ttl: Duration::from_millis(parts.get("avg_ttl").copied().unwrap_or(0)),
            })
        })
        .collect();
    keyspace.sort_by_key(|space| space.db);
    Details {
        uptime: Duration::from_secs(count("uptime_in_seconds")),
        used_memory_peak: count("used_memory_peak"),
        used_memory_rss: count("used_memory_rss"),
        fragmentation: fields
            .get("mem_fragmentation_ratio")
            .and_then(|v| v.parse().ok()),
        blocked_clients: count("blocked_clients"),
        expired_keys: count("expired_keys"),
        keyspace_hits: count("keyspace_hits"),
        keyspace_misses: count("keyspace_misses"),
        bgsave_in_progress: count("rdb_bgsave_in_progress") == 1,
        aof_rewrite_in_progress: count("aof_rewrite_in_progress") == 1,
        aof_last_bgrewrite_status: text("aof_last_bgrewrite_status"),
        replication,
        keyspace,
    }
}

/// SLOWLOG GET's entries: `[id, time, microseconds, [args..], client, name]`.
fn slow_entries(answer: &redis::Value) -> Vec<SlowEntry> {
    let redis::Value::Array(entries) = answer else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let redis::Value::Array(fields) = entry else {
                return None;
            };
            let int = |i: usize| match fields.get(i) {
                Some(redis::Value::Int(n)) => Some(*n),
                _ => None,
            };
            let arguments: Vec<String> = match fields.get(3) {
                Some(redis::Value::Array(args)) => args.iter().map(text_of).collect(),
                _ => Vec::new(),
            };
            let mut command = arguments.first().cloned().unwrap_or_default();
            command.make_ascii_uppercase();
            if let Some(first) = arguments.get(1) {
                command.push(' ');
                command.push_str(&shorten(first));
            }
            Some(SlowEntry {
                id: int(0)?,
                at: DateTime::from_timestamp(int(1)?, 0)?,
                duration: Duration::from_micros(u64::try_from(int(2)?).ok()?),
                command,
                arguments: arguments.len().saturating_sub(1),
                client: fields.get(4).map(text_of).unwrap_or_default(),
            })
        })
        .collect()
}

fn text_of(value: &redis::Value) -> String {
    match value {
        redis::Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        redis::Value::SimpleString(text) | redis::Value::VerbatimString { text, .. } => {
            text.clone()
        }
        redis::Value::Int(n) => n.to_string(),
        _ => String::new(),
    }
}

/// A key or argument cut to [`NAME_CHARS`], control characters made visible.
fn shorten(text: &str) -> String {
    let mut short: String = text
        .chars()
        .take(NAME_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().count() > NAME_CHARS {
        short.push('…');
    }
    short
}

/// Big keys by sampling: each database holding keys gets a share of
/// `options.sample` by its size, scanned `SCAN_COUNT` keys a call, each
/// batch's TYPE and MEMORY USAGE in one pipeline, at most `options.rate`
/// keys a second, until its share, the end of the keyspace or the time
/// limit.
fn sample(
    session: &mut Session,
    keyspace: &[Keyspace],
    options: Options,
) -> Result<Sample, RedisError> {
    let started = Instant::now();
    let total: u64 = keyspace.iter().map(|space| space.keys).sum();
    let mut result = Sample {
        complete: true,
        ..Sample::default()
    };
    // With each key's name as stored, for the length asked for at the end.
    let mut biggest: Vec<(BigKey, Vec<u8>)> = Vec::new();
    let rate = f64::from(options.rate.max(1));
    for space in keyspace.iter().filter(|space| space.keys > 0) {
        let share = ((options.sample as u64).saturating_mul(space.keys) / total.max(1))
            .max(SCAN_COUNT as u64);
        session.query::<()>(redis::cmd("SELECT").arg(space.db))?;
        let mut cursor: u64 = 0;
        let mut seen: u64 = 0;
        loop {
            if started.elapsed() >= options.sample_time {
                result.out_of_time = true;
                result.complete = false;
                break;
            }
            let (next, keys): (u64, Vec<Vec<u8>>) =
                session.query(redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(SCAN_COUNT))?;
            let mut pipe = redis::pipe();
            for key in &keys {
                pipe.cmd("TYPE").arg(key);
                pipe.cmd("MEMORY").arg("USAGE").arg(key);
            }
            let answers: Vec<redis::Value> = if keys.is_empty() {
                Vec::new()
            } else {
                session.query(&pipe)?
            };
            for (key, pair) in keys.iter().zip(answers.chunks(2)) {
                let kind = text_of(&pair[0]);
                let bytes = match pair.get(1) {
                    Some(redis::Value::Int(n)) => u64::try_from(*n).unwrap_or(0),
                    // Gone between SCAN and MEMORY USAGE.
                    _ => continue,
                };
                biggest.push((
                    BigKey {
                        db: space.db,
                        key: shorten(&String::from_utf8_lossy(key)),
                        kind,
                        bytes,
                        length: None,
                    },
                    key.clone(),
                ));
            }
            biggest.sort_by_key(|(key, _)| std::cmp::Reverse(key.bytes));
            biggest.truncate(options.top);
            seen += keys.len() as u64;
            result.scanned += keys.len() as u64;
            cursor = next;
            if cursor == 0 {
                break;
            }
            if seen >= share {
                result.complete = false;
                break;
            }
            // At most `rate` keys a second: sleep off what the batch was early.
            let due = Duration::from_secs_f64(result.scanned as f64 / rate);
            if let Some(early) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(
                    early.min(options.sample_time.saturating_sub(started.elapsed())),
                );
            }
        }
        if result.out_of_time {
            break;
        }
    }
    lengths(session, &mut biggest)?;
    result.keys = biggest.into_iter().map(|(key, _)| key).collect();
    result.elapsed = started.elapsed();
    Ok(result)
}

/// The element count (or string length) of each big key, by its type's O(1) command.
fn lengths(session: &mut Session, keys: &mut [(BigKey, Vec<u8>)]) -> Result<(), RedisError> {
    let mut dbs: Vec<u32> = keys.iter().map(|(key, _)| key.db).collect();
    dbs.sort_unstable();
    dbs.dedup();
    for db in dbs {
        session.query::<()>(redis::cmd("SELECT").arg(db))?;
        for (key, name) in keys.iter_mut().filter(|(key, _)| key.db == db) {
            let command = match key.kind.as_str() {
                "string" => "STRLEN",
                "list" => "LLEN",
                "hash" => "HLEN",
                "set" => "SCARD",
                "zset" => "ZCARD",
                "stream" => "XLEN",
                _ => continue,
            };
            key.length = session
                .query::<Option<u64>>(redis::cmd(command).arg(&name[..]))
                .ok()
                .flatten();
        }
    }
    Ok(())
}

/// The kernel settings Redis warns about, as this host has them.
pub fn host_settings() -> HostSettings {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    HostSettings {
        overcommit_memory: read("/proc/sys/vm/overcommit_memory")
            .and_then(|text| text.trim().parse().ok()),
        transparent_hugepages: read("/sys/kernel/mm/transparent_hugepage/enabled")
            .and_then(|text| selected(&text)),
    }
}

/// The bracketed choice of a sysfs list: `always [madvise] never` is `madvise`.
fn selected(text: &str) -> Option<String> {
    let start = text.find('[')? + 1;
    let end = start + text[start..].find(']')?;
    Some(text[start..end].to_owned())
}

/// Whether the server at `url` runs on this host (a Unix socket, a loopback
/// address or this host's name), so the host's settings are its settings.
pub fn is_local(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    if parsed.scheme().contains("unix") {
        return true;
    }
    match parsed.host() {
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        // A scheme the url crate does not know keeps its host as text.
        Some(url::Host::Domain(name)) => {
            name.trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|address| address.is_loopback())
                || name == "localhost"
                || rustix::system::uname()
                    .nodename()
                    .to_str()
                    .is_ok_and(|own| own.eq_ignore_ascii_case(name))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_replicas_and_keyspace_are_parsed() {
        let details = parse_details(
            "# Server\r\nuptime_in_seconds:3600\r\n# Memory\r\nused_memory_rss:2048\r\n\
             mem_fragmentation_ratio:1.52\r\n# Replication\r\nrole:master\r\nconnected_slaves:1\r\n\
             slave0:ip=10.0.0.2,port=6380,state=online,offset=900,lag=1\r\nmaster_repl_offset:1000\r\n\
             # Keyspace\r\ndb3:keys=5,expires=1,avg_ttl=0\r\ndb0:keys=10,expires=4,avg_ttl=2500\r\n",
        );
        assert_eq!(details.uptime, Duration::from_secs(3600));
        assert_eq!(details.fragmentation, Some(1.52));
        assert_eq!(
            details.replication,
            Replication::Primary {
                replicas: vec![Replica {
                    address: "10.0.0.2:6380".into(),
                    state: "online".into(),
                    lag: Some(1),
                    behind: 100,
                }]
            }
        );
        assert_eq!(details.keyspace.len(), 2);
        assert_eq!(details.keyspace[0].db, 0);
        assert_eq!(details.keyspace[0].expires, 4);
        assert_eq!(details.keyspace[0].avg_ttl, Duration::from_millis(2500));
    }

    #[test]
    fn a_replica_says_where_its_primary_is() {
        let details = parse_details(
            "role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:down\r\n\
             master_last_io_seconds_ago:-1\r\nmaster_sync_in_progress:0\r\nmaster_link_down_since_seconds:42\r\n",
        );
        assert_eq!(
            details.replication,
            Replication::Replica {
                primary: "10.0.0.1:6379".into(),
                link_up: false,
                last_io: None,
                down_since: Some(42),
                syncing: false,
            }
        );
    }

    #[test]
    fn slow_log_entries_keep_the_command_and_its_key_only() {
        use redis::Value::{Array, BulkString, Int};
        let answer = Array(vec![Array(vec![
            Int(7),
            Int(1_700_000_000),
            Int(25_000),
            Array(vec![
                BulkString(b"set".to_vec()),
                BulkString(b"session:1".to_vec()),
                BulkString(b"secret value".to_vec()),
            ]),
            BulkString(b"127.0.0.1:5000".to_vec()),
            BulkString(Vec::new()),
        ])]);
        let entries = slow_entries(&answer);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].command, "SET session:1");
        assert_eq!(entries[0].arguments, 2);
        assert_eq!(entries[0].duration, Duration::from_millis(25));
        assert_eq!(entries[0].client, "127.0.0.1:5000");
    }

    #[test]
    fn sysfs_choices_and_local_servers() {
        assert_eq!(
            selected("always [madvise] never\n").as_deref(),
            Some("madvise")
        );
        assert_eq!(selected("never"), None);
        assert!(is_local("redis://127.0.0.1:6379"));
        assert!(is_local("redis://localhost"));
        assert!(is_local("redis://[::1]:6379"));
        assert!(is_local("unix:///run/redis.sock"));
        assert!(!is_local("redis://10.1.2.3:6379"));
        assert_eq!(shorten(&"k".repeat(100)).chars().count(), NAME_CHARS + 1);
    }
}
