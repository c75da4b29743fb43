//! `login facebook` and `logout facebook`: a user token got the way
//! Facebook documents for a program on a person's machine — Facebook Login
//! through the system browser with a loopback redirect, Login for Devices
//! where there is no browser, or a token the person already has (on
//! standard input) — exchanged for a long-lived one with the app secret,
//! read back with `debug_token`, and kept in the credential store, never
//! under the configuration directory or in state.

use crate::credentials::StoredLogin;
use crate::facebook::{
    DevicePoll, GraphClient, NewToken, UserToken, UserTokenHealth, check_tokens, dialog_url,
};
use crate::secret::Secret;
use crate::session::Session;
use crate::session::facebook::LoginSide;
use anyhow::{Context, anyhow, bail};
use rand::RngExt;
use rand::distr::Alphanumeric;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the browser flow waits for Facebook to send the browser back.
const CALLBACK_WAIT: Duration = Duration::from_secs(300);
/// The longest request line and headers a callback may send.
const MAX_CALLBACK_BYTES: usize = 16 * 1024;

/// How the person logs in.
pub(crate) enum LoginMethod {
    /// Facebook Login in a browser, sent back to a loopback address;
    /// `open`: start the system browser (else only show the URL).
    Browser { open: bool },
    /// Facebook Login for Devices: a code entered on another device.
    Device,
    /// A token the person already has.
    Token(Secret),
}

/// What the person is shown while a login waits for them.
pub(crate) trait LoginObserver: Send + Sync {
    /// The dialog's URL; `opened` when the system browser was started.
    fn open_url(&self, url: &str, opened: bool);
    /// The code to enter, where, and for how long it works.
    fn device_code(&self, user_code: &str, verification_uri: &str, expires_in: u64);
    /// Facebook asked to poll less often: now every `interval` seconds.
    fn slow_down(&self, _interval: u64) {}
}

/// What `login facebook` did.
#[derive(Clone, Debug)]
pub(crate) struct LoginOutcome {
    pub(crate) user_id: Option<String>,
    pub(crate) name: Option<String>,
    /// What `debug_token` said of the stored token; `None` without app
    /// credentials (then only its validity is known).
    pub(crate) token: Option<UserToken>,
    /// Exchanged for a long-lived token.
    pub(crate) exchanged: bool,
    /// Where it is kept, for people.
    pub(crate) stored_in: String,
}

/// What `logout facebook` did.
#[derive(Clone, Debug)]
pub(crate) struct LogoutOutcome {
    pub(crate) removed: bool,
    pub(crate) store: String,
}

pub(crate) async fn login(
    session: &Session,
    endpoint: Option<&str>,
    method: LoginMethod,
    observer: &dyn LoginObserver,
) -> anyhow::Result<LoginOutcome> {
    let store = session.credential_store()?;
    store.check()?;
    let (_, side) = session.login_side(endpoint, true).await?;
    let side = side.expect("connect was asked");
    let client = &side.client;
    let has_app = client.has_app_credentials();
    if !has_app && !matches!(method, LoginMethod::Token(_)) {
        bail!(
            "logging in through Facebook needs the app's credentials: set FACEBOOK_APP_ID and \
             FACEBOOK_APP_SECRET (the app's Basic settings), or pass a token you already have \
             with --token-stdin"
        );
    }
    let got = match method {
        LoginMethod::Token(token) => token,
        LoginMethod::Browser { open } => browser(&side, open, observer).await?.token,
        LoginMethod::Device => device(&side, observer).await?.token,
    };
    let mut token = got;
    let mut exchanged = false;
    let mut info = None;
    if has_app {
        let first = describe(client, &token).await?;
        // A system user's token is made for CI and lasts as made; a
        // person's is exchanged for one that lasts about 60 days.
        if !first.system_user {
            let long = client.exchange_for_long_lived(&token).await.context(
                "Facebook refused to exchange the token for a long-lived one \
                 (GET oauth/access_token, grant_type=fb_exchange_token); check FACEBOOK_APP_ID \
                 and FACEBOOK_APP_SECRET, and that the token was made for this app",
            )?;
            token = long.token;
            exchanged = true;
            info = Some(describe(client, &token).await?);
        } else {
            info = Some(first);
        }
    }
    let (user_id, name) = client
        .who(&token)
        .await
        .map(|(id, name)| (Some(id), name))
        .context("Facebook refused the token (GET me): it is not a valid user token")?;
    let login = StoredLogin {
        token,
        user_id: info
            .as_ref()
            .and_then(|i| i.user_id.clone())
            .or(user_id.clone()),
        name: name.clone(),
        system_user: info.as_ref().is_some_and(|i| i.system_user),
        expires_at: info.as_ref().and_then(|i| i.expires_at),
        app_id: None,
    };
    let stored_in = store
        .save(&side.key, &login)
        .context("could not keep the Facebook login")?;
    Ok(LoginOutcome {
        user_id: login.user_id,
        name,
        token: info,
        exchanged,
        stored_in,
    })
}

