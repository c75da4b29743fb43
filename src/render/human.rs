//! The Terraform-like plan and apply summary.

use super::style::Style;
use crate::apply::{ApplyResult, CallOutcome};
use crate::plan::{Action, AttrDiff, Drift, DriftKind, Mode, Plan};
use similar::{ChangeTag, TextDiff};
use std::fmt::Write;

fn symbol(action: Action, style: &Style) -> String {
    match action {
        Action::Connect | Action::Link | Action::Create => style.green("+"),
        Action::Update | Action::Reconnect | Action::Relink => style.yellow("~"),
        Action::Disconnect | Action::Unlink | Action::Delete => style.red("-"),
        Action::Replace => format!("{}/{}", style.red("-"), style.green("+")),
        Action::Import => style.cyan("<="),
        Action::Forget | Action::Move => style.dim("."),
    }
}

fn quote(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

fn shown(value: &str, sensitive: bool) -> String {
    if sensitive {
        value.to_string()
    } else {
        quote(value)
    }
}

/// `"old" -> "new"`, with the changed characters marked when colour is on.
fn inline_diff(before: &str, after: &str, style: &Style) -> String {
    if !style.color {
        return format!("{} -> {}", quote(before), quote(after));
    }
    let diff = TextDiff::from_chars(before, after);
    let (mut old, mut new) = (String::new(), String::new());
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal => {
                old.push_str(text);
                new.push_str(text);
            }
            ChangeTag::Delete => old.push_str(&style.strike(text)),
            ChangeTag::Insert => new.push_str(&style.underline(text)),
        }
    }
    format!("\"{old}\" -> \"{new}\"")
}

fn attribute_line(attr: &AttrDiff, width: usize, style: &Style) -> String {
    let name = format!("{:width$}", attr.name);
    match (&attr.before, &attr.after) {
        (None, Some(after)) => format!(
            "{} {name} = {}",
            style.green("+"),
            shown(after, attr.sensitive)
        ),
        (Some(before), None) => format!(
            "{} {name} = {}",
            style.red("-"),
            shown(before, attr.sensitive)
        ),
        (Some(_), Some(after)) if attr.sensitive && after == crate::plan::SENT_AGAIN => {
            format!("{} {name} = {after}", style.yellow("~"))
        }
        (Some(before), Some(after)) if attr.sensitive => {
            format!("{} {name} = {before} -> {after}", style.yellow("~"))
        }
        (Some(before), Some(after)) => {
            format!(
                "{} {name} = {}",
                style.yellow("~"),
                inline_diff(before, after, style)
            )
        }
        // Filtered out by the caller; kept total for safety.
        (None, None) => format!("  {name}"),
    }
}

/// The heading of token health drift: what Facebook says of a token Vonage
/// holds, which nobody changed.
pub(super) const TOKENS_HEADING: &str = "token(s) Facebook reports invalid, expiring or short of \
     a permission (not changes made outside socialform)";

pub(super) fn drift_line(drift: &Drift) -> String {
    match (drift.kind, drift.attribute.as_str()) {
        (DriftKind::Deleted, "page_id") => format!("{} was disconnected", drift.address),
        (DriftKind::Deleted, _) => format!(
            "{} was unlinked (expected application {})",
            drift.address, drift.expected
        ),
        (DriftKind::Changed, "access_token") => {
            format!(
                "{}: access_token was changed (sensitive value)",
                drift.address
            )
        }
        (DriftKind::Changed, attribute) => format!(
            "{}: {attribute} changed from {} to {}",
            drift.address,
            quote(&drift.expected),
            quote(&drift.actual)
        ),
        (DriftKind::TokenInvalid, _) => format!(
            "{}: the token Vonage holds is invalid: {}",
            drift.address, drift.actual
        ),
        (DriftKind::TokenExpiring, _) => {
            format!("{}: the token Vonage holds {}", drift.address, drift.actual)
        }
        // Only the providers' drift has these kinds (ProviderDrift::message).
        (kind, _) => format!("{}: {} {}", drift.address, kind.as_str(), drift.actual),
    }
}

/// The Facebook user token's drift: what is wrong, and what to do.
pub(super) fn provider_drift_line(drift: &crate::plan::ProviderDrift) -> String {
    drift.message()
}

