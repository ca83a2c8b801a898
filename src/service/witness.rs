//! The witnesses of a meeting's log (C2SP tlog-witness, the log's side):
//! the organiser names them before the first round opens
//! (`witness_named`, signed by the organiser); the service submits every
//! checkpoint to each of them (`http::witness::submit`, a background task,
//! never on a request's path) and keeps the cosignatures it gets back,
//! which the audit bundle adds to its checkpoint notes; the verifier then
//! requires them on every round's result checkpoint.
//!
//! Blocking, like the rest of the service: what to send next
//! ([`Service::witness_job`]) and what came back
//! ([`Service::witness_answer`]) are short transactions; the HTTP exchange
//! happens between them with no connection held.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{Actor, Error, Reply, Service};
use crate::log::event::Event;
use crate::log::merkle::TreeSize;
use crate::log::note::{KeyName, SignatureType, VerifierKey};
use crate::store::{self, StoreError};

/// Longest witness URL accepted.
const MAX_URL_LEN: usize = 512;

/// Checkpoints sent to one witness in one go.
const BATCH: usize = 32;

/// `POST …/witnesses`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameWitness {
    /// The witness's name, as in its C2SP key name.
    pub name: String,
    /// Its C2SP cosigner vkey (type 0x04).
    pub key: String,
    /// Its `add-checkpoint` URL.
    pub url: String,
    /// How many of the named witnesses must cosign each result (default:
    /// all).
    #[serde(default)]
    pub quorum: Option<u64>,
}

/// The requests to make to one witness, in order.
#[derive(Clone, Debug)]
pub struct WitnessJob {
    pub meeting: String,
    pub name: String,
    pub key: VerifierKey,
    pub url: String,
    /// (checkpoint size, its signed note, the add-checkpoint body).
    pub requests: Vec<(u64, String, String)>,
    /// Nothing can be sent: the witness holds a larger tree than the log
    /// (recorded as a refusal); retry later, slowly.
    pub stalled: bool,
}

/// What a witness answered to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 200: its cosignature line on the checkpoint of that size (already
    /// verified against its key).
    Cosigned { size: u64, line: String },
    /// 409 with `text/x.tlog.size`: it holds this size; resend from there.
    Holds(u64),
    /// 403, 422 or 409 (two trees of one size): it refused; evidence.
    Refused { status: u16, message: String },
    /// The witness could not be reached or answered something else.
    Failed(String),
}

fn now_secs() -> u64 {
    super::now_ms() / 1000
}

fn db(e: rusqlite::Error) -> Error {
    Error::from(StoreError::from(e))
}

