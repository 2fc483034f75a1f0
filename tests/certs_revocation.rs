//! `maint certs check` revocation (issue 18): CRLs served by a local HTTP
//! server and OCSP answered by `openssl ocsp`, good, revoked and broken,
//! with the cache reused when the server is gone and refetched when spoiled.

use serde_json::Value;

use crate::support::command::{Maint, Output};
use crate::support::http::FileServer;
use crate::support::maint;
use crate::support::tls::{Leaf, OcspResponder, Pki, TlsServer, silent_port, write};

const LOCAL: &[&str] = &["localhost", "127.0.0.1"];

/// The revocation finding about `target`'s leaf: (code, severity, message).
fn revocation(out: &Output, target: &str) -> (String, String, String) {
    let found: Vec<Value> = out.json()["sections"]["findings"]
        .as_array()
        .expect("a findings section")
        .iter()
        .filter(|f| f["target"] == target && f["code"].as_str().unwrap().starts_with("revo"))
        .cloned()
        .collect();
    assert_eq!(found.len(), 1, "one revocation finding: {found:?}");
    let text = |key: &str| found[0][key].as_str().unwrap().to_owned();
    (text("code"), text("severity"), text("message"))
}

/// `maint certs check FLAGS --ca-file ROOT site.pem` with the leaf and the
/// intermediate in site.pem, as a chain file is kept; and that file's name.
fn check_chain(command: Maint, pki: &Pki, leaf: &Leaf, flags: &[&str]) -> (Output, String) {
    let root = write(command.dir(), "root.pem", &pki.root.pem);
    let file = write(
        command.dir(),
        "site.pem",
        &format!("{}{}", leaf.pem, pki.intermediate.pem),
    );
    let file = file.to_str().unwrap().to_owned();
    let out = command
        .json()
        .args(["certs", "check"])
        .args(flags)
        .arg("--ca-file")
        .arg(&root)
        .arg(&file)
        .run();
    (out, file)
}

/// Name, leaf serial, CRL URL, exit code, finding code, severity, message parts.
type Case<'a> = (&'a str, u16, String, i32, &'a str, &'a str, &'a [&'a str]);

#[test]
fn crls_say_good_revoked_or_why_they_cannot_be_believed() {
    let pki = Pki::new();
    let other = Pki::new();
    let published = tempfile::tempdir().unwrap();
    let put =
        |name: &str, bytes: &[u8]| std::fs::write(published.path().join(name), bytes).unwrap();
    put("good.crl", &pki.crl(&[0x0999], 7));
    put("revoked.crl", &pki.crl(&[0x1002], 7));
    put(
        "html.crl",
        b"<!DOCTYPE html><html><body>Moved</body></html>",
    );
    // Same issuer name, another key: the signature cannot verify.
    put("other.crl", &other.crl(&[], 7));
    put("expired.crl", &pki.crl(&[], -1));
    let server = FileServer::start(published.path());
    let silent = format!("http://127.0.0.1:{}/ca.crl", silent_port());
    let cases: [Case; 6] = [
        (
            "good",
            0x1001,
            server.url("good.crl"),
            0,
            "revocation",
            "OK",
            &[
                "#0 CN=localhost is not revoked (crl: the CRL at http://127.0.0.1:",
                "fetched now)",
            ],
        ),
        (
            "revoked",
            0x1002,
            server.url("revoked.crl"),
            2,
            "revoked",
            "CRITICAL",
            &[
                "#0 CN=localhost (serial 10:02) was revoked on ",
                " (keyCompromise), says the CRL at http://127.0.0.1:",
            ],
        ),
        (
            "html",
            0x1003,
            server.url("html.crl"),
            3,
            "revocation_unknown",
            "UNKNOWN",
            &["did not send a valid CRL signed by the issuer: it sent an HTML page"],
        ),
        (
            "other",
            0x1004,
            server.url("other.crl"),
            3,
            "revocation_unknown",
            "UNKNOWN",
            &["did not send a valid CRL signed by the issuer: its signature does not verify"],
        ),
        (
            "expired",
            0x1005,
            server.url("expired.crl"),
            1,
            "revocation_stale",
            "WARNING",
            &["is out of date: its next update was due "],
        ),
        (
            "silent",
            0x1006,
            silent.clone(),
            3,
            "revocation_unknown",
            "UNKNOWN",
            &[
                "cannot tell whether #0 CN=localhost is revoked: ",
                "/ca.crl did not answer within 2.0 s",
            ],
        ),
    ];
    for (name, serial, url, code, finding, severity, parts) in cases {
        let leaf = pki.revocable_leaf(LOCAL, serial, Some(&url), None);
        let (out, file) = check_chain(maint(), &pki, &leaf, &["--timeout", "2s"]);
        out.code(code);
        assert_eq!(out.check(&file)["status"], severity, "{name}");
        let (got_code, got_severity, message) = revocation(&out, &file);
        assert_eq!(
            (got_code.as_str(), got_severity.as_str()),
            (finding, severity),
            "{name}: {message}"
        );
        for part in parts {
            assert!(message.contains(part), "{name}: {message:?} lacks {part:?}");
        }
        assert!(
            message.contains(&url) || name == "revoked" || name == "good",
            "{name}: {message}"
        );
    }
}

