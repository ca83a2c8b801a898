//! Meetings, the adopted method, attendance, people and their tokens,
//! elections and the assignment of counters and scrutineers.

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::lookup::{
    candidates_of, enum_str, load_election, load_meeting, method_of, require_method, text, MAX_NAME,
};
use super::{hex, new_token, random, token_hash, Actor, Error, Kind, Reply, Role, Service, Tx};
use crate::log::cosignature::CosignatureQuorum;
use crate::log::event::{Body, Event, Exclusion};
use crate::log::note::{SignatureType, VerifierKey};
use crate::rules::method::MethodError;
use crate::rules::{ElectionMethod, Office};
use crate::state::RoundState;
use crate::store;
use crate::store::meeting::{ElectionRow, MeetingRow, PersonRow, Sequence};

pub(crate) fn person_json(p: &PersonRow) -> Value {
    json!({ "id": p.id, "role": p.role, "name": p.name, "key": p.key })
}

/// The meeting as `GET /api/meetings/{m}` shows it.
pub(crate) fn meeting_view(conn: &Connection, id: &str) -> Result<Value, Error> {
    let m = load_meeting(conn, id)?;
    let method = method_of(&m)?;
    let method_json = match (&m.method_preset, &method) {
        (Some(preset), Some(effective)) => {
            let overrides: Value = m
                .method_overrides
                .as_deref()
                .and_then(|o| serde_json::from_str(o).ok())
                .unwrap_or_else(|| json!({}));
            json!({ "preset": preset, "overrides": overrides, "effective": effective })
        }
        _ => Value::Null,
    };
    let attendance = match m.present {
        None => Value::Null,
        Some(present) => attendance_json(&m, method.as_ref(), present),
    };
    let mut elections = Vec::new();
    for e in store::meeting::elections(conn, id)? {
        elections.push(election_json(conn, id, &e)?);
    }
    let exclusions: Value = serde_json::from_str(&m.exclusions).unwrap_or_else(|_| json!([]));
    let (size, root) = match store::log::latest_checkpoint(conn, id)? {
        Some((_, note)) => match super::stamp_of_note(&note) {
            Some(s) => (s.size, s.root),
            None => (0, String::new()),
        },
        None => (0, String::new()),
    };
    Ok(json!({
        "id": m.id,
        "name": m.name,
        "place": place_of(conn, id)?,
        "body": m.body,
        "voting_members": m.voting_members,
        "exclusions": exclusions,
        "entitled": m.entitled,
        "method": method_json,
        "attendance": attendance,
        "elections": elections,
        "log": { "origin": m.origin, "size": size, "root": root },
    }))
}

/// The meeting's place, read from its signed `meeting_created` entry (the
/// only place it is kept).
fn place_of(conn: &Connection, meeting: &str) -> Result<Option<String>, Error> {
    let first = store::log::entries(conn, meeting, 0..1)?;
    Ok(first
        .first()
        .and_then(|(_, e)| crate::log::event::decode(e.payload()).ok())
        .and_then(|ev| match ev {
            Event::MeetingCreated { place, .. } => place,
            _ => None,
        }))
}

fn attendance_json(m: &MeetingRow, method: Option<&ElectionMethod>, present: u64) -> Value {
    match method {
        Some(method) => json!({
            "present": present,
            "quorum_met": method.quorum.is_met(present, m.entitled),
            "quorum_required": method.quorum.smallest_meeting(m.entitled),
        }),
        None => json!({ "present": present, "quorum_met": null, "quorum_required": null }),
    }
}

pub(crate) fn election_json(
    conn: &Connection,
    meeting: &str,
    e: &ElectionRow,
) -> Result<Value, Error> {
    let rounds: Vec<Value> = store::round::rounds(conn, meeting, Some(&e.id))?
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "kind": r.kind,
                "state": r.state,
                "status": r.state.status(r.certified),
                "announced": r.announced,
            })
        })
        .collect();
    let accepted: Value = e
        .accepted_list
        .as_deref()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    let assigned: Vec<Value> = store::meeting::assigned(conn, meeting, &e.id)?
        .iter()
        .map(|p| json!({ "person": p.id, "role": p.role, "name": p.name }))
        .collect();
    Ok(json!({
        "id": e.id,
        "contest": e.contest,
        "office": e.office,
        "seats": e.seats,
        "accepted_list": accepted,
        "assigned": assigned,
        "rounds": rounds,
    }))
}

