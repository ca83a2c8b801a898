//! The witness's own SQLite state (`scrutineer witness --db FILE`): for each
//! log origin, the latest checkpoint it cosigned, and every refused
//! request of a known log (evidence of a rollback or a split view).
//!
//! The check and the update run in one `BEGIN IMMEDIATE` transaction, so
//! two concurrent requests can never roll the recorded size back (the race
//! the tlog-witness spec warns of); the row is durable (synchronous=FULL)
//! before the cosignature leaves.

use std::path::Path;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::log::merkle::Hash;
use crate::log::witness::{AddCheckpoint, Latest, Refusal};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS witnessed (
    origin  TEXT PRIMARY KEY,
    size    INTEGER NOT NULL CHECK (size >= 0),
    root    BLOB NOT NULL CHECK (length(root) = 32),
    note    TEXT NOT NULL,
    at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refused (
    id      INTEGER PRIMARY KEY,
    origin  TEXT NOT NULL,
    old     INTEGER NOT NULL,
    size    INTEGER NOT NULL,
    code    TEXT NOT NULL,
    request TEXT NOT NULL,
    at      INTEGER NOT NULL
);
";

/// A witness database.
pub struct WitnessStore {
    conn: Connection,
}

/// What the witness decided, after storing it.
pub enum Outcome<T> {
    /// Cosigned: the value the caller's `cosign` returned.
    Cosigned(T),
    /// Refused, and recorded when the log is known.
    Refused(Refusal),
}

impl WitnessStore {
    /// Opens (creating if needed) the witness database at `path`.
    pub fn open(path: &Path) -> rusqlite::Result<WitnessStore> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        conn.execute_batch("PRAGMA synchronous = FULL;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(WitnessStore { conn })
    }

    /// The latest checkpoint cosigned for `origin`.
    pub fn latest(&self, origin: &str) -> rusqlite::Result<Option<Latest>> {
        latest(&self.conn, origin)
    }

    /// Checks `req` against the stored latest with `decide` and, when it
    /// passes, cosigns with `cosign` and stores the new latest — all in
    /// one immediate transaction. Refusals of known logs are recorded.
    pub fn add_checkpoint<T>(
        &mut self,
        req: &AddCheckpoint,
        known: bool,
        now_secs: u64,
        decide: impl FnOnce(Option<Latest>) -> Result<(), Refusal>,
        cosign: impl FnOnce() -> Result<T, Refusal>,
    ) -> rusqlite::Result<Outcome<T>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let origin = req.checkpoint.origin().to_owned();
        let held = latest(&tx, &origin)?;
        let at = i64::try_from(now_secs).unwrap_or(i64::MAX);
        let size = i64::try_from(req.checkpoint.size().0).unwrap_or(i64::MAX);
        let outcome = match decide(held).and_then(|()| cosign()) {
            Ok(value) => {
                tx.execute(
                    "INSERT INTO witnessed (origin, size, root, note, at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (origin) DO UPDATE SET size = ?2, root = ?3, note = ?4, at = ?5",
                    params![
                        origin,
                        size,
                        req.checkpoint.root().as_bytes().as_slice(),
                        req.note.to_string(),
                        at
                    ],
                )?;
                Outcome::Cosigned(value)
            }
            Err(refusal) => {
                if known {
                    tx.execute(
                        "INSERT INTO refused (origin, old, size, code, request, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            origin,
                            i64::try_from(req.old).unwrap_or(i64::MAX),
                            size,
                            refusal.code(),
                            req.note.to_string(),
                            at
                        ],
                    )?;
                }
                Outcome::Refused(refusal)
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// The refusals recorded for `origin`: (old size, size, code), oldest first.
    pub fn refusals(&self, origin: &str) -> rusqlite::Result<Vec<(u64, u64, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT old, size, code FROM refused WHERE origin = ?1 ORDER BY id")?;
        let rows = stmt.query_map([origin], |r| {
            Ok((
                u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                r.get(2)?,
            ))
        })?;
        rows.collect()
    }
}

fn latest(conn: &Connection, origin: &str) -> rusqlite::Result<Option<Latest>> {
    conn.query_row(
        "SELECT size, root FROM witnessed WHERE origin = ?1",
        [origin],
        |r| {
            let size: i64 = r.get(0)?;
            let root: Vec<u8> = r.get(1)?;
            Ok((size, root))
        },
    )
    .optional()
    .map(|row| {
        row.and_then(|(size, root)| {
            Some(Latest {
                size: u64::try_from(size).ok()?,
                root: Hash::from_slice(&root)?,
            })
        })
    })
}
