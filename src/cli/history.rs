//! `socialform history [--json] [-n N]`: past applies, imports and state
//! edits, newest first, from whichever backend holds state.

use super::args::HistoryArgs;
use super::{Context, EXIT_OK};
use crate::config::CliVar;
use crate::render;

pub(crate) async fn run(
    context: &Context,
    vars: Vec<CliVar>,
    args: HistoryArgs,
) -> anyhow::Result<u8> {
    let backend = context.offline_session().configured_backend(vars)?;
    let printer = &context.printer;
    let entries =
        crate::ops::history::list(&backend, args.limit, args.lock_timeout, printer.reporter())?;
    if args.json {
        printer.json_pretty(&render::history_document(&entries));
    } else {
        printer.out(&render::history_text(&entries, &printer.style));
    }
    Ok(EXIT_OK)
}
