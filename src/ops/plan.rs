//! `plan` and what `apply` and `destroy` plan first: the session's run
//! (configuration, state, both APIs read), then the plan, refused before
//! any call if it would send a token Facebook called invalid. Also making
//! and checking saved plans.

use super::Reporter;
use crate::actual::Actual;
use crate::config::CliVar;
use crate::desired::Desired;
use crate::facebook::TokenHealth;
use crate::logging::phase;
use crate::plan::resource_changes::{self, ResourceChange};
use crate::plan::saved::{
    ConfigurationDigest, Now, PLAN_FORMAT, SavedPlan, configuration_digest, state_digests,
};
use crate::plan::{self, CallOp, Plan, PlanOptions};
use crate::secret::Secret;
use crate::session::{Connection, Intent, RunRequest, Session};
use crate::state::{LockRequest, Recorded, StateStore};
use anyhow::bail;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What to plan.
pub(crate) struct PlanRequest {
    pub(crate) vars: Vec<CliVar>,
    pub(crate) options: PlanOptions,
    /// Read the remote side first (`--refresh=false` plans from state alone).
    pub(crate) refresh: bool,
    pub(crate) lock_timeout: Duration,
    /// The command, recorded as the lock's holder.
    pub(crate) command: &'static str,
}

/// A plan and everything it was made from: what `apply` carries out and
/// `--out` saves. Holds the state's lock until dropped.
pub(crate) struct Prepared {
    /// The configuration directory (where `errored.sfstate.json` goes).
    pub(crate) dir: PathBuf,
    pub(crate) desired: Desired,
    pub(crate) options: PlanOptions,
    pub(crate) refreshed: bool,
    /// The state the plan was made from.
    pub(crate) recorded: Recorded,
    pub(crate) plan: Plan,
    pub(crate) store: Arc<dyn StateStore>,
    pub(crate) connection: Connection,
}

impl Prepared {
    pub(crate) fn has_changes(&self) -> bool {
        !self.plan.changes.is_empty() || !self.plan.calls.is_empty()
    }

    /// The configuration's digests, for saved plans only: they fingerprint
    /// every token, work a plain plan or apply has no use for.
    fn digest(&self) -> ConfigurationDigest {
        let fingerprinter = self.store.fingerprinter();
        configuration_digest(&self.desired, &|token| fingerprinter.fingerprint(token))
    }

    /// The plan in Terraform's `resource_changes` layout.
    pub(crate) fn resource_changes(&self) -> Vec<ResourceChange> {
        resource_changes::build(&self.plan, &self.desired, &self.recorded, &self.options)
    }

    /// Writes the plan to `path` for `apply PATH`, with its
    /// `resource_changes` for `show --json PATH`.
    pub(crate) fn save(&self, path: &Path, resources: Vec<ResourceChange>) -> anyhow::Result<()> {
        let digest = self.digest();
        let saved = SavedPlan {
            format: PLAN_FORMAT.into(),
            created_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            mode: SavedPlan::mode_of(&self.options),
            targets: self.options.targets.clone(),
            excludes: self.options.excludes.clone(),
            reconnect: self.options.reconnect.clone(),
            refreshed: self.refreshed,
            lineage: self.recorded.lineage.clone(),
            serial: self.recorded.serial,
            configuration_digest: digest.whole,
            configuration_parts: digest.parts,
            state_parts: state_digests(&self.recorded),
            plan: self.plan.clone(),
            resource_changes: resources,
        };
        saved.write(path)
    }
}

/// Load, lock, refresh (unless told not to) and plan.
pub(crate) async fn prepare(
    session: &Session,
    request: PlanRequest,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Prepared> {
    let lock = LockRequest::waiting(request.command, request.lock_timeout, reporter.clone());
    let run = session
        .run(
            RunRequest {
                vars: request.vars,
                lock,
                intent: Intent::Change {
                    refresh: request.refresh,
                },
            },
            reporter,
        )
        .await?;
    let Some(store) = run.store else {
        anyhow::bail!("internal error: a run for a change opened no state");
    };
    let diffing = phase("diff");
    let fingerprinter = &run.fingerprinter;
    let fingerprint = |token: &Secret| fingerprinter.fingerprint(token);
    let mut plan = plan::plan(
        &run.desired,
        &run.recorded,
        &run.actual,
        &request.options,
        &fingerprint,
    )?;
    refuse_invalid_sends(&plan, &run.desired, &run.actual)?;
    // The user token blocks nothing this plan does, but the next run (or
    // a page token read with it) would suffer: said as warnings.
    plan.warnings.extend(
        crate::plan::user_token_drift(&run.actual)
            .iter()
            .map(crate::plan::ProviderDrift::message),
    );
    drop(diffing);
    Ok(Prepared {
        dir: session.dir.clone(),
        desired: run.desired,
        options: request.options,
        refreshed: request.refresh,
        recorded: run.recorded,
        plan,
        store: Arc::from(store),
        connection: run.vonage,
    })
}

/// Re-plans from the saved plan's own options and refuses it, before any
/// call, if state, configuration or the remote side moved since.
pub(crate) async fn prepare_saved(
    session: &Session,
    vars: Vec<CliVar>,
    saved: &SavedPlan,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Prepared> {
    let request = PlanRequest {
        vars,
        options: saved.options(),
        refresh: saved.refreshed,
        lock_timeout,
        command: "apply",
    };
    let mut prepared = prepare(session, request, reporter).await?;
    let digest = prepared.digest();
    saved.check_fresh(&Now {
        lineage: &prepared.recorded.lineage,
        serial: prepared.recorded.serial,
        configuration_digest: digest.whole,
        configuration_parts: digest.parts,
        state_parts: state_digests(&prepared.recorded),
        plan: &prepared.plan,
    })?;
    // Apply exactly what was reviewed.
    prepared.plan = saved.plan.clone();
    Ok(prepared)
}

/// A token about to be sent (in a connect or reconnect) that Facebook
/// called invalid stops the run before any call, naming the page.
pub(crate) fn refuse_invalid_sends(
    plan: &Plan,
    desired: &Desired,
    actual: &Actual,
) -> anyhow::Result<()> {
    let Some(report) = &actual.tokens else {
        return Ok(());
    };
    let mut problems = Vec::new();
    for call in &plan.calls {
        let from = match &call.op {
            CallOp::Connect { token_from, .. } => Some(token_from),
            CallOp::Update { token_from, .. } => token_from.as_ref(),
            _ => None,
        };
        let Some(address) = from else { continue };
        let Some(TokenHealth::Invalid { reason }) = report.replacements.get(address) else {
            continue;
        };
        let page = desired.pages.iter().find(|p| &p.address == address);
        let at = page
            .map(|p| format!("{}: ", p.location))
            .unwrap_or_default();
        let fix = if page.is_some_and(|p| p.token_from_facebook) {
            "the Facebook user must log in again so that /me/accounts hands out a valid page token"
        } else {
            "set a valid page access token for it"
        };
        problems.push(format!(
            "{at}{address}: the access token about to be sent is invalid: {reason}; {fix}"
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    bail!(
        "{}\nNothing was changed: Facebook called the token(s) above invalid before any call was made.",
        problems.join("\n")
    )
}
