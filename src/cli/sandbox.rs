//! `socialform sandbox serve`: prints `listening on http://HOST:PORT` (or
//! `https://` with `--tls-cert`) as its first line of stdout, then serves
//! until interrupted.

use super::args::SandboxServeArgs;
use super::{Context, EXIT_OK};
use crate::sandbox::{self, Faults, SandboxOptions};
use anyhow::bail;

pub(crate) async fn serve(context: &Context, args: SandboxServeArgs) -> anyhow::Result<u8> {
    for (name, rate) in [
        ("--error-rate", args.error_rate),
        ("--ambiguous-rate", args.ambiguous_rate),
    ] {
        if !(0.0..=1.0).contains(&rate) {
            bail!("{name} must be between 0 and 1, got {rate}");
        }
    }
    let handle = sandbox::start(SandboxOptions {
        listen: args.listen,
        api_key: args.api_key,
        api_secret: args.api_secret,
        data: args.data,
        faults: Faults {
            latency_ms: args.latency_ms,
            error_rate: args.error_rate,
            ambiguous_rate: args.ambiguous_rate,
            rate_limit: args.rate_limit,
            retry_after: Default::default(),
            seed: args.fault_seed,
        },
        seed_demo: args.seed_demo,
        tls: match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(sandbox::SandboxTls { cert, key }),
            _ => None,
        },
    })
    .await?;
    // Scripts and tests read this line to find the port.
    context
        .printer
        .line(&format!("listening on {}", handle.url()));
    wait_for_signal().await;
    handle.shutdown().await;
    Ok(EXIT_OK)
}

/// Ctrl-C or SIGTERM.
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
