//! `maint health` against configured HTTP endpoints, TCP ports and
//! processes, with the faults operators meet: refused, silent, failing,
//! unresolvable.

use crate::support::command::free_port;
use crate::support::http::url;
use crate::support::maint;

fn http_config(entries: &[(&str, &str)]) -> String {
    entries
        .iter()
        .map(|(name, extra)| format!("[[health.http]]\nname = \"{name}\"\n{extra}\n"))
        .collect()
}

#[test]
fn a_healthy_endpoint_is_ok() {
    let config = http_config(&[(
        "api",
        &format!("url = \"{}\"\ncontains = \"ok\"", url("/ok")),
    )]);
    let out = maint()
        .config(&config)
        .json()
        .args(["health", "--only", "http"])
        .run();
    out.code(0);
    let check = out.check("http:api");
    assert_eq!(check["status"], "OK");
    assert_eq!(check["unit"], "seconds");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 200 OK in ")
    );
}

#[test]
fn http_500_is_critical_with_a_curl_hint() {
    let out = maint()
        .json()
        .args(["health", "--only", "http", "--http", &url("/status/500")])
        .run();
    out.code(2);
    let name = format!(
        "http:{}/status/500",
        crate::support::http::server().trim_start_matches("http://")
    );
    let check = out.check(&name);
    assert_eq!(check["status"], "CRITICAL");
    assert_eq!(
        check["message"],
        "HTTP 500 Internal Server Error; expected 2xx or 3xx"
    );
    assert!(check["hint"].as_str().unwrap().starts_with("curl -sS"));
}

#[test]
fn expected_status_and_body_are_checked() {
    let config = http_config(&[
        (
            "maintenance",
            &format!("url = \"{}\"\nexpect_status = 503", url("/status/503")),
        ),
        (
            "wrong-body",
            &format!(
                "url = \"{}\"\ncontains = \"healthy\"",
                url("/body/degraded")
            ),
        ),
    ]);
    let out = maint()
        .config(&config)
        .json()
        .args(["health", "--only", "http"])
        .run();
    out.code(2);
    assert_eq!(out.check("http:maintenance")["status"], "OK");
    let body = out.check("http:wrong-body");
    assert_eq!(body["status"], "CRITICAL");
    assert_eq!(
        body["message"],
        "HTTP 200 but the body does not contain \"healthy\""
    );
}

#[test]
fn slow_answers_cross_the_latency_levels() {
    let config = http_config(&[(
        "slow",
        &format!(
            "url = \"{}\"\nlatency = {{ warn = \"100ms\", crit = \"5s\" }}",
            url("/slow/300")
        ),
    )]);
    let out = maint()
        .config(&config)
        .json()
        .args(["health", "--only", "http"])
        .run();
    out.code(1);
    let check = out.check("http:slow");
    assert_eq!(check["status"], "WARNING");
    assert_eq!(check["threshold"]["warning"], 0.1);
}

#[test]
fn an_endpoint_that_never_answers_is_critical_after_its_timeout() {
    let config = http_config(&[(
        "silent",
        &format!("url = \"{}\"\ntimeout = \"1s\"", url("/hang")),
    )]);
    let out = maint()
        .config(&config)
        .json()
        .args(["health", "--only", "http"])
        .run();
    out.code(2);
    assert!(out.elapsed.as_secs_f64() < 3.0, "took {:?}", out.elapsed);
    let check = out.check("http:silent");
    assert_eq!(check["status"], "CRITICAL");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .ends_with("no response within 1.0 s"),
        "{check}"
    );
}

#[test]
fn refused_connections_are_critical() {
    let port = free_port();
    let config = format!(
        "{}[[health.tcp]]\nname = \"db\"\naddress = \"127.0.0.1:{port}\"\n",
        http_config(&[("down", &format!("url = \"http://127.0.0.1:{port}/health\""))])
    );
    let out = maint()
        .config(&config)
        .json()
        .args(["health", "--only", "http", "--only", "tcp"])
        .run();
    out.code(2);
    let http = out.check("http:down");
    assert_eq!(http["status"], "CRITICAL");
    assert_eq!(
        http["message"],
        format!("http://127.0.0.1:{port}/health: connection refused")
    );
    let tcp = out.check("tcp:db");
    assert_eq!(tcp["status"], "CRITICAL");
    assert_eq!(
        tcp["message"],
        format!("127.0.0.1:{port}: connection refused")
    );
    assert_eq!(tcp["hint"], format!("nc -vz 127.0.0.1 {port}"));
}

#[test]
fn an_open_port_is_ok() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let out = maint()
        .config(&format!("[[health.tcp]]\naddress = \"{address}\"\n"))
        .json()
        .args(["health", "--only", "tcp"])
        .run();
    out.code(0);
    assert!(
        out.check(&format!("tcp:{address}"))["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{address} accepts connections"))
    );
}

