//! The whole life of a configuration, against the sandbox over HTTP: first
//! apply, no-op plan, relink + token rotation + rename + new link, removal,
//! destroy. Every step checks that the requests the sandbox saw are exactly
//! the calls the plan announced, and that no token leaks anywhere.

use crate::support::*;

const SUPPORT_TOKEN: &str = "EAAB-support-token-0001";
const SALES_TOKEN: &str = "EAAB-sales-token-0002";
const SALES_TOKEN_ROTATED: &str = "EAAB-sales-token-rotated-0003";

fn config(
    support_name: &str,
    support_app: &str,
    sales_link: Option<&str>,
    with_sales: bool,
) -> String {
    let mut text = format!(
        r#"
variable "support_token" {{
  sensitive = true
}}
variable "sales_token" {{
  sensitive = true
}}

page "support" {{
  page_id      = "107100000000001"
  name         = "{support_name}"
  access_token = var.support_token
}}

link "support_bot" {{
  page        = page.support.page_id
  application = "{support_app}"
}}
"#
    );
    if with_sales {
        text.push_str(
            r#"
page "sales" {
  page_id      = "107100000000002"
  name         = "Acme Sales"
  access_token = var.sales_token
}
"#,
        );
    }
    if let Some(app) = sales_link {
        text.push_str(&format!(
            "\nlink \"sales_bot\" {{\n  page        = page.sales.page_id\n  application = \"{app}\"\n}}\n"
        ));
    }
    text
}

/// Plans with --json, applies, and checks the sandbox saw exactly the plan's
/// calls; returns the planned calls.
fn plan_then_apply(project: &Project, sandbox: &Sandbox) -> Vec<String> {
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    let planned = plan.planned_calls();
    let summary_calls = plan.json()["summary"]["calls"].as_u64().unwrap() as usize;
    assert_eq!(summary_calls, planned.len());

    sandbox.clear_requests();
    let apply = project.run(&["apply", "--auto-approve"]);
    apply.assert_code(0);
    assert!(apply.stdout.contains("Apply complete!"), "{}", apply.stdout);
    assert_eq!(
        sorted(sandbox.mutations()),
        sorted(planned.clone()),
        "apply made other calls than planned"
    );
    assert!(
        sandbox
            .requests()
            .iter()
            .all(|(_, _, status)| *status < 300),
        "every request succeeded: {:?}",
        sandbox.requests()
    );
    for run in [&plan, &apply] {
        for token in [SUPPORT_TOKEN, SALES_TOKEN, SALES_TOKEN_ROTATED] {
            assert!(
                !run.stdout.contains(token) && !run.stderr.contains(token),
                "token in output"
            );
        }
    }
    planned
}

fn assert_no_token_in_state(project: &Project) {
    let files = project.state_bytes();
    assert!(!files.is_empty(), "the state directory holds files");
    for (path, bytes) in files {
        // The embedded sandbox is not in play here (the sandbox runs in its
        // own process), so every file under state/ is socialform's own.
        for token in [SUPPORT_TOKEN, SALES_TOKEN, SALES_TOKEN_ROTATED] {
            assert!(
                !contains_bytes(&bytes, token),
                "{} holds a token",
                path.display()
            );
        }
    }
}

fn assert_no_op(project: &Project, sandbox: &Sandbox) {
    sandbox.clear_requests();
    let plan = project.run(&["plan", "--detailed-exitcode"]);
    plan.assert_code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(sandbox.mutations().is_empty());
    let reads: Vec<String> = sandbox
        .requests()
        .into_iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    assert_eq!(
        sorted(reads),
        vec![
            format!("GET {ACCOUNTS}"),
            "GET /v2/applications".to_string()
        ],
        "a no-op plan reads the account in bulk: one list request per API"
    );
}

