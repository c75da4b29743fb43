//! The machine-readable documents of the contract (`format_version` 1.0;
//! the plan and apply documents are 1.1, which added `resource_changes`).

use crate::address::{Address, InstanceKey};
use crate::apply::{ApplyResult, CallOutcome};
use crate::plan::resource_changes::{Object, ResourceChange, TfAction};
use crate::plan::{Action, AttrDiff, Change, Plan};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value, json};

/// The plan and apply documents' version: 1.1 added `resource_changes`
/// (a backward-compatible addition, a minor version as Terraform counts).
pub(crate) const PLAN_FORMAT_VERSION: &str = "1.1";

/// `plan --json`: socialform's changes and calls, and the same plan in
/// Terraform's `resource_changes` layout (`resources`, see
/// `plan::resource_changes`).
pub(crate) fn plan_document(plan: &Plan, resources: &[ResourceChange]) -> Value {
    let mut document = Value::Object(plan_members(plan));
    document["resource_changes"] = serde_json::to_value(terraform_entries(resources))
        .unwrap_or_else(|_| Value::Array(Vec::new()));
    document
}

/// The same document as text, with `extra` members (the policies'
/// verdict): what `plan --json` prints. `resource_changes` is written
/// straight from the plan, not built as a `Value` first: for 10,000 pages
/// that tree was 200 MB and most of the command's time.
pub(crate) fn plan_document_text(
    plan: &Plan,
    resources: &[ResourceChange],
    extra: Vec<(&str, Value)>,
) -> String {
    let mut members = plan_members(plan);
    for (name, value) in extra {
        members.insert(name.to_string(), value);
    }
    let document = WithResourceChanges {
        members: &members,
        resources,
    };
    serde_json::to_string(&document).unwrap_or_default()
}

/// Every member of the plan document but `resource_changes`.
fn plan_members(plan: &Plan) -> Map<String, Value> {
    let changes: Vec<Value> = plan.changes.iter().map(change_document).collect();
    let calls: Vec<Value> = plan
        .calls
        .iter()
        .map(|c| json!({"method": c.method, "path": c.path, "addresses": c.addresses}))
        .collect();
    let mut members = Map::new();
    members.insert("format_version".into(), json!(PLAN_FORMAT_VERSION));
    members.insert("changes".into(), json!(changes));
    members.insert("drift".into(), json!(plan.drift));
    members.insert("calls".into(), json!(calls));
    members.insert("summary".into(), json!(plan.summary()));
    // Only when there are any: a plan without warnings has no such key.
    if !plan.all_warnings().is_empty() {
        members.insert("warnings".into(), json!(plan.all_warnings()));
    }
    members
}

/// `members` (sorted, as every document here) with `resource_changes` in
/// its sorted place.
struct WithResourceChanges<'a> {
    members: &'a Map<String, Value>,
    resources: &'a [ResourceChange],
}

impl Serialize for WithResourceChanges<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const KEY: &str = "resource_changes";
        let mut map = serializer.serialize_map(Some(self.members.len() + 1))?;
        let mut written = false;
        for (name, value) in self.members {
            if !written && name.as_str() > KEY {
                map.serialize_entry(KEY, &terraform_entries(self.resources))?;
                written = true;
            }
            map.serialize_entry(name, value)?;
        }
        if !written {
            map.serialize_entry(KEY, &terraform_entries(self.resources))?;
        }
        map.end()
    }
}

fn terraform_entries(resources: &[ResourceChange]) -> Vec<TerraformEntry<'_>> {
    resources.iter().map(TerraformEntry).collect()
}

/// One entry of Terraform's `resource_changes`, keys in sorted order. Tokens
/// are never in `before` or `after`; `*_sensitive` marks where one is.
struct TerraformEntry<'a>(&'a ResourceChange);

