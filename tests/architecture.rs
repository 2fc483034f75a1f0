//! The layering ARCHITECTURE.md describes, enforced: libraries never reach
//! up into configuration, the command line or commands; the judges read
//! only probe data and the report model; the collectors in
//! `checks/` never call a command; no command imports another; command
//! modules stay small (their logic lives in libraries).

use std::fs;
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Modules that are libraries: they know nothing of maint.toml, flags or commands.
const LIBRARIES: &[&str] = &[
    "probe",
    "logscan",
    "storage",
    "levels",
    "units",
    "report",
    "render",
    "redact",
    "parallel",
    "interrupt",
    "error",
    "exit",
    "shell",
    "judge",
    "child",
    "hooks",
    "notify",
    "routine",
    "stats",
];

/// What the judges may read: probe data, the report model, levels and
/// units, and the pure text helpers (shell words, redacted URLs) their
/// hints are made of. Nothing that runs anything or reads the config.
const JUDGE_MAY_IMPORT: &[&str] = &[
    "report", "levels", "units", "probe", "logscan", "judge", "shell", "redact", "stats",
];

const COMMANDS: &[&str] = &[
    "health", "diagnose", "certs", "logs", "db", "backup", "redis", "routine", "notify", "trend",
];

/// Command files still above the size every command file should keep
/// (their library half has not moved out yet), each at the size it may not
/// grow past. A file leaves this list when it shrinks under the limit.
const OVERSIZED: &[(&str, usize)] = &[];
const COMMAND_FILE_LINES: usize = 500;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A module's files: `name.rs`, and the folder of its submodules, when
/// either exists (`config.rs` with `config/routines.rs`).
fn module(name: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let dir = Path::new(SRC).join(name);
    if dir.is_dir() {
        rust_files(&dir, &mut files);
    }
    let file = Path::new(SRC).join(format!("{name}.rs"));
    if file.is_file() {
        files.push(file);
    }
    files
}

/// The code of a file without its comments, line by line.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(n, line)| (n + 1, line.to_owned()))
        .collect()
}

fn shown(path: &Path) -> String {
    path.strip_prefix(SRC).unwrap().display().to_string()
}

fn uses(path: &Path, forbidden: &[String]) -> Vec<String> {
    code_lines(path)
        .into_iter()
        .filter(|(_, line)| forbidden.iter().any(|f| line.contains(f.as_str())))
        .map(|(n, line)| format!("{}:{n}: {}", shown(path), line.trim()))
        .collect()
}

#[test]
fn libraries_never_import_config_cli_checks_or_commands() {
    let forbidden: Vec<String> = ["commands", "cli", "config", "checks", "run"]
        .iter()
        .flat_map(|m| {
            [
                format!("crate::{m}::"),
                format!("crate::{m};"),
                format!("crate::{m}}}"),
            ]
        })
        .collect();
    let mut found = Vec::new();
    for library in LIBRARIES {
        for file in module(library) {
            found.extend(uses(&file, &forbidden));
        }
    }
    for file in module("config") {
        found.extend(uses(
            &file,
            &[
                "crate::commands".into(),
                "crate::cli".into(),
                "crate::checks".into(),
            ],
        ));
    }
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn judges_read_only_data() {
    let mut found = Vec::new();
    for file in module("judge") {
        for (n, line) in code_lines(&file) {
            for (at, _) in line.match_indices("crate::") {
                let name: String = line[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !JUDGE_MAY_IMPORT.contains(&name.as_str()) {
                    found.push(format!("{}:{n}: {}", shown(&file), line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "a judge reaches past probe data:\n{}",
        found.join("\n")
    );
}

#[test]
fn checks_never_call_commands() {
    let mut found = Vec::new();
    for file in module("checks") {
        found.extend(uses(&file, &["crate::commands".into()]));
    }
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn no_command_imports_another() {
    let mut found = Vec::new();
    for command in COMMANDS {
        let others: Vec<String> = COMMANDS
            .iter()
            .filter(|other| *other != command)
            .flat_map(|other| {
                [
                    format!("commands::{other}"),
                    format!("super::{other}::"),
                    format!("super::super::{other}"),
                ]
            })
            .collect();
        for file in module(&format!("commands/{command}")) {
            found.extend(uses(&file, &others));
        }
    }
    assert!(
        found.is_empty(),
        "a command imports another:\n{}",
        found.join("\n")
    );
}

#[test]
fn command_files_stay_small() {
    let mut found = Vec::new();
    for file in module("commands") {
        let name = shown(&file);
        let lines = fs::read_to_string(&file).unwrap().lines().count();
        let limit = OVERSIZED
            .iter()
            .find(|(known, _)| *known == name)
            .map_or(COMMAND_FILE_LINES, |(_, cap)| *cap);
        if lines > limit {
            found.push(format!("{name}: {lines} lines (at most {limit})"));
        }
    }
    assert!(
        found.is_empty(),
        "logic belongs in a library (checks/, storage/, probe/ ...), not in a command:\n{}",
        found.join("\n")
    );
}
