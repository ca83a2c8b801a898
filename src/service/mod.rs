//! The meeting service: use cases from adopting the method to certified
//! results.
//!
//! Every change follows one shape, in one SQLite transaction:
//! validate → build the [`Event`] → sign it as a log entry → append it to
//! the meeting's log → update the state tables → sign a checkpoint → commit.
//! Only after the commit is the request acknowledged, and only then are live
//! viewers told. Concurrent changes share one transaction and one commit
//! (group commit, `Service::write_inner`), each in its own savepoint: a
//! failure rolls back that change, including the leaves it added to the
//! in-memory Merkle tree; a failed commit fails the whole group, and the
//! trees and checkpoint signers are reloaded from the database.
//!
//! | module | use cases |
//! |---|---|
//! | [`meeting`] | meetings, method, attendance, people and tokens, elections, assignments |
//! | [`round`] | rounds: create, open, close and tally, views, results |
//! | [`draft`] | a new round's request, its list checked, saved as a draft |
//! | [`stage`] | the stages of an election: stage methods, groups, papers, stage sizes, ratings, the cadre record |
//! | [`boxes`] | the box opening: two scrutineers' counts, the ruling before counting |
//! | [`totals`] | rounds counted by hand: 唱票 totals, double entry |
//! | [`entry`] | ballot entry, double entry, differences and their resolution |
//! | [`import`] | a ballot-reader file stored as one reading of its batches |
//! | [`decision`] | the presidium's decisions, the scrutineers' cosignatures |
//! | `decision_rule` | which decisions apply to a tallied round now (`POST …/decisions` and `offered_decisions`) |
//! | `result` | a closed round's result as shown: re-decided from the signed record |
//! | `lookup` | what every use case reads first: meeting, election, round and stage, the state and assignment checks |
//! | [`election`] | an election as a whole: every round, the final list, the announcement (read only) |
//! | [`live`] | per-round broadcast of updates for Server-Sent Events |
//! | `integrity` | start-up checks: the checkpoint sidecar, the log's tail, the state tables against the log |
//! | [`bundle`] | the audit bundle's files |
//! | [`witness`] | the meeting's witnesses: naming them, what to submit next, their answers |
//! | [`replacement`] | a lost device's key replacement and its approval |
//! | [`demo`] | the demo meeting of `serve --demo` |
//!
//! The use cases import one another downward only (no cycles,
//! tests/architecture.rs): `decision` reads `round` (the round view);
//! `round` reads `stage`, `boxes`, `totals`, `decision_rule`, `draft` and
//! `result`; `decision_rule` and `meeting` read `stage`; `stage` reads
//! `draft` and `result`; and every one of them reads `lookup`, which reads
//! none of them.
//!
//! Architecture Invariant: this module holds no SQL (that is `store`) and no
//! HTTP (that is `http`); authorization by role is declared per route in
//! `http`, and the finer checks (assigned to the election, own person,
//! announced) are made here.
//!
//! Concurrency: one writer connection behind a mutex serialises changes
//! (in groups sharing a commit);
//! reads use a small pool of reader connections (WAL lets them run beside
//! the writer), and so does the first, unsigned request of a counter's
//! entry, answered with the entry to sign (`Service::prepare_idempotent`).
//! All of it is blocking: the HTTP layer calls in from
//! `spawn_blocking`, so no connection is ever held across an `await`.

pub mod boxes;
pub mod bundle;
mod counts_check;
pub mod decision;
mod decision_rule;
pub mod demo;
pub mod draft;
pub mod election;
pub mod entry;
mod error;
pub mod import;
mod integrity;
pub mod live;
mod lookup;
pub mod meeting;
mod recording;
pub mod replacement;
mod result;
pub mod round;
pub mod stage;
pub mod totals;
pub mod witness;

use std::collections::{BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use ed25519_dalek::SigningKey;
use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::log::checkpoint::Checkpoint;
use crate::log::entry::{AuthorRole, Entry};
use crate::log::event::{self, Event};
use crate::log::merkle::{LeafIndex, Tree};
use crate::log::note::{KeyName, NoteSigner};
use crate::log::signer::LogSigner;
use crate::store;

pub use error::{Error, Kind, Problem};

pub use crate::state::Role;

/// What the service says of a role; the role itself and its code are
/// `crate::state::Role` and `store::states`.
impl Role {
    pub fn zh(self) -> &'static str {
        match self {
            Role::Organiser => "会务组",
            Role::Counter => "计票人",
            Role::Scrutineer => "监票人",
            Role::Presidium => "主席团",
            Role::Auditor => "审计人员",
            Role::Display => "公开显示屏",
        }
    }

    /// In what capacity entries made for this role are signed.
    fn author(self) -> AuthorRole {
        match self {
            Role::Organiser | Role::Auditor | Role::Display => AuthorRole::Clerk,
            Role::Counter => AuthorRole::Counter,
            Role::Scrutineer => AuthorRole::Scrutineer,
            Role::Presidium => AuthorRole::Presidium,
        }
    }
}

/// Who is calling: a person of a meeting, authenticated by a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub meeting: String,
    pub person: String,
    pub role: Role,
    pub name: String,
    /// The token id used (for `/api/me`).
    pub token: String,
    /// The signatures the request carries for the entries it logs.
    pub signing: Signing,
}

/// How a request signs the log entries it makes in a person's name
/// (bundle version 2: every person signs their own entries, with the key
/// they registered from their device; docs/api.md "Signed requests").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Signing {
    /// No signatures sent: a change that logs an entry in the person's
    /// name is not made; the reply (428 `signature_required`) holds the
    /// entries to sign.
    #[default]
    Unsigned,
    /// The `Scrutineer-Timestamp` and `Scrutineer-Signature` headers: one
    /// signature per entry, in order, over the entries as the service
    /// prepared them at `timestamp_ms`.
    Signed {
        timestamp_ms: u64,
        signatures: Vec<[u8; 64]>,
    },
}

/// How far a signed request's timestamp may be from the service's clock.
pub const SIGNING_WINDOW_MS: u64 = 120_000;

/// The bearer of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The setup token printed by `serve`: may create meetings.
    Setup,
    Person(Actor),
}

