//! The state store: what socialform recorded about the resources it manages.
//! Implementation: a sled database in the state directory. Keyed token
//! fingerprints only, never tokens.

mod fingerprint;
mod lock;
mod records;
mod store;

pub use fingerprint::Fingerprinter;
pub use lock::{LockInfo, StateLock};
pub use records::{HistoryEntry, LinkRecord, PageRecord, Recorded, StateOp};
pub use store::{SledStore, StateStore};
