//! `plan` and what `apply` and `destroy` plan first: load the
//! configuration and open the state (at the same time), connect, refresh,
//! plan. Also making and checking saved plans.

use super::Reporter;
use super::facebook;
use crate::actual::Actual;
use crate::config::CliVar;
use crate::desired::Desired;
use crate::logging::phase;
use crate::plan::saved::{PLAN_FORMAT, SavedPlan, configuration_digest};
use crate::plan::{self, Plan, PlanOptions};
use crate::refresh::{expected_pages, refresh};
use crate::remote::Client;
use crate::state::{Fingerprinter, LockRequest, Recorded, StateStore};
use crate::workspace::{Connection, Workspace};
use anyhow::Context;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What to plan.
pub struct PlanRequest {
    pub vars: Vec<CliVar>,
    pub options: PlanOptions,
    /// Read the remote side first (`--refresh=false` plans from state alone).
    pub refresh: bool,
    pub lock_timeout: Duration,
    /// The command, recorded as the lock's holder.
    pub command: &'static str,
}

/// A plan and everything it was made from: what `apply` carries out and
/// `--out` saves. Holds the state's lock until dropped.
pub struct Prepared {
    /// The configuration directory (where `errored.sfstate.json` goes).
    pub dir: PathBuf,
    pub desired: Desired,
    pub options: PlanOptions,
    pub refreshed: bool,
    /// The state the plan was made from.
    pub recorded: Recorded,
    pub plan: Plan,
    pub store: Arc<dyn StateStore>,
    pub connection: Connection,
}

impl Prepared {
    pub fn has_changes(&self) -> bool {
        !self.plan.changes.is_empty() || !self.plan.calls.is_empty()
    }

    /// The configuration's digest, for saved plans only: it fingerprints
    /// every token, work a plain plan or apply has no use for.
    fn digest(&self) -> String {
        let fingerprinter = self.store.fingerprinter();
        configuration_digest(&self.desired, &|token| fingerprinter.fingerprint(token))
    }

    /// Writes the plan to `path` for `apply PATH`.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let saved = SavedPlan {
            format: PLAN_FORMAT.into(),
            created_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            mode: SavedPlan::mode_of(&self.options),
            targets: self.options.targets.clone(),
            reconnect: self.options.reconnect.clone(),
            refreshed: self.refreshed,
            lineage: self.recorded.lineage.clone(),
            serial: self.recorded.serial,
            configuration_digest: self.digest(),
            plan: self.plan.clone(),
        };
        saved.write(path)
    }
}

