//! The history of applies, imports and state edits, written in one place.

use super::Reporter;
use crate::session::Backend;
use crate::state::{HistoryEntry, LockRequest, StateStore, now_rfc3339};

/// How a command that changed something ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Complete,
    Failed,
    Interrupted,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
        }
    }
}

/// When a command started, taken before it does anything.
#[derive(Clone)]
pub(crate) struct Started(String);

impl Started {
    pub(crate) fn now() -> Started {
        Started(now_rfc3339())
    }
}

/// Appends one entry: `changes` are lines such as `page.support: connect`.
/// The state itself is already written; a history that could not be is
/// worth a warning, not a failure.
pub(crate) fn append(
    store: &dyn StateStore,
    command: &str,
    started: Started,
    changes: Vec<String>,
    outcome: Outcome,
    reporter: &dyn Reporter,
) -> Option<HistoryEntry> {
    let entry = HistoryEntry::ending_now(command, started.0, changes, outcome.as_str());
    append_entry(store, entry, reporter)
}

/// Appends `entry`; when the backend refuses, warns and gives it back
/// (unwritten), for the caller to keep (an apply puts it in
/// `errored.sfstate.json`).
pub(crate) fn append_entry(
    store: &dyn StateStore,
    entry: HistoryEntry,
    reporter: &dyn Reporter,
) -> Option<HistoryEntry> {
    match store.append_history(&entry) {
        Ok(()) => None,
        Err(error) => {
            reporter.warning(&format!("the history could not be written: {error:#}"));
            Some(entry)
        }
    }
}

/// Past entries, newest first, at most `limit` of them; none without state.
/// Waits for the lock as `show` does.
pub(crate) fn list(
    backend: &Backend,
    limit: Option<usize>,
    lock_timeout: std::time::Duration,
    reporter: std::sync::Arc<dyn Reporter>,
) -> anyhow::Result<Vec<HistoryEntry>> {
    let Some(store) =
        backend
            .state
            .open_existing(&LockRequest::waiting("history", lock_timeout, reporter))?
    else {
        return Ok(Vec::new());
    };
    let mut entries = store.history()?;
    entries.reverse();
    if let Some(limit) = limit {
        entries.truncate(limit);
    }
    Ok(entries)
}
