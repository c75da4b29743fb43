//! Mistakes a new user makes, answered clearly before anything happens:
//! each is a transcript of exactly what the user sees.

use crate::support::*;

const CONFIG: &str = r#"variable "support_token" {
  sensitive = true
}

page "support" {
  page_id      = "107100000000001"
  access_token = var.support_token
}
"#;

#[test]
fn a_var_without_a_value_is_refused() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", CONFIG);
    Test::on(&project)
        .args(["plan", "--var", "support_token"])
        .stderr(
            "error: --var \"support_token\" has no value: write --var support_token=VALUE (or \
             --var-file FILE)\n",
        )
        .status(1)
        .requests(&[])
        .run();
    // Terraform's spelling too.
    Test::on(&project)
        .args(["plan", "-var", "support_token"])
        .stderr(
            "error: --var \"support_token\" has no value: write --var support_token=VALUE (or \
             --var-file FILE)\n",
        )
        .status(1)
        .run();
}

#[test]
fn an_empty_token_stops_the_plan_at_its_attribute() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", CONFIG);
    Test::on(&project)
        .args(["plan", "--var", "support_token="])
        .stderr(
            r#"
            error: [DIR]/main.hcl:7:18: access_token is empty
              |
            7 |   access_token = var.support_token
              |                  ^^^^^^^^^^^^^^^^^
              |
              = help: give the page's access token (a Facebook Page access token), usually from a sensitive variable set with --var NAME=TOKEN or SF_VAR_NAME
            "#,
        )
        .status(1)
        .requests(&[])
        .run();
}

#[test]
fn a_state_path_that_is_a_file_is_named_by_every_command() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", "EAAfriction0001");
    project.write("main.hcl", CONFIG);
    let message = "error: the state directory [DIR]/main.hcl is a file, not a directory; pass \
                   --state DIR with a directory (it is created if missing), or leave --state out \
                   to use `state/` in the configuration directory\n";
    let state = project.path().join("main.hcl");
    let state = state.to_str().unwrap();
    for command in [&["plan"][..], &["show"], &["state", "list"], &["history"]] {
        let mut args = vec!["--state", state];
        args.extend_from_slice(command);
        let run = project.run(&args);
        assert_eq!(run.code, 1, "{command:?}: {}", run.stderr);
        assert_eq!(
            run.stderr
                .replace(project.path().to_str().unwrap(), "[DIR]"),
            message,
            "{command:?}"
        );
    }
}

#[test]
fn the_saved_plan_hint_works_when_pasted_where_the_plan_was_made() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", "EAAfriction0002");
    project.write("main.hcl", CONFIG);
    // From the directory above, with -C, as the README's commands are run.
    let parent = project.path().parent().unwrap().to_path_buf();
    let name = project
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let output = project
        .command_without_dir(&["-C", &name, "plan", "--out", "q.plan"])
        .current_dir(&parent)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let hint = stdout
        .lines()
        .last()
        .unwrap()
        .split_once("Apply exactly it with: ")
        .unwrap()
        .1
        .to_string();
    assert_eq!(hint, format!("socialform -C {name} apply q.plan"));
    // Pasted as printed, from where it was printed, it applies the plan.
    let words: Vec<&str> = hint.split(' ').skip(1).collect();
    let applied = project
        .command_without_dir(&words)
        .current_dir(&parent)
        .output()
        .unwrap();
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert_eq!(
        sandbox.mutations(),
        vec![format!("POST {ACCOUNTS}/messenger")]
    );
}

#[test]
fn destroy_speaks_of_destroying() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", "EAAfriction0003");
    project.write("main.hcl", CONFIG);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    Test::on(&project)
        .args(["destroy", "--auto-approve"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support will be disconnected
                (destroy)
              - page.support {
                  - page_id = "107100000000001"
                }

            API calls, in order:
                1. DELETE /beta/chatapp-accounts/messenger/107100000000001  (page.support)

            Plan: 1 to disconnect. API calls: 1
            page.support: DELETE /beta/chatapp-accounts/messenger/107100000000001 ...
            page.support: done [T]

            Destroy complete! 1 disconnected. API calls: 1
            "#,
        )
        .requests(&["DELETE /beta/chatapp-accounts/messenger/107100000000001"])
        .run();
}