/// The whole plan as a person reads it, ending with a `Plan:` or
/// `No changes.` line.
pub(crate) fn plan_text(plan: &Plan, mode: Mode, style: &Style) -> String {
    let mut out = String::new();
    let (outside, tokens): (Vec<&Drift>, Vec<&Drift>) =
        plan.drift.iter().partition(|d| d.kind.made_outside());
    if !outside.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.bold("Note: objects have changed outside of socialform")
        );
        let _ = writeln!(out);
        for drift in outside {
            let _ = writeln!(out, "  # {}", drift_line(drift));
        }
        let _ = writeln!(out);
    }
    if !tokens.is_empty() {
        let _ = writeln!(out, "{}", style.bold(&format!("Note: {TOKENS_HEADING}")));
        let _ = writeln!(out);
        for drift in tokens {
            let _ = writeln!(out, "  # {}", drift_line(drift));
        }
        let _ = writeln!(out);
    }
    for warning in plan.all_warnings() {
        let _ = writeln!(out, "{} {warning}", style.yellow("Warning:"));
        let _ = writeln!(out);
    }
    if mode == Mode::RefreshOnly {
        // Never "No changes" right after a list of what changed: say what
        // applying this plan would do, which is only to record.
        let line = if plan.state_only.is_empty() {
            "No changes. The state matches the remote side.".to_string()
        } else {
            format!(
                "This is a refresh-only plan: socialform will not undo these changes. Applying \
                 it records {} state update(s) and makes no API call.",
                plan.state_only.len()
            )
        };
        let _ = writeln!(out, "{}", style.bold(&line));
        return out;
    }
    if plan.changes.is_empty() && plan.calls.is_empty() {
        let _ = writeln!(out, "{}", style.bold(&summary_line(plan)));
        return out;
    }

    let _ = writeln!(out, "socialform will perform the following actions:");
    let _ = writeln!(out);
    for change in &plan.changes {
        if let (Action::Move, Some(from)) = (change.action, &change.previous_address) {
            // As Terraform words it; a move has no attributes to show.
            let _ = writeln!(
                out,
                "  {} {} has moved to {}",
                style.bold("#"),
                style.bold(&from.to_string()),
                style.bold(&change.address.to_string())
            );
            // A moved block's reason names the block; any other move says why.
            let why = if change.reason.ends_with("by a moved block") {
                "moved block".to_string()
            } else {
                change.reason.clone()
            };
            let _ = writeln!(
                out,
                "    {}",
                style.dim(&format!("({why}: renamed in state only, no API call)"))
            );
            let _ = writeln!(out);
            continue;
        }
        let _ = writeln!(
            out,
            "  {} {} will be {}",
            style.bold("#"),
            style.bold(&change.address.to_string()),
            change.action.future_phrase()
        );
        let _ = writeln!(out, "    {}", style.dim(&format!("({})", change.reason)));
        let _ = writeln!(
            out,
            "  {} {} {{",
            symbol(change.action, style),
            change.address
        );
        // An attribute set on neither side (a page without a name being
        // disconnected) has nothing to show.
        let shown_attributes: Vec<&AttrDiff> = change
            .attributes
            .iter()
            .filter(|a| a.before.is_some() || a.after.is_some())
            .collect();
        let width = shown_attributes
            .iter()
            .map(|a| a.name.len())
            .max()
            .unwrap_or(0);
        for attr in shown_attributes {
            let _ = writeln!(out, "      {}", attribute_line(attr, width, style));
        }
        let _ = writeln!(out, "    }}");
        let _ = writeln!(out);
    }

    if !plan.calls.is_empty() {
        let _ = writeln!(out, "API calls, in order:");
        for (index, call) in plan.calls.iter().enumerate() {
            let addresses: Vec<String> = call.addresses.iter().map(|a| a.to_string()).collect();
            let _ = writeln!(
                out,
                "  {:>3}. {:<6} {}  {}",
                index + 1,
                call.method.as_str(),
                call.path,
                style.dim(&format!("({})", addresses.join(", ")))
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "{}", style.bold(&closing_line(plan)));
    out
}

/// The line that ends the human plan: `No changes. …` or `Plan: …` (the
/// Markdown report repeats it word for word).
pub(super) fn summary_line(plan: &Plan) -> String {
    if plan.changes.is_empty() && plan.calls.is_empty() {
        // After a warning (a page token that needs attention and cannot be
        // replaced yet), "matches" would read as all clear.
        let mut line = String::from(if !plan.warnings.is_empty() {
            "No changes can be planned: see the warning(s) above."
        } else if plan.limited_by.is_some() {
            "No changes in what this plan covers."
        } else {
            "No changes. The remote side matches the configuration."
        });
        if !plan.state_only.is_empty() {
            let _ = write!(
                line,
                " {} state update(s) will be recorded on apply.",
                plan.state_only.len()
            );
        }
        line
    } else {
        closing_line(plan)
    }
}

fn moved_count(plan: &Plan) -> usize {
    count_of(plan, Action::Move)
}

/// How many changes of the plan are `action`.
fn count_of(plan: &Plan, action: Action) -> usize {
    plan.changes.iter().filter(|c| c.action == action).count()
}

fn closing_line(plan: &Plan) -> String {
    let summary = plan.summary();
    let imports = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Import)
        .count();
    let forgets = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Forget)
        .count();
    let moves = moved_count(plan);
    let counts = [
        (summary.create.unwrap_or(0), "application(s) to create"),
        (
            summary.update_application.unwrap_or(0),
            "application(s) to update",
        ),
        (summary.connect, "to connect"),
        (imports, "to import"),
        (summary.update, "to update"),
        (summary.reconnect, "to reconnect"),
        (summary.replace, "to replace"),
        (summary.disconnect, "to disconnect"),
        (forgets, "to forget"),
        (moves, "to move"),
        (summary.link, "to link"),
        (summary.relink, "to relink"),
        (summary.unlink, "to unlink"),
        (summary.delete.unwrap_or(0), "application(s) to delete"),
    ];
    let parts: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    format!("Plan: {}. API calls: {}", parts.join(", "), summary.calls)
}

