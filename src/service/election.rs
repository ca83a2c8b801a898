//! An election as a whole (`GET …/elections/{e}/result`): every round in
//! the order held, the final list of those elected across all of them
//! (a tie → runoff → shortfall → supplementary chain elects in several
//! rounds), whether the election is complete or what it waits for, and the
//! announcement a chair reads aloud.
//!
//! Read only: nothing here is logged. Each round's result is shown only
//! where [`may_see_result`] allows it, so the organiser and the hall
//! display learn the elected of the rounds the presidium announced, and
//! nothing else; the list and the announcement exist for them once every
//! electing round is announced.
//!
//! Order of the list ([RULES §4.4](../../docs/rules.md)): committee members,
//! delegates and the other offices in surname-stroke (姓氏笔画) order, which
//! is the ballot order — the meeting adopts the list printed in that order,
//! and the rule engine reports each round's elected in it. Across rounds the
//! position on the first electing round's ballot decides (a runoff's and a
//! default supplementary list's names are all on it); a name on no earlier
//! ballot follows in the order of the later ballots, write-ins last. No
//! stroke table is consulted: the printed ballot is the order the meeting
//! adopted, and a second, computed order could only disagree with it.
//! Alternates (候补委员) are listed by votes: round by round, each round's
//! elected in the order the rule engine gives (votes, then ballot order).

use rusqlite::Connection;
use serde_json::{json, Value};

use super::lookup::{load_election, load_meeting, loaded, method_of, status_of, Loaded};
use super::round::may_see_result;
use super::{Actor, Error, Reply, Role, Service};
use crate::rules::method::SeatReduction;
use crate::rules::{Office, RoundKind};
use crate::state::{election, RoundState, Watched};
use crate::store;

/// A round that fills seats of the election: formal, supplementary, a runoff
/// of either, a cadre or resolution vote — not a list round, nor a runoff
/// that settles a list round's tie.
fn electing(l: &Loaded) -> bool {
    (l.kind.elects() || l.kind.is_vote()) && !list_round(l)
}

fn list_round(l: &Loaded) -> bool {
    l.kind.proposes_list() || l.resolves.is_some_and(RoundKind::proposes_list)
}

/// "甲、乙和丙" / "a, b and c".
fn joined(items: &[&str], sep: &str, and: &str) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{}{and}{last}", init.join(sep)),
    }
}

/// One person elected, with the round that elected them.
struct Elected {
    name: String,
    round: String,
    number: usize,
    kind: RoundKind,
    votes: Option<u64>,
}

/// The list in the order [the module doc](self) describes.
fn ordered(office: Office, rounds: &[(usize, &Loaded, Value)]) -> Vec<Elected> {
    let mut out: Vec<Elected> = Vec::new();
    for (number, l, result) in rounds {
        for name in result["elected"].as_array().into_iter().flatten() {
            let Some(name) = name.as_str() else { continue };
            if out.iter().any(|e| e.name == name) {
                continue;
            }
            let votes = result["tally"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|row| row["name"] == name)
                .and_then(|row| row["for"].as_u64());
            out.push(Elected {
                name: name.to_string(),
                round: l.row.id.clone(),
                number: *number,
                kind: l.kind,
                votes,
            });
        }
    }
    if office == Office::Alternate {
        return out;
    }
    // Ballot order across the rounds: the first ballot a name appears on
    // decides, earlier rounds first; names on no ballot (write-ins) last.
    let mut master: Vec<&str> = Vec::new();
    for (_, l, _) in rounds {
        for c in &l.candidates {
            if !master.contains(&c.as_str()) {
                master.push(c);
            }
        }
    }
    let position = |name: &str| master.iter().position(|c| *c == name).unwrap_or(usize::MAX);
    // Stable: write-ins keep the order in which they were elected.
    out.sort_by_key(|e| position(&e.name));
    out
}

/// The seats reduction decided on the election, if any: (from, to).
fn reduction(rounds: &[Loaded]) -> Option<(u64, u64)> {
    let mut first: Option<u64> = None;
    let mut last: Option<u64> = None;
    for l in rounds {
        let decisions: Vec<Value> = serde_json::from_str(&l.row.decisions).unwrap_or_default();
        for d in decisions.iter().filter(|d| d["decision"] == "reduce_seats") {
            if first.is_none() {
                first = d["from"].as_u64();
            }
            last = d["to"].as_u64();
        }
    }
    first.zip(last)
}

/// The words the chair reads aloud, zh and en.
struct Announcement {
    zh: String,
    en: String,
}

