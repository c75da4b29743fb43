//! The client-side rate limit, through the binary against the sandbox
//! enforcing one (its `rate_limit` fault, a one-second sliding window):
//! applies converge with exactly the planned calls, follow a limit that
//! drops, and a `Retry-After` holds back only the request it answered.
//! Only lower bounds on time are asserted, never upper ones.

use crate::support::*;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::Duration;

const TOKEN: &str = "EAArate0001secret";

/// `pages` pages (no links) from one `for_each` over a map.
fn fleet(project: &Project, pages: usize, round: &str) {
    let mut map = String::new();
    for i in 0..pages {
        map.push_str(&format!(
            "  p{i:04} = \"{}\"\n",
            108_000_000_000_000u64 + i as u64
        ));
    }
    project.write(
        "main.hcl",
        &format!(
            r#"variable "token" {{
  sensitive = true
}}

variable "pages" {{
  type = map(string)
}}

page "fleet" {{
  for_each     = var.pages
  page_id      = each.value
  name         = "{round} ${{each.key}}"
  access_token = var.token
}}
"#
        ),
    );
    project.write("socialform.sfvars", &format!("pages = {{\n{map}}}\n"));
}

fn limited_project(sandbox: &Sandbox, client_rate: &str) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_token", TOKEN);
    project.env("SOCIALFORM_RATE_LIMIT", client_rate);
    project
}

/// The sandbox's log since it was last cleared.
fn log(sandbox: &Sandbox) -> Vec<Value> {
    let (status, log) = sandbox.api("GET", "/_sandbox/requests", None);
    assert_eq!(status, 200);
    log.as_array().cloned().unwrap_or_default()
}

/// The mutating requests the API carried out (429s changed nothing).
fn admitted_mutations(sandbox: &Sandbox) -> Vec<String> {
    log(sandbox)
        .iter()
        .filter(|e| e["method"] != "GET" && e["status"].as_u64().is_some_and(|s| s < 300))
        .map(|e| {
            format!(
                "{} {}",
                e["method"].as_str().unwrap(),
                e["path"].as_str().unwrap()
            )
        })
        .collect()
}

fn state_list(project: &Project) -> usize {
    let run = project.run(&["state", "list"]);
    run.assert_code(0);
    run.stdout.lines().count()
}

#[test]
fn an_apply_at_the_apis_limit_converges_with_exactly_the_planned_calls() {
    let sandbox = Sandbox::start();
    sandbox.set_faults(json!({"rate_limit": 30}));
    let project = limited_project(&sandbox, "30");
    fleet(&project, 90, "first");
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let planned = sorted(plan.planned_calls());
    assert_eq!(planned.len(), 90);
    sandbox.clear_requests();
    project
        .run(&["apply", "-auto-approve", "--parallelism", "16"])
        .assert_code(0);
    // Every planned call carried out exactly once.
    assert_eq!(sorted(admitted_mutations(&sandbox)), planned);
    assert_eq!(state_list(&project), 90);
    project.run(&["plan", "-detailed-exitcode"]).assert_code(0);
}

