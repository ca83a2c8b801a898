//! A small blocking HTTP/1.1 client over `std::net::TcpStream` for the
//! integration, crash, authorization and load tests (and the browser tests
//! to come): JSON requests with a bearer token, responses with status,
//! headers and body (content-length or chunked), and a Server-Sent Events
//! reader. No dependency beyond serde_json.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// How long any read may block before a test fails instead of hanging.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics with the body if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text()))
    }

    /// Asserts the status, showing the body if it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Response {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }

    /// Asserts a problem+json error with this status and code.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text()
        );
        let p = self.json();
        assert_eq!(p["code"], code, "problem: {p}");
        assert_eq!(p["status"], status, "problem: {p}");
        assert!(
            p["message_zh"].as_str().is_some_and(|m| !m.is_empty()),
            "{p}"
        );
        assert!(
            p["message_en"].as_str().is_some_and(|m| !m.is_empty()),
            "{p}"
        );
        p
    }
}

/// A request to build.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub token: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn new(method: &str, path: &str) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            ..Request::default()
        }
    }

    pub fn token(mut self, token: &str) -> Request {
        self.token = Some(token.into());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn json(mut self, body: &Value) -> Request {
        self.body = Some(body.to_string().into_bytes());
        self.headers
            .push(("Content-Type".into(), "application/json".into()));
        self
    }

    pub fn raw(mut self, body: &[u8], content_type: &str) -> Request {
        self.body = Some(body.to_vec());
        self.headers
            .push(("Content-Type".into(), content_type.into()));
        self
    }

    fn write_to(
        &self,
        stream: &mut impl Write,
        host: &SocketAddr,
        keep_alive: bool,
    ) -> std::io::Result<()> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {host}\r\nConnection: {}\r\n",
            self.method,
            self.path,
            if keep_alive { "keep-alive" } else { "close" }
        );
        if let Some(t) = &self.token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = self.body.as_deref().unwrap_or_default();
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        stream.write_all(&bytes)?;
        stream.flush()
    }
}

fn read_head(r: &mut impl BufRead) -> std::io::Result<(u16, Vec<(String, String)>)> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before a response",
        ));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    Ok((status, headers))
}

fn read_chunk_size(r: &mut impl BufRead) -> std::io::Result<usize> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let hex = line.trim().split(';').next().unwrap_or("");
    usize::from_str_radix(hex, 16)
        .map_err(|_| std::io::Error::other(format!("bad chunk size {line:?}")))
}

fn read_body(r: &mut impl BufRead, headers: &[(String, String)]) -> std::io::Result<Vec<u8>> {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        loop {
            let n = read_chunk_size(r)?;
            if n == 0 {
                let mut crlf = String::new();
                r.read_line(&mut crlf)?;
                return Ok(body);
            }
            let mut chunk = vec![0; n];
            r.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
            let mut crlf = [0u8; 2];
            r.read_exact(&mut crlf)?;
        }
    }
    match get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(n) => {
            let mut body = vec![0; n];
            r.read_exact(&mut body)?;
            Ok(body)
        }
        None => {
            let mut body = Vec::new();
            r.read_to_end(&mut body)?;
            Ok(body)
        }
    }
}

/// The `code` of a problem document, if the response is one.
fn problem_code(resp: &Response) -> Option<String> {
    let ct = resp.header("content-type")?;
    if !ct.starts_with("application/problem+json") {
        return None;
    }
    serde_json::from_slice::<Value>(&resp.body)
        .ok()?
        .get("code")?
        .as_str()
        .map(str::to_owned)
}

