//! Exact fractions and the comparisons the regulations use.
//!
//! Every threshold in RULES.md is "more than" (超过, strict) or "not less than"
//! (不少于, inclusive) some fraction of a base. Both are decided by
//! cross-multiplying integers: `present > 4/5 × entitled` is
//! `5 × present > 4 × entitled`. Nothing here ever divides or rounds except
//! [`Fraction::smallest_meeting`], which is exact integer ceiling arithmetic.

use serde::{Deserialize, Serialize};

/// Whether the boundary itself passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// 超过 / 多于 / 过半: the boundary fails (`x > f × base`).
    Strict,
    /// 不少于 / 以上 (inclusive reading): the boundary passes (`x ≥ f × base`).
    Inclusive,
}

/// A non-negative fraction `num/den` with a comparison, e.g. "more than 4/5".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fraction {
    pub num: u64,
    pub den: u64,
    pub comparison: Comparison,
}

impl Fraction {
    pub const fn strict(num: u64, den: u64) -> Self {
        Fraction {
            num,
            den,
            comparison: Comparison::Strict,
        }
    }

    pub const fn inclusive(num: u64, den: u64) -> Self {
        Fraction {
            num,
            den,
            comparison: Comparison::Inclusive,
        }
    }

    /// Does `part` meet this fraction of `base`? Cross-multiplied in `u128`,
    /// so no product of two `u64` can overflow.
    pub fn is_met(&self, part: u64, base: u64) -> bool {
        let lhs = part as u128 * self.den as u128;
        let rhs = base as u128 * self.num as u128;
        match self.comparison {
            Comparison::Strict => lhs > rhs,
            Comparison::Inclusive => lhs >= rhs,
        }
    }

    /// The smallest `part` that meets this fraction of `base`
    /// (e.g. the smallest number of for-votes above a majority threshold).
    /// `den` is never zero in a validated method.
    pub fn smallest_meeting(&self, base: u64) -> u64 {
        let product = base as u128 * self.num as u128;
        let den = self.den.max(1) as u128;
        let smallest = match self.comparison {
            // lhs > rhs  ⇔  part ≥ floor(rhs/den) + 1
            Comparison::Strict => product / den + 1,
            // lhs ≥ rhs  ⇔  part ≥ ceil(rhs/den)
            Comparison::Inclusive => product.div_ceil(den),
        };
        u64::try_from(smallest).unwrap_or(u64::MAX)
    }

    /// "超过五分之四" / "不少于五分之四" — the fraction as a method clause.
    pub fn zh(&self) -> String {
        let word = match self.comparison {
            Comparison::Strict => "超过",
            Comparison::Inclusive => "不少于",
        };
        format!("{word}{}", zh_fraction(self.num, self.den))
    }

    /// "超过应到会人数的五分之四": the fraction applied to a named base.
    pub fn zh_of(&self, base: &str) -> String {
        let word = match self.comparison {
            Comparison::Strict => "超过",
            Comparison::Inclusive => "不少于",
        };
        format!("{word}{base}的{}", zh_fraction(self.num, self.den))
    }

    /// "more than 4/5" / "at least 4/5".
    pub fn en(&self) -> String {
        let word = match self.comparison {
            Comparison::Strict => "more than",
            Comparison::Inclusive => "at least",
        };
        format!("{word} {}/{}", self.num, self.den)
    }
}

/// Chinese reading of a fraction: 1/2 → 半数, 4/5 → 五分之四, 1/5 → 20%.
pub fn zh_fraction(num: u64, den: u64) -> String {
    if num * 2 == den {
        return "半数".to_string();
    }
    if num < den && den <= 10 {
        return format!("{}分之{}", zh_digit(den), zh_digit(num));
    }
    format!("{num}/{den}")
}

/// A ratio as a percentage when exact (1/5 → "20%"), else as a fraction.
pub fn percent(num: u64, den: u64) -> String {
    if den != 0 && (num * 100).is_multiple_of(den) {
        format!("{}%", num * 100 / den)
    } else {
        format!("{num}/{den}")
    }
}

fn zh_digit(n: u64) -> String {
    const DIGITS: [&str; 11] = [
        "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
    ];
    match DIGITS.get(n as usize) {
        Some(d) => (*d).to_string(),
        None => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (fraction, part, base, expected)
    fn check(f: Fraction, part: u64, base: u64, expected: bool) {
        assert_eq!(f.is_met(part, base), expected, "{f:?} {part}/{base}");
        let smallest = f.smallest_meeting(base);
        assert_eq!(
            part >= smallest,
            expected,
            "smallest {smallest} for {f:?} of {base}"
        );
    }

    #[test]
    fn four_fifths_strict_and_inclusive_at_the_boundary() {
        let strict = Fraction::strict(4, 5);
        let incl = Fraction::inclusive(4, 5);
        for (part, base, s, i) in [
            (40, 50, false, true),
            (39, 50, false, false),
            (41, 50, true, true),
            (0, 0, false, true),
            (4, 4, true, true),
            (3, 4, false, false),
        ] {
            check(strict, part, base, s);
            check(incl, part, base, i);
        }
    }

    #[test]
    fn majority_of_odd_and_even_bases() {
        let half = Fraction::strict(1, 2);
        assert_eq!(half.smallest_meeting(50), 26);
        assert_eq!(half.smallest_meeting(9), 5);
        assert_eq!(half.smallest_meeting(0), 1);
        check(half, 25, 50, false);
        check(half, 26, 50, true);
        check(half, 4, 9, false);
        check(half, 5, 9, true);
    }

    #[test]
    fn no_overflow_at_extremes() {
        let f = Fraction::strict(u64::MAX, 1);
        assert!(!f.is_met(u64::MAX, u64::MAX));
        assert_eq!(f.smallest_meeting(u64::MAX), u64::MAX);
    }

    #[test]
    fn chinese_readings() {
        assert_eq!(Fraction::strict(4, 5).zh(), "超过五分之四");
        assert_eq!(Fraction::inclusive(2, 3).zh(), "不少于三分之二");
        assert_eq!(Fraction::strict(1, 2).zh(), "超过半数");
        assert_eq!(
            Fraction::strict(1, 2).zh_of("应到会人数"),
            "超过应到会人数的半数"
        );
        assert_eq!(percent(1, 5), "20%");
        assert_eq!(percent(1, 3), "1/3");
    }
}
