//! maint.toml: discovery, and bad files that must fail before anything runs,
//! naming the file, the line and the key.

use crate::support::maint;

#[test]
fn no_config_at_all_runs_on_built_in_defaults() {
    let out = maint().args(["-v", "health", "--only", "cpu"]).run();
    if !std::path::Path::new("/etc/maint/maint.toml").exists() {
        out.stderr_has("maint: config: none found, using built-in defaults");
    }
    assert!(out.code <= 2, "{}", out.stderr);
}

#[test]
fn the_working_folder_config_is_found() {
    maint()
        .config("[health]\nskip = [\"load\"]\n")
        .args([
            "-v", "--format", "json", "health", "--only", "cpu", "--only", "load",
        ])
        .run()
        .stderr_has("maint: config: maint.toml");
}

#[test]
fn maint_config_names_the_file() {
    let command = maint().file("elsewhere/m.toml", "[health]\nskip = [\"cpu\"]\n");
    let path = command.path("elsewhere/m.toml");
    let out = command
        .env("MAINT_CONFIG", &path)
        .json()
        .args(["health", "--only", "cpu", "--only", "load"])
        .run();
    assert_eq!(out.check_names(), ["load"]);
}

#[test]
fn xdg_config_is_found() {
    let out = maint()
        .file(".config/maint/maint.toml", "[health]\nskip = [\"cpu\"]\n")
        .json()
        .args(["health", "--only", "cpu", "--only", "load"])
        .run();
    assert_eq!(out.check_names(), ["load"]);
}

#[test]
fn a_named_config_that_is_missing_is_an_error() {
    maint()
        .args(["--config", "nope.toml", "health"])
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("cannot read config nope.toml: No such file or directory");
}

#[test]
fn an_unreadable_config_is_an_error() {
    // A folder where the file should be cannot be read, even by root.
    let command = maint();
    std::fs::create_dir(command.path("maint.toml")).unwrap();
    command
        .args(["health"])
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("cannot read config maint.toml");
}

#[test]
fn a_config_that_is_not_text_is_an_error() {
    let command = maint();
    std::fs::write(command.path("maint.toml"), b"\xff\xfe[health]").unwrap();
    command
        .arg("health")
        .run()
        .code(3)
        .one_error_line("not UTF-8 text");
}

#[test]
fn malformed_toml_names_file_and_line() {
    maint()
        .config("[health]\ndeadline = \"5s\"\n[[health.http]\nurl = \"http://x\"\n")
        .arg("health")
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("config maint.toml, line 3:");
}

#[test]
fn unknown_key_names_file_line_and_key() {
    maint()
        .config("[health]\ndeadline = \"5s\"\n\n[health.disk]\nwarn = 70\ncirt = 95\n")
        .arg("health")
        .run()
        .code(3)
        .one_error_line("config maint.toml, line 6, key `health.disk.cirt`: unknown field `cirt`, expected `warn` or `crit`");
    maint()
        .config("[helth]\n")
        .arg("health")
        .run()
        .code(3)
        .one_error_line("line 1, key `helth`: unknown field `helth`");
}

#[test]
fn wrong_type_names_file_line_and_key() {
    maint()
        .config("[health]\ntimeout = 5\n")
        .arg("health")
        .run()
        .code(3)
        .one_error_line("config maint.toml, line 2, key `health.timeout`: invalid type: integer `5`, expected a string");
}

#[test]
fn invalid_url_in_config_names_its_line() {
    maint()
        .config("[[health.http]]\nname = \"api\"\nurl = \"http//missing-colon\"\n")
        .arg("health")
        .run()
        .code(3)
        .one_error_line("config maint.toml, line 3, key `health.http[0].url`: invalid URL");
    maint()
        .config("[postgres]\nurl = \"postgres://app:hunter2@db:notaport/app\"\n")
        .arg("health")
        .run()
        .code(3)
        .one_error_line("key `postgres.url`: invalid PostgreSQL URL")
        .nowhere("hunter2");
}

#[test]
fn crossed_levels_are_caught_with_their_line() {
    maint()
        .config("[health]\n\n[health.disk]\nwarn = 95\ncrit = 90\n")
        .arg("health")
        .run()
        .code(3)
        .one_error_line("config maint.toml, line 3, key `health.disk`: the warning level 95 is above the critical level 90");
}

#[test]
fn a_process_needs_a_name_or_a_pattern() {
    maint()
        .config("[[health.process]]\nmin = 2\n")
        .arg("health")
        .run()
        .code(3)
        .one_error_line("key `health.process[0]`: give exactly one of `name` or `pattern`");
    maint()
        .config("[[health.process]]\npattern = \"(unclosed\"\n")
        .arg("health")
        .run()
        .code(3)
        .one_error_line("line 2, key `health.process[0].pattern`: invalid regular expression");
}

#[test]
fn flags_override_config_which_overrides_defaults() {
    // Config makes any use of the disk a warning...
    let config = "[health.disk]\nwarn = 0\ncrit = 100\n";
    let out = maint()
        .config(config)
        .json()
        .args(["health", "--only", "disk:/"])
        .run();
    out.code(1);
    assert_eq!(out.check("disk:/")["threshold"]["warning"], 0.0);
    // ...and the flag puts the warning back out of reach.
    let out = maint()
        .config(config)
        .json()
        .args(["health", "--only", "disk:/", "--threshold", "disk=100,100"])
        .run();
    out.code(0);
    assert_eq!(out.check("disk:/")["threshold"]["warning"], 100.0);
}

#[test]
fn the_annotated_example_config_is_valid() {
    // The example names services that are not running here; listing the plan
    // proves every key parses and validates without touching them.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/maint.toml");
    let out = maint()
        .args(["--config", example, "--format", "json", "health", "--list"])
        .run();
    out.code(0);
    let names: Vec<String> = out.json()["sections"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap().to_owned())
        .collect();
    for expected in [
        "process:nginx",
        "http:api",
        "http:site",
        "tcp:smtp",
        "postgres",
        "redis:memory",
    ] {
        assert!(
            names.contains(&expected.to_owned()),
            "{expected} not in {names:?}"
        );
    }
    assert!(
        !names.contains(&"swap".to_owned()),
        "skip = [\"swap\"] is honoured"
    );
}

#[test]
fn the_example_backup_section_is_read() {
    // `backup list` resolves [backup] dest from the example: the folder does
    // not exist here, which proves the section parsed and was used.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/maint.toml");
    maint()
        .args(["--config", example, "backup", "list"])
        .run()
        .code(3)
        .one_error_line("backup folder /var/backups/app does not exist");
}

#[test]
fn bad_backup_keys_name_the_line() {
    maint()
        .config("[backup]\nlevel = 11\n")
        .args(["backup", "list"])
        .run()
        .code(3)
        .one_error_line("line 2, key `backup.level`: gzip level 11 is out of range");
    maint()
        .config("[backup]\nname = \"../x\"\n")
        .args(["backup", "list"])
        .run()
        .code(3)
        .one_error_line("key `backup.name`: backup name \"../x\" may hold only");
}
