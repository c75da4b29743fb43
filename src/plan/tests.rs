//! Every planner transition, on small hand-built inputs.

use super::*;
use crate::actual::{Actual, RemoteAccount, RemoteApplication, RemotePage};
use crate::address::Address;
use crate::channel::Channel;
use crate::desired::{
    Desired, DesiredLink, DesiredPage, ImportDecl, Location, MovedDecl, RemovedDecl,
};
use crate::secret::Secret;
use crate::state::{LinkRecord, PageRecord, Recorded, StateOp};

const APP1: &str = "c0ffee00-0000-4000-8000-000000000001";
const APP2: &str = "c0ffee00-0000-4000-8000-000000000002";
const NO_MESSAGES: &str = "c0ffee00-0000-4000-8000-000000000003";

/// Stands in for the keyed HMAC: distinct per token, never containing it.
fn fp_of(token: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    token.hash(&mut hasher);
    format!("fp:{:016x}", hasher.finish())
}

fn fp(token: &Secret) -> String {
    fp_of(token.expose())
}

fn page(name: &str, page_id: &str, token: &str) -> DesiredPage {
    DesiredPage {
        address: Address::page(name),
        page_id: page_id.into(),
        name: Some(format!("{name} page")),
        access_token: Some(Secret::new(token)),
        token_from_facebook: false,
        location: Location::default(),
    }
}

fn link(name: &str, page_name: &str, page_id: &str, app: &str) -> DesiredLink {
    DesiredLink {
        address: Address::link(name),
        channel: Channel::Messenger,
        page_address: Some(Address::page(page_name)),
        page_id: page_id.into(),
        application: app.into(),
        location: Location::default(),
    }
}

fn recorded_page(name: &str, page_id: &str, token: &str) -> PageRecord {
    PageRecord {
        address: Address::page(name),
        page_id: page_id.into(),
        name: Some(format!("{name} page")),
        token_fingerprint: Some(fp_of(token)),
    }
}

fn recorded_link(name: &str, page_id: &str, app: &str) -> LinkRecord {
    LinkRecord {
        address: Address::link(name),
        page_id: page_id.into(),
        application: app.into(),
        channel: Channel::Messenger,
    }
}

fn remote(page_id: &str, name: &str, apps: &[&str], token: &str) -> RemotePage {
    RemotePage {
        page_id: page_id.into(),
        name: Some(name.into()),
        applications: apps.iter().map(|a| a.to_string()).collect(),
        token_fingerprint: Some(fp_of(token)),
    }
}

struct World {
    desired: Desired,
    recorded: Recorded,
    actual: Actual,
    options: PlanOptions,
}

impl World {
    fn new() -> Self {
        let applications = [(APP1, true), (APP2, true), (NO_MESSAGES, false)]
            .into_iter()
            .map(|(id, messages)| {
                (
                    id.to_string(),
                    RemoteApplication {
                        id: id.into(),
                        name: format!("app {id}"),
                        has_messages: messages,
                        settings: crate::application::Settings {
                            name: String::new(),
                            messages: None,
                            public_key_fingerprint: None,
                        },
                        other_capabilities: Vec::new(),
                    },
                )
            })
            .collect();
        World {
            desired: Desired::default(),
            recorded: Recorded {
                lineage: "test".into(),
                ..Recorded::default()
            },
            actual: Actual {
                pages: Default::default(),
                accounts: Default::default(),
                applications: Some(applications),
                refreshed: true,
                tokens: None,
            },
            options: PlanOptions::default(),
        }
    }

    fn want_page(mut self, p: DesiredPage) -> Self {
        self.desired.pages.push(p);
        self.desired.pages.sort_by(|a, b| a.address.cmp(&b.address));
        self
    }

    fn want_link(mut self, l: DesiredLink) -> Self {
        self.desired.links.push(l);
        self
    }

    fn recorded_page(mut self, r: PageRecord) -> Self {
        self.recorded.pages.insert(r.address.clone(), r);
        self
    }

    fn recorded_link(mut self, r: LinkRecord) -> Self {
        self.recorded.links.insert(r.address.clone(), r);
        self
    }

    fn remote(mut self, r: RemotePage) -> Self {
        self.actual.pages.insert(r.page_id.clone(), r);
        self
    }

    /// The usual starting point: page `support` (id 1, token t1) linked to APP1,
    /// in configuration, state and remotely alike.
    fn in_sync() -> Self {
        World::new()
            .want_page(page("support", "1", "t1"))
            .want_link(link("bot", "support", "1", APP1))
            .recorded_page(recorded_page("support", "1", "t1"))
            .recorded_link(recorded_link("bot", "1", APP1))
            .remote(remote("1", "support page", &[APP1], "t1"))
    }

    fn plan(&self) -> Result<Plan, PlanError> {
        plan(
            &self.desired,
            &self.recorded,
            &self.actual,
            &self.options,
            &fp,
        )
    }

    fn ok(&self) -> Plan {
        self.plan().expect("plan should succeed")
    }
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect()
}

fn calls(plan: &Plan) -> Vec<String> {
    plan.calls
        .iter()
        .map(|c| format!("{} {}", c.method.as_str(), c.path))
        .collect()
}

const BASE: &str = "/beta/chatapp-accounts/messenger";

#[test]
fn nothing_is_called_for_what_already_matches() {
    let plan = World::in_sync().ok();
    assert!(plan.is_empty(), "{plan:?}");
    assert_eq!(plan.summary().calls, 0);
    assert!(plan.drift.is_empty());
}

#[test]
fn a_new_page_and_its_link_are_one_post() {
    let world = World::new()
        .want_page(page("support", "1", "t1"))
        .want_link(link("bot", "support", "1", APP1));
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("page.support".into(), Action::Connect),
            ("link.bot".into(), Action::Link)
        ]
    );
    assert_eq!(calls(&plan), vec![format!("POST {BASE}")]);
    let call = &plan.calls[0];
    assert_eq!(
        call.addresses,
        vec![Address::page("support"), Address::link("bot")]
    );
    match &call.op {
        CallOp::Connect {
            application,
            token_from,
            ..
        } => {
            assert_eq!(application.as_deref(), Some(APP1));
            assert_eq!(token_from, &Address::page("support"));
        }
        other => panic!("expected a connect, got {other:?}"),
    }
    assert!(
        call.state_ops
            .contains(&StateOp::PutLink(recorded_link("bot", "1", APP1)))
    );
    assert!(
        call.state_ops
            .contains(&StateOp::PutPage(recorded_page("support", "1", "t1")))
    );
    let summary = plan.summary();
    assert_eq!((summary.connect, summary.link, summary.calls), (1, 1, 1));
}

