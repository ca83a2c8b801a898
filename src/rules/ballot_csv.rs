//! Ballot CSV files (`tally --ballots FILE`, ballot-reader exports).
//!
//! Header: the candidate names (any order, each exactly once), optionally a
//! column `names`, optionally a last column `void` (`names` comes before
//! `void`). Each later row is one ballot: cells `Y` `N` `A` `?` or `N:name`
//! (a write-in beside an against line); the `names` cell holds free names
//! written on a nomination ballot, separated by `;` (empty: none; refused
//! outside a nomination round); a non-empty `void` cell makes the row a
//! declared-void ballot with that reason (its other cells may then be
//! empty). Quoted cells follow RFC 4180, without line breaks inside
//! a cell. Errors name the line and the column.

use unicode_normalization::UnicodeNormalization;

use super::ballot::{self, Field, Key, Written};
use super::round::{Ballot, Mark};
use super::roundfile::{mark_of, InputError};

/// Split one CSV record. Quotes may wrap a cell; `""` inside is a quote.
pub fn split_record(line: &str) -> Result<Vec<String>, String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cell.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cell.push(c);
            }
        } else if c == ',' {
            cells.push(std::mem::take(&mut cell));
            was_quoted = false;
        } else if c == '"' && cell.is_empty() && !was_quoted {
            quoted = true;
            was_quoted = true;
        } else {
            cell.push(c);
        }
    }
    if quoted {
        return Err("unterminated quoted cell".into());
    }
    cells.push(cell);
    Ok(cells)
}

/// How the columns of a ballot file map onto the candidate list.
#[derive(Debug, Clone)]
pub struct Header {
    /// For each column, the candidate line it holds (`None` for `names`
    /// and `void`).
    columns: Vec<Option<usize>>,
    lines: usize,
    /// The column of free names, if any.
    names: Option<usize>,
    /// The column of void reasons, if any (always the last).
    void: Option<usize>,
}

impl Header {
    /// Read the header row against the candidate list.
    pub fn parse(record: &str, candidates: &[String]) -> Result<Header, InputError> {
        let cells = split_record(strip_bom(record)).map_err(|e| InputError::at(1, None, e))?;
        let mut columns = Vec::with_capacity(cells.len());
        let mut seen = vec![false; candidates.len()];
        let (mut names_col, mut void_col) = (None, None);
        for (col, cell) in cells.iter().enumerate() {
            // Candidates are stored in NFC; the header is compared in NFC.
            let name: String = cell.trim().nfc().collect();
            let name = name.as_str();
            if name == "void" && col + 1 == cells.len() {
                columns.push(None);
                void_col = Some(col);
                continue;
            }
            let last_but_void = col + 1 == cells.len()
                || (col + 2 == cells.len() && cells[col + 1].trim() == "void");
            if name == "names" && last_but_void && !candidates.iter().any(|c| c == "names") {
                columns.push(None);
                names_col = Some(col);
                continue;
            }
            let Some(line) = candidates.iter().position(|c| c == name) else {
                return Err(InputError::at(
                    1,
                    Some(col + 1),
                    format!(
                        "header column {} is {name:?}, not a candidate of this round; expected one of: {}",
                        col + 1,
                        candidates.join(", ")
                    ),
                ));
            };
            if seen[line] {
                return Err(InputError::at(
                    1,
                    Some(col + 1),
                    format!("candidate {name:?} appears twice in the header"),
                ));
            }
            seen[line] = true;
            columns.push(Some(line));
        }
        if let Some(missing) = seen.iter().position(|s| !s) {
            return Err(InputError::at(
                1,
                None,
                format!(
                    "header has no column for candidate {:?}; expected one column per candidate",
                    candidates[missing]
                ),
            ));
        }
        Ok(Header {
            columns,
            lines: candidates.len(),
            names: names_col,
            void: void_col,
        })
    }

