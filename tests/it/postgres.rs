//! Team state in PostgreSQL: the real binary, the sandbox over HTTP, and a
//! real PostgreSQL (the cluster `scripts/test.sh` starts, or one of a test's
//! own where the test stops the server). Each test works in a schema of its
//! own, so they run side by side.

use crate::support::*;
use serde_json::json;
use socialform::state::{LockRequest, PostgresBackend, PostgresSettings, StateBackend};
use std::collections::BTreeSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "EAApostgres0123456789";
const CONNECT: &str = "POST /beta/chatapp-accounts/messenger";

fn page_id(i: usize) -> String {
    format!("1073{i:011}")
}

/// `pages` pages (`page.p0`…), every other one linked, with state in
/// `schema` under `state_name`.
fn config(schema: &str, state_name: &str, pages: &[usize]) -> String {
    let mut text = format!(
        "backend \"postgres\" {{\n  schema_name = \"{schema}\"\n  state_name  = \"{state_name}\"\n}}\n\n\
         variable \"token\" {{\n  sensitive = true\n}}\n"
    );
    for &i in pages {
        text.push_str(&format!(
            "page \"p{i}\" {{\n  page_id      = \"{}\"\n  name         = \"Page {i}\"\n  access_token = var.token\n}}\n",
            page_id(i)
        ));
        if i % 2 == 0 {
            text.push_str(&format!(
                "link \"l{i}\" {{\n  page        = page.p{i}.page_id\n  application = \"{APP1}\"\n}}\n"
            ));
        }
    }
    text
}

/// A working copy pointed at `sandbox`, with state in PostgreSQL at `url`.
fn copy(sandbox: &Sandbox, url: &str) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SOCIALFORM_PG_CONN_STR", url);
    project.env("SF_VAR_token", TOKEN);
    project
}

fn all(n: usize) -> Vec<usize> {
    (0..n).collect()
}

