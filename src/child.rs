//! A child process under a time budget: started in its own process group,
//! its output captured as it comes (so a full pipe never stalls it), and the
//! whole group stopped at the budget or when maint is asked to stop, first
//! with SIGTERM (a `db vacuum` step cancels its statements) and a few
//! seconds later with SIGKILL. Routine steps, hooks and `sendmail` run
//! through here, so nothing maint starts can outlive its budget.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};

/// What is kept of each output stream; the start of a step's JSON report is
/// never cut, since no report comes near this.
const MAX_OUTPUT: usize = 64 << 20;

/// How long a group stopped with SIGTERM has before SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

/// How a child ended.
#[derive(Debug)]
pub struct Finished {
    /// The exit code, None when a signal ended it.
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
    /// Stopped because the budget ran out.
    pub timed_out: bool,
    /// Stopped because maint was asked to stop (`interrupt`).
    pub interrupted: bool,
}

impl Finished {
    /// Exit code 0, and not stopped.
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out && !self.interrupted
    }

    /// The last non-empty line of standard error (where maint says why it failed).
    pub fn last_error_line(&self) -> Option<String> {
        String::from_utf8_lossy(&self.stderr)
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .map(|line| line.trim().to_owned())
    }
}

/// Whether a child is stopped when maint is asked to stop, or left to its
/// budget (a hook that restarts a service must run even then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnInterrupt {
    Stop,
    Finish,
}

/// Runs `command` with `input` on its standard input (or none), and stops
/// its process group when `budget` has passed (or, with
/// [`OnInterrupt::Stop`], when maint is asked to stop).
pub fn run(
    command: &mut Command,
    input: Option<&[u8]>,
    budget: Duration,
    on_interrupt: OnInterrupt,
) -> std::io::Result<Finished> {
    let started = Instant::now();
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command.spawn()?;
    if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let group = Pid::from_child(&child);
    let deadline = started + budget;
    let mut timed_out = false;
    let mut interrupted = false;
    let mut killed_at: Option<Instant> = None;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        let now = Instant::now();
        let asked = on_interrupt == OnInterrupt::Stop && crate::interrupt::requested();
        if killed_at.is_none() && (now >= deadline || asked) {
            timed_out = now >= deadline;
            interrupted = !timed_out;
            let _ = kill_process_group(group, Signal::TERM);
            killed_at = Some(now);
        }
        if killed_at.is_some_and(|at| now >= at + GRACE) {
            let _ = kill_process_group(group, Signal::KILL);
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // What the group left running (a grandchild holding the pipes) goes too.
    let _ = kill_process_group(group, Signal::KILL);
    Ok(Finished {
        code: status.code(),
        signal: status.signal(),
        stdout: collect(&stdout),
        stderr: collect(&stderr),
        elapsed: started.elapsed(),
        timed_out,
        interrupted,
    })
}

/// A thread reading `pipe` to its end; its bytes come back through the channel.
fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut block = vec![0u8; 64 << 10];
            loop {
                match pipe.read(&mut block) {
                    Ok(0) => break,
                    Ok(n) => {
                        let room = MAX_OUTPUT.saturating_sub(kept.len());
                        kept.extend_from_slice(&block[..n.min(room)]);
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = sender.send(kept);
        });
    }
    receiver
}

/// What a drained pipe held; a pipe some escaped process keeps open is given
/// up after a second.
fn collect(receiver: &mpsc::Receiver<Vec<u8>>) -> Vec<u8> {
    receiver
        .recv_timeout(Duration::from_secs(1))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Finish, not Stop: another unit test raises the process-wide interrupt
    // flag for a moment, and these test the budget alone.

    #[test]
    fn output_and_code_are_captured() {
        let done = run(
            Command::new("sh").args(["-c", "cat; echo out; echo err >&2; exit 3"]),
            Some(b"in\n"),
            Duration::from_secs(10),
            OnInterrupt::Finish,
        )
        .unwrap();
        assert_eq!(done.code, Some(3));
        assert_eq!(String::from_utf8_lossy(&done.stdout), "in\nout\n");
        assert_eq!(done.last_error_line().as_deref(), Some("err"));
        assert!(!done.timed_out && !done.success());
    }

    #[test]
    fn the_whole_group_is_stopped_at_the_budget() {
        let done = run(
            Command::new("sh").args(["-c", "sleep 600 & sleep 600"]),
            None,
            Duration::from_millis(200),
            OnInterrupt::Finish,
        )
        .unwrap();
        assert!(done.timed_out);
        assert!(done.elapsed < Duration::from_secs(30), "{:?}", done.elapsed);
        assert_eq!(done.code, None);
    }
}
