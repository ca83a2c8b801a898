//! Persistence: the only module that knows SQL (rusqlite).
//!
//! | module | tables |
//! |---|---|
//! | [`log`] | `log_entry`, `log_checkpoint`: the signed, append-only log of each meeting |
//! | [`meeting`] | `meeting`, `roster`, `person`, `token`, `election`, `assignment` |
//! | [`round`] | `ballot_round`, `batch`, `batch_entry`, `batch_difference`, `cosignature` |
//! | [`stage`] | `round_stage`: a round's own method parts and procedure facts (issue 11) |
//! | [`bundle`] | reads the log tables to export an audit bundle |
//! | [`idempotency`] | `idempotency`: responses of requests that carried an `Idempotency-Key` |
//! | [`states`] | not a table: the codes of every typed state, role and resolution in the columns |
//! | [`sidecar`] | not a table: the last checkpoint issued per meeting, in a file beside the database |
//!
//! The state tables are a projection of the log that is convenient to
//! query; the log is the record. Functions here take a `Connection`; the
//! writes are made inside the service writer's transaction (its group
//! commit, `service::Service::write_inner`), so the caller decides what
//! commits together.
//!
//! Architecture Invariant: nothing in these tables links a ballot to a voter.
//! The roster of names (optional) is a table no other table refers to, and
//! ballots carry no timestamp.
//!
//! Durability: every connection runs in WAL mode with `synchronous=FULL`, so
//! a committed transaction survives a crash or a power cut.

pub mod boxes;
pub mod bundle;
pub mod idempotency;
pub mod log;
pub mod meeting;
pub mod replacement;
pub mod round;
pub mod sidecar;
pub mod stage;
pub mod states;
pub mod totals;
pub mod witness;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Params, Row};

pub use self::log::StoreError;

/// Schema migrations, applied in order; `PRAGMA user_version` is the number
/// applied. Never edit a released migration: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the meeting service.
    "
