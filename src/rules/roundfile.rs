//! The round file of CONTRACT §2, parsed at the boundary.
//!
//! Errors carry the line and column where serde_json found them, and a field
//! path (`round.present`, `ballots[3].marks`), so a person can fix the file
//! without reading code. Ballots are checked against the candidate list while
//! they are parsed (when `round` comes before `ballots`, as in every example),
//! so a wrong marks string is reported at its own line.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::ballot;
use super::groups::{Group, Organisation, OrganisationNominees};
use super::method::{ElectionMethod, MethodError};
use super::name;
use super::paper::{Paper, PaperBallot, Section};
use super::record::{Deferral, EarlierResult};
use super::review::{ReviewAction, ReviewDecision};
use super::round::{Ballot, Mark, Office, Round, RoundKind};
use super::stage::{NextRule, StageRatio};

/// A parsed, validated round file.
#[derive(Debug, Clone)]
pub struct RoundFile {
    pub method: ElectionMethod,
    /// The preset and overrides as written, for the record.
    pub method_source: MethodSource,
    pub round: Round,
    pub ballots: Vec<Ballot>,
    /// `round.next_size` given as a stage-size rule (RULES §9.2): the rule
    /// and its base; `round.next_size` holds the size it gives.
    pub next_rule: Option<NextRule>,
    /// The procedures of RULES §9 this round adds (all empty for a plain
    /// round file).
    pub extras: Extras,
}

/// What a round file may add to one round (CONTRACT §2, optional keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extras {
    /// Nomination or evaluation by groups, each with its own electorate
    /// and ballots (`groups`); the round's `ballots` are then empty.
    pub groups: Vec<Group>,
    /// The party organisation's nominees, listed directly (`organisation`).
    pub organisation: Option<Organisation>,
    /// Qualification review of the proposed list (`review`).
    pub review: Vec<ReviewDecision>,
    /// Earlier votes on the nominees of a cadre vote (`record`).
    pub record: Vec<EarlierResult>,
    /// The post of each nominee of a cadre vote, where not the round's
    /// `contest` (`posts`).
    pub posts: std::collections::BTreeMap<String, String>,
    /// Nominees deferred before a cadre vote, not voted (`deferred`).
    pub deferred: Vec<Deferral>,
}

impl Extras {
    pub fn is_empty(&self) -> bool {
        *self == Extras::default()
    }
}

/// `method` as written in the file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodSource {
    pub preset: String,
    #[serde(default)]
    pub overrides: Map<String, Value>,
}

/// Where and what went wrong in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// 1-based line and column, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl InputError {
    pub fn at(line: usize, column: Option<usize>, message: impl Into<String>) -> Self {
        InputError {
            line: Some(line),
            column,
            message: message.into(),
        }
    }

    pub fn nowhere(message: impl Into<String>) -> Self {
        InputError {
            line: None,
            column: None,
            message: message.into(),
        }
    }

    fn from_json(e: serde_json::Error) -> Self {
        let text = e.to_string();
        // serde_json appends " at line L column C"; we print it as a prefix.
        let message = match text.rfind(" at line ") {
            Some(i) => text[..i].to_string(),
            None => text,
        };
        let line = (e.line() > 0).then_some(e.line());
        let column = (e.column() > 0).then_some(e.column());
        InputError {
            line,
            column,
            message,
        }
    }

    /// `FILE:LINE:COLUMN: message`, the form editors jump to.
    pub fn display_in(&self, file: &str) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}: {}", self.message),
            (Some(l), None) => format!("{file}:{l}: {}", self.message),
            _ => format!("{file}: {}", self.message),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_in("input"))
    }
}

impl std::error::Error for InputError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRound {
    kind: RoundKind,
    #[serde(default)]
    office: Office,
    #[serde(default)]
    contest: String,
    seats: u64,
    candidates: Vec<String>,
    entitled: u64,
    present: u64,
    issued: Option<u64>,
    returned: Option<u64>,
    next_size: Option<RawNextSize>,
    /// 更换选票: spoiled ballots taken back and replaced (default 0).
    #[serde(default)]
    replaced: u64,
    /// 投票人数 as recorded (default min(present, issued)).
    voted: Option<u64>,
    /// A runoff's: the kind of round whose tie it resolves (default formal).
    resolves: Option<RoundKind>,
    /// An evaluation by levels or items (RULES §2.2): `candidates` are the
    /// people; the ballots' marks are the cells (`rules::rating`).
    rating: Option<super::rating::RatingSpec>,
}

/// `next_size` as written: a number, or a stage-size rule and its base
/// (`{"ratio": {"kind": "times", "num": 2, "den": 1}, "of": 5}`, RULES §9.2).
enum RawNextSize {
    Count(u64),
    Rule(RawNextRule),
}

