//! Where a command works: the configuration directory, the state backend,
//! how credentials and the endpoint are resolved, and the in-process
//! sandbox for `endpoint = "sandbox"`.

use crate::config::{self, CliVar, Diagnostics, LoadOptions};
use crate::desired::{Desired, FacebookSettings, ProviderSettings};
use crate::facebook::{GraphClient, GraphConfig};
use crate::remote::{Client, ClientConfig, RetryPolicy};
use crate::sandbox::{self, SandboxHandle, SandboxOptions};
use crate::secret::Secret;
use crate::state::{
    LocalBackend, LockRequest, PostgresBackend, PostgresSettings, Recorded, StateBackend,
    StateStore,
};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_ENDPOINT: &str = "https://api.nexmo.com";
/// The `endpoint` value that selects the built-in emulator.
pub const SANDBOX_ENDPOINT: &str = "sandbox";
/// The app ID the Graph emulator is asked with when none is configured.
const SANDBOX_FACEBOOK_APP_ID: &str = "100000000000001";
/// Credentials of the in-process sandbox when none are configured.
const SANDBOX_CREDENTIAL: &str = "sandbox";

/// A configuration directory and where its state lives.
#[derive(Clone)]
pub struct Workspace {
    pub dir: PathBuf,
    /// This machine's directory for the configuration's local files: the
    /// local state backend's, and the embedded sandbox's data.
    pub state_dir: PathBuf,
    pub backend: Arc<dyn StateBackend>,
    /// Whether `backend` is the local store.
    local: bool,
    /// Environment snapshot: `SF_VAR_*`, `env()`, `VONAGE_*`.
    pub env: Vec<(String, String)>,
    /// Timeout and retries of the API client.
    pub network: NetworkOptions,
}

/// The state, opened (so locked), and what it holds.
pub struct OpenedState {
    pub store: Box<dyn StateStore>,
    pub recorded: Recorded,
}

/// How the API client copes with a slow or failing API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkOptions {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt of a failed request.
    pub max_retries: u32,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions {
            timeout: Duration::from_secs(30),
            max_retries: 5,
        }
    }
}

impl Workspace {
    pub fn new(dir: PathBuf, state_dir: Option<PathBuf>) -> Workspace {
        let state_dir = state_dir.unwrap_or_else(|| dir.join("state"));
        Workspace {
            dir,
            backend: Arc::new(LocalBackend::new(state_dir.clone())),
            local: true,
            state_dir,
            env: std::env::vars().collect(),
            network: NetworkOptions::default(),
        }
    }

    pub fn with_network(mut self, network: NetworkOptions) -> Workspace {
        self.network = network;
        self
    }

    /// State where the configuration's `backend` block says: PostgreSQL,
    /// or the local store without one.
    pub fn with_backend(
        mut self,
        settings: Option<&PostgresSettings>,
    ) -> anyhow::Result<Workspace> {
        self.backend = match settings {
            Some(settings) => {
                let env = |name: &str| self.env_var(name).map(str::to_string);
                Arc::new(PostgresBackend::new(settings, &env)?)
            }
            None => Arc::new(LocalBackend::new(self.state_dir.clone())),
        };
        self.local = settings.is_none();
        Ok(self)
    }

    /// The backend block as the small files that may declare it say it on
    /// their own (see `config::early_backend`): a guess, for `plan`.
    pub fn early_backend(
        &self,
        cli_vars: Vec<CliVar>,
        files: &[std::path::PathBuf],
    ) -> Option<crate::state::PostgresSettings> {
        config::early_backend(
            &LoadOptions {
                dir: self.dir.clone(),
                cli_vars,
                env: self.env.clone(),
                allow_unknown_tokens: true,
                facebook_pages: None,
            },
            files,
        )
    }

    /// `with_backend` for commands that load nothing else of the
    /// configuration (`state`, `history`): reads only the backend block.
    pub fn with_configured_backend(self, cli_vars: Vec<CliVar>) -> anyhow::Result<Workspace> {
        if !config::may_declare_backend(&self.dir) {
            return Ok(self);
        }
        let settings = config::load_backend(&LoadOptions {
            dir: self.dir.clone(),
            cli_vars,
            env: self.env.clone(),
            allow_unknown_tokens: true,
            facebook_pages: None,
        })?;
        self.with_backend(settings.as_ref())
    }

    /// Whether state is in the local store of `state_dir`.
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// The local store, whatever the configuration says (for `state migrate`).
    pub fn local_backend(&self) -> LocalBackend {
        LocalBackend::new(self.state_dir.clone())
    }

    fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The configuration, with `data.facebook_pages` unknown (whatever
    /// uses it is left out, and `Desired::needs_facebook_pages` says so).
    pub fn load_config(
        &self,
        cli_vars: Vec<CliVar>,
        allow_unknown_tokens: bool,
    ) -> Result<Desired, Diagnostics> {
        self.load_config_with(cli_vars, allow_unknown_tokens, None)
    }

    /// The configuration, with Facebook's answer for `data.facebook_pages`.
    pub fn load_config_with(
        &self,
        cli_vars: Vec<CliVar>,
        allow_unknown_tokens: bool,
        facebook_pages: Option<Arc<Vec<config::FacebookPage>>>,
    ) -> Result<Desired, Diagnostics> {
        config::load(&LoadOptions {
            dir: self.dir.clone(),
            cli_vars,
            env: self.env.clone(),
            allow_unknown_tokens,
            facebook_pages,
        })
    }

    /// The Graph client, when Facebook credentials are present (the
    /// `provider "facebook"` block or the `FACEBOOK_*` environment
    /// variables); `None` otherwise. `endpoint = "sandbox"` uses the
    /// embedded emulator: `vonage_sandbox` when the Vonage side runs on it
    /// too, else one started here.
    pub async fn facebook(
        &self,
        settings: Option<&FacebookSettings>,
        vonage_sandbox: Option<&SandboxHandle>,
    ) -> anyhow::Result<Option<FacebookSide>> {
        let default = FacebookSettings::default();
        let block = settings.unwrap_or(&default);
        let (endpoint, origin) = match (&block.endpoint, self.env_var("FACEBOOK_GRAPH_ENDPOINT")) {
            (Some(endpoint), _) => (
                endpoint.clone(),
                match &block.endpoint_location {
                    Some(at) => EndpointOrigin::Config(at.clone()),
                    None => EndpointOrigin::Default,
                },
            ),
            (None, Some(endpoint)) => (endpoint.to_string(), EndpointOrigin::FacebookEnv),
            (None, None) => (
                crate::facebook::DEFAULT_GRAPH_ENDPOINT.to_string(),
                EndpointOrigin::Default,
            ),
        };
        let sandbox = endpoint == SANDBOX_ENDPOINT;
        let user_token = block
            .user_token
            .clone()
            .or_else(|| self.env_var("FACEBOOK_USER_TOKEN").map(Secret::new))
            .or_else(|| sandbox.then(|| Secret::new(sandbox::DEMO_FACEBOOK_USER_TOKEN)));
        let app_id = block
            .app_id
            .clone()
            .or_else(|| self.env_var("FACEBOOK_APP_ID").map(str::to_string));
        let app_secret = block
            .app_secret
            .clone()
            .or_else(|| self.env_var("FACEBOOK_APP_SECRET").map(Secret::new));
        let app = match (app_id, app_secret) {
            (Some(id), Some(secret)) => Some((id, secret)),
            // The emulator takes any app token: with it, the example shows
            // expiries as debug_token tells them.
            (None, None) if sandbox => Some((
                SANDBOX_FACEBOOK_APP_ID.to_string(),
                Secret::new(SANDBOX_CREDENTIAL),
            )),
            (None, None) => None,
            (Some(_), None) => bail!(
                "a Facebook app ID is set but no app secret: set app_secret in the provider \
                 \"facebook\" block or FACEBOOK_APP_SECRET (or remove the app ID)"
            ),
            (None, Some(_)) => bail!(
                "a Facebook app secret is set but no app ID: set app_id in the provider \
                 \"facebook\" block or FACEBOOK_APP_ID (or remove the app secret)"
            ),
        };
        if user_token.is_none() && app.is_none() {
            return Ok(None);
        }
        let (url, own_sandbox) = if sandbox {
            match vonage_sandbox {
                Some(handle) => (handle.url(), None),
                None => {
                    let handle = start_embedded_sandbox(
                        &self.state_dir,
                        SANDBOX_CREDENTIAL,
                        &Secret::new(SANDBOX_CREDENTIAL),
                    )
                    .await?;
                    (handle.url(), Some(handle))
                }
            }
        } else {
            check_endpoint(&endpoint, &origin, "facebook")?;
            (endpoint.trim().trim_end_matches('/').to_string(), None)
        };
        let client = GraphClient::new(GraphConfig {
            endpoint: url,
            user_token,
            app,
            timeout: self.network.timeout,
            retry: RetryPolicy::with_max_retries(self.network.max_retries),
            origin: (!sandbox).then(|| origin.to_string()),
        })
        .context("could not set up the Graph API client")?;
        Ok(Some(FacebookSide {
            client,
            warning_days: block
                .token_warning_days
                .unwrap_or(crate::facebook::DEFAULT_WARNING_DAYS),
            _sandbox: own_sandbox,
        }))
    }

    /// Opens the state (creating it if absent), then loads it.
    pub fn open_state(&self, lock: &LockRequest) -> anyhow::Result<OpenedState> {
        let store = self.backend.open(lock)?;
        let recorded = store.load()?;
        Ok(OpenedState { store, recorded })
    }

    /// `open_state`, run on its own thread while `work` (loading the
    /// configuration) runs on this one: at 10,000 pages each takes tens of
    /// milliseconds, and neither needs the other.
    ///
    /// Only state that already exists is opened early. Creating one is
    /// left until `work` has succeeded, so that a configuration error leaves
    /// no new state behind, as it did when the two ran in turn. When `work`
    /// fails its error is returned at once; a thread still waiting for the
    /// lock is left to give up on its own.
    pub fn open_state_alongside<T, E>(
        &self,
        lock: &LockRequest,
        work: impl FnOnce() -> Result<T, E>,
    ) -> anyhow::Result<(T, OpenedState)>
    where
        anyhow::Error: From<E>,
    {
        let early = if self.backend.exists()? {
            let workspace = self.clone();
            let lock = lock.clone();
            std::thread::Builder::new()
                .name("state-open".into())
                .spawn(move || {
                    let _phase = crate::logging::overlapped_phase("open_state");
                    workspace.open_state(&lock)
                })
                .ok()
        } else {
            None
        };
        let done = {
            let _phase = crate::logging::overlapped_phase("load_config");
            work()?
        };
        let opened = match early {
            Some(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("internal error: opening the state panicked"))??,
            None => {
                let _phase = crate::logging::overlapped_phase("open_state");
                self.open_state(lock)?
            }
        };
        Ok((done, opened))
    }

    /// The API client for the configured endpoint, starting the in-process
    /// sandbox when the endpoint is `sandbox`. Keep the returned
    /// `Connection` alive while the client is in use.
    pub async fn connect(
        &self,
        provider: &ProviderSettings,
        reporter: &Arc<dyn crate::ops::Reporter>,
    ) -> anyhow::Result<Connection> {
        let (endpoint, origin) = match (&provider.endpoint, self.env_var("VONAGE_ENDPOINT")) {
            (Some(endpoint), _) => (
                endpoint.clone(),
                match &provider.endpoint_location {
                    Some(at) => EndpointOrigin::Config(at.clone()),
                    None => EndpointOrigin::Default,
                },
            ),
            (None, Some(endpoint)) => (endpoint.to_string(), EndpointOrigin::Env),
            (None, None) => (DEFAULT_ENDPOINT.to_string(), EndpointOrigin::Default),
        };
        if endpoint != SANDBOX_ENDPOINT {
            check_endpoint(&endpoint, &origin, "vonage")?;
        }
        let api_key = provider
            .api_key
            .clone()
            .or_else(|| self.env_var("VONAGE_API_KEY").map(str::to_string));
        let api_secret = provider
            .api_secret
            .clone()
            .or_else(|| self.env_var("VONAGE_API_SECRET").map(Secret::new));

        if endpoint == SANDBOX_ENDPOINT {
            let api_key = api_key.unwrap_or_else(|| SANDBOX_CREDENTIAL.into());
            let api_secret = api_secret.unwrap_or_else(|| Secret::new(SANDBOX_CREDENTIAL));
            let handle = start_embedded_sandbox(&self.state_dir, &api_key, &api_secret).await?;
            let client = make_client(handle.url(), api_key, api_secret, &self.network)?;
            return Ok(Connection {
                client,
                sandbox: Some(handle),
            });
        }
        let Some(api_key) = api_key else {
            bail!(
                "no Vonage API key: set VONAGE_API_KEY, or api_key in the provider \"vonage\" block \
                 (or endpoint = \"sandbox\" to try socialform against the built-in emulator)"
            );
        };
        let Some(api_secret) = api_secret else {
            bail!(
                "no Vonage API secret: set VONAGE_API_SECRET, or api_secret in the provider \"vonage\" block"
            );
        };
        let label = endpoint.trim().trim_end_matches('/').to_string();
        let warn = reporter.clone();
        let notice_origin = origin.to_string();
        let retries = self.network.max_retries;
        let client = make_client(endpoint, api_key, api_secret, &self.network)?
            .with_endpoint_origin(origin.to_string())
            .with_retry_notice(Arc::new(move |err| {
                let why = match err {
                    crate::remote::ApiError::Transport(detail) => {
                        detail.rsplit(": ").next().unwrap_or(detail).to_string()
                    }
                    other => other.to_string(),
                };
                warn.warning(&format!(
                    "could not reach the API at {label} ({notice_origin}): {why}; retrying \
                     (up to {retries} times, --max-retries)"
                ));
            }));
        Ok(Connection {
            client,
            sandbox: None,
        })
    }
}

/// Where the endpoint in use was configured.
enum EndpointOrigin {
    /// `endpoint = ...` in the provider block, at this place.
    Config(crate::desired::Location),
    Env,
    FacebookEnv,
    Default,
}

impl std::fmt::Display for EndpointOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointOrigin::Config(at) => write!(f, "endpoint set at {at}"),
            EndpointOrigin::Env => write!(f, "endpoint set by VONAGE_ENDPOINT"),
            EndpointOrigin::FacebookEnv => write!(f, "endpoint set by FACEBOOK_GRAPH_ENDPOINT"),
            EndpointOrigin::Default => write!(f, "the default endpoint"),
        }
    }
}

