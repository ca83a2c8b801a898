//! Packed ballots: 2 bits per candidate line, one whole number of `u64`
//! words per ballot, and a sparse side table for the rare ballot that carries
//! write-ins or was declared void.

use std::fmt;
use std::ops::Range;

/// Candidate lines held by one `u64` word (2 bits each).
pub const LINES_PER_WORD: usize = 32;

/// Mask of the low bit of every 2-bit line: the "for" bits of a word.
pub(crate) const FOR_BITS: u64 = 0x5555_5555_5555_5555;

/// The mark on one candidate line, as the kernels see it.
///
/// An illegible mark is an abstention on that line under the default rule
/// (see `domain/RULES.md` §3.4), so the caller maps it to [`Mark::Abstain`]
/// before packing; a rule that voids the ballot instead sets `void` in
/// [`PackedBallots::push_with`]. Keeping illegible out of the packed form
/// keeps the code 2 bits wide with one spare value (`11`), which the safe
/// constructors reject so the kernels never meet it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    /// 赞成 (○): counts as a selection.
    For,
    /// 不赞成 (×).
    Against,
    /// 弃权 (no mark), or an illegible mark counted as abstention.
    Abstain,
}

impl Mark {
    /// The 2-bit code: `00` abstain, `01` for, `10` against.
    ///
    /// "For" is the low bit so that `word & FOR_BITS` isolates selections and
    /// one popcount gives a ballot's selection count; a positional count of
    /// the raw word gives for-votes on even bits and against-votes on odd
    /// bits at once, because `11` never occurs.
    pub const fn code(self) -> u64 {
        match self {
            Mark::Abstain => 0b00,
            Mark::For => 0b01,
            Mark::Against => 0b10,
        }
    }

    fn from_code(code: u64) -> Option<Mark> {
        match code {
            0b00 => Some(Mark::Abstain),
            0b01 => Some(Mark::For),
            0b10 => Some(Mark::Against),
            _ => None,
        }
    }
}

/// Side-table data of one ballot: what the 2-bit lines cannot say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SideInfo {
    /// Accepted write-ins (另选他人); each counts as one selection.
    pub extra_selections: u8,
    /// Declared void (废票) by the scrutineers: counts for nobody.
    pub void: bool,
}

impl SideInfo {
    fn is_plain(self) -> bool {
        self == SideInfo::default()
    }
}

/// One side-table entry, keyed by the ballot's index in its [`PackedBallots`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SideEntry {
    pub(crate) ballot: usize,
    pub(crate) info: SideInfo,
}

/// Why ballots could not be packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackError {
    /// A ballot must list at least one candidate.
    NoCandidates,
    /// A ballot gave a number of marks other than the number of candidates.
    WrongLineCount { expected: usize, got: usize },
    /// Raw words do not make up a whole number of ballots.
    PartialBallot {
        words: usize,
        words_per_ballot: usize,
    },
    /// A raw word holds the code `11`, which no mark produces.
    InvalidCode { word: usize, line: usize },
    /// A raw word has bits set beyond the last candidate line.
    NonZeroPadding { word: usize },
    /// A side-table entry names a ballot that does not exist.
    NoSuchBallot { ballot: usize, len: usize },
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackError::NoCandidates => write!(f, "a ballot must list at least one candidate"),
            PackError::WrongLineCount { expected, got } => {
                write!(
                    f,
                    "ballot has {got} marks, expected one per candidate ({expected})"
                )
            }
            PackError::PartialBallot {
                words,
                words_per_ballot,
            } => write!(
                f,
                "{words} words is not a whole number of ballots of {words_per_ballot} words"
            ),
            PackError::InvalidCode { word, line } => {
                write!(f, "word {word}, line {line}: code 11 is not a mark")
            }
            PackError::NonZeroPadding { word } => {
                write!(f, "word {word}: bits set beyond the last candidate line")
            }
            PackError::NoSuchBallot { ballot, len } => {
                write!(f, "ballot {ballot} does not exist ({len} ballots)")
            }
        }
    }
}

impl std::error::Error for PackError {}

