//! Throwaway S3-compatible servers: `s3s-fs` (a real S3 server from the
//! s3s project, checking SigV4 signatures against one access key) on a free
//! port, storing objects as files under a temporary folder. `.ci/run`
//! installs it with `cargo install s3s-fs`.
//!
//! The tests reach into `root` to do what a broken or hostile store does:
//! alter or truncate an object, plant a lock of another host.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::command::{Maint, free_port, wait_for};

pub(crate) const ACCESS_KEY: &str = "AKIAMAINTTEST";
pub(crate) const SECRET_KEY: &str = "maint-test-secret-key-b6f1c2";

pub(crate) struct S3 {
    pub(crate) port: u16,
    child: Option<Child>,
    dir: TempDir,
}

/// Where s3s-fs is: on PATH, else where `cargo install` puts it.
fn binary() -> PathBuf {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin/s3s-fs"));
    match cargo_bin {
        Some(path) if path.is_file() => path,
        _ => PathBuf::from("s3s-fs"),
    }
}

impl S3 {
    /// A server of the test's own with one bucket, `backups`.
    pub(crate) fn start() -> S3 {
        let dir = tempfile::Builder::new()
            .prefix("maint-s3-")
            .tempdir()
            .expect("temporary folder for the S3 server");
        std::fs::create_dir_all(dir.path().join("backups")).unwrap();
        let mut server = S3 {
            port: 0,
            child: None,
            dir,
        };
        server.restart();
        server
    }

    /// Starts (again) on a new port, with the same objects.
    pub(crate) fn restart(&mut self) {
        self.stop();
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(binary())
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(self.dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("s3s-fs is needed: cargo install s3s-fs --features binary");
            let up = wait_for(Duration::from_secs(10), || {
                matches!(child.try_wait(), Ok(None))
                    && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            });
            if up {
                self.port = port;
                self.child = Some(child);
                return;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("s3s-fs did not start");
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The folder an object `s3://backups/KEY` is stored in, as a file.
    pub(crate) fn object(&self, key: &str) -> PathBuf {
        self.dir.path().join("backups").join(key)
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A maint run with this server's endpoint and credentials in its environment.
    pub(crate) fn maint(&self, maint: Maint) -> Maint {
        maint
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_ENDPOINT_URL", self.endpoint())
    }

    /// The AWS CLI, as an independent client, against this server.
    pub(crate) fn aws(&self, args: &[&str]) -> std::process::Output {
        // --endpoint-url, not AWS_ENDPOINT_URL: older AWS CLIs (Debian's
        // 2.9) read only the flag.
        Command::new("aws")
            .arg("--endpoint-url")
            .arg(self.endpoint())
            .args(args)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .expect("the AWS CLI is needed: apt-get install awscli")
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        self.stop();
    }
}
