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
//! timestamps (`2026-01-31T12:00:00Z`, with fractions of a second too)
//! `[TIME]`, the project directory `[DIR]`, a sandbox's address `[SANDBOX]`,
//! the operator (`$USER@hostname`) `[WHO]`, a request's `elapsed_ms=[MS]`
//! in logs, Graph's `fbtrace_id [FBTRACE]`, a PostgreSQL server's
//! `host:port` (from a `postgres://` URL in the run's environment) `[PG]`. A test adds what only it knows
//! to vary with `replace` (a process id, a port, a lineage), sorts blocks
//! whose order is free with `sort_after`, and compares `-v` logs as a
//! multiset with `stderr_unordered`.

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
    stdout_json: Option<serde_json::Value>,
    env_removed: Vec<String>,
    sort_after: Vec<String>,
    stderr_unordered: bool,
    stdout_file: Option<std::path::PathBuf>,
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
            stdout_json: None,
            env_removed: Vec::new(),
            sort_after: Vec::new(),
            stderr_unordered: false,
            stdout_file: None,
        }
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// The arguments, from an array or a slice.
    pub fn args<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
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

    /// The whole expected stdout is the file at `path` (relative to the
    /// repository), for outputs too long to read inline; `SOCIALFORM_BLESS=1`
    /// writes it (see `expect_file`).
    pub fn stdout_file(mut self, path: &str) -> Self {
        self.stdout_file = Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path));
        self
    }

    /// The whole expected stdout as one JSON document: stdout is normalized
    /// as text (so `[TIME]`, `[DIR]`, ... stand in strings), then parsed, and
    /// the whole document compared, key order aside.
    pub fn stdout_json(mut self, document: serde_json::Value) -> Self {
        self.stdout_json = Some(document);
        self
    }

    /// Removes `name` from the run's environment (one the project sets).
    pub fn env_remove(mut self, name: &str) -> Self {
        self.env_removed.push(name.to_owned());
        self
    }

    /// Sorts, in stdout and stderr alike, the lines after each line that
    /// starts with `prefix`, up to the next blank line: for blocks whose
    /// order is free, as the progress of calls made in parallel (each call's
    /// lines are printed as it starts and finishes). The lines themselves
    /// are still compared whole.
    pub fn sort_after(mut self, prefix: &str) -> Self {
        self.sort_after.push(prefix.to_owned());
        self
    }

    /// Compares stderr's lines as a multiset (sorted before the comparison):
    /// for `-v` logs, whose lines come from tasks that run at once (the
    /// Vonage and Graph reads of a refresh, say), so their order is free.
    pub fn stderr_unordered(mut self) -> Self {
        self.stderr_unordered = true;
        self
    }

    /// Runs the binary and asserts everything expected; every mismatch is
    /// reported at once, each with a diff.
    #[track_caller]
    pub fn run(self) -> Run {
        let project = self.project.project();
        if self.requests.is_some() {
            let url = project
                .sandbox_url
                .as_deref()
                .expect("requests are expected of a project made with Project::against");
            clear_requests(url);
        }
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut command = project.command(&args);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        for name in &self.env_removed {
            command.env_remove(name);
        }
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
        self.check(run)
    }

    /// Asserts everything expected of a run made elsewhere: a child spawned
    /// to run beside others, or killed, whose output was collected. `args`
    /// name it in a failure; the sandbox's log is read as it is now (clear
    /// it before the child starts when `requests` are expected).
    #[track_caller]
    pub fn check(self, run: Run) -> Run {
        let project = self.project.project();
        let sandbox = project.sandbox_url.clone();
        let mut replacements = self.replacements.clone();
        let dir = project.path();
        if let Ok(canonical) = dir.canonicalize() {
            replacements.push((canonical.display().to_string(), "[DIR]".into()));
        }
        replacements.push((dir.display().to_string(), "[DIR]".into()));
        if let Some(url) = &sandbox {
            replacements.push((url.clone(), "[SANDBOX]".into()));
        }
        // A PostgreSQL server's address (its port drawn when the cluster
        // starts), from any connection URL the run is given, reads `[PG]`.
        for (_, value) in project.env.iter().chain(&self.env) {
            if let Some(rest) = value.strip_prefix("postgres://") {
                let after_user = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                let host = after_user.split(['/', '?']).next().unwrap_or_default();
                if !host.is_empty() {
                    replacements.push((host.to_owned(), "[PG]".into()));
                }
            }
        }
        // Who ran it, as history entries and lock holders name them
        // (`$USER@hostname`): the same for the binary as for this process.
        replacements.push((socialform::state::operator(), "[WHO]".into()));
        let mut stdout = normalize(&run.stdout, &replacements);
        let mut stderr = normalize(&run.stderr, &replacements);
        for prefix in &self.sort_after {
            stdout = sort_after(&stdout, prefix);
            stderr = sort_after(&stderr, prefix);
        }
        let expected_stderr = if self.stderr_unordered {
            stderr = sorted_lines(&stderr);
            sorted_lines(&self.stderr)
        } else {
            self.stderr.clone()
        };

        let mut mismatches = Vec::new();
        if run.code != self.status {
            mismatches.push(format!(
                "exit status {}, expected {}",
                run.code, self.status
            ));
        }
        match &self.stdout_json {
            None if self.stdout_file.is_some() => {
                let path = self.stdout_file.as_deref().unwrap();
                mismatches.extend(expect_file(path, &stdout));
            }
            None => mismatches.extend(compare("stdout", &self.stdout, &stdout)),
            Some(expected) => match serde_json::from_str::<serde_json::Value>(&stdout) {
                Ok(actual) => {
                    if &actual != expected {
                        mismatches.push(format!(
                            "stdout's JSON document differs\n{}",
                            diff(&pretty(expected), &pretty(&actual))
                        ));
                    }
                }
                Err(e) => mismatches.push(format!("stdout is not one JSON document: {e}")),
            },
        }
        mismatches.extend(compare("stderr", &expected_stderr, &stderr));
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

/// `text` with the lines after each line starting with `prefix`, up to the
/// next blank line, in sorted order.
pub fn sort_after(text: &str, prefix: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut block: Vec<&str> = Vec::new();
    let mut in_block = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches('\n');
        if in_block && bare.is_empty() {
            block.sort_unstable();
            out.append(&mut block);
            in_block = false;
        }
        if in_block {
            block.push(line);
            continue;
        }
        out.push(line);
        if bare.starts_with(prefix) {
            in_block = true;
        }
    }
    block.sort_unstable();
    out.append(&mut block);
    out.concat()
}

