//! End-to-end performance at scale: the real `socialform` binary against a
//! `socialform sandbox serve` child over loopback, for 1,000 and 10,000 pages
//! (half of them linked, across 20 applications), whole process beside the
//! phases (`SOCIALFORM_TIMINGS=1`).
//!
//! Run with `cargo bench --bench e2e` (add `-- --sizes 1000` to pick sizes,
//! `--runs N` to change the number of validate and no-op plan runs,
//! `--backends local,postgres` to measure state in a throwaway PostgreSQL
//! cluster beside the local store, `--shapes literal,for_each` to pick the
//! configurations; PostgreSQL needs its server installed, see
//! `scripts/pg-cluster.sh`). `SOCIALFORM_BIN` picks the binary measured.
//! These runs set no client-side rate limit (`SOCIALFORM_RATE_LIMIT=0`):
//! they measure socialform against latency alone.
//!
//! `-- --at-limit` measures instead what a large account waits for at
//! Vonage's real limit: the sandbox enforcing 30 requests a second (its
//! `rate_limit` fault) with 10 ms of latency, a first apply of 2,000 pages
//! and then 1,000 renames, whole process, at `--parallelism` 4, 16 and 64,
//! with the client's rate configured right (30/s) and 2× too high (60/s).
//! It reports wall ÷ floor (the floor: the requests the API carried out ÷
//! 30 s) and the share of requests refused with 429.
//!
//! Two configurations of the same fleet: `literal`, issue 15's one file of
//! literal `page` and `link` blocks (`access_token = var.token`,
//! `page = page.pN.page_id`), and `for_each`, one block of each over a map in
//! `socialform.sfvars` (read by the literal reader).
//!
//! Every figure is a median. Peak memory is the child's own `ru_maxrss` from
//! `wait4`, so no external `time` binary is needed. Nothing here asserts on
//! time: it prints figures and the targets they are measured against, each
//! with the command that produced it.

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
const FIRST_APPLY_PARALLELISM: usize = 32;
const APPLY_RUNS: usize = 3;
/// `var.token` of the literal configuration (a sandbox token, no secret).
const TOKEN_ENV: (&str, &str) = ("SF_VAR_token", "bench-token");

fn main() -> anyhow::Result<()> {
    let mut sizes = vec![1000usize, 10_000];
    let mut runs = 5usize;
    let mut backends = vec!["local".to_string()];
    let mut shapes = vec![Shape::Literal, Shape::ForEach];
    let mut at_limit = false;
    let mut args = std::env::args().skip(1);
    let list = |arg: Option<String>| -> Vec<String> {
        arg.unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sizes" => {
                sizes = list(args.next())
                    .iter()
                    .filter_map(|s| s.parse().ok())
                    .collect();
            }
            "--runs" => runs = args.next().and_then(|s| s.parse().ok()).unwrap_or(5),
            "--backends" => backends = list(args.next()),
            "--at-limit" => at_limit = true,
            "--shapes" => {
                shapes = list(args.next())
                    .iter()
                    .map(|s| match s.as_str() {
                        "literal" => Ok(Shape::Literal),
                        "for_each" => Ok(Shape::ForEach),
                        other => anyhow::bail!("unknown shape {other:?}: use literal or for_each"),
                    })
                    .collect::<anyhow::Result<_>>()?;
            }
            // `cargo bench` passes `--bench`; anything else is ignored too.
            _ => {}
        }
    }
    if at_limit {
        return bench_at_limit();
    }
    let invocation = format!(
        "cargo bench --bench e2e -- --sizes {} --runs {runs} --backends {} --shapes {}",
        sizes
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(","),
        backends.join(","),
        shapes
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(",")
    );
    println!("socialform e2e benchmark: {}", bin());
    println!("{invocation}");
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    let mut states = Vec::new();
    for name in &backends {
        states.push(match name.as_str() {
            "local" => StateUnderTest::Local,
            "postgres" => StateUnderTest::Postgres(OwnCluster::start()),
            other => anyhow::bail!("unknown backend {other:?}: use local or postgres"),
        });
    }
    let mut report = format!("Command: `{invocation}`\n\n");
    for &shape in &shapes {
        for &pages in &sizes {
            let mut columns = Vec::new();
            for state in &states {
                columns.push((state.name(), bench_size(shape, pages, runs, state)?));
            }
            report.push_str(&table(shape, pages, runs, &columns)?);
        }
    }
    println!("\n{report}");
    Ok(())
}

