//! One call of the plan against the API, made safe to repeat.
//!
//! A failed or unclear answer is not the end of the story: the call's own
//! earlier attempt (or a teammate) may already have put the page in the
//! shape the call was meant to produce. So:
//! - an answer that says "already so" (404 on a disconnect, 409 on a link
//!   whose application is already the one we want, 409 on a connect of a
//!   page already connected with our token) is checked by reading the page,
//!   and counts as success when the page is in the wanted shape;
//! - an answer that leaves the outcome unknown (5xx, timeout, dropped
//!   connection, a 2xx whose body was cut short) is settled by re-reading the
//!   page *before* the call is tried again, and the call is repeated only
//!   when the read shows it did not take effect. When the page cannot be
//!   read either, the write is not repeated blind: the read is tried again.
//!
//! So a page is never connected twice, and a run never fails because its own
//! earlier attempt succeeded.

use crate::address::Address;
use crate::channel::Channel;
use crate::plan::{Call, CallOp};
use crate::remote::{Account, ApiError, Client, ConnectRequest, UpdateRequest, backoff};
use crate::secret::Secret;
use std::collections::HashMap;
use std::time::Instant;

/// What a re-read of the page says about a call.
#[derive(Debug)]
enum Look {
    /// The page is in the shape the call was meant to produce.
    Done,
    /// It is not: the call has not taken effect (or was undone since).
    NotDone,
    /// The page could not be read.
    Unknown(ApiError),
}

