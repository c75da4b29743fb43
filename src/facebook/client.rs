//! The Graph API client (reqwest): `/me/accounts` and batch requests, with
//! Graph's error shape, requests paced by Graph's usage headers
//! (`usage.rs`), throttling retried with backoff as the last resort, and
//! tokens kept out of every URL.

use super::GRAPH_VERSION;
use super::usage::{Pace, Report, Usage, parse_app_usage, parse_buc_usage};
use crate::remote::{RetryPolicy, backoff};
use crate::secret::Secret;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Graph's throttling codes: application, user, page and custom rate limits.
const THROTTLING_CODES: &[i64] = &[4, 17, 32, 613];
/// Graph's code for an invalid or expired token.
pub(super) const INVALID_TOKEN_CODE: i64 = 190;
/// Most pages of `/me/accounts` followed (200,000 pages at 100 each): a
/// server that keeps offering a next page would otherwise never let go.
const MAX_LIST_PAGES: usize = 2000;
/// Largest answer read; a batch of 50 debug_token answers is a few KiB.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone, Debug)]
pub(crate) struct GraphConfig {
    /// The Graph host root, e.g. `https://graph.facebook.com`.
    pub(crate) endpoint: String,
    /// A user (or system-user) token: lists the pages it manages.
    pub(crate) user_token: Option<Secret>,
    /// App ID and secret: `debug_token` checks any token with them.
    pub(crate) app: Option<(String, Secret)>,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    /// Where the endpoint was configured, for "cannot reach" messages.
    pub(crate) origin: Option<String>,
    /// The CA bundle to trust instead of the system's roots.
    pub(crate) ca_file: Option<crate::tls::CaFile>,
    /// Never through a proxy (the built-in sandbox, on loopback).
    pub(crate) direct: bool,
}

/// A page the user token can manage, as `/me/accounts` lists it.
#[derive(Clone, Debug)]
pub(crate) struct ManagedPage {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    /// What the user may do on the page (`MANAGE`, `MESSAGING`, …).
    pub(crate) tasks: Vec<String>,
    /// `None` when Graph withheld it (the user lacks a task that grants it).
    pub(crate) access_token: Option<Secret>,
}

/// Every failure of a Graph request. Messages never include a token: none
/// is ever in a URL, and Graph's own messages do not quote them.
#[derive(Clone, Debug, thiserror::Error)]
pub(crate) enum GraphError {
    #[error("Facebook's Graph API answered {status}: {message} (code {code}{}{})",
        subcode.map(|s| format!(", subcode {s}")).unwrap_or_default(),
        fbtrace_id.as_ref().map(|t| format!(", fbtrace_id {t}")).unwrap_or_default())]
    Graph {
        status: u16,
        code: i64,
        subcode: Option<i64>,
        message: String,
        fbtrace_id: Option<String>,
    },
    #[error(
        "Facebook's Graph API answered {status} with {what}, not Graph's JSON (a proxy or an outage page?)"
    )]
    NotGraph { status: u16, what: String },
    #[error("could not reach Facebook's Graph API at {endpoint}: {detail}")]
    Transport { endpoint: String, detail: String },
    #[error("Facebook's Graph API answered {status} with a body that could not be read: {detail}")]
    Decode { status: u16, detail: String },
}

