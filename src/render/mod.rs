//! Every view of the program: human and JSON renderings of plans, drift,
//! state and what commands did, the reporters that show progress, and the
//! printer through which all of it leaves the process. The engine and the
//! operations only hand over data and events.

mod failure;
mod github;
mod human;
mod json;
mod markdown;
mod policy;
mod printer;
mod progress;
mod state;
mod style;
mod tokens;

pub(crate) use failure::error_document;
pub(crate) use github::{
    Locations, apply_annotations, drift_annotations, error_annotations, plan_annotations,
};
pub(crate) use human::{apply_summary, drift_text, plan_text, validate_text};
pub(crate) use json::{
    apply_document, drift_document, plan_document, plan_document_text, state_document,
    validate_document,
};
pub(crate) use markdown::{
    apply_markdown, drift_markdown, error_markdown, plan_markdown, state_markdown, thousands,
};
pub(crate) use policy::{policy_annotations, policy_markdown, policy_text};
pub(crate) use printer::{Format, Printer};
pub(crate) use progress::HumanReporter;
pub(crate) use state::{
    NO_STATE, generated_text, history_document, history_text, imported_document, imported_text,
    moved_text, removed_text, resource_document, resource_text, state_text,
};
pub(crate) use style::Style;
pub(crate) use tokens::{tokens_document, tokens_text};
