//! `socialform drift`: see `ops::drift`.

use super::args::DriftArgs;
use super::{Context, EXIT_CHANGES, EXIT_OK};
use crate::config::CliVar;
use crate::render::{self, Format};

pub async fn run(context: &Context, vars: Vec<CliVar>, args: DriftArgs) -> anyhow::Result<u8> {
    let printer = context.printer.with_format(if args.json {
        Format::Json
    } else {
        Format::Human
    });
    let mut report = crate::ops::drift::drift(
        &context.workspace()?,
        vars,
        args.lock_timeout,
        printer.reporter(),
    )
    .await?;
    if args.ignore_unmanaged {
        report.unmanaged.clear();
    }
    match printer.format {
        Format::Json => printer.json(&render::drift_document(&report)),
        Format::Human => printer.out(&render::drift_text(&report, &printer.style)),
    }
    Ok(
        if report.drifted.is_empty() && report.unmanaged.is_empty() {
            EXIT_OK
        } else {
            EXIT_CHANGES
        },
    )
}