#[test]
fn a_refresh_only_plan_never_says_no_changes_after_listing_changes() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", "EAAfriction0004");
    project.write("main.hcl", CONFIG);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    // Someone disconnects the page in the dashboard.
    let (status, _) = sandbox.api(
        "DELETE",
        &format!("{ACCOUNTS}/messenger/107100000000001"),
        None,
    );
    assert_eq!(status, 204);
    sandbox.clear_requests();
    let plan = project.run(&["plan", "--refresh-only"]);
    plan.assert_code(0);
    assert!(!plan.stdout.contains("No changes"), "{}", plan.stdout);
    assert!(
        plan.stdout.ends_with(
            "This is a refresh-only plan: socialform will not undo these changes. Applying it \
             records 1 state update(s) and makes no API call.\n"
        ),
        "{}",
        plan.stdout
    );
    Test::on(&project)
        .args(["apply", "--refresh-only", "--auto-approve"])
        .replace(&plan.stdout, "[THE PLAN ABOVE]\n")
        .stdout(
            "[THE PLAN ABOVE]\n\
             Apply complete! 1 state update(s) recorded; no API call was made.\n",
        )
        .requests(&[])
        .run();
    project.run(&["state", "list"]).assert_code(0);
    assert_eq!(project.run(&["state", "list"]).stdout, "");
}

#[test]
fn terraform_habits_work_or_are_answered() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", "EAAfriction0005");
    project.write("main.hcl", CONFIG);
    // -input=false: no prompt, and it says what to do.
    Test::on(&project)
        .args(["apply", "-input=false"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support will be connected
                (not in state)
              + page.support {
                  + page_id      = "107100000000001"
                  + access_token = (sensitive value)
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.support)

            Plan: 1 to connect. API calls: 1
            "#,
        )
        .stderr(
            "error: this needs confirmation, and --input=false asks for none; re-run with \
             --auto-approve, or save the plan with `socialform plan --out FILE` and apply that file\n",
        )
        .status(1)
        .requests(&[])
        .run();
    project.run(&["apply", "-auto-approve"]).assert_code(0);

    // plan -destroy shows what destroy would do; -replace forces a reconnect.
    let destroy = project.run(&["plan", "-destroy", "-json"]);
    destroy.assert_code(0);
    assert_eq!(destroy.json()["summary"]["disconnect"], 1);
    let replace = project.run(&["plan", "-replace=page.support", "-json"]);
    replace.assert_code(0);
    assert_eq!(replace.json()["summary"]["reconnect"], 1);

    // What socialform does not have is answered, not rejected as a typo.
    Test::on(&project)
        .args(["apply", "-lock=false"])
        .stderr(
            "error: -lock=false is Terraform's, not socialform's: socialform always locks the \
             state; --lock-timeout DURATION waits for a lock another process holds\n",
        )
        .status(1)
        .run();
    // A script that asked for JSON, Terraform's way, gets a document.
    let refused = project.run(&["plan", "-json", "-lock=false"]);
    refused.assert_code(1);
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("-lock=false is Terraform's"),
        "{}",
        refused.stdout
    );
    Test::on(&project)
        .arg("init")
        .stderr(
            "error: `socialform init` is Terraform's, not socialform's: socialform needs no \
             init: its providers are built in and state is created on the first apply (with a \
             backend block, `socialform state migrate` moves a local store there)\n",
        )
        .status(1)
        .run();
    // Terraform's plan flag for writing configuration names socialform's way.
    Test::on(&project)
        .args(["plan", "-generate-config-out=generated.hcl"])
        .stderr(
            "error: -generate-config-out=generated.hcl is not a flag of `socialform plan`: \
             socialform writes configuration when it adopts pages: `socialform import \
             --all-unmanaged --generate-config-out FILE` writes the blocks for every connected \
             page neither state nor the configuration knows, and records them in state\n",
        )
        .status(1)
        .requests(&[])
        .run();
    assert!(!project.path().join("generated.hcl").exists());
    Test::new()
        .arg("version")
        .stdout(&format!("socialform {}\n", env!("CARGO_PKG_VERSION")))
        .run();
    let completions = project.run(&["completions", "bash"]);
    completions.assert_code(0);
    assert!(
        completions.stdout.contains("complete -F _socialform")
            && completions.stdout.contains("--lock-timeout"),
        "{}",
        completions.stdout
    );
}

