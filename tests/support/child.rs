//! `socialform sandbox serve` as a child process, as a user would run it:
//! the end-to-end tests and the end-to-end benches both drive it over
//! loopback HTTP.

use super::{bin, test_ca};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const ACCOUNTS: &str = "/beta/chatapp-accounts";

/// A sandbox server in its own process, killed when dropped.
pub struct Sandbox {
    child: Child,
    pub url: String,
}

impl Sandbox {
    pub fn start() -> Sandbox {
        Sandbox::start_with(&[])
    }

    /// `extra` are more `sandbox serve` flags (faults, a data directory).
    pub fn start_with(extra: &[&str]) -> Sandbox {
        Sandbox::spawn(&[&["--seed-demo"], extra].concat())
    }

    /// Over HTTPS with the run's test CA (see `test_ca`), at
    /// `https://localhost:PORT` (the name its certificate has).
    pub fn start_https() -> Sandbox {
        let dir = test_ca();
        let cert = dir.join("server.crt");
        let key = dir.join("server.key");
        let mut sandbox = Sandbox::start_with(&[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ]);
        assert!(
            sandbox.url.starts_with("https://127.0.0.1:"),
            "{}",
            sandbox.url
        );
        sandbox.url = sandbox.url.replacen("127.0.0.1", "localhost", 1);
        sandbox
    }

    /// Without the demo applications, as `sandbox serve` starts by default.
    pub fn start_unseeded() -> Sandbox {
        Sandbox::spawn(&[])
    }

    fn spawn(extra: &[&str]) -> Sandbox {
        let mut child = Command::new(bin())
            .args(["sandbox", "serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the socialform binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let Some(url) = first.strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("unexpected first line from the sandbox: {first:?}");
        };
        // Keep draining its stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Sandbox {
            child,
            url: url.trim().to_string(),
        }
    }

    /// A request straight to the emulated API, as the dashboard (or a
    /// colleague's script) would make it: the status and the JSON body
    /// (`Null` when there is none).
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        http(&self.url, method, path, body)
    }

    /// Mutating requests logged since the last clear, as `METHOD PATH`.
    pub fn mutations(&self) -> Vec<String> {
        mutations(&self.url)
    }

    /// Every logged request: (method, path, status).
    pub fn requests(&self) -> Vec<(String, String, u16)> {
        let (status, log) = self.api("GET", "/_sandbox/requests", None);
        assert_eq!(status, 200);
        log.as_array()
            .expect("the request log is an array")
            .iter()
            .map(|r| {
                (
                    r["method"].as_str().unwrap().to_string(),
                    r["path"].as_str().unwrap().to_string(),
                    r["status"].as_u64().unwrap() as u16,
                )
            })
            .collect()
    }

    pub fn clear_requests(&self) {
        clear_requests(&self.url);
    }

    /// `PUT /_sandbox/faults` with `patch`; returns the faults now in force.
    pub fn set_faults(&self, patch: Value) -> Value {
        let (status, body) = self.api("PUT", "/_sandbox/faults", Some(patch));
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Connected messenger pages (the first hundred).
    pub fn pages(&self) -> Vec<Value> {
        let (status, body) = self.api(
            "GET",
            &format!("{ACCOUNTS}?provider=messenger&page_size=100"),
            None,
        );
        assert_eq!(status, 200);
        body["_embedded"].as_array().cloned().unwrap_or_default()
    }

    pub fn page(&self, page_id: &str) -> Option<Value> {
        self.pages()
            .into_iter()
            .find(|p| p["external_id"] == page_id)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One blocking request to a sandbox at `url`, with its default credentials.
/// A runtime of its own per call, so callers need none (and must not be
/// inside one).
pub fn http(url: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // reqwest is built without a default TLS provider; install ring
        // as the product does (a second install is a harmless error).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut client = reqwest::Client::builder().no_proxy();
        if url.starts_with("https://") {
            let ca = std::fs::read(test_ca().join("ca.pem")).unwrap();
            client = client.tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()]);
        }
        let client = client.build().unwrap();
        let mut request = client
            .request(method.parse().unwrap(), format!("{url}{path}"))
            .basic_auth("sandbox", Some("sandbox"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the sandbox answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
}

pub fn clear_requests(url: &str) {
    let (status, _) = http(url, "DELETE", "/_sandbox/requests", None);
    assert!(status < 300);
}

/// Mutating requests to the Vonage APIs logged by the sandbox at `url`, as
/// `METHOD PATH`. (Graph's batch `POST` only reads, and is left out.)
pub fn mutations(url: &str) -> Vec<String> {
    let (status, log) = http(url, "GET", "/_sandbox/requests", None);
    assert_eq!(status, 200);
    log.as_array()
        .expect("the request log is an array")
        .iter()
        .filter(|r| r["method"] != "GET")
        .filter(|r| {
            let path = r["path"].as_str().unwrap_or_default();
            path.starts_with("/beta/") || path.starts_with("/v2/")
        })
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect()
}
