//! Bulk import of ballot-reader files: streaming, validated, batched.
//!
//! A ballot reader exports one row per paper ballot, as CSV (the header names
//! the candidates; see [`crate::rules::ballot_csv`]) or as JSON lines (each
//! line a marks string or a ballot object, as in a round file). The file is
//! read line by line with one reused buffer, so memory stays bounded
//! whatever its size; plain rows are packed straight into 2-bit words;
//! ballots are cut into batches that fit one log entry
//! ([`BatchBuilder::is_full`]) and handed to a sink (the caller appends them
//! to the log inside one SQLite transaction).
//!
//! A file without a single ballot is refused, as a rejected file.
//!
//! Every rejected row is reported with its line (the first
//! [`MAX_REPORTED`] in full, then a count). A file with any rejected row
//! must change nothing: after the first rejection the sink is no longer
//! called and the caller rolls its transaction back.

use std::io::BufRead;

use crate::log::event::{BatchBallots, BatchBuilder};
use crate::rules::ballot;
use crate::rules::ballot_csv::Header;
use crate::rules::round::{Ballot, Mark};
use crate::rules::roundfile::InputError;

/// Rejected rows listed one by one; beyond this only counted.
pub const MAX_REPORTED: usize = 50;

/// The two ballot-reader formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    /// From a file name: `.jsonl` / `.ndjson` are JSON lines, else CSV.
    pub fn from_path(path: &str) -> Format {
        if path.ends_with(".jsonl") || path.ends_with(".ndjson") {
            Format::JsonLines
        } else {
            Format::Csv
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Ballots read (plain + special).
    pub ballots: u64,
    /// Ballots with only Y/N/A marks, packed.
    pub plain: u64,
    /// Ballots with a write-in, an illegible mark or a void reason.
    pub special: u64,
    /// Batches handed to the sink (one log entry each).
    pub batches: u64,
    pub bytes: u64,
}

/// Why an import was refused.
#[derive(Debug)]
pub enum ImportError {
    /// The file could not be read.
    Io(std::io::Error),
    /// Rows that are not valid ballots (at most [`MAX_REPORTED`]), and how
    /// many were rejected in all. Nothing was imported.
    Rejected { rows: Vec<InputError>, total: u64 },
    /// The sink (the log) refused a batch.
    Sink(String),
    /// The file holds no ballot (only a header, or nothing).
    Empty(Format),
}

impl ImportError {
    /// A message naming `file`, each rejected line and what was expected.
    pub fn display_in(&self, file: &str) -> String {
        match self {
            ImportError::Io(e) => format!("{file}: cannot read: {e}"),
            ImportError::Sink(e) => format!("{file}: not imported: {e}"),
            ImportError::Empty(Format::Csv) => format!(
                "{file}: no ballots: the file has a header row but no ballot rows; expected at least one ballot"
            ),
            ImportError::Empty(Format::JsonLines) => {
                format!("{file}: no ballots: the file is empty; expected one ballot per line")
            }
            ImportError::Rejected { rows, total } => {
                let mut s = format!("{file}: {total} rejected row(s); nothing was imported\n");
                for r in rows {
                    s.push_str(&r.display_in(file));
                    s.push('\n');
                }
                if *total > rows.len() as u64 {
                    s.push_str(&format!("… and {} more\n", *total - rows.len() as u64));
                }
                s
            }
        }
    }
}

/// One valid row of a ballot file, handed over in file order.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    /// A plain ballot (only `Y`/`N`/`A` marks), packed as the kernels read
    /// it: 2 bits per line, `ceil(lines/32)` words ([`unpack`] reads it).
    Packed(&'a [u64]),
    /// Any other ballot.
    Ballot(&'a Ballot),
}

/// A packed plain ballot of `lines` lines as the rule engine's ballot.
pub fn unpack(words: &[u64], lines: usize) -> Ballot {
    let marks = (0..lines)
        .map(|i| {
            let word = words.get(i / crate::count::LINES_PER_WORD).copied();
            match word.map(|w| (w >> (2 * (i % crate::count::LINES_PER_WORD))) & 0b11) {
                Some(0b01) => Mark::For,
                Some(0b10) => Mark::Against,
                _ => Mark::Abstain,
            }
        })
        .collect();
    Ballot::marked(marks)
}

/// Import a ballot file for a round with these `candidates`; free names
/// (`names`) are accepted only when `nomination` (RULES §2.1).
///
/// `progress` is called with the bytes read so far, every batch;
/// `sink` receives each full batch and the last partial one.
pub fn import<R: BufRead>(
    reader: R,
    format: Format,
    candidates: &[String],
    nomination: bool,
    progress: &mut dyn FnMut(u64),
    sink: &mut dyn FnMut(BatchBallots) -> Result<(), String>,
) -> Result<Summary, ImportError> {
    let mut builder = BatchBuilder::new(candidates.len());
    let mut batches = 0u64;
    let mut on_row = |row: Row<'_>| -> Result<Option<u64>, String> {
        match row {
            Row::Packed(words) => builder.push_packed(words),
            Row::Ballot(b) => builder.push(b).map_err(|e| e.to_string())?,
        }
        if !builder.is_full() {
            return Ok(None);
        }
        sink(builder.finish())?;
        batches += 1;
        Ok(Some(batches))
    };
    let mut summary = read_rows(
        reader,
        format,
        candidates,
        nomination,
        progress,
        &mut on_row,
    )?;
    if !builder.is_empty() {
        sink(builder.finish()).map_err(ImportError::Sink)?;
        batches += 1;
    }
    summary.batches = batches;
    Ok(summary)
}

/// Reads a ballot file for a round with these `candidates` row by row,
/// validating each, and hands every valid row to `on_row` in file order
/// until the first rejected row (after it, rows are only checked, so that
/// every rejected line is reported). `on_row` answers `Some(n)` when it
/// completed its `n`-th batch (then `progress` is told the bytes read).
/// The summary's `batches` is left for the caller to fill in.
pub fn read_rows<R: BufRead>(
    mut reader: R,
    format: Format,
    candidates: &[String],
    nomination: bool,
    progress: &mut dyn FnMut(u64),
    on_row: &mut dyn FnMut(Row<'_>) -> Result<Option<u64>, String>,
) -> Result<Summary, ImportError> {
    let lines = candidates.len();
    let shape = ballot::Shape {
        lines,
        free_names: nomination,
    };
    let mut words = vec![0u64; lines.div_ceil(crate::count::LINES_PER_WORD).max(1)];
    let mut summary = Summary::default();
    let mut rejected: Vec<InputError> = Vec::new();
    let mut total_rejected = 0u64;
    let mut buf = String::new();
    let mut line_no = 0usize;
    let mut header: Option<Header> = None;
    loop {
        buf.clear();
        let n = reader.read_line(&mut buf).map_err(ImportError::Io)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        summary.bytes += n as u64;
        let row = buf.trim_end_matches(['\n', '\r']);
        if row.trim().is_empty() {
            continue;
        }
        let read = match (format, &header) {
            (Format::Csv, None) => {
                match Header::parse(row, candidates) {
                    Ok(h) => header = Some(h),
                    // Without a header nothing else can be read.
                    Err(e) => {
                        return Err(ImportError::Rejected {
                            rows: vec![e],
                            total: 1,
                        })
                    }
                }
                continue;
            }
            (Format::Csv, Some(h)) => h.read_row(row, line_no, &mut words),
            (Format::JsonLines, _) => match serde_json::from_str::<serde_json::Value>(row) {
                Ok(v) => ballot::from_json(&v, Some(lines))
                    .map(Some)
                    .map_err(|e| InputError::at(line_no, None, e.to_string())),
                Err(e) => Err(InputError::at(line_no, Some(e.column()), e.to_string())),
            },
        };
        // The same reader as every other path: free names only in a
        // nomination round.
        let read = match read {
            Ok(Some(b)) => ballot::fits(&b, shape)
                .map(|()| Some(b))
                .map_err(|e| InputError::at(line_no, None, e.to_string())),
            other => other,
        };
        let done = match read {
            Err(e) => {
                total_rejected += 1;
                if rejected.len() < MAX_REPORTED {
                    rejected.push(e);
                }
                continue;
            }
            Ok(_) if total_rejected > 0 => continue,
            Ok(None) => {
                summary.plain += 1;
                on_row(Row::Packed(&words))
            }
            Ok(Some(ballot)) => {
                let plain = matches!(&ballot, Ballot::Marked { marks, write_ins, names }
                    if write_ins.is_empty() && names.is_empty() && !marks.contains(&Mark::Illegible));
                if plain {
                    summary.plain += 1;
                } else {
                    summary.special += 1;
                }
                on_row(Row::Ballot(&ballot))
            }
        };
        if done.map_err(ImportError::Sink)?.is_some() {
            progress(summary.bytes);
        }
    }
    if format == Format::Csv && header.is_none() {
        return Err(ImportError::Rejected {
            rows: vec![InputError::at(
                1,
                None,
                "empty file; expected a header row of candidate names",
            )],
            total: 1,
        });
    }
    if total_rejected > 0 {
        return Err(ImportError::Rejected {
            rows: rejected,
            total: total_rejected,
        });
    }
    if summary.plain + summary.special == 0 {
        // Nothing to import is a mistake (a wrong or truncated file), not
        // a success that adds nothing to the log.
        return Err(ImportError::Empty(format));
    }
    progress(summary.bytes);
    summary.ballots = summary.plain + summary.special;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    fn run(text: &str, format: Format) -> Result<(Summary, Vec<BatchBallots>), ImportError> {
        let mut batches = Vec::new();
        let s = import(
            text.as_bytes(),
            format,
            &names(&["丁一", "王二"]),
            false,
            &mut |_| {},
            &mut |b| {
                batches.push(b);
                Ok(())
            },
        )?;
        Ok((s, batches))
    }

    #[test]
    fn csv_and_json_lines_give_the_same_batches() {
        let csv = "丁一,王二,void\r\nY,N,\nA,Y,\n,,签名\nN:李七,?,\n";
        let jsonl = "\"YN\"\n\"AY\"\n{\"void\":\"签名\"}\n{\"marks\":\"N?\",\"write_ins\":{\"0\":\"李七\"}}\n";
        let (s1, b1) = run(csv, Format::Csv).unwrap();
        let (s2, b2) = run(jsonl, Format::JsonLines).unwrap();
        assert_eq!(
            (s1.ballots, s1.plain, s1.special),
            (s2.ballots, s2.plain, s2.special)
        );
        assert_eq!((s1.ballots, s1.plain, s1.special, s1.batches), (4, 2, 2, 1));
        assert_eq!(b1, b2);
    }

    #[test]
    fn free_names_only_into_a_nomination_round() {
        let csv = "丁一,王二,names\nY,A,李甲;赵乙\nY,N,\n";
        let go = |nomination: bool| {
            let mut batches = Vec::new();
            import(
                csv.as_bytes(),
                Format::Csv,
                &names(&["丁一", "王二"]),
                nomination,
                &mut |_| {},
                &mut |b| {
                    batches.push(b);
                    Ok(())
                },
            )
            .map(|s| (s, batches))
        };
        let (s, b) = go(true).unwrap();
        assert_eq!((s.plain, s.special), (1, 1));
        assert!(b[0]
            .to_ballots()
            .unwrap()
            .iter()
            .any(|x| matches!(x, Ballot::Marked { names, .. } if names == &["李甲", "赵乙"])));
        match go(false) {
            Err(ImportError::Rejected { rows, .. }) => {
                assert_eq!(rows[0].line, Some(2));
                assert!(rows[0]
                    .message
                    .contains("free names only on nomination ballots"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_rejected_row_is_named_and_nothing_is_sunk() {
        let mut csv = String::from("丁一,王二\n");
        for i in 0..20_000 {
            csv.push_str(if i == 7 || i == 15_000 {
                "Y,Q\n"
            } else {
                "Y,N\n"
            });
        }
        let mut sunk = 0;
        let e = import(
            csv.as_bytes(),
            Format::Csv,
            &names(&["丁一", "王二"]),
            false,
            &mut |_| {},
            &mut |_| {
                sunk += 1;
                Ok(())
            },
        )
        .unwrap_err();
        let ImportError::Rejected { rows, total } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*total, 2);
        assert_eq!(rows[0].line, Some(9));
        assert_eq!(rows[1].line, Some(15_002));
        assert!(e.display_in("b.csv").contains("b.csv:9:2:"));
        // The first rejection came before any batch was full.
        assert_eq!(sunk, 0);
    }

    #[test]
    fn large_files_are_cut_into_entry_sized_batches() {
        let mut csv = String::from("丁一,王二\n");
        for _ in 0..50_000 {
            csv.push_str("Y,N\n");
        }
        let (s, b) = run(&csv, Format::Csv).unwrap();
        assert_eq!(s.ballots, 50_000);
        assert!(b.len() > 5, "{} batches", b.len());
        assert_eq!(b.iter().map(|x| x.len()).sum::<u64>(), 50_000);
        for batch in &b {
            let bytes = crate::log::event::encode(&crate::log::event::Event::BallotBatch {
                round: "r1".into(),
                batch: "import-000001".into(),
                ballots: batch.clone(),
            });
            assert!(bytes.len() < 60 * 1024, "{}", bytes.len());
        }
    }

    #[test]
    fn header_errors_and_empty_files() {
        assert!(matches!(
            run("", Format::Csv),
            Err(ImportError::Rejected { .. })
        ));
        let e = run("丁一,王三\nY,N\n", Format::Csv).unwrap_err();
        assert!(
            e.display_in("x.csv").contains("x.csv:1:2:"),
            "{}",
            e.display_in("x.csv")
        );
        // A file without ballots imports nothing: refused, not a success.
        assert!(matches!(
            run("", Format::JsonLines),
            Err(ImportError::Empty(Format::JsonLines))
        ));
        let e = run("丁一,王二\n\n", Format::Csv).unwrap_err();
        assert!(matches!(e, ImportError::Empty(Format::Csv)), "{e:?}");
        assert!(e.display_in("x.csv").contains("no ballots"));
    }
}
