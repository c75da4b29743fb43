//! `socialform login facebook` and `logout facebook`: see `ops::login`.

use super::args::{LoginFacebookArgs, LogoutFacebookArgs};
use super::{Context, EXIT_OK};
use crate::facebook::describe_expiry;
use crate::ops::login::{LoginMethod, LoginObserver, LoginOutcome};
use crate::render::Printer;
use crate::secret::Secret;
use anyhow::{Context as _, bail};
use std::io::Read;

pub(crate) async fn login(context: &Context, args: LoginFacebookArgs) -> anyhow::Result<u8> {
    let session = context.session(&args.network)?;
    let method = if args.token_stdin {
        LoginMethod::Token(read_token()?)
    } else if args.device {
        LoginMethod::Device
    } else if args.no_browser || env_set("SOCIALFORM_NO_BROWSER") {
        LoginMethod::Browser { open: false }
    } else if has_display() {
        LoginMethod::Browser { open: true }
    } else {
        context.printer.err_line(
            "No display to open a browser on: logging in with a code to enter on another device \
             (--device). Use --no-browser to get the browser login's URL instead.",
        );
        LoginMethod::Device
    };
    let observer = Shown {
        printer: context.printer,
    };
    let outcome =
        crate::ops::login::login(&session, args.endpoint.as_deref(), method, &observer).await?;
    context.printer.out(&report(&outcome));
    if let Some(warning) = crate::facebook::graph_version_warning() {
        context.printer.err_line(&format!("Warning: {warning}"));
    }
    Ok(EXIT_OK)
}

pub(crate) async fn logout(context: &Context, args: LogoutFacebookArgs) -> anyhow::Result<u8> {
    let session = context.offline_session();
    let outcome = crate::ops::login::logout(&session, args.endpoint.as_deref()).await?;
    if outcome.removed {
        context.printer.line(&format!(
            "Logged out of Facebook: the stored login was removed from {}.",
            outcome.store
        ));
    } else {
        context.printer.line(&format!(
            "No Facebook login was stored for this endpoint (in {}): nothing to remove.",
            outcome.store
        ));
    }
    Ok(EXIT_OK)
}

fn env_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Whether a browser can be shown: always on macOS and Windows, on other
/// systems when an X11 or Wayland display is set.
fn has_display() -> bool {
    cfg!(any(target_os = "macos", target_os = "windows"))
        || env_set("DISPLAY")
        || env_set("WAYLAND_DISPLAY")
}

/// The token on standard input: its first line, trimmed.
fn read_token() -> anyhow::Result<Secret> {
    let mut text = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .context("could not read the token from standard input")?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.is_empty() {
        bail!(
            "--token-stdin read no token: pipe one in, e.g. socialform login facebook \
             --token-stdin < token.txt"
        );
    }
    Ok(Secret::new(token))
}

struct Shown {
    printer: Printer,
}

impl LoginObserver for Shown {
    fn open_url(&self, url: &str, opened: bool) {
        if opened {
            self.printer.err_line(&format!(
                "Opening Facebook's login in your browser. If it does not open, visit:\n  {url}"
            ));
        } else {
            self.printer.err_line(&format!(
                "To log in to Facebook, open this URL in a browser:\n  {url}"
            ));
        }
        self.printer
            .err_line("Waiting for Facebook to send the browser back...");
    }

    fn device_code(&self, user_code: &str, verification_uri: &str, expires_in: u64) {
        self.printer.err_line(&format!(
            "To log in to Facebook, visit {verification_uri} on any device and enter the code:\n\n    {user_code}\n\nThe code works for {} minute(s). Waiting...",
            expires_in.div_ceil(60)
        ));
    }

    fn slow_down(&self, interval: u64) {
        self.printer.err_line(&format!(
            "Facebook asked to check less often: every {interval} s from now on."
        ));
    }
}

/// Who logged in, what was granted and what is missing, when it expires,
/// and where it is kept.
fn report(outcome: &LoginOutcome) -> String {
    let mut out = String::new();
    let who = match (&outcome.name, &outcome.user_id) {
        (Some(name), Some(id)) => format!("{name} (user {id})"),
        (None, Some(id)) => format!("user {id}"),
        (Some(name), None) => name.clone(),
        (None, None) => "an unknown user".into(),
    };
    let kind = match &outcome.token {
        Some(info) if info.system_user => "a system user",
        _ => "",
    };
    if kind.is_empty() {
        out.push_str(&format!("Logged in to Facebook as {who}.\n"));
    } else {
        out.push_str(&format!("Logged in to Facebook as {who}, {kind}.\n"));
    }
    match &outcome.token {
        None => out.push_str(
            "Without FACEBOOK_APP_ID and FACEBOOK_APP_SECRET the token was kept as given: not \
             exchanged for a long-lived one, and its expiry and permissions are unknown.\n",
        ),
        Some(info) => {
            let lifetime = match info.expires_at {
                None if info.system_user => {
                    "a system-user token that never expires (made for CI)".to_string()
                }
                None => "never expires".to_string(),
                Some(at) => format!("expires {}", describe_expiry(at)),
            };
            let exchanged = if outcome.exchanged {
                "exchanged for a long-lived token; "
            } else {
                ""
            };
            out.push_str(&format!("Token: {exchanged}{lifetime}"));
            if let Some(at) = info.data_access_expires_at {
                out.push_str(&format!(
                    "; access to the user's data until {}",
                    describe_expiry(at)
                ));
            }
            out.push_str(".\n");
            let mut granted = info.scopes.clone().unwrap_or_default();
            granted.sort();
            out.push_str(&format!(
                "Granted: {}\n",
                if granted.is_empty() {
                    "nothing".to_string()
                } else {
                    granted.join(", ")
                }
            ));
            let missing = info.missing();
            if missing.is_empty() {
                out.push_str(
                    "Missing: nothing (pages_show_list, pages_messaging and pages_manage_metadata \
                     are granted)\n",
                );
            } else {
                for (name, blocks) in missing {
                    out.push_str(&format!("Missing: {name}, which blocks {blocks}\n"));
                }
                out.push_str(
                    "Warning: log in again and grant every permission asked (socialform login \
                     facebook), or give the system user those permissions.\n",
                );
            }
        }
    }
    out.push_str(&format!("Stored in {}.\n", outcome.stored_in));
    out.push_str(
        "The facebook provider uses it when neither its user_token nor FACEBOOK_USER_TOKEN is \
         set.\n",
    );
    out
}
