//! The maintenance log: one entry per routine run, appended to one file
//! shared by every routine, in the shape the guides give (date, routine,
//! duration, what each step did and its status, the issues found with
//! their hints, the next actions).
//!
//! An entry is the routine's report rendered by the one renderer (Markdown,
//! or JSON on one line), trimmed to its summary: the per-step sections stay
//! in the report. It is written by one `write` on a file opened with
//! `O_APPEND`, under the routine lock, and synced: overlapping runs cannot
//! interleave, and a run killed before it writes leaves no half entry. Should
//! an earlier writer have been cut short anyway (a full disk), the next entry
//! starts on a fresh line, so only that entry is damaged.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::Deserialize;

use crate::render::{Format, Style};
use crate::report::Report;

/// How the maintenance log is written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One `##` section per run.
    #[default]
    Markdown,
    /// One JSON object per line (the report's JSON contract).
    Jsonl,
}

/// The sections of a routine's report that go into its log entry.
const LOGGED_SECTIONS: &[&str] = &["issues", "hooks"];

/// The entry for `report`, as it will be appended.
pub fn entry(report: &Report, format: LogFormat) -> String {
    let mut summary = report.clone();
    summary
        .sections
        .retain(|section| LOGGED_SECTIONS.contains(&section.name.as_str()));
    match format {
        LogFormat::Markdown => {
            let mut text = crate::render::render(&summary, Format::Markdown, &Style::default());
            text.push('\n');
            text
        }
        LogFormat::Jsonl => {
            let pretty = crate::render::render(&summary, Format::Json, &Style::default());
            let mut line = serde_json::from_str::<serde_json::Value>(&pretty)
                .map_or(pretty, |value| value.to_string());
            line.push('\n');
            line
        }
    }
}

/// Appends `entry` to the log at `path` in one write.
pub fn append(path: &Path, entry: &str) -> std::io::Result<()> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o640)
        .open(path)?;
    let mut text = String::with_capacity(entry.len() + 1);
    if !ends_with_newline(&mut file)? {
        text.push('\n');
    }
    text.push_str(entry);
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

/// Whether the file is empty or ends with a newline (what a whole entry leaves).
fn ends_with_newline(file: &mut std::fs::File) -> std::io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Check, Kind, Status};

    #[test]
    fn entries_follow_one_another_and_a_torn_one_is_fenced_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("maintenance.jsonl");
        let mut report = Report::new("run daily", Kind::Check, chrono::Utc::now());
        report
            .checks
            .push(Check::new("step 1: health", Status::Ok, "12 checks: 12 OK"));
        append(&path, &entry(&report, LogFormat::Jsonl)).unwrap();
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"torn")
            .unwrap();
        append(&path, &entry(&report, LogFormat::Jsonl)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(serde_json::from_str::<serde_json::Value>(lines[0]).is_ok());
        assert_eq!(lines[1], "{\"torn");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(lines[2]).unwrap()["command"],
            "run daily"
        );
        let markdown = entry(&report, LogFormat::Markdown);
        assert!(
            markdown.starts_with("## maint run daily: OK\n"),
            "{markdown}"
        );
    }
}
