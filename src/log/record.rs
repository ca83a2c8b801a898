//! The signed result of a round: the `record` of a `tally_published` event
//! (bundle version 2). PURE: values in, values out.
//!
//! A record holds codes and numbers only — the outcome status, the rulings
//! with their numbers, the counts, the threshold, the rows, the lists and
//! the effective method parameters — and no display text: no message, no
//! rule text, no serialised internal type beyond those documented field by
//! field in `docs/audit-bundle.md` §3.2. Whoever shows a result renders
//! these codes in the reader's language, so rewording a message changes no
//! signed byte, and an independent verifier rebuilds the record from the
//! document alone.
//!
//! - [`record`]: the record of a decided round (what the service logs and
//!   the verifier recomputes);
//! - [`counts`]: the counts a record was decided from, so a reader can
//!   re-decide the round from the signed numbers ([`replay`]) and show the
//!   result it signs, never a copy it cannot check;
//! - [`canonical`]: its canonical JSON bytes (the encoding of event
//!   payloads, `log::event`), for those who hash or compare it.

use std::collections::BTreeMap;

use serde::de::value::{MapAccessDeserializer, StrDeserializer};
use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde::ser::{Impossible, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::log::canonical::refuse;
use crate::rules::fraction::Fraction;
use crate::rules::method::{Base, BoxCheck, DifferentialRule, ElectionMethod};
use crate::rules::outcome::{ListSubject, RoundResult, Status};
use crate::rules::round::Round;
use crate::rules::tally::{Counts, InvalidReason, LineCount};

/// The signed result of one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyRecord {
    /// The outcome code (`complete`, `runoff_required`, `shortfall`,
    /// `void`, `no_quorum`, `list_rejected`).
    pub status: Status,
    pub quorum: QuorumRecord,
    /// The list ruling; `null` when the quorum failed or the kind of round
    /// has no list rule.
    pub list: Option<ListRecord>,
    /// The ballot-box check; `null` when it was not reached.
    #[serde(rename = "box")]
    pub ballot_box: Option<BoxRecord>,
    pub ballots: BallotsRecord,
    pub threshold: ThresholdRecord,
    /// Listed candidates in ballot order, then accepted write-ins by
    /// for-votes (descending) then name (UTF-8 bytes); empty when nothing
    /// was counted.
    pub rows: Vec<RowRecord>,
    /// Elected (or passed), in report order (RULES §4.4).
    pub elected: Vec<String>,
    pub runoff: Option<RunoffRecord>,
    pub unfilled: u64,
    /// The proposed list of the next stage (list rounds), in vote order.
    pub next_list: Option<Vec<String>>,
    /// After a preliminary shortfall: whether the qualifiers alone meet
    /// the formal list rule.
    pub list_may_proceed: Option<bool>,
    /// The effective method: every parameter under its `overrides` name.
    pub method: Params,
}

/// The quorum (or, for a nomination or evaluation round, the
/// participation floor) and its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuorumRecord {
    pub entitled: u64,
    pub present: u64,
    /// The rule: `present` against `entitled`.
    pub rule: Fraction,
    /// Fewest present that meet the rule.
    pub required: u64,
    pub met: bool,
}

/// The ruling on a candidate list (RULES §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListRecord {
    /// `candidates` (the round's list) or `next_list` (the list a
    /// preliminary proposes, `next_size` names, under the formal rule).
    pub subject: ListSubject,
    /// The rule applied, encoded as in the method's `differential`.
    pub rule: DifferentialRule,
    pub seats: u64,
    pub candidates: u64,
    /// Fewest candidates the rule allows.
    pub required: u64,
    /// Most candidates the rule allows; `null` when unbounded.
    pub max: Option<u64>,
    pub ok: bool,
}

/// The ballot-box check (RULES §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxRecord {
    /// What `returned` is compared with: `issued` or `voters` (the
    /// method's `box_check`).
    pub basis: BoxCheck,
    /// The number `returned` may not exceed.
    pub base: u64,
    pub returned: u64,
    pub valid: bool,
    /// Ballots returned beyond those present (0: none).
    pub returned_over_present: u64,
    /// Ballots issued beyond those present plus those replaced (0: none).
    pub issued_unexplained: u64,
}

