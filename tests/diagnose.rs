//! `maint diagnose`: sections from every collector, findings worst first
//! with reasons and commands, a redacted support bundle, and a deadline that
//! holds when a collector hangs.

use std::path::Path;

use crate::support::maint;
use crate::support::postgres;
use crate::support::redis::{self, Redis};

/// Keeps the test about what it plants: the machine's own CPU and load
/// depend on whatever else runs while the tests do.
/// The host's own state the tests do not control: its load, its clock's
/// synchronisation (an unsynchronised VM kernel is a WARNING) and a reboot
/// its packages may be waiting for.
const QUIET_HOST: &str = "[health]\nskip = [\"cpu\", \"load\", \"clock\", \"reboot\"]\n";

fn folders_config(dir: &Path) -> String {
    format!("[diagnose]\npaths = [\"{}\"]\n", dir.display())
}

/// `maint --format json diagnose` on a quiet host, its folder walk kept to
/// the test's own folder, with `extra` added to the config.
fn diagnose_with(extra: &str) -> crate::support::command::Output {
    let command = maint();
    let config = format!("{QUIET_HOST}{}{extra}", folders_config(command.dir()));
    command.config(&config).json().args(["diagnose"]).run()
}

#[test]
fn zero_config_gathers_every_section() {
    let out = maint().json().args(["diagnose"]).run();
    let json = out.json();
    assert_eq!(json["command"], "diagnose");
    for section in [
        "host",
        "health",
        "processes",
        "folders",
        "kernel",
        "services",
        "logs",
    ] {
        assert!(
            json["sections"][section].is_array(),
            "no {section} section in {}",
            out.stdout
        );
    }
    let host = json["sections"]["host"].as_array().unwrap();
    assert!(host.iter().any(|row| row["key"] == "kernel"));
    assert!(
        json["sections"]["health"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["check"] == "disk:/")
    );
    // Findings are the checks; worst first.
    let ranks: Vec<u8> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| match c["status"].as_str().unwrap() {
            "CRITICAL" => 3,
            "WARNING" => 2,
            _ => 1,
        })
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");
}

#[test]
fn a_healthy_setup_has_no_findings() {
    // A cache with a limit and a policy that evicts: nothing for the Redis review to say.
    let cache = Redis::start(&[("maxmemory", "64mb"), ("maxmemory-policy", "allkeys-lru")]);
    let out = diagnose_with(&format!(
        "[postgres]\nurl = \"{}\"\n[redis]\nurl = \"{}\"\n",
        postgres::shared().url(),
        cache.url()
    ));
    out.code(0).nowhere(postgres::PASSWORD);
    assert_eq!(
        out.json()["checks"],
        serde_json::json!([]),
        "{}",
        out.stdout
    );
    assert!(
        out.json()["sections"]["redis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["key"] == "version")
    );
}

#[test]
fn a_stopped_redis_is_a_critical_finding_with_the_command_to_run() {
    let mut server = Redis::start(&[]);
    let port = server.port;
    server.stop();
    let out = diagnose_with(&format!("[redis]\nurl = \"redis://127.0.0.1:{port}\"\n"));
    out.code(2);
    let finding = out.check("redis");
    assert_eq!(finding["status"], "CRITICAL");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("connection refused"), "{message}");
    assert!(
        message.ends_with(
            "is redis-server running? The application loses its cache or queue and slows down or fails."
        ),
        "{message}"
    );
    // What cannot be measured without Redis is not repeated as findings of its own.
    assert_eq!(out.json()["summary"]["unknown"], 0);
    assert_eq!(
        finding["hint"],
        format!("redis-cli -h 127.0.0.1 -p {port} ping; systemctl status redis-server")
    );
    // The worst finding comes first.
    assert_eq!(out.json()["checks"][0]["status"], "CRITICAL");
}

#[test]
fn the_redis_review_adds_its_findings() {
    let server = Redis::start(&[]);
    let out = diagnose_with(&format!("[redis]\nurl = \"{}\"\n", server.url()));
    out.code(1);
    let finding = out.check("redis:config:maxmemory");
    assert_eq!(finding["status"], "WARNING");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("the OOM killer ends Redis"), "{message}");
    // Why it matters, as every finding says.
    assert!(
        message.ends_with(
            "A Redis without a limit takes the memory the host and the application need."
        ),
        "{message}"
    );
    let rows = out.json()["sections"]["redis_review"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        rows.iter().any(|r| r["check"] == "redis:slowlog"),
        "{rows:?}"
    );
    // Said once: the health checks' own are not repeated.
    assert!(!rows.iter().any(|r| r["check"] == "redis:memory"));
}

