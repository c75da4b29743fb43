//! The pure parts of speaking Graph: which paths are Graph's, `fields`,
//! cursors and page windows, and the query string as the request log keeps
//! it (tokens redacted).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A Graph path, with any `/vNN.N` prefix taken off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GraphPath {
    /// `/` — the batch endpoint.
    Root,
    Me,
    MeAccounts,
    DebugToken,
    /// `/{id}` with a numeric id.
    Node(String),
    /// `/dialog/oauth`: Facebook Login's page (www.facebook.com's, served
    /// here beside Graph).
    Dialog,
    /// `/oauth/access_token`: codes and tokens exchanged for tokens.
    OAuthAccessToken,
    /// `/device/login` and `/device/login_status`: Login for Devices.
    DeviceLogin,
    DeviceLoginStatus,
    /// `/device`: where the person enters a device's code.
    DevicePage,
    /// Anything else under a version prefix: Graph's, but unknown.
    Unknown,
}

impl GraphPath {
    /// Facebook Login's paths, which `login.rs` serves.
    pub(crate) fn is_login(&self) -> bool {
        matches!(
            self,
            GraphPath::Dialog
                | GraphPath::OAuthAccessToken
                | GraphPath::DeviceLogin
                | GraphPath::DeviceLoginStatus
                | GraphPath::DevicePage
        )
    }
}

/// Whether `path` is a version segment like `v23.0`.
fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    !major.is_empty()
        && !minor.is_empty()
        && major.bytes().all(|b| b.is_ascii_digit())
        && minor.bytes().all(|b| b.is_ascii_digit())
}

/// The Graph path a request addresses, or `None` for the Vonage side.
/// Without a version prefix only the known Graph paths are Graph's (the
/// Vonage paths live beside them); under one, every path is.
pub(crate) fn classify(path: &str) -> Option<GraphPath> {
    let mut rest = path.strip_prefix('/')?;
    let versioned = match rest.split_once('/') {
        Some((first, tail)) if is_version(first) => {
            rest = tail;
            true
        }
        None if is_version(rest) => {
            rest = "";
            true
        }
        _ => false,
    };
    let known = match rest {
        "" => Some(GraphPath::Root),
        "me" => Some(GraphPath::Me),
        "me/accounts" => Some(GraphPath::MeAccounts),
        "debug_token" => Some(GraphPath::DebugToken),
        "dialog/oauth" => Some(GraphPath::Dialog),
        "oauth/access_token" => Some(GraphPath::OAuthAccessToken),
        "device/login" => Some(GraphPath::DeviceLogin),
        "device/login_status" => Some(GraphPath::DeviceLoginStatus),
        "device" => Some(GraphPath::DevicePage),
        id if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            Some(GraphPath::Node(id.to_owned()))
        }
        _ => None,
    };
    match known {
        Some(path) => Some(path),
        None if versioned => Some(GraphPath::Unknown),
        None => None,
    }
}

