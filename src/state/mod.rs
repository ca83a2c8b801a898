//! The states of the meeting service as types, and their moves as pure
//! functions (STYLE.md habit 11; kiesraad/abacus's `DataEntryStatus` is
//! the model).
//!
//! | machine | states | module |
//! |---|---|---|
//! | a paper batch under double entry | (none), awaiting second, differences, reconciled | [`batch`] |
//! | a ballot round | draft, open, closed | [`round`] |
//! | a difference between two readings | unresolved, resolved as first / second / void | [`difference`] |
//! | a person's role, and who sees a result | six roles | [`role`] |
//! | an election as a whole | complete, or what it waits for | [`election`] |
//!
//! Each machine is an enum and a `next`-style function from a state and an
//! event to the next state or a [`Refused`]; a table test in each module
//! walks every (state, event) pair. Nothing here reads or writes: the
//! service loads a state, asks the machine, and stores what it answers.
//!
//! Architecture Invariant: a state, a role or a resolution is never a
//! string outside [`codes`], the one table of every enum here to its code
//! (the text in the SQLite column, in the API's JSON and in the log's
//! events); `store/states.rs` maps them to the columns, and an unknown
//! code read back from the database is an integrity error, never a
//! default.

pub mod batch;
pub mod codes;
pub mod difference;
pub mod election;
pub mod role;
pub mod round;

pub use batch::{BatchEvent, BatchState};
pub use difference::{Pick, Resolution};
pub use election::{Waiting, Watched};
pub use role::{may_see_result, Hidden, Role};
pub use round::{RoundEvent, RoundState, RoundStatus};

/// A move a machine refuses: the state it was in and the event it was
/// given. The service turns it into the `409` that names both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused<S, E> {
    pub from: S,
    pub event: E,
}