#[test]
fn full_lifecycle_makes_exactly_the_planned_calls() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", SUPPORT_TOKEN);
    project.env("SF_VAR_sales_token", SALES_TOKEN);

    // 1. First apply: two pages; support carries its link in the same POST.
    project.write("main.hcl", &config("Acme Support", APP1, None, true));
    let calls = plan_then_apply(&project, &sandbox);
    assert_eq!(
        calls,
        vec![
            format!("POST {ACCOUNTS}/messenger"),
            format!("POST {ACCOUNTS}/messenger")
        ]
    );
    let support = sandbox
        .page("107100000000001")
        .expect("support is connected");
    assert_eq!(support["applications"], serde_json::json!([APP1]));
    assert_eq!(support["name"], "Acme Support");
    assert_eq!(support["access_token"], SUPPORT_TOKEN);
    assert_no_token_in_state(&project);

    // 2. Nothing changed: exit 0 with --detailed-exitcode, only list reads.
    assert_no_op(&project, &sandbox);

    // 3. Relink support, rename it, rotate the sales token, add a sales link.
    project.env("SF_VAR_sales_token", SALES_TOKEN_ROTATED);
    project.write("main.hcl", &config("Acme Help", APP2, Some(APP1), true));
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.sales will be updated in place with a new access token
                (token changed in configuration)
              ~ page.sales {
                  ~ access_token = (sensitive value) -> (sensitive value)
                }

              # page.support will be updated in place
                (name changed)
              ~ page.support {
                  ~ name = "Acme Support" -> "Acme Help"
                }

              # link.sales_bot will be linked
                (not in state)
              + link.sales_bot {
                  + page        = "107100000000002"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

              # link.support_bot will be relinked to another application
                (application changed in configuration)
              ~ link.support_bot {
                  ~ application = "c0ffee00-0000-4000-8000-000000000001" -> "c0ffee00-0000-4000-8000-000000000002"
                }

            API calls, in order:
                1. PATCH  /beta/chatapp-accounts/messenger/107100000000002  (page.sales)
                2. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)
                3. DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001  (link.support_bot)
                4. POST   /beta/chatapp-accounts/messenger/107100000000001/applications  (link.support_bot)
                5. POST   /beta/chatapp-accounts/messenger/107100000000002/applications  (link.sales_bot)

            Plan: 1 to update, 1 to reconnect, 1 to link, 1 to relink. API calls: 5
            "#,
        )
        .status(2)
        .requests(&[])
        .run();

    let calls = plan_then_apply(&project, &sandbox);
    assert_eq!(calls.len(), 5, "{calls:?}");
    // A relink unlinks strictly before it links, on the wire too.
    let log = sandbox.mutations();
    let unlink = log
        .iter()
        .position(|c| {
            *c == format!("DELETE {ACCOUNTS}/messenger/107100000000001/applications/{APP1}")
        })
        .expect("the old application was unlinked");
    let link = log
        .iter()
        .position(|c| *c == format!("POST {ACCOUNTS}/messenger/107100000000001/applications"))
        .expect("the new application was linked");
    assert!(unlink < link, "{log:?}");
    let support = sandbox.page("107100000000001").unwrap();
    assert_eq!(support["applications"], serde_json::json!([APP2]));
    assert_eq!(support["name"], "Acme Help");
    let sales = sandbox.page("107100000000002").unwrap();
    assert_eq!(sales["access_token"], SALES_TOKEN_ROTATED);
    assert_eq!(sales["applications"], serde_json::json!([APP1]));
    assert_no_op(&project, &sandbox);

    // 4. Remove the sales page and its link: one DELETE takes both.
    project.write("main.hcl", &config("Acme Help", APP2, None, false));
    let calls = plan_then_apply(&project, &sandbox);
    assert_eq!(
        calls,
        vec![format!("DELETE {ACCOUNTS}/messenger/107100000000002")]
    );
    assert!(sandbox.page("107100000000002").is_none());
    assert_no_op(&project, &sandbox);

    // 5. Destroy: one DELETE for the last page.
    sandbox.clear_requests();
    let destroy = project.run(&["destroy", "--auto-approve"]);
    destroy.assert_code(0);
    assert_eq!(
        sandbox.mutations(),
        vec![format!("DELETE {ACCOUNTS}/messenger/107100000000001")]
    );
    assert!(sandbox.pages().is_empty());
    Test::on(&project)
        .arg("show")
        .stdout("The state is empty.\n")
        .run();
    assert_no_token_in_state(&project);
}
