//! A small SMTP client for one message: STARTTLS (or TLS from the start),
//! AUTH PLAIN or LOGIN, MAIL, RCPT, DATA, every step under one deadline.
//! The certificate is verified against the system's roots or `ca_file`;
//! a password is never sent before TLS is up.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use rustls::{ClientConfig, ClientConnection, StreamOwned};
use rustls_pki_types::ServerName;

use super::SendError;

/// How the connection is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://`: plain first, then STARTTLS, which must be offered.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Roots to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
}

impl SmtpSettings {
    /// `smtp://[USER[:PASSWORD]@]HOST[:PORT]` (STARTTLS, port 587 by
    /// default) or `smtps://...` (TLS, port 465).
    pub fn parse(text: &str) -> Result<SmtpSettings, String> {
        let shown = crate::redact::url(text);
        let url = url::Url::parse(text).map_err(|err| format!("invalid URL {shown:?}: {err}"))?;
        let (tls, default_port) = match url.scheme() {
            "smtp" => (SmtpTls::StartTls, 587),
            "smtps" => (SmtpTls::Implicit, 465),
            other => {
                return Err(format!(
                    "SMTP URL {shown:?} has scheme {other:?}: write smtp:// (STARTTLS) or smtps://"
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("SMTP URL {shown:?} has no host"))?
            .trim_matches(['[', ']'])
            .to_owned();
        let decode = |text: &str| {
            url::form_urlencoded::parse(format!("x={text}").as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        };
        let user = (!url.username().is_empty()).then(|| decode(url.username()));
        Ok(SmtpSettings {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
            user,
            password: url.password().map(decode),
            ca_file: None,
        })
    }
}

/// Sends `mail` (headers and body, CRLF) from `from` to `to`.
pub(super) fn send(
    settings: &SmtpSettings,
    from: &str,
    to: &[String],
    mail: &[u8],
    limit: Duration,
) -> Result<(), SendError> {
    let deadline = Instant::now() + limit;
    let tcp = connect(&settings.host, settings.port, deadline)?;
    let mut session = Session {
        stream: Stream::Plain(tcp),
        pending: Vec::new(),
        deadline,
    };
    if settings.tls == SmtpTls::Implicit {
        session.start_tls(settings)?;
    }
    session.expect("greeting", 220)?;
    let mut offered = session.command("EHLO", "EHLO maint.invalid", 250)?;
    if settings.tls == SmtpTls::StartTls {
        if !offered.iter().any(|line| extension(line) == "STARTTLS") {
            return Err(SendError::new(
                "the SMTP server does not offer STARTTLS",
                false,
            ));
        }
        session.command("STARTTLS", "STARTTLS", 220)?;
        session.start_tls(settings)?;
        offered = session.command("EHLO", "EHLO maint.invalid", 250)?;
    }
    if let Some(user) = &settings.user {
        let password = settings.password.as_deref().unwrap_or("");
        let auth = offered
            .iter()
            .find(|line| extension(line).starts_with("AUTH"))
            .map(|line| extension(line))
            .unwrap_or_default();
        if auth.split_whitespace().any(|m| m == "PLAIN") || !auth.contains("LOGIN") {
            let token = data_encoding::BASE64.encode(format!("\0{user}\0{password}").as_bytes());
            session.command("AUTH", &format!("AUTH PLAIN {token}"), 235)?;
        } else {
            session.command("AUTH", "AUTH LOGIN", 334)?;
            session.command("AUTH", &data_encoding::BASE64.encode(user.as_bytes()), 334)?;
            session.command(
                "AUTH",
                &data_encoding::BASE64.encode(password.as_bytes()),
                235,
            )?;
        }
    }
    session.command("MAIL FROM", &format!("MAIL FROM:<{from}>"), 250)?;
    for address in to {
        session.command("RCPT TO", &format!("RCPT TO:<{address}>"), 250)?;
    }
    session.command("DATA", "DATA", 354)?;
    let mut data = Vec::with_capacity(mail.len() + 16);
    for line in mail.split_inclusive(|b| *b == b'\n') {
        // RFC 5321 4.5.2: a line starting with a dot gets one more.
        if line.first() == Some(&b'.') {
            data.push(b'.');
        }
        data.extend_from_slice(line);
    }
    if !data.ends_with(b"\r\n") {
        data.extend_from_slice(b"\r\n");
    }
    data.extend_from_slice(b".\r\n");
    session.write(&data)?;
    session.expect("the message", 250)?;
    let _ = session.write(b"QUIT\r\n");
    Ok(())
}

/// The keyword of one EHLO line (`250-AUTH PLAIN LOGIN` gives `AUTH PLAIN LOGIN`).
fn extension(line: &str) -> String {
    line.get(4..).unwrap_or("").trim().to_ascii_uppercase()
}

/// getaddrinfo has no time limit: it runs on a thread left behind if it overruns.
fn connect(host: &str, port: u16, deadline: Instant) -> Result<TcpStream, SendError> {
    let addresses: Vec<SocketAddr> = if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        vec![SocketAddr::new(ip, port)]
    } else {
        let (sender, receiver) = mpsc::channel();
        let query = (host.to_owned(), port);
        std::thread::spawn(move || {
            let _ = sender.send(query.to_socket_addrs().map(Iterator::collect::<Vec<_>>));
        });
        match receiver.recv_timeout(left(deadline)?) {
            Ok(Ok(found)) if !found.is_empty() => found,
            Ok(_) => return Err(SendError::new(format!("cannot resolve {host}"), true)),
            Err(_) => return Err(SendError::new(format!("resolving {host} timed out"), true)),
        }
    };
    let mut last = SendError::new(format!("cannot connect to {host}:{port}"), true);
    for address in addresses {
        match TcpStream::connect_timeout(&address, left(deadline)?) {
            Ok(stream) => return Ok(stream),
            Err(err) => {
                last = SendError::new(format!("cannot connect to {host}:{port}: {err}"), true);
            }
        }
    }
    Err(last)
}

fn left(deadline: Instant) -> Result<Duration, SendError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(SendError::new(
            "the SMTP server did not answer in time",
            true,
        ))
    } else {
        Ok(left)
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// Between the two, while the handshake is set up.
    Gone,
}

impl Stream {
    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Plain(tcp) => Some(tcp),
            Stream::Tls(tls) => Some(tls.get_ref()),
            Stream::Gone => None,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
            Stream::Gone => Ok(0),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.write(buf),
            Stream::Tls(tls) => tls.write(buf),
            Stream::Gone => Err(std::io::ErrorKind::NotConnected.into()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.flush(),
            Stream::Tls(tls) => tls.flush(),
            Stream::Gone => Ok(()),
        }
    }
}

struct Session {
    stream: Stream,
    /// Read but not yet part of a reply.
    pending: Vec<u8>,
    deadline: Instant,
}

impl Session {
    fn arm(&self) -> Result<(), SendError> {
        let left = left(self.deadline)?;
        if let Some(tcp) = self.stream.tcp() {
            let _ = tcp.set_read_timeout(Some(left));
            let _ = tcp.set_write_timeout(Some(left));
        }
        Ok(())
    }

