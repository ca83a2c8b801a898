//! The log entry envelope, version 2: the exact bytes that become a leaf.
//!
//! Every event of a meeting (method adopted, round opened, a batch of
//! ballots, a void decision, the tally…) is one entry. Its encoding is fixed
//! here, field by field, so that an auditor can recompute the Merkle tree
//! from the entry files alone, in any language. Integers are big-endian.
//!
//! | offset | size | field | meaning |
//! |---|---|---|---|
//! | 0 | 4 | magic | ASCII `SCRT`: says "this is a scrutineer entry" |
//! | 4 | 1 | version | `2`; any other value is rejected by this decoder |
//! | 5 | 2 | kind | [`EntryKind`]: what the payload is |
//! | 7 | 8 | timestamp | milliseconds since the Unix epoch (UTC), given by the service |
//! | 15 | 1 | author role | [`AuthorRole`] of the author |
//! | 16 | 32 | author key | the author's Ed25519 public key (for the service: the log key) |
//! | 48 | 4 | payload length | `n`, number of payload bytes |
//! | 52 | n | payload | opaque here; its format is defined per kind by the meeting service |
//! | 52 + n | 64 | signature | **only when the role is not `service`**: Ed25519 (`verify_strict`) by the author key over the 52-byte message `"scrutineer/entry/v2\n"` ‖ SHA-256(bytes `0 .. 52 + n`) |
//!
//! An entry by a person (a counter, a scrutineer, the presidium, the
//! organiser) is signed by that person's own key, made on their device;
//! the service only sequences it. An entry by the service itself (the
//! sequencer: batches merged after reconciliation, the computed tally)
//! carries no signature: it is authenticated by the checkpoints that cover
//! it, which the log key signs and scrutineers and witnesses cosign. An
//! entry signature by the log key would add nothing to that.
//!
//! The whole entry is at most [`MAX_ENTRY_LEN`] bytes (under 64 KiB), so a
//! hostile file can never make a verifier allocate much. There is exactly
//! one encoding of an entry: decoding rejects trailing bytes, and the
//! signature covers every other byte, through their SHA-256 digest (so the
//! cost of a signature check does not grow with the entry: SHA-256 has
//! hardware support where SHA-512, Ed25519's own hash, often has none).
//!
//! The leaf hash of the entry is `SHA-256(0x00 || entry bytes)`
//! ([`super::merkle::leaf_hash`]).

use std::fmt;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::merkle::{leaf_hash, Hash};

/// First four bytes of every entry.
pub const ENTRY_MAGIC: [u8; 4] = *b"SCRT";

/// The only envelope version this code writes and reads.
pub const ENTRY_VERSION: u8 = 2;

/// Prefix of the signed message: the signature over an entry can never be
/// replayed as a signature over anything else the same key signs (notes,
/// cosignatures, key proofs, counters' readings), whose messages start
/// differently.
pub const ENTRY_SIGNATURE_CONTEXT: &[u8] = b"scrutineer/entry/v2\n";

/// Bytes of the signed message: the context, then a SHA-256 digest.
pub const ENTRY_SIGNED_MESSAGE_LEN: usize = 20 + 32;

/// Bytes before the payload.
pub const ENTRY_HEADER_LEN: usize = 52;

/// Bytes of the trailing signature.
pub const ENTRY_SIGNATURE_LEN: usize = 64;

/// Largest encoded entry: anything from 64 KiB up is rejected.
pub const MAX_ENTRY_LEN: usize = 64 * 1024 - 1;

/// Largest payload that fits in [`MAX_ENTRY_LEN`] (with a signature).
pub const MAX_PAYLOAD_LEN: usize = MAX_ENTRY_LEN - ENTRY_HEADER_LEN - ENTRY_SIGNATURE_LEN;

/// What an entry records. A `u16` rather than an enum so that an older
/// verifier can still hash, verify and list an entry of a kind added later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryKind(pub u16);

