//! Key replacements after a lost device (`key_replaced`, then
//! `key_replacement_approved`): the new key a person asked for, waiting
//! for a presidium member's approval, and the approvals made. The
//! person's key itself is `person.key` (`store::meeting`), changed only
//! when the approval is logged.

use super::Cached;
use rusqlite::{params, Connection, OptionalExtension};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS key_replacement (
    meeting     TEXT NOT NULL,
    person      TEXT NOT NULL,
    key         TEXT NOT NULL,
    old_key     TEXT NOT NULL,
    entry       INTEGER NOT NULL,
    approved_by TEXT,
    approved_at INTEGER,
    PRIMARY KEY (meeting, person, entry)
) WITHOUT ROWID;
";

/// Creates the table (idempotent).
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)
}

/// A replacement asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    pub person: String,
    pub key: String,
    pub old_key: String,
    /// The `key_replaced` entry.
    pub entry: u64,
    /// Who approved it, and the approval's entry.
    pub approved: Option<(String, u64)>,
}

/// The person's replacement waiting for approval, if any.
pub fn pending(
    conn: &Connection,
    meeting: &str,
    person: &str,
) -> rusqlite::Result<Option<Replacement>> {
    conn.row(
        "SELECT person, key, old_key, entry FROM key_replacement
         WHERE meeting = ?1 AND person = ?2 AND approved_by IS NULL
         ORDER BY entry DESC LIMIT 1",
        [meeting, person],
        |r| {
            Ok(Replacement {
                person: r.get(0)?,
                key: r.get(1)?,
                old_key: r.get(2)?,
                entry: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                approved: None,
            })
        },
    )
    .optional()
}

/// Records a replacement asked for; an earlier one still pending is
/// superseded (dropped).
pub fn insert(conn: &Connection, meeting: &str, r: &Replacement) -> rusqlite::Result<()> {
    conn.exec(
        "DELETE FROM key_replacement WHERE meeting = ?1 AND person = ?2 AND approved_by IS NULL",
        [meeting, &r.person],
    )?;
    conn.exec(
        "INSERT INTO key_replacement (meeting, person, key, old_key, entry) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            meeting,
            r.person,
            r.key,
            r.old_key,
            i64::try_from(r.entry).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(())
}

/// Marks the pending replacement of `person` approved by `by` at `entry`.
pub fn approve(
    conn: &Connection,
    meeting: &str,
    person: &str,
    by: &str,
    entry: u64,
) -> rusqlite::Result<()> {
    conn.exec(
        "UPDATE key_replacement SET approved_by = ?3, approved_at = ?4
         WHERE meeting = ?1 AND person = ?2 AND approved_by IS NULL",
        params![
            meeting,
            person,
            by,
            i64::try_from(entry).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(())
}