/// The README's drift walk-through, step by step against a sandbox in its
/// own process: the output it shows is the output a reader gets.
#[test]
fn the_readme_drift_walk_through_is_what_a_reader_sees() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let shown = readme
        .split_once("$ socialform -C examples/drift drift\n")
        .expect("the README shows the drift command")
        .1
        .split_once("```")
        .unwrap()
        .0;
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/drift/main.hcl");
    project.write("main.hcl", &std::fs::read_to_string(example).unwrap());
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    let accounts = format!("{ACCOUNTS}/messenger");
    let hand = [
        (
            "DELETE",
            format!("{accounts}/107100000000001/applications/{APP1}"),
            None,
        ),
        (
            "PATCH",
            format!("{accounts}/107100000000001"),
            Some(
                serde_json::json!({"name": "Renamed by hand", "access_token": "EAAB-rotated-by-hand"}),
            ),
        ),
        (
            "POST",
            accounts.clone(),
            Some(
                serde_json::json!({"external_id": "107100000000099", "name": "Stray page",
                "access_token": "EAAB-stray", "applications": [APP2]}),
            ),
        ),
    ];
    for (method, path, body) in hand {
        let (status, answer) = sandbox.api(method, &path, body);
        assert!(status < 300, "{method} {path}: {status} {answer}");
    }
    Test::on(&project)
        .arg("drift")
        .stdout(shown)
        .status(2)
        .requests(&[])
        .run();
}

#[test]
fn an_endpoint_without_a_scheme_is_named_with_where_it_was_set() {
    let project = Project::new();
    project.write(
        "main.hcl",
        &format!("provider \"vonage\" {{\n  endpoint = \"127.0.0.1:8481\"\n}}\n\n{CONFIG}"),
    );
    // `validate` already says so, at the attribute; so does every command
    // that loads the configuration, before it connects.
    let at_the_attribute = r#"
        error: [DIR]/main.hcl:2:14: endpoint "127.0.0.1:8481" is not an http(s) URL
          |
        2 |   endpoint = "127.0.0.1:8481"
          |              ^^^^^^^^^^^^^^^^
          |
          = help: write endpoint = "http://127.0.0.1:8481" (with the scheme), or "sandbox" for the built-in emulator
        "#;
    for command in [
        &["validate"][..],
        &["plan", "--var", "support_token=EAAB123"],
    ] {
        let mut test = Test::on(&project)
            .env("VONAGE_API_KEY", "key")
            .env("VONAGE_API_SECRET", "secret");
        for arg in command {
            test = test.arg(arg);
        }
        test.stderr(at_the_attribute).status(1).run();
    }

    let project = Project::new();
    project.write("main.hcl", CONFIG);
    Test::on(&project)
        .env("VONAGE_ENDPOINT", "127.0.0.1:8481")
        .env("VONAGE_API_KEY", "key")
        .env("VONAGE_API_SECRET", "secret")
        .args(["plan", "--var", "support_token=EAAB123"])
        .stderr(
            "error: VONAGE_ENDPOINT is \"127.0.0.1:8481\", which is not an http(s) URL: write \
             VONAGE_ENDPOINT=http://127.0.0.1:8481 (with the scheme), or \"sandbox\" for the \
             built-in emulator\n",
        )
        .status(1)
        .run();
}

