//! Diagnostics for people: what went wrong, where (`file:line:column` and
//! the source line with the place underlined), and what to do. Rendered by
//! annotate-snippets, plain or coloured.

use crate::desired::Location;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::fmt;
use std::ops::Range;

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub(crate) message: String,
    pub(crate) location: Option<Location>,
    /// What to do about it.
    pub(crate) help: Option<String>,
    /// The source line at `location`, when the file could be read.
    pub(crate) excerpt: Option<Excerpt>,
}

/// Characters of a long line shown either side of a diagnostic's span.
const CONTEXT_CHARS: usize = 256;

/// One source line and the part of it a diagnostic points at.
///
/// Invariant: `span` lies within `text` on character boundaries, so
/// rendering can never panic on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Excerpt {
    line: usize,
    text: String,
    span: Range<usize>,
}

impl Excerpt {
    /// Line `line` (1-based) of a file, without its line break, pointing at
    /// the characters `chars` (0-based, in characters; clamped to the line).
    pub(crate) fn new(line: usize, text: String, chars: Range<usize>) -> Self {
        let byte = |n: usize| text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
        let start = byte(chars.start);
        let end = byte(chars.end).max(start);
        Excerpt {
            line,
            text,
            span: start..end,
        }
    }

    /// The 1-based line number of `text` in its file.
    #[cfg(test)]
    pub(crate) fn line(&self) -> usize {
        self.line
    }

    /// The source line, with secrets masked.
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The bytes of `text` pointed at; empty for a point between characters.
    #[cfg(test)]
    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The part of the line worth rendering, and the span within it: up to
    /// `CONTEXT_CHARS` characters either side of the span, and at most that
    /// much of the span. annotate-snippets shows a terminal's width of a
    /// long line (eliding the rest with `...`), so the cut is never seen;
    /// without it, a line of megabytes would cost seconds to render.
    fn shown(&self) -> (&str, Range<usize>) {
        let before = &self.text[..self.span.start];
        let from = before
            .char_indices()
            .rev()
            .nth(CONTEXT_CHARS - 1)
            .map_or(0, |(i, _)| i);
        let after_start = |n: usize| {
            self.text[self.span.start..]
                .char_indices()
                .nth(n)
                .map_or(self.text.len(), |(i, _)| self.span.start + i)
        };
        let end = self.span.end.min(after_start(CONTEXT_CHARS));
        let to = self.text[end..]
            .char_indices()
            .nth(CONTEXT_CHARS)
            .map_or(self.text.len(), |(i, _)| end + i);
        (&self.text[from..to], self.span.start - from..end - from)
    }

    /// Replaces every `needle` in the line by `with`, keeping the span on
    /// the same text (a span edge inside a replaced `needle` moves to the
    /// edge of its replacement).
    pub(crate) fn replace(&mut self, needle: &str, with: &str) {
        if needle.is_empty() || !self.text.contains(needle) {
            return;
        }
        let matches: Vec<usize> = self.text.match_indices(needle).map(|(i, _)| i).collect();
        let moved = |pos: usize, is_end: bool| {
            let mut shift = 0isize;
            for &at in &matches {
                if pos >= at + needle.len() {
                    shift += with.len() as isize - needle.len() as isize;
                } else if pos > at {
                    let edge = if is_end { with.len() } else { 0 };
                    return (at as isize + shift) as usize + edge;
                } else {
                    break;
                }
            }
            (pos as isize + shift) as usize
        };
        self.span = moved(self.span.start, false)..moved(self.span.end, true);
        self.text = self.text.replace(needle, with);
    }
}

impl Diagnostic {
    /// A diagnostic with no place in a file (command-line input, a missing directory).
    pub(crate) fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            location: None,
            help: None,
            excerpt: None,
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Optional help: keeps call sites free of `if let` when a suggestion may not exist.
    pub(crate) fn with_help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// The report annotate-snippets draws: `title` (`file:line:column:
    /// message`, so that the place and the message stay on one line, as
    /// compilers print them), the source line underlined, and the help.
    fn report(&self, title: &str) -> Group<'_> {
        let mut group = Group::with_title(Level::ERROR.primary_title(title.to_owned()));
        if let Some(excerpt) = &self.excerpt {
            let (text, span) = excerpt.shown();
            group = group.element(
                Snippet::source(text)
                    .line_start(excerpt.line)
                    .annotation(AnnotationKind::Primary.span(span)),
            );
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        group
    }

    fn render_with(&self, renderer: &Renderer) -> String {
        let title = match &self.location {
            Some(at) => format!("{at}: {}", self.message),
            None => self.message.clone(),
        };
        renderer.render(&[self.report(&title)])
    }
}

