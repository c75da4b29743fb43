//! End-to-end performance at scale: the real `socialform` binary against a
//! `socialform sandbox serve` child over loopback, for 1,000 and 10,000 pages
//! (half of them linked, across 20 applications).
//!
//! Run with `cargo bench --bench e2e` (add `-- --sizes 1000` to pick sizes,
//! `--runs N` to change the number of no-op plan runs, `--backends
//! local,postgres` to measure state in a throwaway PostgreSQL cluster beside
//! the local store; PostgreSQL needs its server installed, see
//! `scripts/pg-cluster.sh`).
//!
//! Every figure is a median. Peak memory is the child's own `ru_maxrss` from
//! `wait4`, so no external `time` binary is needed. Nothing here asserts on
//! time: it prints figures and the targets they are measured against.

// The support module the integration tests use: the sandbox child and the
// fleet configuration; a bench needs only part.
#[allow(dead_code, unused_imports)]
#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::{Value, json};
use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;
use support::{OwnCluster, Sandbox, bin};

const APPS: usize = 20;
const CHANGED: usize = 1000;
const LATENCY_MS: u64 = 20;
const PARALLELISM: usize = 16;
const APPLY_RUNS: usize = 3;

fn main() -> anyhow::Result<()> {
    let mut sizes = vec![1000usize, 10_000];
    let mut noop_runs = 5usize;
    let mut backends = vec!["local".to_string()];
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
            "--backends" => {
                backends = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::to_string)
                    .collect();
            }
            // `cargo bench` passes `--bench`; anything else is ignored too.
            _ => {}
        }
    }
    println!("socialform e2e benchmark: {}", bin());
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    let mut report = String::new();
    for name in &backends {
        let backend = match name.as_str() {
            "local" => StateUnderTest::Local,
            "postgres" => StateUnderTest::Postgres(OwnCluster::start()),
            other => anyhow::bail!("unknown backend {other:?}: use local or postgres"),
        };
        for &pages in &sizes {
            let figures = bench_size(pages, noop_runs, &backend)?;
            report.push_str(&figures);
        }
    }
    println!("\n{report}");
    Ok(())
}

/// Where the project under test keeps its state.
enum StateUnderTest {
    Local,
    /// A `backend "postgres"` block and a cluster of the bench's own.
    Postgres(OwnCluster),
}

impl StateUnderTest {
    fn name(&self) -> &'static str {
        match self {
            StateUnderTest::Local => "local store",
            StateUnderTest::Postgres(_) => "PostgreSQL",
        }
    }
}

/// Runs every measurement for one size and returns its summary table.
fn bench_size(pages: usize, noop_runs: usize, state: &StateUnderTest) -> anyhow::Result<String> {
    println!("\n== {pages} pages, state in the {} ==", state.name());
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
        let sandbox = Sandbox::start();
        let apps = sandbox.create_apps(APPS)?;
        let project = Project::new(pages, &apps, &sandbox.url, state, trial)?;

        let v = project.run(&["validate"], &[])?;
        v.check("validate")?;
        validate.push(v.wall);

        let a = project.run(&["apply", "--auto-approve"], &[])?;
        a.check("first apply")?;
        let calls = sandbox.api_mutations()?;
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
                sandbox.clear_requests();
                let p = project.run(
                    &["plan", "--detailed-exitcode"],
                    &[("SOCIALFORM_TIMINGS", "1")],
                )?;
                if p.code != 0 {
                    anyhow::bail!("no-op plan was not empty (exit {}):\n{}", p.code, p.stdout);
                }
                let requests = sandbox.log()?.len();
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
            sandbox.set_faults(json!({ "latency_ms": LATENCY_MS }));
            for round in 1..=APPLY_RUNS {
                project.rename(changed, round)?;
                sandbox.clear_requests();
                let parallelism = PARALLELISM.to_string();
                let c = project.run(
                    &["apply", "--auto-approve", "--parallelism", &parallelism],
                    &[("SOCIALFORM_TIMINGS", "1")],
                )?;
                c.check("changed apply")?;
                let log = sandbox.log()?;
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
            sandbox.set_faults(json!({ "latency_ms": 0 }));
        }
    }

    let ideal_requests = pages.div_ceil(100) + (APPS + 3).div_ceil(100);
    let noop_target_requests = if pages >= 10_000 {
        " (target <= 110)"
    } else {
        ""
    };
    let mut out = String::new();
    writeln!(
        out,
        "### {pages} pages ({} linked, {APPS} apps), state in the {}",
        pages / 2,
        state.name()
    )?;
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