impl Caller {
    /// The actor, if it is a person of meeting `meeting` with one of
    /// `roles`: 403 otherwise.
    pub fn person_in(&self, meeting: &str, roles: &[Role]) -> Result<Actor, Error> {
        let Caller::Person(a) = self else {
            return Err(Error::forbidden(
                "forbidden_role",
                "初始化令牌只能用于创建会议",
                "the setup token may only create meetings",
            ));
        };
        if a.meeting != meeting {
            return Err(Error::forbidden(
                "wrong_meeting",
                "该令牌属于另一次会议",
                "this token belongs to another meeting",
            ));
        }
        if !roles.contains(&a.role) {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            let allowed_zh: Vec<&str> = roles.iter().map(|r| r.zh()).collect();
            return Err(Error::forbidden(
                "forbidden_role",
                format!(
                    "{}无权执行此操作（允许：{}）",
                    a.role.zh(),
                    allowed_zh.join("、")
                ),
                format!(
                    "the {} role may not do this (allowed: {})",
                    a.role.as_str(),
                    allowed.join(", ")
                ),
            ));
        }
        Ok(a.clone())
    }
}

/// A signed log checkpoint a response reflects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stamp {
    pub size: u64,
    /// Standard base64 of the root hash, as in the checkpoint note.
    pub root: String,
}

impl Stamp {
    fn of(tree: &Tree) -> Stamp {
        Stamp {
            size: tree.size().0,
            root: base64::engine::general_purpose::STANDARD.encode(tree.root().0),
        }
    }
}

/// A JSON response of a use case.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// 200 or 201.
    pub status: u16,
    pub body: Value,
    /// The checkpoint that includes the change, when something changed.
    pub checkpoint: Option<Stamp>,
    /// A stored response returned for a retried idempotent request.
    pub replayed: bool,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body,
            checkpoint: None,
            replayed: false,
        }
    }

    pub fn created(body: Value) -> Reply {
        Reply {
            status: 201,
            ..Reply::ok(body)
        }
    }

    fn stamped(mut self, stamp: Option<Stamp>) -> Reply {
        self.checkpoint = stamp;
        self
    }
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `n` random bytes from the operating system.
fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| Error::internal(format!("getrandom: {e}")))?;
    Ok(b)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a token's text: what the database stores.
fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh bearer token: 32 random bytes, base64url without padding.
fn new_token() -> Result<String, Error> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>()?))
}

/// Parses a JSON request body into `T`, naming the path of the first
/// offending field (`ballots[3].marks`) on failure. An integer above
/// `i64::MAX` anywhere in the body is refused, naming its field
/// ([`crate::rules::limits`]): the database could not hold it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = (path != ".").then_some(path);
        let at = field.as_deref().unwrap_or("请求体");
        let err = Error::new(
            Kind::BadRequest,
            "invalid_json",
            format!("请求格式错误（{at}）：{inner}"),
            format!("request body: {inner}"),
        );
        match field {
            Some(f) => err.at(f),
            None => err,
        }
    })?;
    de.end().map_err(|e| {
        Error::new(
            Kind::BadRequest,
            "invalid_json",
            format!("请求体在 JSON 之后还有内容：{e}"),
            format!("request body: trailing characters after the JSON value: {e}"),
        )
    })?;
    // The body parsed as `T`, so it parses as a `Value` too.
    if let Ok(raw) = serde_json::from_slice::<Value>(bytes) {
        if let Some((path, v)) = crate::rules::limits::first_too_large(&raw) {
            let field = if path.is_empty() {
                "body".to_owned()
            } else {
                path
            };
            return Err(Error::new(
                Kind::Unprocessable,
                "number_too_large",
                format!(
                    "{field} 的数值 {v} 过大，最大为 {}",
                    crate::rules::limits::MAX_COUNT
                ),
                format!("{field}: {}", crate::rules::limits::too_large_message(v)),
            )
            .at(field));
        }
    }
    Ok(value)
}

/// The log state of one meeting, cached in memory by the writer: the Merkle
/// tree (so a checkpoint costs O(log n), not a reload) and the checkpoint
/// signer (which never signs a fork).
struct MeetingLog {
    tree: Tree,
    signer: LogSigner,
    /// The log key: it signs checkpoints, and names the sequencer as the
    /// author of the service's own (unsigned) entries.
    key: SigningKey,
}

fn load_log(conn: &Connection, meeting: &str) -> Result<MeetingLog, Error> {
    let row = store::meeting::meeting(conn, meeting)?
        .ok_or_else(|| Error::not_found("会议", "meeting", meeting))?;
    let key = SigningKey::from_bytes(&row.log_key);
    let name = KeyName::new(&row.origin).map_err(Error::internal)?;
    let note_signer = NoteSigner::new(name, key.clone());
    let tree = store::log::load_tree(conn, meeting)?;
    let last = match store::log::latest_checkpoint(conn, meeting)? {
        None => None,
        Some((_, text)) => {
            let (c, _) =
                Checkpoint::open(&text, &row.origin, note_signer.verifier_key()).map_err(|e| {
                    Error::internal(format!("meeting {meeting}: stored checkpoint: {e}"))
                })?;
            if tree.root_at(c.size()).ok() != Some(c.root()) {
                return Err(Error::internal(format!(
                    "meeting {meeting}: the stored log does not match its signed checkpoint of size {}",
                    c.size()
                )));
            }
            Some(c)
        }
    };
    let signer =
        LogSigner::new(&row.origin, note_signer, last.as_ref()).map_err(Error::internal)?;
    Ok(MeetingLog { tree, signer, key })
}

