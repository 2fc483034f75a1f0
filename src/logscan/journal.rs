//! The systemd journal as a log source. `journalctl --output=json` is read
//! as a stream and each entry becomes one line,
//! `2026-11-28T03:04:05.123456Z ERROR sshd[812]: message`, so the scanner's
//! timestamps, level field, windows, categories and templates apply to it
//! as to a file. The window is also passed to journalctl (`--since`,
//! `--until`), which finds it in the journal's own index, and an
//! incremental run starts after the cursor of the last entry read.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};

use super::window::Window;

/// Which journal entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journal {
    /// Only these units' entries (`journalctl --unit`); all when empty.
    pub units: Vec<String>,
    /// Another journal folder (`journalctl --directory`): a copy from
    /// another machine, `/var/log/journal/remote`; the system's when None.
    pub directory: Option<PathBuf>,
}

impl Journal {
    /// How the report names this source.
    pub fn name(&self) -> String {
        let mut name = "journal".to_owned();
        if let Some(dir) = &self.directory {
            name.push_str(&format!(" {}", dir.display()));
        }
        if !self.units.is_empty() {
            name.push_str(&format!(" (units {})", self.units.join(", ")));
        }
        name
    }

    /// The journalctl command for the window, after `cursor` when an
    /// earlier run read up to it.
    pub(super) fn command(&self, window: Window, cursor: Option<&str>) -> Command {
        let mut command = Command::new("journalctl");
        command.args(["--output=json", "--no-pager", "--all", "--quiet"]);
        if let Some(dir) = &self.directory {
            command.arg("--directory").arg(dir);
        }
        for unit in &self.units {
            command.arg(format!("--unit={unit}"));
        }
        // journalctl reads `@SECONDS`; the scanner cuts to the millisecond.
        // It takes a cursor or a start, not both: after a cursor the
        // scanner alone keeps the window's start.
        match (cursor, window.since) {
            (Some(cursor), _) => {
                command.arg(format!("--after-cursor={cursor}"));
            }
            (None, Some(since)) => {
                command.arg(format!("--since=@{}", since.div_euclid(1000)));
            }
            (None, None) => {}
        }
        if let Some(until) = window.until {
            command.arg(format!("--until=@{}", until.div_euclid(1000) + 1));
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

/// journalctl's entries as lines of text, for the scanner.
pub(super) struct Lines {
    child: Child,
    entries: BufReader<ChildStdout>,
    json: Vec<u8>,
    line: Vec<u8>,
    at: usize,
    /// The cursor of the last entry turned into a line.
    pub cursor: Option<String>,
}

impl Lines {
    pub(super) fn start(mut command: Command) -> std::io::Result<Lines> {
        let mut child = command.spawn()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        Ok(Lines {
            child,
            entries: BufReader::with_capacity(1 << 20, stdout),
            json: Vec::new(),
            line: Vec::new(),
            at: 0,
            cursor: None,
        })
    }

    /// Waits for journalctl: its complaint when it failed (a folder with no
    /// journal, no permission), None when it ended well.
    pub(super) fn finish(mut self) -> Option<String> {
        // Read on to the end, so it is not killed by a closed pipe.
        let _ = std::io::copy(&mut self.entries, &mut std::io::sink());
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        match self.child.wait() {
            Ok(status) if status.success() => None,
            Ok(status) => Some(
                stderr
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .map_or_else(|| format!("journalctl {status}"), |l| l.trim().to_owned()),
            ),
            Err(err) => Some(format!("journalctl: {err}")),
        }
    }

    /// The next entry as a line in `self.line`; false at the end.
    fn next_entry(&mut self) -> std::io::Result<bool> {
        loop {
            self.json.clear();
            if self.entries.read_until(b'\n', &mut self.json)? == 0 {
                return Ok(false);
            }
            let Ok(entry) = serde_json::from_slice::<serde_json::Value>(&self.json) else {
                continue;
            };
            self.line.clear();
            self.at = 0;
            if !entry_line(&entry, &mut self.line) {
                continue;
            }
            if let Some(cursor) = entry.get("__CURSOR").and_then(|c| c.as_str()) {
                self.cursor = Some(cursor.to_owned());
            }
            return Ok(true);
        }
    }
}

impl Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut written = 0;
        while written < buf.len() {
            if self.at == self.line.len() && !self.next_entry()? {
                break;
            }
            let n = (self.line.len() - self.at).min(buf.len() - written);
            buf[written..written + n].copy_from_slice(&self.line[self.at..self.at + n]);
            self.at += n;
            written += n;
        }
        Ok(written)
    }
}

/// The level word of a syslog priority, as loggers write it.
fn level(priority: &str) -> &'static str {
    match priority {
        "0" => "EMERG",
        "1" => "ALERT",
        "2" => "CRIT",
        "3" => "ERROR",
        "4" => "WARNING",
        "5" => "NOTICE",
        "7" => "DEBUG",
        _ => "INFO",
    }
}

