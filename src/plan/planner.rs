//! The decisions. First every page and link is given its fate (connect,
//! adopt, patch, disconnect, link, unlink …) as an *intent* on its page; then
//! the intents are emitted as calls in phases — page deletes, connects,
//! patches, unlinks, links — so the list respects every dependency: each
//! page's calls run in that order, a replaced page is deleted before its
//! successor is connected, and a link moving between pages is unlinked from
//! the old page before it is linked on the new one.

mod applications;

use super::drift;
use super::model::*;
use super::{Mode, PlanError, PlanOptions, PlanProblem};
use crate::actual::{Actual, RemotePage};
use crate::address::{Address, InstanceKey};
use crate::channel::ACCOUNTS_BASE;
use crate::channel::Channel;
use crate::desired::{Desired, DesiredLink, DesiredPage};
use crate::facebook::TokenHealth;
use crate::secret::Secret;
use crate::state::{LinkRecord, PageRecord, Recorded, StateOp};
use std::collections::{BTreeSet, HashMap, HashSet};

const SENSITIVE: &str = "(sensitive value)";
/// The `after` of a token a forced reconnect sends unchanged.
pub(crate) const SENT_AGAIN: &str = "(unchanged sensitive value, sent again)";

/// Plans the calls that bring the remote side (and state) to `desired`.
/// `fingerprint` is the state's keyed token fingerprint.
pub fn plan(
    desired: &Desired,
    recorded: &Recorded,
    actual: &Actual,
    options: &PlanOptions,
    fingerprint: &dyn Fn(&Secret) -> String,
) -> Result<Plan, PlanError> {
    // Moves first: everything else is planned against the renamed records,
    // and apply writes state-only operations, moves first, before any call.
    let moves = super::moves::plan_moves(desired, recorded);
    let recorded = moves.recorded.as_ref().unwrap_or(recorded);
    // `application.NAME.id` of applications that exist, made their ids.
    let resolved = applications::resolve_links(desired, recorded, actual);
    let desired: &Desired = &resolved;
    let mut planner = Planner::new(desired, recorded, actual, options, fingerprint);
    planner.changes.extend(moves.changes);
    planner.state_only.extend(moves.state_ops);
    planner.check_options();
    match options.mode {
        Mode::Normal => {
            planner.check_applications();
            planner.check_unknown_applications();
            planner.check_accounts();
            planner.check_imports();
            planner.plan_applications();
            planner.plan_desired_pages();
            planner.plan_undesired_pages();
            planner.plan_links();
        }
        Mode::Destroy => {
            planner.plan_destroy();
            planner.destroy_applications();
        }
        Mode::RefreshOnly => {
            planner.plan_refresh_only();
            planner.refresh_applications();
        }
    }
    planner.finish()
}

/// See `Planner::token_health`.
#[derive(Default)]
struct TokenVerdict {
    /// Why the token Vonage holds needs replacing, if it does.
    held_problem: Option<String>,
    replacement_needed: bool,
}

/// The order calls are emitted in; also the order of one page's calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Stage {
    Delete,
    Connect,
    Patch,
    Unlink,
    Link,
}

const STAGES: [Stage; 5] = [
    Stage::Delete,
    Stage::Connect,
    Stage::Patch,
    Stage::Unlink,
    Stage::Link,
];

/// An account of any channel: (channel, external_id). Calls are ordered
/// per account.
type AccountKey = (Channel, String);

fn messenger(page_id: &str) -> AccountKey {
    (Channel::Messenger, page_id.to_string())
}

/// One call to be made, before it has an index.
struct Intent {
    stage: Stage,
    op: CallOp,
    addresses: Vec<Address>,
    state_ops: Vec<StateOp>,
    /// Calls on other accounts that must come first.
    after: Vec<(AccountKey, Stage)>,
}

/// What happens to a page ID in this plan, as far as links care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// A POST will connect it, carrying its link.
    Connecting,
    /// A DELETE will disconnect it, taking its links along.
    Disconnecting,
}

