//! End-to-end tests of `load`: configurations written to temporary
//! directories, asserting the model or the exact diagnostics.

use super::*;
use crate::address::Address;
use std::path::Path;

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn options(dir: &Path) -> LoadOptions {
    LoadOptions {
        dir: dir.to_path_buf(),
        ..Default::default()
    }
}

fn ok_with(files: &[(&str, &str)], f: impl FnOnce(&mut LoadOptions)) -> Desired {
    let dir = dir_with(files);
    let mut opts = options(dir.path());
    f(&mut opts);
    match load(&opts) {
        Ok(d) => d,
        Err(e) => panic!("expected success, got:\n{}", e.render()),
    }
}

fn ok(files: &[(&str, &str)]) -> Desired {
    ok_with(files, |_| {})
}

fn err_with(files: &[(&str, &str)], f: impl FnOnce(&mut LoadOptions)) -> Diagnostics {
    let dir = dir_with(files);
    let mut opts = options(dir.path());
    f(&mut opts);
    match load(&opts) {
        Ok(d) => panic!("expected diagnostics, got {d:?}"),
        Err(e) => e,
    }
}

fn err(files: &[(&str, &str)]) -> Diagnostics {
    err_with(files, |_| {})
}

/// Asserts one diagnostic at `line:col` whose message contains `text`.
#[track_caller]
fn assert_at(diags: &Diagnostics, line: usize, col: usize, text: &str) {
    let found = diags.iter().any(|d| {
        d.message.contains(text)
            && d.location
                .as_ref()
                .is_some_and(|l| l.line == line && l.column == col)
    });
    assert!(
        found,
        "no diagnostic at {line}:{col} containing {text:?} in:\n{}",
        diags.render()
    );
}

/// Asserts exactly one diagnostic and returns it.
#[track_caller]
fn only(diags: &Diagnostics) -> &Diagnostic {
    assert_eq!(
        diags.len(),
        1,
        "expected one diagnostic:\n{}",
        diags.render()
    );
    &diags.0[0]
}

const TOKEN_VAR: &str =
    "variable \"token\" {\n  sensitive = true\n  default = \"tok-default\"\n}\n";

fn page(name: &str, id: &str) -> String {
    format!("page \"{name}\" {{\n  page_id = \"{id}\"\n  access_token = var.token\n}}\n")
}