/// The API's limit in the at-limit runs, and their sizes.
const LIMIT: u32 = 30;
const LIMIT_PAGES: usize = 2000;
const LIMIT_RENAMES: usize = 1000;
const LIMIT_LATENCY_MS: u64 = 10;

/// One at-limit apply: wall ÷ floor and the share refused.
struct AtLimit {
    wall: f64,
    carried_out: usize,
    refused: usize,
}

impl AtLimit {
    fn floor(&self) -> f64 {
        self.carried_out as f64 / LIMIT as f64
    }

    fn cell(&self) -> String {
        format!(
            "{:.1} s = {:.3}× the floor {:.1} s, {:.2}% refused ({} of {})",
            self.wall,
            self.wall / self.floor(),
            self.floor(),
            100.0 * self.refused as f64 / (self.carried_out + self.refused) as f64,
            self.refused,
            self.carried_out + self.refused
        )
    }
}

/// `--at-limit`: see the module comment.
fn bench_at_limit() -> anyhow::Result<()> {
    let invocation = "cargo bench --bench e2e -- --at-limit";
    println!(
        "socialform e2e benchmark at the API's limit: {}
{invocation}",
        bin()
    );
    let mut rows = Vec::new();
    for parallelism in [4usize, 16, 64] {
        for configured in [LIMIT, 2 * LIMIT] {
            let sandbox = Sandbox::start();
            let apps = sandbox.create_apps(APPS)?;
            sandbox.set_faults(json!({
                "rate_limit": LIMIT,
                "latency_ms": LIMIT_LATENCY_MS,
            }));
            let project = Project::new(
                Shape::ForEach,
                LIMIT_PAGES,
                &apps,
                &sandbox.url,
                &StateUnderTest::Local,
                0,
            )?;
            let rate = configured.to_string();
            let parallel = parallelism.to_string();
            let measure = |what: &str| -> anyhow::Result<AtLimit> {
                // The setup's own requests fill the window too: start empty.
                std::thread::sleep(std::time::Duration::from_millis(1100));
                sandbox.clear_requests();
                let run = project.run(
                    &["apply", "--auto-approve", "--parallelism", &parallel],
                    &[("SOCIALFORM_RATE_LIMIT", &rate)],
                )?;
                run.check(what)?;
                let log = sandbox.log()?;
                let refused = log.iter().filter(|r| r["status"] == 429).count();
                let measured = AtLimit {
                    wall: run.wall,
                    carried_out: log.len() - refused,
                    refused,
                };
                println!(
                    "--parallelism {parallelism}, client at {configured}/s, {what}: {}",
                    measured.cell()
                );
                Ok(measured)
            };
            let first = measure("first apply")?;
            project.write_config(LIMIT_RENAMES, 1)?;
            let renames = measure("1,000 renames")?;
            rows.push((parallelism, configured, first, renames));
        }
    }
    let mut report = format!(
        "Command: `{invocation}`

The sandbox allows {LIMIT} requests a second (one-second \
         sliding window) with {LIMIT_LATENCY_MS} ms of latency; {LIMIT_PAGES} pages ({}), whole \
         process. Floor: the requests the API carried out ÷ {LIMIT}/s.\n\n\
         | --parallelism | client rate | first apply of {LIMIT_PAGES} pages | {LIMIT_RENAMES} renames |\n\
         |---|---|---|---|\n",
        Shape::ForEach.describe()
    );
    for (parallelism, configured, first, renames) in rows {
        let _ = writeln!(
            report,
            "| {parallelism} | {configured}/s | {} | {} |",
            first.cell(),
            renames.cell()
        );
    }
    println!("\n{report}");
    Ok(())
}

/// Which configuration the fleet is written in.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// Issue 15's: one literal block per page and per link, in `main.hcl`.
    Literal,
    /// One `for_each` block of each over maps in `socialform.sfvars`.
    ForEach,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Literal => "literal",
            Shape::ForEach => "for_each",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Shape::Literal => {
                "one main.hcl of literal `page` blocks (`access_token = var.token`) and `link` blocks (`page = page.pN.page_id`)"
            }
            Shape::ForEach => {
                "one `for_each` page block and one link block over maps in `socialform.sfvars`"
            }
        }
    }
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

