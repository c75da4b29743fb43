//! Facebook in a run: the Graph client from the provider block or the
//! `FACEBOOK_*` variables; the page tokens `/me/accounts` supplies to pages
//! that configure none; the pages `data "facebook_pages"` exposes; and the
//! health of the tokens Vonage holds and of those about to be sent.
//!
//! Order within a run: load the configuration (data sources unknown);
//! read `managed_pages` (one paginated `/me/accounts` walk, only when
//! something needs it) while refresh reads the Vonage side, keeping the
//! tokens it returns; `settle`: complete the configuration with Facebook's
//! answer (loaded again only when a data source was used), check the
//! tokens' health (batches of at most 50) and drop every token read. The
//! plan that follows refuses an invalid token before any call
//! (`ops::plan`).

use super::origin::EndpointOrigin;
use super::{ConfigRequest, Session, sandbox};
use crate::actual::{Actual, TokenReport, UserTokenOrigin, UserTokenReport};
use crate::address::Address;
use crate::config::{DataApplication, FacebookPage};
use crate::desired::{Desired, FacebookSettings};
use crate::facebook::{
    GraphClient, GraphConfig, ManagedPage, NEEDED_PERMISSIONS, TokenCheck, check_tokens,
};
use crate::remote::RetryPolicy;
use crate::sandbox::SandboxHandle;
use crate::secret::Secret;
use crate::state::{Fingerprinter, Recorded};
use anyhow::{Context, bail};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The app ID the Graph emulator is asked with when none is configured.
const SANDBOX_FACEBOOK_APP_ID: &str = "100000000000001";

/// Tasks that let a page token message through the page.
const MESSAGING_TASKS: &[&str] = &["MESSAGING", "MANAGE"];

/// The Graph client, and how early a token counts as expiring.
pub(crate) struct FacebookSide {
    pub(crate) client: GraphClient,
    pub(crate) warning_days: u32,
    /// Where the user token came from, when there is one.
    pub(crate) user_origin: Option<UserTokenOrigin>,
    /// The embedded emulator this side started (Vonage on a real endpoint,
    /// Facebook on `sandbox`): kept alive with the client.
    _sandbox: Option<SandboxHandle>,
}

