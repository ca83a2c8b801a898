//! The codes of the typed states: the one place each state, role and
//! resolution has a string form — the text in the SQLite columns
//! (`store::states` maps them with `ToSql`/`FromSql`), in the API's JSON
//! and in the log's events.
//!
//! | enum | codes |
//! |---|---|
//! | [`RoundState`] | `draft`, `open`, `closed` |
//! | [`BatchState`] | `awaiting_second`, `differences`, `reconciled` |
//! | [`Resolution`] | `first`, `second`, `void` |
//! | [`Role`] | `organiser`, `counter`, `scrutineer`, `presidium`, `auditor`, `display` |
//! | [`RoundStatus`] | `unofficial-partial`, `unofficial-complete`, `certified` |
//! | [`Waiting`] | `counting`, `certification`, `announcement`, `decision`, `no_round` |
//!
//! Each enum gets `as_str` and `parse` (the pair, from one table),
//! `CODES`, `Display` and serde. Parsing is exact: `Open` is no code.

use std::fmt;

use super::{BatchState, Resolution, Role, RoundState, RoundStatus, Waiting};

macro_rules! codes {
    ($ty:ty, { $($variant:path => $code:literal),+ $(,)? }) => {
        impl $ty {
            /// The code (column text, JSON string).
            pub fn as_str(self) -> &'static str {
                match self { $($variant => $code),+ }
            }

            /// The variant of a code; `None` if no variant has it.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some($variant),)+ _ => None }
            }

            /// Every code, in the order of the enum.
            pub const CODES: &'static [&'static str] = &[$($code),+];
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                <$ty>::parse(&s).ok_or_else(|| {
                    serde::de::Error::unknown_variant(&s, <$ty>::CODES)
                })
            }
        }
    };
}

codes!(RoundState, {
    RoundState::Draft => "draft",
    RoundState::Open => "open",
    RoundState::Closed => "closed",
});

codes!(BatchState, {
    BatchState::AwaitingSecond => "awaiting_second",
    BatchState::Differences => "differences",
    BatchState::Reconciled => "reconciled",
});

codes!(Resolution, {
    Resolution::First => "first",
    Resolution::Second => "second",
    Resolution::Void => "void",
});

codes!(Role, {
    Role::Organiser => "organiser",
    Role::Counter => "counter",
    Role::Scrutineer => "scrutineer",
    Role::Presidium => "presidium",
    Role::Auditor => "auditor",
    Role::Display => "display",
});

codes!(RoundStatus, {
    RoundStatus::UnofficialPartial => "unofficial-partial",
    RoundStatus::UnofficialComplete => "unofficial-complete",
    RoundStatus::Certified => "certified",
});

codes!(Waiting, {
    Waiting::Counting => "counting",
    Waiting::Certification => "certification",
    Waiting::Announcement => "announcement",
    Waiting::Decision => "decision",
    Waiting::NoRound => "no_round",
});

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant round-trips through its code and through JSON; an
    /// unknown code is refused.
    fn round_trips<T>(all: &[T], codes: &[&str])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display,
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        assert_eq!(all.len(), codes.len());
        for &v in all {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{v}\""));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), v);
        }
        let err = serde_json::from_str::<T>("\"draftx\"").unwrap_err();
        assert!(err.to_string().contains("draftx"), "{err}");
    }

    #[test]
    fn every_code_round_trips_and_no_other_is_read() {
        round_trips(&RoundState::ALL, RoundState::CODES);
        round_trips(&BatchState::ALL, BatchState::CODES);
        round_trips(&Resolution::ALL, Resolution::CODES);
        round_trips(&Role::ALL, Role::CODES);
        round_trips(&RoundStatus::ALL, RoundStatus::CODES);
        round_trips(&Waiting::ALL, Waiting::CODES);
        assert_eq!(RoundState::parse("Open"), None, "codes are exact");
        assert_eq!(Role::parse(" counter"), None);
        for (i, r) in Role::ALL.into_iter().enumerate() {
            assert_eq!(Role::parse(Role::CODES[i]), Some(r));
        }
    }
}
