//! `*.sfvars.json` variable files, through the binary: where they are
//! loaded from and in which order, type checks against the declarations,
//! and errors with their place in the file and no secret in them.

use crate::support::*;

/// One for_each page block over `var.pages`, so `validate` counts the
/// entries of the value that won.
const MAIN: &str = r#"variable "token" {
  sensitive = true
  type      = string
}

variable "pages" {
  type = map(string)
}

page "p" {
  for_each     = var.pages
  page_id      = each.value
  access_token = var.token
}
"#;

fn pages_json(n: usize) -> String {
    let members: Vec<String> = (0..n)
        .map(|i| format!("\"k{i}\": \"{}\"", 107_100_000_000_000u64 + i as u64))
        .collect();
    format!("{{\"pages\": {{{}}}}}\n", members.join(", "))
}

#[test]
fn json_var_files_load_where_sfvars_do_in_terraforms_order() {
    let project = Project::new();
    project.write("main.hcl", MAIN);
    project.write(
        "socialform.sfvars",
        "token = \"EAAC0RPUSSECRET0123456789\"\npages = { a = \"107100000000001\" }\n",
    );
    let valid =
        |n: usize| format!("Success! The configuration is valid: {n} page(s), 0 link(s).\n");
    // socialform.sfvars.json comes after socialform.sfvars ...
    project.write("socialform.sfvars.json", &pages_json(2));
    let run = project.run(&["validate"]);
    run.assert_code(0);
    assert_eq!(run.stdout, valid(2));
    // ... *.auto.sfvars(.json) after both, in name order, the two kinds
    // together ...
    project.write("b.auto.sfvars.json", &pages_json(3));
    project.write("a.auto.sfvars", "pages = { x = \"107100000000009\" }\n");
    let run = project.run(&["validate"]);
    run.assert_code(0);
    assert_eq!(run.stdout, valid(3));
    // ... and --var-file last, JSON by its extension.
    project.write("extra.sfvars.json", &pages_json(4));
    let run = project.run(&["validate", "--var-file", "extra.sfvars.json"]);
    run.assert_code(0);
    assert_eq!(run.stdout, valid(4));
}

#[test]
fn json_values_are_checked_against_the_declared_type_at_their_place() {
    let project = Project::new();
    project.write("main.hcl", MAIN);
    project.write(
        "x.auto.sfvars.json",
        "{\n  \"token\": \"EAAC0RPUSSECRET0123456789\",\n  \"pages\": [\"107100000000001\"],\n  \"nope\": 1\n}\n",
    );
    let run = project.run(&["validate"]);
    run.assert_code(1);
    let stderr = &run.stderr;
    assert!(
        stderr.contains("x.auto.sfvars.json:3:12: invalid value for variable `pages`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("x.auto.sfvars.json:4:3: there is no variable named `nope`"),
        "{stderr}"
    );
    assert!(!stderr.contains("EAAC0RPUSSECRET"), "{stderr}");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn a_json_var_file_that_is_not_one_object_or_sets_a_name_twice_is_refused() {
    let project = Project::new();
    project.write("main.hcl", MAIN);
    project.write("x.auto.sfvars.json", "[\"EAAC0RPUSSECRET0123456789\"]\n");
    let run = project.run(&["validate"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("x.auto.sfvars.json:1:1: a .sfvars.json file must be one JSON object"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("EAAC0RPUSSECRET"), "{}", run.stderr);

    project.write(
        "x.auto.sfvars.json",
        "{\"token\": \"EAAC0RPUSSECRET0123456789\",\n \"token\": \"EAAC0RPUSSECRET0123456780\"}\n",
    );
    let run = project.run(&["validate"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("x.auto.sfvars.json:2:2: variable `token` is set twice in this file"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("EAAC0RPUSSECRET"), "{}", run.stderr);
}

#[test]
fn a_large_generated_json_var_file_loads() {
    let project = Project::new();
    project.write("main.hcl", MAIN);
    let mut json = pages_json(10_000);
    json.insert_str(1, "\"token\": \"EAAC0RPUSSECRET0123456789\", ");
    project.write("generated.auto.sfvars.json", &json);
    let run = project.run(&["validate"]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        "Success! The configuration is valid: 10000 page(s), 0 link(s).\n"
    );
}
