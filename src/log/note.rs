//! C2SP signed notes (<https://c2sp.org/signed-note>).
//!
//! A note is UTF-8 text ending in a newline, a blank line, then one or more
//! signature lines:
//!
//! ```text
//! <text, ending in \n>
//! <blank line>
//! — <key name> <base64(4-byte key ID || signature)>
//! ```
//!
//! The key ID of an Ed25519 key is the first four bytes of
//! `SHA-256(key name || 0x0A || 0x01 || 32-byte public key)`; cosigner keys
//! use type byte `0x04` instead (see [`super::cosignature`]). A verifier key
//! is written `<name>+<8 hex digits of key ID>+<base64(type || public key)>`.
//!
//! We speak this format, rather than our own, so that an auditor can check
//! our checkpoints with the Go `sumdb/note` package or any other
//! implementation, without trusting code we wrote.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use super::sigbatch::{verify_known, Verified};

/// The signature line prefix: em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Largest note accepted by [`Note::parse`]. Checkpoints are a few hundred
/// bytes; the cap only stops a hostile file from costing memory.
pub const MAX_NOTE_LEN: usize = 1 << 20;

/// Most signature lines accepted by [`Note::parse`]; the spec asks for at
/// least 16, Go's reference accepts 100.
pub const MAX_SIGNATURES: usize = 100;

/// Signature type byte of the signed-note spec: selects the key ID input
/// and what the signature covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureType {
    /// `0x01`: plain Ed25519 over the note text; the log's checkpoint key.
    Ed25519,
    /// `0x04`: timestamped Ed25519 cosignature (c2sp.org/tlog-cosignature);
    /// the scrutineers' keys.
    CosignatureV1,
}

impl SignatureType {
    /// The type byte.
    pub fn byte(self) -> u8 {
        match self {
            SignatureType::Ed25519 => 0x01,
            SignatureType::CosignatureV1 => 0x04,
        }
    }

    fn from_byte(b: u8) -> Option<SignatureType> {
        match b {
            0x01 => Some(SignatureType::Ed25519),
            0x04 => Some(SignatureType::CosignatureV1),
            _ => None,
        }
    }
}

/// A key name: non-empty, no Unicode white space, no `+`.
///
/// The restrictions keep a signature line and a verifier key unambiguous to
/// split.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyName(String);

impl KeyName {
    /// Validates a key name.
    pub fn new(name: &str) -> Result<KeyName, KeyError> {
        let valid = !name.is_empty()
            && !name
                .chars()
                .any(|c| c.is_whitespace() || c == '+' || c.is_control());
        if valid {
            Ok(KeyName(name.to_owned()))
        } else {
            Err(KeyError::InvalidName)
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 4-byte key ID that, together with the name, says which key made a
/// signature. It is a hint, not a hash to trust: the verifier always checks
/// the signature with the public key it was configured with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; 4]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// `SHA-256(name || 0x0A || type || public key)[..4]`, the RECOMMENDED key
/// ID of the spec (REQUIRED for cosignatures).
pub fn key_id(name: &KeyName, sig_type: SignatureType, public_key: &[u8]) -> KeyId {
    let mut h = Sha256::new();
    h.update(name.0.as_bytes());
    h.update([b'\n', sig_type.byte()]);
    h.update(public_key);
    let digest = h.finalize();
    KeyId([digest[0], digest[1], digest[2], digest[3]])
}

/// Why a key name or verifier key was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// Empty, or contains white space, `+` or a control character.
    InvalidName,
    /// Not `name+hexid+base64`.
    Malformed,
    /// The key ID is not 8 hex digits.
    InvalidKeyId,
    /// The key material is not valid base64.
    InvalidBase64,
    /// The type byte is not one we verify (0x01 or 0x04).
    UnsupportedType(u8),
    /// Not a 32-byte Ed25519 public key (or not a curve point).
    InvalidPublicKey,
    /// The key ID does not match the name and key.
    KeyIdMismatch,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::InvalidName => {
                f.write_str("key name must be non-empty, without spaces or '+'")
            }
            KeyError::Malformed => f.write_str("verifier key is not name+keyid+base64"),
            KeyError::InvalidKeyId => f.write_str("key ID is not 8 hex digits"),
            KeyError::InvalidBase64 => f.write_str("key material is not valid base64"),
            KeyError::UnsupportedType(t) => write!(f, "unsupported signature type 0x{t:02x}"),
            KeyError::InvalidPublicKey => f.write_str("not a valid Ed25519 public key"),
            KeyError::KeyIdMismatch => f.write_str("key ID does not match name and key"),
        }
    }
}

