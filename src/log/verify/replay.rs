//! Step 8 of the verifier: the events folded in log order into a
//! meeting, and every published tally recomputed from the ballots and
//! facts logged before it (the packed kernel for plain ballots, the
//! reference counter for the rest) and compared with the signed record.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::VerifyingKey;

use super::consent;
use super::diff::{describe_differences, first_difference};
use super::{Certification, RegisteredKey, TallyCheck};
use crate::count::{self, PackedBallots};
use crate::log::bundle;
use crate::log::checkpoint::Checkpoint;
use crate::log::cosignature::{verify_cosignature_known, CosignatureError};
use crate::log::event::{self, is_scrutineer_role, BatchBallots, Decision, Event, EventError};
use crate::log::merkle::{Hash, Tree, TreeSize};
use crate::log::note::{NoteSignature, SignatureType, VerifierKey};
use crate::log::record::{self, TallyRecord};
use crate::log::sigbatch::Verified;
use crate::rules::method::ElectionMethod;
use crate::rules::outcome::Runoff;
use crate::rules::round::{Ballot, Round};
use crate::rules::tally::{Counts, InvalidReason, LineCount};

/// A key registered in the log.
#[derive(Clone, Debug)]
pub(super) struct Registration {
    pub(super) entry: u64,
    pub(super) role: String,
    pub(super) name: String,
    pub(super) key_text: String,
    pub(super) public: [u8; 32],
    /// The C2SP cosigner key, when registered as a type 0x04 vkey.
    pub(super) cosigner: Option<VerifierKey>,
    /// The `key_replacement_approved` entry from which this key signs
    /// nothing more (a lost device).
    pub(super) until: Option<u64>,
    /// Made by an approved replacement (`entry` is the approval's index),
    /// not by `key_registered`: not listed in `keys.txt`.
    pub(super) replacement: bool,
}

/// A witness the organiser named (`witness_named`).
#[derive(Clone, Debug)]
pub(super) struct NamedWitness {
    pub(super) entry: u64,
    pub(super) name: String,
    pub(super) key: VerifierKey,
    pub(super) url: String,
}

/// A `key_replaced` waiting for its approval.
#[derive(Clone, Debug)]
pub(super) struct PendingReplacement {
    pub(super) entry: u64,
    pub(super) key_text: String,
    pub(super) public: [u8; 32],
    pub(super) cosigner: Option<VerifierKey>,
}

/// The key `text` registers: as the per-entry map `parsed` it, or parsed
/// here.
pub(super) fn registered_key(parsed: Option<&RegisteredKey>, text: &str) -> RegisteredKey {
    parsed
        .cloned()
        .unwrap_or_else(|| parse_registered_key(text))
}

/// The Ed25519 key of a registered key text: a C2SP vkey or 64 hex digits.
pub(super) fn parse_registered_key(text: &str) -> Result<([u8; 32], Option<VerifierKey>), String> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        let hash = Hash::from_hex(&text.to_ascii_lowercase())
            .ok_or_else(|| "key is not 64 hex digits".to_owned())?;
        VerifyingKey::from_bytes(&hash.0).map_err(|_| "not a valid Ed25519 public key")?;
        return Ok((hash.0, None));
    }
    let vkey = VerifierKey::parse(text).map_err(|e| format!("key {text:?}: {e}"))?;
    let public = vkey.public_key().to_bytes();
    let cosigner = (vkey.sig_type() == SignatureType::CosignatureV1).then_some(vkey);
    Ok((public, cosigner))
}

/// A round as replay knows it.
pub(super) struct RoundState {
    pub(super) opened_at: u64,
    pub(super) method: ElectionMethod,
    pub(super) round: Round,
    /// The selection limit for the packed kernel.
    pub(super) limit: u32,
    /// Plain ballots counted by the kernel so far.
    pub(super) plain: count::Tally,
    /// Ballots the packed form cannot hold.
    pub(super) special: Vec<Ballot>,
    pub(super) ballots: u64,
    pub(super) batches: BTreeSet<String>,
    pub(super) closed: Option<u64>,
    pub(super) tallied: Option<u64>,
    pub(super) runoff: Option<Runoff>,
    /// The election the round belongs to, when `round_opened` names it.
    pub(super) election: Option<String>,
    /// Who may certify the result: set when the tally is published.
    pub(super) cosigners: Vec<Registration>,
    /// Scrutineers whose `result_cosigned` verified → its entry.
    pub(super) cosigned_by: BTreeMap<String, u64>,
    /// Scrutineers a `proceed_without` decision excused while it was open.
    pub(super) excused: BTreeSet<String>,
}

/// A cosignature recorded in the log (`result_cosigned`) that verified.
pub(super) struct CosignClaim {
    pub(super) entry: u64,
    pub(super) round: String,
    pub(super) scrutineer: String,
    pub(super) size: u64,
    pub(super) line: NoteSignature,
}

