//! The signed, append-only log of a meeting: PURE, no I/O.
//!
//! Everything that happens in a meeting is recorded as an [`entry::Entry`],
//! whose exact bytes are a leaf of an RFC 6962 Merkle tree. The log signs
//! checkpoints of the tree (C2SP `tlog-checkpoint` as a C2SP `signed-note`);
//! scrutineers cosign them (C2SP `tlog-cosignature`); anyone can hold a
//! receipt (C2SP `tlog-proof`) that an entry is in a signed tree. An auditor
//! needs only the entry files, the checkpoint and the public keys.
//!
//! # Layout
//!
//! | module | what |
//! |---|---|
//! | [`merkle`] | RFC 6962/9162 hashing, the in-memory [`merkle::Tree`], proof generation and the verifiers; hashes in groups of four hex digits |
//! | [`entry`] | the versioned, byte-exact entry envelope signed by its author |
//! | [`note`] | C2SP signed notes: key names, key IDs, verifier keys, Ed25519 signatures |
//! | [`checkpoint`] | C2SP checkpoints: origin, size, root |
//! | [`cosignature`] | C2SP cosignatures v1 and the k-of-n [`cosignature::CosignatureQuorum`] |
//! | [`sigbatch`] | Ed25519 batch verification with `verify_strict`'s cheap checks, for the verifier |
//! | [`signer`] | [`signer::LogSigner`], which never signs two inconsistent checkpoints |
//! | [`proof`] | inclusion receipts in the tlog-proof format |
//! | [`tiles`] | the log as C2SP tlog-tiles: hash tiles and entry bundles |
//! | [`event`] | the typed meeting events carried as entry payloads (canonical JSON) |
//! | [`record`] | the signed result of a round (`tally_published`): codes and numbers, no display text |
//! | [`stage`] | the procedure facts of a round (`stage_recorded`): groups, papers, stage sizes, ratings, the cadre record |
//! | [`bundle`] | the audit bundle in memory: file names, building one from a log, splitting one into parts |
//! | [`verify`] | the auditor's verifier: nine numbered steps, replay of every tally |
//! | [`replay_stages`] | the verifier's replay of the stages of an election |
//! | [`pins`] | what an auditor holds from outside the bundle, and step 9 that checks it |
//! | [`witness`] | the witness side of C2SP tlog-witness: deciding on an `add-checkpoint` request |
//!
//! Architecture Invariant: nothing here touches files, sockets, the clock or
//! randomness. Time (milliseconds or seconds) and keys are parameters; the
//! storage of entries and checkpoints lives in the `store` module.
//!
//! Architecture Invariant: every verifier here returns an error on hostile
//! input and never panics; property tests feed them garbage.
//!
//! # Example
//!
//! ```
//! use ed25519_dalek::SigningKey;
//! use scrutineer::log::entry::{AuthorRole, Entry, EntryKind};
//! use scrutineer::log::merkle::Tree;
//! use scrutineer::log::note::{KeyName, NoteSigner};
//! use scrutineer::log::proof::InclusionReceipt;
//! use scrutineer::log::signer::LogSigner;
//!
//! let origin = "scrutineer.example/meeting-1";
//! let log_key = NoteSigner::new(KeyName::new(origin).unwrap(), SigningKey::from_bytes(&[1; 32]));
//! let mut signer = LogSigner::new(origin, log_key, None).unwrap();
//!
//! let clerk = SigningKey::from_bytes(&[2; 32]);
//! let entry = Entry::sign(EntryKind::ROUND_OPENED, 1_700_000_000_000, AuthorRole::Clerk, &clerk, b"...").unwrap();
//! let mut tree = Tree::new();
//! let index = tree.append(&entry.encode());
//!
//! let (_checkpoint, note) = signer.sign_tree(&tree).unwrap();
//! let receipt = InclusionReceipt::from_tree(&tree, index, &note).unwrap();
//! let public = signer.note_signer().verifier_key();
//! assert!(receipt.verify(&entry.encode(), origin, public).is_ok());
//! ```

pub mod bundle;
pub mod canonical;
pub mod checkpoint;
pub mod cosignature;
pub mod entry;
pub mod event;
pub mod merkle;
pub mod note;
pub mod pins;
pub mod proof;
pub mod record;
pub mod replay_stages;
pub mod sigbatch;
pub mod signer;
pub mod stage;
pub mod tiles;
pub mod verify;
pub mod witness;
