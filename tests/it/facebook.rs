//! Page tokens from Facebook and their health, through the binary against
//! `sandbox serve`, whose Graph emulator plays Facebook.

use crate::support::*;
use serde_json::{Value, json};

const USER_TOKEN: &str = "EAAuser-token-under-test-0001";
const APP_ID: &str = "424242424242";
const APP_SECRET: &str = "app-secret-under-test-0001";

/// A Facebook user who manages `pages` (id, name); their page tokens.
fn facebook_user(sandbox: &Sandbox, pages: &[(&str, &str)]) -> Vec<String> {
    let pages: Vec<Value> = pages
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    let (status, body) = sandbox.api(
        "POST",
        "/_sandbox/facebook/users",
        Some(json!({"user_token": USER_TOKEN, "pages": pages})),
    );
    assert_eq!(status, 201, "{body}");
    body["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["access_token"].as_str().unwrap().to_string())
        .collect()
}

/// Changes when `token` expires (0: never).
fn set_expiry(sandbox: &Sandbox, token: &str, expires_at: i64) {
    let (status, body) = sandbox.api(
        "PUT",
        "/_sandbox/facebook/tokens",
        Some(json!({"access_token": token, "expires_at": expires_at})),
    );
    assert_eq!(status, 204, "{body}");
}

fn revoke(sandbox: &Sandbox, token: &str) {
    let (status, body) = sandbox.api(
        "PUT",
        "/_sandbox/facebook/tokens",
        Some(json!({"access_token": token, "valid": false, "expires_at": 0})),
    );
    assert_eq!(status, 204, "{body}");
}

/// The token Vonage holds for a page, read from the emulated API.
fn held_token(sandbox: &Sandbox, page_id: &str) -> String {
    let page = sandbox.page(page_id).expect("the page is connected");
    page["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Graph requests in the sandbox's log, as `METHOD PATH`.
fn graph_requests(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .requests()
        .into_iter()
        .filter(|(_, path, _)| !path.starts_with("/beta/") && !path.starts_with("/v2/"))
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A project whose Facebook credentials come from the environment.
fn project(sandbox: &Sandbox, app: bool) -> Project {
    let mut project = Project::against(sandbox);
    project.env("FACEBOOK_GRAPH_ENDPOINT", &sandbox.url);
    project.env("FACEBOOK_USER_TOKEN", USER_TOKEN);
    if app {
        project.env("FACEBOOK_APP_ID", APP_ID);
        project.env("FACEBOOK_APP_SECRET", APP_SECRET);
    }
    project
}

const TWO_PAGES: &str = r#"
page "support" {
  page_id = "107300000000001"
  name    = "Acme Support"
}

page "sales" {
  page_id = "107300000000002"
}

link "bot" {
  page        = page.support.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
"#;

/// No secret in `text`, which must hold something: a scan of nothing
/// proves nothing.
fn assert_no_secret(text: &str, secrets: &[&str]) {
    assert!(!text.is_empty(), "nothing to scan for secrets");
    for secret in secrets {
        assert!(!text.contains(secret), "a secret leaked:\n{text}");
    }
}

/// No secret in a run's stdout or stderr; `expected` is in one of them.
fn assert_run_keeps_secrets(run: &Run, expected: &str, secrets: &[&str]) {
    let both = format!("{}{}", run.stdout, run.stderr);
    assert!(
        both.contains(expected),
        "the scanned output lacks {expected:?}:\n{both}"
    );
    assert_no_secret(&both, secrets);
}

#[test]
fn pages_without_a_token_are_connected_with_the_one_facebook_gives() {
    let sandbox = Sandbox::start();
    let tokens = facebook_user(
        &sandbox,
        &[
            ("107300000000001", "Acme Support"),
            ("107300000000002", "Acme Sales"),
        ],
    );
    let project = project(&sandbox, false);
    project.write("main.hcl", TWO_PAGES);
    let plan = Test::on(&project)
        .args(["plan", "--out", "p.sfplan"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.sales will be connected
                (not in state)
              + page.sales {
                  + page_id      = "107300000000002"
                  + name         = "Acme Sales"
                  + access_token = (sensitive value)
                }

              # page.support will be connected
                (not in state)
              + page.support {
                  + page_id      = "107300000000001"
                  + name         = "Acme Support"
                  + access_token = (sensitive value)
                }

              # link.bot will be linked
                (not in state)
              + link.bot {
                  + page        = "107300000000001"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.sales)
                2. POST   /beta/chatapp-accounts/messenger  (page.support, link.bot)

            Plan: 2 to connect, 1 to link. API calls: 2

            Saved the plan to [DIR]/p.sfplan. Apply exactly it with: socialform -C [DIR] apply p.sfplan
            "#,
        )
        .requests(&[])
        .run();
    assert!(plan.stdout.contains("Plan: 2 to connect, 1 to link."));
    let apply = Test::on(&project)
        .args(["apply", "p.sfplan"])
        // The two connects run at once: their progress lines come in the
        // order the calls start and finish.
        .sort_after("Plan: ")
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.sales will be connected
                (not in state)
              + page.sales {
                  + page_id      = "107300000000002"
                  + name         = "Acme Sales"
                  + access_token = (sensitive value)
                }

              # page.support will be connected
                (not in state)
              + page.support {
                  + page_id      = "107300000000001"
                  + name         = "Acme Support"
                  + access_token = (sensitive value)
                }

              # link.bot will be linked
                (not in state)
              + link.bot {
                  + page        = "107300000000001"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.sales)
                2. POST   /beta/chatapp-accounts/messenger  (page.support, link.bot)

            Plan: 2 to connect, 1 to link. API calls: 2
            page.sales: POST /beta/chatapp-accounts/messenger ...
            page.sales: done [T]
            page.support, link.bot: POST /beta/chatapp-accounts/messenger ...
            page.support, link.bot: done [T]

            Apply complete! 2 connected, 1 linked. API calls: 2
            "#,
        )
        .requests(&[
            "POST /beta/chatapp-accounts/messenger",
            "POST /beta/chatapp-accounts/messenger",
        ])
        .run();
    assert_eq!(held_token(&sandbox, "107300000000001"), tokens[0]);
    assert_eq!(held_token(&sandbox, "107300000000002"), tokens[1]);
    // The page with no name in the configuration has Facebook's (issue 26,
    // item 13), not an empty one.
    assert_eq!(
        sandbox.page("107300000000002").unwrap()["name"],
        "Acme Sales"
    );
    // One list read per run, never one request per page.
    let again = Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
    let graph = graph_requests(&sandbox);
    assert_eq!(
        graph.iter().filter(|r| r.contains("me/accounts")).count(),
        1,
        "{graph:?}"
    );

    let plan_file = std::fs::read(project.path().join("p.sfplan")).unwrap();
    let mut secrets: Vec<&str> = tokens.iter().map(String::as_str).collect();
    secrets.push(USER_TOKEN);
    let state: Vec<_> = project
        .state_bytes()
        .into_iter()
        .filter(|(path, _)| !path.components().any(|c| c.as_os_str() == "sandbox"))
        .collect();
    assert!(
        state
            .iter()
            .any(|(_, bytes)| contains_bytes(bytes, "107300000000001")),
        "the scanned state holds the pages: {:?}",
        state.iter().map(|(path, _)| path).collect::<Vec<_>>()
    );
    for (path, bytes) in &state {
        for secret in &secrets {
            assert!(
                !contains_bytes(bytes, secret),
                "{} holds a token",
                path.display()
            );
        }
    }
    assert!(
        contains_bytes(&plan_file, "107300000000002"),
        "the scanned plan holds the pages"
    );
    for secret in &secrets {
        assert!(
            !contains_bytes(&plan_file, secret),
            "the saved plan holds a token"
        );
    }
    for (run, expected) in [
        (&plan, "Plan: 2 to connect, 1 to link."),
        (&apply, "Apply complete!"),
        (&again, "No changes."),
    ] {
        assert_run_keeps_secrets(run, expected, &secrets);
    }
    let history = Test::on(&project)
        .args(["history", "--json"])
        .stdout_json(json!({
            "entries": [
                {
                    "changes": [
                        "page.sales: connect",
                        "page.support: connect",
                        "link.bot: link"
                    ],
                    "command": "apply",
                    "finished_at": "[TIME]",
                    "outcome": "complete",
                    "started_at": "[TIME]",
                    "who": "[WHO]"
                }
            ],
            "format_version": "1.0"
        }))
        .run();
    assert_run_keeps_secrets(&history, "page.support", &secrets);
}

#[test]
fn a_page_the_user_cannot_manage_fails_at_its_block_before_any_call() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let project = project(&sandbox, false);
    project.write("main.hcl", TWO_PAGES);
    let run = Test::on(&project)
        .args(["apply", "--auto-approve"])
        .status(1)
        .stderr(
            r#"
            error: [DIR]/main.hcl:7:6: page.sales: the Facebook user token cannot manage page 107300000000002: it is not among the 1 page(s) GET /me/accounts lists. The user needs a role on the page with the MESSAGING or MANAGE task, and the token needs pages_show_list, pages_messaging and pages_manage_metadata
            "#,
        )
        .requests(&[])
        .run();
    assert!(run.stderr.contains(
        "main.hcl:7:6: page.sales: the Facebook user token cannot manage page 107300000000002"
    ));
    assert!(run.stderr.contains("MESSAGING"), "{}", run.stderr);
}

#[test]
fn a_revoked_token_is_drift_and_plan_reconnects_it_with_the_reason() {
    let sandbox = Sandbox::start();
    let tokens = facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let project = project(&sandbox, true);
    project.write(
        "main.hcl",
        &TWO_PAGES[..TWO_PAGES.find("page \"sales\"").unwrap()],
    );
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support will be connected
                (not in state)
              + page.support {
                  + page_id      = "107300000000001"
                  + name         = "Acme Support"
                  + access_token = (sensitive value)
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.support)

            Plan: 1 to connect. API calls: 1
            page.support: POST /beta/chatapp-accounts/messenger ...
            page.support: done [T]

            Apply complete! 1 connected. API calls: 1
            "#,
        )
        .requests(&["POST /beta/chatapp-accounts/messenger"])
        .run();
    Test::on(&project)
        .args(["drift"])
        .stdout("No drift: 1 managed resource(s) match the remote side.\n")
        .run();

    revoke(&sandbox, &tokens[0]);
    let drift = Test::on(&project)
        .args(["drift", "--json"])
        .status(2)
        .stdout_json(json!({
            "drifted": [
                {
                    "actual": "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
                    "address": "page.support",
                    "attribute": "access_token",
                    "expected": "a valid token of page 107300000000001",
                    "kind": "token_invalid"
                }
            ],
            "format_version": "1.0",
            "summary": {
                "drifted": 1,
                "managed": 1,
                "unmanaged": 0
            },
            "tokens_not_compared": [],
            "unmanaged": []
        }))
        .run();
    let drifted = &drift.json()["drifted"];
    assert_eq!(drifted.as_array().unwrap().len(), 1, "{drifted}");
    assert_eq!(drifted[0]["kind"], "token_invalid");
    assert_eq!(drifted[0]["attribute"], "access_token");
    assert_eq!(
        drifted[0]["expected"],
        "a valid token of page 107300000000001"
    );
    assert!(!drifted[0]["actual"].as_str().unwrap().is_empty());

    let plan = Test::on(&project)
        .args(["plan", "--json"])
        .stdout_json(json!({
            "calls": [
                {
                    "addresses": [
                        "page.support"
                    ],
                    "method": "PATCH",
                    "path": "/beta/chatapp-accounts/messenger/107300000000001"
                }
            ],
            "changes": [
                {
                    "action": "reconnect",
                    "address": "page.support",
                    "after": {},
                    "before": {},
                    "reason": "the token Vonage holds is invalid: Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
                    "sensitive": [
                        "access_token"
                    ]
                }
            ],
            "drift": [
                {
                    "actual": "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
                    "address": "page.support",
                    "attribute": "access_token",
                    "expected": "a valid token of page 107300000000001",
                    "kind": "token_invalid"
                }
            ],
            "format_version": "1.1",
            "resource_changes": [
                {
                    "address": "page.support",
                    "change": {
                        "actions": [
                            "update"
                        ],
                        "after": {
                            "name": "Acme Support",
                            "page_id": "107300000000001"
                        },
                        "after_sensitive": {
                            "access_token": true
                        },
                        "after_unknown": {},
                        "before": {
                            "name": "Acme Support",
                            "page_id": "107300000000001"
                        },
                        "before_sensitive": {
                            "access_token": true
                        }
                    },
                    "mode": "managed",
                    "name": "support",
                    "provider_name": "vonage",
                    "socialform_actions": [
                        "reconnect"
                    ],
                    "type": "page"
                }
            ],
            "summary": {
                "calls": 1,
                "connect": 0,
                "disconnect": 0,
                "link": 0,
                "reconnect": 1,
                "relink": 0,
                "replace": 0,
                "unlink": 0,
                "update": 0
            }
        }))
        .requests(&[])
        .run();
    assert_eq!(
        plan.planned_calls(),
        vec!["PATCH /beta/chatapp-accounts/messenger/107300000000001"]
    );
    let change = &plan.json()["changes"][0];
    assert_eq!(change["action"], "reconnect");
    assert!(
        change["reason"]
            .as_str()
            .unwrap()
            .starts_with("the token Vonage holds is invalid: "),
        "{change}"
    );
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            Note: token(s) Facebook reports invalid, expiring or short of a permission (not changes made outside socialform)

              # page.support: the token Vonage holds is invalid: Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.

            socialform will perform the following actions:

              # page.support will be updated in place with a new access token
                (the token Vonage holds is invalid: Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.)
              ~ page.support {
                  ~ access_token = (sensitive value) -> (sensitive value)
                }

            API calls, in order:
                1. PATCH  /beta/chatapp-accounts/messenger/107300000000001  (page.support)

            Plan: 1 to reconnect. API calls: 1
            page.support: PATCH /beta/chatapp-accounts/messenger/107300000000001 ...
            page.support: done [T]

            Apply complete! 1 reconnected. API calls: 1
            "#,
        )
        .requests(&["PATCH /beta/chatapp-accounts/messenger/107300000000001"])
        .run();
    let fresh = held_token(&sandbox, "107300000000001");
    assert_ne!(fresh, tokens[0]);
    Test::on(&project)
        .args(["drift"])
        .stdout("No drift: 1 managed resource(s) match the remote side.\n")
        .run();
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
}

#[test]
fn a_token_about_to_expire_is_reconnected_to_one_that_lasts_longer() {
    let sandbox = Sandbox::start();
    let first = facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    // The user token expires in 3 days, and so does every page token read
    // with it: on Facebook a page token lasts as long as its user token.
    set_expiry(&sandbox, USER_TOKEN, now() + 3 * 86_400);
    let project = project(&sandbox, true);
    project.write(
        "main.hcl",
        &TWO_PAGES[..TWO_PAGES.find("page \"sales\"").unwrap()],
    );
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            Warning: page.support: the token this plan sends expires [TIME], inside token_warning_days; it is sent as the best at hand, but get a long-lived one (a page token from a long-lived user token) before it runs out

            Warning: provider.facebook: the Facebook user token expires [TIME]; expected a token valid past [TIME] (run socialform login facebook and unset FACEBOOK_USER_TOKEN, or set it to a fresh token)

            socialform will perform the following actions:

              # page.support will be connected
                (not in state)
              + page.support {
                  + page_id      = "107300000000001"
                  + name         = "Acme Support"
                  + access_token = (sensitive value)
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.support)

            Plan: 1 to connect. API calls: 1
            page.support: POST /beta/chatapp-accounts/messenger ...
            page.support: done [T]

            Apply complete! 1 connected. API calls: 1
            "#,
        )
        .requests(&["POST /beta/chatapp-accounts/messenger"])
        .run();
    let soon = held_token(&sandbox, "107300000000001");
    assert_ne!(
        soon, first[0],
        "a page token read with the expiring user token"
    );

    let drift = Test::on(&project)
        .args(["drift", "--json"])
        .status(2)
        .stdout_json(json!({
            "drifted": [
                {
                    "actual": "expires [TIME]",
                    "address": "page.support",
                    "attribute": "access_token",
                    "expected": "a token valid past [TIME]",
                    "kind": "token_expiring"
                },
                {
                    "actual": "expires [TIME]",
                    "address": "provider.facebook",
                    "attribute": "user_token",
                    "expected": "a token valid past [TIME] (run socialform login facebook and unset FACEBOOK_USER_TOKEN, or set it to a fresh token)",
                    "kind": "user_token_expiring"
                }
            ],
            "format_version": "1.0",
            "summary": {
                "drifted": 2,
                "managed": 1,
                "unmanaged": 0
            },
            "tokens_not_compared": [],
            "unmanaged": []
        }))
        .run();
    let entry = &drift.json()["drifted"][0];
    assert_eq!(entry["kind"], "token_expiring", "{entry}");
    // The token socialform sent is expiring: drift says so, and does not
    // call it a change made outside socialform (issue 26, item 5).
    Test::on(&project)
        .args(["drift"])
        .status(2)
        .stdout(
            r#"
            Drift: 2 token(s) Facebook reports invalid, expiring or short of a permission (not changes made outside socialform)
              # page.support: the token Vonage holds expires [TIME]
              # provider.facebook: the Facebook user token expires [TIME]; expected a token valid past [TIME] (run socialform login facebook and unset FACEBOOK_USER_TOKEN, or set it to a fresh token)

            Drift detected: 2 drifted, 0 unmanaged, 1 managed.
            "#,
        )
        .run();
    assert!(
        entry["actual"].as_str().unwrap().starts_with("expires 20"),
        "{entry}"
    );
    // Nothing lasts longer yet: plan says so and changes nothing.
    let waiting = Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout(
            r#"
            Note: token(s) Facebook reports invalid, expiring or short of a permission (not changes made outside socialform)

              # page.support: the token Vonage holds expires [TIME]

            Warning: page.support: the token Vonage holds expires [TIME], and no valid token that lasts longer is at hand: the Facebook user must log in again (or grant the page's permissions again) so that /me/accounts hands out a fresh page token, then run plan again

            Warning: provider.facebook: the Facebook user token expires [TIME]; expected a token valid past [TIME] (run socialform login facebook and unset FACEBOOK_USER_TOKEN, or set it to a fresh token)

            No changes can be planned: see the warning(s) above.
            "#,
        )
        .requests(&[])
        .run();
    assert!(
        waiting
            .stdout
            .contains("Warning: page.support: the token Vonage holds expires")
    );
    assert!(
        waiting
            .stdout
            .contains("No changes can be planned: see the warning(s) above.")
    );

    // The user logs in again: a user token that never expires, and page
    // tokens read with it that never do.
    set_expiry(&sandbox, USER_TOKEN, 0);
    let plan = Test::on(&project)
        .args(["plan", "--json"])
        .stdout_json(json!({
            "calls": [
                {
                    "addresses": [
                        "page.support"
                    ],
                    "method": "PATCH",
                    "path": "/beta/chatapp-accounts/messenger/107300000000001"
                }
            ],
            "changes": [
                {
                    "action": "reconnect",
                    "address": "page.support",
                    "after": {},
                    "before": {},
                    "reason": "the token Vonage holds expires [TIME]",
                    "sensitive": [
                        "access_token"
                    ]
                }
            ],
            "drift": [
                {
                    "actual": "expires [TIME]",
                    "address": "page.support",
                    "attribute": "access_token",
                    "expected": "a token valid past [TIME]",
                    "kind": "token_expiring"
                }
            ],
            "format_version": "1.1",
            "resource_changes": [
                {
                    "address": "page.support",
                    "change": {
                        "actions": [
                            "update"
                        ],
                        "after": {
                            "name": "Acme Support",
                            "page_id": "107300000000001"
                        },
                        "after_sensitive": {
                            "access_token": true
                        },
                        "after_unknown": {},
                        "before": {
                            "name": "Acme Support",
                            "page_id": "107300000000001"
                        },
                        "before_sensitive": {
                            "access_token": true
                        }
                    },
                    "mode": "managed",
                    "name": "support",
                    "provider_name": "vonage",
                    "socialform_actions": [
                        "reconnect"
                    ],
                    "type": "page"
                }
            ],
            "summary": {
                "calls": 1,
                "connect": 0,
                "disconnect": 0,
                "link": 0,
                "reconnect": 1,
                "relink": 0,
                "replace": 0,
                "unlink": 0,
                "update": 0
            }
        }))
        .requests(&[])
        .run();
    assert_eq!(
        plan.planned_calls(),
        vec!["PATCH /beta/chatapp-accounts/messenger/107300000000001"]
    );
    assert!(
        plan.json()["changes"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("the token Vonage holds expires "),
        "{}",
        plan.stdout
    );
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            Note: token(s) Facebook reports invalid, expiring or short of a permission (not changes made outside socialform)

              # page.support: the token Vonage holds expires [TIME]

            socialform will perform the following actions:

              # page.support will be updated in place with a new access token
                (the token Vonage holds expires [TIME])
              ~ page.support {
                  ~ access_token = (sensitive value) -> (sensitive value)
                }

            API calls, in order:
                1. PATCH  /beta/chatapp-accounts/messenger/107300000000001  (page.support)

            Plan: 1 to reconnect. API calls: 1
            page.support: PATCH /beta/chatapp-accounts/messenger/107300000000001 ...
            page.support: done [T]

            Apply complete! 1 reconnected. API calls: 1
            "#,
        )
        .requests(&["PATCH /beta/chatapp-accounts/messenger/107300000000001"])
        .run();
    let later = held_token(&sandbox, "107300000000001");
    assert_ne!(later, soon);
    Test::on(&project)
        .args(["drift"])
        .stdout("No drift: 1 managed resource(s) match the remote side.\n")
        .run();
    let tokens = Test::on(&project)
        .args(["tokens"])
        .stdout(
            "  page.support  107300000000001  valid, never expires\n\n\
             Facebook user token (FACEBOOK_USER_TOKEN): valid, never expires\n",
        )
        .run();
    assert!(tokens.stdout.contains("page.support"));
    assert!(tokens.stdout.contains("valid, never expires"));
}

#[test]
fn an_invalid_configured_token_stops_the_run_before_any_call() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let mut project = project(&sandbox, false);
    project.env("SF_VAR_support_token", "EAAnot-a-token-facebook-knows");
    project.write(
        "main.hcl",
        r#"variable "support_token" {
  sensitive = true
}

page "support" {
  page_id      = "107300000000001"
  access_token = var.support_token
}
"#,
    );
    let run = Test::on(&project)
        .args(["apply", "--auto-approve"])
        .status(1)
        .stderr(
            r#"
            error: [DIR]/main.hcl:5:6: page.support: the access token about to be sent is invalid: Invalid OAuth access token - Cannot parse access token; set a valid page access token for it
            Nothing was changed: Facebook called the token(s) above invalid before any call was made.
            "#,
        )
        .requests(&[])
        .run();
    assert!(
        run.stderr
            .contains("main.hcl:5:6: page.support: the access token about to be sent is invalid")
    );
    assert_no_secret(&run.stderr, &["EAAnot-a-token"]);
}

