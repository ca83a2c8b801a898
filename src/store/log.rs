//! SQLite storage of the signed logs: entries and the checkpoints signed
//! over them, one log per meeting.
//!
//! ```sql
//! log_entry(log TEXT, seq INTEGER, bytes BLOB, leaf_hash BLOB, PRIMARY KEY (log, seq))
//! log_checkpoint(log TEXT, size INTEGER, note TEXT, PRIMARY KEY (log, size))
//! ```
//!
//! `log` names the log (the meeting id); `seq` is the leaf index in it.
//!
//! Architecture Invariant: every log is append-only, and the database says
//! so too, not only this code. Triggers abort any UPDATE or DELETE of either
//! table, an entry must take the next sequence number of its log (so `seq`
//! is the leaf index, without gaps), and checkpoints must grow and never
//! exceed the number of entries of their log. There is no update or delete
//! function here, on purpose.
//!
//! `leaf_hash` is stored so the tree can be rebuilt without re-hashing in
//! the common case; [`load_tree`] still re-hashes the bytes and refuses a
//! row whose stored hash disagrees.

use std::fmt;
use std::ops::Range;

use rusqlite::{params, Connection, OptionalExtension};

use super::Cached;

use crate::log::checkpoint::{Checkpoint, CheckpointError};
use crate::log::entry::{Entry, EntryError};
use crate::log::merkle::{leaf_hash, Hash, LeafIndex, Tree, TreeSize};
use crate::log::note::Note;

/// The schema, idempotent.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS log_entry (
    log       TEXT NOT NULL,
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    bytes     BLOB NOT NULL,
    leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    PRIMARY KEY (log, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_checkpoint (
    log  TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    note TEXT NOT NULL,
    PRIMARY KEY (log, size)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS log_entry_next_seq BEFORE INSERT ON log_entry
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entry WHERE log = NEW.log)
BEGIN SELECT RAISE(ABORT, 'log_entry is append-only: seq must be the next index'); END;
CREATE TRIGGER IF NOT EXISTS log_entry_no_update BEFORE UPDATE ON log_entry
BEGIN SELECT RAISE(ABORT, 'log_entry is append-only'); END;
CREATE TRIGGER IF NOT EXISTS log_entry_no_delete BEFORE DELETE ON log_entry
BEGIN SELECT RAISE(ABORT, 'log_entry is append-only'); END;
CREATE TRIGGER IF NOT EXISTS log_checkpoint_grows BEFORE INSERT ON log_checkpoint
WHEN NEW.size <= (SELECT COALESCE(MAX(size), -1) FROM log_checkpoint WHERE log = NEW.log)
  OR NEW.size > (SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entry WHERE log = NEW.log)
BEGIN SELECT RAISE(ABORT, 'log_checkpoint is append-only: size must grow and not exceed the log'); END;
CREATE TRIGGER IF NOT EXISTS log_checkpoint_no_update BEFORE UPDATE ON log_checkpoint
BEGIN SELECT RAISE(ABORT, 'log_checkpoint is append-only'); END;
CREATE TRIGGER IF NOT EXISTS log_checkpoint_no_delete BEFORE DELETE ON log_checkpoint
BEGIN SELECT RAISE(ABORT, 'log_checkpoint is append-only'); END;
";

/// Why a log storage operation failed.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite refused (including the append-only triggers).
    Sqlite(rusqlite::Error),
    /// A stored row is not what was written: the file was altered.
    Corrupt { seq: u64, reason: &'static str },
    /// A stored entry does not decode.
    Entry { seq: u64, error: EntryError },
    /// The note given to [`record_checkpoint`] is not a checkpoint.
    Checkpoint(CheckpointError),
    /// A state table holds a code no state has (`store::states`).
    Integrity(super::states::UnknownCode),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "log storage: {e}"),
            StoreError::Corrupt { seq, reason } => write!(f, "log entry {seq}: {reason}"),
            StoreError::Entry { seq, error } => write!(f, "log entry {seq}: {error}"),
            StoreError::Checkpoint(e) => write!(f, "checkpoint to record: {e}"),
            StoreError::Integrity(e) => write!(f, "state tables: {e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Sqlite(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        if let rusqlite::Error::FromSqlConversionFailure(_, _, inner) = &e {
            if let Some(code) = inner.downcast_ref::<super::states::UnknownCode>() {
                return StoreError::Integrity(code.clone());
            }
        }
        StoreError::Sqlite(e)
    }
}

