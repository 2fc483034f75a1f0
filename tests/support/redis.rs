//! Throwaway Redis servers: `redis-server` on a free port, saving nothing.
//! `shared()` is one for the whole test binary, or the server named by
//! `MAINT_TEST_REDIS_URL`; `start()` makes one of the test's own, with any
//! extra settings (a password, maxmemory), stopped when dropped.

use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use tempfile::TempDir;

use super::command::{free_port, on_exit, wait_for};

pub(crate) struct Redis {
    pub port: u16,
    url: String,
    child: Option<Child>,
    _dir: Option<TempDir>,
}

pub(crate) fn shared() -> &'static Redis {
    static SHARED: OnceLock<Redis> = OnceLock::new();
    SHARED.get_or_init(|| match std::env::var("MAINT_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Redis {
            port: url::Url::parse(&url)
                .ok()
                .and_then(|u| u.port())
                .unwrap_or(6379),
            url,
            child: None,
            _dir: None,
        },
        _ => {
            let mut server = Redis::start(&[]);
            // A static is never dropped: a watchdog stops the server after the tests.
            if let Some(child) = server.child.take() {
                on_exit(&format!("kill {}", child.id()));
            }
            server
        }
    })
}

impl Redis {
    /// A server of the caller's own; `settings` are extra `--name value` pairs.
    pub(crate) fn start(settings: &[(&str, &str)]) -> Redis {
        let dir = tempfile::Builder::new()
            .prefix("maint-redis-")
            .tempdir()
            .expect("temporary folder for Redis");
        for _ in 0..5 {
            let port = free_port();
            let mut command = Command::new("redis-server");
            command
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .arg("--dir")
                .arg(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            for (name, value) in settings {
                command.arg(format!("--{name}")).arg(value);
            }
            let mut child = command
                .spawn()
                .expect("redis-server is needed: apt-get install redis-server");
            let up = wait_for(Duration::from_secs(10), || {
                matches!(child.try_wait(), Ok(None))
                    && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            });
            if up {
                return Redis {
                    port,
                    url: format!("redis://127.0.0.1:{port}"),
                    child: Some(child),
                    _dir: Some(dir),
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start");
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Runs one command as the default user, as `redis-cli` would; the
    /// server's error text when it refuses.
    pub(crate) fn command(&self, args: &[&str]) -> Result<redis::Value, String> {
        let client = redis::Client::open(self.url.as_str()).map_err(|e| e.to_string())?;
        let mut connection = client.get_connection().map_err(|e| e.to_string())?;
        let (name, rest) = args.split_first().expect("a command");
        redis::cmd(name)
            .arg(rest)
            .query(&mut connection)
            .map_err(|e| e.to_string())
    }

    /// Makes its background saves fail, and waits until one has: `dir` is
    /// set to a folder then removed under it (no permission can help, not
    /// even root's), with save points, so writes (and PING) are refused
    /// (stop-writes-on-bgsave-error). `dir` is a protected setting since
    /// Redis 7: start the server with `enable-protected-configs yes`.
    pub(crate) fn fail_a_save(&self) {
        let folder = tempfile::tempdir().expect("temporary folder");
        let gone = folder.path().join("gone");
        std::fs::create_dir(&gone).expect("create the save folder");
        self.command(&["CONFIG", "SET", "dir", &gone.display().to_string()])
            .expect("CONFIG SET dir");
        self.command(&["CONFIG", "SET", "save", "3600 1"])
            .expect("CONFIG SET save");
        std::fs::remove_dir(&gone).expect("remove the save folder");
        self.command(&["BGSAVE"]).expect("BGSAVE");
        let failed = wait_for(Duration::from_secs(10), || {
            let text = self.persistence();
            text.contains("rdb_bgsave_in_progress:0") && text.contains("rdb_last_bgsave_status:err")
        });
        assert!(failed, "the save never failed: {}", self.persistence());
    }

    /// INFO persistence, as text.
    pub(crate) fn persistence(&self) -> String {
        match self.command(&["INFO", "persistence"]) {
            Ok(redis::Value::BulkString(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(redis::Value::VerbatimString { text, .. }) => text,
            other => panic!("INFO persistence: {other:?}"),
        }
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
