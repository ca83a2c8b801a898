//! Names and other human text at the boundary: one reader for every path
//! (HTTP requests, round files, ballot files, imports, the verifier's
//! event checks) and the one escaping rule for what is printed.
//!
//! A name is stored **trimmed and in Unicode NFC**, so "吴七" typed with
//! decomposed characters and the same name typed composed are one name.
//! Characters that change how text *looks* without being seen are refused
//! ([`is_hidden`]): control characters (Cc: ESC, CR, NUL, C1 controls), format
//! characters (Cf: zero-width space and joiners, soft hyphen, the byte-order
//! mark, tags) — which include every bidirectional control (U+202A–U+202E,
//! U+2066–U+2069, U+200E/F, U+061C: `\u{202e}七吴\u{202c}` displays as
//! 吴七) — and the line and paragraph separators (Zl, Zp).
//!
//! Two names are *alike* when their confusable skeletons (Unicode TR39
//! §4, [`skeleton`]) are equal: Latin `A` and Cyrillic `А`, `0` and `O`.
//! Uniqueness (two candidates, two people of one role) and the rule that a
//! counter or scrutineer is never a candidate compare names this way
//! ([`alike`]), and the refusal names the name it collides with.
//!
//! Pure: no I/O.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// Longest name accepted (a person, a candidate, a write-in), in characters.
pub const MAX_NAME: usize = 100;

/// Longest label or reason accepted (a contest, a void reason), in characters.
pub const MAX_TEXT: usize = 200;

/// Format characters (General_Category Cf, Unicode 15.1), as ranges.
/// Kept here rather than pulled from a category crate: the list is short
/// and changes rarely.
const FORMAT: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

/// True for a character that is refused in names and escaped on output:
/// Cc, Cf (every bidi control among them), Zl and Zp.
pub fn is_hidden(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    c.is_control()
        || c == '\u{2028}'
        || c == '\u{2029}'
        || FORMAT.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

/// The first hidden character of `s`, if any.
pub fn find_hidden(s: &str) -> Option<char> {
    // Fast path for printable ASCII (ids, hex, the base64 of packed
    // ballots: most of a bundle's bytes). Branch-free per chunk, so the
    // compiler vectorises it; the verifier runs it over every payload.
    let printable = |chunk: &[u8]| {
        chunk
            .iter()
            .fold(true, |ok, &b| ok & (b.wrapping_sub(0x20) < 0x5f))
    };
    if s.as_bytes().chunks(64).all(printable) {
        return None;
    }
    s.chars().find(|&c| is_hidden(c))
}

/// Why a name (or other text field) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Empty,
    /// Holds a character that is not seen but changes what is shown.
    Hidden {
        ch: char,
    },
    TooLong {
        chars: usize,
        max: usize,
    },
}

impl NameError {
    /// In a party secretary's words.
    pub fn zh(&self) -> String {
        match self {
            NameError::Empty => "不能为空".into(),
            NameError::Hidden { ch } => format!(
                "含有不可见的控制或格式字符 U+{:04X}（会改变显示的内容），请删去后重新输入",
                u32::from(*ch)
            ),
            NameError::TooLong { chars, max } => format!("过长：{chars} 个字符，最多 {max} 个"),
        }
    }

    pub fn en(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => f.write_str("must not be empty"),
            NameError::Hidden { ch } => write!(
                f,
                "must not contain control or invisible format characters (found U+{:04X}, which changes how the text is shown)",
                u32::from(*ch)
            ),
            NameError::TooLong { chars, max } => {
                write!(f, "too long: {chars} characters, at most {max}")
            }
        }
    }
}

impl std::error::Error for NameError {}

/// A name as stored: trimmed, NFC, non-empty, no hidden character, at most
/// `max` characters.
pub fn clean(s: &str, max: usize) -> Result<String, NameError> {
    let t = s.trim();
    if let Some(ch) = find_hidden(t) {
        return Err(NameError::Hidden { ch });
    }
    let t: String = t.nfc().collect();
    if t.is_empty() {
        return Err(NameError::Empty);
    }
    let chars = t.chars().count();
    if chars > max {
        return Err(NameError::TooLong { chars, max });
    }
    Ok(t)
}

