//! The golden bundle (`fixtures/golden/`, `docs/audit-bundle.md` §16): a
//! real meeting made deterministically (fixed keys, fixed clock: the
//! meeting of `tests/sim` — a preliminary round, a formal round with a tie
//! for the last seat and its runoff, 2-of-3 cosigning — plus a witness
//! cosignature line on the final checkpoint), its expected `verify` output
//! in both languages, the receipt of the runoff's result (which `verify
//! --receipt` accepts), and tampered variants with the step each must fail.
//!
//! This test regenerates everything in memory and requires the files on
//! disk to be the same bytes; it runs `verify` on the files and requires
//! the expected output. After a deliberate format change, regenerate with
//!
//! ```text
//! SCRUTINEER_BLESS=1 cargo test --test it golden::
//! ```
//!
//! and review the diff of `fixtures/golden/`.

use crate::sim;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use scrutineer::log::bundle::Bundle;
use scrutineer::log::checkpoint::Checkpoint;
use scrutineer::log::cosignature::Cosigner;
use scrutineer::log::note::{KeyName, Note};
use scrutineer::log::verify::{verify, Step};
use scrutineer::report::{verify_report, Lang};

const DIR: &str = "fixtures/golden";
/// How the expected output names the bundle.
const SHOWN_AS: &str = "fixtures/golden/bundle";

/// The witness of the golden bundle: a key nobody registered.
fn witness() -> Cosigner {
    Cosigner::new(
        KeyName::new("witness.example/w1").expect("name"),
        ed25519_dalek::SigningKey::from_bytes(&[77; 32]),
    )
}

/// The golden bundle, from nothing but fixed keys and a fixed clock.
fn golden() -> Bundle {
    let sim = sim::meeting();
    let mut b = sim.bundle();
    let last = b.parts().checkpoints.last().expect("final").path.to_owned();
    let text = String::from_utf8(b.get(&last).expect("note").to_vec()).expect("utf-8");
    let mut note = Note::parse(&text).expect("note");
    let c = Checkpoint::parse(note.text()).expect("checkpoint");
    note.add_signature(
        witness()
            .cosign(&c, sim::START_MS / 1000 + 7_200)
            .expect("cosigns"),
    );
    b.put(&last, note.to_string().into_bytes());
    b
}

/// The tampered variants: one byte of one file changed (`xor`), and the
/// first step that must fail (0: none, the bundle still verifies).
fn tampered(b: &Bundle) -> Value {
    let parts = b.parts();
    let last_cp = parts.checkpoints.last().expect("final").path.to_owned();
    let result = cosigned_result(b);
    let v = |name: &str, file: &str, offset: usize, xor: u8, step: u8, why: &str| json!({"name": name, "file": file, "offset": offset, "xor": xor, "step": step, "why": why});
    json!([
        v("entry byte", "entries/00000000.bin", parts.entries[0].len() - 1, 1, Step::Tree.number(),
          "an entry's leaf hash changes: the checkpoints' roots no longer match (its signature fails too, step 6)"),
        v("ballot in a batch", "entries/00000010.bin", 60, 1, Step::Tree.number(),
          "a changed entry no longer has the root its checkpoints sign"),
        v("checkpoint root", &last_cp, letter_in_line(b, &last_cp, 2), 0x20, Step::CheckpointSignatures.number(),
          "the log's signature covers the root"),
        v("checkpoint signature", &last_cp, letter_in_line(b, &last_cp, 4), 0x20, Step::CheckpointSignatures.number(),
          "the log key's line no longer verifies"),
        v("log key", "log.vkey", 5, 0x20, Step::Files.number(),
          "the key ID no longer matches the key's name"),
        v("witness line", &last_cp, letter_in_line(b, &last_cp, line_count(b, &last_cp) - 1), 0x20, 0,
          "a line by a key nobody registered is never checked: the bundle still verifies"),
        v("scrutineer's cosignature", &result, letter_in_line(b, &result, line_count(b, &result) - 1), 0x20, Step::Cosignatures.number(),
          "a line by a registered scrutineer must verify"),
    ])
}

/// Number of lines of a file.
fn line_count(b: &Bundle, path: &str) -> usize {
    b.get(path)
        .expect("file")
        .iter()
        .filter(|c| **c == b'\n')
        .count()
}

/// The offset of an ASCII letter two thirds into line `line` (0-based) of
/// a file: xor 0x20 turns it into another letter, so base64 stays base64
/// and only the value changes.
fn letter_in_line(b: &Bundle, path: &str, line: usize) -> usize {
    let bytes = b.get(path).expect("file");
    let start: usize = bytes
        .split(|c| *c == b'\n')
        .take(line)
        .map(|l| l.len() + 1)
        .sum();
    let len = bytes[start..]
        .iter()
        .position(|c| *c == b'\n')
        .expect("line");
    (start + len * 2 / 3..start + len)
        .find(|&i| bytes[i].is_ascii_alphabetic())
        .expect("a letter")
}

/// The result checkpoint of the runoff (cosigned by two scrutineers).
fn cosigned_result(b: &Bundle) -> String {
    let r = verify(b);
    let t = r.tallies.last().expect("tally");
    scrutineer::log::bundle::checkpoint_path(t.certification.checkpoint)
}

