//! PostgreSQL: where to connect, filled in the way libpq fills it (URL, then
//! the `PG*` variables, then `~/.pgpass`; the `postgres` crate reads none of
//! these), connection errors sorted into what an operator can act on, and
//! what a health check asks the server.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use postgres::config::Host;
use postgres::error::SqlState;
use postgres::{Client, NoTls};

/// Where and as whom to connect, with a form of it that is safe to show.
#[derive(Clone)]
pub struct Target {
    pub config: postgres::Config,
    /// `postgres://user@host:port/db`, never with the password.
    pub display: String,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

impl Target {
    /// Builds the target from an optional URL (or `key=value` string) and
    /// the environment; `default_timeout` applies unless the URL or
    /// `PGCONNECT_TIMEOUT` sets one.
    pub fn resolve(url: Option<&str>, default_timeout: Duration) -> Result<Target, String> {
        let mut config: postgres::Config = match url {
            Some(url) => url.parse().map_err(|err| {
                format!(
                    "invalid PostgreSQL URL {:?}: {err}",
                    crate::redact::url(url)
                )
            })?,
            None => postgres::Config::new(),
        };
        if config.get_hosts().is_empty() {
            let hosts = env("PGHOST").map_or_else(default_hosts, |list| {
                list.split(',').map(str::to_owned).collect()
            });
            for host in hosts {
                if host.starts_with('/') {
                    config.host_path(host);
                } else {
                    config.host(&host);
                }
            }
        }
        if config.get_ports().is_empty()
            && let Some(port) = env("PGPORT")
        {
            let port = port
                .parse()
                .map_err(|_| format!("PGPORT={port:?} is not a port number"))?;
            config.port(port);
        }
        if config.get_user().is_none() {
            let user = env("PGUSER")
                .or_else(os_user)
                .unwrap_or_else(|| "postgres".to_owned());
            config.user(&user);
        }
        if config.get_dbname().is_none()
            && let Some(db) = env("PGDATABASE")
        {
            config.dbname(&db);
        }
        if config.get_password().is_none() {
            if let Some(password) = env("PGPASSWORD") {
                config.password(password);
            } else if let Some(password) = pgpass_lookup(&config) {
                config.password(password);
            }
        }
        if config.get_connect_timeout().is_none() {
            let timeout = env("PGCONNECT_TIMEOUT")
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|s| *s > 0)
                .map_or(default_timeout, Duration::from_secs);
            config.connect_timeout(timeout);
        }
        if config.get_application_name().is_none() {
            let name = env("PGAPPNAME").unwrap_or_else(|| "maint".to_owned());
            config.application_name(&name);
        }
        let display = display(&config);
        Ok(Target { config, display })
    }

    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or("postgres")
    }

    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_else(|| self.user())
    }

    pub fn connect_timeout(&self) -> Duration {
        self.config
            .get_connect_timeout()
            .copied()
            .unwrap_or(Duration::from_secs(5))
    }

    /// Connects and authenticates, returning the client and how long it took.
    pub fn connect(&self) -> Result<(Client, Duration), PgError> {
        let started = Instant::now();
        let client = self
            .config
            .connect(NoTls)
            .map_err(|err| PgError::classify(&err, self))?;
        Ok((client, started.elapsed()))
    }
}

/// libpq's default is the local socket folder; Debian's, then the upstream one.
fn default_hosts() -> Vec<String> {
    let mut hosts: Vec<String> = ["/var/run/postgresql", "/tmp"]
        .into_iter()
        .filter(|dir| Path::new(dir).is_dir())
        .take(1)
        .map(str::to_owned)
        .collect();
    hosts.push("localhost".to_owned());
    hosts
}

fn os_user() -> Option<String> {
    if let Some(user) = env("USER").or_else(|| env("LOGNAME")) {
        return Some(user);
    }
    let uid = rustix::process::getuid().as_raw();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.get(2)?.parse::<u32>().ok()? == uid).then(|| fields[0].to_owned())
    })
}

fn host_text(host: &Host) -> String {
    match host {
        Host::Tcp(name) => name.clone(),
        Host::Unix(path) => path.display().to_string(),
    }
}

