//! `socialform drift` after changes made straight through the API, with and
//! without state, with and without the page tokens.

use crate::support::*;
use serde_json::json;

const TOKEN: &str = "EAAB-drift-token-1";

fn config() -> String {
    format!(
        r#"
variable "support_token" {{
  type      = string
  sensitive = true
}}

page "support" {{
  page_id      = "107100000000001"
  name         = "Acme Support"
  access_token = var.support_token
}}

link "bot" {{
  page        = page.support.page_id
  application = "{APP1}"
}}
"#
    )
}

fn applied(sandbox: &Sandbox) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_support_token", TOKEN);
    project.write("main.hcl", &config());
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    project
}

/// The dashboard-side changes: unlink, rename, rotate the token, and
/// connect a page no configuration knows.
fn drift_by_hand(sandbox: &Sandbox) {
    let page = format!("{ACCOUNTS}/messenger/107100000000001");
    assert_eq!(
        sandbox
            .api("DELETE", &format!("{page}/applications/{APP1}"), None)
            .0,
        204
    );
    let (status, _) = sandbox.api(
        "PATCH",
        &page,
        Some(json!({"name": "Renamed by hand", "access_token": "EAAB-rotated-by-hand"})),
    );
    assert_eq!(status, 200);
    let (status, _) = sandbox.api(
        "POST",
        &format!("{ACCOUNTS}/messenger"),
        Some(
            json!({"external_id": "107100000000099", "name": "Stray page",
                    "access_token": "EAAB-stray", "applications": [APP2]}),
        ),
    );
    assert_eq!(status, 201);
}

fn drifted(document: &serde_json::Value) -> Vec<(String, String, String)> {
    document["drifted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["address"].as_str().unwrap().into(),
                d["kind"].as_str().unwrap().into(),
                d["attribute"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn expected_drift() -> Vec<(String, String, String)> {
    vec![
        ("page.support".into(), "changed".into(), "name".into()),
        (
            "page.support".into(),
            "changed".into(),
            "access_token".into(),
        ),
        ("link.bot".into(), "deleted".into(), "application".into()),
    ]
}

#[test]
fn in_sync_is_exit_0_and_changes_nothing() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    sandbox.clear_requests();
    Test::on(&project)
        .arg("drift")
        .stdout("note: page tokens not checked with Facebook (no Facebook credentials: FACEBOOK_USER_TOKEN or a provider \"facebook\" block)\n\nNo drift: 2 managed resource(s) match the remote side.\n")
        .run();
    assert!(sandbox.mutations().is_empty());
}

#[test]
fn drift_with_state_is_reported_in_json_and_exit_2() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    drift_by_hand(&sandbox);
    sandbox.clear_requests();
    let run = project.run(&["drift", "--json"]);
    run.assert_code(2);
    let document = run.json();
    assert_eq!(drifted(&document), expected_drift());
    assert_eq!(document["drifted"][0]["expected"], "Acme Support");
    assert_eq!(document["drifted"][0]["actual"], "Renamed by hand");
    assert_eq!(document["drifted"][1]["expected"], "(sensitive value)");
    assert_eq!(
        document["unmanaged"],
        json!([{"provider": "messenger", "external_id": "107100000000099",
                "name": "Stray page", "applications": [APP2]}])
    );
    assert_eq!(
        document["summary"],
        json!({"managed": 2, "drifted": 3, "unmanaged": 1})
    );
    assert!(sandbox.mutations().is_empty(), "drift changes nothing");
    for secret in [TOKEN, "EAAB-rotated-by-hand", "EAAB-stray"] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    }
    // plan --detailed-exitcode agrees that there is something to repair.
    project.run(&["plan", "--detailed-exitcode"]).assert_code(2);
}

#[test]
fn drift_without_state_compares_configuration_with_the_remote_side() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    drift_by_hand(&sandbox);
    // A CI job with the repository and credentials, but no state.
    std::fs::remove_dir_all(project.path().join("state")).unwrap();
    let run = project.run(&["drift", "--json"]);
    run.assert_code(2);
    let document = run.json();
    assert_eq!(drifted(&document), expected_drift());
    assert_eq!(document["summary"]["unmanaged"], 1);
    assert!(
        !project.path().join("state").exists(),
        "drift leaves no state behind"
    );
}

#[test]
fn drift_without_the_page_tokens_skips_only_the_token_comparison() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    drift_by_hand(&sandbox);
    std::fs::remove_dir_all(project.path().join("state")).unwrap();
    let mut ci = Project::against(&sandbox);
    ci.write("main.hcl", &config());
    let _ = &mut ci;
    Test::on(&ci)
        .arg("drift")
        .stdout(r#"
            Drift: 2 change(s) made outside socialform
              # page.support: name changed from "Acme Support" to "Renamed by hand"
              # link.bot was unlinked (expected application c0ffee00-0000-4000-8000-000000000001)

            note: the access_token of page.support was not compared: its variable is unset and there is no state

            note: page tokens not checked with Facebook (no Facebook credentials: FACEBOOK_USER_TOKEN or a provider "facebook" block)

            Unmanaged: 1 page(s) connected to the account and declared nowhere
              107100000000099 "Stray page" (linked to c0ffee00-0000-4000-8000-000000000002)

            Drift detected: 2 drifted, 1 unmanaged, 2 managed.
            "#)
        .status(2)
        .run();
}

#[test]
fn ignore_unmanaged_leaves_stray_pages_out() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    let (status, _) = sandbox.api(
        "POST",
        &format!("{ACCOUNTS}/messenger"),
        Some(json!({"external_id": "107100000000099", "access_token": "EAAB-stray"})),
    );
    assert_eq!(status, 201);
    project.run(&["drift"]).assert_code(2);
    let run = project.run(&["drift", "--ignore-unmanaged"]);
    run.assert_code(0);
}