#[test]
fn independent_pages_have_no_dependencies() {
    let plan = World::new()
        .want_page(page("a", "1", "t1"))
        .want_page(page("b", "2", "t2"))
        .ok();
    assert_eq!(plan.calls.len(), 2);
    assert!(plan.calls.iter().all(|c| c.depends_on.is_empty()));
}

#[test]
fn a_rename_is_one_patch_of_the_name_only() {
    let mut world = World::in_sync();
    world.desired.pages[0].name = Some("Acme Help".into());
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![("page.support".into(), Action::Update)]
    );
    assert_eq!(calls(&plan), vec![format!("PATCH {BASE}/1")]);
    assert_eq!(
        plan.calls[0].op,
        CallOp::Update {
            page_id: "1".into(),
            name: Some("Acme Help".into()),
            token_from: None
        }
    );
}

#[test]
fn an_unset_name_is_not_managed() {
    let mut world = World::in_sync();
    world.desired.pages[0].name = None;
    assert!(world.ok().is_empty());
}

#[test]
fn a_token_rotated_in_configuration_is_a_reconnect() {
    let mut world = World::in_sync();
    world.desired.pages[0].access_token = Some(Secret::new("t2"));
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![("page.support".into(), Action::Reconnect)]
    );
    assert_eq!(plan.changes[0].reason, "token changed in configuration");
    assert_eq!(
        plan.calls[0].op,
        CallOp::Update {
            page_id: "1".into(),
            name: None,
            token_from: Some(Address::page("support"))
        }
    );
    assert!(
        plan.calls[0]
            .state_ops
            .contains(&StateOp::PutPage(recorded_page("support", "1", "t2")))
    );
}

#[test]
fn rename_and_reconnect_are_one_patch() {
    let mut world = World::in_sync();
    world.desired.pages[0].access_token = Some(Secret::new("t2"));
    world.desired.pages[0].name = Some("Renamed".into());
    let plan = world.ok();
    assert_eq!(calls(&plan), vec![format!("PATCH {BASE}/1")]);
    assert_eq!(
        actions(&plan),
        vec![("page.support".into(), Action::Reconnect)]
    );
    let attrs: Vec<&str> = plan.changes[0].attributes.iter().map(|a| a.name).collect();
    assert_eq!(attrs, vec!["name", "access_token"]);
    assert!(matches!(
        &plan.calls[0].op,
        CallOp::Update { name: Some(n), token_from: Some(_), .. } if n == "Renamed"
    ));
}

#[test]
fn a_token_rotated_outside_is_drift_and_is_reconnected() {
    let mut world = World::in_sync();
    world.actual.pages.get_mut("1").unwrap().token_fingerprint = Some(fp_of("rotated-by-hand"));
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![("page.support".into(), Action::Reconnect)]
    );
    assert_eq!(plan.changes[0].reason, "token changed outside socialform");
    assert_eq!(plan.drift.len(), 1);
    assert_eq!(plan.drift[0].attribute, "access_token");
    assert_eq!(plan.drift[0].expected, "(sensitive value)");
    assert_eq!(plan.drift[0].actual, "(sensitive value)");
}

#[test]
fn reconnect_flag_forces_a_patch_with_the_same_token() {
    let mut world = World::in_sync();
    world.options.reconnect = vec![Address::page("support")];
    let plan = world.ok();
    assert_eq!(plan.changes[0].reason, "reconnect requested");
    assert_eq!(calls(&plan), vec![format!("PATCH {BASE}/1")]);
}

#[test]
fn reconnect_of_an_unknown_page_is_an_error() {
    let mut world = World::in_sync();
    world.options.reconnect = vec![Address::page("nope")];
    let error = world.plan().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("--reconnect page.nope names no page"),
        "{error}"
    );
}

#[test]
fn a_relink_unlinks_strictly_before_linking() {
    let mut world = World::in_sync();
    world.desired.links[0].application = APP2.into();
    let plan = world.ok();
    assert_eq!(actions(&plan), vec![("link.bot".into(), Action::Relink)]);
    assert_eq!(
        plan.changes[0].reason,
        "application changed in configuration"
    );
    assert_eq!(
        calls(&plan),
        vec![
            format!("DELETE {BASE}/1/applications/{APP1}"),
            format!("POST {BASE}/1/applications"),
        ]
    );
    assert_eq!(plan.calls[1].depends_on, vec![0]);
    assert_eq!(plan.summary().relink, 1);
}

#[test]
fn a_new_link_on_an_existing_page_is_one_post() {
    let world = World::new()
        .want_page(page("support", "1", "t1"))
        .want_link(link("bot", "support", "1", APP1))
        .recorded_page(recorded_page("support", "1", "t1"))
        .remote(remote("1", "support page", &[], "t1"));
    let plan = world.ok();
    assert_eq!(actions(&plan), vec![("link.bot".into(), Action::Link)]);
    assert_eq!(calls(&plan), vec![format!("POST {BASE}/1/applications")]);
}

#[test]
fn a_link_removed_from_configuration_is_unlinked() {
    let mut world = World::in_sync();
    world.desired.links.clear();
    let plan = world.ok();
    assert_eq!(actions(&plan), vec![("link.bot".into(), Action::Unlink)]);
    assert_eq!(
        calls(&plan),
        vec![format!("DELETE {BASE}/1/applications/{APP1}")]
    );
    assert_eq!(
        plan.calls[0].state_ops,
        vec![StateOp::RemoveLink(Address::link("bot"))]
    );
}

#[test]
fn a_disconnect_is_one_delete_that_takes_its_link_along() {
    let mut world = World::in_sync();
    world.desired.pages.clear();
    world.desired.links.clear();
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("page.support".into(), Action::Disconnect),
            ("link.bot".into(), Action::Unlink)
        ]
    );
    assert_eq!(calls(&plan), vec![format!("DELETE {BASE}/1")]);
    assert_eq!(
        plan.calls[0].state_ops,
        vec![
            StateOp::RemovePage(Address::page("support")),
            StateOp::RemoveLink(Address::link("bot"))
        ]
    );
}

