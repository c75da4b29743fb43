//! `--format markdown|github|json` on the commands teams review in CI: the
//! Markdown report read back with a real CommonMark parser, GitHub's
//! workflow commands and job summary, and JSON documents that never leave
//! stdout empty, whatever failed.

use crate::support::*;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};

const TOKEN: &str = "EAAB-formats-token-1";
const ROTATED: &str = "EAAB-formats-token-2";

/// Two pages, the first linked: `name` for the first page's name, `app`
/// for its link, and the second page present or not.
fn config(name: &str, app: &str, with_sales: bool) -> String {
    let mut text = format!(
        r#"variable "token" {{
  sensitive = true
}}

page "support" {{
  page_id      = "107100000000001"
  name         = "{name}"
  access_token = var.token
}}

link "bot" {{
  page        = page.support.page_id
  application = "{app}"
}}
"#
    );
    if with_sales {
        text.push_str(
            r#"
page "sales" {
  page_id      = "107100000000002"
  name         = "Acme Sales"
  access_token = var.token
}
"#,
        );
    }
    text
}

fn applied(sandbox: &Sandbox) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_token", TOKEN);
    project.write("main.hcl", &config("Acme Support", APP1, true));
    Test::on(&project)
        .args(["apply", "--auto-approve"])
        // The two connects run at once: progress in the order they run.
        .sort_after("Plan: ")
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.sales will be connected
                (not in state)
              + page.sales {
                  + page_id      = "107100000000002"
                  + name         = "Acme Sales"
                  + access_token = (sensitive value)
                }

              # page.support will be connected
                (not in state)
              + page.support {
                  + page_id      = "107100000000001"
                  + name         = "Acme Support"
                  + access_token = (sensitive value)
                }

              # link.bot will be linked
                (not in state)
              + link.bot {
                  + page        = "107100000000001"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.sales)
                2. POST   /beta/chatapp-accounts/messenger  (page.support, link.bot)

            Plan: 2 to connect, 1 to link. API calls: 2
            page.sales: POST /beta/chatapp-accounts/messenger ...
            page.sales: done [T]
            page.support, link.bot: POST /beta/chatapp-accounts/messenger ...
            page.support, link.bot: done [T]

            Apply complete! 2 connected, 1 linked. API calls: 2
            "#,
        )
        .requests(&[
            "POST /beta/chatapp-accounts/messenger",
            "POST /beta/chatapp-accounts/messenger",
        ])
        .run();
    project
}

/// The 1-based line of the first line of `text` that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix:?}"))
        + 1
}

/// What a CommonMark parser (with GitHub's tables) finds in a report.
#[derive(Debug, Default)]
struct Parsed {
    headings: Vec<String>,
    paragraphs: Vec<String>,
    /// Body rows of every table, as their cells' text.
    rows: Vec<Vec<String>>,
    /// Fenced code blocks: (info string, content).
    fences: Vec<(String, String)>,
    /// Raw HTML, block and inline.
    html: Vec<String>,
}

fn parse(markdown: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut text = String::new();
    let mut row: Option<Vec<String>> = None;
    let mut fence: Option<(String, String)> = None;
    let mut in_head = false;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. } | Tag::Paragraph | Tag::TableCell) => text.clear(),
            Event::End(TagEnd::Heading(_)) => parsed.headings.push(text.clone()),
            Event::End(TagEnd::Paragraph) => parsed.paragraphs.push(text.clone()),
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) if !in_head => row = Some(Vec::new()),
            Event::End(TagEnd::TableCell) => {
                if let Some(row) = row.as_mut() {
                    row.push(text.clone());
                }
            }
            Event::End(TagEnd::TableRow) => parsed.rows.extend(row.take()),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                fence = Some((info.to_string(), String::new()))
            }
            Event::End(TagEnd::CodeBlock) => parsed.fences.extend(fence.take()),
            Event::Text(t) | Event::Code(t) => match fence.as_mut() {
                Some((_, content)) => content.push_str(&t),
                None => text.push_str(&t),
            },
            Event::Html(h) | Event::InlineHtml(h) => parsed.html.push(h.to_string()),
            _ => {}
        }
    }
    parsed
}

/// Every line of the human view is in the diff block, with the diff marker
/// (if any) in the first column in place of a space.
fn assert_human_view_in(fence: &str, human: &str) {
    let fenced: Vec<&str> = fence.lines().collect();
    let lines: Vec<&str> = human.lines().collect();
    assert_eq!(fenced.len(), lines.len(), "{fence}\n---\n{human}");
    for (fenced, line) in fenced.iter().zip(&lines) {
        if fenced != line {
            assert!(
                matches!(fenced.chars().next(), Some('+' | '-' | '!')) && line.starts_with(' '),
                "{fenced:?} vs {line:?}"
            );
            assert_eq!(fenced[1..], line[1..]);
        }
    }
}

