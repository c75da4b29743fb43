//! `count = N` with `count.index`: instances `page.x[0]`…, as in Terraform.

use crate::support::*;

const TOKEN: &str = "EAAB-count-shard-0001";
const APP: &str = "c0ffee00-0000-4000-8000-000000000001";

/// `n` shards of one page block and one link block.
fn config(n: usize) -> String {
    format!(
        r#"
variable "shard_token" {{
  sensitive = true
}}

page "shard" {{
  count        = {n}
  page_id      = "10710000000004${{count.index}}"
  name         = "Acme Shard ${{count.index}}"
  access_token = var.shard_token
}}

link "shard_bot" {{
  count       = {n}
  page        = page.shard[count.index].page_id
  application = "{APP}"
}}
"#
    )
}

fn project(sandbox: &Sandbox) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_shard_token", TOKEN);
    project
}

#[test]
fn count_three_plans_and_applies_three_indexed_instances() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox);
    project.write("main.hcl", &config(3));
    Test::on(&project)
        .args(["plan"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.shard[0] will be connected
                (not in state)
              + page.shard[0] {
                  + page_id      = "107100000000040"
                  + name         = "Acme Shard 0"
                  + access_token = (sensitive value)
                }

              # page.shard[1] will be connected
                (not in state)
              + page.shard[1] {
                  + page_id      = "107100000000041"
                  + name         = "Acme Shard 1"
                  + access_token = (sensitive value)
                }

              # page.shard[2] will be connected
                (not in state)
              + page.shard[2] {
                  + page_id      = "107100000000042"
                  + name         = "Acme Shard 2"
                  + access_token = (sensitive value)
                }

              # link.shard_bot[0] will be linked
                (not in state)
              + link.shard_bot[0] {
                  + page        = "107100000000040"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

              # link.shard_bot[1] will be linked
                (not in state)
              + link.shard_bot[1] {
                  + page        = "107100000000041"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

              # link.shard_bot[2] will be linked
                (not in state)
              + link.shard_bot[2] {
                  + page        = "107100000000042"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.shard[0], link.shard_bot[0])
                2. POST   /beta/chatapp-accounts/messenger  (page.shard[1], link.shard_bot[1])
                3. POST   /beta/chatapp-accounts/messenger  (page.shard[2], link.shard_bot[2])

            Plan: 3 to connect, 3 to link. API calls: 3
            "#,
        )
        .requests(&[])
        .run();

    let apply = project.run(&["apply", "--auto-approve", "--parallelism", "1"]);
    apply.assert_code(0);
    assert!(
        apply
            .stdout
            .ends_with("Apply complete! 3 connected, 3 linked. API calls: 3\n"),
        "{}",
        apply.stdout
    );
    Test::on(&project)
        .args(["state", "list"])
        .stdout(
            "link.shard_bot[0]\nlink.shard_bot[1]\nlink.shard_bot[2]\n\
             page.shard[0]\npage.shard[1]\npage.shard[2]\n",
        )
        .run();
    // The state document names the instances the same way, in numeric order.
    let run = project.run(&["show", "--json"]);
    run.assert_code(0);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let addresses: Vec<&str> = document["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses,
        ["page.shard[0]", "page.shard[1]", "page.shard[2]"]
    );
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
    Test::on(&project)
        .args(["drift"])
        .stdout(
            "note: page tokens not checked with Facebook (no Facebook credentials: \
             FACEBOOK_USER_TOKEN or a provider \"facebook\" block)\n\n\
             No drift: 6 managed resource(s) match the remote side.\n",
        )
        .run();
}

#[test]
fn shrinking_count_disconnects_only_the_last_instance() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox);
    project.write("main.hcl", &config(3));
    project.run(&["apply", "--auto-approve"]).assert_code(0);

    project.write("main.hcl", &config(2));
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.shard[2] will be disconnected
                (not in configuration)
              - page.shard[2] {
                  - page_id = "107100000000042"
                  - name    = "Acme Shard 2"
                }

              # link.shard_bot[2] will be unlinked
                (its page is disconnected)
              - link.shard_bot[2] {
                  - page        = "107100000000042"
                  - application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. DELETE /beta/chatapp-accounts/messenger/107100000000042  (page.shard[2], link.shard_bot[2])

            Plan: 1 to disconnect, 1 to unlink. API calls: 1
            page.shard[2], link.shard_bot[2]: DELETE /beta/chatapp-accounts/messenger/107100000000042 ...
            page.shard[2], link.shard_bot[2]: done [T]

            Apply complete! 1 disconnected, 1 unlinked. API calls: 1
            "#,
        )
        .requests(&["DELETE /beta/chatapp-accounts/messenger/107100000000042"])
        .run();
    Test::on(&project)
        .args(["state", "list"])
        .stdout("link.shard_bot[0]\nlink.shard_bot[1]\npage.shard[0]\npage.shard[1]\n")
        .run();
    // The JSON plan of a further shrink names the integer address.
    project.write("main.hcl", &config(1));
    let run = project.run(&["plan", "--json"]);
    run.assert_code(0);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["changes"][0]["address"], "page.shard[1]");
    assert_eq!(plan["changes"][0]["action"], "disconnect");
    assert_eq!(
        plan["calls"][0]["addresses"],
        serde_json::json!(["page.shard[1]", "link.shard_bot[1]"])
    );
}

#[test]
fn a_moved_block_puts_an_existing_page_at_index_zero() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox);
    project.write(
        "main.hcl",
        &config(1)
            .replace("  count        = 1\n", "")
            .replace("  count       = 1\n", "")
            .replace("[count.index]", "")
            .replace("${count.index}", "0"),
    );
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    Test::on(&project)
        .args(["state", "list"])
        .stdout("link.shard_bot\npage.shard\n")
        .run();

    // count added, as Terraform users do, with moved blocks saying where
    // the existing page and link went.
    project.write(
        "main.hcl",
        &(config(1)
            + "\nmoved {\n  from = page.shard\n  to   = page.shard[0]\n}\n\
               \nmoved {\n  from = link.shard_bot\n  to   = link.shard_bot[0]\n}\n"),
    );
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.shard has moved to page.shard[0]
                (moved block: renamed in state only, no API call)

              # link.shard_bot has moved to link.shard_bot[0]
                (moved block: renamed in state only, no API call)

            Plan: 2 to move. API calls: 0
            Apply complete! 2 moved. API calls: 0
            "#,
        )
        .requests(&[])
        .run();
    Test::on(&project)
        .args(["state", "list"])
        .stdout("link.shard_bot[0]\npage.shard[0]\n")
        .run();
}

#[test]
fn target_names_one_indexed_instance() {
    let sandbox = Sandbox::start();
    let project = project(&sandbox);
    project.write("main.hcl", &config(3));
    Test::on(&project)
        .args(["plan", "-target=page.shard[1]"])
        .stdout(
            r#"
            Warning: resource targeting is in effect (-target): this plan may not hold every change the configuration asks for

            socialform will perform the following actions:

              # page.shard[1] will be connected
                (not in state)
              + page.shard[1] {
                  + page_id      = "107100000000041"
                  + name         = "Acme Shard 1"
                  + access_token = (sensitive value)
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.shard[1])

            Plan: 1 to connect. API calls: 1
            "#,
        )
        .requests(&[])
        .run();
    // A string key is another address; the hint names the index.
    Test::on(&project)
        .args(["plan", r#"--target=page.shard["1"]"#])
        .stderr(
            r#"
            error: --target page.shard["1"] matches no resource in the configuration or the state
              help: did you mean --target page.shard[1]?
            "#,
        )
        .status(1)
        .requests(&[])
        .run();
}