impl<'de> Deserialize<'de> for RawNextSize {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const EXPECTED: &str = "expected a number, or a rule and its base such as {\"ratio\": {\"kind\": \"times\", \"num\": 2, \"den\": 1}, \"of\": 5}";
        match Value::deserialize(d)? {
            Value::Number(n) => match n.as_u64() {
                Some(n) => Ok(RawNextSize::Count(n)),
                None => Err(de::Error::custom(format!(
                    "next_size: {n} is not a count; {EXPECTED}"
                ))),
            },
            v @ Value::Object(_) => serde_json::from_value(v)
                .map(RawNextSize::Rule)
                .map_err(|e| de::Error::custom(format!("next_size: {e}; {EXPECTED}"))),
            _ => Err(de::Error::custom(format!("next_size: {EXPECTED}"))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNextRule {
    ratio: StageRatio,
    of: u64,
}

/// The size and, when given by a rule, the rule (`path` names the field).
fn next_size<E: de::Error>(
    raw: Option<RawNextSize>,
    path: &str,
) -> Result<(Option<u64>, Option<NextRule>), E> {
    match raw {
        None => Ok((None, None)),
        Some(RawNextSize::Count(n)) => Ok((Some(n), None)),
        Some(RawNextSize::Rule(r)) => {
            if r.of > super::limits::MAX_COUNT {
                return Err(E::custom(format!(
                    "{path}.of: {}",
                    super::limits::too_large_message(r.of)
                )));
            }
            let rule = NextRule::new(r.ratio, r.of)
                .map_err(|e| E::custom(format!("{path}.ratio: {e}")))?;
            Ok((Some(rule.size.min), Some(rule)))
        }
    }
}

/// A contest's printed name, cleaned (empty stays empty).
fn clean_contest<E: de::Error>(contest: &str, path: &str) -> Result<String, E> {
    match contest.trim() {
        "" => Ok(String::new()),
        c => name::clean(c, name::MAX_TEXT).map_err(|e| E::custom(format!("{path}: {e}"))),
    }
}

/// Candidate names, cleaned; an empty name is kept empty for
/// `Round::validate` to report.
fn clean_candidates<E: de::Error>(raw: &[String], path: &str) -> Result<Vec<String>, E> {
    let mut candidates = Vec::with_capacity(raw.len());
    for (i, c) in raw.iter().enumerate() {
        match name::clean(c, name::MAX_NAME) {
            Ok(c) => candidates.push(c),
            Err(name::NameError::Empty) => candidates.push(String::new()),
            Err(e) => return Err(E::custom(format!("{path}[{i}]: {e}"))),
        }
    }
    Ok(candidates)
}

/// Deserialises and validates a round, so serde_json reports the position.
struct ValidRound(Round, Option<NextRule>);

/// Prefix a nested error with its field path, dropping serde_json's position
/// suffix (the outer error carries the position again).
fn within<E: de::Error>(path: &str, e: impl fmt::Display) -> E {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => &text,
    };
    E::custom(format!("{path}: {text}"))
}

impl<'de> Deserialize<'de> for ValidRound {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawRound::deserialize(d).map_err(|e| within::<D::Error>("round", e))?;
        let contest = clean_contest(&raw.contest, "round.contest")?;
        let candidates = clean_candidates(&raw.candidates, "round.candidates")?;
        let (next_size, next_rule) = next_size(raw.next_size, "round.next_size")?;
        let rating = match &raw.rating {
            None => None,
            Some(spec) => Some(
                super::rating::Rating::new(&candidates, spec)
                    .map_err(|e| de::Error::custom(format!("round.rating.{e}")))?,
            ),
        };
        let candidates = rating.as_ref().map_or(candidates, |r| r.cells());
        let round = Round {
            kind: raw.kind,
            office: raw.office,
            contest,
            seats: raw.seats,
            candidates,
            entitled: raw.entitled,
            present: raw.present,
            issued: raw.issued.unwrap_or(raw.present),
            returned: raw.returned,
            next_size,
            replaced: raw.replaced,
            voted: raw.voted,
            resolves: raw.resolves,
            rating,
        };
        round.validate().map_err(de::Error::custom)?;
        Ok(ValidRound(round, next_rule))
    }
}

struct ValidMethod(ElectionMethod, MethodSource);

impl<'de> Deserialize<'de> for ValidMethod {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let src = MethodSource::deserialize(d).map_err(|e| within::<D::Error>("method", e))?;
        let m = ElectionMethod::from_preset(&src.preset, &src.overrides).map_err(|e| match e {
            MethodError::UnknownPreset { .. } => de::Error::custom(format!("method.preset: {e}")),
            _ => de::Error::custom(format!("method.overrides: {e}")),
        })?;
        Ok(ValidMethod(m, src))
    }
}

/// A ballot as written in the file: JSON, read by the one reader
/// ([`super::ballot`]) once its shape is known.
type RawBallot = Value;

