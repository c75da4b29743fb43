//! Reading state without changing it (`show`, `state list/show/pull`).

use crate::ops::Reporter;
use crate::session::Backend;
use crate::state::{LockRequest, Recorded};
use std::sync::Arc;
use std::time::Duration;

/// The recorded state, or `None` when there is none (nothing is created).
/// Holds the lock only while reading; a running apply holds it for longer,
/// so this waits up to `lock_timeout` (`--lock-timeout`) for it, and the
/// lock error names that apply.
pub(crate) fn read_state(
    backend: &Backend,
    command: &str,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Option<Recorded>> {
    let opened = backend.open_existing(&LockRequest::waiting(command, lock_timeout, reporter))?;
    Ok(opened.map(|opened| opened.recorded))
}