/// Creates the log tables and triggers if they do not exist.
///
/// A database made before 2026-12-01 has a `log_checkpoint_grows` that
/// bounds a checkpoint by `COUNT(*)` of the log's entries, which reads
/// every entry at every checkpoint; it is replaced by the same bound as
/// `MAX(seq) + 1` (equal, since `log_entry_next_seq` keeps `seq` without
/// gaps), an index look-up.
pub fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let old: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'log_checkpoint_grows'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if old.is_some_and(|sql| sql.contains("COUNT(*)")) {
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; DROP TRIGGER log_checkpoint_grows; {SCHEMA} COMMIT;"
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
        return Ok(());
    }
    conn.execute_batch(SCHEMA)?;
    Ok(())
}

/// Number of entries in log `log`.
pub fn size(conn: &Connection, log: &str) -> Result<TreeSize, StoreError> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM log_entry WHERE log = ?1",
        [log],
        |r| r.get(0),
    )?;
    Ok(TreeSize(to_u64(n, 0)?))
}

/// Appends `entry` as the next leaf of log `log` and returns its index
/// (= `seq`).
///
/// Takes a transaction so the entry and whatever the caller derives from it
/// (state tables, a checkpoint) commit together or not at all.
pub fn append(tx: &Connection, log: &str, entry: &Entry) -> Result<LeafIndex, StoreError> {
    let bytes = entry.encode();
    let hash = leaf_hash(&bytes);
    // Cached statements: the writer runs these at every change.
    let seq: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entry WHERE log = ?1")?
        .query_row([log], |r| r.get(0))?;
    tx.prepare_cached(
        "INSERT INTO log_entry (log, seq, bytes, leaf_hash) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![log, seq, bytes, hash.0.as_slice()])?;
    Ok(LeafIndex(to_u64(seq, 0)?))
}

/// Rebuilds the Merkle tree of log `log` from storage, checking that
/// sequence numbers run without gaps and that every stored leaf hash is the
/// hash of the stored bytes.
pub fn load_tree(conn: &Connection, log: &str) -> Result<Tree, StoreError> {
    let mut stmt =
        conn.prepare("SELECT seq, bytes, leaf_hash FROM log_entry WHERE log = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([log])?;
    let mut tree = Tree::new();
    while let Some(row) = rows.next()? {
        let expected = tree.size().0;
        let seq = to_u64(row.get(0)?, expected)?;
        if seq != expected {
            return Err(StoreError::Corrupt {
                seq,
                reason: "sequence numbers have a gap",
            });
        }
        let bytes: Vec<u8> = row.get(1)?;
        let stored: Vec<u8> = row.get(2)?;
        let hash = leaf_hash(&bytes);
        if Hash::from_slice(&stored) != Some(hash) {
            return Err(StoreError::Corrupt {
                seq,
                reason: "stored leaf hash does not match the bytes",
            });
        }
        tree.push_leaf_hash(hash);
    }
    Ok(tree)
}

/// The entries of log `log` with index in `range`, decoded, in order.
/// Indices past the end are simply absent.
pub fn entries(
    conn: &Connection,
    log: &str,
    range: Range<u64>,
) -> Result<Vec<(LeafIndex, Entry)>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT seq, bytes FROM log_entry WHERE log = ?1 AND seq >= ?2 AND seq < ?3 ORDER BY seq",
    )?;
    let start = i64::try_from(range.start).unwrap_or(i64::MAX);
    let end = i64::try_from(range.end).unwrap_or(i64::MAX);
    let mut rows = stmt.query(params![log, start, end])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let seq = to_u64(row.get(0)?, range.start)?;
        let bytes: Vec<u8> = row.get(1)?;
        let entry = Entry::decode(&bytes).map_err(|error| StoreError::Entry { seq, error })?;
        out.push((LeafIndex(seq), entry));
    }
    Ok(out)
}

/// The exact stored bytes of entry `index` of log `log`, for the audit
/// bundle.
pub fn entry_bytes(
    conn: &Connection,
    log: &str,
    index: LeafIndex,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Ok(seq) = i64::try_from(index.0) else {
        return Ok(None);
    };
    let bytes = conn
        .row(
            "SELECT bytes FROM log_entry WHERE log = ?1 AND seq = ?2",
            params![log, seq],
            |r| r.get(0),
        )
        .optional()?;
    Ok(bytes)
}

