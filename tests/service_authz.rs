//! Authorization: the route table (`scrutineer::http::ROUTES`) declares
//! who may call each route; every (route, role) pair is tried against a
//! real server — the roles it names are admitted (whatever the finer
//! domain rules then say), every other role is refused with
//! `forbidden_role` — and `openapi.json` must state the same roles
//! (`x-roles`) and signed writes (`x-signed`), with nothing extra. Also: no
//! token, a bad token, a revoked token, another meeting's token, the setup
//! token.

use crate::common;

use serde_json::{json, Value};

use common::http::Request;
use common::meeting::{cosigner, Meeting};
use common::server::Server;
use scrutineer::http::{Access, OPENAPI, ROUTES};

const ROLES: [&str; 6] = [
    "organiser",
    "counter",
    "scrutineer",
    "presidium",
    "auditor",
    "display",
];

fn openapi() -> Value {
    serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
}

/// (METHOD, path, x-roles, x-signed) of every documented operation.
fn operations() -> Vec<(String, String, Vec<String>, bool)> {
    let doc = openapi();
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let roles = op["x-roles"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path} has no x-roles"))
                .iter()
                .map(|r| r.as_str().expect("role").to_string())
                .collect();
            let signed = match &op["x-signed"] {
                Value::Null => false,
                Value::Bool(b) => *b,
                v => panic!("{method} {path}: x-signed is {v}"),
            };
            out.push((method.to_uppercase(), path.clone(), roles, signed));
        }
    }
    out
}

