//! `socialform drift`: see `ops::drift`.

use super::args::DriftArgs;
use super::policy::PolicyCheck;
use super::{Context, EXIT_CHANGES, EXIT_ERROR, EXIT_OK};
use crate::config::CliVar;
use crate::render::{self, Format};

pub(crate) async fn run(
    context: &Context,
    vars: Vec<CliVar>,
    args: DriftArgs,
) -> anyhow::Result<u8> {
    let printer = context.printer;
    let mut policies = PolicyCheck::load(context, &args.policy)?;
    let (mut report, desired) = crate::ops::drift::drift(
        &context.session(&args.network)?,
        vars,
        args.lock_timeout,
        printer.reporter(),
    )
    .await?;
    if args.ignore_unmanaged {
        report.unmanaged.clear();
    }
    let see_all = context.command_line("drift");
    let mut document = render::drift_document(&report);
    let judged = match &mut policies {
        Some(policies) => {
            let addresses: Vec<_> = report.drifted.iter().map(|d| d.address.clone()).collect();
            Some(policies.judge(&document, &addresses)?)
        }
        None => None,
    };
    let policy_markdown = judged.as_ref().map(|j| j.markdown()).unwrap_or_default();
    let policy_text = judged
        .as_ref()
        .map(|j| format!("\n{}", j.text(&printer.style)));
    match printer.format {
        Format::Json => {
            if let Some(judged) = &judged {
                judged.attach(&mut document);
            }
            printer.json(&document)
        }
        Format::Human => {
            printer.out(&render::drift_text(&report, &printer.style));
            printer.out(&policy_text.unwrap_or_default());
        }
        Format::Markdown => printer.out(&format!(
            "{}{policy_markdown}",
            render::drift_markdown(&report, &see_all)
        )),
        Format::Github => {
            printer.out(&render::drift_text(&report, &printer.style));
            printer.out(&policy_text.unwrap_or_default());
            let locations = context.locations(&desired);
            printer.out(&render::drift_annotations(&report, &locations));
            if let Some(judged) = &judged {
                printer.out(&judged.annotations(&locations));
            }
            printer.step_summary(&format!(
                "{}{policy_markdown}",
                render::drift_markdown(&report, &see_all)
            ));
        }
    }
    if let Some(judged) = judged.as_ref().filter(|j| j.denied()) {
        printer.err_line(&judged.refusal("drift report"));
        return Ok(EXIT_ERROR);
    }
    Ok(if report.is_clean() {
        EXIT_OK
    } else {
        EXIT_CHANGES
    })
}
