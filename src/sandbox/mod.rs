//! The local emulator of the Vonage APIs, served over HTTP with axum.
//! Implementation: issue 2.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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

/// A running sandbox; stops when dropped or on `shutdown`.
pub struct SandboxHandle {
    pub addr: SocketAddr,
}

impl SandboxHandle {
    /// `http://HOST:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn shutdown(self) {}
}

/// Binds and starts serving on the current tokio runtime.
pub async fn start(_options: SandboxOptions) -> anyhow::Result<SandboxHandle> {
    todo!()
}

/// `socialform sandbox serve`: prints `listening on http://HOST:PORT` first,
/// then serves until interrupted.
pub async fn serve(_options: SandboxOptions) -> anyhow::Result<()> {
    let _ = Duration::ZERO;
    todo!()
}
