//! The one reader of a ballot (STYLE.md habit 12).
//!
//! Every path a ballot arrives by — a counter's entry over HTTP, a round
//! file, a JSON-lines or CSV ballot file, the log's reconciled batches —
//! brings the ballot's parts here ([`Written`]) and gets the same
//! [`Ballot`] or the same refusal ([`ReadError`]): one set of limits.
//!
//! - marks: one of `Y` `N` `A` `?` per candidate line;
//! - a write-in (另选他人) sits on an existing line, its key a canonical
//!   decimal line index (`"3"`; never `"03"`, `"+3"` or `" 3"`), its name
//!   read by [`name::clean`] (at most [`name::MAX_NAME`] characters);
//! - free names only on a nomination ballot, each read by
//!   [`name::clean`], sorted;
//! - a void ballot is its scrutineers' reason and nothing else (at most
//!   [`name::MAX_TEXT`] characters).
//!
//! [`check_ballot_shape`] holds a read ballot against its round: [`fits`],
//! and on a rated round no write-ins and the rating's marks.
//!
//! What a write-in counts for (beside an against line only, or never, per
//! `ElectionMethod::write_ins` and `write_in_misplaced`) is the rule
//! engine's, at count time, the same for every path: the reader keeps what
//! the paper says. Each path adds its own position to a refusal (the
//! request's `ballots[3].write_ins.1`, a file's line and column).

use std::fmt;

use serde_json::{Map, Value};

use super::name::{self, NameError};
use super::round::{Ballot, BallotError, Round, RoundKind};

/// Why free names are refused outside a nomination round.
pub const NAMES_ONLY_NOMINATION: &str =
    "free names only on nomination ballots; elsewhere use write_ins beside an against line";

/// What a ballot must fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Candidate lines on the ballot.
    pub lines: usize,
    /// Free names may be written (a nomination round, RULES §2.1).
    pub free_names: bool,
}

impl Shape {
    pub fn of(round: &Round) -> Shape {
        Shape {
            lines: round.candidates.len(),
            free_names: round.kind == RoundKind::Nomination,
        }
    }
}

/// A write-in's line as a format gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    /// As written in JSON (`write_ins` keys): read by [`line_key`].
    Text(&'a str),
    /// Already a line (a CSV column).
    Line(usize),
}

/// A ballot's parts as written, before they are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written<'a> {
    /// Declared void, with the scrutineers' reason.
    Void(&'a str),
    Marked {
        /// `None`: not written (allowed only beside free names, for a
        /// nomination without a printed list).
        marks: Option<&'a str>,
        /// (line, name); a name that is not text is `None`.
        write_ins: Vec<(Key<'a>, Option<&'a str>)>,
        names: Vec<&'a str>,
    },
}

/// Where in a ballot a refusal is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// The ballot as a whole.
    Ballot,
    Marks,
    WriteIns,
    /// A write-in, by its key as written.
    WriteIn(String),
    Names,
    /// A free name, by its index as written.
    Name(usize),
    Void,
    /// A field no ballot has.
    Other(String),
}

impl Field {
    /// The path inside the ballot: `marks`, `write_ins.3`, `names[0]`,
    /// `void`; empty for the ballot itself.
    pub fn path(&self) -> String {
        match self {
            Field::Ballot => String::new(),
            Field::Marks => "marks".into(),
            Field::WriteIns => "write_ins".into(),
            Field::WriteIn(k) => format!("write_ins.{k}"),
            Field::Names => "names".into(),
            Field::Name(j) => format!("names[{j}]"),
            Field::Void => "void".into(),
            Field::Other(k) => k.clone(),
        }
    }
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Neither a marks string nor an object.
    NotABallot,
    /// A field no ballot has (the field names it).
    UnknownField,
    /// `sections` on the ballot of one round.
    Sections,
    /// A void ballot with marks, write-ins or names.
    VoidWithOthers,
    /// Expected text here.
    NotText,
    /// `write_ins` is not an object `{line: name}`.
    NotAnObject,
    /// `names` is not a list.
    NotAList,
    /// Neither `marks` nor `void`.
    NoMarks,
    /// A mark that is not Y, N, A or ?, or the wrong number of them.
    Marks(BallotError),
    /// A write-in key that is not a canonical line index below `lines`.
    LineKey { lines: usize },
    /// A write-in on a line the ballot does not have.
    WriteInLine { line: usize, lines: usize },
    /// Free names outside a nomination round.
    FreeNames,
    /// A write-in, free name or reason that [`name::clean`] refuses.
    Text(NameError),
    /// In the log: text that is not in the form the reader gives it
    /// (trimmed, NFC), or free names out of order.
    NotAsRead,
}