/// The ballot counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotsRecord {
    pub issued: u64,
    pub replaced: u64,
    pub returned: u64,
    /// 投票人数: recorded, else min(present, issued).
    pub voted: u64,
    /// 0 when nothing was counted, like every count below.
    pub valid: u64,
    pub invalid: u64,
    /// Invalid ballots per reason, only reasons with a count, in the order
    /// of [`REASON_CODES`].
    pub invalid_by_reason: Vec<ReasonCount>,
    /// The scrutineers' reasons for declared-void ballots, as logged, by
    /// reason (UTF-8 bytes).
    pub void_reasons: Vec<VoidReason>,
    /// Write-ins disregarded (the line kept its mark).
    pub ignored_write_ins: u64,
    /// Illegible marks counted as abstentions.
    pub illegible_marks: u64,
}

/// The invalid-ballot reason codes, in record order.
pub const REASON_CODES: [InvalidReason; 5] = [
    InvalidReason::DeclaredVoid,
    InvalidReason::Overvote,
    InvalidReason::Illegible,
    InvalidReason::WriteInMisplaced,
    InvalidReason::WriteInNamesCandidate,
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonCount {
    pub code: InvalidReason,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidReason {
    pub reason: String,
    pub count: u64,
}

/// The majority threshold (RULES §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRecord {
    /// `entitled`, `present` or `returned` (the method's `threshold_base`).
    pub basis: Base,
    /// Its value in this round.
    pub base: u64,
    /// The method's `threshold`.
    pub fraction: Fraction,
    /// The smallest for-count that meets it.
    pub smallest: u64,
    /// Whether it decides this round (not nomination or evaluation, nor a
    /// formal runoff under `runoff_threshold = most_votes`).
    pub applies: bool,
}

/// One row: a listed candidate or an accepted write-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowRecord {
    pub name: String,
    #[serde(rename = "for")]
    pub for_votes: u64,
    pub against: u64,
    pub abstain: u64,
    pub write_in: bool,
    pub above_threshold: bool,
    /// Evaluation: disapprovals reach the method's `evaluation_flag`.
    pub flagged: bool,
}

/// A runoff among exactly the tied, for exactly the places left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunoffRecord {
    /// Listed names in ballot order, then write-ins by votes then name.
    pub among: Vec<String>,
    pub seats: u64,
}

/// The effective method parameters: the method without its informational
/// `preset` name, each parameter under its `overrides` name, encoded as
/// `docs/method.md` documents (the same values as `method_adopted.method`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params(ElectionMethod);

impl Params {
    /// The parameters of `method` (its preset name dropped).
    pub fn of(method: &ElectionMethod) -> Params {
        let mut m = method.clone();
        m.preset = String::new();
        Params(m)
    }

    /// The parameters as a method (with an empty preset name).
    pub fn method(&self) -> &ElectionMethod {
        &self.0
    }
}

impl Serialize for Params {
    /// The method's struct without its `preset` field, written straight
    /// into `s` (no `Value` between: a record is encoded for every
    /// `tally_published` the writer logs and the verifier reads).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(WithoutPreset(s))
    }
}

impl<'de> Deserialize<'de> for Params {
    /// The method's struct read from the members given, with `preset: ""`
    /// put before them; a `preset` among them is refused (a duplicate).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Params, D::Error> {
        d.deserialize_map(ParamsVisitor)
    }
}

/// The serialiser a method is written to as [`Params`]: the struct
/// `ElectionMethod` serialises as, less its `preset` field. A method is a
/// struct, so every other shape is refused.
struct WithoutPreset<S>(S);

/// The fields of [`WithoutPreset`]'s struct.
struct FieldsWithoutPreset<S>(S);

fn not_a_method<E: serde::ser::Error>() -> E {
    E::custom("a method serialises as a struct")
}

impl<S: Serializer> Serializer for WithoutPreset<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = FieldsWithoutPreset<S::SerializeStruct>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(FieldsWithoutPreset(
            self.0.serialize_struct(name, len.saturating_sub(1))?,
        ))
    }

    refuse!(S::Ok, S::Error, not_a_method();
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(not_a_method())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_method())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_method())
    }
    refuse!(compound S::Error, not_a_method();
        serialize_seq(Option<usize>) -> SerializeSeq,
        serialize_tuple(usize) -> SerializeTuple,
        serialize_tuple_struct(&'static str, usize) -> SerializeTupleStruct,
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> SerializeTupleVariant,
        serialize_map(Option<usize>) -> SerializeMap,
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> SerializeStructVariant,
    );
}

