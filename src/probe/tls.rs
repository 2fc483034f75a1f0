//! Connecting to a TLS endpoint, directly or after STARTTLS (SMTP,
//! PostgreSQL), and recording the certificate chain it sends.
//!
//! The handshake uses a verifier of our own that accepts and records any
//! chain: an expired, self-signed or wrong-host certificate must still be
//! read so it can be reported. Nothing is sent over the connection after
//! the handshake, so accepting an unverified peer risks nothing; the
//! verdict is computed apart (crate::judge::certs). One deadline covers name
//! resolution, connect, STARTTLS and the handshake.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{
    AlertDescription, ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::units::human_duration;

/// How the connection gets to TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Starttls {
    /// TLS from the first byte (HTTPS, SMTPS, ...).
    None,
    /// SMTP: greeting, EHLO, STARTTLS (RFC 3207).
    Smtp,
    /// PostgreSQL: an SSLRequest packet answered by `S`.
    Postgres,
}

impl Starttls {
    /// What a port is used for when nothing else says: SMTP submission and
    /// relay speak STARTTLS, and so does PostgreSQL.
    pub fn for_port(port: u16) -> Starttls {
        match port {
            25 | 587 => Starttls::Smtp,
            5432 => Starttls::Postgres,
            _ => Starttls::None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Starttls::None => "none",
            Starttls::Smtp => "smtp",
            Starttls::Postgres => "postgres",
        }
    }
}

/// An endpoint as an operator writes it, before any setting changes where
/// to connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointSpec {
    pub host: String,
    pub port: u16,
    pub starttls: Starttls,
}

/// URL schemes: default port and how TLS starts.
const SCHEMES: &[(&str, u16, Starttls)] = &[
    ("https", 443, Starttls::None),
    ("tls", 443, Starttls::None),
    ("smtp", 25, Starttls::Smtp),
    ("smtps", 465, Starttls::None),
    ("postgres", 5432, Starttls::Postgres),
    ("postgresql", 5432, Starttls::Postgres),
    ("imaps", 993, Starttls::None),
    ("pop3s", 995, Starttls::None),
    ("ldaps", 636, Starttls::None),
];

/// Why a text is not an endpoint maint can reach.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EndpointError(String);

/// Reads `host`, `host:port` (443 by default), `[v6]:port`, or a URL:
/// `https://`, `smtp://` (STARTTLS), `smtps://`, `postgres://` (STARTTLS),
/// `tls://`, `imaps://`, `pop3s://`, `ldaps://`. Without a scheme, ports 25
/// and 587 mean SMTP STARTTLS and 5432 PostgreSQL's.
pub fn parse_endpoint(text: &str) -> Result<EndpointSpec, EndpointError> {
    let text = text.trim();
    if let Some((scheme, _)) = text.split_once("://") {
        let shown = crate::redact::url(text);
        let Some((_, default_port, starttls)) = SCHEMES
            .iter()
            .find(|(known, ..)| known.eq_ignore_ascii_case(scheme))
        else {
            let known: Vec<&str> = SCHEMES.iter().map(|(s, ..)| *s).collect();
            return Err(EndpointError(format!(
                "{shown:?} has scheme {scheme:?}; known schemes are {}",
                known.join(", ")
            )));
        };
        let url = url::Url::parse(text)
            .map_err(|err| EndpointError(format!("invalid URL {shown:?}: {err}")))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| EndpointError(format!("URL {shown:?} has no host")))?;
        return Ok(EndpointSpec {
            host: host.trim_matches(['[', ']']).to_owned(),
            port: url.port().unwrap_or(*default_port),
            starttls: *starttls,
        });
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| {
            EndpointError(format!("{text:?}: an IPv6 address needs its closing ]"))
        })?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(EndpointError(format!("{text:?}: expected [address]:port"))),
        }
    } else if text.matches(':').count() == 1 {
        let (host, port) = text.split_once(':').expect("one colon");
        (host, Some(port))
    } else {
        // No colon, or a bare IPv6 address.
        (text, None)
    };
    let port = match port {
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| EndpointError(format!("{text:?} has an invalid port {port:?}")))?,
        None => 443,
    };
    let valid_name = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid_name && host.parse::<IpAddr>().is_err() {
        return Err(EndpointError(format!(
            "{text:?} is not a host name, host:port or URL"
        )));
    }
    Ok(EndpointSpec {
        host: host.to_owned(),
        port,
        starttls: Starttls::for_port(port),
    })
}