CREATE TABLE meeting (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    body           TEXT NOT NULL,
    voting_members INTEGER NOT NULL,
    exclusions     TEXT NOT NULL,
    entitled       INTEGER NOT NULL,
    origin         TEXT NOT NULL UNIQUE,
    log_key        BLOB NOT NULL CHECK (length(log_key) = 32),
    method_preset  TEXT,
    method_overrides TEXT,
    method         TEXT,
    present        INTEGER
) WITHOUT ROWID;
-- Names checked in, if the meeting keeps them. Referenced by nothing.
CREATE TABLE roster (
    meeting TEXT NOT NULL REFERENCES meeting(id),
    name    TEXT NOT NULL
);
CREATE TABLE person (
    meeting TEXT NOT NULL REFERENCES meeting(id),
    id      TEXT NOT NULL,
    role    TEXT NOT NULL,
    name    TEXT NOT NULL,
    key     TEXT,
    PRIMARY KEY (meeting, id)
) WITHOUT ROWID;
CREATE TABLE token (
    hash    BLOB PRIMARY KEY CHECK (length(hash) = 32),
    meeting TEXT NOT NULL,
    id      TEXT NOT NULL,
    person  TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    UNIQUE (meeting, id),
    FOREIGN KEY (meeting, person) REFERENCES person(meeting, id)
);
CREATE TABLE election (
    meeting       TEXT NOT NULL REFERENCES meeting(id),
    id            TEXT NOT NULL,
    contest       TEXT NOT NULL,
    office        TEXT NOT NULL,
    seats         INTEGER NOT NULL,
    accepted_list TEXT,
    PRIMARY KEY (meeting, id)
) WITHOUT ROWID;
CREATE TABLE assignment (
    meeting  TEXT NOT NULL,
    election TEXT NOT NULL,
    person   TEXT NOT NULL,
    PRIMARY KEY (meeting, election, person),
    FOREIGN KEY (meeting, election) REFERENCES election(meeting, id),
    FOREIGN KEY (meeting, person) REFERENCES person(meeting, id)
) WITHOUT ROWID;
CREATE TABLE ballot_round (
    meeting     TEXT NOT NULL,
    id          TEXT NOT NULL,
    election    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    office      TEXT NOT NULL,
    seats       INTEGER NOT NULL,
    candidates  TEXT NOT NULL,
    next_size   INTEGER,
    state       TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
    entitled    INTEGER,
    present     INTEGER,
    issued      INTEGER,
    returned    INTEGER,
    result      TEXT,
    tally_index INTEGER,
    tally_size  INTEGER,
    cosigners   TEXT,
    required    INTEGER,
    certified   INTEGER NOT NULL DEFAULT 0,
    announced   INTEGER NOT NULL DEFAULT 0,
    parent      TEXT,
    origin_decision TEXT,
    decisions   TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (meeting, id),
    FOREIGN KEY (meeting, election) REFERENCES election(meeting, id)
) WITHOUT ROWID;
CREATE TABLE batch (
    meeting    TEXT NOT NULL,
    round      TEXT NOT NULL,
    id         TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('awaiting_second', 'differences', 'reconciled')),
    ballots    INTEGER,
    reconciled TEXT,
    PRIMARY KEY (meeting, round, id),
    FOREIGN KEY (meeting, round) REFERENCES ballot_round(meeting, id)
) WITHOUT ROWID;
-- A counter's entry. `ballots` (the reading, in paper order) is erased when
-- the batch is reconciled; the digest stays.
CREATE TABLE batch_entry (
    meeting TEXT NOT NULL,
    round   TEXT NOT NULL,
    batch   TEXT NOT NULL,
    ordinal INTEGER NOT NULL CHECK (ordinal IN (1, 2)),
    person  TEXT NOT NULL,
    count   INTEGER NOT NULL,
    ballots TEXT,
    digest  TEXT NOT NULL,
    salt    TEXT NOT NULL,
    PRIMARY KEY (meeting, round, batch, ordinal),
    UNIQUE (meeting, round, batch, person),
    FOREIGN KEY (meeting, round, batch) REFERENCES batch(meeting, round, id)
) WITHOUT ROWID;
CREATE TABLE batch_difference (
    meeting    TEXT NOT NULL,
    round      TEXT NOT NULL,
    batch      TEXT NOT NULL,
    position   INTEGER NOT NULL,
    first      TEXT,
    second     TEXT,
    resolution TEXT CHECK (resolution IN ('first', 'second', 'void')),
    reason     TEXT,
    resolved_by TEXT,
    PRIMARY KEY (meeting, round, batch, position),
    FOREIGN KEY (meeting, round, batch) REFERENCES batch(meeting, round, id)
) WITHOUT ROWID;
CREATE TABLE cosignature (
    meeting   TEXT NOT NULL,
    round     TEXT NOT NULL,
    person    TEXT NOT NULL,
    line      TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (meeting, round, person),
    FOREIGN KEY (meeting, round) REFERENCES ballot_round(meeting, id)
) WITHOUT ROWID;
CREATE TABLE idempotency (
    meeting      TEXT NOT NULL,
    person       TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    PRIMARY KEY (meeting, person, key)
) WITHOUT ROWID;
",
    // 2: secrecy and start-up integrity (issue 13): the order batches were
    // reconciled in, their resolutions without positions, the key of each
    // entry's stored reply.
    "
ALTER TABLE batch ADD COLUMN seq INTEGER;
ALTER TABLE batch ADD COLUMN resolutions TEXT;
ALTER TABLE batch_entry ADD COLUMN idempotency_key TEXT;
",
    // 3: stages of an election (issue 11): a round's own method parts and
    // procedure facts (groups, papers, stage-size rules, a cadre vote's
    // record), replacement ballots and the number who voted.
    "
CREATE TABLE round_stage (
    meeting   TEXT NOT NULL,
    round     TEXT NOT NULL,
    overrides TEXT,
    method    TEXT,
    facts     TEXT NOT NULL DEFAULT '{}',
    replaced  INTEGER,
    voted     INTEGER,
    PRIMARY KEY (meeting, round),
    FOREIGN KEY (meeting, round) REFERENCES ballot_round(meeting, id)
) WITHOUT ROWID;
",
    // 4: box opening (issue 12): each scrutineer's count of the ballots
    // found in the box (收回选票), in the order entered (store::boxes);
    // rounds counted by hand and their totals (store::totals).
    "
