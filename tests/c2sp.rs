//! Conformance with the C2SP formats and with other people's tools, on the
//! realistic meeting of `tests/sim`:
//!
//! - signed notes: a line by an unknown key (a witness) is ignored and
//!   reported as not checked; a known key's second line is refused;
//! - receipts (tlog-proof): each tally's receipt verifies against the
//!   bundle, and a receipt whose signed root contradicts the bundle fails
//!   `verify` naming the size, in Chinese and in English;
//! - tlog-tiles: the bundle as a tiles directory verifies like the bundle,
//!   a changed tile fails step 4;
//! - third-party implementations: `signed_note` (Cloudflare's port of Go's
//!   sumdb/note) opens every checkpoint and its cosignatures, `tlog_tiles`
//!   (the port of sumdb/tlog) reads the tiles as a client and checks
//!   inclusion and consistency, `ct-merkle` checks the receipts' proofs;
//! - the service: the receipt download and the statement's receipt, and
//!   the tiles routes read over real HTTP by `tlog_tiles` as a client.

use crate::common;
use crate::sim;

use std::process::Command;

use ed25519_dalek::{Signature, VerifyingKey};

use scrutineer::log::bundle::{checkpoint_path, Bundle};
use scrutineer::log::checkpoint::Checkpoint;
use scrutineer::log::cosignature::{cosigned_message, Cosigner};
use scrutineer::log::merkle::{leaf_hash, LeafIndex, Tree};
use scrutineer::log::note::{KeyName, Note, SignatureType, VerifierKey};
use scrutineer::log::proof::InclusionReceipt;
use scrutineer::log::tiles;
use scrutineer::log::verify::{
    check_entries, verify, verify_receipts_with, verify_tiles_with, GivenReceipt, Step,
    VerifyReport,
};

