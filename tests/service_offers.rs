//! What the service offers the screens is the rule engine's word (issue
//! 10, "one rule, several places"): a round's `ballot` (selection limit,
//! write-ins) equals `rules::Round::selection_limit` and
//! `accepts_write_ins` for every round kind under every preset (and its
//! `clauses` are `report::method_text::round_clauses`), and the
//! presidium is refused exactly the decisions a round does not offer in
//! its `offered_decisions`.

use crate::common;

use serde_json::{json, Value};

use common::meeting::{copies, cosigner, Meeting, Person};
use common::server::Server;
use scrutineer::log::cosignature::Cosigner;
use scrutineer::report::method_text::round_clauses;
use scrutineer::rules::{ElectionMethod, Office, Round, RoundKind};

/// The methods the table runs over: each preset, and the grassroots preset
/// with the parameters the ballot rules read changed.
fn methods() -> Vec<Value> {
    vec![
        json!({ "preset": "grassroots-2020" }),
        json!({ "preset": "grassroots-2020", "overrides": { "write_ins": "none" } }),
        json!({ "preset": "grassroots-2020", "overrides": { "nomination_limit": "next_size" } }),
        json!({ "preset": "grassroots-2020", "overrides": { "nomination_limit": "unlimited" } }),
        json!({ "preset": "local-2020-congress" }),
        json!({ "preset": "local-2020-plenary" }),
        json!({ "preset": "cadre-vote-2019" }),
        json!({ "preset": "branch-resolution-2018" }),
    ]
}

/// The rounds the table creates under each method: (kind, candidates,
/// next_size). Cadre and resolution rounds once with as many nominees as
/// posts and once with more (差额表决).
fn rounds() -> Vec<(&'static str, Vec<&'static str>, Option<u64>)> {
    let three = vec!["甲", "乙", "丙"];
    vec![
        ("nomination", three.clone(), Some(3)),
        ("evaluation", three.clone(), Some(3)),
        ("preliminary", vec!["甲", "乙", "丙", "丁"], Some(3)),
        ("formal", three.clone(), None),
        ("cadre", vec!["甲", "乙"], None),
        ("cadre", three.clone(), None),
        ("resolution", vec!["甲", "乙"], None),
        ("resolution", three.clone(), None),
    ]
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}: {v}"))
}

/// The rule engine's view of a round as the API shows it.
fn rule_round(r: &Value) -> Round {
    Round {
        kind: parse(&r["kind"], "kind"),
        office: parse::<Office>(&r["office"], "office"),
        contest: r["contest"].as_str().unwrap_or("").into(),
        seats: r["seats"].as_u64().expect("seats"),
        candidates: parse(&r["candidates"], "candidates"),
        entitled: 10,
        present: 10,
        issued: 10,
        returned: None,
        next_size: r["next_size"].as_u64(),
        replaced: 0,
        voted: None,
        resolves: None,
        rating: None,
    }
}

#[test]
fn a_rounds_ballot_rules_are_the_rule_engines_for_every_kind_and_method() {
    let server = Server::start("offers-ballot");
    let mut seen: Vec<RoundKind> = Vec::new();
    let mut checked = 0;
    for method in methods() {
        let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
        let org = m.organiser.clone();
        m.put(&org, "/method", method.clone()).expect(200);
        let effective: ElectionMethod = parse(
            &m.get(&org, "").expect(200).json()["method"]["effective"],
            "method",
        );
        let presidium = m.add("presidium", "主席团", None);
        m.post(
            &org,
            "/elections",
            json!({ "contest": "支部委员会委员", "seats": 2 }),
        )
        .expect(201);
        for (kind, candidates, next_size) in rounds() {
            let mut body = json!({ "kind": kind, "candidates": candidates });
            if let Some(n) = next_size {
                body["next_size"] = json!(n);
            }
            let made = m.post(&org, "/elections/e1/rounds", body.clone());
            if made.status != 201 {
                // A kind this method does not hold is refused, never 500.
                assert!(
                    (400..500).contains(&made.status),
                    "{method} {body}: {}",
                    made.text()
                );
                continue;
            }
            let id = made.json()["id"].as_str().expect("round id").to_string();
            for who in [&org, &presidium] {
                let r = m.get(who, &format!("/rounds/{id}")).expect(200).json();
                let rule = rule_round(&r);
                assert_eq!(
                    r["ballot"]["selection_limit"],
                    json!(rule.selection_limit(&effective)),
                    "{method} {body}: {}",
                    r["ballot"]
                );
                assert_eq!(
                    r["ballot"]["write_ins_allowed"],
                    json!(rule.accepts_write_ins(&effective)),
                    "{method} {body}: {}",
                    r["ballot"]
                );
                assert_eq!(
                    r["clauses"],
                    serde_json::to_value(round_clauses(&effective, &rule)).expect("clauses"),
                    "{method} {body}"
                );
                let write_in_clause = r["clauses"]
                    .as_array()
                    .expect("clauses")
                    .iter()
                    .any(|c| c["zh"].as_str().is_some_and(|t| t.contains("另选他人")));
                assert_eq!(
                    write_in_clause,
                    rule.accepts_write_ins(&effective),
                    "{method} {body}"
                );
                assert_eq!(r["offered_decisions"], json!([]), "a draft offers nothing");
            }
            seen.push(parse(&json!(kind), "kind"));
            checked += 1;
        }
    }
    for kind in [
        RoundKind::Nomination,
        RoundKind::Evaluation,
        RoundKind::Preliminary,
        RoundKind::Formal,
        RoundKind::Cadre,
        RoundKind::Resolution,
    ] {
        assert!(seen.contains(&kind), "no method held a {kind:?} round");
    }
    assert!(checked >= 20, "only {checked} rounds checked");
}