#[test]
fn for_each_over_120_facebook_pages_checks_tokens_in_batches_of_50() {
    let sandbox = Sandbox::start();
    let ids: Vec<String> = (0..120).map(|i| format!("1074{i:011}")).collect();
    let pages: Vec<(&str, &str)> = ids
        .iter()
        .map(|id| (id.as_str(), "Regional page"))
        .collect();
    facebook_user(&sandbox, &pages);
    let project = project(&sandbox, true);
    project.write(
        "main.hcl",
        r#"data "facebook_pages" "managed" {}

page "region" {
  for_each = data.facebook_pages.managed.pages
  page_id  = each.key
  name     = each.value.name
}
"#,
    );
    Test::on(&project).args(["validate"]).stdout(
            r#"
            Success! The configuration is valid: 0 page(s), 0 link(s).
            Blocks that use data.facebook_pages are checked once Facebook answers (plan), and not counted here.
            "#,
        ).run();
    let mut plan = String::from("socialform will perform the following actions:\n\n");
    let mut calls = String::new();
    let mut progress = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        plan.push_str(&format!(
            "  # page.region[\"{id}\"] will be connected\n    (not in state)\n  \
             + page.region[\"{id}\"] {{\n      + page_id      = \"{id}\"\n      \
             + name         = \"Regional page\"\n      + access_token = (sensitive value)\n    }}\n\n"
        ));
        calls.push_str(&format!(
            "{:>5}. POST   /beta/chatapp-accounts/messenger  (page.region[\"{id}\"])\n",
            n + 1
        ));
        progress.push(format!(
            "page.region[\"{id}\"]: POST /beta/chatapp-accounts/messenger ...\n"
        ));
        progress.push(format!("page.region[\"{id}\"]: done [T]\n"));
    }
    progress.sort();
    let apply = Test::on(&project)
        .args(["apply", "--auto-approve"])
        // The connects run in parallel: their progress lines come in the
        // order the calls start and finish, so that block is compared sorted.
        .sort_after("Plan: ")
        .stdout(&format!(
            "{plan}API calls, in order:\n{calls}\nPlan: 120 to connect. API calls: 120\n{}\n\
             Apply complete! 120 connected. API calls: 120\n",
            progress.concat()
        ))
        .requests(&["POST /beta/chatapp-accounts/messenger"; 120])
        .run();
    assert!(apply.stdout.contains("Apply complete! 120 connected."));
    let graph = graph_requests(&sandbox);
    let lists = graph.iter().filter(|r| r.contains("me/accounts")).count();
    let batches = graph.iter().filter(|r| r.starts_with("POST")).count();
    assert_eq!((lists, batches), (2, 3), "{graph:?}");

    sandbox.clear_requests();
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
    let graph = graph_requests(&sandbox);
    let batches = graph.iter().filter(|r| r.starts_with("POST")).count();
    assert_eq!(batches, 3, "{graph:?}");
}