impl std::error::Error for KeyError {}

/// A public key a verifier is configured with: name, type and key; the key
/// ID follows from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: KeyName,
    sig_type: SignatureType,
    key: VerifyingKey,
    id: KeyId,
}

impl VerifierKey {
    /// A verifier key for `key` under `name`.
    pub fn new(name: KeyName, sig_type: SignatureType, key: VerifyingKey) -> VerifierKey {
        let id = key_id(&name, sig_type, key.as_bytes());
        VerifierKey {
            name,
            sig_type,
            key,
            id,
        }
    }

    /// Parses `<name>+<hex key ID>+<base64(type || public key)>` and checks
    /// that the key ID matches.
    pub fn parse(vkey: &str) -> Result<VerifierKey, KeyError> {
        // At most three parts: base64 key material may itself contain '+'.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Malformed);
        };
        let name = KeyName::new(name)?;
        let id = parse_key_id(id_hex).ok_or(KeyError::InvalidKeyId)?;
        let material = BASE64
            .decode(material)
            .map_err(|_| KeyError::InvalidBase64)?;
        let (&type_byte, key) = material.split_first().ok_or(KeyError::InvalidPublicKey)?;
        let sig_type =
            SignatureType::from_byte(type_byte).ok_or(KeyError::UnsupportedType(type_byte))?;
        let key = <[u8; 32]>::try_from(key).map_err(|_| KeyError::InvalidPublicKey)?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| KeyError::InvalidPublicKey)?;
        let parsed = VerifierKey::new(name, sig_type, key);
        if parsed.id != id {
            return Err(KeyError::KeyIdMismatch);
        }
        Ok(parsed)
    }

    /// The key name.
    pub fn name(&self) -> &KeyName {
        &self.name
    }

    /// The signature type this key is used with.
    pub fn sig_type(&self) -> SignatureType {
        self.sig_type
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// The key ID.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The fingerprint people compare with the paper: SHA-256 of the raw
    /// Ed25519 public key, lower-case hex in groups of four (as the vote
    /// report, the web screens and `scrutineer verify` print it).
    pub fn fingerprint(&self) -> String {
        let digest: [u8; 32] = Sha256::digest(self.key.as_bytes()).into();
        super::merkle::grouped_hex(&super::merkle::Hash(digest))
    }

    /// `name+keyid`, how errors name a key (as Go's note package does).
    pub fn label(&self) -> String {
        format!("{}+{}", self.name, self.id)
    }

    /// Whether a signature line names this key (name and key ID).
    pub fn matches(&self, sig: &NoteSignature) -> bool {
        self.name == sig.name && self.id == sig.id
    }
}

impl fmt::Display for VerifierKey {
    /// The vkey text form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut material = Vec::with_capacity(33);
        material.push(self.sig_type.byte());
        material.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{}+{}", self.name, self.id, BASE64.encode(material))
    }
}

fn parse_key_id(hex: &str) -> Option<KeyId> {
    let b = hex.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    // 8 hex digits always fit a u32.
    let v = u32::from_str_radix(hex, 16).ok()?;
    Some(KeyId(v.to_be_bytes()))
}

/// Signs note texts with an Ed25519 key under a name (type `0x01`).
///
/// The key is handed in by the caller: this module never generates or reads
/// keys.
#[derive(Clone)]
pub struct NoteSigner {
    key: SigningKey,
    verifier: VerifierKey,
}