#[test]
fn a_changed_page_id_replaces_delete_before_post() {
    let mut world = World::in_sync();
    world.desired.pages[0].page_id = "2".into();
    world.desired.links[0].page_id = "2".into();
    let plan = world.ok();
    assert_eq!(
        calls(&plan),
        vec![format!("DELETE {BASE}/1"), format!("POST {BASE}")]
    );
    assert_eq!(plan.calls[1].depends_on, vec![0]);
    assert!(matches!(&plan.calls[1].op, CallOp::Connect { application: Some(a), .. } if a == APP1));
    assert_eq!(
        actions(&plan),
        vec![
            ("page.support".into(), Action::Replace),
            ("link.bot".into(), Action::Link)
        ]
    );
    assert_eq!(plan.changes[1].reason, "moved from page 1");
}

#[test]
fn prevent_destroy_blocks_a_replacement() {
    let mut world = World::in_sync();
    world.desired.pages[0].page_id = "2".into();
    world.desired.links[0].page_id = "2".into();
    protect(&mut world.desired, "page.support");
    let error = world.plan().unwrap_err();
    assert_eq!(error.0[0].address, Some(Address::page("support")));
    assert!(error.to_string().contains("prevent_destroy"), "{error}");
}

/// `lifecycle { prevent_destroy = true }` on the block `block`.
fn protect(desired: &mut Desired, block: &str) {
    desired.protected.push(crate::desired::Protection {
        block: block.parse().expect("a block address"),
        location: Location {
            file: "main.hcl".into(),
            line: 3,
            column: 1,
        },
    });
}

#[test]
fn a_protected_link_is_not_unlinked_when_its_block_is_gone_from_the_for_each() {
    // The page stays; the link's instance is no longer declared.
    let mut world = World::in_sync();
    world.desired.links.clear();
    protect(&mut world.desired, "link.bot");
    let error = world.plan().unwrap_err();
    assert_eq!(error.0.len(), 1, "{error}");
    assert_eq!(error.0[0].address, Some(Address::link("bot")));
    assert_eq!(
        error.0[0].location.as_ref().map(|l| l.to_string()),
        Some("main.hcl:3:1".to_string())
    );
    assert!(error.to_string().contains("would be unlinked"), "{error}");
}

#[test]
fn a_protected_link_is_kept_when_its_unprotected_page_is_disconnected() {
    let mut world = World::in_sync();
    world.desired.pages.clear();
    world.desired.links.clear();
    protect(&mut world.desired, "link.bot");
    let error = world.plan().unwrap_err();
    assert_eq!(error.0[0].address, Some(Address::link("bot")), "{error}");
}

#[test]
fn a_protected_page_may_still_be_updated_in_place() {
    let mut world = World::in_sync();
    world.desired.pages[0].name = Some("Renamed".into());
    protect(&mut world.desired, "page.support");
    let plan = world.plan().expect("an update is not a destroy");
    assert_eq!(plan.changes[0].action, Action::Update);
}

#[test]
fn a_page_connected_outside_is_adopted_by_page_id_not_connected_twice() {
    let world = World::new()
        .want_page(page("support", "1", "t1"))
        .want_link(link("bot", "support", "1", APP1))
        .remote(remote("1", "support page", &[APP1], "t1"));
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![("page.support".into(), Action::Import)]
    );
    assert!(plan.calls.is_empty());
    assert_eq!(
        plan.state_only,
        vec![
            StateOp::PutPage(recorded_page("support", "1", "t1")),
            StateOp::PutLink(recorded_link("bot", "1", APP1)),
        ]
    );
}

#[test]
fn an_adopted_page_with_another_name_is_imported_then_patched() {
    let world = World::new()
        .want_page(page("support", "1", "t1"))
        .remote(remote("1", "Old name", &[], "t1"));
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("page.support".into(), Action::Update),
            ("page.support".into(), Action::Import)
        ]
    );
    assert_eq!(calls(&plan), vec![format!("PATCH {BASE}/1")]);
}

#[test]
fn a_page_disconnected_outside_is_connected_again() {
    let mut world = World::in_sync();
    world.actual.pages.clear();
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("page.support".into(), Action::Connect),
            ("link.bot".into(), Action::Link)
        ]
    );
    assert_eq!(
        plan.changes[0].reason,
        "disconnected outside socialform; connecting it again"
    );
    assert_eq!(calls(&plan), vec![format!("POST {BASE}")]);
    let kinds: Vec<(String, DriftKind)> = plan
        .drift
        .iter()
        .map(|d| (d.address.to_string(), d.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("page.support".into(), DriftKind::Deleted),
            ("link.bot".into(), DriftKind::Deleted)
        ]
    );
}

#[test]
fn a_link_removed_outside_is_linked_again() {
    let mut world = World::in_sync();
    world
        .actual
        .pages
        .get_mut("1")
        .unwrap()
        .applications
        .clear();
    let plan = world.ok();
    assert_eq!(actions(&plan), vec![("link.bot".into(), Action::Link)]);
    assert_eq!(plan.changes[0].reason, "unlinked outside socialform");
    assert_eq!(calls(&plan), vec![format!("POST {BASE}/1/applications")]);
}

#[test]
fn a_page_linked_elsewhere_outside_is_relinked() {
    let mut world = World::in_sync();
    world.actual.pages.get_mut("1").unwrap().applications = vec![APP2.into()];
    let plan = world.ok();
    assert_eq!(actions(&plan), vec![("link.bot".into(), Action::Relink)]);
    assert_eq!(
        plan.changes[0].reason,
        format!("linked to {APP2} outside socialform")
    );
    assert_eq!(plan.drift[0].kind, DriftKind::Changed);
    assert_eq!(plan.drift[0].actual, APP2);
}

#[test]
fn a_remote_name_change_is_drift_and_is_reverted() {
    let mut world = World::in_sync();
    world.actual.pages.get_mut("1").unwrap().name = Some("Renamed by hand".into());
    let plan = world.ok();
    assert_eq!(plan.changes[0].reason, "name changed outside socialform");
    assert_eq!(plan.drift[0].attribute, "name");
    assert_eq!(plan.drift[0].actual, "Renamed by hand");
}