/// `POST /api/meetings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    pub name: String,
    pub body: Body,
    /// 有选举权的党员（代表）总数, before exclusions.
    pub voting_members: u64,
    #[serde(default)]
    pub exclusions: Vec<Exclusion>,
    /// The organiser's name (default 会务组).
    #[serde(default)]
    pub organiser: Option<String>,
    /// Where the meeting is held (会议地点), printed on the vote reports.
    /// Kept in the signed `meeting_created` entry only (no state column).
    #[serde(default)]
    pub place: Option<String>,
}

/// `PUT …/method`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdoptMethod {
    pub preset: String,
    #[serde(default)]
    pub overrides: Map<String, Value>,
}

/// `PUT …/attendance`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    pub present: u64,
    #[serde(default)]
    pub roster: Option<Vec<String>>,
}

/// `POST …/people`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub role: String,
    pub name: String,
    #[serde(default)]
    pub key: Option<String>,
}

/// `PUT …/people/{p}/key`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetKey {
    pub key: String,
}

/// `POST …/elections`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewElection {
    pub contest: String,
    #[serde(default)]
    pub office: Office,
    pub seats: u64,
}

/// `POST …/elections/{e}/assignments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    pub person: String,
}

/// A new log-in link (token) for `person`, stored hashed (the value is
/// returned once) and logged by its id as issued by `by` (None: the
/// service, for the organiser of a new meeting). The person's earlier
/// valid links are revoked by it (`replaces`): one link per person.
fn issue_token(
    svc: &Service,
    tx: &mut Tx<'_>,
    person: &PersonRow,
    by: Option<&Actor>,
) -> Result<Value, Error> {
    let meeting = tx.meeting().to_string();
    let replaces: Vec<String> = store::meeting::tokens(&tx.tx, &meeting)?
        .into_iter()
        .filter(|t| t.person == person.id && !t.revoked)
        .map(|t| t.id)
        .collect();
    for old in &replaces {
        store::meeting::revoke_token(&tx.tx, &meeting, old)?;
    }
    let id = format!(
        "t{}",
        store::meeting::next_number(&tx.tx, &meeting, Sequence::Token)?
    );
    let token = new_token()?;
    store::meeting::insert_token(&tx.tx, &meeting, &id, &person.id, &token_hash(&token))?;
    tx.log(
        by.map(|a| a.role),
        &Event::LoginIssued {
            person: person.id.clone(),
            role: person.role.as_str().into(),
            name: person.name.clone(),
            token: id.clone(),
            replaces: replaces.clone(),
            by: by.map(|a| a.name.clone()),
        },
    )?;
    Ok(json!({
        "id": id,
        "token": token,
        "login_url": svc.login_url(&token),
        "replaces": replaces,
    }))
}

/// Parses a scrutineer's cosigning key and checks that no other person of
/// the meeting registered the same public key or name and key ID (one key
/// must never count twice).
pub(crate) fn parse_cosigner_key(
    conn: &Connection,
    meeting: &str,
    person: Option<&str>,
    field: &str,
    key: &str,
) -> Result<VerifierKey, Error> {
    let bad = |zh: String, en: String| Error::new(Kind::Unprocessable, "bad_key", zh, en).at(field);
    let vkey = VerifierKey::parse(key.trim()).map_err(|e| {
        bad(
            format!("不是有效的签名公钥（name+keyid+base64）：{e}"),
            format!("not a valid verifier key (name+keyid+base64): {e}"),
        )
    })?;
    if vkey.sig_type() != SignatureType::CosignatureV1 {
        return Err(bad(
            "公钥类型须为 0x04（tlog-cosignature/v1）".into(),
            "the key type must be 0x04 (tlog-cosignature/v1)".into(),
        ));
    }
    let mut keys = vec![vkey.clone()];
    for p in store::meeting::people(conn, meeting)? {
        if Some(p.id.as_str()) == person {
            continue;
        }
        if let Some(k) = p.key.as_deref().and_then(|k| VerifierKey::parse(k).ok()) {
            keys.push(k);
        }
    }
    let n = keys.len();
    CosignatureQuorum::new(n, keys).map_err(|e| {
        bad(
            format!("该公钥已被其他人登记：{e}"),
            format!("this key is already registered to someone else: {e}"),
        )
    })?;
    Ok(vkey)
}