/// The meeting state folded from the events.
pub(super) struct Replay<'t> {
    pub(super) origin: Option<String>,
    pub(super) tree: &'t Tree,
    /// Signatures a batch found valid ([`crate::log::sigbatch`]).
    pub(super) known: &'t Verified,
    pub(super) created_at: Option<u64>,
    pub(super) entitled: Option<u64>,
    pub(super) present: Option<u64>,
    pub(super) method: Option<ElectionMethod>,
    pub(super) registrations: Vec<Registration>,
    pub(super) rounds: BTreeMap<String, RoundState>,
    /// Runoffs the presidium called: round id → (among, seats).
    /// Runoff id → (among, seats, the kind it resolves: `None` for formal).
    pub(super) called_runoffs:
        BTreeMap<String, (Vec<String>, u64, Option<crate::rules::RoundKind>)>,
    /// Staff assigned to elections: election → (role, name).
    pub(super) assigned: BTreeMap<String, BTreeSet<(String, String)>>,
    pub(super) ballots: u64,
    pub(super) tallies: Vec<TallyCheck>,
    pub(super) cosign_claims: Vec<CosignClaim>,
    /// `announce` decisions: (entry, round).
    pub(super) announced: Vec<(u64, String)>,
    /// Log-in links issued: token id → (person, still valid).
    pub(super) logins: BTreeMap<String, (String, bool)>,
    /// The readings of each batch not yet counted: (round, batch) → the
    /// names in its `entry_committed` entries, in log order.
    pub(super) readings: BTreeMap<(String, String), Vec<String>>,
    /// The Chinese wording of replay messages worded for people (the
    /// tally check's differences), by their English text.
    pub(super) worded: BTreeMap<String, String>,
    /// The stages of the election (issue 11): `log::replay_stages`.
    pub(super) stages: crate::log::replay_stages::Stages,
    /// The box counts of each round (`boxes.rs`).
    pub(super) boxes: super::boxes::Boxes,
    /// Rounds counted by hand and their totals (`totals.rs`).
    pub(super) totals: super::totals::Totals,
    /// The witnesses named, in log order.
    pub(super) witnesses: Vec<NamedWitness>,
    /// The quorum the last `witness_named` that gives one set.
    pub(super) witness_quorum: Option<u64>,
    /// `key_replaced` entries not yet approved: (role, name) → the new key.
    pub(super) pending: BTreeMap<(String, String), PendingReplacement>,
    /// Approved replacements: (approval entry, role, name, approved by).
    pub(super) replacements: Vec<(u64, String, String, String)>,
}

