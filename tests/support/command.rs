//! Runs the `maint` binary hermetically: in a fresh temporary folder, with
//! an environment holding nothing of the developer's (no MAINT_*, PG*,
//! REDIS_URL, NO_COLOR, HOME or XDG_* leaks in), and checks of the exit
//! code, stdout and stderr that print everything when they fail.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_maint");

pub(crate) struct Maint {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    dir: TempDir,
    /// Where maint runs, when not in `dir`.
    cwd: Option<PathBuf>,
}

/// A `maint` invocation in a new temporary working folder.
pub(crate) fn maint() -> Maint {
    Maint {
        args: Vec::new(),
        env: Vec::new(),
        cwd: None,
        dir: tempfile::Builder::new()
            .prefix("maint-test-")
            .tempdir()
            .expect("create a temporary folder"),
    }
}

/// A private mount namespace for what a test mounts, so other tests never see it.
const PRIVATE_MOUNTS: &[&str] = &["unshare", "--mount", "--propagation", "private"];

impl Maint {
    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The arguments given so far.
    pub(crate) fn arguments(&self) -> Vec<OsString> {
        self.args.clone()
    }

    pub(crate) fn arg(self, arg: impl Into<OsString>) -> Self {
        self.args([arg])
    }

    /// `--format json`: the output most tests read, through [`Output::check`].
    pub(crate) fn json(self) -> Self {
        self.args(["--format", "json"])
    }

    pub(crate) fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Writes `./maint.toml`, which the binary finds first.
    pub(crate) fn config(self, text: &str) -> Self {
        self.file("maint.toml", text)
    }

    /// Writes a file relative to the working folder.
    pub(crate) fn file(self, name: &str, contents: &str) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent folder");
        }
        std::fs::write(&path, contents).expect("write test file");
        self
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The command as it will run, for tests that need to drive it themselves.
    pub(crate) fn command(&self) -> Command {
        let runtime = self.dir.path().join(".run");
        std::fs::create_dir_all(&runtime).expect("create the runtime folder");
        let mut command = Command::new(BIN);
        command
            .args(&self.args)
            .current_dir(self.cwd.as_deref().unwrap_or(self.dir.path()))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            // HOME and XDG point inside the test folder so ~/.pgpass and
            // ~/.config/maint/maint.toml are the test's own.
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join(".config"))
            // Records of helpers stuck on a hung mount stay with the test.
            .env("XDG_RUNTIME_DIR", &runtime)
            // The history every check run records stays with the test too
            // (as root the default would be /var/lib/maint).
            .env("MAINT_HISTORY_PATH", runtime.join("history.db"))
            // So are cached CRLs and OCSP answers (root's is /var/cache/maint).
            .env("MAINT_CACHE_DIR", runtime.join("cache"))
            .env("LC_ALL", "C");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    pub(crate) fn run(self) -> Output {
        self.run_via(&[])
    }

    /// Runs in `dir` instead of the temporary working folder.
    pub(crate) fn run_in(mut self, dir: &Path) -> Output {
        self.cwd = Some(dir.to_path_buf());
        self.run()
    }

    /// Runs maint from `sh -c SCRIPT` (which runs it as "$@") inside a
    /// private mount namespace, so the script may mount what the test needs.
    pub(crate) fn run_in_private_mounts(self, script: &str) -> Output {
        self.run_via(&[PRIVATE_MOUNTS, &["sh", "-c", script, "sh"]].concat())
    }

    /// Runs maint with a FUSE filesystem that never answers mounted at
    /// `point`, in a private mount namespace (`tests/fixtures/hung-mount.sh`):
    /// `body` is shell run there with maint as "$@"; it sets `code`, the
    /// exit status of the whole.
    pub(crate) fn run_with_hung_mount(self, point: &str, body: &str) -> Output {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hung-mount.sh");
        self.run_via(&[PRIVATE_MOUNTS, &["sh", fixture, point, body]].concat())
    }

    /// Runs `wrapper... maint args...` with the same scrubbed environment
    /// (for example inside `unshare`).
    pub(crate) fn run_via(self, wrapper: &[&str]) -> Output {
        let started = Instant::now();
        let mut command = self.command();
        if let Some((program, rest)) = wrapper.split_first() {
            let inner = command;
            command = Command::new(program);
            command
                .args(rest)
                .arg(inner.get_program())
                .args(inner.get_args())
                .current_dir(self.cwd.as_deref().unwrap_or(self.dir.path()))
                .env_clear()
                .envs(inner.get_envs().filter_map(|(k, v)| Some((k, v?))));
        }
        let output = command
            .stdin(Stdio::null())
            .output()
            .expect("run the maint binary");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: started.elapsed(),
            command: format!(
                "maint {}",
                self.args
                    .iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            dir: self.dir,
        }
    }
}

