//! PostgreSQL over TLS: a throwaway server with ssl=on, a certificate
//! authority and server certificate the test makes with the openssl CLI, and
//! pg_hba.conf refusing plain TCP, so only a TLS connection gets in; and
//! servers whose TLS rustls cannot agree to, where `sslmode=prefer` falls
//! back to plain text as libpq does (issue 18).

use std::path::Path;
use std::process::Command;

use crate::support::maint;
use crate::support::postgres::{PASSWORD, Postgres, chown_to_postgres};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is needed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// pg_hba.conf of a server that takes TCP only over TLS.
const TLS_ONLY: &str = "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n";

/// Settings no TLS handshake with rustls survives: a PSK cipher suite only
/// (no certificate-based client can use it) and nothing above TLS 1.2. psql
/// "sslmode=prefer" (OpenSSL) fails the handshake too and connects in plain
/// text where pg_hba.conf allows it, checked by hand with PostgreSQL 15.
const NO_COMMON_CIPHER: [&str; 2] = [
    "ssl_ciphers='PSK-AES128-CBC-SHA'",
    "ssl_max_protocol_version='TLSv1.2'",
];

/// A server that accepts TCP only over TLS, and the CA file that signed its certificate.
fn tls_server() -> (Postgres, tempfile::TempDir) {
    tls_server_with(TLS_ONLY, &[])
}

/// A server with TLS on, this pg_hba.conf and these extra settings.
fn tls_server_with(hba: &str, settings: &[&str]) -> (Postgres, tempfile::TempDir) {
    let ca_dir = tempfile::tempdir().unwrap();
    let ca = ca_dir.path().to_path_buf();
    let server = Postgres::start_with(
        |data| {
            openssl(
                &ca,
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.crt",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=maint test CA",
                ],
            );
            openssl(
                &ca,
                &[
                    "req",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=127.0.0.1",
                ],
            );
            std::fs::write(
                ca.join("ext.cnf"),
                "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
            )
            .unwrap();
            openssl(
                &ca,
                &[
                    "x509",
                    "-req",
                    "-in",
                    "server.csr",
                    "-CA",
                    "ca.crt",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    "server.crt",
                    "-days",
                    "2",
                    "-extfile",
                    "ext.cnf",
                ],
            );
            for file in ["server.crt", "server.key"] {
                let to = data.join(file);
                std::fs::copy(ca.join(file), &to).unwrap();
                std::fs::set_permissions(&to, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                    .unwrap();
                chown_to_postgres(&to);
            }
            let hba_file = data.join("pg_hba.conf");
            std::fs::write(&hba_file, hba).unwrap();
            chown_to_postgres(&hba_file);
        },
        &[
            &[
                "ssl=on",
                "ssl_cert_file=server.crt",
                "ssl_key_file=server.key",
            ],
            settings,
        ]
        .concat(),
    );
    (server, ca_dir)
}

/// With no sslmode anywhere maint does as libpq (`prefer`): TLS on a server
/// that offers it (this one refuses plain TCP, so getting in proves it),
/// plain text on one that does not.
#[test]
fn without_sslmode_tls_is_preferred_and_plain_text_the_fallback() {
    let (server, _ca) = tls_server();
    let out = maint()
        .json()
        .args(["db", "report", "--url", server.url()])
        .run();
    assert!(out.code <= 2, "{}", out.stderr);
    out.nowhere(PASSWORD);
    out.check("db:dead_tuples");
    let out = maint()
        .json()
        .args(["health", "--only", "postgres", "--postgres", server.url()])
        .run();
    let up = out.check("postgres");
    assert_eq!(up["status"], "OK", "{}", out.stdout);
    assert!(
        up["message"].as_str().unwrap().ends_with(" over TLS"),
        "{up}"
    );

    // A login refused over TLS is the error: no retry in plain text.
    let wrong = server.url_with_password(Some("not-the-password"));
    let out = maint().args(["db", "report", "--url", &wrong]).run();
    out.code(3)
        .one_error_line("password authentication failed")
        .nowhere(PASSWORD);
    assert!(!out.stderr.contains("TLS handshake"), "{}", out.stderr);

    let plain = Postgres::start();
    let ssl: String = plain.client().query_one("SHOW ssl", &[]).unwrap().get(0);
    assert_eq!(ssl, "off");
    let out = maint()
        .json()
        .args(["health", "--only", "postgres", "--postgres", plain.url()])
        .run();
    out.code(0);
    let up = out.check("postgres");
    assert_eq!(up["status"], "OK", "{}", out.stdout);
    assert!(
        up["message"].as_str().unwrap().ends_with(" in plain text"),
        "{up}"
    );
}

