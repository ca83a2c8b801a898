//! The six presets of RULES.md §7, each with its sources.
//!
//! A preset is a named, versioned set of defaults. A meeting adopts a preset
//! plus overrides; the report prints the full effective method. Every value
//! below traces to a line of RULES.md (cited in the comments and in
//! [`sources`]).

use super::fraction::{Comparison, Fraction};
use super::method::*;
use serde_json::{Map, Value};

/// Every preset name, in the order `scrutineer method` lists them.
pub const NAMES: &[&str] = &[
    "grassroots-2020",
    "grassroots-1990",
    "local-2020-congress",
    "local-2020-plenary",
    "cadre-vote-2019",
    "branch-resolution-2018",
];

const fn ratio(num: u64, den: u64, comparison: Comparison) -> DifferentialRule {
    DifferentialRule::MinRatio {
        num,
        den,
        comparison,
    }
}

/// 基层: committee, discipline, delegates, alternates ≥ 20% (R 2020);
/// standing +1…+2 (H); secretary and deputy equal (T 基层).
const GRASSROOTS: Differential = Differential {
    committee: ratio(1, 5, Comparison::Inclusive),
    discipline: ratio(1, 5, Comparison::Inclusive),
    delegate: ratio(1, 5, Comparison::Inclusive),
    alternate: ratio(1, 5, Comparison::Inclusive),
    standing: DifferentialRule::Extra { min: 1, max: 2 },
    secretary: DifferentialRule::Equal,
    deputy_secretary: DifferentialRule::Equal,
    other: DifferentialRule::None,
};

/// 地方 2020: delegates ≥ 20% (R); committee, alternates, discipline ≥ 10%
/// (H); standing +1…+2 (H); secretary, deputy equal (R 地方 2020 Art. 4).
const LOCAL: Differential = Differential {
    committee: ratio(1, 10, Comparison::Inclusive),
    discipline: ratio(1, 10, Comparison::Inclusive),
    delegate: ratio(1, 5, Comparison::Inclusive),
    alternate: ratio(1, 10, Comparison::Inclusive),
    standing: DifferentialRule::Extra { min: 1, max: 2 },
    secretary: DifferentialRule::Equal,
    deputy_secretary: DifferentialRule::Equal,
    other: DifferentialRule::None,
};

/// The defaults shared by all presets (RULES §7, last paragraph).
fn common(name: &str) -> ElectionMethod {
    ElectionMethod {
        preset: name.to_string(),
        quorum: Fraction::strict(4, 5),
        // RULES §4.1: for > base/2; exactly half fails.
        threshold: Fraction::strict(1, 2),
        threshold_base: Base::Entitled,
        box_check: BoxCheck::Issued,
        differential: GRASSROOTS,
        supplementary_list: SupplementaryList::Differential,
        cadre_differential: DifferentialRule::None,
        write_ins: WriteIns::AgainstLineOnly,
        write_in_misplaced: Disposition::Ignore,
        write_in_names_candidate: Disposition::Ignore,
        illegible: Illegible::Abstain,
        mark_convention: MarkConvention::BlankIsAbstain,
        list_tie: ListTie::Runoff,
        // RULES §2 (runoff stage), open point 9: the majority again.
        runoff_threshold: RunoffThreshold::Majority,
        // RULES §3.1: a list round's own floor, S 公推直选 80%以上 (以上
        // includes the number), not the election's quorum.
        participation_floor: Some(Fraction::inclusive(4, 5)),
        nomination_limit: NominationLimit::Seats,
        nomination_floor: None,
        // Open point 10: S 不是所在单位多数群众拥护的 — the unit's members.
        nomination_floor_base: Base::Entitled,
        // RULES §9.1: 案例2 lists the 党组织's nominees as 代表初步人选 of
        // the 1:3 list; the seed is silent on whether they take its places.
        organisation_nominees: OrganisationNominees::WithinList,
        // RULES §2.2: the 30% 不满意 exclusion is 案例26's pre-screen, off
        // by default (两推一选 and 公推直选 list by 赞成票 only); when adopted
        // it is of ballots returned.
        evaluation_flag: None,
        evaluation_base: Base::Returned,
        // S 案例25 (不满意票超过三分之一 → removal): a method choice, off.
        evaluation_removal: None,
        max_runoff_rounds: 1,
        max_supplementary_rounds: 1,
        seat_reduction: SeatReduction::ElectorsMajority,
        // S 案例26: 两次未获通过的，不得再提名为同一职位人选.
        max_failed_nominations: Some(2),
        signatures_required: Fraction::inclusive(1, 1),
    }
}

