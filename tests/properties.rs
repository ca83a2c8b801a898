//! Property tests of the rule engine against a naive oracle.
//!
//! The oracle in [`oracle`] is written from `domain/RULES.md` and
//! `spec/CONTRACT.md` alone, the slow and obvious way (integers only), and
//! shares no code with `src/rules`. Every case goes through the public path a
//! meeting uses: a round file built with serde_json → `roundfile::parse` →
//! `rules::evaluate` → the contract JSON of CONTRACT §3, which is read back
//! and compared.
//!
//! The generators in [`gen`] build mostly valid rounds of realistic size
//! (1–8 seats, up to 12 candidates, up to ~200 ballots) biased toward the
//! boundaries: present at the quorum boundary ±1, for-votes at the threshold
//! ±1 with ties at the cut-off, returned = issued ± 1, ballots with exactly
//! the allowed number of selections and one more, write-ins on against and
//! other lines and naming listed candidates, illegible marks.
//!
//! Interpretations where RULES.md is silent are marked "READING:" below.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use scrutineer::rules::tally::{read_ballot, BallotReading};
use scrutineer::rules::{self, roundfile};

// ---------------------------------------------------------------------------
// The model: a method, a round and its ballots, as the test sees them.
// ---------------------------------------------------------------------------

/// The kinds of round exercised here (CONTRACT §2 `round.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Nomination,
    Preliminary,
    Formal,
    Runoff,
    Supplementary,
    Cadre,
    Resolution,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Nomination => "nomination",
            Kind::Preliminary => "preliminary",
            Kind::Formal => "formal",
            Kind::Runoff => "runoff",
            Kind::Supplementary => "supplementary",
            Kind::Cadre => "cadre",
            Kind::Resolution => "resolution",
        }
    }

    /// Rounds that put people into seats (RULES §2.4–2.6).
    fn elects(self) -> bool {
        matches!(self, Kind::Formal | Kind::Runoff | Kind::Supplementary)
    }

    /// Single-round votes (RULES §5).
    fn is_vote(self) -> bool {
        matches!(self, Kind::Cadre | Kind::Resolution)
    }

    /// RULES §3.4 ("cadre votes and runoffs allow no write-ins") and §7
    /// ("none for cadre and resolution votes").
    fn takes_write_ins(self) -> bool {
        !matches!(self, Kind::Runoff | Kind::Cadre | Kind::Resolution)
    }
}

/// Offices with different differential rules in grassroots-2020 (RULES §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Office {
    Committee,
    Delegate,
    Standing,
    Secretary,
}

impl Office {
    fn name(self) -> &'static str {
        match self {
            Office::Committee => "committee",
            Office::Delegate => "delegate",
            Office::Standing => "standing",
            Office::Secretary => "secretary",
        }
    }
}

/// "present > num/den × entitled" (strict) or "≥" (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quorum {
    num: u64,
    den: u64,
    strict: bool,
}

/// Overrides of the grassroots-2020 preset; `None` leaves the preset value.
#[derive(Debug, Clone, Default)]
struct Overrides {
    quorum: Option<Quorum>,
    base_present: Option<bool>,
    box_voters: Option<bool>,
    illegible_void: Option<bool>,
    misplaced_void: Option<bool>,
    names_candidate_void: Option<bool>,
    list_tie_widen: Option<bool>,
    supplementary_equal_allowed: Option<bool>,
}

/// The effective method the oracle applies.
#[derive(Debug, Clone, Copy)]
struct Method {
    quorum: Quorum,
    /// Threshold base: `present` instead of `entitled` (RULES §4.1).
    base_present: bool,
    /// Box check against `present` (voters) instead of `issued` (§3.3).
    box_voters: bool,
    /// An illegible mark voids the ballot instead of abstaining (§3.4).
    illegible_void: bool,
    /// A write-in off an against line voids the ballot (§3.4).
    misplaced_void: bool,
    /// A write-in naming a listed candidate voids the ballot (§3.4).
    names_candidate_void: bool,
    /// A tie across the cut-off of a list round widens the list (§4.5).
    list_tie_widen: bool,
    /// A supplementary list may be an equal election (§4.6).
    supplementary_equal_allowed: bool,
}

impl Overrides {
    /// RULES §7, `grassroots-2020`: present > 4/5 entitled, base entitled,
    /// returned ≤ issued; write-ins only on an against line, otherwise
    /// ignored; illegible = abstain; ties need a runoff; supplementary list
    /// under the same ratio (§4.6 default).
    fn effective(&self) -> Method {
        Method {
            quorum: self.quorum.unwrap_or(Quorum {
                num: 4,
                den: 5,
                strict: true,
            }),
            base_present: self.base_present.unwrap_or(false),
            box_voters: self.box_voters.unwrap_or(false),
            illegible_void: self.illegible_void.unwrap_or(false),
            misplaced_void: self.misplaced_void.unwrap_or(false),
            names_candidate_void: self.names_candidate_void.unwrap_or(false),
            list_tie_widen: self.list_tie_widen.unwrap_or(false),
            supplementary_equal_allowed: self.supplementary_equal_allowed.unwrap_or(false),
        }
    }

    /// The `overrides` object of the round file.
    fn to_json(&self) -> Value {
        fn pick(flag: bool, yes: &str, no: &str) -> Value {
            Value::from(if flag { yes } else { no })
        }
        let mut o = Map::new();
        if let Some(q) = self.quorum {
            let comparison = if q.strict { "strict" } else { "inclusive" };
            o.insert(
                "quorum".into(),
                json!({ "num": q.num, "den": q.den, "comparison": comparison }),
            );
        }
        let flags = [
            ("threshold_base", self.base_present, "present", "entitled"),
            ("box_check", self.box_voters, "voters", "issued"),
            ("illegible", self.illegible_void, "void_ballot", "abstain"),
            (
                "write_in_misplaced",
                self.misplaced_void,
                "void_ballot",
                "ignore",
            ),
            (
                "write_in_names_candidate",
                self.names_candidate_void,
                "void_ballot",
                "ignore",
            ),
            ("list_tie", self.list_tie_widen, "widen", "runoff"),
            (
                "supplementary_list",
                self.supplementary_equal_allowed,
                "equal_allowed",
                "differential",
            ),
        ];
        for (name, value, yes, no) in flags {
            if let Some(flag) = value {
                o.insert(name.into(), pick(flag, yes, no));
            }
        }
        Value::Object(o)
    }
}