impl EntryKind {
    /// The election method (选举办法) in force, with its parameters.
    pub const METHOD_ADOPTED: EntryKind = EntryKind(1);
    /// The meeting exists: name, organisation, log origin.
    pub const MEETING_CREATED: EntryKind = EntryKind(2);
    /// Entitled and present members (应到 / 实到).
    pub const ATTENDANCE_RECORDED: EntryKind = EntryKind(3);
    /// A round opens, with its candidate list in ballot order.
    pub const ROUND_OPENED: EntryKind = EntryKind(4);
    /// A batch of counted ballots.
    pub const BALLOT_BATCH: EntryKind = EntryKind(5);
    /// The scrutineers declare a ballot invalid, with the reason.
    pub const VOID_DECISION: EntryKind = EntryKind(6);
    /// Ballots issued against returned (发出 / 收回).
    pub const RECONCILIATION: EntryKind = EntryKind(7);
    /// A round closes: no more ballots.
    pub const ROUND_CLOSED: EntryKind = EntryKind(8);
    /// The tally and outcome of a round.
    pub const TALLY_PUBLISHED: EntryKind = EntryKind(9);
    /// A decision of the presidium (主席团), e.g. on a runoff.
    pub const PRESIDIUM_DECISION: EntryKind = EntryKind(10);
    /// A public key enters the meeting, with its holder and role.
    pub const KEY_REGISTERED: EntryKind = EntryKind(11);
    /// Scrutineers cosigned a result checkpoint.
    pub const RESULT_COSIGNED: EntryKind = EntryKind(12);
    /// Anything else, described in the payload.
    pub const OTHER: EntryKind = EntryKind(0xffff);

    /// Stable name of a known kind, for reports and the bundle.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            EntryKind::METHOD_ADOPTED => "method_adopted",
            EntryKind::MEETING_CREATED => "meeting_created",
            EntryKind::ATTENDANCE_RECORDED => "attendance_recorded",
            EntryKind::ROUND_OPENED => "round_opened",
            EntryKind::BALLOT_BATCH => "ballot_batch",
            EntryKind::VOID_DECISION => "void_decision",
            EntryKind::RECONCILIATION => "reconciliation",
            EntryKind::ROUND_CLOSED => "round_closed",
            EntryKind::TALLY_PUBLISHED => "tally_published",
            EntryKind::PRESIDIUM_DECISION => "presidium_decision",
            EntryKind::KEY_REGISTERED => "key_registered",
            EntryKind::RESULT_COSIGNED => "result_cosigned",
            EntryKind::OTHER => "other",
            _ => return None,
        })
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "kind_{}", self.0),
        }
    }
}

/// In what capacity the author signed. A closed set: a verifier must know
/// what every role means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuthorRole {
    /// The counting service itself (the log operator).
    Service = 1,
    /// The presidium (主席团).
    Presidium = 2,
    /// The meeting chair (会议主持人).
    Chair = 3,
    /// The chief scrutineer (总监票人).
    ChiefScrutineer = 4,
    /// A scrutineer (监票人).
    Scrutineer = 5,
    /// A counter (计票人), working under the scrutineers.
    Counter = 6,
    /// Meeting staff (工作人员) entering data.
    Clerk = 7,
}

impl AuthorRole {
    /// The role's name, as `key_registered` events write it.
    pub fn name(self) -> &'static str {
        match self {
            AuthorRole::Service => "service",
            AuthorRole::Presidium => "presidium",
            AuthorRole::Chair => "chair",
            AuthorRole::ChiefScrutineer => "chief_scrutineer",
            AuthorRole::Scrutineer => "scrutineer",
            AuthorRole::Counter => "counter",
            AuthorRole::Clerk => "clerk",
        }
    }

    /// The byte written in the entry.
    pub fn byte(self) -> u8 {
        self as u8
    }

    /// The role of a byte, if it is one.
    pub fn from_byte(b: u8) -> Option<AuthorRole> {
        Some(match b {
            1 => AuthorRole::Service,
            2 => AuthorRole::Presidium,
            3 => AuthorRole::Chair,
            4 => AuthorRole::ChiefScrutineer,
            5 => AuthorRole::Scrutineer,
            6 => AuthorRole::Counter,
            7 => AuthorRole::Clerk,
            _ => return None,
        })
    }
}