#[test]
fn the_markdown_plan_has_a_table_row_per_change_a_warning_and_the_full_plan_folded() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    // Rename the first page, move its link to another application, drop the
    // second page.
    project.write("main.hcl", &config("Acme Help", APP2, false));

    let human = Test::on(&project)
        .args(["plan"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.sales will be disconnected
                (not in configuration)
              - page.sales {
                  - page_id = "107100000000002"
                  - name    = "Acme Sales"
                }

              # page.support will be updated in place
                (name changed)
              ~ page.support {
                  ~ name = "Acme Support" -> "Acme Help"
                }

              # link.bot will be relinked to another application
                (application changed in configuration)
              ~ link.bot {
                  ~ application = "c0ffee00-0000-4000-8000-000000000001" -> "c0ffee00-0000-4000-8000-000000000002"
                }

            API calls, in order:
                1. DELETE /beta/chatapp-accounts/messenger/107100000000002  (page.sales)
                2. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)
                3. DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001  (link.bot)
                4. POST   /beta/chatapp-accounts/messenger/107100000000001/applications  (link.bot)

            Plan: 1 to update, 1 to disconnect, 1 to relink. API calls: 4
            "#,
        )
        .requests(&[])
        .run();
    let run = Test::on(&project)
        .args(["plan", "--format", "markdown"])
        .stdout(
            r#"
            <!-- socialform:plan -->
            ### socialform plan

            **Plan: 1 to update, 1 to disconnect, 1 to relink. API calls: 4**

            ⚠️ **Attention:** 1 page will be disconnected: `page.sales`; 1 link will be unlinked from its application and relinked to another: `link.bot`.

            | Action | Resource | Why |
            |---|---|---|
            | disconnect | `page.sales` | not in configuration |
            | update | `page.support` | name changed |
            | relink | `link.bot` | application changed in configuration |

            <details><summary>Full plan (3 changes, 4 API calls)</summary>

            ```diff
            socialform will perform the following actions:

              # page.sales will be disconnected
                (not in configuration)
            - - page.sales {
            -     - page_id = "107100000000002"
            -     - name    = "Acme Sales"
                }

              # page.support will be updated in place
                (name changed)
            ! ~ page.support {
            !     ~ name = "Acme Support" -> "Acme Help"
                }

              # link.bot will be relinked to another application
                (application changed in configuration)
            ! ~ link.bot {
            !     ~ application = "c0ffee00-0000-4000-8000-000000000001" -> "c0ffee00-0000-4000-8000-000000000002"
                }

            API calls, in order:
                1. DELETE /beta/chatapp-accounts/messenger/107100000000002  (page.sales)
                2. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)
                3. DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001  (link.bot)
                4. POST   /beta/chatapp-accounts/messenger/107100000000001/applications  (link.bot)

            Plan: 1 to update, 1 to disconnect, 1 to relink. API calls: 4
            ```

            </details>
            "#,
        )
        .requests(&[])
        .run();
    let report = parse(&run.stdout);

    assert_eq!(report.headings, vec!["socialform plan"]);
    let closing = human.stdout.lines().last().unwrap();
    assert_eq!(
        closing,
        "Plan: 1 to update, 1 to disconnect, 1 to relink. API calls: 4"
    );
    assert_eq!(
        report.paragraphs[0], closing,
        "the same counts as the human view"
    );
    let warning = report
        .paragraphs
        .iter()
        .find(|p| p.starts_with("⚠️"))
        .expect("a ⚠️ line");
    assert!(warning.contains("page.sales"), "{warning}");
    assert!(warning.contains("link.bot"), "{warning}");
    assert!(
        !warning.contains("page.support"),
        "a rename is harmless: {warning}"
    );

    assert_eq!(
        report.rows,
        vec![
            vec!["disconnect", "page.sales", "not in configuration"],
            vec!["update", "page.support", "name changed"],
            vec!["relink", "link.bot", "application changed in configuration"],
        ]
        .into_iter()
        .map(|r| r.into_iter().map(String::from).collect::<Vec<_>>())
        .collect::<Vec<_>>(),
    );

    assert!(
        report.html.iter().any(|h| h.contains("<details>")),
        "{:?}",
        report.html
    );
    assert!(
        report.html.iter().any(|h| h.contains("</details>")),
        "{:?}",
        report.html
    );
    assert_eq!(report.fences.len(), 1);
    let (info, content) = &report.fences[0];
    assert_eq!(info, "diff");
    assert_human_view_in(content, &human.stdout);
    assert!(content.contains("\n- - page.sales {\n"), "{content}");
    assert!(content.contains("\n! ~ link.bot {\n"), "{content}");
    assert!(run.stdout.chars().count() <= 65_000);
    assert!(run.stdout.contains("page.support"));
    assert!(!run.stdout.contains(TOKEN));
}

#[test]
fn three_thousand_changes_stay_under_65000_characters_and_say_what_was_left_out() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_token", TOKEN);
    // 2,997 pages, every 1,000th linked: 3,000 changes.
    let ids: Vec<String> = (0..2_997).map(page_id).collect();
    project.write("main.hcl", &fleet_config(&ids, true, 1_000));
    let run = Test::on(&project)
        .args(["plan", "--format", "markdown", "--out", "big.plan"])
        .stdout_file("tests/it/expected/three_thousand_changes.md")
        .run();
    let length = run.stdout.chars().count();
    assert!(length <= 65_000, "{length} characters");
    assert!(length > 50_000, "uses the room it has: {length} characters");

    let report = parse(&run.stdout);
    let rows = report.rows.len();
    assert!(rows > 0 && rows < 3_000, "{rows} rows");
    let cut = report
        .paragraphs
        .iter()
        .find(|p| p.starts_with("✂️"))
        .expect("a line saying what was cut");
    let left_out = format!(
        "{} of 3,000 changes are left out of the table",
        thousands(3_000 - rows)
    );
    assert!(cut.contains(&left_out), "{cut}\nexpected: {left_out}");
    assert!(cut.contains("socialform -C"), "{cut}");
    assert!(cut.contains("show big.plan shows them all"), "{cut}");
    // Still a well-formed report: one folded diff block, closed.
    assert!(report.html.iter().any(|h| h.contains("</details>")));
    assert_eq!(report.fences.len(), 1);
    assert_eq!(report.fences[0].0, "diff");
    assert!(report.fences[0].1.contains("… cut here: "));
}

fn thousands(n: usize) -> String {
    if n >= 1_000 {
        format!("{},{:03}", n / 1_000, n % 1_000)
    } else {
        n.to_string()
    }
}

/// The dashboard-side changes: rename the first page, unlink it, and
/// disconnect the second.
fn drift_by_hand(sandbox: &Sandbox) {
    let page = format!("{ACCOUNTS}/messenger/107100000000001");
    let path = format!("{page}/applications/{APP1}");
    assert_eq!(sandbox.api("DELETE", &path, None).0, 204);
    let (status, _) = sandbox.api("PATCH", &page, Some(json!({"name": "Renamed by hand"})));
    assert_eq!(status, 200);
    let sales = format!("{ACCOUNTS}/messenger/107100000000002");
    assert_eq!(sandbox.api("DELETE", &sales, None).0, 204);
}

