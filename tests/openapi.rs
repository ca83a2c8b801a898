//! `openapi.json` against real responses: a meeting is run over HTTP from
//! set-up to the audit bundle — people, keys, links, an election, a round,
//! double entry with a difference resolved, a stray batch discarded, an
//! import, close, cosignatures, the announcement, the result, the
//! statement, the receipt, the bundle, the log's tiles, the live stream —
//! and every response is checked against the schema the document gives for
//! its route, method and status (`default`: the problem document), with
//! its media type; every JSON body the service accepted, against the
//! documented request body. The document's roles are checked against the route
//! table in tests/service_authz.rs.
//!
//! The checker knows exactly the part of JSON Schema the document uses
//! (`$ref`, `type`, `properties`, `required`, `additionalProperties`,
//! `items`, `oneOf`, `enum`, `const`, `minimum`, `maxItems`, `maxLength`,
//! `pattern` of one character class); any other keyword fails the test, so
//! nothing in the document goes unchecked by accident. About 150 lines
//! instead of a dependency: the `jsonschema` crate pulls in a regex engine,
//! an HTTP client for remote references and some forty crates more.

use crate::common;

use std::collections::BTreeSet;

use serde_json::{json, Value};

use common::http::{Request, Response};
use common::meeting::{copies, cosigner, Meeting, Person};
use common::server::Server;
use scrutineer::http::{OPENAPI, ROUTES};

/// Keywords that only describe.
const ANNOTATIONS: &[&str] = &["description", "example", "title", "format", "default"];

struct Doc {
    doc: Value,
    /// (METHOD, template, status) checked.
    seen: BTreeSet<(String, String, String)>,
    /// Every response checked.
    count: usize,
    /// Where a response did not fit, all reported at the end.
    errors: BTreeSet<String>,
}

