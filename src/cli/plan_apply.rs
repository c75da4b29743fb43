//! `socialform plan`, `apply` and `destroy`: one pipeline — load, lock,
//! refresh, plan — then show it, and for apply/destroy carry it out.

use super::args::{ApplyArgs, CommonPlanArgs, DestroyArgs, GlobalArgs, PlanArgs};
use super::{EXIT_CHANGES, EXIT_ERROR, EXIT_OK};
use crate::actual::Actual;
use crate::address::Address;
use crate::apply::{self, ApplyContext, ApplyResult, Reporter};
use crate::config::CliVar;
use crate::plan::saved::{PLAN_FORMAT, SavedPlan, configuration_digest};
use crate::plan::{self, Mode, Plan, PlanOptions};
use crate::refresh::{expected_pages, refresh};
use crate::render::{self, HumanReporter, SilentReporter, Style};
use crate::state::{HistoryEntry, SledStore, StateLock, StateStore};
use crate::workspace::{Connection, OpenedState, Workspace};
use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

/// Phase timings for `SOCIALFORM_TIMINGS=1`: printed to stderr so that
/// benchmarks can see where a plan spends its time without a profiler.
/// Off by default, so normal output is unchanged.
struct PhaseTimer {
    enabled: bool,
    last: Instant,
}

impl PhaseTimer {
    fn from_env() -> Self {
        PhaseTimer {
            enabled: std::env::var_os("SOCIALFORM_TIMINGS")
                .is_some_and(|v| v != "0" && !v.is_empty()),
            last: Instant::now(),
        }
    }

    /// Prints the duration of a phase that overlapped others, measured
    /// where it ran. Does not move the mark.
    fn report(&self, phase: &str, took: std::time::Duration) {
        if self.enabled {
            let ms = took.as_secs_f64() * 1000.0;
            eprintln!("timing: {phase} {ms:.1} ms (overlapped)");
        }
    }

    /// Prints the time since the previous mark, named `phase`.
    fn mark(&mut self, phase: &str) {
        let now = Instant::now();
        if self.enabled {
            let ms = now.duration_since(self.last).as_secs_f64() * 1000.0;
            eprintln!("timing: {phase} {ms:.1} ms");
        }
        self.last = now;
    }
}

/// Everything a plan was made from, kept for apply and `--out`.
struct Prepared {
    desired: crate::desired::Desired,
    options: PlanOptions,
    refreshed: bool,
    lineage: String,
    serial: u64,
    plan: Plan,
    store: Arc<SledStore>,
    connection: Connection,
    _lock: StateLock,
}

impl Prepared {
    /// The configuration's digest, for saved plans only: it fingerprints
    /// every token, work a plain plan or apply has no use for.
    fn digest(&self) -> String {
        let fingerprinter = self.store.fingerprinter();
        configuration_digest(&self.desired, &|token| fingerprinter.fingerprint(token))
    }
}

fn parse_addresses(flag: &str, values: &[String]) -> anyhow::Result<Vec<Address>> {
    values
        .iter()
        .map(|v| {
            v.parse::<Address>()
                .with_context(|| format!("invalid {flag}"))
        })
        .collect()
}

fn options_from(common: &CommonPlanArgs, destroy: bool) -> anyhow::Result<PlanOptions> {
    if common.refresh_only && !common.refresh {
        bail!("--refresh-only and --refresh=false contradict each other; drop one");
    }
    Ok(PlanOptions {
        mode: if destroy {
            Mode::Destroy
        } else if common.refresh_only {
            Mode::RefreshOnly
        } else {
            Mode::Normal
        },
        targets: parse_addresses("--target", &common.target)?,
        reconnect: parse_addresses("--reconnect", &common.reconnect)?,
    })
}

/// Load, lock, refresh (unless told not to) and plan.
async fn prepare(
    global: &GlobalArgs,
    vars: Vec<CliVar>,
    options: PlanOptions,
    refresh_remote: bool,
    lock_timeout: std::time::Duration,
    command: &str,
    timer: &mut PhaseTimer,
) -> anyhow::Result<Prepared> {
    let workspace = Workspace::new(global.chdir.clone(), global.state.clone())
        .with_network(super::network_options(global)?);
    let mut config_took = std::time::Duration::ZERO;
    let (desired, opened) = workspace.open_state_alongside(command, lock_timeout, || {
        let started = Instant::now();
        let desired = workspace.load_config(vars, false);
        config_took = started.elapsed();
        desired
    })?;
    let OpenedState {
        lock,
        store,
        recorded,
        took: state_took,
    } = opened;
    // The two overlap: each one's own time, then the wall time of both.
    timer.report("load_config", config_took);
    timer.report("open_state", state_took);
    timer.mark("load_config+open_state");
    let fingerprinter = store.fingerprinter();
    let fingerprint = |token: &crate::secret::Secret| fingerprinter.fingerprint(token);
    let connection = workspace.connect(&desired.provider).await?;
    timer.mark("connect");
    let actual = if refresh_remote {
        refresh(
            &connection.client,
            &fingerprinter,
            expected_pages(&desired, &recorded),
        )
        .await
        .context("could not read the remote side (refresh)")?
    } else {
        Actual::from_recorded(&recorded)
    };
    timer.mark("refresh");
    let plan = plan::plan(&desired, &recorded, &actual, &options, &fingerprint)?;
    timer.mark("diff");
    Ok(Prepared {
        desired,
        options,
        refreshed: refresh_remote,
        lineage: recorded.lineage,
        serial: recorded.serial,
        plan,
        store: Arc::new(store),
        connection,
        _lock: lock,
    })
}

