//! Asks a replica directly, through its own socket and in the uwsgi protocol nginx speaks,
//! whether its app answers: the readiness check before a replica goes back into rotation.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

pub use trident_core::status::Probe;

/// The uwsgi request packet for `GET path` with Host `host`.
pub fn request(path: &str, host: &str) -> Vec<u8> {
    request_with_query(path, "", host)
}

/// The uwsgi request packet for `GET path?query` with Host `host`.
pub fn request_with_query(path: &str, query: &str, host: &str) -> Vec<u8> {
    let uri = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    let vars: [(&str, &str); 11] = [
        ("REQUEST_METHOD", "GET"),
        ("REQUEST_URI", &uri),
        ("PATH_INFO", path),
        ("QUERY_STRING", query),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REQUEST_SCHEME", "http"),
        ("SERVER_NAME", host),
        ("SERVER_PORT", "80"),
        ("REMOTE_ADDR", "127.0.0.1"),
        ("HTTP_HOST", host),
        ("HTTP_USER_AGENT", "trident-readiness-probe"),
    ];
    let mut body = Vec::new();
    for (k, v) in vars {
        for part in [k, v] {
            body.extend_from_slice(&(part.len() as u16).to_le_bytes());
            body.extend_from_slice(part.as_bytes());
        }
    }
    let mut packet = vec![0u8];
    packet.extend_from_slice(&(body.len() as u16).to_le_bytes());
    packet.push(0);
    packet.extend_from_slice(&body);
    packet
}

/// Where a replica listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `host:port` (IPv6 in brackets).
    Tcp(String),
    /// A unix socket path.
    Unix(String),
}

impl Endpoint {
    /// Parses an nginx upstream endpoint (`HOST:PORT` or `unix:PATH`).
    pub fn parse(text: &str) -> Endpoint {
        match text.strip_prefix("unix:") {
            Some(path) => Endpoint::Unix(path.to_string()),
            None => Endpoint::Tcp(text.to_string()),
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(a) => f.write_str(a),
            Endpoint::Unix(p) => write!(f, "unix:{p}"),
        }
    }
}

/// The HTTP status the replica answers `GET /` with, or why it did not answer.
pub fn status(endpoint: &Endpoint, host: &str, timeout: Duration) -> Result<u16, String> {
    match ask(endpoint, host, timeout) {
        Probe::Answered(code) => Ok(code),
        Probe::NoAnswer(why) | Probe::Refused(why) => Err(why),
    }
}

/// Asks the replica `GET /`: its status, no answer in `timeout` after it accepted the
/// connection (its workers are all busy), or a failed connection.
pub fn ask(endpoint: &Endpoint, host: &str, timeout: Duration) -> Probe {
    let packet = request("/", host);
    let mut raw = Vec::new();
    let read = match endpoint {
        Endpoint::Tcp(addr) => {
            let sock = match addr.to_socket_addrs().map(|mut a| a.next()) {
                Ok(Some(sock)) => sock,
                Ok(None) => return Probe::Refused(format!("{addr}: no address")),
                Err(e) => return Probe::Refused(e.to_string()),
            };
            let mut s = match TcpStream::connect_timeout(&sock, timeout) {
                Ok(s) => s,
                Err(e) => return Probe::Refused(e.to_string()),
            };
            let _ = s.set_read_timeout(Some(timeout));
            s.write_all(&packet).and_then(|()| s.read_to_end(&mut raw))
        }
        Endpoint::Unix(path) => {
            let mut s = match UnixStream::connect(path) {
                Ok(s) => s,
                Err(e) => return Probe::Refused(e.to_string()),
            };
            let _ = s.set_read_timeout(Some(timeout));
            s.write_all(&packet).and_then(|()| s.read_to_end(&mut raw))
        }
    };
    if raw.is_empty() {
        return match read {
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Probe::NoAnswer(format!("no answer within {:.1} s", timeout.as_secs_f64()))
            }
            Err(e) => Probe::Refused(e.to_string()),
            Ok(_) => Probe::Refused("the connection closed without an answer".into()),
        };
    }
    let text = String::from_utf8_lossy(&raw);
    let line = text.lines().next().unwrap_or("");
    match line
        .strip_prefix("HTTP/")
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
    {
        Some(code) => Probe::Answered(code),
        None => Probe::Refused(format!(
            "no HTTP status line: {:?}",
            line.chars().take(80).collect::<String>()
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn packet_header_counts_the_vars() {
        let p = super::request("/", "localhost");
        let size = u16::from_le_bytes([p[1], p[2]]) as usize;
        assert_eq!((p[0], p[3], p.len()), (0, 0, size + 4));
    }
}
