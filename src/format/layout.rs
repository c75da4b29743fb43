//! Line-based layout: indentation, spacing, alignment and blank lines.
//!
//! The model follows `terraform fmt` (hclwrite): the file is a sequence of
//! logical lines (tokens up to a line break; opaque multi-line tokens such as
//! heredocs stay inside one logical line), each line is indented from the
//! bracket nesting, and consecutive lines are grouped into "chains" whose
//! `=` and trailing comments are aligned. Only horizontal whitespace,
//! indentation and blank lines ever change, which is what makes the result
//! safe (the token sequence is untouched) and idempotent (every decision
//! depends on the token sequence alone, never on the original spacing).

use super::lexer::{Kind, Token};

const INDENT: &str = "  ";

struct Line<'a> {
    tokens: Vec<Token<'a>>,
    /// Indentation level (units of [`INDENT`]).
    level: usize,
    /// Whether at least one blank line preceded it in the input.
    blank_before: bool,
    /// Index of the `=` to align, for a single-line `name = value` line.
    assign: Option<usize>,
    /// Index of the trailing comment to align.
    comment: Option<usize>,
    /// Index of the `{` ending a block header (`TYPE "label" {`).
    header_brace: Option<usize>,
    /// Per-token gap before it, filled in by [`layout`].
    gaps: Vec<String>,
}

impl Line<'_> {
    fn starts_with_close(&self) -> bool {
        self.tokens.first().is_some_and(|t| t.kind == Kind::Close)
    }

    /// Whether the line, ignoring a trailing comment, opens a bracket last
    /// (so what follows is the inside of a block, object, tuple or call).
    fn ends_with_open(&self) -> bool {
        self.tokens
            .iter()
            .rev()
            .find(|t| !t.is_comment())
            .is_some_and(|t| t.kind == Kind::Open)
    }

    fn is_multiline(&self) -> bool {
        self.tokens.iter().any(Token::is_multiline)
    }

    /// Display width of the rendered line up to (excluding) token `end`.
    fn width_before(&self, end: usize) -> usize {
        self.level * INDENT.len()
            + (0..end)
                .map(|i| {
                    self.gaps[i].chars().count() + render_text(&self.tokens[i]).chars().count()
                })
                .sum::<usize>()
    }
}