#[test]
fn realistic_configuration() {
    let main = r#"
provider "vonage" {
  api_key    = var.api_key
  api_secret = var.api_secret
  endpoint   = "sandbox"
}

variable "api_key" {}
variable "api_secret" { sensitive = true }

variable "support_token" {
  type        = string
  sensitive   = true
  description = "Page access token for Acme Support"
}

variable "region_pages" {
  type = map(object({ page_id = string, token = string }))
}

locals {
  support_bot = "C0FFEE00-0000-4000-8000-000000000001"
  region_bot  = "c0ffee00-0000-4000-8000-0000000000${format("%02d", 2)}"
}

page "support" {
  page_id      = "107100000000001"
  name         = "Acme Support"
  access_token = var.support_token
  lifecycle {
    prevent_destroy = true
  }
}

link "support_bot" {
  page        = page.support.page_id
  application = local.support_bot
}

page "region" {
  for_each     = var.region_pages
  page_id      = each.value.page_id
  name         = "Acme ${upper(each.key)}"
  access_token = each.value.token
}

link "region_bot" {
  for_each    = page.region
  page        = each.value.page_id
  application = local.region_bot
}
"#;
    let sfvars = r#"
api_key = "key-1"
region_pages = {
  emea = { page_id = "107100000000002", token = "tok-emea" }
  apac = { page_id = "107100000000003", token = "tok-apac" }
}
"#;
    let d = ok_with(&[("main.hcl", main), ("socialform.sfvars", sfvars)], |o| {
        o.env = vec![
            ("SF_VAR_support_token".into(), "tok-support".into()),
            ("SF_VAR_api_secret".into(), "s3cret".into()),
        ];
    });
    assert_eq!(d.provider.api_key.as_deref(), Some("key-1"));
    assert_eq!(
        d.provider.api_secret.as_ref().map(|s| s.expose()),
        Some("s3cret")
    );
    assert_eq!(d.provider.endpoint.as_deref(), Some("sandbox"));
    let addresses: Vec<String> = d.pages.iter().map(|p| p.address.to_string()).collect();
    assert_eq!(
        addresses,
        [
            r#"page.region["apac"]"#,
            r#"page.region["emea"]"#,
            "page.support"
        ]
    );
    let support = &d.pages[2];
    assert_eq!(support.page_id, "107100000000001");
    assert_eq!(support.name.as_deref(), Some("Acme Support"));
    assert_eq!(
        support.access_token.as_ref().unwrap().expose(),
        "tok-support"
    );
    let protection = d.protection(&support.address).expect("prevent_destroy");
    assert_eq!(protection.location, support.location);
    assert!(d.protection(&d.pages[0].address).is_none());
    assert_eq!((support.location.line, support.location.column), (26, 6));
    assert_eq!(support.location.file.file_name().unwrap(), "main.hcl");
    assert_eq!(d.pages[0].name.as_deref(), Some("Acme APAC"));
    assert_eq!(
        d.pages[0].access_token.as_ref().unwrap().expose(),
        "tok-apac"
    );
    let links: Vec<(String, String, String, String)> = d
        .links
        .iter()
        .map(|l| {
            (
                l.address.to_string(),
                l.page_address.as_ref().unwrap().to_string(),
                l.page_id.clone(),
                l.application.clone(),
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            (
                r#"link.region_bot["apac"]"#.into(),
                r#"page.region["apac"]"#.into(),
                "107100000000003".into(),
                "c0ffee00-0000-4000-8000-000000000002".into()
            ),
            (
                r#"link.region_bot["emea"]"#.into(),
                r#"page.region["emea"]"#.into(),
                "107100000000002".into(),
                "c0ffee00-0000-4000-8000-000000000002".into()
            ),
            (
                "link.support_bot".into(),
                "page.support".into(),
                "107100000000001".into(),
                "c0ffee00-0000-4000-8000-000000000001".into()
            ),
        ]
    );
    assert_eq!(d.links[2].page_address, Some(Address::page("support")));
}

// ---- files and parsing ----

#[test]
fn an_empty_directory_is_an_error_not_an_empty_plan() {
    let diags = err(&[("notes.txt", "hello")]);
    let d = only(&diags);
    assert!(d.message.starts_with("no *.hcl files in "), "{}", d.message);
    assert!(d.help.as_deref().unwrap().contains("-C DIR"));
}

#[test]
fn a_missing_directory_is_reported() {
    let opts = options(Path::new("/definitely/not/here"));
    let diags = load(&opts).unwrap_err();
    assert!(
        only(&diags)
            .message
            .starts_with("cannot read configuration directory /definitely/not/here")
    );
}

#[test]
fn files_are_read_in_name_order_and_not_recursively() {
    let dir = dir_with(&[
        ("b.hcl", &page("second", "2")),
        ("a.hcl", &format!("{TOKEN_VAR}{}", page("first", "1"))),
        ("c.hcl.bak", "this is not HCL {"),
    ]);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/x.hcl"), "not hcl {").unwrap();
    let d = load(&options(dir.path())).unwrap();
    assert_eq!(d.pages.len(), 2);
    assert_eq!(d.pages[0].location.file, dir.path().join("a.hcl"));
    assert_eq!(d.pages[1].location.file, dir.path().join("b.hcl"));
    assert_eq!(
        (d.pages[1].location.line, d.pages[1].location.column),
        (1, 6)
    );
}

#[test]
fn syntax_errors_have_a_location_and_stop_evaluation() {
    let diags = err(&[
        ("main.hcl", "page \"x\" {\n  page_id = \n}\n"),
        ("other.hcl", "local {\n"),
    ]);
    assert_eq!(diags.len(), 2, "{}", diags.render());
    assert!(diags.iter().all(|d| d.message.starts_with("syntax error")));
    assert!(
        diags.0[0]
            .location
            .as_ref()
            .unwrap()
            .file
            .ends_with("main.hcl")
    );
    assert_eq!(diags.0[0].location.as_ref().unwrap().line, 2);
    assert!(
        diags.0[1]
            .location
            .as_ref()
            .unwrap()
            .file
            .ends_with("other.hcl")
    );
}

#[test]
fn invalid_utf8_is_reported_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.hcl"),
        b"locals {\n  a = \"\xff\"\n}\n",
    )
    .unwrap();
    let diags = load(&options(dir.path())).unwrap_err();
    let d = only(&diags);
    assert_eq!(d.message, "the file is not valid UTF-8");
    let at = d.location.as_ref().unwrap();
    assert_eq!((at.line, at.column), (2, 8));
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_crash() {
    let deep = format!(
        "locals {{\n  x = {}1{}\n}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let diags = err(&[("main.hcl", &deep)]);
    let d = only(&diags);
    assert!(d.message.contains("nesting depth"), "{}", d.message);
    assert_eq!(d.location.as_ref().unwrap().line, 2);
    let chain = format!("locals {{\n  x = 1{}\n}}\n", " + 1".repeat(20000));
    assert!(
        only(&err(&[("main.hcl", &chain)]))
            .message
            .starts_with("syntax error")
    );
}

// ---- schema ----

#[test]
fn unknown_block_type_suggests_a_close_name() {
    let diags = err(&[("main.hcl", "pgae \"x\" {\n}\n")]);
    let d = only(&diags);
    assert_at(&diags, 1, 1, "unknown block type `pgae`");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `page`?")
    );
}

#[test]
fn unknown_attribute_suggests_a_close_name() {
    let src = format!(
        "{TOKEN_VAR}page \"x\" {{\n  page_id = \"1\"\n  acess_token = var.token\n  access_token = var.token\n}}\n"
    );
    let diags = err(&[("main.hcl", &src)]);
    let d = only(&diags);
    assert_at(
        &diags,
        7,
        3,
        "unknown attribute `acess_token` in page \"x\"",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `access_token`?"));
    let excerpt = d.excerpt.as_ref().unwrap();
    assert_eq!(excerpt.line(), 7);
    assert_eq!(excerpt.text(), "  acess_token = var.token");
    assert_eq!(&excerpt.text()[excerpt.span()], "acess_token");
}

#[test]
fn missing_required_attributes_are_reported_at_the_label() {
    let diags = err(&[(
        "main.hcl",
        "page \"x\" {\n  page_id = \"1\"\n}\nlink \"l\" {\n}\n",
    )]);
    // A page without access_token is not one: Facebook supplies its token.
    assert_eq!(diags.len(), 2, "{}", diags.render());
    assert_at(
        &diags,
        4,
        6,
        "link \"l\" is missing the required attribute `page`",
    );
    assert_at(
        &diags,
        4,
        6,
        "link \"l\" is missing the required attribute `application`",
    );
}

#[test]
fn top_level_attributes_and_wrong_labels_are_errors() {
    let diags = err(&[("main.hcl", "x = 1\nlocals \"a\" {\n}\npage {\n}\n")]);
    assert_eq!(diags.len(), 3, "{}", diags.render());
    assert_at(&diags, 1, 1, "unexpected attribute `x` at the top level");
    assert_at(&diags, 2, 8, "a locals block takes 0 label(s), found 1");
    assert_at(&diags, 4, 1, "a page block takes 1 label(s), found 0");
}

#[test]
fn page_id_must_be_a_quoted_string_of_digits() {
    let src = format!(
        "{TOKEN_VAR}page \"a\" {{\n  page_id = 107100000000001\n  access_token = var.token\n}}\n{}",
        page("b", "12ab")
    );
    let diags = err(&[("main.hcl", &src)]);
    assert_eq!(diags.len(), 2, "{}", diags.render());
    assert_at(&diags, 6, 13, "page_id must be a string, got number");
    let quoted = diags
        .iter()
        .find(|d| d.message.contains("got number"))
        .unwrap();
    assert!(quoted.help.as_deref().unwrap().starts_with("quote it"));
    assert_at(
        &diags,
        10,
        13,
        "page_id must be all digits (a Facebook Page ID), got \"12ab\"",
    );
}

#[test]
fn lifecycle_values_must_be_literal_bools() {
    let src = format!(
        "{TOKEN_VAR}page \"a\" {{\n  page_id = \"1\"\n  access_token = var.token\n  lifecycle {{\n    prevent_destroy = \"yes\"\n    other = 1\n  }}\n}}\n"
    );
    let diags = err(&[("main.hcl", &src)]);
    assert_eq!(diags.len(), 2, "{}", diags.render());
    assert_at(&diags, 9, 23, "`prevent_destroy` must be true or false");
    assert_at(&diags, 10, 5, "unknown attribute `other`");
}

// ---- references and evaluation order ----

#[test]
fn unknown_references_suggest_close_names() {
    let src = r#"variable "region" { default = "emea" }
locals {
  base = "x"
  a = var.regoin
  b = local.bse
  c = page.suport.page_id
  d = page.support.pageid
  e = link.nope.application
  f = each.key
  g = foo.bar
}
page "support" {
  page_id = "1"
  access_token = "t0ken"
}
"#;
    let diags = err(&[("main.hcl", src)]);
    assert_eq!(diags.len(), 7, "{}", diags.render());
    assert_at(&diags, 4, 7, "unknown variable `var.regoin`");
    assert_at(&diags, 5, 7, "unknown local value `local.bse`");
    assert_at(&diags, 6, 7, "unknown page `page.suport`");
    assert_at(&diags, 7, 7, "page has no attribute `pageid`");
    assert_at(&diags, 8, 7, "unknown link `link.nope`");
    assert_at(
        &diags,
        9,
        7,
        "`each` is only available in a block that has for_each",
    );
    assert_at(&diags, 10, 7, "unknown name `foo`");
    let help = |text: &str| {
        diags
            .iter()
            .find(|d| d.message.contains(text))
            .unwrap()
            .help
            .clone()
            .unwrap()
    };
    assert_eq!(help("var.regoin"), "did you mean `var.region`?");
    assert_eq!(help("local.bse"), "did you mean `local.base`?");
    assert_eq!(help("page.suport"), "did you mean `page.support`?");
    assert_eq!(help("pageid"), "did you mean `page_id`?");
}

#[test]
fn access_tokens_cannot_be_referenced() {
    let src = format!(
        "{TOKEN_VAR}{}locals {{\n  t = page.a.access_token\n}}\n",
        page("a", "1")
    );
    let diags = err(&[("main.hcl", &src)]);
    assert_at(&diags, 10, 7, "a page's access_token cannot be referenced");
}

#[test]
fn unknown_functions_are_reported_at_the_call() {
    let diags = err(&[(
        "main.hcl",
        "locals {\n  a = \"${uper(\"x\")}\"\n  b = nosuch(1)\n}\n",
    )]);
    assert_eq!(diags.len(), 2, "{}", diags.render());
    assert_at(&diags, 2, 10, "unknown function `uper`");
    assert_eq!(diags.0[0].help.as_deref(), Some("did you mean `upper`?"));
    assert_at(&diags, 3, 7, "unknown function `nosuch`");
}

#[test]
fn function_errors_point_at_the_call() {
    let diags = err(&[("main.hcl", "locals {\n  n = 1 + tonumber(\"x\")\n}\n")]);
    assert_at(&diags, 2, 11, "tonumber(): a number is required");
}

#[test]
fn type_errors_in_operators_name_types_only() {
    let diags = err(&[("main.hcl", "locals {\n  n = \"abc\" + 1\n}\n")]);
    let d = only(&diags);
    assert_at(&diags, 2, 7, "");
    assert!(!d.message.contains("abc"), "{}", d.message);
}

#[test]
fn locals_and_resources_evaluate_in_dependency_order() {
    let src = format!(
        r#"{TOKEN_VAR}
link "l" {{
  page        = local.target
  application = local.app
}}
locals {{
  target = page.main.page_id
  app    = lower(local.raw)
}}
page "main" {{
  page_id      = local.id
  name         = "${{local.prefix}}-main"
  access_token = var.token
}}
locals {{
  raw    = "C0FFEE00-0000-4000-8000-00000000000A"
  id     = "42"
  prefix = "acme"
}}
"#
    );
    let d = ok(&[("main.hcl", &src)]);
    assert_eq!(d.pages[0].name.as_deref(), Some("acme-main"));
    assert_eq!(d.links[0].page_id, "42");
    assert_eq!(
        d.links[0].application,
        "c0ffee00-0000-4000-8000-00000000000a"
    );
}

#[test]
fn reference_cycles_name_their_members() {
    let diags = err(&[(
        "main.hcl",
        "locals {\n  a = local.b\n  b = local.c\n  c = local.a\n  d = local.a\n  ok = 1\n}\n",
    )]);
    let d = only(&diags);
    assert_eq!(
        d.message,
        "reference cycle: local.a -> local.b -> local.c -> local.a"
    );
    assert_at(&diags, 2, 3, "reference cycle");
}

#[test]
fn a_page_referencing_itself_is_a_cycle() {
    let src = format!(
        "{TOKEN_VAR}page \"a\" {{\n  page_id = \"1\"\n  name = page.a.page_id\n  access_token = var.token\n}}\n"
    );
    let diags = err(&[("main.hcl", &src)]);
    assert_eq!(only(&diags).message, "reference cycle: page.a -> page.a");
    assert_at(&diags, 5, 6, "reference cycle");
}

// ---- duplicates and cross-resource rules ----

#[test]
fn duplicate_declarations_name_the_first_one() {
    let src = format!(
        "{TOKEN_VAR}{}{}variable \"token\" {{}}\nlocals {{\n  a = 1\n}}\nlocals {{\n  a = 2\n}}\n",
        page("x", "1"),
        page("x", "2")
    );
    let diags = err(&[("main.hcl", &src)]);
    assert_eq!(diags.len(), 3, "{}", diags.render());
    assert_at(
        &diags,
        9,
        6,
        "duplicate page \"x\"; it was first declared at",
    );
    assert!(
        diags.0[0].message.ends_with("main.hcl:5:6"),
        "{}",
        diags.0[0].message
    );
    assert_at(&diags, 13, 10, "duplicate variable \"token\"");
    assert_at(&diags, 18, 3, "duplicate local value `a`");
}

#[test]
fn two_pages_with_one_page_id_name_both() {
    let src = format!("{TOKEN_VAR}{}{}", page("a", "7"), page("b", "7"));
    let diags = err(&[("main.hcl", &src)]);
    let d = only(&diags);
    // Both places: the first one's in the message, the second's the snippet.
    assert!(
        d.message.starts_with("page.a (/")
            && d.message
                .ends_with("/main.hcl:6:13) and page.b have the same page_id \"7\""),
        "{}",
        d.message
    );
    assert_at(&diags, 10, 13, "same page_id");
}

#[test]
fn links_must_name_a_declared_page_and_a_uuid() {
    let src = format!(
        "{TOKEN_VAR}{}link \"orphan\" {{\n  page = \"999\"\n  application = \"c0ffee00-0000-4000-8000-000000000001\"\n}}\nlink \"bad\" {{\n  page = page.a.page_id\n  application = \"not-a-uuid\"\n}}\n",
        page("a", "1")
    );
    let diags = err(&[("main.hcl", &src)]);
    assert_eq!(diags.len(), 2, "{}", diags.render());
    assert_at(
        &diags,
        10,
        10,
        "link.orphan: page_id \"999\" matches no page in this configuration",
    );
    assert_at(
        &diags,
        15,
        17,
        "application must be a UUID, got \"not-a-uuid\"",
    );
}

#[test]
fn two_links_on_one_page_name_both() {
    let app = "c0ffee00-0000-4000-8000-000000000001";
    let src = format!(
        "{TOKEN_VAR}{}link \"one\" {{\n  page = page.a.page_id\n  application = \"{app}\"\n}}\nlink \"two\" {{\n  page = page.a.page_id\n  application = \"{app}\"\n}}\n",
        page("a", "1")
    );
    let diags = err(&[("main.hcl", &src)]);
    let d = only(&diags);
    assert!(
        d.message.starts_with("link.one (/")
            && d.message.ends_with(
                "/main.hcl:10:10) and link.two both link page.a; a page can be linked to one application only"
            ),
        "{}",
        d.message
    );
    assert_at(&diags, 14, 10, "both link");
}

#[test]
fn independent_problems_are_all_reported_in_one_run() {
    let src = "pgae \"x\" {\n}\npage \"y\" {\n  page_id = 1\n  access_token = \"tok1\"\n}\nlocals {\n  a = var.nope\n}\n";
    let diags = err(&[("main.hcl", src)]);
    assert_eq!(diags.len(), 3, "{}", diags.render());
}

// ---- for_each ----

const REGION_SRC: &str = r#"variable "regions" {
  type    = map(string)
  default = { emea = "11", apac = "12" }
}
page "region" {
  for_each     = var.regions
  page_id      = each.value
  name         = "Region ${each.key}"
  access_token = "tok-${each.key}"
}
locals {
  ids  = [for k, p in page.region : p.page_id]
  emea = page.region["emea"].page_id
}
page "copy" {
  page_id      = "99"
  name         = join(",", local.ids)
  access_token = local.emea
}
"#;

#[test]
fn for_each_over_a_map_makes_keyed_instances() {
    let d = ok(&[("main.hcl", REGION_SRC)]);
    let names: Vec<(String, String, Option<String>)> = d
        .pages
        .iter()
        .map(|p| (p.address.to_string(), p.page_id.clone(), p.name.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("page.copy".into(), "99".into(), Some("12,11".into())),
            (
                r#"page.region["apac"]"#.into(),
                "12".into(),
                Some("Region apac".into())
            ),
            (
                r#"page.region["emea"]"#.into(),
                "11".into(),
                Some("Region emea".into())
            ),
        ]
    );
    assert_eq!(d.pages[0].access_token.as_ref().unwrap().expose(), "11");
    assert_eq!(d.pages[1].location.line, 5);
}

#[test]
fn for_each_over_a_set_of_strings_uses_them_as_keys_and_values() {
    let src = "page \"p\" {\n  for_each = toset([\"101\", \"102\", \"101\"])\n  page_id = each.key\n  name = each.value\n  access_token = \"tok-${each.value}\"\n}\n";
    let d = ok(&[("main.hcl", src)]);
    let addresses: Vec<String> = d.pages.iter().map(|p| p.address.to_string()).collect();
    assert_eq!(addresses, [r#"page.p["101"]"#, r#"page.p["102"]"#]);
    assert_eq!(d.pages[1].name.as_deref(), Some("102"));
}

#[test]
fn for_each_rejects_other_types_and_duplicate_keys() {
    let src = "page \"n\" {\n  for_each = 3\n  page_id = \"1\"\n  access_token = \"tok1\"\n}\npage \"d\" {\n  for_each = [\"1\", \"2\"]\n  page_id = each.key\n  access_token = \"tok1\"\n}\npage \"l\" {\n  for_each = toset([1])\n  page_id = \"3\"\n  access_token = \"tok1\"\n}\n";
    let diags = err(&[("main.hcl", src)]);
    assert_eq!(diags.len(), 3, "{}", diags.render());
    assert_at(
        &diags,
        2,
        14,
        "for_each must be a map or a set of strings, got number",
    );
    assert_at(
        &diags,
        7,
        14,
        "for_each must be a map or a set of strings, and this is a list (a tuple)",
    );
    assert_at(&diags, 12, 14, "this list contains a number");
}

/// Terraform's rule: a set (`toset`, a `set(...)` variable, through
/// locals, attributes and conditionals) may key instances, a list may not.
#[test]
fn for_each_takes_sets_but_refuses_lists_as_terraform_does() {
    let sets = r#"variable "ids" {
  type    = set(string)
  default = ["101", "102"]
}
variable "nested" {
  type    = object({ ids = set(string) })
  default = { ids = ["103"] }
}
variable "listed" {
  default = ["104"]
}
locals {
  ids  = toset(["105"])
  flag = true
}
page "a" {
  for_each     = var.ids
  page_id      = each.key
  access_token = "t"
}
page "b" {
  for_each     = var.nested.ids
  page_id      = each.key
  access_token = "t"
}
page "c" {
  for_each     = local.flag ? local.ids : toset([])
  page_id      = each.key
  access_token = "t"
}
"#;
    let d = ok(&[("main.hcl", sets)]);
    let addresses: Vec<String> = d.pages.iter().map(|p| p.address.to_string()).collect();
    assert_eq!(
        addresses,
        [
            r#"page.a["101"]"#,
            r#"page.a["102"]"#,
            r#"page.b["103"]"#,
            r#"page.c["105"]"#
        ]
    );
    let lists = format!(
        "{sets}page \"d\" {{\n  for_each     = var.listed\n  page_id      = each.key\n  access_token = \"t\"\n}}\n\
         page \"e\" {{\n  for_each     = [for id in var.ids : id]\n  page_id      = each.key\n  access_token = \"t\"\n}}\n\
         page \"f\" {{\n  for_each     = local.flag ? local.ids : [\"106\"]\n  page_id      = each.key\n  access_token = \"t\"\n}}\n"
    );
    let diags = err(&[("main.hcl", &lists)]);
    assert_eq!(diags.len(), 3, "{}", diags.render());
    for line in [32, 37, 42] {
        assert_at(&diags, line, 18, "and this is a list (a tuple)");
    }
    assert!(
        diags.render().contains("wrap it in toset(...)"),
        "{}",
        diags.render()
    );
}

#[test]
fn keyed_blocks_need_a_key_for_attributes_and_plain_blocks_refuse_one() {
    let src = format!(
        "{REGION_SRC}locals {{\n  bad1 = page.region.page_id\n  bad2 = page.copy[\"x\"].page_id\n}}\n"
    );
    let diags = err(&[("main.hcl", &src)]);
    assert_eq!(diags.len(), 2, "{}", diags.render());
    assert_at(
        &diags,
        21,
        10,
        "page.region uses for_each, so `.page_id` needs an instance key",
    );
    assert_at(
        &diags,
        22,
        10,
        "page.copy has no for_each, so it cannot be indexed with [\"x\"]",
    );
}

#[test]
fn a_missing_instance_key_is_an_error() {
    let src = format!("{REGION_SRC}locals {{\n  x = page.region[\"nowhere\"].page_id\n}}\n");
    let diags = err(&[("main.hcl", &src)]);
    assert_at(&diags, 21, 7, "no element or attribute named \"nowhere\"");
}

#[test]
fn an_each_key_index_sees_only_its_instance_yet_evaluates_as_before() {
    // Links indexed by each.key, a literal key and the whole map in one
    // configuration: each reference must see what the full map would give.
    let src = r#"variable "pages" {
  default = {
    a = "101"
    b = "102"
  }
}
page "p" {
  for_each     = var.pages
  page_id      = var.pages[each.key]
  access_token = "t-${each.key}"
}
link "l" {
  for_each    = var.pages
  page        = page.p[each.key].page_id
  application = "c0ffee00-0000-4000-8000-00000000000${length(page.p) + (page.p["a"].page_id == "101" ? 0 : 5)}"
}
"#;
    let desired = ok(&[("main.hcl", src)]);
    let links: Vec<(String, String, String)> = desired
        .links
        .iter()
        .map(|l| {
            (
                l.address.to_string(),
                l.page_id.clone(),
                l.application.clone(),
            )
        })
        .collect();
    let app = "c0ffee00-0000-4000-8000-000000000002".to_string();
    assert_eq!(
        links,
        vec![
            ("link.l[\"a\"]".into(), "101".into(), app.clone()),
            ("link.l[\"b\"]".into(), "102".into(), app),
        ]
    );
}

#[test]
fn an_each_key_missing_from_the_indexed_map_is_still_an_error() {
    let src = r#"variable "pages" {
  default = { a = "101" }
}
variable "more" {
  default = { a = "101", z = "109" }
}
page "p" {
  for_each     = var.pages
  page_id      = each.value
  access_token = "t"
}
link "l" {
  for_each    = var.more
  page        = page.p[each.key].page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
"#;
    let diags = err(&[("main.hcl", src)]);
    assert!(
        diags
            .iter()
            .any(|d| d.message.contains("no element or attribute named \"z\"")),
        "{}",
        diags.render()
    );
}

#[test]
fn plain_lookups_give_what_hcl_gives() {
    // Each `name` is its `page_id` expression in parentheses, which hcl
    // evaluates in full; the bare `page_id` takes the direct lookup.
    let src = r#"variable "ids" {
  default = ["101", "102", "103"]
}
variable "i" {
  default = 2
}
variable "m" {
  default = { inner = { id = "104" }, "with space" = "105" }
}
page "a" {
  page_id      = var.ids[1]
  name         = (var.ids[1])
  access_token = "t"
}
page "b" {
  page_id      = var.ids.0
  name         = (var.ids.0)
  access_token = "t"
}
page "c" {
  page_id      = var.ids[var.i]
  name         = (var.ids[var.i])
  access_token = "t"
}
page "d" {
  page_id      = var.m["inner"].id
  name         = (var.m["inner"].id)
  access_token = "t"
}
page "e" {
  page_id      = var.m["with space"]
  name         = (var.m["with space"])
  access_token = "t"
}
"#;
    let desired = ok(&[("main.hcl", src)]);
    let got: Vec<(String, String, Option<String>)> = desired
        .pages
        .iter()
        .map(|p| (p.address.to_string(), p.page_id.clone(), p.name.clone()))
        .collect();
    let expected = [
        ("page.a", "102"),
        ("page.b", "101"),
        ("page.c", "103"),
        ("page.d", "104"),
        ("page.e", "105"),
    ];
    assert_eq!(
        got,
        expected
            .iter()
            .map(|(a, id)| (a.to_string(), id.to_string(), Some(id.to_string())))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_lookup_that_misses_reports_hcls_error_where_it_is() {
    let src = r#"variable "ids" {
  default = ["101"]
}
page "a" {
  page_id      = var.ids[7]
  access_token = "t"
}
page "b" {
  page_id      = var.ids.nope
  access_token = "t"
}
"#;
    let diags = err(&[("main.hcl", src)]);
    assert_eq!(diags.len(), 2, "{}", diags.render());
    assert_at(&diags, 5, 18, "index 7 is out of range");
    assert_at(&diags, 9, 18, "expected an object, got list");
}

// ---- variables ----

const VAR_SRC: &str = "variable \"v\" {\n  default = \"default\"\n}\npage \"p\" {\n  page_id = \"1\"\n  name = var.v\n  access_token = \"tok1\"\n}\n";

fn name_with(extra: &[(&str, &str)], f: impl FnOnce(&mut LoadOptions)) -> String {
    let mut files = vec![("main.hcl", VAR_SRC)];
    files.extend_from_slice(extra);
    ok_with(&files, f).pages[0].name.clone().unwrap()
}

#[test]
fn variable_precedence_follows_terraform() {
    assert_eq!(name_with(&[], |_| {}), "default");
    let env = |o: &mut LoadOptions| o.env = vec![("SF_VAR_v".into(), "env".into())];
    assert_eq!(name_with(&[], env), "env");
    let main = ("socialform.sfvars", "v = \"sfvars\"\n");
    assert_eq!(name_with(&[main], env), "sfvars");
    let auto_a = ("a.auto.sfvars", "v = \"auto-a\"\n");
    let auto_b = ("b.auto.sfvars", "v = \"auto-b\"\n");
    assert_eq!(name_with(&[main, auto_b, auto_a], env), "auto-b");
    let file = ("extra.vars", "v = \"var-file\"\n");
    assert_eq!(
        name_with(&[main, auto_a, file], |o| o.cli_vars =
            vec![CliVar::File("extra.vars".into())]),
        "var-file"
    );
    // Command-line order decides between --var and --var-file.
    assert_eq!(
        name_with(&[main, file], |o| {
            o.cli_vars = vec![
                CliVar::Pair {
                    name: "v".into(),
                    value: "cli".into(),
                },
                CliVar::File("extra.vars".into()),
            ]
        }),
        "var-file"
    );
    assert_eq!(
        name_with(&[main, file], |o| {
            o.cli_vars = vec![
                CliVar::File("extra.vars".into()),
                CliVar::Pair {
                    name: "v".into(),
                    value: "cli".into(),
                },
            ]
        }),
        "cli"
    );
}

#[test]
fn cli_values_are_converted_to_the_declared_type() {
    let src = r#"variable "n" { type = number }
variable "flag" { type = bool }
variable "ids" { type = list(string) }
variable "m" { type = map(number) }
page "p" {
  page_id      = var.flag ? tostring(var.n + 1) : "0"
  name         = "${join("+", var.ids)}:${var.m.a}"
  access_token = "tok1"
}
"#;
    let d = ok_with(&[("main.hcl", src)], |o| {
        o.cli_vars = vec![
            CliVar::Pair {
                name: "n".into(),
                value: "41".into(),
            },
            CliVar::Pair {
                name: "flag".into(),
                value: "true".into(),
            },
            CliVar::Pair {
                name: "ids".into(),
                value: r#"["a", "b"]"#.into(),
            },
            CliVar::Pair {
                name: "m".into(),
                value: "{ a = \"5\" }".into(),
            },
        ]
    });
    assert_eq!(d.pages[0].page_id, "42");
    assert_eq!(d.pages[0].name.as_deref(), Some("a+b:5"));
}

#[test]
fn bad_variable_values_are_reported_per_source() {
    let src = "variable \"n\" {\n  type = number\n  default = \"x\"\n}\nvariable \"s\" {\n  type = list(string)\n}\n";
    let diags = err_with(
        &[
            ("main.hcl", src),
            ("socialform.sfvars", "s = \"str\"\nnope = 1\n"),
        ],
        |o| {
            o.cli_vars = vec![
                CliVar::Pair {
                    name: "n".into(),
                    value: "abc".into(),
                },
                CliVar::Pair {
                    name: "missing".into(),
                    value: "1".into(),
                },
            ];
            o.env = vec![
                ("SF_VAR_n".into(), "zz".into()),
                ("SF_VAR_unrelated".into(), "ignored".into()),
            ];
        },
    );
    assert_eq!(diags.len(), 6, "{}", diags.render());
    assert_at(
        &diags,
        3,
        13,
        "the default of variable `n` does not match its type: a number is required",
    );
    assert_at(
        &diags,
        1,
        5,
        "invalid value for variable `s`: a list(string) is required, got string",
    );
    assert_at(&diags, 2, 1, "there is no variable named `nope`");
    let msgs: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert!(msgs.contains(&"invalid value for variable `n` in the environment variable SF_VAR_n: a number is required, got a string that is not a number"), "{msgs:?}");
    assert!(msgs.contains(&"--var n=...: invalid value for variable `n`: a number is required, got a string that is not a number"), "{msgs:?}");
    assert!(
        msgs.contains(&"--var missing=...: there is no variable named `missing`"),
        "{msgs:?}"
    );
    let cli = diags
        .iter()
        .find(|d| d.message.starts_with("--var n="))
        .unwrap();
    assert_eq!(cli.help.as_deref(), Some("pass a number, e.g. --var n=3"));
}

#[test]
fn invalid_type_constraints_are_reported() {
    let diags = err(&[("main.hcl", "variable \"x\" {\n  type = strin\n}\n")]);
    assert_at(
        &diags,
        2,
        10,
        "invalid type constraint: unknown type `strin`",
    );
}

#[test]
fn object_variables_with_optional_attributes() {
    let src = r#"variable "cfg" {
  type = object({ id = string, label = optional(string) })
}
page "p" {
  page_id      = var.cfg.id
  name         = coalesce(var.cfg.label, "fallback")
  access_token = "tok1"
}
"#;
    let d = ok_with(
        &[("main.hcl", src), ("x.auto.sfvars", "cfg = { id = 5 }\n")],
        |_| {},
    );
    assert_eq!(d.pages[0].page_id, "5");
    assert_eq!(d.pages[0].name.as_deref(), Some("fallback"));
}

