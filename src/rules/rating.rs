//! Evaluations by levels and by items (RULES §2.2, issue 11): a rating
//! ballot (测评表) asks, for each person — and, in a per-item evaluation,
//! for each item of each person (德、能、勤、绩、廉) — which one of several
//! levels applies: 优秀/称职/基本称职/不称职, or 满意/基本满意/不满意.
//!
//! The ballot is a table: one row per person (or per person and item),
//! one column per level, at most one tick per row. It is counted as such:
//! each cell (`丁一·优秀`, `丁一·德·满意`) is one line of the round, ticked
//! (`Y`) or not (`A`), so the counting kernels, the packed ballots and the
//! signed record are those of every other round, and every level of every
//! row keeps its own count. A row with several ticks counts for no level
//! of that row: the counter enters it blank, and a ballot with two ticks
//! in one row is refused at input ([`Rating::check_marks`]).
//!
//! From the cells' counts, per person: the count of each level of each
//! item; **approvals**, the ticks of the top `approve` levels summed over
//! the items (称职以上: 优秀 + 称职), by which the evaluation ranks;
//! **disapprovals**, the ticks of the bottom `disapprove` levels of the
//! person's worst item (某一项的"不满意"率), which the method's
//! `evaluation_flag` and `evaluation_removal` compare with their base; and
//! the rows left blank. Integers only.
//!
//! Pure.

use serde::{Deserialize, Serialize};

use super::mark::Mark;
use super::name;

/// Most levels on a rating ballot.
pub const MAX_LEVELS: usize = 6;
/// Most items per person.
pub const MAX_ITEMS: usize = 12;
/// Most cells (people × items × levels) on one ballot.
pub const MAX_CELLS: usize = 1024;
/// Most levels ticked in one row of a valid entry (one level per person
/// and item); a paper with more in a row is entered with the row blank.
pub const TICKS_PER_ROW: usize = 1;

/// A rating as a round file or a request gives it, beside `candidates`
/// (the people).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingSpec {
    /// Best first: `["优秀", "称职", "基本称职", "不称职"]`.
    pub levels: Vec<String>,
    /// Per-item evaluation: `["德", "能", "勤", "绩", "廉"]`; none: one row
    /// per person.
    #[serde(default)]
    pub items: Vec<String>,
    /// How many top levels count as approval; default half the levels,
    /// rounded down (优秀 + 称职 of four; 满意 of three).
    #[serde(default)]
    pub approve: Option<u64>,
    /// How many bottom levels count as disapproval; default 1 (不称职,
    /// 不满意).
    #[serde(default)]
    pub disapprove: Option<u64>,
}

/// A rating of `people`, checked: the round's lines are [`Rating::cells`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    pub people: Vec<String>,
    pub levels: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    pub approve: u64,
    pub disapprove: u64,
}

/// One item of one person: the ticks of each level (in `levels` order) and
/// the rows left blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRating {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    pub levels: Vec<u64>,
    pub blank: u64,
}

/// One row of the ballot as the screens draw it: the person, the item
/// (per-item evaluations) and the round's line of each level, in `levels`
/// order ([`Rating::table`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableRow {
    pub person: String,
    pub item: Option<String>,
    pub lines: Vec<usize>,
}

/// One person's rating, as the result reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRating {
    pub name: String,
    pub items: Vec<ItemRating>,
    /// Ticks of the top `approve` levels, summed over the items.
    pub approvals: u64,
    /// Ticks of the bottom `disapprove` levels of the worst item.
    pub disapprovals: u64,
    /// The worst item (per-item evaluations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst_item: Option<String>,
    /// Rows left blank (or voided by several ticks), summed over the items.
    pub blank: u64,
    /// Disapprovals reach the method's `evaluation_flag`: not listed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub flagged: bool,
    /// Disapprovals reach the method's `evaluation_removal`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub removal: bool,
}

fn clean_list(what: &str, list: &[String], max: usize) -> Result<Vec<String>, String> {
    if list.len() > max {
        return Err(format!("{what}: at most {max}, found {}", list.len()));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let s = name::clean(s, name::MAX_NAME).map_err(|e| format!("{what}[{i}]: {e}"))?;
        if s.is_empty() {
            return Err(format!("{what}[{i}]: empty; expected a name"));
        }
        if s.contains('·') {
            return Err(format!(
                "{what}[{i}]: {s} contains ·, which separates a cell's parts"
            ));
        }
        if out.contains(&s) {
            return Err(format!("{what}[{i}]: {s} is given twice"));
        }
        out.push(s);
    }
    Ok(out)
}

