//! Guard rails for production pages, through the binary against the
//! sandbox: `lifecycle { prevent_destroy = true }`, Rego policies on the
//! plan (`--policy`), Terraform's `resource_changes`, and `-exclude`.

use crate::support::*;

const TOKEN: &str = "EAAguard0001secret";

/// Two markets, each a page and its link, both blocks protected; the
/// markets come from a variable so a test can drop one.
const PROTECTED: &str = r#"variable "fb_token" {
  sensitive = true
}

variable "markets" {
  type    = map(string)
  default = { es = "107100000000001", de = "107100000000002" }
}

page "fb" {
  for_each     = var.markets
  page_id      = each.value
  access_token = var.fb_token

  lifecycle {
    prevent_destroy = true
  }
}

link "fb" {
  for_each    = page.fb
  page        = each.value.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"

  lifecycle {
    prevent_destroy = true
  }
}
"#;

fn applied(sandbox: &Sandbox, config: &str) -> Project {
    let mut project = Project::against(sandbox);
    std::fs::create_dir_all(project.path().join("policies/style")).unwrap();
    project.env("SF_VAR_fb_token", TOKEN);
    project.write("main.hcl", config);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    project
}

#[test]
fn a_protected_page_dropped_from_its_for_each_is_refused_before_any_call() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox, PROTECTED);
    project.write("only-es.sfvars", "markets = { es = \"107100000000001\" }\n");
    Test::on(&project)
        .args(["apply", "--var-file", "only-es.sfvars", "-auto-approve"])
        .stderr(
            r#"
            error: page.fb["de"] ([DIR]/main.hcl:10:6): would be disconnected (not in configuration), but its block sets lifecycle.prevent_destroy
              help: if it really should be disconnected, remove `prevent_destroy = true` from page "fb" first; or leave it out of this run (-exclude='page.fb["de"]', or a -target that does not take it)
            error: link.fb["de"] ([DIR]/main.hcl:20:6): would be unlinked (its page is disconnected), but its block sets lifecycle.prevent_destroy
              help: if it really should be unlinked, remove `prevent_destroy = true` from link "fb" first; or leave it out of this run (-exclude='link.fb["de"]', or a -target that does not take it)
            "#,
        )
        .status(1)
        .requests(&[])
        .run();
    assert!(sandbox.page("107100000000002").is_some());
}

#[test]
fn destroy_refuses_a_protected_link_and_a_protected_page_may_still_change_in_place() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox, PROTECTED);
    Test::on(&project)
        .args(["destroy", "-target=link.fb[\"es\"]", "-auto-approve"])
        .stderr(
            r#"
            error: link.fb["es"] ([DIR]/main.hcl:20:6): would be unlinked (destroy), but its block sets lifecycle.prevent_destroy
              help: if it really should be unlinked, remove `prevent_destroy = true` from link "fb" first; or leave it out of this run (-exclude='link.fb["es"]', or a -target that does not take it)
            "#,
        )
        .status(1)
        .requests(&[])
        .run();
    // Naming the page is not destroying it: an update goes through.
    project.write(
        "main.hcl",
        &PROTECTED.replace(
            "  page_id      = each.value\n",
            "  page_id      = each.value\n  name         = \"Acme ${each.key}\"\n",
        ),
    );
    let run = project.run(&["apply", "-auto-approve"]);
    run.assert_code(0);
    assert_eq!(
        sandbox.page("107100000000001").unwrap()["name"],
        "Acme es",
        "{}",
        run.stdout
    );
}

/// A policy as a Terraform team writes one: only `resource_changes`,
/// Terraform's actions and `type`, Rego v1.
const NO_UNLINK: &str = r#"package main

import rego.v1

deny contains msg if {
  some rc in input.resource_changes
  rc.type == "link"
  "delete" in rc.change.actions
  msg := sprintf("%s would be unlinked; production links are changed by hand only", [rc.address])
}
"#;

/// The older v0 syntax, as most published Terraform policies are.
const WARN_RENAMES: &str = r#"package main

warn[msg] {
  rc := input.resource_changes[_]
  rc.type == "page"
  rc.change.actions[_] == "update"
  rc.change.before.name != rc.change.after.name
  msg := sprintf("%s is renamed to %s", [rc.address, rc.change.after.name])
}
"#;

