//! The start-up check (`service::integrity`, step 4) of the tables issue
//! 12 added: each round's box counts (`box_count`) are exactly its
//! `box_counted` entries, in log order; the rounds counted by hand
//! (`hand_count`) are exactly those with a `hand_count` entry, and their
//! reconciled totals exactly their `totals_counted`. A table edited behind
//! the log is refused, naming the table and the round.

use std::collections::BTreeMap;

use rusqlite::Connection;

use super::Error;
use crate::log::event::Event;
use crate::rules::totals::HandTotals;
use crate::store;

/// What the log says of those tables, folded entry by entry.
#[derive(Debug, Default)]
pub(crate) struct Logged {
    boxes: BTreeMap<String, Vec<(String, u64)>>,
    hand: BTreeMap<String, Option<HandTotals>>,
}

impl Logged {
    pub(crate) fn fold(&mut self, event: &Event) {
        match event {
            Event::BoxCounted {
                round,
                returned,
                by,
            } => self
                .boxes
                .entry(round.clone())
                .or_default()
                .push((by.clone().unwrap_or_default(), *returned)),
            Event::HandCount { round, .. } => {
                self.hand.entry(round.clone()).or_default();
            }
            Event::TotalsCounted { round, totals } => {
                self.hand.insert(round.clone(), Some(totals.clone()));
            }
            _ => {}
        }
    }

    /// Compares round `r`'s rows with the log; `differs(table, zh, en)`
    /// words the refusal.
    pub(crate) fn check(
        &self,
        conn: &Connection,
        meeting: &str,
        r: &str,
        differs: impl Fn(&str, String, String) -> Error,
    ) -> Result<(), Error> {
        let rows: Vec<(String, u64)> = store::boxes::counts(conn, meeting, r)?
            .into_iter()
            .map(|b| (b.name, b.returned))
            .collect();
        let logged = self.boxes.get(r).cloned().unwrap_or_default();
        if rows != logged {
            return Err(differs(
                "box_count",
                format!("轮次 {r}：开箱清点记录与日志不同"),
                format!("round {r}: the box counts are {rows:?}, the log says {logged:?}"),
            ));
        }
        let stored = match store::totals::hand_count(conn, meeting, r)? {
            None => None,
            Some(None) => Some(None),
            Some(Some(j)) => Some(Some(
                serde_json::from_str::<HandTotals>(&j).map_err(Error::internal)?,
            )),
        };
        let logged = self.hand.get(r).cloned();
        if stored != logged {
            return Err(differs(
                "hand_count",
                format!("轮次 {r}：唱票计票记录与日志不同"),
                format!("round {r}: the hand count is {stored:?}, the log says {logged:?}"),
            ));
        }
        Ok(())
    }
}
