//! Facebook in a run: the page tokens `/me/accounts` supplies to pages that
//! configure none, the pages `data "facebook_pages"` exposes, and the health
//! of the tokens Vonage holds and of those about to be sent.
//!
//! Order within a command: load the configuration (data sources unknown);
//! read `managed_pages` (one paginated `/me/accounts` walk, only when
//! something needs it) while refresh reads the Vonage side, keeping the
//! tokens it returns; `complete` the configuration with Facebook's answer
//! (loaded again only when a data source was used); `check_health`
//! (batches of at most 50); drop every token read; plan; then
//! `refuse_invalid_sends` before any call.

use crate::actual::{Actual, TokenReport};
use crate::address::Address;
use crate::config::{CliVar, FacebookPage};
use crate::desired::Desired;
use crate::facebook::{
    GraphClient, ManagedPage, NEEDED_PERMISSIONS, TokenCheck, TokenHealth, check_tokens,
};
use crate::plan::{CallOp, Plan};
use crate::secret::Secret;
use crate::state::{Fingerprinter, Recorded};
use crate::workspace::{FacebookSide, Workspace};
use anyhow::{Context, bail};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Tasks that let a page token message through the page.
const MESSAGING_TASKS: &[&str] = &["MESSAGING", "MANAGE"];

/// The pages the user token manages, when the configuration needs them:
/// for a data source, or for pages that take their token from Facebook.
/// `drift` can do without those tokens (`tokens_optional`): without a user
/// token it reads nothing.
pub async fn managed_pages(
    desired: &Desired,
    facebook: Option<&FacebookSide>,
    tokens_optional: bool,
) -> anyhow::Result<Option<Vec<ManagedPage>>> {
    let for_data = desired.needs_facebook_pages;
    let for_tokens = desired.pages.iter().any(|p| p.token_from_facebook);
    if !for_data && !for_tokens {
        return Ok(None);
    }
    let client = facebook
        .map(|side| &side.client)
        .filter(|client| client.has_user_token());
    let Some(client) = client else {
        if for_data || !tokens_optional {
            bail!("{}", no_user_token(desired));
        }
        return Ok(None);
    };
    read_pages(client).await.map(Some)
}

/// What refresh read from both sides, to settle after it.
pub struct Read<'a> {
    pub side: Option<&'a FacebookSide>,
    /// What `/me/accounts` listed, if it was read.
    pub managed: Option<&'a [ManagedPage]>,
    /// The tokens Vonage holds, by page ID (empty unless health is checked).
    pub held: BTreeMap<String, Secret>,
    /// Ask Facebook about the tokens (refresh ran, and a side exists).
    pub check: bool,
    /// `drift`: a token variable left unset is not an error.
    pub tokens_optional: bool,
}

/// After refresh, for every command that reads both sides: the
/// configuration `complete`d with Facebook's answer and, when asked, the
/// tokens' health in `actual.tokens`. The tokens read from Vonage end
/// here: `read.held` is dropped (and wiped) before this returns.
pub async fn settle(
    workspace: &Workspace,
    vars: Vec<CliVar>,
    desired: Desired,
    read: Read<'_>,
    recorded: &Recorded,
    actual: &mut Actual,
    fingerprinter: &Fingerprinter,
) -> anyhow::Result<Desired> {
    let desired = complete(workspace, vars, desired, read.managed, read.tokens_optional)?;
    if let (true, Some(side)) = (read.check, read.side) {
        let report =
            check_health(side, &desired, recorded, actual, &read.held, fingerprinter).await?;
        actual.tokens = Some(report);
    }
    drop(read.held);
    Ok(desired)
}

/// Every page the user token manages (for `tokens`, which lists the ones
/// not connected).
pub async fn list_pages(side: &FacebookSide) -> anyhow::Result<Vec<ManagedPage>> {
    read_pages(&side.client).await
}

async fn read_pages(client: &GraphClient) -> anyhow::Result<Vec<ManagedPage>> {
    client
        .managed_pages()
        .await
        .context("could not list the pages the Facebook user token manages (GET /me/accounts)")
}

/// Why there is nothing to ask Facebook with, naming what needs it.
fn no_user_token(desired: &Desired) -> String {
    let first = desired.pages.iter().find(|p| p.token_from_facebook);
    let what = match first {
        Some(page) => format!(
            "{}: {} has no access_token, so its token must come from Facebook",
            page.location, page.address
        ),
        None => "data \"facebook_pages\" lists the pages a Facebook user manages".to_string(),
    };
    format!(
        "{what}, but there is no Facebook user token: set user_token in a provider \"facebook\" \
         block (from a sensitive variable) or FACEBOOK_USER_TOKEN, with a long-lived user or \
         system-user token that has {NEEDED_PERMISSIONS} (or give the page an access_token)"
    )
}

