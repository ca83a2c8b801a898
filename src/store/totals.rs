//! Rounds counted by hand (唱票计票): which rounds, their reconciled
//! totals, and the counters' readings until they are reconciled. The
//! totals are JSON text (`rules::totals::HandTotals`); the service parses
//! them.

use rusqlite::{params, Connection, OptionalExtension};

use super::{u64_of, Cached, StoreError};

/// One counter's reading of the totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalsEntryRow {
    pub seq: u64,
    pub person: String,
    pub name: String,
    pub totals: String,
}

/// Marks a round as counted by hand.
pub fn mark(tx: &Connection, meeting: &str, round: &str) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO hand_count (meeting, round, counted) VALUES (?1, ?2, NULL)",
        [meeting, round],
    )?;
    Ok(())
}

/// `None` for a round counted ballot by ballot; `Some(counted)` for one
/// counted by hand, with its reconciled totals once there are any.
pub fn hand_count(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<Option<Option<String>>, StoreError> {
    Ok(conn
        .row(
            "SELECT counted FROM hand_count WHERE meeting = ?1 AND round = ?2",
            [meeting, round],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?)
}

/// Stores the reconciled totals and erases the readings.
pub fn set_counted(
    tx: &Connection,
    meeting: &str,
    round: &str,
    totals: &str,
) -> Result<(), StoreError> {
    tx.exec(
        "UPDATE hand_count SET counted = ?3 WHERE meeting = ?1 AND round = ?2",
        params![meeting, round, totals],
    )?;
    clear_entries(tx, meeting, round)
}

pub fn insert_entry(
    tx: &Connection,
    meeting: &str,
    round: &str,
    person: &str,
    name: &str,
    totals: &str,
) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO totals_entry (meeting, round, seq, person, name, totals)
         VALUES (?1, ?2,
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM totals_entry WHERE meeting = ?1 AND round = ?2),
                 ?3, ?4, ?5)",
        params![meeting, round, person, name, totals],
    )?;
    Ok(())
}

/// The readings not yet reconciled, in the order entered.
pub fn entries(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<Vec<TotalsEntryRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, person, name, totals FROM totals_entry
         WHERE meeting = ?1 AND round = ?2 ORDER BY seq",
    )?;
    let rows = stmt.query_map([meeting, round], |r| {
        Ok(TotalsEntryRow {
            seq: u64_of(r.get(0)?)?,
            person: r.get(1)?,
            name: r.get(2)?,
            totals: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Erases the readings (reconciled, or sent back for re-entry).
pub fn clear_entries(tx: &Connection, meeting: &str, round: &str) -> Result<(), StoreError> {
    tx.exec(
        "DELETE FROM totals_entry WHERE meeting = ?1 AND round = ?2",
        [meeting, round],
    )?;
    Ok(())
}
