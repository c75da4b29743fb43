//! `socialform validate`: load and check the configuration; no network,
//! no state.

use super::args::ValidateArgs;
use super::{Context, EXIT_ERROR, EXIT_OK};
use crate::config::CliVar;
use crate::render;

pub(crate) fn run(context: &Context, vars: Vec<CliVar>, args: ValidateArgs) -> anyhow::Result<u8> {
    let printer = &context.printer;
    // Validation needs no page token: CI often validates without them.
    let result = context
        .offline_session()
        .load(&crate::session::ConfigRequest {
            vars,
            allow_unknown_tokens: true,
            // Nor the API's: validate never connects.
            allow_unset_credentials: true,
        });
    if args.json {
        printer.line(&render::validate_document(&result).to_string());
        return Ok(if result.is_ok() { EXIT_OK } else { EXIT_ERROR });
    }
    printer.out(&render::validate_text(&result?, &printer.style));
    Ok(EXIT_OK)
}
