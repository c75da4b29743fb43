//! The machine-readable documents of the contract (`format_version` 1.0;
//! the plan and apply documents are 1.1, which added `resource_changes`).

use crate::address::{Address, InstanceKey};
use crate::apply::{ApplyResult, CallOutcome};
use crate::plan::resource_changes::{ResourceChange, TfAction};
use crate::plan::{Action, AttrDiff, Change, Plan};
use serde_json::{Map, Value, json};

/// The plan and apply documents' version: 1.1 added `resource_changes`
/// (a backward-compatible addition, a minor version as Terraform counts).
pub(crate) const PLAN_FORMAT_VERSION: &str = "1.1";

/// `plan --json`: socialform's changes and calls, and the same plan in
/// Terraform's `resource_changes` layout (`resources`, see
/// `plan::resource_changes`).
pub(crate) fn plan_document(plan: &Plan, resources: &[ResourceChange]) -> Value {
    let changes: Vec<Value> = plan.changes.iter().map(change_document).collect();
    let calls: Vec<Value> = plan
        .calls
        .iter()
        .map(|c| json!({"method": c.method, "path": c.path, "addresses": c.addresses}))
        .collect();
    let mut document = json!({
        "format_version": PLAN_FORMAT_VERSION,
        "changes": changes,
        "drift": plan.drift,
        "calls": calls,
        "summary": plan.summary(),
        "resource_changes": resources.iter().map(terraform_resource_change).collect::<Vec<_>>(),
    });
    // Only when there are any: a plan without warnings has no such key.
    if !plan.all_warnings().is_empty() {
        document["warnings"] = json!(plan.all_warnings());
    }
    document
}

/// One change: what happens and why, with the attributes it touches before
/// and after (`null` for a resource that does not exist on that side).
/// Tokens never appear: a token that changes is only named in `sensitive`.
fn change_document(change: &Change) -> Value {
    let side = |pick: fn(&AttrDiff) -> &Option<String>| -> Map<String, Value> {
        change
            .attributes
            .iter()
            .filter(|a| !a.sensitive)
            .filter_map(|a| pick(a).as_ref().map(|v| (a.name.to_string(), json!(v))))
            .collect()
    };
    let (creates, deletes) = match change.action {
        Action::Connect | Action::Link => (true, false),
        // A forgotten page stays connected, but leaves state.
        Action::Disconnect | Action::Unlink | Action::Forget => (false, true),
        _ => (false, false),
    };
    let sensitive: Vec<&str> = change
        .attributes
        .iter()
        .filter(|a| a.sensitive)
        .map(|a| a.name)
        .collect();
    let mut document = json!({
        "address": change.address,
        "action": change.action,
        "reason": change.reason,
        "before": if creates { Value::Null } else { Value::Object(side(|a| &a.before)) },
        "after": if deletes { Value::Null } else { Value::Object(side(|a| &a.after)) },
        "sensitive": sensitive,
    });
    // Only on moves, as in Terraform's JSON plan.
    if let Some(previous) = &change.previous_address {
        document["previous_address"] = json!(previous);
    }
    document
}