pub(crate) async fn logout(
    session: &Session,
    endpoint: Option<&str>,
) -> anyhow::Result<LogoutOutcome> {
    let store = session.credential_store()?;
    let (key, _) = session.login_side(endpoint, false).await?;
    let removed = store
        .remove(&key)
        .context("could not remove the Facebook login")?;
    Ok(LogoutOutcome {
        removed,
        store: store.describe(),
    })
}

/// `debug_token` of a user token: valid, a user's or a system user's.
async fn describe(client: &GraphClient, token: &Secret) -> anyhow::Result<UserToken> {
    let (_, health) = check_tokens(client, &[], Some(token))
        .await
        .context("could not ask Facebook about the token (debug_token)")?;
    match health {
        Some(UserTokenHealth::Valid(info)) => Ok(info),
        Some(UserTokenHealth::Invalid { reason }) => bail!(
            "Facebook says the token cannot be used: {reason}; log in again (socialform login \
             facebook) or get a fresh token"
        ),
        None => Err(anyhow!("Facebook did not answer about the token")),
    }
}

fn random_state() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// Facebook Login through the browser: a one-shot HTTP listener on a
/// loopback port, the dialog opened (or shown) with that redirect and a
/// random `state`, and the code it sends back exchanged with the secret.
async fn browser(
    side: &LoginSide,
    open: bool,
    observer: &dyn LoginObserver,
) -> anyhow::Result<NewToken> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("could not listen on a loopback port for Facebook's redirect")?;
    let port = listener.local_addr()?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let state = random_state();
    let app_id = side
        .client
        .app_id()
        .ok_or_else(|| anyhow!("no app ID"))?
        .to_string();
    let url =
        dialog_url(&side.dialog_base, &app_id, &redirect_uri, &state).map_err(|e| anyhow!(e))?;
    let opened = open && open_browser(url.as_str());
    observer.open_url(url.as_str(), opened);
    let code = tokio::time::timeout(CALLBACK_WAIT, wait_for_callback(&listener, &state))
        .await
        .map_err(|_| {
            anyhow!(
                "no answer from Facebook's login within {} minutes; run socialform login \
                 facebook again (or use --device on a machine without a browser)",
                CALLBACK_WAIT.as_secs() / 60
            )
        })??;
    side.client
        .exchange_code(&code, &redirect_uri)
        .await
        .context(
            "Facebook refused the login's code (GET oauth/access_token); check \
             FACEBOOK_APP_SECRET, and that http://127.0.0.1 redirects are among the app's valid \
             OAuth redirect URIs",
        )
}