impl NoteSigner {
    /// A signer for `key` under `name`.
    pub fn new(name: KeyName, key: SigningKey) -> NoteSigner {
        let verifier = VerifierKey::new(name, SignatureType::Ed25519, key.verifying_key());
        NoteSigner { key, verifier }
    }

    /// The matching verifier key, to publish.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.verifier
    }

    fn signature_over(&self, text: &str) -> NoteSignature {
        let sig = self.key.sign(text.as_bytes());
        NoteSignature {
            name: self.verifier.name.clone(),
            id: self.verifier.id,
            signature: sig.to_bytes().to_vec(),
        }
    }
}

impl fmt::Debug for NoteSigner {
    /// Shows the public half only, so a signer never leaks into logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("verifier", &self.verifier.to_string())
            .finish()
    }
}

/// One signature line: who (name and key ID) and the signature bytes
/// after the key ID, whatever the algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    name: KeyName,
    id: KeyId,
    signature: Vec<u8>,
}

impl NoteSignature {
    /// A signature line from its parts; `signature` must not be empty.
    pub fn new(name: KeyName, id: KeyId, signature: Vec<u8>) -> Option<NoteSignature> {
        (!signature.is_empty()).then_some(NoteSignature {
            name,
            id,
            signature,
        })
    }

    /// Key name of the line.
    pub fn name(&self) -> &KeyName {
        &self.name
    }

    /// Key ID of the line.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The signature bytes after the key ID.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

impl fmt::Display for NoteSignature {
    /// The signature line without its newline: `— name base64(id ‖ sig)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut blob = Vec::with_capacity(4 + self.signature.len());
        blob.extend_from_slice(&self.id.0);
        blob.extend_from_slice(&self.signature);
        write!(f, "{SIGNATURE_PREFIX}{} {}", self.name, BASE64.encode(blob))
    }
}

/// Why a note is malformed. Each variant names the rule it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteError {
    /// Larger than [`MAX_NOTE_LEN`].
    TooLarge,
    /// Not valid UTF-8.
    NotUtf8,
    /// Contains an ASCII control character other than newline.
    ControlCharacter,
    /// The text is empty or does not end in a newline.
    TextNotTerminated,
    /// No blank line separates text from signatures.
    NoSignatureBlock,
    /// The blank line is not followed by any signature line.
    NoSignatures,
    /// More than [`MAX_SIGNATURES`] signature lines.
    TooManySignatures,
    /// Signature line `line` (1-based, counted within the signature block)
    /// is malformed.
    BadSignatureLine { line: usize, reason: &'static str },
}

impl fmt::Display for NoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoteError::TooLarge => write!(f, "note is larger than {MAX_NOTE_LEN} bytes"),
            NoteError::NotUtf8 => f.write_str("note is not valid UTF-8"),
            NoteError::ControlCharacter => {
                f.write_str("note contains a control character other than newline")
            }
            NoteError::TextNotTerminated => {
                f.write_str("note text is empty or lacks a final newline")
            }
            NoteError::NoSignatureBlock => f.write_str("note has no blank line before signatures"),
            NoteError::NoSignatures => f.write_str("note has no signature lines"),
            NoteError::TooManySignatures => {
                write!(f, "note has more than {MAX_SIGNATURES} signatures")
            }
            NoteError::BadSignatureLine { line, reason } => {
                write!(f, "signature line {line}: {reason}")
            }
        }
    }
}

impl std::error::Error for NoteError {}

/// Why verification of a well-formed note failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoteVerifyError {
    /// A signature from a known key does not verify: the whole note is
    /// rejected, as the spec advises.
    BadSignature { key: String },
    /// Two configured keys share name and key ID, so a signature cannot be
    /// attributed.
    AmbiguousKey { key: String },
    /// A known key signed the note on two lines. C2SP signed-note is
    /// silent; Go's `note.Open` verifies the first line and skips the
    /// others, aics-tlog rejects the note. We reject it: a note in a bundle
    /// has one spelling, and a second line by the same key could only hide
    /// a bad one.
    DuplicateSignature { key: String },
    /// No signature from any known key.
    NoKnownSignature,
}