/// One meeting with one election of two seats, its counters, one
/// scrutineer with a key and the presidium.
struct Hall {
    m: Meeting,
    org: Person,
    counters: [Person; 2],
    scrutineer: Person,
    key: Cosigner,
    presidium: Person,
}

fn hall(server: &Server, present: u64) -> Hall {
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": present }))
        .expect(200);
    let counters = [
        m.add("counter", "计票一", None),
        m.add("counter", "计票二", None),
    ];
    let key = cosigner("监票一", 41);
    let scrutineer = m.add("scrutineer", "监票一", Some(&key));
    let presidium = m.add("presidium", "主席团", None);
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 2 }),
    )
    .expect(201);
    for p in counters.iter().chain([&scrutineer]) {
        m.assign("e1", p);
    }
    Hall {
        m,
        org,
        counters,
        scrutineer,
        key,
        presidium,
    }
}

impl Hall {
    /// Holds round r1 of `body` with `ballots` (as "YYN" strings) and
    /// closes it.
    fn hold(&self, body: Value, ballots: &[(usize, &str)]) {
        self.m
            .post(&self.org, "/elections/e1/rounds", body)
            .expect(201);
        let opened = self
            .m
            .post(&self.org, "/rounds/r1/open", json!({ "issued": 10 }))
            .expect(200)
            .json();
        if opened["state"] == "closed" {
            return;
        }
        let b = json!(ballots
            .iter()
            .flat_map(|(n, x)| copies(*n, json!(x)))
            .collect::<Vec<_>>());
        for (i, c) in self.counters.iter().enumerate() {
            self.m.enter(c, "r1", "b1", &format!("{i}"), &b).expect(201);
        }
        self.m
            .post(
                &self.scrutineer,
                "/rounds/r1/close",
                json!({ "returned": 10 }),
            )
            .expect(200);
    }

    fn offered(&self) -> Vec<Value> {
        let r = self.m.get(&self.presidium, "/rounds/r1").expect(200).json();
        for other in [&self.org, &self.scrutineer] {
            let seen = self.m.get(other, "/rounds/r1").expect(200).json();
            assert_eq!(
                seen["offered_decisions"],
                json!([]),
                "offered to {}",
                other.role
            );
        }
        r["offered_decisions"]
            .as_array()
            .expect("offered_decisions")
            .clone()
    }

    /// Asks for every decision not offered (refused, nothing recorded),
    /// then takes the first one offered (accepted), until none is left.
    /// Returns the kinds offered at the first look.
    fn exhaust(&self, what: &str) -> Vec<String> {
        let mut first: Option<Vec<String>> = None;
        for _ in 0..10 {
            let offered = self.offered();
            let kinds: Vec<String> = offered
                .iter()
                .map(|o| o["decision"].as_str().expect("decision").to_string())
                .collect();
            first.get_or_insert_with(|| kinds.clone());
            let before = self.m.get(&self.presidium, "/rounds/r1").expect(200).json();
            for kind in [
                "accept_list",
                "call_runoff",
                "call_supplementary",
                "reduce_seats",
                "rerun",
                "announce",
            ] {
                if kinds.iter().any(|k| k == kind) {
                    continue;
                }
                let body = match kind {
                    "accept_list" => {
                        let list = match &before["result"]["next_list"] {
                            Value::Array(l) => Value::Array(l.clone()),
                            _ => json!(["甲"]),
                        };
                        json!({ "decision": kind, "list": list })
                    }
                    "reduce_seats" => json!({ "decision": kind, "to": 1, "consent": "同意" }),
                    _ => json!({ "decision": kind }),
                };
                let r = self.m.post(&self.presidium, "/rounds/r1/decisions", body);
                assert!(
                    r.status == 409 || r.status == 422,
                    "{what}: {kind} was not offered ({kinds:?}) but got {}: {}",
                    r.status,
                    r.text()
                );
            }
            let after = self.m.get(&self.presidium, "/rounds/r1").expect(200).json();
            assert_eq!(
                before["decisions"], after["decisions"],
                "{what}: a refusal recorded something"
            );
            let Some(o) = offered.first() else { break };
            let body = match o["decision"].as_str() {
                Some("reduce_seats") => {
                    json!({ "decision": "reduce_seats", "to": o["to"], "consent": "同意" })
                }
                Some("accept_list") => json!({ "decision": "accept_list", "list": o["list"] }),
                // The qualification review: one name added, with its reason.
                Some("review") => json!({ "decision": "review", "decisions": [
                    { "action": "add", "name": "增列一", "reason": "上级党组织增列" }
                ] }),
                Some(k) => json!({ "decision": k }),
                None => panic!("{o}"),
            };
            self.m
                .post(&self.presidium, "/rounds/r1/decisions", body)
                .expect(201);
        }
        assert!(
            self.offered().is_empty(),
            "{what}: decisions offered after all were taken"
        );
        first.unwrap_or_default()
    }
}

