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
