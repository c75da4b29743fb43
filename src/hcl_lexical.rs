//! The lexical structure of HCL: where strings, templates, heredocs and
//! comments begin and end, and how deep brackets are, as one scanner that
//! `config` and `format` both build on.
//!
//! `Scanner` yields `Token`s that tile the input: their ranges are
//! contiguous, start at 0 and end at the input's length, so concatenating
//! them gives the input back. Inside a quoted template or a heredoc it
//! yields `Text`, `TemplateOpen` and the tokens of the template's code, up
//! to the `TemplateClose`, with no limit on nesting (`"${"${"x"}"}"`): the
//! nesting is an explicit stack, never recursion.
//!
//! It follows hcl-edit where they could disagree about valid input: a
//! quoted string may span lines, `$${` and `%%{` are literal text, a `}`
//! closes a template when no brace opened in the template is still open,
//! and a heredoc (`<<ID` or `<<-ID` directly followed by a line ending)
//! ends at the first line that holds, after optional spaces and tabs, its
//! marker not followed by an identifier character. It is total: any input
//! yields tokens and never a panic; unterminated strings, heredocs and
//! block comments run to the end of the input. (`Scanner::recovering` adds
//! empty `StringCut` tokens, and ends strings at line endings.)

use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bracket {
    Brace,
    Square,
    Paren,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `\n` or `\r\n`, in code.
    Newline,
    /// Spaces, tabs and carriage returns that do not start a `\r\n`.
    Space,
    /// `#` or `//` through the end of the line, without its line ending.
    LineComment,
    /// `/* ... */`, possibly over several lines.
    BlockComment,
    Open(Bracket),
    Close(Bracket),
    /// A lone `=` (not part of `==`, `=>`, `<=`, `>=`, `!=`).
    Assign,
    Ident,
    /// Digits and what may follow them in a number (`1.5e+3`).
    Number,
    /// Operators and any other character.
    Punct,
    /// The `"` that opens a quoted template.
    QuoteOpen,
    /// The `"` that closes it.
    QuoteClose,
    /// Literal text of a quoted template or heredoc, escapes included.
    Text,
    /// `${` or `%{`.
    TemplateOpen,
    /// The `}` that ends a template's code.
    TemplateClose,
    /// `<<ID` or `<<-ID` through its line ending.
    HeredocOpen,
    /// The closing line's indentation and marker (not its line ending).
    HeredocClose,
    /// Only from `Scanner::recovering`: a quoted string ended, unclosed, at
    /// a line ending (an empty token there). `open` is its opening quote;
    /// `nested` when it was directly inside a template (no brace open in
    /// it), which then ends with it, as do the strings and templates around
    /// it up to the nearest open brace.
    StringCut {
        open: usize,
        nested: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) range: Range<usize>,
}

enum Frame<'a> {
    /// The code of a `${ }` or `%{ }`, with the braces open in it.
    Template {
        braces: usize,
    },
    Quoted {
        open: usize,
    },
    Heredoc {
        marker: &'a str,
        at_line_start: bool,
    },
}

pub(crate) struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    stack: Vec<Frame<'a>>,
    /// Brackets open in the top-level code.
    depth: usize,
    /// A line ending ends a quoted string (`recovering`).
    cut_strings: bool,
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

pub(crate) fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Multi-character operators, kept whole so that `==` is not an `=`.
const OPERATORS: [&str; 8] = ["==", "=>", "!=", "<=", ">=", "&&", "||", "..."];

