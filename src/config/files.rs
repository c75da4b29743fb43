//! Reading and parsing: the configuration directory's `*.hcl` files and
//! variable files, kept in a source map so every later stage can turn a byte
//! range into `file:line:column` and the source line it falls on.

use super::diagnostic::{Diagnostic, Excerpt};
use super::limits::MAX_FILE_BYTES;
use crate::desired::Location;
use hcl_edit::structure::Body;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FileId(usize);

/// A byte range in one source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) file: FileId,
    pub(crate) range: Range<usize>,
}

struct Source {
    path: PathBuf,
    text: String,
    line_starts: Vec<usize>,
    /// In a variable file, the variables declared without `sensitive`:
    /// lines inside their assignments are shown as written, everything
    /// else is masked.
    plain_variables: Vec<String>,
    /// Those assignments' byte ranges, found on the first diagnostic that
    /// needs them (a file read on the fast path kept no syntax tree).
    as_written: std::sync::OnceLock<Vec<std::ops::Range<usize>>>,
}

#[derive(Default)]
pub(crate) struct Sources {
    files: Vec<Source>,
}

impl Sources {
    pub(crate) fn add(&mut self, path: PathBuf, text: String) -> FileId {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.files.push(Source {
            path,
            text,
            line_starts,
            plain_variables: Vec::new(),
            as_written: std::sync::OnceLock::new(),
        });
        FileId(self.files.len() - 1)
    }

    /// Names the variables whose assignments in variable file `file` hold
    /// no secret (declared without `sensitive`).
    pub(crate) fn show_as_written(&mut self, file: FileId, plain_variables: Vec<String>) {
        self.files[file.0].plain_variables = plain_variables;
    }

    /// Line `line` (1-based) of `file` as a diagnostic may show it.
    fn shown_line(&self, file: FileId, line: usize) -> String {
        let src = &self.files[file.0];
        let start = src.line_starts[line - 1];
        let text = self.line_text(file, line);
        let end = start + text.len();
        if !src.plain_variables.is_empty() {
            let ranges = src
                .as_written
                .get_or_init(|| assignments_of(&src.text, &src.plain_variables));
            if ranges
                .iter()
                .any(|range| range.start <= start && end <= range.end)
            {
                return text.to_string();
            }
        }
        redact_secrets(&src.path, text)
    }

    pub(crate) fn text(&self, file: FileId) -> &str {
        &self.files[file.0].text
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let src = &self.files[file.0];
        let mut offset = offset.min(src.text.len());
        // A span may end inside a multi-byte character (a parser's "one past
        // the error" is one byte, not one character): count up to the
        // character that holds it.
        while !src.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = src.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = src.line_starts[line];
        let column = src.text[start..offset].chars().count() + 1;
        (line + 1, column)
    }

    /// The byte offset of a 1-based line and 1-based byte column, clamped
    /// to the file (serde_json counts columns in bytes).
    pub(crate) fn offset(&self, file: FileId, line: usize, byte_column: usize) -> usize {
        let src = &self.files[file.0];
        let start = src
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(src.text.len());
        (start + byte_column.saturating_sub(1)).min(src.text.len())
    }

