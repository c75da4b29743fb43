//! `socialform plan`, `apply` and `destroy`: one pipeline — load, lock,
//! refresh, plan — then show it, and for apply/destroy carry it out.

use super::args::{ApplyArgs, CommonPlanArgs, GlobalArgs, PlanArgs};
use super::{EXIT_CHANGES, EXIT_ERROR, EXIT_OK};
use crate::actual::Actual;
use crate::address::Address;
use crate::apply::{self, ApplyContext, ApplyResult, Reporter};
use crate::config::CliVar;
use crate::plan::{self, Mode, Plan, PlanOptions};
use crate::refresh::refresh;
use crate::render::{self, HumanReporter, SilentReporter, Style};
use crate::state::{HistoryEntry, SledStore, StateLock, StateStore};
use crate::workspace::{Connection, Workspace, operator};
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

/// Everything a plan was made from, kept for apply.
struct Prepared {
    desired: crate::desired::Desired,
    plan: Plan,
    store: Arc<SledStore>,
    connection: Connection,
    _lock: StateLock,
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

async fn prepare(
    global: &GlobalArgs,
    vars: Vec<CliVar>,
    common: &CommonPlanArgs,
    command: &str,
    destroy: bool,
    timer: &mut PhaseTimer,
) -> anyhow::Result<Prepared> {
    let workspace = Workspace::new(global.chdir.clone(), global.state.clone());
    let desired = workspace.load_config(vars, false)?;
    timer.mark("load_config");
    let options = PlanOptions {
        mode: if destroy {
            Mode::Destroy
        } else if common.refresh_only {
            Mode::RefreshOnly
        } else {
            Mode::Normal
        },
        targets: parse_addresses("--target", &common.target)?,
        reconnect: parse_addresses("--reconnect", &common.reconnect)?,
    };
    if common.refresh_only && !common.refresh {
        bail!("--refresh-only and --refresh=false contradict each other; drop one");
    }
    let (lock, store) = workspace.open_state(command, common.lock_timeout)?;
    let recorded = store.load()?;
    let fingerprinter = store.fingerprinter();
    timer.mark("open_state");
    let connection = workspace.connect(&desired.provider).await?;
    timer.mark("connect");
    let actual = if common.refresh {
        refresh(&connection.client, &fingerprinter)
            .await
            .context("could not read the remote side (refresh)")?
    } else {
        Actual::from_recorded(&recorded)
    };
    timer.mark("refresh");
    let plan = plan::plan(&desired, &recorded, &actual, &options, &|token| {
        fingerprinter.fingerprint(token)
    })?;
    timer.mark("diff");
    Ok(Prepared {
        desired,
        plan,
        store: Arc::new(store),
        connection,
        _lock: lock,
    })
}

pub async fn plan(
    global: &GlobalArgs,
    vars: Vec<CliVar>,
    args: PlanArgs,
    style: Style,
) -> anyhow::Result<u8> {
    let mut timer = PhaseTimer::from_env();
    let prepared = prepare(global, vars, &args.common, "plan", false, &mut timer).await?;
    let plan = &prepared.plan;
    if args.common.json {
        println!("{}", render::plan_document(plan));
    } else {
        print!("{}", render::plan_text(plan, &style));
    }
    timer.mark("render");
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
    destroy: bool,
    style: Style,
) -> anyhow::Result<u8> {
    let command = if destroy { "destroy" } else { "apply" };
    if args.common.json && !args.auto_approve {
        bail!("{command} --json needs --auto-approve: there is no prompt in JSON mode");
    }
    let started_at = SystemTime::now();
    let mut timer = PhaseTimer::from_env();
    let prepared = prepare(global, vars, &args.common, command, destroy, &mut timer).await?;
    let plan = &prepared.plan;
    if !args.common.json {
        print!("{}", render::plan_text(plan, &style));
    }
    timer.mark("render");
    let has_changes = !plan.changes.is_empty() || !plan.calls.is_empty();
    if has_changes && !args.auto_approve && !confirm()? {
        eprintln!("Apply cancelled: nothing was changed.");
        return Ok(EXIT_ERROR);
    }

    let cancel = Arc::new(AtomicBool::new(false));
    let interrupts = tokio::spawn(watch_interrupts(cancel.clone()));
    let reporter: Arc<dyn Reporter> = if args.common.json {
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
            parallelism: args.common.parallelism as usize,
            cancel,
            reporter,
        },
    )
    .await?;
    timer.mark("execute");
    interrupts.abort();
    record_history(&prepared.store, command, plan, &result, started_at);

    if args.common.json {
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

/// First Ctrl-C: no new call starts, calls in flight finish and are
/// recorded. Second: leave at once (state already holds every finished call).
async fn watch_interrupts(cancel: Arc<AtomicBool>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    cancel.store(true, Ordering::SeqCst);
    eprintln!(
        "\nInterrupt received: finishing the calls in flight, starting no new one. Press Ctrl-C again to stop at once."
    );
    if tokio::signal::ctrl_c().await.is_ok() {
        eprintln!(
            "Stopping now. State records every call that completed; run `socialform plan` to see what is left."
        );
        std::process::exit(EXIT_ERROR as i32);
    }
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
    let entry = HistoryEntry {
        started_at: humantime::format_rfc3339_seconds(started_at).to_string(),
        finished_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        who: operator(),
        command: command.to_string(),
        changes: plan
            .changes
            .iter()
            .map(|c| format!("{}: {}", c.address, c.action))
            .collect(),
        outcome: outcome.to_string(),
    };
    if let Err(error) = store.append_history(&entry) {
        eprintln!("warning: the apply history could not be written: {error:#}");
    }
}
