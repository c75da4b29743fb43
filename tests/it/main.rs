//! The integration tests, as one binary: each module drives the real
//! `socialform` binary or the library against a sandbox over loopback HTTP.
//! `cargo test --test it cli::` runs one module.

// Some of the support module serves only the benches.
#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod applications;
mod apply_engine;
mod apply_slots;
mod bad_input;
mod channels;
mod chaos;
mod cli;
mod concurrency;
mod count;
mod drift;
mod facebook;
mod fmt_validate;
mod formats;
mod friction;
mod guard_rails;
mod https_proxy;
mod import;
mod interrupts;
mod json_vars;
mod lifecycle;
mod login;
mod misbehaving_api;
mod moved;
mod postgres;
mod postgres_tls;
mod rate_limit;
mod remote_accounts;
mod remote_applications;
mod remote_errors;
mod remote_paging;
mod sandbox_faults;
mod sandbox_graph;
mod sandbox_persistence;
mod sandbox_spec;
mod saved_plan;
mod state_cmd;
mod terminal;
