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

impl Diagnostic {
    /// A diagnostic with no place in a file (command-line input, a missing directory).
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            location: None,
            help: None,
            snippet: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Optional help: keeps call sites free of `if let` when a suggestion may not exist.
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }
}

#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// The full report, every diagnostic with its location, snippet and help.
    pub fn render(&self) -> String {
        self.to_string()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
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
        if self.0.len() > 1 {
            writeln!(f, "\n{} errors", self.0.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Renders one source line with a caret under `column..column+width`
/// (1-based, in characters), in the style of rustc.
pub(crate) fn caret_snippet(line_no: usize, line: &str, column: usize, width: usize) -> String {
    // Tabs would shift the caret; show them as single spaces so it lines up.
    let shown: String = line
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let gutter = line_no.to_string().len().max(3);
    let pad = " ".repeat(gutter);
    let line_len = shown.chars().count();
    let width = width.clamp(1, line_len.saturating_sub(column - 1).max(1));
    format!(
        "{pad} |\n{line_no:>gutter$} | {shown}\n{pad} | {}{}",
        " ".repeat(column - 1),
        "^".repeat(width)
    )
}

/// The closest candidate to `name` by edit distance, when close enough to be
/// a plausible typo ("did you mean").
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1) + 1;
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_points_at_the_column() {
        let s = caret_snippet(7, "  page_id = 12", 13, 2);
        assert_eq!(s, "    |\n  7 |   page_id = 12\n    |             ^^");
    }

    #[test]
    fn suggestions_need_to_be_close() {
        assert_eq!(suggest("pageid", ["page_id", "name"]), Some("page_id"));
        assert_eq!(suggest("zzzzzz", ["page_id", "name"]), None);
    }

    #[test]
    fn render_has_location_snippet_and_help() {
        let d = Diagnostic {
            message: "boom".into(),
            location: Some(Location {
                file: "a.hcl".into(),
                line: 2,
                column: 3,
            }),
            help: Some("fix it".into()),
            snippet: Some("  |\n2 | x\n  | ^".into()),
        };
        let text = Diagnostics(vec![d]).render();
        assert!(text.starts_with("error: a.hcl:2:3: boom\n"), "{text}");
        assert!(text.contains("  help: fix it"), "{text}");
    }
}