/// The configuration completed with Facebook's answer: loaded again with
/// the data sources known when they were used, and every page without an
/// `access_token` given its page token. A page the user cannot manage is
/// an error at its block.
fn complete(
    workspace: &Workspace,
    vars: Vec<CliVar>,
    mut desired: Desired,
    managed: Option<&[ManagedPage]>,
    allow_unknown_tokens: bool,
) -> anyhow::Result<Desired> {
    let Some(managed) = managed else {
        return Ok(desired);
    };
    if desired.needs_facebook_pages {
        let pages: Vec<FacebookPage> = managed
            .iter()
            .map(|p| FacebookPage {
                id: p.id.clone(),
                name: p.name.clone(),
                tasks: p.tasks.clone(),
            })
            .collect();
        desired = workspace.load_config_with(vars, allow_unknown_tokens, Some(Arc::new(pages)))?;
    }
    let by_id: HashMap<&str, &ManagedPage> = managed.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut problems = Vec::new();
    for page in desired.pages.iter_mut().filter(|p| p.token_from_facebook) {
        let problem = match by_id.get(page.page_id.as_str()) {
            None => format!(
                "the Facebook user token cannot manage page {}: it is not among the {} page(s) \
                 GET /me/accounts lists. The user needs a role on the page with the MESSAGING \
                 or MANAGE task, and the token needs {NEEDED_PERMISSIONS}",
                page.page_id,
                managed.len()
            ),
            Some(found) if !can_message(found) => format!(
                "the Facebook user cannot message through page {}: its tasks on the page are \
                 {}, and the MESSAGING (or MANAGE) task is missing; give the user that task in \
                 the page's settings",
                page.page_id,
                if found.tasks.is_empty() {
                    "none".to_string()
                } else {
                    found.tasks.join(", ")
                }
            ),
            Some(found) => match &found.access_token {
                Some(token) => {
                    page.access_token = Some(token.clone());
                    continue;
                }
                None => format!(
                    "Facebook listed page {} without its access token: the user token lacks \
                     {NEEDED_PERMISSIONS}",
                    page.page_id
                ),
            },
        };
        problems.push(format!("{}: {}: {problem}", page.location, page.address));
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(desired)
}

fn can_message(page: &ManagedPage) -> bool {
    // Graph omits `tasks` for some token types; then only the token's
    // health check can tell.
    page.tasks.is_empty()
        || page
            .tasks
            .iter()
            .any(|t| MESSAGING_TASKS.contains(&t.as_str()))
}

/// Asks Facebook about the tokens Vonage holds for managed pages (in
/// configuration or state) and about every configured token that differs
/// from the one held (or whose page is not connected): those are the
/// tokens a connect or reconnect would send. Each distinct (token, page)
/// pair is asked once.
async fn check_health(
    facebook: &FacebookSide,
    desired: &Desired,
    recorded: &Recorded,
    actual: &Actual,
    held: &BTreeMap<String, Secret>,
    fingerprinter: &Fingerprinter,
) -> anyhow::Result<TokenReport> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut report = TokenReport {
        expiring_before: now + i64::from(facebook.warning_days) * 86_400,
        expiry_known: facebook.client.has_app_credentials(),
        ..TokenReport::default()
    };
    let mut checks: Vec<TokenCheck> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut ask = |token: &Secret, page_id: &str| -> usize {
        let key = (fingerprinter.fingerprint(token), page_id.to_string());
        *index.entry(key).or_insert_with(|| {
            checks.push(TokenCheck {
                token: token.clone(),
                page_id: page_id.to_string(),
            });
            checks.len() - 1
        })
    };
    let managed_ids: std::collections::BTreeSet<&str> = desired
        .pages
        .iter()
        .map(|p| p.page_id.as_str())
        .chain(recorded.pages.values().map(|p| p.page_id.as_str()))
        .collect();
    let held_asked: Vec<(String, usize)> = held
        .iter()
        .filter(|(id, _)| managed_ids.contains(id.as_str()))
        .map(|(id, token)| (id.clone(), ask(token, id)))
        .collect();
    let mut replacements_asked: Vec<(Address, usize)> = Vec::new();
    for page in &desired.pages {
        let Some(token) = &page.access_token else {
            continue;
        };
        let held_fp = actual
            .pages
            .get(&page.page_id)
            .and_then(|p| p.token_fingerprint.as_ref());
        if held_fp != Some(&fingerprinter.fingerprint(token)) {
            replacements_asked.push((page.address.clone(), ask(token, &page.page_id)));
        }
    }
    if checks.is_empty() {
        return Ok(report);
    }
    let verdicts = check_tokens(&facebook.client, &checks)
        .await
        .context("could not check the page tokens with Facebook")?;
    drop(checks);
    report.held = held_asked
        .into_iter()
        .map(|(id, i)| (id, verdicts[i].clone()))
        .collect();
    report.replacements = replacements_asked
        .into_iter()
        .map(|(address, i)| (address, verdicts[i].clone()))
        .collect();
    Ok(report)
}

/// A token about to be sent (in a connect or reconnect) that Facebook
/// called invalid stops the run before any call, naming the page.
pub fn refuse_invalid_sends(plan: &Plan, desired: &Desired, actual: &Actual) -> anyhow::Result<()> {
    let Some(report) = &actual.tokens else {
        return Ok(());
    };
    let mut problems = Vec::new();
    for call in &plan.calls {
        let from = match &call.op {
            CallOp::Connect { token_from, .. } => Some(token_from),
            CallOp::Update { token_from, .. } => token_from.as_ref(),
            _ => None,
        };
        let Some(address) = from else { continue };
        let Some(TokenHealth::Invalid { reason }) = report.replacements.get(address) else {
            continue;
        };
        let page = desired.pages.iter().find(|p| &p.address == address);
        let at = page
            .map(|p| format!("{}: ", p.location))
            .unwrap_or_default();
        let fix = if page.is_some_and(|p| p.token_from_facebook) {
            "the Facebook user must log in again so that /me/accounts hands out a valid page token"
        } else {
            "set a valid page access token for it"
        };
        problems.push(format!(
            "{at}{address}: the access token about to be sent is invalid: {reason}; {fix}"
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    bail!(
        "{}\nNothing was changed: Facebook called the token(s) above invalid before any call was made.",
        problems.join("\n")
    )
}