impl Session {
    /// The Graph client, when Facebook credentials are present (the
    /// `provider "facebook"` block or the `FACEBOOK_*` environment
    /// variables); `None` otherwise. `endpoint = "sandbox"` uses the
    /// embedded emulator: `vonage_sandbox` when the Vonage side runs on it
    /// too, else one started here.
    pub(super) async fn connect_facebook(
        &self,
        settings: Option<&FacebookSettings>,
        vonage_sandbox: Option<&SandboxHandle>,
    ) -> anyhow::Result<Option<FacebookSide>> {
        let default = FacebookSettings::default();
        let block = settings.unwrap_or(&default);
        let (endpoint, origin) = match (&block.endpoint, self.env.get("FACEBOOK_GRAPH_ENDPOINT")) {
            (Some(endpoint), _) => (
                endpoint.clone(),
                EndpointOrigin::of_block(&block.endpoint_location),
            ),
            (None, Some(endpoint)) => (endpoint.to_string(), EndpointOrigin::FacebookEnv),
            (None, None) => (
                crate::facebook::DEFAULT_GRAPH_ENDPOINT.to_string(),
                EndpointOrigin::Default,
            ),
        };
        let sandboxed = endpoint == crate::endpoint::SANDBOX;
        // The block, then the environment, then the stored login (kept per
        // endpoint, so a sandbox login never reaches Facebook), then the
        // built-in sandbox's demo user.
        let mut user_token = block
            .user_token
            .clone()
            .map(|t| (t, UserTokenOrigin::Block))
            .or_else(|| {
                self.env
                    .get("FACEBOOK_USER_TOKEN")
                    .map(|t| (Secret::new(t), UserTokenOrigin::Env))
            });
        if user_token.is_none() {
            user_token = self
                .stored_login(&endpoint)?
                .map(|login| (login.token, UserTokenOrigin::Login));
        }
        let user_token = user_token.or_else(|| {
            sandboxed.then(|| {
                (
                    Secret::new(crate::sandbox::DEMO_FACEBOOK_USER_TOKEN),
                    UserTokenOrigin::SandboxDemo,
                )
            })
        });
        let user_origin = user_token.as_ref().map(|(_, origin)| *origin);
        let user_token = user_token.map(|(token, _)| token);
        let app_id = block
            .app_id
            .clone()
            .or_else(|| self.env.get("FACEBOOK_APP_ID").map(str::to_string));
        let app_secret = block
            .app_secret
            .clone()
            .or_else(|| self.env.get("FACEBOOK_APP_SECRET").map(Secret::new));
        let app = match (app_id, app_secret) {
            (Some(id), Some(secret)) => Some((id, secret)),
            // The emulator takes any app token: with it, the example shows
            // expiries as debug_token tells them.
            (None, None) if sandboxed => Some((
                SANDBOX_FACEBOOK_APP_ID.to_string(),
                Secret::new(sandbox::CREDENTIAL),
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
        let (url, own_sandbox) = if sandboxed {
            match vonage_sandbox {
                Some(handle) => (handle.url(), None),
                None => {
                    let handle = self.own_sandbox().await?;
                    (handle.url(), Some(handle))
                }
            }
        } else {
            origin.check(&endpoint, "facebook")?;
            (endpoint.trim().trim_end_matches('/').to_string(), None)
        };
        let client = GraphClient::new(GraphConfig {
            endpoint: url,
            user_token,
            app,
            timeout: self.network.timeout,
            retry: RetryPolicy::with_max_retries(self.network.max_retries),
            origin: (!sandboxed).then(|| origin.to_string()),
            ca_file: (!sandboxed)
                .then(|| {
                    crate::tls::CaFile::choose(
                        block.ca_file.as_ref(),
                        self.env.get("SSL_CERT_FILE"),
                    )
                })
                .flatten(),
            direct: sandboxed,
        })
        .context("could not set up the Graph API client")?;
        Ok(Some(FacebookSide {
            client,
            warning_days: block
                .token_warning_days
                .unwrap_or(crate::facebook::DEFAULT_WARNING_DAYS),
            user_origin,
            _sandbox: own_sandbox,
        }))
    }

    /// Where logins are kept, as this session's environment says.
    pub(crate) fn credential_store(&self) -> anyhow::Result<crate::credentials::Store> {
        crate::credentials::Store::choose(&|name| self.env.get(name).map(str::to_string))
    }

    /// The login `socialform login facebook` stored for `endpoint`.
    fn stored_login(
        &self,
        endpoint: &str,
    ) -> anyhow::Result<Option<crate::credentials::StoredLogin>> {
        // No HOME and no XDG_CONFIG_HOME: nowhere a login could be, and
        // nothing to complain about unless a login is wanted.
        let Ok(store) = self.credential_store() else {
            return Ok(None);
        };
        store
            .load(&login_key(endpoint))
            .context("could not read the stored Facebook login (socialform login facebook)")
    }
}

/// What `login facebook` talks to: a Graph client with the app's
/// credentials (when set), the key its login is stored under, and the
/// embedded sandbox it may have started.
pub(crate) struct LoginSide {
    pub(crate) client: GraphClient,
    pub(crate) key: String,
    /// `FACEBOOK_CLIENT_TOKEN` (the app's client token, for Login for
    /// Devices); the sandbox takes any.
    pub(crate) client_token: Option<Secret>,
    /// Where the dialog lives: Facebook's site, or the endpoint.
    pub(crate) dialog_base: String,
    _sandbox: Option<SandboxHandle>,
}

impl Session {
    /// The built-in sandbox, started for the Graph side alone (with the
    /// credentials it always takes), in this configuration's state
    /// directory.
    async fn own_sandbox(&self) -> anyhow::Result<SandboxHandle> {
        sandbox::start(
            &self.state_dir,
            sandbox::CREDENTIAL,
            &Secret::new(sandbox::CREDENTIAL),
        )
        .await
    }

    /// The Graph side `login facebook` and `logout facebook` use: `--endpoint`
    /// (`sandbox` for the built-in emulator), else `FACEBOOK_GRAPH_ENDPOINT`,
    /// else Graph itself; app credentials from `FACEBOOK_APP_ID` and
    /// `FACEBOOK_APP_SECRET`. `connect` false: only the key is wanted.
    pub(crate) async fn login_side(
        &self,
        endpoint: Option<&str>,
        connect: bool,
    ) -> anyhow::Result<(String, Option<LoginSide>)> {
        let (endpoint, origin) = match (endpoint, self.env.get("FACEBOOK_GRAPH_ENDPOINT")) {
            (Some(endpoint), _) => (endpoint.to_string(), EndpointOrigin::Default),
            (None, Some(endpoint)) => (endpoint.to_string(), EndpointOrigin::FacebookEnv),
            (None, None) => (
                crate::facebook::DEFAULT_GRAPH_ENDPOINT.to_string(),
                EndpointOrigin::Default,
            ),
        };
        let key = login_key(&endpoint);
        if !connect {
            return Ok((key, None));
        }
        let sandboxed = key == crate::endpoint::SANDBOX;
        let app_id = self.env.get("FACEBOOK_APP_ID").map(str::to_string);
        let app_secret = self.env.get("FACEBOOK_APP_SECRET").map(Secret::new);
        let app = match (app_id, app_secret) {
            (Some(id), Some(secret)) => Some((id, secret)),
            (None, None) if sandboxed => Some((
                SANDBOX_FACEBOOK_APP_ID.to_string(),
                Secret::new(sandbox::CREDENTIAL),
            )),
            (None, None) => None,
            (Some(_), None) => bail!(
                "FACEBOOK_APP_ID is set but FACEBOOK_APP_SECRET is not: set both (the app's \
                 ID and secret, from its Basic settings) or neither"
            ),
            (None, Some(_)) => {
                bail!("FACEBOOK_APP_SECRET is set but FACEBOOK_APP_ID is not: set both or neither")
            }
        };
        let client_token = self
            .env
            .get("FACEBOOK_CLIENT_TOKEN")
            .map(Secret::new)
            .or_else(|| sandboxed.then(|| Secret::new(sandbox::CREDENTIAL)));
        let (url, own_sandbox) = if sandboxed {
            let handle = self.own_sandbox().await?;
            (handle.url(), Some(handle))
        } else {
            origin.check(&endpoint, "facebook")?;
            (endpoint.trim().trim_end_matches('/').to_string(), None)
        };
        let dialog_base = crate::facebook::dialog_base(&url);
        let client = GraphClient::new(GraphConfig {
            endpoint: url,
            user_token: None,
            app,
            timeout: self.network.timeout,
            retry: RetryPolicy::with_max_retries(self.network.max_retries),
            origin: (!sandboxed).then(|| origin.to_string()),
            // `login` reads no configuration: SSL_CERT_FILE is its CA setting.
            ca_file: (!sandboxed)
                .then(|| crate::tls::CaFile::choose(None, self.env.get("SSL_CERT_FILE")))
                .flatten(),
            direct: sandboxed,
        })
        .context("could not set up the Graph API client")?;
        Ok((
            key.clone(),
            Some(LoginSide {
                client,
                key,
                client_token,
                dialog_base,
                _sandbox: own_sandbox,
            }),
        ))
    }
}

/// The key a login is stored under: the Graph endpoint as configured
/// (`sandbox` for the built-in one).
pub(crate) fn login_key(endpoint: &str) -> String {
    endpoint.trim().trim_end_matches('/').to_string()
}

/// The pages the user token manages, when the configuration needs them:
/// for a data source, or for pages that take their token from Facebook.
/// `drift` can do without those tokens (`tokens_optional`): without a user
/// token it reads nothing.
pub(super) async fn managed_pages(
    desired: &Desired,
    facebook: Option<&FacebookSide>,
    tokens_optional: bool,
) -> anyhow::Result<Option<Vec<ManagedPage>>> {
    let for_data = desired.needs_facebook_pages;
    let for_tokens = desired.pages.iter().any(|p| p.token_from_facebook);
    if !for_data && !for_tokens {
        return Ok(None);
    }
    let client = facebook
        .map(|side| &side.client)
        .filter(|client| client.has_user_token());
    let Some(client) = client else {
        if for_data || !tokens_optional {
            bail!("{}", no_user_token(desired));
        }
        return Ok(None);
    };
    read_pages(client).await.map(Some)
}

/// What refresh read from both sides, to settle after it.
pub(super) struct Read<'a> {
    pub(super) side: Option<&'a FacebookSide>,
    /// What `/me/accounts` listed, if it was read.
    pub(super) managed: Option<&'a [ManagedPage]>,
    /// The tokens Vonage holds, by page ID (empty unless health is checked).
    pub(super) held: BTreeMap<String, Secret>,
    /// Ask Facebook about the tokens (refresh ran, and a side exists).
    pub(super) check: bool,
    /// The account's applications for `data "vonage_applications"`, when
    /// the configuration needs them (see `run::data_applications`).
    pub(super) applications: Option<Arc<Vec<DataApplication>>>,
}

/// After refresh, for every command that reads both sides: the
/// configuration `complete`d with Facebook's answer and, when asked, the
/// tokens' health in `actual.tokens`. The tokens read from Vonage end
/// here: `read.held` is dropped (and wiped) before this returns.
pub(super) async fn settle(
    session: &Session,
    request: &ConfigRequest,
    desired: Desired,
    read: Read<'_>,
    recorded: &Recorded,
    actual: &mut Actual,
    fingerprinter: &Fingerprinter,
) -> anyhow::Result<Desired> {
    let desired = complete(session, request, desired, read.managed, read.applications)?;
    if let (true, Some(side)) = (read.check, read.side) {
        let report =
            check_health(side, &desired, recorded, actual, &read.held, fingerprinter).await?;
        actual.tokens = Some(report);
    }
    drop(read.held);
    Ok(desired)
}

/// Every page the user token manages (for `tokens`, which lists the ones
/// not connected).
pub(crate) async fn list_pages(side: &FacebookSide) -> anyhow::Result<Vec<ManagedPage>> {
    read_pages(&side.client).await
}

async fn read_pages(client: &GraphClient) -> anyhow::Result<Vec<ManagedPage>> {
    client
        .managed_pages()
        .await
        .context("could not list the pages the Facebook user token manages (GET /me/accounts)")
}

/// Why there is nothing to ask Facebook with, naming what needs it.
fn no_user_token(desired: &Desired) -> String {
    let first = desired.pages.iter().find(|p| p.token_from_facebook);
    let what = match first {
        Some(page) => format!(
            "{}: {} has no access_token, so its token must come from Facebook",
            page.location, page.address
        ),
        None => "data \"facebook_pages\" lists the pages a Facebook user manages".to_string(),
    };
    format!(
        "{what}, but there is no Facebook user token: run socialform login facebook, or set \
         user_token in a provider \"facebook\" block (from a sensitive variable) or \
         FACEBOOK_USER_TOKEN, with a long-lived user or system-user token that has \
         {NEEDED_PERMISSIONS} (or give the page an access_token)"
    )
}

/// The configuration completed with Facebook's answer: loaded again with
/// the data sources known when they were used, and every page without an
/// `access_token` given its page token. A page the user cannot manage is
/// an error at its block.
fn complete(
    session: &Session,
    request: &ConfigRequest,
    mut desired: Desired,
    managed: Option<&[ManagedPage]>,
    applications: Option<Arc<Vec<DataApplication>>>,
) -> anyhow::Result<Desired> {
    let pages_now = desired.needs_facebook_pages && managed.is_some();
    let applications_now = desired.needs_vonage_applications && applications.is_some();
    if pages_now || applications_now {
        // Both answers at once: one load sees every data source it needs.
        let pages = managed.map(|managed| {
            managed
                .iter()
                .map(|p| FacebookPage {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    tasks: p.tasks.clone(),
                })
                .collect()
        });
        desired = session.load_with_data(request, pages, applications)?;
    }
    let Some(managed) = managed else {
        return Ok(desired);
    };
    let by_id: HashMap<&str, &ManagedPage> = managed.iter().map(|p| (p.id.as_str(), p)).collect();
    // A page the configuration gives no name is named as Facebook names it
    // (rather than connected with none).
    for page in desired.pages.iter_mut().filter(|p| p.name.is_none()) {
        if let Some(found) = by_id.get(page.page_id.as_str()) {
            page.name = found.name.clone().filter(|name| !name.is_empty());
        }
    }
    let mut problems = Vec::new();
    for page in desired.pages.iter_mut().filter(|p| p.token_from_facebook) {
        let problem = match by_id.get(page.page_id.as_str()) {
            None => format!(
                "the Facebook user token cannot manage page {}: it is not among the {} page(s) \
                 GET /me/accounts lists. The user needs a role on the page with the MESSAGING \
                 or MANAGE task, and the token needs {NEEDED_PERMISSIONS}",
                page.page_id,
                managed.len()
            ),
            Some(found) if !can_message(found) => format!(
                "the Facebook user cannot message through page {}: its tasks on the page are \
                 {}, and the MESSAGING (or MANAGE) task is missing; give the user that task in \
                 the page's settings",
                page.page_id,
                if found.tasks.is_empty() {
                    "none".to_string()
                } else {
                    found.tasks.join(", ")
                }
            ),
            Some(found) => match &found.access_token {
                Some(token) => {
                    page.access_token = Some(token.clone());
                    continue;
                }
                None => format!(
                    "Facebook listed page {} without its access token: the user token lacks \
                     {NEEDED_PERMISSIONS}",
                    page.page_id
                ),
            },
        };
        problems.push(format!("{}: {}: {problem}", page.location, page.address));
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(desired)
}

fn can_message(page: &ManagedPage) -> bool {
    // Graph omits `tasks` for some token types; then only the token's
    // health check can tell.
    page.tasks.is_empty()
        || page
            .tasks
            .iter()
            .any(|t| MESSAGING_TASKS.contains(&t.as_str()))
}

/// Asks Facebook about the tokens Vonage holds for managed pages (in
/// configuration or state) and about every configured token that differs
/// from the one held (or whose page is not connected): those are the
/// tokens a connect or reconnect would send. Each distinct (token, page)
/// pair is asked once.
async fn check_health(
    facebook: &FacebookSide,
    desired: &Desired,
    recorded: &Recorded,
    actual: &Actual,
    held: &BTreeMap<String, Secret>,
    fingerprinter: &Fingerprinter,
) -> anyhow::Result<TokenReport> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut report = TokenReport {
        expiring_before: now + i64::from(facebook.warning_days) * 86_400,
        expiry_known: facebook.client.has_app_credentials(),
        ..TokenReport::default()
    };
    let mut checks: Vec<TokenCheck> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut ask = |token: &Secret, page_id: &str| -> usize {
        let key = (fingerprinter.fingerprint(token), page_id.to_string());
        *index.entry(key).or_insert_with(|| {
            checks.push(TokenCheck {
                token: token.clone(),
                page_id: page_id.to_string(),
            });
            checks.len() - 1
        })
    };
    let managed_ids: std::collections::BTreeSet<&str> = desired
        .pages
        .iter()
        .map(|p| p.page_id.as_str())
        .chain(recorded.pages.values().map(|p| p.page_id.as_str()))
        .collect();
    let held_asked: Vec<(String, usize)> = held
        .iter()
        .filter(|(id, _)| managed_ids.contains(id.as_str()))
        .map(|(id, token)| (id.clone(), ask(token, id)))
        .collect();
    let mut replacements_asked: Vec<(Address, usize)> = Vec::new();
    for page in &desired.pages {
        let Some(token) = &page.access_token else {
            continue;
        };
        let held_fp = actual
            .pages
            .get(&page.page_id)
            .and_then(|p| p.token_fingerprint.as_ref());
        if held_fp != Some(&fingerprinter.fingerprint(token)) {
            replacements_asked.push((page.address.clone(), ask(token, &page.page_id)));
        }
    }
    let user = facebook.client.user_token().cloned();
    if checks.is_empty() && user.is_none() {
        return Ok(report);
    }
    let (verdicts, user_health) = check_tokens(&facebook.client, &checks, user.as_ref())
        .await
        .context("could not check the page tokens with Facebook")?;
    drop(checks);
    drop(user);
    report.user = match (user_health, facebook.user_origin) {
        (Some(health), Some(origin)) => Some(UserTokenReport { health, origin }),
        _ => None,
    };
    report.held = held_asked
        .into_iter()
        .map(|(id, i)| (id, verdicts[i].clone()))
        .collect();
    report.replacements = replacements_asked
        .into_iter()
        .map(|(address, i)| (address, verdicts[i].clone()))
        .collect();
    Ok(report)
}
