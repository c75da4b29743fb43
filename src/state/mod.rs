//! State: what socialform recorded about the resources it manages, behind
//! one seam.
//!
//! A `StateBackend` says where state lives; opening it takes the state's
//! lock (waiting up to a timeout, telling a `LockObserver` who holds it) and
//! yields a `StateStore`, which holds that lock until dropped. Everything
//! else in the program sees only these two traits: nothing outside this
//! module knows which backend it is or how it lays out its data.
//!
//! Invariants every backend keeps:
//! - keyed token fingerprints only, never a token;
//! - one atomic, durable write per `record`, bumping the serial by one;
//! - the lineage is given when the state is created and never changes;
//! - a process that dies releases its lock.

mod document;
mod fingerprint;
mod local;
mod lock_info;
mod operator;
mod postgres;
mod records;

pub(crate) use document::StateDocument;
pub use fingerprint::Fingerprinter;
pub use local::LocalBackend;
pub use lock_info::{LockHeld, LockInfo};
pub use operator::operator;
pub use postgres::{PostgresBackend, PostgresSettings, TlsParams};
pub use records::{ApplicationRecord, HistoryEntry, LinkRecord, PageRecord, Recorded, StateOp};

use std::sync::Arc;
use std::time::Duration;

/// Where state lives.
pub trait StateBackend: Send + Sync {
    /// Where, for messages: e.g. `the state directory state`.
    fn describe(&self) -> String;

    /// Whether a state has ever been created here. Creates nothing.
    fn exists(&self) -> anyhow::Result<bool>;

    /// Takes the lock, then opens the state, creating an empty one (new
    /// lineage, serial 0, new fingerprint key) when there is none.
    fn open(&self, lock: &LockRequest) -> anyhow::Result<Box<dyn StateStore>>;

    /// Takes the lock and opens the state; `None`, with nothing created,
    /// when there is none. For commands that only read or edit state.
    fn open_existing(&self, lock: &LockRequest) -> anyhow::Result<Option<Box<dyn StateStore>>>;

    /// Takes in a whole state moved from another backend (`state migrate`),
    /// keeping its lineage, serial, fingerprint key and history. Refused
    /// when this backend already holds a state that manages anything.
    fn adopt(&self, lock: &LockRequest, transfer: &Transfer) -> anyhow::Result<()>;
}

/// A whole state, for moving it to another backend unchanged: fingerprints
/// stay meaningful only together with the key they were made with.
pub struct Transfer {
    pub recorded: Recorded,
    pub fingerprint_key: zeroize::Zeroizing<Vec<u8>>,
    pub(crate) history: Vec<HistoryEntry>,
}

/// An opened state. Holds its lock until dropped.
pub trait StateStore: Send + Sync {
    /// Who holds the lock: this process, running the command it was opened for.
    fn holder(&self) -> &LockInfo;

    /// Everything recorded, as one consistent snapshot.
    fn load(&self) -> anyhow::Result<Recorded>;

    /// Applies `ops` atomically, bumps the serial and makes both durable
    /// before returning; returns the new serial. Safe to call from several
    /// threads at once: writes are serialized.
    fn record(&self, ops: &[StateOp]) -> anyhow::Result<u64>;

    fn fingerprinter(&self) -> Fingerprinter;

    /// Whether a write is failing right now and being retried (the database
    /// went away), or has failed for good. While it is, an apply starts no
    /// new call: what already happened must be recorded first. Once a write
    /// has failed for good it stays true for the life of the store.
    fn degraded(&self) -> bool {
        false
    }

    /// Whether writes go over the network (and can fail with it). An apply
    /// then keeps a call's parallelism slot until the call's write settles,
    /// so that the next call in that slot never starts after a write that
    /// failed. A local store's writes are a disk flush: the slot is freed
    /// as soon as the call is answered.
    fn writes_can_fail_midway(&self) -> bool {
        false
    }

    fn append_history(&self, entry: &HistoryEntry) -> anyhow::Result<()>;

    /// Every history entry, oldest first.
    fn history(&self) -> anyhow::Result<Vec<HistoryEntry>>;

    /// Everything, fingerprint key included, for `StateBackend::adopt`.
    fn transfer(&self) -> anyhow::Result<Transfer>;

    /// The whole state as a `state pull` document (no token, no fingerprint).
    fn export(&self) -> anyhow::Result<StateDocument> {
        Ok(StateDocument::from_recorded(&self.load()?))
    }

    /// Writes a `state pull` document into this state as one `record`
    /// (see `StateDocument::import_ops` for the checks); returns the new
    /// serial.
    fn import(&self, document: &StateDocument, force: bool) -> anyhow::Result<u64> {
        let ops = document.import_ops(&self.load()?, force)?;
        self.record(&ops)
    }
}

/// Told while `open` waits for a lock someone else holds.
pub(crate) trait LockObserver: Send + Sync {
    /// Called once, when the first attempt finds the lock held and the
    /// timeout leaves time to wait.
    fn waiting_for_lock(&self, _held: &LockHeld) {}
}

/// A `LockObserver` that ignores everything.
pub(crate) struct IgnoreLockWaits;

impl LockObserver for IgnoreLockWaits {}

/// What taking the lock needs: the command (recorded as the holder), how
/// long to wait, and whom to tell while waiting.
#[derive(Clone)]
pub struct LockRequest {
    pub(crate) command: String,
    pub(crate) timeout: Duration,
    pub(crate) observer: Arc<dyn LockObserver>,
}

impl LockRequest {
    /// Fail at once when the lock is held; tell no one.
    pub fn immediate(command: &str) -> LockRequest {
        LockRequest::waiting(command, Duration::ZERO, Arc::new(IgnoreLockWaits))
    }

    pub(crate) fn waiting(
        command: &str,
        timeout: Duration,
        observer: Arc<dyn LockObserver>,
    ) -> LockRequest {
        LockRequest {
            command: command.to_string(),
            timeout,
            observer,
        }
    }

    /// Every backend's waiting policy: tries `try_lock` every `poll` until
    /// it succeeds or the timeout has passed, telling the observer once when
    /// it has to wait. `held` says who holds the lock (and where), for that
    /// and for the error when the time is up.
    pub(crate) fn wait_for(
        &self,
        poll: Duration,
        mut try_lock: impl FnMut() -> anyhow::Result<bool>,
        held: impl Fn() -> LockHeld,
    ) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let mut told = false;
        loop {
            if try_lock()? {
                return Ok(());
            }
            let waited = started.elapsed();
            if waited >= self.timeout {
                return Err(held().into());
            }
            if !told {
                told = true;
                self.observer.waiting_for_lock(&held());
            }
            std::thread::sleep(poll.min(self.timeout - waited));
        }
    }
}

/// Now, as RFC 3339 in UTC to the second, the form every timestamp in state
/// and in lock information takes.
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
