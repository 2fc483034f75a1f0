//! Redis: connect (authenticating when the URL carries a password), PING,
//! and the INFO fields a health check judges.
//!
//! Deadline: the whole exchange (connect, handshake, PING, INFO, CONFIG)
//! gets one `timeout`, enforced twice: socket timeouts from what is left of
//! it, and a thread abandoned at it ([`server_info`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::units::human_duration;

pub mod report;

/// Redis when nothing names it: the URL in `REDIS_URL`, else the local default.
pub fn default_url() -> String {
    std::env::var("REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    Refused,
    Timeout,
    Dns,
    /// The server wants a password and none was sent.
    AuthRequired,
    /// A password was sent and refused.
    AuthFailed,
    /// Loading its dataset into memory; not serving yet.
    Loading,
    /// Up, but the ACL user may not run a command maint needs (NOPERM);
    /// `pinged` when it answered PING before that.
    NoPermission {
        command: String,
        pinged: bool,
    },
    Other,
}

#[derive(Clone, Debug, thiserror::Error)]
#[error("Redis at {target}: {message}")]
pub struct RedisError {
    pub failure: Failure,
    pub target: String,
    pub message: String,
}

impl RedisError {
    fn classify(err: &redis::RedisError, target: &str) -> RedisError {
        let (failure, message) = match err.code() {
            Some("NOAUTH") => (
                Failure::AuthRequired,
                "authentication required and no password was given".to_owned(),
            ),
            Some("WRONGPASS") => (
                Failure::AuthFailed,
                "the password (or user) was refused".to_owned(),
            ),
            Some("LOADING") => (
                Failure::Loading,
                "still loading its dataset into memory".to_owned(),
            ),
            Some("NOPERM") => {
                let command = err
                    .detail()
                    .and_then(|detail| detail.split('\'').nth(1))
                    .unwrap_or("this command")
                    .to_ascii_lowercase();
                (
                    Failure::NoPermission {
                        command: command.clone(),
                        pinged: false,
                    },
                    format!(
                        "user {:?} may not run {} (ACL: NOPERM)",
                        user_of(target),
                        command.to_ascii_uppercase()
                    ),
                )
            }
            _ if err.kind() == redis::ErrorKind::AuthenticationFailed => (
                Failure::AuthFailed,
                "the password (or user) was refused".to_owned(),
            ),
            _ if err.is_connection_refusal() && err.to_string().contains("refused") => (
                Failure::Refused,
                "connection refused: is redis-server running?".to_owned(),
            ),
            _ if err.is_timeout() => (Failure::Timeout, "no answer before the timeout".to_owned()),
            _ if err.to_string().contains("lookup address") => {
                (Failure::Dns, "cannot resolve the host name".to_owned())
            }
            _ if err.is_connection_refusal() => (Failure::Refused, err.to_string()),
            _ => (Failure::Other, err.to_string()),
        };
        RedisError {
            failure,
            target: target.to_owned(),
            message,
        }
    }

    pub fn hint(&self) -> String {
        let cli = cli_args(&self.target);
        match self.failure {
            Failure::Refused | Failure::Timeout | Failure::Other => {
                format!("redis-cli {cli} ping; systemctl status redis-server")
            }
            Failure::Dns => "check the host name in [redis] url or REDIS_URL".to_owned(),
            Failure::AuthRequired => {
                "put the password in the URL: redis://:PASSWORD@host:6379 ([redis] url or REDIS_URL)"
                    .to_owned()
            }
            Failure::AuthFailed => {
                "check the password in [redis] url or REDIS_URL against requirepass / the ACL user".to_owned()
            }
            Failure::Loading => format!("redis-cli {cli} info persistence"),
            Failure::NoPermission { ref command, .. } => format!(
                "as an admin user: redis-cli {cli} ACL SETUSER {} +{command} (or give [redis] url a user that may run it)",
                user_of(&self.target)
            ),
        }
    }
}

/// The ACL user a URL logs in as (`default` when it names none).
fn user_of(target: &str) -> String {
    url::Url::parse(target)
        .ok()
        .map(|url| url.username().to_owned())
        .filter(|user| !user.is_empty())
        .unwrap_or_else(|| "default".to_owned())
}

/// `-h host -p port` for redis-cli, from a redacted URL.
pub fn cli_args(target: &str) -> String {
    match url::Url::parse(target) {
        Ok(url) if url.scheme() == "unix" || url.scheme() == "redis+unix" => {
            format!("-s {}", url.path())
        }
        Ok(url) => format!(
            "-h {} -p {}",
            // redis-cli takes an IPv6 address bare; brackets are for URLs.
            match url.host() {
                Some(url::Host::Ipv6(address)) => address.to_string(),
                _ => url.host_str().unwrap_or("127.0.0.1").to_owned(),
            },
            url.port().unwrap_or(6379)
        ),
        Err(_) => String::new(),
    }
}

#[derive(Clone, Debug, Default)]
pub struct ServerInfo {
    pub latency: Duration,
    pub version: String,
    pub role: String,
    pub used_memory: u64,
    /// Zero means no limit.
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub connected_clients: u64,
    pub maxclients: Option<u64>,
    pub rejected_connections: u64,
    pub evicted_keys: u64,
    pub rdb_last_bgsave_status: String,
    pub rdb_last_save_time: i64,
    pub rdb_changes_since_last_save: u64,
    pub aof_enabled: bool,
    pub aof_last_write_status: String,
    /// Why the server refused PING while answering everything else: MISCONF
    /// after a failed save with stop-writes-on-bgsave-error (writes are
    /// refused too, and PING with them so that health checks notice).
    pub refused_ping: Option<String>,
    /// Where it saves (`CONFIG GET dir`), when maint may ask.
    pub dir: Option<String>,
}

/// Connects to `url`, PINGs and reads INFO, all within `timeout` together.
///
/// Deadlines: the connect, the handshake (HELLO/AUTH/SELECT) and each
/// command get only what is left of `timeout` as their socket timeouts, so
/// a server that accepts and never answers fails within `timeout` as a
/// timeout (a connection failure: CRITICAL), not later as a probe that ran
/// out of time. The redis crate clears its socket timeouts after the
/// handshake even when the handshake timed out (its CLIENT SETINFO answer
/// is waited for without a limit), so the exchange also runs on a thread of
/// its own that is abandoned at `timeout`.
pub fn server_info(url: &str, timeout: Duration) -> Result<ServerInfo, RedisError> {
    let owned = url.to_owned();
    crate::parallel::within(timeout, move || exchange(&owned, timeout)).unwrap_or_else(|| {
        Err(RedisError {
            failure: Failure::Timeout,
            target: crate::redact::url(url),
            message: format!("no answer within {}", human_duration(timeout)),
        })
    })
}

/// A command or a pipeline: what a [`Session`] sends.
trait Request {
    fn send<T: redis::FromRedisValue>(
        &self,
        connection: &mut redis::Connection,
    ) -> redis::RedisResult<T>;
}

impl Request for redis::Cmd {
    fn send<T: redis::FromRedisValue>(
        &self,
        connection: &mut redis::Connection,
    ) -> redis::RedisResult<T> {
        self.query(connection)
    }
}

impl Request for redis::Pipeline {
    fn send<T: redis::FromRedisValue>(
        &self,
        connection: &mut redis::Connection,
    ) -> redis::RedisResult<T> {
        self.query(connection)
    }
}

/// One connection whose every command waits only for what is left of one
/// deadline, with errors classified for the redacted `target`.
struct Session {
    connection: redis::Connection,
    started: Instant,
    deadline: Instant,
    timeout: Duration,
    target: String,
    /// The connection failed (dropped, refused, timed out): later commands
    /// are not sent, they fail as it did.
    lost: Option<RedisError>,
}

impl Session {
    /// Connects (and authenticates) within `timeout`.
    fn open(url: &str, timeout: Duration) -> Result<Session, RedisError> {
        let target = crate::redact::url(url);
        let client = redis::Client::open(url).map_err(|err| RedisError::classify(&err, &target))?;
        let started = Instant::now();
        let connection = client
            .get_connection_with_timeout(timeout)
            .map_err(|err| classify_within(&err, &target, timeout))?;
        Ok(Session {
            connection,
            started,
            deadline: started + timeout,
            timeout,
            target,
            lost: None,
        })
    }

    /// Sends `cmd` (a command or a pipeline) and waits only for what is left
    /// of the whole exchange.
    fn raw<T: redis::FromRedisValue>(&mut self, cmd: &impl Request) -> redis::RedisResult<T> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into());
        }
        self.connection.set_read_timeout(Some(left))?;
        self.connection.set_write_timeout(Some(left))?;
        cmd.send(&mut self.connection)
    }

    /// The answer to `cmd` as the type asked for, or the classified error.
    fn query<T: redis::FromRedisValue>(&mut self, cmd: &impl Request) -> Result<T, RedisError> {
        if let Some(lost) = &self.lost {
            return Err(lost.clone());
        }
        self.raw(cmd).map_err(|err| {
            let error = self.classify(&err);
            if err.is_io_error() || err.is_connection_dropped() || err.is_timeout() {
                self.lost = Some(error.clone());
            }
            error
        })
    }

    fn classify(&self, err: &redis::RedisError) -> RedisError {
        classify_within(err, &self.target, self.timeout)
    }
}

