//! Typed errors from the problem documents (RFC 7807) the APIs answer with.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidParam {
    pub name: String,
    pub(crate) reason: String,
}

/// Every failure of one API request. Messages never include a token or the
/// Authorization header.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ApiError {
    #[error("401 unauthorized: {detail} (check VONAGE_API_KEY and VONAGE_API_SECRET)")]
    Unauthorized { detail: String },
    #[error("403 forbidden: {detail}")]
    Forbidden { detail: String },
    #[error("404 not found: {detail}")]
    NotFound { detail: String },
    #[error("409 conflict: {detail}")]
    Conflict { detail: String },
    #[error("400 invalid request: {detail}{}", format_params(params))]
    Invalid {
        detail: String,
        params: Vec<InvalidParam>,
    },
    #[error("429 throttled by the API{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    Throttled { retry_after: Option<Duration> },
    #[error("server error {status}: {detail}")]
    Server { status: u16, detail: String },
    #[error("unexpected status {status}: {detail}")]
    UnexpectedStatus { status: u16, detail: String },
    #[error("could not reach the API: {0}")]
    Transport(String),
    /// The TLS handshake failed: nothing was sent, and trying again would
    /// fail the same way.
    #[error("could not reach the API: {0}")]
    Tls(String),
    #[error("the API answered {status} with a body that could not be read: {detail}")]
    Decode { status: u16, detail: String },
}

fn format_params(params: &[InvalidParam]) -> String {
    if params.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = params
        .iter()
        .map(|p| format!("{}: {}", p.name, p.reason))
        .collect();
    format!(" ({})", parts.join("; "))
}

impl ApiError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Unauthorized { .. } => Some(401),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::NotFound { .. } => Some(404),
            ApiError::Conflict { .. } => Some(409),
            ApiError::Invalid { .. } => Some(400),
            ApiError::Throttled { .. } => Some(429),
            ApiError::Server { status, .. }
            | ApiError::UnexpectedStatus { status, .. }
            | ApiError::Decode { status, .. } => Some(*status),
            ApiError::Transport(_) | ApiError::Tls(_) => None,
        }
    }

    /// True when a mutating request may have taken effect even though it
    /// failed: a 5xx, no answer at all (refused, reset, timed out), or a
    /// success status whose body was cut short or made no sense.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ApiError::Server { .. } | ApiError::Transport(_) => true,
            ApiError::Decode { status, .. } => (200..300).contains(status),
            _ => false,
        }
    }
}
