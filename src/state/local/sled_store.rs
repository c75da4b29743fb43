//! The sled database of the local backend.
//!
//! Everything lives in sled's default tree, under prefixed keys:
//!
//! | key                      | value                                  |
//! |--------------------------|----------------------------------------|
//! | `meta/format`            | format version, text (`1`)             |
//! | `meta/lineage`           | uuid v4, text; never changes           |
//! | `meta/serial`            | u64, big-endian                        |
//! | `meta/fingerprint_key`   | 32 random bytes                        |
//! | `page/<address>`         | JSON `PageRecord`                      |
//! | `link/<address>`         | JSON `LinkRecord`                      |
//! | `history/<u64 BE>`       | JSON `HistoryEntry`, in append order   |
//!
//! One tree rather than one per kind, because then the ops of one call and
//! the serial bump go into one `sled::Batch`, which sled applies atomically
//! (also across a crash), without sled's optimistic multi-tree transactions
//! and their retry closures. Writers are serialized by a mutex, so the
//! read-modify-write of the serial needs nothing more.
//!
//! Beside sled's files, `db/socialform-marker` repeats the lineage and the
//! last serial, so that a damaged sled log is refused rather than opened as
//! an older or empty state (see `Marker`).

use crate::address::{Address, ResourceKind};
use crate::private_fs::{create_private_dir, open_private_file, restrict_tree};
use crate::state::{
    ApplicationRecord, Fingerprinter, HistoryEntry, LinkRecord, PageRecord, Recorded, StateOp,
};
use anyhow::Context;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The format this build reads and writes. Bump it, with a migration, when
/// the meaning of a key or record changes.
const FORMAT_VERSION: &str = "1";
const FINGERPRINT_KEY_LEN: usize = 32;

const META_FORMAT: &[u8] = b"meta/format";
const META_LINEAGE: &[u8] = b"meta/lineage";
const META_SERIAL: &[u8] = b"meta/serial";
const META_FINGERPRINT_KEY: &[u8] = b"meta/fingerprint_key";
const PAGE_PREFIX: &[u8] = b"page/";
const LINK_PREFIX: &[u8] = b"link/";
const APPLICATION_PREFIX: &[u8] = b"application/";
const HISTORY_PREFIX: &[u8] = b"history/";

/// The error for a store whose content makes no sense to this build: what is
/// wrong, and how to get going again. Callers can downcast to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreUnreadable {
    /// The database directory.
    pub(crate) path: PathBuf,
    /// What is wrong with it.
    pub(crate) reason: String,
}

impl std::fmt::Display for StoreUnreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the state store at {} cannot be read ({}). Restore it from a backup, \
             or move it aside and run `socialform plan`: pages are adopted by their \
             page ID, so nothing will be connected twice.",
            self.path.display(),
            self.reason
        )
    }
}

impl std::error::Error for StoreUnreadable {}

/// The sled database under the state directory.
pub(crate) struct SledStore {
    db: sled::Db,
    path: PathBuf,
    lineage: String,
    fingerprinter: Fingerprinter,
    /// Kept only to hand the state whole to another backend (`transfer`).
    fingerprint_key: zeroize::Zeroizing<Vec<u8>>,
    marker: Marker,
    /// Held by every write (and by `load`, for a consistent snapshot): apply
    /// records from several tasks at once, and each write reads the serial
    /// or the last history key before it writes.
    writes: Mutex<()>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("path", &self.path)
            .field("lineage", &self.lineage)
            .finish_non_exhaustive()
    }
}

/// What an opened database turned out to be.
enum Checked {
    Store(Box<SledStore>),
    /// An empty database and no marker: nothing was ever recorded. Also what
    /// a first run leaves when it stopped before it finished creating the
    /// store, so `open` simply creates it.
    NoStore(sled::Db, PathBuf),
}

/// What `meta/*` holds, once checked.
struct Meta {
    lineage: String,
    fingerprint_key: Vec<u8>,
}

impl SledStore {
    /// Opens the store in `state_dir`, creating it (with a new lineage and a
    /// random fingerprint key) if absent. Callers hold the `StateLock`.
    pub(crate) fn open(state_dir: &Path) -> anyhow::Result<SledStore> {
        let path = state_dir.join("db");
        create_private_dir(state_dir)
            .and_then(|()| create_private_dir(&path))
            .with_context(|| format!("cannot create the state directory {}", path.display()))?;
        let db = open_db(&path)?;
        match SledStore::check(db, path)? {
            Checked::Store(store) => Ok(*store),
            Checked::NoStore(db, path) => {
                let meta = initialize(&db, &path)?;
                let marker = Marker::create(&path, &meta.lineage, 0)?;
                Ok(SledStore::new(db, path, meta, marker))
            }
        }
    }