CREATE TABLE box_count (
    meeting  TEXT NOT NULL,
    round    TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    person   TEXT NOT NULL,
    name     TEXT NOT NULL,
    returned INTEGER NOT NULL,
    PRIMARY KEY (meeting, round, seq),
    FOREIGN KEY (meeting, round) REFERENCES ballot_round(meeting, id)
) WITHOUT ROWID;
-- Rounds counted by hand (唱票计票, store::totals): their reconciled
-- totals once two readings agree, and the readings until then.
CREATE TABLE hand_count (
    meeting TEXT NOT NULL,
    round   TEXT NOT NULL,
    counted TEXT,
    PRIMARY KEY (meeting, round),
    FOREIGN KEY (meeting, round) REFERENCES ballot_round(meeting, id)
) WITHOUT ROWID;
CREATE TABLE totals_entry (
    meeting TEXT NOT NULL,
    round   TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    person  TEXT NOT NULL,
    name    TEXT NOT NULL,
    totals  TEXT NOT NULL,
    PRIMARY KEY (meeting, round, seq),
    FOREIGN KEY (meeting, round) REFERENCES ballot_round(meeting, id)
) WITHOUT ROWID;
",
    // 5: the write path under load (issue 15): a batch found by its label
    // without regard to case, and a round's batches by state, with their
    // counts, without reading the batch rows (`store::round::batch`,
    // `ballots_read`, `batch_counts`, `reconciled_batch_order`).
    "
CREATE INDEX batch_label ON batch (meeting, round, id COLLATE NOCASE);
CREATE INDEX batch_state ON batch (meeting, round, state, ballots, seq);
",
    // 6: the ballots a round holds, counted or being read
    // (`store::round::ballots_read`, checked at every entry), kept by
    // triggers instead of summed over every batch of the round at each
    // entry. A batch holds its ballots once reconciled, and until then the
    // larger count of its readings; every change of a batch or a reading
    // adds the difference it makes.
    "
CREATE TABLE round_held (
    meeting TEXT NOT NULL,
    round   TEXT NOT NULL,
    ballots INTEGER NOT NULL,
    PRIMARY KEY (meeting, round)
) WITHOUT ROWID;
INSERT INTO round_held (meeting, round, ballots)
    SELECT b.meeting, b.round, SUM(CASE WHEN b.state = 'reconciled' THEN COALESCE(b.ballots, 0)
       ELSE (SELECT COALESCE(MAX(e.count), 0) FROM batch_entry e
             WHERE e.meeting = b.meeting AND e.round = b.round AND e.batch = b.id) END)
    FROM batch b GROUP BY b.meeting, b.round;
CREATE TRIGGER round_held_batch_insert AFTER INSERT ON batch BEGIN
    INSERT INTO round_held (meeting, round, ballots) VALUES (NEW.meeting, NEW.round, CASE WHEN NEW.state = 'reconciled' THEN COALESCE(NEW.ballots, 0)
       ELSE (SELECT COALESCE(MAX(e.count), 0) FROM batch_entry e
             WHERE e.meeting = NEW.meeting AND e.round = NEW.round AND e.batch = NEW.id) END)
    ON CONFLICT (meeting, round) DO UPDATE SET ballots = ballots + excluded.ballots;
END;
CREATE TRIGGER round_held_batch_update AFTER UPDATE ON batch BEGIN
    INSERT INTO round_held (meeting, round, ballots) VALUES (OLD.meeting, OLD.round, -(CASE WHEN OLD.state = 'reconciled' THEN COALESCE(OLD.ballots, 0)
       ELSE (SELECT COALESCE(MAX(e.count), 0) FROM batch_entry e
             WHERE e.meeting = OLD.meeting AND e.round = OLD.round AND e.batch = OLD.id) END))
    ON CONFLICT (meeting, round) DO UPDATE SET ballots = ballots + excluded.ballots;
    INSERT INTO round_held (meeting, round, ballots) VALUES (NEW.meeting, NEW.round, CASE WHEN NEW.state = 'reconciled' THEN COALESCE(NEW.ballots, 0)
       ELSE (SELECT COALESCE(MAX(e.count), 0) FROM batch_entry e
             WHERE e.meeting = NEW.meeting AND e.round = NEW.round AND e.batch = NEW.id) END)
    ON CONFLICT (meeting, round) DO UPDATE SET ballots = ballots + excluded.ballots;
