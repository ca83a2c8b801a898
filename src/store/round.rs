//! Rounds, paper batches, the counters' entries, double-entry differences
//! and the scrutineers' cosignatures.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{i64_of, u64_of, Cached, StoreError};
use crate::state::{BatchState, Resolution, RoundState};

/// A round. JSON columns are text; the service parses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundRow {
    pub id: String,
    pub election: String,
    /// snake_case of `rules::RoundKind`.
    pub kind: String,
    /// snake_case of `rules::Office`.
    pub office: String,
    pub seats: u64,
    /// JSON array of names in ballot order.
    pub candidates: String,
    pub next_size: Option<u64>,
    pub state: RoundState,
    /// Frozen when the round opens.
    pub entitled: Option<u64>,
    pub present: Option<u64>,
    pub issued: Option<u64>,
    /// Recorded when the round closes.
    pub returned: Option<u64>,
    /// The contract result JSON (as logged in `tally_published`).
    pub result: Option<String>,
    /// Leaf index of the `tally_published` entry.
    pub tally_index: Option<u64>,
    /// Size of the checkpoint signed right after the tally: the one the
    /// scrutineers cosign.
    pub tally_size: Option<u64>,
    /// JSON array of `{person, name, key}`: the scrutineers whose keys were
    /// registered when the round closed (the n of k-of-n).
    pub cosigners: Option<String>,
    /// k of k-of-n.
    pub required: Option<u64>,
    pub certified: bool,
    pub announced: bool,
    /// The round whose decision created this one.
    pub parent: Option<String>,
    /// JSON of the decision that created this round.
    pub origin_decision: Option<String>,
    /// JSON array of the decisions taken on this round's result.
    pub decisions: String,
}

const ROUND_COLUMNS: &str = "id, election, kind, office, seats, candidates, next_size, state, \
     entitled, present, issued, returned, result, tally_index, tally_size, cosigners, required, \
     certified, announced, parent, origin_decision, decisions";

fn opt_u64(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<u64>> {
    r.get::<_, Option<i64>>(i)?.map(u64_of).transpose()
}

fn round_of(r: &Row<'_>) -> rusqlite::Result<RoundRow> {
    Ok(RoundRow {
        id: r.get(0)?,
        election: r.get(1)?,
        kind: r.get(2)?,
        office: r.get(3)?,
        seats: u64_of(r.get(4)?)?,
        candidates: r.get(5)?,
        next_size: opt_u64(r, 6)?,
        state: r.get(7)?,
        entitled: opt_u64(r, 8)?,
        present: opt_u64(r, 9)?,
        issued: opt_u64(r, 10)?,
        returned: opt_u64(r, 11)?,
        result: r.get(12)?,
        tally_index: opt_u64(r, 13)?,
        tally_size: opt_u64(r, 14)?,
        cosigners: r.get(15)?,
        required: opt_u64(r, 16)?,
        certified: r.get::<_, i64>(17)? != 0,
        announced: r.get::<_, i64>(18)? != 0,
        parent: r.get(19)?,
        origin_decision: r.get(20)?,
        decisions: r.get(21)?,
    })
}

/// Inserts a round, or rewrites every column of an existing one.
pub fn save_round(tx: &Connection, meeting: &str, r: &RoundRow) -> Result<(), StoreError> {
    tx.exec(
        &format!(
            "INSERT INTO ballot_round (meeting, {ROUND_COLUMNS}) VALUES
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)
             ON CONFLICT (meeting, id) DO UPDATE SET
               election = excluded.election, kind = excluded.kind, office = excluded.office,
               seats = excluded.seats, candidates = excluded.candidates,
               next_size = excluded.next_size, state = excluded.state,
               entitled = excluded.entitled, present = excluded.present,
               issued = excluded.issued, returned = excluded.returned,
               result = excluded.result, tally_index = excluded.tally_index,
               tally_size = excluded.tally_size, cosigners = excluded.cosigners,
               required = excluded.required, certified = excluded.certified,
               announced = excluded.announced, parent = excluded.parent,
               origin_decision = excluded.origin_decision, decisions = excluded.decisions"
        ),
        params![
            meeting,
            r.id,
            r.election,
            r.kind,
            r.office,
            i64_of(r.seats),
            r.candidates,
            r.next_size.map(i64_of),
            r.state,
            r.entitled.map(i64_of),
            r.present.map(i64_of),
            r.issued.map(i64_of),
            r.returned.map(i64_of),
            r.result,
            r.tally_index.map(i64_of),
            r.tally_size.map(i64_of),
            r.cosigners,
            r.required.map(i64_of),
            r.certified as i64,
            r.announced as i64,
            r.parent,
            r.origin_decision,
            r.decisions,
        ],
    )?;
    Ok(())
}

