//! What kind of round and which office: the two labels the election
//! method's rules depend on, kept apart from the round itself so that
//! `method` (its rules per kind and office) and `round` (which applies the
//! method to a round) do not import each other.

use serde::{Deserialize, Serialize};

/// The kinds of round of CONTRACT §2, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    /// 推荐: produces a ranked long list.
    Nomination,
    /// 测评: approval of people; ranked list and flags.
    Evaluation,
    /// 预选: produces the formal list; threshold applies.
    Preliminary,
    /// 正式选举: elects.
    Formal,
    /// 重新投票: among the tied at the cut-off, for the seats left.
    Runoff,
    /// 另行选举: for seats left unfilled.
    Supplementary,
    /// 票决: cadre appointment vote per nominee.
    Cadre,
    /// 支部表决: a motion.
    Resolution,
}

impl RoundKind {
    /// The kinds whose tie a runoff may resolve (CONTRACT §2 `resolves`).
    pub const RESOLVABLE: [RoundKind; 5] = [
        RoundKind::Formal,
        RoundKind::Supplementary,
        RoundKind::Preliminary,
        RoundKind::Nomination,
        RoundKind::Evaluation,
    ];

    /// What a runoff called after a tie in a round of this kind records
    /// as `resolves`: `None` for a formal round (the default) and for kinds
    /// whose runoff keeps the majority like a formal one (cadre, resolution,
    /// runoff); the kind itself otherwise. The service and the verifier
    /// both ask here.
    pub fn resolved_by_runoff(self) -> Option<RoundKind> {
        match self {
            RoundKind::Formal | RoundKind::Runoff | RoundKind::Cadre | RoundKind::Resolution => {
                None
            }
            k => Some(k),
        }
    }

    pub const ALL: [RoundKind; 8] = [
        RoundKind::Nomination,
        RoundKind::Evaluation,
        RoundKind::Preliminary,
        RoundKind::Formal,
        RoundKind::Runoff,
        RoundKind::Supplementary,
        RoundKind::Cadre,
        RoundKind::Resolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoundKind::Nomination => "nomination",
            RoundKind::Evaluation => "evaluation",
            RoundKind::Preliminary => "preliminary",
            RoundKind::Formal => "formal",
            RoundKind::Runoff => "runoff",
            RoundKind::Supplementary => "supplementary",
            RoundKind::Cadre => "cadre",
            RoundKind::Resolution => "resolution",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            RoundKind::Nomination => "民主推荐",
            RoundKind::Evaluation => "民主测评",
            RoundKind::Preliminary => "预选",
            RoundKind::Formal => "正式选举",
            RoundKind::Runoff => "重新投票",
            RoundKind::Supplementary => "另行选举",
            RoundKind::Cadre => "票决",
            RoundKind::Resolution => "表决",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            RoundKind::Nomination => "nomination",
            RoundKind::Evaluation => "evaluation",
            RoundKind::Preliminary => "preliminary ballot",
            RoundKind::Formal => "formal ballot",
            RoundKind::Runoff => "runoff ballot",
            RoundKind::Supplementary => "supplementary ballot",
            RoundKind::Cadre => "cadre appointment vote",
            RoundKind::Resolution => "resolution vote",
        }
    }

    /// Rounds that elect people to seats.
    pub fn elects(self) -> bool {
        matches!(
            self,
            RoundKind::Formal | RoundKind::Runoff | RoundKind::Supplementary
        )
    }

    /// Rounds that propose the list of the next stage.
    pub fn proposes_list(self) -> bool {
        matches!(
            self,
            RoundKind::Nomination | RoundKind::Evaluation | RoundKind::Preliminary
        )
    }

    /// Single-round votes decided nominee by nominee (RULES §5).
    pub fn is_vote(self) -> bool {
        matches!(self, RoundKind::Cadre | RoundKind::Resolution)
    }
}

/// The office a list is for; selects the method's differential rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Office {
    /// 委员
    #[default]
    Committee,
    /// 纪委委员
    Discipline,
    /// 代表
    Delegate,
    /// 候补委员
    Alternate,
    /// 常委
    Standing,
    /// 书记
    Secretary,
    /// 副书记
    DeputySecretary,
    Other,
}

impl Office {
    pub fn zh(self) -> &'static str {
        match self {
            Office::Committee => "委员",
            Office::Discipline => "纪律检查委员会委员",
            Office::Delegate => "代表",
            Office::Alternate => "候补委员",
            Office::Standing => "常务委员会委员",
            Office::Secretary => "书记",
            Office::DeputySecretary => "副书记",
            Office::Other => "其他",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Office::Committee => "committee member",
            Office::Discipline => "discipline inspection committee member",
            Office::Delegate => "delegate",
            Office::Alternate => "alternate member",
            Office::Standing => "standing committee member",
            Office::Secretary => "secretary",
            Office::DeputySecretary => "deputy secretary",
            Office::Other => "other",
        }
    }
}