impl Doc {
    fn new() -> Doc {
        Doc {
            doc: serde_json::from_str(OPENAPI).expect("openapi.json is JSON"),
            seen: BTreeSet::new(),
            count: 0,
            errors: BTreeSet::new(),
        }
    }

    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let p = r
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("remote $ref {r}"));
                let target = self
                    .doc
                    .pointer(p)
                    .unwrap_or_else(|| panic!("$ref {r} points nowhere"));
                self.resolve(target)
            }
            None => v,
        }
    }

    /// Checks `res` to `method path` against the document; returns it.
    #[track_caller]
    fn check(&mut self, method: &str, path: &str, res: Response) -> Response {
        let template = template_of(method, path);
        let status = res.status.to_string();
        let op = &self.doc["paths"][&template][method.to_lowercase()];
        assert!(op.is_object(), "{method} {template} not documented");
        let (key, spec) = match op["responses"].get(&status) {
            Some(s) => (status.clone(), s),
            None => {
                assert!(
                    res.status >= 400,
                    "{method} {template}: status {status} not documented: {}",
                    res.text()
                );
                ("default".to_string(), &op["responses"]["default"])
            }
        };
        let spec = self.resolve(spec).clone();
        let media = res
            .header("content-type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let content = &spec["content"];
        let Some(body) = content.get(&media) else {
            panic!(
                "{method} {template} {status}: media type {media:?} not documented (has {:?})",
                content.as_object().map(|o| o.keys().collect::<Vec<_>>())
            );
        };
        if media.ends_with("json") {
            let v = res.json();
            let mut errs = Vec::new();
            self.validate(&body["schema"], &v, "$", &mut errs);
            for e in errs {
                self.errors
                    .insert(format!("{method} {template} {status}: {e}"));
            }
        }
        self.seen.insert((method.to_string(), template, key));
        self.count += 1;
        res
    }

    /// A JSON body the service accepted must fit the documented request
    /// body.
    fn check_request(&mut self, req: &Request) {
        let Some(body) = &req.body else { return };
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let template = template_of(&req.method, &req.path);
        let op = &self.doc["paths"][&template][req.method.to_lowercase()];
        let schema = op["requestBody"]["content"]["application/json"]["schema"].clone();
        if schema.is_null() {
            self.errors.insert(format!(
                "{} {template}: a JSON body was accepted, none is documented",
                req.method
            ));
            return;
        }
        let mut errs = Vec::new();
        self.validate(&schema, &v, "request", &mut errs);
        for e in errs {
            self.errors
                .insert(format!("{} {template}: {e}", req.method));
        }
    }

    fn validate(&self, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
        let schema = self.resolve(schema);
        let Some(s) = schema.as_object() else {
            errs.push(format!("{at}: schema is not an object: {schema}"));
            return;
        };
        for (k, rule) in s {
            match k.as_str() {
                "$ref" => {}
                "type" => {
                    let types: Vec<&str> = match rule {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                        _ => panic!("{at}: type {rule}"),
                    };
                    if !types.iter().any(|t| has_type(v, t)) {
                        errs.push(format!("{at}: expected {}, got {v}", types.join(" or ")));
                        return;
                    }
                }
                "properties" => {
                    let (Some(props), Some(obj)) = (rule.as_object(), v.as_object()) else {
                        continue;
                    };
                    for (name, sub) in props {
                        if let Some(x) = obj.get(name) {
                            self.validate(sub, x, &format!("{at}.{name}"), errs);
                        }
                    }
                    // Stricter than JSON Schema: an object with listed
                    // properties lists all it has, unless it says
                    // otherwise (`additionalProperties`).
                    if !s.contains_key("additionalProperties") {
                        for name in obj.keys().filter(|k| !props.contains_key(*k)) {
                            errs.push(format!("{at}: property {name} not in the schema"));
                        }
                    }
                }
                "required" => {
                    let Some(obj) = v.as_object() else { continue };
                    for name in rule.as_array().into_iter().flatten() {
                        let name = name.as_str().unwrap_or_default();
                        if !obj.contains_key(name) {
                            errs.push(format!("{at}: required property {name} missing"));
                        }
                    }
                }
                "additionalProperties" => {
                    let Some(obj) = v.as_object() else { continue };
                    let known = s.get("properties").and_then(Value::as_object);
                    for (name, x) in obj {
                        if known.is_some_and(|p| p.contains_key(name)) {
                            continue;
                        }
                        match rule {
                            Value::Bool(true) => {}
                            Value::Bool(false) => {
                                errs.push(format!("{at}: property {name} not in the schema"))
                            }
                            sub => self.validate(sub, x, &format!("{at}.{name}"), errs),
                        }
                    }
                }
                "items" => {
                    for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                        self.validate(rule, x, &format!("{at}[{i}]"), errs);
                    }
                }
                "oneOf" => {
                    let fits = rule
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|sub| {
                            let mut e = Vec::new();
                            self.validate(sub, v, at, &mut e);
                            e.is_empty()
                        })
                        .count();
                    if fits != 1 {
                        errs.push(format!("{at}: fits {fits} of oneOf, not exactly one: {v}"));
                    }
                }
                "enum" => {
                    if !rule.as_array().is_some_and(|a| a.contains(v)) {
                        errs.push(format!("{at}: {v} not one of {rule}"));
                    }
                }
                "const" => {
                    if v != rule {
                        errs.push(format!("{at}: {v} is not {rule}"));
                    }
                }
                "minimum" => {
                    if let (Some(x), Some(min)) = (v.as_i64(), rule.as_i64()) {
                        if x < min {
                            errs.push(format!("{at}: {x} below the minimum {min}"));
                        }
                    }
                }
                "maxItems" => {
                    if let (Some(a), Some(max)) = (v.as_array(), rule.as_u64()) {
                        if a.len() as u64 > max {
                            errs.push(format!("{at}: more than {max} items"));
                        }
                    }
                }
                "maxLength" => {
                    if let (Some(t), Some(max)) = (v.as_str(), rule.as_u64()) {
                        if t.chars().count() as u64 > max {
                            errs.push(format!("{at}: longer than {max} characters"));
                        }
                    }
                }
                "pattern" => {
                    let p = rule.as_str().unwrap_or_default();
                    let class = p
                        .strip_prefix("^[")
                        .and_then(|p| p.strip_suffix("]*$"))
                        .unwrap_or_else(|| panic!("{at}: pattern {p} is more than one class"));
                    if let Some(t) = v.as_str() {
                        if !t.chars().all(|c| class.contains(c)) {
                            errs.push(format!("{at}: {t:?} does not match {p}"));
                        }
                    }
                }
                k if ANNOTATIONS.contains(&k) => {}
                k => panic!("{at}: the checker does not know the keyword {k}"),
            }
        }
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        _ => panic!("unknown type {t}"),
    }
}

