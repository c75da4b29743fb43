//! `moved { from = ADDR  to = ADDR }`: a renamed block keeps its page and
//! link, recorded under the new address with no API call.

use crate::support::*;

const TOKEN: &str = "EAAB-moved-support-0001";

fn config(page: &str, link: &str) -> String {
    format!(
        r#"
variable "support_token" {{
  sensitive = true
}}

page "{page}" {{
  page_id      = "107100000000021"
  name         = "Acme Support"
  access_token = var.support_token
}}

link "{link}" {{
  page        = page.{page}.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}}
"#
    )
}

const MOVED: &str = r#"
moved {
  from = page.support
  to   = page.help
}

moved {
  from = link.support_bot
  to   = link.help_bot
}
"#;

#[test]
fn a_moved_block_renames_state_with_no_api_call() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", TOKEN);
    project.write("main.hcl", &config("support", "support_bot"));
    project.run(&["apply", "--auto-approve"]).assert_code(0);

    project.write("main.hcl", &(config("help", "help_bot") + MOVED));
    Test::on(&project)
        .args(["plan"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support has moved to page.help
                (moved block: renamed in state only, no API call)

              # link.support_bot has moved to link.help_bot
                (moved block: renamed in state only, no API call)

            Plan: 2 to move. API calls: 0
            "#,
        )
        .requests(&[])
        .run();

    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support has moved to page.help
                (moved block: renamed in state only, no API call)

              # link.support_bot has moved to link.help_bot
                (moved block: renamed in state only, no API call)

            Plan: 2 to move. API calls: 0
            Apply complete! 2 moved. API calls: 0
            "#,
        )
        .requests(&[])
        .run();

    // The moved blocks stay in the configuration: their `from` is gone
    // from state, so they do nothing.
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
    Test::on(&project)
        .args(["state", "list"])
        .stdout("link.help_bot\npage.help\n")
        .run();
}

#[test]
fn the_json_plan_names_the_previous_address() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", TOKEN);
    project.write("main.hcl", &config("support", "support_bot"));
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    project.write("main.hcl", &(config("help", "help_bot") + MOVED));

    let run = project.run(&["plan", "--json"]);
    run.assert_code(0);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let change = &document["changes"][0];
    assert_eq!(change["address"], "page.help");
    assert_eq!(change["action"], "move");
    assert_eq!(change["previous_address"], "page.support");
    assert_eq!(document["calls"], serde_json::json!([]));
}

#[test]
fn a_moved_block_to_an_undeclared_address_is_a_validate_error() {
    let project = Project::new();
    project.write(
        "main.hcl",
        &(config("support", "support_bot")
            + "\nmoved {\n  from = page.old\n  to   = page.nowhere\n}\n"),
    );
    let run = project.run(&["validate"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("main.hcl:19:10")
            && run
                .stderr
                .contains("moved target page.nowhere is not declared in the configuration"),
        "{}",
        run.stderr
    );
    // Never taken for a `removed` block.
    assert!(!run.stderr.contains("removed"), "{}", run.stderr);
}

const FLEET: &str = r#"
page "fb" {
  for_each     = { es = "107100000000021", de = "107100000000022" }
  page_id      = each.value
  access_token = "EAAB-moved-fleet-0001"
}

link "fb" {
  for_each    = page.fb
  page        = each.value.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
"#;

/// A for_each key renamed with no moved block: the page and its link are
/// re-addressed in state (no call), and every address change is shown, in
/// the plan, its JSON and history (issue 26, item 4).
#[test]
fn a_renamed_for_each_key_without_a_moved_block_shows_every_move() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", FLEET);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    project.write("main.hcl", &FLEET.replace("es = ", "spain = "));
    let shown = r#"
            socialform will perform the following actions:

              # page.fb["es"] has moved to page.fb["spain"]
                (the same page_id is declared at a new address, with no moved block: renamed in state only, no API call)

              # link.fb["es"] has moved to link.fb["spain"]
                (the same page and application are declared at a new address, with no moved block: renamed in state only, no API call)

            Plan: 2 to move. API calls: 0
            "#;
    Test::on(&project)
        .args(["plan"])
        .stdout(shown)
        .requests(&[])
        .run();
    let json = project.run(&["plan", "--json"]);
    json.assert_code(0);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let moves: Vec<(String, String, String)> = document["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap().to_string(),
                c["previous_address"].as_str().unwrap_or("").to_string(),
                c["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            (
                "move".into(),
                r#"page.fb["es"]"#.into(),
                r#"page.fb["spain"]"#.into()
            ),
            (
                "move".into(),
                r#"link.fb["es"]"#.into(),
                r#"link.fb["spain"]"#.into()
            ),
        ]
    );
    let previous: Vec<&str> = document["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["previous_address"].as_str())
        .collect();
    assert_eq!(previous, [r#"page.fb["es"]"#, r#"link.fb["es"]"#]);

    let apply = project.run(&["apply", "--auto-approve"]);
    apply.assert_code(0);
    assert!(
        apply
            .stdout
            .ends_with("Apply complete! 2 moved. API calls: 0\n"),
        "{}",
        apply.stdout
    );
    let history = project.run(&["history", "--json"]);
    history.assert_code(0);
    let entries: serde_json::Value = serde_json::from_str(&history.stdout).unwrap();
    assert_eq!(
        entries["entries"][0]["changes"],
        serde_json::json!([
            r#"page.fb["spain"]: move from page.fb["es"]"#,
            r#"link.fb["spain"]: move from link.fb["es"]"#
        ])
    );
    Test::on(&project)
        .args(["state", "list"])
        .stdout(
            r#"
            link.fb["de"]
            link.fb["spain"]
            page.fb["de"]
            page.fb["spain"]
            "#,
        )
        .run();
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}
