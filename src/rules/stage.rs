//! Stage sizes set by a ratio (RULES §9.2): how many names the next stage
//! of an election lists, computed from the stage it feeds — 2 × the formal
//! candidates (公推直选), 1.5 × (两推一选), 1:3 per seat (三推两评一选, 三票制),
//! 30% or 20% more, or 1 to 2 more (差额考察). Fractions are rounded up
//! (进一法), never half; the rule is printed with the number it gives.

use serde::{Deserialize, Serialize};

use super::fraction::percent;

/// A stage-size rule, applied to the size of the stage it feeds (`base`:
/// the seats, or the next list's length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StageRatio {
    /// `num/den` × base, rounded up: 2× is 2/1, 1.5× is 3/2; 1:3 per seat
    /// is 3/1 of the seats.
    Times { num: u64, den: u64 },
    /// base plus `num/den` of it, rounded up: +30% is 3/10, +20% is 1/5.
    More { num: u64, den: u64 },
    /// base + `min` … base + `max` (差额考察: 1 to 2 more).
    Extra { min: u64, max: u64 },
}

/// The size a rule gives: the fewest names, and the most where the rule
/// has a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StageSize {
    pub base: u64,
    pub min: u64,
    pub max: Option<u64>,
}

/// A rule no meeting could adopt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRatioError(pub &'static str);

impl std::fmt::Display for StageRatioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for StageRatioError {}

/// ⌈a × b / d⌉ in `u128`, saturated to `u64`.
fn ceil_mul_div(a: u64, b: u64, d: u64) -> u64 {
    let p = a as u128 * b as u128;
    u64::try_from(p.div_ceil(d.max(1) as u128)).unwrap_or(u64::MAX)
}

/// `num/den` as a one-place decimal when exact (3/2 → "1.5"), else "num/den".
fn decimal(num: u64, den: u64) -> String {
    let den = den.max(1);
    match num.checked_mul(10) {
        Some(t) if t.is_multiple_of(den) => {
            let tenths = t / den;
            format!("{}.{}", tenths / 10, tenths % 10)
        }
        _ => format!("{num}/{den}"),
    }
}

impl StageRatio {
    /// Reject a zero denominator, a shrinking ratio (the next stage is never
    /// smaller than the one it feeds) and an inverted range.
    pub fn validate(&self) -> Result<(), StageRatioError> {
        match *self {
            StageRatio::Times { den: 0, .. } | StageRatio::More { den: 0, .. } => {
                Err(StageRatioError("denominator must be at least 1"))
            }
            StageRatio::Times { num, den } if num < den => Err(StageRatioError(
                "a stage lists at least as many as the stage it feeds (num ≥ den)",
            )),
            StageRatio::Extra { min, max } if min > max => {
                Err(StageRatioError("min must not exceed max"))
            }
            _ => Ok(()),
        }
    }

    /// The size for `base` (进一法: any fraction rounds up).
    pub fn size(&self, base: u64) -> StageSize {
        let (min, max) = match *self {
            StageRatio::Times { num, den } => (ceil_mul_div(base, num, den), None),
            StageRatio::More { num, den } => {
                (base.saturating_add(ceil_mul_div(base, num, den)), None)
            }
            StageRatio::Extra { min, max } => {
                (base.saturating_add(min), Some(base.saturating_add(max)))
            }
        };
        StageSize { base, min, max }
    }

    /// The rule as a clause: "按应选人数的2倍" / "比下一阶段人数多30%".
    pub fn zh(&self) -> String {
        match *self {
            StageRatio::Times { num, den } if num.is_multiple_of(den.max(1)) => {
                format!("按{}倍确定", num / den.max(1))
            }
            StageRatio::Times { num, den } => format!("按{}倍确定", decimal(num, den)),
            StageRatio::More { num, den } => format!("多于{}", percent(num, den)),
            StageRatio::Extra { min, max } if min == max => format!("多{min}人"),
            StageRatio::Extra { min, max } => format!("多{min}至{max}人"),
        }
    }

    pub fn en(&self) -> String {
        match *self {
            StageRatio::Times { num, den } if num.is_multiple_of(den.max(1)) => {
                format!("{} times", num / den.max(1))
            }
            StageRatio::Times { num, den } => format!("{} times", decimal(num, den)),
            StageRatio::More { num, den } => format!("{} more", percent(num, den)),
            StageRatio::Extra { min, max } if min == max => format!("{min} more"),
            StageRatio::Extra { min, max } => format!("{min} to {max} more"),
        }
    }

