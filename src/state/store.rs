//! The store behind a small trait, so a shared backend can come later
//! without touching the planner.

use super::fingerprint::Fingerprinter;
use super::records::{HistoryEntry, Recorded, StateOp};
use std::path::Path;

pub trait StateStore {
    /// Everything recorded.
    fn load(&self) -> anyhow::Result<Recorded>;
    /// Applies `ops` atomically, bumps the serial and flushes to disk before
    /// returning; returns the new serial.
    fn record(&self, ops: &[StateOp]) -> anyhow::Result<u64>;
    fn fingerprinter(&self) -> Fingerprinter;
    fn append_history(&self, entry: &HistoryEntry) -> anyhow::Result<()>;
    fn history(&self) -> anyhow::Result<Vec<HistoryEntry>>;
}

/// The sled database under the state directory.
pub struct SledStore {
    _private: (),
}

impl SledStore {
    /// Opens the store in `state_dir`, creating it (with a new lineage and a
    /// random fingerprint key) if absent. Callers hold the `StateLock`.
    pub fn open(_state_dir: &Path) -> anyhow::Result<SledStore> {
        todo!()
    }

    /// Opens an existing store read-only-in-spirit for commands that only
    /// read (`state list`, `show`); `None` when the directory holds no store.
    pub fn open_existing(_state_dir: &Path) -> anyhow::Result<Option<SledStore>> {
        todo!()
    }
}

impl StateStore for SledStore {
    fn load(&self) -> anyhow::Result<Recorded> {
        todo!()
    }
    fn record(&self, _ops: &[StateOp]) -> anyhow::Result<u64> {
        todo!()
    }
    fn fingerprinter(&self) -> Fingerprinter {
        todo!()
    }
    fn append_history(&self, _entry: &HistoryEntry) -> anyhow::Result<()> {
        todo!()
    }
    fn history(&self) -> anyhow::Result<Vec<HistoryEntry>> {
        todo!()
    }
}
