//! The crate's one way to run work on a thread of its own.
//!
//! Used where work must not run on the async runtime: loading the
//! configuration (deep recursion in debug builds, so a large stack),
//! opening state (it may wait for a lock held by another process, and the
//! runtime waits for its blocking tasks at exit: a configuration error must
//! not wait for that lock), and freeing large trees off the path to a
//! result. A worker that is never waited for runs to its end on its own.

use tokio::sync::oneshot;

/// Stack of every worker: parsing and evaluation recurse per nesting level,
/// and although nesting is bounded, debug builds use big frames. Only
/// address space is reserved; pages are touched as the stack grows.
const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Work running on its own thread; its result is taken with `join` (from
/// synchronous code) or `finish` (from async code).
pub(crate) struct Worker<T> {
    handle: std::thread::JoinHandle<()>,
    result: oneshot::Receiver<T>,
}

/// The work did not return: it panicked.
#[derive(Debug)]
pub(crate) struct Panicked;

/// Starts `work` on a thread named `name`.
pub(crate) fn start<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<Worker<T>> {
    let (send, result) = oneshot::channel();
    let handle = std::thread::Builder::new()
        .name(name.into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let _ = send.send(work());
        })?;
    Ok(Worker { handle, result })
}

impl<T> Worker<T> {
    /// Blocks until the work is done. Not for async code: use `finish`.
    pub(crate) fn join(mut self) -> Result<T, Panicked> {
        let _ = self.handle.join();
        self.result.try_recv().map_err(|_| Panicked)
    }

    /// Waits, without blocking the runtime, until the work is done.
    pub(crate) async fn finish(self) -> Result<T, Panicked> {
        self.result.await.map_err(|_| Panicked)
    }
}

/// Drops `garbage` on a short-lived thread, or here if none can start.
pub(crate) fn release_in_background<T: Send + 'static>(garbage: T) {
    // If the thread cannot start, `spawn` drops the closure, and the garbage
    // with it, before returning the error: nothing is leaked either way.
    let _ = start("release", move || drop(garbage));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_returns_the_result_and_reports_a_panic() {
        assert_eq!(start("t", || 6 * 7).unwrap().join().unwrap(), 42);
        let panicking = start("t", || -> u8 { panic!("on purpose") }).unwrap();
        assert!(panicking.join().is_err());
    }

    #[test]
    fn finish_awaits_without_blocking_the_runtime() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let value = runtime.block_on(async { start("t", || "done").unwrap().finish().await });
        assert_eq!(value.unwrap(), "done");
    }
}
