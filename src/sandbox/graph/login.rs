//! Facebook Login, as the emulator plays it: the OAuth dialog (a page a
//! test completes by HTTP, as a person would in a browser), the code
//! exchange and `fb_exchange_token` at `/oauth/access_token`, and Login
//! for Devices (`/device/login`, `/device/login_status`, and the page at
//! `/device` where the person enters the code).
//!
//! Codes and device logins live in memory only: a restarted sandbox has
//! forgotten every login in progress, as a login in progress would not
//! survive anyway. The tokens they produce are ordinary user tokens of
//! the store, with the permissions that were granted.

use super::error::GraphError;
use super::store::{GraphStore, Owner, now};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::RngExt;
use rand::distr::Alphanumeric;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long an OAuth code can be exchanged (Facebook: about ten minutes).
const CODE_SECS: u64 = 600;
/// A token from the dialog is short-lived: about an hour and a half.
const SHORT_LIVED_SECS: u64 = 5400;
/// A long-lived user token (an exchange, or a device login): about 60 days.
const LONG_LIVED_SECS: u64 = 60 * 24 * 3600;

/// Login for Devices as Facebook answers it by default; tests shorten it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceSettings {
    /// Seconds the client must wait between polls.
    #[serde(default = "default_interval")]
    pub(crate) interval: u64,
    /// Seconds the code stays usable.
    #[serde(default = "default_expires_in")]
    pub(crate) expires_in: u64,
    /// The first N polls of each new login are told to slow down, however
    /// patient they were.
    #[serde(default)]
    pub(crate) slow_down: u32,
}

fn default_interval() -> u64 {
    5
}

fn default_expires_in() -> u64 {
    420
}

impl Default for DeviceSettings {
    fn default() -> Self {
        DeviceSettings {
            interval: default_interval(),
            expires_in: default_expires_in(),
            slow_down: 0,
        }
    }
}

struct Code {
    client_id: String,
    redirect_uri: String,
    user_id: String,
    scopes: Vec<String>,
    expires_at: u64,
}

struct Device {
    user_code: String,
    scopes: Vec<String>,
    expires: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    slow_downs: u32,
    /// The user who entered the code and logged in.
    authorized: Option<String>,
}

#[derive(Default)]
pub(crate) struct Logins {
    codes: HashMap<String, Code>,
    devices: HashMap<String, Device>,
    pub(crate) device_settings: DeviceSettings,
}

fn random(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn required<'a>(pairs: &'a [(String, String)], key: &str) -> Result<&'a str, GraphError> {
    value(pairs, key)
        .ok_or_else(|| GraphError::param(format!("(#100) Missing required parameter: {key}")))
}

/// `scope` as Facebook reads it: comma (or space) separated names.
fn scope_list(raw: Option<&str>) -> Vec<String> {
    let mut scopes: Vec<String> = raw
        .unwrap_or("")
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// What a login grants: the asked permissions the user grants, less those
/// the person declined, and the public profile every login gets.
fn granted(
    store: &GraphStore,
    user_id: &str,
    asked: &[String],
    declined: &[String],
) -> Vec<String> {
    let grants = store
        .user(user_id)
        .map(|u| u.grants.clone())
        .unwrap_or_default();
    let mut scopes: Vec<String> = asked
        .iter()
        .filter(|s| grants.contains(s) && !declined.contains(s))
        .cloned()
        .collect();
    scopes.push("public_profile".into());
    scopes.sort();
    scopes.dedup();
    scopes
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!DOCTYPE html>\n<html><head><title>Log in with Facebook (socialform sandbox)</title></head><body>\n{body}\n</body></html>\n"
        ),
    )
        .into_response()
}

