//! The auditor's verification report (`scrutineer verify`), in Chinese or
//! English: one line per numbered step with ✓ / ✗, the failures under the
//! step that found them, the final root in groups of four hex digits, and
//! each published tally: replayed or not, certified or not, and by whom.

use super::{shown, Lang};
use crate::log::proof::grouped_hex;
use crate::log::verify::{Certification, Failure, StepStatus, VerifyReport};

/// Renders the report of `verify` on the bundle at `path`. `pinned` is the
/// log key the auditor expects (`--log-key`), if given.
pub fn render(path: &str, r: &VerifyReport, pinned: Option<&str>, lang: Lang) -> String {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let mut out = String::new();
    let path = shown(path);
    out.push_str(&format!("{}{path}\n", t("审计包核验：", "Audit bundle: ")));
    if let Some(o) = &r.origin {
        out.push_str(&format!("{}{}\n", t("日志：", "log: "), shown(o)));
    }
    if let Some(k) = &r.log_key {
        out.push_str(&format!("{}{}\n", t("日志公钥：", "log key: "), shown(k)));
        match pinned {
            Some(p) if p == k => out.push_str(t(
                "  ✓ 与指定的日志公钥一致\n",
                "  ✓ matches the log key given with --log-key\n",
            )),
            Some(p) => out.push_str(&format!(
                "{}{}\n",
                t(
                    "  ✗ 与指定的日志公钥不符：",
                    "  ✗ differs from the log key given with --log-key: "
                ),
                shown(p)
            )),
            None => out.push_str(t(
                "  （请与会议公布的日志公钥核对，或用 --log-key 指定）\n",
                "  (compare with the log key the meeting published, or pass --log-key)\n",
            )),
        }
    }
    out.push_str(&match lang {
        Lang::Zh => format!(
            "记录 {} 条，检查点 {} 个，选票 {} 张\n\n",
            r.entries, r.checkpoints, r.ballots
        ),
        Lang::En => format!(
            "{} entries, {} checkpoints, {} ballots\n\n",
            r.entries, r.checkpoints, r.ballots
        ),
    });
    for s in &r.steps {
        let title = lang.t(s.step.zh(), s.step.en());
        let n = s.step.number();
        match &s.status {
            StepStatus::Passed => out.push_str(&format!("✓ {n}. {title}\n")),
            StepStatus::Failed => out.push_str(&format!("✗ {n}. {title}\n")),
            StepStatus::Skipped { because } => out.push_str(&match lang {
                Lang::Zh => format!("– {n}. {title}（未核验：依赖第{}步）\n", because.number()),
                Lang::En => format!(
                    "– {n}. {title} (not checked: needs step {})\n",
                    because.number()
                ),
            }),
        }
        for f in &s.failures {
            let round = f.round.as_deref().map(shown);
            let place = match (f.entry, &round, f.file.as_deref().map(shown)) {
                (Some(i), Some(round), _) => match lang {
                    Lang::Zh => format!("第{i}条记录（第{round}轮）："),
                    Lang::En => format!("entry {i} (round {round}): "),
                },
                (Some(i), None, _) => match lang {
                    Lang::Zh => format!("第{i}条记录："),
                    Lang::En => format!("entry {i}: "),
                },
                (None, _, Some(file)) => format!("{file}: "),
                (None, _, None) => String::new(),
            };
            let file = match (f.entry, &f.file) {
                (Some(_), Some(file)) => format!(" [{}]", shown(file)),
                _ => String::new(),
            };
            out.push_str(&format!("    {place}{}{file}\n", shown(message(f, lang))));
        }
        if s.omitted > 0 {
            out.push_str(&match lang {
                Lang::Zh => format!("    ……另有 {} 处问题\n", s.omitted),
                Lang::En => format!("    ... and {} more\n", s.omitted),
            });
        }
    }
    if !r.unchecked.is_empty() {
        out.push_str(t(
            "未核验的签名行（签名公钥不在已知之列，依 C2SP 签名注记规范略过，不影响结论）：\n",
            "signature lines not checked (by keys the verifier does not know; ignored as C2SP signed-note requires, never a failure):\n",
        ));
        for u in &r.unchecked {
            out.push_str(&format!("    {}: {}\n", u.file, u.key));
        }
    }
    if r.pinned == 0 {
        out.push_str(t(
            "注意：未与包外任何凭据核对（未给出 --root、--checkpoint、--scrutineer-key 或 --witness-key）。本包内的密钥与根哈希仅由日志密钥担保；请与签字的纸质计票报告上的根哈希和监票人公钥指纹逐项核对。\n",
            "note: nothing outside the bundle was pinned (no --root, --checkpoint, --scrutineer-key or --witness-key): its keys and roots rest on the log key alone; compare them with the roots and scrutineer key fingerprints on the signed paper reports.\n",
        ));
    }
    out.push('\n');
    if let Some((size, root)) = &r.final_checkpoint {
        out.push_str(&match lang {
            Lang::Zh => format!("最终检查点：{size} 条记录\n根哈希：{}\n", grouped_hex(root)),
            Lang::En => format!(
                "final checkpoint: {size} entries\nroot: {}\n",
                grouped_hex(root)
            ),
        });
    }
    for tally in &r.tallies {
        let mark = if tally.matches { "✓" } else { "✗" };
        out.push_str(&match lang {
            Lang::Zh => format!(
                "{mark} 第{}轮计票结果（第{}条记录）：{}{}\n",
                shown(&tally.round),
                tally.entry,
                shown(&tally.status),
                elected(&tally.elected, lang)
            ),
            Lang::En => format!(
                "{mark} tally of round {} (entry {}): {}{}\n",
                shown(&tally.round),
                tally.entry,
                shown(&tally.status),
                elected(&tally.elected, lang)
            ),
        });
        out.push_str(&certification(&tally.certification, lang));
    }
    let pinned_ok = pinned.is_none() || pinned == r.log_key.as_deref();
    out.push('\n');
    if r.is_verified() && pinned_ok {
        out.push_str(t("结论：核验通过。\n", "verified.\n"));
    } else {
        let first = r.first_failure().map(|f| match (lang, &f.zh) {
            (Lang::Zh, Some(_)) => {
                let file = f
                    .file
                    .as_deref()
                    .map(|p| format!("{}: ", shown(p)))
                    .unwrap_or_default();
                format!("第{}步：{file}{}", f.step.number(), shown(message(f, lang)))
            }
            _ => shown(&f.to_string()).into_owned(),
        });
        let first = first.unwrap_or_else(|| {
            t("日志公钥与指定的不符", "the log key differs from --log-key").to_owned()
        });
        out.push_str(&format!(
            "{}{first}\n",
            t("结论：核验失败。首个问题：", "verification FAILED: ")
        ));
    }
    out
}