/// Graph misbehaving: every answer that is not Graph's JSON, and
/// throttling, are retried; when they last, the run fails clearly, naming
/// Graph, before any Vonage call.
#[test]
fn graph_faults_are_retried_and_a_lasting_one_fails_clearly() {
    let sandbox = Sandbox::start();
    facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let project = project(&sandbox, false);
    project.write(
        "main.hcl",
        &TWO_PAGES[..TWO_PAGES.find("page \"sales\"").unwrap()],
    );
    for kind in ["html", "server_error", "throttle", "malformed_json"] {
        let (status, body) = sandbox.api(
            "POST",
            "/_sandbox/facebook/faults",
            Some(json!({"kind": kind, "times": 1})),
        );
        assert_eq!(status, 204, "{body}");
        let run = Test::on(&project)
            .args(["plan", "--max-retries", "2"])
            .stdout(
                r#"
                socialform will perform the following actions:

                  # page.support will be connected
                    (not in state)
                  + page.support {
                      + page_id      = "107300000000001"
                      + name         = "Acme Support"
                      + access_token = (sensitive value)
                    }

                API calls, in order:
                    1. POST   /beta/chatapp-accounts/messenger  (page.support)

                Plan: 1 to connect. API calls: 1
                "#,
            )
            .requests(&[])
            .run();
        assert!(run.stdout.contains("Plan: 1 to connect."), "{kind}");
    }
    for (kind, says, stderr) in [
        (
            "html",
            "not Graph's JSON",
            "answered 502 with text/html content, not Graph's JSON (a proxy or an outage page?)",
        ),
        (
            "server_error",
            "Graph API answered 500",
            "answered 500: An unexpected error has occurred. Please retry your request later. \
             (code 2, fbtrace_id [FBTRACE])",
        ),
        (
            "throttle",
            "code 4",
            "answered 403: (#4) Application request limit reached (code 4, fbtrace_id [FBTRACE])",
        ),
        (
            "malformed_json",
            "could not be read",
            "answered 200 with a body that could not be read: not valid JSON",
        ),
    ] {
        let stderr = format!(
            "error: could not list the pages the Facebook user token manages (GET /me/accounts): \
             Facebook's Graph API {stderr}\n"
        );
        let (status, _) = sandbox.api(
            "POST",
            "/_sandbox/facebook/faults",
            Some(json!({"kind": kind, "times": 50})),
        );
        assert_eq!(status, 204);
        let run = Test::on(&project)
            .args(["apply", "--auto-approve", "--max-retries", "1"])
            .status(1)
            .stderr(&stderr)
            .requests(&[])
            .run();
        assert!(run.stderr.contains(says), "{kind}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert_no_secret(&run.stderr, &[USER_TOKEN]);
        let (status, _) = sandbox.api("DELETE", "/_sandbox/facebook/faults", None);
        assert!(status < 300);
    }
}

/// `-vvv` logs every HTTP request; none of them shows a token or the app
/// secret.
#[test]
fn no_token_or_app_secret_in_trace_logs() {
    let sandbox = Sandbox::start();
    let tokens = facebook_user(&sandbox, &[("107300000000001", "Acme Support")]);
    let project = project(&sandbox, true);
    project.write(
        "main.hcl",
        &TWO_PAGES[..TWO_PAGES.find("page \"sales\"").unwrap()],
    );
    let run = Test::on(&project)
        .args(["apply", "--auto-approve", "-vvv"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support will be connected
                (not in state)
              + page.support {
                  + page_id      = "107300000000001"
                  + name         = "Acme Support"
                  + access_token = (sensitive value)
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.support)

            Plan: 1 to connect. API calls: 1
            page.support: POST /beta/chatapp-accounts/messenger ...
            page.support: done [T]

            Apply complete! 1 connected. API calls: 1
            "#,
        )
        // The refresh reads Vonage and Graph at once: the log lines of
        // their requests interleave freely.
        .stderr_unordered()
        .stderr(
            r#"
            [TIME]  INFO socialform::apply: call done method="POST" path=/beta/chatapp-accounts/messenger elapsed_ms=[MS]
            [TIME]  INFO socialform::render::progress: refreshed pages=0 applications=3
            [TIME]  INFO socialform::render::progress: refreshing: reading the remote side
            [TIME] DEBUG socialform::facebook::client: graph: GET /v25.0/me/accounts
            [TIME] DEBUG socialform::facebook::client: graph: GET answered 200
            [TIME] DEBUG socialform::facebook::client: graph: POST /v25.0/
            [TIME] DEBUG socialform::facebook::client: graph: POST answered 200
            [TIME] DEBUG socialform::remote::client: request method=GET path=/beta/chatapp-accounts status=200 elapsed_ms=[MS]
            [TIME] DEBUG socialform::remote::client: request method=GET path=/v2/applications status=200 elapsed_ms=[MS]
            [TIME] DEBUG socialform::remote::client: request method=POST path=/beta/chatapp-accounts/messenger status=201 elapsed_ms=[MS]
            "#,
        )
        .requests(&["POST /beta/chatapp-accounts/messenger"])
        .run();
    assert!(
        run.stderr.contains("graph"),
        "no Graph request was logged:\n{}",
        run.stderr
    );
    let drift = Test::on(&project)
        .args(["drift", "-vvv"])
        .stdout(
            "No drift: 1 managed resource(s) match the remote side.\n",
        )
        .stderr_unordered()
        .stderr(
            r#"
            [TIME]  INFO socialform::render::progress: refreshed pages=1 applications=3
            [TIME]  INFO socialform::render::progress: refreshing: reading the remote side
            [TIME] DEBUG socialform::facebook::client: graph: GET /v25.0/me/accounts
            [TIME] DEBUG socialform::facebook::client: graph: GET answered 200
            [TIME] DEBUG socialform::facebook::client: graph: POST /v25.0/
            [TIME] DEBUG socialform::facebook::client: graph: POST answered 200
            [TIME] DEBUG socialform::remote::client: request method=GET path=/beta/chatapp-accounts status=200 elapsed_ms=[MS]
            [TIME] DEBUG socialform::remote::client: request method=GET path=/v2/applications status=200 elapsed_ms=[MS]
            "#,
        )
        .requests(&[])
        .run();
    assert!(
        drift.stderr.contains("graph"),
        "no Graph request was logged:\n{}",
        drift.stderr
    );
    for text in [&run.stdout, &run.stderr, &drift.stdout, &drift.stderr] {
        assert_no_secret(text, &[USER_TOKEN, APP_SECRET, &tokens[0]]);
    }
}

#[test]
fn tokens_lists_every_managed_page_and_the_pages_not_connected() {
    let sandbox = Sandbox::start();
    let tokens = facebook_user(
        &sandbox,
        &[
            ("107300000000001", "Acme Support"),
            ("107300000000003", "Acme Returns"),
        ],
    );
    let project = project(&sandbox, true);
    project.write(
        "main.hcl",
        &TWO_PAGES[..TWO_PAGES.find("page \"sales\"").unwrap()],
    );
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support will be connected
                (not in state)
              + page.support {
                  + page_id      = "107300000000001"
                  + name         = "Acme Support"
                  + access_token = (sensitive value)
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.support)

            Plan: 1 to connect. API calls: 1
            page.support: POST /beta/chatapp-accounts/messenger ...
            page.support: done [T]

            Apply complete! 1 connected. API calls: 1
            "#,
        )
        .requests(&["POST /beta/chatapp-accounts/messenger"])
        .run();
    let ok = Test::on(&project)
        .args(["tokens"])
        .stdout(
            r#"
              page.support  107300000000001  valid, never expires

            1 page(s) the Facebook user can manage are not connected:
              107300000000003  Acme Returns

            Facebook user token (FACEBOOK_USER_TOKEN): valid, never expires
            "#,
        )
        .run();
    assert!(
        ok.stdout
            .contains("page.support  107300000000001  valid, never expires")
    );
    assert!(ok.stdout.contains("107300000000003  Acme Returns"));

    // With the user token alone, `me` says valid but not until when.
    let unknown = Test::on(&project)
        .args(["tokens"])
        .env_remove("FACEBOOK_APP_ID")
        .env_remove("FACEBOOK_APP_SECRET")
        .stdout(
            r#"
              page.support  107300000000001  valid, expiry unknown

            1 page(s) the Facebook user can manage are not connected:
              107300000000003  Acme Returns

            Facebook user token (FACEBOOK_USER_TOKEN): valid, expiry and permissions unknown

            note: expiries are unknown: only debug_token tells them, and it needs the app's credentials (FACEBOOK_APP_ID and FACEBOOK_APP_SECRET, or app_id and app_secret in the provider "facebook" block); expiring tokens are not caught without them
            "#,
        )
        .run();
    assert!(
        unknown
            .stdout
            .contains("page.support  107300000000001  valid, expiry unknown")
    );
    assert!(unknown.stdout.contains("FACEBOOK_APP_ID"));

    revoke(&sandbox, &tokens[0]);
    let bad = Test::on(&project)
        .args(["tokens", "--json"])
        .status(2)
        .stdout_json(json!({
            "expiring_before": "[TIME]",
            "format_version": "1.0",
            "not_connected": [
                {
                    "id": "107300000000003",
                    "name": "Acme Returns",
                    "tasks": [
                        "ADVERTISE",
                        "ANALYZE",
                        "CREATE_CONTENT",
                        "MESSAGING",
                        "MODERATE",
                        "MANAGE"
                    ]
                }
            ],
            "pages": [
                {
                    "address": "page.support",
                    "connected": true,
                    "page_id": "107300000000001",
                    "token": {
                        "reason": "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
                        "valid": false
                    }
                }
            ],
            "user_token": {
                "expires_at": null,
                "expiring": false,
                "missing": [],
                "origin": "FACEBOOK_USER_TOKEN",
                "scopes": [
                    "pages_messaging",
                    "pages_manage_metadata",
                    "pages_show_list",
                    "public_profile"
                ],
                "system_user": false,
                "valid": true
            }
        }))
        .run();
    let page = &bad.json()["pages"][0];
    assert_eq!(page["address"], "page.support");
    assert_eq!(page["token"]["valid"], false);
    assert!(!page["token"]["reason"].as_str().unwrap().is_empty());
    assert_no_secret(&bad.stdout, &[USER_TOKEN, APP_SECRET, &tokens[0]]);

    // Without any Facebook credentials there is nothing to check with.
    let mut bare = Project::against(&sandbox);
    bare.env("SF_VAR_unused", "x");
    bare.write(
        "main.hcl",
        "page \"p\" {\n  page_id      = \"107300000000001\"\n  access_token = \"EAAx\"\n}\n",
    );
    let none = Test::on(&bare).args(["tokens"]).status(1).stderr(
            r#"
            error: no Facebook credentials to check tokens with: run socialform login facebook, or set FACEBOOK_USER_TOKEN (a long-lived user or system-user token), or FACEBOOK_APP_ID and FACEBOOK_APP_SECRET, or a provider "facebook" block
            "#,
        ).run();
    assert!(none.stderr.contains("no Facebook credentials"));
}

/// The example walks the whole flow against the built-in sandbox, with no
/// account anywhere.
#[test]
fn the_facebook_login_example_plans_and_applies_in_the_built_in_sandbox() {
    let project = Project::new();
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/facebook-login/main.hcl"
    ))
    .unwrap();
    // The README quotes the file's blocks: what it shows is what runs here.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let quoted = readme
        .split_once("demo user managing three pages. Its blocks, as the file has them:\n\n```hcl\n")
        .expect("the README quotes the facebook-login example")
        .1
        .split_once("```")
        .unwrap()
        .0;
    assert!(
        example.ends_with(quoted),
        "the README's quote of examples/facebook-login/main.hcl is not the file's end:\n{quoted}"
    );
    project.write("main.hcl", quoted);
    let apply = Test::on(&project)
        .args(["apply", "--auto-approve"])
        // Three connects at once: progress in the order they run.
        .sort_after("Plan: ")
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.acme["107900000000001"] will be connected
                (not in state)
              + page.acme["107900000000001"] {
                  + page_id      = "107900000000001"
                  + name         = "Acme Support"
                  + access_token = (sensitive value)
                }

              # page.acme["107900000000002"] will be connected
                (not in state)
              + page.acme["107900000000002"] {
                  + page_id      = "107900000000002"
                  + name         = "Acme Sales"
                  + access_token = (sensitive value)
                }

              # page.acme["107900000000003"] will be connected
                (not in state)
              + page.acme["107900000000003"] {
                  + page_id      = "107900000000003"
                  + name         = "Acme Returns"
                  + access_token = (sensitive value)
                }

              # link.support will be linked
                (not in state)
              + link.support {
                  + page        = "107900000000001"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.acme["107900000000001"], link.support)
                2. POST   /beta/chatapp-accounts/messenger  (page.acme["107900000000002"])
                3. POST   /beta/chatapp-accounts/messenger  (page.acme["107900000000003"])

            Plan: 3 to connect, 1 to link. API calls: 3
            page.acme["107900000000001"], link.support: POST /beta/chatapp-accounts/messenger ...
            page.acme["107900000000001"], link.support: done [T]
            page.acme["107900000000002"]: POST /beta/chatapp-accounts/messenger ...
            page.acme["107900000000002"]: done [T]
            page.acme["107900000000003"]: POST /beta/chatapp-accounts/messenger ...
            page.acme["107900000000003"]: done [T]

            Apply complete! 3 connected, 1 linked. API calls: 3
            "#,
        )
        .run();
    assert!(
        apply
            .stdout
            .contains("Apply complete! 3 connected, 1 linked.")
    );
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .run();
    Test::on(&project)
        .args(["drift"])
        .stdout("No drift: 4 managed resource(s) match the remote side.\n")
        .run();
    let tokens = Test::on(&project).args(["tokens"]).stdout(
            "  page.acme[\"107900000000001\"]  107900000000001  valid, never expires\n  page.acme[\"107900000000002\"]  107900000000002  valid, never expires\n  page.acme[\"107900000000003\"]  107900000000003  valid, never expires\n\nFacebook user token (the sandbox's demo user): valid, never expires\n",
        ).run();
    // Three pages, and the demo user's token.
    assert_eq!(tokens.stdout.matches("valid, never expires").count(), 4);
}