struct Planner<'a> {
    desired: &'a Desired,
    recorded: &'a Recorded,
    actual: &'a Actual,
    options: &'a PlanOptions,
    fingerprint: &'a dyn Fn(&Secret) -> String,

    /// Every desired page by page ID (in scope or not): a page someone still
    /// wants is never disconnected.
    desired_by_id: HashMap<&'a str, &'a DesiredPage>,
    /// Every desired page by address: the lookups per recorded page must
    /// not scan the configuration (10,000 pages made that quadratic).
    desired_by_address: HashMap<&'a Address, &'a DesiredPage>,
    /// Recorded pages by page ID (several addresses may share one).
    recorded_pages_by_id: HashMap<&'a str, Vec<&'a PageRecord>>,
    /// In-scope desired links by account (the config allows one per account).
    desired_link_by_page: HashMap<(Channel, &'a str), &'a DesiredLink>,
    /// Every desired link address, in scope or not.
    desired_link_addresses: HashSet<&'a Address>,
    recorded_links_by_page: HashMap<(Channel, &'a str), Vec<&'a LinkRecord>>,
    /// Pages whose dependencies were pulled in by a targeted link.
    scope_extra: HashSet<Address>,
    /// What `--exclude` leaves out beyond the addresses it names: the links
    /// on an excluded page (they depend on it).
    excluded_extra: HashSet<Address>,
    /// Pages that carry an excluded link: disconnecting or replacing one
    /// would remove that link with it, so this run leaves them connected.
    keep_connected: HashSet<&'a str>,

    fates: HashMap<String, Fate>,
    handled_links: HashSet<Address>,
    intents: Vec<(AccountKey, Intent)>,
    /// Position of the first intent for (account, stage), for `intent_mut`.
    intent_index: HashMap<(AccountKey, Stage), usize>,
    changes: Vec<Change>,
    state_only: Vec<StateOp>,
    problems: Vec<PlanProblem>,
    /// Said with the plan, blocking nothing (a dead token with no
    /// replacement at hand).
    warnings: Vec<String>,
    /// Application creates, updates and deletes (see `applications`).
    app_intents: applications::AppIntents,
}

impl<'a> Planner<'a> {
    fn new(
        desired: &'a Desired,
        recorded: &'a Recorded,
        actual: &'a Actual,
        options: &'a PlanOptions,
        fingerprint: &'a dyn Fn(&Secret) -> String,
    ) -> Self {
        let mut planner = Planner {
            desired,
            recorded,
            actual,
            options,
            fingerprint,
            desired_by_id: desired
                .pages
                .iter()
                .map(|p| (p.page_id.as_str(), p))
                .collect(),
            desired_by_address: desired.pages.iter().map(|p| (&p.address, p)).collect(),
            recorded_pages_by_id: HashMap::new(),
            desired_link_by_page: HashMap::new(),
            desired_link_addresses: desired.links.iter().map(|l| &l.address).collect(),
            recorded_links_by_page: HashMap::new(),
            scope_extra: HashSet::new(),
            excluded_extra: HashSet::new(),
            keep_connected: HashSet::new(),
            fates: HashMap::new(),
            handled_links: HashSet::new(),
            intents: Vec::new(),
            intent_index: HashMap::new(),
            changes: Vec::new(),
            state_only: Vec::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            app_intents: Default::default(),
        };
        for page in recorded.pages.values() {
            planner
                .recorded_pages_by_id
                .entry(page.page_id.as_str())
                .or_default()
                .push(page);
        }
        for link in recorded.links.values() {
            planner
                .recorded_links_by_page
                .entry((link.channel, link.page_id.as_str()))
                .or_default()
                .push(link);
        }
        if options.mode == Mode::Destroy {
            planner.scope_dependents_of_targets();
        } else {
            planner.scope_dependencies_of_targets();
        }
        planner.scope_excludes();
        for link in &desired.links {
            if planner.in_scope(&link.address) {
                planner
                    .desired_link_by_page
                    .insert((link.channel, link.page_id.as_str()), link);
            }
        }
        planner
    }

    /// Planning toward the configuration, a targeted link brings its page
    /// along: Terraform plans a target together with what it depends on.
    fn scope_dependencies_of_targets(&mut self) {
        let (options, desired, recorded) = (self.options, self.desired, self.recorded);
        for target in &options.targets {
            for link in desired.links.iter().filter(|l| target.contains(&l.address)) {
                self.scope_extra.extend(link.page_address.clone());
            }
            for link in recorded
                .links
                .values()
                .filter(|l| target.contains(&l.address) && l.channel.is_messenger())
            {
                for page in recorded
                    .pages
                    .values()
                    .filter(|p| p.page_id == link.page_id)
                {
                    self.scope_extra.insert(page.address.clone());
                }
            }
        }
    }

    /// Destroying, a target takes what depends on it and never what it
    /// depends on (as `terraform destroy -target` does): a targeted page
    /// takes its links, a targeted link is unlinked and its page stays
    /// connected.
    fn scope_dependents_of_targets(&mut self) {
        let (options, recorded) = (self.options, self.recorded);
        for target in &options.targets {
            for page in recorded
                .pages
                .values()
                .filter(|p| target.contains(&p.address))
            {
                for link in self.links_on(&page.page_id) {
                    self.scope_extra.insert(link.address.clone());
                }
            }
        }
    }

    /// `--exclude` leaves out a resource and what depends on it (as
    /// OpenTofu's -exclude does): an excluded page takes its links along.
    /// An excluded link keeps its page from being disconnected or replaced,
    /// which would remove the link too; the page is otherwise planned.
    fn scope_excludes(&mut self) {
        let (options, desired, recorded) = (self.options, self.desired, self.recorded);
        for exclude in &options.excludes {
            for page in recorded
                .pages
                .values()
                .filter(|p| exclude.contains(&p.address))
            {
                for link in self.links_on(&page.page_id) {
                    self.excluded_extra.insert(link.address.clone());
                }
            }
            for link in &desired.links {
                let on_excluded_page =
                    (link.page_address.as_ref()).is_some_and(|page| exclude.contains(page));
                if on_excluded_page {
                    self.excluded_extra.insert(link.address.clone());
                }
            }
            for link in recorded.links.values() {
                if exclude.contains(&link.address) && link.channel.is_messenger() {
                    self.keep_connected.insert(link.page_id.as_str());
                }
            }
        }
    }

    fn is_excluded(&self, address: &Address) -> bool {
        self.options.excludes.iter().any(|e| e.contains(address))
            || self.excluded_extra.contains(address)
    }

    fn in_scope(&self, address: &Address) -> bool {
        if self.is_excluded(address) {
            return false;
        }
        self.options.targets.is_empty()
            || self.options.targets.iter().any(|t| t.contains(address))
            || self.scope_extra.contains(address)
    }

    fn problem(&mut self, address: Option<&Address>, message: String, help: Option<&str>) {
        let location = address.and_then(|a| self.location_of(a));
        self.problems.push(PlanProblem {
            address: address.cloned(),
            location,
            message,
            help: help.map(str::to_string),
        });
    }

    fn location_of(&self, address: &Address) -> Option<crate::desired::Location> {
        let pages = self.desired.pages.iter().map(|p| (&p.address, &p.location));
        let links = self.desired.links.iter().map(|l| (&l.address, &l.location));
        let apps = (self.desired.applications.iter()).map(|a| (&a.address, &a.location));
        pages
            .chain(links)
            .chain(apps)
            .find(|(a, _)| *a == address)
            .map(|(_, l)| l.clone())
    }

    /// A record re-addressed in state with no API call, shown as Terraform
    /// shows a move.
    fn moved(&mut self, address: &Address, from: &Address, reason: String) {
        self.changes.push(Change {
            address: address.clone(),
            action: Action::Move,
            reason,
            attributes: Vec::new(),
            previous_address: Some(from.clone()),
        });
    }

    fn change(
        &mut self,
        address: &Address,
        action: Action,
        reason: impl Into<String>,
        attributes: Vec<AttrDiff>,
    ) {
        let reason = reason.into();
        if matches!(
            action,
            Action::Disconnect | Action::Unlink | Action::Replace | Action::Delete
        ) {
            self.refuse_if_protected(address, action, &reason);
        }
        self.changes.push(Change {
            address: address.clone(),
            action,
            reason,
            attributes,
            previous_address: None,
        });
    }

    /// `lifecycle { prevent_destroy = true }`: every change that ends a
    /// resource passes here (`change` calls it), so no mode, `-target` or
    /// dependency can disconnect, unlink or replace a protected one. The
    /// plan then fails as a whole, before any call.
    fn refuse_if_protected(&mut self, address: &Address, action: Action, reason: &str) {
        let Some(protection) = self.desired.protection(address) else {
            return;
        };
        let done = match action {
            Action::Disconnect => "disconnected",
            Action::Unlink => "unlinked",
            Action::Delete => "deleted",
            _ => "replaced",
        };
        self.problems.push(PlanProblem {
            address: Some(address.clone()),
            location: Some(protection.location.clone()),
            message: format!(
                "would be {done} ({reason}), but its block sets lifecycle.prevent_destroy"
            ),
            help: Some(format!(
                "if it really should be {done}, remove `prevent_destroy = true` from {} \"{}\" \
                 first; or leave it out of this run (-exclude='{address}', or a -target that \
                 does not take it)",
                protection.block.kind.as_str(),
                protection.block.name,
            )),
        });
    }

    /// Records a call on the account `intent.op` names (`page_id` is its
    /// external_id, on the channel of the op).
    fn intend(&mut self, page_id: &str, intent: Intent) {
        let key = (intent.op.channel(), page_id.to_string());
        self.intent_index
            .entry((key.clone(), intent.stage))
            .or_insert(self.intents.len());
        self.intents.push((key, intent));
    }

    /// The first intent for messenger page `page_id` at `stage`.
    fn intent_mut(&mut self, page_id: &str, stage: Stage) -> Option<&mut Intent> {
        let index = *self.intent_index.get(&(messenger(page_id), stage))?;
        self.intents.get_mut(index).map(|(_, i)| i)
    }

    /// Recorded pages the plan may touch (all of them without --target).
    fn recorded_pages_in_scope(&self) -> Vec<&'a PageRecord> {
        self.recorded
            .pages
            .values()
            .filter(|r| self.in_scope(&r.address))
            .collect()
    }

    /// Recorded links the plan may touch (all of them without --target).
    fn recorded_links_in_scope(&self) -> Vec<&'a LinkRecord> {
        self.recorded
            .links
            .values()
            .filter(|l| self.in_scope(&l.address))
            .collect()
    }

    /// Recorded links on messenger page `page_id`.
    fn links_on(&self, page_id: &str) -> Vec<&'a LinkRecord> {
        self.links_on_account(Channel::Messenger, page_id)
    }

    fn links_on_account(&self, channel: Channel, id: &str) -> Vec<&'a LinkRecord> {
        self.recorded_links_by_page
            .get(&(channel, id))
            .cloned()
            .unwrap_or_default()
    }

    // ---- checks -------------------------------------------------------

    fn check_options(&mut self) {
        let known = |a: &Address| {
            self.desired.pages.iter().any(|p| a.contains(&p.address))
                || self.desired.links.iter().any(|l| a.contains(&l.address))
                || self.recorded.pages.keys().any(|r| a.contains(r))
                || self.recorded.links.keys().any(|r| a.contains(r))
        };
        let unknown: Vec<(&str, Address)> = (self.options.targets.iter().map(|a| ("--target", a)))
            .chain(self.options.excludes.iter().map(|a| ("--exclude", a)))
            .filter(|(_, a)| !known(a))
            .map(|(flag, a)| (flag, a.clone()))
            .collect();
        for (flag, address) in unknown {
            // `page.x["1"]` for a count instance (or `page.x[1]` for a
            // for_each key "1") is a likely slip: name the address that is.
            let respelt = address.key.as_ref().and_then(|key| {
                let other = match key {
                    InstanceKey::Index(i) => InstanceKey::Name(i.to_string()),
                    InstanceKey::Name(n) => InstanceKey::Index(n.parse().ok()?),
                };
                let other = Address {
                    key: Some(other),
                    ..address.clone()
                };
                known(&other).then_some(other)
            });
            let help = match respelt {
                Some(other) => format!("did you mean {flag} {other}?"),
                None => {
                    "check the address with `socialform state list` or in the configuration".into()
                }
            };
            self.problem(
                None,
                format!("{flag} {address} matches no resource in the configuration or the state"),
                Some(&help),
            );
        }
        let unknown_reconnects: Vec<Address> = self
            .options
            .reconnect
            .iter()
            .filter(|r| !self.desired.pages.iter().any(|p| r.contains(&p.address)))
            .cloned()
            .collect();
        for address in unknown_reconnects {
            self.problem(
                None,
                format!("--reconnect {address} names no page in the configuration"),
                Some("--reconnect takes the address of a page block, like page.support"),
            );
        }
    }

    /// Every application a link names must exist and have the Messages
    /// capability, or the link call would fail half-way through an apply.
    fn check_applications(&mut self) {
        let Some(applications) = &self.actual.applications else {
            return;
        };
        let mut problems: Vec<(Address, String, &str)> = Vec::new();
        let missing_help = if applications.is_empty() {
            "create the application, or fix the id in the link block (the account has no \
             application at all: against `socialform sandbox serve`, start it with --seed-demo \
             for the demo ones)"
        } else {
            "create the application, or fix the id in the link block"
        };
        for link in self
            .desired
            .links
            .iter()
            .filter(|l| self.in_scope(&l.address))
            // An application this plan creates: `check_unknown_applications`.
            .filter(|l| crate::application::unknown_id_of(&l.application).is_none())
        {
            match applications.get(&link.application) {
                None => problems.push((
                    link.address.clone(),
                    format!(
                        "application {} does not exist in this Vonage account (or the API key cannot see it)",
                        link.application
                    ),
                    missing_help,
                )),
                Some(app) if !app.has_messages => problems.push((
                    link.address.clone(),
                    format!(
                        "application {} ({}) has no Messages capability, so a page cannot be linked to it",
                        link.application, app.name
                    ),
                    "enable Messages on the application (inbound and status webhooks), or link another application",
                )),
                Some(_) => {}
            }
        }
        for (address, message, help) in problems {
            self.problem(Some(&address), message, Some(help));
        }
    }

    /// A link on another channel names an account that must already be in
    /// the Vonage account: socialform cannot create it.
    fn check_accounts(&mut self) {
        if !self.actual.refreshed {
            return;
        }
        let missing: Vec<&'a DesiredLink> = self
            .desired
            .links
            .iter()
            .filter(|l| !l.channel.is_messenger() && self.in_scope(&l.address))
            .filter(|l| {
                !self
                    .actual
                    .accounts
                    .contains_key(&(l.channel, l.page_id.clone()))
            })
            .collect();
        for link in missing {
            self.problem(
                Some(&link.address),
                format!(
                    "{} {} ({}) is not in this Vonage account, so it cannot be linked",
                    link.channel.account_noun(),
                    link.page_id,
                    link.channel
                ),
                Some(onboarding_help(link.channel)),
            );
        }
    }

    fn check_imports(&mut self) {
        // An application's import is checked where it is planned.
        let pages = self
            .desired
            .imports
            .iter()
            .filter(|i| i.to.kind == crate::address::ResourceKind::Page);
        for import in pages {
            let page = self.desired_by_address.get(&import.to).copied();
            let problem = match page {
                None => Some((
                    format!(
                        "import target {} is not declared in the configuration",
                        import.to
                    ),
                    "add a page block for it before importing",
                )),
                Some(page) if page.page_id != import.id => Some((
                    format!(
                        "import block says page ID {} but {} declares page_id {}",
                        import.id, import.to, page.page_id
                    ),
                    "make the import id and the page_id agree",
                )),
                Some(_) if self.actual.refreshed && !self.actual.pages.contains_key(&import.id) => {
                    Some((
                        format!(
                            "cannot import {}: page {} is not connected to this Vonage account",
                            import.to, import.id
                        ),
                        "remove the import block; the page will be connected instead",
                    ))
                }
                Some(_) => None,
            };
            if let Some((message, help)) = problem {
                self.problems.push(PlanProblem {
                    address: Some(import.to.clone()),
                    location: Some(import.location.clone()),
                    message,
                    help: Some(help.to_string()),
                });
            }
        }
    }

    // ---- pages --------------------------------------------------------

    fn plan_desired_pages(&mut self) {
        let pages: Vec<&DesiredPage> = self
            .desired
            .pages
            .iter()
            .filter(|p| self.in_scope(&p.address))
            .collect();
        for page in pages {
            self.plan_desired_page(page);
        }
    }

    fn plan_desired_page(&mut self, page: &'a DesiredPage) {
        let desired_fp = page.access_token.as_ref().map(|t| (self.fingerprint)(t));
        let record = self.recorded.pages.get(&page.address);
        let replacing = record.filter(|r| r.page_id != page.page_id);
        // The page ID whose DELETE must precede this page's calls.
        let mut delete_first: Option<String> = None;

        if let Some(old) = replacing {
            if self.keep_connected.contains(old.page_id.as_str()) {
                return;
            }
            self.change(
                &page.address,
                Action::Replace,
                "page_id changed",
                vec![AttrDiff {
                    name: "page_id",
                    before: Some(old.page_id.clone()),
                    after: Some(page.page_id.clone()),
                    sensitive: false,
                }],
            );
            let old_still_wanted = self.desired_by_id.contains_key(old.page_id.as_str());
            if self.actual.pages.contains_key(&old.page_id) && !old_still_wanted {
                let mut addresses = vec![page.address.clone()];
                let mut state_ops = vec![StateOp::RemovePage(page.address.clone())];
                for link in self.links_on(&old.page_id) {
                    addresses.push(link.address.clone());
                    if !self.desired_link_addresses.contains(&link.address) {
                        state_ops.push(StateOp::RemoveLink(link.address.clone()));
                        self.change(
                            &link.address,
                            Action::Unlink,
                            "its page is replaced",
                            unlink_attrs(link),
                        );
                    }
                }
                self.intend(
                    &old.page_id,
                    Intent {
                        stage: Stage::Delete,
                        op: CallOp::Disconnect {
                            page_id: old.page_id.clone(),
                        },
                        addresses,
                        state_ops,
                        after: vec![],
                    },
                );
                self.fates.insert(old.page_id.clone(), Fate::Disconnecting);
                delete_first = Some(old.page_id.clone());
            } else {
                self.state_only
                    .push(StateOp::RemovePage(page.address.clone()));
            }
        }

        let fresh = record.is_none() || replacing.is_some();
        match self.actual.pages.get(&page.page_id) {
            None => self.plan_connect(
                page,
                record.is_some() && replacing.is_none(),
                desired_fp,
                delete_first,
            ),
            Some(remote) => {
                self.plan_existing(page, remote, record, fresh, desired_fp, delete_first)
            }
        }
    }

    fn plan_connect(
        &mut self,
        page: &'a DesiredPage,
        was_recorded: bool,
        desired_fp: Option<String>,
        delete_first: Option<String>,
    ) {
        if page.access_token.is_none() {
            self.problem(
                Some(&page.address),
                "the page must be connected but its access_token is unknown (its variable is unset)".into(),
                Some("set the token's variable (--var, an .sfvars file or SF_VAR_<name>)"),
            );
            return;
        }
        if delete_first.is_none() {
            let reason = if was_recorded {
                "disconnected outside socialform; connecting it again"
            } else {
                "not in state"
            };
            self.change(&page.address, Action::Connect, reason, connect_attrs(page));
        }
        let link = self
            .desired_link_by_page
            .get(&(Channel::Messenger, page.page_id.as_str()))
            .copied();
        let mut addresses = vec![page.address.clone()];
        let mut state_ops = vec![StateOp::PutPage(PageRecord {
            address: page.address.clone(),
            page_id: page.page_id.clone(),
            name: page.name.clone(),
            token_fingerprint: desired_fp,
        })];
        if let Some(link) = link {
            addresses.push(link.address.clone());
            state_ops.push(StateOp::PutLink(link_record(link)));
            let reason = link_reason(self.recorded.links.get(&link.address), link);
            self.change(&link.address, Action::Link, reason, link_attrs(link));
            self.handled_links.insert(link.address.clone());
        }
        for stale in self.links_on(&page.page_id) {
            let keep = link.is_some_and(|l| l.address == stale.address)
                || self.desired_link_addresses.contains(&stale.address);
            if !keep {
                state_ops.push(StateOp::RemoveLink(stale.address.clone()));
            }
        }
        self.intend(
            &page.page_id,
            Intent {
                stage: Stage::Connect,
                op: CallOp::Connect {
                    page_id: page.page_id.clone(),
                    name: page.name.clone(),
                    token_from: page.address.clone(),
                    application: link.map(|l| l.application.clone()),
                },
                addresses,
                state_ops,
                after: delete_first
                    .map(|p| ((Channel::Messenger, p), Stage::Delete))
                    .into_iter()
                    .collect(),
            },
        );
        self.fates.insert(page.page_id.clone(), Fate::Connecting);
    }

    fn plan_existing(
        &mut self,
        page: &'a DesiredPage,
        remote: &'a RemotePage,
        record: Option<&'a PageRecord>,
        fresh: bool,
        desired_fp: Option<String>,
        delete_first: Option<String>,
    ) {
        let known_fp = remote
            .token_fingerprint
            .clone()
            .or_else(|| record.and_then(|r| r.token_fingerprint.clone()));
        if fresh {
            let adopted = PageRecord {
                address: page.address.clone(),
                page_id: page.page_id.clone(),
                name: remote.name.clone(),
                token_fingerprint: known_fp.clone(),
            };
            if delete_first.is_none() {
                match self.moved_from(page) {
                    // An address change, shown as one: "has moved to".
                    Some(old) => {
                        self.moved(&page.address, &old.address, IMPLICIT_PAGE_MOVE.to_string())
                    }
                    None => {
                        let reason = self.adoption_reason(page);
                        self.change(
                            &page.address,
                            Action::Import,
                            reason,
                            vec![AttrDiff {
                                name: "page_id",
                                before: None,
                                after: Some(page.page_id.clone()),
                                sensitive: false,
                            }],
                        );
                    }
                }
            }
            // Recorded before anything else happens to the page; after the
            // old page's DELETE when this is a replacement.
            match delete_first
                .as_deref()
                .and_then(|p| self.intent_mut(p, Stage::Delete))
            {
                Some(delete) => delete.state_ops.push(StateOp::PutPage(adopted)),
                None => self.state_only.push(StateOp::PutPage(adopted)),
            }
        }

        let name_change = page.name.is_some() && page.name != remote.name;
        let forced = self
            .options
            .reconnect
            .iter()
            .any(|r| r.contains(&page.address));
        let health = self.token_health(page, known_fp.as_ref(), desired_fp.as_ref());
        let token_change = desired_fp.is_some()
            && (forced
                || if page.token_from_facebook {
                    // A healthy token is never replaced merely because
                    // Facebook handed out another string for the page.
                    health.replacement_needed
                } else {
                    known_fp != desired_fp
                });
        if !token_change && let Some(why) = &health.held_problem {
            self.warnings.push(format!(
                "{}: {why}, and no valid token that lasts longer is at hand: {}",
                page.address,
                if page.token_from_facebook {
                    "the Facebook user must log in again (or grant the page's permissions again) \
                     so that /me/accounts hands out a fresh page token, then run plan again"
                } else {
                    "get a fresh page access token for the page (Graph API \
                     /PAGE-ID?fields=access_token with a long-lived user token), set it in the \
                     configuration, and run plan again"
                }
            ));
        }
        if !name_change && !token_change {
            let current = PageRecord {
                address: page.address.clone(),
                page_id: page.page_id.clone(),
                name: remote.name.clone(),
                token_fingerprint: known_fp,
            };
            if !fresh && record != Some(&current) {
                self.state_only.push(StateOp::PutPage(current));
            }
            return;
        }

        let mut attributes = Vec::new();
        let mut reasons = Vec::new();
        if name_change {
            attributes.push(AttrDiff {
                name: "name",
                before: remote.name.clone(),
                after: page.name.clone(),
                sensitive: false,
            });
            let changed_remotely = record.is_some_and(|r| r.name != remote.name);
            reasons.push(if changed_remotely {
                "name changed outside socialform"
            } else {
                "name changed"
            });
        }
        if token_change {
            let recorded_fp = record.and_then(|r| r.token_fingerprint.as_ref());
            // A reconnect asked for with the token Vonage already holds
            // sends it again: say so, rather than a change no one can see.
            let same_token = forced
                && health.held_problem.is_none()
                && desired_fp.is_some()
                && known_fp.as_ref() == desired_fp.as_ref();
            attributes.push(AttrDiff {
                name: "access_token",
                before: Some(SENSITIVE.into()),
                after: Some(if same_token { SENT_AGAIN } else { SENSITIVE }.into()),
                sensitive: true,
            });
            reasons.push(if forced {
                "reconnect requested"
            } else if let Some(why) = &health.held_problem {
                why
            } else if recorded_fp.is_some() && recorded_fp == desired_fp.as_ref() {
                "token changed outside socialform"
            } else {
                "token changed in configuration"
            });
        }
        let action = if token_change {
            Action::Reconnect
        } else {
            Action::Update
        };
        self.change(&page.address, action, reasons.join("; "), attributes);
        self.intend(
            &page.page_id,
            Intent {
                stage: Stage::Patch,
                op: CallOp::Update {
                    page_id: page.page_id.clone(),
                    name: if name_change { page.name.clone() } else { None },
                    token_from: token_change.then(|| page.address.clone()),
                },
                addresses: vec![page.address.clone()],
                state_ops: vec![StateOp::PutPage(PageRecord {
                    address: page.address.clone(),
                    page_id: page.page_id.clone(),
                    name: if name_change {
                        page.name.clone()
                    } else {
                        remote.name.clone()
                    },
                    token_fingerprint: if token_change { desired_fp } else { known_fp },
                })],
                after: delete_first
                    .map(|p| ((Channel::Messenger, p), Stage::Delete))
                    .into_iter()
                    .collect(),
            },
        );
    }

    /// A token this plan sends that Facebook says expires inside
    /// `token_warning_days`: the apply goes ahead (it is still the best
    /// token at hand), but the plan says so, and says what to do.
    fn warn_of_expiring_sends(&mut self) {
        let Some(report) = &self.actual.tokens else {
            return;
        };
        let mut warnings = Vec::new();
        for (_, intent) in &self.intents {
            let sent_for = match &intent.op {
                CallOp::Connect { token_from, .. } => Some(token_from),
                CallOp::Update { token_from, .. } => token_from.as_ref(),
                _ => None,
            };
            let Some(address) = sent_for else { continue };
            if let Some(TokenHealth::Valid {
                expires_at: Some(at),
            }) = report.replacements.get(address)
                && *at < report.expiring_before
            {
                warnings.push(format!(
                    "{address}: the token this plan sends expires {}, inside token_warning_days; \
                     it is sent as the best at hand, but get a long-lived one (a page token from a \
                     long-lived user token) before it runs out",
                    crate::facebook::describe_expiry(*at)
                ));
            }
        }
        warnings.sort();
        warnings.dedup();
        self.warnings.extend(warnings);
    }

    /// What Facebook said of the token Vonage holds for `page` and of the
    /// one the configuration would send instead (only asked when the two
    /// differ). `replacement_needed`: the held token is invalid, or expires
    /// within the warning window, and the replacement is valid (and, for
    /// an expiring one, lasts longer).
    fn token_health(
        &self,
        page: &DesiredPage,
        held_fp: Option<&String>,
        desired_fp: Option<&String>,
    ) -> TokenVerdict {
        let mut verdict = TokenVerdict::default();
        let Some(report) = &self.actual.tokens else {
            return verdict;
        };
        let Some(held) = report.held.get(&page.page_id) else {
            return verdict;
        };
        let expiring = held.expires_before(report.expiring_before);
        verdict.held_problem = match held {
            TokenHealth::Invalid { reason } => {
                Some(format!("the token Vonage holds is invalid: {reason}"))
            }
            TokenHealth::Valid {
                expires_at: Some(at),
            } if expiring => Some(format!(
                "the token Vonage holds expires {}",
                crate::facebook::describe_expiry(*at)
            )),
            TokenHealth::Valid { .. } => None,
        };
        let same_token = held_fp.is_some() && held_fp == desired_fp;
        let replacement = report.replacements.get(&page.address);
        verdict.replacement_needed = verdict.held_problem.is_some()
            && !same_token
            && replacement.is_some_and(|r| r.is_valid() && (!held.is_valid() || r.outlives(held)));
        verdict
    }

    fn adoption_reason(&self, page: &DesiredPage) -> String {
        if self.desired.imports.iter().any(|i| i.to == page.address) {
            return "import block".into();
        }
        "already connected to the account; adopted by its page ID".into()
    }

    /// The page's record under another address, when the configuration
    /// declares the same page_id somewhere new (a renamed block or
    /// for_each key without a `moved` block), and no import block adopts
    /// it explicitly.
    fn moved_from(&self, page: &DesiredPage) -> Option<&'a PageRecord> {
        if self.desired.imports.iter().any(|i| i.to == page.address) {
            return None;
        }
        self.recorded_pages_by_id
            .get(page.page_id.as_str())
            .into_iter()
            .flatten()
            .copied()
            // Only from an address the configuration no longer declares: a
            // page_id handed from one declared block to another is no move.
            .find(|r| {
                r.page_id == page.page_id
                    && r.address != page.address
                    && !self.desired_by_address.contains_key(&r.address)
            })
    }

    /// Whether a `removed { lifecycle { destroy = false } }` block covers
    /// `address`: state forgets it, and Vonage keeps it.
    fn forgotten(&self, address: &Address) -> bool {
        (self.desired.removed.iter()).any(|r| !r.destroy && r.from.contains(address))
    }

    /// `address` forgotten for a removed block with `destroy = false`:
    /// shown as a forget, `removal` taking it out of state, no call.
    fn forget(&mut self, address: &Address, removal: StateOp) {
        self.change(
            address,
            Action::Forget,
            "removed block with destroy = false",
            vec![],
        );
        self.state_only.push(removal);
    }

    /// Recorded pages whose address the configuration no longer declares.
    fn plan_undesired_pages(&mut self) {
        let mut gone = self.recorded_pages_in_scope();
        gone.retain(|r| !self.desired_by_address.contains_key(&r.address));
        for record in gone {
            if self.forgotten(&record.address) {
                self.forget(&record.address, StateOp::RemovePage(record.address.clone()));
                for link in self.links_on(&record.page_id) {
                    if !self.desired_link_addresses.contains(&link.address) {
                        self.change(
                            &link.address,
                            Action::Forget,
                            "its page is forgotten",
                            vec![],
                        );
                        self.state_only
                            .push(StateOp::RemoveLink(link.address.clone()));
                        self.handled_links.insert(link.address.clone());
                    }
                }
                continue;
            }
            if self.desired_by_id.contains_key(record.page_id.as_str()) {
                // Declared under another address now: that address adopts it.
                self.state_only
                    .push(StateOp::RemovePage(record.address.clone()));
                continue;
            }
            self.disconnect(record, "not in configuration");
        }
    }

    /// Disconnects a recorded page if it is still connected; its links go with it.
    fn disconnect(&mut self, record: &'a PageRecord, reason: &str) {
        if self.fates.get(&record.page_id) == Some(&Fate::Disconnecting)
            || self.keep_connected.contains(record.page_id.as_str())
        {
            return;
        }
        let links = self.links_on(&record.page_id);
        if !self.actual.pages.contains_key(&record.page_id) {
            self.state_only
                .push(StateOp::RemovePage(record.address.clone()));
            for link in links {
                if !self.desired_link_addresses.contains(&link.address)
                    || self.options.mode == Mode::Destroy
                {
                    self.state_only
                        .push(StateOp::RemoveLink(link.address.clone()));
                }
                self.handled_links.insert(link.address.clone());
            }
            return;
        }
        self.change(
            &record.address,
            Action::Disconnect,
            reason,
            vec![
                AttrDiff {
                    name: "page_id",
                    before: Some(record.page_id.clone()),
                    after: None,
                    sensitive: false,
                },
                AttrDiff {
                    name: "name",
                    before: record.name.clone(),
                    after: None,
                    sensitive: false,
                },
            ],
        );
        let mut addresses = vec![record.address.clone()];
        let mut state_ops = vec![StateOp::RemovePage(record.address.clone())];
        for link in links {
            addresses.push(link.address.clone());
            self.handled_links.insert(link.address.clone());
            if self.options.mode == Mode::Destroy
                || !self.desired_link_addresses.contains(&link.address)
            {
                state_ops.push(StateOp::RemoveLink(link.address.clone()));
                self.change(
                    &link.address,
                    Action::Unlink,
                    "its page is disconnected",
                    unlink_attrs(link),
                );
            }
        }
        self.intend(
            &record.page_id,
            Intent {
                stage: Stage::Delete,
                op: CallOp::Disconnect {
                    page_id: record.page_id.clone(),
                },
                addresses,
                state_ops,
                after: vec![],
            },
        );
        self.fates
            .insert(record.page_id.clone(), Fate::Disconnecting);
    }

    // ---- links --------------------------------------------------------

    fn plan_links(&mut self) {
        // Messenger sorts first, so messenger pages keep their order.
        let mut accounts: BTreeSet<(Channel, &'a str)> = BTreeSet::new();
        for link in self.desired_link_by_page.values() {
            if !self.handled_links.contains(&link.address) {
                accounts.insert((link.channel, link.page_id.as_str()));
            }
        }
        for link in self.recorded.links.values() {
            if self.in_scope(&link.address) && !self.handled_links.contains(&link.address) {
                accounts.insert((link.channel, link.page_id.as_str()));
            }
        }
        for (channel, id) in accounts {
            if channel.is_messenger() && self.fates.contains_key(id) {
                continue;
            }
            self.plan_account_links(channel, id);
        }
    }

    /// The applications linked to an account now. An account of another
    /// channel that an unrefreshed view does not know is taken to exist
    /// unlinked (refresh would have said otherwise).
    fn remote_applications(&self, channel: Channel, id: &str) -> Option<&'a [String]> {
        let actual: &'a Actual = self.actual;
        match actual.applications_of(channel, id) {
            None if !channel.is_messenger() && !actual.refreshed => Some(&[]),
            found => found,
        }
    }

    fn plan_account_links(&mut self, channel: Channel, page_id: &'a str) {
        let recorded_here: Vec<&'a LinkRecord> = self
            .links_on_account(channel, page_id)
            .into_iter()
            .filter(|l| self.in_scope(&l.address) && !self.handled_links.contains(&l.address))
            .collect();
        let Some(remote) = self.remote_applications(channel, page_id) else {
            // The page is gone and nothing reconnects it: so are its links.
            for link in recorded_here {
                if !self.desired_link_addresses.contains(&link.address) {
                    self.state_only
                        .push(StateOp::RemoveLink(link.address.clone()));
                }
            }
            return;
        };
        let wanted = self
            .desired_link_by_page
            .get(&(channel, page_id))
            .copied()
            .filter(|l| !self.handled_links.contains(&l.address));

        match wanted {
            Some(link) => self.plan_wanted_link(link, remote, &recorded_here),
            None => {
                for record in recorded_here {
                    self.plan_unwanted_link(record, remote);
                }
            }
        }
    }

    /// `remote`: the applications linked to the link's account now.
    fn plan_wanted_link(
        &mut self,
        link: &'a DesiredLink,
        remote: &'a [String],
        recorded_here: &[&'a LinkRecord],
    ) {
        let page_id = link.page_id.as_str();
        let others: Vec<&String> = remote.iter().filter(|a| **a != link.application).collect();
        let linked = remote.contains(&link.application);
        // Recorded links on this page under other addresses that no
        // configuration wants any more.
        let stale: Vec<&'a LinkRecord> = recorded_here
            .iter()
            .copied()
            .filter(|r| {
                r.address != link.address && !self.desired_link_addresses.contains(&r.address)
            })
            .collect();

        if others.is_empty() && linked {
            if self.recorded.links.get(&link.address) != Some(&link_record(link)) {
                self.state_only.push(StateOp::PutLink(link_record(link)));
                // The same link recorded under an address no configuration
                // declares any more: an address change, shown as one.
                let before = stale
                    .iter()
                    .find(|r| r.application == link.application && r.channel == link.channel);
                if let (None, Some(before)) = (self.recorded.links.get(&link.address), before) {
                    self.moved(
                        &link.address,
                        &before.address,
                        IMPLICIT_LINK_MOVE.to_string(),
                    );
                }
            }
            for record in stale {
                self.state_only
                    .push(StateOp::RemoveLink(record.address.clone()));
            }
            return;
        }

        for other in &others {
            let state_ops = recorded_here
                .iter()
                .filter(|r| &&r.application == other)
                .filter(|r| {
                    r.address == link.address || !self.desired_link_addresses.contains(&r.address)
                })
                .map(|r| StateOp::RemoveLink(r.address.clone()))
                .collect();
            self.intend(
                page_id,
                Intent {
                    stage: Stage::Unlink,
                    op: CallOp::Unlink {
                        page_id: page_id.to_string(),
                        application: (*other).clone(),
                        channel: link.channel,
                    },
                    addresses: vec![link.address.clone()],
                    state_ops,
                    after: vec![],
                },
            );
        }
        let previous = self.recorded.links.get(&link.address);
        if !linked {
            let mut state_ops = vec![StateOp::PutLink(link_record(link))];
            state_ops.extend(stale.iter().map(|r| StateOp::RemoveLink(r.address.clone())));
            // A link moving here from another account is unlinked there first.
            let after = previous
                .filter(|p| p.page_id != link.page_id || p.channel != link.channel)
                .map(|p| ((p.channel, p.page_id.clone()), Stage::Unlink))
                .into_iter()
                .collect();
            self.intend(
                page_id,
                Intent {
                    stage: Stage::Link,
                    op: CallOp::Link {
                        page_id: page_id.to_string(),
                        application: link.application.clone(),
                        channel: link.channel,
                    },
                    addresses: vec![link.address.clone()],
                    state_ops,
                    after,
                },
            );
        }
        if others.is_empty() {
            let reason = link_reason(previous, link);
            self.change(&link.address, Action::Link, reason, link_attrs(link));
        } else {
            let before = others
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",");
            let reason = match previous {
                Some(p)
                    if p.application != link.application && others.contains(&&p.application) =>
                {
                    "application changed in configuration".to_string()
                }
                _ => format!("linked to {before} outside socialform"),
            };
            self.change(
                &link.address,
                Action::Relink,
                reason,
                vec![AttrDiff {
                    name: "application",
                    before: Some(before),
                    after: Some(link.application.clone()),
                    sensitive: false,
                }],
            );
        }
    }

    /// `remote`: the applications linked to the record's account now.
    fn plan_unwanted_link(&mut self, record: &'a LinkRecord, remote: &'a [String]) {
        let moved_elsewhere = self.desired_link_addresses.contains(&record.address);
        let forget = self.forgotten(&record.address);
        if forget && !moved_elsewhere {
            self.change(
                &record.address,
                Action::Forget,
                "removed block with destroy = false",
                vec![],
            );
            self.state_only
                .push(StateOp::RemoveLink(record.address.clone()));
            return;
        }
        if !remote.contains(&record.application) {
            if !moved_elsewhere {
                self.state_only
                    .push(StateOp::RemoveLink(record.address.clone()));
            }
            return;
        }
        // A link moved to another page is unlinked here without a change
        // of its own: the link on its new page reports it. Its record is
        // rewritten by that link's call.
        if !moved_elsewhere {
            let reason = if self.options.mode == Mode::Destroy {
                "destroy"
            } else {
                "not in configuration"
            };
            self.change(
                &record.address,
                Action::Unlink,
                reason,
                unlink_attrs(record),
            );
        }
        self.intend(
            &record.page_id,
            Intent {
                stage: Stage::Unlink,
                op: CallOp::Unlink {
                    page_id: record.page_id.clone(),
                    application: record.application.clone(),
                    channel: record.channel,
                },
                addresses: vec![record.address.clone()],
                state_ops: if moved_elsewhere {
                    vec![]
                } else {
                    vec![StateOp::RemoveLink(record.address.clone())]
                },
                after: vec![],
            },
        );
    }

    // ---- other modes --------------------------------------------------

    fn plan_destroy(&mut self) {
        // Nothing is desired any more: links are "moved" nowhere.
        self.desired_link_addresses.clear();
        let pages = self.recorded_pages_in_scope();
        for record in pages {
            self.disconnect(record, "destroy");
        }
        let mut links = self.recorded_links_in_scope();
        links.retain(|l| !self.handled_links.contains(&l.address));
        for record in links {
            match self.remote_applications(record.channel, &record.page_id) {
                Some(remote) => self.plan_unwanted_link(record, remote),
                None => self
                    .state_only
                    .push(StateOp::RemoveLink(record.address.clone())),
            }
        }
    }

    /// `--refresh-only`: no calls; state learns what the remote side holds.
    fn plan_refresh_only(&mut self) {
        if !self.actual.refreshed {
            return;
        }
        let pages = self.recorded_pages_in_scope();
        for record in pages {
            match self.actual.pages.get(&record.page_id) {
                None => self
                    .state_only
                    .push(StateOp::RemovePage(record.address.clone())),
                Some(remote) => {
                    let current = PageRecord {
                        address: record.address.clone(),
                        page_id: record.page_id.clone(),
                        name: remote.name.clone(),
                        token_fingerprint: remote
                            .token_fingerprint
                            .clone()
                            .or_else(|| record.token_fingerprint.clone()),
                    };
                    if &current != record {
                        self.state_only.push(StateOp::PutPage(current));
                    }
                }
            }
        }
        let links = self.recorded_links_in_scope();
        for record in links {
            let apps = self.actual.applications_of(record.channel, &record.page_id);
            match apps {
                Some(apps) if apps.contains(&record.application) => {}
                Some(apps) if !apps.is_empty() => {
                    self.state_only.push(StateOp::PutLink(LinkRecord {
                        application: apps[0].clone(),
                        ..record.clone()
                    }))
                }
                _ => self
                    .state_only
                    .push(StateOp::RemoveLink(record.address.clone())),
            }
        }
    }

    // ---- emission -----------------------------------------------------

    fn finish(mut self) -> Result<Plan, PlanError> {
        if !self.problems.is_empty() {
            return Err(PlanError(self.problems));
        }
        self.warn_of_expiring_sends();
        let in_scope = |a: &Address| self.in_scope(a);
        let drift = drift::detect(self.recorded, self.actual, &in_scope);

        let mut calls: Vec<Call> = Vec::new();
        // Application creates come first: links to them wait for their ids.
        let creates = applications::emit_creates(&mut self.app_intents, &mut calls);
        let mut last_on_page: HashMap<AccountKey, usize> = HashMap::new();
        let mut by_stage: HashMap<(AccountKey, Stage), Vec<usize>> = HashMap::new();
        let mut intents = std::mem::take(&mut self.intents);
        // One stable sort by stage gives the same order as a pass per stage,
        // and lets each intent be moved into its call instead of cloned.
        intents.sort_by_key(|(_, i)| STAGES.iter().position(|s| *s == i.stage));
        for (page_id, intent) in intents {
            let stage = intent.stage;
            let mut depends_on: Vec<usize> =
                last_on_page.get(&page_id).copied().into_iter().collect();
            for dependency in &intent.after {
                depends_on.extend(by_stage.get(dependency).into_iter().flatten());
            }
            depends_on.sort_unstable();
            depends_on.dedup();
            let index = calls.len();
            let mut call = Call {
                method: method_of(&intent.op),
                path: path_of(&intent.op),
                op: intent.op,
                addresses: intent.addresses,
                depends_on,
                state_ops: intent.state_ops,
            };
            applications::wait_for_create(&mut call, &creates);
            calls.push(call);
            last_on_page.insert(page_id.clone(), index);
            by_stage.entry((page_id, stage)).or_default().push(index);
        }
        applications::emit_rest(
            &mut self.app_intents,
            &mut calls,
            self.recorded,
            self.actual,
        );

        let mut changes = self.changes;
        changes.sort_by(|a, b| a.address.cmp(&b.address).then(a.action.cmp(&b.action)));
        Ok(Plan {
            changes,
            drift,
            calls,
            state_only: self.state_only,
            warnings: self.warnings,
            limited_by: if !self.options.targets.is_empty() {
                Some(Limit::Target)
            } else if !self.options.excludes.is_empty() {
                Some(Limit::Exclude)
            } else {
                None
            },
        })
    }
}

