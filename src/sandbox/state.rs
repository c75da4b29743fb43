//! Everything the handlers share. Each part has its own short-held lock so
//! the request path never waits on I/O while holding one.

use super::Faults;
use super::faults::{Dice, Fate, RateLimiter};
use super::graph::faults::{FaultQueue, GraphFault};
use super::graph::store::GraphStore;
use super::latency::LatencyTimer;
use super::log::LoggedRequest;
use super::store::Store;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

pub(crate) struct Shared {
    pub(crate) api_key: String,
    pub(crate) api_secret: String,
    pub(crate) seed_demo: bool,
    store: Mutex<Store>,
    /// The Graph side's users, pages and tokens.
    graph: Mutex<GraphStore>,
    graph_faults: Mutex<FaultQueue>,
    faults: Mutex<Faults>,
    dice: Mutex<Dice>,
    rate: Mutex<RateLimiter>,
    log: Mutex<RequestLog>,
    max_page_size: AtomicU32,
    /// Started on the first request that has latency to serve; `None` if
    /// its thread could not be started.
    latency: OnceLock<Option<LatencyTimer>>,
    /// The log's clock: entries say when they arrived, in ms since this.
    started: std::time::Instant,
}

/// Entries carry a sequence number so that a request's status can be filled
/// in when it completes while the entry keeps its place of arrival.
#[derive(Default)]
struct RequestLog {
    next_seq: u64,
    entries: VecDeque<(u64, LoggedRequest)>,
}

/// A long-running `sandbox serve` must not grow without bound; tests read
/// far fewer entries than this.
const LOG_CAPACITY: usize = 100_000;

/// A poisoned lock only means another handler panicked mid-update; the maps
/// are still usable, and the sandbox must keep answering.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) const DEFAULT_MAX_PAGE_SIZE: u32 = 100;

impl Shared {
    pub(crate) fn new(
        api_key: String,
        api_secret: String,
        seed_demo: bool,
        store: Store,
        graph: GraphStore,
        faults: Faults,
    ) -> Self {
        let dice = Dice::new(faults.seed);
        let faults = Faults {
            seed: Some(dice.seed()),
            ..faults
        };
        Shared {
            api_key,
            api_secret,
            seed_demo,
            store: Mutex::new(store),
            graph: Mutex::new(graph),
            graph_faults: Mutex::new(FaultQueue::default()),
            faults: Mutex::new(faults),
            dice: Mutex::new(dice),
            rate: Mutex::new(RateLimiter::default()),
            log: Mutex::new(RequestLog::default()),
            max_page_size: AtomicU32::new(DEFAULT_MAX_PAGE_SIZE),
            latency: OnceLock::new(),
            started: std::time::Instant::now(),
        }
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn graph(&self) -> MutexGuard<'_, GraphStore> {
        lock(&self.graph)
    }

    /// The injected fault the next Graph request meets, if any.
    pub(crate) fn next_graph_fault(&self) -> Option<GraphFault> {
        lock(&self.graph_faults).pop()
    }

    pub(crate) fn queue_graph_fault(&self, fault: GraphFault, times: u64) {
        lock(&self.graph_faults).push(fault, times);
    }

    pub(crate) fn clear_graph_faults(&self) {
        lock(&self.graph_faults).clear();
    }

    /// Lets go of the data directory: the Graph side's trees first, then the
    /// database they belong to, flushed.
    pub(crate) fn close(&self) {
        self.graph().close();
        self.store().close();
    }

    pub(crate) fn faults(&self) -> Faults {
        lock(&self.faults).clone()
    }

    /// A `seed` in `faults` restarts the dice from it; without one, the
    /// dice keep rolling and the seed in force stays reported.
    pub(crate) fn set_faults(&self, faults: Faults) {
        let mut current = lock(&self.faults);
        let seed = match faults.seed {
            Some(seed) => {
                *lock(&self.dice) = Dice::new(Some(seed));
                seed
            }
            None => lock(&self.dice).seed(),
        };
        *current = Faults {
            seed: Some(seed),
            ..faults
        };
    }

    /// The dice's decision for one mutating request under `faults`.
    pub(crate) fn fate(&self, faults: &Faults) -> Fate {
        lock(&self.dice).fate(faults)
    }

    /// Holds a request until `deadline`, to the tenth of a millisecond.
    pub(crate) async fn delay_until(&self, deadline: Instant) {
        match self.latency.get_or_init(|| LatencyTimer::start().ok()) {
            Some(timer) => timer.wait_until(deadline).await,
            None => tokio::time::sleep_until(deadline.into()).await,
        }
    }

    pub(crate) fn rate(&self) -> MutexGuard<'_, RateLimiter> {
        lock(&self.rate)
    }

    pub(crate) fn max_page_size(&self) -> u32 {
        self.max_page_size.load(Ordering::Relaxed)
    }

    pub(crate) fn set_max_page_size(&self, size: u32) {
        self.max_page_size.store(size.max(1), Ordering::Relaxed);
    }

    /// Records an arriving request; returns its sequence number.
    pub(crate) fn log_arrival(&self, method: &str, path: &str, query: &str) -> u64 {
        let mut log = lock(&self.log);
        let seq = log.next_seq;
        log.next_seq += 1;
        if log.entries.len() >= LOG_CAPACITY {
            log.entries.pop_front();
        }
        log.entries.push_back((
            seq,
            LoggedRequest {
                method: method.to_owned(),
                path: path.to_owned(),
                query: query.to_owned(),
                status: 0,
                at_ms: self.started.elapsed().as_millis() as u64,
                batch_items: None,
            },
        ));
        seq
    }

    pub(crate) fn log_status(&self, seq: u64, status: u16) {
        let mut log = lock(&self.log);
        // The log may have been cleared meanwhile; then there is nothing to fill.
        if let Ok(i) = log.entries.binary_search_by_key(&seq, |(s, _)| *s) {
            log.entries[i].1.status = status;
        }
    }

    /// Notes the size of a Graph batch on its log entry.
    pub(crate) fn log_batch_items(&self, seq: u64, items: usize) {
        let mut log = lock(&self.log);
        if let Ok(i) = log.entries.binary_search_by_key(&seq, |(s, _)| *s) {
            log.entries[i].1.batch_items = Some(items);
        }
    }

    pub(crate) fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.log)
            .entries
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.log).entries.clear();
    }

    /// `POST /_sandbox/reset`: no accounts, no applications, no Facebook
    /// users, pages or tokens (but the demo ones when seeding), no queued
    /// Graph faults, empty log.
    pub(crate) fn reset(&self) {
        {
            let mut store = self.store();
            store.clear();
            if self.seed_demo {
                store.seed_demo();
            }
        }
        {
            let mut graph = self.graph();
            graph.clear();
            if self.seed_demo {
                graph.seed_demo();
            }
        }
        self.clear_graph_faults();
        self.clear_requests();
    }
}
