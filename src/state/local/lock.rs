//! One process at a time per state directory.
//!
//! The lock is an advisory `flock` (through `File::try_lock`) on
//! `<state_dir>/lock`. The kernel drops it
//! when the holder's file is closed, which includes the holder being killed,
//! so a crashed run never leaves a stale lock behind that someone must
//! remove by hand. The file's content (who holds it) is only for messages.

use crate::private_fs::{create_private_dir, open_private_file};
use crate::state::{LockHeld, LockInfo, LockRequest};
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// How often a waiting `acquire` tries again.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Held until dropped. A process that dies releases it (the OS drops its file lock).
#[derive(Debug)]
pub(crate) struct StateLock {
    file: File,
    holder: LockInfo,
}

impl StateLock {
    /// Takes the lock of `state_dir`, creating the directory if needed,
    /// waiting up to the request's timeout. The error names the holder
    /// (pid, command, since).
    pub(crate) fn acquire(state_dir: &Path, request: &LockRequest) -> anyhow::Result<StateLock> {
        use anyhow::Context;

        create_private_dir(state_dir).with_context(|| {
            format!(
                "cannot create the state directory {}; check that you may write there, or pass \
                 --state DIR to keep state elsewhere",
                state_dir.display()
            )
        })?;
        let path = state_dir.join("lock");
        let file = open_private_file(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;

        let held = || LockHeld {
            lock: format!("lock file: {}", path.display()),
            holder: read_holder(&path),
            waited: request.timeout,
        };
        let try_lock = || match file.try_lock() {
            Ok(()) => Ok(true),
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(error)) => {
                Err(error).with_context(|| format!("cannot lock {}", path.display()))
            }
        };
        request.wait_for(POLL_INTERVAL, try_lock, held)?;

        let mut lock = StateLock {
            file,
            holder: LockInfo::current(&request.command),
        };
        // From here on, dropping `lock` unlocks, also on the error path.
        let holder = lock.holder.clone();
        lock.write_info(&holder)
            .with_context(|| format!("cannot write the lock file {}", path.display()))?;
        Ok(lock)
    }

    /// This process, as recorded in the lock file.
    pub(crate) fn holder(&self) -> &LockInfo {
        &self.holder
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
        let _ = self.file.unlock();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{IgnoreLockWaits, LockObserver};
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};

    const HOLDER_ENV: &str = "SOCIALFORM_TEST_LOCK_HOLDER_DIR";

    fn acquire(dir: &Path, command: &str, timeout: Duration) -> anyhow::Result<StateLock> {
        let request = LockRequest::waiting(command, timeout, Arc::new(IgnoreLockWaits));
        StateLock::acquire(dir, &request)
    }

    /// Remembers what it was told.
    #[derive(Default)]
    struct Waits(Mutex<Vec<LockHeld>>);

    impl LockObserver for Waits {
        fn waiting_for_lock(&self, held: &LockHeld) {
            self.0.lock().unwrap().push(held.clone());
        }
    }

    #[test]
    fn a_waiter_is_told_once_who_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "apply", Duration::ZERO).unwrap();
        let waits = Arc::new(Waits::default());
        let request = LockRequest::waiting("plan", Duration::from_millis(300), waits.clone());
        assert!(StateLock::acquire(dir.path(), &request).is_err());
        let told = waits.0.lock().unwrap().clone();
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0].holder.as_ref(), Some(first.holder()));

        // Free at once: nobody is told anything.
        drop(first);
        let waits = Arc::new(Waits::default());
        let request = LockRequest::waiting("plan", Duration::from_secs(5), waits.clone());
        let _lock = StateLock::acquire(dir.path(), &request).unwrap();
        assert!(waits.0.lock().unwrap().is_empty());
    }

    fn held(error: anyhow::Error) -> LockHeld {
        error
            .downcast::<LockHeld>()
            .expect("the error should be LockHeld")
    }

    #[test]
    fn second_acquire_fails_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let _first = acquire(&state, "apply", Duration::ZERO).unwrap();

        let error = acquire(&state, "plan", Duration::ZERO).unwrap_err();
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
        let _lock = acquire(&state, "apply", Duration::ZERO).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state.join("lock")), 0o600);
    }

    #[test]
    fn lock_is_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "apply", Duration::ZERO).unwrap();
        assert!(acquire(dir.path(), "plan", Duration::ZERO).is_err());
        drop(first);
        assert_eq!(std::fs::read(dir.path().join("lock")).unwrap(), b"");
        let _second = acquire(dir.path(), "plan", Duration::ZERO).unwrap();
        let text = std::fs::read_to_string(dir.path().join("lock")).unwrap();
        let info: LockInfo = serde_json::from_str(&text).unwrap();
        assert_eq!(info.command, "plan");
    }

    #[test]
    fn timeout_waits_for_the_holder_to_finish() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "apply", Duration::ZERO).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        let started = Instant::now();
        let second = acquire(dir.path(), "plan", Duration::from_secs(30));
        releaser.join().unwrap();
        assert!(second.is_ok(), "{:?}", second.err());
        // It must have waited for the release rather than broken in.
        assert!(started.elapsed() >= Duration::from_millis(250));
    }

    #[test]
    fn timeout_expires_with_the_holder_named() {
        let dir = tempfile::tempdir().unwrap();
        let _first = acquire(dir.path(), "destroy", Duration::ZERO).unwrap();
        let started = Instant::now();
        let error = acquire(dir.path(), "plan", Duration::from_millis(200)).unwrap_err();
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
        let _lock = acquire(Path::new(&dir), "apply", Duration::ZERO).unwrap();
        println!("holding the lock");
        std::thread::sleep(Duration::from_secs(120));
    }

    #[test]
    fn killed_holder_releases_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "state::local::lock::tests::lock_holder_child",
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

        let error = acquire(dir.path(), "plan", Duration::ZERO).unwrap_err();
        assert_eq!(held(error).holder.map(|info| info.pid), Some(child.id()));

        child.kill().unwrap(); // SIGKILL: no destructor runs in the child
        child.wait().unwrap();
        let lock = acquire(dir.path(), "plan", Duration::from_secs(5));
        assert!(lock.is_ok(), "{:?}", lock.err());
    }
}
