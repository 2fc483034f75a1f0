//! PostgreSQL: where to connect, filled in the way libpq fills it (URL, then
//! the `PG*` variables, then `~/.pgpass`; the `postgres` crate reads none of
//! these), TLS as libpq's `sslmode` asks for it, connection errors sorted
//! into what an operator can act on, sessions that capture server notices
//! and can be cancelled from another thread, and what a health check asks
//! the server.
//!
//! Deadlines (issue 17). The `postgres` crate bounds only the TCP connect;
//! its startup, TLS, authentication and queries wait as long as the server
//! lets them. So:
//! - every connection ([`Target::connect`], [`Target::session`]) runs on a
//!   thread abandoned at [`Target::connect_limit`]: `connect_timeout` in the
//!   URL, else `PGCONNECT_TIMEOUT`, else `[postgres] connect_timeout`, else
//!   5 s, once per host listed (as libpq);
//! - read-only work is bounded as a whole, server side by
//!   `statement_timeout` ([`Target::with_statement_timeout`]) and client
//!   side by a thread abandoned at the same limit (`crate::parallel::within`):
//!   health's check (`--timeout`), `db report` (`[postgres] query_timeout`),
//!   and the first query of every db command (twice the connect limit);
//! - statements that change things (VACUUM, the DELETE batches of prune)
//!   run under `lock_timeout`, `statement_timeout` when set and
//!   `--max-duration`, which cancel them on the server; a server that
//!   answers neither such a statement nor its cancel request is given up a
//!   second after the stop (`checks::postgres::runner`), and without a stop it
//!   is waited for (such a statement may rightly run for hours);
//! - `pg_dump`/`pg_restore` get `PGCONNECT_TIMEOUT` (libpq bounds their
//!   whole connection).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use postgres::config::{Host, SslMode as CrateSslMode};
use postgres::error::{DbError, SqlState};
use postgres::{CancelToken, Client, NoTls};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_postgres_rustls::MakeRustlsConnect;

mod fallback;

use fallback::Connector;
pub use fallback::Transport;

/// Where and as whom to connect, with a form of it that is safe to show.
#[derive(Clone)]
pub struct Target {
    pub config: postgres::Config,
    /// `postgres://user@host:port/db`, never with the password.
    pub display: String,
    pub tls: TlsSettings,
}