impl GraphError {
    /// Worth another attempt: throttling, a server error, no answer, or a
    /// success whose body was cut short. Every Graph request socialform
    /// makes is a read, so repeating one is always safe.
    fn retryable(&self) -> bool {
        match self {
            GraphError::Graph { status, code, .. } => {
                THROTTLING_CODES.contains(code) || *status >= 500
            }
            GraphError::NotGraph { status, .. } => *status >= 500 || *status == 429,
            GraphError::Transport { .. } => true,
            GraphError::Decode { status, .. } => (200..300).contains(status),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct WireError {
    pub(crate) message: Option<String>,
    pub(crate) code: Option<i64>,
    pub(crate) error_subcode: Option<i64>,
    pub(crate) fbtrace_id: Option<String>,
}

#[derive(Deserialize)]
struct WireErrorBody {
    error: WireError,
}

#[derive(Deserialize)]
struct WireAccounts {
    #[serde(default)]
    data: Vec<WireAccount>,
    paging: Option<WirePaging>,
}

#[derive(Deserialize)]
struct WireAccount {
    id: String,
    name: Option<String>,
    access_token: Option<String>,
    #[serde(default)]
    tasks: Vec<String>,
}

#[derive(Deserialize)]
struct WirePaging {
    next: Option<String>,
}

/// One answer of a batch: its HTTP status and its body, still JSON text.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct BatchAnswer {
    pub(crate) code: u16,
    #[serde(default)]
    pub(crate) body: Option<String>,
}

#[derive(Clone)]
pub(crate) struct GraphClient {
    http: reqwest::Client,
    /// `{endpoint}/{GRAPH_VERSION}/`
    base: Url,
    config: GraphConfig,
    /// Shared by every clone: Graph's budgets are the app's and the
    /// pages', whoever in this process spends them.
    pacer: Arc<Pacer>,
}

/// Graph's usage as the answers report it, and the turn each request
/// waits for before it starts.
#[derive(Default)]
struct Pacer {
    usage: Mutex<Usage>,
    /// When the last request started. Held by a request while it waits
    /// for its turn, so starts are spaced one after another; in a hold,
    /// held until its answer is read, so that answer sets the next pace.
    turn: tokio::sync::Mutex<Option<Instant>>,
    /// The pace last logged, so only changes are.
    logged: Mutex<Option<Pace>>,
}

impl Pacer {
    /// Waits for this request's turn; the guard, when one is returned,
    /// must live until the answer's usage is recorded.
    async fn wait_turn(&self) -> Option<tokio::sync::MutexGuard<'_, Option<Instant>>> {
        let mut last_start = self.turn.lock().await;
        let now = Instant::now();
        let (pace, percent) = {
            let usage = lock(&self.usage);
            (usage.pace(now), usage.percent(now))
        };
        self.log_change(pace, percent);
        match pace {
            Pace::Free => {
                *last_start = Some(now);
                None
            }
            Pace::Space(spacing) => {
                let start = last_start.map_or(now, |s| (s + spacing).max(now));
                tokio::time::sleep_until(start.into()).await;
                *last_start = Some(start);
                None
            }
            Pace::Hold(wait) => {
                tokio::time::sleep(wait).await;
                *last_start = Some(Instant::now());
                Some(last_start)
            }
        }
    }

    fn record(&self, headers: &HeaderMap) {
        let report = usage_report(headers);
        lock(&self.usage).record(&report, Instant::now());
    }

    fn log_change(&self, pace: Pace, percent: Option<f64>) {
        let mut logged = lock(&self.logged);
        if *logged == Some(pace) || (logged.is_none() && pace == Pace::Free) {
            return;
        }
        *logged = Some(pace);
        let percent = percent.unwrap_or(0.0);
        match pace {
            Pace::Free => tracing::debug!("graph: usage at {percent:.0}%: no pacing"),
            Pace::Space(spacing) => tracing::debug!(
                "graph: usage at {percent:.0}%: starting requests {spacing:?} apart"
            ),
            Pace::Hold(wait) => tracing::debug!(
                "graph: usage at {percent:.0}%: one request at a time, each after {wait:?}"
            ),
        }
    }
}

/// A poisoned lock only means a panic elsewhere; readings stay usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The usage headers of one answer; unreadable ones are left out.
fn usage_report(headers: &HeaderMap) -> Report {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    Report {
        app: text("x-app-usage").and_then(parse_app_usage),
        pages: text("x-business-use-case-usage")
            .map(parse_buc_usage)
            .unwrap_or_default(),
    }
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("endpoint", &self.config.endpoint)
            .field(
                "user_token",
                &self.config.user_token.as_ref().map(|_| "(sensitive value)"),
            )
            .field("app_id", &self.config.app.as_ref().map(|(id, _)| id))
            .finish()
    }
}