/// Why bytes are not a version 2 entry, or an entry cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryError {
    /// Shorter than header and signature.
    TooShort { len: usize },
    /// At least 64 KiB.
    TooLarge { len: usize },
    /// Does not start with `SCRT`.
    BadMagic,
    /// A version other than 2.
    UnsupportedVersion(u8),
    /// An author role byte we do not know.
    UnknownRole(u8),
    /// The payload length field disagrees with the number of bytes.
    LengthMismatch { declared: u64, actual: u64 },
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::TooShort { len } => write!(f, "entry of {len} bytes is too short"),
            EntryError::TooLarge { len } => {
                write!(f, "entry of {len} bytes exceeds {MAX_ENTRY_LEN} bytes")
            }
            EntryError::BadMagic => f.write_str("entry does not start with SCRT"),
            EntryError::UnsupportedVersion(1) => f.write_str(
                "entry version 1: written by a development build before persons signed their own entries; this verifier reads version 2",
            ),
            EntryError::UnsupportedVersion(v) => write!(f, "unsupported entry version {v}"),
            EntryError::UnknownRole(r) => write!(f, "unknown author role {r}"),
            EntryError::LengthMismatch { declared, actual } => {
                write!(
                    f,
                    "payload length says {declared} bytes, entry holds {actual}"
                )
            }
        }
    }
}

impl std::error::Error for EntryError {}

/// Why an entry's signature does not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntrySignatureError {
    /// The author key is not a valid Ed25519 public key.
    InvalidAuthorKey,
    /// The signature does not verify (strictly) under the author key.
    BadSignature,
    /// A person's entry without a signature.
    Missing,
    /// A service entry cannot carry a signature; a person's must.
    NotSignable,
}

impl fmt::Display for EntrySignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntrySignatureError::InvalidAuthorKey => "author key is not a valid Ed25519 key",
            EntrySignatureError::BadSignature => "entry signature does not verify",
            EntrySignatureError::Missing => "entry by a person carries no signature",
            EntrySignatureError::NotSignable => "an entry by the service carries no signature",
        })
    }
}

impl std::error::Error for EntrySignatureError {}

/// A decoded, prepared or signed entry. Decoding checks the layout only;
/// call [`Entry::verify_signature`] before trusting the author.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    head: EntryHead,
    payload: Vec<u8>,
}

/// Everything of an entry but its payload: what [`EntryHead::split`] reads
/// from entry bytes, leaving the payload where it is (the verifier's
/// per-entry checks read a payload once, to decode its event, and keep
/// none of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryHead {
    kind: EntryKind,
    timestamp_ms: u64,
    role: AuthorRole,
    /// Raw bytes, not a `VerifyingKey`, so that an entry with a bad key can
    /// still be decoded, listed and reported.
    author: [u8; 32],
    /// `None` for the service's entries, and for a person's entry that is
    /// prepared but not yet signed.
    signature: Option<[u8; ENTRY_SIGNATURE_LEN]>,
}

impl EntryHead {
    /// Reads entry bytes: the head, and the payload as a slice of `bytes`.
    /// Never panics; rejects anything but one exact, complete version 2
    /// entry. The one reader of the entry layout ([`Entry::decode`] is
    /// this and a copy of the payload).
    pub fn split(bytes: &[u8]) -> Result<(EntryHead, &[u8]), EntryError> {
        let len = bytes.len();
        if len > MAX_ENTRY_LEN {
            return Err(EntryError::TooLarge { len });
        }
        if len < ENTRY_HEADER_LEN {
            return Err(EntryError::TooShort { len });
        }
        let (header, rest) = bytes.split_at(ENTRY_HEADER_LEN);
        if header[0..4] != ENTRY_MAGIC {
            return Err(EntryError::BadMagic);
        }
        if header[4] != ENTRY_VERSION {
            return Err(EntryError::UnsupportedVersion(header[4]));
        }
        let kind = EntryKind(u16::from_be_bytes([header[5], header[6]]));
        let timestamp_ms = u64::from_be_bytes(array(&header[7..15]));
        let role = AuthorRole::from_byte(header[15]).ok_or(EntryError::UnknownRole(header[15]))?;
        let sig_len = signature_len(role);
        if len < ENTRY_HEADER_LEN + sig_len {
            return Err(EntryError::TooShort { len });
        }
        let author: [u8; 32] = array(&header[16..48]);
        let declared = u32::from_be_bytes(array(&header[48..52]));
        let actual = rest.len() - sig_len;
        if u64::from(declared) != actual as u64 {
            return Err(EntryError::LengthMismatch {
                declared: u64::from(declared),
                actual: actual as u64,
            });
        }
        let (payload, signature) = rest.split_at(actual);
        let head = EntryHead {
            kind,
            timestamp_ms,
            role,
            author,
            signature: (sig_len > 0).then(|| array(signature)),
        };
        Ok((head, payload))
    }

