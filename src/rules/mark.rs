//! The mark on one candidate line (`Y` `N` `A` `?`), kept apart from the
//! round so that `rating` (which checks a rated ballot's marks) and
//! `round` (which carries its rating) do not import each other.

/// The mark on one candidate line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    /// `Y`: 赞成 / 同意 (○).
    For,
    /// `N`: 不赞成 / 不同意 (×).
    Against,
    /// `A`: 弃权 (no mark) or 缓议 in a cadre vote.
    Abstain,
    /// `?`: a mark the counters cannot read.
    Illegible,
}

impl Mark {
    pub fn from_char(c: char) -> Option<Mark> {
        match c {
            'Y' => Some(Mark::For),
            'N' => Some(Mark::Against),
            'A' => Some(Mark::Abstain),
            '?' => Some(Mark::Illegible),
            _ => None,
        }
    }

    pub fn as_char(self) -> char {
        match self {
            Mark::For => 'Y',
            Mark::Against => 'N',
            Mark::Abstain => 'A',
            Mark::Illegible => '?',
        }
    }
}
