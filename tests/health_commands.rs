//! `[[health.command]]`: monitoring plugins as health checks, with the real
//! Debian monitoring-plugins binaries (`monitoring-plugins-basic`) and
//! commands that hang, print nothing or are no plugin at all.

use std::time::Duration;

use crate::support::maint;

const PLUGINS: &str = "/usr/lib/nagios/plugins";

fn health(config: &str) -> crate::support::command::Output {
    maint()
        .json()
        .config(config)
        .args(["health", "--only", "command:*"])
        .run()
}

#[test]
fn a_real_plugin_gives_its_status_message_and_value() {
    assert!(
        std::path::Path::new(PLUGINS).join("check_load").exists(),
        "monitoring-plugins-basic is needed: apt-get install monitoring-plugins-basic"
    );
    let out = health(&format!(
        "[[health.command]]\nname = \"load\"\ncommand = [\"{PLUGINS}/check_load\", \"-w\", \"100,100,100\", \"-c\", \"200,200,200\"]\n\
         [[health.command]]\nname = \"dummy\"\ncommand = [\"{PLUGINS}/check_dummy\", \"1\", \"the plugin said so\"]\n"
    ));
    out.code(1);
    assert_eq!(out.check_names(), ["command:load", "command:dummy"]);
    let load = out.check("command:load");
    assert_eq!(load["status"], "OK");
    assert!(
        load["message"]
            .as_str()
            .unwrap()
            .starts_with("LOAD OK - total load average: "),
        "{load}"
    );
    assert!(load["value"].is_number(), "{load}");
    let dummy = out.check("command:dummy");
    assert_eq!(dummy["status"], "WARNING");
    assert_eq!(dummy["message"], "WARNING: the plugin said so");
    assert_eq!(
        dummy["hint"],
        format!("{PLUGINS}/check_dummy 1 'the plugin said so'")
    );
}

#[test]
fn a_command_that_hangs_is_unknown_on_time_and_one_that_prints_nothing_says_so() {
    let out = health(
        "[[health.command]]\nname = \"hangs\"\ncommand = [\"sh\", \"-c\", \"sleep 60; echo never\"]\ntimeout = \"1s\"\n\
         [[health.command]]\nname = \"silent\"\ncommand = [\"sh\", \"-c\", \"exit 2\"]\n\
         [[health.command]]\nname = \"missing\"\ncommand = [\"/nonexistent/check_nothing\"]\n",
    );
    out.code(2);
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
    let hangs = out.check("command:hangs");
    assert_eq!(hangs["status"], "UNKNOWN");
    assert_eq!(
        hangs["message"],
        "sh -c 'sleep 60; echo never': no answer within 1.0 s (killed)"
    );
    let silent = out.check("command:silent");
    assert_eq!(silent["status"], "CRITICAL");
    assert_eq!(silent["message"], "(printed nothing)");
    let missing = out.check("command:missing");
    assert_eq!(missing["status"], "UNKNOWN");
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .starts_with("/nonexistent/check_nothing: cannot run /nonexistent/check_nothing:"),
        "{missing}"
    );
}

#[test]
fn an_empty_command_is_refused_with_its_line() {
    maint()
        .config("[[health.command]]\nname = \"x\"\ncommand = []\n")
        .args(["health"])
        .run()
        .code(3)
        .one_error_line(
            "line 3, key `health.command[0].command`: give the program and its arguments",
        );
}
