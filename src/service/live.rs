//! Live results: one broadcast channel per round.
//!
//! After each commit that touched a round, the writer builds one update
//! (state, and the count as the rule engine sees it) stamped with the
//! checkpoint it reflects, and sends it to that round's subscribers. The
//! update is built while the writer still holds its lock, so updates leave
//! in commit order. Each SSE stream filters it for its viewer's role.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use serde_json::Value;
use tokio::sync::broadcast;

use super::{lock, Role, Stamp};

/// How many updates a slow viewer may fall behind before it is sent a
/// fresh snapshot instead.
const CAPACITY: usize = 64;

/// One committed change of a round, for every kind of viewer.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub round: String,
    /// Log size of the checkpoint this update reflects (the SSE `id`).
    pub size: u64,
    /// The `state` event's data.
    pub state: Value,
    /// The `tally` event's data, once the round is open.
    pub tally: Option<Value>,
    pub announced: bool,
    /// Nomination, evaluation and preliminary results go to the presidium
    /// only.
    pub list_round: bool,
}

impl Update {
    /// Whether a viewer in `role` may receive the `tally` event (the same
    /// rule as `GET …/result`).
    pub fn tally_for(&self, role: Role) -> Option<&Value> {
        let allowed = match role {
            Role::Presidium | Role::Scrutineer | Role::Auditor => true,
            Role::Counter => false,
            Role::Organiser | Role::Display => self.announced && !self.list_round,
        };
        self.tally.as_ref().filter(|_| allowed)
    }
}

type Key = (String, String);

/// The subscribers of every round.
#[derive(Default)]
pub struct Hub {
    channels: Mutex<HashMap<Key, broadcast::Sender<Arc<Update>>>>,
}

impl Hub {
    /// Subscribes to the updates of a round.
    pub fn subscribe(&self, meeting: &str, round: &str) -> broadcast::Receiver<Arc<Update>> {
        let mut channels = lock(&self.channels);
        channels
            .entry((meeting.to_string(), round.to_string()))
            .or_insert_with(|| broadcast::channel(CAPACITY).0)
            .subscribe()
    }

    /// Number of live viewers of a round.
    pub fn viewers(&self, meeting: &str, round: &str) -> usize {
        lock(&self.channels)
            .get(&(meeting.to_string(), round.to_string()))
            .map_or(0, |s| s.receiver_count())
    }

    /// Builds and sends the update of `round` after a commit, if anyone
    /// is watching.
    pub(crate) fn publish(&self, conn: &Connection, meeting: &str, round: &str, stamp: &Stamp) {
        let key = (meeting.to_string(), round.to_string());
        let sender = {
            let mut channels = lock(&self.channels);
            match channels.get(&key) {
                Some(s) if s.receiver_count() == 0 => {
                    channels.remove(&key);
                    None
                }
                other => other.cloned(),
            }
        };
        let Some(sender) = sender else { return };
        match super::round::live_update(conn, meeting, round, stamp) {
            Ok(update) => {
                // No receiver left is not an error.
                let _ = sender.send(Arc::new(update));
            }
            Err(e) => eprintln!("scrutineer: live update of {meeting}/{round}: {e}"),
        }
    }
}