#[test]
fn the_presidium_is_refused_exactly_the_decisions_not_offered() {
    let server = Server::start("offers-decisions");
    let formal = json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] });

    // No quorum: the round may be held again at once.
    let h = hall(&server, 8);
    h.hold(formal.clone(), &[]);
    assert_eq!(h.exhaust("no quorum"), ["rerun"]);

    // A shortfall: nothing before the scrutineers sign, then a
    // supplementary round, a reduction or the announcement.
    let h = hall(&server, 10);
    h.hold(
        formal.clone(),
        &[(4, "YYN"), (4, "YNY"), (1, "YNN"), (1, "AAA")],
    );
    let r = h.m.get(&h.presidium, "/rounds/r1").expect(200).json();
    assert_eq!(r["result"]["status"], "shortfall", "{}", r["result"]);
    assert_eq!(h.exhaust("shortfall, not certified"), Vec::<String>::new());
    h.m.cosign(&h.scrutineer, &h.key, "r1").expect(201);
    let offered = h.offered();
    let supp = offered
        .iter()
        .find(|o| o["decision"] == "call_supplementary")
        .expect("call_supplementary offered");
    assert_eq!(supp["seats"], 1);
    let reduce = offered
        .iter()
        .find(|o| o["decision"] == "reduce_seats")
        .expect("reduce_seats offered");
    assert_eq!(
        (
            reduce["from"].clone(),
            reduce["min"].clone(),
            reduce["max"].clone()
        ),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(
        h.exhaust("shortfall, certified"),
        ["call_supplementary", "reduce_seats", "announce"]
    );

    // A tie at the cut-off: a runoff among the tied.
    let h = hall(&server, 10);
    h.hold(formal, &[(4, "YYN"), (4, "YNY"), (2, "NYY")]);
    h.m.cosign(&h.scrutineer, &h.key, "r1").expect(201);
    // Those elected above the tie may be announced before the runoff.
    let offered = h.offered();
    assert_eq!(offered[0]["decision"], "call_runoff");
    assert_eq!(offered[0]["among"], json!(["乙", "丙"]));
    assert_eq!(offered[0]["seats"], 1);
    assert_eq!(h.exhaust("runoff required"), ["call_runoff", "announce"]);

    // A preliminary ballot: its list, never announced in the hall.
    let h = hall(&server, 10);
    h.hold(
        json!({ "kind": "preliminary", "candidates": ["甲", "乙", "丙", "丁"], "next_size": 3 }),
        &[(10, "YYYN")],
    );
    h.m.cosign(&h.scrutineer, &h.key, "r1").expect(201);
    let kinds = h.exhaust("preliminary");
    assert!(!kinds.iter().any(|k| k == "announce"), "{kinds:?}");
}

/// The screens' labels for what the service names (round kinds, roles,
/// presets) are the service's own words, so the two never drift apart
/// (会务组, not 会务组织者; 民主推荐, not 推荐).
#[test]
fn the_screens_labels_are_the_services_words() {
    use scrutineer::rules::preset;
    use scrutineer::service::Role;
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/i18n.js"),
    )
    .expect("web/i18n.js");
    let start = src.find("/*BEGIN STRINGS*/").expect("BEGIN marker") + "/*BEGIN STRINGS*/".len();
    let end = src.find("/*END STRINGS*/").expect("END marker");
    let tables: Value = serde_json::from_str(&src[start..end]).expect("the tables are JSON");
    let (zh, en) = (&tables["zh-CN"], &tables["en"]);
    for k in RoundKind::ALL {
        let key = format!("kind.{}", k.as_str());
        assert_eq!(zh[&key], k.zh(), "{key}");
        assert_eq!(en[&key], k.en(), "{key}");
    }
    for r in Role::ALL {
        let key = format!("role.{}", r.as_str());
        assert_eq!(zh[&key], r.zh(), "{key}");
    }
    for name in preset::NAMES {
        let key = format!("preset.{name}");
        assert_eq!(zh[&key], preset::title(name), "{key}");
        assert_eq!(en[&key], preset::title_en(name), "{key}");
    }
}
