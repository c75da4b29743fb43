//! `socialform import ADDR PAGE_ID` and `import --all-unmanaged
//! --generate-config-out FILE`, against pages connected by hand through the
//! sandbox's API (as the dashboard would), driven through the real binary.

use crate::support::*;
use serde_json::json;

const HELP_TOKEN: &str = "EAAB-import-help-0001";
const SHOP_TOKEN: &str = "EAAB-import-shop-0002";
const OTHER_TOKEN: &str = "EAAB-import-other-0003";
const ALL_TOKENS: [&str; 3] = [HELP_TOKEN, SHOP_TOKEN, OTHER_TOKEN];

fn connect_by_hand(sandbox: &Sandbox, page_id: &str, name: &str, token: &str, apps: &[&str]) {
    let (status, body) = sandbox.api(
        "POST",
        &format!("{ACCOUNTS}/messenger"),
        Some(json!({"external_id": page_id, "name": name, "access_token": token, "applications": apps})),
    );
    assert_eq!(status, 201, "{body}");
}

const HELP_CONFIG: &str = r#"
variable "help_token" {
  sensitive = true
}

page "help" {
  page_id      = "107100000000011"
  name         = "Acme Help"
  access_token = var.help_token
}

link "help_bot" {
  page        = page.help.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
"#;

fn help_project(sandbox: &Sandbox) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_help_token", HELP_TOKEN);
    project.write("main.hcl", HELP_CONFIG);
    project
}

