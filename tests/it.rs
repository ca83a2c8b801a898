//! The integration tests, in one binary so that the crate is linked once
//! (CONTRIBUTING.md: the quick loop). Each module is one file beside this
//! one; `tests/browser.rs` (headless Chromium) is the other test binary.
//! `tests/architecture.rs` checks that no test file is left out.

mod common;
mod sim;

#[path = "architecture.rs"]
mod architecture;
#[path = "ballot_readers.rs"]
mod ballot_readers;
#[path = "c2sp.rs"]
mod c2sp;
#[path = "casebook.rs"]
mod casebook;
#[path = "cli.rs"]
mod cli;
#[path = "fuzz_verify.rs"]
mod fuzz_verify;
#[path = "golden.rs"]
mod golden;
#[path = "hostile_input.rs"]
mod hostile_input;
#[path = "issue11_service.rs"]
mod issue11_service;
#[path = "kernels_agree.rs"]
mod kernels_agree;
#[path = "key_replacement.rs"]
mod key_replacement;
#[path = "listener.rs"]
mod listener;
#[path = "method_doc.rs"]
mod method_doc;
#[path = "openapi.rs"]
mod openapi;
#[path = "pipelines.rs"]
mod pipelines;
#[path = "procedures.rs"]
mod procedures;
#[path = "properties.rs"]
mod properties;
#[path = "ratings.rs"]
mod ratings;
#[path = "rules.rs"]
mod rules;
#[path = "server_log.rs"]
mod server_log;
#[path = "service_attacks.rs"]
mod service_attacks;
#[path = "service_authz.rs"]
mod service_authz;
#[path = "service_box.rs"]
mod service_box;
#[path = "service_crash.rs"]
mod service_crash;
#[path = "service_decisions.rs"]
mod service_decisions;
#[path = "service_election.rs"]
mod service_election;
#[path = "service_entry_order.rs"]
mod service_entry_order;
#[path = "service_errors.rs"]
mod service_errors;
#[path = "service_flow.rs"]
mod service_flow;
#[path = "service_group_commit.rs"]
mod service_group_commit;
#[path = "service_import.rs"]
mod service_import;
#[path = "service_meeting.rs"]
mod service_meeting;
#[path = "service_offers.rs"]
mod service_offers;
#[path = "service_totals.rs"]
mod service_totals;
#[path = "stages_forged.rs"]
mod stages_forged;
#[path = "trust.rs"]
mod trust;
#[path = "verify.rs"]
mod verify;
#[path = "web_ui.rs"]
mod web_ui;
#[path = "witness.rs"]
mod witness;