/// A ballot the reader refuses: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub field: Field,
    pub problem: Problem,
}

fn refuse<T>(field: Field, problem: Problem) -> Result<T, ReadError> {
    Err(ReadError { field, problem })
}

impl ReadError {
    /// The path inside the ballot ([`Field::path`]).
    pub fn path(&self) -> String {
        self.field.path()
    }

    /// In a party secretary's words.
    pub fn zh(&self) -> String {
        match &self.problem {
            Problem::NotABallot => "每张选票须为标记字符串或对象".into(),
            Problem::UnknownField => format!("未知字段 {}", self.path()),
            Problem::Sections => "只有一张选票印有多项选举时才分 sections".into(),
            Problem::VoidWithOthers => "废票不能再有其他内容".into(),
            Problem::NotText => "须为文字".into(),
            Problem::NotAnObject => "另选他人须为 {行号: 姓名}".into(),
            Problem::NotAList => "自由提名的姓名须为列表".into(),
            Problem::NoMarks => "缺少标记字符串（或废票原因）".into(),
            Problem::Marks(BallotError::WrongLength { expected, found }) => {
                format!("应有 {expected} 个标记（每名候选人一个），实有 {found}")
            }
            Problem::Marks(BallotError::UnknownMark { index, found }) => format!(
                "标记有误：第 {} 个标记 {found:?} 不是 Y（赞成）、N（不赞成）、A（弃权）或 ?（无法辨认）",
                index + 1
            ),
            Problem::Marks(e) => format!("标记有误：{e}"),
            Problem::LineKey { lines } | Problem::WriteInLine { lines, .. } if *lines == 0 => {
                "本轮没有候选人行，不能另选他人；自由提名请写在 names 中".into()
            }
            Problem::LineKey { lines } | Problem::WriteInLine { lines, .. } => format!(
                "另选他人的行号须为 0 到 {} 的整数（不带前导零或正负号）",
                lines - 1
            ),
            Problem::FreeNames => "只有推荐（提名）票才能自由写名字；其他选票请在不赞成的行旁另选他人".into(),
            Problem::Text(NameError::Empty) => match self.field {
                Field::Void => "认定废票须写明理由".into(),
                _ => "姓名不能为空".into(),
            },
            Problem::Text(e) => e.zh(),
            Problem::NotAsRead => "日志中的文字不是读入时的形式".into(),
        }
    }

