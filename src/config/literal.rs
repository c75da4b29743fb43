//! A fast reader for variable files that hold only literal values.
//!
//! hcl-edit checks every object key against all earlier keys of the same
//! object with a linear scan, so parsing a map is quadratic in its number
//! of keys. Variable files are nearly always plain data, so this reader
//! takes the common shape — `name = value` lines whose values are strings,
//! numbers, bools, null, lists and objects — and checks keys with a hash
//! lookup.
//!
//! It is needed for that check alone: loading the config bench's
//! configuration (a 10,000-entry `pages` map and a 5,000-entry `links` map
//! in `socialform.sfvars`, 1.08 MB) takes 64 ms through this reader and
//! 768 ms when one `\U00000050` escape makes it decline and the same values
//! come through hcl-edit (`cargo bench --bench config -- sfvars`, both
//! cases in one run), 12 times as long. The cost is inside hcl-edit (its
//! object type checks each new key by a linear scan), so it cannot be fixed
//! here short of forking the parser; parsing in runs does not help because
//! the cost is inside one value. Generated files of any size can use
//! `*.sfvars.json` (serde_json, linear) instead.
//!
//! It is deliberately a strict subset of what hcl-edit accepts. Whenever
//! the input is anything else, or anything it is not sure about (templates,
//! expressions, heredocs, unusual escapes or identifiers, duplicate keys,
//! syntax errors), it answers `None` and the caller parses the file with
//! hcl-edit as before. That keeps every diagnostic in one place, and means
//! this reader never reports an error of its own. For what it accepts it
//! builds values the way hcl-edit's parser and `eval::literal_value` do,
//! using the same `Number` constructors, so the values are identical.

use hcl::{Map, Number, Value};
use std::collections::HashSet;

/// Deeper nesting is left to hcl-edit, which enforces its own limit (64)
/// and reports it; no real variable file comes near this.
const MAX_DEPTH: usize = 32;

