//! Certificates made at test time (relative to now) and the TLS servers
//! that serve them on 127.0.0.1:
//!
//! - [`Pki`]: a root and an intermediate CA (rcgen), and leaves they sign
//!   with any validity, names or issuer; [`Pki::openssl_leaf`] for what
//!   rcgen cannot make (RSA 1024 keys, SHA-1 signatures).
//! - [`TlsServer`]: a rustls server thread sending any chain, recording the
//!   SNI name it was sent; [`TlsServer::smtp`] speaks SMTP STARTTLS first.
//! - [`OpensslServer`]: `openssl s_server` for weak keys and TLS 1.0.
//! - [`silent_port`]: accepts TCP connections and never says anything.
//! - [`Pki::revocable_leaf`], [`Pki::crl`] and [`OcspResponder`] (`openssl
//!   ocsp` over an index.txt): revocation published on 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DnType, IsCa, Issuer, KeyIdMethod, KeyPair, RevocationReason,
    RevokedCertParams, SanType, SerialNumber,
};
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;

use super::command::{free_port, wait_for};

/// A certificate and its key, as PEM.
pub(crate) struct Leaf {
    pub pem: String,
    pub key_pem: String,
}

pub(crate) struct Ca {
    pub pem: String,
    pub key_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A root CA and an intermediate it signed.
pub(crate) struct Pki {
    pub root: Ca,
    pub intermediate: Ca,
}

fn ca(name: &str, parent: Option<&Ca>, days: Days) -> Ca {
    let key = KeyPair::generate().expect("generate a key");
    let mut params = CertificateParams::new(Vec::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let now = OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::days(days.0);
    params.not_after = now + time::Duration::days(days.1);
    let cert = match parent {
        Some(parent) => params.signed_by(&key, &parent.issuer),
        None => params.self_signed(&key),
    }
    .expect("sign the CA");
    Ca {
        pem: cert.pem(),
        key_pem: key.serialize_pem(),
        issuer: Issuer::new(params, key),
    }
}

/// Validity in days from now: (not before, not after).
pub(crate) type Days = (i64, i64);

fn leaf_params(names: &[&str], days: Days) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::new()).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
    for name in names {
        params.subject_alt_names.push(match name.parse() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*name).try_into().expect("a DNS name")),
        });
    }
    let now = OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::days(days.0);
    params.not_after = now + time::Duration::days(days.1);
    params
}

impl Pki {
    pub(crate) fn new() -> Pki {
        Pki::with_intermediate((-30, 3650))
    }

    /// A PKI whose intermediate is valid for `days`.
    pub(crate) fn with_intermediate(days: Days) -> Pki {
        let root = ca("maint test root", None, (-30, 7300));
        let intermediate = ca("maint test intermediate", Some(&root), days);
        Pki { root, intermediate }
    }