impl<'a> Scanner<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Scanner {
            src,
            pos: 0,
            stack: Vec::new(),
            depth: 0,
            cut_strings: false,
        }
    }

    /// For text that does not parse: as `new`, except that a line ending
    /// inside a quoted string's text ends the string (`Kind::StringCut`),
    /// the likeliest place for a missing `"`.
    pub(crate) fn recovering(src: &'a str) -> Self {
        Scanner {
            cut_strings: true,
            ..Scanner::new(src)
        }
    }

    /// Whether the scan is in top-level code with no bracket open: outside
    /// every string, template, heredoc and comment.
    pub(crate) fn at_top_level(&self) -> bool {
        self.stack.is_empty() && self.depth == 0
    }

    /// How many strings, heredocs and templates enclose the scan position
    /// (0 in top-level code).
    pub(crate) fn nesting(&self) -> usize {
        self.stack.len()
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn token(&mut self, kind: Kind, end: usize) -> Token {
        let start = self.pos;
        self.pos = end;
        Token {
            kind,
            range: start..end,
        }
    }

    fn code(&mut self) -> Token {
        let src = self.src;
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let at = self.pos;
        match bytes[0] {
            b'\n' => return self.token(Kind::Newline, at + 1),
            b'\r' if bytes.get(1) == Some(&b'\n') => return self.token(Kind::Newline, at + 2),
            b' ' | b'\t' | b'\r' => {
                let mut n = 0;
                while let Some(&b) = bytes.get(n) {
                    if b == b' ' || b == b'\t' || (b == b'\r' && bytes.get(n + 1) != Some(&b'\n')) {
                        n += 1;
                    } else {
                        break;
                    }
                }
                return self.token(Kind::Space, at + n);
            }
            b'#' => return self.line_comment(),
            b'/' if bytes.get(1) == Some(&b'/') => return self.line_comment(),
            b'/' if bytes.get(1) == Some(&b'*') => {
                let end = rest[2..].find("*/").map_or(src.len(), |i| at + 2 + i + 2);
                return self.token(Kind::BlockComment, end);
            }
            b'"' => {
                self.stack.push(Frame::Quoted { open: at });
                return self.token(Kind::QuoteOpen, at + 1);
            }
            b'<' if bytes.get(1) == Some(&b'<') => {
                if let Some(token) = self.heredoc_open() {
                    return token;
                }
            }
            _ => {}
        }
        if let Some(op) = OPERATORS.iter().find(|op| rest.starts_with(**op)) {
            return self.token(Kind::Punct, at + op.len());
        }
        let c = rest.chars().next().unwrap_or(' ');
        let after = at + c.len_utf8();
        match c {
            '{' | '[' | '(' => {
                let bracket = match c {
                    '{' => Bracket::Brace,
                    '[' => Bracket::Square,
                    _ => Bracket::Paren,
                };
                match self.stack.last_mut() {
                    Some(Frame::Template { braces }) => {
                        if bracket == Bracket::Brace {
                            *braces += 1;
                        }
                    }
                    _ => self.depth += 1,
                }
                self.token(Kind::Open(bracket), after)
            }
            '}' | ']' | ')' => {
                let bracket = match c {
                    '}' => Bracket::Brace,
                    ']' => Bracket::Square,
                    _ => Bracket::Paren,
                };
                match self.stack.last_mut() {
                    Some(Frame::Template { braces: 0 }) if bracket == Bracket::Brace => {
                        self.stack.pop();
                        return self.token(Kind::TemplateClose, after);
                    }
                    Some(Frame::Template { braces }) => {
                        if bracket == Bracket::Brace {
                            *braces -= 1;
                        }
                    }
                    _ => self.depth = self.depth.saturating_sub(1),
                }
                self.token(Kind::Close(bracket), after)
            }
            '=' => self.token(Kind::Assign, after),
            c if is_ident_start(c) => {
                let len = rest[c.len_utf8()..]
                    .find(|c: char| !is_ident_continue(c))
                    .unwrap_or(rest.len() - c.len_utf8());
                self.token(Kind::Ident, after + len)
            }
            c if c.is_ascii_digit() => {
                let mut n = 1;
                while let Some(&b) = bytes.get(n) {
                    let exponent_sign =
                        (b == b'+' || b == b'-') && matches!(bytes[n - 1], b'e' | b'E');
                    if b.is_ascii_alphanumeric() || b == b'.' || exponent_sign {
                        n += 1;
                    } else {
                        break;
                    }
                }
                self.token(Kind::Number, at + n)
            }
            _ => self.token(Kind::Punct, after),
        }
    }

    fn line_comment(&mut self) -> Token {
        let rest = self.rest();
        let mut end = rest.find('\n').map_or(self.src.len(), |i| self.pos + i);
        // The `\r` of a `\r\n` belongs to the line ending.
        if end > self.pos && self.src.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        self.token(Kind::LineComment, end)
    }

    /// At `<<`: the heredoc's opening line, when one starts here.
    fn heredoc_open(&mut self) -> Option<Token> {
        let rest = self.rest();
        let after = rest[2..].strip_prefix('-').unwrap_or(&rest[2..]);
        let id_len = after
            .find(|c: char| !is_ident_continue(c))
            .unwrap_or(after.len());
        let (marker, after_marker) = after.split_at(id_len);
        if !marker.starts_with(is_ident_start) {
            return None;
        }
        let line_break = if after_marker.starts_with('\n') {
            1
        } else if after_marker.starts_with("\r\n") {
            2
        } else {
            return None;
        };
        let end = self.src.len() - after_marker.len() + line_break;
        self.stack.push(Frame::Heredoc {
            marker,
            at_line_start: true,
        });
        Some(self.token(Kind::HeredocOpen, end))
    }

    /// Literal text up to the next template, string end (quoted) or line
    /// start (heredoc).
    fn text(&mut self, quoted: bool) -> Token {
        let bytes = self.rest().as_bytes();
        let mut n = 0;
        while n < bytes.len() {
            match bytes[n] {
                b'"' if quoted => break,
                b'\n' if quoted && self.cut_strings => break,
                b'\\' if quoted => {
                    n += 1;
                    if self.cut_strings && bytes.get(n) == Some(&b'\n') {
                        continue;
                    }
                    // Skip the escaped character whole.
                    n += self.src[self.pos + n..]
                        .chars()
                        .next()
                        .map_or(0, char::len_utf8);
                }
                b'$' | b'%'
                    if bytes.get(n + 1) == Some(&bytes[n]) && bytes.get(n + 2) == Some(&b'{') =>
                {
                    n += 3
                }
                b'$' | b'%' if bytes.get(n + 1) == Some(&b'{') => break,
                b'\n' if !quoted => {
                    n += 1;
                    if let Some(Frame::Heredoc { at_line_start, .. }) = self.stack.last_mut() {
                        *at_line_start = true;
                    }
                    break;
                }
                _ => n += 1,
            }
        }
        let end = self.pos + n;
        self.token(Kind::Text, end)
    }

    fn template_open(&mut self) -> Token {
        self.stack.push(Frame::Template { braces: 0 });
        let end = self.pos + 2;
        self.token(Kind::TemplateOpen, end)
    }

    fn quoted(&mut self) -> Token {
        let rest = self.rest();
        if self.cut_strings && rest.starts_with('\n') {
            let open = match self.stack.pop() {
                Some(Frame::Quoted { open }) => open,
                _ => unreachable!("called only inside a quoted string"),
            };
            let in_template =
                |stack: &[Frame]| matches!(stack.last(), Some(Frame::Template { braces: 0 }));
            let nested = in_template(&self.stack);
            if nested {
                while in_template(&self.stack)
                    || matches!(self.stack.last(), Some(Frame::Quoted { .. }))
                {
                    self.stack.pop();
                }
            }
            return Token {
                kind: Kind::StringCut { open, nested },
                range: self.pos..self.pos,
            };
        }
        if rest.starts_with('"') {
            self.stack.pop();
            let end = self.pos + 1;
            return self.token(Kind::QuoteClose, end);
        }
        if rest.starts_with("${") || rest.starts_with("%{") {
            return self.template_open();
        }
        self.text(true)
    }

    fn heredoc(&mut self) -> Token {
        let rest = self.rest();
        let Some(Frame::Heredoc {
            marker,
            at_line_start,
        }) = self.stack.last_mut()
        else {
            unreachable!("called only inside a heredoc");
        };
        let marker = *marker;
        if std::mem::take(at_line_start) {
            let indented = rest.trim_start_matches([' ', '\t']);
            if let Some(tail) = indented.strip_prefix(marker)
                && !tail.starts_with(is_ident_continue)
            {
                self.stack.pop();
                let end = self.src.len() - tail.len();
                return self.token(Kind::HeredocClose, end);
            }
        }
        if rest.starts_with("${") || rest.starts_with("%{") {
            return self.template_open();
        }
        self.text(false)
    }
}