#[test]
fn an_unset_variable_is_an_error_only_where_used() {
    let src = "variable \"unused\" {}\nvariable \"needed\" {}\npage \"p\" {\n  page_id = var.needed\n  access_token = \"tok1\"\n}\n";
    let diags = err(&[("main.hcl", src)]);
    let d = only(&diags);
    assert_at(
        &diags,
        4,
        13,
        "variable `needed` is not set and has no default",
    );
    let help = d.help.as_deref().unwrap();
    assert!(
        help.contains("--var needed=VALUE")
            && help.contains("socialform.sfvars")
            && help.contains("SF_VAR_needed"),
        "{help}"
    );
}

#[test]
fn nullable_false_refuses_null() {
    let diags = err(&[(
        "main.hcl",
        "variable \"x\" {\n  nullable = false\n  default = null\n}\n",
    )]);
    assert_at(
        &diags,
        1,
        10,
        "variable `x` is null, but it is declared with nullable = false",
    );
}

#[test]
fn unknown_tokens_are_allowed_only_for_access_tokens() {
    let src = "variable \"tok\" {\n  sensitive = true\n}\nvariable \"id\" {}\npage \"p\" {\n  page_id = \"1\"\n  access_token = var.tok\n}\n";
    let d = ok_with(&[("main.hcl", src)], |o| o.allow_unknown_tokens = true);
    assert!(d.pages[0].access_token.is_none());
    let diags = err(&[("main.hcl", src)]);
    assert_at(&diags, 7, 18, "variable `tok` is not set");
    let src2 = src.replace("page_id = \"1\"", "page_id = var.id");
    let diags = err_with(&[("main.hcl", &src2)], |o| o.allow_unknown_tokens = true);
    only(&diags);
    assert_at(&diags, 6, 13, "variable `id` is not set");
}

