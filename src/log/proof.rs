//! Receipts: offline-verifiable proof that an entry is in the log, in the
//! C2SP tlog-proof format (<https://c2sp.org/tlog-proof>).
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <base64 opaque data>]
//! index <decimal leaf index>
//! <base64 proof hash, leaf's sibling first>
//! ...
//! <blank line>
//! <signed checkpoint note, verbatim, cosignatures included>
//! ```
//!
//! A voter, scrutineer or observer keeps the receipt and the entry bytes;
//! with the log's public key alone they can later check that the entry is
//! in the tree the log signed, and with the scrutineers' keys that the tree
//! was cosigned.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::checkpoint::{parse_decimal, Checkpoint, CheckpointError, OpenError};
use super::merkle::{
    leaf_hash, verify_inclusion, Hash, InclusionError, LeafIndex, Tree, TreeError,
};
use super::note::{Note, NoteError, VerifierKey, MAX_NOTE_LEN};

/// First line of every receipt.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A proof never needs more hashes than levels in a 2^64 tree.
const MAX_PROOF_HASHES: usize = 64;

/// An inclusion receipt for one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionReceipt {
    /// Unauthenticated context for the holder; never trusted.
    extra: Option<Vec<u8>>,
    index: LeafIndex,
    proof: Vec<Hash>,
    /// The signed checkpoint the proof leads to.
    checkpoint: Note,
}

/// Why a receipt could not be made, read or verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReceiptError {
    /// Line `line` (1-based) breaks the format.
    Malformed { line: usize, reason: &'static str },
    /// The receipt is larger than any real one.
    TooLarge,
    /// The embedded note is malformed.
    Note(NoteError),
    /// The embedded note is not a checkpoint.
    Checkpoint(CheckpointError),
    /// The checkpoint does not open with the log key and origin.
    Open(OpenError),
    /// The tree cannot prove the entry at the checkpoint's size.
    Tree(TreeError),
    /// The tree's root at the checkpoint size is not the checkpoint's root.
    CheckpointNotOfThisTree,
    /// The proof does not place the entry in the checkpointed tree.
    Inclusion(InclusionError),
}

impl fmt::Display for ReceiptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiptError::Malformed { line, reason } => write!(f, "receipt line {line}: {reason}"),
            ReceiptError::TooLarge => f.write_str("receipt is too large"),
            ReceiptError::Note(e) => write!(f, "receipt checkpoint: {e}"),
            ReceiptError::Checkpoint(e) => write!(f, "receipt checkpoint: {e}"),
            ReceiptError::Open(e) => write!(f, "receipt checkpoint: {e}"),
            ReceiptError::Tree(e) => write!(f, "{e}"),
            ReceiptError::CheckpointNotOfThisTree => {
                f.write_str("checkpoint root differs from the tree's root at that size")
            }
            ReceiptError::Inclusion(e) => write!(f, "receipt proof: {e}"),
        }
    }
}

impl std::error::Error for ReceiptError {}

impl InclusionReceipt {
    /// The receipt for leaf `index` of `tree` under a signed checkpoint of
    /// that tree (of any size that includes the leaf).
    pub fn from_tree(
        tree: &Tree,
        index: LeafIndex,
        signed_checkpoint: &Note,
    ) -> Result<InclusionReceipt, ReceiptError> {
        let checkpoint =
            Checkpoint::parse(signed_checkpoint.text()).map_err(ReceiptError::Checkpoint)?;
        let root = tree
            .root_at(checkpoint.size())
            .map_err(ReceiptError::Tree)?;
        if root != checkpoint.root() {
            return Err(ReceiptError::CheckpointNotOfThisTree);
        }
        let proof = tree
            .inclusion_proof(index, checkpoint.size())
            .map_err(ReceiptError::Tree)?;
        Ok(InclusionReceipt {
            extra: None,
            index,
            proof,
            checkpoint: signed_checkpoint.clone(),
        })
    }

    /// The receipt of entry `index` under `signed_checkpoint`, with the
    /// entry's leaf hash as its `extra` data: a holder without the entry
    /// can still check the proof, and a verifier with the bundle checks
    /// that the hash is the entry's (`docs/audit-bundle.md` §8).
    pub fn for_entry(
        tree: &Tree,
        index: LeafIndex,
        signed_checkpoint: &Note,
    ) -> Result<InclusionReceipt, ReceiptError> {
        let receipt = InclusionReceipt::from_tree(tree, index, signed_checkpoint)?;
        let leaf = tree
            .leaf(index)
            .ok_or(ReceiptError::Tree(TreeError::IndexOutOfRange {
                index,
                size: tree.size(),
            }))?;
        Ok(receipt.with_extra(leaf.0.to_vec()))
    }

    /// The leaf hash the receipt claims for its entry: its `extra` data,
    /// when that is 32 bytes (unauthenticated until the proof checks).
    pub fn claimed_leaf(&self) -> Option<Hash> {
        self.extra.as_deref().and_then(Hash::from_slice)
    }

