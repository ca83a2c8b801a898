//! The device side of signed requests, for tests: every person's token has
//! a signing key (deterministic from the token unless a test gives one),
//! and [`super::http::Client::send`] answers the service's 428
//! `signature_required` by signing the entries it lists and sending the
//! request again, and its 409 `key_required` by registering the key first,
//! as the web UI does (docs/api.md "Signed requests").

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use scrutineer::log::cosignature::Cosigner;
use scrutineer::log::entry::ENTRY_SIGNATURE_CONTEXT;
use scrutineer::log::note::KeyName;

/// A device key: the C2SP key name it is registered under and the key.
#[derive(Clone)]
pub struct DeviceKey {
    pub name: String,
    pub key: SigningKey,
}

impl DeviceKey {
    /// The C2SP vkey (type 0x04, tlog-cosignature) the person registers.
    pub fn vkey(&self) -> String {
        self.cosigner().verifier_key().to_string()
    }

    pub fn cosigner(&self) -> Cosigner {
        Cosigner::new(
            KeyName::new(&self.name).expect("key name"),
            self.key.clone(),
        )
    }
}

fn keys() -> &'static Mutex<HashMap<String, DeviceKey>> {
    static KEYS: OnceLock<Mutex<HashMap<String, DeviceKey>>> = OnceLock::new();
    KEYS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Holds `key` on the device of `token`'s holder.
pub fn use_key(token: &str, name: &str, key: SigningKey) {
    know(&key);
    keys().lock().unwrap_or_else(|e| e.into_inner()).insert(
        token.to_owned(),
        DeviceKey {
            name: name.to_owned(),
            key,
        },
    );
}

/// The key on the device of `token`'s holder (made on first use).
pub fn key_of(token: &str) -> DeviceKey {
    let mut map = keys().lock().unwrap_or_else(|e| e.into_inner());
    map.entry(token.to_owned())
        .or_insert_with(|| {
            let seed: [u8; 32] = Sha256::digest(format!("test device key\n{token}")).into();
            let id: String = seed[..4].iter().map(|b| format!("{b:02x}")).collect();
            DeviceKey {
                name: format!("device-{id}"),
                key: SigningKey::from_bytes(&seed),
            }
        })
        .clone()
}

/// Keys a test made and may hold on a device, by public key.
fn known() -> &'static Mutex<HashMap<[u8; 32], SigningKey>> {
    static KNOWN: OnceLock<Mutex<HashMap<[u8; 32], SigningKey>>> = OnceLock::new();
    KNOWN.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Makes `key` one a test's devices may hold: an entry made out to it is
/// signed with it (e.g. a scrutineer registering a cosigner key the test
/// made).
pub fn know(key: &SigningKey) {
    known()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key.verifying_key().to_bytes(), key.clone());
}

/// The signatures for a 428 `signature_required` problem: the header
/// values (`Scrutineer-Timestamp`, `Scrutineer-Signature`). Each entry is
/// signed by the key it is made out to, if the test knows it, else by
/// `key`.
pub fn sign_problem(problem: &Value, key: &SigningKey) -> Option<(String, String)> {
    let sign = &problem["sign"];
    let ts = sign["timestamp"].as_u64()?;
    let mut sigs = Vec::new();
    for e in sign["entries"].as_array()? {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(e["entry"].as_str()?)
            .ok()?;
        let author: [u8; 32] = bytes.get(16..48)?.try_into().ok()?;
        let k = known()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&author)
            .cloned()
            .unwrap_or_else(|| key.clone());
        sigs.push(
            base64::engine::general_purpose::STANDARD
                .encode(k.sign(&signed_message(&bytes)).to_bytes()),
        );
    }
    Some((ts.to_string(), sigs.join(",")))
}

/// `"scrutineer/entry/v2\n"` ‖ SHA-256(the prepared entry's bytes).
pub fn signed_message(unsigned: &[u8]) -> Vec<u8> {
    let mut m = ENTRY_SIGNATURE_CONTEXT.to_vec();
    m.extend_from_slice(&Sha256::digest(unsigned));
    m
}

/// The body that registers `key` for the person.
pub fn key_body(key: &DeviceKey) -> Value {
    json!({ "key": key.vkey() })
}