impl<'t> Replay<'t> {
    pub(super) fn new(origin: Option<String>, tree: &'t Tree, known: &'t Verified) -> Replay<'t> {
        Replay {
            origin,
            tree,
            known,
            created_at: None,
            entitled: None,
            present: None,
            method: None,
            registrations: Vec::new(),
            rounds: BTreeMap::new(),
            called_runoffs: BTreeMap::new(),
            assigned: BTreeMap::new(),
            ballots: 0,
            tallies: Vec::new(),
            cosign_claims: Vec::new(),
            announced: Vec::new(),
            logins: BTreeMap::new(),
            readings: BTreeMap::new(),
            worded: BTreeMap::new(),
            stages: Default::default(),
            boxes: super::boxes::Boxes::default(),
            totals: super::totals::Totals::default(),
            witnesses: Vec::new(),
            witness_quorum: None,
            pending: BTreeMap::new(),
            replacements: Vec::new(),
        }
    }

    /// Step 6 for a `ballot_batch`: the service may count a batch only
    /// after two readings of it by two different persons, each (when the
    /// round names its election) a counter or scrutineer assigned to that
    /// election. One person's reading — a counter's entry, a scrutineer's
    /// import — never counts alone.
    pub(super) fn two_readings(&self, round: &str, batch: &str) -> Result<(), String> {
        let key = (round.to_owned(), batch.to_owned());
        let names = self.readings.get(&key).map_or(&[][..], Vec::as_slice);
        let election = self.rounds.get(round).and_then(|s| s.election.as_ref());
        let staff = election.and_then(|e| self.assigned.get(e));
        if let (Some(e), Some(staff)) = (election, staff) {
            if let Some(n) = names.iter().find(|n| {
                !staff.iter().any(|(role, name)| {
                    name == *n && (role == "counter" || is_scrutineer_role(role))
                })
            }) {
                return Err(format!(
                    "ballot_batch of batch {batch}: its reading by {n} does not count, {n} is not a counter or scrutineer of election {e}"
                ));
            }
        }
        let mut distinct: Vec<&str> = names.iter().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 {
            let by = if names.is_empty() {
                "none".to_owned()
            } else {
                distinct.join("、")
            };
            return Err(format!(
                "ballot_batch of batch {batch} without two independent readings (entry_committed by two different persons; readings by: {by}): one reading never counts"
            ));
        }
        Ok(())
    }

    /// A log-in link is revoked: it was issued to `person` and is valid.
    pub(super) fn revoke_login(&mut self, token: &str, person: &str) -> Result<(), String> {
        match self.logins.get_mut(token) {
            None => Err(format!("log-in link {token} was never issued")),
            Some((p, _)) if p != person => Err(format!(
                "log-in link {token} belongs to {p}, not to {person}"
            )),
            Some((_, false)) => Err(format!("log-in link {token} is already revoked")),
            Some((_, valid)) => {
                *valid = false;
                Ok(())
            }
        }
    }

    pub(super) fn registered(&self, role: &str, name: &str) -> Option<&Registration> {
        self.registrations
            .iter()
            .find(|r| r.role == role && r.name == name && r.until.is_none())
    }

    /// Step 8 for `witness_named`: a cosigner vkey named as the event
    /// says, a new witness, before any round opened.
    pub(super) fn name_witness(
        &mut self,
        index: u64,
        name: &str,
        key: &str,
        url: &str,
        quorum: Option<u64>,
        out: &mut Vec<String>,
    ) {
        if let Some(id) = self.rounds.keys().next() {
            out.push(format!(
                "names witness {name} after round {id} opened: the witnesses of a meeting are named before its first round opens"
            ));
            return;
        }
        let key = match VerifierKey::parse(key) {
            Ok(k) if k.sig_type() == SignatureType::CosignatureV1 => k,
            Ok(_) => {
                out.push(format!(
                    "witness {name}: key must be a C2SP cosigner vkey (type 0x04)"
                ));
                return;
            }
            Err(e) => {
                out.push(format!("witness {name}: key {key:?}: {e}"));
                return;
            }
        };
        if key.name().as_str() != name {
            out.push(format!(
                "witness {name}: its key is named {}",
                key.name().as_str()
            ));
            return;
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            out.push(format!(
                "witness {name}: url {url:?} is not an http:// or https:// URL"
            ));
        }
        if let Some(w) = self
            .witnesses
            .iter()
            .find(|w| w.name == name || w.key.public_key() == key.public_key())
        {
            out.push(format!(
                "witness {name} is already named (entry {})",
                w.entry
            ));
            return;
        }
        self.witnesses.push(NamedWitness {
            entry: index,
            name: name.to_owned(),
            key,
            url: url.to_owned(),
        });
        if let Some(q) = quorum {
            if q == 0 || q > self.witnesses.len() as u64 {
                out.push(format!(
                    "witness quorum {q}: between 1 and the {} witnesses named so far",
                    self.witnesses.len()
                ));
            } else {
                self.witness_quorum = Some(q);
            }
        }
    }

    /// Who held which role and key, per election: staff under each
    /// election they were assigned to, everyone else under the meeting.
    pub(super) fn holders(&self) -> Vec<super::KeyHolder> {
        let mut people: Vec<(String, String)> = Vec::new();
        for r in &self.registrations {
            let who = (r.role.clone(), r.name.clone());
            if !people.contains(&who) {
                people.push(who);
            }
        }
        let mut out = Vec::new();
        for (role, name) in people {
            let keys: Vec<super::HeldKey> = self
                .registrations
                .iter()
                .filter(|r| r.role == role && r.name == name)
                .map(|r| super::HeldKey {
                    fingerprint: crate::log::pins::fingerprint(&r.public),
                    from_entry: r.entry,
                    until_entry: r.until,
                    approved_by: self
                        .replacements
                        .iter()
                        .find(|(at, ..)| r.replacement && *at == r.entry)
                        .map(|(_, _, _, by)| by.clone()),
                })
                .collect();
            let elections: Vec<&String> = self
                .assigned
                .iter()
                .filter(|(_, staff)| staff.contains(&(role.clone(), name.clone())))
                .map(|(e, _)| e)
                .collect();
            if elections.is_empty() {
                out.push(super::KeyHolder {
                    election: None,
                    role: role.clone(),
                    name: name.clone(),
                    keys,
                });
            } else {
                for e in elections {
                    out.push(super::KeyHolder {
                        election: Some(e.clone()),
                        role: role.clone(),
                        name: name.clone(),
                        keys: keys.clone(),
                    });
                }
            }
        }
        out.sort_by(|a, b| (&a.election, &a.role, &a.name).cmp(&(&b.election, &b.role, &b.name)));
        out
    }

    /// The entry from which the key `public` signs nothing (its
    /// replacement's approval), if it was replaced. (A round's cosigners
    /// are copies made at its tally; this is the current record.)
    pub(super) fn replaced_at(&self, public: &[u8; 32]) -> Option<u64> {
        self.registrations
            .iter()
            .find(|r| &r.public == public)
            .and_then(|r| r.until)
    }

    /// How many named witnesses must cosign each result checkpoint.
    pub(super) fn witnesses_required(&self) -> usize {
        let n = self.witnesses.len();
        self.witness_quorum
            .map_or(n, |q| usize::try_from(q).unwrap_or(n).min(n))
    }

    /// Step 8 for `key_replaced`: the person holds a key in that role,
    /// and the new key is no one's.
    pub(super) fn replace_key(
        &mut self,
        index: u64,
        role: &str,
        name: &str,
        key: &str,
        parsed: Option<&RegisteredKey>,
        out: &mut Vec<String>,
    ) {
        let (public, cosigner) = match registered_key(parsed, key) {
            Ok(k) => k,
            Err(e) => {
                out.push(e);
                return;
            }
        };
        if self.registered(role, name).is_none() {
            out.push(format!(
                "replaces the key of {role} {name}, who has no key registered"
            ));
            return;
        }
        if let Some(r) = self.registrations.iter().find(|r| r.public == public) {
            out.push(format!(
                "the new key is already registered to {} (entry {})",
                r.name, r.entry
            ));
            return;
        }
        if is_scrutineer_role(role) && cosigner.is_none() {
            out.push(format!(
                "{role} {name}: key must be a C2SP cosigner vkey (type 0x04)"
            ));
            return;
        }
        self.pending.insert(
            (role.to_owned(), name.to_owned()),
            PendingReplacement {
                entry: index,
                key_text: key.to_owned(),
                public,
                cosigner,
            },
        );
    }

    /// Step 8 for `key_replacement_approved`: it names a pending
    /// replacement; from this entry the old key is void and the new one
    /// signs. (Who may approve is step 6: a presidium member other than
    /// the person.)
    pub(super) fn approve_replacement(
        &mut self,
        index: u64,
        role: &str,
        name: &str,
        key: &str,
        by: &str,
        out: &mut Vec<String>,
    ) {
        let who = (role.to_owned(), name.to_owned());
        let Some(p) = self.pending.remove(&who) else {
            out.push(format!(
                "approves a replacement of the key of {role} {name} that no key_replaced entry asks for"
            ));
            return;
        };
        if p.key_text != key {
            out.push(format!(
                "approves key {key} for {role} {name}; the key_replaced entry {} asks for {}",
                p.entry, p.key_text
            ));
            return;
        }
        let Some(old) = self
            .registrations
            .iter_mut()
            .find(|r| r.role == role && r.name == name && r.until.is_none())
        else {
            out.push(format!("{role} {name} has no key to replace"));
            return;
        };
        old.until = Some(index);
        self.registrations.push(Registration {
            entry: index,
            role: role.to_owned(),
            name: name.to_owned(),
            key_text: p.key_text,
            public: p.public,
            cosigner: p.cosigner,
            until: None,
            replacement: true,
        });
        self.replacements
            .push((index, role.to_owned(), name.to_owned(), by.to_owned()));
    }

    /// Step 8: fold one event; the messages are failures of this entry.
    pub(super) fn apply(
        &mut self,
        index: u64,
        event: &Event,
        packed: Option<&Result<super::Plain, EventError>>,
        parsed: Option<&RegisteredKey>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        self.stages.observe(event, self.method.as_ref(), &mut out);
        match event {
            Event::StageMethodAdopted { .. } | Event::StageRecorded { .. } => {}
            Event::MeetingCreated { entitled, .. } => {
                if let Some(first) = self.created_at {
                    out.push(format!(
                        "a second meeting_created (the first is entry {first})"
                    ));
                } else {
                    self.created_at = Some(index);
                    self.entitled = Some(*entitled);
                }
            }
            Event::MethodAdopted {
                preset,
                overrides,
                method,
                ..
            } => match method.validate() {
                Err(e) => out.push(format!("adopted method is not valid: {e}")),
                Ok(()) => {
                    if crate::rules::preset::preset(preset).is_some() {
                        match ElectionMethod::from_preset(preset, overrides) {
                            Err(e) => out.push(format!("preset {preset} with its overrides: {e}")),
                            Ok(m) if m != **method => out.push(format!(
                                "recorded method differs from preset {preset} with its overrides{}",
                                first_difference(&m, method)
                            )),
                            Ok(_) => {}
                        }
                    }
                    self.method = Some((**method).clone());
                }
            },
            Event::KeyRegistered {
                role, name, key, ..
            } => match registered_key(parsed, key) {
                Err(e) => out.push(e),
                Ok((public, cosigner)) => {
                    if let Some(r) = self.registered(role, name) {
                        out.push(format!(
                            "{role} {name} is already registered (entry {})",
                            r.entry
                        ));
                    } else if let Some(r) = self
                        .registrations
                        .iter()
                        .find(|r| r.public == public && r.name != *name)
                    {
                        out.push(format!(
                            "this key is already registered to {} (entry {})",
                            r.name, r.entry
                        ));
                    } else if is_scrutineer_role(role) && cosigner.is_none() {
                        out.push(format!(
                            "{role} {name}: key must be a C2SP cosigner vkey (type 0x04)"
                        ));
                    } else {
                        self.registrations.push(Registration {
                            entry: index,
                            role: role.clone(),
                            name: name.clone(),
                            key_text: key.clone(),
                            public,
                            cosigner,
                            until: None,
                            replacement: false,
                        });
                    }
                }
            },
            Event::WitnessNamed {
                name,
                key,
                url,
                quorum,
                ..
            } => self.name_witness(index, name, key, url, *quorum, &mut out),
            Event::KeyReplaced {
                role, name, key, ..
            } => self.replace_key(index, role, name, key, parsed, &mut out),
            Event::KeyReplacementApproved {
                role,
                name,
                key,
                by,
            } => self.approve_replacement(index, role, name, key, by, &mut out),
            Event::LoginIssued {
                person,
                token,
                replaces,
                ..
            } => {
                for old in replaces {
                    if let Err(e) = self.revoke_login(old, person) {
                        out.push(e);
                    }
                }
                if self.logins.contains_key(token) {
                    out.push(format!("log-in link {token} is issued twice"));
                } else {
                    self.logins.insert(token.clone(), (person.clone(), true));
                }
            }
            Event::LoginRevoked { person, token, .. } => {
                if let Err(e) = self.revoke_login(token, person) {
                    out.push(e);
                }
            }
            Event::AttendanceRecorded { present, .. } => {
                match self.entitled {
                    None => out.push("attendance recorded before meeting_created".into()),
                    Some(e) if *present > e => {
                        out.push(format!("{present} present is more than the {e} entitled"))
                    }
                    Some(_) => {}
                }
                self.present = Some(*present);
            }
            Event::RoundOpened { .. } => self.open_round(index, event, &mut out),
            // Who supervises or counts an election (the service checked it
            // against the candidate lists): its scrutineers certify its
            // rounds.
            Event::StaffAssigned {
                election,
                role,
                name,
                ..
            } => {
                if is_scrutineer_role(role) {
                    let started = self
                        .rounds
                        .iter()
                        .find(|(_, r)| r.election.as_deref() == Some(election.as_str()));
                    if let Some((id, _)) = started {
                        out.push(format!(
                            "assigns {role} {name} to election {election} after its round {id} opened: the scrutineers of an election are fixed when voting begins"
                        ));
                    }
                }
                self.assigned
                    .entry(election.clone())
                    .or_default()
                    .insert((role.clone(), name.clone()));
            }
            Event::EntryCommitted {
                round,
                batch,
                counter,
                digest,
                ..
            } => {
                if let Err(e) = self.open_round_state(round) {
                    out.push(e);
                }
                self.readings
                    .entry((round.clone(), batch.clone()))
                    .or_default()
                    .push(counter.clone());
                if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                    out.push("digest is not 64 hex digits".into());
                }
            }
            Event::BallotBatch {
                round,
                batch,
                ballots,
            } => {
                if self.totals.is_hand(round) {
                    out.push(format!(
                        "ballot_batch in round {round}, which is counted by hand (its counts are totals)"
                    ));
                }
                let n = ballots.len();
                self.ballots = self.ballots.saturating_add(n);
                match self.open_round_state(round) {
                    Err(e) => out.push(e),
                    Ok(state) => {
                        if !state.batches.insert(batch.clone()) {
                            out.push(format!("batch {batch} is logged twice"));
                        } else if let Err(e) = add_batch(state, ballots, packed) {
                            out.push(format!("batch {batch}: {e}"));
                        }
                    }
                }
            }
            Event::DifferenceResolved {
                round, resolution, ..
            } => {
                if !self.rounds.contains_key(round) {
                    out.push(format!("round {round} was never opened"));
                }
                if !matches!(resolution.as_str(), "first" | "second" | "void") {
                    out.push(format!(
                        "resolution {resolution:?}; expected first, second or void"
                    ));
                }
            }
            // A batch discarded before it was reconciled: nothing of it
            // was counted.
            Event::BatchDiscarded { round, batch, .. } => {
                // Its readings are void: the label may be read again.
                self.readings.remove(&(round.clone(), batch.clone()));
                match self.open_round_state(round) {
                    Err(e) => out.push(e),
                    Ok(state) => {
                        if state.batches.contains(batch) {
                            out.push(format!(
                                "batch {batch} is discarded after its ballots were logged"
                            ));
                        }
                    }
                }
            }
            Event::HandCount { round, .. } => match self.open_round_state(round) {
                Err(e) => out.push(e),
                Ok(state) => {
                    let entered = state.ballots > 0 || !state.batches.is_empty();
                    out.extend(self.totals.hand_count(round, entered).err());
                }
            },
            Event::TotalsCounted { round, totals } => {
                self.readings
                    .remove(&(round.clone(), event::TOTALS_BATCH.to_string()));
                let n = totals.ballots();
                self.ballots = self.ballots.saturating_add(n);
                match self.open_round_state(round) {
                    Err(e) => out.push(e),
                    Ok(state) => {
                        state.ballots = state.ballots.saturating_add(n);
                        let (method, facts) = (state.method.clone(), state.round.clone());
                        out.extend(self.totals.counted(&method, &facts, round, totals).err());
                    }
                }
            }
            Event::BoxCounted {
                round,
                returned,
                by,
            } => match self.open_round_state(round) {
                Err(e) => out.push(e),
                Ok(_) => {
                    let staff = (self.rounds.get(round))
                        .and_then(|s| s.election.as_ref())
                        .and_then(|e| self.assigned.get(e));
                    out.extend(
                        self.boxes
                            .counted(round, by.as_deref(), *returned, staff)
                            .err(),
                    )
                }
            },
            Event::RoundClosed {
                round,
                returned,
                replaced,
                voted,
                ..
            } => {
                out.extend(self.boxes.closed(round, *returned).err());
                match self.open_round_state(round) {
                    Err(e) => out.push(e),
                    Ok(state) => {
                        state.closed = Some(index);
                        state.round.returned = Some(*returned);
                        state.round.replaced = replaced.unwrap_or(0);
                        state.round.voted = *voted;
                        self.stages.check_close(round, &mut out);
                    }
                }
            }
            Event::TallyPublished { round, record } => self.tally(index, round, record, &mut out),
            Event::PresidiumDecision {
                round,
                decision: Decision::ProceedWithout { without, .. },
                ..
            } => match self.open_round_state(round) {
                Err(e) => out.push(format!("proceed_without: {e}")),
                Ok(state) => {
                    for name in without {
                        if !state.excused.insert(name.clone()) {
                            out.push(format!("{name} was already excused from round {round}"));
                        }
                    }
                }
            },
            Event::PresidiumDecision {
                round, decision, ..
            } => match self.rounds.get(round) {
                None => out.push(format!("round {round} was never opened")),
                Some(state) => {
                    if state.tallied.is_none() {
                        out.push(format!("decision on round {round} before its tally"));
                    }
                    out.extend(consent::check(
                        &state.method,
                        decision,
                        self.entitled,
                        self.present,
                    ));
                    if let Decision::CallRunoff {
                        round: next,
                        among,
                        seats,
                    } = decision
                    {
                        match &state.runoff {
                                Some(r) if same_names(&r.among, among) && r.seats == *seats => {}
                                Some(r) => out.push(format!(
                                    "runoff called among {} for {seats} seats; the tally requires a runoff among {} for {} seats",
                                    among.join("、"),
                                    r.among.join("、"),
                                    r.seats
                                )),
                                None => out.push(format!(
                                    "runoff called but the tally of round {round} requires none"
                                )),
                            }
                        // The runoff keeps the rule of the round it resolves
                        // (RULES §2): the calling round's, or what it resolves.
                        let resolves = match state.round.kind {
                            crate::rules::RoundKind::Runoff => state.round.resolves,
                            k => crate::rules::RoundKind::resolved_by_runoff(k),
                        };
                        self.called_runoffs
                            .insert(next.clone(), (among.clone(), *seats, resolves));
                    }
                    if *decision == Decision::Announce {
                        self.announced.push((index, round.clone()));
                    }
                }
            },
            Event::ResultCosigned {
                round,
                scrutineer,
                checkpoint_size,
                signature,
            } => match self.check_result_cosigned(round, scrutineer, *checkpoint_size, signature) {
                Err(e) => out.push(e),
                Ok(Some(line)) => {
                    if let Some(state) = self.rounds.get_mut(round) {
                        state.cosigned_by.insert(scrutineer.clone(), index);
                    }
                    self.cosign_claims.push(CosignClaim {
                        entry: index,
                        round: round.clone(),
                        scrutineer: scrutineer.clone(),
                        size: *checkpoint_size,
                        line,
                    });
                }
                Ok(None) => {}
            },
        }
        out
    }

    pub(super) fn open_round(&mut self, index: u64, event: &Event, out: &mut Vec<String>) {
        let Event::RoundOpened {
            round: id,
            kind,
            election,
            ..
        } = event
        else {
            return;
        };
        if let Some(s) = self.rounds.get(id) {
            out.push(format!(
                "round {id} was already opened at entry {}",
                s.opened_at
            ));
            return;
        }
        let Some(method) = self.method.clone().map(|m| self.stages.method_for(id, m)) else {
            out.push("round opened before any election method was adopted".into());
            return;
        };
        let Some(round) = event::round_of(event, None).map(|r| self.stages.with_facts(id, r))
        else {
            return;
        };
        if let Err(e) = round.validate() {
            out.push(format!("round facts are contradictory: {e}"));
            return;
        }
        self.stages.check_open(id, &round, &method, out);
        let own = self.stages.own_electorate(id);
        match self.entitled {
            None => out.push("round opened before meeting_created".into()),
            Some(e) if e != round.entitled && !own => out.push(format!(
                "round says {} entitled; the meeting has {e}",
                round.entitled
            )),
            Some(_) => {}
        }
        match self.present {
            None => out.push("round opened before any attendance was recorded".into()),
            Some(p) if p != round.present && !own => out.push(format!(
                "round says {} present; the last attendance recorded is {p}",
                round.present
            )),
            Some(_) => {}
        }
        if let Some((_, _, resolves)) = self.called_runoffs.get(id) {
            if *resolves != round.resolves {
                let name = |k: &Option<crate::rules::RoundKind>| k.map_or("formal", |k| k.as_str());
                out.push(format!(
                    "round {id} resolves a tie of a {} round; it opened as resolving a {} round",
                    name(resolves),
                    name(&round.resolves)
                ));
            }
        }
        if let Some((among, seats, _)) = self.called_runoffs.get(id) {
            if *kind != crate::rules::RoundKind::Runoff
                || !same_names(among, &round.candidates)
                || *seats != round.seats
            {
                out.push(format!(
                    "the presidium called round {id} as a runoff among {} for {seats} seats; it opened as {} among {} for {} seats",
                    among.join("、"),
                    kind.as_str(),
                    round.candidates.join("、"),
                    round.seats
                ));
            }
        }
        let limit = round
            .selection_limit(&method)
            .map_or(u32::MAX, |l| u32::try_from(l).unwrap_or(u32::MAX));
        let lines = round.candidates.len();
        self.rounds.insert(
            id.clone(),
            RoundState {
                opened_at: index,
                method,
                limit,
                plain: count::Tally {
                    for_votes: vec![0; lines],
                    against: vec![0; lines],
                    abstain: vec![0; lines],
                    valid: 0,
                    invalid: 0,
                },
                special: Vec::new(),
                ballots: 0,
                batches: BTreeSet::new(),
                closed: None,
                tallied: None,
                runoff: None,
                election: election.clone(),
                cosigners: Vec::new(),
                cosigned_by: BTreeMap::new(),
                excused: BTreeSet::new(),
                round,
            },
        );
    }

    /// A round that is open and not yet closed.
    pub(super) fn open_round_state(&mut self, id: &str) -> Result<&mut RoundState, String> {
        match self.rounds.get_mut(id) {
            None => Err(format!("round {id} was never opened")),
            Some(s) => match s.closed {
                Some(at) => Err(format!("round {id} was closed at entry {at}")),
                None => Ok(s),
            },
        }
    }

    /// The registered scrutineers with a cosigner key, as of now: those
    /// assigned to `election` when the round names one.
    /// A key that replaced a lost one counts only for rounds that close
    /// after the replacement (`closed`: the round's `round_closed` entry).
    pub(super) fn cosigners_of(
        &self,
        election: Option<&str>,
        closed: Option<u64>,
    ) -> Vec<Registration> {
        let assigned = |name: &str| match election {
            None => true,
            Some(e) => self.assigned.get(e).is_some_and(|staff| {
                staff
                    .iter()
                    .any(|(role, n)| is_scrutineer_role(role) && n == name)
            }),
        };
        self.registrations
            .iter()
            .filter(|r| {
                is_scrutineer_role(&r.role)
                    && r.cosigner.is_some()
                    && r.until.is_none()
                    && assigned(&r.name)
                    && closed.is_none_or(|c| r.entry < c)
            })
            .cloned()
            .collect()
    }

    /// The scrutineers assigned to `election` with no cosigner key, as of
    /// now, by name.
    pub(super) fn keyless_scrutineers(&self, election: &str) -> Vec<String> {
        let Some(staff) = self.assigned.get(election) else {
            return Vec::new();
        };
        staff
            .iter()
            .filter(|(role, _)| is_scrutineer_role(role))
            .filter(|(_, name)| {
                !self
                    .registrations
                    .iter()
                    .any(|r| is_scrutineer_role(&r.role) && r.cosigner.is_some() && r.name == *name)
            })
            .map(|(_, name)| name.clone())
            .collect()
    }

    pub(super) fn tally(
        &mut self,
        index: u64,
        id: &str,
        published: &TallyRecord,
        out: &mut Vec<String>,
    ) {
        let election = self.rounds.get(id).and_then(|s| s.election.clone());
        let closed = self.rounds.get(id).and_then(|s| s.closed);
        let cosigners = self.cosigners_of(election.as_deref(), closed);
        // Every assigned scrutineer is in n unless a decision excused them.
        if let (Some(e), Some(state)) = (election.as_deref(), self.rounds.get(id)) {
            for name in self.keyless_scrutineers(e) {
                if !state.excused.contains(&name) {
                    out.push(format!(
                        "round {id} closed while its scrutineer {name} had no key and no proceed_without decision excused them"
                    ));
                }
            }
        }
        let Some(state) = self.rounds.get_mut(id) else {
            out.push(format!("round {id} was never opened"));
            return;
        };
        if state.closed.is_none() {
            out.push(format!(
                "tally of round {id} published before the round closed"
            ));
            return;
        }
        if let Some(at) = state.tallied {
            out.push(format!("round {id} was already tallied at entry {at}"));
            return;
        }
        state.tallied = Some(index);
        let certification = Certification {
            checkpoint: index + 1,
            root: None,
            required: usize::try_from(state.method.cosignatures_required(cosigners.len() as u64))
                .unwrap_or(usize::MAX),
            cosigners: cosigners.iter().map(|r| r.name.clone()).collect(),
            cosigned: Vec::new(),
            witnesses_required: 0,
            witnessed: Vec::new(),
        };
        state.cosigners = cosigners;
        let round = &state.round;
        let method = &state.method;
        let given = state.ballots;
        let combined = self.stages.combined_counts(id, round.candidates.len());
        if let Some(returned) = round.returned.filter(|_| combined.is_none()) {
            // Ballots of a round that is not counted (no quorum, a void
            // box) are kept uncounted, however many were entered.
            if given != returned && round.is_counted(method, returned) {
                out.push(format!(
                    "{given} ballots logged but {returned} returned; expected one ballot per returned paper"
                ));
            }
        }
        let hand = self.totals.counts(id, round.candidates.len());
        let counts = match (combined, hand) {
            (Some(c), _) if given == 0 => c,
            (_, Some(c)) => c,
            _ => combine(method, round, &state.plain, &state.special),
        };
        let result = crate::rules::evaluate_counts(method, round, counts);
        state.runoff = result.runoff.clone();
        let replayed = record::record(method, round, &result);
        // Structural equality of the parsed records is equality of their
        // canonical bytes (`record::canonical`): one encoding per record.
        let same = *published == replayed;
        if !same {
            let (en, zh) = describe_differences(published, &replayed);
            self.worded.insert(en.clone(), zh);
            out.push(en);
        }
        self.tallies.push(TallyCheck {
            round: id.to_owned(),
            entry: index,
            status: result.status.as_str().to_owned(),
            elected: result.elected.clone(),
            matches: same,
            certification,
        });
    }

    /// A `result_cosigned` event: the signature line it records, if it
    /// verifies (`None` when there is no origin to check it against).
    pub(super) fn check_result_cosigned(
        &self,
        round: &str,
        scrutineer: &str,
        size: u64,
        signature: &str,
    ) -> Result<Option<NoteSignature>, String> {
        let state = self
            .rounds
            .get(round)
            .ok_or_else(|| format!("round {round} was never opened"))?;
        let tallied = state
            .tallied
            .ok_or_else(|| format!("round {round} has no published tally to cosign"))?;
        if size != tallied + 1 {
            return Err(format!(
                "cosigns the checkpoint of size {size}; the result checkpoint of round {round} is the one of size {}, which ends with its tally",
                tallied + 1
            ));
        }
        let Some(key) = state
            .cosigners
            .iter()
            .find(|r| r.name == scrutineer)
            .and_then(|r| r.cosigner.as_ref())
        else {
            let registered = self
                .registrations
                .iter()
                .any(|r| is_scrutineer_role(&r.role) && r.name == scrutineer);
            return Err(if registered {
                format!("{scrutineer} is not among the cosigners of round {round} (scrutineers with a key when it was tallied, assigned to its election)")
            } else {
                format!("{scrutineer} is not a registered scrutineer")
            });
        };
        if let Some((u, r)) = state
            .cosigners
            .iter()
            .find(|r| r.name == scrutineer)
            .and_then(|r| self.replaced_at(&r.public).map(|u| (u, r)))
        {
            let closed = state
                .closed
                .map_or(String::new(), |c| format!(" at entry {c}"));
            return Err(format!(
                "{} {scrutineer}'s key was replaced at entry {u}; round {round} closed{closed}, before the replacement, and only the old key could cosign it, before entry {u}",
                r.role
            ));
        }
        if let Some(at) = state.cosigned_by.get(scrutineer) {
            return Err(format!(
                "{scrutineer} already cosigned round {round} at entry {at}"
            ));
        }
        let line = bundle::cosignature_line(key, signature).ok_or_else(|| {
            format!(
                "signature is not base64 of a key ID of {}, a timestamp and a signature",
                key.label()
            )
        })?;
        let Some(origin) = &self.origin else {
            return Ok(None);
        };
        let root = self
            .tree
            .root_at(TreeSize(size))
            .map_err(|e| e.to_string())?;
        let checkpoint =
            Checkpoint::new(origin, TreeSize(size), root).map_err(|e| e.to_string())?;
        verify_cosignature_known(&checkpoint.body(), key, &line, self.known).map_err(
            |e| match e {
                CosignatureError::BadSignature { key } => {
                    format!(
                        "cosignature by {key} does not verify over the checkpoint of size {size}"
                    )
                }
                other => other.to_string(),
            },
        )?;
        Ok(Some(line))
    }
}