#[test]
fn the_document_states_the_route_table() {
    let documented = operations();
    for r in ROUTES {
        let what = format!("{} {}", r.method.to_uppercase(), r.path);
        let Some((_, _, roles, signed)) = documented
            .iter()
            .find(|(m, p, _, _)| *m == r.method.to_uppercase() && p == r.path)
        else {
            panic!("{what} is not in openapi.json");
        };
        let mut want: Vec<&str> = r.access.x_roles();
        let mut have: Vec<&str> = roles.iter().map(String::as_str).collect();
        want.sort_unstable();
        have.sort_unstable();
        assert_eq!(have, want, "{what}: x-roles differ from the route table");
        assert_eq!(
            *signed, r.signed,
            "{what}: x-signed differs from the route table"
        );
        if r.signed {
            assert!(
                matches!(r.access, Access::Roles(_)),
                "{what}: only a person signs"
            );
        }
    }
    for (method, path, _, _) in &documented {
        assert!(
            ROUTES
                .iter()
                .any(|r| r.method.to_uppercase() == *method && r.path == path),
            "openapi.json documents {method} {path}, which is not a route"
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in ROUTES {
        assert!(
            seen.insert((r.method, r.path)),
            "{} {} twice",
            r.method,
            r.path
        );
        for role in r.access.x_roles() {
            assert!(
                ROLES.contains(&role) || role == "setup" || role == "any",
                "unknown role {role}"
            );
        }
    }
}

/// Walks the route table: every route with every role, and without a
/// valid token, against a real server.
#[test]
fn every_route_admits_its_roles_and_refuses_the_others() {
    let server = Server::start("authz");
    let c = server.client();
    let m = Meeting::create(c, &server.setup, 30, json!([]));
    let other = Meeting::create(c, &server.setup, 30, json!([]));
    let k = cosigner("监票", 3);
    let tokens: Vec<(&str, String)> = ROLES
        .iter()
        .map(|role| {
            let t = if *role == "organiser" {
                m.organiser.token.clone()
            } else {
                m.add(
                    role,
                    &format!("{role}-person"),
                    if *role == "scrutineer" {
                        Some(&k)
                    } else {
                        None
                    },
                )
                .token
            };
            (*role, t)
        })
        .collect();
    let revoked = m.add("auditor", "离任审计", None);
    m.c.delete(
        &m.path(&format!("/tokens/{}", revoked.token_id)),
        &m.organiser.token,
    )
    .expect(200);

    let (mut refused, mut admitted) = (0, 0);
    for route in ROUTES {
        let method = route.method.to_uppercase();
        // Ids nobody has: an admitted call changes nothing (no person's
        // link is re-issued or revoked half-way through the walk).
        let path = route
            .path
            .replace("{m}", &m.id)
            .replace("{e}", "e1")
            .replace("{r}", "r1")
            .replace("{b}", "b1")
            .replace("{p}", "p99")
            .replace("{t}", "t99")
            .replace("{*path}", "checkpoint");
        let req = |token: Option<&str>| {
            let mut r = Request::new(&method, &path);
            if let Some(t) = token {
                r = r.token(t);
            }
            if method == "POST" || method == "PUT" {
                r = r.json(&json!({}));
            }
            r
        };
        let what = format!("{method} {}", route.path);
        let roles = match route.access {
            Access::Public => {
                c.send(&req(None)).expect(200);
                continue;
            }
            Access::Setup | Access::AnyToken | Access::Roles(_) => route.access.x_roles(),
        };
        c.send(&req(None)).problem(401, "token_missing");
        c.send(&req(Some("not-a-token")))
            .problem(401, "token_invalid");
        c.send(&req(Some(&revoked.token)))
            .problem(401, "token_revoked");
        if route.access == Access::AnyToken {
            for (role, t) in &tokens {
                let r = c.send(&req(Some(t)));
                assert_eq!(r.status, 200, "{what} as {role}: {}", r.text());
                admitted += 1;
            }
            continue;
        }
        if route.access == Access::Setup {
            for (role, t) in &tokens {
                let p = c.send(&req(Some(t))).problem(403, "forbidden_role");
                assert!(
                    p["message_en"].as_str().unwrap().contains("setup"),
                    "{what} as {role}"
                );
                refused += 1;
            }
            let r = c.send(&req(Some(&server.setup)));
            assert!(
                r.status != 401 && r.status != 403,
                "{what} as setup: {}",
                r.text()
            );
            admitted += 1;
            continue;
        }
        c.send(&req(Some(&server.setup)))
            .problem(403, "forbidden_role");
        c.send(&req(Some(&other.organiser.token)))
            .problem(403, "wrong_meeting");
        for (role, t) in &tokens {
            let r = c.send(&req(Some(t)));
            if roles.contains(role) {
                // Admitted: what follows is the use case's answer (404,
                // 422, a domain refusal such as not_assigned), never the
                // table's.
                let code = serde_json::from_slice::<Value>(&r.body)
                    .ok()
                    .and_then(|v| v["code"].as_str().map(str::to_string))
                    .unwrap_or_default();
                assert!(
                    r.status < 500
                        && r.status != 401
                        && !(r.status == 403
                            && (code == "forbidden_role" || code == "wrong_meeting")),
                    "{what} as {role} must be admitted: {} {}",
                    r.status,
                    r.text()
                );
                admitted += 1;
            } else {
                assert_eq!(r.status, 403, "{what} as {role}: {}", r.text());
                r.problem(403, "forbidden_role");
                refused += 1;
            }
        }
    }
    assert_eq!(
        refused + admitted,
        ROUTES.iter().filter(|r| r.access != Access::Public).count() * ROLES.len()
            + ROUTES.iter().filter(|r| r.access == Access::Setup).count(),
        "every (route, role) pair tried"
    );
    assert!(refused > 80, "only {refused} refusals checked");
}

#[test]
fn finer_rules_refuse_too() {
    let server = Server::start("authz-fine");
    let m = Meeting::create(server.client(), &server.setup, 30, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 28 }))
        .expect(200);
    m.post(&org, "/elections", json!({ "contest": "委员", "seats": 1 }))
        .expect(201);
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙"] }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 28 }))
        .expect(200);
    let counter = m.add("counter", "未指派计票人", None);
    let s1 = m.add("scrutineer", "监票一", None);
    let s2 = m.add("scrutineer", "监票二", None);
    // Not assigned to the election.
    m.enter(&counter, "r1", "b1", "k1", &json!(["YN"]))
        .problem(403, "not_assigned");
    m.get(&counter, "/rounds/r1/batches")
        .problem(403, "not_assigned");
    m.post(&s1, "/rounds/r1/close", json!({ "returned": 0 }))
        .problem(403, "not_assigned");
    // A scrutineer registers only their own key.
    let key = cosigner("监票二", 9).verifier_key().to_string();
    m.put(
        &s1,
        &format!("/people/{}/key", s2.id),
        json!({ "key": key }),
    )
    .problem(403, "not_own_person");
    m.put(
        &s2,
        &format!("/people/{}/key", s2.id),
        json!({ "key": key }),
    )
    .expect(200);
    m.put(
        &s2,
        &format!("/people/{}/key", s2.id),
        json!({ "key": key }),
    )
    .problem(409, "key_already_registered");
    // The organiser registers nobody's key: each person does, from their
    // own device, in an entry signed by the key.
    let p = m
        .post(
            &org,
            "/people",
            json!({ "role": "scrutineer", "name": "监票三", "key": key }),
        )
        .problem(422, "invalid_field");
    assert_eq!(p["field"], "key");
    // The same key cannot be registered for two people.
    let s3 = m.add("scrutineer", "监票三", None);
    let p = m
        .put(
            &s3,
            &format!("/people/{}/key", s3.id),
            json!({ "key": key }),
        )
        .problem(422, "bad_key");
    assert_eq!(p["field"], "key");
    // The organiser and the display see results only after announcement.
    m.get(&org, "/rounds/r1/result")
        .problem(403, "not_announced");
    // Revocation takes effect at once.
    let t = m
        .post(&org, &format!("/people/{}/tokens", counter.id), json!({}))
        .expect(201)
        .json();
    let fresh = t["token"].as_str().unwrap();
    m.c.get("/api/me", fresh).expect(200);
    m.c.delete(
        &m.path(&format!("/tokens/{}", t["id"].as_str().unwrap())),
        &org.token,
    )
    .expect(200);
    m.c.get("/api/me", fresh).problem(401, "token_revoked");
    // Issuing the fresh link revoked the first one: one link per person.
    m.c.get("/api/me", &counter.token)
        .problem(401, "token_revoked");
}