/// The last lines of an apply (or a destroy: `mode`): `Apply complete!`
/// or what failed.
pub(crate) fn apply_summary(
    plan: &Plan,
    result: &ApplyResult,
    mode: Mode,
    style: &Style,
) -> String {
    let mut out = String::new();
    let verb = if mode == Mode::Destroy {
        "Destroy"
    } else {
        "Apply"
    };
    if result.is_complete() && !result.interrupted && mode == Mode::RefreshOnly {
        let _ = writeln!(
            out,
            "{}",
            style.green(&style.bold(&format!(
                "Apply complete! {} state update(s) recorded; no API call was made.",
                plan.state_only.len()
            )))
        );
        return out;
    }
    if result.is_complete() && !result.interrupted {
        let summary = plan.summary();
        let counts = [
            (summary.create.unwrap_or(0), "application(s) created"),
            (
                summary.update_application.unwrap_or(0),
                "application(s) updated",
            ),
            (summary.connect, "connected"),
            (summary.update, "updated"),
            (summary.reconnect, "reconnected"),
            (summary.replace, "replaced"),
            (summary.disconnect, "disconnected"),
            (summary.link, "linked"),
            (summary.relink, "relinked"),
            (summary.unlink, "unlinked"),
            (summary.delete.unwrap_or(0), "application(s) deleted"),
            (moved_count(plan), "moved"),
            // Recorded in state without a call: said too, or an apply of
            // only these would read as if it did nothing.
            (count_of(plan, Action::Import), "imported"),
            (count_of(plan, Action::Forget), "forgotten"),
        ];
        let parts: Vec<String> = counts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        let what = if parts.is_empty() {
            "nothing to change".to_string()
        } else {
            parts.join(", ")
        };
        let _ = writeln!(
            out,
            "{}",
            style.green(&style.bold(&format!(
                "{verb} complete! {what}. API calls: {}",
                summary.calls
            )))
        );
        return out;
    }
    for (call, outcome) in plan.calls.iter().zip(&result.outcomes) {
        if let CallOutcome::Failed(message) | CallOutcome::Unrecorded(message) = outcome {
            let addresses: Vec<String> = call.addresses.iter().map(|a| a.to_string()).collect();
            let _ = writeln!(
                out,
                "{} {}: {message}",
                style.red("error:"),
                addresses.join(", ")
            );
        }
    }
    let not_attempted: Vec<String> = plan
        .calls
        .iter()
        .zip(&result.outcomes)
        .filter(|(_, o)| **o == CallOutcome::NotAttempted)
        .flat_map(|(c, _)| c.addresses.iter().map(|a| a.to_string()))
        .collect();
    if !not_attempted.is_empty() {
        let _ = writeln!(out, "Not attempted:");
        for address in &not_attempted {
            let _ = writeln!(out, "  {address}");
        }
    }
    let headline = if result.interrupted {
        format!("{verb} interrupted")
    } else {
        format!("{verb} failed")
    };
    let headline = if result.unrecorded() > 0 {
        format!(
            "{headline}: {} call(s) succeeded, {} took effect but could not be recorded, {} failed, {} not attempted.",
            result.succeeded(),
            result.unrecorded(),
            result.failed(),
            result.not_attempted()
        )
    } else {
        format!(
            "{headline}: {} call(s) succeeded, {} failed, {} not attempted. State records what succeeded; run `socialform plan` to see what is left.",
            result.succeeded(),
            result.failed(),
            result.not_attempted()
        )
    };
    let _ = writeln!(out, "{}", style.red(&style.bold(&headline)));
    out
}

