//! `maint redis report` against real Redis servers configured into each
//! state: a cache without maxmemory, noeviction, a failed save, a replica
//! and its primary, big keys and slow commands, an ACL user without INFO
//! (or SLOWLOG), a password that never shows, and a server that goes away
//! mid-report.

use std::process::Stdio;
use std::time::Duration;

use crate::support::command::{free_port, wait_for};
use crate::support::maint;
use crate::support::redis::Redis;

/// `maint --format json redis report --url URL EXTRA...`
fn report(url: &str, extra: &[&str]) -> crate::support::command::Output {
    maint()
        .json()
        .args(["redis", "report", "--url", url])
        .args(extra)
        .run()
}

fn status(out: &crate::support::command::Output, name: &str) -> String {
    out.check(name)["status"].as_str().unwrap().to_owned()
}

/// Fills db `db` with `count` keys, `expiring` of them with a TTL, in pipelines.
fn fill(server: &Redis, db: u32, count: usize, expiring: usize) {
    let client = redis::Client::open(format!("{}/{db}", server.url())).unwrap();
    let mut connection = client.get_connection().unwrap();
    for chunk in (0..count).collect::<Vec<_>>().chunks(10_000) {
        let mut pipe = redis::pipe();
        for i in chunk {
            if *i < expiring {
                pipe.cmd("SET")
                    .arg(format!("key:{i}"))
                    .arg("v")
                    .arg("EX")
                    .arg(3600)
                    .ignore();
            } else {
                pipe.cmd("SET").arg(format!("key:{i}")).arg("v").ignore();
            }
        }
        pipe.query::<()>(&mut connection).unwrap();
    }
}

#[test]
fn a_cache_without_maxmemory_is_a_finding_with_its_hint() {
    // The test servers save nothing: taken for a cache.
    let server = Redis::start(&[]);
    fill(&server, 0, 300, 100);
    fill(&server, 3, 20, 20);
    let out = report(server.url(), &[]);
    assert!(out.code == 1 || out.code == 2, "{}", out.stdout);
    let names = out.check_names();
    assert_eq!(
        names[..5],
        [
            "redis",
            "redis:memory",
            "redis:clients",
            "redis:rejected",
            "redis:persistence"
        ]
    );
    for name in [
        "redis:fragmentation",
        "redis:hit_ratio",
        "redis:slowlog",
        "redis:latency_doctor",
        "redis:memory_doctor",
        "redis:host:overcommit",
        "redis:big_keys",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    let check = out.check("redis:config:maxmemory");
    assert_eq!(check["status"], "WARNING");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("taken for a cache as it persists nothing"),
        "{check}"
    );
    assert!(check["hint"].as_str().unwrap().contains(&format!(
        "redis-cli -h 127.0.0.1 -p {} config set maxmemory",
        server.port
    )));
    assert_eq!(status(&out, "redis:config:eviction_policy"), "WARNING");
    let json = out.json();
    let keyspace = json["sections"]["keyspace"].as_array().unwrap();
    assert_eq!(keyspace.len(), 2);
    assert_eq!(keyspace[0]["db"], 0);
    assert_eq!(keyspace[0]["keys"], 300);
    assert_eq!(keyspace[0]["expires"], 100);
    assert_eq!(keyspace[1]["db"], 3);
    // Both databases were sampled, every key of them.
    let big = out.check("redis:big_keys");
    assert!(
        big["message"].as_str().unwrap().ends_with("(all 320 keys)"),
        "{big}"
    );
}

#[test]
fn noeviction_on_a_cache_with_maxmemory_is_a_finding_and_allkeys_is_not() {
    let server = Redis::start(&[("maxmemory", "50mb"), ("maxmemory-policy", "noeviction")]);
    let out = report(server.url(), &["--used-as", "cache"]);
    assert_eq!(status(&out, "redis:config:maxmemory"), "OK");
    let check = out.check("redis:config:eviction_policy");
    assert_eq!(check["status"], "WARNING");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("writes fail instead of old keys making room")
    );
    server
        .command(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"])
        .unwrap();
    let out = maint()
        .json()
        .config("[redis]\nused_as = \"cache\"\n")
        .args(["redis", "report", "--url", server.url()])
        .run();
    assert_eq!(status(&out, "redis:config:eviction_policy"), "OK");
    // The same server as a data store: it evicts what it should keep and saves nothing.
    let out = report(server.url(), &["--used-as", "store"]);
    assert_eq!(status(&out, "redis:config:eviction_policy"), "WARNING");
    assert_eq!(status(&out, "redis:config:persistence"), "WARNING");
}

