//! `Session::run`: the configuration, its state, both APIs connected and
//! read, settled into what an operation plans or reports from.
//!
//! The overlapped path lives here alone. Loading a large configuration
//! (~200 ms of CPU at 10,000 pages) and opening state plus refreshing
//! (~170 ms, mostly waiting on the network) need nothing of each other
//! when nothing in the configuration changes how to reach state or the
//! APIs, so for `plan`, `apply` and `destroy` they run at once:
//!
//! 1. a line scan (`config::may_declare`) says whether any file may declare
//!    a `backend` or `provider` block; a "no" is certain;
//! 2. with a backend block in small files, those files alone are read for
//!    it (a guess the whole configuration must confirm); without one, the
//!    state is the local store;
//! 3. the configuration loads on a worker while the state that already
//!    exists is opened (its lock taken), Vonage and Facebook are connected
//!    with the environment's settings, and the remote side is read;
//! 4. the whole configuration confirms the guess (same backend, no
//!    provider block), or the early work is dropped, its lock with it, and
//!    done again from the configuration.
//!
//! Invariants: a configuration error is reported first, creates no state
//! and waits for no lock (state is only created once the configuration has
//! loaded; a worker still waiting for a lock gives up on its own); errors
//! otherwise come in the order the steps have when they run in turn.

use super::facebook::{self, FacebookSide, Read};
use super::{Backend, ConfigRequest, Connection, OpenedState, Session, SessionObserver};
use crate::actual::Actual;
use crate::config::{self, CliVar, DataApplication};
use crate::desired::{Desired, ProviderSettings};
use crate::facebook::ManagedPage;
use crate::logging::{overlapped_phase, phase};
use crate::refresh::{RefreshObserver, expected_pages, refresh};
use crate::remote::Client;
use crate::secret::Secret;
use crate::state::{Fingerprinter, LockRequest, Recorded, StateStore};
use crate::threads;
use anyhow::Context;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What an operation asks `Session::run` for.
pub(crate) struct RunRequest {
    pub(crate) vars: Vec<CliVar>,
    /// How to take the state's lock (and who holds it).
    pub(crate) lock: LockRequest,
    pub(crate) intent: Intent,
}

/// What the run is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Intent {
    /// `plan`, `apply`, `destroy`: state is created if there is none, and
    /// every token the configuration sends must be set. Without `refresh`
    /// the remote side is taken to be what state says.
    Change { refresh: bool },
    /// `drift`, `tokens`: nothing is created (without state a throwaway
    /// key fingerprints configured and remote tokens alike, so a CI job
    /// leaves no trace), and an unset token variable only skips that
    /// page's token comparison. `list_pages`: read `/me/accounts`
    /// whenever a user token allows it.
    Observe { list_pages: bool },
}

/// Everything an operation works from. Holds the state's lock while alive.
pub(crate) struct Run {
    /// The configuration, completed with Facebook's answer.
    pub(crate) desired: Desired,
    /// The opened state; `None` only when observing where there is none.
    pub(crate) store: Option<Box<dyn StateStore>>,
    pub(crate) recorded: Recorded,
    pub(crate) fingerprinter: Fingerprinter,
    pub(crate) vonage: Connection,
    /// The remote side, with `tokens` set when their health was checked.
    pub(crate) actual: Actual,
    /// What `/me/accounts` listed, when observing and it was read.
    pub(crate) manageable: Option<Vec<ManagedPage>>,
}

/// The remote side read before the configuration is known, when nothing
/// in it can change how: the connections from the environment, and what
/// refresh read after the state's lock was taken.
struct EarlyRefresh {
    vonage: Connection,
    facebook: Option<FacebookSide>,
    actual: Actual,
    held: BTreeMap<String, Secret>,
}

impl Session {
    /// Builds what `request.intent` needs, in one call.
    pub(crate) async fn run(
        &self,
        request: RunRequest,
        observer: Arc<dyn SessionObserver>,
    ) -> anyhow::Result<Run> {
        match request.intent {
            Intent::Change { refresh } => {
                self.run_change(request.vars, &request.lock, refresh, observer)
                    .await
            }
            Intent::Observe { list_pages } => {
                self.run_observe(request.vars, &request.lock, list_pages, observer)
                    .await
            }
        }
    }