#[test]
fn a_full_disk_is_a_finding_that_says_why_it_matters() {
    let command = maint();
    let config = format!(
        "[health]\nskip = [\"cpu\", \"load\"]\ndisk = {{ warn = 0, crit = 0 }}\n{}",
        folders_config(command.dir())
    );
    let out = command.config(&config).json().args(["diagnose"]).run();
    out.code(2);
    let finding = out.check("disk:/");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .ends_with(". When it fills, writes fail: databases stop and logs are lost.")
    );
    assert!(
        finding["hint"]
            .as_str()
            .unwrap()
            .starts_with("du -xh --max-depth=2 /")
    );
}

#[test]
fn markdown_is_ready_for_a_ticket() {
    let command = maint();
    let config = format!("{QUIET_HOST}{}", folders_config(command.dir()));
    let out = command
        .config(&config)
        .args(["--format", "markdown", "diagnose"])
        .run();
    assert!(
        out.stdout.starts_with("## maint diagnose: "),
        "{}",
        out.stdout
    );
    out.stdout_has("### Host\n\n| WHAT | VALUE |\n|---|---|\n");
}

fn unpack(bundle: &Path, dir: &Path) -> Vec<(String, String)> {
    let into = dir.join("unpacked");
    std::fs::create_dir(&into).unwrap();
    let into = into.as_path();
    let status = std::process::Command::new("tar")
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
            (
                name,
                String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned(),
            )
        })
        .collect()
}

#[test]
fn the_bundle_carries_the_report_and_config_but_no_secret() {
    let command = maint();
    let config = format!(
        "{QUIET_HOST}{}[redis]\nurl = \"redis://:planted-redis-secret@127.0.0.1:{}\"\n\
         [[health.http]]\nname = \"api\"\nurl = \"http://svc:planted-http-secret@db.internal.example:1/health\"\n",
        folders_config(command.dir()),
        redis::shared().port
    );
    let bundle = command.path("support.tar.gz");
    let out = command
        .config(&config)
        .args(["diagnose", "--bundle"])
        .arg(&bundle)
        .run();
    out.nowhere("planted-redis-secret")
        .nowhere("planted-http-secret");
    let files = unpack(&bundle, out.dir.path());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "report.txt",
        "report.json",
        "report.md",
        "config/maint.toml",
        "manifest.json",
    ] {
        assert!(
            names.iter().any(|n| n.ends_with(expected)),
            "{expected} not in {names:?}"
        );
    }
    for (name, text) in &files {
        assert!(!text.contains("planted-redis-secret"), "secret in {name}");
        assert!(!text.contains("planted-http-secret"), "secret in {name}");
    }
    let config_copy = &files
        .iter()
        .find(|(n, _)| n.ends_with("config/maint.toml"))
        .unwrap()
        .1;
    assert!(
        config_copy.contains("redis://:***@127.0.0.1:"),
        "{config_copy}"
    );
    // Without --redact-hosts the host names stay, so the bundle is useful.
    assert!(config_copy.contains("db.internal.example"));
}

#[test]
fn redact_hosts_replaces_names_and_addresses_consistently() {
    let command = maint();
    let config = format!(
        "{QUIET_HOST}{}[[health.http]]\nname = \"api\"\nurl = \"http://db.internal.example:1/health\"\n\
         [[health.tcp]]\nname = \"lan\"\naddress = \"10.9.8.7:1\"\ntimeout = \"200ms\"\n",
        folders_config(command.dir())
    );
    let bundle = command.path("support.tar.gz");
    let out = command
        .config(&config)
        .args(["diagnose", "--redact-hosts", "--bundle"])
        .arg(&bundle)
        .run();
    let files = unpack(&bundle, out.dir.path());
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    for (name, text) in &files {
        assert!(!text.contains("db.internal.example"), "host name in {name}");
        assert!(!text.contains("10.9.8.7"), "address in {name}");
        if hostname.trim().len() > 3 {
            assert!(
                !text.contains(hostname.trim()),
                "this host's name in {name}"
            );
        }
    }
    let config_copy = &files
        .iter()
        .find(|(n, _)| n.ends_with("config/maint.toml"))
        .unwrap()
        .1;
    let report = &files
        .iter()
        .find(|(n, _)| n.ends_with("report.txt"))
        .unwrap()
        .1;
    // The same host gets the same pseudonym in every file.
    let pseudonym = config_copy
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap()
        .to_owned();
    assert!(pseudonym.starts_with("host-"), "{config_copy}");
    assert!(
        report.contains(&format!("http://{pseudonym}:1/health")),
        "{report}"
    );
}

