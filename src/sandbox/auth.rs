//! Basic authentication with the sandbox's API key and secret.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;

pub(crate) fn is_authorized(headers: &HeaderMap, api_key: &str, api_secret: &str) -> bool {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&decoded) else {
        return false;
    };
    match text.split_once(':') {
        Some((key, secret)) => {
            constant_time_eq(key.as_bytes(), api_key.as_bytes())
                & constant_time_eq(secret.as_bytes(), api_secret.as_bytes())
        }
        None => false,
    }
}

/// Comparison whose time does not depend on where the inputs differ; cheap,
/// and keeps the sandbox from teaching bad habits.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn accepts_only_the_configured_pair() {
        let good = base64::engine::general_purpose::STANDARD.encode("key:secret");
        assert!(is_authorized(
            &headers(&format!("Basic {good}")),
            "key",
            "secret"
        ));
        let bad = base64::engine::general_purpose::STANDARD.encode("key:other");
        assert!(!is_authorized(
            &headers(&format!("Basic {bad}")),
            "key",
            "secret"
        ));
        assert!(!is_authorized(&headers("Bearer abc"), "key", "secret"));
        assert!(!is_authorized(&headers("Basic !!!"), "key", "secret"));
        assert!(!is_authorized(&HeaderMap::new(), "key", "secret"));
    }
}
