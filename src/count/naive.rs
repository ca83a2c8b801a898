//! The reference kernel: decode every line of every ballot and increment.
//!
//! Deliberately written from the rules, not from the fast kernels: it reads
//! each ballot's side-table data directly and counts abstentions itself, so
//! the property tests compare two independent derivations.

use super::packed::{line_code, BallotsView, Mark};
use super::Tally;

/// Count `view` ballot by ballot; see [`super::tally`] for the rules.
pub(crate) fn tally(view: BallotsView<'_>, limit: u32) -> Tally {
    let candidates = view.candidates();
    let mut tally = Tally::zero(candidates);
    let mut side = view.side_entries().peekable();
    for i in 0..view.len() {
        let info = match side.peek() {
            Some(&(ballot, info)) if ballot == i => {
                side.next();
                info
            }
            _ => Default::default(),
        };
        let Some(words) = view.ballot_words(i) else {
            break;
        };
        let decode = |c: usize| match line_code(words, c) {
            0b01 => Mark::For,
            0b10 => Mark::Against,
            _ => Mark::Abstain,
        };
        let for_marks = (0..candidates).filter(|&c| decode(c) == Mark::For).count();
        let selections = for_marks as u64 + u64::from(info.extra_selections);
        if info.void || selections > u64::from(limit) {
            tally.invalid += 1;
            continue;
        }
        tally.valid += 1;
        for c in 0..candidates {
            match decode(c) {
                Mark::For => tally.for_votes[c] += 1,
                Mark::Against => tally.against[c] += 1,
                Mark::Abstain => tally.abstain[c] += 1,
            }
        }
    }
    tally
}
