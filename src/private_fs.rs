//! Owner-only files and directories: state and the embedded sandbox's data
//! name the pages an operator manages and hold the fingerprint key, so
//! directories are created 0700 and files 0600 whatever the umask.

use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) if absent. Only a directory created
/// here gets mode 0700: one that already exists is the user's choice.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
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
pub fn open_private_file(path: &Path) -> std::io::Result<File> {
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
pub(crate) fn restrict_tree(dir: &Path) -> std::io::Result<()> {
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

/// From here on, everything this process creates (sled's own files, the
/// embedded sandbox's data) is for the owner only, whatever the user's
/// umask. The helpers above fix what already exists; this covers files a
/// library creates later on its own.
pub fn private_by_default() {
    // SAFETY: umask has no preconditions; it only sets the process mask.
    unsafe {
        libc::umask(0o077);
    }
}