#[test]
fn a_served_leaf_that_was_revoked_is_critical() {
    let pki = Pki::new();
    let published = tempfile::tempdir().unwrap();
    std::fs::write(published.path().join("ca.crl"), pki.crl(&[0x1101], 7)).unwrap();
    let server = FileServer::start(published.path());
    let leaf = pki.revocable_leaf(LOCAL, 0x1101, Some(&server.url("ca.crl")), None);
    let tls = TlsServer::start(
        &format!("{}{}", leaf.pem, pki.intermediate.pem),
        &leaf.key_pem,
    );
    let command = maint();
    let root = write(command.dir(), "root.pem", &pki.root.pem);
    let target = format!("localhost:{}", tls.port);
    let out = command
        .json()
        .args(["certs", "check", "--ca-file"])
        .arg(&root)
        .arg(&target)
        .run();
    out.code(2);
    let check = out.check(&target);
    assert_eq!(check["status"], "CRITICAL");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .starts_with("revoked: #0 CN=localhost (serial 11:01) was revoked on "),
        "{check}"
    );
    assert!(
        check["hint"]
            .as_str()
            .unwrap()
            .contains("crlDistributionPoints"),
        "{check}"
    );
    // Off means off: no finding at all.
    let out = maint()
        .json()
        .args(["certs", "check", "--revocation", "off", "--ca-file"])
        .arg(&root)
        .arg(&target)
        .run();
    out.code(0);
    assert!(!out.stdout.contains("revo"), "{}", out.stdout);
}

#[test]
fn ocsp_responders_are_asked_when_the_mode_says() {
    let pki = Pki::new();
    let responder = OcspResponder::start(&pki, &[(0x2001, false), (0x2002, true)]);
    let silent = format!("http://127.0.0.1:{}/", silent_port());
    // The CRL named too is nowhere: only OCSP can answer.
    let nowhere = "http://127.0.0.1:9/ca.crl";
    let cases: [(&str, u16, String, i32, &str, &str); 3] = [
        (
            "good",
            0x2001,
            responder.url(),
            0,
            "revocation",
            "is not revoked (ocsp: the OCSP responder http://127.0.0.1:",
        ),
        (
            "revoked",
            0x2002,
            responder.url(),
            2,
            "revoked",
            "(serial 20:02) was revoked on ",
        ),
        (
            "silent",
            0x2003,
            silent,
            3,
            "revocation_unknown",
            "did not answer within 2.0 s",
        ),
    ];
    for (name, serial, url, code, finding, part) in cases {
        let leaf = pki.revocable_leaf(LOCAL, serial, Some(nowhere), Some(&url));
        let flags = ["--revocation", "ocsp", "--timeout", "2s"];
        let (out, file) = check_chain(maint(), &pki, &leaf, &flags);
        out.code(code);
        let (got, _, message) = revocation(&out, &file);
        assert_eq!(got, finding, "{name}: {message}");
        assert!(message.contains(part), "{name}: {message:?} lacks {part:?}");
    }
    // A revoked OCSP answer names its reason, as the responder's index says.
    let leaf = pki.revocable_leaf(LOCAL, 0x2002, None, Some(&responder.url()));
    // Default mode, no CRL named: the responder is asked.
    let (out, file) = check_chain(maint(), &pki, &leaf, &[]);
    out.code(2);
    assert!(
        revocation(&out, &file)
            .2
            .contains("(keyCompromise), says the OCSP responder")
    );
}