fn display(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(host_text)
        .unwrap_or_else(|| "localhost".to_owned());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or(user);
    if host.starts_with('/') {
        format!("postgres://{user}@/{db}?host={host}&port={port}")
    } else {
        format!("postgres://{user}@{host}:{port}/{db}")
    }
}

fn pgpass_path() -> Option<PathBuf> {
    env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".pgpass")))
}

/// The password `~/.pgpass` (or `$PGPASSFILE`) holds for this target. Like
/// libpq, a file that others can read is ignored.
fn pgpass_lookup(config: &postgres::Config) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let path = pgpass_path()?;
    let metadata = std::fs::metadata(&path).ok()?;
    if metadata.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first() {
        // libpq: "localhost" in the file matches Unix-socket connections.
        Some(Host::Unix(_)) | None => "localhost".to_owned(),
        Some(Host::Tcp(name)) => name.clone(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or(user);
    pgpass_find(&text, [&host, &port, db, user])
}

fn pgpass_find(text: &str, wanted: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
        .find_map(|line| {
            let fields = pgpass_fields(line);
            if fields.len() < 5 {
                return None;
            }
            let matches = wanted
                .iter()
                .zip(&fields)
                .all(|(want, field)| field == "*" || field == want);
            matches.then(|| fields[4..].join(":"))
        })
}

/// Splits a pgpass line on unescaped `:`; `\:` and `\\` stand for themselves.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("never empty").push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

/// Why a connection failed, in the terms an operator acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    Refused,
    Timeout,
    Dns,
    /// Up, but the credentials were refused (or none were given and one is needed).
    Auth,
    NoDatabase,
    /// Starting up, shutting down or in recovery without hot standby.
    NotReady,
    TooManyConnections,
    Other,
}

#[derive(Clone, Debug, thiserror::Error)]
#[error("PostgreSQL at {target}: {message}")]
pub struct PgError {
    pub failure: Failure,
    pub target: String,
    pub message: String,
    pub user: String,
}

impl PgError {
    pub fn classify(err: &postgres::Error, target: &Target) -> PgError {
        let (failure, message) = match err.code() {
            Some(code) if *code == SqlState::INVALID_PASSWORD => (
                Failure::Auth,
                format!(
                    "password authentication failed for user {:?}",
                    target.user()
                ),
            ),
            Some(code) if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                (Failure::Auth, db_message(err))
            }
            Some(code) if *code == SqlState::INVALID_CATALOG_NAME => (
                Failure::NoDatabase,
                format!("database {:?} does not exist", target.dbname()),
            ),
            Some(code) if *code == SqlState::CANNOT_CONNECT_NOW => {
                (Failure::NotReady, db_message(err))
            }
            Some(code) if *code == SqlState::TOO_MANY_CONNECTIONS => {
                (Failure::TooManyConnections, db_message(err))
            }
            Some(_) => (Failure::Other, db_message(err)),
            None => io_failure(err),
        };
        PgError {
            failure,
            target: target.display.clone(),
            message,
            user: target.user().to_owned(),
        }
    }

    pub fn hint(&self) -> String {
        let host_port = host_port(&self.target);
        match self.failure {
            Failure::Refused | Failure::Timeout => {
                format!("pg_isready {host_port}; systemctl status postgresql")
            }
            Failure::Dns => "check the host name in [postgres] url or PGHOST".to_owned(),
            Failure::Auth => format!(
                "check user {:?} and its password in [postgres] url, PGPASSWORD or ~/.pgpass (mode 0600), and pg_hba.conf",
                self.user
            ),
            Failure::NoDatabase => format!("psql {host_port} -l"),
            Failure::NotReady => "journalctl -u postgresql -n 50".to_owned(),
            Failure::TooManyConnections => format!(
                "psql {host_port} -c \"SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1,2,3 ORDER BY 4 DESC\""
            ),
            Failure::Other => format!("pg_isready {host_port}"),
        }
    }
}