/// 120 pages for `for_each` over `data.facebook_pages`: a plan of them asks
/// Graph 5 times (2 pages of `/me/accounts`, 3 batches of token checks).
fn fleet_of_120(sandbox: &Sandbox, app: bool) -> (Project, Vec<String>) {
    let ids: Vec<String> = (0..120).map(|i| format!("1075{i:011}")).collect();
    let pages: Vec<(&str, &str)> = ids
        .iter()
        .map(|id| (id.as_str(), "Regional page"))
        .collect();
    facebook_user(sandbox, &pages);
    let project = project(sandbox, app);
    project.write(
        "main.hcl",
        r#"data "facebook_pages" "managed" {}

page "region" {
  for_each = data.facebook_pages.managed.pages
  page_id  = each.key
  name     = each.value.name
}
"#,
    );
    (project, ids)
}

fn set_usage(sandbox: &Sandbox, usage: Value) {
    let (status, body) = sandbox.api("PUT", "/_sandbox/facebook/usage", Some(usage));
    assert_eq!(status, 204, "{body}");
}

fn usage(sandbox: &Sandbox) -> Value {
    let (status, body) = sandbox.api("GET", "/_sandbox/facebook/usage", None);
    assert_eq!(status, 200, "{body}");
    body
}

/// The plan of 120 new pages, timed; it must succeed.
fn timed_plan(project: &Project) -> (Run, std::time::Duration) {
    let started = std::time::Instant::now();
    let run = project.run(&["plan", "-vvv"]);
    let took = started.elapsed();
    run.assert_code(0);
    assert!(
        run.stdout.contains("Plan: 120 to connect."),
        "{}",
        run.stdout
    );
    (run, took)
}

