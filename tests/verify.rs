//! The auditor's verifier against a realistic meeting built by the
//! simulator in `tests/sim`: it verifies, through SQLite, a directory and a
//! zip; every kind of tampering fails at the step that should catch it.

mod sim;

use scrutineer::log::bundle::Bundle;
use scrutineer::log::verify::{verify, Step, VerifyReport};

fn check_verified(b: &Bundle) -> VerifyReport {
    let r = verify(b);
    assert!(
        r.is_verified(),
        "{}",
        r.failures()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    r
}

fn check_fails_at(b: &Bundle, step: Step, what: &str) -> VerifyReport {
    let r = verify(b);
    assert!(!r.is_verified(), "{what}: verified");
    assert_eq!(
        r.first_failed_step(),
        Some(step),
        "{what}: {}",
        r.failures()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    r
}

#[test]
fn a_realistic_meeting_verifies() {
    let sim = sim::meeting();
    let r = check_verified(&sim.bundle());
    assert_eq!(r.tallies.len(), 3);
    let status: Vec<&str> = r.tallies.iter().map(|t| t.status.as_str()).collect();
    assert_eq!(status, ["complete", "runoff_required", "complete"]);
    assert_eq!(r.quorum, Some((2, 3)));
    let who: Vec<&str> = r.cosigned.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(who, ["张监票", "王监票"]);
    assert!(r.ballots > 1400, "{}", r.ballots);
    assert_eq!(r.final_checkpoint.map(|c| c.0), Some(r.entries));
}

/// Which steps may be the first to fail when a byte of `path` changes.
fn expected_steps(path: &str) -> &'static [Step] {
    match path {
        "origin" => &[Step::Files, Step::CheckpointSignatures],
        "log.vkey" => &[Step::Files],
        "keys.txt" => &[Step::Files, Step::Replay],
        p if p.starts_with("entries/") => &[Step::Tree],
        p if p.starts_with("checkpoints/") => {
            &[Step::Files, Step::CheckpointSignatures, Step::Cosignatures]
        }
        _ => &[],
    }
}

/// Flipping any single byte of any file fails verification at the step
/// that owns the file: every file's first and last byte and a spread of
/// positions in between, each with two different flips.
#[test]
fn flipping_any_byte_of_any_file_fails() {
    let good = sim::meeting().bundle();
    check_verified(&good);
    let mut tried = 0;
    for (path, bytes) in good.files() {
        let len = bytes.len();
        let mut positions: Vec<usize> = vec![0, len - 1];
        let spread = 7.min(len);
        positions.extend((1..spread).map(|k| k * len / spread));
        // A pseudo-random few more, deterministic.
        let mut x = len as u64 * 2_654_435_761 + 7;
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            positions.push((x % len as u64) as usize);
        }
        positions.sort_unstable();
        positions.dedup();
        for at in positions {
            for flip in [0x01u8, 0x80] {
                let mut b = good.clone();
                let mut m = bytes.to_vec();
                m[at] ^= flip;
                b.put(path, m);
                let r = verify(&b);
                let first = r.first_failed_step();
                assert!(
                    !r.is_verified() && first.is_some_and(|s| expected_steps(path).contains(&s)),
                    "{path} byte {at} ^ {flip:#x}: first failed step {first:?}\n{}",
                    r.failures()
                        .map(|f| f.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                );
                tried += 1;
            }
        }
    }
    assert!(tried > 300, "{tried}");
}

fn entry_files(b: &Bundle) -> Vec<(String, Vec<u8>)> {
    b.files()
        .filter(|(p, _)| p.starts_with("entries/"))
        .map(|(p, d)| (p.to_owned(), d.to_vec()))
        .collect()
}

/// Rewrites the entries of `b` as `f` reorders them.
fn with_entries(b: &Bundle, f: impl FnOnce(&mut Vec<Vec<u8>>)) -> Bundle {
    let files = entry_files(b);
    let mut entries: Vec<Vec<u8>> = files.iter().map(|(_, d)| d.clone()).collect();
    f(&mut entries);
    let mut out = b.clone();
    for (p, _) in &files {
        out.remove(p);
    }
    for (i, e) in entries.into_iter().enumerate() {
        out.put(&scrutineer::log::bundle::entry_path(i as u64), e);
    }
    out
}

#[test]
fn dropping_duplicating_swapping_or_truncating_entries_fails_at_the_tree() {
    let good = sim::meeting().bundle();
    let n = entry_files(&good).len();
    for i in [0, 1, n / 2, n - 1] {
        let b = with_entries(&good, |e| {
            e.remove(i);
        });
        check_fails_at(&b, Step::Tree, &format!("drop entry {i}"));
        let b = with_entries(&good, |e| {
            let copy = e[i].clone();
            e.insert(i, copy);
        });
        check_fails_at(&b, Step::Tree, &format!("duplicate entry {i}"));
        let j = (i + 7) % n;
        let b = with_entries(&good, |e| e.swap(i, j));
        check_fails_at(&b, Step::Tree, &format!("swap entries {i} and {j}"));
        // A gap: the file is gone, later ones keep their numbers.
        let mut b = good.clone();
        b.remove(&scrutineer::log::bundle::entry_path(i as u64));
        check_fails_at(&b, Step::Tree, &format!("remove file of entry {i}"));
    }
    // Truncation with the checkpoints that cover the lost entries removed
    // too: what is left is signed, but the result is no longer cosigned.
    let mut b = with_entries(&good, |e| e.truncate(n - 3));
    let notes: Vec<String> = b
        .files()
        .filter(|(p, _)| p.starts_with("checkpoints/"))
        .map(|(p, _)| p.to_owned())
        .collect();
    let last = notes.last().cloned().unwrap_or_default();
    b.remove(&last);
    let r = verify(&b);
    assert!(!r.is_verified());
    assert!(
        matches!(r.first_failed_step(), Some(Step::Cosignatures | Step::Tree)),
        "{:?}",
        r.first_failure()
    );
}

#[test]
fn replacing_a_key_fails() {
    let sim = sim::meeting();
    let good = sim.bundle();
    // Another log key: the checkpoints no longer open.
    let other = scrutineer::log::note::NoteSigner::new(
        scrutineer::log::note::KeyName::new(sim::ORIGIN).unwrap(),
        ed25519_dalek::SigningKey::from_bytes(&[99; 32]),
    );
    let mut b = good.clone();
    b.put(
        "log.vkey",
        format!("{}\n", other.verifier_key()).into_bytes(),
    );
    check_fails_at(&b, Step::CheckpointSignatures, "another log key");
    // A scrutineer's key replaced in keys.txt.
    let impostor = scrutineer::log::cosignature::Cosigner::new(
        scrutineer::log::note::KeyName::new("li.jianpiao").unwrap(),
        ed25519_dalek::SigningKey::from_bytes(&[98; 32]),
    );
    let real = sim.scrutineers[1].2.verifier_key().to_string();
    let keys = String::from_utf8(good.get("keys.txt").unwrap().to_vec()).unwrap();
    assert!(keys.contains(&real));
    let mut b = good.clone();
    b.put(
        "keys.txt",
        keys.replace(&real, &impostor.verifier_key().to_string())
            .into_bytes(),
    );
    let r = check_fails_at(&b, Step::Replay, "scrutineer key replaced in keys.txt");
    assert!(r.first_failure().unwrap().to_string().contains("keys.txt"));
}

#[test]
fn too_few_cosignatures_fail_at_step_3() {
    let mut sim = sim::meeting();
    // Re-sign the final checkpoint with one cosignature only.
    sim.notes.pop();
    sim.finish(&[1]);
    let r = check_fails_at(&sim.bundle(), Step::Cosignatures, "1 of 3");
    let msg = r.first_failure().unwrap().to_string();
    assert!(msg.contains("2 of 3") && msg.contains("李监票"), "{msg}");
}

/// A lying service: the published count is wrong but everything is signed
/// and cosigned. Only replay catches it, and says what differs.
#[test]
fn an_edited_published_count_fails_only_at_replay() {
    let sim = sim::meeting_with(|s| {
        s.corrupt_tally = Some(Box::new(|round, v| {
            if round == "f1" {
                let row = &mut v["tally"][0];
                let n = row["for"].as_u64().unwrap();
                row["for"] = (n + 1).into();
            }
        }));
    });
    let r = check_fails_at(&sim.bundle(), Step::Replay, "edited count");
    let f = r.first_failure().unwrap();
    assert_eq!(f.round.as_deref(), Some("f1"));
    let name = sim.round("f1").candidates[0].clone();
    assert!(
        f.message
            .contains(&format!("published for-votes of {name}")),
        "{f}"
    );
    assert!(r.step(Step::Cosignatures).status == scrutineer::log::verify::StepStatus::Passed);
}
