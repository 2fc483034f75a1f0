//! Whether the host waits for a reboot: Debian and Ubuntu leave
//! `/var/run/reboot-required` (and the packages that asked for it in
//! `reboot-required.pkgs`); on RHEL and Fedora `needs-restarting -r` says so
//! by its exit code (1: a reboot is needed).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::child::{self, OnInterrupt};

/// Where the packages' scripts leave the flag file.
pub const RUN_DIR: &str = "/var/run";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reboot {
    NotNeeded {
        /// What was read: the flag file's folder, and `needs-restarting` when it ran.
        checked: String,
    },
    Pending {
        /// Where it was read (`/var/run/reboot-required`, `needs-restarting -r`).
        source: String,
        /// The packages that asked for it, where they are listed.
        packages: Vec<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RebootError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("needs-restarting -r failed: {0}")]
    NeedsRestarting(String),
}

/// Reads the flag file in `run_dir`, then asks `needs-restarting -r` where
/// it is installed.
pub fn pending(run_dir: &Path, timeout: Duration) -> Result<Reboot, RebootError> {
    let flag = run_dir.join("reboot-required");
    let read_error = |path: &Path, source| RebootError::Read {
        path: path.display().to_string(),
        source,
    };
    match std::fs::symlink_metadata(&flag) {
        Ok(_) => {
            let list = run_dir.join("reboot-required.pkgs");
            let packages = match std::fs::read_to_string(&list) {
                Ok(text) => packages(&text),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(err) => return Err(read_error(&list, err)),
            };
            return Ok(Reboot::Pending {
                source: flag.display().to_string(),
                packages,
            });
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(read_error(&flag, err)),
    }
    let mut checked = flag.display().to_string();
    let mut command = Command::new("needs-restarting");
    command.arg("-r").env("LC_ALL", "C");
    match child::run(&mut command, None, timeout, OnInterrupt::Stop) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(RebootError::NeedsRestarting(err.to_string())),
        Ok(finished) if finished.timed_out => {
            return Err(RebootError::NeedsRestarting(format!(
                "no answer in {timeout:?}"
            )));
        }
        Ok(finished) => match finished.code {
            Some(0) => checked.push_str(", needs-restarting -r"),
            Some(1) => {
                return Ok(Reboot::Pending {
                    source: "needs-restarting -r".into(),
                    packages: updated_core_packages(&String::from_utf8_lossy(&finished.stdout)),
                });
            }
            _ => {
                return Err(RebootError::NeedsRestarting(
                    finished
                        .last_error_line()
                        .unwrap_or_else(|| format!("exit code {:?}", finished.code)),
                ));
            }
        },
    }
    Ok(Reboot::NotNeeded { checked })
}

/// `reboot-required.pkgs`: one package a line, repeated when several
/// upgrades of it asked; kept once, in order.
fn packages(text: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for name in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !seen.iter().any(|s: &String| s == name) {
            seen.push(name.to_owned());
        }
    }
    seen
}

/// `needs-restarting -r` lists the updated core packages as `  * NAME -> ...`.
fn updated_core_packages(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("* "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_lists_are_read_once_each() {
        assert_eq!(
            packages("linux-image-6.1.0-27-amd64\nlibc6\nlinux-image-6.1.0-27-amd64\n\n"),
            vec!["linux-image-6.1.0-27-amd64", "libc6"]
        );
        let rhel = "Core libraries or services have been updated since boot-up:\n  * kernel -> 5.14.0-427.el9\n  * systemd -> 252-32.el9\n\nReboot is required to fully utilize these updates.\nMore information: https://access.redhat.com/solutions/27943\n";
        assert_eq!(updated_core_packages(rhel), vec!["kernel", "systemd"]);
    }
}