#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// The full report without colour: every diagnostic with its location,
    /// source line and help, then the count when there are several.
    pub fn render(&self) -> String {
        self.render_styled(false)
    }

    /// `render`, coloured with ANSI escapes when `color` is true. The caller
    /// decides (a terminal, no `NO_COLOR`, no `--no-color`).
    pub(crate) fn render_styled(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut out = String::new();
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&d.render_with(&renderer));
            out.push('\n');
        }
        if self.0.len() > 1 {
            out.push_str(&format!("\n{} errors\n", self.0.len()));
        }
        out
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

/// The plain rendering.
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

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

    fn at(line: usize, column: usize) -> Option<Location> {
        Some(Location {
            file: "a.hcl".into(),
            line,
            column,
        })
    }

    #[test]
    fn suggestions_need_to_be_close() {
        assert_eq!(suggest("pageid", ["page_id", "name"]), Some("page_id"));
        assert_eq!(suggest("zzzzzz", ["page_id", "name"]), None);
    }

    #[test]
    fn render_has_location_source_line_and_help() {
        let d = Diagnostic {
            message: "boom".into(),
            location: at(7, 13),
            help: Some("fix it".into()),
            excerpt: Some(Excerpt::new(7, "  page_id = 12".into(), 12..14)),
        };
        assert_eq!(
            Diagnostics(vec![d]).render(),
            "error: a.hcl:7:13: boom\n  |\n7 |   page_id = 12\n  |             ^^\n  |\n  = help: fix it\n"
        );
    }

    #[test]
    fn several_are_separated_and_counted() {
        let bare = Diagnostic::error("no file").with_help("pass one");
        let placed = Diagnostic {
            location: at(1, 1),
            ..Diagnostic::error("bad")
        };
        assert_eq!(
            Diagnostics(vec![bare, placed]).render(),
            "error: no file\n |\n = help: pass one\n\nerror: a.hcl:1:1: bad\n\n2 errors\n"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let d = Diagnostics(vec![Diagnostic::error("boom")]);
        assert!(!d.render().contains('\x1b'));
        assert!(d.render_styled(true).contains('\x1b'));
        assert_eq!(d.render_styled(false), d.render());
    }

    #[test]
    fn spans_are_clamped_to_the_line_and_to_characters() {
        let e = Excerpt::new(1, "é = 1".into(), 0..1);
        assert_eq!(e.span.clone(), 0..2);
        let past = Excerpt::new(1, "ab".into(), 5..usize::MAX);
        assert_eq!(past.span.clone(), 2..2);
        let d = Diagnostic {
            excerpt: Some(past),
            ..Diagnostic::error("x")
        };
        assert!(Diagnostics(vec![d]).render().contains("1 | ab\n  |   ^\n"));
    }

    #[test]
    fn a_long_line_is_cut_around_the_span() {
        let text = format!("{}é{}", "x".repeat(1000), "y".repeat(1000));
        let e = Excerpt::new(3, text, 1000..1001);
        let (shown, span) = e.shown();
        assert_eq!(&shown[span], "é");
        assert_eq!(shown.chars().count(), 2 * CONTEXT_CHARS + 1);
        // A huge span is cut too.
        let e = Excerpt::new(3, "z".repeat(5000), 10..4000);
        let (shown, span) = e.shown();
        assert_eq!(span, 10..10 + CONTEXT_CHARS);
        assert_eq!(shown.len(), 10 + 2 * CONTEXT_CHARS);
        // A short line is shown whole.
        let e = Excerpt::new(3, "a = b".into(), 4..5);
        assert_eq!(e.shown(), ("a = b", 4..5));
    }

    #[test]
    fn replacing_text_keeps_the_span_on_the_same_text() {
        // "x = SECRET + bad": point at `bad`, then at the secret itself.
        let mut e = Excerpt::new(1, "x = SECRET + bad".into(), 13..16);
        e.replace("SECRET", "(sensitive value)");
        assert_eq!(e.text.as_str(), "x = (sensitive value) + bad");
        assert_eq!(&e.text.as_str()[e.span.clone()], "bad");
        let mut e = Excerpt::new(1, "x = SECRET".into(), 6..8);
        e.replace("SECRET", "(sensitive value)");
        assert_eq!(&e.text.as_str()[e.span.clone()], "(sensitive value)");
        let mut e = Excerpt::new(1, "SECRET SECRET y".into(), 14..15);
        e.replace("SECRET", "**");
        assert_eq!(&e.text.as_str()[e.span.clone()], "y");
    }
}
