//! The state store: what socialform recorded about the resources it manages.
//! Implementation: a sled database in the state directory. Keyed token
//! fingerprints only, never tokens.
//!
//! Layout of a state directory:
//! - `db/`: the sled database (see `store.rs` for its keys);
//! - `lock`: the process lock (see `lock.rs`);
//! - `sandbox/`: belongs to the sandbox; nothing here touches it.
//!
//! Directories are created 0700 and files 0600 whatever the umask: the state
//! names the pages an operator manages and holds the fingerprint key.

mod fingerprint;
mod lock;
mod records;
mod store;

pub use fingerprint::Fingerprinter;
pub use lock::{LockHeld, LockInfo, StateLock};
pub use records::{HistoryEntry, LinkRecord, PageRecord, Recorded, StateOp};
pub use store::{SledStore, StateStore, StoreUnreadable};

use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Now, as RFC 3339 in UTC to the second, the form every timestamp in state
/// and in the lock file takes.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Creates `dir` (and missing parents) if absent. Only a directory created
/// here gets mode 0700: one that already exists is the user's choice.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    match DirBuilder::new().mode(DIR_MODE).create(dir) {
        // The mode given to mkdir is filtered by the umask; set it exactly.
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE)),
        // Another process created it first: fine.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(error) => Err(error),
    }
}

/// Opens `path` for reading and writing, creating it 0600 if absent.
fn open_private_file(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .open(path)?;
    restrict(&file, FILE_MODE)?;
    Ok(file)
}

/// Sets `mode` on an open file unless it already has it.
fn restrict(file: &File, mode: u32) -> std::io::Result<()> {
    let metadata = file.metadata()?;
    if metadata.permissions().mode() & 0o777 != mode {
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// Makes `dir` and everything under it owner-only (0700 directories, 0600
/// files), for data kept under the state directory by others (the embedded
/// sandbox's store).
pub fn make_private(dir: &Path) -> std::io::Result<()> {
    create_private_dir(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
    restrict_tree(dir)
}

/// Tightens everything under `dir` (sled's own files, which it creates with
/// the default 0666 & umask) to 0700 for directories and 0600 for files.
fn restrict_tree(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let file_type = entry.file_type()?;
        let mode = if file_type.is_dir() {
            DIR_MODE
        } else if file_type.is_file() {
            FILE_MODE
        } else {
            continue; // never follow symlinks out of the store
        };
        let path = entry.path();
        if entry.metadata()?.permissions().mode() & 0o777 != mode {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        }
        if file_type.is_dir() {
            restrict_tree(&path)?;
        }
    }
    Ok(())
}
