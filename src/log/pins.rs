//! What an auditor holds from outside the bundle — the paper report's
//! roots and key fingerprints, a checkpoint a witness cosigned, the
//! witnesses' keys — and step 9 of verification, which checks the bundle
//! against it (`docs/audit-bundle.md` §6.9).
//!
//! Inside a bundle, everything rests on the log key: whoever holds it can
//! re-sign a rewritten log, register new keys for the scrutineers and
//! cosign with them, or cut the log's tail and present an older, validly
//! signed state. None of that survives a pin:
//!
//! - a **root** (`SIZE:HEX`, as the report prints it) fixes the tree of
//!   that size: another root, or a bundle shorter than `SIZE`, fails;
//! - a **checkpoint** (a signed note, e.g. the latest one a witness
//!   cosigned) fixes its tree the same way, once its log signature holds;
//! - a **scrutineer key** (a C2SP vkey, or the 64-hex-digit fingerprint
//!   the report and the scrutineer's screen print) must be the key the
//!   bundle registers for that scrutineer, and certifications count only
//!   cosignatures by pinned keys;
//! - a **witness key** requires the witness's cosignature on every result
//!   checkpoint and on the final checkpoint (of at least `witness_quorum`
//!   of the pinned witnesses).
//!
//! Pure: the CLI reads the files and passes their text.

use std::fmt;

use sha2::{Digest, Sha256};

use super::cosignature::verify_cosignature;
use super::merkle::Hash;
use super::note::{Note, VerifierKey};

/// Everything pinned for one verification. Empty: nothing to check, and
/// the report says that the bundle was compared with nothing outside it.
#[derive(Clone, Debug, Default)]
pub struct Pins {
    pub roots: Vec<PinnedRoot>,
    /// Signed checkpoint notes: (where it came from, its text).
    pub checkpoints: Vec<(String, String)>,
    pub scrutineer_keys: Vec<PinnedKey>,
    pub witnesses: Vec<VerifierKey>,
    /// How many of `witnesses` must cosign (default: all).
    pub witness_quorum: Option<usize>,
    /// `--cosigner-key NAME=VKEY`: the key the bundle must give the
    /// scrutineer or the named witness called NAME.
    pub cosigner_keys: Vec<(String, PinnedKey)>,
}

impl Pins {
    /// Whether anything is pinned.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
            && self.checkpoints.is_empty()
            && self.scrutineer_keys.is_empty()
            && self.witnesses.is_empty()
            && self.cosigner_keys.is_empty()
    }

    /// How many pins there are.
    pub fn len(&self) -> usize {
        self.roots.len()
            + self.checkpoints.len()
            + self.scrutineer_keys.len()
            + self.witnesses.len()
            + self.cosigner_keys.len()
    }

    /// The witnesses that must cosign each checked checkpoint.
    pub fn witnesses_required(&self) -> usize {
        self.witness_quorum
            .unwrap_or(self.witnesses.len())
            .min(self.witnesses.len())
    }
}

/// A tree size and its root, as a paper report prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinnedRoot {
    pub size: u64,
    pub root: Hash,
}

/// Why a pin given on the command line does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinError(pub String);

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PinError {}

/// 64 hex digits, with any spaces, dashes or colons between groups.
fn hex32(text: &str) -> Option<[u8; 32]> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | ':' | '\u{3000}'))
        .collect();
    Hash::from_hex(&digits.to_ascii_lowercase()).map(|h| h.0)
}

impl PinnedRoot {
    /// `SIZE:HEX` — the size, then the root in 64 hex digits (groups of
    /// four separated by spaces, as printed, are fine).
    pub fn parse(text: &str) -> Result<PinnedRoot, PinError> {
        let (size, root) = text.split_once(':').ok_or_else(|| {
            PinError(format!(
                "{text:?}: expected SIZE:ROOT, e.g. 20:3f2a 9c01 … (64 hex digits)"
            ))
        })?;
        let size = size
            .trim()
            .parse::<u64>()
            .map_err(|_| PinError(format!("{size:?}: the tree size must be a whole number")))?;
        let root = hex32(root)
            .ok_or_else(|| PinError(format!("{root:?}: the root must be 64 hex digits")))?;
        Ok(PinnedRoot {
            size,
            root: Hash(root),
        })
    }
}

/// A scrutineer's key as the paper gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinnedKey {
    Vkey(VerifierKey),
    /// SHA-256 of the raw Ed25519 public key (the printed fingerprint).
    Fingerprint([u8; 32]),
}

impl PinnedKey {
    /// A C2SP vkey (`name+hexid+base64`) or a 64-hex-digit fingerprint.
    pub fn parse(text: &str) -> Result<PinnedKey, PinError> {
        if let Some(fp) = hex32(text) {
            return Ok(PinnedKey::Fingerprint(fp));
        }
        VerifierKey::parse(text.trim())
            .map(PinnedKey::Vkey)
            .map_err(|e| {
                PinError(format!(
                    "{text:?}: expected a verifier key (name+keyid+base64) or a fingerprint of 64 hex digits: {e}"
                ))
            })
    }

    /// Whether `public` is this key.
    pub fn matches(&self, public: &[u8; 32]) -> bool {
        match self {
            PinnedKey::Vkey(k) => k.public_key().as_bytes() == public,
            PinnedKey::Fingerprint(fp) => Sha256::digest(public).as_slice() == fp,
        }
    }
}

/// `NAME=KEY`: a scrutineer's or witness's name and its key (a vkey or a
/// fingerprint), as `--cosigner-key` takes it.
pub fn parse_cosigner_key(text: &str) -> Result<(String, PinnedKey), PinError> {
    let (name, key) = text.split_once('=').ok_or_else(|| {
        PinError(format!(
            "{text:?}: expected NAME=KEY (a scrutineer's or witness's name, then its vkey or fingerprint)"
        ))
    })?;
    let name = name.trim();
    if name.is_empty() {
        return Err(PinError(format!("{text:?}: the name before = is empty")));
    }
    Ok((name.to_owned(), PinnedKey::parse(key)?))
}

/// The fingerprint people compare: SHA-256 of the raw public key, in
/// groups of four hex digits.
pub fn fingerprint(public: &[u8; 32]) -> String {
    let hex: String = Sha256::digest(public)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    groups4(&hex)
}

/// Hex text in groups of four, separated by spaces.
pub fn groups4(hex: &str) -> String {
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The pinned witnesses whose cosignature on `note` verifies.
pub fn witnesses_on(note: &Note, witnesses: &[VerifierKey]) -> Vec<String> {
    let text = note.text();
    witnesses
        .iter()
        .filter(|w| {
            note.signatures()
                .iter()
                .any(|line| verify_cosignature(text, w, line).is_ok())
        })
        .map(|w| w.label())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_parse_as_printed() {
        let hex = "3f2a9c01".repeat(8);
        let grouped = groups4(&hex);
        assert_eq!(
            PinnedRoot::parse(&format!("20:{grouped}")),
            PinnedRoot::parse(&format!("20:{hex}"))
        );
        assert_eq!(PinnedRoot::parse(&format!("20:{hex}")).unwrap().size, 20);
        for bad in ["20", "x:00", &format!("20:{}", &hex[..60])] {
            assert!(PinnedRoot::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_pin_by_vkey_or_fingerprint() {
        let k = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let public = k.verifying_key().to_bytes();
        let fp = fingerprint(&public);
        let pin = PinnedKey::parse(&fp).expect("fingerprint");
        assert!(pin.matches(&public));
        assert!(!pin.matches(&[0; 32]));
        assert!(PinnedKey::parse("not a key").is_err());
    }
}
