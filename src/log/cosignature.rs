//! C2SP tlog-cosignature v1, Ed25519 flavour (<https://c2sp.org/tlog-cosignature>).
//!
//! A cosignature is one more signature line on a signed checkpoint. The
//! scrutineers (监票人) use it to sign the record: "as of this time, this is
//! the log we saw, and it only ever grew".
//!
//! ```text
//! key ID          = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[..4]
//! signed message  = "cosignature/v1\n" || "time " || <decimal seconds> || "\n" || checkpoint body
//! signature bytes = key ID || timestamp (u64, big-endian) || Ed25519 signature (64)
//! ```
//!
//! The message does not commit to the cosigner's name, so one public key
//! must never be listed under two names: [`CosignatureQuorum::new`]
//! refuses that, or one scrutineer could count twice.

use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey};

use super::checkpoint::Checkpoint;
use super::note::{
    unique_match, KeyName, Note, NoteSignature, NoteVerifyError, SignatureType, VerifierKey,
};
use super::sigbatch::{verify_known, Verified};

/// First line of every cosigned message: domain separation from plain note
/// signatures made with the same key.
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";

/// Timestamps above 2^63 − 1 are forbidden by the spec.
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// Length of the bytes after the key ID: timestamp and signature.
const TIMESTAMPED_SIGNATURE_LEN: usize = 8 + 64;

/// The exact bytes a cosigner signs for a checkpoint note text.
pub fn cosigned_message(checkpoint_text: &str, timestamp: u64) -> Vec<u8> {
    format!("{COSIGNATURE_V1_HEADER}time {timestamp}\n{checkpoint_text}").into_bytes()
}

/// A scrutineer's cosigning key under a name.
///
/// The key is handed in; this module never generates or stores keys.
#[derive(Clone)]
pub struct Cosigner {
    key: SigningKey,
    verifier: VerifierKey,
}

/// Why a cosignature could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CosignError {
    /// The timestamp is above [`MAX_TIMESTAMP`].
    TimestampTooLarge,
}

impl fmt::Display for CosignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cosignature timestamp exceeds 2^63 - 1")
    }
}

impl std::error::Error for CosignError {}

impl Cosigner {
    /// A cosigner for `key` under `name`.
    pub fn new(name: KeyName, key: SigningKey) -> Cosigner {
        let verifier = VerifierKey::new(name, SignatureType::CosignatureV1, key.verifying_key());
        Cosigner { key, verifier }
    }

    /// The matching verifier key (type 0x04), to list in the bundle.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.verifier
    }

    /// Cosigns `checkpoint` at `timestamp` (POSIX seconds, given by the
    /// caller) and returns the signature line to add to its note.
    pub fn cosign(
        &self,
        checkpoint: &Checkpoint,
        timestamp: u64,
    ) -> Result<NoteSignature, CosignError> {
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignError::TimestampTooLarge);
        }
        let sig = self
            .key
            .sign(&cosigned_message(&checkpoint.body(), timestamp));
        let mut bytes = Vec::with_capacity(TIMESTAMPED_SIGNATURE_LEN);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&sig.to_bytes());
        let name = self.verifier.name().clone();
        // Never empty: it holds 72 bytes.
        Ok(NoteSignature::new(name, self.verifier.id(), bytes).expect("72 bytes"))
    }
}

impl fmt::Debug for Cosigner {
    /// Shows the public half only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cosigner")
            .field("verifier", &self.verifier.to_string())
            .finish()
    }
}

/// A cosignature that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCosignature {
    /// Who cosigned.
    pub key: VerifierKey,
    /// When, as they claim (POSIX seconds); the caller may reject future
    /// times, this module has no clock.
    pub timestamp: u64,
}

/// Why cosignatures on a note were rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CosignatureError {
    /// A known cosigner's line is not 8 + 64 bytes, or its timestamp is
    /// above 2^63 − 1.
    Malformed { key: String },
    /// A known cosigner's signature does not verify.
    BadSignature { key: String },
    /// Two configured keys share name and key ID.
    AmbiguousKey { key: String },
    /// A known cosigner signed the note on two lines (aics-tlog rejects
    /// this too; Go's `note.Open` would skip the second line unverified).
    Duplicate { key: String },
}

impl fmt::Display for CosignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CosignatureError::Malformed { key } => write!(f, "malformed cosignature by {key}"),
            CosignatureError::BadSignature { key } => write!(f, "invalid cosignature by {key}"),
            CosignatureError::AmbiguousKey { key } => write!(f, "ambiguous cosigner key {key}"),
            CosignatureError::Duplicate { key } => {
                write!(f, "cosigner {key} signed the note twice")
            }
        }
    }
}