    /// Read one data row; `line_no` is its 1-based line in the file.
    pub fn ballot(&self, record: &str, line_no: usize) -> Result<Ballot, InputError> {
        let cells = split_record(record).map_err(|e| InputError::at(line_no, None, e))?;
        let marks_text: String;
        if cells.len() != self.columns.len() {
            return Err(InputError::at(
                line_no,
                None,
                format!(
                    "{} cells; expected {} (one per header column)",
                    cells.len(),
                    self.columns.len()
                ),
            ));
        }
        // The cells into a ballot's parts; the one reader reads them.
        let void = self
            .void
            .map(|col| cells[col].trim())
            .filter(|r| !r.is_empty());
        let written = match void {
            Some(reason) => Written::Void(reason),
            None => {
                let mut marks = vec!['A'; self.lines];
                let mut write_ins = Vec::new();
                for (col, (cell, target)) in cells.iter().zip(&self.columns).enumerate() {
                    let Some(line) = *target else { continue };
                    let cell = cell.trim();
                    if let Some(name) = cell.strip_prefix("N:") {
                        marks[line] = 'N';
                        write_ins.push((Key::Line(line), Some(name)));
                        continue;
                    }
                    marks[line] = mark_of(cell).map(Mark::as_char).ok_or_else(|| {
                        InputError::at(
                            line_no,
                            Some(col + 1),
                            format!("cell {cell:?}; expected Y, N, A, ? or N:name"),
                        )
                    })?;
                }
                let names = match self.names {
                    Some(col) => cells[col]
                        .split(';')
                        .filter(|n| !n.trim().is_empty())
                        .collect(),
                    None => Vec::new(),
                };
                marks_text = marks.into_iter().collect();
                Written::Marked {
                    marks: Some(&marks_text),
                    write_ins,
                    names,
                }
            }
        };
        ballot::read(written, Some(self.lines)).map_err(|e| {
            let col = match &e.field {
                Field::Void => self.void,
                Field::Names | Field::Name(_) => self.names,
                Field::WriteIn(k) => k
                    .parse::<usize>()
                    .ok()
                    .and_then(|line| self.columns.iter().position(|c| *c == Some(line))),
                _ => None,
            };
            let what = match &e.field {
                Field::WriteIn(_) => "write-in name".to_string(),
                Field::Name(_) | Field::Names => "free name".to_string(),
                f => f.path(),
            };
            InputError::at(line_no, col.map(|c| c + 1), format!("{what}: {}", e.en()))
        })
    }
}

impl Header {
    /// Read one data row straight into packed form when it is plain (only
    /// `Y`/`N`/`A` cells, no quotes, no write-in, no void reason) — the
    /// common case of ballot-reader files, without allocating — and through
    /// [`Header::ballot`] otherwise. `plain` receives the packed words of a
    /// plain ballot (`words.len()` = ceil(lines/32)); other ballots are
    /// returned whole.
    pub fn read_row(
        &self,
        record: &str,
        line_no: usize,
        words: &mut [u64],
    ) -> Result<Option<Ballot>, InputError> {
        // Fastest path: one byte per cell, no spaces (`Y,N,A` or `Y,N,A,`
        // with an empty void column), as ballot readers write them.
        let bytes = record.as_bytes();
        let cells = self.columns.len();
        let has_void = self.columns.last() == Some(&None);
        let plain_len = if has_void {
            2 * cells - 2
        } else {
            2 * cells - 1
        };
        if bytes.len() == plain_len {
            words.iter_mut().for_each(|w| *w = 0);
            let mut ok = true;
            for (col, target) in self.columns.iter().enumerate() {
                let cell = bytes.get(2 * col).copied();
                let sep = bytes.get(2 * col + 1).copied();
                let code = match (target, cell) {
                    (Some(_), Some(b'Y')) => 0b01,
                    (Some(_), Some(b'N')) => 0b10,
                    (Some(_), Some(b'A')) => 0b00,
                    // An empty last `void` cell: "…,A," ends after the comma.
                    (None, None) if col + 1 == cells => 0,
                    _ => {
                        ok = false;
                        break;
                    }
                };
                if col + 1 < cells && sep != Some(b',') {
                    ok = false;
                    break;
                }
                if let Some(line) = target {
                    words[line / 32] |= code << (2 * (line % 32));
                }
            }
            if ok {
                return Ok(None);
            }
        }
        if !record.contains(['"', ':', '?']) {
            words.iter_mut().for_each(|w| *w = 0);
            let mut cells = record.split(',');
            let mut plain = true;
            for target in &self.columns {
                let Some(cell) = cells.next() else {
                    plain = false;
                    break;
                };
                let cell = cell.trim();
                let code = match (target, cell) {
                    (None, "") => continue,
                    (Some(_), "Y") => 0b01,
                    (Some(_), "N") => 0b10,
                    (Some(_), "A") => 0b00,
                    _ => {
                        plain = false;
                        break;
                    }
                };
                if let Some(line) = target {
                    words[line / 32] |= code << (2 * (line % 32));
                }
            }
            if plain && cells.next().is_none() {
                return Ok(None);
            }
        }
        self.ballot(record, line_no).map(Some)
    }
}

fn strip_bom(s: &str) -> &str {
    s.strip_prefix('\u{feff}').unwrap_or(s)
}

