//! Markdown reports: a pull-request comment or a CI job summary. A heading,
//! the counts of the human summary line, a table with one row per change
//! (or drift entry), a `⚠️` line when something would be disconnected,
//! unlinked or replaced, and the whole human view folded in `<details>` as a
//! `diff` block. Never longer than `LIMIT` characters: past that, the table
//! and the folded view are cut and a line says how much was left out and
//! which command shows everything.

use super::human::{apply_summary, drift_closing_line, drift_line, plan_text, summary_line};
use super::style::Style;
use crate::apply::{ApplyResult, CallOutcome};
use crate::plan::{Action, DriftKind, DriftReport, Mode, Plan};
use crate::state::Recorded;
use std::fmt::Write;

/// GitHub refuses comments over 65,536 characters; this leaves room for
/// whatever a workflow adds around the report.
pub(crate) const LIMIT: usize = 65_000;

/// How many addresses a `⚠️` line names before it says "and N more".
const NAMED: usize = 10;

/// Text for a table cell or a sentence: Markdown's punctuation escaped,
/// line breaks flattened.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A code span that holds `value` whatever it contains, safe in a table
/// cell (`|` is escaped, as GitHub's tables require even in code).
fn code(value: &str) -> String {
    let value = value.replace(['\n', '\r'], " ");
    let longest = longest_run(&value, '`');
    let fence = "`".repeat(longest + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", value.replace('|', "\\|"))
}

fn longest_run(value: &str, of: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in value.chars() {
        run = if c == of { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `` `a`, `b` and 3 more ``.
fn named(addresses: &[String]) -> String {
    let shown: Vec<String> = addresses.iter().take(NAMED).map(|a| code(a)).collect();
    let mut out = shown.join(", ");
    if addresses.len() > NAMED {
        let _ = write!(out, " and {} more", addresses.len() - NAMED);
    }
    out
}

/// One line of the folded view.
struct Line {
    text: String,
    /// The first line of a change or drift entry: counted when cut.
    entry: bool,
}

/// A report before it is laid out within `LIMIT`.
struct Report {
    kind: &'static str,
    heading: String,
    /// Paragraphs between the heading and the table (counts, `⚠️`).
    paragraphs: Vec<String>,
    columns: &'static [&'static str],
    rows: Vec<String>,
    /// What one row is, in the singular and the plural.
    entry: (&'static str, &'static str),
    /// Paragraphs after the table.
    notes: Vec<String>,
    summary: String,
    language: &'static str,
    lines: Vec<Line>,
    /// The command that shows everything, for a report that was cut.
    see_all: String,
}

impl Report {
    fn render(&self, rows: usize, lines: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "<!-- socialform:{} -->", self.kind);
        let _ = writeln!(out, "### {}", self.heading);
        for paragraph in &self.paragraphs {
            let _ = writeln!(out, "\n{paragraph}");
        }
        if !self.rows.is_empty() {
            out.push('\n');
            let _ = writeln!(out, "| {} |", self.columns.join(" | "));
            let _ = writeln!(out, "|{}", "---|".repeat(self.columns.len()));
            for row in &self.rows[..rows] {
                let _ = writeln!(out, "{row}");
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "\n{note}");
        }
        if rows < self.rows.len() || lines < self.lines.len() {
            let _ = writeln!(out, "\n{}", self.cut_line(rows, lines));
        }
        let _ = writeln!(
            out,
            "\n<details><summary>{}</summary>\n",
            text(&self.summary)
        );
        let shown = &self.lines[..lines];
        let longest = shown
            .iter()
            .map(|l| longest_run(&l.text, '`'))
            .max()
            .unwrap_or(0);
        let fence = "`".repeat((longest + 1).max(3));
        let _ = writeln!(out, "{fence}{}", self.language);
        for line in shown {
            let _ = writeln!(out, "{}", line.text);
        }
        if lines < self.lines.len() {
            let left = self.lines[lines..].iter().filter(|l| l.entry).count();
            let _ = writeln!(
                out,
                "… cut here: {} more {} not shown",
                thousands(left),
                if left == 1 {
                    self.entry.0
                } else {
                    self.entry.1
                }
            );
        }
        let _ = writeln!(out, "{fence}\n\n</details>");
        out
    }

    /// `✂️ …`: what a cut report leaves out, and where to see it all.
    fn cut_line(&self, rows: usize, lines: usize) -> String {
        let total = self.rows.len();
        let left_in_view = self.lines[lines..].iter().filter(|l| l.entry).count();
        format!(
            "✂️ **This report was cut to stay under {} characters:** {} of {} {} are left out of the table and {} out of the full view below; {} shows them all.",
            thousands(LIMIT),
            thousands(total - rows),
            thousands(total),
            if total == 1 {
                self.entry.0
            } else {
                self.entry.1
            },
            thousands(left_in_view),
            code(&self.see_all),
        )
    }

    /// The whole report if it fits in `LIMIT` characters; else the table and
    /// the folded view cut (at a blank line when there is one) so that it does.
    fn finish(self) -> String {
        let full = self.render(self.rows.len(), self.lines.len());
        if full.chars().count() <= LIMIT {
            return full;
        }
        // What stays whatever is cut, measured with nothing shown (the
        // numbers in the cut line only get shorter from here).
        let fixed = self.render(0, 0).chars().count();
        let available = LIMIT.saturating_sub(fixed + 64);
        let row_sizes: Vec<usize> = self.rows.iter().map(|r| r.chars().count() + 1).collect();
        let table: usize = row_sizes.iter().sum();
        let (mut rows, table_used) = if table <= available / 2 {
            (self.rows.len(), table)
        } else {
            fit(&row_sizes, available / 2)
        };
        let line_sizes: Vec<usize> = self
            .lines
            .iter()
            .map(|l| l.text.chars().count() + 1)
            .collect();
        let (mut lines, _) = fit(&line_sizes, available - table_used);
        // Cut the view between blocks, not inside one.
        if let Some(blank) = (1..lines)
            .rev()
            .find(|&i| self.lines[i].text.trim().is_empty())
            && self.lines[..blank].iter().any(|l| l.entry)
        {
            lines = blank;
        }
        loop {
            let report = self.render(rows, lines);
            if report.chars().count() <= LIMIT || (rows == 0 && lines == 0) {
                return report;
            }
            rows -= rows / 10 + usize::from(rows > 0 && rows < 10);
            lines -= lines / 10 + usize::from(lines > 0 && lines < 10);
        }
    }
}

/// How many of `sizes` fit in `budget`, and their total.
fn fit(sizes: &[usize], budget: usize) -> (usize, usize) {
    let mut used = 0;
    for (i, size) in sizes.iter().enumerate() {
        if used + size > budget {
            return (i, used);
        }
        used += size;
    }
    (sizes.len(), used)
}

/// 1234567 as "1,234,567".
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The human plan, with its `+`/`-`/`~` markers also in the first column,
/// where a `diff` block colours them (`~` and `-/+` read `!`). The rest of
/// each line is the human view unchanged.
fn plan_lines(human: &str) -> Vec<Line> {
    human
        .lines()
        .map(|line| {
            let trimmed = line.trim_start_matches(' ');
            let indented = trimmed.len() < line.len();
            let mark = if !indented {
                None
            } else if trimmed.starts_with("-/+ ") || trimmed.starts_with("~ ") {
                Some('!')
            } else if trimmed.starts_with("+ ") {
                Some('+')
            } else if trimmed.starts_with("- ") {
                Some('-')
            } else {
                None
            };
            Line {
                text: match mark {
                    Some(mark) => format!("{mark}{}", &line[1..]),
                    None => line.to_string(),
                },
                entry: trimmed.starts_with("# ") && line.contains(" will be "),
            }
        })
        .collect()
}

/// Everything the plan would disconnect, unlink or replace, as one `⚠️`
/// line; `None` when it does none of that.
fn warning(plan: &Plan) -> Option<String> {
    let of = |action: Action| -> Vec<String> {
        plan.changes
            .iter()
            .filter(|c| c.action == action)
            .map(|c| c.address.to_string())
            .collect()
    };
    let mut parts = Vec::new();
    for (action, one, many) in [
        (
            Action::Disconnect,
            "page will be disconnected",
            "pages will be disconnected",
        ),
        (
            Action::Replace,
            "page will be replaced (the old page is disconnected)",
            "pages will be replaced (the old pages are disconnected)",
        ),
        (
            Action::Unlink,
            "link will be unlinked",
            "links will be unlinked",
        ),
        (
            Action::Relink,
            "link will be unlinked from its application and relinked to another",
            "links will be unlinked from their application and relinked to another",
        ),
    ] {
        let addresses = of(action);
        if !addresses.is_empty() {
            parts.push(format!(
                "{}: {}",
                count(addresses.len(), one, many),
                named(&addresses)
            ));
        }
    }
    (!parts.is_empty()).then(|| format!("⚠️ **Attention:** {}.", parts.join("; ")))
}

fn plan_rows(plan: &Plan, result: Option<&ApplyResult>) -> Vec<String> {
    plan.changes
        .iter()
        .map(|change| {
            let mut row = format!(
                "| {} | {} | {} |",
                change.action,
                code(&change.address.to_string()),
                text(&change.reason)
            );
            if let Some(result) = result {
                let _ = write!(row, " {} |", outcome_of(plan, result, &change.address));
            }
            row
        })
        .collect()
}

/// What happened to a resource's calls: the worst of them.
fn outcome_of(plan: &Plan, result: &ApplyResult, address: &crate::address::Address) -> String {
    let mut worst: Option<&CallOutcome> = None;
    let rank = |o: &CallOutcome| match o {
        CallOutcome::Done => 0,
        CallOutcome::NotAttempted => 1,
        CallOutcome::Unrecorded(_) => 2,
        CallOutcome::Failed(_) => 3,
    };
    for (call, outcome) in plan.calls.iter().zip(&result.outcomes) {
        if call.addresses.contains(address) && worst.is_none_or(|w| rank(outcome) > rank(w)) {
            worst = Some(outcome);
        }
    }
    match worst {
        None => "recorded".to_string(),
        Some(CallOutcome::Done) => "done".to_string(),
        Some(CallOutcome::NotAttempted) => "not attempted".to_string(),
        Some(CallOutcome::Unrecorded(message)) => {
            format!("done, not recorded: {}", text(message))
        }
        Some(CallOutcome::Failed(message)) => format!("failed: {}", text(message)),
    }
}

fn plan_report(plan: &Plan, mode: Mode, heading: String, see_all: &str) -> Report {
    let mut paragraphs = vec![format!("**{}**", text(&summary_line(plan)))];
    paragraphs.extend(warning(plan));
    let mut notes = Vec::new();
    let (outside, tokens): (Vec<_>, Vec<_>) =
        plan.drift.iter().partition(|d| d.kind.made_outside());
    for (drifts, heading) in [
        (outside, "Changed outside socialform since the last apply:"),
        (tokens, "Page tokens Facebook reports invalid or expiring:"),
    ] {
        if drifts.is_empty() {
            continue;
        }
        let mut note = format!("{heading}\n");
        for drift in drifts {
            let _ = writeln!(note, "- {}", text(&drift_line(drift)));
        }
        notes.push(note.trim_end().to_string());
    }
    for plan_warning in plan.all_warnings() {
        notes.push(format!("**Warning:** {}", text(plan_warning)));
    }
    Report {
        kind: "plan",
        heading,
        paragraphs,
        columns: &["Action", "Resource", "Why"],
        rows: plan_rows(plan, None),
        entry: ("change", "changes"),
        notes,
        summary: format!(
            "Full plan ({}, {})",
            count(plan.changes.len(), "change", "changes"),
            count(plan.calls.len(), "API call", "API calls")
        ),
        language: "diff",
        lines: plan_lines(&plan_text(plan, mode, &Style::plain())),
        see_all: see_all.to_string(),
    }
}

/// `plan --format markdown`. `title` follows "socialform" in the heading
/// (`plan`, `saved plan …`); `see_all` is the command that shows the whole
/// plan when the report has to be cut.
pub(crate) fn plan_markdown(plan: &Plan, mode: Mode, title: &str, see_all: &str) -> String {
    plan_report(plan, mode, format!("socialform {title}"), see_all).finish()
}

/// `apply` and `destroy --format markdown`: the plan, what became of each
/// change, and the apply's last line.
pub(crate) fn apply_markdown(
    plan: &Plan,
    result: &ApplyResult,
    mode: Mode,
    command: &str,
    see_all: &str,
) -> String {
    let mut report = plan_report(plan, mode, format!("socialform {command}"), see_all);
    report.kind = "apply";
    let outcome = apply_summary(plan, result, mode, &Style::plain());
    let last = outcome.lines().last().unwrap_or_default();
    report.paragraphs.insert(1, format!("**{}**", text(last)));
    report.columns = &["Action", "Resource", "Why", "Result"];
    report.rows = plan_rows(plan, Some(result));
    report.summary = format!(
        "Full plan and result ({})",
        count(plan.calls.len(), "API call", "API calls")
    );
    report.lines.push(Line {
        text: String::new(),
        entry: false,
    });
    report.lines.extend(outcome.lines().map(|l| Line {
        text: l.to_string(),
        entry: false,
    }));
    report.finish()
}

/// `drift --format markdown`.
pub(crate) fn drift_markdown(report: &DriftReport, see_all: &str) -> String {
    let mut paragraphs = vec![format!("**{}**", text(&drift_closing_line(report)))];
    let deleted = |attribute: &str| -> Vec<String> {
        report
            .drifted
            .iter()
            .filter(|d| {
                d.kind == DriftKind::Deleted
                    && (d.attribute == "page_id") == (attribute == "page_id")
            })
            .map(|d| d.address.to_string())
            .collect()
    };
    let (pages, links) = (deleted("page_id"), deleted("application"));
    let mut parts = Vec::new();
    if !pages.is_empty() {
        parts.push(format!(
            "{}: {}",
            count(
                pages.len(),
                "page was disconnected",
                "pages were disconnected"
            ),
            named(&pages)
        ));
    }
    if !links.is_empty() {
        parts.push(format!(
            "{}: {}",
            count(links.len(), "link was unlinked", "links were unlinked"),
            named(&links)
        ));
    }
    if !parts.is_empty() {
        paragraphs.push(format!(
            "⚠️ **Changed outside socialform:** {}.",
            parts.join("; ")
        ));
    }
    let mut rows: Vec<String> = report
        .drifted
        .iter()
        .map(|d| {
            let shown = |v: &str| {
                if v.is_empty() {
                    "—".to_string()
                } else {
                    code(v)
                }
            };
            format!(
                "| {} | {} | {} | {} | {} |",
                code(&d.address.to_string()),
                d.kind.as_str(),
                text(&d.attribute),
                shown(&d.expected),
                shown(&d.actual)
            )
        })
        .collect();
    rows.extend(report.provider.iter().map(|d| {
        format!(
            "| {} | {} | {} | {} | {} |",
            code(d.address),
            d.kind.as_str(),
            text(&d.attribute),
            code(&d.expected),
            code(&d.actual)
        )
    }));
    rows.extend(report.unmanaged.iter().map(|u| {
        format!(
            "| {} | unmanaged | — | — | {}{} |",
            code(&format!("{} {}", u.provider, u.external_id)),
            u.name.as_deref().map(code).unwrap_or_else(|| "—".into()),
            if u.applications.is_empty() {
                ", not linked".to_string()
            } else {
                format!(
                    ", linked to {}",
                    u.applications
                        .iter()
                        .map(|a| code(a))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )
    }));
    let human = super::human::drift_text(report, &Style::plain());
    let lines = human
        .lines()
        .map(|line| {
            let entry = line.starts_with("  ") && !line.starts_with("   ");
            let mark = if !entry {
                None
            } else if line.ends_with(" was disconnected") || line.contains(" was unlinked ") {
                Some('-')
            } else if line.starts_with("  # ") {
                Some('!')
            } else {
                Some('+')
            };
            Line {
                text: match mark {
                    Some(mark) => format!("{mark}{}", &line[1..]),
                    None => line.to_string(),
                },
                entry,
            }
        })
        .collect();
    Report {
        kind: "drift",
        heading: "socialform drift".to_string(),
        paragraphs,
        columns: &["Resource", "Drift", "Attribute", "Expected", "Actual"],
        rows,
        entry: ("entry", "entries"),
        notes: report
            .tokens_not_compared
            .iter()
            .map(|a| {
                format!(
                    "Note: the access\\_token of {} was not compared: its variable is unset and there is no state.",
                    code(&a.to_string())
                )
            })
            .collect(),
        summary: "Full drift report".to_string(),
        language: "diff",
        lines,
        see_all: see_all.to_string(),
    }
    .finish()
}

/// `show --format markdown` without a plan file: the state.
pub(crate) fn state_markdown(recorded: Option<&Recorded>, see_all: &str) -> String {
    let Some(recorded) = recorded else {
        return format!(
            "<!-- socialform:state -->\n### socialform state\n\n{}\n",
            super::state::NO_STATE
        );
    };
    let mut rows: Vec<String> = recorded
        .pages
        .values()
        .map(|p| {
            format!(
                "| {} | {} | {} | — |",
                code(&p.address.to_string()),
                code(&p.page_id),
                p.name.as_deref().map(text).unwrap_or_else(|| "—".into())
            )
        })
        .collect();
    rows.extend(recorded.links.values().map(|l| {
        format!(
            "| {} | {} | — | {} |",
            code(&l.address.to_string()),
            code(&l.page_id),
            code(&l.application)
        )
    }));
    rows.extend(recorded.applications.values().map(|a| {
        format!(
            "| {} | — | {} | {} |",
            code(&a.address.to_string()),
            code(&a.settings.name),
            code(&a.id)
        )
    }));
    let human = super::state::state_text(recorded, &Style::plain());
    Report {
        kind: "state",
        heading: "socialform state".to_string(),
        paragraphs: vec![format!(
            "**{}, {}{}.**",
            count(recorded.pages.len(), "page", "pages"),
            count(recorded.links.len(), "link", "links"),
            if recorded.applications.is_empty() {
                String::new()
            } else {
                format!(
                    ", {}",
                    count(recorded.applications.len(), "application", "applications")
                )
            }
        )],
        columns: &["Resource", "Page ID", "Name", "Application"],
        rows,
        entry: ("resource", "resources"),
        notes: Vec::new(),
        summary: "Full state".to_string(),
        language: "hcl",
        lines: human
            .lines()
            .map(|l| Line {
                text: l.to_string(),
                entry: l.starts_with("# "),
            })
            .collect(),
        see_all: see_all.to_string(),
    }
    .finish()
}

/// A failed command, for a pull-request comment or a job summary: the
/// heading says so and the error is shown as the terminal shows it.
pub(crate) fn error_markdown(command: &str, error: &str) -> String {
    let longest = longest_run(error, '`');
    let fence = "`".repeat((longest + 1).max(3));
    let mut error: String = error.chars().take(LIMIT - 200).collect();
    if !error.ends_with('\n') {
        error.push('\n');
    }
    format!(
        "<!-- socialform:error -->\n### ❌ socialform {command} failed\n\n{fence}text\n{error}{fence}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_code_survive_markdown() {
        assert_eq!(text("a|b*c_d"), "a\\|b\\*c\\_d");
        assert_eq!(code("page.x[\"a|b\"]"), "`page.x[\"a\\|b\"]`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3000), "3,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn markers_move_to_the_first_column() {
        let lines = plan_lines(
            "x\n  # page.a will be connected\n  + page.a {\n      ~ name = 1\n    -/+ b\n",
        );
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "x",
                "  # page.a will be connected",
                "+ + page.a {",
                "!     ~ name = 1",
                "!   -/+ b"
            ]
        );
        assert_eq!(lines.iter().filter(|l| l.entry).count(), 1);
    }
}