/// Where to connect and what to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    /// The name sent as SNI; None sends none.
    pub sni: Option<String>,
    pub starttls: Starttls,
}

/// What the server sent.
#[derive(Debug)]
pub struct Handshake {
    /// As sent: the server's certificate first.
    pub chain: Vec<CertificateDer<'static>>,
    pub peer: SocketAddr,
    /// `TLSv1.3`, `TLSv1.2`; None when the handshake did not finish.
    pub protocol: Option<String>,
    pub cipher: Option<String>,
    /// The handshake failed after the certificate arrived (a server that
    /// wants a client certificate, for one): the chain is still good to judge.
    pub late_error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Resolving,
    Connecting,
    Starttls,
    Handshake,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Resolving => "resolving the name",
            Stage::Connecting => "connecting",
            Stage::Starttls => "STARTTLS",
            Stage::Handshake => "the TLS handshake",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot resolve host {0}")]
    Dns(String),
    #[error("connection to {0} refused")]
    Refused(SocketAddr),
    #[error("no answer within {} ({stage} did not finish)", human_duration(*limit))]
    Timeout { stage: Stage, limit: Duration },
    #[error("the server closed the connection during {0}")]
    Closed(Stage),
    #[error("STARTTLS failed: {0}")]
    Starttls(String),
    #[error("the server speaks only TLS 1.1 or older ({0}); TLS 1.2 or 1.3 is needed")]
    OldProtocol(String),
    #[error("TLS handshake failed: {0}")]
    Handshake(String),
    #[error("{stage}: {message}")]
    Io { stage: Stage, message: String },
}

/// Connects to `endpoint` and returns the chain it sends, all within `timeout`.
pub fn fetch_chain(endpoint: &Endpoint, timeout: Duration) -> Result<Handshake, TlsError> {
    let clock = Clock {
        deadline: Instant::now() + timeout,
        limit: timeout,
    };
    let addresses = resolve(&endpoint.host, endpoint.port, &clock)?;
    let stream = connect(&addresses, &clock)?;
    talk(stream, endpoint, &clock)
}

/// One address and what its handshake gave.
pub type AddressResult = (SocketAddr, Result<Handshake, TlsError>);

/// Connects to every address `endpoint`'s name resolves to (A and AAAA),
/// all at once, each with a `timeout` of its own so a dead address does not
/// eat the time of the others; the results come in resolver order.
pub fn fetch_chains(
    endpoint: &Endpoint,
    timeout: Duration,
    hosts: &super::http::Hosts,
) -> Result<Vec<AddressResult>, TlsError> {
    let clock = Clock {
        deadline: Instant::now() + timeout,
        limit: timeout,
    };
    let planted = hosts.lookup(&endpoint.host);
    let mut addresses = if planted.is_empty() {
        resolve(&endpoint.host, endpoint.port, &clock)?
    } else {
        planted
            .into_iter()
            .map(|ip| SocketAddr::new(ip, endpoint.port))
            .collect()
    };
    // getaddrinfo lists an address once per socket type on some systems.
    let mut seen = std::collections::HashSet::new();
    addresses.retain(|address| seen.insert(*address));
    let fetch = |address: SocketAddr| {
        let clock = Clock {
            deadline: Instant::now() + timeout,
            limit: timeout,
        };
        connect(&[address], &clock).and_then(|s| talk(s, endpoint, &clock))
    };
    if let [address] = addresses[..] {
        return Ok(vec![(address, fetch(address))]);
    }
    // At once, so a name with dead addresses takes one timeout, not one each.
    Ok(std::thread::scope(|scope| {
        let handshakes: Vec<_> = addresses
            .iter()
            .map(|&address| scope.spawn(move || fetch(address)))
            .collect();
        addresses
            .iter()
            .zip(handshakes)
            .map(|(&address, handshake)| {
                let result = handshake.join().expect("a handshake thread does not panic");
                (address, result)
            })
            .collect()
    }))
}

