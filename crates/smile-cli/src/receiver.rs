//! A minimal callback receiver: one HTTP/1.1 `POST` at a time on a loopback port, each body
//! verified with [`CallbackVerifier`] and handed to the caller.
//!
//! It exists for `smile listen` and the demo; a production receiver belongs in the partner's own
//! web framework, calling [`CallbackVerifier::verify`] on the raw body.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime};

use smile_blocking::CallbackVerifier;
use smile_blocking::sign::{CallbackError, VerifiedCallback};

/// What one delivery gave: a verified callback, or why it was refused.
pub(crate) type Delivery = Result<VerifiedCallback, CallbackError>;

/// Largest header block accepted (the body limit is the verifier's).
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// A running receiver; deliveries arrive on [`Receiver::deliveries`].
pub(crate) struct Receiver {
    addr: SocketAddr,
    deliveries: mpsc::Receiver<Delivery>,
}

impl Receiver {
    /// Listens on `addr` (port 0 picks a free port) and verifies every `POST` body.
    pub(crate) fn start(addr: SocketAddr, verifier: CallbackVerifier) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let (tx, deliveries) = mpsc::channel();
        thread::Builder::new()
            .name("smile-callback-receiver".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let delivery = match handle(stream, &verifier) {
                        Ok(Some(d)) => d,
                        Ok(None) | Err(_) => continue,
                    };
                    if tx.send(delivery).is_err() {
                        return; // nobody is listening any more
                    }
                }
            })?;
        Ok(Self { addr, deliveries })
    }

    /// The URL to give Smile ID as `callback_url`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}/smile/callback", self.addr)
    }

    /// Waits up to `timeout` for the next delivery.
    pub(crate) fn next(&self, timeout: Duration) -> Option<Delivery> {
        self.deliveries.recv_timeout(timeout).ok()
    }

    /// Waits for deliveries forever (for `smile listen`).
    pub(crate) fn iter(&self) -> impl Iterator<Item = Delivery> + '_ {
        self.deliveries.iter()
    }
}

/// Reads one request; answers 200 for a verified callback, 401 for a refused one, 400/405/413
/// for requests that are not callbacks. Returns the verification result for `POST`s.
fn handle(stream: TcpStream, verifier: &CallbackVerifier) -> io::Result<Option<Delivery>> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let method = request_line
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned();

    let mut content_length: Option<usize> = None;
    let mut header_bytes = request_line.len();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        header_bytes += n;
        if n == 0 || header_bytes > MAX_HEADER_BYTES {
            return respond(reader.get_mut(), 400, "bad request").map(|()| None);
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().ok();
        }
    }
    if method != "POST" {
        return respond(reader.get_mut(), 405, "only POST").map(|()| None);
    }
    let Some(len) = content_length else {
        return respond(reader.get_mut(), 411, "Content-Length required").map(|()| None);
    };
    if len > verifier.current_max_body_bytes() {
        return respond(reader.get_mut(), 413, "body too large").map(|()| None);
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let delivery = verifier.verify(&body, SystemTime::now());
    let (status, text) = match &delivery {
        Ok(_) => (200, "ok"),
        Err(_) => (401, "callback refused"),
    };
    respond(reader.get_mut(), status, text)?;
    Ok(Some(delivery))
}

fn respond(stream: &mut TcpStream, status: u16, text: &str) -> io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status} {text}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}
