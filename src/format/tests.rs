use super::{format_source, unified_diff};

/// Formats `src`, checks idempotency on the way, and returns the result.
fn fmt(src: &str) -> String {
    let once = format_source(src).unwrap_or_else(|e| panic!("format failed: {e}\n{src}"));
    let twice = format_source(&once).expect("formatted output must parse");
    assert_eq!(twice, once, "not idempotent for input:\n{src}");
    once
}

/// Every comment of `src`, in order, as the lexer sees them (trimmed).
fn comments(src: &str) -> Vec<String> {
    super::lexer::tokenize(src)
        .iter()
        .filter(|t| t.is_comment())
        .map(|t| t.text.trim_end().to_string())
        .collect()
}

const REALISTIC: &str = r#"provider "vonage" {
  endpoint = "sandbox"
}
variable "support_token" {
    sensitive = true
  description="Page access token for Acme Support" # trailing comment
}
locals {
  support_bot = "c0ffee00-0000-4000-8000-000000000001"
  x = 1


  # a comment
  longer_name = "v"
}
page "support" {
  page_id = "107100000000001"
  name         = "Acme Support"        # optional
  access_token = var.support_token
  lifecycle {
  prevent_destroy = true
  }
}
"#;

const REALISTIC_FORMATTED: &str = r#"provider "vonage" {
  endpoint = "sandbox"
}
variable "support_token" {
  sensitive   = true
  description = "Page access token for Acme Support" # trailing comment
}
locals {
  support_bot = "c0ffee00-0000-4000-8000-000000000001"
  x           = 1

  # a comment
  longer_name = "v"
}
page "support" {
  page_id      = "107100000000001"
  name         = "Acme Support" # optional
  access_token = var.support_token
  lifecycle {
    prevent_destroy = true
  }
}
"#;

/// The configuration example of the contract, as a user would write it.
const CONTRACT_EXAMPLE: &str = r#"provider "vonage" {                  # optional block
  api_key    = var.api_key           # default: env VONAGE_API_KEY
  api_secret = var.api_secret        # default: env VONAGE_API_SECRET
  endpoint   = "https://api.nexmo.com"  # default: env VONAGE_ENDPOINT, else this
}                                       # "sandbox" = the built-in local emulator

variable "support_token" {
  sensitive   = true
  description = "Page access token for Acme Support"
}

# Part 2: the page linked to a Vonage application (one application per page).
link "support_bot" {
  page        = page.support.page_id
  application = local.support_bot
}

// Many pages from one block.
page "region" {
  for_each     = var.region_pages      # map: key => { page_id, token }
  page_id      = each.value.page_id
  access_token = each.value.token
  /* keep
     this */
}
"#;

const WITH_OBJECTS: &str = r#"variable "region_pages" {
  type = map(object({ page_id = string, token = string }))
  default = {
    emea = {
      page_id = "107100000000002"
      token = "t-emea" # secret in real life
    }
    apac = { page_id = "107100000000003", token = "t-apac" }
  }
}
locals {
  names = [
    "a",
    "b",
  ]
  greeting = "Hello, ${var.name}! { = }"
  pages = { for k, v in var.region_pages : k => v.page_id if v.page_id != "" }
}
"#;

#[test]
fn realistic_input_formats_as_terraform_would() {
    assert_eq!(fmt(REALISTIC), REALISTIC_FORMATTED);
}

#[test]
fn formatted_file_comes_back_byte_identical() {
    assert_eq!(
        format_source(REALISTIC_FORMATTED).unwrap(),
        REALISTIC_FORMATTED
    );
    let objects = fmt(WITH_OBJECTS);
    assert_eq!(format_source(&objects).unwrap(), objects);
}

#[test]
fn idempotent_on_realistic_files() {
    for src in [REALISTIC, CONTRACT_EXAMPLE, WITH_OBJECTS, HEREDOC_FILE] {
        let once = fmt(src);
        assert_eq!(format_source(&once).unwrap(), once);
    }
}

#[test]
fn comments_are_all_kept_in_order() {
    for src in [REALISTIC, CONTRACT_EXAMPLE, WITH_OBJECTS, HEREDOC_FILE] {
        let out = fmt(src);
        assert_eq!(comments(&out), comments(src), "output:\n{out}");
        assert!(!comments(src).is_empty());
    }
}

#[test]
fn trailing_comments_stay_on_their_line_and_align_in_runs() {
    let out = fmt(CONTRACT_EXAMPLE);
    let expected_head = r#"provider "vonage" {                    # optional block
  api_key    = var.api_key             # default: env VONAGE_API_KEY
  api_secret = var.api_secret          # default: env VONAGE_API_SECRET
  endpoint   = "https://api.nexmo.com" # default: env VONAGE_ENDPOINT, else this
}                                      # "sandbox" = the built-in local emulator
"#;
    assert!(out.starts_with(expected_head), "got:\n{out}");
    assert!(out.contains("  for_each     = var.region_pages # map: key => { page_id, token }\n"));
    // A multi-line block comment keeps its inner lines as written.
    assert!(out.contains("  /* keep\n     this */\n}\n"), "got:\n{out}");
}

