//! Diagnostics on stderr through `tracing`: `-v` shows what socialform does
//! (info), `-vv` every HTTP request with its status and timing (debug),
//! `-vvv` everything (trace). `RUST_LOG` (e.g. `RUST_LOG=socialform=debug`)
//! overrides the flags when set.
//!
//! Nothing logged ever carries a token or a credential: the client logs
//! method, path, status and timing only, never a body (reads return page
//! tokens in clear) and never a header (the Authorization one is the
//! secret). Other crates stay at `warn` unless `RUST_LOG` asks for more.
//!
//! Phase timings (`SOCIALFORM_TIMINGS=1`) are `tracing` spans too: the
//! operations open a `phase` span per stage, and a layer of their own
//! prints `timing: NAME MS ms` when one closes, whatever the log level.

use std::time::Instant;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Span, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, filter::filter_fn};

/// The target of phase spans, so the timing layer sees only them.
const TIMING_TARGET: &str = "socialform::timing";

/// A phase of a command, timed from now until the span is dropped.
pub(crate) fn phase(name: &'static str) -> Span {
    tracing::info_span!(target: TIMING_TARGET, "phase", name, overlapped = false)
}

/// A phase that runs at the same time as others (its time is its own, not
/// a share of the wall time).
pub(crate) fn overlapped_phase(name: &'static str) -> Span {
    tracing::info_span!(target: TIMING_TARGET, "phase", name, overlapped = true)
}

/// Whether `SOCIALFORM_TIMINGS` asks for phase timings.
fn timings_requested() -> bool {
    std::env::var_os("SOCIALFORM_TIMINGS").is_some_and(|v| v != "0" && !v.is_empty())
}

/// What the timing layer keeps per open phase span.
struct PhaseStart {
    name: String,
    overlapped: bool,
    at: Instant,
}

#[derive(Default)]
struct PhaseFields {
    name: String,
    overlapped: bool,
}

impl Visit for PhaseFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "name" {
            self.name = value.to_string();
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "overlapped" {
            self.overlapped = value;
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

/// Prints each phase span's wall time on stderr when it closes.
struct TimingLayer;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for TimingLayer {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let mut fields = PhaseFields::default();
        attributes.record(&mut fields);
        if let Some(span) = context.span(id) {
            span.extensions_mut().insert(PhaseStart {
                name: fields.name,
                overlapped: fields.overlapped,
                at: Instant::now(),
            });
        }
    }

    fn on_close(&self, id: Id, context: Context<'_, S>) {
        let Some(span) = context.span(&id) else {
            return;
        };
        if let Some(start) = span.extensions().get::<PhaseStart>() {
            let ms = start.at.elapsed().as_secs_f64() * 1000.0;
            let note = if start.overlapped {
                " (overlapped)"
            } else {
                ""
            };
            eprintln!("timing: {} {ms:.1} ms{note}", start.name);
        }
    }
}

/// Installs the stderr subscriber. Safe to call twice (the second call does
/// nothing), so tests and embedders may have installed their own first.
/// Returns a warning for the user when `RUST_LOG` made no sense.
pub(crate) fn init(verbosity: u8) -> Option<String> {
    let mut warning = None;
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => {
            EnvFilter::try_new(spec.trim()).unwrap_or_else(|error| {
                warning = Some(format!(
                    "warning: RUST_LOG is not a valid filter ({error}); using the default"
                ));
                EnvFilter::new(default_directives(verbosity))
            })
        }
        _ => EnvFilter::new(default_directives(verbosity)),
    };
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(verbosity >= 3)
        .with_filter(filter);
    let timings = timings_requested()
        .then(|| TimingLayer.with_filter(filter_fn(|meta| meta.target() == TIMING_TARGET)));
    let _ = tracing_subscriber::registry()
        .with(log)
        .with(timings)
        .try_init();
    warning
}

fn default_directives(verbosity: u8) -> String {
    let ours = match verbosity {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    // rustls-platform-verifier logs a refused certificate at ERROR; the
    // command's own error already says it, with what to change.
    format!("warn,rustls_platform_verifier=off,socialform={ours}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_raises_only_our_level() {
        assert_eq!(
            default_directives(0),
            "warn,rustls_platform_verifier=off,socialform=warn"
        );
        assert_eq!(
            default_directives(2),
            "warn,rustls_platform_verifier=off,socialform=debug"
        );
        assert_eq!(
            default_directives(9),
            "warn,rustls_platform_verifier=off,socialform=trace"
        );
    }
}
