//! The accept loop: every connection is served by hyper's HTTP/1.1
//! connection with this service's [`Limits`], over TLS or plain TCP.
//!
//! Hostile clients must not exhaust the machine or lock others out:
//!
//! - **Connections are bounded** in total and per client address. One over
//!   the bound is closed at once, before anything is read, so its file
//!   descriptor is freed (the total stays below the usual limit of 1,024).
//! - **Headers must arrive in time**: a request whose head is not complete
//!   within [`Limits::header_timeout`] of the connection becoming idle (a
//!   new connection, or one kept alive after a response) closes the
//!   connection. That is also the keep-alive limit. The TLS handshake has
//!   the same limit.
//! - **Bodies must arrive in time**: a body not complete within
//!   [`Limits::body_timeout`] of its head fails with 408 and the connection
//!   closes.
//! - Live streams (SSE) are not cut by either: they send a heartbeat every
//!   [`Limits::sse_heartbeat`] and end after [`Limits::sse_lifetime`] (the
//!   page reconnects and is authenticated again).
//!
//! - **A request head hyper cannot parse** (a NUL or other control byte
//!   in a header, a bad header name or method, a head over 64 KiB, an
//!   over-long target) gets a problem document like every other refusal,
//!   and the connection closes: see `ProblemIo`.
//!
//! On shutdown the loop stops accepting, asks every connection to finish
//! its request in flight and waits for them.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future as _;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Notify};

use crate::service::{Error, Kind};

/// Time and count limits of the listener. [`Limits::default`] is what
/// `scrutineer serve` uses; tests shorten the times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to receive a request's whole head (and the TLS handshake);
    /// also how long an idle kept-alive connection stays open. Default
    /// 10 s: a phone on venue Wi-Fi sends its head in well under a second.
    pub header_timeout: Duration,
    /// Time to receive a request's whole body once its head arrived.
    /// Default 120 s: the largest upload (`MAX_IMPORT`, 96 MiB) at about
    /// 1 MB/s.
    pub body_timeout: Duration,
    /// Open connections in all. Default 768: below the common file
    /// descriptor limit of 1,024, leaving room for the database.
    pub max_connections: usize,
    /// Open connections from one client address. Default 64: a browser
    /// opens at most 6 per origin, a few tabs and live screens fit.
    pub max_per_address: usize,
    /// A comment line on every live stream this often, so proxies and
    /// browsers keep it and a dead viewer is noticed. Default 15 s.
    pub sse_heartbeat: Duration,
    /// A live stream ends after this long; the page reconnects (and its
    /// token is checked again). Default 30 min.
    pub sse_lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(120),
            max_connections: 768,
            max_per_address: 64,
            sse_heartbeat: Duration::from_secs(15),
            sse_lifetime: Duration::from_secs(30 * 60),
        }
    }
}

/// Open connections, in all and by client address.
#[derive(Default)]
struct Slots {
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
    /// Signalled whenever a connection closes (shutdown waits on it).
    closed: Notify,
}

/// One open connection; gives its slot back when dropped.
struct Slot {
    slots: Arc<Slots>,
    ip: IpAddr,
}

impl Slots {
    fn take(self: &Arc<Self>, ip: IpAddr, limits: &Limits) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, by_ip) = &mut *open;
        let mine = by_ip.get(&ip).copied().unwrap_or(0);
        if *total >= limits.max_connections || mine >= limits.max_per_address {
            return None;
        }
        *total += 1;
        by_ip.insert(ip, mine + 1);
        Some(Slot {
            slots: self.clone(),
            ip,
        })
    }

    fn total(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).0
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        {
            let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
            let (total, by_ip) = &mut *open;
            *total = total.saturating_sub(1);
            if let Some(n) = by_ip.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    by_ip.remove(&self.ip);
                }
            }
        }
        self.slots.closed.notify_waiters();
    }
}