#[test]
fn the_cache_answers_when_the_crl_server_is_gone_and_a_spoiled_entry_is_refetched() {
    let pki = Pki::new();
    let published = tempfile::tempdir().unwrap();
    std::fs::write(published.path().join("ca.crl"), pki.crl(&[], 7)).unwrap();
    let server = FileServer::start(published.path());
    let leaf = pki.revocable_leaf(LOCAL, 0x3001, Some(&server.url("ca.crl")), None);
    let cache = tempfile::tempdir().unwrap();
    let run = || {
        let command = maint().env("MAINT_CACHE_DIR", cache.path());
        let (out, file) = check_chain(command, &pki, &leaf, &["--timeout", "2s"]);
        let found = revocation(&out, &file);
        (out, found)
    };
    let (out, (code, _, message)) = run();
    out.code(0);
    assert_eq!(code, "revocation");
    assert!(message.ends_with("fetched now)"), "{message}");
    let entries: Vec<_> = std::fs::read_dir(cache.path().join("revocation"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&entries[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    std::fs::write(&entries[0], b"spoiled").unwrap();
    let (out, (_, _, message)) = run();
    out.code(0);
    assert!(message.ends_with("fetched now)"), "{message}");
    assert_ne!(std::fs::read(&entries[0]).unwrap(), b"spoiled");

    drop(server);
    let (out, (code, _, message)) = run();
    out.code(0);
    assert_eq!(code, "revocation");
    assert!(message.ends_with("from the cache)"), "{message}");
}

#[test]
fn a_lone_certificate_file_without_its_issuer_says_it_cannot_be_checked() {
    let pki = Pki::new();
    let leaf = pki.revocable_leaf(LOCAL, 0x4001, Some("http://127.0.0.1:9/ca.crl"), None);
    // Asked for by name, "cannot check" is UNKNOWN; by default only said.
    for (flags, exit, code, severity) in [
        (&[][..], 0, "revocation", "OK"),
        (
            &["--revocation", "crl"][..],
            3,
            "revocation_unknown",
            "UNKNOWN",
        ),
    ] {
        let command = maint();
        let file = write(command.dir(), "leaf.pem", &leaf.pem);
        let file = file.to_str().unwrap().to_owned();
        let out = command
            .json()
            .args(["certs", "check"])
            .args(flags)
            .arg(&file)
            .run();
        out.code(exit);
        let (got, got_severity, message) = revocation(&out, &file);
        assert_eq!((got.as_str(), got_severity.as_str()), (code, severity));
        assert!(
            message.contains("cannot check whether #0 CN=localhost is revoked: its issuer CN=maint test intermediate is neither in the chain nor among the roots"),
            "{message}"
        );
    }
}

#[test]
fn a_certificate_that_names_no_crl_or_responder_is_fine() {
    let pki = Pki::new();
    let leaf = pki.leaf(LOCAL, (-10, 200));
    let (out, file) = check_chain(maint(), &pki, &leaf, &[]);
    out.code(0);
    let (code, severity, message) = revocation(&out, &file);
    assert_eq!((code.as_str(), severity.as_str()), ("revocation", "OK"));
    assert!(message.ends_with("no revocation information"), "{message}");
}
