//! scrutineer: ballot counting for party elections (党内选举计票).
//!
//! It applies the election method (选举办法) a meeting adopted — quorum,
//! differential ratio, ballot validity, the majority threshold and its base,
//! ties at the cut-off, shortfalls — with integers only, keeps every act of
//! the meeting in a signed append-only log (RFC 6962 tree, C2SP notes), and
//! lets an auditor recount every published result from that log offline.
//!
//! # Layout
//!
//! The dependency direction is the invariant: the pure modules at the top
//! import nothing from the ones below them and never touch files, sockets,
//! the clock or randomness (`tests/architecture.rs` checks it).
//!
//! | module | what lives there |
//! |---|---|
//! | [`rules`] | PURE. The method and presets, a round's facts and ballots, validity, the outcome (quorum → list rule → box check → count → threshold → seats) |
//! | [`count`] | PURE. Ballots packed at 2 bits per line and the tally kernels; the only `unsafe` (SIMD, in `count/simd.rs`) |
//! | [`log`] | PURE. Merkle tree and proofs, signed notes, checkpoints, cosignatures, the entry envelope, meeting events, the bundle and its verifier |
//! | [`report`] | PURE. Human output: the vote report, the 选举办法 text, the verification report, in Chinese and English |
//! | [`state`] | PURE. The states of batches, rounds, differences, roles and elections as enums, their moves as functions |
//! | [`store`] | The only module that knows SQL: migrations, the append-only log tables, the state tables |
//! | [`service`] | Use cases of the meeting service: validate → event → signed entry → log → state, in one transaction |
//! | [`http`] | axum routes, bearer tokens, SSE, the one error → problem+json mapping, the embedded web UI |
//! | [`bundle_io`] | A bundle from/to a directory or a zip; the verifier spread over the cores |
//! | [`import`] | Streaming bulk import of ballot-reader files |
//! | [`cli`] | The commands of the `scrutineer` binary |
//!
//! `ARCHITECTURE.md` gives the invariants and the reasons for them;
//! `docs/` the method parameters, the service, the API and the audit bundle.
//!
//! # Example: count a round
//!
//! A round file (CONTRACT §2) in, the outcome and the vote report out:
//!
//! ```
//! use scrutineer::report::{vote_report, Lang};
//! use scrutineer::rules::{evaluate, roundfile, Status};
//!
//! let file = roundfile::parse(
//!     r#"{
//!       "method": {"preset": "grassroots-2020"},
//!       "round": {"kind": "formal", "contest": "委员", "office": "committee",
//!                 "seats": 2, "candidates": ["张三", "李四", "王五"],
//!                 "entitled": 10, "present": 9},
//!       "ballots": ["YYN", "YYN", "YYN", "YYN", "YNY", "YNY", "NYY", "AAA", "YYN"]
//!     }"#,
//!     None,
//! )?;
//! let result = evaluate(&file.method, &file.round, &file.ballots);
//! assert_eq!(result.status, Status::Complete);
//! assert_eq!(result.elected, ["张三", "李四"]);
//! let text = vote_report::render(&file.method, &file.round, &result, Lang::Zh);
//! assert!(text.contains("张三"));
//! # Ok::<(), scrutineer::rules::InputError>(())
//! ```
//!
//! The same round through the binary: `scrutineer tally ROUND.json`.

pub mod bundle_io;
pub mod cli;
pub mod count;
pub mod http;
pub mod import;
pub mod log;
pub mod report;
pub mod rules;
pub mod service;
pub mod state;
pub mod store;