/// Parse a whole ballot file held in memory.
pub fn parse(text: &str, candidates: &[String]) -> Result<Vec<Ballot>, InputError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(InputError::at(
            1,
            None,
            "empty file; expected a header row of candidate names",
        ));
    };
    let header = Header::parse(header, candidates)?;
    lines.map(|(i, l)| header.ballot(l, i + 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_marks_write_ins_void_and_column_order() {
        let c = names(&["丁一", "王二", "刘三"]);
        let text = "王二,丁一,刘三,void\nY,N,A,\nN:李七,Y,?,\n,,,选票有签名\n";
        let b = parse(text, &c).unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(
            b[0],
            Ballot::marked(vec![Mark::Against, Mark::For, Mark::Abstain])
        );
        assert_eq!(
            b[1],
            Ballot::Marked {
                marks: vec![Mark::For, Mark::Against, Mark::Illegible],
                write_ins: vec![(1, "李七".into())],
                names: vec![],
            }
        );
        assert_eq!(
            b[2],
            Ballot::Void {
                reason: "选票有签名".into()
            }
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let c = names(&["丁一", "王二"]);
        for (text, line, col, needle) in [
            (
                "丁一,王二\nY,X\n",
                Some(2),
                Some(2),
                "expected Y, N, A, ? or N:name",
            ),
            ("丁一,王三\n", Some(1), Some(2), "not a candidate"),
            ("丁一\n", Some(1), None, "no column for candidate \"王二\""),
            ("丁一,王二\nY\n", Some(2), None, "1 cells; expected 2"),
            ("丁一,王二\nY,\"N\n", Some(2), None, "unterminated"),
            ("", Some(1), None, "empty file"),
        ] {
            let e = parse(text, &c).unwrap_err();
            assert_eq!((e.line, e.column), (line, col), "{text:?}: {e}");
            assert!(e.message.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn fast_rows_agree_with_the_general_reader() {
        let c = names(&["丁一", "王二", "刘三"]);
        let h = Header::parse("王二,丁一,刘三,void", &c).unwrap();
        for row in [
            "Y,N,A,",
            " N , Y ,A,",
            "Y,N,?,",
            "N:李七,Y,A,",
            ",,,签名",
            "Y,N",
            "Y,N,A,,",
            "Y,X,A,",
        ] {
            let mut words = [0u64];
            let fast = h.read_row(row, 2, &mut words);
            let slow = h.ballot(row, 2);
            match (fast, slow) {
                (
                    Ok(None),
                    Ok(Ballot::Marked {
                        marks, write_ins, ..
                    }),
                ) => {
                    assert!(write_ins.is_empty());
                    let mut want = 0u64;
                    for (i, m) in marks.iter().enumerate() {
                        let code = match m {
                            Mark::For => 1,
                            Mark::Against => 2,
                            _ => 0,
                        };
                        want |= code << (2 * i);
                    }
                    assert_eq!(words[0], want, "{row}");
                }
                (Ok(Some(b)), Ok(b2)) => assert_eq!(b, b2, "{row}"),
                (Err(e), Err(e2)) => assert_eq!(e, e2, "{row}"),
                (f, s) => panic!("{row}: fast {f:?} slow {s:?}"),
            }
        }
    }

    proptest::proptest! {
        /// The fast paths never disagree with the general reader.
        #[test]
        fn fast_paths_agree_on_random_rows(row in "[YNA?, :\"x]{0,12}", void in proptest::bool::ANY) {
            let c = names(&["丁一", "王二", "刘三"]);
            let h = Header::parse(if void { "王二,丁一,刘三,void" } else { "王二,丁一,刘三" }, &c).unwrap();
            let mut words = [0u64];
            match (h.read_row(&row, 2, &mut words), h.ballot(&row, 2)) {
                (Ok(None), Ok(Ballot::Marked { marks, write_ins, .. })) => {
                    proptest::prop_assert!(write_ins.is_empty());
                    let mut want = 0u64;
                    for (i, m) in marks.iter().enumerate() {
                        proptest::prop_assert!(*m != Mark::Illegible);
                        want |= match m { Mark::For => 1, Mark::Against => 2, _ => 0 } << (2 * i);
                    }
                    proptest::prop_assert_eq!(words[0], want);
                }
                (Ok(Some(b)), Ok(b2)) => proptest::prop_assert_eq!(b, b2),
                (Err(e), Err(e2)) => proptest::prop_assert_eq!(e, e2),
                (f, s) => proptest::prop_assert!(false, "{:?}: fast {:?} slow {:?}", row, f, s),
            }
        }
    }

    #[test]
    fn quoted_cells() {
        assert_eq!(
            split_record(r#""a,b","say ""hi""",c"#).unwrap(),
            vec!["a,b", "say \"hi\"", "c"]
        );
    }
}