// ---- secrets ----

#[test]
fn sensitive_values_never_appear_in_diagnostics() {
    let src = r#"variable "secret" {
  sensitive = true
}
page "p" {
  page_id      = var.secret
  access_token = "EAAB-literal-token"
}
locals {
  n = 5 + tonumber("EAAB-literal-token")
}
"#;
    let diags = err_with(&[("main.hcl", src)], |o| {
        o.env = vec![("SF_VAR_secret".into(), "hunter2x".into())];
    });
    let text = diags.render();
    assert!(diags.len() >= 2, "{text}");
    assert!(!text.contains("hunter2x"), "{text}");
    assert!(!text.contains("EAAB-literal-token"), "{text}");
    // A sensitive page_id is refused by name before its value is checked.
    assert!(
        text.contains("page_id uses the sensitive variable var.secret"),
        "{text}"
    );
}

#[test]
fn provider_settings_and_its_schema() {
    let d = ok(&[(
        "main.hcl",
        "provider \"vonage\" {\n  api_key = \"k\"\n  api_secret = \"s\"\n}\n",
    )]);
    assert_eq!(d.provider.api_key.as_deref(), Some("k"));
    assert_eq!(d.provider.api_secret.as_ref().unwrap().expose(), "s");
    assert_eq!(d.provider.endpoint, None);
    assert!(d.pages.is_empty());
    let diags = err(&[(
        "main.hcl",
        "provider \"vonage\" {\n  api_keys = \"k\"\n}\nprovider \"vonage\" {\n}\nprovider \"aws\" {\n}\n",
    )]);
    assert_eq!(diags.len(), 3, "{}", diags.render());
    assert_at(
        &diags,
        2,
        3,
        "unknown attribute `api_keys` in provider \"vonage\"",
    );
    assert_at(&diags, 4, 10, "duplicate provider \"vonage\" block");
    assert_at(&diags, 6, 10, "unknown provider `aws`");
}