/// The names in a `fields` parameter, in order, without blanks; `None`
/// when the parameter is absent.
pub(crate) fn fields(raw: Option<&str>) -> Option<Vec<String>> {
    raw.map(|raw| {
        raw.split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

/// Query parameters whose values are secrets.
const SECRET_PARAMS: &[&str] = &[
    "access_token",
    "input_token",
    "fb_exchange_token",
    "client_secret",
    "appsecret_proof",
    "code",
    "login_as",
];

/// The raw query with the value of every secret parameter replaced by
/// `REDACTED`, everything else as it came. A piece whose name cannot be
/// decoded is redacted whole: better a useless log entry than a leak.
pub(crate) fn redact_query(query: &str) -> String {
    if query.is_empty() {
        return String::new();
    }
    query
        .split('&')
        .map(|piece| {
            let raw_name = piece.split_once('=').map_or(piece, |(name, _)| name);
            match serde_urlencoded::from_str::<Vec<(String, String)>>(raw_name) {
                Ok(pairs) => {
                    let name = pairs.first().map(|(n, _)| n.as_str()).unwrap_or("");
                    if SECRET_PARAMS.contains(&name) {
                        format!("{raw_name}=REDACTED")
                    } else {
                        piece.to_owned()
                    }
                }
                Err(_) => "REDACTED".to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) fn cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

pub(crate) fn cursor_id(cursor: &str) -> Option<String> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(cursor.as_bytes()).ok()?).ok()
}

/// The slice of `ids` one page shows: `limit` items after the `after`
/// cursor's item, or before the `before` cursor's item, or from the start.
/// `None` when a cursor names no item of the list.
pub(crate) fn window(
    ids: &[&str],
    limit: usize,
    after: Option<&str>,
    before: Option<&str>,
) -> Option<std::ops::Range<usize>> {
    let position = |cursor: &str| {
        let id = cursor_id(cursor)?;
        ids.iter().position(|i| *i == id)
    };
    if let Some(after) = after {
        let start = position(after)? + 1;
        Some(start..(start + limit).min(ids.len()))
    } else if let Some(before) = before {
        let end = position(before)?;
        Some(end.saturating_sub(limit)..end)
    } else {
        Some(0..limit.min(ids.len()))
    }
}

/// `pairs` without any paging cursor, plus `(cursor_name, cursor)`, as a
/// query string: the same request, one page further.
pub(crate) fn with_cursor(pairs: &[(String, String)], cursor_name: &str, cursor: &str) -> String {
    let mut next: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| k != "after" && k != "before")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    next.push((cursor_name, cursor));
    serde_urlencoded::to_string(next).expect("string pairs encode")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_paths_with_and_without_a_version() {
        for prefix in ["", "/v23.0", "/v2.12"] {
            assert_eq!(classify(&format!("{prefix}/me")), Some(GraphPath::Me));
            assert_eq!(
                classify(&format!("{prefix}/me/accounts")),
                Some(GraphPath::MeAccounts)
            );
            assert_eq!(
                classify(&format!("{prefix}/debug_token")),
                Some(GraphPath::DebugToken)
            );
            assert_eq!(
                classify(&format!("{prefix}/107900000000001")),
                Some(GraphPath::Node("107900000000001".into()))
            );
            assert_eq!(classify(&format!("{prefix}/")), Some(GraphPath::Root));
        }
        assert_eq!(classify("/v23.0"), Some(GraphPath::Root));
        assert_eq!(classify("/v23.0/me/feed"), Some(GraphPath::Unknown));
        // The Vonage side's paths stay the Vonage side's.
        for vonage in [
            "/v2/applications",
            "/v2/applications/x",
            "/beta/chatapp-accounts",
            "/no/such/path",
            "/_sandbox/requests",
            "/me/feed",
            "/v2",
            "/v.1/me",
        ] {
            assert_eq!(classify(vonage), None, "{vonage}");
        }
    }

    #[test]
    fn fields_are_split_and_trimmed() {
        assert_eq!(fields(None), None);
        assert_eq!(
            fields(Some("id, name,,access_token")),
            Some(vec!["id".into(), "name".into(), "access_token".into()])
        );
    }

    #[test]
    fn redaction_hides_every_secret_value_and_keeps_the_rest() {
        assert_eq!(
            redact_query("fields=id%2Cname&access_token=EAAsecret&limit=5"),
            "fields=id%2Cname&access_token=REDACTED&limit=5"
        );
        assert_eq!(
            redact_query("input_token=EAAx&access_token=1%7C2"),
            "input_token=REDACTED&access_token=REDACTED"
        );
        // An encoded name is still recognised; a bare name still redacted.
        assert_eq!(
            redact_query("access%5Ftoken=EAAx&access_token"),
            "access%5Ftoken=REDACTED&access_token=REDACTED"
        );
        assert_eq!(redact_query(""), "");
        assert_eq!(redact_query("limit=2"), "limit=2");
    }

    #[test]
    fn windows_follow_cursors_both_ways() {
        let ids = ["a", "b", "c", "d", "e"];
        assert_eq!(window(&ids, 2, None, None), Some(0..2));
        assert_eq!(window(&ids, 2, Some(&cursor("b")), None), Some(2..4));
        assert_eq!(window(&ids, 2, Some(&cursor("d")), None), Some(4..5));
        assert_eq!(window(&ids, 2, Some(&cursor("e")), None), Some(5..5));
        assert_eq!(window(&ids, 2, None, Some(&cursor("b"))), Some(0..1));
        assert_eq!(window(&ids, 2, None, Some(&cursor("e"))), Some(2..4));
        assert_eq!(window(&ids, 9, None, None), Some(0..5));
        assert_eq!(window(&ids, 2, Some(&cursor("zz")), None), None);
        assert_eq!(window(&ids, 2, Some("!!"), None), None);
        assert_eq!(
            cursor_id(&cursor("107900000000001")).as_deref(),
            Some("107900000000001")
        );
    }

    #[test]
    fn the_next_query_replaces_the_cursor() {
        let pairs = vec![
            ("fields".to_string(), "id,name".to_string()),
            ("before".to_string(), "x".to_string()),
            ("limit".to_string(), "2".to_string()),
        ];
        assert_eq!(
            with_cursor(&pairs, "after", "YQ"),
            "fields=id%2Cname&limit=2&after=YQ"
        );
    }
}
