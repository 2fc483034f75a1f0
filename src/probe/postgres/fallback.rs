//! libpq's `sslmode=prefer` where the `postgres` crate stops short (issue
//! 18): when the TLS handshake itself fails, libpq connects again in plain
//! text; the crate returns the error. So the handshake is watched, and a
//! connection whose handshake failed is made once more without TLS.
//!
//! Why watch rather than read the error: the crate wraps a failed handshake
//! and a socket error alike around an `io::Error` and keeps its error kind
//! private, so the error alone cannot tell "the TLS handshake failed" from
//! "the server went away". The connector can: the crate calls it only once
//! the server has agreed to TLS, and what it returns is the handshake.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use postgres::config::SslMode as CrateSslMode;
use postgres::tls::{MakeTlsConnect, TlsConnect};
use postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How a connection's bytes travel, so maint can say it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    Tls,
    /// `sslmode=disable`, or a server that answered it does not do TLS.
    Plain,
    /// `sslmode=prefer` after the TLS handshake failed, with why it failed.
    PlainAfterTlsFailure(String),
}

impl Transport {
    /// What to tell an operator when the connection fell back to plain text.
    pub fn fallback_note(&self) -> Option<String> {
        match self {
            Transport::PlainAfterTlsFailure(cause) => Some(format!(
                "TLS handshake failed ({cause}), connected in plain text as sslmode=prefer allows; set sslmode=require to refuse"
            )),
            Transport::Tls | Transport::Plain => None,
        }
    }
}

/// How a connection is made: plain, or TLS as rustls does it.
#[derive(Clone)]
pub(super) enum Connector {
    Plain,
    Tls(MakeRustlsConnect),
}

/// Why a connection failed, and, when `prefer` fell back to plain text and
/// that failed too, why the TLS handshake failed first.
pub(super) struct Failed {
    pub error: postgres::Error,
    pub tls_failure: Option<String>,
}

impl Connector {
    /// One connection as libpq makes it. With `prefer`, an attempt whose
    /// TLS handshake failed is followed by exactly one in plain text, which
    /// gets what is left until `deadline`, not a timeout of its own.
    pub(super) fn connect(
        &self,
        config: &postgres::Config,
        prefer: bool,
        deadline: Instant,
    ) -> Result<(Client, Transport), Failed> {
        let tls = match self {
            Connector::Plain => {
                return config
                    .connect(NoTls)
                    .map(|client| (client, Transport::Plain))
                    .map_err(|error| Failed {
                        error,
                        tls_failure: None,
                    });
            }
            Connector::Tls(tls) => tls,
        };
        let handshakes = Handshakes::default();
        let watched = Watched {
            tls: tls.clone(),
            handshakes: handshakes.clone(),
        };
        let error = match config.connect(watched) {
            Ok(client) => {
                let transport = if handshakes.succeeded() {
                    Transport::Tls
                } else {
                    Transport::Plain
                };
                return Ok((client, transport));
            }
            Err(error) => error,
        };
        let Some(cause) = handshakes.failure().filter(|_| prefer) else {
            return Err(Failed {
                error,
                tls_failure: None,
            });
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            // The caller has stopped waiting: no time is left to retry in.
            return Err(Failed {
                error,
                tls_failure: Some(cause),
            });
        }
        let mut plain = config.clone();
        plain.ssl_mode(CrateSslMode::Disable);
        let per_host = config
            .get_connect_timeout()
            .copied()
            .unwrap_or(Duration::MAX);
        plain.connect_timeout(per_host.min(left));
        match plain.connect(NoTls) {
            Ok(client) => Ok((client, Transport::PlainAfterTlsFailure(cause))),
            Err(error) => Err(Failed {
                error,
                tls_failure: Some(cause),
            }),
        }
    }
}

/// What the TLS handshakes of one connection attempt came to (one per host
/// tried).
#[derive(Clone, Default)]
struct Handshakes(Arc<Mutex<Outcome>>);

#[derive(Default)]
struct Outcome {
    succeeded: bool,
    /// Why the first failed handshake failed.
    failed: Option<String>,
}

