//! Refresh: read the whole remote side in bulk (the paginated list
//! endpoints, never one request per resource) and reduce it to `Actual`.

use crate::actual::{Actual, RemoteAccount, RemoteApplication, RemotePage};
use crate::channel::Channel;
use crate::desired::Desired;
use crate::remote::{ApiError, Client};
use crate::secret::Secret;
use crate::state::{Fingerprinter, Recorded};
use std::collections::BTreeMap;

/// Told when refresh starts and ends. Both default to nothing.
pub(crate) trait RefreshObserver: Send + Sync {
    fn refresh_started(&self) {}
    /// What was read: pages of every provider, and applications.
    fn refresh_finished(&self, _pages: usize, _applications: usize) {}
}

fn applications_len(actual: &Actual) -> usize {
    actual.applications.as_ref().map_or(0, |a| a.len())
}

/// How many accounts refresh should expect to find: the larger of what the
/// configuration declares and what state holds (pages, and the accounts of
/// other channels that links name).
pub(crate) fn expected_pages(desired: &Desired, recorded: &Recorded) -> usize {
    let declared = desired.pages.len()
        + desired
            .links
            .iter()
            .filter(|l| !l.channel.is_messenger())
            .count();
    let held = recorded.pages.len()
        + recorded
            .links
            .values()
            .filter(|l| !l.channel.is_messenger())
            .count();
    declared.max(held)
}

/// Reads every account of every provider (one paginated walk of the
/// unfiltered list) and every application, concurrently. `expected_pages`
/// is a guess of how many accounts there are (see `expected_pages`): it
/// lets the first round of list requests ask for more than one page.
/// Tokens the API returns are fingerprinted and dropped here, unless
/// `held_tokens` asks for them (to check their health with Facebook; the
/// caller drops them once checked); accounts of a provider this build does
/// not know are ignored.
pub(crate) async fn refresh(
    client: &Client,
    fingerprinter: &Fingerprinter,
    expected_pages: usize,
    observer: &dyn RefreshObserver,
    mut held_tokens: Option<&mut BTreeMap<String, Secret>>,
) -> Result<Actual, ApiError> {
    observer.refresh_started();
    let (accounts, applications) = tokio::try_join!(
        client.list_accounts_expecting(None, expected_pages),
        client.list_applications()
    )?;
    let mut pages = std::collections::BTreeMap::new();
    let mut others = std::collections::BTreeMap::new();
    for account in accounts {
        match Channel::from_provider(&account.provider) {
            Some(Channel::Messenger) => {
                let page = RemotePage {
                    page_id: account.external_id.clone(),
                    name: account.name,
                    applications: account.applications,
                    token_fingerprint: account
                        .access_token
                        .as_ref()
                        .map(|t| fingerprinter.fingerprint(t)),
                };
                if let (Some(held), Some(token)) =
                    (held_tokens.as_deref_mut(), account.access_token)
                {
                    held.insert(account.external_id.clone(), token);
                }
                pages.insert(account.external_id, page);
            }
            Some(channel) => {
                let remote = RemoteAccount {
                    channel,
                    external_id: account.external_id.clone(),
                    name: account.name,
                    applications: account.applications,
                };
                others.insert((channel, account.external_id), remote);
            }
            None => {}
        }
    }
    let applications = applications
        .into_iter()
        .map(|app| (app.id.to_lowercase(), remote_application(app)))
        .collect();
    let actual = Actual {
        pages,
        accounts: others,
        applications: Some(applications),
        refreshed: true,
        tokens: None,
    };
    observer.refresh_finished(
        actual.pages.len() + actual.accounts.len(),
        applications_len(&actual),
    );
    Ok(actual)
}

/// An application as the API listed it, reduced to what socialform reads.
pub(crate) fn remote_application(app: crate::remote::Application) -> RemoteApplication {
    RemoteApplication {
        id: app.id.clone(),
        settings: app.settings(),
        name: app.name,
        has_messages: app.has_messages,
        other_capabilities: app.other_capabilities,
    }
}

/// What `data "vonage_applications"` sees of the applications read: no
/// key, only their id, name, capabilities and webhooks.
pub(crate) fn data_applications<'a>(
    apps: impl IntoIterator<Item = &'a RemoteApplication>,
) -> Vec<crate::config::DataApplication> {
    apps.into_iter()
        .map(|app| {
            let mut capabilities = app.other_capabilities.clone();
            if app.has_messages {
                capabilities.push("messages".to_string());
            }
            capabilities.sort();
            capabilities.dedup();
            let messages = app.settings.messages.as_ref();
            crate::config::DataApplication {
                id: app.id.clone(),
                name: app.name.clone(),
                capabilities,
                inbound_url: messages
                    .map(|m| m.inbound_url.clone())
                    .filter(|u| !u.is_empty()),
                status_url: messages
                    .map(|m| m.status_url.clone())
                    .filter(|u| !u.is_empty()),
            }
        })
        .collect()
}
