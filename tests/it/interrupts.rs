//! Stopping an apply half-way: SIGKILL (nothing gets to run) and SIGINT /
//! SIGTERM (graceful: in-flight calls finish and are recorded). Either way
//! the next plan must list exactly the work the sandbox shows is not done,
//! and the next apply must converge without connecting anything twice.

use crate::support::*;
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PAGES: usize = 30;
const TOKEN: &str = "EAAinterrupt0123456789";
const CONNECT: &str = "POST /beta/chatapp-accounts/messenger";
/// Connect calls to see logged before stopping the apply.
const STOP_AFTER: usize = 6;

fn page_id(i: usize) -> String {
    format!("1072{i:011}")
}

fn config() -> String {
    let ids: Vec<String> = (0..PAGES).map(page_id).collect();
    fleet_config(&ids, false, 3)
}

/// A slow sandbox (every request waits `latency_ms`) and a project pointing
/// at it.
fn setup(latency_ms: &str) -> (Sandbox, Project) {
    let sandbox = Sandbox::start_with(&["--latency-ms", latency_ms]);
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_token", TOKEN);
    project.write("main.hcl", &config());
    (sandbox, project)
}

fn spawn_apply(sandbox: &Sandbox, project: &Project) -> Child {
    Command::new(bin())
        .arg("-C")
        .arg(project.path())
        .args(["apply", "--auto-approve", "--parallelism", "2"])
        .env("VONAGE_ENDPOINT", &sandbox.url)
        .env("VONAGE_API_KEY", "sandbox")
        .env("VONAGE_API_SECRET", "sandbox")
        .env("SF_VAR_token", TOKEN)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Waits (bounded) until the apply has made `STOP_AFTER` connect calls.
fn wait_for_calls(sandbox: &Sandbox, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let made = sandbox.mutations().iter().filter(|m| *m == CONNECT).count();
        if made >= STOP_AFTER {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the apply ended before it could be stopped"
        );
        assert!(Instant::now() < deadline, "the apply made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Lets requests the sandbox is still serving finish (bounded), so that
/// what it shows is final.
fn settle(sandbox: &Sandbox) {
    for _ in 0..30 {
        if sandbox.requests().iter().all(|(_, _, status)| *status != 0) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The page addresses the sandbox does not have yet.
fn missing(sandbox: &Sandbox) -> BTreeSet<String> {
    let there: BTreeSet<String> = sandbox
        .pages()
        .iter()
        .map(|p| p["external_id"].as_str().unwrap().to_string())
        .collect();
    (0..PAGES)
        .filter(|i| !there.contains(&page_id(*i)))
        .map(|i| format!("page.p{i}"))
        .collect()
}

/// The next plan lists exactly the missing pages' connects; the next apply
/// converges; no page was connected twice.
fn check_recovery(sandbox: &Sandbox, project: &Project) {
    let remaining = missing(sandbox);
    assert!(
        !remaining.is_empty() && remaining.len() < PAGES,
        "stopped mid-way: {} of {PAGES} pages left",
        remaining.len()
    );
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let calls = plan.json()["calls"].as_array().unwrap().clone();
    let planned: BTreeSet<String> = calls
        .iter()
        .map(|c| {
            assert_eq!(
                format!(
                    "{} {}",
                    c["method"].as_str().unwrap(),
                    c["path"].as_str().unwrap()
                ),
                CONNECT
            );
            c["addresses"][0].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(calls.len(), remaining.len(), "one call per missing page");
    assert_eq!(planned, remaining);

    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert!(missing(sandbox).is_empty());
    for page in sandbox.pages() {
        let i: usize = page["external_id"].as_str().unwrap()[4..].parse().unwrap();
        let linked = page["applications"].as_array().unwrap().len();
        assert_eq!(linked, usize::from(i.is_multiple_of(3)), "page {i}");
    }
    let connects = sandbox
        .requests()
        .into_iter()
        .filter(|(m, p, s)| format!("{m} {p}") == CONNECT && *s == 201)
        .count();
    assert_eq!(connects, PAGES, "every page connected exactly once");
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn sigkill_mid_apply_leaves_exactly_the_rest_to_do() {
    let (sandbox, project) = setup("150");
    let mut child = spawn_apply(&sandbox, &project);
    wait_for_calls(&sandbox, &mut child);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    settle(&sandbox);
    check_recovery(&sandbox, &project);
}

fn graceful_stop(signal: libc::c_int) {
    let (sandbox, project) = setup("150");
    let mut child = spawn_apply(&sandbox, &project);
    wait_for_calls(&sandbox, &mut child);
    // SAFETY: sends a signal to the child we spawned, by its id.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0);
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    assert!(stdout.contains("Apply interrupted"), "{stdout}");
    assert!(stdout.contains("not attempted"), "{stdout}");
    // One address a line, not one long line.
    assert!(stdout.contains("\nNot attempted:\n  page.p"), "{stdout}");
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    // Graceful: nothing was left in flight.
    assert!(sandbox.requests().iter().all(|(_, _, s)| *s != 0));
    check_recovery(&sandbox, &project);
}

#[test]
fn sigint_mid_apply_finishes_calls_in_flight_and_stops() {
    graceful_stop(libc::SIGINT);
}

#[test]
fn sigterm_is_handled_like_the_first_ctrl_c() {
    graceful_stop(libc::SIGTERM);
}

/// A second Ctrl-C does not wait for the calls in flight. The 500 ms the
/// sandbox holds each request keeps them in flight when the second signal
/// comes; whatever they did is picked up by the next plan.
#[test]
fn a_second_interrupt_stops_at_once() {
    let (sandbox, project) = setup("600");
    let child = spawn_apply(&sandbox, &project);
    let deadline = Instant::now() + Duration::from_secs(20);
    // Three arrivals: the first two calls finished, the next ones are held.
    while sandbox.mutations().len() < 3 {
        assert!(Instant::now() < deadline, "the apply made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = child.id() as libc::pid_t;
    // SAFETY: signals to the child we spawned, by its id.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Stopping now"), "{stderr}");
    // The apply is in the history, as stopped (issue 26, item 6).
    let history = project.run(&["history", "--json"]);
    history.assert_code(0);
    let entries = history.json()["entries"].clone();
    let entries = entries.as_array().expect("history entries");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["command"], "apply", "{entries:?}");
    assert_eq!(entries[0]["outcome"], "interrupted", "{entries:?}");
    settle(&sandbox);
    check_recovery(&sandbox, &project);
}