    /// The size with its rule, as printed: "以5名为基数，多于30%，进一法取整为7名".
    pub fn describe_zh(&self, base: u64) -> String {
        let s = self.size(base);
        let n = match s.max {
            Some(max) if max != s.min => format!("{}至{max}名", s.min),
            _ => format!("{}名", s.min),
        };
        format!("以{base}名为基数，{}，尾数按进一法取整，为{n}", self.zh())
    }

    pub fn describe_en(&self, base: u64) -> String {
        let s = self.size(base);
        let n = match s.max {
            Some(max) if max != s.min => format!("{} to {max}", s.min),
            _ => s.min.to_string(),
        };
        format!("{} of {base}, rounded up: {n}", self.en())
    }
}

/// A next-stage size given by its rule in a round file (`next_size`:
/// `{"ratio": {...}, "of": 9}`): the rule, its base and the size it gives.
/// The list drawn is `size.min` long (for a range, the fewest the rule
/// allows); the rule is printed beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NextRule {
    pub ratio: StageRatio,
    pub of: u64,
    pub size: StageSize,
}

impl NextRule {
    /// The rule applied to `of`, checked.
    pub fn new(ratio: StageRatio, of: u64) -> Result<NextRule, StageRatioError> {
        ratio.validate()?;
        if of == 0 {
            return Err(StageRatioError(
                "`of` (the base of the ratio) must be at least 1",
            ));
        }
        Ok(NextRule {
            ratio,
            of,
            size: ratio.size(of),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (rule, base, min, max)
    fn check(rule: StageRatio, base: u64, min: u64, max: Option<u64>) {
        rule.validate().unwrap();
        assert_eq!(
            rule.size(base),
            StageSize { base, min, max },
            "{rule:?} of {base}"
        );
    }

    #[test]
    fn the_seed_ratios_round_up() {
        let twice = StageRatio::Times { num: 2, den: 1 };
        check(twice, 5, 10, None);
        check(twice, 1, 2, None);
        // 1.5×: 4 → 6 exactly, 5 → 7.5 → 8, 3 → 4.5 → 5.
        let one_and_half = StageRatio::Times { num: 3, den: 2 };
        check(one_and_half, 4, 6, None);
        check(one_and_half, 5, 8, None);
        check(one_and_half, 3, 5, None);
        // 1:3 per seat.
        check(StageRatio::Times { num: 3, den: 1 }, 7, 21, None);
        // +30%: 10 → 13 exactly; 9 → 2.7 more → 3 → 12; 11 → 3.3 → 4 → 15.
        let plus30 = StageRatio::More { num: 3, den: 10 };
        check(plus30, 10, 13, None);
        check(plus30, 9, 12, None);
        check(plus30, 11, 15, None);
        // +20%: 5 → 6 exactly; 4 → 0.8 → 1 → 5; 6 → 1.2 → 2 → 8.
        let plus20 = StageRatio::More { num: 1, den: 5 };
        check(plus20, 5, 6, None);
        check(plus20, 4, 5, None);
        check(plus20, 6, 8, None);
        // 差额考察: 1 to 2 more.
        check(StageRatio::Extra { min: 1, max: 2 }, 3, 4, Some(5));
    }

    #[test]
    fn impossible_rules_are_refused() {
        assert!(StageRatio::Times { num: 1, den: 0 }.validate().is_err());
        assert!(StageRatio::More { num: 1, den: 0 }.validate().is_err());
        assert!(StageRatio::Times { num: 1, den: 2 }.validate().is_err());
        assert!(StageRatio::Extra { min: 2, max: 1 }.validate().is_err());
        // Huge numbers saturate instead of overflowing.
        let r = StageRatio::Times {
            num: u64::MAX,
            den: 1,
        };
        assert_eq!(r.size(u64::MAX).min, u64::MAX);
    }

    #[test]
    fn printed_with_the_rule() {
        let plus30 = StageRatio::More { num: 3, den: 10 };
        assert_eq!(
            plus30.describe_zh(9),
            "以9名为基数，多于30%，尾数按进一法取整，为12名"
        );
        assert_eq!(plus30.describe_en(9), "30% more of 9, rounded up: 12");
        let one_and_half = StageRatio::Times { num: 3, den: 2 };
        assert_eq!(
            one_and_half.describe_zh(5),
            "以5名为基数，按1.5倍确定，尾数按进一法取整，为8名"
        );
        assert_eq!(
            StageRatio::Extra { min: 1, max: 2 }.describe_zh(3),
            "以3名为基数，多1至2人，尾数按进一法取整，为4至5名"
        );
        assert_eq!(StageRatio::Times { num: 2, den: 1 }.en(), "2 times");
        assert_eq!(StageRatio::Times { num: 4, den: 3 }.en(), "4/3 times");
    }
}