// ---- import and removed ----

#[test]
fn import_and_removed_blocks() {
    let src = format!(
        "{REGION_SRC}import {{\n  to = page.region[\"emea\"]\n  id = \"11\"\n}}\nremoved {{\n  from = page.old\n  lifecycle {{\n    destroy = false\n  }}\n}}\nremoved {{\n  from = link.gone[\"k\"]\n}}\n"
    );
    let d = ok(&[("main.hcl", &src)]);
    assert_eq!(d.imports.len(), 1);
    assert_eq!(d.imports[0].to, Address::page("region").with_key("emea"));
    assert_eq!(d.imports[0].id, "11");
    assert_eq!(
        (d.imports[0].location.line, d.imports[0].location.column),
        (20, 1)
    );
    assert_eq!(d.removed.len(), 2);
    assert_eq!(d.removed[0].from, Address::page("old"));
    assert!(!d.removed[0].destroy);
    assert_eq!(d.removed[1].from, Address::link("gone").with_key("k"));
    assert!(d.removed[1].destroy);
}

#[test]
fn bad_import_and_removed_addresses() {
    let src = format!(
        "{REGION_SRC}import {{\n  to = \"page.copy\"\n  id = \"1\"\n}}\nimport {{\n  to = link.x\n  id = \"1\"\n}}\nimport {{\n  to = page.region\n  id = \"1\"\n}}\nimport {{\n  to = page.copy\n  id = \"abc\"\n}}\nremoved {{\n  from = page.copy\n}}\nremoved {{\n  from = var.x\n}}\n"
    );
    let diags = err(&[("main.hcl", &src)]);
    assert_eq!(diags.len(), 6, "{}", diags.render());
    assert_at(&diags, 21, 8, "import `to` must be a resource address");
    assert_at(&diags, 25, 8, "only pages and applications can be imported");
    assert_at(
        &diags,
        29,
        8,
        "import target page.region is not declared in the configuration",
    );
    assert_at(
        &diags,
        34,
        8,
        "id must be a page_id (all digits), got \"abc\"",
    );
    assert_at(
        &diags,
        37,
        10,
        "page.copy is still declared, so it cannot be removed",
    );
    assert_at(&diags, 40, 10, "removed `from` must be a resource address");
}

// ---- moved ----

#[test]
fn moved_blocks() {
    let src = format!(
        "{REGION_SRC}moved {{\n  from = page.old\n  to   = page.copy\n}}\nmoved {{\n  from = page.regional\n  to   = page.region\n}}\n"
    );
    let d = ok(&[("main.hcl", &src)]);
    assert_eq!(d.moved.len(), 2);
    assert_eq!(d.moved[0].from, Address::page("old"));
    assert_eq!(d.moved[0].to, Address::page("copy"));
    assert_eq!(
        (d.moved[0].location.line, d.moved[0].location.column),
        (20, 1)
    );
    assert_eq!(d.moved[1].from, Address::page("regional"));
    assert_eq!(d.moved[1].to, Address::page("region"));
}

#[test]
fn bad_moved_blocks() {
    let src = format!(
        "{REGION_SRC}moved {{\n  from = page.old\n  to   = link.copy\n}}\nmoved {{\n  from = page.old\n  to   = page.nowhere\n}}\nmoved {{\n  from = page.old\n  to   = page.copy\n}}\nmoved {{\n  from = page.old\n  to   = page.region[\"emea\"]\n}}\nmoved {{\n  from = page.copy\n  to   = page.region[\"apac\"]\n}}\nmoved {{\n  from = page.x\n}}\nmoved {{\n  from = page.y[\"k\"]\n  to   = page.region\n}}\n"
    );
    let diags = err(&[("main.hcl", &src)]);
    assert_eq!(diags.len(), 6, "{}", diags.render());
    assert_at(
        &diags,
        45,
        10,
        "moved target page.region is not declared in the configuration",
    );
    assert_at(&diags, 22, 10, "cannot move a page to a link");
    assert_at(
        &diags,
        26,
        10,
        "moved target page.nowhere is not declared in the configuration",
    );
    assert_at(
        &diags,
        33,
        10,
        "page.old is moved twice; the first moved block is at",
    );
    assert_at(
        &diags,
        37,
        10,
        "page.copy is still declared, so nothing can move away from it",
    );
    assert_at(
        &diags,
        40,
        1,
        "the moved block is missing the required attribute `to`",
    );
}

