//! `socialform plan`, `apply` and `destroy`: map arguments onto
//! `ops::plan` and `ops::apply`, ask for confirmation, print.

use super::args::{ApplyArgs, CommonPlanArgs, DestroyArgs, PlanArgs};
use super::policy::{Judged, PolicyCheck};
use super::{Context, EXIT_CHANGES, EXIT_ERROR, EXIT_OK};
use crate::address::Address;
use crate::config::CliVar;
use crate::logging::phase;
use crate::ops::history::Started;
use crate::ops::plan::{PlanRequest, Prepared};
use crate::ops::{self, apply::Applied};
use crate::plan::resource_changes::ResourceChange;
use crate::plan::saved::SavedPlan;
use crate::plan::{Mode, PlanOptions};
use crate::render::{self, Format, Printer};
use anyhow::{Context as _, bail};
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn parse_addresses(flag: &str, values: &[String]) -> anyhow::Result<Vec<Address>> {
    values
        .iter()
        .map(|v| {
            v.parse::<Address>()
                .with_context(|| format!("invalid {flag}"))
        })
        .collect()
}

/// `--reconnect` (Terraform's `-replace`): pages only. A link is refused
/// here, under the flag the user typed.
fn reconnect_addresses(values: &[String]) -> anyhow::Result<Vec<Address>> {
    let typed = std::env::args()
        .find_map(|a| {
            let name = a.split('=').next().unwrap_or_default().to_string();
            matches!(
                name.as_str(),
                "-replace" | "--replace" | "-reconnect" | "--reconnect"
            )
            .then_some(name)
        })
        .unwrap_or_else(|| "--reconnect".to_string());
    let addresses = parse_addresses(&typed, values)?;
    if let Some(link) = addresses
        .iter()
        .find(|a| a.kind == crate::address::ResourceKind::Link)
    {
        bail!(
            "{typed} {link}: a link cannot be replaced or reconnected; {typed} takes a page, and \
             sends its token again. To make a link removed outside socialform again, run \
             `socialform apply` (it restores it); to move it to another application, change \
             its `application`"
        );
    }
    Ok(addresses)
}

fn options_from(common: &CommonPlanArgs, destroy: bool) -> anyhow::Result<PlanOptions> {
    if common.refresh_only && !common.refresh {
        bail!("--refresh-only and --refresh=false contradict each other; drop one");
    }
    // As in OpenTofu: one says what to include, the other what to leave
    // out, and together they have no single meaning.
    if !common.target.is_empty() && !common.exclude.is_empty() {
        bail!("-target and -exclude cannot be used together; use one of them");
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
        excludes: parse_addresses("--exclude", &common.exclude)?,
        reconnect: reconnect_addresses(&common.reconnect)?,
    })
}

fn request(
    vars: Vec<CliVar>,
    common: &CommonPlanArgs,
    destroy: bool,
    command: &'static str,
) -> anyhow::Result<PlanRequest> {
    Ok(PlanRequest {
        vars,
        options: options_from(common, destroy)?,
        refresh: common.refresh,
        lock_timeout: common.lock_timeout,
        command,
    })
}

/// The plan in Terraform's `resource_changes` layout, when something will
/// read it: the JSON document, the policies, a saved plan.
fn resources_if_wanted(
    printer: &Printer,
    prepared: &Prepared,
    policies: &Option<PolicyCheck>,
    saving: bool,
) -> Vec<ResourceChange> {
    if printer.is_json() || policies.is_some() || saving {
        prepared.resource_changes()
    } else {
        Vec::new()
    }
}

/// `--policy`: the policies' verdict on the plan's JSON document.
fn judge_plan(
    policies: &mut Option<PolicyCheck>,
    prepared: &Prepared,
    resources: &[ResourceChange],
) -> anyhow::Result<Option<Judged>> {
    let Some(policies) = policies else {
        return Ok(None);
    };
    let document = render::plan_document(&prepared.plan, resources);
    let addresses: Vec<Address> = resources.iter().map(|r| r.address.clone()).collect();
    policies.judge(&document, &addresses).map(Some)
}

/// How long the plan's calls take at the API's rate, when that is long
/// enough to be worth saying: "1,000 calls at 30/s: about 34 s".
fn duration_estimate(prepared: &Prepared) -> Option<String> {
    let rate = prepared.connection.client.accounts_rate()?;
    let calls = prepared.plan.calls.len();
    let seconds = (calls as f64 / rate).ceil();
    if seconds < 5.0 {
        return None;
    }
    let took = if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else {
        format!("{:.0} min", (seconds / 60.0).ceil())
    };
    Some(format!(
        "{} calls at {}/s: about {took}",
        render::thousands(calls),
        if rate.fract() == 0.0 {
            format!("{rate:.0}")
        } else {
            format!("{rate:.1}")
        }
    ))
}

