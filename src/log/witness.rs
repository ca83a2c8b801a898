//! The witness side of C2SP tlog-witness (<https://c2sp.org/tlog-witness>):
//! reading an `add-checkpoint` request and deciding whether to cosign it.
//!
//! PURE: the caller looks up the log's key by origin, reads the latest
//! checkpoint it cosigned for that origin, passes the clock in, and stores
//! the result atomically with the check (`store::witness`). A witness
//! cosigns a checkpoint only when the log signed it and it extends, by a
//! valid RFC 6962 consistency proof, the last tree the witness cosigned
//! for that origin — so a log that rolls back or shows two different trees
//! of one size is refused, and the refusal is evidence.
//!
//! Status codes follow the spec: 400 bad request (unreadable body, old size
//! above the checkpoint's), 403 no trusted signature, 404 unknown origin,
//! 409 the old size is not the witness's latest (body: that size) or equal
//! sizes with different roots, 422 the consistency proof does not verify.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine as _};

use super::checkpoint::{parse_decimal, Checkpoint};
use super::cosignature::Cosigner;
use super::merkle::{verify_consistency, Hash, TreeSize};
use super::note::{Note, NoteSignature, VerifierKey};

/// The spec's bound on consistency proof lines.
pub const MAX_PROOF_LINES: usize = 63;

/// Largest request body a witness reads (a checkpoint note with a few
/// signatures and 63 proof lines is well under 16 KiB).
pub const MAX_REQUEST_LEN: usize = 16 * 1024;

/// The `Content-Type` of a 409 response's body.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// A parsed `add-checkpoint` request body.
#[derive(Clone, Debug)]
pub struct AddCheckpoint {
    /// The size of the previous checkpoint the log believes the witness holds.
    pub old: u64,
    /// Consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint.
    pub note: Note,
    /// Its parsed body.
    pub checkpoint: Checkpoint,
}

/// What the witness last cosigned for one origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latest {
    /// Tree size.
    pub size: u64,
    /// Root hash at that size.
    pub root: Hash,
}

/// Why a witness refuses a request; each maps to one HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 400: the body is not an add-checkpoint request, or old > size.
    BadRequest(String),
    /// 403: no signature by the log's trusted key verifies.
    Forbidden,
    /// 404: the witness does not know the checkpoint's origin.
    UnknownLog(String),
    /// 409: the old size is not the latest the witness cosigned.
    Conflict {
        /// The size of the latest checkpoint the witness cosigned.
        latest: u64,
    },
    /// 409: same size as the latest cosigned, another root (a split view).
    SameSizeOtherRoot {
        /// That size.
        size: u64,
    },
    /// 422: the consistency proof does not verify (a rewritten log).
    Inconsistent {
        /// The old size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
}

impl Refusal {
    /// The HTTP status code the spec assigns.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadRequest(_) => 400,
            Refusal::Forbidden => 403,
            Refusal::UnknownLog(_) => 404,
            Refusal::Conflict { .. } | Refusal::SameSizeOtherRoot { .. } => 409,
            Refusal::Inconsistent { .. } => 422,
        }
    }

    /// Stable name, for the witness's record of refusals.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::BadRequest(_) => "bad_request",
            Refusal::Forbidden => "forbidden",
            Refusal::UnknownLog(_) => "unknown_log",
            Refusal::Conflict { .. } => "old_size_conflict",
            Refusal::SameSizeOtherRoot { .. } => "same_size_other_root",
            Refusal::Inconsistent { .. } => "inconsistent",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::BadRequest(why) => write!(f, "bad add-checkpoint request: {why}"),
            Refusal::Forbidden => f.write_str("no signature by the log's trusted key verifies"),
            Refusal::UnknownLog(origin) => write!(f, "unknown log origin {origin:?}"),
            Refusal::Conflict { latest } => write!(
                f,
                "the old size is not the latest cosigned checkpoint's size {latest}"
            ),
            Refusal::SameSizeOtherRoot { size } => write!(
                f,
                "the log signed two different trees of size {size}"
            ),
            Refusal::Inconsistent { old, size } => write!(
                f,
                "the tree of size {size} does not extend the tree of size {old} the witness cosigned"
            ),
        }
    }
}

/// Reads an add-checkpoint body: `old N\n`, up to 63 base64 hash lines, an
/// empty line, then the signed checkpoint note.
pub fn parse_request(body: &[u8]) -> Result<AddCheckpoint, Refusal> {
    let bad = |why: &str| Refusal::BadRequest(why.to_owned());
    if body.len() > MAX_REQUEST_LEN {
        return Err(bad("body longer than 16 KiB"));
    }
    let text = std::str::from_utf8(body).map_err(|_| bad("body is not UTF-8"))?;
    let (first, mut rest) = text
        .split_once('\n')
        .ok_or_else(|| bad("expected an `old N` line"))?;
    let old = first
        .strip_prefix("old ")
        .and_then(parse_decimal)
        .ok_or_else(|| bad("expected `old N` with N a decimal without leading zeros"))?;
    let mut proof = Vec::new();
    loop {
        let (line, after) = rest
            .split_once('\n')
            .ok_or_else(|| bad("expected an empty line before the checkpoint"))?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(bad("more than 63 consistency proof lines"));
        }
        let hash = STANDARD
            .decode(line)
            .ok()
            .and_then(|b| Hash::from_slice(&b))
            .filter(|h| STANDARD.encode(h.as_bytes()) == line)
            .ok_or_else(|| bad("a proof line is not the base64 of a 32-byte hash"))?;
        proof.push(hash);
    }
    let note = Note::parse(rest).map_err(|e| Refusal::BadRequest(format!("checkpoint: {e}")))?;
    let checkpoint = Checkpoint::parse(note.text())
        .map_err(|e| Refusal::BadRequest(format!("checkpoint: {e}")))?;
    Ok(AddCheckpoint {
        old,
        proof,
        note,
        checkpoint,
    })
}

