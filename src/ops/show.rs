//! Reading state without changing it (`show`, `state list/show/pull`).

use crate::state::{LockRequest, Recorded};
use crate::workspace::Workspace;

/// The recorded state, or `None` when there is none (nothing is created).
/// Takes the lock without waiting: a running apply holds it, and the lock
/// error names that apply.
pub fn read_state(workspace: &Workspace, command: &str) -> anyhow::Result<Option<Recorded>> {
    match workspace
        .backend
        .open_existing(&LockRequest::immediate(command))?
    {
        Some(store) => Ok(Some(store.load()?)),
        None => Ok(None),
    }
}