/// Ballots of one round, row-packed at 2 bits per candidate line.
///
/// Layout: ballot `i` occupies words `i*w .. (i+1)*w` with
/// `w = ceil(candidates / 32)`; candidate `c` is line `c % 32` of word
/// `c / 32`, at bits `2*(c%32)` (for) and `2*(c%32)+1` (against). Unused lines
/// of the last word are `00`.
///
/// Why rows of whole words: a ballot is appended as it is entered, its
/// validity needs all of its lines together (a popcount of its for-bits), and
/// with up to 32 candidates (the common case) a ballot is exactly one `u64`,
/// i.e. one SIMD lane, so the kernels check validity lane by lane and then
/// count bit positions vertically over many ballots.
///
/// Why a sparse side table: write-ins and declared-void ballots are rare. A
/// sorted list of `(ballot, SideInfo)` keeps the hot loop reading only the
/// packed words; the kernels count every ballot as if it had no entry, then
/// correct for the few that do (an entry can only make a valid ballot
/// invalid, never the reverse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedBallots {
    /// Number of candidate lines per ballot (≥ 1).
    candidates: usize,
    /// `ceil(candidates / 32)`, kept to avoid recomputing it everywhere.
    words_per_ballot: usize,
    /// The packed lines, `len() * words_per_ballot` words.
    words: Vec<u64>,
    /// Entries sorted by ballot index, none of them plain (all-default).
    side: Vec<SideEntry>,
}

impl PackedBallots {
    /// An empty set of ballots for `candidates` candidate lines.
    pub fn new(candidates: usize) -> Result<Self, PackError> {
        if candidates == 0 {
            return Err(PackError::NoCandidates);
        }
        Ok(PackedBallots {
            candidates,
            words_per_ballot: candidates.div_ceil(LINES_PER_WORD),
            words: Vec::new(),
            side: Vec::new(),
        })
    }

    /// Bulk import of already packed words (layout as documented on the
    /// type), with an empty side table. Rejects a partial ballot, any `11`
    /// code and any bit set beyond the last candidate line, so the kernels
    /// can rely on every line being one of the three marks.
    pub fn from_words(candidates: usize, words: Vec<u64>) -> Result<Self, PackError> {
        let mut ballots = PackedBallots::new(candidates)?;
        let wpb = ballots.words_per_ballot;
        if !words.len().is_multiple_of(wpb) {
            return Err(PackError::PartialBallot {
                words: words.len(),
                words_per_ballot: wpb,
            });
        }
        let last_lines = candidates - (wpb - 1) * LINES_PER_WORD;
        let last_mask = line_mask(last_lines);
        for (index, &word) in words.iter().enumerate() {
            let both = word & (word >> 1) & FOR_BITS;
            if both != 0 {
                return Err(PackError::InvalidCode {
                    word: index,
                    line: both.trailing_zeros() as usize / 2,
                });
            }
            if index % wpb == wpb - 1 && word & !last_mask != 0 {
                return Err(PackError::NonZeroPadding { word: index });
            }
        }
        ballots.words = words;
        Ok(ballots)
    }

    /// Append a ballot with no write-ins that was not declared void.
    pub fn push(&mut self, marks: &[Mark]) -> Result<(), PackError> {
        self.push_with(marks, 0, false)
    }

    /// Append a ballot with its accepted write-ins and void declaration.
    pub fn push_with(
        &mut self,
        marks: &[Mark],
        extra_selections: u8,
        void: bool,
    ) -> Result<(), PackError> {
        if marks.len() != self.candidates {
            return Err(PackError::WrongLineCount {
                expected: self.candidates,
                got: marks.len(),
            });
        }
        let ballot = self.len();
        for chunk in marks.chunks(LINES_PER_WORD) {
            let word = chunk
                .iter()
                .enumerate()
                .fold(0u64, |w, (line, m)| w | m.code() << (2 * line));
            self.words.push(word);
        }
        let info = SideInfo {
            extra_selections,
            void,
        };
        if !info.is_plain() {
            self.side.push(SideEntry { ballot, info });
        }
        Ok(())
    }

    /// Set (or clear, with the default) the side-table data of an existing
    /// ballot, e.g. after a bulk [`from_words`](Self::from_words) import.
    pub fn set_side(&mut self, ballot: usize, info: SideInfo) -> Result<(), PackError> {
        if ballot >= self.len() {
            return Err(PackError::NoSuchBallot {
                ballot,
                len: self.len(),
            });
        }
        match self.side.binary_search_by_key(&ballot, |e| e.ballot) {
            Ok(at) if info.is_plain() => {
                self.side.remove(at);
            }
            Ok(at) => self.side[at].info = info,
            Err(_) if info.is_plain() => {}
            Err(at) => self.side.insert(at, SideEntry { ballot, info }),
        }
        Ok(())
    }

    /// The marks of ballot `i`, or `None` if there is no such ballot.
    pub fn get(&self, i: usize) -> Option<Vec<Mark>> {
        self.view().get(i)
    }

    /// The side-table data of ballot `i` (default if it has no entry).
    pub fn side(&self, i: usize) -> Option<SideInfo> {
        self.view().side(i)
    }

    /// Number of ballots.
    pub fn len(&self) -> usize {
        self.words.len() / self.words_per_ballot
    }