    fn line_text(&self, file: FileId, line: usize) -> &str {
        let src = &self.files[file.0];
        let start = src.line_starts[line - 1];
        let end = src.line_starts.get(line).copied().unwrap_or(src.text.len());
        src.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub(crate) fn location(&self, span: &Span) -> Location {
        let (line, column) = self.line_col(span.file, span.range.start);
        Location {
            file: self.files[span.file.0].path.clone(),
            line,
            column,
        }
    }

    /// An error at `span`, with its location and source line.
    pub(crate) fn error(&self, span: &Span, message: impl Into<String>) -> Diagnostic {
        let location = self.location(span);
        let text = self.shown_line(span.file, location.line);
        let (end_line, end_col) = self.line_col(span.file, span.range.end);
        // Multi-line spans point to the end of the first line.
        let end = if end_line == location.line {
            end_col - 1
        } else {
            usize::MAX
        };
        Diagnostic {
            message: message.into(),
            excerpt: Some(Excerpt::new(location.line, text, location.column - 1..end)),
            location: Some(location),
            help: None,
        }
    }
}

/// The byte ranges of the assignments to `names` in a variable file (none
/// when it does not parse).
fn assignments_of(text: &str, names: &[String]) -> Vec<std::ops::Range<usize>> {
    use hcl_edit::Span as _;
    let Ok(body) = hcl_edit::parser::parse_body(text) else {
        return Vec::new();
    };
    body.iter()
        .filter_map(|structure| structure.as_attribute())
        .filter(|a| names.iter().any(|name| name == a.key.as_str()))
        .filter_map(|a| Some(a.key.span()?.start..a.value.span()?.end))
        .collect()
}

/// The source line as a diagnostic may show it: in variable files (where
/// page tokens and API secrets live) every string literal is masked, and in
/// configuration files so is every string on a line that mentions a token or
/// a secret: everything between a string's quotes, templates included, and
/// strings in comments. A string that indexes a value (`var.tokens["nl"]`)
/// is a key, not a secret, and is shown. Masking keeps the length in
/// characters, so columns still line up.
fn redact_secrets(path: &Path, line: &str) -> String {
    let is_vars = path.extension().is_some_and(|e| e == "sfvars")
        || path.to_str().is_some_and(|p| p.ends_with(".sfvars.json"))
        || is_json_vars(path);
    let lower = line.to_ascii_lowercase();
    if !is_vars && !lower.contains("token") && !lower.contains("secret") {
        return line.to_string();
    }
    use crate::hcl_lexical::{Bracket, Kind, Scanner};
    let mut out = String::with_capacity(line.len());
    // Quoted text inside a comment is masked too (a value commented out is
    // still a value): a comment's text is scanned again as code.
    let mut from = 0;
    'scan: while from < line.len() {
        let mut scanner = Scanner::new(&line[from..]);
        // The last two tokens of code before this one (spaces skipped), and
        // whether the string being scanned is an index key.
        let mut before: [Option<Kind>; 2] = [None, None];
        let mut in_key = false;
        while let Some(token) = scanner.next() {
            let range = from + token.range.start..from + token.range.end;
            let text = &line[range.clone()];
            let opens_key = token.kind == Kind::QuoteOpen
                && before[1] == Some(Kind::Open(Bracket::Square))
                && matches!(
                    before[0],
                    Some(Kind::Ident | Kind::Close(_) | Kind::QuoteClose)
                );
            if token.kind != Kind::Space && scanner.nesting() == 0 {
                before = [before[1], Some(token.kind)];
            }
            match token.kind {
                Kind::QuoteOpen => {
                    in_key = opens_key;
                    out.push_str(text);
                }
                Kind::QuoteClose => {
                    in_key = false;
                    out.push_str(text);
                }
                Kind::Text if in_key && scanner.nesting() == 1 => out.push_str(text),
                Kind::LineComment | Kind::BlockComment if scanner.nesting() == 0 => {
                    let marker = if text.starts_with('#') { 1 } else { 2 };
                    out.push_str(&text[..marker]);
                    from = range.start + marker;
                    continue 'scan;
                }
                _ if scanner.nesting() > 0 || token.kind == Kind::Text => {
                    out.extend(text.chars().map(|_| '*'));
                }
                _ => out.push_str(text),
            }
        }
        break;
    }
    out
}

/// Reads at most `MAX_FILE_BYTES` of `path`; a longer file is an error.
pub(crate) fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{} is larger than {} MiB, the limit for files socialform reads",
            path.display(),
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    Ok(bytes)
}

