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
        let out = maint().args(["--format", "json"]).args(args).run();
        assert_valid(what, &out.json());
    }
}

#[test]
fn the_schema_rejects_what_it_should() {
    let out = maint()
        .args(["--format", "json", "health", "--only", "cpu"])
        .run();
    let mut json = out.json();
    json["checks"][0]["status"] = "FINE".into();
    assert!(!validator().is_valid(&json));
    let mut json = out.json();
    json["schema_version"] = 2.into();
    assert!(!validator().is_valid(&json));
}
