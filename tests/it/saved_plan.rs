//! `plan --out FILE` then `apply FILE`: exactly the reviewed plan, or
//! nothing at all when the plan went stale.

use crate::support::*;
use serde_json::json;

const TOKEN: &str = "EAAB-saved-plan-token";

fn config(name: &str) -> String {
    format!(
        r#"
variable "token" {{
  sensitive = true
}}

page "support" {{
  page_id      = "107100000000001"
  name         = "{name}"
  access_token = var.token
}}

link "bot" {{
  page        = page.support.page_id
  application = "{APP1}"
}}
"#
    )
}

fn project(sandbox: &Sandbox) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_token", TOKEN);
    project.write("main.hcl", &config("Acme Support"));
    project
}

fn save_plan(project: &Project) -> String {
    let path = project.path().join("reviewed.plan");
    let run = project.run(&["plan", "-out", path.to_str().unwrap()]);
    run.assert_code(0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(TOKEN), "the saved plan holds no token");
    assert!(!text.contains("sandbox"), "nor a credential");
    path.to_str().unwrap().to_string()
}

#[test]
fn a_saved_plan_applies_exactly_without_asking() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox);
    let path = save_plan(&project);

    Test::on(&project)
        .args(["show", &path])
        .replace(&path, "[PLAN]")
        .stdout(
            r#"
            Saved plan made [TIME] (state serial 0).

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
            "#,
        )
        .run();
    let planned = project.run(&["show", &path, "--json"]).planned_calls();

    // No terminal and no --auto-approve: a saved plan needs no prompt.
    let planned: Vec<&str> = planned.iter().map(String::as_str).collect();
    Test::on(&project)
        .args(["apply", &path])
        .replace(&path, "[PLAN]")
        .stdout(
            r#"
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
            page.support, link.bot: POST /beta/chatapp-accounts/messenger ...
            page.support, link.bot: done [T]

            Apply complete! 1 connected, 1 linked. API calls: 1
            "#,
        )
        .requests(&planned)
        .run();
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

/// `apply PLAN` refuses, with exactly `why`, and calls nothing.
fn assert_stale(project: &Project, sandbox: &Sandbox, path: &str, why: &str) {
    sandbox.clear_requests();
    Test::on(project)
        .args(["apply", path])
        .replace(path, "[PLAN]")
        .stderr(&format!(
            "\n            error: the saved plan is stale: {why}; make a new one with `socialform plan --out FILE`\n            "
        ))
        .status(1)
        .run();
    assert!(sandbox.mutations().is_empty(), "a stale plan makes no call");
}

#[test]
fn a_plan_is_stale_once_state_moved() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox);
    let path = save_plan(&project);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    assert_stale(
        &project,
        &sandbox,
        &path,
        "the state changed since it was made (serial 0 is now 1: link.bot added, page.support added)",
    );
}

#[test]
fn a_plan_is_stale_once_the_configuration_changed() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox);
    let path = save_plan(&project);
    project.write("main.hcl", &config("Another name"));
    assert_stale(
        &project,
        &sandbox,
        &path,
        "the configuration (or a variable or token it uses) changed since it was made: page.support changed",
    );
}

#[test]
fn a_plan_is_stale_once_the_token_changed() {
    let sandbox = Sandbox::start();
    let mut project = project(&sandbox);
    let path = save_plan(&project);
    project.env("SF_VAR_token", "EAAB-another-token");
    assert_stale(
        &project,
        &sandbox,
        &path,
        "the configuration (or a variable or token it uses) changed since it was made: page.support changed",
    );
}

/// A page added in another file: named as added, the old ones untouched.
#[test]
fn a_plan_is_stale_once_a_block_was_added() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox);
    let path = save_plan(&project);
    project.write(
        "extra.hcl",
        "page \"second\" {\n  page_id      = \"107100000000002\"\n  access_token = var.token\n}\n",
    );
    assert_stale(
        &project,
        &sandbox,
        &path,
        "the configuration (or a variable or token it uses) changed since it was made: page.second added",
    );
}

#[test]
fn a_plan_is_stale_once_the_remote_side_changed() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox);
    let path = save_plan(&project);
    let (status, _) = sandbox.api(
        "POST",
        &format!("{ACCOUNTS}/messenger"),
        Some(json!({"external_id": "107100000000001", "access_token": "EAAB-someone-else"})),
    );
    assert_eq!(status, 201);
    assert_stale(
        &project,
        &sandbox,
        &path,
        "the remote side changed since it was made: link.bot is planned differently now, page.support is planned differently now",
    );
}

#[test]
fn something_else_than_a_plan_is_refused() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox);
    Test::on(&project)
        .args(["apply", "main.hcl"])
        .stderr("
            error: [DIR]/main.hcl is not a socialform plan file (expected value at line 2 column 1); make one with `socialform plan --out FILE`
            ")
        .status(1)
        .run();
}