/// One ballot as written into a checked [`Ballot`] (the one reader,
/// [`super::ballot::from_json`]); `lines` is the number of candidates when
/// known ([`ballot::check_ballot_shape`] checks the rest once the round is read).
fn check_ballot(raw: &RawBallot, lines: Option<usize>) -> Result<Ballot, String> {
    ballot::from_json(raw, lines).map_err(|e| e.to_string())
}

struct BallotsSeed {
    lines: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for BallotsSeed {
    type Value = Vec<Ballot>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<Ballot>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BallotsSeed {
    type Value = Vec<Ballot>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of ballots")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Ballot>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let i = out.len();
            let raw: Option<RawBallot> = seq
                .next_element()
                .map_err(|e: A::Error| within::<A::Error>(&format!("ballots[{i}]"), e))?;
            let Some(raw) = raw else { break };
            let ballot = check_ballot(&raw, self.lines)
                .map_err(|e| de::Error::custom(format!("ballots[{i}]: {e}")))?;
            out.push(ballot);
        }
        Ok(out)
    }
}

/// Everything a round file may hold, as read (CONTRACT §2 and its
/// optional extensions).
#[derive(Default)]
struct Parts {
    method: Option<ValidMethod>,
    round: Option<(Round, Option<NextRule>)>,
    ballots: Option<Vec<Ballot>>,
    /// Ballots read before `round` or `paper` (JSON writers that sort keys
    /// put `ballots` first): checked when the shape is known.
    early: Option<Vec<EarlyBallot>>,
    paper: Option<Paper>,
    paper_ballots: Option<Vec<PaperBallot>>,
    groups: Option<Vec<RawGroup>>,
    organisation: Option<RawOrganisation>,
    review: Option<Vec<RawReview>>,
    record: Option<Vec<RawEarlier>>,
    posts: Option<std::collections::BTreeMap<String, String>>,
    deferred: Option<Vec<RawDeferral>>,
}

/// A ballot read before the file's shape is known: a plain ballot is
/// checked at once (so its error carries its line); one written as a
/// paper's (`|` between sections, or `sections`) waits for `paper`.
enum EarlyBallot {
    Plain(Ballot),
    PaperShaped(RawBallot),
}

fn paper_shaped(raw: &RawBallot) -> bool {
    match raw {
        Value::String(m) => m.contains('|'),
        Value::Object(o) => o.contains_key("sections"),
        _ => false,
    }
}

struct EarlyBallotsSeed;

impl<'de> DeserializeSeed<'de> for EarlyBallotsSeed {
    type Value = Vec<EarlyBallot>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EarlyBallotsSeed {
    type Value = Vec<EarlyBallot>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of ballots")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        loop {
            let i = out.len();
            let raw: Option<RawBallot> = seq
                .next_element()
                .map_err(|e: A::Error| within::<A::Error>(&format!("ballots[{i}]"), e))?;
            let Some(raw) = raw else { break };
            if paper_shaped(&raw) {
                out.push(EarlyBallot::PaperShaped(raw));
            } else {
                let ballot = check_ballot(&raw, None)
                    .map_err(|e| de::Error::custom(format!("ballots[{i}]: {e}")))?;
                out.push(EarlyBallot::Plain(ballot));
            }
        }
        Ok(out)
    }
}

/// The keys of a round file, for the unknown-key message.
const FILE_KEYS: &str = "`method`, `round` or `paper`, and `ballots`; optionally `groups`, `organisation`, `review`, `record`, `posts`, `deferred`";

struct FileVisitor;

