//! Tests that read like transcripts, in the manner of casey/just's `Test`:
//! files, environment and arguments in; the whole stdout, the whole stderr,
//! the exit status and the sandbox's mutating requests expected out.
//!
//! ```ignore
//! Test::new()
//!     .write("main.hcl", "...")
//!     .args(["validate"])
//!     .stdout("Success! The configuration is valid: 1 page(s), 0 link(s).\n")
//!     .run();
//! ```
//!
//! Unset expectations are strict: stdout and stderr empty, status 0.
//! What varies from run to run is normalized in the actual output before the
//! comparison, never by weakening it: call durations (`[0.03s]`) read `[T]`,
//! timestamps (`2026-01-31T12:00:00Z`) `[TIME]`, the project directory
//! `[DIR]`, a sandbox's address `[SANDBOX]`.

use super::{Project, Run, clear_requests, mutations};
use similar::TextDiff;

pub struct Test<'a> {
    project: Place<'a>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
    stdout: String,
    stderr: String,
    status: i32,
    requests: Option<Vec<String>>,
    replacements: Vec<(String, String)>,
}

enum Place<'a> {
    Owned(Project),
    Borrowed(&'a Project),
}

impl Place<'_> {
    fn project(&self) -> &Project {
        match self {
            Place::Owned(project) => project,
            Place::Borrowed(project) => project,
        }
    }
}

impl Test<'static> {
    /// A run in a fresh, empty directory.
    pub fn new() -> Test<'static> {
        Test::with(Place::Owned(Project::new()))
    }
}

