//! `socialform state list / show / rm / mv / pull`: read and edit state
//! only. None of these calls the API; `rm` forgets, it never disconnects.

use super::EXIT_OK;
use super::args::{GlobalArgs, StateCommand, StateMvArgs, StateRmArgs};
use crate::address::{Address, ResourceKind};
use crate::render::Style;
use crate::state::{
    HistoryEntry, LinkRecord, PageRecord, Recorded, SledStore, StateLock, StateOp, StateStore,
    now_rfc3339,
};
use crate::workspace::Workspace;
use anyhow::{Context, bail};
use std::time::Duration;

const NO_STATE: &str = "No state: nothing is managed yet.";

pub fn run(global: &GlobalArgs, command: StateCommand, style: Style) -> anyhow::Result<u8> {
    let workspace = Workspace::new(global.chdir.clone(), global.state.clone());
    match command {
        StateCommand::List => {
            // No state lists nothing: scripts iterate over the lines.
            if let Some(recorded) = read(&workspace, "state list")? {
                for address in addresses(&recorded) {
                    println!("{address}");
                }
            }
        }
        StateCommand::Show(args) => {
            let address = parse(&args.address)?;
            let Some(recorded) = read(&workspace, "state show")? else {
                println!("{NO_STATE}");
                return Ok(EXIT_OK);
            };
            print!("{}", show(&recorded, &address, &style)?);
        }
        StateCommand::Pull => {
            let Some(recorded) = read(&workspace, "state pull")? else {
                // stdout stays empty so that `state pull > file` keeps no
                // half document; the explanation goes to stderr.
                eprintln!("{NO_STATE}");
                return Ok(EXIT_OK);
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::render::state_document(&recorded))?
            );
        }
        StateCommand::Rm(args) => rm(&workspace, args)?,
        StateCommand::Mv(args) => mv(&workspace, args)?,
    }
    Ok(EXIT_OK)
}

fn parse(text: &str) -> anyhow::Result<Address> {
    text.parse::<Address>().map_err(anyhow::Error::from)
}

/// The recorded state, or `None` when this directory has none. Takes the
/// lock without waiting, as `show` does: the store cannot be opened while a
/// running apply holds it anyway, and the lock error names that apply.
fn read(workspace: &Workspace, command: &str) -> anyhow::Result<Option<Recorded>> {
    if !workspace.state_dir.join("db").is_dir() {
        return Ok(None);
    }
    let _lock = StateLock::acquire(&workspace.state_dir, command, Duration::ZERO)?;
    match SledStore::open_existing(&workspace.state_dir)? {
        Some(store) => Ok(Some(store.load()?)),
        None => Ok(None),
    }
}

/// The lock and store for a command that writes, refusing to create a
/// store just to find it empty.
fn open_for_write(
    workspace: &Workspace,
    command: &str,
    lock_timeout: Duration,
) -> anyhow::Result<(StateLock, SledStore, Recorded)> {
    if !workspace.state_dir.join("db").is_dir() {
        bail!(
            "there is no state in {}: nothing to {}",
            workspace.state_dir.display(),
            if command == "state mv" {
                "move"
            } else {
                "remove"
            }
        );
    }
    let (lock, store) = workspace.open_state(command, lock_timeout)?;
    let recorded = store.load()?;
    Ok((lock, store, recorded))
}

/// Every address in state, sorted (pages and links together, by text).
fn addresses(recorded: &Recorded) -> Vec<String> {
    let mut all: Vec<String> = recorded
        .pages
        .keys()
        .chain(recorded.links.keys())
        .map(Address::to_string)
        .collect();
    all.sort();
    all
}

fn recorded_addresses(recorded: &Recorded) -> impl Iterator<Item = &Address> {
    recorded.pages.keys().chain(recorded.links.keys())
}