#[test]
fn github_annotations_point_at_each_drifted_block_and_the_summary_is_appended() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    drift_by_hand(&sandbox);
    let text = config("Acme Support", APP1, true);
    let support = line_of(&text, "page \"support\"");
    let bot = line_of(&text, "link \"bot\"");
    let sales = line_of(&text, "page \"sales\"");
    let summary = project.path().join("summary.md");
    std::fs::write(&summary, "## an earlier step\n").unwrap();
    let workspace = project.path().display().to_string();

    let run = Test::on(&project)
        .args(["drift", "--format", "github"])
        .env("GITHUB_WORKSPACE", &workspace)
        .env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
        .status(2)
        .stdout(&format!(
            r#"
            Drift: 3 change(s) made outside socialform
              # page.sales was disconnected
              # page.support: name changed from "Acme Support" to "Renamed by hand"
              # link.bot was unlinked (expected application {APP1})

            note: page tokens not checked with Facebook (no Facebook credentials: FACEBOOK_USER_TOKEN or a provider "facebook" block)

            Drift detected: 3 drifted, 0 unmanaged, 3 managed.
            ::warning file=main.hcl,line={sales},col=6,title=socialform drift%3A page_id deleted::page.sales was disconnected
            ::warning file=main.hcl,line={support},col=6,title=socialform drift%3A name changed::page.support: name changed from "Acme Support" to "Renamed by hand"
            ::warning file=main.hcl,line={bot},col=6,title=socialform drift%3A application deleted::link.bot was unlinked (expected application {APP1})
            "#
        ))
        .run();
    assert!(!run.stdout.contains(TOKEN));

    let after_one = std::fs::read_to_string(&summary).unwrap();
    assert!(
        after_one.starts_with("## an earlier step\n\n<!-- socialform:drift -->\n"),
        "{after_one}"
    );
    let report = parse(&after_one);
    assert_eq!(report.headings, vec!["an earlier step", "socialform drift"]);
    assert_eq!(report.rows.len(), 3);
    assert!(report.paragraphs.iter().any(|p| p.starts_with("⚠️")));

    // A second step appends again; nothing is overwritten.
    Test::on(&project)
        .args(["plan", "--format", "github"])
        .env("GITHUB_WORKSPACE", &workspace)
        .env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
        .stdout(
            r#"
            Note: objects have changed outside of socialform

              # page.sales was disconnected
              # page.support: name changed from "Acme Support" to "Renamed by hand"
              # link.bot was unlinked (expected application c0ffee00-0000-4000-8000-000000000001)

            socialform will perform the following actions:

              # page.sales will be connected
                (disconnected outside socialform; connecting it again)
              + page.sales {
                  + page_id      = "107100000000002"
                  + name         = "Acme Sales"
                  + access_token = (sensitive value)
                }

              # page.support will be updated in place
                (name changed outside socialform)
              ~ page.support {
                  ~ name = "Renamed by hand" -> "Acme Support"
                }

              # link.bot will be linked
                (unlinked outside socialform)
              + link.bot {
                  + page        = "107100000000001"
                  + application = "c0ffee00-0000-4000-8000-000000000001"
                }

            API calls, in order:
                1. POST   /beta/chatapp-accounts/messenger  (page.sales)
                2. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)
                3. POST   /beta/chatapp-accounts/messenger/107100000000001/applications  (link.bot)

            Plan: 1 to connect, 1 to update, 1 to link. API calls: 3
            ::warning file=main.hcl,line=16,col=6,title=socialform plan%3A connect::page.sales: will be connected (disconnected outside socialform; connecting it again)
            ::warning file=main.hcl,line=5,col=6,title=socialform plan%3A update::page.support: will be updated in place (name changed outside socialform)
            ::warning file=main.hcl,line=11,col=6,title=socialform plan%3A link::link.bot: will be linked (unlinked outside socialform)
            "#,
        )
        .requests(&[])
        .run();
    let after_two = std::fs::read_to_string(&summary).unwrap();
    assert!(after_two.starts_with(&after_one), "{after_two}");
    assert_eq!(
        parse(&after_two).headings,
        vec!["an earlier step", "socialform drift", "socialform plan"]
    );
}

#[test]
fn github_plan_annotations_and_errors_carry_file_and_line() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    project.write("main.hcl", &config("Acme Help", APP1, true));
    let workspace = project.path().display().to_string();
    let run = Test::on(&project)
        .args(["plan", "--format", "github"])
        .env("GITHUB_WORKSPACE", &workspace)
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support will be updated in place
                (name changed)
              ~ page.support {
                  ~ name = "Acme Support" -> "Acme Help"
                }

            API calls, in order:
                1. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)

            Plan: 1 to update. API calls: 1
            ::warning file=main.hcl,line=5,col=6,title=socialform plan%3A update::page.support: will be updated in place (name changed)
            "#,
        )
        .requests(&[])
        .run();
    let line = line_of(&config("x", APP1, true), "page \"support\"");
    assert!(
        run.stdout.ends_with(&format!(
            "Plan: 1 to update. API calls: 1\n::warning file=main.hcl,line={line},col=6,title=socialform plan%3A update::page.support: will be updated in place (name changed)\n"
        )),
        "{}",
        run.stdout
    );

    // A configuration error: `::error` at its place, the error on stderr as always.
    project.write("broken.hcl", "page \"x\" {\n  page_id = 12\n}\n");
    let run = Test::on(&project)
        .args(["plan", "--format", "github"])
        .env("GITHUB_WORKSPACE", &workspace)
        .status(1)
        .stdout(
            r#"
            ::error file=broken.hcl,line=2,col=13,title=socialform plan failed::page_id must be a string, got number%0Aquote it: page IDs are strings of digits, e.g. page_id = "107100000000001"
            "#,
        )
        .stderr(
            r#"
            error: [DIR]/broken.hcl:2:13: page_id must be a string, got number
              |
            2 |   page_id = 12
              |             ^^
              |
              = help: quote it: page IDs are strings of digits, e.g. page_id = "107100000000001"
            "#,
        )
        .run();
    assert!(
        run.stdout.starts_with("::error file=broken.hcl,line="),
        "{}",
        run.stdout
    );
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
}