    /// Attaches opaque extra data (for example a meeting reference).
    pub fn with_extra(mut self, extra: Vec<u8>) -> InclusionReceipt {
        self.extra = Some(extra);
        self
    }

    /// The leaf index.
    pub fn index(&self) -> LeafIndex {
        self.index
    }

    /// The proof hashes.
    pub fn proof(&self) -> &[Hash] {
        &self.proof
    }

    /// The signed checkpoint note.
    pub fn checkpoint(&self) -> &Note {
        &self.checkpoint
    }

    /// The unauthenticated extra data, if any.
    pub fn extra(&self) -> Option<&[u8]> {
        self.extra.as_deref()
    }

    /// Parses a receipt. Syntax only; see [`InclusionReceipt::verify`].
    pub fn parse(text: &str) -> Result<InclusionReceipt, ReceiptError> {
        if text.len() > MAX_NOTE_LEN + 4096 {
            return Err(ReceiptError::TooLarge);
        }
        let bad = |line, reason| ReceiptError::Malformed { line, reason };
        let (head, note) = text
            .split_once("\n\n")
            .ok_or(bad(1, "no blank line before the checkpoint"))?;
        let mut lines = head
            .split('\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .peekable();
        match lines.next() {
            Some((_, TLOG_PROOF_HEADER)) => {}
            _ => return Err(bad(1, "first line is not c2sp.org/tlog-proof@v1")),
        }
        let mut extra = None;
        if let Some(&(n, line)) = lines.peek() {
            if let Some(data) = line.strip_prefix("extra ") {
                extra = Some(
                    BASE64
                        .decode(data)
                        .map_err(|_| bad(n, "extra data is not base64"))?,
                );
                lines.next();
            }
        }
        let (n, index_line) = lines.next().ok_or(bad(2, "missing index line"))?;
        let index = index_line
            .strip_prefix("index ")
            .and_then(parse_decimal)
            .ok_or(bad(
                n,
                "expected \"index\" and a decimal without leading zeros",
            ))?;
        let mut proof = Vec::new();
        for (n, line) in lines {
            if proof.len() == MAX_PROOF_HASHES {
                return Err(bad(n, "more proof hashes than a tree can have levels"));
            }
            let hash = BASE64
                .decode(line)
                .ok()
                .and_then(|b| Hash::from_slice(&b))
                .filter(|h| BASE64.encode(h.0) == line)
                .ok_or(bad(n, "proof line is not base64 of 32 bytes"))?;
            proof.push(hash);
        }
        let checkpoint = Note::parse(note).map_err(ReceiptError::Note)?;
        Ok(InclusionReceipt {
            extra,
            index: LeafIndex(index),
            proof,
            checkpoint,
        })
    }

    /// Checks that `entry` (its exact bytes) is at the receipt's index in
    /// the tree of the checkpoint, and that the log with `origin` signed
    /// that checkpoint with `log_key`. Returns the checkpoint.
    ///
    /// Cosignatures are a separate policy: pass [`InclusionReceipt::checkpoint`]
    /// to a [`super::cosignature::CosignatureQuorum`].
    pub fn verify(
        &self,
        entry: &[u8],
        origin: &str,
        log_key: &VerifierKey,
    ) -> Result<Checkpoint, ReceiptError> {
        self.verify_leaf(&leaf_hash(entry), origin, log_key)
    }

    /// [`InclusionReceipt::verify`] for an entry known by its leaf hash
    /// (e.g. [`InclusionReceipt::claimed_leaf`]).
    pub fn verify_leaf(
        &self,
        leaf: &Hash,
        origin: &str,
        log_key: &VerifierKey,
    ) -> Result<Checkpoint, ReceiptError> {
        let checkpoint =
            Checkpoint::open_note(&self.checkpoint, origin, log_key).map_err(ReceiptError::Open)?;
        verify_inclusion(
            leaf,
            self.index,
            checkpoint.size(),
            &self.proof,
            &checkpoint.root(),
        )
        .map_err(ReceiptError::Inclusion)?;
        Ok(checkpoint)
    }
}

impl fmt::Display for InclusionReceipt {
    /// The receipt text, to save as a `.tlog-proof` file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{TLOG_PROOF_HEADER}")?;
        if let Some(extra) = &self.extra {
            writeln!(f, "extra {}", BASE64.encode(extra))?;
        }
        writeln!(f, "index {}", self.index.0)?;
        for h in &self.proof {
            writeln!(f, "{}", BASE64.encode(h.0))?;
        }
        writeln!(f)?;
        write!(f, "{}", self.checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::note::{KeyName, NoteSigner};
    use crate::log::signer::LogSigner;
    use ed25519_dalek::SigningKey;

    const ORIGIN: &str = "scrutineer.example/meeting-1";

    fn setup(n: u8) -> (Vec<Vec<u8>>, Tree, LogSigner, Note) {
        let entries: Vec<Vec<u8>> = (0..n).map(|i| vec![i; 3]).collect();
        let tree = Tree::from_leaf_hashes(entries.iter().map(|e| leaf_hash(e)));
        let key = NoteSigner::new(
            KeyName::new(ORIGIN).expect("valid"),
            SigningKey::from_bytes(&[4; 32]),
        );
        let mut signer = LogSigner::new(ORIGIN, key, None).expect("valid");
        let (_, note) = signer.sign_tree(&tree).expect("signs");
        (entries, tree, signer, note)
    }

    #[test]
    fn receipts_round_trip_and_verify() {
        let (entries, tree, signer, note) = setup(11);
        let key = signer.note_signer().verifier_key();
        for (i, entry) in entries.iter().enumerate() {
            let receipt =
                InclusionReceipt::from_tree(&tree, LeafIndex(i as u64), &note).expect("in tree");
            let receipt = if i % 2 == 0 {
                receipt.with_extra(b"round 1".to_vec())
            } else {
                receipt
            };
            let text = receipt.to_string();
            let parsed = InclusionReceipt::parse(&text).expect("parses");
            assert_eq!(parsed, receipt);
            assert_eq!(parsed.to_string(), text);
            let c = parsed.verify(entry, ORIGIN, key).expect("verifies");
            assert_eq!(c.size(), tree.size());
            // Another entry, or the same proof at another index, fails.
            assert!(parsed.verify(b"forged", ORIGIN, key).is_err());
            let moved = InclusionReceipt {
                index: LeafIndex((i as u64 + 1) % 11),
                ..parsed.clone()
            };
            assert!(moved.verify(entry, ORIGIN, key).is_err());
        }
    }

    #[test]
    fn receipt_text_matches_the_format() {
        let (_, tree, _, note) = setup(3);
        let r = InclusionReceipt::from_tree(&tree, LeafIndex(2), &note).expect("in tree");
        let text = r.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "c2sp.org/tlog-proof@v1");
        assert_eq!(lines[1], "index 2");
        assert_eq!(lines[2], BASE64.encode(r.proof()[0].0));
        assert_eq!(lines[3], "");
        assert_eq!(lines[4], ORIGIN);
        assert!(text.ends_with(&note.to_string()));
    }