impl std::error::Error for CosignatureError {}

/// Verifies every line of `note` made by one of the cosigner keys (type
/// 0x04) in `keys`, and returns one result per cosigner, in note order.
/// Other lines, including the log's own, are ignored; a bad line by a known
/// cosigner rejects the note, as with plain signatures, and so does a second
/// line by the same cosigner ([`CosignatureError::Duplicate`]).
pub fn verify_cosignatures(
    note: &Note,
    keys: &[VerifierKey],
) -> Result<Vec<VerifiedCosignature>, CosignatureError> {
    verify_cosignatures_known(note, keys, &Verified::none())
}

/// [`verify_cosignatures`], taking the signatures in `known` (found valid
/// by a batch, [`super::sigbatch`]) as verified.
pub fn verify_cosignatures_known(
    note: &Note,
    keys: &[VerifierKey],
    known: &Verified,
) -> Result<Vec<VerifiedCosignature>, CosignatureError> {
    let cosigners: Vec<&VerifierKey> = keys
        .iter()
        .filter(|k| k.sig_type() == SignatureType::CosignatureV1)
        .collect();
    let mut verified: Vec<VerifiedCosignature> = Vec::new();
    for line in note.signatures() {
        let key = match unique_match(&cosigners, line) {
            Ok(Some(key)) => key,
            Ok(None) => continue,
            Err(NoteVerifyError::AmbiguousKey { key }) => {
                return Err(CosignatureError::AmbiguousKey { key })
            }
            Err(other) => {
                return Err(CosignatureError::Malformed {
                    key: other.to_string(),
                })
            }
        };
        if verified.iter().any(|w| w.key == *key) {
            return Err(CosignatureError::Duplicate { key: key.label() });
        }
        verified.push(verify_cosignature_known(note.text(), key, line, known)?);
    }
    Ok(verified)
}

/// Verifies one cosignature `line` by `key` over a checkpoint note text:
/// the line is the key's (name and key ID), holds a timestamp and an
/// Ed25519 signature, and the signature verifies strictly. The one place
/// a cosignature is checked, whether it came on a note or in a
/// `result_cosigned` event.
pub fn verify_cosignature(
    checkpoint_text: &str,
    key: &VerifierKey,
    line: &NoteSignature,
) -> Result<VerifiedCosignature, CosignatureError> {
    verify_cosignature_known(checkpoint_text, key, line, &Verified::none())
}

/// [`verify_cosignature`], taking the signatures in `known` (found valid
/// by a batch, [`super::sigbatch`]) as verified.
pub fn verify_cosignature_known(
    checkpoint_text: &str,
    key: &VerifierKey,
    line: &NoteSignature,
    known: &Verified,
) -> Result<VerifiedCosignature, CosignatureError> {
    let label = key.label();
    if key.sig_type() != SignatureType::CosignatureV1 || !key.matches(line) {
        return Err(CosignatureError::BadSignature { key: label });
    }
    let bytes = line.signature();
    let (Some(ts), Some(sig)) = (bytes.get(..8), bytes.get(8..)) else {
        return Err(CosignatureError::Malformed { key: label });
    };
    let mut ts_bytes = [0u8; 8];
    ts_bytes.copy_from_slice(ts);
    let timestamp = u64::from_be_bytes(ts_bytes);
    if bytes.len() != TIMESTAMPED_SIGNATURE_LEN || timestamp > MAX_TIMESTAMP {
        return Err(CosignatureError::Malformed { key: label });
    }
    let message = cosigned_message(checkpoint_text, timestamp);
    let ok = verify_known(known, key.public_key(), &message, sig);
    if !ok {
        return Err(CosignatureError::BadSignature { key: label });
    }
    Ok(VerifiedCosignature {
        key: key.clone(),
        timestamp,
    })
}

/// A k-of-n rule: how many of the listed scrutineers must cosign before a
/// checkpoint (and the result it commits to) counts as signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureQuorum {
    required: usize,
    keys: Vec<VerifierKey>,
}

/// Why a quorum rule is not well formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuorumError {
    /// `required` is 0 (nothing would be checked) or more than the keys.
    ImpossibleThreshold { required: usize, keys: usize },
    /// A listed key is not a cosigner (type 0x04) key.
    NotACosignerKey { key: String },
    /// The same public key, or the same name and key ID, is listed twice.
    DuplicateKey { key: String },
}

impl fmt::Display for QuorumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuorumError::ImpossibleThreshold { required, keys } => {
                write!(f, "quorum of {required} out of {keys} keys is not possible")
            }
            QuorumError::NotACosignerKey { key } => write!(f, "{key} is not a cosigner key"),
            QuorumError::DuplicateKey { key } => write!(f, "{key} is listed twice"),
        }
    }
}

