//! Test harness: the real `socialform` binary against `socialform sandbox
//! serve` running as a child process, talking over loopback HTTP.
//! No mocks: what the tests see is what a user's terminal and the sandbox's
//! request log see.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_socialform");
pub const APP1: &str = "c0ffee00-0000-4000-8000-000000000001";
pub const APP2: &str = "c0ffee00-0000-4000-8000-000000000002";
pub const NO_MESSAGES_APP: &str = "c0ffee00-0000-4000-8000-000000000003";
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

    pub fn start_with(extra: &[&str]) -> Sandbox {
        let mut child = Command::new(BIN)
            .args(["sandbox", "serve", "--listen", "127.0.0.1:0", "--seed-demo"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the socialform binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("the sandbox prints its listen line");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from the sandbox: {first:?}"))
            .to_string();
        Sandbox { child, url }
    }

    fn http(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            // reqwest is built without a default TLS provider; install ring
            // as the product does (a second install is a harmless error).
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::new();
            let mut request = client
                .request(method.parse().unwrap(), format!("{}{path}", self.url))
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

    /// A request straight to the emulated API, as the dashboard (or a
    /// colleague's script) would make it.
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.http(method, path, body)
    }

    /// Mutating requests logged since the last clear, as `METHOD PATH`.
    pub fn mutations(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|(method, _, _)| method != "GET")
            .map(|(method, path, _)| format!("{method} {path}"))
            .collect()
    }

    /// Every logged request: (method, path, status).
    pub fn requests(&self) -> Vec<(String, String, u16)> {
        let (status, log) = self.http("GET", "/_sandbox/requests", None);
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
        let (status, _) = self.http("DELETE", "/_sandbox/requests", None);
        assert!(status < 300);
    }

    /// Connected messenger pages: page id → (name, applications, token).
    pub fn pages(&self) -> Vec<Value> {
        let (status, body) = self.http(
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

/// A configuration directory in a temporary folder.
pub struct Project {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }

    /// The plan's `calls` as `METHOD PATH`.
    pub fn planned_calls(&self) -> Vec<String> {
        self.json()["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    c["method"].as_str().unwrap(),
                    c["path"].as_str().unwrap()
                )
            })
            .collect()
    }

    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    /// Points the project at a sandbox through the environment, as a user would.
    pub fn against(sandbox: &Sandbox) -> Project {
        let mut project = Project::new();
        project.env("VONAGE_ENDPOINT", &sandbox.url);
        project.env("VONAGE_API_KEY", "sandbox");
        project.env("VONAGE_API_SECRET", "sandbox");
        project
    }

    pub fn env(&mut self, name: &str, value: &str) -> &mut Project {
        self.env.push((name.into(), value.into()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) -> &Project {
        std::fs::write(self.dir.path().join(name), text).unwrap();
        self
    }

    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.dir.path().join(name)).unwrap();
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, Stdio::null())
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Stdio) -> Run {
        let mut command = Command::new(BIN);
        command
            .arg("-C")
            .arg(self.dir.path())
            .args(args)
            .stdin(stdin)
            .env_remove("VONAGE_ENDPOINT")
            .env_remove("VONAGE_API_KEY")
            .env_remove("VONAGE_API_SECRET")
            .env("NO_COLOR", "1");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let output: Output = command.output().expect("the socialform binary runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Every byte under the state directory, for secret scans.
    pub fn state_bytes(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![self.dir.path().join("state")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    files.push((path, bytes));
                }
            }
        }
        files
    }
}

/// Sorts a copy, for comparing call multisets whose cross-page order is free.
pub fn sorted(mut calls: Vec<String>) -> Vec<String> {
    calls.sort();
    calls
}

pub fn contains_bytes(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A fleet of pages whose token comes from `var.token`: one page per id,
/// named "Page N" when `named`, and every `link_every`-th page linked to APP1.
pub fn fleet_config(page_ids: &[String], named: bool, link_every: usize) -> String {
    let mut text = String::from("variable \"token\" {\n  sensitive = true\n}\n");
    for (i, page_id) in page_ids.iter().enumerate() {
        let name = if named {
            format!("  name         = \"Page {i}\"\n")
        } else {
            String::new()
        };
        text.push_str(&format!(
            "page \"p{i}\" {{\n  page_id      = \"{page_id}\"\n{name}  access_token = var.token\n}}\n"
        ));
        if i % link_every == 0 {
            text.push_str(&format!(
                "link \"l{i}\" {{\n  page        = page.p{i}.page_id\n  application = \"{APP1}\"\n}}\n"
            ));
        }
    }
    text
}