/// Load, lock, refresh (unless told not to) and plan.
pub async fn prepare(
    workspace: &Workspace,
    request: PlanRequest,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Prepared> {
    let lock = LockRequest::waiting(request.command, request.lock_timeout, reporter.clone());
    // Loaded again once Facebook has answered, if data sources need it.
    let vars = request.vars.clone();
    let may_declare = crate::config::may_declare(&workspace.dir);
    // Nothing in the configuration says how to reach the APIs: the state
    // (its lock first) can be opened, and the remote side read, while the
    // configuration loads (see `load_alongside_refresh`).
    let may_refresh_early = request.refresh && !may_declare.provider;
    let (desired, opened, early) = if may_declare.backend {
        // Where state lives is in the configuration. When the small files
        // that hold the backend block say it on their own, that state is
        // opened early; the whole configuration must then say the same, or
        // the early work is dropped (and the lock with it) and done again.
        let guessed = if may_refresh_early {
            workspace
                .early_backend(request.vars.clone(), &may_declare.small_backend_files)
                .and_then(|settings| {
                    let configured = workspace.clone().with_backend(Some(&settings)).ok()?;
                    Some((configured, settings))
                })
        } else {
            None
        };
        let mut loaded = None;
        let mut done = None;
        if let Some((configured, settings)) = guessed {
            let all = phase("load_config+open_state+connect+refresh");
            let (desired, early) =
                load_alongside_refresh(&configured, request.vars.clone(), &lock, &reporter).await?;
            drop(all);
            match early {
                Some((opened, early)) if desired.backend.as_ref() == Some(&settings) => {
                    done = Some((desired, opened, Some(early)));
                }
                _ => loaded = Some(desired),
            }
        }
        match done {
            Some(done) => done,
            None => {
                let desired = match loaded {
                    Some(desired) => desired,
                    None => {
                        let loading = phase("load_config");
                        let desired = workspace.load_config(request.vars, false)?;
                        drop(loading);
                        desired
                    }
                };
                let opening = phase("open_state");
                let configured = workspace.clone().with_backend(desired.backend.as_ref())?;
                let opened = configured.open_state(&lock)?;
                refuse_stranded_local_state(&configured, &opened.recorded)?;
                drop(opening);
                (desired, opened, None)
            }
        }
    } else if may_refresh_early && workspace.backend.exists()? {
        let all = phase("load_config+open_state+connect+refresh");
        let (desired, early) =
            load_alongside_refresh(workspace, request.vars, &lock, &reporter).await?;
        drop(all);
        match early {
            Some((opened, early)) => (desired, opened, Some(early)),
            None => {
                // Gone since it was seen: create it, now the configuration
                // is known to load.
                let opening = phase("open_state");
                let opened = workspace.open_state(&lock)?;
                drop(opening);
                (desired, opened, None)
            }
        }
    } else {
        let both = phase("load_config+open_state");
        let (desired, opened) =
            workspace.open_state_alongside(&lock, || workspace.load_config(request.vars, false))?;
        drop(both);
        (desired, opened, None)
    };
    // The early connection assumed the defaults of absent provider blocks;
    // the scan is certain, but should a block have been missed, the early
    // work is dropped and done again from the configuration.
    let early = early.filter(|_| {
        let p = &desired.provider;
        p.api_key.is_none()
            && p.api_secret.is_none()
            && p.endpoint.is_none()
            && desired.facebook.is_none()
    });
    let recorded = opened.recorded;
    let store: Arc<dyn StateStore> = Arc::from(opened.store);
    let fingerprinter = store.fingerprinter();

    let (connection, facebook_side, early_read) = match early {
        Some(early) => (
            early.connection,
            early.facebook_side,
            Some((early.actual, early.held)),
        ),
        None => {
            let connecting = phase("connect");
            let connection = workspace.connect(&desired.provider, &reporter).await?;
            let facebook_side = workspace
                .facebook(desired.facebook.as_ref(), connection.sandbox.as_ref())
                .await?;
            drop(connecting);
            (connection, facebook_side, None)
        }
    };

    let refreshing = phase("refresh");
    let checking = request.refresh && facebook_side.is_some();
    let mut held = BTreeMap::new();
    let (mut actual, managed) = match early_read {
        Some((actual, early_held)) => {
            held = early_held;
            let managed = facebook::managed_pages(&desired, facebook_side.as_ref(), false).await?;
            (actual, managed)
        }
        None => tokio::try_join!(
            async {
                if request.refresh {
                    read_remote(
                        &connection.client,
                        &fingerprinter,
                        &desired,
                        &recorded,
                        reporter.as_ref(),
                        checking.then_some(&mut held),
                    )
                    .await
                } else {
                    Ok(Actual::from_recorded(&recorded))
                }
            },
            facebook::managed_pages(&desired, facebook_side.as_ref(), false),
        )?,
    };
    let read = facebook::Read {
        side: facebook_side.as_ref(),
        managed: managed.as_deref(),
        held,
        check: checking,
        tokens_optional: false,
    };
    let desired = facebook::settle(
        workspace,
        vars,
        desired,
        read,
        &recorded,
        &mut actual,
        &fingerprinter,
    )
    .await?;
    drop(managed);
    drop(refreshing);

    let diffing = phase("diff");
    let fingerprint = |token: &crate::secret::Secret| fingerprinter.fingerprint(token);
    let plan = plan::plan(&desired, &recorded, &actual, &request.options, &fingerprint)?;
    facebook::refuse_invalid_sends(&plan, &desired, &actual)?;
    drop(diffing);
    Ok(Prepared {
        dir: workspace.dir.clone(),
        desired,
        options: request.options,
        refreshed: request.refresh,
        recorded,
        plan,
        store,
        connection,
    })
}

/// What `prepare` reads before the configuration is loaded, when nothing in
/// it can change how: the connection from the environment, and the remote
/// side read after the state's lock was taken.
struct EarlyRefresh {
    connection: Connection,
    facebook_side: Option<crate::workspace::FacebookSide>,
    actual: Actual,
    held: BTreeMap<String, crate::secret::Secret>,
}

/// Loads the configuration on a thread while this task opens the state of
/// `workspace`'s backend if it exists (its lock first; `None` otherwise:
/// creating one waits until the configuration is known to load), connects
/// with the environment's settings (no `provider` block) and refreshes: at 10,000 pages loading is ~200 ms of
/// CPU and refresh ~170 ms of mostly waiting on the network, and neither
/// needs the other (refresh reads every account; the configuration only
/// sized its first round, which the state sizes as well here).
///
/// Errors come in the order the steps had when they ran in turn: the
/// configuration's first (returned at once, dropping a refresh in flight;
/// the state's thread gives up on its own), then the state's, the
/// connection's, Facebook's and refresh's.
async fn load_alongside_refresh(
    workspace: &Workspace,
    vars: Vec<CliVar>,
    lock: &LockRequest,
    reporter: &Arc<dyn Reporter>,
) -> anyhow::Result<(
    Desired,
    Option<(crate::workspace::OpenedState, EarlyRefresh)>,
)> {
    use crate::logging::overlapped_phase;
    // Threads of their own, not the runtime's blocking pool: the runtime
    // waits for its blocking tasks at exit, and a configuration error must
    // not wait for a state lock held by another process.
    let loader = workspace.clone();
    let mut loading = on_thread("config-load", move || {
        let _phase = overlapped_phase("load_config");
        loader.load_config(vars, false)
    })?;
    let early = async {
        let opener = workspace.clone();
        let lock = lock.clone();
        let opened = on_thread("state-open", move || {
            let _phase = overlapped_phase("open_state");
            if !opener.backend.exists()? {
                return Ok(None);
            }
            let opened = opener.open_state(&lock)?;
            refuse_stranded_local_state(&opener, &opened.recorded)?;
            anyhow::Ok(Some(opened))
        })?
        .await
        .map_err(|_| anyhow::anyhow!("internal error: opening the state panicked"))??;
        let Some(opened) = opened else {
            return Ok(None);
        };
        let connecting = overlapped_phase("connect");
        let unset = crate::desired::ProviderSettings::default();
        let connection = workspace.connect(&unset, reporter).await?;
        let facebook_side = workspace
            .facebook(None, connection.sandbox.as_ref())
            .await?;
        drop(connecting);
        let _refreshing = overlapped_phase("refresh");
        let fingerprinter = opened.store.fingerprinter();
        let mut held = BTreeMap::new();
        let actual = read_remote(
            &connection.client,
            &fingerprinter,
            // Sized from state alone: the configuration is still loading.
            &Desired::default(),
            &opened.recorded,
            reporter.as_ref(),
            facebook_side.is_some().then_some(&mut held),
        )
        .await?;
        anyhow::Ok(Some((
            opened,
            EarlyRefresh {
                connection,
                facebook_side,
                actual,
                held,
            },
        )))
    };
    let mut early = std::pin::pin!(early);
    let mut early_done = None;
    let loaded = loop {
        tokio::select! {
            loaded = &mut loading => break loaded,
            done = &mut early, if early_done.is_none() => early_done = Some(done),
        }
    };
    let desired = loaded
        .map_err(|_| anyhow::anyhow!("internal error: loading the configuration panicked"))??;
    let early = match early_done {
        Some(done) => done?,
        None => early.await?,
    };
    Ok((desired, early))
}

/// Runs `work` on a thread of its own; its result arrives on the receiver
/// (an error there means the thread panicked).
fn on_thread<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<tokio::sync::oneshot::Receiver<T>> {
    let (send, receive) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _ = send.send(work());
        })
        .context("cannot start a thread")?;
    Ok(receive)
}