impl Service {
    /// Names a witness of the meeting's log (the organiser, signed, before
    /// the first round opens).
    pub fn name_witness(&self, actor: &Actor, req: NameWitness) -> Result<Reply, Error> {
        let name = req.name.trim().to_owned();
        KeyName::new(&name).map_err(|e| {
            Error::invalid(
                "name",
                format!("见证人名称须为 C2SP 密钥名（如 witness.example.org/county）：{e}"),
                format!("the witness's name must be a C2SP key name (e.g. witness.example.org/county): {e}"),
            )
        })?;
        let key = VerifierKey::parse(req.key.trim())
            .ok()
            .filter(|k| k.sig_type() == SignatureType::CosignatureV1)
            .ok_or_else(|| {
                Error::invalid(
                    "key",
                    "见证人公钥须为 C2SP 联署公钥（vkey，类型 0x04）",
                    "the witness's key must be a C2SP cosigner vkey (type 0x04)",
                )
            })?;
        if key.name().as_str() != name {
            return Err(Error::invalid(
                "key",
                format!(
                    "公钥的名称为 {}，与见证人名称 {name} 不符",
                    key.name().as_str()
                ),
                format!("the key is named {}, not {name}", key.name().as_str()),
            ));
        }
        let url = req.url.trim().to_owned();
        if url.len() > MAX_URL_LEN
            || !(url.starts_with("http://") || url.starts_with("https://"))
            || url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::invalid(
                "url",
                "提交地址须为 http:// 或 https:// 开头的 add-checkpoint 网址",
                "url must be the witness's add-checkpoint URL, starting with http:// or https://",
            ));
        }
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            if store::witness::any_round_opened(&tx.tx, &meeting).map_err(db)? {
                return Err(Error::conflict(
                    "witnesses_fixed",
                    "已有轮次开始投票，见证人已确定，不能再增加",
                    "a round has opened: the meeting's witnesses are fixed and no more can be named",
                ));
            }
            let named = store::witness::witnesses(&tx.tx, &meeting).map_err(db)?;
            if named
                .iter()
                .any(|w| w.name == name || VerifierKey::parse(&w.key).ok().as_ref() == Some(&key))
            {
                return Err(Error::conflict(
                    "witness_already_named",
                    format!("见证人 {name}（或其公钥）已列入"),
                    format!("witness {name} (or its key) is already named"),
                ));
            }
            if let Some(q) = req.quorum {
                let n = named.len() as u64 + 1;
                if q == 0 || q > n {
                    return Err(Error::invalid(
                        "quorum",
                        format!("须联署的见证人数须在 1 至 {n} 之间"),
                        format!("quorum must be between 1 and the {n} witnesses named"),
                    ));
                }
            }
            let entry = tx.log(
                Some(actor.role),
                &Event::WitnessNamed {
                    name: name.clone(),
                    key: key.to_string(),
                    url: url.clone(),
                    quorum: req.quorum,
                    by: Some(actor.name.clone()),
                },
            )?;
            let w = store::witness::NamedWitness {
                name: name.clone(),
                key: key.to_string(),
                url: url.clone(),
                quorum: req.quorum,
                entry: entry.0,
                cosigned_size: 0,
                cosigned_at: None,
                error: None,
                refusal: None,
            };
            store::witness::insert_witness(&tx.tx, &meeting, &w).map_err(db)?;
            Ok(witness_json(&w, None, None))
        })?;
        Ok(Reply::created(body).stamped(stamp))
    }

    /// The meeting's witnesses: what each last cosigned, its last error
    /// and its last refusal (shown loudly: a refusal is evidence of a
    /// rollback or a fork).
    pub fn witnesses(&self, actor: &Actor) -> Result<Reply, Error> {
        self.read(|conn| {
            let named = store::witness::witnesses(conn, &actor.meeting).map_err(db)?;
            let latest =
                store::log::latest_checkpoint(conn, &actor.meeting)?.map_or(0, |(s, _)| s.0);
            let lines = store::witness::cosignature_lines(conn, &actor.meeting).map_err(db)?;
            let mut list = Vec::new();
            for w in &named {
                // The latest checkpoint it cosigned, with its line: what an
                // auditor pins (`verify --checkpoint`).
                let mut note = None;
                for (size, ls) in lines.range(..=w.cosigned_size).rev() {
                    let Some(line) = ls.iter().find(|l| {
                        VerifierKey::parse(&w.key)
                            .ok()
                            .is_some_and(|k| l.contains(&format!("— {} ", k.name())))
                    }) else {
                        continue;
                    };
                    if let Some(n) =
                        store::log::checkpoint_at(conn, &actor.meeting, TreeSize(*size))?
                    {
                        note = Some((*size, format!("{n}{line}\n")));
                    }
                    break;
                }
                list.push(witness_json(w, Some(latest), note));
            }
            let required = named
                .iter()
                .rev()
                .find_map(|w| w.quorum)
                .unwrap_or(named.len() as u64);
            Ok(Reply::ok(json!({
                "required": required,
                "log_size": latest,
                "witnesses": list,
            })))
        })
    }

    /// Every (meeting, witness) the submitter serves.
    pub fn witness_pairs(&self) -> Result<Vec<(String, String)>, Error> {
        self.read(|conn| {
            let mut out = Vec::new();
            for m in store::witness::witnessed_meetings(conn).map_err(db)? {
                for w in store::witness::witnesses(conn, &m).map_err(db)? {
                    out.push((m.clone(), w.name));
                }
            }
            Ok(out)
        })
    }

    /// The next requests to make to witness `name` of `meeting`: every
    /// checkpoint above the size it holds, in order, each with the
    /// consistency proof from the one before. When it is up to date:
    /// nothing, or with `again` the latest checkpoint once more (at start
    /// and now and then, so that a database restored from an old copy
    /// meets the witness's larger tree at once). A witness holding more
    /// than the log has is a rollback of this database: recorded as a
    /// refusal.
    pub fn witness_job(
        &self,
        meeting: &str,
        name: &str,
        again: bool,
    ) -> Result<Option<WitnessJob>, Error> {
        let job = self.read(|conn| {
            let Some(w) = store::witness::witnesses(conn, meeting)
                .map_err(db)?
                .into_iter()
                .find(|w| w.name == name)
            else {
                return Ok(None);
            };
            let key = VerifierKey::parse(&w.key).map_err(Error::internal)?;
            let latest = store::log::latest_checkpoint(conn, meeting)?.map_or(0, |(s, _)| s.0);
            if w.cosigned_size > latest {
                return Ok(Some(Err((w.cosigned_size, latest))));
            }
            let pending = store::witness::checkpoints_above(conn, meeting, w.cosigned_size, BATCH)
                .map_err(db)?;
            let mut requests = Vec::with_capacity(pending.len());
            if pending.is_empty() && again && latest > 0 {
                if let Some(note) =
                    store::log::checkpoint_at(conn, meeting, TreeSize(w.cosigned_size))?
                {
                    let body = crate::log::witness::request_body(w.cosigned_size, &[], &note);
                    requests.push((w.cosigned_size, note, body));
                }
            } else if !pending.is_empty() {
                // Leaf hashes only: the entries' bytes are not needed for
                // consistency proofs.
                let tree = crate::log::merkle::Tree::from_leaf_hashes(
                    store::witness::leaf_hashes(conn, meeting).map_err(db)?,
                );
                let mut old = w.cosigned_size;
                for (size, note) in pending {
                    let proof = if old == 0 {
                        Vec::new()
                    } else {
                        tree.consistency_proof(TreeSize(old), TreeSize(size))
                            .map_err(Error::internal)?
                    };
                    let body = crate::log::witness::request_body(old, &proof, &note);
                    requests.push((size, note, body));
                    old = size;
                }
            }
            Ok(Some(Ok(WitnessJob {
                meeting: meeting.to_owned(),
                name: w.name,
                key,
                url: w.url,
                requests,
                stalled: false,
            })))
        })?;
        match job {
            None => Ok(None),
            Some(Ok(job)) => Ok(Some(job)),
            Some(Err((held, latest))) => {
                let w = self
                    .read(|conn| store::witness::witnesses(conn, meeting).map_err(db))?
                    .into_iter()
                    .find(|w| w.name == name)
                    .ok_or_else(|| Error::internal("a witness vanished"))?;
                self.witness_answer(
                    meeting,
                    name,
                    &Answer::Refused {
                        status: 409,
                        message: format!(
                            "the witness holds a tree of size {held}, larger than this log's {latest}: the service's database was rolled back"
                        ),
                    },
                )?;
                Ok(Some(WitnessJob {
                    meeting: meeting.to_owned(),
                    name: w.name,
                    key: VerifierKey::parse(&w.key).map_err(Error::internal)?,
                    url: w.url,
                    requests: Vec::new(),
                    stalled: true,
                }))
            }
        }
    }

    /// Records what witness `name` answered.
    pub fn witness_answer(&self, meeting: &str, name: &str, answer: &Answer) -> Result<(), Error> {
        let now = now_secs();
        self.write(meeting, |tx| {
            let c = &tx.tx;
            match answer {
                Answer::Cosigned { size, line } => {
                    store::witness::record_cosignature(c, meeting, name, *size, line, now)
                }
                Answer::Holds(size) => store::witness::record_witness_size(c, meeting, name, *size),
                Answer::Refused { status, message } => {
                    tracing::error!(
                        "见证人 {name} 拒绝了会议 {meeting} 的检查点 / witness {name} REFUSED a checkpoint of meeting {meeting} ({status}): {message}"
                    );
                    store::witness::record_refusal(c, meeting, name, message, *status, now)
                }
                Answer::Failed(message) => {
                    store::witness::record_error(c, meeting, name, message, now)
                }
            }
            .map_err(db)
        })?;
        Ok(())
    }
}

