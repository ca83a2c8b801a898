//! The witness's own SQLite state (`scrutineer witness --db FILE`): for each
//! log origin, the latest checkpoint it cosigned, and every refused
//! request of a known log (evidence of a rollback or a split view).
//! Below it, the meeting service's side (its own database): the witnesses
//! each meeting names, what each last cosigned or refused, and the
//! cosignatures received, which the bundle adds to its checkpoint notes.
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

// ---------------------------------------------------------------------
// The meeting service's side: the witnesses a meeting names, what each
// last cosigned, and the cosignatures received (tables in the service's
// own database, beside the log).
// ---------------------------------------------------------------------

const SERVICE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meeting_witness (
    meeting       TEXT NOT NULL,
    name          TEXT NOT NULL,
    key           TEXT NOT NULL,
    url           TEXT NOT NULL,
    quorum        INTEGER,
    entry         INTEGER NOT NULL,
    cosigned_size INTEGER NOT NULL DEFAULT 0 CHECK (cosigned_size >= 0),
    cosigned_at   INTEGER,
    error         TEXT,
    error_at      INTEGER,
    refusal       TEXT,
    refusal_status INTEGER,
    refusal_at    INTEGER,
    PRIMARY KEY (meeting, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS witness_cosignature (
    meeting TEXT NOT NULL,
    size    INTEGER NOT NULL CHECK (size >= 0),
    name    TEXT NOT NULL,
    line    TEXT NOT NULL,
    PRIMARY KEY (meeting, size, name)
) WITHOUT ROWID;
";

/// Creates the service-side witness tables (idempotent).
pub fn migrate_service(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SERVICE_SCHEMA)
}

/// A witness a meeting names, with what the service knows of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedWitness {
    pub name: String,
    /// C2SP cosigner vkey.
    pub key: String,
    pub url: String,
    pub quorum: Option<u64>,
    /// The `witness_named` entry.
    pub entry: u64,
    /// The largest checkpoint size the witness cosigned for this log.
    pub cosigned_size: u64,
    /// When (POSIX seconds).
    pub cosigned_at: Option<u64>,
    /// The last failure to reach it or read its answer, cleared by a
    /// cosignature.
    pub error: Option<(String, u64)>,
    /// The last time it refused a checkpoint (rollback, fork, distrust):
    /// (what it said, HTTP status, when). Never cleared.
    pub refusal: Option<(String, u16, u64)>,
}

fn u64_col(v: Option<i64>) -> Option<u64> {
    v.and_then(|v| u64::try_from(v).ok())
}

/// The witnesses `meeting` names, in the order named.
pub fn witnesses(conn: &Connection, meeting: &str) -> rusqlite::Result<Vec<NamedWitness>> {
    let mut stmt = conn.prepare(
        "SELECT name, key, url, quorum, entry, cosigned_size, cosigned_at, error, error_at,
                refusal, refusal_status, refusal_at
         FROM meeting_witness WHERE meeting = ?1 ORDER BY entry",
    )?;
    let rows = stmt.query_map([meeting], |r| {
        let error: Option<String> = r.get(7)?;
        let refusal: Option<String> = r.get(9)?;
        Ok(NamedWitness {
            name: r.get(0)?,
            key: r.get(1)?,
            url: r.get(2)?,
            quorum: u64_col(r.get(3)?),
            entry: u64_col(Some(r.get(4)?)).unwrap_or(0),
            cosigned_size: u64_col(Some(r.get(5)?)).unwrap_or(0),
            cosigned_at: u64_col(r.get(6)?),
            error: error.map(|e| (e, u64_col(r.get(8).ok().flatten()).unwrap_or(0))),
            refusal: refusal.map(|e| {
                (
                    e,
                    u16::try_from(r.get::<_, Option<i64>>(10).ok().flatten().unwrap_or(0))
                        .unwrap_or(0),
                    u64_col(r.get(11).ok().flatten()).unwrap_or(0),
                )
            }),
        })
    })?;
    rows.collect()
}

/// Every meeting that names at least one witness.
pub fn witnessed_meetings(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT DISTINCT meeting FROM meeting_witness ORDER BY meeting")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

/// Records a witness the meeting named (its `witness_named` entry).
pub fn insert_witness(conn: &Connection, meeting: &str, w: &NamedWitness) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meeting_witness (meeting, name, key, url, quorum, entry) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            meeting,
            w.name,
            w.key,
            w.url,
            w.quorum.map(|q| i64::try_from(q).unwrap_or(i64::MAX)),
            i64::try_from(w.entry).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(())
}

/// Whether any round of the meeting has opened (the witnesses are then
/// fixed).
pub fn any_round_opened(conn: &Connection, meeting: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM ballot_round WHERE meeting = ?1 AND state <> 'draft')",
        [meeting],
        |r| r.get(0),
    )
}

