//! Facebook Login's Graph side, as a terminal program uses it: the dialog's
//! URL, the code exchange, `fb_exchange_token` (a long-lived user token),
//! Login for Devices, and `me` (who logged in). Secrets (the app secret, a
//! code, a token) travel in query strings only where Facebook documents
//! nothing else (`oauth/access_token` is a GET); the client logs paths
//! only, and its errors never carry a URL.

use super::GRAPH_VERSION;
use super::client::{GraphClient, GraphError, bearer};
use crate::secret::Secret;
use reqwest::Url;
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;

/// What `login` asks for: what a page token needs for Vonage to message
/// through the page.
pub(crate) const LOGIN_SCOPES: &[&str] = &[
    "pages_show_list",
    "pages_messaging",
    "pages_manage_metadata",
];

/// Where Facebook's login dialog is, for a Graph endpoint: Facebook's own
/// site for Graph itself, else the endpoint (the sandbox serves both).
pub(crate) fn dialog_base(graph_endpoint: &str) -> String {
    let endpoint = graph_endpoint.trim().trim_end_matches('/');
    if endpoint == super::DEFAULT_GRAPH_ENDPOINT {
        "https://www.facebook.com".to_string()
    } else {
        endpoint.to_string()
    }
}

/// The dialog's URL: the app, where to send the browser back, the `state`
/// that proves the answer is this login's, and the permissions asked.
pub(crate) fn dialog_url(
    base: &str,
    app_id: &str,
    redirect_uri: &str,
    state: &str,
) -> Result<Url, String> {
    let mut url = Url::parse(&format!("{base}/{GRAPH_VERSION}/dialog/oauth"))
        .map_err(|e| format!("invalid endpoint {base}: {e}"))?;
    url.query_pairs_mut()
        .append_pair("client_id", app_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("response_type", "code")
        .append_pair("scope", &LOGIN_SCOPES.join(","));
    Ok(url)
}

/// A user token Facebook handed out. Its `expires_in` is not kept:
/// `debug_token` tells the expiry, and is asked next.
pub(crate) struct NewToken {
    pub(crate) token: Secret,
}

#[derive(Deserialize)]
struct WireToken {
    access_token: String,
}

fn new_token(value: serde_json::Value) -> Result<NewToken, GraphError> {
    let wire: WireToken = serde_json::from_value(value).map_err(|_| GraphError::Decode {
        status: 200,
        detail: "not a token answer (access_token missing)".into(),
    })?;
    Ok(NewToken {
        token: Secret::new(wire.access_token),
    })
}

/// What `device/login` answers: the code to poll with (a secret: whoever
/// holds it gets the token) and what the person is shown.
pub(crate) struct DeviceCode {
    pub(crate) code: Secret,
    pub(crate) user_code: String,
    pub(crate) verification_uri: String,
    pub(crate) expires_in: u64,
    pub(crate) interval: u64,
}

#[derive(Deserialize)]
struct WireDevice {
    code: String,
    user_code: String,
    verification_uri: String,
    expires_in: u64,
    interval: Option<u64>,
}

/// One poll of `device/login_status`.
pub(crate) enum DevicePoll {
    Pending,
    SlowDown,
    Expired,
    Authorized(NewToken),
}

impl GraphClient {
    fn app_or_error(&self) -> Result<&(String, Secret), GraphError> {
        self.app().ok_or_else(|| GraphError::Decode {
            status: 0,
            detail: "no app credentials".into(),
        })
    }

    /// `GET oauth/access_token?grant_type=fb_exchange_token`: a long-lived
    /// user token (about 60 days) for `token`.
    pub(crate) async fn exchange_for_long_lived(
        &self,
        token: &Secret,
    ) -> Result<NewToken, GraphError> {
        let (app_id, secret) = self.app_or_error()?;
        let mut url = self.url("oauth/access_token");
        url.query_pairs_mut()
            .append_pair("grant_type", "fb_exchange_token")
            .append_pair("client_id", app_id)
            .append_pair("client_secret", secret.expose())
            .append_pair("fb_exchange_token", token.expose());
        let url = Secret::new(url.to_string());
        new_token(self.send(|| self.http().get(url.expose())).await?)
    }

    /// `GET oauth/access_token` with the dialog's code: a user token.
    pub(crate) async fn exchange_code(
        &self,
        code: &Secret,
        redirect_uri: &str,
    ) -> Result<NewToken, GraphError> {
        let (app_id, secret) = self.app_or_error()?;
        let mut url = self.url("oauth/access_token");
        url.query_pairs_mut()
            .append_pair("client_id", app_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("client_secret", secret.expose())
            .append_pair("code", code.expose());
        let url = Secret::new(url.to_string());
        // Once: a code is spent by its first exchange, whatever happens.
        new_token(self.send_once(self.http().get(url.expose())).await?)
    }

    /// `GET me?fields=id,name` with `token`: who it speaks for.
    pub(crate) async fn who(&self, token: &Secret) -> Result<(String, Option<String>), GraphError> {
        #[derive(Deserialize)]
        struct Me {
            id: String,
            name: Option<String>,
        }
        let mut url = self.url("me");
        url.query_pairs_mut().append_pair("fields", "id,name");
        let value = self
            .send(|| {
                self.http()
                    .get(url.clone())
                    .header(AUTHORIZATION, bearer(token))
            })
            .await?;
        let me: Me = serde_json::from_value(value).map_err(|_| GraphError::Decode {
            status: 200,
            detail: "not a `me` answer".into(),
        })?;
        Ok((me.id, me.name))
    }

    /// `POST device/login` with the app's client token (`APP_ID|CLIENT_TOKEN`).
    pub(crate) async fn device_login(
        &self,
        client_token: &Secret,
    ) -> Result<DeviceCode, GraphError> {
        let body = Secret::new(
            serde_urlencoded::to_string([
                ("access_token", client_token.expose()),
                ("scope", LOGIN_SCOPES.join(",").as_str()),
            ])
            .expect("strings encode"),
        );
        let url = self.url("device/login");
        let value = self
            .send(|| form(self.http().post(url.clone()), &body))
            .await?;
        let wire: WireDevice = serde_json::from_value(value).map_err(|_| GraphError::Decode {
            status: 200,
            detail: "not a device/login answer".into(),
        })?;
        Ok(DeviceCode {
            code: Secret::new(wire.code),
            user_code: wire.user_code,
            verification_uri: wire.verification_uri,
            expires_in: wire.expires_in,
            interval: wire.interval.unwrap_or(5).max(1),
        })
    }

    /// One `POST device/login_status`, never retried here: the caller's
    /// loop is the retry, at the interval Facebook gave.
    pub(crate) async fn device_poll(
        &self,
        client_token: &Secret,
        code: &Secret,
    ) -> Result<DevicePoll, GraphError> {
        let body = Secret::new(
            serde_urlencoded::to_string([
                ("access_token", client_token.expose()),
                ("code", code.expose()),
            ])
            .expect("strings encode"),
        );
        let url = self.url("device/login_status");
        match self.send_once(form(self.http().post(url), &body)).await {
            Ok(value) => new_token(value).map(DevicePoll::Authorized),
            Err(GraphError::Graph { code, subcode, .. }) if is_pending(code, subcode) => {
                Ok(DevicePoll::Pending)
            }
            Err(GraphError::Graph { code, subcode, .. }) if is_slow_down(code, subcode) => {
                Ok(DevicePoll::SlowDown)
            }
            Err(GraphError::Graph { code, subcode, .. }) if is_expired(code, subcode) => {
                Ok(DevicePoll::Expired)
            }
            Err(other) => Err(other),
        }
    }
}

fn form(request: reqwest::RequestBuilder, body: &Secret) -> reqwest::RequestBuilder {
    request
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body.expose().to_owned())
}

// Login for Devices' answers while polling: Graph's code, or the subcode
// Facebook's device guide names, whichever comes.
fn is_pending(code: i64, subcode: Option<i64>) -> bool {
    code == 31 || subcode == Some(1_349_174)
}

fn is_slow_down(code: i64, subcode: Option<i64>) -> bool {
    subcode == Some(1_349_172) || (code == 17 && subcode.is_none())
}

fn is_expired(code: i64, subcode: Option<i64>) -> bool {
    code == 463 || subcode == Some(1_349_152)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dialog_is_facebook_s_for_graph_and_the_endpoint_s_otherwise() {
        assert_eq!(
            dialog_base("https://graph.facebook.com/"),
            "https://www.facebook.com"
        );
        assert_eq!(dialog_base("http://127.0.0.1:9"), "http://127.0.0.1:9");
        let url = dialog_url(
            "https://www.facebook.com",
            "42",
            "http://127.0.0.1:5000/callback",
            "st",
        )
        .unwrap();
        let text = url.to_string();
        assert!(
            text.starts_with(&format!(
                "https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth?client_id=42&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback&state=st"
            )),
            "{text}"
        );
        assert!(text.contains("scope=pages_show_list%2Cpages_messaging%2Cpages_manage_metadata"));
    }

    #[test]
    fn device_poll_answers_are_told_apart() {
        assert!(is_pending(31, Some(1_349_174)) && is_pending(31, None));
        assert!(is_slow_down(17, Some(1_349_172)) && !is_slow_down(17, Some(1)));
        assert!(is_expired(463, None) && is_expired(100, Some(1_349_152)));
        assert!(!is_pending(190, None) && !is_expired(190, Some(463)));
    }
}
