//! `apply` and `destroy`: carry out a prepared plan's calls, then record
//! the history. Planning is `ops::plan`; the prompt between the two is the
//! CLI's.

use super::Reporter;
use super::history::{self, Outcome, Started};
use super::plan::Prepared;
use crate::apply::{self, ApplyContext, ApplyResult};
use crate::logging::phase;
use crate::state::StateDocument;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Where an apply that could not record everything leaves what happened.
pub(crate) const ERRORED_FILE: &str = "errored.sfstate.json";

/// A plan, carried out.
pub(crate) struct Applied {
    pub(crate) prepared: Prepared,
    pub(crate) result: ApplyResult,
    /// Set when calls took effect that state could not record: the file
    /// holding the whole state as it should be, or why it could not be
    /// written (then the document itself, to save by hand).
    pub(crate) errored: Option<Result<PathBuf, (anyhow::Error, String)>>,
}

impl Applied {
    /// Every call done and nothing interrupted.
    pub(crate) fn succeeded(&self) -> bool {
        self.result.is_complete() && !self.result.interrupted
    }
}

/// The state as it should be after this apply: what the plan was made
/// from, plus the state writes of every call that took effect, in plan
/// order (which respects their dependencies).
///
/// Its serial is the one `state push` of it will leave: one past what the
/// backend reached (the state-only write, then each recorded call), so the
/// file and the push's "now at serial N" agree, and the push is accepted.
fn state_after(prepared: &Prepared, result: &ApplyResult) -> StateDocument {
    let mut state = prepared.recorded.clone();
    let mut reached = state.serial;
    if !prepared.plan.state_only.is_empty() {
        state.apply(&prepared.plan.state_only);
        reached += 1;
    }
    for (call, outcome) in prepared.plan.calls.iter().zip(&result.outcomes) {
        if ApplyResult::took_effect(outcome) {
            state.apply(&call.state_ops);
        }
        if matches!(outcome, crate::apply::CallOutcome::Done) {
            reached += 1;
        }
    }
    state.serial = reached + 1;
    StateDocument::from_recorded(&state)
}

/// Writes `document` to `dir/errored.sfstate.json`, owner-only.
fn write_errored(dir: &Path, document: &StateDocument) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(ERRORED_FILE);
    let text = serde_json::to_string_pretty(document)? + "\n";
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("could not create {}", path.display()))?;
    // An existing file keeps its mode on open: make sure.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .with_context(|| format!("could not restrict {}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(path)
}

/// What a process stopped at once (a second Ctrl-C) still does before it
/// exits: set while an apply runs, taken by whoever comes first.
#[derive(Clone, Default)]
pub(crate) struct LastWords(Arc<std::sync::Mutex<Option<Words>>>);

type Words = Box<dyn FnOnce() + Send>;

impl LastWords {
    fn set(&self, words: Words) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(words);
    }

    fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }

    /// Runs them, if set and not yet run.
    pub(crate) fn say(&self) {
        let words = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(words) = words {
            words();
        }
    }
}

/// Runs the plan's calls (`parallelism` at a time; no new one once `cancel`
/// is set) and records them in the history as `command`.
pub(crate) async fn carry_out(
    prepared: Prepared,
    command: &str,
    started: Started,
    parallelism: usize,
    cancel: Arc<AtomicBool>,
    reporter: Arc<dyn Reporter>,
    last_words: &LastWords,
) -> anyhow::Result<Applied> {
    let changes: Vec<String> = prepared
        .plan
        .changes
        .iter()
        .map(|c| match &c.previous_address {
            // Both ends of an address change, so history can be followed.
            Some(from) => format!("{}: {} from {from}", c.address, c.action),
            None => format!("{}: {}", c.address, c.action),
        })
        .collect();
    {
        // A second Ctrl-C ends the process at once: the history still says
        // this apply ran, and was stopped.
        let store = prepared.store.clone();
        let command = command.to_string();
        let started = started.clone();
        let changes = changes.clone();
        let reporter = reporter.clone();
        last_words.set(Box::new(move || {
            let _ = history::append(
                store.as_ref(),
                &command,
                started,
                changes,
                Outcome::Interrupted,
                reporter.as_ref(),
            );
        }));
    }
    let executing = phase("execute");
    let tokens = prepared
        .desired
        .pages
        .iter()
        .filter_map(|p| p.access_token.clone().map(|t| (p.address.clone(), t)))
        .collect();
    let result = apply::apply(
        &prepared.plan,
        ApplyContext {
            client: prepared.connection.client.clone(),
            store: prepared.store.clone(),
            tokens,
            public_keys: prepared
                .desired
                .applications
                .iter()
                .filter_map(|a| a.public_key.clone().map(|k| (a.address.clone(), k)))
                .collect(),
            parallelism,
            cancel,
            reporter: reporter.clone(),
        },
    )
    .await?;
    drop(executing);

    let outcome = if result.interrupted {
        Outcome::Interrupted
    } else if result.is_complete() {
        Outcome::Complete
    } else {
        Outcome::Failed
    };
    // The second Ctrl-C has nothing left to write once this runs.
    last_words.clear();
    let unwritten = history::append(
        prepared.store.as_ref(),
        command,
        started,
        changes,
        outcome,
        reporter.as_ref(),
    );
    let errored = (result.unrecorded() > 0).then(|| {
        let mut document = state_after(&prepared, &result);
        // An apply that made calls leaves a history entry: written now by
        // `state push` when the backend refused it.
        document.history.extend(unwritten);
        write_errored(&prepared.dir, &document).map_err(|error| {
            let text = serde_json::to_string_pretty(&document).unwrap_or_default();
            (error, text)
        })
    });
    Ok(Applied {
        prepared,
        result,
        errored,
    })
}