/// A write in progress: the transaction and the meeting's log.
///
/// `tx` is the transaction of the write's *group* (see "Group commit" on
/// `Service::write_inner`); the write's own changes sit in a savepoint
/// inside it, so a write that fails takes back only its own.
pub struct Tx<'a> {
    pub(crate) tx: GroupTx<'a>,
    meeting: String,
    logs: &'a mut HashMap<String, MeetingLog>,
    now_ms: u64,
    /// Entries were appended (the cached log must be dropped on failure).
    appended: bool,
    /// Rounds whose live viewers must hear of this change.
    touched: BTreeSet<String>,
    /// Readings were erased: truncate the WAL after the commit.
    erased: bool,
    /// Idempotency records to redact once this change's own is stored.
    redactions: Vec<Redaction>,
    /// The person acting, whose entries are signed by their key.
    author: Option<Author>,
    /// The signatures the request brought.
    signing: Signing,
    /// Signatures of `signing` used so far.
    used: usize,
    /// Entries that still need the person's signature (prepare: the
    /// change is not made and the reply lists them).
    unsigned: Vec<Value>,
    /// A signature was sent but did not fit its entry (the state changed
    /// since it was prepared, or it was made by another key).
    stale: bool,
    /// This process's secret for [`Tx::salt`].
    salt_secret: [u8; 32],
}

/// The writer's connection inside the group transaction, as the writes
/// see it (`&tx.tx` is a `&Connection`).
pub(crate) struct GroupTx<'a>(&'a Connection);

impl std::ops::Deref for GroupTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.0
    }
}

/// The person a write acts for.
struct Author {
    person: String,
    role: Role,
    /// Their registered key, if they have one.
    key: Option<[u8; 32]>,
}

/// An idempotency record whose request hash and response must not outlive
/// the readings they were made from (a reconciled entry).
pub(crate) struct Redaction {
    pub person: String,
    pub key: String,
    /// Stands for the request from now on (it names no reading).
    pub request_hash: Vec<u8>,
    /// Response fields to drop.
    pub drop: &'static [&'static str],
}

impl Tx<'_> {
    /// The meeting this write belongs to.
    pub fn meeting(&self) -> &str {
        &self.meeting
    }

    /// Appends `event` to the meeting's log: `None` as the service's own
    /// (unsigned) entry, `Some(role)` as the acting person's entry, signed
    /// by their registered key. Returns its leaf index.
    pub fn log(&mut self, role: Option<Role>, event: &Event) -> Result<LeafIndex, Error> {
        let Some(role) = role else {
            return self.append(None, event);
        };
        let key = author_key(self.author.as_ref(), role)?;
        self.append(Some((role.author(), key)), event)
    }

    /// Appends an entry signed by `key`, which the acting person is
    /// registering with it (the entry is its proof of possession).
    pub(crate) fn log_with_new_key(
        &mut self,
        role: Role,
        key: [u8; 32],
        event: &Event,
    ) -> Result<LeafIndex, Error> {
        self.append(Some((role.author(), key)), event)
    }

    fn append(
        &mut self,
        person: Option<(AuthorRole, [u8; 32])>,
        event: &Event,
    ) -> Result<LeafIndex, Error> {
        if !self.logs.contains_key(&self.meeting) {
            let loaded = load_log(&self.tx, &self.meeting)?;
            self.logs.insert(self.meeting.clone(), loaded);
        }
        let Some(log) = self.logs.get_mut(&self.meeting) else {
            return Err(Error::internal("meeting log vanished from the cache"));
        };
        let (role, author) =
            person.unwrap_or((AuthorRole::Service, log.key.verifying_key().to_bytes()));
        let mut entry = new_entry(event, self.now_ms, role, author)?;
        if person.is_some() {
            let signature = match &self.signing {
                Signing::Signed { signatures, .. } => signatures.get(self.used).copied(),
                Signing::Unsigned => None,
            };
            self.used += 1;
            let attached = signature.is_some_and(|sig| entry.attach_signature(sig).is_ok());
            if !attached {
                self.stale |= signature.is_some();
                self.unsigned.push(to_sign(&entry));
            }
        }
        self.appended = true;
        let index = store::log::append(&self.tx, &self.meeting, &entry)?;
        let pushed = log.tree.push_leaf_hash(entry.leaf_hash());
        if pushed != index {
            return Err(Error::internal(format!(
                "log {}: stored index {index} but tree index {pushed}",
                self.meeting
            )));
        }
        if let Some(r) = event.round() {
            self.touched.insert(r.to_string());
        }
        Ok(index)
    }

    /// A salt for a commitment in this change, the same each time the same
    /// change is prepared at the same timestamp in this process (so that a
    /// person's signature over the prepared entry fits when it is made),
    /// and unpredictable to anyone else: it derives from a secret this
    /// process drew at start and never stores.
    pub(crate) fn salt(&self, parts: &[&str]) -> [u8; 16] {
        salt_of(&self.salt_secret, &self.meeting, parts, self.now_ms)
    }

    /// This change erased readings: once it commits, the WAL is truncated
    /// so no page image of them survives there.
    pub(crate) fn erased(&mut self) {
        self.erased = true;
    }

    /// Redacts an idempotency record in this transaction, after the
    /// change's own record was stored.
    pub(crate) fn redact(&mut self, r: Redaction) {
        self.redactions.push(r);
    }

    /// An entry of this change still lacks the person's signature, so the
    /// change will not be made: it is being prepared for signing (428,
    /// `signature_required`), and what it would do after its last signed
    /// entry need not be done.
    pub(crate) fn preparing(&self) -> bool {
        !self.unsigned.is_empty()
    }

    /// Live viewers of `round` must hear of this change even if no event
    /// names it.
    pub fn touch(&mut self, round: &str) {
        self.touched.insert(round.to_string());
    }

    /// The current log size (after this transaction's entries so far).
    pub fn log_size(&mut self) -> Result<u64, Error> {
        if !self.logs.contains_key(&self.meeting) {
            let loaded = load_log(&self.tx, &self.meeting)?;
            self.logs.insert(self.meeting.clone(), loaded);
        }
        Ok(self.logs.get(&self.meeting).map_or(0, |l| l.tree.size().0))
    }
}

/// [`Tx::salt`] and [`Prepare::salt`]: the same for the same change,
/// meeting and timestamp in this process.
fn salt_of(secret: &[u8; 32], meeting: &str, parts: &[&str], now_ms: u64) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"scrutineer/salt/v1\n");
    h.update(secret);
    h.update(meeting.as_bytes());
    for p in parts {
        h.update(b"\n");
        h.update(p.as_bytes());
    }
    h.update(now_ms.to_be_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize()[..16]);
    out
}