    /// In English.
    pub fn en(&self) -> String {
        match &self.problem {
            Problem::NotABallot => "expected a marks string like \"YNA\" or an object with `marks`, `write_ins`, `names` or `void`".into(),
            Problem::UnknownField => "unknown field; a ballot has `marks`, `write_ins`, `names` or `void`".into(),
            Problem::Sections => {
                "`sections` only on a paper with several contests (`paper` instead of `round`)".into()
            }
            Problem::VoidWithOthers => {
                "a void ballot has only `void` (the reason); remove `marks`, `write_ins` and `names`".into()
            }
            Problem::NotText => "expected text (a JSON string)".into(),
            Problem::NotAnObject => "expected write_ins as an object {line: name}".into(),
            Problem::NotAList => "expected names as a list of names".into(),
            Problem::NoMarks => "expected `marks` or `void`".into(),
            Problem::Marks(e) => e.to_string(),
            Problem::LineKey { lines: 0 } => "the list has no candidate lines; on a nomination ballot write free names in `names`".into(),
            Problem::LineKey { lines } => format!(
                "not a line index; expected 0 to {} written plainly (no leading zero, no sign)",
                lines - 1
            ),
            Problem::WriteInLine { line, lines } => {
                BallotError::WriteInLine { line: *line, lines: *lines }.to_string()
            }
            Problem::FreeNames => NAMES_ONLY_NOMINATION.into(),
            Problem::Text(NameError::Empty) => match &self.field {
                Field::Void => BallotError::EmptyVoidReason.to_string(),
                Field::WriteIn(k) => format!("write-in on line {k} is empty; expected a name"),
                _ => "empty; expected a name".into(),
            },
            Problem::Text(e) => e.en(),
            Problem::NotAsRead => "not in the form the reader gives it (trimmed, NFC, free names sorted); the service never writes it so".into(),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path().as_str() {
            "" => f.write_str(&self.en()),
            p => write!(f, "{p}: {}", self.en()),
        }
    }
}

impl std::error::Error for ReadError {}

/// A write-in's line from its key: a canonical decimal (`0`, `17`; never
/// `01`, `+1`, ` 1`, `1.0`) below `lines`.
pub fn line_key(key: &str, lines: usize) -> Result<usize, ReadError> {
    let b = key.as_bytes();
    let canonical =
        !b.is_empty() && b.iter().all(u8::is_ascii_digit) && (b[0] != b'0' || b.len() == 1);
    let line = if canonical {
        key.parse::<usize>().ok()
    } else {
        None
    };
    match line {
        Some(l) if l < lines => Ok(l),
        Some(l) => refuse(
            Field::WriteIn(key.to_string()),
            Problem::WriteInLine { line: l, lines },
        ),
        None => refuse(Field::WriteIn(key.to_string()), Problem::LineKey { lines }),
    }
}

fn text(field: Field, s: &str, max: usize) -> Result<String, ReadError> {
    name::clean(s, max).map_err(|e| ReadError {
        field,
        problem: Problem::Text(e),
    })
}

/// The one reader. `lines`: the candidate lines, when known (a round file
/// may give its ballots before its round; [`fits`] checks them then).
pub fn read(w: Written<'_>, lines: Option<usize>) -> Result<Ballot, ReadError> {
    let (marks, write_ins, names) = match w {
        Written::Void(reason) => {
            return Ok(Ballot::Void {
                reason: text(Field::Void, reason, name::MAX_TEXT)?,
            })
        }
        Written::Marked {
            marks,
            write_ins,
            names,
        } => (marks, write_ins, names),
    };
    let mut free = Vec::with_capacity(names.len());
    for (j, n) in names.into_iter().enumerate() {
        free.push(text(Field::Name(j), n, name::MAX_NAME)?);
    }
    free.sort();
    let marks = match marks {
        Some(m) => m,
        None if !free.is_empty() => "",
        None => return refuse(Field::Ballot, Problem::NoMarks),
    };
    let marks = Ballot::parse_marks(marks).map_err(|e| ReadError {
        field: Field::Marks,
        problem: Problem::Marks(e),
    })?;
    if let Some(n) = lines {
        if marks.len() != n {
            return refuse(
                Field::Marks,
                Problem::Marks(BallotError::WrongLength {
                    expected: n,
                    found: marks.len(),
                }),
            );
        }
    }
    let lines = lines.unwrap_or(marks.len());
    let mut ins = Vec::with_capacity(write_ins.len());
    for (key, name) in write_ins {
        let (line, field) = match key {
            Key::Text(k) => (line_key(k, lines)?, Field::WriteIn(k.to_string())),
            Key::Line(l) if l < lines => (l, Field::WriteIn(l.to_string())),
            Key::Line(l) => {
                return refuse(
                    Field::WriteIn(l.to_string()),
                    Problem::WriteInLine { line: l, lines },
                )
            }
        };
        let Some(name) = name else {
            return refuse(field, Problem::NotText);
        };
        ins.push((line, text(field, name, name::MAX_NAME)?));
    }
    ins.sort();
    if let Some(w) = ins.windows(2).find(|w| w[0].0 == w[1].0) {
        // Only a format that gives lines itself could repeat one.
        return refuse(
            Field::WriteIn(w[0].0.to_string()),
            Problem::LineKey { lines },
        );
    }
    Ok(Ballot::Marked {
        marks,
        write_ins: ins,
        names: free,
    })
}

/// Whether a read ballot fits its round: one mark per line, write-ins on
/// existing lines, free names only in a nomination round.
pub fn fits(ballot: &Ballot, shape: Shape) -> Result<(), ReadError> {
    let Ballot::Marked {
        marks,
        write_ins,
        names,
    } = ballot
    else {
        return Ok(());
    };
    if !names.is_empty() && !shape.free_names {
        return refuse(Field::Names, Problem::FreeNames);
    }
    if marks.len() != shape.lines {
        return refuse(
            Field::Marks,
            Problem::Marks(BallotError::WrongLength {
                expected: shape.lines,
                found: marks.len(),
            }),
        );
    }
    if let Some((line, _)) = write_ins.iter().find(|(l, _)| *l >= shape.lines) {
        return refuse(
            Field::WriteIn(line.to_string()),
            Problem::WriteInLine {
                line: *line,
                lines: shape.lines,
            },
        );
    }
    Ok(())
}

/// [`read`] and [`fits`]: a ballot for a round of this shape.
pub fn read_for(w: Written<'_>, shape: Shape) -> Result<Ballot, ReadError> {
    let b = read(w, Some(shape.lines))?;
    fits(&b, shape)?;
    Ok(b)
}

/// One ballot against its round: one mark per candidate, write-ins on
/// existing lines, free names only in a nomination round. The message
/// starts with the ballot's field (`marks: expected 2 marks …`).
pub fn check_ballot_shape(round: &Round, ballot: &Ballot) -> Result<(), String> {
    fits(ballot, Shape::of(round)).map_err(|e| e.to_string())?;
    if let (
        Some(r),
        Ballot::Marked {
            marks, write_ins, ..
        },
    ) = (&round.rating, ballot)
    {
        if !write_ins.is_empty() {
            return Err("write_ins: a rating ballot takes no write-ins".into());
        }
        r.check_marks(marks)?;
    }
    Ok(())
}

/// The parts of a ballot written as JSON: a marks string (`"YNA?"`), or an
/// object with `marks`, `write_ins` (`{line: name}`), `names` (a list) or
/// `void` (the reason, alone). `null` for `write_ins` or `names` is none.
pub fn written(v: &Value) -> Result<Written<'_>, ReadError> {
    let o: &Map<String, Value> = match v {
        Value::String(s) => {
            return Ok(Written::Marked {
                marks: Some(s),
                write_ins: Vec::new(),
                names: Vec::new(),
            })
        }
        Value::Object(o) => o,
        _ => return refuse(Field::Ballot, Problem::NotABallot),
    };
    if let Some(k) = o
        .keys()
        .find(|k| !matches!(k.as_str(), "marks" | "write_ins" | "names" | "void"))
    {
        let problem = if k == "sections" {
            Problem::Sections
        } else {
            Problem::UnknownField
        };
        return refuse(Field::Other(k.clone()), problem);
    }
    let present = |k: &str| o.get(k).is_some_and(|v| !v.is_null());
    if let Some(reason) = o.get("void") {
        if let Some(k) = ["marks", "write_ins", "names"]
            .into_iter()
            .find(|k| present(k))
        {
            return refuse(Field::Other(k.into()), Problem::VoidWithOthers);
        }
        let Value::String(reason) = reason else {
            return refuse(Field::Void, Problem::NotText);
        };
        return Ok(Written::Void(reason));
    }
    let marks = match o.get("marks") {
        None => None,
        Some(Value::String(m)) => Some(m.as_str()),
        Some(_) => return refuse(Field::Marks, Problem::NotText),
    };
    let write_ins = match o.get("write_ins") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(ins)) => ins
            .iter()
            .map(|(k, v)| (Key::Text(k.as_str()), v.as_str()))
            .collect(),
        Some(_) => return refuse(Field::WriteIns, Problem::NotAnObject),
    };
    let names = match o.get("names") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ns)) => {
            let mut out = Vec::with_capacity(ns.len());
            for (j, n) in ns.iter().enumerate() {
                match n {
                    Value::String(n) => out.push(n.as_str()),
                    _ => return refuse(Field::Name(j), Problem::NotText),
                }
            }
            out
        }
        Some(_) => return refuse(Field::Names, Problem::NotAList),
    };
    Ok(Written::Marked {
        marks,
        write_ins,
        names,
    })
}