impl Service {
    /// Creates a meeting with its log, its log key and its organiser.
    pub fn create_meeting(&self, req: NewMeeting) -> Result<Reply, Error> {
        let name = text("name", &req.name, 200)?;
        if req.voting_members == 0 {
            return Err(Error::invalid(
                "voting_members",
                "有选举权的人数至少为 1",
                "expected at least 1 voting member",
            ));
        }
        let mut excluded: u64 = 0;
        let mut exclusions = Vec::new();
        for (i, x) in req.exclusions.iter().enumerate() {
            let reason = text(&format!("exclusions[{i}].reason"), &x.reason, 200)?;
            let approved_by = text(&format!("exclusions[{i}].approved_by"), &x.approved_by, 200)?;
            if x.count == 0 {
                return Err(Error::invalid(
                    format!("exclusions[{i}].count"),
                    "人数至少为 1",
                    "expected at least 1",
                ));
            }
            excluded = excluded.saturating_add(x.count);
            exclusions.push(Exclusion {
                reason,
                count: x.count,
                approved_by,
            });
        }
        if excluded >= req.voting_members {
            return Err(Error::invalid(
                "exclusions",
                format!(
                    "经批准不计入的 {excluded} 人不少于有选举权的 {} 人",
                    req.voting_members
                ),
                format!(
                    "{excluded} approved exclusions leave nobody of {} voting members",
                    req.voting_members
                ),
            ));
        }
        let organiser = match &req.organiser {
            Some(o) => text("organiser", o, MAX_NAME)?,
            None => "会务组".to_string(),
        };
        let place = match &req.place {
            Some(p) if !p.trim().is_empty() => Some(text("place", p, 200)?),
            _ => None,
        };
        let entitled = req.voting_members - excluded;
        let id = format!("m{}", hex(&random::<6>()?));
        let origin = format!("scrutineer.local/meeting/{id}");
        let row = MeetingRow {
            id: id.clone(),
            name: name.clone(),
            body: enum_str(&req.body),
            voting_members: req.voting_members,
            exclusions: serde_json::to_string(&exclusions).map_err(Error::internal)?,
            entitled,
            origin,
            log_key: random::<32>()?,
            method_preset: None,
            method_overrides: None,
            method: None,
            present: None,
        };
        let (token, _) = self.write(&id, |tx| {
            store::meeting::insert_meeting(&tx.tx, &row)?;
            tx.log(
                None,
                &Event::MeetingCreated {
                    meeting: id.clone(),
                    name: name.clone(),
                    body: req.body,
                    entitled,
                    exclusions: exclusions.clone(),
                    place: place.clone(),
                },
            )?;
            let person = PersonRow {
                id: "p1".into(),
                role: Role::Organiser,
                name: organiser.clone(),
                key: None,
            };
            store::meeting::insert_person(&tx.tx, &id, &person)?;
            issue_token(self, tx, &person, None)
        })?;
        let meeting = self.read(|conn| meeting_view(conn, &id))?;
        Ok(Reply::created(json!({
            "meeting": meeting,
            "organiser": { "person": "p1", "role": Role::Organiser, "name": organiser, "token": token },
        })))
    }

    pub fn meeting(&self, actor: &Actor) -> Result<Reply, Error> {
        self.read(|conn| meeting_view(conn, &actor.meeting).map(Reply::ok))
    }

