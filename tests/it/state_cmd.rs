//! `socialform state list / show / rm / mv / pull` against a state written
//! by a real apply (sandbox in its own process). None of them may call the API.

use crate::support::*;
use serde_json::Value;

const SUPPORT_TOKEN: &str = "EAAB-state-support-0001";
const SALES_TOKEN: &str = "EAAB-state-sales-0002";

fn config(support_block: &str) -> String {
    format!(
        r#"
variable "support_token" {{
  sensitive = true
}}
variable "sales_token" {{
  sensitive = true
}}

page "{support_block}" {{
  page_id      = "107100000000001"
  name         = "Acme Support"
  access_token = var.support_token
}}

page "sales" {{
  page_id      = "107100000000002"
  name         = "Acme Sales"
  access_token = var.sales_token
}}

link "support_bot" {{
  page        = page.{support_block}.page_id
  application = "{APP1}"
}}
"#
    )
}

fn applied(sandbox: &Sandbox) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_support_token", SUPPORT_TOKEN);
    project.env("SF_VAR_sales_token", SALES_TOKEN);
    project.write("main.hcl", &config("support"));
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    project
}

fn list(project: &Project) -> Vec<String> {
    let run = project.run(&["state", "list"]);
    run.assert_code(0);
    run.stdout.lines().map(str::to_string).collect()
}

fn assert_no_token(run: &Run) {
    for token in [SUPPORT_TOKEN, SALES_TOKEN] {
        assert!(!run.stdout.contains(token) && !run.stderr.contains(token));
    }
}

#[test]
fn no_state_is_said_and_not_an_error() {
    let project = Project::new();
    project.write("main.hcl", &config("support"));
    let run = project.run(&["state", "list"]);
    run.assert_code(0);
    assert_eq!(run.stdout, "");
    Test::on(&project)
        .args(["state", "show", "page.support"])
        .stdout("No state: nothing is managed yet.\n")
        .run();
    Test::on(&project)
        .args(["state", "pull"])
        .stderr("No state: nothing is managed yet.\n")
        .run();
    assert!(!project.path().join("state").join("db").exists());
    // Writing commands have nothing to work on: an error, and still no store.
    project.run(&["state", "rm", "page.support"]).assert_code(1);
    assert!(!project.path().join("state").join("db").exists());
}

#[test]
fn list_show_and_pull_read_state_without_calling_the_api() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    sandbox.clear_requests();

    assert_eq!(
        list(&project),
        vec!["link.support_bot", "page.sales", "page.support"]
    );

    Test::on(&project)
        .args(["state", "show", "page.support"])
        .stdout(
            r#"
            # page.support:
            page "support" {
              page_id      = "107100000000001"
              name         = "Acme Support"
              access_token = (sensitive value)
            }
            "#,
        )
        .run();
    Test::on(&project)
        .args(["state", "show", "link.support_bot"])
        .stdout(
            r#"
            # link.support_bot:
            link "support_bot" {
              page        = "107100000000001"  # page.support
              application = "c0ffee00-0000-4000-8000-000000000001"
            }
            "#,
        )
        .run();
    Test::on(&project)
        .args(["state", "show", "page.nope"])
        .stderr(
            "
            error: page.nope is not in state; `socialform state list` shows what is
            ",
        )
        .status(1)
        .run();

    let pull = project.run(&["state", "pull"]);
    pull.assert_code(0);
    assert_no_token(&pull);
    assert!(!pull.stdout.contains("fingerprint"), "{}", pull.stdout);
    let document = pull.json();
    assert_eq!(document["format_version"], "1.0");
    assert!(document["lineage"].as_str().is_some_and(|l| !l.is_empty()));
    assert!(document["serial"].as_u64().unwrap() >= 1);
    let pages: Vec<&str> = document["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["address"].as_str().unwrap())
        .collect();
    assert_eq!(pages, vec!["page.sales", "page.support"]);
    assert_eq!(document["links"][0]["address"], "link.support_bot");
    assert_eq!(document["links"][0]["application"], APP1);
    assert_eq!(document["links"][0]["page_id"], "107100000000001");

    assert!(sandbox.requests().is_empty(), "{:?}", sandbox.requests());
}

#[test]
fn mv_then_renaming_the_block_is_no_change() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    let serial_before = project.run(&["state", "pull"]).json()["serial"]
        .as_u64()
        .unwrap();
    sandbox.clear_requests();

    Test::on(&project)
        .args(["state", "mv", "page.support", "page.help"])
        .stdout(
            "
            Moved page.support to page.help
            Successfully moved 1 object(s).
            ",
        )
        .run();
    assert!(sandbox.requests().is_empty(), "state mv calls no API");
    assert_eq!(
        list(&project),
        vec!["link.support_bot", "page.help", "page.sales"]
    );
    // One atomic write: the serial moved by exactly one.
    let serial_after = project.run(&["state", "pull"]).json()["serial"]
        .as_u64()
        .unwrap();
    assert_eq!(serial_after, serial_before + 1);

    project.write("main.hcl", &config("help"));
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();

    // Refusals: kind change, taken destination, unknown source.
    for (from, to, expect) in [
        ("page.help", "link.help", "
            error: cannot move page.help to link.help: a page can only move to another page address
            "),
        ("page.help", "page.sales", "
            error: page.sales already in state; remove it first with `socialform state rm` or choose another address
            "),
        ("page.nope", "page.other", "
            error: page.nope is not in state; `socialform state list` shows what is
            "),
    ] {
        Test::on(&project)
            .args(["state", "mv", from, to])
            .stderr(expect)
            .status(1)
            .run();
    }
    assert_eq!(
        list(&project),
        vec!["link.support_bot", "page.help", "page.sales"]
    );
}

#[test]
fn rm_forgets_and_plan_adopts_instead_of_connecting() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    sandbox.clear_requests();

    Test::on(&project)
        .args(["state", "rm", "page.support"])
        .stdout(
            "
            Removed page.support
            Successfully removed 1 resource instance(s). The remote side was not changed.
            ",
        )
        .run();
    assert!(sandbox.requests().is_empty(), "state rm calls no API");
    assert!(sandbox.page("107100000000001").is_some(), "still connected");
    // Exactly the named address: the link recorded on that page stays.
    assert_eq!(list(&project), vec!["link.support_bot", "page.sales"]);

    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let changes = plan.json()["changes"].clone();
    assert_eq!(
        changes.as_array().unwrap().len(),
        1,
        "only the adoption: {changes}"
    );
    assert_eq!(changes[0]["address"], "page.support");
    assert_eq!(changes[0]["action"], "import");
    assert!(plan.planned_calls().is_empty(), "no connect call");
}

#[test]
fn rm_with_an_unknown_address_removes_nothing() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    let before = project.run(&["state", "pull"]).stdout;

    Test::on(&project)
        .args(["state", "rm", "page.sales", "page.nope", "link.gone"])
        .stderr("
            error: not in state: page.nope, link.gone; nothing was removed (`socialform state list` shows what is)
            ")
        .status(1)
        .run();
    assert_eq!(project.run(&["state", "pull"]).stdout, before);

    // A block address removes every instance; several addresses in one go.
    let rm = project.run(&["state", "rm", "page.sales", "link.support_bot"]);
    rm.assert_code(0);
    assert_eq!(list(&project), vec!["page.support"]);
}

#[test]
fn mutating_commands_take_a_lock_timeout() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    let run = project.run(&["state", "rm", "--lock-timeout", "1s", "link.support_bot"]);
    run.assert_code(0);
    let pull: Value = project.run(&["state", "pull"]).json();
    assert!(pull["links"].as_array().unwrap().is_empty());
}