impl Rating {
    /// Checks `spec` for `people`; the message starts with its field
    /// (`levels: …`).
    pub fn new(people: &[String], spec: &RatingSpec) -> Result<Rating, String> {
        let levels = clean_list("levels", &spec.levels, MAX_LEVELS)?;
        if levels.len() < 2 {
            return Err("levels: expected 2 to 6 levels, best first".into());
        }
        let items = clean_list("items", &spec.items, MAX_ITEMS)?;
        let n = levels.len() as u64;
        let approve = spec.approve.unwrap_or((n / 2).max(1));
        let disapprove = spec.disapprove.unwrap_or(1);
        if approve == 0 || approve >= n {
            return Err(format!(
                "approve: {approve}; expected 1 to {} (the top levels that count as approval)",
                n - 1
            ));
        }
        if disapprove == 0 || approve + disapprove > n {
            return Err(format!(
                "disapprove: {disapprove}; expected 1 to {} (bottom levels, apart from the {approve} approving ones)",
                n - approve
            ));
        }
        if people.is_empty() {
            return Err("candidates: expected the people rated".into());
        }
        for (i, p) in people.iter().enumerate() {
            if p.contains('·') {
                return Err(format!(
                    "candidates[{i}]: {p} contains ·, which separates a cell's parts"
                ));
            }
        }
        let rating = Rating {
            people: people.to_vec(),
            levels,
            items,
            approve,
            disapprove,
        };
        let cells = rating.rows() * rating.levels.len();
        if cells > MAX_CELLS {
            return Err(format!(
                "candidates: {} people × {} items × {} levels is {cells} cells; expected at most {MAX_CELLS}",
                people.len(),
                rating.items.len().max(1),
                rating.levels.len()
            ));
        }
        Ok(rating)
    }

    fn items_per_person(&self) -> usize {
        self.items.len().max(1)
    }

    /// Rows of the table: people × items.
    pub fn rows(&self) -> usize {
        self.people.len() * self.items_per_person()
    }

