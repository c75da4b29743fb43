//! `socialform tokens`: see `ops::tokens`.

use super::args::TokensArgs;
use super::{Context, EXIT_CHANGES, EXIT_OK};
use crate::config::CliVar;
use crate::render::{self, Format};

pub(crate) async fn run(
    context: &Context,
    vars: Vec<CliVar>,
    args: TokensArgs,
) -> anyhow::Result<u8> {
    let printer = context.printer;
    let overview = crate::ops::tokens::tokens(
        &context.session(&args.network)?,
        vars,
        args.lock_timeout,
        printer.reporter(),
    )
    .await?;
    match printer.format {
        Format::Json => printer.json(&render::tokens_document(&overview)),
        _ => printer.out(&render::tokens_text(&overview, &printer.style)),
    }
    Ok(if overview.needs_attention() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}
