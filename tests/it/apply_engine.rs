//! The apply engine against an in-process sandbox over HTTP: a failed call
//! stops the calls that depend on it, lets independent ones finish, and
//! state records exactly what succeeded.

use crate::support::*;
use socialform::address::Address;
use socialform::apply::{self, ApplyContext, CallObserver, CallOutcome};
use socialform::ops::Silent;
use socialform::plan::{Call, CallOp, Method, Plan};
use socialform::secret::Secret;
use socialform::state::{
    LinkRecord, LocalBackend, LockRequest, PageRecord, StateBackend, StateOp, StateStore,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

fn connect(page_id: &str, name: &str) -> Call {
    Call {
        method: Method::Post,
        path: "/beta/chatapp-accounts/messenger".into(),
        op: CallOp::Connect {
            page_id: page_id.into(),
            name: None,
            token_from: Address::page(name),
            application: None,
        },
        addresses: vec![Address::page(name)],
        depends_on: vec![],
        state_ops: vec![StateOp::PutPage(PageRecord {
            address: Address::page(name),
            page_id: page_id.into(),
            name: None,
            token_fingerprint: None,
        })],
    }
}

fn link(page_id: &str, name: &str, application: &str, depends_on: Vec<usize>) -> Call {
    Call {
        method: Method::Post,
        path: format!("/beta/chatapp-accounts/messenger/{page_id}/applications"),
        op: CallOp::Link {
            page_id: page_id.into(),
            application: application.into(),
            channel: Default::default(),
        },
        addresses: vec![Address::link(name)],
        depends_on,
        state_ops: vec![StateOp::PutLink(LinkRecord {
            address: Address::link(name),
            page_id: page_id.into(),
            application: application.into(),
            channel: Default::default(),
        })],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_stops_its_dependents_and_spares_the_rest() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn StateStore> = Arc::from(
        LocalBackend::new(dir.path())
            .open(&LockRequest::immediate("apply"))
            .unwrap(),
    );
    // Page "a" links to an application that does not exist (403), so the
    // relink-style call after it must not run; page "b" is independent.
    let plan = Plan {
        calls: vec![
            connect("2001", "a"),
            link("2001", "a", "c0ffee00-0000-4000-8000-00000000dead", vec![0]),
            link("2001", "a2", SUPPORT_BOT, vec![1]),
            connect("2002", "b"),
            link("2002", "b", SUPPORT_BOT, vec![3]),
        ],
        ..Plan::default()
    };
    let tokens: HashMap<Address, Secret> = [
        (Address::page("a"), Secret::new("EAAB-a")),
        (Address::page("b"), Secret::new("EAAB-b")),
    ]
    .into_iter()
    .collect();
    let reporter: Arc<dyn CallObserver> = Arc::new(Silent);
    let result = apply::apply(
        &plan,
        ApplyContext {
            client: client(&sandbox),
            store: store.clone(),
            tokens,
            public_keys: Default::default(),
            parallelism: 4,
            cancel: Arc::new(AtomicBool::new(false)),
            reporter,
        },
    )
    .await
    .unwrap();

    assert_eq!(result.outcomes[0], CallOutcome::Done);
    assert!(
        matches!(&result.outcomes[1], CallOutcome::Failed(message) if message.contains("403")),
        "{:?}",
        result.outcomes[1]
    );
    assert_eq!(result.outcomes[2], CallOutcome::NotAttempted);
    assert_eq!(result.outcomes[3], CallOutcome::Done);
    assert_eq!(result.outcomes[4], CallOutcome::Done);
    assert_eq!(
        (result.succeeded(), result.failed(), result.not_attempted()),
        (3, 1, 1)
    );

    // State holds what happened, nothing more.
    let recorded = store.load().unwrap();
    let pages: Vec<String> = recorded.pages.keys().map(|a| a.to_string()).collect();
    let links: Vec<String> = recorded.links.keys().map(|a| a.to_string()).collect();
    assert_eq!(pages, vec!["page.a", "page.b"]);
    assert_eq!(links, vec!["link.b"]);
    assert_eq!(recorded.serial, 3, "one state write per successful call");
}
