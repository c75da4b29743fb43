//! Chaos: a few hundred pages applied against a sandbox that fails, answers
//! ambiguously, and throttles. Whatever happens, the remote side must end
//! exactly as configured, no page may be connected twice, and a plan
//! afterwards must be clean. One apply may legitimately fail under heavy
//! faults; re-running it must converge within `MAX_APPLIES`.
//!
//! The faults are drawn from a seed: `SOCIALFORM_CHAOS_SEED` if set, else a
//! random one, named in the failure message so that the run can be replayed
//! (the sandbox replays its fault sequence by arrival order; the apply's
//! parallelism may still reorder requests between runs). How long
//! convergence takes is measured by `cargo bench --bench chaos`.

use crate::support::*;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

const PAGES: usize = 200;
const MAX_APPLIES: usize = 3;
const TOKEN: &str = "EAAchaos0123456789";
const CONNECT: &str = "POST /beta/chatapp-accounts/messenger";

fn page_id(i: usize) -> String {
    format!("1071{i:011}")
}

/// `PAGES` pages, every other one linked to APP1.
fn config() -> String {
    let ids: Vec<String> = (0..PAGES).map(page_id).collect();
    fleet_config(&ids, true, 2)
}

/// What the sandbox holds: page id → (name, applications).
fn remote(sandbox: &Sandbox) -> BTreeMap<String, (String, Vec<String>)> {
    let mut pages = BTreeMap::new();
    let mut number = 1;
    // The harness helper reads one page of 100; walk them all.
    loop {
        let (status, body) = sandbox.api(
            "GET",
            &format!("{ACCOUNTS}?provider=messenger&page_size=100&page_number={number}"),
            None,
        );
        assert_eq!(status, 200, "{body}");
        let batch = body["_embedded"].as_array().cloned().unwrap_or_default();
        if batch.is_empty() {
            break;
        }
        for page in batch {
            let apps = page["applications"]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            pages.insert(
                page["external_id"].as_str().unwrap().to_string(),
                (page["name"].as_str().unwrap_or("").to_string(), apps),
            );
        }
        number += 1;
        assert!(number < 100, "runaway paging");
    }
    pages
}

fn expected() -> BTreeMap<String, (String, Vec<String>)> {
    (0..PAGES)
        .map(|i| {
            let apps = if i.is_multiple_of(2) {
                vec![APP1.to_string()]
            } else {
                vec![]
            };
            (page_id(i), (format!("Page {i}"), apps))
        })
        .collect()
}

/// The seed of this run's faults: `SOCIALFORM_CHAOS_SEED`, else random.
fn chaos_seed() -> u64 {
    match std::env::var("SOCIALFORM_CHAOS_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SOCIALFORM_CHAOS_SEED={text:?} is not a whole number")),
        Err(_) => rand::random(),
    }
}

/// Starts a sandbox with `faults` (`sandbox serve` flags) and a fault seed,
/// and runs `test` against it; a failure names the seed to replay it with.
fn with_seeded_faults(label: &str, faults: &[&str], test: impl FnOnce(&Sandbox)) {
    let seed = chaos_seed();
    let seed_text = seed.to_string();
    let mut flags = faults.to_vec();
    flags.extend(["--fault-seed", &seed_text]);
    let sandbox = Sandbox::start_with(&flags);
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| test(&sandbox))) {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
        match message {
            Some(message) => panic!(
                "{message}\n\n{label}: replay these faults with SOCIALFORM_CHAOS_SEED={seed}"
            ),
            None => resume_unwind(panic),
        }
    }
}

/// Applies until an apply succeeds (at most `MAX_APPLIES`), then checks the
/// outcome. `faults` are `sandbox serve` flags.
fn converge(label: &str, faults: &[&str]) {
    with_seeded_faults(label, faults, |sandbox| converge_on(label, sandbox));
}

