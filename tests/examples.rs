//! The examples operators copy must keep working: every `maint` command line
//! in the cron, systemd and CI examples parses with today's command line,
//! and the Prometheus alert rules pass promtool.

use std::path::Path;

use clap::Parser;

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The `maint ...` invocations in a shell-ish text, as argument lists: from
/// each `maint` word to the end of its command (`;`, `&&`, `||`, `'`, a line end).
fn invocations(text: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, word) in words.iter().enumerate() {
            let word = word
                .trim_start_matches(['-', '\'', '"'])
                .trim_start_matches("run:");
            if word != "maint" && word != "/usr/bin/maint" && !word.ends_with("=/usr/bin/maint") {
                continue;
            }
            let mut args = vec!["maint".to_owned()];
            for next in &words[i + 1..] {
                if [";", "&&", "||", "|", ">"].contains(next) {
                    break;
                }
                let ends = next.ends_with(';') || next.ends_with('\'');
                let token = next
                    .trim_end_matches([';', '\''])
                    .trim_matches('"')
                    .replace("$kind", "daily");
                args.push(token);
                if ends {
                    break;
                }
            }
            found.push(args);
        }
    }
    found
}

#[test]
fn every_example_command_line_parses() {
    let mut files = vec![examples().join("cron.d/maint")];
    for folder in ["systemd", "ci"] {
        for entry in std::fs::read_dir(examples().join(folder))
            .unwrap()
            .flatten()
        {
            files.push(entry.path());
        }
    }
    let mut count = 0;
    for file in files {
        let mut text = std::fs::read_to_string(&file).unwrap();
        if file
            .extension()
            .is_some_and(|e| e == "service" || e == "timer")
        {
            // Descriptions mention maint in prose; only ExecStart runs it.
            text = text
                .lines()
                .filter(|l| l.starts_with("ExecStart="))
                .collect::<Vec<_>>()
                .join("\n");
        }
        for args in invocations(&text) {
            count += 1;
            if let Err(err) = maint::cli::Cli::try_parse_from(&args) {
                panic!(
                    "{}: {:?} does not parse:\n{err}",
                    file.display(),
                    args.join(" ")
                );
            }
        }
    }
    // Three routines in cron, the routine and health units, the CI steps (the
    // routines' own steps are checked by routines::the_example_routines_are_valid).
    assert!(
        count >= 10,
        "only {count} command lines found: is the extraction still right?"
    );
}

#[test]
fn the_alert_rules_pass_promtool() {
    let out = std::process::Command::new("promtool")
        .args(["check", "rules"])
        .arg(examples().join("prometheus/maint-alerts.yml"))
        .output()
        .expect("promtool is needed (apt-get install prometheus; .ci/run installs it)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_extraction_finds_chained_commands() {
    let found = invocations(
        "30 1 * * * root kind=daily; maint -q backup create --kind \"$kind\"; [ $? -le 1 ] && maint -q backup prune\n",
    );
    assert_eq!(
        found,
        vec![
            vec!["maint", "-q", "backup", "create", "--kind", "daily"],
            vec!["maint", "-q", "backup", "prune"],
        ]
    );
}