impl GraphClient {
    pub(crate) fn new(config: GraphConfig) -> Result<GraphClient, GraphError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let invalid = |detail: String| GraphError::Transport {
            endpoint: config.endpoint.clone(),
            detail,
        };
        let mut base = Url::parse(config.endpoint.trim())
            .map_err(|e| invalid(format!("invalid endpoint: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(invalid("invalid endpoint: expected an http(s) URL".into()));
        }
        base.set_query(None);
        base.set_fragment(None);
        let path = format!("{}/{GRAPH_VERSION}/", base.path().trim_end_matches('/'));
        base.set_path(&path);
        let http = crate::tls::http_client(
            reqwest::Client::builder()
                .user_agent(concat!("socialform/", env!("CARGO_PKG_VERSION")))
                .timeout(config.timeout),
            config.ca_file.as_ref(),
            config.direct,
        )
        .map_err(|e| invalid(format!("{e:#}")))?;
        Ok(GraphClient {
            http,
            base,
            config,
            pacer: Arc::default(),
        })
    }

    pub(crate) fn has_user_token(&self) -> bool {
        self.config.user_token.is_some()
    }

    pub(crate) fn has_app_credentials(&self) -> bool {
        self.config.app.is_some()
    }

    fn endpoint_label(&self) -> String {
        let endpoint = self.config.endpoint.trim_end_matches('/');
        match &self.config.origin {
            Some(origin) => format!("{endpoint} ({origin})"),
            None => endpoint.to_string(),
        }
    }

    /// Every page the user token can manage, with its page token: one walk
    /// of `/me/accounts` at 100 a page, following `paging.next`.
    pub(crate) async fn managed_pages(&self) -> Result<Vec<ManagedPage>, GraphError> {
        let token = self
            .config
            .user_token
            .as_ref()
            .expect("callers check has_user_token");
        let mut url = self.base.join("me/accounts").expect("a relative path");
        url.query_pairs_mut()
            .append_pair("fields", "id,name,access_token,tasks")
            .append_pair("limit", "100");
        let mut pages = Vec::new();
        for _ in 0..MAX_LIST_PAGES {
            let answer = self
                .send(|| {
                    self.http
                        .get(url.clone())
                        .header(AUTHORIZATION, bearer(token))
                })
                .await?;
            let status = 200;
            let wire: WireAccounts =
                serde_json::from_value(answer).map_err(|e| GraphError::Decode {
                    status,
                    detail: format!("not a list of pages: {e}"),
                })?;
            pages.extend(wire.data.into_iter().map(|a| ManagedPage {
                id: a.id,
                name: a.name,
                tasks: a.tasks,
                access_token: a.access_token.map(Secret::new),
            }));
            match wire.paging.and_then(|p| p.next) {
                Some(next) => url = self.next_page(&next)?,
                None => return Ok(pages),
            }
        }
        Err(GraphError::Decode {
            status: 200,
            detail: format!("/me/accounts offered more than {MAX_LIST_PAGES} pages; stopped"),
        })
    }

    /// `paging.next` as a URL this client may send the user token to: the
    /// same origin as the endpoint (a token is never handed to another
    /// host), with any `access_token` in it removed (it travels in the
    /// Authorization header).
    fn next_page(&self, next: &str) -> Result<Url, GraphError> {
        let bad = |detail: &str| GraphError::Decode {
            status: 200,
            detail: detail.into(),
        };
        let url = Url::parse(next).map_err(|_| bad("paging.next is not a URL"))?;
        if url.origin() != self.base.origin() {
            return Err(bad(
                "paging.next points at another host; refusing to send the user token there",
            ));
        }
        let mut clean = url.clone();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "access_token")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        clean.set_query(None);
        if !pairs.is_empty() {
            clean.query_pairs_mut().extend_pairs(pairs);
        }
        Ok(clean)
    }

