//! Human views of state and of what state commands did: `show`,
//! `state list/show/rm/mv`, `import`. One rendering of a resource serves
//! `show` and `state show` alike.

use super::style::Style;
use crate::address::Address;
use crate::ops::state_edit::{Found, op_address};
use crate::state::{ApplicationRecord, HistoryEntry, LinkRecord, PageRecord, Recorded, StateOp};
use std::fmt::Write;

pub(crate) const NO_STATE: &str = "No state: nothing is managed yet.";

fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn page_block(page: &PageRecord) -> String {
    let mut text = format!("page {} {{\n", quoted(&page.address.name));
    if let Some(key) = &page.address.key {
        let _ = writeln!(text, "  # instance key: {key}");
    }
    let _ = writeln!(text, "  page_id      = {}", quoted(&page.page_id));
    if let Some(name) = &page.name {
        let _ = writeln!(text, "  name         = {}", quoted(name));
    }
    text.push_str("  access_token = (sensitive value)\n}\n");
    text
}

fn link_block(link: &LinkRecord, page: Option<&Address>) -> String {
    let page = page.map(|a| format!("  # {a}")).unwrap_or_default();
    let mut text = format!("link {} {{\n", quoted(&link.address.name));
    if let Some(key) = &link.address.key {
        let _ = writeln!(text, "  # instance key: {key}");
    }
    if link.channel.is_messenger() {
        let _ = writeln!(text, "  page        = {}{page}", quoted(&link.page_id));
    } else {
        let _ = writeln!(text, "  channel     = {}", quoted(link.channel.as_str()));
        let _ = writeln!(text, "  account     = {}", quoted(&link.page_id));
    }
    let _ = writeln!(text, "  application = {}", quoted(&link.application));
    text.push_str("}\n");
    text
}

/// An application as its block would declare it: the key only as its
/// fingerprint, in a comment.
fn application_block(app: &ApplicationRecord) -> String {
    let mut text = format!("application {} {{\n", quoted(&app.address.name));
    if let Some(key) = &app.address.key {
        let _ = writeln!(text, "  # instance key: {key}");
    }
    let _ = writeln!(text, "  # id: {}", app.id);
    let _ = writeln!(text, "  name = {}", quoted(&app.settings.name));
    if let Some(m) = &app.settings.messages {
        text.push_str(&crate::generate::messages_block(m));
    }
    if let Some(fingerprint) = &app.settings.public_key_fingerprint {
        let _ = writeln!(text, "  # public_key: {fingerprint}");
    }
    if !app.other_capabilities.is_empty() {
        let _ = writeln!(
            text,
            "  # other capabilities (kept as they are): {}",
            app.other_capabilities.join(", ")
        );
    }
    text.push_str("}\n");
    text
}

/// One resource, as `state show ADDR` prints it.
pub(crate) fn resource_text(found: &Found<'_>, style: &Style) -> String {
    let (address, block) = match found {
        Found::Page(page) => (&page.address, page_block(page)),
        Found::Link(link, page) => (&link.address, link_block(link, *page)),
        Found::Application(app) => (&app.address, application_block(app)),
    };
    format!("{}\n{block}", style.bold(&format!("# {address}:")))
}

/// The whole state, as `show` prints it: every resource as `state show`
/// prints it, each followed by a blank line.
pub(crate) fn state_text(recorded: &Recorded, style: &Style) -> String {
    if recorded.pages.is_empty() && recorded.links.is_empty() && recorded.applications.is_empty() {
        return "The state is empty.\n".to_string();
    }
    let mut text = String::new();
    for app in recorded.applications.values() {
        text.push_str(&resource_text(&Found::Application(app), style));
        text.push('\n');
    }
    for page in recorded.pages.values() {
        text.push_str(&resource_text(&Found::Page(page), style));
        text.push('\n');
    }
    for link in recorded.links.values() {
        let page = recorded
            .pages
            .values()
            .find(|p| link.channel.is_messenger() && p.page_id == link.page_id)
            .map(|p| &p.address);
        text.push_str(&resource_text(&Found::Link(link, page), style));
        text.push('\n');
    }
    text
}