    fn io(err: &std::io::Error) -> SendError {
        use std::io::ErrorKind::{TimedOut, WouldBlock};
        if matches!(err.kind(), WouldBlock | TimedOut) {
            SendError::new("the SMTP server did not answer in time", true)
        } else if let Some(tls) = crate::probe::tls::rustls_cause(err) {
            SendError::new(
                format!(
                    "TLS with the SMTP server failed: {}",
                    crate::probe::tls::explain(tls)
                ),
                false,
            )
        } else {
            SendError::new(format!("the SMTP connection failed: {err}"), true)
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        self.arm()?;
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .map_err(|err| Session::io(&err))
    }

    /// One reply, all its lines.
    fn reply(&mut self) -> Result<(u16, Vec<String>), SendError> {
        let mut lines = Vec::new();
        loop {
            while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                let code = text
                    .get(..3)
                    .and_then(|c| c.parse::<u16>().ok())
                    .ok_or_else(|| {
                        SendError::new(format!("the server said {text:?}: not SMTP"), false)
                    })?;
                let last = text.as_bytes().get(3) != Some(&b'-');
                lines.push(text);
                if last {
                    return Ok((code, lines));
                }
            }
            if self.pending.len() > 64 << 10 {
                return Err(SendError::new("the SMTP reply never ends", false));
            }
            self.arm()?;
            let mut block = [0u8; 4096];
            match self.stream.read(&mut block) {
                Ok(0) => {
                    return Err(SendError::new(
                        "the SMTP server closed the connection",
                        true,
                    ));
                }
                Ok(n) => self.pending.extend_from_slice(&block[..n]),
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(Session::io(&err)),
            }
        }
    }

    fn expect(&mut self, what: &str, code: u16) -> Result<Vec<String>, SendError> {
        let (got, lines) = self.reply()?;
        if got == code {
            return Ok(lines);
        }
        // 4xx is the server's "try again later".
        Err(SendError::new(
            format!("{what} was answered {:?}", lines.join(" / ")),
            (400..500).contains(&got),
        ))
    }

    fn command(&mut self, what: &str, line: &str, code: u16) -> Result<Vec<String>, SendError> {
        self.write(format!("{line}\r\n").as_bytes())?;
        self.expect(what, code)
    }

    fn start_tls(&mut self, settings: &SmtpSettings) -> Result<(), SendError> {
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            return Err(SendError::new("TLS is already on", false));
        };
        let setup = |err: String| SendError::new(format!("TLS setup: {err}"), false);
        let roots =
            crate::probe::postgres::root_store(settings.ca_file.as_deref()).map_err(setup)?;
        let config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|err| setup(err.to_string()))?
                .with_root_certificates(roots)
                .with_no_client_auth();
        let name = ServerName::try_from(settings.host.clone())
            .map_err(|_| setup(format!("{:?} is not a host name", settings.host)))?;
        let connection =
            ClientConnection::new(Arc::new(config), name).map_err(|err| setup(err.to_string()))?;
        self.pending.clear();
        self.stream = Stream::Tls(Box::new(StreamOwned::new(connection, tcp)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_tls_and_credentials() {
        let s = SmtpSettings::parse("smtp://alerts%40example.com:p%40ss@mail.example.com").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.tls),
            ("mail.example.com", 587, SmtpTls::StartTls)
        );
        assert_eq!(s.user.as_deref(), Some("alerts@example.com"));
        assert_eq!(s.password.as_deref(), Some("p@ss"));
        let s = SmtpSettings::parse("smtps://mail.example.com:2465").unwrap();
        assert_eq!((s.port, s.tls), (2465, SmtpTls::Implicit));
        let err = SmtpSettings::parse("http://u:hunter2@mail").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