#[allow(clippy::too_many_arguments)]
fn announcement(
    meeting: &str,
    contest: &str,
    office: Office,
    seats: u64,
    reduced: Option<(u64, u64)>,
    seat_reduction: Option<SeatReduction>,
    kinds: &[RoundKind],
    elected: &[Elected],
) -> Announcement {
    let names: Vec<&str> = elected.iter().map(|e| e.name.as_str()).collect();
    let resolution = kinds.iter().all(|k| *k == RoundKind::Resolution);
    if resolution {
        return Announcement {
            zh: format!(
                "根据《{meeting}选举办法》，经表决，下列事项获得通过：{}。",
                names.join("；")
            ),
            en: format!(
                "Under the election method of {meeting}, the vote passed: {}.",
                names.join("; ")
            ),
        };
    }
    let mut held: Vec<RoundKind> = Vec::new();
    for k in kinds {
        if !held.contains(k) {
            held.push(*k);
        }
    }
    let held_zh: Vec<&str> = held.iter().map(|k| k.zh()).collect();
    let held_en: Vec<&str> = held.iter().map(|k| k.en()).collect();
    let (from, to) = reduced.unwrap_or((seats, seats));
    let (reduce_zh, reduce_en) = match reduced {
        Some(_) => {
            let (zh, en) = match seat_reduction {
                Some(SeatReduction::Presidium) => ("经主席团决定", "by decision of the presidium"),
                _ => (
                    "经到会选举人过半数同意",
                    "with the consent of more than half of the electors present",
                ),
            };
            (
                format!("，{zh}减少为 {to} 名"),
                format!(", reduced to {to} {en}"),
            )
        }
        None => (String::new(), String::new()),
    };
    let alternate = office == Office::Alternate;
    let (order_zh, order_en) = match (names.len(), alternate) {
        (0 | 1, _) => ("", ""),
        (_, true) => ("（按得票多少为序）", " (in order of votes)"),
        (_, false) => ("（按姓氏笔画为序）", " (in surname-stroke order)"),
    };
    let comrades_en = if names.len() == 1 {
        "the following comrade is"
    } else {
        "the following comrades are"
    };
    Announcement {
        zh: format!(
            "根据《{meeting}选举办法》，{contest}应选 {from} 名{reduce_zh}。经过{}，下列同志当选为{contest}{order_zh}：{}。",
            joined(&held_zh, "、", "和"),
            names.join("、")
        ),
        en: format!(
            "Under the election method of {meeting}, {from} seats of {contest} were to be filled{reduce_en}. \
             After the {}, {comrades_en} elected {contest}{order_en}: {}.",
            joined(&held_en, ", ", " and "),
            names.join(", ")
        ),
    }
}