/// The JSON error document's shape, and its kind.
fn assert_error_document(run: &Run, kind: &str, what: &str) -> Value {
    assert_eq!(
        run.code, 1,
        "{what}: exit code\n{}\n{}",
        run.stdout, run.stderr
    );
    let document: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: stdout is not one JSON document ({e}): {:?}",
            run.stdout
        )
    });
    assert_eq!(document["format_version"], "1.0", "{what}");
    assert!(
        document["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{what}: {document}"
    );
    assert_eq!(document["error_kind"], kind, "{what}: {document}");
    let diagnostics = document["diagnostics"].as_array().unwrap();
    assert!(!diagnostics.is_empty(), "{what}: {document}");
    for diagnostic in diagnostics {
        assert_eq!(diagnostic["severity"], "error", "{what}");
        assert!(diagnostic["summary"].is_string(), "{what}");
        assert!(diagnostic["detail"].is_string(), "{what}");
        assert!(diagnostic.get("address").is_some(), "{what}");
        assert!(diagnostic.get("range").is_some(), "{what}");
    }
    assert!(
        !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
        "{what}"
    );
    document
}

#[test]
fn every_json_command_prints_a_document_on_a_configuration_error() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    let broken = "page \"x\" {\n  page_id      = \"1\"\n  access_token = var.missing\n}\n";
    project.write("broken.hcl", broken);
    let commands: &[&[&str]] = &[
        &["plan", "--json"],
        &["plan", "--format", "json"],
        &["plan", "-json"],
        &["apply", "--json", "--auto-approve"],
        &["destroy", "--json", "--auto-approve"],
        &["drift", "--json"],
        &["validate", "--json"],
        &["import", "page.support", "107100000000001", "--json"],
    ];
    let diagnostic = json!({
        "address": null,
        "detail": "declare it with `variable \"missing\" {}`",
        "range": {
            "filename": "[DIR]/broken.hcl",
            "start": {"column": 18, "line": 3}
        },
        "severity": "error",
        "summary": "unknown variable `var.missing`"
    });
    let error = "[DIR]/broken.hcl:3:18: unknown variable `var.missing`";
    for args in commands {
        let test = Test::on(&project).args(*args).status(1).requests(&[]);
        // validate's document is its report, with the error's help and
        // counts; the others say it on stderr as well.
        let test = if args[0] == "validate" {
            let mut diagnostic = diagnostic.clone();
            diagnostic["help"] = diagnostic["detail"].clone();
            test.stdout_json(json!({
                "diagnostics": [diagnostic],
                "error": error,
                "error_count": 1,
                "error_kind": "configuration",
                "format_version": "1.0",
                "valid": false
            }))
        } else {
            test.stdout_json(json!({
                "diagnostics": [diagnostic],
                "error": error,
                "error_kind": "configuration",
                "format_version": "1.0"
            }))
            .stderr(
                r#"
                error: [DIR]/broken.hcl:3:18: unknown variable `var.missing`
                  |
                3 |   access_token = var.missing
                  |                  ^^^^^^^^^^^
                  |
                  = help: declare it with `variable "missing" {}`
                "#,
            )
        };
        let run = test.run();
        let document = assert_error_document(&run, "configuration", &args.join(" "));
        let range = &document["diagnostics"][0]["range"];
        assert!(
            range["filename"].as_str().unwrap().ends_with("broken.hcl"),
            "{args:?}: {document}"
        );
        assert_eq!(range["start"]["line"], 3, "{args:?}: {document}");
        assert!(range["start"]["column"].as_u64().unwrap() > 1, "{document}");
    }
    // The state commands and show read no resource blocks: their
    // configuration is the backend block.
    project.remove("broken.hcl");
    project.write(
        "backend.hcl",
        "backend \"postgres\" {\n  state_name = var.nowhere\n}\n",
    );
    let commands: &[&[&str]] = &[
        &["state", "list", "--json"],
        &["state", "show", "page.support", "--json"],
        &["state", "rm", "page.support", "--json"],
        &["state", "mv", "page.support", "page.help", "--json"],
        &["state", "pull"],
        &["state", "push", "nothing.json", "--json"],
        &["state", "migrate", "--json"],
        &["history", "--json"],
    ];
    for args in commands {
        let run = Test::on(&project)
            .args(*args)
            .status(1)
            .stdout_json(json!({
                "diagnostics": [
                    {
                        "address": null,
                        "detail": "declare it with `variable \"nowhere\" {}`",
                        "range": {
                            "filename": "[DIR]/backend.hcl",
                            "start": {
                                "column": 16,
                                "line": 2
                            }
                        },
                        "severity": "error",
                        "summary": "unknown variable `var.nowhere`"
                    }
                ],
                "error": "[DIR]/backend.hcl:2:16: unknown variable `var.nowhere`",
                "error_kind": "configuration",
                "format_version": "1.0"
            }))
            .stderr(
                r#"
                error: [DIR]/backend.hcl:2:16: unknown variable `var.nowhere`
                  |
                2 |   state_name = var.nowhere
                  |                ^^^^^^^^^^^
                  |
                  = help: declare it with `variable "nowhere" {}`
                "#,
            )
            .requests(&[])
            .run();
        let document = assert_error_document(&run, "configuration", &args.join(" "));
        assert_eq!(
            document["diagnostics"][0]["range"]["start"]["line"], 2,
            "{args:?}"
        );
    }
    project.remove("backend.hcl");
    // `show` reads no configuration: a plan file that is not one.
    project.write("not.plan", "{}");
    for args in [
        &["show", "not.plan", "--json"][..],
        &["show", "not.plan", "--format", "json"],
    ] {
        let run = Test::on(&project)
            .args(args)
            .status(1)
            .stdout_json(json!({
                "diagnostics": [
                    {
                        "address": null,
                        "detail": "",
                        "range": null,
                        "severity": "error",
                        "summary": "[DIR]/not.plan is not a socialform plan file (missing field `format` at line 1 column 2); make one with `socialform plan --out FILE`"
                    }
                ],
                "error": "[DIR]/not.plan is not a socialform plan file (missing field `format` at line 1 column 2); make one with `socialform plan --out FILE`",
                "error_kind": "error",
                "format_version": "1.0"
            }))
            .stderr(
                r#"
                error: [DIR]/not.plan is not a socialform plan file (missing field `format` at line 1 column 2); make one with `socialform plan --out FILE`
                "#,
            )
            .run();
        assert_error_document(&run, "error", &args.join(" "));
    }
    // Even wrong arguments.
    let run = Test::on(&project)
        .args(["plan", "--json", "--parallelism", "0"])
        .status(1)
        .stdout_json(json!({
            "diagnostics": [
                {
                    "address": null,
                    "detail": "",
                    "range": null,
                    "severity": "error",
                    "summary": "invalid value '0' for '--parallelism <N>': 0 is not in 1..=256"
                }
            ],
            "error": "invalid value '0' for '--parallelism <N>': 0 is not in 1..=256",
            "error_kind": "error",
            "format_version": "1.0"
        }))
        .stderr(
            r#"
            error: invalid value '0' for '--parallelism <N>': 0 is not in 1..=256

            For more information, try '--help'.
            "#,
        )
        .run();
    assert_error_document(&run, "error", "bad flag");
}