    /// What the entry records.
    pub fn kind(&self) -> EntryKind {
        self.kind
    }

    /// When, in milliseconds since the Unix epoch, as stated by the service.
    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }

    /// In what capacity the author made it.
    pub fn role(&self) -> AuthorRole {
        self.role
    }

    /// The author's public key bytes.
    pub fn author(&self) -> &[u8; 32] {
        &self.author
    }

    /// The author's signature: `None` for the service's entries.
    pub fn signature(&self) -> Option<&[u8; ENTRY_SIGNATURE_LEN]> {
        self.signature.as_ref()
    }

    /// [`Entry::verify_signature`] of the entry of this head and `payload`.
    pub fn verify_signature(&self, payload: &[u8]) -> Result<(), EntrySignatureError> {
        match (self.role, &self.signature) {
            (AuthorRole::Service, _) => Ok(()),
            (_, None) => Err(EntrySignatureError::Missing),
            (_, Some(sig)) => check_signature(&self.author, &self.signed_message(payload), sig),
        }
    }

    /// [`Entry::signed_message`] of the entry of this head and `payload`.
    pub fn signed_message(&self, payload: &[u8]) -> [u8; ENTRY_SIGNED_MESSAGE_LEN] {
        let mut h = Sha256::new();
        h.update(self.header(payload.len()));
        h.update(payload);
        let mut out = [0u8; ENTRY_SIGNED_MESSAGE_LEN];
        out[..ENTRY_SIGNATURE_CONTEXT.len()].copy_from_slice(ENTRY_SIGNATURE_CONTEXT);
        out[ENTRY_SIGNATURE_CONTEXT.len()..].copy_from_slice(&h.finalize());
        out
    }

    /// Bytes `0 .. 52` of the entry with a payload of `payload_len` bytes.
    fn header(&self, payload_len: usize) -> [u8; ENTRY_HEADER_LEN] {
        let mut out = [0u8; ENTRY_HEADER_LEN];
        out[0..4].copy_from_slice(&ENTRY_MAGIC);
        out[4] = ENTRY_VERSION;
        out[5..7].copy_from_slice(&self.kind.0.to_be_bytes());
        out[7..15].copy_from_slice(&self.timestamp_ms.to_be_bytes());
        out[15] = self.role.byte();
        out[16..48].copy_from_slice(&self.author);
        // Fits: the payload is at most MAX_PAYLOAD_LEN, checked on creation
        // and on decode.
        out[48..52].copy_from_slice(&(payload_len as u32).to_be_bytes());
        out
    }
}

impl Entry {
    /// An entry as yet unsigned: the service's own (complete as it is), or
    /// a person's awaiting [`Entry::attach_signature`].
    pub fn prepare(
        kind: EntryKind,
        timestamp_ms: u64,
        role: AuthorRole,
        author: [u8; 32],
        payload: &[u8],
    ) -> Result<Entry, EntryError> {
        let len = ENTRY_HEADER_LEN + payload.len() + signature_len(role);
        if len > MAX_ENTRY_LEN {
            return Err(EntryError::TooLarge { len });
        }
        Ok(Entry {
            head: EntryHead {
                kind,
                timestamp_ms,
                role,
                author,
                signature: None,
            },
            payload: payload.to_vec(),
        })
    }

    /// Builds an entry by `key`'s holder: signed for a person's role; for
    /// [`AuthorRole::Service`] unsigned, the key only naming the sequencer.
    pub fn sign(
        kind: EntryKind,
        timestamp_ms: u64,
        role: AuthorRole,
        key: &SigningKey,
        payload: &[u8],
    ) -> Result<Entry, EntryError> {
        let mut entry = Entry::prepare(
            kind,
            timestamp_ms,
            role,
            key.verifying_key().to_bytes(),
            payload,
        )?;
        if role != AuthorRole::Service {
            entry.head.signature = Some(key.sign(&entry.signed_message()).to_bytes());
        }
        Ok(entry)
    }

