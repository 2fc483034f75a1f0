//! One HTTP GET with a time limit covering DNS, connect, TLS and the whole
//! response (ureq's global timeout: every read and write of the exchange is
//! under it), and errors that say which of those failed.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::units::human_duration;

/// How much of a body is searched for a text when nothing else is said
/// (`max_body` in `[[health.http]]`): a health page is small; a large page
/// searched whole still costs no more memory than one block.
pub const DEFAULT_MAX_BODY: u64 = 64 << 20;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    /// Until the response headers arrived.
    pub latency: Duration,
    /// What the body search found, when one was asked for.
    pub search: Option<BodySearch>,
}

/// A text looked for in a body, block by block as it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodySearch {
    pub found: bool,
    /// Body bytes read (reading stops at the text).
    pub read: u64,
    /// The body went on past the limit, unread.
    pub capped: bool,
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

/// maint's HTTP client: the system's roots, a status is an answer (not an
/// error), one deadline for the whole exchange, at most `redirects` followed.
pub fn agent(timeout: Duration, redirects: u32) -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(redirects)
        .user_agent(concat!("maint/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .into()
}

/// The host part of `url`, for messages ("" when it has none).
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

/// GETs `url`; with `search`, looks for its text in the body, reading at
/// most its limit of bytes.
pub fn get(
    url: &str,
    timeout: Duration,
    search: Option<(&[u8], u64)>,
) -> Result<Response, HttpError> {
    // A health endpoint that redirects is reported as the redirect it is.
    let agent = agent(timeout, 0);
    let host = host_of(url);
    let started = Instant::now();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|err| classify(err, &host, timeout))?;
    let latency = started.elapsed();
    let status = response.status();
    let search = match search {
        Some((needle, limit)) => {
            let mut reader = response.body_mut().with_config().limit(u64::MAX).reader();
            Some(
                find(&mut reader, needle, limit).map_err(|err| match err.kind() {
                    std::io::ErrorKind::TimedOut => HttpError::Timeout(timeout),
                    _ => HttpError::Other(format!("reading the body: {err}")),
                })?,
            )
        }
        None => None,
    };
    Ok(Response {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        latency,
        search,
    })
}

/// Looks for `needle` in what `body` yields, up to `limit` bytes, keeping
/// only one block and the needle's length before it in memory.
pub fn find(body: &mut dyn Read, needle: &[u8], limit: u64) -> std::io::Result<BodySearch> {
    const BLOCK: usize = 64 << 10;
    let finder = memchr::memmem::Finder::new(needle);
    let keep = needle.len().saturating_sub(1);
    let mut window: Vec<u8> = Vec::with_capacity(BLOCK + keep);
    let mut read = 0u64;
    let mut block = vec![0u8; BLOCK];
    loop {
        let want = (limit - read).min(BLOCK as u64) as usize;
        if want == 0 {
            // At the limit: one more byte tells whether the body goes on.
            let mut probe = [0u8; 1];
            let capped = loop {
                match body.read(&mut probe) {
                    Ok(n) => break n > 0,
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            };
            return Ok(BodySearch {
                found: false,
                read,
                capped,
            });
        }
        let n = match body.read(&mut block[..want]) {
            Ok(0) => {
                return Ok(BodySearch {
                    found: false,
                    read,
                    capped: false,
                });
            }
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        read += n as u64;
        window.extend_from_slice(&block[..n]);
        if finder.find(&window).is_some() {
            return Ok(BodySearch {
                found: true,
                read,
                capped: false,
            });
        }
        // A match across two blocks starts in the last needle-length bytes.
        let excess = window.len().saturating_sub(keep);
        window.drain(..excess);
    }
}

/// A ureq error as what failed: DNS, connect, TLS, the time limit.
pub fn classify(err: ureq::Error, host: &str, timeout: Duration) -> HttpError {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_found_anywhere_up_to_the_limit() {
        let mut body = vec![b'x'; 5 << 20];
        body.extend_from_slice(b"status: ok");
        body.extend(std::iter::repeat_n(b'y', 1000));
        let found = find(&mut body.as_slice(), b"status: ok", 64 << 20).unwrap();
        assert!(found.found && !found.capped);
        assert!(found.read > 5 << 20 && found.read <= body.len() as u64);

        // Across a block boundary.
        let mut body = vec![b'x'; (64 << 10) - 3];
        body.extend_from_slice(b"status: ok");
        assert!(
            find(&mut body.as_slice(), b"status: ok", 1 << 20)
                .unwrap()
                .found
        );

        // Past the limit: not found, and said so.
        let mut body = vec![b'x'; 2 << 20];
        body.extend_from_slice(b"status: ok");
        let capped = find(&mut body.as_slice(), b"status: ok", 1 << 20).unwrap();
        assert_eq!(
            capped,
            BodySearch {
                found: false,
                read: 1 << 20,
                capped: true
            }
        );
        let whole = find(&mut &b"short body"[..], b"ok", 1 << 20).unwrap();
        assert_eq!(
            whole,
            BodySearch {
                found: false,
                read: 10,
                capped: false
            }
        );
    }
}
