//! `socialform login facebook` / `logout facebook` and the user token
//! watched by `drift`, `tokens` and `plan`, through the binary against
//! `sandbox serve`, whose Graph emulator plays Facebook and its login
//! pages. The tests play the person (and the browser) over HTTP.

use crate::support::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const USER_TOKEN: &str = "EAAlogin-user-token-under-test-0001";
const APP_ID: &str = "515151515151";
const APP_SECRET: &str = "app-secret-for-login-0001";
const PAGE: &str = "107400000000001";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A Facebook user who manages one page; `scopes` what it grants.
fn facebook_user(sandbox: &Sandbox, scopes: Option<&[&str]>, system_user: bool) {
    let mut body = json!({
        "user_token": USER_TOKEN,
        "pages": [{"id": PAGE, "name": "Acme Login"}],
        "system_user": system_user,
    });
    if let Some(scopes) = scopes {
        body["scopes"] = json!(scopes);
    }
    let (status, answer) = sandbox.api("POST", "/_sandbox/facebook/users", Some(body));
    assert_eq!(status, 201, "{answer}");
}

/// A project pointed at the sandbox's Graph with the app's credentials
/// and no user token: the stored login is the only one.
fn project(sandbox: &Sandbox) -> Project {
    let mut project = Project::against(sandbox);
    project.env("FACEBOOK_GRAPH_ENDPOINT", &sandbox.url);
    project.env("FACEBOOK_APP_ID", APP_ID);
    project.env("FACEBOOK_APP_SECRET", APP_SECRET);
    project.write(
        "main.hcl",
        &format!("page \"support\" {{\n  page_id = \"{PAGE}\"\n}}\n"),
    );
    project
}

fn credentials(project: &Project) -> std::path::PathBuf {
    project
        .config_home()
        .join("socialform")
        .join("credentials.json")
}

/// The token the login stored, read from the 0600 file.
fn stored_token(project: &Project, sandbox: &Sandbox) -> Option<String> {
    let text = std::fs::read_to_string(credentials(project)).ok()?;
    let document: Value = serde_json::from_str(&text).unwrap();
    document["facebook"][&sandbox.url]["access_token"]
        .as_str()
        .map(str::to_string)
}

/// Every file's bytes under `dir`, as text.
fn tree_text(dir: &std::path::Path) -> String {
    let mut text = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
            }
        }
    }
    text
}

fn assert_no_secret(what: &str, text: &str, secrets: &[&str]) {
    assert!(!text.is_empty(), "nothing to scan in {what}");
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "a secret leaked into {what}:\n{text}"
        );
    }
}

fn login_stdin(project: &Project, token: &str) -> Run {
    let mut command = project.command(&["-vvv", "login", "facebook", "--token-stdin"]);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{token}\n").as_bytes())
        .unwrap();
    Run::from(child.wait_with_output().unwrap())
}

