//! The Vonage side of a run: its client, made from the provider block or
//! the `VONAGE_*` variables, against the embedded sandbox for
//! `endpoint = "sandbox"`.

use super::origin::EndpointOrigin;
use super::{Session, SessionObserver, sandbox};
use crate::desired::ProviderSettings;
use crate::remote::{ApiError, Client, ClientConfig, RetryPolicy};
use crate::sandbox::SandboxHandle;
use crate::secret::Secret;
use anyhow::{Context, bail};
use std::sync::Arc;
use std::time::Duration;

/// How the API clients cope with a slow or failing API.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NetworkOptions {
    /// Per-request timeout.
    pub(crate) timeout: Duration,
    /// Retries after the first attempt of a failed request.
    pub(crate) max_retries: u32,
    /// `--rate-limit` / `SOCIALFORM_RATE_LIMIT`: requests a second to the
    /// External Accounts API, over the provider block's; 0 for no limit.
    pub(crate) rate_limit: Option<f64>,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions {
            timeout: Duration::from_secs(30),
            max_retries: 5,
            rate_limit: None,
        }
    }
}

/// A client, and the embedded sandbox behind it if there is one: keep it
/// alive while the client is in use.
pub(crate) struct Connection {
    pub(crate) client: Client,
    pub(crate) sandbox: Option<SandboxHandle>,
}

/// How a client reaches its API.
enum Reach {
    /// The built-in sandbox: plain HTTP on loopback, never through a proxy.
    Sandbox,
    /// A remote API, through the environment's proxy if any, trusting this
    /// CA bundle (or the system's roots).
    Remote(Option<crate::tls::CaFile>),
}

impl Session {
    /// The Vonage client for the configured endpoint, starting the embedded
    /// sandbox when the endpoint is `sandbox`.
    pub(crate) async fn connect_vonage(
        &self,
        provider: &ProviderSettings,
        observer: &Arc<dyn SessionObserver>,
    ) -> anyhow::Result<Connection> {
        let (endpoint, origin) = match (&provider.endpoint, self.env.get("VONAGE_ENDPOINT")) {
            (Some(endpoint), _) => (
                endpoint.clone(),
                EndpointOrigin::of_block(&provider.endpoint_location),
            ),
            (None, Some(endpoint)) => (endpoint.to_string(), EndpointOrigin::VonageEnv),
            (None, None) => (
                crate::endpoint::DEFAULT_VONAGE.to_string(),
                EndpointOrigin::Default,
            ),
        };
        let sandboxed = endpoint == crate::endpoint::SANDBOX;
        if !sandboxed {
            origin.check(&endpoint, "vonage")?;
        }
        let api_key = provider
            .api_key
            .clone()
            .or_else(|| self.env.get("VONAGE_API_KEY").map(str::to_string));
        let api_secret = provider
            .api_secret
            .clone()
            .or_else(|| self.env.get("VONAGE_API_SECRET").map(Secret::new));

        if sandboxed {
            let api_key = api_key.unwrap_or_else(|| sandbox::CREDENTIAL.into());
            let api_secret = api_secret.unwrap_or_else(|| Secret::new(sandbox::CREDENTIAL));
            let handle = sandbox::start(&self.state_dir, &api_key, &api_secret).await?;
            // The built-in sandbox has no limit unless asked for one.
            let rate = self.rate_limit(provider, 0.0);
            let client = self.client(handle.url(), api_key, api_secret, rate, Reach::Sandbox)?;
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
        let warn = observer.clone();
        let notice_origin = origin.to_string();
        let retries = self.network.max_retries;
        let rate = self.rate_limit(provider, crate::remote::ACCOUNTS_REQUESTS_PER_SECOND);
        let ca_file =
            crate::tls::CaFile::choose(provider.ca_file.as_ref(), self.env.get("SSL_CERT_FILE"));
        let client = self
            .client(endpoint, api_key, api_secret, rate, Reach::Remote(ca_file))?
            .with_endpoint_origin(origin.to_string())
            .with_retry_notice(Arc::new(move |err| {
                let why = match err {
                    ApiError::Transport(detail) | ApiError::Tls(detail) => {
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

    /// The External Accounts rate: the flag (or its variable), the provider
    /// block, or `default`.
    fn rate_limit(&self, provider: &ProviderSettings, default: f64) -> f64 {
        self.network
            .rate_limit
            .or(provider.requests_per_second)
            .unwrap_or(default)
    }

    fn client(
        &self,
        endpoint: String,
        api_key: String,
        api_secret: Secret,
        requests_per_second: f64,
        reach: Reach,
    ) -> anyhow::Result<Client> {
        let (direct, ca_file) = match reach {
            Reach::Sandbox => (true, None),
            Reach::Remote(ca_file) => (false, ca_file),
        };
        Client::new(ClientConfig {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            api_key,
            api_secret,
            timeout: self.network.timeout,
            retry: RetryPolicy::with_max_retries(self.network.max_retries),
            requests_per_second,
            direct,
            ca_file,
        })
        .context("could not set up the HTTP client")
    }
}