impl<'de> Visitor<'de> for FileVisitor {
    type Value = Parts;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a round file: an object with `method`, `round` (or `paper`) and `ballots`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut p = Parts::default();
        let twice = |key: &str| de::Error::custom(format!("`{key}` appears twice"));
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "method" if p.method.is_none() => p.method = Some(map.next_value::<ValidMethod>()?),
                "round" if p.round.is_none() => {
                    if p.paper.is_some() {
                        return Err(de::Error::custom(
                            "`round` and `paper` both given; a file holds one round, or one paper with sections",
                        ));
                    }
                    let ValidRound(r, rule) = map.next_value::<ValidRound>()?;
                    p.round = Some((r, rule));
                }
                "paper" if p.paper.is_none() => {
                    if p.round.is_some() {
                        return Err(de::Error::custom(
                            "`round` and `paper` both given; a file holds one round, or one paper with sections",
                        ));
                    }
                    p.paper = Some(map.next_value::<ValidPaper>()?.0);
                }
                "ballots"
                    if p.ballots.is_none() && p.paper_ballots.is_none() && p.early.is_none() =>
                {
                    if let Some(paper) = &p.paper {
                        let lines = paper.sections.iter().map(|s| s.candidates.len()).collect();
                        p.paper_ballots = Some(map.next_value_seed(PaperBallotsSeed { lines })?);
                    } else if let Some((round, _)) = &p.round {
                        let lines = Some(round.candidates.len());
                        p.ballots = Some(map.next_value_seed(BallotsSeed { lines })?);
                    } else {
                        p.early = Some(map.next_value_seed(EarlyBallotsSeed)?);
                    }
                }
                "groups" if p.groups.is_none() => {
                    p.groups = Some(map.next_value_seed(GroupsSeed)?);
                }
                "organisation" if p.organisation.is_none() => {
                    p.organisation = Some(
                        map.next_value()
                            .map_err(|e: A::Error| within::<A::Error>("organisation", e))?,
                    );
                }
                "review" if p.review.is_none() => {
                    p.review = Some(
                        map.next_value()
                            .map_err(|e: A::Error| within::<A::Error>("review", e))?,
                    );
                }
                "record" if p.record.is_none() => {
                    p.record = Some(
                        map.next_value()
                            .map_err(|e: A::Error| within::<A::Error>("record", e))?,
                    );
                }
                "posts" if p.posts.is_none() => {
                    p.posts = Some(
                        map.next_value()
                            .map_err(|e: A::Error| within::<A::Error>("posts", e))?,
                    );
                }
                "deferred" if p.deferred.is_none() => {
                    p.deferred = Some(
                        map.next_value()
                            .map_err(|e: A::Error| within::<A::Error>("deferred", e))?,
                    );
                }
                "method" | "round" | "ballots" | "paper" | "groups" | "organisation" | "review"
                | "record" | "posts" | "deferred" => return Err(twice(&key)),
                _ => {
                    return Err(de::Error::custom(format!(
                        "unknown field `{key}`; expected {FILE_KEYS}"
                    )))
                }
            }
        }
        Ok(p)
    }
}

struct FileSeed;

impl<'de> DeserializeSeed<'de> for FileSeed {
    type Value = Parts;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(FileVisitor)
    }
}

/// Parse a round file. `external_ballots` replaces the inline list (the
/// `--ballots FILE` option); when given, inline ballots are not allowed.
/// A file with several contests on one paper is refused here with a
/// pointer to [`parse_any`].
pub fn parse(text: &str, external_ballots: Option<Vec<Ballot>>) -> Result<RoundFile, InputError> {
    match parse_any(text, external_ballots)? {
        TallyFile::Round(f) => Ok(*f),
        TallyFile::Paper(_) => Err(InputError::nowhere(
            "paper: this file holds several contests on one paper; expected a file with `round`",
        )),
    }
}

/// A round file of either shape: one round, or one paper with sections.
#[derive(Debug, Clone)]
pub enum TallyFile {
    Round(Box<RoundFile>),
    Paper(Box<PaperFile>),
}

/// A parsed, validated file of one paper with several contests
/// (CONTRACT §2, `paper`).
#[derive(Debug, Clone)]
pub struct PaperFile {
    pub method: ElectionMethod,
    pub method_source: MethodSource,
    pub paper: Paper,
    pub ballots: Vec<PaperBallot>,
}

/// Parse a round file of any shape (CONTRACT §2): `round` or `paper`.
pub fn parse_any(
    text: &str,
    external_ballots: Option<Vec<Ballot>>,
) -> Result<TallyFile, InputError> {
    let p = parse_parts(text)?;
    let ValidMethod(method, method_source) = p.method.ok_or_else(|| {
        InputError::nowhere("missing field `method`; expected {\"preset\": ..., \"overrides\": {}}")
    })?;
    let has_extras = p.groups.is_some()
        || p.organisation.is_some()
        || p.review.is_some()
        || p.record.is_some()
        || p.posts.is_some()
        || p.deferred.is_some();
    if let Some(paper) = p.paper {
        if has_extras {
            return Err(InputError::nowhere(
                "paper: `groups`, `organisation`, `review`, `record`, `posts` and `deferred` belong to a one-round file, not to a paper with sections",
            ));
        }
        if external_ballots.is_some() {
            return Err(InputError::nowhere(
                "--ballots: a CSV ballot file holds one contest; give a paper's ballots inline, one entry per paper",
            ));
        }
        let ballots = p.paper_ballots.unwrap_or_default();
        super::paper::check_ballots(&method, &paper, &ballots).map_err(InputError::nowhere)?;
        return Ok(TallyFile::Paper(Box::new(PaperFile {
            method,
            method_source,
            paper,
            ballots,
        })));
    }
    let (round, next_rule) = p
        .round
        .ok_or_else(|| InputError::nowhere("missing field `round` (or `paper`)"))?;
    let ballots = match (p.ballots, external_ballots) {
        (Some(inline), Some(_)) if !inline.is_empty() => {
            return Err(InputError::nowhere(
                "ballots: the round file has inline ballots and --ballots was given; expected one or the other",
            ))
        }
        (_, Some(external)) => external,
        (Some(inline), None) => inline,
        (None, None) => Vec::new(),
    };
    let extras = extras(
        &method,
        &round,
        &ballots,
        RawExtras {
            groups: p.groups,
            organisation: p.organisation,
            review: p.review,
            record: p.record,
            posts: p.posts,
            deferred: p.deferred,
        },
    )
    .map_err(InputError::nowhere)?;
    if extras.groups.is_empty() {
        check_ballots(&method, &round, &ballots).map_err(InputError::nowhere)?;
    }
    Ok(TallyFile::Round(Box::new(RoundFile {
        method,
        method_source,
        round,
        ballots,
        next_rule,
        extras,
    })))
}