/// The dialog's parameters, checked as Facebook checks them before it
/// shows anything: an app, and a redirect URI it may send the code to.
/// `Err` says what is wrong.
fn dialog_params(pairs: &[(String, String)]) -> Result<(String, String), &'static str> {
    let client_id = value(pairs, "client_id").ok_or("client_id is missing")?;
    let redirect_uri = value(pairs, "redirect_uri").ok_or("redirect_uri is missing")?;
    if !(redirect_uri.starts_with("http://") || redirect_uri.starts_with("https://")) {
        return Err("redirect_uri must be an http(s) URL");
    }
    Ok((client_id.to_owned(), redirect_uri.to_owned()))
}

/// The page Facebook shows for a dialog it cannot start.
fn refused(what: &str) -> Response {
    html(
        StatusCode::BAD_REQUEST,
        format!(
            "<h1>Sorry, something went wrong.</h1><p>{}</p>",
            escape(what)
        ),
    )
}

/// `GET /dialog/oauth`: the login page, a form whose fields carry the
/// request on; `login_as` takes the token a test gave the sandbox user to
/// log in as, `decline` the permissions the person unticks.
pub(crate) fn dialog_page(pairs: &[(String, String)]) -> Response {
    if let Err(what) = dialog_params(pairs) {
        return refused(what);
    }
    let mut hidden = String::new();
    for key in ["client_id", "redirect_uri", "state", "scope"] {
        if let Some(v) = value(pairs, key) {
            hidden.push_str(&format!(
                "<input type=\"hidden\" name=\"{key}\" value=\"{}\">\n",
                escape(v)
            ));
        }
    }
    let asked = scope_list(value(pairs, "scope")).join(", ");
    html(
        StatusCode::OK,
        format!(
            "<h1>Log in with Facebook</h1>\n<p>An app asks for: {}</p>\n<form method=\"post\">\n{hidden}\
             <label>Log in as (a sandbox user's token) <input name=\"login_as\"></label>\n\
             <label>Decline (comma-separated) <input name=\"decline\"></label>\n\
             <button type=\"submit\">Continue</button>\n<button type=\"submit\" name=\"cancel\" value=\"1\">Cancel</button>\n</form>",
            escape(&asked)
        ),
    )
}

fn redirect(to: &str, pairs: &[(&str, &str)]) -> Response {
    let query = serde_urlencoded::to_string(pairs).expect("strings encode");
    let separator = if to.contains('?') { '&' } else { '?' };
    let location = format!("{to}{separator}{query}");
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        Err(_) => html(
            StatusCode::BAD_REQUEST,
            "<h1>Sorry, something went wrong.</h1><p>redirect_uri cannot be redirected to</p>"
                .into(),
        ),
    }
}

/// `POST /dialog/oauth`: the person logged in (or cancelled); Facebook
/// sends the browser back to `redirect_uri` with a code and the `state`.
pub(crate) fn dialog_submit(store: &mut GraphStore, pairs: &[(String, String)]) -> Response {
    let (client_id, redirect_uri) = match dialog_params(pairs) {
        Ok(params) => params,
        Err(what) => return refused(what),
    };
    let state = value(pairs, "state").unwrap_or("");
    if value(pairs, "cancel").is_some() {
        return redirect(
            &redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_code", "200"),
                ("error_description", "Permissions error"),
                ("error_reason", "user_denied"),
                ("state", state),
            ],
        );
    }
    let user = value(pairs, "login_as").and_then(|t| match store.token(t).map(|r| &r.owner) {
        Some(Owner::User(id)) => Some(id.clone()),
        _ => None,
    });
    let Some(user_id) = user else {
        return html(
            StatusCode::OK,
            "<h1>Log in with Facebook</h1><p>The login_as token is not a sandbox user's.</p>"
                .into(),
        );
    };
    let scopes = granted(
        store,
        &user_id,
        &scope_list(value(pairs, "scope")),
        &scope_list(value(pairs, "decline")),
    );
    let code = random(64);
    store.logins.codes.insert(
        code.clone(),
        Code {
            client_id,
            redirect_uri: redirect_uri.clone(),
            user_id,
            scopes,
            expires_at: now() + CODE_SECS,
        },
    );
    redirect(&redirect_uri, &[("code", &code), ("state", state)])
}