#[test]
fn token_stdin_is_exchanged_reported_stored_0600_used_by_the_next_plan_and_logout_removes_it() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, None, false);
    let project = project(&sandbox);

    let login = login_stdin(&project, USER_TOKEN);
    assert_eq!(login.code, 0, "{}{}", login.stdout, login.stderr);
    let stdout = &login.stdout;
    assert!(
        stdout.starts_with("Logged in to Facebook as Sandbox User "),
        "{stdout}"
    );
    assert!(
        stdout.contains("Token: exchanged for a long-lived token; expires 20"),
        "{stdout}"
    );
    assert!(
        stdout.contains("; access to the user's data until 20"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Granted: pages_manage_metadata, pages_messaging, pages_show_list, public_profile\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Missing: nothing"), "{stdout}");
    let file = credentials(&project);
    assert!(
        stdout.contains(&format!("Stored in {} (mode 0600).", file.display())),
        "{stdout}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let stored = stored_token(&project, &sandbox).expect("a stored token");
    assert_ne!(
        stored, USER_TOKEN,
        "the long-lived token is stored, not the one given"
    );

    // The next plan takes its user token from the stored login: no
    // FACEBOOK_USER_TOKEN anywhere.
    let plan = project.run(&["-vvv", "plan", "--out", "p.sfplan"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("Plan: 1 to connect."),
        "{}",
        plan.stdout
    );
    let apply = project.run(&["apply", "p.sfplan"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);

    let secrets = [USER_TOKEN, APP_SECRET, stored.as_str()];
    for (what, run) in [("login", &login), ("plan -vvv", &plan), ("apply", &apply)] {
        assert_no_secret(what, &format!("{}{}", run.stdout, run.stderr), &secrets);
    }
    // Nothing under the configuration directory (state, the plan file,
    // the embedded data) holds any of them.
    assert_no_secret(
        "the configuration directory",
        &tree_text(project.path()),
        &secrets,
    );

    let logout = project.run(&["logout", "facebook"]);
    assert_eq!(logout.code, 0, "{}", logout.stderr);
    assert_eq!(
        logout.stdout,
        format!(
            "Logged out of Facebook: the stored login was removed from {} (mode 0600).\n",
            file.display()
        )
    );
    assert_eq!(stored_token(&project, &sandbox), None);
    let again = project.run(&["logout", "facebook"]);
    assert!(
        again.stdout.starts_with("No Facebook login was stored"),
        "{}",
        again.stdout
    );
    let without = project.run(&["plan"]);
    assert_eq!(without.code, 1);
    assert!(
        without.stderr.contains("there is no Facebook user token"),
        "{}",
        without.stderr
    );
}

#[test]
fn a_token_without_pages_messaging_is_named_by_login_and_by_drift() {
    let sandbox = Sandbox::start();
    facebook_user(
        &sandbox,
        Some(&["pages_show_list", "pages_manage_metadata", "public_profile"]),
        false,
    );
    let project = project(&sandbox);
    let login = login_stdin(&project, USER_TOKEN);
    assert_eq!(login.code, 0, "{}{}", login.stdout, login.stderr);
    assert!(
        login.stdout.contains(
            "Missing: pages_messaging, which blocks the MESSAGING task: Vonage sending and \
             receiving messages through the page\n"
        ),
        "{}",
        login.stdout
    );
    assert!(
        login.stdout.contains("Warning: log in again"),
        "{}",
        login.stdout
    );

    let drift = project.run(&["drift", "--json"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    let document = drift.json();
    let entries: Vec<&Value> = document["drifted"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["address"] == "provider.facebook")
        .collect();
    assert_eq!(entries.len(), 1, "{document}");
    assert_eq!(entries[0]["kind"], "permission_missing");
    assert_eq!(entries[0]["attribute"], "user_token");
    assert!(
        entries[0]["actual"]
            .as_str()
            .unwrap()
            .starts_with("pages_messaging not granted, which blocks the MESSAGING task"),
        "{document}"
    );
    assert!(
        entries[0]["expected"]
            .as_str()
            .unwrap()
            .contains("run socialform login facebook"),
        "{document}"
    );
}

#[test]
fn a_user_token_expiring_in_5_days_is_reported_by_drift_tokens_and_plan() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, None, false);
    let soon = now() + 5 * 86_400;
    let (status, body) = sandbox.api(
        "PUT",
        "/_sandbox/facebook/tokens",
        Some(json!({"access_token": USER_TOKEN, "expires_at": soon})),
    );
    assert_eq!(status, 204, "{body}");
    let mut project = project(&sandbox);
    project.env("FACEBOOK_USER_TOKEN", USER_TOKEN);
    let apply = project.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);

    let drift = project.run(&["drift", "--json"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    let document = drift.json();
    let user: Vec<&Value> = document["drifted"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["address"] == "provider.facebook")
        .collect();
    assert_eq!(user.len(), 1, "{document}");
    assert_eq!(user[0]["kind"], "user_token_expiring");
    assert!(
        user[0]["actual"]
            .as_str()
            .unwrap()
            .starts_with("expires 20")
    );
    assert!(
        user[0]["expected"]
            .as_str()
            .unwrap()
            .contains("run socialform login facebook and unset FACEBOOK_USER_TOKEN"),
        "{document}"
    );
    // The page's token was read with that user token: it expires with it.
    assert_eq!(document["summary"]["drifted"], 2, "{document}");
    assert_eq!(
        document["drifted"][0]["kind"], "token_expiring",
        "{document}"
    );

    let human = project.run(&["drift"]);
    assert_eq!(human.code, 2);
    assert!(
        human
            .stdout
            .contains("  # provider.facebook: the Facebook user token expires 20"),
        "{}",
        human.stdout
    );

    let tokens = project.run(&["tokens"]);
    assert_eq!(tokens.code, 2, "{}{}", tokens.stdout, tokens.stderr);
    assert!(
        tokens
            .stdout
            .contains("Facebook user token (FACEBOOK_USER_TOKEN): expiring: expires 20"),
        "{}",
        tokens.stdout
    );
    assert!(
        tokens.stdout.contains("  run socialform login facebook"),
        "{}",
        tokens.stdout
    );
    let json = project.run(&["tokens", "--json"]);
    assert_eq!(json.json()["user_token"]["expiring"], true);

    let plan = project.run(&["plan"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains("Warning: provider.facebook: the Facebook user token expires 20"),
        "{}",
        plan.stdout
    );
}

#[test]
fn a_system_user_token_is_recognised_and_not_exchanged() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, None, true);
    let project = project(&sandbox);
    let login = login_stdin(&project, USER_TOKEN);
    assert_eq!(login.code, 0, "{}{}", login.stdout, login.stderr);
    assert!(
        login.stdout.contains(", a system user.\n"),
        "{}",
        login.stdout
    );
    assert!(
        login
            .stdout
            .contains("Token: a system-user token that never expires (made for CI)"),
        "{}",
        login.stdout
    );
    assert_eq!(
        stored_token(&project, &sandbox).as_deref(),
        Some(USER_TOKEN),
        "a system user's token is kept as made"
    );
    let tokens = project.run(&["tokens"]);
    assert_eq!(tokens.code, 0, "{}{}", tokens.stdout, tokens.stderr);
    assert!(
        tokens.stdout.contains(
            "Facebook user token (socialform login facebook): valid, system-user token, never expires"
        ),
        "{}",
        tokens.stdout
    );
}

#[test]
fn an_invalid_token_is_refused_and_nothing_is_stored() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, None, false);
    let project = project(&sandbox);
    let login = login_stdin(&project, "EAAnot-a-token-anyone-issued");
    assert_eq!(login.code, 1);
    assert!(
        login
            .stderr
            .contains("error: Facebook says the token cannot be used: Invalid OAuth access token"),
        "{}",
        login.stderr
    );
    assert!(!credentials(&project).exists());
    // A token is never an argument.
    let argument = project.run(&["login", "facebook", "--token", USER_TOKEN]);
    assert_eq!(argument.code, 1);
}

/// `login facebook` run in the background, its stderr read line by line.
struct Background {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Background {
    fn start(project: &Project, args: &[&str]) -> Background {
        let mut command = project.command(args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        Background {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first stderr line (after those seen) for which `pick` answers.
    fn wait_for<T>(&mut self, pick: impl Fn(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no such line; seen: {:?}", self.seen));
            self.seen.push(line.clone());
            if let Some(found) = pick(&line) {
                return found;
            }
        }
    }

    fn finish(mut self) -> (Run, String) {
        let output = self.child.wait_with_output().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        let mut run = Run::from(output);
        run.stderr = self.seen.join("\n");
        let text = format!("{}{}", run.stdout, run.stderr);
        (run, text)
    }
}

/// What a browser does: one request, no redirect followed.
fn browse(method: &str, url: &str, form: &[(String, String)]) -> (u16, Option<String>, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut request = client.request(method.parse().unwrap(), url);
        if method == "POST" {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(form).unwrap());
        }
        let response = request.send().await.expect("the page answers");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (status, location, response.text().await.unwrap_or_default())
    })
}

/// The person logs in on the dialog the CLI showed: the page, then its
/// form with `login_as`; answers where Facebook sends the browser back.
fn log_in_on_the_dialog(url: &str) -> String {
    let (status, _, page) = browse("GET", url, &[]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<form method=\"post\">"), "{page}");
    let query = url.split_once('?').unwrap().1;
    let mut form: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    form.push(("login_as".into(), USER_TOKEN.into()));
    let (status, location, body) = browse("POST", url.split_once('?').unwrap().0, &form);
    assert_eq!(status, 302, "{body}");
    let location = location.expect("a redirect");
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    assert!(location.contains("/callback?code="), "{location}");
    location
}

fn dialog_url(line: &str) -> Option<String> {
    let url = line.trim();
    (url.starts_with("http://") && url.contains("/dialog/oauth?")).then(|| url.to_string())
}

#[test]
fn the_browser_login_follows_the_loopback_redirect_and_refuses_a_wrong_state() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, None, false);
    let project = project(&sandbox);

    let mut login = Background::start(&project, &["-vvv", "login", "facebook", "--no-browser"]);
    let url = login.wait_for(dialog_url);
    assert!(url.contains(&format!("client_id={APP_ID}")), "{url}");
    assert!(
        url.contains("scope=pages_show_list%2Cpages_messaging%2Cpages_manage_metadata"),
        "{url}"
    );
    assert!(
        url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{url}"
    );
    let callback = log_in_on_the_dialog(&url);
    let code = callback
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let (status, _, page) = browse("GET", &callback, &[]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Logged in."), "{page}");
    let (run, text) = login.finish();
    assert_eq!(run.code, 0, "{text}");
    assert!(
        run.stdout.contains("Logged in to Facebook as Sandbox User"),
        "{text}"
    );
    assert!(
        run.stdout
            .contains("Token: exchanged for a long-lived token"),
        "{text}"
    );
    let stored = stored_token(&project, &sandbox).expect("stored");
    assert_no_secret(
        "the browser login",
        &text,
        &[USER_TOKEN, APP_SECRET, &code, &stored],
    );

    // A redirect whose state is not the login's is refused, and nothing
    // is stored.
    project.run(&["logout", "facebook"]);
    let mut login = Background::start(&project, &["login", "facebook", "--no-browser"]);
    let url = login.wait_for(dialog_url);
    let callback = log_in_on_the_dialog(&url);
    let (base, query) = callback.split_once('?').unwrap();
    let forged: Vec<(String, String)> = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap()
        .into_iter()
        .map(|(k, v)| {
            if k == "state" {
                (k, "forged".into())
            } else {
                (k, v)
            }
        })
        .collect();
    let forged = format!("{base}?{}", serde_urlencoded::to_string(&forged).unwrap());
    let (status, _, page) = browse("GET", &forged, &[]);
    assert_eq!(status, 400, "{page}");
    let (run, text) = login.finish();
    assert_eq!(run.code, 1, "{text}");
    assert!(
        text.contains("error: refused Facebook's redirect: its state did not match this login's"),
        "{text}"
    );
    assert_eq!(stored_token(&project, &sandbox), None);
}

fn device_settings(sandbox: &Sandbox, settings: Value) {
    let (status, body) = sandbox.api("PUT", "/_sandbox/facebook/device", Some(settings));
    assert_eq!(status, 204, "{body}");
}

fn user_code(line: &str) -> Option<String> {
    let code = line.trim();
    (code.len() == 8 && code.chars().all(|c| c.is_ascii_alphanumeric())).then(|| code.to_string())
}

fn polls(sandbox: &Sandbox) -> usize {
    sandbox
        .requests()
        .into_iter()
        .filter(|(_, path, _)| path.ends_with("/device/login_status"))
        .count()
}

#[test]
fn the_device_login_polls_through_pending_and_slow_down_to_success() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, None, false);
    device_settings(
        &sandbox,
        json!({"interval": 1, "expires_in": 60, "slow_down": 1}),
    );
    let mut project = project(&sandbox);
    project.env("FACEBOOK_CLIENT_TOKEN", "client-token-under-test");
    let mut login = Background::start(&project, &["-vvv", "login", "facebook", "--device"]);
    let verification = login.wait_for(|line| {
        line.strip_prefix("To log in to Facebook, visit ")
            .map(|rest| rest.split(' ').next().unwrap().to_string())
    });
    assert_eq!(verification, format!("{}/device", sandbox.url));
    let code = login.wait_for(user_code);
    // Let it poll: told to slow down once, then pending.
    login.wait_for(|line| {
        line.contains("Facebook asked to check less often")
            .then_some(())
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while polls(&sandbox) < 2 {
        assert!(Instant::now() < deadline, "no second poll");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, _, page) = browse(
        "POST",
        &verification,
        &[
            ("user_code".into(), code.clone()),
            ("login_as".into(), USER_TOKEN.into()),
        ],
    );
    assert_eq!(status, 200, "{page}");
    let (run, text) = login.finish();
    assert_eq!(run.code, 0, "{text}");
    assert!(
        run.stdout.contains("Logged in to Facebook as Sandbox User"),
        "{text}"
    );
    assert!(polls(&sandbox) >= 3, "slow down, pending, then the token");
    let stored = stored_token(&project, &sandbox).expect("stored");
    assert_no_secret(
        "the device login",
        &text,
        &[USER_TOKEN, APP_SECRET, &stored],
    );
}

#[test]
fn a_device_code_nobody_enters_expires_and_the_login_says_so() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, None, false);
    device_settings(&sandbox, json!({"interval": 1, "expires_in": 2}));
    let mut project = project(&sandbox);
    project.env("FACEBOOK_CLIENT_TOKEN", "client-token-under-test");
    let login = Background::start(&project, &["login", "facebook", "--device"]);
    let (run, text) = login.finish();
    assert_eq!(run.code, 1, "{text}");
    assert!(
        text.contains("error: the device code expired before anyone entered it (2 s); run socialform login facebook --device again"),
        "{text}"
    );
    assert!(!credentials(&project).exists());
}

