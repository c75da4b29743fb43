//! Shared helpers: an in-process sandbox on a loopback port, a client wired
//! to it with a fast retry policy, and raw access to the `/_sandbox` endpoints.

use serde_json::Value;
use socialform::remote::{Client, ClientConfig, ConnectRequest, RetryPolicy};
use socialform::sandbox::{Faults, SandboxHandle, SandboxOptions, start};
use std::path::PathBuf;
use std::time::Duration;

pub const KEY: &str = "test-key";
pub const SECRET: &str = "test-secret-value";
pub const SUPPORT_BOT: &str = "c0ffee00-0000-4000-8000-000000000001";
pub const SALES_BOT: &str = "c0ffee00-0000-4000-8000-000000000002";
pub const VOICE_APP: &str = "c0ffee00-0000-4000-8000-000000000003";

pub fn options(data: Option<PathBuf>) -> SandboxOptions {
    SandboxOptions {
        listen: "127.0.0.1:0".parse().expect("loopback address"),
        api_key: KEY.into(),
        api_secret: SECRET.into(),
        data,
        faults: Faults::default(),
        seed_demo: true,
        tls: None,
    }
}

pub async fn sandbox() -> SandboxHandle {
    start(options(None)).await.expect("sandbox starts")
}

/// Retries quickly so fault tests stay fast, but still long enough to honour
/// a one-second `Retry-After`.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_elapsed: Duration::from_secs(5),
    }
}

pub fn client_with(endpoint: &str, key: &str, secret: &str) -> Client {
    Client::new(ClientConfig {
        endpoint: endpoint.to_owned(),
        api_key: key.to_owned(),
        api_secret: secret.into(),
        timeout: Duration::from_secs(10),
        retry: fast_retry(),
        requests_per_second: 0.0,
        ca_file: None,
        direct: false,
    })
    .expect("client builds")
}

pub fn client(sandbox: &SandboxHandle) -> Client {
    client_with(&sandbox.url(), KEY, SECRET)
}

pub fn connect_request(page: &str, apps: &[&str]) -> ConnectRequest {
    ConnectRequest {
        external_id: page.to_owned(),
        access_token: format!("EAAB-token-{page}").into(),
        name: None,
        applications: apps.iter().map(|s| s.to_string()).collect(),
    }
}

/// Plain HTTP access (no socialform client) for control endpoints and for
/// pinning wire-level facts.
pub struct Raw {
    pub http: reqwest::Client,
    pub base: String,
}

pub struct RawAnswer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Raw {
    pub fn new(sandbox: &SandboxHandle) -> Self {
        // The raw reqwest client needs a crypto provider as well; building a
        // socialform client installs it.
        let _ = client(sandbox);
        Raw {
            http: reqwest::Client::new(),
            base: sandbox.url(),
        }
    }

    /// An API request with the right credentials; `body` is sent verbatim.
    pub async fn api(&self, method: &str, path: &str, body: Option<&str>) -> RawAnswer {
        self.send(method, path, body, Some((KEY, SECRET))).await
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        auth: Option<(&str, &str)>,
    ) -> RawAnswer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some((k, s)) = auth {
            request = request.basic_auth(k, Some(s));
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("sandbox answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("sandbox always answers JSON")
        };
        RawAnswer {
            status,
            headers,
            body,
        }
    }

    pub async fn requests(&self) -> Vec<Value> {
        match self
            .send("GET", "/_sandbox/requests", None, None)
            .await
            .body
        {
            Value::Array(items) => items,
            other => panic!("request log is not an array: {other}"),
        }
    }

    /// Logged API requests as `"METHOD path -> status"`, easy to compare.
    pub async fn calls(&self) -> Vec<String> {
        self.requests()
            .await
            .iter()
            .map(|r| {
                format!(
                    "{} {} -> {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or(""),
                    r["status"]
                )
            })
            .collect()
    }

    pub async fn clear_requests(&self) {
        let answer = self.send("DELETE", "/_sandbox/requests", None, None).await;
        assert_eq!(answer.status, 204);
    }

    pub async fn faults(&self, patch: &str) -> RawAnswer {
        self.send("PUT", "/_sandbox/faults", Some(patch), None)
            .await
    }

    pub async fn seed_account(&self, account: &str) {
        let answer = self
            .send("POST", "/_sandbox/accounts", Some(account), None)
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
}
