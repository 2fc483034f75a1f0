//! `maint certs check` against certificates made now, in files and served
//! by real TLS servers on 127.0.0.1 (rustls, openssl s_server, SMTP
//! STARTTLS, PostgreSQL with ssl=on), and every bad input of issue 6.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::command::Output;
use crate::support::maint;
use crate::support::postgres::{Postgres, write_server_file};
use crate::support::tls::{OpensslServer, Pki, TlsServer, plain_text_port, silent_port, write};

const LOCAL: &[&str] = &["localhost", "127.0.0.1"];

/// Codes of the findings about `target` that are not OK, sorted.
fn codes(out: &Output, target: &str) -> Vec<String> {
    let mut codes: Vec<String> = findings(out, target)
        .iter()
        .filter(|f| f["severity"] != "OK")
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes
}

fn findings(out: &Output, target: &str) -> Vec<Value> {
    out.json()["sections"]["findings"]
        .as_array()
        .expect("a findings section")
        .iter()
        .filter(|f| f["target"] == target)
        .cloned()
        .collect()
}

fn status(out: &Output, target: &str) -> String {
    out.check(target)["status"].as_str().unwrap().to_owned()
}

/// Serves `leaf` followed by the intermediate.
fn serve_chain(pki: &Pki, leaf: &crate::support::tls::Leaf) -> TlsServer {
    TlsServer::start(
        &format!("{}{}", leaf.pem, pki.intermediate.pem),
        &leaf.key_pem,
    )
}

#[test]
fn endpoints_yield_one_finding_code_per_problem_in_input_order() {
    let pki = Pki::new();
    let valid = serve_chain(&pki, &pki.leaf(LOCAL, (-10, 200)));
    let expired = serve_chain(&pki, &pki.leaf(LOCAL, (-100, -1)));
    let ten = serve_chain(&pki, &pki.leaf(LOCAL, (-80, 10)));
    let forty_five = serve_chain(&pki, &pki.leaf(LOCAL, (-40, 45)));
    let future = serve_chain(&pki, &pki.leaf(LOCAL, (5, 200)));
    let wrong_host = serve_chain(&pki, &pki.leaf(&["other.test"], (-10, 200)));
    let self_signed = Pki::self_signed(LOCAL, (-10, 200));
    let self_signed = TlsServer::start(&self_signed.pem, &self_signed.key_pem);
    let leaf = pki.leaf(LOCAL, (-10, 200));
    let incomplete = TlsServer::start(&leaf.pem, &leaf.key_pem);
    let disordered = TlsServer::start(
        &format!("{}{}{}", leaf.pem, pki.root.pem, pki.intermediate.pem),
        &leaf.key_pem,
    );
    let cases: Vec<(u16, &str, Vec<&str>)> = vec![
        (valid.port, "OK", vec![]),
        (expired.port, "CRITICAL", vec!["expired"]),
        (ten.port, "CRITICAL", vec!["days_left"]),
        (forty_five.port, "WARNING", vec!["days_left"]),
        (future.port, "CRITICAL", vec!["not_yet_valid"]),
        (wrong_host.port, "CRITICAL", vec!["hostname_mismatch"]),
        (self_signed.port, "CRITICAL", vec!["self_signed"]),
        (incomplete.port, "CRITICAL", vec!["chain_incomplete"]),
        (disordered.port, "WARNING", vec!["chain_order", "root_sent"]),
    ];
    let command = maint();
    let root = write(command.dir(), "root.pem", &pki.root.pem);
    let targets: Vec<String> = cases
        .iter()
        .map(|(p, ..)| format!("localhost:{p}"))
        .collect();
    let out = command
        .json()
        .args(["certs", "check", "--ca-file"])
        .arg(&root)
        .args(&targets)
        .run();
    out.code(2);
    assert_eq!(out.check_names(), targets, "results keep input order");
    for ((_, expected_status, expected_codes), target) in cases.iter().zip(&targets) {
        assert_eq!(status(&out, target), *expected_status, "{target}");
        assert_eq!(codes(&out, target), *expected_codes, "{target}");
    }
    // The certificate is read even when it is bad.
    let expired_check = out.check(&targets[1]);
    assert!(expired_check["value"].as_f64().unwrap() < 0.0);
    let days = out.check(&targets[3]);
    assert_eq!(days["unit"], "days");
    assert_eq!(days["threshold"]["warning"], 60.0);
    let finding = &findings(&out, &targets[3])[0];
    assert_eq!(finding["severity"], "WARNING");
    assert_eq!(finding["certificate"], 0);
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("expires in 44 days"),
        "{finding}"
    );
    let rows = out.json()["sections"]["certificates"].clone();
    let disordered_rows: Vec<&Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["target"] == targets[8].as_str())
        .collect();
    assert_eq!(disordered_rows.len(), 3, "every certificate sent is listed");
    assert_eq!(disordered_rows[1]["subject"], "CN=maint test root");
}

