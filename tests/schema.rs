//! Every command's JSON output validates against the versioned schema in
//! schema/, the contract CI pipelines and log collectors rely on.

use crate::support::maint;

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/report-v1.schema.json"
    ))
    .expect("the schema file exists");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema is a valid JSON Schema")
}

fn assert_valid(what: &str, json: &serde_json::Value) {
    let validator = validator();
    let errors: Vec<String> = validator
        .iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{json:#}");
}

#[test]
fn every_command_output_matches_the_schema() {
    let redis = crate::support::redis::shared();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("health", vec!["health".into()]),
        ("health --list", vec!["health".into(), "--list".into()]),
        (
            "health with services",
            vec![
                "health".into(),
                "--only".into(),
                "redis".into(),
                "--redis".into(),
                redis.url().to_owned(),
            ],
        ),
        ("diagnose", vec!["diagnose".into()]),
        (
            "certs check",
            vec![
                "certs".into(),
                "check".into(),
                "no-such-host.invalid".into(),
            ],
        ),
        (
            "db report",
            vec![
                "db".into(),
                "report".into(),
                "--url".into(),
                crate::support::postgres::shared().url().to_owned(),
            ],
        ),
        (
            "db vacuum --dry-run",
            vec![
                "db".into(),
                "vacuum".into(),
                "--dry-run".into(),
                "--url".into(),
                crate::support::postgres::shared().url().to_owned(),
            ],
        ),
    ];
    for (what, args) in cases {
        let out = maint().json().args(args).run();
        assert_valid(what, &out.json());
    }
    // Logs and backups, on files of the test's own.
    let command = maint()
        .file(
            "app.log",
            "2026-11-24T10:00:00Z ERROR boom 1\n2026-11-24T10:00:01Z INFO fine\n",
        )
        .file("data/a.txt", "a\n");
    std::fs::create_dir(command.path("backups")).unwrap();
    let dir = command.dir().to_path_buf();
    let logs = maint()
        .json()
        .args(["logs", "analyze", "app.log"])
        .run_in(&dir);
    assert_valid("logs analyze", &logs.json());
    for args in [
        vec!["backup", "create", "--source", "data", "--dest", "backups"],
        vec!["backup", "list", "--dest", "backups"],
        vec!["backup", "verify", "--latest", "--dest", "backups"],
        vec!["backup", "prune", "--dry-run", "--dest", "backups"],
        vec!["backup", "drill", "--dest", "backups"],
    ] {
        let out = maint().json().args(&args).run_in(&dir);
        assert_valid(&args.join(" "), &out.json());
    }
    // The history a check run records, as `maint trend` shows it.
    let history = dir.join("history.db");
    maint()
        .env("MAINT_HISTORY_PATH", &history)
        .args(["health", "--only", "load"])
        .run();
    let trend = maint()
        .json()
        .env("MAINT_HISTORY_PATH", &history)
        .args(["trend"])
        .run();
    assert_valid("trend", &trend.json());
    let archive = std::fs::read_dir(dir.join("backups"))
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.to_string_lossy().ends_with(".tar.gz"))
        .expect("the backup just made");
    let restore = maint()
        .json()
        .args(["backup", "restore"])
        .arg(&archive)
        .args(["--target", "restored", "--dry-run"])
        .run_in(&dir);
    assert_valid("backup restore --dry-run", &restore.json());

    // db prune, on a table of the test's own.
    let server = crate::support::postgres::shared();
    let mut client = server.client();
    let table = format!("schema_prune_{}", std::process::id());
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (at timestamptz);
             INSERT INTO {table} SELECT now() - interval '40 days' FROM generate_series(1, 10)"
        ))
        .unwrap();
    let prune = maint()
        .json()
        .args(["db", "prune", "--url", server.url()])
        .args([
            "--table",
            &table,
            "--column",
            "at",
            "--older-than",
            "30d",
            "--dry-run",
        ])
        .run();
    assert_valid("db prune --dry-run", &prune.json());
    client
        .batch_execute(&format!("DROP TABLE {table}"))
        .unwrap();
    drop(command);
}

#[test]
fn the_schema_rejects_what_it_should() {
    let out = maint().json().args(["health", "--only", "cpu"]).run();
    let mut json = out.json();
    json["checks"][0]["status"] = "FINE".into();
    assert!(!validator().is_valid(&json));
    let mut json = out.json();
    json["schema_version"] = 2.into();
    assert!(!validator().is_valid(&json));
}

#[test]
fn routines_and_notify_test_match_the_schema() {
    let receiver =
        crate::support::receiver::Receiver::start(crate::support::receiver::Answer::Status(200));
    let site = crate::support::site::Site::new(&format!(
        "[routine.daily]\nsteps = [\"logs analyze app.log\", \"logs analyze missing.log\"]\n\
         before = \"echo ready\"\n\n[[notify]]\nwebhook = \"{}\"\non = [\"always\"]\n",
        receiver.url("/hook")
    ));
    site.write("app.log", "hello\n");
    for args in [
        vec!["run", "daily"],
        vec!["run", "daily", "--dry-run"],
        vec!["notify", "test"],
    ] {
        let out = site.maint().json().args(&args).run_in(&site.path(""));
        assert_valid(&args.join(" "), &out.json());
    }
}