fn same_names(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

/// The first four bytes of a key in hex, as the messages show it.
pub(super) fn hex8(bytes: &[u8; 32]) -> impl std::fmt::Display + '_ {
    // Written only when a message shows it (nothing is made for the
    // entries that pass).
    struct Hex8<'a>(&'a [u8; 32]);
    impl std::fmt::Display for Hex8<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0[..4].iter().try_for_each(|b| write!(f, "{b:02x}"))
        }
    }
    Hex8(bytes)
}

/// The plain ballots in order (each ballot's words compared as a
/// sequence), so the order of entry does not survive.
pub(super) fn plain_sorted(packed: &PackedBallots) -> bool {
    let words = packed.words();
    let wpb = packed.words_per_ballot();
    if wpb == 1 {
        words.windows(2).all(|w| w[0] <= w[1])
    } else {
        words
            .chunks_exact(wpb)
            .zip(words.chunks_exact(wpb).skip(1))
            .all(|(a, b)| a <= b)
    }
}

/// Counts one batch into its round: plain ballots with the packed kernel,
/// the rest kept for the reference counter.
fn add_batch(
    state: &mut RoundState,
    b: &BatchBallots,
    packed: Option<&Result<super::Plain, EventError>>,
) -> Result<(), String> {
    let lines = state.round.candidates.len();
    if b.lines != lines as u64 {
        return Err(format!(
            "ballots have {} lines; the round has {lines} candidates",
            b.lines
        ));
    }
    if b.plain_count > 0 {
        let decoded;
        let plain = match packed {
            Some(Ok(p)) => p,
            Some(Err(e)) => return Err(e.to_string()),
            None => {
                decoded = super::Plain::new(b.packed().map_err(|e| e.to_string())?);
                &decoded
            }
        };
        // Sorted, so the order of entry does not survive.
        if !plain.sorted {
            return Err("plain ballots are not sorted".into());
        }
        let packed = &plain.ballots;
        if let Some(r) = &state.round.rating {
            crate::log::replay_stages::check_rated_plain(r, packed)?;
        }
        // Counted in the map with no limit: the same tally when no ballot
        // has more selections than the round's limit.
        let counted;
        let t = match &plain.unlimited {
            Some((most, t)) if *most <= state.limit => t,
            _ => {
                counted = count::tally(packed, state.limit);
                &counted
            }
        };
        let acc = &mut state.plain;
        for (a, x) in acc.for_votes.iter_mut().zip(&t.for_votes) {
            *a += x;
        }
        for (a, x) in acc.against.iter_mut().zip(&t.against) {
            *a += x;
        }
        for (a, x) in acc.abstain.iter_mut().zip(&t.abstain) {
            *a += x;
        }
        acc.valid += t.valid;
        acc.invalid += t.invalid;
    } else if !b.plain.is_empty() {
        return Err("plain data given for no plain ballots".into());
    }
    if !b.special.windows(2).all(|w| w[0] <= w[1]) {
        return Err("special ballots are not sorted".into());
    }
    let nomination = state.round.kind == crate::rules::RoundKind::Nomination;
    for s in &b.special {
        // The same reader as the entry path: free names count only in a
        // nomination round (`rules::tally::read_ballot`).
        let ballot = s.to_ballot(lines)?;
        if let (Some(r), Ballot::Marked { marks, .. }) = (&state.round.rating, &ballot) {
            r.check_marks(marks)?;
        }
        if matches!(&ballot, Ballot::Marked { names, .. } if !names.is_empty()) && !nomination {
            return Err(format!(
                "free names in a {} round; {}",
                state.round.kind.as_str(),
                crate::rules::ballot::NAMES_ONLY_NOMINATION
            ));
        }
        state.special.push(ballot);
    }
    state.ballots = state.ballots.saturating_add(b.len());
    Ok(())
}

/// The counts of a round: the kernel's plain counts plus the reference
/// counter over the special ballots. Counting is additive per ballot, so
/// this equals the reference counter over all ballots (plain ballots carry
/// no write-in and no illegible mark; one is invalid only for too many
/// selections).
fn combine(
    method: &ElectionMethod,
    round: &Round,
    plain: &count::Tally,
    special: &[Ballot],
) -> Counts {
    let mut c = crate::rules::tally::count(method, round, special);
    c.valid += plain.valid;
    c.invalid += plain.invalid;
    if plain.invalid > 0 {
        *c.invalid_by_reason
            .entry(InvalidReason::Overvote)
            .or_default() += plain.invalid;
    }
    for (i, line) in c.lines.iter_mut().enumerate() {
        let add = LineCount {
            for_votes: plain.for_votes.get(i).copied().unwrap_or(0),
            against: plain.against.get(i).copied().unwrap_or(0),
            abstain: plain.abstain.get(i).copied().unwrap_or(0),
        };
        line.for_votes += add.for_votes;
        line.against += add.against;
        line.abstain += add.abstain;
    }
    c
}