const TWO_PAGES: &str = r#"variable "fb_token" {
  sensitive = true
}

page "support" {
  page_id      = "107100000000001"
  name         = "Acme Support"
  access_token = var.fb_token
}

page "sales" {
  page_id      = "107100000000002"
  name         = "Acme Sales"
  access_token = var.fb_token
}

link "support" {
  page        = page.support.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}

link "sales" {
  page        = page.sales.page_id
  application = "c0ffee00-0000-4000-8000-000000000002"
}
"#;

/// The sales link removed and the support page renamed.
fn unlink_and_rename() -> String {
    let config = TWO_PAGES.replace("\"Acme Support\"", "\"Acme Help\"");
    let at = config.find("link \"sales\"").unwrap();
    config[..at].to_string()
}

#[test]
fn a_terraform_style_policy_denies_the_plan_before_any_call() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox, TWO_PAGES);
    project.write("policies/no_unlink.rego", NO_UNLINK);
    project.write("policies/style/renames.rego", WARN_RENAMES);
    project.write("main.hcl", &unlink_and_rename());
    Test::on(&project)
        .args(["apply", "--policy", "policies", "-auto-approve"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support will be updated in place
                (name changed)
              ~ page.support {
                  ~ name = "Acme Support" -> "Acme Help"
                }

              # link.sales will be unlinked
                (not in configuration)
              - link.sales {
                  - page        = "107100000000002"
                  - application = "c0ffee00-0000-4000-8000-000000000002"
                }

            API calls, in order:
                1. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)
                2. DELETE /beta/chatapp-accounts/messenger/107100000000002/applications/c0ffee00-0000-4000-8000-000000000002  (link.sales)

            Plan: 1 to update, 1 to unlink. API calls: 2

            Policy checks (policies): 1 denied, 1 warning(s)
              denied:  link.sales would be unlinked; production links are changed by hand only (data.main.deny)
              warning: page.support is renamed to Acme Help (data.main.warn)
            "#,
        )
        .stderr(
            "error: 1 denial(s) from the policies in policies: this apply stops here, before any \
             API call; change the configuration (or the policy) and run it again\n",
        )
        .status(1)
        .requests(&[])
        .run();
    // The JSON plan carries the verdict, and the same exit status.
    let run = project.run(&["plan", "--policy", "policies", "--json"]);
    run.assert_code(1);
    let document = run.json();
    assert_eq!(
        document["policy"],
        serde_json::json!({
            "passed": false,
            "directory": "policies",
            "denials": [{
                "severity": "deny", "rule": "data.main.deny", "address": "link.sales",
                "message": "link.sales would be unlinked; production links are changed by hand only",
            }],
            "warnings": [{
                "severity": "warn", "rule": "data.main.warn", "address": "page.support",
                "message": "page.support is renamed to Acme Help",
            }],
        })
    );
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
    // Without the unlink, the policy passes and the apply goes ahead.
    project.write(
        "main.hcl",
        &TWO_PAGES.replace("\"Acme Support\"", "\"Acme Help\""),
    );
    let run = project.run(&["apply", "--policy", "policies", "-auto-approve"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("Policy checks (policies): 0 denied, 1 warning(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        sandbox.mutations(),
        vec!["PATCH /beta/chatapp-accounts/messenger/107100000000001".to_string()]
    );
}

#[test]
fn a_warn_rule_shows_in_the_markdown_report_and_as_an_annotation() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox, TWO_PAGES);
    project.write("policies/renames.rego", WARN_RENAMES);
    project.write(
        "main.hcl",
        &TWO_PAGES.replace("\"Acme Support\"", "\"Acme Help\""),
    );
    let run = project.run(&["plan", "--policy", "policies", "--format", "markdown"]);
    run.assert_code(0);
    let section = run
        .stdout
        .split("### Policy checks")
        .nth(1)
        .unwrap_or_else(|| panic!("no policy section in:\n{}", run.stdout));
    assert_eq!(
        section,
        "\n\n✅ `policies`: 0 denied, 1 warning(s).\n\n\
         | result | message | rule |\n\
         |---|---|---|\n\
         | warning | page.support is renamed to Acme Help | `data.main.warn` |\n"
    );
    let output = project
        .command(&["plan", "--policy", "policies", "--format", "github"])
        .env("GITHUB_WORKSPACE", project.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let annotation = stdout
        .lines()
        .find(|l| l.contains("socialform policy"))
        .unwrap_or_else(|| panic!("no policy annotation in:\n{stdout}"));
    assert_eq!(
        annotation,
        "::warning file=main.hcl,line=5,col=6,title=socialform policy%3A data.main.warn::page.support is renamed to Acme Help"
    );
}