    /// Opens an existing store read-only-in-spirit for commands that only
    /// read (`state list`, `show`); `None` when the directory holds no store.
    pub(crate) fn open_existing(state_dir: &Path) -> anyhow::Result<Option<SledStore>> {
        let path = state_dir.join("db");
        if !path.is_dir() {
            return Ok(None);
        }
        let db = open_db(&path)?;
        Ok(match SledStore::check(db, path)? {
            Checked::Store(store) => Some(*store),
            Checked::NoStore(..) => None,
        })
    }

    /// Checks an opened database against its metadata and the marker.
    fn check(db: sled::Db, path: PathBuf) -> anyhow::Result<Checked> {
        let meta = read_meta(&db, &path)?;
        let marker = Marker::read(&path)?;
        let (meta, marker) = match (meta, marker) {
            (None, None) => return Ok(Checked::NoStore(db, path)),
            (None, Some((lineage, _))) => {
                return Err(unreadable(
                    &path,
                    format!(
                        "its database file is damaged: it no longer holds the store \
                         with lineage {lineage}"
                    ),
                ));
            }
            // Stopped between writing the metadata and the marker.
            (Some(meta), None) => {
                let serial = read_serial(&db, &path)?;
                let marker = Marker::create(&path, &meta.lineage, serial)?;
                (meta, marker)
            }
            (Some(meta), Some((lineage, marked_serial))) => {
                if lineage != meta.lineage {
                    return Err(unreadable(
                        &path,
                        format!(
                            "its database holds lineage {}, but its marker says {lineage}",
                            meta.lineage
                        ),
                    ));
                }
                let serial = read_serial(&db, &path)?;
                if serial < marked_serial {
                    return Err(unreadable(
                        &path,
                        format!(
                            "its database file is damaged: it is at serial {serial}, \
                             but serial {marked_serial} was recorded"
                        ),
                    ));
                }
                (meta, Marker::open(&path)?)
            }
        };
        Ok(Checked::Store(Box::new(SledStore::new(
            db, path, meta, marker,
        ))))
    }

    fn new(db: sled::Db, path: PathBuf, meta: Meta, marker: Marker) -> SledStore {
        SledStore {
            db,
            path,
            lineage: meta.lineage,
            fingerprinter: Fingerprinter::new(meta.fingerprint_key.clone()),
            fingerprint_key: zeroize::Zeroizing::new(meta.fingerprint_key),
            marker,
            writes: Mutex::new(()),
        }
    }

    fn lock_writes(&self) -> MutexGuard<'_, ()> {
        // The guarded data is `()`: a panic elsewhere leaves nothing half-done
        // in memory, and sled batches are all-or-nothing on disk.
        self.writes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn unreadable(&self, reason: impl Into<String>) -> anyhow::Error {
        unreadable(&self.path, reason)
    }

    fn write_failed(&self) -> String {
        format!("cannot write the state store at {}", self.path.display())
    }

    fn read_serial(&self) -> anyhow::Result<u64> {
        read_serial(&self.db, &self.path)
    }

    /// Every record under `prefix`, decoded.
    fn scan<T: serde::de::DeserializeOwned>(&self, prefix: &[u8]) -> anyhow::Result<Vec<T>> {
        let mut records = Vec::new();
        for item in self.db.scan_prefix(prefix) {
            let (key, value) = item.map_err(|e| self.unreadable(e.to_string()))?;
            let record = serde_json::from_slice(&value).map_err(|error| {
                self.unreadable(format!(
                    "the record {} is not valid: {error}",
                    String::from_utf8_lossy(&key)
                ))
            })?;
            records.push(record);
        }
        Ok(records)
    }
}

impl SledStore {
    pub(crate) fn load(&self) -> anyhow::Result<Recorded> {
        let _writes = self.lock_writes();
        let serial = self.read_serial()?;
        let pages: BTreeMap<Address, PageRecord> = self
            .scan::<PageRecord>(PAGE_PREFIX)?
            .into_iter()
            .map(|record| (record.address.clone(), record))
            .collect();
        let links: BTreeMap<Address, LinkRecord> = self
            .scan::<LinkRecord>(LINK_PREFIX)?
            .into_iter()
            .map(|record| (record.address.clone(), record))
            .collect();
        let applications: BTreeMap<Address, ApplicationRecord> = self
            .scan::<ApplicationRecord>(APPLICATION_PREFIX)?
            .into_iter()
            .map(|record| (record.address.clone(), record))
            .collect();
        Ok(Recorded {
            lineage: self.lineage.clone(),
            serial,
            pages,
            links,
            applications,
        })
    }

