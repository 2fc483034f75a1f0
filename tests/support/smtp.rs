//! A local SMTP server that accepts mail the way a submission server does:
//! it offers STARTTLS (with a certificate the test's own CA signed) and
//! AUTH PLAIN and LOGIN after it, and records each message with how it came.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::tls::{Pki, ders, private_key};

#[derive(Clone, Debug, Default)]
pub(crate) struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    /// The user and password it authenticated with.
    pub auth: Option<(String, String)>,
    /// Whether STARTTLS came before the credentials and the message.
    pub tls: bool,
}

pub(crate) struct SmtpSink {
    pub port: u16,
    /// The root to trust (PEM), for `ca_file`.
    pub root_pem: String,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub(crate) fn start() -> SmtpSink {
        let pki = Pki::new();
        let leaf = pki.leaf(&["localhost", "127.0.0.1"], (-1, 300));
        let chain = format!("{}{}", leaf.pem, pki.intermediate.pem);
        let config = Arc::new(
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(ders(&chain), private_key(&leaf.key_pem))
                .expect("a usable certificate and key"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let recorded = mails.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let config = config.clone();
                let recorded = recorded.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &config, &recorded);
                });
            }
        });
        SmtpSink {
            port,
            root_pem: pki.root.pem,
            mails,
        }
    }

    pub(crate) fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

trait Stream: BufRead + Write {}
impl<T: BufRead + Write> Stream for T {}

/// A buffered reader that writes to what it reads from.
struct Buffered<T: std::io::Read + Write>(BufReader<T>);

impl<T: std::io::Read + Write> std::io::Read for Buffered<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}
impl<T: std::io::Read + Write> BufRead for Buffered<T> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.0.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.0.consume(n);
    }
}
impl<T: std::io::Read + Write> Write for Buffered<T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.get_mut().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.get_mut().flush()
    }
}

fn serve(
    stream: TcpStream,
    config: &Arc<ServerConfig>,
    recorded: &Mutex<Vec<Mail>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let tcp = stream.try_clone()?;
    let mut conn: Box<dyn Stream> = Box::new(Buffered(BufReader::new(stream)));
    conn.write_all(b"220 sink.test ESMTP\r\n")?;
    let mut mail = Mail::default();
    let decode = |text: &str| {
        String::from_utf8(
            data_encoding::BASE64
                .decode(text.trim().as_bytes())
                .unwrap_or_default(),
        )
        .unwrap_or_default()
    };
    loop {
        let mut line = String::new();
        if conn.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let upper = line.trim().to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            if mail.tls {
                conn.write_all(b"250-sink.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")?;
            } else {
                conn.write_all(b"250-sink.test\r\n250 STARTTLS\r\n")?;
            }
        } else if upper == "STARTTLS" && !mail.tls {
            conn.write_all(b"220 go ahead\r\n")?;
            drop(conn);
            let server = ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
            let tls = StreamOwned::new(server, tcp.try_clone()?);
            conn = Box::new(Buffered(BufReader::new(tls)));
            mail.tls = true;
        } else if upper.starts_with("AUTH PLAIN ") {
            let token = line.trim()["AUTH PLAIN ".len()..].to_owned();
            let text = decode(&token);
            let mut parts = text.split('\0').skip(1);
            let user = parts.next().unwrap_or("").to_owned();
            let pass = parts.next().unwrap_or("").to_owned();
            mail.auth = Some((user, pass));
            conn.write_all(b"235 ok\r\n")?;
        } else if upper == "AUTH LOGIN" {
            conn.write_all(b"334 VXNlcm5hbWU6\r\n")?;
            let mut user = String::new();
            conn.read_line(&mut user)?;
            conn.write_all(b"334 UGFzc3dvcmQ6\r\n")?;
            let mut pass = String::new();
            conn.read_line(&mut pass)?;
            mail.auth = Some((decode(&user), decode(&pass)));
            conn.write_all(b"235 ok\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            line.trim()[10..]
                .trim_matches(['<', '>'])
                .clone_into(&mut mail.from);
            conn.write_all(b"250 ok\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            mail.to
                .push(line.trim()[8..].trim_matches(['<', '>']).to_owned());
            conn.write_all(b"250 ok\r\n")?;
        } else if upper == "DATA" {
            conn.write_all(b"354 go on\r\n")?;
            let mut data = String::new();
            loop {
                let mut part = String::new();
                if conn.read_line(&mut part)? == 0 {
                    return Ok(());
                }
                if part == ".\r\n" {
                    break;
                }
                data.push_str(part.strip_prefix('.').unwrap_or(&part));
            }
            mail.data = data;
            recorded.lock().unwrap().push(mail.clone());
            conn.write_all(b"250 queued\r\n")?;
        } else if upper == "QUIT" {
            conn.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            conn.write_all(b"502 no\r\n")?;
        }
        conn.flush()?;
    }
}