/// Refuses an endpoint that is not an http(s) URL, saying where it was set
/// and what to write instead: `127.0.0.1:8481` is read as a URL of scheme
/// `127.0.0.1`, or of none.
fn check_endpoint(endpoint: &str, origin: &EndpointOrigin, provider: &str) -> anyhow::Result<()> {
    let Some(suggestion) = endpoint_fix(endpoint) else {
        return Ok(());
    };
    let place = match origin {
        EndpointOrigin::Config(at) => format!("{at}: the provider \"{provider}\" block's endpoint"),
        EndpointOrigin::Env => "VONAGE_ENDPOINT".to_string(),
        EndpointOrigin::FacebookEnv => "FACEBOOK_GRAPH_ENDPOINT".to_string(),
        EndpointOrigin::Default => "the endpoint".to_string(),
    };
    let how = match origin {
        EndpointOrigin::Env => format!("VONAGE_ENDPOINT={suggestion}"),
        EndpointOrigin::FacebookEnv => format!("FACEBOOK_GRAPH_ENDPOINT={suggestion}"),
        _ => format!("endpoint = \"{suggestion}\""),
    };
    bail!(
        "{place} is {endpoint:?}, which is not an http(s) URL: write {how} \
         (with the scheme), or \"sandbox\" for the built-in emulator"
    )
}

