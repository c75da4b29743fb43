//! The bad-input corpus: every case under `tests/bad_inputs/` is a
//! configuration directory with a `case.json` sidecar:
//! `{"args": [...], "env": {...}, "location": "FILE:LINE:COLUMN" | null,
//!   "message": "text the first error must contain"}`.
//! Each must exit 1 with its message and location, no panic text, and no
//! trace of the page token the environment or a var file carries; and its
//! whole stderr must be the `expected.stderr` kept beside it (the case's
//! directory written `[CASE]`). When diagnostics change on purpose,
//! `SOCIALFORM_BLESS=1 cargo test --test it bad_input::` rewrites those files
//! for review in the diff.

use crate::support::{bin, expect_file, normalize};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

/// The token every case carries (see `SF_VAR_token` in the sidecars and the
/// var files); it must never be echoed.
const TOKEN: &str = "EAAC0RPUSSECRET";

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, args: &[String], env: &[(String, String)]) -> Outcome {
    let mut command = Command::new(bin());
    command
        .current_dir(dir)
        .args(["-C", "."])
        .args(args)
        .stdin(Stdio::null())
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LOG");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("the binary runs");
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The checks every bad input must pass; returns a complaint or `None`.
fn judge(name: &str, outcome: &Outcome, location: Option<&str>, message: &str) -> Option<String> {
    let Outcome {
        code,
        stdout,
        stderr,
    } = outcome;
    let problem = if *code != 1 {
        format!("exit code {code}, expected 1")
    } else if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        "panic text in stderr".to_string()
    } else if stdout.contains(TOKEN) || stderr.contains(TOKEN) {
        "the token appears in the output".to_string()
    } else if !stderr.contains(message) {
        format!("stderr lacks the message {message:?}")
    } else if let Some(location) = location.filter(|l| !stderr.contains(&format!("/{l}: "))) {
        format!("stderr lacks the location {location}")
    } else {
        return None;
    };
    Some(format!(
        "{name}: {problem}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    ))
}

/// The whole stderr against the case's `expected.stderr`, and nothing on
/// stdout.
fn whole_output(dir: &Path, outcome: &Outcome) -> Option<String> {
    let name = dir.file_name().unwrap().to_string_lossy();
    if !outcome.stdout.is_empty() {
        return Some(format!("{name}: stdout is not empty:\n{}", outcome.stdout));
    }
    let replacements = [(dir.display().to_string(), "[CASE]".to_string())];
    let stderr = normalize(&outcome.stderr, &replacements);
    expect_file(&dir.join("expected.stderr"), &stderr).map(|diff| format!("{name}: {diff}"))
}

#[test]
fn every_bad_input_fails_cleanly_with_its_location() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "only {} cases", cases.len());

    let mut failures = Vec::new();
    let mut with_location = 0;
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let sidecar: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap())
                .unwrap_or_else(|e| panic!("{name}/case.json: {e}"));
        let args: Vec<String> = sidecar["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let env: Vec<(String, String)> = sidecar["env"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let location = sidecar["location"].as_str();
        with_location += usize::from(location.is_some());
        let message = sidecar["message"].as_str().unwrap_or("error");
        let outcome = run_in(dir, &args, &env);
        failures.extend(judge(&name, &outcome, location, message));
        failures.extend(whole_output(dir, &outcome));
    }
    assert!(with_location >= 30, "{with_location} cases have a location");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A file too large to be a configuration is refused up front, with its
/// name, rather than read into memory; built here, not kept in the repo.
#[test]
fn a_huge_configuration_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let line = "# padding padding padding padding padding padding padding padding\n";
    let huge = line.repeat(17 * 1024 * 1024 / line.len() + 1);
    std::fs::write(dir.path().join("main.hcl"), huge).unwrap();
    let outcome = run_in(dir.path(), &["validate".into()], &[]);
    let complaint = judge("huge", &outcome, None, "main.hcl is larger than 16 MiB");
    assert!(complaint.is_none(), "{}", complaint.unwrap());
}

/// A token written straight into a configuration file is masked in the
/// snippet of an error on its line.
#[test]
fn a_literal_token_on_a_bad_line_is_masked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.hcl"),
        format!(
            "page \"a\" {{\n  page_id      = \"100000000000001\"\n  access_token = \"{TOKEN}XYZ\" +\n}}\n"
        ),
    )
    .unwrap();
    let outcome = run_in(dir.path(), &["validate".into()], &[]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("main.hcl:"), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains(TOKEN), "{}", outcome.stderr);
}