/// Waits (at most 60 s) until the sandbox has seen `n` mutating requests.
fn wait_for_mutations(sandbox: &Sandbox, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while sandbox.mutations().len() < n {
        assert!(Instant::now() < deadline, "the apply never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the apply did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Page IDs the sandbox has connected.
fn connected(sandbox: &Sandbox) -> BTreeSet<String> {
    sandbox
        .pages()
        .iter()
        .map(|p| p["external_id"].as_str().unwrap().to_string())
        .collect()
}

/// `state list`, whose whole output must be `expected`, one address a line.
fn state_list(project: &Project, expected: &[String]) -> Vec<String> {
    let run = Test::on(project)
        .args(["state", "list"])
        .stdout(
            &expected
                .iter()
                .map(|a| format!("{a}\n"))
                .collect::<String>(),
        )
        .run();
    run.stdout.lines().map(str::to_string).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn two_working_copies_share_one_state() {
    let url = pg_url();
    let sandbox = Sandbox::start();
    let (alice, bob) = (copy(&sandbox, &url), copy(&sandbox, &url));
    let text = config("t_two_copies", "default", &all(3));
    alice.write("main.hcl", &text);
    bob.write("main.hcl", &text);

    Test::on(&alice)
        .args(["apply", "--auto-approve"])
        .sort_after("Plan: ")
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.p0 will be connected
                (not in state)
              + page.p0 {
                  + page_id      = "107300000000000"
                  + name         = "Page 0"
                  + access_token = (sensitive value)
                }

              # page.p1 will be connected
                (not in state)
              + page.p1 {
                  + page_id      = "107300000000001"
                  + name         = "Page 1"
                  + access_token = (sensitive value)
                }

              # page.p2 will be connected
                (not in state)
              + page.p2 {
                  + page_id      = "107300000000002"
                  + name         = "Page 2"
                  + access_token = (sensitive value)
                }

              # link.l0 will be linked
                (not in state)
              + link.l0 {
                  + page        = "107300000000000"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

              # link.l2 will be linked
                (not in state)
              + link.l2 {
                  + page        = "107300000000002"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.p0, link.l0)
                2. POST   /beta/chatapp-accounts/messenger  (page.p1)
                3. POST   /beta/chatapp-accounts/messenger  (page.p2, link.l2)

            Plan: 3 to connect, 2 to link. API calls: 3
            page.p0, link.l0: POST /beta/chatapp-accounts/messenger ...
            page.p0, link.l0: done [T]
            page.p1: POST /beta/chatapp-accounts/messenger ...
            page.p1: done [T]
            page.p2, link.l2: POST /beta/chatapp-accounts/messenger ...
            page.p2, link.l2: done [T]

            Apply complete! 3 connected, 2 linked. API calls: 3
            "#,
        )
        .requests(&[CONNECT; 3])
        .run();
    // No local store appears when state is in PostgreSQL.
    assert!(!alice.path().join("state").exists());

    Test::on(&bob)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();

    // Bob removes a page: his apply disconnects it, with Alice's state.
    let fewer = config("t_two_copies", "default", &[0, 1]);
    bob.write("main.hcl", &fewer);
    Test::on(&bob)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.p2 will be disconnected
                (not in configuration)
              - page.p2 {
                  - page_id = "107300000000002"
                  - name    = "Page 2"
                }

              # link.l2 will be unlinked
                (its page is disconnected)
              - link.l2 {
                  - page        = "107300000000002"
                  - application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. DELETE /beta/chatapp-accounts/messenger/107300000000002  (page.p2, link.l2)

            Plan: 1 to disconnect, 1 to unlink. API calls: 1
            page.p2, link.l2: DELETE /beta/chatapp-accounts/messenger/107300000000002 ...
            page.p2, link.l2: done [T]

            Apply complete! 1 disconnected, 1 unlinked. API calls: 1
            "#,
        )
        .requests(&[&format!("DELETE {ACCOUNTS}/messenger/{}", page_id(2))])
        .run();
    alice.write("main.hcl", &fewer);
    Test::on(&alice)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
    // Both copies read one state.
    state_list(&alice, &strings(&["link.l0", "page.p0", "page.p1"]));

    // Both applies are in the one history the team shares, newest first.
    let history = Test::on(&alice)
        .args(["history", "--json"])
        .stdout_json(json!({
            "entries": [
                {
                    "changes": [
                        "page.p2: disconnect",
                        "link.l2: unlink"
                    ],
                    "command": "apply",
                    "finished_at": "[TIME]",
                    "outcome": "complete",
                    "started_at": "[TIME]",
                    "who": "[WHO]"
                },
                {
                    "changes": [
                        "page.p0: connect",
                        "page.p1: connect",
                        "page.p2: connect",
                        "link.l0: link",
                        "link.l2: link"
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
    let entries = history.json()["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["changes"][0], "page.p2: disconnect");
    assert_eq!(entries[1]["command"], "apply");
    let one = Test::on(&alice)
        .args(["history", "-n", "1"])
        .stdout(
            r#"
            [TIME] apply by [WHO] — complete
                page.p2: disconnect
                link.l2: unlink
            "#,
        )
        .run();
    assert!(one.stdout.contains("page.p2: disconnect"), "{}", one.stdout);
    assert!(!one.stdout.contains("page.p0: connect"), "{}", one.stdout);
}

#[test]
fn six_runners_at_once_make_every_call_exactly_once() {
    let url = pg_url();
    let sandbox = Sandbox::start_with(&["--latency-ms", "5"]);
    let text = config("t_six_runners", "default", &all(24));
    let runners: Vec<Project> = (0..6).map(|_| copy(&sandbox, &url)).collect();
    for runner in &runners {
        runner.write("main.hcl", &text);
    }
    let mut children: Vec<Child> = runners
        .iter()
        .map(|runner| {
            runner
                .command(&["apply", "--auto-approve", "--lock-timeout", "120s"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in &mut children {
        assert!(wait_with_deadline(child, Duration::from_secs(150)).success());
    }
    // One runner connected everything; the others found nothing to do.
    assert_eq!(sandbox.mutations(), vec![CONNECT; 24]);
    let refused: Vec<_> = sandbox
        .requests()
        .into_iter()
        .filter(|(_, _, status)| *status >= 400)
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    // No state write was lost.
    let mut addresses: Vec<String> = (0..24)
        .flat_map(|i| {
            let page = format!("page.p{i}");
            if i % 2 == 0 {
                vec![format!("link.l{i}"), page]
            } else {
                vec![page]
            }
        })
        .collect();
    addresses.sort();
    assert_eq!(state_list(&runners[5], &addresses).len(), 24 + 12);
    Test::on(&runners[3])
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
}

fn hold_lock(url: &str, schema: &str, state_name: &str) -> Box<dyn socialform::state::StateStore> {
    let settings = PostgresSettings {
        conn_str: Some(socialform::secret::Secret::new(url)),
        schema_name: Some(schema.into()),
        state_name: Some(state_name.into()),
        ..PostgresSettings::default()
    };
    PostgresBackend::new(&settings, &|_| None)
        .unwrap()
        .open(&LockRequest::immediate("apply"))
        .unwrap()
}

#[test]
fn a_held_state_name_blocks_only_itself_and_names_its_holder() {
    let url = pg_url();
    let sandbox = Sandbox::start();
    let first = copy(&sandbox, &url);
    first.write("main.hcl", &config("t_lock", "first", &[0]));
    let second = copy(&sandbox, &url);
    second.write("main.hcl", &config("t_lock", "second", &[1]));

    let held = hold_lock(&url, "t_lock", "first");
    let blocked = Test::on(&first)
        .args(["plan"])
        .replace(&format!("pid {}", std::process::id()), "pid [PID]")
        .status(1)
        .stderr(
            r#"
            error: state is locked by pid [PID] (socialform apply, since [TIME], [WHO]); wait for it to finish or pass --lock-timeout 30s (the PostgreSQL state "first" (schema t_lock at [PG]/postgres))
            "#,
        )
        .run();
    assert!(
        blocked.stderr.contains(&format!(
            "state is locked by pid {} (socialform apply, since ",
            std::process::id()
        )),
        "{}",
        blocked.stderr
    );
    assert!(!blocked.stderr.contains(&pg_password(&url)));

    // Another state name in the same schema is not blocked.
    Test::on(&second)
        .args(["apply", "--auto-approve"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.p1 will be connected
                (not in state)
              + page.p1 {
                  + page_id      = "107300000000001"
                  + name         = "Page 1"
                  + access_token = (sensitive value)
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.p1)

            Plan: 1 to connect. API calls: 1
            page.p1: POST /beta/chatapp-accounts/messenger ...
            page.p1: done [T]

            Apply complete! 1 connected. API calls: 1
            "#,
        )
        .requests(&[CONNECT])
        .run();

    // --lock-timeout waits for the holder, saying so.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        drop(held);
    });
    let waited = Test::on(&first)
        .args(["apply", "--auto-approve", "--lock-timeout", "30s"])
        .replace(&format!("pid {}", std::process::id()), "pid [PID]")
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.p0 will be connected
                (not in state)
              + page.p0 {
                  + page_id      = "107300000000000"
                  + name         = "Page 0"
                  + access_token = (sensitive value)
                }

              # link.l0 will be linked
                (not in state)
              + link.l0 {
                  + page        = "107300000000000"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.p0, link.l0)

            Plan: 1 to connect, 1 to link. API calls: 1
            page.p0, link.l0: POST /beta/chatapp-accounts/messenger ...
            page.p0, link.l0: done [T]

            Apply complete! 1 connected, 1 linked. API calls: 1
            "#,
        )
        .stderr(
            r#"
            Waiting up to 30s for the state lock, held by pid [PID] (socialform apply, since [TIME], [WHO]) ...
            "#,
        )
        .run();
    releaser.join().unwrap();
    assert!(
        waited
            .stderr
            .contains("Waiting up to 30s for the state lock, held by pid"),
        "{}",
        waited.stderr
    );
}

#[test]
fn a_killed_holder_frees_the_lock_and_the_next_plan_holds_what_is_left() {
    let url = pg_url();
    let sandbox = Sandbox::start_with(&["--latency-ms", "150"]);
    let project = copy(&sandbox, &url);
    project.write("main.hcl", &config("t_killed", "default", &all(12)));
    let mut child = project
        .command(&["apply", "--auto-approve", "--parallelism", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_mutations(&sandbox, 3);
    child.kill().unwrap(); // SIGKILL: nothing runs in the child after this
    child.wait().unwrap();

    // The server dropped the lock with the connection: no wait needed.
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    // The call in flight when it was killed may or may not have landed.
    let done = connected(&sandbox);
    assert!(done.len() >= 2 && done.len() < 12, "{done:?}");
    assert_eq!(plan.planned_calls(), vec![CONNECT; 12 - done.len()]);
}

#[test]
fn the_database_lost_mid_apply_loses_nothing() {
    let cluster = OwnCluster::start();
    let sandbox = Sandbox::start_with(&["--latency-ms", "200"]);
    let project = copy(&sandbox, &cluster.url);
    project.write("main.hcl", &config("t_lost", "default", &all(10)));
    let mut child = project
        .command(&["apply", "--auto-approve", "--parallelism", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_mutations(&sandbox, 3);
    cluster.halt();
    let status = wait_with_deadline(&mut child, Duration::from_secs(60));
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("run `socialform state push errored.sfstate.json`"),
        "{stderr}"
    );
    // No new call started once the database was gone: only the one in
    // flight (and, at worst, one that had just been sent) finished.
    let done = connected(&sandbox);
    assert!(done.len() <= 5, "{done:?}");

    let errored = project.path().join("errored.sfstate.json");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&errored).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&errored).unwrap();
    assert!(
        text.contains("\"lineage\""),
        "the scanned file is a state: {text}"
    );
    assert!(!text.contains(TOKEN) && !text.contains(&pg_password(&cluster.url)));
    // The file's serial is the one its push leaves (issue 26, item 13).
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["serial"], 3, "{text}");

    cluster.resume();
    // At --parallelism 1 no call started after the write that failed: the
    // database holds every call but exactly one, the call whose write it
    // lost (issue 26, item 7).
    let listed = project.run(&["state", "list"]);
    listed.assert_code(0);
    let recorded_pages = listed
        .stdout
        .lines()
        .filter(|l| l.starts_with("page."))
        .count();
    assert_eq!(
        recorded_pages + 1,
        done.len(),
        "connected {done:?}, recorded:\n{}",
        listed.stdout
    );
    // State holds exactly what happened at Vonage...
    let expected: Vec<String> = {
        let mut addresses: Vec<String> = (0..10)
            .filter(|i| done.contains(&page_id(*i)))
            .flat_map(|i| {
                let page = format!("page.p{i}");
                if i % 2 == 0 {
                    vec![format!("link.l{i}"), page]
                } else {
                    vec![page]
                }
            })
            .collect();
        addresses.sort();
        addresses
    };
    // Every other page is linked: how many calls landed says what state holds.
    let pages = done.len();
    let links = expected.iter().filter(|a| a.starts_with("link.")).count();
    Test::on(&project)
        .args(["state", "push", "errored.sfstate.json"])
        .stdout(&format!(
            "Pushed [DIR]/errored.sfstate.json into the PostgreSQL state \"default\" \
             (schema t_lost at [PG]/postgres): {pages} page(s), {links} link(s), now at serial 3.\n\
             [DIR]/errored.sfstate.json is now in the state and can be deleted.\n"
        ))
        .run();
    // The apply's history entry, which the database could not take, came
    // with the file (issue 26, item 6): newest first, the push, then it.
    let history = project.run(&["history", "--json"]);
    history.assert_code(0);
    let entries = history.json()["entries"].clone();
    let commands: Vec<(&str, &str)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["command"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(commands, [("state push", "complete"), ("apply", "failed")]);
    assert_eq!(state_list(&project, &expected), expected);
    // ...and the next plan holds exactly the calls that are left.
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    assert_eq!(plan.planned_calls(), vec![CONNECT; 10 - done.len()]);
    // A document older than the state is refused unless --force.
    let mut older = project.run(&["state", "pull"]).json();
    let serial = older["serial"].as_u64().unwrap();
    older["serial"] = serde_json::json!(serial - 1);
    project.write("older.json", &older.to_string());
    let refused = Test::on(&project)
        .args(["state", "push", "older.json"])
        .status(1)
        .stderr(
            r#"
            error: [DIR]/older.json was not written into the PostgreSQL state "default" (schema t_lost at [PG]/postgres): the document is older than this state (serial 2 < 3); pass --force to overwrite this state with it
            "#,
        )
        .run();
    assert!(
        refused.stderr.contains("older than this state"),
        "{}",
        refused.stderr
    );
    Test::on(&project)
        .args(["state", "push", "--force", "older.json"])
        .stdout(&format!(
            "Pushed [DIR]/older.json into the PostgreSQL state \"default\" \
             (schema t_lost at [PG]/postgres): {pages} page(s), {links} link(s), now at serial 4.\n"
        ))
        .run();
}

#[test]
fn state_migrate_moves_the_local_store_whole() {
    let url = pg_url();
    let sandbox = Sandbox::start();
    let project = copy(&sandbox, &url);
    // First without a backend: the local store.
    let local = config("unused", "default", &all(3));
    let local = local
        .split_once("variable")
        .map(|(_, rest)| format!("variable{rest}"))
        .unwrap();
    project.write("main.hcl", &local);
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        .sort_after("Plan: ")
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.p0 will be connected
                (not in state)
              + page.p0 {
                  + page_id      = "107300000000000"
                  + name         = "Page 0"
                  + access_token = (sensitive value)
                }

              # page.p1 will be connected
                (not in state)
              + page.p1 {
                  + page_id      = "107300000000001"
                  + name         = "Page 1"
                  + access_token = (sensitive value)
                }

              # page.p2 will be connected
                (not in state)
              + page.p2 {
                  + page_id      = "107300000000002"
                  + name         = "Page 2"
                  + access_token = (sensitive value)
                }

              # link.l0 will be linked
                (not in state)
              + link.l0 {
                  + page        = "107300000000000"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

              # link.l2 will be linked
                (not in state)
              + link.l2 {
                  + page        = "107300000000002"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.p0, link.l0)
                2. POST   /beta/chatapp-accounts/messenger  (page.p1)
                3. POST   /beta/chatapp-accounts/messenger  (page.p2, link.l2)

            Plan: 3 to connect, 2 to link. API calls: 3
            page.p0, link.l0: POST /beta/chatapp-accounts/messenger ...
            page.p0, link.l0: done [T]
            page.p1: POST /beta/chatapp-accounts/messenger ...
            page.p1: done [T]
            page.p2, link.l2: POST /beta/chatapp-accounts/messenger ...
            page.p2, link.l2: done [T]

            Apply complete! 3 connected, 2 linked. API calls: 3
            "#,
        )
        .requests(&[CONNECT; 3])
        .run();
    assert!(project.path().join("state").join("db").exists());
    // The local store keeps a history too.
    let local_history = Test::on(&project)
        .args(["history"])
        .stdout(
            r#"
            [TIME] apply by [WHO] — complete
                page.p0: connect
                page.p1: connect
                page.p2: connect
                link.l0: link
                link.l2: link
            "#,
        )
        .run();
    assert!(
        local_history.stdout.contains(" apply by "),
        "{}",
        local_history.stdout
    );
    assert!(
        local_history.stdout.contains("    page.p0: connect"),
        "{}",
        local_history.stdout
    );

    // Then the team's backend: plan refuses until the state has moved.
    project.write("main.hcl", &config("t_migrate", "default", &all(3)));
    let refused = Test::on(&project)
        .args(["plan"])
        .status(1)
        .stderr(
            r#"
            error: the PostgreSQL state "default" (schema t_migrate at [PG]/postgres) is empty, but the state directory [DIR]/state manages 3 page(s) and 2 link(s); move them first with `socialform state migrate`
            "#,
        )
        .requests(&[])
        .run();
    assert!(
        refused.stderr.contains("socialform state migrate"),
        "{}",
        refused.stderr
    );

    let migrated = Test::on(&project)
        .args(["state", "migrate"])
        .stdout(
            r#"
            Migrated 3 page(s) and 2 link(s) from the state directory [DIR]/state to the PostgreSQL state "default" (schema t_migrate at [PG]/postgres), with their history. The local store was left as it was; remove it once `socialform plan` shows no changes.
            "#,
        )
        .run();
    assert!(
        migrated.stdout.contains("Migrated 3 page(s) and 2 link(s)"),
        "{}",
        migrated.stdout
    );
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
    // The history came along.
    let history = Test::on(&project)
        .args(["history", "--json"])
        .stdout_json(json!({
            "entries": [
                {
                    "changes": [
                        "page.p0: connect",
                        "page.p1: connect",
                        "page.p2: connect",
                        "link.l0: link",
                        "link.l2: link"
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
    assert_eq!(history.json()["entries"][0]["command"], "apply");
    // A second migrate finds the backend already holding the state.
    let again = Test::on(&project)
        .args(["state", "migrate"])
        .status(1)
        .stderr(
            r#"
            error: the PostgreSQL state "default" (schema t_migrate at [PG]/postgres) already manages 3 page(s) and 2 link(s); state migrate only moves into an empty state (choose another state_name, or `socialform state rm` there first)
            "#,
        )
        .run();
    assert!(
        again.stderr.contains("already manages 3 page(s)"),
        "{}",
        again.stderr
    );
}

#[test]
fn the_database_password_and_the_tokens_never_show() {
    let url = pg_url();
    let password = pg_password(&url);
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_token", TOKEN);
    project.env("SF_VAR_pg", &url);
    let text = config("t_secrets", "default", &all(2)).replace(
        "backend \"postgres\" {\n",
        "backend \"postgres\" {\n  conn_str    = var.pg\n",
    );
    project.write(
        "main.hcl",
        &format!("variable \"pg\" {{\n  sensitive = true\n}}\n{text}"),
    );
    let mut runs = vec![
        Test::on(&project)
            .args(["-vvv", "apply", "--auto-approve"])
            .sort_after("Plan: ")
            .stdout(
                r#"
                socialform will perform the following actions:

                  # page.p0 will be connected
                    (not in state)
                  + page.p0 {
                      + page_id      = "107300000000000"
                      + name         = "Page 0"
                      + access_token = (sensitive value)
                    }

                  # page.p1 will be connected
                    (not in state)
                  + page.p1 {
                      + page_id      = "107300000000001"
                      + name         = "Page 1"
                      + access_token = (sensitive value)
                    }

                  # link.l0 will be linked
                    (not in state)
                  + link.l0 {
                      + page        = "107300000000000"
                      + application = "c0ffee00-0000-4000-8000-000000000001"
                    }

                API calls, in order:
                    1. POST   /beta/chatapp-accounts/messenger  (page.p0, link.l0)
                    2. POST   /beta/chatapp-accounts/messenger  (page.p1)

                Plan: 2 to connect, 1 to link. API calls: 2
                page.p0, link.l0: POST /beta/chatapp-accounts/messenger ...
                page.p0, link.l0: done [T]
                page.p1: POST /beta/chatapp-accounts/messenger ...
                page.p1: done [T]

                Apply complete! 2 connected, 1 linked. API calls: 2
                "#,
            )
            // Log lines of tasks that run at once: compared as a multiset.
            .stderr_unordered()
            .stderr(
                r#"
                [TIME]  INFO socialform::apply: call done method="POST" path=/beta/chatapp-accounts/messenger elapsed_ms=[MS]
                [TIME]  INFO socialform::apply: call done method="POST" path=/beta/chatapp-accounts/messenger elapsed_ms=[MS]
                [TIME]  INFO socialform::render::progress: refreshed pages=0 applications=3
                [TIME]  INFO socialform::render::progress: refreshing: reading the remote side
                [TIME] DEBUG socialform::remote::client: request method=GET path=/beta/chatapp-accounts status=200 elapsed_ms=[MS]
                [TIME] DEBUG socialform::remote::client: request method=GET path=/v2/applications status=200 elapsed_ms=[MS]
                [TIME] DEBUG socialform::remote::client: request method=POST path=/beta/chatapp-accounts/messenger status=201 elapsed_ms=[MS]
                [TIME] DEBUG socialform::remote::client: request method=POST path=/beta/chatapp-accounts/messenger status=201 elapsed_ms=[MS]
                "#,
            )
            .run(),
        Test::on(&project)
            .args(["-vvv", "plan"])
            .stdout("No changes. The remote side matches the configuration.\n")
            .stderr_unordered()
            .stderr(
                r#"
                [TIME]  INFO socialform::render::progress: refreshed pages=2 applications=3
                [TIME]  INFO socialform::render::progress: refreshing: reading the remote side
                [TIME] DEBUG socialform::remote::client: request method=GET path=/beta/chatapp-accounts status=200 elapsed_ms=[MS]
                [TIME] DEBUG socialform::remote::client: request method=GET path=/v2/applications status=200 elapsed_ms=[MS]
                "#,
            )
            .run(),
        Test::on(&project).args(["state", "list"]).stdout(
                r#"
                link.l0
                page.p0
                page.p1
                "#,
            ).run(),
        Test::on(&project)
            .args(["state", "pull"])
            .stdout_json(json!({
                "format_version": "1.0",
                "lineage": "[LINEAGE]",
                "links": [
                    {
                        "address": "link.l0",
                        "application": "c0ffee00-0000-4000-8000-000000000001",
                        "page_id": "107300000000000"
                    }
                ],
                "pages": [
                    {
                        "address": "page.p0",
                        "name": "Page 0",
                        "page_id": "107300000000000"
                    },
                    {
                        "address": "page.p1",
                        "name": "Page 1",
                        "page_id": "107300000000001"
                    }
                ],
                "serial": 2
            }))
            .run(),
        Test::on(&project).args(["history"]).stdout(
                r#"
                [TIME] apply by [WHO] — complete
                    page.p0: connect
                    page.p1: connect
                    link.l0: link
                "#,
            ).run(),
        Test::on(&project)
            .args(["drift", "--json"])
            .stdout_json(json!({
                "drifted": [],
                "format_version": "1.0",
                "summary": {
                    "drifted": 0,
                    "managed": 3,
                    "unmanaged": 0
                },
                "tokens_not_compared": [],
                "unmanaged": []
            }))
            .run(),
        Test::on(&project).args(["show"]).stdout(
                r#"
                # page.p0:
                page "p0" {
                  page_id      = "107300000000000"
                  name         = "Page 0"
                  access_token = (sensitive value)
                }

                # page.p1:
                page "p1" {
                  page_id      = "107300000000001"
                  name         = "Page 1"
                  access_token = (sensitive value)
                }

                # link.l0:
                link "l0" {
                  page        = "107300000000000"  # page.p0
                  application = "c0ffee00-0000-4000-8000-000000000001"
                }

                "#,
            ).run(),
    ];
    // A wrong database and a wrong password fail, naming neither secret.
    project.env("SF_VAR_pg", &url.replace("/postgres", "/no_such_db"));
    let wrong_db = Test::on(&project).args(["plan"]).status(1).stderr(
            r#"
            error: could not connect to PostgreSQL at [PG]/no_such_db for the PostgreSQL state "default" (schema t_secrets at [PG]/no_such_db): FATAL: database "no_such_db" does not exist; check conn_str (or SOCIALFORM_PG_CONN_STR and PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE)
            "#,
        ).run();
    assert!(wrong_db.stderr.contains("127.0.0.1"), "{}", wrong_db.stderr);
    runs.push(wrong_db);
    project.env("SF_VAR_pg", &url.replace(&password, "not-the-password-x"));
    let wrong_password = Test::on(&project).args(["plan"]).status(1).stderr(
            r#"
            error: could not connect to PostgreSQL at [PG]/postgres for the PostgreSQL state "default" (schema t_secrets at [PG]/postgres): FATAL: password authentication failed for user "socialform"; check conn_str (or SOCIALFORM_PG_CONN_STR and PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE)
            "#,
        ).run();
    runs.push(wrong_password);
    for run in &runs {
        // Each scan has something to search.
        assert!(
            !format!("{}{}", run.stdout, run.stderr).is_empty(),
            "nothing to scan for secrets"
        );
        for secret in [password.as_str(), TOKEN, "not-the-password-x"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "a secret showed:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
    }

    // Nothing in the database holds a token.
    let dump = std::process::Command::new(pg_bin("pg_dump"))
        .args(["--schema", "t_secrets", "--dbname", &url])
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.contains(&page_id(0)), "the dump holds the state");
    assert!(!dump.contains(TOKEN));
}

#[test]
fn a_database_restart_mid_apply_is_ridden_out() {
    let cluster = OwnCluster::start();
    let sandbox = Sandbox::start_with(&["--latency-ms", "100"]);
    let project = copy(&sandbox, &cluster.url);
    project.write("main.hcl", &config("t_restart", "default", &all(8)));
    let mut child = project
        .command(&["apply", "--auto-approve", "--parallelism", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_mutations(&sandbox, 2);
    // A restart shorter than the writes' retries: the apply takes the lock
    // again on a new connection and carries on.
    cluster.halt();
    cluster.resume();
    let status = wait_with_deadline(&mut child, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).into_owned();
    assert!(status.success(), "{stderr}");
    assert!(!project.path().join("errored.sfstate.json").exists());
    assert_eq!(sandbox.mutations(), vec![CONNECT; 8]);
    Test::on(&project)
        .args(["plan", "--detailed-exitcode"])
        .stdout("No changes. The remote side matches the configuration.\n")
        .requests(&[])
        .run();
}

/// Read-only commands and a running apply on the PostgreSQL backend: told
/// who holds the lock, and with `--lock-timeout` they wait, then read
/// (issue 26, item 2).
#[test]
fn read_only_commands_wait_for_the_lock_with_the_flag_they_are_told() {
    let url = pg_url();
    let sandbox = Sandbox::start_with(&["--latency-ms", "150"]);
    let project = copy(&sandbox, &url);
    project.write("main.hcl", &config("t_readers", "default", &all(16)));
    let mut first = project
        .command(&["apply", "--auto-approve", "--parallelism", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_mutations(&sandbox, 1);
    let commands = [&["state", "list"][..], &["history"][..], &["show"][..]];
    for args in commands {
        let refused = project.run(args);
        refused.assert_code(1);
        assert!(
            refused.stderr.contains("is locked by pid")
                && refused.stderr.contains("pass --lock-timeout 30s"),
            "{args:?}: {}",
            refused.stderr
        );
    }
    let waiting: Vec<_> = commands
        .iter()
        .map(|args| {
            let mut command = project.command(args);
            command.args(["--lock-timeout", "60s"]);
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
            (*args, command.spawn().unwrap())
        })
        .collect();
    for (args, child) in waiting {
        let waited = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&waited.stderr);
        assert!(waited.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("for the state lock, held by pid"),
            "{args:?}: {stderr}"
        );
        if args == ["state", "list"] {
            assert_eq!(
                String::from_utf8_lossy(&waited.stdout).lines().count(),
                16 + 8
            );
        }
    }
    assert!(first.wait().unwrap().success());
}