#[test]
fn a_moved_block_is_not_mistaken_for_removed() {
    let d = ok(&[(
        "main.hcl",
        "page \"new\" {\n  page_id      = \"1\"\n  access_token = \"t\"\n}\nmoved {\n  from = page.old\n  to   = page.new\n}\n",
    )]);
    assert!(d.removed.is_empty());
    assert_eq!(d.moved.len(), 1);
}

#[test]
fn a_moved_block_into_a_broken_block_does_not_cascade() {
    let diags = err(&[(
        "main.hcl",
        "page \"new\" {\n  access_token = \"t\"\n}\nmoved {\n  from = page.old\n  to   = page.new\n}\n",
    )]);
    assert_eq!(diags.len(), 1, "{}", diags.render());
    assert_at(&diags, 1, 6, "missing the required attribute `page_id`");
}

#[test]
fn terraform_meta_arguments_are_answered_without_cascading() {
    let diags = err(&[(
        "main.hcl",
        "page \"x\" {\n  page_id      = \"1\"\n  access_token = \"t\"\n  lifecycle {\n    ignore_changes = [name]\n  }\n}\nlink \"l\" {\n  page        = page.x.page_id\n  application = \"c0ffee00-0000-4000-8000-000000000001\"\n  depends_on  = [page.x]\n  provider    = vonage\n}\n",
    )]);
    assert_eq!(diags.len(), 3, "{}", diags.render());
    assert_at(
        &diags,
        5,
        5,
        "`ignore_changes` is not supported in the lifecycle block of page \"x\"",
    );
    assert_at(&diags, 11, 3, "`depends_on` is not supported in link \"l\"");
    assert_at(&diags, 12, 3, "`provider` is not supported in link \"l\"");
}

// ---- rendering ----

#[test]
fn render_shows_location_snippet_and_help() {
    let dir = dir_with(&[("main.hcl", "locals {\n  a = local.bb\n  bc = 1\n}\n")]);
    let text = load(&options(dir.path())).unwrap_err().render();
    let file = dir.path().join("main.hcl");
    let expected = format!(
        "error: {}:2:7: unknown local value `local.bb`\n  |\n2 |   a = local.bb\n  |       ^^^^^^^^\n  |\n  = help: did you mean `local.bc`?\n",
        file.display()
    );
    assert_eq!(text, expected);
}

#[test]
fn env_and_file_read_the_options_and_the_config_dir() {
    let src = "page \"p\" {\n  page_id = trimspace(file(\"id.txt\"))\n  name = env(\"SF_TEST_NAME\")\n  access_token = coalesce(env(\"PATH_NOT_FROM_PROCESS\"), \"tok1\")\n}\n";
    let d = ok_with(&[("main.hcl", src), ("id.txt", "12345\n")], |o| {
        o.env = vec![("SF_TEST_NAME".into(), "from options".into())];
    });
    assert_eq!(d.pages[0].page_id, "12345");
    assert_eq!(d.pages[0].name.as_deref(), Some("from options"));
    assert_eq!(d.pages[0].access_token.as_ref().unwrap().expose(), "tok1");
    let diags = err(&[("main.hcl", "locals {\n  x = file(\"missing.txt\")\n}\n")]);
    assert_at(&diags, 2, 7, "file(): cannot read");
}

#[test]
fn link_locations_and_complex_environment_values() {
    let src = "variable \"apps\" {\n  type = map(string)\n}\npage \"p\" {\n  page_id = \"1\"\n  access_token = \"tok1\"\n}\n  link   \"l\" {\n  page = page.p.page_id\n  application = var.apps.main\n}\n";
    let d = ok_with(&[("main.hcl", src)], |o| {
        o.env = vec![(
            "SF_VAR_apps".into(),
            "{ main = \"C0FFEE00-0000-4000-8000-000000000001\" }".into(),
        )];
    });
    let link = &d.links[0];
    assert_eq!((link.location.line, link.location.column), (8, 10));
    assert_eq!(link.application, "c0ffee00-0000-4000-8000-000000000001");
}

#[test]
fn var_files_may_be_absolute_or_relative_to_the_config_dir() {
    let elsewhere = tempfile::tempdir().unwrap();
    let abs = elsewhere.path().join("abs.vars");
    std::fs::write(&abs, "v = \"absolute\"\n").unwrap();
    assert_eq!(
        name_with(&[], |o| o.cli_vars = vec![CliVar::File(abs.clone())]),
        "absolute"
    );
    let diags = err_with(&[("main.hcl", VAR_SRC)], |o| {
        o.cli_vars = vec![CliVar::File("nope.vars".into())]
    });
    assert!(
        only(&diags).message.starts_with("cannot read "),
        "{}",
        diags.render()
    );
}

#[test]
fn odd_arithmetic_never_panics() {
    for expr in [
        "1 / 0",
        "9223372036854775807 + 1",
        "-9223372036854775807 - 10",
        "(-9223372036854775807 - 1) / -1",
        "5 % 0",
        "\"x\"[0]",
        "[1][5]",
        "null.a",
        "{ for x in [\"a\", \"a\"] : x => 1 }",
        "element([1], -1)",
        "[for x in 5 : x]",
        "upper()",
        "1e400",
    ] {
        let src = format!("locals {{\n  x = {expr}\n}}\n");
        let dir = dir_with(&[("main.hcl", &src)]);
        if let Err(diags) = load(&options(dir.path())) {
            assert!(
                diags
                    .iter()
                    .all(|d| !d.message.starts_with("internal error")),
                "{expr}: {}",
                diags.render()
            );
        }
    }
}

#[test]
fn division_by_zero_is_a_diagnostic() {
    let diags = err(&[("main.hcl", "locals {\n  x = 1 / 0\n}\n")]);
    assert_at(&diags, 2, 7, "arithmetic gave no finite number");
}

#[test]
fn literal_values_are_read_exactly_as_evaluation_would() {
    use hcl::eval::Evaluate;
    let literals = [
        r#"{ a = "x", "b" = 1.5, c = [true, null, 3] }"#,
        r#"["s", { k = { deep = [1, 2] } }, 1e3]"#,
        r#""plain \"quoted\" \u00e9""#,
    ];
    for src in literals {
        let expr = hcl_edit::parser::parse_expr(src).unwrap();
        let fast = super::eval::literal_value(&expr).expect("a literal");
        let slow = hcl::Expression::from(expr)
            .evaluate(&hcl::eval::Context::new())
            .unwrap();
        assert_eq!(fast, slow, "{src}");
    }
    // Anything that needs evaluating is left to the evaluator.
    for src in [
        r#""${var.x}""#,
        "[upper(\"a\")]",
        "{ (var.k) = 1 }",
        "1 + 2",
    ] {
        let expr = hcl_edit::parser::parse_expr(src).unwrap();
        assert!(super::eval::literal_value(&expr).is_none(), "{src}");
    }
}

#[test]
fn literal_variable_files_load_the_same_as_through_the_full_parser() {
    let main = r#"variable "pages" {
  type = map(object({ page_id = string, name = string, token = string }))
}
variable "extra" {}
variable "weights" {}

page "p" {
  for_each     = var.pages
  page_id      = each.value.page_id
  name         = "${each.value.name} ${length(var.weights)}"
  access_token = each.value.token
}
"#;
    let literal = "pages = {\n  b = { page_id = \"2\", name = \"B \\\"two\\\"\", token = \"t2\" }\n  \"a-1\": { page_id = 1, name = \"Caf\\u00e9\", token = \"t1\" },\n}\nweights = [1, -2.5, 3e2] # c\nextra = \"x\"\n";
    // The same file, except that one value needs evaluating: it takes the
    // hcl-edit path.
    let evaluated = literal.replace("extra = \"x\"", "extra = lower(\"X\")");
    assert!(super::literal::read_attributes(literal).is_some());
    assert!(super::literal::read_attributes(&evaluated).is_none());
    // One directory for both, so the locations in the model compare equal.
    let dir = dir_with(&[("main.hcl", main), ("socialform.sfvars", literal)]);
    let fast = load(&options(dir.path())).unwrap();
    std::fs::write(dir.path().join("socialform.sfvars"), &evaluated).unwrap();
    let full = load(&options(dir.path())).unwrap();
    assert_eq!(format!("{fast:?}"), format!("{full:?}"));
    let tokens = |d: &Desired| -> Vec<String> {
        d.pages
            .iter()
            .map(|p| p.access_token.as_ref().unwrap().expose().to_string())
            .collect()
    };
    assert_eq!(tokens(&fast), ["t1", "t2"]);
    assert_eq!(tokens(&fast), tokens(&full));
    assert_eq!(fast.pages.len(), 2);
    assert_eq!(fast.pages[0].page_id, "1");
    assert_eq!(fast.pages[0].name.as_deref(), Some("Café 3"));
}

