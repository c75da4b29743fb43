//! `drift`: refresh only, change nothing, report what moved.
//!
//! Made for CI: it works with no state at all (pages are keyed by page ID,
//! so configuration against remote is enough) and without the page tokens
//! (an unset token variable only skips that page's token comparison).
//! `tokens` reads the same way and reports only the tokens' health.

use super::Reporter;
use crate::config::CliVar;
use crate::desired::Desired;
use crate::plan::{DriftReport, drift_report};
use crate::session::{Intent, Run, RunRequest, Session};
use crate::state::LockRequest;
use std::sync::Arc;
use std::time::Duration;

/// Reads configuration, state (if there is one; none is created), the
/// Vonage side and, with Facebook credentials, the tokens' health.
/// `list_pages`: read `/me/accounts` whenever a user token allows it.
pub(crate) async fn observe(
    session: &Session,
    vars: Vec<CliVar>,
    command: &'static str,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
    list_pages: bool,
) -> anyhow::Result<Run> {
    let lock = LockRequest::waiting(command, lock_timeout, reporter.clone());
    let request = RunRequest {
        vars,
        lock,
        intent: Intent::Observe { list_pages },
    };
    session.run(request, reporter).await
}

/// The drift report, and the configuration it compared (for where each
/// resource is declared).
pub(crate) async fn drift(
    session: &Session,
    vars: Vec<CliVar>,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<(DriftReport, Desired)> {
    let observed = observe(session, vars, "drift", lock_timeout, reporter, false).await?;
    let fingerprinter = &observed.fingerprinter;
    let report = drift_report(
        &observed.desired,
        &observed.recorded,
        &observed.actual,
        &|token| fingerprinter.fingerprint(token),
    );
    Ok((report, observed.desired))
}