#[test]
fn bad_input_fails_before_gathering() {
    maint()
        .args(["diagnose", "--bundle", "no/such/folder/b.tar.gz"])
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("cannot write --bundle no/such/folder/b.tar.gz");
    maint()
        .args(["diagnose", "--redact-hosts"])
        .run()
        .code(3)
        .one_error_line("--bundle <FILE>");
    maint()
        .args(["diagnose", "--since", "a while"])
        .run()
        .code(3)
        .one_error_line("invalid duration \"a while\"");
}

#[test]
fn a_hung_collector_does_not_delay_the_report() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: mounting a FUSE filesystem in a private namespace needs root");
        return;
    }
    let command = maint();
    let mount_point = command.path("hung");
    std::fs::create_dir(&mount_point).unwrap();
    let point = mount_point.display().to_string();
    let config = format!(
        "{QUIET_HOST}[health.disk]\nwarn = 100\ncrit = 100\n[diagnose]\npaths = [\"{point}\"]\ntimeout = \"1s\"\ndeadline = \"2s\"\n"
    );
    let out = command
        .config(&config)
        .json()
        .args(["diagnose"])
        .run_with_hung_mount(&point, r#"timeout -s KILL 20 "$@"; code=$?"#);
    assert!(out.elapsed.as_secs_f64() < 8.0, "took {:?}", out.elapsed);
    out.code(3);
    let finding = out.check(&format!("folders:{point}"));
    assert_eq!(finding["status"], "UNKNOWN");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("gave no answer within"),
        "{finding}"
    );
    // The other sections still arrived.
    assert!(out.json()["sections"]["host"].as_array().unwrap().len() > 3);
}

#[test]
fn an_expiring_certificate_is_a_finding_with_the_command_to_run() {
    let command = maint();
    let cert = command.path("api.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "10",
            "-subj",
            "/CN=api.example.test",
        ])
        .arg("-keyout")
        .arg(command.path("api.key"))
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(status.status.success());
    let config = format!(
        "{QUIET_HOST}{}[certs]\ntargets = [\"{}\"]\n",
        folders_config(command.dir()),
        cert.display()
    );
    let out = command.config(&config).json().args(["diagnose"]).run();
    out.code(2);
    let finding = out.check(&format!("cert:{}", cert.display()));
    assert_eq!(finding["status"], "CRITICAL");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("expires in"), "{message}");
    assert!(message.ends_with(
        "Clients refuse the connection once a certificate expires or cannot be trusted."
    ));
    assert_eq!(
        finding["hint"],
        format!("maint certs check {}", cert.display())
    );
    assert!(
        out.json()["sections"]["certificates"]
            .as_array()
            .unwrap()
            .len()
            == 1
    );
}

#[test]
fn a_bloated_table_is_a_finding_with_the_vacuum_to_run() {
    let server = postgres::shared();
    let database = format!("maint_diagnose_bloat_{}", std::process::id());
    let mut admin = server.client();
    // One statement per call: DROP and CREATE DATABASE refuse a transaction block.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {database}"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {database}"))
        .unwrap();
    let url = format!("{}{database}", server.url().trim_end_matches("postgres"));
    let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    client
        .batch_execute(
            "CREATE TABLE metrics (id int PRIMARY KEY, value text) WITH (autovacuum_enabled = false);
             INSERT INTO metrics SELECT g, 'a' FROM generate_series(1, 20000) AS g;
             UPDATE metrics SET value = 'b';
             ANALYZE metrics;",
        )
        .unwrap();
    drop(client);
    let out = diagnose_with(&format!("[postgres]\nurl = \"{url}\"\n"));
    admin
        .batch_execute(&format!("DROP DATABASE {database} WITH (FORCE)"))
        .unwrap();
    let finding = out.check("db:dead_tuples");
    assert_eq!(finding["status"], "CRITICAL");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .starts_with("public.metrics: 50 % dead"),
        "{finding}"
    );
    assert_eq!(finding["hint"], "maint db vacuum --table public.metrics");
    out.nowhere(postgres::PASSWORD);
}

