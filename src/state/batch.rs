//! A paper batch under double entry (双人录入).
//!
//! ```text
//!  (none) ──reading──▶ AwaitingSecond ──reading, agrees──────▶ Reconciled
//!    ▲                    │      └──reading, differs──▶ Differences ──resolved, none left──▶ Reconciled
//!    └──────discard───────┴──────────────────────────────────┘  (resolved, some left: stays)
//! ```
//!
//! `(none)` is a label with no batch: the first reading creates it, a
//! discard frees it again. A reconciled batch is counted and final.

use super::Refused;

/// Where a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatchState {
    /// One reading stored; another person's reading is awaited.
    AwaitingSecond,
    /// Two readings that differ; scrutineers resolve each difference.
    Differences,
    /// The final ballots are logged (`ballot_batch`) and count.
    Reconciled,
}

/// What can happen to a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchEvent {
    /// A counter's entry or an imported file's reading. `agrees`: it is
    /// the second reading and equals the first ballot for ballot (ignored
    /// for the first; whether a reading is accepted never depends on it).
    Reading { agrees: bool },
    /// A scrutineer resolved one difference; `left` are still unresolved.
    Resolved { left: usize },
    /// A scrutineer discards the batch (its label is free again).
    Discard,
}

impl BatchState {
    pub const ALL: [BatchState; 3] = [
        BatchState::AwaitingSecond,
        BatchState::Differences,
        BatchState::Reconciled,
    ];
}

/// The batch after `event`; `None` is no batch (never read, or discarded).
pub fn next(
    from: Option<BatchState>,
    event: BatchEvent,
) -> Result<Option<BatchState>, Refused<Option<BatchState>, BatchEvent>> {
    use BatchEvent::*;
    use BatchState::*;
    let to = match (from, event) {
        (None, Reading { .. }) => AwaitingSecond,
        (Some(AwaitingSecond), Reading { agrees: true }) => Reconciled,
        (Some(AwaitingSecond), Reading { agrees: false }) => Differences,
        (Some(Differences), Resolved { left: 0 }) => Reconciled,
        (Some(Differences), Resolved { .. }) => Differences,
        (Some(AwaitingSecond | Differences), Discard) => return Ok(None),
        (Some(Differences | Reconciled), Reading { .. })
        | (None | Some(AwaitingSecond | Reconciled), Resolved { .. })
        | (None | Some(Reconciled), Discard) => return Err(Refused { from, event }),
    };
    Ok(Some(to))
}

#[cfg(test)]
mod tests {
    use super::BatchEvent::*;
    use super::BatchState::*;
    use super::*;

    /// Every (state, event) pair: the state after it, or `Err(())`.
    #[test]
    fn every_move_of_a_batch() {
        type Row = (
            Option<BatchState>,
            BatchEvent,
            Result<Option<BatchState>, ()>,
        );
        #[rustfmt::skip]
        let table: &[Row] = &[
            (None,                 Reading { agrees: true },  Ok(Some(AwaitingSecond))),
            (None,                 Reading { agrees: false }, Ok(Some(AwaitingSecond))),
            (None,                 Resolved { left: 0 },      Err(())),
            (None,                 Resolved { left: 1 },      Err(())),
            (None,                 Discard,                   Err(())),
            (Some(AwaitingSecond), Reading { agrees: true },  Ok(Some(Reconciled))),
            (Some(AwaitingSecond), Reading { agrees: false }, Ok(Some(Differences))),
            (Some(AwaitingSecond), Resolved { left: 0 },      Err(())),
            (Some(AwaitingSecond), Resolved { left: 1 },      Err(())),
            (Some(AwaitingSecond), Discard,                   Ok(None)),
            (Some(Differences),    Reading { agrees: true },  Err(())),
            (Some(Differences),    Reading { agrees: false }, Err(())),
            (Some(Differences),    Resolved { left: 0 },      Ok(Some(Reconciled))),
            (Some(Differences),    Resolved { left: 1 },      Ok(Some(Differences))),
            (Some(Differences),    Discard,                   Ok(None)),
            (Some(Reconciled),     Reading { agrees: true },  Err(())),
            (Some(Reconciled),     Reading { agrees: false }, Err(())),
            (Some(Reconciled),     Resolved { left: 0 },      Err(())),
            (Some(Reconciled),     Resolved { left: 1 },      Err(())),
            (Some(Reconciled),     Discard,                   Err(())),
        ];
        // The table is complete: every state (and none) with every event.
        assert_eq!(table.len(), (BatchState::ALL.len() + 1) * 5);
        for &(from, event, want) in table {
            let got = next(from, event);
            match want {
                Ok(to) => assert_eq!(got, Ok(to), "{from:?} + {event:?}"),
                Err(()) => assert_eq!(got, Err(Refused { from, event }), "{from:?} + {event:?}"),
            }
        }
    }
}
