//! The trust model against its attacks (issue #9): what a holder of the
//! log key can forge inside a bundle, and how the pins an auditor holds
//! from outside it — the paper report's roots and scrutineer key
//! fingerprints, a witness's cosigned checkpoint — catch it
//! (`docs/audit-bundle.md` §6.9, `src/log/pins.rs`).

use std::process::Command;

use scrutineer::log::bundle::Bundle;
use scrutineer::log::checkpoint::Checkpoint;
use scrutineer::log::cosignature::Cosigner;
use scrutineer::log::note::{KeyName, Note};
use scrutineer::log::pins::{fingerprint, PinnedKey, PinnedRoot, Pins};
use scrutineer::log::verify::{check_entries, verify_pinned_with, Step, VerifyReport};

use crate::common::server::TempDir;
use crate::sim::{self, Sim, ORIGIN};

fn verify(b: &Bundle, pins: &Pins) -> VerifyReport {
    verify_pinned_with(b, &[], pins, check_entries)
}

fn fails_at_pins(r: &VerifyReport, what: &str, says: &str) {
    assert_eq!(
        r.first_failed_step(),
        Some(Step::Pins),
        "{what}: {:?}",
        r.failures().map(|f| f.to_string()).collect::<Vec<_>>()
    );
    let all: Vec<String> = r.failures().map(|f| f.message.clone()).collect();
    assert!(all.iter().any(|m| m.contains(says)), "{what}: {all:?}");
}

/// The paper: the final root and each scrutineer's fingerprint.
fn paper(sim: &Sim) -> (PinnedRoot, Vec<PinnedKey>) {
    let root = PinnedRoot {
        size: sim.tree.size().0,
        root: sim.tree.root(),
    };
    let keys = sim
        .scrutineers
        .iter()
        .map(|(_, k, _)| {
            PinnedKey::parse(&fingerprint(&k.verifying_key().to_bytes())).expect("fingerprint")
        })
        .collect();
    (root, keys)
}

/// The county committee's witness.
fn witness() -> Cosigner {
    Cosigner::new(
        KeyName::new("witness.example.org/county").expect("name"),
        ed25519_dalek::SigningKey::from_bytes(&[99; 32]),
    )
}

/// The honest meeting, its last checkpoint cosigned by the witness too.
fn honest() -> (Sim, String) {
    let mut sim = sim::meeting();
    let last = sim.notes.pop().expect("final note");
    let mut note = Note::parse(&last).expect("note");
    let c = Checkpoint::parse(note.text()).expect("checkpoint");
    note.add_signature(witness().cosign(&c, 1_717_300_000).expect("cosign"));
    sim.notes.push(note.to_string());
    let text = note.to_string();
    (sim, text)
}

#[test]
fn a_log_re_signed_with_other_scrutineer_keys_verifies_alone_and_fails_against_the_paper() {
    let (honest, _) = honest();
    let (root, keys) = paper(&honest);
    // The holder of the real log key rewrites the meeting: new keys for
    // the three scrutineers (registered, self-signed), the results
    // "cosigned" with them.
    let forged = sim::meeting_seeded([51, 52, 53], |_| {});
    let bundle = forged.bundle();
    // On its own, every signature in it holds: nothing inside a bundle can
    // tell the log key's holder from the meeting.
    let alone = verify(&bundle, &Pins::default());
    assert!(alone.is_verified(), "{:?}", alone.first_failure());
    assert_eq!(alone.pinned, 0);
    // The scrutineers' fingerprints on the signed paper catch it.
    let pins = Pins {
        scrutineer_keys: keys.clone(),
        ..Pins::default()
    };
    fails_at_pins(
        &verify(&bundle, &pins),
        "scrutineer keys pinned",
        "is not one of the pinned scrutineer keys",
    );
    // So does the root printed on the paper.
    let pins = Pins {
        roots: vec![root],
        ..Pins::default()
    };
    fails_at_pins(
        &verify(&bundle, &pins),
        "root pinned",
        "the log signed two different trees of that size",
    );
    // The honest bundle agrees with its paper.
    let pins = Pins {
        roots: vec![root],
        scrutineer_keys: keys,
        ..Pins::default()
    };
    let r = verify(&honest.bundle(), &pins);
    assert!(r.is_verified(), "{:?}", r.first_failure());
    assert_eq!(r.pinned, 4);
}

