//! The local emulator of the Vonage APIs, served over HTTP with axum.
//!
//! It serves the External Accounts API and the part of the Application API v2
//! socialform uses at their production paths, enforcing the real rules, with
//! fault injection and test-only control endpoints under `/_sandbox/`; and,
//! in the same server, the subset of Facebook's Graph API socialform uses
//! (`graph/`), at Graph's own paths.

mod accounts;
mod applications;
mod auth;
mod control;
mod faults;
mod gate;
mod graph;
mod latency;
mod log;
mod problem;
mod request;
mod router;
mod seal;
mod state;
mod store;
mod tls;

pub use tls::SandboxTls;

use state::Shared;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use store::Store;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Run-time fault injection; also settable through `PUT /_sandbox/faults`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Faults {
    pub latency_ms: u64,
    /// Share of mutating requests answered 503 without any effect.
    pub error_rate: f64,
    /// Share of mutating requests that take effect but answer 500.
    pub ambiguous_rate: f64,
    /// Requests per second; 0 = unlimited.
    pub rate_limit: u32,
    /// What a 429 of `rate_limit` says in `Retry-After`.
    #[serde(default)]
    pub retry_after: RetryAfter,
    /// Seed of the dice behind `error_rate` and `ambiguous_rate`: the same
    /// seed gives the same faults to the same sequence of mutating requests
    /// (by arrival order, which concurrent callers may change). `None` at
    /// start draws one; the faults in force always report the seed in use.
    /// Setting it (`PUT /_sandbox/faults` with `seed`) restarts the sequence.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// The `Retry-After` of the `rate_limit` fault's 429s: in JSON,
/// `"window"` (the default: the whole seconds until the window frees a
/// slot), a number of seconds, or `null` to send none, as Vonage documents
/// none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RetryAfter {
    #[default]
    Window,
    Seconds(u64),
    Omitted,
}

impl serde::Serialize for RetryAfter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RetryAfter::Window => serializer.serialize_str("window"),
            RetryAfter::Seconds(n) => serializer.serialize_u64(*n),
            RetryAfter::Omitted => serializer.serialize_none(),
        }
    }
}

