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
use tokio::sync::{watch, Notify};

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
                    eprintln!("scrutineer: accept: {e}");
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
        .max_buf_size(64 * 1024);
    let conn = http.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = async { let _ = stop.wait_for(|s| *s).await; } => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// The body-read limit ran out: what [`TimedBody`] fails with, and what
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