/// Every figure of one configuration, size and backend.
#[derive(Default)]
struct Figures {
    validate_wall: Vec<f64>,
    validate_rss: Vec<f64>,
    first_apply_wall: Vec<f64>,
    first_apply_calls: Vec<f64>,
    first_apply_rss: Vec<f64>,
    noop_wall: Vec<f64>,
    noop_rss: Vec<f64>,
    noop_requests: Vec<f64>,
    noop_phases: Phases,
    change_wall: Vec<f64>,
    change_ratio: Vec<f64>,
    change_ideal: f64,
    change_calls: usize,
    change_reads: usize,
    change_phases: Phases,
}

/// Phase name → the milliseconds of each run, in first-seen order.
#[derive(Default)]
struct Phases(Vec<(String, Vec<f64>)>);

impl Phases {
    fn add(&mut self, timings: Vec<(String, f64)>) {
        for (phase, ms) in timings {
            match self.0.iter_mut().find(|(name, _)| *name == phase) {
                Some((_, v)) => v.push(ms),
                None => self.0.push((phase, vec![ms])),
            }
        }
    }

    fn summary(&self) -> String {
        self.0
            .iter()
            .map(|(phase, v)| format!("{phase} {:.0}", median(v)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Runs every measurement for one configuration, size and backend.
fn bench_size(
    shape: Shape,
    pages: usize,
    runs: usize,
    state: &StateUnderTest,
) -> anyhow::Result<Figures> {
    println!(
        "\n== {pages} pages, {} configuration, state in the {} ==",
        shape.name(),
        state.name()
    );
    let mut f = Figures::default();
    let parallelism = PARALLELISM.to_string();
    let first_parallelism = FIRST_APPLY_PARALLELISM.to_string();

    for trial in 0..APPLY_RUNS {
        // A fresh sandbox and state for every first apply.
        let sandbox = Sandbox::start();
        let apps = sandbox.create_apps(APPS)?;
        let project = Project::new(shape, pages, &apps, &sandbox.url, state, trial)?;
        let last = trial == APPLY_RUNS - 1;

        // validate is offline: `runs` of them on the last trial, one before.
        for _ in 0..if last { runs } else { 1 } {
            let v = project.run(&["validate"], &[])?;
            v.check("validate")?;
            println!(
                "validate: {:.0} ms, {:.1} MB peak RSS",
                v.wall * 1e3,
                v.max_rss_mb()
            );
            f.validate_wall.push(v.wall);
            f.validate_rss.push(v.max_rss_mb());
        }

        sandbox.clear_requests();
        let a = project.run(
            &[
                "apply",
                "--auto-approve",
                "--parallelism",
                &first_parallelism,
            ],
            &[],
        )?;
        a.check("first apply")?;
        let calls = sandbox.api_mutations()?;
        println!(
            "trial {trial}: first apply {:.2} s ({calls} calls, {:.0} calls/s), {:.1} MB peak RSS",
            a.wall,
            calls as f64 / a.wall,
            a.max_rss_mb()
        );
        f.first_apply_wall.push(a.wall);
        f.first_apply_calls.push(calls as f64 / a.wall);
        f.first_apply_rss.push(a.max_rss_mb());

        if !last {
            continue;
        }
        // No-op plans, on the last trial's sandbox only.
        for _ in 0..runs {
            sandbox.clear_requests();
            let p = project.run(
                &["plan", "--detailed-exitcode"],
                &[("SOCIALFORM_TIMINGS", "1")],
            )?;
            if p.code != 0 {
                anyhow::bail!(
                    "no-op plan was not empty (exit {}):\n{}\n{}",
                    p.code,
                    tail(&p.stdout),
                    tail(&p.stderr)
                );
            }
            let requests = sandbox.log()?.len();
            f.noop_wall.push(p.wall);
            f.noop_requests.push(requests as f64);
            f.noop_rss.push(p.max_rss_mb());
            f.noop_phases.add(p.timings());
            println!(
                "no-op plan: {:.0} ms, {requests} requests, {:.1} MB peak RSS",
                p.wall * 1e3,
                p.max_rss_mb()
            );
        }

        // Changed pages under latency: a name change is one PATCH each.
        let changed = CHANGED.min(pages);
        sandbox.set_faults(json!({ "latency_ms": LATENCY_MS }));
        for round in 1..=APPLY_RUNS {
            project.write_config(changed, round)?;
            sandbox.clear_requests();
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
            f.change_ideal = ideal;
            f.change_calls = calls;
            f.change_reads = reads;
            println!(
                "{changed} changes at {LATENCY_MS} ms: {:.2} s, {calls} calls + {reads} reads, ideal {:.2} s, ratio {:.2}; phases {:?}",
                c.wall,
                ideal,
                c.wall / ideal,
                c.timings()
            );
            f.change_wall.push(c.wall);
            f.change_ratio.push(c.wall / ideal);
            // The whole process beyond its phases: exec, runtime start,
            // exit (phases that overlap another are counted in its pair).
            let timings = c.timings();
            let phased: f64 = timings
                .iter()
                .filter(|(p, _)| !p.ends_with("(overlapped)"))
                .map(|(_, ms)| ms)
                .sum();
            f.change_phases.add(timings);
            f.change_phases
                .add(vec![("outside phases".into(), c.wall * 1e3 - phased)]);
        }
        sandbox.set_faults(json!({ "latency_ms": 0 }));
    }
    Ok(f)
}

/// The summary of one configuration and size: one column per backend, and
/// the command of every row (run with the environment given above it).
fn table(
    shape: Shape,
    pages: usize,
    runs: usize,
    columns: &[(&str, Figures)],
) -> anyhow::Result<String> {
    let ideal_requests = pages.div_ceil(100) + (APPS + 3).div_ceil(100);
    let big = pages >= 10_000;
    let target = |t: &str| {
        if big {
            format!(" (target {t})")
        } else {
            String::new()
        }
    };
    let changed = CHANGED.min(pages);
    let mut out = String::new();
    writeln!(
        out,
        "### {pages} pages ({} linked, {APPS} apps), {} configuration\n",
        pages / 2,
        shape.name()
    )?;
    writeln!(
        out,
        "Configuration: {}. Every command runs in the project directory DIR with \
         `VONAGE_ENDPOINT=<sandbox> VONAGE_API_KEY=sandbox VONAGE_API_SECRET=sandbox{}`, \
         plus `SOCIALFORM_PG_CONN_STR=<cluster URL>` and a `backend \"postgres\"` block \
         for PostgreSQL. Medians; wall and peak RSS (`wait4` `ru_maxrss`) of the \
         socialform process, from exec to exit.\n",
        shape.describe(),
        if shape == Shape::Literal {
            format!(" {}={}", TOKEN_ENV.0, TOKEN_ENV.1)
        } else {
            String::new()
        }
    )?;
    write!(out, "| measure |")?;
    for (name, _) in columns {
        write!(out, " {name} |")?;
    }
    writeln!(out, " command |")?;
    writeln!(out, "|---|{}---|", "---|".repeat(columns.len()))?;
    let mut row = |label: String, cell: &dyn Fn(&Figures) -> String, command: &str| {
        let mut line = format!("| {label} |");
        for (_, f) in columns {
            line.push_str(&format!(" {} |", cell(f)));
        }
        line.push_str(&format!(" `{command}` |\n"));
        out.push_str(&line);
    };
    row(
        format!(
            "validate, wall / peak RSS ({runs} runs){}",
            target("≤ 0.2 s, ≤ 60 MB")
        ),
        &|f| {
            format!(
                "{:.0} ms / {:.1} MB",
                median(&f.validate_wall) * 1e3,
                median(&f.validate_rss)
            )
        },
        "socialform -C DIR validate --no-color",
    );
    row(
        format!(
            "no-op plan, wall / peak RSS ({runs} runs){}",
            target("≤ 0.5 s, ≤ 80 MB")
        ),
        &|f| {
            format!(
                "{:.0} ms / {:.1} MB",
                median(&f.noop_wall) * 1e3,
                median(&f.noop_rss)
            )
        },
        "SOCIALFORM_TIMINGS=1 socialform -C DIR plan --detailed-exitcode --no-color",
    );
    row(
        format!("no-op plan HTTP requests (ideal {ideal_requests})"),
        &|f| format!("{:.0}", median(&f.noop_requests)),
        "(sandbox request log)",
    );
    row(
        "no-op plan phases, ms".into(),
        &|f| f.noop_phases.summary(),
        "(SOCIALFORM_TIMINGS=1 lines of the no-op plans)",
    );
    row(
        format!(
            "{changed} renames, {LATENCY_MS} ms latency, parallelism {PARALLELISM}: wall ÷ ideal ({APPLY_RUNS} runs){}",
            target("≤ 1.15× local, ≤ 1.25× PostgreSQL")
        ),
        &|f| {
            format!(
                "{:.2} s ÷ {:.2} s = **{:.2}×**",
                median(&f.change_wall),
                f.change_ideal,
                median(&f.change_ratio)
            )
        },
        "SOCIALFORM_TIMINGS=1 socialform -C DIR apply --auto-approve --parallelism 16 --no-color",
    );
    row(
        "ideal = (ceil(calls/16) + ceil(reads/16)) × 20 ms".into(),
        &|f| format!("{} calls + {} reads", f.change_calls, f.change_reads),
        "(sandbox request log)",
    );
    row(
        "renames' phases, ms".into(),
        &|f| f.change_phases.summary(),
        "(SOCIALFORM_TIMINGS=1 lines of the renames' applies)",
    );
    row(
        format!(
            "first apply, no latency, parallelism {FIRST_APPLY_PARALLELISM} ({APPLY_RUNS} runs)"
        ),
        &|f| {
            format!(
                "{:.2} s, **{:.0} calls/s**, {:.1} MB",
                median(&f.first_apply_wall),
                median(&f.first_apply_calls),
                median(&f.first_apply_rss)
            )
        },
        "socialform -C DIR apply --auto-approve --parallelism 32 --no-color",
    );
    out.push('\n');
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
    shape: Shape,
    pages: usize,
    apps: Vec<String>,
    url: String,
    /// `SOCIALFORM_PG_CONN_STR` for state in PostgreSQL.
    pg: Option<String>,
}

impl Project {
    fn new(
        shape: Shape,
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
            shape,
            pages,
            apps: apps.to_vec(),
            url: url.to_string(),
            pg: match state {
                StateUnderTest::Local => None,
                StateUnderTest::Postgres(cluster) => Some(cluster.url.clone()),
            },
        };
        if shape == Shape::ForEach {
            std::fs::write(project.path.join("main.hcl"), support::FOR_EACH_MAIN_HCL)?;
        }
        if project.pg.is_some() {
            // A state of its own for every trial, as a fresh local store is.
            std::fs::write(
                project.path.join("backend.hcl"),
                format!(
                    "backend \"postgres\" {{\n  state_name = \"bench-{}-{pages}-{trial}\"\n}}\n",
                    shape.name()
                ),
            )?;
        }
        project.write_config(0, 0)?;
        Ok(project)
    }

    /// Writes the fleet; the first `renamed` pages get names of `round`.
    fn write_config(&self, renamed: usize, round: usize) -> anyhow::Result<()> {
        match self.shape {
            Shape::ForEach => std::fs::write(
                self.path.join("socialform.sfvars"),
                support::for_each_vars(self.pages, &self.apps, renamed, round),
            )?,
            Shape::Literal => std::fs::write(
                self.path.join("main.hcl"),
                support::literal_fleet_config(self.pages, &self.apps, renamed, round),
            )?,
        }
        Ok(())
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
            // No client-side limit unless a run asks for one (`env`).
            .env("SOCIALFORM_RATE_LIMIT", "0")
            .env_remove("SOCIALFORM_TIMINGS")
            .env_remove("FACEBOOK_USER_TOKEN")
            .env_remove("FACEBOOK_APP_ID")
            .env_remove("FACEBOOK_APP_SECRET")
            .env_remove("FACEBOOK_GRAPH_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if self.shape == Shape::Literal {
            command.env(TOKEN_ENV.0, TOKEN_ENV.1);
        }
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
    fn max_rss_mb(&self) -> f64 {
        self.max_rss_kb as f64 / 1024.0
    }

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