    /// Attaches a signature made elsewhere (on the author's device) after
    /// checking it; the entry is unchanged on an error.
    pub fn attach_signature(
        &mut self,
        signature: [u8; ENTRY_SIGNATURE_LEN],
    ) -> Result<(), EntrySignatureError> {
        if self.head.role == AuthorRole::Service {
            return Err(EntrySignatureError::NotSignable);
        }
        check_signature(&self.head.author, &self.signed_message(), &signature)?;
        self.head.signature = Some(signature);
        Ok(())
    }

    /// What the entry records.
    pub fn kind(&self) -> EntryKind {
        self.head.kind
    }

    /// When, in milliseconds since the Unix epoch, as stated by the service.
    pub fn timestamp_ms(&self) -> u64 {
        self.head.timestamp_ms
    }

    /// In what capacity the author made it.
    pub fn role(&self) -> AuthorRole {
        self.head.role
    }

    /// The author's public key bytes.
    pub fn author(&self) -> &[u8; 32] {
        &self.head.author
    }

    /// Everything but the payload.
    pub fn head(&self) -> &EntryHead {
        &self.head
    }

    /// The opaque payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The author's signature: `None` for the service's entries.
    pub fn signature(&self) -> Option<&[u8; ENTRY_SIGNATURE_LEN]> {
        self.head.signature()
    }

    /// The exact bytes of the entry (the leaf).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.unsigned_bytes();
        if let Some(sig) = &self.head.signature {
            out.extend_from_slice(sig);
        }
        out
    }

    /// Its leaf hash, `SHA-256(0x00 || encode())`.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.encode())
    }

    /// Decodes entry bytes. Never panics; rejects anything but one exact,
    /// complete version 2 entry.
    pub fn decode(bytes: &[u8]) -> Result<Entry, EntryError> {
        let (head, payload) = EntryHead::split(bytes)?;
        Ok(Entry {
            head,
            payload: payload.to_vec(),
        })
    }

    /// Checks the author's signature with `verify_strict` (no malleable or
    /// small-order edge cases). A service entry has none to check: `Ok`;
    /// whether its author is the log key is the verifier's question.
    pub fn verify_signature(&self) -> Result<(), EntrySignatureError> {
        self.head.verify_signature(&self.payload)
    }

    /// The message the author signs: `"scrutineer/entry/v2\n"` followed by
    /// SHA-256 of bytes `0 .. 52 + n` (header and payload), 52 bytes in all.
    pub fn signed_message(&self) -> [u8; ENTRY_SIGNED_MESSAGE_LEN] {
        self.head.signed_message(&self.payload)
    }

    /// Bytes `0 .. 52 + n`: everything the signature covers.
    fn unsigned_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(ENTRY_HEADER_LEN + self.payload.len() + ENTRY_SIGNATURE_LEN);
        out.extend_from_slice(&self.head.header(self.payload.len()));
        out.extend_from_slice(&self.payload);
        out
    }
}

/// Bytes of signature an entry by `role` carries.
fn signature_len(role: AuthorRole) -> usize {
    if role == AuthorRole::Service {
        0
    } else {
        ENTRY_SIGNATURE_LEN
    }
}

/// `verify_strict` of `sig` by `author` over `message`.
pub fn check_signature(
    author: &[u8; 32],
    message: &[u8],
    sig: &[u8; ENTRY_SIGNATURE_LEN],
) -> Result<(), EntrySignatureError> {
    let key =
        VerifyingKey::from_bytes(author).map_err(|_| EntrySignatureError::InvalidAuthorKey)?;
    key.verify_strict(message, &Signature::from_bytes(sig))
        .map_err(|_| EntrySignatureError::BadSignature)
}