impl std::error::Error for QuorumError {}

/// The outcome of checking a note against a quorum. Falling short is an
/// outcome, not an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumReport {
    /// Cosignatures by listed keys that verified, in note order.
    pub cosigned_by: Vec<VerifiedCosignature>,
    /// How many were required.
    pub required: usize,
}

impl QuorumReport {
    /// Whether enough listed scrutineers cosigned.
    pub fn is_met(&self) -> bool {
        self.cosigned_by.len() >= self.required
    }
}

impl CosignatureQuorum {
    /// A rule requiring `required` of `keys`, with 1 ≤ `required` ≤ number
    /// of keys, all distinct cosigner keys.
    pub fn new(required: usize, keys: Vec<VerifierKey>) -> Result<CosignatureQuorum, QuorumError> {
        if required == 0 || required > keys.len() {
            return Err(QuorumError::ImpossibleThreshold {
                required,
                keys: keys.len(),
            });
        }
        for (i, k) in keys.iter().enumerate() {
            if k.sig_type() != SignatureType::CosignatureV1 {
                return Err(QuorumError::NotACosignerKey { key: k.to_string() });
            }
            let twin = keys[..i].iter().any(|o| {
                o.public_key() == k.public_key() || (o.name() == k.name() && o.id() == k.id())
            });
            if twin {
                return Err(QuorumError::DuplicateKey { key: k.to_string() });
            }
        }
        Ok(CosignatureQuorum { required, keys })
    }

    /// How many cosignatures are required.
    pub fn required(&self) -> usize {
        self.required
    }

    /// The listed cosigner keys.
    pub fn keys(&self) -> &[VerifierKey] {
        &self.keys
    }