/// STARTTLS where asked, then the handshake, on a connected stream.
fn talk(mut stream: TcpStream, endpoint: &Endpoint, clock: &Clock) -> Result<Handshake, TlsError> {
    let peer = stream
        .peer_addr()
        .map_err(|err| clock.io(&err, Stage::Connecting))?;
    let _ = stream.set_nodelay(true);
    match endpoint.starttls {
        Starttls::None => {}
        Starttls::Smtp => smtp_starttls(&mut stream, clock)?,
        Starttls::Postgres => postgres_starttls(&mut stream, clock)?,
    }
    handshake(&mut stream, peer, endpoint.sni.as_deref(), clock)
}

/// One deadline for every step, and the limit it came from (for messages).
struct Clock {
    deadline: Instant,
    limit: Duration,
}

impl Clock {
    fn left(&self, stage: Stage) -> Result<Duration, TlsError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(self.timeout(stage))
        } else {
            Ok(left)
        }
    }

    fn timeout(&self, stage: Stage) -> TlsError {
        TlsError::Timeout {
            stage,
            limit: self.limit,
        }
    }

    /// Limits the next read or write on `stream` to the time left.
    fn arm(&self, stream: &TcpStream, stage: Stage) -> Result<(), TlsError> {
        let left = self.left(stage)?;
        stream
            .set_read_timeout(Some(left))
            .and_then(|()| stream.set_write_timeout(Some(left)))
            .map_err(|err| self.io(&err, stage))
    }

    fn io(&self, err: &std::io::Error, stage: Stage) -> TlsError {
        use std::io::ErrorKind::{
            BrokenPipe, ConnectionAborted, ConnectionReset, TimedOut, UnexpectedEof, WouldBlock,
        };
        match err.kind() {
            WouldBlock | TimedOut => self.timeout(stage),
            ConnectionReset | ConnectionAborted | UnexpectedEof | BrokenPipe => {
                TlsError::Closed(stage)
            }
            _ => TlsError::Io {
                stage,
                message: err.to_string(),
            },
        }
    }
}

/// getaddrinfo cannot be given a time limit, so it runs on a thread of its
/// own that is left behind if it overruns.
fn resolve(host: &str, port: u16, clock: &Clock) -> Result<Vec<SocketAddr>, TlsError> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (sender, receiver) = mpsc::channel();
    let query = (host.to_owned(), port);
    std::thread::Builder::new()
        .name("maint-resolve".into())
        .spawn(move || {
            let result = query.to_socket_addrs().map(Iterator::collect::<Vec<_>>);
            let _ = sender.send(result);
        })
        .map_err(|err| TlsError::Io {
            stage: Stage::Resolving,
            message: err.to_string(),
        })?;
    match receiver.recv_timeout(clock.left(Stage::Resolving)?) {
        Ok(Ok(addresses)) if !addresses.is_empty() => Ok(addresses),
        Ok(_) => Err(TlsError::Dns(host.to_owned())),
        Err(_) => Err(clock.timeout(Stage::Resolving)),
    }
}

fn connect(addresses: &[SocketAddr], clock: &Clock) -> Result<TcpStream, TlsError> {
    let mut last = clock.timeout(Stage::Connecting);
    for address in addresses {
        let left = clock.left(Stage::Connecting)?;
        match TcpStream::connect_timeout(address, left) {
            Ok(stream) => return Ok(stream),
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = TlsError::Refused(*address);
            }
            Err(err) => last = clock.io(&err, Stage::Connecting),
        }
    }
    Err(last)
}

/// One SMTP reply (all its lines); the code is the first line's.
fn smtp_reply(stream: &mut TcpStream, clock: &Clock) -> Result<(u16, Vec<String>), TlsError> {
    let mut lines = Vec::new();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        clock.arm(stream, Stage::Starttls)?;
        // Byte by byte: nothing past the reply may be consumed, since the
        // TLS handshake starts right after it.
        match stream.read(&mut byte) {
            Ok(0) => return Err(TlsError::Closed(Stage::Starttls)),
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(clock.io(&err, Stage::Starttls)),
        }
        if byte[0] != b'\n' {
            line.push(byte[0]);
            if line.len() > 4096 {
                return Err(TlsError::Starttls(
                    "a reply line is too long: not SMTP".into(),
                ));
            }
            continue;
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        line.clear();
        let code = text
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| TlsError::Starttls(format!("the server said {text:?}: not SMTP")))?;
        let last = text.as_bytes().get(3) != Some(&b'-');
        lines.push(text);
        if last {
            return Ok((code, lines));
        }
        if lines.len() > 100 {
            return Err(TlsError::Starttls("the reply never ends: not SMTP".into()));
        }
    }
}

