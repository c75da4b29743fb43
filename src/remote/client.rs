//! The HTTP client (reqwest over rustls) for the External Accounts API and
//! the Application API v2.

use super::error::ApiError;
use super::limiter::{APPLICATIONS_REQUESTS_PER_SECOND, RateLimiter};
use super::problem::{error_from_response, parse_retry_after};
use super::retry::{self, RetryPolicy};
use super::types::*;
use super::wire::{WireAccount, WireAccountsPage, WireApplication, WireApplicationsPage};
use crate::secret::Secret;
use base64::Engine;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Url};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The API host root, e.g. `https://api.nexmo.com` or `http://127.0.0.1:8480`.
    pub endpoint: String,
    pub api_key: String,
    pub api_secret: Secret,
    /// Per-request timeout.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// The External Accounts API's rate for this key (the documented 30/s
    /// unless the provider block or `--rate-limit` says otherwise); the
    /// Application API has its own documented 170/s.
    pub requests_per_second: f64,
    /// The CA bundle to trust instead of the system's roots.
    pub ca_file: Option<crate::tls::CaFile>,
    /// Never through a proxy (the built-in sandbox, on loopback).
    pub direct: bool,
}

/// Largest page the account and application lists accept.
const LARGEST_PAGE: u32 = 100;
/// The documented default page size of the account list, used when a server
/// refuses the largest one.
const DEFAULT_ACCOUNT_PAGE: u32 = 20;
/// Pages of a list fetched at the same time.
const LIST_CONCURRENCY: usize = 16;
/// Most pages of one list read (200,000 accounts at 100 a page): a server
/// that announces more, or keeps offering a next page, is misbehaving, and
/// following it would never end.
const MAX_LIST_PAGES: u32 = 2000;
/// Largest response body read: a list page of 100 accounts is well under
/// 100 KiB; anything near this is not an answer of these APIs.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

fn too_many_pages(what: &str, pages: u32) -> ApiError {
    ApiError::Decode {
        status: 200,
        detail: format!(
            "the {what} list claims {pages} or more pages; refusing to read more than {MAX_LIST_PAGES}"
        ),
    }
}

#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    api_key: String,
    /// Precomputed and marked sensitive so that it is never printed.
    authorization: HeaderValue,
    retry: RetryPolicy,
    /// One rate limiter per API: every request to it takes its turn here.
    accounts_limiter: RateLimiter,
    applications_limiter: RateLimiter,
    /// Where the endpoint was configured ("set by VONAGE_ENDPOINT"), named
    /// with it when the API cannot be reached.
    origin: Option<String>,
    /// Told once, at the first retry after the API could not be reached.
    retry_notice: Option<RetryNotice>,
    noticed: AtomicBool,
    /// The CAs the server's certificate is checked against, in words.
    trusted: String,
}

/// Told (once per client) that a request could not reach the API and is
/// being retried: the engine never prints, so the caller decides what to say.
pub type RetryNotice = Arc<dyn Fn(&ApiError) + Send + Sync>;

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.base.as_str())
            .field("api_key", &self.inner.api_key)
            .field("api_secret", &"(sensitive value)")
            .finish()
    }
}

/// One request: what to send, and whether it may be repeated after an
/// ambiguous failure.
struct Call<'a> {
    method: Method,
    segments: &'a [&'a str],
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    idempotent: bool,
}