#[test]
fn alignment_runs_are_broken_by_blank_lines_comments_blocks_and_multiline_values() {
    let src = r#"page "p" {
  a = 1
  bbb = 2

  cc = 3
  # note
  dddd = 4
  lifecycle {
    prevent_destroy = true
  }
  e = 5
  ffffff = {
    k = 1
  }
  g = 6
  hhhhhhh = <<EOT
text
EOT
  i = 7
}
"#;
    let expected = r#"page "p" {
  a   = 1
  bbb = 2

  cc = 3
  # note
  dddd = 4
  lifecycle {
    prevent_destroy = true
  }
  e = 5
  ffffff = {
    k = 1
  }
  g = 6
  hhhhhhh = <<EOT
text
EOT
  i = 7
}
"#;
    assert_eq!(fmt(src), expected);
}

#[test]
fn a_line_led_by_a_block_comment_does_not_stretch_the_run() {
    assert_eq!(
        fmt("/* lead */ a = 1\nbb = 2\nc = 3\n"),
        "/* lead */ a = 1\nbb = 2\nc  = 3\n"
    );
}

#[test]
fn nested_blocks_are_indented_two_spaces_per_level() {
    let src = "page \"a\" {\nlifecycle {\nprevent_destroy = true\n}\n}\nremoved {\n        from = page.old\n  lifecycle {\n      destroy = false\n        }\n   }\n";
    let expected = "page \"a\" {\n  lifecycle {\n    prevent_destroy = true\n  }\n}\nremoved {\n  from = page.old\n  lifecycle {\n    destroy = false\n  }\n}\n";
    assert_eq!(fmt(src), expected);
}

#[test]
fn multiline_objects_are_indented_and_their_items_aligned() {
    let out = fmt(WITH_OBJECTS);
    let expected = r#"variable "region_pages" {
  type = map(object({ page_id = string, token = string }))
  default = {
    emea = {
      page_id = "107100000000002"
      token   = "t-emea" # secret in real life
    }
    apac = { page_id = "107100000000003", token = "t-apac" }
  }
}
locals {
  names = [
    "a",
    "b",
  ]
  greeting = "Hello, ${var.name}! { = }"
  pages    = { for k, v in var.region_pages : k => v.page_id if v.page_id != "" }
}
"#;
    assert_eq!(out, expected);
}

#[test]
fn tuple_of_objects_closes_and_reopens_on_one_line() {
    let src = "locals {\nx = [\n{\na = 1\n}, {\nbb = 2\n},\n]\n}\n";
    let expected =
        "locals {\n  x = [\n    {\n      a = 1\n    }, {\n      bb = 2\n    },\n  ]\n}\n";
    assert_eq!(fmt(src), expected);
}

#[test]
fn blank_line_rules() {
    let src = "\n\n\nlocals {\n\n\n  a = 1\n\n\n\n  b = 2\n\n}\n\n\n\npage \"p\" {\n  page_id = \"1\"\n  access_token = \"t\"\n\n}\n\n\n";
    let expected = "locals {\n  a = 1\n\n  b = 2\n}\n\npage \"p\" {\n  page_id      = \"1\"\n  access_token = \"t\"\n}\n";
    assert_eq!(fmt(src), expected);
}

#[test]
fn file_ends_with_exactly_one_newline_and_has_no_trailing_whitespace() {
    let out = fmt("locals {   \n  a = 1   # c   \n}");
    assert_eq!(out, "locals {\n  a = 1 # c\n}\n");
    assert_eq!(
        fmt("locals {\n  a = 1\n}\n\n\n\n"),
        "locals {\n  a = 1\n}\n"
    );
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n\n  \n"), "");
}

#[test]
fn crlf_line_endings_become_lf() {
    assert_eq!(
        fmt("locals {\r\n  a = 1 # c\r\n}\r\n"),
        "locals {\n  a = 1 # c\n}\n"
    );
}

#[test]
fn block_headers_and_empty_blocks_are_compact() {
    assert_eq!(
        fmt("page   \"a\"    {\n  page_id=\"1\"\n}\nlocals {   }\nlocals {\n}\n"),
        "page \"a\" {\n  page_id = \"1\"\n}\nlocals {}\nlocals {\n}\n"
    );
    assert_eq!(
        fmt("page \"a\" {\n  lifecycle {prevent_destroy=true}\n}\n"),
        "page \"a\" {\n  lifecycle { prevent_destroy = true }\n}\n"
    );
}

