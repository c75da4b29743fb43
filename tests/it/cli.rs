//! CLI behaviour against the sandbox: adoption, drift repair, application
//! checks, confirmation, flags, targets, locking and the quickstart.

use crate::support::*;
use serde_json::json;

const TOKEN: &str = "EAAB-cli-test-token";

fn one_page(app: &str) -> String {
    format!(
        r#"
page "support" {{
  page_id      = "107100000000001"
  name         = "Acme Support"
  access_token = "{TOKEN}"
}}

link "bot" {{
  page        = page.support.page_id
  application = "{app}"
}}
"#
    )
}

fn connect_by_hand(sandbox: &Sandbox, page_id: &str, name: &str, token: &str, apps: &[&str]) {
    let (status, body) = sandbox.api(
        "POST",
        &format!("{ACCOUNTS}/messenger"),
        Some(json!({"external_id": page_id, "name": name, "access_token": token, "applications": apps})),
    );
    assert_eq!(status, 201, "{body}");
}

#[test]
fn a_page_connected_by_hand_is_adopted_not_connected_twice() {
    let sandbox = Sandbox::start();
    connect_by_hand(&sandbox, "107100000000001", "Acme Support", TOKEN, &[APP1]);
    let project = Project::against(&sandbox);
    project.write("main.hcl", &one_page(APP1));

    Test::on(&project)
        .arg("plan")
        .stdout(
            r#"
        socialform will perform the following actions:

          # page.support will be imported (already connected)
            (already connected to the account; adopted by its page ID)
          <= page.support {
              + page_id = "107100000000001"
            }

        Plan: 1 to import. API calls: 0
        "#,
        )
        .run();
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support will be imported (already connected)
                (already connected to the account; adopted by its page ID)
              <= page.support {
                  + page_id = "107100000000001"
                }

            Plan: 1 to import. API calls: 0
            Apply complete! 1 imported. API calls: 0
            "#,
        )
        .requests(&[])
        .run();
    let state = project.run(&["show", "--json"]);
    let state = state.json();
    assert_eq!(state["pages"][0]["address"], "page.support");
    assert_eq!(state["links"][0]["application"], APP1);
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn drift_made_by_hand_is_shown_and_repaired() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &one_page(APP1));
    project.run(&["apply", "--auto-approve"]).assert_code(0);

    // Someone unlinks the page and renames it in the dashboard.
    let (status, _) = sandbox.api(
        "DELETE",
        &format!("{ACCOUNTS}/messenger/107100000000001/applications/{APP1}"),
        None,
    );
    assert_eq!(status, 204);
    let (status, _) = sandbox.api(
        "PATCH",
        &format!("{ACCOUNTS}/messenger/107100000000001"),
        Some(json!({"name": "Renamed by hand"})),
    );
    assert_eq!(status, 200);

    let plan = project.run(&["plan", "--json", "--detailed-exitcode"]);
    plan.assert_code(2);
    let document = plan.json();
    let drift: Vec<(String, String)> = document["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["address"].as_str().unwrap().into(),
                d["attribute"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        drift,
        vec![
            ("page.support".into(), "name".into()),
            ("link.bot".into(), "application".into())
        ]
    );
    assert_eq!(
        plan.planned_calls(),
        vec![
            format!("PATCH {ACCOUNTS}/messenger/107100000000001"),
            format!("POST {ACCOUNTS}/messenger/107100000000001/applications"),
        ]
    );
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let page = sandbox.page("107100000000001").unwrap();
    assert_eq!(page["name"], "Acme Support");
    assert_eq!(page["applications"], json!([APP1]));
}

#[test]
fn a_link_to_an_application_without_messages_fails_before_any_call() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &one_page(NO_MESSAGES_APP));
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout("")
        .stderr("
            error: link.bot ([DIR]/main.hcl:8:6): application c0ffee00-0000-4000-8000-000000000003 (Voice IVR (no Messages)) has no Messages capability, so a page cannot be linked to it
              help: enable Messages on the application (inbound and status webhooks), or link another application
            ")
        .status(1)
        .requests(&[])
        .run();
}