fn method_of(op: &CallOp) -> Method {
    match op {
        CallOp::Connect { .. } | CallOp::Link { .. } | CallOp::CreateApplication { .. } => {
            Method::Post
        }
        CallOp::Update { .. } => Method::Patch,
        CallOp::UpdateApplication { .. } => Method::Put,
        CallOp::Disconnect { .. } | CallOp::Unlink { .. } | CallOp::DeleteApplication { .. } => {
            Method::Delete
        }
    }
}

/// The request path, exactly as the API (and the sandbox's request log) sees it.
pub(crate) fn path_of(op: &CallOp) -> String {
    match op {
        CallOp::Connect { .. } => format!("{ACCOUNTS_BASE}/messenger"),
        CallOp::Update { page_id, .. } | CallOp::Disconnect { page_id } => {
            format!("{ACCOUNTS_BASE}/messenger/{page_id}")
        }
        CallOp::Link {
            page_id, channel, ..
        } => format!("{ACCOUNTS_BASE}/{channel}/{page_id}/applications"),
        CallOp::Unlink {
            page_id,
            application,
            channel,
        } => {
            format!("{ACCOUNTS_BASE}/{channel}/{page_id}/applications/{application}")
        }
        CallOp::CreateApplication { .. } => crate::remote::APPLICATIONS_BASE.to_string(),
        CallOp::UpdateApplication { id, .. } | CallOp::DeleteApplication { id } => {
            format!("{}/{id}", crate::remote::APPLICATIONS_BASE)
        }
    }
}

