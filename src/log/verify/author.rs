//! Steps 6 and 7 of the verifier, entry by entry: the entry's signature
//! and its author (who may make which entry, under which registered key,
//! in whose name), its payload a canonical event of its kind; then the
//! replay of step 8 is fed in log order.

use super::files::check_keys_file;
use super::replay::{hex8, registered_key, Replay};
use super::{EntryCheck, Keys, Recorder, RegisteredKey, Step};
use crate::log::entry::{AuthorRole, EntryHead, EntryKind};
use crate::log::event::Event;
use crate::log::merkle::Tree;
use crate::log::note::VerifierKey;
use crate::log::sigbatch::Verified;

/// Steps 6, 7 and 8: entry signatures and authors, events, replay.
pub(super) fn steps_entries<'t>(
    rec: &mut Recorder,
    checks: &[EntryCheck],
    keys: &Keys,
    tree: &'t Tree,
    known: &'t Verified,
) -> Replay<'t> {
    let (origin, log_key, keys_file) = (&keys.origin, &keys.log_key, &keys.keys_file);
    let mut replay = Replay::new(origin.clone(), tree, known);
    for (i, check) in checks.iter().enumerate() {
        let index = i as u64;
        let entry = match &check.entry {
            Ok(e) => e,
            Err(e) => {
                rec.entry(Step::EntrySignatures, index, None, e.to_string());
                continue;
            }
        };
        if let Err(e) = &check.signature {
            rec.entry(Step::EntrySignatures, index, None, e.to_string());
        }
        let event = match &check.event {
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                rec.entry(
                    Step::Events,
                    index,
                    None,
                    format!("{} payload: {e}", entry.kind()),
                );
                continue;
            }
            None => continue,
        };
        let round = event.round().map(str::to_owned);
        if let Some(expected) = kind_mismatch(entry.kind(), event) {
            rec.entry(
                Step::Events,
                index,
                round.as_deref(),
                format!(
                    "entry kind is {} but its payload is recorded with kind {expected}",
                    entry.kind()
                ),
            );
        }
        if check.signature.is_ok() {
            if let Err(msg) =
                replay.check_author(entry, event, check.key.as_ref(), log_key.as_ref())
            {
                rec.entry(Step::EntrySignatures, index, round.as_deref(), msg);
            }
        }
        for msg in replay.apply(index, event, check.packed.as_ref(), check.key.as_ref()) {
            let zh = replay.worded.remove(&msg);
            rec.entry(Step::Replay, index, round.as_deref(), msg);
            if let (Some(zh), Some((failures, _))) = (zh, rec.failures.get_mut(&Step::Replay)) {
                if let Some(last) = failures.last_mut().filter(|f| f.entry == Some(index)) {
                    last.zh = Some(zh);
                }
            }
        }
    }
    if let Some(keys) = &keys_file {
        check_keys_file(rec, keys, &replay.registrations);
    }

    replay
}

fn kind_mismatch(kind: EntryKind, event: &Event) -> Option<EntryKind> {
    let expected = event.entry_kind();
    (kind != expected).then_some(expected)
}

/// The author role of a role a key is registered for.
fn author_role_of(registered: &str) -> Option<AuthorRole> {
    Some(match registered {
        "organiser" | "clerk" => AuthorRole::Clerk,
        "counter" => AuthorRole::Counter,
        "scrutineer" => AuthorRole::Scrutineer,
        "chief_scrutineer" => AuthorRole::ChiefScrutineer,
        "presidium" => AuthorRole::Presidium,
        "chair" => AuthorRole::Chair,
        _ => return None,
    })
}

/// The kinds the service makes itself, unsigned (docs/audit-bundle.md
/// §3, "who makes which entry").
fn service_may_make(event: &Event) -> bool {
    matches!(
        event,
        Event::MeetingCreated { .. }
            | Event::BallotBatch { .. }
            | Event::TotalsCounted { .. }
            | Event::TallyPublished { .. }
            | Event::LoginIssued { by: None, .. }
    )
}