#[test]
fn destroy_is_one_delete_per_page() {
    let mut world = World::in_sync()
        .want_page(page("sales", "2", "t2"))
        .recorded_page(recorded_page("sales", "2", "t2"))
        .remote(remote("2", "sales page", &[], "t2"));
    world.options.mode = Mode::Destroy;
    let plan = world.ok();
    assert_eq!(
        calls(&plan),
        vec![format!("DELETE {BASE}/2"), format!("DELETE {BASE}/1")]
    );
    let summary = plan.summary();
    assert_eq!(
        (summary.disconnect, summary.unlink, summary.calls),
        (2, 1, 2)
    );
}

#[test]
fn prevent_destroy_blocks_destroy() {
    let mut world = World::in_sync();
    protect(&mut world.desired, "page.support");
    world.options.mode = Mode::Destroy;
    let error = world.plan().unwrap_err();
    assert!(error.to_string().contains("page.support"), "{error}");
}

#[test]
fn targeting_a_page_leaves_its_new_link_out() {
    let mut world = World::new()
        .want_page(page("support", "1", "t1"))
        .want_link(link("bot", "support", "1", APP1))
        .want_page(page("other", "2", "t2"));
    world.options.targets = vec![Address::page("support")];
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![("page.support".into(), Action::Connect)]
    );
    assert!(matches!(
        &plan.calls[0].op,
        CallOp::Connect {
            application: None,
            ..
        }
    ));
}

#[test]
fn targeting_a_link_brings_its_page() {
    let mut world = World::new()
        .want_page(page("support", "1", "t1"))
        .want_link(link("bot", "support", "1", APP1))
        .want_page(page("other", "2", "t2"));
    world.options.targets = vec![Address::link("bot")];
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("page.support".into(), Action::Connect),
            ("link.bot".into(), Action::Link)
        ]
    );
    assert_eq!(plan.calls.len(), 1);
}

#[test]
fn destroying_a_targeted_link_unlinks_it_and_keeps_its_page() {
    let mut world = World::in_sync();
    world.options.mode = Mode::Destroy;
    world.options.targets = vec![Address::link("bot")];
    let plan = world.ok();
    assert_eq!(actions(&plan), vec![("link.bot".into(), Action::Unlink)]);
    assert_eq!(
        calls(&plan),
        vec![format!("DELETE {BASE}/1/applications/{APP1}")]
    );
}

#[test]
fn destroying_a_targeted_page_takes_its_link_along() {
    let mut world = World::in_sync()
        .want_page(page("other", "2", "t2"))
        .recorded_page(recorded_page("other", "2", "t2"))
        .remote(remote("2", "other page", &[], "t2"));
    world.options.mode = Mode::Destroy;
    world.options.targets = vec![Address::page("support")];
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("page.support".into(), Action::Disconnect),
            ("link.bot".into(), Action::Unlink)
        ]
    );
    assert_eq!(calls(&plan), vec![format!("DELETE {BASE}/1")]);
}

#[test]
fn a_target_that_matches_nothing_is_an_error() {
    let mut world = World::in_sync();
    world.options.targets = vec![Address::page("typo")];
    assert!(
        world
            .plan()
            .unwrap_err()
            .to_string()
            .contains("--target page.typo")
    );
}

#[test]
fn unknown_or_non_messages_applications_fail_before_any_change() {
    let world = World::new()
        .want_page(page("a", "1", "t1"))
        .want_page(page("b", "2", "t2"))
        .want_link(link(
            "missing",
            "a",
            "1",
            "c0ffee00-0000-4000-8000-00000000dead",
        ))
        .want_link(link("voice", "b", "2", NO_MESSAGES));
    let error = world.plan().unwrap_err();
    assert_eq!(error.0.len(), 2);
    assert_eq!(error.0[0].address, Some(Address::link("missing")));
    assert!(error.0[0].message.contains("does not exist"));
    assert_eq!(error.0[1].address, Some(Address::link("voice")));
    assert!(error.0[1].message.contains("no Messages capability"));
}

#[test]
fn removed_with_destroy_false_forgets_without_calls() {
    let mut world = World::in_sync();
    world.desired.pages.clear();
    world.desired.links.clear();
    world.desired.removed.push(RemovedDecl {
        from: Address::page("support"),
        destroy: false,
        location: Location::default(),
    });
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("page.support".into(), Action::Forget),
            ("link.bot".into(), Action::Forget)
        ]
    );
    assert!(plan.calls.is_empty());
    assert_eq!(plan.state_only.len(), 2);
}

#[test]
fn a_renamed_block_moves_in_state_without_calls() {
    let mut world = World::in_sync();
    world.desired.pages[0].address = Address::page("help");
    world.desired.links[0].page_address = Some(Address::page("help"));
    let plan = world.ok();
    assert!(plan.calls.is_empty(), "{:?}", calls(&plan));
    // An address change, shown as one (as a moved block would show it).
    assert_eq!(actions(&plan), vec![("page.help".into(), Action::Move)]);
    assert_eq!(
        plan.changes[0].previous_address,
        Some(Address::page("support"))
    );
    assert_eq!(
        plan.changes[0].reason,
        crate::plan::planner::IMPLICIT_PAGE_MOVE
    );
    assert!(
        plan.state_only
            .contains(&StateOp::RemovePage(Address::page("support")))
    );
    assert!(plan.state_only.contains(&StateOp::PutPage(
        recorded_page("help", "1", "t1").tap_name("support page")
    )));
}

trait TapName {
    fn tap_name(self, name: &str) -> Self;
}

impl TapName for PageRecord {
    fn tap_name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
}

/// A for_each key renamed without a moved block: the page and its link
/// both show their new address, and state follows with no call.
#[test]
fn a_renamed_key_moves_the_page_and_its_link_visibly() {
    let world = World::new()
        .want_page(page("help", "1", "t1"))
        .want_link(link("assistant", "help", "1", APP1))
        .recorded_page(recorded_page("support", "1", "t1"))
        .recorded_link(recorded_link("bot", "1", APP1))
        .remote(remote("1", "help page", &[APP1], "t1"));
    let plan = world.ok();
    assert!(plan.calls.is_empty(), "{:?}", calls(&plan));
    assert_eq!(
        actions(&plan),
        vec![
            ("page.help".into(), Action::Move),
            ("link.assistant".into(), Action::Move)
        ]
    );
    assert_eq!(plan.changes[1].previous_address, Some(Address::link("bot")));
    assert_eq!(
        plan.changes[1].reason,
        crate::plan::planner::IMPLICIT_LINK_MOVE
    );
    assert!(
        plan.state_only
            .contains(&StateOp::RemoveLink(Address::link("bot")))
    );
}