#[test]
fn every_json_command_prints_a_document_when_the_api_is_unreachable() {
    let sandbox = Sandbox::start();
    let url = sandbox.url.clone();
    let project = applied(&sandbox);
    // Nothing in state yet: an import goes to the API.
    let mut fresh = Project::against(&sandbox);
    fresh.env("SF_VAR_token", TOKEN);
    fresh.write("main.hcl", &config("Acme Support", APP1, true));
    drop(sandbox);
    let refused = "client error (Connect): tcp connect error: Connection refused (os error 111)";
    for (project, args, failed) in [
        (&project, &["plan", "--json"][..], None),
        (&project, &["apply", "--json", "--auto-approve"], None),
        (&project, &["destroy", "--json", "--auto-approve"], None),
        (&project, &["drift", "--json"], None),
        (
            &fresh,
            &["import", "page.support", "107100000000001", "--json"],
            Some((
                "could not read page 107100000000001",
                "[SANDBOX]/beta/chatapp-accounts/messenger/107100000000001",
            )),
        ),
    ] {
        let mut args = args.to_vec();
        args.extend(["--max-retries", "0"]);
        // A refresh reads the pages and the applications at once: which
        // refused connection it reports first is a race, so both read
        // `[A REFRESH READ]`.
        let (what, request) = failed.unwrap_or((
            "could not read the remote side (refresh)",
            "[A REFRESH READ]",
        ));
        let summary = format!(
            "could not reach the API: [SANDBOX] (endpoint set by VONAGE_ENDPOINT): \
             error sending request for url ({request}): {refused}"
        );
        let run = Test::on(project)
            .args(&args)
            .replace(
                &format!("{url}/v2/applications?page_size=100&page=1"),
                "[A REFRESH READ]",
            )
            .replace(
                &format!("{url}/beta/chatapp-accounts?page_number=1&page_size=100"),
                "[A REFRESH READ]",
            )
            .status(1)
            .stdout_json(json!({
                "diagnostics": [{
                    "address": null,
                    "detail": "",
                    "range": null,
                    "severity": "error",
                    "summary": summary
                }],
                "error": format!("{what}: {summary}"),
                "error_kind": "api",
                "format_version": "1.0"
            }))
            .stderr(&format!("error: {what}: {summary}\n"))
            .run();
        let document = assert_error_document(&run, "api", &args.join(" "));
        assert!(
            document["error"]
                .as_str()
                .unwrap()
                .contains("could not reach the API"),
            "{document}"
        );
    }
}

/// Facebook's Graph API unreachable is an API failure too (issue 26, item
/// 13): `error_kind` says `api`, as the README lists, not `error`.
#[test]
fn an_unreachable_graph_endpoint_is_an_api_error_in_json() {
    let sandbox = Sandbox::start();
    let mut project = Project::against(&sandbox);
    // Nothing listens on port 9 of loopback.
    project.env("FACEBOOK_GRAPH_ENDPOINT", "http://127.0.0.1:9");
    project.env("FACEBOOK_USER_TOKEN", "EAAuser0123456789");
    project.write(
        "main.hcl",
        "provider \"facebook\" {}\n\npage \"support\" {\n  page_id = \"107100000000001\"\n}\n",
    );
    for args in [
        &["plan", "--json", "--max-retries", "0"][..],
        &["tokens", "--json", "--max-retries", "0"][..],
    ] {
        let run = project.run(args);
        let document = assert_error_document(&run, "api", &args.join(" "));
        assert!(
            document["error"]
                .as_str()
                .unwrap()
                .contains("http://127.0.0.1:9"),
            "{document}"
        );
    }
}