/// What `state rm` did.
pub(crate) fn removed_text(ops: &[StateOp]) -> String {
    let mut text = String::new();
    for op in ops {
        let _ = writeln!(text, "Removed {}", op_address(op));
    }
    let _ = writeln!(
        text,
        "Successfully removed {} resource instance(s). The remote side was not changed.",
        ops.len()
    );
    text
}

/// What `state mv` did.
pub(crate) fn moved_text(pairs: &[(Address, Address)]) -> String {
    let mut text = String::new();
    for (from, to) in pairs {
        let _ = writeln!(text, "Moved {from} to {to}");
    }
    let _ = writeln!(text, "Successfully moved {} object(s).", pairs.len());
    text
}

fn named(name: Option<&String>) -> String {
    name.map(|n| format!(" ({n:?})")).unwrap_or_default()
}

/// What `import ADDR PAGE_ID` adopted.
pub(crate) fn imported_text(ops: &[StateOp]) -> String {
    let mut text = String::new();
    for op in ops {
        match op {
            StateOp::PutPage(p) => {
                let _ = writeln!(
                    text,
                    "{}: imported page ID {}{}",
                    p.address,
                    p.page_id,
                    named(p.name.as_ref())
                );
            }
            StateOp::PutLink(l) => {
                let _ = writeln!(
                    text,
                    "{}: imported link to application {}",
                    l.address, l.application
                );
            }
            StateOp::PutApplication(a) => {
                let _ = writeln!(
                    text,
                    "{}: imported application {} ({:?})",
                    a.address, a.id, a.settings.name
                );
            }
            _ => {}
        }
    }
    text.push_str("Import successful! The resources above are now managed by socialform.\n");
    text
}