    #[test]
    fn malformed_receipts_are_rejected() {
        let (_, tree, _, note) = setup(3);
        let good = InclusionReceipt::from_tree(&tree, LeafIndex(0), &note)
            .expect("in tree")
            .to_string();
        let check = |text: String, line: usize| {
            assert!(
                matches!(InclusionReceipt::parse(&text), Err(ReceiptError::Malformed { line: l, .. }) if l == line),
                "{text:?}: {:?}",
                InclusionReceipt::parse(&text)
            );
        };
        check(good.replacen("tlog-proof@v1", "tlog-proof@v2", 1), 1);
        check(good.replacen("index 0", "index 00", 1), 2);
        check(good.replacen("index 0", "index -1", 1), 2);
        check(good.replacen("index 0", "index", 1), 2);
        check(good.replacen("index 0\n", "extra !!\nindex 0\n", 1), 2);
        check(good.replacen("index 0\n", "index 0\nAAAA\n", 1), 3);
        check("c2sp.org/tlog-proof@v1\n".into(), 1);
        assert!(matches!(
            InclusionReceipt::parse(&good.replacen(ORIGIN, "", 1)).map(|r| r.verify(
                b"",
                ORIGIN,
                note_key()
            )),
            Ok(Err(ReceiptError::Open(_)))
        ));
    }

    fn note_key() -> &'static VerifierKey {
        use std::sync::OnceLock;
        static KEY: OnceLock<VerifierKey> = OnceLock::new();
        KEY.get_or_init(|| {
            NoteSigner::new(
                KeyName::new(ORIGIN).expect("valid"),
                SigningKey::from_bytes(&[4; 32]),
            )
            .verifier_key()
            .clone()
        })
    }

    #[test]
    fn receipt_for_another_tree_is_refused() {
        let (_, _, _, note) = setup(3);
        let other = Tree::from_leaf_hashes([leaf_hash(b"x"), leaf_hash(b"y"), leaf_hash(b"z")]);
        assert_eq!(
            InclusionReceipt::from_tree(&other, LeafIndex(0), &note),
            Err(ReceiptError::CheckpointNotOfThisTree)
        );
    }

    #[test]
    fn hostile_receipts_never_panic() {
        let (_, tree, _, note) = setup(5);
        let good = InclusionReceipt::from_tree(&tree, LeafIndex(3), &note)
            .expect("in tree")
            .to_string();
        let bytes = good.as_bytes();
        for i in 0..bytes.len() {
            let mut m = bytes.to_vec();
            m[i] ^= 0x20;
            if let Ok(text) = std::str::from_utf8(&m) {
                if let Ok(r) = InclusionReceipt::parse(text) {
                    let _ = r.verify(&[3, 3, 3], ORIGIN, note_key());
                }
            }
        }
    }
}
