//! Servers that fail the way production ones do, for the deadline tests:
//!
//! - [`stalling_proxy`]: forwards a PostgreSQL connection until the server
//!   first says it is ready for a query, then passes nothing more back (a
//!   server, pooler or network that stops answering in mid-session).
//! - a port that accepts and never answers is `support::tls::silent_port`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// A local port in front of `upstream` (`host:port`): the connection, TLS-less
/// startup and login pass through; after the first ReadyForQuery the server's
/// answers are swallowed, while the connection stays open.
pub(crate) fn stalling_proxy(upstream: &str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
    let port = listener.local_addr().unwrap().port();
    let upstream = upstream.to_owned();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(mut server) = TcpStream::connect(&upstream) else {
                continue;
            };
            if answer_ssl_request(&client, &mut server).is_err() {
                continue;
            }
            let (mut client_in, mut server_out) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut client_in, &mut server_out);
            });
            std::thread::spawn(move || forward_until_ready(server, client));
        }
    });
    port
}

/// Passes a client's SSLRequest (sent first, as libpq's `prefer` and
/// maint's default do) and the server's one-byte answer, which has no
/// message header, before the messages are copied; any other first bytes
/// go on to the server as they are.
fn answer_ssl_request(mut client: &TcpStream, server: &mut TcpStream) -> std::io::Result<()> {
    const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
    let mut first = [0u8; 8];
    client.read_exact(&mut first)?;
    server.write_all(&first)?;
    if first == SSL_REQUEST {
        let mut answer = [0u8; 1];
        server.read_exact(&mut answer)?;
        client.write_all(&answer)?;
    }
    Ok(())
}

/// Copies the server's messages (type byte, then a length that counts
/// itself) to the client up to and including the first `Z`, then reads and
/// drops the rest.
fn forward_until_ready(mut server: TcpStream, mut client: TcpStream) {
    let mut ready = false;
    loop {
        let mut head = [0u8; 5];
        if server.read_exact(&mut head).is_err() {
            return;
        }
        let length = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; length.saturating_sub(4)];
        if server.read_exact(&mut body).is_err() {
            return;
        }
        if ready {
            continue;
        }
        if client.write_all(&head).is_err() || client.write_all(&body).is_err() {
            return;
        }
        ready = head[0] == b'Z';
    }
}
