//! Static rules across resources, after evaluation: one page per page_id,
//! every messenger link on a declared page, one link per page or account.

use super::diagnostic::Diagnostic;
use super::files::{Sources, Span};
use super::instances::{LinkOut, Outputs, PageOut};
use crate::address::Address;
use crate::desired::DesiredLink;
use std::collections::{HashMap, HashSet};

/// The pages whose page_id another page has too: the only ones whose
/// values `check` needs traced to where they are written.
pub(crate) fn sharing_a_page_id(out: &Outputs) -> Vec<&Address> {
    let mut by_id: HashMap<&str, Vec<&Address>> = HashMap::new();
    for p in &out.pages {
        by_id
            .entry(&p.page.page_id)
            .or_default()
            .push(&p.page.address);
    }
    by_id
        .into_values()
        .filter(|a| a.len() > 1)
        .flatten()
        .collect()
}

/// Checks the evaluated instances and resolves each link's page.
/// `written_at` holds, for pages sharing a page_id, where the value is
/// written when it came through `each.value` (see `provenance`).
pub(crate) fn check(
    sources: &Sources,
    out: &Outputs,
    written_at: &HashMap<Address, Span>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<DesiredLink> {
    // Pages in declaration order, so "the second one" is the later one in the files.
    let mut by_id: HashMap<&str, &PageOut> = HashMap::new();
    // page_ids already reported as shared: links to them would only repeat it.
    let mut shared: HashSet<&str> = HashSet::new();
    for p in &out.pages {
        let page = &p.page;
        let Some(first) = by_id.get(page.page_id.as_str()) else {
            by_id.insert(&page.page_id, p);
            continue;
        };
        shared.insert(&page.page_id);
        let at = |p: &PageOut| {
            written_at
                .get(&p.page.address)
                .unwrap_or(&p.page_id_span)
                .clone()
        };
        let (first_at, here) = (at(first), at(p));
        diags.push(
            sources
                .error(
                    &here,
                    format!(
                        "{} ({}) and {} have the same page_id {:?}",
                        first.page.address,
                        sources.location(&first_at),
                        page.address,
                        page.page_id
                    ),
                )
                .with_help("a Facebook Page can be connected only once; remove one of them or correct the page_id"),
        );
    }

    let mut links = Vec::new();
    let mut linked: HashMap<&str, &LinkOut> = HashMap::new();
    let mut linked_accounts: HashMap<(crate::channel::Channel, &str), &Address> = HashMap::new();
    for l in &out.links {
        if !l.channel.is_messenger() {
            // Accounts of other channels are onboarded outside socialform:
            // the link names one by its ID, checked against the remote side
            // at plan time.
            if let Some(first) = linked_accounts.get(&(l.channel, l.page_id.as_str())) {
                diags.push(
                    sources
                        .error(
                            &l.page_span,
                            format!(
                                "{first} and {} both link {} {} ({}); an account can be linked to one application only",
                                l.address,
                                l.channel.account_noun(),
                                l.page_id,
                                l.channel
                            ),
                        )
                        .with_help("remove one of the links, or point it at another account"),
                );
                continue;
            }
            linked_accounts.insert((l.channel, &l.page_id), &l.address);
            links.push(DesiredLink {
                address: l.address.clone(),
                channel: l.channel,
                page_address: None,
                page_id: l.page_id.clone(),
                application: l.application.clone(),
                location: sources.location(&l.label_span),
            });
            continue;
        }
        let Some(page_address) = by_id.get(l.page_id.as_str()).map(|p| &p.page.address) else {
            diags.push(
                sources
                    .error(
                        &l.page_span,
                        format!(
                            "{}: page_id {:?} matches no page in this configuration",
                            l.address, l.page_id
                        ),
                    )
                    .with_help("declare the page, or reference one: page = page.NAME.page_id"),
            );
            continue;
        };
        if let Some(first) = linked.get(l.page_id.as_str()) {
            if !shared.contains(l.page_id.as_str()) {
                diags.push(
                    sources
                        .error(
                            &l.page_span,
                            format!(
                                "{} ({}) and {} both link {page_address}; a page can be linked to one application only",
                                first.address,
                                sources.location(&first.page_span),
                                l.address
                            ),
                        )
                        .with_help("remove one of the links, or point it at another page"),
                );
            }
            continue;
        }
        linked.insert(&l.page_id, l);
        links.push(DesiredLink {
            address: l.address.clone(),
            channel: l.channel,
            page_address: Some((*page_address).clone()),
            page_id: l.page_id.clone(),
            application: l.application.clone(),
            location: sources.location(&l.label_span),
        });
    }
    links
}
