//! C2SP transparency-log checkpoints (<https://c2sp.org/tlog-checkpoint>).
//!
//! A checkpoint is the text of a signed note:
//!
//! ```text
//! <origin>\n
//! <tree size, ASCII decimal, no leading zeros>\n
//! <base64 of the 32-byte RFC 6962 root>\n
//! [<extension line>\n ...]
//! ```
//!
//! The log signs it with its Ed25519 note key; scrutineers add
//! cosignatures (see [`super::cosignature`]). Parsing is strict, because two
//! spellings of the same tree head would let a log show different bytes to
//! different auditors.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::merkle::{Hash, TreeSize};
use super::note::{Note, NoteError, NoteSigner, NoteVerifyError, SignatureType, VerifierKey};
use super::sigbatch::Verified;

/// A tree head: which log, how many leaves, which root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Names the log, so a checkpoint of one log is never taken for another.
    origin: String,
    size: TreeSize,
    root: Hash,
    /// Opaque lines after the root; kept so the body round-trips byte for
    /// byte (signatures cover them). We never write any.
    extensions: Vec<String>,
}

/// Why a checkpoint body was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointError {
    /// The body does not end in a newline.
    NotTerminated,
    /// Fewer than three lines.
    TooFewLines,
    /// The origin line is empty or holds a control character.
    InvalidOrigin,
    /// The size line is not a decimal number without leading zeros that
    /// fits in 64 bits.
    InvalidSize,
    /// The root line is not canonical base64 of exactly 32 bytes.
    InvalidRoot,
    /// An extension line is empty or holds a control character.
    InvalidExtension,
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CheckpointError::NotTerminated => "checkpoint does not end in a newline",
            CheckpointError::TooFewLines => "checkpoint has fewer than three lines",
            CheckpointError::InvalidOrigin => "origin line is empty or has control characters",
            CheckpointError::InvalidSize => {
                "size line is not a decimal number without leading zeros"
            }
            CheckpointError::InvalidRoot => "root line is not base64 of 32 bytes",
            CheckpointError::InvalidExtension => {
                "extension line is empty or has control characters"
            }
        })
    }
}

impl std::error::Error for CheckpointError {}

/// Why a signed checkpoint could not be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// The note itself is malformed.
    Note(NoteError),
    /// The log's signature is missing or bad.
    Signature(NoteVerifyError),
    /// The note text is not a checkpoint.
    Body(CheckpointError),
    /// The checkpoint is for another log.
    WrongOrigin { expected: String, found: String },
    /// The key given as the log key is not a note (type 0x01) key.
    NotALogKey,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Note(e) => write!(f, "malformed checkpoint note: {e}"),
            OpenError::Signature(e) => write!(f, "checkpoint signature: {e}"),
            OpenError::Body(e) => write!(f, "checkpoint body: {e}"),
            OpenError::WrongOrigin { expected, found } => {
                write!(f, "checkpoint is for log {found:?}, expected {expected:?}")
            }
            OpenError::NotALogKey => f.write_str("log key must be an Ed25519 note key"),
        }
    }
}

impl std::error::Error for OpenError {}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: TreeSize, root: Hash) -> Result<Checkpoint, CheckpointError> {
        if !valid_line(origin) {
            return Err(CheckpointError::InvalidOrigin);
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// Parses a checkpoint body (a note's text), strictly.
    pub fn parse(body: &str) -> Result<Checkpoint, CheckpointError> {
        let body = body
            .strip_suffix('\n')
            .ok_or(CheckpointError::NotTerminated)?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::TooFewLines);
        };
        if !valid_line(origin) {
            return Err(CheckpointError::InvalidOrigin);
        }
        let size = parse_decimal(size).ok_or(CheckpointError::InvalidSize)?;
        let root = parse_root(root).ok_or(CheckpointError::InvalidRoot)?;
        let extensions = lines
            .map(|l| {
                valid_line(l)
                    .then(|| l.to_owned())
                    .ok_or(CheckpointError::InvalidExtension)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size: TreeSize(size),
            root,
            extensions,
        })
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Number of leaves.
    pub fn size(&self) -> TreeSize {
        self.size
    }

    /// Root of the tree of that size.
    pub fn root(&self) -> Hash {
        self.root
    }

    /// Extension lines, if any.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text: exactly the bytes that are signed.
    pub fn body(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size.0,
            BASE64.encode(self.root.0)
        );
        for line in &self.extensions {
            s.push_str(line);
            s.push('\n');
        }
        s
    }

    /// Signs the checkpoint as a note with the log key.
    ///
    /// Prefer [`super::signer::LogSigner`], which also refuses to sign a
    /// checkpoint inconsistent with the previous one.
    pub fn sign(&self, signer: &NoteSigner) -> Note {
        // The body always ends in a newline and every line was checked for
        // control characters when the checkpoint was built or parsed.
        let mut note = Note::new(&self.body()).expect("a checkpoint body is a valid note text");
        note.sign(signer);
        note
    }

    /// Parses a signed checkpoint, checks the log's signature and origin.
    pub fn open(
        note: &str,
        origin: &str,
        log_key: &VerifierKey,
    ) -> Result<(Checkpoint, Note), OpenError> {
        let note = Note::parse(note).map_err(OpenError::Note)?;
        let checkpoint = Checkpoint::open_note(&note, origin, log_key)?;
        Ok((checkpoint, note))
    }

    /// Checks the log's signature and origin on an already parsed note.
    pub fn open_note(
        note: &Note,
        origin: &str,
        log_key: &VerifierKey,
    ) -> Result<Checkpoint, OpenError> {
        Checkpoint::open_note_known(note, origin, log_key, &Verified::none())
    }

    /// [`Checkpoint::open_note`], taking the signatures in `known` (found
    /// valid by a batch, [`super::sigbatch`]) as verified.
    pub fn open_note_known(
        note: &Note,
        origin: &str,
        log_key: &VerifierKey,
        known: &Verified,
    ) -> Result<Checkpoint, OpenError> {
        if log_key.sig_type() != SignatureType::Ed25519 {
            return Err(OpenError::NotALogKey);
        }
        note.verify_known(std::slice::from_ref(log_key), known)
            .map_err(OpenError::Signature)?;
        let checkpoint = Checkpoint::parse(note.text()).map_err(OpenError::Body)?;
        if checkpoint.origin != origin {
            return Err(OpenError::WrongOrigin {
                expected: origin.to_owned(),
                found: checkpoint.origin,
            });
        }
        Ok(checkpoint)
    }
}