/// Graph usage at 95% or more slows the token checks, and no Graph request
/// is refused. The app's budget starts at 99% and recovers a point every
/// 200 ms; each call costs 0.05 points, so a batch of 50 costs 2.5. Sent
/// back to back, the first batch would cross 100% at its 19th item. Paced,
/// the first answer (99%) holds the next request a second (5 points back),
/// and the spacing below 95% keeps every later one under.
#[test]
fn graph_usage_at_95_percent_slows_the_token_checks_and_no_request_is_refused() {
    let sandbox = Sandbox::start();
    let (project, _) = fleet_of_120(&sandbox, true);
    set_usage(
        &sandbox,
        json!({"app": {"call_count": 99}, "per_call": 0.05, "recovery_per_second": 5}),
    );
    let (run, took) = timed_plan(&project);
    let after = usage(&sandbox);
    assert_eq!(after["refused"], json!({"app": 0, "page": 0}), "{after}");
    // 2 lists and 120 debug_token items and the user token's, each
    // charged once: none repeated.
    assert_eq!(after["calls"], 123, "{after}");
    // At least the one hold the first answer (99%) asks for. A lower bound
    // only: a slow machine takes longer, never shorter.
    assert!(took >= std::time::Duration::from_secs(1), "{took:?}");
    assert!(
        run.stderr.contains("one request at a time"),
        "the hold is logged at debug level:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("starting requests"),
        "the spacing is logged at debug level:\n{}",
        run.stderr
    );
    let graph = graph_requests(&sandbox);
    let posts = graph.iter().filter(|r| r.starts_with("POST")).count();
    assert_eq!(posts, 3, "{graph:?}");
}