/// Starts the system browser on `url`; false when there is none to start.
fn open_browser(url: &str) -> bool {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// Accepts connections until one brings `/callback`: its `code` when the
/// `state` is this login's. A callback with another `state` is refused and
/// ends the login: it is not an answer to this login, and could be a
/// forged one. Other paths (a browser's favicon) get 404 and are ignored.
async fn wait_for_callback(
    listener: &tokio::net::TcpListener,
    state: &str,
) -> anyhow::Result<Secret> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let mut buffer = zeroize::Zeroizing::new(Vec::new());
        let mut chunk = [0u8; 2048];
        while !buffer.windows(4).any(|w| w == b"\r\n\r\n") && buffer.len() < MAX_CALLBACK_BYTES {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let text = String::from_utf8_lossy(&buffer);
        let target = text
            .lines()
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .unwrap_or("");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path != "/callback" {
            respond(&mut stream, 404, "Not found.").await;
            continue;
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        if get("state") != Some(state) {
            respond(
                &mut stream,
                400,
                "This answer is not for the login socialform started (its state does not match). Nothing was stored.",
            )
            .await;
            bail!(
                "refused Facebook's redirect: its state did not match this login's (an answer to \
                 another login, or a forged one); nothing was stored. Run socialform login \
                 facebook again"
            );
        }
        if let Some(error) = get("error") {
            respond(
                &mut stream,
                200,
                "The login was cancelled. You can close this window.",
            )
            .await;
            bail!(
                "the login was not completed: Facebook answered {error}{}; run socialform login \
                 facebook again and accept the permissions asked",
                get("error_reason")
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
        }
        let Some(code) = get("code") else {
            respond(&mut stream, 400, "Facebook's answer has no code.").await;
            bail!("Facebook's redirect carried no code; run socialform login facebook again");
        };
        let code = Secret::new(code);
        respond(
            &mut stream,
            200,
            "Logged in. You can close this window and go back to the terminal.",
        )
        .await;
        return Ok(code);
    }
}

async fn respond(stream: &mut tokio::net::TcpStream, status: u16, message: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>socialform</title></head><body><p>{message}</p></body></html>\n"
    );
    let answer = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Login for Devices: show the code, poll at the interval Facebook gave
/// (longer each time it says to slow down) until the person has logged in
/// or the code expires.
async fn device(side: &LoginSide, observer: &dyn LoginObserver) -> anyhow::Result<NewToken> {
    let client_token = match (&side.client_token, side.client.app_id()) {
        (Some(client_token), Some(app_id)) => {
            Secret::new(format!("{app_id}|{}", client_token.expose()))
        }
        _ => bail!(
            "Login for Devices needs the app's client token: set FACEBOOK_CLIENT_TOKEN (the app's \
             Settings > Advanced > Client token) with FACEBOOK_APP_ID, and switch on \"Login from \
             Devices\" in the app's Facebook Login settings"
        ),
    };
    let device = side
        .client
        .device_login(&client_token)
        .await
        .context("Facebook refused to start a device login (POST device/login); check FACEBOOK_CLIENT_TOKEN and that Login from Devices is on for the app")?;
    observer.device_code(
        &device.user_code,
        &device.verification_uri,
        device.expires_in,
    );
    let deadline = Instant::now() + Duration::from_secs(device.expires_in);
    let mut interval = device.interval;
    loop {
        tokio::time::sleep(Duration::from_secs(interval)).await;
        let poll = side
            .client
            .device_poll(&client_token, &device.code)
            .await
            .context("could not ask Facebook whether the device login is done (POST device/login_status)")?;
        match poll {
            DevicePoll::Authorized(token) => return Ok(token),
            DevicePoll::Pending if Instant::now() < deadline => {}
            DevicePoll::SlowDown if Instant::now() < deadline => {
                // Facebook gives no new interval: wait twice as long.
                interval = interval.saturating_mul(2).min(60);
                observer.slow_down(interval);
            }
            DevicePoll::Pending | DevicePoll::SlowDown | DevicePoll::Expired => bail!(
                "the device code expired before anyone entered it ({} s); run socialform login \
                 facebook --device again",
                device.expires_in
            ),
        }
    }
}