/// A field's text: journalctl writes a string, or an array of bytes for a
/// value that is not valid UTF-8 (or holds control characters).
fn text(value: &serde_json::Value) -> Option<Vec<u8>> {
    match value {
        serde_json::Value::String(s) => Some(s.as_bytes().to_vec()),
        serde_json::Value::Array(bytes) => Some(
            bytes
                .iter()
                .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect(),
        ),
        _ => None,
    }
}

/// `TIME LEVEL IDENT[PID]: MESSAGE\n`; false for an entry without a time.
fn entry_line(entry: &serde_json::Value, line: &mut Vec<u8>) -> bool {
    let Some(micros) = entry
        .get("__REALTIME_TIMESTAMP")
        .and_then(|t| t.as_str())
        .and_then(|t| t.parse::<i64>().ok())
    else {
        return false;
    };
    let Some(time) = chrono::DateTime::from_timestamp_micros(micros) else {
        return false;
    };
    let priority = entry
        .get("PRIORITY")
        .and_then(|p| p.as_str())
        .unwrap_or("6");
    line.extend_from_slice(
        format!(
            "{} {} ",
            time.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
            level(priority)
        )
        .as_bytes(),
    );
    let ident = ["SYSLOG_IDENTIFIER", "_COMM"]
        .iter()
        .find_map(|key| entry.get(*key).and_then(text));
    if let Some(ident) = ident {
        line.extend(ident.iter().map(|&b| if b == b' ' { b'_' } else { b }));
        if let Some(pid) = entry.get("_PID").and_then(|p| p.as_str()) {
            line.extend_from_slice(format!("[{pid}]").as_bytes());
        }
        line.extend_from_slice(b": ");
    }
    if let Some(message) = entry.get("MESSAGE").and_then(text) {
        // One entry, one line: a message's own newlines would start lines
        // the scanner takes for a stack trace's.
        line.extend(message.iter().map(|&b| if b == b'\n' { b' ' } else { b }));
    }
    line.push(b'\n');
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_become_lines_with_their_level_and_program() {
        let entry = serde_json::json!({
            "__REALTIME_TIMESTAMP": "1795907689000123",
            "PRIORITY": "3",
            "SYSLOG_IDENTIFIER": "sshd",
            "_PID": "812",
            "MESSAGE": "first\nsecond",
            "__CURSOR": "s=1",
        });
        let mut line = Vec::new();
        assert!(entry_line(&entry, &mut line));
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "2026-11-28T23:14:49.000123Z ERROR sshd[812]: first second\n"
        );
        let binary = serde_json::json!({
            "__REALTIME_TIMESTAMP": "1795907689000000",
            "_COMM": "app",
            "MESSAGE": [104, 105, 255],
        });
        let mut line = Vec::new();
        assert!(entry_line(&binary, &mut line));
        assert_eq!(
            line,
            b"2026-11-28T23:14:49.000000Z INFO app: hi\xff\n".to_vec()
        );
        assert!(!entry_line(
            &serde_json::json!({"MESSAGE": "x"}),
            &mut Vec::new()
        ));
    }

    #[test]
    fn the_window_and_cursor_reach_journalctl() {
        let journal = Journal {
            units: vec!["nginx.service".into()],
            directory: Some("/var/log/journal/remote".into()),
        };
        let window = Window {
            since: Some(1_795_907_689_500),
            until: None,
        };
        let command = journal.command(window, Some("s=1;i=2"));
        let args: Vec<String> = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(
            args.contains(&"--unit=nginx.service".to_owned()),
            "{args:?}"
        );
        assert!(
            args.contains(&"--after-cursor=s=1;i=2".to_owned()),
            "{args:?}"
        );
        assert!(
            args.contains(&"/var/log/journal/remote".to_owned()),
            "{args:?}"
        );
        // journalctl takes a cursor or a start, never both.
        assert!(!args.iter().any(|a| a.starts_with("--since")), "{args:?}");
        let first = journal.command(window, None);
        assert!(
            first
                .get_args()
                .any(|a| a.to_string_lossy() == "--since=@1795907689")
        );
    }
}
