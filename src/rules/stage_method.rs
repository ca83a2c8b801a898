//! Method parts a stage of an election adopts on its own (issue 11, RULES
//! §2 and §3.1): a nomination or evaluation stage has its own
//! participation floor, its own flags and its own nomination limit, which
//! need not be those of the electing meeting (S 公推直选: 80%以上党员 and
//! 80%以上农户 took part in the recommendation; 案例26's 30% rule applies
//! to the evaluation of cadres only). A stage adopts them as overrides on
//! top of the meeting's adopted method, before its first round opens; the
//! meeting's quorum, threshold, box check and list rules stay the
//! meeting's.
//!
//! Pure.

use serde_json::{Map, Value};

use super::method::{ElectionMethod, MethodError};

/// The parameters a stage may adopt for itself; every other parameter is
/// the meeting's.
pub const STAGE_PARAMETERS: &[&str] = &[
    "participation_floor",
    "nomination_limit",
    "nomination_floor",
    "nomination_floor_base",
    "organisation_nominees",
    "evaluation_flag",
    "evaluation_base",
    "evaluation_removal",
    "list_tie",
    "max_failed_nominations",
];

/// What each of [`STAGE_PARAMETERS`] is called in a party secretary's
/// words, for messages in Chinese; `None` for any other name.
pub fn stage_parameter_zh(name: &str) -> Option<&'static str> {
    Some(match name {
        "participation_floor" => "参加推荐、测评的人数下限",
        "nomination_limit" => "每张推荐票可推荐的人数",
        "nomination_floor" => "推荐得票下限",
        "nomination_floor_base" => "推荐得票下限的计算基数",
        "organisation_nominees" => "党组织推荐人选的列入方式",
        "evaluation_flag" => "测评不满意票不列入的比例",
        "evaluation_base" => "测评比例的计算基数",
        "evaluation_removal" => "测评不满意票启动免职程序的比例",
        "list_tie" => "名单末位票数相等时的处理",
        "max_failed_nominations" => "同一职务表决未通过的次数上限",
        _ => return None,
    })
}

/// The stage's method: `base` (the meeting's) with `overrides` of
/// [`STAGE_PARAMETERS`] merged in as `ElectionMethod::from_preset` merges
/// them. A parameter outside the list is refused, naming it.
pub fn stage_method(
    base: &ElectionMethod,
    overrides: &Map<String, Value>,
) -> Result<ElectionMethod, MethodError> {
    // Only the stage's parameters; the merge itself is the meeting's
    // (`ElectionMethod::with_overrides`).
    if let Some(name) = overrides
        .keys()
        .find(|name| !STAGE_PARAMETERS.contains(&name.as_str()))
    {
        return Err(MethodError::BadParameter {
            name: name.clone(),
            message: format!(
                "is the meeting's, not a stage's; a stage may adopt only {}",
                STAGE_PARAMETERS.join(", ")
            ),
        });
    }
    base.clone().with_overrides(overrides)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> ElectionMethod {
        ElectionMethod::from_preset("grassroots-2020", &Map::new()).expect("preset")
    }

    #[test]
    fn a_stage_changes_only_its_own_parameters() {
        let o = json!({"evaluation_flag": {"num": 3, "den": 10, "comparison": "inclusive"}});
        let m = stage_method(&base(), o.as_object().expect("object")).expect("stage");
        assert!(m.evaluation_flag.is_some());
        assert_eq!(m.quorum, base().quorum);
        let bad = json!({"quorum": {"comparison": "inclusive"}});
        let e = stage_method(&base(), bad.as_object().expect("object")).unwrap_err();
        assert!(e.to_string().contains("quorum"), "{e}");
        assert_eq!(stage_method(&base(), &Map::new()).expect("same"), base());
    }

    #[test]
    fn every_stage_parameter_has_its_chinese_name() {
        for p in STAGE_PARAMETERS {
            assert!(stage_parameter_zh(p).is_some(), "{p}");
        }
        assert_eq!(stage_parameter_zh("quorum"), None);
    }
}