fn token_answer(token: String, expires_in: u64) -> Value {
    json!({ "access_token": token, "token_type": "bearer", "expires_in": expires_in })
}

/// `GET|POST /oauth/access_token`: a code from the dialog for a
/// short-lived user token, or (`grant_type=fb_exchange_token`) a valid
/// user token for a long-lived one. The sandbox has no app registry: any
/// non-empty `client_secret` is the app's.
pub(crate) fn access_token(
    store: &mut GraphStore,
    pairs: &[(String, String)],
) -> Result<Value, GraphError> {
    let client_id = required(pairs, "client_id")?;
    required(pairs, "client_secret")?;
    if value(pairs, "grant_type") == Some("fb_exchange_token") {
        let old = required(pairs, "fb_exchange_token")?;
        let record = store
            .token(old)
            .cloned()
            .ok_or_else(|| GraphError::token(&super::error::TokenProblem::Unknown))?;
        if let Some(problem) = super::token_problem(&record, now()) {
            return Err(GraphError::token(&problem));
        }
        let Owner::User(user_id) = &record.owner else {
            return Err(GraphError::param(
                "(#100) fb_exchange_token must be a user access token",
            ));
        };
        let scopes = store.scopes_of(&record);
        // A system user's token keeps its own lifetime: none.
        let system = store.user(user_id).is_some_and(|u| u.system_user);
        let expires_at = if system && record.expires_at == 0 {
            0
        } else {
            now() + LONG_LIVED_SECS
        };
        let token = store
            .mint_user_token(user_id, expires_at, scopes)
            .ok_or_else(|| GraphError::token(&super::error::TokenProblem::Unknown))?;
        return Ok(token_answer(token, expires_at.saturating_sub(now())));
    }
    let redirect_uri = required(pairs, "redirect_uri")?;
    let code = required(pairs, "code")?;
    let invalid = |subcode| {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            100,
            "Invalid verification code format.",
        )
        .with_subcode(subcode)
    };
    // A code is used once, whatever the outcome, as Facebook does.
    let found = store
        .logins
        .codes
        .remove(code)
        .ok_or_else(|| invalid(36009))?;
    if found.expires_at <= now() {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            100,
            "This authorization code has expired.",
        )
        .with_subcode(36007));
    }
    if found.client_id != client_id || found.redirect_uri != redirect_uri {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            100,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        )
        .with_subcode(36008));
    }
    let expires_at = now() + SHORT_LIVED_SECS;
    let token = store
        .mint_user_token(&found.user_id, expires_at, found.scopes)
        .ok_or_else(|| invalid(36009))?;
    Ok(token_answer(token, SHORT_LIVED_SECS))
}

/// The app a client token (`APP_ID|CLIENT_TOKEN`) names.
fn client_app(pairs: &[(String, String)], token: Option<&str>) -> Result<(), GraphError> {
    let token = value(pairs, "access_token")
        .or(token)
        .ok_or_else(|| GraphError::no_token(false))?;
    super::app_id(token)
        .map(|_| ())
        .ok_or_else(|| GraphError::token(&super::error::TokenProblem::Unknown))
}

/// `POST /device/login`: a code for the device to poll with and a short
/// one for the person to enter at `verification_uri`.
pub(crate) fn device_login(
    store: &mut GraphStore,
    pairs: &[(String, String)],
    token: Option<&str>,
    origin: &str,
) -> Result<Value, GraphError> {
    client_app(pairs, token)?;
    let settings = store.logins.device_settings.clone();
    let code = random(40);
    let user_code = random(8).to_ascii_uppercase();
    store.logins.devices.insert(
        code.clone(),
        Device {
            user_code: user_code.clone(),
            scopes: scope_list(value(pairs, "scope")),
            expires: Instant::now() + Duration::from_secs(settings.expires_in),
            interval: Duration::from_secs(settings.interval),
            last_poll: None,
            slow_downs: settings.slow_down,
            authorized: None,
        },
    );
    Ok(json!({
        "code": code,
        "user_code": user_code,
        "verification_uri": format!("{origin}/device"),
        "expires_in": settings.expires_in,
        "interval": settings.interval,
    }))
}