#[test]
fn a_policy_that_does_not_parse_fails_at_its_line_before_the_state_is_read() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox, TWO_PAGES);
    project.write(
        "policies/broken.rego",
        "package main\n\ndeny contains msg if {\n  msg := \n}\n",
    );
    let run = project.run(&["plan", "--policy", "policies"]);
    run.assert_code(1);
    let dir = project.path().display().to_string();
    assert_eq!(
        run.stderr.replace(&dir, "[DIR]"),
        "error: [DIR]/policies/broken.rego:4:7: expecting `}` while parsing set\n  |\n4 |   msg := \n  |       ^\n  \
         help: the policy must be Rego (v1, or the older v0 syntax); `opa check` shows the same error\n"
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // Another package than the one asked for is named.
    project.write(
        "policies/broken.rego",
        "package terraform.guard\n\ndeny contains \"x\" if { true }\n",
    );
    Test::on(&project)
        .args(["plan", "--policy", "policies"])
        .stderr(
            "error: [DIR]/policies: no policy is in package main (found: terraform.guard); write \
             `package main` in the policies, or pass --policy-namespace NAME\n",
        )
        .status(1)
        .requests(&[])
        .run();
    let run = project.run(&[
        "plan",
        "--policy",
        "policies",
        "--policy-namespace",
        "terraform.guard",
    ]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("1 denied, 0 warning(s)"),
        "{}",
        run.stdout
    );
}

#[test]
fn drift_takes_policies_too() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox, TWO_PAGES);
    project.write(
        "policies/drift.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  some d in input.drifted\n  msg := sprintf(\"%s drifted: %s\", [d.address, d.kind])\n}\n",
    );
    let (status, _) = sandbox.api(
        "DELETE",
        "/beta/chatapp-accounts/messenger/107100000000002/applications/c0ffee00-0000-4000-8000-000000000002",
        None,
    );
    assert!(status < 300, "{status}");
    let run = project.run(&["drift", "--policy", "policies", "--json"]);
    run.assert_code(1);
    assert_eq!(
        run.json()["policy"]["denials"][0]["message"],
        "link.sales drifted: deleted"
    );
}

#[test]
fn exclude_leaves_exactly_the_excluded_calls_out_and_says_so() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox, TWO_PAGES);
    // Both pages renamed; the sales page (and so its link) left out.
    project.write(
        "main.hcl",
        &TWO_PAGES
            .replace("\"Acme Support\"", "\"Acme Help\"")
            .replace("\"Acme Sales\"", "\"Acme Deals\"")
            .replace(
                "application = \"c0ffee00-0000-4000-8000-000000000002\"",
                "application = \"c0ffee00-0000-4000-8000-000000000001\"",
            ),
    );
    Test::on(&project)
        .args(["apply", "-exclude=page.sales", "-auto-approve"])
        .stdout(
            r#"
            Warning: resources are excluded (-exclude): this plan may not hold every change the configuration asks for

            socialform will perform the following actions:

              # page.support will be updated in place
                (name changed)
              ~ page.support {
                  ~ name = "Acme Support" -> "Acme Help"
                }

            API calls, in order:
                1. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)

            Plan: 1 to update. API calls: 1
            page.support: PATCH /beta/chatapp-accounts/messenger/107100000000001 ...
            page.support: done [T]

            Apply complete! 1 updated. API calls: 1
            "#,
        )
        .requests(&["PATCH /beta/chatapp-accounts/messenger/107100000000001"])
        .run();
    // Without the exclusion the rest is still to do: the rename and the
    // relink of what was left out.
    let run = project.run(&["plan", "--json"]);
    run.assert_code(0);
    assert_eq!(
        run.planned_calls(),
        vec![
            "PATCH /beta/chatapp-accounts/messenger/107100000000002".to_string(),
            "DELETE /beta/chatapp-accounts/messenger/107100000000002/applications/c0ffee00-0000-4000-8000-000000000002".to_string(),
            "POST /beta/chatapp-accounts/messenger/107100000000002/applications".to_string(),
        ]
    );
    Test::on(&project)
        .args(["plan", "-exclude=page.sales", "-target=page.support"])
        .stderr("error: -target and -exclude cannot be used together; use one of them\n")
        .status(1)
        .requests(&[])
        .run();
    Test::on(&project)
        .args(["plan", "-exclude=page.nope"])
        .stderr(
            r#"
            error: --exclude page.nope matches no resource in the configuration or the state
              help: check the address with `socialform state list` or in the configuration
            "#,
        )
        .status(1)
        .requests(&[])
        .run();
}

