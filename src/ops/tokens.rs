//! `tokens`: every managed page's token health at a glance — valid (and
//! until when), expiring, or invalid and why — and the pages the Facebook
//! user can manage that are not connected. Reads only; see `drift::observe`.

use super::Reporter;
use super::drift::observe;
use crate::address::Address;
use crate::config::CliVar;
use crate::facebook::{TokenHealth, UserTokenHealth};
use crate::session::Session;
use anyhow::bail;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// One managed page (declared, or in state) and its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PageToken {
    pub(crate) address: Address,
    pub(crate) page_id: String,
    pub(crate) connected: bool,
    /// What Facebook said of the token Vonage holds; `None` when the page
    /// is not connected or the API returned no token.
    pub(crate) health: Option<TokenHealth>,
    /// Valid but expiring within the warning window.
    pub(crate) expiring: bool,
}

/// A page the user token can manage that is not connected to Vonage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Manageable {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) tasks: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TokenOverview {
    pub(crate) pages: Vec<PageToken>,
    /// `None` without a user token (nothing could list them).
    pub(crate) not_connected: Option<Vec<Manageable>>,
    /// Unix seconds: a token expiring before this is "expiring".
    pub(crate) expiring_before: i64,
    /// False without app credentials: "valid" then says nothing of when.
    pub(crate) expiry_known: bool,
    /// The Facebook user token, checked in the same batches.
    pub(crate) user: Option<crate::actual::UserTokenReport>,
}

impl TokenOverview {
    /// Whether any managed page's token needs attention.
    pub(crate) fn needs_attention(&self) -> bool {
        self.pages
            .iter()
            .any(|p| p.expiring || matches!(p.health, Some(TokenHealth::Invalid { .. })))
            || self.user_needs_attention()
    }

    /// Whether the user token is invalid, expiring or lacks a permission.
    pub(crate) fn user_needs_attention(&self) -> bool {
        match self.user.as_ref().map(|u| &u.health) {
            Some(UserTokenHealth::Invalid { .. }) => true,
            Some(UserTokenHealth::Valid(info)) => {
                info.expires_at.is_some_and(|at| at < self.expiring_before)
                    || !info.missing().is_empty()
            }
            None => false,
        }
    }
}

pub(crate) async fn tokens(
    session: &Session,
    vars: Vec<CliVar>,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<TokenOverview> {
    let observed = observe(session, vars, "tokens", lock_timeout, reporter, true).await?;
    let Some(report) = &observed.actual.tokens else {
        bail!(
            "no Facebook credentials to check tokens with: run socialform login facebook, or set \
             FACEBOOK_USER_TOKEN (a long-lived user or system-user token), or FACEBOOK_APP_ID \
             and FACEBOOK_APP_SECRET, or a provider \"facebook\" block"
        );
    };
    // Declared pages first; state's pages that the configuration no longer
    // declares are still managed until applied.
    let mut managed: BTreeMap<&str, &Address> = BTreeMap::new();
    for page in observed.recorded.pages.values() {
        managed.insert(&page.page_id, &page.address);
    }
    for page in &observed.desired.pages {
        managed.insert(&page.page_id, &page.address);
    }
    let mut pages: Vec<PageToken> = managed
        .into_iter()
        .map(|(page_id, address)| {
            let health = report.held.get(page_id).cloned();
            PageToken {
                address: address.clone(),
                page_id: page_id.to_string(),
                connected: observed.actual.pages.contains_key(page_id),
                expiring: health
                    .as_ref()
                    .is_some_and(|h| h.expires_before(report.expiring_before)),
                health,
            }
        })
        .collect();
    pages.sort_by(|a, b| a.address.cmp(&b.address));
    let not_connected = observed.manageable.as_ref().map(|listed| {
        listed
            .iter()
            .filter(|p| !observed.actual.pages.contains_key(&p.id))
            .map(|p| Manageable {
                id: p.id.clone(),
                name: p.name.clone(),
                tasks: p.tasks.clone(),
            })
            .collect()
    });
    Ok(TokenOverview {
        pages,
        not_connected,
        expiring_before: report.expiring_before,
        expiry_known: report.expiry_known,
        user: report.user.clone(),
    })
}
