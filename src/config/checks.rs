//! Static rules across resources, after evaluation: one page per page_id,
//! every messenger link on a declared page, one link per page or account.

use super::diagnostic::Diagnostic;
use super::files::Sources;
use super::instances::Outputs;
use crate::address::Address;
use crate::desired::DesiredLink;
use std::collections::HashMap;

/// Checks the evaluated instances and resolves each link's page.
pub(crate) fn check(
    sources: &Sources,
    out: &Outputs,
    diags: &mut Vec<Diagnostic>,
) -> Vec<DesiredLink> {
    // Pages in declaration order, so "the second one" is the later one in the files.
    let mut by_id: HashMap<&str, &Address> = HashMap::new();
    for p in &out.pages {
        let page = &p.page;
        if let Some(first) = by_id.get(page.page_id.as_str()) {
            diags.push(
                sources
                    .error(
                        &p.page_id_span,
                        format!("{first} and {} have the same page_id {:?}", page.address, page.page_id),
                    )
                    .with_help("a Facebook Page can be connected only once; remove one of them or correct the page_id"),
            );
        } else {
            by_id.insert(&page.page_id, &page.address);
        }
    }

    let mut links = Vec::new();
    let mut linked: HashMap<&str, &Address> = HashMap::new();
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
        let Some(page_address) = by_id.get(l.page_id.as_str()) else {
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
            diags.push(
                sources
                    .error(
                        &l.page_span,
                        format!("{first} and {} both link {page_address}; a page can be linked to one application only", l.address),
                    )
                    .with_help("remove one of the links, or point it at another page"),
            );
            continue;
        }
        linked.insert(&l.page_id, &l.address);
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
