//! Human and machine output: the contract result JSON, the vote report
//! (计票结果报告) and the election-method text (选举办法), in Simplified
//! Chinese by default and in English.
//!
//! Pure functions from values to text; no I/O.

pub mod json;
pub mod method_text;
pub mod verify_report;
pub mod vote_report;

/// The language of human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (default).
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" | "zh-cn" => Some(Lang::Zh),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }

    /// Pick the string for this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}
