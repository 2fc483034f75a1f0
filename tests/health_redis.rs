//! `maint health` against real Redis servers: healthy, AUTH required and not
//! given, wrong password, down, near its memory limit.

use crate::support::command::free_port;
use crate::support::maint;
use crate::support::redis::{self, Redis};

const NAMES: [&str; 5] = [
    "redis",
    "redis:memory",
    "redis:clients",
    "redis:rejected",
    "redis:persistence",
];

#[test]
fn a_healthy_server_is_ok() {
    let server = redis::shared();
    let out = maint()
        .json()
        .args(["health", "--only", "redis", "--redis", server.url()])
        .run();
    out.code(0);
    assert_eq!(out.check_names(), NAMES);
    assert!(
        out.check("redis")["message"]
            .as_str()
            .unwrap()
            .contains("answered PING")
    );
}

#[test]
fn redis_url_is_used_when_the_section_gives_none() {
    let server = redis::shared();
    maint()
        .config("[redis]\n")
        .env("REDIS_URL", server.url())
        .args(["health", "--only", "redis"])
        .run()
        .code(0);
}

#[test]
fn auth_required_but_not_given_is_critical() {
    let server = Redis::start(&[("requirepass", "redis-secret-31337")]);
    let out = maint()
        .json()
        .args(["health", "--only", "redis", "--redis", server.url()])
        .run();
    out.code(2);
    let check = out.check("redis");
    assert_eq!(
        check["message"],
        format!(
            "Redis at redis://127.0.0.1:{}: authentication required and no password was given",
            server.port
        )
    );
    assert!(
        check["hint"]
            .as_str()
            .unwrap()
            .starts_with("put the password in the URL")
    );
    assert_eq!(out.check("redis:memory")["status"], "UNKNOWN");
}

#[test]
fn a_wrong_password_is_critical_and_never_shown() {
    let server = Redis::start(&[("requirepass", "redis-secret-31337")]);
    let out = maint()
        .json()
        .args(["health", "--only", "redis"])
        .arg("--redis")
        .arg(format!("redis://:wrong-redis-pw@127.0.0.1:{}", server.port))
        .run();
    out.code(2);
    assert!(
        out.check("redis")["message"]
            .as_str()
            .unwrap()
            .ends_with("the password (or user) was refused")
    );
    out.nowhere("wrong-redis-pw");
    // And the right one works.
    maint()
        .args(["health", "--only", "redis"])
        .arg("--redis")
        .arg(format!(
            "redis://:redis-secret-31337@127.0.0.1:{}",
            server.port
        ))
        .run()
        .code(0)
        .nowhere("redis-secret-31337");
}

#[test]
fn a_server_that_is_down_is_critical() {
    let port = free_port();
    let out = maint()
        .json()
        .args([
            "health",
            "--only",
            "redis",
            "--redis",
            &format!("redis://127.0.0.1:{port}"),
        ])
        .run();
    out.code(2);
    let check = out.check("redis");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .ends_with("connection refused: is redis-server running?"),
        "{check}"
    );
    assert_eq!(
        check["hint"],
        format!("redis-cli -h 127.0.0.1 -p {port} ping; systemctl status redis-server")
    );
}

#[test]
fn memory_is_judged_against_maxmemory() {
    let server = Redis::start(&[("maxmemory", "2mb"), ("maxmemory-policy", "noeviction")]);
    let out = maint()
        .json()
        .args(["health", "--only", "redis:memory", "--redis", server.url()])
        .args(["--threshold", "redis.memory=1,99"])
        .run();
    out.code(1);
    let check = out.check("redis:memory");
    assert_eq!(check["status"], "WARNING");
    let message = check["message"].as_str().unwrap();
    assert!(
        message.contains("of maxmemory 2.0 MiB (policy noeviction"),
        "{message}"
    );
    assert!(
        message.ends_with("with noeviction, writes fail at the limit"),
        "{message}"
    );
}