    /// Who the token is: the person, the elections they are assigned to
    /// and, for a scrutineer, their registered key (or null).
    pub fn me(&self, actor: &Actor) -> Result<Reply, Error> {
        self.read(|conn| {
            let elections = store::meeting::assignments_of(conn, &actor.meeting, &actor.person)?;
            let mut body = json!({
                "meeting": actor.meeting,
                "person": actor.person,
                "role": actor.role,
                "name": actor.name,
                "token": actor.token,
                "elections": elections,
            });
            let key =
                store::meeting::person(conn, &actor.meeting, &actor.person)?.and_then(|p| p.key);
            body["key"] = json!(key);
            Ok(Reply::ok(body))
        })
    }

    /// Adopts (or, before any round opened, re-adopts) the method.
    pub fn adopt_method(&self, actor: &Actor, req: AdoptMethod) -> Result<Reply, Error> {
        let method =
            ElectionMethod::from_preset(&req.preset, &req.overrides).map_err(|e| match e {
                MethodError::UnknownPreset { .. } => Error::new(
                    Kind::Unprocessable,
                    "unknown_preset",
                    format!("未知的预设：{e}"),
                    e.to_string(),
                )
                .at("preset"),
                MethodError::UnknownParameter { ref name }
                | MethodError::BadParameter { ref name, .. } => {
                    let field = if name == "overrides" {
                        "overrides".to_string()
                    } else {
                        format!("overrides.{}", name.split('.').next().unwrap_or(name))
                    };
                    Error::new(
                        Kind::Unprocessable,
                        "bad_method_parameter",
                        format!("选举办法参数有误：{e}"),
                        e.to_string(),
                    )
                    .at(field)
                }
            })?;
        let (view, stamp) = self.write_as(actor, |tx| {
            let m = load_meeting(&tx.tx, &actor.meeting)?;
            if store::round::any_round_in(&tx.tx, &m.id, RoundState::Open)?
                || store::round::any_round_in(&tx.tx, &m.id, RoundState::Closed)?
            {
                return Err(Error::conflict(
                    "method_locked",
                    "已有轮次开始投票，选举办法不能再更改",
                    "a round has been opened; the method can no longer change",
                ));
            }
            tx.log(
                Some(actor.role),
                &Event::MethodAdopted {
                    preset: req.preset.clone(),
                    overrides: req.overrides.clone(),
                    method: Box::new(method.clone()),
                    by: Some(actor.name.clone()),
                },
            )?;
            store::meeting::set_method(
                &tx.tx,
                &m.id,
                &req.preset,
                &Value::Object(req.overrides.clone()).to_string(),
                &serde_json::to_string(&method).map_err(Error::internal)?,
            )?;
            Ok(json!({ "preset": req.preset, "overrides": req.overrides, "effective": method }))
        })?;
        Ok(Reply::ok(view).stamped(stamp))
    }

    /// The adopted method as 选举办法 text.
    pub fn method_text(&self, actor: &Actor, lang: crate::report::Lang) -> Result<String, Error> {
        self.read(|conn| {
            let m = load_meeting(conn, &actor.meeting)?;
            let method = require_method(&m)?;
            let stages = super::stage::method_text(conn, &actor.meeting, &method, lang)?;
            Ok(crate::report::method_text::render(&method, lang) + &stages)
        })
    }

    /// Records the check-in count (and, if given, the roster of names,
    /// stored apart and never logged).
    pub fn record_attendance(&self, actor: &Actor, req: Attendance) -> Result<Reply, Error> {
        let roster = match &req.roster {
            None => None,
            Some(names) => {
                let mut out = Vec::with_capacity(names.len());
                for (i, n) in names.iter().enumerate() {
                    out.push(text(&format!("roster[{i}]"), n, MAX_NAME)?);
                }
                Some(out)
            }
        };
        let (view, stamp) = self.write_as(actor, |tx| {
            let m = load_meeting(&tx.tx, &actor.meeting)?;
            if req.present > m.entitled {
                return Err(Error::invalid(
                    "present",
                    format!("实到 {} 人多于应到 {} 人", req.present, m.entitled),
                    format!(
                        "{} present is more than the {} entitled to vote",
                        req.present, m.entitled
                    ),
                ));
            }
            if let Some(r) = &roster {
                if r.len() as u64 != req.present {
                    return Err(Error::invalid(
                        "roster",
                        format!("名册有 {} 人，与实到 {} 人不符", r.len(), req.present),
                        format!(
                            "the roster has {} names but present is {}",
                            r.len(),
                            req.present
                        ),
                    ));
                }
            }
            if store::round::any_round_in(&tx.tx, &m.id, RoundState::Open)? {
                return Err(Error::conflict(
                    "attendance_locked",
                    "有轮次正在投票，不能更改到会人数",
                    "a round is open; attendance cannot change until it closes",
                ));
            }
            tx.log(
                Some(actor.role),
                &Event::AttendanceRecorded {
                    present: req.present,
                    by: Some(actor.name.clone()),
                },
            )?;
            store::meeting::set_present(&tx.tx, &m.id, req.present)?;
            if let Some(r) = &roster {
                store::meeting::replace_roster(&tx.tx, &m.id, r)?;
            }
            Ok(attendance_json(&m, method_of(&m)?.as_ref(), req.present))
        })?;
        Ok(Reply::ok(view).stamped(stamp))
    }

