//! The box opening (开箱清点, issue 12 item 23): when the ballot box is
//! opened, before counting, a scrutineer counts the ballots found in it
//! (收回选票) and a second scrutineer counts them again. Each count is a
//! `box_counted` entry signed by the scrutineer who counted; the number is
//! settled when two scrutineers' latest counts agree (`rules::opening`),
//! and a mismatch is shown until the one who differs counts again. The
//! settled number gives the box ruling (valid or void, RULES §3.3, with
//! issued, present, voted and returned), announced before counting; the
//! round then closes with exactly that number, and closing shows plainly
//! any difference between it and the ballots counted.

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

use super::lookup::{
    facts, load_meeting, load_round, method_of, require_assigned, require_method, require_open,
    Loaded,
};
use super::{Actor, Error, Reply, Service};
use crate::log::event::Event;
use crate::rules::method::BoxCheck;
use crate::rules::opening::{settle, BoxCount};
use crate::rules::ElectionMethod;
use crate::store;

/// `POST …/rounds/{r}/box`: one scrutineer's count of the box.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountBox {
    pub returned: u64,
}

/// The box count of a round as it stands.
pub(crate) fn box_count(conn: &Connection, meeting: &str, round: &str) -> Result<BoxCount, Error> {
    let rows = store::boxes::counts(conn, meeting, round)?;
    Ok(settle(rows.iter().map(|r| (r.name.as_str(), r.returned))))
}

/// The box ruling for `returned` ballots in round `l` under `method`: the
/// numbers the chair announces before counting.
fn ruling(method: &ElectionMethod, l: &Loaded, returned: u64) -> Result<Value, Error> {
    let round = facts(l, Some(returned))?;
    let limit = round.box_limit(method);
    Ok(json!({
        "valid": returned <= limit,
        "issued": round.issued,
        "present": round.present,
        "voted": round.voters(),
        "returned": returned,
        "limit": limit,
        "base": match method.box_check {
            BoxCheck::Issued => "issued",
            BoxCheck::Voters => "voters",
        },
    }))
}

/// The `box` of a round's view: every count (who, how many, in order),
/// where it stands, and once settled the ruling. `null` for a draft.
pub(crate) fn box_json(conn: &Connection, meeting: &str, l: &Loaded) -> Result<Value, Error> {
    if l.row.state == crate::state::RoundState::Draft {
        return Ok(Value::Null);
    }
    let rows = store::boxes::counts(conn, meeting, &l.row.id)?;
    let state = settle(rows.iter().map(|r| (r.name.as_str(), r.returned)));
    let m = load_meeting(conn, meeting)?;
    let ruling = match (state.settled(), method_of(&m)?) {
        (Some(r), Some(method)) => ruling(&method, l, r)?,
        _ => Value::Null,
    };
    let differs = match &state {
        BoxCount::Differs { counts } => counts
            .iter()
            .map(|(n, r)| json!({ "name": n, "returned": r }))
            .collect(),
        _ => Vec::new(),
    };
    Ok(json!({
        "state": state.as_str(),
        "returned": state.settled(),
        "counts": rows
            .iter()
            .map(|r| json!({ "name": r.name, "returned": r.returned }))
            .collect::<Vec<_>>(),
        "differs": differs,
        "by": match &state {
            BoxCount::Settled { by, .. } => by.clone(),
            _ => Vec::new(),
        },
        "ruling": ruling,
    }))
}