/// A bundle cut back to an older, validly signed state.
fn cut(sim: &Sim, size: usize) -> Bundle {
    let notes: Vec<String> = sim
        .notes
        .iter()
        .filter(|n| {
            let note = Note::parse(n).expect("note");
            Checkpoint::parse(note.text()).expect("checkpoint").size().0 as usize <= size
        })
        .cloned()
        .collect();
    Bundle::from_log(ORIGIN, &sim.log_vkey(), &sim.entries[..size], &notes).expect("bundle")
}

#[test]
fn a_log_cut_back_verifies_alone_and_fails_against_a_pinned_root_and_a_witness() {
    let (sim, witnessed) = honest();
    let (root, _) = paper(&sim);
    // The checkpoint before the final one: an older signed state.
    let sizes: Vec<usize> = sim
        .notes
        .iter()
        .map(|n| {
            let note = Note::parse(n).expect("note");
            Checkpoint::parse(note.text()).expect("checkpoint").size().0 as usize
        })
        .collect();
    let older = sizes[sizes.len() - 2];
    let rolled_back = cut(&sim, older);
    let alone = verify(&rolled_back, &Pins::default());
    assert!(alone.is_verified(), "{:?}", alone.first_failure());
    let pins = Pins {
        roots: vec![root],
        ..Pins::default()
    };
    fails_at_pins(
        &verify(&rolled_back, &pins),
        "root pinned",
        "are missing (the log was cut back",
    );
    // The witness's latest cosigned checkpoint, as the auditor fetched
    // it from the witness.
    let w = witness();
    let pins = Pins {
        checkpoints: vec![("witness.txt".into(), witnessed.clone())],
        witnesses: vec![w.verifier_key().clone()],
        ..Pins::default()
    };
    fails_at_pins(
        &verify(&rolled_back, &pins),
        "witness checkpoint pinned",
        "are missing (the log was cut back",
    );
    // The full bundle agrees with it (the witness cosigned its final
    // checkpoint only, so it is not required on the results here).
    let pins = Pins {
        checkpoints: vec![("witness.txt".into(), witnessed.clone())],
        ..Pins::default()
    };
    let r = verify(&sim.bundle(), &pins);
    assert!(r.is_verified(), "{:?}", r.first_failure());
    // A witness required but absent from a result checkpoint fails.
    let pins = Pins {
        witnesses: vec![w.verifier_key().clone()],
        ..Pins::default()
    };
    fails_at_pins(
        &verify(&sim.bundle(), &pins),
        "witness required on results",
        "of the 1 pinned witnesses required",
    );
}

