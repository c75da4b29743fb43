//! A configuration directory in a temporary folder and the real
//! `socialform` binary run in it, with the environment a user would set.

use super::{Sandbox, bin};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A configuration directory in a temporary folder.
pub struct Project {
    dir: tempfile::TempDir,
    /// `XDG_CONFIG_HOME` of every run: a stored login (`socialform login
    /// facebook`) lands here, outside the configuration directory, and a
    /// login on the machine running the tests never reaches them.
    config_home: tempfile::TempDir,
    pub(super) env: Vec<(String, String)>,
    /// The sandbox this project points at, for transcripts that expect
    /// requests.
    pub(super) sandbox_url: Option<String>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
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
            config_home: tempfile::tempdir().unwrap(),
            env: Vec::new(),
            sandbox_url: None,
        }
    }

    /// Points the project at a sandbox through the environment, as a user would.
    pub fn against(sandbox: &Sandbox) -> Project {
        let mut project = Project::new();
        project.env("VONAGE_ENDPOINT", &sandbox.url);
        project.env("VONAGE_API_KEY", "sandbox");
        project.env("VONAGE_API_SECRET", "sandbox");
        // The sandbox has no limit unless a test sets its rate_limit fault;
        // the tests of the client's limit set their own rate.
        project.env("SOCIALFORM_RATE_LIMIT", "0");
        project.sandbox_url = Some(sandbox.url.clone());
        project
    }

    pub fn env(&mut self, name: &str, value: &str) -> &mut Project {
        self.env.push((name.into(), value.into()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Where the runs' `XDG_CONFIG_HOME` points.
    pub fn config_home(&self) -> &Path {
        self.config_home.path()
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
        let mut command = self.command(args);
        command.stdin(stdin);
        Run::from(command.output().expect("the socialform binary runs"))
    }

    /// The binary, run in this directory with this project's environment
    /// (and none of the caller's Vonage settings), without colour.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = self.command_without_dir(&[]);
        command.arg("-C").arg(self.dir.path()).args(args);
        command
    }

    /// The binary with this project's environment but no `-C`: for runs
    /// from another working directory, as a user would type them there.
    pub fn command_without_dir(&self, args: &[&str]) -> Command {
        let mut command = Command::new(bin());
        command
            .args(args)
            .stdin(Stdio::null())
            .env_remove("VONAGE_ENDPOINT")
            .env_remove("VONAGE_API_KEY")
            .env_remove("VONAGE_API_SECRET")
            .env_remove("RUST_LOG")
            .env_remove("RUST_BACKTRACE")
            .env_remove("SOCIALFORM_TIMINGS")
            .env_remove("SOCIALFORM_TIMEOUT")
            .env_remove("SOCIALFORM_MAX_RETRIES")
            .env_remove("SOCIALFORM_RATE_LIMIT")
            .env_remove("SOCIALFORM_PG_CONN_STR")
            .env_remove("PGHOST")
            .env_remove("PGPORT")
            .env_remove("PGUSER")
            .env_remove("PGPASSWORD")
            .env_remove("PGDATABASE")
            .env_remove("PGSSLMODE")
            .env_remove("PGSSLROOTCERT")
            .env_remove("PGSSLCERT")
            .env_remove("PGSSLKEY")
            .env_remove("SSL_CERT_FILE")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env_remove("FACEBOOK_USER_TOKEN")
            .env_remove("FACEBOOK_APP_ID")
            .env_remove("FACEBOOK_APP_SECRET")
            .env_remove("FACEBOOK_GRAPH_ENDPOINT")
            .env_remove("FACEBOOK_CLIENT_TOKEN")
            .env_remove("SOCIALFORM_NO_BROWSER")
            .env("XDG_CONFIG_HOME", self.config_home.path())
            .env("SOCIALFORM_CREDENTIAL_STORE", "file")
            .env("NO_COLOR", "1");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Waits (at most 20 s) until a process holds this project's local state
    /// lock and has written who it is.
    pub fn wait_for_lock_holder(&self) {
        let lock_file = self.path().join("state").join("lock");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::fs::read_to_string(&lock_file)
            .map(|t| t.trim().is_empty())
            .unwrap_or(true)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "no process took the state lock"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
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
