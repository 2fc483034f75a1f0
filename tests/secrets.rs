//! The planted-secret corpus (`tests/fixtures/secrets/`, issue 17 cases 3
//! and 4) through every command × every format × the support bundle: a log
//! file, a config, a running process's command line, the environment and
//! the command lines of `commands.txt` all carry secrets of every shape
//! scanners know, each marked `PLNTnn`. No marker may appear in stdout,
//! stderr, an `--output` file or any file of an unpacked bundle, while the
//! masked forms (`password=***`, `AKIA***`) show the secrets did reach them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

use crate::support::command::{Output, free_port, maint};
use crate::support::http;
use crate::support::postgres;
use crate::support::redis::Redis;

const FORMATS: [&str; 5] = ["table", "json", "prometheus", "nagios", "markdown"];

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/secrets")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Every planted secret: the `PLNTnn` markers of the fixtures (each planted
/// value carries one, so a partly masked value is caught too), the distinct
/// tails that follow them (`hunter2` of `PLNT01hunter2`: a log template
/// turns `01` into `<NUM>`, and the rest must still go) and the throwaway
/// PostgreSQL server's real password.
fn planted() -> Vec<String> {
    let marker = regex::Regex::new(r"PLNT[0-9]{2}([A-Za-z0-9]*)").unwrap();
    let mut found: BTreeSet<String> = BTreeSet::new();
    for name in [
        "app.log",
        "maint.toml",
        "argv.txt",
        "env.txt",
        "commands.txt",
    ] {
        for caps in marker.captures_iter(&fixture(name)) {
            found.insert(caps[0][..6].to_owned());
            if caps[1].len() >= 6 {
                found.insert(caps[1].to_owned());
            }
        }
    }
    assert!(found.len() >= 50, "the corpus lost its markers: {found:?}");
    found.insert(postgres::PASSWORD.to_owned());
    found.into_iter().collect()
}

/// A process whose command line holds secrets (`argv.txt`), for as long as the test runs.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The corpus set up for one test: its files, a worker process, a Redis
/// that wants a planted password, and the config that names them all.
struct Corpus {
    dir: TempDir,
    config: String,
    free_port: u16,
    _worker: Worker,
    _redis: Redis,
}