/// Formats a token stream (from [`super::lexer::tokenize`]) into canonical text.
pub(crate) fn layout(tokens: &[Token<'_>]) -> String {
    let mut lines = split_lines(tokens);
    assign_levels(&mut lines);
    let mut lines = drop_blank_lines(lines);
    for line in &mut lines {
        classify(line);
        line.gaps = default_gaps(line);
    }
    // `=` first: its padding moves the trailing comments.
    align(&mut lines, |l| l.assign);
    align(&mut lines, |l| l.comment);
    render(&lines)
}

fn split_lines<'a>(tokens: &[Token<'a>]) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let mut current = Vec::new();
    for token in tokens {
        if token.kind == Kind::Newline {
            lines.push(std::mem::take(&mut current));
        } else {
            current.push(*token);
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
        .into_iter()
        .map(|tokens| Line {
            tokens,
            level: 0,
            blank_before: false,
            assign: None,
            comment: None,
            header_brace: None,
            gaps: Vec::new(),
        })
        .collect()
}

/// Indentation from bracket nesting. Like hclwrite, a line that opens
/// several brackets at once (`x = [{`) adds a single level, and the
/// matching closers (`}]`) remove it again; each stack entry counts the
/// brackets its level stands for. Unlike hclwrite, leading closers are
/// applied before the line is indented, so `}, {` in a tuple of objects
/// lines up with the `{` it closes.
fn assign_levels(lines: &mut [Line<'_>]) {
    let mut stack: Vec<usize> = Vec::new();
    let close = |stack: &mut Vec<usize>, mut n: usize| {
        while n > 0 {
            let Some(top) = stack.last_mut() else { break };
            if n >= *top {
                n -= *top;
                stack.pop();
            } else {
                *top -= n;
                n = 0;
            }
        }
    };
    for line in lines {
        let leading_closers = line
            .tokens
            .iter()
            .take_while(|t| t.kind == Kind::Close)
            .count();
        close(&mut stack, leading_closers);
        line.level = stack.len();
        let net: isize = line.tokens[leading_closers..]
            .iter()
            .map(|t| match t.kind {
                Kind::Open => 1,
                Kind::Close => -1,
                _ => 0,
            })
            .sum();
        match net {
            n if n > 0 => stack.push(n.unsigned_abs()),
            n if n < 0 => close(&mut stack, n.unsigned_abs()),
            _ => {}
        }
    }
}

/// Removes blank lines, remembering on each kept line whether one blank line
/// should precede it: runs collapse to one, and none survive at the start
/// of the file, right after an opening bracket or right before a closing
/// one (the end of the file is handled by [`render`]).
fn drop_blank_lines(lines: Vec<Line<'_>>) -> Vec<Line<'_>> {
    let mut kept: Vec<Line<'_>> = Vec::with_capacity(lines.len());
    let mut pending_blank = false;
    for mut line in lines {
        if line.tokens.is_empty() {
            pending_blank = true;
            continue;
        }
        line.blank_before = pending_blank
            && !line.starts_with_close()
            && kept.last().is_some_and(|prev| !prev.ends_with_open());
        pending_blank = false;
        kept.push(line);
    }
    kept
}

/// Finds the alignable `=`, the alignable trailing comment and a block
/// header's `{` on a line.
fn classify(line: &mut Line<'_>) {
    let tokens = &line.tokens;
    if line.is_multiline() {
        // Heredocs, multi-line block comments and the like: the line's
        // width is meaningless, so it neither aligns nor joins a chain
        // (a multi-line attribute breaks the run).
        line.header_brace = header_brace(tokens);
        return;
    }
    let code_end = match tokens.last() {
        Some(t) if t.is_comment() && tokens.len() > 1 => {
            line.comment = Some(tokens.len() - 1);
            tokens.len() - 1
        }
        _ => tokens.len(),
    };
    let code = &tokens[..code_end];
    line.header_brace = header_brace(code);
    // A line led by a comment (`/* x */ a = 1`) has no meaningful name
    // width, so it is left out of alignment.
    let led_by_comment = code.first().is_some_and(Token::is_comment);
    if line.header_brace.is_none() && !led_by_comment {
        // Only a complete `name = value` line aligns: if the value leaves a
        // bracket open (`x = {`) or closes one it did not open (the last
        // item of a single-line block), it is not a single-line attribute.
        if let Some(eq) = code.iter().position(|t| t.kind == Kind::Assign) {
            let net: isize = code[eq..]
                .iter()
                .map(|t| match t.kind {
                    Kind::Open => 1,
                    Kind::Close => -1,
                    _ => 0,
                })
                .sum();
            if eq > 0 && net == 0 {
                line.assign = Some(eq);
            }
        }
    }
}

/// `IDENT (IDENT | "label")* {` at the start of a line: a block header.
fn header_brace(tokens: &[Token<'_>]) -> Option<usize> {
    if tokens.first()?.kind != Kind::Ident {
        return None;
    }
    let labels = tokens[1..]
        .iter()
        .take_while(|t| matches!(t.kind, Kind::Ident | Kind::Quoted))
        .count();
    let brace = 1 + labels;
    (tokens.get(brace)?.text == "{").then_some(brace)
}

/// The whitespace before each token, before alignment padding. Gaps the
/// canonical form prescribes are normalized; all others (inside
/// expressions) are kept as written.
fn default_gaps(line: &Line<'_>) -> Vec<String> {
    let tokens = &line.tokens;
    // The `}` closing a single-line block, if any.
    let block_close = line.header_brace.and_then(|brace| {
        let last_code = tokens.iter().rposition(|t| !t.is_comment())?;
        (last_code > brace && tokens[last_code].text == "}").then_some(last_code)
    });
    let mut gaps = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let gap = if i == 0 {
            ""
        } else {
            let prev = &tokens[i - 1];
            if prev.kind == Kind::Open && token.kind == Kind::Close {
                // `x {}`, `[]`, `f()`: empty brackets stay compact.
                ""
            } else if line.header_brace.is_some_and(|b| i <= b + 1) || block_close == Some(i) {
                // `TYPE "label" { attr = v }` with single spaces.
                " "
            } else if token.kind == Kind::Assign || prev.kind == Kind::Assign {
                " "
            } else if Some(i) == line.comment && token.space_before.is_empty() {
                // A trailing comment glued to code gets the single space
                // that alignment would give it.
                " "
            } else {
                token.space_before
            }
        };
        gaps.push(gap.to_string());
    }
    gaps
}

/// Aligns the cell picked by `cell` across chains of consecutive lines
/// that all have one (a blank line, or any line without the cell, ends a
/// chain): the cell starts one column after the widest content before it.
fn align(lines: &mut [Line<'_>], cell: impl Fn(&Line<'_>) -> Option<usize>) {
    let mut start = 0;
    while start < lines.len() {
        if cell(&lines[start]).is_none() {
            start += 1;
            continue;
        }
        let mut end = start + 1;
        while end < lines.len() && !lines[end].blank_before && cell(&lines[end]).is_some() {
            end += 1;
        }
        let widest = lines[start..end]
            .iter()
            .filter_map(|l| cell(l).map(|c| l.width_before(c)))
            .max()
            .unwrap_or(0);
        for line in &mut lines[start..end] {
            if let Some(c) = cell(line) {
                let pad = widest - line.width_before(c) + 1;
                line.gaps[c] = " ".repeat(pad);
            }
        }
        start = end;
    }
}

/// A token's canonical text: comments lose trailing whitespace (per line
/// for block comments); strings and heredocs are kept byte for byte.
fn render_text<'a>(token: &Token<'a>) -> std::borrow::Cow<'a, str> {
    match token.kind {
        Kind::LineComment => token.text.trim_end().into(),
        Kind::BlockComment if token.is_multiline() => token
            .text
            .split('\n')
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            .into(),
        _ => token.text.into(),
    }
}

fn render(lines: &[Line<'_>]) -> String {
    let mut out = String::new();
    for line in lines {
        if line.blank_before {
            out.push('\n');
        }
        for _ in 0..line.level {
            out.push_str(INDENT);
        }
        for (gap, token) in line.gaps.iter().zip(&line.tokens) {
            out.push_str(gap);
            out.push_str(&render_text(token));
        }
        out.push('\n');
    }
    out
}
