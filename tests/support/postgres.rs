//! Throwaway PostgreSQL servers: initdb + pg_ctl in a temporary folder, on
//! a free port, as the `postgres` user when the tests run as root, with
//! fsync off. TCP connections need the password (scram-sha-256), so wrong
//! and missing passwords can be tested; the local socket trusts.
//!
//! `shared()` is one server for the whole test binary, or the server named
//! by `MAINT_TEST_PG_URL`. `start()` always makes a server of the test's own,
//! for tests that stop it or need password authentication.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use tempfile::TempDir;

use super::command::{as_user, free_port, on_exit, wait_for};

pub(crate) const PASSWORD: &str = "throwaway-pg-secret-4711";

pub(crate) struct Postgres {
    pub port: u16,
    url: String,
    /// None for an external server named by MAINT_TEST_PG_URL.
    local: Option<Local>,
}

struct Local {
    bin: PathBuf,
    data: PathBuf,
    dir: Option<TempDir>,
}

/// The server all tests may share; do not stop it or change its settings.
pub(crate) fn shared() -> &'static Postgres {
    static SHARED: OnceLock<Postgres> = OnceLock::new();
    SHARED.get_or_init(|| match std::env::var("MAINT_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => {
            let port = url::Url::parse(&url)
                .ok()
                .and_then(|u| u.port())
                .unwrap_or(5432);
            Postgres {
                port,
                url,
                local: None,
            }
        }
        _ => {
            let mut server = Postgres::start();
            let local = server.local.as_mut().expect("a started server is local");
            // A static is never dropped: a watchdog stops the server after the tests.
            let dir = local
                .dir
                .take()
                .expect("fresh server owns its folder")
                .keep();
            on_exit(&format!(
                "{} -D {} stop -m immediate >/dev/null 2>&1; rm -rf {}",
                stop_prefix(&local.bin),
                local.data.display(),
                dir.display()
            ));
            server
        }
    })
}

fn stop_prefix(bin: &Path) -> String {
    let pg_ctl = bin.join("pg_ctl");
    if rustix::process::geteuid().is_root() {
        format!("runuser -u postgres -- {}", pg_ctl.display())
    } else {
        pg_ctl.display().to_string()
    }
}

/// The folder holding initdb and pg_ctl: on PATH, else Debian's newest.
fn bin_dir() -> PathBuf {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return std::fs::canonicalize(dir.join("initdb"))
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .unwrap_or(dir);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions
        .pop()
        .filter(|dir| dir.join("initdb").is_file())
        .expect(
            "PostgreSQL server binaries (initdb, pg_ctl) are needed: apt-get install postgresql",
        )
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("{what}: {err}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Postgres {
    /// A new server of the caller's own, stopped when dropped.
    pub(crate) fn start() -> Postgres {
        Postgres::start_with(|_| {}, &[])
    }

    /// A new server of the caller's own, with `setup` run on the fresh data
    /// folder (as root when the tests run as root: chown what you add to
    /// `postgres`) before it starts with the extra `-c name=value` options.
    pub(crate) fn start_with(setup: impl FnOnce(&Path), options: &[&str]) -> Postgres {
        let bin = bin_dir();
        let dir = owned_tempdir();
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).expect("write the password file");
        chown_to_postgres(&pwfile);
        let data = dir.path().join("data");
        run(
            as_user("postgres", &bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                ])
                .arg(format!("--pwfile={}", pwfile.display())),
            "initdb",
        );
        setup(&data);
        launch(bin, dir, data, options)
    }

    /// A hot standby of this (local) server: pg_basebackup -R from it,
    /// started on a port of its own. Read-only; stopped when dropped.
    pub(crate) fn standby(&self) -> Postgres {
        let local = self
            .local
            .as_ref()
            .expect("only a local server has a standby");
        let socket_dir = local
            .data
            .parent()
            .expect("the data folder is inside the server folder")
            .to_path_buf();
        let dir = owned_tempdir();
        let data = dir.path().join("data");
        run(
            as_user("postgres", &local.bin.join("pg_basebackup"))
                .arg("-D")
                .arg(&data)
                .arg("-h")
                .arg(&socket_dir)
                .args([
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                    "-R",
                    "-X",
                    "stream",
                ]),
            "pg_basebackup",
        );
        launch(local.bin.clone(), dir, data, &[])
    }

    /// The folder of the server's Unix socket (trust authentication).
    pub(crate) fn socket_dir(&self) -> Option<PathBuf> {
        let local = self.local.as_ref()?;
        local.data.parent().map(Path::to_path_buf)
    }

    /// A URL with the password, as an application would hold it.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The same server with another password (or none: `None`).
    pub(crate) fn url_with_password(&self, password: Option<&str>) -> String {
        let mut url = url::Url::parse(&self.url).expect("test URLs parse");
        url.set_password(password).expect("URL has a host");
        url.to_string()
    }

    pub(crate) fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect to the test server")
    }

    pub(crate) fn stop(&self) {
        let local = self
            .local
            .as_ref()
            .expect("only a local server can be stopped");
        let status = as_user("postgres", &local.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&local.data)
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .expect("run pg_ctl stop");
        assert!(status.status.success(), "pg_ctl stop failed");
        assert!(wait_for(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err()
        }));
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(local) = &self.local
            && local.dir.is_some()
        {
            let _ = as_user("postgres", &local.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&local.data)
                .args(["-m", "immediate", "stop"])
                .output();
        }
    }
}

fn owned_tempdir() -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("maint-pg-")
        .tempdir()
        .expect("temporary folder for PostgreSQL");
    chown_to_postgres(dir.path());
    dir
}

/// Writes a file the server reads (a certificate, a key) into its data
/// folder: mode 0600 and owned by `postgres`, as the server insists for keys.
pub(crate) fn write_server_file(data: &Path, name: &str, contents: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    let file = data.join(name);
    std::fs::write(&file, contents).expect("write a file into the data folder");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod 0600");
    chown_to_postgres(&file);
}

/// Gives a file or folder to the `postgres` user when the tests run as root.
pub(crate) fn chown_to_postgres(path: &Path) {
    if rustix::process::geteuid().is_root() {
        let (uid, gid) = postgres_ids();
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown to postgres");
    }
}

/// Starts the server in `data` on a free port, trying a few ports.
fn launch(bin: PathBuf, dir: TempDir, data: PathBuf, extra: &[&str]) -> Postgres {
    let mut last_error = String::new();
    for _ in 0..5 {
        let port = free_port();
        let mut options = format!(
            "-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50",
            dir.path().display()
        );
        for option in extra {
            options.push_str(" -c ");
            options.push_str(option);
        }
        let output = as_user("postgres", &bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("log"))
            .args(["-w", "-t", "30", "-o", &options, "start"])
            .output()
            .expect("run pg_ctl");
        if output.status.success() {
            return Postgres {
                port,
                url: format!("postgres://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"),
                local: Some(Local {
                    bin,
                    data,
                    dir: Some(dir),
                }),
            };
        }
        last_error = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
    }
    panic!("PostgreSQL did not start:\n{last_error}");
}

fn postgres_ids() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&"postgres"))
                .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
                .flatten()
        })
        .expect("a `postgres` user exists (apt-get install postgresql creates it)")
}