/// Decides a request: `log_key` is the key the witness trusts for the
/// checkpoint's origin (`None`: unknown origin), `latest` what it last
/// cosigned for that origin. On success the caller cosigns
/// (`cosign`) and records the checkpoint as the new latest, atomically with
/// having read `latest`.
pub fn check(
    req: &AddCheckpoint,
    log_key: Option<&VerifierKey>,
    latest: Option<Latest>,
) -> Result<(), Refusal> {
    let origin = req.checkpoint.origin();
    let key = log_key.ok_or_else(|| Refusal::UnknownLog(origin.to_owned()))?;
    // Lines by other keys (other witnesses' cosignatures) are ignored.
    req.note
        .verify(std::slice::from_ref(key))
        .map_err(|_| Refusal::Forbidden)?;
    let size = req.checkpoint.size().0;
    let root = req.checkpoint.root();
    if req.old > size {
        return Err(Refusal::BadRequest(format!(
            "old size {} is above the checkpoint's size {size}",
            req.old
        )));
    }
    let held = latest.map_or(0, |l| l.size);
    if req.old != held {
        return Err(Refusal::Conflict { latest: held });
    }
    let Some(latest) = latest.filter(|l| l.size > 0) else {
        // Nothing cosigned yet: the proof must be empty.
        if !req.proof.is_empty() {
            return Err(Refusal::BadRequest(
                "the proof must be empty when the old size is 0".into(),
            ));
        }
        return Ok(());
    };
    if size == latest.size {
        return if root == latest.root && req.proof.is_empty() {
            Ok(())
        } else if root != latest.root {
            Err(Refusal::SameSizeOtherRoot { size })
        } else {
            Err(Refusal::BadRequest(
                "the proof must be empty between equal sizes".into(),
            ))
        };
    }
    verify_consistency(
        TreeSize(latest.size),
        TreeSize(size),
        &req.proof,
        &latest.root,
        &root,
    )
    .map_err(|_| Refusal::Inconsistent {
        old: latest.size,
        size,
    })
}

/// The cosignature line(s) of the response body, each `— name base64\n`.
pub fn cosign(
    req: &AddCheckpoint,
    witness: &Cosigner,
    now_secs: u64,
) -> Result<(NoteSignature, String), Refusal> {
    let line = witness
        .cosign(&req.checkpoint, now_secs)
        .map_err(|e| Refusal::BadRequest(e.to_string()))?;
    let body = format!("{line}\n");
    Ok((line, body))
}

