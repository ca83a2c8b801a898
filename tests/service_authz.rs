//! Authorization: every role is tried against every endpoint it must not
//! use, from the roles the OpenAPI document declares (`x-roles`), so the
//! document and the server cannot disagree. Also: no token, a bad token, a
//! revoked token, another meeting's token, the setup token.

use crate::common;

use serde_json::{json, Value};

use common::http::Request;
use common::meeting::{cosigner, Meeting};
use common::server::Server;
use scrutineer::http::{OPENAPI, ROUTES};

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

/// (method, path, x-roles) of every documented operation.
fn operations() -> Vec<(String, String, Vec<String>)> {
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
            out.push((method.to_uppercase(), path.clone(), roles));
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let documented: Vec<(String, String)> =
        operations().into_iter().map(|(m, p, _)| (m, p)).collect();
    for (method, path) in ROUTES {
        assert!(
            documented.contains(&(method.to_uppercase(), path.to_string())),
            "{method} {path} is not in openapi.json"
        );
    }
    for (method, path) in &documented {
        assert!(
            ROUTES
                .iter()
                .any(|(m, p)| m.to_uppercase() == *method && p == path),
            "openapi.json documents {method} {path}, which is not a route"
        );
    }
    for (_, _, roles) in operations() {
        for r in &roles {
            assert!(
                ROLES.contains(&r.as_str()) || r == "setup" || r == "any",
                "unknown role {r}"
            );
        }
    }
}

#[test]
fn every_role_is_refused_where_it_must_not_go() {
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

    let mut checked = 0;
    for (method, template, roles) in operations() {
        let path = template
            .replace("{m}", &m.id)
            .replace("{e}", "e1")
            .replace("{r}", "r1")
            .replace("{b}", "b1")
            .replace("{p}", "p2")
            .replace("{t}", "t9")
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
        if roles.is_empty() {
            c.send(&req(None)).expect(200);
            continue;
        }
        let what = format!("{method} {template}");
        c.send(&req(None)).problem(401, "token_missing");
        c.send(&req(Some("not-a-token")))
            .problem(401, "token_invalid");
        c.send(&req(Some(&revoked.token)))
            .problem(401, "token_revoked");
        if roles == ["any"] {
            continue;
        }
        if roles == ["setup"] {
            for (role, t) in &tokens {
                let p = c.send(&req(Some(t))).problem(403, "forbidden_role");
                assert!(
                    p["message_en"].as_str().unwrap().contains("setup"),
                    "{what} as {role}"
                );
                checked += 1;
            }
            continue;
        }
        c.send(&req(Some(&server.setup)))
            .problem(403, "forbidden_role");
        c.send(&req(Some(&other.organiser.token)))
            .problem(403, "wrong_meeting");
        for (role, t) in &tokens {
            if roles.iter().any(|r| r == role) {
                continue;
            }
            let r = c.send(&req(Some(t)));
            assert_eq!(r.status, 403, "{what} as {role}: {}", r.text());
            r.problem(403, "forbidden_role");
            checked += 1;
        }
    }
    assert!(checked > 80, "only {checked} refusals checked");
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
