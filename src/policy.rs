//! `--policy DIR`: Rego policies on the plan (or drift) document, with
//! conftest's conventions, evaluated in-process by regorus.
//!
//! - Every `*.rego` file under DIR (sub-directories included, in path
//!   order) is one module. Rego v1 is tried first, then v0 (the
//!   `deny[msg] { ... }` style most Terraform policies are written in); a
//!   file neither parses as is reported with v1's error.
//! - In the namespace's package (`main` unless `--policy-namespace`), the
//!   rules `deny`, `violation` and `warn`, and those named `deny_…`,
//!   `violation_…`, `warn_…`, give the findings. A finding is a string, or
//!   an object with `msg` (conftest's structured form; `violation` rules
//!   usually give one).
//! - The input is the command's `--json` document, so a policy written for
//!   Terraform's `resource_changes` reads socialform's plan unchanged.

use crate::address::Address;
use anyhow::{Context as _, bail};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A policy set, parsed and ready to evaluate.
pub(crate) struct Policies {
    engine: regorus::Engine,
    /// The package the rules are read from, as `data.NAME`.
    package: String,
    dir: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Severity {
    /// `deny` and `violation`: the command fails before any call.
    Deny,
    Warn,
}

/// One message of one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Finding {
    pub(crate) severity: Severity,
    /// The rule that gave it, as `data.main.deny`.
    pub(crate) rule: String,
    pub(crate) message: String,
    /// The first resource address of the input that the message names (or
    /// its `address` field names), for annotations at its block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<Address>,
}

/// What a policy set said about one document.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Verdict {
    pub(crate) findings: Vec<Finding>,
}

impl Verdict {
    pub(crate) fn denials(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Deny)
    }

    pub(crate) fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warn)
    }

    pub(crate) fn denied(&self) -> bool {
        self.denials().next().is_some()
    }

    /// The `policy` member of a JSON document.
    pub(crate) fn document(&self) -> Value {
        let list = |severity| -> Vec<&Finding> {
            self.findings
                .iter()
                .filter(|f| f.severity == severity)
                .collect()
        };
        serde_json::json!({
            "passed": !self.denied(),
            "denials": list(Severity::Deny),
            "warnings": list(Severity::Warn),
        })
    }
}

