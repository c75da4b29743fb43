//! The pure planner on 10,000 pages: a no-op plan (everything matches) and
//! an all-new plan (nothing recorded, nothing connected).
//!
//! Run with `cargo bench --bench planner`.

mod common;
// The support module the integration tests use; a bench needs only part.
#[allow(dead_code, unused_imports)]
#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use socialform::plan::{PlanOptions, plan};
use socialform::state::Recorded;
use std::hint::black_box;

fn planner(c: &mut Criterion) {
    let fingerprinter = common::fingerprinter();
    let fingerprint = |t: &socialform::secret::Secret| fingerprinter.fingerprint(t);
    let desired = common::desired(common::PAGES);
    let options = PlanOptions::default();
    let mut group = c.benchmark_group("planner");
    group.sample_size(20);

    let recorded = common::recorded(common::PAGES, &fingerprinter);
    let actual = common::actual(common::PAGES, &fingerprinter);
    let check = plan(&desired, &recorded, &actual, &options, &fingerprint).expect("plan");
    assert!(check.calls.is_empty(), "the no-op input must plan no call");
    group.bench_function("no-op 10k pages", |b| {
        b.iter(|| {
            plan(
                black_box(&desired),
                &recorded,
                &actual,
                &options,
                &fingerprint,
            )
            .unwrap()
        })
    });

    let empty = Recorded::default();
    let nothing = common::actual(0, &fingerprinter);
    let check = plan(&desired, &empty, &nothing, &options, &fingerprint).expect("plan");
    assert_eq!(check.calls.len(), common::PAGES);
    group.bench_function("all-new 10k pages", |b| {
        b.iter(|| {
            plan(
                black_box(&desired),
                &empty,
                &nothing,
                &options,
                &fingerprint,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, planner);
criterion_main!(benches);