/// Copies a slice whose length the caller has already fixed.
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn sample() -> Entry {
        Entry::sign(
            EntryKind::ROUND_OPENED,
            1_700_000_000_123,
            AuthorRole::Clerk,
            &key(3),
            b"candidates",
        )
        .expect("small payload")
    }

    /// The header layout, byte for byte, as documented above.
    #[test]
    fn encoding_follows_the_documented_layout() {
        let e = sample();
        let bytes = e.encode();
        assert_eq!(bytes.len(), 52 + 10 + 64);
        assert_eq!(&bytes[0..4], b"SCRT");
        assert_eq!(bytes[4], 2);
        assert_eq!(&bytes[5..7], &[0, 4]);
        assert_eq!(&bytes[7..15], &1_700_000_000_123u64.to_be_bytes());
        assert_eq!(bytes[15], 7);
        assert_eq!(&bytes[16..48], key(3).verifying_key().as_bytes());
        assert_eq!(&bytes[48..52], &[0, 0, 0, 10]);
        assert_eq!(&bytes[52..62], b"candidates");
        // The signature covers the context string and the SHA-256 digest
        // of every byte before it: 52 bytes.
        let mut message = b"scrutineer/entry/v2\n".to_vec();
        message.extend_from_slice(&Sha256::digest(&bytes[..62]));
        assert_eq!(message.len(), ENTRY_SIGNED_MESSAGE_LEN);
        assert_eq!(e.signed_message()[..], message[..]);
        let sig = Signature::from_bytes(&array(&bytes[62..]));
        assert!(key(3).verifying_key().verify_strict(&message, &sig).is_ok());
        assert_eq!(Entry::decode(&bytes), Ok(e.clone()));
        assert_eq!(e.verify_signature(), Ok(()));
        assert_eq!(e.leaf_hash(), leaf_hash(&bytes));
    }

    /// The service's own entries carry no signature: header and payload.
    #[test]
    fn service_entries_are_unsigned() {
        let e = Entry::sign(
            EntryKind::BALLOT_BATCH,
            7,
            AuthorRole::Service,
            &key(1),
            b"ballots",
        )
        .expect("small");
        let bytes = e.encode();
        assert_eq!(bytes.len(), 52 + 7);
        assert_eq!(bytes[15], 1);
        assert_eq!(e.signature(), None);
        assert_eq!(Entry::decode(&bytes), Ok(e.clone()));
        assert_eq!(e.verify_signature(), Ok(()));
        let mut again = e.clone();
        assert_eq!(
            again.attach_signature([0; 64]),
            Err(EntrySignatureError::NotSignable)
        );
        // A signature appended to a service entry is a length mismatch.
        let mut signed = bytes.clone();
        signed.extend_from_slice(&[0; 64]);
        assert!(matches!(
            Entry::decode(&signed),
            Err(EntryError::LengthMismatch { .. })
        ));
    }

    /// A person's entry is prepared by the service, signed on the device,
    /// and only a signature that verifies is attached.
    #[test]
    fn prepared_entries_take_only_a_valid_signature() {
        let k = key(5);
        let mut e = Entry::prepare(
            EntryKind::VOID_DECISION,
            9,
            AuthorRole::Scrutineer,
            k.verifying_key().to_bytes(),
            b"void",
        )
        .expect("small");
        assert_eq!(e.verify_signature(), Err(EntrySignatureError::Missing));
        let wrong = key(6).sign(&e.signed_message()).to_bytes();
        assert_eq!(
            e.attach_signature(wrong),
            Err(EntrySignatureError::BadSignature)
        );
        assert_eq!(e.signature(), None);
        let right = k.sign(&e.signed_message()).to_bytes();
        assert_eq!(e.attach_signature(right), Ok(()));
        assert_eq!(e.verify_signature(), Ok(()));
        assert_eq!(
            e,
            Entry::sign(
                EntryKind::VOID_DECISION,
                9,
                AuthorRole::Scrutineer,
                &k,
                b"void"
            )
            .expect("small")
        );
    }

    #[test]
    fn malformed_entries_are_rejected() {
        let good = sample().encode();
        let check = |bytes: Vec<u8>, want: EntryError| assert_eq!(Entry::decode(&bytes), Err(want));
        let with = |i: usize, b: u8| {
            let mut v = good.clone();
            v[i] = b;
            v
        };
        check(vec![], EntryError::TooShort { len: 0 });
        check(good[..115].to_vec(), EntryError::TooShort { len: 115 });
        check(
            vec![0; MAX_ENTRY_LEN + 1],
            EntryError::TooLarge {
                len: MAX_ENTRY_LEN + 1,
            },
        );
        check(with(0, b'X'), EntryError::BadMagic);
        check(with(4, 1), EntryError::UnsupportedVersion(1));
        check(with(4, 3), EntryError::UnsupportedVersion(3));
        check(with(15, 0), EntryError::UnknownRole(0));
        check(with(15, 8), EntryError::UnknownRole(8));
        check(
            with(51, 11),
            EntryError::LengthMismatch {
                declared: 11,
                actual: 10,
            },
        );
        check(
            with(48, 0x80),
            EntryError::LengthMismatch {
                declared: 0x8000_000a,
                actual: 10,
            },
        );
        check(
            [good.clone(), vec![0]].concat(),
            EntryError::LengthMismatch {
                declared: 10,
                actual: 11,
            },
        );
    }

    #[test]
    fn any_changed_byte_breaks_the_signature_or_the_layout() {
        let good = sample().encode();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x01;
            let ok = Entry::decode(&bad).map(|e| e.verify_signature().is_ok());
            assert_ne!(ok, Ok(true), "flipping byte {i} went unnoticed");
        }
    }

    #[test]
    fn size_limit_is_64_kib() {
        let max = vec![0xab; MAX_PAYLOAD_LEN];
        let e = Entry::sign(
            EntryKind::BALLOT_BATCH,
            0,
            AuthorRole::Counter,
            &key(1),
            &max,
        )
        .expect("fits");
        assert_eq!(e.encode().len(), MAX_ENTRY_LEN);
        assert_eq!(
            Entry::decode(&e.encode()).map(|d| d.verify_signature()),
            Ok(Ok(()))
        );
        let over = vec![0; MAX_PAYLOAD_LEN + 1];
        assert_eq!(
            Entry::sign(
                EntryKind::BALLOT_BATCH,
                0,
                AuthorRole::Counter,
                &key(1),
                &over
            ),
            Err(EntryError::TooLarge { len: 64 * 1024 })
        );
    }

    #[test]
    fn bad_author_key_is_reported_not_panicked() {
        let mut bytes = sample().encode();
        // y = 2 with sign bit clear does not decode to a curve point.
        bytes[16..48].copy_from_slice(&[2; 32]);
        let decoded = Entry::decode(&bytes).expect("layout is fine");
        assert!(decoded.verify_signature().is_err());
    }

    /// The encoding is frozen: these fixtures must never change for
    /// version 2 (Ed25519 signing is deterministic, so the signature is
    /// fixed too): a person's signed entry and the service's unsigned one.
    #[test]
    fn golden_entries_v2() {
        let fixture = include_str!("../../fixtures/log/entry_v2.hex");
        let mut lines = fixture.lines();
        let person = Entry::sign(
            EntryKind::ROUND_CLOSED,
            1_700_000_000_000,
            AuthorRole::Scrutineer,
            &key(1),
            b"hello",
        )
        .expect("small");
        let service = Entry::sign(
            EntryKind::MEETING_CREATED,
            1_700_000_000_000,
            AuthorRole::Service,
            &key(1),
            b"hello",
        )
        .expect("small");
        for e in [person, service] {
            let hex: String = e.encode().iter().map(|b| format!("{b:02x}")).collect();
            let line = lines.next().unwrap_or_default();
            let (bytes, leaf) = line.split_once(' ').unwrap_or((line, ""));
            assert_eq!(hex, bytes);
            assert_eq!(e.leaf_hash().to_hex(), leaf);
        }
    }

    #[test]
    fn kinds_have_stable_names() {
        assert_eq!(EntryKind::TALLY_PUBLISHED.to_string(), "tally_published");
        assert_eq!(EntryKind(999).to_string(), "kind_999");
    }

    proptest! {
        #[test]
        fn round_trips(kind in any::<u16>(), ts in any::<u64>(), role in 1u8..=7, payload in proptest::collection::vec(any::<u8>(), 0..300)) {
            let role = AuthorRole::from_byte(role).expect("in range");
            let e = Entry::sign(EntryKind(kind), ts, role, &key(9), &payload).expect("fits");
            prop_assert_eq!(e.signature().is_some(), role != AuthorRole::Service);
            let d = Entry::decode(&e.encode());
            prop_assert_eq!(d.as_ref(), Ok(&e));
            prop_assert_eq!(e.verify_signature(), Ok(()));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(e) = Entry::decode(&bytes) {
                let _ = e.verify_signature();
                prop_assert_eq!(e.encode(), bytes);
            }
        }
    }
}
