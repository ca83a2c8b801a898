//! The auditor's verification report (`scrutineer verify`), wholly in
//! Chinese or wholly in English: one line per numbered step with ✓ / ✗,
//! the failures under the step that found them, the final root, and each
//! published tally — replayed or not, certified or not — with the lines an
//! auditor compares one by one with that round's signed vote report: the
//! result checkpoint's size and root in groups of four hex digits, and
//! each cosigner's key fingerprint. Times are in the meeting's zone
//! (北京时间, UTC+8, unless `--tz` says otherwise).

use super::{shown, Lang};
use crate::log::bundle::checkpoint_path;
use crate::log::merkle::grouped_hex;
use crate::log::verify::{Certification, Failure, Step, StepStatus, TallyCheck, VerifyReport};
use crate::rules::outcome::Status;
use crate::state::Role;

/// The time zone the report's times are shown in: a fixed offset from UTC
/// (a meeting is held in one place on one day; no daylight saving rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    /// Minutes east of UTC.
    pub minutes: i32,
}

impl Zone {
    /// 北京时间 (UTC+8), the default.
    pub const BEIJING: Zone = Zone { minutes: 8 * 60 };

    /// `+08:00`, `+8`, `-05:30`, `UTC+8`, `UTC`, `Z`: an offset of at most
    /// ±14 hours. `None` for anything else.
    pub fn parse(s: &str) -> Option<Zone> {
        let s = s.trim();
        let s = s
            .strip_prefix("UTC")
            .or_else(|| s.strip_prefix("utc"))
            .unwrap_or(s);
        if s.is_empty() || s == "Z" || s == "z" {
            return Some(Zone { minutes: 0 });
        }
        let (sign, rest) = match s.as_bytes()[0] {
            b'+' => (1, &s[1..]),
            b'-' => (-1, &s[1..]),
            _ => return None,
        };
        let (h, m) = match rest.split_once(':') {
            Some((h, m)) => (h, m),
            None if rest.len() == 4 => rest.split_at(2),
            None => (rest, "0"),
        };
        let digits =
            |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || !digits(m) {
            return None;
        }
        let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
        if m >= 60 || h * 60 + m > 14 * 60 {
            return None;
        }
        Some(Zone {
            minutes: sign * (h * 60 + m),
        })
    }

    /// `UTC+08:00`.
    fn offset(self) -> String {
        let sign = if self.minutes < 0 { '-' } else { '+' };
        let m = self.minutes.unsigned_abs();
        format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
    }

    /// How the zone is named after a time: 北京时间, or the offset.
    fn name(self, lang: Lang) -> String {
        match (self == Zone::BEIJING, lang) {
            (true, Lang::Zh) => "北京时间".into(),
            (true, Lang::En) => "Beijing time, UTC+8".into(),
            (false, _) => self.offset(),
        }
    }
}

/// Renders the report of `verify` on the bundle at `path`, times in
/// 北京时间. `pinned` is the log key the auditor expects (`--log-key`).
pub fn render(path: &str, r: &VerifyReport, pinned: Option<&str>, lang: Lang) -> String {
    render_in(path, r, pinned, lang, Zone::BEIJING)
}