fn failures(r: &VerifyReport) -> String {
    r.failures()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn witness() -> Cosigner {
    Cosigner::new(
        KeyName::new("witness.example/w1").expect("name"),
        ed25519_dalek::SigningKey::from_bytes(&[77; 32]),
    )
}

/// The bundle with one more line on the note at `path`.
fn with_line(b: &Bundle, path: &str, line: impl FnOnce(&Note) -> String) -> Bundle {
    let text = String::from_utf8(b.get(path).expect("note").to_vec()).expect("utf-8");
    let note = Note::parse(&text).expect("note");
    let mut b = b.clone();
    b.put(path, format!("{text}{}\n", line(&note)).into_bytes());
    b
}

fn final_path(b: &Bundle) -> String {
    b.parts()
        .checkpoints
        .last()
        .expect("checkpoints")
        .path
        .to_owned()
}

fn result_path(r: &VerifyReport, round: &str) -> String {
    let t = r.tallies.iter().find(|t| t.round == round).expect("tally");
    checkpoint_path(t.certification.checkpoint)
}

#[test]
fn a_witness_cosignature_by_an_unknown_key_is_not_checked() {
    let sim = sim::meeting();
    let good = sim.bundle();
    let clean = verify(&good);
    assert!(clean.is_verified(), "{}", failures(&clean));
    assert!(clean.unchecked.is_empty());
    let fin = final_path(&good);
    let result = result_path(&clean, "f1-r");
    let w = witness();
    let cosign = |note: &Note| {
        let c = Checkpoint::parse(note.text()).expect("checkpoint");
        w.cosign(&c, 1_717_300_000).expect("cosigns").to_string()
    };
    let b = with_line(&good, &fin, cosign);
    let b = with_line(&b, &result, cosign);
    let r = verify(&b);
    assert!(r.is_verified(), "{}", failures(&r));
    assert_eq!(r.tallies, clean.tallies, "a witness certifies nothing");
    let lines: Vec<(&str, &str)> = r
        .unchecked
        .iter()
        .map(|u| (u.file.as_str(), u.key.as_str()))
        .collect();
    let key = w.verifier_key().label();
    let mut want = vec![
        (result.as_str(), key.as_str()),
        (fin.as_str(), key.as_str()),
    ];
    want.sort();
    assert_eq!(lines, want);
    // Even a garbage line by an unknown key is only "not checked".
    let b = with_line(&good, &fin, |_| {
        "\u{2014} witness.example/w2 AAAAAAAAAAAAAAAA".to_owned()
    });
    let r = verify(&b);
    assert!(r.is_verified(), "{}", failures(&r));
    assert_eq!(r.unchecked.len(), 1);

    // The report says so, in both languages.
    let dir = tempdir("witness");
    scrutineer::bundle_io::write_dir(&with_line(&good, &fin, cosign), &dir).expect("writes");
    for (lang, words) in [
        ("zh", "未核验的签名行"),
        ("en", "signature lines not checked"),
    ] {
        let out = run(&["verify", dir.to_str().expect("path"), "--lang", lang]);
        assert!(out.status.success(), "{}", stdout(&out));
        let text = stdout(&out);
        assert!(text.contains(words) && text.contains(&key), "{text}");
    }
}

#[test]
fn a_known_key_signs_a_note_once() {
    let sim = sim::meeting();
    let good = sim.bundle();
    let clean = verify(&good);
    let result = result_path(&clean, "f1");
    let text = String::from_utf8(good.get(&result).expect("note").to_vec()).expect("utf-8");
    let note = Note::parse(&text).expect("note");
    let (log_line, cosig_line) = (
        note.signatures()[0].to_string(),
        note.signatures()[1].to_string(),
    );
    // The log key's line twice: step 2.
    let b = with_line(&good, &result, |_| log_line.clone());
    let r = verify(&b);
    assert_eq!(
        r.first_failed_step(),
        Some(Step::CheckpointSignatures),
        "{}",
        failures(&r)
    );
    assert!(
        failures(&r).contains("signed the note twice"),
        "{}",
        failures(&r)
    );
    // A scrutineer's cosignature twice, identical: step 3 (as aics-tlog).
    let b = with_line(&good, &result, |_| cosig_line.clone());
    let r = verify(&b);
    assert_eq!(
        r.first_failed_step(),
        Some(Step::Cosignatures),
        "{}",
        failures(&r)
    );
    assert!(
        failures(&r).contains("signed the note twice"),
        "{}",
        failures(&r)
    );
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scrutineer-c2sp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn tally_receipt(b: &Bundle, r: &VerifyReport, round: &str) -> String {
    let t = r.tallies.iter().find(|t| t.round == round).expect("tally");
    b.receipt(t.entry, t.entry + 1)
        .expect("receipt")
        .to_string()
}

#[test]
fn receipts_verify_and_a_contradicting_one_fails_naming_the_size() {
    let sim = sim::meeting();
    let good = sim.bundle();
    let clean = verify(&good);
    let text = tally_receipt(&good, &clean, "f1-r");
    let receipt = InclusionReceipt::parse(&text).expect("parses");
    let t = clean
        .tallies
        .iter()
        .find(|t| t.round == "f1-r")
        .expect("tally");
    assert_eq!(receipt.index(), LeafIndex(t.entry));
    assert_eq!(
        receipt.claimed_leaf(),
        Some(leaf_hash(
            good.get(&scrutineer::log::bundle::entry_path(t.entry))
                .expect("entry")
        ))
    );
    // The cosignatures are on it: two of the three scrutineers.
    assert_eq!(receipt.checkpoint().signatures().len(), 3);
    let given = [GivenReceipt {
        name: "f1-r.tlog-proof",
        bytes: text.as_bytes(),
    }];
    let r = verify_receipts_with(&good, &given, check_entries);
    assert!(r.is_verified(), "{}", failures(&r));

    // The log signs another tree of the same size: a fork.
    let size = t.entry + 1;
    let mut forked: Vec<Vec<u8>> = sim.entries[..size as usize].to_vec();
    forked[size as usize - 1] = b"another tally".to_vec();
    let tree = Tree::from_leaf_hashes(forked.iter().map(|e| leaf_hash(e)));
    let fork = Checkpoint::new(sim::ORIGIN, tree.size(), tree.root())
        .expect("checkpoint")
        .sign(sim.signer.note_signer());
    let lie = InclusionReceipt::from_tree(&tree, LeafIndex(3), &fork)
        .expect("receipt")
        .to_string();
    let given = [GivenReceipt {
        name: "fork.tlog-proof",
        bytes: lie.as_bytes(),
    }];
    let r = verify_receipts_with(&good, &given, check_entries);
    assert_eq!(
        r.first_failed_step(),
        Some(Step::Consistency),
        "{}",
        failures(&r)
    );
    let f = r.first_failure().expect("failure");
    assert!(
        f.message.starts_with(&format!(
            "the log signed two different trees of size {size}"
        )),
        "{f}"
    );

    // Through the command line: `--receipt`, repeatable; zh by default.
    let dir = tempdir("receipt");
    scrutineer::bundle_io::write_dir(&good, &dir).expect("writes");
    let good_file = dir.with_extension("good.tlog-proof");
    let lie_file = dir.with_extension("fork.tlog-proof");
    std::fs::write(&good_file, &text).expect("writes");
    std::fs::write(&lie_file, &lie).expect("writes");
    let (d, g, l) = (
        dir.to_str().expect("path"),
        good_file.to_str().expect("path"),
        lie_file.to_str().expect("path"),
    );
    let ok = run(&["verify", d, "--receipt", g]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    let zh = run(&["verify", d, "--receipt", g, "--receipt", l]);
    assert_eq!(zh.status.code(), Some(1), "{}", stdout(&zh));
    let want = format!("日志签署了两棵不同的、规模同为 {size} 的树");
    assert!(stdout(&zh).contains(&want), "{}", stdout(&zh));
    let en = run(&["verify", d, "--receipt", l, "--lang", "en"]);
    assert_eq!(en.status.code(), Some(1));
    assert!(
        stdout(&en).contains(&format!(
            "the log signed two different trees of size {size}"
        )),
        "{}",
        stdout(&en)
    );
    let missing = run(&["verify", d, "--receipt", "/nonexistent.tlog-proof"]);
    assert_eq!(missing.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_tiles_directory_verifies_like_the_bundle() {
    let sim = sim::meeting();
    let good = sim.bundle();
    let clean = verify(&good);
    let dir = tiles::from_bundle(&good).expect("tiles");
    assert!(tiles::is_tiles_dir(&dir));
    assert!(dir.files().all(|(p, _)| !p.starts_with("entries/")));
    let r = verify_tiles_with(&dir, None, &[], check_entries);
    assert!(r.is_verified(), "{}", failures(&r));
    assert_eq!(
        (r.tallies.clone(), r.entries),
        (clean.tallies.clone(), clean.entries)
    );

    // One changed byte in a hash tile, or an entry bundle: step 4.
    for prefix in ["tile/0/", "tile/entries/"] {
        let (path, bytes) = dir
            .files()
            .find(|(p, _)| p.starts_with(prefix))
            .map(|(p, b)| (p.to_owned(), b.to_vec()))
            .expect("a tile");
        let mut b = dir.clone();
        let mut bytes = bytes;
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        b.put(&path, bytes);
        let r = verify_tiles_with(&b, None, &[], check_entries);
        assert!(!r.is_verified(), "{path}");
        assert!(
            r.step(Step::Tree).status == scrutineer::log::verify::StepStatus::Failed,
            "{path}: {}",
            failures(&r)
        );
    }
    // A missing tile, an extra one.
    let mut b = dir.clone();
    b.remove("tile/0/000.p/".to_owned().as_str());
    let some_tile = dir
        .files()
        .map(|(p, _)| p.to_owned())
        .find(|p| p.starts_with("tile/0/"))
        .expect("tile");
    b.remove(&some_tile);
    assert!(!verify_tiles_with(&b, None, &[], check_entries).is_verified());
    let mut b = dir.clone();
    b.put("tile/3/000", vec![0; 32]);
    assert!(!verify_tiles_with(&b, None, &[], check_entries).is_verified());

    // Through the command line, from a directory on disk.
    let path = tempdir("tiles");
    scrutineer::bundle_io::write_dir(&dir, &path).expect("writes");
    let out = run(&["verify", path.to_str().expect("path"), "--lang", "en"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let _ = std::fs::remove_dir_all(&path);
}

/// A bare tlog-tiles mirror (checkpoint and tiles only) with the log key
/// given: the log, its entries and replay check out; what it cannot show
/// are the result checkpoints the log's cosignatures refer to.
#[test]
fn a_bare_tiles_mirror_verifies_all_but_the_result_checkpoints() {
    let sim = sim::meeting();
    let dir = tiles::from_bundle(&sim.bundle()).expect("tiles");
    let mut bare = Bundle::new();
    for (p, b) in dir.files() {
        if p == tiles::CHECKPOINT || p.starts_with("tile/") {
            bare.put(p, b.to_vec());
        }
    }
    let key = sim.log_vkey();
    let r = verify_tiles_with(&bare, Some(&key), &[], check_entries);
    let failed: Vec<Step> = r
        .steps
        .iter()
        .filter(|s| s.status == scrutineer::log::verify::StepStatus::Failed)
        .map(|s| s.step)
        .collect();
    assert_eq!(failed, [Step::Cosignatures], "{}", failures(&r));
    assert!(
        failures(&r).contains("which the bundle lacks"),
        "{}",
        failures(&r)
    );
    // Without a log key there is nothing to check the checkpoint with.
    let r = verify_tiles_with(&bare, None, &[], check_entries);
    assert_eq!(r.first_failed_step(), Some(Step::Files));
}

// ---- third-party implementations ----

/// A tlog-cosignature/v1 verifier for the `signed_note` crate, written
/// from the spec: type 0x04 key ID, timestamp, Ed25519 over
/// `cosignature/v1\ntime T\n` + the note text.
struct CosignatureV1 {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl signed_note::Verifier for CosignatureV1 {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let (Some(ts), Some(sig)) = (sig.get(..8), sig.get(8..)) else {
            return false;
        };
        let ts = u64::from_be_bytes(ts.try_into().expect("8 bytes"));
        let mut m = format!("cosignature/v1\ntime {ts}\n").into_bytes();
        m.extend_from_slice(msg);
        assert_eq!(
            m,
            cosigned_message(std::str::from_utf8(msg).expect("utf-8"), ts),
            "our message is the spec's"
        );
        Signature::from_slice(sig).is_ok_and(|s| self.key.verify_strict(&m, &s).is_ok())
    }
}

fn cosigner_verifier(k: &VerifierKey) -> Box<dyn signed_note::Verifier> {
    assert_eq!(k.sig_type(), SignatureType::CosignatureV1);
    Box::new(CosignatureV1 {
        name: k.name().to_string(),
        id: u32::from_be_bytes(k.id().0),
        key: *k.public_key(),
    })
}

#[test]
fn signed_note_opens_every_checkpoint_and_cosignature() {
    let sim = sim::meeting();
    let b = sim.bundle();
    let log = signed_note::StandardVerifier::new(&sim.log_vkey().to_string()).expect("vkey");
    let mut list: Vec<Box<dyn signed_note::Verifier>> = vec![Box::new(log)];
    for (_, _, c) in &sim.scrutineers {
        list.push(cosigner_verifier(c.verifier_key()));
    }
    let known = signed_note::VerifierList::new(list);
    let mut cosigned = 0;
    for cp in b.parts().checkpoints {
        let note = signed_note::Note::from_bytes(cp.bytes).expect("a note to signed_note");
        let (verified, unverified) = note.verify(&known).expect("verifies with signed_note");
        assert!(unverified.is_empty(), "{}", cp.path);
        assert_eq!(verified[0].name(), sim::ORIGIN);
        cosigned += verified.len() - 1;
        // tlog_tiles parses the body as a checkpoint.
        let c = tlog_tiles::Checkpoint::from_bytes(note.text()).expect("tlog_tiles checkpoint");
        assert_eq!((c.origin(), c.size()), (sim::ORIGIN, cp.number));
    }
    assert_eq!(
        cosigned, 6,
        "two cosignatures on each of three result checkpoints"
    );
    // A witness line is an unverified signature to signed_note too.
    let fin = final_path(&b);
    let w = witness();
    let with_witness = with_line(&b, &fin, |n| {
        let c = Checkpoint::parse(n.text()).expect("checkpoint");
        w.cosign(&c, 1_717_300_000).expect("cosigns").to_string()
    });
    let note = signed_note::Note::from_bytes(with_witness.get(&fin).expect("note")).expect("note");
    let (_, unverified) = note.verify(&known).expect("verifies");
    assert_eq!(unverified.len(), 1);
}

/// Known answers of Go's sumdb/note, kept passing through `signed_note`
/// and through ours on the same bytes.
#[test]
fn go_sumdb_note_vectors_agree() {
    const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const MSG: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n\n\
                       \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    let theirs = signed_note::VerifierList::new(vec![Box::new(
        signed_note::StandardVerifier::new(VKEY).expect("vkey"),
    )]);
    let note = signed_note::Note::from_bytes(MSG.as_bytes()).expect("note");
    assert_eq!(note.verify(&theirs).expect("verifies").0.len(), 1);
    let ours = VerifierKey::parse(VKEY).expect("vkey");
    assert!(Note::parse(MSG)
        .expect("note")
        .verify(std::slice::from_ref(&ours))
        .is_ok());
    assert_eq!(
        u32::from_be_bytes(ours.id().0),
        signed_note::key_id(
            "PeterNeumann",
            &[&[0x01][..], ours.public_key().as_bytes()].concat()
        )
    );
}

/// `tlog_tiles` as a tiles client: reads the hash tiles of the exported
/// directory (its paths carry the tile height, `tile/8/…`; C2SP drops it),
/// authenticates them against the checkpoint, and proves every entry and
/// every checkpoint's consistency from them.
#[test]
fn tlog_tiles_reads_the_tiles_as_a_client() {
    struct Dir(Bundle);
    impl tlog_tiles::TileReader for Dir {
        fn height(&self) -> u8 {
            8
        }
        fn read_tiles(
            &self,
            tiles: &[tlog_tiles::Tile],
        ) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
            tiles
                .iter()
                .map(|t| {
                    let path = t.path().replacen("tile/8/", "tile/", 1);
                    self.0
                        .get(&path)
                        .map(<[u8]>::to_vec)
                        .ok_or(tlog_tiles::Error::InvalidTile)
                })
                .collect()
        }
        fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
    }
    let sim = sim::meeting();
    let bundle = sim.bundle();
    let dir = Dir(tiles::from_bundle(&bundle).expect("tiles"));
    let note = signed_note::Note::from_bytes(dir.0.get(tiles::CHECKPOINT).expect("checkpoint"))
        .expect("note");
    let cp = tlog_tiles::Checkpoint::from_bytes(note.text()).expect("checkpoint");
    let (size, root) = (cp.size(), *cp.hash());
    let reader = tlog_tiles::TileHashReader::new(size, root, &dir);
    assert_eq!(
        tlog_tiles::tree_hash(size, &reader).expect("tree hash"),
        root
    );
    let parts = bundle.parts();
    for (i, entry) in parts.entries.iter().enumerate() {
        let proof = tlog_tiles::prove_record(size, i as u64, &reader).expect("proof");
        let leaf = tlog_tiles::record_hash(entry);
        tlog_tiles::check_record(&proof, size, root, i as u64, leaf).expect("included");
    }
    for cp in &parts.checkpoints {
        let c = Checkpoint::parse(Note::from_bytes(cp.bytes).expect("note").text()).expect("cp");
        let old = tlog_tiles::Hash(c.root().0);
        let proof = tlog_tiles::prove_tree(size, c.size().0, &reader).expect("proof");
        tlog_tiles::check_tree(&proof, size, root, c.size().0, old).expect("consistent");
    }
    // The entry bundles hold the entries, in order.
    let mut read = Vec::new();
    for (p, b) in dir
        .0
        .files()
        .filter(|(p, _)| p.starts_with("tile/entries/"))
    {
        read.extend(tiles::read_entry_bundle(p, b).expect("bundle"));
    }
    assert_eq!(read.len(), parts.entries.len());
}

/// `ct-merkle` checks the inclusion proof of every tally receipt and the
/// consistency of the result checkpoints with the final one.
#[test]
fn ct_merkle_checks_the_receipts_and_consistency() {
    use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
    use sha2::Sha256;
    let sim = sim::meeting();
    let b = sim.bundle();
    let r = verify(&b);
    let parts = b.parts();
    let n = parts.entries.len() as u64;
    let final_root = r.final_checkpoint.expect("final").1;
    let final_root = RootHash::<Sha256>::new(final_root.0.into(), n);
    for t in &r.tallies {
        let receipt = InclusionReceipt::parse(&tally_receipt(&b, &r, &t.round)).expect("receipt");
        let c = Checkpoint::parse(receipt.checkpoint().text()).expect("checkpoint");
        let root = RootHash::<Sha256>::new(c.root().0.into(), c.size().0);
        let bytes: Vec<u8> = receipt.proof().iter().flat_map(|h| h.0).collect();
        let proof = InclusionProof::<Sha256>::try_from_bytes(bytes).expect("proof");
        let entry = parts.entries[t.entry as usize].to_vec();
        root.verify_inclusion(&entry, t.entry, &proof)
            .expect("ct-merkle accepts the receipt");
        // Consistency of the result checkpoint with the final one.
        let tree = Tree::from_leaf_hashes(parts.entries.iter().map(|e| leaf_hash(e)));
        let cons = tree
            .consistency_proof(c.size(), tree.size())
            .expect("proof");
        let cons: Vec<u8> = cons.iter().flat_map(|h| h.0).collect();
        let cons = ConsistencyProof::<Sha256>::try_from_bytes(cons).expect("proof");
        final_root
            .verify_consistency(&root, &cons)
            .expect("ct-merkle accepts the consistency proof");
    }
}

// ---- the service, over HTTP ----

/// The demo meeting: r1 is tallied and cosigned by its three scrutineers.
/// Its receipt (downloaded, and in the statement) verifies against the
/// bundle; `tlog_tiles` reads the log over `GET …/tlog/…` as a client;
/// only the bundle's readers may read either.
#[test]
fn the_service_serves_receipts_and_tiles() {
    use common::server::Server;
    let server = Server::start("c2sp");
    let demo = server.service.seed_demo().expect("demo");
    let c = server.client();
    let token = |role: &str| {
        let l = demo.links.iter().find(|l| l.role == role).expect(role);
        l.url
            .split("#token=")
            .nth(1)
            .and_then(|t| t.split('&').next())
            .expect("token")
            .to_string()
    };
    let auditor = token("auditor");
    let base = format!("/api/meetings/{}", demo.meeting);
    let b = common::bundle::read(&c.get(&format!("{base}/bundle"), &auditor).expect(200).body);

    let download = c
        .get(&format!("{base}/rounds/r1/receipt"), &auditor)
        .expect(200);
    assert_eq!(
        download.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        download
            .header("content-disposition")
            .is_some_and(|d| d.ends_with("-r1.tlog-proof\"")),
        "{:?}",
        download.headers
    );
    let text = download.text();
    let statement = c
        .get(&format!("{base}/rounds/r1/statement"), &auditor)
        .expect(200)
        .json();
    assert_eq!(statement["receipt"].as_str(), Some(text.as_str()));
    let receipt = InclusionReceipt::parse(&text).expect("parses");
    assert_eq!(
        receipt.index().0,
        statement["tally_index"].as_u64().expect("index")
    );
    assert_eq!(
        receipt.checkpoint().signatures().len(),
        4,
        "the log and three scrutineers"
    );
    let given = [GivenReceipt {
        name: "r1.tlog-proof",
        bytes: text.as_bytes(),
    }];
    let r = verify_receipts_with(&b, &given, check_entries);
    assert!(r.is_verified(), "{}", failures(&r));
    c.get(&format!("{base}/rounds/r2/receipt"), &auditor)
        .problem(409, "round_not_tallied");
    c.get(&format!("{base}/rounds/r1/receipt"), &token("display"))
        .problem(403, "forbidden_role");

    // The tiles: `checkpoint` is the bundle's final note; a standard
    // client authenticates every tile it reads against it.
    let tlog = format!("{base}/tlog/");
    let cp = c.get(&format!("{tlog}checkpoint"), &auditor).expect(200);
    assert_eq!(cp.header("content-type"), Some("text/plain; charset=utf-8"));
    let parts = b.parts();
    assert_eq!(cp.body, parts.checkpoints.last().expect("final").bytes);
    struct Http<'a> {
        c: common::http::Client,
        prefix: &'a str,
        token: &'a str,
    }
    impl tlog_tiles::TileReader for Http<'_> {
        fn height(&self) -> u8 {
            8
        }
        fn read_tiles(
            &self,
            tiles: &[tlog_tiles::Tile],
        ) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
            tiles
                .iter()
                .map(|t| {
                    let path = t.path().replacen("tile/8/", "tile/", 1);
                    let r = self.c.get(&format!("{}{path}", self.prefix), self.token);
                    (r.status == 200)
                        .then_some(r.body)
                        .ok_or(tlog_tiles::Error::InvalidTile)
                })
                .collect()
        }
        fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
    }
    let note = signed_note::Note::from_bytes(&cp.body).expect("note");
    let log_key = b
        .parts()
        .log_key
        .map(|k| String::from_utf8_lossy(k).trim().to_owned());
    let known = signed_note::VerifierList::new(vec![Box::new(
        signed_note::StandardVerifier::new(&log_key.expect("log.vkey")).expect("vkey"),
    )]);
    note.verify(&known).expect("signed by the log");
    let checkpoint = tlog_tiles::Checkpoint::from_bytes(note.text()).expect("checkpoint");
    let (size, root) = (checkpoint.size(), *checkpoint.hash());
    let http = Http {
        c: server.client(),
        prefix: &tlog,
        token: &auditor,
    };
    let reader = tlog_tiles::TileHashReader::new(size, root, &http);
    assert_eq!(
        tlog_tiles::tree_hash(size, &reader).expect("tree hash"),
        root
    );
    for (i, entry) in parts.entries.iter().enumerate() {
        let proof = tlog_tiles::prove_record(size, i as u64, &reader).expect("proof");
        tlog_tiles::check_record(&proof, size, root, i as u64, tlog_tiles::record_hash(entry))
            .expect("included");
    }
    // Entry bundles: the entries, byte for byte.
    let width = size % 256;
    let bundle_path = if size < 256 {
        format!("tile/entries/000.p/{width}")
    } else {
        "tile/entries/000".to_owned()
    };
    let got = c.get(&format!("{tlog}{bundle_path}"), &auditor).expect(200);
    assert_eq!(got.header("content-type"), Some("application/octet-stream"));
    let entries = tiles::read_entry_bundle(&bundle_path, &got.body).expect("entries");
    assert_eq!(entries[0], parts.entries[0]);
    // A partial tile of an earlier size, served for a client behind.
    let earlier = c
        .get(&format!("{tlog}tile/0/000.p/1"), &auditor)
        .expect(200);
    assert_eq!(earlier.body, leaf_hash(parts.entries[0]).0.to_vec());
    for bad in ["tile/0/999", "tile/0/000.p/0", "tiles", "tile/0/000/extra"] {
        c.get(&format!("{tlog}{bad}"), &auditor)
            .problem(404, "not_found");
    }
    c.get(&format!("{tlog}checkpoint"), &token("counter"))
        .problem(403, "forbidden_role");

    // The export to a tiles directory: what `scrutineer verify` reads.
    let conn = rusqlite::Connection::open(server.dir.path().join("meeting.db")).expect("db");
    let one_line = |p: &str| {
        String::from_utf8_lossy(b.get(p).expect(p))
            .trim()
            .to_owned()
    };
    let identity = scrutineer::store::bundle::LogIdentity {
        log: demo.meeting.clone(),
        origin: one_line("origin"),
        log_key: VerifierKey::parse(&one_line("log.vkey")).expect("vkey"),
    };
    let out = tempdir("export");
    let summary =
        scrutineer::store::bundle::export_tiles(&conn, &identity, &out).expect("exports tiles");
    assert_eq!(summary.entries, parts.entries.len() as u64);
    assert_eq!(
        std::fs::read(out.join("checkpoint")).expect("checkpoint"),
        cp.body
    );
    let run_out = run(&["verify", out.to_str().expect("path"), "--lang", "en"]);
    assert!(run_out.status.success(), "{}", stdout(&run_out));
    let _ = std::fs::remove_dir_all(&out);
}
