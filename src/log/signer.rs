//! The log's checkpoint signer, which never signs a fork.
//!
//! tlog-checkpoint: "A log MUST not sign any checkpoint which is
//! inconsistent with any checkpoint it previously signed." Two inconsistent
//! signed checkpoints are proof that the log showed different histories to
//! different people, which for an election record means the record cannot
//! be trusted. [`LogSigner`] makes that impossible by construction: it
//! remembers the last signed (size, root) and signs a new checkpoint only
//! with a consistency proof from it.

use std::fmt;

use super::checkpoint::{Checkpoint, CheckpointError};
use super::merkle::{verify_consistency, ConsistencyError, Hash, Tree, TreeError, TreeSize};
use super::note::{Note, NoteSigner};

/// Why the signer refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogSignerError {
    /// The checkpoint names another log.
    WrongOrigin { expected: String, found: String },
    /// The checkpoint is smaller than one already signed.
    Rollback {
        signed: TreeSize,
        requested: TreeSize,
    },
    /// The proof does not show that the new tree extends the signed one.
    Inconsistent(ConsistencyError),
    /// The origin is not a valid checkpoint origin.
    Checkpoint(CheckpointError),
    /// The tree could not produce the proof (it is smaller than the last
    /// signed checkpoint).
    Tree(TreeError),
}