#[test]
fn sslmode_require_and_verify_full_connect_over_tls() {
    let (server, ca) = tls_server();
    let url = server.url();

    // Plain TCP is refused by pg_hba.conf: this server takes TLS only.
    let disable = format!("{url}?sslmode=disable");
    let out = maint().args(["db", "report", "--url", &disable]).run();
    out.code(3)
        .one_error_line("no encryption")
        .nowhere(PASSWORD);

    let require = format!("{url}?sslmode=require");
    let out = maint()
        .json()
        .args(["db", "report", "--url", &require])
        .run();
    assert!(out.code <= 2, "{}", out.stderr);
    out.nowhere(PASSWORD);
    out.check("db:dead_tuples");

    // PGSSLMODE does the same for a URL that does not say.
    let out = maint()
        .env("PGSSLMODE", "require")
        .json()
        .args(["db", "vacuum", "--dry-run", "--url", url])
        .run();
    out.code(0);

    // `maint health` shares the connection code.
    let out = maint()
        .json()
        .args(["health", "--only", "postgres", "--postgres", &require])
        .run();
    assert_eq!(out.check("postgres")["status"], "OK", "{}", out.stdout);

    let ca_file = ca.path().join("ca.crt");
    let full = format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        ca_file.display()
    );
    let out = maint().json().args(["db", "report", "--url", &full]).run();
    assert!(out.code <= 2, "{}", out.stderr);

    // verify-ca checks the chain but not the name.
    let mut by_name = url::Url::parse(url).unwrap();
    by_name.set_host(Some("localhost")).unwrap();
    let ca_only = format!(
        "{by_name}?sslmode=verify-ca&sslrootcert={}",
        ca_file.display()
    );
    let out = maint()
        .json()
        .args(["db", "report", "--url", &ca_only])
        .run();
    assert!(out.code <= 2, "{}", out.stderr);

    // The system's roots do not know the test CA.
    let untrusted = format!("{url}?sslmode=verify-full");
    let out = maint().args(["db", "report", "--url", &untrusted]).run();
    out.code(3)
        .one_error_line("certificate")
        .stderr_has("hint: check sslmode and sslrootcert")
        .nowhere(PASSWORD);
}

/// Issue 18: with no sslmode, a TLS handshake that fails is followed by a
/// connection in plain text, as psql makes, and maint says so; `require`
/// refuses it.
#[test]
fn a_failed_tls_handshake_falls_back_to_plain_text_under_prefer_only() {
    let (server, _ca) = tls_server_with(
        "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
        &NO_COMMON_CIPHER,
    );
    let out = maint()
        .json()
        .args(["health", "--only", "postgres", "--postgres", server.url()])
        .run();
    out.code(0).nowhere(PASSWORD);
    let up = out.check("postgres");
    let message = up["message"].as_str().unwrap();
    assert_eq!(up["status"], "OK", "{up}");
    assert!(message.contains("; TLS handshake failed ("), "{message}");
    assert!(
        message.ends_with(
            "connected in plain text as sslmode=prefer allows; set sslmode=require to refuse"
        ),
        "{message}"
    );

    let out = maint()
        .json()
        .args(["-v", "db", "report", "--url", server.url()])
        .run();
    assert!(out.code <= 2, "{}", out.stderr);
    out.stderr_has("TLS handshake failed (")
        .stderr_has("connected in plain text as sslmode=prefer allows")
        .nowhere(PASSWORD);
    out.check("db:dead_tuples");

    let require = format!("{}?sslmode=require", server.url());
    let out = maint().args(["db", "report", "--url", &require]).run();
    out.code(3)
        .one_error_line("TLS handshake failed: ")
        .stderr_has("hint: check sslmode and sslrootcert")
        .nowhere(PASSWORD);
    assert!(!out.stderr.contains("plain"), "{}", out.stderr);
}

/// The same broken TLS on a server that takes TCP only over TLS: the plain
/// retry is refused by pg_hba.conf, and the error still leads with the
/// handshake, where the problem is.
#[test]
fn a_tls_only_server_whose_handshake_fails_is_refused_naming_tls() {
    let (server, _ca) = tls_server_with(TLS_ONLY, &NO_COMMON_CIPHER);
    let out = maint().args(["db", "report", "--url", server.url()]).run();
    out.code(3)
        .one_error_line("TLS handshake failed (")
        .stderr_has("plain-text retry sslmode=prefer allows failed too: ")
        .stderr_has("no encryption")
        .stderr_has("hint: check sslmode and sslrootcert")
        .nowhere(PASSWORD);
}
