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