impl<S: SerializeStruct> SerializeStruct for FieldsWithoutPreset<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        if key == "preset" {
            return Ok(());
        }
        self.0.serialize_field(key, value)
    }

    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

struct ParamsVisitor;

impl<'de> Visitor<'de> for ParamsVisitor {
    type Value = Params;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the method's parameters (an object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<Params, A::Error> {
        ElectionMethod::deserialize(MapAccessDeserializer::new(WithPreset {
            members,
            given: Given::Nothing,
        }))
        .map(Params)
    }
}

/// The members of a record's `method` with `preset: ""` first.
struct WithPreset<A> {
    members: A,
    given: Given,
}

/// How much of the `preset` member [`WithPreset`] has given.
enum Given {
    Nothing,
    Key,
    Member,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WithPreset<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.given {
            Given::Nothing => {
                self.given = Given::Key;
                seed.deserialize(StrDeserializer::new("preset")).map(Some)
            }
            _ => self.members.next_key_seed(seed),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.given {
            Given::Key => {
                self.given = Given::Member;
                seed.deserialize(StrDeserializer::new(""))
            }
            _ => self.members.next_value_seed(seed),
        }
    }
}

/// The record of `result`, the rule engine's decision of `round` under
/// `method`.
pub fn record(method: &ElectionMethod, round: &Round, result: &RoundResult) -> TallyRecord {
    let counts = result.counts.clone().unwrap_or_default();
    let returned = result
        .ballot_box
        .as_ref()
        .map(|b| b.returned)
        .or(round.returned)
        .unwrap_or(counts.valid + counts.invalid);
    TallyRecord {
        status: result.status,
        quorum: QuorumRecord {
            entitled: result.quorum.entitled,
            present: result.quorum.present,
            rule: result.quorum.rule,
            required: result.quorum.required,
            met: result.quorum.met,
        },
        list: result.list.as_ref().map(|l| ListRecord {
            subject: l.subject,
            rule: l.rule,
            seats: l.check.seats,
            candidates: l.check.candidates,
            required: l.check.min,
            max: l.check.max,
            ok: l.check.ok,
        }),
        ballot_box: result.ballot_box.as_ref().map(|b| BoxRecord {
            basis: b.base,
            base: b.limit,
            returned: b.returned,
            valid: b.valid,
            returned_over_present: b.returned_over_present.unwrap_or(0),
            issued_unexplained: b.issued_unexplained.unwrap_or(0),
        }),
        ballots: BallotsRecord {
            issued: round.issued,
            replaced: round.replaced,
            returned,
            voted: round.voters(),
            valid: counts.valid,
            invalid: counts.invalid,
            invalid_by_reason: REASON_CODES
                .iter()
                .filter_map(|code| {
                    let count = counts.invalid_by_reason.get(code).copied().unwrap_or(0);
                    (count > 0).then_some(ReasonCount { code: *code, count })
                })
                .collect(),
            void_reasons: counts
                .void_reasons
                .iter()
                .map(|(reason, count)| VoidReason {
                    reason: reason.clone(),
                    count: *count,
                })
                .collect(),
            ignored_write_ins: counts.ignored_write_ins,
            illegible_marks: counts.illegible_marks,
        },
        threshold: ThresholdRecord {
            basis: method.threshold_base,
            base: result.threshold_base,
            fraction: method.threshold,
            smallest: result.threshold,
            applies: result.threshold_applies,
        },
        rows: result
            .rows
            .iter()
            .map(|r| RowRecord {
                name: r.name.clone(),
                for_votes: r.count.for_votes,
                against: r.count.against,
                abstain: r.count.abstain,
                write_in: r.write_in,
                above_threshold: r.above_threshold,
                flagged: r.flagged,
            })
            .collect(),
        elected: result.elected.clone(),
        runoff: result.runoff.as_ref().map(|r| RunoffRecord {
            among: r.among.clone(),
            seats: r.seats,
        }),
        unfilled: result.unfilled,
        next_list: result.next_list.clone(),
        list_may_proceed: result.list_may_proceed,
        method: Params::of(method),
    }
}