/// The stored checkpoints of `meeting` larger than `above`, smallest first,
/// at most `limit`: (size, note).
pub fn checkpoints_above(
    conn: &Connection,
    meeting: &str,
    above: u64,
    limit: usize,
) -> rusqlite::Result<Vec<(u64, String)>> {
    let mut stmt = conn.prepare(
        "SELECT size, note FROM log_checkpoint WHERE log = ?1 AND size > ?2 ORDER BY size LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        params![
            meeting,
            i64::try_from(above).unwrap_or(i64::MAX),
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
        |r| Ok((u64_col(Some(r.get(0)?)).unwrap_or(0), r.get(1)?)),
    )?;
    rows.collect()
}

/// The leaf hashes of the log of `meeting`, in order (the tree without
/// reading the entries' bytes).
pub fn leaf_hashes(conn: &Connection, meeting: &str) -> rusqlite::Result<Vec<Hash>> {
    let mut stmt = conn.prepare("SELECT leaf_hash FROM log_entry WHERE log = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([meeting], |r| {
        let b: Vec<u8> = r.get(0)?;
        Hash::from_slice(&b).ok_or_else(|| {
            rusqlite::Error::InvalidColumnType(0, "leaf_hash".into(), rusqlite::types::Type::Blob)
        })
    })?;
    rows.collect()
}

/// A cosignature received: stores the line for the note of `size` and
/// moves the witness's size on (never back).
pub fn record_cosignature(
    conn: &Connection,
    meeting: &str,
    name: &str,
    size: u64,
    line: &str,
    now_secs: u64,
) -> rusqlite::Result<()> {
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    conn.execute(
        "INSERT INTO witness_cosignature (meeting, size, name, line) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (meeting, size, name) DO UPDATE SET line = ?4",
        params![meeting, size, name, line],
    )?;
    conn.execute(
        "UPDATE meeting_witness SET cosigned_size = max(cosigned_size, ?3), cosigned_at = ?4,
                error = NULL, error_at = NULL
         WHERE meeting = ?1 AND name = ?2",
        params![
            meeting,
            name,
            size,
            i64::try_from(now_secs).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(())
}

/// The witness says it holds `size` (a 409 with its size): where the next
/// request starts.
pub fn record_witness_size(
    conn: &Connection,
    meeting: &str,
    name: &str,
    size: u64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE meeting_witness SET cosigned_size = ?3 WHERE meeting = ?1 AND name = ?2",
        params![meeting, name, i64::try_from(size).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

/// A failure to reach the witness or to read its answer.
pub fn record_error(
    conn: &Connection,
    meeting: &str,
    name: &str,
    error: &str,
    now_secs: u64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE meeting_witness SET error = ?3, error_at = ?4 WHERE meeting = ?1 AND name = ?2",
        params![
            meeting,
            name,
            error,
            i64::try_from(now_secs).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(())
}

/// The witness refused a checkpoint: kept until another refusal replaces
/// it, never cleared by a later cosignature.
pub fn record_refusal(
    conn: &Connection,
    meeting: &str,
    name: &str,
    what: &str,
    status: u16,
    now_secs: u64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE meeting_witness SET refusal = ?3, refusal_status = ?4, refusal_at = ?5,
                error = ?3, error_at = ?5
         WHERE meeting = ?1 AND name = ?2",
        params![
            meeting,
            name,
            what,
            i64::from(status),
            i64::try_from(now_secs).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(())
}

/// The witness cosignature lines of `meeting`: size → lines, in name order.
pub fn cosignature_lines(
    conn: &Connection,
    meeting: &str,
) -> rusqlite::Result<std::collections::BTreeMap<u64, Vec<String>>> {
    let mut out: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
    // A database holding only the log tables (an export of a log alone)
    // has no witnesses.
    let present: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'witness_cosignature')",
        [],
        |r| r.get(0),
    )?;
    if !present {
        return Ok(out);
    }
    let mut stmt = conn.prepare(
        "SELECT size, line FROM witness_cosignature WHERE meeting = ?1 ORDER BY size, name",
    )?;
    let rows = stmt.query_map([meeting], |r| {
        Ok((
            u64_col(Some(r.get(0)?)).unwrap_or(0),
            r.get::<_, String>(1)?,
        ))
    })?;
    for row in rows {
        let (size, line) = row?;
        out.entry(size).or_default().push(line);
    }
    Ok(out)
}

impl WitnessStore {
    /// The note the witness last cosigned for `origin`.
    pub fn latest_note(&self, origin: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT note FROM witnessed WHERE origin = ?1",
                [origin],
                |r| r.get(0),
            )
            .optional()
    }
}
