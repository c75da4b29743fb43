//! `state rm` and `state mv`: edit state only, never calling the API (`rm`
//! forgets, it never disconnects); and finding what `state show` names.

use super::Reporter;
use super::history::{self, Outcome, Started};
use crate::address::{Address, ResourceKind};
use crate::session::{Backend, OpenedState};
use crate::state::{
    ApplicationRecord, LinkRecord, LockRequest, PageRecord, Recorded, StateBackend, StateDocument,
    StateOp,
};
use anyhow::{Context, bail};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn parse(text: &str) -> anyhow::Result<Address> {
    text.parse::<Address>().map_err(anyhow::Error::from)
}

/// The state for a command that writes, refusing to create one just to
/// find it empty.
fn open_for_write(
    backend: &Backend,
    command: &str,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<OpenedState> {
    let lock = LockRequest::waiting(command, lock_timeout, reporter);
    let Some(opened) = backend.open_existing(&lock)? else {
        bail!(
            "there is no state ({}): nothing to {}",
            backend.describe(),
            if command == "state mv" {
                "move"
            } else {
                "remove"
            }
        );
    };
    Ok(opened)
}

/// Every address in state, sorted (pages, links and applications
/// together, by text).
pub(crate) fn addresses(recorded: &Recorded) -> Vec<String> {
    let mut all: Vec<String> = recorded_addresses(recorded)
        .map(Address::to_string)
        .collect();
    all.sort();
    all
}

fn recorded_addresses(recorded: &Recorded) -> impl Iterator<Item = &Address> {
    recorded
        .pages
        .keys()
        .chain(recorded.links.keys())
        .chain(recorded.applications.keys())
}

/// What `state show ADDR` names.
pub(crate) enum Found<'a> {
    Page(&'a PageRecord),
    /// A link, and the address of its page when state has that page.
    Link(&'a LinkRecord, Option<&'a Address>),
    Application(&'a ApplicationRecord),
}

/// The record at `address`; an error naming the instances when it is a
/// block with several, or saying it is not in state.
pub(crate) fn find<'a>(recorded: &'a Recorded, address: &Address) -> anyhow::Result<Found<'a>> {
    if let Some(page) = recorded.pages.get(address) {
        return Ok(Found::Page(page));
    }
    if let Some(link) = recorded.links.get(address) {
        let page = recorded
            .pages
            .values()
            .find(|p| p.page_id == link.page_id)
            .map(|p| &p.address);
        return Ok(Found::Link(link, page));
    }
    if let Some(app) = recorded.applications.get(address) {
        return Ok(Found::Application(app));
    }
    let instances: Vec<String> = recorded_addresses(recorded)
        .filter(|a| address.contains(a))
        .map(Address::to_string)
        .collect();
    if instances.is_empty() {
        bail!("{address} is not in state; `socialform state list` shows what is");
    }
    bail!(
        "{address} has several instances in state; show one of them: {}",
        instances.join(", ")
    );
}

/// The ops that remove exactly what `targets` name (a keyless block address
/// names all its instances). Fails, naming them, when some target matches
/// nothing: then nothing is removed.
fn rm_ops(recorded: &Recorded, targets: &[Address]) -> anyhow::Result<Vec<StateOp>> {
    let unmatched: Vec<String> = targets
        .iter()
        .filter(|t| !recorded_addresses(recorded).any(|a| t.contains(a)))
        .map(Address::to_string)
        .collect();
    if !unmatched.is_empty() {
        bail!(
            "not in state: {}; nothing was removed (`socialform state list` shows what is)",
            unmatched.join(", ")
        );
    }
    let mut ops = Vec::new();
    for address in recorded.pages.keys() {
        if targets.iter().any(|t| t.contains(address)) {
            ops.push(StateOp::RemovePage(address.clone()));
        }
    }
    for address in recorded.links.keys() {
        if targets.iter().any(|t| t.contains(address)) {
            ops.push(StateOp::RemoveLink(address.clone()));
        }
    }
    for address in recorded.applications.keys() {
        if targets.iter().any(|t| t.contains(address)) {
            ops.push(StateOp::RemoveApplication(address.clone()));
        }
    }
    Ok(ops)
}

pub(crate) fn op_address(op: &StateOp) -> &Address {
    op.address()
}