/// A page_id handed from one declared block to another is not a move: the
/// block that still exists keeps its address.
#[test]
fn a_page_id_handed_to_another_declared_block_is_no_move() {
    let world = World::new()
        .want_page(page("a", "2", "t2"))
        .want_page(page("b", "1", "t1"))
        .recorded_page(recorded_page("a", "1", "t1"))
        .remote(remote("1", "a page", &[], "t1"));
    let plan = world.ok();
    assert!(
        !plan.changes.iter().any(|c| c.action == Action::Move),
        "{:?}",
        actions(&plan)
    );
}

#[test]
fn a_link_moving_between_pages_unlinks_the_old_page_first() {
    let world = World::new()
        .want_page(page("a", "1", "t1"))
        .want_page(page("b", "2", "t2"))
        .want_link(link("bot", "b", "2", APP1))
        .recorded_page(recorded_page("a", "1", "t1"))
        .recorded_page(recorded_page("b", "2", "t2"))
        .recorded_link(recorded_link("bot", "1", APP1))
        .remote(remote("1", "a page", &[APP1], "t1"))
        .remote(remote("2", "b page", &[], "t2"));
    let plan = world.ok();
    assert_eq!(
        calls(&plan),
        vec![
            format!("DELETE {BASE}/1/applications/{APP1}"),
            format!("POST {BASE}/2/applications"),
        ]
    );
    assert_eq!(plan.calls[1].depends_on, vec![0]);
    assert_eq!(actions(&plan), vec![("link.bot".into(), Action::Link)]);
    assert_eq!(plan.changes[0].reason, "moved from page 1");
}

#[test]
fn refresh_only_changes_state_not_the_remote_side() {
    let mut world = World::in_sync();
    world.actual.pages.get_mut("1").unwrap().name = Some("By hand".into());
    world
        .actual
        .pages
        .get_mut("1")
        .unwrap()
        .applications
        .clear();
    world.options.mode = Mode::RefreshOnly;
    let plan = world.ok();
    assert!(plan.calls.is_empty());
    assert!(plan.changes.is_empty());
    assert_eq!(plan.drift.len(), 2);
    assert_eq!(
        plan.state_only,
        vec![
            StateOp::PutPage(recorded_page("support", "1", "t1").tap_name("By hand")),
            StateOp::RemoveLink(Address::link("bot")),
        ]
    );
}

#[test]
fn without_refresh_state_is_taken_as_the_remote_side() {
    let mut world = World::in_sync();
    world.actual = Actual::from_recorded(&world.recorded);
    assert!(world.ok().is_empty());
    world.desired.pages[0].access_token = Some(Secret::new("t9"));
    assert_eq!(
        actions(&world.ok()),
        vec![("page.support".into(), Action::Reconnect)]
    );
}

#[test]
fn an_import_block_with_another_page_id_is_an_error() {
    let mut world = World::new()
        .want_page(page("support", "1", "t1"))
        .remote(remote("1", "support page", &[], "t1"));
    world.desired.imports.push(ImportDecl {
        to: Address::page("support"),
        id: "9".into(),
        location: Location::default(),
    });
    let error = world.plan().unwrap_err();
    assert!(error.to_string().contains("page ID 9"), "{error}");
}

#[test]
fn an_import_block_names_its_reason() {
    let mut world = World::new()
        .want_page(page("support", "1", "t1"))
        .remote(remote("1", "support page", &[], "t1"));
    world.desired.imports.push(ImportDecl {
        to: Address::page("support"),
        id: "1".into(),
        location: Location::default(),
    });
    let plan = world.ok();
    assert_eq!(plan.changes[0].reason, "import block");
}

#[test]
fn connecting_needs_a_known_token() {
    let mut world = World::new().want_page(page("support", "1", "t1"));
    world.desired.pages[0].access_token = None;
    let error = world.plan().unwrap_err();
    assert!(
        error.to_string().contains("access_token is unknown"),
        "{error}"
    );
}

#[test]
fn an_unknown_token_skips_only_the_token_comparison() {
    let mut world = World::in_sync();
    world.desired.pages[0].access_token = None;
    world.actual.pages.get_mut("1").unwrap().token_fingerprint = Some(fp_of("other"));
    let plan = world.ok();
    assert!(plan.calls.is_empty());
}

#[test]
fn plan_output_never_holds_a_token() {
    let mut world = World::in_sync();
    world.desired.pages[0].access_token = Some(Secret::new("EAAB-secret-token"));
    world
        .desired
        .pages
        .push(page("new", "5", "EAAB-other-secret"));
    let plan = world.ok();
    let text = format!("{plan:?}");
    assert!(!text.contains("EAAB-secret-token"));
    assert!(!text.contains("EAAB-other-secret"));
}

#[test]
fn replacing_onto_connected_pages_records_each_adoption_on_its_own_delete() {
    // Two pages each move to a page ID that is already connected: each
    // adoption is written by the DELETE of that page's old ID, not another's.
    let world = World::new()
        .want_page(page("a", "11", "ta"))
        .want_page(page("b", "12", "tb"))
        .recorded_page(recorded_page("a", "1", "ta"))
        .recorded_page(recorded_page("b", "2", "tb"))
        .remote(remote("1", "a page", &[], "ta"))
        .remote(remote("2", "b page", &[], "tb"))
        .remote(remote("11", "a page", &[], "ta"))
        .remote(remote("12", "b page", &[], "tb"));
    let plan = world.ok();
    assert_eq!(
        calls(&plan),
        vec![format!("DELETE {BASE}/1"), format!("DELETE {BASE}/2")]
    );
    for (call, (name, id)) in plan.calls.iter().zip([("a", "11"), ("b", "12")]) {
        let adopted = call.state_ops.iter().find_map(|op| match op {
            StateOp::PutPage(r) => Some(r),
            _ => None,
        });
        let adopted = adopted.expect("the DELETE carries the adoption");
        assert_eq!(adopted.address, Address::page(name));
        assert_eq!(adopted.page_id, id);
    }
    assert!(plan.state_only.is_empty(), "{:?}", plan.state_only);
}