END;
CREATE TRIGGER round_held_batch_delete AFTER DELETE ON batch BEGIN
    INSERT INTO round_held (meeting, round, ballots) VALUES (OLD.meeting, OLD.round, -(CASE WHEN OLD.state = 'reconciled' THEN COALESCE(OLD.ballots, 0)
       ELSE (SELECT COALESCE(MAX(e.count), 0) FROM batch_entry e
             WHERE e.meeting = OLD.meeting AND e.round = OLD.round AND e.batch = OLD.id) END))
    ON CONFLICT (meeting, round) DO UPDATE SET ballots = ballots + excluded.ballots;
END;
CREATE TRIGGER round_held_entry_insert AFTER INSERT ON batch_entry
WHEN EXISTS (SELECT 1 FROM batch b WHERE b.meeting = NEW.meeting AND b.round = NEW.round
                 AND b.id = NEW.batch AND b.state <> 'reconciled') BEGIN
    INSERT INTO round_held (meeting, round, ballots) VALUES (NEW.meeting, NEW.round, (SELECT COALESCE(MAX(e.count), 0) FROM batch_entry e
          WHERE e.meeting = NEW.meeting AND e.round = NEW.round AND e.batch = NEW.batch) - (SELECT COALESCE(MAX(e.count), 0) FROM batch_entry e WHERE e.meeting = NEW.meeting AND e.round = NEW.round AND e.batch = NEW.batch AND e.ordinal <> NEW.ordinal))
    ON CONFLICT (meeting, round) DO UPDATE SET ballots = ballots + excluded.ballots;
END;
CREATE TRIGGER round_held_entry_delete AFTER DELETE ON batch_entry
WHEN EXISTS (SELECT 1 FROM batch b WHERE b.meeting = OLD.meeting AND b.round = OLD.round
                 AND b.id = OLD.batch AND b.state <> 'reconciled') BEGIN
    INSERT INTO round_held (meeting, round, ballots) VALUES (OLD.meeting, OLD.round, (SELECT COALESCE(MAX(e.count), 0) FROM batch_entry e
          WHERE e.meeting = OLD.meeting AND e.round = OLD.round AND e.batch = OLD.batch) - MAX(OLD.count, (SELECT COALESCE(MAX(e.count), 0) FROM batch_entry e
          WHERE e.meeting = OLD.meeting AND e.round = OLD.round AND e.batch = OLD.batch)))
    ON CONFLICT (meeting, round) DO UPDATE SET ballots = ballots + excluded.ballots;
END;
CREATE TRIGGER round_held_entry_update AFTER UPDATE OF meeting, round, batch, count ON batch_entry BEGIN
    SELECT RAISE(ABORT, 'a reading is never moved or recounted')
    WHERE NEW.meeting <> OLD.meeting OR NEW.round <> OLD.round OR NEW.batch <> OLD.batch
       OR NEW.count <> OLD.count;
END;
",
];

/// Statements kept prepared per connection ([`Cached`]): more than the
/// service's distinct statements, so none is parsed twice.
const STATEMENT_CACHE: usize = 256;

/// Statements through the connection's cache of prepared statements: the
/// writer runs the same few dozen at every change, and parsing them again
/// each time was a tenth of the service's time under load
/// (docs/performance.md, "Meeting service under load").
pub(crate) trait Cached {
    /// `Connection::execute`, prepared once.
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// `Connection::query_row`, prepared once.
    fn row<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// How long a connection waits for another writer's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens (creating if needed) the database at `path` with the durability
/// settings and applies pending migrations.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    migrate(&conn)?;
    Ok(conn)
}

/// Opens another connection to an already migrated database (a reader).
pub fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // The query planner stability guarantee: a plan never depends on the
    // values bound. Without it, the bundled SQLite (STAT4) marks many
    // statements to be prepared again whenever their parameters are
    // cleared — which rusqlite's cache does each time a statement goes
    // back to it — and the cache would save nothing.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    // WAL: readers never block the writer; FULL: fsync at every commit.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt {
            seq: 0,
            reason: "the database cannot use WAL mode",
        });
    }
    // secure_delete: deleted and overwritten content is zeroed in the
    // file, so erased readings and salts leave no bytes behind.
    // temp_store = MEMORY: the journal of each write's savepoint (page
    // images from before the write, readings among them) stays in memory
    // instead of a temporary file — no bytes of it on disk, and no
    // write(2) for every page a write touches.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(())
}

