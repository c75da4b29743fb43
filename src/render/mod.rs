//! Human and JSON views of plans, drift and apply progress. Everything the
//! user sees is built here; the engine only hands over data and events.

mod human;
mod json;
mod progress;
mod style;

pub use human::{apply_summary, drift_text, plan_text};
pub use json::{apply_document, drift_document, plan_document, state_document, validate_document};
pub use progress::{HumanReporter, SilentReporter};
pub use style::Style;
