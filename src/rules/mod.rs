//! The counting rules (PURE: no I/O, no clock, no randomness).
//!
//! Layout, in the order a round is decided:
//! - [`fraction`]: exact "more than / at least a fraction of" comparisons;
//! - [`limits`]: limits every input shares (counts at most `i64::MAX`);
//! - [`method`]: the election method (选举办法) and its parameters;
//! - [`preset`]: the six presets of RULES.md §7 with their sources;
//! - [`name`]: names at the boundary (NFC, no hidden characters, lookalikes);
//! - [`kind`] and [`mark`]: a round's kind and office, a line's mark (`Y` `N` `A` `?`);
//! - [`round`]: a round's facts and its ballots, validated;
//! - [`ballot`]: the one reader of a ballot, whatever path it arrives by;
//! - [`roundfile`] and [`ballot_csv`]: the input files of CONTRACT §2;
//! - [`paper`]: several contests on one ballot paper, each its own round;
//! - [`groups`]: nomination and evaluation by groups, tallied apart and combined;
//! - [`review`]: qualification review striking or adding a nominee;
//! - [`record`]: failed twice for the same post; deferred nominees;
//! - [`procedure`]: a one-round file decided whole, with what it adds;
//! - [`stage`]: stage sizes set by a ratio (2×, 1.5×, +30%, …, 进一法);
//! - [`stage_method`]: the method parts a stage adopts on its own;
//! - [`rating`]: evaluations by levels and items, their cells counted as lines;
//! - [`opening`]: the box count settled by two scrutineers;
//! - [`consent`]: the electors' consent to a seat reduction;
//! - [`totals`]: the totals of a round counted by hand;
//! - [`tally`]: per-ballot validity and per-line counts (reference counter);
//! - [`outcome`]: quorum, list rule, box check, threshold, seat filling.
//!
//! Architecture invariant: nothing here imports `store`, `service` or
//! `http`, and nothing here touches files, sockets, the clock or floats.

pub mod ballot;
pub mod ballot_csv;
pub mod consent;
pub mod fraction;
pub mod groups;
pub mod kind;
pub mod limits;
pub mod mark;
pub mod method;
pub mod name;
pub mod opening;
pub mod outcome;
pub mod paper;
pub mod preset;
pub mod procedure;
pub mod rating;
pub mod record;
pub mod review;
pub mod round;
pub mod roundfile;
pub mod stage;
pub mod stage_method;
pub mod tally;
pub mod totals;

pub use fraction::{Comparison, Fraction};
pub use method::ElectionMethod;
pub use outcome::{evaluate, evaluate_counts, RoundResult, Status};
pub use round::{Ballot, Mark, Office, Round, RoundKind};
pub use roundfile::{check_ballots, InputError, RoundFile};
