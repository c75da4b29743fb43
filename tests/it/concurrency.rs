//! Two socialform processes on one state: the second is told who holds the
//! lock, or waits for it with --lock-timeout.

use crate::support::*;
use std::process::{Command, Stdio};

fn pages(count: usize) -> String {
    (0..count)
        .map(|i| {
            format!(
                "page \"p{i}\" {{\n  page_id      = \"30{i:04}\"\n  access_token = \"EAAB-concurrency-{i}\"\n}}\n"
            )
        })
        .collect()
}

#[test]
fn a_second_run_sees_the_holder_and_lock_timeout_waits_for_it() {
    // Slow enough that the first apply is still running when the others start.
    let sandbox = Sandbox::start_with(&["--latency-ms", "150"]);
    let project = Project::against(&sandbox);
    project.write("main.hcl", &pages(12));

    let mut first = Command::new(bin())
        .args([
            "-C",
            project.path().to_str().unwrap(),
            "apply",
            "--auto-approve",
            "--parallelism",
            "1",
        ])
        .env("VONAGE_ENDPOINT", &sandbox.url)
        .env("VONAGE_API_KEY", "sandbox")
        .env("VONAGE_API_SECRET", "sandbox")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait (bounded) until the first process has written its lock record.
    project.wait_for_lock_holder();

    let second = project.run(&["plan"]);
    second.assert_code(1);
    assert!(
        second.stderr.contains("state is locked"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains(&first.id().to_string()),
        "names the holder's pid: {}",
        second.stderr
    );
    assert!(
        second.stderr.contains("apply"),
        "names the holder's command: {}",
        second.stderr
    );

    // A configuration error does not wait for the lock: state is opened
    // alongside the configuration, and the error ends the run at once.
    project.write("broken.hcl", "page \"x\" {\n  page_id = \n}\n");
    let broken = project.run(&["plan", "--lock-timeout", "60s"]);
    broken.assert_code(1);
    assert!(broken.stderr.contains("broken.hcl:2"), "{}", broken.stderr);
    assert!(
        first.try_wait().unwrap().is_none(),
        "the configuration error waited for the lock holder to finish"
    );
    std::fs::remove_file(project.path().join("broken.hcl")).unwrap();

    let waiting = project.run(&["plan", "--lock-timeout", "60s", "--detailed-exitcode"]);
    let status = first.wait().unwrap();
    assert!(status.success());
    // It waited for the first apply to finish, then found nothing to do.
    waiting.assert_code(0);
    assert!(waiting.stdout.contains("No changes."), "{}", waiting.stdout);
}

#[test]
fn removed_with_destroy_false_forgets_a_page_and_leaves_it_connected() {
    let sandbox = Sandbox::start();
    let project = Project::against(&sandbox);
    project.write("main.hcl", &pages(2));
    project.run(&["apply", "--auto-approve"]).assert_code(0);

    project.write(
        "main.hcl",
        &(pages(1) + "\nremoved {\n  from = page.p1\n  lifecycle {\n    destroy = false\n  }\n}\n"),
    );
    let plan = project.run(&["plan", "--json"]);
    plan.assert_code(0);
    assert_eq!(
        plan.json()["changes"],
        serde_json::json!([{"address": "page.p1", "action": "forget",
                            "reason": "removed block with destroy = false",
                            "before": {}, "after": null, "sensitive": []}])
    );
    assert!(plan.planned_calls().is_empty());
    sandbox.clear_requests();
    let apply = project.run(&["apply", "--auto-approve"]);
    apply.assert_code(0);
    // What was recorded is said, not "nothing to change".
    assert!(
        apply
            .stdout
            .ends_with("Apply complete! 1 forgotten. API calls: 0\n"),
        "{}",
        apply.stdout
    );
    assert!(sandbox.mutations().is_empty());
    assert!(sandbox.page("300001").is_some(), "the page stays connected");
    let list = project.run(&["state", "list"]);
    assert_eq!(list.stdout.trim(), "page.p0");
    // Adopted back with an import block: said as imported.
    project.write(
        "main.hcl",
        &(pages(2) + "\nimport {\n  to = page.p1\n  id = \"300001\"\n}\n"),
    );
    let apply = project.run(&["apply", "--auto-approve"]);
    apply.assert_code(0);
    assert!(
        apply
            .stdout
            .contains("Apply complete! 1 imported. API calls: 0"),
        "{}",
        apply.stdout
    );
}

/// While an apply holds the lock, each read-only command says who holds it
/// and how to wait, and the flag it names is one it takes (issue 26, item
/// 2): with it, each waits and then reads.
#[test]
fn read_only_commands_wait_for_a_running_apply_with_the_flag_they_are_told() {
    let sandbox = Sandbox::start_with(&["--latency-ms", "150"]);
    let project = Project::against(&sandbox);
    // 16 calls at 150 ms: the apply holds the lock for over 2 s.
    project.write("main.hcl", &pages(16));
    let mut first = project
        .command(&["apply", "--auto-approve", "--parallelism", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    project.wait_for_lock_holder();
    let commands: [&[&str]; 5] = [
        &["state", "list"],
        &["state", "show", "page.p0"],
        &["state", "pull"],
        &["show"],
        &["history"],
    ];
    for args in commands {
        let refused = project.run(args);
        refused.assert_code(1);
        assert!(
            refused.stderr.contains("state is locked")
                && refused.stderr.contains("pass --lock-timeout 30s"),
            "{args:?}: {}",
            refused.stderr
        );
    }
    let mut waiting = Vec::new();
    for args in commands {
        let mut command = project.command(args);
        command.args(["--lock-timeout", "60s"]);
        waiting.push((
            args,
            command
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        ));
    }
    assert!(first.wait().unwrap().success());
    for (args, child) in waiting {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{args:?}: {stderr}");
        // `state pull` writes only its document (JSON) and stays quiet.
        if args != ["state", "pull"] {
            assert!(
                stderr.contains("for the state lock, held by pid"),
                "{args:?} waited, saying so: {stderr}"
            );
        }
        assert!(!stdout.is_empty(), "{args:?} read nothing");
    }
    let list = project.run(&["state", "list"]);
    assert_eq!(
        list.stdout
            .lines()
            .filter(|l| l.starts_with("page."))
            .count(),
        16
    );
}
