//! A small local HTTP/1.1 server with the behaviours health checks meet:
//!
//! - `/ok` answers 200 with body `ok`
//! - `/status/NNN` answers status NNN
//! - `/body/TEXT` answers 200 with body TEXT
//! - `/slow/MS` answers 200 after MS milliseconds
//! - `/hang` accepts, reads the request, and never answers
//! - `/big/MIB/TEXT` answers 200 with MIB MiB of filler, then TEXT
//! - `/host` answers 200 with the request's Host header as the body
//!
//! One server serves the whole test binary; it lives until the process ends.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

pub(crate) fn server() -> &'static str {
    static ADDRESS: OnceLock<String> = OnceLock::new();
    ADDRESS.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the test HTTP server");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        address
    })
}

/// The URL of `path` on the test server.
pub(crate) fn url(path: &str) -> String {
    format!("{}{path}", server())
}

fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers, keeping Host.
    let mut host = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("host")
                {
                    value.trim().clone_into(&mut host);
                }
            }
        }
    }
    // The query string is ignored: `/ok?token=x` is `/ok`.
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/").to_owned();
    if let Some(rest) = path.strip_prefix("/big/") {
        let (mib, text) = rest.split_once('/').unwrap_or((rest, ""));
        let filler = vec![b'.'; mib.parse::<usize>().unwrap_or(1) << 20];
        let mut stream = stream;
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
            filler.len() + text.len()
        );
        let _ = stream.write_all(&filler);
        let _ = stream.write_all(text.as_bytes());
        return;
    }
    let (status, body) = if path == "/ok" {
        (200, "ok".to_owned())
    } else if path == "/host" {
        (200, format!("host={host}"))
    } else if let Some(code) = path.strip_prefix("/status/") {
        (code.parse().unwrap_or(500), format!("status {code}"))
    } else if let Some(text) = path.strip_prefix("/body/") {
        (200, text.to_owned())
    } else if let Some(ms) = path.strip_prefix("/slow/") {
        std::thread::sleep(Duration::from_millis(ms.parse().unwrap_or(1000)));
        (200, "slow ok".to_owned())
    } else if path == "/hang" {
        std::thread::sleep(Duration::from_secs(600));
        return;
    } else {
        (404, "not found".to_owned())
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Serves the files of a folder on 127.0.0.1 (`GET /NAME`, 404 for what is
/// not there) until dropped: a CRL distribution point that can go away.
pub(crate) struct FileServer {
    pub port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FileServer {
    pub(crate) fn start(dir: &std::path::Path) -> FileServer {
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the file server");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let port = listener.local_addr().expect("local address").port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let dir = dir.to_owned();
        std::thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let dir = dir.clone();
                        std::thread::spawn(move || serve_file(stream, &dir));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FileServer { port, stop }
    }

    pub(crate) fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // The listener closes within one poll; after that connecting is refused.
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn serve_file(stream: TcpStream, dir: &std::path::Path) {
    let _ = stream.set_nonblocking(false);
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let name = target.trim_start_matches('/');
    let found = (!name.contains("..") && !name.is_empty())
        .then(|| std::fs::read(dir.join(name)).ok())
        .flatten();
    let mut stream = stream;
    match found {
        Some(body) => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/pkix-crl\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
        None => {
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"
            );
        }
    }
}
