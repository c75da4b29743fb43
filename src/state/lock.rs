//! One process at a time per state directory.

use std::path::Path;
use std::time::Duration;

/// Who holds the lock, as written into the lock file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub command: String,
    pub who: String,
    /// RFC 3339, UTC.
    pub since: String,
}

/// Held until dropped. A process that dies releases it (the OS drops its file lock).
#[derive(Debug)]
pub struct StateLock {
    _private: (),
}

impl StateLock {
    /// Takes the lock of `state_dir`, creating the directory if needed,
    /// waiting up to `timeout`. The error names the holder (pid, command, since).
    pub fn acquire(
        _state_dir: &Path,
        _command: &str,
        _timeout: Duration,
    ) -> anyhow::Result<StateLock> {
        todo!()
    }
}