/// The same fleet with the app's budget spent before the first request: no
/// pacing can avoid that refusal, and the sandbox counts it, so the count
/// the test above finds zero is one that can fail. 106% recovering 2.5 points a
/// second (a point every 400 ms) is still spent 2.4 s after it is set, longer than the
/// binary takes to send its first request. The client holds after each
/// refusal's 100% (1 s, then 2 s) and retries, and the plan succeeds.
#[test]
fn graph_usage_at_100_percent_is_refused_and_the_retry_waits_for_the_budget() {
    let sandbox = Sandbox::start();
    let (project, _) = fleet_of_120(&sandbox, true);
    set_usage(
        &sandbox,
        json!({"app": {"call_count": 106}, "per_call": 0.05, "recovery_per_second": 2.5}),
    );
    let (run, took) = timed_plan(&project);
    let after = usage(&sandbox);
    assert!(
        after["refused"]["app"].as_u64().unwrap() >= 1,
        "the sandbox refused nothing: {after}"
    );
    assert_eq!(after["refused"]["page"], 0, "{after}");
    assert!(took >= std::time::Duration::from_secs(1), "{took:?}");
    assert!(
        run.stderr.contains("Application request limit reached"),
        "the refusal is retried, and logged:\n{}",
        run.stderr
    );
}

/// Pages near their own budget (`X-Business-Use-Case-Usage`) slow the
/// checks too: without app credentials each item is `me` with the page's
/// token, charged to that page. Every page starts at 96% and does not
/// recover, so each batch's answer holds the next batch, each hold twice
/// the one before (no answer shows the usage falling).
#[test]
fn page_usage_near_its_limit_holds_the_next_batch_and_nothing_is_refused() {
    let sandbox = Sandbox::start();
    let (project, ids) = fleet_of_120(&sandbox, false);
    let pages: serde_json::Map<String, Value> = ids
        .iter()
        .map(|id| (id.clone(), json!({"call_count": 96})))
        .collect();
    set_usage(
        &sandbox,
        json!({"pages": pages, "per_call": 0.05, "recovery_per_second": 0}),
    );
    let (run, took) = timed_plan(&project);
    let after = usage(&sandbox);
    assert_eq!(after["refused"], json!({"app": 0, "page": 0}), "{after}");
    // Two holds of at least a second: before the second and third batch.
    assert!(took >= std::time::Duration::from_secs(2), "{took:?}");
    assert!(
        run.stderr.contains("usage at 96%: one request at a time"),
        "{}",
        run.stderr
    );
}
