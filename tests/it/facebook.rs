//! Page tokens from Facebook and their health, through the binary against
//! `sandbox serve`, whose Graph emulator plays Facebook.

use crate::support::*;
use serde_json::{Value, json};

const USER_TOKEN: &str = "EAAuser-token-under-test-0001";
const APP_ID: &str = "424242424242";
const APP_SECRET: &str = "app-secret-under-test-0001";

/// A Facebook user who manages `pages` (id, name); their page tokens.
fn facebook_user(sandbox: &Sandbox, pages: &[(&str, &str)]) -> Vec<String> {
    let pages: Vec<Value> = pages
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    let (status, body) = sandbox.api(
        "POST",
        "/_sandbox/facebook/users",
        Some(json!({"user_token": USER_TOKEN, "pages": pages})),
    );
    assert_eq!(status, 201, "{body}");
    body["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["access_token"].as_str().unwrap().to_string())
        .collect()
}

/// Another token of `page_id`, expiring at `expires_at` (0: never); it is
/// what `/me/accounts` hands out from now on.
fn new_token(sandbox: &Sandbox, page_id: &str, expires_at: i64) -> String {
    let (status, body) = sandbox.api(
        "POST",
        "/_sandbox/facebook/tokens",
        Some(json!({"page_id": page_id, "expires_at": expires_at})),
    );
    assert_eq!(status, 201, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

fn revoke(sandbox: &Sandbox, token: &str) {
    let (status, body) = sandbox.api(
        "PUT",
        "/_sandbox/facebook/tokens",
        Some(json!({"access_token": token, "valid": false, "expires_at": 0})),
    );
    assert_eq!(status, 204, "{body}");
}

/// The token Vonage holds for a page, read from the emulated API.
fn held_token(sandbox: &Sandbox, page_id: &str) -> String {
    let page = sandbox.page(page_id).expect("the page is connected");
    page["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Graph requests in the sandbox's log, as `METHOD PATH`.
fn graph_requests(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .requests()
        .into_iter()
        .filter(|(_, path, _)| !path.starts_with("/beta/") && !path.starts_with("/v2/"))
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A project whose Facebook credentials come from the environment.
fn project(sandbox: &Sandbox, app: bool) -> Project {
    let mut project = Project::against(sandbox);
    project.env("FACEBOOK_GRAPH_ENDPOINT", &sandbox.url);
    project.env("FACEBOOK_USER_TOKEN", USER_TOKEN);
    if app {
        project.env("FACEBOOK_APP_ID", APP_ID);
        project.env("FACEBOOK_APP_SECRET", APP_SECRET);
    }
    project
}

const TWO_PAGES: &str = r#"
page "support" {
  page_id = "107300000000001"
  name    = "Acme Support"
}

page "sales" {
  page_id = "107300000000002"
}

link "bot" {
  page        = page.support.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
"#;

fn assert_no_secret(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "a secret leaked:\n{text}");
    }
}

#[test]
fn pages_without_a_token_are_connected_with_the_one_facebook_gives() {
    let sandbox = Sandbox::start();
    let tokens = facebook_user(
        &sandbox,
        &[
            ("107300000000001", "Acme Support"),
            ("107300000000002", "Acme Sales"),
        ],
    );
    let project = project(&sandbox, false);
    project.write("main.hcl", TWO_PAGES);
    let plan = project.run(&["plan", "--out", "p.sfplan"]);
    plan.assert_code(0);
    assert!(
        plan.stdout.contains("Plan: 2 to connect, 1 to link."),
        "{}",
        plan.stdout
    );
    let apply = project.run(&["apply", "p.sfplan"]);
    apply.assert_code(0);
    assert_eq!(held_token(&sandbox, "107300000000001"), tokens[0]);
    assert_eq!(held_token(&sandbox, "107300000000002"), tokens[1]);
    // One list read per run, never one request per page.
    sandbox.clear_requests();
    let again = project.run(&["plan", "--detailed-exitcode"]);
    again.assert_code(0);
    let graph = graph_requests(&sandbox);
    assert_eq!(
        graph.iter().filter(|r| r.contains("me/accounts")).count(),
        1,
        "{graph:?}"
    );

    let plan_file = std::fs::read(project.path().join("p.sfplan")).unwrap();
    let mut secrets: Vec<&str> = tokens.iter().map(String::as_str).collect();
    secrets.push(USER_TOKEN);
    for (path, bytes) in project.state_bytes() {
        if path.components().any(|c| c.as_os_str() == "sandbox") {
            continue;
        }
        for secret in &secrets {
            assert!(
                !contains_bytes(&bytes, secret),
                "{} holds a token",
                path.display()
            );
        }
    }
    for secret in &secrets {
        assert!(
            !contains_bytes(&plan_file, secret),
            "the saved plan holds a token"
        );
    }
    for run in [&plan, &apply, &again] {
        assert_no_secret(&run.stdout, &secrets);
        assert_no_secret(&run.stderr, &secrets);
    }
    let history = project.run(&["history", "--json"]);
    assert_no_secret(&history.stdout, &secrets);
}

#[test]
fn a_page_the_user_cannot_manage_fails_at_its_block_before_any_call() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let project = project(&sandbox, false);
    project.write("main.hcl", TWO_PAGES);
    let run = project.run(&["apply", "--auto-approve"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "main.hcl:7:6: page.sales: the Facebook user token cannot manage page 107300000000002"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("MESSAGING"), "{}", run.stderr);
    assert!(sandbox.mutations().is_empty());
}

#[test]
fn a_revoked_token_is_drift_and_plan_reconnects_it_with_the_reason() {
    let sandbox = Sandbox::start();
    let tokens = facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let project = project(&sandbox, true);
    project.write(
        "main.hcl",
        &TWO_PAGES[..TWO_PAGES.find("page \"sales\"").unwrap()],
    );
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    project.run(&["drift"]).assert_code(0);

    revoke(&sandbox, &tokens[0]);
    let drift = project.run(&["drift", "--json"]);
    drift.assert_code(2);
    let drifted = &drift.json()["drifted"];
    assert_eq!(drifted.as_array().unwrap().len(), 1, "{drifted}");
    assert_eq!(drifted[0]["kind"], "token_invalid");
    assert_eq!(drifted[0]["attribute"], "access_token");
    assert_eq!(
        drifted[0]["expected"],
        "a valid token of page 107300000000001"
    );
    assert!(!drifted[0]["actual"].as_str().unwrap().is_empty());

    sandbox.clear_requests();
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    assert_eq!(
        plan.planned_calls(),
        vec!["PATCH /beta/chatapp-accounts/messenger/107300000000001"]
    );
    let change = &plan.json()["changes"][0];
    assert_eq!(change["action"], "reconnect");
    assert!(
        change["reason"]
            .as_str()
            .unwrap()
            .starts_with("the token Vonage holds is invalid: "),
        "{change}"
    );
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let fresh = held_token(&sandbox, "107300000000001");
    assert_ne!(fresh, tokens[0]);
    project.run(&["drift"]).assert_code(0);
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn a_token_about_to_expire_is_reconnected_to_one_that_lasts_longer() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let soon = new_token(&sandbox, "107300000000001", now() + 3 * 86_400);
    let project = project(&sandbox, true);
    project.write(
        "main.hcl",
        &TWO_PAGES[..TWO_PAGES.find("page \"sales\"").unwrap()],
    );
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_eq!(held_token(&sandbox, "107300000000001"), soon);

    let drift = project.run(&["drift", "--json"]);
    drift.assert_code(2);
    let entry = &drift.json()["drifted"][0];
    assert_eq!(entry["kind"], "token_expiring", "{entry}");
    assert!(
        entry["actual"].as_str().unwrap().starts_with("expires 20"),
        "{entry}"
    );
    // Nothing lasts longer yet: plan says so and changes nothing.
    let waiting = project.run(&["plan", "--detailed-exitcode"]);
    waiting.assert_code(0);
    assert!(
        waiting
            .stdout
            .contains("Warning: page.support: the token Vonage holds expires"),
        "{}",
        waiting.stdout
    );
    assert!(
        waiting
            .stdout
            .contains("No changes can be planned: see the warning(s) above."),
        "{}",
        waiting.stdout
    );

    let later = new_token(&sandbox, "107300000000001", 0);
    let plan = project.run(&["plan", "--json"]);
    assert_eq!(
        plan.planned_calls(),
        vec!["PATCH /beta/chatapp-accounts/messenger/107300000000001"]
    );
    assert!(
        plan.json()["changes"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("the token Vonage holds expires "),
        "{}",
        plan.stdout
    );
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_eq!(held_token(&sandbox, "107300000000001"), later);
    project.run(&["drift"]).assert_code(0);
    let tokens = project.run(&["tokens"]);
    tokens.assert_code(0);
    assert!(tokens.stdout.contains("page.support"), "{}", tokens.stdout);
    assert!(
        tokens.stdout.contains("valid, never expires"),
        "{}",
        tokens.stdout
    );
}

#[test]
fn an_invalid_configured_token_stops_the_run_before_any_call() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let mut project = project(&sandbox, false);
    project.env("SF_VAR_support_token", "EAAnot-a-token-facebook-knows");
    project.write(
        "main.hcl",
        r#"variable "support_token" {
  sensitive = true
}

page "support" {
  page_id      = "107300000000001"
  access_token = var.support_token
}
"#,
    );
    let run = project.run(&["apply", "--auto-approve"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("main.hcl:5:6: page.support: the access token about to be sent is invalid"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("EAAnot-a-token"), "{}", run.stderr);
    assert!(sandbox.mutations().is_empty());
}

#[test]
fn for_each_over_120_facebook_pages_checks_tokens_in_batches_of_50() {
    let sandbox = Sandbox::start();
    let ids: Vec<String> = (0..120).map(|i| format!("1074{i:011}")).collect();
    let pages: Vec<(&str, &str)> = ids
        .iter()
        .map(|id| (id.as_str(), "Regional page"))
        .collect();
    facebook_user(&sandbox, &pages);
    let project = project(&sandbox, true);
    project.write(
        "main.hcl",
        r#"data "facebook_pages" "managed" {}

page "region" {
  for_each = data.facebook_pages.managed.pages
  page_id  = each.key
  name     = each.value.name
}
"#,
    );
    project.run(&["validate"]).assert_code(0);
    sandbox.clear_requests();
    let apply = project.run(&["apply", "--auto-approve"]);
    apply.assert_code(0);
    assert!(
        apply.stdout.contains("Apply complete! 120 connected."),
        "{}",
        apply.stdout
    );
    let graph = graph_requests(&sandbox);
    let lists = graph.iter().filter(|r| r.contains("me/accounts")).count();
    let batches = graph.iter().filter(|r| r.starts_with("POST")).count();
    assert_eq!((lists, batches), (2, 3), "{graph:?}");

    sandbox.clear_requests();
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
    let graph = graph_requests(&sandbox);
    let batches = graph.iter().filter(|r| r.starts_with("POST")).count();
    assert_eq!(batches, 3, "{graph:?}");
}

/// Graph misbehaving: every answer that is not Graph's JSON, and
/// throttling, are retried; when they last, the run fails clearly, naming
/// Graph, before any Vonage call.
#[test]
fn graph_faults_are_retried_and_a_lasting_one_fails_clearly() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let project = project(&sandbox, false);
    project.write(
        "main.hcl",
        &TWO_PAGES[..TWO_PAGES.find("page \"sales\"").unwrap()],
    );
    for kind in ["html", "server_error", "throttle", "malformed_json"] {
        let (status, body) = sandbox.api(
            "POST",
            "/_sandbox/facebook/faults",
            Some(json!({"kind": kind, "times": 1})),
        );
        assert_eq!(status, 204, "{body}");
        let run = project.run(&["plan", "--max-retries", "2"]);
        run.assert_code(0);
        assert!(
            run.stdout.contains("Plan: 1 to connect."),
            "{kind}: {}",
            run.stdout
        );
    }
    for (kind, says) in [
        ("html", "not Graph's JSON"),
        ("server_error", "Graph API answered 500"),
        ("throttle", "code 4"),
        ("malformed_json", "could not be read"),
    ] {
        let (status, _) = sandbox.api(
            "POST",
            "/_sandbox/facebook/faults",
            Some(json!({"kind": kind, "times": 50})),
        );
        assert_eq!(status, 204);
        let run = project.run(&["apply", "--auto-approve", "--max-retries", "1"]);
        run.assert_code(1);
        assert!(run.stderr.contains(says), "{kind}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert_no_secret(&run.stderr, &[USER_TOKEN]);
        assert!(sandbox.mutations().is_empty());
        let (status, _) = sandbox.api("DELETE", "/_sandbox/facebook/faults", None);
        assert!(status < 300);
    }
}

/// `-vvv` logs every HTTP request; none of them shows a token or the app
/// secret.
#[test]
fn no_token_or_app_secret_in_trace_logs() {
    let sandbox = Sandbox::start();
    let tokens = facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let project = project(&sandbox, true);
    project.write(
        "main.hcl",
        &TWO_PAGES[..TWO_PAGES.find("page \"sales\"").unwrap()],
    );
    let run = project.run(&["apply", "--auto-approve", "-vvv"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("graph"),
        "no Graph request was logged:\n{}",
        run.stderr
    );
    let drift = project.run(&["drift", "-vvv"]);
    drift.assert_code(0);
    for text in [&run.stdout, &run.stderr, &drift.stdout, &drift.stderr] {
        assert_no_secret(text, &[USER_TOKEN, APP_SECRET, &tokens[0]]);
    }
}

#[test]
fn tokens_lists_every_managed_page_and_the_pages_not_connected() {
    let sandbox = Sandbox::start();
    let tokens = facebook_user(
        &sandbox,
        &[
            ("107300000000001", "Acme Support"),
            ("107300000000003", "Acme Returns"),
        ],
    );
    let project = project(&sandbox, true);
    project.write(
        "main.hcl",
        &TWO_PAGES[..TWO_PAGES.find("page \"sales\"").unwrap()],
    );
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let ok = project.run(&["tokens"]);
    ok.assert_code(0);
    assert!(
        ok.stdout
            .contains("page.support  107300000000001  valid, never expires"),
        "{}",
        ok.stdout
    );
    assert!(
        ok.stdout.contains("107300000000003  Acme Returns"),
        "{}",
        ok.stdout
    );

    // With the user token alone, `me` says valid but not until when.
    let unknown = project
        .command(&["tokens"])
        .env_remove("FACEBOOK_APP_ID")
        .env_remove("FACEBOOK_APP_SECRET")
        .output()
        .unwrap();
    let unknown = String::from_utf8_lossy(&unknown.stdout);
    assert!(
        unknown.contains("page.support  107300000000001  valid, expiry unknown"),
        "{unknown}"
    );
    assert!(unknown.contains("FACEBOOK_APP_ID"), "{unknown}");

    revoke(&sandbox, &tokens[0]);
    let bad = project.run(&["tokens", "--json"]);
    bad.assert_code(2);
    let page = &bad.json()["pages"][0];
    assert_eq!(page["address"], "page.support");
    assert_eq!(page["token"]["valid"], false);
    assert!(!page["token"]["reason"].as_str().unwrap().is_empty());
    assert_no_secret(&bad.stdout, &[USER_TOKEN, APP_SECRET, &tokens[0]]);

    // Without any Facebook credentials there is nothing to check with.
    let mut bare = Project::against(&sandbox);
    bare.env("SF_VAR_unused", "x");
    bare.write(
        "main.hcl",
        "page \"p\" {\n  page_id      = \"107300000000001\"\n  access_token = \"EAAx\"\n}\n",
    );
    let none = bare.run(&["tokens"]);
    none.assert_code(1);
    assert!(
        none.stderr.contains("no Facebook credentials"),
        "{}",
        none.stderr
    );
}

/// The example walks the whole flow against the built-in sandbox, with no
/// account anywhere.
#[test]
fn the_facebook_login_example_plans_and_applies_in_the_built_in_sandbox() {
    let project = Project::new();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/facebook-login/main.hcl"
    );
    project.write("main.hcl", &std::fs::read_to_string(example).unwrap());
    let apply = project.run(&["apply", "--auto-approve"]);
    apply.assert_code(0);
    assert!(
        apply
            .stdout
            .contains("Apply complete! 3 connected, 1 linked."),
        "{}",
        apply.stdout
    );
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
    project.run(&["drift"]).assert_code(0);
    let tokens = project.run(&["tokens"]);
    tokens.assert_code(0);
    assert_eq!(
        tokens.stdout.matches("valid, never expires").count(),
        3,
        "{}",
        tokens.stdout
    );
}