#[test]
fn a_failed_background_save_is_critical() {
    let server = Redis::start(&[("enable-protected-configs", "yes")]);
    server.fail_a_save();
    let out = report(server.url(), &[]);
    out.code(2);
    let check = out.check("redis:persistence");
    assert_eq!(check["status"], "CRITICAL");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("rdb_last_bgsave_status:err"),
        "{check}"
    );
    // Writes are refused (MISCONF): as bad as down, and said so.
    assert_eq!(status(&out, "redis"), "CRITICAL");
}

#[test]
fn a_replica_reports_its_primary_and_the_primary_its_replica() {
    let primary = Redis::start(&[]);
    let port = primary.port.to_string();
    let replica = Redis::start(&[("replicaof", &format!("127.0.0.1 {port}"))]);
    assert!(wait_for(Duration::from_secs(20), || {
        let out = report(replica.url(), &[]);
        status(&out, "redis:replication") == "OK"
    }));
    let out = report(replica.url(), &[]);
    let message = out.check("redis:replication")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with(&format!("a replica of 127.0.0.1:{port}, link up")),
        "{message}"
    );
    let out = report(primary.url(), &[]);
    let message = out.check("redis:replication")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("a primary with 1 replica: 127.0.0.1:"),
        "{message}"
    );
    // A replica whose primary is gone serves stale data.
    let orphan = Redis::start(&[("replicaof", &format!("127.0.0.1 {}", free_port()))]);
    let out = report(orphan.url(), &[]);
    out.code(2);
    let check = out.check("redis:replication");
    assert_eq!(check["status"], "CRITICAL");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("whose link is down")
    );
}

#[test]
fn big_keys_and_slow_commands_are_found_and_judged() {
    let server = Redis::start(&[("slowlog-log-slower-than", "0")]);
    fill(&server, 0, 2000, 0);
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_connection().unwrap();
    let mut pipe = redis::pipe();
    for i in 0..50_000 {
        pipe.cmd("HSET")
            .arg("big:hash")
            .arg(i)
            .arg("some value")
            .ignore();
    }
    pipe.query::<()>(&mut connection).unwrap();
    // A command that walks 50,000 fields: milliseconds, into the slow log.
    redis::cmd("HGETALL")
        .arg("big:hash")
        .query::<redis::Value>(&mut connection)
        .unwrap();
    let out = maint()
        .json()
        .config("[redis]\nbig_key = { warn = \"1MiB\", crit = \"1GiB\" }\nslowlog = { warn = \"1ms\", crit = \"1h\" }\n")
        .args(["redis", "report", "--top", "3", "--url", server.url()])
        .run();
    out.code(1);
    let check = out.check("redis:big_keys");
    assert_eq!(check["status"], "WARNING");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .starts_with("biggest: hash \"big:hash\" in db 0,"),
        "{check}"
    );
    let json = out.json();
    let big = json["sections"]["big_keys"].as_array().unwrap();
    assert_eq!(big.len(), 3);
    assert_eq!(big[0]["key"], "big:hash");
    assert_eq!(big[0]["length"], 50_000);
    assert!(big[0]["bytes"].as_u64().unwrap() > 1 << 20);
    assert_eq!(status(&out, "redis:slowlog"), "WARNING");
    let slow = json["sections"]["slowlog"].as_array().unwrap();
    assert!(!slow.is_empty() && slow.len() <= 3);
    // Only the command and its key are shown, never the values written.
    out.nowhere("some value");
    // Sampling off: no big keys check, no table.
    let out = maint()
        .json()
        .args(["redis", "report", "--sample", "0", "--url", server.url()])
        .run();
    assert!(!out.check_names().iter().any(|n| n == "redis:big_keys"));
}

