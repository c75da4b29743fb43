//! Apply: carry out a plan's calls with bounded parallelism, in dependency
//! order, writing state after every successful call. The engine never
//! prints; it tells a `CallObserver`.

mod applications;
mod execute;

use crate::address::Address;
use crate::plan::{Call, CallOp, Plan};
use crate::remote::Client;
use crate::secret::Secret;
use crate::state::{StateOp, StateStore};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};

/// How often a call waiting on a failing state write looks again.
const DEGRADED_POLL: Duration = Duration::from_millis(20);

/// What the engine tells whoever shows progress. Every event defaults to
/// nothing.
pub trait CallObserver: Send + Sync {
    /// `total` calls are about to be made (not told for a plan without calls).
    fn calls_starting(&self, _total: usize) {}
    /// The call is about to be sent: its dependencies are done and it holds
    /// a parallelism slot.
    fn call_started(&self, _index: usize, _call: &Call) {}
    /// The call's answer: `Done`, `Failed` or `NotAttempted`. Told while the
    /// call still holds its slot, so that no more than `--parallelism` calls
    /// are ever between started and finished.
    fn call_finished(
        &self,
        _index: usize,
        _call: &Call,
        _outcome: &CallOutcome,
        _elapsed: Duration,
    ) {
    }
    /// A call told `Done` could not be recorded in state (see
    /// `CallOutcome::Unrecorded`).
    fn call_unrecorded(&self, _index: usize, _call: &Call, _message: &str) {}
    /// Every call has an outcome.
    fn calls_finished(&self) {}
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// The call took effect (or, re-read after an unclear answer, had).
    Done,
    /// The call failed; state was not changed for it.
    Failed(String),
    /// A call it depends on failed, or the run was interrupted (or halted
    /// by a state write that failed) first.
    NotAttempted,
    /// The call took effect, but its state write failed (the database went
    /// away, the disk filled up). From then on no new call starts: what
    /// happened must first be recorded (see `ops::apply` and its
    /// `errored.sfstate.json`).
    Unrecorded(String),
}

#[derive(Debug, Default)]
pub struct ApplyResult {
    /// One per call of the plan, same order.
    pub outcomes: Vec<CallOutcome>,
    pub(crate) interrupted: bool,
}

impl ApplyResult {
    pub fn succeeded(&self) -> usize {
        self.count(|o| matches!(o, CallOutcome::Done))
    }
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, CallOutcome::Failed(_)))
    }
    pub fn not_attempted(&self) -> usize {
        self.count(|o| matches!(o, CallOutcome::NotAttempted))
    }
    /// Calls that took effect but could not be recorded.
    pub(crate) fn unrecorded(&self) -> usize {
        self.count(|o| matches!(o, CallOutcome::Unrecorded(_)))
    }
    pub fn is_complete(&self) -> bool {
        self.outcomes.iter().all(|o| matches!(o, CallOutcome::Done))
    }
    /// Whether the call took effect at the remote side.
    pub(crate) fn took_effect(outcome: &CallOutcome) -> bool {
        matches!(outcome, CallOutcome::Done | CallOutcome::Unrecorded(_))
    }
    fn count(&self, predicate: impl Fn(&CallOutcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| predicate(o)).count()
    }
}

pub struct ApplyContext {
    pub client: Client,
    pub store: Arc<dyn StateStore>,
    /// Page tokens from the configuration, by page address.
    pub tokens: HashMap<Address, Secret>,
    /// Applications' PEM public keys from the configuration, by address.
    pub public_keys: HashMap<Address, String>,
    pub parallelism: usize,
    /// Set on the first Ctrl-C: no new call starts; calls in flight finish.
    pub cancel: Arc<AtomicBool>,
    pub reporter: Arc<dyn CallObserver>,
}

