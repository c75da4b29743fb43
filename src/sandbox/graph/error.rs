//! Graph API errors: `{"error": {"message", "type", "code", "error_subcode",
//! "fbtrace_id"}}`, the shape every Graph answer that fails has, and the
//! messages Facebook gives for the token problems socialform must tell apart.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::RngExt;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};

/// Why a token is not usable, with Graph's code 190 subcodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    /// Never issued here (or not a token at all): no subcode.
    Unknown,
    /// Invalidated early, as a password change does: subcode 460.
    Revoked,
    /// Past its `expires_at` (Unix seconds): subcode 463.
    Expired { at: u64, now: u64 },
}

impl TokenProblem {
    pub(crate) fn subcode(&self) -> Option<u32> {
        match self {
            TokenProblem::Unknown => None,
            TokenProblem::Revoked => Some(460),
            TokenProblem::Expired { .. } => Some(463),
        }
    }

    pub(crate) fn message(&self) -> String {
        match self {
            TokenProblem::Unknown => "Invalid OAuth access token - Cannot parse access token".into(),
            TokenProblem::Revoked => "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.".into(),
            TokenProblem::Expired { at, now } => format!(
                "Error validating access token: Session has expired on {}. The current time is {}.",
                facebook_time(*at),
                facebook_time(*now)
            ),
        }
    }
}

/// A Graph error answer. Boxed: handlers return `Result<Value, GraphError>`
/// and the error path is the rare one.
#[derive(Debug)]
pub(crate) struct GraphError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: u32,
    subcode: Option<u32>,
    message: String,
    /// Graph marks throttling and server trouble `is_transient: true`.
    transient: bool,
}

