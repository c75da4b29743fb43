//! Who holds a state's lock, and the error for a lock held elsewhere.
//! Shared by every backend, so the message reads the same wherever state is.

use super::{now_rfc3339, operator};
use std::time::Duration;

/// Who holds the lock, as the holder recorded it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockInfo {
    pub(crate) pid: u32,
    pub(crate) command: String,
    pub(crate) who: String,
    /// RFC 3339, UTC.
    pub(crate) since: String,
}

impl LockInfo {
    /// The current process, running `command`.
    pub fn current(command: &str) -> LockInfo {
        LockInfo {
            pid: std::process::id(),
            command: command.to_string(),
            who: operator(),
            since: now_rfc3339(),
        }
    }
}

/// The error `open` gives when another process holds the lock; callers can
/// downcast to it (e.g. to choose an exit code or a JSON rendering).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHeld {
    /// Where the lock is, as the backend names it (e.g. `lock file: state/lock`).
    pub(crate) lock: String,
    /// What the holder recorded; `None` when it had not yet (it had just
    /// taken the lock) or the record did not make sense.
    pub(crate) holder: Option<LockInfo>,
    /// How long `open` waited before giving up.
    pub(crate) waited: Duration,
}

impl std::fmt::Display for LockHeld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.holder {
            Some(info) => write!(
                f,
                "state is locked by pid {} (socialform {}, since {}, {})",
                info.pid, info.command, info.since, info.who
            )?,
            None => f.write_str("state is locked by another socialform process")?,
        }
        if self.waited.is_zero() {
            f.write_str("; wait for it to finish or pass --lock-timeout 30s")?;
        } else {
            write!(
                f,
                "; gave up after waiting {}; wait for it to finish or pass a longer --lock-timeout",
                humantime::format_duration(self.waited)
            )?;
        }
        write!(f, " ({})", self.lock)
    }
}

impl std::error::Error for LockHeld {}