/// The route-table template `path` (without its query) is an instance of.
#[track_caller]
fn template_of(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let have: Vec<&str> = path.split('/').collect();
    ROUTES
        .iter()
        .filter(|r| r.method.eq_ignore_ascii_case(method))
        .find(|r| {
            let want: Vec<&str> = r.path.split('/').collect();
            if want.last().is_some_and(|w| w.starts_with("{*")) {
                have.len() >= want.len()
                    && want[..want.len() - 1]
                        .iter()
                        .zip(&have)
                        .all(|(w, h)| w.starts_with('{') || w == h)
            } else {
                want.len() == have.len()
                    && want
                        .iter()
                        .zip(&have)
                        .all(|(w, h)| (w.starts_with('{') && !h.is_empty()) || w == h)
            }
        })
        .map(|r| r.path.to_string())
        .unwrap_or_else(|| panic!("{method} {path} is no route"))
}

/// A meeting and its people, with every response checked.
struct Flow<'a> {
    m: &'a Meeting,
    doc: Doc,
}

impl Flow<'_> {
    #[track_caller]
    fn send(&mut self, req: Request) -> Response {
        let res = self.m.c.send(&req);
        if res.status < 300 {
            self.doc.check_request(&req);
        }
        self.doc.check(&req.method, &req.path, res)
    }

    #[track_caller]
    fn get(&mut self, who: &Person, rest: &str) -> Response {
        self.send(Request::new("GET", &self.m.path(rest)).token(&who.token))
    }

    #[track_caller]
    fn post(&mut self, who: &Person, rest: &str, body: Value) -> Response {
        self.send(
            Request::new("POST", &self.m.path(rest))
                .token(&who.token)
                .json(&body),
        )
    }

    #[track_caller]
    fn put(&mut self, who: &Person, rest: &str, body: Value) -> Response {
        self.send(
            Request::new("PUT", &self.m.path(rest))
                .token(&who.token)
                .json(&body),
        )
    }

    #[track_caller]
    fn enter(&mut self, who: &Person, batch: &str, key: &str, ballots: Value) -> Response {
        self.send(
            Request::new(
                "POST",
                &self.m.path(&format!("/rounds/r1/batches/{batch}/entries")),
            )
            .token(&who.token)
            .header("Idempotency-Key", key)
            .json(&json!({ "ballots": ballots })),
        )
    }
}