/// The drift report as a person reads it.
pub(crate) fn drift_text(report: &crate::plan::DriftReport, style: &Style) -> String {
    let mut out = String::new();
    let (outside, tokens): (Vec<&Drift>, Vec<&Drift>) =
        report.drifted.iter().partition(|d| d.kind.made_outside());
    if !outside.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!(
                "Drift: {} change(s) made outside socialform",
                outside.len()
            ))
        );
        for drift in outside {
            let _ = writeln!(out, "  # {}", drift_line(drift));
        }
        let _ = writeln!(out);
    }
    // The user token's health (`report.provider`) is Facebook's word too.
    if !tokens.is_empty() || !report.provider.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!(
                "Drift: {} {TOKENS_HEADING}",
                tokens.len() + report.provider.len()
            ))
        );
        for drift in tokens {
            let _ = writeln!(out, "  # {}", drift_line(drift));
        }
        for drift in &report.provider {
            let _ = writeln!(out, "  # {}", provider_drift_line(drift));
        }
        let _ = writeln!(out);
    }
    for address in &report.tokens_not_compared {
        let _ = writeln!(
            out,
            "note: the access_token of {address} was not compared: its variable is unset and there is no state"
        );
    }
    if !report.tokens_not_compared.is_empty() {
        let _ = writeln!(out);
    }
    if report.tokens_unchecked {
        let _ = writeln!(
            out,
            "note: page tokens not checked with Facebook (no Facebook credentials: \
             FACEBOOK_USER_TOKEN or a provider \"facebook\" block)\n"
        );
    }
    if !report.unmanaged.is_empty() {
        let only_pages = report.unmanaged.iter().all(|u| u.provider == "messenger");
        let _ = writeln!(
            out,
            "{}",
            style.bold(&if only_pages {
                format!(
                    "Unmanaged: {} page(s) connected to the account and declared nowhere",
                    report.unmanaged.len()
                )
            } else {
                format!(
                    "Unmanaged: {} account(s) in the Vonage account and declared nowhere",
                    report.unmanaged.len()
                )
            })
        );
        for page in &report.unmanaged {
            let linked = if page.applications.is_empty() {
                "not linked".to_string()
            } else {
                format!("linked to {}", page.applications.join(", "))
            };
            // Messenger pages are listed by ID alone; other channels name
            // their provider.
            let provider = if page.provider == "messenger" {
                String::new()
            } else {
                format!("{} ", page.provider)
            };
            let _ = writeln!(
                out,
                "  {provider}{} {} ({linked})",
                page.external_id,
                quote(page.name.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(out);
    }
    let closing = drift_closing_line(report);
    let closing = if report.is_clean() {
        style.green(&closing)
    } else {
        style.yellow(&closing)
    };
    let _ = writeln!(out, "{}", style.bold(&closing));
    out
}

/// The last line of the drift report: `No drift: …` or `Drift detected: …`.
pub(super) fn drift_closing_line(report: &crate::plan::DriftReport) -> String {
    if report.is_clean() {
        format!(
            "No drift: {} managed resource(s) match the remote side.",
            report.managed
        )
    } else {
        format!(
            "Drift detected: {} drifted, {} unmanaged, {} managed.",
            report.drift_count(),
            report.unmanaged.len(),
            report.managed
        )
    }
}

/// What `validate` says of a valid configuration.
pub(crate) fn validate_text(desired: &crate::desired::Desired, style: &Style) -> String {
    let mut text = format!(
        "{} {} page(s), {} link(s).\n",
        style.green("Success! The configuration is valid:"),
        desired.pages.len(),
        desired.links.len()
    );
    if desired.needs_facebook_pages {
        // validate makes no network call: what for_each over Facebook's
        // pages declares is counted by plan.
        text.push_str(
            "Blocks that use data.facebook_pages are checked once Facebook answers (plan), and not counted here.\n",
        );
    }
    if desired.needs_vonage_applications {
        text.push_str(
            "Blocks that use data.vonage_applications are checked once Vonage answers (plan), and not counted here.\n",
        );
    }
    text
}