#[test]
fn excluding_a_link_keeps_its_page_connected() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox, TWO_PAGES);
    // The sales page and link both gone from the configuration; the link
    // is excluded, so its page must not be disconnected either (that would
    // remove the link with it).
    let config = TWO_PAGES.replace(
        "page \"sales\" {\n  page_id      = \"107100000000002\"\n  name         = \"Acme Sales\"\n  access_token = var.fb_token\n}\n",
        "",
    );
    let at = config.find("link \"sales\"").unwrap();
    project.write("main.hcl", &config[..at]);
    let run = project.run(&["plan", "-exclude=link.sales", "-detailed-exitcode"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("No changes in what this plan covers."),
        "{}",
        run.stdout
    );
}

#[test]
fn the_example_policies_pass_the_quickstart_and_catch_an_unlinked_production_page() {
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policies");
    let sandbox = Sandbox::start();
    let quickstart = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/quickstart/main.hcl"
    ))
    .unwrap()
    // Against the sandbox this test started, not the embedded one.
    .replace("  endpoint = \"sandbox\"\n", "");
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", TOKEN);
    project.env("SF_VAR_sales_token", TOKEN);
    project.write("main.hcl", &quickstart);
    let run = project.run(&["apply", "-auto-approve", "--policy", policies]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("0 denied, 0 warning(s)"),
        "{}",
        run.stdout
    );
    // The support page's link dropped: unlinking production, and a page
    // left without a link.
    let start = quickstart.find("link \"support_bot\"").unwrap();
    let end = start + quickstart[start..].find("}\n").unwrap() + 2;
    project.write(
        "main.hcl",
        &format!("{}{}", &quickstart[..start], &quickstart[end..]),
    );
    let run = project.run(&["plan", "--policy", policies, "--json"]);
    run.assert_code(1);
    let document = run.json();
    let messages: Vec<&str> = document["policy"]["denials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        vec![
            "link.support_bot would unlink production page 107100000000001; unlink it in the dashboard, or take the page off production_page_ids first",
            "page.support (page 107100000000001) is linked to no application: add a link block for it",
        ]
    );
}

#[test]
fn a_saved_plan_shows_the_same_resource_changes() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox, TWO_PAGES);
    project.write("main.hcl", &unlink_and_rename());
    let live = project.run(&["plan", "--json"]);
    live.assert_code(0);
    project.run(&["plan", "-out=reviewed.plan"]).assert_code(0);
    let shown = project.run(&["show", "--json", "reviewed.plan"]);
    shown.assert_code(0);
    let changes = live.json()["resource_changes"].clone();
    assert_eq!(changes.as_array().map(Vec::len), Some(4), "{changes:#}");
    assert_eq!(shown.json()["resource_changes"], changes);
    // Unchanged resources are there as no-ops, as Terraform lists them.
    let actions: Vec<(String, String)> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["address"].to_string(), c["change"]["actions"].to_string()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("\"page.sales\"".into(), "[\"no-op\"]".into()),
            ("\"page.support\"".into(), "[\"update\"]".into()),
            ("\"link.sales\"".into(), "[\"delete\"]".into()),
            ("\"link.support\"".into(), "[\"no-op\"]".into()),
        ]
    );
    let saved = std::fs::read_to_string(project.path().join("reviewed.plan")).unwrap();
    assert!(!saved.contains(TOKEN));
}