    async fn run_change(
        &self,
        vars: Vec<CliVar>,
        lock: &LockRequest,
        refresh: bool,
        observer: Arc<dyn SessionObserver>,
    ) -> anyhow::Result<Run> {
        let config = ConfigRequest {
            vars,
            allow_unknown_tokens: false,
            allow_unset_credentials: false,
        };
        let (desired, opened, early) = self
            .load_and_open(&config, lock, refresh, &observer)
            .await?;
        // The early connection assumed the defaults of absent provider
        // blocks; the scan is certain, but should a block have been missed,
        // the early work is dropped and done again from the configuration.
        let early = early.filter(|_| {
            let p = &desired.provider;
            p.api_key.is_none()
                && p.api_secret.is_none()
                && p.endpoint.is_none()
                && p.requests_per_second.is_none()
                && desired.facebook.is_none()
        });
        let OpenedState { store, recorded } = opened;
        let fingerprinter = store.fingerprinter();

        let (vonage, facebook_side, early_read) = match early {
            Some(early) => (
                early.vonage,
                early.facebook,
                Some((early.actual, early.held)),
            ),
            None => {
                let _connecting = phase("connect");
                let (vonage, facebook_side) = self.connect(&desired, &observer).await?;
                (vonage, facebook_side, None)
            }
        };

        let refreshing = phase("refresh");
        let checking = refresh && facebook_side.is_some();
        let mut held = BTreeMap::new();
        let (mut actual, managed) = match early_read {
            Some((actual, early_held)) => {
                held = early_held;
                let managed =
                    facebook::managed_pages(&desired, facebook_side.as_ref(), false).await?;
                (actual, managed)
            }
            None => tokio::try_join!(
                async {
                    if refresh {
                        read_remote(
                            &vonage.client,
                            &fingerprinter,
                            &desired,
                            &recorded,
                            observer.as_ref(),
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
        let applications = data_applications(&desired, &actual, &vonage.client).await?;
        let read = Read {
            side: facebook_side.as_ref(),
            managed: managed.as_deref(),
            held,
            check: checking,
            applications,
        };
        let desired = facebook::settle(
            self,
            &config,
            desired,
            read,
            &recorded,
            &mut actual,
            &fingerprinter,
        )
        .await?;
        // The page tokens /me/accounts handed out are in `desired` now.
        drop(managed);
        drop(refreshing);
        Ok(Run {
            desired,
            store: Some(store),
            recorded,
            fingerprinter,
            vonage,
            actual,
            manageable: None,
        })
    }

    /// Steps 1 to 4 of the module comment: the configuration loaded and its
    /// state opened, with the early read when it was made and kept.
    async fn load_and_open(
        &self,
        config: &ConfigRequest,
        lock: &LockRequest,
        refresh: bool,
        observer: &Arc<dyn SessionObserver>,
    ) -> anyhow::Result<(Desired, OpenedState, Option<EarlyRefresh>)> {
        let may_declare = config::may_declare(&self.dir);
        // Nothing in the configuration says how to reach the APIs: state
        // can be opened, and the remote side read, while it loads. The
        // state to open early is the local store when no file may declare
        // a backend, else the one the small files that hold the backend
        // block say on their own, which the whole configuration must
        // confirm.
        let may_refresh_early = refresh && !may_declare.provider;
        let guess = if !may_refresh_early {
            None
        } else if !may_declare.backend {
            Some((self.backend_for(None)?, None))
        } else {
            self.backend_in(&config.vars, &may_declare.small_backend_files)
                .and_then(|settings| {
                    Some((self.backend_for(Some(&settings)).ok()?, Some(settings)))
                })
        };
        let mut loaded = None;
        if let Some((backend, settings)) = guess {
            let all = phase("load_config+open_state+connect+refresh");
            let (desired, early) = self
                .load_alongside_refresh(&backend, config, lock, observer)
                .await?;
            drop(all);
            match early {
                Some((opened, early)) if desired.backend == settings => {
                    return Ok((desired, opened, Some(early)));
                }
                // No state yet (it is created now the configuration is
                // known to load), or the guess was wrong.
                _ => loaded = Some(desired),
            }
        } else if !may_declare.backend {
            let _both = phase("load_config+open_state");
            let backend = self.backend_for(None)?;
            let (desired, opened) = self.load_alongside_open(&backend, config, lock)?;
            return Ok((desired, opened, None));
        }
        let desired = match loaded {
            Some(desired) => desired,
            None => {
                let _loading = phase("load_config");
                self.load(config)?
            }
        };
        let _opening = phase("open_state");
        let backend = self.backend_for(desired.backend.as_ref())?;
        let opened = backend.open(lock)?;
        backend.refuse_stranded_local_state(&opened.recorded)?;
        Ok((desired, opened, None))
    }

    /// The configuration loaded here while `backend`'s state, if it exists,
    /// is opened on a worker. Creating a state is left until the
    /// configuration has loaded.
    fn load_alongside_open(
        &self,
        backend: &Backend,
        config: &ConfigRequest,
        lock: &LockRequest,
    ) -> anyhow::Result<(Desired, OpenedState)> {
        let early = if backend.state.exists()? {
            let (opener, lock) = (backend.clone(), lock.clone());
            threads::start("state-open", move || {
                let _phase = overlapped_phase("open_state");
                opener.open(&lock)
            })
            .ok()
        } else {
            None
        };
        let desired = {
            let _phase = overlapped_phase("load_config");
            self.load(config)?
        };
        let opened = match early {
            Some(worker) => worker
                .join()
                .map_err(|_| anyhow::anyhow!("internal error: opening the state panicked"))??,
            None => {
                let _phase = overlapped_phase("open_state");
                backend.open(lock)?
            }
        };
        Ok((desired, opened))
    }

    /// The configuration loaded on a worker while this task opens
    /// `backend`'s state if it exists (`None` otherwise), connects with the
    /// environment's settings and refreshes, sizing its first round from
    /// state alone.
    async fn load_alongside_refresh(
        &self,
        backend: &Backend,
        config: &ConfigRequest,
        lock: &LockRequest,
        observer: &Arc<dyn SessionObserver>,
    ) -> anyhow::Result<(Desired, Option<(OpenedState, EarlyRefresh)>)> {
        let (loader, request) = (self.clone(), config.clone());
        let loading = threads::start("config-load", move || {
            let _phase = overlapped_phase("load_config");
            loader.load(&request)
        })
        .context("cannot start a thread")?
        .finish();
        let early = async {
            let (opener, lock) = (backend.clone(), lock.clone());
            let opened = threads::start("state-open", move || {
                let _phase = overlapped_phase("open_state");
                if !opener.state.exists()? {
                    return Ok(None);
                }
                let opened = opener.open(&lock)?;
                opener.refuse_stranded_local_state(&opened.recorded)?;
                anyhow::Ok(Some(opened))
            })
            .context("cannot start a thread")?
            .finish()
            .await
            .map_err(|_| anyhow::anyhow!("internal error: opening the state panicked"))??;
            let Some(opened) = opened else {
                return Ok(None);
            };
            let connecting = overlapped_phase("connect");
            let vonage = self
                .connect_vonage(&ProviderSettings::default(), observer)
                .await?;
            let facebook = self.connect_facebook(None, vonage.sandbox.as_ref()).await?;
            drop(connecting);
            let _refreshing = overlapped_phase("refresh");
            let fingerprinter = opened.store.fingerprinter();
            let mut held = BTreeMap::new();
            let actual = read_remote(
                &vonage.client,
                &fingerprinter,
                &Desired::default(),
                &opened.recorded,
                observer.as_ref(),
                facebook.is_some().then_some(&mut held),
            )
            .await?;
            anyhow::Ok(Some((
                opened,
                EarlyRefresh {
                    vonage,
                    facebook,
                    actual,
                    held,
                },
            )))
        };
        let mut loading = std::pin::pin!(loading);
        let mut early = std::pin::pin!(early);
        let mut early_done = None;
        let loaded = loop {
            tokio::select! {
                loaded = &mut loading => break loaded,
                done = &mut early, if early_done.is_none() => early_done = Some(done),
            }
        };
        // The configuration's error first, dropping a refresh in flight.
        let desired = loaded
            .map_err(|_| anyhow::anyhow!("internal error: loading the configuration panicked"))??;
        let early = match early_done {
            Some(done) => done?,
            None => early.await?,
        };
        Ok((desired, early))
    }

    async fn run_observe(
        &self,
        vars: Vec<CliVar>,
        lock: &LockRequest,
        list_pages: bool,
        observer: Arc<dyn SessionObserver>,
    ) -> anyhow::Result<Run> {
        let config = ConfigRequest {
            vars,
            allow_unknown_tokens: true,
            allow_unset_credentials: false,
        };
        let desired = self.load(&config)?;
        let backend = self.backend_for(desired.backend.as_ref())?;
        let (store, recorded, fingerprinter) = match backend.open_existing(lock)? {
            Some(OpenedState { store, recorded }) => {
                let fingerprinter = store.fingerprinter();
                (Some(store), recorded, fingerprinter)
            }
            None => {
                let mut key = vec![0u8; 32];
                rand::fill(&mut key[..]);
                (None, Recorded::default(), Fingerprinter::new(key))
            }
        };

        let (vonage, facebook_side) = self.connect(&desired, &observer).await?;
        let mut held = BTreeMap::new();
        let listing = async {
            match &facebook_side {
                Some(side) if list_pages && side.client.has_user_token() => {
                    facebook::list_pages(side).await.map(Some)
                }
                _ => facebook::managed_pages(&desired, facebook_side.as_ref(), true).await,
            }
        };
        let (mut actual, manageable) = tokio::try_join!(
            read_remote(
                &vonage.client,
                &fingerprinter,
                &desired,
                &recorded,
                observer.as_ref(),
                facebook_side.is_some().then_some(&mut held),
            ),
            listing,
        )?;
        let applications = data_applications(&desired, &actual, &vonage.client).await?;
        let read = Read {
            side: facebook_side.as_ref(),
            managed: manageable.as_deref(),
            held,
            check: facebook_side.is_some(),
            applications,
        };
        let desired = facebook::settle(
            self,
            &config,
            desired,
            read,
            &recorded,
            &mut actual,
            &fingerprinter,
        )
        .await?;
        Ok(Run {
            desired,
            store,
            recorded,
            fingerprinter,
            vonage,
            actual,
            manageable,
        })
    }

    /// Vonage, then Facebook (which runs on Vonage's embedded sandbox when
    /// both use it), as the configuration says.
    pub(crate) async fn connect(
        &self,
        desired: &Desired,
        observer: &Arc<dyn SessionObserver>,
    ) -> anyhow::Result<(Connection, Option<FacebookSide>)> {
        let vonage = self.connect_vonage(&desired.provider, observer).await?;
        let facebook = self
            .connect_facebook(desired.facebook.as_ref(), vonage.sandbox.as_ref())
            .await?;
        Ok((vonage, facebook))
    }
}

/// The account's applications for `data "vonage_applications"`, when the
/// configuration uses one: those refresh read, or, when it did not
/// (`--refresh=false`), one bulk read of them. Nothing is read when no
/// data block is used.
async fn data_applications(
    desired: &Desired,
    actual: &Actual,
    client: &Client,
) -> anyhow::Result<Option<Arc<Vec<DataApplication>>>> {
    if !desired.needs_vonage_applications {
        return Ok(None);
    }
    let listed = match actual.applications.as_ref().filter(|_| actual.refreshed) {
        Some(read) => crate::refresh::data_applications(read.values()),
        None => {
            let read = client.list_applications().await.context(
                "could not list the account's applications for data \"vonage_applications\" (GET /v2/applications)",
            )?;
            let read: Vec<_> = read
                .into_iter()
                .map(crate::refresh::remote_application)
                .collect();
            crate::refresh::data_applications(&read)
        }
    };
    Ok(Some(Arc::new(listed)))
}

/// The remote side, read in bulk (see `refresh`); the tokens Vonage holds
/// go to `held_tokens` when asked for (to check their health).
pub(crate) async fn read_remote(
    client: &Client,
    fingerprinter: &Fingerprinter,
    desired: &Desired,
    recorded: &Recorded,
    observer: &dyn RefreshObserver,
    held_tokens: Option<&mut BTreeMap<String, Secret>>,
) -> anyhow::Result<Actual> {
    refresh(
        client,
        fingerprinter,
        expected_pages(desired, recorded),
        observer,
        held_tokens,
    )
    .await
    .context("could not read the remote side (refresh)")
}
