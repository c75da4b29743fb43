//! A lossless, layout-oriented tokenizer for HCL, on `hcl_lexical`.
//!
//! The formatter only ever changes horizontal whitespace between tokens,
//! indentation and blank lines, so it does not need a full HCL lexer: it
//! needs to know where tokens start and end, which ones are brackets, which
//! `=` are assignments, and which tokens are opaque (strings, templates,
//! heredocs, comments) so that their bytes are never touched. Concatenating
//! every token's `space_before` and `text` reproduces the input exactly.
//!
//! The input has been validated by hcl-edit first, but the tokenizer is
//! total anyway, as the scanner is: any input yields tokens, never a panic.

use crate::hcl_lexical::Scanner;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `\n` or `\r\n`.
    Newline,
    /// `#` or `//` comment, without its line ending.
    LineComment,
    /// `/* ... */`, possibly spanning lines.
    BlockComment,
    Open,
    Close,
    /// A lone `=` (not `==`, `=>`, `<=`, `>=`, `!=`): an attribute or an
    /// object item assignment.
    Assign,
    Ident,
    /// A quoted template, interpolations included.
    Quoted,
    /// A heredoc from `<<` through its closing marker (the line ending
    /// after the marker is a separate `Newline` token).
    Heredoc,
    /// Anything else: numbers, operators, punctuation.
    Other,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub(crate) kind: Kind,
    /// Spaces and tabs between the previous token and this one.
    pub(crate) space_before: &'a str,
    pub(crate) text: &'a str,
}

impl Token<'_> {
    /// Whether the token's own text spans several lines (heredocs, block
    /// comments, templates with line breaks inside interpolations).
    pub(crate) fn is_multiline(&self) -> bool {
        self.text.contains('\n')
    }

    pub(crate) fn is_comment(&self) -> bool {
        matches!(self.kind, Kind::LineComment | Kind::BlockComment)
    }
}

pub(crate) fn tokenize(src: &str) -> Vec<Token<'_>> {
    use crate::hcl_lexical::Kind as Lexical;
    let mut scanner = Scanner::new(src);
    let mut tokens = Vec::new();
    let mut space_before = "";
    while let Some(token) = scanner.next() {
        let kind = match token.kind {
            Lexical::Space => {
                space_before = &src[token.range];
                continue;
            }
            Lexical::Newline => Kind::Newline,
            Lexical::LineComment => Kind::LineComment,
            Lexical::BlockComment => Kind::BlockComment,
            Lexical::Open(_) => Kind::Open,
            Lexical::Close(_) => Kind::Close,
            Lexical::Assign => Kind::Assign,
            Lexical::Ident => Kind::Ident,
            Lexical::QuoteOpen => Kind::Quoted,
            Lexical::HeredocOpen => Kind::Heredoc,
            _ => Kind::Other,
        };
        let mut end = token.range.end;
        if matches!(kind, Kind::Quoted | Kind::Heredoc) {
            // The string or heredoc is one opaque token, through whatever
            // it nests, up to where the scan is back in this code.
            while scanner.nesting() > 0 {
                match scanner.next() {
                    Some(inner) => end = inner.range.end,
                    None => break,
                }
            }
        }
        tokens.push(Token {
            kind,
            space_before,
            text: &src[token.range.start..end],
        });
        space_before = "";
    }
    // Trailing horizontal whitespace at end of input is dropped on purpose:
    // it is never significant.
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_reproduce_input() {
        let src = "a = \"x ${b + \"}\"} y\" # c\r\nh = <<-EOT\n  body = {\n  EOT\n/* x\n*/ n = 1.5e+3 == 2\n";
        let joined: String = tokenize(src)
            .iter()
            .map(|t| format!("{}{}", t.space_before, t.text))
            .collect();
        assert_eq!(joined, src);
    }

    #[test]
    fn opaque_tokens_hide_their_brackets_and_equals() {
        let src = "a = \"${ {x = 1} }\"\nb = <<EOT\n{ = [\nEOT\n";
        let kinds: Vec<Kind> = tokenize(src).iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Ident,
                Kind::Assign,
                Kind::Quoted,
                Kind::Newline,
                Kind::Ident,
                Kind::Assign,
                Kind::Heredoc,
                Kind::Newline,
            ]
        );
    }

    #[test]
    fn comparison_operators_are_not_assignments() {
        let kinds: Vec<Kind> = tokenize("a == b != c <= d >= e => f")
            .iter()
            .map(|t| t.kind)
            .collect();
        assert!(!kinds.contains(&Kind::Assign));
    }

    #[test]
    fn heredoc_ends_like_hcl_edit_says() {
        // The marker may be followed by non-identifier characters, must not
        // be found inside an interpolation, and may not be a prefix of a
        // longer identifier.
        let src = "a = f(<<EOT\n${\"\nEOT\"}\nEOTX\n  EOT)\nb = <<E\nE\n";
        let heredocs: Vec<&str> = tokenize(src)
            .iter()
            .filter(|t| t.kind == Kind::Heredoc)
            .map(|t| t.text)
            .collect();
        assert_eq!(heredocs, vec!["<<EOT\n${\"\nEOT\"}\nEOTX\n  EOT", "<<E\nE"]);
    }
}
