//! GitHub Actions workflow commands: one annotation per change or drift
//! entry, pointing at the block that declares it
//! (`::warning file=PATH,line=N,col=M,title=TITLE::ADDRESS: MESSAGE`), and
//! `::error` for what failed.

use super::failure::Failure;
use crate::address::Address;
use crate::apply::{ApplyResult, CallOutcome};
use crate::desired::{Desired, Location};
use crate::plan::{DriftReport, Plan};
use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

/// Where each resource is declared, for annotations. Made from the
/// configuration by the CLI and handed to the renderer with the plan, so
/// that the planner stays a pure function of its inputs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Locations {
    /// Pages and links by address.
    blocks: Vec<(Address, Location)>,
    /// `removed` blocks, whose `from` may name every instance of a block.
    removed: Vec<(Address, Location)>,
}

impl Locations {
    /// Every page, link and `removed` block of `desired`, with file paths
    /// made relative to the first of `bases` that holds them (the
    /// repository's root, where GitHub looks for annotated files).
    pub(crate) fn of(desired: &Desired, bases: &[PathBuf]) -> Locations {
        let relative = |location: &Location| Location {
            file: relative_path(&location.file, bases),
            ..location.clone()
        };
        let pages = desired
            .pages
            .iter()
            .map(|p| (p.address.clone(), relative(&p.location)));
        let links = desired
            .links
            .iter()
            .map(|l| (l.address.clone(), relative(&l.location)));
        Locations {
            blocks: pages.chain(links).collect(),
            removed: desired
                .removed
                .iter()
                .map(|r| (r.from.clone(), relative(&r.location)))
                .collect(),
        }
    }

    /// The block that declares `address` (or the `removed` block that
    /// forgets it), if any.
    pub(crate) fn find(&self, address: &Address) -> Option<&Location> {
        self.blocks
            .iter()
            .find(|(a, _)| a == address)
            .or_else(|| self.removed.iter().find(|(a, _)| a.contains(address)))
            .map(|(_, l)| l)
    }
}

/// `file` relative to the first base that contains it, without `./`.
pub(crate) fn relative_path(file: &Path, bases: &[PathBuf]) -> PathBuf {
    let inside = bases
        .iter()
        .find_map(|base| file.strip_prefix(base).ok())
        .unwrap_or(file);
    inside
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect()
}

