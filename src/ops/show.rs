//! Reading state without changing it (`show`, `state list/show/pull`).

use crate::session::Backend;
use crate::state::{LockRequest, Recorded};

/// The recorded state, or `None` when there is none (nothing is created).
/// Takes the lock without waiting: a running apply holds it, and the lock
/// error names that apply.
pub(crate) fn read_state(backend: &Backend, command: &str) -> anyhow::Result<Option<Recorded>> {
    let opened = backend.open_existing(&LockRequest::immediate(command))?;
    Ok(opened.map(|opened| opened.recorded))
}