impl<'a> Call<'a> {
    fn get(segments: &'a [&'a str]) -> Self {
        Call {
            method: Method::GET,
            segments,
            query: Vec::new(),
            body: None,
            idempotent: true,
        }
    }

    fn write(method: Method, segments: &'a [&'a str], body: Option<Value>) -> Self {
        Call {
            method,
            segments,
            query: Vec::new(),
            body,
            idempotent: false,
        }
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        // reqwest is built without a bundled crypto provider; install ring as
        // the process default. A provider installed earlier (by another
        // client or by the application) is fine as it is.
        let _ = rustls::crypto::ring::default_provider().install_default();

        let mut base = Url::parse(config.endpoint.trim()).map_err(|e| {
            ApiError::Transport(format!("invalid endpoint {:?}: {e}", config.endpoint))
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ApiError::Transport(format!(
                "invalid endpoint {:?}: expected an http(s) URL",
                config.endpoint
            )));
        }
        base.set_query(None);
        base.set_fragment(None);

        // The clear-text intermediates are wiped when dropped; the header
        // value itself (which reqwest keeps) is marked sensitive below.
        let pair =
            zeroize::Zeroizing::new(format!("{}:{}", config.api_key, config.api_secret.expose()));
        let credentials = zeroize::Zeroizing::new(
            base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()),
        );
        let header = zeroize::Zeroizing::new(format!("Basic {}", credentials.as_str()));
        let mut authorization = HeaderValue::from_str(&header)
            .map_err(|_| ApiError::Transport("API key contains invalid characters".into()))?;
        authorization.set_sensitive(true);

        let http = crate::tls::http_client(
            reqwest::Client::builder()
                .user_agent(concat!("socialform/", env!("CARGO_PKG_VERSION")))
                .timeout(config.timeout),
            config.ca_file.as_ref(),
            config.direct,
        )
        .map_err(|e| ApiError::Transport(format!("{e:#}")))?;

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                api_key: config.api_key,
                authorization,
                retry: config.retry,
                accounts_limiter: RateLimiter::new("external accounts", config.requests_per_second),
                applications_limiter: RateLimiter::new(
                    "applications",
                    APPLICATIONS_REQUESTS_PER_SECOND,
                ),
                origin: None,
                retry_notice: None,
                noticed: AtomicBool::new(false),
                trusted: crate::tls::trusted(config.ca_file.as_ref()),
            }),
        })
    }

    /// Names where the endpoint was configured in the error when the API
    /// cannot be reached. For a client just made (not yet cloned).
    pub(crate) fn with_endpoint_origin(mut self, origin: impl Into<String>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.origin = Some(origin.into());
        }
        self
    }

    /// `notice` is told, once, when a request that could not reach the API
    /// is about to be retried. For a client just made (not yet cloned).
    pub(crate) fn with_retry_notice(mut self, notice: RetryNotice) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.retry_notice = Some(notice);
        }
        self
    }

    /// The endpoint, and where it was configured if known.
    fn endpoint_label(&self) -> String {
        let base = self.inner.base.as_str().trim_end_matches('/');
        match &self.inner.origin {
            Some(origin) => format!("{base} ({origin})"),
            None => base.to_string(),
        }
    }

    fn retrying(&self, err: &ApiError) {
        if !matches!(err, ApiError::Transport(_)) {
            return;
        }
        if let Some(notice) = &self.inner.retry_notice
            && !self.inner.noticed.swap(true, Ordering::Relaxed)
        {
            notice(err);
        }
    }

    /// The External Accounts API's rate in force now (`None`: no limit), for
    /// saying how long an apply will take.
    pub(crate) fn accounts_rate(&self) -> Option<f64> {
        self.inner.accounts_limiter.rate()
    }

    /// How this client retries; the apply engine retries unclear writes
    /// with the same budget.
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Every account of `provider` (all providers when `None`), in as few
    /// list requests as the server allows: the first page reveals how many
    /// there are, the rest are fetched concurrently.
    pub async fn list_accounts(&self, provider: Option<&str>) -> Result<Vec<Account>, ApiError> {
        self.list_accounts_expecting(provider, 0).await
    }

    /// `list_accounts`, given a guess of how many accounts there are (refresh
    /// takes it from state and configuration). Without a guess the first
    /// round of requests carries one page, since only that page says how
    /// many follow; with one, the pages the guess implies are asked for in
    /// the same round, and a large account list is read a round sooner. A
    /// guess too high costs at most `LIST_CONCURRENCY - 2` requests for pages
    /// past the end, whose answers are dropped.
    pub async fn list_accounts_expecting(
        &self,
        provider: Option<&str>,
        expected_accounts: usize,
    ) -> Result<Vec<Account>, ApiError> {
        // One slot of the first round is left for the application list,
        // which refresh reads alongside.
        let guessed_pages = expected_accounts
            .div_ceil(LARGEST_PAGE as usize)
            .clamp(1, LIST_CONCURRENCY - 1) as u32;
        let (first, early) = tokio::join!(
            self.list_accounts_page(provider, 1, LARGEST_PAGE),
            self.accounts_pages_settled(provider, 2..=guessed_pages, LARGEST_PAGE)
        );
        let (first, mut early) = match first {
            Ok(page) => (page, early),
            // A server with a smaller limit refuses the size outright; its
            // documented default always works. The early pages asked for
            // the refused size too.
            Err(ApiError::Invalid { .. }) => (
                self.list_accounts_page(provider, 1, DEFAULT_ACCOUNT_PAGE)
                    .await?,
                HashMap::new(),
            ),
            Err(e) => return Err(e),
        };
        let size = first.page_size.max(1);
        // A page read at another size would not line up with the others.
        early.retain(|_, page| page.as_ref().is_ok_and(|p| p.page_size == size));
        let mut pages = vec![first];

        match pages[0].last_page {
            Some(last) if last > MAX_LIST_PAGES => return Err(too_many_pages("account", last)),
            Some(last) if last > 1 => {
                let mut have = Vec::new();
                let mut missing = Vec::new();
                for n in 2..=last {
                    match early.remove(&n) {
                        Some(Ok(page)) => have.push(page),
                        _ => missing.push(n),
                    }
                }
                let owned = provider.map(str::to_owned);
                let rest = self
                    .fetch_concurrently(missing, move |client, n| {
                        let provider = owned.clone();
                        async move {
                            client
                                .list_accounts_page(provider.as_deref(), n, size)
                                .await
                        }
                    })
                    .await?;
                have.extend(rest);
                have.sort_by_key(|p| p.page_number);
                pages.extend(have);
            }
            Some(_) => {}
            None => {
                // No `last` link: follow `next` one page at a time.
                // An empty page ends the walk even if it claims a successor,
                // so a confused server cannot keep us looping.
                let mut number = pages[0].page_number;
                while pages
                    .last()
                    .is_some_and(|p| p.has_next && !p.accounts.is_empty())
                {
                    let Some(next) = number.checked_add(1) else {
                        break;
                    };
                    if next > MAX_LIST_PAGES {
                        return Err(too_many_pages("account", next));
                    }
                    number = next;
                    let page = match early.remove(&number) {
                        Some(Ok(page)) => page,
                        _ => self.list_accounts_page(provider, number, size).await?,
                    };
                    pages.push(page);
                }
            }
        }

        // A page boundary can shift while the pages are read; keep the first
        // sighting of each account.
        let mut seen = std::collections::HashSet::new();
        Ok(pages
            .into_iter()
            .flat_map(|p| p.accounts)
            .filter(|a| seen.insert((a.provider.clone(), a.external_id.clone())))
            .collect())
    }

    /// Reads the account list pages `numbers` all at once, keeping each
    /// answer, failures included: these are guesses, and a page past the end
    /// may fail without meaning anything.
    async fn accounts_pages_settled(
        &self,
        provider: Option<&str>,
        numbers: std::ops::RangeInclusive<u32>,
        size: u32,
    ) -> HashMap<u32, Result<AccountsPage, ApiError>> {
        let mut tasks = JoinSet::new();
        for n in numbers {
            let client = self.clone();
            let provider = provider.map(str::to_owned);
            tasks.spawn(async move {
                (
                    n,
                    client
                        .list_accounts_page(provider.as_deref(), n, size)
                        .await,
                )
            });
        }
        let mut pages = HashMap::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((n, page)) = joined {
                pages.insert(n, page);
            }
        }
        pages
    }

    /// One page of the account list.
    pub async fn list_accounts_page(
        &self,
        provider: Option<&str>,
        page_number: u32,
        page_size: u32,
    ) -> Result<AccountsPage, ApiError> {
        let mut call = Call::get(&["beta", "chatapp-accounts"]);
        if let Some(p) = provider {
            call.query.push(("provider", p.to_owned()));
        }
        call.query.push(("page_number", page_number.to_string()));
        call.query.push(("page_size", page_size.to_string()));
        let page: WireAccountsPage = self.json(call).await?;
        Ok(page.into_page(page_number, page_size))
    }

    /// `GET /beta/chatapp-accounts/{provider}/{id}`.
    pub async fn get_account(
        &self,
        provider: &str,
        external_id: &str,
    ) -> Result<Account, ApiError> {
        let account: WireAccount = self
            .json(Call::get(&[
                "beta",
                "chatapp-accounts",
                provider,
                external_id,
            ]))
            .await?;
        Ok(account.into())
    }

    /// `POST /beta/chatapp-accounts/messenger` (201).
    pub async fn connect_messenger(&self, request: &ConnectRequest) -> Result<Account, ApiError> {
        let mut body = json!({
            "external_id": request.external_id,
            "access_token": request.access_token.expose(),
        });
        if let Some(name) = &request.name {
            body["name"] = json!(name);
        }
        if !request.applications.is_empty() {
            body["applications"] = json!(request.applications);
        }
        let account: WireAccount = self
            .json(Call::write(
                Method::POST,
                &["beta", "chatapp-accounts", "messenger"],
                Some(body),
            ))
            .await?;
        Ok(account.into())
    }

    /// `PATCH /beta/chatapp-accounts/messenger/{id}` (200).
    pub async fn update_messenger(
        &self,
        external_id: &str,
        request: &UpdateRequest,
    ) -> Result<Account, ApiError> {
        let mut body = json!({});
        if let Some(token) = &request.access_token {
            body["access_token"] = json!(token.expose());
        }
        if let Some(name) = &request.name {
            body["name"] = json!(name);
        }
        if let Some(apps) = &request.applications {
            body["applications"] = json!(apps);
        }
        let account: WireAccount = self
            .json(Call::write(
                Method::PATCH,
                &["beta", "chatapp-accounts", "messenger", external_id],
                Some(body),
            ))
            .await?;
        Ok(account.into())
    }

    /// `DELETE /beta/chatapp-accounts/messenger/{id}` (204).
    pub async fn disconnect_messenger(&self, external_id: &str) -> Result<(), ApiError> {
        self.send(Call::write(
            Method::DELETE,
            &["beta", "chatapp-accounts", "messenger", external_id],
            None,
        ))
        .await
        .map(drop)
    }

    /// `POST /beta/chatapp-accounts/{provider}/{id}/applications` (200).
    pub async fn link_application(
        &self,
        provider: &str,
        external_id: &str,
        application: &str,
    ) -> Result<Account, ApiError> {
        let account: WireAccount = self
            .json(Call::write(
                Method::POST,
                &[
                    "beta",
                    "chatapp-accounts",
                    provider,
                    external_id,
                    "applications",
                ],
                Some(json!({ "application": application })),
            ))
            .await?;
        Ok(account.into())
    }

    /// `DELETE /beta/chatapp-accounts/{provider}/{id}/applications/{app}` (204).
    pub async fn unlink_application(
        &self,
        provider: &str,
        external_id: &str,
        application: &str,
    ) -> Result<(), ApiError> {
        self.send(Call::write(
            Method::DELETE,
            &[
                "beta",
                "chatapp-accounts",
                provider,
                external_id,
                "applications",
                application,
            ],
            None,
        ))
        .await
        .map(drop)
    }

    /// Every application, paginated with the largest page size (100).
    pub async fn list_applications(&self) -> Result<Vec<Application>, ApiError> {
        let mut first = self.applications_page(1).await?;
        let mut apps = first.take_applications();
        let total_pages = first.total_pages.unwrap_or(1);
        if total_pages > MAX_LIST_PAGES {
            return Err(too_many_pages("application", total_pages));
        }
        if total_pages > 1 {
            let rest = self
                .fetch_concurrently(2..=total_pages, |client, n| async move {
                    client.applications_page(n).await
                })
                .await?;
            for mut page in rest {
                apps.extend(page.take_applications());
            }
        }
        let mut seen = std::collections::HashSet::new();
        apps.retain(|a| seen.insert(a.id.clone()));
        Ok(apps)
    }

    async fn applications_page(&self, page: u32) -> Result<WireApplicationsPage, ApiError> {
        let mut call = Call::get(&["v2", "applications"]);
        call.query.push(("page_size", LARGEST_PAGE.to_string()));
        call.query.push(("page", page.to_string()));
        self.json(call).await
    }

    /// `GET /v2/applications/{id}`.
    pub async fn get_application(&self, id: &str) -> Result<Application, ApiError> {
        let app: WireApplication = self.json(Call::get(&["v2", "applications", id])).await?;
        Ok(app.into())
    }

    /// `POST /v2/applications` (201).
    pub async fn create_application(&self, new: &NewApplication) -> Result<Application, ApiError> {
        let mut body = json!({ "name": new.name });
        if let Some(url) = &new.messages_inbound_url {
            let hook = json!({ "address": url, "http_method": "POST" });
            body["capabilities"] = json!({
                "messages": { "webhooks": { "inbound_url": hook, "status_url": hook } }
            });
        }
        let app: WireApplication = self
            .json(Call::write(
                Method::POST,
                &["v2", "applications"],
                Some(body),
            ))
            .await?;
        Ok(app.into())
    }

    /// `POST /v2/applications` with a whole document (201). The answer is
    /// read as an `Application`, which never keeps a `keys.private_key`.
    pub(crate) async fn create_application_document(
        &self,
        document: Value,
    ) -> Result<Application, ApiError> {
        let app: WireApplication = self
            .json(Call::write(
                Method::POST,
                &["v2", "applications"],
                Some(document),
            ))
            .await?;
        Ok(app.into())
    }

    /// `GET /v2/applications/{id}` as the API's document, for a PUT that
    /// must carry back what socialform does not manage (other
    /// capabilities, privacy, the key).
    pub(crate) async fn get_application_document(&self, id: &str) -> Result<Value, ApiError> {
        self.json(Call::get(&["v2", "applications", id])).await
    }

    /// `PUT /v2/applications/{id}` (200): replaces the whole application.
    /// Idempotent: the same document twice is the same application.
    pub(crate) async fn put_application(
        &self,
        id: &str,
        document: Value,
    ) -> Result<Application, ApiError> {
        let segments = ["v2", "applications", id];
        let mut call = Call::write(Method::PUT, &segments, Some(document));
        call.idempotent = true;
        let app: WireApplication = self.json(call).await?;
        Ok(app.into())
    }

    /// `DELETE /v2/applications/{id}` (204).
    pub async fn delete_application(&self, id: &str) -> Result<(), ApiError> {
        self.send(Call::write(
            Method::DELETE,
            &["v2", "applications", id],
            None,
        ))
        .await
        .map(drop)
    }

    /// Runs `fetch` for every page number in `pages`, at most
    /// `LIST_CONCURRENCY` at a time, and returns the results in page order.
    /// The first failure wins; the other fetches are abandoned.
    async fn fetch_concurrently<T, F, Fut>(
        &self,
        pages: impl IntoIterator<Item = u32>,
        fetch: F,
    ) -> Result<Vec<T>, ApiError>
    where
        T: Send + 'static,
        F: Fn(Client, u32) -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        // Tasks are spawned as slots free up, so a server announcing a huge
        // page count costs requests, not memory.
        let mut pages = pages.into_iter();
        let mut tasks = JoinSet::new();
        let mut results = Vec::new();
        loop {
            while tasks.len() < LIST_CONCURRENCY {
                let Some(n) = pages.next() else { break };
                let work = fetch(self.clone(), n);
                tasks.spawn(async move { (n, work.await) });
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let (n, result) =
                joined.map_err(|e| ApiError::Transport(format!("page fetch aborted: {e}")))?;
            results.push((n, result?));
        }
        results.sort_by_key(|(n, _)| *n);
        Ok(results.into_iter().map(|(_, page)| page).collect())
    }

    /// Sends `call` and decodes a JSON answer into `T`.
    async fn json<T: serde::de::DeserializeOwned>(&self, call: Call<'_>) -> Result<T, ApiError> {
        let (status, body) = self.send(call).await?;
        serde_json::from_slice(&body).map_err(|e| ApiError::Decode {
            status,
            detail: format!("unexpected response body: {e}"),
        })
    }

    /// Sends `call`, retrying as the policy allows (see `retry::send`);
    /// returns the status and body of a 2xx answer.
    async fn send(&self, call: Call<'_>) -> Result<(u16, Bytes), ApiError> {
        let path = call.segments.join("/");
        // `v2/applications…` is the Application API; the rest External Accounts.
        let limiter = if call.segments.first() == Some(&"v2") {
            &self.inner.applications_limiter
        } else {
            &self.inner.accounts_limiter
        };
        retry::send(
            &self.inner.retry,
            limiter,
            call.idempotent,
            (call.method.as_str(), &path),
            || self.attempt(&call),
            &|err| self.retrying(err),
        )
        .await
    }

    async fn attempt(&self, call: &Call<'_>) -> Result<(u16, Bytes), ApiError> {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            // Each segment is percent-encoded, so an id can never change the path.
            path.pop_if_empty().extend(call.segments);
        }
        let url_path = url.path().to_owned();
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url)
            .header(AUTHORIZATION, self.inner.authorization.clone());
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let sent = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let err = self.transport_error(e);
                tracing::debug!(
                    method = %call.method,
                    path = %url_path,
                    elapsed_ms = sent.elapsed().as_millis() as u64,
                    error = %err,
                    "request failed"
                );
                return Err(err);
            }
        };
        let status = response.status().as_u16();
        // Method, path and status only: never a body (reads carry page
        // tokens) and never a header (the Authorization one is the secret).
        tracing::debug!(
            method = %call.method,
            path = %url_path,
            status,
            elapsed_ms = sent.elapsed().as_millis() as u64,
            "request"
        );
        let retry_after = parse_retry_after(
            response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
        );
        let body = read_body(response, status).await?;
        if (200..300).contains(&status) {
            Ok((status, body))
        } else {
            Err(error_from_response(status, retry_after, &body))
        }
    }
}