#[test]
fn recent_errors_come_from_the_configured_logs_and_secrets_in_them_stay_out_of_the_bundle() {
    let command = maint();
    let now = chrono::Utc::now();
    let mut log = String::new();
    for i in 0..150 {
        let at = (now - chrono::Duration::minutes(150 - i)).format("%Y-%m-%d %H:%M:%S");
        log.push_str(&format!(
            "{at},000 ERROR [api] payment {i} failed: gateway timeout\n"
        ));
    }
    let at = now.format("%Y-%m-%d %H:%M:%S");
    log.push_str(&format!(
        "{at},000 INFO [db] connecting to postgres://app:log-url-secret@db.internal/app with password=log-kv-secret\n\
         {at},000 INFO [http] Authorization: Bearer log-bearer-token-123\n"
    ));
    let command = command.file("app/app.log", &log);
    let config = format!(
        "{QUIET_HOST}{}[logs]\npaths = [\"{}\"]\n",
        folders_config(command.dir()),
        command.path("app/app.log").display()
    );
    let bundle = command.path("support.tar.gz");
    let out = command
        .config(&config)
        .json()
        .args(["diagnose", "--bundle"])
        .arg(&bundle)
        .run();
    let finding = out.check("logs:errors");
    assert_eq!(finding["status"], "WARNING");
    assert_eq!(finding["value"], 150.0);
    let templates = out.json()["sections"]["logs"].as_array().unwrap().clone();
    assert!(
        templates.iter().any(|row| row["template"]
            .as_str()
            .unwrap()
            .contains("payment <NUM> failed: gateway timeout")),
        "{templates:?}"
    );
    let files = unpack(&bundle, out.dir.path());
    assert!(
        files.iter().any(|(name, _)| name.ends_with("app/app.log")),
        "no log excerpt in the bundle"
    );
    for (name, text) in &files {
        for secret in ["log-url-secret", "log-kv-secret", "log-bearer-token-123"] {
            assert!(!text.contains(secret), "{secret} in {name}");
        }
    }
}

#[test]
fn a_missing_or_stale_backup_is_a_finding_with_the_command_to_run() {
    let command = maint().file("data/app.db", "rows\n");
    std::fs::create_dir(command.path("backups")).unwrap();
    let config = format!(
        "{QUIET_HOST}[backup]\nsources = [\"{}\"]\ndest = \"{}\"\n\
         [diagnose]\npaths = [\"{}\"]\nbackup_age = {{ warn = \"1s\", crit = \"1h\" }}\n",
        command.path("data").display(),
        command.path("backups").display(),
        command.dir().display()
    );
    let command = command.config(&config);
    let dir = command.dir().to_path_buf();

    // No backup yet.
    let out = maint().json().args(["diagnose"]).run_in(&dir);
    let finding = out.check("backup:latest");
    assert_eq!(finding["status"], "WARNING");
    assert_eq!(finding["hint"], "maint backup create");

    // A backup, then older than the (configured) warning age.
    maint().args(["backup", "create"]).run_in(&dir).code(0);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let out = maint().json().args(["diagnose"]).run_in(&dir);
    out.code(1);
    let finding = out.check("backup:age");
    assert_eq!(finding["status"], "WARNING");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .starts_with("the newest backup, "),
        "{finding}"
    );
    assert!(
        finding["hint"]
            .as_str()
            .unwrap()
            .starts_with("maint backup create")
    );
    let state = out.json()["sections"]["backup"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["key"] == "state")
        .unwrap()["value"]
        .clone();
    assert!(state.as_str().unwrap().starts_with("verified"), "{state}");
    drop(command);
}