/// The answer of `GET …/elections/{e}/result` for `actor`.
fn election_result(conn: &Connection, actor: &Actor, election: &str) -> Result<Value, Error> {
    let m = load_meeting(conn, &actor.meeting)?;
    let e = load_election(conn, &actor.meeting, election)?;
    let office: Office = super::lookup::enum_parse(&e.office)?;
    let assigned = actor.role == Role::Scrutineer
        && store::meeting::is_assigned(conn, &actor.meeting, &e.id, &actor.person)?;
    // A scrutineer of another election, a counter: refused as for a round.
    if matches!(actor.role, Role::Scrutineer | Role::Counter) {
        may_see_result(actor.role, assigned, false, false)?;
    }
    let rounds: Vec<Loaded> = store::round::rounds(conn, &actor.meeting, Some(&e.id))?
        .into_iter()
        .map(|row| loaded(conn, &actor.meeting, row))
        .collect::<Result<_, _>>()?;

    let numbers: std::collections::BTreeMap<String, usize> = rounds
        .iter()
        .enumerate()
        .map(|(i, l)| (l.row.id.clone(), i + 1))
        .collect();
    let mut listed = Vec::new();
    let mut decided: Vec<(usize, &Loaded, Value)> = Vec::new();
    let mut watched: Vec<Watched> = Vec::new();
    for (i, l) in rounds.iter().enumerate() {
        let number = i + 1;
        let is_electing = electing(l);
        let visible = l.row.state == RoundState::Closed
            && may_see_result(actor.role, assigned, l.row.announced, list_round(l)).is_ok();
        let result: Value = match (visible, l.row.result.as_deref()) {
            (true, Some(text)) => serde_json::from_str(text)
                .map_err(|e| Error::internal(format!("stored result: {e}")))?,
            _ => Value::Null,
        };
        if is_electing {
            let w = Watched {
                state: l.row.state,
                visible,
                certified: l.row.certified,
            };
            if w.waits().is_none() {
                decided.push((number, l, result.clone()));
            }
            watched.push(w);
        }
        let origin: Value = l
            .row
            .origin_decision
            .as_deref()
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .map(|d| d["decision"].clone())
            .unwrap_or(Value::Null);
        listed.push(json!({
            "id": l.row.id,
            "number": number,
            "kind": l.row.kind,
            "resolves": l.resolves.map(|k| super::lookup::enum_str(&k)),
            "electing": is_electing,
            "seats": l.row.seats,
            "candidates": l.candidates,
            "state": l.row.state,
            "status": status_of(&l.row),
            "announced": l.row.announced,
            "origin": origin,
            // The review's reasons are the presidium's, not the hall's.
            "stage": super::stage::election_stage(
                conn,
                &actor.meeting,
                l,
                &numbers,
                actor.role != Role::Display,
            )?,
            "outcome": result.get("status").cloned().unwrap_or(Value::Null),
            "elected": result.get("elected").cloned().unwrap_or(Value::Null),
            "result": result,
        }));
    }
    let elected = ordered(office, &decided);
    let filled = elected.len() as u64;
    let waiting = election::waits(&watched, filled, e.seats);
    let complete = waiting.is_none();
    let reduced = reduction(&rounds);
    let all_announced = complete
        && rounds
            .iter()
            .filter(|l| electing(l) && l.row.state == RoundState::Closed)
            .all(|l| l.row.announced);
    let text = complete.then(|| {
        let method = method_of(&m).ok().flatten();
        let kinds: Vec<RoundKind> = decided.iter().map(|(_, l, _)| l.kind).collect();
        announcement(
            &m.name,
            &e.contest,
            office,
            e.seats,
            reduced,
            method.map(|m| m.seat_reduction),
            &kinds,
            &elected,
        )
    });
    Ok(json!({
        "election": e.id,
        "meeting": m.name,
        "contest": e.contest,
        "office": e.office,
        "seats": e.seats,
        "seats_initial": reduced.map_or(e.seats, |(from, _)| from),
        "order": if office == Office::Alternate { "votes" } else { "strokes" },
        "rounds": listed,
        "elected": elected.iter().map(|x| json!({
            "name": x.name,
            "round": x.round,
            "number": x.number,
            "kind": super::lookup::enum_str(&x.kind),
            "for": x.votes,
        })).collect::<Vec<_>>(),
        "complete": complete,
        "waiting": waiting,
        "announced": all_announced,
        "announcement": text.map(|a| json!({ "zh": a.zh, "en": a.en })),
    }))
}

impl Service {
    /// `GET …/elections/{e}/result`: the election's rounds, the final
    /// list and the announcement, as `actor` may see them.
    pub fn election_result(&self, actor: &Actor, election: &str) -> Result<Reply, Error> {
        self.read(|conn| {
            store::snapshot(conn, |conn| election_result(conn, actor, election)).map(Reply::ok)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_reads_as_a_sentence() {
        assert_eq!(joined(&[], "、", "和"), "");
        assert_eq!(joined(&["正式选举"], "、", "和"), "正式选举");
        assert_eq!(
            joined(&["正式选举", "重新投票", "另行选举"], "、", "和"),
            "正式选举、重新投票和另行选举"
        );
    }

    fn elected(names: &[&str]) -> Vec<Elected> {
        names
            .iter()
            .map(|n| Elected {
                name: n.to_string(),
                round: "r1".into(),
                number: 1,
                kind: RoundKind::Formal,
                votes: None,
            })
            .collect()
    }

    #[test]
    fn the_announcement_names_the_rounds_the_reduction_and_the_order() {
        let a = announcement(
            "中共某支部党员大会",
            "支部委员会委员",
            Office::Committee,
            4,
            Some((5, 4)),
            Some(SeatReduction::ElectorsMajority),
            &[
                RoundKind::Formal,
                RoundKind::Runoff,
                RoundKind::Supplementary,
            ],
            &elected(&["丁一", "王二", "刘三", "张四"]),
        );
        assert_eq!(
            a.zh,
            "根据《中共某支部党员大会选举办法》，支部委员会委员应选 5 名，经到会选举人过半数同意减少为 4 名。\
             经过正式选举、重新投票和另行选举，下列同志当选为支部委员会委员（按姓氏笔画为序）：丁一、王二、刘三、张四。"
        );
        assert!(a.en.contains("reduced to 4 with the consent"), "{}", a.en);
        let one = announcement(
            "m",
            "书记",
            Office::Secretary,
            1,
            None,
            None,
            &[RoundKind::Formal],
            &elected(&["丁一"]),
        );
        assert_eq!(
            one.zh,
            "根据《m选举办法》，书记应选 1 名。经过正式选举，下列同志当选为书记：丁一。"
        );
        assert!(one.en.contains("the following comrade is elected"));
    }
}
