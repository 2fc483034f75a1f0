//! Redis data for a backup: a fresh RDB snapshot taken the way the Redis
//! documentation says to take one. `BGSAVE`, then `LASTSAVE` polled until
//! it moves (bounded), `rdb_last_bgsave_status` checked, and the file taken
//! from the server's `dir`/`dbfilename` when the server is on this host,
//! else over the replication stream (`SYNC`), as `redis-cli --rdb` does.
//! The result must look like an RDB file (the `REDIS` magic and the end
//! marker) before it counts.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redis::IntoConnectionInfo;

/// What was taken, for the manifest and the report.
#[derive(Clone, Debug)]
pub struct Taken {
    pub bytes: u64,
    pub server_version: String,
    /// `LASTSAVE` of the snapshot (UTC seconds).
    pub saved_at: i64,
    /// "copied from /var/lib/redis/dump.rdb" or "over the replication stream".
    pub how: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RdbError {
    #[error("cannot reach Redis at {target}: {detail}")]
    Connect { target: String, detail: String },
    #[error("Redis at {target} refused {command}: {detail}")]
    Refused {
        target: String,
        command: &'static str,
        detail: String,
    },
    #[error("Redis at {target} did not finish its BGSAVE within {} s", waited.as_secs())]
    Slow { target: String, waited: Duration },
    #[error("Redis at {target} could not save: rdb_last_bgsave_status is {status}")]
    SaveFailed { target: String, status: String },
    #[error("Redis at {target}: {detail}")]
    Transfer { target: String, detail: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Takes a fresh snapshot of the server at `url` into `out` (created 0600).
/// Each exchange waits at most `timeout`; the save itself at most `wait`.
pub fn take(url: &str, out: &Path, timeout: Duration, wait: Duration) -> Result<Taken, RdbError> {
    let target = crate::redact::url(url);
    let connect = |err: redis::RedisError| RdbError::Connect {
        target: target.clone(),
        detail: err.to_string(),
    };
    let refused = |command: &'static str| {
        let target = target.clone();
        move |err: redis::RedisError| RdbError::Refused {
            target: target.clone(),
            command,
            detail: err.to_string(),
        }
    };
    let info = url.into_connection_info().map_err(connect)?;
    let client = redis::Client::open(info.clone()).map_err(connect)?;
    let mut connection = client
        .get_connection_with_timeout(timeout)
        .map_err(connect)?;
    connection
        .set_read_timeout(Some(timeout))
        .map_err(connect)?;
    connection
        .set_write_timeout(Some(timeout))
        .map_err(connect)?;
    let server: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut connection)
        .map_err(refused("INFO"))?;
    let server_version = field(&server, "redis_version").unwrap_or_default();

    let before: i64 = redis::cmd("LASTSAVE")
        .query(&mut connection)
        .map_err(refused("LASTSAVE"))?;
    // LASTSAVE counts seconds: a save finished this very second would hide
    // the next one. Start in a later second.
    while chrono::Utc::now().timestamp() <= before {
        std::thread::sleep(Duration::from_millis(100));
    }
    match redis::cmd("BGSAVE").query::<redis::Value>(&mut connection) {
        Ok(_) => {}
        // One already running gives a snapshot at least as new.
        Err(err) if err.to_string().contains("in progress") => {}
        Err(err) => return Err(refused("BGSAVE")(err)),
    }
    let clock = Instant::now();
    let saved_at = loop {
        std::thread::sleep(Duration::from_millis(200));
        let now: i64 = redis::cmd("LASTSAVE")
            .query(&mut connection)
            .map_err(refused("LASTSAVE"))?;
        if now > before {
            break now;
        }
        if clock.elapsed() > wait {
            return Err(RdbError::Slow {
                target,
                waited: wait,
            });
        }
    };
    let persistence: String = redis::cmd("INFO")
        .arg("persistence")
        .query(&mut connection)
        .map_err(refused("INFO"))?;
    let status = field(&persistence, "rdb_last_bgsave_status").unwrap_or_default();
    if status != "ok" {
        return Err(RdbError::SaveFailed { target, status });
    }

    let local_file = if is_local(info.addr()) {
        server_file(&mut connection)
    } else {
        None
    };
    let write_error = |source| RdbError::Write {
        path: out.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .map_err(write_error)?;
    let how = if let Some(path) = local_file {
        let mut source = std::fs::File::open(&path).map_err(|err| RdbError::Transfer {
            target: target.clone(),
            detail: format!("cannot read {}: {err}", path.display()),
        })?;
        std::io::copy(&mut source, &mut file).map_err(write_error)?;
        format!("copied from {}", path.display())
    } else {
        replicate(&info, &mut file, timeout).map_err(|detail| RdbError::Transfer {
            target: target.clone(),
            detail,
        })?;
        "over the replication stream (SYNC)".to_owned()
    };
    file.sync_all().map_err(write_error)?;
    drop(file);
    let bytes = check_rdb(out).map_err(|detail| RdbError::Transfer {
        target: target.clone(),
        detail,
    })?;
    Ok(Taken {
        bytes,
        server_version,
        saved_at,
        how,
    })
}

fn field(info: &str, name: &str) -> Option<String> {
    info.lines().find_map(|line| {
        let (key, value) = line.trim().split_once(':')?;
        (key == name).then(|| value.trim().to_owned())
    })
}

fn is_local(addr: &redis::ConnectionAddr) -> bool {
    match addr {
        redis::ConnectionAddr::Unix(_) => true,
        redis::ConnectionAddr::Tcp(host, _) | redis::ConnectionAddr::TcpTls { host, .. } => {
            matches!(host.as_str(), "127.0.0.1" | "localhost" | "::1" | "[::1]")
        }
        _ => false,
    }
}

/// The server's RDB file, when `CONFIG GET` is allowed and the file is readable here.
fn server_file(connection: &mut redis::Connection) -> Option<PathBuf> {
    let get = |connection: &mut redis::Connection, key: &str| -> Option<String> {
        let pair: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(key)
            .query(connection)
            .ok()?;
        pair.get(1).cloned()
    };
    let dir = get(connection, "dir")?;
    let name = get(connection, "dbfilename")?;
    let path = Path::new(&dir).join(name);
    std::fs::File::open(&path).ok().map(|_| path)
}

/// Reads the RDB the server sends a replica after `SYNC` into `out`.
fn replicate(
    info: &redis::ConnectionInfo,
    out: &mut std::fs::File,
    timeout: Duration,
) -> Result<(), String> {
    let stream: Box<dyn ReadWrite> = match info.addr() {
        redis::ConnectionAddr::Tcp(host, port) => {
            let stream = std::net::TcpStream::connect((host.as_str(), *port))
                .map_err(|err| format!("cannot connect for SYNC: {err}"))?;
            stream
                .set_read_timeout(Some(timeout))
                .map_err(|e| e.to_string())?;
            stream
                .set_write_timeout(Some(timeout))
                .map_err(|e| e.to_string())?;
            Box::new(stream)
        }
        redis::ConnectionAddr::Unix(path) => {
            let stream = std::os::unix::net::UnixStream::connect(path)
                .map_err(|err| format!("cannot connect for SYNC: {err}"))?;
            stream
                .set_read_timeout(Some(timeout))
                .map_err(|e| e.to_string())?;
            stream
                .set_write_timeout(Some(timeout))
                .map_err(|e| e.to_string())?;
            Box::new(stream)
        }
        _ => {
            return Err(
                "the RDB of a server reached over TLS is copied only from its file on this host; run the backup there"
                    .to_owned(),
            );
        }
    };
    let mut stream = BufReader::new(stream);
    let settings = info.redis_settings();
    if let Some(password) = settings.password() {
        let mut command = vec!["AUTH"];
        if let Some(user) = settings.username() {
            command.push(user);
        }
        command.push(password);
        send(stream.get_mut(), &command)?;
        let mut line = String::new();
        stream.read_line(&mut line).map_err(|e| e.to_string())?;
        if !line.starts_with("+OK") {
            return Err("AUTH was refused for SYNC".to_owned());
        }
    }
    send(stream.get_mut(), &["SYNC"])?;
    // Newlines keep the link alive while the server saves; then `$LEN`.
    let length = loop {
        let mut line = String::new();
        if stream.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("the server closed the replication link".to_owned());
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(error) = line.strip_prefix('-') {
            return Err(format!("SYNC was refused: {error}"));
        }
        match line.strip_prefix('$').and_then(|n| n.parse::<u64>().ok()) {
            Some(length) => break length,
            None => return Err(format!("unexpected answer to SYNC: {line:?}")),
        }
    };
    let copied = std::io::copy(&mut (&mut stream).take(length), out).map_err(|e| e.to_string())?;
    if copied != length {
        return Err(format!(
            "the replication stream ended after {copied} of {length} bytes"
        ));
    }
    Ok(())
}

trait ReadWrite: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWrite for T {}

fn send(stream: &mut dyn ReadWrite, words: &[&str]) -> Result<(), String> {
    use std::fmt::Write as _;
    let mut command = format!("*{}\r\n", words.len());
    for word in words {
        let _ = write!(command, "${}\r\n{word}\r\n", word.len());
    }
    stream
        .write_all(command.as_bytes())
        .map_err(|e| e.to_string())
}

/// The file's size if it looks like a whole RDB: the magic, then the end
/// marker before the 8-byte checksum.
fn check_rdb(path: &Path) -> Result<u64, String> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    let mut magic = [0u8; 5];
    if size < 18 || file.read_exact(&mut magic).is_err() || &magic != b"REDIS" {
        return Err("what the server sent is not an RDB file".to_owned());
    }
    let mut end = [0u8; 1];
    file.seek(SeekFrom::Start(size - 9))
        .and_then(|_| file.read_exact(&mut end))
        .map_err(|e| e.to_string())?;
    if end[0] != 0xFF {
        return Err("the RDB file is cut short (no end marker)".to_owned());
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_fields_are_read_by_name() {
        let info = "# Persistence\r\nrdb_bgsave_in_progress:0\r\nrdb_last_bgsave_status:ok\r\n";
        assert_eq!(field(info, "rdb_last_bgsave_status").as_deref(), Some("ok"));
        assert_eq!(field(info, "missing"), None);
    }
}