fn show(recorded: &Recorded, address: &Address, style: &Style) -> anyhow::Result<String> {
    let heading = style.bold(&format!("# {address}:"));
    if let Some(page) = recorded.pages.get(address) {
        return Ok(format!("{heading}\n{}", page_text(page)));
    }
    if let Some(link) = recorded.links.get(address) {
        let page = recorded
            .pages
            .values()
            .find(|p| p.page_id == link.page_id)
            .map(|p| format!("  # {}", p.address))
            .unwrap_or_default();
        return Ok(format!(
            "{heading}\nlink {} {{\n  page        = {:?}{page}\n  application = {:?}\n}}\n",
            quoted(&address.name),
            link.page_id,
            link.application
        ));
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

fn page_text(page: &PageRecord) -> String {
    let mut text = format!("page {} {{\n", quoted(&page.address.name));
    if let Some(key) = &page.address.key {
        text.push_str(&format!("  # instance key: {}\n", quoted(key)));
    }
    text.push_str(&format!("  page_id      = {}\n", quoted(&page.page_id)));
    if let Some(name) = &page.name {
        text.push_str(&format!("  name         = {}\n", quoted(name)));
    }
    text.push_str("  access_token = (sensitive value)\n}\n");
    text
}

fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
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
    Ok(ops)
}

fn op_address(op: &StateOp) -> &Address {
    match op {
        StateOp::RemovePage(a) | StateOp::RemoveLink(a) => a,
        StateOp::PutPage(p) => &p.address,
        StateOp::PutLink(l) => &l.address,
    }
}

fn rm(workspace: &Workspace, args: StateRmArgs) -> anyhow::Result<()> {
    let targets = args
        .addresses
        .iter()
        .map(|a| parse(a))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let started_at = now_rfc3339();
    let (_lock, store, recorded) = open_for_write(workspace, "state rm", args.lock_timeout)?;
    let ops = rm_ops(&recorded, &targets)?;
    store.record(&ops).context("could not write the state")?;
    for op in &ops {
        println!("Removed {}", op_address(op));
    }
    println!(
        "Successfully removed {} resource instance(s). The remote side was not changed.",
        ops.len()
    );
    history(&store, "state rm", started_at, &ops, "rm");
    Ok(())
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
        }
    }
    ops
}

fn mv(workspace: &Workspace, args: StateMvArgs) -> anyhow::Result<()> {
    let source = parse(&args.source)?;
    let destination = parse(&args.destination)?;
    let started_at = now_rfc3339();
    let (_lock, store, recorded) = open_for_write(workspace, "state mv", args.lock_timeout)?;
    let pairs = mv_pairs(&recorded, &source, &destination)?;
    let ops = mv_ops(&recorded, &pairs);
    store.record(&ops).context("could not write the state")?;
    for (from, to) in &pairs {
        println!("Moved {from} to {to}");
    }
    println!("Successfully moved {} object(s).", pairs.len());
    let changes = pairs
        .iter()
        .map(|(from, to)| format!("{from}: moved to {to}"))
        .collect();
    let entry = HistoryEntry::ending_now("state mv", started_at, changes, "complete");
    append_history(&store, &entry);
    Ok(())
}

fn history(store: &SledStore, command: &str, started_at: String, ops: &[StateOp], verb: &str) {
    let changes = ops
        .iter()
        .map(|op| format!("{}: {verb}", op_address(op)))
        .collect();
    let entry = HistoryEntry::ending_now(command, started_at, changes, "complete");
    append_history(store, &entry);
}

/// The state itself is written; a history that could not be is worth a
/// warning, not a failure.
fn append_history(store: &SledStore, entry: &HistoryEntry) {
    if let Err(error) = store.append_history(entry) {
        eprintln!("warning: the state history could not be written: {error:#}");
    }
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
        let document = crate::render::state_document(&state()).to_string();
        assert!(!document.contains("fingerprint"), "{document}");
        assert!(document.contains("page.region[\\\"emea\\\"]"), "{document}");
    }
}