/// A failure's message in `lang`, where the verifier words it in both.
fn message(f: &Failure, lang: Lang) -> &str {
    match (lang, &f.zh) {
        (Lang::Zh, Some(zh)) => zh,
        _ => &f.message,
    }
}

/// "certified: 2 of 2 scrutineers cosigned the checkpoint of size 42 (2
/// required): …", or "not certified: …".
fn certification(c: &Certification, lang: Lang) -> String {
    let (m, n, k, size) = (
        c.cosigned.len(),
        c.cosigners.len(),
        c.required,
        c.checkpoint,
    );
    let who: Vec<String> = c
        .cosigned
        .iter()
        .map(|s| match lang {
            Lang::Zh => format!(
                "{}（{}，{}）",
                shown(&s.name),
                role(&s.role, lang),
                utc(s.timestamp)
            ),
            Lang::En => format!(
                "{} ({}, {})",
                shown(&s.name),
                role(&s.role, lang),
                utc(s.timestamp)
            ),
        })
        .collect();
    let who = who.join(lang.t("、", ", "));
    let by = if who.is_empty() {
        String::new()
    } else {
        format!("{}{who}", lang.t("：", ": "))
    };
    match lang {
        Lang::Zh => format!(
            "    {}：{m}/{n} 名监票人联署了含 {size} 条记录的检查点，须 {k} 名{by}\n",
            if c.is_certified() { "已核定" } else { "未核定" }
        ),
        Lang::En => format!(
            "    {}: {m} of {n} scrutineers cosigned the checkpoint of size {size}, {k} required{by}\n",
            if c.is_certified() { "certified" } else { "not certified" }
        ),
    }
}

fn elected(names: &[String], lang: Lang) -> String {
    if names.is_empty() {
        return String::new();
    }
    let names: Vec<_> = names.iter().map(|n| shown(n)).collect();
    match lang {
        Lang::Zh => format!("，当选/通过：{}", names.join("、")),
        Lang::En => format!("; elected: {}", names.join(", ")),
    }
}

fn role(role: &str, lang: Lang) -> String {
    match (role, lang) {
        ("scrutineer", Lang::Zh) => "监票人".into(),
        ("chief_scrutineer", Lang::Zh) => "总监票人".into(),
        ("chief_scrutineer", Lang::En) => "chief scrutineer".into(),
        (r, _) => shown(r).into_owned(),
    }
}

/// POSIX seconds as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil from days (H. Hinnant), for days since 1970-01-01.
    let z = days as i128 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i128::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        let _ = utc(u64::MAX);
    }
}
