//! `--parallelism` bounds API calls, not state writes: with one slot, the
//! next call starts while the previous call's state write is still going.

use socialform::actual::Actual;
use socialform::address::Address;
use socialform::apply::{self, ApplyContext, CallObserver, CallOutcome};
use socialform::desired::{Desired, DesiredPage, Location};
use socialform::plan::{Call, PlanOptions, plan};
use socialform::secret::Secret;
use socialform::state::{
    Fingerprinter, HistoryEntry, LockInfo, Recorded, StateOp, StateStore, Transfer,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counts calls that got a slot.
struct Started(Arc<AtomicUsize>);

impl CallObserver for Started {
    fn call_started(&self, _: usize, _: &Call) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn call_finished(&self, _: usize, _: &Call, _: &CallOutcome, _: Duration) {}
}

/// A store whose first write waits (at most 10 s) for the second call to
/// start, and notes whether it did.
struct SlowFirstWrite {
    holder: LockInfo,
    started: Arc<AtomicUsize>,
    second_started_during_write: AtomicBool,
    writes: Mutex<Vec<Vec<StateOp>>>,
}

impl StateStore for SlowFirstWrite {
    fn holder(&self) -> &LockInfo {
        &self.holder
    }
    fn transfer(&self) -> anyhow::Result<Transfer> {
        anyhow::bail!("not needed here")
    }
    fn load(&self) -> anyhow::Result<Recorded> {
        Ok(Recorded::default())
    }
    fn record(&self, ops: &[StateOp]) -> anyhow::Result<u64> {
        let mut writes = self.writes.lock().unwrap();
        if writes.is_empty() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while self.started.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            self.second_started_during_write
                .store(self.started.load(Ordering::SeqCst) >= 2, Ordering::SeqCst);
        }
        writes.push(ops.to_vec());
        Ok(writes.len() as u64)
    }
    fn fingerprinter(&self) -> Fingerprinter {
        Fingerprinter::new(b"test".to_vec())
    }
    fn append_history(&self, _: &HistoryEntry) -> anyhow::Result<()> {
        Ok(())
    }
    fn history(&self) -> anyhow::Result<Vec<HistoryEntry>> {
        Ok(vec![])
    }
}

#[tokio::test]
async fn a_slot_is_free_for_the_next_call_while_state_is_written() {
    let sandbox = crate::support::sandbox().await;
    let client = crate::support::client(&sandbox);
    let mut desired = Desired::default();
    let mut tokens = std::collections::HashMap::new();
    for (name, id) in [("a", "107900000000001"), ("b", "107900000000002")] {
        let token = Secret::new(format!("token-{name}"));
        tokens.insert(Address::page(name), token.clone());
        desired.pages.push(DesiredPage {
            address: Address::page(name),
            page_id: id.into(),
            name: None,
            access_token: Some(token),
            token_from_facebook: false,
            location: Location::default(),
        });
    }
    let actual = Actual {
        refreshed: true,
        applications: Some(Default::default()),
        ..Actual::default()
    };
    let fingerprinter = Fingerprinter::new(b"test".to_vec());
    let plan = plan(
        &desired,
        &Recorded::default(),
        &actual,
        &PlanOptions::default(),
        &|t| fingerprinter.fingerprint(t),
    )
    .expect("plan");
    assert_eq!(plan.calls.len(), 2);

    let started = Arc::new(AtomicUsize::new(0));
    let store = Arc::new(SlowFirstWrite {
        holder: LockInfo::current("apply"),
        started: started.clone(),
        second_started_during_write: AtomicBool::new(false),
        writes: Mutex::new(vec![]),
    });
    let result = apply::apply(
        &plan,
        ApplyContext {
            client,
            store: store.clone(),
            tokens,
            public_keys: Default::default(),
            parallelism: 1,
            cancel: Arc::new(AtomicBool::new(false)),
            reporter: Arc::new(Started(started)),
        },
    )
    .await
    .expect("apply runs");
    assert!(result.is_complete(), "{:?}", result.outcomes);
    assert!(
        store.second_started_during_write.load(Ordering::SeqCst),
        "the second call waited for the first call's state write"
    );
    assert_eq!(store.writes.lock().unwrap().len(), 2);
}