#[test]
fn real_responses_fit_the_document() {
    let server = Server::start("openapi");
    let c = server.client();
    let mut doc = Doc::new();
    for p in ["/api/health", "/api/server", "/api/openapi.json"] {
        doc.check("GET", p, c.send(&Request::new("GET", p)))
            .expect(200);
    }
    doc.check(
        "GET",
        "/api/me",
        c.send(&Request::new("GET", "/api/me").token(&server.setup)),
    )
    .expect(200);
    let create = Request::new("POST", "/api/meetings")
        .token(&server.setup)
        .json(&json!({
            "name": "中共测试支部党员大会",
            "body": "members_assembly",
            "voting_members": 9,
            "exclusions": [],
            "organiser": "组织员",
            "place": "党员活动室",
        }));
    doc.check_request(&create);
    let created = doc.check("POST", "/api/meetings", c.send(&create));
    assert_eq!(created.status, 201, "{}", created.text());
    let m = Meeting::create(c, &server.setup, 9, json!([]));
    let org = m.organiser.clone();
    let mut f = Flow { m: &m, doc };

    f.get(&org, "").expect(200);
    f.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    f.get(&org, "/method/text").expect(200);
    f.put(&org, "/attendance", json!({ "present": 9 }))
        .expect(200);
    f.put(&org, "/attendance", json!({ "present": 99 }))
        .expect(422);
    let added = f
        .post(
            &org,
            "/people",
            json!({ "role": "display", "name": "大屏" }),
        )
        .expect(201)
        .json();
    let k1 = cosigner("监票一", 61);
    let k2 = cosigner("监票二", 62);
    let c1 = m.add("counter", "计票一", None);
    let c2 = m.add("counter", "计票二", None);
    let s1 = m.add("scrutineer", "监票一", Some(&k1));
    let s2 = m.add("scrutineer", "监票二", Some(&k2));
    let presidium = m.add("presidium", "主席团", None);
    let auditor = m.add("auditor", "审计", None);
    f.get(&auditor, "/people").expect(200);
    f.get(&c1, "").expect(200);
    f.send(Request::new("GET", "/api/me").token(&c1.token))
        .expect(200);
    // A link re-issued and revoked.
    let display_id = added["id"].as_str().expect("id").to_string();
    let t = f
        .send(
            Request::new("POST", &m.path(&format!("/people/{display_id}/tokens")))
                .token(&org.token),
        )
        .expect(201)
        .json();
    let display = Person {
        id: display_id,
        role: "display".into(),
        name: "大屏".into(),
        token: t["token"].as_str().expect("token").into(),
        token_id: t["id"].as_str().expect("id").into(),
    };
    let spare = m.add("auditor", "备用", None);
    f.send(
        Request::new("DELETE", &m.path(&format!("/tokens/{}", spare.token_id))).token(&org.token),
    )
    .expect(200);
    // A person registers the key made on their device (the scrutineers'
    // in `Meeting::add`); a second time is refused.
    let own = common::signing::key_of(&c1.token);
    f.put(
        &c1,
        &format!("/people/{}/key", c1.id),
        common::signing::key_body(&own),
    )
    .expect(200);
    let key = k1.verifier_key().to_string();
    f.put(
        &s1,
        &format!("/people/{}/key", s1.id),
        json!({ "key": key }),
    )
    .expect(409);

    f.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 2 }),
    )
    .expect(201);
    f.get(&org, "/elections/e1").expect(200);
    for p in [&c1, &c2, &s1, &s2] {
        f.post(&org, "/elections/e1/assignments", json!({ "person": p.id }))
            .expect(201);
    }
    f.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] }),
    )
    .expect(201);
    f.get(&org, "/rounds/r1").expect(200);
    // A witness of the log, named before the first round opens (nothing
    // listens at its address: the submitter keeps retrying).
    let w = cosigner("witness.example.org/w", 71);
    f.post(
        &org,
        "/witnesses",
        json!({
            "name": "witness.example.org/w",
            "key": w.verifier_key().to_string(),
            "url": "http://127.0.0.1:9/add-checkpoint",
        }),
    )
    .expect(201);
    f.get(&org, "/witnesses").expect(200);
    f.post(&org, "/rounds/r1/open", json!({ "issued": 9 }))
        .expect(200);

    // The live stream: its media type; the first state event is JSON.
    let live = m.c.events(&m.path("/rounds/r1/events"), &presidium.token);
    assert_eq!(live.status, 200);

    // Double entry: b1 agrees, b2 differs in one ballot, b3 is stray.
    let b1 = json!(copies(4, json!("YYN")));
    f.enter(&c1, "b1", "c1-b1", b1.clone()).expect(201);
    f.enter(&c2, "b1", "c2-b1", b1).expect(201);
    f.enter(&c1, "b2", "c1-b2", json!(["YNY", "NYY"]))
        .expect(201);
    f.enter(&c2, "b2", "c2-b2", json!(["YNY", "NYN"]))
        .expect(201);
    f.enter(&c1, "b3", "c1-b3", json!(["YYY"])).expect(201);
    f.enter(&c1, "b3", "c1-b3", json!(["NNN"])).expect(422);
    f.get(&c1, "/rounds/r1/batches").expect(200);
    f.get(&s1, "/rounds/r1/batches").expect(200);
    f.get(&c1, "/rounds/r1/batches/b2").expect(200);
    f.get(&s1, "/rounds/r1/batches/b2").expect(200);
    f.get(&auditor, "/rounds/r1/batches/b1").expect(200);
    f.post(
        &s1,
        "/rounds/r1/batches/b2/resolutions",
        json!({ "position": 1, "resolution": "first" }),
    )
    .expect(200);
    f.post(
        &s1,
        "/rounds/r1/batches/b3/discard",
        json!({ "reason": "误录" }),
    )
    .expect(200);
    // Three ballots from a reader's file, read twice.
    let csv = "甲,乙,丙,void\nY,Y,N,\nY,N,Y,\n,,,选票上有签名\n";
    let first = f
        .send(
            Request::new("POST", &m.path("/rounds/r1/imports"))
                .token(&s1.token)
                .raw(csv.as_bytes(), "text/csv"),
        )
        .expect(201)
        .json();
    let imp = first["batch_prefix"]
        .as_str()
        .expect("import id")
        .to_string();
    f.send(
        Request::new(
            "POST",
            &m.path(&format!("/rounds/r1/imports?second_of={imp}")),
        )
        .token(&s2.token)
        .raw(csv.as_bytes(), "text/csv"),
    )
    .expect(201);
    f.get(&presidium, "/rounds/r1").expect(200);
    f.get(&presidium, "/rounds/r1/result").expect(200);

    // The box opened: two scrutineers count the ballots in it.
    f.post(&s1, "/rounds/r1/box", json!({ "returned": 9 }))
        .expect(201);
    f.post(&s2, "/rounds/r1/box", json!({ "returned": 9 }))
        .expect(201);
    f.post(&s1, "/rounds/r1/close", json!({ "returned": 1 }))
        .expect(409);
    f.post(&s1, "/rounds/r1/close", json!({ "returned": 9 }))
        .expect(200);
    f.get(&s1, "/rounds/r1/statement").expect(200);
    for (s, k) in [(&s1, &k1), (&s2, &k2)] {
        let st = m.get(s, "/rounds/r1/statement").expect(200).json();
        let note = st["checkpoint"].as_str().expect("checkpoint note");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let line = scrutineer::service::demo::cosignature_line(note, k, now).expect("cosign");
        f.post(s, "/rounds/r1/cosignatures", json!({ "signature": line }))
            .expect(201);
    }
    f.get(&display, "/rounds/r1/result").expect(403);
    f.post(
        &presidium,
        "/rounds/r1/decisions",
        json!({ "decision": "announce" }),
    )
    .expect(201);
    f.get(&display, "/rounds/r1/result").expect(200);
    f.get(&org, "/rounds/r1").expect(200);
    f.get(&presidium, "/elections/e1").expect(200);
    f.get(&presidium, "/elections/e1/result").expect(200);
    f.get(&auditor, "/rounds/r1/receipt").expect(200);
    let size = f.get(&auditor, "/checkpoint").expect(200).json()["size"]
        .as_u64()
        .expect("size");
    assert!(size < 256, "one partial tile");
    f.get(&auditor, "/tlog/checkpoint").expect(200);
    f.get(&auditor, &format!("/tlog/tile/0/000.p/{size}"))
        .expect(200);
    f.get(&auditor, "/bundle").expect(200);
    // A round counted by hand (唱票): two counters' totals differ, a
    // scrutineer takes the first.
    f.post(
        &org,
        "/elections",
        json!({ "contest": "纪律检查委员", "seats": 2 }),
    )
    .expect(201);
    for p in [&c1, &c2, &s1, &s2] {
        f.post(&org, "/elections/e2/assignments", json!({ "person": p.id }))
            .expect(201);
    }
    f.post(
        &org,
        "/elections/e2/rounds",
        json!({ "kind": "formal", "candidates": ["丁", "戊", "己"] }),
    )
    .expect(201);
    f.post(
        &org,
        "/rounds/r2/open",
        json!({ "issued": 9, "counting": "totals" }),
    )
    .expect(200);
    let line = |a: u64, b: u64| json!({ "for": a, "against": b, "abstain": 9 - a - b });
    f.post(
        &c1,
        "/rounds/r2/totals",
        json!({ "valid": 9, "void": 0, "lines": [line(6, 2), line(5, 3), line(4, 4)] }),
    )
    .expect(201);
    f.post(
        &c2,
        "/rounds/r2/totals",
        json!({ "valid": 9, "void": 0, "lines": [line(6, 2), line(5, 3), line(3, 5)] }),
    )
    .expect(201);
    f.post(
        &s1,
        "/rounds/r2/totals/resolve",
        json!({ "resolution": "first", "reason": "核对原始唱票记录" }),
    )
    .expect(200);
    // A rated evaluation: the round's ballot carries the table the
    // counter's screen draws (each row's person, item and lines).
    let e3 = f
        .post(
            &org,
            "/elections",
            json!({ "contest": "村党支部委员人选", "seats": 2 }),
        )
        .expect(201)
        .json();
    let e3 = e3["id"].as_str().expect("election").to_string();
    let ev = f
        .post(
            &org,
            &format!("/elections/{e3}/rounds"),
            json!({ "kind": "evaluation", "candidates": ["丁一", "王二"], "next_size": 2,
                    "rating": { "levels": ["优秀", "称职", "基本称职", "不称职"], "items": ["德", "能"] } }),
        )
        .expect(201)
        .json();
    let ev = ev["id"].as_str().expect("round").to_string();
    let view = f.get(&c1, &format!("/rounds/{ev}")).expect(200).json();
    let table = &view["ballot"]["rating"];
    assert_eq!(table["ticks_per_row"], 1, "{view}");
    assert_eq!(table["rows"][3]["person"], "王二", "{view}");
    assert_eq!(table["rows"][3]["item"], "能", "{view}");
    assert_eq!(table["rows"][3]["lines"], json!([12, 13, 14, 15]), "{view}");
    assert_eq!(view["candidates"][15], "王二·能·不称职", "{view}");
    // An election with stage facts (issue 11): a nomination by groups, its
    // next size by a rule — each round's `stage` on the election's result.
    let e4 = f
        .post(
            &org,
            "/elections",
            json!({ "contest": "村党支部委员", "seats": 2 }),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .expect("election")
        .to_string();
    f.post(
        &org,
        &format!("/elections/{e4}/rounds"),
        json!({ "kind": "nomination", "candidates": ["丁一", "王二", "刘三"],
                "groups": ["党员", "农户"],
                "next_rule": { "ratio": { "kind": "more", "num": 1, "den": 5 }, "of": 2 } }),
    )
    .expect(201);
    let stages = f
        .get(&presidium, &format!("/elections/{e4}/result"))
        .expect(200)
        .json();
    assert_eq!(stages["rounds"][0]["stage"]["role"], "combined", "{stages}");
    assert_eq!(stages["rounds"][1]["stage"]["of"], 1, "{stages}");
    // 监票二 loses the device: a new link, a new key asked for from the
    // new device, approved by the presidium.
    let link = f
        .send(Request::new("POST", &m.path(&format!("/people/{}/tokens", s2.id))).token(&org.token))
        .expect(201)
        .json();
    let mut s2_new = s2.clone();
    s2_new.token = link["token"].as_str().expect("token").into();
    let k3 = cosigner("监票二-新", 92);
    common::signing::use_key(
        &s2_new.token,
        "监票二-新",
        ed25519_dalek::SigningKey::from_bytes(&[92; 32]),
    );
    f.post(
        &s2_new,
        &format!("/people/{}/key/replacement", s2.id),
        json!({ "key": k3.verifier_key().to_string() }),
    )
    .expect(201);
    f.post(
        &presidium,
        &format!("/people/{}/key/approval", s2.id),
        json!({ "key": k3.verifier_key().to_string() }),
    )
    .expect(200);
    // Refusals are problem documents.
    f.get(&c1, "/rounds/r9").expect(404);
    f.get(&c1, "/rounds/r1/result").expect(403);
    f.send(Request::new("GET", &m.path(""))).expect(401);

    let Flow { doc, .. } = f;
    // The live stream's media type.
    let spec = &doc.doc["paths"]["/api/meetings/{m}/rounds/{r}/events"]["get"]["responses"]["200"]
        ["content"];
    assert!(spec.get("text/event-stream").is_some());
    drop(live);

    // Every documented 2xx response of every route was met, but the
    // stream's (above).
    let mut missing = Vec::new();
    for r in ROUTES {
        let method = r.method.to_uppercase();
        let op = &doc.doc["paths"][r.path][r.method];
        for status in op["responses"]
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
        {
            if status == "default" || r.path.ends_with("/events") {
                continue;
            }
            if !doc
                .seen
                .contains(&(method.clone(), r.path.to_string(), status.clone()))
            {
                missing.push(format!("{method} {} {status}", r.path));
            }
        }
    }
    assert!(missing.is_empty(), "never checked: {missing:#?}");
    assert!(
        doc.errors.is_empty(),
        "responses that do not fit openapi.json:\n{}",
        doc.errors.iter().cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(doc.count > 60, "only {} responses checked", doc.count);
}
