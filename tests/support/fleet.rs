//! Configurations of many pages, written as a user would write them: for
//! the chaos and paging tests and for the end-to-end and config benches.

use std::fmt::Write as _;
use std::path::Path;

/// The application the fleets link to: the sandbox's first demo application.
const FLEET_APP: &str = "c0ffee00-0000-4000-8000-000000000001";

/// The `i`th page's id, key and (synthetic) application id, as every fleet
/// of the benches numbers them.
pub fn page_id(i: usize) -> String {
    (107_300_000_000_000u64 + i as u64).to_string()
}

pub fn key(i: usize) -> String {
    format!("p{i:05}")
}

pub fn app_id(n: usize) -> String {
    format!("c0ffee00-0000-4000-8000-{:012}", n + 100)
}

/// A fleet of pages whose token comes from `var.token`: one literal block per
/// id, named "Page N" when `named`, and every `link_every`-th page linked to
/// the first demo application.
pub fn fleet_config(page_ids: &[String], named: bool, link_every: usize) -> String {
    let mut text = String::from("variable \"token\" {\n  sensitive = true\n}\n");
    for (i, page_id) in page_ids.iter().enumerate() {
        let name = if named {
            format!("  name         = \"Page {i}\"\n")
        } else {
            String::new()
        };
        text.push_str(&format!(
            "page \"p{i}\" {{\n  page_id      = \"{page_id}\"\n{name}  access_token = var.token\n}}\n"
        ));
        if i % link_every == 0 {
            text.push_str(&format!(
                "link \"l{i}\" {{\n  page        = page.p{i}.page_id\n  application = \"{FLEET_APP}\"\n}}\n"
            ));
        }
    }
    text
}

/// Issue 15's configuration: `fleet_config(ids, true, 2)` over the benches'
/// page ids (one literal `page` block each, the token from the sensitive
/// `var.token`, every even page linked with `page = page.pN.page_id`), its
/// links spread over `apps` in turn; the first `renamed` pages are named for
/// `round` ("Page 3 r2"), so each round is a change of name.
pub fn literal_fleet_config(pages: usize, apps: &[String], renamed: usize, round: usize) -> String {
    let mut text = String::from("variable \"token\" {\n  sensitive = true\n}\n");
    for i in 0..pages {
        let id = page_id(i);
        let suffix = if i < renamed {
            format!(" r{round}")
        } else {
            String::new()
        };
        writeln!(
            text,
            "page \"p{i}\" {{\n  page_id      = \"{id}\"\n  name         = \"Page {i}{suffix}\"\n  access_token = var.token\n}}"
        )
        .unwrap();
        if i.is_multiple_of(2) {
            writeln!(
                text,
                "link \"l{i}\" {{\n  page        = page.p{i}.page_id\n  application = \"{}\"\n}}",
                apps[(i / 2) % apps.len()]
            )
            .unwrap();
        }
    }
    text
}

/// One `for_each` page block and one link block over variables set in
/// `socialform.sfvars` (see `for_each_vars`): the configuration every
/// 10k-page bench measures.
pub const FOR_EACH_MAIN_HCL: &str = r#"variable "pages" {
  description = "key => { page_id, name, token }"
}

variable "links" {
  description = "key => application id, for the linked half"
}

page "p" {
  for_each     = var.pages
  page_id      = each.value.page_id
  name         = each.value.name
  access_token = each.value.token
}

link "l" {
  for_each    = var.links
  page        = page.p[each.key].page_id
  application = each.value
}
"#;

/// `socialform.sfvars` for `FOR_EACH_MAIN_HCL`: `pages` pages, every even one
/// linked to one of `apps` in turn; the first `renamed` pages are named for
/// `round` ("Page 3 r2"), so each round is a change of name.
pub fn for_each_vars(pages: usize, apps: &[String], renamed: usize, round: usize) -> String {
    let mut vars = String::from("pages = {\n");
    for i in 0..pages {
        let name = if i < renamed {
            format!("Page {i} r{round}")
        } else {
            format!("Page {i}")
        };
        writeln!(
            vars,
            "  {} = {{ page_id = \"{}\", name = \"{name}\", token = \"tok-{i}\" }}",
            key(i),
            page_id(i)
        )
        .unwrap();
    }
    vars.push_str("}\nlinks = {\n");
    for i in (0..pages).step_by(2) {
        writeln!(vars, "  {} = \"{}\"", key(i), apps[(i / 2) % apps.len()]).unwrap();
    }
    vars.push_str("}\n");
    vars
}

/// `main.hcl` and `socialform.sfvars` of a `for_each` fleet in `dir`.
pub fn write_for_each_config(dir: &Path, pages: usize, apps: &[String]) {
    std::fs::write(dir.join("main.hcl"), FOR_EACH_MAIN_HCL).unwrap();
    std::fs::write(
        dir.join("socialform.sfvars"),
        for_each_vars(pages, apps, 0, 0),
    )
    .unwrap();
}

/// One literal `page` block per page and one `link` block per even page,
/// linked to `apps` in turn.
pub fn write_literal_config(dir: &Path, pages: usize, apps: &[String]) {
    let mut main = String::new();
    for i in 0..pages {
        writeln!(
            main,
            "page \"{k}\" {{\n  page_id      = \"{id}\"\n  name         = \"Page {i}\"\n  access_token = \"tok-{i}\"\n}}\n",
            k = key(i),
            id = page_id(i)
        )
        .unwrap();
        if i.is_multiple_of(2) {
            writeln!(
                main,
                "link \"{k}\" {{\n  page        = page.{k}.page_id\n  application = \"{app}\"\n}}\n",
                k = key(i),
                app = apps[(i / 2) % apps.len()]
            )
            .unwrap();
        }
    }
    std::fs::write(dir.join("main.hcl"), main).unwrap();
}
