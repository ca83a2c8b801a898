//! The reference kernel: decode every line of every ballot and increment.
//!
//! Deliberately written from the rules, not from the fast kernels: it reads
//! each ballot's side-table data directly and counts abstentions itself, so
//! the property tests compare two independent derivations.

use super::packed::{line_code, BallotsView, Mark};
use super::Tally;

/// Count `view` ballot by ballot; see [`super::tally`] for the rules.
///
/// Not pessimised: the per-line increment indexes a `[for, against,
/// abstain]` array by the mark instead of branching on it, so the
/// benchmark's "naive" is a fair straightforward loop rather than a
/// branch-misprediction test.
pub(crate) fn tally(view: BallotsView<'_>, limit: u32) -> Tally {
    let candidates = view.candidates();
    // Per candidate: [for, against, abstain].
    let mut lines = vec![[0u64; 3]; candidates];
    let (mut valid, mut invalid) = (0u64, 0u64);
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
        let marks = (0..candidates).map(|c| match line_code(words, c) {
            0b01 => Mark::For,
            0b10 => Mark::Against,
            _ => Mark::Abstain,
        });
        let for_marks = marks.clone().filter(|&m| m == Mark::For).count();
        let selections = for_marks as u64 + u64::from(info.extra_selections);
        if info.void || selections > u64::from(limit) {
            invalid += 1;
            continue;
        }
        valid += 1;
        for (line, mark) in lines.iter_mut().zip(marks) {
            let slot = match mark {
                Mark::For => 0,
                Mark::Against => 1,
                Mark::Abstain => 2,
            };
            line[slot] += 1;
        }
    }
    Tally {
        for_votes: lines.iter().map(|l| l[0]).collect(),
        against: lines.iter().map(|l| l[1]).collect(),
        abstain: lines.iter().map(|l| l[2]).collect(),
        valid,
        invalid,
    }
}
