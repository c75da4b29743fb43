//! Reading requests leniently: JSON bodies and query strings that fail to
//! parse become problem documents, never axum's plain-text rejections.

use super::problem::Problem;
use axum::http::HeaderMap;
use axum::http::header::HOST;
use serde_json::{Map, Value};

/// The body as a JSON object; anything else is a 400 with the given flavour
/// of problem document.
pub(crate) fn json_object(
    body: &[u8],
    invalid: fn(Vec<(String, String)>) -> Problem,
) -> Result<Map<String, Value>, Problem> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid(vec![(
            "body".into(),
            "The request body must be a JSON object".into(),
        )])),
        Err(e) => Err(invalid(vec![(
            "body".into(),
            format!("The request body is not valid JSON: {e}"),
        )])),
    }
}

pub(crate) fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, Problem> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|_| {
        Problem::invalid_params(vec![(
            "query".into(),
            "The query string could not be read".into(),
        )])
    })
}

pub(crate) fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A positive integer parameter within `1..=max`, or `default` when absent.
pub(crate) fn bounded_number(
    pairs: &[(String, String)],
    key: &str,
    default: u32,
    max: u32,
) -> Result<u32, (String, String)> {
    let Some(raw) = query_value(pairs, key) else {
        return Ok(default);
    };
    match raw.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err((
            key.to_owned(),
            format!("Must be an integer between 1 and {max}"),
        )),
    }
}

/// `http://HOST` as the client addressed us, for absolute `_links`.
pub(crate) fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// An optional string field; `Err` names the field when it has another type.
pub(crate) fn optional_string(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, (String, String)> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err((key.to_owned(), format!("`{key}` must be a string"))),
    }
}

/// An optional string field that, when present, must be a string: the
/// External Accounts spec declares no field nullable, so `null` is a value
/// of the wrong type.
pub(crate) fn present_string(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, (String, String)> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err((key.to_owned(), format!("`{key}` must be a string"))),
    }
}

/// An optional array of strings; `null` is not an array.
pub(crate) fn optional_strings(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<Vec<String>>, (String, String)> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| {
                (
                    key.to_owned(),
                    format!("`{key}` must be an array of strings"),
                )
            }),
        Some(_) => Err((
            key.to_owned(),
            format!("`{key}` must be an array of strings"),
        )),
    }
}
