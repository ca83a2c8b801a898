//! A round's stage: the method parts it adopted on its own, its procedure
//! facts (`log::stage::StageFacts`, JSON), the replacement ballots and the
//! number who voted (issue 11). One row per round that has any.

use rusqlite::{params, Connection, OptionalExtension};

use super::{i64_of, u64_of, Cached, StoreError};

/// JSON columns are text; the service parses them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageRow {
    /// The stage method's overrides (JSON object), once adopted.
    pub overrides: Option<String>,
    /// The stage's effective method (JSON), once adopted.
    pub method: Option<String>,
    /// `log::stage::StageFacts` as JSON.
    pub facts: String,
    pub replaced: Option<u64>,
    pub voted: Option<u64>,
}

pub fn stage(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<Option<StageRow>, StoreError> {
    conn.row(
        "SELECT overrides, method, facts, replaced, voted FROM round_stage
         WHERE meeting = ?1 AND round = ?2",
        params![meeting, round],
        |r| {
            let n = |i: usize| -> rusqlite::Result<Option<u64>> {
                r.get::<_, Option<i64>>(i)?.map(u64_of).transpose()
            };
            Ok(StageRow {
                overrides: r.get(0)?,
                method: r.get(1)?,
                facts: r.get(2)?,
                replaced: n(3)?,
                voted: n(4)?,
            })
        },
    )
    .optional()
    .map_err(StoreError::from)
}

pub fn save_stage(
    tx: &Connection,
    meeting: &str,
    round: &str,
    s: &StageRow,
) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO round_stage (meeting, round, overrides, method, facts, replaced, voted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (meeting, round) DO UPDATE SET
           overrides = excluded.overrides, method = excluded.method, facts = excluded.facts,
           replaced = excluded.replaced, voted = excluded.voted",
        params![
            meeting,
            round,
            s.overrides,
            s.method,
            s.facts,
            s.replaced.map(i64_of),
            s.voted.map(i64_of),
        ],
    )?;
    Ok(())
}