/// `POST /device/login_status`: pending (31), slow down (17), expired
/// (463), or the token once the person has logged in.
pub(crate) fn device_status(
    store: &mut GraphStore,
    pairs: &[(String, String)],
    token: Option<&str>,
) -> Result<Value, GraphError> {
    client_app(pairs, token)?;
    let code = required(pairs, "code")?;
    let now_instant = Instant::now();
    let Some(device) = store.logins.devices.get_mut(code) else {
        return Err(GraphError::param("(#100) The code is not valid").with_subcode(1349152));
    };
    if now_instant >= device.expires {
        store.logins.devices.remove(code);
        return Err(
            GraphError::new(StatusCode::BAD_REQUEST, 463, "The code has expired")
                .with_subcode(1349152),
        );
    }
    let too_soon = device
        .last_poll
        .is_some_and(|last| now_instant < last + device.interval);
    device.last_poll = Some(now_instant);
    if too_soon || device.slow_downs > 0 {
        device.slow_downs = device.slow_downs.saturating_sub(1);
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            17,
            "(#17) You are polling too frequently: slow down",
        )
        .with_subcode(1349172));
    }
    let Some(user_id) = device.authorized.clone() else {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            31,
            "(#31) The user has not yet authorized your application",
        )
        .with_subcode(1349174));
    };
    let device = store.logins.devices.remove(code).expect("found above");
    let scopes = granted(store, &user_id, &device.scopes, &[]);
    let expires_at = now() + LONG_LIVED_SECS;
    let token = store
        .mint_user_token(&user_id, expires_at, scopes)
        .ok_or_else(|| GraphError::token(&super::error::TokenProblem::Unknown))?;
    Ok(json!({
        "access_token": token,
        "expires_in": LONG_LIVED_SECS,
        "data_access_expiration_time": now() + 90 * 24 * 3600,
    }))
}

/// `GET /device`: where the person enters the code (a form: `user_code`,
/// and `login_as`, the token of the sandbox user to log in as).
pub(crate) fn device_page() -> Response {
    html(
        StatusCode::OK,
        "<h1>Log in to a device</h1>\n<form method=\"post\">\n\
         <label>Code <input name=\"user_code\"></label>\n\
         <label>Log in as (a sandbox user's token) <input name=\"login_as\"></label>\n\
         <button type=\"submit\">Continue</button>\n</form>"
            .into(),
    )
}

/// `POST /device`: the person entered the code and logged in.
pub(crate) fn device_submit(store: &mut GraphStore, pairs: &[(String, String)]) -> Response {
    let user = value(pairs, "login_as").and_then(|t| match store.token(t).map(|r| &r.owner) {
        Some(Owner::User(id)) => Some(id.clone()),
        _ => None,
    });
    let entered = value(pairs, "user_code").unwrap_or("").to_ascii_uppercase();
    let device = store
        .logins
        .devices
        .values_mut()
        .find(|d| d.user_code == entered && Instant::now() < d.expires);
    match (device, user) {
        (Some(device), Some(user_id)) => {
            device.authorized = Some(user_id);
            html(
                StatusCode::OK,
                "<h1>Success!</h1><p>Return to your device.</p>".into(),
            )
        }
        (None, _) => html(
            StatusCode::BAD_REQUEST,
            "<h1>That code is not valid</h1><p>Check it and try again.</p>".into(),
        ),
        (_, None) => html(
            StatusCode::BAD_REQUEST,
            "<h1>Log in to a device</h1><p>The login_as token is not a sandbox user's.</p>".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_split_on_commas_and_spaces() {
        assert_eq!(
            scope_list(Some("pages_show_list, pages_messaging pages_show_list")),
            ["pages_messaging", "pages_show_list"]
        );
        assert!(scope_list(None).is_empty());
    }

    #[test]
    fn form_values_are_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