impl Handshakes {
    fn record<T, E: std::error::Error + 'static>(&self, result: &Result<T, E>) {
        let Ok(mut outcome) = self.0.lock() else {
            return;
        };
        match result {
            Ok(_) => outcome.succeeded = true,
            Err(err) => {
                if outcome.failed.is_none() {
                    outcome.failed = Some(cause(err));
                }
            }
        }
    }

    fn succeeded(&self) -> bool {
        self.0.lock().is_ok_and(|outcome| outcome.succeeded)
    }

    fn failure(&self) -> Option<String> {
        self.0
            .lock()
            .ok()
            .and_then(|outcome| outcome.failed.clone())
    }
}

/// Why a handshake failed, in the words `probe::tls` uses for rustls' errors.
fn cause(err: &(dyn std::error::Error + 'static)) -> String {
    crate::probe::tls::rustls_cause(err).map_or_else(|| err.to_string(), crate::probe::tls::explain)
}

/// rustls as the crate uses it, with each handshake's outcome recorded.
#[derive(Clone)]
struct Watched {
    tls: MakeRustlsConnect,
    handshakes: Handshakes,
}

impl<S> MakeTlsConnect<S> for Watched
where
    MakeRustlsConnect: MakeTlsConnect<S>,
    <<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect as TlsConnect<S>>::Future: Unpin,
    <<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect as TlsConnect<S>>::Error:
        std::error::Error + 'static,
{
    type Stream = <MakeRustlsConnect as MakeTlsConnect<S>>::Stream;
    type TlsConnect = WatchedConnect<<MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect>;
    type Error = <MakeRustlsConnect as MakeTlsConnect<S>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Self::TlsConnect, Self::Error> {
        Ok(WatchedConnect {
            inner: self.tls.make_tls_connect(domain)?,
            handshakes: self.handshakes.clone(),
        })
    }
}

struct WatchedConnect<T> {
    inner: T,
    handshakes: Handshakes,
}

impl<S, T> TlsConnect<S> for WatchedConnect<T>
where
    T: TlsConnect<S>,
    T::Future: Unpin,
    T::Error: std::error::Error + 'static,
{
    type Stream = T::Stream;
    type Error = T::Error;
    type Future = WatchedHandshake<T::Future>;

    fn connect(self, stream: S) -> Self::Future {
        WatchedHandshake {
            inner: self.inner.connect(stream),
            handshakes: self.handshakes,
        }
    }
}

struct WatchedHandshake<F> {
    inner: F,
    handshakes: Handshakes,
}

impl<F, T, E> Future for WatchedHandshake<F>
where
    F: Future<Output = Result<T, E>> + Unpin,
    E: std::error::Error + 'static,
{
    type Output = Result<T, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll(cx);
        if let Poll::Ready(result) = &polled {
            this.handshakes.record(result);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    //! A fake server on 127.0.0.1 that speaks just enough of the protocol:
    //! it answers the TLS request, ends every TLS handshake with the alert a
    //! server with no cipher in common sends, and answers a plain login as
    //! told. What it was asked is recorded, connection by connection.

    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::Transport;
    use crate::probe::postgres::{Failure, Target};

    const SSL_REQUEST: u32 = 80_877_103;
    /// A fatal handshake_failure alert record, as OpenSSL sends it.
    const ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];
    const LOGGED_IN: &[u8] = b"R\0\0\0\x08\0\0\0\0Z\0\0\0\x05I";

    fn refusal(code: &str, message: &str) -> Vec<u8> {
        let mut fields = Vec::new();
        for (tag, value) in [
            (b'S', "FATAL"),
            (b'V', "FATAL"),
            (b'C', code),
            (b'M', message),
        ] {
            fields.push(tag);
            fields.extend_from_slice(value.as_bytes());
            fields.push(0);
        }
        fields.push(0);
        let mut out = vec![b'E'];
        out.extend_from_slice(&(u32::try_from(fields.len()).unwrap() + 4).to_be_bytes());
        out.extend_from_slice(&fields);
        out
    }

    /// Serves connections until the test ends; returns the port and the log.
    fn fake_server(tls: u8, login: Vec<u8>) -> (u16, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = Arc::clone(&log);
        std::thread::spawn(move || {
            for (number, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let record =
                    |what: &str| seen.lock().unwrap().push(format!("{}:{what}", number + 1));
                serve(&mut stream, tls, &login, record);
            }
        });
        (port, log)
    }

    fn serve(stream: &mut TcpStream, tls: u8, login: &[u8], record: impl Fn(&str)) {
        loop {
            let mut length = [0; 4];
            if stream.read_exact(&mut length).is_err() {
                return;
            }
            let mut body = vec![0; u32::from_be_bytes(length) as usize - 4];
            stream.read_exact(&mut body).unwrap();
            if u32::from_be_bytes(body[..4].try_into().unwrap()) != SSL_REQUEST {
                record("startup");
                stream.write_all(login).unwrap();
                break;
            }
            record("tls");
            stream.write_all(&[tls]).unwrap();
            if tls == b'S' {
                // Read the ClientHello's record first: closing on unread
                // bytes would reset the connection before the alert arrives.
                let mut header = [0; 5];
                stream.read_exact(&mut header).unwrap();
                let mut hello = vec![0; u16::from_be_bytes([header[3], header[4]]) as usize];
                stream.read_exact(&mut hello).unwrap();
                stream.write_all(&ALERT).unwrap();
                break;
            }
        }
        // Until the client hangs up.
        let _ = std::io::copy(stream, &mut std::io::sink());
    }

    fn target(port: u16, sslmode: &str) -> Target {
        let url = format!("postgres://app:secret@127.0.0.1:{port}/app?sslmode={sslmode}");
        Target::resolve(Some(&url), Duration::from_secs(10)).unwrap()
    }

    fn refused(target: &Target) -> crate::probe::postgres::PgError {
        match target.connect() {
            Ok(_) => panic!("{target:?} let maint in"),
            Err(err) => err,
        }
    }

    fn seen(log: &Mutex<Vec<String>>) -> Vec<String> {
        log.lock().unwrap().clone()
    }

    #[test]
    fn prefer_retries_once_in_plain_text_when_the_handshake_fails() {
        let (port, log) = fake_server(b'S', LOGGED_IN.to_vec());
        let connected = target(port, "prefer").connect_with_transport().unwrap();
        let Transport::PlainAfterTlsFailure(cause) = &connected.transport else {
            panic!("{:?}", connected.transport);
        };
        assert!(cause.contains("HandshakeFailure alert"), "{cause}");
        assert_eq!(seen(&log), ["1:tls", "2:startup"]);
        let note = connected.transport.fallback_note().unwrap();
        assert!(
            note.starts_with("TLS handshake failed (the server ended the handshake"),
            "{note}"
        );
        assert!(
            note.ends_with(
                "connected in plain text as sslmode=prefer allows; set sslmode=require to refuse"
            ),
            "{note}"
        );
    }

    #[test]
    fn require_never_falls_back() {
        let (port, log) = fake_server(b'S', LOGGED_IN.to_vec());
        let err = refused(&target(port, "require"));
        assert_eq!(err.failure, Failure::Tls);
        assert!(
            err.message
                .starts_with("TLS handshake failed: the server ended the handshake"),
            "{}",
            err.message
        );
        assert!(err.hint().starts_with("check sslmode and sslrootcert"));
        assert_eq!(seen(&log), ["1:tls"]);
    }

    #[test]
    fn a_refused_retry_still_names_the_tls_failure() {
        let hba = "pg_hba.conf rejects connection for host \"127.0.0.1\", user \"app\", database \"app\", no encryption";
        let (port, log) = fake_server(b'S', refusal("28000", hba));
        let err = refused(&target(port, "prefer"));
        assert_eq!(err.failure, Failure::Tls);
        assert!(
            err.message
                .starts_with("TLS handshake failed (the server ended the handshake"),
            "{}",
            err.message
        );
        assert!(
            err.message.ends_with(&format!(
                "plain-text retry sslmode=prefer allows failed too: {hba}"
            )),
            "{}",
            err.message
        );
        assert!(!err.to_string().contains("secret"));
        assert_eq!(seen(&log), ["1:tls", "2:startup"]);
    }

    #[test]
    fn what_is_not_a_failed_handshake_is_not_retried() {
        // The server says it does not do TLS (the crate goes on in plain
        // text on the same connection), then refuses the password.
        let (port, log) = fake_server(b'N', refusal("28P01", "password authentication failed"));
        let err = refused(&target(port, "prefer"));
        assert_eq!(err.failure, Failure::Auth);
        assert_eq!(seen(&log), ["1:tls", "1:startup"]);

        let (port, log) = fake_server(b'N', LOGGED_IN.to_vec());
        let connected = target(port, "prefer").connect_with_transport().unwrap();
        assert_eq!(connected.transport, Transport::Plain);
        assert_eq!(seen(&log), ["1:tls", "1:startup"]);
    }
}