#[test]
fn apply_without_a_terminal_or_auto_approve_refuses_and_changes_nothing() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &one_page(APP1));
    Test::on(&project)
        .arg("apply")
        .stdout(r#"
            socialform will perform the following actions:

              # page.support will be connected
                (not in state)
              + page.support {
                  + page_id      = "107100000000001"
                  + name         = "Acme Support"
                  + access_token = (sensitive value)
                }

              # link.bot will be linked
                (not in state)
              + link.bot {
                  + page        = "107100000000001"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.support, link.bot)

            Plan: 1 to connect, 1 to link. API calls: 1
            "#)
        .stderr("
            error: this needs confirmation but stdin is not a terminal; re-run with --auto-approve, or save the plan with `socialform plan --out FILE` and apply that file
            ")
        .status(1)
        .requests(&[])
        .run();
    assert!(sandbox.pages().is_empty());
}

#[test]
fn terraform_style_single_dash_flags_work() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &one_page(APP1));
    project.run(&["plan", "-detailed-exitcode"]).assert_code(2);
    let json = project.run(&["plan", "-json"]);
    json.assert_code(0);
    assert_eq!(json.json()["format_version"], "1.1");
    project
        .run(&["apply", "-auto-approve", "-parallelism=2"])
        .assert_code(0);
    project.run(&["plan", "-detailed-exitcode"]).assert_code(0);
}

#[test]
fn target_limits_the_plan_to_a_page_and_leaves_the_rest() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write(
        "main.hcl",
        &format!(
            r#"
page "a" {{
  page_id      = "1001"
  access_token = "{TOKEN}"
}}
page "b" {{
  page_id      = "1002"
  access_token = "{TOKEN}"
}}
"#
        ),
    );
    sandbox.clear_requests();
    let run = project.run(&["apply", "--auto-approve", "--target", "page.a", "--json"]);
    run.assert_code(0);
    assert_eq!(
        sandbox.mutations(),
        vec![format!("POST {ACCOUNTS}/messenger")]
    );
    assert!(sandbox.page("1001").is_some());
    assert!(sandbox.page("1002").is_none());
    let rest = project.run(&["plan", "--json"]);
    assert_eq!(rest.json()["summary"]["connect"], 1);
}

#[test]
fn refresh_false_trusts_state_and_reads_nothing() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &one_page(APP1));
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    sandbox.clear_requests();
    project
        .run(&["plan", "--refresh=false", "--detailed-exitcode"])
        .assert_code(0);
    assert!(sandbox.requests().is_empty(), "{:?}", sandbox.requests());
}

#[test]
fn plan_json_is_the_contract_document() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &one_page(APP1));
    let run = project.run(&["plan", "--json"]);
    run.assert_code(0);
    let document = run.json();
    assert_eq!(
        document,
        json!({
            "format_version": "1.1",
            "changes": [
                {"address": "page.support", "action": "connect", "reason": "not in state",
                 "before": null,
                 "after": {"page_id": "107100000000001", "name": "Acme Support"},
                 "sensitive": ["access_token"]},
                {"address": "link.bot", "action": "link", "reason": "not in state",
                 "before": null,
                 "after": {"page": "107100000000001", "application": APP1},
                 "sensitive": []}
            ],
            "drift": [],
            "calls": [
                {"method": "POST", "path": "/beta/chatapp-accounts/messenger",
                 "addresses": ["page.support", "link.bot"]}
            ],
            "summary": {"connect": 1, "update": 0, "reconnect": 0, "disconnect": 0,
                        "replace": 0, "link": 1, "unlink": 0, "relink": 0, "calls": 1},
            // Terraform's layout: whole objects, the token only marked.
            "resource_changes": [
                {"address": "page.support", "mode": "managed", "type": "page",
                 "name": "support", "provider_name": "vonage",
                 "socialform_actions": ["connect"],
                 "change": {"actions": ["create"], "before": null,
                            "after": {"page_id": "107100000000001", "name": "Acme Support"},
                            "after_unknown": {}, "before_sensitive": false,
                            "after_sensitive": {"access_token": true}}},
                {"address": "link.bot", "mode": "managed", "type": "link",
                 "name": "bot", "provider_name": "vonage",
                 "socialform_actions": ["link"],
                 "change": {"actions": ["create"], "before": null,
                            "after": {"page": "107100000000001", "application": APP1,
                                      "channel": "messenger"},
                            "after_unknown": {}, "before_sensitive": false,
                            "after_sensitive": {}}}
            ]
        })
    );
    assert!(!run.stdout.contains(TOKEN));
}

