//! Driving a meeting over HTTP in tests: create it, add people with
//! tokens, cosign as a scrutineer whose key the test holds.

use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use scrutineer::log::cosignature::Cosigner;
use scrutineer::log::note::KeyName;
use scrutineer::service::demo::cosignature_line;

use super::http::{Client, Request, Response};

/// A person of the meeting with their token.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub role: String,
    pub name: String,
    pub token: String,
    pub token_id: String,
}

pub struct Meeting {
    pub c: Client,
    pub id: String,
    pub organiser: Person,
}

/// A scrutineer's cosigning key, deterministic per seed.
pub fn cosigner(name: &str, seed: u8) -> Cosigner {
    let key = SigningKey::from_bytes(&[seed; 32]);
    super::signing::know(&key);
    let c = Cosigner::new(KeyName::new(name).expect("key name"), key);
    cosigner_seeds()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(c.verifier_key().to_string(), (name.to_owned(), seed));
    c
}

/// Keys made by [`cosigner`]: vkey → (name, seed), so that
/// [`Meeting::add`] can put the key on the person's device.
fn cosigner_seeds() -> &'static std::sync::Mutex<std::collections::HashMap<String, (String, u8)>> {
    static SEEDS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, (String, u8)>>,
    > = std::sync::OnceLock::new();
    SEEDS.get_or_init(Default::default)
}

impl Meeting {
    /// Creates a members' assembly with the setup token.
    pub fn create(c: Client, setup: &str, voting_members: u64, exclusions: Value) -> Meeting {
        let r = c
            .post(
                "/api/meetings",
                setup,
                &json!({
                    "name": "中共测试支部党员大会",
                    "body": "members_assembly",
                    "voting_members": voting_members,
                    "exclusions": exclusions,
                    "organiser": "组织员",
                }),
            )
            .expect(201)
            .json();
        let id = r["meeting"]["id"].as_str().expect("id").to_string();
        let o = &r["organiser"];
        Meeting {
            c,
            id,
            organiser: Person {
                id: o["person"].as_str().expect("person").into(),
                role: "organiser".into(),
                name: o["name"].as_str().expect("name").into(),
                token: o["token"]["token"].as_str().expect("token").into(),
                token_id: o["token"]["id"].as_str().expect("token id").into(),
            },
        }
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/api/meetings/{}{rest}", self.id)
    }

    pub fn get(&self, who: &Person, rest: &str) -> Response {
        self.c.get(&self.path(rest), &who.token)
    }

    pub fn post(&self, who: &Person, rest: &str, body: Value) -> Response {
        self.c.post(&self.path(rest), &who.token, &body)
    }

    pub fn put(&self, who: &Person, rest: &str, body: Value) -> Response {
        self.c.put(&self.path(rest), &who.token, &body)
    }

    /// Adds a person; with `key`, the person then registers it from
    /// their own device (their token), and signs with it from then on.
    pub fn add(&self, role: &str, name: &str, key: Option<&Cosigner>) -> Person {
        let body = json!({ "role": role, "name": name });
        let r = self
            .post(&self.organiser, "/people", body)
            .expect(201)
            .json();
        let p = Person {
            id: r["id"].as_str().expect("id").into(),
            role: role.into(),
            name: name.into(),
            token: r["token"]["token"].as_str().expect("token").into(),
            token_id: r["token"]["id"].as_str().expect("token id").into(),
        };
        if let Some(k) = key {
            let seed = cosigner_seeds()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&k.verifier_key().to_string())
                .cloned()
                .expect("a key made by common::meeting::cosigner");
            super::signing::use_key(&p.token, &seed.0, SigningKey::from_bytes(&[seed.1; 32]));
            self.c.register_own_key(&p.token).expect(200);
        }
        p
    }

    pub fn assign(&self, election: &str, p: &Person) {
        self.post(
            &self.organiser,
            &format!("/elections/{election}/assignments"),
            json!({ "person": p.id }),
        )
        .expect(201);
    }

    /// Enters a batch as `counter` with an idempotency key.
    pub fn enter(
        &self,
        counter: &Person,
        round: &str,
        batch: &str,
        key: &str,
        ballots: &Value,
    ) -> Response {
        self.c.send(
            &Request::new(
                "POST",
                &self.path(&format!("/rounds/{round}/batches/{batch}/entries")),
            )
            .token(&counter.token)
            .header("Idempotency-Key", key)
            .json(&json!({ "ballots": ballots })),
        )
    }

    /// Cosigns a round's statement as `s` with key `k`.
    pub fn cosign(&self, s: &Person, k: &Cosigner, round: &str) -> Response {
        let st = self
            .get(s, &format!("/rounds/{round}/statement"))
            .expect(200)
            .json();
        let note = st["checkpoint"].as_str().expect("checkpoint note");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let line = cosignature_line(note, k, now).expect("cosign");
        self.post(
            s,
            &format!("/rounds/{round}/cosignatures"),
            json!({ "signature": line }),
        )
    }
}

/// `n` copies of a ballot value.
pub fn copies(n: usize, b: Value) -> Vec<Value> {
    vec![b; n]
}
