//! Meetings, their people, tokens, elections and assignments.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{i64_of, u64_of, Cached, StoreError};
use crate::state::Role;

/// A meeting row. JSON columns are kept as text; the service parses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRow {
    pub id: String,
    pub name: String,
    /// `members_assembly`, … (snake_case of `log::event::Body`).
    pub body: String,
    pub voting_members: u64,
    /// JSON array of exclusions.
    pub exclusions: String,
    /// `voting_members` minus the approved exclusions.
    pub entitled: u64,
    /// The log's origin line (`scrutineer.local/meeting/<id>`).
    pub origin: String,
    /// The Ed25519 seed of the meeting's log key. Whoever holds the database
    /// file can sign as the log; the file must be protected like a key.
    pub log_key: [u8; 32],
    pub method_preset: Option<String>,
    /// JSON object of overrides.
    pub method_overrides: Option<String>,
    /// JSON of the effective `ElectionMethod`.
    pub method: Option<String>,
    /// The latest check-in count.
    pub present: Option<u64>,
}

fn meeting_of(r: &Row<'_>) -> rusqlite::Result<MeetingRow> {
    let key: Vec<u8> = r.get(7)?;
    let log_key: [u8; 32] = key.try_into().map_err(|_| {
        rusqlite::Error::InvalidColumnType(7, "log_key".into(), rusqlite::types::Type::Blob)
    })?;
    Ok(MeetingRow {
        id: r.get(0)?,
        name: r.get(1)?,
        body: r.get(2)?,
        voting_members: u64_of(r.get(3)?)?,
        exclusions: r.get(4)?,
        entitled: u64_of(r.get(5)?)?,
        origin: r.get(6)?,
        log_key,
        method_preset: r.get(8)?,
        method_overrides: r.get(9)?,
        method: r.get(10)?,
        present: r.get::<_, Option<i64>>(11)?.map(u64_of).transpose()?,
    })
}

const MEETING_COLUMNS: &str = "id, name, body, voting_members, exclusions, entitled, origin, \
     log_key, method_preset, method_overrides, method, present";

pub fn insert_meeting(tx: &Connection, m: &MeetingRow) -> Result<(), StoreError> {
    tx.exec(
        &format!("INSERT INTO meeting ({MEETING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        params![
            m.id,
            m.name,
            m.body,
            i64_of(m.voting_members),
            m.exclusions,
            i64_of(m.entitled),
            m.origin,
            m.log_key.as_slice(),
            m.method_preset,
            m.method_overrides,
            m.method,
            m.present.map(i64_of),
        ],
    )?;
    Ok(())
}

pub fn meeting(conn: &Connection, id: &str) -> Result<Option<MeetingRow>, StoreError> {
    Ok(conn
        .row(
            &format!("SELECT {MEETING_COLUMNS} FROM meeting WHERE id = ?1"),
            [id],
            meeting_of,
        )
        .optional()?)
}

/// Every meeting id, oldest first (by rowless primary key order: by id).
pub fn meeting_ids(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM meeting ORDER BY id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_method(
    tx: &Connection,
    meeting: &str,
    preset: &str,
    overrides: &str,
    method: &str,
) -> Result<(), StoreError> {
    tx.exec(
        "UPDATE meeting SET method_preset = ?2, method_overrides = ?3, method = ?4 WHERE id = ?1",
        params![meeting, preset, overrides, method],
    )?;
    Ok(())
}

pub fn set_present(tx: &Connection, meeting: &str, present: u64) -> Result<(), StoreError> {
    tx.exec(
        "UPDATE meeting SET present = ?2 WHERE id = ?1",
        params![meeting, i64_of(present)],
    )?;
    Ok(())
}

/// Replaces the roster of names checked in (never referenced elsewhere).
pub fn replace_roster(tx: &Connection, meeting: &str, names: &[String]) -> Result<(), StoreError> {
    tx.exec("DELETE FROM roster WHERE meeting = ?1", [meeting])?;
    let mut stmt = tx.prepare_cached("INSERT INTO roster (meeting, name) VALUES (?1, ?2)")?;
    for n in names {
        stmt.execute(params![meeting, n])?;
    }
    Ok(())
}

/// Number of names on the roster.
pub fn roster_len(conn: &Connection, meeting: &str) -> Result<u64, StoreError> {
    let n: i64 = conn.row(
        "SELECT COUNT(*) FROM roster WHERE meeting = ?1",
        [meeting],
        |r| r.get(0),
    )?;
    Ok(u64_of(n)?)
}

/// A person with a role in a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    pub id: String,
    pub role: Role,
    pub name: String,
    /// A scrutineer's cosigning verifier key (C2SP vkey), once registered.
    pub key: Option<String>,
}

