//! The verifier's replay of the stages of an election (issue 11, RULES
//! §9; docs/audit-bundle.md §6, "Stages"). PURE.
//!
//! `log::verify` folds every event through [`Stages::observe`] before its
//! own replay, and asks this module at four points: which method a round
//! is decided under ([`Stages::method_for`]: a stage method adopted for it,
//! or inherited from the round whose decision called it); whether a round
//! has its own electorate, so that its `round_opened` need not carry the
//! meeting's entitled and present ([`Stages::own_electorate`]); the checks
//! of a round's procedure facts when it opens and closes
//! ([`Stages::check_open`], [`Stages::check_close`]); and the counts of a
//! combined round, which are the sums of its groups' signed counts
//! ([`Stages::combined_counts`]).

use std::collections::BTreeMap;

use crate::log::event::{self, Decision, Event};
use crate::log::record::{self, TallyRecord};
use crate::log::stage::StageFacts;
use crate::rules::groups::OrganisationNominees;
use crate::rules::outcome::Status;
use crate::rules::record::EarlierResult;
use crate::rules::stage::NextRule;
use crate::rules::tally::Counts;
use crate::rules::{ElectionMethod, Round, RoundKind};

/// What the stages of the log say, folded in log order.
#[derive(Debug, Default)]
pub struct Stages {
    /// Round → its stage method.
    methods: BTreeMap<String, ElectionMethod>,
    facts: BTreeMap<String, StageFacts>,
    /// Opened rounds' facts, with what their close recorded.
    rounds: BTreeMap<String, Round>,
    elections: BTreeMap<String, String>,
    records: BTreeMap<String, TallyRecord>,
    /// Election (or `round {id}` for a round of none) → the list the
    /// presidium accepted (as reviewed).
    accepted: BTreeMap<String, Vec<String>>,
    /// Rounds whose list the presidium accepted.
    accepted_from: BTreeMap<String, ()>,
    /// Round → the round its `rerun` decision created.
    reruns: BTreeMap<String, String>,
    /// Combined round → the group rounds it counted when it opened: for
    /// each round it names, the latest re-run (`log::stage::rerun_chain`).
    counted: BTreeMap<String, Vec<String>>,
}

impl Stages {
    /// Fold one event; the messages are failures of its entry. `base` is
    /// the meeting's adopted method so far.
    pub fn observe(&mut self, event: &Event, base: Option<&ElectionMethod>, out: &mut Vec<String>) {
        match event {
            Event::StageMethodAdopted {
                round,
                overrides,
                method,
                ..
            } => {
                let Some(base) = base else {
                    out.push("a stage method adopted before the meeting's method".into());
                    return;
                };
                if self.rounds.contains_key(round) {
                    out.push(format!(
                        "stage method of round {round} adopted after the round opened"
                    ));
                } else if self.methods.contains_key(round) {
                    out.push(format!("round {round} already adopted a stage method"));
                }
                match crate::rules::stage_method::stage_method(base, overrides) {
                    Err(e) => out.push(format!("stage method of round {round}: {e}")),
                    Ok(m) if m != **method => out.push(format!(
                        "stage method of round {round} differs from the meeting's method with its overrides"
                    )),
                    Ok(m) => {
                        self.methods.insert(round.clone(), m);
                    }
                }
            }
            Event::StageRecorded { round, facts, .. } => {
                if self.rounds.contains_key(round) {
                    out.push(format!(
                        "stage facts of round {round} recorded after the round opened"
                    ));
                } else if self.facts.contains_key(round) {
                    out.push(format!("stage facts of round {round} recorded twice"));
                } else {
                    if let Some(g) = &facts.group {
                        if self.counted.contains_key(&g.of) {
                            out.push(format!(
                                "group round {round} of combined round {} recorded after its combination opened",
                                g.of
                            ));
                        }
                    }
                    self.facts.insert(round.clone(), (**facts).clone());
                }
            }
            Event::RoundOpened {
                round, election, ..
            } => {
                if let Some(r) = event::round_of(event, None) {
                    self.rounds.entry(round.clone()).or_insert(r);
                }
                if let Some(e) = election {
                    self.elections.insert(round.clone(), e.clone());
                }
            }
            Event::RoundClosed {
                round,
                returned,
                replaced,
                voted,
                ..
            } => {
                if let Some(r) = self.rounds.get_mut(round) {
                    r.returned = Some(*returned);
                    r.replaced = replaced.unwrap_or(0);
                    r.voted = *voted;
                }
            }
            Event::TallyPublished { round, record } => {
                self.records
                    .entry(round.clone())
                    .or_insert_with(|| (**record).clone());
            }
            Event::PresidiumDecision {
                round, decision, ..
            } => self.decision(round, decision, out),
            _ => {}
        }
    }