/// The human plan, and how long its calls take when that is worth saying.
fn print_human_plan(printer: &Printer, prepared: &Prepared) {
    printer.out(&render::plan_text(
        &prepared.plan,
        prepared.options.mode,
        &printer.style,
    ));
    if let Some(estimate) = duration_estimate(prepared) {
        printer.line(&estimate);
    }
}

/// The plan, as the printer's format wants it, for `plan`: the JSON
/// document or the human view, with what the policies said (the Markdown
/// report and GitHub's annotations come once the plan is saved, see
/// `plan`).
fn print_plan(
    printer: &Printer,
    prepared: &Prepared,
    resources: &[ResourceChange],
    judged: Option<&Judged>,
) {
    let _render = phase("render");
    match printer.format {
        Format::Json => {
            let extra = judged.map(|j| ("policy", j.member())).into_iter().collect();
            printer.line(&render::plan_document_text(
                &prepared.plan,
                resources,
                extra,
            ));
        }
        Format::Human | Format::Github => {
            print_human_plan(printer, prepared);
            if let Some(judged) = judged {
                printer.out(&format!("\n{}", judged.text(&printer.style)));
            }
        }
        Format::Markdown => {}
    }
}

/// The plan shown before `apply` or `destroy` asks and carries it out: the
/// human view (JSON and Markdown say it all at the end).
fn print_plan_before_apply(printer: &Printer, prepared: &Prepared) {
    let _render = phase("render");
    if matches!(printer.format, Format::Human | Format::Github) {
        print_human_plan(printer, prepared);
    }
}

