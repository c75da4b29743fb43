//! One process at a time per state directory.
//!
//! The lock is an advisory `flock` on `<state_dir>/lock`. The kernel drops it
//! when the holder's file is closed, which includes the holder being killed,
//! so a crashed run never leaves a stale lock behind that someone must
//! remove by hand. The file's content (who holds it) is only for messages.

use super::{create_private_dir, now_rfc3339, open_private_file};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a waiting `acquire` tries again.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Who holds the lock, as written into the lock file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub command: String,
    pub who: String,
    /// RFC 3339, UTC.
    pub since: String,
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

/// The error `acquire` gives when another process holds the lock; callers
/// can downcast to it (e.g. to choose an exit code or a JSON rendering).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHeld {
    /// The lock file.
    pub path: PathBuf,
    /// What the holder wrote; `None` when it had not written yet (it had just
    /// taken the lock) or the file did not make sense.
    pub holder: Option<LockInfo>,
    /// How long `acquire` waited before giving up.
    pub waited: Duration,
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
        write!(f, " (lock file: {})", self.path.display())
    }
}

impl std::error::Error for LockHeld {}

/// Held until dropped. A process that dies releases it (the OS drops its file lock).
#[derive(Debug)]
pub struct StateLock {
    file: File,
}

impl StateLock {
    /// Takes the lock of `state_dir`, creating the directory if needed,
    /// waiting up to `timeout`. The error names the holder (pid, command, since).
    pub fn acquire(
        state_dir: &Path,
        command: &str,
        timeout: Duration,
    ) -> anyhow::Result<StateLock> {
        use anyhow::Context;

        create_private_dir(state_dir)?;
        let path = state_dir.join("lock");
        let file = open_private_file(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;

        let started = Instant::now();
        loop {
            if try_flock(&file, libc::LOCK_EX | libc::LOCK_NB)
                .with_context(|| format!("cannot lock {}", path.display()))?
            {
                break;
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(LockHeld {
                    holder: read_holder(&path),
                    path,
                    waited: timeout,
                }
                .into());
            }
            std::thread::sleep(POLL_INTERVAL.min(timeout - waited));
        }

        let mut lock = StateLock { file };
        // From here on, dropping `lock` unlocks, also on the error path.
        lock.write_info(&LockInfo::current(command))
            .with_context(|| format!("cannot write the lock file {}", path.display()))?;
        Ok(lock)
    }

    fn write_info(&mut self, info: &LockInfo) -> std::io::Result<()> {
        let text = serde_json::to_string(info).map_err(std::io::Error::other)?;
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Clear the holder first, so nobody reads a finished process as the
        // holder; then unlock. Closing the file would unlock too, but doing
        // it explicitly does not depend on no one else sharing the file.
        let _ = self.file.set_len(0);
        let _ = try_flock(&self.file, libc::LOCK_UN);
    }
}

/// `Ok(false)` when the lock is held elsewhere (only with `LOCK_NB`).
fn try_flock(file: &File, operation: libc::c_int) -> std::io::Result<bool> {
    loop {
        // SAFETY: flock on a file descriptor we own, for the file's lifetime.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => return Ok(false),
            _ => return Err(error),
        }
    }
}