/// The round of a round file, checked on its own (to read a separate ballot
/// file against its candidate list before the ballots are cross-checked).
pub fn parse_round(text: &str) -> Result<Round, InputError> {
    let p = parse_parts(text)?;
    if p.paper.is_some() {
        return Err(InputError::nowhere(
            "--ballots: a CSV ballot file holds one contest; give a paper's ballots inline, one entry per paper",
        ));
    }
    p.round
        .map(|(r, _)| r)
        .ok_or_else(|| InputError::nowhere("missing field `round`"))
}

fn parse_parts(text: &str) -> Result<Parts, InputError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parts = FileSeed
        .deserialize(&mut de)
        .map_err(InputError::from_json)?;
    de.end().map_err(InputError::from_json)?;
    let mut parts = parts;
    if let Some(early) = parts.early.take() {
        if let Some(paper) = &parts.paper {
            let lines: Vec<usize> = paper.sections.iter().map(|s| s.candidates.len()).collect();
            let mut out = Vec::with_capacity(early.len());
            for (i, b) in early.into_iter().enumerate() {
                let ballot = match b {
                    EarlyBallot::PaperShaped(raw) => check_paper_ballot(raw, &lines),
                    EarlyBallot::Plain(Ballot::Void { reason }) => Ok(PaperBallot::Void { reason }),
                    // A plain marks string is a paper of one section.
                    EarlyBallot::Plain(b) if lines.len() == 1 => Ok(PaperBallot::Sections(vec![b])),
                    EarlyBallot::Plain(_) => Err(format!(
                        "one section on the paper, expected {}; {PAPER_BALLOT}",
                        lines.len()
                    )),
                };
                out.push(ballot.map_err(|e| InputError::nowhere(format!("ballots[{i}]: {e}")))?);
            }
            parts.paper_ballots = Some(out);
        } else {
            let mut out = Vec::with_capacity(early.len());
            for (i, b) in early.into_iter().enumerate() {
                match b {
                    EarlyBallot::Plain(ballot) => out.push(ballot),
                    EarlyBallot::PaperShaped(raw) => {
                        let e = check_ballot(&raw, None).err().unwrap_or_else(|| {
                            "`|` between sections only on a paper with several contests".into()
                        });
                        return Err(InputError::nowhere(format!("ballots[{i}]: {e}")));
                    }
                }
            }
            parts.ballots = Some(out);
        }
    }
    if parts.method.is_none() {
        return Err(InputError::nowhere(
            "missing field `method`; expected {\"preset\": ..., \"overrides\": {}}",
        ));
    }
    Ok(parts)
}

// ---- groups, the organisation, review, record (RULES §9) ----------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: String,
    entitled: u64,
    present: u64,
    issued: Option<u64>,
    returned: Option<u64>,
    #[serde(default)]
    replaced: u64,
    voted: Option<u64>,
    #[serde(default)]
    ballots: GroupBallots,
}

/// A group's ballots, read like a round's (each checked at its line; the
/// candidate list is checked when the whole file is read).
#[derive(Default)]
struct GroupBallots(Vec<Ballot>);

impl<'de> Deserialize<'de> for GroupBallots {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        BallotsSeed { lines: None }.deserialize(d).map(GroupBallots)
    }
}

struct GroupsSeed;