    fn decision(&mut self, round: &str, decision: &Decision, out: &mut Vec<String>) {
        // A round of no election (an older log) keeps its accepted list
        // under its own id, so that its review is still checked.
        let election = self
            .elections
            .get(round)
            .cloned()
            .unwrap_or_else(|| format!("round {round}"));
        match decision {
            Decision::CallRunoff { round: next, .. }
            | Decision::CallSupplementary { round: next, .. }
            | Decision::Rerun { round: next } => {
                // A round a decision calls keeps its round's stage method.
                if let Some(m) = self.methods.get(round).cloned() {
                    self.methods.insert(next.clone(), m);
                }
                if let Decision::Rerun { round: next } = decision {
                    self.rerun(round, next, out);
                }
            }
            Decision::AcceptList { list } => {
                self.accepted_from.insert(round.to_owned(), ());
                self.accepted.insert(election, list.clone());
            }
            Decision::Review { decisions, list } => {
                if !self.accepted_from.contains_key(round) {
                    out.push(format!(
                        "qualification review of round {round} before its list was accepted"
                    ));
                    return;
                }
                let e = election;
                let accepted = self.accepted.get(&e).cloned().unwrap_or_default();
                match crate::rules::review::amend(&accepted, decisions) {
                    Err(err) => out.push(format!("qualification review: {err}")),
                    Ok(a) if a.list != *list => out.push(format!(
                        "qualification review records the list {}; its decisions applied to the accepted list give {}",
                        list.join("、"),
                        a.list.join("、")
                    )),
                    Ok(_) => {
                        self.accepted.insert(e, list.clone());
                    }
                }
                for d in decisions {
                    if d.reason.trim().is_empty() {
                        out.push(format!(
                            "qualification review of {} records no reason",
                            d.name
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    /// A `rerun` decision on `round` creating `next`. A group round is
    /// re-held only when it was not held (`no_quorum`, `void`, `list_rejected`), once: its
    /// re-run then stands in its place in the combination.
    fn rerun(&mut self, round: &str, next: &str, out: &mut Vec<String>) {
        if self.reruns.contains_key(round) {
            out.push(format!("round {round} is re-run twice"));
            return;
        }
        let group = self.facts.get(round).and_then(|f| f.group.as_ref());
        if let (Some(g), Some(rec)) = (group, self.records.get(round)) {
            if !matches!(
                rec.status,
                Status::NoQuorum | Status::Void | Status::ListRejected
            ) {
                out.push(format!(
                    "group round {round} ({}) is re-run, but it was held ({}): its result stands in its combination",
                    g.name,
                    rec.status.as_str()
                ));
            }
        }
        self.reruns.insert(round.to_string(), next.to_string());
    }

    /// Group round `named` followed through its re-runs: the chain, the
    /// round in force last (`log::stage::rerun_chain`, the service's rule).
    fn chain(&self, named: &str) -> Vec<String> {
        let chain: Result<Vec<String>, std::convert::Infallible> =
            crate::log::stage::rerun_chain(named, |r| Ok(self.reruns.get(r).cloned()));
        chain.unwrap_or_else(|e| match e {})
    }

    /// The group rounds combined round `id` counts, each the latest re-run
    /// of a round it names, checked: every round of a chain is a round of
    /// that group of `id`, the one in force tallied and held; every group
    /// round of `id` is on a chain (none skipped).
    fn check_groups(
        &self,
        id: &str,
        c: &crate::log::stage::Combined,
        round: &Round,
        out: &mut Vec<String>,
    ) -> Vec<String> {
        let mut counted = Vec::new();
        let mut on_chains: Vec<String> = Vec::new();
        for g in &c.groups {
            let of = self.facts.get(g).and_then(|gf| gf.group.as_ref());
            let Some(of) = of.filter(|x| x.of == id) else {
                out.push(format!(
                    "combined round {id} names {g}, which is not one of its groups"
                ));
                continue;
            };
            let chain = self.chain(g);
            on_chains.extend(chain.iter().cloned());
            for r in &chain[1..] {
                let same = self
                    .facts
                    .get(r)
                    .and_then(|f| f.group.as_ref())
                    .is_some_and(|x| x == of);
                if !same {
                    out.push(format!(
                        "round {r}, the re-run of group round {g} ({}), is not recorded as that group of combined round {id}",
                        of.name
                    ));
                }
            }
            let current = chain.last().map_or(g.as_str(), String::as_str);
            let rerun = if current == g {
                String::new()
            } else {
                format!(" (counted from {current}, the latest re-run of {g})")
            };
            let (Some(gr), Some(rec)) = (self.rounds.get(current), self.records.get(current))
            else {
                out.push(format!(
                    "combined round {id} opened before its group round {current} ({}) was tallied{rerun}",
                    of.name
                ));
                continue;
            };
            if matches!(
                rec.status,
                Status::NoQuorum | Status::Void | Status::ListRejected
            ) {
                out.push(format!(
                    "combined round {id} combines group round {current} ({}), which was not held ({}){rerun}",
                    of.name,
                    rec.status.as_str()
                ));
            }
            if gr.candidates != round.candidates {
                out.push(format!(
                    "group round {current} has another list than combined round {id}"
                ));
            }
            counted.push(current.to_string());
        }
        for (r, f) in &self.facts {
            let mine = f.group.as_ref().is_some_and(|x| x.of == id);
            if mine && !on_chains.contains(r) {
                out.push(format!(
                    "group round {r} of combined round {id} is skipped: neither a group it names nor the re-run of one"
                ));
            }
        }
        counted
    }

    /// The method round `id` is decided under.
    pub fn method_for(&self, id: &str, base: ElectionMethod) -> ElectionMethod {
        self.methods.get(id).cloned().unwrap_or(base)
    }

    /// Round `id` with what its stage facts add to its `round_opened`: a
    /// rating (its candidates are the rating's cells, which
    /// `Round::validate` checks).
    pub fn with_facts(&self, id: &str, mut round: Round) -> Round {
        round.rating = self.facts.get(id).and_then(|f| f.rating.clone());
        round
    }

    /// Whether round `id` has its own electorate (a group, or a
    /// combination of groups): its entitled and present are not the
    /// meeting's.
    pub fn own_electorate(&self, id: &str) -> bool {
        self.facts
            .get(id)
            .is_some_and(|f| f.group.is_some() || f.combined.is_some())
    }

    /// Whether round `id` combines groups (it has no ballots of its own).
    pub fn is_combined(&self, id: &str) -> bool {
        self.facts.get(id).is_some_and(|f| f.combined.is_some())
    }

    /// The checks of round `id`'s procedure facts when it opens.
    pub fn check_open(
        &mut self,
        id: &str,
        round: &Round,
        method: &ElectionMethod,
        out: &mut Vec<String>,
    ) {
        let Some(f) = self.facts.get(id) else {
            return;
        };
        if f.group.is_some() && !matches!(round.kind, RoundKind::Nomination | RoundKind::Evaluation)
        {
            out.push(format!(
                "group round {id} is a {} round; expected nomination or evaluation",
                round.kind.as_str()
            ));
        }
        let mut listed = 0u64;
        if let Some(c) = &f.combined {
            listed = c
                .organisation
                .as_ref()
                .map_or(0, |o| o.nominees.len() as u64);
            let (mut e, mut p, mut i) = (0u64, 0u64, 0u64);
            let counted = self.check_groups(id, c, round, out);
            for g in &counted {
                if let Some(gr) = self.rounds.get(g) {
                    e = e.saturating_add(gr.entitled);
                    p = p.saturating_add(gr.present);
                    i = i.saturating_add(gr.issued);
                }
            }
            let names = counted.join(", ");
            self.counted.insert(id.to_string(), counted);
            if (round.entitled, round.present, round.issued) != (e, p, i) {
                out.push(format!(
                    "combined round {id} opened with {} entitled, {} present, {} issued; its groups in force ({names}) sum to {e}, {p}, {i}",
                    round.entitled, round.present, round.issued
                ));
            }
            if let Some(o) = &c.organisation {
                if let Some(n) = o.nominees.iter().find(|n| round.candidates.contains(n)) {
                    out.push(format!("{n} is listed directly by the organisation and also on the ballot of round {id}"));
                }
            }
        }
        if let Some(rule) = f.next_rule {
            match NextRule::new(rule.ratio, rule.of) {
                Err(e) => out.push(format!("next_rule of round {id}: {e}")),
                Ok(n) => {
                    let expected = if f.combined.is_some() {
                        match method.organisation_nominees {
                            OrganisationNominees::WithinList => n.size.min.saturating_sub(listed),
                            OrganisationNominees::BeyondList => n.size.min,
                        }
                    } else {
                        n.size.min
                    };
                    if round.next_size != Some(expected) {
                        out.push(format!(
                            "round {id} lists {:?} for the next stage; its rule gives {expected}",
                            round.next_size
                        ));
                    }
                }
            }
        }
        if let Some(p) = &f.paper {
            if !p.sections.iter().any(|s| s == id) {
                out.push(format!("paper {} does not list its section {id}", p.paper));
            }
            for s in p.sections.iter().filter(|s| *s != id) {
                // A section not yet opened has not recorded its facts.
                let other = self.facts.get(s).filter(|_| self.rounds.contains_key(s));
                if other.is_some_and(|x| x.paper.as_ref() != Some(p)) {
                    out.push(format!(
                        "section {s} of paper {} is recorded with another paper",
                        p.paper
                    ));
                }
                if let Some(o) = self.rounds.get(s) {
                    if (o.entitled, o.present, o.issued, o.kind)
                        != (round.entitled, round.present, round.issued, round.kind)
                    {
                        out.push(format!(
                            "sections {s} and {id} of paper {} opened with other facts; one paper has one attendance and one issue",
                            p.paper
                        ));
                    }
                }
            }
        }
        for d in &f.deferred {
            if round.candidates.contains(&d.nominee) {
                out.push(format!(
                    "{} is deferred but on the ballot of round {id}",
                    d.nominee
                ));
            }
        }
        if round.kind == RoundKind::Cadre || !f.record.is_empty() {
            let mut all = f.record.clone();
            all.extend(self.own_record(id));
            let refused = crate::rules::record::refusals(
                &round.candidates,
                |n| {
                    f.posts
                        .get(n)
                        .cloned()
                        .unwrap_or_else(|| round.contest.clone())
                },
                &all,
                method.max_failed_nominations,
            );
            for r in refused {
                out.push(format!(
                    "{} is nominated for {} in round {id} after {} failed votes for it",
                    r.nominee,
                    r.post,
                    r.failed.len()
                ));
            }
        }
    }

    /// The failed votes of this log's tallied cadre rounds (other than
    /// `id`), per nominee and post.
    fn own_record(&self, id: &str) -> Vec<EarlierResult> {
        let mut out = Vec::new();
        for (r, rec) in &self.records {
            let Some(round) = self.rounds.get(r).filter(|x| x.kind == RoundKind::Cadre) else {
                continue;
            };
            if r == id || rec.status != Status::Complete {
                continue;
            }
            let posts = self
                .facts
                .get(r)
                .map(|f| f.posts.clone())
                .unwrap_or_default();
            for row in &rec.rows {
                out.push(EarlierResult {
                    nominee: row.name.clone(),
                    post: posts
                        .get(&row.name)
                        .cloned()
                        .unwrap_or_else(|| round.contest.clone()),
                    meeting: r.clone(),
                    for_votes: row.for_votes,
                    against: row.against,
                    abstain: row.abstain,
                    entitled: round.entitled,
                    passed: rec.elected.contains(&row.name),
                });
            }
        }
        out
    }

    /// The checks when round `id` closes: every section of a paper has
    /// the same returned, replaced and voted.
    pub fn check_close(&self, id: &str, out: &mut Vec<String>) {
        let (Some(f), Some(r)) = (self.facts.get(id), self.rounds.get(id)) else {
            return;
        };
        let Some(p) = &f.paper else {
            return;
        };
        for s in p.sections.iter().filter(|s| *s != id) {
            if let Some(o) = self.rounds.get(s).filter(|o| o.returned.is_some()) {
                if (o.returned, o.replaced, o.voted) != (r.returned, r.replaced, r.voted) {
                    out.push(format!(
                        "sections {s} and {id} of paper {} closed with other ballots returned, replaced or voted",
                        p.paper
                    ));
                }
            }
        }
    }

    /// A combined round's counts: the sums of the signed counts of the
    /// group rounds it counted when it opened (each the latest re-run of a
    /// round it names).
    pub fn combined_counts(&self, id: &str, lines: usize) -> Option<Counts> {
        let c = self.facts.get(id)?.combined.as_ref()?;
        // The groups in force when it opened; else those it names.
        let groups = self.counted.get(id).unwrap_or(&c.groups);
        let all: Vec<Counts> = groups
            .iter()
            .filter_map(|g| self.records.get(g).map(record::counts))
            .collect();
        let refs: Vec<&Counts> = all.iter().collect();
        Some(crate::rules::groups::sum_counts(&refs, lines))
    }
}

/// The plain ballots of a rated evaluation: at most one tick per row, as
/// the service enters them (`rules::rating::Rating::check_marks`).
pub fn check_rated_plain(
    rating: &crate::rules::rating::Rating,
    packed: &crate::count::PackedBallots,
) -> Result<(), String> {
    use crate::count::Mark as Packed;
    use crate::rules::Mark;
    for i in 0..packed.len() {
        let Some(marks) = packed.get(i) else {
            continue;
        };
        let marks: Vec<Mark> = marks
            .iter()
            .map(|m| match m {
                Packed::For => Mark::For,
                Packed::Against => Mark::Against,
                Packed::Abstain => Mark::Abstain,
            })
            .collect();
        rating
            .check_marks(&marks)
            .map_err(|e| format!("rated ballot {}: {e}", i + 1))?;
    }
    Ok(())
}