fn send(stream: &mut TcpStream, bytes: &[u8], clock: &Clock, stage: Stage) -> Result<(), TlsError> {
    clock.arm(stream, stage)?;
    stream
        .write_all(bytes)
        .and_then(|()| stream.flush())
        .map_err(|err| clock.io(&err, stage))
}

fn smtp_starttls(stream: &mut TcpStream, clock: &Clock) -> Result<(), TlsError> {
    let (code, lines) = smtp_reply(stream, clock)?;
    if code != 220 {
        return Err(TlsError::Starttls(format!(
            "the server greeted with {:?}",
            lines.join(" / ")
        )));
    }
    send(stream, b"EHLO maint.invalid\r\n", clock, Stage::Starttls)?;
    let (code, lines) = smtp_reply(stream, clock)?;
    if code != 250 {
        return Err(TlsError::Starttls(format!(
            "EHLO was answered {:?}",
            lines.join(" / ")
        )));
    }
    let offered = lines.iter().any(|line| {
        line.get(4..)
            .is_some_and(|word| word.trim().eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        return Err(TlsError::Starttls(
            "the server does not offer STARTTLS in its EHLO reply".into(),
        ));
    }
    send(stream, b"STARTTLS\r\n", clock, Stage::Starttls)?;
    let (code, lines) = smtp_reply(stream, clock)?;
    if code != 220 {
        return Err(TlsError::Starttls(format!(
            "STARTTLS was answered {:?}",
            lines.join(" / ")
        )));
    }
    Ok(())
}

/// The SSLRequest message: length 8, then the magic code 80877103.
const POSTGRES_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

fn postgres_starttls(stream: &mut TcpStream, clock: &Clock) -> Result<(), TlsError> {
    send(stream, &POSTGRES_SSL_REQUEST, clock, Stage::Starttls)?;
    let mut answer = [0u8; 1];
    clock.arm(stream, Stage::Starttls)?;
    stream
        .read_exact(&mut answer)
        .map_err(|err| clock.io(&err, Stage::Starttls))?;
    match answer[0] {
        b'S' => Ok(()),
        b'N' => Err(TlsError::Starttls(
            "the PostgreSQL server does not accept SSL (ssl = off)".into(),
        )),
        other => Err(TlsError::Starttls(format!(
            "the answer to SSLRequest was {:?}, not S or N: not a PostgreSQL server",
            char::from(other)
        ))),
    }
}

/// Accepts whatever the server presents and keeps a copy of it.
#[derive(Debug, Default)]
struct Recorder {
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl Recorder {
    fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        if let Ok(mut slot) = self.chain.lock() {
            *slot = chain;
        }
        Ok(ServerCertVerified::assertion())
    }

    // The handshake signature is not checked: a weak or odd key must not
    // keep its certificate from being read, and no data follows the handshake.
    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::ECDSA_NISTP521_SHA512,
            SignatureScheme::ED25519,
            SignatureScheme::ED448,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PSS_SHA384,
            SignatureScheme::RSA_PSS_SHA512,
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512,
            // Offered so servers with old keys still show their certificate.
            SignatureScheme::RSA_PKCS1_SHA1,
            SignatureScheme::ECDSA_SHA1_Legacy,
        ]
    }
}

