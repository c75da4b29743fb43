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
/// order. Needs app credentials or a user token (the batch's own token when
/// each item carries its page token); callers check `can_check`.
pub(crate) async fn check_tokens(
    client: &GraphClient,
    checks: &[TokenCheck],
) -> Result<Vec<TokenHealth>, GraphError> {
    let mut verdicts = Vec::with_capacity(checks.len());
    for chunk in checks.chunks(BATCH_LIMIT) {
        verdicts.extend(check_chunk(client, chunk).await?);
    }
    Ok(verdicts)
}

async fn check_chunk(
    client: &GraphClient,
    chunk: &[TokenCheck],
) -> Result<Vec<TokenHealth>, GraphError> {
    let app_token = client.app_token();
    let urls: Vec<Secret> = chunk
        .iter()
        .map(|c| {
            let token = url_encode(c.token.expose());
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
        .unwrap_or_else(|| chunk[0].token.clone());
    let mut attempt = 1;
    loop {
        let answers = client.batch(&batch_token, &urls).await?;
        let verdicts: Result<Vec<TokenHealth>, GraphError> = chunk
            .iter()
            .zip(&answers)
            .map(|(check, answer)| verdict(check, answer, app_token.is_some()))
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
        let error: ErrorAnswer =
            serde_json::from_str(body).map_err(|_| undecodable("Graph's error"))?;
        let code = error.error.code.unwrap_or(0);
        let message = error.error.message.unwrap_or_else(|| "(no message)".into());
        if !debug && code == INVALID_TOKEN_CODE {
            return Ok(TokenHealth::Invalid { reason: message });
        }
        return Err(GraphError::Graph {
            status: answer.code,
            code,
            subcode: error.error.error_subcode,
            message: if debug {
                format!("debug_token refused the app credentials ({GRAPH_VERSION}): {message}")
            } else {
                message
            },
            fbtrace_id: error.error.fbtrace_id,
        });
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
    fn tokens_are_encoded_for_a_query() {
        assert_eq!(url_encode("a b&c|d"), "a+b%26c%7Cd");
    }
}