/// `None` when `endpoint` is an http(s) URL with a host; otherwise the URL
/// to write instead (the endpoint with `http://` in front, when it looks
/// like `HOST:PORT`). `validate` reports a provider block's endpoint with
/// it; the VONAGE_ENDPOINT variable is checked when a command connects.
pub(crate) fn endpoint_fix(endpoint: &str) -> Option<String> {
    let trimmed = endpoint.trim();
    let has_scheme = ["http://", "https://"].iter().any(|scheme| {
        trimmed
            .get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    });
    let parsed = reqwest::Url::parse(trimmed).ok();
    if has_scheme && parsed.as_ref().is_some_and(|url| url.has_host()) {
        return None;
    }
    Some(if trimmed.contains("://") || trimmed.is_empty() {
        "http://127.0.0.1:8480".to_string()
    } else {
        format!("http://{}", trimmed.trim_start_matches('/'))
    })
}

fn make_client(
    endpoint: String,
    api_key: String,
    api_secret: Secret,
    network: &NetworkOptions,
) -> anyhow::Result<Client> {
    Client::new(ClientConfig {
        endpoint: endpoint.trim_end_matches('/').to_string(),
        api_key,
        api_secret,
        timeout: network.timeout,
        retry: RetryPolicy::with_max_retries(network.max_retries),
    })
    .context("could not set up the HTTP client")
}

async fn start_embedded_sandbox(
    state_dir: &Path,
    api_key: &str,
    api_secret: &Secret,
) -> anyhow::Result<SandboxHandle> {
    std::fs::create_dir_all(state_dir).with_context(|| {
        format!(
            "could not create the state directory {}",
            state_dir.display()
        )
    })?;
    let data = state_dir.join("sandbox");
    crate::private_fs::private_by_default();
    crate::private_fs::make_private(&data)
        .with_context(|| format!("could not restrict access to {}", data.display()))?;
    let handle = sandbox::start(SandboxOptions {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        api_key: api_key.to_string(),
        api_secret: api_secret.expose().to_string(),
        data: Some(data),
        faults: Default::default(),
        seed_demo: true,
    })
    .await
    .context("could not start the built-in sandbox")?;
    handle.seed_demo_accounts();
    Ok(handle)
}

/// The Graph client, and how early a token counts as expiring.
pub struct FacebookSide {
    pub client: GraphClient,
    pub warning_days: u32,
    /// The embedded emulator this side started (Vonage on a real endpoint,
    /// Facebook on `sandbox`): kept alive with the client.
    _sandbox: Option<SandboxHandle>,
}

/// A client, and the embedded sandbox behind it if there is one.
pub struct Connection {
    pub client: Client,
    pub sandbox: Option<SandboxHandle>,
}