fn person_of(r: &Row<'_>) -> rusqlite::Result<PersonRow> {
    Ok(PersonRow {
        id: r.get(0)?,
        role: r.get(1)?,
        name: r.get(2)?,
        key: r.get(3)?,
    })
}

/// Which table a sequential id counts rows of.
#[derive(Debug, Clone, Copy)]
pub enum Sequence {
    Person,
    Token,
    Election,
    Round,
}

/// The next sequential number of `seq` in `meeting` (ids are never
/// deleted, so the count plus one is unused).
pub fn next_number(conn: &Connection, meeting: &str, seq: Sequence) -> Result<u64, StoreError> {
    let sql = match seq {
        Sequence::Person => "SELECT COUNT(*) FROM person WHERE meeting = ?1",
        Sequence::Token => "SELECT COUNT(*) FROM token WHERE meeting = ?1",
        Sequence::Election => "SELECT COUNT(*) FROM election WHERE meeting = ?1",
        Sequence::Round => "SELECT COUNT(*) FROM ballot_round WHERE meeting = ?1",
    };
    let n: i64 = conn.row(sql, [meeting], |r| r.get(0))?;
    Ok(u64_of(n)? + 1)
}

pub fn insert_person(tx: &Connection, meeting: &str, p: &PersonRow) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO person (meeting, id, role, name, key) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![meeting, p.id, p.role, p.name, p.key],
    )?;
    Ok(())
}

pub fn person(conn: &Connection, meeting: &str, id: &str) -> Result<Option<PersonRow>, StoreError> {
    Ok(conn
        .row(
            "SELECT id, role, name, key FROM person WHERE meeting = ?1 AND id = ?2",
            [meeting, id],
            person_of,
        )
        .optional()?)
}

/// People of a meeting in id order (p1, p2, …, p10 by number).
pub fn people(conn: &Connection, meeting: &str) -> Result<Vec<PersonRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, role, name, key FROM person WHERE meeting = ?1
         ORDER BY length(id), id",
    )?;
    let rows = stmt.query_map([meeting], person_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_person_key(
    tx: &Connection,
    meeting: &str,
    id: &str,
    key: &str,
) -> Result<(), StoreError> {
    tx.exec(
        "UPDATE person SET key = ?3 WHERE meeting = ?1 AND id = ?2",
        params![meeting, id, key],
    )?;
    Ok(())
}

/// A token (its value is never stored, only its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub meeting: String,
    pub id: String,
    pub person: String,
    pub revoked: bool,
}

pub fn insert_token(
    tx: &Connection,
    meeting: &str,
    id: &str,
    person: &str,
    hash: &[u8; 32],
) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO token (hash, meeting, id, person) VALUES (?1, ?2, ?3, ?4)",
        params![hash.as_slice(), meeting, id, person],
    )?;
    Ok(())
}

/// The token with this hash and its person.
pub fn token_by_hash(
    conn: &Connection,
    hash: &[u8; 32],
) -> Result<Option<(TokenRow, PersonRow)>, StoreError> {
    Ok(conn
        .row(
            "SELECT t.meeting, t.id, t.person, t.revoked, p.id, p.role, p.name, p.key
             FROM token t JOIN person p ON p.meeting = t.meeting AND p.id = t.person
             WHERE t.hash = ?1",
            [hash.as_slice()],
            |r| {
                Ok((
                    TokenRow {
                        meeting: r.get(0)?,
                        id: r.get(1)?,
                        person: r.get(2)?,
                        revoked: r.get::<_, i64>(3)? != 0,
                    },
                    PersonRow {
                        id: r.get(4)?,
                        role: r.get(5)?,
                        name: r.get(6)?,
                        key: r.get(7)?,
                    },
                ))
            },
        )
        .optional()?)
}

