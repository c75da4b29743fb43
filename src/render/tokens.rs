//! `socialform tokens`: the health of every managed page's token, for a
//! person (a table) and for machines (JSON).

use super::style::Style;
use crate::actual::UserTokenReport;
use crate::facebook::{TokenHealth, UserTokenHealth, describe_expiry};
use crate::ops::tokens::TokenOverview;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// One line per managed page, then the pages that could be connected.
pub(crate) fn tokens_text(overview: &TokenOverview, style: &Style) -> String {
    let mut out = String::new();
    let width = overview
        .pages
        .iter()
        .map(|p| p.address.to_string().len())
        .max()
        .unwrap_or(0);
    if overview.pages.is_empty() {
        let _ = writeln!(out, "No managed pages.");
    }
    for page in &overview.pages {
        let verdict = match (&page.health, page.connected) {
            (_, false) => style.dim("not connected"),
            (None, true) => style.dim("no token returned by the Vonage API"),
            (Some(TokenHealth::Invalid { reason }), _) => {
                format!("{} {reason}", style.red("invalid:"))
            }
            (Some(TokenHealth::Valid { expires_at: None }), _) if !overview.expiry_known => {
                format!("{}, expiry unknown", style.green("valid"))
            }
            (Some(TokenHealth::Valid { expires_at: None }), _) => {
                format!("{}, never expires", style.green("valid"))
            }
            (
                Some(TokenHealth::Valid {
                    expires_at: Some(at),
                }),
                _,
            ) if page.expiring => {
                format!(
                    "{} expires {}",
                    style.yellow("expiring:"),
                    describe_expiry(*at)
                )
            }
            (
                Some(TokenHealth::Valid {
                    expires_at: Some(at),
                }),
                _,
            ) => {
                format!("{}, expires {}", style.green("valid"), describe_expiry(*at))
            }
        };
        let address = page.address.to_string();
        let _ = writeln!(out, "  {address:width$}  {}  {verdict}", page.page_id,);
    }
    match &overview.not_connected {
        Some(pages) if !pages.is_empty() => {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "{}",
                style.bold(&format!(
                    "{} page(s) the Facebook user can manage are not connected:",
                    pages.len()
                ))
            );
            for page in pages {
                let _ = writeln!(
                    out,
                    "  {}  {}",
                    page.id,
                    page.name.as_deref().unwrap_or("(no name)")
                );
            }
        }
        Some(_) => {}
        None => {
            let _ = writeln!(
                out,
                "\nnote: without a Facebook user token the pages it could connect are not listed"
            );
        }
    }
    if let Some(user) = &overview.user {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", user_token_line(overview, user, style));
    }
    if !overview.expiry_known && !overview.pages.is_empty() {
        let _ = writeln!(
            out,
            "\nnote: expiries are unknown: only debug_token tells them, and it needs the app's \
             credentials (FACEBOOK_APP_ID and FACEBOOK_APP_SECRET, or app_id and app_secret in \
             the provider \"facebook\" block); expiring tokens are not caught without them"
        );
    }
    let page_needs_attention = overview
        .pages
        .iter()
        .any(|p| p.expiring || matches!(p.health, Some(TokenHealth::Invalid { .. })));
    if page_needs_attention {
        let _ = writeln!(
            out,
            "\nRun `socialform plan` to see the reconnects that replace invalid or expiring tokens."
        );
    }
    out
}

/// The user token's health, and what to do about it.
fn user_token_line(overview: &TokenOverview, user: &UserTokenReport, style: &Style) -> String {
    let head = format!("Facebook user token ({}):", user.origin.as_str());
    let remedy = user.origin.remedy();
    match &user.health {
        UserTokenHealth::Invalid { reason } => {
            format!("{head} {} {reason}\n  {remedy}", style.red("invalid:"))
        }
        UserTokenHealth::Valid(info) => {
            let kind = if info.system_user {
                "system-user token, "
            } else {
                ""
            };
            let mut line = match info.expires_at {
                Some(at) if at < overview.expiring_before => format!(
                    "{head} {} {kind}expires {}",
                    style.yellow("expiring:"),
                    describe_expiry(at)
                ),
                Some(at) => format!(
                    "{head} {}, {kind}expires {}",
                    style.green("valid"),
                    describe_expiry(at)
                ),
                None if !overview.expiry_known => {
                    format!(
                        "{head} {}, expiry and permissions unknown",
                        style.green("valid")
                    )
                }
                None => format!("{head} {}, {kind}never expires", style.green("valid")),
            };
            for (name, blocks) in info.missing() {
                let _ = write!(
                    line,
                    "\n  {} {name}, which blocks {blocks}",
                    style.red("missing:")
                );
            }
            if overview.user_needs_attention() {
                let _ = write!(line, "\n  {remedy}");
            }
            line
        }
    }
}

/// `tokens --json`
pub(crate) fn tokens_document(overview: &TokenOverview) -> Value {
    let pages: Vec<Value> = overview
        .pages
        .iter()
        .map(|p| {
            json!({
                "address": p.address,
                "page_id": p.page_id,
                "connected": p.connected,
                "token": p.health.as_ref().map(|h| match h {
                    TokenHealth::Valid { expires_at } => json!({
                        "valid": true,
                        "expires_at": expires_at.map(describe_expiry),
                        "expiry_known": overview.expiry_known,
                        "expiring": p.expiring,
                    }),
                    TokenHealth::Invalid { reason } => json!({
                        "valid": false,
                        "reason": reason,
                    }),
                }),
            })
        })
        .collect();
    let not_connected = overview.not_connected.as_ref().map(|list| {
        list.iter()
            .map(|p| json!({"id": p.id, "name": p.name, "tasks": p.tasks}))
            .collect::<Vec<_>>()
    });
    let user_token = overview.user.as_ref().map(|user| match &user.health {
        UserTokenHealth::Invalid { reason } => json!({
            "origin": user.origin.as_str(),
            "valid": false,
            "reason": reason,
        }),
        UserTokenHealth::Valid(info) => json!({
            "origin": user.origin.as_str(),
            "valid": true,
            "system_user": info.system_user,
            "expires_at": info.expires_at.map(describe_expiry),
            "expiring": info.expires_at.is_some_and(|at| at < overview.expiring_before),
            "scopes": info.scopes,
            "missing": info.missing().iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        }),
    });
    json!({
        "format_version": "1.0",
        "expiring_before": describe_expiry(overview.expiring_before),
        "pages": pages,
        "not_connected": not_connected,
        "user_token": user_token,
    })
}