impl Corpus {
    fn new() -> Corpus {
        let dir = tempfile::Builder::new()
            .prefix("maint-secrets-")
            .tempdir()
            .unwrap();
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
        std::fs::write(
            dir.path().join("app.log"),
            fixture("app.log").replace("{NOW}", &now),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/file.txt"), "data\n").unwrap();
        std::fs::create_dir(dir.path().join("backups")).unwrap();
        let argv: Vec<String> = fixture("argv.txt").lines().map(str::to_owned).collect();
        let worker = Command::new("sh")
            .args(["-c", "sleep 600; :"])
            .args(&argv)
            .stdin(Stdio::null())
            .spawn()
            .expect("start the worker process");
        let redis = Redis::start(&[("requirepass", "PLNT44rd")]);
        let free_port = free_port();
        let http_port = http::server().rsplit(':').next().unwrap().to_owned();
        let config = fixture("maint.toml")
            .replace("{HTTP}", http::server())
            .replace("{HTTP_PORT}", &http_port)
            .replace("{PG_URL}", postgres::shared().url())
            .replace("{REDIS_PORT}", &redis.port.to_string())
            .replace("{FREE_PORT}", &free_port.to_string())
            .replace("{LOG}", &dir.path().join("app.log").display().to_string())
            .replace("{DIR}", &dir.path().display().to_string());
        Corpus {
            dir,
            config,
            free_port,
            _worker: Worker(worker),
            _redis: redis,
        }
    }

    /// `maint -v --format FORMAT ARGS...` with the corpus's config and environment.
    fn run(&self, format: &str, args: &[String], extra: &[&str]) -> Output {
        let mut command = maint()
            .config(&self.config)
            .args(["-v", "--format", format])
            .args(extra)
            .args(args);
        for line in fixture("env.txt").lines() {
            let (key, value) = line.split_once('=').unwrap();
            command = command.env(key, value);
        }
        command.run()
    }

    /// The lines of `commands.txt` that start with `command`, split into arguments.
    fn commands(&self, command: &str) -> Vec<Vec<String>> {
        let lines: Vec<Vec<String>> = fixture("commands.txt")
            .lines()
            .filter(|line| line.split_whitespace().next() == Some(command))
            .map(|line| {
                line.replace("{HTTP}", http::server())
                    .replace("{FREE_PORT}", &self.free_port.to_string())
                    .replace("{DIR}", &self.dir.path().display().to_string())
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        assert!(!lines.is_empty(), "no {command} lines in commands.txt");
        lines
    }

    /// Runs each `command` line of commands.txt in every format (and once
    /// more into an `--output` file) and checks that nothing planted shows.
    /// Returns the outputs by format, for the caller's witnesses.
    fn through_every_format(&self, command: &str) -> Vec<(String, Output)> {
        let planted = planted();
        let mut outputs = Vec::new();
        for args in self.commands(command) {
            for format in FORMATS {
                let out = self.run(format, &args, &[]);
                no_planted_secret(&planted, &out, &[]);
                if format == "json" && out.code < 3 && !out.stdout.is_empty() {
                    out.json();
                }
                outputs.push((format.to_owned(), out));
            }
            let command = maint();
            let file = command.path("report.md");
            let out = self.run("markdown", &args, &["--output", file.to_str().unwrap()]);
            let written = std::fs::read_to_string(&file).unwrap_or_default();
            no_planted_secret(&planted, &out, &[("--output file", &written)]);
        }
        outputs
    }
}

/// No planted value in stdout, stderr or `files`; and no crash (exit codes are 0..=3).
#[track_caller]
fn no_planted_secret(planted: &[String], out: &Output, files: &[(&str, &str)]) {
    assert!(
        (0..=3).contains(&out.code),
        "{} exited {}:\n{}",
        out.command,
        out.code,
        out.stderr
    );
    for secret in planted {
        out.nowhere(secret);
        for (name, text) in files {
            if let Some(at) = text.find(secret.as_str()) {
                let line = text[..at].lines().count();
                panic!(
                    "{secret} leaked into {name} (line {line}) of {}:\n{text}",
                    out.command
                );
            }
        }
    }
}

/// The stdout of every run in `format`, one after the other.
fn text_of(outputs: &[(String, Output)], format: &str) -> String {
    outputs
        .iter()
        .filter(|(f, _)| f == format)
        .map(|(_, out)| out.stdout.as_str())
        .collect()
}

#[track_caller]
fn shows(text: &str, masked: &[&str]) {
    for witness in masked {
        assert!(text.contains(witness), "{witness:?} not in:\n{text}");
    }
}

#[test]
fn health_never_shows_a_planted_secret() {
    let corpus = Corpus::new();
    let outputs = corpus.through_every_format("health");
    // The secrets reached the report: URL query and userinfo, the process pattern.
    shows(
        &text_of(&outputs, "table"),
        &[
            "/ok?token=***&api_key=***",
            "http://admin:***@127.0.0.1:",
            "?sig=***",
            "process:worker --token ***",
        ],
    );
    shows(
        &text_of(&outputs, "nagios"),
        &["'process:worker --token ***'="],
    );
}

#[test]
fn logs_analyze_never_shows_a_planted_secret() {
    let corpus = Corpus::new();
    let outputs = corpus.through_every_format("logs");
    shows(
        &text_of(&outputs, "json"),
        &[
            "password=***",
            "Authorization: Bearer ***",
            "Authorization: Basic ***",
            "aws_secret_access_key=***",
            "AKIA***",
            "ghp_***",
            "xoxb-***",
            "github_pat_***",
            "AIza***",
            "eyJ***",
            "postgres://app:***@",
            "access_token=***&page=2",
            r#"\"password\": \"***\""#,
            "PGPASSWORD=***",
            "--password ***",
            "redis-cli -h cache -a ***",
            "hooks.slack.com/services/***",
            "client_secret: \\\"***\\\"",
            "api_key='***'",
            "X-Api-Key: ***",
            "curl -u admin:***",
            "secret_key_base=***",
        ],
    );
}

#[test]
fn db_commands_never_show_a_planted_secret() {
    let corpus = Corpus::new();
    corpus.through_every_format("db");
}

#[test]
fn backup_commands_never_show_a_planted_secret() {
    let corpus = Corpus::new();
    corpus.through_every_format("backup");
}

#[test]
fn certs_check_never_shows_a_planted_secret() {
    let corpus = Corpus::new();
    corpus.through_every_format("certs");
}

#[test]
fn diagnose_never_shows_a_planted_secret() {
    let corpus = Corpus::new();
    let outputs = corpus.through_every_format("diagnose");
    // "Paste into a ticket": the log templates are there, masked.
    shows(
        &text_of(&outputs, "markdown"),
        &["password=***", "?sig=***", "process:worker --token ***"],
    );
}

/// GNU tar unpacks the bundle; every file's name and text.
fn unpack(bundle: &Path, into: &Path) -> Vec<(String, String)> {
    std::fs::create_dir(into).unwrap();
    let status = Command::new("tar")
        .arg("xzf")
        .arg(bundle)
        .arg("-C")
        .arg(into)
        .status()
        .unwrap();
    assert!(status.success(), "GNU tar cannot read the bundle");
    walkdir::WalkDir::new(into)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e.path().strip_prefix(into).unwrap().display().to_string();
            let text = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned();
            (name, text)
        })
        .collect()
}

fn file<'f>(files: &'f [(String, String)], suffix: &str) -> &'f str {
    &files
        .iter()
        .find(|(name, _)| name.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} in the bundle"))
        .1
}

