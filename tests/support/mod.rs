//! What the integration tests (`tests/it/`) and the end-to-end benches share:
//! the real `socialform` binary, a `sandbox serve` child to run it against,
//! a configuration directory to run it in, transcripts that expect whole
//! outputs, an in-process sandbox with a library client for the remote and
//! sandbox tests, and fleet configurations of many pages.
//!
//! No mocks: what the tests see is what a user's terminal and the sandbox's
//! request log see.
//!
//! The benches include this module by path (`#[path = "../tests/support/mod.rs"]`)
//! and use only part of it.

mod child;
mod fleet;
mod in_process;
mod postgres;
mod project;
mod proxy;
mod transcript;

pub use child::*;
pub use fleet::*;
pub use in_process::*;
pub use postgres::*;
pub use project::*;
pub use proxy::*;
pub use transcript::*;

/// The `socialform` binary under test: cargo's build of it, or the one
/// `SOCIALFORM_BIN` names (a release build, or a copy kept apart from a
/// target directory that other checkouts also build into).
pub fn bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var("SOCIALFORM_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_socialform").to_string())
    })
}

/// The sandbox's demo applications (`--seed-demo`), as `DEMO_APPLICATIONS`
/// lists them: two with Messages, one without.
pub const APP1: &str = "c0ffee00-0000-4000-8000-000000000001";
pub const APP2: &str = "c0ffee00-0000-4000-8000-000000000002";
pub const NO_MESSAGES_APP: &str = "c0ffee00-0000-4000-8000-000000000003";
