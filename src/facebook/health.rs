//! Token health: Graph's verdict on each token, asked in batches of at most
//! `BATCH_LIMIT` — `debug_token` with the app's credentials, or, without
//! them, `me?fields=id` with the token itself.

use super::client::{BatchAnswer, GraphClient, GraphError, INVALID_TOKEN_CODE, WireError};
use super::{BATCH_LIMIT, GRAPH_VERSION};
use crate::secret::Secret;
use serde::Deserialize;
use std::time::{Duration, UNIX_EPOCH};

/// One token to check, and the page it should belong to.
#[derive(Clone, Debug)]
pub(crate) struct TokenCheck {
    pub(crate) token: Secret,
    pub(crate) page_id: String,
}

/// Graph's verdict on a token.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub(crate) enum TokenHealth {
    /// `expires_at`: Unix seconds; `None` never expires.
    Valid { expires_at: Option<i64> },
    /// Invalid, expired, or another page's: Facebook's reason, in words.
    Invalid { reason: String },
}

impl TokenHealth {
    pub(crate) fn is_valid(&self) -> bool {
        matches!(self, TokenHealth::Valid { .. })
    }

    /// When it stops working: `Some(None)` never, `None` when invalid.
    pub(crate) fn expiry(&self) -> Option<Option<i64>> {
        match self {
            TokenHealth::Valid { expires_at } => Some(*expires_at),
            TokenHealth::Invalid { .. } => None,
        }
    }

    /// Valid, and expiring before `deadline` (Unix seconds).
    pub(crate) fn expires_before(&self, deadline: i64) -> bool {
        matches!(self, TokenHealth::Valid { expires_at: Some(at) } if *at < deadline)
    }

    /// Whether this token outlives `other` (never expiring outlives all).
    pub(crate) fn outlives(&self, other: &TokenHealth) -> bool {
        match (self.expiry(), other.expiry()) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(None), Some(Some(_))) => true,
            (Some(Some(mine)), Some(Some(theirs))) => mine > theirs,
            (Some(_), Some(None)) => false,
        }
    }
}

/// What Facebook says of the user (or system-user) token: what the run
/// lists pages with, and what the login stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UserTokenHealth {
    Valid(UserToken),
    /// Invalid, expired, or not a user token: Facebook's reason, in words.
    Invalid {
        reason: String,
    },
}

/// A valid user token, as `debug_token` describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct UserToken {
    /// A Business Manager system user's: made for CI, usually never expires.
    pub(crate) system_user: bool,
    pub(crate) user_id: Option<String>,
    /// Unix seconds; `None` never expires (or, without app credentials,
    /// not known: `me` tells no expiry).
    pub(crate) expires_at: Option<i64>,
    /// When the app's access to the user's data ends (Unix seconds).
    pub(crate) data_access_expires_at: Option<i64>,
    /// The permissions granted; `None` when not known (no app credentials).
    pub(crate) scopes: Option<Vec<String>>,
}

/// The permissions a user token needs, and what each one's absence stops.
pub(crate) const USER_PERMISSIONS: &[(&str, &str)] = &[
    (
        "pages_show_list",
        "listing the pages and their page tokens (GET /me/accounts), which pages without \
         access_token and data \"facebook_pages\" need",
    ),
    (
        "pages_messaging",
        "the MESSAGING task: Vonage sending and receiving messages through the page",
    ),
    (
        "pages_manage_metadata",
        "the MANAGE task's webhook subscription: Vonage receiving the page's inbound messages",
    ),
];

impl UserToken {
    /// The needed permissions not granted, with what each blocks; empty
    /// when the scopes are not known.
    pub(crate) fn missing(&self) -> Vec<(&'static str, &'static str)> {
        let Some(scopes) = &self.scopes else {
            return Vec::new();
        };
        USER_PERMISSIONS
            .iter()
            .filter(|(name, _)| !scopes.iter().any(|s| s == name))
            .copied()
            .collect()
    }
}