/// The key that signs an entry `author` logs in `role`: their registered
/// one (`409 key_required` without it).
fn author_key(author: Option<&Author>, role: Role) -> Result<[u8; 32], Error> {
    let Some(author) = author else {
        return Err(Error::internal("a person's entry written without an actor"));
    };
    let Some(key) = author.key else {
        return Err(Error::conflict(
            "key_required",
            "请先在本设备上生成并登记您的签名密钥，再进行此操作",
            "make and register your signing key on this device first",
        )
        .with(json!({ "person": author.person, "role": author.role.as_str() })));
    };
    if author.role != role {
        return Err(Error::internal(format!(
            "entry in role {} by a person of role {}",
            role.as_str(),
            author.role.as_str()
        )));
    }
    Ok(key)
}

/// The unsigned log entry of `event` at `now_ms` by `author`.
fn new_entry(
    event: &Event,
    now_ms: u64,
    role: AuthorRole,
    author: [u8; 32],
) -> Result<Entry, Error> {
    let payload = event::encode(event);
    Entry::prepare(event.entry_kind(), now_ms, role, author, &payload).map_err(|e| {
        Error::new(
            Kind::Unprocessable,
            "entry_too_large",
            format!("记录过大，无法写入日志：{e}"),
            format!("the record is too large for one log entry: {e}"),
        )
    })
}

/// An entry as the 428 lists it for its author to sign.
fn to_sign(entry: &Entry) -> Value {
    json!({
        "kind": entry.kind().to_string(),
        "entry": base64::engine::general_purpose::STANDARD.encode(entry.encode()),
    })
}

/// A change prepared for its author's signature on a reader's snapshot,
/// outside the writer lock ([`Service::prepare_idempotent`]): it reads
/// the committed state, checks what the change would check, and lists the
/// entries it would log in the author's name, exactly as [`Tx`] would
/// make them at the same timestamp. It writes nothing.
pub(crate) struct Prepare<'a> {
    pub(crate) conn: &'a Connection,
    meeting: &'a str,
    now_ms: u64,
    author: Author,
    salt_secret: [u8; 32],
    unsigned: Vec<Value>,
}

impl Prepare<'_> {
    /// The salt [`Tx::salt`] gives the same change at this timestamp.
    pub(crate) fn salt(&self, parts: &[&str]) -> [u8; 16] {
        salt_of(&self.salt_secret, self.meeting, parts, self.now_ms)
    }

    /// The change would log `event` in the author's name, in `role`: the
    /// entry goes to the list to sign.
    pub(crate) fn sign(&mut self, role: Role, event: &Event) -> Result<(), Error> {
        let key = author_key(Some(&self.author), role)?;
        let entry = new_entry(event, self.now_ms, role.author(), key)?;
        self.unsigned.push(to_sign(&entry));
        Ok(())
    }
}

/// The writer: the one connection that changes the database, and the
/// cached logs.
struct Writer {
    /// Inside a transaction while [`Group::open`].
    conn: Connection,
    logs: HashMap<String, MeetingLog>,
    /// The checkpoint sidecar beside the database ([`store::sidecar`]).
    sidecar: PathBuf,
    /// The last checkpoint issued per meeting, as the sidecar holds it.
    issued: store::sidecar::Issued,
    /// The group of writes in the open transaction.
    group: Group,
}

/// Writes that share one transaction and one commit.
#[derive(Default)]
struct Group {
    /// A transaction is open on the writer's connection.
    open: bool,
    /// The open group's number (the last one's, when none is open).
    id: u64,
    /// Writes in it so far, failed ones included.
    members: usize,
    /// Checkpoints its writes signed: the sidecar's, once it commits.
    issued: Vec<(String, (u64, String))>,
    /// A write in it erased readings: truncate the WAL after the commit.
    erased: bool,
    /// A savepoint could not be taken back: roll the group back.
    poisoned: Option<Error>,
}

/// At most this many writes share one commit, so that the first of a busy
/// group is not kept waiting for ever.
const MAX_GROUP: usize = 64;

/// What a successful write in a group leaves to do once the group commits.
struct Done<T> {
    value: T,
    stamp: Option<Stamp>,
    touched: BTreeSet<String>,
}

impl Writer {
    /// Runs one write `f` in a savepoint of the group transaction (opening
    /// one if none is open): validate, log, update, sign a checkpoint. On
    /// failure the savepoint is rolled back, and the cached tree with it.
    fn member<T>(
        &mut self,
        salt_secret: [u8; 32],
        meeting: &str,
        actor: Option<&Actor>,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, Error>,
    ) -> Result<Done<T>, Error> {
        let Writer {
            conn, logs, group, ..
        } = self;
        let tx: &Connection = conn;
        if !group.open {
            store::group::begin(tx).map_err(|e| Error::internal(format!("begin: {e}")))?;
            group.open = true;
            group.id += 1;
            group.members = 0;
        }
        group.members += 1;
        if let Some(e) = &group.poisoned {
            return Err(e.clone());
        }
        store::group::savepoint(tx).map_err(|e| Error::internal(format!("savepoint: {e}")))?;
        let size_before = logs.get(meeting).map(|l| l.tree.size());
        let mut signed = false;
        let mut appended = false;
        let outcome = run_write(
            tx,
            logs,
            salt_secret,
            meeting,
            actor,
            f,
            &mut appended,
            &mut signed,
        )
        .and_then(|(done, erased)| {
            store::group::release(tx).map_err(|e| Error::internal(format!("release: {e}")))?;
            Ok((done, erased))
        });
        match outcome {
            Ok((done, erased)) => {
                group.erased |= erased;
                if let Some(s) = &done.stamp {
                    group
                        .issued
                        .push((meeting.to_string(), (s.size, s.root.clone())));
                }
                Ok(done)
            }
            Err(e) => {
                if let Err(re) = store::group::rollback_write(tx) {
                    group.poisoned = Some(Error::internal(format!(
                        "an earlier write of this group could not be rolled back: {re}"
                    )));
                }
                // The tree and signer may hold entries that were rolled
                // back: take them back, or reload.
                if appended {
                    match (size_before, signed, logs.get_mut(meeting)) {
                        (Some(size), false, Some(log)) => log.tree.truncate(size),
                        _ => {
                            logs.remove(meeting);
                        }
                    }
                }
                Err(e)
            }
        }
    }

