//! Refresh: read the whole remote side in bulk (the paginated list
//! endpoints, never one request per resource) and reduce it to `Actual`.

use crate::actual::{Actual, RemoteApplication, RemotePage};
use crate::desired::Desired;
use crate::remote::{ApiError, Client};
use crate::state::{Fingerprinter, Recorded};

/// Told when refresh starts and ends. Both default to nothing.
pub trait RefreshObserver: Send + Sync {
    fn refresh_started(&self) {}
    /// What was read: pages of every provider, and applications.
    fn refresh_finished(&self, _pages: usize, _applications: usize) {}
}

fn applications_len(actual: &Actual) -> usize {
    actual.applications.as_ref().map_or(0, |a| a.len())
}

/// How many pages refresh should expect to find: the larger of what the
/// configuration declares and what state holds.
pub fn expected_pages(desired: &Desired, recorded: &Recorded) -> usize {
    desired.pages.len().max(recorded.pages.len())
}

/// Reads every messenger account and every application, concurrently.
/// `expected_pages` is a guess of how many pages the account has (the larger
/// of state's and the configuration's count): it lets the first round of
/// list requests ask for more than one page. Tokens the API returns are
/// fingerprinted and dropped here.
pub async fn refresh(
    client: &Client,
    fingerprinter: &Fingerprinter,
    expected_pages: usize,
    observer: &dyn RefreshObserver,
) -> Result<Actual, ApiError> {
    observer.refresh_started();
    let (accounts, applications) = tokio::try_join!(
        client.list_accounts_expecting(Some("messenger"), expected_pages),
        client.list_applications()
    )?;
    let pages = accounts
        .into_iter()
        .filter(|a| a.provider == "messenger")
        .map(|account| {
            let page = RemotePage {
                page_id: account.external_id.clone(),
                name: account.name.clone(),
                applications: account.applications.clone(),
                token_fingerprint: account
                    .access_token
                    .as_ref()
                    .map(|t| fingerprinter.fingerprint(t)),
            };
            (account.external_id, page)
        })
        .collect();
    let applications = applications
        .into_iter()
        .map(|app| {
            let remote = RemoteApplication {
                id: app.id.clone(),
                name: app.name,
                has_messages: app.has_messages,
            };
            (app.id.to_lowercase(), remote)
        })
        .collect();
    let actual = Actual {
        pages,
        applications: Some(applications),
        refreshed: true,
    };
    observer.refresh_finished(actual.pages.len(), applications_len(&actual));
    Ok(actual)
}