/// With a backend configured and still empty, a local store that manages
/// resources means state was never moved there: planning against the empty
/// backend would connect everything again (pages are adopted by ID, but
/// links and names would be planned blind). Refuse, naming the fix.
fn refuse_stranded_local_state(workspace: &Workspace, recorded: &Recorded) -> anyhow::Result<()> {
    use crate::state::StateBackend;
    if workspace.is_local() || !recorded.pages.is_empty() || !recorded.links.is_empty() {
        return Ok(());
    }
    let local = workspace.local_backend();
    if !local.exists()? {
        return Ok(());
    }
    let Some(store) = local.open_existing(&LockRequest::immediate("plan"))? else {
        return Ok(());
    };
    let stranded = store.load()?;
    if stranded.pages.is_empty() && stranded.links.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "{} is empty, but {} manages {} page(s) and {} link(s); move them first with \
         `socialform state migrate`",
        workspace.backend.describe(),
        local.describe(),
        stranded.pages.len(),
        stranded.links.len()
    )
}

/// Re-plans from the saved plan's own options and refuses it, before any
/// call, if state, configuration or the remote side moved since.
pub async fn prepare_saved(
    workspace: &Workspace,
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
    let mut prepared = prepare(workspace, request, reporter).await?;
    saved.check_fresh(
        &prepared.recorded.lineage,
        prepared.recorded.serial,
        &prepared.digest(),
        &prepared.plan,
    )?;
    // Apply exactly what was reviewed.
    prepared.plan = saved.plan.clone();
    Ok(prepared)
}

/// The remote side, read in bulk (see `refresh`); the tokens Vonage holds
/// go to `held_tokens` when asked for (to check their health).
pub(super) async fn read_remote(
    client: &Client,
    fingerprinter: &Fingerprinter,
    desired: &Desired,
    recorded: &Recorded,
    reporter: &dyn Reporter,
    held_tokens: Option<&mut BTreeMap<String, crate::secret::Secret>>,
) -> anyhow::Result<Actual> {
    refresh(
        client,
        fingerprinter,
        expected_pages(desired, recorded),
        reporter,
        held_tokens,
    )
    .await
    .context("could not read the remote side (refresh)")
}