    /// Commits the open group, if any, and, if a write erased readings,
    /// truncates the WAL — before any write of the group is answered.
    /// Returns the outcome and, when the group signed checkpoints, what
    /// the sidecar must now hold ([`Record`]), which the caller writes
    /// after releasing the writer lock but before answering.
    fn commit_group(&mut self) -> Option<(Result<(), Error>, Option<Record>)> {
        if !self.group.open {
            return None;
        }
        self.group.open = false;
        let committed = match self.group.poisoned.take() {
            Some(e) => Err(e),
            None => store::group::commit(&self.conn)
                .map_err(|e| Error::internal(format!("commit: {e}"))),
        };
        if committed.is_err() {
            if let Err(re) = store::group::rollback(&self.conn) {
                tracing::error!(error = %re, "rolling back a failed group");
            }
        }
        let issued = std::mem::take(&mut self.group.issued);
        let erased = std::mem::take(&mut self.group.erased);
        self.group.members = 0;
        if committed.is_err() {
            // The trees and signers hold entries that were rolled back.
            self.logs.clear();
            return Some((committed, None));
        }
        if erased {
            match store::erase_wal(&self.conn) {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!("a reader held the WAL; it is truncated at the next erasure")
                }
                Err(e) => tracing::error!(error = %e, "truncating the WAL"),
            }
        }
        let record = (!issued.is_empty()).then(|| {
            self.issued.extend(issued);
            Record {
                sidecar: self.sidecar.clone(),
                issued: self.issued.clone(),
            }
        });
        Some((committed, record))
    }
}

/// What the checkpoint sidecar must hold once a group committed: every
/// meeting's last checkpoint issued, as of that group.
struct Record {
    sidecar: PathBuf,
    issued: store::sidecar::Issued,
}

impl Record {
    /// Writes the sidecar durably. Committed already: if this fails, the
    /// record lags until the next group's succeeds (it never leads the
    /// database).
    fn write(&self) {
        if let Err(e) = store::sidecar::write(&self.sidecar, &self.issued) {
            tracing::error!(
                sidecar = %self.sidecar.display(),
                error = %e,
                "cannot record the checkpoint in the sidecar"
            );
        }
    }
}

/// The body of one write, inside its savepoint: `f`, the redactions, the
/// checkpoint. Returns what to do after the commit and whether it erased
/// readings; `appended` and `signed` tell the caller what to take back if
/// it fails.
#[allow(clippy::too_many_arguments)]
fn run_write<'t, T>(
    tx: &'t Connection,
    logs: &'t mut HashMap<String, MeetingLog>,
    salt_secret: [u8; 32],
    meeting: &str,
    actor: Option<&Actor>,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, Error>,
    appended: &mut bool,
    signed: &mut bool,
) -> Result<(Done<T>, bool), Error> {
    let now = now_ms();
    let (now, signing, stale) = match actor.map(|a| &a.signing) {
        Some(Signing::Signed { timestamp_ms, .. })
            if timestamp_ms.abs_diff(now) > SIGNING_WINDOW_MS =>
        {
            (now, Signing::Unsigned, true)
        }
        Some(s @ Signing::Signed { timestamp_ms, .. }) => (*timestamp_ms, s.clone(), false),
        _ => (now, Signing::Unsigned, false),
    };
    let author = match actor {
        Some(a) => Some(author_of(tx, a)?),
        None => None,
    };
    let mut ctx = Tx {
        tx: GroupTx(tx),
        meeting: meeting.to_string(),
        logs,
        now_ms: now,
        appended: false,
        touched: BTreeSet::new(),
        erased: false,
        redactions: Vec::new(),
        author,
        signing,
        used: 0,
        unsigned: Vec::new(),
        stale,
        salt_secret,
    };
    // A panic in `f` must not leave its half-made change in the group.
    let value = std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut ctx)))
        .unwrap_or_else(|_| Err(Error::internal("a change failed unexpectedly (panic)")));
    *appended = ctx.appended;
    let value = value?;
    if !ctx.unsigned.is_empty() {
        return Err(signature_required(ctx.now_ms, ctx.stale, &ctx.unsigned));
    }
    // After `f`, so a change's own idempotency record is there.
    for r in std::mem::take(&mut ctx.redactions) {
        redact(&mut ctx, meeting, &r)?;
    }
    let stamp = if ctx.appended {
        let log = ctx
            .logs
            .get_mut(&ctx.meeting)
            .ok_or_else(|| Error::internal("meeting log vanished from the cache"))?;
        let (_, note) = log.signer.sign_tree(&log.tree).map_err(Error::internal)?;
        *signed = true;
        store::log::record_checkpoint(&ctx.tx, &ctx.meeting, &note)?;
        Some(Stamp::of(&log.tree))
    } else {
        None
    };
    Ok((
        Done {
            value,
            stamp,
            touched: ctx.touched,
        },
        ctx.erased,
    ))
}

pub(crate) struct Inner {
    /// Drawn at start, never stored: see [`Tx::salt`].
    salt_secret: [u8; 32],
    path: PathBuf,
    writer: Mutex<Writer>,
    /// Writes waiting for the writer lock: while any are, the holder leaves
    /// the group open for them to join.
    queued: AtomicUsize,
    /// Groups committed and not yet finished, and what became of those
    /// that finished. Posted to under the writer lock, so in the order
    /// they committed.
    recording: Mutex<recording::Recording<Record>>,
    /// A round of [`Inner::recording`] finished some groups.
    group_done: Condvar,
    readers: Mutex<Vec<Connection>>,
    live: live::Hub,
    /// Base of log-in links, e.g. `http://127.0.0.1:8080`.
    public_url: RwLock<String>,
    /// SHA-256 of this process's setup token.
    setup_hash: RwLock<Option<[u8; 32]>>,
}

/// The meeting service. Cheap to clone; all clones share one database.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