impl Policies {
    /// Reads and parses every `.rego` file under `dir`.
    pub(crate) fn load(dir: &Path, namespace: Option<&str>) -> anyhow::Result<Policies> {
        let namespace = namespace.unwrap_or("main");
        let mut files = Vec::new();
        collect_rego_files(dir, &mut files)?;
        if files.is_empty() {
            bail!(
                "{}: no .rego file found; --policy takes a directory of Rego policies \
                 (conftest's layout: rules named deny, violation or warn in package {namespace})",
                dir.display()
            );
        }
        let mut engine = regorus::Engine::new();
        for file in &files {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("could not read the policy {}", file.display()))?;
            add_module(&mut engine, file, text)?;
        }
        let package = format!("data.{namespace}");
        let packages = engine.get_packages().unwrap_or_default();
        if !packages.contains(&package) {
            bail!(
                "{}: no policy is in package {namespace} (found: {}); write `package {namespace}` \
                 in the policies, or pass --policy-namespace NAME",
                dir.display(),
                if packages.is_empty() {
                    "none".to_string()
                } else {
                    packages
                        .iter()
                        .map(|p| p.trim_start_matches("data."))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
        }
        Ok(Policies {
            engine,
            package,
            dir: dir.to_path_buf(),
        })
    }

    /// Evaluates the rules on `input`. `addresses`: the resources the input
    /// is about, so that a finding can point at one.
    pub(crate) fn evaluate(
        &mut self,
        input: &Value,
        addresses: &[Address],
    ) -> anyhow::Result<Verdict> {
        self.engine.set_input(regorus::Value::from(input.clone()));
        let results = self
            .engine
            .eval_query(self.package.clone(), false)
            .map_err(|e| {
                anyhow::anyhow!(
                    "the policies in {} failed while evaluating: {e}",
                    self.dir.display()
                )
            })?;
        let package = results
            .result
            .first()
            .and_then(|r| r.expressions.first())
            .map(|e| e.value.to_json_str())
            .transpose()
            .map_err(|e| anyhow::anyhow!("could not read the policies' result: {e}"))?
            .map(|text| serde_json::from_str::<Value>(&text))
            .transpose()?
            .unwrap_or(Value::Null);
        let mut findings = Vec::new();
        if let Value::Object(rules) = package {
            for (name, value) in rules {
                let Some(severity) = severity_of(&name) else {
                    continue;
                };
                let rule = format!("{}.{name}", self.package);
                for message in messages(&value) {
                    let (message, named) = message;
                    let address = named
                        .and_then(|a| a.parse().ok())
                        .or_else(|| first_address_named(&message, addresses));
                    findings.push(Finding {
                        severity,
                        rule: rule.clone(),
                        message,
                        address,
                    });
                }
            }
        }
        // Denials first, then by rule and message: the same input gives
        // the same report, whatever order the interpreter's sets have.
        findings.sort_by(|a, b| {
            (a.severity != Severity::Deny, &a.rule, &a.message).cmp(&(
                b.severity != Severity::Deny,
                &b.rule,
                &b.message,
            ))
        });
        Ok(Verdict { findings })
    }
}

/// v1 first, then v0 for a file that does not read as v1 (no
/// `import rego.v1`, no `if`/`contains` without `future.keywords`):
/// regorus's v0 parser prints warnings of its own on v1 keywords, so a
/// broken v1 file is not handed to it. Errors are regorus's, reshaped as
/// `PATH:LINE:COL: message` with its excerpt below.
fn add_module(engine: &mut regorus::Engine, file: &Path, text: String) -> anyhow::Result<()> {
    let name = file.display().to_string();
    engine.set_rego_v0(false);
    let v1 = match engine.add_policy(name.clone(), text.clone()) {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    let reads_as_v1 = text.contains("import rego.v1")
        || (!text.contains("future.keywords")
            && (text.contains(" if ") || text.contains(" if{") || text.contains(" contains ")));
    if !reads_as_v1 {
        engine.set_rego_v0(true);
        let v0 = engine.add_policy(name, text);
        engine.set_rego_v0(false);
        if v0.is_ok() {
            return Ok(());
        }
    }
    bail!(
        "{}\n  help: the policy must be Rego (v1, or the older v0 syntax); `opa check` shows \
         the same error",
        parse_error(&v1.to_string())
    )
}

/// regorus writes `--> PATH:L:C`, the excerpt, then `error: MESSAGE`:
/// reordered as every other error of socialform, location first.
fn parse_error(text: &str) -> String {
    let lines: Vec<&str> = text.trim().lines().collect();
    let at = lines
        .iter()
        .find_map(|l| l.trim_start().strip_prefix("--> "));
    let message = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .filter(|m| !m.trim().is_empty());
    match (at, message) {
        (Some(at), Some(message)) => {
            let excerpt: Vec<&str> = lines
                .iter()
                .filter(|l| !l.trim_start().starts_with("--> ") && !l.starts_with("error:"))
                .copied()
                .collect();
            format!("{at}: {message}\n{}", excerpt.join("\n"))
        }
        _ => text.trim().to_string(),
    }
}

fn collect_rego_files(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "could not read the policy directory {}; --policy takes a directory of .rego files",
            dir.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_rego_files(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "rego") {
            files.push(path);
        }
    }
    Ok(())
}

/// conftest's rule names: `deny`, `violation`, `warn`, alone or as a prefix
/// followed by `_`.
fn severity_of(rule: &str) -> Option<Severity> {
    let is = |prefix: &str| {
        rule == prefix
            || rule
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('_'))
    };
    if is("deny") || is("violation") {
        Some(Severity::Deny)
    } else if is("warn") {
        Some(Severity::Warn)
    } else {
        None
    }
}

/// The messages of one rule's value: a set (a JSON array) of strings or of
/// objects with `msg`; a rule that is simply `true` counts as one message.
/// Each comes with the address its object names, if any.
fn messages(value: &Value) -> Vec<(String, Option<String>)> {
    let one = |item: &Value| -> Option<(String, Option<String>)> {
        match item {
            Value::String(s) => Some((s.clone(), None)),
            Value::Object(o) => {
                let msg = match o.get("msg") {
                    Some(Value::String(s)) => s.clone(),
                    _ => item.to_string(),
                };
                let address = o.get("address").and_then(|a| a.as_str()).map(String::from);
                Some((msg, address))
            }
            Value::Bool(false) | Value::Null => None,
            other => Some((other.to_string(), None)),
        }
    };
    match value {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        Value::Bool(true) => vec![("(no message)".to_string(), None)],
        other => one(other).into_iter().collect(),
    }
}

