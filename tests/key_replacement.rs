//! A lost device (issue #9): a person's new key counts only after another
//! member of the presidium approves it, the old key signs nothing after
//! that, and the new key never cosigns a round that closed before the
//! replacement — in the verifier (bundles built without the service,
//! forged as a holder of the log key could) and in the service (real
//! HTTP, real SQLite).

use ed25519_dalek::SigningKey;
use serde_json::json;

use scrutineer::log::cosignature::Cosigner;
use scrutineer::log::entry::AuthorRole;
use scrutineer::log::event::Event;
use scrutineer::log::note::KeyName;
use scrutineer::log::verify::{verify, Step, VerifyReport};
use scrutineer::rules::RoundKind;

use crate::common::meeting::{copies, cosigner, Meeting};
use crate::common::server::Server;
use crate::sim::{self, Sim};

/// A meeting whose round p1 is tallied and cosigned by scrutineers 0 and
/// 2, and whose round f1 is open.
fn first_round_done() -> Sim {
    let mut sim = Sim::new(20);
    sim.attendance(20);
    sim.open("p1", RoundKind::Formal, 1, &["甲", "乙"], None, 20, 20, 20);
    sim.ballots("p1", &sim::times(20, "YN"), 20);
    sim.close_and_tally("p1", 20);
    sim.cosign("p1", &[0, 2]);
    sim.open("f1", RoundKind::Formal, 1, &["丙", "丁"], None, 20, 20, 20);
    sim.ballots("f1", &sim::times(20, "YN"), 20);
    sim
}

/// Scrutineer 1 (李监票) asks for a new key, signed by it; returns it.
fn ask_for_new_key(sim: &mut Sim) -> (SigningKey, Cosigner) {
    let new = SigningKey::from_bytes(&[77; 32]);
    let c = Cosigner::new(KeyName::new("li.jianpiao.new").expect("name"), new.clone());
    let name = sim.scrutineers[1].0.clone();
    sim.append(
        AuthorRole::Scrutineer,
        &new,
        &Event::KeyReplaced {
            role: "scrutineer".into(),
            name,
            key: c.verifier_key().to_string(),
            person: None,
        },
    );
    (new, c)
}

fn approve(sim: &mut Sim, c: &Cosigner, role: AuthorRole, by: (String, SigningKey)) {
    let name = sim.scrutineers[1].0.clone();
    sim.append(
        role,
        &by.1,
        &Event::KeyReplacementApproved {
            role: "scrutineer".into(),
            name,
            key: c.verifier_key().to_string(),
            by: by.0,
        },
    );
}

fn messages(r: &VerifyReport) -> Vec<String> {
    r.failures().map(|f| f.to_string()).collect()
}

#[test]
fn an_approved_replacement_signs_for_later_rounds_and_is_listed() {
    let mut sim = first_round_done();
    let (new, c) = ask_for_new_key(&mut sim);
    let presidium = sim.presidium.clone();
    approve(&mut sim, &c, AuthorRole::Presidium, presidium);
    sim.scrutineers[1].1 = new;
    sim.scrutineers[1].2 = c;
    sim.close_and_tally("f1", 20);
    sim.cosign("f1", &[1, 2]);
    let r = verify(&sim.bundle());
    assert!(r.is_verified(), "{:?}", messages(&r));
    let f1 = r.tallies.iter().find(|t| t.round == "f1").expect("f1");
    assert!(f1.certification.cosigned.iter().any(|s| s.name == "李监票"));
    let li = r
        .holders
        .iter()
        .find(|h| h.name == "李监票")
        .expect("李监票 listed");
    assert_eq!(li.keys.len(), 2, "{li:?}");
    assert!(li.keys[0].until_entry.is_some(), "{li:?}");
    assert_eq!(li.keys[1].approved_by.as_deref(), Some("孙主席"), "{li:?}");
    let text =
        scrutineer::report::verify_report::render("b", &r, None, scrutineer::report::Lang::Zh);
    assert!(text.contains("经 孙主席 批准"), "{text}");
    assert!(text.contains("设备丢失，已更换"), "{text}");
}

#[test]
fn an_unapproved_or_self_approved_replacement_signs_nothing() {
    // Not approved: the new key's cosignature entry is by no registered key.
    let mut sim = first_round_done();
    let (new, c) = ask_for_new_key(&mut sim);
    sim.scrutineers[1].1 = new.clone();
    sim.scrutineers[1].2 = c.clone();
    sim.close_and_tally("f1", 20);
    sim.cosign("f1", &[1]);
    let r = verify(&sim.bundle());
    assert_eq!(
        r.first_failed_step(),
        Some(Step::EntrySignatures),
        "{:?}",
        messages(&r)
    );
    assert!(
        messages(&r)
            .iter()
            .any(|m| m.contains("not registered for that role")),
        "{:?}",
        messages(&r)
    );

    // Approved by the person themselves: refused.
    let mut sim = first_round_done();
    let (_, c) = ask_for_new_key(&mut sim);
    let me = (sim.scrutineers[1].0.clone(), sim.scrutineers[1].1.clone());
    approve(&mut sim, &c, AuthorRole::Scrutineer, me);
    sim.checkpoint();
    let r = verify(&sim.bundle());
    assert!(
        messages(&r)
            .iter()
            .any(|m| m.contains("may not make key_registered")),
        "{:?}",
        messages(&r)
    );

    // After an approved replacement, the old key (the lost device) signs
    // nothing more.
    let mut sim = first_round_done();
    let (_, c) = ask_for_new_key(&mut sim);
    let presidium = sim.presidium.clone();
    approve(&mut sim, &c, AuthorRole::Presidium, presidium);
    sim.close_and_tally("f1", 20);
    sim.cosign("f1", &[1]);
    let r = verify(&sim.bundle());
    assert!(
        messages(&r)
            .iter()
            .any(|m| m.contains("which was replaced at entry")),
        "{:?}",
        messages(&r)
    );
}