/// A client of one server.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub addr: SocketAddr,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client { addr }
    }

    /// Sends `req` on a fresh connection; an I/O error (e.g. the server
    /// died) is returned, not panicked.
    pub fn try_send(&self, req: &Request) -> std::io::Result<Response> {
        let mut stream = TcpStream::connect(self.addr)?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_nodelay(true)?;
        req.write_to(&mut stream, &self.addr, false)?;
        let mut r = BufReader::new(stream);
        let (status, headers) = read_head(&mut r)?;
        let body = read_body(&mut r, &headers)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Sends `req` as a person's device would: a 428 `signature_required`
    /// is answered by signing the listed entries with the key of the
    /// request's token ([`super::signing`]) and sending it again, a 409
    /// `key_required` by registering that key first. [`Client::send_raw`]
    /// does neither.
    #[track_caller]
    pub fn send(&self, req: &Request) -> Response {
        self.try_send_signed(req)
            .unwrap_or_else(|e| panic!("{} {}: {e}", req.method, req.path))
    }

    /// [`Client::send`], with an I/O error (e.g. the server died) returned,
    /// not panicked.
    pub fn try_send_signed(&self, req: &Request) -> std::io::Result<Response> {
        let mut resp = self.try_send(req)?;
        let Some(token) = req.token.clone() else {
            return Ok(resp);
        };
        for _ in 0..4 {
            match (resp.status, problem_code(&resp).as_deref()) {
                (409, Some("key_required")) => {
                    self.register_own_key(&token);
                    resp = self.try_send(req)?;
                }
                (428, Some("signature_required")) => {
                    let key = super::signing::key_of(&token);
                    let Some((ts, sigs)) = super::signing::sign_problem(&resp.json(), &key.key)
                    else {
                        return Ok(resp);
                    };
                    let signed = req
                        .clone()
                        .header("Scrutineer-Timestamp", &ts)
                        .header("Scrutineer-Signature", &sigs);
                    resp = self.try_send(&signed)?;
                }
                _ => return Ok(resp),
            }
        }
        Ok(resp)
    }

    /// Registers the key of `token`'s device for its holder.
    #[track_caller]
    pub fn register_own_key(&self, token: &str) -> Response {
        let me = self.send_raw(&Request::new("GET", "/api/me").token(token));
        let me = me.json();
        let (Some(m), Some(p)) = (me["meeting"].as_str(), me["person"].as_str()) else {
            panic!("GET /api/me: {me}");
        };
        let key = super::signing::key_of(token);
        self.send(
            &Request::new("PUT", &format!("/api/meetings/{m}/people/{p}/key"))
                .token(token)
                .json(&super::signing::key_body(&key)),
        )
    }

    /// Sends `req` once, as it is.
    #[track_caller]
    pub fn send_raw(&self, req: &Request) -> Response {
        self.try_send(req)
            .unwrap_or_else(|e| panic!("{} {}: {e}", req.method, req.path))
    }

    #[track_caller]
    pub fn get(&self, path: &str, token: &str) -> Response {
        self.send(&Request::new("GET", path).token(token))
    }

    #[track_caller]
    pub fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.send(&Request::new("POST", path).token(token).json(body))
    }

    #[track_caller]
    pub fn put(&self, path: &str, token: &str, body: &Value) -> Response {
        self.send(&Request::new("PUT", path).token(token).json(body))
    }

    #[track_caller]
    pub fn delete(&self, path: &str, token: &str) -> Response {
        self.send(&Request::new("DELETE", path).token(token))
    }

    /// Opens a Server-Sent Events stream.
    pub fn events(&self, path: &str, token: &str) -> SseStream {
        self.events_on(TcpStream::connect(self.addr).expect("connect"), path, token)
    }

    /// Opens a Server-Sent Events stream from the local address `local`
    /// (e.g. `127.0.0.7`: the listener limits connections per client
    /// address, so a load test spreads its viewers over loopback addresses).
    pub fn events_from(&self, local: std::net::IpAddr, path: &str, token: &str) -> SseStream {
        self.events_on(
            connect_from(local, self.addr).expect("connect"),
            path,
            token,
        )
    }

    fn events_on(&self, mut stream: TcpStream, path: &str, token: &str) -> SseStream {
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("timeout");
        Request::new("GET", path)
            .token(token)
            .header("Accept", "text/event-stream")
            .write_to(&mut stream, &self.addr, true)
            .expect("send");
        let mut reader = BufReader::new(stream);
        let (status, headers) = read_head(&mut reader).expect("response head");
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
        SseStream {
            status,
            headers,
            reader,
            chunked,
            buf: Vec::new(),
        }
    }
}

/// A TCP connection to `to` from the local address `local` (std cannot
/// bind before connecting; tokio's socket can).
pub fn connect_from(local: std::net::IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(local, 0))?;
        let stream = socket.connect(to).await?.into_std()?;
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(stream)
    })
}

/// A connection kept open for many requests (the load test).
pub struct KeepAlive {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
}

impl KeepAlive {
    pub fn connect(addr: SocketAddr) -> std::io::Result<KeepAlive> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(KeepAlive {
            addr,
            reader: BufReader::new(stream),
        })
    }

    pub fn send(&mut self, req: &Request) -> std::io::Result<Response> {
        req.write_to(self.reader.get_mut(), &self.addr, true)?;
        let (status, headers) = read_head(&mut self.reader)?;
        let body = read_body(&mut self.reader, &headers)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {}", self.data))
    }
}

/// An open event stream.
pub struct SseStream {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    reader: BufReader<TcpStream>,
    chunked: bool,
    /// Decoded bytes not yet parsed into events.
    buf: Vec<u8>,
}

impl SseStream {
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.chunked {
            let n = read_chunk_size(&mut self.reader)?;
            if n == 0 {
                return Ok(false);
            }
            let mut chunk = vec![0; n];
            self.reader.read_exact(&mut chunk)?;
            let mut crlf = [0u8; 2];
            self.reader.read_exact(&mut crlf)?;
            self.buf.extend_from_slice(&chunk);
        } else {
            let mut chunk = [0u8; 4096];
            let n = self.reader.read(&mut chunk)?;
            if n == 0 {
                return Ok(false);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok(true)
    }

    /// The next event (comments skipped), or `None` when the stream ends.
    pub fn next_event(&mut self) -> std::io::Result<Option<SseEvent>> {
        loop {
            let text = String::from_utf8_lossy(&self.buf).into_owned();
            if let Some(end) = text.find("\n\n") {
                let block = text[..end].to_string();
                self.buf.drain(..end + 2);
                let mut ev = SseEvent {
                    event: "message".into(),
                    id: None,
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    if line.starts_with(':') {
                        continue;
                    }
                    let (k, v) = line.split_once(':').unwrap_or((line, ""));
                    let v = v.strip_prefix(' ').unwrap_or(v);
                    any = true;
                    match k {
                        "event" => ev.event = v.into(),
                        "id" => ev.id = Some(v.into()),
                        "data" => {
                            if !ev.data.is_empty() {
                                ev.data.push('\n');
                            }
                            ev.data.push_str(v);
                        }
                        _ => {}
                    }
                }
                if any {
                    return Ok(Some(ev));
                }
                continue;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// The next block of the stream as sent (comments included), or
    /// `None` when the stream ends.
    pub fn next_block(&mut self) -> std::io::Result<Option<String>> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let block = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 2);
                return Ok(Some(block));
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// The next event named `name`, skipping others.
    pub fn next_named(&mut self, name: &str) -> SseEvent {
        loop {
            match self.next_event() {
                Ok(Some(e)) if e.event == name => return e,
                Ok(Some(_)) => {}
                Ok(None) => panic!("stream ended before a {name} event"),
                Err(e) => panic!("reading events: {e}"),
            }
        }
    }
}