fn converge_on(label: &str, sandbox: &Sandbox) {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_token", TOKEN);
    project.write("main.hcl", &config());

    let mut applies = 0;
    let mut last = None;
    while applies < MAX_APPLIES {
        applies += 1;
        let run = project.run(&["apply", "--auto-approve", "--parallelism", "10"]);
        // The scan below has something to search: an apply always says
        // what it did or why it failed.
        assert!(
            !run.stdout.is_empty() || !run.stderr.is_empty(),
            "an apply printed nothing"
        );
        assert!(
            !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
            "token in output"
        );
        // Faults are random, so an apply may fail (and the loop applies
        // again); a failed apply exits 1, never another code (a crash, a
        // signal, 2).
        if run.code != 0 {
            assert_eq!(run.code, 1, "a failed apply's exit code\n{}", run.stderr);
        }
        let ok = run.code == 0;
        last = Some(run);
        if ok {
            break;
        }
    }
    let last = last.unwrap();
    assert_eq!(
        last.code, 0,
        "{label}: no convergence in {MAX_APPLIES} applies\n--- stdout\n{}\n--- stderr\n{}",
        last.stdout, last.stderr
    );

    // Exactly one connect per page took effect: a 201, or a 500 from the
    // ambiguous fault, which answers after the work was done. A second
    // connect of a page would show up here as an extra one (or as a 409).
    let connects: Vec<u16> = sandbox
        .requests()
        .into_iter()
        .filter(|(method, path, _)| format!("{method} {path}") == CONNECT)
        .map(|(_, _, status)| status)
        .collect();
    let took_effect = connects.iter().filter(|s| matches!(s, 201 | 500)).count();
    assert_eq!(took_effect, PAGES, "{label}: connects {connects:?}");
    assert!(
        !connects.contains(&409),
        "{label}: a connect hit a connected page"
    );

    // The remote side is exactly the configuration (faults off to read it).
    sandbox.api(
        "PUT",
        "/_sandbox/faults",
        Some(serde_json::json!({"error_rate": 0, "ambiguous_rate": 0, "rate_limit": 0, "latency_ms": 0})),
    );
    assert!(
        remote(sandbox) == expected(),
        "{label}: remote side differs"
    );
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn server_errors() {
    converge("error-rate 0.3", &["--error-rate", "0.3"]);
}

#[test]
fn ambiguous_answers() {
    converge("ambiguous-rate 0.3", &["--ambiguous-rate", "0.3"]);
}

#[test]
fn rate_limit() {
    converge("rate-limit 40/s", &["--rate-limit", "40"]);
}

#[test]
fn everything_at_once() {
    converge(
        "error 0.2 + ambiguous 0.2 + rate-limit 40/s + latency 5ms",
        &[
            "--error-rate",
            "0.2",
            "--ambiguous-rate",
            "0.2",
            "--rate-limit",
            "40",
            "--latency-ms",
            "5",
        ],
    );
}

/// Half of all writes refused and a third of the rest answered ambiguously:
/// with six attempts per call, a first apply usually leaves a few calls
/// failed (about 1.6% each), and a second one finishes the work.
#[test]
fn heavy_faults_converge_over_several_applies() {
    converge(
        "error 0.5 + ambiguous 0.3",
        &["--error-rate", "0.5", "--ambiguous-rate", "0.3"],
    );
}

/// Every write takes effect but is answered 500: each call is settled by one
/// re-read, never repeated, and the apply succeeds.
#[test]
fn always_ambiguous_writes_are_settled_by_reading_never_repeated() {
    let sandbox = Sandbox::start_with(&["--ambiguous-rate", "1"]);
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_token", TOKEN);
    project.write(
        "main.hcl",
        &format!(
            "variable \"token\" {{\n  sensitive = true\n}}\npage \"a\" {{\n  page_id      = \"{}\"\n  access_token = var.token\n}}\npage \"b\" {{\n  page_id      = \"{}\"\n  access_token = var.token\n}}\nlink \"b\" {{\n  page        = page.b.page_id\n  application = \"{APP1}\"\n}}\n",
            page_id(1),
            page_id(2)
        ),
    );
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let mut mutations = sandbox.mutations();
    mutations.sort();
    assert_eq!(mutations, vec![CONNECT.to_string(), CONNECT.to_string()]);
    assert_eq!(sandbox.pages().len(), 2);

    // A relink (DELETE then POST) and a disconnect, all answered 500.
    sandbox.clear_requests();
    project.write(
        "main.hcl",
        &format!(
            "variable \"token\" {{\n  sensitive = true\n}}\npage \"b\" {{\n  page_id      = \"{}\"\n  access_token = var.token\n}}\nlink \"b\" {{\n  page        = page.b.page_id\n  application = \"{APP2}\"\n}}\n",
            page_id(2)
        ),
    );
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_eq!(sandbox.mutations().len(), 3, "{:?}", sandbox.mutations());
    assert_eq!(sandbox.pages().len(), 1);
    assert_eq!(sandbox.page(&page_id(2)).unwrap()["applications"][0], APP2);
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

/// Every write refused with 503: each call is tried exactly
/// `--max-retries` + 1 times, then the apply fails with a clear message and
/// records nothing.
#[test]
fn always_failing_writes_are_bounded_by_max_retries() {
    let sandbox = Sandbox::start_with(&["--error-rate", "1"]);
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_token", TOKEN);
    project.write(
        "main.hcl",
        &format!(
            "variable \"token\" {{\n  sensitive = true\n}}\npage \"a\" {{\n  page_id      = \"{}\"\n  access_token = var.token\n}}\n",
            page_id(1)
        ),
    );
    let run = project.run(&["apply", "--auto-approve", "--max-retries", "2"]);
    run.assert_code(1);
    assert!(run.stdout.contains("server error 503"), "{}", run.stdout);
    assert!(run.stdout.contains("Apply failed"), "{}", run.stdout);
    assert_eq!(sandbox.mutations(), vec![CONNECT.to_string(); 3]);
    assert!(sandbox.pages().is_empty());
    sandbox.api(
        "PUT",
        "/_sandbox/faults",
        Some(serde_json::json!({"error_rate": 0})),
    );
    let plan = project.run(&["plan", "--json"]);
    assert_eq!(plan.planned_calls(), vec![CONNECT.to_string()]);
}
