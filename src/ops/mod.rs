//! The operations layer: one operation per command, between the CLI and
//! the stages (config → state + refresh → plan → apply).
//!
//! An operation takes its inputs and a `Reporter` and returns a result; it
//! never prints. The CLI maps arguments onto an operation and hands what it
//! returns to `render`. Reporters carry what happens while an operation runs
//! (waiting for a lock, refreshing, each API call, warnings) so that a
//! terminal, JSON mode and tests all share one engine.

pub(crate) mod apply;
pub(crate) mod drift;
pub(crate) mod fmt;
pub(crate) mod history;
pub(crate) mod import;
pub(crate) mod login;
pub(crate) mod plan;
pub(crate) mod show;
pub(crate) mod state_edit;
pub(crate) mod tokens;

use crate::apply::CallObserver;
use crate::refresh::RefreshObserver;
use crate::session::SessionObserver;
use crate::state::LockObserver;

/// Everything an operation may tell while it runs: the session's events
/// (refresh, warnings such as history that could not be written), the
/// lock's and each API call's. Every method has a default that ignores the
/// event.
pub(crate) trait Reporter: CallObserver + LockObserver + SessionObserver {}

/// Tells nothing: for `--json`, where the document at the end says it all.
pub struct Silent;

impl CallObserver for Silent {}
impl LockObserver for Silent {}
impl RefreshObserver for Silent {}
impl SessionObserver for Silent {}
impl Reporter for Silent {}
