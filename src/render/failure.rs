//! A failed command, taken apart for machines: what kind of failure it is
//! and every diagnostic with its address and place in the configuration.
//! The JSON error document, GitHub's `::error` annotations and the Markdown
//! error report are all made from it.

use crate::config::Diagnostics;
use crate::desired::Location;
use crate::facebook::GraphError;
use crate::plan::PlanError;
use crate::plan::saved::Stale;
use crate::remote::ApiError;
use crate::state::LockHeld;
use serde_json::{Value, json};

/// One thing that went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Diag {
    pub(crate) summary: String,
    pub(crate) detail: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) location: Option<Location>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `configuration`, `plan`, `lock_held`, `stale_plan`, `api` or `error`.
    pub(crate) kind: &'static str,
    /// The error in one line (the whole chain of causes).
    pub(crate) error: String,
    pub(crate) diagnostics: Vec<Diag>,
}

impl Failure {
    pub(crate) fn of(error: &anyhow::Error) -> Failure {
        let whole = format!("{error:#}");
        for cause in error.chain() {
            if let Some(diagnostics) = cause.downcast_ref::<Diagnostics>() {
                return configuration(diagnostics);
            }
            if let Some(plan_error) = cause.downcast_ref::<PlanError>() {
                let diagnostics: Vec<Diag> = plan_error
                    .0
                    .iter()
                    .map(|p| Diag {
                        summary: p.message.clone(),
                        detail: p.help.clone(),
                        address: p.address.as_ref().map(ToString::to_string),
                        location: p.location.clone(),
                    })
                    .collect();
                let error = match diagnostics.as_slice() {
                    [one] => one.summary.clone(),
                    many => format!("the plan is impossible: {} problems", many.len()),
                };
                return Failure {
                    kind: "plan",
                    error,
                    diagnostics,
                };
            }
            if let Some(held) = cause.downcast_ref::<LockHeld>() {
                return single(
                    "lock_held",
                    &whole,
                    held.to_string(),
                    Some(held.lock.clone()),
                );
            }
            if let Some(stale) = cause.downcast_ref::<Stale>() {
                return single(
                    "stale_plan",
                    &whole,
                    stale.to_string(),
                    Some(stale.reason.clone()),
                );
            }
            if let Some(api) = cause.downcast_ref::<ApiError>() {
                return single("api", &whole, api.to_string(), None);
            }
            // Facebook's Graph API is an API too: unreachable, refusing a
            // token, answering what is not Graph.
            if let Some(graph) = cause.downcast_ref::<GraphError>() {
                return single("api", &whole, graph.to_string(), None);
            }
        }
        let top = error.to_string();
        let detail = (whole != top).then(|| whole.clone());
        single("error", &whole, top, detail)
    }
}

fn single(kind: &'static str, whole: &str, summary: String, detail: Option<String>) -> Failure {
    Failure {
        kind,
        error: whole.to_string(),
        diagnostics: vec![Diag {
            summary,
            detail,
            address: None,
            location: None,
        }],
    }
}

fn configuration(diagnostics: &Diagnostics) -> Failure {
    let items: Vec<Diag> = diagnostics
        .iter()
        .map(|d| Diag {
            summary: d.message.clone(),
            detail: d.help.clone(),
            address: None,
            location: d.location.clone(),
        })
        .collect();
    let error = match items.as_slice() {
        [one] => match &one.location {
            Some(at) => format!("{at}: {}", one.summary),
            None => one.summary.clone(),
        },
        many => format!("the configuration has {} errors", many.len()),
    };
    Failure {
        kind: "configuration",
        error,
        diagnostics: items,
    }
}

/// A diagnostic as the JSON documents show it (Terraform's shape).
pub(crate) fn diagnostic_json(diag: &Diag) -> Value {
    json!({
        "severity": "error",
        "summary": diag.summary,
        "detail": diag.detail.clone().unwrap_or_default(),
        "address": diag.address,
        "range": diag.location.as_ref().map(|l| json!({
            "filename": l.file,
            "start": {"line": l.line, "column": l.column},
        })),
    })
}

/// The contract's error document: what `--json` commands print on stdout
/// when they fail.
pub(crate) fn error_document(error: &anyhow::Error) -> Value {
    let failure = Failure::of(error);
    json!({
        "format_version": "1.0",
        "error": failure.error,
        "error_kind": failure.kind,
        "diagnostics": failure.diagnostics.iter().map(diagnostic_json).collect::<Vec<_>>(),
    })
}

/// Diagnostics of a configuration that did not load (`validate --json`).
pub(crate) fn configuration_failure(diagnostics: &Diagnostics) -> Failure {
    configuration(diagnostics)
}
