//! API endpoint values: the defaults, the word that selects the built-in
//! emulator, and what to write instead of an endpoint that is not an
//! http(s) URL. Read by `config` (validate reports a provider block's
//! endpoint) and `session` (which connects); depends on nothing else.

/// The Vonage API's endpoint when none is configured.
pub(crate) const DEFAULT_VONAGE: &str = "https://api.nexmo.com";

/// The `endpoint` value that selects the built-in emulator.
pub(crate) const SANDBOX: &str = "sandbox";

/// `None` when `endpoint` is an http(s) URL with a host; otherwise the URL
/// to write instead (the endpoint with `http://` in front, when it looks
/// like `HOST:PORT`: `127.0.0.1:8481` is read as a URL of scheme
/// `127.0.0.1`, or of none).
pub(crate) fn fix(endpoint: &str) -> Option<String> {
    let trimmed = endpoint.trim();
    let has_scheme = ["http://", "https://"].iter().any(|scheme| {
        trimmed
            .get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    });
    let parsed = reqwest::Url::parse(trimmed).ok();
    if has_scheme && parsed.as_ref().is_some_and(|url| url.has_host()) {
        return None;
    }
    Some(if trimmed.contains("://") || trimmed.is_empty() {
        "http://127.0.0.1:8480".to_string()
    } else {
        format!("http://{}", trimmed.trim_start_matches('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::fix;

    #[test]
    fn urls_pass_and_host_port_gets_a_scheme() {
        assert_eq!(fix("https://api.nexmo.com"), None);
        assert_eq!(fix("HTTP://127.0.0.1:8480/"), None);
        assert_eq!(
            fix("127.0.0.1:8481").as_deref(),
            Some("http://127.0.0.1:8481")
        );
        assert_eq!(fix("ftp://x").as_deref(), Some("http://127.0.0.1:8480"));
        assert_eq!(fix("").as_deref(), Some("http://127.0.0.1:8480"));
    }
}