#[test]
fn a_down_endpoint_says_once_that_it_retries_and_where_the_endpoint_came_from() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut project = Project::new();
    project.env("VONAGE_ENDPOINT", &format!("http://127.0.0.1:{port}"));
    project.env("VONAGE_API_KEY", "key");
    project.env("VONAGE_API_SECRET", "secret");
    project.write("main.hcl", CONFIG);
    let run = project.run(&[
        "plan",
        "--max-retries",
        "2",
        "--var",
        "support_token=EAAB123",
    ]);
    run.assert_code(1);
    let notice = format!(
        "warning: could not reach the API at http://127.0.0.1:{port} (endpoint set by \
         VONAGE_ENDPOINT): "
    );
    assert!(
        run.stderr
            .contains("; retrying (up to 2 times, --max-retries)\n"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches(&notice).count(),
        1,
        "one notice:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "could not reach the API: http://127.0.0.1:{port} (endpoint set by \
             VONAGE_ENDPOINT): "
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_application_on_an_unseeded_sandbox_hints_at_seed_demo() {
    let sandbox = Sandbox::start_unseeded();
    let project = Project::against(&sandbox);
    project.write(
        "main.hcl",
        &format!(
            "{CONFIG}\nlink \"support\" {{\n  page        = page.support.page_id\n  \
             application = \"c0ffee00-0000-4000-8000-000000000001\"\n}}\n"
        ),
    );
    let run = project.run(&["apply", "--auto-approve", "--var", "support_token=EAAB123"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "help: create the application, or fix the id in the link block (the account has no \
             application at all: against `socialform sandbox serve`, start it with --seed-demo \
             for the demo ones)\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unseeded_sandbox_refusing_a_missing_application_hints_at_seed_demo() {
    let sandbox = Sandbox::start_unseeded();
    let (status, body) = sandbox.api(
        "POST",
        ACCOUNTS_MESSENGER,
        Some(serde_json::json!({
            "external_id": "1",
            "access_token": "t",
            "applications": ["c0ffee00-0000-4000-8000-000000000001"],
        })),
    );
    assert_eq!(status, 403);
    assert_eq!(
        body["detail"],
        "Cannot link application: 'c0ffee00-0000-4000-8000-000000000001' does not exist (this \
         sandbox holds no applications: start it with `socialform sandbox serve --seed-demo` \
         for the demo ones)"
    );
    // A seeded one answers as the API does.
    let seeded = Sandbox::start();
    let (status, body) = seeded.api(
        "POST",
        ACCOUNTS_MESSENGER,
        Some(serde_json::json!({
            "external_id": "1",
            "access_token": "t",
            "applications": ["c0ffee00-0000-4000-8000-00000000dead"],
        })),
    );
    assert_eq!(status, 403);
    assert_eq!(
        body["detail"],
        "Cannot link application: 'c0ffee00-0000-4000-8000-00000000dead' does not exist"
    );
}

const ACCOUNTS_MESSENGER: &str = "/beta/chatapp-accounts/messenger";

/// Two for_each pages, each linked: what `destroy -target` is tried on.
const FLEET: &str = r#"variable "fb_token" {
  sensitive = true
}

page "fb" {
  for_each     = { es = "107100000000001", de = "107100000000002" }
  page_id      = each.value
  access_token = var.fb_token
}

link "fb" {
  for_each    = page.fb
  page        = each.value.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
"#;

fn applied_fleet(sandbox: &Sandbox) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_fb_token", "EAAfriction0009");
    project.write("main.hcl", FLEET);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    project
}

#[test]
fn destroying_a_targeted_link_unlinks_only_the_link() {
    let sandbox = Sandbox::start();
    let project = applied_fleet(&sandbox);
    Test::on(&project)
        .args(["destroy", "-target=link.fb[\"es\"]", "-auto-approve"])
        .stdout(
            r#"
            Warning: resource targeting is in effect (-target): this plan may not hold every change the configuration asks for

            socialform will perform the following actions:

              # link.fb["es"] will be unlinked
                (destroy)
              - link.fb["es"] {
                  - page        = "107100000000001"
                  - application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001  (link.fb["es"])

            Plan: 1 to unlink. API calls: 1
            link.fb["es"]: DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001 ...
            link.fb["es"]: done [T]

            Destroy complete! 1 unlinked. API calls: 1
            "#,
        )
        .requests(&[
            "DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001",
        ])
        .run();
    // The page is still connected, and state still holds it.
    Test::on(&project)
        .args(["state", "list"])
        .stdout(
            r#"
            link.fb["de"]
            page.fb["de"]
            page.fb["es"]
            "#,
        )
        .run();
}

#[test]
fn destroying_a_targeted_page_takes_its_link_too() {
    let sandbox = Sandbox::start();
    let project = applied_fleet(&sandbox);
    Test::on(&project)
        .args(["plan", "-destroy", "-target=page.fb[\"es\"]"])
        .stdout(
            r#"
            Warning: resource targeting is in effect (-target): this plan may not hold every change the configuration asks for

            socialform will perform the following actions:

              # page.fb["es"] will be disconnected
                (destroy)
              - page.fb["es"] {
                  - page_id = "107100000000001"
                }

              # link.fb["es"] will be unlinked
                (its page is disconnected)
              - link.fb["es"] {
                  - page        = "107100000000001"
                  - application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. DELETE /beta/chatapp-accounts/messenger/107100000000001  (page.fb["es"], link.fb["es"])

            Plan: 1 to disconnect, 1 to unlink. API calls: 1
            "#,
        )
        .requests(&[])
        .run();
}

#[test]
fn replacing_a_link_is_answered_under_the_flag_typed() {
    let sandbox = Sandbox::start();
    let project = applied_fleet(&sandbox);
    Test::on(&project)
        .args(["plan", "-replace=link.fb[\"de\"]"])
        .stderr(
            "error: -replace link.fb[\"de\"]: a link cannot be replaced or reconnected; -replace \
             takes a page, and sends its token again. To make a link removed outside socialform \
             again, run `socialform apply` (it restores it); to move it to another application, \
             change its `application`\n",
        )
        .status(1)
        .requests(&[])
        .run();
    Test::on(&project)
        .args(["plan", "--reconnect", "link.fb[\"de\"]"])
        .stderr(
            "error: --reconnect link.fb[\"de\"]: a link cannot be replaced or reconnected; \
             --reconnect takes a page, and sends its token again. To make a link removed outside \
             socialform again, run `socialform apply` (it restores it); to move it to another \
             application, change its `application`\n",
        )
        .status(1)
        .requests(&[])
        .run();
}

#[test]
fn importing_a_key_its_for_each_lacks_names_the_block_and_its_keys() {
    let sandbox = Sandbox::start();
    let project = applied_fleet(&sandbox);
    Test::on(&project)
        .args(["import", "page.fb[\"pt\"]", "107100000000009"])
        .stderr(
            "error: page.fb[\"pt\"]: page \"fb\" ([DIR]/main.hcl:5:6) is declared, but its \
             for_each has no key \"pt\" (it has \"de\", \"es\"); add \"pt\" to its for_each (or \
             raise its count), with page_id \"107100000000009\", then run the import again\n",
        )
        .status(1)
        .requests(&[])
        .run();
}

#[test]
fn validate_needs_no_secret_that_only_a_provider_block_uses() {
    let config = r#"variable "vonage_secret" {
  sensitive = true
}

variable "token" {
  sensitive = true
}

provider "vonage" {
  api_key    = "abc"
  api_secret = var.vonage_secret
}

page "a" {
  page_id      = "107100000000001"
  access_token = var.token
}
"#;
    Test::new()
        .write("main.hcl", config)
        .args(["validate"])
        .stdout("Success! The configuration is valid: 1 page(s), 0 link(s).\n")
        .run();
    // A command that connects still needs it, and says so at its place.
    Test::new()
        .write("main.hcl", config)
        .env("SF_VAR_token", "EAAfriction0010")
        .args(["plan"])
        .stderr(
            r#"
            error: [DIR]/main.hcl:11:16: variable `vonage_secret` is not set and has no default
               |
            11 |   api_secret = var.vonage_secret
               |                ^^^^^^^^^^^^^^^^^
               |
               = help: set it with --var vonage_secret=VALUE, with `vonage_secret = VALUE` in socialform.sfvars or a *.auto.sfvars file, or with the environment variable SF_VAR_vonage_secret
            "#,
        )
        .status(1)
        .run();
}

/// The README's completion install line works as pasted on a machine where
/// the completions directory does not exist yet (issue 26, item 14).
#[test]
fn the_readme_completion_install_line_works_on_a_fresh_home() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.contains("socialform completions bash > ~/"))
        .expect("the README shows how to install bash completions");
    let command = line.trim().trim_matches('`');
    let home = tempfile::tempdir().unwrap();
    let bin_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(bin(), bin_dir.path().join("socialform")).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = std::process::Command::new("bash")
        .args(["-euc", command])
        .env("HOME", home.path())
        .env("PATH", path)
        .status()
        .unwrap();
    assert!(status.success(), "{command}");
    let script = std::fs::read_to_string(
        home.path()
            .join(".local/share/bash-completion/completions/socialform"),
    )
    .unwrap();
    assert!(script.contains("complete -F _socialform"), "{script}");
}

/// A token rotation is one PATCH and reads as an update in place; a
/// `-replace` with the token Vonage already holds says it sends the same
/// value again (issue 26, item 11).
#[test]
fn a_forced_reconnect_with_the_same_token_says_it_is_sent_again() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_support_token", "EAAfriction0011");
    project.write("main.hcl", CONFIG);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    Test::on(&project)
        .args(["plan", "-replace=page.support"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support will be updated in place with a new access token
                (reconnect requested)
              ~ page.support {
                  ~ access_token = (unchanged sensitive value, sent again)
                }

            API calls, in order:
                1. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)

            Plan: 1 to reconnect. API calls: 1
            "#,
        )
        .requests(&[])
        .run();
    // A token changed in the configuration shows as a change.
    project.env("SF_VAR_support_token", "EAAfriction0012");
    let run = project.run(&["plan"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("~ access_token = (sensitive value) -> (sensitive value)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("(token changed in configuration)"),
        "{}",
        run.stdout
    );
}

const MARKETS: &str = r#"variable "markets" {
  type = map(object({ page_id = string, name = string }))
}

variable "tokens" {
  type      = map(string)
  sensitive = true
}

page "fb" {
  for_each     = var.markets
  page_id      = each.value.page_id
  name         = each.value.name
  access_token = var.tokens[each.key]
}
"#;

/// A wrong type deep inside a value is reported at that element, shown as
/// written (the variable is not sensitive), and nothing follows from it:
/// no "is not set" for a variable that was set (issue 26, items 9 and 10).
#[test]
fn a_wrong_type_deep_in_a_variable_file_is_shown_where_it_is_written() {
    Test::new()
        .write("main.hcl", MARKETS)
        .write(
            "socialform.sfvars",
            r#"markets = {
  es = { page_id = "107100000000001", name = "Spain" }
  de = { page_id = ["107100000000002"], name = "Germany" }
}
tokens = { es = "EAAfriction-es", de = "EAAfriction-de" }
"#,
        )
        .args(["validate"])
        .stderr(
            r#"
            error: [DIR]/socialform.sfvars:3:20: invalid value for variable `markets`: a string is required at ["de"].page_id, got list
              |
            3 |   de = { page_id = ["107100000000002"], name = "Germany" }
              |                    ^^^^^^^^^^^^^^^^^^^
              |
              = help: give a map(object({page_id = string, name = string}))
            "#,
        )
        .status(1)
        .run();
    // A sensitive variable's value stays masked, at its own element too.
    let run = Test::new()
        .write("main.hcl", MARKETS)
        .write(
            "socialform.sfvars",
            r#"markets = {
  es = { page_id = "107100000000001", name = "Spain" }
}
tokens = { es = "EAAfriction-es", de = ["EAAfriction-de"] }
"#,
        )
        .args(["validate"])
        .stderr(
            r#"
            error: [DIR]/socialform.sfvars:4:40: invalid value for variable `tokens`: a string is required at ["de"], got list
              |
            4 | tokens = { es = "**************", de = ["**************"] }
              |                                        ^^^^^^^^^^^^^^^^^^
              |
              = help: give a map(string)
            "#,
        )
        .status(1)
        .run();
    assert!(!run.stderr.contains("EAAfriction"), "{}", run.stderr);
}