impl ElectionMethod {
    /// The preset `preset` with a meeting's overrides applied
    /// ([`ElectionMethod::with_overrides`]).
    pub fn from_preset(preset: &str, overrides: &Map<String, Value>) -> Result<Self, MethodError> {
        self::preset(preset)
            .ok_or_else(|| MethodError::UnknownPreset {
                name: preset.to_string(),
                expected: NAMES,
            })?
            .with_overrides(overrides)
    }
}

/// The preset called `name`, or `None`.
pub fn preset(name: &str) -> Option<ElectionMethod> {
    let mut m = common(name);
    match name {
        // 基层 2020: present > 4/5 (R); base entitled (H, disputed — open
        // point 1); box vs issued (T 2020).
        "grassroots-2020" => {}
        // 基层 1990: base present (T, H); box vs voters (T 1990); delegates
        // "多于20%" strict (R 1990).
        "grassroots-1990" => {
            m.threshold_base = Base::Present;
            m.box_check = BoxCheck::Voters;
            m.differential.delegate = ratio(1, 5, Comparison::Strict);
        }
        // 地方 2020 congress: present > 1/2 (R Art. 24); base entitled (H).
        "local-2020-congress" => {
            m.quorum = Fraction::strict(1, 2);
            m.differential = LOCAL;
            m.seat_reduction = SeatReduction::Presidium;
        }
        // 地方 2020 plenary: present > 2/3 (R Art. 24).
        "local-2020-plenary" => {
            m.quorum = Fraction::strict(2, 3);
            m.differential = LOCAL;
            m.seat_reduction = SeatReduction::Presidium;
        }
        // 票决 2019: present ≥ 2/3 of members (三分之二以上, R); passes iff
        // 2 × 同意 > entitled members (R); no write-ins.
        "cadre-vote-2019" => {
            m.quorum = Fraction::inclusive(2, 3);
            m.differential = Differential::uniform(DifferentialRule::None);
            m.write_ins = WriteIns::None;
            m.seat_reduction = SeatReduction::Presidium;
        }
        // 支部 resolution 2018: present ≥ 1/2 (半数以上, R Art. 11); passes iff
        // 2 × for > entitled; no write-ins.
        "branch-resolution-2018" => {
            m.quorum = Fraction::inclusive(1, 2);
            m.differential = Differential::uniform(DifferentialRule::None);
            m.write_ins = WriteIns::None;
        }
        _ => return None,
    }
    Some(m)
}

/// Where a preset's defaults come from, for the printed method.
pub fn sources(name: &str) -> &'static [&'static str] {
    match name {
        "grassroots-2020" => &[
            "《中国共产党基层组织选举工作条例》(2020)",
            "基层组织选举办法模板 (2020)",
            "计票基数按应到会有选举权人数计算，参照《中国共产党地方组织选举工作条例》(2020) 的规定（组织工作问答：基层组织选举与地方组织基本相同）；另有按实到会有选举权人数计算的理解，会议可在本办法中另行规定",
        ],
        "grassroots-1990" => &[
            "《中国共产党基层组织选举工作暂行条例》(1990)",
            "基层组织选举办法模板 (1990)",
        ],
        "local-2020-congress" => &[
            "《中国共产党地方组织选举工作条例》(2020) 第二十四条",
            "组织工作问答（计票基数为应到会有选举权人数）",
        ],
        "local-2020-plenary" => &["《中国共产党地方组织选举工作条例》(2020) 第二十四条"],
        "cadre-vote-2019" => &["《党政领导干部选拔任用工作条例》(2019)"],
        "branch-resolution-2018" => &["《中国共产党支部工作条例（试行）》(2018) 第十一条"],
        _ => &[],
    }
}

/// One-line description of what a preset is for.
pub fn title(name: &str) -> &'static str {
    match name {
        "grassroots-2020" => "基层党组织选举（2020年条例）",
        "grassroots-1990" => "基层党组织选举（1990年暂行条例）",
        "local-2020-congress" => "地方党的代表大会选举（2020年条例）",
        "local-2020-plenary" => "地方党委全体会议选举（2020年条例）",
        "cadre-vote-2019" => "干部任用票决（2019年条例）",
        "branch-resolution-2018" => "党支部表决（2018年支部工作条例）",
        _ => "",
    }
}