/// Whether the record's round was counted: the box check was reached and
/// passed.
pub fn counted(rec: &TallyRecord) -> bool {
    rec.ballot_box.as_ref().is_some_and(|b| b.valid)
}

/// The counts `rec` was decided from (all zero when nothing was counted):
/// listed rows in order are the candidate lines, write-in rows the
/// write-ins; the ballot numbers as recorded.
pub fn counts(rec: &TallyRecord) -> Counts {
    if !counted(rec) {
        return Counts::default();
    }
    let b = &rec.ballots;
    Counts {
        valid: b.valid,
        invalid: b.invalid,
        invalid_by_reason: b
            .invalid_by_reason
            .iter()
            .map(|r| (r.code, r.count))
            .collect(),
        void_reasons: b
            .void_reasons
            .iter()
            .map(|r| (r.reason.clone(), r.count))
            .collect(),
        lines: rec
            .rows
            .iter()
            .filter(|r| !r.write_in)
            .map(|r| LineCount {
                for_votes: r.for_votes,
                against: r.against,
                abstain: r.abstain,
            })
            .collect(),
        write_ins: rec
            .rows
            .iter()
            .filter(|r| r.write_in)
            .map(|r| (r.name.clone(), r.for_votes))
            .collect::<BTreeMap<String, u64>>(),
        ignored_write_ins: b.ignored_write_ins,
        illegible_marks: b.illegible_marks,
    }
}

/// The decision of `round` under `method` from the numbers `rec` signs —
/// when `rec` is exactly that decision's record (the method's parameters,
/// the facts, the counts and every ruling agree); `None` otherwise. What a
/// reader shows of a signed result comes from here.
pub fn replay(method: &ElectionMethod, round: &Round, rec: &TallyRecord) -> Option<RoundResult> {
    let result = crate::rules::evaluate_counts(method, round, counts(rec));
    (record(method, round, &result) == *rec).then_some(result)
}

