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