impl fmt::Display for NoteVerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoteVerifyError::BadSignature { key } => write!(f, "invalid signature for key {key}"),
            NoteVerifyError::AmbiguousKey { key } => write!(f, "ambiguous key {key}"),
            NoteVerifyError::DuplicateSignature { key } => {
                write!(f, "key {key} signed the note twice")
            }
            NoteVerifyError::NoKnownSignature => {
                f.write_str("note has no signature from a known key")
            }
        }
    }
}

impl std::error::Error for NoteVerifyError {}

/// A syntactically valid note: text plus signature lines, none verified
/// yet. Verification is a separate step because which keys to trust is the
/// caller's policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// An unsigned note over `text`, which must end in a newline and hold no
    /// control characters other than newlines.
    pub fn new(text: &str) -> Result<Note, NoteError> {
        check_characters(text)?;
        if !text.ends_with('\n') {
            return Err(NoteError::TextNotTerminated);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// Parses note bytes (for example a file's contents).
    pub fn from_bytes(bytes: &[u8]) -> Result<Note, NoteError> {
        if bytes.len() > MAX_NOTE_LEN {
            return Err(NoteError::TooLarge);
        }
        Note::parse(std::str::from_utf8(bytes).map_err(|_| NoteError::NotUtf8)?)
    }

    /// Parses a signed note. Signatures are checked for syntax only.
    pub fn parse(note: &str) -> Result<Note, NoteError> {
        if note.len() > MAX_NOTE_LEN {
            return Err(NoteError::TooLarge);
        }
        check_characters(note)?;
        // The text ends at the last blank line (text may contain blank lines).
        let split = note.rfind("\n\n").ok_or(NoteError::NoSignatureBlock)?;
        let text = &note[..=split];
        let block = &note[split + 2..];
        if block.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        if !block.ends_with('\n') {
            return Err(NoteError::BadSignatureLine {
                line: block.split('\n').count(),
                reason: "does not end in a newline",
            });
        }
        let lines: Vec<&str> = block[..block.len() - 1].split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let signatures = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                parse_signature_line(line).map_err(|reason| NoteError::BadSignatureLine {
                    line: i + 1,
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed text, final newline included.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// All signature lines, in order, verified or not.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds the signer's Ed25519 signature over the text, replacing an
    /// earlier line by the same key.
    pub fn sign(&mut self, signer: &NoteSigner) {
        let sig = signer.signature_over(&self.text);
        self.add_signature(sig);
    }

    /// Adds a signature line made elsewhere (a cosignature), replacing an
    /// earlier line with the same name and key ID.
    pub fn add_signature(&mut self, sig: NoteSignature) {
        match self
            .signatures
            .iter_mut()
            .find(|s| s.name == sig.name && s.id == sig.id)
        {
            Some(existing) => *existing = sig,
            None => self.signatures.push(sig),
        }
    }

    /// Verifies the lines of the known Ed25519 (type `0x01`) keys in `keys`
    /// with `verify_strict`, and returns the keys that signed.
    ///
    /// Lines from unknown keys are ignored (the spec requires it: that is how
    /// cosignatures and key rotation coexist); a line is a known key's only
    /// when both its name and its key ID match. A bad line from a known key
    /// rejects the whole note, and so does a second line by the same known
    /// key ([`NoteVerifyError::DuplicateSignature`]); no known signature at
    /// all rejects it too.
    pub fn verify<'k>(
        &self,
        keys: &'k [VerifierKey],
    ) -> Result<Vec<&'k VerifierKey>, NoteVerifyError> {
        self.verify_known(keys, &Verified::none())
    }

    /// [`Note::verify`], taking the signatures in `known` (found valid by
    /// a batch, [`super::sigbatch`]) as verified; the rest are checked
    /// with `verify_strict`.
    pub fn verify_known<'k>(
        &self,
        keys: &'k [VerifierKey],
        known: &Verified,
    ) -> Result<Vec<&'k VerifierKey>, NoteVerifyError> {
        let mut signed_by: Vec<&VerifierKey> = Vec::new();
        let plain: Vec<&VerifierKey> = keys
            .iter()
            .filter(|k| k.sig_type == SignatureType::Ed25519)
            .collect();
        for sig in &self.signatures {
            let Some(key) = unique_match(&plain, sig)? else {
                continue;
            };
            if signed_by.iter().any(|k| std::ptr::eq(*k, key)) {
                return Err(NoteVerifyError::DuplicateSignature { key: key.label() });
            }
            let ok = verify_known(known, &key.key, self.text.as_bytes(), &sig.signature);
            if !ok {
                return Err(NoteVerifyError::BadSignature { key: key.label() });
            }
            signed_by.push(key);
        }
        if signed_by.is_empty() {
            return Err(NoteVerifyError::NoKnownSignature);
        }
        Ok(signed_by)
    }
}