#[test]
fn at_scale_only_the_pages_left_out_are_disconnected() {
    // Thousands of pages: the lookups are by key, and the outcome is the
    // same as on a handful.
    let mut world = World::new();
    for i in 0..3000 {
        let name = format!("p{i}");
        let id = format!("{}", 100_000 + i);
        let token = format!("t{i}");
        if i % 3 != 0 {
            world.desired.pages.push(page(&name, &id, &token));
        }
        world = world
            .recorded_page(recorded_page(&name, &id, &token))
            .remote(remote(&id, &format!("{name} page"), &[], &token));
    }
    world
        .desired
        .pages
        .sort_by(|a, b| a.address.cmp(&b.address));
    let plan = world.ok();
    assert_eq!(plan.calls.len(), 1000);
    assert!(plan.calls.iter().all(|c| c.method.as_str() == "DELETE"));
    assert!(
        plan.changes
            .iter()
            .all(|c| c.action == Action::Disconnect && c.reason == "not in configuration")
    );
    assert!(plan.state_only.is_empty());
}

// ---- other channels -----------------------------------------------------

fn channel_link(name: &str, channel: Channel, account: &str, app: &str) -> DesiredLink {
    DesiredLink {
        address: Address::link(name),
        channel,
        page_address: None,
        page_id: account.into(),
        application: app.into(),
        location: Location::default(),
    }
}

fn channel_record(name: &str, channel: Channel, account: &str, app: &str) -> LinkRecord {
    LinkRecord {
        address: Address::link(name),
        page_id: account.into(),
        application: app.into(),
        channel,
    }
}

impl World {
    fn account(mut self, channel: Channel, id: &str, apps: &[&str]) -> Self {
        self.actual.accounts.insert(
            (channel, id.to_string()),
            RemoteAccount {
                channel,
                external_id: id.into(),
                name: None,
                applications: apps.iter().map(|a| a.to_string()).collect(),
            },
        );
        self
    }
}

const ROOT: &str = "/beta/chatapp-accounts";

/// WhatsApp, Viber and RCS accounts, each unlinked remotely, each wanted
/// linked.
fn three_channels() -> World {
    World::new()
        .want_link(channel_link("wa", Channel::Whatsapp, "447700900123", APP1))
        .want_link(channel_link(
            "viber",
            Channel::ViberServiceMsg,
            "vsm-1",
            APP1,
        ))
        .want_link(channel_link("rcs", Channel::Rcs, "agent-1", APP2))
        .account(Channel::Whatsapp, "447700900123", &[])
        .account(Channel::ViberServiceMsg, "vsm-1", &[])
        .account(Channel::Rcs, "agent-1", &[])
}

#[test]
fn links_on_other_channels_are_one_post_each_on_their_provider() {
    let plan = three_channels().ok();
    assert_eq!(
        calls(&plan),
        vec![
            format!("POST {ROOT}/whatsapp/447700900123/applications"),
            format!("POST {ROOT}/viber_service_msg/vsm-1/applications"),
            format!("POST {ROOT}/rcs/agent-1/applications"),
        ]
    );
    assert_eq!(plan.summary().link, 3);
    let wa = plan
        .changes
        .iter()
        .find(|c| c.address == Address::link("wa"))
        .unwrap();
    let attrs: Vec<(&str, Option<&str>)> = wa
        .attributes
        .iter()
        .map(|a| (a.name, a.after.as_deref()))
        .collect();
    assert_eq!(
        attrs,
        vec![
            ("channel", Some("whatsapp")),
            ("account", Some("447700900123")),
            ("application", Some(APP1)),
        ]
    );
    // What each call records remembers its channel and account.
    let recorded = plan.calls[0].state_ops.clone();
    assert_eq!(
        recorded,
        vec![StateOp::PutLink(channel_record(
            "wa",
            Channel::Whatsapp,
            "447700900123",
            APP1
        ))]
    );
}

#[test]
fn other_channels_in_sync_need_no_call() {
    let world = World::new()
        .want_link(channel_link("wa", Channel::Whatsapp, "447700900123", APP1))
        .recorded_link(channel_record(
            "wa",
            Channel::Whatsapp,
            "447700900123",
            APP1,
        ))
        .account(Channel::Whatsapp, "447700900123", &[APP1]);
    let plan = world.ok();
    assert!(plan.is_empty(), "{plan:?}");
}

#[test]
fn a_whatsapp_relink_deletes_before_it_posts() {
    let world = World::new()
        .want_link(channel_link("wa", Channel::Whatsapp, "447700900123", APP2))
        .recorded_link(channel_record(
            "wa",
            Channel::Whatsapp,
            "447700900123",
            APP1,
        ))
        .account(Channel::Whatsapp, "447700900123", &[APP1]);
    let plan = world.ok();
    assert_eq!(actions(&plan), vec![("link.wa".into(), Action::Relink)]);
    assert_eq!(
        calls(&plan),
        vec![
            format!("DELETE {ROOT}/whatsapp/447700900123/applications/{APP1}"),
            format!("POST {ROOT}/whatsapp/447700900123/applications"),
        ]
    );
    assert_eq!(plan.calls[1].depends_on, vec![0]);
}

#[test]
fn a_removed_viber_link_is_unlinked() {
    let world = World::new()
        .recorded_link(channel_record(
            "viber",
            Channel::ViberServiceMsg,
            "vsm-1",
            APP1,
        ))
        .account(Channel::ViberServiceMsg, "vsm-1", &[APP1]);
    let plan = world.ok();
    assert_eq!(actions(&plan), vec![("link.viber".into(), Action::Unlink)]);
    assert_eq!(
        calls(&plan),
        vec![format!(
            "DELETE {ROOT}/viber_service_msg/vsm-1/applications/{APP1}"
        )]
    );
    let before: Vec<(&str, Option<&str>)> = plan.changes[0]
        .attributes
        .iter()
        .map(|a| (a.name, a.before.as_deref()))
        .collect();
    assert_eq!(before[0], ("channel", Some("viber_service_msg")));
}