pub fn round(conn: &Connection, meeting: &str, id: &str) -> Result<Option<RoundRow>, StoreError> {
    Ok(conn
        .row(
            &format!("SELECT {ROUND_COLUMNS} FROM ballot_round WHERE meeting = ?1 AND id = ?2"),
            [meeting, id],
            round_of,
        )
        .optional()?)
}

/// Rounds of a meeting (of one election if given), in creation order.
pub fn rounds(
    conn: &Connection,
    meeting: &str,
    election: Option<&str>,
) -> Result<Vec<RoundRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROUND_COLUMNS} FROM ballot_round
         WHERE meeting = ?1 AND (?2 IS NULL OR election = ?2)
         ORDER BY length(id), id"
    ))?;
    let rows = stmt.query_map(params![meeting, election], round_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether any round of the meeting is in `state`.
pub fn any_round_in(
    conn: &Connection,
    meeting: &str,
    state: RoundState,
) -> Result<bool, StoreError> {
    let n: i64 = conn.row(
        "SELECT COUNT(*) FROM ballot_round WHERE meeting = ?1 AND state = ?2",
        params![meeting, state],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// A paper batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    pub id: String,
    pub state: BatchState,
    /// Ballots counted, once reconciled.
    pub ballots: Option<u64>,
    /// JSON of the reconciled `BatchBallots` (sorted).
    pub reconciled: Option<String>,
    /// Log index of the batch's `ballot_batch` entry, once reconciled (the
    /// order in which batches count, for live releases and the start-up
    /// check).
    pub seq: Option<u64>,
    /// Once reconciled: JSON of how its differences were resolved
    /// (`[{resolution, reason, resolved_by}]`, sorted, without positions
    /// or readings); `None` if the entries agreed.
    pub resolutions: Option<String>,
}

const BATCH_COLUMNS: &str = "id, state, ballots, reconciled, seq, resolutions";

fn batch_of(r: &Row<'_>) -> rusqlite::Result<BatchRow> {
    Ok(BatchRow {
        id: r.get(0)?,
        state: r.get(1)?,
        ballots: opt_u64(r, 2)?,
        reconciled: r.get(3)?,
        seq: opt_u64(r, 4)?,
        resolutions: r.get(5)?,
    })
}

pub fn save_batch(
    tx: &Connection,
    meeting: &str,
    round: &str,
    b: &BatchRow,
) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO batch (meeting, round, id, state, ballots, reconciled, seq, resolutions)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (meeting, round, id) DO UPDATE SET
           state = excluded.state, ballots = excluded.ballots, reconciled = excluded.reconciled,
           seq = excluded.seq, resolutions = excluded.resolutions",
        params![
            meeting,
            round,
            b.id,
            b.state,
            b.ballots.map(i64_of),
            b.reconciled,
            b.seq.map(i64_of),
            b.resolutions
        ],
    )?;
    Ok(())
}

/// The batch labelled `id`, compared without regard to case (through
/// the index `batch_label`: without it, a look-up reads every batch of the
/// round).
pub fn batch(
    conn: &Connection,
    meeting: &str,
    round: &str,
    id: &str,
) -> Result<Option<BatchRow>, StoreError> {
    Ok(conn
        .row(
            &format!(
                "SELECT {BATCH_COLUMNS} FROM batch INDEXED BY batch_label
                 WHERE meeting = ?1 AND round = ?2 AND id = ?3 COLLATE NOCASE"
            ),
            [meeting, round, id],
            batch_of,
        )
        .optional()?)
}