/// A message: `%`, CR and LF escaped as the runner expects.
fn data(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: also `:` and `,`.
fn property(value: &str) -> String {
    data(value).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command line.
pub(crate) fn command(
    level: &str,
    location: Option<&Location>,
    title: &str,
    message: &str,
) -> String {
    let mut properties = Vec::new();
    if let Some(at) = location {
        properties.push(format!("file={}", property(&at.file.to_string_lossy())));
        properties.push(format!("line={}", at.line));
        properties.push(format!("col={}", at.column));
    }
    properties.push(format!("title={}", property(title)));
    format!("::{level} {}::{}\n", properties.join(","), data(message))
}

/// One `::warning` per change of the plan.
pub(crate) fn plan_annotations(plan: &Plan, locations: &Locations, command_name: &str) -> String {
    let mut out = String::new();
    for change in &plan.changes {
        out.push_str(&command(
            "warning",
            locations.find(&change.address),
            &format!("socialform {command_name}: {}", change.action),
            &format!(
                "{}: will be {} ({})",
                change.address,
                change.action.future_phrase(),
                change.reason
            ),
        ));
    }
    out
}

/// After an apply: `::error` for each change whose call failed (or took
/// effect without being recorded), `::warning` for each other change.
pub(crate) fn apply_annotations(
    plan: &Plan,
    result: &ApplyResult,
    locations: &Locations,
    command_name: &str,
) -> String {
    let mut out = String::new();
    for change in &plan.changes {
        let failure = plan
            .calls
            .iter()
            .zip(&result.outcomes)
            .filter(|(call, _)| call.addresses.contains(&change.address))
            .find_map(|(_, outcome)| match outcome {
                CallOutcome::Failed(message) => Some(format!("failed: {message}")),
                CallOutcome::Unrecorded(message) => Some(format!(
                    "took effect but was not recorded in state: {message}"
                )),
                _ => None,
            });
        let not_attempted = plan.calls.iter().zip(&result.outcomes).any(|(call, o)| {
            call.addresses.contains(&change.address) && *o == CallOutcome::NotAttempted
        });
        let (level, message) = match failure {
            Some(failure) => (
                "error",
                format!("{}: {} {failure}", change.address, change.action),
            ),
            None if not_attempted => (
                "warning",
                format!("{}: {} not attempted", change.address, change.action),
            ),
            None => (
                "warning",
                format!(
                    "{}: {} done ({})",
                    change.address, change.action, change.reason
                ),
            ),
        };
        out.push_str(&command(
            level,
            locations.find(&change.address),
            &format!("socialform {command_name}: {}", change.action),
            &message,
        ));
    }
    out
}

/// One `::warning` per drifted resource and unmanaged page.
pub(crate) fn drift_annotations(report: &DriftReport, locations: &Locations) -> String {
    let mut out = String::new();
    for drift in &report.drifted {
        let kind = drift.kind.as_str();
        out.push_str(&command(
            "warning",
            locations.find(&drift.address),
            &format!("socialform drift: {} {kind}", drift.attribute),
            &super::human::drift_line(drift),
        ));
    }
    for drift in &report.provider {
        out.push_str(&command(
            "warning",
            None,
            &format!(
                "socialform drift: {} {}",
                drift.attribute,
                drift.kind.as_str()
            ),
            &super::human::provider_drift_line(drift),
        ));
    }
    for page in &report.unmanaged {
        out.push_str(&command(
            "warning",
            None,
            "socialform drift: unmanaged",
            &format!(
                "{} {} ({}) is connected to the account and declared nowhere",
                page.provider,
                page.external_id,
                page.name.as_deref().unwrap_or("no name")
            ),
        ));
    }
    out
}

/// One `::error` per diagnostic of a failed command.
pub(crate) fn error_annotations(
    error: &anyhow::Error,
    command_name: &str,
    bases: &[PathBuf],
) -> String {
    let failure = Failure::of(error);
    let mut out = String::new();
    for diag in &failure.diagnostics {
        let location = diag.location.as_ref().map(|l| Location {
            file: relative_path(&l.file, bases),
            ..l.clone()
        });
        let mut message = match &diag.address {
            Some(address) => format!("{address}: {}", diag.summary),
            None => diag.summary.clone(),
        };
        if let Some(detail) = &diag.detail {
            let _ = write!(message, "\n{detail}");
        }
        out.push_str(&command(
            "error",
            location.as_ref(),
            &format!("socialform {command_name} failed"),
            &message,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_and_messages_are_escaped() {
        let at = Location {
            file: "dir, with: odd/main.hcl".into(),
            line: 3,
            column: 7,
        };
        assert_eq!(
            command("warning", Some(&at), "t: x", "100% a\nb"),
            "::warning file=dir%2C with%3A odd/main.hcl,line=3,col=7,title=t%3A x::100%25 a%0Ab\n"
        );
        assert_eq!(command("error", None, "t", "m"), "::error title=t::m\n");
    }

    #[test]
    fn paths_are_made_relative_to_the_workspace() {
        let bases = vec![PathBuf::from("/repo")];
        assert_eq!(
            relative_path(Path::new("/repo/infra/main.hcl"), &bases),
            PathBuf::from("infra/main.hcl")
        );
        assert_eq!(
            relative_path(Path::new("./main.hcl"), &bases),
            PathBuf::from("main.hcl")
        );
        assert_eq!(
            relative_path(Path::new("/elsewhere/a.hcl"), &bases),
            PathBuf::from("/elsewhere/a.hcl")
        );
    }
}
