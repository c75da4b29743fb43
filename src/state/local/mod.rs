//! The local backend: a sled database in a state directory, locked with a
//! file lock.
//!
//! Layout of a state directory:
//! - `db/`: the sled database (see `sled_store.rs` for its keys);
//! - `lock`: the process lock (see `lock.rs`);
//! - anything else (the embedded sandbox keeps `sandbox/` here) belongs to
//!   others and is never touched.

mod lock;
mod sled_store;

use super::{
    Fingerprinter, HistoryEntry, LockInfo, LockRequest, Recorded, StateBackend, StateOp,
    StateStore, Transfer,
};
use lock::StateLock;
use sled_store::SledStore;
use std::path::PathBuf;

/// State in a directory on this machine.
#[derive(Clone, Debug)]
pub struct LocalBackend {
    dir: PathBuf,
}

impl LocalBackend {
    pub fn new(dir: impl Into<PathBuf>) -> LocalBackend {
        LocalBackend { dir: dir.into() }
    }

    fn db_dir(&self) -> PathBuf {
        self.dir.join("db")
    }

    /// A `--state` that names a file (`--state main.hcl`) is a mistake to
    /// say plainly, not an OS error to pass on, nor "no state".
    fn check_not_a_file(&self) -> anyhow::Result<()> {
        if self.dir.exists() && !self.dir.is_dir() {
            anyhow::bail!(
                "the state directory {} is a file, not a directory; pass --state DIR with a \
                 directory (it is created if missing), or leave --state out to use `state/` in \
                 the configuration directory",
                self.dir.display()
            );
        }
        Ok(())
    }

    fn lock(&self, request: &LockRequest) -> anyhow::Result<StateLock> {
        self.check_not_a_file()?;
        // sled creates files of its own while it runs (segments, snapshots);
        // they must be private like the ones `private_fs` creates.
        crate::private_fs::private_by_default();
        StateLock::acquire(&self.dir, request)
    }
}

impl StateBackend for LocalBackend {
    fn describe(&self) -> String {
        format!("the state directory {}", self.dir.display())
    }

    fn exists(&self) -> anyhow::Result<bool> {
        self.check_not_a_file()?;
        Ok(self.db_dir().is_dir())
    }

    fn open(&self, request: &LockRequest) -> anyhow::Result<Box<dyn StateStore>> {
        let lock = self.lock(request)?;
        let store = SledStore::open(&self.dir)?;
        Ok(Box::new(LocalStore { store, lock }))
    }

    fn open_existing(&self, request: &LockRequest) -> anyhow::Result<Option<Box<dyn StateStore>>> {
        if !self.exists()? {
            return Ok(None);
        }
        let lock = self.lock(request)?;
        Ok(SledStore::open_existing(&self.dir)?
            .map(|store| Box::new(LocalStore { store, lock }) as Box<dyn StateStore>))
    }

    fn adopt(&self, _lock: &LockRequest, _transfer: &Transfer) -> anyhow::Result<()> {
        anyhow::bail!(
            "state migrate moves the local store into the backend a `backend` block configures; \
             {} is the local store itself",
            self.describe()
        )
    }
}

/// An opened local state. Field order matters: the database closes before
/// the lock is released.
struct LocalStore {
    store: SledStore,
    lock: StateLock,
}

impl StateStore for LocalStore {
    fn holder(&self) -> &LockInfo {
        self.lock.holder()
    }

    fn load(&self) -> anyhow::Result<Recorded> {
        self.store.load()
    }

    fn record(&self, ops: &[StateOp]) -> anyhow::Result<u64> {
        self.store.record(ops)
    }

    fn fingerprinter(&self) -> Fingerprinter {
        self.store.fingerprinter()
    }

    fn append_history(&self, entry: &HistoryEntry) -> anyhow::Result<()> {
        self.store.append_history(entry)
    }

    fn history(&self) -> anyhow::Result<Vec<HistoryEntry>> {
        self.store.history()
    }

    fn transfer(&self) -> anyhow::Result<Transfer> {
        Ok(Transfer {
            recorded: self.store.load()?,
            fingerprint_key: zeroize::Zeroizing::new(self.store.fingerprint_key().to_vec()),
            history: self.store.history()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::state::{LockHeld, PageRecord, StateDocument};

    fn page(name: &str, id: &str) -> StateOp {
        StateOp::PutPage(PageRecord {
            address: Address::page(name),
            page_id: id.into(),
            name: None,
            token_fingerprint: None,
        })
    }

    #[test]
    fn open_existing_creates_nothing_and_open_creates_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join("state"));
        assert!(!backend.exists().unwrap());
        let request = LockRequest::immediate("show");
        assert!(backend.open_existing(&request).unwrap().is_none());
        assert!(!dir.path().join("state").exists());
        let store = backend.open(&LockRequest::immediate("apply")).unwrap();
        assert_eq!(store.holder().command, "apply");
        assert_eq!(store.load().unwrap().serial, 0);
        drop(store);
        assert!(backend.exists().unwrap());
        assert!(backend.open_existing(&request).unwrap().is_some());
    }

    #[test]
    fn an_open_store_holds_the_lock_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path());
        let store = backend.open(&LockRequest::immediate("apply")).unwrap();
        let Err(error) = backend.open(&LockRequest::immediate("plan")) else {
            panic!("a second open must fail while the first holds the lock");
        };
        let held = error.downcast::<LockHeld>().expect("LockHeld");
        assert_eq!(held.holder.as_ref(), Some(store.holder()));
        drop(store);
        assert!(backend.open(&LockRequest::immediate("plan")).is_ok());
    }

    #[test]
    fn export_and_import_round_trip_between_stores() {
        let dir = tempfile::tempdir().unwrap();
        let first = LocalBackend::new(dir.path().join("a"))
            .open(&LockRequest::immediate("apply"))
            .unwrap();
        first
            .record(&[page("support", "1"), page("sales", "2")])
            .unwrap();
        let document = first.export().unwrap();

        let second = LocalBackend::new(dir.path().join("b"))
            .open(&LockRequest::immediate("state push"))
            .unwrap();
        second.import(&document, false).unwrap();
        let copied = StateDocument::from_recorded(&second.load().unwrap());
        assert_eq!(copied.pages, document.pages);
        // Now it holds a state of its own lineage: another document is refused.
        assert!(second.import(&document, false).is_err());
        assert!(second.import(&document, true).is_ok());
    }
}