/// CONTRACT §2 `round`.
#[derive(Debug, Clone)]
struct RoundSpec {
    kind: Kind,
    office: Office,
    seats: u64,
    candidates: Vec<String>,
    entitled: u64,
    present: u64,
    /// `None`: left out of the file (defaults to `present`).
    issued: Option<u64>,
    /// `None`: left out of the file (defaults to the number of ballots).
    returned: Option<u64>,
    next_size: Option<u64>,
}

/// One paper ballot (CONTRACT §2 `ballots[i]`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Paper {
    Marked {
        /// `Y` `N` `A` `?`, one per candidate line.
        marks: Vec<char>,
        /// Line index → written name.
        write_ins: BTreeMap<usize, String>,
    },
    Void,
}

impl Paper {
    fn to_json(&self) -> Value {
        match self {
            Paper::Void => json!({ "void": "ballot carries a signature" }),
            Paper::Marked { marks, write_ins } => {
                let marks: String = marks.iter().collect();
                if write_ins.is_empty() {
                    Value::from(marks)
                } else {
                    let w: Map<String, Value> = write_ins
                        .iter()
                        .map(|(line, name)| (line.to_string(), Value::from(name.as_str())))
                        .collect();
                    json!({ "marks": marks, "write_ins": w })
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    overrides: Overrides,
    round: RoundSpec,
    ballots: Vec<Paper>,
}

impl Case {
    /// The round file of CONTRACT §2.
    fn to_json(&self) -> String {
        let r = &self.round;
        let mut round = json!({
            "kind": r.kind.name(),
            "office": r.office.name(),
            "contest": "properties",
            "seats": r.seats,
            "candidates": r.candidates,
            "entitled": r.entitled,
            "present": r.present,
            "next_size": r.next_size,
        });
        if let Some(issued) = r.issued {
            round["issued"] = json!(issued);
        }
        if let Some(returned) = r.returned {
            round["returned"] = json!(returned);
        }
        let ballots: Vec<Value> = self.ballots.iter().map(Paper::to_json).collect();
        let file = json!({
            "method": { "preset": "grassroots-2020", "overrides": self.overrides.to_json() },
            "round": round,
            "ballots": ballots,
        });
        serde_json::to_string_pretty(&file).expect("a JSON value serialises")
    }

    fn method(&self) -> Method {
        self.overrides.effective()
    }
}

/// The parts of a result the oracle decides (sets where order is a report
/// matter, not a counting one).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    status: String,
    elected: BTreeSet<String>,
    /// (among, seats)
    runoff: Option<(BTreeSet<String>, u64)>,
    unfilled: u64,
    next_list: Option<BTreeSet<String>>,
    threshold: u64,
    valid: u64,
    invalid: u64,
    /// Every listed candidate and accepted write-in: (for, against, abstain).
    lines: BTreeMap<String, (u64, u64, u64)>,
}

// ---------------------------------------------------------------------------
// The oracle.
// ---------------------------------------------------------------------------

mod oracle {
    use super::*;

    /// RULES §3.1: a nomination has its own participation floor (80%以上,
    /// the number included), not the election's quorum.
    pub fn attendance_rule(m: &Method, kind: Kind) -> Quorum {
        match kind {
            Kind::Nomination => Quorum {
                num: 4,
                den: 5,
                strict: false,
            },
            _ => m.quorum,
        }
    }

    /// RULES §3.1: quorum by cross-multiplication, never a float.
    pub fn quorum_met(q: Quorum, present: u64, entitled: u64) -> bool {
        let (lhs, rhs) = (present * q.den, entitled * q.num);
        if q.strict {
            lhs > rhs
        } else {
            lhs >= rhs
        }
    }

    /// RULES §4.1: above threshold iff `2 × for > base`; exactly half fails.
    pub fn above_threshold(for_votes: u64, base: u64) -> bool {
        2 * for_votes > base
    }

    /// CONTRACT §3 `threshold`: the smallest number of for-votes above
    /// threshold, found by counting up.
    pub fn threshold(base: u64) -> u64 {
        (0..).find(|f| above_threshold(*f, base)).unwrap_or(0)
    }

    /// RULES §4.1: the threshold base of the method.
    pub fn base(m: &Method, r: &RoundSpec) -> u64 {
        if m.base_present {
            r.present
        } else {
            r.entitled
        }
    }

    /// RULES §3.2 with the grassroots-2020 rules of §7: committee and
    /// delegates ≥ 20% (`(candidates − seats) × 5 ≥ seats`, 进一法);
    /// standing +1…+2; secretary an equal election.
    pub fn office_list_ok(office: Office, seats: u64, candidates: u64) -> bool {
        match office {
            Office::Committee | Office::Delegate => {
                candidates >= seats && (candidates - seats) * 5 >= seats
            }
            Office::Standing => candidates > seats && candidates <= seats + 2,
            Office::Secretary => candidates == seats,
        }
    }

    /// The list rule of each kind of round.
    pub fn list_ok(m: &Method, r: &RoundSpec) -> bool {
        let candidates = r.candidates.len() as u64;
        match r.kind {
            // §2.1: a nomination ranks; no list rule.
            Kind::Nomination => true,
            Kind::Formal => office_list_ok(r.office, r.seats, candidates),
            // §4.6: same ratio by default; an equal election if allowed.
            Kind::Supplementary if m.supplementary_equal_allowed => candidates >= r.seats,
            Kind::Supplementary => office_list_ok(r.office, r.seats, candidates),
            // §2.5: only the tied, who outnumber the contested seats.
            Kind::Runoff => candidates > r.seats,
            // §2.3: a differential ballot producing a formal list that must
            // itself meet the formal rule (READING: RULES implies it through
            // §3.2 applied to the next stage).
            Kind::Preliminary => {
                let next = r.next_size.unwrap_or(0);
                office_list_ok(r.office, r.seats, next) && candidates > next
            }
            // §3.2 / §7: grassroots-2020 sets no cadre differential rule.
            Kind::Cadre | Kind::Resolution => true,
        }
    }

    /// RULES §3.3: returned ≤ issued (or ≤ the voters, 投票人数: with no
    /// recorded count at most min(present, issued)).
    pub fn box_valid(m: &Method, r: &RoundSpec, ballots: usize) -> bool {
        let returned = r.returned.unwrap_or(ballots as u64);
        let issued = r.issued.unwrap_or(r.present);
        let limit = if m.box_voters {
            r.present.min(issued)
        } else {
            issued
        };
        returned <= limit
    }

    /// CONTRACT §2 `seats`: the most selections a ballot may carry.
    pub fn selection_limit(r: &RoundSpec) -> u64 {
        match r.kind {
            Kind::Preliminary => r.next_size.unwrap_or(0),
            _ => r.seats,
        }
    }

    /// RULES §3.4: a valid ballot's accepted write-in names, or `None` for an
    /// invalid ballot.
    pub fn read(m: &Method, r: &RoundSpec, paper: &Paper) -> Option<BTreeSet<String>> {
        let (marks, write_ins) = match paper {
            Paper::Void => return None,
            Paper::Marked { marks, write_ins } => (marks, write_ins),
        };
        if m.illegible_void && marks.contains(&'?') {
            return None;
        }
        let mut accepted = BTreeSet::new();
        for (line, name) in write_ins {
            // READING: a write-in off an against line is not a write-in at
            // all, so only the misplaced rule applies to it, whatever name
            // it carries (RULES is silent on a write-in breaking both rules).
            let on_against = r.kind.takes_write_ins() && marks[*line] == 'N';
            if !on_against {
                if m.misplaced_void {
                    return None;
                }
            } else if r.candidates.contains(name) {
                if m.names_candidate_void {
                    return None;
                }
            } else {
                // A set: one ballot supports one person once.
                accepted.insert(name.clone());
            }
        }
        let selections = marks.iter().filter(|c| **c == 'Y').count() + accepted.len();
        if selections as u64 > selection_limit(r) {
            return None; // overvote (多选)
        }
        Some(accepted)
    }

    /// RULES §4.2, the slow way: a contender is chosen when those with
    /// strictly more votes plus those with as many fit the places; a
    /// contender whose equal-vote group straddles the cut-off is tied.
    /// Returns (chosen, tied).
    pub fn fill(contenders: &[(String, u64)], places: u64) -> (BTreeSet<String>, BTreeSet<String>) {
        let (mut chosen, mut tied) = (BTreeSet::new(), BTreeSet::new());
        for (name, votes) in contenders {
            let more = contenders.iter().filter(|(_, v)| v > votes).count() as u64;
            let same = contenders.iter().filter(|(_, v)| v == votes).count() as u64;
            if more + same <= places {
                chosen.insert(name.clone());
            } else if more < places {
                tied.insert(name.clone());
            }
        }
        (chosen, tied)
    }

    /// The whole outcome of a round.
    pub fn outcome(case: &Case) -> Outcome {
        let m = case.method();
        let r = &case.round;
        let base = base(&m, r);
        let mut out = Outcome {
            status: String::new(),
            elected: BTreeSet::new(),
            runoff: None,
            unfilled: 0,
            next_list: None,
            threshold: threshold(base),
            valid: 0,
            invalid: 0,
            lines: BTreeMap::new(),
        };
        // §3.1: no quorum, nothing is counted. §3.2: a bad list is refused.
        // §3.3: a box check failure voids the round.
        if !quorum_met(attendance_rule(&m, r.kind), r.present, r.entitled) {
            out.status = "no_quorum".into();
            return out;
        }
        if !list_ok(&m, r) {
            out.status = "list_rejected".into();
            return out;
        }
        if !box_valid(&m, r, case.ballots.len()) {
            out.status = "void".into();
            return out;
        }

        // §3.4: the count. Illegible marks that do not void count as abstain.
        for name in &r.candidates {
            out.lines.insert(name.clone(), (0, 0, 0));
        }
        for paper in &case.ballots {
            let Some(write_ins) = read(&m, r, paper) else {
                out.invalid += 1;
                continue;
            };
            out.valid += 1;
            if let Paper::Marked { marks, .. } = paper {
                for (name, mark) in r.candidates.iter().zip(marks) {
                    let line = out.lines.get_mut(name).expect("listed");
                    match mark {
                        'Y' => line.0 += 1,
                        'N' => line.1 += 1,
                        _ => line.2 += 1,
                    }
                }
            }
            for name in write_ins {
                out.lines.entry(name).or_insert((0, 0, 0)).0 += 1;
            }
        }

        let qualifiers: Vec<(String, u64)> = out
            .lines
            .iter()
            .filter(|(_, l)| above_threshold(l.0, base))
            .map(|(n, l)| (n.clone(), l.0))
            .collect();
        if r.kind.elects() {
            // §4.2 / §4.3.
            let (chosen, tied) = fill(&qualifiers, r.seats);
            decide_seats(&mut out, r.seats, chosen, tied);
        } else if r.kind.is_vote() {
            // §5 and CONTRACT §3: never a shortfall.
            if r.candidates.len() as u64 <= r.seats {
                out.unfilled = r.seats - qualifiers.len() as u64;
                out.elected = qualifiers.into_iter().map(|(n, _)| n).collect();
                out.status = "complete".into();
            } else {
                let (chosen, tied) = fill(&qualifiers, r.seats);
                decide_seats(&mut out, r.seats, chosen, tied);
                if out.status == "shortfall" {
                    out.status = "complete".into();
                }
            }
        } else {
            // §4.5 preliminary: qualifiers above threshold. §2.1 nomination:
            // ranked by for-votes without a threshold (READING: a name with
            // no for-vote at all has not been recommended and is not listed).
            let contenders: Vec<(String, u64)> = if r.kind == Kind::Preliminary {
                qualifiers
            } else {
                out.lines
                    .iter()
                    .filter(|(_, l)| l.0 > 0)
                    .map(|(n, l)| (n.clone(), l.0))
                    .collect()
            };
            let places = r.next_size.unwrap_or(0);
            let (mut chosen, tied) = fill(&contenders, places);
            if m.list_tie_widen {
                chosen.extend(tied);
                let listed = chosen.len() as u64;
                out.unfilled = places.saturating_sub(listed);
                out.status = if listed >= places {
                    "complete"
                } else {
                    "shortfall"
                }
                .into();
                out.next_list = Some(chosen);
            } else {
                decide_seats(&mut out, places, chosen.clone(), tied);
                out.elected.clear();
                out.next_list = Some(chosen);
            }
        }
        out
    }

    /// RULES §4.3: complete, runoff among exactly the tied for the places
    /// left, or shortfall — never runoff and shortfall together.
    fn decide_seats(
        out: &mut Outcome,
        places: u64,
        chosen: BTreeSet<String>,
        tied: BTreeSet<String>,
    ) {
        let filled = chosen.len() as u64;
        if !tied.is_empty() {
            out.status = "runoff_required".into();
            out.runoff = Some((tied, places - filled));
        } else if filled == places {
            out.status = "complete".into();
        } else {
            out.status = "shortfall".into();
            out.unfilled = places - filled;
        }
        out.elected = chosen;
    }
}

// ---------------------------------------------------------------------------
// Running the engine through the public path.
// ---------------------------------------------------------------------------

/// Parse, evaluate and print the contract JSON of a round file.
fn engine_json(text: &str) -> String {
    let file = roundfile::parse(text, None)
        .unwrap_or_else(|e| panic!("generated round file must parse: {e}\n{text}"));
    let result = rules::evaluate(&file.method, &file.round, &file.ballots);
    scrutineer::report::json::to_string(&file.method, &file.round, &result)
}

fn names(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .expect("a list of names")
        .iter()
        .map(|n| n.as_str().expect("a name").to_string())
        .collect()
}

fn num(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("expected a count, found {v}"))
}

/// Read the decided parts back from the contract JSON (CONTRACT §3).
fn engine_outcome(doc: &Value) -> Outcome {
    let runoff = match &doc["runoff"] {
        Value::Null => None,
        ro => Some((names(&ro["among"]), num(&ro["seats"]))),
    };
    let next_list = match &doc["next_list"] {
        Value::Null => None,
        list => Some(names(list)),
    };
    let lines = doc["tally"]
        .as_array()
        .expect("tally rows")
        .iter()
        .map(|row| {
            let name = row["name"].as_str().expect("row name").to_string();
            (
                name,
                (num(&row["for"]), num(&row["against"]), num(&row["abstain"])),
            )
        })
        .collect();
    Outcome {
        status: doc["status"].as_str().expect("status").to_string(),
        elected: names(&doc["elected"]),
        runoff,
        unfilled: num(&doc["unfilled"]),
        next_list,
        threshold: num(&doc["threshold"]),
        valid: num(&doc["ballots"]["valid"]),
        invalid: num(&doc["ballots"]["invalid"]),
        lines,
    }
}

fn run(case: &Case) -> (String, Value) {
    let text = engine_json(&case.to_json());
    let doc = serde_json::from_str(&text).expect("the engine prints JSON");
    (text, doc)
}

// ---------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------

mod gen {
    use super::*;

    /// Listed names, in ballot order.
    pub const NAMES: [&str; 12] = [
        "丁一", "王二", "刘三", "张四", "陈五", "周六", "吴七", "郑八", "孙九", "钱十", "冯立",
        "褚明",
    ];
    /// Names written in (另选他人), never on the list.
    const WRITTEN: [&str; 3] = ["李甲", "赵乙", "孙丙"];

    /// xorshift64*: ballot details from one proptest-chosen seed.
    pub struct Rng(u64);

    impl Rng {
        pub fn new(seed: u64) -> Self {
            Rng(seed | 1)
        }
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        /// Uniform in `0..n` (0 when n is 0).
        pub fn below(&mut self, n: u64) -> u64 {
            if n == 0 {
                0
            } else {
                self.next() % n
            }
        }
        pub fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
        pub fn shuffle<T>(&mut self, xs: &mut [T]) {
            for i in (1..xs.len()).rev() {
                let j = self.below(i as u64 + 1) as usize;
                xs.swap(i, j);
            }
        }
    }

    /// How many are present, relative to the quorum boundary.
    #[derive(Debug, Clone, Copy)]
    pub enum Present {
        BelowBoundary,
        AtBoundary,
        AboveBoundary,
        /// Somewhere between the boundary and everyone (per mille).
        Between(u64),
        Everyone,
    }

    /// How many ballots come back, relative to those issued.
    #[derive(Debug, Clone, Copy)]
    pub enum Returned {
        AsIssued,
        OneFewer,
        OneMore,
        /// Not in the file: as many as the ballots given.
        Omitted,
        /// More than were present (void under either box check).
        PresentPlusOne,
    }

    /// The structural choices of a case; ballot details come from `seed`.
    #[derive(Debug, Clone)]
    pub struct Shape {
        pub kind: Kind,
        pub office: Office,
        pub seats: u64,
        /// Candidates relative to the fewest the list rule allows.
        pub list_delta: i64,
        /// `next_size` relative to the fewest the formal rule allows.
        pub next_delta: i64,
        pub entitled: u64,
        pub present: Present,
        pub issued_short: u64,
        pub returned: Returned,
        pub seed: u64,
    }

    pub fn overrides() -> impl Strategy<Value = Overrides> {
        let quorum = (
            prop_oneof![Just((4, 5)), Just((1, 2)), Just((2, 3))],
            any::<bool>(),
        )
            .prop_map(|((num, den), strict)| Quorum { num, den, strict });
        let flag = || proptest::option::of(any::<bool>());
        (
            proptest::option::of(quorum),
            flag(),
            flag(),
            flag(),
            flag(),
            flag(),
            flag(),
            flag(),
        )
            .prop_map(|(quorum, bp, bv, iv, mv, nv, w, s)| Overrides {
                quorum,
                base_present: bp,
                box_voters: bv,
                illegible_void: iv,
                misplaced_void: mv,
                names_candidate_void: nv,
                list_tie_widen: w,
                supplementary_equal_allowed: s,
            })
    }

    pub fn any_kind() -> BoxedStrategy<Kind> {
        prop_oneof![
            3 => Just(Kind::Formal),
            1 => Just(Kind::Supplementary),
            1 => Just(Kind::Runoff),
            1 => Just(Kind::Preliminary),
            1 => Just(Kind::Nomination),
            1 => Just(Kind::Cadre),
            1 => Just(Kind::Resolution),
        ]
        .boxed()
    }

    /// Kinds whose `elected` says who won (for the monotonicity property).
    pub fn electing_kind() -> BoxedStrategy<Kind> {
        prop_oneof![
            3 => Just(Kind::Formal),
            1 => Just(Kind::Supplementary),
            1 => Just(Kind::Runoff),
            1 => Just(Kind::Cadre),
            1 => Just(Kind::Resolution),
        ]
        .boxed()
    }

    pub fn shape(kinds: BoxedStrategy<Kind>) -> impl Strategy<Value = Shape> {
        let office = prop_oneof![
            6 => Just(Office::Committee),
            1 => Just(Office::Delegate),
            1 => Just(Office::Standing),
            1 => Just(Office::Secretary),
        ];
        let delta = prop_oneof![5 => Just(0i64), 1 => Just(-1i64), 2 => 1..=3i64];
        let next_delta = prop_oneof![4 => Just(0i64), 1 => Just(-1i64), 1 => 1..=2i64];
        let present = prop_oneof![
            1 => Just(Present::BelowBoundary),
            2 => Just(Present::AtBoundary),
            2 => Just(Present::AboveBoundary),
            3 => (0..=1000u64).prop_map(Present::Between),
            1 => Just(Present::Everyone),
        ];
        let returned = prop_oneof![
            4 => Just(Returned::AsIssued),
            2 => Just(Returned::OneFewer),
            1 => Just(Returned::OneMore),
            2 => Just(Returned::Omitted),
            1 => Just(Returned::PresentPlusOne),
        ];
        let issued_short = prop_oneof![4 => Just(0u64), 1 => 1..=3u64];
        (
            (kinds, office, 1..=8u64, delta, next_delta),
            (1..=200u64, present, issued_short, returned, any::<u64>()),
        )
            .prop_map(
                |(
                    (kind, office, seats, list_delta, next_delta),
                    (entitled, present, issued_short, returned, seed),
                )| Shape {
                    kind,
                    office,
                    seats,
                    list_delta,
                    next_delta,
                    entitled,
                    present,
                    issued_short,
                    returned,
                    seed,
                },
            )
    }

    pub fn case(kinds: BoxedStrategy<Kind>) -> impl Strategy<Value = Case> {
        (overrides(), shape(kinds)).prop_map(|(o, s)| build(o, s))
    }

    /// The fewest candidates an office's rule allows (found by counting up,
    /// with the oracle's own list rule).
    fn fewest(office: Office, seats: u64) -> u64 {
        (seats..)
            .find(|c| oracle::office_list_ok(office, seats, *c))
            .unwrap_or(seats)
    }

    fn offset(n: u64, delta: i64) -> u64 {
        n.saturating_add_signed(delta)
    }

    pub fn build(overrides: Overrides, s: Shape) -> Case {
        let m = overrides.effective();
        let mut rng = Rng::new(s.seed);
        let kind = s.kind;
        let office = if kind.is_vote() || kind == Kind::Runoff {
            Office::Committee
        } else {
            s.office
        };
        let seats = match (kind, office) {
            (Kind::Resolution, _) => 1 + s.seats % 3,
            (_, Office::Secretary) => 1 + s.seats % 2,
            _ => s.seats,
        };

        // The list: at the rule's minimum, one short, or a few over.
        let (count, next_size) = match kind {
            Kind::Formal | Kind::Supplementary => {
                (offset(fewest(office, seats), s.list_delta), None)
            }
            Kind::Runoff => (offset(seats + 1, s.list_delta), None),
            Kind::Preliminary => {
                let next = offset(fewest(office, seats), s.next_delta).max(1);
                (offset(next + 1, s.list_delta), Some(next))
            }
            Kind::Nomination => {
                let next = offset(seats, s.next_delta).max(1);
                (offset(seats + 2, 2 * s.list_delta), Some(next))
            }
            Kind::Cadre | Kind::Resolution => (offset(seats, s.list_delta), None),
        };
        let count = count.clamp(1, NAMES.len() as u64) as usize;
        let candidates: Vec<String> = NAMES[..count].iter().map(|n| n.to_string()).collect();

        // Attendance at the quorum boundary ±1 (RULES §3.1).
        let entitled = s.entitled;
        let boundary = (0..=entitled)
            .find(|p| oracle::quorum_met(oracle::attendance_rule(&m, kind), *p, entitled))
            .unwrap_or(entitled);
        let present = match s.present {
            Present::BelowBoundary => boundary.saturating_sub(1),
            Present::AtBoundary => boundary,
            Present::AboveBoundary => (boundary + 1).min(entitled),
            Present::Between(x) => boundary + (entitled - boundary) * x / 1000,
            Present::Everyone => entitled,
        };
        let issued = present - s.issued_short.min(present);

        // Returned = issued ± 1 (RULES §3.3).
        let returned = match s.returned {
            Returned::AsIssued => Some(issued),
            Returned::OneFewer => Some(issued.saturating_sub(1)),
            Returned::OneMore => Some(issued + 1),
            Returned::Omitted => None,
            Returned::PresentPlusOne => Some(present + 1),
        };
        let round = RoundSpec {
            kind,
            office,
            seats,
            candidates,
            entitled,
            present,
            issued: (issued != present || rng.chance(50)).then_some(issued),
            returned,
            next_size,
        };

        let papers = returned.unwrap_or_else(|| issued - rng.below(2).min(issued));
        let counted = oracle::quorum_met(oracle::attendance_rule(&m, kind), present, entitled)
            && oracle::box_valid(&m, &round, papers as usize);
        // A round that is not counted may come without its ballots.
        let papers = if !counted && returned.is_some() && rng.chance(50) {
            0
        } else {
            papers
        };
        let ballots = ballots(&m, &round, papers as usize, &mut rng);
        Case {
            overrides,
            round,
            ballots,
        }
    }

    /// `n` ballots: most built to give chosen for-vote totals near the
    /// threshold (with ties), a few built to sit on the selection limit or
    /// one over it, declared void, blank or illegible.
    fn ballots(m: &Method, r: &RoundSpec, n: usize, rng: &mut Rng) -> Vec<Paper> {
        let lines = r.candidates.len();
        let limit = oracle::selection_limit(r) as usize;
        let extra = (rng.below(7) as usize).min(n);
        let main = n - extra;
        let base = oracle::base(m, r);
        let t = oracle::threshold(base);

        // Columns: every listed line, plus write-in names where they count.
        let mut columns: Vec<Option<&str>> = (0..lines).map(|_| None).collect();
        if r.kind.takes_write_ins() && rng.chance(40) {
            let k = 1 + rng.below(2) as usize;
            columns.extend(WRITTEN[..k].iter().map(|w| Some(*w)));
        }

        // Targets: a shared cut value at the threshold ±1 or anywhere.
        let cut = match rng.below(6) {
            0 => t.saturating_sub(1),
            1 | 2 => t,
            3 => t + 1,
            4 => t + 2,
            _ => rng.below(main as u64 + 1),
        };
        let mut targets: Vec<u64> = if rng.chance(50) {
            // Free: each column on the cut, near the threshold, high or low.
            columns
                .iter()
                .map(|_| match rng.below(20) {
                    0..=6 => cut,
                    7..=10 => t.saturating_sub(1) + rng.below(3),
                    11..=15 => t + rng.below((main as u64).saturating_sub(t) + 1),
                    _ => rng.below(t.max(1)),
                })
                .collect()
        } else {
            // A tie on the cut-off: `above` columns over the cut, then a
            // group on it that may straddle the places left, the rest low.
            let places = limit as u64;
            let above = rng.below(places + 1);
            let tied = if rng.chance(75) {
                (places + 1).saturating_sub(above).max(2) + rng.below(2)
            } else {
                1 + rng.below(3)
            };
            let mut order: Vec<usize> = (0..columns.len()).collect();
            rng.shuffle(&mut order);
            let mut targets = vec![0; columns.len()];
            for (rank, j) in order.into_iter().enumerate() {
                let rank = rank as u64;
                targets[j] = if rank < above {
                    cut + 1 + rng.below(3)
                } else if rank < above + tied {
                    cut
                } else {
                    match rng.below(5) {
                        0 | 1 => t.saturating_sub(1),
                        2 => rng.below(2),
                        _ => rng.below(t / 3 + 1),
                    }
                };
            }
            targets
        };
        for x in targets.iter_mut() {
            *x = (*x).min(main as u64);
        }
        // A ballot carries at most `limit` selections on distinct lines:
        // level the highest targets until they fit (this makes more ties).
        let per_ballot = limit.min(lines) as u64;
        while targets.iter().sum::<u64>() > main as u64 * per_ballot {
            let top = targets.iter().copied().max().unwrap_or(0);
            let i = targets.iter().position(|x| *x == top).unwrap_or(0);
            targets[i] -= 1;
        }

        // Wrap-around assignment: column j takes the next targets[j]
        // ballots cyclically, so no ballot gets a column twice and no ballot
        // gets more than ceil(total / main) ≤ per_ballot columns.
        let mut assigned: Vec<Vec<usize>> = vec![Vec::new(); main];
        let mut order: Vec<usize> = (0..columns.len()).collect();
        rng.shuffle(&mut order);
        let mut pos = 0;
        for j in order {
            for _ in 0..targets[j] {
                assigned[pos % main].push(j);
                pos += 1;
            }
        }

        let against = 20 + rng.below(60);
        let illegible = if rng.chance(30) { 1 + rng.below(4) } else { 0 };
        let stray = if rng.chance(40) { 3 + rng.below(8) } else { 0 };
        let mut out = Vec::with_capacity(n);
        for cols in assigned {
            let mut marks: Vec<char> = (0..lines)
                .map(|_| filler(rng, against, illegible))
                .collect();
            let mut write_ins = BTreeMap::new();
            for &j in &cols {
                if j < lines {
                    marks[j] = 'Y';
                }
            }
            for &j in &cols {
                if let Some(name) = columns[j] {
                    // A free line (not Y, no write-in yet) marked against.
                    let free: Vec<usize> = (0..lines)
                        .filter(|l| marks[*l] != 'Y' && !write_ins.contains_key(l))
                        .collect();
                    let line = free[rng.below(free.len() as u64) as usize];
                    marks[line] = 'N';
                    write_ins.insert(line, name.to_string());
                }
            }
            if rng.chance(stray) {
                stray_write_in(r, &mut marks, &mut write_ins, rng);
            }
            out.push(Paper::Marked { marks, write_ins });
        }
        for _ in 0..extra {
            out.push(odd_ballot(r, limit, against, rng));
        }
        rng.shuffle(&mut out);
        out
    }

    /// A mark on a line nobody assigned a for-vote to.
    fn filler(rng: &mut Rng, against: u64, illegible: u64) -> char {
        if rng.chance(illegible) {
            '?'
        } else if rng.chance(against) {
            'N'
        } else {
            'A'
        }
    }

    /// A write-in anywhere: on an against line or not, naming a listed
    /// candidate or not; never a name already written on this ballot.
    fn stray_write_in(
        r: &RoundSpec,
        marks: &mut [char],
        write_ins: &mut BTreeMap<usize, String>,
        rng: &mut Rng,
    ) {
        let line = rng.below(marks.len() as u64) as usize;
        let name = if rng.chance(50) {
            r.candidates[rng.below(r.candidates.len() as u64) as usize].clone()
        } else {
            WRITTEN[rng.below(WRITTEN.len() as u64) as usize].to_string()
        };
        if write_ins.contains_key(&line) || write_ins.values().any(|w| *w == name) {
            return;
        }
        if rng.chance(50) && marks[line] != 'Y' {
            marks[line] = 'N';
        }
        write_ins.insert(line, name);
    }

    /// A ballot at a validity boundary.
    fn odd_ballot(r: &RoundSpec, limit: usize, against: u64, rng: &mut Rng) -> Paper {
        let lines = r.candidates.len();
        let mut marks: Vec<char> = (0..lines).map(|_| filler(rng, against, 0)).collect();
        let mut write_ins = BTreeMap::new();
        let mut order: Vec<usize> = (0..lines).collect();
        rng.shuffle(&mut order);
        match rng.below(5) {
            0 => return Paper::Void,
            // Exactly the limit, or one over (by a mark or a write-in).
            1 | 2 => {
                let over = rng.below(2) as usize;
                let fors = (limit + over).min(lines);
                for &l in &order[..fors] {
                    marks[l] = 'Y';
                }
                let short = limit + over - fors;
                if short > 0 && r.kind.takes_write_ins() && fors < lines {
                    let line = order[fors];
                    marks[line] = 'N';
                    write_ins.insert(line, WRITTEN[0].to_string());
                }
            }
            // Blank: valid, counts as abstain on every line.
            3 => marks.iter_mut().for_each(|c| *c = 'A'),
            _ => {
                let l = order[0];
                marks[l] = '?';
            }
        }
        Paper::Marked { marks, write_ins }
    }
}

// ---------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The engine decides every round exactly as the oracle does.
    #[test]
    fn same_outcome_as_the_oracle(case in gen::case(gen::any_kind())) {
        let (_, doc) = run(&case);
        let want = oracle::outcome(&case);
        let got = engine_outcome(&doc);
        prop_assert_eq!(got, want, "round file:\n{}", case.to_json());
    }

    /// RULES §6 (secret ballot): ballots carry no order; shuffling them
    /// changes nothing in the contract JSON.
    #[test]
    fn ballot_order_never_matters(case in gen::case(gen::any_kind()), seed in any::<u64>()) {
        let (text, _) = run(&case);
        let mut shuffled = case.clone();
        gen::Rng::new(seed).shuffle(&mut shuffled.ballots);
        let (again, _) = run(&shuffled);
        prop_assert_eq!(&text, &again, "round file:\n{}", case.to_json());
        shuffled.ballots.reverse();
        let (reversed, _) = run(&shuffled);
        prop_assert_eq!(&text, &reversed, "round file:\n{}", case.to_json());
    }

    /// Ballots and seats are conserved; outcomes are consistent (RULES §4.3).
    #[test]
    fn conservation(case in gen::case(gen::any_kind())) {
        let (_, doc) = run(&case);
        let got = engine_outcome(&doc);
        let r = &case.round;
        let file = case.to_json();
        let counted = !matches!(got.status.as_str(), "no_quorum" | "void" | "list_rejected");
        if counted {
            prop_assert_eq!(got.valid + got.invalid, case.ballots.len() as u64, "{}", file);
        } else {
            prop_assert_eq!((got.valid, got.invalid), (0, 0), "{}", file);
            prop_assert!(got.elected.is_empty() && got.runoff.is_none(), "{}", file);
        }
        for row in doc["tally"].as_array().expect("rows") {
            let (f, a, x) = (num(&row["for"]), num(&row["against"]), num(&row["abstain"]));
            // One valid ballot supports a name at most once.
            prop_assert!(f <= got.valid, "{} has {} for-votes from {} valid ballots\n{}", row["name"], f, got.valid, file);
            if row["write_in"] == Value::Bool(false) {
                prop_assert_eq!(f + a + x, got.valid, "{}\n{}", row["name"], file);
            }
        }
        // Seats: what is decided, contested and left over adds up to the
        // places open, never more.
        let places = match r.kind {
            Kind::Nomination | Kind::Preliminary => r.next_size.unwrap_or(0),
            _ => r.seats,
        };
        let runoff_seats = got.runoff.as_ref().map_or(0, |(_, s)| *s);
        let decided = match &got.next_list {
            Some(list) => list.len() as u64,
            None => got.elected.len() as u64,
        };
        prop_assert!(got.elected.len() as u64 <= r.seats, "{}", file);
        if counted && !(got.next_list.is_some() && case.method().list_tie_widen) {
            prop_assert_eq!(decided + runoff_seats + got.unfilled, places, "{}", file);
        }
        if let Some((among, seats)) = &got.runoff {
            prop_assert_eq!(got.status.as_str(), "runoff_required", "{}", file);
            // A runoff only when more contenders than places.
            prop_assert!(*seats >= 1 && among.len() as u64 > *seats, "{}", file);
            prop_assert!(among.is_disjoint(&got.elected), "{}", file);
            if let Some(list) = &got.next_list {
                prop_assert!(among.is_disjoint(list), "{}", file);
            }
            let above = doc["tally"].as_array().expect("rows").iter()
                .filter(|row| row["above_threshold"] == Value::Bool(true)).count() as u64;
            if r.kind != Kind::Nomination {
                prop_assert!(above > places, "runoff with {} above threshold for {} places\n{}", above, places, file);
            }
            // Never runoff and shortfall together.
            prop_assert_eq!(got.unfilled, 0, "{}", file);
        } else {
            prop_assert!(got.status != "runoff_required", "{}", file);
        }
        if got.status == "shortfall" {
            prop_assert!(got.unfilled > 0, "{}", file);
        }
        if got.status == "complete" && !r.kind.is_vote() {
            prop_assert_eq!(got.unfilled, 0, "{}", file);
        }
        if let Some(list) = &got.next_list {
            let widen = case.method().list_tie_widen;
            prop_assert!(widen || list.len() as u64 <= places, "{}", file);
        }
    }

    /// RULES §3.4: an invalid ballot counts for nobody — dropping every
    /// ballot the engine calls invalid changes no count and no outcome.
    #[test]
    fn invalid_ballots_count_for_nobody(case in gen::case(gen::any_kind())) {
        let parsed = roundfile::parse(&case.to_json(), None).expect("parses");
        let (_, doc) = run(&case);
        let before = engine_outcome(&doc);
        if matches!(before.status.as_str(), "no_quorum" | "void" | "list_rejected") {
            return Ok(());
        }
        let mut kept = case.clone();
        kept.ballots = case.ballots.iter().zip(&parsed.ballots)
            .filter(|(_, b)| !matches!(read_ballot(&parsed.method, &parsed.round, b), BallotReading::Invalid(_)))
            .map(|(p, _)| p.clone())
            .collect();
        kept.round.returned = Some(kept.ballots.len() as u64);
        let (_, doc) = run(&kept);
        let after = engine_outcome(&doc);
        prop_assert_eq!(after.invalid, 0);
        prop_assert_eq!(after.clone(), Outcome { invalid: 0, ..before }, "{}", case.to_json());
    }

    /// Monotonicity: one more for-vote for an elected candidate (one of
    /// their valid A/N ballots turned into Y, without an overvote) never
    /// un-elects them.
    #[test]
    fn more_support_never_unelects(
        case in gen::case(gen::electing_kind()),
        who in any::<prop::sample::Index>(),
        which in any::<prop::sample::Index>(),
    ) {
        let (_, doc) = run(&case);
        let before = engine_outcome(&doc);
        let m = case.method();
        let r = &case.round;
        let elected: Vec<usize> = (0..r.candidates.len())
            .filter(|i| before.elected.contains(&r.candidates[*i]))
            .collect();
        if elected.is_empty() {
            return Ok(());
        }
        let line = elected[who.index(elected.len())];
        let limit = oracle::selection_limit(r) as usize;
        let open: Vec<usize> = case.ballots.iter().enumerate().filter(|(_, p)| {
            let Paper::Marked { marks, write_ins } = p else { return false };
            let Some(accepted) = oracle::read(&m, r, p) else { return false };
            let selections = marks.iter().filter(|c| **c == 'Y').count() + accepted.len();
            matches!(marks[line], 'A' | 'N') && !write_ins.contains_key(&line) && selections < limit
        }).map(|(i, _)| i).collect();
        if open.is_empty() {
            return Ok(());
        }
        let mut more = case.clone();
        if let Paper::Marked { marks, .. } = &mut more.ballots[open[which.index(open.len())]] {
            marks[line] = 'Y';
        }
        let (_, doc) = run(&more);
        let after = engine_outcome(&doc);
        let name = &r.candidates[line];
        prop_assert_eq!(after.lines[name].0, before.lines[name].0 + 1);
        prop_assert!(after.elected.contains(name), "{} lost the seat with one more vote\n{}", name, more.to_json());
    }
}

// ---------------------------------------------------------------------------
// Deterministic boundaries (RULES §3.1, §3.3, §3.4, §4.1, §4.2).
// ---------------------------------------------------------------------------

/// A formal round of `seats` seats among the first `candidates` names,
/// everyone present, with the given ballots.
fn formal(seats: u64, candidates: usize, entitled: u64, ballots: &[&str]) -> Case {
    Case {
        overrides: Overrides::default(),
        round: RoundSpec {
            kind: Kind::Formal,
            office: Office::Committee,
            seats,
            candidates: gen::NAMES[..candidates]
                .iter()
                .map(|n| n.to_string())
                .collect(),
            entitled,
            present: entitled,
            issued: None,
            returned: None,
            next_size: None,
        },
        ballots: ballots
            .iter()
            .map(|b| Paper::Marked {
                marks: b.chars().collect(),
                write_ins: BTreeMap::new(),
            })
            .collect(),
    }
}

/// Run a case and check it against the oracle and an expected status and
/// elected list.
fn check(case: &Case, status: &str, elected: &[&str]) {
    let (_, doc) = run(case);
    let got = engine_outcome(&doc);
    assert_eq!(got, oracle::outcome(case), "{}", case.to_json());
    assert_eq!(got.status, status, "{}", case.to_json());
    let want: BTreeSet<String> = elected.iter().map(|n| n.to_string()).collect();
    assert_eq!(got.elected, want, "{}", case.to_json());
}

#[test]
fn exactly_half_of_the_base_fails() {
    // base 10 (entitled): 5 for is exactly half.
    let mut ballots = vec!["YN"; 5];
    ballots.extend(["NY"; 5]);
    check(&formal(1, 2, 10, &ballots), "shortfall", &[]);
}

#[test]
fn one_more_than_half_passes() {
    // base 11: 2 × 6 = 12 = base + 1.
    let mut ballots = vec!["YN"; 6];
    ballots.extend(["NY"; 5]);
    let case = formal(1, 2, 11, &ballots);
    check(&case, "complete", &["丁一"]);
    let (_, doc) = run(&case);
    assert_eq!(doc["threshold"], 6);
}

#[test]
fn quorum_boundary_strict_and_inclusive() {
    // 10 entitled, 8 present: exactly 4/5.
    let mut case = formal(1, 2, 10, &["YN"; 8]);
    case.round.present = 8;
    check(&case, "no_quorum", &[]);
    case.overrides.quorum = Some(Quorum {
        num: 4,
        den: 5,
        strict: false,
    });
    check(&case, "complete", &["丁一"]);
}

#[test]
fn one_ballot_more_than_issued_voids_the_round() {
    let mut case = formal(1, 2, 10, &["YN"; 10]);
    case.round.issued = Some(9);
    case.round.present = 10;
    check(&case, "void", &[]);
    // 投票人数 is at most min(present, issued): void under either check
    // (issue 11, fault 2).
    case.overrides.box_voters = Some(true);
    check(&case, "void", &[]);
    // One replacement ballot: 10 issued to 9 present, 10 returned stands
    // against issued and is void against the 9 voters.
    let mut case = formal(1, 2, 10, &["YN"; 10]);
    case.round.issued = Some(10);
    case.round.present = 9;
    check(&case, "complete", &["丁一"]);
    case.overrides.box_voters = Some(true);
    check(&case, "void", &[]);
}

#[test]
fn overvote_at_the_limit_and_one_over() {
    // 2 seats, 3 candidates: "YYN" is valid, "YYY" counts for nobody.
    let mut ballots = vec!["YYN"; 6];
    ballots.extend(["YYY"; 4]);
    let case = formal(2, 3, 10, &ballots);
    check(&case, "complete", &["丁一", "王二"]);
    let (_, doc) = run(&case);
    assert_eq!(doc["ballots"]["invalid"], 4);
}

#[test]
fn tie_across_the_cut_off_needs_a_runoff_among_exactly_the_tied() {
    // 2 seats: 丁一 8, 王二 and 刘三 6 each, all above 10/2.
    let mut ballots = vec!["YYN"; 4];
    ballots.extend(["YNY"; 4]);
    ballots.extend(["NYY"; 2]);
    let case = formal(2, 3, 10, &ballots);
    check(&case, "runoff_required", &["丁一"]);
    let got = engine_outcome(&run(&case).1);
    let among: BTreeSet<String> = ["王二", "刘三"].iter().map(|n| n.to_string()).collect();
    assert_eq!(got.runoff, Some((among, 1)));
}

/// READING (RULES §3.4 is silent): a write-in off an against line is not a
/// write-in at all, so only `write_in_misplaced` applies to it, even when it
/// names a listed candidate.
#[test]
fn misplaced_write_in_naming_a_candidate_follows_the_misplaced_rule() {
    let mut case = formal(1, 2, 3, &["YA", "YA", "AY"]);
    case.overrides.names_candidate_void = Some(true);
    if let Paper::Marked { write_ins, .. } = &mut case.ballots[2] {
        write_ins.insert(0, "王二".to_string());
    }
    check(&case, "complete", &["丁一"]);
    assert_eq!(engine_outcome(&run(&case).1).invalid, 0);
    case.overrides.misplaced_void = Some(true);
    check(&case, "complete", &["丁一"]);
    assert_eq!(engine_outcome(&run(&case).1).invalid, 1);
}

/// READING (RULES §2.1 ranks without a threshold): a name nobody
/// recommended is not put on the next list, so the list falls short.
#[test]
fn nomination_lists_only_names_with_votes() {
    let mut case = formal(1, 3, 5, &["YAA", "YAA", "AYA", "YAA", "AYA"]);
    case.round.kind = Kind::Nomination;
    case.round.next_size = Some(3);
    let got = engine_outcome(&run(&case).1);
    assert_eq!(got, oracle::outcome(&case), "{}", case.to_json());
    assert_eq!(got.status, "shortfall");
    assert_eq!(got.unfilled, 1);
    let want: BTreeSet<String> = ["丁一", "王二"].iter().map(|n| n.to_string()).collect();
    assert_eq!(got.next_list, Some(want));
}

/// One ballot supports one person once: the same name written beside two
/// against lines is one selection and one for-vote (RULES §3.4 counts a
/// ballot's selections; §4.1 counts voters' support). The engine counts it
/// twice, so one voter can push a write-in over the threshold alone.
#[test]
fn a_name_written_twice_on_one_ballot_counts_once() {
    let mut case = formal(2, 3, 1, &["NNA"]);
    if let Paper::Marked { write_ins, .. } = &mut case.ballots[0] {
        write_ins.insert(0, "李甲".to_string());
        write_ins.insert(1, "李甲".to_string());
    }
    let got = engine_outcome(&run(&case).1);
    assert!(
        got.lines["李甲"].0 <= got.valid,
        "李甲 has {} for-votes from {} valid ballot(s)\n{}",
        got.lines["李甲"].0,
        got.valid,
        case.to_json()
    );
    check(&case, "shortfall", &["李甲"]);
}