/// Re-plans from the saved plan's own options and refuses it, before any
/// call, if state, configuration or the remote side moved since.
async fn prepare_saved(
    global: &GlobalArgs,
    vars: Vec<CliVar>,
    saved: &SavedPlan,
    lock_timeout: std::time::Duration,
    timer: &mut PhaseTimer,
) -> anyhow::Result<Prepared> {
    let mut prepared = prepare(
        global,
        vars,
        saved.options(),
        saved.refreshed,
        lock_timeout,
        "apply",
        timer,
    )
    .await?;
    let stale = |why: String| {
        anyhow::anyhow!(
            "the saved plan is stale: {why}; make a new one with `socialform plan --out FILE`"
        )
    };
    if prepared.lineage != saved.lineage {
        return Err(stale(
            "it was made for another state (lineage differs)".into(),
        ));
    }
    if prepared.serial != saved.serial {
        return Err(stale(format!(
            "the state changed since it was made (serial {} is now {})",
            saved.serial, prepared.serial
        )));
    }
    if prepared.digest() != saved.configuration_digest {
        return Err(stale(
            "the configuration (or a variable or token it uses) changed since it was made".into(),
        ));
    }
    if prepared.plan != saved.plan {
        return Err(stale("the remote side changed since it was made".into()));
    }
    // Apply exactly what was reviewed.
    prepared.plan = saved.plan.clone();
    Ok(prepared)
}