/// The number of ballots returned a round closes with: the settled box
/// count when the box was counted (`given`, if any, must equal it), else
/// `given`. The second value says whether two scrutineers confirmed it
/// (then a void box needs no `confirm_void`).
pub(crate) fn returned_at_close(
    conn: &Connection,
    meeting: &str,
    round: &str,
    given: Option<u64>,
) -> Result<(u64, bool), Error> {
    match (box_count(conn, meeting, round)?, given) {
        (BoxCount::NotCounted, Some(g)) => Ok((g, false)),
        (BoxCount::NotCounted, None) => Err(Error::invalid(
            "returned",
            "请填写收回选票张数（或先在开箱时由两名监票人清点）",
            "give the number of ballots returned (or have two scrutineers count the box when it is opened)",
        )),
        (BoxCount::Settled { returned, .. }, None) => Ok((returned, true)),
        (BoxCount::Settled { returned, .. }, Some(g)) if g == returned => Ok((returned, true)),
        (BoxCount::Settled { returned, .. }, Some(g)) => Err(Error::conflict(
            "returned_differs_from_box",
            format!(
                "开箱时两名监票人清点收回选票 {returned} 张，现填写 {g} 张，相差 {} 张。请核对；结束计票以开箱清点的张数为准",
                returned.abs_diff(g)
            ),
            format!(
                "the two scrutineers counted {returned} ballots in the box when it was opened; {g} given now, a difference of {}. Check it; the count at the box opening is the one the round closes with",
                returned.abs_diff(g)
            ),
        )
        .at("returned")
        .with(json!({ "box": returned, "given": g }))),
        (BoxCount::AwaitingSecond { by, returned }, _) => Err(Error::conflict(
            "box_not_settled",
            format!("开箱清点收回选票：{by} 清点为 {returned} 张，尚须另一名监票人复点确认"),
            format!("box count: {by} counted {returned}; a second scrutineer must count again to confirm it"),
        )),
        (BoxCount::Differs { counts }, _) => {
            let list = |sep: &str| {
                counts
                    .iter()
                    .map(|(n, r)| format!("{n} {r}"))
                    .collect::<Vec<_>>()
                    .join(sep)
            };
            Err(Error::conflict(
                "box_not_settled",
                format!("开箱清点收回选票不一致（{}），须重新清点一致后才能结束计票", list("、")),
                format!("the box counts differ ({}); count again until they agree before closing", list(", ")),
            )
            .with(json!({ "counts": counts
                .iter()
                .map(|(n, r)| json!({ "name": n, "returned": r }))
                .collect::<Vec<_>>() })))
        }
    }
}

/// The refusal when the ballots counted differ from those returned, with
/// the difference in plain words.
pub(crate) fn count_mismatch(returned: u64, counted: u64, boxed: bool) -> Error {
    let diff = returned.abs_diff(counted);
    let (more_zh, more_en) = if counted > returned {
        ("多", "more")
    } else {
        ("少", "fewer")
    };
    let (what_zh, what_en) = if boxed {
        (
            "开箱时清点收回选票",
            "counted in the box when it was opened",
        )
    } else {
        ("收回选票", "returned")
    };
    Error::conflict(
        "ballot_count_mismatch",
        format!("{what_zh} {returned} 张，已计票 {counted} 张，{more_zh}了 {diff} 张。请查找未录入或重复录入的选票"),
        format!("{returned} ballots {what_en}, {counted} counted: {diff} {more_en}. Look for papers not entered or entered twice"),
    )
    .at("returned")
    .with(json!({ "returned": returned, "counted": counted, "difference": diff }))
}

impl Service {
    /// A scrutineer's count of the ballots found in the box.
    pub fn count_box(&self, actor: &Actor, round: &str, req: CountBox) -> Result<Reply, Error> {
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let m = load_meeting(&tx.tx, &meeting)?;
            require_method(&m)?;
            let l = load_round(&tx.tx, &meeting, round)?;
            require_assigned(&tx.tx, actor, &l.row.election)?;
            require_open(&l.row)?;
            if let BoxCount::Settled { returned, by } = box_count(&tx.tx, &meeting, round)? {
                return Err(Error::conflict(
                    "box_settled",
                    format!(
                        "开箱清点已由 {} 核对一致：收回选票 {returned} 张，不再重新清点",
                        by.join("、")
                    ),
                    format!(
                        "the box count is settled by {}: {returned} returned; it is not counted again",
                        by.join(", ")
                    ),
                ));
            }
            tx.log(
                Some(actor.role),
                &Event::BoxCounted {
                    round: round.to_string(),
                    returned: req.returned,
                    by: Some(actor.name.clone()),
                },
            )?;
            store::boxes::insert(
                &tx.tx,
                &meeting,
                round,
                &actor.person,
                &actor.name,
                req.returned,
            )?;
            tx.touch(round);
            box_json(&tx.tx, &meeting, &l)
        })?;
        Ok(Reply::created(body).stamped(stamp))
    }
}
