//! socialform: declarative provisioning of Facebook Pages connected to a
//! Vonage account and their links to Vonage applications.
//!
//! Data flows one way: `config` → `Desired`; `state` → `Recorded`;
//! `refresh` (through `remote`) → `Actual`; `plan` turns the three into a
//! `Plan`; `apply` carries it out; `render` shows it. `workspace` and `cli`
//! wire the stages together; `sandbox` emulates the Vonage APIs.

pub mod actual;
pub mod address;
pub mod apply;
pub mod cli;
pub mod config;
pub mod desired;
pub mod format;
pub mod generate;
pub mod logging;
pub mod plan;
pub mod refresh;
pub mod remote;
pub mod render;
pub mod sandbox;
pub mod secret;
pub mod state;
pub mod workspace;