const HEREDOC_FILE: &str = "locals {\n      script = <<EOT\n   keep   these   spaces   \n\n\n{ not = a block\n  EOT\n  other = <<-EOF\n    indented ${var.x}\n      EOF\n# end\n}\n";

#[test]
fn heredoc_bodies_are_untouched() {
    let out = fmt(HEREDOC_FILE);
    assert_eq!(
        out,
        "locals {\n  script = <<EOT\n   keep   these   spaces   \n\n\n{ not = a block\n  EOT\n  other = <<-EOF\n    indented ${var.x}\n      EOF\n  # end\n}\n"
    );
}

#[test]
fn strings_and_templates_are_kept_byte_for_byte() {
    let src = "locals {\n  a    =    \"  spaced  ${ \"in}ner\" }  =  \"\n  b = \"%{ if true }x%{ endif }\"\n}\n";
    let out = fmt(src);
    assert!(
        out.contains("\"  spaced  ${ \"in}ner\" }  =  \""),
        "got:\n{out}"
    );
    assert!(out.contains("\"%{ if true }x%{ endif }\""));
}

#[test]
fn expression_spacing_is_left_alone_except_around_assignments() {
    assert_eq!(
        fmt("locals {\n  a=var.x+1\n  b = [ 1,2 ]\n}\n"),
        "locals {\n  a = var.x+1\n  b = [ 1,2 ]\n}\n"
    );
}

#[test]
fn parse_error_reports_line_and_column() {
    // `@` is the 7th character of line 3.
    let err = format_source("locals {\n  a = 1\n  b = @\n}\n").unwrap_err();
    assert_eq!((err.line, err.column), (3, 7), "{err}");
    assert!(!err.message.is_empty());
    assert!(err.to_string().starts_with("3:7: "));

    // A missing `}` is reported at the end of the input (just past the
    // last character of line 2).
    let err = format_source("page \"x\" {\n  name = \"ok\"\n").unwrap_err();
    assert_eq!((err.line, err.column), (2, 15), "{err}");
}

#[test]
fn hostile_input_errors_instead_of_panicking() {
    let deep = format!("a = {}1{}\n", "[".repeat(5000), "]".repeat(5000));
    assert!(format_source(&deep).is_err());
    let deep_blocks = format!("{}{}", "b {\n".repeat(3000), "}\n".repeat(3000));
    // The parser's nesting limit (64) stops it before anything recurses deeply.
    assert_eq!(format_source(&deep_blocks).unwrap_err().line, 65);
    let deep_templates = format!("a = {}1{}\n", "\"${".repeat(5000), "}\"".repeat(5000));
    assert!(format_source(&deep_templates).is_err());
    for junk in [
        "\"",
        "<<EOT\n",
        "/*",
        "{{{",
        "a = \"${",
        "\u{feff}x = 1",
        "a = 1 }",
    ] {
        assert!(format_source(junk).is_err(), "{junk:?} should be rejected");
    }
}

#[test]
fn unified_diff_shows_changed_lines_and_is_empty_for_equal_input() {
    let diff = unified_diff("main.hcl", REALISTIC, REALISTIC_FORMATTED);
    assert!(
        diff.starts_with("--- a/main.hcl\n+++ b/main.hcl\n@@ "),
        "{diff}"
    );
    assert!(diff.contains("\n-    sensitive = true\n"));
    assert!(diff.contains("\n+  sensitive   = true\n"));
    assert!(
        !diff.contains("\n-provider"),
        "unchanged lines are context only"
    );
    assert_eq!(unified_diff("main.hcl", REALISTIC, REALISTIC), "");
}

/// Cheap fuzzing: every prefix and every one-character deletion of the
/// sample files either is rejected as a parse error or formats idempotently
/// without tripping the meaning-preservation check.
#[test]
fn mutated_inputs_never_panic_and_stay_idempotent() {
    let mut checked = 0;
    for src in [REALISTIC, CONTRACT_EXAMPLE, WITH_OBJECTS, HEREDOC_FILE] {
        let cuts: Vec<usize> = src.char_indices().map(|(i, _)| i).collect();
        for &i in &cuts {
            let next = src[i..].chars().next().map_or(0, char::len_utf8);
            let deleted = format!("{}{}", &src[..i], &src[i + next..]);
            for input in [&src[..i], deleted.as_str()] {
                match format_source(input) {
                    Ok(out) => {
                        checked += 1;
                        assert_eq!(format_source(&out).as_ref(), Ok(&out), "input:\n{input}");
                    }
                    Err(e) => assert!(!e.message.starts_with("internal"), "{e}\n{input}"),
                }
            }
        }
    }
    // Make sure the loop exercised the formatter, not only the parser.
    assert!(checked > 100, "only {checked} inputs parsed");
}