#[test]
fn verify_takes_the_pins_on_its_command_line() {
    let dir = TempDir::new("trust-cli");
    let (sim, witnessed) = honest();
    let (root, keys) = paper(&sim);
    let zip = dir.path().join("bundle.zip");
    scrutineer::bundle_io::write_zip(&sim.bundle(), &zip).expect("zip");
    let cp = dir.path().join("witness.txt");
    std::fs::write(&cp, &witnessed).expect("write");
    let printed_root = format!(
        "{}:{}",
        root.size,
        scrutineer::log::pins::groups4(&root.root.to_hex())
    );
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .arg("verify")
            .arg(&zip)
            .args(extra)
            .output()
            .expect("run verify");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, text) = run(&[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("未与包外任何凭据核对"), "{text}");
    let fp: Vec<String> = sim
        .scrutineers
        .iter()
        .map(|(_, k, _)| fingerprint(&k.verifying_key().to_bytes()))
        .collect();
    let w = witness().verifier_key().to_string();
    let mut args: Vec<&str> = vec!["--root", &printed_root, "--checkpoint"];
    let cp_s = cp.to_string_lossy().into_owned();
    args.push(&cp_s);
    for f in &fp {
        args.push("--scrutineer-key");
        args.push(f);
    }
    args.extend(["--witness-key", &w, "--witnesses", "0"]);
    let (code, text) = run(&args);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("未与包外任何凭据核对"), "{text}");
    assert!(keys.len() == 3);
    // A wrong root fails with exit 1, a malformed one is bad input.
    let wrong = format!("{}:{}", root.size, "00".repeat(32));
    assert_eq!(run(&["--root", &wrong]).0, Some(1));
    let (code, text) = run(&["--root", "twenty:00"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--root"), "{text}");
}

/// The organiser alone — who adds people and issues every log-in link —
/// cannot get a round certified: it registers nobody's key, a fresh link
/// to a scrutineer does not replace their key, the entries it would make
/// in their name need their signature, and the scrutineers of an
/// election are fixed once voting begins.
#[test]
fn the_organiser_alone_cannot_get_a_round_certified() {
    use crate::common::meeting::{copies, cosigner, Meeting};
    use crate::common::server::Server;
    use serde_json::json;

    let server = Server::start("trust-organiser");
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
    let s1 = m.add("scrutineer", "监票一", Some(&cosigner("s1", 61)));
    let s2 = m.add("scrutineer", "监票二", Some(&cosigner("s2", 62)));
    for p in [&c1, &c2, &s1, &s2] {
        m.assign("e1", p);
    }
    let r = m
        .post(
            &org,
            "/elections/e1/rounds",
            json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] }),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .expect("round")
        .to_string();
    m.post(&org, &format!("/rounds/{r}/open"), json!({ "issued": 10 }))
        .expect(200);
    for (c, k) in [(&c1, "k1"), (&c2, "k2")] {
        m.enter(c, &r, "b1", k, &json!(copies(10, json!("YYN"))))
            .expect(201);
    }

    // It registers nobody's key.
    let own = cosigner("organiser-made", 70);
    m.put(
        &org,
        &format!("/people/{}/key", s1.id),
        json!({ "key": own.verifier_key().to_string() }),
    )
    .problem(403, "not_own_person");
    // A fresh link to a scrutineer revokes theirs, is logged, and does
    // not let its holder register another key.
    let fresh = m
        .post(&org, &format!("/people/{}/tokens", s1.id), json!({}))
        .expect(201)
        .json()["token"]
        .as_str()
        .expect("token")
        .to_string();
    let as_s1 = crate::common::meeting::Person {
        token: fresh.clone(),
        ..s1.clone()
    };
    m.put(
        &as_s1,
        &format!("/people/{}/key", s1.id),
        json!({ "key": own.verifier_key().to_string() }),
    )
    .problem(409, "key_already_registered");
    // Whatever it does in their name needs their signature: the entry is
    // made out to the key on their device, which it does not hold.
    let close = m.c.send_raw(
        &crate::common::http::Request::new("POST", &m.path(&format!("/rounds/{r}/close")))
            .token(&fresh)
            .json(&json!({ "returned": 10 })),
    );
    let p = close.problem(428, "signature_required");
    let entry = p["sign"]["entries"][0]["entry"].as_str().expect("entry");
    let bytes = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(entry)
            .expect("base64")
    };
    let s1_key = ed25519_dalek::SigningKey::from_bytes(&[61; 32]);
    assert_eq!(&bytes[16..48], s1_key.verifying_key().as_bytes());
    // Signed with the organiser's own key instead: refused as not fitting.
    let forged = {
        use base64::Engine as _;
        use ed25519_dalek::Signer as _;
        let k = ed25519_dalek::SigningKey::from_bytes(&[70; 32]);
        let sig = k.sign(&crate::common::signing::signed_message(&bytes));
        (
            p["sign"]["timestamp"].to_string(),
            base64::engine::general_purpose::STANDARD.encode(sig.to_bytes()),
        )
    };
    m.c.send_raw(
        &crate::common::http::Request::new("POST", &m.path(&format!("/rounds/{r}/close")))
            .token(&fresh)
            .header("Scrutineer-Timestamp", &forged.0)
            .header("Scrutineer-Signature", &forged.1)
            .json(&json!({ "returned": 10 })),
    )
    .problem(428, "signature_required");
    // It cannot add scrutineers of its own once voting has begun.
    let fake = m.add("scrutineer", "监票三", None);
    let p = m
        .post(
            &org,
            "/elections/e1/assignments",
            json!({ "person": fake.id }),
        )
        .problem(409, "scrutineers_fixed");
    assert_eq!(p["field"], "person");
    // The round is still open: nothing was closed or certified.
    let round = m.get(&s2, &format!("/rounds/{r}")).expect(200).json();
    assert_eq!(round["state"], "open", "{round}");
}