/// Readers kept open for reuse: about one per concurrent request under
/// load (20 counters and the live publisher), since opening one reads the
/// schema again.
const MAX_IDLE_READERS: usize = 32;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves data that is still consistent:
    // a transaction in progress was rolled back when it was dropped.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Service {
    /// Opens (creating and migrating if needed) the database at `path`,
    /// after the start-up integrity checks (`integrity`): a database
    /// that is not the one this service last wrote is refused, naming what
    /// differs.
    pub fn open(path: &Path) -> Result<Service, Error> {
        let sidecar = store::sidecar::path_for(path);
        let recorded = store::sidecar::read(&sidecar).map_err(|e| {
            Error::new(
                Kind::Conflict,
                "integrity_refused",
                format!("拒绝启动：无法读取检查点记录 {}：{e}", sidecar.display()),
                format!(
                    "refusing to start: cannot read the checkpoint record {}: {e}",
                    sidecar.display()
                ),
            )
        })?;
        integrity::check_file(path, recorded.as_ref())?;
        let conn = store::open(path)?;
        integrity::check_database(&conn, path, recorded.as_ref())?;
        // From now on the sidecar holds what the database holds.
        let mut issued = store::sidecar::Issued::new();
        for id in store::meeting::meeting_ids(&conn)? {
            if let Some(stamp) = store::log::latest_checkpoint(&conn, &id)?
                .and_then(|(_, note)| stamp_of_note(&note))
            {
                issued.insert(id, (stamp.size, stamp.root));
            }
        }
        if recorded.as_ref() != Some(&issued) {
            store::sidecar::write(&sidecar, &issued)
                .map_err(|e| Error::internal(format!("cannot write {}: {e}", sidecar.display())))?;
        }
        let svc = Service {
            inner: Arc::new(Inner {
                salt_secret: random::<32>()?,
                path: path.to_path_buf(),
                writer: Mutex::new(Writer {
                    conn,
                    logs: HashMap::new(),
                    sidecar,
                    issued,
                    group: Group::default(),
                }),
                queued: AtomicUsize::new(0),
                recording: Mutex::new(recording::Recording::default()),
                group_done: Condvar::new(),
                readers: Mutex::new(Vec::new()),
                live: live::Hub::default(),
                public_url: RwLock::new("http://127.0.0.1:8080".into()),
                setup_hash: RwLock::new(None),
            }),
        };
        let weak = Arc::downgrade(&svc.inner);
        std::thread::Builder::new()
            .name("scrutineer-live".into())
            .spawn(move || live::publisher(weak, round::live_update_now))
            .map_err(|e| Error::internal(format!("cannot start the live publisher: {e}")))?;
        Ok(svc)
    }

    /// Sets the base URL of log-in links (the address the server listens on).
    pub fn set_public_url(&self, url: &str) {
        if let Ok(mut u) = self.inner.public_url.write() {
            *u = url.trim_end_matches('/').to_string();
        }
    }

    fn login_url(&self, token: &str) -> String {
        let base = self
            .inner
            .public_url
            .read()
            .map(|u| u.clone())
            .unwrap_or_default();
        format!("{base}/#token={token}")
    }

    /// Makes a fresh setup token for this process (printed by `serve`).
    pub fn new_setup_token(&self) -> Result<String, Error> {
        let token = new_token()?;
        if let Ok(mut h) = self.inner.setup_hash.write() {
            *h = Some(token_hash(&token));
        }
        Ok(token)
    }

    /// The live-update hub (for SSE subscriptions).
    pub fn live(&self) -> &live::Hub {
        &self.inner.live
    }

    /// Who holds `token`: 401 if nobody, or if it was revoked.
    pub fn authenticate(&self, token: &str) -> Result<Caller, Error> {
        let hash = token_hash(token);
        let setup = self.inner.setup_hash.read().ok().and_then(|h| *h);
        if setup == Some(hash) {
            return Ok(Caller::Setup);
        }
        let found = self.read(|conn| Ok(store::meeting::token_by_hash(conn, &hash)?))?;
        let Some((t, p)) = found else {
            return Err(Error::new(
                Kind::Unauthorized,
                "token_invalid",
                "令牌无效",
                "the token is not valid",
            ));
        };
        if t.revoked {
            return Err(Error::new(
                Kind::Unauthorized,
                "token_revoked",
                "令牌已被撤销",
                "the token has been revoked",
            ));
        }
        let role = p.role;
        Ok(Caller::Person(Actor {
            meeting: t.meeting,
            person: p.id,
            role,
            name: p.name,
            token: t.id,
            signing: Signing::Unsigned,
        }))
    }

    /// Runs a read on a pooled reader connection.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let pooled = lock(&self.inner.readers).pop();
        let conn = match pooled {
            Some(c) => c,
            None => store::open_reader(&self.inner.path)?,
        };
        let out = f(&conn);
        let mut readers = lock(&self.inner.readers);
        if readers.len() < MAX_IDLE_READERS {
            readers.push(conn);
        }
        out
    }

    /// Runs a change to `meeting` in one transaction: `f` validates, logs
    /// events and updates state; then a checkpoint is signed over the new
    /// log and everything commits together. Live viewers of the rounds the
    /// change touched are told after the commit.
    pub(crate) fn write<T>(
        &self,
        meeting: &str,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, Error>,
    ) -> Result<(T, Option<Stamp>), Error> {
        self.write_inner(meeting, None, f)
    }

    /// [`Service::write`] for a change `actor` makes: the entries it logs
    /// in the actor's role are signed by the actor's registered key, with
    /// the signatures the request carries ([`Signing`]). Without them (or
    /// when they no longer fit, because the state changed since they were
    /// made), nothing changes and the error `signature_required` (428)
    /// lists the entries to sign.
    pub(crate) fn write_as<T>(
        &self,
        actor: &Actor,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, Error>,
    ) -> Result<(T, Option<Stamp>), Error> {
        self.write_inner(&actor.meeting, Some(actor), f)
    }

    /// Group commit: a write runs in a savepoint of the *group*
    /// transaction, which the writer leaves open while other writes wait
    /// for the writer lock; the last of them (the one that finds nobody
    /// waiting, or the [`MAX_GROUP`]th) commits the group — one commit and
    /// one fsync for all — and, if any write erased readings, truncates
    /// the WAL; then it posts the group ([`recording`]) and releases the
    /// writer lock (the next group's writes run). The checkpoint sidecar
    /// is written outside the writer lock, one round at a time, once for
    /// every group posted meanwhile. Only once the group committed and a
    /// sidecar holding its checkpoints is durable is any write of the
    /// group acknowledged, and groups finish in the order they committed:
    /// a successful write returns after its group committed, and fails if
    /// the group did not. A write that fails is rolled back to its
    /// savepoint and answers at once (it changed nothing). Readers see a
    /// group only once it committed.
    pub(crate) fn write_inner<T>(
        &self,
        meeting: &str,
        actor: Option<&Actor>,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, Error>,
    ) -> Result<(T, Option<Stamp>), Error> {
        self.inner.queued.fetch_add(1, Ordering::SeqCst);
        let mut guard = lock(&self.inner.writer);
        self.inner.queued.fetch_sub(1, Ordering::SeqCst);
        let outcome = guard.member(self.inner.salt_secret, meeting, actor, f);
        let group = guard.group.id;
        let last =
            self.inner.queued.load(Ordering::SeqCst) == 0 || guard.group.members >= MAX_GROUP;
        let committed = if last { guard.commit_group() } else { None };
        let mut r = match committed {
            None => {
                drop(guard);
                lock(&self.inner.recording)
            }
            Some((committed, record)) => {
                // Posted under the writer lock, so groups finish in the
                // order they committed; the next group runs its writes
                // while this one's sidecar is made durable.
                let mut r = lock(&self.inner.recording);
                r.post(group, committed, record);
                drop(guard);
                r
            }
        };
        let done = match outcome {
            Ok(done) => done,
            Err(e) => {
                // Answers at once; but if it posted its group with no
                // round in progress, it makes the round (every other
                // write of the group waits for one).
                if let Some(round) = r.take_round(group) {
                    drop(self.record(r, round));
                }
                return Err(e);
            }
        };
        self.settle(r, group)?;
        if done.stamp.is_some() {
            for round in &done.touched {
                self.inner.live.changed(meeting, round);
            }
        }
        Ok((done.value, done.stamp))
    }

    /// Waits until group `id` finished, making the round that finishes it
    /// when its turn comes ([`recording`]): its error if it did not
    /// commit.
    fn settle<'a>(
        &'a self,
        mut r: MutexGuard<'a, recording::Recording<Record>>,
        id: u64,
    ) -> Result<(), Error> {
        loop {
            if let Some(outcome) = r.outcome(id) {
                return outcome;
            }
            r = match r.take_round(id) {
                Some(round) => self.record(r, round),
                None => self
                    .inner
                    .group_done
                    .wait(r)
                    .unwrap_or_else(|p| p.into_inner()),
            };
        }
    }

    /// Makes one round: writes the sidecar durably (outside every lock),
    /// then finishes the round's groups and wakes the writes waiting.
    fn record<'a>(
        &'a self,
        r: MutexGuard<'a, recording::Recording<Record>>,
        round: recording::Round<Record>,
    ) -> MutexGuard<'a, recording::Recording<Record>> {
        drop(r);
        if let Some(record) = &round.record {
            record.write();
        }
        let mut r = lock(&self.inner.recording);
        r.finish(round.groups);
        self.inner.group_done.notify_all();
        r
    }

    /// Runs `f` as a change under an idempotency key: a retry with the same
    /// key and request returns the stored reply and changes nothing; the
    /// key is stored in the same transaction as the change.
    ///
    /// `erased_hash`, if given, is what the stored hash is replaced with
    /// once the request's readings are erased ([`Redaction`]): a retry then
    /// still gets the (redacted) reply, though its body can no longer be
    /// compared.
    pub(crate) fn write_idempotent(
        &self,
        actor: &Actor,
        key: &str,
        request: &[u8],
        erased_hash: Option<&[u8]>,
        f: impl FnOnce(&mut Tx<'_>) -> Result<Reply, Error>,
    ) -> Result<Reply, Error> {
        check_idempotency_key(key)?;
        let request_hash: Vec<u8> = Sha256::digest(request).to_vec();
        let (reply, stamp) = self.write_as(actor, |tx| {
            if let Some(stored) =
                store::idempotency::get(&tx.tx, &actor.meeting, &actor.person, key)?
            {
                return replay(stored, &request_hash, erased_hash);
            }
            let reply = f(tx)?;
            store::idempotency::put(
                &tx.tx,
                &actor.meeting,
                &actor.person,
                key,
                &store::idempotency::Stored {
                    request_hash: request_hash.clone(),
                    status: reply.status,
                    response: reply.body.to_string(),
                },
            )?;
            Ok(reply)
        })?;
        Ok(if reply.replayed {
            reply
        } else {
            reply.stamped(stamp)
        })
    }

    /// The first request of a signed change under an idempotency key
    /// ([`Service::write_idempotent`]), made on a reader's snapshot
    /// instead of under the writer lock: a request without signatures
    /// changes nothing and is answered with the entries to sign (428), so
    /// it need not wait for the writer nor hold it. `prepare` checks on
    /// the snapshot what the change checks and lists, through
    /// [`Prepare::sign`], the entries it would log in the actor's name.
    ///
    /// Returns `Ok(None)` when the request must go to the writer after
    /// all: it carries signatures, or `prepare` listed no entry to sign.
    /// Otherwise the stored reply of a request already made under `key`,
    /// or the error a change would end with: the 428 with the entries, or
    /// a refusal. Why a snapshot is enough: the signed request runs the
    /// whole change again under the writer lock, and its signatures are
    /// accepted only over the entries as it makes them then; if the state
    /// moved in between, the entries differ and it is answered with a
    /// fresh 428 (`stale`), never applied over a stale check. A refusal
    /// here is true of a committed state, later than every change already
    /// acknowledged (docs/service.md, "Signed changes prepared outside
    /// the writer").
    pub(crate) fn prepare_idempotent(
        &self,
        actor: &Actor,
        key: &str,
        request: &[u8],
        erased_hash: Option<&[u8]>,
        prepare: impl FnOnce(&mut Prepare<'_>) -> Result<(), Error>,
    ) -> Result<Option<Reply>, Error> {
        if !matches!(actor.signing, Signing::Unsigned) {
            return Ok(None);
        }
        check_idempotency_key(key)?;
        let request_hash: Vec<u8> = Sha256::digest(request).to_vec();
        let salt_secret = self.inner.salt_secret;
        self.read(|conn| {
            store::snapshot(conn, |conn| {
                if let Some(stored) =
                    store::idempotency::get(conn, &actor.meeting, &actor.person, key)?
                {
                    return replay(stored, &request_hash, erased_hash).map(Some);
                }
                let mut p = Prepare {
                    conn,
                    meeting: &actor.meeting,
                    now_ms: now_ms(),
                    author: author_of(conn, actor)?,
                    salt_secret,
                    unsigned: Vec::new(),
                };
                prepare(&mut p)?;
                if p.unsigned.is_empty() {
                    return Ok(None);
                }
                Err(signature_required(p.now_ms, false, &p.unsigned))
            })
        })
    }

    /// The latest signed checkpoint of a meeting and its log key.
    pub fn checkpoint(&self, actor: &Actor) -> Result<Reply, Error> {
        self.read(|conn| {
            let m = store::meeting::meeting(conn, &actor.meeting)?
                .ok_or_else(|| Error::not_found("会议", "meeting", &actor.meeting))?;
            let key = log_verifier_key(&m)?;
            let Some((_, note)) = store::log::latest_checkpoint(conn, &actor.meeting)? else {
                return Err(Error::internal("a meeting without a checkpoint"));
            };
            let (c, _) = Checkpoint::open(&note, &m.origin, &key).map_err(Error::internal)?;
            Ok(Reply::ok(serde_json::json!({
                "origin": m.origin,
                "size": c.size().0,
                "root": base64::engine::general_purpose::STANDARD.encode(c.root().0),
                "note": note,
                "log_key": key.to_string(),
            })))
        })
    }
}

/// An `Idempotency-Key` header: 1–128 visible ASCII characters.
fn check_idempotency_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::new(
            Kind::Unprocessable,
            "invalid_field",
            "Idempotency-Key 须为 1–128 个可见 ASCII 字符",
            "Idempotency-Key must be 1 to 128 visible ASCII characters",
        )
        .at("Idempotency-Key"));
    }
    Ok(())
}