/// The canonical JSON bytes of a record (`docs/audit-bundle.md` §3: sorted
/// members, no whitespace, integers only) — the bytes between
/// `"record":` and the next member of its `tally_published` payload.
pub fn canonical(rec: &TallyRecord) -> Vec<u8> {
    // A record is strings, integers, booleans, nulls, arrays and objects
    // with string keys: its canonical form cannot fail.
    crate::log::canonical::to_vec(rec).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::method::BoxCheck;
    use crate::rules::preset::preset;
    use crate::rules::round::{Ballot, Office, RoundKind};

    fn method() -> ElectionMethod {
        preset("grassroots-2020").expect("preset")
    }

    fn round(candidates: &[&str], seats: u64, present: u64, issued: u64, returned: u64) -> Round {
        Round {
            kind: RoundKind::Formal,
            office: Office::Committee,
            contest: "支部委员会委员".into(),
            seats,
            candidates: candidates.iter().map(|c| c.to_string()).collect(),
            entitled: 10,
            present,
            issued,
            returned: Some(returned),
            next_size: None,
            replaced: 0,
            voted: None,
            resolves: None,
            rating: None,
        }
    }

    fn ballots(marks: &[&str]) -> Vec<Ballot> {
        marks
            .iter()
            .map(|m| Ballot::marked(Ballot::parse_marks(m).expect("marks")))
            .collect()
    }

    /// The record of a round, with the checks every record must pass:
    /// it replays from its own numbers and survives its canonical bytes.
    fn recorded(m: &ElectionMethod, r: &Round, b: &[Ballot]) -> TallyRecord {
        let result = crate::rules::evaluate(m, r, b);
        let rec = record(m, r, &result);
        assert_eq!(replay(m, r, &rec).as_ref(), Some(&result));
        let bytes = canonical(&rec);
        let back: TallyRecord = serde_json::from_slice(&bytes).expect("parses");
        assert_eq!(back, rec);
        assert_eq!(canonical(&back), bytes);
        rec
    }

    /// `Params` is the method's object less `preset`, through any
    /// serialiser (a `Value`, the canonical writer)
    /// and back; a `preset` among the members, or a shape that is not an
    /// object, is refused.
    #[test]
    fn params_are_the_method_less_its_preset_both_ways() {
        let m = method();
        let mut expected = serde_json::to_value(&m).unwrap();
        expected.as_object_mut().unwrap().remove("preset");
        let params = Params::of(&m);
        let value = serde_json::to_value(&params).unwrap();
        assert_eq!(value, expected);
        assert_eq!(
            crate::log::canonical::to_vec(&params).unwrap(),
            serde_json::to_vec(&expected).unwrap()
        );
        let back: Params = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(back, params);
        let back: Params = serde_json::from_slice(&serde_json::to_vec(&value).unwrap()).unwrap();
        assert_eq!(back, params);
        assert_eq!(back.method().preset, "");

        let mut with_preset = value.clone();
        with_preset
            .as_object_mut()
            .unwrap()
            .insert("preset".into(), "grassroots-2020".into());
        let e = serde_json::from_value::<Params>(with_preset).unwrap_err();
        assert!(e.to_string().contains("duplicate field `preset`"), "{e}");
        let mut missing = value.clone();
        missing.as_object_mut().unwrap().remove("quorum");
        let e = serde_json::from_value::<Params>(missing).unwrap_err();
        assert!(e.to_string().contains("missing field `quorum`"), "{e}");
        let e = serde_json::from_str::<Params>("[1]").unwrap_err();
        assert!(e.to_string().contains("the method's parameters"), "{e}");
    }

    #[test]
    fn a_complete_round_records_codes_and_numbers_only() {
        let m = method();
        let r = round(&["丁一", "王二", "张三"], 2, 9, 9, 9);
        let mut b = ballots(&["YYN", "YYN", "YNY", "YYN", "YYN", "NYY", "YYN", "YYY"]);
        b.push(Ballot::Void {
            reason: "选票上署名".into(),
        });
        let rec = recorded(&m, &r, &b);
        assert_eq!(rec.status, Status::Complete);
        assert_eq!(rec.elected, ["丁一", "王二"]);
        assert_eq!(rec.ballots.invalid_by_reason.len(), 2);
        let text = String::from_utf8(canonical(&rec)).expect("UTF-8");
        for absent in [
            "message", "rule_zh", "rule_en", "_zh", "_en", "preset", "contest",
        ] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        assert!(text.starts_with(r#"{"ballots":{"ignored_write_ins":0,"illegible_marks":0,"invalid":2,"invalid_by_reason":[{"code":"declared_void","count":1},{"code":"overvote","count":1}],"issued":9,"#), "{text}");
        assert!(text.contains(r#""threshold":{"applies":true,"base":10,"basis":"entitled","fraction":{"comparison":"strict","den":2,"num":1},"smallest":6}"#), "{text}");
        assert!(
            text.contains(r#""void_reasons":[{"count":1,"reason":"选票上署名"}]"#),
            "{text}"
        );
    }

    #[test]
    fn a_tie_at_the_cut_off_records_the_runoff() {
        let m = method();
        let r = round(&["丁一", "王二", "张三"], 1, 9, 9, 9);
        let b = ballots(&[
            "YNN", "YNN", "YNN", "YNN", "YNN", "YNN", "NYN", "NNY", "NNY",
        ]);
        let rec = recorded(&m, &r, &b);
        assert_eq!(rec.status, Status::Complete);
        let b = ballots(&["YNN"; 6]);
        let two = round(&["丁一", "王二", "张三"], 1, 9, 9, 6);
        let _ = recorded(&m, &two, &b);
        // A tie above the threshold straddling the one seat.
        let r = round(&["丁一", "王二", "张三"], 1, 9, 9, 9);
        let tie = ballots(&[
            "YNN", "YNN", "YNN", "NYN", "NYN", "NYN", "YNN", "NYN", "NNY",
        ]);
        let mut m2 = m.clone();
        m2.threshold = Fraction::strict(1, 3);
        let rec = recorded(&m2, &r, &tie);
        assert_eq!(rec.status, Status::RunoffRequired);
        let runoff = rec.runoff.expect("a runoff");
        assert_eq!(
            (runoff.among, runoff.seats),
            (vec!["丁一".into(), "王二".into()], 1)
        );
        assert!(rec.elected.is_empty());
    }

    #[test]
    fn a_shortfall_records_the_unfilled_seats() {
        let m = method();
        let r = round(&["丁一", "王二", "张三"], 2, 9, 9, 9);
        let b = ballots(&["YNN"; 9]);
        let rec = recorded(&m, &r, &b);
        assert_eq!(rec.status, Status::Shortfall);
        assert_eq!(
            (rec.elected.clone(), rec.unfilled),
            (vec!["丁一".into()], 1)
        );
        assert!(rec.rows.iter().filter(|r| r.above_threshold).count() == 1);
    }

    #[test]
    fn a_void_round_records_the_box_and_no_counts() {
        let m = method();
        let r = round(&["丁一", "王二", "张三"], 2, 9, 9, 10);
        let rec = recorded(&m, &r, &[]);
        assert_eq!(rec.status, Status::Void);
        let bx = rec.ballot_box.clone().expect("box checked");
        assert_eq!(
            (
                bx.basis,
                bx.base,
                bx.returned,
                bx.valid,
                bx.returned_over_present
            ),
            (BoxCheck::Issued, 9, 10, false, 1)
        );
        assert!(rec.rows.is_empty() && rec.ballots.valid == 0);
        assert_eq!(counts(&rec), Counts::default());
    }

    #[test]
    fn no_quorum_records_the_rule_and_nothing_after_it() {
        let m = method();
        let r = round(&["丁一", "王二", "张三"], 2, 8, 8, 0);
        let rec = recorded(&m, &r, &[]);
        assert_eq!(rec.status, Status::NoQuorum);
        assert_eq!(
            (rec.quorum.met, rec.quorum.required, rec.quorum.rule),
            (false, 9, Fraction::strict(4, 5))
        );
        assert!(rec.list.is_none() && rec.ballot_box.is_none());
    }

    #[test]
    fn a_rejected_list_records_its_rule() {
        let m = method();
        let r = round(&["丁一", "王二"], 2, 9, 9, 0);
        let rec = recorded(&m, &r, &[]);
        assert_eq!(rec.status, Status::ListRejected);
        let l = rec.list.expect("a list ruling");
        assert_eq!(
            (l.subject, l.ok, l.seats, l.candidates),
            (ListSubject::Candidates, false, 2, 2)
        );
        assert_eq!(l.rule, m.differential.committee);
    }

    /// A record whose numbers do not give its outcome does not replay.
    #[test]
    fn an_edited_record_does_not_replay() {
        let m = method();
        let r = round(&["丁一", "王二", "张三"], 2, 9, 9, 9);
        let b = ballots(&[
            "YYN", "YYN", "YNY", "YYN", "YYN", "NYY", "YYN", "YYN", "YNY",
        ]);
        let rec = recorded(&m, &r, &b);
        let mut edited = rec.clone();
        edited.elected = vec!["张三".into(), "丁一".into()];
        assert!(replay(&m, &r, &edited).is_none());
        let mut edited = rec.clone();
        edited.rows[2].for_votes += 5;
        assert!(replay(&m, &r, &edited).is_none());
        let mut other = m.clone();
        other.threshold_base = Base::Present;
        assert!(replay(&other, &r, &rec).is_none());
    }

    #[test]
    fn params_hold_every_parameter_and_no_preset() {
        let m = method();
        let v = serde_json::to_value(Params::of(&m)).expect("serialises");
        let mut keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = ElectionMethod::PARAMETERS.to_vec();
        keys.sort_unstable();
        want.sort_unstable();
        assert_eq!(keys, want);
        let mut with_preset = v.clone();
        with_preset["preset"] = "grassroots-2020".into();
        assert!(serde_json::from_value::<Params>(with_preset).is_err());
        assert_eq!(
            serde_json::from_value::<Params>(v).expect("parses"),
            Params::of(&m)
        );
    }

    /// The decoder is strict: a member the format does not have, or a
    /// code it does not list, is no record.
    #[test]
    fn unknown_members_and_codes_are_refused() {
        let m = method();
        let r = round(&["丁一", "王二", "张三"], 2, 9, 9, 9);
        let rec = recorded(&m, &r, &ballots(&["YYN"; 9]));
        let v = serde_json::to_value(&rec).expect("serialises");
        let mut extra = v.clone();
        extra["message_zh"] = "有效".into();
        assert!(serde_json::from_value::<TallyRecord>(extra).is_err());
        let mut row = v.clone();
        row["rows"][0]["rule_zh"] = "".into();
        assert!(serde_json::from_value::<TallyRecord>(row).is_err());
        let mut code = v;
        code["status"] = "finished".into();
        assert!(serde_json::from_value::<TallyRecord>(code).is_err());
    }
}