/// Forgets what `addresses` name; returns the ops written (one removal
/// each). Nothing is removed when one of them matches nothing.
pub(crate) fn rm(
    backend: &Backend,
    addresses: &[String],
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Vec<StateOp>> {
    let targets = addresses
        .iter()
        .map(|a| parse(a))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started = Started::now();
    let opened = open_for_write(backend, "state rm", lock_timeout, reporter.clone())?;
    let ops = rm_ops(&opened.recorded, &targets)?;
    opened
        .store
        .record(&ops)
        .context("could not write the state")?;
    let changes = ops
        .iter()
        .map(|op| format!("{}: rm", op_address(op)))
        .collect();
    let _ = history::append(
        opened.store.as_ref(),
        "state rm",
        started,
        changes,
        Outcome::Complete,
        reporter.as_ref(),
    );
    Ok(ops)
}

/// Renames: `(from, to)` for every record that moves, checked.
fn mv_pairs(
    recorded: &Recorded,
    source: &Address,
    destination: &Address,
) -> anyhow::Result<Vec<(Address, Address)>> {
    if source.kind != destination.kind {
        bail!(
            "cannot move {source} to {destination}: a {} can only move to another {} address",
            source.kind.as_str(),
            source.kind.as_str()
        );
    }
    if source == destination {
        bail!("{source} and {destination} are the same address");
    }
    let exists = |a: &Address| recorded_addresses(recorded).any(|r| r == a);
    let pairs: Vec<(Address, Address)> = if exists(source) {
        vec![(source.clone(), destination.clone())]
    } else {
        let instances: Vec<&Address> = recorded_addresses(recorded)
            .filter(|a| source.contains(a))
            .collect();
        if instances.is_empty() {
            bail!("{source} is not in state; `socialform state list` shows what is");
        }
        if destination.key.is_some() {
            bail!(
                "{source} names {} instance(s); move them to a block address without a key \
                 (e.g. {}.NEW_NAME), or move one instance at a time",
                instances.len(),
                source.kind.as_str()
            );
        }
        instances
            .into_iter()
            .map(|a| {
                let mut to = destination.clone();
                to.key = a.key.clone();
                (a.clone(), to)
            })
            .collect()
    };
    let taken: Vec<String> = pairs
        .iter()
        .filter(|(_, to)| exists(to))
        .map(|(_, to)| to.to_string())
        .collect();
    if !taken.is_empty() {
        bail!(
            "{} already in state; remove it first with `socialform state rm` or choose another address",
            taken.join(", ")
        );
    }
    Ok(pairs)
}

fn mv_ops(recorded: &Recorded, pairs: &[(Address, Address)]) -> Vec<StateOp> {
    let mut ops = Vec::new();
    for (from, to) in pairs {
        match from.kind {
            ResourceKind::Page => {
                if let Some(page) = recorded.pages.get(from) {
                    ops.push(StateOp::RemovePage(from.clone()));
                    ops.push(StateOp::PutPage(PageRecord {
                        address: to.clone(),
                        ..page.clone()
                    }));
                }
            }
            ResourceKind::Link => {
                if let Some(link) = recorded.links.get(from) {
                    ops.push(StateOp::RemoveLink(from.clone()));
                    ops.push(StateOp::PutLink(LinkRecord {
                        address: to.clone(),
                        ..link.clone()
                    }));
                }
            }
            ResourceKind::Application => {
                if let Some(app) = recorded.applications.get(from) {
                    ops.push(StateOp::RemoveApplication(from.clone()));
                    ops.push(StateOp::PutApplication(crate::state::ApplicationRecord {
                        address: to.clone(),
                        ..app.clone()
                    }));
                }
            }
        }
    }
    ops
}

/// Renames `source` (one record, or every instance of a block) to
/// `destination`; returns the `(from, to)` pairs moved.
pub(crate) fn mv(
    backend: &Backend,
    source: &str,
    destination: &str,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Vec<(Address, Address)>> {
    let source = parse(source)?;
    let destination = parse(destination)?;
    let started = Started::now();
    let opened = open_for_write(backend, "state mv", lock_timeout, reporter.clone())?;
    let pairs = mv_pairs(&opened.recorded, &source, &destination)?;
    let ops = mv_ops(&opened.recorded, &pairs);
    opened
        .store
        .record(&ops)
        .context("could not write the state")?;
    let changes = pairs
        .iter()
        .map(|(from, to)| format!("{from}: moved to {to}"))
        .collect();
    let _ = history::append(
        opened.store.as_ref(),
        "state mv",
        started,
        changes,
        Outcome::Complete,
        reporter.as_ref(),
    );
    Ok(pairs)
}

/// What `state push` wrote.
pub(crate) struct Pushed {
    pub(crate) serial: u64,
    pub(crate) pages: usize,
    pub(crate) links: usize,
}

/// Writes a state document (`state pull`'s, or an apply's
/// `errored.sfstate.json`) into the configured state, creating it if need
/// be; see `StateDocument::import_ops` for what is refused without `force`.
pub(crate) fn push(
    backend: &Backend,
    file: &Path,
    force: bool,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Pushed> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("could not read the state document {}", file.display()))?;
    let document: StateDocument = serde_json::from_str(&text).map_err(|error| {
        anyhow::anyhow!(
            "{} is not a state document ({error}); make one with `socialform state pull > FILE`",
            file.display()
        )
    })?;
    let started = Started::now();
    let lock = LockRequest::waiting("state push", lock_timeout, reporter.clone());
    let store = backend.state.open(&lock)?;
    let serial = store.import(&document, force).with_context(|| {
        format!(
            "{} was not written into {}",
            file.display(),
            backend.describe()
        )
    })?;
    // What the apply that wrote this document could not add to the history
    // goes in first, in its own order: it happened before this push.
    for entry in &document.history {
        let _ = history::append_entry(store.as_ref(), entry.clone(), reporter.as_ref());
    }
    let _ = history::append(
        store.as_ref(),
        "state push",
        started,
        vec![format!(
            "pushed {} ({} page(s), {} link(s))",
            file.display(),
            document.pages.len(),
            document.links.len()
        )],
        Outcome::Complete,
        reporter.as_ref(),
    );
    Ok(Pushed {
        serial,
        pages: document.pages.len(),
        links: document.links.len(),
    })
}

/// What `state migrate` moved.
pub(crate) struct Migrated {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) pages: usize,
    pub(crate) links: usize,
}

