//! `maint health` against real PostgreSQL servers: healthy, wrong password,
//! no password, stopped between two runs, settings from PG* and ~/.pgpass.

use std::time::Duration;

use crate::support::maint;
use crate::support::postgres::{self, PASSWORD, Postgres};

#[test]
fn a_healthy_server_gives_three_ok_checks() {
    let server = postgres::shared();
    let out = maint()
        .json()
        .args(["health", "--only", "postgres", "--postgres", server.url()])
        .run();
    out.code(0);
    assert_eq!(
        out.check_names(),
        [
            "postgres",
            "postgres:connections",
            "postgres:oldest_transaction"
        ]
    );
    let up = out.check("postgres");
    assert!(
        up["message"]
            .as_str()
            .unwrap()
            .contains("answered SELECT 1"),
        "{up}"
    );
    out.nowhere(PASSWORD);
}

#[test]
fn the_config_section_enables_the_check() {
    let server = postgres::shared();
    let out = maint()
        .config(&format!(
            "[postgres]\nurl = \"{}\"\nconnections = {{ warn = 0 }}\n",
            server.url()
        ))
        .json()
        .args(["health", "--only", "postgres"])
        .run();
    out.code(1);
    let connections = out.check("postgres:connections");
    assert_eq!(connections["status"], "WARNING");
    assert!(
        connections["message"]
            .as_str()
            .unwrap()
            .contains("connections in use")
    );
    assert!(
        connections["hint"]
            .as_str()
            .unwrap()
            .contains("pg_stat_activity")
    );
    out.nowhere(PASSWORD);
}

#[test]
fn the_wrong_password_is_critical_and_never_shown() {
    let server = Postgres::start();
    let wrong = "not-the-password-0815";
    let out = maint()
        .json()
        .args(["health", "--only", "postgres"])
        .arg("--postgres")
        .arg(server.url_with_password(Some(wrong)))
        .run();
    out.code(2);
    let check = out.check("postgres");
    assert_eq!(check["status"], "CRITICAL");
    assert_eq!(
        check["message"],
        format!(
            "PostgreSQL at postgres://postgres@127.0.0.1:{}/postgres: password authentication failed for user \"postgres\"",
            server.port
        )
    );
    assert!(check["hint"].as_str().unwrap().contains("~/.pgpass"));
    assert_eq!(out.check("postgres:connections")["status"], "UNKNOWN");
    out.nowhere(wrong).nowhere(PASSWORD);
    // The table and Nagios forms do not show it either.
    for format in ["table", "nagios", "prometheus"] {
        maint()
            .args(["--format", format, "health", "--only", "postgres"])
            .arg("--postgres")
            .arg(server.url_with_password(Some(wrong)))
            .run()
            .code(2)
            .nowhere(wrong);
    }
}

#[test]
fn a_missing_password_is_critical() {
    let server = Postgres::start();
    let out = maint()
        .json()
        .args(["health", "--only", "postgres"])
        .arg("--postgres")
        .arg(server.url_with_password(None))
        .run();
    out.code(2);
    assert!(
        out.check("postgres")["message"]
            .as_str()
            .unwrap()
            .ends_with("the server asks for a password and none was given")
    );
}

#[test]
fn a_server_stopped_between_two_runs_is_critical() {
    let server = Postgres::start();
    let run = || {
        maint()
            .json()
            .args(["health", "--only", "postgres", "--postgres", server.url()])
            .run()
    };
    run().code(0);
    server.stop();
    let out = run();
    out.code(2);
    let check = out.check("postgres");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .ends_with("connection refused: is the server running and listening there?"),
        "{check}"
    );
    assert_eq!(
        check["hint"],
        format!(
            "pg_isready -h 127.0.0.1 -p {}; systemctl status postgresql",
            server.port
        )
    );
    assert_eq!(
        out.check("postgres:oldest_transaction")["message"],
        "not measured: no connection"
    );
    out.nowhere(PASSWORD);
}

#[test]
fn pg_variables_and_pgpass_fill_in_the_connection() {
    let server = postgres::shared();
    let port = server.port.to_string();
    // Everything from the environment.
    maint()
        .config("[postgres]\n")
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", &port)
        .env("PGUSER", "postgres")
        .env("PGPASSWORD", PASSWORD)
        .env("PGDATABASE", "postgres")
        .args(["health", "--only", "postgres"])
        .run()
        .code(0)
        .nowhere(PASSWORD);
    // The password from ~/.pgpass (mode 0600), the rest from the URL.
    let command = maint().file(
        ".pgpass",
        &format!("127.0.0.1:{port}:*:postgres:{PASSWORD}\n"),
    );
    let pgpass = command.path(".pgpass");
    std::fs::set_permissions(&pgpass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    command
        .config(&format!(
            "[postgres]\nurl = \"postgres://postgres@127.0.0.1:{port}/postgres\"\n"
        ))
        .args(["health", "--only", "postgres"])
        .run()
        .code(0)
        .nowhere(PASSWORD);
}

#[test]
fn a_long_open_transaction_is_reported_with_its_pid() {
    let server = postgres::shared();
    let mut client = server.client();
    let mut transaction = client.transaction().unwrap();
    transaction.execute("SELECT txid_current()", &[]).unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let out = maint()
        .json()
        .args([
            "health",
            "--only",
            "postgres:oldest_transaction",
            "--postgres",
            server.url(),
        ])
        .args(["--threshold", "postgres.oldest_transaction=1s,1h"])
        .run();
    transaction.rollback().unwrap();
    out.code(1);
    let check = out.check("postgres:oldest_transaction");
    assert_eq!(check["status"], "WARNING");
    let message = check["message"].as_str().unwrap();
    assert!(
        message.starts_with("oldest open transaction: ") && message.contains("idle in transaction"),
        "{message}"
    );
    assert!(
        check["hint"]
            .as_str()
            .unwrap()
            .contains("pg_terminate_backend(")
    );
}
