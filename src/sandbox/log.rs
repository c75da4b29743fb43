//! The request log behind `GET /_sandbox/requests`: every API request in
//! arrival order, so tests can count and order the calls a command made.

use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LoggedRequest {
    pub method: String,
    /// Without the query string.
    pub path: String,
    /// The raw query string; empty when there was none.
    pub query: String,
    pub status: u16,
}
