//! Responses of requests that carried an `Idempotency-Key`, stored in the
//! same transaction as the change they made: a retry finds either nothing
//! (the first attempt did not commit) or the original response.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Cached, StoreError};

/// The stored outcome of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// SHA-256 of the request (path and canonical body).
    pub request_hash: Vec<u8>,
    pub status: u16,
    /// The JSON response body.
    pub response: String,
}

pub fn get(
    conn: &Connection,
    meeting: &str,
    person: &str,
    key: &str,
) -> Result<Option<Stored>, StoreError> {
    Ok(conn
        .row(
            "SELECT request_hash, status, response FROM idempotency
             WHERE meeting = ?1 AND person = ?2 AND key = ?3",
            [meeting, person, key],
            |r| {
                Ok(Stored {
                    request_hash: r.get(0)?,
                    status: r.get(1)?,
                    response: r.get(2)?,
                })
            },
        )
        .optional()?)
}

pub fn put(
    tx: &Connection,
    meeting: &str,
    person: &str,
    key: &str,
    stored: &Stored,
) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO idempotency (meeting, person, key, request_hash, status, response)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            meeting,
            person,
            key,
            stored.request_hash,
            stored.status,
            stored.response
        ],
    )?;
    Ok(())
}

/// Replaces the stored request hash and response of a key (a reconciled
/// entry: the hash of its readings and the salt in its reply must not
/// outlive them). Returns whether a record was there.
pub fn redact(
    tx: &Connection,
    meeting: &str,
    person: &str,
    key: &str,
    stored: &Stored,
) -> Result<bool, StoreError> {
    let n = tx.exec(
        "UPDATE idempotency SET request_hash = ?4, status = ?5, response = ?6
         WHERE meeting = ?1 AND person = ?2 AND key = ?3",
        params![
            meeting,
            person,
            key,
            stored.request_hash,
            stored.status,
            stored.response
        ],
    )?;
    Ok(n == 1)
}