/// A slow apply that holds the state's lock until killed.
fn hold_the_lock(project: &Project, sandbox_url: &str) -> Child {
    let child = Command::new(bin())
        .args([
            "-C",
            project.path().to_str().unwrap(),
            "apply",
            "--auto-approve",
            "--parallelism",
            "1",
        ])
        .env("VONAGE_ENDPOINT", sandbox_url)
        .env("VONAGE_API_KEY", "sandbox")
        .env("VONAGE_API_SECRET", "sandbox")
        .env("SF_VAR_token", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    project.wait_for_lock_holder();
    child
}

#[test]
fn every_json_command_prints_a_document_when_the_lock_is_held() {
    let sandbox = Sandbox::start_with(&["--latency-ms", "300"]);
    let mut project = Project::against(&sandbox);
    project.env("SF_VAR_token", TOKEN);
    let ids: Vec<String> = (0..60).map(page_id).collect();
    project.write("main.hcl", &fleet_config(&ids, false, 1_000));
    project.write(
        "pushed.json",
        r#"{"format_version": "1.0", "lineage": "x", "serial": 1, "pages": [], "links": []}"#,
    );
    let mut holder = hold_the_lock(&project, &sandbox.url);
    for args in [
        &["plan", "--json"][..],
        &["apply", "--json", "--auto-approve"],
        &["destroy", "--json", "--auto-approve"],
        &["drift", "--json"],
        &["import", "page.p1", &page_id(1), "--json"],
        &["state", "rm", "page.p0", "--json"],
        &["state", "mv", "page.p0", "page.q0", "--json"],
        &["state", "push", "pushed.json", "--json"],
    ] {
        let run = Test::on(&project)
            .args(args)
            .replace(&format!("pid {}", holder.id()), "pid [PID]")
            .status(1)
            .stdout_json(json!({
                "diagnostics": [
                    {
                        "address": null,
                        "detail": "lock file: [DIR]/state/lock",
                        "range": null,
                        "severity": "error",
                        "summary": "state is locked by pid [PID] (socialform apply, since [TIME], [WHO]); wait for it to finish or pass --lock-timeout 30s (lock file: [DIR]/state/lock)"
                    }
                ],
                "error": "state is locked by pid [PID] (socialform apply, since [TIME], [WHO]); wait for it to finish or pass --lock-timeout 30s (lock file: [DIR]/state/lock)",
                "error_kind": "lock_held",
                "format_version": "1.0"
            }))
            .stderr(
                r#"
                error: state is locked by pid [PID] (socialform apply, since [TIME], [WHO]); wait for it to finish or pass --lock-timeout 30s (lock file: [DIR]/state/lock)
                "#,
            )
            .run();
        let document = assert_error_document(&run, "lock_held", &args.join(" "));
        let error = document["error"].as_str().unwrap();
        assert!(error.contains("state is locked by pid"), "{error}");
        assert!(error.contains(&holder.id().to_string()), "{error}");
    }
    let _ = holder.kill();
    let _ = holder.wait();
}

#[test]
fn apply_json_prints_a_document_for_a_stale_saved_plan() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    project.write("main.hcl", &config("Acme Help", APP1, true));
    Test::on(&project)
        .args(["plan", "--out", "reviewed.plan"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.support will be updated in place
                (name changed)
              ~ page.support {
                  ~ name = "Acme Support" -> "Acme Help"
                }

            API calls, in order:
                1. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)

            Plan: 1 to update. API calls: 1

            Saved the plan to [DIR]/reviewed.plan. Apply exactly it with: socialform -C [DIR] apply reviewed.plan
            "#,
        )
        .requests(&[])
        .run();
    project.write("main.hcl", &config("Acme Help Desk", APP1, true));
    sandbox.clear_requests();
    for args in [
        &["apply", "reviewed.plan", "--json"][..],
        &["apply", "reviewed.plan", "--format", "json"],
    ] {
        let run = Test::on(&project)
            .args(args)
            .status(1)
            .stdout_json(json!({
                "diagnostics": [
                    {
                        "address": null,
                        "detail": "the configuration (or a variable or token it uses) changed since it was made: page.support changed",
                        "range": null,
                        "severity": "error",
                        "summary": "the saved plan is stale: the configuration (or a variable or token it uses) changed since it was made: page.support changed; make a new one with `socialform plan --out FILE`"
                    }
                ],
                "error": "the saved plan is stale: the configuration (or a variable or token it uses) changed since it was made: page.support changed; make a new one with `socialform plan --out FILE`",
                "error_kind": "stale_plan",
                "format_version": "1.0"
            }))
            .stderr(
                r#"
                error: the saved plan is stale: the configuration (or a variable or token it uses) changed since it was made: page.support changed; make a new one with `socialform plan --out FILE`
                "#,
            )
            .run();
        let document = assert_error_document(&run, "stale_plan", &args.join(" "));
        assert!(
            document["error"].as_str().unwrap().contains("stale"),
            "{document}"
        );
    }
    assert!(sandbox.mutations().is_empty());
    // In Markdown, the failure is a report too.
    let run = Test::on(&project)
        .args(["apply", "reviewed.plan", "--format", "markdown"])
        .status(1)
        .stdout(
            r#"
            <!-- socialform:error -->
            ### ❌ socialform apply failed

            ```text
            error: the saved plan is stale: the configuration (or a variable or token it uses) changed since it was made: page.support changed; make a new one with `socialform plan --out FILE`
            ```
            "#,
        )
        .stderr(
            r#"
            error: the saved plan is stale: the configuration (or a variable or token it uses) changed since it was made: page.support changed; make a new one with `socialform plan --out FILE`
            "#,
        )
        .requests(&[])
        .run();
    let report = parse(&run.stdout);
    assert_eq!(report.headings, vec!["❌ socialform apply failed"]);
    assert!(report.fences[0].1.contains("the saved plan is stale"));
}