/// [`title`] in English.
pub fn title_en(name: &str) -> &'static str {
    match name {
        "grassroots-2020" => "Grassroots organisations (2020 regulation)",
        "grassroots-1990" => "Grassroots organisations (1990 provisional regulation)",
        "local-2020-congress" => "Local congress (2020 regulation)",
        "local-2020-plenary" => "Local committee plenary (2020 regulation)",
        "cadre-vote-2019" => "Cadre appointment vote (2019 regulation)",
        "branch-resolution-2018" => "Branch resolution vote (2018 regulation)",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_exists_validates_and_names_itself() {
        for name in NAMES {
            let m = preset(name).expect(name);
            assert_eq!(m.preset, *name);
            m.validate().unwrap();
            assert!(!sources(name).is_empty());
            assert!(!title(name).is_empty());
            assert!(!title_en(name).is_empty());
        }
        assert!(preset("grassroots-2021").is_none());
    }

    /// RULES §7 table, row by row.
    #[test]
    fn presets_match_rules_table() {
        let g20 = preset("grassroots-2020").unwrap();
        assert_eq!(g20.quorum, Fraction::strict(4, 5));
        assert_eq!(g20.threshold_base, Base::Entitled);
        assert_eq!(g20.box_check, BoxCheck::Issued);
        assert_eq!(
            g20.differential.delegate,
            ratio(1, 5, Comparison::Inclusive)
        );

        let g90 = preset("grassroots-1990").unwrap();
        assert_eq!(g90.quorum, Fraction::strict(4, 5));
        assert_eq!(g90.threshold_base, Base::Present);
        assert_eq!(g90.box_check, BoxCheck::Voters);
        assert_eq!(g90.differential.delegate, ratio(1, 5, Comparison::Strict));

        let lc = preset("local-2020-congress").unwrap();
        assert_eq!(lc.quorum, Fraction::strict(1, 2));
        assert_eq!(
            lc.differential.committee,
            ratio(1, 10, Comparison::Inclusive)
        );
        assert_eq!(lc.differential.delegate, ratio(1, 5, Comparison::Inclusive));

        let lp = preset("local-2020-plenary").unwrap();
        assert_eq!(lp.quorum, Fraction::strict(2, 3));
        assert_eq!(
            lp.differential.standing,
            DifferentialRule::Extra { min: 1, max: 2 }
        );
        assert_eq!(lp.differential.secretary, DifferentialRule::Equal);

        let cv = preset("cadre-vote-2019").unwrap();
        assert_eq!(cv.quorum, Fraction::inclusive(2, 3));
        assert_eq!(cv.write_ins, WriteIns::None);

        let br = preset("branch-resolution-2018").unwrap();
        assert_eq!(br.quorum, Fraction::inclusive(1, 2));
        assert_eq!(br.threshold, Fraction::strict(1, 2));
    }

    #[test]
    fn overrides_merge_and_name_unknown_parameters() {
        let o: Map<String, Value> =
            serde_json::from_str(r#"{"quorum": {"comparison": "inclusive"}}"#).unwrap();
        let m = ElectionMethod::from_preset("grassroots-2020", &o).unwrap();
        assert_eq!(m.quorum, Fraction::inclusive(4, 5));

        let o: Map<String, Value> =
            serde_json::from_str(r#"{"differential": {"committee": {"kind": "equal"}}}"#).unwrap();
        let m = ElectionMethod::from_preset("grassroots-2020", &o).unwrap();
        assert_eq!(m.differential.committee, DifferentialRule::Equal);

        let o: Map<String, Value> = serde_json::from_str(r#"{"quorom": {}}"#).unwrap();
        let e = ElectionMethod::from_preset("grassroots-2020", &o).unwrap_err();
        assert!(e.to_string().contains("quorom"), "{e}");

        let o: Map<String, Value> =
            serde_json::from_str(r#"{"threshold_base": "everyone"}"#).unwrap();
        let e = ElectionMethod::from_preset("grassroots-2020", &o).unwrap_err();
        assert!(e.to_string().contains("threshold_base"), "{e}");

        let o: Map<String, Value> = serde_json::from_str(r#"{"quorum": {"den": 0}}"#).unwrap();
        let e = ElectionMethod::from_preset("grassroots-2020", &o).unwrap_err();
        assert!(e.to_string().contains("denominator"), "{e}");

        let e = ElectionMethod::from_preset("grassroots-2021", &Map::new()).unwrap_err();
        assert!(e.to_string().contains("grassroots-2020"), "{e}");
    }

    #[test]
    fn parameters_list_matches_serialised_fields() {
        let m = preset("grassroots-2020").unwrap();
        let v = serde_json::to_value(&m).unwrap();
        let keys: Vec<&str> = v
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .filter(|k| *k != "preset")
            .collect();
        let mut want: Vec<&str> = ElectionMethod::PARAMETERS.to_vec();
        let mut got = keys.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }
}