/// What the holder wrote. A holder writes just after it takes the lock, so
/// an empty file may mean "about to write": look again briefly before
/// settling for "unknown".
fn read_holder(path: &Path) -> Option<LockInfo> {
    let deadline = Instant::now() + Duration::from_millis(200);
    loop {
        let mut text = String::new();
        let info = File::open(path)
            .and_then(|mut file| file.read_to_string(&mut text))
            .ok()
            .and_then(|_| serde_json::from_str::<LockInfo>(&text).ok());
        if info.is_some() || Instant::now() >= deadline {
            return info;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `$USER@hostname`, with `unknown` for whatever cannot be found.
pub(crate) fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    format!(
        "{user}@{}",
        hostname().unwrap_or_else(|| "unknown".to_string())
    )
}

fn hostname() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length; gethostname writes at
    // most that many bytes.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return None;
    }
    // POSIX leaves the string unterminated when it was truncated.
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    let name = String::from_utf8_lossy(&buffer[..end]).into_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;
    use std::process::{Command, Stdio};

    const HOLDER_ENV: &str = "SOCIALFORM_TEST_LOCK_HOLDER_DIR";

    fn held(error: anyhow::Error) -> LockHeld {
        error
            .downcast::<LockHeld>()
            .expect("the error should be LockHeld")
    }

    #[test]
    fn second_acquire_fails_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let _first = StateLock::acquire(&state, "apply", Duration::ZERO).unwrap();

        let error = StateLock::acquire(&state, "plan", Duration::ZERO).unwrap_err();
        let message = error.to_string();
        let holder = held(error).holder.expect("the holder's info");
        assert_eq!(holder.pid, std::process::id());
        assert_eq!(holder.command, "apply");
        assert!(holder.who.contains('@'), "{}", holder.who);
        assert!(holder.since.ends_with('Z'), "{}", holder.since);
        assert_eq!(
            message,
            format!(
                "state is locked by pid {} (socialform apply, since {}, {}); \
                 wait for it to finish or pass --lock-timeout 30s (lock file: {})",
                holder.pid,
                holder.since,
                holder.who,
                state.join("lock").display()
            )
        );
    }

    #[test]
    fn acquire_creates_a_private_directory_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("nested").join("state");
        let _lock = StateLock::acquire(&state, "apply", Duration::ZERO).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state.join("lock")), 0o600);
    }

    #[test]
    fn lock_is_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateLock::acquire(dir.path(), "apply", Duration::ZERO).unwrap();
        assert!(StateLock::acquire(dir.path(), "plan", Duration::ZERO).is_err());
        drop(first);
        assert_eq!(std::fs::read(dir.path().join("lock")).unwrap(), b"");
        let _second = StateLock::acquire(dir.path(), "plan", Duration::ZERO).unwrap();
        let text = std::fs::read_to_string(dir.path().join("lock")).unwrap();
        let info: LockInfo = serde_json::from_str(&text).unwrap();
        assert_eq!(info.command, "plan");
    }

    #[test]
    fn timeout_waits_for_the_holder_to_finish() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateLock::acquire(dir.path(), "apply", Duration::ZERO).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        let started = Instant::now();
        let second = StateLock::acquire(dir.path(), "plan", Duration::from_secs(30));
        releaser.join().unwrap();
        assert!(second.is_ok(), "{:?}", second.err());
        // It must have waited for the release rather than broken in.
        assert!(started.elapsed() >= Duration::from_millis(250));
    }

    #[test]
    fn timeout_expires_with_the_holder_named() {
        let dir = tempfile::tempdir().unwrap();
        let _first = StateLock::acquire(dir.path(), "destroy", Duration::ZERO).unwrap();
        let started = Instant::now();
        let error = StateLock::acquire(dir.path(), "plan", Duration::from_millis(200)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(200));
        let message = error.to_string();
        assert!(message.contains("(socialform destroy, since"), "{message}");
        assert!(
            message.contains(
                "; gave up after waiting 200ms; wait for it to finish or pass a longer \
                 --lock-timeout (lock file: "
            ),
            "{message}"
        );
    }

    /// Not a test on its own: `killed_holder_releases_the_lock` runs the test
    /// binary again with only this test selected and `HOLDER_ENV` set, and
    /// this then takes the lock and sleeps until it is killed.
    #[test]
    #[ignore = "helper process for killed_holder_releases_the_lock"]
    fn lock_holder_child() {
        let Some(dir) = std::env::var_os(HOLDER_ENV) else {
            return;
        };
        let _lock = StateLock::acquire(Path::new(&dir), "apply", Duration::ZERO).unwrap();
        println!("holding the lock");
        std::thread::sleep(Duration::from_secs(120));
    }

    #[test]
    fn killed_holder_releases_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "state::lock::tests::lock_holder_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(HOLDER_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();

        // Wait until the child says it holds the lock.
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let holding = stdout
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("holding the lock"));
        assert!(holding, "the child never took the lock");

        let error = StateLock::acquire(dir.path(), "plan", Duration::ZERO).unwrap_err();
        assert_eq!(held(error).holder.map(|info| info.pid), Some(child.id()));

        child.kill().unwrap(); // SIGKILL: no destructor runs in the child
        child.wait().unwrap();
        let lock = StateLock::acquire(dir.path(), "plan", Duration::from_secs(5));
        assert!(lock.is_ok(), "{:?}", lock.err());
    }
}
