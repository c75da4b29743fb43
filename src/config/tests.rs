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
            && d.location.as_ref().is_some_and(|l| l.line == line && l.column == col)
    });
    assert!(found, "no diagnostic at {line}:{col} containing {text:?} in:\n{}", diags.render());
}

/// Asserts exactly one diagnostic and returns it.
#[track_caller]
fn only(diags: &Diagnostics) -> &Diagnostic {
    assert_eq!(diags.len(), 1, "expected one diagnostic:\n{}", diags.render());
    &diags.0[0]
}

const TOKEN_VAR: &str = "variable \"token\" {\n  sensitive = true\n  default = \"tok-default\"\n}\n";

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
    assert_eq!(d.provider.api_secret.as_ref().map(|s| s.expose()), Some("s3cret"));
    assert_eq!(d.provider.endpoint.as_deref(), Some("sandbox"));
    let addresses: Vec<String> = d.pages.iter().map(|p| p.address.to_string()).collect();
    assert_eq!(addresses, [r#"page.region["apac"]"#, r#"page.region["emea"]"#, "page.support"]);
    let support = &d.pages[2];
    assert_eq!(support.page_id, "107100000000001");
    assert_eq!(support.name.as_deref(), Some("Acme Support"));
    assert_eq!(support.access_token.as_ref().unwrap().expose(), "tok-support");
    assert!(support.prevent_destroy);
    assert_eq!((support.location.line, support.location.column), (26, 6));
    assert_eq!(support.location.file.file_name().unwrap(), "main.hcl");
    assert_eq!(d.pages[0].name.as_deref(), Some("Acme APAC"));
    assert_eq!(d.pages[0].access_token.as_ref().unwrap().expose(), "tok-apac");
    let links: Vec<(String, String, String, String)> = d
        .links
        .iter()
        .map(|l| (l.address.to_string(), l.page_address.to_string(), l.page_id.clone(), l.application.clone()))
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
    assert_eq!(d.links[2].page_address, Address::page("support"));
}