fn valid_line(line: &str) -> bool {
    !line.is_empty() && !line.chars().any(char::is_control)
}

/// `0`, or a non-zero digit followed by digits, fitting a u64: the one
/// spelling of a number that C2SP formats accept.
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let canonical =
        !b.is_empty() && b.iter().all(u8::is_ascii_digit) && (b[0] != b'0' || b.len() == 1);
    if !canonical {
        return None;
    }
    s.parse().ok()
}

fn parse_root(s: &str) -> Option<Hash> {
    let bytes = BASE64.decode(s).ok()?;
    let root = Hash::from_slice(&bytes)?;
    // The engine already rejects non-zero padding bits; compare anyway so
    // only one spelling of a root can ever be accepted.
    (BASE64.encode(root.0) == s).then_some(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::note::KeyName;
    use ed25519_dalek::SigningKey;

    /// The example of the spec (c2sp.org/tlog-checkpoint).
    const SPEC_BODY: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn spec_example_parses_and_round_trips() {
        let c = Checkpoint::parse(SPEC_BODY).expect("valid");
        assert_eq!(c.origin(), "example.com/behind-the-sofa");
        assert_eq!(c.size(), TreeSize(20852163));
        assert_eq!(c.body(), SPEC_BODY);
        let with_ext = format!("{SPEC_BODY}ext one\next two\n");
        let c = Checkpoint::parse(&with_ext).expect("valid with extensions");
        assert_eq!(c.extensions(), ["ext one", "ext two"]);
        assert_eq!(c.body(), with_ext);
    }

    #[test]
    fn malformed_bodies_are_rejected() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let check = |body: &str, want: CheckpointError| {
            assert_eq!(Checkpoint::parse(body), Err(want), "{body:?}");
        };
        use CheckpointError::*;
        check("o\n1\nAAAA", NotTerminated);
        check("o\n1\n", TooFewLines);
        check(&format!("\n1\n{root}\n"), InvalidOrigin);
        check(&format!("o\t\n1\n{root}\n"), InvalidOrigin);
        check(&format!("o\n01\n{root}\n"), InvalidSize);
        check(&format!("o\n00\n{root}\n"), InvalidSize);
        check(&format!("o\n+1\n{root}\n"), InvalidSize);
        check(&format!("o\n-1\n{root}\n"), InvalidSize);
        check(&format!("o\n 1\n{root}\n"), InvalidSize);
        check(&format!("o\n1 \n{root}\n"), InvalidSize);
        check(&format!("o\n\n{root}\n"), InvalidSize);
        check(&format!("o\n18446744073709551616\n{root}\n"), InvalidSize);
        check(&format!("o\n\u{0661}\n{root}\n"), InvalidSize); // Arabic-Indic one
        check(
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",
            InvalidRoot,
        );
        check(
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
            InvalidRoot,
        );
        check(
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
            InvalidRoot,
        );
        check("o\n1\nAAAA\n", InvalidRoot);
        check(&format!("o\n1\n{root}\n\n"), InvalidExtension);
        check(&format!("o\n1\n{root}\next\n\n"), InvalidExtension);
        // The largest size is fine, zero too.
        assert!(Checkpoint::parse(&format!("o\n18446744073709551615\n{root}\n")).is_ok());
        assert!(Checkpoint::parse(&format!("o\n0\n{root}\n")).is_ok());
    }

    #[test]
    fn signed_checkpoint_opens_only_with_the_right_key_and_origin() {
        let name = KeyName::new("scrutineer.example/log").expect("valid");
        let signer = NoteSigner::new(name, SigningKey::from_bytes(&[7; 32]));
        let other = NoteSigner::new(
            KeyName::new("scrutineer.example/log").expect("valid"),
            SigningKey::from_bytes(&[8; 32]),
        );
        let c =
            Checkpoint::new("scrutineer.example/log", TreeSize(3), Hash([1; 32])).expect("valid");
        let text = c.sign(&signer).to_string();
        let key = signer.verifier_key();
        assert_eq!(
            Checkpoint::open(&text, "scrutineer.example/log", key).map(|r| r.0),
            Ok(c)
        );
        assert_eq!(
            Checkpoint::open(&text, "other.example/log", key).map(|r| r.0),
            Err(OpenError::WrongOrigin {
                expected: "other.example/log".into(),
                found: "scrutineer.example/log".into()
            })
        );
        assert_eq!(
            Checkpoint::open(&text, "scrutineer.example/log", other.verifier_key()).map(|r| r.0),
            Err(OpenError::Signature(NoteVerifyError::NoKnownSignature))
        );
        let tampered = text.replacen("\n3\n", "\n4\n", 1);
        assert!(matches!(
            Checkpoint::open(&tampered, "scrutineer.example/log", key),
            Err(OpenError::Signature(NoteVerifyError::BadSignature { .. }))
        ));
    }
}