/// Why a page moved without a `moved` block (its old address is shown
/// beside it as `previous_address`).
pub(crate) const IMPLICIT_PAGE_MOVE: &str =
    "the same page_id is declared at a new address, with no moved block";
/// Why a link moved without a `moved` block.
pub(crate) const IMPLICIT_LINK_MOVE: &str =
    "the same page and application are declared at a new address, with no moved block";

fn link_record(link: &DesiredLink) -> LinkRecord {
    LinkRecord {
        address: link.address.clone(),
        page_id: link.page_id.clone(),
        application: link.application.clone(),
        channel: link.channel,
    }
}

fn link_reason(previous: Option<&LinkRecord>, link: &DesiredLink) -> String {
    match previous {
        None => "not in state".into(),
        Some(p) if p.page_id == link.page_id && p.channel == link.channel => {
            "unlinked outside socialform".into()
        }
        Some(p) => format!("moved from {} {}", p.channel.account_noun(), p.page_id),
    }
}

/// How an account of `channel` comes to be in a Vonage account.
fn onboarding_help(channel: Channel) -> &'static str {
    match channel {
        Channel::Whatsapp => {
            "onboard the number first (WhatsApp Embedded Signup in the Vonage dashboard), or fix `account` in the link block"
        }
        _ => {
            "Vonage onboards Viber service accounts and RCS agents; ask Vonage to add it, or fix `account` in the link block"
        }
    }
}