pub async fn plan(
    global: &GlobalArgs,
    vars: Vec<CliVar>,
    args: PlanArgs,
    style: Style,
) -> anyhow::Result<u8> {
    let options = options_from(&args.common, false)?;
    let mut timer = PhaseTimer::from_env();
    let prepared = prepare(
        global,
        vars,
        options,
        args.common.refresh,
        args.common.lock_timeout,
        "plan",
        &mut timer,
    )
    .await?;
    let plan = &prepared.plan;
    if args.common.json {
        println!("{}", render::plan_document(plan));
    } else {
        print!("{}", render::plan_text(plan, &style));
    }
    timer.mark("render");
    if let Some(path) = args.out.as_deref().map(|p| super::in_config_dir(global, p)) {
        let saved = SavedPlan {
            format: PLAN_FORMAT.into(),
            created_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            mode: SavedPlan::mode_of(&prepared.options),
            targets: prepared.options.targets.clone(),
            reconnect: prepared.options.reconnect.clone(),
            refreshed: prepared.refreshed,
            lineage: prepared.lineage.clone(),
            serial: prepared.serial,
            configuration_digest: prepared.digest(),
            plan: plan.clone(),
        };
        saved.write(&path)?;
        if !args.common.json {
            println!(
                "\nSaved the plan to {}. Apply exactly it with: socialform apply {}",
                path.display(),
                path.display()
            );
        }
    }
    let has_changes = !plan.changes.is_empty() || !plan.calls.is_empty();
    Ok(if args.detailed_exitcode && has_changes {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}

pub async fn apply(
    global: &GlobalArgs,
    vars: Vec<CliVar>,
    args: ApplyArgs,
    style: Style,
) -> anyhow::Result<u8> {
    let Some(path) = &args.plan_file else {
        return plan_and_carry_out(global, vars, args.common, args.auto_approve, false, style)
            .await;
    };
    // A saved plan was reviewed when it was made: it applies without a prompt.
    let saved = SavedPlan::read(&super::in_config_dir(global, path))?;
    let started_at = SystemTime::now();
    let mut timer = PhaseTimer::from_env();
    let prepared =
        prepare_saved(global, vars, &saved, args.common.lock_timeout, &mut timer).await?;
    if !args.common.json {
        print!("{}", render::plan_text(&prepared.plan, &style));
    }
    carry_out(
        prepared,
        "apply",
        &args.common,
        style,
        started_at,
        &mut timer,
    )
    .await
}

pub async fn destroy(
    global: &GlobalArgs,
    vars: Vec<CliVar>,
    args: DestroyArgs,
    style: Style,
) -> anyhow::Result<u8> {
    plan_and_carry_out(global, vars, args.common, args.auto_approve, true, style).await
}

async fn plan_and_carry_out(
    global: &GlobalArgs,
    vars: Vec<CliVar>,
    common: CommonPlanArgs,
    auto_approve: bool,
    destroy: bool,
    style: Style,
) -> anyhow::Result<u8> {
    let command = if destroy { "destroy" } else { "apply" };
    if common.json && !auto_approve {
        bail!("{command} --json needs --auto-approve: there is no prompt in JSON mode");
    }
    let started_at = SystemTime::now();
    let options = options_from(&common, destroy)?;
    let mut timer = PhaseTimer::from_env();
    let prepared = prepare(
        global,
        vars,
        options,
        common.refresh,
        common.lock_timeout,
        command,
        &mut timer,
    )
    .await?;
    let plan = &prepared.plan;
    if !common.json {
        print!("{}", render::plan_text(plan, &style));
    }
    timer.mark("render");
    let has_changes = !plan.changes.is_empty() || !plan.calls.is_empty();
    if has_changes && !auto_approve && !confirm()? {
        eprintln!("Apply cancelled: nothing was changed.");
        return Ok(EXIT_ERROR);
    }
    carry_out(prepared, command, &common, style, started_at, &mut timer).await
}

/// Runs the plan's calls, records the history, prints the outcome.
async fn carry_out(
    prepared: Prepared,
    command: &str,
    common: &CommonPlanArgs,
    style: Style,
    started_at: SystemTime,
    timer: &mut PhaseTimer,
) -> anyhow::Result<u8> {
    let plan = &prepared.plan;
    let cancel = Arc::new(AtomicBool::new(false));
    let interrupts = tokio::spawn(watch_interrupts(cancel.clone()));
    let reporter: Arc<dyn Reporter> = if common.json {
        Arc::new(SilentReporter)
    } else {
        Arc::new(HumanReporter { style })
    };
    let tokens = prepared
        .desired
        .pages
        .iter()
        .filter_map(|p| p.access_token.clone().map(|t| (p.address.clone(), t)))
        .collect();
    let result = apply::apply(
        plan,
        ApplyContext {
            client: prepared.connection.client.clone(),
            store: prepared.store.clone(),
            tokens,
            parallelism: common.parallelism as usize,
            cancel,
            reporter,
        },
    )
    .await?;
    timer.mark("execute");
    interrupts.abort();
    record_history(&prepared.store, command, plan, &result, started_at);

    if common.json {
        println!("{}", render::apply_document(plan, &result));
    } else {
        if !plan.calls.is_empty() {
            println!();
        }
        print!("{}", render::apply_summary(plan, &result, &style));
    }
    Ok(if result.is_complete() && !result.interrupted {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}

/// The contract's prompt; only `yes` approves. No terminal, no guessing.
fn confirm() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "this needs confirmation but stdin is not a terminal; re-run with --auto-approve, \
             or save the plan with `socialform plan --out FILE` and apply that file"
        );
    }
    print!(
        "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// First Ctrl-C (or SIGTERM): no new call starts, calls in flight finish
/// and are recorded. Second: leave at once (state already holds every
/// finished call, each recorded and flushed as it finished).
async fn watch_interrupts(cancel: Arc<AtomicBool>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    let mut stop = async || {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    };
    stop().await;
    cancel.store(true, Ordering::SeqCst);
    eprintln!(
        "\nInterrupt received: finishing the calls in flight, starting no new one. Press Ctrl-C again to stop at once."
    );
    stop().await;
    eprintln!(
        "Stopping now. State records every call that completed; run `socialform plan` to see what is left."
    );
    std::process::exit(EXIT_ERROR as i32);
}

fn record_history(
    store: &SledStore,
    command: &str,
    plan: &Plan,
    result: &ApplyResult,
    started_at: SystemTime,
) {
    let outcome = if result.interrupted {
        "interrupted"
    } else if result.is_complete() {
        "complete"
    } else {
        "failed"
    };
    let changes = plan
        .changes
        .iter()
        .map(|c| format!("{}: {}", c.address, c.action))
        .collect();
    let started_at = humantime::format_rfc3339_seconds(started_at).to_string();
    let entry = HistoryEntry::ending_now(command, started_at, changes, outcome);
    if let Err(error) = store.append_history(&entry) {
        eprintln!("warning: the apply history could not be written: {error:#}");
    }
}
