//! `moved` blocks: state records renamed before anything else is planned,
//! with no API call. The rest of the planner sees the state as it will be
//! once the moves are recorded.

use super::model::{Action, Change};
use crate::address::Address;
use crate::desired::Desired;
use crate::state::{Recorded, StateOp};
use std::collections::BTreeMap;

/// What the moved blocks do to state.
#[derive(Default)]
pub(super) struct Moves {
    /// `None` when no block moves anything: the planner reads the state as loaded.
    pub(crate) recorded: Option<Recorded>,
    pub(crate) changes: Vec<Change>,
    pub(crate) state_ops: Vec<StateOp>,
}

/// Where `record` goes under a moved block from `from` to `to`, if the block
/// covers it. Keyless on both sides moves every instance of the block,
/// keeping keys; otherwise the block moves the one record at `from`.
fn destination(from: &Address, to: &Address, record: &Address) -> Option<Address> {
    if from.key.is_none() && to.key.is_none() {
        from.contains(record).then(|| Address {
            kind: to.kind,
            name: to.name.clone(),
            key: record.key.clone(),
        })
    } else {
        (from == record).then(|| to.clone())
    }
}

/// Renames `from`'s records in `records` (every one whose destination is
/// free), returning (from, to) pairs in address order.
fn rename<R: Clone>(
    records: &mut BTreeMap<Address, R>,
    from: &Address,
    to: &Address,
    set_address: impl Fn(&mut R, Address),
) -> Vec<(Address, Address, R)> {
    let pairs: Vec<(Address, Address)> = records
        .keys()
        .filter_map(|a| destination(from, to, a).map(|d| (a.clone(), d)))
        // Terraform leaves a move alone when its destination is taken.
        .filter(|(_, d)| !records.contains_key(d))
        .collect();
    let mut moved = Vec::with_capacity(pairs.len());
    for (old, new) in pairs {
        if let Some(mut record) = records.remove(&old) {
            set_address(&mut record, new.clone());
            records.insert(new.clone(), record.clone());
            moved.push((old, new, record));
        }
    }
    moved
}

/// Applies `desired.moved`, in declaration order, to a copy of `recorded`.
/// A block whose `from` is not in state (already moved, or never there)
/// does nothing, so it is safe to keep in the configuration.
pub(super) fn plan_moves(desired: &Desired, recorded: &Recorded) -> Moves {
    let mut moves = Moves::default();
    if desired.moved.is_empty() {
        return moves;
    }
    let mut state = recorded.clone();
    for block in &desired.moved {
        let pages = rename(&mut state.pages, &block.from, &block.to, |r, a| {
            r.address = a
        });
        for (old, new, record) in pages {
            moves.state_ops.push(StateOp::RemovePage(old.clone()));
            moves.state_ops.push(StateOp::PutPage(record));
            moves.changes.push(moved_change(old, new));
        }
        let links = rename(&mut state.links, &block.from, &block.to, |r, a| {
            r.address = a
        });
        for (old, new, record) in links {
            moves.state_ops.push(StateOp::RemoveLink(old.clone()));
            moves.state_ops.push(StateOp::PutLink(record));
            moves.changes.push(moved_change(old, new));
        }
        let applications = rename(&mut state.applications, &block.from, &block.to, |r, a| {
            r.address = a
        });
        for (old, new, record) in applications {
            moves
                .state_ops
                .push(StateOp::RemoveApplication(old.clone()));
            moves.state_ops.push(StateOp::PutApplication(record));
            moves.changes.push(moved_change(old, new));
        }
    }
    if !moves.changes.is_empty() {
        moves.recorded = Some(state);
    }
    moves
}

fn moved_change(old: Address, new: Address) -> Change {
    Change {
        address: new,
        action: Action::Move,
        reason: format!("moved from {old} by a moved block"),
        attributes: Vec::new(),
        previous_address: Some(old),
    }
}
