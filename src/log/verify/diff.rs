//! The differences between a published and a replayed result record,
//! and between two methods, worded for people in English and Chinese.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::log::record::TallyRecord;
use crate::rules::method::ElectionMethod;

/// `": first at <field>"` for two methods that differ.
pub(super) fn first_difference(a: &ElectionMethod, b: &ElectionMethod) -> String {
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return String::new();
    };
    a.iter()
        .find(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, _)| format!(": first at `{k}`"))
        .unwrap_or_default()
}

/// One difference between the published and the replayed record.
struct Diff {
    path: String,
    published: Option<Value>,
    replayed: Option<Value>,
}

/// The differences between a published and a replayed record, the first
/// five named, in English and in Chinese.
pub(super) fn describe_differences(
    published: &TallyRecord,
    replayed: &TallyRecord,
) -> (String, String) {
    let (Ok(a), Ok(b)) = (
        serde_json::to_value(published),
        serde_json::to_value(replayed),
    ) else {
        return (
            "the published record differs from the replay".into(),
            "公布的计票结果与重新计票不符".into(),
        );
    };
    let mut diffs = Vec::new();
    diff_values(&a, &b, "", &mut diffs);
    let more = diffs.len().saturating_sub(5);
    let (en, zh): (Vec<String>, Vec<String>) = diffs
        .iter()
        .take(5)
        .map(|d| (d.describe(&b, false), d.describe(&b, true)))
        .unzip();
    let (mut en, mut zh) = (en.join("; "), zh.join("；"));
    if more > 0 {
        en.push_str(&format!("; and {more} more differences"));
        zh.push_str(&format!("；另有 {more} 处不同"));
    }
    (en, zh)
}

impl Diff {
    /// "published for-votes of 王二 40, replay 39" (or in Chinese), the
    /// status with its meaning, or the record path.
    fn describe(&self, replayed_doc: &Value, zh: bool) -> String {
        let show = |v: &Option<Value>| match v {
            None => if zh { "无" } else { "nothing" }.to_owned(),
            Some(Value::String(code)) if self.path == "/status" => {
                let status: Option<crate::rules::Status> =
                    serde_json::from_value(Value::String(code.clone())).ok();
                match status {
                    Some(st) if zh => format!("{code}（{}）", st.zh()),
                    Some(st) => format!("{code} ({})", st.en()),
                    None => code.clone(),
                }
            }
            Some(v) => v.to_string(),
        };
        let (p, r) = (show(&self.published), show(&self.replayed));
        let parts: Vec<&str> = self.path.trim_start_matches('/').split('/').collect();
        if let ["rows", row, field] = parts.as_slice() {
            let name = row
                .parse::<usize>()
                .ok()
                .and_then(|i| replayed_doc.get("rows")?.get(i)?.get("name")?.as_str());
            let what = match *field {
                "for" => Some(("for-votes", "赞成票")),
                "against" => Some(("against-votes", "不赞成票")),
                "abstain" => Some(("abstentions", "弃权票")),
                _ => None,
            };
            if let (Some(name), Some((en, cn))) = (name, what) {
                return if zh {
                    format!("公布的{name}{cn}为 {p}，重新计票为 {r}")
                } else {
                    format!("published {en} of {name} {p}, replay {r}")
                };
            }
        }
        if self.path == "/status" {
            return if zh {
                format!("公布的结果为 {p}，重新计票为 {r}")
            } else {
                format!("published status {p}, replay {r}")
            };
        }
        let at = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        if zh {
            format!("记录 {at} 处：公布为 {p}，重新计票为 {r}")
        } else {
            format!("at {at}: published {p}, replay {r}")
        }
    }
}

/// Leaf-level differences, in document order.
fn diff_values(a: &Value, b: &Value, path: &str, out: &mut Vec<Diff>) {
    if out.len() > 100 {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = format!("{path}/{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => diff_values(u, v, &p, out),
                    (u, v) => out.push(Diff {
                        path: p,
                        published: u.cloned(),
                        replayed: v.cloned(),
                    }),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff_values(u, v, &format!("{path}/{i}"), out);
            }
        }
        (u, v) if u != v => out.push(Diff {
            path: path.to_owned(),
            published: Some(u.clone()),
            replayed: Some(v.clone()),
        }),
        _ => {}
    }
}