/// libpq's `sslmode`. The `postgres` crate knows only disable, prefer and
/// require, so the verifying modes are read here and checked by our own
/// rustls verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS when the server offers it, unverified; plain otherwise.
    Prefer,
    /// TLS or nothing; the certificate is verified only against a root
    /// certificate file when one is given or `~/.postgresql/root.crt` exists (libpq).
    Require,
    /// The certificate chains to a trusted root; the host name is not checked.
    VerifyCa,
    /// The certificate chains to a trusted root and names the host.
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<SslMode, String> {
        Ok(match text {
            "disable" | "allow" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode {other:?} is not one of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// TLS as the URL or `PGSSLMODE`/`PGSSLROOTCERT` ask for it. Without either,
/// `prefer`, libpq's default: TLS when the server offers it, plain text
/// when it answers that it does not, and, as libpq does, plain text again
/// when the TLS handshake itself fails (issue 18: the `postgres` crate does
/// not, so `fallback.rs` does), said where maint reports the connection.
/// `require` and the verifying modes never fall back. Unlike libpq, a login
/// refused over TLS (pg_hba.conf, password) is not retried in plain text:
/// that is the error. And maint's TLS is rustls, which has no CBC suites:
/// a server with TLS 1.3 off that offers only those gets TLS from psql,
/// plain text from maint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    /// PEM roots to trust instead of the system's (`sslrootcert`); `system` means the system's.
    pub root_cert: Option<PathBuf>,
}

/// A connection string split into what the `postgres` crate parses and the
/// TLS settings it does not understand.
pub fn parse_url(
    text: &str,
) -> Result<(postgres::Config, Option<SslMode>, Option<PathBuf>), String> {
    let invalid = |err: &dyn fmt::Display| {
        format!(
            "invalid PostgreSQL URL {:?}: {err}",
            crate::redact::url(text)
        )
    };
    let (rest, sslmode, rootcert) = take_tls_params(text).map_err(|err| invalid(&err))?;
    let config: postgres::Config = rest.parse().map_err(|err| invalid(&err))?;
    let mode = sslmode
        .map(|mode| SslMode::parse(&mode))
        .transpose()
        .map_err(|err| invalid(&err))?;
    Ok((config, mode, rootcert.map(PathBuf::from)))
}

/// Removes `sslmode` and `sslrootcert` from a URL's query or a `key=value`
/// string, returning them apart.
fn take_tls_params(text: &str) -> Result<(String, Option<String>, Option<String>), String> {
    let mut sslmode = None;
    let mut rootcert = None;
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        let Some((base, query)) = text.split_once('?') else {
            return Ok((text.to_owned(), None, None));
        };
        let mut kept: Vec<&str> = Vec::new();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = || {
                url::form_urlencoded::parse(format!("v={value}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            match key {
                "sslmode" => sslmode = Some(decoded()),
                "sslrootcert" => rootcert = Some(decoded()),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, sslmode, rootcert));
    }
    // key=value form: values may be single-quoted with backslash escapes.
    let mut kept = String::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(format!("expected `=` after {key:?}"));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut raw = String::new();
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            raw.push(chars.next().expect("peeked"));
            loop {
                match chars.next() {
                    Some('\\') => {
                        raw.push('\\');
                        if let Some(c) = chars.next() {
                            raw.push(c);
                            value.push(c);
                        }
                    }
                    Some('\'') => {
                        raw.push('\'');
                        break;
                    }
                    Some(c) => {
                        raw.push(c);
                        value.push(c);
                    }
                    None => return Err("unterminated quoted value".to_owned()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                raw.push(c);
                value.push(c);
                chars.next();
            }
        }
        match key.as_str() {
            "sslmode" => sslmode = Some(value),
            "sslrootcert" => rootcert = Some(value),
            _ => {
                if !kept.is_empty() {
                    kept.push(' ');
                }
                kept.push_str(&key);
                kept.push('=');
                kept.push_str(&raw);
            }
        }
    }
    Ok((kept, sslmode, rootcert))
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Why no connection target can be built from a URL and the environment.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The URL or `key=value` string does not parse.
    #[error("{0}")]
    Url(String),
    /// A `PG*` variable holds what no connection can use.
    #[error("{0}")]
    Environment(String),
}

impl Target {
    /// Builds the target from an optional URL (or `key=value` string) and
    /// the environment; `default_timeout` applies unless the URL or
    /// `PGCONNECT_TIMEOUT` sets one.
    pub fn resolve(url: Option<&str>, default_timeout: Duration) -> Result<Target, TargetError> {
        let (mut config, url_sslmode, url_rootcert) = match url {
            Some(url) => parse_url(url).map_err(TargetError::Url)?,
            None => (postgres::Config::new(), None, None),
        };
        if config.get_hosts().is_empty() {
            let hosts = env("PGHOST").map_or_else(default_hosts, |list| {
                list.split(',').map(str::to_owned).collect()
            });
            for host in hosts {
                if host.starts_with('/') {
                    config.host_path(host);
                } else {
                    config.host(&host);
                }
            }
        }
        if config.get_ports().is_empty()
            && let Some(port) = env("PGPORT")
        {
            let port = port.parse().map_err(|_| {
                TargetError::Environment(format!("PGPORT={port:?} is not a port number"))
            })?;
            config.port(port);
        }
        if config.get_user().is_none() {
            let user = env("PGUSER")
                .or_else(os_user)
                .unwrap_or_else(|| "postgres".to_owned());
            config.user(&user);
        }
        if config.get_dbname().is_none()
            && let Some(db) = env("PGDATABASE")
        {
            config.dbname(&db);
        }
        if config.get_password().is_none() {
            if let Some(password) = env("PGPASSWORD") {
                config.password(password);
            } else if let Some(password) = pgpass_lookup(&config) {
                config.password(password);
            }
        }
        if config.get_connect_timeout().is_none() {
            let timeout = env("PGCONNECT_TIMEOUT")
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|s| *s > 0)
                .map_or(default_timeout, Duration::from_secs);
            config.connect_timeout(timeout);
        }
        if config.get_application_name().is_none() {
            let name = env("PGAPPNAME").unwrap_or_else(|| "maint".to_owned());
            config.application_name(&name);
        }
        let mode = match url_sslmode {
            Some(mode) => mode,
            None => env("PGSSLMODE")
                .map(|mode| {
                    SslMode::parse(&mode)
                        .map_err(|err| TargetError::Environment(format!("PGSSLMODE: {err}")))
                })
                .transpose()?
                .unwrap_or(SslMode::Prefer),
        };
        let root_cert = url_rootcert.or_else(|| env("PGSSLROOTCERT").map(PathBuf::from));
        config.ssl_mode(match mode {
            SslMode::Disable => CrateSslMode::Disable,
            SslMode::Prefer => CrateSslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => CrateSslMode::Require,
        });
        let display = display(&config);
        Ok(Target {
            config,
            display,
            tls: TlsSettings { mode, root_cert },
        })
    }

    /// The same server and credentials, another database.
    pub fn on_database(&self, dbname: &str) -> Target {
        let mut config = self.config.clone();
        config.dbname(dbname);
        let display = match self.display.rsplit_once('/') {
            Some((head, tail)) => match tail.split_once('?') {
                Some((_, query)) => format!("{head}/{dbname}?{query}"),
                None => format!("{head}/{dbname}"),
            },
            None => self.display.clone(),
        };
        Target {
            config,
            display,
            tls: self.tls.clone(),
        }
    }

    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or("postgres")
    }

    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_else(|| self.user())
    }

    pub fn connect_timeout(&self) -> Duration {
        self.config
            .get_connect_timeout()
            .copied()
            .unwrap_or(Duration::from_secs(5))
    }

    /// How long one connection attempt may take, TCP connect, TLS, startup
    /// and authentication together: the connect timeout once per host
    /// listed, as libpq applies `connect_timeout` to each host it tries.
    pub fn connect_limit(&self) -> Duration {
        let hosts = u32::try_from(self.config.get_hosts().len().max(1)).unwrap_or(u32::MAX);
        self.connect_timeout().saturating_mul(hosts)
    }

    /// The same target, with session settings given at startup
    /// (`-c name=value`, so they cost no round trip).
    pub fn with_settings(&self, settings: &[(&str, String)]) -> Target {
        let mut target = self.clone();
        add_settings(&mut target.config, settings);
        target
    }

    /// The same target, where the server ends any statement of ours that
    /// runs longer than `limit` (`statement_timeout`).
    pub fn with_statement_timeout(&self, limit: Duration) -> Target {
        self.with_settings(&[(
            "statement_timeout",
            format!("{}ms", limit.as_millis().max(1)),
        )])
    }

    /// Connects and authenticates, returning the client and how long it took.
    pub fn connect(&self) -> Result<(Client, Duration), PgError> {
        self.connect_with_transport()
            .map(|connected| (connected.client, connected.took))
    }

    /// [`Target::connect`], also saying whether the connection is encrypted.
    pub fn connect_with_transport(&self) -> Result<Connected, PgError> {
        let started = Instant::now();
        let (client, _, transport) = self.open(self.config.clone())?;
        Ok(Connected {
            client,
            took: started.elapsed(),
            transport,
        })
    }

    /// Connects for work that must be stoppable and must hear what the
    /// server says on the side: notices are collected (a VACUUM that skips a
    /// table says so only in a WARNING notice), and the returned session can
    /// be cancelled from another thread. `settings` become session settings
    /// at startup (`-c name=value`), so they cost no round trip.
    pub fn session(&self, settings: &[(&str, String)]) -> Result<Session, PgError> {
        let notices: Arc<Mutex<Vec<DbError>>> = Arc::default();
        let mut config = self.config.clone();
        let sink = Arc::clone(&notices);
        config.notice_callback(move |notice| {
            if let Ok(mut list) = sink.lock() {
                list.push(notice);
            }
        });
        add_settings(&mut config, settings);
        let (client, connector, _) = self.open(config)?;
        let canceller = Canceller {
            token: client.cancel_token(),
            connector,
        };
        Ok(Session {
            client,
            notices,
            canceller,
        })
    }

    /// Every connection maint makes, under [`Target::connect_limit`]. The
    /// crate's own `connect_timeout` bounds only the TCP connect: a port
    /// that accepts and never answers (a pooler or proxy in front of a dead
    /// server) would hold the startup exchange forever. So the attempt runs
    /// on a thread of its own and is abandoned at the limit; with `prefer`,
    /// the plain-text retry after a failed TLS handshake is inside it.
    fn open(&self, config: postgres::Config) -> Result<(Client, Connector, Transport), PgError> {
        let connector = self.connector()?;
        let limit = self.connect_limit();
        let attempt = connector.clone();
        let prefer = self.tls.mode == SslMode::Prefer;
        let deadline = Instant::now() + limit;
        match crate::parallel::within(limit, move || attempt.connect(&config, prefer, deadline)) {
            Some(Ok((client, transport))) => {
                // Cancel requests go where the session went: in plain text.
                let connector = match transport {
                    Transport::PlainAfterTlsFailure(_) => Connector::Plain,
                    Transport::Tls | Transport::Plain => connector,
                };
                Ok((client, connector, transport))
            }
            Some(Err(failed)) => {
                let err = PgError::classify(&failed.error, self);
                Err(match failed.tls_failure {
                    Some(cause) => err.after_tls_failure(&cause),
                    None => err,
                })
            }
            None => Err(self.no_answer(limit, "to the connection, TLS and login")),
        }
    }

    /// The error of an exchange that got no answer within `limit`.
    pub fn no_answer(&self, limit: Duration, doing: &str) -> PgError {
        PgError {
            failure: Failure::Timeout,
            target: self.display.clone(),
            message: format!(
                "no answer {doing} within {}",
                crate::units::human_duration(limit)
            ),
            user: self.user().to_owned(),
        }
    }

    fn connector(&self) -> Result<Connector, PgError> {
        if self.tls.mode == SslMode::Disable {
            return Ok(Connector::Plain);
        }
        tls_config(&self.tls)
            .map(|config| Connector::Tls(MakeRustlsConnect::new(config)))
            .map_err(|message| PgError {
                failure: Failure::Tls,
                target: self.display.clone(),
                message,
                user: self.user().to_owned(),
            })
    }
}