#[test]
fn the_new_key_may_not_cosign_a_round_closed_before_the_replacement() {
    let mut sim = first_round_done();
    let (new, c) = ask_for_new_key(&mut sim);
    let presidium = sim.presidium.clone();
    approve(&mut sim, &c, AuthorRole::Presidium, presidium);
    sim.scrutineers[1].1 = new;
    sim.scrutineers[1].2 = c;
    // p1 closed before the replacement: 李监票's new key cosigns it.
    sim.cosign("p1", &[1]);
    let r = verify(&sim.bundle());
    assert_eq!(
        r.first_failed_step(),
        Some(Step::Replay),
        "{:?}",
        messages(&r)
    );
    assert!(
        messages(&r).iter().any(
            |m| m.contains("key was replaced at entry") && m.contains("before the replacement")
        ),
        "{:?}",
        messages(&r)
    );
}

#[test]
fn the_service_replaces_a_key_only_with_another_presidium_members_approval() {
    let server = Server::start("key-replacement");
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 2 }),
    )
    .expect(201);
    let c1 = m.add("counter", "计票一", None);
    let c2 = m.add("counter", "计票二", None);
    let k = cosigner("监票一", 81);
    let s1 = m.add("scrutineer", "监票一", Some(&k));
    let chair = m.add("presidium", "主席", None);
    let auditor = m.add("auditor", "审计", None);
    for p in [&c1, &c2, &s1] {
        m.assign("e1", p);
    }
    m.c.register_own_key(&chair.token).expect(200);

    // 监票一 loses the device: the organiser issues a new link (which
    // revokes the old one); from the new device a new key is asked for.
    let link = m
        .post(&org, &format!("/people/{}/tokens", s1.id), json!({}))
        .expect(201)
        .json();
    let mut s1_new = s1.clone();
    s1_new.token = link["token"].as_str().expect("token").into();
    let k2 = cosigner("监票一-新", 82);
    crate::common::signing::use_key(
        &s1_new.token,
        "监票一-新",
        SigningKey::from_bytes(&[82; 32]),
    );
    let path = format!("/people/{}/key/replacement", s1.id);
    // Nobody asks for another person's key; the organiser cannot either.
    m.post(&org, &path, json!({ "key": k2.verifier_key().to_string() }))
        .problem(403, "not_own_person");
    m.post(
        &s1_new,
        &path,
        json!({ "key": k2.verifier_key().to_string() }),
    )
    .expect(201);
    let approval = format!("/people/{}/key/approval", s1.id);
    // Not the organiser, not with another key than the one sent.
    m.post(
        &org,
        &approval,
        json!({ "key": k2.verifier_key().to_string() }),
    )
    .expect(403);
    m.post(
        &chair,
        &approval,
        json!({ "key": k.verifier_key().to_string() }),
    )
    .problem(409, "replacement_key_differs");
    // Another member of the presidium approves the key the person sent.
    m.post(
        &chair,
        &approval,
        json!({ "key": k2.verifier_key().to_string() }),
    )
    .expect(200);
    m.post(
        &chair,
        &approval,
        json!({ "key": k2.verifier_key().to_string() }),
    )
    .problem(409, "no_replacement_pending");

    // The round runs with the new key; the bundle verifies and lists both.
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 10 }))
        .expect(200);
    let ballots = json!(copies(10, json!("YYN")));
    m.enter(&c1, "r1", "b1", "k1", &ballots).expect(201);
    m.enter(&c2, "r1", "b1", "k2", &ballots).expect(201);
    m.post(&s1_new, "/rounds/r1/close", json!({ "returned": 10 }))
        .expect(200);
    m.cosign(&s1_new, &k2, "r1").expect(201);
    let zip = m.get(&auditor, "/bundle").expect(200).body;
    let r = crate::common::bundle::verified(&crate::common::bundle::read(&zip));
    let holder = r
        .holders
        .iter()
        .find(|h| h.name == "监票一")
        .expect("监票一 listed");
    assert_eq!(holder.election.as_deref(), Some("e1"));
    assert_eq!(holder.keys.len(), 2, "{holder:?}");
    assert_eq!(
        holder.keys[1].approved_by.as_deref(),
        Some("主席"),
        "{holder:?}"
    );
    // The old key's cosignature would not count now.
    m.cosign(&s1_new, &k, "r1").expect(409);
}
