//! The demo meeting of `serve --demo`: a branch members' assembly (党员大会)
//! electing its branch committee (支部委员会) of five, with a preliminary
//! round already counted, signed and its list accepted, and the formal round
//! open for ballot entry.
//!
//! Everything goes through the same use cases as the API, so the demo's log
//! is an ordinary meeting log. The scrutineers' private cosigning keys are
//! generated here and printed in their log-in links — acceptable for a
//! demo only: in a real meeting the key never leaves the scrutineer's
//! device.

use base64::Engine;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use super::decision::{Cosign, DecisionRequest};
use super::entry::MAX_BATCH;
use super::meeting::{AdoptMethod, Assign, Attendance, NewElection, NewMeeting, NewPerson};
use super::round::{CloseRound, NewRound, OpenRound};
use super::{random, Actor, Caller, Error, Service};
use crate::log::checkpoint::Checkpoint;
use crate::log::cosignature::Cosigner;
use crate::log::event::{Body, Exclusion};
use crate::log::note::{KeyName, Note};
use crate::rules::{Office, RoundKind};

/// A printed log-in link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub role: String,
    pub name: String,
    pub url: String,
}

/// What `serve --demo` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demo {
    pub meeting: String,
    pub links: Vec<Link>,
}

const CANDIDATES: [&str; 7] = ["丁一", "王二", "刘三", "吴七", "张四", "陈五", "周六"];

/// The 46 paper ballots of the preliminary round: 45 marked (at most six
/// selections each, the size of the formal list) and one void.
fn preliminary_ballots() -> Vec<Value> {
    let target = [44u64, 40, 38, 12, 36, 34, 30];
    let offset = [0u64, 0, 0, 5, 36, 17, 29];
    let mut out: Vec<Value> = (0..45u64)
        .map(|i| {
            let marks: String = (0..7)
                .map(|j| {
                    if (i + offset[j]) % 46 < target[j] {
                        'Y'
                    } else if (i + j as u64).is_multiple_of(5) {
                        'N'
                    } else {
                        'A'
                    }
                })
                .collect();
            Value::String(marks)
        })
        .collect();
    out.push(json!({ "void": "选票上写有投票人姓名" }));
    out
}

fn actor(svc: &Service, token: &Value) -> Result<(Actor, String), Error> {
    let t = token["token"]
        .as_str()
        .ok_or_else(|| Error::internal("demo: no token"))?;
    match svc.authenticate(t)? {
        Caller::Person(a) => Ok((
            a,
            token["login_url"].as_str().unwrap_or_default().to_string(),
        )),
        Caller::Setup => Err(Error::internal("demo: setup token")),
    }
}

/// A cosignature line over a signed checkpoint note, as a scrutineer's
/// device would make it.
pub fn cosignature_line(note: &str, cosigner: &Cosigner, timestamp: u64) -> Result<String, Error> {
    let n = Note::parse(note).map_err(Error::internal)?;
    let c = Checkpoint::parse(n.text()).map_err(Error::internal)?;
    let sig = cosigner.cosign(&c, timestamp).map_err(Error::internal)?;
    Ok(sig.to_string())
}