/// Removes a batch that was never reconciled, with its entries and
/// differences (a stray batch a scrutineer discarded).
pub fn discard_batch(
    tx: &Connection,
    meeting: &str,
    round: &str,
    id: &str,
) -> Result<(), StoreError> {
    let key = params![meeting, round, id];
    tx.exec(
        "DELETE FROM batch_difference WHERE meeting = ?1 AND round = ?2 AND batch = ?3",
        key,
    )?;
    tx.exec(
        "DELETE FROM batch_entry WHERE meeting = ?1 AND round = ?2 AND batch = ?3",
        key,
    )?;
    tx.exec(
        "DELETE FROM batch WHERE meeting = ?1 AND round = ?2 AND id = ?3 AND state <> 'reconciled'",
        key,
    )?;
    Ok(())
}

/// Batches of a round, by label.
pub fn batches(conn: &Connection, meeting: &str, round: &str) -> Result<Vec<BatchRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {BATCH_COLUMNS} FROM batch WHERE meeting = ?1 AND round = ?2 ORDER BY id"
    ))?;
    let rows = stmt.query_map([meeting, round], batch_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Counts of a round's batches by state, and the ballots reconciled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub reconciled: u64,
    pub awaiting_second: u64,
    pub differences: u64,
    pub ballots_counted: u64,
}

pub fn batch_counts(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<BatchCounts, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT state, COUNT(*), COALESCE(SUM(ballots), 0) FROM batch
         WHERE meeting = ?1 AND round = ?2 GROUP BY state",
    )?;
    let mut rows = stmt.query([meeting, round])?;
    let mut c = BatchCounts::default();
    while let Some(r) = rows.next()? {
        let state: BatchState = r.get(0)?;
        let n = u64_of(r.get(1)?)?;
        match state {
            BatchState::Reconciled => {
                c.reconciled = n;
                c.ballots_counted = u64_of(r.get(2)?)?;
            }
            BatchState::AwaitingSecond => c.awaiting_second = n,
            BatchState::Differences => c.differences = n,
        }
    }
    Ok(c)
}

/// The ballots a round holds so far, counted or still being read: a
/// reconciled batch's ballots, and for every other batch the larger count
/// of its readings. Kept in `round_held` by triggers on `batch` and
/// `batch_entry` (migration 6), so this is one look-up, not a pass over
/// every batch of the round.
pub fn ballots_read(conn: &Connection, meeting: &str, round: &str) -> Result<u64, StoreError> {
    let n: i64 = conn.row(
        "SELECT COALESCE((SELECT ballots FROM round_held WHERE meeting = ?1 AND round = ?2), 0)",
        [meeting, round],
        |r| r.get(0),
    )?;
    Ok(u64_of(n)?)
}

/// [`ballots_read`] summed over the batches themselves: what `round_held`
/// must always hold (the tests compare them).
#[cfg(test)]
fn ballots_read_summed(conn: &Connection, meeting: &str, round: &str) -> Result<u64, StoreError> {
    let n: i64 = conn.row(
        "SELECT
           (SELECT COALESCE(SUM(ballots), 0) FROM batch
            WHERE meeting = ?1 AND round = ?2 AND state = 'reconciled')
         + (SELECT COALESCE(SUM((SELECT COALESCE(MAX(e.count), 0) FROM batch_entry e
                                 WHERE e.meeting = b.meeting AND e.round = b.round AND e.batch = b.id)), 0)
            FROM batch b
            WHERE b.meeting = ?1 AND b.round = ?2 AND b.state IN ('awaiting_second', 'differences'))",
        [meeting, round],
        |r| r.get(0),
    )?;
    Ok(u64_of(n)?)
}