impl Serialize for TerraformEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let resource = self.0;
        let Address { kind, name, key } = &resource.address;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("address", &resource.address)?;
        map.serialize_entry("change", &TerraformChange(resource))?;
        match key {
            Some(InstanceKey::Index(i)) => map.serialize_entry("index", i)?,
            Some(InstanceKey::Name(n)) => map.serialize_entry("index", n)?,
            None => {}
        }
        map.serialize_entry("mode", "managed")?;
        map.serialize_entry("name", name)?;
        if let Some(previous) = &resource.previous_address {
            map.serialize_entry("previous_address", previous)?;
        }
        map.serialize_entry("provider_name", "vonage")?;
        map.serialize_entry("socialform_actions", &resource.socialform_actions)?;
        map.serialize_entry("type", kind.as_str())?;
        map.end()
    }
}

struct TerraformChange<'a>(&'a ResourceChange);

impl Serialize for TerraformChange<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let resource = self.0;
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
        // Terraform writes `false` for a side that does not exist, and an
        // object of the sensitive attributes otherwise.
        let sensitive = |exists: bool, token: bool| match (exists, token) {
            (false, _) => json!(false),
            (true, true) => json!({"access_token": true}),
            (true, false) => json!({}),
        };
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("actions", &actions)?;
        map.serialize_entry("after", &resource.after.as_ref().map(TerraformObject))?;
        map.serialize_entry(
            "after_sensitive",
            &sensitive(resource.after.is_some(), resource.token_after),
        )?;
        let unknown = if resource.token_after_unknown {
            json!({"access_token": true})
        } else {
            json!({})
        };
        map.serialize_entry("after_unknown", &unknown)?;
        map.serialize_entry("before", &resource.before.as_ref().map(TerraformObject))?;
        map.serialize_entry(
            "before_sensitive",
            &sensitive(resource.before.is_some(), resource.token_before),
        )?;
        if let Some(id) = &resource.importing {
            map.serialize_entry("importing", &json!({"id": id}))?;
        }
        map.end()
    }
}

/// A resource object as its block reads, keys sorted: a page's `name` and
/// `page_id`; a link's `page` on Messenger, `account` elsewhere, with its
/// `application` and `channel`.
struct TerraformObject<'a>(&'a Object);

impl Serialize for TerraformObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.0 {
            Object::Page { page_id, name } => {
                map.serialize_entry("name", name)?;
                map.serialize_entry("page_id", page_id)?;
            }
            Object::Link {
                account,
                application,
                channel,
            } => {
                if !channel.is_messenger() {
                    map.serialize_entry("account", account)?;
                }
                map.serialize_entry("application", application)?;
                map.serialize_entry("channel", channel)?;
                if channel.is_messenger() {
                    map.serialize_entry("page", account)?;
                }
            }
            Object::Application { id, settings } => {
                map.serialize_entry("id", id)?;
                let messages = settings.messages.as_ref().map(|m| {
                    json!({
                        "authenticate_inbound_media": m.authenticate_inbound_media,
                        "http_method": m.inbound_method,
                        "inbound_url": m.inbound_url,
                        "status_http_method": m.status_method,
                        "status_url": m.status_url,
                        "version": m.version,
                    })
                });
                map.serialize_entry("messages", &messages)?;
                map.serialize_entry("name", &settings.name)?;
                map.serialize_entry("public_key_fingerprint", &settings.public_key_fingerprint)?;
            }
        }
        map.end()
    }
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
        Action::Connect | Action::Link | Action::Create => (true, false),
        // A forgotten page stays connected, but leaves state.
        Action::Disconnect | Action::Unlink | Action::Forget | Action::Delete => (false, true),
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
    // Resources' drift, then the providers' (`provider.facebook`), in the
    // one list scripts read.
    let mut drifted: Vec<Value> = report.drifted.iter().map(|d| json!(d)).collect();
    drifted.extend(report.provider.iter().map(|d| json!(d)));
    json!({
        "format_version": "1.0",
        "drifted": drifted,
        "unmanaged": report.unmanaged,
        "tokens_not_compared": report.tokens_not_compared,
        "summary": {
            "managed": report.managed,
            "drifted": report.drift_count(),
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
