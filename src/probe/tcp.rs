//! Whether a TCP port accepts connections, and how fast.
//!
//! Deadline: one `timeout` covers name resolution (getaddrinfo has no
//! timeout of its own, so it runs on a thread that is abandoned at the
//! limit) and the connects to each address in turn.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::units::human_duration;

#[derive(Debug, thiserror::Error)]
pub enum TcpError {
    #[error("cannot resolve host {0}")]
    Dns(String),
    #[error("connection refused")]
    Refused,
    #[error("no answer within {}", human_duration(*.0))]
    Timeout(Duration),
    #[error("{0}")]
    Other(String),
}

/// Connects to each address `address` resolves to until one accepts;
/// returns the time the successful connect took.
pub fn connect(address: &str, timeout: Duration) -> Result<Duration, TcpError> {
    let started = Instant::now();
    let host = address
        .rsplit_once(':')
        .map_or(address, |(host, _)| host)
        .trim_matches(['[', ']']);
    let owned = address.to_owned();
    let resolved = crate::parallel::within(timeout, move || {
        owned.to_socket_addrs().map(Iterator::collect::<Vec<_>>)
    })
    // A resolver that does not answer could not tell: as a name that does not resolve.
    .ok_or_else(|| {
        TcpError::Dns(format!(
            "{host} (the resolver gave no answer within {})",
            human_duration(timeout)
        ))
    })?;
    let targets = resolved.map_err(|_| TcpError::Dns(host.to_owned()))?;
    if targets.is_empty() {
        return Err(TcpError::Dns(host.to_owned()));
    }
    let mut last = TcpError::Timeout(timeout);
    for target in targets {
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(TcpError::Timeout(timeout));
        }
        let attempt = Instant::now();
        match TcpStream::connect_timeout(&target, left) {
            Ok(_) => return Ok(attempt.elapsed()),
            Err(err) => {
                last = match err.kind() {
                    std::io::ErrorKind::ConnectionRefused => TcpError::Refused,
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                        TcpError::Timeout(timeout)
                    }
                    _ => TcpError::Other(err.to_string()),
                }
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_and_closed_ports() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap().to_string();
        assert!(connect(&open, Duration::from_secs(2)).is_ok());
        drop(listener);
        assert!(matches!(
            connect(&open, Duration::from_secs(2)),
            Err(TcpError::Refused)
        ));
        assert!(matches!(
            connect("no-such-host.invalid:80", Duration::from_secs(2)),
            Err(TcpError::Dns(_))
        ));
    }
}
