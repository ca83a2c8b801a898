//! Bulk import of a ballot-reader file into an open round.
//!
//! Optical ballot readers count the paper themselves, so their output
//! replaces double entry: the file is streamed through [`crate::import`]
//! (every row validated, every rejected line reported) and each
//! entry-sized chunk becomes one reconciled batch — a `ballot_batch` log
//! entry and a `batch` row — all in ONE transaction with one checkpoint. A
//! file with any rejected row changes nothing.
//!
//! The same function serves `POST …/rounds/{r}/imports` (a scrutineer of
//! the election, the file as the request body) and `scrutineer import`
//! (offline, on the database file while the server is stopped: the server
//! caches each meeting's log and would refuse to sign over entries it did
//! not write).

use std::io::BufRead;

use serde_json::json;

use super::round::{load_round, require_assigned, require_open};
use super::{Actor, Error, Kind, Reply, Service, Stamp};
use crate::import::{import, Format, ImportError, Summary};
use crate::log::event::Event;
use crate::store::{self, round::BatchRow};

/// What an import did, with the checkpoint that includes it.
#[derive(Debug, Clone)]
pub struct Imported {
    pub summary: Summary,
    /// The batch ids written: `<prefix>-00001` …
    pub prefix: String,
    pub checkpoint: Option<Stamp>,
}

/// Where an import goes and who makes it.
#[derive(Debug, Clone, Copy)]
pub struct ImportTarget<'a> {
    pub meeting: &'a str,
    pub round: &'a str,
    /// Who imports: their entries are signed by their key (`None`: the
    /// service itself, for the offline command).
    pub actor: Option<&'a Actor>,
    /// Names the file in error messages.
    pub source: &'a str,
}

impl Service {
    /// Imports `reader` into the open round of `to`.
    pub fn import_ballots(
        &self,
        to: ImportTarget<'_>,
        reader: impl BufRead,
        format: Format,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Imported, Error> {
        let ImportTarget {
            meeting,
            round,
            actor,
            source,
        } = to;
        let role = actor.map(|a| a.role);
        let ((summary, prefix), checkpoint) = self.write_inner(meeting, actor, |tx| {
            let l = load_round(&tx.tx, meeting, round)?;
            require_open(&l.row)?;
            let existing = store::round::batches(&tx.tx, meeting, round)?.len();
            let prefix = format!("imp{}", existing + 1);
            let mut n = 0usize;
            let mut failure: Option<Error> = None;
            let nomination = l.kind == crate::rules::round::RoundKind::Nomination;
            let result = import(
                reader,
                format,
                &l.candidates,
                nomination,
                progress,
                &mut |ballots| {
                    n += 1;
                    let id = format!("{prefix}-{n:05}");
                    let logged = tx
                        .log(
                            role,
                            &Event::BallotBatch {
                                round: round.to_string(),
                                batch: id.clone(),
                                ballots: ballots.clone(),
                            },
                        )
                        .and_then(|index| {
                            let row = BatchRow {
                                id,
                                state: "reconciled".into(),
                                ballots: Some(ballots.len()),
                                reconciled: Some(
                                    serde_json::to_string(&ballots).map_err(Error::internal)?,
                                ),
                                seq: Some(index.0),
                                resolutions: None,
                            };
                            store::round::save_batch(&tx.tx, meeting, round, &row)?;
                            Ok(())
                        });
                    logged.map_err(|e| {
                        let text = e.to_string();
                        failure = Some(e);
                        text
                    })
                },
            );
            match result {
                Ok(summary) if summary.ballots == 0 => Err(Error::new(
                    Kind::Unprocessable,
                    "import_empty",
                    format!("选票文件（{source}）中没有选票，未导入任何内容"),
                    format!("the ballot file ({source}) holds no ballots; nothing was imported"),
                )
                .at(source)),
                Ok(summary) => Ok((summary, prefix)),
                Err(ImportError::Sink(_)) => Err(failure
                    .take()
                    .unwrap_or_else(|| Error::internal("import sink failed"))),
                Err(e) => Err(rejected(&e, source)),
            }
        })?;
        Ok(Imported {
            summary,
            prefix,
            checkpoint,
        })
    }

    /// `POST …/rounds/{r}/imports`: a scrutineer of the election imports a
    /// ballot-reader file sent as the body.
    pub fn import_as(
        &self,
        actor: &Actor,
        round: &str,
        body: &[u8],
        format: Format,
    ) -> Result<Reply, Error> {
        self.read(|conn| {
            let l = load_round(conn, &actor.meeting, round)?;
            require_assigned(conn, actor, &l.row.election)
        })?;
        let to = ImportTarget {
            meeting: &actor.meeting,
            round,
            actor: Some(actor),
            source: "body",
        };
        let done = self.import_ballots(to, body, format, &mut |_| {})?;
        Ok(Reply {
            status: 201,
            body: json!({
                "round": round,
                "ballots": done.summary.ballots,
                "plain": done.summary.plain,
                "special": done.summary.special,
                "batches": done.summary.batches,
                "batch_prefix": done.prefix,
            }),
            checkpoint: done.checkpoint,
            replayed: false,
        })
    }
}

/// A rejected file as a 422 naming every rejected line (up to the limit);
/// `source` names the file in the messages.
fn rejected(e: &ImportError, source: &str) -> Error {
    let detail = e.display_in(source);
    if let ImportError::Empty(_) = e {
        return Error::new(
            Kind::Unprocessable,
            "import_empty",
            format!("选票文件中没有选票，未导入：\n{detail}"),
            format!("the ballot file holds no ballots; nothing was imported:\n{detail}"),
        )
        .at(source);
    }
    let first = match e {
        ImportError::Rejected { rows, .. } => rows.first().map(|r| {
            r.line
                .map(|l| format!("line {l}"))
                .unwrap_or_else(|| "body".into())
        }),
        _ => None,
    };
    let err = Error::new(
        Kind::Unprocessable,
        "import_rejected",
        format!("选票文件有不合格的行，未导入任何选票：\n{detail}"),
        format!("the ballot file has rejected rows; nothing was imported:\n{detail}"),
    );
    match first {
        Some(field) => err.at(&field),
        None => err,
    }
}