/// A connection, how long it took to make, and whether it is encrypted.
pub struct Connected {
    pub client: Client,
    pub took: Duration,
    pub transport: Transport,
}

/// A connection whose statements can be cancelled from elsewhere and whose
/// server notices are kept until taken.
pub struct Session {
    pub client: Client,
    notices: Arc<Mutex<Vec<DbError>>>,
    canceller: Canceller,
}

impl Session {
    /// The notices received since the last call, oldest first.
    pub fn take_notices(&self) -> Vec<DbError> {
        self.notices
            .lock()
            .map(|mut list| std::mem::take(&mut *list))
            .unwrap_or_default()
    }

    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }
}

/// Asks the server to cancel whatever statement a session is running (the
/// protocol's cancel request, over a connection of its own).
#[derive(Clone)]
pub struct Canceller {
    token: CancelToken,
    connector: Connector,
}

impl Canceller {
    pub fn cancel(&self) -> Result<(), postgres::Error> {
        match &self.connector {
            Connector::Plain => self.token.cancel_query(NoTls),
            Connector::Tls(tls) => self.token.cancel_query(tls.clone()),
        }
    }
}

/// Appends session settings to the startup options, escaping spaces as libpq does.
fn add_settings(config: &mut postgres::Config, settings: &[(&str, String)]) {
    if settings.is_empty() {
        return;
    }
    let mut options = config.get_options().unwrap_or_default().to_owned();
    for (name, value) in settings {
        if !options.is_empty() {
            options.push(' ');
        }
        options.push_str(&format!("-c {name}={}", value.replace(' ', "\\ ")));
    }
    config.options(&options);
}

