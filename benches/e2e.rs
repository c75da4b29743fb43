//! End-to-end performance at scale: the real `socialform` binary against a
//! `socialform sandbox serve` child over loopback, for 1,000 and 10,000 pages
//! (half of them linked, across 20 applications).
//!
//! Run with `cargo bench --bench e2e` (add `-- --sizes 1000` to pick sizes,
//! `--runs N` to change the number of no-op plan runs).
//!
//! Every figure is a median. Peak memory is the child's own `ru_maxrss` from
//! `wait4`, so no external `time` binary is needed. Nothing here asserts on
//! time: it prints figures and the targets they are measured against.

mod common;

use serde_json::{Value, json};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_socialform");
const APPS: usize = 20;
const CHANGED: usize = 1000;
const LATENCY_MS: u64 = 20;
const PARALLELISM: usize = 16;
const APPLY_RUNS: usize = 3;

fn main() -> anyhow::Result<()> {
    let mut sizes = vec![1000usize, 10_000];
    let mut noop_runs = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sizes" => {
                sizes = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|s| s.parse().ok())
                    .collect();
            }
            "--runs" => noop_runs = args.next().and_then(|s| s.parse().ok()).unwrap_or(5),
            // `cargo bench` passes `--bench`; anything else is ignored too.
            _ => {}
        }
    }
    // reqwest is built without a default TLS provider; plain HTTP still
    // needs one installed before a client is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!("socialform e2e benchmark: {BIN}");
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    let mut report = String::new();
    for &pages in &sizes {
        let figures = bench_size(&runtime, pages, noop_runs)?;
        report.push_str(&figures);
    }
    println!("\n{report}");
    Ok(())
}

/// Runs every measurement for one size and returns its summary table.
fn bench_size(
    rt: &tokio::runtime::Runtime,
    pages: usize,
    noop_runs: usize,
) -> anyhow::Result<String> {
    println!("\n== {pages} pages ==");
    let mut validate = Vec::new();
    let mut apply_wall = Vec::new();
    let mut noop_wall = Vec::new();
    let mut noop_requests = Vec::new();
    let mut noop_rss = Vec::new();
    let mut phases: Vec<(String, Vec<f64>)> = Vec::new();
    let mut change_wall = Vec::new();
    let mut change_ideal = 0.0;

    for trial in 0..APPLY_RUNS {
        // A fresh sandbox and state for every first apply.
        let sandbox = Sandbox::start(rt)?;
        let apps = sandbox.create_apps(rt, APPS)?;
        let project = Project::new(pages, &apps, &sandbox.url)?;

        let v = project.run(&["validate"], &[])?;
        v.check("validate")?;
        validate.push(v.wall);

        let a = project.run(&["apply", "--auto-approve"], &[])?;
        a.check("first apply")?;
        let calls = sandbox.mutations(rt)?;
        println!(
            "trial {trial}: validate {:.0} ms, first apply {:.2} s ({calls} calls, {:.0} calls/s)",
            v.wall * 1e3,
            a.wall,
            calls as f64 / a.wall
        );
        apply_wall.push(a.wall);

        // No-op plans, on the last trial's sandbox only.
        if trial == APPLY_RUNS - 1 {
            for _ in 0..noop_runs {
                sandbox.clear_requests(rt)?;
                let p = project.run(
                    &["plan", "--detailed-exitcode"],
                    &[("SOCIALFORM_TIMINGS", "1")],
                )?;
                if p.code != 0 {
                    anyhow::bail!("no-op plan was not empty (exit {}):\n{}", p.code, p.stdout);
                }
                let requests = sandbox.requests(rt)?.len();
                noop_wall.push(p.wall);
                noop_requests.push(requests as f64);
                noop_rss.push(p.max_rss_kb as f64 / 1024.0);
                for (phase, ms) in p.timings() {
                    match phases.iter_mut().find(|(name, _)| *name == phase) {
                        Some((_, v)) => v.push(ms),
                        None => phases.push((phase, vec![ms])),
                    }
                }
                println!(
                    "no-op plan: {:.0} ms, {requests} requests, {:.1} MB peak RSS",
                    p.wall * 1e3,
                    p.max_rss_kb as f64 / 1024.0
                );
            }

            // Changed pages under latency: a name change is one PATCH each.
            let changed = CHANGED.min(pages);
            sandbox.faults(rt, json!({ "latency_ms": LATENCY_MS }))?;
            for round in 1..=APPLY_RUNS {
                project.rename(changed, round)?;
                sandbox.clear_requests(rt)?;
                let parallelism = PARALLELISM.to_string();
                let c = project.run(
                    &["apply", "--auto-approve", "--parallelism", &parallelism],
                    &[("SOCIALFORM_TIMINGS", "1")],
                )?;
                c.check("changed apply")?;
                let log = sandbox.requests(rt)?;
                let calls = log.iter().filter(|r| r["method"] != "GET").count();
                let reads = log.len() - calls;
                let ideal = ((calls.div_ceil(PARALLELISM) + reads.div_ceil(PARALLELISM)) as u64
                    * LATENCY_MS) as f64
                    / 1e3;
                change_ideal = ideal;
                println!(
                    "{changed} changes at {LATENCY_MS} ms: {:.2} s, {calls} calls + {reads} reads, ideal {:.2} s, ratio {:.2}; phases {:?}",
                    c.wall,
                    ideal,
                    c.wall / ideal,
                    c.timings()
                );
                change_wall.push(c.wall);
            }
            sandbox.faults(rt, json!({ "latency_ms": 0 }))?;
        }
    }

    let ideal_requests = pages.div_ceil(100) + (APPS + 3).div_ceil(100);
    let noop_target_requests = if pages >= 10_000 {
        " (target <= 110)"
    } else {
        ""
    };
    let mut out = String::new();
    writeln!(out, "### {pages} pages ({} linked, {APPS} apps)", pages / 2)?;
    writeln!(out, "| measure | median |")?;
    writeln!(out, "|---|---|")?;
    writeln!(
        out,
        "| validate (parse + evaluate, whole process) | {:.0} ms |",
        median(&validate) * 1e3
    )?;
    writeln!(
        out,
        "| first apply | {:.2} s, {:.0} calls/s |",
        median(&apply_wall),
        pages as f64 / median(&apply_wall)
    )?;
    writeln!(
        out,
        "| no-op plan wall | {:.0} ms |",
        median(&noop_wall) * 1e3
    )?;
    writeln!(
        out,
        "| no-op plan HTTP requests | {:.0} (ideal {ideal_requests}){noop_target_requests} |",
        median(&noop_requests)
    )?;
    writeln!(out, "| no-op plan peak RSS | {:.1} MB |", median(&noop_rss))?;
    let cw = median(&change_wall);
    writeln!(
        out,
        "| {} changes, {LATENCY_MS} ms latency, parallelism {PARALLELISM} | {cw:.2} s vs ideal {change_ideal:.2} s = {:.2}x |",
        CHANGED.min(pages),
        cw / change_ideal
    )?;
    for (phase, values) in &phases {
        writeln!(
            out,
            "| no-op plan phase: {phase} | {:.1} ms |",
            median(values)
        )?;
    }
    Ok(out)
}

fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

// ---- the sandbox child -------------------------------------------------

struct Sandbox {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Sandbox {
    fn start(rt: &tokio::runtime::Runtime) -> anyhow::Result<Sandbox> {
        // Built before the child exists, so a failure here leaves no orphan.
        let http = {
            let _guard = rt.enter();
            reqwest::Client::new()
        };
        let mut child = Command::new(BIN)
            .args(["sandbox", "serve", "--listen", "127.0.0.1:0", "--seed-demo"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().transpose()?.unwrap_or_default();
        let Some(url) = first.strip_prefix("listening on ") else {
            let _ = child.kill();
            anyhow::bail!("sandbox did not start: {first:?}");
        };
        // Keep draining its stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Sandbox {
            child,
            url: url.trim().to_string(),
            http,
        })
    }

    fn call(
        &self,
        rt: &tokio::runtime::Runtime,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        rt.block_on(async {
            let mut request = self
                .http
                .request(method, format!("{}{path}", self.url))
                .basic_auth("sandbox", Some("sandbox"));
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await?;
            let status = response.status();
            let text = response.text().await?;
            if !status.is_success() {
                anyhow::bail!("{path}: {status}: {text}");
            }
            Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }

    fn create_apps(&self, rt: &tokio::runtime::Runtime, n: usize) -> anyhow::Result<Vec<String>> {
        (0..n)
            .map(|i| {
                let hook = json!({"address": "https://example.com/hook", "http_method": "POST"});
                let app = self.call(
                    rt,
                    reqwest::Method::POST,
                    "/v2/applications",
                    Some(json!({
                        "name": format!("bench-app-{i}"),
                        "capabilities": {"messages": {"webhooks": {"inbound_url": hook, "status_url": hook}}}
                    })),
                )?;
                app["id"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| anyhow::anyhow!("application without id: {app}"))
            })
            .collect()
    }

    fn requests(&self, rt: &tokio::runtime::Runtime) -> anyhow::Result<Vec<Value>> {
        let log = self.call(rt, reqwest::Method::GET, "/_sandbox/requests", None)?;
        Ok(log.as_array().cloned().unwrap_or_default())
    }

    fn clear_requests(&self, rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
        self.call(rt, reqwest::Method::DELETE, "/_sandbox/requests", None)
            .map(drop)
    }

    fn mutations(&self, rt: &tokio::runtime::Runtime) -> anyhow::Result<usize> {
        Ok(self
            .requests(rt)?
            .iter()
            .filter(|r| {
                r["method"] != "GET" && !r["path"].as_str().unwrap_or("").starts_with("/v2/")
            })
            .count())
    }

    fn faults(&self, rt: &tokio::runtime::Runtime, faults: Value) -> anyhow::Result<()> {
        self.call(rt, reqwest::Method::PUT, "/_sandbox/faults", Some(faults))
            .map(drop)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- the project under test --------------------------------------------

struct Project {
    _dir: tempfile::TempDir,
    path: PathBuf,
    pages: usize,
    apps: Vec<String>,
    url: String,
}

impl Project {
    fn new(pages: usize, apps: &[String], url: &str) -> anyhow::Result<Project> {
        let dir = tempfile::tempdir()?;
        let project = Project {
            path: dir.path().to_path_buf(),
            _dir: dir,
            pages,
            apps: apps.to_vec(),
            url: url.to_string(),
        };
        std::fs::write(project.path.join("main.hcl"), common::FOR_EACH_MAIN_HCL)?;
        project.write_vars(0, 0)?;
        Ok(project)
    }

    /// Writes the variables; the first `renamed` pages get names of `round`.
    fn write_vars(&self, renamed: usize, round: usize) -> anyhow::Result<()> {
        let mut vars = String::from("pages = {\n");
        for i in 0..self.pages {
            let name = if i < renamed {
                format!("Page {i} r{round}")
            } else {
                format!("Page {i}")
            };
            writeln!(
                vars,
                "  p{i:05} = {{ page_id = \"{}\", name = \"{name}\", token = \"tok-{i}\" }}",
                107_300_000_000_000u64 + i as u64
            )?;
        }
        vars.push_str("}\nlinks = {\n");
        for i in (0..self.pages).step_by(2) {
            writeln!(
                vars,
                "  p{i:05} = \"{}\"",
                self.apps[(i / 2) % self.apps.len()]
            )?;
        }
        vars.push_str("}\n");
        std::fs::write(self.path.join("socialform.sfvars"), vars)?;
        Ok(())
    }

    fn rename(&self, count: usize, round: usize) -> anyhow::Result<()> {
        self.write_vars(count, round)
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Outcome> {
        let mut command = Command::new(BIN);
        command
            .arg("-C")
            .arg(&self.path)
            .args(args)
            .arg("--no-color")
            .env("VONAGE_ENDPOINT", &self.url)
            .env("VONAGE_API_KEY", "sandbox")
            .env("VONAGE_API_SECRET", "sandbox")
            .env_remove("SOCIALFORM_TIMINGS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        run_measured(command)
    }
}

// ---- one measured child process ----------------------------------------

struct Outcome {
    code: i32,
    wall: f64,
    max_rss_kb: i64,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn check(&self, what: &str) -> anyhow::Result<()> {
        if self.code != 0 {
            anyhow::bail!(
                "{what} failed with exit {}:\n{}\n{}",
                self.code,
                tail(&self.stdout),
                tail(&self.stderr)
            );
        }
        Ok(())
    }

    /// `timing: PHASE MS ms` lines printed under SOCIALFORM_TIMINGS=1.
    fn timings(&self) -> Vec<(String, f64)> {
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix("timing: "))
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                let mut phase = parts.next()?.to_string();
                let ms = parts.next()?.parse().ok()?;
                // Phases that ran alongside another are marked so by the CLI.
                if l.ends_with("(overlapped)") {
                    phase.push_str(" (overlapped)");
                }
                Some((phase, ms))
            })
            .collect()
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Spawns `command`, collects its output, and reaps it with `wait4` so its
/// own peak resident set size comes back with its exit status.
fn run_measured(mut command: Command) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, and `pid` is our own un-reaped child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed().as_secs_f64();
    if reaped != pid {
        anyhow::bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    // std must not wait for it again; the Child handle owns nothing else.
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok(Outcome {
        code,
        wall,
        max_rss_kb: usage.ru_maxrss,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    })
}