#[test]
fn prometheus_and_nagios_come_from_the_same_report() {
    let server = Redis::start(&[]);
    fill(&server, 0, 10, 4);
    let out = maint()
        .args([
            "--format",
            "prometheus",
            "redis",
            "report",
            "--url",
            server.url(),
        ])
        .run();
    out.stdout_has("maint_redis_keys{command=\"redis report\",db=\"0\"} 10\n")
        .stdout_has("maint_redis_expiring_keys{command=\"redis report\",db=\"0\"} 4\n")
        .stdout_has(
            "maint_check_status{command=\"redis report\",check=\"redis:config:maxmemory\"} 1\n",
        );
    let out = maint()
        .args([
            "--format",
            "nagios",
            "redis",
            "report",
            "--url",
            server.url(),
        ])
        .run();
    assert!(
        out.stdout.starts_with("MAINT REDIS REPORT WARNING - "),
        "{}",
        out.stdout
    );
}

#[test]
fn a_password_never_shows() {
    let server = Redis::start(&[("requirepass", "report-secret-4242")]);
    let url = format!("redis://:report-secret-4242@127.0.0.1:{}", server.port);
    let out = maint().args(["-v", "redis", "report", "--url", &url]).run();
    assert!(out.code == 1 || out.code == 2);
    out.stdout_has("redis-cli -h 127.0.0.1")
        .nowhere("report-secret-4242");
    let out = maint()
        .json()
        .args(["redis", "report", "--url", &url])
        .run();
    out.nowhere("report-secret-4242");
}

#[test]
fn a_user_without_info_gets_a_clear_unknown_and_one_without_slowlog_the_rest() {
    let server = Redis::start(&[]);
    server
        .command(&[
            "ACL",
            "SETUSER",
            "noinfo",
            "on",
            ">pw-noinfo",
            "~*",
            "+@all",
            "-info",
        ])
        .unwrap();
    let out = report(
        &format!("redis://noinfo:pw-noinfo@127.0.0.1:{}", server.port),
        &[],
    );
    out.code(3);
    let check = out.check("redis");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("user \"noinfo\" may not run INFO (ACL: NOPERM)"),
        "{check}"
    );
    assert!(
        out.check("redis:config:maxmemory")["message"]
            .as_str()
            .unwrap()
            .starts_with("not measured: user \"noinfo\" may not run INFO")
    );
    assert!(
        out.check("redis:slowlog")["hint"]
            .as_str()
            .unwrap()
            .contains("ACL SETUSER noinfo +info")
    );
    out.nowhere("pw-noinfo");
    server
        .command(&[
            "ACL",
            "SETUSER",
            "noslow",
            "on",
            ">pw-noslow",
            "~*",
            "+@all",
            "-slowlog",
        ])
        .unwrap();
    let out = report(
        &format!("redis://noslow:pw-noslow@127.0.0.1:{}", server.port),
        &[],
    );
    assert_eq!(status(&out, "redis"), "OK");
    let check = out.check("redis:slowlog");
    assert_eq!(check["status"], "UNKNOWN");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("may not run SLOWLOG"),
        "{check}"
    );
    assert_eq!(status(&out, "redis:config:maxmemory"), "WARNING");
}

#[test]
fn a_server_gone_mid_report_is_critical_and_what_was_read_stays() {
    let mut server = Redis::start(&[]);
    fill(&server, 0, 20_000, 0);
    // 100 keys a second: the sampling takes far longer than the test waits.
    let child = maint()
        .json()
        .args([
            "redis",
            "report",
            "--sample-rate",
            "100",
            "--timeout",
            "60s",
            "--url",
            server.url(),
        ])
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    server.stop();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let checks = json["checks"].as_array().unwrap();
    let first = &checks[0];
    assert_eq!(first["status"], "CRITICAL");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .contains("stopped answering during the report"),
        "{first}"
    );
    let big = checks
        .iter()
        .find(|c| c["name"] == "redis:big_keys")
        .unwrap();
    assert_eq!(big["status"], "UNKNOWN");
    // INFO was read before it went: its figures are still there.
    assert_eq!(json["sections"]["keyspace"][0]["keys"], 20_000);
}

#[test]
fn a_server_that_is_down_is_critical() {
    let port = free_port();
    let out = report(&format!("redis://127.0.0.1:{port}"), &[]);
    out.code(2);
    assert!(
        out.check("redis")["message"]
            .as_str()
            .unwrap()
            .ends_with("connection refused: is redis-server running?")
    );
    assert_eq!(status(&out, "redis:config:maxmemory"), "UNKNOWN");
}
