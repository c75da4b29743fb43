//! The planner's decisions on applications: create, update in place (a PUT
//! of the whole document) and delete, and how their calls are ordered
//! against the links that name them.
//!
//! A link to an application created in this run carries the placeholder
//! `application::unknown_id` (its id is Vonage's to choose); its connect or
//! link call depends on the create, and apply puts the id in once the
//! create has answered. A deleted application's links are unlinked (or
//! their pages disconnected) before its DELETE.

use super::Planner;
use crate::actual::{Actual, RemoteApplication};
use crate::address::Address;
use crate::application::{Settings, differences, unknown_id, unknown_id_of};
use crate::desired::{Desired, DesiredApplication, ImportDecl};
use crate::plan::PlanProblem;
use crate::plan::model::{Action, AttrDiff, Call, CallOp};
use crate::state::{ApplicationRecord, Recorded, StateOp};
use std::borrow::Cow;
use std::collections::HashMap;

/// An application call before it has an index.
pub(super) struct AppIntent {
    op: CallOp,
    address: Address,
    state_ops: Vec<StateOp>,
}

/// The application calls of a plan, by when they run: creates before any
/// page or link call, updates alongside them, deletes after.
#[derive(Default)]
pub(super) struct AppIntents {
    creates: Vec<AppIntent>,
    updates: Vec<AppIntent>,
    deletes: Vec<AppIntent>,
}

/// The configuration with every `application.NAME.id` that names an
/// application which exists (recorded in state and, when refreshed, still
/// there, or imported by an import block) replaced by its id. The others stay placeholders: those
/// applications are created by this plan.
pub(crate) fn resolve_links<'d>(
    desired: &'d Desired,
    recorded: &Recorded,
    actual: &Actual,
) -> Cow<'d, Desired> {
    if !desired
        .links
        .iter()
        .any(|l| unknown_id_of(&l.application).is_some())
    {
        return Cow::Borrowed(desired);
    }
    let mut resolved = desired.clone();
    for link in &mut resolved.links {
        let Some(address) = unknown_id_of(&link.application) else {
            continue;
        };
        if let Some(record) = recorded.applications.get(&address)
            && existing(actual, &record.id).is_some()
        {
            link.application = record.id.clone();
        } else if let Some(import) = desired.imports.iter().find(|i| i.to == address)
            && actual
                .applications
                .as_ref()
                .is_some_and(|apps| apps.contains_key(&import.id))
        {
            // Imported by this plan: it exists, under the id imported.
            link.application = import.id.clone();
        }
    }
    Cow::Owned(resolved)
}

/// What the remote side has of application `id`: the refreshed read, or,
/// unrefreshed, `Some(None)` (taken to exist, as state says).
fn existing<'a>(actual: &'a Actual, id: &str) -> Option<Option<&'a RemoteApplication>> {
    match &actual.applications {
        None => Some(None),
        Some(apps) => apps.get(&id.to_lowercase()).map(Some),
    }
}

/// The attributes of a created (`adding`) or deleted application.
fn whole(settings: &Settings, adding: bool) -> Vec<AttrDiff> {
    let attr = |name: &'static str, value: Option<String>| AttrDiff {
        name,
        before: if adding { None } else { value.clone() },
        after: if adding { value } else { None },
        sensitive: false,
    };
    let mut attrs = vec![attr("name", Some(settings.name.clone()))];
    if let Some(m) = &settings.messages {
        attrs.push(attr("messages.inbound_url", Some(m.inbound_url.clone())));
        attrs.push(attr("messages.status_url", Some(m.status_url.clone())));
        attrs.push(attr("messages.http_method", Some(m.inbound_method.clone())));
        attrs.push(attr("messages.version", Some(m.version.clone())));
        attrs.push(attr(
            "messages.authenticate_inbound_media",
            Some(m.authenticate_inbound_media.to_string()),
        ));
    }
    attrs.push(attr("public_key", settings.public_key_fingerprint.clone()));
    attrs
}

