//! The box opening (开箱清点): each scrutineer's count of the ballots
//! found in the box, in the order they were entered. The service decides
//! from them whether the count is settled (`service::boxes`).

use rusqlite::{params, Connection};

use super::{i64_of, u64_of, Cached, StoreError};

/// One scrutineer's count of the ballots in the box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxCountRow {
    pub seq: u64,
    pub person: String,
    pub name: String,
    pub returned: u64,
}

/// Adds a count after the round's earlier ones.
pub fn insert(
    tx: &Connection,
    meeting: &str,
    round: &str,
    person: &str,
    name: &str,
    returned: u64,
) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO box_count (meeting, round, seq, person, name, returned)
         VALUES (?1, ?2,
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM box_count WHERE meeting = ?1 AND round = ?2),
                 ?3, ?4, ?5)",
        params![meeting, round, person, name, i64_of(returned)],
    )?;
    Ok(())
}

/// A round's counts, in the order entered.
pub fn counts(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<Vec<BoxCountRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, person, name, returned FROM box_count
         WHERE meeting = ?1 AND round = ?2 ORDER BY seq",
    )?;
    let rows = stmt.query_map([meeting, round], |r| {
        Ok(BoxCountRow {
            seq: u64_of(r.get(0)?)?,
            person: r.get(1)?,
            name: r.get(2)?,
            returned: u64_of(r.get(3)?)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
