//! The command line itself: usage errors exit 3 with one line, help and
//! version exit 0.

use crate::support::maint;

#[test]
fn unknown_subcommand_is_a_usage_error() {
    maint()
        .arg("frobnicate")
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("unrecognized subcommand 'frobnicate'");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    maint()
        .args(["health", "--frobnicate"])
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("unexpected argument '--frobnicate'");
}

#[test]
fn a_near_miss_gets_a_suggestion() {
    maint()
        .arg("helth")
        .run()
        .code(3)
        .one_error_line("hint: a similar subcommand exists: 'health'");
}

#[test]
fn no_subcommand_is_a_usage_error() {
    maint().run().code(3).one_error_line("maint: error:");
}

#[test]
fn bad_flag_values_are_usage_errors() {
    maint()
        .args(["health", "--deadline", "10"])
        .run()
        .code(3)
        .one_error_line("invalid duration \"10\": a unit is missing");
    maint()
        .args(["--format", "yaml", "health"])
        .run()
        .code(3)
        .one_error_line("invalid value 'yaml' for '--format <FMT>'");
    maint()
        .args(["health", "--http", "ftp://example.com/"])
        .run()
        .code(3)
        .one_error_line("only http and https are checked");
}

#[test]
fn help_and_version_exit_zero() {
    maint()
        .arg("--help")
        .run()
        .code(0)
        .stdout_has("Usage: maint [OPTIONS] <COMMAND>")
        .stdout_has("health");
    maint()
        .args(["health", "--help"])
        .run()
        .code(0)
        .stdout_has("--deadline <DUR>");
    let version = maint().arg("--version").run();
    version.code(0);
    assert!(
        version
            .stdout
            .starts_with(&format!("maint {} (", env!("CARGO_PKG_VERSION"))),
        "{}",
        version.stdout
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef maint"),
        ("fish", "complete -c maint"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[maint]"),
    ] {
        maint()
            .args(["completions", shell])
            .run()
            .code(0)
            .stdout_has(marker);
    }
    maint().args(["completions", "tcsh"]).run().code(3);
}
