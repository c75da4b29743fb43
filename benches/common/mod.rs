//! Inputs shared by the criterion benches: a fleet of `PAGES` pages, half of
//! them linked, across `APPS` applications — the shape the e2e bench uses.
#![allow(dead_code)] // each bench uses a different part

use socialform::actual::{Actual, RemoteApplication, RemotePage};
use socialform::address::Address;
use socialform::desired::{Desired, DesiredLink, DesiredPage, Location};
use socialform::secret::Secret;
use socialform::state::{Fingerprinter, LinkRecord, PageRecord, Recorded};
use std::fmt::Write as _;

pub const PAGES: usize = 10_000;
pub const APPS: usize = 20;

pub fn fingerprinter() -> Fingerprinter {
    Fingerprinter::new(b"bench-fingerprint-key-32-bytes!!".to_vec())
}

pub fn app_id(n: usize) -> String {
    format!("c0ffee00-0000-4000-8000-{:012}", n + 100)
}

pub fn page_id(i: usize) -> String {
    (107_300_000_000_000u64 + i as u64).to_string()
}

pub fn key(i: usize) -> String {
    format!("p{i:05}")
}

pub fn desired(pages: usize) -> Desired {
    let mut desired = Desired::default();
    for i in 0..pages {
        desired.pages.push(DesiredPage {
            address: Address::page("p").with_key(key(i)),
            page_id: page_id(i),
            name: Some(format!("Page {i}")),
            access_token: Some(Secret::new(format!("tok-{i}"))),
            prevent_destroy: false,
            location: Location::default(),
        });
        if i.is_multiple_of(2) {
            desired.links.push(DesiredLink {
                address: Address::link("l").with_key(key(i)),
                page_address: Address::page("p").with_key(key(i)),
                page_id: page_id(i),
                application: app_id(i / 2 % APPS),
                location: Location::default(),
            });
        }
    }
    desired.pages.sort_by(|a, b| a.address.cmp(&b.address));
    desired.links.sort_by(|a, b| a.address.cmp(&b.address));
    desired
}

/// State recording exactly what `desired(pages)` asks for.
pub fn recorded(pages: usize, fingerprinter: &Fingerprinter) -> Recorded {
    let mut recorded = Recorded {
        lineage: "bench".into(),
        ..Recorded::default()
    };
    for i in 0..pages {
        let page = page_record(i, fingerprinter);
        recorded.pages.insert(page.address.clone(), page);
        if let Some(link) = link_record(i) {
            recorded.links.insert(link.address.clone(), link);
        }
    }
    recorded
}

pub fn page_record(i: usize, fingerprinter: &Fingerprinter) -> PageRecord {
    PageRecord {
        address: Address::page("p").with_key(key(i)),
        page_id: page_id(i),
        name: Some(format!("Page {i}")),
        token_fingerprint: Some(fingerprinter.fingerprint(&Secret::new(format!("tok-{i}")))),
    }
}

pub fn link_record(i: usize) -> Option<LinkRecord> {
    i.is_multiple_of(2).then(|| LinkRecord {
        address: Address::link("l").with_key(key(i)),
        page_id: page_id(i),
        application: app_id(i / 2 % APPS),
    })
}

/// The remote side: `connected` of the pages connected as desired.
pub fn actual(connected: usize, fingerprinter: &Fingerprinter) -> Actual {
    let mut actual = Actual {
        pages: Default::default(),
        applications: Some(
            (0..APPS)
                .map(|n| {
                    (
                        app_id(n),
                        RemoteApplication {
                            id: app_id(n),
                            name: format!("bench-app-{n}"),
                            has_messages: true,
                        },
                    )
                })
                .collect(),
        ),
        refreshed: true,
    };
    for i in 0..connected {
        actual.pages.insert(
            page_id(i),
            RemotePage {
                page_id: page_id(i),
                name: Some(format!("Page {i}")),
                applications: link_record(i).map(|l| l.application).into_iter().collect(),
                token_fingerprint: Some(
                    fingerprinter.fingerprint(&Secret::new(format!("tok-{i}"))),
                ),
            },
        );
    }
    actual
}

/// One `for_each` page block and one link block over variables set in
/// `socialform.sfvars`: the configuration every 10k-page bench measures.
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

/// `main.hcl` (`FOR_EACH_MAIN_HCL`) and its `socialform.sfvars`.
pub fn for_each_config(dir: &std::path::Path, pages: usize) {
    let main = FOR_EACH_MAIN_HCL;
    let mut vars = String::from("pages = {\n");
    for i in 0..pages {
        writeln!(
            vars,
            "  {} = {{ page_id = \"{}\", name = \"Page {i}\", token = \"tok-{i}\" }}",
            key(i),
            page_id(i)
        )
        .unwrap();
    }
    vars.push_str("}\nlinks = {\n");
    for i in (0..pages).step_by(2) {
        writeln!(vars, "  {} = \"{}\"", key(i), app_id(i / 2 % APPS)).unwrap();
    }
    vars.push_str("}\n");
    std::fs::write(dir.join("main.hcl"), main).unwrap();
    std::fs::write(dir.join("socialform.sfvars"), vars).unwrap();
}

/// One literal `page` block per page and one `link` block per linked page.
pub fn literal_config(dir: &std::path::Path, pages: usize) {
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
                app = app_id(i / 2 % APPS)
            )
            .unwrap();
        }
    }
    std::fs::write(dir.join("main.hcl"), main).unwrap();
}
