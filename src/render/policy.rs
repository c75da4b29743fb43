//! What `--policy` found, for people (after the plan), for pull requests
//! (a section of the Markdown report) and for GitHub's annotations. The
//! JSON documents carry `policy` (see `policy::Verdict::document`).

use super::Style;
use super::github::{Locations, command};
use crate::policy::{Finding, Severity, Verdict};
use std::fmt::Write;
use std::path::Path;

fn label(finding: &Finding) -> &'static str {
    match finding.severity {
        Severity::Deny => "denied",
        Severity::Warn => "warning",
    }
}

/// The findings, one per line, then a count; empty when there is none.
pub(crate) fn policy_text(verdict: &Verdict, dir: &Path, style: &Style) -> String {
    let mut out = String::new();
    let (denials, warnings) = (verdict.denials().count(), verdict.warnings().count());
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "Policy checks ({}): {denials} denied, {warnings} warning(s)",
            dir.display()
        ))
    );
    for finding in verdict.denials().chain(verdict.warnings()) {
        let tag = match finding.severity {
            Severity::Deny => style.red("  denied: "),
            Severity::Warn => style.yellow("  warning:"),
        };
        let _ = writeln!(out, "{tag} {} ({})", finding.message, finding.rule);
    }
    out
}

/// The report's section on the policies.
pub(crate) fn policy_markdown(verdict: &Verdict, dir: &Path) -> String {
    let mut out = String::new();
    let (denials, warnings) = (verdict.denials().count(), verdict.warnings().count());
    let _ = writeln!(out, "\n### Policy checks\n");
    let _ = writeln!(
        out,
        "{} `{}`: {denials} denied, {warnings} warning(s).\n",
        if denials > 0 { "❌" } else { "✅" },
        dir.display()
    );
    if denials + warnings > 0 {
        let _ = writeln!(out, "| result | message | rule |");
        let _ = writeln!(out, "|---|---|---|");
        for finding in verdict.denials().chain(verdict.warnings()) {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` |",
                label(finding),
                finding.message.replace('|', "\\|").replace('\n', " "),
                finding.rule
            );
        }
    }
    out
}

/// `::error` for each denial and `::warning` for each warning, at the block
/// of the resource the finding names.
pub(crate) fn policy_annotations(verdict: &Verdict, locations: &Locations) -> String {
    let mut out = String::new();
    for finding in verdict.denials().chain(verdict.warnings()) {
        let level = match finding.severity {
            Severity::Deny => "error",
            Severity::Warn => "warning",
        };
        let location = finding.address.as_ref().and_then(|a| locations.find(a));
        out.push_str(&command(
            level,
            location,
            &format!("socialform policy: {}", finding.rule),
            &finding.message,
        ));
    }
    out
}