fn handshake(
    stream: &mut TcpStream,
    peer: SocketAddr,
    sni: Option<&str>,
    clock: &Clock,
) -> Result<Handshake, TlsError> {
    let recorder = Arc::new(Recorder::default());
    let setup = |err: rustls::Error| TlsError::Handshake(err.to_string());
    let mut config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(setup)?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
    config.enable_sni = sni.is_some();
    // Without SNI rustls still needs a name; an address sends none.
    let name = match sni {
        Some(name) => ServerName::try_from(name.to_owned())
            .map_err(|_| TlsError::Handshake(format!("{name:?} is not a valid SNI name")))?,
        None => ServerName::IpAddress(peer.ip().into()),
    };
    let mut connection = ClientConnection::new(Arc::new(config), name).map_err(setup)?;

    let failure = |error: TlsError| {
        let chain = recorder.chain();
        if chain.is_empty() {
            Err(error)
        } else {
            Ok(Handshake {
                chain,
                peer,
                protocol: None,
                cipher: None,
                late_error: Some(error.to_string()),
            })
        }
    };
    while connection.is_handshaking() {
        if let Err(err) = clock.arm(stream, Stage::Handshake) {
            return failure(err);
        }
        if connection.wants_write() {
            if let Err(err) = connection.write_tls(stream) {
                return failure(clock.io(&err, Stage::Handshake));
            }
            continue;
        }
        match connection.read_tls(stream) {
            Ok(0) => return failure(TlsError::Closed(Stage::Handshake)),
            Ok(_) => {
                if let Err(err) = connection.process_new_packets() {
                    // Tell the server why, as TLS clients do; it may be gone already.
                    let _ = connection.write_tls(stream);
                    return failure(classify(&err));
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return failure(clock.io(&err, Stage::Handshake)),
        }
    }
    connection.send_close_notify();
    while connection.wants_write() && clock.arm(stream, Stage::Handshake).is_ok() {
        if connection.write_tls(stream).is_err() {
            break;
        }
    }
    let chain = recorder.chain();
    if chain.is_empty() {
        return Err(TlsError::Handshake("the server sent no certificate".into()));
    }
    Ok(Handshake {
        chain,
        peer,
        protocol: connection
            .protocol_version()
            .map(|v| v.as_str().unwrap_or("TLS").replace("TLSv1_", "TLSv1.")),
        cipher: connection
            .negotiated_cipher_suite()
            .map(|suite| format!("{:?}", suite.suite())),
        late_error: None,
    })
}

/// A rustls error as a sentence an operator can act on: rustls's own text
/// is for developers ("invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))").
pub fn explain(err: &rustls::Error) -> String {
    use rustls::{CertificateError as Cert, Error};
    let time = |t: &UnixTime| {
        chrono::DateTime::from_timestamp(t.as_secs() as i64, 0).map_or_else(String::new, |t| {
            t.format(" on %Y-%m-%d %H:%M UTC").to_string()
        })
    };
    match err {
        Error::InvalidCertificate(cert) => match cert {
            Cert::UnknownIssuer => "the server's certificate is not signed by an authority this machine trusts (self-signed, or from a private CA whose certificate is not installed here)".to_owned(),
            Cert::Expired => "the server's certificate has expired".to_owned(),
            Cert::ExpiredContext { not_after, .. } => {
                format!("the server's certificate expired{}", time(not_after))
            }
            Cert::NotValidYet => "the server's certificate is not valid yet (is this machine's clock right?)".to_owned(),
            Cert::NotValidYetContext { not_before, .. } => format!(
                "the server's certificate is not valid until{} (is this machine's clock right?)",
                time(not_before).trim_start_matches(" on")
            ),
            Cert::NotValidForName => {
                "the server's certificate does not name the host that was asked for".to_owned()
            }
            Cert::NotValidForNameContext { expected, presented } => format!(
                "the server's certificate is for {}, not {}",
                if presented.is_empty() {
                    "no name at all".to_owned()
                } else {
                    presented.join(", ")
                },
                expected.to_str()
            ),
            Cert::Revoked => "the server's certificate has been revoked".to_owned(),
            Cert::BadSignature => "the server's certificate has a signature that does not verify".to_owned(),
            Cert::InvalidPurpose | Cert::InvalidPurposeContext { .. } => {
                "the server's certificate is not meant for a TLS server (its extended key usage says otherwise)".to_owned()
            }
            Cert::UnsupportedSignatureAlgorithmContext { .. } => {
                "the server's certificate is signed with an algorithm too weak or too rare to accept (SHA-1?)".to_owned()
            }
            Cert::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                "the server's certificate does not verify against the trusted certificate that bears its issuer's name (another key under the same name: self-signed, or a reissued CA?)".to_owned()
            }
            Cert::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => {
                "the server presents a CA certificate as its own (marked CA:TRUE, as hand-made self-signed ones often are): give it a server certificate signed by that CA".to_owned()
            }
            other => format!("the server's certificate was refused ({other:?})"),
        },
        Error::AlertReceived(alert) => format!(
            "the server ended the handshake ({alert:?} alert): it may want a client certificate, another SNI name, or a TLS version or cipher maint does not offer"
        ),
        Error::InvalidMessage(_) => {
            "the answer is not TLS: does this port speak plain text, or need STARTTLS?".to_owned()
        }
        Error::PeerIncompatible(_) => {
            "the server and maint have no TLS version or cipher suite in common (TLS 1.2 or 1.3 is needed)".to_owned()
        }
        Error::NoCertificatesPresented => "the server sent no certificate".to_owned(),
        other => other.to_string(),
    }
}

/// The rustls error behind an error chain, if any; an `io::Error` hides the
/// error it wraps from `source()`, so it is opened by hand.
pub fn rustls_cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next: Option<&'a (dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = next {
        if let Some(found) = cause.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(found) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(found);
        }
        next = cause.source();
    }
    None
}

