//! Turns a non-success answer into a typed `ApiError`.
//!
//! Both APIs answer errors with RFC 7807 problem documents. The External
//! Accounts API lists bad fields under `invalid_params`, the Application API
//! under `invalid_parameters`; both are accepted. A body that is not a problem
//! document still yields an error for its status, never a panic.

use super::error::{ApiError, InvalidParam};
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize, Default)]
struct WireProblem {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    invalid_params: Option<Vec<WireParam>>,
    #[serde(default)]
    invalid_parameters: Option<Vec<WireParam>>,
}

#[derive(Deserialize)]
struct WireParam {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// Longest slice of a non-JSON body quoted in an error, so an HTML error page
/// does not flood the terminal.
const QUOTE_LIMIT: usize = 200;

pub(crate) fn error_from_response(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> ApiError {
    if status == 429 {
        return ApiError::Throttled { retry_after };
    }
    let problem: Option<WireProblem> = serde_json::from_slice(body).ok();
    let parsed = problem.is_some();
    let problem = problem.unwrap_or_default();
    let detail = match (&problem.detail, &problem.title) {
        (Some(d), _) if !d.is_empty() => d.clone(),
        (_, Some(t)) if !t.is_empty() => t.clone(),
        _ if !parsed => quote_body(body),
        _ => String::from("(no detail)"),
    };
    match status {
        500..=599 => ApiError::Server { status, detail },
        // A 4xx whose body is not a problem document cannot be trusted to mean
        // what the status says (often a proxy's HTML page).
        _ if !parsed => ApiError::Decode { status, detail },
        400 => {
            let params = problem
                .invalid_params
                .or(problem.invalid_parameters)
                .unwrap_or_default()
                .into_iter()
                .map(|p| InvalidParam {
                    name: p.name.unwrap_or_default(),
                    reason: p.reason.unwrap_or_default(),
                })
                .collect();
            ApiError::Invalid { detail, params }
        }
        401 => ApiError::Unauthorized { detail },
        403 => ApiError::Forbidden { detail },
        404 => ApiError::NotFound { detail },
        409 => ApiError::Conflict { detail },
        _ => ApiError::UnexpectedStatus { status, detail },
    }
}

fn quote_body(body: &[u8]) -> String {
    if body.is_empty() {
        return String::from("empty body");
    }
    let text = String::from_utf8_lossy(body);
    let mut quoted: String = text.chars().take(QUOTE_LIMIT).collect();
    if text.chars().count() > QUOTE_LIMIT {
        quoted.push('…');
    }
    format!("body is not a problem document: {quoted:?}")
}

/// `Retry-After` as delay-seconds. The HTTP-date form is not used by these
/// APIs; an unreadable value is ignored and the client backs off on its own.
pub(crate) fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_the_parameter_list_are_read() {
        for key in ["invalid_params", "invalid_parameters"] {
            let body = format!(
                r#"{{"title":"Bad","detail":"d","{key}":[{{"name":"page_size","reason":"too big"}}]}}"#
            );
            match error_from_response(400, None, body.as_bytes()) {
                ApiError::Invalid { params, .. } => {
                    assert_eq!(params[0].name, "page_size");
                    assert_eq!(params[0].reason, "too big");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn html_error_pages_do_not_pass_for_problems() {
        let err = error_from_response(404, None, b"<html>nope</html>");
        assert!(
            matches!(err, ApiError::Decode { status: 404, .. }),
            "{err:?}"
        );
        let err = error_from_response(502, None, b"<html>bad gateway</html>");
        assert!(
            matches!(err, ApiError::Server { status: 502, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after(Some(" 3 ")), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
        assert_eq!(parse_retry_after(None), None);
    }
}