/// A key missing from a sensitive map is a key, not a secret: the snippet
/// shows it as the summary names it (issue 26, item 10).
#[test]
fn a_missing_key_of_a_sensitive_map_is_shown_as_written() {
    let config = MARKETS.replace("var.tokens[each.key]", "var.tokens[\"nl\"]");
    Test::new()
        .write("main.hcl", &config)
        .write(
            "socialform.sfvars",
            r#"markets = { es = { page_id = "107100000000001", name = "Spain" } }
tokens  = { es = "EAAfriction-es" }
"#,
        )
        .args(["validate"])
        .stderr(
            r#"
            error: [DIR]/main.hcl:14:18: no element or attribute named "nl"
               |
            14 |   access_token = var.tokens["nl"]
               |                  ^^^^^^^^^^^^^^^^
            "#,
        )
        .status(1)
        .run();
}

const FLEET_BY_VARIABLE: &str = r#"variable "markets" {
  type = map(string)
}

page "fb" {
  for_each     = var.markets
  page_id      = each.value
  access_token = "EAAfriction-fleet"
}

link "fb" {
  for_each    = page.fb
  page        = each.value.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}
"#;

/// Two for_each entries with one page_id: reported at the entries, where
/// the fix goes, and without the link error that only follows from it
/// (issue 26, item 9).
#[test]
fn two_entries_with_one_page_id_are_shown_at_the_entries() {
    Test::new()
        .write("main.hcl", FLEET_BY_VARIABLE)
        .write(
            "socialform.sfvars",
            "markets = {\n  es = \"107100000000001\"\n  de = \"107100000000001\"\n}\n",
        )
        .args(["validate"])
        .stderr(
            r#"
            error: [DIR]/socialform.sfvars:2:8: page.fb["de"] ([DIR]/socialform.sfvars:3:8) and page.fb["es"] have the same page_id "107100000000001"
              |
            2 |   es = "107100000000001"
              |        ^^^^^^^^^^^^^^^^^
              |
              = help: a Facebook Page can be connected only once; remove one of them or correct the page_id
            "#,
        )
        .status(1)
        .run();
    // The same from a map written in the block itself.
    let literal = FLEET_BY_VARIABLE.replace(
        "var.markets",
        r#"{ es = "107100000000001", de = "107100000000001" }"#,
    );
    Test::new()
        .write("main.hcl", &literal)
        .args(["validate"])
        .stderr(
            r#"
            error: [DIR]/main.hcl:6:25: page.fb["de"] ([DIR]/main.hcl:6:49) and page.fb["es"] have the same page_id "107100000000001"
              |
            6 |   for_each     = { es = "107100000000001", de = "107100000000001" }
              |                         ^^^^^^^^^^^^^^^^^
              |
              = help: a Facebook Page can be connected only once; remove one of them or correct the page_id
            "#,
        )
        .status(1)
        .run();
}