/// Every file of the fixture: the bundle, the expected outputs, the
/// tampered variants.
fn fixture() -> Vec<(PathBuf, Vec<u8>)> {
    let b = golden();
    let r = verify(&b);
    assert!(r.is_verified(), "the golden bundle verifies");
    let mut files: Vec<(PathBuf, Vec<u8>)> = b
        .files()
        .map(|(p, bytes)| (Path::new("bundle").join(p), bytes.to_vec()))
        .collect();
    for (lang, name) in [(Lang::Zh, "verify.zh.txt"), (Lang::En, "verify.en.txt")] {
        let text = verify_report::render(SHOWN_AS, &r, None, lang);
        files.push((PathBuf::from(name), text.into_bytes()));
    }
    let t = r.tallies.last().expect("tally");
    let receipt = b.receipt(t.entry, t.entry + 1).expect("receipt");
    files.push((
        PathBuf::from("f1-r.tlog-proof"),
        receipt.to_string().into_bytes(),
    ));
    let mut t = serde_json::to_string_pretty(&tampered(&b)).expect("json");
    t.push('\n');
    files.push((PathBuf::from("tampered.json"), t.into_bytes()));
    files
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR)
}

/// With `SCRUTINEER_BLESS` set, rewrites `fixtures/golden/` once, before
/// any test of this file reads it.
fn fixtures_ready() {
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        if std::env::var_os("SCRUTINEER_BLESS").is_some() {
            let _ = std::fs::remove_dir_all(root());
            for (p, bytes) in &fixture() {
                let path = root().join(p);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                std::fs::write(&path, bytes).expect("write");
            }
        }
    });
}

#[test]
fn the_golden_bundle_is_what_the_generator_makes() {
    fixtures_ready();
    let files = fixture();
    // Same files, same bytes: nothing missing, nothing extra.
    let on_disk = scrutineer::bundle_io::read_bundle(&root().join("bundle"))
        .expect("fixtures/golden/bundle (regenerate: SCRUTINEER_BLESS=1)");
    let made = golden();
    assert_eq!(on_disk.len(), made.len(), "number of files");
    for (p, bytes) in made.files() {
        assert_eq!(
            on_disk.get(p),
            Some(bytes),
            "{p} differs from the generator's (regenerate: SCRUTINEER_BLESS=1)"
        );
    }
    for (p, bytes) in files.iter().filter(|(p, _)| !p.starts_with("bundle")) {
        let disk = std::fs::read(root().join(p)).expect("fixture file");
        assert_eq!(
            &disk,
            bytes,
            "{} differs (regenerate: SCRUTINEER_BLESS=1)",
            p.display()
        );
    }
}

/// The golden bundle's payloads, one a line: the corpus of every kind of
/// event that `log::event`'s unit tests read (fixtures/log/payloads.jsonl;
/// regenerated with the rest by `SCRUTINEER_BLESS=1`).
#[test]
fn the_payload_lines_are_the_golden_bundles() {
    let b = golden();
    let mut lines = Vec::new();
    for bytes in &b.parts().entries {
        let entry = scrutineer::log::entry::Entry::decode(bytes).expect("entry");
        assert!(!entry.payload().contains(&b'\n'));
        lines.extend_from_slice(entry.payload());
        lines.push(b'\n');
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/log/payloads.jsonl");
    if std::env::var_os("SCRUTINEER_BLESS").is_some() {
        std::fs::write(&path, &lines).expect("write");
    }
    assert!(
        std::fs::read(&path).expect("fixtures/log/payloads.jsonl") == lines,
        "fixtures/log/payloads.jsonl differs from the golden bundle's payloads (regenerate: SCRUTINEER_BLESS=1)"
    );
}

#[test]
fn verify_prints_the_expected_output() {
    fixtures_ready();
    let dir = root().join("bundle");
    for (lang, name) in [("zh", "verify.zh.txt"), ("en", "verify.en.txt")] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["verify", SHOWN_AS, "--lang", lang, "--receipt"])
            .arg(root().join("f1-r.tlog-proof"))
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = std::fs::read_to_string(root().join(name)).expect("expected output");
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{lang}");
    }
    assert!(dir.is_dir());
}

#[test]
fn each_tampered_variant_fails_at_its_step() {
    fixtures_ready();
    let b = scrutineer::bundle_io::read_bundle(&root().join("bundle")).expect("bundle");
    let variants: Value = serde_json::from_slice(
        &std::fs::read(root().join("tampered.json")).expect("tampered.json"),
    )
    .expect("json");
    for v in variants.as_array().expect("list") {
        let file = v["file"].as_str().expect("file");
        let offset = v["offset"].as_u64().expect("offset") as usize;
        let mut bytes = b.get(file).expect("file in the bundle").to_vec();
        bytes[offset] ^= v["xor"].as_u64().expect("xor") as u8;
        let mut t = b.clone();
        t.put(file, bytes);
        let r = verify(&t);
        let want = v["step"].as_u64().expect("step");
        let got = r.first_failed_step().map_or(0, |s| u64::from(s.number()));
        assert_eq!(
            got,
            want,
            "{}: {:?}",
            v["name"],
            r.first_failure().map(|f| f.to_string())
        );
    }
}

/// docs/audit-bundle.md quotes the golden bundle byte for byte (§5.2's
/// result checkpoint, §7's `keys.txt`): the quotes must be the files.
#[test]
fn the_document_quotes_the_golden_bundle_exactly() {
    let doc = include_str!("../docs/audit-bundle.md");
    for file in [
        "fixtures/golden/bundle/checkpoints/00000062.note",
        "fixtures/golden/bundle/keys.txt",
    ] {
        let text = std::fs::read_to_string(file).expect(file);
        assert!(
            doc.contains(&format!("```text\n{text}```")),
            "docs/audit-bundle.md does not quote {file} exactly"
        );
        let name = file.rsplit('/').next().expect("name");
        assert!(
            doc.contains(name),
            "docs/audit-bundle.md does not name {file}"
        );
    }
}
