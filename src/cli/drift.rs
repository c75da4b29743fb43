//! `socialform drift`: see `ops::drift`.

use super::args::DriftArgs;
use super::{Context, EXIT_CHANGES, EXIT_OK};
use crate::config::CliVar;
use crate::render::{self, Format};

pub(crate) async fn run(
    context: &Context,
    vars: Vec<CliVar>,
    args: DriftArgs,
) -> anyhow::Result<u8> {
    let printer = context.printer;
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
    match printer.format {
        Format::Json => printer.json(&render::drift_document(&report)),
        Format::Human => printer.out(&render::drift_text(&report, &printer.style)),
        Format::Markdown => printer.out(&render::drift_markdown(&report, &see_all)),
        Format::Github => {
            printer.out(&render::drift_text(&report, &printer.style));
            let locations = context.locations(&desired);
            printer.out(&render::drift_annotations(&report, &locations));
            printer.step_summary(&render::drift_markdown(&report, &see_all));
        }
    }
    Ok(
        if report.drifted.is_empty() && report.unmanaged.is_empty() {
            EXIT_OK
        } else {
            EXIT_CHANGES
        },
    )
}