impl<'a> Test<'a> {
    /// A run in `project`'s directory, with its environment: for transcripts
    /// of several steps over one state.
    pub fn on(project: &'a Project) -> Test<'a> {
        Test::with(Place::Borrowed(project))
    }

    fn with(project: Place<'a>) -> Test<'a> {
        Test {
            project,
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            stdout: String::new(),
            stderr: String::new(),
            status: 0,
            requests: None,
            replacements: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    pub fn args<const N: usize>(mut self, args: [&str; N]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Writes a file into the directory now, before the run.
    pub fn write(self, name: &str, text: &str) -> Self {
        self.project.project().write(name, text);
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    /// The whole expected stdout; see `unindent` for how it may be written.
    pub fn stdout(mut self, text: &str) -> Self {
        self.stdout = unindent(text);
        self
    }

    /// The whole expected stderr; see `unindent`.
    pub fn stderr(mut self, text: &str) -> Self {
        self.stderr = unindent(text);
        self
    }

    pub fn status(mut self, status: i32) -> Self {
        self.status = status;
        self
    }

    /// The mutating requests the run must make, as `METHOD PATH` in arrival
    /// order. The sandbox's log is cleared before the run.
    pub fn requests(mut self, requests: &[&str]) -> Self {
        self.requests = Some(requests.iter().map(|r| r.to_string()).collect());
        self
    }

    /// Replaces `from` by `to` in the actual output before comparing, for
    /// what only this test knows to vary (a process id, say).
    pub fn replace(mut self, from: &str, to: &str) -> Self {
        self.replacements.push((from.to_owned(), to.to_owned()));
        self
    }

    /// Runs the binary and asserts everything expected; every mismatch is
    /// reported at once, each with a diff.
    pub fn run(self) -> Run {
        let project = self.project.project();
        let sandbox = project.sandbox_url.clone();
        if self.requests.is_some() {
            let url = sandbox
                .as_deref()
                .expect("requests are expected of a project made with Project::against");
            clear_requests(url);
        }
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut command = project.command(&args);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let output = match &self.stdin {
            None => command.output(),
            Some(text) => {
                use std::io::Write;
                command
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut child = command.spawn().expect("the socialform binary runs");
                let mut stdin = child.stdin.take().unwrap();
                stdin.write_all(text.as_bytes()).unwrap();
                drop(stdin);
                child.wait_with_output()
            }
        };
        let run = Run::from(output.expect("the socialform binary runs"));

        let mut replacements = self.replacements.clone();
        let dir = project.path();
        if let Ok(canonical) = dir.canonicalize() {
            replacements.push((canonical.display().to_string(), "[DIR]".into()));
        }
        replacements.push((dir.display().to_string(), "[DIR]".into()));
        if let Some(url) = &sandbox {
            replacements.push((url.clone(), "[SANDBOX]".into()));
        }
        let stdout = normalize(&run.stdout, &replacements);
        let stderr = normalize(&run.stderr, &replacements);

        let mut mismatches = Vec::new();
        if run.code != self.status {
            mismatches.push(format!(
                "exit status {}, expected {}",
                run.code, self.status
            ));
        }
        mismatches.extend(compare("stdout", &self.stdout, &stdout));
        mismatches.extend(compare("stderr", &self.stderr, &stderr));
        if let (Some(expected), Some(url)) = (&self.requests, &sandbox) {
            let actual = mutations(url);
            if &actual != expected {
                mismatches.push(format!(
                    "mutating requests differ\n{}",
                    diff(&lines(expected), &lines(&actual))
                ));
            }
        }
        assert!(
            mismatches.is_empty(),
            "`socialform {}`:\n{}\n--- whole stdout (normalized)\n{}--- whole stderr (normalized)\n{}",
            self.args.join(" "),
            mismatches.join("\n"),
            stdout,
            stderr
        );
        run
    }
}

fn lines(items: &[String]) -> String {
    items.iter().map(|i| format!("{i}\n")).collect()
}

/// `None` when equal, else a complaint naming `what` with a unified diff.
pub fn compare(what: &str, expected: &str, actual: &str) -> Option<String> {
    (expected != actual).then(|| format!("{what} differs\n{}", diff(expected, actual)))
}

fn diff(expected: &str, actual: &str) -> String {
    TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// `text` with the replacements made, every call duration (`[1.25s]`)
/// written `[T]` and every UTC timestamp `[TIME]`.
pub fn normalize(text: &str, replacements: &[(String, String)]) -> String {
    let mut text = text.to_owned();
    for (from, to) in replacements {
        if !from.is_empty() {
            text = text.replace(from.as_str(), to);
        }
    }
    let text = replace_timestamps(&text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let candidate = &rest[open..];
        match duration_len(candidate) {
            Some(len) => {
                out.push_str("[T]");
                rest = &candidate[len..];
            }
            None => {
                out.push('[');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` written `[TIME]`.
fn replace_timestamps(text: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:ddZ";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let matches = bytes.len() - i >= SHAPE.len()
            && SHAPE
                .iter()
                .zip(&bytes[i..])
                .all(|(shape, byte)| match shape {
                    b'd' => byte.is_ascii_digit(),
                    other => other == byte,
                });
        if matches {
            out.push_str("[TIME]");
            i += SHAPE.len();
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The length of a leading `[DIGITS.DIGITSs]`, if `text` starts with one.
fn duration_len(text: &str) -> Option<usize> {
    let inner = text.strip_prefix('[')?;
    let end = inner.find("s]")?;
    let (whole, fraction) = inner[..end].split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(whole) && digits(fraction)).then_some(end + 3)
}

/// Expected text as written in a test: a literal that starts with a newline
/// loses that newline, its common indentation, and the blank last line
/// before the closing quote, so a transcript can be indented with the code.
/// Any other literal is taken as it is.
pub fn unindent(text: &str) -> String {
    let Some(body) = text.strip_prefix('\n') else {
        return text.to_owned();
    };
    let lines: Vec<&str> = body.split('\n').collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        if last && line.trim().is_empty() {
            break;
        }
        out.push_str(line.get(indent..).unwrap_or(""));
        if !last {
            out.push('\n');
        }
    }
    out
}

/// Compares `actual` with the file at `path`, or, when `SOCIALFORM_BLESS`
/// is set, writes `actual` there (for diagnostics changed on purpose: review
/// the rewritten files in the diff). `None` when they agree.
pub fn expect_file(path: &std::path::Path, actual: &str) -> Option<String> {
    if std::env::var_os("SOCIALFORM_BLESS").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return None;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) => compare(&path.display().to_string(), &expected, actual),
        Err(e) => Some(format!(
            "{}: {e} (run with SOCIALFORM_BLESS=1 to write it)",
            path.display()
        )),
    }
}

#[test]
fn normalizing_replaces_durations_only() {
    assert_eq!(
        normalize("a: done [0.03s]\n[12.5s] [x] [1s] [.5s]", &[]),
        "a: done [T]\n[T] [x] [1s] [.5s]"
    );
    assert_eq!(
        normalize("made 2026-12-01T03:21:48Z (é)", &[]),
        "made [TIME] (é)"
    );
    assert_eq!(unindent("\n    a\n      b\n\n    c\n    "), "a\n  b\n\nc\n");
    assert_eq!(unindent("as is\n"), "as is\n");
}