impl<'de> DeserializeSeed<'de> for GroupsSeed {
    type Value = Vec<RawGroup>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for GroupsSeed {
    type Value = Vec<RawGroup>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of groups, each with `name`, `entitled`, `present` and `ballots`")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let j = out.len();
            let g: Option<RawGroup> = seq
                .next_element()
                .map_err(|e: A::Error| within::<A::Error>(&format!("groups[{j}]"), e))?;
            let Some(g) = g else { break };
            out.push(g);
        }
        Ok(out)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrganisation {
    #[serde(default)]
    name: String,
    nominees: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReview {
    strike: Option<String>,
    add: Option<String>,
    reason: String,
    #[serde(default)]
    by: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEarlier {
    nominee: String,
    post: String,
    #[serde(default)]
    meeting: String,
    #[serde(rename = "for")]
    for_votes: u64,
    #[serde(default)]
    against: u64,
    #[serde(default)]
    abstain: u64,
    entitled: u64,
    passed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeferral {
    nominee: String,
    reason: String,
}

struct RawExtras {
    groups: Option<Vec<RawGroup>>,
    organisation: Option<RawOrganisation>,
    review: Option<Vec<RawReview>>,
    record: Option<Vec<RawEarlier>>,
    posts: Option<std::collections::BTreeMap<String, String>>,
    deferred: Option<Vec<RawDeferral>>,
}

fn clean_at(s: &str, max: usize, path: &str) -> Result<String, String> {
    match name::clean(s, max) {
        Ok(n) => Ok(n),
        Err(name::NameError::Empty) => Err(format!("{path}: empty; expected a name")),
        Err(e) => Err(format!("{path}: {e}")),
    }
}

fn text_at(s: &str, path: &str, what: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err(format!("{path}: empty; expected {what}"));
    }
    name::clean(s, name::MAX_TEXT).map_err(|e| format!("{path}: {e}"))
}

/// Check what a file adds to its round against the round and the method.
fn extras(
    method: &ElectionMethod,
    round: &Round,
    ballots: &[Ballot],
    raw: RawExtras,
) -> Result<Extras, String> {
    let mut x = Extras::default();
    let kind = round.kind;
    if let Some(groups) = raw.groups {
        if !matches!(kind, RoundKind::Nomination | RoundKind::Evaluation) {
            return Err(format!(
                "groups: only a nomination or an evaluation is held by groups; this is a {} round",
                kind.as_str()
            ));
        }
        if groups.is_empty() {
            return Err("groups: expected at least one group".into());
        }
        if !ballots.is_empty() {
            return Err(
                "ballots: a round held by groups has its ballots in each group; expected `ballots` empty or absent"
                    .into(),
            );
        }
        let mut names: Vec<String> = Vec::new();
        for (j, g) in groups.into_iter().enumerate() {
            let path = format!("groups[{j}]");
            let name = text_at(
                &g.name,
                &format!("{path}.name"),
                "the group's name (党员推荐)",
            )?;
            if names.contains(&name) {
                return Err(format!("{path}.name: {name:?} is given twice"));
            }
            names.push(name.clone());
            let group = Group {
                name,
                entitled: g.entitled,
                present: g.present,
                issued: g.issued.unwrap_or(g.present),
                returned: g.returned,
                replaced: g.replaced,
                voted: g.voted,
                ballots: g.ballots.0,
            };
            let r = group.round(round);
            r.validate().map_err(|e| {
                format!(
                    "{path}.{}: {}",
                    e.field.strip_prefix("round.").unwrap_or(e.field),
                    e.message
                )
            })?;
            check_ballots(method, &r, &group.ballots).map_err(|e| {
                format!(
                    "{path}.{}",
                    e.replace("round.returned", &format!("{path}.returned"))
                )
            })?;
            x.groups.push(group);
        }
        let sum = |f: fn(&Group) -> u64| x.groups.iter().map(f).fold(0u64, u64::saturating_add);
        for (field, given, total) in [
            ("entitled", round.entitled, sum(|g| g.entitled)),
            ("present", round.present, sum(|g| g.present)),
        ] {
            if given != total {
                return Err(format!(
                    "round.{field}: {given}, but the groups' {field} add up to {total}; expected the sum"
                ));
            }
        }
    }
    if let Some(o) = raw.organisation {
        if round.rule_kind() != RoundKind::Nomination || kind == RoundKind::Runoff {
            return Err(format!(
                "organisation: the party organisation's nominees are listed in a nomination round; this is a {} round",
                kind.as_str()
            ));
        }
        let name = match o.name.trim() {
            "" => "党组织推荐".to_string(),
            n => text_at(n, "organisation.name", "a name")?,
        };
        let mut nominees: Vec<String> = Vec::new();
        for (i, n) in o.nominees.iter().enumerate() {
            let n = clean_at(n, name::MAX_NAME, &format!("organisation.nominees[{i}]"))?;
            if let Some(same) = name::alike(&n, nominees.iter().map(String::as_str)) {
                return Err(format!(
                    "organisation.nominees[{i}]: {n:?} is listed twice (or looks the same as {same:?})"
                ));
            }
            nominees.push(n);
        }
        if nominees.is_empty() {
            return Err("organisation.nominees: expected at least one nominee".into());
        }
        let size = round.next_size.unwrap_or(0);
        if method.organisation_nominees == OrganisationNominees::WithinList
            && nominees.len() as u64 > size
        {
            return Err(format!(
                "organisation.nominees: {} nominees, but the next list has {size} places and they are listed within it (organisation_nominees = within_list)",
                nominees.len()
            ));
        }
        x.organisation = Some(Organisation { name, nominees });
    }
    if let Some(review) = raw.review {
        if !round.proposes_list() {
            return Err(format!(
                "review: a qualification review amends a proposed list (nomination, evaluation, preliminary); this is a {} round",
                kind.as_str()
            ));
        }
        for (i, r) in review.into_iter().enumerate() {
            let path = format!("review[{i}]");
            let (action, who) = match (r.strike, r.add) {
                (Some(n), None) => (ReviewAction::Strike, n),
                (None, Some(n)) => (ReviewAction::Add, n),
                _ => {
                    return Err(format!(
                        "{path}: expected one of `strike` or `add` with the nominee's name"
                    ))
                }
            };
            let field = match action {
                ReviewAction::Strike => "strike",
                ReviewAction::Add => "add",
            };
            x.review.push(ReviewDecision {
                action,
                name: clean_at(&who, name::MAX_NAME, &format!("{path}.{field}"))?,
                reason: text_at(&r.reason, &format!("{path}.reason"), "the recorded reason")?,
                by: match r.by.trim() {
                    "" => "上级党组织".to_string(),
                    b => text_at(b, &format!("{path}.by"), "who decided")?,
                },
            });
        }
    }
    let cadre_only = |key: &str| {
        format!(
            "{key}: only a cadre vote (票决) carries a nominee record; this is a {} round",
            kind.as_str()
        )
    };
    if let Some(record) = raw.record {
        if kind != RoundKind::Cadre {
            return Err(cadre_only("record"));
        }
        for (i, r) in record.into_iter().enumerate() {
            let path = format!("record[{i}]");
            for (field, v) in [
                ("for", r.for_votes),
                ("against", r.against),
                ("abstain", r.abstain),
                ("entitled", r.entitled),
            ] {
                if v > super::limits::MAX_COUNT {
                    return Err(format!(
                        "{path}.{field}: {}",
                        super::limits::too_large_message(v)
                    ));
                }
            }
            x.record.push(EarlierResult {
                nominee: clean_at(&r.nominee, name::MAX_NAME, &format!("{path}.nominee"))?,
                post: text_at(&r.post, &format!("{path}.post"), "the post")?,
                meeting: match r.meeting.trim() {
                    "" => String::new(),
                    m => text_at(m, &format!("{path}.meeting"), "the meeting")?,
                },
                for_votes: r.for_votes,
                against: r.against,
                abstain: r.abstain,
                entitled: r.entitled,
                passed: r.passed,
            });
        }
    }
    if let Some(posts) = raw.posts {
        if kind != RoundKind::Cadre {
            return Err(cadre_only("posts"));
        }
        for (nominee, post) in posts {
            let n = clean_at(&nominee, name::MAX_NAME, "posts")?;
            if !round.candidates.contains(&n) {
                return Err(format!(
                    "posts.{n}: not a nominee of this vote; expected one of {}",
                    round.candidates.join("、")
                ));
            }
            let post = text_at(&post, &format!("posts.{n}"), "the post")?;
            x.posts.insert(n, post);
        }
    }
    if let Some(deferred) = raw.deferred {
        if kind != RoundKind::Cadre {
            return Err(cadre_only("deferred"));
        }
        for (i, d) in deferred.into_iter().enumerate() {
            let path = format!("deferred[{i}]");
            let nominee = clean_at(&d.nominee, name::MAX_NAME, &format!("{path}.nominee"))?;
            if round.candidates.contains(&nominee) {
                return Err(format!(
                    "{path}.nominee: {nominee:?} is on the ballot; a deferred nominee is not voted at this meeting (对暂缓表决的人选，本次会议不作投票): take the name off `round.candidates`"
                ));
            }
            x.deferred.push(Deferral {
                nominee,
                reason: text_at(&d.reason, &format!("{path}.reason"), "the recorded reason")?,
            });
        }
    }
    Ok(x)
}

// ---- one paper, several contests (RULES §9.7) ---------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaper {
    #[serde(default = "formal")]
    kind: RoundKind,
    entitled: u64,
    present: u64,
    issued: Option<u64>,
    returned: Option<u64>,
    #[serde(default)]
    replaced: u64,
    voted: Option<u64>,
    resolves: Option<RoundKind>,
    sections: Vec<RawSection>,
}

fn formal() -> RoundKind {
    RoundKind::Formal
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    #[serde(default)]
    office: Office,
    #[serde(default)]
    contest: String,
    seats: u64,
    candidates: Vec<String>,
    next_size: Option<RawNextSize>,
}

struct ValidPaper(Paper);

impl<'de> Deserialize<'de> for ValidPaper {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawPaper::deserialize(d).map_err(|e| within::<D::Error>("paper", e))?;
        let mut sections = Vec::with_capacity(raw.sections.len());
        for (i, s) in raw.sections.into_iter().enumerate() {
            let path = format!("paper.sections[{i}]");
            let (next_size, next_rule) = next_size(s.next_size, &format!("{path}.next_size"))?;
            sections.push(Section {
                office: s.office,
                contest: clean_contest(&s.contest, &format!("{path}.contest"))?,
                seats: s.seats,
                candidates: clean_candidates(&s.candidates, &format!("{path}.candidates"))?,
                next_size,
                next_rule,
            });
        }
        let paper = Paper {
            kind: raw.kind,
            entitled: raw.entitled,
            present: raw.present,
            issued: raw.issued.unwrap_or(raw.present),
            returned: raw.returned,
            replaced: raw.replaced,
            voted: raw.voted,
            resolves: raw.resolves,
            sections,
        };
        paper.validate().map_err(de::Error::custom)?;
        Ok(ValidPaper(paper))
    }
}

/// Why a paper's entry cannot be read, for any shape but the three.
const PAPER_BALLOT: &str = "expected a marks string with `|` between sections (\"Y|YN|YYNAA\"), an object with `sections` (one ballot per section), or `void` with the scrutineers' reason for the whole paper";

/// One paper as written: `"Y|YN|YYNAA"`, `{"sections": [...]}` (each a
/// ballot of its section, `{"void": ...}` included) or `{"void": reason}`.
fn check_paper_ballot(raw: RawBallot, lines: &[usize]) -> Result<PaperBallot, String> {
    let parts: Vec<RawBallot> = match &raw {
        Value::String(m) => m.split('|').map(|s| Value::String(s.into())).collect(),
        Value::Object(o) => match o.get("sections") {
            Some(_) if o.len() > 1 => {
                return Err("a paper with `sections` has nothing else; put marks and write-ins inside each section".into());
            }
            Some(Value::Array(sections)) => sections.clone(),
            Some(_) => return Err(PAPER_BALLOT.into()),
            None if o.len() == 1 && o.contains_key("void") => {
                return match check_ballot(&raw, None)? {
                    Ballot::Void { reason } => Ok(PaperBallot::Void { reason }),
                    Ballot::Marked { .. } => Err(PAPER_BALLOT.into()),
                };
            }
            None => return Err(PAPER_BALLOT.into()),
        },
        _ => return Err(PAPER_BALLOT.into()),
    };
    if parts.len() != lines.len() {
        return Err(format!(
            "{} sections on the paper, expected {}",
            parts.len(),
            lines.len()
        ));
    }
    let mut out = Vec::with_capacity(parts.len());
    for (j, (part, n)) in parts.iter().zip(lines).enumerate() {
        if part.get("sections").is_some() {
            return Err(format!(
                "sections[{j}]: a section holds one ballot, not `sections`"
            ));
        }
        out.push(check_ballot(part, Some(*n)).map_err(|e| format!("sections[{j}]: {e}"))?);
    }
    Ok(PaperBallot::Sections(out))
}

struct PaperBallotsSeed {
    lines: Vec<usize>,
}

impl<'de> DeserializeSeed<'de> for PaperBallotsSeed {
    type Value = Vec<PaperBallot>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<PaperBallot>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PaperBallotsSeed {
    type Value = Vec<PaperBallot>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of papers")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<PaperBallot>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        loop {
            let i = out.len();
            let raw: Option<RawBallot> = seq
                .next_element()
                .map_err(|e: A::Error| within::<A::Error>(&format!("ballots[{i}]"), e))?;
            let Some(raw) = raw else { break };
            let ballot = check_paper_ballot(raw, &self.lines)
                .map_err(|e| de::Error::custom(format!("ballots[{i}]: {e}")))?;
            out.push(ballot);
        }
        Ok(out)
    }
}