#[test]
fn plan_json_changes_carry_before_and_after_and_never_a_token() {
    let sandbox = Sandbox::start();
    let mut project = applied(&sandbox);
    project.env("SF_VAR_token", ROTATED);
    project.write("main.hcl", &config("Acme Help", APP2, false));
    let run = Test::on(&project)
        .args(["plan", "--json"])
        .stdout_json(json!({
            "calls": [
                {
                    "addresses": [
                        "page.sales"
                    ],
                    "method": "DELETE",
                    "path": "/beta/chatapp-accounts/messenger/107100000000002"
                },
                {
                    "addresses": [
                        "page.support"
                    ],
                    "method": "PATCH",
                    "path": "/beta/chatapp-accounts/messenger/107100000000001"
                },
                {
                    "addresses": [
                        "link.bot"
                    ],
                    "method": "DELETE",
                    "path": "/beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001"
                },
                {
                    "addresses": [
                        "link.bot"
                    ],
                    "method": "POST",
                    "path": "/beta/chatapp-accounts/messenger/107100000000001/applications"
                }
            ],
            "changes": [
                {
                    "action": "disconnect",
                    "address": "page.sales",
                    "after": null,
                    "before": {
                        "name": "Acme Sales",
                        "page_id": "107100000000002"
                    },
                    "reason": "not in configuration",
                    "sensitive": []
                },
                {
                    "action": "reconnect",
                    "address": "page.support",
                    "after": {
                        "name": "Acme Help"
                    },
                    "before": {
                        "name": "Acme Support"
                    },
                    "reason": "name changed; token changed in configuration",
                    "sensitive": [
                        "access_token"
                    ]
                },
                {
                    "action": "relink",
                    "address": "link.bot",
                    "after": {
                        "application": "c0ffee00-0000-4000-8000-000000000002"
                    },
                    "before": {
                        "application": "c0ffee00-0000-4000-8000-000000000001"
                    },
                    "reason": "application changed in configuration",
                    "sensitive": []
                }
            ],
            "drift": [],
            "format_version": "1.1",
            "resource_changes": [
                {
                    "address": "page.sales",
                    "change": {
                        "actions": [
                            "delete"
                        ],
                        "after": null,
                        "after_sensitive": false,
                        "after_unknown": {},
                        "before": {
                            "name": "Acme Sales",
                            "page_id": "107100000000002"
                        },
                        "before_sensitive": {
                            "access_token": true
                        }
                    },
                    "mode": "managed",
                    "name": "sales",
                    "provider_name": "vonage",
                    "socialform_actions": [
                        "disconnect"
                    ],
                    "type": "page"
                },
                {
                    "address": "page.support",
                    "change": {
                        "actions": [
                            "update"
                        ],
                        "after": {
                            "name": "Acme Help",
                            "page_id": "107100000000001"
                        },
                        "after_sensitive": {
                            "access_token": true
                        },
                        "after_unknown": {},
                        "before": {
                            "name": "Acme Support",
                            "page_id": "107100000000001"
                        },
                        "before_sensitive": {
                            "access_token": true
                        }
                    },
                    "mode": "managed",
                    "name": "support",
                    "provider_name": "vonage",
                    "socialform_actions": [
                        "reconnect"
                    ],
                    "type": "page"
                },
                {
                    "address": "link.bot",
                    "change": {
                        "actions": [
                            "update"
                        ],
                        "after": {
                            "application": "c0ffee00-0000-4000-8000-000000000002",
                            "channel": "messenger",
                            "page": "107100000000001"
                        },
                        "after_sensitive": {},
                        "after_unknown": {},
                        "before": {
                            "application": "c0ffee00-0000-4000-8000-000000000001",
                            "channel": "messenger",
                            "page": "107100000000001"
                        },
                        "before_sensitive": {}
                    },
                    "mode": "managed",
                    "name": "bot",
                    "provider_name": "vonage",
                    "socialform_actions": [
                        "relink"
                    ],
                    "type": "link"
                }
            ],
            "summary": {
                "calls": 4,
                "connect": 0,
                "disconnect": 1,
                "link": 0,
                "reconnect": 1,
                "relink": 1,
                "replace": 0,
                "unlink": 0,
                "update": 0
            }
        }))
        .requests(&[])
        .run();
    let changes = run.json()["changes"].clone();
    assert_eq!(
        changes,
        json!([
            {"address": "page.sales", "action": "disconnect", "reason": "not in configuration",
             "before": {"page_id": "107100000000002", "name": "Acme Sales"}, "after": null,
             "sensitive": []},
            {"address": "page.support", "action": "reconnect",
             "reason": "name changed; token changed in configuration",
             "before": {"name": "Acme Support"}, "after": {"name": "Acme Help"},
             "sensitive": ["access_token"]},
            {"address": "link.bot", "action": "relink", "reason": "application changed in configuration",
             "before": {"application": APP1}, "after": {"application": APP2},
             "sensitive": []},
        ])
    );
}