/// A timeout says the limit; anything else as [`RedisError::classify`] says.
fn classify_within(err: &redis::RedisError, target: &str, timeout: Duration) -> RedisError {
    if err.is_timeout() {
        RedisError {
            failure: Failure::Timeout,
            target: target.to_owned(),
            message: format!("no answer within {}", human_duration(timeout)),
        }
    } else {
        RedisError::classify(err, target)
    }
}

fn exchange(url: &str, timeout: Duration) -> Result<ServerInfo, RedisError> {
    let mut session = Session::open(url, timeout)?;
    Ok(ping_and_info(&mut session)?.0)
}

/// PING (its round trip is the latency), INFO and what INFO lacks from
/// CONFIG; with INFO's text, for readers of more of its fields.
fn ping_and_info(session: &mut Session) -> Result<(ServerInfo, String), RedisError> {
    let pong = session.raw::<redis::Value>(&redis::cmd("PING"));
    let latency = session.started.elapsed();
    let refused_ping = match pong {
        Ok(pong) => {
            let pong: String = value(Ok(pong), &session.target)?;
            if pong != "PONG" {
                return Err(RedisError {
                    failure: Failure::Other,
                    target: session.target.clone(),
                    message: format!("PING answered {pong:?}"),
                });
            }
            None
        }
        // It answers, refusing writes: INFO still tells why.
        Err(err) if err.code() == Some("MISCONF") => {
            Some(err.detail().unwrap_or("MISCONF").to_owned())
        }
        Err(err) => return Err(session.classify(&err)),
    };
    let text: String = session.query(&redis::cmd("INFO")).map_err(|mut error| {
        if let Failure::NoPermission { pinged, .. } = &mut error.failure {
            *pinged = refused_ping.is_none();
        }
        error
    })?;
    let mut info = parse_info(&text);
    info.latency = latency;
    info.refused_ping = refused_ping;
    if info.rdb_last_bgsave_status == "err" {
        // Renamed away or not allowed by the ACL: the hint says how to look.
        let dir: Result<Vec<String>, _> = session.query(redis::cmd("CONFIG").arg("GET").arg("dir"));
        info.dir = dir.ok().and_then(|pair| pair.get(1).cloned());
    }
    if info.maxclients.is_none() {
        // INFO has maxclients since Redis 7; older servers say it in CONFIG,
        // which may be renamed away: then the clients check says so.
        let config: Result<Vec<String>, _> =
            session.query(redis::cmd("CONFIG").arg("GET").arg("maxclients"));
        info.maxclients = config.ok().and_then(|pair| pair.get(1)?.parse().ok());
    }
    Ok((info, text))
}

