//! Which state backend a run uses, and the state it opens.

use crate::state::{
    LocalBackend, LockRequest, PostgresBackend, PostgresSettings, Recorded, StateBackend,
    StateStore,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The state backend the configuration chose: PostgreSQL from its
/// `backend` block, or the local store in the session's state directory.
#[derive(Clone)]
pub(crate) struct Backend {
    pub(crate) state: Arc<dyn StateBackend>,
    /// Whether `state` is the local store of `state_dir`.
    local: bool,
    state_dir: PathBuf,
}

/// The state, opened (so locked), and what it holds.
pub(crate) struct OpenedState {
    pub(crate) store: Box<dyn StateStore>,
    pub(crate) recorded: Recorded,
}

impl Backend {
    pub(super) fn choose(
        settings: Option<&PostgresSettings>,
        state_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Backend> {
        let state: Arc<dyn StateBackend> = match settings {
            Some(settings) => Arc::new(PostgresBackend::new(settings, env)?),
            None => Arc::new(LocalBackend::new(state_dir)),
        };
        Ok(Backend {
            state,
            local: settings.is_none(),
            state_dir: state_dir.to_path_buf(),
        })
    }

    /// Whether state is in the local store.
    pub(crate) fn is_local(&self) -> bool {
        self.local
    }

    /// The local store, whatever the configuration says (for `state migrate`).
    pub(crate) fn local_store(&self) -> LocalBackend {
        LocalBackend::new(self.state_dir.clone())
    }

    pub(crate) fn describe(&self) -> String {
        self.state.describe()
    }

    /// Opens the state (creating it if absent), then loads it.
    pub(crate) fn open(&self, lock: &LockRequest) -> anyhow::Result<OpenedState> {
        let store = self.state.open(lock)?;
        let recorded = store.load()?;
        Ok(OpenedState { store, recorded })
    }

    /// Opens and loads the state if there is one; creates none.
    pub(crate) fn open_existing(&self, lock: &LockRequest) -> anyhow::Result<Option<OpenedState>> {
        let Some(store) = self.state.open_existing(lock)? else {
            return Ok(None);
        };
        let recorded = store.load()?;
        Ok(Some(OpenedState { store, recorded }))
    }

    /// With a backend configured and still empty, a local store that
    /// manages resources means state was never moved there: planning
    /// against the empty backend would connect everything again (pages are
    /// adopted by ID, but links and names would be planned blind). Refuses,
    /// naming the fix.
    pub(super) fn refuse_stranded_local_state(&self, recorded: &Recorded) -> anyhow::Result<()> {
        if self.local || !recorded.pages.is_empty() || !recorded.links.is_empty() {
            return Ok(());
        }
        let local = self.local_store();
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
            self.describe(),
            local.describe(),
            stranded.pages.len(),
            stranded.links.len()
        )
    }
}
