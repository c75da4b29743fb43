//! `socialform fmt` and `socialform validate --json` through the binary.

use crate::support::*;

const MESSY: &str = r#"# Support pages
page "support" {
    page_id="107100000000001"   # the Facebook page ID
  name = "Acme Support"
  access_token = var.token


  lifecycle {
  prevent_destroy = true
  }
}
variable "token" {
  sensitive = true // never printed
}
"#;

const TIDY: &str = r#"# Support pages
page "support" {
  page_id      = "107100000000001" # the Facebook page ID
  name         = "Acme Support"
  access_token = var.token

  lifecycle {
    prevent_destroy = true
  }
}
variable "token" {
  sensitive = true // never printed
}
"#;

#[test]
fn fmt_check_reports_and_writes_nothing_then_fmt_rewrites_keeping_comments() {
    let project = Project::new();
    project.write("main.hcl", MESSY);
    let check = project.run(&["fmt", "--check"]);
    check.assert_code(3);
    assert_eq!(check.stdout.trim(), "main.hcl");
    assert_eq!(
        std::fs::read_to_string(project.path().join("main.hcl")).unwrap(),
        MESSY
    );

    let diff = project.run(&["fmt", "--check", "--diff"]);
    diff.assert_code(3);
    assert!(
        diff.stdout.starts_with("--- a/main.hcl\n+++ b/main.hcl\n"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout
            .contains("-    page_id=\"107100000000001\"   # the Facebook page ID")
    );
    assert!(
        diff.stdout
            .contains("+  page_id      = \"107100000000001\" # the Facebook page ID")
    );

    project.run(&["fmt"]).assert_code(0);
    assert_eq!(
        std::fs::read_to_string(project.path().join("main.hcl")).unwrap(),
        TIDY
    );
    project.run(&["fmt", "--check"]).assert_code(0);
    // Still a valid configuration.
    project.run(&["validate"]).assert_code(0);
}

#[test]
fn fmt_refuses_invalid_hcl_with_its_location_and_keeps_the_file() {
    let project = Project::new();
    let broken = "page \"x\" {\n  page_id = \n}\n";
    project.write("main.hcl", broken);
    let run = project.run(&["fmt"]);
    run.assert_code(1);
    assert!(run.stderr.contains("main.hcl:2:"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(project.path().join("main.hcl")).unwrap(),
        broken
    );
}

#[test]
fn the_examples_are_formatted() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for example in [
        "quickstart",
        "fleet",
        "move-application",
        "whatsapp",
        "drift",
    ] {
        let dir = examples.join(example);
        let output = std::process::Command::new(bin())
            .args(["-C", dir.to_str().unwrap(), "fmt", "--check", "--diff"])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{example}:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

#[test]
fn validate_json_lists_diagnostics_with_their_ranges() {
    let project = Project::new();
    project.write(
        "main.hcl",
        "page \"x\" {\n  page_id      = \"12ab\"\n  access_token = \"t\"\n}\n",
    );
    let run = project.run(&["validate", "--json"]);
    run.assert_code(1);
    let document = run.json();
    assert_eq!(document["valid"], false);
    assert_eq!(
        document["error_count"],
        document["diagnostics"].as_array().unwrap().len()
    );
    let first = &document["diagnostics"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["range"]["start"]["line"], 2);
    assert!(
        first["range"]["filename"]
            .as_str()
            .unwrap()
            .ends_with("main.hcl")
    );

    project.write(
        "main.hcl",
        "page \"x\" {\n  page_id      = \"12\"\n  access_token = \"t\"\n}\n",
    );
    let ok = project.run(&["validate", "--json"]);
    ok.assert_code(0);
    assert_eq!(ok.json()["valid"], true);
    assert_eq!(ok.json()["pages"], 1);
}
