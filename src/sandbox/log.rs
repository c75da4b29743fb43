//! The request log behind `GET /_sandbox/requests`: every API request in
//! arrival order, so tests can count and order the calls a command made.

use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct LoggedRequest {
    pub(crate) method: String,
    /// Without the query string.
    pub(crate) path: String,
    /// The raw query string; empty when there was none. For Graph requests
    /// the values of token parameters read `REDACTED`.
    pub(crate) query: String,
    pub(crate) status: u16,
    /// When it arrived, in milliseconds since the sandbox started: for
    /// tests of pacing and `Retry-After`.
    pub(crate) at_ms: u64,
    /// Graph batch requests only: how many items the batch held. Absent
    /// from the JSON otherwise, so the Vonage side's entries are unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) batch_items: Option<usize>,
}
