//! The Vonage API client: External Accounts (pages and their links) and
//! Application API v2. Works unchanged against `https://api.nexmo.com` and the
//! sandbox; the endpoint is the API host root, so paths are exactly the
//! production ones.

mod client;
mod error;
mod limiter;
mod problem;
mod retry;
mod types;
mod wire;

pub use client::{Client, ClientConfig, RetryNotice};
pub use error::{ApiError, InvalidParam};
pub use limiter::{ACCOUNTS_REQUESTS_PER_SECOND, APPLICATIONS_REQUESTS_PER_SECOND};
pub use retry::{RetryPolicy, backoff};
pub use types::{
    ACCOUNTS_BASE, APPLICATIONS_BASE, Account, AccountsPage, Application, ConnectRequest,
    NewApplication, UpdateRequest,
};