pub(crate) async fn execute(
    client: &Client,
    call: &Call,
    tokens: &HashMap<Address, Secret>,
) -> Result<(), String> {
    let policy = client.retry_policy().clone();
    let attempts = policy.max_attempts.max(1);
    let started = Instant::now();
    let mut failures = 0u32;
    // The last unclear failure, while it has not been settled by a read.
    let mut unsettled: Option<ApiError> = None;
    loop {
        if let Some(error) = unsettled.take() {
            match look(client, &call.op, tokens).await {
                Look::Done => return Ok(()),
                Look::NotDone => {}
                Look::Unknown(read_error) => {
                    failures += 1;
                    if failures >= attempts || started.elapsed() > policy.max_elapsed {
                        return Err(format!(
                            "{}; the page could not be re-read to check whether it took effect ({read_error}). \
                             Run `socialform plan` to see where things stand",
                            describe(call, &error)
                        ));
                    }
                    tokio::time::sleep(backoff(&policy, failures)).await;
                    unsettled = Some(error);
                    continue;
                }
            }
        }
        let error = match send(client, &call.op, tokens).await? {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        if matches!(error, ApiError::NotFound { .. } | ApiError::Conflict { .. }) {
            // Possibly "already so"; anything else is a real refusal.
            return match look(client, &call.op, tokens).await {
                Look::Done => Ok(()),
                _ => Err(describe(call, &error)),
            };
        }
        if !error.outcome_unknown() {
            return Err(describe(call, &error));
        }
        failures += 1;
        tracing::debug!(
            method = %call.method.as_str(),
            path = %call.path,
            failures,
            error = %error,
            "unclear outcome; re-reading the page before any retry"
        );
        if failures >= attempts || started.elapsed() > policy.max_elapsed {
            // One last look: the final attempt may have worked.
            return match look(client, &call.op, tokens).await {
                Look::Done => Ok(()),
                _ => Err(format!(
                    "{} (gave up after {failures} attempt(s); it may or may not have taken effect: \
                     run `socialform plan` to see where things stand)",
                    describe(call, &error)
                )),
            };
        }
        tokio::time::sleep(backoff(&policy, failures)).await;
        unsettled = Some(error);
    }
}

/// Makes the request once. The outer `Err` is a problem with the plan
/// itself (no token for the page), which no retry can fix.
async fn send(
    client: &Client,
    op: &CallOp,
    tokens: &HashMap<Address, Secret>,
) -> Result<Result<(), ApiError>, String> {
    let token = |address: &Address| {
        tokens
            .get(address)
            .cloned()
            .ok_or_else(|| format!("{address}: no access_token in the configuration"))
    };
    Ok(match op {
        CallOp::Connect {
            page_id,
            name,
            token_from,
            application,
        } => client
            .connect_messenger(&ConnectRequest {
                external_id: page_id.clone(),
                access_token: token(token_from)?,
                name: name.clone(),
                applications: application.iter().cloned().collect(),
            })
            .await
            .map(drop),
        CallOp::Update {
            page_id,
            name,
            token_from,
        } => {
            let access_token = match token_from {
                Some(address) => Some(token(address)?),
                None => None,
            };
            client
                .update_messenger(
                    page_id,
                    &UpdateRequest {
                        access_token,
                        name: name.clone(),
                        applications: None,
                    },
                )
                .await
                .map(drop)
        }
        CallOp::Disconnect { page_id } => client.disconnect_messenger(page_id).await,
        CallOp::Link {
            page_id,
            application,
            channel,
        } => client
            .link_application(channel.as_str(), page_id, application)
            .await
            .map(drop),
        CallOp::Unlink {
            page_id,
            application,
            channel,
        } => {
            client
                .unlink_application(channel.as_str(), page_id, application)
                .await
        }
        // `apply::applications` makes these.
        CallOp::CreateApplication { .. }
        | CallOp::UpdateApplication { .. }
        | CallOp::DeleteApplication { .. } => {
            return Err("internal error: an application call among the accounts' calls".into());
        }
    })
}

fn describe(call: &Call, error: &ApiError) -> String {
    format!("{} {}: {error}", call.method.as_str(), call.path)
}

/// Reads the page or account (the client retries the read itself) and compares.
async fn look(client: &Client, op: &CallOp, tokens: &HashMap<Address, Secret>) -> Look {
    let page = match read_account(client, op.channel(), op.page_id()).await {
        Ok(account) => account,
        Err(error) => return Look::Unknown(error),
    };
    if in_wanted_shape(op, page.as_ref(), tokens) {
        Look::Done
    } else {
        Look::NotDone
    }
}

/// One account; `None` when there is none. RCS accounts have no read path
/// (`GET /rcs/{id}`), so theirs is found in the provider's list.
async fn read_account(
    client: &Client,
    channel: Channel,
    external_id: &str,
) -> Result<Option<Account>, ApiError> {
    if !channel.has_read_path() {
        let accounts = client.list_accounts(Some(channel.as_str())).await?;
        return Ok(accounts.into_iter().find(|a| a.external_id == external_id));
    }
    match client.get_account(channel.as_str(), external_id).await {
        Ok(account) => Ok(Some(account)),
        Err(ApiError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Whether `page` (`None`: not connected) is in the shape `op` was meant to
/// produce.
fn in_wanted_shape(op: &CallOp, page: Option<&Account>, tokens: &HashMap<Address, Secret>) -> bool {
    match (op, page) {
        (CallOp::Disconnect { .. }, page) => page.is_none(),
        // Whatever was linked went with the page; but the plan's next call
        // (a relink's POST) needs the page, so this is not "done".
        (_, None) => false,
        (
            CallOp::Connect {
                name,
                token_from,
                application,
                ..
            },
            Some(page),
        ) => {
            same_token(page, tokens.get(token_from))
                && (name.is_none() || page.name == *name)
                && match application {
                    Some(app) => page.applications == [app.clone()],
                    None => true,
                }
        }
        (
            CallOp::Update {
                name, token_from, ..
            },
            Some(page),
        ) => {
            (name.is_none() || page.name == *name)
                && token_from
                    .as_ref()
                    .is_none_or(|address| same_token(page, tokens.get(address)))
        }
        (CallOp::Link { application, .. }, Some(page)) => {
            page.applications == [application.clone()]
        }
        (CallOp::Unlink { application, .. }, Some(page)) => {
            !page.applications.contains(application)
        }
        (
            CallOp::CreateApplication { .. }
            | CallOp::UpdateApplication { .. }
            | CallOp::DeleteApplication { .. },
            _,
        ) => false,
    }
}

/// Whether the page holds the configured token. A read that carries no
/// token cannot prove a connect or a reconnect took effect, so it counts as
/// "not the same": the call is then repeated (a reconnect is idempotent; a
/// connect answers 409 again and fails clearly rather than be assumed).
fn same_token(page: &Account, wanted: Option<&Secret>) -> bool {
    match (page.access_token.as_ref(), wanted) {
        (Some(actual), Some(wanted)) => {
            constant_time_eq(actual.expose().as_bytes(), wanted.expose().as_bytes())
        }
        _ => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "c0ffee00-0000-4000-8000-000000000001";
    const OTHER: &str = "c0ffee00-0000-4000-8000-000000000002";

    fn address() -> Address {
        "page.support".parse().unwrap()
    }

    fn tokens() -> HashMap<Address, Secret> {
        HashMap::from([(address(), Secret::new("EAAtoken"))])
    }

    fn page(token: Option<&str>, name: Option<&str>, apps: &[&str]) -> Account {
        Account {
            external_id: "1".into(),
            provider: "messenger".into(),
            api_key: "key".into(),
            name: name.map(str::to_string),
            applications: apps.iter().map(|a| a.to_string()).collect(),
            access_token: token.map(Secret::new),
        }
    }

    fn connect(application: Option<&str>) -> CallOp {
        CallOp::Connect {
            page_id: "1".into(),
            name: Some("Support".into()),
            token_from: address(),
            application: application.map(str::to_string),
        }
    }

    #[test]
    fn a_connect_is_done_only_with_our_token_name_and_application() {
        let tokens = tokens();
        let op = connect(Some(APP));
        let ours = page(Some("EAAtoken"), Some("Support"), &[APP]);
        assert!(in_wanted_shape(&op, Some(&ours), &tokens));
        assert!(!in_wanted_shape(&op, None, &tokens));
        // Someone else's connection of the same page is not ours.
        let theirs = page(Some("EAAother"), Some("Support"), &[APP]);
        assert!(!in_wanted_shape(&op, Some(&theirs), &tokens));
        // Connected, but linked elsewhere (or not at all).
        let elsewhere = page(Some("EAAtoken"), Some("Support"), &[OTHER]);
        assert!(!in_wanted_shape(&op, Some(&elsewhere), &tokens));
        let unlinked = page(Some("EAAtoken"), Some("Support"), &[]);
        assert!(!in_wanted_shape(&op, Some(&unlinked), &tokens));
        assert!(in_wanted_shape(&connect(None), Some(&unlinked), &tokens));
        // A read without the token proves nothing.
        let silent = page(None, Some("Support"), &[APP]);
        assert!(!in_wanted_shape(&op, Some(&silent), &tokens));
        let renamed = page(Some("EAAtoken"), Some("Other"), &[APP]);
        assert!(!in_wanted_shape(&op, Some(&renamed), &tokens));
    }

    #[test]
    fn disconnect_is_done_when_the_page_is_gone() {
        let op = CallOp::Disconnect {
            page_id: "1".into(),
        };
        assert!(in_wanted_shape(&op, None, &tokens()));
        let there = page(Some("EAAtoken"), None, &[]);
        assert!(!in_wanted_shape(&op, Some(&there), &tokens()));
    }

    #[test]
    fn link_and_unlink_compare_the_application() {
        let link = CallOp::Link {
            page_id: "1".into(),
            application: APP.into(),
            channel: Channel::Messenger,
        };
        let unlink = CallOp::Unlink {
            page_id: "1".into(),
            application: APP.into(),
            channel: Channel::Messenger,
        };
        let linked = page(Some("t"), None, &[APP]);
        let other = page(Some("t"), None, &[OTHER]);
        let bare = page(Some("t"), None, &[]);
        assert!(in_wanted_shape(&link, Some(&linked), &tokens()));
        // 409 because another application is linked: a real conflict.
        assert!(!in_wanted_shape(&link, Some(&other), &tokens()));
        assert!(!in_wanted_shape(&link, None, &tokens()));
        assert!(in_wanted_shape(&unlink, Some(&bare), &tokens()));
        assert!(in_wanted_shape(&unlink, Some(&other), &tokens()));
        assert!(!in_wanted_shape(&unlink, Some(&linked), &tokens()));
        assert!(!in_wanted_shape(&unlink, None, &tokens()));
    }

    #[test]
    fn update_checks_only_what_it_changes() {
        let rename = CallOp::Update {
            page_id: "1".into(),
            name: Some("New".into()),
            token_from: None,
        };
        let reconnect = CallOp::Update {
            page_id: "1".into(),
            name: None,
            token_from: Some(address()),
        };
        let renamed = page(Some("EAAold"), Some("New"), &[]);
        assert!(in_wanted_shape(&rename, Some(&renamed), &tokens()));
        assert!(!in_wanted_shape(&reconnect, Some(&renamed), &tokens()));
        let fresh = page(Some("EAAtoken"), Some("Old"), &[]);
        assert!(in_wanted_shape(&reconnect, Some(&fresh), &tokens()));
        assert!(!in_wanted_shape(&rename, Some(&fresh), &tokens()));
        assert!(!in_wanted_shape(&rename, None, &tokens()));
    }
}