/// The body, up to `MAX_BODY_BYTES`; a larger one is refused rather than
/// held in memory.
async fn read_body(mut response: reqwest::Response, status: u16) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::Decode {
        status,
        detail: format!(
            "the response body is larger than {} MiB",
            MAX_BODY_BYTES / (1024 * 1024)
        ),
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = bytes::BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.freeze()),
            Err(e) => {
                return Err(ApiError::Decode {
                    status,
                    detail: format!("the response body was cut short: {}", error_chain(&e)),
                });
            }
        }
    }
}

impl Client {
    /// A request that got no answer. A TLS failure (the request was never
    /// sent) says which check failed and what to set.
    fn transport_error(&self, e: reqwest::Error) -> ApiError {
        let host = self.inner.base.host_str().unwrap_or("the API");
        if let Some(explained) = crate::tls::explain_failure(&e, host, &self.inner.trusted) {
            let fix = match explained.failure {
                crate::tls::TlsFailure::UnknownCa => {
                    "; if a proxy or gateway re-signs TLS, set ca_file in the provider \
                     \"vonage\" block (or SSL_CERT_FILE) to its CA"
                }
                crate::tls::TlsFailure::HostMismatch => {
                    "; check the endpoint's host name (provider \"vonage\" endpoint or \
                     VONAGE_ENDPOINT)"
                }
                crate::tls::TlsFailure::Other => "",
            };
            return ApiError::Tls(format!(
                "{}: {}{fix}",
                self.endpoint_label(),
                explained.text
            ));
        }
        let mut err = transport_error(e, &self.endpoint_label());
        if let ApiError::Transport(detail) = &mut err
            && detail.contains("tunnel error")
            && let Some(proxy) = crate::tls::proxy_named(self.inner.base.scheme())
        {
            detail.push_str(&format!(
                "; the proxy ({proxy}) refused to open a tunnel: check its address and \
                 credentials, or list the API's host in NO_PROXY"
            ));
        }
        err
    }
}

fn transport_error(e: reqwest::Error, endpoint: &str) -> ApiError {
    if e.is_timeout() {
        return ApiError::Transport(format!(
            "{endpoint}: request timed out: {}",
            error_chain(&e)
        ));
    }
    ApiError::Transport(format!("{endpoint}: {}", error_chain(&e)))
}

/// The error and its causes on one line; reqwest's own message alone often
/// hides the useful part ("connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