/// The kinds a person may make in `role` (and sign), besides registering
/// their own key.
fn person_may_make(role: AuthorRole, event: &Event) -> bool {
    match role {
        AuthorRole::Service => false,
        AuthorRole::Clerk => matches!(
            event,
            Event::MethodAdopted { .. }
                | Event::AttendanceRecorded { .. }
                | Event::RoundOpened { .. }
                | Event::HandCount { .. }
                | Event::StaffAssigned { .. }
                | Event::LoginIssued { .. }
                | Event::LoginRevoked { .. }
                | Event::WitnessNamed { .. }
                | Event::StageMethodAdopted { .. }
                | Event::StageRecorded { .. }
                // A round opened without quorum is closed at once, with
                // nothing returned, by the one who opened it.
                | Event::RoundClosed { returned: 0, .. }
        ),
        AuthorRole::Counter => matches!(event, Event::EntryCommitted { .. }),
        AuthorRole::Scrutineer | AuthorRole::ChiefScrutineer => matches!(
            event,
            // Not `ballot_batch`: ballots count only through two readings
            // the service reconciles (`two_readings`).
            Event::EntryCommitted { .. }
                | Event::DifferenceResolved { .. }
                | Event::BatchDiscarded { .. }
                | Event::BoxCounted { .. }
                | Event::RoundClosed { .. }
                | Event::ResultCosigned { .. }
        ),
        AuthorRole::Presidium | AuthorRole::Chair => matches!(
            event,
            Event::PresidiumDecision { .. } | Event::KeyReplacementApproved { .. }
        ),
    }
}

/// The `by` an event names, if it has one.
fn acted_by(event: &Event) -> Option<&str> {
    match event {
        Event::MethodAdopted { by, .. }
        | Event::AttendanceRecorded { by, .. }
        | Event::RoundOpened { by, .. }
        | Event::DifferenceResolved { by, .. }
        | Event::BatchDiscarded { by, .. }
        | Event::BoxCounted { by, .. }
        | Event::HandCount { by, .. }
        | Event::RoundClosed { by, .. }
        | Event::PresidiumDecision { by, .. }
        | Event::LoginIssued { by, .. }
        | Event::LoginRevoked { by, .. }
        | Event::WitnessNamed { by, .. }
        | Event::StageMethodAdopted { by, .. }
        | Event::StageRecorded { by, .. } => by.as_deref(),
        Event::KeyReplacementApproved { by, .. } => Some(by),
        _ => None,
    }
}

impl Replay<'_> {
    /// Step 6: the author may make this entry (bundle version 2): the
    /// service only its own kinds, under the log key; a person only the
    /// kinds of their role, under the key they registered, and in their
    /// own name; a key only in an entry signed by itself.
    pub(super) fn check_author(
        &self,
        entry: &EntryHead,
        event: &Event,
        parsed: Option<&RegisteredKey>,
        log_key: Option<&VerifierKey>,
    ) -> Result<(), String> {
        let author = entry.author();
        let short = hex8(author);
        let kind = entry.kind();
        let role = entry.role();
        if role == AuthorRole::Service {
            if log_key.is_some_and(|k| k.public_key().as_bytes() != author) {
                return Err(format!(
                    "a service entry names key {short}…, which is not the log key"
                ));
            }
            if !service_may_make(event) {
                return Err(format!(
                    "{kind} is made by the service, unsigned; it must be signed by the person who acted"
                ));
            }
            if let Event::BallotBatch { round, batch, .. } = event {
                return self.two_readings(round, batch);
            }
            if let Event::TotalsCounted { round, .. } = event {
                return self.two_readings(round, crate::log::event::TOTALS_BATCH);
            }
            return Ok(());
        }
        if let Event::KeyRegistered {
            role: registered,
            name,
            key,
            ..
        }
        | Event::KeyReplaced {
            role: registered,
            name,
            key,
            ..
        } = event
        {
            let (public, _) = registered_key(parsed, key)?;
            if &public != author {
                return Err(format!(
                    "registers a key for {name} but is signed by key {short}…, not by the key it registers (no proof that {name} holds it)"
                ));
            }
            if author_role_of(registered) != Some(role) {
                return Err(format!(
                    "registers a {registered} key in an entry signed as {}",
                    role.name()
                ));
            }
            return Ok(());
        }
        let Some(reg) = self
            .registrations
            .iter()
            .find(|r| &r.public == author && author_role_of(&r.role) == Some(role))
        else {
            return Err(format!(
                "signed as {} by key {short}…, which is not registered for that role before this entry",
                role.name()
            ));
        };
        if let Some(at) = reg.until {
            return Err(format!(
                "signed by key {short}… of {}, which was replaced at entry {at} (a lost device): it signs nothing after that",
                reg.name
            ));
        }
        if !person_may_make(role, event) {
            return Err(format!("{} {} may not make {kind}", role.name(), reg.name));
        }
        if let Event::KeyReplacementApproved { name, .. } = event {
            if *name == reg.name {
                return Err(format!(
                    "{name} approves the replacement of their own key: another member of the presidium must approve it"
                ));
            }
        }
        let named = match event {
            Event::EntryCommitted { counter, .. } => Some(counter.as_str()),
            Event::ResultCosigned { scrutineer, .. } => Some(scrutineer.as_str()),
            other => acted_by(other),
        };
        if let Some(name) = named {
            if name != reg.name {
                return Err(format!(
                    "names {name} but is signed by key {short}… of {}",
                    reg.name
                ));
            }
        }
        Ok(())
    }
}