fn classify(err: &rustls::Error) -> TlsError {
    use rustls::{Error, PeerIncompatible};
    match err {
        Error::AlertReceived(AlertDescription::ProtocolVersion)
        | Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13) => {
            TlsError::OldProtocol(err.to_string())
        }
        Error::AlertReceived(AlertDescription::HandshakeFailure) => TlsError::Handshake(
            "the server refused it (handshake_failure alert): no protocol version or cipher suite in common, or it wants another SNI name".into(),
        ),
        Error::InvalidMessage(_) => TlsError::Handshake(format!(
            "the answer is not TLS ({err}): does this port speak plain text, or need STARTTLS?"
        )),
        other => TlsError::Handshake(explain(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_as_operators_write_them() {
        let spec = |text: &str| parse_endpoint(text).unwrap();
        assert_eq!(spec("example.com").port, 443);
        assert_eq!(spec("example.com:8443").port, 8443);
        assert_eq!(spec("mail.example.com:587").starttls, Starttls::Smtp);
        assert_eq!(spec("[::1]:5432").host, "::1");
        assert_eq!(spec("[::1]:5432").starttls, Starttls::Postgres);
        assert_eq!(spec("::1").port, 443);
        assert_eq!(spec("https://example.com/path").port, 443);
        assert_eq!(spec("smtp://mail.example.com").port, 25);
        assert_eq!(
            spec("smtp://mail.example.com:2525").starttls,
            Starttls::Smtp
        );
        let db = spec("postgres://app:secret@db.example.com/app");
        assert_eq!((db.host.as_str(), db.port), ("db.example.com", 5432));
        assert!(
            parse_endpoint("ftp://x")
                .unwrap_err()
                .to_string()
                .contains("known schemes")
        );
        assert!(
            parse_endpoint("postgres://app:secret@/x")
                .unwrap_err()
                .to_string()
                .contains("***")
        );
        assert!(parse_endpoint("example.com:http").is_err());
        assert!(parse_endpoint("example.com:0").is_err());
        assert!(parse_endpoint("bad host").is_err());
    }

    #[test]
    fn ports_imply_starttls() {
        assert_eq!(Starttls::for_port(587), Starttls::Smtp);
        assert_eq!(Starttls::for_port(25), Starttls::Smtp);
        assert_eq!(Starttls::for_port(5432), Starttls::Postgres);
        assert_eq!(Starttls::for_port(443), Starttls::None);
    }

    #[test]
    fn closed_ports_and_unknown_hosts_fail_fast() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let endpoint = |host: &str| Endpoint {
            host: host.into(),
            port,
            sni: None,
            starttls: Starttls::None,
        };
        let err = fetch_chain(&endpoint("127.0.0.1"), Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, TlsError::Refused(_)), "{err}");
        let every = fetch_chains(
            &endpoint("127.0.0.1"),
            Duration::from_secs(5),
            &super::super::http::Hosts::default(),
        )
        .unwrap();
        assert_eq!(every.len(), 1);
        assert_eq!(every[0].0.port(), port);
        assert!(matches!(every[0].1, Err(TlsError::Refused(_))));
        let err =
            fetch_chain(&endpoint("no-such-host.invalid"), Duration::from_secs(5)).unwrap_err();
        assert!(
            matches!(err, TlsError::Dns(_) | TlsError::Timeout { .. }),
            "{err}"
        );
    }

    #[test]
    fn a_silent_server_times_out_in_the_handshake() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let endpoint = Endpoint {
            host: "127.0.0.1".into(),
            port,
            sni: None,
            starttls: Starttls::None,
        };
        let err = fetch_chain(&endpoint, Duration::from_millis(300)).unwrap_err();
        assert!(
            matches!(
                err,
                TlsError::Timeout {
                    stage: Stage::Handshake,
                    ..
                }
            ),
            "{err}"
        );
        drop(listener);
    }
}