impl Service {
    /// Seeds the demo meeting and returns its log-in links.
    pub fn seed_demo(&self) -> Result<Demo, Error> {
        let created = self.create_meeting(NewMeeting {
            name: "中共某某大学计算机学院第一党支部党员大会".into(),
            body: Body::MembersAssembly,
            voting_members: 52,
            exclusions: vec![
                Exclusion {
                    reason: "因患重病不能参加".into(),
                    count: 1,
                    approved_by: "学院党委组织部".into(),
                },
                Exclusion {
                    reason: "出国半年以上".into(),
                    count: 1,
                    approved_by: "学院党委组织部".into(),
                },
            ],
            organiser: Some("张秘书".into()),
            place: Some("学院楼三楼会议室".into()),
        })?;
        let meeting = created.body["meeting"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (org, org_url) = actor(self, &created.body["organiser"]["token"])?;
        let mut links = vec![Link {
            role: "organiser".into(),
            name: org.name.clone(),
            url: org_url,
        }];
        self.adopt_method(
            &org,
            AdoptMethod {
                preset: "grassroots-2020".into(),
                overrides: Default::default(),
            },
        )?;
        self.record_attendance(
            &org,
            Attendance {
                present: 46,
                roster: None,
            },
        )?;
        let election = self.add_election(
            &org,
            NewElection {
                contest: "支部委员会委员".into(),
                office: Office::Committee,
                seats: 5,
            },
        )?;
        let e = election.body["id"].as_str().unwrap_or("e1").to_string();

        let mut people = Vec::new();
        let mut cosigners = Vec::new();
        for (role, name) in [
            ("counter", "李计票"),
            ("counter", "赵计票"),
            ("scrutineer", "钱监票"),
            ("scrutineer", "孙监票"),
            ("scrutineer", "郑监票"),
            ("presidium", "主席团"),
            ("auditor", "审计组"),
            ("display", "会场大屏"),
        ] {
            let (key, seed) = if role == "scrutineer" {
                let seed = random::<32>()?;
                let c = Cosigner::new(
                    KeyName::new(name).map_err(Error::internal)?,
                    SigningKey::from_bytes(&seed),
                );
                let vkey = c.verifier_key().to_string();
                cosigners.push(c);
                (Some(vkey), Some(seed))
            } else {
                (None, None)
            };
            let p = self.add_person(
                &org,
                NewPerson {
                    role: role.into(),
                    name: name.into(),
                    key,
                },
            )?;
            let (a, mut url) = actor(self, &p.body["token"])?;
            if let Some(seed) = seed {
                url.push_str("&cosign_key=");
                url.push_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seed));
            }
            if role == "counter" || role == "scrutineer" {
                self.assign(
                    &org,
                    &e,
                    Assign {
                        person: a.person.clone(),
                    },
                )?;
            }
            links.push(Link {
                role: role.into(),
                name: name.into(),
                url,
            });
            people.push(a);
        }
        let counters: Vec<&Actor> = people
            .iter()
            .filter(|a| a.role == super::Role::Counter)
            .collect();
        let scrutineers: Vec<&Actor> = people
            .iter()
            .filter(|a| a.role == super::Role::Scrutineer)
            .collect();
        let presidium = people
            .iter()
            .find(|a| a.role == super::Role::Presidium)
            .ok_or_else(|| Error::internal("demo: no presidium"))?;

        // The preliminary round: seven for a formal list of six.
        let prelim = self.create_round(
            &org,
            &e,
            NewRound {
                kind: RoundKind::Preliminary,
                candidates: CANDIDATES.iter().map(|c| c.to_string()).collect(),
                seats: None,
                next_size: Some(6),
            },
        )?;
        let r1 = prelim.body["id"].as_str().unwrap_or("r1").to_string();
        self.open_round(&org, &r1, OpenRound { issued: 46 })?;
        let ballots = preliminary_ballots();
        for (b, chunk) in ballots.chunks(23.min(MAX_BATCH)).enumerate() {
            let body = json!({ "ballots": chunk }).to_string();
            for c in &counters {
                self.enter_batch(
                    c,
                    &r1,
                    &format!("b{:02}", b + 1),
                    &format!("demo-{r1}-{b}"),
                    body.as_bytes(),
                )?;
            }
        }
        self.close_round(
            scrutineers[0],
            &r1,
            CloseRound {
                returned: 46,
                confirm_void: None,
            },
        )?;
        let statement = self.statement(scrutineers[0], &r1)?;
        let note = statement.body["checkpoint"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let now = super::now_ms() / 1000;
        for (s, c) in scrutineers.iter().zip(&cosigners) {
            let line = cosignature_line(&note, c, now)?;
            self.cosign(s, &r1, Cosign { signature: line })?;
        }
        let result = self.result(presidium, &r1)?;
        let list: Vec<String> = result.body["result"]["next_list"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        self.decide(
            presidium,
            &r1,
            DecisionRequest::AcceptList { list: list.clone() },
        )?;

        // The formal round, on the accepted list in ballot order.
        let formal_list: Vec<String> = CANDIDATES
            .iter()
            .filter(|c| list.iter().any(|l| l == *c))
            .map(|c| c.to_string())
            .collect();
        let formal = self.create_round(
            &org,
            &e,
            NewRound {
                kind: RoundKind::Formal,
                candidates: formal_list,
                seats: None,
                next_size: None,
            },
        )?;
        let r2 = formal.body["id"].as_str().unwrap_or("r2").to_string();
        self.open_round(&org, &r2, OpenRound { issued: 46 })?;
        Ok(Demo { meeting, links })
    }
}
