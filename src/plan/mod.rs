//! The planner: a pure function of (desired, recorded, actual) to a `Plan`.
//! No I/O. Minimality and ordering live here, and so do most unit tests.

mod drift;
pub(crate) use drift::{DriftReport, ProviderDrift, report as drift_report, user_token_drift};
mod model;
mod moves;
mod planner;
pub(crate) mod resource_changes;
pub(crate) mod saved;
#[cfg(test)]
mod tests;

pub use model::{Action, AttrDiff, Call, CallOp, Change, Drift, DriftKind, Method, Plan, Summary};
pub(crate) use planner::SENT_AGAIN;
pub use planner::plan;

use crate::address::Address;
use crate::desired::Location;
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Converge the remote side to the configuration.
    #[default]
    Normal,
    /// Disconnect everything the state manages (`socialform destroy`).
    Destroy,
    /// Change nothing remotely; bring state in line with the remote side.
    RefreshOnly,
}

#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    pub(crate) mode: Mode,
    /// `--target`: limit the plan to these resources (and what they depend on).
    pub(crate) targets: Vec<Address>,
    /// `--exclude`: leave these resources (and what depends on them) out.
    pub(crate) excludes: Vec<Address>,
    /// `--reconnect`: send the configured token again even if unchanged.
    pub(crate) reconnect: Vec<Address>,
}

/// Something that makes the plan impossible, tied to a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanProblem {
    pub(crate) address: Option<Address>,
    pub(crate) location: Option<Location>,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError(pub Vec<PlanProblem>);

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: ")?;
            if let Some(address) = &problem.address {
                write!(f, "{address}")?;
                if let Some(location) = &problem.location {
                    write!(f, " ({location})")?;
                }
                write!(f, ": ")?;
            } else if let Some(location) = &problem.location {
                write!(f, "{location}: ")?;
            }
            write!(f, "{}", problem.message)?;
            if let Some(help) = &problem.help {
                write!(f, "\n  help: {help}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for PlanError {}
