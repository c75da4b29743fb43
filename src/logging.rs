//! Diagnostics on stderr through `tracing`: `-v` shows what socialform does
//! (info), `-vv` every HTTP request with its status and timing (debug),
//! `-vvv` everything (trace). `RUST_LOG` (e.g. `RUST_LOG=socialform=debug`)
//! overrides the flags when set.
//!
//! Nothing logged ever carries a token or a credential: the client logs
//! method, path, status and timing only, never a body (reads return page
//! tokens in clear) and never a header (the Authorization one is the
//! secret). Other crates stay at `warn` unless `RUST_LOG` asks for more.

use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber. Safe to call twice (the second call does
/// nothing), so tests and embedders may have installed their own first.
pub fn init(verbosity: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => {
            EnvFilter::try_new(spec.trim()).unwrap_or_else(|error| {
                eprintln!("warning: RUST_LOG is not a valid filter ({error}); using the default");
                EnvFilter::new(default_directives(verbosity))
            })
        }
        _ => EnvFilter::new(default_directives(verbosity)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(verbosity >= 3)
        .try_init();
}

fn default_directives(verbosity: u8) -> String {
    let ours = match verbosity {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    format!("warn,socialform={ours}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_raises_only_our_level() {
        assert_eq!(default_directives(0), "warn,socialform=warn");
        assert_eq!(default_directives(2), "warn,socialform=debug");
        assert_eq!(default_directives(9), "warn,socialform=trace");
    }
}
