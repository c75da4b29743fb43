//! `socialform fmt`: canonical, comment-preserving formatting of HCL files,
//! in the style of `terraform fmt`.
//!
//! The input is first parsed with hcl-edit, which rejects invalid HCL with a
//! position (and bounds nesting depth, so hostile input cannot exhaust the
//! stack). Formatting itself works on a lossless token stream (`lexer`) laid
//! out line by line (`layout`); it only changes indentation, horizontal
//! whitespace between tokens and blank lines, so comments, strings,
//! templates and heredocs come through byte for byte. As a last line of
//! defence the result is parsed again and must mean exactly what the input
//! meant, otherwise the file is reported rather than rewritten.

mod layout;
mod lexer;
#[cfg(test)]
mod tests;

use std::fmt;

/// Why a file could not be formatted: normally a parse error, at a 1-based
/// line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormatError {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for FormatError {}

/// Canonical text of one file's contents. Idempotent:
/// `format_source(&format_source(x)?)? == format_source(x)?`.
pub(crate) fn format_source(source: &str) -> Result<String, FormatError> {
    let original = parse(source)?;
    let formatted = layout::layout(&lexer::tokenize(source));
    // The formatter is designed never to change meaning; if a bug ever made
    // it do so, refuse rather than silently rewrite the user's file.
    match parse(&formatted) {
        Ok(body) if body == original => Ok(formatted),
        _ => Err(FormatError {
            line: 1,
            column: 1,
            message: "internal error: formatting would change the meaning of this file; \
                      it was left unchanged"
                .to_string(),
        }),
    }
}

fn parse(source: &str) -> Result<hcl::Body, FormatError> {
    match hcl_edit::parser::parse_body(source) {
        Ok(body) => Ok(hcl::Body::from(body)),
        Err(err) => Err(FormatError {
            line: err.location().line(),
            column: err.location().column(),
            message: err.message().to_string(),
        }),
    }
}

/// A unified diff between `original` and `formatted`, with `--- a/NAME` and
/// `+++ b/NAME` headers as `terraform fmt -diff` prints; empty when equal.
pub(crate) fn unified_diff(name: &str, original: &str, formatted: &str) -> String {
    if original == formatted {
        return String::new();
    }
    similar::TextDiff::from_lines(original, formatted)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}