    /// Verifies the cosignatures on `note` by the listed keys and reports
    /// whether there are enough. A bad cosignature by a listed key is an
    /// error: someone tampered with the note.
    pub fn check(&self, note: &Note) -> Result<QuorumReport, CosignatureError> {
        let cosigned_by = verify_cosignatures(note, &self.keys)?;
        Ok(QuorumReport {
            cosigned_by,
            required: self.required,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::merkle::{Hash, TreeSize};
    use crate::log::note::NoteSigner;

    fn cosigner(name: &str, seed: u8) -> Cosigner {
        Cosigner::new(
            KeyName::new(name).expect("valid"),
            SigningKey::from_bytes(&[seed; 32]),
        )
    }

    fn signed_checkpoint() -> (Checkpoint, Note) {
        let log = NoteSigner::new(
            KeyName::new("log.example").expect("valid"),
            SigningKey::from_bytes(&[1; 32]),
        );
        let c = Checkpoint::new("log.example", TreeSize(5), Hash([9; 32])).expect("valid");
        let note = c.sign(&log);
        (c, note)
    }

    /// A cosigner signs a note once: a second line by the same key, even a
    /// valid one of another time, rejects the note; an unknown key's line
    /// is ignored.
    #[test]
    fn a_cosigner_signs_once_and_unknown_lines_are_ignored() {
        let (c, note) = signed_checkpoint();
        let (a, stranger) = (cosigner("a.example", 3), cosigner("w.example", 4));
        let mut twice = note.clone();
        twice.add_signature(a.cosign(&c, 10).expect("signs"));
        twice.add_signature(stranger.cosign(&c, 10).expect("signs"));
        let keys = [a.verifier_key().clone()];
        assert_eq!(verify_cosignatures(&twice, &keys).map(|v| v.len()), Ok(1));
        let text = format!("{twice}{}\n", a.cosign(&c, 11).expect("signs"));
        let twice = Note::parse(&text).expect("parses");
        assert_eq!(
            verify_cosignatures(&twice, &keys),
            Err(CosignatureError::Duplicate {
                key: a.verifier_key().label()
            })
        );
    }

    #[test]
    fn message_layout_matches_spec_example() {
        let body =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let want = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(cosigned_message(body, 1679315147), want.as_bytes());
    }

    #[test]
    fn key_id_uses_type_0x04() {
        let c = cosigner("w1.example", 2);
        let plain = VerifierKey::new(
            c.verifier_key().name().clone(),
            SignatureType::Ed25519,
            *c.verifier_key().public_key(),
        );
        assert_ne!(c.verifier_key().id(), plain.id());
        assert!(c.verifier_key().to_string().starts_with("w1.example+"));
        assert_eq!(
            VerifierKey::parse(&c.verifier_key().to_string()).as_ref(),
            Ok(c.verifier_key())
        );
    }

    #[test]
    fn quorum_counts_distinct_valid_cosigners() {
        let (c, mut note) = signed_checkpoint();
        let (a, b, x) = (
            cosigner("a.example", 2),
            cosigner("b.example", 3),
            cosigner("x.example", 4),
        );
        let quorum =
            CosignatureQuorum::new(2, vec![a.verifier_key().clone(), b.verifier_key().clone()])
                .expect("valid rule");
        let names = |r: &QuorumReport| {
            r.cosigned_by
                .iter()
                .map(|v| v.key.name().to_string())
                .collect::<Vec<_>>()
        };

        let r = quorum.check(&note).expect("no bad signatures");
        assert!(!r.is_met());

        note.add_signature(a.cosign(&c, 100).expect("ok"));
        note.add_signature(x.cosign(&c, 100).expect("ok")); // not listed: ignored
        let r = quorum.check(&note).expect("ok");
        assert_eq!(
            (names(&r), r.is_met()),
            (vec!["a.example".to_string()], false)
        );

        note.add_signature(a.cosign(&c, 200).expect("ok")); // replaces, never double counts
        let r = quorum.check(&note).expect("ok");
        assert_eq!(r.cosigned_by.len(), 1);
        assert_eq!(r.cosigned_by[0].timestamp, 200);

        note.add_signature(b.cosign(&c, 300).expect("ok"));
        let reparsed = Note::parse(&note.to_string()).expect("round trips");
        let r = quorum.check(&reparsed).expect("ok");
        assert_eq!(
            (names(&r), r.is_met()),
            (vec!["a.example".to_string(), "b.example".to_string()], true)
        );
        // The log's own signature still verifies alongside.
        assert!(Checkpoint::open(
            &note.to_string(),
            "log.example",
            &VerifierKey::new(
                KeyName::new("log.example").expect("valid"),
                SignatureType::Ed25519,
                SigningKey::from_bytes(&[1; 32]).verifying_key(),
            )
        )
        .is_ok());
    }

    #[test]
    fn tampered_cosignatures_are_errors() {
        let (c, note) = signed_checkpoint();
        let a = cosigner("a.example", 2);
        let keys = [a.verifier_key().clone()];
        let line = a.cosign(&c, 100).expect("ok");
        let label = format!("a.example+{}", a.verifier_key().id());

        let check = |bytes: Vec<u8>, want: CosignatureError| {
            let mut n = note.clone();
            n.add_signature(
                NoteSignature::new(line.name().clone(), line.id(), bytes).expect("non-empty"),
            );
            assert_eq!(verify_cosignatures(&n, &keys), Err(want));
        };
        let mut later = line.signature().to_vec();
        later[7] ^= 1; // claim another time
        check(later, CosignatureError::BadSignature { key: label.clone() });
        check(
            line.signature()[..71].to_vec(),
            CosignatureError::Malformed { key: label.clone() },
        );
        check(
            line.signature()[..5].to_vec(),
            CosignatureError::Malformed { key: label.clone() },
        );
        let mut huge = line.signature().to_vec();
        huge[0] = 0x80;
        check(huge, CosignatureError::Malformed { key: label.clone() });

        // A cosignature over another checkpoint does not transfer.
        let other = Checkpoint::new("log.example", TreeSize(6), Hash([9; 32])).expect("valid");
        check(
            a.cosign(&other, 100).expect("ok").signature().to_vec(),
            CosignatureError::BadSignature { key: label },
        );
        assert_eq!(
            a.cosign(&c, MAX_TIMESTAMP + 1),
            Err(CosignError::TimestampTooLarge)
        );
    }

    #[test]
    fn quorum_rules_are_validated() {
        let a = cosigner("a.example", 2).verifier_key().clone();
        let b = cosigner("b.example", 3).verifier_key().clone();
        let a_renamed = cosigner("a2.example", 2).verifier_key().clone();
        let plain = NoteSigner::new(
            KeyName::new("p").expect("valid"),
            SigningKey::from_bytes(&[5; 32]),
        )
        .verifier_key()
        .clone();
        let check = |required, keys: Vec<VerifierKey>, ok: bool| {
            assert_eq!(CosignatureQuorum::new(required, keys).is_ok(), ok);
        };
        check(1, vec![a.clone()], true);
        check(2, vec![a.clone(), b.clone()], true);
        check(0, vec![a.clone()], false);
        check(3, vec![a.clone(), b.clone()], false);
        check(1, vec![a.clone(), a_renamed], false);
        check(1, vec![a.clone(), a.clone()], false);
        check(1, vec![plain], false);
    }
}