/// Moves the local store into the configured backend whole (lineage,
/// serial, fingerprints, history). The local store is left as it was:
/// removing it is the operator's call, once the new state is checked.
pub(crate) fn migrate(
    backend: &Backend,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
) -> anyhow::Result<Migrated> {
    if backend.is_local() {
        bail!(
            "no backend is configured: add a `backend \"postgres\"` block to the configuration, \
             then run `socialform state migrate` to move {} into it",
            backend.describe()
        );
    }
    let local = backend.local_store();
    let lock = LockRequest::waiting("state migrate", lock_timeout, reporter.clone());
    let Some(source) = local.open_existing(&lock)? else {
        bail!("there is no local state to migrate ({})", local.describe());
    };
    let transfer = source.transfer()?;
    backend.state.adopt(&lock, &transfer)?;
    Ok(Migrated {
        from: local.describe(),
        to: backend.describe(),
        pages: transfer.recorded.pages.len(),
        links: transfer.recorded.links.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Recorded {
        let mut recorded = Recorded::default();
        for (address, id) in [
            (Address::page("support"), "1"),
            (Address::page("region").with_key("emea"), "2"),
            (Address::page("region").with_key("apac"), "3"),
        ] {
            recorded.pages.insert(
                address.clone(),
                PageRecord {
                    address,
                    page_id: id.into(),
                    name: None,
                    token_fingerprint: Some("ab".into()),
                },
            );
        }
        recorded.links.insert(
            Address::link("bot"),
            LinkRecord {
                address: Address::link("bot"),
                page_id: "1".into(),
                application: "app".into(),
                channel: Default::default(),
            },
        );
        recorded
    }

    #[test]
    fn rm_removes_exactly_what_is_named() {
        let ops = rm_ops(&state(), &[Address::page("support")]).unwrap();
        assert_eq!(ops, vec![StateOp::RemovePage(Address::page("support"))]);
        let ops = rm_ops(&state(), &[Address::page("region")]).unwrap();
        assert_eq!(ops.len(), 2);
    }

    #[test]
    fn rm_with_an_unknown_address_removes_nothing() {
        let error = rm_ops(&state(), &[Address::page("support"), Address::page("nope")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("page.nope"), "{error}");
        assert!(!error.contains("page.support"), "{error}");
    }

    #[test]
    fn mv_moves_blocks_instance_by_instance() {
        let pairs = mv_pairs(&state(), &Address::page("region"), &Address::page("zone")).unwrap();
        assert_eq!(
            pairs,
            vec![
                (
                    Address::page("region").with_key("apac"),
                    Address::page("zone").with_key("apac")
                ),
                (
                    Address::page("region").with_key("emea"),
                    Address::page("zone").with_key("emea")
                ),
            ]
        );
        let ops = mv_ops(&state(), &pairs);
        assert_eq!(ops.len(), 4);
    }

    #[test]
    fn mv_refuses_kind_changes_taken_and_unknown_addresses() {
        let s = state();
        for (from, to, expect) in [
            (Address::page("support"), Address::link("x"), "only move"),
            (
                Address::page("support"),
                Address::page("region").with_key("emea"),
                "already in state",
            ),
            (Address::page("nope"), Address::page("x"), "not in state"),
            (
                Address::page("region"),
                Address::page("x").with_key("k"),
                "without a key",
            ),
            (Address::page("support"), Address::page("support"), "same"),
        ] {
            let error = mv_pairs(&s, &from, &to).unwrap_err().to_string();
            assert!(error.contains(expect), "{from} → {to}: {error}");
        }
    }

    #[test]
    fn pull_has_no_fingerprints() {
        let document =
            serde_json::to_string(&crate::state::StateDocument::from_recorded(&state())).unwrap();
        assert!(!document.contains("fingerprint"), "{document}");
        assert!(document.contains("page.region[\\\"emea\\\"]"), "{document}");
    }
}
