//! Configuration loading (parse + evaluate + checks) of 10,000 pages, half
//! linked: once as a `for_each` over a map from an `.sfvars` file, once as
//! 15,000 literal blocks. The `.sfvars` case runs twice: as written (the
//! literal reader takes it) and with one value written as a `\U` escape,
//! which the literal reader declines, so the same values come through
//! hcl-edit's parser.
//!
//! Run with `cargo bench --bench config`.

mod common;
// The support module the integration tests use; a bench needs only part.
#[allow(dead_code, unused_imports)]
#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use socialform::config::{LoadOptions, load};

fn options(dir: &std::path::Path) -> LoadOptions {
    LoadOptions {
        dir: dir.to_path_buf(),
        cli_vars: vec![],
        env: vec![],
        allow_unknown_tokens: false,
        allow_unset_credentials: false,
        facebook_pages: None,
        vonage_applications: None,
        select: Default::default(),
    }
}

fn config(c: &mut Criterion) {
    let mut group = c.benchmark_group("config");
    group.sample_size(10);

    let for_each = tempfile::tempdir().unwrap();
    support::write_for_each_config(for_each.path(), common::PAGES, &common::app_ids());
    let opts = options(for_each.path());
    let desired = load(&opts).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(desired.pages.len(), common::PAGES);
    assert_eq!(desired.links.len(), common::PAGES / 2);
    group.bench_function("for_each 10k pages from sfvars", |b| {
        b.iter(|| load(&opts).unwrap())
    });

    // The same file, one escape away from the literal reader.
    let vars = std::fs::read_to_string(for_each.path().join("socialform.sfvars")).unwrap();
    let declined = vars.replacen("name = \"Page 0\"", "name = \"\\U00000050age 0\"", 1);
    assert_ne!(declined, vars);
    let through_parser = tempfile::tempdir().unwrap();
    std::fs::copy(
        for_each.path().join("main.hcl"),
        through_parser.path().join("main.hcl"),
    )
    .unwrap();
    std::fs::write(through_parser.path().join("socialform.sfvars"), declined).unwrap();
    let parser_opts = options(through_parser.path());
    let through = load(&parser_opts).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(through.pages.len(), desired.pages.len());
    assert_eq!(through.pages[0].name, desired.pages[0].name);
    group.bench_function("for_each 10k pages from sfvars through hcl-edit", |b| {
        b.iter(|| load(&parser_opts).unwrap())
    });

    let literal = tempfile::tempdir().unwrap();
    support::write_literal_config(literal.path(), common::PAGES, &common::app_ids());
    let opts = options(literal.path());
    let desired = load(&opts).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(desired.pages.len(), common::PAGES);
    assert_eq!(desired.links.len(), common::PAGES / 2);
    group.bench_function("10k literal page blocks", |b| {
        b.iter(|| load(&opts).unwrap())
    });
    group.finish();
}

criterion_group!(benches, config);
criterion_main!(benches);