    /// One batch request (`POST /{version}/`, at most `BATCH_LIMIT` items).
    /// `relative_urls` may carry tokens: they go in the form body only.
    /// `access_token` is the batch's own token (the app token, or a user
    /// or page token). Answers come back in the order asked; Graph answers
    /// `null` for an item it could not run, which is retried with the rest.
    pub(super) async fn batch(
        &self,
        access_token: &Secret,
        relative_urls: &[Secret],
    ) -> Result<Vec<BatchAnswer>, GraphError> {
        debug_assert!(relative_urls.len() <= super::BATCH_LIMIT);
        let items: Vec<Value> = relative_urls
            .iter()
            .map(|u| serde_json::json!({"method": "GET", "relative_url": u.expose()}))
            .collect();
        let batch = zeroize::Zeroizing::new(Value::Array(items).to_string());
        let body = zeroize::Zeroizing::new(
            serde_urlencoded::to_string([
                ("access_token", access_token.expose()),
                ("include_headers", "false"),
                ("batch", batch.as_str()),
            ])
            .expect("strings encode"),
        );
        let url = self.base.clone();
        let answer = self
            .send(|| {
                self.http
                    .post(url.clone())
                    .header(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/x-www-form-urlencoded"),
                    )
                    .body(body.as_str().to_owned())
            })
            .await?;
        let answers: Vec<Option<BatchAnswer>> =
            serde_json::from_value(answer).map_err(|e| GraphError::Decode {
                status: 200,
                detail: format!("not a batch answer: {e}"),
            })?;
        if answers.len() != relative_urls.len() {
            return Err(GraphError::Decode {
                status: 200,
                detail: format!(
                    "a batch of {} answered {} items",
                    relative_urls.len(),
                    answers.len()
                ),
            });
        }
        answers
            .into_iter()
            .map(|a| {
                a.ok_or(GraphError::Decode {
                    status: 200,
                    detail: "Graph could not run an item of the batch".into(),
                })
            })
            .collect()
    }

