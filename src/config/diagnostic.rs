//! Diagnostics for people: what went wrong, where (`file:line:column` with a
//! caret snippet), and what to do.

use crate::desired::Location;
use std::fmt;

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub message: String,
    pub location: Option<Location>,
    /// What to do about it.
    pub help: Option<String>,
    /// Pre-rendered source snippet with a caret, when the file could be read.
    pub snippet: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// The full report, every diagnostic with its location, snippet and help.
    pub fn render(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            match &d.location {
                Some(at) => writeln!(f, "error: {at}: {}", d.message)?,
                None => writeln!(f, "error: {}", d.message)?,
            }
            if let Some(snippet) = &d.snippet {
                writeln!(f, "{snippet}")?;
            }
            if let Some(help) = &d.help {
                writeln!(f, "  help: {help}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