// ---- the sandbox child, through the shared support module ----------------

/// Bench-side requests to the sandbox child: failures are errors, not panics.
trait SandboxExt {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value>;
    fn create_apps(&self, n: usize) -> anyhow::Result<Vec<String>>;
    fn log(&self) -> anyhow::Result<Vec<Value>>;
    fn api_mutations(&self) -> anyhow::Result<usize>;
}

impl SandboxExt for Sandbox {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let (status, body) = self.api(method, path, body);
        if !(200..300).contains(&status) {
            anyhow::bail!("{method} {path}: {status}: {body}");
        }
        Ok(body)
    }

    fn create_apps(&self, n: usize) -> anyhow::Result<Vec<String>> {
        (0..n)
            .map(|i| {
                let hook = json!({"address": "https://example.com/hook", "http_method": "POST"});
                let app = self.call(
                    "POST",
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

    fn log(&self) -> anyhow::Result<Vec<Value>> {
        let log = self.call("GET", "/_sandbox/requests", None)?;
        Ok(log.as_array().cloned().unwrap_or_default())
    }

    /// Mutating requests of the External Accounts API (not the setup's
    /// application creation).
    fn api_mutations(&self) -> anyhow::Result<usize> {
        Ok(self
            .log()?
            .iter()
            .filter(|r| {
                r["method"] != "GET" && !r["path"].as_str().unwrap_or("").starts_with("/v2/")
            })
            .count())
    }
}

// ---- the project under test --------------------------------------------

struct Project {
    _dir: tempfile::TempDir,
    path: PathBuf,
    pages: usize,
    apps: Vec<String>,
    url: String,
    /// `SOCIALFORM_PG_CONN_STR` for state in PostgreSQL.
    pg: Option<String>,
}

impl Project {
    fn new(
        pages: usize,
        apps: &[String],
        url: &str,
        state: &StateUnderTest,
        trial: usize,
    ) -> anyhow::Result<Project> {
        let dir = tempfile::tempdir()?;
        let project = Project {
            path: dir.path().to_path_buf(),
            _dir: dir,
            pages,
            apps: apps.to_vec(),
            url: url.to_string(),
            pg: match state {
                StateUnderTest::Local => None,
                StateUnderTest::Postgres(cluster) => Some(cluster.url.clone()),
            },
        };
        std::fs::write(project.path.join("main.hcl"), support::FOR_EACH_MAIN_HCL)?;
        if project.pg.is_some() {
            // A state of its own for every trial, as a fresh local store is.
            std::fs::write(
                project.path.join("backend.hcl"),
                format!("backend \"postgres\" {{\n  state_name = \"bench-{pages}-{trial}\"\n}}\n"),
            )?;
        }
        project.write_vars(0, 0)?;
        Ok(project)
    }

    /// Writes the variables; the first `renamed` pages get names of `round`.
    fn write_vars(&self, renamed: usize, round: usize) -> anyhow::Result<()> {
        let vars = support::for_each_vars(self.pages, &self.apps, renamed, round);
        std::fs::write(self.path.join("socialform.sfvars"), vars)?;
        Ok(())
    }

    fn rename(&self, count: usize, round: usize) -> anyhow::Result<()> {
        self.write_vars(count, round)
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Outcome> {
        let mut command = Command::new(bin());
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
        if let Some(pg) = &self.pg {
            command.env("SOCIALFORM_PG_CONN_STR", pg);
        }
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