    pub(crate) fn record(&self, ops: &[StateOp]) -> anyhow::Result<u64> {
        let mut batch = sled::Batch::default();
        for op in ops {
            match op {
                StateOp::PutPage(page) => {
                    check_kind(&page.address, ResourceKind::Page)?;
                    batch.insert(
                        record_key(PAGE_PREFIX, &page.address),
                        serde_json::to_vec(page)?,
                    );
                }
                StateOp::RemovePage(address) => {
                    check_kind(address, ResourceKind::Page)?;
                    batch.remove(record_key(PAGE_PREFIX, address));
                }
                StateOp::PutLink(link) => {
                    check_kind(&link.address, ResourceKind::Link)?;
                    batch.insert(
                        record_key(LINK_PREFIX, &link.address),
                        serde_json::to_vec(link)?,
                    );
                }
                StateOp::RemoveLink(address) => {
                    check_kind(address, ResourceKind::Link)?;
                    batch.remove(record_key(LINK_PREFIX, address));
                }
                StateOp::PutApplication(app) => {
                    check_kind(&app.address, ResourceKind::Application)?;
                    batch.insert(
                        record_key(APPLICATION_PREFIX, &app.address),
                        serde_json::to_vec(app)?,
                    );
                }
                StateOp::RemoveApplication(address) => {
                    check_kind(address, ResourceKind::Application)?;
                    batch.remove(record_key(APPLICATION_PREFIX, address));
                }
            }
        }

        let _writes = self.lock_writes();
        let serial = self.read_serial()? + 1;
        batch.insert(META_SERIAL, &serial.to_be_bytes());
        self.db
            .apply_batch(batch)
            .with_context(|| self.write_failed())?;
        // The caller has just made an API call; state must say so even if
        // this process dies right after returning.
        self.db.flush().with_context(|| self.write_failed())?;
        // Only after sled's flush, so the marker is never ahead of what
        // sled has made durable unless sled later loses it.
        self.marker
            .write(&self.lineage, serial)
            .with_context(|| self.write_failed())?;
        Ok(serial)
    }

    pub(crate) fn fingerprint_key(&self) -> &[u8] {
        &self.fingerprint_key
    }

    pub(crate) fn fingerprinter(&self) -> Fingerprinter {
        self.fingerprinter.clone()
    }

    pub(crate) fn append_history(&self, entry: &HistoryEntry) -> anyhow::Result<()> {
        let value = serde_json::to_vec(entry)?;
        let _writes = self.lock_writes();
        let last = self
            .db
            .scan_prefix(HISTORY_PREFIX)
            .next_back()
            .transpose()
            .map_err(|e| self.unreadable(e.to_string()))?;
        let next = match last {
            None => 1,
            Some((key, _)) => history_number(&key)
                .ok_or_else(|| self.unreadable("a history key is malformed"))?
                .checked_add(1)
                .ok_or_else(|| self.unreadable("the history is full"))?,
        };
        let mut key = HISTORY_PREFIX.to_vec();
        key.extend_from_slice(&next.to_be_bytes());
        self.db
            .insert(key, value)
            .with_context(|| self.write_failed())?;
        self.db.flush().with_context(|| self.write_failed())?;
        Ok(())
    }

    pub(crate) fn history(&self) -> anyhow::Result<Vec<HistoryEntry>> {
        // Big-endian numbers sort like the numbers, so the scan is in order.
        self.scan(HISTORY_PREFIX)
    }
}

fn unreadable(path: &Path, reason: impl Into<String>) -> anyhow::Error {
    StoreUnreadable {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
    .into()
}

fn open_db(path: &Path) -> anyhow::Result<sled::Db> {
    // sled holds an exclusive lock on its data file until every one of its
    // background threads has let go of the database, which can be a moment
    // after the last handle is dropped: reopening right after closing (as a
    // command that reads, then writes may do) must not fail on that. A
    // process that really keeps it open still fails, after this grace time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match try_open_db(path) {
            Err(OpenError::Busy) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(OpenError::Busy) => anyhow::bail!(
                "the state store at {} is in use by another socialform process; \
                 wait for it to finish and try again",
                path.display()
            ),
            Err(OpenError::Failed(error)) => return Err(error),
            Ok(db) => {
                // sled creates its files with the process umask; make them private.
                restrict_tree(path)
                    .with_context(|| format!("cannot set the permissions of {}", path.display()))?;
                return Ok(db);
            }
        }
    }
}

enum OpenError {
    /// Another handle, in this process or another, holds sled's file lock.
    Busy,
    Failed(anyhow::Error),
}