#[test]
fn the_worst_verdict_sets_the_exit_code() {
    let pki = Pki::new();
    let command = maint();
    let root = write(command.dir(), "root.pem", &pki.root.pem);
    for (days, code) in [(200, 0), (45, 1), (10, 2)] {
        let server = serve_chain(&pki, &pki.leaf(LOCAL, (-10, days)));
        maint()
            .args(["certs", "check", "--ca-file"])
            .arg(&root)
            .arg(format!("127.0.0.1:{}", server.port))
            .run()
            .code(code);
    }
    // WARNING outranks UNKNOWN: a host that does not resolve cannot hide a warning.
    let warned = serve_chain(&pki, &pki.leaf(LOCAL, (-10, 45)));
    let out = maint()
        .json()
        .args(["certs", "check", "--ca-file"])
        .arg(&root)
        .arg(format!("localhost:{}", warned.port))
        .arg("no-such-host.invalid")
        .run();
    out.code(1);
    assert_eq!(status(&out, "no-such-host.invalid"), "UNKNOWN");
    assert_eq!(codes(&out, "no-such-host.invalid"), ["dns"]);
}

#[test]
fn expiry_is_judged_on_every_certificate_the_server_sends() {
    let pki = Pki::with_intermediate((-300, 20));
    let server = serve_chain(&pki, &pki.leaf(LOCAL, (-10, 200)));
    let command = maint();
    let root = write(command.dir(), "root.pem", &pki.root.pem);
    let target = format!("localhost:{}", server.port);
    let out = command
        .json()
        .args(["certs", "check", "--ca-file"])
        .arg(&root)
        .arg(&target)
        .run();
    out.code(2);
    let found = findings(&out, &target);
    assert_eq!(found[0]["code"], "days_left");
    assert_eq!(found[0]["certificate"], 1);
    assert!(out.check(&target)["value"].as_f64().unwrap() < 21.0);
}