/// A project whose runs choose the credential store themselves (no
/// `SOCIALFORM_CREDENTIAL_STORE`, or the one given), on a session bus
/// that is not there: no system keyring is reachable.
fn keyringless(sandbox: &Sandbox, store: Option<&str>) -> (Project, Vec<&'static str>) {
    let mut project = project(sandbox);
    project.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    if let Some(store) = store {
        project.env("SOCIALFORM_CREDENTIAL_STORE", store);
    }
    (
        project,
        if store.is_none() {
            vec!["SOCIALFORM_CREDENTIAL_STORE"]
        } else {
            vec![]
        },
    )
}

fn run_unset(project: &Project, unset: &[&str], args: &[&str], stdin: Option<&str>) -> Run {
    let mut command = project.command(args);
    for name in unset {
        command.env_remove(name);
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    use std::io::Write;
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(format!("{text}\n").as_bytes()).unwrap();
    }
    drop(input);
    Run::from(child.wait_with_output().unwrap())
}

#[test]
fn without_a_reachable_keyring_the_default_keeps_the_login_in_the_file_and_says_so() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, None, false);
    let (project, unset) = keyringless(&sandbox, None);
    let login = run_unset(
        &project,
        &unset,
        &["login", "facebook", "--token-stdin"],
        Some(USER_TOKEN),
    );
    assert_eq!(login.code, 0, "{}{}", login.stdout, login.stderr);
    let file = credentials(&project);
    assert!(
        login.stdout.contains(&format!(
            "Stored in {} (mode 0600): no system keyring is reachable here (",
            file.display()
        )),
        "{}",
        login.stdout
    );
    let stored = stored_token(&project, &sandbox).expect("the file holds the login");
    assert_no_secret(
        "login",
        &format!("{}{}", login.stdout, login.stderr),
        &[USER_TOKEN, stored.as_str()],
    );
    // Read back from the file by the next plan.
    let plan = run_unset(&project, &unset, &["plan"], None);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);

    let logout = run_unset(&project, &unset, &["logout", "facebook"], None);
    assert_eq!(logout.code, 0, "{}", logout.stderr);
    assert_eq!(
        logout.stdout,
        format!(
            "Logged out of Facebook: the stored login was removed from {} (mode 0600).\n",
            file.display()
        )
    );
    assert_eq!(stored_token(&project, &sandbox), None);
}

#[test]
fn a_forced_keyring_that_is_not_reachable_is_a_clear_error_and_stores_nothing() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, None, false);
    let (project, unset) = keyringless(&sandbox, Some("keyring"));
    let login = run_unset(
        &project,
        &unset,
        &["login", "facebook", "--token-stdin"],
        Some(USER_TOKEN),
    );
    assert_eq!(login.code, 1, "{}{}", login.stdout, login.stderr);
    assert!(
        login.stderr.contains(
            "error: SOCIALFORM_CREDENTIAL_STORE=keyring, but the system keyring (Secret Service) \
             cannot be used here ("
        ) && login
            .stderr
            .contains("or set SOCIALFORM_CREDENTIAL_STORE=file"),
        "{}",
        login.stderr
    );
    assert_no_secret("login", &login.stderr, &[USER_TOKEN]);
    assert!(!credentials(&project).exists());
    assert!(!project.config_home().join("socialform").exists());
}