/// A new link in another file that collides with one already declared:
/// the error names both places (issue 26, item 9).
#[test]
fn a_colliding_link_in_another_file_names_both_places() {
    Test::new()
        .write("main.hcl", FLEET_BY_VARIABLE)
        .write(
            "socialform.sfvars",
            "markets = {\n  es = \"107100000000001\"\n  de = \"107100000000002\"\n}\n",
        )
        .write(
            "extra.hcl",
            "link \"extra\" {\n  page        = page.fb[\"es\"].page_id\n  application = \"c0ffee00-0000-4000-8000-000000000002\"\n}\n",
        )
        .args(["validate"])
        .stderr(
            r#"
            error: [DIR]/main.hcl:13:17: link.extra ([DIR]/extra.hcl:2:17) and link.fb["es"] both link page.fb["es"]; a page can be linked to one application only
               |
            13 |   page        = each.value.page_id
               |                 ^^^^^^^^^^^^^^^^^^
               |
               = help: remove one of the links, or point it at another page
            "#,
        )
        .status(1)
        .run();
}

/// A value refused on the command line is reported once: the blocks that
/// use the variable add no "is not set" (issue 26, item 9).
#[test]
fn a_refused_command_line_value_is_reported_once() {
    Test::new()
        .write("main.hcl", MARKETS)
        .write("socialform.sfvars", "tokens = { es = \"EAAfriction-es\" }\n")
        .args(["validate", "--var", "markets=[1"])
        .stderr(
            r#"
            error: --var markets=...: invalid value for variable `markets`: a map(object({page_id = string, name = string})) is required, and the value is not a valid HCL expression (expected `]`)
             |
             = help: pass a map(object({page_id = string, name = string})), e.g. --var 'markets={ key = "value" }'
            "#,
        )
        .status(1)
        .run();
}