#[test]
fn a_link_to_an_account_the_vonage_account_lacks_fails_at_its_block() {
    let mut world = World::new()
        .want_page(page("support", "1", "t1"))
        .want_link(channel_link("wa", Channel::Whatsapp, "447700900999", APP1));
    world.desired.links[0].location = Location {
        file: "main.hcl".into(),
        line: 7,
        column: 6,
    };
    let error = world.plan().unwrap_err();
    assert_eq!(error.0.len(), 1);
    let problem = &error.0[0];
    assert_eq!(problem.address, Some(Address::link("wa")));
    assert_eq!(problem.location.as_ref().unwrap().line, 7);
    assert!(
        problem.message.contains("WhatsApp number 447700900999"),
        "{}",
        problem.message
    );
    // A messenger page with the same ID is not that account.
    let world = World::new()
        .want_link(channel_link("wa", Channel::Whatsapp, "1", APP1))
        .remote(remote("1", "page", &[], "t"));
    assert!(world.plan().is_err());
}

#[test]
fn a_link_changing_channel_is_unlinked_on_the_old_account_first() {
    let world = World::in_sync().account(Channel::Whatsapp, "447700900123", &[]);
    let mut world = world;
    world.desired.links = vec![channel_link("bot", Channel::Whatsapp, "447700900123", APP1)];
    let plan = world.ok();
    assert_eq!(
        calls(&plan),
        vec![
            format!("DELETE {BASE}/1/applications/{APP1}"),
            format!("POST {ROOT}/whatsapp/447700900123/applications"),
        ]
    );
    assert_eq!(plan.calls[1].depends_on, vec![0]);
}

#[test]
fn other_channels_drift_and_refresh_only_follow_the_account() {
    let world = World::new()
        .recorded_link(channel_record(
            "viber",
            Channel::ViberServiceMsg,
            "vsm-1",
            APP1,
        ))
        .account(Channel::ViberServiceMsg, "vsm-1", &[]);
    let plan = world.ok();
    assert_eq!(plan.drift.len(), 1);
    assert_eq!(plan.drift[0].kind, DriftKind::Deleted);
    assert_eq!(plan.drift[0].address, Address::link("viber"));
    // Not wanted and already unlinked: only state forgets it.
    assert!(plan.calls.is_empty());
    assert_eq!(
        plan.state_only,
        vec![StateOp::RemoveLink(Address::link("viber"))]
    );
}

#[test]
fn without_refresh_an_unknown_account_is_taken_to_exist_unlinked() {
    let mut world =
        World::new().want_link(channel_link("wa", Channel::Whatsapp, "447700900123", APP1));
    world.actual = Actual::from_recorded(&world.recorded);
    let plan = world.ok();
    assert_eq!(
        calls(&plan),
        vec![format!("POST {ROOT}/whatsapp/447700900123/applications")]
    );
}

#[test]
fn destroy_unlinks_links_on_every_channel() {
    let mut world = World::in_sync()
        .recorded_link(channel_record(
            "wa",
            Channel::Whatsapp,
            "447700900123",
            APP1,
        ))
        .account(Channel::Whatsapp, "447700900123", &[APP1]);
    world.options.mode = Mode::Destroy;
    let plan = world.ok();
    assert_eq!(
        calls(&plan),
        vec![
            format!("DELETE {BASE}/1"),
            format!("DELETE {ROOT}/whatsapp/447700900123/applications/{APP1}"),
        ]
    );
}

fn moved(from: Address, to: Address) -> MovedDecl {
    MovedDecl {
        from,
        to,
        location: Location::default(),
    }
}

/// `page.support` renamed to `page.help` (link `bot` to `assistant`) in
/// the configuration, with moved blocks saying so.
fn renamed_with_moved_blocks() -> World {
    let mut world = World::in_sync();
    world.desired.pages[0].address = Address::page("help");
    world.desired.links[0].address = Address::link("assistant");
    world.desired.links[0].page_address = Some(Address::page("help"));
    world
        .desired
        .moved
        .push(moved(Address::page("support"), Address::page("help")));
    world
        .desired
        .moved
        .push(moved(Address::link("bot"), Address::link("assistant")));
    world
}

#[test]
fn moved_blocks_rename_records_in_state_with_no_call() {
    let plan = renamed_with_moved_blocks().ok();
    assert!(plan.calls.is_empty(), "{:?}", calls(&plan));
    assert_eq!(
        actions(&plan),
        vec![
            ("page.help".into(), Action::Move),
            ("link.assistant".into(), Action::Move)
        ]
    );
    assert_eq!(
        plan.changes[0].previous_address,
        Some(Address::page("support"))
    );
    let mut link = recorded_link("bot", "1", APP1);
    link.address = Address::link("assistant");
    let mut page = recorded_page("support", "1", "t1");
    page.address = Address::page("help");
    assert_eq!(
        plan.state_only,
        vec![
            StateOp::RemovePage(Address::page("support")),
            StateOp::PutPage(page),
            StateOp::RemoveLink(Address::link("bot")),
            StateOp::PutLink(link),
        ]
    );
    assert_eq!(plan.summary().calls, 0);
}

