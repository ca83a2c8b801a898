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

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use tokio::sync::{broadcast, watch};

use super::{blocking, App, Revocations, Who, P};
use crate::service::live::Update;
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
    until: tokio::time::Instant,
    pending: VecDeque<Event>,
    /// Log size of the last update sent.
    sent: u64,
}

fn events_of(update: &Update, actor: &Actor) -> Vec<Event> {
    let id = update.size.to_string();
    let mut out = vec![Event::default()
        .event("state")
        .id(id.clone())
        .data(update.state.as_str())];
    if let Some(t) = update.tally_for(actor) {
        out.push(Event::default().event("tally").id(id).data(t));
    }
    out
}

impl Feed {
    fn push(&mut self, update: &Update) {
        if update.size <= self.sent {
            return;
        }
        self.sent = update.size;
        let events = events_of(update, &self.actor);
        self.pending.extend(events);
    }

    async fn next(mut self) -> Option<(Result<Event, Infallible>, Feed)> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some((Ok(e), self));
            }
            if *self.shutdown.borrow() {
                return None;
            }
            tokio::select! {
                _ = self.shutdown.changed() => return None,
                _ = tokio::time::sleep_until(self.until) => return None,
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
    let mut feed = Feed {
        svc: app.svc.clone(),
        actor,
        round: r,
        rx,
        shutdown: app.shutdown.clone(),
        revoked,
        until: tokio::time::Instant::now() + app.serving.limits.sse_lifetime,
        pending: VecDeque::new(),
        sent: 0,
    };
    feed.push(&snapshot);
    let stream = stream::unfold(feed, Feed::next);
    Ok(Sse::new(stream)
        .keep_alive(
            KeepAlive::new()
                .interval(app.serving.limits.sse_heartbeat)
                .text("heartbeat"),
        )
        .into_response())
}
