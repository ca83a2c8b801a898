//! The demo meeting of `serve --demo`: a branch members' assembly (党员大会)
//! electing its branch committee (支部委员会) of five, with a preliminary
//! round already counted, signed and its list accepted, and the formal round
//! open for ballot entry.
//!
//! Everything goes through the same use cases as the API, so the demo's log
//! is an ordinary meeting log, each person's entries signed by their key.
//! Those private keys are generated here and printed in the log-in links
//! (`cosign_key=`) — acceptable for a demo only: in a real meeting a key
//! is made on its holder's device and never leaves it.

use base64::Engine;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use super::decision::{Cosign, DecisionRequest};
use super::draft::NewRound;
use super::entry::MAX_BATCH;
use super::meeting::{AdoptMethod, Assign, Attendance, NewElection, NewMeeting, NewPerson, SetKey};
use super::round::{CloseRound, OpenRound};
use super::{random, Actor, Caller, Error, Role, Service, Signing};
use crate::log::checkpoint::Checkpoint;
use crate::log::cosignature::Cosigner;
use crate::log::event::{Body, Exclusion};
use crate::log::note::{KeyName, Note};
use crate::rules::{Office, RoundKind};
use sha2::Digest as _;

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

/// Runs `f` as `actor` holding `key`, as a device would: when the service
/// answers `signature_required`, signs the entries it lists and runs `f`
/// again with the signatures.
pub fn signed_by<T>(
    actor: &Actor,
    key: &SigningKey,
    mut f: impl FnMut(&Actor) -> Result<T, Error>,
) -> Result<T, Error> {
    use ed25519_dalek::Signer as _;
    let mut a = actor.clone();
    a.signing = Signing::Unsigned;
    for _ in 0..3 {
        match f(&a) {
            Err(e) if e.code == "signature_required" => {
                let sign = e.extra.as_ref().map(|x| &x["sign"]);
                let timestamp_ms = sign
                    .and_then(|s| s["timestamp"].as_u64())
                    .ok_or_else(|| Error::internal("signature_required without a timestamp"))?;
                let mut signatures = Vec::new();
                for entry in sign
                    .and_then(|s| s["entries"].as_array())
                    .into_iter()
                    .flatten()
                {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(entry["entry"].as_str().unwrap_or_default())
                        .map_err(Error::internal)?;
                    let mut m = crate::log::entry::ENTRY_SIGNATURE_CONTEXT.to_vec();
                    m.extend_from_slice(&sha2::Sha256::digest(&bytes));
                    signatures.push(key.sign(&m).to_bytes());
                }
                a.signing = Signing::Signed {
                    timestamp_ms,
                    signatures,
                };
            }
            other => return other,
        }
    }
    f(&a)
}

/// A demo person: who, and the key "on their device".
struct Held {
    actor: Actor,
    key: SigningKey,
}

impl Held {
    fn run<T>(&self, f: impl FnMut(&Actor) -> Result<T, Error>) -> Result<T, Error> {
        signed_by(&self.actor, &self.key, f)
    }
}

