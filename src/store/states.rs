//! The typed states (`crate::state`) in the state tables: `ToSql` and
//! `FromSql` by their codes (`state/codes.rs`, the one table of them).
//!
//! | enum | column |
//! |---|---|
//! | [`RoundState`] | `ballot_round.state` |
//! | [`BatchState`] | `batch.state` |
//! | [`Resolution`] | `batch_difference.resolution` |
//! | [`Role`] | `person.role` |
//!
//! A code read back that no variant has is an [`UnknownCode`]
//! (`StoreError::Integrity`: the file was altered), never a default and
//! never a panic.

use std::fmt;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::state::{BatchState, Resolution, Role, RoundState};

/// A stored code no enum variant has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    /// What the column holds (`round state`, `role`, ...).
    pub what: &'static str,
    pub code: String,
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the database holds {} {:?}, which no scrutineer writes (the file was altered)",
            self.what, self.code
        )
    }
}

impl std::error::Error for UnknownCode {}

macro_rules! column {
    ($ty:ty, $what:literal) => {
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $ty {
            fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
                let s = v.as_str()?;
                <$ty>::parse(s).ok_or_else(|| {
                    FromSqlError::Other(Box::new(UnknownCode {
                        what: $what,
                        code: s.to_string(),
                    }))
                })
            }
        }
    };
}

column!(RoundState, "round state");
column!(BatchState, "batch state");
column!(Resolution, "resolution");
column!(Role, "role");

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::store::StoreError;

    /// Every variant round-trips through SQLite; an unknown code is an
    /// integrity error.
    fn round_trips<T>(all: &[T])
    where
        T: Copy + PartialEq + fmt::Debug + ToSql + FromSql,
    {
        let conn = Connection::open_in_memory().unwrap();
        for &v in all {
            let text: String = conn.query_row("SELECT ?1", [&v], |r| r.get(0)).unwrap();
            let back: T = conn.query_row("SELECT ?1", [&text], |r| r.get(0)).unwrap();
            assert_eq!(back, v);
        }
        let bad = conn.query_row("SELECT 'draftx'", [], |r| r.get::<_, T>(0));
        match bad.map_err(StoreError::from) {
            Err(StoreError::Integrity(e)) => assert_eq!(e.code, "draftx"),
            other => panic!("an unknown code was read as {other:?}"),
        }
        assert!(conn
            .query_row("SELECT 7", [], |r| r.get::<_, T>(0))
            .is_err());
    }

    #[test]
    fn every_state_column_round_trips_and_no_other_code_is_read() {
        round_trips(&RoundState::ALL);
        round_trips(&BatchState::ALL);
        round_trips(&Resolution::ALL);
        round_trips(&Role::ALL);
    }

    /// A person's role or a batch's state edited in the file: the read
    /// fails with the integrity error, naming the code.
    #[test]
    fn an_edited_role_or_state_is_an_integrity_error() {
        let dir = std::env::temp_dir().join(format!("scrutineer-states-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("edited.sqlite");
        let _ = std::fs::remove_file(&path);
        let conn = crate::store::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO meeting (id, name, body, voting_members, exclusions, entitled, origin, log_key)
               VALUES ('m1', 'm', 'b', 1, '[]', 1, 'o', zeroblob(32));
             INSERT INTO person (meeting, id, role, name) VALUES ('m1', 'p1', 'wizard', 'x');",
        )
        .unwrap();
        let err = crate::store::meeting::people(&conn, "m1").unwrap_err();
        assert!(
            matches!(&err, StoreError::Integrity(e) if e.code == "wizard"),
            "{err:?}"
        );
        assert!(err.to_string().contains("\"wizard\""), "{err}");
        // A batch state past the CHECK constraint (an edited file).
        conn.execute_batch(
            "PRAGMA ignore_check_constraints = ON;
             INSERT INTO election (meeting, id, contest, office, seats) VALUES ('m1', 'e1', 'c', 'committee', 1);
             INSERT INTO ballot_round (meeting, id, election, kind, office, seats, candidates, state)
               VALUES ('m1', 'r1', 'e1', 'formal', 'committee', 1, '[]', 'open');
             INSERT INTO batch (meeting, round, id, state) VALUES ('m1', 'r1', 'b1', 'half_done');",
        )
        .unwrap();
        let err = crate::store::round::batches(&conn, "m1", "r1").unwrap_err();
        assert!(
            matches!(&err, StoreError::Integrity(e) if e.code == "half_done"),
            "{err:?}"
        );
        assert_eq!(
            crate::store::round::round(&conn, "m1", "r1")
                .unwrap()
                .unwrap()
                .state,
            RoundState::Open
        );
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Outside the one table of codes, no state, role or resolution is
    /// compared or assigned as a string: no `== "open"`, `"draft" =>`,
    /// `"reconciled".into()` in the service, the HTTP layer, the reports or
    /// the CLI (JSON keys of the same spelling are fine).
    #[test]
    fn no_state_is_a_string_in_the_layers_above() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root.join("cli.rs")];
        let mut dirs = vec![root.join("service"), root.join("http"), root.join("report")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        // `void` is also a round outcome (`rules::Status`) and the key of a
        // void ballot, `first`/`second` keys of a difference: resolutions
        // are checked for assignments.
        let arms = [RoundState::CODES, BatchState::CODES, Role::CODES].concat();
        let codes = [arms.as_slice(), Resolution::CODES].concat();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let line = line.split("//").next().unwrap_or("");
                for code in &codes {
                    let q = format!("\"{code}\"");
                    let bad = [
                        format!("== {q}"),
                        format!("!= {q}"),
                        format!("{q} =>"),
                        format!("{q} |"),
                        format!("| {q}"),
                        format!("{q}.into()"),
                        format!("{q}.to_string()"),
                        format!("Some({q})"),
                    ];
                    let bad = if arms.contains(code) {
                        &bad[..]
                    } else {
                        &bad[..0]
                    };
                    for b in bad
                        .iter()
                        .chain([&format!("{q}.into()"), &format!("Some({q})")])
                    {
                        assert!(
                            !line.contains(b.as_str()),
                            "{}:{}: a state as a string (`{b}`): {line}",
                            path.display(),
                            n + 1
                        );
                    }
                }
            }
        }
    }
}