/// The TR39 confusable skeleton of `s`: what it looks like, not what it
/// spells. Equal skeletons mean a reader could take one for the other.
pub fn skeleton(s: &str) -> String {
    unicode_security::skeleton(s).collect()
}

/// The first of `taken` that `name` could be mistaken for (equal, or alike
/// by [`skeleton`]).
pub fn alike<'a, I>(name: &str, taken: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let s = skeleton(name);
    taken.into_iter().find(|t| *t == name || skeleton(t) == s)
}

/// The first name of `names` alike to an earlier one: `(earlier, later)`
/// indices, the later as small as possible. Each skeleton is computed once.
pub fn first_alike_pair(names: &[String]) -> Option<(usize, usize)> {
    let mut seen = std::collections::BTreeMap::new();
    for (j, n) in names.iter().enumerate() {
        let s = skeleton(n);
        if let Some(&i) = seen.get(&s) {
            return Some((i, j));
        }
        seen.insert(s, j);
    }
    None
}

/// `s` safe to print on a terminal or in a report: every hidden character
/// ([`is_hidden`]) is written as a JSON-style escape (`\u001b`, `\u202e`;
/// a pair of `\uXXXX` for one beyond U+FFFF), so it can neither move the
/// cursor, clear the screen, reorder the text nor hide a character. The
/// escape is valid inside a JSON string too. With `keep_lines`, line feeds
/// and tabs stay (for whole multi-line texts); without, they are escaped as
/// well (for one field of a line).
pub fn escape_with(s: &str, keep_lines: bool) -> std::borrow::Cow<'_, str> {
    let shown = |c: char| !is_hidden(c) || (keep_lines && (c == '\n' || c == '\t'));
    if s.chars().all(shown) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if shown(c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters() {
        for c in [
            '\u{1b}',
            '\r',
            '\n',
            '\0',
            '\u{7f}',
            '\u{9b}',
            '\u{200b}',
            '\u{200d}',
            '\u{202e}',
            '\u{202c}',
            '\u{2066}',
            '\u{2069}',
            '\u{061c}',
            '\u{feff}',
            '\u{ad}',
            '\u{2028}',
            '\u{e0041}',
        ] {
            assert!(is_hidden(c), "U+{:04X}", u32::from(c));
        }
        for c in ['吴', 'a', ' ', '·', '\u{3000}', 'А', '\u{301}'] {
            assert!(!is_hidden(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn clean_trims_normalises_and_refuses() {
        assert_eq!(clean("  吴七 ", 10).as_deref(), Ok("吴七"));
        // NFD é → NFC é.
        assert_eq!(clean("Jose\u{301}", 10).as_deref(), Ok("José"));
        assert_eq!(clean("   ", 10), Err(NameError::Empty));
        assert_eq!(
            clean("\u{202e}七吴\u{202c}", 10),
            Err(NameError::Hidden { ch: '\u{202e}' })
        );
        assert_eq!(
            clean("吴\u{200b}七", 10),
            Err(NameError::Hidden { ch: '\u{200b}' })
        );
        assert_eq!(
            clean("一二三", 2),
            Err(NameError::TooLong { chars: 3, max: 2 })
        );
    }

    #[test]
    fn lookalikes_share_a_skeleton() {
        // Latin "Anna" and the same with Cyrillic А (U+0410) and а (U+0430).
        assert_eq!(alike("\u{410}nn\u{430}", ["Bob", "Anna"]), Some("Anna"));
        assert_eq!(alike("José", ["Jose\u{301}"]), Some("Jose\u{301}"));
        assert_eq!(alike("吴七", ["吴八", "王七"]), None);
        let names = vec!["丁一".to_string(), "王二".into(), "丁一".into()];
        assert_eq!(first_alike_pair(&names), Some((0, 2)));
    }

    #[test]
    fn escapes_what_would_fool_a_terminal() {
        assert_eq!(escape_with("吴七", false), "吴七");
        assert_eq!(
            escape_with("\u{1b}[2J✓ verified\r\n", false),
            "\\u001b[2J✓ verified\\u000d\\u000a"
        );
        assert_eq!(escape_with("a\tb\nc\u{202e}", true), "a\tb\nc\\u202e");
        assert_eq!(escape_with("\u{e0041}", false), "\\udb40\\udc41");
    }
}