/// Runs the plan. State-only corrections are written first; then each call
/// once every call it depends on has succeeded.
pub async fn apply(plan: &Plan, context: ApplyContext) -> anyhow::Result<ApplyResult> {
    if !plan.state_only.is_empty() {
        let store = context.store.clone();
        let ops = plan.state_only.clone();
        tokio::task::spawn_blocking(move || store.record(&ops)).await??;
    }
    let running = Arc::new(Running {
        context,
        halted: AtomicBool::new(false),
        created: Mutex::new(HashMap::new()),
    });
    let semaphore = Arc::new(Semaphore::new(running.context.parallelism.max(1)));
    let mut senders = Vec::with_capacity(plan.calls.len());
    let mut receivers = Vec::with_capacity(plan.calls.len());
    for _ in &plan.calls {
        let (sender, receiver) = watch::channel(None::<CallOutcome>);
        senders.push(sender);
        receivers.push(receiver);
    }
    if !plan.calls.is_empty() {
        running.context.reporter.calls_starting(plan.calls.len());
    }

    // Calls that depend on nothing get their slots from here, in plan
    // order (the semaphore is first come, first served), so that they
    // start in the order the plan lists them; the others take theirs once
    // their dependencies are done.
    let mut tasks = Vec::with_capacity(plan.calls.len());
    let mut in_order = Vec::new();
    for ((index, call), sender) in plan.calls.iter().enumerate().zip(senders) {
        let dependencies: Vec<_> = call
            .depends_on
            .iter()
            .map(|d| receivers[*d].clone())
            .collect();
        let slot = if dependencies.is_empty() {
            let (give, take) = oneshot::channel();
            in_order.push((index, give));
            Slot::Given(take)
        } else {
            Slot::Take(semaphore.clone())
        };
        let running = running.clone();
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let outcome = run_one(index, &call, dependencies, &running, slot).await;
            // Receivers may all be gone; that is fine.
            let _ = sender.send(Some(outcome.clone()));
            outcome
        }));
    }
    for (index, give) in in_order {
        let Ok(permit) = semaphore.clone().acquire_owned().await else {
            break;
        };
        // Told started here, in plan order, not by the tasks, which would
        // race each other to say so.
        let permit = ready_to_start(&running).await.then(|| {
            running
                .context
                .reporter
                .call_started(index, &plan.calls[index]);
            permit
        });
        // The task may be gone (it panicked); its slot is then freed here.
        let _ = give.send(permit);
    }

    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(
            task.await
                .unwrap_or_else(|e| CallOutcome::Failed(format!("internal error: {e}"))),
        );
    }
    if !plan.calls.is_empty() {
        running.context.reporter.calls_finished();
    }
    Ok(ApplyResult {
        outcomes,
        interrupted: running.context.cancel.load(Ordering::SeqCst),
    })
}

/// How a call gets its parallelism slot.
enum Slot {
    /// Handed over by `apply`, in plan order, with the call already told
    /// started; `None` when the run stopped first.
    Given(oneshot::Receiver<Option<OwnedSemaphorePermit>>),
    /// Taken from the semaphore once its dependencies are done.
    Take(Arc<Semaphore>),
}

/// The context of a running apply.
struct Running {
    context: ApplyContext,
    /// Set when a state write fails: no new call starts after that.
    halted: AtomicBool,
    /// The ids applications created in this run were given, by the
    /// placeholder (`application::unknown_id`) the plan carries for them.
    created: Mutex<HashMap<String, String>>,
}

/// `call` with every placeholder id of an application created in this run
/// replaced by its id: in the link or connect it sends, and in what it
/// records. A call depends on the create whose id it needs, so the id is
/// known by the time it runs.
fn with_ids(call: &Call, created: &Mutex<HashMap<String, String>>) -> Call {
    let created = created.lock().unwrap_or_else(PoisonError::into_inner);
    let mut call = call.clone();
    if created.is_empty() {
        return call;
    }
    let fill = |id: &mut String| {
        if let Some(real) = created.get(id.as_str()) {
            *id = real.clone();
        }
    };
    match &mut call.op {
        CallOp::Connect {
            application: Some(id),
            ..
        }
        | CallOp::Link {
            application: id, ..
        } => fill(id),
        _ => {}
    }
    for op in &mut call.state_ops {
        match op {
            StateOp::PutLink(link) => fill(&mut link.application),
            StateOp::PutApplication(app) => fill(&mut app.id),
            _ => {}
        }
    }
    call
}