/// `expires 2026-12-04T10:00:00Z`
pub(crate) fn describe_expiry(expires_at: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(expires_at.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

#[derive(Deserialize)]
struct DebugAnswer {
    data: DebugData,
}

#[derive(Deserialize)]
struct DebugData {
    #[serde(default)]
    is_valid: bool,
    expires_at: Option<i64>,
    data_access_expires_at: Option<i64>,
    user_id: Option<String>,
    scopes: Option<Vec<String>>,
    profile_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    error: Option<WireError>,
}

#[derive(Deserialize)]
struct MeAnswer {
    id: String,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: WireError,
}

/// How many times a batch whose items were throttled is asked again.
const THROTTLED_BATCH_ATTEMPTS: u32 = 4;

/// Checks every token, `BATCH_LIMIT` to a request, and answers in the same
/// order; `user`, when given, is checked in the same batches (the last
/// item), so that watching it costs no request of its own. Needs app
/// credentials or a user token (the batch's own token when each item
/// carries its page token); callers check `can_check`.
pub(crate) async fn check_tokens(
    client: &GraphClient,
    checks: &[TokenCheck],
    user: Option<&Secret>,
) -> Result<(Vec<TokenHealth>, Option<UserTokenHealth>), GraphError> {
    let mut items: Vec<Subject> = checks.iter().map(Subject::Page).collect();
    if let Some(user) = user {
        items.push(Subject::User(user));
    }
    let mut pages = Vec::with_capacity(checks.len());
    let mut user_health = None;
    for chunk in items.chunks(BATCH_LIMIT) {
        for verdict in check_chunk(client, chunk).await? {
            match verdict {
                Verdict::Page(health) => pages.push(health),
                Verdict::User(health) => user_health = Some(health),
            }
        }
    }
    Ok((pages, user_health))
}

/// One item of a batch: a page token (and its page), or the user token.
enum Subject<'a> {
    Page(&'a TokenCheck),
    User(&'a Secret),
}

impl Subject<'_> {
    fn token(&self) -> &Secret {
        match self {
            Subject::Page(check) => &check.token,
            Subject::User(token) => token,
        }
    }
}

enum Verdict {
    Page(TokenHealth),
    User(UserTokenHealth),
}

async fn check_chunk(
    client: &GraphClient,
    chunk: &[Subject<'_>],
) -> Result<Vec<Verdict>, GraphError> {
    let app_token = client.app_token();
    let urls: Vec<Secret> = chunk
        .iter()
        .map(|c| {
            let token = url_encode(c.token().expose());
            Secret::new(match app_token {
                Some(_) => format!("debug_token?input_token={token}"),
                None => format!("me?fields=id&access_token={token}"),
            })
        })
        .collect();
    // Without app credentials every item carries its own token; the batch
    // still needs one of its own: the user token, else the first page token.
    let batch_token = app_token
        .clone()
        .or_else(|| client.user_token().cloned())
        .unwrap_or_else(|| chunk[0].token().clone());
    let mut attempt = 1;
    loop {
        let answers = client.batch(&batch_token, &urls).await?;
        let verdicts: Result<Vec<Verdict>, GraphError> = chunk
            .iter()
            .zip(&answers)
            .map(|(subject, answer)| match subject {
                Subject::Page(check) => {
                    verdict(check, answer, app_token.is_some()).map(Verdict::Page)
                }
                Subject::User(_) => user_verdict(answer, app_token.is_some()).map(Verdict::User),
            })
            .collect();
        match verdicts {
            Err(GraphError::Graph { code, .. })
                if [4, 17, 32, 613].contains(&code) && attempt < THROTTLED_BATCH_ATTEMPTS =>
            {
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A batch item Graph did not answer 200: `Ok(Graph's message)` when the
/// token asked about itself and was refused as invalid (so the token is
/// the problem), else the error (the app credentials, or Graph itself).
fn refused_item(answer: &BatchAnswer, debug: bool) -> Result<String, GraphError> {
    let body = answer.body.as_deref().unwrap_or("");
    let error: ErrorAnswer = serde_json::from_str(body).map_err(|_| GraphError::Decode {
        status: answer.code,
        detail: "a batch item's body is not Graph's error".into(),
    })?;
    let code = error.error.code.unwrap_or(0);
    let message = error.error.message.unwrap_or_else(|| "(no message)".into());
    if !debug && code == INVALID_TOKEN_CODE {
        return Ok(message);
    }
    Err(GraphError::Graph {
        status: answer.code,
        code,
        subcode: error.error.error_subcode,
        message: if debug {
            format!("debug_token refused the app credentials ({GRAPH_VERSION}): {message}")
        } else {
            message
        },
        fbtrace_id: error.error.fbtrace_id,
    })
}

/// The user token's item as a verdict: as `verdict`, but the token must be
/// a user's (or a system user's), and its scopes are kept.
fn user_verdict(answer: &BatchAnswer, debug: bool) -> Result<UserTokenHealth, GraphError> {
    let body = answer.body.as_deref().unwrap_or("");
    let undecodable = |what: &str| GraphError::Decode {
        status: answer.code,
        detail: format!("a batch item's body is not {what}"),
    };
    if answer.code != 200 {
        return refused_item(answer, debug).map(|reason| UserTokenHealth::Invalid { reason });
    }
    if !debug {
        let _: MeAnswer = serde_json::from_str(body).map_err(|_| undecodable("a `me` answer"))?;
        return Ok(UserTokenHealth::Valid(UserToken::default()));
    }
    let data = serde_json::from_str::<DebugAnswer>(body)
        .map_err(|_| undecodable("a debug_token answer"))?
        .data;
    if !data.is_valid {
        let reason = data
            .error
            .and_then(|e| e.message)
            .unwrap_or_else(|| "Facebook says the token is not valid".into());
        return Ok(UserTokenHealth::Invalid { reason });
    }
    let kind = data.kind.unwrap_or_default();
    if kind != "USER" && kind != "SYSTEM_USER" {
        return Ok(UserTokenHealth::Invalid {
            reason: format!(
                "it is a {} token, not a user or system-user token",
                if kind.is_empty() {
                    "non-user".to_string()
                } else {
                    kind.to_lowercase()
                }
            ),
        });
    }
    Ok(UserTokenHealth::Valid(UserToken {
        system_user: kind == "SYSTEM_USER",
        user_id: data.user_id,
        expires_at: data.expires_at.filter(|&at| at > 0),
        data_access_expires_at: data.data_access_expires_at.filter(|&at| at > 0),
        scopes: Some(data.scopes.unwrap_or_default()),
    }))
}

/// One item's answer as a verdict. An item error other than "this token is
/// invalid" (with `me`) is the whole check's failure: the app credentials
/// were refused, or Graph is throttling.
fn verdict(
    check: &TokenCheck,
    answer: &BatchAnswer,
    debug: bool,
) -> Result<TokenHealth, GraphError> {
    let body = answer.body.as_deref().unwrap_or("");
    let undecodable = |what: &str| GraphError::Decode {
        status: answer.code,
        detail: format!("a batch item's body is not {what}"),
    };
    if answer.code != 200 {
        return refused_item(answer, debug).map(|reason| TokenHealth::Invalid { reason });
    }
    if debug {
        let data = serde_json::from_str::<DebugAnswer>(body)
            .map_err(|_| undecodable("a debug_token answer"))?
            .data;
        if !data.is_valid {
            let reason = data
                .error
                .and_then(|e| e.message)
                .unwrap_or_else(|| "Facebook says the token is not valid".into());
            return Ok(TokenHealth::Invalid { reason });
        }
        if data.kind.as_deref().is_some_and(|k| k != "PAGE") {
            return Ok(TokenHealth::Invalid {
                reason: format!(
                    "it is a {} token, not a page token",
                    data.kind.unwrap_or_default().to_lowercase()
                ),
            });
        }
        Ok(belongs(check, data.profile_id.as_deref(), data.expires_at))
    } else {
        let me: MeAnswer = serde_json::from_str(body).map_err(|_| undecodable("a `me` answer"))?;
        // `me` tells no expiry: a valid token is taken as never expiring.
        Ok(belongs(check, Some(&me.id), None))
    }
}

fn belongs(check: &TokenCheck, owner: Option<&str>, expires_at: Option<i64>) -> TokenHealth {
    match owner {
        Some(owner) if owner != check.page_id => TokenHealth::Invalid {
            reason: format!(
                "the token belongs to {owner}, not to page {}",
                check.page_id
            ),
        },
        _ => TokenHealth::Valid {
            expires_at: expires_at.filter(|&at| at > 0),
        },
    }
}

/// Percent-encodes a token for a relative URL's query.
fn url_encode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .expect("a string encodes")
        .trim_start_matches('=')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(page: &str) -> TokenCheck {
        TokenCheck {
            token: Secret::new("EAAtoken"),
            page_id: page.into(),
        }
    }

    fn answer(code: u16, body: &str) -> BatchAnswer {
        BatchAnswer {
            code,
            body: Some(body.into()),
        }
    }

    #[test]
    fn debug_token_answers_become_verdicts() {
        let valid = answer(
            200,
            r#"{"data":{"is_valid":true,"type":"PAGE","expires_at":0,"profile_id":"1"}}"#,
        );
        assert_eq!(
            verdict(&check("1"), &valid, true).unwrap(),
            TokenHealth::Valid { expires_at: None }
        );
        let other_page = verdict(&check("2"), &valid, true).unwrap();
        assert!(
            matches!(other_page, TokenHealth::Invalid { reason } if reason.contains("belongs to 1"))
        );
        let expiring = answer(
            200,
            r#"{"data":{"is_valid":true,"type":"PAGE","expires_at":1800000000,"profile_id":"1"}}"#,
        );
        assert_eq!(
            verdict(&check("1"), &expiring, true).unwrap(),
            TokenHealth::Valid {
                expires_at: Some(1_800_000_000)
            }
        );
        let revoked = answer(
            200,
            r#"{"data":{"is_valid":false,"error":{"code":190,"message":"The session has been invalidated"},"scopes":[]}}"#,
        );
        assert_eq!(
            verdict(&check("1"), &revoked, true).unwrap(),
            TokenHealth::Invalid {
                reason: "The session has been invalidated".into()
            }
        );
        let app_refused = answer(400, r#"{"error":{"message":"Invalid app","code":190}}"#);
        assert!(verdict(&check("1"), &app_refused, true).is_err());
    }

    #[test]
    fn me_answers_become_verdicts() {
        let ok = answer(200, r#"{"id":"1"}"#);
        assert!(verdict(&check("1"), &ok, false).unwrap().is_valid());
        let invalid = answer(
            400,
            r#"{"error":{"message":"Invalid OAuth access token","code":190}}"#,
        );
        assert_eq!(
            verdict(&check("1"), &invalid, false).unwrap(),
            TokenHealth::Invalid {
                reason: "Invalid OAuth access token".into()
            }
        );
        let throttled = answer(400, r#"{"error":{"message":"limit","code":4}}"#);
        assert!(verdict(&check("1"), &throttled, false).is_err());
        assert!(verdict(&check("1"), &answer(200, "<html>"), false).is_err());
    }

    #[test]
    fn expiry_comparisons() {
        let never = TokenHealth::Valid { expires_at: None };
        let soon = TokenHealth::Valid {
            expires_at: Some(100),
        };
        let later = TokenHealth::Valid {
            expires_at: Some(200),
        };
        let dead = TokenHealth::Invalid { reason: "x".into() };
        assert!(never.outlives(&soon) && later.outlives(&soon));
        assert!(!soon.outlives(&later) && !soon.outlives(&never) && !dead.outlives(&soon));
        assert!(soon.outlives(&dead));
        assert!(
            soon.expires_before(150) && !later.expires_before(150) && !never.expires_before(150)
        );
        assert_eq!(describe_expiry(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn user_tokens_become_verdicts_with_what_is_missing() {
        let user = answer(
            200,
            r#"{"data":{"is_valid":true,"type":"USER","expires_at":1800000000,"user_id":"9","scopes":["pages_show_list","public_profile"]}}"#,
        );
        let UserTokenHealth::Valid(info) = user_verdict(&user, true).unwrap() else {
            panic!("valid");
        };
        assert_eq!(info.expires_at, Some(1_800_000_000));
        assert!(!info.system_user);
        let missing: Vec<&str> = info.missing().iter().map(|(name, _)| *name).collect();
        assert_eq!(missing, ["pages_messaging", "pages_manage_metadata"]);
        let system = answer(
            200,
            r#"{"data":{"is_valid":true,"type":"SYSTEM_USER","expires_at":0,"scopes":["pages_show_list","pages_messaging","pages_manage_metadata"]}}"#,
        );
        let UserTokenHealth::Valid(info) = user_verdict(&system, true).unwrap() else {
            panic!("valid");
        };
        assert!(info.system_user && info.expires_at.is_none() && info.missing().is_empty());
        let page = answer(
            200,
            r#"{"data":{"is_valid":true,"type":"PAGE","expires_at":0,"profile_id":"1"}}"#,
        );
        assert!(matches!(
            user_verdict(&page, true).unwrap(),
            UserTokenHealth::Invalid { reason } if reason.contains("page token")
        ));
        let me = user_verdict(&answer(200, r#"{"id":"9"}"#), false).unwrap();
        assert_eq!(me, UserTokenHealth::Valid(UserToken::default()));
    }

    #[test]
    fn tokens_are_encoded_for_a_query() {
        assert_eq!(url_encode("a b&c|d"), "a+b%26c%7Cd");
    }
}
