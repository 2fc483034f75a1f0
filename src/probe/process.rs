//! The processes running now, with what is needed to match them by name or
//! command line.

use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

#[derive(Clone, Debug)]
pub struct ProcessInfo {
    pub pid: u32,
    /// The kernel's name for it (`comm`, at most 15 bytes on Linux).
    pub name: String,
    /// The executable's file name, which is not truncated.
    pub exe_name: Option<String>,
    pub command_line: String,
}

impl ProcessInfo {
    /// Whether `name` is this process's name or its executable's file name;
    /// comm is cut to 15 bytes, so a longer name also matches its prefix.
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name
            || self.exe_name.as_deref() == Some(name)
            || (self.name.len() == 15 && name.starts_with(&self.name))
    }
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
