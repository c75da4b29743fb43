//! The HTTP client (reqwest, rustls). Implementation: issue 2.

use super::error::ApiError;
use super::types::*;
use crate::secret::Secret;
use std::time::Duration;

/// How reads (and throttled writes) are retried.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The API host root, e.g. `https://api.nexmo.com` or `http://127.0.0.1:8480`.
    pub endpoint: String,
    pub api_key: String,
    pub api_secret: Secret,
    /// Per-request timeout.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

#[derive(Clone)]
pub struct Client {
    _config: ClientConfig,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        Ok(Client { _config: config })
    }

    /// Every account of `provider` (all providers when `None`), in as few
    /// list requests as the server allows: the first page reveals how many
    /// there are, the rest are fetched concurrently.
    pub async fn list_accounts(&self, _provider: Option<&str>) -> Result<Vec<Account>, ApiError> {
        todo!()
    }

    /// One page of the account list.
    pub async fn list_accounts_page(
        &self,
        _provider: Option<&str>,
        _page_number: u32,
        _page_size: u32,
    ) -> Result<AccountsPage, ApiError> {
        todo!()
    }

    /// `GET /beta/chatapp-accounts/{provider}/{id}`.
    pub async fn get_account(
        &self,
        _provider: &str,
        _external_id: &str,
    ) -> Result<Account, ApiError> {
        todo!()
    }

    /// `POST /beta/chatapp-accounts/messenger` (201).
    pub async fn connect_messenger(&self, _request: &ConnectRequest) -> Result<Account, ApiError> {
        todo!()
    }

    /// `PATCH /beta/chatapp-accounts/messenger/{id}` (200).
    pub async fn update_messenger(
        &self,
        _external_id: &str,
        _request: &UpdateRequest,
    ) -> Result<Account, ApiError> {
        todo!()
    }

    /// `DELETE /beta/chatapp-accounts/messenger/{id}` (204).
    pub async fn disconnect_messenger(&self, _external_id: &str) -> Result<(), ApiError> {
        todo!()
    }

    /// `POST /beta/chatapp-accounts/{provider}/{id}/applications` (200).
    pub async fn link_application(
        &self,
        _provider: &str,
        _external_id: &str,
        _application: &str,
    ) -> Result<Account, ApiError> {
        todo!()
    }

    /// `DELETE /beta/chatapp-accounts/{provider}/{id}/applications/{app}` (204).
    pub async fn unlink_application(
        &self,
        _provider: &str,
        _external_id: &str,
        _application: &str,
    ) -> Result<(), ApiError> {
        todo!()
    }

    /// Every application, paginated with the largest page size (100).
    pub async fn list_applications(&self) -> Result<Vec<Application>, ApiError> {
        todo!()
    }

    /// `GET /v2/applications/{id}`.
    pub async fn get_application(&self, _id: &str) -> Result<Application, ApiError> {
        todo!()
    }

    /// `POST /v2/applications` (201).
    pub async fn create_application(&self, _new: &NewApplication) -> Result<Application, ApiError> {
        todo!()
    }

    /// `DELETE /v2/applications/{id}` (204).
    pub async fn delete_application(&self, _id: &str) -> Result<(), ApiError> {
        todo!()
    }
}
