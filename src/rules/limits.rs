//! Limits every input shares, whatever path it arrives by.
//!
//! Counts are `u64` in the rules but SQLite stores integers as `i64`, and
//! the log and the database must agree: a count above [`MAX_COUNT`] would
//! be clamped on the way into the database while the signed log kept the
//! original. So every reader (HTTP request bodies, round files, method
//! overrides) refuses such a number at the boundary, naming the field.
//!
//! Pure: no I/O.

use serde_json::Value;

/// The largest count any input may carry: `i64::MAX`.
pub const MAX_COUNT: u64 = i64::MAX as u64;

/// The refusal of a count above [`MAX_COUNT`] (`what` names the field).
pub fn too_large_message(v: u64) -> String {
    format!("{v} is too large; expected at most {MAX_COUNT}")
}

/// The first integer in `value` above [`MAX_COUNT`], with its JSON path
/// (`exclusions[0].count`; empty for the value itself).
pub fn first_too_large(value: &Value) -> Option<(String, u64)> {
    fn walk(value: &Value, path: &mut String) -> Option<(String, u64)> {
        match value {
            Value::Number(n) => n
                .as_u64()
                .filter(|v| *v > MAX_COUNT)
                .map(|v| (path.clone(), v)),
            Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(v, path);
                path.truncate(len);
                found
            }),
            Value::Object(map) => map.iter().find_map(|(k, v)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let found = walk(v, path);
                path.truncate(len);
                found
            }),
            _ => None,
        }
    }
    walk(value, &mut String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_first_count_above_i64_max() {
        let at_max = json!({ "a": i64::MAX, "b": [1, 2] });
        assert_eq!(first_too_large(&at_max), None);
        let above = json!({ "a": 1, "b": [{ "count": (i64::MAX as u64) + 1 }] });
        assert_eq!(
            first_too_large(&above),
            Some(("b[0].count".into(), (i64::MAX as u64) + 1))
        );
        assert_eq!(
            first_too_large(&json!(u64::MAX)),
            Some((String::new(), u64::MAX))
        );
    }
}