#[test]
fn a_second_process_is_told_who_holds_the_state_lock() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &one_page(APP1));
    let state_dir = project.path().join("state");
    use socialform::state::StateBackend;
    let lock = socialform::state::LocalBackend::new(&state_dir)
        .open(&socialform::state::LockRequest::immediate("apply"))
        .unwrap();
    // The message names the holder's pid, start time and host: only the
    // pid is known here.
    let run = project.run(&["plan"]);
    run.assert_code(1);
    assert!(run.stderr.contains("locked"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&std::process::id().to_string()),
        "{}",
        run.stderr
    );
    drop(lock);
    project.run(&["plan"]).assert_code(0);
}

#[test]
fn missing_credentials_are_a_clear_error() {
    let project = Project::new();
    project.write("main.hcl", &one_page(APP1));
    Test::on(&project)
        .arg("plan")
        .stderr(r#"
            error: no Vonage API key: set VONAGE_API_KEY, or api_key in the provider "vonage" block (or endpoint = "sandbox" to try socialform against the built-in emulator)
            "#)
        .status(1)
        .run();
}

#[test]
fn the_quickstart_runs_against_the_embedded_sandbox() {
    let project = Project::new();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    for file in ["main.hcl", "socialform.sfvars"] {
        project.write(file, &std::fs::read_to_string(example.join(file)).unwrap());
    }
    let apply = project.run(&["apply", "--auto-approve"]);
    apply.assert_code(0);
    assert!(
        apply
            .stdout
            .contains("Plan: 2 to connect, 2 to link. API calls: 2"),
        "{}",
        apply.stdout
    );
    assert!(apply.stdout.contains("Apply complete!"), "{}", apply.stdout);
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
    // socialform's own state never holds a token (the embedded sandbox's
    // emulated account keeps them sealed, like the real service would).
    for (path, bytes) in project.state_bytes() {
        assert!(
            !contains_bytes(&bytes, "sandbox-token-support"),
            "{} holds a token",
            path.display()
        );
    }
}

#[test]
fn configuration_errors_exit_1_with_a_location() {
    let project = Project::new();
    project.write(
        "main.hcl",
        "page \"x\" {\n  page_id = \"12ab\"\n  access_token = \"t\"\n}\n",
    );
    Test::on(&project)
        .arg("validate")
        .stderr(
            r#"
            error: [DIR]/main.hcl:2:13: page_id must be all digits (a Facebook Page ID), got "12ab"
              |
            2 |   page_id = "12ab"
              |             ^^^^^^
              |
              = help: copy the numeric Page ID from the page's About section
            "#,
        )
        .status(1)
        .run();
}

#[test]
fn validate_reports_success() {
    let project = Project::new();
    project.write("main.hcl", &one_page(APP1));
    Test::on(&project)
        .arg("validate")
        .stdout("Success! The configuration is valid: 1 page(s), 1 link(s).\n")
        .run();
}

#[test]
fn every_example_applies_and_then_has_nothing_to_do() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for example in ["quickstart", "fleet", "move-application", "whatsapp"] {
        let project = Project::new();
        for entry in std::fs::read_dir(examples.join(example)).unwrap() {
            let path = entry.unwrap().path();
            let is_config = path
                .extension()
                .is_some_and(|e| e == "hcl" || e == "sfvars");
            if is_config {
                let name = path.file_name().unwrap().to_str().unwrap();
                project.write(name, &std::fs::read_to_string(&path).unwrap());
            }
        }
        let apply = project.run(&["apply", "--auto-approve"]);
        assert_eq!(apply.code, 0, "{example}: {}{}", apply.stdout, apply.stderr);
        assert!(
            apply.stdout.contains("Apply complete!"),
            "{example}: {}",
            apply.stdout
        );
        let plan = project.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "{example} is not converged: {}", plan.stdout);
    }
}