/// The attributes of a literal-only variable file, in file order, or `None`
/// when the file needs the full parser.
pub(crate) fn read_attributes(text: &str) -> Option<Vec<(String, Value)>> {
    // A carriage return is only understood as part of CRLF; hcl-edit's
    // handling of a lone one differs between contexts.
    let bytes = text.as_bytes();
    if bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
    {
        return None;
    }
    let mut reader = Reader { text, pos: 0 };
    reader.body()
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Reader<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.bytes()[self.pos..].starts_with(s.as_bytes())
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes().len()
    }

    /// Spaces, tabs and `/* */` comments (hcl-edit's `sp`): no newlines
    /// outside a comment.
    fn skip_sp(&mut self) -> Option<()> {
        loop {
            while matches!(self.peek(), Some(b' ' | b'\t')) {
                self.pos += 1;
            }
            if self.starts_with("/*") {
                self.block_comment()?;
            } else {
                return Some(());
            }
        }
    }

    /// Whitespace including newlines, and comments of every kind (hcl-edit's `ws`).
    fn skip_ws(&mut self) -> Option<()> {
        loop {
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                self.pos += 1;
            }
            if self.starts_with("/*") {
                self.block_comment()?;
            } else if self.starts_with("#") || self.starts_with("//") {
                self.line_comment();
            } else {
                return Some(());
            }
        }
    }

    fn block_comment(&mut self) -> Option<()> {
        let rest = &self.text[self.pos + 2..];
        let end = rest.find("*/")?;
        self.pos += 2 + end + 2;
        Some(())
    }

    /// Moves to the line ending (or the end of the file) that closes a
    /// `#` or `//` comment.
    fn line_comment(&mut self) {
        let rest = &self.bytes()[self.pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && rest[i - 1] == b'\r' => self.pos += i - 1,
            Some(i) => self.pos += i,
            None => self.pos = self.bytes().len(),
        }
    }

    /// `\n` or `\r\n`.
    fn line_ending(&mut self) -> Option<()> {
        if self.starts_with("\n") {
            self.pos += 1;
        } else if self.starts_with("\r\n") {
            self.pos += 2;
        } else {
            return None;
        }
        Some(())
    }

    /// An ASCII identifier. One followed by a non-ASCII character might
    /// continue under Unicode rules: left to hcl-edit.
    fn ident(&mut self) -> Option<&'a str> {
        let start = self.pos;
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        while self.peek().is_some_and(is_ident_continue) {
            self.pos += 1;
        }
        if self.peek().is_some_and(|b| !b.is_ascii()) {
            return None;
        }
        Some(&self.text[start..self.pos])
    }

    fn body(&mut self) -> Option<Vec<(String, Value)>> {
        let mut attrs = Vec::new();
        let mut names = HashSet::new();
        loop {
            self.skip_ws()?;
            if self.at_end() {
                return Some(attrs);
            }
            let name = self.ident()?;
            if !names.insert(name) {
                return None;
            }
            self.skip_sp()?;
            if self.peek() != Some(b'=') {
                return None;
            }
            self.pos += 1;
            self.skip_sp()?;
            let value = self.value(0)?;
            self.skip_sp()?;
            if self.starts_with("#") || self.starts_with("//") {
                self.line_comment();
            }
            if !self.at_end() {
                self.line_ending()?;
            }
            attrs.push((name.to_string(), value));
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(Value::String),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            b'0'..=b'9' => self.number().map(Value::Number),
            b'-' => {
                self.pos += 1;
                self.skip_sp()?;
                if !self.peek()?.is_ascii_digit() {
                    return None;
                }
                self.number().map(|n| Value::Number(-n))
            }
            _ => match self.ident()? {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                "null" => Some(Value::Null),
                _ => None,
            },
        }
    }

    /// Digits, an optional fraction and an optional exponent, turned into a
    /// `Number` the way hcl-edit's number parser does.
    fn number(&mut self) -> Option<Number> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let from = r.pos;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.pos += 1;
            }
            r.pos > from
        };
        digits(self);
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !digits(self) {
                return None;
            }
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return None;
            }
            float = true;
        }
        let text = &self.text[start..self.pos];
        if float {
            return Number::from_f64(text.parse::<f64>().ok()?);
        }
        match text.parse::<u64>() {
            Ok(n) => Some(Number::from(n)),
            // Integers beyond u64 become floats, as in hcl-edit.
            Err(_) => Number::from_f64(text.parse::<f64>().ok()?),
        }
    }

    /// A quoted string with only the simple escapes; `None` for templates,
    /// escaped template markers, `\U`, raw control characters, or no end.
    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let bytes = self.bytes();
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            let b = *bytes.get(self.pos)?;
            match b {
                b'"' => {
                    out.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(&self.text[run..self.pos]);
                    let c = match *bytes.get(self.pos + 1)? {
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'\\' => '\\',
                        b'"' => '"',
                        b'u' => {
                            let hex = bytes.get(self.pos + 2..self.pos + 6)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            let hex = std::str::from_utf8(hex).ok()?;
                            let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                            self.pos += 4;
                            c
                        }
                        _ => return None,
                    };
                    out.push(c);
                    self.pos += 2;
                    run = self.pos;
                }
                b'$' | b'%' if bytes.get(self.pos + 1) == Some(&b'{') => return None,
                b if b < 0x20 => return None,
                _ => self.pos += 1,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.peek()? == b']' {
                self.pos += 1;
                return Some(Value::Array(items));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(Value::Array(items));
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.pos += 1;
        let mut map = Map::new();
        loop {
            self.skip_ws()?;
            let key = match self.peek()? {
                b'}' => {
                    self.pos += 1;
                    return Some(Value::Object(map));
                }
                b'"' => self.string()?,
                // hcl-edit reads these as values (or a `for` expression),
                // not as identifier keys.
                _ => match self.ident()? {
                    "true" | "false" | "null" | "for" => return None,
                    ident => ident.to_string(),
                },
            };
            self.skip_sp()?;
            if !matches!(self.peek()?, b'=' | b':') {
                return None;
            }
            self.pos += 1;
            self.skip_sp()?;
            let value = self.value(depth + 1)?;
            // hcl-edit accepts `a` and `"a"` in one object and keeps one of
            // them; rather than copy that, any repeated key goes to it.
            if map.contains_key(&key) {
                return None;
            }
            map.insert(key, value);
            self.skip_sp()?;
            match self.peek()? {
                b'}' => {
                    self.pos += 1;
                    return Some(Value::Object(map));
                }
                b',' => self.pos += 1,
                b'\n' | b'\r' => self.line_ending()?,
                b'#' | b'/' => {
                    if !(self.starts_with("#") || self.starts_with("//")) {
                        return None;
                    }
                    self.line_comment();
                    self.line_ending()?;
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::read_attributes;
    use crate::config::eval::literal_value;
    use hcl::Value;
    use hcl_edit::structure::Structure;

    /// What the hcl-edit path makes of a variable file that it parses and
    /// whose every value is a literal; `None` otherwise (a syntax error, a
    /// block, or a value that needs evaluating).
    fn slow(text: &str) -> Option<Vec<(String, Value)>> {
        let body = hcl_edit::parser::parse_body(text).ok()?;
        body.iter()
            .map(|s| match s {
                Structure::Attribute(a) => {
                    Some((a.key.as_str().to_string(), literal_value(&a.value)?))
                }
                Structure::Block(_) => None,
            })
            .collect()
    }

    /// Equal, and also written the same: `Number` compares 1 and 1.0 as
    /// equal, but they print differently, so compare the debug form too.
    fn same(a: &[(String, Value)], b: &[(String, Value)]) -> bool {
        a == b && format!("{a:?}") == format!("{b:?}")
    }

    /// The fast path either declines or agrees exactly with hcl-edit.
    #[track_caller]
    fn agrees(text: &str) -> bool {
        let Some(fast) = read_attributes(text) else {
            return false;
        };
        let slow = slow(text).unwrap_or_else(|| {
            panic!("fast path accepted what hcl-edit does not read as literals:\n{text:?}")
        });
        assert!(
            same(&fast, &slow),
            "values differ for {text:?}:\nfast {fast:?}\nslow {slow:?}"
        );
        true
    }

    const LITERAL: &[&str] = &[
        "",
        "\n\n",
        "# only a comment",
        "// only a comment\n/* and\n a block */\n",
        "a = \"x\"",
        "a = \"x\"\n",
        "a=\"x\"\nb=1\n",
        "  a   =   \"x\"   \n\n\n  b = true\n",
        "a = true\nb = false\nc = null\n",
        "a = \"\"\n",
        // Numbers: integers, negative, floats, exponents, beyond u64 and i64.
        "n = 0\n",
        "n = 42\n",
        "n = -7\n",
        "n = - 7\n",
        "n = -/* c */7\n",
        "n = -0\n",
        "n = 007\n",
        "n = 1.5\n",
        "n = -0.25\n",
        "n = 0.0\n",
        "n = -0.0\n",
        "n = 1e3\n",
        "n = 2.5E-3\n",
        "n = 1E+2\n",
        "n = 1.7976931348623157e308\n",
        "n = 18446744073709551615\n",
        "n = 18446744073709551616\n",
        "n = 100000000000000000000000000000\n",
        "n = -9223372036854775808\n",
        "n = -9223372036854775809\n",
        "n = -18446744073709551615\n",
        "n = [1, -1, 1.0, -1.0, 1e0]\n",
        // Escapes and characters.
        r#"s = "plain \"quoted\" back\\slash""#,
        r#"s = "line\nbreak\ttab\rcr""#,
        r#"s = "\u00e9\u0041\u00E9\u20ac""#,
        r#"s = "\u00e9f""#,
        "s = \"caf\u{e9} \u{1f600} \u{4e2d}\"\n",
        r#"s = "$ and % and $x and %d and {} and $""#,
        r#"s = "100%""#,
        r##"s = "# not a comment // nor /* this */""##,
        // Lists.
        "l = []\n",
        "l = [ ]\n",
        "l = [1]\n",
        "l = [1,]\n",
        "l = [1, 2, 3]\n",
        "l = [\n  1,\n  2,\n]\n",
        "l = [\n  1 # one\n  , 2 // two\n  /* three */, 3\n]\n",
        "l = [[1, [2]], [], [[]]]\n",
        "l = [\"a\", { k = \"v\" }, null, true]\n",
        // Objects: bare and quoted keys, = and :, commas and newlines.
        "o = {}\n",
        "o = { }\n",
        "o = {\n}\n",
        "o = { a = 1 }\n",
        "o = { a = 1, b = 2 }\n",
        "o = { a = 1, b = 2, }\n",
        "o = { a: 1, \"b\": 2 }\n",
        "o = { \"key with spaces\" = 1, \"\" = 2, \"caf\u{e9}\" = 3 }\n",
        "o = { key-with-dash = 1, _under = 2, x1 = 3 }\n",
        "o = {\n  a = 1\n  b = 2\n}\n",
        "o = {\n  a = 1,\n  b = 2,\n}\n",
        "o = {\n  a = 1 # one\n  b = 2 // two\n  c = 3 /* three */\n}\n",
        "o = {\n  # leading\n  a = 1\n\n\n  // between\n  b = 2\n}\n",
        "o = {\n  a = 1, b = 2\n  c = 3\n}\n",
        "o = { format = 1, forever = 2, if = 3, in = 4, nullable = 5, trueish = 6 }\n",
        "o = { z = 1, a = 2, m = 3 }\n",
        "o = { a = { b = { c = [1, { d = \"e\" }] } } }\n",
        "pages = {\n  support = { page_id = \"1001\", name = \"Support\", token = \"t\\\"k\" }\n  sales   = { page_id = \"1002\", name = \"Sales\",   token = \"tk2\" }\n}\n",
        // CRLF line endings.
        "a = 1\r\nb = { x = 1\r\n y = 2 }\r\n# c\r\n",
        "a = 1 # trailing comment without newline",
        "a = 1 // trailing\nb = 2 /* inline */\n",
        "a = 1 /* a comment\n spanning lines */\nb = 2\n",
        "\t a \t = \t 1 \t\n",
        "null = 1\ntrue = 2\n",
    ];

    #[test]
    fn literal_files_read_the_same_as_through_hcl_edit() {
        for text in LITERAL {
            assert!(
                agrees(text),
                "the fast path declined a literal file: {text:?}"
            );
        }
    }

    #[test]
    fn nested_literals_keep_their_order_and_types() {
        let attrs =
            read_attributes("m = {\n  b = [1, -2.5, \"x\"]\n  \"a\": { c = null }, d = true\n}\n")
                .unwrap();
        assert_eq!(attrs.len(), 1);
        let Value::Object(m) = &attrs[0].1 else {
            panic!("{attrs:?}")
        };
        assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a", "d"]);
        assert_eq!(
            m["b"],
            Value::Array(vec![Value::from(1u64), Value::from(-2.5), Value::from("x")])
        );
    }

    /// Valid HCL that is not a literal file, and invalid HCL: the fast path
    /// must leave every one to hcl-edit.
    const NOT_LITERAL: &[&str] = &[
        // Templates and escaped template markers.
        "s = \"${var.x}\"\n",
        "s = \"a${1}b\"\n",
        "s = \"%{ if true }x%{ endif }\"\n",
        "s = \"$${not}\"\n",
        "s = \"%%{not}\"\n",
        "o = { \"${k}\" = 1 }\n",
        // Heredocs.
        "s = <<EOT\nhello\nEOT\n",
        "s = <<-EOT\n  hello\n  EOT\n",
        // Function calls, arithmetic, references, other expressions.
        "s = upper(\"x\")\n",
        "s = provider::x::f(1)\n",
        "n = 1 + 2\n",
        "n = 2 * 3\n",
        "n = 1 - 1\n",
        "n = -x\n",
        "n = --1\n",
        "b = !true\n",
        "b = 1 == 1\n",
        "s = var.x\n",
        "s = local.y\n",
        "s = x\n",
        "o = { k = var.x }\n",
        "l = [var.x]\n",
        "n = true ? 1 : 2\n",
        "l = [for x in [1] : x]\n",
        "o = { for k, v in {} : k => v }\n",
        "n = [1][0]\n",
        "n = [1] [0]\n",
        "l = [\n  [1]\n  [0]\n]\n",
        "n = { b = 1 }.b\n",
        "n = (1)\n",
        "o = { (k) = 1 }\n",
        "o = { 1 = \"a\" }\n",
        "o = { true = 1 }\n",
        "o = { null = 1 }\n",
        "o = { for = 1 }\n",
        "o = { a.b = 1 }\n",
        "o = { a = 1 - 2 }\n",
        "l = [1 -2]\n",
        // Duplicate keys and attributes.
        "o = { k = 1, k = 2 }\n",
        "o = { k = 1, \"k\" = 2 }\n",
        "o = { \"k\" = 1, \"k\" = 2 }\n",
        "a = 1\na = 2\n",
        // Blocks.
        "b {}\n",
        "b \"x\" {\n  a = 1\n}\n",
        // Escapes beyond the simple ones, and raw control characters.
        "s = \"\\U0001F600\"\n",
        "s = \"\\x41\"\n",
        "s = \"\\u00\"\n",
        "s = \"\\ud800\"\n",
        "s = \"\\\"\n",
        "s = \"raw\nnewline\"\n",
        "s = \"raw\ttab\"\n",
        // Identifiers beyond ASCII.
        "caf\u{e9} = 1\n",
        "\u{e9}t\u{e9} = 1\n",
        "o = { caf\u{e9} = 1 }\n",
        "\u{feff}a = 1\n",
        // A lone carriage return.
        "a = 1\rb = 2\n",
        // Syntax errors.
        "a =\n",
        "a = \n1\n",
        "a\n",
        "a = 1 b = 2\n",
        "a = \"unterminated\n",
        "a = [1, 2\n",
        "a = [1 2]\n",
        "a = [,]\n",
        "a = [1,,]\n",
        "a = { k = 1\n",
        "a = { k = 1 j = 2 }\n",
        "a = { k = 1,, j = 2 }\n",
        "a = { k =\n 1 }\n",
        "a = { k\n = 1 }\n",
        "a = { k = 1 # c }\n",
        "a = { k = 1 / 2 }\n",
        "a = { k }\n",
        "a = 1.\n",
        "a = .5\n",
        "a = 1.e5\n",
        "a = 1e\n",
        "a = 1e+\n",
        "a = 1e999\n",
        "a = 1x\n",
        "a = 1_000\n",
        "a = truee\n",
        "a = 1 /* unterminated\n",
        "a = 1 / 2\n",
        "= 1\n",
        "1 = 1\n",
        "\"a\" = 1\n",
        "a: 1\n",
        "a = 1 }\n",
        "}\n",
    ];

    #[test]
    fn anything_else_is_left_to_hcl_edit() {
        let deep = format!("l = {}1{}\n", "[".repeat(40), "]".repeat(40));
        let deep_objects = format!("o = {}1{}\n", "{ a = ".repeat(40), " }".repeat(40));
        let cases = NOT_LITERAL
            .iter()
            .map(|s| s.to_string())
            // Nesting deeper than the reader goes.
            .chain([deep, deep_objects]);
        for text in cases {
            assert!(
                read_attributes(&text).is_none(),
                "the fast path accepted {text:?}"
            );
        }
        // The broken inputs above really are broken for hcl-edit too, so
        // the table tests declining rather than a quirk of the reference.
        for text in [
            "a = 1 b = 2\n",
            "a = [1 2]\n",
            "a = { k = 1 j = 2 }\n",
            "a = 1e\n",
        ] {
            assert!(hcl_edit::parser::parse_body(text).is_err(), "{text:?}");
        }
    }

    /// A realistic variable file, touching every construct the reader takes.
    const REALISTIC: &str = r#"# Pages managed by the support team.
pages = {
  support = { page_id = "100200300", name = "Support \"EU\"", token = "EAAB\u00e9x" }
  "sales-emea" = {
    page_id = "100200301"  # the EMEA page
    name    = "Sales EMEA"
    token   = "EAAC\\yz"
  },
  legacy: { page_id = "100200302", name = "Caf\u00e9 Legacy", token = "t" },
}

// Links to applications.
links = {
  support      = "c0ffee00-0000-4000-8000-000000000001"
  "sales-emea" = "c0ffee00-0000-4000-8000-000000000002"
}

/* Tuning knobs,
   kept literal. */
retries    = 3
backoff    = -1.5e-2
weights    = [1, 2.5, -3, 1e3,]
enabled    = true
missing    = null
tags       = ["a", "b\tc", "new\nline"]
limits     = { max = 18446744073709551615, min = -9223372036854775808 }
nested     = [[1, [2, { deep = [] }]], {}]
notes      = "50% off, $5 only"
empty_list = []
last       = "end" // no newline after this
"#;

    #[test]
    fn every_prefix_and_every_deletion_declines_or_agrees() {
        assert!(agrees(REALISTIC), "the whole file must take the fast path");
        let cuts: Vec<usize> = REALISTIC
            .char_indices()
            .map(|(i, _)| i)
            .chain([REALISTIC.len()])
            .collect();
        let (mut accepted, mut declined) = (0, 0);
        let mut count = |text: &str| {
            if agrees(text) {
                accepted += 1;
            } else {
                declined += 1;
            }
        };
        for &end in &cuts {
            count(&REALISTIC[..end]);
        }
        for pair in cuts.windows(2) {
            let text = format!("{}{}", &REALISTIC[..pair[0]], &REALISTIC[pair[1]..]);
            count(&text);
        }
        // Both outcomes happen many times, so neither side is vacuous.
        assert!(accepted > 100 && declined > 100, "{accepted} / {declined}");
    }

    #[test]
    fn every_single_character_insertion_declines_or_agrees() {
        let cuts: Vec<usize> = REALISTIC.char_indices().map(|(i, _)| i).collect();
        // Characters that change the meaning of HCL the most.
        for c in [
            '"', '{', '}', '[', ']', ',', '=', ':', '\n', '#', '/', '*', '-', '.', '$', '\\', '(',
        ] {
            for &at in cuts.iter().step_by(3) {
                let mut text = REALISTIC.to_string();
                text.insert(at, c);
                agrees(&text);
            }
        }
    }
}