fn try_open_db(path: &Path) -> Result<sled::Db, OpenError> {
    // sled 0.34 can panic instead of failing on some damaged files. A damaged
    // store must give the recovery message, never a crash, so contain it.
    let opened = std::panic::catch_unwind(|| sled::Config::new().path(path).open());
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(sled::Error::Io(error))) if error.to_string().contains("could not acquire lock") => {
            Err(OpenError::Busy)
        }
        Ok(Err(error)) => Err(OpenError::Failed(unreadable(path, error.to_string()))),
        Err(panic) => {
            let detail = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("the database engine failed on its files");
            Err(OpenError::Failed(unreadable(path, detail)))
        }
    }
}

/// The checked metadata, or `None` for a database with nothing in it.
fn read_meta(db: &sled::Db, path: &Path) -> anyhow::Result<Option<Meta>> {
    let get = |key: &[u8]| db.get(key).map_err(|e| unreadable(path, e.to_string()));
    let Some(format) = get(META_FORMAT)? else {
        if db.is_empty() {
            return Ok(None);
        }
        return Err(unreadable(path, "it holds records but no format version"));
    };
    if format.as_ref() != FORMAT_VERSION.as_bytes() {
        return Err(unreadable(
            path,
            format!(
                "it has format version {:?}, and this socialform reads version {FORMAT_VERSION}; \
                 it was probably written by another version of socialform",
                String::from_utf8_lossy(&format)
            ),
        ));
    }
    let lineage = get(META_LINEAGE)?
        .and_then(|value| String::from_utf8(value.to_vec()).ok())
        .filter(|lineage| uuid::Uuid::parse_str(lineage).is_ok())
        .ok_or_else(|| unreadable(path, "its lineage is missing or malformed"))?;
    let fingerprint_key = get(META_FINGERPRINT_KEY)?
        .filter(|key| key.len() == FINGERPRINT_KEY_LEN)
        .ok_or_else(|| unreadable(path, "its fingerprint key is missing or malformed"))?
        .to_vec();
    decode_serial(get(META_SERIAL)?.as_deref()).map_err(|reason| unreadable(path, reason))?;
    Ok(Some(Meta {
        lineage,
        fingerprint_key,
    }))
}

/// Writes the metadata of a new store, all at once.
fn initialize(db: &sled::Db, path: &Path) -> anyhow::Result<Meta> {
    use rand::Rng;

    let lineage = uuid::Uuid::new_v4().to_string();
    let mut fingerprint_key = vec![0u8; FINGERPRINT_KEY_LEN];
    // The thread RNG is a CSPRNG seeded from the OS.
    rand::rng().fill_bytes(&mut fingerprint_key);

    let mut batch = sled::Batch::default();
    batch.insert(META_FORMAT, FORMAT_VERSION.as_bytes());
    batch.insert(META_LINEAGE, lineage.as_bytes());
    batch.insert(META_SERIAL, &0u64.to_be_bytes());
    batch.insert(META_FINGERPRINT_KEY, fingerprint_key.as_slice());
    let failed = || format!("cannot create the state store at {}", path.display());
    db.apply_batch(batch).with_context(failed)?;
    db.flush().with_context(failed)?;
    Ok(Meta {
        lineage,
        fingerprint_key,
    })
}

fn read_serial(db: &sled::Db, path: &Path) -> anyhow::Result<u64> {
    let value = db
        .get(META_SERIAL)
        .map_err(|e| unreadable(path, e.to_string()))?;
    decode_serial(value.as_deref()).map_err(|reason| unreadable(path, reason))
}

/// `<db>/socialform-marker`: the lineage and the last serial recorded, kept
/// outside sled.
///
/// sled recovers from a damaged log by keeping the longest valid prefix, so
/// damage looks to it like a crash before the lost writes: it opens a
/// shortened or empty database without complaint. The marker lets `open`
/// notice that instead of silently forgetting pages (or starting a new
/// store). It is rewritten after every record without an fsync of its own:
/// the write survives the process being killed, and after a power loss the
/// marker can only lag sled (which was flushed first), never lead it.
struct Marker {
    file: File,
}

const MARKER_FILE: &str = "socialform-marker";

impl Marker {
    /// Creates (or overwrites) the marker and makes it durable.
    fn create(db_path: &Path, lineage: &str, serial: u64) -> anyhow::Result<Marker> {
        let marker = Marker::open(db_path)?;
        let failed = || format!("cannot write {}", db_path.join(MARKER_FILE).display());
        marker.write(lineage, serial).with_context(failed)?;
        marker.file.sync_all().with_context(failed)?;
        Ok(marker)
    }