impl Note {
    /// The lines that match none of `known` (by name and key ID), each
    /// distinct line once, in note order: what a verifier ignores and
    /// reports as not checked.
    pub fn unknown_signatures<'n>(&'n self, known: &[&VerifierKey]) -> Vec<&'n NoteSignature> {
        let mut out: Vec<&NoteSignature> = Vec::new();
        for sig in &self.signatures {
            if !known.iter().any(|k| k.matches(sig)) && !out.contains(&sig) {
                out.push(sig);
            }
        }
        out
    }
}

/// The one key among `keys` with the line's name and ID, if any.
pub(crate) fn unique_match<'k>(
    keys: &[&'k VerifierKey],
    sig: &NoteSignature,
) -> Result<Option<&'k VerifierKey>, NoteVerifyError> {
    let mut found = keys.iter().filter(|k| k.matches(sig));
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some(k), None) => Ok(Some(*k)),
        (Some(k), Some(_)) => Err(NoteVerifyError::AmbiguousKey { key: k.label() }),
    }
}

impl fmt::Display for Note {
    /// The wire form: text, blank line, signature lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for sig in &self.signatures {
            writeln!(f, "{sig}")?;
        }
        Ok(())
    }
}

fn check_characters(s: &str) -> Result<(), NoteError> {
    if s.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(NoteError::ControlCharacter);
    }
    Ok(())
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, &'static str> {
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or("does not start with an em dash and a space")?;
    let (name, blob) = rest
        .split_once(' ')
        .ok_or("has no space between key name and signature")?;
    let name = KeyName::new(name).map_err(|_| "key name is empty or has spaces or '+'")?;
    let blob = BASE64
        .decode(blob)
        .map_err(|_| "signature is not valid base64")?;
    if blob.len() < 5 {
        return Err("signature is shorter than a key ID and one byte");
    }
    let id = KeyId([blob[0], blob[1], blob[2], blob[3]]);
    Ok(NoteSignature {
        name,
        id,
        signature: blob[4..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from the Go reference implementation,
    // golang.org/x/mod/sumdb/note `note_test.go` (TestNewVerifier, TestSign,
    // TestOpen). Ed25519 is deterministic, so signing must reproduce them.
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    /// Reads Go's `PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>` (tests only).
    pub(crate) fn go_signer(skey: &str) -> NoteSigner {
        let parts: Vec<&str> = skey.splitn(5, '+').collect();
        assert_eq!(parts[..2], ["PRIVATE", "KEY"]);
        let material = BASE64.decode(parts[4]).expect("base64");
        assert_eq!(material[0], 0x01);
        let seed: [u8; 32] = material[1..].try_into().expect("32-byte seed");
        NoteSigner::new(
            KeyName::new(parts[2]).expect("name"),
            SigningKey::from_bytes(&seed),
        )
    }

    fn vkey(s: &str) -> VerifierKey {
        VerifierKey::parse(s).expect("valid vkey")
    }

    #[test]
    fn signing_reproduces_go_reference_note() {
        let signer = go_signer(PETER_SKEY);
        assert_eq!(signer.verifier_key().to_string(), PETER_VKEY);
        let mut note = Note::new(TEXT).expect("valid text");
        note.sign(&signer);
        assert_eq!(note.to_string(), format!("{TEXT}\n{PETER_SIG}"));
        // Signing again replaces, never duplicates, the line.
        note.sign(&signer);
        assert_eq!(note.signatures().len(), 1);
    }

    #[test]
    fn verifier_keys_round_trip() {
        for s in [PETER_VKEY, ENOCH_VKEY] {
            assert_eq!(vkey(s).to_string(), s);
        }
        assert_eq!(vkey(PETER_VKEY).id(), KeyId([0xc7, 0x4f, 0x20, 0xa3]));
    }

    /// Every proper substring and every one-byte change of a valid vkey is
    /// rejected (after Go's TestNewVerifier).
    #[test]
    fn mangled_verifier_keys_are_rejected() {
        let b = PETER_VKEY.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if (i, j) != (0, b.len()) {
                    let s = std::str::from_utf8(&b[i..j]).expect("ascii");
                    assert!(VerifierKey::parse(s).is_err(), "{s:?} accepted");
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] += 1;
            let s = String::from_utf8(m).expect("ascii");
            assert!(VerifierKey::parse(&s).is_err(), "{s:?} accepted");
        }
        let check = |s: &str, want: KeyError| assert_eq!(VerifierKey::parse(s), Err(want), "{s}");
        check(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::KeyIdMismatch,
        );
        check(
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::UnsupportedType(0x65),
        );
        check(
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::InvalidName,
        );
        check(
            "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::InvalidKeyId,
        );
        check("PeterNeumann", KeyError::Malformed);
    }

    #[test]
    fn open_follows_go_semantics() {
        let peter = vkey(PETER_VKEY);
        let enoch = vkey(ENOCH_VKEY);
        let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        let note = Note::parse(&both).expect("well formed");
        assert_eq!(note.text(), TEXT);
        assert_eq!(note.signatures().len(), 2);

        let check = |keys: &[VerifierKey], want: Result<Vec<&str>, NoteVerifyError>| {
            let got = note
                .verify(keys)
                .map(|v| v.iter().map(|k| k.name().as_str()).collect::<Vec<_>>());
            assert_eq!(got, want);
        };
        check(std::slice::from_ref(&peter), Ok(vec!["PeterNeumann"]));
        check(
            &[peter.clone(), enoch.clone()],
            Ok(vec!["PeterNeumann", "EnochRoot"]),
        );
        check(&[], Err(NoteVerifyError::NoKnownSignature));
        check(
            &[enoch.clone(), peter.clone(), enoch.clone()],
            Err(NoteVerifyError::AmbiguousKey {
                key: "EnochRoot+af0cfe78".into(),
            }),
        );

        // A corrupted signature of a known key rejects the note; of an
        // unknown key it is ignored. A known key's repeated line rejects
        // the note (Go skips it unverified; see DuplicateSignature).
        let bad_peter = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
        let bad_enoch = format!("{}ABCD{}", &ENOCH_SIG[..60], &ENOCH_SIG[60..]);
        let note = Note::parse(&format!("{TEXT}\n{bad_peter}")).expect("well formed");
        assert_eq!(
            note.verify(std::slice::from_ref(&peter)),
            Err(NoteVerifyError::BadSignature {
                key: "PeterNeumann+c74f20a3".into()
            })
        );
        let note = Note::parse(&format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}{bad_enoch}"))
            .expect("well formed");
        assert_eq!(
            note.verify(std::slice::from_ref(&peter)).map(|v| v.len()),
            Ok(1)
        );
        assert_eq!(
            note.unknown_signatures(&[&peter])
                .iter()
                .map(|s| s.name().as_str())
                .collect::<Vec<_>>(),
            ["EnochRoot", "EnochRoot"]
        );
        for twice in [
            format!("{TEXT}\n{PETER_SIG}{PETER_SIG}"),
            format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}{bad_peter}"),
        ] {
            let note = Note::parse(&twice).expect("well formed");
            assert_eq!(
                note.verify(std::slice::from_ref(&peter)),
                Err(NoteVerifyError::DuplicateSignature {
                    key: "PeterNeumann+c74f20a3".into()
                })
            );
        }
        // An identical unknown line twice is reported once.
        let note = Note::parse(&format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}"))
            .expect("well formed");
        assert_eq!(note.unknown_signatures(&[&peter]).len(), 1);

        // A cosigner key with the same name is not a note key.
        let cosigner = VerifierKey::new(
            peter.name().clone(),
            SignatureType::CosignatureV1,
            *peter.public_key(),
        );
        let note = Note::parse(&format!("{TEXT}\n{PETER_SIG}")).expect("well formed");
        assert_eq!(
            note.verify(&[cosigner]),
            Err(NoteVerifyError::NoKnownSignature)
        );
    }

    #[test]
    fn malformed_notes_are_rejected_with_a_reason() {
        let check =
            |note: &str, want: NoteError| assert_eq!(Note::parse(note), Err(want), "{note:?}");
        let line = |n, reason| NoteError::BadSignatureLine { line: n, reason };
        // From Go's TestOpen badMsgs, each with the reason we give.
        check(TEXT, NoteError::NoSignatureBlock);
        check(&format!("{TEXT}\n"), NoteError::NoSignatures);
        check(
            &format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
            line(1, "does not end in a newline"),
        );
        check(
            &format!("\x01{TEXT}\n{PETER_SIG}"),
            NoteError::ControlCharacter,
        );
        check(
            &format!("{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
            line(1, "signature is not valid base64"),
        );
        check(
            &format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
            line(2, "does not start with an em dash and a space"),
        );
        check(
            &format!("{TEXT}\n{}", PETER_SIG.repeat(101)),
            NoteError::TooManySignatures,
        );
        // And a few of our own.
        check(
            &format!("{TEXT}\n- PeterNeumann x08go/ZJku\n"),
            line(1, "does not start with an em dash and a space"),
        );
        check(
            &format!("{TEXT}\n\u{2014} PeterNeumann AAAA\n"),
            line(1, "signature is shorter than a key ID and one byte"),
        );
        check(
            &format!("{TEXT}\n\u{2014} a+b AAAAAAAA\n"),
            line(1, "key name is empty or has spaces or '+'"),
        );
        check(
            &format!("{TEXT}\n\u{2014} PeterNeumann\n"),
            line(1, "has no space between key name and signature"),
        );
        check(
            &format!("{TEXT}\n{PETER_SIG}\t"),
            NoteError::ControlCharacter,
        );
        assert_eq!(Note::from_bytes(b"\xff\n\n"), Err(NoteError::NotUtf8));
        assert_eq!(
            Note::from_bytes(&vec![b'a'; MAX_NOTE_LEN + 1]),
            Err(NoteError::TooLarge)
        );
        assert_eq!(Note::new("no newline"), Err(NoteError::TextNotTerminated));
    }

    #[test]
    fn text_may_contain_blank_lines() {
        let signer = go_signer(PETER_SKEY);
        let mut note = Note::new("a\n\nb\n\n").expect("valid");
        note.sign(&signer);
        let parsed = Note::parse(&note.to_string()).expect("round trips");
        assert_eq!(parsed, note);
        assert!(parsed
            .verify(std::slice::from_ref(signer.verifier_key()))
            .is_ok());
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let base = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        let keys = [vkey(PETER_VKEY), vkey(ENOCH_VKEY)];
        let bytes = base.as_bytes();
        for cut in 0..=bytes.len() {
            if let Ok(n) = Note::from_bytes(&bytes[..cut]) {
                let _ = n.verify(&keys);
            }
        }
        for i in 0..bytes.len() {
            for delta in [1u8, 0x80] {
                let mut m = bytes.to_vec();
                m[i] = m[i].wrapping_add(delta);
                if let Ok(n) = Note::from_bytes(&m) {
                    let _ = n.verify(&keys);
                }
            }
        }
    }
}