#[test]
fn literal_variable_files_with_mistakes_get_the_usual_diagnostics() {
    // Both files read as literals; the undeclared name and the wrong type
    // send them to the full path, which reports where the mistake is.
    let main = "variable \"n\" {\n  type = number\n}\n";
    let diags = err(&[
        ("main.hcl", main),
        ("socialform.sfvars", "n = 1\nnope = 2\n"),
    ]);
    assert_at(&diags, 2, 1, "there is no variable named `nope`");
    let diags = err(&[("main.hcl", main), ("socialform.sfvars", "n = [1]\n")]);
    assert_at(&diags, 1, 5, "invalid value for variable `n`");
}

// ---- Facebook ----

const FACEBOOK_CONFIG: &str = r#"
variable "fb" {
  sensitive = true
  default   = "EAAuser"
}

provider "facebook" {
  user_token         = var.fb
  app_id             = "4242"
  app_secret         = "shh-app-secret"
  token_warning_days = 3
}

data "facebook_pages" "managed" {}

page "support" {
  page_id = "107100000000001"
}

page "region" {
  for_each = data.facebook_pages.managed.pages
  page_id  = each.key
  name     = each.value.name
}

link "region" {
  for_each    = page.region
  page        = each.value.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
"#;

fn facebook_pages() -> std::sync::Arc<Vec<super::FacebookPage>> {
    std::sync::Arc::new(vec![
        super::FacebookPage {
            id: "107100000000002".into(),
            name: Some("North".into()),
            tasks: vec!["MESSAGING".into()],
        },
        super::FacebookPage {
            id: "107100000000003".into(),
            name: None,
            tasks: vec![],
        },
    ])
}

#[test]
fn the_facebook_provider_is_read_with_its_secrets_hidden() {
    let d = ok(&[("main.hcl", FACEBOOK_CONFIG)]);
    let facebook = d.facebook.expect("the block is read");
    assert_eq!(
        facebook.user_token.as_ref().map(|s| s.expose()),
        Some("EAAuser")
    );
    assert_eq!(facebook.app_id.as_deref(), Some("4242"));
    assert_eq!(
        format!("{:?}", facebook.app_secret),
        "Some((sensitive value))"
    );
    assert_eq!(facebook.token_warning_days, Some(3));
    // A page without access_token takes it from Facebook, later.
    let support = d
        .pages
        .iter()
        .find(|p| p.address.name == "support")
        .unwrap();
    assert!(support.token_from_facebook && support.access_token.is_none());
}

#[test]
fn without_facebooks_answer_what_uses_the_data_source_is_left_out_silently() {
    let d = ok(&[("main.hcl", FACEBOOK_CONFIG)]);
    assert!(d.needs_facebook_pages);
    assert_eq!(d.pages.len(), 1, "only page.support is known");
    assert!(d.links.is_empty());
}

#[test]
fn with_facebooks_answer_the_data_source_expands_for_each() {
    let d = ok_with(&[("main.hcl", FACEBOOK_CONFIG)], |o| {
        o.facebook_pages = Some(facebook_pages())
    });
    assert!(!d.needs_facebook_pages);
    let regions: Vec<(String, Option<String>)> = d
        .pages
        .iter()
        .filter(|p| p.address.name == "region")
        .map(|p| (p.page_id.clone(), p.name.clone()))
        .collect();
    assert_eq!(
        regions,
        vec![
            ("107100000000002".to_string(), Some("North".to_string())),
            ("107100000000003".to_string(), None),
        ]
    );
    assert_eq!(d.links.len(), 2);
}

#[test]
fn data_source_mistakes_are_reported_where_they_are_written() {
    let diags = err(&[(
        "main.hcl",
        "data \"facebook_page\" \"x\" {}\ndata \"facebook_pages\" \"managed\" {\n  user = 1\n}\nlocals {\n  a = data.facebook_pages.managd.pages\n  b = data.facebook_pages.managed.tokens\n}\nprovider \"facebok\" {}\n",
    )]);
    assert_at(&diags, 1, 6, "unknown data source `facebook_page`");
    assert_at(
        &diags,
        3,
        3,
        "unknown attribute `user` in data \"facebook_pages\" \"managed\"",
    );
    assert_at(
        &diags,
        6,
        7,
        "unknown data source `data.facebook_pages.managd`",
    );
    assert_at(
        &diags,
        7,
        7,
        "data.facebook_pages has no attribute `tokens`",
    );
    assert_at(&diags, 9, 10, "unknown provider `facebok`");
    let text = diags.render();
    assert!(
        text.contains("did you mean `data.facebook_pages.managed`?"),
        "{text}"
    );
    assert!(
        text.contains("did you mean `provider \"facebook\"`?"),
        "{text}"
    );
}

#[test]
fn token_warning_days_must_be_a_whole_number_of_days() {
    let diags = err(&[(
        "main.hcl",
        "provider \"facebook\" {\n  token_warning_days = 1.5\n}\n",
    )]);
    assert_at(
        &diags,
        2,
        24,
        "token_warning_days must be a whole number of days from 0 to 365, got another number",
    );
}

// ---- count ----

const COUNTED: &str = r#"
locals {
  ids = ["11", "12", "13"]
}
page "shard" {
  count        = length(local.ids)
  page_id      = local.ids[count.index]
  name         = "Shard ${count.index}"
  access_token = "t"
}
link "bot" {
  count       = 3
  page        = page.shard[count.index].page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
"#;

#[test]
fn count_makes_indexed_instances_with_count_index() {
    let d = ok(&[("main.hcl", COUNTED)]);
    let pages: Vec<(String, &str, Option<&str>)> = d
        .pages
        .iter()
        .map(|p| (p.address.to_string(), p.page_id.as_str(), p.name.as_deref()))
        .collect();
    assert_eq!(
        pages,
        [
            ("page.shard[0]".to_string(), "11", Some("Shard 0")),
            ("page.shard[1]".to_string(), "12", Some("Shard 1")),
            ("page.shard[2]".to_string(), "13", Some("Shard 2")),
        ]
    );
    let links: Vec<(String, &str)> = d
        .links
        .iter()
        .map(|l| (l.address.to_string(), l.page_id.as_str()))
        .collect();
    assert_eq!(
        links,
        [
            ("link.bot[0]".to_string(), "11"),
            ("link.bot[1]".to_string(), "12"),
            ("link.bot[2]".to_string(), "13"),
        ]
    );
    assert_eq!(d.pages[1].address, Address::page("shard").with_key(1u64));
}

#[test]
fn instances_are_ordered_by_number() {
    let d = ok(&[(
        "main.hcl",
        "page \"p\" {\n  count        = 12\n  page_id      = \"1${100 + count.index}\"\n  access_token = \"t\"\n}\n",
    )]);
    let order: Vec<String> = d.pages.iter().map(|p| p.address.to_string()).collect();
    assert_eq!(order[2], "page.p[2]");
    assert_eq!(order[10], "page.p[10]");
}

#[test]
fn a_counted_block_is_a_list_to_other_expressions() {
    let d = ok(&[(
        "main.hcl",
        &format!(
            "{COUNTED}\nlocals {{\n  all   = page.shard[*].page_id\n  names = [for p in page.shard : p.name]\n}}\npage \"last\" {{\n  page_id      = \"9${{local.all[2]}}\"\n  name         = \"${{local.names[1]}}/${{length(page.shard)}}\"\n  access_token = \"t\"\n}}\n"
        ),
    )]);
    let last = d
        .pages
        .iter()
        .find(|p| p.address == Address::page("last"))
        .unwrap();
    assert_eq!(last.page_id, "913");
    assert_eq!(last.name.as_deref(), Some("Shard 1/3"));
}

#[test]
fn count_zero_declares_nothing_and_a_variable_sets_it() {
    let d = ok(&[(
        "main.hcl",
        "variable \"n\" {\n  default = 0\n}\npage \"p\" {\n  count        = var.n\n  page_id      = \"1\"\n  access_token = \"t\"\n}\n",
    )]);
    assert!(d.pages.is_empty());
}

#[test]
fn count_mistakes_are_reported_once_at_their_place() {
    let diags = err(&[(
        "main.hcl",
        "page \"p\" {\n  count        = 3\n  page_id      = each.key\n  access_token = \"t\"\n}\n",
    )]);
    // Three instances share the expression: one error, not three.
    assert_eq!(diags.len(), 1, "{}", diags.render());
    assert_at(
        &diags,
        3,
        18,
        "`each` is only available in a block that has for_each",
    );
    let diags = err(&[(
        "main.hcl",
        "page \"p\" {\n  count        = -2\n  page_id      = \"1\"\n  access_token = \"t\"\n}\n",
    )]);
    assert_at(&diags, 2, 18, "count must not be negative, got -2");
    let diags = err(&[(
        "main.hcl",
        "page \"p\" {\n  count        = 1000000000\n  page_id      = \"1\"\n  access_token = \"t\"\n}\n",
    )]);
    assert_at(&diags, 2, 18, "more than the 100000 instances");
}

#[test]
fn moved_and_import_blocks_take_indexed_addresses() {
    let d = ok(&[(
        "main.hcl",
        &format!(
            "{COUNTED}\nmoved {{\n  from = page.shard\n  to   = page.shard[0]\n}}\nimport {{\n  to = page.shard[2]\n  id = \"13\"\n}}\nremoved {{\n  from = page.shard[3]\n}}\n"
        ),
    )]);
    assert_eq!(d.moved[0].to, Address::page("shard").with_key(0u64));
    assert_eq!(d.imports[0].to, Address::page("shard").with_key(2u64));
    assert_eq!(d.removed[0].from, Address::page("shard").with_key(3u64));
    // A string key is another address: page.shard has no instance "0".
    let diags = err(&[(
        "main.hcl",
        &format!("{COUNTED}\nmoved {{\n  from = page.old\n  to   = page.shard[\"0\"]\n}}\n"),
    )]);
    assert_at(
        &diags,
        19,
        10,
        "moved target page.shard[\"0\"] is not declared",
    );
}

#[test]
fn a_sensitive_value_cannot_be_shown_as_a_name_or_an_id() {
    let diags = err(&[(
        "main.hcl",
        "variable \"tok\" {\n  sensitive = true\n  default   = \"secret-value\"\n}\nlocals {\n  label = \"Page ${var.tok}\"\n}\npage \"x\" {\n  page_id      = \"1\"\n  name         = local.label\n  access_token = var.tok\n}\n",
    )]);
    assert_eq!(diags.len(), 1, "{}", diags.render());
    assert_at(
        &diags,
        10,
        18,
        "name uses the sensitive variable var.tok: its value would be shown in plans, kept in state and sent to Vonage as the page name",
    );
    assert!(!diags.render().contains("secret-value"));
}

#[test]
fn only_a_line_of_code_starting_with_the_word_may_declare_a_block() {
    let words = super::line_starting_words;
    assert_eq!(words("backend \"postgres\" {\n}\n"), (true, false));
    assert_eq!(words("  provider\t\"vonage\" {}\n"), (false, true));
    assert_eq!(
        words("/* c */ backend{\n}\nprovider \"x\" {}\n"),
        (true, true)
    );
    // In strings, heredocs and comments, or not followed by a label or a
    // brace, the word declares nothing.
    let text = "x = \"a\nbackend \\\"p\\\" {\"\ny = <<EOT\nprovider \"v\" {\nEOT\n\
                # backend \"p\" {\n/*\nprovider \"v\" {\n*/\nbackends = 1\nproviders \"v\" {}\n";
    assert_eq!(words(text), (false, false));
}

const APPLICATIONS_CONFIG: &str = r#"data "vonage_applications" "messaging" {
  capability = "messages"
}

data "vonage_applications" "every" {}

locals {
  pages = { "Support bot" = "107100000000001", "Sales bot" = "107100000000002" }
}

page "p" {
  for_each = local.pages
  page_id  = each.value
}

link "bot" {
  for_each    = local.pages
  page        = page.p[each.key].page_id
  application = data.vonage_applications.messaging.by_name[each.key].id
}

locals {
  ids   = [for name, app in data.vonage_applications.messaging.by_name : app.id]
  every = length(data.vonage_applications.every.applications)
}
"#;

fn data_application(id: &str, name: &str, capabilities: &[&str]) -> super::DataApplication {
    super::DataApplication {
        id: id.into(),
        name: name.into(),
        capabilities: capabilities.iter().map(|c| c.to_string()).collect(),
        inbound_url: Some("https://example.com/inbound".into()),
        status_url: None,
    }
}

fn vonage_applications(
    extra: &[super::DataApplication],
) -> std::sync::Arc<Vec<super::DataApplication>> {
    let mut apps = vec![
        data_application(
            "a0000000-0000-4000-8000-000000000001",
            "Support bot",
            &["messages"],
        ),
        data_application(
            "a0000000-0000-4000-8000-000000000002",
            "Sales bot",
            &["messages", "voice"],
        ),
        data_application(
            "a0000000-0000-4000-8000-000000000003",
            "Support bot",
            &["voice"],
        ),
    ];
    apps.extend_from_slice(extra);
    std::sync::Arc::new(apps)
}

#[test]
fn without_vonages_answer_what_uses_applications_is_left_out_silently() {
    let d = ok(&[("main.hcl", APPLICATIONS_CONFIG)]);
    assert!(d.needs_vonage_applications);
    assert!(!d.needs_facebook_pages);
    assert_eq!(d.pages.len(), 2);
    assert!(d.links.is_empty());
}

#[test]
fn applications_by_name_work_in_for_each_filtered_by_capability() {
    let d = ok_with(&[("main.hcl", APPLICATIONS_CONFIG)], |o| {
        o.vonage_applications = Some(vonage_applications(&[]))
    });
    assert!(!d.needs_vonage_applications);
    let links: Vec<(String, String)> = d
        .links
        .iter()
        .map(|l| (l.address.to_string(), l.application.clone()))
        .collect();
    // "Support bot" names two applications, but only one has messages.
    assert_eq!(
        links,
        [
            (
                "link.bot[\"Sales bot\"]".to_string(),
                "a0000000-0000-4000-8000-000000000002".to_string()
            ),
            (
                "link.bot[\"Support bot\"]".to_string(),
                "a0000000-0000-4000-8000-000000000001".to_string()
            ),
        ]
    );
}

#[test]
fn application_names_matching_none_or_several_are_errors_where_used() {
    let apps = vonage_applications(&[data_application(
        "a0000000-0000-4000-8000-000000000004",
        "Sales bot",
        &["messages"],
    )]);
    let text = APPLICATIONS_CONFIG.replace("\"Support bot\" = ", "\"Help bot\" = ");
    let diags = err_with(&[("main.hcl", &text)], |o| {
        o.vonage_applications = Some(apps)
    });
    assert_at(
        &diags,
        19,
        17,
        "no messages application is named \"Help bot\" (data.vonage_applications.messaging)",
    );
    assert_at(
        &diags,
        19,
        17,
        "2 messages applications are named \"Sales bot\" (data.vonage_applications.messaging): a0000000-0000-4000-8000-000000000002, a0000000-0000-4000-8000-000000000004",
    );
    assert_at(
        &diags,
        23,
        29,
        "data.vonage_applications.messaging.by_name cannot be used whole: several messages applications are named \"Sales bot\"",
    );
}

#[test]
fn vonage_applications_mistakes_are_reported_where_they_are_written() {
    let diags = err(&[(
        "main.hcl",
        "data \"vonage_applications\" \"a\" {\n  capability = \"sms\"\n}\ndata \"vonage_applications\" \"b\" {\n  capability = var.c\n}\nlocals {\n  x = data.vonage_applications.a.by_label\n  y = data.vonage_applications.c.by_name\n  z = data.vonage_application.a\n}\n",
    )]);
    assert_at(&diags, 2, 16, "unknown capability \"sms\"");
    assert_at(&diags, 5, 16, "capability must be a literal string");
    assert_at(
        &diags,
        8,
        7,
        "data.vonage_applications has no attribute `by_label`",
    );
    assert_at(
        &diags,
        9,
        7,
        "unknown data source `data.vonage_applications.c`",
    );
    assert_at(
        &diags,
        10,
        7,
        "unknown data source `data.vonage_application`",
    );
}

#[test]
fn a_computed_application_name_that_matches_nothing_is_said_as_such() {
    let text = "variable \"bot\" {\n  default = \"Help bot\"\n}\ndata \"vonage_applications\" \"messaging\" {\n  capability = \"messages\"\n}\nlocals {\n  id = data.vonage_applications.messaging.by_name[var.bot].id\n}\n";
    let diags = err_with(&[("main.hcl", text)], |o| {
        o.vonage_applications = Some(vonage_applications(&[]))
    });
    assert_at(
        &diags,
        8,
        8,
        "no messages application is named \"Help bot\" (data.vonage_applications.messaging)",
    );
}