#[test]
fn a_limit_that_drops_mid_apply_is_followed_without_failing_it() {
    let sandbox = Sandbox::start();
    sandbox.set_faults(json!({"rate_limit": 30}));
    let project = limited_project(&sandbox, "30");
    fleet(&project, 80, "first");
    sandbox.clear_requests();
    let child = project
        .command(&["apply", "-auto-approve", "--parallelism", "16"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // Another tool starts sharing the key: the API now takes 10 a second.
    std::thread::sleep(Duration::from_millis(1200));
    sandbox.set_faults(json!({"rate_limit": 10}));
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Apply complete! 80 connected. API calls: 80"),
        "{stdout}"
    );
    assert_eq!(admitted_mutations(&sandbox).len(), 80);
    assert_eq!(state_list(&project), 80);
}

#[test]
fn a_retry_after_holds_back_only_the_request_it_answered() {
    let sandbox = Sandbox::start();
    let project = limited_project(&sandbox, "10");
    fleet(&project, 20, "first");
    project.run(&["apply", "-auto-approve"]).assert_code(0);
    // Vonage at 5 a second asking for 5 s; the client told 10 a second.
    // Renames: one PATCH per page, each to a path of its own.
    sandbox.set_faults(json!({"rate_limit": 5, "retry_after": 5}));
    assert_eq!(
        sandbox.set_faults(json!({}))["retry_after"],
        5,
        "the fault reads back"
    );
    fleet(&project, 20, "second");
    sandbox.clear_requests();
    project
        .run(&["apply", "-auto-approve", "--parallelism", "16"])
        .assert_code(0);
    let entries = log(&sandbox);
    let refused = entries
        .iter()
        .position(|e| e["status"] == 429)
        .expect("a client told 10/s meets the API's 5/s");
    let at = |e: &Value| e["at_ms"].as_u64().unwrap();
    let first = &entries[refused];
    // Its retry, the next request to the same path, waited the 5 s.
    let retry = entries[refused + 1..]
        .iter()
        .find(|e| {
            e["path"] == first["path"]
                && e["method"] == first["method"]
                && e["query"] == first["query"]
        })
        .expect("the refused call is made again");
    assert!(
        at(retry) >= at(first) + 5000,
        "retried after {} ms",
        at(retry) - at(first)
    );
    // Meanwhile the others went on: some were admitted inside those 5 s.
    let admitted_meanwhile = entries
        .iter()
        .filter(|e| e["status"].as_u64().is_some_and(|s| s < 300))
        .filter(|e| at(e) > at(first) && at(e) < at(retry))
        .count();
    assert!(admitted_meanwhile > 0, "{entries:#?}");
    assert_eq!(admitted_mutations(&sandbox).len(), 20);
    // Without a Retry-After (as Vonage documents none) it converges too.
    sandbox.set_faults(json!({"retry_after": null}));
    assert_eq!(sandbox.set_faults(json!({}))["retry_after"], Value::Null);
    fleet(&project, 20, "third");
    project
        .run(&["apply", "-auto-approve", "--parallelism", "4"])
        .assert_code(0);
    project.run(&["plan", "-detailed-exitcode"]).assert_code(0);
}

#[test]
fn the_plan_says_how_long_its_calls_take_at_the_rate() {
    let sandbox = Sandbox::start();
    let project = limited_project(&sandbox, "30");
    fleet(&project, 200, "first");
    let run = project.run(&["plan"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .ends_with("Plan: 200 to connect. API calls: 200\n200 calls at 30/s: about 7 s\n"),
        "{}",
        run.stdout
    );
    // The provider block's rate, when no flag or variable overrides it.
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_token", TOKEN);
    fleet(&project, 200, "first");
    let text = std::fs::read_to_string(project.path().join("main.hcl")).unwrap();
    project.write(
        "main.hcl",
        &format!("provider \"vonage\" {{\n  requests_per_second = 20\n}}\n\n{text}"),
    );
    let output = project
        .command(&["plan"])
        .env_remove("SOCIALFORM_RATE_LIMIT")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&output.stdout).ends_with("200 calls at 20/s: about 10 s\n"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn rates_that_are_not_numbers_are_refused_where_they_are_written() {
    Test::new()
        .write(
            "main.hcl",
            "provider \"vonage\" {\n  endpoint            = \"sandbox\"\n  requests_per_second = \"fast\"\n}\n",
        )
        .args(["validate"])
        .stderr(
            r#"
            error: [DIR]/main.hcl:3:25: requests_per_second must be a number from 0 to 10000, got string
              |
            3 |   requests_per_second = "fast"
              |                         ^^^^^^
              |
              = help: write requests_per_second = 30 (Vonage's documented default per API key), or 0 for no client-side limit
            "#,
        )
        .status(1)
        .run();
    let run = Command::new(bin())
        .args(["plan", "--rate-limit=abc"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("a number of requests a second from 0 (no limit) to 10000"),
        "{stderr}"
    );
}