/// Reads and parses one HCL file (configuration or variables), reporting
/// unreadable files, invalid UTF-8, excessive nesting and syntax errors.
pub(crate) fn read_hcl_file(
    path: &Path,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<(FileId, Body)> {
    let id = read_source(path, sources, diags)?;
    let body = parse_source(id, sources, diags)?;
    Some((id, body))
}

/// Reads one file into the source map, reporting unreadable files and
/// invalid UTF-8.
pub(crate) fn read_source(
    path: &Path,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<FileId> {
    let bytes = match read_limited(path) {
        Ok(bytes) => bytes,
        Err(message) => {
            diags
                .push(Diagnostic::error(message).with_help(
                    "check that the path names the right file, and that it is readable",
                ));
            return None;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            let id = sources.add(path.to_path_buf(), valid);
            let span = Span {
                file: id,
                range: offset..offset,
            };
            diags.push(
                sources
                    .error(&span, "the file is not valid UTF-8")
                    .with_help("save the file as UTF-8"),
            );
            return None;
        }
    };
    Some(sources.add(path.to_path_buf(), text))
}

/// Parses a file already in the source map, reporting excessive nesting and
/// syntax errors.
pub(crate) fn parse_source(
    id: FileId,
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<Body> {
    let text = sources.text(id);
    // hcl-edit bounds nesting depth itself (64 levels) and reports it as a
    // syntax error, so deeply nested input cannot exhaust the stack.
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => Some(body),
        Err(e) => {
            let loc = e.location();
            // The parser reports 1-based line and column; turn them back into
            // an offset so the line is shown like every other diagnostic's.
            let line_start = text
                .split_inclusive('\n')
                .take(loc.line().saturating_sub(1))
                .map(str::len)
                .sum::<usize>();
            let col_bytes: usize = text[line_start..]
                .chars()
                .take(loc.column().saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            let start = (line_start + col_bytes).min(text.len());
            let width = text[start..].chars().next().map_or(0, char::len_utf8);
            let span = Span {
                file: id,
                range: start..start + width,
            };
            let unclosed = Unclosed::scan(text);
            let diag = if let Some(quote) = unclosed
                .string
                .filter(|&q| text[..q].matches('\n').count() < loc.line().max(1))
            {
                // The parser stumbles on a later line; the cause is the quote.
                sources
                    .error(
                        &Span {
                            file: id,
                            range: quote..quote + 1,
                        },
                        "syntax error: this string is not closed",
                    )
                    .with_help(
                        "end it with `\"` on the same line; a value of several lines is written \
                         as a heredoc (<<EOT ... EOT)",
                    )
            } else if let Some(block) = unclosed.blocks.last()
                && text[start..].trim().is_empty()
            {
                // The file ended inside a block: point at the block, not at
                // EOF; at the innermost one left open, or at the nested block
                // whose `}` went missing (the outer block's `}` closed it),
                // since that is where the `}` is to be added.
                let (block, message, help) = match &unclosed.misclosed {
                    Some((inner, closer)) => (
                        inner.clone(),
                        "syntax error: this block is not closed: its `}` is missing",
                        format!(
                            "add its `}}` before line {}: the `}}` there is indented like the \
                             block around this one, but closes this one",
                            text[..*closer].matches('\n').count() + 1
                        ),
                    ),
                    None => (
                        block.clone(),
                        "syntax error: this block is not closed: the file ends before its `}`",
                        "add the missing `}` where the block ends".to_string(),
                    ),
                };
                sources
                    .error(
                        &Span {
                            file: id,
                            range: block,
                        },
                        message,
                    )
                    .with_help(help)
            } else {
                sources
                    .error(&span, format!("syntax error: {}", e.message()))
                    .with_help("fix the HCL syntax at the marked position")
            };
            diags.push(diag);
            None
        }
    }
}

/// Byte ranges that cut `text` into runs of whole top-level lines, each at
/// least `target` bytes long (but the last), cut only where a new line
/// starts outside any bracket, string, template, heredoc or comment.
///
/// Why: hcl-edit's tree takes about 30 bytes per byte of source, so a
/// 1.6 MB file of 15,000 blocks peaked at 50 MB of tree before anything was
/// read from it. Parsed a run at a time and consumed at once, the tree of
/// one run is all that is alive.
///
/// Invariant relied on by the loader: if every run parses as a body, the
/// runs' structures are those of the whole file, in order (a structure ends
/// at its line ending and none starts inside a line). The scan may be wrong
/// about odd input (it is a lexical scan, not a grammar); a run that does
/// not parse sends the loader back to parsing the whole file, so a wrong
/// cut costs time, never a different result or diagnostic.
pub(crate) fn top_level_runs(text: &str, target: usize) -> Vec<Range<usize>> {
    let mut runs = Vec::with_capacity(text.len() / target.max(1) + 1);
    let mut start = 0;
    let mut scanner = crate::hcl_lexical::Scanner::new(text);
    while let Some(token) = scanner.next() {
        if token.kind == crate::hcl_lexical::Kind::Newline
            && scanner.at_top_level()
            && token.range.end - start >= target
        {
            runs.push(start..token.range.end);
            start = token.range.end;
        }
    }
    if start < text.len() || runs.is_empty() {
        runs.push(start..text.len());
    }
    runs
}

/// What a rough scan of a file that does not parse finds left open: the
/// first string not closed on its line, and the blocks still open at the
/// end (a lexical scan that ends strings at their line). It only places a
/// syntax error nearer its cause, and the parser's own message is kept when
/// it finds nothing.
#[derive(Debug, Default, PartialEq)]
struct Unclosed {
    /// Offset of the opening quote.
    string: Option<usize>,
    /// Outermost first: from the first non-blank character of the line that
    /// opens the block to its `{`, inclusive.
    blocks: Vec<std::ops::Range<usize>>,
    /// The first nested block closed by a `}` indented like a block around
    /// it (so the `}` was meant for that outer block, and this one's is
    /// missing), with the offset of that `}`.
    misclosed: Option<(std::ops::Range<usize>, usize)>,
}

impl Unclosed {
    fn scan(text: &str) -> Unclosed {
        use crate::hcl_lexical::{Bracket, Kind, Scanner};
        let mut out = Unclosed::default();
        // Each open brace: its opening line's span and indentation.
        let mut braces: Vec<(Range<usize>, usize)> = Vec::new();
        let mut line_start = 0;
        for token in Scanner::recovering(text) {
            let i = token.range.start;
            match token.kind {
                Kind::StringCut {
                    open,
                    nested: false,
                } => {
                    out.string.get_or_insert(open);
                }
                Kind::Open(Bracket::Brace) => {
                    let line = &text[line_start..i];
                    let first = line_start + (line.len() - line.trim_start().len());
                    braces.push((first..i + 1, first - line_start));
                }
                Kind::Close(Bracket::Brace) => {
                    let alone = text[line_start..i].trim().is_empty();
                    let indent = i - line_start;
                    if let Some((inner, inner_indent)) = braces.last()
                        && alone
                        && out.misclosed.is_none()
                        && indent < *inner_indent
                        && braces[..braces.len() - 1]
                            .iter()
                            .any(|(_, outer)| *outer == indent)
                    {
                        out.misclosed = Some((inner.clone(), i));
                    }
                    braces.pop();
                }
                _ => {}
            }
            if let Some(n) = text[token.range.clone()].rfind('\n') {
                line_start = i + n + 1;
            }
        }
        out.blocks = braces.into_iter().map(|(r, _)| r).collect();
        out
    }
}

/// The `*.hcl` files directly in `dir`, sorted by name.
pub(crate) fn config_files(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    files_matching(dir, diags, |name| name.ends_with(".hcl"))
}

pub(crate) fn files_matching(
    dir: &Path,
    diags: &mut Vec<Diagnostic>,
    wanted: impl Fn(&str) -> bool,
) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            diags.push(
                Diagnostic::error(format!(
                    "cannot read configuration directory {}: {e}",
                    dir.display()
                ))
                .with_help("pass an existing directory with -C DIR"),
            );
            return Vec::new();
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| wanted(name))
        .collect();
    names.sort();
    names.into_iter().map(|n| dir.join(n)).collect()
}

/// `*.sfvars.json` (and any `--var-file` ending in `.json`) is JSON, as
/// Terraform reads `*.tfvars.json`.
pub(crate) fn is_json_vars(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_string_left_open_on_its_line_is_found() {
        let text = "a = \"x\" # \"\nb = \"${f(\"}\")}\"\nc = \"open\nd = \"y\"\n";
        assert_eq!(Unclosed::scan(text).string, text.find("\"open"));
        let heredoc = "h = <<EOT\nit's \"quoted\nEOT\n";
        assert_eq!(Unclosed::scan(heredoc), Unclosed::default());
    }

    #[test]
    fn blocks_open_at_the_end_are_found_outermost_first() {
        let text = "provider \"vonage\" {\n  x = 1\n\n  page \"a\" {\n  }\n";
        let found = Unclosed::scan(text);
        assert_eq!(found.string, None);
        assert_eq!(&text[found.blocks[0].clone()], "provider \"vonage\" {");
        assert_eq!(found.blocks.len(), 1);
    }

    #[test]
    fn a_nested_block_closed_by_its_outer_brace_is_found() {
        let text = "page \"a\" {\n  lifecycle {\n    prevent_destroy = true\n}\n";
        let found = Unclosed::scan(text);
        let (inner, closer) = found.misclosed.unwrap();
        assert_eq!(&text[inner], "lifecycle {");
        assert_eq!(closer, text.rfind('}').unwrap());
        // Formatted as fmt writes it, nothing is suspected.
        let text = "page \"a\" {\n  lifecycle {\n    prevent_destroy = true\n  }\n";
        assert_eq!(Unclosed::scan(text).misclosed, None);
    }

    #[test]
    fn runs_cut_only_between_top_level_lines_and_cover_the_file() {
        let text = "a = \"x\ny\"\n";
        assert_eq!(top_level_runs(text, 1), vec![0..text.len()]);
        let text = "b {\n  c = [\n 1]\n}\n# }\n/* {\n*/\nd = <<EOT\n}\nEOT\ne = \"${f(\"}\")}\"\n";
        let runs = top_level_runs(text, 1);
        let cuts: Vec<&str> = runs.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(
            cuts,
            [
                "b {\n  c = [\n 1]\n}\n",
                "# }\n",
                "/* {\n*/\n",
                "d = <<EOT\n}\nEOT\n",
                "e = \"${f(\"}\")}\"\n"
            ]
        );
        assert_eq!(top_level_runs(text, 1 << 20), vec![0..text.len()]);
    }

    #[test]
    fn secrets_are_masked_in_strings_templates_and_comments() {
        let vars = Path::new("x.sfvars");
        assert_eq!(
            redact_secrets(vars, r#"a = "t\"k" # "c" 1"#),
            r#"a = "****" # "*" 1"#
        );
        assert_eq!(
            redact_secrets(vars, r#"x = "${var.token" /* "é */"#),
            // The second quote opens a string inside the template, the third
            // closes it.
            r#"x = "***********"****"****"#
        );
        assert_eq!(
            redact_secrets(vars, r#"b = "${f("x")}" c"#),
            r#"b = "****"*"**" c"#
        );
        let hcl = Path::new("main.hcl");
        assert_eq!(redact_secrets(hcl, r#"name = "x""#), r#"name = "x""#);
        assert_eq!(redact_secrets(hcl, r#"token = "x""#), r#"token = "*""#);
        // An index is a key, not a secret; a list's element is a value.
        assert_eq!(
            redact_secrets(hcl, r#"access_token = var.tokens["nl"] # "c""#),
            r#"access_token = var.tokens["nl"] # "*""#
        );
        assert_eq!(
            redact_secrets(hcl, r#"access_token = f(x)["k"]["${y}"] + ["s"]"#),
            r#"access_token = f(x)["k"]["****"] + ["*"]"#
        );
    }

    #[test]
    fn line_and_column_are_one_based_characters() {
        let mut sources = Sources::default();
        let id = sources.add("f.hcl".into(), "a = 1\nbé = \"x\"\n".into());
        let span = Span {
            file: id,
            range: 12..15,
        };
        let loc = sources.location(&span);
        assert_eq!((loc.line, loc.column), (2, 6));
    }
}
