//! What a person at a terminal sees, through a real pseudo-terminal:
//! util-linux's `script` runs the binary on a pty, so stdin and stdout are
//! terminals to it, and this test types into it and reads what it draws.

use crate::support::*;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TOKEN: &str = "EAAterminal0001";

/// `pages` pages, every one on its own call.
fn config(pages: usize) -> String {
    let mut text = String::from("variable \"token\" {\n  sensitive = true\n}\n");
    for i in 0..pages {
        text.push_str(&format!(
            "page \"p{i:02}\" {{\n  page_id      = \"1074{i:011}\"\n  access_token = var.token\n}}\n"
        ));
    }
    text
}

/// The binary on a pseudo-terminal, with the project's environment.
struct OnTerminal {
    child: Child,
    output: mpsc::Receiver<Vec<u8>>,
    seen: Vec<u8>,
}

impl OnTerminal {
    fn start(project: &Project, args: &[&str]) -> OnTerminal {
        let template = project.command(args);
        let line: Vec<String> = std::iter::once(bin().to_string())
            .chain(
                template
                    .get_args()
                    .map(|a| a.to_string_lossy().into_owned()),
            )
            .map(|word| format!("'{}'", word.replace('\'', "'\\''")))
            .collect();
        // `exec`: script hands the line to $SHELL, and a shell left waiting
        // in between would take the terminal's Ctrl-C itself (dash dies of
        // it, and script reports 130 whatever the binary did). SHELL is
        // pinned so every machine runs the same shell.
        let line = format!("exec {}", line.join(" "));
        let mut command = Command::new("script");
        command
            .args(["-q", "-e", "-c", &line, "/dev/null"])
            .env("SHELL", "/bin/sh")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Colour is the terminal's business here.
            .env_remove("NO_COLOR")
            .env("TERM", "xterm");
        for (name, value) in template.get_envs() {
            match value {
                Some(value) if name != "NO_COLOR" => {
                    command.env(name, value);
                }
                Some(_) => {}
                None => {
                    command.env_remove(name);
                }
            }
        }
        let mut child = command.spawn().expect("util-linux's script runs");
        let mut stdout = child.stdout.take().unwrap();
        let (send, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 || send.send(buffer[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        OnTerminal {
            child,
            output,
            seen: Vec::new(),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Reads until `needle` has been drawn (at most 30 s).
    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.text().contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => self.seen.extend(bytes),
                Err(_) => panic!("never saw {needle:?} on the terminal:\n{}", self.text()),
            }
        }
    }

    fn type_keys(&mut self, keys: &[u8]) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys).unwrap();
        stdin.flush().unwrap();
    }

    /// Reads to the end and returns the exit status (at most 60 s).
    fn finish(mut self) -> (i32, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => self.seen.extend(bytes),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!("the program did not finish:\n{}", self.text());
                }
            }
        }
        let status = self.child.wait().unwrap().code().unwrap_or(-1);
        (status, self.text())
    }
}

fn new_project(sandbox: &Sandbox, pages: usize) -> Project {
    let mut project = Project::against(sandbox);
    project.env("SF_VAR_token", TOKEN);
    project.write("main.hcl", &config(pages));
    project
}

#[test]
fn the_prompt_takes_yes_and_nothing_else() {
    let sandbox = Sandbox::start();
    let project = new_project(&sandbox, 1);

    let mut terminal = OnTerminal::start(&project, &["apply"]);
    terminal.wait_for("Enter a value: ");
    terminal.type_keys(b"no\r");
    let (status, text) = terminal.finish();
    assert_eq!(status, 1, "{text}");
    assert!(
        text.contains("Apply cancelled: nothing was changed."),
        "{text}"
    );
    assert!(sandbox.mutations().is_empty());

    let mut terminal = OnTerminal::start(&project, &["apply"]);
    terminal.wait_for("Only 'yes' will be accepted to approve.");
    terminal.wait_for("Enter a value: ");
    terminal.type_keys(b"yes\r");
    let (status, text) = terminal.finish();
    assert_eq!(status, 0, "{text}");
    assert!(text.contains("Apply complete! 1 connected."), "{text}");
    assert!(!text.contains(TOKEN));
    assert_eq!(
        sandbox.mutations(),
        vec![format!("POST {ACCOUNTS}/messenger")]
    );
}

#[test]
fn ctrl_c_at_the_prompt_cancels_and_says_so() {
    let sandbox = Sandbox::start();
    let project = new_project(&sandbox, 1);
    project.run(&["apply", "--auto-approve"]).assert_code(0);
    sandbox.clear_requests();

    let mut terminal = OnTerminal::start(&project, &["destroy"]);
    terminal.wait_for("There is no undo.");
    terminal.wait_for("Enter a value: ");
    terminal.type_keys(b"\x03");
    let (status, text) = terminal.finish();
    assert_eq!(status, 1, "{text}");
    assert!(
        text.contains("Destroy cancelled: nothing was changed."),
        "{text}"
    );
    assert!(sandbox.mutations().is_empty());
}

#[test]
fn a_long_apply_draws_a_progress_bar_on_a_terminal_only() {
    let sandbox = Sandbox::start_with(&["--latency-ms", "150"]);
    let project = new_project(&sandbox, 12);
    let args = ["apply", "--auto-approve", "--parallelism", "2"];

    let terminal = OnTerminal::start(&project, &args);
    let (status, text) = terminal.finish();
    assert_eq!(status, 0, "{text}");
    assert!(text.contains("/12 calls"), "no progress bar:\n{text}");
    assert!(text.contains("Apply complete! 12 connected."), "{text}");

    // Piped, as in CI: the same lines, and no bar.
    let piped = new_project(&sandbox, 12);
    piped.write("main.hcl", &config(12).replace("1074", "1075"));
    let run = piped.run(&args);
    run.assert_code(0);
    assert!(!run.stdout.contains("/12 calls") && !run.stderr.contains("/12 calls"));
}

#[test]
fn calls_start_in_plan_order_and_no_more_than_parallelism_are_open() {
    let sandbox = Sandbox::start_with(&["--latency-ms", "60"]);
    let project = new_project(&sandbox, 12);
    let run = project.run(&["apply", "--auto-approve", "--parallelism", "2"]);
    run.assert_code(0);
    let mut started = Vec::new();
    let mut open = 0i32;
    for line in run.stdout.lines() {
        if let Some(address) = line.strip_suffix(" POST /beta/chatapp-accounts/messenger ...") {
            started.push(address.trim_end_matches(':').to_string());
            open += 1;
            assert!(open <= 2, "more than 2 calls shown open:\n{}", run.stdout);
        } else if line.contains(": done [") {
            open -= 1;
        }
    }
    let in_order: Vec<String> = (0..12).map(|i| format!("page.p{i:02}")).collect();
    assert_eq!(started, in_order, "{}", run.stdout);
}
