//! `socialform fmt [--check] [--diff]`: see `ops::fmt`.

use super::args::FmtArgs;
use super::{Context, EXIT_OK, EXIT_UNFORMATTED};
use anyhow::bail;

pub(crate) fn run(context: &Context, args: FmtArgs) -> anyhow::Result<u8> {
    let printer = &context.printer;
    let report = crate::ops::fmt::fmt(&context.global.chdir, args.check)?;
    for file in &report.unformatted {
        if args.diff {
            printer.out(&file.diff);
        } else {
            printer.line(&file.name);
        }
    }
    if !report.errors.is_empty() {
        for error in &report.errors {
            printer.err_line(error);
        }
        bail!(
            "{} file(s) could not be formatted; nothing was written for them",
            report.errors.len()
        );
    }
    Ok(if args.check && !report.unformatted.is_empty() {
        EXIT_UNFORMATTED
    } else {
        EXIT_OK
    })
}