/// A command's answer as the type asked for.
fn value<T: redis::FromRedisValue>(
    answer: Result<redis::Value, RedisError>,
    target: &str,
) -> Result<T, RedisError> {
    redis::from_redis_value(answer?).map_err(|err| RedisError::classify(&err.into(), target))
}

/// INFO's `name:value` lines.
fn info_fields(text: &str) -> HashMap<&str, &str> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.trim_end().split_once(':'))
        .collect()
}

fn parse_info(text: &str) -> ServerInfo {
    let fields = info_fields(text);
    let number = |key: &str| {
        fields
            .get(key)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let text = |key: &str| fields.get(key).map(|v| (*v).to_owned()).unwrap_or_default();
    ServerInfo {
        latency: Duration::ZERO,
        version: text("redis_version"),
        role: text("role"),
        used_memory: number("used_memory"),
        maxmemory: number("maxmemory"),
        maxmemory_policy: text("maxmemory_policy"),
        connected_clients: number("connected_clients"),
        maxclients: fields.get("maxclients").and_then(|v| v.parse().ok()),
        rejected_connections: number("rejected_connections"),
        evicted_keys: number("evicted_keys"),
        rdb_last_bgsave_status: text("rdb_last_bgsave_status"),
        rdb_last_save_time: fields
            .get("rdb_last_save_time")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        rdb_changes_since_last_save: number("rdb_changes_since_last_save"),
        aof_enabled: number("aof_enabled") == 1,
        aof_last_write_status: text("aof_last_write_status"),
        refused_ping: None,
        dir: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_fields_are_parsed() {
        let info = parse_info(
            "# Server\r\nredis_version:7.0.15\r\n# Clients\r\nconnected_clients:3\r\nmaxclients:10000\r\n\
             # Memory\r\nused_memory:964272\r\nmaxmemory:0\r\n# Persistence\r\nrdb_last_bgsave_status:err\r\n\
             aof_enabled:1\r\n# Stats\r\nrejected_connections:7\r\n",
        );
        assert_eq!(info.version, "7.0.15");
        assert_eq!(info.connected_clients, 3);
        assert_eq!(info.maxclients, Some(10_000));
        assert_eq!(info.used_memory, 964_272);
        assert_eq!(info.rdb_last_bgsave_status, "err");
        assert!(info.aof_enabled);
        assert_eq!(info.rejected_connections, 7);
    }

    #[test]
    fn cli_arguments_from_urls() {
        assert_eq!(
            cli_args("redis://:***@10.0.0.5:6380/0"),
            "-h 10.0.0.5 -p 6380"
        );
        assert_eq!(cli_args("redis://localhost"), "-h localhost -p 6379");
        assert_eq!(cli_args("redis://[::1]:6380"), "-h ::1 -p 6380");
    }
}
