//! Inputs shared by the criterion benches: a fleet of `PAGES` pages, half of
//! them linked, across `APPS` applications — the shape the e2e bench uses,
//! as library models here and as configuration files in the support module
//! the tests share (`tests/support/fleet.rs`), numbered the same way.
#![allow(dead_code)] // each bench uses a different part

pub use crate::support::{app_id, key, page_id};
use socialform::actual::{Actual, RemoteApplication, RemotePage};
use socialform::address::Address;
use socialform::desired::{Desired, DesiredLink, DesiredPage, Location};
use socialform::secret::Secret;
use socialform::state::{Fingerprinter, LinkRecord, PageRecord, Recorded};

pub const PAGES: usize = 10_000;
pub const APPS: usize = 20;

pub fn fingerprinter() -> Fingerprinter {
    Fingerprinter::new(b"bench-fingerprint-key-32-bytes!!".to_vec())
}

/// The bench's applications, `APPS` of them.
pub fn app_ids() -> Vec<String> {
    (0..APPS).map(app_id).collect()
}

pub fn desired(pages: usize) -> Desired {
    let mut desired = Desired::default();
    for i in 0..pages {
        desired.pages.push(DesiredPage {
            address: Address::page("p").with_key(key(i)),
            page_id: page_id(i),
            name: Some(format!("Page {i}")),
            access_token: Some(Secret::new(format!("tok-{i}"))),
            token_from_facebook: false,
            location: Location::default(),
        });
        if i.is_multiple_of(2) {
            desired.links.push(DesiredLink {
                address: Address::link("l").with_key(key(i)),
                channel: Default::default(),
                page_address: Some(Address::page("p").with_key(key(i))),
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
        channel: Default::default(),
    })
}

/// The remote side: `connected` of the pages connected as desired.
pub fn actual(connected: usize, fingerprinter: &Fingerprinter) -> Actual {
    let mut actual = Actual {
        pages: Default::default(),
        accounts: Default::default(),
        applications: Some(
            (0..APPS)
                .map(|n| {
                    (
                        app_id(n),
                        RemoteApplication {
                            id: app_id(n),
                            name: format!("bench-app-{n}"),
                            has_messages: true,
                            settings: socialform::application::Settings {
                                name: String::new(),
                                messages: None,
                                public_key_fingerprint: None,
                            },
                            other_capabilities: Vec::new(),
                        },
                    )
                })
                .collect(),
        ),
        refreshed: true,
        tokens: None,
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