impl fmt::Display for LogSignerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogSignerError::WrongOrigin { expected, found } => {
                write!(
                    f,
                    "checkpoint is for log {found:?}, this signer signs {expected:?}"
                )
            }
            LogSignerError::Rollback { signed, requested } => {
                write!(
                    f,
                    "refusing to sign size {requested}: size {signed} is already signed"
                )
            }
            LogSignerError::Inconsistent(e) => {
                write!(
                    f,
                    "refusing to sign a checkpoint inconsistent with the last one: {e}"
                )
            }
            LogSignerError::Checkpoint(e) => write!(f, "{e}"),
            LogSignerError::Tree(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LogSignerError {}

/// Signs checkpoints of one log, each an extension of the last.
#[derive(Debug)]
pub struct LogSigner {
    origin: String,
    signer: NoteSigner,
    /// The last signed tree head. After a restart the service restores it
    /// from the latest stored checkpoint, so the rule survives restarts.
    last: Option<(TreeSize, Hash)>,
}

impl LogSigner {
    /// A signer for the log `origin`, resuming after `last_signed` (the
    /// latest checkpoint this log ever signed, or `None` for a new log).
    pub fn new(
        origin: &str,
        signer: NoteSigner,
        last_signed: Option<&Checkpoint>,
    ) -> Result<LogSigner, LogSignerError> {
        // Validate the origin the way checkpoints do.
        Checkpoint::new(origin, TreeSize(0), Hash([0; 32])).map_err(LogSignerError::Checkpoint)?;
        if let Some(c) = last_signed {
            if c.origin() != origin {
                return Err(LogSignerError::WrongOrigin {
                    expected: origin.to_owned(),
                    found: c.origin().to_owned(),
                });
            }
        }
        Ok(LogSigner {
            origin: origin.to_owned(),
            signer,
            last: last_signed.map(|c| (c.size(), c.root())),
        })
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The note signer (for its verifier key).
    pub fn note_signer(&self) -> &NoteSigner {
        &self.signer
    }

    /// Size and root of the last signed checkpoint.
    pub fn last_signed(&self) -> Option<(TreeSize, Hash)> {
        self.last
    }

    /// Signs `checkpoint` if `proof` shows it extends the last signed one
    /// (ignored for the first checkpoint; empty when the size is unchanged).
    pub fn sign(
        &mut self,
        checkpoint: &Checkpoint,
        proof: &[Hash],
    ) -> Result<Note, LogSignerError> {
        if checkpoint.origin() != self.origin {
            return Err(LogSignerError::WrongOrigin {
                expected: self.origin.clone(),
                found: checkpoint.origin().to_owned(),
            });
        }
        if let Some((size, root)) = self.last {
            if checkpoint.size() < size {
                return Err(LogSignerError::Rollback {
                    signed: size,
                    requested: checkpoint.size(),
                });
            }
            verify_consistency(size, checkpoint.size(), proof, &root, &checkpoint.root())
                .map_err(LogSignerError::Inconsistent)?;
        }
        let note = checkpoint.sign(&self.signer);
        self.last = Some((checkpoint.size(), checkpoint.root()));
        Ok(note)
    }

    /// Signs a checkpoint of the whole of `tree`, proving consistency with
    /// the last signed checkpoint from the tree itself.
    pub fn sign_tree(&mut self, tree: &Tree) -> Result<(Checkpoint, Note), LogSignerError> {
        let checkpoint = Checkpoint::new(&self.origin, tree.size(), tree.root())
            .map_err(LogSignerError::Checkpoint)?;
        let from = self.last.map_or(TreeSize(0), |(size, _)| size);
        if from > tree.size() {
            return Err(LogSignerError::Rollback {
                signed: from,
                requested: tree.size(),
            });
        }
        let proof = tree
            .consistency_proof(from, tree.size())
            .map_err(LogSignerError::Tree)?;
        let note = self.sign(&checkpoint, &proof)?;
        Ok((checkpoint, note))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::merkle::leaf_hash;
    use crate::log::note::KeyName;
    use ed25519_dalek::SigningKey;

    const ORIGIN: &str = "scrutineer.example/meeting-1";

    fn signer() -> LogSigner {
        let key = NoteSigner::new(
            KeyName::new(ORIGIN).expect("valid"),
            SigningKey::from_bytes(&[4; 32]),
        );
        LogSigner::new(ORIGIN, key, None).expect("valid origin")
    }

    fn tree(leaves: &[&[u8]]) -> Tree {
        Tree::from_leaf_hashes(leaves.iter().map(|l| leaf_hash(l)))
    }

    #[test]
    fn signs_a_growing_log() {
        let mut s = signer();
        let mut t = tree(&[b"a"]);
        let (c1, note) = s.sign_tree(&t).expect("first checkpoint");
        assert!(
            Checkpoint::open(&note.to_string(), ORIGIN, s.note_signer().verifier_key()).is_ok()
        );
        t.append(b"b");
        t.append(b"c");
        let (c2, _) = s.sign_tree(&t).expect("extension");
        assert_eq!(s.last_signed(), Some((c2.size(), c2.root())));
        // Re-signing the same head is harmless.
        assert!(s.sign(&c2, &[]).is_ok());
        assert!(c1.size() < c2.size());
    }

    #[test]
    fn refuses_forks_and_rollbacks() {
        let mut s = signer();
        s.sign_tree(&tree(&[b"a", b"b"])).expect("first");
        let signed = s.last_signed();

        // A different history of the same size.
        let fork = tree(&[b"a", b"X"]);
        assert_eq!(
            s.sign_tree(&fork).map(|r| r.0),
            Err(LogSignerError::Inconsistent(
                ConsistencyError::EqualSizesDifferentRoots
            ))
        );
        // A longer, different history. (The signed size is a power of two,
        // so its root seeds the proof and the mismatch shows in the new root.)
        let fork = tree(&[b"a", b"X", b"c"]);
        assert_eq!(
            s.sign_tree(&fork).map(|r| r.0),
            Err(LogSignerError::Inconsistent(
                ConsistencyError::SecondRootMismatch
            ))
        );
        // A shorter tree.
        assert_eq!(
            s.sign_tree(&tree(&[b"a"])).map(|r| r.0),
            Err(LogSignerError::Rollback {
                signed: TreeSize(2),
                requested: TreeSize(1)
            })
        );
        // A real extension with a forged (empty) proof.
        let good = tree(&[b"a", b"b", b"c"]);
        let c = Checkpoint::new(ORIGIN, good.size(), good.root()).expect("valid");
        assert!(matches!(
            s.sign(&c, &[]),
            Err(LogSignerError::Inconsistent(_))
        ));
        // Another log's checkpoint.
        let other = Checkpoint::new("other.example", good.size(), good.root()).expect("valid");
        assert!(matches!(
            s.sign(&other, &[]),
            Err(LogSignerError::WrongOrigin { .. })
        ));
        // Nothing was signed by any refusal.
        assert_eq!(s.last_signed(), signed);
        assert!(s.sign_tree(&good).is_ok());
    }

    #[test]
    fn resumes_from_the_last_signed_checkpoint() {
        let t = tree(&[b"a", b"b"]);
        let last = Checkpoint::new(ORIGIN, t.size(), t.root()).expect("valid");
        let key = NoteSigner::new(
            KeyName::new(ORIGIN).expect("valid"),
            SigningKey::from_bytes(&[4; 32]),
        );
        let mut s = LogSigner::new(ORIGIN, key.clone(), Some(&last)).expect("valid");
        assert!(s.sign_tree(&tree(&[b"a", b"Y", b"c"])).is_err());
        assert!(s.sign_tree(&tree(&[b"a", b"b", b"c"])).is_ok());
        let elsewhere = Checkpoint::new("other.example", t.size(), t.root()).expect("valid");
        assert!(matches!(
            LogSigner::new(ORIGIN, key, Some(&elsewhere)),
            Err(LogSignerError::WrongOrigin { .. })
        ));
    }
}