/// [`render`] with times in `zone` (`--tz`).
pub fn render_in(
    path: &str,
    r: &VerifyReport,
    pinned: Option<&str>,
    lang: Lang,
    zone: Zone,
) -> String {
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
            let file = match (f.entry, &f.file) {
                (Some(_), Some(file)) => format!(" [{}]", shown(file)),
                _ => String::new(),
            };
            out.push_str(&format!(
                "    {}{}{file}\n",
                place(f, lang),
                message(f, lang)
            ));
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
            out.push_str(&format!("    {}: {}\n", shown(&u.file), shown(&u.key)));
        }
    }
    if r.pinned == 0 {
        out.push_str(t(
            "注意：未与包外任何凭据核对（未给出纸质报告上的根哈希、监票人公钥指纹，也未给出见证人的检查点或公钥）。本包内的密钥与根哈希仅由日志密钥担保；请与签字的纸质计票报告上的根哈希和监票人公钥指纹逐项核对。\n",
            "note: nothing outside the bundle was pinned (no --root, --checkpoint, --scrutineer-key, --cosigner-key or --witness-key): its keys and roots rest on the log key alone; compare them with the roots and scrutineer key fingerprints on the signed paper reports.\n",
        ));
    }
    out.push_str(&witnesses(r, lang));
    out.push_str(&holders(r, lang));
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
    if !r.tallies.is_empty() {
        out.push_str(t(
            "\n各轮计票结果（请与该轮计票结果报告单上所印的检查点、根哈希和公钥指纹逐项核对）：\n",
            "\nEach round's result (compare the checkpoint, root and key fingerprints with those printed on that round's vote report, one by one):\n",
        ));
    }
    for tally in &r.tallies {
        out.push_str(&round_block(tally, r, lang, zone));
    }
    let pinned_ok = pinned.is_none() || pinned == r.log_key.as_deref();
    out.push('\n');
    if r.is_verified() && pinned_ok {
        out.push_str(t("结论：核验通过。\n", "verified.\n"));
    } else {
        let first = r.first_failure().map(|f| match lang {
            Lang::Zh => format!(
                "第{}步：{}{}",
                f.step.number(),
                place(f, lang),
                message(f, lang)
            ),
            Lang::En => shown(&f.to_string()).into_owned(),
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

/// Where a failure is: `第3条记录（轮次 f1）：`, `entry 3 (round f1): `, or
/// the file.
fn place(f: &Failure, lang: Lang) -> String {
    let round = f.round.as_deref().map(shown);
    match (f.entry, &round, f.file.as_deref().map(shown)) {
        (Some(i), Some(round), _) => match lang {
            Lang::Zh => format!("第{i}条记录（轮次 {round}）："),
            Lang::En => format!("entry {i} (round {round}): "),
        },
        (Some(i), None, _) => match lang {
            Lang::Zh => format!("第{i}条记录："),
            Lang::En => format!("entry {i}: "),
        },
        (None, _, Some(file)) => format!("{file}: "),
        (None, _, None) => String::new(),
    }
}

/// A failure's message in `lang`. Where the verifier words a failure in
/// English only, the Chinese report says what failed in Chinese and points
/// to the English report for the technical detail, so that no English
/// stands in Chinese text.
fn message(f: &Failure, lang: Lang) -> String {
    match (lang, &f.zh) {
        (Lang::Zh, Some(zh)) => shown(zh).into_owned(),
        (Lang::Zh, None) => format!(
            "未通过“{}”的核验（技术细节见 scrutineer verify --lang en）",
            f.step.zh()
        ),
        (Lang::En, _) => shown(&f.message).into_owned(),
    }
}

/// A replayed status in `lang` (the verifier reports it by its contract
/// name, `complete`, `runoff_required`, …).
fn status_words(status: &str, lang: Lang) -> String {
    const ALL: [Status; 6] = [
        Status::Complete,
        Status::RunoffRequired,
        Status::Shortfall,
        Status::Void,
        Status::NoQuorum,
        Status::ListRejected,
    ];
    match ALL.iter().find(|s| s.as_str() == status) {
        Some(s) => lang.t(s.zh(), s.en()).to_owned(),
        None => match lang {
            Lang::Zh => "结论无法识别".to_owned(),
            Lang::En => format!("unknown status {}", shown(status)),
        },
    }
}

/// One round: its replay, its result checkpoint and root as the report
/// prints them, and who cosigned with which key.
fn round_block(tally: &TallyCheck, r: &VerifyReport, lang: Lang, zone: Zone) -> String {
    let mark = if tally.matches { "✓" } else { "✗" };
    let round = shown(&tally.round);
    let status = status_words(&tally.status, lang);
    let replay = match (tally.matches, lang) {
        (true, Lang::Zh) => "重新计票结果与公布结果一致",
        (false, Lang::Zh) => "重新计票结果与公布结果不一致",
        (true, Lang::En) => "recount matches the published result",
        (false, Lang::En) => "recount DIFFERS from the published result",
    };
    let mut out = match lang {
        Lang::Zh => format!(
            "{mark} 轮次 {round}（第{}条记录）：{status}{}；{replay}\n",
            tally.entry,
            elected(&tally.elected, lang)
        ),
        Lang::En => format!(
            "{mark} round {round} (entry {}): {status}{}; {replay}\n",
            tally.entry,
            elected(&tally.elected, lang)
        ),
    };
    let c = &tally.certification;
    out.push_str(&match (lang, &c.root) {
        (Lang::Zh, Some(root)) => format!(
            "    结果检查点：{} 条记录\n    根哈希：{}\n",
            c.checkpoint,
            grouped_hex(root)
        ),
        (Lang::En, Some(root)) => format!(
            "    result checkpoint: {} entries\n    root: {}\n",
            c.checkpoint,
            grouped_hex(root)
        ),
        (Lang::Zh, None) => format!(
            "    结果检查点：{} 条记录（审计包中没有这一检查点）\n",
            c.checkpoint
        ),
        (Lang::En, None) => format!(
            "    result checkpoint: {} entries (not in the bundle)\n",
            c.checkpoint
        ),
    });
    match &r.step(Step::Cosignatures).status {
        StepStatus::Skipped { because } => out.push_str(&match lang {
            Lang::Zh => format!("    监票人联署：未核验（依赖第{}步）\n", because.number()),
            Lang::En => format!(
                "    cosignatures: not checked (needs step {})\n",
                because.number()
            ),
        }),
        _ => {
            out.push_str(&certification(c, lang, zone));
            out.push_str(&witnessed(c, r, lang, zone));
        }
    }
    let file = checkpoint_path(c.checkpoint);
    let witnesses: Vec<String> = r
        .unchecked
        .iter()
        .filter(|u| u.file == file)
        .map(|u| shown(&u.key).into_owned())
        .collect();
    if !witnesses.is_empty() {
        out.push_str(&format!(
            "{}{}\n",
            lang.t(
                "    其他签名（见证方等，未核验）：",
                "    other signatures (witnesses, not checked): "
            ),
            witnesses.join(lang.t("、", ", "))
        ));
    }
    out
}

/// "已核定：2/3 名监票人联署，须 2 名", then one line per cosigner with the
/// key fingerprint and the time, and who of the n did not cosign.
fn certification(c: &Certification, lang: Lang, zone: Zone) -> String {
    let (m, n, k) = (c.cosigned.len(), c.cosigners.len(), c.required);
    let mut out = match lang {
        Lang::Zh => format!(
            "    {}：{m}/{n} 名监票人联署，须 {k} 名\n",
            if c.is_certified() {
                "已核定"
            } else {
                "未核定"
            }
        ),
        Lang::En => format!(
            "    {}: {m} of {n} scrutineers cosigned, {k} required\n",
            if c.is_certified() {
                "certified"
            } else {
                "not certified"
            }
        ),
    };
    for s in &c.cosigned {
        out.push_str(&match lang {
            Lang::Zh => format!(
                "      {}（{}）公钥指纹：{}　签署时间：{}\n",
                shown(&s.name),
                role(&s.role, lang),
                s.fingerprint,
                time(s.timestamp, zone, lang)
            ),
            Lang::En => format!(
                "      {} ({}) key fingerprint: {}  signed: {}\n",
                shown(&s.name),
                role(&s.role, lang),
                s.fingerprint,
                time(s.timestamp, zone, lang)
            ),
        });
    }
    let missing: Vec<String> = c
        .cosigners
        .iter()
        .filter(|name| !c.cosigned.iter().any(|s| &s.name == *name))
        .map(|name| shown(name).into_owned())
        .collect();
    if !missing.is_empty() {
        out.push_str(&format!(
            "{}{}\n",
            lang.t("      未联署：", "      did not cosign: "),
            missing.join(lang.t("、", ", "))
        ));
    }
    out
}

/// The named witnesses who cosigned a result checkpoint, and who did not.
fn witnessed(c: &Certification, r: &VerifyReport, lang: Lang, zone: Zone) -> String {
    if r.witnesses.is_empty() {
        return String::new();
    }
    let (m, n, k) = (c.witnessed.len(), r.witnesses.len(), c.witnesses_required);
    let mut out = match lang {
        Lang::Zh => format!("    见证人联署：{m}/{n} 个，须 {k} 个\n"),
        Lang::En => format!("    witnesses: {m} of {n} cosigned, {k} required\n"),
    };
    for s in &c.witnessed {
        out.push_str(&match lang {
            Lang::Zh => format!(
                "      {}（见证人）公钥指纹：{}　签署时间：{}\n",
                shown(&s.name),
                s.fingerprint,
                time(s.timestamp, zone, lang)
            ),
            Lang::En => format!(
                "      {} (witness) key fingerprint: {}  signed: {}\n",
                shown(&s.name),
                s.fingerprint,
                time(s.timestamp, zone, lang)
            ),
        });
    }
    let missing: Vec<String> = r
        .witnesses
        .iter()
        .filter(|w| !c.witnessed.iter().any(|s| s.name == w.name))
        .map(|w| shown(&w.name).into_owned())
        .collect();
    if !missing.is_empty() {
        out.push_str(&format!(
            "{}{}\n",
            lang.t(
                "      未联署的见证人：",
                "      witnesses that did not cosign: "
            ),
            missing.join(lang.t("、", ", "))
        ));
    }
    out
}

/// The witnesses the log names.
fn witnesses(r: &VerifyReport, lang: Lang) -> String {
    if r.witnesses.is_empty() {
        return lang
            .t(
                "日志未列见证人：无人在会外见证本日志的检查点（回退或分叉只能凭纸质报告上的根哈希发现）。\n",
                "the log names no witnesses: nobody outside the meeting witnessed its checkpoints (a rollback or fork shows only against the roots on the paper reports).\n",
            )
            .to_owned();
    }
    let mut out = match lang {
        Lang::Zh => format!(
            "日志所列见证人（每轮结果检查点须有其中 {} 个联署）：\n",
            r.witnesses_required
        ),
        Lang::En => format!(
            "witnesses the log names ({} must cosign every result checkpoint):\n",
            r.witnesses_required
        ),
    };
    for w in &r.witnesses {
        out.push_str(&match lang {
            Lang::Zh => format!(
                "    {}（第{}条记录）公钥指纹：{}　提交地址：{}\n",
                shown(&w.name),
                w.entry,
                w.fingerprint,
                shown(&w.url)
            ),
            Lang::En => format!(
                "    {} (entry {}) key fingerprint: {}  submitted to: {}\n",
                shown(&w.name),
                w.entry,
                w.fingerprint,
                shown(&w.url)
            ),
        });
    }
    out
}

/// Who held which role and which key, per election.
fn holders(r: &VerifyReport, lang: Lang) -> String {
    if r.holders.is_empty() {
        return String::new();
    }
    let mut out = lang
        .t(
            "\n各选举的身份与签名公钥（以日志为准，请与登记表核对）：\n",
            "\nWho held which role and key, per election (as the log says; compare with the registration sheet):\n",
        )
        .to_owned();
    let mut current: Option<&Option<String>> = None;
    for h in &r.holders {
        if current != Some(&h.election) {
            current = Some(&h.election);
            out.push_str(&match (&h.election, lang) {
                (Some(e), Lang::Zh) => format!("  选举 {}：\n", shown(e)),
                (Some(e), Lang::En) => format!("  election {}:\n", shown(e)),
                (None, Lang::Zh) => "  全会（不分选举）：\n".to_owned(),
                (None, Lang::En) => "  the whole meeting:\n".to_owned(),
            });
        }
        for (i, k) in h.keys.iter().enumerate() {
            let who = if i == 0 {
                match lang {
                    Lang::Zh => format!("{}（{}）", shown(&h.name), role(&h.role, lang)),
                    Lang::En => format!("{} ({})", shown(&h.name), role(&h.role, lang)),
                }
            } else {
                lang.t("    更换为", "    replaced by").to_owned()
            };
            let since = match (&k.approved_by, lang) {
                (Some(by), Lang::Zh) => {
                    format!("自第{}条记录起，经 {} 批准", k.from_entry, shown(by))
                }
                (Some(by), Lang::En) => {
                    format!("from entry {}, approved by {}", k.from_entry, shown(by))
                }
                (None, Lang::Zh) => format!("自第{}条记录起", k.from_entry),
                (None, Lang::En) => format!("from entry {}", k.from_entry),
            };
            let until = match (k.until_entry, lang) {
                (Some(u), Lang::Zh) => format!("，至第{u}条记录止（设备丢失，已更换）"),
                (Some(u), Lang::En) => format!(", until entry {u} (device lost, replaced)"),
                (None, _) => String::new(),
            };
            out.push_str(&match lang {
                Lang::Zh => format!("    {who} 公钥指纹：{}（{since}{until}）\n", k.fingerprint),
                Lang::En => format!(
                    "    {who} key fingerprint: {} ({since}{until})\n",
                    k.fingerprint
                ),
            });
        }
    }
    out
}

/// The report as JSON (`scrutineer verify --json`): the conclusion, each
/// step with its failures, each round's certification and witnesses, the
/// named witnesses, and who held which role and key.
pub fn json(r: &VerifyReport, log_key_matches: bool) -> serde_json::Value {
    use serde_json::json;
    let cosigned = |c: &[crate::log::verify::Cosigned]| -> Vec<serde_json::Value> {
        c.iter()
            .map(|s| {
                json!({
                    "name": s.name, "role": s.role, "key": s.key,
                    "fingerprint": s.fingerprint, "timestamp": s.timestamp,
                })
            })
            .collect()
    };
    json!({
        "verified": r.is_verified() && log_key_matches,
        "origin": r.origin,
        "log_key": r.log_key,
        "entries": r.entries,
        "checkpoints": r.checkpoints,
        "ballots": r.ballots,
        "pinned": r.pinned,
        "final_checkpoint": r.final_checkpoint.as_ref().map(|(size, root)| json!({
            "size": size, "root": grouped_hex(root),
        })),
        "steps": r.steps.iter().map(|s| json!({
            "step": s.step.number(),
            "zh": s.step.zh(),
            "en": s.step.en(),
            "status": match &s.status {
                StepStatus::Passed => "passed",
                StepStatus::Failed => "failed",
                StepStatus::Skipped { .. } => "skipped",
            },
            "failures": s.failures.iter().map(|f| json!({
                "entry": f.entry, "round": f.round, "file": f.file,
                "en": f.message, "zh": f.zh,
            })).collect::<Vec<_>>(),
            "omitted": s.omitted,
        })).collect::<Vec<_>>(),
        "rounds": r.tallies.iter().map(|t| {
            let c = &t.certification;
            json!({
                "round": t.round, "entry": t.entry, "status": t.status,
                "elected": t.elected, "matches": t.matches,
                "checkpoint": c.checkpoint,
                "root": c.root.as_ref().map(grouped_hex),
                "certified": c.is_certified(),
                "required": c.required, "cosigners": c.cosigners,
                "cosigned": cosigned(&c.cosigned),
                "witnesses_required": c.witnesses_required,
                "witnessed": cosigned(&c.witnessed),
            })
        }).collect::<Vec<_>>(),
        "witnesses": r.witnesses.iter().map(|w| json!({
            "name": w.name, "key": w.key, "fingerprint": w.fingerprint,
            "url": w.url, "entry": w.entry,
        })).collect::<Vec<_>>(),
        "witnesses_required": r.witnesses_required,
        "holders": r.holders.iter().map(|h| json!({
            "election": h.election, "role": h.role, "name": h.name,
            "keys": h.keys.iter().map(|k| json!({
                "fingerprint": k.fingerprint, "from_entry": k.from_entry,
                "until_entry": k.until_entry, "approved_by": k.approved_by,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "unchecked": r.unchecked.iter().map(|u| json!({"file": u.file, "key": u.key})).collect::<Vec<_>>(),
    })
}

fn elected(names: &[String], lang: Lang) -> String {
    if names.is_empty() {
        return String::new();
    }
    let names: Vec<_> = names.iter().map(|n| shown(n)).collect();
    match lang {
        Lang::Zh => format!("；当选（通过）：{}", names.join("、")),
        Lang::En => format!("; elected: {}", names.join(", ")),
    }
}

fn role(role: &str, lang: Lang) -> String {
    // The meeting's roles by their one code table; the log's key
    // registrations also know a chief scrutineer and a chair.
    let (zh, en) = match (Role::parse(role), role) {
        (Some(Role::Scrutineer), _) => ("监票人", "scrutineer"),
        (_, "chief_scrutineer") => ("总监票人", "chief scrutineer"),
        (Some(Role::Counter), _) => ("计票人", "counter"),
        (Some(Role::Presidium), _) => ("主席团", "presidium"),
        (_, "chair") => ("会议主持人", "chair"),
        (Some(Role::Organiser), _) => ("会务组", "organiser"),
        _ => ("其他身份", "other role"),
    };
    lang.t(zh, en).to_owned()
}

/// POSIX seconds as `YYYY-MM-DD HH:MM:SS（北京时间）` in `zone`.
fn time(secs: u64, zone: Zone, lang: Lang) -> String {
    let local = i128::from(secs) + i128::from(zone.minutes) * 60;
    let days = local.div_euclid(86_400);
    let rem = local.rem_euclid(86_400);
    // Civil from days (H. Hinnant), for days since 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i128::from(m <= 2);
    let clock = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    match lang {
        Lang::Zh => format!("{clock}（{}）", zone.name(lang)),
        Lang::En => format!("{clock} ({})", zone.name(lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::{time, Lang, Zone};

    #[test]
    fn times_in_the_meetings_zone() {
        let bj = Zone::BEIJING;
        assert_eq!(time(0, bj, Lang::Zh), "1970-01-01 08:00:00（北京时间）");
        assert_eq!(
            time(1_700_000_000, bj, Lang::Zh),
            "2023-11-15 06:13:20（北京时间）"
        );
        let utc = Zone { minutes: 0 };
        assert_eq!(
            time(951_782_400, utc, Lang::En),
            "2000-02-29 00:00:00 (UTC+00:00)"
        );
        assert_eq!(
            time(0, Zone { minutes: -300 }, Lang::En),
            "1969-12-31 19:00:00 (UTC-05:00)"
        );
        let _ = time(u64::MAX, bj, Lang::Zh);
    }

    #[test]
    fn zones_parse() {
        assert_eq!(Zone::parse("+08:00"), Some(Zone::BEIJING));
        assert_eq!(Zone::parse("UTC+8"), Some(Zone::BEIJING));
        assert_eq!(Zone::parse("+0800"), Some(Zone::BEIJING));
        assert_eq!(Zone::parse("-05:30"), Some(Zone { minutes: -330 }));
        assert_eq!(Zone::parse("UTC"), Some(Zone { minutes: 0 }));
        assert_eq!(Zone::parse("Z"), Some(Zone { minutes: 0 }));
        for bad in [
            "8",
            "+15",
            "+08:60",
            "Asia/Shanghai",
            "+",
            "+1:2:3",
            "+０８",
        ] {
            assert_eq!(Zone::parse(bad), None, "{bad}");
        }
    }
}
