//! Human and machine output: the contract result JSON, the vote report
//! (计票结果报告) and the election-method text (选举办法), in Simplified
//! Chinese by default and in English.
//!
//! Pure functions from values to text; no I/O.
//!
//! Every string that comes from input (a name, a reason, a path, anything
//! read from a bundle) is printed through [`shown`], and each command's
//! whole output through [`shown_text`]: a control, format or bidi
//! character is written as an escape (`\u001b`, `\u202e`) so that hostile
//! input can neither draw on the terminal nor reorder what is read
//! (the one rule: [`crate::rules::name::escape_with`]).

pub mod json;
pub mod method_text;
pub mod procedures;
pub mod verify_report;
pub mod vote_report;

use std::borrow::Cow;

use crate::rules::name::escape_with;

/// One field from input, safe to print on one line: hidden characters,
/// line feeds and tabs included, escaped.
pub fn shown(s: &str) -> Cow<'_, str> {
    escape_with(s, false)
}

/// A whole multi-line text, safe to print: hidden characters escaped, line
/// feeds and tabs kept.
pub fn shown_text(s: &str) -> Cow<'_, str> {
    escape_with(s, true)
}

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