impl<'a> Planner<'a> {
    fn desired_application(&self, address: &Address) -> Option<&'a DesiredApplication> {
        let desired: &'a Desired = self.desired;
        desired.applications.iter().find(|a| &a.address == address)
    }

    /// Every link to an application declared here that does not exist yet
    /// is fine (it is created with the messages capability); one to an
    /// application that is neither declared nor in the account is not.
    pub(super) fn check_unknown_applications(&mut self) {
        let links: Vec<(Address, Address)> = self
            .desired
            .links
            .iter()
            .filter(|l| self.in_scope(&l.address))
            .filter_map(|l| Some((l.address.clone(), unknown_id_of(&l.application)?)))
            .filter(|(_, app)| self.desired_application(app).is_none())
            .collect();
        for (link, app) in links {
            self.problem(
                Some(&link),
                format!("{app} is not declared, so this link has no application"),
                Some("declare the application block, or link an existing application by its id"),
            );
        }
    }

    /// Warnings worth a look before any call: a webhook that is not https.
    fn warn_of_plain_http(&mut self, app: &DesiredApplication) {
        let Some(m) = &app.settings.messages else {
            return;
        };
        for (name, url) in [
            ("messages.inbound_url", &m.inbound_url),
            ("messages.status_url", &m.status_url),
        ] {
            if !url.starts_with("https://") {
                self.warnings.push(format!(
                    "{} ({}): {name} is {url:?}, not https://: Vonage accepts it, but the \
                     webhook then carries messages in clear; use an https:// address in production",
                    app.address, app.location
                ));
            }
        }
    }

    /// Normal mode: every declared application in scope created or brought
    /// in line; every recorded one no longer declared deleted.
    pub(super) fn plan_applications(&mut self) {
        let desired: &'a Desired = self.desired;
        let in_scope: Vec<&'a DesiredApplication> = (desired.applications.iter())
            .filter(|a| self.in_scope(&a.address))
            .collect();
        for app in in_scope {
            self.warn_of_plain_http(app);
            self.plan_application(app);
        }
        let recorded: &'a Recorded = self.recorded;
        let gone: Vec<&'a ApplicationRecord> = recorded
            .applications
            .values()
            .filter(|r| self.in_scope(&r.address) && self.desired_application(&r.address).is_none())
            .collect();
        for record in gone {
            if self.forgotten(&record.address) {
                // Vonage keeps it as it is.
                self.forget(
                    &record.address,
                    StateOp::RemoveApplication(record.address.clone()),
                );
                continue;
            }
            self.delete_application(record, "not in configuration");
        }
    }

    /// Destroy mode: every recorded application in scope is deleted.
    pub(super) fn destroy_applications(&mut self) {
        let recorded: &'a Recorded = self.recorded;
        let all: Vec<&'a ApplicationRecord> = recorded
            .applications
            .values()
            .filter(|r| self.in_scope(&r.address))
            .collect();
        for record in all {
            self.delete_application(record, "destroy");
        }
    }

    /// Refresh-only mode: state learns what the applications are now.
    pub(super) fn refresh_applications(&mut self) {
        let recorded: &'a Recorded = self.recorded;
        let in_scope: Vec<&'a ApplicationRecord> = (recorded.applications.values())
            .filter(|r| self.in_scope(&r.address))
            .collect();
        for record in in_scope {
            match existing(self.actual, &record.id) {
                None => self
                    .state_only
                    .push(StateOp::RemoveApplication(record.address.clone())),
                Some(Some(remote)) => {
                    let current = current_record(record.address.clone(), remote);
                    if &current != record {
                        self.state_only.push(StateOp::PutApplication(current));
                    }
                }
                Some(None) => {}
            }
        }
    }

    fn plan_application(&mut self, app: &'a DesiredApplication) {
        let record = self.recorded.applications.get(&app.address);
        let desired: &'a Desired = self.desired;
        let import = desired.imports.iter().find(|i| i.to == app.address);
        if let (None, Some(import)) = (record, import) {
            self.import_application(app, import);
            return;
        }
        let found = record.and_then(|r| existing(self.actual, &r.id).map(|remote| (r, remote)));
        let Some((record, remote)) = found else {
            self.create_application(app, record.is_some());
            return;
        };
        self.align_application(app, record, remote);
    }

    /// `import { to = application.NAME  id = "UUID" }` for an application
    /// not in state: recorded as Vonage has it (no call), then brought in
    /// line with its block like any other.
    fn import_application(&mut self, app: &'a DesiredApplication, import: &ImportDecl) {
        let refused = |message: String, help: &str| PlanProblem {
            address: Some(app.address.clone()),
            location: Some(import.location.clone()),
            message,
            help: Some(help.to_string()),
        };
        let actual: &'a Actual = self.actual;
        let Some(applications) = &actual.applications else {
            self.problems.push(refused(
                "cannot import without reading the account's applications".to_string(),
                "plan without --refresh=false to import it",
            ));
            return;
        };
        let Some(remote) = applications.get(&import.id) else {
            self.problems.push(refused(
                format!(
                    "cannot import: application {} does not exist in this Vonage account",
                    import.id
                ),
                "check the id (`GET /v2/applications` lists them), or remove the import block \
                 to create the application instead",
            ));
            return;
        };
        let recorded: &'a Recorded = self.recorded;
        if let Some(other) = recorded.applications.values().find(|r| r.id == import.id) {
            self.problems.push(refused(
                format!(
                    "cannot import: application {} is already in state as {}",
                    import.id, other.address
                ),
                "remove the import block; to give it the new address, use a moved block",
            ));
            return;
        }
        self.change(&app.address, Action::Import, "import block", vec![]);
        let record = current_record(app.address.clone(), remote);
        self.state_only
            .push(StateOp::PutApplication(record.clone()));
        self.align_application(app, &record, Some(remote));
    }

    /// A recorded application, as `remote` has it now (`None` unrefreshed),
    /// brought in line with its block: an update when they differ, state
    /// corrected when only it lags.
    fn align_application(
        &mut self,
        app: &'a DesiredApplication,
        record: &ApplicationRecord,
        remote: Option<&RemoteApplication>,
    ) {
        // Unrefreshed, state's word is all there is.
        let (now, others) = match remote {
            Some(remote) => (remote.settings.clone(), remote.other_capabilities.clone()),
            None => (record.settings.clone(), record.other_capabilities.clone()),
        };
        let diffs = differences(&now, &app.settings);
        let mut wanted = app.settings.clone();
        if wanted.public_key_fingerprint.is_none() {
            wanted.public_key_fingerprint = now.public_key_fingerprint.clone();
        }
        let after = ApplicationRecord {
            address: app.address.clone(),
            id: record.id.clone(),
            settings: wanted,
            other_capabilities: others.clone(),
        };
        if diffs.is_empty() {
            if remote.is_some() && record != &after {
                self.state_only.push(StateOp::PutApplication(after));
            }
            return;
        }
        let outside = record.settings != now;
        let mut reason = if outside {
            "changed outside socialform".to_string()
        } else {
            "changed in configuration".to_string()
        };
        if !others.is_empty() {
            reason.push_str(&format!(
                "; its {} capability kept untouched",
                others.join(", ")
            ));
        }
        let attributes = diffs
            .into_iter()
            .map(|(name, before, after)| AttrDiff {
                name,
                before,
                after,
                sensitive: false,
            })
            .collect();
        self.change(&app.address, Action::Update, reason, attributes);
        self.app_intents.updates.push(AppIntent {
            op: CallOp::UpdateApplication {
                id: record.id.clone(),
                address: app.address.clone(),
                settings: app.settings.clone(),
            },
            address: app.address.clone(),
            state_ops: vec![StateOp::PutApplication(after)],
        });
    }

    fn create_application(&mut self, app: &'a DesiredApplication, was_recorded: bool) {
        if app.public_key.is_none() {
            self.problem(
                Some(&app.address),
                "the application must be created but has no public_key: Vonage would then \
                 generate a key pair and hand out its private key, which socialform does not handle"
                    .into(),
                Some(
                    "make a key pair (`openssl genpkey -algorithm RSA -out support.key && openssl \
                     pkey -in support.key -pubout -out keys/support.pub`), keep the private key \
                     out of the configuration, and set public_key = file(\"keys/support.pub\")",
                ),
            );
            return;
        }
        let reason = if was_recorded {
            "deleted outside socialform; creating it again"
        } else {
            "not in state"
        };
        self.change(
            &app.address,
            Action::Create,
            reason,
            whole(&app.settings, true),
        );
        self.app_intents.creates.push(AppIntent {
            op: CallOp::CreateApplication {
                address: app.address.clone(),
                settings: app.settings.clone(),
            },
            address: app.address.clone(),
            state_ops: vec![StateOp::PutApplication(ApplicationRecord {
                address: app.address.clone(),
                // Replaced by the id Vonage answers.
                id: unknown_id(&app.address),
                settings: app.settings.clone(),
                other_capabilities: Vec::new(),
            })],
        });
    }

    fn delete_application(&mut self, record: &'a ApplicationRecord, reason: &str) {
        if existing(self.actual, &record.id).is_none() {
            self.state_only
                .push(StateOp::RemoveApplication(record.address.clone()));
            return;
        }
        let mut reason = reason.to_string();
        if !record.other_capabilities.is_empty() {
            reason.push_str(&format!(
                "; its {} capability goes with it",
                record.other_capabilities.join(", ")
            ));
        }
        self.change(
            &record.address,
            Action::Delete,
            reason,
            whole(&record.settings, false),
        );
        self.app_intents.deletes.push(AppIntent {
            op: CallOp::DeleteApplication {
                id: record.id.clone(),
            },
            address: record.address.clone(),
            state_ops: vec![StateOp::RemoveApplication(record.address.clone())],
        });
    }
}