    /// `{endpoint}/{GRAPH_VERSION}/{path}`.
    pub(super) fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a relative path")
    }

    pub(super) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The app ID and secret, when configured.
    pub(super) fn app(&self) -> Option<&(String, Secret)> {
        self.config.app.as_ref()
    }

    /// The app ID, when app credentials are configured.
    pub(crate) fn app_id(&self) -> Option<&str> {
        self.config.app.as_ref().map(|(id, _)| id.as_str())
    }

    /// The app token (`APP_ID|APP_SECRET`) debug_token asks with.
    pub(super) fn app_token(&self) -> Option<Secret> {
        self.config
            .app
            .as_ref()
            .map(|(id, secret)| Secret::new(format!("{id}|{}", secret.expose())))
    }

    pub(crate) fn user_token(&self) -> Option<&Secret> {
        self.config.user_token.as_ref()
    }

    /// Sends the request `build` makes until it succeeds or the retry
    /// policy gives up, and returns the JSON answer.
    pub(super) async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Value, GraphError> {
        let policy = &self.config.retry;
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let result = self.send_once(build()).await;
            match result {
                Err(err) if err.retryable() && attempt < policy.max_attempts => {
                    let wait = backoff(policy, attempt);
                    if started.elapsed() + wait > policy.max_elapsed {
                        return Err(err);
                    }
                    tracing::debug!("graph: retrying after {wait:?}: {err}");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    pub(super) async fn send_once(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, GraphError> {
        let request = request.build().map_err(|e| self.transport(&e))?;
        // Logged once its turn has come, so the log shows when it is sent.
        let _turn = self.pacer.wait_turn().await;
        // The path only: no query, and no body (tokens live there).
        tracing::debug!("graph: {} {}", request.method(), request.url().path());
        let method: Method = request.method().clone();
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| self.transport(&e))?;
        // Refusals report usage too: a throttled answer says 100%.
        self.pacer.record(response.headers());
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response.bytes().await.map_err(|e| GraphError::Decode {
            status,
            detail: format!("the body was cut short: {}", without_url(&e)),
        })?;
        tracing::debug!("graph: {method} answered {status}");
        if body.len() > MAX_BODY_BYTES {
            return Err(GraphError::Decode {
                status,
                detail: format!("{} bytes is not a Graph answer", body.len()),
            });
        }
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        if (200..300).contains(&status) {
            return json.ok_or_else(|| GraphError::Decode {
                status,
                detail: "not valid JSON".into(),
            });
        }
        if let Some(error) = json.and_then(|v| serde_json::from_value::<WireErrorBody>(v).ok()) {
            return Err(GraphError::Graph {
                status,
                code: error.error.code.unwrap_or(0),
                subcode: error.error.error_subcode,
                message: error.error.message.unwrap_or_else(|| "(no message)".into()),
                fbtrace_id: error.error.fbtrace_id,
            });
        }
        let what = if content_type.is_empty() {
            "a body that is not JSON".to_string()
        } else {
            format!("{} content", content_type.split(';').next().unwrap_or(""))
        };
        Err(GraphError::NotGraph { status, what })
    }

    fn transport(&self, e: &reqwest::Error) -> GraphError {
        let host = self.base.host_str().unwrap_or("the Graph API");
        let trusted = crate::tls::trusted(self.config.ca_file.as_ref());
        if let Some(explained) = crate::tls::explain_failure(e, host, &trusted) {
            let fix = match explained.failure {
                crate::tls::TlsFailure::UnknownCa => {
                    "; if a proxy or gateway re-signs TLS, set ca_file in the provider \
                     \"facebook\" block (or SSL_CERT_FILE) to its CA"
                }
                _ => "",
            };
            return GraphError::Transport {
                endpoint: self.endpoint_label(),
                detail: format!("{}{fix}", explained.text),
            };
        }
        GraphError::Transport {
            endpoint: self.endpoint_label(),
            detail: without_url(e),
        }
    }
}

pub(super) fn bearer(token: &Secret) -> HeaderValue {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
    value.set_sensitive(true);
    value
}

/// reqwest's message without the URL it appends (a URL never holds a token
/// here, but it would repeat the endpoint the message already names).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(&format!(" for url ({url})"), "");
    }
    if let Some(source) = std::error::Error::source(e) {
        text = format!("{text}: {source}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(endpoint: &str) -> GraphClient {
        GraphClient::new(GraphConfig {
            endpoint: endpoint.into(),
            user_token: Some(Secret::new("user")),
            app: None,
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            origin: None,
            ca_file: None,
            direct: false,
        })
        .unwrap()
    }

    #[test]
    fn requests_name_the_pinned_version() {
        let c = client("http://127.0.0.1:9/");
        assert_eq!(
            c.base.as_str(),
            format!("http://127.0.0.1:9/{GRAPH_VERSION}/")
        );
    }

    #[test]
    fn the_next_page_keeps_to_the_endpoint_and_drops_any_token() {
        let c = client("http://127.0.0.1:9");
        let next = c
            .next_page(
                "http://127.0.0.1:9/v23.0/me/accounts?access_token=SECRET&after=abc&limit=100",
            )
            .unwrap();
        assert!(!next.as_str().contains("SECRET"), "{next}");
        assert!(next.as_str().contains("after=abc"));
        let foreign = c.next_page("http://evil.example/v23.0/me/accounts?after=abc");
        assert!(foreign.is_err());
    }

    #[test]
    fn throttling_and_server_errors_are_retried_and_token_errors_are_not() {
        let graph = |status, code| GraphError::Graph {
            status,
            code,
            subcode: None,
            message: String::new(),
            fbtrace_id: None,
        };
        for code in [4, 17, 32, 613] {
            assert!(graph(400, code).retryable(), "code {code}");
        }
        assert!(graph(500, 1).retryable());
        assert!(!graph(400, 190).retryable());
        assert!(
            GraphError::NotGraph {
                status: 502,
                what: "text/html content".into()
            }
            .retryable()
        );
        assert!(
            !GraphError::NotGraph {
                status: 404,
                what: "text/html content".into()
            }
            .retryable()
        );
    }
}
