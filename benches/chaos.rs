//! How long a fleet takes to converge under the sandbox's faults: the chaos
//! tests' scenarios (`tests/it/chaos.rs`), timed. The tests assert the
//! outcome; this only measures, and asserts nothing about time.
//!
//! Run with `cargo bench --bench chaos` (add `-- --pages N`, `--seed N`).
//! Each profile starts a fresh `sandbox serve` child and applies until an
//! apply succeeds; it prints the applies it took and the wall time, with the
//! fault seed so a slow run can be replayed.

// The support module the integration tests use; a bench needs only part.
#[allow(dead_code, unused_imports)]
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;
use support::{Project, Sandbox, fleet_config};

const MAX_APPLIES: usize = 5;
const TOKEN: &str = "EAAchaos0123456789";

const PROFILES: &[(&str, &[&str])] = &[
    ("error-rate 0.3", &["--error-rate", "0.3"]),
    ("ambiguous-rate 0.3", &["--ambiguous-rate", "0.3"]),
    ("rate-limit 40/s", &["--rate-limit", "40"]),
    (
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
    ),
    (
        "error 0.5 + ambiguous 0.3",
        &["--error-rate", "0.5", "--ambiguous-rate", "0.3"],
    ),
];

fn main() {
    let mut pages = 200usize;
    let mut seed: u64 = rand::random();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--pages" => pages = args.next().and_then(|s| s.parse().ok()).unwrap_or(pages),
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(seed),
            // `cargo bench` passes `--bench`; anything else is ignored too.
            _ => {}
        }
    }
    let ids: Vec<String> = (0..pages).map(|i| format!("1071{i:011}")).collect();
    let config = fleet_config(&ids, true, 2);
    println!(
        "chaos convergence: {pages} pages ({} linked), parallelism 10, fault seed {seed}",
        pages.div_ceil(2)
    );
    println!("| faults | applies | wall |");
    println!("|---|---|---|");
    for (label, faults) in PROFILES {
        let seed_text = seed.to_string();
        let mut flags = faults.to_vec();
        flags.extend(["--fault-seed", &seed_text]);
        let sandbox = Sandbox::start_with(&flags);
        let mut project = Project::against(&sandbox);
        project.env("SF_VAR_token", TOKEN);
        project.write("main.hcl", &config);
        let started = Instant::now();
        let mut applies = 0;
        let converged = loop {
            applies += 1;
            let run = project.run(&["apply", "--auto-approve", "--parallelism", "10"]);
            if run.code == 0 {
                break true;
            }
            if applies == MAX_APPLIES {
                break false;
            }
        };
        let wall = started.elapsed().as_secs_f64();
        let applies = if converged {
            applies.to_string()
        } else {
            format!("no convergence in {applies}")
        };
        println!("| {label} | {applies} | {wall:.1} s |");
    }
}