pub(crate) struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub command: String,
    pub dir: TempDir,
}

impl Output {
    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n--- command: {}\n--- exit code: {}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }

    pub(crate) fn code(&self, expected: i32) -> &Self {
        if self.code != expected {
            self.fail(&format!("expected exit code {expected}"));
        }
        self
    }

    pub(crate) fn stdout_is(&self, expected: &str) -> &Self {
        if self.stdout != expected {
            self.fail(&format!("stdout differs from:\n{expected}"));
        }
        self
    }

    pub(crate) fn stderr_is(&self, expected: &str) -> &Self {
        if self.stderr != expected {
            self.fail(&format!("stderr differs from:\n{expected}"));
        }
        self
    }

    pub(crate) fn stdout_has(&self, needle: &str) -> &Self {
        if !self.stdout.contains(needle) {
            self.fail(&format!("stdout lacks {needle:?}"));
        }
        self
    }

    pub(crate) fn stderr_has(&self, needle: &str) -> &Self {
        if !self.stderr.contains(needle) {
            self.fail(&format!("stderr lacks {needle:?}"));
        }
        self
    }

    /// The error contract: exactly one line on stderr, starting `maint: error:`.
    pub(crate) fn one_error_line(&self, needle: &str) -> &Self {
        let lines: Vec<&str> = self.stderr.lines().collect();
        if lines.len() != 1 || !lines[0].starts_with("maint: error: ") {
            self.fail("expected exactly one `maint: error:` line on stderr");
        }
        self.stderr_has(needle)
    }

    pub(crate) fn nowhere(&self, secret: &str) -> &Self {
        if self.stdout.contains(secret) || self.stderr.contains(secret) {
            self.fail(&format!("{secret:?} leaked into the output"));
        }
        self
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| self.fail(&format!("stdout is not JSON: {err}")))
    }

    /// The check named `name` in a JSON report.
    pub(crate) fn check(&self, name: &str) -> serde_json::Value {
        let json = self.json();
        json["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["name"] == name).cloned())
            .unwrap_or_else(|| self.fail(&format!("no check named {name:?}")))
    }

    pub(crate) fn check_names(&self) -> Vec<String> {
        self.json()["checks"]
            .as_array()
            .map(|checks| {
                checks
                    .iter()
                    .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A port nothing listens on (bound, read, released).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("find a free port")
}

/// Waits until `ready` holds or `limit` passes.
pub(crate) fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    ready()
}

/// Runs `program` as the unprivileged `user` when this process is root
/// (PostgreSQL refuses to run as root), and as itself otherwise.
pub(crate) fn as_user(user: &str, program: &Path) -> Command {
    if rustix::process::geteuid().is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", user, "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Starts a watchdog that runs `cleanup` (a shell snippet) once this test
/// process has exited: servers shared by all tests have no owner to stop them.
// The watchdog outlives this process by design, so nothing here can wait for it.
#[allow(clippy::zombie_processes)]
pub(crate) fn on_exit(cleanup: &str) {
    let script = format!(
        "while kill -0 {} 2>/dev/null; do sleep 0.5; done; {cleanup}",
        std::process::id()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the cleanup watchdog");
}
