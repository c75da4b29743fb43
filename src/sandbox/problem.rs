//! RFC 7807 problem documents, in the shapes the two Vonage APIs use.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const ERRORS: &str = "https://developer.vonage.com/api-errors";

/// Boxed so that `Result<_, Problem>` stays small on the success path.
#[derive(Debug)]
pub(crate) struct Problem(Box<Doc>);

#[derive(Debug)]
struct Doc {
    status: StatusCode,
    kind: &'static str,
    title: String,
    detail: String,
    /// (name of the list field, [(name, reason)]); the External Accounts API
    /// calls the list `invalid_params`, the Application API `invalid_parameters`.
    params: Option<(&'static str, Vec<(String, String)>)>,
    retry_after: Option<u64>,
    /// The `Allow` header of a 405.
    allow: Option<&'static str>,
}

impl Problem {
    fn new(status: StatusCode, kind: &'static str, title: &str, detail: impl Into<String>) -> Self {
        Problem(Box::new(Doc {
            status,
            kind,
            title: title.to_owned(),
            detail: detail.into(),
            params: None,
            retry_after: None,
            allow: None,
        }))
    }

    pub(crate) fn unauthorized() -> Self {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorised",
            "Request header 'Authorization' missing / Invalid Token",
        )
    }

    pub(crate) fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::FORBIDDEN, "Forbidden", "Forbidden", detail)
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "NotFound", "Not Found", detail)
    }

    pub(crate) fn conflict(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::CONFLICT,
            "Conflict",
            "Application conflict",
            detail,
        )
    }

    pub(crate) fn method_not_allowed() -> Self {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Method Not Allowed",
            "This method is not supported for this resource",
        )
    }

    /// 405 for a path that exists with other methods, named in `Allow`.
    pub(crate) fn method_not_allowed_allowing(allow: &'static str) -> Self {
        let mut p = Problem::method_not_allowed();
        p.0.allow = Some(allow);
        p
    }

    /// External Accounts API validation failure.
    pub(crate) fn invalid_params(params: Vec<(String, String)>) -> Self {
        let mut p = Problem::new(
            StatusCode::BAD_REQUEST,
            "InvalidParams",
            "Your request parameters didn't validate.",
            format!(
                "Found errors validating {} of your submitted parameters.",
                params.len()
            ),
        );
        p.0.params = Some(("invalid_params", params));
        p
    }

    /// Application API v2 validation failure.
    pub(crate) fn invalid_parameters(params: Vec<(String, String)>) -> Self {
        let mut p = Problem::new(
            StatusCode::BAD_REQUEST,
            "Validation",
            "Bad Request",
            "The request failed due to validation errors",
        );
        p.0.params = Some(("invalid_parameters", params));
        p
    }

    /// A 429, with `Retry-After` when `retry_after_secs` is given.
    pub(crate) fn throttled(retry_after_secs: Option<u64>) -> Self {
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Throttled",
            "throttled",
            "Too many requests; retry later",
        );
        p.0.retry_after = retry_after_secs;
        p
    }

    pub(crate) fn unavailable() -> Self {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Service Unavailable",
            "Injected fault: the request was not processed",
        )
    }

    pub(crate) fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "Internal Server Error",
            "Injected fault: the outcome is unknown",
        )
    }

    pub(crate) fn body(&self) -> Value {
        let doc = &self.0;
        let mut body = json!({
            "type": format!("{ERRORS}#{}", doc.kind),
            "title": doc.title,
            "detail": doc.detail,
            "instance": uuid::Uuid::new_v4().to_string(),
        });
        if let Some((field, params)) = &doc.params {
            body[*field] = params
                .iter()
                .map(|(name, reason)| json!({ "name": name, "reason": reason }))
                .collect();
        }
        body
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (self.0.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.0.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(allow) = self.0.allow {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// Handlers answer either a success response or a problem.
pub(crate) type Answer = Result<Response, Problem>;