/// Every entry of log `log` as its exact stored bytes, in order (the audit
/// bundle; the caller recomputes and checks the tree from them).
pub fn all_entry_bytes(conn: &Connection, log: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut stmt = conn.prepare("SELECT bytes FROM log_entry WHERE log = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([log], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<Vec<u8>>, _>>()?)
}

/// Stores a signed checkpoint note of log `log`, keyed by its size. The
/// database refuses a size that does not grow or exceeds the number of
/// entries.
pub fn record_checkpoint(tx: &Connection, log: &str, note: &Note) -> Result<TreeSize, StoreError> {
    let checkpoint = Checkpoint::parse(note.text()).map_err(StoreError::Checkpoint)?;
    let size = i64::try_from(checkpoint.size().0).map_err(|_| StoreError::Corrupt {
        seq: checkpoint.size().0,
        reason: "size beyond SQLite's range",
    })?;
    tx.prepare_cached("INSERT INTO log_checkpoint (log, size, note) VALUES (?1, ?2, ?3)")?
        .execute(params![log, size, note.to_string()])?;
    Ok(checkpoint.size())
}

/// The largest stored checkpoint of log `log` (size and note text), for
/// resuming the [`crate::log::signer::LogSigner`] after a restart. The
/// caller opens the note with the log key.
pub fn latest_checkpoint(
    conn: &Connection,
    log: &str,
) -> Result<Option<(TreeSize, String)>, StoreError> {
    let row: Option<(i64, String)> = conn
        .row(
            "SELECT size, note FROM log_checkpoint WHERE log = ?1 ORDER BY size DESC LIMIT 1",
            [log],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        Some((size, note)) => Ok(Some((TreeSize(to_u64(size, 0)?), note))),
        None => Ok(None),
    }
}

/// The stored checkpoint note of log `log` at exactly `size`, if one was
/// signed at that size.
pub fn checkpoint_at(
    conn: &Connection,
    log: &str,
    size: TreeSize,
) -> Result<Option<String>, StoreError> {
    let Ok(size) = i64::try_from(size.0) else {
        return Ok(None);
    };
    Ok(conn
        .row(
            "SELECT note FROM log_checkpoint WHERE log = ?1 AND size = ?2",
            params![log, size],
            |r| r.get(0),
        )
        .optional()?)
}

fn to_u64(v: i64, seq: u64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        seq,
        reason: "negative number in the log tables",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::entry::{AuthorRole, EntryKind};
    use crate::log::note::{KeyName, NoteSigner};
    use crate::log::signer::LogSigner;
    use ed25519_dalek::SigningKey;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(label: &str) -> TempDir {
            static COUNTER: AtomicU32 = AtomicU32::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("scrutineer-{label}-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&path).expect("create temp dir");
            TempDir(path)
        }

        fn db(&self) -> Connection {
            let conn = Connection::open(self.0.join("log.sqlite")).expect("open sqlite file");
            migrate(&conn).expect("migrate");
            conn
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const ORIGIN: &str = "scrutineer.example/meeting-1";
    const LOG: &str = "meeting-1";

    fn entry(i: u8) -> Entry {
        Entry::sign(
            EntryKind::BALLOT_BATCH,
            1_000 + u64::from(i),
            AuthorRole::Counter,
            &SigningKey::from_bytes(&[i; 32]),
            &[i; 5],
        )
        .expect("small")
    }

    fn append_all(conn: &mut Connection, entries: &[Entry]) -> Vec<LeafIndex> {
        let tx = conn.transaction().expect("begin");
        let seqs = entries
            .iter()
            .map(|e| append(&tx, LOG, e).expect("append"))
            .collect();
        tx.commit().expect("commit");
        seqs
    }

    fn log_signer() -> LogSigner {
        let key = NoteSigner::new(
            KeyName::new(ORIGIN).expect("valid"),
            SigningKey::from_bytes(&[4; 32]),
        );
        LogSigner::new(ORIGIN, key, None).expect("valid")
    }

    #[test]
    fn the_old_count_trigger_is_replaced_and_the_bound_still_holds() {
        let dir = TempDir::new("store-trigger");
        let mut conn = Connection::open(dir.0.join("log.sqlite")).expect("open");
        // A database made before the change: the same schema with the
        // trigger bounding by COUNT(*).
        conn.execute_batch(&SCHEMA.replace(
            "(SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entry WHERE log = NEW.log)",
            "(SELECT COUNT(*) FROM log_entry WHERE log = NEW.log)",
        ))
        .expect("old schema");
        let trigger = |c: &Connection| -> String {
            c.query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'log_checkpoint_grows'",
                [],
                |r| r.get(0),
            )
            .expect("trigger")
        };
        assert!(trigger(&conn).contains("COUNT(*)"));
        migrate(&conn).expect("migrate");
        assert!(!trigger(&conn).contains("COUNT(*)"), "{}", trigger(&conn));
        migrate(&conn).expect("again: nothing to do");
        append_all(&mut conn, &[entry(1), entry(2), entry(3)]);
        let raw = |size: i64| {
            conn.execute(
                "INSERT INTO log_checkpoint (log, size, note) VALUES (?1, ?2, 'n')",
                params![LOG, size],
            )
        };
        assert!(raw(4).is_err(), "a checkpoint beyond the log");
        raw(3).expect("a checkpoint of the whole log");
        assert!(raw(2).is_err(), "a checkpoint that does not grow");
    }

    #[test]
    fn entries_survive_reopening_and_rebuild_the_same_tree() {
        let dir = TempDir::new("store-roundtrip");
        let written: Vec<Entry> = (0..7).map(entry).collect();
        let mut memory = Tree::new();
        {
            let mut conn = dir.db();
            let seqs = append_all(&mut conn, &written);
            assert_eq!(seqs, (0..7).map(LeafIndex).collect::<Vec<_>>());
            for e in &written {
                memory.append(&e.encode());
            }
        }
        let conn = dir.db(); // migrate again: idempotent
        assert_eq!(size(&conn, LOG).expect("size"), TreeSize(7));
        let tree = load_tree(&conn, LOG).expect("load");
        assert_eq!(tree.root(), memory.root());
        let read = entries(&conn, LOG, 2..5).expect("read");
        assert_eq!(
            read,
            (2..5)
                .map(|i| (LeafIndex(i), written[i as usize].clone()))
                .collect::<Vec<_>>()
        );
        assert_eq!(entries(&conn, LOG, 6..u64::MAX).expect("read").len(), 1);
        assert_eq!(
            entry_bytes(&conn, LOG, LeafIndex(3)).expect("read"),
            Some(written[3].encode())
        );
        assert_eq!(entry_bytes(&conn, LOG, LeafIndex(70)).expect("read"), None);
    }

    #[test]
    fn logs_of_different_meetings_are_independent() {
        let dir = TempDir::new("store-two-logs");
        let mut conn = dir.db();
        append_all(&mut conn, &[entry(0), entry(1)]);
        let tx = conn.transaction().expect("begin");
        assert_eq!(
            append(&tx, "meeting-2", &entry(9)).expect("append"),
            LeafIndex(0)
        );
        tx.commit().expect("commit");
        assert_eq!(size(&conn, LOG).expect("size"), TreeSize(2));
        assert_eq!(size(&conn, "meeting-2").expect("size"), TreeSize(1));
        assert_eq!(
            all_entry_bytes(&conn, "meeting-2").expect("read"),
            vec![entry(9).encode()]
        );
        assert_eq!(
            load_tree(&conn, "meeting-2").expect("load").root(),
            Tree::from_leaf_hashes([entry(9).leaf_hash()]).root()
        );
    }

    #[test]
    fn rolled_back_append_leaves_no_trace() {
        let dir = TempDir::new("store-rollback");
        let mut conn = dir.db();
        append_all(&mut conn, &[entry(0)]);
        {
            let tx = conn.transaction().expect("begin");
            assert_eq!(append(&tx, LOG, &entry(1)).expect("append"), LeafIndex(1));
            // dropped without commit
        }
        assert_eq!(size(&conn, LOG).expect("size"), TreeSize(1));
        append_all(&mut conn, &[entry(2)]);
        assert_eq!(entries(&conn, LOG, 0..10).expect("read")[1].1, entry(2));
    }

    /// Every way to rewrite history through SQL is refused by the database.
    #[test]
    fn database_refuses_to_rewrite_history() {
        let dir = TempDir::new("store-append-only");
        let mut conn = dir.db();
        append_all(&mut conn, &[entry(0), entry(1), entry(2)]);
        let mut signer = log_signer();
        let (_, note) = signer
            .sign_tree(&load_tree(&conn, LOG).expect("load"))
            .expect("sign");
        let tx = conn.transaction().expect("begin");
        record_checkpoint(&tx, LOG, &note).expect("record");
        tx.commit().expect("commit");

        let refused = |sql: &str| {
            let err = conn.execute(sql, []).expect_err(sql);
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        };
        refused("UPDATE log_entry SET bytes = x'00' WHERE seq = 1");
        refused("DELETE FROM log_entry WHERE seq = 2");
        refused("DELETE FROM log_entry");
        refused("INSERT INTO log_entry (log, seq, bytes, leaf_hash) VALUES ('meeting-1', 5, x'00', zeroblob(32))");
        refused("INSERT INTO log_entry (log, seq, bytes, leaf_hash) VALUES ('other', 1, x'00', zeroblob(32))");
        refused("INSERT OR REPLACE INTO log_entry (log, seq, bytes, leaf_hash) VALUES ('meeting-1', 1, x'00', zeroblob(32))");
        refused("UPDATE log_checkpoint SET note = 'x'");
        refused("DELETE FROM log_checkpoint");
        refused(
            "INSERT OR REPLACE INTO log_checkpoint (log, size, note) VALUES ('meeting-1', 3, 'x')",
        );
        refused("INSERT INTO log_checkpoint (log, size, note) VALUES ('meeting-1', 2, 'x')");
        refused("INSERT INTO log_checkpoint (log, size, note) VALUES ('meeting-1', 4, 'x')");
        refused("INSERT INTO log_checkpoint (log, size, note) VALUES ('other', 1, 'x')");
        assert_eq!(load_tree(&conn, LOG).expect("intact").size(), TreeSize(3));
    }

    #[test]
    fn checkpoints_are_recorded_and_resume_the_signer() {
        let dir = TempDir::new("store-checkpoints");
        let mut conn = dir.db();
        assert_eq!(latest_checkpoint(&conn, LOG).expect("read"), None);
        let mut signer = log_signer();
        for batch in [&[entry(0), entry(1)][..], &[entry(2)][..]] {
            let tx = conn.transaction().expect("begin");
            for e in batch {
                append(&tx, LOG, e).expect("append");
            }
            let (_, note) = signer
                .sign_tree(&load_tree(&tx, LOG).expect("load"))
                .expect("sign");
            record_checkpoint(&tx, LOG, &note).expect("record");
            tx.commit().expect("commit");
        }
        let (size, text) = latest_checkpoint(&conn, LOG)
            .expect("read")
            .expect("present");
        assert_eq!(size, TreeSize(3));
        let key = signer.note_signer().verifier_key().clone();
        let (last, _) = Checkpoint::open(&text, ORIGIN, &key).expect("opens");
        assert_eq!(last.root(), load_tree(&conn, LOG).expect("load").root());
        // A restarted signer continues from there.
        let note_signer = NoteSigner::new(
            KeyName::new(ORIGIN).expect("valid"),
            SigningKey::from_bytes(&[4; 32]),
        );
        let resumed = LogSigner::new(ORIGIN, note_signer, Some(&last)).expect("valid");
        assert_eq!(resumed.last_signed(), signer.last_signed());
    }

    #[test]
    fn tampered_rows_are_detected_on_load() {
        let dir = TempDir::new("store-tamper");
        let mut conn = dir.db();
        append_all(&mut conn, &[entry(0), entry(1)]);
        // Someone with the file drops the triggers and edits a row.
        conn.execute_batch(
            "DROP TRIGGER log_entry_no_update; UPDATE log_entry SET bytes = x'00' WHERE seq = 1;",
        )
        .expect("raw edit");
        assert!(matches!(
            load_tree(&conn, LOG),
            Err(StoreError::Corrupt {
                seq: 1,
                reason: "stored leaf hash does not match the bytes"
            })
        ));
        assert!(matches!(
            entries(&conn, LOG, 0..2),
            Err(StoreError::Entry { seq: 1, .. })
        ));
    }
}