/// The stored reply of a request made before under the same key, if it
/// is the same request (`request_hash`, or `erased_hash` once its
/// readings were erased).
fn replay(
    stored: store::idempotency::Stored,
    request_hash: &[u8],
    erased_hash: Option<&[u8]>,
) -> Result<Reply, Error> {
    if stored.request_hash != request_hash && Some(stored.request_hash.as_slice()) != erased_hash {
        return Err(Error::new(
            Kind::Unprocessable,
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于另一个请求",
            "this Idempotency-Key was already used for a different request",
        )
        .at("Idempotency-Key"));
    }
    let body: Value = serde_json::from_str(&stored.response)
        .map_err(|e| Error::internal(format!("stored response: {e}")))?;
    Ok(Reply {
        status: stored.status,
        body,
        checkpoint: None,
        replayed: true,
    })
}

/// The acting person with their registered key.
fn author_of(conn: &Connection, actor: &Actor) -> Result<Author, Error> {
    let p = store::meeting::person(conn, &actor.meeting, &actor.person)?
        .ok_or_else(|| Error::internal(format!("person {} vanished", actor.person)))?;
    let key = match p.key.as_deref() {
        None => None,
        Some(text) => Some(
            crate::log::note::VerifierKey::parse(text)
                .map_err(|e| Error::internal(format!("person {}: stored key: {e}", p.id)))?
                .public_key()
                .to_bytes(),
        ),
    };
    Ok(Author {
        person: actor.person.clone(),
        role: actor.role,
        key,
    })
}