    fn open(db_path: &Path) -> anyhow::Result<Marker> {
        let path = db_path.join(MARKER_FILE);
        let file =
            open_private_file(&path).with_context(|| format!("cannot open {}", path.display()))?;
        Ok(Marker { file })
    }

    /// One fixed-width line written in place by a single write, so a reader
    /// never sees half of an old and half of a new line.
    fn write(&self, lineage: &str, serial: u64) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.file
            .write_all_at(format!("{lineage} {serial:020}\n").as_bytes(), 0)
    }

    /// `(lineage, serial)`, or `None` when there is no marker.
    fn read(db_path: &Path) -> anyhow::Result<Option<(String, u64)>> {
        let path = db_path.join(MARKER_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(unreadable(db_path, format!("{}: {error}", path.display())));
            }
        };
        let parsed = text
            .trim_end()
            .split_once(' ')
            .and_then(|(lineage, serial)| Some((lineage.to_string(), serial.parse::<u64>().ok()?)));
        parsed
            .map(Some)
            .ok_or_else(|| unreadable(db_path, format!("{} is damaged", path.display())))
    }
}

fn decode_serial(value: Option<&[u8]>) -> Result<u64, &'static str> {
    let bytes = value.ok_or("its serial is missing")?;
    let bytes: [u8; 8] = bytes.try_into().map_err(|_| "its serial is malformed")?;
    Ok(u64::from_be_bytes(bytes))
}