    /// Adds a person with a role and makes their first token.
    pub fn add_person(&self, actor: &Actor, req: NewPerson) -> Result<Reply, Error> {
        let role = Role::parse(&req.role).ok_or_else(|| {
            Error::invalid(
                "role",
                "角色须为 organiser、counter、scrutineer、presidium、auditor 或 display",
                format!(
                    "unknown role {:?}; expected organiser, counter, scrutineer, presidium, auditor or display",
                    req.role
                ),
            )
        })?;
        let name = text("name", &req.name, MAX_NAME)?;
        if req.key.is_some() && role != Role::Scrutineer {
            return Err(Error::invalid(
                "key",
                "只有监票人登记签名公钥",
                "only scrutineers register a cosigning key",
            ));
        }
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            // The log names people by role and name (key registrations,
            // assignments, who entered and who cosigned): two alike could
            // not be told apart by an auditor.
            let people = store::meeting::people(&tx.tx, &meeting)?;
            let same_role: Vec<_> = people.iter().filter(|p| p.role == role).collect();
            let taken = crate::rules::name::alike(&name, same_role.iter().map(|p| p.name.as_str()))
                .and_then(|same| same_role.iter().find(|p| p.name == same).map(|p| (same, p.id.clone())));
            if let Some((same, id)) = taken {
                let (assign_zh, assign_en) = if matches!(role, Role::Counter | Role::Scrutineer) && same == name {
                    (
                        "；要把其指派到某项选举，请在人员名单中其姓名旁选择选举并点“指派”，不必重新添加",
                        "; to assign them to an election, choose it beside their name in the list of people and press Assign (POST …/elections/{e}/assignments) instead of adding them again",
                    )
                } else {
                    ("", "")
                };
                let (like_zh, like_en) = if same == name {
                    (String::new(), String::new())
                } else {
                    (format!("，与“{name}”字形相同或相近"), format!(", which looks the same as {name}"))
                };
                return Err(Error::invalid(
                    "name",
                    format!("已有名为“{same}”的{}{like_zh}；日志以姓名区分人员{assign_zh}", role.zh()),
                    format!(
                        "there is already a {} called {same}{like_en}; the log tells people apart by name{assign_en}",
                        role.as_str()
                    ),
                )
                .with(json!({ "person": id })));
            }
            if req.key.is_some() {
                return Err(Error::invalid(
                    "key",
                    "签名公钥须由本人在自己的设备上登记，会务组不能代为登记",
                    "a signing key is registered by its holder from their own device, never by the organiser",
                ));
            }
            let key: Option<String> = None;
            let id = format!(
                "p{}",
                store::meeting::next_number(&tx.tx, &meeting, Sequence::Person)?
            );
            let person = PersonRow {
                id: id.clone(),
                role,
                name: name.clone(),
                key: key.clone(),
            };
            store::meeting::insert_person(&tx.tx, &meeting, &person)?;
            let token = issue_token(self, tx, &person, Some(actor))?;
            let mut body = person_json(&person);
            body["token"] = token;
            Ok(body)
        })?;
        Ok(Reply::created(body).stamped(stamp))
    }

    /// Registers the acting person's own signing key (once), in an entry
    /// signed by that key.
    pub fn set_key(&self, actor: &Actor, person: &str, req: SetKey) -> Result<Reply, Error> {
        if actor.person != person {
            return Err(Error::forbidden(
                "not_own_person",
                "每个人只能在自己的设备上登记自己的签名公钥",
                "each person registers their own key, from their own device",
            ));
        }
        if matches!(actor.role, Role::Auditor | Role::Display) {
            return Err(Error::invalid(
                "key",
                format!("{}不在日志中签名，无需登记公钥", actor.role.zh()),
                format!("the {} role signs nothing in the log", actor.role.as_str()),
            ));
        }
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let mut p = store::meeting::person(&tx.tx, &meeting, person)?
                .ok_or_else(|| Error::not_found("人员", "person", person))?;
            if p.key.is_some() {
                return Err(Error::conflict(
                    "key_already_registered",
                    "您已登记签名公钥，不能更改；如设备丢失，请由总监票人或主席团批准更换",
                    "you already registered a key; it cannot change (a lost device needs a replacement approved by the chief scrutineer or the presidium)",
                ));
            }
            let vkey = parse_cosigner_key(&tx.tx, &meeting, Some(person), "key", &req.key)?;
            let key = vkey.to_string();
            store::meeting::set_person_key(&tx.tx, &meeting, person, &key)?;
            tx.log_with_new_key(
                actor.role,
                vkey.public_key().to_bytes(),
                &Event::KeyRegistered {
                    role: p.role.as_str().into(),
                    name: p.name.clone(),
                    key: key.clone(),
                    person: Some(p.id.clone()),
                },
            )?;
            p.key = Some(key);
            Ok(person_json(&p))
        })?;
        Ok(Reply::ok(body).stamped(stamp))
    }

    /// People of the meeting with their assignments and token ids.
    pub fn people(&self, actor: &Actor) -> Result<Reply, Error> {
        self.read(|conn| {
            let tokens = store::meeting::tokens(conn, &actor.meeting)?;
            let mut out = Vec::new();
            for p in store::meeting::people(conn, &actor.meeting)? {
                let mut v = person_json(&p);
                v["elections"] =
                    json!(store::meeting::assignments_of(conn, &actor.meeting, &p.id)?);
                v["tokens"] = tokens
                    .iter()
                    .filter(|t| t.person == p.id)
                    .map(|t| json!({ "id": t.id, "revoked": t.revoked }))
                    .collect();
                out.push(v);
            }
            Ok(Reply::ok(Value::Array(out)))
        })
    }

    /// Issues a new log-in link to `person`, revoking their earlier ones
    /// (the reply's `replaces`); both are logged.
    pub fn issue_token(&self, actor: &Actor, person: &str) -> Result<Reply, Error> {
        let (body, stamp) = self.write_as(actor, |tx| {
            let p = store::meeting::person(&tx.tx, &actor.meeting, person)?
                .ok_or_else(|| Error::not_found("人员", "person", person))?;
            issue_token(self, tx, &p, Some(actor))
        })?;
        Ok(Reply::created(body).stamped(stamp))
    }

    /// Revokes a log-in link, logged; revoking it again changes nothing.
    pub fn revoke_token(&self, actor: &Actor, token: &str) -> Result<Reply, Error> {
        let (_, stamp) = self.write_as(actor, |tx| {
            let t = store::meeting::tokens(&tx.tx, &actor.meeting)?
                .into_iter()
                .find(|t| t.id == token)
                .ok_or_else(|| Error::not_found("令牌", "token", token))?;
            if t.revoked {
                return Ok(());
            }
            let p = store::meeting::person(&tx.tx, &actor.meeting, &t.person)?
                .ok_or_else(|| Error::internal(format!("token {token} of no person")))?;
            store::meeting::revoke_token(&tx.tx, &actor.meeting, token)?;
            tx.log(
                Some(actor.role),
                &Event::LoginRevoked {
                    person: p.id,
                    role: p.role.as_str().into(),
                    name: p.name,
                    token: token.to_string(),
                    by: Some(actor.name.clone()),
                },
            )?;
            Ok(())
        })?;
        Ok(Reply::ok(json!({ "id": token, "revoked": true })).stamped(stamp))
    }

    pub fn add_election(&self, actor: &Actor, req: NewElection) -> Result<Reply, Error> {
        let contest = text("contest", &req.contest, 200)?;
        if req.seats == 0 {
            return Err(Error::invalid(
                "seats",
                "应选人数至少为 1",
                "expected at least 1 seat",
            ));
        }
        let (body, _) = self.write_as(actor, |tx| {
            let id = format!(
                "e{}",
                store::meeting::next_number(&tx.tx, &actor.meeting, Sequence::Election)?
            );
            let e = ElectionRow {
                id,
                contest: contest.clone(),
                office: enum_str(&req.office),
                seats: req.seats,
                accepted_list: None,
            };
            store::meeting::insert_election(&tx.tx, &actor.meeting, &e)?;
            election_json(&tx.tx, &actor.meeting, &e)
        })?;
        Ok(Reply::created(body))
    }

    pub fn election(&self, actor: &Actor, election: &str) -> Result<Reply, Error> {
        self.read(|conn| {
            let e = load_election(conn, &actor.meeting, election)?;
            election_json(conn, &actor.meeting, &e).map(Reply::ok)
        })
    }

    /// Assigns a counter or scrutineer to an election; never a candidate.
    pub fn assign(&self, actor: &Actor, election: &str, req: Assign) -> Result<Reply, Error> {
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let e = load_election(&tx.tx, &meeting, election)?;
            let p = store::meeting::person(&tx.tx, &meeting, &req.person)?.ok_or_else(|| {
                Error::invalid(
                    "person",
                    format!("人员 {} 不存在", req.person),
                    format!("no person {}", req.person),
                )
            })?;
            if !matches!(p.role, Role::Counter | Role::Scrutineer) {
                return Err(Error::invalid(
                    "person",
                    "只能指派计票人或监票人",
                    format!(
                        "only counters and scrutineers are assigned; {} is {}",
                        p.id, p.role
                    ),
                ));
            }
            for r in store::round::rounds(&tx.tx, &meeting, Some(&e.id))? {
                let candidates = candidates_of(&r)?;
                let found =
                    crate::rules::name::alike(&p.name, candidates.iter().map(String::as_str));
                if let Some(same) = found {
                    let (who_zh, who_en) = if same == p.name {
                        (p.name.clone(), p.name.clone())
                    } else {
                        (
                            format!("{}（与候选人 {same} 字形相同或相近）", p.name),
                            format!("{} (who looks the same as candidate {same})", p.name),
                        )
                    };
                    return Err(Error::conflict(
                        "supervisor_is_candidate",
                        format!(
                            "{who_zh} 是本选举（{}）的候选人，不能担任{}",
                            e.contest,
                            if p.role == Role::Counter {
                                "计票人"
                            } else {
                                "监票人"
                            }
                        ),
                        format!(
                            "{who_en} is a candidate in {} and cannot be its {}",
                            e.contest, p.role
                        ),
                    )
                    .at("person"));
                }
            }
            if p.role == Role::Scrutineer {
                let started = store::round::rounds(&tx.tx, &meeting, Some(&e.id))?
                    .into_iter()
                    .find(|r| r.state != RoundState::Draft);
                if let Some(r) = started {
                    return Err(Error::conflict(
                        "scrutineers_fixed",
                        format!(
                            "本选举（{}）已开始投票，监票人已确定，不能再增加",
                            e.contest
                        ),
                        format!(
                            "voting in {} has begun (round {}): its scrutineers are fixed and no more can be assigned",
                            e.contest, r.id
                        ),
                    )
                    .at("person"));
                }
            }
            if store::meeting::assign(&tx.tx, &meeting, &e.id, &p.id)? {
                tx.log(
                    Some(actor.role),
                    &Event::StaffAssigned {
                        election: e.id.clone(),
                        contest: e.contest.clone(),
                        role: p.role.as_str().into(),
                        name: p.name.clone(),
                    },
                )?;
            }
            Ok(json!({ "election": e.id, "person": p.id, "role": p.role, "name": p.name }))
        })?;
        Ok(Reply::created(body).stamped(stamp))
    }
}