/// One entry of Terraform's `resource_changes`. Tokens are never in
/// `before` or `after`; `*_sensitive` marks where one is.
fn terraform_resource_change(resource: &ResourceChange) -> Value {
    let Address { kind, name, key } = &resource.address;
    let actions: Vec<&str> = resource
        .actions
        .iter()
        .map(|a| match a {
            TfAction::Create => "create",
            TfAction::Update => "update",
            TfAction::Delete => "delete",
            TfAction::NoOp => "no-op",
            TfAction::Forget => "forget",
        })
        .collect();
    let object_or_null =
        |o: &Option<Map<String, Value>>| o.clone().map_or(Value::Null, Value::Object);
    // Terraform writes `false` for a side that does not exist, and an
    // object of the sensitive attributes otherwise.
    let sensitive = |exists: bool, token: bool| match (exists, token) {
        (false, _) => json!(false),
        (true, true) => json!({"access_token": true}),
        (true, false) => json!({}),
    };
    let mut change = json!({
        "actions": actions,
        "before": object_or_null(&resource.before),
        "after": object_or_null(&resource.after),
        "after_unknown": if resource.token_after_unknown {
            json!({"access_token": true})
        } else {
            json!({})
        },
        "before_sensitive": sensitive(resource.before.is_some(), resource.token_before),
        "after_sensitive": sensitive(resource.after.is_some(), resource.token_after),
    });
    if let Some(id) = &resource.importing {
        change["importing"] = json!({"id": id});
    }
    let mut entry = json!({
        "address": resource.address,
        "mode": "managed",
        "type": kind.as_str(),
        "name": name,
        "provider_name": "vonage",
        "change": change,
        "socialform_actions": resource.socialform_actions,
    });
    match key {
        Some(InstanceKey::Index(i)) => entry["index"] = json!(i),
        Some(InstanceKey::Name(n)) => entry["index"] = json!(n),
        None => {}
    }
    if let Some(previous) = &resource.previous_address {
        entry["previous_address"] = json!(previous);
    }
    entry
}

/// The plan document plus what happened to each call.
pub(crate) fn apply_document(
    plan: &Plan,
    resources: &[ResourceChange],
    result: &ApplyResult,
) -> Value {
    let mut document = plan_document(plan, resources);
    let outcomes: Vec<Value> = plan
        .calls
        .iter()
        .zip(&result.outcomes)
        .map(|(call, outcome)| {
            let (status, error) = match outcome {
                CallOutcome::Done => ("done", None),
                CallOutcome::Failed(message) => ("failed", Some(message.clone())),
                CallOutcome::NotAttempted => ("not_attempted", None),
                CallOutcome::Unrecorded(message) => ("unrecorded", Some(message.clone())),
            };
            json!({"method": call.method, "path": call.path, "addresses": call.addresses,
                   "status": status, "error": error})
        })
        .collect();
    document["result"] = json!({
        "complete": result.is_complete() && !result.interrupted,
        "interrupted": result.interrupted,
        "succeeded": result.succeeded(),
        "failed": result.failed(),
        "not_attempted": result.not_attempted(),
        "unrecorded": result.unrecorded(),
        "calls": outcomes,
    });
    document
}

/// The contract's `drift --json` document.
pub(crate) fn drift_document(report: &crate::plan::DriftReport) -> Value {
    json!({
        "format_version": "1.0",
        "drifted": report.drifted,
        "unmanaged": report.unmanaged,
        "tokens_not_compared": report.tokens_not_compared,
        "summary": {
            "managed": report.managed,
            "drifted": report.drifted.len(),
            "unmanaged": report.unmanaged.len(),
        },
    })
}

/// `validate --json`: whether the configuration is valid, and why not.
pub(crate) fn validate_document(
    result: &Result<crate::desired::Desired, crate::config::Diagnostics>,
) -> Value {
    match result {
        Ok(desired) => json!({
            "format_version": "1.0",
            "valid": true,
            "error_count": 0,
            "pages": desired.pages.len(),
            "links": desired.links.len(),
            "diagnostics": [],
        }),
        Err(diagnostics) => {
            let failure = super::failure::configuration_failure(diagnostics);
            let items: Vec<Value> = failure
                .diagnostics
                .iter()
                .zip(diagnostics.iter())
                .map(|(diag, original)| {
                    let mut item = super::failure::diagnostic_json(diag);
                    // Kept from before the error document had `detail`.
                    item["help"] = json!(original.help);
                    item
                })
                .collect();
            json!({
                "format_version": "1.0",
                "valid": false,
                "error": failure.error,
                "error_kind": failure.kind,
                "error_count": items.len(),
                "diagnostics": items,
            })
        }
    }
}

/// The whole state without secrets (`show --json`, `state pull`): see
/// `StateDocument`. Through `Value`, so keys come out sorted as always.
pub(crate) fn state_document(document: &crate::state::StateDocument) -> Value {
    serde_json::to_value(document).unwrap_or(Value::Null)
}