/// Makes a key for `actor`, registers it as their own and returns it with
/// its seed.
fn hold(svc: &Service, actor: Actor) -> Result<(Held, [u8; 32]), Error> {
    let seed = random::<32>()?;
    let key = SigningKey::from_bytes(&seed);
    let name = format!("p-{}", actor.person);
    let c = Cosigner::new(KeyName::new(&name).map_err(Error::internal)?, key.clone());
    let vkey = c.verifier_key().to_string();
    signed_by(&actor, &key, |a| {
        svc.set_key(a, &a.person, SetKey { key: vkey.clone() })
    })?;
    Ok((Held { actor, key }, seed))
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

/// A log-in link with the demo key of its holder.
fn with_key(mut url: String, seed: &[u8; 32]) -> String {
    url.push_str("&cosign_key=");
    url.push_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seed));
    url
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
        let (org, org_seed) = hold(self, org)?;
        let mut links = vec![Link {
            role: Role::Organiser.as_str().into(),
            name: org.actor.name.clone(),
            url: with_key(org_url, &org_seed),
        }];
        org.run(|a| {
            self.adopt_method(
                a,
                AdoptMethod {
                    preset: "grassroots-2020".into(),
                    overrides: Default::default(),
                },
            )
        })?;
        org.run(|a| {
            self.record_attendance(
                a,
                Attendance {
                    present: 46,
                    roster: None,
                },
            )
        })?;
        let election = org.run(|a| {
            self.add_election(
                a,
                NewElection {
                    contest: "支部委员会委员".into(),
                    office: Office::Committee,
                    seats: 5,
                },
            )
        })?;
        let e = election.body["id"].as_str().unwrap_or("e1").to_string();

        let mut people: Vec<Held> = Vec::new();
        let mut cosigners = Vec::new();
        for (role, name) in [
            (Role::Counter, "李计票"),
            (Role::Counter, "赵计票"),
            (Role::Scrutineer, "钱监票"),
            (Role::Scrutineer, "孙监票"),
            (Role::Scrutineer, "郑监票"),
            (Role::Presidium, "主席团"),
            (Role::Auditor, "审计组"),
            (Role::Display, "会场大屏"),
        ] {
            let p = org.run(|a| {
                self.add_person(
                    a,
                    NewPerson {
                        role: role.as_str().into(),
                        name: name.into(),
                        key: None,
                    },
                )
            })?;
            let (a, url) = actor(self, &p.body["token"])?;
            if matches!(role, Role::Counter | Role::Scrutineer) {
                org.run(|o| {
                    self.assign(
                        o,
                        &e,
                        Assign {
                            person: a.person.clone(),
                        },
                    )
                })?;
            }
            let (held, url) = if matches!(role, Role::Auditor | Role::Display) {
                (
                    Held {
                        actor: a,
                        key: SigningKey::from_bytes(&random::<32>()?),
                    },
                    url,
                )
            } else {
                let (held, seed) = hold(self, a)?;
                if role == Role::Scrutineer {
                    let name = format!("p-{}", held.actor.person);
                    cosigners.push(Cosigner::new(
                        KeyName::new(&name).map_err(Error::internal)?,
                        held.key.clone(),
                    ));
                }
                (held, with_key(url, &seed))
            };
            links.push(Link {
                role: role.as_str().into(),
                name: name.into(),
                url,
            });
            people.push(held);
        }
        let counters: Vec<&Held> = people
            .iter()
            .filter(|h| h.actor.role == Role::Counter)
            .collect();
        let scrutineers: Vec<&Held> = people
            .iter()
            .filter(|h| h.actor.role == Role::Scrutineer)
            .collect();
        let presidium = people
            .iter()
            .find(|h| h.actor.role == Role::Presidium)
            .ok_or_else(|| Error::internal("demo: no presidium"))?;

        // The preliminary round: seven for a formal list of six.
        let prelim = org.run(|a| {
            self.create_round(
                a,
                &e,
                NewRound::plain(
                    RoundKind::Preliminary,
                    CANDIDATES.iter().map(|c| c.to_string()).collect(),
                    Some(6),
                ),
            )
        })?;
        let r1 = prelim.body["id"].as_str().unwrap_or("r1").to_string();
        org.run(|a| self.open_round(a, &r1, OpenRound::issued(46)))?;
        let ballots = preliminary_ballots();
        for (b, chunk) in ballots.chunks(23.min(MAX_BATCH)).enumerate() {
            let body = json!({ "ballots": chunk }).to_string();
            for c in &counters {
                c.run(|a| {
                    self.enter_batch(
                        a,
                        &r1,
                        &format!("b{:02}", b + 1),
                        &format!("demo-{r1}-{b}"),
                        body.as_bytes(),
                    )
                })?;
            }
        }
        scrutineers[0].run(|a| {
            self.close_round(
                a,
                &r1,
                CloseRound {
                    returned: Some(46),
                    ..CloseRound::default()
                },
            )
        })?;
        let statement = self.statement(&scrutineers[0].actor, &r1)?;
        let note = statement.body["checkpoint"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let now = super::now_ms() / 1000;
        for (s, c) in scrutineers.iter().zip(&cosigners) {
            let line = cosignature_line(&note, c, now)?;
            s.run(|a| {
                self.cosign(
                    a,
                    &r1,
                    Cosign {
                        signature: line.clone(),
                    },
                )
            })?;
        }
        let result = self.result(&presidium.actor, &r1)?;
        let list: Vec<String> = result.body["result"]["next_list"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        presidium
            .run(|a| self.decide(a, &r1, DecisionRequest::AcceptList { list: list.clone() }))?;

        // The formal round, on the accepted list in ballot order.
        let formal_list: Vec<String> = CANDIDATES
            .iter()
            .filter(|c| list.iter().any(|l| l == *c))
            .map(|c| c.to_string())
            .collect();
        let formal = org.run(|a| {
            self.create_round(
                a,
                &e,
                NewRound::plain(RoundKind::Formal, formal_list.clone(), None),
            )
        })?;
        let r2 = formal.body["id"].as_str().unwrap_or("r2").to_string();
        org.run(|a| self.open_round(a, &r2, OpenRound::issued(46)))?;
        Ok(Demo { meeting, links })
    }
}
