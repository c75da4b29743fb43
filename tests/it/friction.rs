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
