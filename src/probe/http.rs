//! One HTTP GET with a time limit covering DNS, connect, TLS and the whole
//! response (ureq's global timeout: every read and write of the exchange is
//! under it), and errors that say which of those failed.
//!
//! `health` asks every address a name resolves to ([`get_each`]): a client
//! picks any of them, so one dead address behind a name fails a share of
//! the users while a check of the first alone passes. Each GET is pinned to
//! its address by a resolver of its own; the URL, so the Host header and
//! the TLS server name, stays the name.

use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
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
    config(timeout, redirects).build().into()
}

fn config(
    timeout: Duration,
    redirects: u32,
) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(redirects)
        .user_agent(concat!("maint/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
}

/// A resolver that answers one address whatever the name.
#[derive(Debug)]
struct Pinned(SocketAddr);

impl ureq::unversioned::resolver::Resolver for Pinned {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let mut addresses = self.empty();
        addresses.push(self.0);
        Ok(addresses)
    }
}

/// Names answered before the system's resolver, as in a hosts(5) file.
#[derive(Clone, Debug, Default)]
pub struct Hosts(Vec<(String, IpAddr)>);

impl Hosts {
    /// hosts(5) lines: an address, then its names; `#` starts a comment.
    pub fn parse(text: &str) -> Hosts {
        let mut entries = Vec::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let Some(address) = words.next().and_then(|a| a.parse::<IpAddr>().ok()) else {
                continue;
            };
            for name in words {
                entries.push((name.to_ascii_lowercase(), address));
            }
        }
        Hosts(entries)
    }

    /// The hosts file a test planted with `MAINT_TEST_HOSTS`, to give a name
    /// several addresses without touching /etc/hosts; nothing else sets it.
    pub fn planted() -> std::io::Result<Hosts> {
        match std::env::var_os("MAINT_TEST_HOSTS") {
            Some(path) => Ok(Hosts::parse(&std::fs::read_to_string(path)?)),
            None => Ok(Hosts::default()),
        }
    }

    pub fn lookup(&self, host: &str) -> Vec<IpAddr> {
        let host = host.to_ascii_lowercase();
        self.0
            .iter()
            .filter(|(name, _)| *name == host)
            .map(|(_, address)| *address)
            .collect()
    }
}

/// Every address `url`'s host resolves to, A and AAAA, in the resolver's
/// order and each once; `hosts` first.
pub fn addresses(
    url: &str,
    hosts: &Hosts,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, HttpError> {
    let parsed = url::Url::parse(url).map_err(|err| HttpError::Other(format!("bad URL: {err}")))?;
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| HttpError::Other("the URL has no port".into()))?;
    let host = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => return Ok(vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(url::Host::Ipv6(ip)) => return Ok(vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(url::Host::Domain(name)) => name.to_owned(),
        None => return Err(HttpError::Other("the URL has no host".into())),
    };
    let planted = hosts.lookup(&host);
    if !planted.is_empty() {
        return Ok(planted
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect());
    }
    let name = host.clone();
    // getaddrinfo cannot be told to give up; the thread asking is left to it.
    let resolved = crate::parallel::within(timeout, move || {
        (name.as_str(), port)
            .to_socket_addrs()
            .map(Iterator::collect::<Vec<_>>)
    })
    .ok_or(HttpError::Timeout(timeout))?
    .map_err(|_| HttpError::Dns(host.clone()))?;
    let mut unique: Vec<SocketAddr> = Vec::with_capacity(resolved.len());
    for address in resolved {
        if !unique.contains(&address) {
            unique.push(address);
        }
    }
    if unique.is_empty() {
        return Err(HttpError::Dns(host));
    }
    Ok(unique)
}

/// What one address answered.
pub type Answer = (SocketAddr, Result<Response, HttpError>);

/// GETs `url` from every address its host resolves to, all at once, each
/// under `timeout` (resolution included).
pub fn get_each(
    url: &str,
    timeout: Duration,
    search: Option<(&[u8], u64)>,
    hosts: &Hosts,
) -> Result<Vec<Answer>, HttpError> {
    let started = Instant::now();
    let addresses = addresses(url, hosts, timeout)?;
    let left = timeout
        .saturating_sub(started.elapsed())
        .max(Duration::from_millis(1));
    Ok(std::thread::scope(|scope| {
        let asked: Vec<_> = addresses
            .iter()
            .map(|&address| {
                scope.spawn(move || {
                    // The limit the user set is the one a timeout names.
                    let answer =
                        get_at(url, Some(address), left, search).map_err(|err| match err {
                            HttpError::Timeout(_) => HttpError::Timeout(timeout),
                            other => other,
                        });
                    (address, answer)
                })
            })
            .collect();
        asked
            .into_iter()
            .map(|thread| thread.join().expect("an HTTP GET does not panic"))
            .collect()
    }))
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
    get_at(url, None, timeout, search)
}

/// [`get`], connecting to `address` when one is given (no proxy then: the
/// address itself is what is checked).
fn get_at(
    url: &str,
    address: Option<SocketAddr>,
    timeout: Duration,
    search: Option<(&[u8], u64)>,
) -> Result<Response, HttpError> {
    // A health endpoint that redirects is reported as the redirect it is.
    let agent: ureq::Agent = match address {
        None => agent(timeout, 0),
        Some(address) => ureq::Agent::with_parts(
            config(timeout, 0).proxy(None).build(),
            ureq::unversioned::transport::DefaultConnector::new(),
            Pinned(address),
        ),
    };
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
    fn planted_names_are_answered_before_the_resolver() {
        let hosts = Hosts::parse(
            "# test\n127.0.0.1 dual.test other\n::1 Dual.Test # v6\nnot-an-address x\n",
        );
        let found = addresses("http://dual.test:8080/", &hosts, Duration::from_secs(1)).unwrap();
        assert_eq!(
            found,
            vec![
                "127.0.0.1:8080".parse::<SocketAddr>().unwrap(),
                "[::1]:8080".parse().unwrap()
            ]
        );
        let literal = addresses("https://[::1]/", &hosts, Duration::from_secs(1)).unwrap();
        assert_eq!(literal, vec!["[::1]:443".parse::<SocketAddr>().unwrap()]);
    }

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