/// rustls (ring provider, as ureq uses) configured for an sslmode.
fn tls_config(settings: &TlsSettings) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let root_file = settings.root_cert.clone().or_else(|| {
        // libpq's default root file; `require` verifies against it when it exists.
        env("HOME")
            .map(|home| Path::new(&home).join(".postgresql/root.crt"))
            .filter(|path| path.is_file())
    });
    let verify = match settings.mode {
        SslMode::Disable => unreachable!("no TLS for sslmode=disable"),
        SslMode::Prefer => None,
        SslMode::Require => root_file.is_some().then_some(Verify::Chain),
        SslMode::VerifyCa => Some(Verify::Chain),
        SslMode::VerifyFull => Some(Verify::Full),
    };
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS setup: {err}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match verify {
        None => Arc::new(Unverified(provider)),
        Some(verify) => {
            let roots = Arc::new(root_store(root_file.as_deref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
                .build()
                .map_err(|err| format!("TLS setup: {err}"))?;
            match verify {
                Verify::Full => webpki,
                Verify::Chain => Arc::new(ChainOnly(webpki)),
            }
        }
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

enum Verify {
    Chain,
    Full,
}

/// The roots in `file` (PEM), or the system's when none is named.
pub fn root_store(file: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = file.filter(|path| *path != Path::new("system")) {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(Iterator::collect)
            .map_err(|err| {
                format!(
                    "cannot read root certificate file {}: {err}",
                    path.display()
                )
            })?;
        roots.add_parsable_certificates(certs);
        if roots.is_empty() {
            return Err(format!(
                "root certificate file {} holds no usable certificate",
                path.display()
            ));
        }
    } else {
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        if roots.is_empty() {
            return Err("no trusted root certificates found on this system".to_owned());
        }
    }
    Ok(roots)
}

/// `sslmode=prefer` and plain `require`: encrypted, but any certificate is
/// accepted, as libpq does; the handshake signatures are still checked.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

/// `verify-ca`: the chain must reach a trusted root; the name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// libpq's default is the local socket folder; Debian's, then the upstream one.
fn default_hosts() -> Vec<String> {
    let mut hosts: Vec<String> = ["/var/run/postgresql", "/tmp"]
        .into_iter()
        .filter(|dir| Path::new(dir).is_dir())
        .take(1)
        .map(str::to_owned)
        .collect();
    hosts.push("localhost".to_owned());
    hosts
}

fn os_user() -> Option<String> {
    if let Some(user) = env("USER").or_else(|| env("LOGNAME")) {
        return Some(user);
    }
    let uid = rustix::process::getuid().as_raw();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.get(2)?.parse::<u32>().ok()? == uid).then(|| fields[0].to_owned())
    })
}

