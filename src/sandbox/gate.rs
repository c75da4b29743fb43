//! The middleware in front of every API route: request log, latency, rate
//! limit, authentication, and injected 503/500 answers. `/_sandbox/*` passes
//! straight through and is never logged.

use super::auth::is_authorized;
use super::problem::Problem;
use super::state::Shared;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) const CONTROL_PREFIX: &str = "/_sandbox/";

pub(crate) async fn api_gate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with(CONTROL_PREFIX) {
        return next.run(request).await;
    }
    let arrived = Instant::now();
    let method = request.method().clone();
    let query = request.uri().query().unwrap_or("").to_owned();
    let seq = shared.log_arrival(method.as_str(), &path, &query);

    let response = gated(&shared, arrived, method, request, next).await;
    shared.log_status(seq, response.status().as_u16());
    response
}

/// Holds a request that arrived at `arrived` for the latency fault in force
/// (the Graph side's front door serves it too).
pub(crate) async fn serve_latency(shared: &Shared, arrived: Instant) {
    let latency_ms = shared.faults().latency_ms;
    if latency_ms > 0 {
        // Any u64 is accepted. Linux's Instant reaches past u64::MAX ms;
        // where it cannot, the request waits a century instead.
        let latency = Duration::from_millis(latency_ms);
        let deadline = arrived
            .checked_add(latency)
            .unwrap_or_else(|| arrived + Duration::from_secs(100 * 365 * 24 * 3600));
        shared.delay_until(deadline).await;
    }
}

async fn gated(
    shared: &Shared,
    arrived: Instant,
    method: Method,
    request: Request,
    next: Next,
) -> Response {
    let faults = shared.faults();
    serve_latency(shared, arrived).await;
    // Every API request counts against the limit, authenticated or not, as
    // on a real front door.
    if let Err(retry_after) =
        (shared.rate()).check(faults.rate_limit, faults.retry_after, Instant::now())
    {
        return Problem::throttled(retry_after).into_response();
    }
    if !is_authorized(request.headers(), &shared.api_key, &shared.api_secret) {
        return Problem::unauthorized().into_response();
    }
    let mutating = matches!(
        method,
        Method::POST | Method::PATCH | Method::DELETE | Method::PUT
    );
    let fate = if mutating {
        shared.fate(&faults)
    } else {
        Default::default()
    };
    if fate.refuse {
        return Problem::unavailable().into_response();
    }
    let response = next.run(request).await;
    if fate.ambiguous {
        // The handler has already done its work; the caller just cannot know.
        return Problem::internal().into_response();
    }
    response
}