/// The first of `addresses` that `message` names (the longest first, so
/// `page.fb["es"]` wins over `page.fb`).
fn first_address_named(message: &str, addresses: &[Address]) -> Option<Address> {
    let mut found: Option<(usize, usize, &Address)> = None;
    for address in addresses {
        let text = address.to_string();
        if let Some(at) = message.find(&text) {
            let better = match found {
                None => true,
                Some((best_at, best_len, _)) => {
                    at < best_at || (at == best_at && text.len() > best_len)
                }
            };
            if better {
                found = Some((at, text.len(), address));
            }
        }
    }
    found.map(|(_, _, a)| a.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policies(files: &[(&str, &str)]) -> anyhow::Result<Policies> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        // The directory goes when the test ends; the engine holds the text.
        let loaded = Policies::load(dir.path(), None);
        drop(dir);
        loaded
    }

    fn input() -> Value {
        serde_json::json!({"resource_changes": [
            {"address": "page.fb[\"es\"]", "type": "page",
             "change": {"actions": ["delete"]}},
            {"address": "link.fb[\"de\"]", "type": "link",
             "change": {"actions": ["create"]}},
        ]})
    }

    fn addresses() -> Vec<Address> {
        vec![
            "page.fb[\"es\"]".parse().unwrap(),
            "link.fb[\"de\"]".parse().unwrap(),
        ]
    }

    #[test]
    fn deny_and_warn_rules_of_v1_and_v0_policies_give_findings() {
        let mut p = policies(&[
            (
                "v1.rego",
                "package main\n\ndeny contains msg if {\n  some rc in input.resource_changes\n  \"delete\" in rc.change.actions\n  msg := sprintf(\"%s would be deleted\", [rc.address])\n}\n",
            ),
            (
                "nested/v0.rego",
                "package main\n\nwarn_new_links[msg] {\n  rc := input.resource_changes[_]\n  rc.type == \"link\"\n  rc.change.actions[_] == \"create\"\n  msg := sprintf(\"%s is new\", [rc.address])\n}\n",
            ),
        ])
        .unwrap();
        let verdict = p.evaluate(&input(), &addresses()).unwrap();
        assert_eq!(
            verdict.findings,
            vec![
                Finding {
                    severity: Severity::Deny,
                    rule: "data.main.deny".into(),
                    message: "page.fb[\"es\"] would be deleted".into(),
                    address: Some("page.fb[\"es\"]".parse().unwrap()),
                },
                Finding {
                    severity: Severity::Warn,
                    rule: "data.main.warn_new_links".into(),
                    message: "link.fb[\"de\"] is new".into(),
                    address: Some("link.fb[\"de\"]".parse().unwrap()),
                },
            ]
        );
        assert!(verdict.denied());
    }

    #[test]
    fn violation_objects_and_other_rules() {
        let mut p = policies(&[(
            "p.rego",
            "package main\n\nviolation contains {\"msg\": \"no\", \"address\": \"link.fb[\\\"de\\\"]\"} if { true }\nallow := true\n",
        )])
        .unwrap();
        let verdict = p.evaluate(&input(), &addresses()).unwrap();
        assert_eq!(verdict.findings.len(), 1, "{:?}", verdict.findings);
        assert_eq!(verdict.findings[0].message, "no");
        assert_eq!(verdict.findings[0].rule, "data.main.violation");
        assert_eq!(
            verdict.findings[0].address,
            Some("link.fb[\"de\"]".parse().unwrap())
        );
    }

    #[test]
    fn a_policy_that_does_not_parse_is_named_with_its_line() {
        let error = policies(&[(
            "bad.rego",
            "package main\n\ndeny contains msg if {\n  msg := \n}\n",
        )])
        .err()
        .expect("a parse error")
        .to_string();
        let first = error.lines().next().unwrap();
        assert!(first.contains("bad.rego:4:7: expecting `}`"), "{error}");
    }

    #[test]
    fn a_directory_without_the_package_or_without_policies_is_refused() {
        let error = policies(&[(
            "p.rego",
            "package terraform\n\ndeny contains \"x\" if { true }\n",
        )])
        .err()
        .unwrap()
        .to_string();
        assert!(error.contains("no policy is in package main"), "{error}");
        assert!(error.contains("found: terraform"), "{error}");
        let error = policies(&[("README.md", "no policies")])
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("no .rego file found"), "{error}");
    }

    #[test]
    fn rule_names_follow_conftest() {
        assert_eq!(severity_of("deny"), Some(Severity::Deny));
        assert_eq!(severity_of("deny_unlink"), Some(Severity::Deny));
        assert_eq!(severity_of("violation"), Some(Severity::Deny));
        assert_eq!(severity_of("warn_x"), Some(Severity::Warn));
        assert_eq!(severity_of("denylist"), None);
        assert_eq!(severity_of("allow"), None);
    }

    #[test]
    fn the_longest_address_at_the_first_place_wins() {
        let addresses: Vec<Address> = vec![
            "page.fb".parse().unwrap(),
            "page.fb[\"es\"]".parse().unwrap(),
        ];
        assert_eq!(
            first_address_named("page.fb[\"es\"] is gone", &addresses),
            Some("page.fb[\"es\"]".parse().unwrap())
        );
        assert_eq!(first_address_named("nothing", &addresses), None);
    }
}