#[test]
fn no_token_in_any_format() {
    let sandbox = Sandbox::start();
    let mut project = applied(&sandbox);
    project.write("main.hcl", &config("Acme Help", APP2, false));
    project.env("SF_VAR_token", ROTATED);
    let summary = project.path().join("summary.md");
    project.env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    Test::on(&project)
        .args(["plan", "--out", "reviewed.plan"])
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.sales will be disconnected
                (not in configuration)
              - page.sales {
                  - page_id = "107100000000002"
                  - name    = "Acme Sales"
                }

              # page.support will be updated in place with a new access token
                (name changed; token changed in configuration)
              ~ page.support {
                  ~ name         = "Acme Support" -> "Acme Help"
                  ~ access_token = (sensitive value) -> (sensitive value)
                }

              # link.bot will be relinked to another application
                (application changed in configuration)
              ~ link.bot {
                  ~ application = "c0ffee00-0000-4000-8000-000000000001" -> "c0ffee00-0000-4000-8000-000000000002"
                }

            API calls, in order:
                1. DELETE /beta/chatapp-accounts/messenger/107100000000002  (page.sales)
                2. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)
                3. DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001  (link.bot)
                4. POST   /beta/chatapp-accounts/messenger/107100000000001/applications  (link.bot)

            Plan: 1 to reconnect, 1 to disconnect, 1 to relink. API calls: 4

            Saved the plan to [DIR]/reviewed.plan. Apply exactly it with: socialform -C [DIR] apply reviewed.plan
            "#,
        )
        .requests(&[])
        .run();
    let mut seen = String::new();
    for format in ["human", "json", "markdown", "github"] {
        // Each command's status: drift finds nothing changed outside
        // socialform.
        for (command, args, status) in [
            ("plan", &["plan", "--format", format][..], 0),
            ("drift", &["drift", "--format", format], 0),
            ("show", &["show", "--format", format], 0),
            (
                "show-plan",
                &["show", "reviewed.plan", "--format", format],
                0,
            ),
        ] {
            let run = Test::on(&project)
                .args(args)
                .status(status)
                .stdout_file(&format!(
                    "tests/it/expected/no_token_in_any_format/{command}.{format}"
                ))
                .requests(&[])
                .run();
            assert!(!run.stdout.is_empty(), "{args:?}: nothing to scan");
            seen.push_str(&run.stdout);
            seen.push_str(&run.stderr);
        }
    }
    // One call at a time: the calls arrive in the plan's order, so the
    // requests can be compared in order (in parallel, the sales DELETE and
    // the support PATCH race).
    let run = Test::on(&project)
        .args(["apply", "--format", "github", "--auto-approve", "--parallelism", "1"])
        .sort_after("Plan: ")
        .stdout(
            r#"
            socialform will perform the following actions:

              # page.sales will be disconnected
                (not in configuration)
              - page.sales {
                  - page_id = "107100000000002"
                  - name    = "Acme Sales"
                }

              # page.support will be updated in place with a new access token
                (name changed; token changed in configuration)
              ~ page.support {
                  ~ name         = "Acme Support" -> "Acme Help"
                  ~ access_token = (sensitive value) -> (sensitive value)
                }

              # link.bot will be relinked to another application
                (application changed in configuration)
              ~ link.bot {
                  ~ application = "c0ffee00-0000-4000-8000-000000000001" -> "c0ffee00-0000-4000-8000-000000000002"
                }

            API calls, in order:
                1. DELETE /beta/chatapp-accounts/messenger/107100000000002  (page.sales)
                2. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)
                3. DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001  (link.bot)
                4. POST   /beta/chatapp-accounts/messenger/107100000000001/applications  (link.bot)

            Plan: 1 to reconnect, 1 to disconnect, 1 to relink. API calls: 4
            link.bot: DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001 ...
            link.bot: POST /beta/chatapp-accounts/messenger/107100000000001/applications ...
            link.bot: done [T]
            link.bot: done [T]
            page.sales: DELETE /beta/chatapp-accounts/messenger/107100000000002 ...
            page.sales: done [T]
            page.support: PATCH /beta/chatapp-accounts/messenger/107100000000001 ...
            page.support: done [T]

            Apply complete! 1 reconnected, 1 disconnected, 1 relinked. API calls: 4
            ::warning title=socialform apply%3A disconnect::page.sales: disconnect done (not in configuration)
            ::warning file=[DIR]/main.hcl,line=5,col=6,title=socialform apply%3A reconnect::page.support: reconnect done (name changed; token changed in configuration)
            ::warning file=[DIR]/main.hcl,line=11,col=6,title=socialform apply%3A relink::link.bot: relink done (application changed in configuration)
            "#,
        )
        .requests(&["DELETE /beta/chatapp-accounts/messenger/107100000000002", "PATCH /beta/chatapp-accounts/messenger/107100000000001", "DELETE /beta/chatapp-accounts/messenger/107100000000001/applications/c0ffee00-0000-4000-8000-000000000001", "POST /beta/chatapp-accounts/messenger/107100000000001/applications"])
        .run();
    seen.push_str(&run.stdout);
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.contains("socialform apply"), "{summary}");
    seen.push_str(&summary);
    assert!(
        seen.contains("(sensitive value)"),
        "the token change is shown, masked"
    );
    for token in [TOKEN, ROTATED] {
        assert!(!seen.contains(token), "{token} leaked");
    }
}

#[test]
fn apply_markdown_reports_each_result_and_needs_auto_approve() {
    let sandbox = Sandbox::start();
    let project = applied(&sandbox);
    project.write("main.hcl", &config("Acme Help", APP1, true));
    let refused = Test::on(&project)
        .args(["apply", "--format", "markdown"])
        .status(1)
        .stdout(
            r#"
            <!-- socialform:error -->
            ### ❌ socialform apply failed

            ```text
            error: apply --format markdown needs --auto-approve: its output is a report, with no prompt
            ```
            "#,
        )
        .stderr(
            r#"
            error: apply --format markdown needs --auto-approve: its output is a report, with no prompt
            "#,
        )
        .requests(&[])
        .run();
    assert!(
        refused.stderr.contains("needs --auto-approve"),
        "{}",
        refused.stderr
    );

    let run = Test::on(&project)
        .args(["apply", "--format", "markdown", "--auto-approve"])
        .stdout(
            r#"
            <!-- socialform:apply -->
            ### socialform apply

            **Plan: 1 to update. API calls: 1**

            **Apply complete\! 1 updated. API calls: 1**

            | Action | Resource | Why | Result |
            |---|---|---|---|
            | update | `page.support` | name changed | done |

            <details><summary>Full plan and result (1 API call)</summary>

            ```diff
            socialform will perform the following actions:

              # page.support will be updated in place
                (name changed)
            ! ~ page.support {
            !     ~ name = "Acme Support" -> "Acme Help"
                }

            API calls, in order:
                1. PATCH  /beta/chatapp-accounts/messenger/107100000000001  (page.support)

            Plan: 1 to update. API calls: 1

            Apply complete! 1 updated. API calls: 1
            ```

            </details>
            "#,
        )
        .stderr(
            r#"
            page.support: PATCH /beta/chatapp-accounts/messenger/107100000000001 ...
            page.support: done [T]
            "#,
        )
        .requests(&["PATCH /beta/chatapp-accounts/messenger/107100000000001"])
        .run();
    // Progress goes to stderr: stdout is the report alone.
    assert!(
        run.stdout.starts_with("<!-- socialform:apply -->\n"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("page.support: done"), "{}", run.stderr);
    let report = parse(&run.stdout);
    assert_eq!(report.headings, vec!["socialform apply"]);
    assert_eq!(
        report.paragraphs[..2],
        [
            "Plan: 1 to update. API calls: 1".to_string(),
            "Apply complete! 1 updated. API calls: 1".to_string()
        ]
    );
    assert_eq!(
        report.rows,
        vec![vec!["update", "page.support", "name changed", "done"]]
    );
}