/// What `import --all-unmanaged --generate-config-out FILE` adopted.
pub(crate) fn generated_text(written: Option<&crate::ops::import::Written>) -> String {
    let Some((path, generated, links, applications)) = written else {
        return "No unmanaged pages: every connected page is in state or in the configuration. \
                No file was written.\n"
            .to_string();
    };
    let mut text = String::new();
    for app in applications {
        let _ = writeln!(
            text,
            "application.{}: imported application {} ({:?})",
            app.slug, app.id, app.settings.name
        );
    }
    for page in generated {
        let _ = writeln!(
            text,
            "page.{}: imported page ID {}{}{}",
            page.slug,
            page.page_id,
            named(page.name.as_ref()),
            page.application
                .as_ref()
                .map(|a| format!(", with link.{} to {a}", page.slug))
                .unwrap_or_default()
        );
    }
    for link in links {
        let _ = writeln!(
            text,
            "link.{}: imported the link of {} {} ({}){} to {}",
            link.slug,
            link.channel.account_noun(),
            link.account,
            link.channel,
            named(link.name.as_ref()),
            link.application
        );
    }
    let mut parts = vec![format!("{} page(s)", generated.len())];
    if !links.is_empty() {
        parts.push(format!("{} link(s) of other channels", links.len()));
    }
    if !applications.is_empty() {
        parts.push(format!("{} application(s)", applications.len()));
    }
    let listed = match parts.as_slice() {
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    let _ = writeln!(
        text,
        "Wrote {} with {listed}, now managed by socialform.",
        path.display()
    );
    if generated.is_empty() {
        return text;
    }
    let variables: Vec<String> = generated
        .iter()
        .map(|p| format!("SF_VAR_{}", p.token_variable()))
        .collect();
    let _ = writeln!(
        text,
        "Set SF_VAR_<slug>_token for each page before running plan: {}.",
        variables.join(", ")
    );
    text
}

/// `state show ADDR --json`: the resource as `state pull` shows it.
pub(crate) fn resource_document(found: &Found<'_>) -> serde_json::Value {
    let resource = match found {
        Found::Page(page) => serde_json::json!({
            "type": "page",
            "address": page.address,
            "page_id": page.page_id,
            "name": page.name,
        }),
        Found::Link(link, page) => serde_json::json!({
            "type": "link",
            "address": link.address,
            "page_id": link.page_id,
            "page": page,
            "application": link.application,
        }),
        Found::Application(app) => serde_json::json!({
            "type": "application",
            "address": app.address,
            "id": app.id,
            "name": app.settings.name,
            "messages": app.settings.messages,
            "public_key_fingerprint": app.settings.public_key_fingerprint,
            "other_capabilities": app.other_capabilities,
        }),
    };
    serde_json::json!({"format_version": "1.0", "resource": resource})
}

/// `import --json`: what was adopted, and the file written for
/// `--all-unmanaged`.
pub(crate) fn imported_document(imported: &crate::ops::import::Imported) -> serde_json::Value {
    use crate::ops::import::Imported;
    use serde_json::json;
    let (resources, file): (Vec<serde_json::Value>, Option<&std::path::PathBuf>) = match imported {
        Imported::One(ops) => (
            ops.iter()
                .filter_map(|op| match op {
                    StateOp::PutPage(p) => Some(json!({
                        "address": p.address, "page_id": p.page_id, "name": p.name,
                    })),
                    StateOp::PutLink(l) => Some(json!({
                        "address": l.address, "page_id": l.page_id,
                        "application": l.application,
                    })),
                    StateOp::PutApplication(a) => Some(json!({
                        "address": a.address, "id": a.id, "name": a.settings.name,
                    })),
                    _ => None,
                })
                .collect(),
            None,
        ),
        Imported::AllUnmanaged(None) => (Vec::new(), None),
        Imported::AllUnmanaged(Some((path, pages, links, applications))) => (
            applications
                .iter()
                .map(|a| {
                    json!({
                        "address": format!("application.{}", a.slug), "id": a.id,
                        "name": a.settings.name,
                    })
                })
                .chain(pages
                .iter()
                .flat_map(|p| {
                    let page = json!({
                        "address": format!("page.{}", p.slug), "page_id": p.page_id,
                        "name": p.name, "token_variable": format!("SF_VAR_{}", p.token_variable()),
                    });
                    let link = p.application.as_ref().map(|a| {
                        json!({
                            "address": format!("link.{}", p.slug), "page_id": p.page_id,
                            "application": a,
                        })
                    });
                    std::iter::once(page).chain(link)
                })
                .chain(links.iter().map(|l| {
                    json!({
                        "address": format!("link.{}", l.slug), "channel": l.channel,
                        "account": l.account, "application": l.application,
                    })
                })))
                .collect(),
            Some(path),
        ),
    };
    json!({"format_version": "1.0", "imported": resources, "generated_config": file})
}

/// `history`: one paragraph per entry, newest first.
pub(crate) fn history_text(entries: &[HistoryEntry], style: &Style) -> String {
    if entries.is_empty() {
        return "No history: nothing was applied, imported or edited yet.\n".to_string();
    }
    let mut text = String::new();
    for entry in entries {
        let _ = writeln!(
            text,
            "{} {} by {} — {}",
            style.bold(&entry.finished_at),
            entry.command,
            entry.who,
            entry.outcome
        );
        for change in &entry.changes {
            let _ = writeln!(text, "    {change}");
        }
    }
    text
}

/// `history --json`.
pub(crate) fn history_document(entries: &[HistoryEntry]) -> serde_json::Value {
    serde_json::json!({
        "format_version": "1.0",
        "entries": entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_and_state_show_render_a_resource_the_same_way() {
        let mut recorded = Recorded::default();
        let page = PageRecord {
            address: Address::page("region").with_key("emea"),
            page_id: "1".into(),
            name: Some("Acme \"EMEA\"".into()),
            token_fingerprint: Some("ab".into()),
        };
        recorded.pages.insert(page.address.clone(), page.clone());
        let one = resource_text(&Found::Page(&page), &Style::plain());
        assert_eq!(
            one,
            "# page.region[\"emea\"]:\npage \"region\" {\n  # instance key: \"emea\"\n  \
             page_id      = \"1\"\n  name         = \"Acme \\\"EMEA\\\"\"\n  \
             access_token = (sensitive value)\n}\n"
        );
        assert_eq!(state_text(&recorded, &Style::plain()), format!("{one}\n"));
        assert!(!one.contains("ab"));
    }
}