fn history_number(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.strip_prefix(HISTORY_PREFIX)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

fn record_key(prefix: &[u8], address: &Address) -> Vec<u8> {
    let mut key = prefix.to_vec();
    key.extend_from_slice(address.to_string().as_bytes());
    key
}

/// A page op on a link address (or the reverse) is a bug in the caller;
/// writing it would file the record under the wrong kind.
fn check_kind(address: &Address, kind: ResourceKind) -> anyhow::Result<()> {
    anyhow::ensure!(
        address.kind == kind,
        "internal error: cannot record {address} as a {}",
        kind.as_str()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use std::os::unix::fs::PermissionsExt;

    fn page(name: &str, page_id: &str) -> PageRecord {
        PageRecord {
            address: Address::page(name),
            page_id: page_id.to_string(),
            name: Some(format!("Acme {name}")),
            token_fingerprint: None,
        }
    }

    fn link(name: &str, page_id: &str) -> LinkRecord {
        LinkRecord {
            address: Address::link(name),
            page_id: page_id.to_string(),
            application: "c0ffee00-0000-4000-8000-000000000001".to_string(),
            channel: Default::default(),
        }
    }

    fn entry(command: &str) -> HistoryEntry {
        HistoryEntry {
            started_at: "2026-01-01T00:00:00Z".to_string(),
            finished_at: "2026-01-01T00:00:01Z".to_string(),
            who: "alice@host".to_string(),
            command: command.to_string(),
            changes: vec![format!("page.support: {command}")],
            outcome: "complete".to_string(),
        }
    }

    /// Every regular file under `dir`, recursively.
    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(files_under(&path));
            } else {
                files.push(path);
            }
        }
        files
    }

    fn unreadable_error(result: anyhow::Result<impl std::fmt::Debug>) -> StoreUnreadable {
        let error = result.expect_err("the store should not be readable");
        error
            .downcast::<StoreUnreadable>()
            .expect("the error should be StoreUnreadable")
    }

    #[test]
    fn a_new_store_has_a_lineage_and_serial_zero() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let recorded = store.load().unwrap();
        assert!(uuid::Uuid::parse_str(&recorded.lineage).is_ok());
        assert_eq!(recorded.serial, 0);
        assert!(recorded.pages.is_empty() && recorded.links.is_empty());
        assert_eq!(store.path, dir.path().join("db"));
    }

    #[test]
    fn reopening_keeps_lineage_and_each_record_bumps_the_serial_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let lineage = store.load().unwrap().lineage;
        assert_eq!(
            store.record(&[StateOp::PutPage(page("a", "1"))]).unwrap(),
            1
        );
        assert_eq!(
            store
                .record(&[
                    StateOp::PutPage(page("b", "2")),
                    StateOp::PutLink(link("b", "2"))
                ])
                .unwrap(),
            2
        );
        assert_eq!(store.record(&[]).unwrap(), 3);
        drop(store);

        let store = SledStore::open(dir.path()).unwrap();
        let recorded = store.load().unwrap();
        assert_eq!(recorded.lineage, lineage);
        assert_eq!(recorded.serial, 3);
        assert_eq!(recorded.pages.len(), 2);
        assert_eq!(store.record(&[]).unwrap(), 4);
    }

    #[test]
    fn different_stores_have_different_lineages() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let lineage = |dir: &Path| SledStore::open(dir).unwrap().load().unwrap().lineage;
        assert_ne!(lineage(a.path()), lineage(b.path()));
    }

    #[test]
    fn open_existing_finds_only_a_store_that_exists() {
        let dir = tempfile::tempdir().unwrap();
        assert!(SledStore::open_existing(dir.path()).unwrap().is_none());
        assert!(!dir.path().join("db").exists(), "it must not create one");

        let lineage = SledStore::open(dir.path()).unwrap().load().unwrap().lineage;
        let store = SledStore::open_existing(dir.path())
            .unwrap()
            .expect("a store");
        assert_eq!(store.load().unwrap().lineage, lineage);
    }

    #[test]
    fn a_store_open_elsewhere_is_reported_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let _held = SledStore::open(dir.path()).unwrap();
        let error = SledStore::open(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("is in use by another socialform process"),
            "{error}"
        );
    }

    #[test]
    fn reopening_at_once_after_closing_works() {
        let dir = tempfile::tempdir().unwrap();
        for round in 1..=20 {
            let store = SledStore::open(dir.path()).unwrap();
            assert_eq!(store.record(&[]).unwrap(), round);
        }
    }

    #[test]
    fn puts_and_removes_pages_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let keyed = PageRecord {
            address: Address::page("region").with_key("emea"),
            ..page("region", "3")
        };
        store
            .record(&[
                StateOp::PutPage(page("support", "1")),
                StateOp::PutPage(page("sales", "2")),
                StateOp::PutPage(keyed.clone()),
                StateOp::PutLink(link("support_bot", "1")),
            ])
            .unwrap();
        let mut renamed = page("support", "1");
        renamed.name = Some("Acme Help".to_string());
        store
            .record(&[
                StateOp::PutPage(renamed.clone()),
                StateOp::RemovePage(Address::page("sales")),
            ])
            .unwrap();

        let recorded = store.load().unwrap();
        let expected_pages: BTreeMap<_, _> = [
            (renamed.address.clone(), renamed.clone()),
            (keyed.address.clone(), keyed.clone()),
        ]
        .into();
        assert_eq!(recorded.pages, expected_pages);
        assert_eq!(
            recorded.links.get(&Address::link("support_bot")),
            Some(&link("support_bot", "1"))
        );

        store
            .record(&[StateOp::RemoveLink(Address::link("support_bot"))])
            .unwrap();
        // Removing what is not there is not an error: an interrupted apply
        // may retry a removal it already recorded.
        store
            .record(&[StateOp::RemoveLink(Address::link("support_bot"))])
            .unwrap();
        let recorded = store.load().unwrap();
        assert!(recorded.links.is_empty());
        assert_eq!(recorded.pages.len(), 2);
        assert_eq!(recorded.serial, 4);
    }

    #[test]
    fn a_rejected_record_writes_none_of_its_ops() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        store.record(&[StateOp::PutPage(page("old", "9"))]).unwrap();
        // The last op is invalid (a link address as a page): nothing of the
        // call may be written, not even the ops before it.
        let bad = PageRecord {
            address: Address::link("oops"),
            ..page("oops", "3")
        };
        let result = store.record(&[
            StateOp::PutPage(page("new", "1")),
            StateOp::RemovePage(Address::page("old")),
            StateOp::PutPage(bad),
        ]);
        assert!(result.unwrap_err().to_string().contains("link.oops"));
        let recorded = store.load().unwrap();
        assert_eq!(recorded.serial, 1);
        assert_eq!(
            recorded.pages.keys().cloned().collect::<Vec<_>>(),
            vec![Address::page("old")]
        );
        assert!(
            store
                .record(&[StateOp::RemoveLink(Address::page("x"))])
                .is_err()
        );
    }

    #[test]
    fn concurrent_records_each_get_their_own_serial() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(SledStore::open(dir.path()).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    (0..10)
                        .map(|i| {
                            let name = format!("p{t}_{i}");
                            store
                                .record(&[StateOp::PutPage(page(&name, &name))])
                                .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut serials: Vec<u64> = threads
            .into_iter()
            .flat_map(|thread| thread.join().unwrap())
            .collect();
        serials.sort();
        assert_eq!(serials, (1..=80).collect::<Vec<_>>());
        let recorded = store.load().unwrap();
        assert_eq!((recorded.serial, recorded.pages.len()), (80, 80));
    }

    #[test]
    fn fingerprints_survive_reopening_and_tell_tokens_apart() {
        let dir = tempfile::tempdir().unwrap();
        let token = Secret::new("EAAB-one");
        let first = SledStore::open(dir.path())
            .unwrap()
            .fingerprinter()
            .fingerprint(&token);
        let store = SledStore::open(dir.path()).unwrap();
        let fingerprinter = store.fingerprinter();
        assert_eq!(fingerprinter.fingerprint(&token), first);
        assert_ne!(fingerprinter.fingerprint(&Secret::new("EAAB-two")), first);
        assert_eq!(first.len(), 64);

        // Another store has another key.
        let other = tempfile::tempdir().unwrap();
        let elsewhere = SledStore::open(other.path()).unwrap().fingerprinter();
        assert_ne!(elsewhere.fingerprint(&token), first);
    }

    #[test]
    fn the_token_never_reaches_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let token = Secret::new("EAAB-secret-xyz");
        {
            let store = SledStore::open(dir.path()).unwrap();
            let record = PageRecord {
                token_fingerprint: Some(store.fingerprinter().fingerprint(&token)),
                ..page("support", "107100000000001")
            };
            store.record(&[StateOp::PutPage(record)]).unwrap();
            store.append_history(&entry("apply")).unwrap();
        }
        let lock = super::super::StateLock::acquire(
            dir.path(),
            &crate::state::LockRequest::immediate("apply"),
        )
        .unwrap();

        let contents: Vec<u8> = files_under(dir.path())
            .iter()
            .flat_map(|file| std::fs::read(file).unwrap())
            .collect();
        let contains = |needle: &[u8]| contents.windows(needle.len()).any(|w| w == needle);
        // The search does see what was stored, so not finding the token means
        // it is not there.
        assert!(contains(b"107100000000001"), "the record should be on disk");
        assert!(!contains(token.expose().as_bytes()), "the token is on disk");
        drop(lock);
    }

    #[test]
    fn files_are_private_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        // The common umask, under which sled's own files come out 0644: the
        // store must tighten them itself. (If the umask were already 0077 this
        // test could not fail.) The umask is process-wide, so set it to the
        // usual default rather than anything other tests would notice.
        // SAFETY: umask has no memory-safety preconditions.
        let old = unsafe { libc::umask(0o022) };
        let opened = SledStore::open(&state);
        // SAFETY: as above.
        unsafe { libc::umask(old) };
        let store = opened.unwrap();
        store.record(&[StateOp::PutPage(page("a", "1"))]).unwrap();
        drop(store);

        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state.join("db")), 0o700);
        let files = files_under(&state);
        assert!(files.len() >= 2, "{files:?}");
        for file in files {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

    #[test]
    fn a_corrupt_store_says_how_to_recover() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path()).unwrap();
            store.record(&[StateOp::PutPage(page("a", "1"))]).unwrap();
        }
        let garbage: Vec<u8> = (0..70_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for file in files_under(&dir.path().join("db")) {
            std::fs::write(&file, &garbage).unwrap();
        }

        let error = unreadable_error(SledStore::open(dir.path()));
        assert_eq!(error.path, dir.path().join("db"));
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "the state store at {} cannot be read (",
                dir.path().join("db").display()
            )),
            "{message}"
        );
        assert!(
            message.ends_with(
                "Restore it from a backup, or move it aside and run `socialform plan`: \
                 pages are adopted by their page ID, so nothing will be connected twice."
            ),
            "{message}"
        );
        unreadable_error(SledStore::open_existing(dir.path()));
    }

    /// A store with 50 recorded pages; returns its sled data file and lineage.
    fn store_with_fifty_pages(dir: &Path) -> (PathBuf, String) {
        let store = SledStore::open(dir).unwrap();
        for i in 0..50 {
            let name = format!("p{i}");
            store
                .record(&[StateOp::PutPage(page(&name, &name))])
                .unwrap();
        }
        (dir.join("db").join("db"), store.lineage.clone())
    }

    #[test]
    fn a_wiped_data_file_is_not_taken_for_a_new_store() {
        let dir = tempfile::tempdir().unwrap();
        let (data, lineage) = store_with_fifty_pages(dir.path());
        let length = std::fs::metadata(&data).unwrap().len() as usize;
        // sled reads this as an empty log rather than failing.
        std::fs::write(&data, vec![0xAB; length]).unwrap();

        let error = unreadable_error(SledStore::open(dir.path()));
        assert!(error.reason.contains(&lineage), "{}", error.reason);
        unreadable_error(SledStore::open_existing(dir.path()));
    }

    #[test]
    fn a_truncated_data_file_is_not_taken_for_an_older_state() {
        let dir = tempfile::tempdir().unwrap();
        let (data, _) = store_with_fifty_pages(dir.path());
        let bytes = std::fs::read(&data).unwrap();
        // sled keeps the valid prefix of its log, as after a crash.
        std::fs::write(&data, &bytes[..bytes.len() / 3]).unwrap();

        let error = unreadable_error(SledStore::open(dir.path()));
        assert!(
            error.reason.contains("but serial 50 was recorded"),
            "{}",
            error.reason
        );
    }

    #[test]
    fn a_store_whose_marker_is_missing_gets_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        store_with_fifty_pages(dir.path());
        std::fs::remove_file(dir.path().join("db").join(MARKER_FILE)).unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(store.load().unwrap().serial, 50);
        let marker = Marker::read(&store.path).unwrap();
        assert_eq!(marker, Some((store.lineage.clone(), 50)));
    }

    #[test]
    fn a_store_of_another_format_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(SledStore::open(dir.path()).unwrap());
        {
            let db = sled::open(dir.path().join("db")).unwrap();
            db.insert(META_FORMAT, b"2").unwrap();
            db.flush().unwrap();
        }
        let error = unreadable_error(SledStore::open(dir.path()));
        assert!(
            error.reason.contains("format version \"2\""),
            "{}",
            error.reason
        );
    }

    #[test]
    fn an_unparseable_record_is_named() {
        let dir = tempfile::tempdir().unwrap();
        drop(SledStore::open(dir.path()).unwrap());
        {
            let db = sled::open(dir.path().join("db")).unwrap();
            db.insert(b"link/link.broken", b"{not json").unwrap();
            db.flush().unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        let error = unreadable_error(store.load());
        assert!(
            error.reason.contains("link/link.broken"),
            "{}",
            error.reason
        );
    }

    #[test]
    fn records_without_metadata_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(dir.path().join("db")).unwrap();
            db.insert(b"page/page.a", b"{}").unwrap();
            db.flush().unwrap();
        }
        let error = unreadable_error(SledStore::open(dir.path()));
        assert!(
            error.reason.contains("no format version"),
            "{}",
            error.reason
        );
    }

    #[test]
    fn history_round_trips_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let commands = ["apply", "import", "state rm", "destroy"];
        {
            let store = SledStore::open(dir.path()).unwrap();
            assert!(store.history().unwrap().is_empty());
            for command in &commands[..2] {
                store.append_history(&entry(command)).unwrap();
            }
        }
        let store = SledStore::open(dir.path()).unwrap();
        for command in &commands[2..] {
            store.append_history(&entry(command)).unwrap();
        }
        let expected: Vec<_> = commands.iter().map(|command| entry(command)).collect();
        assert_eq!(store.history().unwrap(), expected);
        // History is not state: it does not move the serial.
        assert_eq!(store.load().unwrap().serial, 0);
    }

    const RECORDER_ENV: &str = "SOCIALFORM_TEST_RECORDER_DIR";

    /// Not a test on its own: `a_killed_apply_leaves_whole_calls_only` runs
    /// the test binary again with only this selected and `RECORDER_ENV` set;
    /// it then records page+link pairs until it is killed.
    #[test]
    #[ignore = "helper process for a_killed_apply_leaves_whole_calls_only"]
    fn recorder_child() {
        let Some(dir) = std::env::var_os(RECORDER_ENV) else {
            return;
        };
        let store = SledStore::open(Path::new(&dir)).unwrap();
        for i in 0.. {
            let name = format!("p{i}");
            store
                .record(&[
                    StateOp::PutPage(page(&name, &name)),
                    StateOp::PutLink(link(&name, &name)),
                ])
                .unwrap();
            if i == 20 {
                println!("recording");
            }
        }
    }

    #[test]
    fn a_killed_apply_leaves_whole_calls_only() {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "state::local::sled_store::tests::recorder_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(RECORDER_ENV, dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let recording = stdout
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("recording"));
        assert!(recording, "the child never started recording");
        std::thread::sleep(std::time::Duration::from_millis(100));
        child.kill().unwrap(); // SIGKILL, most likely in the middle of a record
        child.wait().unwrap();

        let recorded = SledStore::open(dir.path()).unwrap().load().unwrap();
        assert!(recorded.serial > 20, "serial {}", recorded.serial);
        // Every call that was recorded is there whole, and nothing else.
        assert_eq!(recorded.pages.len() as u64, recorded.serial);
        let page_ids: Vec<_> = recorded.pages.values().map(|p| &p.page_id).collect();
        let link_ids: Vec<_> = recorded.links.values().map(|l| &l.page_id).collect();
        assert_eq!(page_ids, link_ids);
    }
}
