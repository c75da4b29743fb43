//! socialform: declarative provisioning of Facebook Pages connected to a
//! Vonage account and their links to Vonage applications.
//!
//! Data flows one way: `config` → `Desired`; `state` → `Recorded`; `remote`
//! → actual accounts; `plan` turns the three into a `Plan`; `apply` carries it
//! out; `render` shows it. `cli` wires the stages together.

pub mod actual;
pub mod address;
pub mod config;
pub mod desired;
pub mod plan;
pub mod remote;
pub mod sandbox;
pub mod secret;
pub mod state;