fn connect_attrs(page: &DesiredPage) -> Vec<AttrDiff> {
    let mut attrs = vec![AttrDiff {
        name: "page_id",
        before: None,
        after: Some(page.page_id.clone()),
        sensitive: false,
    }];
    if let Some(name) = &page.name {
        attrs.push(AttrDiff {
            name: "name",
            before: None,
            after: Some(name.clone()),
            sensitive: false,
        });
    }
    attrs.push(AttrDiff {
        name: "access_token",
        before: None,
        after: Some(SENSITIVE.into()),
        sensitive: true,
    });
    attrs
}

/// A link's attributes, created (`adding`) or removed: `page` and
/// `application` on messenger; `channel`, `account` and `application` on
/// other channels.
fn account_attrs(
    channel: Channel,
    account: &str,
    application: &str,
    adding: bool,
) -> Vec<AttrDiff> {
    let attr = |name: &'static str, value: &str| AttrDiff {
        name,
        before: (!adding).then(|| value.to_string()),
        after: adding.then(|| value.to_string()),
        sensitive: false,
    };
    if channel.is_messenger() {
        vec![attr("page", account), attr("application", application)]
    } else {
        vec![
            attr("channel", channel.as_str()),
            attr("account", account),
            attr("application", application),
        ]
    }
}

fn link_attrs(link: &DesiredLink) -> Vec<AttrDiff> {
    account_attrs(link.channel, &link.page_id, &link.application, true)
}

fn unlink_attrs(link: &LinkRecord) -> Vec<AttrDiff> {
    account_attrs(link.channel, &link.page_id, &link.application, false)
}
