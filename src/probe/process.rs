//! The processes running now, with what is needed to match them by name or
//! command line.

use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

/// The longest name the kernel keeps for a process (`comm`: 16 bytes with
/// the NUL); a longer name is cut to this many bytes.
const COMM_MAX: usize = 15;

#[derive(Clone, Debug)]
pub struct ProcessInfo {
    pub pid: u32,
    /// The kernel's name for it (`comm`, at most 15 bytes on Linux).
    pub name: String,
    /// The executable's file name, which is not truncated.
    pub exe_name: Option<String>,
    /// The first arguments (argv[0] and the next two): where a script run by
    /// its interpreter, or a process whose executable cannot be read, has
    /// its full name.
    pub leading_args: Vec<String>,
    pub command_line: String,
}

impl ProcessInfo {
    /// Whether this process is called `name`.
    ///
    /// The kernel cuts names to 15 bytes, so `gunicorn-worker-admin` and
    /// `gunicorn-worker-api` both show as `gunicorn-worker`. A name that
    /// long is taken from what is not cut, the executable's file name or a
    /// leading argument that begins with it (a script runs as
    /// `python3 /usr/local/bin/NAME`), and only that full name matches:
    /// never a mere shared prefix.
    pub fn is_named(&self, name: &str) -> bool {
        if self.exe_name.as_deref() == Some(name) {
            return true;
        }
        if self.name.len() < COMM_MAX {
            return self.name == name;
        }
        match self.full_name() {
            Some(full) => full == name,
            // Nothing longer is known: the kernel's name is all there is.
            None => self.name == name,
        }
    }

    /// The untruncated name behind a 15-byte `comm`, when something shows it.
    fn full_name(&self) -> Option<&str> {
        let comm = self.name.as_str();
        self.exe_name
            .as_deref()
            .filter(|exe| exe.starts_with(comm))
            .or_else(|| {
                self.leading_args
                    .iter()
                    .map(|arg| file_name(arg))
                    .find(|name| name.starts_with(comm))
            })
    }
}

/// The file name an argument names. A title set over argv[0]
/// (`setproctitle`) may hold more: its first word (`nginx: master` is nginx).
fn file_name(arg: &str) -> &str {
    let word = arg.split_whitespace().next().unwrap_or(arg);
    let word = word.strip_suffix(':').unwrap_or(word);
    word.rsplit('/').next().unwrap_or(word)
}

/// Every process but this one.
pub fn list() -> Result<Vec<ProcessInfo>, super::system::SystemError> {
    let mut system =
        System::new().map_err(|err| super::system::SystemError::new("processes", err))?;
    system.refresh_processes_specifics(
        ProcessesToUpdate::All,
        true,
        ProcessRefreshKind::nothing()
            .with_cmd(UpdateKind::Always)
            .with_exe(UpdateKind::Always),
    );
    let own = std::process::id();
    Ok(system
        .processes()
        .values()
        // Threads are listed as tasks of their process, not as processes.
        .filter(|p| p.pid().as_u32() != own && p.thread_kind().is_none())
        .map(|p| ProcessInfo {
            pid: p.pid().as_u32(),
            name: p.name().to_string_lossy().into_owned(),
            exe_name: p
                .exe()
                .and_then(|exe| exe.file_name())
                .map(|n| n.to_string_lossy().into_owned()),
            leading_args: p
                .cmd()
                .iter()
                .take(3)
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect(),
            command_line: command_line(p),
        })
        .collect())
}

/// The arguments joined by spaces, as `ps -o args` shows them.
fn command_line(process: &sysinfo::Process) -> String {
    process
        .cmd()
        .iter()
        .map(|arg| arg.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(comm: &str, exe: Option<&str>, args: &[&str]) -> ProcessInfo {
        ProcessInfo {
            pid: 1,
            name: comm.to_owned(),
            exe_name: exe.map(str::to_owned),
            leading_args: args.iter().map(|a| (*a).to_owned()).collect(),
            command_line: args.join(" "),
        }
    }

    #[test]
    fn a_truncated_name_matches_only_its_full_name() {
        let admin = process(
            "gunicorn-worker",
            Some("gunicorn-worker-admin"),
            &["/srv/bin/gunicorn-worker-admin"],
        );
        assert!(admin.is_named("gunicorn-worker-admin"));
        assert!(!admin.is_named("gunicorn-worker-api"));
        assert!(!admin.is_named("gunicorn-worker"));
        // A script: the interpreter is the executable, the script argv[1].
        let script = process(
            "gunicorn-worker",
            Some("python3.11"),
            &["/usr/bin/python3", "/srv/bin/gunicorn-worker-api", "--bind"],
        );
        assert!(script.is_named("gunicorn-worker-api"));
        assert!(!script.is_named("gunicorn-worker-admin"));
        assert!(script.is_named("python3.11"));
        // The executable unreadable (another user's): argv[0] still tells.
        let other = process("gunicorn-worker", None, &["gunicorn-worker-admin: master"]);
        assert!(other.is_named("gunicorn-worker-admin"));
        assert!(!other.is_named("gunicorn-worker-api"));
        // Nothing longer known: only the 15 bytes themselves match.
        let bare = process("exactly15bytes!", None, &[]);
        assert!(bare.is_named("exactly15bytes!"));
        assert!(!bare.is_named("exactly15bytes!-and-more"));
        // Short names are whole.
        let short = process("sleep", Some("sleep"), &["sleep", "5"]);
        assert!(short.is_named("sleep"));
        assert!(!short.is_named("slee"));
    }

    #[test]
    fn finds_a_child_by_name_and_command_line() {
        let mut child = std::process::Command::new("sleep")
            .arg("31.4159")
            .spawn()
            .unwrap();
        let processes = list().unwrap();
        let found: Vec<_> = processes
            .iter()
            .filter(|p| p.is_named("sleep") && p.command_line.contains("31.4159"))
            .collect();
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(found.len(), 1);
        assert!(!processes.iter().any(|p| p.pid == std::process::id()));
    }
}

#[derive(Clone, Debug)]
pub struct ProcessUsage {
    pub pid: u32,
    pub name: String,
    pub command_line: String,
    /// Percent of one core over the sample (may exceed 100 on several cores).
    pub cpu_percent: f64,
    pub memory_bytes: u64,
}

/// Every process with its CPU use over `sample` and its resident memory.
pub fn usage(sample: std::time::Duration) -> Result<Vec<ProcessUsage>, super::system::SystemError> {
    let kind = ProcessRefreshKind::nothing()
        .with_cpu()
        .with_memory()
        .with_cmd(UpdateKind::OnlyIfNotSet);
    let mut system =
        System::new().map_err(|err| super::system::SystemError::new("processes", err))?;
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
    std::thread::sleep(sample.max(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL));
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
    Ok(system
        .processes()
        .values()
        .filter(|p| p.thread_kind().is_none())
        .map(|p| ProcessUsage {
            pid: p.pid().as_u32(),
            name: p.name().to_string_lossy().into_owned(),
            command_line: command_line(p),
            cpu_percent: f64::from(p.cpu_usage()),
            memory_bytes: p.memory(),
        })
        .collect())
}