impl GraphError {
    pub(crate) fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        GraphError(Box::new(Inner {
            status,
            code,
            subcode: None,
            message: message.into(),
            transient: false,
        }))
    }

    pub(crate) fn with_subcode(mut self, subcode: u32) -> Self {
        self.0.subcode = Some(subcode);
        self
    }

    fn transient(mut self) -> Self {
        self.0.transient = true;
        self
    }

    /// Code 190: the token cannot be used.
    pub(crate) fn token(problem: &TokenProblem) -> Self {
        let error = GraphError::new(StatusCode::BAD_REQUEST, 190, problem.message());
        match problem.subcode() {
            Some(subcode) => error.with_subcode(subcode),
            None => error,
        }
    }

    /// No token at all on a request that needs one.
    pub(crate) fn no_token(about_me: bool) -> Self {
        if about_me {
            GraphError::new(
                StatusCode::BAD_REQUEST,
                2500,
                "An active access token must be used to query information about the current user.",
            )
        } else {
            GraphError::new(
                StatusCode::BAD_REQUEST,
                104,
                "An access token is required to request this resource.",
            )
        }
    }

    /// Code 100: a parameter Graph does not accept.
    pub(crate) fn param(message: impl Into<String>) -> Self {
        GraphError::new(StatusCode::BAD_REQUEST, 100, message)
    }

    /// An object that does not exist or that the caller may not see; Graph
    /// does not say which.
    pub(crate) fn no_object(id: &str) -> Self {
        GraphError::param(format!(
            "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
        ))
        .with_subcode(33)
    }

    pub(crate) fn unknown_path(method: &str) -> Self {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            2500,
            format!("Unknown path components: unsupported {method} request"),
        )
    }

    /// The injected server failure (code 2, transient).
    pub(crate) fn server() -> Self {
        GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            2,
            "An unexpected error has occurred. Please retry your request later.",
        )
        .transient()
    }

    /// The injected app-level throttling (code 4). Graph answers it with
    /// 403 (the Android SDK's issue #582 logs `HttpStatus: 403, errorCode: 4`).
    pub(crate) fn throttled() -> Self {
        GraphError::new(
            StatusCode::FORBIDDEN,
            4,
            "(#4) Application request limit reached",
        )
        .transient()
    }

    /// Page-level throttling (code 32): the page's business-use-case
    /// budget is spent. Graph answers it like code 4, with 403.
    pub(crate) fn page_throttled() -> Self {
        GraphError::new(
            StatusCode::FORBIDDEN,
            32,
            "(#32) Page request limit reached",
        )
        .transient()
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.0.status
    }

    #[cfg(test)]
    pub(crate) fn code(&self) -> u32 {
        self.0.code
    }

    /// The document; `error_subcode` only when there is one, as Graph does.
    pub(crate) fn body(&self) -> Value {
        let inner = &self.0;
        let mut error = json!({
            "message": inner.message,
            "type": "OAuthException",
            "code": inner.code,
            "fbtrace_id": fbtrace_id(),
        });
        if let Some(subcode) = inner.subcode {
            error["error_subcode"] = json!(subcode);
        }
        if inner.transient {
            error["is_transient"] = json!(true);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut response = (self.0.status, axum::Json(self.body())).into_response();
        if self.0.code == 4 {
            // How close the app is to its limit: all the way.
            response.headers_mut().insert(
                "x-app-usage",
                HeaderValue::from_static(
                    r#"{"call_count":100,"total_cputime":100,"total_time":100}"#,
                ),
            );
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// Graph's trace ids: 11 or so characters, different on every answer.
fn fbtrace_id() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(11)
        .map(char::from)
        .collect()
}

/// `Tuesday, 14-Jan-25 10:00:00 UTC`, the layout of Facebook's expiry
/// messages (which it writes in Pacific time; the sandbox says UTC).
pub(crate) fn facebook_time(unix: u64) -> String {
    const WEEKDAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[((days + 4) % 7) as usize];
    format!(
        "{weekday}, {day:02}-{}-{:02} {:02}:{:02}:{:02} UTC",
        MONTHS[(month - 1) as usize],
        year % 100,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// (year, month 1..=12, day 1..=31) of a day count since 1970-01-01, by the
/// usual era arithmetic: 400-year eras of 146,097 days, years starting in
/// March so the leap day falls at the end.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facebook_time_names_the_day_in_facebook_layout() {
        assert_eq!(facebook_time(0), "Thursday, 01-Jan-70 00:00:00 UTC");
        // 2024-02-29 12:34:56 UTC, a leap day.
        assert_eq!(
            facebook_time(1_709_210_096),
            "Thursday, 29-Feb-24 12:34:56 UTC"
        );
        // 2025-01-14 10:00:00 UTC.
        assert_eq!(
            facebook_time(1_736_848_800),
            "Tuesday, 14-Jan-25 10:00:00 UTC"
        );
        // 2000-12-31 23:59:59 UTC.
        assert_eq!(facebook_time(978_307_199), "Sunday, 31-Dec-00 23:59:59 UTC");
    }

    #[test]
    fn token_errors_carry_graph_codes_and_subcodes() {
        let unknown = GraphError::token(&TokenProblem::Unknown).body();
        assert_eq!(unknown["error"]["code"], 190);
        assert!(unknown["error"].get("error_subcode").is_none());
        assert_eq!(
            unknown["error"]["message"],
            "Invalid OAuth access token - Cannot parse access token"
        );
        assert_eq!(unknown["error"]["type"], "OAuthException");
        assert!(unknown["error"]["fbtrace_id"].as_str().unwrap().len() >= 8);

        let revoked = GraphError::token(&TokenProblem::Revoked).body();
        assert_eq!(revoked["error"]["error_subcode"], 460);

        let expired = GraphError::token(&TokenProblem::Expired { at: 0, now: 86_400 }).body();
        assert_eq!(expired["error"]["error_subcode"], 463);
        assert_eq!(
            expired["error"]["message"],
            "Error validating access token: Session has expired on Thursday, 01-Jan-70 00:00:00 UTC. The current time is Friday, 02-Jan-70 00:00:00 UTC."
        );

        let throttled = GraphError::throttled();
        assert_eq!(throttled.status(), StatusCode::FORBIDDEN);
        assert_eq!(throttled.body()["error"]["is_transient"], true);
    }
}