/// Serves `app` on `listener` (over TLS when `tls` is given) until
/// `shutdown` completes; then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let slots = Arc::new(Slots::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or a connection reset before
                    // it was accepted: wait a moment instead of spinning.
                    tracing::warn!(error = %e, "accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Over a bound: close at once (dropping the stream closes it).
        let Some(slot) = slots.take(peer.ip(), &limits) else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (app, acceptor, stop) = (app.clone(), acceptor.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let _slot = slot;
            match acceptor {
                None => connection(stream, app, limits, stop).await,
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.header_timeout, acceptor.accept(stream));
                    if let Ok(Ok(tls)) = handshake.await {
                        connection(tls, app, limits, stop).await;
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    loop {
        let closed = slots.closed.notified();
        tokio::pin!(closed);
        closed.as_mut().enable();
        if slots.total() == 0 {
            return Ok(());
        }
        closed.await;
    }
}

/// Serves one connection until the client or the limits close it, or
/// the server shuts down.
async fn connection<IO>(io: IO, app: Router, limits: Limits, mut stop: watch::Receiver<bool>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let body_timeout = limits.body_timeout;
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let req = req.map(|b| axum::body::Body::new(TimedBody::new(b, body_timeout)));
        let mut app = app.clone();
        async move {
            let res = tower_service::Service::call(&mut app, req).await;
            Ok::<_, Infallible>(match res {
                Ok(r) => r,
                Err(never) => match never {},
            })
        }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .max_buf_size(64 * 1024)
        // Without it a head that arrives in one read may exceed the buffer.
        .max_header_size(64 * 1024);
    let (back, refused) = oneshot::channel();
    {
        let conn = http.serve_connection(TokioIo::new(ProblemIo::new(io, back)), service);
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = async { let _ = stop.wait_for(|s| *s).await; } => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
    }
    // hyper has dropped the connection; if it refused a request head, the
    // problem document may still be on its way.
    if let Ok((io, rest)) = refused.await {
        let _ = tokio::time::timeout(limits.header_timeout, close_after(io, rest)).await;
    }
}

/// Writes the rest of a closing response, closes the sending side and reads
/// (and discards) what the client still sends, up to 1 MiB, until it closes
/// too. Closing a socket with unread bytes makes the kernel send a reset,
/// and a reset can destroy the response before the client reads it (a head
/// over the buffer's size is refused before all of it was read).
async fn close_after<IO: AsyncRead + AsyncWrite + Unpin>(mut io: IO, rest: Vec<u8>) {
    let mut done = 0;
    while done < rest.len() {
        match std::future::poll_fn(|cx| Pin::new(&mut io).poll_write(cx, &rest[done..])).await {
            Ok(0) | Err(_) => return,
            Ok(n) => done += n,
        }
    }
    if std::future::poll_fn(|cx| Pin::new(&mut io).poll_shutdown(cx))
        .await
        .is_err()
    {
        return;
    }
    let mut left: usize = 1 << 20;
    let mut buf = [0u8; 4096];
    while left > 0 {
        let mut read = tokio::io::ReadBuf::new(&mut buf);
        match std::future::poll_fn(|cx| Pin::new(&mut io).poll_read(cx, &mut read)).await {
            Ok(()) if !read.filled().is_empty() => left = left.saturating_sub(read.filled().len()),
            _ => return,
        }
    }
}

/// The connection's IO as hyper sees it: passes everything through, except
/// hyper's own answer to a request head it could not parse, which it
/// replaces by a problem document.
///
/// hyper 1 has no hook for that answer: when `httparse` refuses a head
/// (a NUL byte in a header value, a bad header name, method or version, a
/// head over `max_buf_size`, an over-long target), hyper writes a bare
/// `400 Bad Request` (or `431`, `414`) with `content-length: 0` and closes
/// the connection, before any service is called. That response is
/// recognised here by its exact shape: the last bytes of a write are a
/// status line with one of those three codes followed only by the headers
/// hyper writes on its own (`content-length: 0`, `connection: close`,
/// `date`). The application never answers like that: every refusal of
/// [`crate::http::error`] has a problem document, so a body, and no body
/// the service writes (JSON without raw line breaks, HTML, CSV of names
/// without control characters, zip archives, event streams) ends with an
/// HTTP head. Writes are not vectored, so hyper hands over each head
/// whole, in one write, together with any unsent tail of the previous
/// response, which is kept.
///
/// The replacement has `Connection: close` and `Cache-Control: no-store`;
/// once it is queued everything else hyper writes is dropped. When hyper
/// lets go of the IO, the IO and any unsent bytes go back to
/// [`connection`], which finishes the response and closes gently.
struct ProblemIo<IO> {
    /// `None` only after [`Drop`] handed it back.
    inner: Option<IO>,
    /// The replacement (and what preceded hyper's answer in its write),
    /// once hyper refused a head; `sent` bytes of it are written.
    replaced: Option<Vec<u8>>,
    sent: usize,
    back: Option<oneshot::Sender<(IO, Vec<u8>)>>,
}

impl<IO> ProblemIo<IO> {
    fn new(inner: IO, back: oneshot::Sender<(IO, Vec<u8>)>) -> ProblemIo<IO> {
        ProblemIo {
            inner: Some(inner),
            replaced: None,
            sent: 0,
            back: Some(back),
        }
    }
}

impl<IO: AsyncWrite + Unpin> ProblemIo<IO> {
    /// Writes what is left of the replacement, if there is one.
    fn poll_replaced(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let (Some(io), Some(bytes)) = (self.inner.as_mut(), self.replaced.as_ref()) else {
            return Poll::Ready(Ok(()));
        };
        while self.sent < bytes.len() {
            match std::task::ready!(Pin::new(&mut *io).poll_write(cx, &bytes[self.sent..])) {
                Ok(0) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                Ok(n) => self.sent += n,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }
}

fn gone() -> std::io::Error {
    std::io::ErrorKind::NotConnected.into()
}

impl<IO: AsyncRead + Unpin> AsyncRead for ProblemIo<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.inner.as_mut() {
            Some(io) => Pin::new(io).poll_read(cx, buf),
            None => Poll::Ready(Err(gone())),
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for ProblemIo<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if this.replaced.is_some() {
            // The connection is over: hyper's further bytes are not sent.
            std::task::ready!(this.poll_replaced(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        if let Some((at, error)) = hyper_refusal(buf) {
            let mut bytes = buf[..at].to_vec();
            bytes.extend_from_slice(&crate::http::error::closing_response(&error));
            this.replaced = Some(bytes);
            // Written here, on flush, or by `close_after`.
            if let Poll::Ready(Err(e)) = this.poll_replaced(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        match this.inner.as_mut() {
            Some(io) => Pin::new(io).poll_write(cx, buf),
            None => Poll::Ready(Err(gone())),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.poll_replaced(cx))?;
        match self.inner.as_mut() {
            Some(io) => Pin::new(io).poll_flush(cx),
            None => Poll::Ready(Err(gone())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        std::task::ready!(self.poll_replaced(cx))?;
        match self.inner.as_mut() {
            Some(io) => Pin::new(io).poll_shutdown(cx),
            None => Poll::Ready(Err(gone())),
        }
    }

    fn is_write_vectored(&self) -> bool {
        // hyper then flattens each response head into one buffer, which
        // `hyper_refusal` needs.
        false
    }
}

impl<IO> Drop for ProblemIo<IO> {
    fn drop(&mut self) {
        if let (Some(bytes), Some(io), Some(back)) =
            (self.replaced.take(), self.inner.take(), self.back.take())
        {
            let rest = bytes.get(self.sent..).unwrap_or_default().to_vec();
            let _ = back.send((io, rest));
        }
    }
}

/// Where hyper's own answer to an unparsable request head begins at the
/// end of `buf`, and the refusal to send instead.
fn hyper_refusal(buf: &[u8]) -> Option<(usize, Error)> {
    if !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    // hyper's answer is about 100 bytes; look no further back.
    let from = buf.len().saturating_sub(256);
    let tail = &buf[from..];
    const ANSWERS: [(&[u8], Kind); 3] = [
        (b"400 Bad Request\r\n", Kind::BadRequest),
        (b"414 URI Too Long\r\n", Kind::UriTooLong),
        (
            b"431 Request Header Fields Too Large\r\n",
            Kind::HeadTooLarge,
        ),
    ];
    for (line, kind) in ANSWERS {
        for version in [&b"HTTP/1.1 "[..], b"HTTP/1.0 "] {
            let status: Vec<u8> = [version, line].concat();
            let Some(at) = tail.windows(status.len()).rposition(|w| w == status) else {
                continue;
            };
            let headers = &tail[at + status.len()..tail.len() - 2];
            if only_hyper_headers(headers) {
                return Some((from + at, refusal(kind)));
            }
        }
    }
    None
}

/// Whether `headers` (lines ending in CRLF) are exactly what hyper writes
/// on an answer of its own: `content-length: 0`, perhaps `connection:
/// close`, perhaps `date`.
fn only_hyper_headers(headers: &[u8]) -> bool {
    let mut length = false;
    for line in headers.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if lower == b"content-length: 0" {
            length = true;
        } else if lower != b"connection: close" && !lower.starts_with(b"date: ") {
            return false;
        }
    }
    length && headers.ends_with(b"\r\n")
}

/// The refusal of a request head hyper could not parse.
fn refusal(kind: Kind) -> Error {
    match kind {
        Kind::HeadTooLarge => Error::new(
            kind,
            "request_head_too_large",
            "请求头过大（超过 64 KiB），服务器不予处理。请清除浏览器中本网站的数据后重试。",
            "The request's headers are too large (over 64 KiB). Clear this site's data in the browser and try again.",
        ),
        Kind::UriTooLong => Error::new(
            kind,
            "uri_too_long",
            "请求的网址过长，服务器不予处理。",
            "The requested address (URL) is too long.",
        ),
        _ => Error::new(
            Kind::BadRequest,
            "malformed_request",
            "请求格式不正确：请求行或某个请求头无法识别（例如含有控制字符或非法的名称），服务器不予处理。请刷新页面后重试。",
            "The request could not be read: its request line or a header is malformed (for example, it holds a control character or an invalid name). Reload the page and try again.",
        ),
    }
}

/// The body-read limit ran out: what `TimedBody` fails with, and what
/// the body extractors map to 408.
#[derive(Debug)]
pub struct BodyTimeout;

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimeout {}

/// Whether `e` (or what it was caused by) is a [`BodyTimeout`].
pub fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<BodyTimeout>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// A request body that must be complete before a deadline.
struct TimedBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl TimedBody {
    fn new(inner: Incoming, limit: Duration) -> TimedBody {
        TimedBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(limit)),
        }
    }
}

impl hyper::body::Body for TimedBody {
    type Data = hyper::body::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimeout)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "date: Tue, 01 Dec 2026 11:05:45 GMT\r\n";

    #[test]
    fn hypers_own_answers_are_recognised_after_any_tail() {
        let bare = format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n{DATE}\r\n");
        let (at, e) = hyper_refusal(bare.as_bytes()).expect("recognised");
        assert_eq!((at, e.code), (0, "malformed_request"));
        let closing =
            format!("HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n{DATE}\r\n");
        let tail = format!("{{\"ok\":true}}{closing}");
        let (at, e) = hyper_refusal(tail.as_bytes()).expect("recognised");
        assert_eq!((at, e.code), (11, "request_head_too_large"));
    }

    #[test]
    fn the_services_own_responses_pass_untouched() {
        for own in [
            // A refusal of the service: it has a body.
            format!("HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n{DATE}\r\n"),
            format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n{DATE}\r\n"),
            format!("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n{DATE}\r\n"),
            format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n{DATE}\r\nx"),
            "HTTP/1.1 400 Bad Request\r\n\r\n".to_string(),
        ] {
            assert!(hyper_refusal(own.as_bytes()).is_none(), "{own:?}");
        }
    }
}
