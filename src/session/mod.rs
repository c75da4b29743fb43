//! The one way into a run, in the manner of Terraform's `backend/local`
//! `LocalRun`: what a command runs with (its directory, the directory of
//! its local files, an environment snapshot, network options), and what an
//! operation asks of it, built in one call:
//!
//! - `load`: the configuration alone (`validate`, `show`'s annotations);
//! - `configured_backend`: where state lives, from the backend block alone
//!   (`state`, `history`, `show`);
//! - `run`: the configuration, its state opened (so locked), Vonage and
//!   Facebook connected and both read, the configuration completed with
//!   Facebook's answer and the tokens' health checked (`plan`, `apply`,
//!   `destroy`, `drift`, `tokens`). Loading overlaps opening, connecting
//!   and refreshing here and nowhere else (see `run`).
//! - the steps one by one, for `import`, which checks its arguments
//!   against the configuration before it takes the lock: `load`,
//!   `backend_for`, `Backend::open`, `connect`.

mod backend;
pub(crate) mod facebook;
mod origin;
mod run;
mod sandbox;
mod vonage;

pub(crate) use backend::{Backend, OpenedState};
pub(crate) use run::{Intent, Run, RunRequest, read_remote};
pub(crate) use vonage::{Connection, NetworkOptions};

use crate::config::{
    self, CliVar, DataApplication, Diagnostics, FacebookPage, LoadOptions, Select,
};
use crate::desired::Desired;
use crate::refresh::RefreshObserver;
use crate::state::PostgresSettings;
use std::path::PathBuf;
use std::sync::Arc;

/// What a session tells while it builds a run: refresh's progress, and
/// warnings (a request being retried).
pub(crate) trait SessionObserver: RefreshObserver {
    /// Something went wrong that does not fail the run.
    fn warning(&self, _message: &str) {}
}

/// What a command runs with.
#[derive(Clone)]
pub(crate) struct Session {
    /// The configuration directory.
    pub(crate) dir: PathBuf,
    /// This machine's directory for the configuration's local files: the
    /// local state backend's, and the embedded sandbox's data.
    pub(crate) state_dir: PathBuf,
    /// Environment snapshot: `SF_VAR_*`, `env()`, `VONAGE_*`, `FACEBOOK_*`,
    /// `PG*`.
    env: Env,
    /// Timeout and retries of the API clients.
    network: NetworkOptions,
}

/// How a configuration is to be loaded: the variables given on the
/// command line, and whether a page token may be left unknown (`drift`,
/// `import`, `validate` do without them).
#[derive(Clone, Debug, Default)]
pub(crate) struct ConfigRequest {
    pub(crate) vars: Vec<CliVar>,
    pub(crate) allow_unknown_tokens: bool,
    /// `validate`'s: see `LoadOptions::allow_unset_credentials`.
    pub(crate) allow_unset_credentials: bool,
}

impl Session {
    /// `state_dir` defaults to `state/` in `dir`.
    pub(crate) fn new(
        dir: PathBuf,
        state_dir: Option<PathBuf>,
        network: NetworkOptions,
    ) -> Session {
        Session {
            state_dir: state_dir.unwrap_or_else(|| dir.join("state")),
            dir,
            env: Env(std::env::vars().collect()),
            network,
        }
    }

    /// The configuration, with `data.facebook_pages` unknown (whatever
    /// uses it is left out, and `Desired::needs_facebook_pages` says so).
    pub(crate) fn load(&self, request: &ConfigRequest) -> Result<Desired, Diagnostics> {
        config::load(&self.load_options(request, None, Select::Everything))
    }

    /// The configuration, with Facebook's answer for `data.facebook_pages`
    /// and Vonage's for `data.vonage_applications`, where known.
    fn load_with_data(
        &self,
        request: &ConfigRequest,
        pages: Option<Vec<FacebookPage>>,
        applications: Option<Arc<Vec<DataApplication>>>,
    ) -> Result<Desired, Diagnostics> {
        let mut options = self.load_options(request, pages.map(Arc::new), Select::Everything);
        options.vonage_applications = applications;
        config::load(&options)
    }

    /// The backend block as the files named say it on their own, without a
    /// diagnostic: `None` when they say nothing, or anything goes wrong.
    fn backend_in(&self, vars: &[CliVar], files: &[PathBuf]) -> Option<PostgresSettings> {
        if files.is_empty() {
            return None;
        }
        let select = Select::Backend {
            files: Some(files.to_vec()),
        };
        let request = ConfigRequest {
            vars: vars.to_vec(),
            allow_unknown_tokens: true,
            allow_unset_credentials: false,
        };
        config::load(&self.load_options(&request, None, select))
            .ok()
            .and_then(|desired| desired.backend)
    }

    /// Where state lives, for commands that load nothing else of the
    /// configuration (`state`, `history`, `show`): only the backend block
    /// is read, so a mistake in a page block does not stop them.
    pub(crate) fn configured_backend(&self, vars: Vec<CliVar>) -> anyhow::Result<Backend> {
        if !config::may_declare(&self.dir).backend {
            return self.backend_for(None);
        }
        let request = ConfigRequest {
            vars,
            allow_unknown_tokens: true,
            allow_unset_credentials: false,
        };
        let select = Select::Backend { files: None };
        let desired = config::load(&self.load_options(&request, None, select))?;
        self.backend_for(desired.backend.as_ref())
    }

    /// State where a `backend` block says: PostgreSQL, or the local store
    /// without one.
    pub(crate) fn backend_for(
        &self,
        settings: Option<&PostgresSettings>,
    ) -> anyhow::Result<Backend> {
        Backend::choose(settings, &self.state_dir, &|name| {
            self.env.get(name).map(str::to_string)
        })
    }

    fn load_options(
        &self,
        request: &ConfigRequest,
        facebook_pages: Option<Arc<Vec<FacebookPage>>>,
        select: Select,
    ) -> LoadOptions {
        LoadOptions {
            dir: self.dir.clone(),
            cli_vars: request.vars.clone(),
            env: self.env.0.clone(),
            allow_unknown_tokens: request.allow_unknown_tokens,
            allow_unset_credentials: request.allow_unset_credentials,
            facebook_pages,
            vonage_applications: None,
            select,
        }
    }
}

/// The environment as it was when the session began.
#[derive(Clone)]
struct Env(Vec<(String, String)>);

impl Env {
    /// A variable's value; an empty one counts as unset.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}