/// A ballot written as JSON ([`written`], then [`read`]).
pub fn from_json(v: &Value, lines: Option<usize>) -> Result<Ballot, ReadError> {
    read(written(v)?, lines)
}

/// A ballot written as JSON for a round of this shape.
pub fn from_json_for(v: &Value, shape: Shape) -> Result<Ballot, ReadError> {
    read_for(written(v)?, shape)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::round::Mark;

    #[test]
    fn line_keys_are_canonical_decimals() {
        for (key, want) in [
            ("0", Ok(0)),
            ("2", Ok(2)),
            ("3", Err(())),
            ("01", Err(())),
            ("00", Err(())),
            ("+1", Err(())),
            ("-1", Err(())),
            (" 1", Err(())),
            ("1 ", Err(())),
            ("1.0", Err(())),
            ("", Err(())),
            ("１", Err(())),
            ("99999999999999999999999", Err(())),
        ] {
            assert_eq!(line_key(key, 3).map_err(|_| ()), want, "{key:?}");
        }
    }

    fn shape(lines: usize, free_names: bool) -> Shape {
        Shape { lines, free_names }
    }

    #[test]
    fn json_ballots_read_or_refused_at_their_field() {
        let s = shape(3, false);
        let ok = |v: Value| from_json_for(&v, s).unwrap();
        assert_eq!(
            ok(json!("YNA")),
            Ballot::marked(vec![Mark::For, Mark::Against, Mark::Abstain])
        );
        assert_eq!(
            ok(json!({"marks": "YNN", "write_ins": {"2": " 李七 "}})),
            Ballot::Marked {
                marks: vec![Mark::For, Mark::Against, Mark::Against],
                write_ins: vec![(2, "李七".into())],
                names: vec![],
            }
        );
        assert_eq!(
            ok(json!({"void": "签名"})),
            Ballot::Void {
                reason: "签名".into()
            }
        );
        assert_eq!(
            ok(json!({"marks": "YNA", "write_ins": null})),
            ok(json!("YNA"))
        );
        let bad = |v: Value| from_json_for(&v, s).unwrap_err();
        for (v, path) in [
            (json!(7), ""),
            (json!("YN"), "marks"),
            (json!("YNX"), "marks"),
            (
                json!({"marks": "YNN", "write_ins": {"01": "x"}}),
                "write_ins.01",
            ),
            (
                json!({"marks": "YNN", "write_ins": {"+1": "x"}}),
                "write_ins.+1",
            ),
            (
                json!({"marks": "YNN", "write_ins": {"3": "x"}}),
                "write_ins.3",
            ),
            (
                json!({"marks": "YNN", "write_ins": {"1": ""}}),
                "write_ins.1",
            ),
            (
                json!({"marks": "YNN", "write_ins": {"1": 5}}),
                "write_ins.1",
            ),
            (
                json!({"marks": "YNN", "write_ins": {"1": "x".repeat(101)}}),
                "write_ins.1",
            ),
            (json!({"marks": "YNN", "write_ins": ["x"]}), "write_ins"),
            (json!({"marks": "YNN", "names": ["甲"]}), "names"),
            (json!({"marks": "YNN", "colour": "red"}), "colour"),
            (json!({"sections": []}), "sections"),
            (json!({"void": "x", "marks": "YNN"}), "marks"),
            (json!({"void": ""}), "void"),
            (json!({"void": 3}), "void"),
            (json!({"write_ins": {}}), ""),
        ] {
            assert_eq!(bad(v.clone()).path(), path, "{v}");
        }
        // Free names in a nomination round, sorted.
        let n =
            from_json_for(&json!({"marks": "", "names": ["甲", "乙"]}), shape(0, true)).unwrap();
        assert_eq!(
            n,
            Ballot::Marked {
                marks: vec![],
                write_ins: vec![],
                names: vec!["乙".into(), "甲".into()],
            }
        );
    }

    #[test]
    fn the_messages_name_what_was_expected_in_both_languages() {
        let e = from_json_for(
            &json!({"marks": "YNN", "write_ins": {"01": "x"}}),
            shape(3, false),
        )
        .unwrap_err();
        assert!(e.en().contains("no leading zero"), "{e}");
        assert!(e.zh().contains("前导零"), "{}", e.zh());
        assert_eq!(e.to_string(), format!("write_ins.01: {}", e.en()));
    }
}
