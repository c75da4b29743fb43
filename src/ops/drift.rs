//! `drift`: refresh only, change nothing, report what moved.
//!
//! Made for CI: it works with no state at all (pages are keyed by page ID,
//! so configuration against remote is enough) and without the page tokens
//! (an unset token variable only skips that page's token comparison).
//! `tokens` reads the same way and reports only the tokens' health.

use super::Reporter;
use super::facebook;
use super::plan::read_remote;
use crate::actual::Actual;
use crate::config::CliVar;
use crate::desired::Desired;
use crate::facebook::ManagedPage;
use crate::plan::{DriftReport, drift_report};
use crate::state::{Fingerprinter, LockRequest, Recorded};
use crate::workspace::Workspace;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Both sides as they are now, read without changing anything.
pub struct Observed {
    pub desired: Desired,
    pub recorded: Recorded,
    /// With `tokens` set when Facebook credentials are present.
    pub actual: Actual,
    pub fingerprinter: Fingerprinter,
    /// What `/me/accounts` listed, when it was read (a user token is
    /// present and the configuration needed it, or `list_pages`).
    pub manageable: Option<Vec<ManagedPage>>,
}

/// Reads configuration, state (if there is one; none is created), the
/// Vonage side and, with Facebook credentials, the tokens' health.
/// `list_pages`: read `/me/accounts` whenever a user token allows it.
pub async fn observe(
    workspace: &Workspace,
    vars: Vec<CliVar>,
    command: &'static str,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
    list_pages: bool,
) -> anyhow::Result<Observed> {
    let desired = workspace.load_config(vars.clone(), true)?;
    let workspace = &workspace.clone().with_backend(desired.backend.as_ref())?;

    // With no state, nothing is created: a CI job leaves no trace behind. A
    // throwaway key fingerprints configured and remote tokens alike.
    let lock = LockRequest::waiting(command, lock_timeout, reporter.clone());
    let store = workspace.backend.open_existing(&lock)?;
    let (recorded, fingerprinter) = match &store {
        Some(store) => (store.load()?, store.fingerprinter()),
        None => {
            let mut key = vec![0u8; 32];
            rand::fill(&mut key[..]);
            (Recorded::default(), Fingerprinter::new(key))
        }
    };

    let connection = workspace.connect(&desired.provider, &reporter).await?;
    let facebook_side = workspace
        .facebook(desired.facebook.as_ref(), connection.sandbox.as_ref())
        .await?;
    let mut held = BTreeMap::new();
    let listing = async {
        match &facebook_side {
            Some(side) if list_pages && side.client.has_user_token() => {
                facebook::list_pages(side).await.map(Some)
            }
            _ => facebook::managed_pages(&desired, facebook_side.as_ref(), true).await,
        }
    };
    let (mut actual, manageable) = tokio::try_join!(
        read_remote(
            &connection.client,
            &fingerprinter,
            &desired,
            &recorded,
            reporter.as_ref(),
            facebook_side.is_some().then_some(&mut held),
        ),
        listing,
    )?;
    let read = facebook::Read {
        side: facebook_side.as_ref(),
        managed: manageable.as_deref(),
        held,
        check: facebook_side.is_some(),
        tokens_optional: true,
    };
    let desired = facebook::settle(
        workspace,
        vars,
        desired,
        read,
        &recorded,
        &mut actual,
        &fingerprinter,
    )
    .await?;
    Ok(Observed {
        desired,
        recorded,
        actual,
        fingerprinter,
        manageable,
    })
}

/// The drift report, and the configuration it compared (for where each
/// resource is declared).
pub async fn drift(
    workspace: &Workspace,
    vars: Vec<CliVar>,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<(DriftReport, Desired)> {
    let observed = observe(workspace, vars, "drift", lock_timeout, reporter, false).await?;
    let fingerprinter = &observed.fingerprinter;
    let report = drift_report(
        &observed.desired,
        &observed.recorded,
        &observed.actual,
        &|token| fingerprinter.fingerprint(token),
    );
    Ok((report, observed.desired))
}