/// One witness as the API shows it.
fn witness_json(
    w: &store::witness::NamedWitness,
    log_size: Option<u64>,
    checkpoint: Option<(u64, String)>,
) -> Value {
    let fingerprint = VerifierKey::parse(&w.key)
        .map(|k| crate::log::pins::fingerprint(&k.public_key().to_bytes()))
        .unwrap_or_default();
    json!({
        "name": w.name,
        "key": w.key,
        "fingerprint": fingerprint,
        "url": w.url,
        "quorum": w.quorum,
        "entry": w.entry,
        "cosigned_size": w.cosigned_size,
        "cosigned_at": w.cosigned_at,
        "behind": log_size.map(|n| n.saturating_sub(w.cosigned_size)),
        "checkpoint": checkpoint.map(|(size, note)| json!({ "size": size, "note": note })),
        "last_error": w.error.as_ref().map(|(m, at)| json!({ "message": m, "at": at })),
        "refusal": w.refusal.as_ref().map(|(m, status, at)| json!({
            "status": status,
            "message": m,
            "at": at,
            "zh": format!("见证人 {} 拒绝联署本日志的检查点（{status}）：可能是日志被回退或出现分叉，请立即核查", w.name),
            "en": format!("witness {} REFUSED to cosign this log's checkpoint ({status}): the log may have been rolled back or forked; look into it now", w.name),
        })),
    })
}
