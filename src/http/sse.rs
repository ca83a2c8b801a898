//! Server-Sent Events: live updates of one round.
//!
//! The stream subscribes before it reads the current state, so no commit
//! falls between the snapshot and the first update; updates at or below the
//! size already sent are skipped. A viewer that falls behind the broadcast
//! buffer gets a fresh snapshot.
//!
//! The stream ends when the server shuts down, when the viewer's log-in
//! link is revoked (at once, not at the next request), and after
//! [`Limits::sse_lifetime`](super::Limits) (the page reconnects and its
//! token is checked again). A heartbeat comment goes out every
//! [`Limits::sse_heartbeat`](super::Limits), so the listener's read
//! timeouts never apply to a live stream.
//!
//! An update goes out as one piece (its `state` and, where allowed, its
//! `tally` event), one write to the socket, and its bytes are made once
//! for all the viewers of the round (`Update::wire`).

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use tokio::sync::{broadcast, watch};
use tokio::time::{Duration, Instant};

use super::{blocking, App, Revocations, Who, P};
use crate::service::live::{Update, Wire};
use crate::service::{Actor, Error, Service};

struct Feed {
    svc: Service,
    actor: Actor,
    round: String,
    rx: broadcast::Receiver<Arc<Update>>,
    shutdown: watch::Receiver<bool>,
    /// Revoked log-in links (meeting, token id).
    revoked: broadcast::Receiver<(String, String)>,
    /// When the stream ends anyway.
    until: Instant,
    /// The next update to send, as its bytes on the wire.
    pending: Option<Bytes>,
    /// Log size of the last update sent.
    sent: u64,
    heartbeat: Duration,
    /// When the next heartbeat is due (moved on by every send).
    beat: Instant,
}

const HEARTBEAT: &[u8] = b": heartbeat\n\n";

/// One SSE event: `event`, `id`, then `data` line by line, and the blank
/// line that ends it.
fn event_bytes(out: &mut Vec<u8>, event: &str, id: &str, data: &str) {
    for (name, value) in [("event", event), ("id", id)] {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    for line in data.split(['\n', '\r']) {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
}

/// The update's bytes for `actor`: `state`, then `tally` if the actor may
/// see it, in one piece (one write to the socket). Made once per update
/// for all viewers.
fn wire_of(update: &Update, actor: &Actor) -> Bytes {
    let wire = update.wire.get_or_init(|| {
        let id = update.size.to_string();
        let mut state = Vec::new();
        event_bytes(&mut state, "state", &id, &update.state);
        let mut both = state.clone();
        if let Some(t) = &update.tally {
            event_bytes(&mut both, "tally", &id, t);
        }
        Wire {
            state: state.into(),
            with_tally: both.into(),
        }
    });
    let wire = if update.tally_for(actor).is_some() {
        &wire.with_tally
    } else {
        &wire.state
    };
    Bytes::from_owner(Arc::clone(wire))
}

impl Feed {
    fn push(&mut self, update: &Update) {
        if update.size <= self.sent {
            return;
        }
        self.sent = update.size;
        self.pending = Some(wire_of(update, &self.actor));
    }

    async fn next(mut self) -> Option<(Result<Bytes, Infallible>, Feed)> {
        loop {
            if let Some(b) = self.pending.take() {
                self.beat = Instant::now() + self.heartbeat;
                return Some((Ok(b), self));
            }
            if *self.shutdown.borrow() {
                return None;
            }
            tokio::select! {
                _ = self.shutdown.changed() => return None,
                _ = tokio::time::sleep_until(self.until) => return None,
                _ = tokio::time::sleep_until(self.beat) => {
                    self.pending = Some(Bytes::from_static(HEARTBEAT));
                }
                gone = self.revoked.recv() => match gone {
                    Ok((m, t)) if m == self.actor.meeting && t == self.actor.token => return None,
                    Ok(_) => {}
                    // Missed some: end, the page reconnects and is checked.
                    Err(_) => return None,
                },
                msg = self.rx.recv() => match msg {
                    Ok(update) => self.push(&update),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let (svc, actor, round) = (self.svc.clone(), self.actor.clone(), self.round.clone());
                        match blocking(move || svc.live_snapshot(&actor, &round)).await {
                            Ok(u) => self.push(&u),
                            Err(_) => return None,
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// `GET /api/meetings/{m}/rounds/{r}/events`.
/// Who may watch is the route table's (`super::ROUTES`); the revocations
/// were subscribed to before the token was checked, so none falls in
/// between.
pub(super) async fn events(
    State(app): State<App>,
    Who(actor): Who,
    Revocations(revoked): Revocations,
    P((m, r)): P<(String, String)>,
) -> Result<Response, Error> {
    // The round must exist (404) before a channel is made for it; then
    // subscribe before the snapshot that is sent first, so no commit falls
    // between the two.
    let (svc, a, round) = (app.svc.clone(), actor.clone(), r.clone());
    blocking(move || svc.watchable(&a, &round)).await?;
    let rx = app.svc.live().subscribe(&m, &r);
    let (svc, a, round) = (app.svc.clone(), actor.clone(), r.clone());
    let snapshot = blocking(move || svc.live_snapshot(&a, &round)).await?;
    let heartbeat = app.serving.limits.sse_heartbeat;
    let mut feed = Feed {
        svc: app.svc.clone(),
        actor,
        round: r,
        rx,
        shutdown: app.shutdown.clone(),
        revoked,
        until: Instant::now() + app.serving.limits.sse_lifetime,
        pending: None,
        sent: 0,
        heartbeat,
        beat: Instant::now() + heartbeat,
    };
    feed.push(&snapshot);
    let stream = stream::unfold(feed, Feed::next);
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