/// Cross-checks between the round and its ballots that the parser could not
/// make while reading (the ballots may come before the round, or from a CSV
/// file): one mark per candidate, write-ins on existing lines, free names
/// only in a nomination round, and as many ballots as were returned
/// whenever ballots are counted (a round that is not counted keeps any it
/// has, uncounted).
pub fn check_ballots(
    method: &ElectionMethod,
    round: &Round,
    ballots: &[Ballot],
) -> Result<(), String> {
    for (i, b) in ballots.iter().enumerate() {
        ballot::check_ballot_shape(round, b).map_err(|e| format!("ballots[{i}].{e}"))?;
    }
    let Some(returned) = round.returned else {
        return Ok(());
    };
    let given = ballots.len() as u64;
    // A round that is not counted (no quorum, void box) needs no ballots,
    // and any it has are kept uncounted: a box holding more papers than the
    // ballots entered is the very fact that voids it.
    if given == returned || !round.is_counted(method, returned) {
        return Ok(());
    }
    Err(format!(
        "ballots: {given} ballots given but round.returned is {returned}; expected one ballot per returned paper"
    ))
}

/// Marks of a CSV cell or a keyboard entry: `Y`, `N`, `A`, `?`.
pub fn mark_of(cell: &str) -> Option<Mark> {
    let mut chars = cell.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Mark::from_char(c),
        _ => None,
    }
}