impl Running {
    fn stopping(&self) -> bool {
        self.context.cancel.load(Ordering::SeqCst) || self.halted.load(Ordering::SeqCst)
    }
}

async fn run_one(
    index: usize,
    call: &Call,
    dependencies: Vec<watch::Receiver<Option<CallOutcome>>>,
    running: &Running,
    slot: Slot,
) -> CallOutcome {
    let context = &running.context;
    for mut dependency in dependencies {
        let settled = dependency.wait_for(|o| o.is_some()).await;
        match settled {
            Ok(outcome) if *outcome == Some(CallOutcome::Done) => {}
            _ => return not_attempted(index, call, context),
        }
    }
    let permit = match slot {
        Slot::Given(take) => take.await.ok().flatten(),
        Slot::Take(semaphore) => match semaphore.acquire_owned().await {
            Ok(permit) if ready_to_start(running).await => {
                context.reporter.call_started(index, call);
                Some(permit)
            }
            _ => None,
        },
    };
    let Some(permit) = permit else {
        return not_attempted(index, call, context);
    };
    let started = Instant::now();
    let mut filled = with_ids(call, &running.created);
    let executed = if filled.op.is_application() {
        applications::execute(&context.client, &filled.op, &context.public_keys).await
    } else {
        execute::execute(&context.client, &filled, &context.tokens)
            .await
            .map(|()| None)
    };
    if let (Ok(Some(id)), CallOp::CreateApplication { address, .. }) = (&executed, &call.op) {
        (running
            .created
            .lock()
            .unwrap_or_else(PoisonError::into_inner))
        .insert(crate::application::unknown_id(address), id.clone());
        filled = with_ids(call, &running.created);
    }
    let call = &filled;
    let elapsed = started.elapsed();
    let answer = match &executed {
        Ok(_) => CallOutcome::Done,
        Err(message) => CallOutcome::Failed(message.clone()),
    };
    match &answer {
        CallOutcome::Failed(error) => tracing::info!(
            method = call.method.as_str(),
            path = %call.path,
            elapsed_ms = elapsed.as_millis() as u64,
            %error,
            "call failed"
        ),
        _ => tracing::info!(
            method = call.method.as_str(),
            path = %call.path,
            elapsed_ms = elapsed.as_millis() as u64,
            "call done"
        ),
    }
    context
        .reporter
        .call_finished(index, call, &answer, elapsed);
    // --parallelism bounds the API calls in flight, not the state writes:
    // with the local store, holding the slot through the write (a flush,
    // serialized with every other write) kept the next call waiting for the
    // disk. A database write can fail midway, though: there the slot is
    // held until the write settles, and is freed only after `halted` is set
    // when it failed, so the next call never starts after a failed write.
    let permit = if context.store.writes_can_fail_midway() {
        Some(permit)
    } else {
        drop(permit);
        None
    };
    if answer != CallOutcome::Done {
        return answer;
    }
    let store = context.store.clone();
    let ops = call.state_ops.clone();
    let unrecorded = match tokio::task::spawn_blocking(move || store.record(&ops)).await {
        Ok(Ok(_)) => return CallOutcome::Done,
        Ok(Err(e)) => format!("the call took effect but state could not be written: {e:#}"),
        Err(e) => format!("internal error writing state: {e}"),
    };
    running.halted.store(true, Ordering::SeqCst);
    drop(permit);
    tracing::info!(method = call.method.as_str(), path = %call.path, error = %unrecorded, "call not recorded");
    context.reporter.call_unrecorded(index, call, &unrecorded);
    CallOutcome::Unrecorded(unrecorded)
}

/// Whether a call holding a slot may start: not when the run is stopping.
/// A state write in trouble (the database went away) holds every new call
/// back until it is settled: recorded after all, or given up, which halts
/// the run.
async fn ready_to_start(running: &Running) -> bool {
    while running.context.store.degraded() && !running.stopping() {
        tokio::time::sleep(DEGRADED_POLL).await;
    }
    !running.stopping()
}

fn not_attempted(index: usize, call: &Call, context: &ApplyContext) -> CallOutcome {
    context
        .reporter
        .call_finished(index, call, &CallOutcome::NotAttempted, Duration::ZERO);
    CallOutcome::NotAttempted
}