fn key_paths(value: &toml::Value, path: &str, out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, item) in table {
                let path = format!("{path}.{key}");
                out.insert(path.clone());
                key_paths(item, &path, out);
            }
        }
        toml::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                key_paths(item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The bundle's config copy is valid TOML with the keys of the original.
#[track_caller]
fn same_keys_as(original: &str, copy: &str) {
    let parse = |text: &str| -> toml::Value {
        toml::from_str(text).unwrap_or_else(|err| panic!("not valid TOML: {err}\n{text}"))
    };
    let (mut before, mut after) = (BTreeSet::new(), BTreeSet::new());
    key_paths(&parse(original), "", &mut before);
    key_paths(&parse(copy), "", &mut after);
    assert_eq!(
        before, after,
        "the config copy lost or renamed keys:\n{copy}"
    );
}

/// Writes a bundle with `flags` and returns its files.
fn bundle(corpus: &Corpus, flags: &[&str]) -> (Output, Vec<(String, String)>) {
    let path = corpus
        .dir
        .path()
        .join(format!("support{}.tar.gz", flags.len()));
    let mut args: Vec<String> = vec!["diagnose".into(), "--bundle".into()];
    args.push(path.display().to_string());
    args.extend(flags.iter().map(|f| (*f).to_owned()));
    let out = corpus.run("json", &args, &[]);
    let into: PathBuf = corpus.dir.path().join(format!("unpacked{}", flags.len()));
    let files = unpack(&path, &into);
    (out, files)
}

#[test]
fn the_support_bundle_holds_no_planted_secret_and_a_valid_config() {
    let corpus = Corpus::new();
    let (out, files) = bundle(&corpus, &[]);
    let texts: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    no_planted_secret(&planted(), &out, &texts);

    let config = file(&files, "config/maint.toml");
    same_keys_as(&corpus.config, config);
    // Redacted as text: the comments, and the closing quotes, are still there.
    shows(
        config,
        &[
            "# maint.toml with planted secrets",
            "# An old setting kept as a comment: password = \"***\"",
            "/ok?token=***&api_key=***\"\n",
            "url = \"redis://:***@127.0.0.1:",
            "pattern = \"worker --token ***\"",
        ],
    );
    // Process command lines: flags naming secrets and known tools' password flags.
    shows(
        file(&files, "processes.txt"),
        &[
            "worker --token *** --api-key=*** --client-secret ***",
            "mysql -p***",
            "-a *** PGPASSWORD=*** psql -h pg-secret-host",
        ],
    );
    // Log excerpts as written, every shape masked.
    shows(
        file(&files, "app.log"),
        &[
            "Authorization: Basic ***",
            "AKIA***",
            "ghp_***",
            "xoxb-***",
            "X-Amz-Credential=***&X-Amz-Signature=***",
            "mysql -uroot -p***",
            "-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----",
        ],
    );
    for name in ["report.json", "manifest.json"] {
        serde_json::from_str::<serde_json::Value>(file(&files, name))
            .unwrap_or_else(|err| panic!("{name} is not JSON: {err}"));
    }
}

#[test]
fn redact_hosts_replaces_hosts_in_free_text_and_command_lines_consistently() {
    let corpus = Corpus::new();
    let (out, files) = bundle(&corpus, &["--redact-hosts"]);
    let texts: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    no_planted_secret(&planted(), &out, &texts);
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let mut hosts = vec![
        "db.internal.example",
        "api.example.com",
        "replica.corp.lan",
        "bastion-3",
        "cache-7",
        "pg-secret-host",
        "10.20.30.40",
    ];
    if hostname.trim().len() > 3 {
        hosts.push(hostname.trim());
    }
    for (name, text) in &files {
        for host in &hosts {
            assert!(!text.contains(host), "{host} left in {name}:\n{text}");
        }
    }
    let config = file(&files, "config/maint.toml");
    same_keys_as(&corpus.config, config);
    // The same address, the same pseudonym, in the config, the report and the log.
    let pseudonym = config
        .split("address = \"")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap();
    assert!(pseudonym.starts_with("ip-"), "{config}");
    shows(
        file(&files, "app.log"),
        &[&format!("from {pseudonym}; ssh deploy@host-")],
    );
    shows(file(&files, "report.txt"), &[&format!("{pseudonym}:1")]);
    // Loopback stays: it says nothing about the site.
    shows(config, &["127.0.0.1"]);
}