fn host_port(display: &str) -> String {
    match url::Url::parse(display) {
        Ok(url) => {
            let query = |key: &str| {
                url.query_pairs()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.into_owned())
            };
            let host = query("host")
                .or_else(|| url.host_str().filter(|h| !h.is_empty()).map(str::to_owned))
                .unwrap_or_else(|| "localhost".to_owned());
            let port = query("port")
                .and_then(|p| p.parse().ok())
                .or(url.port())
                .unwrap_or(5432);
            format!("-h {host} -p {port}")
        }
        Err(_) => String::new(),
    }
}

fn db_message(err: &postgres::Error) -> String {
    err.as_db_error()
        .map(|db| db.message().to_owned())
        .unwrap_or_else(|| err.to_string())
}

fn io_failure(err: &postgres::Error) -> (Failure, String) {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => (
                    Failure::Refused,
                    "connection refused: is the server running and listening there?".to_owned(),
                ),
                std::io::ErrorKind::TimedOut => (
                    Failure::Timeout,
                    "no answer before the connect timeout".to_owned(),
                ),
                std::io::ErrorKind::NotFound => (
                    Failure::Refused,
                    "no server socket there: is the server running?".to_owned(),
                ),
                _ if io.to_string().contains("lookup address") => {
                    (Failure::Dns, "cannot resolve the host name".to_owned())
                }
                _ => (Failure::Other, io.to_string()),
            };
        }
        source = cause.source();
    }
    // The crate's own errors put the detail in their source: "invalid configuration" / "password missing".
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if text.contains("password missing") {
        (
            Failure::Auth,
            "the server asks for a password and none was given".to_owned(),
        )
    } else {
        (Failure::Other, text)
    }
}

/// What `maint health` asks a PostgreSQL server.
#[derive(Clone, Debug)]
pub struct ServerHealth {
    pub version: String,
    pub in_recovery: bool,
    pub connections: i64,
    pub max_connections: i64,
    pub reserved_connections: i64,
    pub oldest_transaction: Option<OldestTransaction>,
}

#[derive(Clone, Debug)]
pub struct OldestTransaction {
    pub pid: i32,
    pub age: Duration,
    pub state: String,
}

pub fn server_health(client: &mut Client) -> Result<ServerHealth, postgres::Error> {
    // The plainest possible query first, as an application's pool would run it.
    client.simple_query("SELECT 1")?;
    let row = client.query_one(
        "SELECT current_setting('server_version'),
                pg_is_in_recovery(),
                current_setting('max_connections')::int8,
                current_setting('superuser_reserved_connections')::int8,
                (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                oldest.pid,
                oldest.state,
                EXTRACT(EPOCH FROM clock_timestamp() - oldest.xact_start)::float8
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (
             SELECT pid, coalesce(state, '') AS state, xact_start
             FROM pg_stat_activity
             WHERE xact_start IS NOT NULL
               AND pid <> pg_backend_pid()
               AND backend_type = 'client backend'
             ORDER BY xact_start
             LIMIT 1
         ) AS oldest ON true",
        &[],
    )?;
    let oldest_pid: Option<i32> = row.get(5);
    let oldest_transaction = oldest_pid.map(|pid| OldestTransaction {
        pid,
        state: row.get(6),
        age: Duration::from_secs_f64(row.get::<_, f64>(7).max(0.0)),
    });
    Ok(ServerHealth {
        version: row.get(0),
        in_recovery: row.get(1),
        max_connections: row.get(2),
        reserved_connections: row.get(3),
        connections: row.get(4),
        oldest_transaction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_matches_with_wildcards_and_escapes() {
        let file = "# comment\n\
                    db.internal:5432:app:app:first\n\
                    *:*:*:admin:pa\\:ss:word\n";
        assert_eq!(
            pgpass_find(file, ["db.internal", "5432", "app", "app"]),
            Some("first".to_owned())
        );
        assert_eq!(
            pgpass_find(file, ["other", "6000", "x", "admin"]),
            Some("pa:ss:word".to_owned())
        );
        assert_eq!(pgpass_find(file, ["other", "5432", "app", "app"]), None);
    }

    #[test]
    fn display_never_holds_the_password() {
        let target = Target::resolve(
            Some("postgres://app:hunter2@db.internal:6543/appdb"),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(target.display, "postgres://app@db.internal:6543/appdb");
        assert_eq!(host_port(&target.display), "-h db.internal -p 6543");
    }
}