impl<'de> serde::Deserialize<'de> for RetryAfter {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Seconds(u64),
            Word(String),
        }
        match Option::<Wire>::deserialize(deserializer)? {
            None => Ok(RetryAfter::Omitted),
            Some(Wire::Seconds(n)) => Ok(RetryAfter::Seconds(n)),
            Some(Wire::Word(w)) if w == "window" => Ok(RetryAfter::Window),
            Some(Wire::Word(w)) => Err(serde::de::Error::custom(format!(
                "retry_after must be a number of seconds, null or \"window\", got {w:?}"
            ))),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SandboxOptions {
    pub listen: SocketAddr,
    pub api_key: String,
    pub api_secret: String,
    /// sled directory; `None` keeps everything in memory.
    pub data: Option<PathBuf>,
    pub faults: Faults,
    /// Create the demo applications (see `DEMO_APPLICATIONS`) when the store is empty.
    pub seed_demo: bool,
    /// Serve HTTPS with this certificate instead of HTTP.
    pub tls: Option<SandboxTls>,
}

/// Applications the in-process sandbox starts with, so the examples can link
/// pages without any setup: (id, name, has Messages capability).
pub const DEMO_APPLICATIONS: &[(&str, &str, bool)] = &[
    ("c0ffee00-0000-4000-8000-000000000001", "Support bot", true),
    ("c0ffee00-0000-4000-8000-000000000002", "Sales bot", true),
    (
        "c0ffee00-0000-4000-8000-000000000003",
        "Voice IVR (no Messages)",
        false,
    ),
];

/// Accounts of other channels the in-process sandbox (`endpoint =
/// "sandbox"`) holds, unlinked, so examples can link them with no Vonage
/// account: (provider, external_id, name). Such accounts are onboarded
/// outside the public API, which cannot create them.
pub(crate) const DEMO_ACCOUNTS: &[(&str, &str, &str)] =
    &[("whatsapp", "447700900123", "Acme Support WhatsApp")];

/// The user token of the Facebook user the seeded sandbox (`seed_demo`) has:
/// it manages `DEMO_FACEBOOK_PAGES`.
pub const DEMO_FACEBOOK_USER_TOKEN: &str = "sandbox-facebook-user";

/// The demo user's pages: (page id, name). Each has a valid, never-expiring
/// token, kept across restarts of a sandbox with a data directory.
pub const DEMO_FACEBOOK_PAGES: &[(&str, &str)] = &[
    ("107900000000001", "Acme Support"),
    ("107900000000002", "Acme Sales"),
    ("107900000000003", "Acme Returns"),
];

/// A running sandbox; stops when dropped or on `shutdown`.
pub struct SandboxHandle {
    pub(crate) addr: SocketAddr,
    /// `http`, or `https` with `SandboxOptions::tls`.
    scheme: &'static str,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    /// `http://HOST:PORT` (`https://` when serving TLS)
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The faults in force now.
    pub fn faults(&self) -> Faults {
        self.shared.faults()
    }

    /// Makes the account list refuse pages larger than `size` (default 100),
    /// to emulate a server with a smaller limit.
    pub fn set_max_page_size(&self, size: u32) {
        self.shared.set_max_page_size(size);
    }

    /// Adds each of `DEMO_ACCOUNTS` that is missing; one already there
    /// (linked since, perhaps) is left as it is.
    pub(crate) fn seed_demo_accounts(&self) {
        let mut store = self.shared.store();
        for (provider, external_id, name) in DEMO_ACCOUNTS {
            if store.account(provider, external_id).is_none() {
                store.put_account(store::StoredAccount {
                    external_id: (*external_id).to_owned(),
                    provider: (*provider).to_owned(),
                    api_key: self.shared.api_key.clone(),
                    name: Some((*name).to_owned()),
                    applications: Vec::new(),
                    access_token: None,
                });
            }
        }
    }

    /// The same as `POST /_sandbox/facebook/users`: a Facebook user, known by
    /// `user_token`, who manages exactly `pages` (id, name) with every task.
    /// Answers each page's id and current (valid, never-expiring) token.
    pub fn add_facebook_user(
        &self,
        user_token: &str,
        pages: &[(&str, &str)],
    ) -> anyhow::Result<Vec<(String, String)>> {
        let pages = pages
            .iter()
            .map(|(id, name)| graph::store::NewPage {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                tasks: graph::store::DEFAULT_TASKS
                    .iter()
                    .map(|t| (*t).to_owned())
                    .collect(),
                category: None,
            })
            .collect();
        self.shared
            .graph()
            .put_user(user_token, pages)
            .map_err(anyhow::Error::msg)
    }

    /// The same as `POST /_sandbox/facebook/tokens`: another token of the
    /// page (`expires_at` Unix seconds, 0 = never), leaving what
    /// `/me/accounts` hands out as it was; `None` for an unknown page.
    pub fn mint_facebook_page_token(&self, page_id: &str, expires_at: u64) -> Option<String> {
        self.shared
            .graph()
            .mint_other_page_token(page_id, expires_at, None)
    }

    /// The same as `PUT /_sandbox/facebook/tokens`: revoke (`valid:
    /// Some(false)`) or restore a token, change its expiry; `false` for an
    /// unknown token.
    pub fn set_facebook_token(
        &self,
        token: &str,
        valid: Option<bool>,
        expires_at: Option<u64>,
    ) -> bool {
        self.shared.graph().update_token(token, valid, expires_at)
    }

    /// Stops accepting, lets in-flight requests finish, and flushes the data
    /// directory so it can be reopened at once.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.shared.close();
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Without awaiting the server, at least make the data durable and
        // release the directory.
        self.shared.close();
    }
}

/// Serves `app` on `listener` (plain TCP, or TLS) until `until` completes.
fn serve<L>(
    listener: L,
    app: axum::Router,
    until: impl std::future::Future<Output = ()> + Send + 'static,
) -> JoinHandle<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(until)
            .await;
        if let Err(e) = served {
            tracing::error!("sandbox server stopped: {e}");
        }
    })
}

/// Binds and starts serving on the current tokio runtime.
pub async fn start(options: SandboxOptions) -> anyhow::Result<SandboxHandle> {
    faults::validate(&options.faults).map_err(anyhow::Error::msg)?;
    let mut store = match &options.data {
        Some(dir) => Store::open(dir)?,
        None => Store::in_memory(),
    };
    if options.seed_demo && store.is_empty() {
        store.seed_demo();
    }
    let mut graph = match store.backing() {
        Some((db, sealer)) => graph::store::GraphStore::open(db, sealer)?,
        None => graph::store::GraphStore::in_memory(),
    };
    // Unlike the demo applications (seeded into an empty store only), the
    // demo Facebook user is made sure of at every start: data directories
    // older than the Graph side must get it too, and it keeps its tokens.
    if options.seed_demo {
        graph.seed_demo();
    }
    let shared = Arc::new(Shared::new(
        options.api_key,
        options.api_secret,
        options.seed_demo,
        store,
        graph,
        options.faults,
    ));
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", options.listen))?;
    let addr = listener.local_addr()?;
    let app = router::build(shared.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let until_stopped = async move {
        let _ = stopped.await;
    };
    let (scheme, task) = match &options.tls {
        None => ("http", serve(listener, app, until_stopped)),
        Some(tls) => (
            "https",
            serve(tls::TlsListener::new(listener, tls)?, app, until_stopped),
        ),
    };
    Ok(SandboxHandle {
        addr,
        scheme,
        shared,
        stop: Some(stop),
        task: Some(task),
    })
}