impl Iterator for Scanner<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if self.pos >= self.src.len() {
            return None;
        }
        Some(match self.stack.last() {
            Some(Frame::Quoted { .. }) => self.quoted(),
            Some(Frame::Heredoc { .. }) => self.heredoc(),
            Some(Frame::Template { .. }) | None => self.code(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Kind::*;

    fn scan(src: &str) -> Vec<(Kind, &str)> {
        let tokens: Vec<Token> = Scanner::new(src).collect();
        // The tokens tile the input.
        let mut at = 0;
        for t in &tokens {
            assert_eq!(t.range.start, at, "{src:?}: {tokens:?}");
            assert!(t.range.end > t.range.start, "{src:?}: {tokens:?}");
            at = t.range.end;
        }
        assert_eq!(at, src.len(), "{src:?}");
        tokens
            .into_iter()
            .map(|t| (t.kind, &src[t.range]))
            .collect()
    }

    fn kinds(src: &str) -> Vec<Kind> {
        scan(src).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn strings_with_escaped_quotes_end_at_the_real_quote() {
        assert_eq!(
            scan(r#"a = "x\"y\\" b"#),
            [
                (Ident, "a"),
                (Space, " "),
                (Assign, "="),
                (Space, " "),
                (QuoteOpen, "\""),
                (Text, r#"x\"y\\"#),
                (QuoteClose, "\""),
                (Space, " "),
                (Ident, "b"),
            ]
        );
    }

    #[test]
    fn a_brace_in_a_string_in_a_template_does_not_close_it() {
        assert_eq!(
            scan(r#""${ "}" }""#),
            [
                (QuoteOpen, "\""),
                (TemplateOpen, "${"),
                (Space, " "),
                (QuoteOpen, "\""),
                (Text, "}"),
                (QuoteClose, "\""),
                (Space, " "),
                (TemplateClose, "}"),
                (QuoteClose, "\""),
            ]
        );
        // Braces opened in the template's code close inside it.
        assert_eq!(
            kinds(r#""%{ {a = 1} }x""#),
            [
                QuoteOpen,
                TemplateOpen,
                Space,
                Open(Bracket::Brace),
                Ident,
                Space,
                Assign,
                Space,
                Number,
                Close(Bracket::Brace),
                Space,
                TemplateClose,
                Text,
                QuoteClose
            ]
        );
    }

    #[test]
    fn templates_nest_and_escaped_markers_are_text() {
        let src = r#""a${"b${"c"}"}$${d}%%{e}""#;
        let mut sc = Scanner::new(src);
        let mut deepest = 0;
        let mut open = 0i32;
        for t in sc.by_ref() {
            match t.kind {
                TemplateOpen => open += 1,
                TemplateClose => open -= 1,
                _ => {}
            }
            deepest = deepest.max(open);
        }
        assert_eq!(deepest, 2);
        assert!(sc.at_top_level());
        assert_eq!(scan(src).last(), Some(&(QuoteClose, "\"")));
        assert!(scan(src).contains(&(Text, "$${d}%%{e}")));
    }

    #[test]
    fn heredocs_end_at_their_marker_line() {
        let src = "a = <<-EOT\n  x = \"\n  EOTX\n  ${ \"\nEOT\" }\n  EOT\nb = 1\n";
        let tokens = scan(src);
        assert!(tokens.contains(&(HeredocOpen, "<<-EOT\n")));
        assert!(tokens.contains(&(HeredocClose, "  EOT")));
        let close = tokens.iter().position(|t| t.0 == HeredocClose).unwrap();
        assert_eq!(tokens[close + 1], (Newline, "\n"));
        assert_eq!(tokens[close + 2], (Ident, "b"));
        // `<<` not followed by an identifier and a line ending is no heredoc.
        assert_eq!(
            kinds("a <<EOT x\n"),
            [Ident, Space, Punct, Punct, Ident, Space, Ident, Newline]
        );
        // CRLF after the marker, and the marker followed by other characters.
        let tokens = scan("f(<<E\r\nx\r\nE)\r\n");
        assert!(tokens.contains(&(HeredocOpen, "<<E\r\n")));
        assert!(tokens.contains(&(HeredocClose, "E")));
        assert!(tokens.contains(&(Close(Bracket::Paren), ")")));
    }

    #[test]
    fn comments_hide_quotes_and_braces() {
        let src = "# \"{\n// '}\r\n/* \" { */ a\n";
        assert_eq!(
            scan(src),
            [
                (LineComment, "# \"{"),
                (Newline, "\n"),
                (LineComment, "// '}"),
                (Newline, "\r\n"),
                (BlockComment, "/* \" { */"),
                (Space, " "),
                (Ident, "a"),
                (Newline, "\n"),
            ]
        );
        let mut sc = Scanner::new(src);
        sc.by_ref().for_each(drop);
        assert!(sc.at_top_level());
    }

    #[test]
    fn unterminated_strings_heredocs_and_comments_run_to_the_end() {
        assert_eq!(scan("a = \"x\ny").last().unwrap(), &(Text, "x\ny"));
        assert_eq!(scan("a = \"x\\").last().unwrap(), &(Text, "x\\"));
        assert_eq!(scan("a = <<EOT\nx\n").last().unwrap(), &(Text, "x\n"));
        assert_eq!(scan("/* x\n").last().unwrap(), &(BlockComment, "/* x\n"));
        assert_eq!(scan("# x").last().unwrap(), &(LineComment, "# x"));
        assert_eq!(scan("# x\r")[0], (LineComment, "# x"));
        assert_eq!(scan("\"${").last().unwrap(), &(TemplateOpen, "${"));
        for src in ["a = \"x", "a = <<EOT\nx", "\"${ {", "a = ["] {
            let mut sc = Scanner::new(src);
            sc.by_ref().for_each(drop);
            assert!(!sc.at_top_level(), "{src:?}");
        }
    }

    #[test]
    fn crlf_and_lone_carriage_returns() {
        assert_eq!(
            kinds("a = 1\r\nb\r= 2\r"),
            [
                Ident, Space, Assign, Space, Number, Newline, Ident, Space, Assign, Space, Number,
                Space
            ]
        );
    }

    #[test]
    fn non_ascii_identifiers_and_text() {
        assert_eq!(
            scan("café = \"é${ψ}\" ∑"),
            [
                (Ident, "café"),
                (Space, " "),
                (Assign, "="),
                (Space, " "),
                (QuoteOpen, "\""),
                (Text, "é"),
                (TemplateOpen, "${"),
                (Ident, "ψ"),
                (TemplateClose, "}"),
                (QuoteClose, "\""),
                (Space, " "),
                (Punct, "∑"),
            ]
        );
        assert_eq!(kinds("\"\\é\""), [QuoteOpen, Text, QuoteClose]);
    }

    #[test]
    fn brackets_count_only_in_top_level_code() {
        let mut sc = Scanner::new("a = [\n");
        sc.by_ref().for_each(drop);
        assert!(!sc.at_top_level());
        let mut sc = Scanner::new("a = [\"${ ( }\"]\n");
        sc.by_ref().for_each(drop);
        assert!(sc.at_top_level());
        assert_eq!(
            kinds("a == b => c"),
            [
                Ident, Space, Punct, Space, Ident, Space, Punct, Space, Ident
            ]
        );
    }

    #[test]
    fn recovering_ends_strings_at_line_endings() {
        let cuts = |src: &str| -> Vec<Kind> {
            Scanner::recovering(src)
                .map(|t| t.kind)
                .filter(|k| matches!(k, StringCut { .. }))
                .collect()
        };
        assert_eq!(
            cuts("a = \"x\nb = \"y\"\n"),
            [StringCut {
                open: 4,
                nested: false
            }]
        );
        // Directly in a template, the template and its string end too.
        let src = "x = \"${var.t\"\n}\n";
        assert_eq!(
            cuts(src),
            [StringCut {
                open: 12,
                nested: true
            }]
        );
        let mut sc = Scanner::recovering(src);
        sc.by_ref().for_each(drop);
        assert!(sc.at_top_level());
        // Inside a brace in the template, only the string ends.
        let mut sc = Scanner::recovering("\"${ { a = \"x\n");
        assert!(sc.by_ref().any(|t| t.kind
            == StringCut {
                open: 10,
                nested: false
            }));
        assert_eq!(sc.nesting(), 2);
    }

    #[test]
    fn every_truncation_scans_without_panicking() {
        let sample = "x = \"a\\\"${ {b = \"}\"} }é\" # \"{\r\nh = <<-EOT\n  ${\"\nEOT\"}\n  EOT\n/* ψ \" */ y = [1.5e+3, \"%{ if c }d%{ endif }\", <<E\r\n€\r\nE\r\n]\n\"$${}\\";
        for (end, _) in sample.char_indices().chain([(sample.len(), ' ')]) {
            for start in sample[..end].char_indices().map(|(i, _)| i) {
                scan(&sample[start..end]);
                Scanner::recovering(&sample[start..end]).for_each(drop);
            }
        }
    }
}