#[test]
fn a_moved_block_whose_from_is_gone_does_nothing() {
    // Once applied, the moved blocks stay in the configuration: no-op.
    let mut world = renamed_with_moved_blocks();
    let plan = world.ok();
    world.recorded.apply(&plan.state_only);
    let again = world.ok();
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn a_moved_block_whose_to_is_taken_leaves_both_records() {
    let world = World::in_sync()
        .want_page(page("other", "2", "t2"))
        .recorded_page(recorded_page("other", "2", "t2"))
        .remote(remote("2", "other page", &[], "t2"));
    let mut world = world;
    world
        .desired
        .moved
        .push(moved(Address::page("gone"), Address::page("other")));
    world
        .desired
        .moved
        .push(moved(Address::page("support"), Address::page("other")));
    let plan = world.ok();
    assert!(plan.is_empty(), "{plan:?}");
}

#[test]
fn a_moved_block_address_moves_every_instance_keeping_keys() {
    let mut world = World::new()
        .want_page(DesiredPage {
            address: Address::page("region").with_key("emea"),
            ..page("x", "1", "t1")
        })
        .want_page(DesiredPage {
            address: Address::page("region").with_key("apac"),
            ..page("x", "2", "t2")
        })
        .recorded_page(PageRecord {
            address: Address::page("regional").with_key("emea"),
            ..recorded_page("x", "1", "t1")
        })
        .recorded_page(PageRecord {
            address: Address::page("regional").with_key("apac"),
            ..recorded_page("x", "2", "t2")
        })
        .remote(remote("1", "x page", &[], "t1"))
        .remote(remote("2", "x page", &[], "t2"));
    world
        .desired
        .moved
        .push(moved(Address::page("regional"), Address::page("region")));
    let plan = world.ok();
    assert!(plan.calls.is_empty(), "{:?}", calls(&plan));
    assert_eq!(
        actions(&plan),
        vec![
            (r#"page.region["apac"]"#.into(), Action::Move),
            (r#"page.region["emea"]"#.into(), Action::Move)
        ]
    );
}

#[test]
fn a_moved_page_whose_name_changed_is_moved_then_updated() {
    let mut world = renamed_with_moved_blocks();
    world.desired.pages[0].name = Some("Help".into());
    let plan = world.ok();
    assert_eq!(
        actions(&plan),
        vec![
            ("page.help".into(), Action::Update),
            ("page.help".into(), Action::Move),
            ("link.assistant".into(), Action::Move)
        ]
    );
    assert_eq!(calls(&plan), vec![format!("PATCH {BASE}/1")]);
    assert_eq!(plan.calls[0].addresses, vec![Address::page("help")]);
}

#[test]
fn destroy_disconnects_a_moved_page_under_its_new_address() {
    let mut world = renamed_with_moved_blocks();
    world.options.mode = Mode::Destroy;
    let plan = world.ok();
    assert_eq!(calls(&plan), vec![format!("DELETE {BASE}/1")]);
    assert!(plan.calls[0].addresses.contains(&Address::page("help")));
}

// ---- token health (Facebook) ----

mod token_health {
    use super::*;
    use crate::actual::TokenReport;
    use crate::facebook::TokenHealth;

    const DEADLINE: i64 = 1_000_000;

    fn valid(expires_at: Option<i64>) -> TokenHealth {
        TokenHealth::Valid { expires_at }
    }

    fn invalid() -> TokenHealth {
        TokenHealth::Invalid {
            reason: "Error validating access token: the user changed their password".into(),
        }
    }

    /// page.support (ID 1) connected with token `held`; the configuration
    /// (from Facebook when `from_facebook`) would send `wanted`.
    fn world(
        held: &str,
        wanted: &str,
        from_facebook: bool,
        held_health: TokenHealth,
        replacement: Option<TokenHealth>,
    ) -> World {
        let mut world = World::new()
            .want_page(DesiredPage {
                token_from_facebook: from_facebook,
                ..page("support", "1", wanted)
            })
            .recorded_page(recorded_page("support", "1", held))
            .remote(remote("1", "support page", &[], held));
        let mut report = TokenReport {
            expiring_before: DEADLINE,
            ..TokenReport::default()
        };
        report.held.insert("1".into(), held_health);
        if let Some(health) = replacement {
            report.replacements.insert(Address::page("support"), health);
        }
        world.actual.tokens = Some(report);
        world
    }

    #[test]
    fn an_invalid_held_token_is_reconnected_with_facebooks_reason() {
        let plan = world("dead", "fresh", true, invalid(), Some(valid(None))).ok();
        assert_eq!(
            calls(&plan),
            vec!["PATCH /beta/chatapp-accounts/messenger/1"]
        );
        assert_eq!(plan.changes[0].action, Action::Reconnect);
        assert_eq!(
            plan.changes[0].reason,
            "the token Vonage holds is invalid: Error validating access token: the user changed their password"
        );
        assert_eq!(plan.drift[0].kind, DriftKind::TokenInvalid);
        assert!(plan.warnings.is_empty());
    }

    #[test]
    fn a_healthy_token_is_not_replaced_because_facebook_returned_another_string() {
        let plan = world(
            "current",
            "other-string",
            true,
            valid(None),
            Some(valid(None)),
        )
        .ok();
        assert!(plan.calls.is_empty(), "{:?}", calls(&plan));
        assert!(plan.drift.is_empty());
    }

    #[test]
    fn an_invalid_token_without_a_valid_replacement_is_a_warning() {
        let plan = world("dead", "also-dead", true, invalid(), Some(invalid())).ok();
        assert!(plan.calls.is_empty());
        assert_eq!(plan.warnings.len(), 1);
        assert!(plan.warnings[0].starts_with("page.support: the token Vonage holds is invalid"));
        // The same configured token as the one held: nothing to send instead.
        let plan = world("dead", "dead", false, invalid(), None).ok();
        assert!(plan.calls.is_empty());
        assert_eq!(plan.warnings.len(), 1);
    }

    #[test]
    fn a_token_sent_inside_the_warning_window_is_sent_with_a_warning() {
        // Rotated in the configuration to a token that itself expires soon.
        let expiring = valid(Some(DEADLINE - 10));
        let plan = world("old", "rotated", false, valid(None), Some(expiring)).ok();
        assert_eq!(
            calls(&plan),
            vec!["PATCH /beta/chatapp-accounts/messenger/1"]
        );
        assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
        assert!(
            plan.warnings[0].starts_with("page.support: the token this plan sends expires "),
            "{}",
            plan.warnings[0]
        );
        // One that lasts: no word.
        let plan = world("old", "rotated", false, valid(None), Some(valid(None))).ok();
        assert_eq!(calls(&plan).len(), 1);
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn an_expiring_token_is_reconnected_only_to_one_that_lasts_longer() {
        let soon = valid(Some(DEADLINE - 10));
        let plan = world("soon", "forever", true, soon.clone(), Some(valid(None))).ok();
        assert_eq!(plan.changes[0].action, Action::Reconnect);
        assert!(
            plan.changes[0]
                .reason
                .starts_with("the token Vonage holds expires ")
        );
        assert_eq!(plan.drift[0].kind, DriftKind::TokenExpiring);
        let sooner = valid(Some(DEADLINE - 20));
        let plan = world("soon", "sooner", true, soon, Some(sooner)).ok();
        assert!(plan.calls.is_empty());
        assert_eq!(plan.warnings.len(), 1);
        // Far from its expiry, a token is left alone.
        let later = valid(Some(DEADLINE + 10));
        let plan = world("later", "forever", true, later, Some(valid(None))).ok();
        assert!(plan.calls.is_empty() && plan.drift.is_empty() && plan.warnings.is_empty());
    }

    #[test]
    fn a_configured_token_change_names_the_dead_token_as_its_reason() {
        let plan = world("dead", "new", false, invalid(), Some(valid(None))).ok();
        assert_eq!(plan.changes[0].action, Action::Reconnect);
        assert!(
            plan.changes[0]
                .reason
                .starts_with("the token Vonage holds is invalid")
        );
    }
}
