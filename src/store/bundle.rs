//! Export of a meeting's audit bundle from the SQLite log.
//!
//! The service calls [`export_bundle`] (to a directory or a `.zip`) or
//! [`bundle_from_db`] (in memory, e.g. to serve
//! `crate::bundle_io::zip_bytes` over HTTP). The log's origin and public
//! key are not stored in the log tables, so the caller passes them: they
//! are the service's own, the ones it signs checkpoints with.
//!
//! Every entry (`log_entry`, by `seq`) and every stored checkpoint note
//! (`log_checkpoint`, by size) goes into the bundle, byte for byte;
//! cosignatures recorded as `result_cosigned` events are added to the
//! note of the checkpoint they sign (see `Bundle::from_log`).

use std::fmt;
use std::path::Path;

use rusqlite::Connection;

use crate::bundle_io::{self, BundleIoError};
use crate::log::bundle::{Bundle, BundleError};
use crate::log::note::VerifierKey;

/// Which log to export, and how it is known to auditors.
#[derive(Clone, Debug)]
pub struct LogIdentity {
    /// The log's id in the `log` column (the meeting id).
    pub log: String,
    /// The origin line of the log's checkpoints.
    pub origin: String,
    /// The log's checkpoint key (type 0x01), as published.
    pub log_key: VerifierKey,
}

/// What was exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportSummary {
    pub entries: u64,
    pub checkpoints: u64,
    pub files: usize,
}

/// Why an export failed.
#[derive(Debug)]
pub enum ExportError {
    Sqlite(rusqlite::Error),
    /// A stored row cannot go into a bundle (an entry that does not
    /// decode, a note that is not a checkpoint).
    Bundle(BundleError),
    Write(BundleIoError),
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Sqlite(e) => write!(f, "reading the log: {e}"),
            ExportError::Bundle(e) => write!(f, "building the bundle: {e}"),
            ExportError::Write(e) => write!(f, "writing the bundle: {e}"),
        }
    }
}

impl std::error::Error for ExportError {}

impl From<rusqlite::Error> for ExportError {
    fn from(e: rusqlite::Error) -> ExportError {
        ExportError::Sqlite(e)
    }
}

/// The audit bundle of the log in `conn`, in memory.
pub fn bundle_from_db(conn: &Connection, log: &LogIdentity) -> Result<Bundle, ExportError> {
    // One read transaction, so entries and checkpoints are a consistent
    // snapshot even while the service appends.
    let tx = conn.unchecked_transaction()?;
    let entries: Vec<Vec<u8>> = tx
        .prepare("SELECT bytes FROM log_entry WHERE log = ?1 ORDER BY seq")?
        .query_map([&log.log], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT size, note FROM log_checkpoint WHERE log = ?1 ORDER BY size")?
        .query_map([&log.log], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    // The witnesses' cosignatures (`store::witness`) go on the notes they
    // sign, as extra signature lines.
    let witnessed = super::witness::cosignature_lines(&tx, &log.log)?;
    tx.finish()?;
    let notes: Vec<String> = rows
        .into_iter()
        .map(|(size, note)| {
            let lines = u64::try_from(size).ok().and_then(|s| witnessed.get(&s));
            match lines {
                Some(lines) => with_lines(&note, lines),
                None => note,
            }
        })
        .collect();
    Bundle::from_log(&log.origin, &log.log_key, &entries, &notes).map_err(ExportError::Bundle)
}

/// `note` with the signature `lines` added (each once), in canonical form;
/// `note` unchanged if the result would not parse.
fn with_lines(note: &str, lines: &[String]) -> String {
    let Ok(mut n) = crate::log::note::Note::parse(note) else {
        return note.to_owned();
    };
    for line in lines {
        let Ok(one) = crate::log::note::Note::parse(&format!("{note}{line}\n")) else {
            continue;
        };
        if let Some(sig) = one.signatures().last() {
            if !n.signatures().contains(sig) {
                n.add_signature(sig.clone());
            }
        }
    }
    n.to_string()
}

/// Writes the audit bundle of the log in `conn` to `out`: a stored zip
/// when `out` ends in `.zip`, else a new (or empty) directory.
pub fn export_bundle(
    conn: &Connection,
    log: &LogIdentity,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    let bundle = bundle_from_db(conn, log)?;
    let parts = bundle.parts();
    let summary = ExportSummary {
        entries: parts.entries.len() as u64,
        checkpoints: parts.checkpoints.len() as u64,
        files: bundle.len(),
    };
    bundle_io::write_bundle(&bundle, out).map_err(ExportError::Write)?;
    Ok(summary)
}

/// Writes the log in `conn` as a tlog-tiles directory at `out` (new, or
/// empty): the bundle's files with its entries as hash tiles and entry
/// bundles, and `checkpoint` (`crate::log::tiles::from_bundle`,
/// `docs/audit-bundle.md` §14). `scrutineer verify` reads it like a bundle.
pub fn export_tiles(
    conn: &Connection,
    log: &LogIdentity,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    let bundle = bundle_from_db(conn, log)?;
    let parts = bundle.parts();
    let tiles = crate::log::tiles::from_bundle(&bundle).map_err(|e| {
        ExportError::Bundle(BundleError::Unexpected {
            path: e.to_string(),
        })
    })?;
    let summary = ExportSummary {
        entries: parts.entries.len() as u64,
        checkpoints: parts.checkpoints.len() as u64,
        files: tiles.len(),
    };
    bundle_io::write_dir(&tiles, out).map_err(ExportError::Write)?;
    Ok(summary)
}