/// The request body a log sends (the client side of the protocol).
pub fn request_body(old: u64, proof: &[Hash], signed_note: &str) -> String {
    let mut body = format!("old {old}\n");
    for h in proof {
        body.push_str(&STANDARD.encode(h.as_bytes()));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(signed_note);
    body
}

/// The log's side of a 200 response: the cosignature line of `witness`
/// among the response's lines, verified over the checkpoint `signed_note`
/// (its text and timestamp). Returns the line as the note carries it
/// (`— name base64`).
pub fn read_cosignature(
    signed_note: &str,
    response: &str,
    witness: &VerifierKey,
) -> Result<String, String> {
    if response.len() > MAX_REQUEST_LEN {
        return Err("the witness's response is longer than 16 KiB".into());
    }
    let joined = format!("{signed_note}{response}");
    let note = Note::parse(&joined)
        .map_err(|e| format!("the witness's response is not signature lines: {e}"))?;
    let line = note
        .signatures()
        .iter()
        .find(|l| witness.matches(l))
        .ok_or_else(|| format!("the response carries no cosignature by {}", witness.label()))?;
    super::cosignature::verify_cosignature(note.text(), witness, line)
        .map_err(|e| format!("the witness's cosignature does not verify: {e}"))?;
    Ok(line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::merkle::Tree;
    use crate::log::note::{KeyName, NoteSigner};
    use ed25519_dalek::SigningKey;

    const ORIGIN: &str = "scrutineer.example/m/witness-test";

    fn log() -> NoteSigner {
        NoteSigner::new(
            KeyName::new(ORIGIN).unwrap(),
            SigningKey::from_bytes(&[7; 32]),
        )
    }

    fn tree(n: u8, fork: bool) -> Tree {
        let mut t = Tree::new();
        for i in 0..n {
            let byte = if fork && i == 1 { 0xff } else { i };
            t.append(&[byte]);
        }
        t
    }

    fn signed(t: &Tree, signer: &NoteSigner) -> String {
        Checkpoint::new(ORIGIN, t.size(), t.root())
            .unwrap()
            .sign(signer)
            .to_string()
    }

    fn request(old: &Tree, new: &Tree, signer: &NoteSigner) -> AddCheckpoint {
        let proof = if old.size().0 == 0 {
            Vec::new()
        } else {
            new.consistency_proof(old.size(), new.size()).unwrap()
        };
        let body = request_body(old.size().0, &proof, &signed(new, signer));
        parse_request(body.as_bytes()).unwrap()
    }

    fn latest(t: &Tree) -> Option<Latest> {
        Some(Latest {
            size: t.size().0,
            root: t.root(),
        })
    }

    #[test]
    fn cosigns_a_first_checkpoint_and_an_extension() {
        let signer = log();
        let key = signer.verifier_key().clone();
        let (empty, t3, t5) = (Tree::new(), tree(3, false), tree(5, false));
        assert_eq!(
            check(&request(&empty, &t3, &signer), Some(&key), None),
            Ok(())
        );
        let req = request(&t3, &t5, &signer);
        assert_eq!(check(&req, Some(&key), latest(&t3)), Ok(()));
        // The same checkpoint again is cosigned again.
        let again = parse_request(request_body(5, &[], &signed(&t5, &signer)).as_bytes()).unwrap();
        assert_eq!(check(&again, Some(&key), latest(&t5)), Ok(()));
    }

    #[test]
    fn refuses_a_rollback_a_fork_and_a_stale_old_size() {
        let signer = log();
        let key = signer.verifier_key().clone();
        let (t3, t5) = (tree(3, false), tree(5, false));
        // The witness holds 5; the log offers 3 (rolled back): 409, latest 5.
        let rollback = request(&Tree::new(), &t3, &signer);
        assert_eq!(
            check(&rollback, Some(&key), latest(&t5)),
            Err(Refusal::Conflict { latest: 5 })
        );
        // A forked tree of size 5 from the held 3: the proof fails, 422.
        let forked = tree(5, true);
        let proof = forked.consistency_proof(TreeSize(3), TreeSize(5)).unwrap();
        let req =
            parse_request(request_body(3, &proof, &signed(&forked, &signer)).as_bytes()).unwrap();
        assert_eq!(
            check(&req, Some(&key), latest(&t3)),
            Err(Refusal::Inconsistent { old: 3, size: 5 })
        );
        // Another tree of the held size: a split view, 409.
        let req =
            parse_request(request_body(5, &[], &signed(&forked, &signer)).as_bytes()).unwrap();
        assert_eq!(
            check(&req, Some(&key), latest(&t5)),
            Err(Refusal::SameSizeOtherRoot { size: 5 })
        );
    }

    #[test]
    fn refuses_unknown_logs_foreign_signatures_and_bad_bodies() {
        let signer = log();
        let t3 = tree(3, false);
        let req = request(&Tree::new(), &t3, &signer);
        assert_eq!(
            check(&req, None, None),
            Err(Refusal::UnknownLog(ORIGIN.into()))
        );
        let other = NoteSigner::new(
            KeyName::new(ORIGIN).unwrap(),
            SigningKey::from_bytes(&[8; 32]),
        );
        assert_eq!(
            check(&req, Some(other.verifier_key()), None),
            Err(Refusal::Forbidden)
        );
        let old_above =
            parse_request(request_body(9, &[], &signed(&t3, &signer)).as_bytes()).unwrap();
        assert_eq!(
            check(&old_above, Some(signer.verifier_key()), None).map_err(|r| r.status()),
            Err(400)
        );
        for body in ["", "old 01\n\n", "old 1\nnot base64\n\n", "old 1\n"] {
            assert_eq!(
                parse_request(body.as_bytes())
                    .map(|_| ())
                    .map_err(|r| r.status()),
                Err(400),
                "{body:?}"
            );
        }
        let many = request_body(3, &vec![t3.root(); 64], &signed(&t3, &signer));
        assert!(matches!(
            parse_request(many.as_bytes()),
            Err(Refusal::BadRequest(_))
        ));
    }

    #[test]
    fn the_cosignature_verifies_under_the_witness_key() {
        let signer = log();
        let t3 = tree(3, false);
        let req = request(&Tree::new(), &t3, &signer);
        let witness = Cosigner::new(
            KeyName::new("witness.example/w1").unwrap(),
            SigningKey::from_bytes(&[9; 32]),
        );
        let (line, body) = cosign(&req, &witness, 1_764_000_000).unwrap();
        assert!(body.starts_with("— witness.example/w1 "));
        let mut note = req.note.clone();
        note.add_signature(line);
        let verified = crate::log::cosignature::verify_cosignatures(
            &note,
            std::slice::from_ref(witness.verifier_key()),
        )
        .unwrap();
        assert_eq!(verified.len(), 1);
    }
}