/// A record of what `remote` is now.
fn current_record(address: Address, remote: &RemoteApplication) -> ApplicationRecord {
    ApplicationRecord {
        address,
        id: remote.id.clone(),
        settings: remote.settings.clone(),
        other_capabilities: remote.other_capabilities.clone(),
    }
}

fn to_call(intent: AppIntent, depends_on: Vec<usize>) -> Call {
    Call {
        method: super::method_of(&intent.op),
        path: super::path_of(&intent.op),
        addresses: vec![intent.address],
        op: intent.op,
        depends_on,
        state_ops: intent.state_ops,
    }
}

/// Emits the creates first; returns the index of each create by the
/// placeholder id it answers for.
pub(super) fn emit_creates(
    intents: &mut AppIntents,
    calls: &mut Vec<Call>,
) -> HashMap<String, usize> {
    let mut by_placeholder = HashMap::new();
    for intent in std::mem::take(&mut intents.creates) {
        by_placeholder.insert(unknown_id(&intent.address), calls.len());
        calls.push(to_call(intent, Vec::new()));
    }
    by_placeholder
}

/// A page or link call that sends a placeholder id waits for its create.
pub(super) fn wait_for_create(call: &mut Call, creates: &HashMap<String, usize>) {
    if let Some(index) = call.op.linked_application().and_then(|id| creates.get(id)) {
        call.depends_on.push(*index);
        call.depends_on.sort_unstable();
        call.depends_on.dedup();
    }
}

/// Emits updates, then deletes, each delete after every call that unlinks
/// its application or disconnects a page linked to it.
pub(super) fn emit_rest(
    intents: &mut AppIntents,
    calls: &mut Vec<Call>,
    recorded: &Recorded,
    actual: &Actual,
) {
    for intent in std::mem::take(&mut intents.updates) {
        calls.push(to_call(intent, Vec::new()));
    }
    for intent in std::mem::take(&mut intents.deletes) {
        let CallOp::DeleteApplication { id } = &intent.op else {
            continue;
        };
        let linked_pages: Vec<&str> = (recorded.links.values())
            .filter(|l| &l.application == id)
            .map(|l| l.page_id.as_str())
            .chain(
                actual
                    .pages
                    .values()
                    .filter(|p| p.applications.contains(id))
                    .map(|p| p.page_id.as_str()),
            )
            .collect();
        let depends_on: Vec<usize> = calls
            .iter()
            .enumerate()
            .filter(|(_, call)| match &call.op {
                CallOp::Unlink { application, .. } => application == id,
                CallOp::Disconnect { page_id } => linked_pages.contains(&page_id.as_str()),
                _ => false,
            })
            .map(|(i, _)| i)
            .collect();
        calls.push(to_call(intent, depends_on));
    }
}
