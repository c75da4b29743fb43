//! `drift`: refresh only, change nothing, report what moved.
//!
//! Made for CI: it works with no state at all (pages are keyed by page ID,
//! so configuration against remote is enough) and without the page tokens
//! (an unset token variable only skips that page's token comparison).

use super::Reporter;
use super::plan::read_remote;
use crate::config::CliVar;
use crate::desired::Desired;
use crate::plan::{DriftReport, drift_report};
use crate::state::{Fingerprinter, LockRequest, Recorded};
use crate::workspace::Workspace;
use std::sync::Arc;
use std::time::Duration;

/// The drift report, and the configuration it compared (for where each
/// resource is declared).
pub async fn drift(
    workspace: &Workspace,
    vars: Vec<CliVar>,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<(DriftReport, Desired)> {
    let desired = workspace.load_config(vars, true)?;
    let workspace = &workspace.clone().with_backend(desired.backend.as_ref())?;

    // With no state, nothing is created: a CI job leaves no trace behind. A
    // throwaway key fingerprints configured and remote tokens alike.
    let lock = LockRequest::waiting("drift", lock_timeout, reporter.clone());
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
    let actual = read_remote(
        &connection.client,
        &fingerprinter,
        &desired,
        &recorded,
        reporter.as_ref(),
    )
    .await?;
    let report = drift_report(&desired, &recorded, &actual, &|token| {
        fingerprinter.fingerprint(token)
    });
    Ok((report, desired))
}