fn host_text(host: &Host) -> String {
    match host {
        Host::Tcp(name) => name.clone(),
        Host::Unix(path) => path.display().to_string(),
    }
}

fn display(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map_or_else(|| "localhost".to_owned(), host_text);
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or(user);
    if host.starts_with('/') {
        format!("postgres://{user}@/{db}?host={host}&port={port}")
    } else if host.contains(':') {
        // An IPv6 address goes in brackets in a URL, as psql reads it too.
        format!("postgres://{user}@[{host}]:{port}/{db}")
    } else {
        format!("postgres://{user}@{host}:{port}/{db}")
    }
}

fn pgpass_path() -> Option<PathBuf> {
    env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".pgpass")))
}

/// The password `~/.pgpass` (or `$PGPASSFILE`) holds for this target. Like
/// libpq, a file that others can read is ignored.
fn pgpass_lookup(config: &postgres::Config) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let path = pgpass_path()?;
    let metadata = std::fs::metadata(&path).ok()?;
    if metadata.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first() {
        // libpq: "localhost" in the file matches Unix-socket connections.
        Some(Host::Unix(_)) | None => "localhost".to_owned(),
        Some(Host::Tcp(name)) => name.clone(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or(user);
    pgpass_find(&text, [&host, &port, db, user])
}

fn pgpass_find(text: &str, wanted: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
        .find_map(|line| {
            let fields = pgpass_fields(line);
            if fields.len() < 5 {
                return None;
            }
            let matches = wanted
                .iter()
                .zip(&fields)
                .all(|(want, field)| field == "*" || field == want);
            matches.then(|| fields[4..].join(":"))
        })
}

/// Splits a pgpass line on unescaped `:`; `\:` and `\\` stand for themselves.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("never empty").push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

/// Why a connection failed, in the terms an operator acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    Refused,
    Timeout,
    Dns,
    /// Up, but the credentials were refused (or none were given and one is needed).
    Auth,
    NoDatabase,
    /// Starting up, shutting down or in recovery without hot standby.
    NotReady,
    TooManyConnections,
    /// TLS could not be set up or the server's certificate was not trusted.
    Tls,
    Other,
}