pub(crate) async fn plan(
    context: &Context,
    vars: Vec<CliVar>,
    args: PlanArgs,
) -> anyhow::Result<u8> {
    let printer = context.printer;
    let request = request(vars, &args.common, args.destroy, "plan")?;
    let mut policies = PolicyCheck::load(context, &args.common.policy)?;
    let session = context.session(&args.common.network)?;
    let prepared = ops::plan::prepare(&session, request, printer.reporter()).await?;
    let resources = resources_if_wanted(&printer, &prepared, &policies, args.out.is_some());
    let judged = judge_plan(&mut policies, &prepared, &resources)?;
    print_plan(&printer, &prepared, &resources, judged.as_ref());
    let denied = judged.as_ref().is_some_and(Judged::denied);
    let see_all = match &args.out {
        Some(out) => context.command_line(&format!("show {}", out.display())),
        None => context.command_line("plan"),
    };
    // A denied plan is not saved: there would be nothing to apply it with.
    if let Some(out) = args.out.as_ref().filter(|_| !denied) {
        let path = context.in_config_dir(out);
        prepared.save(&path, resources)?;
        if matches!(printer.format, Format::Human | Format::Github) {
            printer.line(&format!(
                "\nSaved the plan to {}. Apply exactly it with: {}",
                path.display(),
                context.apply_hint(out)
            ));
        }
    }
    let policy_markdown = judged.as_ref().map(Judged::markdown).unwrap_or_default();
    match printer.format {
        Format::Markdown => printer.out(&format!(
            "{}{policy_markdown}",
            render::plan_markdown(&prepared.plan, prepared.options.mode, "plan", &see_all)
        )),
        Format::Github => {
            let locations = context.locations(&prepared.desired);
            printer.out(&render::plan_annotations(
                &prepared.plan,
                &locations,
                "plan",
            ));
            if let Some(judged) = &judged {
                printer.out(&judged.annotations(&locations));
            }
            printer.step_summary(&format!(
                "{}{policy_markdown}",
                render::plan_markdown(&prepared.plan, prepared.options.mode, "plan", &see_all)
            ));
        }
        Format::Human | Format::Json => {}
    }
    if let Some(judged) = judged.as_ref().filter(|j| j.denied()) {
        printer.err_line(&judged.refusal("plan"));
        return Ok(EXIT_ERROR);
    }
    Ok(if args.detailed_exitcode && prepared.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}

pub(crate) async fn apply(
    context: &Context,
    vars: Vec<CliVar>,
    args: ApplyArgs,
) -> anyhow::Result<u8> {
    let Some(path) = &args.plan_file else {
        let destroy = args.destroy;
        return plan_and_carry_out(context, vars, args.common, args.auto_approve, destroy).await;
    };
    // A saved plan was reviewed when it was made: it applies without a prompt.
    let printer = context.printer;
    let saved = SavedPlan::read(&context.in_config_dir(path))?;
    let policies = PolicyCheck::load(context, &args.common.policy)?;
    let started = Started::now();
    let prepared = ops::plan::prepare_saved(
        &context.session(&args.common.network)?,
        vars,
        &saved,
        args.common.lock_timeout,
        printer.reporter(),
    )
    .await?;
    print_plan_before_apply(&printer, &prepared);
    let see_all = context.command_line(&format!("show {}", path.display()));
    let Some(checked) = check_before_calls(context, &prepared, policies, "apply", &see_all)? else {
        return Ok(EXIT_ERROR);
    };
    carry_out(
        context,
        prepared,
        checked,
        "apply",
        &args.common,
        started,
        &see_all,
    )
    .await
}

pub(crate) async fn destroy(
    context: &Context,
    vars: Vec<CliVar>,
    args: DestroyArgs,
) -> anyhow::Result<u8> {
    plan_and_carry_out(context, vars, args.common, args.auto_approve, true).await
}

async fn plan_and_carry_out(
    context: &Context,
    vars: Vec<CliVar>,
    common: CommonPlanArgs,
    auto_approve: bool,
    destroy: bool,
) -> anyhow::Result<u8> {
    let command = if destroy { "destroy" } else { "apply" };
    let printer = context.printer;
    if printer.is_json() && !auto_approve {
        bail!("{command} --json needs --auto-approve: there is no prompt in JSON mode");
    }
    if printer.format == Format::Markdown && !auto_approve {
        bail!(
            "{command} --format markdown needs --auto-approve: its output is a report, with no prompt"
        );
    }
    let started = Started::now();
    let request = request(vars, &common, destroy, command)?;
    let policies = PolicyCheck::load(context, &common.policy)?;
    let session = context.session(&common.network)?;
    let prepared = ops::plan::prepare(&session, request, printer.reporter()).await?;
    print_plan_before_apply(&printer, &prepared);
    // History lists every change of every apply.
    let see_all = context.command_line("history -n 1");
    let Some(checked) = check_before_calls(context, &prepared, policies, command, &see_all)? else {
        return Ok(EXIT_ERROR);
    };
    if prepared.has_changes() && !auto_approve && !confirm(&printer, destroy, common.input).await? {
        printer.err_line(if destroy {
            "Destroy cancelled: nothing was changed."
        } else {
            "Apply cancelled: nothing was changed."
        });
        return Ok(EXIT_ERROR);
    }
    carry_out(
        context, prepared, checked, command, &common, started, &see_all,
    )
    .await
}

/// What `--policy` said before an apply, carried to its report.
struct Checked {
    resources: Vec<ResourceChange>,
    judged: Option<Judged>,
}

/// `--policy` before an apply's first call: the findings are shown, and a
/// denial shows the plan in the chosen format and ends the command
/// (`None`: denied, everything said; exit 1).
fn check_before_calls(
    context: &Context,
    prepared: &Prepared,
    mut policies: Option<PolicyCheck>,
    command: &str,
    see_all: &str,
) -> anyhow::Result<Option<Checked>> {
    let printer = context.printer;
    let resources = resources_if_wanted(&printer, prepared, &policies, false);
    let judged = judge_plan(&mut policies, prepared, &resources)?;
    let Some(judged_ref) = &judged else {
        return Ok(Some(Checked { resources, judged }));
    };
    if matches!(printer.format, Format::Human | Format::Github) {
        printer.out(&format!("\n{}", judged_ref.text(&printer.style)));
    }
    if printer.format == Format::Github {
        printer.out(&judged_ref.annotations(&context.locations(&prepared.desired)));
    }
    if !judged_ref.denied() {
        return Ok(Some(Checked { resources, judged }));
    }
    match printer.format {
        Format::Json => {
            let mut document = render::plan_document(&prepared.plan, &resources);
            judged_ref.attach(&mut document);
            printer.json(&document);
        }
        Format::Markdown | Format::Github => {
            let report = format!(
                "{}{}",
                render::plan_markdown(&prepared.plan, prepared.options.mode, command, see_all),
                judged_ref.markdown()
            );
            if printer.format == Format::Markdown {
                printer.out(&report);
            } else {
                printer.step_summary(&report);
            }
        }
        Format::Human => {}
    }
    printer.err_line(&judged_ref.refusal(command));
    Ok(None)
}

/// Runs the plan's calls, stopping cleanly on Ctrl-C, and prints the outcome.
async fn carry_out(
    context: &Context,
    prepared: Prepared,
    checked: Checked,
    command: &str,
    common: &CommonPlanArgs,
    started: Started,
    see_all: &str,
) -> anyhow::Result<u8> {
    let printer = &context.printer;
    let cancel = Arc::new(AtomicBool::new(false));
    let last_words = ops::apply::LastWords::default();
    let interrupts = tokio::spawn(watch_interrupts(
        cancel.clone(),
        *printer,
        last_words.clone(),
    ));
    let applied = ops::apply::carry_out(
        prepared,
        command,
        started,
        common.parallelism as usize,
        cancel,
        printer.reporter(),
        &last_words,
    )
    .await?;
    interrupts.abort();
    print_applied(context, &applied, &checked, command, see_all);
    match &applied.errored {
        None => {}
        Some(Ok(path)) => printer.err_line(&format!(
            "error: {} call(s) took effect at Vonage but could not be recorded in state. \
             Everything that happened is saved in {}; once the state backend is reachable \
             again, run `socialform state push {}`, then `socialform plan`.",
            applied.result.unrecorded(),
            path.display(),
            crate::ops::apply::ERRORED_FILE,
        )),
        Some(Err((error, document))) => printer.err_line(&format!(
            "error: {} call(s) took effect at Vonage but could not be recorded in state, and \
             {} could not be written either ({error:#}). Save this document to a file and \
             run `socialform state push FILE` once the state backend is reachable:\n{document}",
            applied.result.unrecorded(),
            crate::ops::apply::ERRORED_FILE,
        )),
    }
    Ok(if applied.succeeded() {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}

fn print_applied(
    context: &Context,
    applied: &Applied,
    checked: &Checked,
    command: &str,
    see_all: &str,
) {
    let printer = &context.printer;
    let plan = &applied.prepared.plan;
    let policy_markdown = (checked.judged.as_ref())
        .map(Judged::markdown)
        .unwrap_or_default();
    match printer.format {
        Format::Json => {
            let mut document = render::apply_document(plan, &checked.resources, &applied.result);
            if let Some(judged) = &checked.judged {
                judged.attach(&mut document);
            }
            printer.json(&document)
        }
        Format::Markdown => printer.out(&format!(
            "{}{policy_markdown}",
            render::apply_markdown(
                plan,
                &applied.result,
                applied.prepared.options.mode,
                command,
                see_all,
            )
        )),
        Format::Human | Format::Github => {
            if !plan.calls.is_empty() {
                printer.line("");
            }
            printer.out(&render::apply_summary(
                plan,
                &applied.result,
                applied.prepared.options.mode,
                &printer.style,
            ));
            if printer.format == Format::Github {
                let locations = context.locations(&applied.prepared.desired);
                printer.out(&render::apply_annotations(
                    plan,
                    &applied.result,
                    &locations,
                    command,
                ));
                printer.step_summary(&format!(
                    "{}{policy_markdown}",
                    render::apply_markdown(
                        plan,
                        &applied.result,
                        applied.prepared.options.mode,
                        command,
                        see_all,
                    )
                ));
            }
        }
    }
}

/// The contract's prompt; only `yes` approves. No terminal, no guessing.
async fn confirm(printer: &Printer, destroy: bool, input: bool) -> anyhow::Result<bool> {
    if !input {
        bail!(
            "this needs confirmation, and --input=false asks for none; re-run with \
             --auto-approve, or save the plan with `socialform plan --out FILE` and apply that file"
        );
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "this needs confirmation but stdin is not a terminal; re-run with --auto-approve, \
             or save the plan with `socialform plan --out FILE` and apply that file"
        );
    }
    // Listening before the prompt is shown: a Ctrl-C typed the moment it
    // appears must not find the default handler (which ends the process in
    // silence) still in place.
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    printer.out(if destroy {
        "\nDo you really want to destroy everything socialform manages?\n  Every page shown above \
         will be disconnected from the Vonage account. There is no undo.\n  Only 'yes' will be \
         accepted to confirm.\n\n  Enter a value: "
    } else {
        "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    });
    // Read on a thread of its own, so that Ctrl-C at the prompt is heard
    // (and answered) rather than killing the process in silence. The thread
    // is left blocked in its read when the answer never comes; the process
    // exits without waiting for it.
    let answer = crate::threads::start("prompt", || {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .context("cannot start a thread")?
    .finish();
    tokio::select! {
        answer = answer => {
            let answer = answer.map_err(|_| anyhow::anyhow!("could not read the answer"))??;
            Ok(answer.trim() == "yes")
        }
        _ = interrupt.recv() => {
            printer.out("\n");
            Ok(false)
        }
    }
}

/// First Ctrl-C (or SIGTERM): no new call starts, calls in flight finish
/// and are recorded. Second: leave at once (state already holds every
/// finished call, each recorded and flushed as it finished).
async fn watch_interrupts(
    cancel: Arc<AtomicBool>,
    printer: Printer,
    last_words: ops::apply::LastWords,
) {
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
    printer.err_line(
        "\nInterrupt received: finishing the calls in flight, starting no new one. Press Ctrl-C again to stop at once.",
    );
    stop().await;
    printer.err_line(
        "Stopping now. State records every call that completed; run `socialform plan` to see what is left.",
    );
    // The history entry of the apply (outcome "interrupted").
    last_words.say();
    std::process::exit(EXIT_ERROR as i32);
}