fn assert_no_token(run: &Run) {
    for token in ALL_TOKENS {
        assert!(
            !run.stdout.contains(token) && !run.stderr.contains(token),
            "a token in the output:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}

fn assert_no_token_in_state(project: &Project) {
    for (path, bytes) in project.state_bytes() {
        for token in ALL_TOKENS {
            assert!(
                !contains_bytes(&bytes, token),
                "{} holds a token",
                path.display()
            );
        }
    }
}

fn state_list(project: &Project) -> Vec<String> {
    let run = project.run(&["state", "list"]);
    run.assert_code(0);
    run.stdout.lines().map(str::to_string).collect()
}

#[test]
fn import_adopts_a_page_connected_by_hand_and_its_link() {
    let sandbox = Sandbox::start();
    connect_by_hand(
        &sandbox,
        "107100000000011",
        "Acme Help",
        HELP_TOKEN,
        &[APP1],
    );
    let project = help_project(&sandbox);
    sandbox.clear_requests();

    let import = Test::on(&project)
        .args(["import", "page.help", "107100000000011"])
        .stdout(
            r#"
            page.help: imported page ID 107100000000011 ("Acme Help")
            link.help_bot: imported link to application c0ffee00-0000-4000-8000-000000000001
            Import successful! The resources above are now managed by socialform.
            "#,
        )
        .requests(&[])
        .run();
    assert_no_token(&import);
    assert_eq!(state_list(&project), vec!["link.help_bot", "page.help"]);
    assert_no_token_in_state(&project);

    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();

    // Once managed, importing again says how to start over.
    Test::on(&project)
        .args(["import", "page.help", "107100000000011"])
        .stderr(
            "error: page.help is already managed (in state); to import it again, forget it \
             first with `socialform state rm page.help`\n",
        )
        .status(1)
        .run();
}

#[test]
fn import_does_not_adopt_a_link_to_another_application() {
    let sandbox = Sandbox::start();
    connect_by_hand(
        &sandbox,
        "107100000000011",
        "Acme Help",
        HELP_TOKEN,
        &[APP2],
    );
    let project = help_project(&sandbox);
    project
        .run(&["import", "page.help", "107100000000011"])
        .assert_code(0);
    assert_eq!(state_list(&project), vec!["page.help"]);
    // The plan then relinks, as it would for any drift.
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    assert_eq!(plan.json()["changes"][0]["action"], "relink");
}

#[test]
fn import_errors_name_the_problem() {
    let sandbox = Sandbox::start();
    let project = help_project(&sandbox);

    // Not declared.
    Test::on(&project)
        .args(["import", "page.nope", "107100000000011"])
        .stderr(
            "error: page.nope is not declared in the configuration; add a `page \"nope\"` block \
             with page_id = \"107100000000011\" first, then run the import again\n",
        )
        .status(1)
        .run();

    // Declared with another page ID: the block's location.
    Test::on(&project)
        .args(["import", "page.help", "107100000000099"])
        .stderr(
            "error: page.help ([DIR]/main.hcl:6:6) is declared with page_id = \"107100000000011\", \
             not \"107100000000099\"; import the page the block declares, or change its page_id\n",
        )
        .status(1)
        .run();

    // Declared, but not connected remotely.
    Test::on(&project)
        .args(["import", "page.help", "107100000000011"])
        .stderr(
            "error: page.help: no messenger page with ID 107100000000011 is connected to this \
             Vonage account; there is nothing to import (`socialform apply` connects it)\n",
        )
        .status(1)
        .requests(&[])
        .run();
    assert!(state_list(&project).is_empty(), "nothing recorded");

    // Links are not imported on their own.
    Test::on(&project)
        .args(["import", "link.help_bot", "107100000000011"])
        .stderr(
            "error: link.help_bot: only pages and applications are imported; a link is recorded \
             with its page when the page is already linked to the configured application (import \
             the page instead)\n",
        )
        .status(1)
        .run();
}

#[test]
fn import_of_a_page_applied_already_is_refused() {
    let sandbox = Sandbox::start();
    let project = help_project(&sandbox);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    Test::on(&project)
        .args(["import", "page.help", "107100000000011"])
        .stderr(
            "error: page.help is already managed (in state); to import it again, forget it \
             first with `socialform state rm page.help`\n",
        )
        .status(1)
        .run();
}

const MANAGED_CONFIG: &str = r#"
variable "support_token" {
  sensitive = true
}

page "support" {
  page_id      = "107100000000001"
  name         = "Acme Support"
  access_token = var.support_token
}
"#;

#[test]
fn generate_config_onboards_pages_connected_by_hand() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", OTHER_TOKEN);
    project.write("main.hcl", MANAGED_CONFIG);
    project.run(&["apply", "--auto-approve"]).assert_code(0);

    connect_by_hand(
        &sandbox,
        "107100000000021",
        "Acme Help Desk",
        HELP_TOKEN,
        &[APP1],
    );
    connect_by_hand(&sandbox, "107100000000022", "24/7 Shop!", SHOP_TOKEN, &[]);
    sandbox.clear_requests();

    let run = Test::on(&project)
        .args([
            "import",
            "--all-unmanaged",
            "--generate-config-out",
            "adopted.hcl",
        ])
        .stdout(
            r#"
            page.acme_help_desk: imported page ID 107100000000021 ("Acme Help Desk"), with link.acme_help_desk to c0ffee00-0000-4000-8000-000000000001
            page.page_24_7_shop: imported page ID 107100000000022 ("24/7 Shop!")
            Wrote [DIR]/adopted.hcl with 2 page(s), now managed by socialform.
            Set SF_VAR_<slug>_token for each page before running plan: SF_VAR_acme_help_desk_token, SF_VAR_page_24_7_shop_token.
            "#,
        )
        .requests(&[])
        .run();
    assert_no_token(&run);

    let text = std::fs::read_to_string(project.path().join("adopted.hcl")).unwrap();
    for token in ALL_TOKENS {
        assert!(!text.contains(token), "a token in the generated file");
    }
    for expected in [
        "variable \"acme_help_desk_token\" {\n  type        = string\n  sensitive   = true\n  description = \"Page access token for Acme Help Desk\"\n}\n",
        "page \"acme_help_desk\" {\n  page_id      = \"107100000000021\"\n  name         = \"Acme Help Desk\"\n  access_token = var.acme_help_desk_token\n}\n",
        &format!(
            "link \"acme_help_desk\" {{\n  page        = page.acme_help_desk.page_id\n  application = \"{APP1}\"\n}}\n"
        ),
        "page \"page_24_7_shop\" {\n  page_id      = \"107100000000022\"\n  name         = \"24/7 Shop!\"\n  access_token = var.page_24_7_shop_token\n}\n",
    ] {
        assert!(text.contains(expected), "missing:\n{expected}\nin:\n{text}");
    }
    assert!(!text.contains("link \"page_24_7_shop\""), "{text}");
    assert!(
        !text.contains("107100000000001"),
        "a managed page was generated:\n{text}"
    );

    assert_eq!(
        state_list(&project),
        vec![
            "link.acme_help_desk",
            "page.acme_help_desk",
            "page.page_24_7_shop",
            "page.support"
        ]
    );
    assert_no_token_in_state(&project);

    // The generated file is already in canonical form (the test's own
    // hand-written main.hcl is not, and is not the point here).
    let fmt = project.run(&["fmt", "--check", "--diff"]);
    assert!(
        !fmt.stdout.contains("adopted.hcl"),
        "generated HCL is not fmt-clean:\n{}",
        fmt.stdout
    );

    // Before the tokens are set, validate already accepts the file...
    project.run(&["validate"]).assert_code(0);
    // ...and it parses back as the pages and link it declares.
    project.env("SF_VAR_acme_help_desk_token", HELP_TOKEN);
    project.env("SF_VAR_page_24_7_shop_token", SHOP_TOKEN);
    Test::on(&project)
        .arg("validate")
        .stdout("Success! The configuration is valid: 3 page(s), 1 link(s).\n")
        .run();

    let plan = Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
    assert_no_token(&plan);

    // The file exists now: a second run refuses to overwrite it.
    Test::on(&project)
        .args([
            "import",
            "--all-unmanaged",
            "--generate-config-out",
            "adopted.hcl",
        ])
        .stderr(
            "error: --generate-config-out adopted.hcl: [DIR]/adopted.hcl already exists; \
             choose a new file name\n",
        )
        .status(1)
        .run();
    // With nothing left unmanaged, another file name writes nothing.
    Test::on(&project)
        .args([
            "import",
            "--all-unmanaged",
            "--generate-config-out",
            "more.hcl",
        ])
        .stdout(
            "No unmanaged pages: every connected page is in state or in the configuration. \
             No file was written.\n",
        )
        .requests(&[])
        .run();
    assert!(!project.path().join("more.hcl").exists());
}

#[test]
fn generated_names_do_not_clash_with_the_configuration() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", OTHER_TOKEN);
    project.write("main.hcl", MANAGED_CONFIG);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    // Named like the managed page's block, and like each other.
    connect_by_hand(&sandbox, "107100000000031", "Support", HELP_TOKEN, &[]);
    connect_by_hand(&sandbox, "107100000000032", "support", SHOP_TOKEN, &[]);

    project
        .run(&[
            "import",
            "--all-unmanaged",
            "--generate-config-out",
            "adopted.hcl",
        ])
        .assert_code(0);
    let text = std::fs::read_to_string(project.path().join("adopted.hcl")).unwrap();
    assert!(text.contains("page \"support_2\""), "{text}");
    assert!(text.contains("page \"support_3\""), "{text}");
    project.env("SF_VAR_support_2_token", HELP_TOKEN);
    project.env("SF_VAR_support_3_token", SHOP_TOKEN);
    project.run(&["plan", "--detailed-exitcode"]).assert_code(0);
}

#[test]
fn generate_config_refuses_files_outside_the_configuration() {
    let sandbox = Sandbox::start();
    let project = help_project(&sandbox);
    for bad in ["sub/adopted.hcl", "adopted.txt", "main.hcl"] {
        let run = project.run(&["import", "--all-unmanaged", "--generate-config-out", bad]);
        run.assert_code(1);
        assert!(run.stderr.contains(bad), "{bad}: {}", run.stderr);
    }
    // Without the output file, --all-unmanaged is a usage error.
    project.run(&["import", "--all-unmanaged"]).assert_code(1);
}