    /// The round's lines, row by row: `丁一·优秀` … or `丁一·德·优秀` ….
    pub fn cells(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.rows() * self.levels.len());
        for p in &self.people {
            let items: Vec<Option<&String>> = if self.items.is_empty() {
                vec![None]
            } else {
                self.items.iter().map(Some).collect()
            };
            for item in items {
                for l in &self.levels {
                    match item {
                        Some(i) => out.push(format!("{p}·{i}·{l}")),
                        None => out.push(format!("{p}·{l}")),
                    }
                }
            }
        }
        out
    }

    /// The ballot as a table: one row per person (and item), in the order
    /// of [`Rating::cells`], each with the line of each level.
    pub fn table(&self) -> Vec<TableRow> {
        let n = self.levels.len();
        let per = self.items_per_person();
        let mut out = Vec::with_capacity(self.rows());
        for (p, person) in self.people.iter().enumerate() {
            for i in 0..per {
                let first = (p * per + i) * n;
                out.push(TableRow {
                    person: person.clone(),
                    item: self.items.get(i).cloned(),
                    lines: (first..first + n).collect(),
                });
            }
        }
        out
    }

    /// One ballot's marks: each cell ticked (`Y`) or blank (`A`), at most
    /// one tick per row. The message names the row.
    pub fn check_marks(&self, marks: &[Mark]) -> Result<(), String> {
        let n = self.levels.len();
        let cells = self.cells();
        for (r, row) in marks.chunks(n).enumerate() {
            if let Some(i) = row
                .iter()
                .position(|m| !matches!(m, Mark::For | Mark::Abstain))
            {
                return Err(format!(
                    "marks: {} is {}; a rating cell is ticked (Y) or blank (A)",
                    cells[r * n + i],
                    row[i].as_char()
                ));
            }
            let ticks = row.iter().filter(|m| **m == Mark::For).count();
            if ticks > TICKS_PER_ROW {
                let label = &cells[r * n];
                let row_name = label.rsplit_once('·').map_or(label.as_str(), |x| x.0);
                return Err(format!(
                    "marks: row {row_name} has {ticks} levels ticked; a row with several ticks counts for no level, enter it blank"
                ));
            }
        }
        Ok(())
    }

    /// Each person's rating from the cells' counts: `ticks`, the for-votes
    /// of each cell in cell order (the tally's lines), of `valid` ballots.
    pub fn people_of(&self, valid: u64, ticks: &[u64]) -> Vec<PersonRating> {
        let n = self.levels.len();
        let per = self.items_per_person();
        let approve = usize::try_from(self.approve).unwrap_or(n);
        let disapprove = usize::try_from(self.disapprove).unwrap_or(n);
        let tick = |cell: usize| ticks.get(cell).copied().unwrap_or(0);
        self.people
            .iter()
            .enumerate()
            .map(|(p, name)| {
                let items: Vec<ItemRating> = (0..per)
                    .map(|i| {
                        let first = (p * per + i) * n;
                        let levels: Vec<u64> = (first..first + n).map(tick).collect();
                        let ticked: u64 = levels.iter().sum();
                        ItemRating {
                            item: self.items.get(i).cloned(),
                            levels,
                            blank: valid.saturating_sub(ticked),
                        }
                    })
                    .collect();
                let approvals = items
                    .iter()
                    .map(|it| it.levels[..approve].iter().sum::<u64>())
                    .sum();
                let bottom = |it: &ItemRating| it.levels[n - disapprove..].iter().sum::<u64>();
                // The worst item: most disapprovals, the first of equals.
                let worst = items
                    .iter()
                    .enumerate()
                    .max_by(|a, b| bottom(a.1).cmp(&bottom(b.1)).then(b.0.cmp(&a.0)));
                let disapprovals = worst.map_or(0, |w| bottom(w.1));
                let worst_item = worst.and_then(|w| w.1.item.clone());
                let blank = items.iter().map(|it| it.blank).sum();
                PersonRating {
                    name: name.clone(),
                    items,
                    approvals,
                    disapprovals,
                    worst_item,
                    blank,
                    flagged: false,
                    removal: false,
                }
            })
            .collect()
    }

    /// The rule as printed: "优秀、称职计为赞成，不称职计为不赞成".
    pub fn describe_zh(&self) -> String {
        let n = self.levels.len();
        let a = usize::try_from(self.approve).unwrap_or(n);
        let d = usize::try_from(self.disapprove).unwrap_or(n);
        let items = if self.items.is_empty() {
            String::new()
        } else {
            format!("分{}逐项评价，", self.items.join("、"))
        };
        format!(
            "测评分{}{}个等次，{}每人每项只能选一个等次（多选的该项无效）；按“{}”票数排序；“{}”票数按得票最多的一项计算",
            self.levels.join("、"),
            n,
            items,
            self.levels[..a].join("”“"),
            self.levels[n - d..].join("”“")
        )
    }

    /// The rule in English.
    pub fn describe_en(&self) -> String {
        let n = self.levels.len();
        let a = usize::try_from(self.approve).unwrap_or(n);
        let d = usize::try_from(self.disapprove).unwrap_or(n);
        let items = if self.items.is_empty() {
            String::new()
        } else {
            format!(" item by item ({}),", self.items.join(", "))
        };
        format!(
            "rated in {n} levels ({}),{items} one level per person and item (a row with several ticks counts for none); ranked by {}; disapproval ({}) counted on the worst item",
            self.levels.join(", "),
            self.levels[..a].join(" + "),
            self.levels[n - d..].join(" + ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn four(people: &[&str], items: &[&str]) -> Rating {
        let people: Vec<String> = people.iter().map(|s| s.to_string()).collect();
        Rating::new(
            &people,
            &RatingSpec {
                levels: ["优秀", "称职", "基本称职", "不称职"]
                    .map(String::from)
                    .to_vec(),
                items: items.iter().map(|s| s.to_string()).collect(),
                approve: None,
                disapprove: None,
            },
        )
        .expect("a rating")
    }

    #[test]
    fn cells_are_row_by_row_and_defaults_are_half_and_one() {
        let r = four(&["丁一", "王二"], &[]);
        assert_eq!((r.approve, r.disapprove), (2, 1));
        assert_eq!(
            r.cells()[..5],
            [
                "丁一·优秀",
                "丁一·称职",
                "丁一·基本称职",
                "丁一·不称职",
                "王二·优秀"
            ]
        );
        let r = four(&["丁一"], &["德", "能"]);
        assert_eq!(r.cells()[4], "丁一·能·优秀");
    }

    #[test]
    fn the_table_names_each_row_and_the_line_of_each_level() {
        let r = four(&["丁一", "王二"], &["德", "能"]);
        let t = r.table();
        assert_eq!(t.len(), 4);
        let cells = r.cells();
        for row in &t {
            for (l, &line) in row.lines.iter().enumerate() {
                let want = format!(
                    "{}·{}·{}",
                    row.person,
                    row.item.as_deref().unwrap_or(""),
                    r.levels[l]
                );
                assert_eq!(cells[line], want);
            }
        }
        assert_eq!(t[3].person, "王二");
        assert_eq!(t[3].item.as_deref(), Some("能"));
        assert_eq!(t[3].lines, vec![12, 13, 14, 15]);
        let plain = four(&["丁一"], &[]).table();
        assert_eq!(plain[0].item, None);
        assert_eq!(plain[0].lines, vec![0, 1, 2, 3]);
    }

    #[test]
    fn two_ticks_in_one_row_are_refused_and_against_marks_too() {
        let r = four(&["丁一", "王二"], &[]);
        let m = |s: &str| crate::rules::Ballot::parse_marks(s).expect("marks");
        assert!(r.check_marks(&m("YAAAAYAA")).is_ok());
        assert!(r.check_marks(&m("AAAAAAAA")).is_ok());
        let e = r.check_marks(&m("YAAAYYAA")).expect_err("two ticks");
        assert!(e.contains("row 王二 has 2 levels"), "{e}");
        let e = r.check_marks(&m("NAAAAAAA")).expect_err("N");
        assert!(e.contains("丁一·优秀 is N"), "{e}");
    }

    #[test]
    fn people_count_each_level_and_the_worst_item() {
        let r = four(&["丁一"], &["德", "能"]);
        let p = &r.people_of(10, &[5, 3, 1, 1, 2, 2, 2, 3])[0];
        assert_eq!(p.approvals, 5 + 3 + 2 + 2);
        assert_eq!(p.disapprovals, 3);
        assert_eq!(p.worst_item.as_deref(), Some("能"));
        assert_eq!(p.items[0].blank, 0);
        assert_eq!(p.items[1].blank, 1);
    }
}