/// The transaction statements of the writer's group commit
/// (`service::Service::write_inner`): one transaction for a group of
/// writes, one savepoint for each write in it.
pub mod group {
    use rusqlite::Connection;

    use super::{Cached, StoreError};

    /// Opens the group's transaction, taking the write lock now.
    pub fn begin(conn: &Connection) -> Result<(), StoreError> {
        Ok(conn.exec("BEGIN IMMEDIATE", []).map(drop)?)
    }

    /// Starts one write's savepoint.
    pub fn savepoint(conn: &Connection) -> Result<(), StoreError> {
        Ok(conn.exec("SAVEPOINT scrutineer_write", []).map(drop)?)
    }

    /// Keeps the write's changes in the group.
    pub fn release(conn: &Connection) -> Result<(), StoreError> {
        Ok(conn.exec("RELEASE scrutineer_write", []).map(drop)?)
    }

    /// Takes back the write's changes (the group's others stay).
    pub fn rollback_write(conn: &Connection) -> Result<(), StoreError> {
        conn.exec("ROLLBACK TO scrutineer_write", [])?;
        Ok(conn.exec("RELEASE scrutineer_write", []).map(drop)?)
    }

    /// Commits the group: durable when this returns (`synchronous=FULL`).
    pub fn commit(conn: &Connection) -> Result<(), StoreError> {
        Ok(conn.exec("COMMIT", []).map(drop)?)
    }

    /// Rolls back whatever is still open of a group that failed.
    pub fn rollback(conn: &Connection) -> Result<(), StoreError> {
        if conn.is_autocommit() {
            return Ok(());
        }
        Ok(conn.execute_batch("ROLLBACK")?)
    }
}

/// After an erasure: copies the WAL into the database file and truncates
/// it to zero bytes, so the page images that held the erased bytes are
/// gone from the WAL file too. Returns false if a reader kept it from
/// completing (the next erasure's checkpoint truncates it then).
pub fn erase_wal(conn: &Connection) -> Result<bool, StoreError> {
    let (busy, _, _): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    Ok(busy == 0)
}

/// The schema version of the database (number of migrations applied).
pub fn schema_version(conn: &Connection) -> Result<usize, StoreError> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(usize::try_from(v).unwrap_or(0))
}

/// Applies the migrations not yet applied, each in its own transaction
/// together with the new `user_version`.
pub fn migrate(conn: &Connection) -> Result<(), StoreError> {
    log::migrate(conn)?;
    witness::migrate_service(conn)?;
    replacement::migrate(conn)?;
    let applied = schema_version(conn)?;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Corrupt {
            seq: applied as u64,
            reason: "the database was written by a newer scrutineer",
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
    }
    Ok(())
}

/// Runs `f` in one read transaction, so everything it reads comes from the
/// same committed state (WAL snapshot isolation).
pub fn snapshot<T, E: From<StoreError>>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E> {
    let tx = conn.unchecked_transaction().map_err(StoreError::from)?;
    let out = f(&tx);
    // Read only: ending it either way releases the snapshot.
    drop(tx);
    out
}

/// A `u64` from an SQLite integer column (never negative in these tables;
/// a negative value means the file was edited).
pub(crate) fn u64_of(v: i64) -> Result<u64, rusqlite::Error> {
    u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, v))
}

/// An SQLite integer from a `u64` count.
pub(crate) fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    /// SQLite before 3.51.3 can corrupt a WAL database when a writer and
    /// readers on several threads race a WAL reset — the service's exact
    /// set-up. The bundled library must be newer.
    #[test]
    fn bundled_sqlite_has_the_wal_reset_fix() {
        let (major, minor, patch) = {
            let v = rusqlite::version_number();
            (v / 1_000_000, v / 1_000 % 1_000, v % 1_000)
        };
        assert!(
            (major, minor, patch) >= (3, 51, 3),
            "bundled SQLite {major}.{minor}.{patch} is older than 3.51.3"
        );
    }
}
