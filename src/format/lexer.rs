//! A lossless, layout-oriented tokenizer for HCL.
//!
//! The formatter only ever changes horizontal whitespace between tokens,
//! indentation and blank lines, so it does not need a full HCL lexer: it
//! needs to know where tokens start and end, which ones are brackets, which
//! `=` are assignments, and which tokens are opaque (strings, templates,
//! heredocs, comments) so that their bytes are never touched. Concatenating
//! every token's `space_before` and `text` reproduces the input exactly.
//!
//! The input has been validated by hcl-edit first, but the tokenizer is
//! total anyway: any byte sequence yields tokens, never a panic. Nested
//! templates (`"${"${...}"}"`) are skipped recursively; the parser's nesting
//! limit (64 levels) bounds that recursion.

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
    pub kind: Kind,
    /// Spaces and tabs between the previous token and this one.
    pub space_before: &'a str,
    pub text: &'a str,
}

impl Token<'_> {
    /// Whether the token's own text spans several lines (heredocs, block
    /// comments, templates with line breaks inside interpolations).
    pub fn is_multiline(&self) -> bool {
        self.text.contains('\n')
    }

    pub fn is_comment(&self) -> bool {
        matches!(self.kind, Kind::LineComment | Kind::BlockComment)
    }
}

pub(crate) fn tokenize(src: &str) -> Vec<Token<'_>> {
    let mut lexer = Lexer { src, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        let ws_start = lexer.pos;
        lexer.skip_horizontal_space();
        let space_before = &src[ws_start..lexer.pos];
        if lexer.pos >= src.len() {
            // Trailing horizontal whitespace at end of input is dropped on
            // purpose: it is never significant.
            break;
        }
        let start = lexer.pos;
        let kind = lexer.next_kind();
        tokens.push(Token {
            kind,
            space_before,
            text: &src[start..lexer.pos],
        });
    }
    tokens
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    fn skip_horizontal_space(&mut self) {
        while let Some(c) = self.peek() {
            // A `\r` only counts as space when it does not start a `\r\n`.
            if c == ' ' || c == '\t' || (c == '\r' && !self.rest().starts_with("\r\n")) {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn skip_to_line_end(&mut self) {
        let end = self
            .rest()
            .find('\n')
            .map_or(self.src.len(), |i| self.pos + i);
        // The `\r` of a `\r\n` belongs to the line ending, not the comment.
        self.pos = if end > self.pos && self.src[..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
    }

    /// Consumes one token (the caller guarantees input remains) and says
    /// what it was.
    fn next_kind(&mut self) -> Kind {
        // Borrow the source, not `self`, so the lexer can advance meanwhile.
        let src = self.src;
        let rest = &src[self.pos..];
        if rest.starts_with('\n') {
            self.pos += 1;
            return Kind::Newline;
        }
        if rest.starts_with("\r\n") {
            self.pos += 2;
            return Kind::Newline;
        }
        if rest.starts_with('#') || rest.starts_with("//") {
            self.skip_to_line_end();
            return Kind::LineComment;
        }
        if let Some(body) = rest.strip_prefix("/*") {
            self.pos = body
                .find("*/")
                .map_or(self.src.len(), |i| self.pos + 2 + i + 2);
            return Kind::BlockComment;
        }
        if rest.starts_with('"') {
            self.bump();
            self.skip_quoted_rest();
            return Kind::Quoted;
        }
        if rest.starts_with("<<") && self.try_heredoc() {
            return Kind::Heredoc;
        }
        for op in ["==", "=>", "!=", "<=", ">=", "&&", "||", "..."] {
            if rest.starts_with(op) {
                self.pos += op.len();
                return Kind::Other;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        self.bump();
        match c {
            '{' | '[' | '(' => Kind::Open,
            '}' | ']' | ')' => Kind::Close,
            '=' => Kind::Assign,
            c if is_ident_start(c) => {
                while self.peek().is_some_and(is_ident_continue) {
                    self.bump();
                }
                Kind::Ident
            }
            c if c.is_ascii_digit() => {
                // Numbers, including `1.5e+3`, as one token so that their
                // inner characters are never mistaken for operators.
                while let Some(n) = self.peek() {
                    let exponent_sign = (n == '+' || n == '-')
                        && matches!(self.src[..self.pos].chars().last(), Some('e' | 'E'));
                    if n.is_ascii_alphanumeric() || n == '.' || exponent_sign {
                        self.bump();
                    } else {
                        break;
                    }
                }
                Kind::Other
            }
            _ => Kind::Other,
        }
    }

    /// Skips the rest of a quoted template after its opening `"`, through
    /// the closing `"` (or the end of input when unterminated). Line breaks
    /// do not end it: hcl-edit accepts them, and the formatter must agree
    /// with the parser on where strings end.
    fn skip_quoted_rest(&mut self) {
        while let Some(c) = self.peek() {
            let rest = self.rest();
            if rest.starts_with("$${") || rest.starts_with("%%{") {
                // Escaped interpolation markers are literal text.
                self.pos += 3;
            } else if rest.starts_with("${") || rest.starts_with("%{") {
                self.pos += 2;
                self.skip_template_expr();
            } else if c == '\\' {
                self.bump();
                self.bump();
            } else if c == '"' {
                self.bump();
                return;
            } else {
                self.bump();
            }
        }
    }

    /// Skips an interpolation or directive body after its `${`/`%{`, through
    /// the matching `}`, honouring nested braces and strings.
    fn skip_template_expr(&mut self) {
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.bump();
                    self.skip_quoted_rest();
                }
                '{' => {
                    depth += 1;
                    self.bump();
                }
                '}' => {
                    self.bump();
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                _ => self.bump(),
            }
        }
    }

    /// At `<<`: consumes a heredoc if one starts here (`<<ID` or `<<-ID`
    /// directly followed by a line break) and returns whether it did.
    fn try_heredoc(&mut self) -> bool {
        let src = self.src;
        let rest = &src[self.pos..];
        let after = rest[2..].strip_prefix('-').unwrap_or(&rest[2..]);
        let id_len = after
            .char_indices()
            .find(|&(_, c)| !is_ident_continue(c))
            .map_or(after.len(), |(i, _)| i);
        let (marker, after_marker) = after.split_at(id_len);
        if !marker.starts_with(is_ident_start) {
            return false;
        }
        let line_break = if after_marker.starts_with('\n') {
            1
        } else if after_marker.starts_with("\r\n") {
            2
        } else {
            return false;
        };
        self.pos += rest.len() - after_marker.len() + line_break;
        // As hcl-edit does: the body ends at the first line that starts with
        // optional spaces/tabs and the marker not followed by an identifier
        // character (anything may follow, e.g. `)` or a comment), looking
        // only at literal text, not inside interpolations and directives.
        let mut at_line_start = true;
        while self.pos < self.src.len() {
            let rest = self.rest();
            if at_line_start {
                let indented = rest.trim_start_matches([' ', '\t']);
                if let Some(tail) = indented.strip_prefix(marker)
                    && !tail.starts_with(is_ident_continue)
                {
                    self.pos = self.src.len() - tail.len();
                    return true;
                }
            }
            at_line_start = false;
            if rest.starts_with("$${") || rest.starts_with("%%{") {
                self.pos += 3;
            } else if rest.starts_with("${") || rest.starts_with("%{") {
                self.pos += 2;
                self.skip_template_expr();
            } else {
                at_line_start = rest.starts_with('\n');
                self.bump();
            }
        }
        // Unterminated: runs to the end of input (the parser rejects it).
        true
    }
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