/// The reconciled `BatchBallots` JSON of every reconciled batch of a round.
pub fn reconciled_ballots(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT reconciled FROM batch
         WHERE meeting = ?1 AND round = ?2 AND state = 'reconciled' ORDER BY id",
    )?;
    let rows = stmt.query_map([meeting, round], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A round's reconciled batches in the order they were reconciled: (label,
/// ballots), by the log index of their `ballot_batch` entry (batches from
/// before that index was kept come first, by label).
pub fn reconciled_batch_order(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<Vec<(String, u64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, COALESCE(ballots, 0) FROM batch
         WHERE meeting = ?1 AND round = ?2 AND state = 'reconciled'
         ORDER BY COALESCE(seq, -1), id",
    )?;
    let rows = stmt.query_map([meeting, round], |r| Ok((r.get(0)?, u64_of(r.get(1)?)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The reconciled `BatchBallots` JSON of one batch.
pub fn reconciled_batch(
    conn: &Connection,
    meeting: &str,
    round: &str,
    id: &str,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .row(
            "SELECT reconciled FROM batch
             WHERE meeting = ?1 AND round = ?2 AND id = ?3 AND state = 'reconciled'",
            [meeting, round, id],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

/// One counter's entry of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    /// 1 (first entry) or 2 (second).
    pub ordinal: u8,
    pub person: String,
    pub count: u64,
    /// JSON array of ballots as entered; `None` once the batch reconciled.
    pub ballots: Option<String>,
    pub digest: String,
    /// Hex; erased (empty) once the batch reconciled.
    pub salt: String,
    /// The `Idempotency-Key` the entry came with: its stored reply is
    /// redacted when the batch reconciles.
    pub idempotency_key: Option<String>,
}

pub fn insert_entry(
    tx: &Connection,
    meeting: &str,
    round: &str,
    batch: &str,
    e: &EntryRow,
) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO batch_entry
           (meeting, round, batch, ordinal, person, count, ballots, digest, salt, idempotency_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            meeting,
            round,
            batch,
            e.ordinal,
            e.person,
            i64_of(e.count),
            e.ballots,
            e.digest,
            e.salt,
            e.idempotency_key
        ],
    )?;
    Ok(())
}

pub fn entries(
    conn: &Connection,
    meeting: &str,
    round: &str,
    batch: &str,
) -> Result<Vec<EntryRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT ordinal, person, count, ballots, digest, salt, idempotency_key FROM batch_entry
         WHERE meeting = ?1 AND round = ?2 AND batch = ?3 ORDER BY ordinal",
    )?;
    let rows = stmt.query_map([meeting, round, batch], |r| {
        Ok(EntryRow {
            ordinal: r.get(0)?,
            person: r.get(1)?,
            count: u64_of(r.get(2)?)?,
            ballots: r.get(3)?,
            digest: r.get(4)?,
            salt: r.get(5)?,
            idempotency_key: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The batches of a round a person entered.
pub fn batches_entered_by(
    conn: &Connection,
    meeting: &str,
    round: &str,
    person: &str,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT batch FROM batch_entry WHERE meeting = ?1 AND round = ?2 AND person = ?3
         ORDER BY batch",
    )?;
    let rows = stmt.query_map([meeting, round, person], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Forgets the readings of a reconciled batch, their salts and the
/// ballot-by-ballot differences: the order in which the counters entered
/// the papers does not survive (the salted digests do, and without the
/// salt they cannot be tested against a guessed order). Run with
/// `secure_delete` on (every connection is), so SQLite zeroes the old
/// bytes; the caller then truncates the WAL ([`super::erase_wal`]).
pub fn erase_entry_ballots(
    tx: &Connection,
    meeting: &str,
    round: &str,
    batch: &str,
) -> Result<(), StoreError> {
    tx.exec(
        "UPDATE batch_entry SET ballots = NULL, salt = ''
         WHERE meeting = ?1 AND round = ?2 AND batch = ?3",
        [meeting, round, batch],
    )?;
    tx.exec(
        "DELETE FROM batch_difference WHERE meeting = ?1 AND round = ?2 AND batch = ?3",
        [meeting, round, batch],
    )?;
    Ok(())
}

/// A ballot the two entries read differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DifferenceRow {
    pub position: u64,
    /// JSON of the first entry's ballot (`None`: that entry had fewer).
    pub first: Option<String>,
    pub second: Option<String>,
    /// `first`, `second`, `void`, or `None` while unresolved.
    pub resolution: Option<Resolution>,
    pub reason: Option<String>,
    pub resolved_by: Option<String>,
}

pub fn insert_difference(
    tx: &Connection,
    meeting: &str,
    round: &str,
    batch: &str,
    d: &DifferenceRow,
) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO batch_difference
           (meeting, round, batch, position, first, second, resolution, reason, resolved_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            meeting,
            round,
            batch,
            i64_of(d.position),
            d.first,
            d.second,
            d.resolution,
            d.reason,
            d.resolved_by
        ],
    )?;
    Ok(())
}

pub fn differences(
    conn: &Connection,
    meeting: &str,
    round: &str,
    batch: &str,
) -> Result<Vec<DifferenceRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT position, first, second, resolution, reason, resolved_by FROM batch_difference
         WHERE meeting = ?1 AND round = ?2 AND batch = ?3 ORDER BY position",
    )?;
    let rows = stmt.query_map([meeting, round, batch], |r| {
        Ok(DifferenceRow {
            position: u64_of(r.get(0)?)?,
            first: r.get(1)?,
            second: r.get(2)?,
            resolution: r.get(3)?,
            reason: r.get(4)?,
            resolved_by: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records the resolution of `d` (its `resolution`, `reason` and
/// `resolved_by`) if the difference at `d.position` is still unresolved;
/// false if there is no unresolved difference there.
pub fn resolve_difference(
    tx: &Connection,
    meeting: &str,
    round: &str,
    batch: &str,
    d: &DifferenceRow,
) -> Result<bool, StoreError> {
    let n = tx.exec(
        "UPDATE batch_difference SET resolution = ?5, reason = ?6, resolved_by = ?7
         WHERE meeting = ?1 AND round = ?2 AND batch = ?3 AND position = ?4
           AND resolution IS NULL",
        params![
            meeting,
            round,
            batch,
            i64_of(d.position),
            d.resolution,
            d.reason,
            d.resolved_by
        ],
    )?;
    Ok(n == 1)
}

/// A scrutineer's accepted cosignature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureRow {
    pub person: String,
    /// The signature line as submitted (`— name base64`).
    pub line: String,
    /// The cosignature's own timestamp (POSIX seconds).
    pub timestamp: u64,
}

pub fn insert_cosignature(
    tx: &Connection,
    meeting: &str,
    round: &str,
    c: &CosignatureRow,
) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO cosignature (meeting, round, person, line, timestamp)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![meeting, round, c.person, c.line, i64_of(c.timestamp)],
    )?;
    Ok(())
}

pub fn cosignatures(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<Vec<CosignatureRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT person, line, timestamp FROM cosignature WHERE meeting = ?1 AND round = ?2
         ORDER BY timestamp, length(person), person",
    )?;
    let rows = stmt.query_map([meeting, round], |r| {
        Ok(CosignatureRow {
            person: r.get(0)?,
            line: r.get(1)?,
            timestamp: u64_of(r.get(2)?)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `round_held` (the triggers of migration 6) always holds what summing
    /// over the batches gives: through first and second readings, batches
    /// reconciled with as many ballots as read or fewer (a resolution that
    /// took the shorter reading), discarded batches (their readings
    /// deleted in one statement), erased readings, and two rounds side by
    /// side; and the migration's own fill of an existing database.
    #[test]
    fn the_ballots_held_follow_every_change_of_a_batch() {
        let dir = std::env::temp_dir().join(format!("scrutineer-held-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("held.sqlite");
        let _ = std::fs::remove_file(&path);
        let conn = crate::store::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO meeting (id, name, body, voting_members, exclusions, entitled, origin, log_key)
               VALUES ('m1', 'm', 'b', 1, '[]', 1, 'o', zeroblob(32));
             INSERT INTO election (meeting, id, contest, office, seats) VALUES ('m1', 'e1', 'c', 'committee', 1);
             INSERT INTO ballot_round (meeting, id, election, kind, office, seats, candidates, state)
               VALUES ('m1', 'r1', 'e1', 'formal', 'committee', 1, '[]', 'open'),
                      ('m1', 'r2', 'e1', 'formal', 'committee', 1, '[]', 'open');",
        )
        .unwrap();
        let entry = |ordinal: u8, count: u64| EntryRow {
            ordinal,
            person: format!("p{ordinal}"),
            count,
            ballots: Some("[]".into()),
            digest: "d".into(),
            salt: "s".into(),
            idempotency_key: None,
        };
        let row = |id: &str, state: BatchState, ballots: Option<u64>| BatchRow {
            id: id.to_string(),
            state,
            ballots,
            reconciled: ballots.map(|_| "{}".to_string()),
            seq: ballots,
            resolutions: None,
        };
        let check = |step: usize| {
            for r in ["r1", "r2"] {
                assert_eq!(
                    ballots_read(&conn, "m1", r).unwrap(),
                    ballots_read_summed(&conn, "m1", r).unwrap(),
                    "round {r} after step {step}"
                );
            }
        };
        // A fixed pseudo-random walk over 40 batches in two rounds.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for step in 0..2_000 {
            let round = if next(2) == 0 { "r1" } else { "r2" };
            let id = format!("b{}", next(40));
            let held = batch(&conn, "m1", round, &id).unwrap();
            let readings = match &held {
                Some(_) => entries(&conn, "m1", round, &id).unwrap(),
                None => Vec::new(),
            };
            match (held.map(|b| b.state), readings.len(), next(4)) {
                (None, _, _) => {
                    save_batch(
                        &conn,
                        "m1",
                        round,
                        &row(&id, BatchState::AwaitingSecond, None),
                    )
                    .unwrap();
                    insert_entry(&conn, "m1", round, &id, &entry(1, 1 + next(50))).unwrap();
                }
                (Some(BatchState::Reconciled), _, _) => {
                    erase_entry_ballots(&conn, "m1", round, &id).unwrap();
                }
                (Some(_), _, 0) => discard_batch(&conn, "m1", round, &id).unwrap(),
                (Some(BatchState::AwaitingSecond), 1, _) => {
                    insert_entry(&conn, "m1", round, &id, &entry(2, 1 + next(50))).unwrap();
                    let state = if next(2) == 0 {
                        BatchState::Differences
                    } else {
                        BatchState::AwaitingSecond
                    };
                    save_batch(&conn, "m1", round, &row(&id, state, None)).unwrap();
                }
                (Some(_), _, _) => {
                    let most = readings.iter().map(|e| e.count).max().unwrap_or(0);
                    let counted = most - next(most.max(1)).min(most);
                    save_batch(
                        &conn,
                        "m1",
                        round,
                        &row(&id, BatchState::Reconciled, Some(counted)),
                    )
                    .unwrap();
                }
            }
            check(step);
        }
        // The migration fills the table from the batches already there.
        let before = ballots_read(&conn, "m1", "r1").unwrap();
        conn.execute_batch(
            "DROP TRIGGER round_held_batch_insert; DELETE FROM round_held; PRAGMA user_version = 5;",
        )
        .unwrap();
        conn.execute_batch(
            "DROP TRIGGER round_held_batch_update; DROP TRIGGER round_held_batch_delete;
             DROP TRIGGER round_held_entry_insert; DROP TRIGGER round_held_entry_delete;
             DROP TRIGGER round_held_entry_update; DROP TABLE round_held;",
        )
        .unwrap();
        crate::store::migrate(&conn).unwrap();
        assert_eq!(ballots_read(&conn, "m1", "r1").unwrap(), before);
        check(usize::MAX);
        let _ = std::fs::remove_file(&path);
    }
}