/// The refusal that carries the entries a person must sign (428).
fn signature_required(timestamp_ms: u64, stale: bool, entries: &[Value]) -> Error {
    let (zh, en) = if stale {
        (
            "会议状态已变化或签名不符，请在本设备上重新签名",
            "the meeting changed since the entries were signed, or a signature does not fit: sign again on this device",
        )
    } else {
        (
            "此操作须由您本人签名：请用本设备上的密钥签名下列记录后重新提交",
            "this change must be signed by you: sign these entries with the key on this device and send it again",
        )
    };
    Error::new(Kind::PreconditionRequired, "signature_required", zh, en).with(json!({
        "sign": { "timestamp": timestamp_ms, "entries": entries, "stale": stale }
    }))
}

/// Applies a [`Redaction`] to the idempotency record it names, if stored.
fn redact(tx: &mut Tx<'_>, meeting: &str, r: &Redaction) -> Result<(), Error> {
    let Some(stored) = store::idempotency::get(&tx.tx, meeting, &r.person, &r.key)? else {
        return Ok(());
    };
    let mut body: Value = serde_json::from_str(&stored.response)
        .map_err(|e| Error::internal(format!("stored response: {e}")))?;
    if let Value::Object(o) = &mut body {
        for f in r.drop {
            o.remove(*f);
        }
    }
    store::idempotency::redact(
        &tx.tx,
        meeting,
        &r.person,
        &r.key,
        &store::idempotency::Stored {
            request_hash: r.request_hash.clone(),
            status: stored.status,
            response: body.to_string(),
        },
    )?;
    Ok(())
}

/// The verifier key of a meeting's log.
fn log_verifier_key(
    m: &store::meeting::MeetingRow,
) -> Result<crate::log::note::VerifierKey, Error> {
    let name = KeyName::new(&m.origin).map_err(Error::internal)?;
    Ok(NoteSigner::new(name, SigningKey::from_bytes(&m.log_key))
        .verifier_key()
        .clone())
}

/// The root of a stored checkpoint note, in the `Stamp` form.
fn stamp_of_note(note: &str) -> Option<Stamp> {
    let n = crate::log::note::Note::parse(note).ok()?;
    let c = Checkpoint::parse(n.text()).ok()?;
    Some(Stamp {
        size: c.size().0,
        root: base64::engine::general_purpose::STANDARD.encode(c.root().0),
    })
}
