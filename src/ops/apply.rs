//! `apply` and `destroy`: carry out a prepared plan's calls, then record
//! the history. Planning is `ops::plan`; the prompt between the two is the
//! CLI's.

use super::Reporter;
use super::history::{self, Outcome, Started};
use super::plan::Prepared;
use crate::apply::{self, ApplyContext, ApplyResult};
use crate::logging::phase;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// A plan, carried out.
pub struct Applied {
    pub prepared: Prepared,
    pub result: ApplyResult,
}

impl Applied {
    /// Every call done and nothing interrupted.
    pub fn succeeded(&self) -> bool {
        self.result.is_complete() && !self.result.interrupted
    }
}

/// Runs the plan's calls (`parallelism` at a time; no new one once `cancel`
/// is set) and records them in the history as `command`.
pub async fn carry_out(
    prepared: Prepared,
    command: &str,
    started: Started,
    parallelism: usize,
    cancel: Arc<AtomicBool>,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Applied> {
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
    let changes = prepared
        .plan
        .changes
        .iter()
        .map(|c| format!("{}: {}", c.address, c.action))
        .collect();
    history::append(
        prepared.store.as_ref(),
        command,
        started,
        changes,
        outcome,
        reporter.as_ref(),
    );
    Ok(Applied { prepared, result })
}