#[test]
fn weak_keys_and_sha1_signatures_are_found() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let chain = write(dir.path(), "intermediate.pem", &pki.intermediate.pem);
    let chain = chain.to_str().unwrap();
    let weak = pki.openssl_leaf(dir.path(), "rsa:1024", "sha256");
    let weak = OpensslServer::start(
        &weak,
        &["-cert_chain", chain, "-cipher", "DEFAULT@SECLEVEL=0"],
    );
    let sha1 = pki.openssl_leaf(dir.path(), "rsa:2048", "sha1");
    let sha1 = OpensslServer::start(
        &sha1,
        &["-cert_chain", chain, "-cipher", "DEFAULT@SECLEVEL=0"],
    );
    let command = maint();
    let root = write(command.dir(), "root.pem", &pki.root.pem);
    let weak_target = format!("localhost:{}", weak.port);
    let sha1_target = format!("localhost:{}", sha1.port);
    let out = command
        .json()
        .args(["certs", "check", "--ca-file"])
        .arg(&root)
        .args([&weak_target, &sha1_target])
        .run();
    out.code(2);
    assert_eq!(codes(&out, &weak_target), ["weak_key"]);
    assert_eq!(codes(&out, &sha1_target), ["weak_signature"]);
    assert!(
        out.check(&sha1_target)["message"]
            .as_str()
            .unwrap()
            .contains("SHA1"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_server_that_only_speaks_tls_1_0_is_critical() {
    let pki = Pki::new();
    let leaf = pki.openssl_leaf(tempfile::tempdir().unwrap().path(), "rsa:2048", "sha256");
    let server = OpensslServer::start(&leaf, &["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    let target = format!("127.0.0.1:{}", server.port);
    let out = maint().json().args(["certs", "check", &target]).run();
    out.code(2);
    assert_eq!(codes(&out, &target), ["tls_version"]);
    assert!(
        out.check(&target)["message"]
            .as_str()
            .unwrap()
            .contains("TLS 1.2 or 1.3 is needed"),
        "{}",
        out.stdout
    );
}

#[test]
fn smtp_and_postgres_speak_starttls_first() {
    let pki = Pki::new();
    let leaf = pki.leaf(LOCAL, (-10, 200));
    let chain = format!("{}{}", leaf.pem, pki.intermediate.pem);
    let smtp = TlsServer::smtp(&chain, &leaf.key_pem);
    let postgres = Postgres::start_with(
        |data| {
            write_server_file(data, "server.crt", chain.as_bytes());
            write_server_file(data, "server.key", leaf.key_pem.as_bytes());
        },
        &["ssl=on"],
    );
    let plain = Postgres::start();
    let command = maint();
    let root = write(command.dir(), "root.pem", &pki.root.pem);
    let smtp_target = format!("smtp://localhost:{}", smtp.port);
    let pg_target = format!("postgres://localhost:{}", postgres.port);
    let plain_target = format!("postgresql://localhost:{}", plain.port);
    let out = command
        .json()
        .args(["certs", "check", "--ca-file"])
        .arg(&root)
        .args([&smtp_target, &pg_target, &plain_target])
        .run();
    out.code(2);
    assert_eq!(status(&out, &smtp_target), "OK", "{}", out.stdout);
    assert_eq!(status(&out, &pg_target), "OK", "{}", out.stdout);
    assert_eq!(codes(&out, &plain_target), ["starttls"]);
    assert!(
        out.check(&plain_target)["message"]
            .as_str()
            .unwrap()
            .contains("does not accept SSL"),
        "{}",
        out.stdout
    );
    assert!(
        out.check(&pg_target)["hint"].is_null(),
        "OK checks carry no hint"
    );
}

#[test]
fn unreachable_endpoints_say_why_within_the_deadline() {
    let silent = format!("127.0.0.1:{}", silent_port());
    let closed = format!("127.0.0.1:{}", crate::support::command::free_port());
    let plain_text = format!("127.0.0.1:{}", plain_text_port("220 mail.test ESMTP\r\n"));
    let out = maint()
        .json()
        .args(["certs", "check", "--timeout", "1s"])
        .args([&silent, &closed, "no-such-host.invalid:443", &plain_text])
        .run();
    out.code(2);
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
    assert_eq!(codes(&out, &silent), ["timeout"]);
    assert!(
        out.check(&silent)["message"]
            .as_str()
            .unwrap()
            .contains("no answer within 1.0 s (the TLS handshake did not finish)"),
        "{}",
        out.stdout
    );
    assert_eq!(codes(&out, &closed), ["refused"]);
    assert_eq!(status(&out, &closed), "CRITICAL");
    assert_eq!(codes(&out, "no-such-host.invalid:443"), ["dns"]);
    assert_eq!(status(&out, "no-such-host.invalid:443"), "UNKNOWN");
    assert_eq!(codes(&out, &plain_text), ["handshake"]);
    assert!(
        out.check(&plain_text)["message"]
            .as_str()
            .unwrap()
            .contains("not TLS"),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.check(&closed)["hint"],
        format!(
            "nc -vz -w 5 127.0.0.1 {}",
            closed.rsplit(':').next().unwrap()
        )
    );
}

#[test]
fn a_host_that_does_not_resolve_alone_is_unknown() {
    maint()
        .args(["certs", "check", "no-such-host.invalid"])
        .run()
        .code(3)
        .stdout_has("UNKNOWN")
        .stdout_has("cannot resolve host no-such-host.invalid");
    maint()
        .args([
            "certs",
            "check",
            "postgres://app:hunter2@no-such-host.invalid/app",
        ])
        .run()
        .code(3)
        .stdout_has("postgres://app:***@no-such-host.invalid/app")
        .nowhere("hunter2");
}

#[test]
fn connect_address_sni_and_verified_name_can_differ() {
    let pki = Pki::new();
    let server = serve_chain(&pki, &pki.leaf(&["www.test"], (-10, 200)));
    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "root.pem", &pki.root.pem);
    let target = format!("www.test:{}", server.port);
    maint()
        .args(["certs", "check", "--connect", "127.0.0.1", "--ca-file"])
        .arg(&root)
        .arg(&target)
        .run()
        .code(0);
    assert_eq!(server.sni().as_deref(), Some("www.test"));
    let out = maint()
        .json()
        .args(["certs", "check", "--sni", "other.test"])
        .args([
            "--connect",
            &format!("127.0.0.1:{}", server.port),
            "--ca-file",
        ])
        .arg(&root)
        .arg("www.test")
        .run();
    out.code(0);
    assert_eq!(server.sni().as_deref(), Some("other.test"));
    maint()
        .args([
            "certs",
            "check",
            "--connect",
            "127.0.0.1",
            "a.test",
            "b.test",
        ])
        .run()
        .code(3)
        .one_error_line("--connect names one address, but 2 targets are given");
}

#[test]
fn files_in_pem_der_and_bundles() {
    let pki = Pki::new();
    let leaf = pki.leaf(LOCAL, (-10, 200));
    let command = maint();
    let dir = command.dir().to_owned();
    write(&dir, "root.pem", &pki.root.pem);
    write(
        &dir,
        "fullchain.pem",
        &format!("{}{}", leaf.pem, pki.intermediate.pem),
    );
    write(
        &dir,
        "cas.pem",
        &format!("{}{}", pki.intermediate.pem, pki.root.pem),
    );
    let der = maint::probe::x509::read_certificates(leaf.pem.as_bytes()).unwrap()[0]
        .der
        .to_vec();
    std::fs::write(dir.join("leaf.der"), der).unwrap();
    let out = command
        .json()
        .args(["certs", "check", "--ca-file", "root.pem"])
        .args(["fullchain.pem", "cas.pem", "leaf.der"])
        .run();
    out.code(2);
    assert_eq!(status(&out, "fullchain.pem"), "OK", "{}", out.stdout);
    assert_eq!(status(&out, "cas.pem"), "OK", "{}", out.stdout);
    // A lone leaf whose intermediate is elsewhere, judged with --ca-file.
    assert_eq!(codes(&out, "leaf.der"), ["chain_incomplete"]);
    let rows = out.json()["sections"]["certificates"].clone();
    let bundle: Vec<&Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["target"] == "cas.pem")
        .collect();
    assert_eq!(bundle.len(), 2, "every certificate of a bundle");
    // Alone, a chain file is judged against the system roots, which do not know this test CA.
    let elsewhere = tempfile::tempdir().unwrap();
    let fullchain = write(
        elsewhere.path(),
        "fullchain.pem",
        &format!("{}{}", leaf.pem, pki.intermediate.pem),
    );
    maint()
        .args(["certs", "check"])
        .arg(&fullchain)
        .run()
        .code(2)
        .stdout_has("untrusted: the chain ends at #1 CN=maint test intermediate, whose issuer CN=maint test root is not among the system roots");
    let root = write(elsewhere.path(), "root.pem", &pki.root.pem);
    maint()
        .args(["certs", "check", "--ca-file"])
        .arg(&root)
        .arg(&fullchain)
        .run()
        .code(0)
        .stdout_has("CN=localhost, issued by CN=maint test intermediate");
}

#[test]
fn garbage_in_a_pem_file_is_one_clear_error() {
    maint()
        .file("bad.pem", "this is not a certificate\n")
        .args(["--output", "report.json", "certs", "check", "bad.pem"])
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("cannot check bad.pem: it is neither PEM nor a DER certificate; hint: ");
    maint()
        .file(
            "broken.pem",
            "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n",
        )
        .args(["certs", "check", "broken.pem"])
        .run()
        .code(3)
        .one_error_line(
            "cannot check broken.pem: certificate block 1 (line 1) is damaged: bad base64",
        );
}

#[test]
fn an_empty_file_is_one_clear_error() {
    maint()
        .file("empty.pem", "")
        .args(["certs", "check", "empty.pem"])
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("cannot check empty.pem: the file is empty");
}

#[test]
fn a_missing_file_named_explicitly_is_an_error() {
    maint()
        .args(["certs", "check", "/etc/ssl/no-such-cert.pem"])
        .run()
        .code(3)
        .one_error_line("/etc/ssl/no-such-cert.pem: no such file or folder; hint: check the path");
}

#[test]
fn a_folder_skips_files_that_hold_no_certificate() {
    let pki = Pki::new();
    let leaf = pki.leaf(LOCAL, (-10, 200));
    let soon = pki.leaf(LOCAL, (-10, 45));
    let command = maint()
        .file("tls/site.pem", &leaf.pem)
        .file("tls/privkey.pem", &leaf.key_pem)
        .file("tls/README", "certificates for the site\n")
        .file("tls/empty.crt", "")
        .file("tls/sub/soon.crt", &soon.pem)
        .file(
            "tls/damaged.pem",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        );
    std::fs::write(command.path("tls/blob.bin"), [0u8, 159, 146, 150, 255]).unwrap();
    let out = command.json().args(["certs", "check", "tls"]).run();
    assert_eq!(
        out.check_names(),
        ["tls/damaged.pem", "tls/site.pem", "tls/sub/soon.crt"]
    );
    assert_eq!(status(&out, "tls/site.pem"), "OK");
    assert_eq!(status(&out, "tls/damaged.pem"), "UNKNOWN");
    assert_eq!(codes(&out, "tls/damaged.pem"), ["unreadable"]);
    assert_eq!(codes(&out, "tls/sub/soon.crt"), ["days_left"]);
    out.code(1);
    maint()
        .file("keys/privkey.pem", &leaf.key_pem)
        .args(["certs", "check", "keys"])
        .run()
        .code(3)
        .one_error_line("folder keys holds no certificate files");
}

#[test]
fn a_private_key_must_belong_to_the_certificate() {
    let pki = Pki::new();
    let leaf = pki.leaf(LOCAL, (-10, 200));
    let other = pki.leaf(LOCAL, (-10, 200));
    let run = |key: &str| {
        maint()
            .file("cert.pem", &leaf.pem)
            .file("key.pem", key)
            .json()
            .args(["certs", "check", "cert.pem", "--key", "key.pem"])
            .run()
    };
    run(&leaf.key_pem).code(0);
    let out = run(&other.key_pem);
    out.code(2);
    assert_eq!(codes(&out, "cert.pem"), ["key_mismatch"]);
    run("not a key\n")
        .code(3)
        .one_error_line("--key key.pem: the private key is damaged");
    run(&leaf.pem)
        .code(3)
        .one_error_line("--key key.pem: the file holds no private key");
}

#[test]
fn config_lists_targets_with_their_own_levels() {
    let pki = Pki::new();
    let soon = pki.leaf(LOCAL, (-10, 45));
    let config = "[certs]\ntargets = [\"a.pem\"]\n\n[[certs.target]]\ntarget = \"b.pem\"\ndays_left = { warn = 20, crit = 10 }\n";
    let out = maint()
        .file("a.pem", &soon.pem)
        .file("b.pem", &soon.pem)
        .config(config)
        .json()
        .args(["certs", "check"])
        .run();
    out.code(1);
    assert_eq!(out.check_names(), ["a.pem", "b.pem"]);
    assert_eq!(status(&out, "a.pem"), "WARNING");
    assert_eq!(status(&out, "b.pem"), "OK");
    assert_eq!(out.check("b.pem")["threshold"]["warning"], 20.0);
    // Flags win over the config.
    maint()
        .file("a.pem", &soon.pem)
        .file("b.pem", &soon.pem)
        .config(config)
        .args(["certs", "check", "--warn-days", "30", "--crit-days", "7"])
        .run()
        .code(0);
    maint()
        .config("[[certs.target]]\ntarget = \"b.pem\"\ndays_left = { warn = 5, crit = 10 }\n")
        .file("b.pem", &soon.pem)
        .args(["certs", "check"])
        .run()
        .code(3)
        .one_error_line(
            "line 3, key `certs.target[0].days_left`: the warning level 5 is below the critical level 10",
        );
    maint()
        .config("[certs]\ntargets = [\n  \"gone.pem\",\n]\n")
        .args(["certs", "check"])
        .run()
        .code(3)
        .one_error_line("line 3, key `certs.targets[0]`: gone.pem: no such file or folder");
    maint()
        .config("[certs]\ntargets = [\"ftp://x\"]\n")
        .args(["certs", "check"])
        .run()
        .code(3)
        .one_error_line("key `certs.targets[0]`: \"ftp://x\" has scheme \"ftp\"");
    maint()
        .args(["certs", "check"])
        .run()
        .code(3)
        .one_error_line("nothing to check; hint: name a certificate file");
}

#[test]
fn a_share_of_the_lifetime_judges_short_lived_certificates() {
    let pki = Pki::new();
    let short = pki.leaf(LOCAL, (-2, 5));
    maint()
        .file("short.pem", &short.pem)
        .args(["certs", "check", "short.pem"])
        .run()
        .code(2);
    maint()
        .file("short.pem", &short.pem)
        .args([
            "certs",
            "check",
            "short.pem",
            "--warn-percent",
            "33",
            "--crit-percent",
            "15",
        ])
        .run()
        .code(0);
}

#[test]
fn prometheus_and_nagios_output() {
    let pki = Pki::new();
    let soon = pki.leaf(LOCAL, (-10, 45));
    let server = serve_chain(&pki, &pki.leaf(LOCAL, (-10, 200)));
    let command = maint().file("soon.pem", &format!("{}{}", soon.pem, pki.intermediate.pem));
    let root = write(command.dir(), "root.pem", &pki.root.pem);
    let target = format!("localhost:{}", server.port);
    let out = command
        .args(["--format", "prometheus", "certs", "check", "--ca-file"])
        .arg(&root)
        .args(["soon.pem", &target, "no-such-host.invalid"])
        .run();
    out.code(1)
        .stdout_has(
            "maint_cert_time_left_seconds{command=\"certs check\",target=\"soon.pem\"} 38879",
        )
        .stdout_has(&format!(
            "maint_cert_status{{command=\"certs check\",target=\"{target}\"}} 0"
        ))
        .stdout_has("maint_cert_status{command=\"certs check\",target=\"no-such-host.invalid\"} 3")
        .stdout_has(
            "maint_cert_not_after_timestamp_seconds{command=\"certs check\",target=\"soon.pem\"} ",
        );
    crate::output::promtool_check(&out.stdout);
    let out = maint()
        .file("soon.pem", &soon.pem)
        .args(["--format", "nagios", "certs", "check", "soon.pem"])
        .run();
    out.code(1);
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(
        out.stdout.starts_with(
            "MAINT CERTS CHECK WARNING - soon.pem WARNING: days_left: #0 CN=localhost expires in 44 days"
        ),
        "{}",
        out.stdout
    );
    // Days left as the message counts them (floor), judged "fewer than".
    out.stdout_has("| 'soon.pem'=44;60:;30:;;");
}

#[test]
fn the_table_shows_target_subject_issuer_expiry_and_findings() {
    let pki = Pki::new();
    let soon = pki.leaf(LOCAL, (-10, 45));
    let out = maint()
        .file("soon.pem", &soon.pem)
        .args(["certs", "check", "soon.pem"])
        .run();
    out.code(1)
        .stdout_has("maint certs check: WARNING (1 warning)")
        .stdout_has(" TARGET    #  SUBJECT       ISSUER                      NOT AFTER (UTC)")
        .stdout_has(
            "Next steps:\n  soon.pem: openssl x509 -in soon.pem -noout -subject -issuer -dates",
        );
    assert!(Path::new(&out.dir.path().join("soon.pem")).exists());
}

#[test]
fn bad_roots_and_keys_stop_before_anything_is_probed() {
    let pki = Pki::new();
    let leaf = pki.leaf(LOCAL, (-10, 200));
    maint()
        .file("cert.pem", &leaf.pem)
        .args(["certs", "check", "cert.pem", "--ca-file", "missing-ca.pem"])
        .run()
        .code(3)
        .one_error_line("--ca-file: cannot read missing-ca.pem: No such file or directory");
    maint()
        .file("a.pem", &leaf.pem)
        .file("b.pem", &leaf.pem)
        .file("key.pem", &leaf.key_pem)
        .args(["certs", "check", "a.pem", "b.pem", "--key", "key.pem"])
        .run()
        .code(3)
        .one_error_line("--key names one private key, but 2 targets are to be checked");
}

#[test]
fn every_address_of_a_name_is_read_and_a_difference_is_named() {
    let pki = Pki::new();
    let first = pki.leaf(&["dual.test"], (-10, 200));
    let other = pki.leaf(&["dual.test"], (-10, 200));
    let one = serve_chain(&pki, &first);
    let port = one.port;
    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "root.pem", &pki.root.pem);
    let hosts = dir.path().join("hosts");
    let check = |hosts_text: &str| {
        std::fs::write(&hosts, hosts_text).unwrap();
        maint()
            .json()
            .env("MAINT_TEST_HOSTS", &hosts)
            .args(["certs", "check", "--ca-file"])
            .arg(&root)
            .arg(format!("dual.test:{port}"))
            .run()
    };
    // The same certificate at both addresses: nothing to say.
    TlsServer::start_at(
        &format!("{}{}", first.pem, pki.intermediate.pem),
        &first.key_pem,
        &format!("127.0.0.2:{port}"),
    );
    let out = check("127.0.0.1 dual.test\n127.0.0.2 dual.test\n");
    out.code(0);
    assert!(!codes(&out, &format!("dual.test:{port}")).contains(&"addresses_differ".to_owned()));
    // Another certificate at a third address, and a fourth that refuses.
    TlsServer::start_at(
        &format!("{}{}", other.pem, pki.intermediate.pem),
        &other.key_pem,
        &format!("127.0.0.3:{port}"),
    );
    let out = check("127.0.0.1 dual.test\n127.0.0.3 dual.test\n127.0.0.4 dual.test\n");
    out.code(1);
    let found = findings(&out, &format!("dual.test:{port}"));
    let differ = found
        .iter()
        .find(|f| f["code"] == "addresses_differ")
        .expect("addresses_differ")
        .to_string();
    assert!(differ.contains(&format!("127.0.0.3:{port}")), "{differ}");
    assert!(differ.contains(&format!("127.0.0.4:{port}")), "{differ}");
    assert!(differ.contains("refused"), "{differ}");
}