#[derive(Clone, Debug, thiserror::Error)]
#[error("PostgreSQL at {target}: {message}")]
pub struct PgError {
    pub failure: Failure,
    pub target: String,
    pub message: String,
    pub user: String,
}

impl PgError {
    pub fn classify(err: &postgres::Error, target: &Target) -> PgError {
        let (failure, message) = match err.code() {
            Some(code) if *code == SqlState::INVALID_PASSWORD => (
                Failure::Auth,
                format!(
                    "password authentication failed for user {:?}",
                    target.user()
                ),
            ),
            Some(code) if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
                (Failure::Auth, db_message(err))
            }
            Some(code) if *code == SqlState::INVALID_CATALOG_NAME => (
                Failure::NoDatabase,
                format!("database {:?} does not exist", target.dbname()),
            ),
            Some(code) if *code == SqlState::CANNOT_CONNECT_NOW => {
                (Failure::NotReady, db_message(err))
            }
            Some(code) if *code == SqlState::TOO_MANY_CONNECTIONS => {
                (Failure::TooManyConnections, db_message(err))
            }
            Some(_) => (Failure::Other, db_message(err)),
            None => io_failure(err),
        };
        PgError {
            failure,
            target: target.display.clone(),
            message,
            user: target.user().to_owned(),
        }
    }

    /// The error of the plain-text retry that `prefer` makes after a failed
    /// TLS handshake: the handshake is what went wrong first, so it leads,
    /// and the hint is the TLS one.
    fn after_tls_failure(self, cause: &str) -> PgError {
        PgError {
            failure: Failure::Tls,
            message: format!(
                "TLS handshake failed ({cause}), and the plain-text retry sslmode=prefer allows failed too: {}",
                self.message
            ),
            ..self
        }
    }

    pub fn hint(&self) -> String {
        let host_port = host_port(&self.target);
        match self.failure {
            Failure::Refused | Failure::Timeout => {
                format!("pg_isready {host_port}; systemctl status postgresql")
            }
            Failure::Dns => "check the host name in [postgres] url or PGHOST".to_owned(),
            Failure::Auth => format!(
                "check user {:?} and its password in [postgres] url, PGPASSWORD or ~/.pgpass (mode 0600), and pg_hba.conf",
                self.user
            ),
            Failure::NoDatabase => format!("psql {host_port} -l"),
            Failure::NotReady => "journalctl -u postgresql -n 50".to_owned(),
            Failure::TooManyConnections => format!(
                "psql {host_port} -c \"SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1,2,3 ORDER BY 4 DESC\""
            ),
            Failure::Tls => "check sslmode and sslrootcert in [postgres] url (or PGSSLMODE, PGSSLROOTCERT) and ssl in postgresql.conf".to_owned(),
            Failure::Other => format!("pg_isready {host_port}"),
        }
    }
}

fn host_port(display: &str) -> String {
    match url::Url::parse(display) {
        Ok(url) => {
            let query = |key: &str| {
                url.query_pairs()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.into_owned())
            };
            // `-h` takes an IPv6 address bare (`-h ::1`); brackets are for URLs.
            let host = query("host")
                .or_else(|| match url.host() {
                    Some(url::Host::Ipv6(address)) => Some(address.to_string()),
                    _ => url.host_str().filter(|h| !h.is_empty()).map(str::to_owned),
                })
                .unwrap_or_else(|| "localhost".to_owned());
            let port = query("port")
                .and_then(|p| p.parse().ok())
                .or(url.port())
                .unwrap_or(5432);
            format!("-h {host} -p {port}")
        }
        Err(_) => String::new(),
    }
}

fn db_message(err: &postgres::Error) -> String {
    err.as_db_error()
        .map_or_else(|| err.to_string(), |db| db.message().to_owned())
}

