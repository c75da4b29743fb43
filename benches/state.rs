//! Loading a state of 10,000 page records and 5,000 link records from the
//! sled store, with the store open (`load`) and from cold (`open` + `load`,
//! what every CLI command does).
//!
//! Run with `cargo bench --bench state`.

mod common;
// The support module the integration tests use; a bench needs only part.
#[allow(dead_code, unused_imports)]
#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use socialform::state::{LocalBackend, LockRequest, StateBackend, StateOp};

/// The local backend's store, opened (and locked) as a command opens it.
fn open(dir: &std::path::Path) -> Box<dyn socialform::state::StateStore> {
    LocalBackend::new(dir)
        .open(&LockRequest::immediate("bench"))
        .unwrap()
}

fn state(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        let fingerprinter = store.fingerprinter();
        let mut ops = Vec::new();
        for i in 0..common::PAGES {
            ops.push(StateOp::PutPage(common::page_record(i, &fingerprinter)));
            if let Some(link) = common::link_record(i) {
                ops.push(StateOp::PutLink(link));
            }
        }
        // In chunks, as an apply writes them (but far fewer flushes).
        for chunk in ops.chunks(500) {
            store.record(chunk).unwrap();
        }
    }
    let mut group = c.benchmark_group("state");
    group.sample_size(20);
    group.bench_function("open + load 10k records", |b| {
        b.iter(|| {
            let store = open(dir.path());
            store.load().unwrap()
        })
    });
    let store = open(dir.path());
    let recorded = store.load().unwrap();
    assert_eq!(recorded.pages.len(), common::PAGES);
    assert_eq!(recorded.links.len(), common::PAGES / 2);
    group.bench_function("load 10k records", |b| b.iter(|| store.load().unwrap()));
    group.finish();
}

criterion_group!(benches, state);
criterion_main!(benches);