#[test]
fn a_name_that_does_not_resolve_is_unknown() {
    let config = format!(
        "{}[[health.tcp]]\nname = \"nowhere\"\naddress = \"no-such-host.invalid:5432\"\n",
        http_config(&[("nowhere", "url = \"http://no-such-host.invalid/health\"")])
    );
    let out = maint()
        .config(&config)
        .json()
        .args(["health", "--only", "http", "--only", "tcp"])
        .run();
    out.code(3);
    let http = out.check("http:nowhere");
    assert_eq!(http["status"], "UNKNOWN");
    assert_eq!(
        http["message"],
        "http://no-such-host.invalid/health: cannot resolve host no-such-host.invalid"
    );
    assert_eq!(
        out.check("tcp:nowhere")["message"],
        "no-such-host.invalid:5432: cannot resolve host no-such-host.invalid"
    );
}

#[test]
fn forty_endpoints_with_ten_silent_are_all_judged() {
    let mut config = String::new();
    for i in 0..40 {
        let path = if i % 4 == 0 {
            "/hang".to_owned()
        } else {
            "/ok".to_owned()
        };
        config.push_str(&format!(
            "[[health.http]]\nname = \"e{i}\"\nurl = \"{}\"\ntimeout = \"2s\"\n",
            url(&path)
        ));
    }
    let out = maint()
        .config(&config)
        .json()
        .args(["health", "--only", "http"])
        .run();
    out.code(2);
    let json = out.json();
    assert_eq!(json["summary"]["critical"], 10);
    assert_eq!(json["summary"]["ok"], 30);
    // How fast is the benchmark's business (bench/health.sh); here, each
    // silent endpoint must have failed on its own timeout, not the deadline.
    assert!(
        out.check("http:e0")["message"]
            .as_str()
            .unwrap()
            .ends_with("no response within 2.0 s")
    );
}

#[test]
fn processes_are_counted_by_name_and_pattern() {
    let mut sleeper = std::process::Command::new("sleep")
        .arg("271.828")
        .spawn()
        .unwrap();
    let config = "\
[[health.process]]
name = \"sleep\"

[[health.process]]
pattern = \"sleep 271\\\\.828\"
max = 1

[[health.process]]
name = \"no-such-daemon\"
";
    let out = maint()
        .config(config)
        .json()
        .args(["health", "--only", "process"])
        .run();
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    out.code(2);
    assert_eq!(out.check("process:sleep")["status"], "OK");
    let pattern = out.check("process:sleep 271\\.828");
    assert_eq!(pattern["status"], "OK");
    assert_eq!(pattern["value"], 1.0);
    let missing = out.check("process:no-such-daemon");
    assert_eq!(missing["status"], "CRITICAL");
    assert_eq!(missing["message"], "not running; expected at least 1");
    assert_eq!(
        missing["hint"],
        "systemctl status no-such-daemon; pgrep -a no-such-daemon"
    );
}

/// A name with an IPv4 and an IPv6 address, the test server listening on
/// the IPv4 one only. This machine's /etc/hosts gives `localhost` only
/// 127.0.0.1, so the name comes from a hosts file of the test's own
/// (`MAINT_TEST_HOSTS`, read before the system's resolver).
#[test]
fn every_address_of_a_name_is_checked_and_the_failing_one_named() {
    let port = crate::support::http::server()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let run = maint();
    let hosts = run.path("hosts");
    std::fs::write(&hosts, "127.0.0.1 dual.test\n::1 dual.test\n").unwrap();
    let config = http_config(&[(
        "api",
        &format!("url = \"http://dual.test:{port}/host\"\ncontains = \"host=dual.test:{port}\""),
    )]);
    let out = run
        .config(&config)
        .json()
        .env("MAINT_TEST_HOSTS", &hosts)
        .args(["health", "--only", "http"])
        .run();
    out.code(1);
    let check = out.check("http:api");
    assert_eq!(check["status"], "WARNING", "{check}");
    let message = check["message"].as_str().unwrap();
    // The address that answered did so to the name: the body search for the
    // Host header passed on it.
    assert!(
        message.starts_with(
            "1 of 2 addresses fail: ::1: connection refused; 127.0.0.1 answers HTTP 200 OK in "
        ),
        "{message}"
    );
    assert_eq!(
        check["hint"],
        format!(
            "curl -sS -o /dev/null -w '%{{http_code}}\\n' --resolve 'dual.test:{port}:[::1]' 'http://dual.test:{port}/host'"
        )
    );
}

#[test]
fn a_name_whose_every_address_fails_is_critical() {
    let port = free_port();
    let run = maint();
    let hosts = run.path("hosts");
    std::fs::write(&hosts, "127.0.0.1 dual.test\n::1 dual.test\n").unwrap();
    let out = run
        .json()
        .env("MAINT_TEST_HOSTS", &hosts)
        .args([
            "health",
            "--only",
            "http",
            "--http",
            &format!("http://dual.test:{port}/"),
        ])
        .run();
    out.code(2);
    let check = out.check(&format!("http:dual.test:{port}"));
    assert_eq!(check["status"], "CRITICAL", "{check}");
    assert_eq!(
        check["message"],
        "every address fails: 127.0.0.1: connection refused; ::1: connection refused"
    );
}