    /// Whether there are no ballots.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Number of candidate lines per ballot.
    pub fn candidates(&self) -> usize {
        self.candidates
    }

    /// Words per ballot, `ceil(candidates / 32)`.
    pub fn words_per_ballot(&self) -> usize {
        self.words_per_ballot
    }

    /// The packed words (layout as documented on the type), e.g. to store.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Take the packed words back, e.g. to reuse the allocation.
    pub fn into_words(self) -> Vec<u64> {
        self.words
    }

    /// A borrowed view of all ballots.
    pub fn view(&self) -> BallotsView<'_> {
        BallotsView {
            candidates: self.candidates,
            words_per_ballot: self.words_per_ballot,
            words: &self.words,
            side: &self.side,
            first: 0,
        }
    }

    /// A borrowed view of ballots `range`, or `None` if it is out of bounds.
    pub fn slice(&self, range: Range<usize>) -> Option<BallotsView<'_>> {
        self.view().slice(range)
    }
}

/// A borrowed run of packed ballots: what the kernels count.
///
/// A view may start at any ballot, so its words need not be aligned to
/// anything beyond `u64`; the kernels use unaligned loads.
#[derive(Debug, Clone, Copy)]
pub struct BallotsView<'a> {
    candidates: usize,
    words_per_ballot: usize,
    words: &'a [u64],
    /// Side entries of the ballots in this view (absolute ballot indices).
    side: &'a [SideEntry],
    /// Absolute index of the view's first ballot, to rebase `side`.
    first: usize,
}

impl<'a> BallotsView<'a> {
    /// Number of ballots in the view.
    pub fn len(&self) -> usize {
        self.words.len() / self.words_per_ballot
    }

    /// Whether the view holds no ballots.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Number of candidate lines per ballot.
    pub fn candidates(&self) -> usize {
        self.candidates
    }

    /// Words per ballot, `ceil(candidates / 32)`.
    pub fn words_per_ballot(&self) -> usize {
        self.words_per_ballot
    }

    /// The packed words of the ballots in the view.
    pub fn words(&self) -> &'a [u64] {
        self.words
    }

    /// The words of ballot `i` (relative to the view).
    pub(crate) fn ballot_words(&self, i: usize) -> Option<&'a [u64]> {
        let start = i.checked_mul(self.words_per_ballot)?;
        self.words.get(start..start + self.words_per_ballot)
    }

    /// The marks of ballot `i` (relative to the view).
    pub fn get(&self, i: usize) -> Option<Vec<Mark>> {
        let words = self.ballot_words(i)?;
        (0..self.candidates)
            .map(|c| Mark::from_code(line_code(words, c)))
            .collect()
    }

    /// The side-table data of ballot `i` (relative to the view).
    pub fn side(&self, i: usize) -> Option<SideInfo> {
        if i >= self.len() {
            return None;
        }
        let ballot = self.first + i;
        Some(
            self.side
                .binary_search_by_key(&ballot, |e| e.ballot)
                .map_or(SideInfo::default(), |at| self.side[at].info),
        )
    }

    /// Side entries as `(ballot index relative to the view, info)`, in order.
    pub(crate) fn side_entries(&self) -> impl Iterator<Item = (usize, SideInfo)> + 'a {
        let first = self.first;
        self.side.iter().map(move |e| (e.ballot - first, e.info))
    }

    /// Ballots `range` of this view, or `None` if it is out of bounds.
    pub fn slice(&self, range: Range<usize>) -> Option<BallotsView<'a>> {
        if range.start > range.end || range.end > self.len() {
            return None;
        }
        let wpb = self.words_per_ballot;
        let (lo, hi) = (self.first + range.start, self.first + range.end);
        let from = self.side.partition_point(|e| e.ballot < lo);
        let to = self.side.partition_point(|e| e.ballot < hi);
        Some(BallotsView {
            candidates: self.candidates,
            words_per_ballot: wpb,
            words: &self.words[range.start * wpb..range.end * wpb],
            side: &self.side[from..to],
            first: lo,
        })
    }
}

impl<'a> From<&'a PackedBallots> for BallotsView<'a> {
    fn from(ballots: &'a PackedBallots) -> Self {
        ballots.view()
    }
}

/// The 2-bit code of candidate `c` in a ballot's words.
pub(crate) fn line_code(words: &[u64], c: usize) -> u64 {
    (words[c / LINES_PER_WORD] >> (2 * (c % LINES_PER_WORD))) & 0b11
}

/// Mask covering the first `lines` lines of a word (1 ≤ lines ≤ 32).
fn line_mask(lines: usize) -> u64 {
    if lines >= LINES_PER_WORD {
        u64::MAX
    } else {
        (1u64 << (2 * lines)) - 1
    }
}
