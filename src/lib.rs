//! socialform: declarative provisioning of Facebook Pages connected to a
//! Vonage account and their links to Vonage applications.
//!
//! Data flows one way: `config` → `Desired`; `state` → `Recorded`;
//! `refresh` (through `remote`) → `Actual`; `plan` turns the three into a
//! `Plan`; `apply` carries it out; `render` shows it. `ops` runs one
//! operation per command over `session`; `cli` maps arguments onto it;
//! `sandbox` emulates the Vonage APIs. See ARCHITECTURE.md.

pub mod actual;
pub mod address;
pub mod application;
pub mod apply;
pub mod channel;
pub mod cli;
pub mod config;
pub(crate) mod credentials;
pub mod desired;
pub(crate) mod endpoint;
pub(crate) mod facebook;
pub(crate) mod format;
pub(crate) mod generate;
pub(crate) mod hcl_lexical;
pub(crate) mod logging;
pub mod ops;
pub mod plan;
pub(crate) mod policy;
pub(crate) mod private_fs;
pub(crate) mod refresh;
pub mod remote;
pub(crate) mod render;
pub mod sandbox;
pub mod secret;
pub(crate) mod session;
pub mod state;
pub(crate) mod threads;
pub(crate) mod tls;