pub fn tokens(conn: &Connection, meeting: &str) -> Result<Vec<TokenRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT meeting, id, person, revoked FROM token WHERE meeting = ?1
         ORDER BY length(id), id",
    )?;
    let rows = stmt.query_map([meeting], |r| {
        Ok(TokenRow {
            meeting: r.get(0)?,
            id: r.get(1)?,
            person: r.get(2)?,
            revoked: r.get::<_, i64>(3)? != 0,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Marks a token revoked; false if there is no such token.
pub fn revoke_token(tx: &Connection, meeting: &str, id: &str) -> Result<bool, StoreError> {
    let n = tx.exec(
        "UPDATE token SET revoked = 1 WHERE meeting = ?1 AND id = ?2",
        [meeting, id],
    )?;
    Ok(n == 1)
}

/// An election (a contest): a pipeline of rounds for some seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionRow {
    pub id: String,
    pub contest: String,
    /// snake_case of `rules::Office`.
    pub office: String,
    pub seats: u64,
    /// JSON array: the list the presidium accepted for the next round.
    pub accepted_list: Option<String>,
}

fn election_of(r: &Row<'_>) -> rusqlite::Result<ElectionRow> {
    Ok(ElectionRow {
        id: r.get(0)?,
        contest: r.get(1)?,
        office: r.get(2)?,
        seats: u64_of(r.get(3)?)?,
        accepted_list: r.get(4)?,
    })
}

pub fn insert_election(tx: &Connection, meeting: &str, e: &ElectionRow) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO election (meeting, id, contest, office, seats, accepted_list)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            meeting,
            e.id,
            e.contest,
            e.office,
            i64_of(e.seats),
            e.accepted_list
        ],
    )?;
    Ok(())
}

pub fn election(
    conn: &Connection,
    meeting: &str,
    id: &str,
) -> Result<Option<ElectionRow>, StoreError> {
    Ok(conn
        .row(
            "SELECT id, contest, office, seats, accepted_list FROM election
             WHERE meeting = ?1 AND id = ?2",
            [meeting, id],
            election_of,
        )
        .optional()?)
}

pub fn elections(conn: &Connection, meeting: &str) -> Result<Vec<ElectionRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, contest, office, seats, accepted_list FROM election WHERE meeting = ?1
         ORDER BY length(id), id",
    )?;
    let rows = stmt.query_map([meeting], election_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_accepted_list(
    tx: &Connection,
    meeting: &str,
    election: &str,
    list: Option<&str>,
) -> Result<(), StoreError> {
    tx.exec(
        "UPDATE election SET accepted_list = ?3 WHERE meeting = ?1 AND id = ?2",
        params![meeting, election, list],
    )?;
    Ok(())
}

pub fn set_election_seats(
    tx: &Connection,
    meeting: &str,
    election: &str,
    seats: u64,
) -> Result<(), StoreError> {
    tx.exec(
        "UPDATE election SET seats = ?3 WHERE meeting = ?1 AND id = ?2",
        params![meeting, election, i64_of(seats)],
    )?;
    Ok(())
}

/// Assigns a person to an election; false if already assigned.
pub fn assign(
    tx: &Connection,
    meeting: &str,
    election: &str,
    person: &str,
) -> Result<bool, StoreError> {
    let n = tx.exec(
        "INSERT OR IGNORE INTO assignment (meeting, election, person) VALUES (?1, ?2, ?3)",
        [meeting, election, person],
    )?;
    Ok(n == 1)
}

/// The people assigned to an election.
pub fn assigned(
    conn: &Connection,
    meeting: &str,
    election: &str,
) -> Result<Vec<PersonRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.role, p.name, p.key FROM assignment a
         JOIN person p ON p.meeting = a.meeting AND p.id = a.person
         WHERE a.meeting = ?1 AND a.election = ?2
         ORDER BY length(p.id), p.id",
    )?;
    let rows = stmt.query_map([meeting, election], person_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The elections a person is assigned to.
pub fn assignments_of(
    conn: &Connection,
    meeting: &str,
    person: &str,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT election FROM assignment WHERE meeting = ?1 AND person = ?2
         ORDER BY length(election), election",
    )?;
    let rows = stmt.query_map([meeting, person], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn is_assigned(
    conn: &Connection,
    meeting: &str,
    election: &str,
    person: &str,
) -> Result<bool, StoreError> {
    let n: i64 = conn.row(
        "SELECT COUNT(*) FROM assignment WHERE meeting = ?1 AND election = ?2 AND person = ?3",
        [meeting, election, person],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}