    /// A leaf for `names` signed by the intermediate.
    pub(crate) fn leaf(&self, names: &[&str], days: Days) -> Leaf {
        let key = KeyPair::generate().expect("generate a key");
        let cert = leaf_params(names, days)
            .signed_by(&key, &self.intermediate.issuer)
            .expect("sign the leaf");
        Leaf {
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A leaf with serial `serial` that names a CRL and an OCSP responder.
    pub(crate) fn revocable_leaf(
        &self,
        names: &[&str],
        serial: u16,
        crl: Option<&str>,
        ocsp: Option<&str>,
    ) -> Leaf {
        let key = KeyPair::generate().expect("generate a key");
        let mut params = leaf_params(names, (-10, 200));
        params.serial_number = Some(SerialNumber::from_slice(&serial.to_be_bytes()));
        if let Some(url) = crl {
            params.crl_distribution_points = vec![CrlDistributionPoint {
                uris: vec![url.to_owned()],
            }];
        }
        if let Some(url) = ocsp {
            params.custom_extensions.push(ocsp_extension(url));
        }
        let cert = params
            .signed_by(&key, &self.intermediate.issuer)
            .expect("sign the leaf");
        Leaf {
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A CRL (DER) by the intermediate listing `revoked` (key compromise, a
    /// day ago), whose next update is `next_days` from now.
    pub(crate) fn crl(&self, revoked: &[u16], next_days: i64) -> Vec<u8> {
        let now = OffsetDateTime::now_utc();
        CertificateRevocationListParams {
            this_update: now - time::Duration::days(10),
            next_update: now + time::Duration::days(next_days),
            crl_number: SerialNumber::from_slice(&[1]),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|serial| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&serial.to_be_bytes()),
                    revocation_time: now - time::Duration::days(1),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&self.intermediate.issuer)
        .expect("sign the CRL")
        .der()
        .to_vec()
    }

    /// A leaf signed by itself.
    pub(crate) fn self_signed(names: &[&str], days: Days) -> Leaf {
        let key = KeyPair::generate().expect("generate a key");
        let cert = leaf_params(names, days)
            .self_signed(&key)
            .expect("self-sign the leaf");
        Leaf {
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A leaf for localhost and 127.0.0.1 made by the openssl CLI and signed by
    /// the intermediate: `key` like `rsa:1024`, `digest` like `sha1`.
    pub(crate) fn openssl_leaf(&self, dir: &Path, key: &str, digest: &str) -> Leaf {
        let file = |name: &str| dir.join(name);
        std::fs::write(file("ca.pem"), &self.intermediate.pem).unwrap();
        std::fs::write(file("ca.key"), &self.intermediate.key_pem).unwrap();
        std::fs::write(
            file("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        openssl(&[
            "req",
            "-new",
            "-newkey",
            key,
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            path(&file("leaf.key")),
            "-out",
            path(&file("leaf.csr")),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            path(&file("leaf.csr")),
            "-CA",
            path(&file("ca.pem")),
            "-CAkey",
            path(&file("ca.key")),
            "-CAcreateserial",
            "-days",
            "200",
            &format!("-{digest}"),
            "-extfile",
            path(&file("ext.cnf")),
            "-out",
            path(&file("leaf.pem")),
        ]);
        Leaf {
            pem: std::fs::read_to_string(file("leaf.pem")).unwrap(),
            key_pem: std::fs::read_to_string(file("leaf.key")).unwrap(),
        }
    }
}

/// Authority Information Access naming one OCSP responder (RFC 5280 4.2.2.1),
/// which rcgen has no field for.
fn ocsp_extension(url: &str) -> CustomExtension {
    // [6] IA5String: the URI form of GeneralName.
    let mut location = vec![0x86, url.len() as u8];
    location.extend_from_slice(url.as_bytes());
    let method = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
    let mut description = vec![0x30, (method.len() + location.len()) as u8];
    description.extend_from_slice(&method);
    description.extend_from_slice(&location);
    let mut content = vec![0x30, description.len() as u8];
    content.extend_from_slice(&description);
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], content)
}

/// `openssl ocsp` answering for the intermediate from an index.txt of
/// (serial, revoked) on a free port; stopped when dropped.
pub(crate) struct OcspResponder {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl OcspResponder {
    pub(crate) fn start(pki: &Pki, entries: &[(u16, bool)]) -> OcspResponder {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str| dir.path().join(name);
        std::fs::write(file("ca.pem"), &pki.intermediate.pem).unwrap();
        std::fs::write(file("ca.key"), &pki.intermediate.key_pem).unwrap();
        let stamp = |t: OffsetDateTime| {
            format!(
                "{:02}{:02}{:02}{:02}{:02}{:02}Z",
                t.year() % 100,
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        };
        let now = OffsetDateTime::now_utc();
        let expiry = stamp(now + time::Duration::days(200));
        let revoked_at = stamp(now - time::Duration::days(1));
        let index: String = entries
            .iter()
            .map(|(serial, revoked)| {
                if *revoked {
                    format!(
                        "R\t{expiry}\t{revoked_at},keyCompromise\t{serial:04X}\tunknown\t/CN=localhost\n"
                    )
                } else {
                    format!("V\t{expiry}\t\t{serial:04X}\tunknown\t/CN=localhost\n")
                }
            })
            .collect();
        std::fs::write(file("index.txt"), index).unwrap();
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new("openssl")
                .args(["ocsp", "-ignore_err", "-ndays", "1", "-index"])
                .arg(file("index.txt"))
                .arg("-port")
                .arg(port.to_string())
                .arg("-rsigner")
                .arg(file("ca.pem"))
                .arg("-rkey")
                .arg(file("ca.key"))
                .arg("-CA")
                .arg(file("ca.pem"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the openssl command line tool is needed");
            // Not a test connection: the responder serves one connection at
            // a time and would wait on it for a request that never comes.
            let stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
            let (ready, listening) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in stderr.lines().map_while(Result::ok) {
                    if line.contains("waiting for OCSP client connections") {
                        let _ = ready.send(());
                    }
                }
            });
            if listening.recv_timeout(Duration::from_secs(5)).is_ok() {
                return OcspResponder {
                    port,
                    child,
                    _dir: dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("openssl ocsp did not start");
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the openssl command line tool is needed");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn ders(pem: &str) -> Vec<CertificateDer<'static>> {
    maint::probe::x509::read_certificates(pem.as_bytes())
        .expect("test certificates parse")
        .into_iter()
        .map(|c| c.der)
        .collect()
}

pub(crate) fn private_key(pem: &str) -> PrivateKeyDer<'static> {
    let der = KeyPair::from_pem(pem)
        .expect("an rcgen key")
        .serialize_der();
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der))
}

/// A rustls server thread on 127.0.0.1 sending `chain`; it lives until the
/// test process ends.
pub(crate) struct TlsServer {
    pub port: u16,
    /// The SNI name of the latest handshake.
    pub sni: Arc<Mutex<Option<String>>>,
}

impl TlsServer {
    /// Sends the certificates of `chain` (PEM, concatenated) in that order.
    pub(crate) fn start(chain: &str, key_pem: &str) -> TlsServer {
        TlsServer::serve(chain, key_pem, false, "127.0.0.1:0")
    }

    /// As [`TlsServer::start`], on another address (`127.0.0.2:PORT`).
    pub(crate) fn start_at(chain: &str, key_pem: &str, address: &str) -> TlsServer {
        TlsServer::serve(chain, key_pem, false, address)
    }

    /// Greets as SMTP and starts TLS after EHLO and STARTTLS.
    pub(crate) fn smtp(chain: &str, key_pem: &str) -> TlsServer {
        TlsServer::serve(chain, key_pem, true, "127.0.0.1:0")
    }

    fn serve(chain: &str, key_pem: &str, smtp: bool, address: &str) -> TlsServer {
        let config = Arc::new(
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(ders(chain), private_key(key_pem))
                .expect("a usable certificate and key"),
        );
        let listener = TcpListener::bind(address).expect("bind");
        let port = listener.local_addr().unwrap().port();
        let sni = Arc::new(Mutex::new(None));
        let seen = sni.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let config = config.clone();
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let _ = handle(stream, &config, &seen, smtp);
                });
            }
        });
        TlsServer { port, sni }
    }

    pub(crate) fn sni(&self) -> Option<String> {
        self.sni.lock().unwrap().clone()
    }
}

fn handle(
    mut stream: TcpStream,
    config: &Arc<ServerConfig>,
    seen: &Mutex<Option<String>>,
    smtp: bool,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    if smtp {
        stream.write_all(b"220 test.invalid ESMTP\r\n")?;
        let mut reader = BufReader::new(stream.try_clone()?);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let command = line.trim().to_ascii_uppercase();
            if command.starts_with("EHLO") {
                stream.write_all(b"250-test.invalid\r\n250-PIPELINING\r\n250 STARTTLS\r\n")?;
            } else if command == "STARTTLS" {
                stream.write_all(b"220 2.0.0 Ready to start TLS\r\n")?;
                break;
            } else {
                stream.write_all(b"502 5.5.2 Error: command not recognized\r\n")?;
            }
        }
    }
    let mut connection =
        rustls::ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
    // The SNI is recorded as soon as the ClientHello is read, before anything
    // is written back: the client cannot finish its handshake, and a test
    // cannot look, before it is there.
    while connection.is_handshaking() {
        while connection.wants_write() {
            connection.write_tls(&mut stream)?;
        }
        if connection.wants_read() {
            if connection.read_tls(&mut stream)? == 0 {
                return Ok(());
            }
            connection
                .process_new_packets()
                .map_err(std::io::Error::other)?;
            if let Some(name) = connection.server_name() {
                *seen.lock().unwrap() = Some(name.to_owned());
            }
        }
    }
    connection.send_close_notify();
    let _ = connection.complete_io(&mut stream);
    Ok(())
}

/// `openssl s_server` on a free port with extra arguments; stopped when dropped.
pub(crate) struct OpensslServer {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl OpensslServer {
    pub(crate) fn start(leaf: &Leaf, extra: &[&str]) -> OpensslServer {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, &leaf.pem).unwrap();
        std::fs::write(&key, &leaf.key_pem).unwrap();
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new("openssl")
                .args(["s_server", "-quiet", "-www", "-accept"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("-cert")
                .arg(&cert)
                .arg("-key")
                .arg(&key)
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("the openssl command line tool is needed");
            if wait_for(Duration::from_secs(5), || {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
            }) {
                return OpensslServer {
                    port,
                    child,
                    _dir: dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("openssl s_server {extra:?} did not start");
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that accepts TCP connections and never answers them.
pub(crate) fn silent_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// A port that greets every connection with `banner` in plain text (an SMTP
/// server where TLS was expected) and then waits.
pub(crate) fn plain_text_port(banner: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(banner.as_bytes());
            held.push(stream);
        }
    });
    port
}

/// Writes `text` to `dir/name` and returns the path.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