fn io_failure(err: &postgres::Error) -> (Failure, String) {
    let mut full = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        full.push_str(": ");
        full.push_str(&cause.to_string());
        source = cause.source();
    }
    if let Some(cause) = super::tls::rustls_cause(err) {
        return (
            Failure::Tls,
            format!("TLS handshake failed: {}", super::tls::explain(cause)),
        );
    }
    if full.contains("TLS") || full.contains("certificate") {
        let message = full
            .trim_start_matches("db error: ")
            .replace("error performing TLS handshake: ", "TLS handshake failed: ");
        return (Failure::Tls, message);
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => (
                    Failure::Refused,
                    "connection refused: is the server running and listening there?".to_owned(),
                ),
                std::io::ErrorKind::TimedOut => (
                    Failure::Timeout,
                    "no answer before the connect timeout".to_owned(),
                ),
                std::io::ErrorKind::NotFound => (
                    Failure::Refused,
                    "no server socket there: is the server running?".to_owned(),
                ),
                _ if io.to_string().contains("lookup address") => {
                    (Failure::Dns, "cannot resolve the host name".to_owned())
                }
                _ => (Failure::Other, io.to_string()),
            };
        }
        source = cause.source();
    }
    // The crate's own errors put the detail in their source: "invalid configuration" / "password missing".
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if text.contains("password missing") {
        (
            Failure::Auth,
            "the server asks for a password and none was given".to_owned(),
        )
    } else {
        (Failure::Other, text)
    }
}

/// What `maint health` asks a PostgreSQL server.
#[derive(Clone, Debug)]
pub struct ServerHealth {
    pub version: String,
    pub in_recovery: bool,
    pub connections: i64,
    pub max_connections: i64,
    pub reserved_connections: i64,
    pub oldest_transaction: Option<OldestTransaction>,
}

#[derive(Clone, Debug)]
pub struct OldestTransaction {
    pub pid: i32,
    pub age: Duration,
    pub state: String,
}

pub fn server_health(client: &mut Client) -> Result<ServerHealth, postgres::Error> {
    // The plainest possible query first, as an application's pool would run it.
    client.simple_query("SELECT 1")?;
    let row = client.query_one(
        "SELECT current_setting('server_version'),
                pg_is_in_recovery(),
                current_setting('max_connections')::int8,
                current_setting('superuser_reserved_connections')::int8,
                (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                oldest.pid,
                oldest.state,
                EXTRACT(EPOCH FROM clock_timestamp() - oldest.xact_start)::float8
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (
             SELECT pid, coalesce(state, '') AS state, xact_start
             FROM pg_stat_activity
             WHERE xact_start IS NOT NULL
               AND pid <> pg_backend_pid()
               AND backend_type = 'client backend'
             ORDER BY xact_start
             LIMIT 1
         ) AS oldest ON true",
        &[],
    )?;
    let oldest_pid: Option<i32> = row.get(5);
    let oldest_transaction = oldest_pid.map(|pid| OldestTransaction {
        pid,
        state: row.get(6),
        age: Duration::from_secs_f64(row.get::<_, f64>(7).max(0.0)),
    });
    Ok(ServerHealth {
        version: row.get(0),
        in_recovery: row.get(1),
        max_connections: row.get(2),
        reserved_connections: row.get(3),
        connections: row.get(4),
        oldest_transaction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_matches_with_wildcards_and_escapes() {
        let file = "# comment\n\
                    db.internal:5432:app:app:first\n\
                    *:*:*:admin:pa\\:ss:word\n";
        assert_eq!(
            pgpass_find(file, ["db.internal", "5432", "app", "app"]),
            Some("first".to_owned())
        );
        assert_eq!(
            pgpass_find(file, ["other", "6000", "x", "admin"]),
            Some("pa:ss:word".to_owned())
        );
        assert_eq!(pgpass_find(file, ["other", "5432", "app", "app"]), None);
    }

    #[test]
    fn display_never_holds_the_password() {
        let target = Target::resolve(
            Some("postgres://app:hunter2@db.internal:6543/appdb"),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(target.display, "postgres://app@db.internal:6543/appdb");
        assert_eq!(host_port(&target.display), "-h db.internal -p 6543");
    }

    #[test]
    fn ipv6_hosts_give_hints_psql_accepts() {
        for url in [
            "postgres://app@[::1]:6543/appdb",
            "host=::1 port=6543 user=app dbname=appdb",
        ] {
            let target = Target::resolve(Some(url), Duration::from_secs(5)).unwrap();
            // psql 'postgres://app@[::1]:6543/appdb' and pg_isready -h ::1 -p 6543 both work.
            assert_eq!(target.display, "postgres://app@[::1]:6543/appdb", "{url}");
            assert_eq!(host_port(&target.display), "-h ::1 -p 6543", "{url}");
        }
    }
}
