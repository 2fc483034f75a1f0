//! One HTTP GET with a time limit covering DNS, connect, TLS and the whole
//! response, and errors that say which of those failed.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::units::human_duration;

/// Enough of a body to find a health endpoint's "ok"; more is not read.
const BODY_LIMIT: u64 = 1 << 20;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    /// Until the response headers arrived.
    pub latency: Duration,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot resolve host {0}")]
    Dns(String),
    #[error("connection refused")]
    Refused,
    #[error("no response within {}", human_duration(*.0))]
    Timeout(Duration),
    #[error("TLS failed: {0}")]
    Tls(String),
    #[error("{0}")]
    Other(String),
}

pub fn get(url: &str, timeout: Duration) -> Result<Response, HttpError> {
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        // A health endpoint that redirects is reported as the redirect it is.
        .max_redirects(0)
        .user_agent(concat!("maint/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .into();
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let started = Instant::now();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|err| classify(err, &host, timeout))?;
    let latency = started.elapsed();
    let status = response.status();
    let mut body = Vec::new();
    response
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .reader()
        .take(BODY_LIMIT)
        .read_to_end(&mut body)
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::TimedOut => HttpError::Timeout(timeout),
            _ => HttpError::Other(format!("reading the body: {err}")),
        })?;
    Ok(Response {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        latency,
        body,
    })
}

fn classify(err: ureq::Error, host: &str, timeout: Duration) -> HttpError {
    match err {
        ureq::Error::Timeout(_) => HttpError::Timeout(timeout),
        ureq::Error::HostNotFound => HttpError::Dns(host.to_owned()),
        ureq::Error::Io(io) if super::tls::rustls_cause(&io).is_some() => HttpError::Tls(
            super::tls::rustls_cause(&io)
                .map(super::tls::explain)
                .unwrap_or_default(),
        ),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => HttpError::Refused,
            std::io::ErrorKind::TimedOut => HttpError::Timeout(timeout),
            // getaddrinfo failures carry no kind of their own, only this text.
            _ if io.to_string().contains("lookup address") => HttpError::Dns(host.to_owned()),
            _ => HttpError::Other(io.to_string()),
        },
        ureq::Error::Tls(message) => HttpError::Tls(message.to_owned()),
        ureq::Error::Rustls(err) => HttpError::Tls(super::tls::explain(&err)),
        other => HttpError::Other(other.to_string()),
    }
}