fn sorted_lines(text: &str) -> String {
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    lines.sort_unstable();
    lines.concat()
}

fn pretty(document: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap();
    text.push('\n');
    text
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
/// written `[T]`, every UTC timestamp `[TIME]` and what else varies by
/// itself from run to run (see `replace_varying`).
pub fn normalize(text: &str, replacements: &[(String, String)]) -> String {
    let mut text = text.to_owned();
    for (from, to) in replacements {
        if !from.is_empty() {
            text = text.replace(from.as_str(), to);
        }
    }
    let text = replace_varying(&replace_timestamps(&text));
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

/// What differs on every run by nature, whatever the test: the
/// milliseconds a request took in `-v` logs (`elapsed_ms=3` reads
/// `elapsed_ms=[MS]`), Graph's random trace ids (`fbtrace_id Tqm1xvm4s8d`
/// reads `fbtrace_id [FBTRACE]`, in prose and in JSON alike), and a state's
/// lineage, a UUID drawn when the state is made (`"lineage": "[LINEAGE]"`,
/// `lineage [LINEAGE]`; only a UUID is replaced).
fn replace_varying(text: &str) -> String {
    let mut text = text.to_owned();
    fn any(_: &str) -> bool {
        true
    }
    fn uuid(word: &str) -> bool {
        word.len() == 36
            && word.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            })
    }
    type Replaces = fn(&str) -> bool;
    let keys: [(&str, &str, Replaces); 6] = [
        ("elapsed_ms=", "[MS]", any),
        ("fbtrace_id ", "[FBTRACE]", any),
        ("\"fbtrace_id\":\"", "[FBTRACE]", any),
        ("\"lineage\": \"", "[LINEAGE]", uuid),
        ("\"lineage\":\"", "[LINEAGE]", uuid),
        ("lineage ", "[LINEAGE]", uuid),
    ];
    for (key, label, replaces) in keys {
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(key) {
            let after = at + key.len();
            out.push_str(&rest[..after]);
            let word = rest[after..]
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-')
                .unwrap_or(rest.len() - after);
            let varying = &rest[after..after + word];
            if word > 0 && replaces(varying) {
                out.push_str(label);
            } else {
                out.push_str(varying);
            }
            rest = &rest[after + word..];
        }
        out.push_str(rest);
        text = out;
    }
    text
}

/// `YYYY-MM-DDTHH:MM:SSZ` written `[TIME]`, with or without fractions of a
/// second (`2026-12-07T08:45:19.971036Z`, as log lines have them).
fn replace_timestamps(text: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
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
            let mut end = i + SHAPE.len();
            if bytes.get(end) == Some(&b'.') {
                let digits = bytes[end + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits > 0 {
                    end += 1 + digits;
                }
            }
            if bytes.get(end) == Some(&b'Z') {
                out.push_str("[TIME]");
                i = end + 1;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
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
    assert_eq!(
        normalize("2026-12-07T08:45:19.971036Z x 2026-12-07T08:45:19 y", &[]),
        "[TIME] x 2026-12-07T08:45:19 y"
    );
    assert_eq!(
        normalize(
            "status=200 elapsed_ms=13\n(code 2, fbtrace_id Tqm1xvm4s8d)",
            &[]
        ),
        "status=200 elapsed_ms=[MS]\n(code 2, fbtrace_id [FBTRACE])"
    );
    assert_eq!(
        normalize(
            "{\"lineage\":\"a810f331-8b6e-45aa-a59a-4f889ff29454\"} lineage x, lineage 1",
            &[]
        ),
        "{\"lineage\":\"[LINEAGE]\"} lineage x, lineage 1"
    );
    assert_eq!(
        sort_after("Plan: 2\nb ...\na ...\n\nDone\n", "Plan: "),
        "Plan: 2\na ...\nb ...\n\nDone\n"
    );
    assert_eq!(unindent("\n    a\n      b\n\n    c\n    "), "a\n  b\n\nc\n");
    assert_eq!(unindent("as is\n"), "as is\n");
}
